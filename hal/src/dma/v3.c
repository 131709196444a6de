/*
 * v3.c - the version-3 DMA routines (DEVICE_DESCRIPTION_VERSION3, Windows 8 and later):
 * transfer contexts, GetDmaAdapterInfo and GetDmaTransferInfo, the Ex allocation, mapping and
 * list routines, FreeAdapterObject, CancelAdapterChannel, and the common-buffer variants with
 * address bounds.
 *
 * What differs from versions 1 and 2, as the reference (3.7) documents it, and how it is kept:
 * - Every allocation request names a DMA transfer context the driver initialised. A context
 *   carries one request at a time; CancelAdapterChannel finds the request by it, and a context
 *   cancelled before any request is made cancels the requests made with it later.
 * - Because requests are told apart by context, a device object may have several outstanding
 *   (AllocateAdapterChannel allows one).
 * - DMA_SYNCHRONOUS_CALLBACK: the request is granted in the caller's thread or fails with
 *   STATUS_INSUFFICIENT_RESOURCES; it never queues. Without an ExecutionRoutine the caller
 *   gets the MapRegisterBase (or the list) and holds the adapter until FreeAdapterObject.
 * - Offsets are byte offsets into an MDL chain, not CurrentVa; MapTransferEx writes elements
 *   into the caller's buffer and may map less than asked (STATUS_SUCCESS, shorter *Length);
 *   FlushAdapterBuffersEx reports misuse with a status.
 * - After an AdapterListControl of GetScatterGatherListEx returns, the adapter and the
 *   request's resources (its context) are released. The docs contradict each other on the map
 *   registers (reference 7.7); dmasim keeps them with the list until PutScatterGatherList,
 *   since the list's addresses point at them while the device works.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dma.h"

_Static_assert(sizeof(struct tctx) <= DMA_TRANSFER_CONTEXT_SIZE_V1,
               "a transfer context must fit the driver's DMA_TRANSFER_CONTEXT_SIZE_V1 bytes");

/* ---------------------------------------------------------------------------------------------
 * Transfer contexts.
 */
static struct tctx *tctx_get(struct adapter *ad, const char *routine, PVOID p)
{
    struct tctx *t = p;

    if (p == NULL || t->magic != TCTX_MAGIC || t->version != DMA_TRANSFER_CONTEXT_VERSION1) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, (uintptr_t)p, 0, 0,
                    "%s with a DmaTransferContext %s", routine,
                    p == NULL ? "of NULL" : "that InitializeDmaTransferContext did not set up");
        return NULL;
    }
    return t;
}

/* A context may carry a new request when no other is outstanding with it; once cancelled it
 * refuses them until InitializeDmaTransferContext sets it up again. */
static NTSTATUS tctx_claim(struct adapter *ad, const char *routine, struct tctx *t)
{
    if (t->state == TCTX_CANCELLED)
        return STATUS_CANCELLED;
    if (t->state != TCTX_IDLE && t->state != TCTX_GRANTED) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, t->state, 0, 0,
                    "%s with a DmaTransferContext another request still uses (each "
                    "outstanding request needs its own)", routine);
        return STATUS_INVALID_PARAMETER;
    }
    t->ad = ad;
    return STATUS_SUCCESS;
}

NTSTATUS hal_InitializeDmaTransferContext(PDMA_ADAPTER DmaAdapter, PVOID DmaTransferContext)
{
    static const char routine[] = "InitializeDmaTransferContext";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct tctx *t = DmaTransferContext;

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_MAX_DISPATCH);
    if (t == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s needs a buffer of DMA_TRANSFER_CONTEXT_SIZE_V1 bytes", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (t->magic == TCTX_MAGIC && (t->state == TCTX_QUEUED || t->state == TCTX_ACTIVE)) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, t->state, 0, 0,
                    "%s of a context whose request is still outstanding", routine);
        return STATUS_INVALID_PARAMETER;
    }
    memset(t, 0, DMA_TRANSFER_CONTEXT_SIZE_V1);
    t->magic = TCTX_MAGIC;
    t->version = DMA_TRANSFER_CONTEXT_VERSION1;
    t->state = TCTX_IDLE;
    t->ad = ad;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------------------------
 * MDL chains: v3 names a place in a chain by its byte offset from the first MDL's start.
 */
static uint64_t chain_bytes(PMDL mdl)
{
    uint64_t n = 0;

    for (; mdl != NULL; mdl = mdl->Next)
        n += mdl->ByteCount;
    return n;
}

