/*
 * test_cache.c - non-coherent machines: stale data appears exactly when the cache maintenance
 * is skipped, MapTransferEx cleans, FlushAdapterBuffersEx invalidates, KeFlushIoBuffers does
 * either (and nothing on a coherent machine), and bounce pages need none.
 */
#include <stdbool.h>
#include <string.h>

#include "helpers.h"

#define LEN (2 * 4096)

static struct dms_machine *noncoherent(bool metadata, enum dms_placement placement)
{
    struct dms_machine_config cfg;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 16 * GIB;
    cfg.placement = placement;
    cfg.noncoherent = 1;
    cfg.metadata_only = metadata;
    return machine_with(&cfg);
}

struct world {
    struct dms_machine *m;
    PDEVICE_OBJECT dev;
    PDMA_ADAPTER a;
    uint8_t *buf;
    PMDL mdl;
    PVOID base;
    unsigned bits;
};

static void world_init(struct world *w, struct dms_machine *m, unsigned bits, ULONG version)
{
    ULONG n;

    w->m = m;
    w->bits = bits;
    w->dev = dms_device_create(m, "dev0", 0);
    w->a = adapter_new(w->dev, bits, TRUE, 65536, version, &n);
    ck_assert_ptr_nonnull(w->a);
    w->buf = dms_buffer_alloc(m, w->dev, LEN);
    ck_assert_ptr_nonnull(w->buf);
    w->mdl = mdl_for(w->buf, LEN);
}

static IO_ALLOCATION_ACTION keep_registers(PDEVICE_OBJECT dev, PIRP irp, PVOID base, PVOID ctx)
{
    (void)dev;
    (void)irp;
    *(PVOID *)ctx = base;
    return DeallocateObjectKeepRegisters;
}

/* v1: AllocateAdapterChannel, then MapTransfer over the buffer; returns the logical address. */
static uint64_t v1_map(struct world *w, BOOLEAN write)
{
    KIRQL old;
    ULONG len = LEN;
    PHYSICAL_ADDRESS la;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(w->a->DmaOperations->AllocateAdapterChannel(w->a, w->dev, 3, keep_registers,
                                                                 &w->base), STATUS_SUCCESS);
    la = w->a->DmaOperations->MapTransfer(w->a, w->mdl, w->base, MmGetMdlVirtualAddress(w->mdl),
                                          &len, write);
    KeLowerIrql(old);
    ck_assert_uint_eq(len, LEN); /* physically contiguous or bounced: here one fragment */
    return (uint64_t)la.QuadPart;
}

static void v1_unmap(struct world *w, BOOLEAN write)
{
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert(w->a->DmaOperations->FlushAdapterBuffers(w->a, w->mdl, w->base,
                                                       MmGetMdlVirtualAddress(w->mdl), LEN,
                                                       write));
    w->a->DmaOperations->FreeMapRegisters(w->a, w->base, 3);
    KeLowerIrql(old);
}

static struct dms_machine *contiguous_machine(bool metadata)
{
    /* low-first placement: a two-page buffer lands on consecutive frames */
    return noncoherent(metadata, DMS_PLACE_LOW_FIRST);
}

START_TEST(test_coherent_is_free)
{
    struct dms_machine *m = machine_new(16 * GIB, DMS_PLACE_LOW_FIRST);
    struct world w;
    uint8_t got[LEN];
    uint64_t la;

    world_init(&w, m, 64, DEVICE_DESCRIPTION_VERSION2);
    memset(w.buf, 0x11, LEN);
    dms_cpu_wrote(m, w.buf, LEN);
    la = v1_map(&w, TRUE);
    KeFlushIoBuffers(w.mdl, FALSE, TRUE); /* a no-op here */
    dms_device_dma_read(w.dev, 64, la, got, LEN, NULL);
    ck_assert_int_eq(got[0], 0x11);
    v1_unmap(&w, TRUE);
    ck_assert_uint_eq(events_of(DMS_EV_CACHE), 0);
    ck_assert_uint_eq(dms_adapter_stats(w.a)->cache_lines_cleaned, 0);
    ck_assert_uint_eq(dms_cpu_read(m, w.buf, LEN), 0);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    IoFreeMdl(w.mdl);
    machine_done(m);
}
END_TEST

