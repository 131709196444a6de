/*
 * test_packet.c - version-1 packet DMA: AllocateAdapterChannel, MapTransfer,
 * FlushAdapterBuffers, FreeMapRegisters, FreeAdapterChannel, and the queueing behind them.
 */
#include <string.h>

#include "helpers.h"

/* What an AdapterControl saw, and what it should answer. */
struct control {
    int calls;
    KIRQL irql;
    PVOID base;
    IO_ALLOCATION_ACTION action;
    int order[8];
    int n_order;
    int tag;
};

static IO_ALLOCATION_ACTION record_control(PDEVICE_OBJECT dev, PIRP irp, PVOID base, PVOID ctx)
{
    struct control *c = ctx;

    (void)dev;
    (void)irp;
    c->calls++;
    c->irql = KeGetCurrentIrql();
    c->base = base;
    return c->action;
}

static struct control *g_order_log;
static IO_ALLOCATION_ACTION ordered_control(PDEVICE_OBJECT dev, PIRP irp, PVOID base, PVOID ctx)
{
    struct control *c = ctx;

    (void)dev;
    (void)irp;
    c->base = base;
    c->calls++;
    g_order_log->order[g_order_log->n_order++] = c->tag;
    return DeallocateObjectKeepRegisters;
}

/* Allocate a channel at DISPATCH_LEVEL, as the routine requires; returns its status. */
static NTSTATUS allocate(PDMA_ADAPTER a, PDEVICE_OBJECT dev, ULONG n, PDRIVER_CONTROL fn,
                         struct control *c)
{
    KIRQL old;
    NTSTATUS st;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    st = a->DmaOperations->AllocateAdapterChannel(a, dev, n, fn, c);
    KeLowerIrql(old);
    return st;
}

static void free_regs(PDMA_ADAPTER a, PVOID base, ULONG n)
{
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->FreeMapRegisters(a, base, n);
    KeLowerIrql(old);
}

START_TEST(test_execution_routine_runs_at_once_at_dispatch)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    struct control c = {.action = DeallocateObject};
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(a->DmaOperations->AllocateAdapterChannel(a, dev, 4, record_control, &c),
                     STATUS_SUCCESS);
    ck_assert_int_eq(c.calls, 1); /* before the call returned */
    KeLowerIrql(old);
    ck_assert_int_eq(c.irql, DISPATCH_LEVEL);
    ck_assert_ptr_nonnull(c.base);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 0); /* DeallocateObject */
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

/* A 32-bit scatter/gather master and a buffer above 4 GiB: bounce pages below 4 GiB holding the
 * buffer's bytes for a write; consecutive map registers make one contiguous fragment. */
START_TEST(test_sg_master_bounces_high_page_on_write)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_HIGH_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 3 * 4096, 11);
    PMDL mdl = mdl_for(buf + 100, 8000);
    struct control c = {.action = DeallocateObjectKeepRegisters};
    uint8_t seen[8000];
    ULONG len = 8000, done = 0;

    ck_assert_uint_ge(phys_of(m, buf), 4 * GIB);
    ck_assert_int_eq(allocate(a, dev, 3, record_control, &c), STATUS_SUCCESS);
    while (done < 8000) {
        PHYSICAL_ADDRESS la;
        len = 8000 - done;
        la = a->DmaOperations->MapTransfer(a, mdl, c.base, buf + 100 + done, &len, TRUE);
        ck_assert_uint_lt((uint64_t)la.QuadPart + len, 4 * GIB);
        ck_assert_uint_gt(len, 0);
        ck_assert_int_eq(dms_device_dma_read(dev, 32, (uint64_t)la.QuadPart, seen + done, len,
                                             NULL), 0);
        done += len;
    }
    ck_assert_mem_eq(seen, buf + 100, 8000);
    ck_assert(a->DmaOperations->FlushAdapterBuffers(a, mdl, c.base, buf + 100, 8000, TRUE));
    free_regs(a, c.base, 3);
    ck_assert_uint_eq(dms_adapter_stats(a)->pages_bounced, 2); /* 8000 bytes from 100 */
    ck_assert_uint_eq(dms_adapter_stats(a)->map_calls, 1);  /* registers 0 and 1: contiguous */
    ck_assert_uint_eq(dms_adapter_stats(a)->bytes_bounced_to_device, 8000);
    ck_assert_uint_eq(dms_adapter_stats(a)->bytes_bounced_from_device, 0);
    ck_assert_uint_eq(dms_adapter_stats(a)->stray_accesses, 0);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

