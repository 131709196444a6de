/*++

Module Name:

    legacy_wdm.c

Abstract:

    A WDM function driver for the legacy bus-master card (docs/hardware/legacy.md): the packet
    DMA pattern of the WDK documentation, for a device without scatter/gather.

        DispatchReadWrite -> IoStartPacket -> StartIo -> AllocateAdapterChannel
        -> AdapterControl: MapTransfer, program the card, DeallocateObjectKeepRegisters
        -> card interrupt -> ISR: acknowledge, IoRequestDpc
        -> DpcForIsr: FlushAdapterBuffers, FreeMapRegisters; the next piece of a request
           larger than the map registers allow, or IoStartNextPacket and IoCompleteRequest

    The card moves one contiguous range per transfer, so the HAL's map registers make each
    piece contiguous in logical space (bouncing what the card cannot reach). StartIo
    serialises the requests: one on the card at a time.

    The firmware may name another calling pattern (v2 GetScatterGatherList or
    BuildScatterGatherList, v3 MapTransferEx, a copy through a common buffer): then StartIo
    hands the request to a dmatx transaction (adapters/lib/dmatx.c, in the manner of KMDF's),
    and LegacyProgram writes the same registers from the one element its list must have.

Environment:

    Kernel mode. Written against <wdm.h> alone (dmasim/wdm.h); dmatx for the other patterns.

--*/

#include <dmasim/wdm.h>

#include "../lib/dmatx.h"
#include "legacy_hw.h"

#define LEGACY_POOL_TAG 'geLd'

typedef struct _LEGACY_EXTENSION {
    PDEVICE_OBJECT Self;
    PDEVICE_OBJECT LowerDevice;
    PDEVICE_OBJECT Pdo;
    BOOLEAN Started;
    /* hardware */
    PUCHAR Registers;
    ULONG RegistersLength;
    PKINTERRUPT Interrupt;
    /* DMA */
    PDMA_ADAPTER Adapter;
    ULONG MapRegisters;        /* what IoGetDmaAdapter allows per transfer */
    ULONG MaximumTransfer;     /* what one request may carry */
    BOOLEAN FlushIoBuffers;    /* keep the CPU's caches right where DMA does not snoop them */
    /* the request on the card */
    PVOID CurrentVa;           /* next byte to map, in the MDL's virtual range */
    ULONG Remaining;           /* bytes still to transfer */
    ULONG PieceLength;         /* bytes of the transfer under way */
    ULONG PieceRegisters;
    PVOID MapRegisterBase;
    LONGLONG MediaOffset;
    BOOLEAN WriteToDevice;
    NTSTATUS Status;
    /* any other pattern: one transaction, for the request on the card */
    enum dms_pattern Pattern;
    struct dmatx_enabler Dma;
} LEGACY_EXTENSION, *PLEGACY_EXTENSION;

DRIVER_INITIALIZE LegacyDriverEntry;
static DRIVER_ADD_DEVICE LegacyAddDevice;
static DRIVER_DISPATCH LegacyDispatchCreateClose;
static DRIVER_DISPATCH LegacyDispatchReadWrite;
static DRIVER_DISPATCH LegacyDispatchPnp;
static DRIVER_STARTIO LegacyStartIo;
static DRIVER_UNLOAD LegacyUnload;
static KSERVICE_ROUTINE LegacyIsr;
static IO_DPC_ROUTINE LegacyDpcForIsr;
static DRIVER_CONTROL LegacyAdapterControl;
static void LegacyProgram(struct dmatx *tx, PSCATTER_GATHER_LIST sgl);

static ULONG LegacyRead(PLEGACY_EXTENSION Ext, ULONG Register)
{
    return READ_REGISTER_ULONG((PULONG)(Ext->Registers + Register));
}

static VOID LegacyWrite(PLEGACY_EXTENSION Ext, ULONG Register, ULONG Value)
{
    WRITE_REGISTER_ULONG((PULONG)(Ext->Registers + Register), Value);
}

/* ---- DriverEntry, AddDevice, Unload --------------------------------------------------- */

