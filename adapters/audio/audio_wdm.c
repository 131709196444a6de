/*++

Module Name:

    audio_wdm.c

Abstract:

    A WDM function driver for the ISA audio card (docs/hardware/audio.md): playback through
    an autoinitialized ring buffer on an 8237 channel, as ISA sound cards did it, and as the
    WDK describes common-buffer system DMA.

        StartDevice   IoGetDmaAdapter (Master = FALSE, the DmaChannel of its resources,
                      DmaWidth, AutoInitialize), AllocateCommonBuffer for the ring (below
                      16 MiB, within one 64/128 KiB line: the HAL sees to both for an 8237
                      channel), an MDL over it.
        stream start  AllocateAdapterChannel; the execution routine calls MapTransfer once
                      over the ring's MDL (which programs the channel), starts the card and
                      returns KeepObject.
        each write    the IRP's bytes are copied into the next free period (the rest of the
                      period is silence); SOUND_BYTES and READY tell the card.
        ISR, DPC      the ISR acknowledges the periods that ended; the DPC reads
                      ReadDmaCounter, the residual count of the ring, to learn how far the
                      channel has read, and completes the IRP of every period wholly behind
                      that point; then it refills the freed periods.
        stream stop   when every period has played and nothing waits: the card stops,
                      FlushAdapterBuffers once (which stops the channel), FreeAdapterChannel.
                      The next write starts a stream again.

    No DMA routine runs per write: the cost of this design is the CPU copy into the ring,
    the interrupts, and latency (a write completes a ring's worth of periods after it was
    queued). The card only plays: reads are refused.

Environment:

    Kernel mode. Written against <wdm.h> alone (dmasim/wdm.h).

--*/

#include <dmasim/wdm.h>

#include "audio_hw.h"

#define AUDIO_POOL_TAG 'oduA'

DRIVER_INITIALIZE AudioDriverEntry;

typedef struct _AUDIO_EXTENSION {
    PDEVICE_OBJECT Self, Lower, Pdo;
    BOOLEAN Started;
    PUCHAR Registers;
    PKINTERRUPT Interrupt;
    PDMA_ADAPTER Adapter;
    ULONG MapRegisters;
    /* the ring */
    PUCHAR Ring;
    PHYSICAL_ADDRESS RingLogical;
    PMDL RingMdl;
    ULONG RingBytes, Period, Periods;
    /* the stream, under Lock */
    KSPIN_LOCK Lock;
    PVOID MapRegisterBase;
    BOOLEAN Running;       /* the channel is ours and programmed */
    BOOLEAN Starting;      /* AllocateAdapterChannel asked, not yet granted */
    UCHAR Stream;          /* numbers streams for the card's CONTROL and READY */
    ULONGLONG Ready;       /* periods filled since the stream started */
    ULONGLONG Done;        /* periods played and completed */
    volatile LONG Ended;   /* periods the ISR has counted since the stream started */
    NTSTATUS FailStatus;   /* the stream could not start: the DPC fails what waits */
    PIRP Owner[AUDIO_MAX_PERIODS];
    LIST_ENTRY Queue;      /* writes waiting for a free period, in order */
} AUDIO_EXTENSION, *PAUDIO_EXTENSION;

static DRIVER_ADD_DEVICE AudioAddDevice;
static DRIVER_DISPATCH AudioDispatchWrite;
static DRIVER_DISPATCH AudioDispatchRead;
static DRIVER_DISPATCH AudioDispatchCreateClose;
static DRIVER_DISPATCH AudioDispatchPnp;
static DRIVER_CONTROL AudioExecutionRoutine;
static KSERVICE_ROUTINE AudioIsr;
static IO_DPC_ROUTINE AudioDpcForIsr;

static PDMA_OPERATIONS AudioDma(PAUDIO_EXTENSION Ext)
{
    return Ext->Adapter->DmaOperations;
}

static ULONG AudioRead(PAUDIO_EXTENSION Ext, ULONG Register)
{
    return READ_REGISTER_ULONG((PULONG)(Ext->Registers + Register));
}

static VOID AudioWrite(PAUDIO_EXTENSION Ext, ULONG Register, ULONG Value)
{
    WRITE_REGISTER_ULONG((PULONG)(Ext->Registers + Register), Value);
}

static VOID AudioCompleteList(PLIST_ENTRY List)
{
    while (!IsListEmpty(List)) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(List), IRP, Tail.Overlay.ListEntry);
        IoCompleteRequest(irp, NT_SUCCESS(irp->IoStatus.Status) ? IO_SOUND_INCREMENT
                                                                : IO_NO_INCREMENT);
    }
}

