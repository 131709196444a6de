/*
 * test_verifier.c - misuse is a finding in Driver Verifier's words, never a host crash: IRQL
 * rules per routine, NULL and released adapters, outstanding resources at PutDmaAdapter, and
 * stray device accesses attributed to the frame's owner.
 */
#include <string.h>

#include "helpers.h"

static IO_ALLOCATION_ACTION keep_regs(PDEVICE_OBJECT d, PIRP i, PVOID b, PVOID c)
{
    (void)d;
    (void)i;
    *(PVOID *)c = b;
    return DeallocateObjectKeepRegisters;
}

/* Routines that must run at exactly DISPATCH_LEVEL, called at PASSIVE_LEVEL. */
START_TEST(test_dispatch_only_routines)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    PVOID base = NULL;
    const struct dms_finding *f;

    switch (_i) {
    case 0:
        a->DmaOperations->AllocateAdapterChannel(a, dev, 1, keep_regs, &base);
        break;
    case 1:
        a->DmaOperations->FreeAdapterChannel(a);
        break;
    case 2:
        a->DmaOperations->FreeMapRegisters(a, NULL, 1);
        break;
    }
    f = dms_finding_get(m, 0);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(f->code, DMS_E6_WRONG_IRQL);
    ck_assert_uint_eq(f->p2, 1);
    ck_assert_uint_eq(f->p3, DISPATCH_LEVEL);
    ck_assert_uint_eq(f->p4, PASSIVE_LEVEL);
    machine_done(m);
}
END_TEST

START_TEST(test_above_dispatch)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDMA_ADAPTER a = adapter_new(dms_device_create(m, "disk0", 0), 64, TRUE, 65536, 2, NULL);
    KIRQL old;

    KeRaiseIrql(HIGH_LEVEL, &old);
    a->DmaOperations->ReadDmaCounter(a);
    KeLowerIrql(old);
    ck_assert_finding(m, DMS_E6_WRONG_IRQL);
    ck_assert_uint_eq(dms_finding_get(m, 0)->p2, 2);
    machine_done(m);
}
END_TEST

START_TEST(test_null_adapter)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDMA_ADAPTER a = adapter_new(dms_device_create(m, "disk0", 0), 64, TRUE, 65536, 2, NULL);

    a->DmaOperations->PutDmaAdapter(NULL);
    ck_assert_finding(m, DMS_E6_NULL_ADAPTER);
    machine_done(m);
}
END_TEST

START_TEST(test_put_with_registers_and_lists)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    PVOID base = NULL;
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->AllocateAdapterChannel(a, dev, 2, keep_regs, &base);
    KeLowerIrql(old);
    a->DmaOperations->PutDmaAdapter(a);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_PUT_WITH_MAP_REGISTERS), 1);
    ck_assert_uint_eq(dms_finding_get(m, 0)->p3, 1);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->FreeMapRegisters(a, base, 2); /* too late: released */
    KeLowerIrql(old);
    ck_assert_finding(m, DMS_E6_ADAPTER_RELEASED);
    machine_done(m);
}
END_TEST

/* A device with 32 address lines given a 64-bit address touches the truncated one: a real
 * write into whoever owns that frame, reported with its owner. */
START_TEST(test_stray_write_attributed)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_LOW_FIRST);
    PDEVICE_OBJECT disk = dms_device_create(m, "disk0", 0);
    PDEVICE_OBJECT nic = dms_device_create(m, "nic0", 0);
    uint8_t *victim, *mine, junk[4096];
    uint64_t victim_pa;
    uint32_t strays = 0;
    const struct dms_finding *f;

    dms_buffer_alloc(m, nic, 4096);
    victim = pattern_buffer(m, nic, 4096, 1); /* buffer #2 of nic0, low */
    victim_pa = phys_of(m, victim);
    dms_machine_set_placement(m, DMS_PLACE_RANGE, victim_pa + 4 * GIB, victim_pa + 4 * GIB + 4096);
    mine = dms_buffer_alloc(m, disk, 4096); /* exactly 4 GiB above the victim */
    ck_assert_uint_eq(phys_of(m, mine), victim_pa + 4 * GIB);
    memset(junk, 0xEE, sizeof(junk));
    /* the wrong way: the driver hands the device MmGetPhysicalAddress of its buffer */
    ck_assert_int_eq(dms_device_dma_write(disk, 32, (uint64_t)MmGetPhysicalAddress(mine).QuadPart,
                                          junk, 4096, &strays), 0);
    ck_assert_uint_eq(strays, 1);
    ck_assert_mem_eq(victim, junk, 4096); /* aliasing is real */
    f = dms_finding_get(m, dms_finding_count(m) - 1);
    ck_assert_uint_eq(f->code, DMS_CHECK_STRAY_ACCESS);
    ck_assert_ptr_nonnull(strstr(f->message, "device disk0 wrote 4096 bytes at"));
    ck_assert_ptr_nonnull(strstr(f->message, "buffer #2 of nic0"));
    ck_assert_ptr_nonnull(strstr(f->message, "32 address lines"));
    machine_done(m);
}
END_TEST