NTSTATUS LegacyDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    DriverObject->MajorFunction[IRP_MJ_CREATE] = LegacyDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = LegacyDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_READ] = LegacyDispatchReadWrite;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = LegacyDispatchReadWrite;
    DriverObject->MajorFunction[IRP_MJ_PNP] = LegacyDispatchPnp;
    DriverObject->DriverStartIo = LegacyStartIo;
    DriverObject->DriverUnload = LegacyUnload;
    DriverObject->DriverExtension->AddDevice = LegacyAddDevice;
    return STATUS_SUCCESS;
}

static NTSTATUS LegacyAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    PDEVICE_OBJECT fdo;
    PLEGACY_EXTENSION ext;
    NTSTATUS status;

    status = IoCreateDevice(DriverObject, sizeof(LEGACY_EXTENSION), NULL, FILE_DEVICE_DISK, 0,
                            FALSE, &fdo);
    if (!NT_SUCCESS(status))
        return status;
    ext = fdo->DeviceExtension;
    RtlZeroMemory(ext, sizeof(*ext));
    ext->Self = fdo;
    ext->Pdo = Pdo;
    ext->LowerDevice = IoAttachDeviceToDeviceStack(fdo, Pdo);
    if (ext->LowerDevice == NULL) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    fdo->Flags |= DO_DIRECT_IO;
    IoInitializeDpcRequest(fdo, LegacyDpcForIsr);
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static VOID LegacyUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject); /* every device went with IRP_MN_REMOVE_DEVICE */
}

/* ---- PnP: start with the resources, stop, remove --------------------------------------- */

static NTSTATUS LegacyStartDevice(PLEGACY_EXTENSION Ext, PCM_RESOURCE_LIST Translated)
{
    PCM_PARTIAL_RESOURCE_LIST list;
    DEVICE_DESCRIPTION dd;
    IO_CONNECT_INTERRUPT_PARAMETERS connect;
    ULONG declaredBits = 32;
    NTSTATUS status;
    BOOLEAN haveInterrupt = FALSE;

    if (Translated == NULL || Translated->Count == 0)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    Ext->MaximumTransfer = 64 * 1024;
    list = &Translated->List[0].PartialResourceList;
    for (ULONG i = 0; i < list->Count; i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &list->PartialDescriptors[i];
        switch (d->Type) {
        case CmResourceTypeMemory:
            Ext->RegistersLength = d->u.Memory.Length;
            Ext->Registers = MmMapIoSpace(d->u.Memory.Start, d->u.Memory.Length, MmNonCached);
            break;
        case CmResourceTypeInterrupt:
            haveInterrupt = TRUE;
            break;
        case CmResourceTypeDevicePrivate:
            declaredBits = d->u.DevicePrivate.Data[LEGACY_PRIVATE_DECLARED_BITS] & 0xFF;
            Ext->Pattern = (enum dms_pattern)(
                (d->u.DevicePrivate.Data[LEGACY_PRIVATE_DECLARED_BITS] >> 8) & 0xFF);
            Ext->MaximumTransfer = d->u.DevicePrivate.Data[LEGACY_PRIVATE_MAX_TRANSFER];
            Ext->FlushIoBuffers = d->u.DevicePrivate.Data[LEGACY_PRIVATE_FLUSH] != 0;
            break;
        default:
            break;
        }
    }
    if (Ext->Registers == NULL || Ext->RegistersLength < LEGACY_BAR_BYTES || !haveInterrupt)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    if (LegacyRead(Ext, LEGACY_REG_ID) != LEGACY_ID)
        return STATUS_NO_SUCH_DEVICE;
    if (Ext->MaximumTransfer == 0 ||
        Ext->MaximumTransfer > LegacyRead(Ext, LEGACY_REG_MAX_TRANSFER))
        Ext->MaximumTransfer = LegacyRead(Ext, LEGACY_REG_MAX_TRANSFER);

    RtlZeroMemory(&connect, sizeof(connect));
    connect.Version = CONNECT_LINE_BASED;
    connect.LineBased.PhysicalDeviceObject = Ext->Pdo;
    connect.LineBased.InterruptObject = &Ext->Interrupt;
    connect.LineBased.ServiceRoutine = LegacyIsr;
    connect.LineBased.ServiceContext = Ext;
    status = IoConnectInterruptEx(&connect);
    if (!NT_SUCCESS(status))
        return status;

    /* No scatter/gather: the HAL makes every piece contiguous with map registers. */
    RtlZeroMemory(&dd, sizeof(dd));
    dd.Version = DEVICE_DESCRIPTION_VERSION2;
    dd.Master = TRUE;
    dd.ScatterGather = FALSE;
    dd.Dma32BitAddresses = declaredBits >= 32;
    dd.Dma64BitAddresses = declaredBits >= 64;
    dd.InterfaceType = declaredBits < 32 ? Isa : PCIBus;
    dd.MaximumLength = Ext->MaximumTransfer;
    if (Ext->Pattern != DMS_PATTERN_PACKET) {
        char why[200];
        dmatx_describe(&dd, Ext->Pattern, declaredBits, FALSE, Ext->MaximumTransfer);
        status = dmatx_enabler_init(&Ext->Dma, Ext->Pdo, &dd, Ext->Pattern,
                                    Ext->MaximumTransfer, 1, LegacyProgram, Ext, why,
                                    sizeof(why));
        if (!NT_SUCCESS(status))
            return status;
        Ext->Dma.flush_io_buffers = Ext->FlushIoBuffers;
        Ext->Adapter = Ext->Dma.adapter;
        Ext->MapRegisters = Ext->Dma.map_registers;
    } else {
        Ext->Adapter = IoGetDmaAdapter(Ext->Pdo, &dd, &Ext->MapRegisters);
    }
    if (Ext->Adapter == NULL || Ext->MapRegisters == 0)
        return STATUS_INSUFFICIENT_RESOURCES;
    LegacyWrite(Ext, LEGACY_REG_INT_STATUS, LEGACY_INT_DONE); /* nothing stale pending */
    Ext->Started = TRUE;
    return STATUS_SUCCESS;
}

