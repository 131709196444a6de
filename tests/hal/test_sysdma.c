/*
 * test_sysdma.c - system DMA: the 8237 pair (channels, 8- and 16-bit units, the 64/128 KiB
 * boundary, page registers, autoinitialize with ReadDmaCounter) through MapTransfer and
 * KeepObject, and the SoC controller through version 3 (request lines, scatter/gather, the
 * completion routine at DISPATCH_LEVEL, CancelMappedTransfer, ConfigureAdapterChannel).
 */
#include <string.h>

#include "helpers.h"

#define SOC_REGISTER 0xFE001000ULL /* soc_adapter's DeviceAddress; the 8237 ignores it */

static struct dms_machine *machine_sys(uint32_t soc_channels, enum dms_placement placement,
                                       uint64_t lo, uint64_t hi)
{
    struct dms_machine_config cfg;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 8 * GIB;
    cfg.placement = placement;
    cfg.range_start = lo;
    cfg.range_end = hi;
    cfg.soc_dma_channels = soc_channels;
    cfg.soc_dma_request_lines = 8;
    return machine_with(&cfg);
}

static PDMA_ADAPTER isa_adapter(PDEVICE_OBJECT dev, ULONG channel, BOOLEAN autoinit,
                                ULONG version)
{
    DEVICE_DESCRIPTION d;
    ULONG n;

    memset(&d, 0, sizeof(d));
    d.Version = version;
    d.Master = FALSE;
    d.DmaChannel = channel;
    d.DmaWidth = channel < 4 ? Width8Bits : Width16Bits;
    d.AutoInitialize = autoinit;
    d.InterfaceType = Isa;
    d.MaximumLength = 128 * 1024;
    return IoGetDmaAdapter(dev, &d, &n);
}

static PDMA_ADAPTER soc_adapter(PDEVICE_OBJECT dev, ULONG line)
{
    DEVICE_DESCRIPTION d;
    ULONG n;

    memset(&d, 0, sizeof(d));
    d.Version = DEVICE_DESCRIPTION_VERSION3;
    d.Master = FALSE;
    d.DmaRequestLine = line;
    d.DmaWidth = Width32Bits;
    d.DeviceAddress.QuadPart = (LONGLONG)SOC_REGISTER;
    d.MaximumLength = 64 * 1024;
    return IoGetDmaAdapter(dev, &d, &n);
}

static IO_ALLOCATION_ACTION keep(PDEVICE_OBJECT dev, PIRP irp, PVOID base, PVOID ctx)
{
    (void)dev;
    (void)irp;
    *(PVOID *)ctx = base;
    return KeepObject;
}

static PVOID channel(PDMA_ADAPTER a, PDEVICE_OBJECT dev, ULONG nregs)
{
    PVOID base = NULL;
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(a->DmaOperations->AllocateAdapterChannel(a, dev, nregs, keep, &base),
                     STATUS_SUCCESS);
    KeLowerIrql(old);
    return base;
}

static void free_channel(PDMA_ADAPTER a)
{
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->FreeAdapterChannel(a);
    KeLowerIrql(old);
}

static uint32_t request(PDEVICE_OBJECT dev, void *buf, uint32_t len, int to_device, int *tc)
{
    uint32_t moved = 0;

    ck_assert_int_eq(dms_sysdma_request(dev, SOC_REGISTER, buf, len, to_device, &moved, tc), 0);
    return moved;
}