/* The MDL of the chain that holds byte offset, and the offset within it. */
static bool chain_locate(PMDL mdl, uint64_t offset, PMDL *at, uint64_t *in)
{
    while (mdl != NULL && offset >= mdl->ByteCount) {
        offset -= mdl->ByteCount;
        mdl = mdl->Next;
    }
    if (mdl == NULL)
        return false;
    *at = mdl;
    *in = offset;
    return true;
}

/* Offset and Length must lie in the chain: Offset 0..N-1, Length 1..N-Offset. */
static bool range_ok(struct adapter *ad, const char *routine, PMDL mdl, ULONGLONG offset,
                     ULONG length)
{
    uint64_t total = chain_bytes(mdl);

    if (length == 0) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_ZERO_LENGTH, (uintptr_t)mdl, 0, 0,
                    "%s of a zero-length buffer", routine);
        return false;
    }
    if (offset >= total || length > total - offset) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_INSUFFICIENT_BUFFER,
                    offset >= total ? length : offset + length - total, 0, 0,
                    "%s of %u bytes at offset %llu; the MDL chain holds %llu", routine,
                    (unsigned)length, (unsigned long long)offset, (unsigned long long)total);
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------------------------------------
 * Information.
 */
NTSTATUS hal_GetDmaAdapterInfo(PDMA_ADAPTER DmaAdapter, PDMA_ADAPTER_INFO AdapterInfo)
{
    static const char routine[] = "GetDmaAdapterInfo";
    struct adapter *ad = adapter_get(DmaAdapter, routine);

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_MAX_DISPATCH);
    if (AdapterInfo == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s needs an AdapterInfo", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (AdapterInfo->Version != DMA_ADAPTER_INFO_VERSION1)
        return STATUS_NOT_SUPPORTED;
    memset(&AdapterInfo->V1, 0, sizeof(AdapterInfo->V1));
    if (ad->chan != NULL)
        return sysdma_adapter_info(ad, &AdapterInfo->V1);
    AdapterInfo->V1.ReadDmaCounterAvailable = FALSE; /* a bus master's counter is its own */
    /* A transfer of MaximumLength bytes spans at most max_regs pages: that many elements. */
    AdapterInfo->V1.ScatterGatherLimit = ad->sg ? ad->max_regs : 1;
    AdapterInfo->V1.DmaAddressWidth = ad->address_bits;
    AdapterInfo->V1.Flags = 0; /* "No flags are currently defined" */
    AdapterInfo->V1.MinimumTransferUnit = 1;
    return STATUS_SUCCESS;
}

NTSTATUS hal_GetDmaTransferInfo(PDMA_ADAPTER DmaAdapter, PMDL Mdl, ULONGLONG Offset,
                                ULONG Length, BOOLEAN WriteOnly,
                                PDMA_TRANSFER_INFO TransferInfo)
{
    static const char routine[] = "GetDmaTransferInfo";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    uint64_t pages;
    uint32_t elements;
    bool fits;

    (void)WriteOnly; /* the counts here hold for either direction */
    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_MAX_DISPATCH);
    if (Mdl == NULL || TransferInfo == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s needs an Mdl and a TransferInfo", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (TransferInfo->Version != DMA_TRANSFER_INFO_VERSION1 &&
        TransferInfo->Version != DMA_TRANSFER_INFO_VERSION2)
        return STATUS_NOT_SUPPORTED;
    if (!range_ok(ad, routine, Mdl, Offset, Length))
        return STATUS_INVALID_PARAMETER;
    pages = mdl_span_pages(Mdl, Offset, Length, &fits);
    elements = count_fragments(ad, Mdl, Offset, Length);
    if (ad->chan != NULL && elements > sysdma_max_elements(ad))
        elements = sysdma_max_elements(ad); /* more takes more than one MapTransferEx */
    if (TransferInfo->Version == DMA_TRANSFER_INFO_VERSION2) {
        memset(&TransferInfo->V2, 0, sizeof(TransferInfo->V2));
        TransferInfo->V2.LogicalPageCount = (ULONG)pages;
    }
    TransferInfo->V1.MapRegisterCount = (ULONG)pages;
    TransferInfo->V1.ScatterGatherElementCount = elements;
    TransferInfo->V1.ScatterGatherListSize = (ULONG)sgl_size(elements);
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------------------------
 * Common buffers with bounds.
 */