static VOID AudioFail(PIRP Irp, NTSTATUS Status, PLIST_ENTRY Done)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = 0;
    InsertTailList(Done, &Irp->Tail.Overlay.ListEntry);
}

/* ---- DriverEntry, AddDevice ----------------------------------------------------------- */

NTSTATUS AudioDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    DriverObject->MajorFunction[IRP_MJ_CREATE] = AudioDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = AudioDispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_READ] = AudioDispatchRead;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = AudioDispatchWrite;
    DriverObject->MajorFunction[IRP_MJ_PNP] = AudioDispatchPnp;
    DriverObject->DriverExtension->AddDevice = AudioAddDevice;
    return STATUS_SUCCESS;
}

static NTSTATUS AudioAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    PDEVICE_OBJECT fdo;
    PAUDIO_EXTENSION ext;
    NTSTATUS status;

    status = IoCreateDevice(DriverObject, sizeof(AUDIO_EXTENSION), NULL, FILE_DEVICE_SOUND, 0,
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
    KeInitializeSpinLock(&ext->Lock);
    InitializeListHead(&ext->Queue);
    ext->FailStatus = STATUS_SUCCESS;
    IoInitializeDpcRequest(fdo, AudioDpcForIsr);
    fdo->Flags |= DO_DIRECT_IO;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

/* ---- the ring ------------------------------------------------------------------------- */

/* Copy waiting writes into free periods (Lock held, at DISPATCH_LEVEL); then READY tells the
 * card how many periods are ready, if any were added. A write whose buffer cannot be mapped
 * fails, onto Done. */
static VOID AudioFill(PAUDIO_EXTENSION Ext, PLIST_ENTRY Done)
{
    ULONGLONG before = Ext->Ready;

    while (!IsListEmpty(&Ext->Queue) && Ext->Ready - Ext->Done < Ext->Periods) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(&Ext->Queue), IRP, Tail.Overlay.ListEntry);
        ULONG length = IoGetCurrentIrpStackLocation(irp)->Parameters.Write.Length;
        ULONG k = (ULONG)(Ext->Ready % Ext->Periods);
        PUCHAR period = Ext->Ring + (SIZE_T)k * Ext->Period;
        PVOID sound = MmGetSystemAddressForMdlSafe(irp->MdlAddress, NormalPagePriority);

        if (sound == NULL) {
            AudioFail(irp, STATUS_INSUFFICIENT_RESOURCES, Done);
            continue;
        }
        RtlCopyMemory(period, sound, length);
        RtlZeroMemory(period + length, Ext->Period - length); /* the rest is silence */
        AudioWrite(Ext, AUDIO_REG_SOUND_BYTES + 4 * k, length);
        Ext->Owner[k] = irp;
        Ext->Ready++;
    }
    if (Ext->Running && Ext->Ready != before)
        AudioWrite(Ext, AUDIO_REG_READY, ((ULONG)Ext->Ready & AUDIO_READY_MASK) |
                                             (ULONG)Ext->Stream << AUDIO_INT_STREAM_SHIFT);
}

/* Common-buffer system DMA: one MapTransfer over the ring programs the channel, which then
 * runs around the ring by itself. */
static IO_ALLOCATION_ACTION AudioExecutionRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                                  PVOID MapRegisterBase, PVOID Context)
{
    PAUDIO_EXTENSION ext = Context;
    ULONG length = ext->RingBytes;
    LIST_ENTRY done;

    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    InitializeListHead(&done);
    KeAcquireSpinLockAtDpcLevel(&ext->Lock);
    ext->Starting = FALSE;
    AudioDma(ext)->MapTransfer(ext->Adapter, ext->RingMdl, MapRegisterBase,
                               MmGetMdlVirtualAddress(ext->RingMdl), &length, TRUE);
    if (length != ext->RingBytes) { /* nothing is programmed: fail what waits, in the DPC */
        ext->FailStatus = STATUS_INSUFFICIENT_RESOURCES;
        KeReleaseSpinLockFromDpcLevel(&ext->Lock);
        IoRequestDpc(ext->Self, NULL, NULL);
        return DeallocateObject;
    }
    ext->MapRegisterBase = MapRegisterBase;
    ext->Stream++;
    ext->Ready = ext->Done = 0;
    InterlockedExchange(&ext->Ended, 0);
    AudioWrite(ext, AUDIO_REG_PERIOD_BYTES, ext->Period);
    AudioWrite(ext, AUDIO_REG_PERIODS, ext->Periods);
    AudioWrite(ext, AUDIO_REG_CONTROL, AUDIO_CONTROL_RUN | AUDIO_CONTROL_INT_ENABLE |
                                           (ULONG)ext->Stream << AUDIO_STREAM_SHIFT);
    ext->Running = TRUE;
    AudioFill(ext, &done);
    KeReleaseSpinLockFromDpcLevel(&ext->Lock);
    AudioCompleteList(&done);
    return KeepObject; /* system DMA: the channel stays ours until FreeAdapterChannel */
}

