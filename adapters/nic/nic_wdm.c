/*++

Module Name:

    nic_wdm.c

Abstract:

    A WDM function driver for the network adapter (docs/hardware/nic.md): a transmit ring and
    a receive ring of descriptors in one common buffer, a tail doorbell per ring, one
    interrupt. An IRP_MJ_WRITE transmits its buffer as one packet; an IRP_MJ_READ posts its
    buffer to the receive ring and completes when a packet has arrived in it. Requests run
    concurrently, one per slot, up to the queue depth the firmware gives (the rest wait in a
    list). Each is mapped by the calling pattern the firmware names, through dmatx
    (adapters/lib/dmatx.c, a small DMA-transaction library in the manner of KMDF's): v2
    GetScatterGatherList or BuildScatterGatherList, v3 MapTransferEx, or a copy through a
    common buffer of the slot's own (the classic small-packet trick). There is no packet
    (v1) pattern: AllocateAdapterChannel allows one request per device object at a time, and
    a receive ring needs many buffers mapped at once.

        DispatchReadWrite -> a free slot, or the waiting list
        -> dmatx maps the buffer -> NicProgram: a chain of descriptors on the ring, the
           doorbell
        -> the adapter moves the packet, writes DONE back -> ISR: acknowledge, IoRequestDpc
        -> DpcForIsr: reap each ring in order: release the mapping, IoCompleteRequest, and
           the slot to the next waiting request

Environment:

    Kernel mode. Written against <wdm.h> alone (dmasim/wdm.h), and dmatx.

--*/

#include <dmasim/wdm.h>

#include "../lib/dmatx.h"
#include "nic_hw.h"

#define NIC_POOL_TAG 'ciNd'
#define NIC_TX 0
#define NIC_RX 1

DRIVER_INITIALIZE NicDriverEntry;

/* A chain the driver put on a ring, in ring order. */
typedef struct _NIC_CHAIN {
    ULONG Slot, First, Count;
} NIC_CHAIN;

typedef struct _NIC_RING {
    KSPIN_LOCK Lock;         /* the ring's descriptors, tail and chain list */
    NIC_DESCRIPTOR *Desc;    /* the driver's view of the ring (common buffer) */
    ULONG Tail;              /* the next descriptor to write */
    ULONG TailRegister;      /* its doorbell */
    NIC_CHAIN *Chains;       /* FIFO, as long as the ring */
    ULONG ChainHead, ChainCount;
} NIC_RING, *PNIC_RING;

typedef struct _NIC_EXTENSION {
    struct dmatx_enabler Dma;  /* first: dmatx's program routine finds the extension in it */
    PDEVICE_OBJECT Self, Lower, Pdo;
    BOOLEAN Started;
    PUCHAR Registers;
    PKINTERRUPT Interrupt;
    PUCHAR Rings;              /* common buffer: the transmit ring, then the receive ring */
    PHYSICAL_ADDRESS RingsLogical;
    ULONG RingsBytes, Entries, Slots, MaxTransfer;
    NIC_RING Ring[2];
    struct dmatx_queue Queue;  /* the slots: free, waiting requests, failed */
} NIC_EXTENSION, *PNIC_EXTENSION;

static DRIVER_ADD_DEVICE NicAddDevice;
static DRIVER_DISPATCH NicDispatchReadWrite;
static DRIVER_DISPATCH NicDispatchCreateClose;
static DRIVER_DISPATCH NicDispatchPnp;
static KSERVICE_ROUTINE NicIsr;
static IO_DPC_ROUTINE NicDpcForIsr;

static ULONG NicRead(PNIC_EXTENSION Ext, ULONG Register)
{
    return READ_REGISTER_ULONG((PULONG)(Ext->Registers + Register));
}

static VOID NicWrite(PNIC_EXTENSION Ext, ULONG Register, ULONG Value)
{
    WRITE_REGISTER_ULONG((PULONG)(Ext->Registers + Register), Value);
}

