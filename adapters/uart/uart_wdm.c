/*++

Module Name:

    uart_wdm.c

Abstract:

    A WDM function driver for the SoC UART card (docs/hardware/uart.md): a subordinate
    device, its data moved by the SoC DMA controller's channel on the card's request line,
    the version-3 way.

        DispatchReadWrite -> a request slot (its own DMA transfer context), or the waiting list
        -> GetDmaTransferInfo, AllocateAdapterChannelEx at DISPATCH_LEVEL
        -> ExecutionRoutine: MapTransferEx to the transmit (or receive) data register with a
           DmaCompletionRoutine, KeepObject (system DMA keeps the channel)
        -> the card asserts its line; the channel moves the bytes; the controller's completion
           interrupt runs the DmaCompletionRoutine at DISPATCH_LEVEL:
           FlushAdapterBuffersEx, then the next part (MapTransferEx may map less than asked),
           or FreeAdapterChannel and IoCompleteRequest

    The one channel serialises the requests: each waits in the HAL's queue for the adapter.

Environment:

    Kernel mode. Written against <wdm.h> alone (dmasim/wdm.h).

--*/

#include <dmasim/wdm.h>

#include "uart_hw.h"

#define UART_POOL_TAG 'trUd'
#define UART_PRIVATE_MAX_TRANSFER 1 /* DevicePrivate Data[1], docs/hardware/uart.md */
#define UART_PRIVATE_SLOTS        2 /* Data[2] */

DRIVER_INITIALIZE UartDriverEntry;

struct _UART_EXTENSION;

typedef struct _UART_REQUEST {
    UCHAR Context[DMA_TRANSFER_CONTEXT_SIZE_V1];
    struct _UART_EXTENSION *Ext;
    PIRP Irp;
    PVOID MapRegisterBase;
    ULONG Done, Current, Length;
    BOOLEAN Write;
} UART_REQUEST, *PUART_REQUEST;

typedef struct _UART_EXTENSION {
    PDEVICE_OBJECT Self, Lower, Pdo;
    BOOLEAN Started;
    PUCHAR Registers;
    PHYSICAL_ADDRESS RegistersBus;
    PDMA_ADAPTER Adapter;
    ULONG MapRegisters, MaxTransfer, Slots;
    PUART_REQUEST Requests;
    KSPIN_LOCK Lock;          /* the free requests and the waiting list */
    PULONG Free;
    ULONG FreeCount;
    LIST_ENTRY Waiting;
} UART_EXTENSION, *PUART_EXTENSION;

static DRIVER_ADD_DEVICE UartAddDevice;
static DRIVER_DISPATCH UartDispatchReadWrite;
static DRIVER_DISPATCH UartDispatchCreateClose;
static DRIVER_DISPATCH UartDispatchPnp;
static DRIVER_CONTROL UartExecutionRoutine;
static DMA_COMPLETION_ROUTINE UartDmaDone;

static PDMA_OPERATIONS Ops(PUART_EXTENSION Ext)
{
    return Ext->Adapter->DmaOperations;
}

NTSTATUS UartDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    DriverObject->MajorFunction[IRP_MJ_CREATE] = UartDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = UartDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_READ] = UartDispatchReadWrite;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = UartDispatchReadWrite;
    DriverObject->MajorFunction[IRP_MJ_PNP] = UartDispatchPnp;
    DriverObject->DriverExtension->AddDevice = UartAddDevice;
    return STATUS_SUCCESS;
}

static NTSTATUS UartAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    PDEVICE_OBJECT fdo;
    PUART_EXTENSION ext;
    NTSTATUS status;

    status = IoCreateDevice(DriverObject, sizeof(UART_EXTENSION), NULL,
                            FILE_DEVICE_SERIAL_PORT, 0, FALSE, &fdo);
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
    KeInitializeSpinLock(&ext->Lock);
    InitializeListHead(&ext->Waiting);
    fdo->Flags |= DO_DIRECT_IO;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

/* ---- requests ------------------------------------------------------------------------- */

/* Map what is left of the request (or as much as the controller takes) to the data register
 * of its direction. At DISPATCH_LEVEL, holding the channel. */
static NTSTATUS UartMapNext(PUART_REQUEST R)
{
    PUART_EXTENSION ext = R->Ext;
    ULONG len = R->Length - R->Done;
    ULONG offset = R->Write ? UART_REG_TX_FIFO : UART_REG_RX_FIFO;
    NTSTATUS status;

    if (len > ext->MaxTransfer)
        len = ext->MaxTransfer;
    status = Ops(ext)->MapTransferEx(ext->Adapter, R->Irp->MdlAddress, R->MapRegisterBase,
                                     R->Done, offset, &len, R->Write, NULL, 0, UartDmaDone, R);
    if (NT_SUCCESS(status))
        R->Current = len; /* written before the completion routine can run */
    return status;
}

static VOID UartStart(PUART_EXTENSION Ext, ULONG Slot, PIRP Irp);

