/*
 * test_v3.c - the version-3 routines for bus masters: the description, the information
 * routines, transfer contexts, AllocateAdapterChannelEx (asynchronous and synchronous),
 * CancelAdapterChannel, FreeAdapterObject, MapTransferEx, FlushAdapterBuffersEx, the Ex list
 * routines, common buffers with bounds, and the documented differences from versions 1 and 2.
 */
#include <string.h>

#include "helpers.h"

static PDMA_OPERATIONS ops(PDMA_ADAPTER a)
{
    return a->DmaOperations;
}

static PDMA_ADAPTER v3_adapter(PDEVICE_OBJECT dev, unsigned bits, BOOLEAN sg, ULONG max,
                               ULONG *nregs)
{
    PDMA_ADAPTER a = adapter_new(dev, bits, sg, max, DEVICE_DESCRIPTION_VERSION3, nregs);

    ck_assert_ptr_nonnull(a);
    return a;
}

/* A context, initialised. */
struct ctxbuf {
    _Alignas(16) UCHAR bytes[DMA_TRANSFER_CONTEXT_SIZE_V1];
};

static PVOID new_context(PDMA_ADAPTER a, struct ctxbuf *c)
{
    memset(c, 0xA5, sizeof(*c));
    ck_assert_int_eq(ops(a)->InitializeDmaTransferContext(a, c->bytes), STATUS_SUCCESS);
    return c->bytes;
}

/* What an ExecutionRoutine saw. */
struct seen {
    int calls;
    KIRQL irql;
    PVOID base;
    IO_ALLOCATION_ACTION action;
};

static IO_ALLOCATION_ACTION exec_routine(PDEVICE_OBJECT dev, PIRP irp, PVOID base, PVOID ctx)
{
    struct seen *s = ctx;

    (void)dev;
    (void)irp;
    s->calls++;
    s->irql = KeGetCurrentIrql();
    s->base = base;
    return s->action;
}

static NTSTATUS alloc_ex(PDMA_ADAPTER a, PDEVICE_OBJECT dev, PVOID ctx, ULONG n, ULONG flags,
                         struct seen *s, PVOID *base)
{
    KIRQL old;
    NTSTATUS st;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    st = ops(a)->AllocateAdapterChannelEx(a, dev, ctx, n, flags, s ? exec_routine : NULL, s,
                                          base);
    KeLowerIrql(old);
    return st;
}

static void at_dispatch_free_object(PDMA_ADAPTER a, IO_ALLOCATION_ACTION action)
{
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ops(a)->FreeAdapterObject(a, action);
    KeLowerIrql(old);
}

/* ---------------------------------------------------------------------------------------------
 * The description and the table.
 */
START_TEST(test_description_v3)
{
    struct dms_machine *m = machine_new(64 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    struct dms_adapter_info info;
    DEVICE_DESCRIPTION d;
    ULONG n = 0;
    PDMA_ADAPTER a;

    memset(&d, 0, sizeof(d));
    d.Version = DEVICE_DESCRIPTION_VERSION3;
    d.Master = TRUE;
    d.ScatterGather = TRUE;
    d.Dma64BitAddresses = TRUE; /* ignored by version 3 */
    d.Dma32BitAddresses = TRUE; /* ignored */
    d.DmaAddressWidth = 36;
    d.InterfaceType = PCIBus;
    d.MaximumLength = 65536;
    a = IoGetDmaAdapter(dev, &d, &n);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->Version, 1); /* "always 1" */
    ck_assert_int_eq(dms_adapter_info(a, &info), 0);
    ck_assert_uint_eq(info.address_bits, 36);
    ck_assert_uint_eq(info.max_address, (1ULL << 36) - 1);
    ck_assert(info.needs_map_registers); /* 64 GiB of memory is beyond 36 bits */
    /* the whole table, through CreateCommonBufferFromMdl, and no member NULL */
    ck_assert_uint_eq(ops(a)->Size, sizeof(DMA_OPERATIONS));
    for (size_t off = offsetof(DMA_OPERATIONS, PutDmaAdapter); off < sizeof(DMA_OPERATIONS);
         off += sizeof(void (*)(void))) {
        void (*member)(void);
        memcpy(&member, (const char *)ops(a) + off, sizeof(member));
        ck_assert_msg(member != NULL, "DMA_OPERATIONS member at offset %zu is NULL", off);
    }

    d.DmaAddressWidth = 0; /* required for a bus master */
    ck_assert_ptr_null(IoGetDmaAdapter(dev, &d, &n));
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    d.DmaAddressWidth = 65;
    ck_assert_ptr_null(IoGetDmaAdapter(dev, &d, &n));
    d.Version = 4;
    ck_assert_ptr_null(IoGetDmaAdapter(dev, &d, &n));
    ck_assert_finding(m, DMS_E6_UNKNOWN_VERSION);
    machine_done(m);
}
END_TEST

