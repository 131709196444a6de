/*
 * test_misuse.c - driver mistakes that used to reach the host: each is a finding in the WDK's
 * vocabulary, the simulator carries on, and (under ASan+UBSan, as CI runs it) nothing reads or
 * writes memory the HAL does not own, and nothing leaks. The HAL keeps its bookkeeping in its
 * own memory and checks what a driver hands back against what it gave out.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

struct granted {
    int calls;
    PVOID base;
};

static IO_ALLOCATION_ACTION keep_registers(PDEVICE_OBJECT dev, PIRP irp, PVOID base, PVOID ctx)
{
    struct granted *g = ctx;

    (void)dev;
    (void)irp;
    g->calls++;
    g->base = base;
    return DeallocateObjectKeepRegisters;
}

static NTSTATUS allocate(PDMA_ADAPTER a, PDEVICE_OBJECT dev, ULONG n, struct granted *g)
{
    KIRQL old;
    NTSTATUS st;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    st = a->DmaOperations->AllocateAdapterChannel(a, dev, n, keep_registers, g);
    KeLowerIrql(old);
    return st;
}

static void free_registers(PDMA_ADAPTER a, PVOID base, ULONG n)
{
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->FreeMapRegisters(a, base, n);
    KeLowerIrql(old);
}

static size_t count_code(struct dms_machine *m, uint32_t code)
{
    return dms_finding_count_code(m, code);
}

/* NumberOfMapRegisters = 0 on an adapter without scatter/gather: a finding, and the request
 * is granted an empty set of registers (it used to abort the host in the pool's search for a
 * run of 0 pages). */
START_TEST(test_zero_map_registers)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, FALSE, 65536, 2, NULL);
    struct granted g = {0};

    ck_assert_int_eq(allocate(a, dev, 0, &g), STATUS_SUCCESS);
    ck_assert_int_eq(g.calls, 1);
    ck_assert_uint_eq(count_code(m, DMS_CHECK_BAD_ARGUMENT), 1);
    free_registers(a, g.base, 0);
    a->DmaOperations->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

struct listen {
    int calls;
    PSCATTER_GATHER_LIST list;
};

static VOID on_list(PDEVICE_OBJECT dev, PIRP irp, PSCATTER_GATHER_LIST sgl, PVOID ctx)
{
    struct listen *l = ctx;

    (void)dev;
    (void)irp;
    l->calls++;
    l->list = sgl;
}

static NTSTATUS build(PDMA_ADAPTER a, PDEVICE_OBJECT dev, PMDL mdl, PVOID va, ULONG len,
                      struct listen *l, PVOID buffer, ULONG buffer_len)
{
    KIRQL old;
    NTSTATUS st;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    st = a->DmaOperations->BuildScatterGatherList(a, dev, mdl, va, len, on_list, l, TRUE,
                                                  buffer, buffer_len);
    KeLowerIrql(old);
    return st;
}

static void put(PDMA_ADAPTER a, PSCATTER_GATHER_LIST sgl)
{
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->PutScatterGatherList(a, sgl, TRUE);
    KeLowerIrql(old);
}

/* A driver builds a second list into the buffer of one still outstanding, then scribbles on
 * the buffer: the reuse is refused with a finding, and the HAL, whose record of the first
 * list is its own, puts that list back intact. */