/* ---- DriverEntry, AddDevice ----------------------------------------------------------- */

NTSTATUS NicDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    DriverObject->MajorFunction[IRP_MJ_CREATE] = NicDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = NicDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_READ] = NicDispatchReadWrite;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = NicDispatchReadWrite;
    DriverObject->MajorFunction[IRP_MJ_PNP] = NicDispatchPnp;
    DriverObject->DriverExtension->AddDevice = NicAddDevice;
    return STATUS_SUCCESS;
}

static NTSTATUS NicAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    PDEVICE_OBJECT fdo;
    PNIC_EXTENSION ext;
    NTSTATUS status;

    status = IoCreateDevice(DriverObject, sizeof(NIC_EXTENSION), NULL, FILE_DEVICE_NETWORK, 0,
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
    KeInitializeSpinLock(&ext->Ring[NIC_TX].Lock);
    KeInitializeSpinLock(&ext->Ring[NIC_RX].Lock);
    IoInitializeDpcRequest(fdo, NicDpcForIsr);
    fdo->Flags |= DO_DIRECT_IO;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

/* ---- the ring ------------------------------------------------------------------------- */

/* dmatx's program routine, at DISPATCH_LEVEL: the packet's chain on its ring, then the
 * doorbell. With no list the mapping failed: the DPC completes the request with its
 * status. */
static void NicProgram(struct dmatx *tx, PSCATTER_GATHER_LIST sgl)
{
    PNIC_EXTENSION ext = tx->en->driver;
    PNIC_RING ring = &ext->Ring[tx->write_to_device ? NIC_TX : NIC_RX];
    NIC_CHAIN *chain;

    if (sgl == NULL) {
        dmatx_queue_fail(&ext->Queue, tx->slot);
        IoRequestDpc(ext->Self, NULL, NULL);
        return;
    }
    KeAcquireSpinLockAtDpcLevel(&ring->Lock);
    chain = &ring->Chains[(ring->ChainHead + ring->ChainCount++) % ext->Entries];
    chain->Slot = tx->slot;
    chain->First = ring->Tail;
    chain->Count = sgl->NumberOfElements;
    for (ULONG i = 0; i < sgl->NumberOfElements; i++) {
        NIC_DESCRIPTOR *d = &ring->Desc[ring->Tail];

        d->Address = (ULONGLONG)sgl->Elements[i].Address.QuadPart;
        d->Length = sgl->Elements[i].Length;
        d->Tag = (USHORT)tx->slot;
        d->Flags = (USHORT)((i + 1 == sgl->NumberOfElements ? NIC_DESC_EOP : 0) |
                            (i == 0 && tx->transfers == 1 ? NIC_DESC_FIRST : 0));
        ring->Tail = (ring->Tail + 1) % ext->Entries;
    }
    NicWrite(ext, ring->TailRegister, ring->Tail);
    KeReleaseSpinLockFromDpcLevel(&ring->Lock);
}

static VOID NicComplete(PNIC_EXTENSION Ext, ULONG Slot, NTSTATUS Status)
{
    struct dmatx *tx = &Ext->Dma.txs[Slot];
    PIRP irp = tx->request;

    tx->request = NULL;
    irp->IoStatus.Status = Status;
    irp->IoStatus.Information =
        NT_SUCCESS(Status) ? IoGetCurrentIrpStackLocation(irp)->Parameters.Read.Length : 0;
    IoCompleteRequest(irp, IO_NETWORK_INCREMENT);
    dmatx_queue_release(&Ext->Queue, Slot);
}

/* The queue's start routine: irp in slot (at PASSIVE_LEVEL or DISPATCH_LEVEL). */
static VOID NicStart(PVOID Driver, ULONG Slot, PIRP Irp)
{
    PNIC_EXTENSION Ext = Driver;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    status = dmatx_execute(&Ext->Dma, Slot, Irp, Irp->MdlAddress,
                           MmGetMdlVirtualAddress(Irp->MdlAddress),
                           sp->Parameters.Read.Length, sp->MajorFunction == IRP_MJ_WRITE);
    if (!NT_SUCCESS(status)) {
        Ext->Dma.txs[Slot].request = Irp;
        NicComplete(Ext, Slot, status);
    }
}

/* ---- requests ------------------------------------------------------------------------- */

static NTSTATUS NicDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS NicDispatchReadWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PNIC_EXTENSION ext = DeviceObject->DeviceExtension;
    ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Read.Length;
    NTSTATUS status = STATUS_SUCCESS;

    if (!ext->Started)
        status = STATUS_DEVICE_NOT_READY;
    else if (length == 0 || length > ext->MaxTransfer)
        status = STATUS_INVALID_PARAMETER; /* no packet is empty or longer than a buffer */
    if (!NT_SUCCESS(status)) {
        Irp->IoStatus.Status = status;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
    }
    IoMarkIrpPending(Irp);
    dmatx_queue_add(&ext->Queue, Irp);
    return STATUS_PENDING;
}