/* A fragment never mixes bounced and direct pages: a low page between high ones splits it, and
 * *Length is shortened at each boundary. */
START_TEST(test_sg_fragment_breaks_at_reachable_page)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_HIGH_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 3 * 4096, 5), *low;
    PMDL mdl = mdl_for(buf, 3 * 4096);
    struct control c = {.action = DeallocateObjectKeepRegisters};
    ULONG lens[3], done = 0;
    int calls = 0;

    /* the middle page swapped for one below 4 GiB: high, low, high */
    ck_assert_int_eq(dms_machine_set_placement(m, DMS_PLACE_LOW_FIRST, 0, 0), 0);
    low = dms_buffer_alloc(m, dev, 4096);
    MmGetMdlPfnArray(mdl)[1] = (PFN_NUMBER)(phys_of(m, low) >> 12);
    ck_assert_int_eq(allocate(a, dev, 3, record_control, &c), STATUS_SUCCESS);
    while (done < 3 * 4096) {
        ULONG len = 3 * 4096 - done;
        a->DmaOperations->MapTransfer(a, mdl, c.base, buf + done, &len, TRUE);
        ck_assert_uint_gt(len, 0);
        lens[calls++] = len;
        done += len;
    }
    ck_assert_int_eq(calls, 3);
    ck_assert_uint_eq(lens[0], 4096);
    ck_assert_uint_eq(lens[1], 4096);
    ck_assert_uint_eq(dms_adapter_stats(a)->pages_bounced, 2);
    ck_assert(a->DmaOperations->FlushAdapterBuffers(a, mdl, c.base, buf, 3 * 4096, TRUE));
    free_regs(a, c.base, 3);
    machine_done(m);
}
END_TEST

/* A read from the device lands in the bounce page, and reaches the buffer only at the flush. */
START_TEST(test_read_copied_back_at_flush)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_HIGH_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 4096, 0);
    PMDL mdl = mdl_for(buf, 4096);
    struct control c = {.action = DeallocateObjectKeepRegisters};
    uint8_t data[4096];
    ULONG len = 4096;
    PHYSICAL_ADDRESS la;

    memset(data, 0xA5, sizeof(data));
    ck_assert_int_eq(allocate(a, dev, 1, record_control, &c), STATUS_SUCCESS);
    la = a->DmaOperations->MapTransfer(a, mdl, c.base, buf, &len, FALSE);
    ck_assert_int_eq(dms_device_dma_write(dev, 32, (uint64_t)la.QuadPart, data, 4096, NULL), 0);
    ck_assert_uint_ne(buf[0], 0xA5); /* not yet: the data sits in the bounce page */
    ck_assert(a->DmaOperations->FlushAdapterBuffers(a, mdl, c.base, buf, 4096, FALSE));
    ck_assert_mem_eq(buf, data, 4096);
    ck_assert_uint_eq(dms_adapter_stats(a)->bytes_bounced_from_device, 4096);
    ck_assert_uint_eq(dms_adapter_stats(a)->bytes_bounced_to_device, 0);
    free_regs(a, c.base, 1);
    /* the event stream the counters come from: one of each step, in order, with the facts */
    ck_assert_uint_eq(events_of(DMS_EV_MAPREG_GRANT), 1);
    ck_assert_uint_eq(events_of(DMS_EV_CALLBACK), 1);
    ck_assert_uint_eq(events_of(DMS_EV_MAP), dms_adapter_stats(a)->map_calls);
    ck_assert_uint_eq(events_of(DMS_EV_BOUNCE_COPY), 1);
    ck_assert_uint_eq(events_of(DMS_EV_FLUSH), 1);
    ck_assert_uint_eq(events_of(DMS_EV_MAPREG_FREE), 1);
    for (size_t i = 0, last = 0; i < tp.n_events; i++) {
        const struct dms_event *ev = &tp.events[i];
        if (ev->type == DMS_EV_BOUNCE_COPY) {
            ck_assert_uint_eq(ev->write_to_device, 0);
            ck_assert_uint_eq(ev->length, 4096);
            ck_assert_uint_eq(ev->logical, (uint64_t)la.QuadPart);
            ck_assert_str_eq(ev->routine, "FlushAdapterBuffers");
        }
        if (ev->type == DMS_EV_MAP || ev->type == DMS_EV_BOUNCE_COPY ||
            ev->type == DMS_EV_MAPREG_FREE) {
            ck_assert_uint_ge(ev->type == DMS_EV_MAP ? 1 : 2, last); /* map, copy, free */
            last = ev->type == DMS_EV_MAP ? 1 : 2;
            ck_assert_str_eq(ev->device, "disk0");
        }
    }
    machine_done(m);
}
END_TEST