START_TEST(test_unmapped_read_is_stray)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT disk = dms_device_create(m, "disk0", 0);
    uint8_t *buf = dms_buffer_alloc(m, disk, 4096), out[16];
    uint32_t strays = 0;

    /* the device's own buffer, but never mapped for DMA */
    dms_device_dma_read(disk, 64, phys_of(m, buf), out, sizeof(out), &strays);
    ck_assert_uint_eq(strays, 1);
    ck_assert_finding(m, DMS_CHECK_STRAY_ACCESS);
    dms_device_dma_read(disk, 64, 3 * GIB + 64, out, sizeof(out), &strays);
    ck_assert_uint_eq(out[0], 0xff); /* the MMIO hole answers all ones */
    ck_assert_ptr_nonnull(strstr(dms_finding_get(m, 1)->message, "the MMIO hole"));
    machine_done(m);
}
END_TEST

/* DMA needs pages that stay put: paged pool is pageable; an MDL must be locked or built for
 * nonpaged pool before anything maps it (the verifier's 0x0E otherwise). Maps the MDL whole
 * with the packet routines and returns the findings of code so far. */
static uint32_t map_and_count(struct dms_machine *m, PDMA_ADAPTER a, PDEVICE_OBJECT dev,
                              PMDL mdl, uint32_t code)
{
    PVOID base = NULL;
    ULONG len = MmGetMdlByteCount(mdl);
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->AllocateAdapterChannel(a, dev, ADDRESS_AND_SIZE_TO_SPAN_PAGES(
                                                 MmGetMdlVirtualAddress(mdl), len),
                                             keep_regs, &base);
    a->DmaOperations->MapTransfer(a, mdl, base, MmGetMdlVirtualAddress(mdl), &len, TRUE);
    a->DmaOperations->FlushAdapterBuffers(a, mdl, base, MmGetMdlVirtualAddress(mdl), len, TRUE);
    a->DmaOperations->FreeMapRegisters(a, base, ADDRESS_AND_SIZE_TO_SPAN_PAGES(
                                           MmGetMdlVirtualAddress(mdl), MmGetMdlByteCount(mdl)));
    KeLowerIrql(old);
    return (uint32_t)dms_finding_count_code(m, code);
}