static VOID UartFinish(PUART_REQUEST R, NTSTATUS Status)
{
    PUART_EXTENSION ext = R->Ext;
    PIRP irp = R->Irp, next = NULL;
    ULONG slot = (ULONG)(R - ext->Requests);
    KIRQL irql;

    R->Irp = NULL;
    irp->IoStatus.Status = Status;
    irp->IoStatus.Information = NT_SUCCESS(Status) ? R->Length : 0;
    IoCompleteRequest(irp, IO_SERIAL_INCREMENT);
    KeAcquireSpinLock(&ext->Lock, &irql);
    if (!IsListEmpty(&ext->Waiting))
        next = CONTAINING_RECORD(RemoveHeadList(&ext->Waiting), IRP, Tail.Overlay.ListEntry);
    else
        ext->Free[ext->FreeCount++] = slot;
    KeReleaseSpinLock(&ext->Lock, irql);
    if (next != NULL)
        UartStart(ext, slot, next);
}

static IO_ALLOCATION_ACTION UartExecutionRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                                 PVOID MapRegisterBase, PVOID Context)
{
    PUART_REQUEST r = Context;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    r->MapRegisterBase = MapRegisterBase;
    status = UartMapNext(r);
    if (!NT_SUCCESS(status)) {
        UartFinish(r, status);
        return DeallocateObject; /* nothing started: the channel goes back */
    }
    return KeepObject; /* system DMA: the channel stays with the transfer */
}

static VOID UartDmaDone(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                        PVOID CompletionContext, DMA_COMPLETION_STATUS Status)
{
    PUART_REQUEST r = CompletionContext;
    PUART_EXTENSION ext = r->Ext;
    NTSTATUS status = Status == DmaComplete ? STATUS_SUCCESS : STATUS_CANCELLED;

    UNREFERENCED_PARAMETER(DmaAdapter);
    UNREFERENCED_PARAMETER(DeviceObject);
    if (r->Irp == NULL)
        return;
    Ops(ext)->FlushAdapterBuffersEx(ext->Adapter, r->Irp->MdlAddress, r->MapRegisterBase,
                                    r->Done, r->Current, r->Write);
    /* a line error while the part moved fails the request (reading STATUS clears it) */
    if (NT_SUCCESS(status) &&
        (READ_REGISTER_ULONG((PULONG)(ext->Registers + UART_REG_STATUS)) &
         UART_STATUS_LINE_ERROR))
        status = STATUS_IO_DEVICE_ERROR;
    r->Done += r->Current;
    if (NT_SUCCESS(status) && r->Done < r->Length) {
        status = UartMapNext(r);
        if (NT_SUCCESS(status))
            return;
    }
    Ops(ext)->FreeAdapterChannel(ext->Adapter);
    UartFinish(r, status);
}

static VOID UartStart(PUART_EXTENSION Ext, ULONG Slot, PIRP Irp)
{
    PUART_REQUEST r = &Ext->Requests[Slot];
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    DMA_TRANSFER_INFO info;
    NTSTATUS status;
    KIRQL irql;

    r->Irp = Irp;
    r->Length = sp->Parameters.Read.Length;
    r->Write = sp->MajorFunction == IRP_MJ_WRITE;
    r->Done = r->Current = 0;
    RtlZeroMemory(&info, sizeof(info));
    info.Version = DMA_TRANSFER_INFO_VERSION1;
    status = Ops(Ext)->GetDmaTransferInfo(Ext->Adapter, Irp->MdlAddress, 0,
                                          r->Length < Ext->MaxTransfer ? r->Length
                                                                       : Ext->MaxTransfer,
                                          r->Write, &info);
    if (NT_SUCCESS(status)) {
        KeRaiseIrql(DISPATCH_LEVEL, &irql);
        status = Ops(Ext)->AllocateAdapterChannelEx(Ext->Adapter, Ext->Pdo, r->Context,
                                                    info.V1.MapRegisterCount, 0,
                                                    UartExecutionRoutine, r, NULL);
        KeLowerIrql(irql);
    }
    if (!NT_SUCCESS(status))
        UartFinish(r, status);
}

static NTSTATUS UartDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS UartDispatchReadWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PUART_EXTENSION ext = DeviceObject->DeviceExtension;
    ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Read.Length;
    LONG slot = -1;
    KIRQL irql;

    if (!ext->Started || length == 0) {
        Irp->IoStatus.Status = ext->Started ? STATUS_SUCCESS : STATUS_DEVICE_NOT_READY;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return Irp->IoStatus.Status;
    }
    IoMarkIrpPending(Irp);
    KeAcquireSpinLock(&ext->Lock, &irql);
    if (ext->FreeCount > 0)
        slot = (LONG)ext->Free[--ext->FreeCount];
    else
        InsertTailList(&ext->Waiting, &Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&ext->Lock, irql);
    if (slot >= 0)
        UartStart(ext, (ULONG)slot, Irp);
    return STATUS_PENDING;
}

/* ---- PnP ------------------------------------------------------------------------------ */