/* Pages the device reaches pass through: logical == physical, no copy. */
START_TEST(test_reachable_pages_not_bounced)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_LOW_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 4 * 4096, 3);
    PMDL mdl = mdl_for(buf, 4 * 4096);
    struct control c = {.action = DeallocateObjectKeepRegisters};
    ULONG len = 4 * 4096;
    PHYSICAL_ADDRESS la;

    ck_assert_int_eq(allocate(a, dev, 4, record_control, &c), STATUS_SUCCESS);
    la = a->DmaOperations->MapTransfer(a, mdl, c.base, buf, &len, TRUE);
    ck_assert_uint_eq((uint64_t)la.QuadPart, phys_of(m, buf));
    ck_assert_uint_eq(len, 4 * 4096); /* physically contiguous: one fragment */
    ck_assert(a->DmaOperations->FlushAdapterBuffers(a, mdl, c.base, buf, len, TRUE));
    free_regs(a, c.base, 4);
    ck_assert_uint_eq(dms_adapter_stats(a)->pages_bounced, 0);
    ck_assert_uint_eq(dms_adapter_stats(a)->pages_mapped, 4);
    machine_done(m);
}
END_TEST

/* A 64-bit master on the same machine never bounces, even high pages. */
START_TEST(test_64bit_master_direct)
{
    struct dms_machine *m = machine_new(64 * GIB, DMS_PLACE_HIGH_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    ULONG n;
    PDMA_ADAPTER a = adapter_new(dev, 64, TRUE, 65536, 2, &n);
    uint8_t *buf = pattern_buffer(m, dev, 2 * 4096, 3);
    PMDL mdl = mdl_for(buf, 2 * 4096);
    struct control c = {.action = DeallocateObjectKeepRegisters};
    ULONG len = 2 * 4096;
    PHYSICAL_ADDRESS la;

    ck_assert_int_eq(allocate(a, dev, 2, record_control, &c), STATUS_SUCCESS);
    la = a->DmaOperations->MapTransfer(a, mdl, c.base, buf, &len, TRUE);
    ck_assert_uint_eq((uint64_t)la.QuadPart, phys_of(m, buf));
    ck_assert_uint_ge((uint64_t)la.QuadPart, 60 * GIB);
    ck_assert(a->DmaOperations->FlushAdapterBuffers(a, mdl, c.base, buf, len, TRUE));
    free_regs(a, c.base, 2);
    ck_assert_uint_eq(dms_adapter_stats(a)->pages_bounced, 0);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_peak, 0); /* none were needed */
    machine_done(m);
}
END_TEST