static VOID LegacyStopDevice(PLEGACY_EXTENSION Ext)
{
    if (Ext->Interrupt != NULL) {
        IoDisconnectInterrupt(Ext->Interrupt);
        Ext->Interrupt = NULL;
    }
    if (Ext->Dma.adapter != NULL) {
        dmatx_enabler_release(&Ext->Dma, true); /* puts the adapter */
        Ext->Adapter = NULL;
    } else if (Ext->Adapter != NULL) {
        Ext->Adapter->DmaOperations->PutDmaAdapter(Ext->Adapter);
        Ext->Adapter = NULL;
    }
    if (Ext->Registers != NULL) {
        MmUnmapIoSpace(Ext->Registers, Ext->RegistersLength);
        Ext->Registers = NULL;
    }
    Ext->Started = FALSE;
}

static NTSTATUS LegacyDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PLEGACY_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (sp->MinorFunction) {
    case IRP_MN_START_DEVICE:
        /* the bus driver starts the device first: a start is handled on the way back up */
        status = IoForwardIrpSynchronously(ext->LowerDevice, Irp) ? Irp->IoStatus.Status
                                                                  : STATUS_UNSUCCESSFUL;
        if (NT_SUCCESS(status))
            status = LegacyStartDevice(
                ext, sp->Parameters.StartDevice.AllocatedResourcesTranslated);
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
    case IRP_MN_STOP_DEVICE:
        LegacyStopDevice(ext);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        break;
    case IRP_MN_REMOVE_DEVICE:
        LegacyStopDevice(ext);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(ext->LowerDevice, Irp);
        IoDetachDevice(ext->LowerDevice);
        IoDeleteDevice(DeviceObject);
        return status;
    default:
        break;
    }
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(ext->LowerDevice, Irp);
}

/* ---- requests --------------------------------------------------------------------------- */

static NTSTATUS LegacyDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS LegacyDispatchReadWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PLEGACY_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    ULONG length = sp->Parameters.Read.Length; /* Read and Write share the layout */
    NTSTATUS status = STATUS_SUCCESS;

    if (!ext->Started)
        status = STATUS_DEVICE_NOT_READY;
    else if (length > ext->MaximumTransfer)
        status = STATUS_INVALID_PARAMETER;
    if (!NT_SUCCESS(status) || length == 0) {
        Irp->IoStatus.Status = status;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
    }
    IoMarkIrpPending(Irp);
    IoStartPacket(DeviceObject, Irp, NULL, NULL);
    return STATUS_PENDING;
}