START_TEST(test_binding_rules)
{
    struct dms_machine *m = machine_sys(1, DMS_PLACE_RANDOM, 0, 0);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    DEVICE_DESCRIPTION d;
    ULONG n;

    ck_assert_ptr_null(isa_adapter(dev, 4, FALSE, DEVICE_DESCRIPTION_VERSION2)); /* cascade */
    ck_assert_finding(m, DMS_CHECK_SYSDMA);
    ck_assert_ptr_null(isa_adapter(dev, 8, FALSE, DEVICE_DESCRIPTION_VERSION2));
    memset(&d, 0, sizeof(d));
    d.Version = DEVICE_DESCRIPTION_VERSION2;
    d.DmaChannel = 5;
    d.DmaWidth = Width8Bits; /* channel 5 moves words */
    ck_assert_ptr_null(IoGetDmaAdapter(dev, &d, &n));
    ck_assert_ptr_nonnull(isa_adapter(dev, 5, FALSE, DEVICE_DESCRIPTION_VERSION2));
    ck_assert_ptr_null(soc_adapter(dev, 8)); /* 8 request lines: 0-7 */
    memset(&d, 0, sizeof(d));
    d.Version = DEVICE_DESCRIPTION_VERSION3;
    d.DmaRequestLine = 2;
    d.DmaWidth = MaximumDmaWidth; /* no width the controller moves */
    dms_findings_clear(m);
    ck_assert_ptr_null(IoGetDmaAdapter(dev, &d, &n));
    ck_assert_finding(m, DMS_CHECK_SYSDMA);
    ck_assert_ptr_nonnull(soc_adapter(dev, 7));
    ck_assert_ptr_null(soc_adapter(dev, 6)); /* one channel, taken */
    ck_assert_finding(m, DMS_CHECK_SYSDMA);
    machine_done(m);
}
END_TEST

START_TEST(test_isa_byte_channel)
{
    /* buffers anywhere in 8 GiB: above 16 MiB, so the HAL bounces them below */
    struct dms_machine *m = machine_sys(0, DMS_PLACE_RANDOM, 0, 0);
    PDEVICE_OBJECT dev = dms_device_create(m, "fdc", 0);
    PDMA_ADAPTER a = isa_adapter(dev, 2, FALSE, DEVICE_DESCRIPTION_VERSION2);
    uint8_t *buf = pattern_buffer(m, dev, 3000, 4), got[3000];
    PMDL mdl = mdl_for(buf, 3000);
    PVOID base;
    ULONG len = 3000;
    PHYSICAL_ADDRESS la;
    int tc = 0;
    struct dms_adapter_info info;

    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(dms_adapter_info(a, &info), 0);
    ck_assert_uint_eq(info.address_bits, 24);
    base = channel(a, dev, 2);
    la = a->DmaOperations->MapTransfer(a, mdl, base, MmGetMdlVirtualAddress(mdl), &len, TRUE);
    ck_assert_uint_eq(len, 3000); /* system DMA: the whole range */
    ck_assert_uint_lt((uint64_t)la.QuadPart + 3000, 16 * MIB);
    ck_assert_uint_eq(a->DmaOperations->ReadDmaCounter(a), 3000);
    ck_assert_uint_eq(request(dev, got, 1000, 1, &tc), 1000);
    ck_assert_int_eq(tc, 0);
    ck_assert_uint_eq(a->DmaOperations->ReadDmaCounter(a), 2000);
    ck_assert_uint_eq(request(dev, got + 1000, 5000, 1, &tc), 2000); /* stops at terminal count */
    ck_assert_int_eq(tc, 1);
    ck_assert_uint_eq(a->DmaOperations->ReadDmaCounter(a), 0);
    ck_assert_mem_eq(got, buf, 3000);
    ck_assert_uint_eq(request(dev, got, 10, 1, &tc), 0); /* nothing more programmed */
    ck_assert(a->DmaOperations->FlushAdapterBuffers(a, mdl, base, MmGetMdlVirtualAddress(mdl),
                                                    3000, TRUE));
    free_channel(a);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    IoFreeMdl(mdl);
    machine_done(m);
}
END_TEST

/* A physically contiguous buffer below 16 MiB that crosses a 64 KiB line is bounced into
 * registers that do not; on a word channel the line is at 128 KiB and units are words. */