START_TEST(test_pageable_and_unlocked)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 64, FALSE, 65536, 2, NULL);
    PUCHAR paged = ExAllocatePoolWithTag(PagedPool, 2 * PAGE_SIZE, 'gaPT');
    PUCHAR nonpaged = ExAllocatePool2(POOL_FLAG_NON_PAGED, 2 * PAGE_SIZE, 'naPT');
    PMDL mdl;

    /* paged pool described as nonpaged: reported when the MDL is built */
    mdl = IoAllocateMdl(paged, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(mdl);
    ck_assert_finding(m, DMS_CHECK_NOT_NONPAGED);
    IoFreeMdl(mdl);
    /* paged pool locked: the right way, no finding */
    dms_findings_clear(m);
    mdl = IoAllocateMdl(paged, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
    ck_assert_uint_eq(map_and_count(m, a, dev, mdl, DMS_E6_NOT_LOCKED), 0);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    MmUnlockPages(mdl);
    IoFreeMdl(mdl);
    /* an MDL never built nor locked: 0x0E when it is mapped */
    mdl = IoAllocateMdl(nonpaged, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    ck_assert_uint_eq(map_and_count(m, a, dev, mdl, DMS_E6_NOT_LOCKED), 1);
    IoFreeMdl(mdl);
    /* nonpaged pool built for it: fine */
    dms_findings_clear(m);
    mdl = mdl_for(nonpaged, 2 * PAGE_SIZE);
    ck_assert_uint_eq(map_and_count(m, a, dev, mdl, DMS_E6_NOT_LOCKED), 0);
    IoFreeMdl(mdl);
    ExFreePool(paged);
    ExFreePool(nonpaged);
    machine_done(m);
}
END_TEST

/* Driver Verifier's DMA verification (machine.verifier = dma): a 64-bit scatter/gather master
 * that needs no map registers is double-buffered through them; its data sits between
 * "DmaVrfy0" tags and 0x0F padding, and a device writing outside it is named at the put by
 * what it changed; a free register written to is named when next granted; what the run leaves
 * is reported at its end. */
struct vlist {
    PSCATTER_GATHER_LIST list;
};

static VOID v_on_list(PDEVICE_OBJECT dev, PIRP irp, PSCATTER_GATHER_LIST sgl, PVOID ctx)
{
    (void)dev;
    (void)irp;
    ((struct vlist *)ctx)->list = sgl;
}

static PSCATTER_GATHER_LIST v_get(PDMA_ADAPTER a, PDEVICE_OBJECT dev, PMDL mdl, PVOID va,
                                  ULONG len)
{
    struct vlist l = {0};
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(a->DmaOperations->GetScatterGatherList(a, dev, mdl, va, len, v_on_list, &l,
                                                            FALSE),
                     STATUS_SUCCESS);
    KeLowerIrql(old);
    ck_assert_ptr_nonnull(l.list);
    return l.list;
}

static void v_put(PDMA_ADAPTER a, PSCATTER_GATHER_LIST l)
{
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->PutScatterGatherList(a, l, FALSE);
    KeLowerIrql(old);
}

START_TEST(test_verifier_buffers)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDEVICE_OBJECT dev;
    PDMA_ADAPTER a;
    uint8_t *buf, bytes[128];
    PMDL mdl;
    PSCATTER_GATHER_LIST l;
    ULONG nregs = 0;
    const struct dms_finding *f;
    uint64_t la;
    /* where each overrun lands, and what the verifier calls it (P2) */
    static const struct {
        int64_t at;
        uint64_t p2;
    } hits[] = {{-4, 1}, {100, 2}, {-200, 4}, {1000, 5}};

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 8 * GIB;
    cfg.verifier_dma = 1;
    m = machine_with(&cfg);
    dev = dms_device_create(m, "disk0", 0);
    a = adapter_new(dev, 64, TRUE, 65536, 2, &nregs);
    ck_assert_uint_gt(nregs, 0); /* it gets map registers it would not need otherwise */
    buf = pattern_buffer(m, dev, 8192, 3);
    mdl = mdl_for(buf + 512, 100);
    memset(bytes, 0xEE, sizeof(bytes));
    for (unsigned i = 0; i < sizeof(hits) / sizeof(hits[0]); i++) {
        size_t before = dms_finding_count(m);
        l = v_get(a, dev, mdl, buf + 512, 100);
        la = (uint64_t)l->Elements[0].Address.QuadPart;
        ck_assert_uint_eq(la & 0xfff, 512); /* in a bounce page, at the buffer's offset */
        ck_assert_int_eq(dms_device_dma_write(dev, 64, la, bytes, 100, NULL), 0); /* in bounds */
        ck_assert_int_eq(dms_device_dma_write(dev, 64, la + (uint64_t)hits[i].at, bytes, 2,
                                              NULL),
                         0);
        v_put(a, l);
        ck_assert_uint_eq(dms_finding_count(m), before + 1);
        f = dms_finding_get(m, before);
        ck_assert_uint_eq(f->code, DMS_E6_WROTE_OUTSIDE);
        ck_assert_uint_eq(f->p2, hits[i].p2);
        ck_assert_mem_eq(buf + 512, bytes, 100); /* the data itself came back */
    }
    ck_assert_uint_eq(dms_adapter_stats(a)->pages_bounced_verifier, 4);
    /* a free register written to: 0x0F P2=3 when it is next granted */
    l = v_get(a, dev, mdl, buf + 512, 100);
    la = (uint64_t)l->Elements[0].Address.QuadPart & ~0xfffull;
    v_put(a, l);
    dms_device_dma_write(dev, 64, la + 5, bytes, 1, NULL); /* nobody holds it: a stray too */
    l = v_get(a, dev, mdl, buf + 512, 100);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_WROTE_OUTSIDE), 5);
    f = dms_finding_get(m, dms_finding_count(m) - 1);
    ck_assert_uint_eq(f->p2, 3);
    ck_assert_uint_eq(f->p3, la + 5);
    /* pages the driver never mapped in system space: the verifier cannot copy through them */
    {
        PHYSICAL_ADDRESS lo = {.QuadPart = 0}, hi = {.QuadPart = -1}, skip = {.QuadPart = 0};
        PMDL pages = MmAllocatePagesForMdl(lo, hi, skip, 8192);
        PSCATTER_GATHER_LIST pl;
        ck_assert_ptr_nonnull(pages);
        pl = v_get(a, dev, pages, MmGetMdlVirtualAddress(pages), 8192);
        ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_NOT_IN_SYSTEM_VA), 1);
        v_put(a, pl);
        MmFreePagesFromMdl(pages);
        ExFreePool(pages);
    }
    /* the end of the run: a list never put, an adapter never put */
    dms_dma_verify_end(m);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_NOT_FLUSHED), 1);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_PUT_WITH_SG_LISTS), 1);
    v_put(a, l);
    IoFreeMdl(mdl);
    a->DmaOperations->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Every 0xE6 code the model reaches, each from one documented misuse, with P2 where the bug
 * check page gives it a meaning (-1: none checked).
 */