static BOOLEAN NicIsr(PKINTERRUPT Interrupt, PVOID ServiceContext)
{
    PNIC_EXTENSION ext = ServiceContext;
    ULONG status;

    UNREFERENCED_PARAMETER(Interrupt);
    status = NicRead(ext, NIC_REG_INT_STATUS) & (NIC_INT_TX_DONE | NIC_INT_RX_DONE);
    if (status == 0)
        return FALSE;
    NicWrite(ext, NIC_REG_INT_STATUS, status);
    IoRequestDpc(ext->Self, NULL, NULL);
    return TRUE;
}

/* Reap the ring's finished chains, oldest first; stop at the first the adapter has not
 * written back. Completion happens outside the ring's lock. */
static VOID NicReap(PNIC_EXTENSION Ext, PNIC_RING Ring)
{
    for (;;) {
        NIC_CHAIN c;
        NIC_DESCRIPTOR *d;
        struct dmatx *tx;

        KeAcquireSpinLockAtDpcLevel(&Ring->Lock);
        if (Ring->ChainCount == 0 || !(Ring->Desc[Ring->Chains[Ring->ChainHead].First].Flags &
                                       NIC_DESC_DONE)) {
            KeReleaseSpinLockFromDpcLevel(&Ring->Lock);
            return;
        }
        c = Ring->Chains[Ring->ChainHead];
        d = &Ring->Desc[c.First];
        tx = &Ext->Dma.txs[c.Slot];
        if (d->Flags & NIC_DESC_ERROR)
            tx->status = STATUS_IO_DEVICE_ERROR;
        Ring->ChainHead = (Ring->ChainHead + 1) % Ext->Entries;
        Ring->ChainCount--;
        for (ULONG i = 0; i < c.Count; i++)
            Ring->Desc[(c.First + i) % Ext->Entries].Flags = 0;
        KeReleaseSpinLockFromDpcLevel(&Ring->Lock);
        if (dmatx_transfer_done(tx))
            NicComplete(Ext, c.Slot, tx->status);
    }
}

static VOID NicDpcForIsr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PNIC_EXTENSION ext = DeviceObject->DeviceExtension;
    ULONG slot;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(Context);
    NicReap(ext, &ext->Ring[NIC_TX]);
    NicReap(ext, &ext->Ring[NIC_RX]);
    while (dmatx_queue_next_failed(&ext->Queue, &slot))
        NicComplete(ext, slot, ext->Dma.txs[slot].status);
}

/* ---- PnP ------------------------------------------------------------------------------ */