/* Ask for the map registers of the next piece; AdapterControl programs it. */
static VOID LegacyStartPiece(PLEGACY_EXTENSION Ext, PIRP Irp)
{
    ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(Ext->CurrentVa, Ext->Remaining);
    NTSTATUS status;

    Ext->PieceRegisters = pages < Ext->MapRegisters ? pages : Ext->MapRegisters;
    status = Ext->Adapter->DmaOperations->AllocateAdapterChannel(
        Ext->Adapter, Ext->Self, Ext->PieceRegisters, LegacyAdapterControl, Irp);
    if (!NT_SUCCESS(status)) {
        Ext->Status = status;
        IoRequestDpc(Ext->Self, Irp, NULL); /* the DPC completes it */
    }
}

static VOID LegacyStartIo(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PLEGACY_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);

    ext->CurrentVa = MmGetMdlVirtualAddress(Irp->MdlAddress);
    ext->Remaining = sp->Parameters.Read.Length;
    ext->MediaOffset = sp->Parameters.Read.ByteOffset.QuadPart;
    ext->WriteToDevice = sp->MajorFunction == IRP_MJ_WRITE;
    ext->Status = STATUS_SUCCESS;
    ext->MapRegisterBase = NULL;
    /* MapTransfer and FlushAdapterBuffers maintain no CPU cache: before the card reads the
     * buffer, the CPU's writes must reach memory (after it wrote, the DPC invalidates). */
    if (ext->Pattern != DMS_PATTERN_PACKET) {
        NTSTATUS status = dmatx_execute(&ext->Dma, 0, Irp, Irp->MdlAddress, ext->CurrentVa,
                                        ext->Remaining, ext->WriteToDevice);
        if (!NT_SUCCESS(status)) {
            ext->Status = status;
            IoRequestDpc(ext->Self, Irp, NULL); /* the DPC completes it */
        }
        return;
    }
    if (ext->FlushIoBuffers && ext->WriteToDevice)
        KeFlushIoBuffers(Irp->MdlAddress, FALSE, TRUE);
    LegacyStartPiece(ext, Irp);
}

/* Program the card for one contiguous range, and go. */
static VOID LegacyGo(PLEGACY_EXTENSION Ext, PHYSICAL_ADDRESS Logical, ULONG Length,
                     LONGLONG MediaOffset)
{
    ULONG control = LEGACY_CONTROL_GO | LEGACY_CONTROL_INT_ENABLE;

    LegacyWrite(Ext, LEGACY_REG_ADDRESS_LO, Logical.LowPart);
    LegacyWrite(Ext, LEGACY_REG_ADDRESS_HI, (ULONG)Logical.HighPart);
    LegacyWrite(Ext, LEGACY_REG_COUNT, Length);
    LegacyWrite(Ext, LEGACY_REG_OFFSET_LO, (ULONG)MediaOffset);
    LegacyWrite(Ext, LEGACY_REG_OFFSET_HI, (ULONG)(MediaOffset >> 32));
    if (Ext->WriteToDevice)
        control |= LEGACY_CONTROL_TO_DEVICE;
    LegacyWrite(Ext, LEGACY_REG_CONTROL, control);
}

/* dmatx's program routine, at DISPATCH_LEVEL: the card takes one range, so the list must
 * have one element (the HAL makes it so for an adapter without scatter/gather). With no
 * list, or a list the card cannot take, the DPC completes the request. */
static void LegacyProgram(struct dmatx *tx, PSCATTER_GATHER_LIST sgl)
{
    PLEGACY_EXTENSION ext = tx->en->driver;

    if (sgl == NULL || sgl->NumberOfElements != 1) {
        if (NT_SUCCESS(tx->status))
            tx->status = STATUS_INVALID_DEVICE_REQUEST;
        IoRequestDpc(ext->Self, tx->request, NULL);
        return;
    }
    LegacyGo(ext, sgl->Elements[0].Address, sgl->Elements[0].Length,
             ext->MediaOffset + tx->done);
}