PVOID hal_AllocateCommonBufferEx(PDMA_ADAPTER DmaAdapter, PPHYSICAL_ADDRESS MaximumAddress,
                                 ULONG Length, PPHYSICAL_ADDRESS LogicalAddress,
                                 BOOLEAN CacheEnabled, NODE_REQUIREMENT PreferredNode)
{
    static const char routine[] = "AllocateCommonBufferEx";
    struct adapter *ad = adapter_get(DmaAdapter, routine);

    (void)CacheEnabled;  /* common buffers are coherent on every machine here (see below) */
    (void)PreferredNode; /* one NUMA node: any preference is met */
    if (ad == NULL)
        return NULL;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_PASSIVE);
    return common_alloc(ad, routine, Length, 0,
                        MaximumAddress != NULL ? (uint64_t)MaximumAddress->QuadPart : UINT64_MAX,
                        LogicalAddress, UINT64_MAX);
}

PVOID hal_AllocateCommonBufferWithBounds(PDMA_ADAPTER DmaAdapter,
                                         PPHYSICAL_ADDRESS MinimumAddress,
                                         PPHYSICAL_ADDRESS MaximumAddress, ULONG Length,
                                         ULONG Flags, MEMORY_CACHING_TYPE *CacheType,
                                         NODE_REQUIREMENT PreferredNode,
                                         PPHYSICAL_ADDRESS LogicalAddress)
{
    static const char routine[] = "AllocateCommonBufferWithBounds";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    uint64_t lo = MinimumAddress != NULL ? (uint64_t)MinimumAddress->QuadPart : 0;
    uint64_t hi = MaximumAddress != NULL ? (uint64_t)MaximumAddress->QuadPart : UINT64_MAX;

    (void)PreferredNode;
    if (ad == NULL)
        return NULL;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_PASSIVE);
    if (Flags != 0) {
        /* DOMAIN_COMMON_BUFFER_LARGE_PAGE has no published value (reference 2.5). */
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, Flags, 0, 0,
                    "%s with Flags 0x%x; no flag is supported", routine, (unsigned)Flags);
        return NULL;
    }
    if (CacheType != NULL && *CacheType != MmNonCached && *CacheType != MmCached) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, (uint64_t)*CacheType, 0, 0,
                    "%s accepts only MmNonCached and MmCached; CacheType was %d", routine,
                    (int)*CacheType);
        return NULL;
    }
    if (lo > hi) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, lo, hi, 0,
                    "%s with MinimumAddress 0x%llx above MaximumAddress 0x%llx", routine,
                    (unsigned long long)lo, (unsigned long long)hi);
        return NULL;
    }
    return common_alloc(ad, routine, Length, lo, hi, LogicalAddress, UINT64_MAX);
}

/* ---------------------------------------------------------------------------------------------
 * The adapter channel.
 */

/* Make a v3 request: DMA_SYNCHRONOUS_CALLBACK grants it now or fails with nothing queued;
 * otherwise it waits in line under its context (and may be granted before this returns). */