struct e6 {
    struct dms_machine *m;
    PDEVICE_OBJECT dev;
    PDMA_ADAPTER a32, a64; /* 32-bit without scatter/gather (registers); 64-bit with */
    uint8_t *buf;
    PMDL mdl;
    PVOID base;
};

static void e6_dispatch(KIRQL *old)
{
    KeRaiseIrql(DISPATCH_LEVEL, old);
}

static PVOID e6_grant(struct e6 *c, PDMA_ADAPTER a, ULONG n)
{
    KIRQL old;
    PVOID base = NULL;

    e6_dispatch(&old);
    ck_assert_int_eq(a->DmaOperations->AllocateAdapterChannel(a, c->dev, n, keep_regs, &base),
                     STATUS_SUCCESS);
    KeLowerIrql(old);
    return base;
}

static void e6_map(struct e6 *c, PVOID base, PVOID va, ULONG len)
{
    KIRQL old;

    e6_dispatch(&old);
    c->a32->DmaOperations->MapTransfer(c->a32, c->mdl, base, va, &len, TRUE);
    KeLowerIrql(old);
}

static void e6_flush(struct e6 *c, PVOID base, PVOID va, ULONG len)
{
    KIRQL old;

    e6_dispatch(&old);
    c->a32->DmaOperations->FlushAdapterBuffers(c->a32, c->mdl, base, va, len, TRUE);
    KeLowerIrql(old);
}

static void e6_free_regs(struct e6 *c, PVOID base, ULONG n)
{
    KIRQL old;

    e6_dispatch(&old);
    c->a32->DmaOperations->FreeMapRegisters(c->a32, base, n);
    KeLowerIrql(old);
}

static VOID e6_list(PDEVICE_OBJECT d, PIRP i, PSCATTER_GATHER_LIST l, PVOID ctx)
{
    (void)d;
    (void)i;
    *(PSCATTER_GATHER_LIST *)ctx = l;
}

static PSCATTER_GATHER_LIST e6_get(struct e6 *c)
{
    PSCATTER_GATHER_LIST l = NULL;
    KIRQL old;

    e6_dispatch(&old);
    c->a64->DmaOperations->GetScatterGatherList(c->a64, c->dev, c->mdl, c->buf, 8192, e6_list,
                                                &l, TRUE);
    KeLowerIrql(old);
    return l;
}

static void e6_put(struct e6 *c, PSCATTER_GATHER_LIST l)
{
    KIRQL old;

    e6_dispatch(&old);
    c->a64->DmaOperations->PutScatterGatherList(c->a64, l, TRUE);
    KeLowerIrql(old);
}

static IO_ALLOCATION_ACTION e6_keep_object(PDEVICE_OBJECT d, PIRP i, PVOID b, PVOID ctx)
{
    (void)d;
    (void)i;
    (void)b;
    (void)ctx;
    return KeepObject;
}

static IO_ALLOCATION_ACTION e6_again(PDEVICE_OBJECT d, PIRP i, PVOID b, PVOID ctx)
{
    PDMA_ADAPTER a = ctx;

    (void)i;
    (void)b;
    a->DmaOperations->AllocateAdapterChannel(a, d, 1, keep_regs, &b); /* from inside */
    return DeallocateObject;
}