START_TEST(test_adapter_info)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    ULONG n;
    PDMA_ADAPTER a = v3_adapter(dev, 32, TRUE, 65536, &n);
    PDMA_ADAPTER b = v3_adapter(dev, 32, FALSE, 65536, NULL);
    DMA_ADAPTER_INFO info;

    memset(&info, 0, sizeof(info));
    info.Version = DMA_ADAPTER_INFO_VERSION1;
    ck_assert_int_eq(ops(a)->GetDmaAdapterInfo(a, &info), STATUS_SUCCESS);
    ck_assert_uint_eq(info.V1.DmaAddressWidth, 32);
    ck_assert_uint_eq(info.V1.ScatterGatherLimit, n);
    ck_assert_uint_eq(info.V1.ReadDmaCounterAvailable, FALSE);
    ck_assert_uint_eq(info.V1.MinimumTransferUnit, 1);
    ck_assert_int_eq(ops(b)->GetDmaAdapterInfo(b, &info), STATUS_SUCCESS);
    ck_assert_uint_eq(info.V1.ScatterGatherLimit, 1); /* no scatter/gather: one element */
    info.Version = 2;
    ck_assert_int_eq(ops(a)->GetDmaAdapterInfo(a, &info), STATUS_NOT_SUPPORTED);
    machine_done(m);
}
END_TEST

START_TEST(test_transfer_info)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    PDMA_ADAPTER a = v3_adapter(dev, 32, TRUE, 65536, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 40000, 1);
    PMDL mdl = mdl_for(buf + 100, 30000);
    DMA_TRANSFER_INFO ti;
    ULONG size = 0, regs = 0;

    ck_assert_int_eq(ops(a)->CalculateScatterGatherList(a, mdl, MmGetMdlVirtualAddress(mdl),
                                                        30000, &size, &regs), STATUS_SUCCESS);
    memset(&ti, 0, sizeof(ti));
    ti.Version = DMA_TRANSFER_INFO_VERSION1;
    ck_assert_int_eq(ops(a)->GetDmaTransferInfo(a, mdl, 0, 30000, FALSE, &ti), STATUS_SUCCESS);
    ck_assert_uint_eq(ti.V1.MapRegisterCount, regs);
    ck_assert_uint_eq(ti.V1.ScatterGatherListSize, size);
    ck_assert_uint_ge(ti.V1.ScatterGatherElementCount, 1);
    ck_assert_uint_le(ti.V1.ScatterGatherElementCount, regs);
    ti.Version = DMA_TRANSFER_INFO_VERSION2;
    ck_assert_int_eq(ops(a)->GetDmaTransferInfo(a, mdl, 4096, 8192, TRUE, &ti), STATUS_SUCCESS);
    ck_assert_uint_eq(ti.V2.LogicalPageCount, 3); /* 100+4096 .. +8192 spans three pages */
    ck_assert_uint_eq(ti.V2.MapRegisterCount, 3);
    ti.Version = 3;
    ck_assert_int_eq(ops(a)->GetDmaTransferInfo(a, mdl, 0, 100, FALSE, &ti),
                     STATUS_NOT_SUPPORTED);
    ti.Version = DMA_TRANSFER_INFO_VERSION1;
    ck_assert_int_eq(ops(a)->GetDmaTransferInfo(a, mdl, 30000, 1, FALSE, &ti),
                     STATUS_INVALID_PARAMETER); /* Offset 0..N-1 */
    ck_assert_int_eq(ops(a)->GetDmaTransferInfo(a, mdl, 10, 29991, FALSE, &ti),
                     STATUS_INVALID_PARAMETER); /* Length 1..N-Offset */
    ck_assert_int_eq(ops(a)->GetDmaTransferInfo(a, mdl, 10, 0, FALSE, &ti),
                     STATUS_INVALID_PARAMETER);
    IoFreeMdl(mdl);
    machine_done(m);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Contexts and the channel.
 */
START_TEST(test_context_rules)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    PDMA_ADAPTER a = v3_adapter(dev, 32, TRUE, 65536, NULL);
    struct ctxbuf raw;
    struct seen s = {.action = DeallocateObject};

    ck_assert_int_eq(ops(a)->InitializeDmaTransferContext(a, NULL), STATUS_INVALID_PARAMETER);
    memset(&raw, 0, sizeof(raw)); /* never initialised */
    ck_assert_int_eq(alloc_ex(a, dev, raw.bytes, 1, 0, &s, NULL), STATUS_INVALID_PARAMETER);
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    ck_assert_int_eq(s.calls, 0);
    machine_done(m);
}
END_TEST