/* Every period has played and nothing waits: stop the card and the channel, give it back
 * (Lock held). */
static VOID AudioStop(PAUDIO_EXTENSION Ext)
{
    AudioWrite(Ext, AUDIO_REG_CONTROL, (ULONG)Ext->Stream << AUDIO_STREAM_SHIFT);
    AudioDma(Ext)->FlushAdapterBuffers(Ext->Adapter, Ext->RingMdl, Ext->MapRegisterBase,
                                       MmGetMdlVirtualAddress(Ext->RingMdl), Ext->RingBytes,
                                       TRUE);
    AudioDma(Ext)->FreeAdapterChannel(Ext->Adapter);
    Ext->MapRegisterBase = NULL;
    Ext->Running = FALSE;
}

/* How many periods the channel has read since the stream started, from its residual count.
 * The count says where in the ring the channel is, not how many times it went around. Two
 * facts settle that: the channel never passes a period that was not ready (the card stops
 * asking), and it has read at least the periods whose end the ISR counted: when every
 * period was ready and the count is where the last look left it, an interrupt since says
 * the channel went all the way around. */
static ULONGLONG AudioPeriodsRead(PAUDIO_EXTENSION Ext)
{
    ULONG left = AudioDma(Ext)->ReadDmaCounter(Ext->Adapter);
    ULONG at = left >= Ext->RingBytes ? 0 : Ext->RingBytes - left; /* byte the channel is at */
    ULONG doneAt = (ULONG)(Ext->Done % Ext->Periods) * Ext->Period;
    ULONGLONG ahead = (at + Ext->RingBytes - doneAt) % Ext->RingBytes / Ext->Period;

    if (ahead == 0 && Ext->Ready - Ext->Done == Ext->Periods &&
        (ULONGLONG)Ext->Ended > Ext->Done)
        ahead = Ext->Periods; /* all the way around since the last look */
    if (Ext->Done + ahead > Ext->Ready)
        ahead = Ext->Ready - Ext->Done; /* cannot be: the card stops at what is not ready */
    return Ext->Done + ahead;
}

static BOOLEAN AudioIsr(PKINTERRUPT Interrupt, PVOID ServiceContext)
{
    PAUDIO_EXTENSION ext = ServiceContext;
    ULONG status, ended;

    UNREFERENCED_PARAMETER(Interrupt);
    status = AudioRead(ext, AUDIO_REG_INT_STATUS);
    ended = status & AUDIO_INT_COUNT_MASK;
    if (ended == 0)
        return FALSE; /* not ours */
    AudioWrite(ext, AUDIO_REG_INT_STATUS, ended);
    /* periods of a stream the driver has already stopped count for nothing */
    if ((UCHAR)(status >> AUDIO_INT_STREAM_SHIFT) == ext->Stream)
        InterlockedExchangeAdd(&ext->Ended, (LONG)ended);
    IoRequestDpc(ext->Self, NULL, NULL);
    return TRUE;
}

static VOID AudioDpcForIsr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PAUDIO_EXTENSION ext = DeviceObject->DeviceExtension;
    LIST_ENTRY done;
    ULONGLONG read;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(Context);
    InitializeListHead(&done);
    KeAcquireSpinLockAtDpcLevel(&ext->Lock);
    if (!NT_SUCCESS(ext->FailStatus)) { /* the stream could not start: nothing plays these */
        while (!IsListEmpty(&ext->Queue))
            AudioFail(CONTAINING_RECORD(RemoveHeadList(&ext->Queue), IRP,
                                        Tail.Overlay.ListEntry),
                      ext->FailStatus, &done);
        ext->FailStatus = STATUS_SUCCESS;
    }
    if (ext->Running) {
        ULONG failed = 0, cleared = 0;

        read = AudioPeriodsRead(ext);
        if (ext->Done < read) /* which of the periods behind the channel did not play */
            failed = AudioRead(ext, AUDIO_REG_FAILED);
        while (ext->Done < read) {
            ULONG k = (ULONG)(ext->Done % ext->Periods);
            PIRP irp = ext->Owner[k];

            ext->Owner[k] = NULL;
            ext->Done++;
            cleared |= failed & (1u << k);
            if (irp == NULL)
                continue;
            if (failed & (1u << k)) {
                irp->IoStatus.Status = STATUS_IO_DEVICE_ERROR;
                irp->IoStatus.Information = 0;
            } else {
                irp->IoStatus.Status = STATUS_SUCCESS;
                irp->IoStatus.Information =
                    IoGetCurrentIrpStackLocation(irp)->Parameters.Write.Length;
            }
            InsertTailList(&done, &irp->Tail.Overlay.ListEntry);
        }
        if (cleared != 0) /* only the periods whose writes it failed: later ones stay marked */
            AudioWrite(ext, AUDIO_REG_FAILED, cleared);
        AudioFill(ext, &done);
        if (ext->Ready == ext->Done && IsListEmpty(&ext->Queue))
            AudioStop(ext);
    }
    KeReleaseSpinLockFromDpcLevel(&ext->Lock);
    AudioCompleteList(&done);
}