START_TEST(test_list_buffer_reused)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 16384, 1);
    PMDL mdl = mdl_for(buf, 16384);
    ULONG size = 0, nregs = 0;
    struct listen one = {0}, two = {0};
    void *space;

    ck_assert_int_eq(a->DmaOperations->CalculateScatterGatherList(a, mdl, buf, 16384, &size,
                                                                  &nregs),
                     STATUS_SUCCESS);
    space = malloc(size);
    ck_assert_int_eq(build(a, dev, mdl, buf, 16384, &one, space, size), STATUS_SUCCESS);
    ck_assert_int_eq(one.calls, 1);
    ck_assert_int_eq(build(a, dev, mdl, buf, 16384, &two, space, size),
                     STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(two.calls, 0);
    ck_assert_uint_eq(count_code(m, DMS_CHECK_BAD_ARGUMENT), 1);
    ck_assert_uint_eq(dms_adapter_stats(a)->sg_lists_outstanding, 1);
    /* the driver scribbles over everything past the elements */
    memset((uint8_t *)space + offsetof(SCATTER_GATHER_LIST, Elements) +
               one.list->NumberOfElements * sizeof(SCATTER_GATHER_ELEMENT),
           0xA5,
           size - offsetof(SCATTER_GATHER_LIST, Elements) -
               one.list->NumberOfElements * sizeof(SCATTER_GATHER_ELEMENT));
    put(a, one.list);
    ck_assert_uint_eq(dms_adapter_stats(a)->sg_lists_outstanding, 0);
    ck_assert_uint_eq(dms_finding_count(m), 1);
    /* a list the HAL never built: a finding, nothing read through it */
    memset(space, 0, size);
    put(a, space);
    ck_assert_uint_eq(dms_finding_count(m), 2);
    free(space);
    IoFreeMdl(mdl);
    a->DmaOperations->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* ExFreePool of a buffer still mapped (bounced) for a device's write into memory, then the
 * flush that would copy the bounced bytes back: a finding at the flush, and the bytes are
 * dropped instead of written into freed host memory. */
START_TEST(test_pool_freed_while_mapped)
{
    struct dms_machine *m = machine_new(16 * GIB, DMS_PLACE_HIGH_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "nic0", 0);
    ULONG nregs = 0;
    PDMA_ADAPTER a = adapter_new(dev, 32, FALSE, 16384, 2, &nregs);
    uint8_t *buf = ExAllocatePoolWithTag(NonPagedPool, 8192, 'tseT');
    PMDL mdl;
    struct granted g = {0};
    ULONG len = 8192;
    PHYSICAL_ADDRESS la;
    KIRQL old;

    ck_assert_ptr_nonnull(buf);
    mdl = mdl_for(buf, 8192);
    ck_assert_int_eq(allocate(a, dev, 3, &g), STATUS_SUCCESS);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    la = a->DmaOperations->MapTransfer(a, mdl, g.base, buf, &len, FALSE);
    KeLowerIrql(old);
    ck_assert_uint_eq(len, 8192);
    ck_assert_int_eq(dms_device_dma_write(dev, 32, (uint64_t)la.QuadPart, "from the device", 16,
                                          NULL),
                     0);
    ExFreePool(buf);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert(a->DmaOperations->FlushAdapterBuffers(a, mdl, g.base, buf, 8192, FALSE));
    KeLowerIrql(old);
    ck_assert_uint_eq(count_code(m, DMS_CHECK_FREED_WHILE_MAPPED), 1);
    ck_assert_uint_eq(dms_finding_count(m), 1);
    free_registers(a, g.base, 3);
    IoFreeMdl(mdl);
    a->DmaOperations->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* IoFreeMdl of an MDL still mapped, then FreeMapRegisters: 0xE6/0x10 (registers freed while
 * mapped), and the HAL never reads the freed MDL (its mappings keep what they need). */
START_TEST(test_mdl_freed_while_mapped)
{
    struct dms_machine *m = machine_new(16 * GIB, DMS_PLACE_HIGH_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "nic0", 0);
    ULONG nregs = 0;
    PDMA_ADAPTER a = adapter_new(dev, 32, FALSE, 16384, 2, &nregs);
    uint8_t *buf = pattern_buffer(m, dev, 8192, 3);
    PMDL mdl = mdl_for(buf, 8192);
    struct granted g = {0};
    ULONG len = 8192;
    KIRQL old;

    ck_assert_int_eq(allocate(a, dev, 3, &g), STATUS_SUCCESS);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->MapTransfer(a, mdl, g.base, buf, &len, TRUE);
    KeLowerIrql(old);
    IoFreeMdl(mdl);
    free_registers(a, g.base, 3);
    ck_assert_uint_eq(count_code(m, DMS_E6_FREE_WHILE_MAPPED), 1);
    a->DmaOperations->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* A list request still waiting for map registers when the machine goes: its buffer (the
 * HAL's, for GetScatterGatherList) goes with it. LeakSanitizer fails the test otherwise. */
START_TEST(test_queued_list_at_destroy)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDEVICE_OBJECT dev;
    PDMA_ADAPTER a;
    uint8_t *buf;
    PMDL mdl;
    struct listen one = {0}, two = {0};
    KIRQL old;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 8 * GIB;
    cfg.bounce_pool_bytes = 4 * 4096; /* room for one list at a time */
    m = machine_with(&cfg);
    dev = dms_device_create(m, "disk0", 0);
    a = adapter_new(dev, 24, TRUE, 16384, 2, NULL);
    buf = pattern_buffer(m, dev, 16384, 5);
    mdl = mdl_for(buf, 16384);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(a->DmaOperations->GetScatterGatherList(a, dev, mdl, buf, 16384, on_list,
                                                            &one, TRUE),
                     STATUS_SUCCESS);
    ck_assert_int_eq(a->DmaOperations->GetScatterGatherList(a, dev, mdl, buf, 16384, on_list,
                                                            &two, TRUE),
                     STATUS_SUCCESS);
    KeLowerIrql(old);
    ck_assert_int_eq(one.calls, 1);
    ck_assert_int_eq(two.calls, 0); /* waits for the first list's registers */
    machine_done(m);
}
END_TEST

/* DMA on memory that was never locked or may be paged out: 0xE6/0x0E when it is mapped,
 * whichever routine maps it - paged pool never locked, paged pool described with
 * MmBuildMdlForNonPagedPool (itself reported when built), and an MDL never built at all. */
START_TEST(test_dma_without_locking)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 64, TRUE, 65536, 2, NULL);
    uint8_t *paged = ExAllocatePoolWithTag(PagedPool, 8192, 'gaPT');
    uint8_t *nonpaged = ExAllocatePoolWithTag(NonPagedPool, 8192, 'gaPN');
    PMDL never_locked = IoAllocateMdl(paged, 8192, FALSE, FALSE, NULL);
    PMDL built_paged = IoAllocateMdl(paged, 8192, FALSE, FALSE, NULL);
    PMDL never_built = IoAllocateMdl(nonpaged, 8192, FALSE, FALSE, NULL);
    PMDL mdls[] = {never_locked, built_paged, never_built};
    KIRQL old;

    MmBuildMdlForNonPagedPool(built_paged);
    ck_assert_uint_eq(count_code(m, DMS_CHECK_NOT_NONPAGED), 1);
    for (unsigned i = 0; i < 3; i++) {
        struct listen l = {0};
        size_t before = count_code(m, DMS_E6_NOT_LOCKED);
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        ck_assert_int_eq(a->DmaOperations->GetScatterGatherList(
                             a, dev, mdls[i], MmGetMdlVirtualAddress(mdls[i]), 8192, on_list,
                             &l, TRUE),
                         STATUS_SUCCESS);
        KeLowerIrql(old);
        ck_assert_msg(count_code(m, DMS_E6_NOT_LOCKED) > before, "MDL %u: no 0x0E", i);
        ck_assert_int_eq(l.calls, 1);
        put(a, l.list);
    }
    for (unsigned i = 0; i < 3; i++)
        IoFreeMdl(mdls[i]);
    ExFreePool(paged);
    ExFreePool(nonpaged);
    a->DmaOperations->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* ExFreePool of a buffer mapped directly (a 64-bit device): a finding at the free itself. */
START_TEST(test_pool_freed_while_mapped_direct)
{
    struct dms_machine *m = machine_new(16 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "nic0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 64, TRUE, 16384, 2, NULL);
    uint8_t *buf = ExAllocatePoolWithTag(NonPagedPool, 4096, 'tseT');
    PMDL mdl = mdl_for(buf, 4096);
    struct listen l = {0};
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(a->DmaOperations->GetScatterGatherList(a, dev, mdl, buf, 4096, on_list, &l,
                                                            FALSE),
                     STATUS_SUCCESS);
    KeLowerIrql(old);
    ExFreePool(buf);
    ck_assert_uint_eq(count_code(m, DMS_CHECK_FREED_WHILE_MAPPED), 1);
    /* the device writes where the buffer was: no frame is there any more, a stray access */
    ck_assert_int_eq(dms_device_dma_write(dev, 64, (uint64_t)l.list->Elements[0].Address.QuadPart,
                                          "late", 4, NULL),
                     0);
    ck_assert_uint_eq(count_code(m, DMS_CHECK_STRAY_ACCESS), 1);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->PutScatterGatherList(a, l.list, FALSE);
    KeLowerIrql(old);
    IoFreeMdl(mdl);
    a->DmaOperations->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* IoFreeMdl twice, and of an MDL the driver built in its own memory: a finding each, and
 * nothing read through the pointer. */
START_TEST(test_mdl_freed_twice)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    uint8_t *buf = pattern_buffer(m, dev, 4096, 9);
    PMDL mdl = mdl_for(buf, 4096);
    union {
        MDL mdl;
        uint8_t bytes[sizeof(MDL) + 2 * sizeof(PFN_NUMBER)];
    } own;

    IoFreeMdl(mdl);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    IoFreeMdl(mdl);
    ck_assert_uint_eq(count_code(m, DMS_CHECK_BAD_ARGUMENT), 1);
    MmInitializeMdl(&own.mdl, buf, 4096);
    IoFreeMdl(&own.mdl);
    ck_assert_uint_eq(count_code(m, DMS_CHECK_BAD_ARGUMENT), 2);
    machine_done(m);
}
END_TEST

/* MapTransfer of more than the remaining map registers cover, for a device without
 * scatter/gather: 0xE6/0x0D with the bytes mapped since the last flush and what the registers
 * map at once, and only what they cover is mapped. */
START_TEST(test_map_more_than_registers)
{
    struct dms_machine *m = machine_new(16 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "isa0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, FALSE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 16384, 2);
    PMDL mdl = mdl_for(buf, 16384);
    struct granted g = {0};
    ULONG len = 16384;
    KIRQL old;
    const struct dms_finding *f;

    ck_assert_int_eq(allocate(a, dev, 2, &g), STATUS_SUCCESS);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->MapTransfer(a, mdl, g.base, buf, &len, TRUE);
    KeLowerIrql(old);
    ck_assert_uint_eq(count_code(m, DMS_E6_NOT_FLUSHED), 1);
    f = dms_finding_get(m, dms_finding_count(m) - 1);
    ck_assert_uint_eq(f->p2, 16384);
    ck_assert_uint_eq(f->p3, 2 * 4096);
    ck_assert_uint_eq(len, 8192);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->FlushAdapterBuffers(a, mdl, g.base, buf, len, TRUE);
    KeLowerIrql(old);
    free_registers(a, g.base, 2);
    IoFreeMdl(mdl);
    a->DmaOperations->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* The same mistake on every call of a long run: every finding is counted, the first
 * DMS_FINDING_DETAILS_PER_SITE of each code, routine and device are kept in detail, and the
 * host's memory stays bounded (it grew with every finding before). */
START_TEST(test_findings_bounded)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 64, TRUE, 65536, 2, NULL);
    const unsigned n = 3 * DMS_FINDING_DETAILS_PER_SITE + 7;

    for (unsigned i = 0; i < n; i++)
        a->DmaOperations->GetDmaAlignment(NULL); /* 0xE6/0x19, no device */
    for (unsigned i = 0; i < n; i++) {
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        a->DmaOperations->GetDmaAlignment(a); /* 0xE6/0x13 of disk0's adapter */
        KeLowerIrql(old);
    }
    ck_assert_uint_eq(dms_finding_total(m), 2 * n);
    ck_assert_uint_eq(dms_finding_count(m), 2 * DMS_FINDING_DETAILS_PER_SITE);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_NULL_ADAPTER), n);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_WRONG_IRQL), n);
    ck_assert_uint_eq(dms_finding_total_device(m, "disk0"), n);
    ck_assert_uint_eq(dms_finding_total_device(m, ""), n);
    ck_assert_uint_eq(dms_adapter_stats(a)->findings, n); /* the counters see every one */
    ck_assert_uint_eq(dms_finding_get(m, DMS_FINDING_DETAILS_PER_SITE)->code, DMS_E6_WRONG_IRQL);
    ck_assert_ptr_null(dms_finding_get(m, 2 * DMS_FINDING_DETAILS_PER_SITE));
    dms_findings_clear(m);
    ck_assert_uint_eq(dms_finding_total(m), 0);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_WRONG_IRQL), 0);
    a->DmaOperations->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* Fault injection: the kinds of call a machine makes fail at their rates, each counted, on a
 * PRNG of their own (a rate of 0 draws nothing, so the machine is the same without it). */
