/*
 * dmatx.c - DMA transactions: one request's buffer moved by the driver's calling pattern, one
 * device transfer at a time (see dmatx.h for the idea).
 *
 * The four patterns, as the reference describes them:
 * - packet (v1): AllocateAdapterChannel; in the ExecutionRoutine a MapTransfer loop builds the
 *   element list, the device is programmed, and the routine returns
 *   DeallocateObjectKeepRegisters (a bus master keeps its registers, not the channel). At DPC
 *   time FlushAdapterBuffers and FreeMapRegisters. Only one AllocateAdapterChannel may be
 *   outstanding per device object, so requests take turns.
 * - sg (v2): GetScatterGatherList; the AdapterListControl programs the device; at DPC time
 *   PutScatterGatherList (which flushes).
 * - sg-build: BuildScatterGatherList into a buffer this slot owns, sized once with
 *   CalculateScatterGatherList; PutScatterGatherList as for sg.
 * - common-buffer: no mapping per request at all. The driver copies between the request's
 *   buffer and a common buffer the device can always reach, and the device uses that.
 * - v3: the basic calling pattern for version-3 routines (reference 3.7): GetDmaTransferInfo
 *   sizes the transfer; AllocateAdapterChannelEx with the slot's DMA transfer context; in the
 *   ExecutionRoutine MapTransferEx fills the slot's list (less than asked when the registers
 *   or the list run short: the rest goes in the next transfer), the device is programmed, and
 *   the routine returns KeepObject. At DPC time FlushAdapterBuffersEx, then
 *   FreeAdapterChannel. The adapter is held for the whole transfer, as that pattern says.
 * - v3-sync: the same with DMA_SYNCHRONOUS_CALLBACK and no routine: the HAL grants at once
 *   or says STATUS_INSUFFICIENT_RESOURCES, and then the request waits here for a transfer to
 *   give the adapter back.
 * A driver of the packet and list patterns calls KeFlushIoBuffers before a write and after a
 * read (flush_io_buffers): their routines maintain no CPU cache, and on a platform whose DMA
 * is not coherent nothing else does. The v3 routines do it themselves.
 */
#include <stdio.h>
#include <string.h>

#include "devdma.h"
#include "dmatx.h"

#define DMATX_TAG 'xTmD'

static PDMA_OPERATIONS ops(const struct dmatx_enabler *en)
{
    return en->adapter->DmaOperations;
}

/* Bytes the next transfer may carry: what is left, within max_transfer and, where map
 * registers are involved, within the pages the granted registers can span from here. */
static ULONG next_length(const struct dmatx *tx)
{
    const struct dmatx_enabler *en = tx->en;
    ULONG left = tx->length - tx->done;
    ULONG cap = en->max_transfer;

    if (en->pattern != DMS_PATTERN_COMMON_BUFFER) {
        ULONG in_page = (ULONG)BYTE_OFFSET(tx->va + tx->done);
        ULONG span = en->map_registers * PAGE_SIZE - in_page;
        if (span < cap)
            cap = span;
    }
    return left < cap ? left : cap;
}

static void program_device(struct dmatx *tx, PSCATTER_GATHER_LIST sgl)
{
    tx->sgl = sgl;
    tx->transfers++;
    tx->en->program(tx, sgl);
}

/* ---------------------------------------------------------------------------------------------
 * packet
 */
static void start_channel(struct dmatx *tx);
static void v3_sync_start(struct dmatx *tx, bool first);

static IO_ALLOCATION_ACTION packet_execution_routine(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                                     PVOID MapRegisterBase, PVOID Context)
{
    struct dmatx *tx = Context;
    struct dmatx_enabler *en = tx->en;
    PSCATTER_GATHER_LIST list = tx->own_list;
    PUCHAR va = tx->va + tx->done;
    ULONG mapped = 0;

    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    tx->map_register_base = MapRegisterBase;
    list->NumberOfElements = 0;
    while (mapped < tx->current) {
        ULONG len = tx->current - mapped;
        PHYSICAL_ADDRESS la = ops(en)->MapTransfer(en->adapter, tx->mdl, MapRegisterBase,
                                                   va + mapped, &len, tx->write_to_device);
        PSCATTER_GATHER_ELEMENT el = &list->Elements[list->NumberOfElements];

        if (len == 0) /* the HAL refused: the finding says why */
            break;
        if (list->NumberOfElements > 0 && (ULONGLONG)el[-1].Address.QuadPart + el[-1].Length ==
                                              (ULONGLONG)la.QuadPart) {
            el[-1].Length += len; /* logically contiguous with the last piece */
        } else {
            el->Address = la;
            el->Length = len;
            list->NumberOfElements++;
        }
        mapped += len;
    }
    en->channel_busy = false;
    if (en->waiting_head != NULL)
        KeInsertQueueDpc(&en->channel_dpc, NULL, NULL);
    program_device(tx, list);
    return DeallocateObjectKeepRegisters;
}