/* ---- requests ------------------------------------------------------------------------- */

static NTSTATUS AudioDispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS AudioDispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST; /* a playback device */
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_INVALID_DEVICE_REQUEST;
}

static NTSTATUS AudioDispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PAUDIO_EXTENSION ext = DeviceObject->DeviceExtension;
    ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length;
    NTSTATUS status = STATUS_SUCCESS;
    BOOLEAN start = FALSE;
    LIST_ENTRY done;
    KIRQL irql;

    if (!ext->Started)
        status = STATUS_DEVICE_NOT_READY;
    else if (length == 0 || length > ext->Period || Irp->MdlAddress == NULL)
        status = STATUS_INVALID_PARAMETER; /* a write fills one period at most */
    if (!NT_SUCCESS(status)) {
        Irp->IoStatus.Status = status;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
    }
    InitializeListHead(&done);
    IoMarkIrpPending(Irp);
    KeAcquireSpinLock(&ext->Lock, &irql);
    InsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry);
    if (ext->Running) {
        AudioFill(ext, &done);
    } else if (!ext->Starting) {
        ext->Starting = TRUE;
        start = TRUE;
    }
    KeReleaseSpinLock(&ext->Lock, irql);
    if (start) {
        /* AllocateAdapterChannel is called at DISPATCH_LEVEL; its routine may run at once */
        KeRaiseIrql(DISPATCH_LEVEL, &irql);
        status = AudioDma(ext)->AllocateAdapterChannel(
            ext->Adapter, ext->Self, ADDRESS_AND_SIZE_TO_SPAN_PAGES(ext->Ring, ext->RingBytes),
            AudioExecutionRoutine, ext);
        if (!NT_SUCCESS(status)) {
            KeAcquireSpinLockAtDpcLevel(&ext->Lock);
            ext->Starting = FALSE;
            ext->FailStatus = status;
            KeReleaseSpinLockFromDpcLevel(&ext->Lock);
            IoRequestDpc(ext->Self, NULL, NULL);
        }
        KeLowerIrql(irql);
    }
    AudioCompleteList(&done);
    return STATUS_PENDING;
}

/* ---- PnP ------------------------------------------------------------------------------ */

