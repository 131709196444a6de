/*++

Module Name:

    storage_wdm.c

Abstract:

    A WDM function driver for the storage controller (docs/hardware/storage.md): a command
    table and a completion queue in one common buffer, a doorbell per command, one interrupt.
    Requests run concurrently, one per command slot, up to the queue depth the firmware gives
    (the rest wait in a list). Each request is mapped by the calling pattern the firmware
    names, through dmatx (adapters/lib/dmatx.c: a small DMA-transaction library in the manner
    of KMDF's, written against <wdm.h>): v1 AllocateAdapterChannel and MapTransfer, v2
    GetScatterGatherList or BuildScatterGatherList, or v3 MapTransferEx; a request larger than
    one mapping is split, the next part started from the DPC.

        DispatchReadWrite -> a free slot, or the waiting list
        -> dmatx maps the next part -> StorProgram: the command in the table, the doorbell
        -> the controller completes by DMA -> ISR: acknowledge, IoRequestDpc
        -> DpcForIsr: each new completion entry: release the mapping, the next part or
           IoCompleteRequest, and the slot to the next waiting request

Environment:

    Kernel mode. Written against <wdm.h> alone (dmasim/wdm.h), and dmatx.

--*/

#include <dmasim/wdm.h>

#include "../lib/dmatx.h"
#include "storage_hw.h"

#define STOR_POOL_TAG 'rtSd'

DRIVER_INITIALIZE StorDriverEntry;

typedef struct _STOR_EXTENSION {
    struct dmatx_enabler Dma;  /* first: dmatx's program routine finds the extension in it */
    PDEVICE_OBJECT Self, Lower, Pdo;
    BOOLEAN Started;
    PUCHAR Registers;
    PKINTERRUPT Interrupt;
    PUCHAR Queues;             /* common buffer: the command table, then the completion queue */
    PHYSICAL_ADDRESS QueuesLogical;
    ULONG QueuesBytes, CommandStride, Slots, MaxTransfer;
    BOOLEAN QueuesContiguous;  /* the wrong way: MmAllocateContiguousMemory's, by physical */
    ULONG CqHead;
    USHORT CqPhase;
    struct dmatx_queue Queue;  /* the slots: free, waiting requests, failed */
    PLONGLONG SlotOffset;      /* per slot: the media offset of its request */
} STOR_EXTENSION, *PSTOR_EXTENSION;

static DRIVER_ADD_DEVICE StorAddDevice;
static DRIVER_DISPATCH StorDispatchReadWrite;
static DRIVER_DISPATCH StorDispatchCreateClose;
static DRIVER_DISPATCH StorDispatchPnp;
static KSERVICE_ROUTINE StorIsr;
static IO_DPC_ROUTINE StorDpcForIsr;

static ULONG StorRead(PSTOR_EXTENSION Ext, ULONG Register)
{
    return READ_REGISTER_ULONG((PULONG)(Ext->Registers + Register));
}

static VOID StorWrite(PSTOR_EXTENSION Ext, ULONG Register, ULONG Value)
{
    WRITE_REGISTER_ULONG((PULONG)(Ext->Registers + Register), Value);
}

/* ---- DriverEntry, AddDevice ----------------------------------------------------------- */

NTSTATUS StorDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    DriverObject->MajorFunction[IRP_MJ_CREATE] = StorDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = StorDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_READ] = StorDispatchReadWrite;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = StorDispatchReadWrite;
    DriverObject->MajorFunction[IRP_MJ_PNP] = StorDispatchPnp;
    DriverObject->DriverExtension->AddDevice = StorAddDevice;
    return STATUS_SUCCESS;
}

static NTSTATUS StorAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    PDEVICE_OBJECT fdo;
    PSTOR_EXTENSION ext;
    NTSTATUS status;

    status = IoCreateDevice(DriverObject, sizeof(STOR_EXTENSION), NULL, FILE_DEVICE_DISK, 0,
                            FALSE, &fdo);
    if (!NT_SUCCESS(status))
        return status;
    ext = fdo->DeviceExtension;
    ext->Self = fdo;
    ext->Pdo = Pdo;
    ext->Lower = IoAttachDeviceToDeviceStack(fdo, Pdo);
    if (ext->Lower == NULL) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    IoInitializeDpcRequest(fdo, StorDpcForIsr);
    fdo->Flags |= DO_DIRECT_IO;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

/* ---- the command ---------------------------------------------------------------------- */

/* dmatx's program routine, at DISPATCH_LEVEL: the part's command, then the doorbell. With no
 * list the mapping failed: the DPC completes the request with its status. */