START_TEST(test_faults_injected)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDEVICE_OBJECT dev;
    PDMA_ADAPTER a;
    struct granted g = {0};
    PHYSICAL_ADDRESS la;
    uint64_t p0, p1;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 8 * GIB;
    cfg.fault_percent[DMS_FAULT_POOL] = 100;
    cfg.fault_percent[DMS_FAULT_MAP_REGISTERS] = 100;
    cfg.fault_percent[DMS_FAULT_COMMON_BUFFER] = 100;
    cfg.fault_percent[DMS_FAULT_MDL] = 100;
    m = machine_with(&cfg);
    dev = dms_device_create(m, "disk0", 0);
    a = adapter_new(dev, 32, FALSE, 65536, 2, NULL);
    ck_assert_ptr_null(ExAllocatePoolWithTag(NonPagedPool, 4096, 'tlaF'));
    ck_assert_ptr_null(ExAllocatePool2(POOL_FLAG_NON_PAGED, 4096, 'tlaF'));
    ck_assert_ptr_nonnull(dms_buffer_alloc(m, dev, 4096)); /* the simulator's own: never */
    ck_assert_ptr_null(IoAllocateMdl(&g, 16, FALSE, FALSE, NULL));
    ck_assert_ptr_null(a->DmaOperations->AllocateCommonBuffer(a, 4096, &la, FALSE));
    ck_assert_int_eq(allocate(a, dev, 1, &g), STATUS_INSUFFICIENT_RESOURCES);
    ck_assert_int_eq(g.calls, 0);
    ck_assert_uint_eq(dms_faults_injected(m, DMS_FAULT_POOL), 2);
    ck_assert_uint_eq(dms_faults_injected(m, DMS_FAULT_MDL), 1);
    ck_assert_uint_eq(dms_faults_injected(m, DMS_FAULT_COMMON_BUFFER), 1);
    ck_assert_uint_eq(dms_faults_injected(m, DMS_FAULT_MAP_REGISTERS), 1);
    ck_assert_uint_eq(dms_faults_injected(m, DMS_FAULT_CONTIGUOUS), 0);
    ck_assert_uint_eq(dms_finding_total(m), 0); /* a fault is no driver's mistake */
    a->DmaOperations->PutDmaAdapter(a);
    machine_done(m);
    /* rates of 0: the placement is the one a machine without faults makes */
    for (int pass = 0; pass < 2; pass++) {
        dms_machine_config_init(&cfg);
        cfg.ram_bytes = 8 * GIB;
        cfg.fault_seed = pass ? 99 : 0;
        m = machine_with(&cfg);
        dev = dms_device_create(m, "disk0", 0);
        *(pass ? &p1 : &p0) = phys_of(m, dms_buffer_alloc(m, dev, 4096));
        machine_done(m);
    }
    ck_assert_uint_eq(p0, p1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("misuse");
    TCase *tc = tcase_create("misuse");

    tcase_add_test(tc, test_zero_map_registers);
    tcase_add_test(tc, test_list_buffer_reused);
    tcase_add_test(tc, test_pool_freed_while_mapped);
    tcase_add_test(tc, test_mdl_freed_while_mapped);
    tcase_add_test(tc, test_queued_list_at_destroy);
    tcase_add_test(tc, test_dma_without_locking);
    tcase_add_test(tc, test_pool_freed_while_mapped_direct);
    tcase_add_test(tc, test_mdl_freed_twice);
    tcase_add_test(tc, test_map_more_than_registers);
    tcase_add_test(tc, test_findings_bounded);
    tcase_add_test(tc, test_faults_injected);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite);
}