static NTSTATUS NicRings(PNIC_EXTENSION Ext)
{
    PDMA_ADAPTER a = Ext->Dma.adapter;
    ULONGLONG rx;

    Ext->RingsBytes = 2 * Ext->Entries * (ULONG)sizeof(NIC_DESCRIPTOR);
    Ext->Rings = a->DmaOperations->AllocateCommonBuffer(a, Ext->RingsBytes, &Ext->RingsLogical,
                                                        TRUE);
    if (Ext->Rings == NULL ||
        !NT_SUCCESS(dmatx_queue_init(&Ext->Queue, Ext->Slots, NicStart, Ext)))
        return STATUS_INSUFFICIENT_RESOURCES;
    for (int i = 0; i < 2; i++)
        Ext->Ring[i].Chains = ExAllocatePool2(POOL_FLAG_NON_PAGED,
                                              Ext->Entries * sizeof(NIC_CHAIN), NIC_POOL_TAG);
    if (Ext->Ring[NIC_TX].Chains == NULL || Ext->Ring[NIC_RX].Chains == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlZeroMemory(Ext->Rings, Ext->RingsBytes);
    for (int i = 0; i < 2; i++) {
        Ext->Ring[i].Desc = (NIC_DESCRIPTOR *)Ext->Rings + (SIZE_T)i * Ext->Entries;
        Ext->Ring[i].Tail = 0;
        Ext->Ring[i].ChainHead = Ext->Ring[i].ChainCount = 0;
    }
    Ext->Ring[NIC_TX].TailRegister = NIC_REG_TX_TAIL;
    Ext->Ring[NIC_RX].TailRegister = NIC_REG_RX_TAIL;
    rx = (ULONGLONG)Ext->RingsLogical.QuadPart + Ext->Entries * sizeof(NIC_DESCRIPTOR);
    NicWrite(Ext, NIC_REG_RING_ENTRIES, Ext->Entries);
    NicWrite(Ext, NIC_REG_TX_BASE_LO, Ext->RingsLogical.LowPart);
    NicWrite(Ext, NIC_REG_TX_BASE_HI, (ULONG)Ext->RingsLogical.HighPart);
    NicWrite(Ext, NIC_REG_RX_BASE_LO, (ULONG)rx);
    NicWrite(Ext, NIC_REG_RX_BASE_HI, (ULONG)(rx >> 32));
    NicWrite(Ext, NIC_REG_CONTROL, NIC_CONTROL_ENABLE | NIC_CONTROL_INT_ENABLE);
    return STATUS_SUCCESS;
}

static NTSTATUS NicStartDevice(PNIC_EXTENSION Ext, PCM_RESOURCE_LIST Translated)
{
    PCM_PARTIAL_RESOURCE_LIST list;
    DEVICE_DESCRIPTION dd;
    IO_CONNECT_INTERRUPT_PARAMETERS connect;
    ULONG config0 = 64, config = 0, declaredBits, maxElements;
    enum dms_pattern pattern;
    NTSTATUS status;
    char why[200];

    if (Translated == NULL || Translated->Count == 0)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    list = &Translated->List[0].PartialResourceList;
    for (ULONG i = 0; i < list->Count; i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &list->PartialDescriptors[i];
        if (d->Type == CmResourceTypeMemory && d->u.Memory.Length >= NIC_BAR_BYTES)
            Ext->Registers = MmMapIoSpace(d->u.Memory.Start, NIC_BAR_BYTES, MmNonCached);
        else if (d->Type == CmResourceTypeDevicePrivate) {
            config0 = d->u.DevicePrivate.Data[NIC_PRIVATE_CONFIG0];
            Ext->MaxTransfer = d->u.DevicePrivate.Data[NIC_PRIVATE_MAX_TRANSFER];
            config = d->u.DevicePrivate.Data[NIC_PRIVATE_CONFIG];
        }
    }
    if (Ext->Registers == NULL || NicRead(Ext, NIC_REG_ID) != NIC_ID)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    declaredBits = config0 & 0xFF;
    if (Ext->MaxTransfer == 0 || Ext->MaxTransfer > NicRead(Ext, NIC_REG_MAX_TRANSFER))
        Ext->MaxTransfer = NicRead(Ext, NIC_REG_MAX_TRANSFER);
    maxElements = NicRead(Ext, NIC_REG_MAX_ELEMENTS);
    Ext->Slots = config >> 16;
    if (Ext->Slots == 0)
        Ext->Slots = 1;
    Ext->Entries = config0 >> 8;
    if (Ext->Entries < NIC_MIN_ENTRIES || Ext->Entries > NIC_MAX_ENTRIES)
        Ext->Entries = 256;
    if (Ext->Entries < Ext->Slots * maxElements)
        return STATUS_DEVICE_CONFIGURATION_ERROR; /* the rings cannot hold every request */
    pattern = (enum dms_pattern)(config & 0xFF);
    if (pattern == DMS_PATTERN_PACKET)
        return STATUS_NOT_SUPPORTED;

    RtlZeroMemory(&connect, sizeof(connect));
    connect.Version = CONNECT_LINE_BASED;
    connect.LineBased.PhysicalDeviceObject = Ext->Pdo;
    connect.LineBased.InterruptObject = &Ext->Interrupt;
    connect.LineBased.ServiceRoutine = NicIsr;
    connect.LineBased.ServiceContext = Ext;
    status = IoConnectInterruptEx(&connect);
    if (!NT_SUCCESS(status))
        return status;

    dmatx_describe(&dd, pattern, declaredBits, TRUE, Ext->MaxTransfer);
    status = dmatx_enabler_init(&Ext->Dma, Ext->Pdo, &dd, pattern, Ext->MaxTransfer,
                                Ext->Slots, NicProgram, Ext, why, sizeof(why));
    if (!NT_SUCCESS(status))
        return status;
    Ext->Dma.flush_io_buffers = (config & 0x100) != 0;
    status = NicRings(Ext);
    if (NT_SUCCESS(status))
        Ext->Started = TRUE;
    return status;
}

static VOID NicStopDevice(PNIC_EXTENSION Ext)
{
    PDMA_ADAPTER a = Ext->Dma.adapter;

    if (Ext->Registers != NULL)
        NicWrite(Ext, NIC_REG_CONTROL, 0);
    if (Ext->Interrupt != NULL)
        IoDisconnectInterrupt(Ext->Interrupt);
    Ext->Interrupt = NULL;
    if (Ext->Rings != NULL && a != NULL)
        a->DmaOperations->FreeCommonBuffer(a, Ext->RingsBytes, Ext->RingsLogical, Ext->Rings,
                                           TRUE);
    Ext->Rings = NULL;
    if (a != NULL)
        dmatx_enabler_release(&Ext->Dma, true);
    dmatx_queue_free(&Ext->Queue);
    for (int i = 0; i < 2; i++) {
        if (Ext->Ring[i].Chains != NULL)
            ExFreePool(Ext->Ring[i].Chains);
        Ext->Ring[i].Chains = NULL;
    }
    if (Ext->Registers != NULL)
        MmUnmapIoSpace(Ext->Registers, NIC_BAR_BYTES);
    Ext->Registers = NULL;
    Ext->Started = FALSE;
}

static NTSTATUS NicDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PNIC_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (sp->MinorFunction) {
    case IRP_MN_START_DEVICE:
        /* the bus driver starts the device first: a start is handled on the way back up */
        status = IoForwardIrpSynchronously(ext->Lower, Irp) ? Irp->IoStatus.Status
                                                            : STATUS_UNSUCCESSFUL;
        if (NT_SUCCESS(status))
            status = NicStartDevice(ext,
                                    sp->Parameters.StartDevice.AllocatedResourcesTranslated);
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
    case IRP_MN_STOP_DEVICE:
        NicStopDevice(ext);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        break;
    case IRP_MN_REMOVE_DEVICE:
        NicStopDevice(ext);
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