/* A master without scatter/gather gets the whole range, *Length unchanged, as one contiguous
 * logical range through consecutive map registers. */
START_TEST(test_non_sg_whole_range_contiguous)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "legacy0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, FALSE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 5 * 4096, 9);
    PMDL mdl = mdl_for(buf + 300, 4 * 4096);
    struct control c = {.action = DeallocateObjectKeepRegisters};
    uint8_t seen[4 * 4096];
    ULONG len = 4 * 4096;
    PHYSICAL_ADDRESS la;

    ck_assert_int_eq(allocate(a, dev, 5, record_control, &c), STATUS_SUCCESS);
    la = a->DmaOperations->MapTransfer(a, mdl, c.base, buf + 300, &len, TRUE);
    ck_assert_uint_eq(len, 4 * 4096); /* output == input */
    ck_assert_uint_eq((uint64_t)la.QuadPart & 4095, 300); /* the offset is kept */
    ck_assert_int_eq(dms_device_dma_read(dev, 32, (uint64_t)la.QuadPart, seen, len, NULL), 0);
    ck_assert_mem_eq(seen, buf + 300, len);
    ck_assert(a->DmaOperations->FlushAdapterBuffers(a, mdl, c.base, buf + 300, len, TRUE));
    free_regs(a, c.base, 5);
    ck_assert_uint_eq(dms_adapter_stats(a)->pages_bounced, 5);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_calls, 1);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

/* The same device with a physically contiguous, reachable buffer: no copy at all. */
START_TEST(test_non_sg_contiguous_buffer_direct)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_LOW_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "legacy0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, FALSE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 4 * 4096, 9);
    PMDL mdl = mdl_for(buf, 4 * 4096);
    struct control c = {.action = DeallocateObjectKeepRegisters};
    ULONG len = 4 * 4096;
    PHYSICAL_ADDRESS la;

    ck_assert_int_eq(allocate(a, dev, 4, record_control, &c), STATUS_SUCCESS);
    la = a->DmaOperations->MapTransfer(a, mdl, c.base, buf, &len, FALSE);
    ck_assert_uint_eq((uint64_t)la.QuadPart, phys_of(m, buf));
    ck_assert(a->DmaOperations->FlushAdapterBuffers(a, mdl, c.base, buf, len, FALSE));
    free_regs(a, c.base, 4);
    ck_assert_uint_eq(dms_adapter_stats(a)->pages_bounced, 0);
    machine_done(m);
}
END_TEST

/* The docs' example: 12 map registers needed, 5 granted: three MapTransfer calls. */
struct split {
    PDMA_ADAPTER a;
    PMDL mdl;
    uint8_t *buf;
    uint8_t seen[12 * 4096];
    int rounds;
};

static IO_ALLOCATION_ACTION split_control(PDEVICE_OBJECT dev, PIRP irp, PVOID base, PVOID ctx)
{
    struct split *s = ctx;
    ULONG done = 0;

    (void)irp;
    while (done < 12 * 4096) {
        ULONG len = 12 * 4096 - done < 5 * 4096 ? 12 * 4096 - done : 5 * 4096;
        PHYSICAL_ADDRESS la =
            s->a->DmaOperations->MapTransfer(s->a, s->mdl, base, s->buf + done, &len, TRUE);
        dms_device_dma_read(dev, 32, (uint64_t)la.QuadPart, s->seen + done, len, NULL);
        s->a->DmaOperations->FlushAdapterBuffers(s->a, s->mdl, base, s->buf + done, len, TRUE);
        done += len;
        s->rounds++;
    }
    return DeallocateObject; /* everything is flushed: the registers may go */
}