/* The channel is free once the ExecutionRoutine has returned: the next request asks for it. */
static VOID channel_dpc_routine(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    struct dmatx_enabler *en = Context;
    struct dmatx *tx = en->waiting_head;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Arg1);
    UNREFERENCED_PARAMETER(Arg2);
    if (tx == NULL || en->channel_busy)
        return;
    en->waiting_head = tx->next_waiting;
    if (en->waiting_head == NULL)
        en->waiting_tail = NULL;
    if (en->pattern == DMS_PATTERN_V3_SYNC)
        v3_sync_start(tx, true);
    else
        start_channel(tx);
}

static void start_channel(struct dmatx *tx)
{
    struct dmatx_enabler *en = tx->en;
    NTSTATUS status;

    if (en->channel_busy) {
        tx->next_waiting = NULL;
        if (en->waiting_tail != NULL)
            en->waiting_tail->next_waiting = tx;
        else
            en->waiting_head = tx;
        en->waiting_tail = tx;
        return;
    }
    en->channel_busy = true;
    tx->map_register_count = (ULONG)ADDRESS_AND_SIZE_TO_SPAN_PAGES(tx->va + tx->done,
                                                                   tx->current);
    status = ops(en)->AllocateAdapterChannel(en->adapter, en->device, tx->map_register_count,
                                             packet_execution_routine, tx);
    if (!NT_SUCCESS(status)) {
        en->channel_busy = false;
        tx->status = status;
        tx->own_list->NumberOfElements = 0;
        program_device(tx, NULL); /* the driver completes it with the status */
    }
}

/* ---------------------------------------------------------------------------------------------
 * v3 and v3-sync
 */
static ULONGLONG mdl_offset(const struct dmatx *tx)
{
    return (ULONGLONG)((tx->va + tx->done) - (PUCHAR)MmGetMdlVirtualAddress(tx->mdl));
}

/* Map the transfer with MapTransferEx into the slot's list and program the device. A partial
 * mapping shortens the transfer. Returns the status; on failure nothing is programmed. */
static NTSTATUS v3_map(struct dmatx *tx)
{
    struct dmatx_enabler *en = tx->en;
    ULONG len = tx->current;
    NTSTATUS status = ops(en)->MapTransferEx(en->adapter, tx->mdl, tx->map_register_base,
                                             mdl_offset(tx), 0, &len, tx->write_to_device,
                                             tx->own_list, en->list_bytes, NULL, NULL);

    if (!NT_SUCCESS(status))
        return status;
    tx->current = len;
    program_device(tx, tx->own_list);
    return STATUS_SUCCESS;
}

static IO_ALLOCATION_ACTION v3_execution_routine(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                                 PVOID MapRegisterBase, PVOID Context)
{
    struct dmatx *tx = Context;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    tx->map_register_base = MapRegisterBase;
    status = v3_map(tx);
    if (NT_SUCCESS(status))
        return KeepObject; /* FreeAdapterChannel at DPC time */
    tx->status = status;
    program_device(tx, NULL);
    return DeallocateObject;
}

static void wait_in_line(struct dmatx *tx, bool first)
{
    struct dmatx_enabler *en = tx->en;

    if (first) {
        tx->next_waiting = en->waiting_head;
        en->waiting_head = tx;
        if (en->waiting_tail == NULL)
            en->waiting_tail = tx;
        return;
    }
    tx->next_waiting = NULL;
    if (en->waiting_tail != NULL)
        en->waiting_tail->next_waiting = tx;
    else
        en->waiting_head = tx;
    en->waiting_tail = tx;
}