static void StorProgram(struct dmatx *tx, PSCATTER_GATHER_LIST sgl)
{
    PSTOR_EXTENSION ext = tx->en->driver;
    STOR_COMMAND *c;

    if (sgl == NULL) {
        dmatx_queue_fail(&ext->Queue, tx->slot);
        IoRequestDpc(ext->Self, NULL, NULL);
        return;
    }
    c = (STOR_COMMAND *)(ext->Queues + tx->slot * ext->CommandStride);
    c->Offset = (ULONGLONG)(ext->SlotOffset[tx->slot] + tx->done);
    c->Bytes = tx->current;
    c->Write = tx->write_to_device;
    c->Flags = tx->transfers == 1 ? STOR_CMD_FIRST : 0;
    c->Tag = (USHORT)tx->slot;
    c->Elements = sgl->NumberOfElements;
    for (ULONG i = 0; i < sgl->NumberOfElements; i++) {
        c->Element[i].Address = (ULONGLONG)sgl->Elements[i].Address.QuadPart;
        c->Element[i].Length = sgl->Elements[i].Length;
    }
    StorWrite(ext, STOR_REG_DOORBELL, tx->slot);
}

static VOID StorComplete(PSTOR_EXTENSION Ext, ULONG Slot, NTSTATUS Status)
{
    struct dmatx *tx = &Ext->Dma.txs[Slot];
    PIRP irp = tx->request;

    tx->request = NULL;
    irp->IoStatus.Status = Status;
    irp->IoStatus.Information =
        NT_SUCCESS(Status) ? IoGetCurrentIrpStackLocation(irp)->Parameters.Read.Length : 0;
    IoCompleteRequest(irp, IO_DISK_INCREMENT);
    dmatx_queue_release(&Ext->Queue, Slot);
}

/* The queue's start routine: irp in slot (at PASSIVE_LEVEL or DISPATCH_LEVEL). */
static VOID StorStart(PVOID Driver, ULONG Slot, PIRP Irp)
{
    PSTOR_EXTENSION Ext = Driver;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    Ext->SlotOffset[Slot] = sp->Parameters.Read.ByteOffset.QuadPart;
    status = dmatx_execute(&Ext->Dma, Slot, Irp, Irp->MdlAddress,
                           MmGetMdlVirtualAddress(Irp->MdlAddress),
                           sp->Parameters.Read.Length, sp->MajorFunction == IRP_MJ_WRITE);
    if (!NT_SUCCESS(status)) {
        Ext->Dma.txs[Slot].request = Irp;
        StorComplete(Ext, Slot, status);
    }
}

/* ---- requests ------------------------------------------------------------------------- */

static NTSTATUS StorDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS StorDispatchReadWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PSTOR_EXTENSION ext = DeviceObject->DeviceExtension;
    ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Read.Length;
    NTSTATUS status = STATUS_SUCCESS;

    if (!ext->Started)
        status = STATUS_DEVICE_NOT_READY;
    else if (length > ext->MaxTransfer)
        status = STATUS_INVALID_PARAMETER;
    if (!NT_SUCCESS(status) || length == 0) {
        Irp->IoStatus.Status = status;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
    }
    IoMarkIrpPending(Irp);
    dmatx_queue_add(&ext->Queue, Irp);
    return STATUS_PENDING;
}

static BOOLEAN StorIsr(PKINTERRUPT Interrupt, PVOID ServiceContext)
{
    PSTOR_EXTENSION ext = ServiceContext;

    UNREFERENCED_PARAMETER(Interrupt);
    if (!(StorRead(ext, STOR_REG_INT_STATUS) & STOR_INT_COMPLETION))
        return FALSE;
    StorWrite(ext, STOR_REG_INT_STATUS, STOR_INT_COMPLETION);
    IoRequestDpc(ext->Self, NULL, NULL);
    return TRUE;
}

static VOID StorDpcForIsr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PSTOR_EXTENSION ext = DeviceObject->DeviceExtension;
    STOR_COMPLETION *cq = (STOR_COMPLETION *)(ext->Queues + ext->Slots * ext->CommandStride);
    ULONG slot;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(Context);
    while (cq[ext->CqHead].Phase == ext->CqPhase) {
        STOR_COMPLETION entry = cq[ext->CqHead];
        struct dmatx *tx;

        if (++ext->CqHead == ext->Slots) {
            ext->CqHead = 0;
            ext->CqPhase ^= 1;
        }
        if (entry.Tag >= ext->Slots || ext->Dma.txs[entry.Tag].request == NULL)
            continue; /* an entry for no request: the controller wrote garbage */
        tx = &ext->Dma.txs[entry.Tag];
        if (!NT_SUCCESS(entry.Status))
            tx->status = entry.Status;
        if (dmatx_transfer_done(tx))
            StorComplete(ext, entry.Tag, tx->status);
    }
    while (dmatx_queue_next_failed(&ext->Queue, &slot))
        StorComplete(ext, slot, ext->Dma.txs[slot].status);
}