START_TEST(test_allocate_ex_arguments)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    ULONG n;
    PDMA_ADAPTER a = v3_adapter(dev, 32, TRUE, 65536, &n);
    struct ctxbuf c;
    PVOID ctx = new_context(a, &c);
    struct seen s = {.action = DeallocateObject};
    PVOID base = NULL;

    /* MapRegisterBase without the flag; neither a routine nor a base; a routine and a base */
    ck_assert_int_eq(alloc_ex(a, dev, ctx, 1, 0, NULL, &base), STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(alloc_ex(a, dev, ctx, 1, DMA_SYNCHRONOUS_CALLBACK, NULL, NULL),
                     STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(alloc_ex(a, dev, ctx, 1, DMA_SYNCHRONOUS_CALLBACK, &s, &base),
                     STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(alloc_ex(a, dev, ctx, 1, 0x10, &s, NULL), STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(alloc_ex(a, dev, ctx, n + 1, 0, &s, NULL), STATUS_INSUFFICIENT_RESOURCES);
    ck_assert_finding(m, DMS_E6_TOO_MANY_MAP_REGISTERS);
    ck_assert_int_eq(s.calls, 0);
    machine_done(m);
}
END_TEST

START_TEST(test_allocate_ex_async)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    PDMA_ADAPTER a = v3_adapter(dev, 32, TRUE, 65536, NULL);
    struct ctxbuf c1, c2;
    PVOID x1 = new_context(a, &c1), x2 = new_context(a, &c2);
    struct seen s1 = {.action = KeepObject}, s2 = {.action = DeallocateObject};
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(ops(a)->AllocateAdapterChannelEx(a, dev, x1, 2, 0, exec_routine, &s1,
                                                      NULL), STATUS_SUCCESS);
    ck_assert_int_eq(s1.calls, 1); /* free: at once */
    ck_assert_int_eq(s1.irql, DISPATCH_LEVEL);
    /* a second request from the same device object: allowed with its own context; it waits
     * for the channel the first one kept */
    ck_assert_int_eq(ops(a)->AllocateAdapterChannelEx(a, dev, x2, 2, 0, exec_routine, &s2,
                                                      NULL), STATUS_SUCCESS);
    ck_assert_int_eq(s2.calls, 0);
    /* the same context again while it is outstanding: refused */
    ck_assert_int_eq(ops(a)->AllocateAdapterChannelEx(a, dev, x2, 2, 0, exec_routine, &s2,
                                                      NULL), STATUS_INVALID_PARAMETER);
    ops(a)->FreeAdapterChannel(a); /* KeepObject: the channel and registers go */
    KeLowerIrql(old);
    dms_machine_run_pending(m);
    ck_assert_int_eq(s2.calls, 1);
    ck_assert_int_eq(s2.irql, DISPATCH_LEVEL);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 0);
    machine_done(m);
}
END_TEST

START_TEST(test_allocate_ex_sync)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    PDMA_ADAPTER a = v3_adapter(dev, 32, TRUE, 65536, NULL);
    struct ctxbuf c1, c2;
    PVOID x1 = new_context(a, &c1), x2 = new_context(a, &c2);
    struct seen s = {.action = DeallocateObjectKeepRegisters};
    PVOID base = NULL, base2 = NULL;
    KIRQL old;

    /* with a routine: it runs in the caller's thread before the call returns */
    ck_assert_int_eq(alloc_ex(a, dev, x1, 3, DMA_SYNCHRONOUS_CALLBACK, &s, NULL),
                     STATUS_SUCCESS);
    ck_assert_int_eq(s.calls, 1);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 3);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ops(a)->FreeMapRegisters(a, s.base, 3);
    KeLowerIrql(old);
    /* without a routine: the base comes back, and the caller holds the adapter */
    ck_assert_int_eq(alloc_ex(a, dev, x1, 2, DMA_SYNCHRONOUS_CALLBACK, NULL, &base),
                     STATUS_SUCCESS);
    ck_assert_ptr_nonnull(base);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 2);
    /* the adapter is held: another synchronous request cannot be granted at once, and it is
     * neither run nor queued */
    s.calls = 0;
    ck_assert_int_eq(alloc_ex(a, dev, x2, 1, DMA_SYNCHRONOUS_CALLBACK, &s, NULL),
                     STATUS_INSUFFICIENT_RESOURCES);
    at_dispatch_free_object(a, KeepObject); /* "has no effect" */
    ck_assert_int_eq(alloc_ex(a, dev, x2, 1, DMA_SYNCHRONOUS_CALLBACK, NULL, &base2),
                     STATUS_INSUFFICIENT_RESOURCES);
    at_dispatch_free_object(a, DeallocateObjectKeepRegisters);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 2); /* kept */
    dms_machine_run_pending(m);
    ck_assert_int_eq(s.calls, 0);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ops(a)->FreeMapRegisters(a, base, 2);
    KeLowerIrql(old);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 0);
    /* DeallocateObject frees the registers with the adapter */
    ck_assert_int_eq(alloc_ex(a, dev, x2, 4, DMA_SYNCHRONOUS_CALLBACK, NULL, &base2),
                     STATUS_SUCCESS);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 4);
    at_dispatch_free_object(a, DeallocateObject);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 0);
    /* and nothing is held any more */
    at_dispatch_free_object(a, DeallocateObject);
    ck_assert_finding(m, DMS_E6_CHANNEL_DOUBLE_FREE);
    machine_done(m);
}
END_TEST