START_TEST(test_split_12_needed_5_granted)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "legacy0", 0);
    ULONG n;
    struct split s = {0};

    s.a = adapter_new(dev, 32, FALSE, 16384, 2, &n);
    ck_assert_uint_eq(n, 5); /* BYTES_TO_PAGES(16 KiB) + 1 */
    s.buf = pattern_buffer(m, dev, 12 * 4096, 1);
    s.mdl = mdl_for(s.buf, 12 * 4096);
    ck_assert_uint_eq(ADDRESS_AND_SIZE_TO_SPAN_PAGES(s.buf, 12 * 4096), 12);
    ck_assert_int_eq(allocate(s.a, dev, 5, split_control, (struct control *)&s), STATUS_SUCCESS);
    ck_assert_int_eq(s.rounds, 3);
    ck_assert_mem_eq(s.seen, s.buf, sizeof(s.seen));
    ck_assert_uint_eq(dms_adapter_stats(s.a)->map_calls, 3);
    ck_assert_uint_eq(dms_adapter_stats(s.a)->transfers, 3);
    ck_assert_uint_eq(dms_adapter_stats(s.a)->map_registers_in_use, 0);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

START_TEST(test_more_than_granted_is_insufficient)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    ULONG n;
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, &n);
    struct control c = {.action = DeallocateObject};

    ck_assert_int_eq(allocate(a, dev, n + 1, record_control, &c), STATUS_INSUFFICIENT_RESOURCES);
    ck_assert_int_eq(c.calls, 0); /* neither called nor queued */
    dms_machine_run_pending(m);
    ck_assert_int_eq(c.calls, 0);
    ck_assert_finding(m, DMS_E6_TOO_MANY_MAP_REGISTERS);
    machine_done(m);
}
END_TEST

/* KeepObject keeps the channel: the next request waits until FreeAdapterChannel. */
START_TEST(test_keep_object_holds_channel)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "legacy0", 0);
    PDEVICE_OBJECT dev2 = dms_device_create(m, "legacy1", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, FALSE, 65536, 2, NULL);
    struct control c1 = {.action = KeepObject}, c2 = {.action = DeallocateObject};
    KIRQL old;

    ck_assert_int_eq(allocate(a, dev, 4, record_control, &c1), STATUS_SUCCESS);
    ck_assert_int_eq(allocate(a, dev2, 4, record_control, &c2), STATUS_SUCCESS);
    ck_assert_int_eq(c2.calls, 0);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 4);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->FreeAdapterChannel(a);
    ck_assert_int_eq(c2.calls, 0); /* it runs as its own event, not inside the free */
    KeLowerIrql(old);
    ck_assert_int_eq(c2.calls, 1);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 0);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_register_waits, 1);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

/* DeallocateObjectKeepRegisters frees the channel at once but keeps the registers. */
START_TEST(test_keep_registers_frees_channel_only)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "legacy0", 0);
    PDEVICE_OBJECT dev2 = dms_device_create(m, "legacy1", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, FALSE, 65536, 2, NULL);
    struct control c1 = {.action = DeallocateObjectKeepRegisters};
    struct control c2 = {.action = DeallocateObjectKeepRegisters};
    uint32_t free_before = dms_adapter_free_map_registers(a);

    ck_assert_int_eq(allocate(a, dev, 4, record_control, &c1), STATUS_SUCCESS);
    ck_assert_int_eq(allocate(a, dev2, 3, record_control, &c2), STATUS_SUCCESS);
    ck_assert_int_eq(c2.calls, 1); /* the channel was free */
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 7);
    ck_assert_uint_eq(dms_adapter_free_map_registers(a), free_before - 7);
    free_regs(a, c1.base, 4);
    free_regs(a, c2.base, 3);
    ck_assert_uint_eq(dms_adapter_free_map_registers(a), free_before);
    free_regs(a, c2.base, 3); /* twice */
    ck_assert_finding(m, DMS_E6_MAPREG_DOUBLE_FREE);
    machine_done(m);
}
END_TEST