/* ---- PnP ------------------------------------------------------------------------------ */

static NTSTATUS StorQueues(PSTOR_EXTENSION Ext)
{
    PDMA_ADAPTER a = Ext->Dma.adapter;
    ULONGLONG cq;

    Ext->QueuesBytes = Ext->Slots * Ext->CommandStride + Ext->Slots * sizeof(STOR_COMPLETION);
    if (Ext->QueuesContiguous) {
        /* the way the DMA guidance warns against: contiguous memory anywhere, and the CPU's
         * physical address of it for the controller, as if the two were the same */
        PHYSICAL_ADDRESS low = {.QuadPart = 0}, high = {.QuadPart = -1}, none = {.QuadPart = 0};
        Ext->Queues = MmAllocateContiguousMemorySpecifyCache(Ext->QueuesBytes, low, high, none,
                                                             MmCached);
        if (Ext->Queues != NULL)
            Ext->QueuesLogical = MmGetPhysicalAddress(Ext->Queues);
    } else {
        Ext->Queues = a->DmaOperations->AllocateCommonBuffer(a, Ext->QueuesBytes,
                                                             &Ext->QueuesLogical, TRUE);
    }
    if (Ext->Queues != NULL)
        RtlZeroMemory(Ext->Queues, Ext->QueuesBytes);
    if (Ext->Queues == NULL ||
        !NT_SUCCESS(dmatx_queue_init(&Ext->Queue, Ext->Slots, StorStart, Ext)))
        return STATUS_INSUFFICIENT_RESOURCES;
    Ext->SlotOffset = ExAllocatePool2(POOL_FLAG_NON_PAGED, Ext->Slots * sizeof(LONGLONG),
                                      STOR_POOL_TAG);
    if (Ext->SlotOffset == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    Ext->CqHead = 0;
    Ext->CqPhase = 1;
    cq = (ULONGLONG)Ext->QueuesLogical.QuadPart + (ULONGLONG)Ext->Slots * Ext->CommandStride;
    StorWrite(Ext, STOR_REG_CMD_BASE_LO, Ext->QueuesLogical.LowPart);
    StorWrite(Ext, STOR_REG_CMD_BASE_HI, (ULONG)Ext->QueuesLogical.HighPart);
    StorWrite(Ext, STOR_REG_CQ_BASE_LO, (ULONG)cq);
    StorWrite(Ext, STOR_REG_CQ_BASE_HI, (ULONG)(cq >> 32));
    StorWrite(Ext, STOR_REG_SLOTS, Ext->Slots);
    StorWrite(Ext, STOR_REG_CMD_STRIDE, Ext->CommandStride);
    StorWrite(Ext, STOR_REG_CONTROL, STOR_CONTROL_ENABLE | STOR_CONTROL_INT_ENABLE);
    return STATUS_SUCCESS;
}

static NTSTATUS StorStartDevice(PSTOR_EXTENSION Ext, PCM_RESOURCE_LIST Translated)
{
    PCM_PARTIAL_RESOURCE_LIST list;
    DEVICE_DESCRIPTION dd;
    IO_CONNECT_INTERRUPT_PARAMETERS connect;
    ULONG declaredBits = 64, config = 0, maxElements;
    enum dms_pattern pattern;
    BOOLEAN sg;
    NTSTATUS status;
    char why[200];

    if (Translated == NULL || Translated->Count == 0)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    list = &Translated->List[0].PartialResourceList;
    for (ULONG i = 0; i < list->Count; i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &list->PartialDescriptors[i];
        if (d->Type == CmResourceTypeMemory && d->u.Memory.Length >= STOR_BAR_BYTES)
            Ext->Registers = MmMapIoSpace(d->u.Memory.Start, STOR_BAR_BYTES, MmNonCached);
        else if (d->Type == CmResourceTypeDevicePrivate) {
            declaredBits = d->u.DevicePrivate.Data[STOR_PRIVATE_DECLARED_BITS];
            Ext->MaxTransfer = d->u.DevicePrivate.Data[STOR_PRIVATE_MAX_TRANSFER];
            config = d->u.DevicePrivate.Data[STOR_PRIVATE_CONFIG];
        }
    }
    if (Ext->Registers == NULL || StorRead(Ext, STOR_REG_ID) != STOR_ID)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    if (Ext->MaxTransfer == 0 || Ext->MaxTransfer > StorRead(Ext, STOR_REG_MAX_TRANSFER))
        Ext->MaxTransfer = StorRead(Ext, STOR_REG_MAX_TRANSFER);
    Ext->Slots = config >> 16;
    if (Ext->Slots == 0 || Ext->Slots > StorRead(Ext, STOR_REG_MAX_SLOTS))
        Ext->Slots = 1;
    pattern = (enum dms_pattern)(config & 0xFF);
    maxElements = StorRead(Ext, STOR_REG_MAX_ELEMENTS);
    sg = (StorRead(Ext, STOR_REG_FEATURES) & STOR_FEATURE_SCATTER_GATHER) != 0;
    Ext->CommandStride = sizeof(STOR_COMMAND) + maxElements * sizeof(STOR_ELEMENT);

    RtlZeroMemory(&connect, sizeof(connect));
    connect.Version = CONNECT_LINE_BASED;
    connect.LineBased.PhysicalDeviceObject = Ext->Pdo;
    connect.LineBased.InterruptObject = &Ext->Interrupt;
    connect.LineBased.ServiceRoutine = StorIsr;
    connect.LineBased.ServiceContext = Ext;
    status = IoConnectInterruptEx(&connect);
    if (!NT_SUCCESS(status))
        return status;

    dmatx_describe(&dd, pattern, declaredBits, sg, Ext->MaxTransfer);
    /* the transactions get their adapter for the physical device object, as a function
     * driver's must */
    status = dmatx_enabler_init(&Ext->Dma, Ext->Pdo, &dd, pattern, Ext->MaxTransfer,
                                Ext->Slots, StorProgram, Ext, why, sizeof(why));
    if (!NT_SUCCESS(status))
        return status;
    Ext->Dma.flush_io_buffers = (config & 0x100) != 0;
    Ext->QueuesContiguous = (config & STOR_CONFIG_QUEUE_CONTIGUOUS) != 0;
    status = StorQueues(Ext);
    if (NT_SUCCESS(status))
        Ext->Started = TRUE;
    return status;
}

static VOID StorStopDevice(PSTOR_EXTENSION Ext)
{
    PDMA_ADAPTER a = Ext->Dma.adapter;

    if (Ext->Registers != NULL)
        StorWrite(Ext, STOR_REG_CONTROL, 0);
    if (Ext->Interrupt != NULL)
        IoDisconnectInterrupt(Ext->Interrupt);
    Ext->Interrupt = NULL;
    if (Ext->Queues != NULL && Ext->QueuesContiguous)
        MmFreeContiguousMemorySpecifyCache(Ext->Queues, Ext->QueuesBytes, MmCached);
    else if (Ext->Queues != NULL && a != NULL)
        a->DmaOperations->FreeCommonBuffer(a, Ext->QueuesBytes, Ext->QueuesLogical, Ext->Queues,
                                           TRUE);
    Ext->Queues = NULL;
    if (a != NULL)
        dmatx_enabler_release(&Ext->Dma, true);
    dmatx_queue_free(&Ext->Queue);
    if (Ext->SlotOffset != NULL)
        ExFreePool(Ext->SlotOffset);
    Ext->SlotOffset = NULL;
    if (Ext->Registers != NULL)
        MmUnmapIoSpace(Ext->Registers, STOR_BAR_BYTES);
    Ext->Registers = NULL;
    Ext->Started = FALSE;
}

static NTSTATUS StorDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PSTOR_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (sp->MinorFunction) {
    case IRP_MN_START_DEVICE:
        /* the bus driver starts the device first: a start is handled on the way back up */
        status = IoForwardIrpSynchronously(ext->Lower, Irp) ? Irp->IoStatus.Status
                                                            : STATUS_UNSUCCESSFUL;
        if (NT_SUCCESS(status))
            status = StorStartDevice(ext,
                                     sp->Parameters.StartDevice.AllocatedResourcesTranslated);
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
    case IRP_MN_STOP_DEVICE:
        StorStopDevice(ext);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        break;
    case IRP_MN_REMOVE_DEVICE:
        StorStopDevice(ext);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(ext->Lower, Irp);
        IoDetachDevice(ext->Lower);
        IoDeleteDevice(DeviceObject);
        return status;
    default:
        break;
    }
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(ext->Lower, Irp);
}