static void m00_out_of_registers(struct e6 *c)
{
    PVOID base = e6_grant(c, c->a32, 1);
    e6_map(c, base, c->buf, 100);
    e6_map(c, base, c->buf + 200, 100);
}
static void m00_flush_past_end(struct e6 *c)
{
    PVOID base = e6_grant(c, c->a32, 3);
    e6_map(c, base, c->buf, 8192);
    e6_flush(c, base, c->buf, 8192 + 4096);
}
static void m03(struct e6 *c)
{
    PHYSICAL_ADDRESS la;
    PVOID va = c->a64->DmaOperations->AllocateCommonBuffer(c->a64, 4096, &la, FALSE);
    c->a64->DmaOperations->FreeCommonBuffer(c->a64, 4096, la, va, FALSE);
    c->a64->DmaOperations->FreeCommonBuffer(c->a64, 4096, la, va, FALSE);
}
static void m04(struct e6 *c)
{
    KIRQL old;
    e6_dispatch(&old);
    c->a32->DmaOperations->FreeAdapterChannel(c->a32);
    KeLowerIrql(old);
}
static void m05(struct e6 *c)
{
    PVOID base = e6_grant(c, c->a32, 2);
    e6_free_regs(c, base, 2);
    e6_free_regs(c, base, 2);
}
static void m06(struct e6 *c)
{
    PSCATTER_GATHER_LIST l = e6_get(c);
    e6_put(c, l);
    e6_put(c, l);
}
static void m07(struct e6 *c)
{
    PHYSICAL_ADDRESS la;
    c->a64->DmaOperations->AllocateCommonBuffer(c->a64, 4096, &la, FALSE);
    c->a64->DmaOperations->PutDmaAdapter(c->a64);
}
static void m08(struct e6 *c)
{
    KIRQL old;
    e6_dispatch(&old);
    c->a32->DmaOperations->AllocateAdapterChannel(c->a32, c->dev, 1, e6_keep_object, NULL);
    KeLowerIrql(old);
    c->a32->DmaOperations->PutDmaAdapter(c->a32);
}
static void m09(struct e6 *c)
{
    e6_grant(c, c->a32, 2);
    c->a32->DmaOperations->PutDmaAdapter(c->a32);
}
static void m0a(struct e6 *c)
{
    e6_get(c);
    c->a64->DmaOperations->PutDmaAdapter(c->a64);
}
static void m0b(struct e6 *c)
{
    KIRQL old;
    e6_dispatch(&old);
    c->a32->DmaOperations->AllocateAdapterChannel(c->a32, c->dev, 1, e6_again, c->a32);
    KeLowerIrql(old);
}
static void m0c(struct e6 *c)
{
    KIRQL old;
    PVOID base;
    e6_dispatch(&old);
    c->a32->DmaOperations->AllocateAdapterChannel(c->a32, c->dev, 1000, keep_regs, &base);
    KeLowerIrql(old);
}
static void m0d(struct e6 *c)
{
    PVOID base = e6_grant(c, c->a32, 1);
    e6_map(c, base, c->buf, 8192);
}
static void m0e(struct e6 *c)
{
    PMDL raw = IoAllocateMdl(c->buf, 4096, FALSE, FALSE, NULL);
    PVOID base = e6_grant(c, c->a32, 2);
    ULONG len = 4096;
    KIRQL old;
    e6_dispatch(&old);
    c->a32->DmaOperations->MapTransfer(c->a32, raw, base, c->buf, &len, TRUE);
    KeLowerIrql(old);
}
static void m10(struct e6 *c)
{
    PVOID base = e6_grant(c, c->a32, 3);
    e6_map(c, base, c->buf, 8192);
    e6_free_regs(c, base, 3);
}
static void m13(struct e6 *c)
{
    PVOID base = e6_grant(c, c->a32, 3);
    c->a32->DmaOperations->FreeMapRegisters(c->a32, base, 3); /* at PASSIVE_LEVEL */
}
static void m16(struct e6 *c)
{
    uint8_t junk[64] = {0};
    e6_flush(c, junk, c->buf, 100);
}
static void m18(struct e6 *c)
{
    c->a64->DmaOperations->PutDmaAdapter(c->a64);
    c->a64->DmaOperations->GetDmaAlignment(c->a64);
}
static void m19(struct e6 *c)
{
    c->a64->DmaOperations->GetDmaAlignment(NULL);
}
static void m1b(struct e6 *c)
{
    PMDL part = IoAllocateMdl(c->buf, 4096, FALSE, FALSE, NULL);
    IoBuildPartialMdl(c->mdl, part, c->buf + 16384, 4096);
}
static void m1d(struct e6 *c)
{
    PVOID base = e6_grant(c, c->a32, 3);
    e6_map(c, base, c->buf, 100);
    e6_map(c, base, c->buf, 100);
}
static void m1f(struct e6 *c)
{
    PVOID base = e6_grant(c, c->a32, 3);
    e6_map(c, base, c->buf - 16, 100);
}
static void m20(struct e6 *c)
{
    PVOID base = e6_grant(c, c->a32, 3);
    e6_map(c, base, c->buf, 100);
    e6_flush(c, base, c->buf + 50, 50);
}
static void m21(struct e6 *c)
{
    PVOID base = e6_grant(c, c->a32, 3);
    e6_map(c, base, c->buf, 0);
}
static void m24(struct e6 *c)
{
    PVOID base = e6_grant(c, c->a32, 3);
    e6_map(c, base, c->buf + 8000, 500);
}
static void m25(struct e6 *c)
{
    DEVICE_DESCRIPTION d;
    ULONG n;
    memset(&d, 0, sizeof(d));
    d.Version = 7;
    d.Master = TRUE;
    IoGetDmaAdapter(c->dev, &d, &n);
}