static IO_ALLOCATION_ACTION LegacyAdapterControl(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                                 PVOID MapRegisterBase, PVOID Context)
{
    PLEGACY_EXTENSION ext = DeviceObject->DeviceExtension;
    PHYSICAL_ADDRESS logical;
    ULONG length;

    UNREFERENCED_PARAMETER(Context);
    ext->MapRegisterBase = MapRegisterBase;
    /* A device without scatter/gather gets the whole piece in one range: Length comes back
     * as asked when it fits the registers, so ask for what they cover. */
    length = ext->PieceRegisters * PAGE_SIZE - BYTE_OFFSET(ext->CurrentVa);
    if (length > ext->Remaining)
        length = ext->Remaining;
    logical = ext->Adapter->DmaOperations->MapTransfer(ext->Adapter, Irp->MdlAddress,
                                                       MapRegisterBase, ext->CurrentVa,
                                                       &length, ext->WriteToDevice);
    ext->PieceLength = length;
    LegacyGo(ext, logical, length, ext->MediaOffset);
    return DeallocateObjectKeepRegisters; /* the registers stay until the DPC frees them */
}

static BOOLEAN LegacyIsr(PKINTERRUPT Interrupt, PVOID ServiceContext)
{
    PLEGACY_EXTENSION ext = ServiceContext;

    UNREFERENCED_PARAMETER(Interrupt);
    if (!(LegacyRead(ext, LEGACY_REG_INT_STATUS) & LEGACY_INT_DONE))
        return FALSE; /* not ours */
    LegacyWrite(ext, LEGACY_REG_INT_STATUS, LEGACY_INT_DONE);
    IoRequestDpc(ext->Self, ext->Self->CurrentIrp, NULL);
    return TRUE;
}

static VOID LegacyDpcForIsr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PLEGACY_EXTENSION ext = DeviceObject->DeviceExtension;
    PDMA_OPERATIONS ops = ext->Adapter->DmaOperations;
    IO_STACK_LOCATION *sp;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Context);
    if (Irp == NULL)
        return;
    if (ext->Pattern != DMS_PATTERN_PACKET && NT_SUCCESS(ext->Status)) {
        struct dmatx *tx = &ext->Dma.txs[0];
        if (tx->sgl != NULL && (LegacyRead(ext, LEGACY_REG_STATUS) & LEGACY_STATUS_ERROR))
            tx->status = STATUS_IO_DEVICE_ERROR;
        if (!dmatx_transfer_done(tx))
            return; /* the next piece is on the card */
        tx->request = NULL;
        ext->Status = tx->status;
    } else if (ext->MapRegisterBase != NULL) {
        if (LegacyRead(ext, LEGACY_REG_STATUS) & LEGACY_STATUS_ERROR)
            ext->Status = STATUS_IO_DEVICE_ERROR;
        ops->FlushAdapterBuffers(ext->Adapter, Irp->MdlAddress, ext->MapRegisterBase,
                                 ext->CurrentVa, ext->PieceLength, ext->WriteToDevice);
        ops->FreeMapRegisters(ext->Adapter, ext->MapRegisterBase, ext->PieceRegisters);
        ext->MapRegisterBase = NULL;
        ext->CurrentVa = (PUCHAR)ext->CurrentVa + ext->PieceLength;
        ext->MediaOffset += ext->PieceLength;
        ext->Remaining -= ext->PieceLength;
        if (NT_SUCCESS(ext->Status) && ext->Remaining > 0) {
            LegacyStartPiece(ext, Irp); /* the request is larger than the map registers */
            return;
        }
    }
    if (ext->Pattern == DMS_PATTERN_PACKET && ext->FlushIoBuffers && !ext->WriteToDevice &&
        NT_SUCCESS(ext->Status))
        KeFlushIoBuffers(Irp->MdlAddress, TRUE, TRUE); /* dmatx flushes its own */
    sp = IoGetCurrentIrpStackLocation(Irp);
    Irp->IoStatus.Status = ext->Status;
    Irp->IoStatus.Information = NT_SUCCESS(ext->Status) ? sp->Parameters.Read.Length : 0;
    IoStartNextPacket(DeviceObject, FALSE);
    IoCompleteRequest(Irp, IO_DISK_INCREMENT);
}