/* Requests that cannot get registers wait in FIFO order, across adapters sharing the pool. */
START_TEST(test_fifo_queue_when_registers_run_out)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDEVICE_OBJECT dev[3];
    PDMA_ADAPTER a[3];
    struct control c[3] = {{.tag = 0}, {.tag = 1}, {.tag = 2}};
    struct control log = {0};

    dms_machine_config_init(&cfg);
    cfg.bounce_pool_bytes = 8 * 4096; /* 8 bounce pages shared by every 32-bit adapter */
    m = machine_with(&cfg);
    g_order_log = &log;
    for (int i = 0; i < 3; i++) {
        char name[8] = {'d', 'e', 'v', (char)('0' + i), 0};
        dev[i] = dms_device_create(m, name, 0);
        a[i] = adapter_new(dev[i], 32, TRUE, 65536, 2, NULL);
    }
    ck_assert_int_eq(allocate(a[0], dev[0], 8, ordered_control, &c[0]), STATUS_SUCCESS);
    tp.now_ns = 1000;
    ck_assert_int_eq(allocate(a[1], dev[1], 6, ordered_control, &c[1]), STATUS_SUCCESS);
    ck_assert_int_eq(allocate(a[2], dev[2], 1, ordered_control, &c[2]), STATUS_SUCCESS);
    ck_assert_int_eq(log.n_order, 1); /* both wait; the small one does not overtake */
    tp.now_ns = 6000;
    free_regs(a[0], c[0].base, 8);
    ck_assert_int_eq(log.n_order, 3);
    ck_assert_int_eq(log.order[1], 1);
    ck_assert_int_eq(log.order[2], 2);
    ck_assert_uint_eq(dms_adapter_stats(a[1])->map_register_waits, 1);
    ck_assert_uint_eq(dms_adapter_stats(a[1])->map_register_wait_ns, 5000);
    ck_assert_uint_eq(dms_adapter_stats(a[2])->map_register_wait_ns, 5000);
    ck_assert_uint_eq(dms_adapter_stats(a[0])->map_register_waits, 0);
    free_regs(a[1], c[1].base, 6);
    free_regs(a[2], c[2].base, 1);
    machine_done(m);
}
END_TEST

START_TEST(test_one_request_per_device_object)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDEVICE_OBJECT dev, other;
    PDMA_ADAPTER a;
    struct control c1 = {.action = DeallocateObjectKeepRegisters}, c2 = c1, c3 = c1;

    dms_machine_config_init(&cfg);
    cfg.bounce_pool_bytes = 4 * 4096;
    m = machine_with(&cfg);
    dev = dms_device_create(m, "disk0", 0);
    other = dms_device_create(m, "disk1", 0);
    a = adapter_new(dev, 32, TRUE, 8192, 2, NULL);
    ck_assert_int_eq(allocate(a, other, 3, record_control, &c1), STATUS_SUCCESS);
    ck_assert_int_eq(allocate(a, dev, 3, record_control, &c2), STATUS_SUCCESS); /* waits */
    ck_assert_int_eq(c2.calls, 0);
    ck_assert_int_eq(allocate(a, dev, 1, record_control, &c3), STATUS_INSUFFICIENT_RESOURCES);
    ck_assert_finding(m, DMS_E6_TOO_MANY_CHANNELS);
    free_regs(a, c1.base, 3);
    ck_assert_int_eq(c2.calls, 1);
    ck_assert_int_eq(c3.calls, 0);
    machine_done(m);
}
END_TEST