START_TEST(test_isa_boundary_and_words)
{
    struct dms_machine *m = machine_sys(0, DMS_PLACE_RANGE, 0x10F000, 0x120000);
    PDEVICE_OBJECT dev = dms_device_create(m, "snd", 0);
    PDMA_ADAPTER a8 = isa_adapter(dev, 1, FALSE, DEVICE_DESCRIPTION_VERSION2);
    PDEVICE_OBJECT dev16 = dms_device_create(m, "snd16", 0);
    PDMA_ADAPTER a16 = isa_adapter(dev16, 6, FALSE, DEVICE_DESCRIPTION_VERSION2);
    uint8_t *buf = pattern_buffer(m, dev, 8192, 1);
    PMDL mdl = mdl_for(buf, 8192);
    PVOID base;
    ULONG len = 8192;
    PHYSICAL_ADDRESS la;
    uint64_t pa = phys_of(m, buf);

    ck_assert_ptr_nonnull(a8);
    ck_assert_ptr_nonnull(a16);
    ck_assert_uint_eq(phys_of(m, buf + 4096), pa + 4096);       /* contiguous, */
    ck_assert_uint_ne(pa / 0x10000, (pa + 8191) / 0x10000);      /* across 64 KiB */
    base = channel(a8, dev, 2);
    la = a8->DmaOperations->MapTransfer(a8, mdl, base, MmGetMdlVirtualAddress(mdl), &len, TRUE);
    ck_assert_uint_eq(len, 8192);
    ck_assert_uint_eq((uint64_t)la.QuadPart / 0x10000, ((uint64_t)la.QuadPart + 8191) / 0x10000);
    ck_assert_uint_eq(dms_adapter_stats(a8)->pages_bounced_contiguity, 2);
    a8->DmaOperations->FlushAdapterBuffers(a8, mdl, base, MmGetMdlVirtualAddress(mdl), 8192, TRUE);
    free_channel(a8);
    /* the word channel: 128 KiB lines, so the same buffer goes as it lies */
    base = channel(a16, dev16, 2);
    len = 8192;
    la = a16->DmaOperations->MapTransfer(a16, mdl, base, MmGetMdlVirtualAddress(mdl), &len, TRUE);
    ck_assert_uint_eq((uint64_t)la.QuadPart, pa);
    ck_assert_uint_eq(a16->DmaOperations->ReadDmaCounter(a16), 8192);
    a16->DmaOperations->FlushAdapterBuffers(a16, mdl, base, MmGetMdlVirtualAddress(mdl), 8192,
                                            TRUE);
    /* an odd number of bytes on a word channel: refused */
    len = 8191;
    la = a16->DmaOperations->MapTransfer(a16, mdl, base, MmGetMdlVirtualAddress(mdl), &len, TRUE);
    ck_assert_uint_eq(len, 0);
    ck_assert_finding(m, DMS_CHECK_SYSDMA);
    /* an even number of bytes from an odd address: a word channel cannot name it */
    dms_findings_clear(m);
    len = 4096;
    la = a16->DmaOperations->MapTransfer(a16, mdl, base, (PUCHAR)MmGetMdlVirtualAddress(mdl) + 1,
                                         &len, TRUE);
    ck_assert_uint_eq(len, 0);
    ck_assert_finding(m, DMS_CHECK_SYSDMA);
    ck_assert_ptr_nonnull(strstr(dms_finding_get(m, 0)->message, "even address"));
    /* the byte channel takes it */
    dms_findings_clear(m);
    len = 4096;
    free_channel(a16);
    base = channel(a8, dev, 2);
    la = a8->DmaOperations->MapTransfer(a8, mdl, base, (PUCHAR)MmGetMdlVirtualAddress(mdl) + 1,
                                        &len, TRUE);
    ck_assert_uint_eq(len, 4096);
    a8->DmaOperations->FlushAdapterBuffers(a8, mdl, base, (PUCHAR)MmGetMdlVirtualAddress(mdl) + 1,
                                           4096, TRUE);
    free_channel(a8);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    IoFreeMdl(mdl);
    machine_done(m);
}
END_TEST

/* A common buffer for an 8237 channel lies below 16 MiB and within one 64 KiB (byte channel)
 * line, so an autoinitialized ring can run over it whole. */