START_TEST(test_cancel_adapter_channel)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    PDMA_ADAPTER a = v3_adapter(dev, 32, TRUE, 65536, NULL);
    struct ctxbuf c1, c2, c3;
    PVOID x1 = new_context(a, &c1), x2 = new_context(a, &c2), x3 = new_context(a, &c3);
    struct seen s1 = {.action = KeepObject}, s2 = {.action = DeallocateObject};
    struct seen s3 = {.action = DeallocateObject};
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(ops(a)->AllocateAdapterChannelEx(a, dev, x1, 1, 0, exec_routine, &s1,
                                                      NULL), STATUS_SUCCESS);
    ck_assert_int_eq(ops(a)->AllocateAdapterChannelEx(a, dev, x2, 1, 0, exec_routine, &s2,
                                                      NULL), STATUS_SUCCESS);
    /* cancel before grant: TRUE, and the routine never runs */
    ck_assert(ops(a)->CancelAdapterChannel(a, dev, x2));
    /* after grant: FALSE */
    ck_assert_int_eq(s1.calls, 1);
    ck_assert(!ops(a)->CancelAdapterChannel(a, dev, x1));
    ops(a)->FreeAdapterChannel(a);
    KeLowerIrql(old);
    dms_machine_run_pending(m);
    ck_assert_int_eq(s2.calls, 0);
    /* the cancel holds for the requests made later with that context */
    ck_assert_int_eq(alloc_ex(a, dev, x2, 1, 0, &s2, NULL), STATUS_CANCELLED);
    new_context(a, &c2);
    ck_assert_int_eq(alloc_ex(a, dev, x2, 1, 0, &s2, NULL), STATUS_SUCCESS);
    ck_assert_int_eq(s2.calls, 1);
    /* cancelled before any request is made: the later requests with it are cancelled */
    ck_assert(ops(a)->CancelAdapterChannel(a, dev, x3));
    ck_assert_int_eq(alloc_ex(a, dev, x3, 1, 0, &s3, NULL), STATUS_CANCELLED);
    ck_assert_int_eq(alloc_ex(a, dev, x3, 1, 0, &s3, NULL), STATUS_CANCELLED);
    ck_assert_int_eq(s3.calls, 0);
    new_context(a, &c3); /* re-initialised: usable again */
    ck_assert_int_eq(alloc_ex(a, dev, x3, 1, 0, &s3, NULL), STATUS_SUCCESS);
    ck_assert_int_eq(s3.calls, 1);
    machine_done(m);
}
END_TEST

START_TEST(test_cancel_after_grant_false)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    PDMA_ADAPTER a = v3_adapter(dev, 32, TRUE, 65536, NULL);
    struct ctxbuf c;
    PVOID x = new_context(a, &c);
    struct seen s = {.action = KeepObject};
    KIRQL old;

    ck_assert_int_eq(alloc_ex(a, dev, x, 1, 0, &s, NULL), STATUS_SUCCESS);
    ck_assert_int_eq(s.calls, 1);
    /* granted, its routine kept the adapter: too late to cancel, and the context may carry
     * the next request */
    ck_assert(!ops(a)->CancelAdapterChannel(a, dev, x));
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ops(a)->FreeAdapterChannel(a);
    KeLowerIrql(old);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 0);
    ck_assert_int_eq(alloc_ex(a, dev, x, 1, 0, &s, NULL), STATUS_SUCCESS);
    ck_assert_int_eq(s.calls, 2);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ops(a)->FreeAdapterChannel(a);
    KeLowerIrql(old);
    machine_done(m);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Mapping.
 */
struct sgbuf {
    SCATTER_GATHER_LIST list;
    SCATTER_GATHER_ELEMENT more[64];
};