/* The device reads what the CPU wrote: stale unless cleaned first. */
static void write_case(bool metadata, bool flush)
{
    struct dms_machine *m = contiguous_machine(metadata);
    struct world w;
    uint8_t got[LEN];
    uint64_t la;

    world_init(&w, m, 64, DEVICE_DESCRIPTION_VERSION2);
    memset(w.buf, 0x22, LEN);
    dms_cpu_wrote(m, w.buf, LEN);
    la = v1_map(&w, TRUE);
    if (flush)
        KeFlushIoBuffers(w.mdl, FALSE, TRUE);
    memset(got, 0, sizeof(got));
    dms_device_dma_read(w.dev, 64, la, metadata ? NULL : got, LEN, NULL);
    v1_unmap(&w, TRUE);
    if (flush) {
        ck_assert_uint_eq(dms_finding_count(m), 0);
        ck_assert_uint_eq(dms_adapter_stats(w.a)->cache_lines_cleaned, LEN / 64);
        ck_assert_uint_eq(events_of(DMS_EV_CACHE), 1);
        if (!metadata)
            ck_assert_int_eq(got[LEN - 1], 0x22);
    } else {
        ck_assert_finding(m, DMS_CHECK_STALE_DEVICE_READ);
        ck_assert_uint_eq(dms_finding_get(m, 0)->p3, LEN);
        ck_assert_uint_eq(dms_adapter_stats(w.a)->stale_bytes_to_device, LEN);
        ck_assert_ptr_nonnull(strstr(dms_finding_get(m, 0)->message, "KeFlushIoBuffers"));
        if (!metadata)
            ck_assert_int_eq(got[0], 0); /* memory still holds the zeroed page */
    }
    IoFreeMdl(w.mdl);
    machine_done(m);
}

START_TEST(test_write_without_clean_is_stale) { write_case(false, false); }
END_TEST
START_TEST(test_write_with_flush_io_buffers) { write_case(false, true); }
END_TEST
START_TEST(test_metadata_same_findings)
{
    write_case(true, false);
    write_case(true, true);
}
END_TEST

/* The CPU reads what the device wrote: stale unless invalidated after. */
static void read_case(bool flush)
{
    struct dms_machine *m = contiguous_machine(false);
    struct world w;
    uint8_t data[LEN];
    uint64_t la;

    world_init(&w, m, 64, DEVICE_DESCRIPTION_VERSION2);
    memset(data, 0x33, LEN);
    la = v1_map(&w, FALSE);
    dms_device_dma_write(w.dev, 64, la, data, LEN, NULL);
    v1_unmap(&w, FALSE);
    if (flush)
        KeFlushIoBuffers(w.mdl, TRUE, TRUE);
    if (flush) {
        ck_assert_uint_eq(dms_cpu_read(m, w.buf, LEN), 0);
        ck_assert_int_eq(w.buf[100], 0x33);
        ck_assert_uint_eq(dms_adapter_stats(w.a)->cache_lines_invalidated, LEN / 64);
        ck_assert_uint_eq(dms_finding_count(m), 0);
    } else {
        ck_assert_uint_eq(dms_cpu_read(m, w.buf, LEN), LEN);
        ck_assert_int_eq(w.buf[100], 0); /* the CPU sees the old bytes */
        ck_assert_finding(m, DMS_CHECK_STALE_CPU_READ);
        ck_assert_uint_eq(dms_adapter_stats(w.a)->stale_bytes_to_cpu, LEN);
    }
    IoFreeMdl(w.mdl);
    machine_done(m);
}

START_TEST(test_read_without_invalidate_is_stale) { read_case(false); }
END_TEST
START_TEST(test_read_with_flush_io_buffers) { read_case(true); }
END_TEST