static NTSTATUS submit_ex(struct wait_block *wb, struct tctx *t, bool sync)
{
    if (sync) {
        if (request_now(wb))
            return STATUS_SUCCESS;
        if (wb->is_sgl)
            sgl_request_drop(wb);
        else
            wb_free(wb);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    t->state = TCTX_QUEUED;
    t->wb = wb;
    request_submit(wb);
    return STATUS_SUCCESS;
}
NTSTATUS hal_AllocateAdapterChannelEx(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                      PVOID DmaTransferContext, ULONG NumberOfMapRegisters,
                                      ULONG Flags, PDRIVER_CONTROL ExecutionRoutine,
                                      PVOID ExecutionContext, PVOID *MapRegisterBase)
{
    static const char routine[] = "AllocateAdapterChannelEx";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    bool sync = (Flags & DMA_SYNCHRONOUS_CALLBACK) != 0;
    const char *why = NULL;
    struct wait_block *wb;
    struct tctx *t;
    NTSTATUS status;

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_DISPATCH);
    /* A version-3 request is the context's, not the device object's: one that is no device
     * object is reported, handed back to the routine as given, and the request goes on. */
    if (device_of(DeviceObject) == NULL)
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, (uintptr_t)DeviceObject, 0, 0,
                    "%s: DeviceObject %p is not a device object (the documentation asks for "
                    "the device's physical device object); the request goes on", routine,
                    (void *)DeviceObject);
    if (Flags & ~(ULONG)DMA_SYNCHRONOUS_CALLBACK)
        why = "has Flags other than DMA_SYNCHRONOUS_CALLBACK";
    else if (ExecutionRoutine == NULL && !sync)
        why = "needs an ExecutionRoutine unless DMA_SYNCHRONOUS_CALLBACK is set";
    else if (ExecutionRoutine != NULL && MapRegisterBase != NULL)
        why = "takes a MapRegisterBase only without an ExecutionRoutine";
    else if (ExecutionRoutine == NULL && MapRegisterBase == NULL)
        why = "without an ExecutionRoutine needs a MapRegisterBase to fill";
    if (why != NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, Flags, 0, 0, "%s %s", routine,
                    why);
        return STATUS_INVALID_PARAMETER;
    }
    t = tctx_get(ad, routine, DmaTransferContext);
    if (t == NULL)
        return STATUS_INVALID_PARAMETER;
    status = tctx_claim(ad, routine, t);
    if (!NT_SUCCESS(status))
        return status;
    if (!registers_allowed(ad, routine, NumberOfMapRegisters) ||
        hal_fault(ad->m, acct(ad), DMS_FAULT_MAP_REGISTERS))
        return STATUS_INSUFFICIENT_RESOURCES;
    wb = wb_channel(ad, routine, DeviceObject, NumberOfMapRegisters, ExecutionRoutine,
                    ExecutionContext);
    if (wb == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    wb->tctx = t;
    wb->no_routine = ExecutionRoutine == NULL;
    wb->base_out = MapRegisterBase;
    return submit_ex(wb, t, sync);
}

/* CancelAdapterChannel - TRUE while the request still waits (its routine will never run), or
 * before any request is made with the context; FALSE once it has been granted. A successful
 * cancel also cancels the requests made later with the same context, until it is initialised
 * again. */
BOOLEAN hal_CancelAdapterChannel(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                 PVOID DmaTransferContext)
{
    static const char routine[] = "CancelAdapterChannel";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct tctx *t;

    (void)DeviceObject;
    if (ad == NULL)
        return FALSE;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_MAX_DISPATCH);
    t = tctx_get(ad, routine, DmaTransferContext);
    if (t == NULL)
        return FALSE;
    switch ((enum tctx_state)t->state) {
    case TCTX_QUEUED:
        if (!request_unqueue(t->wb))
            return FALSE;
        if (t->wb->is_sgl)
            sgl_request_drop(t->wb);
        else
            wb_free(t->wb);
        t->wb = NULL;
        t->state = TCTX_CANCELLED;
        return TRUE;
    case TCTX_IDLE:
    case TCTX_CANCELLED:
        t->state = TCTX_CANCELLED;
        return TRUE;
    case TCTX_ACTIVE:
    case TCTX_GRANTED:
    default:
        return FALSE;
    }
}

/* FreeAdapterObject - what an ExecutionRoutine's return value would have done, for a driver
 * that holds the adapter without one (DMA_SYNCHRONOUS_CALLBACK with no routine). */
VOID hal_FreeAdapterObject(PDMA_ADAPTER DmaAdapter, IO_ALLOCATION_ACTION AllocationAction)
{
    static const char routine[] = "FreeAdapterObject";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct mapreg_file *f;

    if (ad == NULL)
        return;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_MAX_DISPATCH);
    if (AllocationAction != KeepObject && AllocationAction != DeallocateObject &&
        AllocationAction != DeallocateObjectKeepRegisters) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, (uint64_t)AllocationAction, 0,
                    0, "%s with %d, which is no IO_ALLOCATION_ACTION", routine,
                    (int)AllocationAction);
        return;
    }
    if (AllocationAction == KeepObject)
        return; /* "has no effect" */
    if (ad->channel_sgl_held) { /* the registers belong to the list */
        channel_release(ad);
        return;
    }
    f = ad->channel_file;
    if (f == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_CHANNEL_DOUBLE_FREE, 1, 0, 0,
                    "%s without an adapter object held (freed twice?)", routine);
        return;
    }
    if (AllocationAction == DeallocateObjectKeepRegisters) {
        f->state = FILE_KEPT; /* FreeMapRegisters frees them */
    } else if (!ad->needs_regs && f->live_maps > 0) {
        f->state = FILE_ORPHAN; /* no real registers: the mappings await their flush */
    } else {
        file_release(f, routine);
    }
    channel_release(ad);
}