START_TEST(test_map_transfer_ex_bounce)
{
    struct dms_machine *m = machine_new(16 * GIB, DMS_PLACE_HIGH_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    PDMA_ADAPTER a = v3_adapter(dev, 32, TRUE, 65536, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 3 * 4096, 9);
    PMDL mdl = mdl_for(buf, 3 * 4096);
    struct ctxbuf c;
    PVOID x = new_context(a, &c), base = NULL;
    struct sgbuf sg;
    ULONG len = 3 * 4096;
    uint8_t got[3 * 4096];
    uint32_t stray = 1, at = 0;

    ck_assert_uint_gt(phys_of(m, buf), 4 * GIB); /* above the device's reach */
    ck_assert_int_eq(alloc_ex(a, dev, x, 3, DMA_SYNCHRONOUS_CALLBACK, NULL, &base),
                     STATUS_SUCCESS);
    ck_assert_int_eq(ops(a)->MapTransferEx(a, mdl, base, 0, 0, &len, TRUE, &sg.list,
                                           sizeof(sg), NULL, NULL), STATUS_SUCCESS);
    ck_assert_uint_eq(len, 3 * 4096);
    ck_assert_uint_ge(sg.list.NumberOfElements, 1);
    for (ULONG i = 0; i < sg.list.NumberOfElements; i++) {
        ck_assert_uint_lt((uint64_t)sg.list.Elements[i].Address.QuadPart, 4 * GIB);
        ck_assert_int_eq(dms_device_dma_read(dev, 32, (uint64_t)sg.list.Elements[i].Address.QuadPart,
                                             got + at, sg.list.Elements[i].Length, &stray), 0);
        ck_assert_uint_eq(stray, 0);
        at += sg.list.Elements[i].Length;
    }
    ck_assert_mem_eq(got, buf, sizeof(got)); /* the bounce pages hold the data */
    ck_assert_uint_eq(dms_adapter_stats(a)->pages_bounced_above_limit, 3);
    ck_assert_int_eq(ops(a)->FlushAdapterBuffersEx(a, mdl, base, 0, 3 * 4096, TRUE),
                     STATUS_SUCCESS);
    at_dispatch_free_object(a, DeallocateObject);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    IoFreeMdl(mdl);
    machine_done(m);
}
END_TEST

START_TEST(test_map_transfer_ex_read_and_flush)
{
    struct dms_machine *m = machine_new(16 * GIB, DMS_PLACE_HIGH_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    PDMA_ADAPTER a = v3_adapter(dev, 32, TRUE, 65536, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 2 * 4096, 0);
    PMDL mdl = mdl_for(buf, 2 * 4096);
    struct ctxbuf c;
    PVOID x = new_context(a, &c), base = NULL;
    struct sgbuf sg;
    ULONG len = 2 * 4096;
    uint8_t data[2 * 4096];
    uint32_t at = 0;

    memset(data, 0x5C, sizeof(data));
    ck_assert_int_eq(alloc_ex(a, dev, x, 2, DMA_SYNCHRONOUS_CALLBACK, NULL, &base),
                     STATUS_SUCCESS);
    ck_assert_int_eq(ops(a)->MapTransferEx(a, mdl, base, 0, 0, &len, FALSE, &sg.list,
                                           sizeof(sg), NULL, NULL), STATUS_SUCCESS);
    for (ULONG i = 0; i < sg.list.NumberOfElements; i++) {
        dms_device_dma_write(dev, 32, (uint64_t)sg.list.Elements[i].Address.QuadPart,
                             data + at, sg.list.Elements[i].Length, NULL);
        at += sg.list.Elements[i].Length;
    }
    ck_assert(buf[0] != 0x5C); /* still in the bounce pages */
    /* a flush at another offset than the mapping's: an error with a status */
    ck_assert_int_eq(ops(a)->FlushAdapterBuffersEx(a, mdl, base, 4096, 4096, FALSE),
                     STATUS_INVALID_PARAMETER);
    ck_assert_finding(m, DMS_E6_FLUSH_NEVER_MAPPED);
    ck_assert_int_eq(ops(a)->FlushAdapterBuffersEx(a, mdl, base, 0, 2 * 4096, FALSE),
                     STATUS_SUCCESS);
    ck_assert_mem_eq(buf, data, sizeof(data)); /* copied back */
    /* nothing mapped any more */
    ck_assert_int_eq(ops(a)->FlushAdapterBuffersEx(a, mdl, base, 0, 2 * 4096, FALSE),
                     STATUS_INVALID_PARAMETER);
    ck_assert_finding(m, DMS_E6_FLUSH_NOT_MAPPED);
    at_dispatch_free_object(a, DeallocateObject);
    IoFreeMdl(mdl);
    machine_done(m);
}
END_TEST

START_TEST(test_map_transfer_ex_partial)
{
    struct dms_machine *m = machine_new(16 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    PDMA_ADAPTER a = v3_adapter(dev, 32, TRUE, 65536, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 8 * 4096, 3);
    PMDL mdl = mdl_for(buf, 8 * 4096);
    struct ctxbuf c;
    PVOID x = new_context(a, &c), base = NULL;
    struct sgbuf sg;
    ULONG len = 8 * 4096;
    ULONG one = (ULONG)(offsetof(SCATTER_GATHER_LIST, Elements) + sizeof(SCATTER_GATHER_ELEMENT));

    /* three registers for eight pages: MapTransferEx maps what they cover, with success */
    ck_assert_int_eq(alloc_ex(a, dev, x, 3, DMA_SYNCHRONOUS_CALLBACK, NULL, &base),
                     STATUS_SUCCESS);
    ck_assert_int_eq(ops(a)->MapTransferEx(a, mdl, base, 0, 0, &len, TRUE, &sg.list,
                                           sizeof(sg), NULL, NULL), STATUS_SUCCESS);
    ck_assert_uint_eq(len, 3 * 4096);
    ck_assert_int_eq(ops(a)->FlushAdapterBuffersEx(a, mdl, base, 0, len, TRUE), STATUS_SUCCESS);
    /* the next part, on the same registers after the flush */
    len = 5 * 4096;
    ck_assert_int_eq(ops(a)->MapTransferEx(a, mdl, base, 3 * 4096, 0, &len, TRUE, &sg.list,
                                           sizeof(sg), NULL, NULL), STATUS_SUCCESS);
    ck_assert_uint_eq(len, 3 * 4096);
    ck_assert_int_eq(ops(a)->FlushAdapterBuffersEx(a, mdl, base, 3 * 4096, len, TRUE),
                     STATUS_SUCCESS);
    /* a buffer for one element: the first fragment only */
    len = 2 * 4096;
    ck_assert_int_eq(ops(a)->MapTransferEx(a, mdl, base, 6 * 4096, 0, &len, TRUE, &sg.list,
                                           one, NULL, NULL), STATUS_SUCCESS);
    ck_assert_uint_eq(sg.list.NumberOfElements, 1);
    ck_assert_uint_eq(len, sg.list.Elements[0].Length);
    ck_assert_int_eq(ops(a)->FlushAdapterBuffersEx(a, mdl, base, 6 * 4096, len, TRUE),
                     STATUS_SUCCESS);
    /* refused: no buffer (a bus master needs one), one too small, a DeviceOffset */
    len = 4096;
    ck_assert_int_eq(ops(a)->MapTransferEx(a, mdl, base, 0, 0, &len, TRUE, NULL, 0, NULL, NULL),
                     STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(ops(a)->MapTransferEx(a, mdl, base, 0, 0, &len, TRUE, &sg.list, one - 1,
                                           NULL, NULL), STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(ops(a)->MapTransferEx(a, mdl, base, 0, 16, &len, TRUE, &sg.list,
                                           sizeof(sg), NULL, NULL), STATUS_INVALID_PARAMETER);
    at_dispatch_free_object(a, DeallocateObject);
    IoFreeMdl(mdl);
    machine_done(m);
}
END_TEST

START_TEST(test_map_transfer_ex_chain)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    PDMA_ADAPTER a = v3_adapter(dev, 64, TRUE, 65536, NULL);
    uint8_t *b1 = pattern_buffer(m, dev, 4096, 1), *b2 = pattern_buffer(m, dev, 8192, 2);
    PMDL m1 = mdl_for(b1 + 1000, 3000), m2 = mdl_for(b2, 6000);
    struct ctxbuf c;
    PVOID x = new_context(a, &c), base = NULL;
    struct sgbuf sg;
    ULONG len = 5000, total = 0;

    m1->Next = m2;
    ck_assert_int_eq(alloc_ex(a, dev, x, 4, DMA_SYNCHRONOUS_CALLBACK, NULL, &base),
                     STATUS_SUCCESS);
    /* from offset 2000: 1000 bytes of the first MDL, then 4000 of the second */
    ck_assert_int_eq(ops(a)->MapTransferEx(a, m1, base, 2000, 0, &len, TRUE, &sg.list,
                                           sizeof(sg), NULL, NULL), STATUS_SUCCESS);
    ck_assert_uint_eq(len, 5000);
    for (ULONG i = 0; i < sg.list.NumberOfElements; i++)
        total += sg.list.Elements[i].Length;
    ck_assert_uint_eq(total, 5000);
    ck_assert_uint_eq((uint64_t)sg.list.Elements[0].Address.QuadPart, phys_of(m, b1 + 3000));
    ck_assert_int_eq(ops(a)->FlushAdapterBuffersEx(a, m1, base, 2000, 5000, TRUE),
                     STATUS_SUCCESS);
    at_dispatch_free_object(a, DeallocateObject);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    m1->Next = NULL;
    IoFreeMdl(m1);
    IoFreeMdl(m2);
    machine_done(m);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Lists.
 */
struct list_seen {
    int calls;
    KIRQL irql;
    PSCATTER_GATHER_LIST list;
};

static VOID list_routine(PDEVICE_OBJECT dev, PIRP irp, PSCATTER_GATHER_LIST sg, PVOID ctx)
{
    struct list_seen *s = ctx;

    (void)dev;
    (void)irp;
    s->calls++;
    s->irql = KeGetCurrentIrql();
    s->list = sg;
}

START_TEST(test_get_list_ex)
{
    struct dms_machine *m = machine_new(16 * GIB, DMS_PLACE_HIGH_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    PDMA_ADAPTER a = v3_adapter(dev, 32, TRUE, 65536, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 4 * 4096, 5);
    PMDL mdl = mdl_for(buf, 4 * 4096);
    struct ctxbuf c1, c2;
    PVOID x1 = new_context(a, &c1), x2 = new_context(a, &c2), base = NULL;
    struct list_seen s = {0};
    PSCATTER_GATHER_LIST out = NULL;
    KIRQL old;

    /* asynchronous, called at PASSIVE_LEVEL (allowed: <= DISPATCH_LEVEL) */
    ck_assert_int_eq(ops(a)->GetScatterGatherListEx(a, dev, x1, mdl, 4096, 3 * 4096, 0,
                                                    list_routine, &s, TRUE, NULL, NULL, NULL),
                     STATUS_SUCCESS);
    ck_assert_int_eq(s.calls, 1);
    ck_assert_int_eq(s.irql, DISPATCH_LEVEL);
    ck_assert_uint_eq(dms_finding_count(m), 0); /* no IRQL complaint, unlike v1 */
    /* when the routine has returned: the adapter is free (a synchronous request gets it at
     * once) and the context can carry a new request; the list keeps its registers */
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 3);
    ck_assert_int_eq(alloc_ex(a, dev, x1, 1, DMA_SYNCHRONOUS_CALLBACK, NULL, &base),
                     STATUS_SUCCESS);
    at_dispatch_free_object(a, DeallocateObject);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ops(a)->PutScatterGatherList(a, s.list, TRUE);
    KeLowerIrql(old);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 0);

    /* synchronous without a routine: the list comes back; the adapter stays held until
     * FreeAdapterObject */
    ck_assert_int_eq(ops(a)->GetScatterGatherListEx(a, dev, x2, mdl, 0, 4 * 4096,
                                                    DMA_SYNCHRONOUS_CALLBACK, NULL, NULL, FALSE,
                                                    NULL, NULL, &out), STATUS_SUCCESS);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_ge(out->NumberOfElements, 1);
    ck_assert_int_eq(alloc_ex(a, dev, x1, 1, DMA_SYNCHRONOUS_CALLBACK, NULL, &base),
                     STATUS_INSUFFICIENT_RESOURCES);
    at_dispatch_free_object(a, DeallocateObjectKeepRegisters);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 4);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ops(a)->PutScatterGatherList(a, out, FALSE);
    KeLowerIrql(old);
    /* refused: no routine without the flag; flag, no routine, nowhere to put the list */
    ck_assert_int_eq(ops(a)->GetScatterGatherListEx(a, dev, x2, mdl, 0, 4096, 0, NULL, NULL,
                                                    TRUE, NULL, NULL, NULL),
                     STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(ops(a)->GetScatterGatherListEx(a, dev, x2, mdl, 0, 4096,
                                                    DMA_SYNCHRONOUS_CALLBACK, NULL, NULL, TRUE,
                                                    NULL, NULL, NULL),
                     STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(ops(a)->GetScatterGatherListEx(a, dev, x2, mdl, 4 * 4096, 1, 0,
                                                    list_routine, &s, TRUE, NULL, NULL, NULL),
                     STATUS_INVALID_PARAMETER); /* Offset past the chain */
    /* version 1's GetScatterGatherList at PASSIVE_LEVEL is an IRQL violation */
    ck_assert_int_eq(ops(a)->GetScatterGatherList(a, dev, mdl, MmGetMdlVirtualAddress(mdl), 4096,
                                                  list_routine, &s, TRUE), STATUS_SUCCESS);
    ck_assert_finding(m, DMS_E6_WRONG_IRQL);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ops(a)->PutScatterGatherList(a, s.list, TRUE);
    KeLowerIrql(old);
    IoFreeMdl(mdl);
    machine_done(m);
}
END_TEST

START_TEST(test_build_list_ex)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    PDMA_ADAPTER a = v3_adapter(dev, 64, TRUE, 65536, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 4 * 4096, 5);
    PMDL mdl = mdl_for(buf, 4 * 4096);
    struct ctxbuf c;
    PVOID x = new_context(a, &c);
    struct list_seen s = {0};
    DMA_TRANSFER_INFO ti = {.Version = DMA_TRANSFER_INFO_VERSION1};
    static UCHAR space[4096];
    PSCATTER_GATHER_LIST out = NULL;
    KIRQL old;

    ck_assert_int_eq(ops(a)->GetDmaTransferInfo(a, mdl, 0, 4 * 4096, TRUE, &ti), STATUS_SUCCESS);
    ck_assert_int_eq(ops(a)->BuildScatterGatherListEx(a, dev, x, mdl, 0, 4 * 4096, 0,
                                                      list_routine, &s, TRUE, space,
                                                      ti.V1.ScatterGatherListSize - 1, NULL,
                                                      NULL, NULL), STATUS_BUFFER_TOO_SMALL);
    ck_assert_int_eq(ops(a)->BuildScatterGatherListEx(a, dev, x, mdl, 0, 4 * 4096,
                                                      DMA_SYNCHRONOUS_CALLBACK, list_routine,
                                                      &s, TRUE, space,
                                                      ti.V1.ScatterGatherListSize, NULL, NULL,
                                                      &out), STATUS_SUCCESS);
    ck_assert_int_eq(s.calls, 1);
    ck_assert_ptr_eq(s.list, (PSCATTER_GATHER_LIST)space); /* the list is the caller's buffer */
    ck_assert_ptr_eq(out, (PSCATTER_GATHER_LIST)space);
    ck_assert_uint_eq(s.list->NumberOfElements, ti.V1.ScatterGatherElementCount);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ops(a)->PutScatterGatherList(a, s.list, TRUE);
    KeLowerIrql(old);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    IoFreeMdl(mdl);
    machine_done(m);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Common buffers.
 */
START_TEST(test_common_buffer_bounds)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    PDMA_ADAPTER a = v3_adapter(dev, 64, TRUE, 65536, NULL);
    PHYSICAL_ADDRESS la, lo, hi;
    MEMORY_CACHING_TYPE ct = MmNonCached;
    PVOID va;

    hi.QuadPart = 16 * MIB - 1;
    va = ops(a)->AllocateCommonBufferEx(a, &hi, 3 * 4096, &la, TRUE, MM_ANY_NODE_OK);
    ck_assert_ptr_nonnull(va);
    ck_assert_uint_le((uint64_t)la.QuadPart + 3 * 4096 - 1, 16 * MIB - 1);
    ck_assert_uint_eq(phys_of(m, va), (uint64_t)la.QuadPart);
    ops(a)->FreeCommonBuffer(a, 3 * 4096, la, va, TRUE);
    va = ops(a)->AllocateCommonBufferEx(a, NULL, 4096, &la, TRUE, 0);
    ck_assert_ptr_nonnull(va);
    ops(a)->FreeCommonBuffer(a, 4096, la, va, TRUE);

    lo.QuadPart = 2 * GIB;
    hi.QuadPart = 2 * GIB + 64 * 4096 - 1;
    va = ops(a)->AllocateCommonBufferWithBounds(a, &lo, &hi, 8192, 0, &ct, 0, &la);
    ck_assert_ptr_nonnull(va);
    ck_assert_uint_ge((uint64_t)la.QuadPart, 2 * GIB);
    ck_assert_uint_le((uint64_t)la.QuadPart + 8191, (uint64_t)hi.QuadPart);
    ops(a)->FreeCommonBuffer(a, 8192, la, va, TRUE);
    ct = MmWriteCombined; /* only MmNonCached and MmCached */
    ck_assert_ptr_null(ops(a)->AllocateCommonBufferWithBounds(a, &lo, &hi, 8192, 0, &ct, 0, &la));
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    ck_assert_ptr_null(ops(a)->AllocateCommonBufferWithBounds(a, &hi, &lo, 8192, 0, NULL, 0, &la));
    ck_assert_ptr_null(ops(a)->AllocateCommonBufferWithBounds(a, &lo, &hi, 8192, 4, NULL, 0, &la));
    /* a window smaller than the buffer: nothing */
    hi.QuadPart = 2 * GIB + 4095;
    ck_assert_ptr_null(ops(a)->AllocateCommonBufferWithBounds(a, &lo, &hi, 8192, 0, NULL, 0, &la));
    machine_done(m);
}
END_TEST

static Suite *v3_suite(void)
{
    Suite *s = suite_create("hal/v3");
    TCase *tc = tcase_create("v3");

    tcase_add_test(tc, test_description_v3);
    tcase_add_test(tc, test_adapter_info);
    tcase_add_test(tc, test_transfer_info);
    tcase_add_test(tc, test_context_rules);
    tcase_add_test(tc, test_allocate_ex_arguments);
    tcase_add_test(tc, test_allocate_ex_async);
    tcase_add_test(tc, test_allocate_ex_sync);
    tcase_add_test(tc, test_cancel_adapter_channel);
    tcase_add_test(tc, test_cancel_after_grant_false);
    tcase_add_test(tc, test_map_transfer_ex_bounce);
    tcase_add_test(tc, test_map_transfer_ex_read_and_flush);
    tcase_add_test(tc, test_map_transfer_ex_partial);
    tcase_add_test(tc, test_map_transfer_ex_chain);
    tcase_add_test(tc, test_get_list_ex);
    tcase_add_test(tc, test_build_list_ex);
    tcase_add_test(tc, test_common_buffer_bounds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(v3_suite);
}