START_TEST(test_misuse_findings)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_HIGH_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 2 * 4096, 0);
    PMDL mdl = mdl_for(buf, 4096);
    struct control c = {.action = DeallocateObjectKeepRegisters};
    ULONG len = 0;
    KIRQL old;

    ck_assert_int_eq(allocate(a, dev, 2, record_control, &c), STATUS_SUCCESS);
    a->DmaOperations->MapTransfer(a, mdl, c.base, buf, &len, TRUE);
    ck_assert_finding(m, DMS_E6_ZERO_LENGTH);
    len = 8192; /* past the MDL's 4096 bytes: clipped */
    a->DmaOperations->MapTransfer(a, mdl, c.base, buf, &len, TRUE);
    ck_assert_uint_eq(len, 4096);
    ck_assert_int_eq(dms_finding_get(m, dms_finding_count(m) - 1)->code,
                     DMS_E6_INSUFFICIENT_BUFFER);
    len = 100;
    a->DmaOperations->MapTransfer(a, mdl, c.base, buf + 5000, &len, TRUE);
    ck_assert_finding(m, DMS_E6_INVALID_BUFFER);
    ck_assert(!a->DmaOperations->FlushAdapterBuffers(a, mdl, c.base, buf + 8, 4088, TRUE));
    ck_assert_finding(m, DMS_E6_FLUSH_NEVER_MAPPED);
    free_regs(a, c.base, 2); /* still mapped */
    ck_assert_finding(m, DMS_E6_FREE_WHILE_MAPPED);
    ck_assert(!a->DmaOperations->FlushAdapterBuffers(a, mdl, c.base, buf, 4096, TRUE));
    ck_assert_finding(m, DMS_E6_FLUSH_NOT_MAPPED);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->FreeAdapterChannel(a); /* nothing was kept with KeepObject */
    KeLowerIrql(old);
    ck_assert_finding(m, DMS_E6_CHANNEL_DOUBLE_FREE);
    machine_done(m);
}
END_TEST

/* Flushing a read with WriteToDevice=TRUE is reported, and the device's data is lost, as on
 * Windows: the flush's direction decides the copy. */
START_TEST(test_wrong_direction_flush_loses_data)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_HIGH_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 4096, 0);
    PMDL mdl = mdl_for(buf, 4096);
    struct control c = {.action = DeallocateObjectKeepRegisters};
    uint8_t data[4096], before = buf[0];
    ULONG len = 4096;
    PHYSICAL_ADDRESS la;

    memset(data, 0x5A, sizeof(data));
    ck_assert_int_eq(allocate(a, dev, 1, record_control, &c), STATUS_SUCCESS);
    la = a->DmaOperations->MapTransfer(a, mdl, c.base, buf, &len, FALSE);
    dms_device_dma_write(dev, 32, (uint64_t)la.QuadPart, data, len, NULL);
    a->DmaOperations->FlushAdapterBuffers(a, mdl, c.base, buf, 4096, TRUE);
    ck_assert_finding(m, DMS_CHECK_DIRECTION);
    ck_assert_uint_eq(buf[0], before);
    free_regs(a, c.base, 1);
    machine_done(m);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("hal/packet");
    TCase *tc = tcase_create("packet");

    tcase_add_test(tc, test_execution_routine_runs_at_once_at_dispatch);
    tcase_add_test(tc, test_sg_master_bounces_high_page_on_write);
    tcase_add_test(tc, test_sg_fragment_breaks_at_reachable_page);
    tcase_add_test(tc, test_read_copied_back_at_flush);
    tcase_add_test(tc, test_reachable_pages_not_bounced);
    tcase_add_test(tc, test_64bit_master_direct);
    tcase_add_test(tc, test_non_sg_whole_range_contiguous);
    tcase_add_test(tc, test_non_sg_contiguous_buffer_direct);
    tcase_add_test(tc, test_split_12_needed_5_granted);
    tcase_add_test(tc, test_more_than_granted_is_insufficient);
    tcase_add_test(tc, test_keep_object_holds_channel);
    tcase_add_test(tc, test_keep_registers_frees_channel_only);
    tcase_add_test(tc, test_fifo_queue_when_registers_run_out);
    tcase_add_test(tc, test_one_request_per_device_object);
    tcase_add_test(tc, test_misuse_findings);
    tcase_add_test(tc, test_wrong_direction_flush_loses_data);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(make);
}