static NTSTATUS AudioStartDevice(PAUDIO_EXTENSION Ext, PCM_RESOURCE_LIST Translated)
{
    PCM_PARTIAL_RESOURCE_LIST list;
    DEVICE_DESCRIPTION dd;
    IO_CONNECT_INTERRUPT_PARAMETERS connect;
    ULONG channel = MAXULONG, dmaFlags = 0, queue = 0;
    NTSTATUS status;

    if (Translated == NULL || Translated->Count == 0)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    list = &Translated->List[0].PartialResourceList;
    for (ULONG i = 0; i < list->Count; i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &list->PartialDescriptors[i];
        if (d->Type == CmResourceTypeMemory && d->u.Memory.Length >= AUDIO_BAR_BYTES) {
            Ext->Registers = MmMapIoSpace(d->u.Memory.Start, AUDIO_BAR_BYTES, MmNonCached);
        } else if (d->Type == CmResourceTypeDma) {
            channel = d->u.Dma.Channel;
            dmaFlags = d->Flags;
        } else if (d->Type == CmResourceTypeDevicePrivate) {
            Ext->Period = d->u.DevicePrivate.Data[AUDIO_PRIVATE_PERIOD_BYTES];
            Ext->Periods = d->u.DevicePrivate.Data[AUDIO_PRIVATE_PERIODS];
            queue = d->u.DevicePrivate.Data[AUDIO_PRIVATE_QUEUE];
        }
    }
    UNREFERENCED_PARAMETER(queue); /* the queue is a list: it holds what it is given */
    if (Ext->Registers == NULL || AudioRead(Ext, AUDIO_REG_ID) != AUDIO_ID ||
        channel == MAXULONG || Ext->Period == 0 || Ext->Periods == 0 ||
        Ext->Periods > AudioRead(Ext, AUDIO_REG_MAX_PERIODS))
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    Ext->RingBytes = Ext->Period * Ext->Periods;

    RtlZeroMemory(&connect, sizeof(connect));
    connect.Version = CONNECT_LINE_BASED;
    connect.LineBased.PhysicalDeviceObject = Ext->Pdo;
    connect.LineBased.InterruptObject = &Ext->Interrupt;
    connect.LineBased.ServiceRoutine = AudioIsr;
    connect.LineBased.ServiceContext = Ext;
    status = IoConnectInterruptEx(&connect);
    if (!NT_SUCCESS(status))
        return status;

    RtlZeroMemory(&dd, sizeof(dd));
    dd.Version = DEVICE_DESCRIPTION_VERSION2;
    dd.Master = FALSE;
    dd.AutoInitialize = TRUE; /* the channel goes around the ring by itself */
    dd.DmaChannel = channel;
    dd.InterfaceType = Isa;
    dd.DmaWidth = (dmaFlags & CM_RESOURCE_DMA_16) ? Width16Bits : Width8Bits;
    dd.DmaSpeed = Compatible;
    dd.MaximumLength = Ext->RingBytes;
    Ext->Adapter = IoGetDmaAdapter(Ext->Pdo, &dd, &Ext->MapRegisters);
    if (Ext->Adapter == NULL)
        return STATUS_INSUFFICIENT_RESOURCES; /* no 8237 channel for it */
    Ext->Ring = AudioDma(Ext)->AllocateCommonBuffer(Ext->Adapter, Ext->RingBytes,
                                                    &Ext->RingLogical, FALSE);
    if (Ext->Ring == NULL ||
        Ext->MapRegisters < ADDRESS_AND_SIZE_TO_SPAN_PAGES(Ext->Ring, Ext->RingBytes))
        return STATUS_INSUFFICIENT_RESOURCES;
    Ext->RingMdl = IoAllocateMdl(Ext->Ring, Ext->RingBytes, FALSE, FALSE, NULL);
    if (Ext->RingMdl == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    MmBuildMdlForNonPagedPool(Ext->RingMdl);
    Ext->Started = TRUE;
    return STATUS_SUCCESS;
}

static VOID AudioStopDevice(PAUDIO_EXTENSION Ext)
{
    if (Ext->Registers != NULL)
        AudioWrite(Ext, AUDIO_REG_CONTROL, (ULONG)Ext->Stream << AUDIO_STREAM_SHIFT);
    if (Ext->Interrupt != NULL)
        IoDisconnectInterrupt(Ext->Interrupt);
    Ext->Interrupt = NULL;
    if (Ext->RingMdl != NULL)
        IoFreeMdl(Ext->RingMdl);
    Ext->RingMdl = NULL;
    if (Ext->Ring != NULL)
        AudioDma(Ext)->FreeCommonBuffer(Ext->Adapter, Ext->RingBytes, Ext->RingLogical,
                                        Ext->Ring, FALSE);
    Ext->Ring = NULL;
    if (Ext->Adapter != NULL)
        AudioDma(Ext)->PutDmaAdapter(Ext->Adapter);
    Ext->Adapter = NULL;
    if (Ext->Registers != NULL)
        MmUnmapIoSpace(Ext->Registers, AUDIO_BAR_BYTES);
    Ext->Registers = NULL;
    Ext->Started = FALSE;
}

static NTSTATUS AudioDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PAUDIO_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (sp->MinorFunction) {
    case IRP_MN_START_DEVICE:
        /* the bus driver starts the device first: a start is handled on the way back up */
        status = IoForwardIrpSynchronously(ext->Lower, Irp) ? Irp->IoStatus.Status
                                                            : STATUS_UNSUCCESSFUL;
        if (NT_SUCCESS(status))
            status = AudioStartDevice(ext,
                                      sp->Parameters.StartDevice.AllocatedResourcesTranslated);
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
    case IRP_MN_STOP_DEVICE:
        AudioStopDevice(ext);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        break;
    case IRP_MN_REMOVE_DEVICE:
        AudioStopDevice(ext);
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