/* ---------------------------------------------------------------------------------------------
 * Mapping.
 */
static bool live_in_chain(const struct mapreg_file *f, PMDL mdl, uint64_t off, uint64_t len)
{
    while (mdl != NULL && len > 0) {
        if (off >= mdl->ByteCount) {
            off -= mdl->ByteCount;
            mdl = mdl->Next;
            continue;
        }
        uint64_t seg = mdl->ByteCount - off < len ? mdl->ByteCount - off : len;
        for (uint32_t i = 0; i < f->n_maps; i++) {
            const struct mapping *mp = &f->maps[i];
            if (mp->live && mp->mdl == mdl && off < mp->offset + mp->length &&
                mp->offset < off + seg)
                return true;
        }
        len -= seg;
        off = 0;
        mdl = mdl->Next;
    }
    return false;
}

/* Map [offset, offset+want) of a chain onto file f as up to cap elements (logically
 * contiguous fragments merge), cleaning the CPU cache for a write. Stops early, a partial
 * mapping, when the registers or the elements run out. Returns the bytes mapped. */
static uint64_t map_elements(struct adapter *ad, struct mapreg_file *f, PMDL mdl,
                             uint64_t offset, uint64_t want, bool write, uint64_t cap,
                             PSCATTER_GATHER_ELEMENT el, uint32_t *n_out, const char *routine)
{
    uint64_t mapped = 0, in = 0;
    PMDL at = NULL;
    uint32_t n = 0;

    chain_locate(mdl, offset, &at, &in);
    while (want > 0 && at != NULL && f->cursor < f->count) {
        uint32_t len;
        uint64_t la;

        if (in >= at->ByteCount) {
            at = at->Next;
            in = 0;
            continue;
        }
        /* a scatter/gather device: a fragment at a time; any other: the whole range */
        len = (uint32_t)(ad->sg && at->ByteCount - in < want ? at->ByteCount - in : want);
        if ((n > 0 && !ad->sg) || n == cap)
            break;
        la = map_fragment(f, at, in, &len, write, routine);
        if (len == 0)
            break;
        if (n > 0 && (uint64_t)el[n - 1].Address.QuadPart + el[n - 1].Length == la) {
            el[n - 1].Length += len;
        } else {
            el[n].Address = phys_addr(la);
            el[n].Length = len;
            el[n].Reserved = 0;
            n++;
        }
        cache_clean_chain(ad, routine, at, in, len, write);
        mapped += len;
        want -= len;
        in += len;
    }
    *n_out = n;
    return mapped;
}

static NTSTATUS nothing_mapped(struct adapter *ad, struct mapreg_file *f, const char *routine)
{
    hal_finding(ad->m, acct(ad), routine, DMS_E6_MISC, 2, 1, f->count - f->cursor,
                "%s found no map register left to map with (flush first)", routine);
    return STATUS_INSUFFICIENT_RESOURCES;
}

/* The virtual address of byte offset of an MDL chain (range_ok has checked it lies within). */
static uintptr_t chain_va(PMDL mdl, ULONGLONG offset)
{
    while (mdl->Next != NULL && offset >= mdl->ByteCount) {
        offset -= mdl->ByteCount;
        mdl = mdl->Next;
    }
    return (uintptr_t)MmGetMdlVirtualAddress(mdl) + (uintptr_t)offset;
}

/* MapTransferEx for a subordinate device: map, then program its controller channel, which
 * moves the data as the device asks for it. Without a caller's list the HAL's own is used. */