START_TEST(test_isa_common_buffer_within_line)
{
    struct dms_machine *m = machine_sys(0, DMS_PLACE_RANDOM, 0, 0);
    PDEVICE_OBJECT dev = dms_device_create(m, "snd", 0);
    PDMA_ADAPTER a = isa_adapter(dev, 1, TRUE, DEVICE_DESCRIPTION_VERSION2);
    static const ULONG pages[] = {15, 2, 3, 9, 16, 7, 1, 12};
    PHYSICAL_ADDRESS la[8];
    PVOID va[8];

    ck_assert_ptr_nonnull(a);
    for (int i = 0; i < 8; i++) {
        uint64_t lo, hi;
        va[i] = a->DmaOperations->AllocateCommonBuffer(a, pages[i] * 4096, &la[i], FALSE);
        ck_assert_ptr_nonnull(va[i]);
        lo = (uint64_t)la[i].QuadPart;
        hi = lo + pages[i] * 4096 - 1;
        ck_assert_uint_lt(hi, 16 * MIB);
        ck_assert_uint_eq(lo >> 16, hi >> 16);
    }
    /* more than a line holds: NULL */
    ck_assert_ptr_null(a->DmaOperations->AllocateCommonBuffer(a, 17 * 4096, &la[0], FALSE));
    for (int i = 0; i < 8; i++)
        a->DmaOperations->FreeCommonBuffer(a, pages[i] * 4096, la[i], va[i], FALSE);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

/* Autoinitialize: a ring in a common buffer, mapped once, played around and around. */
START_TEST(test_isa_autoinit_ring)
{
    struct dms_machine *m = machine_sys(0, DMS_PLACE_RANDOM, 0, 0);
    PDEVICE_OBJECT dev = dms_device_create(m, "audio", 0);
    PDMA_ADAPTER a = isa_adapter(dev, 5, TRUE, DEVICE_DESCRIPTION_VERSION2);
    PHYSICAL_ADDRESS la;
    uint8_t *ring, got[12288];
    PMDL mdl;
    PVOID base;
    ULONG len = 8192;
    int tc = 0;

    ck_assert_ptr_nonnull(a);
    ring = a->DmaOperations->AllocateCommonBuffer(a, 8192, &la, FALSE);
    ck_assert_ptr_nonnull(ring);
    for (int i = 0; i < 8192; i++)
        ring[i] = (uint8_t)(i / 7);
    mdl = mdl_for(ring, 8192);
    base = channel(a, dev, 2);
    ck_assert_uint_eq((uint64_t)a->DmaOperations->MapTransfer(a, mdl, base,
                                                              MmGetMdlVirtualAddress(mdl), &len,
                                                              TRUE).QuadPart,
                      (uint64_t)la.QuadPart); /* a common buffer needs no bounce */
    ck_assert_uint_eq(request(dev, got, 6144, 1, &tc), 6144);
    ck_assert_uint_eq(a->DmaOperations->ReadDmaCounter(a), 2048);
    /* past the end: terminal count, reload, on from the start */
    ck_assert_uint_eq(request(dev, got + 6144, 6144, 1, &tc), 6144);
    ck_assert_int_eq(tc, 1);
    ck_assert_uint_eq(a->DmaOperations->ReadDmaCounter(a), 8192 - 4096);
    ck_assert_mem_eq(got, ring, 8192);
    ck_assert_mem_eq(got + 8192, ring, 4096);
    a->DmaOperations->FlushAdapterBuffers(a, mdl, base, MmGetMdlVirtualAddress(mdl), 8192, TRUE);
    ck_assert_uint_eq(request(dev, got, 16, 1, &tc), 0); /* masked */
    free_channel(a);
    IoFreeMdl(mdl);
    a->DmaOperations->FreeCommonBuffer(a, 8192, la, ring, FALSE);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

/* ---- the SoC controller, version 3 ---------------------------------------------------- */
struct completion {
    int calls;
    KIRQL irql;
    DMA_COMPLETION_STATUS status;
    ULONG length_seen;
    PULONG length;
};

static VOID on_complete(PDMA_ADAPTER a, PDEVICE_OBJECT dev, PVOID ctx, DMA_COMPLETION_STATUS st)
{
    struct completion *c = ctx;

    (void)a;
    (void)dev;
    c->calls++;
    c->irql = KeGetCurrentIrql();
    c->status = st;
    c->length_seen = *c->length;
}

struct soc_world {
    struct dms_machine *m;
    PDEVICE_OBJECT dev;
    PDMA_ADAPTER a;
    _Alignas(16) UCHAR ctx[DMA_TRANSFER_CONTEXT_SIZE_V1];
    PVOID base;
};

static void soc_world(struct soc_world *w)
{
    KIRQL old;

    w->m = machine_sys(2, DMS_PLACE_RANDOM, 0, 0);
    w->dev = dms_device_create(w->m, "uart0", 0);
    w->a = soc_adapter(w->dev, 3);
    ck_assert_ptr_nonnull(w->a);
    ck_assert_int_eq(w->a->DmaOperations->InitializeDmaTransferContext(w->a, w->ctx),
                     STATUS_SUCCESS);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(w->a->DmaOperations->AllocateAdapterChannelEx(
                         w->a, w->dev, w->ctx, 4, DMA_SYNCHRONOUS_CALLBACK, NULL, NULL, &w->base),
                     STATUS_SUCCESS);
    KeLowerIrql(old);
}

START_TEST(test_soc_transfer)
{
    struct soc_world w;
    DMA_ADAPTER_INFO info = {.Version = DMA_ADAPTER_INFO_VERSION1};
    struct completion c = {0};
    ULONG len = 10000, fn = 0;
    uint8_t *buf, got[10000];
    uint32_t moved = 0;
    PMDL mdl;
    int tc = 0;

    soc_world(&w);
    buf = pattern_buffer(w.m, w.dev, 10000, 8);
    mdl = mdl_for(buf, 10000);
    c.length = &len;
    ck_assert_int_eq(w.a->DmaOperations->GetDmaAdapterInfo(w.a, &info), STATUS_SUCCESS);
    ck_assert(info.V1.ReadDmaCounterAvailable);
    ck_assert_uint_eq(info.V1.ScatterGatherLimit, 16);
    ck_assert_uint_eq(info.V1.DmaAddressWidth, 32);
    ck_assert_uint_eq(info.V1.MinimumTransferUnit, 4);
    ck_assert_int_eq(w.a->DmaOperations->ConfigureAdapterChannel(w.a, 1, &fn), STATUS_SUCCESS);
    ck_assert_uint_eq(fn, 0);
    ck_assert_int_eq(w.a->DmaOperations->ConfigureAdapterChannel(w.a, 99, &fn),
                     STATUS_NOT_IMPLEMENTED);
    /* no list buffer: the HAL's own; a completion routine */
    ck_assert_int_eq(w.a->DmaOperations->MapTransferEx(w.a, mdl, w.base, 0, 0, &len, TRUE, NULL,
                                                       0, on_complete, &c), STATUS_SUCCESS);
    ck_assert_uint_eq(len, 10000);
    ck_assert_uint_eq(w.a->DmaOperations->ReadDmaCounter(w.a), 10000);
    /* the device asks for its data register at another address: the channel is aimed
     * elsewhere (DeviceAddress), nothing moves */
    ck_assert_int_eq(dms_sysdma_request(w.dev, SOC_REGISTER + 4, got, 64, 1, &moved, &tc), 0);
    ck_assert_uint_eq(moved, 0);
    ck_assert_finding(w.m, DMS_CHECK_SYSDMA);
    ck_assert_ptr_nonnull(strstr(dms_finding_get(w.m, 0)->message, "DeviceAddress"));
    dms_findings_clear(w.m);
    ck_assert_uint_eq(request(w.dev, got, 64, 1, &tc), 64); /* a FIFO's worth */
    ck_assert_uint_eq(w.a->DmaOperations->ReadDmaCounter(w.a), 10000 - 64);
    ck_assert_uint_eq(request(w.dev, got + 64, 20000, 1, &tc), 10000 - 64);
    ck_assert_int_eq(tc, 1);
    ck_assert_mem_eq(got, buf, 10000);
    dms_machine_run_pending(w.m);
    ck_assert_int_eq(c.calls, 1);
    ck_assert_int_eq(c.irql, DISPATCH_LEVEL);
    ck_assert_int_eq(c.status, DmaComplete);
    ck_assert_uint_eq(c.length_seen, 10000);
    ck_assert_int_eq(w.a->DmaOperations->FlushAdapterBuffersEx(w.a, mdl, w.base, 0, 10000, TRUE),
                     STATUS_SUCCESS);
    /* DeviceOffset moves the channel's end within the device: a FIFO at +0x10 */
    len = 256;
    ck_assert_int_eq(w.a->DmaOperations->MapTransferEx(w.a, mdl, w.base, 0, 0x10, &len, TRUE,
                                                       NULL, 0, on_complete, &c),
                     STATUS_SUCCESS);
    ck_assert_int_eq(dms_sysdma_request(w.dev, SOC_REGISTER, got, 64, 1, &moved, &tc), 0);
    ck_assert_uint_eq(moved, 0);
    ck_assert_finding(w.m, DMS_CHECK_SYSDMA);
    dms_findings_clear(w.m);
    ck_assert_int_eq(dms_sysdma_request(w.dev, SOC_REGISTER + 0x10, got, 256, 1, &moved, &tc),
                     0);
    ck_assert_uint_eq(moved, 256);
    dms_machine_run_pending(w.m);
    ck_assert_int_eq(c.calls, 2);
    ck_assert_int_eq(w.a->DmaOperations->FlushAdapterBuffersEx(w.a, mdl, w.base, 0, 256, TRUE),
                     STATUS_SUCCESS);
    free_channel(w.a);
    ck_assert_uint_eq(dms_finding_count(w.m), 0);
    IoFreeMdl(mdl);
    machine_done(w.m);
}
END_TEST

START_TEST(test_soc_cancel_and_early_flush)
{
    struct soc_world w;
    struct completion c = {0};
    ULONG len = 8192;
    uint8_t *buf, got[8192];
    PMDL mdl;
    int tc = 0;
    SCATTER_GATHER_LIST *sg = NULL;

    soc_world(&w);
    buf = pattern_buffer(w.m, w.dev, 8192, 2);
    mdl = mdl_for(buf, 8192);
    c.length = &len;
    ck_assert_int_eq(w.a->DmaOperations->MapTransferEx(w.a, mdl, w.base, 0, 0, &len, TRUE, NULL,
                                                       0, on_complete, &c), STATUS_SUCCESS);
    ck_assert_uint_eq(request(w.dev, got, 1000, 1, &tc), 1000);
    ck_assert_int_eq(w.a->DmaOperations->CancelMappedTransfer(w.a, w.ctx), STATUS_SUCCESS);
    ck_assert_uint_eq(request(w.dev, got, 1000, 1, &tc), 0); /* it moves no more */
    dms_machine_run_pending(w.m);
    ck_assert_int_eq(c.calls, 1); /* the routine still runs, */
    ck_assert_int_eq(c.status, DmaCancelled); /* saying so */
    ck_assert_int_eq(w.a->DmaOperations->FlushAdapterBuffersEx(w.a, mdl, w.base, 0, 8192, TRUE),
                     STATUS_SUCCESS);
    ck_assert_uint_eq(dms_finding_count(w.m), 0); /* cancelled, so flushing is right */
    len = 4096;
    ck_assert_int_eq(w.a->DmaOperations->MapTransferEx(w.a, mdl, w.base, 0, 0, &len, TRUE, NULL,
                                                       0, NULL, NULL), STATUS_CANCELLED);
    free_channel(w.a);
    /* a fresh grant: flushing a transfer still running is the verifier's 0x23 */
    {
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        ck_assert_int_eq(w.a->DmaOperations->AllocateAdapterChannelEx(
                             w.a, w.dev, w.ctx, 4, DMA_SYNCHRONOUS_CALLBACK, NULL, NULL, &w.base),
                         STATUS_SUCCESS);
        KeLowerIrql(old);
    }
    len = 8192;
    ck_assert_int_eq(w.a->DmaOperations->MapTransferEx(w.a, mdl, w.base, 0, 0, &len, TRUE, sg,
                                                       0, NULL, NULL), STATUS_SUCCESS);
    ck_assert_int_eq(w.a->DmaOperations->FlushAdapterBuffersEx(w.a, mdl, w.base, 0, 8192, TRUE),
                     STATUS_SUCCESS);
    ck_assert_finding(w.m, DMS_E6_CHANNEL_NOT_DONE);
    ck_assert_uint_eq(request(w.dev, got, 100, 1, &tc), 0); /* the flush stopped it */
    free_channel(w.a);
    /* lists are for bus masters only */
    {
        _Alignas(16) UCHAR ctx2[DMA_TRANSFER_CONTEXT_SIZE_V1];
        PSCATTER_GATHER_LIST out = NULL;
        ck_assert_int_eq(w.a->DmaOperations->InitializeDmaTransferContext(w.a, ctx2),
                         STATUS_SUCCESS);
        ck_assert_int_eq(w.a->DmaOperations->GetScatterGatherListEx(
                             w.a, w.dev, ctx2, mdl, 0, 4096, DMA_SYNCHRONOUS_CALLBACK, NULL,
                             NULL, TRUE, NULL, NULL, &out), STATUS_INVALID_PARAMETER);
    }
    IoFreeMdl(mdl);
    machine_done(w.m);
}
END_TEST

/* Version 3 on the 8237: a transfer longer than a channel can carry maps partly. */
START_TEST(test_isa_v3_partial)
{
    struct dms_machine *m = machine_sys(0, DMS_PLACE_RANDOM, 0, 0);
    PDEVICE_OBJECT dev = dms_device_create(m, "tape", 0);
    PDMA_ADAPTER a = isa_adapter(dev, 3, FALSE, DEVICE_DESCRIPTION_VERSION3);
    uint8_t *buf = pattern_buffer(m, dev, 80 * 1024, 3);
    PMDL mdl = mdl_for(buf, 80 * 1024);
    _Alignas(16) UCHAR ctx[DMA_TRANSFER_CONTEXT_SIZE_V1];
    ULONG len = 80 * 1024, nregs = 0;
    PVOID base = NULL;
    KIRQL old;
    struct completion c = {.length = &len};
    DMA_ADAPTER_INFO info = {.Version = DMA_ADAPTER_INFO_VERSION1};

    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->DmaOperations->GetDmaAdapterInfo(a, &info), STATUS_SUCCESS);
    ck_assert_uint_eq(info.V1.ScatterGatherLimit, 1);
    ck_assert_uint_eq(info.V1.DmaAddressWidth, 24);
    ck_assert_int_eq(a->DmaOperations->InitializeDmaTransferContext(a, ctx), STATUS_SUCCESS);
    nregs = 16;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(a->DmaOperations->AllocateAdapterChannelEx(a, dev, ctx, nregs,
                                                                DMA_SYNCHRONOUS_CALLBACK, NULL,
                                                                NULL, &base), STATUS_SUCCESS);
    KeLowerIrql(old);
    /* the 8237 raises no completion interrupt: a routine is reported and never runs */
    ck_assert_int_eq(a->DmaOperations->MapTransferEx(a, mdl, base, 0, 0, &len, FALSE, NULL, 0,
                                                     on_complete, &c), STATUS_SUCCESS);
    ck_assert_finding(m, DMS_CHECK_SYSDMA);
    ck_assert_uint_le(len, 64 * 1024);
    ck_assert_uint_gt(len, 0);
    ck_assert_int_eq(a->DmaOperations->ConfigureAdapterChannel(a, 1, &nregs),
                     STATUS_NOT_IMPLEMENTED);
    a->DmaOperations->FlushAdapterBuffersEx(a, mdl, base, 0, len, FALSE);
    dms_machine_run_pending(m);
    ck_assert_int_eq(c.calls, 0);
    free_channel(a);
    IoFreeMdl(mdl);
    machine_done(m);
}
END_TEST

static Suite *sysdma_suite(void)
{
    Suite *s = suite_create("hal/sysdma");
    TCase *tc = tcase_create("sysdma");

    tcase_add_test(tc, test_binding_rules);
    tcase_add_test(tc, test_isa_byte_channel);
    tcase_add_test(tc, test_isa_boundary_and_words);
    tcase_add_test(tc, test_isa_common_buffer_within_line);
    tcase_add_test(tc, test_isa_autoinit_ring);
    tcase_add_test(tc, test_soc_transfer);
    tcase_add_test(tc, test_soc_cancel_and_early_flush);
    tcase_add_test(tc, test_isa_v3_partial);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(sysdma_suite);
}