static const struct {
    void (*misuse)(struct e6 *c);
    uint32_t code;
    int64_t p2;
} e6_cases[] = {
    {m00_out_of_registers, DMS_E6_MISC, 2},
    {m00_flush_past_end, DMS_E6_MISC, 1},
    {m03, DMS_E6_COMMON_BUFFER_DOUBLE_FREE, -1},
    {m04, DMS_E6_CHANNEL_DOUBLE_FREE, -1},
    {m05, DMS_E6_MAPREG_DOUBLE_FREE, -1},
    {m06, DMS_E6_SGL_DOUBLE_FREE, -1},
    {m07, DMS_E6_PUT_WITH_COMMON_BUFFERS, -1},
    {m08, DMS_E6_PUT_WITH_CHANNELS, -1},
    {m09, DMS_E6_PUT_WITH_MAP_REGISTERS, -1},
    {m0a, DMS_E6_PUT_WITH_SG_LISTS, -1},
    {m0b, DMS_E6_TOO_MANY_CHANNELS, -1},
    {m0c, DMS_E6_TOO_MANY_MAP_REGISTERS, 1000},
    {m0d, DMS_E6_NOT_FLUSHED, 8192},
    {m0e, DMS_E6_NOT_LOCKED, -1},
    {m10, DMS_E6_FREE_WHILE_MAPPED, -1},
    {m13, DMS_E6_WRONG_IRQL, 1},
    {m16, DMS_E6_FLUSH_NOT_MAPPED, -1},
    {m18, DMS_E6_ADAPTER_RELEASED, -1},
    {m19, DMS_E6_NULL_ADAPTER, -1},
    {m1b, DMS_E6_ADDRESS_NOT_IN_MDL, -1},
    {m1d, DMS_E6_ALREADY_MAPPED, -1},
    {m1f, DMS_E6_INVALID_BUFFER, 1},
    {m20, DMS_E6_FLUSH_NEVER_MAPPED, -1},
    {m21, DMS_E6_ZERO_LENGTH, -1},
    {m24, DMS_E6_INSUFFICIENT_BUFFER, -1},
    {m25, DMS_E6_UNKNOWN_VERSION, 7},
};