/* v3-sync: the adapter now, or wait in line (first: it was at the head already). */
static void v3_sync_start(struct dmatx *tx, bool first)
{
    struct dmatx_enabler *en = tx->en;
    NTSTATUS status;

    if (!first && en->waiting_head != NULL) {
        wait_in_line(tx, false); /* behind those already waiting */
        return;
    }
    status = ops(en)->AllocateAdapterChannelEx(en->adapter, en->device, tx->dma_context,
                                               tx->map_register_count,
                                               DMA_SYNCHRONOUS_CALLBACK, NULL, NULL,
                                               &tx->map_register_base);
    if (status == STATUS_INSUFFICIENT_RESOURCES && tx->map_register_count <= en->map_registers) {
        wait_in_line(tx, first);
        return;
    }
    if (NT_SUCCESS(status)) {
        status = v3_map(tx);
        if (NT_SUCCESS(status))
            return;
        ops(en)->FreeAdapterChannel(en->adapter);
    }
    tx->status = status;
    program_device(tx, NULL);
}

static NTSTATUS v3_start(struct dmatx *tx)
{
    struct dmatx_enabler *en = tx->en;
    DMA_TRANSFER_INFO info;
    NTSTATUS status;

    memset(&info, 0, sizeof(info));
    info.Version = DMA_TRANSFER_INFO_VERSION1;
    status = ops(en)->GetDmaTransferInfo(en->adapter, tx->mdl, mdl_offset(tx), tx->current,
                                         tx->write_to_device, &info);
    if (!NT_SUCCESS(status))
        return status;
    tx->map_register_count = info.V1.MapRegisterCount;
    if (en->pattern == DMS_PATTERN_V3_SYNC) {
        v3_sync_start(tx, false);
        return STATUS_SUCCESS;
    }
    return ops(en)->AllocateAdapterChannelEx(en->adapter, en->device, tx->dma_context,
                                             tx->map_register_count, 0, v3_execution_routine,
                                             tx, NULL);
}

/* ---------------------------------------------------------------------------------------------
 * sg and sg-build
 */
static VOID list_control(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST Sg,
                         PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    program_device(Context, Sg);
}

static NTSTATUS start_list(struct dmatx *tx)
{
    struct dmatx_enabler *en = tx->en;
    PVOID va = tx->va + tx->done;

    if (en->pattern == DMS_PATTERN_SG)
        return ops(en)->GetScatterGatherList(en->adapter, en->device, tx->mdl, va, tx->current,
                                             list_control, tx, tx->write_to_device);
    return ops(en)->BuildScatterGatherList(en->adapter, en->device, tx->mdl, va, tx->current,
                                           list_control, tx, tx->write_to_device, tx->sg_buffer,
                                           en->sg_buffer_bytes);
}

/* ---------------------------------------------------------------------------------------------
 * common-buffer: the CPU copies with RtlCopyMemory, which the HAL charges to the driver
 */
static void start_common(struct dmatx *tx)
{
    PSCATTER_GATHER_LIST list = tx->own_list;

    if (tx->write_to_device)
        RtlCopyMemory(tx->common_va, tx->system_va + tx->done, tx->current);
    list->NumberOfElements = 1;
    list->Elements[0].Address = tx->common_la;
    list->Elements[0].Length = tx->current;
    program_device(tx, list);
}

/* ---------------------------------------------------------------------------------------------
 * Transfers.
 */

/* Map and program the next transfer, at DISPATCH_LEVEL. A failure ends the transaction: the
 * device is "programmed" with no list and the driver completes the request with tx->status. */
static void start_transfer(struct dmatx *tx)
{
    NTSTATUS status = STATUS_SUCCESS;

    tx->current = next_length(tx);
    switch (tx->en->pattern) {
    case DMS_PATTERN_PACKET:
        start_channel(tx);
        return;
    case DMS_PATTERN_SG:
    case DMS_PATTERN_SG_BUILD:
        status = start_list(tx);
        break;
    case DMS_PATTERN_COMMON_BUFFER:
        start_common(tx);
        return;
    case DMS_PATTERN_V3:
    case DMS_PATTERN_V3_SYNC:
        status = v3_start(tx);
        break;
    default:
        status = STATUS_NOT_SUPPORTED;
        break;
    }
    if (!NT_SUCCESS(status)) {
        tx->status = status;
        program_device(tx, NULL);
    }
}