static NTSTATUS map_system(struct adapter *ad, PMDL mdl, PVOID base, ULONGLONG offset,
                           ULONG device_offset, PULONG length, bool write,
                           PSCATTER_GATHER_LIST sg, ULONG sg_len,
                           PDMA_COMPLETION_ROUTINE done, PVOID done_context)
{
    static const char routine[] = "MapTransferEx";
    SCATTER_GATHER_ELEMENT el[SYSDMA_MAX_ELEMENTS];
    uint64_t addr[SYSDMA_MAX_ELEMENTS];
    uint32_t len[SYSDMA_MAX_ELEMENTS], n = 0, cap = sysdma_max_elements(ad);
    struct mapreg_file *f;
    uint64_t mapped;

    if (ad->holder_tctx != NULL && ad->holder_tctx->transfer_cancelled)
        return STATUS_CANCELLED; /* CancelMappedTransfer: no more transfers under it */
    if (sg != NULL) {
        uint64_t room = (sg_len - offsetof(SCATTER_GATHER_LIST, Elements)) /
                        sizeof(SCATTER_GATHER_ELEMENT);
        if (room < cap)
            cap = (uint32_t)room;
    }
    if (done != NULL && ad->chan->kind != SYSDMA_SOC) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_SYSDMA, ad->chan->index, 0, 0,
                    "%s: the 8237 raises no completion interrupt, so a DmaCompletionRoutine "
                    "never runs (the device's interrupt says when the transfer is done)",
                    routine);
        done = NULL;
    }
    f = file_lookup(ad, base);
    if (f == NULL || f->state == FILE_SGL || f->state == FILE_ORPHAN) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, (uintptr_t)base, 0, 0,
                    "%s with %s", routine, no_registers(ad, base));
        return STATUS_INVALID_PARAMETER;
    }
    if (!sysdma_check(ad, routine, chain_va(mdl, offset), *length))
        return STATUS_INVALID_PARAMETER;
    mapped = map_elements(ad, f, mdl, offset, *length, write, cap, el, &n, routine);
    if (mapped == 0)
        return nothing_mapped(ad, f, routine);
    if (mapped % ad->chan->width != 0) { /* a partial mapping ends on a whole unit */
        uint64_t cut = mapped % ad->chan->width;
        el[n - 1].Length -= (uint32_t)cut;
        mapped -= cut;
    }
    *length = (ULONG)mapped; /* written before the completion routine can run */
    for (uint32_t i = 0; i < n; i++) {
        addr[i] = (uint64_t)el[i].Address.QuadPart;
        len[i] = el[i].Length;
    }
    if (sg != NULL) {
        sg->NumberOfElements = n;
        sg->Reserved = 0;
        memcpy(sg->Elements, el, n * sizeof(el[0]));
    }
    sysdma_program(ad, addr, len, n, write, done, done_context, device_offset);
    return STATUS_SUCCESS;
}

NTSTATUS hal_MapTransferEx(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase,
                           ULONGLONG Offset, ULONG DeviceOffset, PULONG Length,
                           BOOLEAN WriteToDevice, PSCATTER_GATHER_LIST ScatterGatherBuffer,
                           ULONG ScatterGatherBufferLength,
                           PDMA_COMPLETION_ROUTINE DmaCompletionRoutine,
                           PVOID CompletionContext)
{
    static const char routine[] = "MapTransferEx";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    PSCATTER_GATHER_LIST sg = ScatterGatherBuffer;
    struct mapreg_file *f;
    uint64_t capacity, mapped;
    uint32_t n = 0;

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_MAX_DISPATCH);
    if (Mdl == NULL || Length == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s needs an Mdl and a Length", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (!range_ok(ad, routine, Mdl, Offset, *Length))
        return STATUS_INVALID_PARAMETER;
    if (sg != NULL && ScatterGatherBufferLength < offsetof(SCATTER_GATHER_LIST, Elements) +
                                                      sizeof(SCATTER_GATHER_ELEMENT)) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, ScatterGatherBufferLength,
                    0, 0, "%s with a %u-byte ScatterGatherBuffer, too small for one element",
                    routine, (unsigned)ScatterGatherBufferLength);
        return STATUS_INVALID_PARAMETER;
    }
    if (ad->chan != NULL)
        return map_system(ad, Mdl, MapRegisterBase, Offset, DeviceOffset, Length,
                          WriteToDevice != 0, sg, ScatterGatherBufferLength,
                          DmaCompletionRoutine, CompletionContext);
    if (sg == NULL || DeviceOffset != 0) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, DeviceOffset, 0, 0,
                    "%s for a bus master needs a ScatterGatherBuffer and a DeviceOffset of 0",
                    routine);
        return STATUS_INVALID_PARAMETER;
    }
    (void)CompletionContext;
    if (DmaCompletionRoutine != NULL)
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s: a DmaCompletionRoutine is for system DMA; a bus master's completion "
                    "is its interrupt (the routine will not run)", routine);
    f = file_lookup(ad, MapRegisterBase);
    if (f == NULL || f->state == FILE_SGL || f->state == FILE_ORPHAN) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, (uintptr_t)MapRegisterBase, 0,
                    0, "%s with %s", routine, no_registers(ad, MapRegisterBase));
        return STATUS_INVALID_PARAMETER;
    }
    if (live_in_chain(f, Mdl, Offset, *Length))
        hal_finding(ad->m, acct(ad), routine, DMS_E6_ALREADY_MAPPED, Offset, Offset + *Length, 0,
                    "%s of a range that is already mapped and not yet flushed", routine);
    capacity = (ScatterGatherBufferLength - offsetof(SCATTER_GATHER_LIST, Elements)) /
               sizeof(SCATTER_GATHER_ELEMENT);
    mapped = map_elements(ad, f, Mdl, Offset, *Length, WriteToDevice != 0, capacity,
                          sg->Elements, &n, routine);
    sg->NumberOfElements = n;
    sg->Reserved = 0;
    *Length = (ULONG)mapped; /* shorter when registers or elements ran out: still success */
    if (mapped == 0)
        return nothing_mapped(ad, f, routine);
    return STATUS_SUCCESS;
}