START_TEST(test_e6_codes)
{
    struct e6 c = {0};
    bool p2_seen = false;

    c.m = machine_new(16 * GIB, DMS_PLACE_RANDOM);
    c.dev = dms_device_create(c.m, "card0", 0);
    c.a32 = adapter_new(c.dev, 32, FALSE, 65536, 2, NULL);
    c.a64 = adapter_new(c.dev, 64, TRUE, 65536, 2, NULL);
    c.buf = pattern_buffer(c.m, c.dev, 3 * 4096, 1) + 4096;
    c.mdl = mdl_for(c.buf, 8192);
    e6_cases[_i].misuse(&c);
    ck_assert_msg(dms_finding_count_code(c.m, e6_cases[_i].code) > 0,
                  "case %d: no 0x%x (findings: %zu, last 0x%lx)", _i, e6_cases[_i].code,
                  dms_finding_count(c.m), last_finding(c.m));
    for (size_t i = 0; i < dms_finding_count(c.m); i++) {
        const struct dms_finding *f = dms_finding_get(c.m, i);
        p2_seen |= f->code == e6_cases[_i].code &&
                   (e6_cases[_i].p2 < 0 || f->p2 == (uint64_t)e6_cases[_i].p2);
    }
    ck_assert_msg(p2_seen, "case %d: 0x%x without P2 = %lld", _i, e6_cases[_i].code,
                  (long long)e6_cases[_i].p2);
    machine_done(c.m);
}
END_TEST

/* With the verifier: a driver that keeps the registers of each grant
 * (DeallocateObjectKeepRegisters) and never frees them comes to hold more than IoGetDmaAdapter
 * allows: 0xE6/0x15, P2 what it holds, P3 the maximum. A MapTransfer through a
 * MapRegisterBase freed since is named as such (no verifier code names it: 0x103). */
START_TEST(test_too_many_registers_held)
{
    struct dms_machine_config cfg;
    struct e6 c = {0};
    ULONG max = 0, len = 4096;
    PVOID b1, b2;
    const struct dms_finding *f;
    KIRQL old;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 16 * GIB;
    cfg.verifier_dma = 1;
    c.m = machine_with(&cfg);
    c.dev = dms_device_create(c.m, "card0", 0);
    c.a32 = adapter_new(c.dev, 32, FALSE, 65536, 2, &max);
    c.buf = pattern_buffer(c.m, c.dev, 3 * 4096, 1) + 4096;
    c.mdl = mdl_for(c.buf, 8192);
    ck_assert_uint_ge(max, 2);
    b1 = e6_grant(&c, c.a32, max);
    ck_assert_uint_eq(dms_finding_count_code(c.m, DMS_E6_TOO_MANY_MAP_REGISTERS_ALLOCATED), 0);
    b2 = e6_grant(&c, c.a32, 2); /* the first grant's registers were never freed */
    ck_assert_uint_eq(dms_finding_count_code(c.m, DMS_E6_TOO_MANY_MAP_REGISTERS_ALLOCATED), 1);
    f = dms_finding_get(c.m, dms_finding_count(c.m) - 1);
    ck_assert_uint_eq(f->p2, max + 2);
    ck_assert_uint_eq(f->p3, max);
    e6_free_regs(&c, b1, max);
    e6_free_regs(&c, b2, 2);
    e6_dispatch(&old);
    c.a32->DmaOperations->MapTransfer(c.a32, c.mdl, b2, c.buf, &len, TRUE);
    KeLowerIrql(old);
    ck_assert_finding(c.m, DMS_CHECK_BAD_ARGUMENT);
    f = dms_finding_get(c.m, dms_finding_count(c.m) - 1);
    ck_assert_msg(strstr(f->message, "already freed") != NULL, "%s", f->message);
    ck_assert_uint_eq(len, 0);
    b1 = e6_grant(&c, c.a32, 2); /* freed ones back in use: nothing to report */
    ck_assert_uint_eq(dms_finding_count_code(c.m, DMS_E6_TOO_MANY_MAP_REGISTERS_ALLOCATED), 1);
    e6_free_regs(&c, b1, 2);
    IoFreeMdl(c.mdl);
    c.a32->DmaOperations->PutDmaAdapter(c.a32);
    machine_done(c.m);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("hal/verifier");
    TCase *tc = tcase_create("verifier");

    tcase_add_loop_test(tc, test_dispatch_only_routines, 0, 3);
    tcase_add_test(tc, test_above_dispatch);
    tcase_add_test(tc, test_null_adapter);
    tcase_add_test(tc, test_put_with_registers_and_lists);
    tcase_add_test(tc, test_stray_write_attributed);
    tcase_add_test(tc, test_unmapped_read_is_stray);
    tcase_add_test(tc, test_pageable_and_unlocked);
    tcase_add_test(tc, test_verifier_buffers);
    tcase_add_test(tc, test_too_many_registers_held);
    tcase_add_loop_test(tc, test_e6_codes, 0, (int)(sizeof(e6_cases) / sizeof(e6_cases[0])));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(make);
}