NTSTATUS dmatx_execute(struct dmatx_enabler *en, uint32_t slot, void *request, PMDL mdl,
                       PVOID va, ULONG length, BOOLEAN write_to_device)
{
    struct dmatx *tx;
    KIRQL old;

    if (slot >= en->slots || length == 0)
        return STATUS_INVALID_PARAMETER;
    tx = &en->txs[slot];
    if (tx->request != NULL && tx->request != request)
        return STATUS_DEVICE_BUSY;
    if (en->pattern == DMS_PATTERN_COMMON_BUFFER) {
        /* the CPU copies through the buffer's system address: va may be a user address */
        PUCHAR system = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
        if (system == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        tx->system_va = system + ((PUCHAR)va - (PUCHAR)MmGetMdlVirtualAddress(mdl));
    }
    tx->request = request;
    tx->mdl = mdl;
    tx->va = va;
    tx->length = length;
    tx->write_to_device = write_to_device;
    tx->done = 0;
    tx->transfers = 0;
    tx->status = STATUS_SUCCESS;
    tx->sgl = NULL;
    if (en->flush_io_buffers && write_to_device)
        KeFlushIoBuffers(mdl, FALSE, TRUE); /* the CPU's writes reach memory first */
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    start_transfer(tx);
    KeLowerIrql(old);
    return STATUS_SUCCESS;
}

/* Release what the transfer under way holds. */
static void release_transfer(struct dmatx *tx)
{
    struct dmatx_enabler *en = tx->en;
    PUCHAR va = tx->va + tx->done;

    switch (en->pattern) {
    case DMS_PATTERN_PACKET:
        ops(en)->FlushAdapterBuffers(en->adapter, tx->mdl, tx->map_register_base, va,
                                     tx->current, tx->write_to_device);
        ops(en)->FreeMapRegisters(en->adapter, tx->map_register_base, tx->map_register_count);
        break;
    case DMS_PATTERN_SG:
    case DMS_PATTERN_SG_BUILD:
        ops(en)->PutScatterGatherList(en->adapter, tx->sgl, tx->write_to_device);
        break;
    case DMS_PATTERN_COMMON_BUFFER:
        if (!tx->write_to_device)
            RtlCopyMemory(tx->system_va + tx->done, tx->common_va, tx->current);
        break;
    case DMS_PATTERN_V3:
    case DMS_PATTERN_V3_SYNC:
        ops(en)->FlushAdapterBuffersEx(en->adapter, tx->mdl, tx->map_register_base,
                                       mdl_offset(tx), tx->current, tx->write_to_device);
        ops(en)->FreeAdapterChannel(en->adapter);
        if (en->pattern == DMS_PATTERN_V3_SYNC && en->waiting_head != NULL)
            KeInsertQueueDpc(&en->channel_dpc, NULL, NULL);
        break;
    default:
        break;
    }
    tx->sgl = NULL;
}

/* The transaction is over: a read's data is the CPU's to see once its cache lets go. */
static BOOLEAN transaction_over(struct dmatx *tx)
{
    if (tx->en->flush_io_buffers && !tx->write_to_device && NT_SUCCESS(tx->status))
        KeFlushIoBuffers(tx->mdl, TRUE, TRUE);
    return TRUE;
}

BOOLEAN dmatx_transfer_done(struct dmatx *tx)
{
    if (tx->sgl == NULL) /* never mapped: tx->status already says why */
        return TRUE;
    release_transfer(tx);
    if (!NT_SUCCESS(tx->status))
        return TRUE;
    tx->done += tx->current;
    if (tx->done == tx->length)
        return transaction_over(tx);
    start_transfer(tx);
    return FALSE;
}

/* ---------------------------------------------------------------------------------------------
 * The enabler.
 */
static NTSTATUS slot_init(struct dmatx_enabler *en, struct dmatx *tx, char *why, size_t len)
{
    ULONG list_bytes = (ULONG)(sizeof(SCATTER_GATHER_LIST) +
                               en->max_elements * sizeof(SCATTER_GATHER_ELEMENT));

    tx->en = en;
    en->list_bytes = list_bytes;
    tx->own_list = ExAllocatePool2(POOL_FLAG_NON_PAGED, list_bytes, DMATX_TAG);
    if (tx->own_list == NULL) {
        snprintf(why, len, "no nonpaged pool for a list of %lu elements",
                 (unsigned long)en->max_elements);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (en->pattern == DMS_PATTERN_SG_BUILD) {
        tx->sg_buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, en->sg_buffer_bytes, DMATX_TAG);
        if (tx->sg_buffer == NULL) {
            snprintf(why, len, "no nonpaged pool for a %lu-byte list buffer",
                     (unsigned long)en->sg_buffer_bytes);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
    }
    if (en->pattern == DMS_PATTERN_V3 || en->pattern == DMS_PATTERN_V3_SYNC) {
        NTSTATUS status;
        tx->dma_context = ExAllocatePool2(POOL_FLAG_NON_PAGED, DMA_TRANSFER_CONTEXT_SIZE_V1,
                                          DMATX_TAG);
        if (tx->dma_context == NULL) {
            snprintf(why, len, "no nonpaged pool for a DMA transfer context");
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        status = ops(en)->InitializeDmaTransferContext(en->adapter, tx->dma_context);
        if (!NT_SUCCESS(status)) {
            snprintf(why, len, "InitializeDmaTransferContext failed with 0x%08lx",
                     (unsigned long)(ULONG)status);
            return status;
        }
    }
    if (en->pattern == DMS_PATTERN_COMMON_BUFFER) {
        tx->common_va = ops(en)->AllocateCommonBuffer(en->adapter, en->max_transfer,
                                                      &tx->common_la, TRUE);
        if (tx->common_va == NULL) {
            snprintf(why, len, "AllocateCommonBuffer found no %lu contiguous bytes the device "
                     "can reach", (unsigned long)en->max_transfer);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
    }
    return STATUS_SUCCESS;
}

static void slot_release(struct dmatx_enabler *en, struct dmatx *tx, bool idle)
{
    if (tx->common_va != NULL && idle)
        ops(en)->FreeCommonBuffer(en->adapter, en->max_transfer, tx->common_la, tx->common_va,
                                  TRUE);
    if (tx->sg_buffer != NULL)
        ExFreePool(tx->sg_buffer);
    if (tx->dma_context != NULL)
        ExFreePool(tx->dma_context);
    if (tx->own_list != NULL)
        ExFreePool(tx->own_list);
}

/* The list buffer sg-build needs for the worst transfer: the most pages any buffer of
 * max_transfer bytes can span, starting one byte before a page boundary. */
static NTSTATUS size_list_buffer(struct dmatx_enabler *en, char *why, size_t len)
{
    ULONG bytes = 0, regs = 0;
    NTSTATUS status = ops(en)->CalculateScatterGatherList(en->adapter, NULL,
                                                          (PVOID)(ULONG_PTR)(PAGE_SIZE - 1),
                                                          en->max_transfer, &bytes, &regs);

    if (!NT_SUCCESS(status)) {
        snprintf(why, len, "CalculateScatterGatherList failed with 0x%08lx",
                 (unsigned long)(ULONG)status);
        return status;
    }
    en->sg_buffer_bytes = bytes;
    return STATUS_SUCCESS;
}

NTSTATUS dmatx_enabler_init(struct dmatx_enabler *en, PDEVICE_OBJECT device,
                            PDEVICE_DESCRIPTION desc, enum dms_pattern pattern,
                            ULONG max_transfer, uint32_t slots, dmatx_program_fn program,
                            void *driver, char *why, size_t len)
{
    NTSTATUS status = STATUS_SUCCESS;

    memset(en, 0, sizeof(*en));
    en->device = device;
    en->pattern = pattern;
    en->slots = slots;
    en->program = program;
    en->driver = driver;
    en->adapter = IoGetDmaAdapter(device, desc, &en->map_registers);
    if (en->adapter == NULL) {
        snprintf(why, len, "IoGetDmaAdapter returned NULL (no bounce pages below the "
                 "device's limit, or an unsupported description)");
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    en->max_transfer = max_transfer;
    en->max_elements = (ULONG)BYTES_TO_PAGES(max_transfer) + 1;
    KeInitializeDpc(&en->channel_dpc, channel_dpc_routine, en);
    if (pattern == DMS_PATTERN_SG_BUILD)
        status = size_list_buffer(en, why, len);
    if (NT_SUCCESS(status)) {
        en->txs = ExAllocatePool2(POOL_FLAG_NON_PAGED, (SIZE_T)slots * sizeof(*en->txs),
                                  DMATX_TAG);
        if (en->txs == NULL) {
            snprintf(why, len, "no nonpaged pool for %u transactions", slots);
            status = STATUS_INSUFFICIENT_RESOURCES;
        }
    }
    for (uint32_t i = 0; NT_SUCCESS(status) && i < slots; i++) {
        en->txs[i].slot = i;
        status = slot_init(en, &en->txs[i], why, len);
    }
    if (!NT_SUCCESS(status))
        dmatx_enabler_release(en, true);
    return status;
}

void dmatx_describe(PDEVICE_DESCRIPTION desc, enum dms_pattern pattern, ULONG declared_bits,
                    BOOLEAN scatter_gather, ULONG max_length)
{
    RtlZeroMemory(desc, sizeof(*desc));
    desc->Master = TRUE;
    desc->ScatterGather = scatter_gather;
    desc->MaximumLength = max_length;
    if (pattern == DMS_PATTERN_V3 || pattern == DMS_PATTERN_V3_SYNC) {
        desc->Version = DEVICE_DESCRIPTION_VERSION3;
        desc->DmaAddressWidth = declared_bits; /* the flags are ignored from version 3 */
    } else {
        desc->Version = DEVICE_DESCRIPTION_VERSION2;
        desc->Dma32BitAddresses = declared_bits >= 32;
        desc->Dma64BitAddresses = declared_bits >= 64;
        desc->InterfaceType = declared_bits < 32 ? Isa : PCIBus;
    }
}

void dmatx_enabler_release(struct dmatx_enabler *en, bool idle)
{
    if (en->txs != NULL) {
        for (uint32_t i = 0; i < en->slots; i++)
            slot_release(en, &en->txs[i], idle);
        ExFreePool(en->txs);
        en->txs = NULL;
    }
    if (en->adapter != NULL && idle)
        ops(en)->PutDmaAdapter(en->adapter);
    en->adapter = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * The parallel request queue.
 */
NTSTATUS dmatx_queue_init(struct dmatx_queue *q, ULONG slots, DMATX_QUEUE_START *start,
                          PVOID driver)
{
    KeInitializeSpinLock(&q->lock);
    InitializeListHead(&q->waiting);
    q->start = start;
    q->driver = driver;
    q->free_slots = ExAllocatePool2(POOL_FLAG_NON_PAGED, slots * sizeof(ULONG), DMATX_TAG);
    q->failed_slots = ExAllocatePool2(POOL_FLAG_NON_PAGED, slots * sizeof(ULONG), DMATX_TAG);
    if (q->free_slots == NULL || q->failed_slots == NULL) {
        dmatx_queue_free(q);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    for (ULONG i = 0; i < slots; i++)
        q->free_slots[i] = slots - 1 - i; /* slot 0 first */
    q->free_count = slots;
    q->failed_count = 0;
    return STATUS_SUCCESS;
}

void dmatx_queue_free(struct dmatx_queue *q)
{
    if (q->free_slots != NULL)
        ExFreePool(q->free_slots);
    if (q->failed_slots != NULL)
        ExFreePool(q->failed_slots);
    q->free_slots = q->failed_slots = NULL;
    q->free_count = q->failed_count = 0;
}

VOID dmatx_queue_add(struct dmatx_queue *q, PIRP irp)
{
    LONG slot = -1;
    KIRQL irql;

    KeAcquireSpinLock(&q->lock, &irql);
    if (q->free_count > 0)
        slot = (LONG)q->free_slots[--q->free_count];
    else
        InsertTailList(&q->waiting, &irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&q->lock, irql);
    if (slot >= 0)
        q->start(q->driver, (ULONG)slot, irp);
}

VOID dmatx_queue_release(struct dmatx_queue *q, ULONG slot)
{
    PIRP next = NULL;
    KIRQL irql;

    KeAcquireSpinLock(&q->lock, &irql);
    if (!IsListEmpty(&q->waiting))
        next = CONTAINING_RECORD(RemoveHeadList(&q->waiting), IRP, Tail.Overlay.ListEntry);
    else
        q->free_slots[q->free_count++] = slot;
    KeReleaseSpinLock(&q->lock, irql);
    if (next != NULL)
        q->start(q->driver, slot, next);
}

VOID dmatx_queue_fail(struct dmatx_queue *q, ULONG slot)
{
    KeAcquireSpinLockAtDpcLevel(&q->lock);
    q->failed_slots[q->failed_count++] = slot;
    KeReleaseSpinLockFromDpcLevel(&q->lock);
}

BOOLEAN dmatx_queue_next_failed(struct dmatx_queue *q, PULONG slot)
{
    BOOLEAN any;

    KeAcquireSpinLockAtDpcLevel(&q->lock);
    any = q->failed_count > 0;
    if (any)
        *slot = q->failed_slots[--q->failed_count];
    KeReleaseSpinLockFromDpcLevel(&q->lock);
    return any;
}