NTSTATUS hal_FlushAdapterBuffersEx(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase,
                                   ULONGLONG Offset, ULONG Length, BOOLEAN WriteToDevice)
{
    static const char routine[] = "FlushAdapterBuffersEx";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct dms_event ev = {.type = DMS_EV_FLUSH, .routine = routine, .count = 1};
    struct mapreg_file *f;
    uint64_t in = 0, left;
    PMDL at = NULL;
    bool started = false;

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_MAX_DISPATCH);
    if (Mdl == NULL || !range_ok(ad, routine, Mdl, Offset, Length))
        return STATUS_INVALID_PARAMETER;
    if (ad->chan != NULL && sysdma_busy(ad)) {
        /* the verifier's 0x23: flushed while neither complete nor cancelled; it stops */
        hal_finding(ad->m, acct(ad), routine, DMS_E6_CHANNEL_NOT_DONE, 0, ad->chan->kind,
                    ad->chan->index, "%s of DMA channel %u before its transfer completed or "
                    "was cancelled (the transfer stops here)", routine, ad->chan->index);
    }
    f = file_lookup(ad, MapRegisterBase);
    if (f == NULL || f->live_maps == 0) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_FLUSH_NOT_MAPPED,
                    (uintptr_t)MapRegisterBase, 0, 0, "%s of a buffer that is not mapped", routine);
        return STATUS_INVALID_PARAMETER;
    }
    chain_locate(Mdl, Offset, &at, &in);
    for (uint32_t i = 0; i < f->n_maps && !started; i++)
        started = f->maps[i].live && f->maps[i].mdl == at && f->maps[i].offset == in;
    if (!started) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_FLUSH_NEVER_MAPPED, (uintptr_t)MapRegisterBase,
                    Offset, (uintptr_t)Mdl,
                    "%s: Offset %llu is not where a MapTransferEx began (pass the same Offset "
                    "and Length)", routine, (unsigned long long)Offset);
        return STATUS_INVALID_PARAMETER;
    }
    for (left = Length; left > 0 && at != NULL; at = at->Next, in = 0) {
        uint64_t seg = at->ByteCount - in < left ? at->ByteCount - in : left;
        unmap_range(f, at, in, seg, WriteToDevice != 0, routine, true);
        cache_invalidate_chain(ad, routine, at, in, seg, WriteToDevice != 0);
        left -= seg;
    }
    if (ad->chan != NULL)
        sysdma_stop(ad);
    ev.length = Length;
    ev.write_to_device = WriteToDevice != 0;
    hal_emit(ad->m, acct(ad), &ev);
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------------------------
 * Scatter/gather lists, version 3.
 */