/* MapTransferEx cleans before a write; FlushAdapterBuffersEx invalidates after a read. */
START_TEST(test_v3_maintains)
{
    struct dms_machine *m = contiguous_machine(false);
    struct world w;
    struct {
        SCATTER_GATHER_LIST list;
        SCATTER_GATHER_ELEMENT more[4];
    } sg;
    _Alignas(16) UCHAR ctx[DMA_TRANSFER_CONTEXT_SIZE_V1];
    uint8_t got[LEN], data[LEN];
    ULONG len = LEN;
    KIRQL old;
    PDMA_OPERATIONS o;

    world_init(&w, m, 64, DEVICE_DESCRIPTION_VERSION3);
    o = w.a->DmaOperations;
    ck_assert_int_eq(o->InitializeDmaTransferContext(w.a, ctx), STATUS_SUCCESS);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(o->AllocateAdapterChannelEx(w.a, w.dev, ctx, 2, DMA_SYNCHRONOUS_CALLBACK,
                                                 NULL, NULL, &w.base), STATUS_SUCCESS);
    KeLowerIrql(old);
    memset(w.buf, 0x44, LEN);
    dms_cpu_wrote(m, w.buf, LEN);
    ck_assert_int_eq(o->MapTransferEx(w.a, w.mdl, w.base, 0, 0, &len, TRUE, &sg.list, sizeof(sg),
                                      NULL, NULL), STATUS_SUCCESS);
    ck_assert_uint_eq(sg.list.NumberOfElements, 1);
    dms_device_dma_read(w.dev, 64, (uint64_t)sg.list.Elements[0].Address.QuadPart, got, LEN,
                        NULL);
    ck_assert_int_eq(got[LEN - 1], 0x44);
    ck_assert_int_eq(o->FlushAdapterBuffersEx(w.a, w.mdl, w.base, 0, LEN, TRUE), STATUS_SUCCESS);
    ck_assert_uint_eq(dms_adapter_stats(w.a)->cache_lines_cleaned, LEN / 64);
    ck_assert_uint_eq(dms_adapter_stats(w.a)->cache_lines_invalidated, 0); /* a write */
    /* and a read */
    memset(data, 0x55, LEN);
    len = LEN;
    ck_assert_int_eq(o->MapTransferEx(w.a, w.mdl, w.base, 0, 0, &len, FALSE, &sg.list,
                                      sizeof(sg), NULL, NULL), STATUS_SUCCESS);
    dms_device_dma_write(w.dev, 64, (uint64_t)sg.list.Elements[0].Address.QuadPart, data, LEN,
                         NULL);
    ck_assert_int_eq(o->FlushAdapterBuffersEx(w.a, w.mdl, w.base, 0, LEN, FALSE),
                     STATUS_SUCCESS);
    ck_assert_uint_eq(dms_cpu_read(m, w.buf, LEN), 0);
    ck_assert_int_eq(w.buf[7], 0x55);
    ck_assert_uint_eq(dms_adapter_stats(w.a)->cache_lines_invalidated, LEN / 64);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    o->FreeAdapterObject(w.a, DeallocateObject);
    KeLowerIrql(old);
    IoFreeMdl(w.mdl);
    machine_done(m);
}
END_TEST

/* A bounced page is copied by the CPU from its own view: no maintenance needed. */
START_TEST(test_bounced_pages_need_none)
{
    struct dms_machine *m = noncoherent(false, DMS_PLACE_HIGH_FIRST);
    struct world w;
    uint8_t got[LEN];
    uint64_t la;

    world_init(&w, m, 32, DEVICE_DESCRIPTION_VERSION2);
    ck_assert_uint_gt(phys_of(m, w.buf), 4 * GIB);
    memset(w.buf, 0x66, LEN);
    dms_cpu_wrote(m, w.buf, LEN);
    la = v1_map(&w, TRUE);
    dms_device_dma_read(w.dev, 32, la, got, LEN, NULL);
    ck_assert_int_eq(got[LEN / 2], 0x66);
    v1_unmap(&w, TRUE);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    IoFreeMdl(w.mdl);
    machine_done(m);
}
END_TEST

static Suite *cache_suite(void)
{
    Suite *s = suite_create("hal/cache");
    TCase *tc = tcase_create("cache");

    tcase_add_test(tc, test_coherent_is_free);
    tcase_add_test(tc, test_write_without_clean_is_stale);
    tcase_add_test(tc, test_write_with_flush_io_buffers);
    tcase_add_test(tc, test_metadata_same_findings);
    tcase_add_test(tc, test_read_without_invalidate_is_stale);
    tcase_add_test(tc, test_read_with_flush_io_buffers);
    tcase_add_test(tc, test_v3_maintains);
    tcase_add_test(tc, test_bounced_pages_need_none);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(cache_suite);
}