static NTSTATUS UartStartDevice(PUART_EXTENSION Ext, PCM_RESOURCE_LIST Translated)
{
    PCM_PARTIAL_RESOURCE_LIST list;
    DEVICE_DESCRIPTION dd;
    DMA_ADAPTER_INFO info;
    ULONG line = 0;
    BOOLEAN haveLine = FALSE;

    if (Translated == NULL || Translated->Count == 0)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    Ext->MaxTransfer = 4096;
    Ext->Slots = 1;
    list = &Translated->List[0].PartialResourceList;
    for (ULONG i = 0; i < list->Count; i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &list->PartialDescriptors[i];
        if (d->Type == CmResourceTypeMemory && d->u.Memory.Length >= UART_BAR_BYTES) {
            Ext->RegistersBus = d->u.Memory.Start;
            Ext->Registers = MmMapIoSpace(d->u.Memory.Start, UART_BAR_BYTES, MmNonCached);
        } else if (d->Type == CmResourceTypeDma && (d->Flags & CM_RESOURCE_DMA_V3)) {
            line = d->u.DmaV3.RequestLine;
            haveLine = TRUE;
        } else if (d->Type == CmResourceTypeDevicePrivate) {
            Ext->MaxTransfer = d->u.DevicePrivate.Data[UART_PRIVATE_MAX_TRANSFER];
            Ext->Slots = d->u.DevicePrivate.Data[UART_PRIVATE_SLOTS];
        }
    }
    if (Ext->Registers == NULL || !haveLine || Ext->Slots == 0 ||
        READ_REGISTER_ULONG((PULONG)(Ext->Registers + UART_REG_ID)) != UART_ID)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    RtlZeroMemory(&dd, sizeof(dd));
    dd.Version = DEVICE_DESCRIPTION_VERSION3;
    dd.Master = FALSE;
    dd.DmaWidth = Width8Bits; /* the FIFO's data registers take bytes */
    dd.DmaRequestLine = line;
    dd.DeviceAddress = Ext->RegistersBus; /* each transfer's DeviceOffset picks TX or RX */
    dd.MaximumLength = Ext->MaxTransfer;
    Ext->Adapter = IoGetDmaAdapter(Ext->Pdo, &dd, &Ext->MapRegisters);
    if (Ext->Adapter == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    /* the 8237 would take a version-3 subordinate too, but raises no completion interrupt */
    RtlZeroMemory(&info, sizeof(info));
    info.Version = DMA_ADAPTER_INFO_VERSION1;
    if (!NT_SUCCESS(Ops(Ext)->GetDmaAdapterInfo(Ext->Adapter, &info)) ||
        info.V1.ScatterGatherLimit < 2)
        return STATUS_NOT_SUPPORTED;
    Ext->Requests = ExAllocatePool2(POOL_FLAG_NON_PAGED, Ext->Slots * sizeof(UART_REQUEST),
                                    UART_POOL_TAG);
    Ext->Free = ExAllocatePool2(POOL_FLAG_NON_PAGED, Ext->Slots * sizeof(ULONG), UART_POOL_TAG);
    if (Ext->Requests == NULL || Ext->Free == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    for (ULONG i = 0; i < Ext->Slots; i++) {
        Ext->Requests[i].Ext = Ext;
        Ops(Ext)->InitializeDmaTransferContext(Ext->Adapter, Ext->Requests[i].Context);
        Ext->Free[i] = Ext->Slots - 1 - i;
    }
    Ext->FreeCount = Ext->Slots;
    WRITE_REGISTER_ULONG((PULONG)(Ext->Registers + UART_REG_CONTROL), UART_CONTROL_RESET);
    Ext->Started = TRUE;
    return STATUS_SUCCESS;
}

static VOID UartStopDevice(PUART_EXTENSION Ext)
{
    if (Ext->Adapter != NULL)
        Ops(Ext)->PutDmaAdapter(Ext->Adapter);
    Ext->Adapter = NULL;
    if (Ext->Requests != NULL)
        ExFreePool(Ext->Requests);
    if (Ext->Free != NULL)
        ExFreePool(Ext->Free);
    Ext->Requests = NULL;
    Ext->Free = NULL;
    if (Ext->Registers != NULL)
        MmUnmapIoSpace(Ext->Registers, UART_BAR_BYTES);
    Ext->Registers = NULL;
    Ext->Started = FALSE;
}

static NTSTATUS UartDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PUART_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (sp->MinorFunction) {
    case IRP_MN_START_DEVICE:
        /* the bus driver starts the device first: a start is handled on the way back up */
        status = IoForwardIrpSynchronously(ext->Lower, Irp) ? Irp->IoStatus.Status
                                                            : STATUS_UNSUCCESSFUL;
        if (NT_SUCCESS(status))
            status = UartStartDevice(ext,
                                     sp->Parameters.StartDevice.AllocatedResourcesTranslated);
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
    case IRP_MN_STOP_DEVICE:
        UartStopDevice(ext);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        break;
    case IRP_MN_REMOVE_DEVICE:
        UartStopDevice(ext);
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