static NTSTATUS list_ex(PDMA_ADAPTER DmaAdapter, const char *routine, PDEVICE_OBJECT dev,
                        PVOID context, PMDL mdl, ULONGLONG offset, ULONG length, ULONG flags,
                        PDRIVER_LIST_CONTROL fn, PVOID fn_context, BOOLEAN write, PVOID buffer,
                        ULONG buffer_len, PDMA_COMPLETION_ROUTINE completion,
                        PSCATTER_GATHER_LIST *list_out, bool build)
{
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    bool sync = (flags & DMA_SYNCHRONOUS_CALLBACK) != 0;
    const char *why = NULL;
    struct wait_block *wb = NULL;
    struct tctx *t;
    NTSTATUS status;

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_MAX_DISPATCH);
    if (!ad->master)
        why = "is for bus masters only, never system DMA";
    else if (device_of(dev) == NULL || mdl == NULL)
        why = "needs a DeviceObject and an Mdl";
    else if (flags & ~(ULONG)DMA_SYNCHRONOUS_CALLBACK)
        why = "has Flags other than DMA_SYNCHRONOUS_CALLBACK";
    else if (fn == NULL && !sync)
        why = "needs an ExecutionRoutine unless DMA_SYNCHRONOUS_CALLBACK is set";
    else if (fn == NULL && list_out == NULL)
        why = "without an ExecutionRoutine needs ScatterGatherList to return the list in";
    else if (build && (buffer == NULL || buffer_len == 0))
        why = "needs a ScatterGatherBuffer and its length";
    if (why != NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, flags, 0, 0, "%s %s", routine,
                    why);
        return STATUS_INVALID_PARAMETER;
    }
    if (completion != NULL)
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s: DmaCompletionRoutine is unused; pass NULL", routine);
    if (!range_ok(ad, routine, mdl, offset, length))
        return STATUS_INVALID_PARAMETER;
    t = tctx_get(ad, routine, context);
    if (t == NULL)
        return STATUS_INVALID_PARAMETER;
    status = tctx_claim(ad, routine, t);
    if (!NT_SUCCESS(status))
        return status;
    status = sgl_prepare(ad, routine, dev, mdl, offset, length, fn, fn_context, write,
                         build ? buffer : NULL, buffer_len, &wb);
    if (!NT_SUCCESS(status))
        return status;
    wb->tctx = t;
    wb->no_routine = fn == NULL;
    wb->list_out = sync ? list_out : NULL;
    return submit_ex(wb, t, sync);
}

NTSTATUS hal_GetScatterGatherListEx(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                    PVOID DmaTransferContext, PMDL Mdl, ULONGLONG Offset,
                                    ULONG Length, ULONG Flags,
                                    PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
                                    BOOLEAN WriteToDevice,
                                    PDMA_COMPLETION_ROUTINE DmaCompletionRoutine,
                                    PVOID CompletionContext,
                                    PSCATTER_GATHER_LIST *ScatterGatherList)
{
    (void)CompletionContext;
    return list_ex(DmaAdapter, "GetScatterGatherListEx", DeviceObject, DmaTransferContext, Mdl,
                   Offset, Length, Flags, ExecutionRoutine, Context, WriteToDevice, NULL, 0,
                   DmaCompletionRoutine, ScatterGatherList, false);
}

NTSTATUS hal_BuildScatterGatherListEx(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                      PVOID DmaTransferContext, PMDL Mdl, ULONGLONG Offset,
                                      ULONG Length, ULONG Flags,
                                      PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
                                      BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
                                      ULONG ScatterGatherLength,
                                      PDMA_COMPLETION_ROUTINE DmaCompletionRoutine,
                                      PVOID CompletionContext, PVOID ScatterGatherList)
{
    (void)CompletionContext;
    return list_ex(DmaAdapter, "BuildScatterGatherListEx", DeviceObject, DmaTransferContext,
                   Mdl, Offset, Length, Flags, ExecutionRoutine, Context, WriteToDevice,
                   ScatterGatherBuffer, ScatterGatherLength, DmaCompletionRoutine,
                   (PSCATTER_GATHER_LIST *)ScatterGatherList, true);
}

/* ---------------------------------------------------------------------------------------------
 * System DMA only.
 */
NTSTATUS hal_ConfigureAdapterChannel(PDMA_ADAPTER DmaAdapter, ULONG FunctionNumber,
                                     PVOID Context)
{
    static const char routine[] = "ConfigureAdapterChannel";
    struct adapter *ad = adapter_get(DmaAdapter, routine);

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_MAX_DISPATCH);
    if (ad->chan != NULL)
        return sysdma_configure(ad, FunctionNumber, Context);
    return STATUS_NOT_IMPLEMENTED; /* a bus master's channel has no controller functions */
}

NTSTATUS hal_CancelMappedTransfer(PDMA_ADAPTER DmaAdapter, PVOID DmaTransferContext)
{
    static const char routine[] = "CancelMappedTransfer";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct tctx *t;

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_MAX_DISPATCH);
    t = tctx_get(ad, routine, DmaTransferContext);
    if (t == NULL)
        return STATUS_INVALID_PARAMETER;
    if (ad->chan == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s is for system DMA; a bus master stops its own engine", routine);
        return STATUS_NOT_SUPPORTED;
    }
    t->transfer_cancelled = 1; /* no further transfers under it */
    return ad->holder_tctx == t ? sysdma_cancel(ad) : STATUS_SUCCESS;
}
