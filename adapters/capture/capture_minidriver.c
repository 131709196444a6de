/*
 * capture_minidriver.c - dmasim's AVStream minidriver for the capture card (docs/hardware/
 * capture.md), written in C from the AVStream documentation ("Packet-Based DMA in AVStream",
 * "Supporting DMA in 64-Bit AVStream Drivers", the stream pointer pages): one filter with one
 * capture pin whose frames the card's scatter/gather engine writes from the KSMAPPINGs AVStream
 * generates.
 *
 *   DriverEntry        KsInitializeDriver with the device descriptor
 *   Add                the device's context, in its bag
 *   Start              the registers and the firmware's words from the resources; a DMA
 *                      adapter (IoGetDmaAdapter: a 32-bit or 64-bit scatter/gather bus
 *                      master); the adapter registered: QueryInterface for
 *                      IKsDeviceFunctions on KsDeviceGetOuterUnknown and
 *                      RegisterAdapterObjectEx, falling back to KsDeviceRegisterAdapterObject
 *                      (or, as an old driver does, that routine only); the ring in a common
 *                      buffer; the interrupt; the filter factory
 *   SetDeviceState     ACQUIRE: the ring given to the card; RUN: the sensor started; PAUSE:
 *                      stopped; STOP: the clones deleted, the ring reset
 *   Process            the leading edge locked (AVStream maps the frame at its first lock),
 *                      cloned (the clone keeps the frame and its mappings), the clone's
 *                      mappings written to the ring, the leading edge moved to the next frame
 *                      unlocked; at most Locks frames locked at once, or - lock ahead - every
 *                      frame as it arrives, programmed when the ring has room. A lock that
 *                      fails returns STATUS_PENDING, and the DPC retries with
 *                      KsPinAttemptProcessing.
 *   ISR                the card's interrupt acknowledged, a DPC queued
 *   DPC                for each clone whose buffer the card has passed (RING_TAIL): DataUsed
 *                      set (a mapped queue's is the minidriver's), the time stamps, and
 *                      KsStreamPointerDelete, which completes the frame (a frame the card
 *                      wrote back as failed: KsStreamPointerSetStatusCode first); then
 *                      KsPinAttemptProcessing when frames wait
 */
#include <dmasim/ks.h>

#include "capture_hw.h"

/* the entry: DriverEntry's role, under this name in dmasim (capture_card.h) */
DRIVER_INITIALIZE CaptureDriverEntry;


typedef struct _CAP_DEVICE {
    PKSDEVICE Device;
    PUCHAR Registers;
    ULONG RegistersLength;
    PHYSICAL_ADDRESS RegistersBase;
    PKINTERRUPT Interrupt;
    KDPC Dpc;
    PDMA_ADAPTER Adapter;
    ULONG NumberOfMapRegisters;
    ULONG DeclaredBits, Locks, Policy;
    ULONG FrameBytes, FrameInterval, MaxSegment;
    CAP_ENTRY *Ring;                /* common buffer */
    PHYSICAL_ADDRESS RingLogical;
    ULONG RingEntries, RingBytes;
    ULONG Head;                     /* the next entry to write */
    ULONG TailSeen;                 /* RING_TAIL when the DPC last looked */
    PKSPIN Pin;
    ULONG Locked;                   /* frames held by clones */
    BOOLEAN PendIo;                 /* Process stopped on a failed lock: retry from the DPC */
    LONGLONG FrameNumber;
} CAP_DEVICE, *PCAP_DEVICE;

/* A clone's context: where its mappings are on the ring. */
typedef struct _CAP_CLONE {
    BOOLEAN Programmed;
    ULONG Entries;
    ULONG Bytes;
    ULONG Last;                     /* its last ring entry, where the card writes back */
} CAP_CLONE, *PCAP_CLONE;

static ULONG RegRead(PCAP_DEVICE Cap, ULONG Offset)
{
    return READ_REGISTER_ULONG((PULONG)(Cap->Registers + Offset));
}

static VOID RegWrite(PCAP_DEVICE Cap, ULONG Offset, ULONG Value)
{
    WRITE_REGISTER_ULONG((PULONG)(Cap->Registers + Offset), Value);
}

/* ---- the pin --------------------------------------------------------------------------------- */
static ULONG RingFree(PCAP_DEVICE Cap)
{
    ULONG tail = RegRead(Cap, CAP_REG_RING_TAIL);

    return (tail + Cap->RingEntries - Cap->Head - 1) % Cap->RingEntries;
}

/* The clone's mappings onto the ring, if it has room. */
static BOOLEAN CapProgram(PCAP_DEVICE Cap, PKSSTREAM_POINTER Clone)
{
    PCAP_CLONE cc = Clone->Context;
    PKSMAPPING m = Clone->OffsetOut.Mappings;
    ULONG n = Clone->OffsetOut.Remaining, bytes = 0;

    if (n == 0 || n > RingFree(Cap))
        return FALSE;
    for (ULONG i = 0; i < n; i++) {
        CAP_ENTRY *e = &Cap->Ring[Cap->Head];
        e->Address = (ULONGLONG)m[i].PhysicalAddress.QuadPart;
        e->Length = m[i].ByteCount;
        e->Flags = i + 1 == n ? CAP_ENTRY_END_OF_FRAME : 0;
        if (i + 1 == n)
            cc->Last = Cap->Head;
        bytes += m[i].ByteCount;
        Cap->Head = (Cap->Head + 1) % Cap->RingEntries;
    }
    cc->Programmed = TRUE;
    cc->Entries = n;
    cc->Bytes = bytes < Cap->FrameBytes ? bytes : Cap->FrameBytes;
    RegWrite(Cap, CAP_REG_RING_HEAD, Cap->Head);
    return TRUE;
}

static NTSTATUS CapPinProcess(PKSPIN Pin)
{
    PCAP_DEVICE cap = Pin->Context;
    PKSSTREAM_POINTER leading, clone;
    ULONG limit = (cap->Policy & CAP_POLICY_LOCK_AHEAD) ? (ULONG)-1 : cap->Locks;
    NTSTATUS status;

    /* locked ahead, waiting for room on the ring: in clone order */
    for (clone = KsPinGetFirstCloneStreamPointer(Pin); clone != NULL;
         clone = KsStreamPointerGetNextClone(clone)) {
        PCAP_CLONE cc = clone->Context;
        if (!cc->Programmed && !CapProgram(cap, clone))
            return STATUS_SUCCESS; /* the DPC comes back when the card frees the ring */
    }
    while (cap->Locked < limit) {
        leading = KsPinGetLeadingEdgeStreamPointer(Pin, KSSTREAM_POINTER_STATE_LOCKED);
        if (leading == NULL) {
            /* no frame, or the lock failed ("locking can occasionally fail"): if a frame is
             * there, try again when the card completes one */
            leading = KsPinGetLeadingEdgeStreamPointer(Pin, KSSTREAM_POINTER_STATE_UNLOCKED);
            if (leading != NULL && leading->StreamHeader != NULL) {
                cap->PendIo = TRUE;
                return STATUS_PENDING;
            }
            return STATUS_SUCCESS;
        }
        status = KsStreamPointerClone(leading, NULL, sizeof(CAP_CLONE), &clone);
        if (!NT_SUCCESS(status)) {
            KsStreamPointerUnlock(leading, FALSE);
            cap->PendIo = TRUE;
            return STATUS_PENDING;
        }
        ((PCAP_CLONE)clone->Context)->Programmed = FALSE;
        clone->StreamHeader->DataUsed = 0; /* a mapped queue's DataUsed is ours to set */
        cap->Locked++;
        /* the leading edge to the next frame, unlocked: the clone holds this one */
        KsStreamPointerAdvanceOffsetsAndUnlock(leading, 0, leading->OffsetOut.Remaining, FALSE);
        if (!CapProgram(cap, clone) && !(cap->Policy & CAP_POLICY_LOCK_AHEAD))
            break; /* cannot happen: the ring holds Locks frames */
    }
    return STATUS_SUCCESS;
}

static NTSTATUS CapPinCreate(PKSPIN Pin, PIRP Irp)
{
    PCAP_DEVICE cap = Pin->Context; /* the filter's, which is the device's */

    UNREFERENCED_PARAMETER(Irp);
    cap->Pin = Pin;
    return STATUS_SUCCESS;
}

static NTSTATUS CapPinClose(PKSPIN Pin, PIRP Irp)
{
    PCAP_DEVICE cap = Pin->Context;

    UNREFERENCED_PARAMETER(Irp);
    cap->Pin = NULL;
    return STATUS_SUCCESS;
}

static NTSTATUS CapPinSetDeviceState(PKSPIN Pin, KSSTATE ToState, KSSTATE FromState)
{
    PCAP_DEVICE cap = Pin->Context;
    PKSSTREAM_POINTER clone;

    switch (ToState) {
    case KSSTATE_ACQUIRE:
        if (FromState == KSSTATE_STOP) {
            RegWrite(cap, CAP_REG_RING_LO, cap->RingLogical.LowPart);
            RegWrite(cap, CAP_REG_RING_HI, (ULONG)cap->RingLogical.HighPart);
            RegWrite(cap, CAP_REG_RING_ENTRIES, cap->RingEntries);
            cap->Head = cap->TailSeen = 0;
        }
        break;
    case KSSTATE_RUN:
        RegWrite(cap, CAP_REG_INT_STATUS, CAP_INT_FRAME_DONE | CAP_INT_DROPPED);
        /* DROPPED too: a frame the card could not place is a moment to try the locks again */
        RegWrite(cap, CAP_REG_INT_ENABLE, CAP_INT_FRAME_DONE | CAP_INT_DROPPED);
        RegWrite(cap, CAP_REG_CONTROL, CAP_CONTROL_RUN);
        break;
    case KSSTATE_PAUSE:
        if (FromState == KSSTATE_RUN) {
            RegWrite(cap, CAP_REG_CONTROL, 0);
            RegWrite(cap, CAP_REG_INT_ENABLE, 0);
        }
        break;
    case KSSTATE_STOP:
        /* every frame we hold goes back (with no data), then the ring starts over */
        while ((clone = KsPinGetFirstCloneStreamPointer(Pin)) != NULL) {
            KsStreamPointerDelete(clone);
            cap->Locked--;
        }
        RegWrite(cap, CAP_REG_CONTROL, CAP_CONTROL_RESET);
        cap->Head = cap->TailSeen = 0;
        cap->PendIo = FALSE;
        break;
    }
    return STATUS_SUCCESS;
}

/* ---- interrupt and DPC ----------------------------------------------------------------------- */
static BOOLEAN CapIsr(PKINTERRUPT Interrupt, PVOID ServiceContext)
{
    PCAP_DEVICE cap = ServiceContext;
    ULONG status = RegRead(cap, CAP_REG_INT_STATUS);

    UNREFERENCED_PARAMETER(Interrupt);
    if (status == 0)
        return FALSE;
    RegWrite(cap, CAP_REG_INT_STATUS, status);
    KeInsertQueueDpc(&cap->Dpc, NULL, NULL);
    return TRUE;
}

static VOID CapDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1,
                   PVOID SystemArgument2)
{
    PCAP_DEVICE cap = DeferredContext;
    PKSSTREAM_POINTER clone;
    ULONG tail, done;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);
    if (cap->Pin == NULL || cap->Pin->DeviceState == KSSTATE_STOP)
        return;
    tail = RegRead(cap, CAP_REG_RING_TAIL);
    done = (tail + cap->RingEntries - cap->TailSeen) % cap->RingEntries;
    /* the clones in order: each whose entries the card has passed holds a written frame */
    while ((clone = KsPinGetFirstCloneStreamPointer(cap->Pin)) != NULL) {
        PCAP_CLONE cc = clone->Context;
        if (!cc->Programmed || cc->Entries > done)
            break;
        done -= cc->Entries;
        cap->TailSeen = (cap->TailSeen + cc->Entries) % cap->RingEntries;
        if (cap->Ring[cc->Last].Flags & CAP_ENTRY_ERROR) {
            /* the card failed this frame: the application hears so */
            clone->StreamHeader->DataUsed = 0;
            KsStreamPointerSetStatusCode(clone, STATUS_IO_DEVICE_ERROR);
            KsStreamPointerDelete(clone);
            cap->Locked--;
            continue;
        }
        clone->StreamHeader->DataUsed = cc->Bytes;
        clone->StreamHeader->Duration = cap->FrameInterval;
        clone->StreamHeader->PresentationTime.Time = cap->FrameNumber * cap->FrameInterval;
        clone->StreamHeader->PresentationTime.Numerator = 1;
        clone->StreamHeader->PresentationTime.Denominator = 1;
        clone->StreamHeader->OptionsFlags |= KSSTREAM_HEADER_OPTIONSF_TIMEVALID |
                                             KSSTREAM_HEADER_OPTIONSF_DURATIONVALID;
        cap->FrameNumber++;
        KsStreamPointerDelete(clone); /* the frame completes: its mappings go back */
        cap->Locked--;
    }
    /* frames wait (a lock failed, or room on the ring for frames locked ahead) */
    cap->PendIo = FALSE;
    KsPinAttemptProcessing(cap->Pin, TRUE);
}

/* ---- the device ------------------------------------------------------------------------------ */
static NTSTATUS CapDeviceAdd(PKSDEVICE Device)
{
    PCAP_DEVICE cap = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(CAP_DEVICE), 'paCd');
    NTSTATUS status;

    if (cap == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlZeroMemory(cap, sizeof(*cap));
    cap->Device = Device;
    status = KsAddItemToObjectBag(Device->Bag, cap, NULL);
    if (!NT_SUCCESS(status)) {
        ExFreePool(cap);
        return status;
    }
    Device->Context = cap;
    return STATUS_SUCCESS;
}

/* The adapter to AVStream, the way "Supporting DMA in 64-Bit AVStream Drivers" shows it. */
static VOID CapRegisterAdapter(PCAP_DEVICE Cap, PDEVICE_DESCRIPTION Description)
{
    IKsDeviceFunctions *functions;
    PUNKNOWN unknown;
    NTSTATUS status;

    if (!(Cap->Policy & CAP_POLICY_LEGACY_REGISTRATION)) {
        unknown = KsDeviceGetOuterUnknown(Cap->Device);
        status = unknown->lpVtbl->QueryInterface(unknown, &IID_IKsDeviceFunctions,
                                                 (PVOID *)&functions);
        if (NT_SUCCESS(status)) {
            functions->lpVtbl->RegisterAdapterObjectEx(functions, Cap->Adapter, Description,
                                                       Cap->NumberOfMapRegisters,
                                                       Cap->MaxSegment, sizeof(KSMAPPING));
            functions->lpVtbl->Release(functions);
            return;
        }
    }
    KsDeviceRegisterAdapterObject(Cap->Device, Cap->Adapter, Cap->MaxSegment, sizeof(KSMAPPING));
}

static NTSTATUS CapDeviceStart(PKSDEVICE Device, PIRP Irp, PCM_RESOURCE_LIST TranslatedResourceList,
                               PCM_RESOURCE_LIST UntranslatedResourceList);
static void CapDeviceStop(PKSDEVICE Device, PIRP Irp);

static const KSPIN_DISPATCH CapPinDispatch = {
    CapPinCreate,          /* Create */
    CapPinClose,           /* Close */
    CapPinProcess,         /* Process */
    NULL,                  /* Reset */
    NULL,                  /* SetDataFormat */
    CapPinSetDeviceState,  /* SetDeviceState */
    NULL,                  /* Connect */
    NULL,                  /* Disconnect */
    NULL,                  /* Clock */
    NULL                   /* Allocator */
};

/* YUY2 video (ksmedia.h's KSDATAFORMAT_TYPE_VIDEO, MEDIASUBTYPE_YUY2 and
 * KSDATAFORMAT_SPECIFIER_VIDEOINFO, by value) */
static KSDATARANGE CapVideoRange = {
    {sizeof(KSDATARANGE), 0, 0, 0,
     {0x73646976L, 0x0000, 0x0010, {0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}},
     {0x32595559L, 0x0000, 0x0010, {0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}},
     {0x05589F80L, 0xC356, 0x11CE, {0xBF, 0x01, 0x00, 0xAA, 0x00, 0x55, 0x59, 0x5A}}}};
static const PKSDATARANGE CapPinRanges[] = {&CapVideoRange};

static const KSPIN_DESCRIPTOR_EX CapFilterPins[] = {{
    &CapPinDispatch,
    NULL,                  /* AutomationTable */
    {
        0, NULL,           /* Interfaces */
        0, NULL,           /* Mediums */
        1, CapPinRanges,   /* DataRanges */
        KSPIN_DATAFLOW_OUT,
        KSPIN_COMMUNICATION_BOTH,
        NULL,              /* Category */
        NULL,              /* Name */
        {0}
    },
    KSPIN_FLAG_GENERATE_MAPPINGS | KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY,
    1,                     /* InstancesPossible */
    1,                     /* InstancesNecessary */
    NULL,                  /* AllocatorFraming */
    NULL                   /* IntersectHandler */
}};

static const KSFILTER_DESCRIPTOR CapFilterDescriptor = {
    NULL,                  /* Dispatch */
    NULL,                  /* AutomationTable */
    KSFILTER_DESCRIPTOR_VERSION,
    0,                     /* Flags */
    NULL,                  /* ReferenceGuid */
    1, sizeof(KSPIN_DESCRIPTOR_EX), CapFilterPins,
    0, NULL,               /* Categories */
    0, 0, NULL,            /* Nodes */
    0, NULL,               /* Connections */
    NULL                   /* ComponentId */
};

static NTSTATUS CapDeviceStart(PKSDEVICE Device, PIRP Irp, PCM_RESOURCE_LIST TranslatedResourceList,
                               PCM_RESOURCE_LIST UntranslatedResourceList)
{
    PCAP_DEVICE cap = Device->Context;
    PCM_PARTIAL_RESOURCE_LIST list;
    DEVICE_DESCRIPTION dd;
    IO_CONNECT_INTERRUPT_PARAMETERS connect;
    BOOLEAN haveInterrupt = FALSE;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(UntranslatedResourceList);
    if (TranslatedResourceList == NULL || TranslatedResourceList->Count == 0)
        return STATUS_INSUFFICIENT_RESOURCES;
    cap->DeclaredBits = 32;
    cap->Locks = 2;
    list = &TranslatedResourceList->List[0].PartialResourceList;
    for (ULONG i = 0; i < list->Count; i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR r = &list->PartialDescriptors[i];
        switch (r->Type) {
        case CmResourceTypeMemory:
            if (cap->Registers == NULL && r->u.Memory.Length >= CAP_BAR_BYTES) {
                cap->RegistersBase = r->u.Memory.Start;
                cap->RegistersLength = r->u.Memory.Length;
                cap->Registers = MmMapIoSpace(r->u.Memory.Start, CAP_BAR_BYTES, MmNonCached);
            }
            break;
        case CmResourceTypeInterrupt:
            haveInterrupt = TRUE;
            break;
        case CmResourceTypeDevicePrivate:
            cap->DeclaredBits = r->u.DevicePrivate.Data[CAP_PRIVATE_DECLARED_BITS];
            cap->Locks = r->u.DevicePrivate.Data[CAP_PRIVATE_LOCKS];
            cap->Policy = r->u.DevicePrivate.Data[CAP_PRIVATE_POLICY];
            break;
        default:
            break;
        }
    }
    if (cap->Registers == NULL || !haveInterrupt || RegRead(cap, CAP_REG_ID) != CAP_ID)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    if (cap->Locks == 0)
        cap->Locks = 1;
    cap->FrameBytes = RegRead(cap, CAP_REG_FRAME_BYTES);
    cap->FrameInterval = RegRead(cap, CAP_REG_FRAME_INTERVAL);
    cap->MaxSegment = RegRead(cap, CAP_REG_MAX_SEGMENT);

    /* a scatter/gather bus master: AVStream maps its frames through this adapter */
    RtlZeroMemory(&dd, sizeof(dd));
    dd.Version = DEVICE_DESCRIPTION_VERSION;
    dd.Master = TRUE;
    dd.ScatterGather = TRUE;
    dd.Dma32BitAddresses = TRUE;
    dd.Dma64BitAddresses = cap->DeclaredBits >= 64;
    dd.InterfaceType = PCIBus;
    dd.MaximumLength = cap->FrameBytes;
    cap->Adapter = IoGetDmaAdapter(Device->PhysicalDeviceObject, &dd, &cap->NumberOfMapRegisters);
    if (cap->Adapter == NULL)
        return STATUS_UNSUCCESSFUL;
    CapRegisterAdapter(cap, &dd);

    /* the ring holds Locks frames' mappings: at most a mapping a page, and one more */
    cap->RingEntries = cap->Locks * (cap->FrameBytes / PAGE_SIZE + 2) + 1;
    if (cap->RingEntries > 65536)
        cap->RingEntries = 65536;
    cap->RingBytes = cap->RingEntries * sizeof(CAP_ENTRY);
    cap->Ring = cap->Adapter->DmaOperations->AllocateCommonBuffer(cap->Adapter, cap->RingBytes,
                                                                  &cap->RingLogical, FALSE);
    if (cap->Ring == NULL) {
        CapDeviceStop(Device, Irp);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KeInitializeDpc(&cap->Dpc, CapDpc, cap);
    RtlZeroMemory(&connect, sizeof(connect));
    connect.Version = CONNECT_LINE_BASED;
    connect.LineBased.PhysicalDeviceObject = Device->PhysicalDeviceObject;
    connect.LineBased.InterruptObject = &cap->Interrupt;
    connect.LineBased.ServiceRoutine = CapIsr;
    connect.LineBased.ServiceContext = cap;
    status = IoConnectInterruptEx(&connect);
    if (!NT_SUCCESS(status)) {
        CapDeviceStop(Device, Irp);
        return status;
    }
    KsAcquireDevice(Device);
    status = KsCreateFilterFactory(Device->FunctionalDeviceObject, &CapFilterDescriptor, L"GLOBAL",
                                   NULL, KSCREATE_ITEM_FREEONSTOP, NULL, NULL, NULL);
    KsReleaseDevice(Device);
    if (!NT_SUCCESS(status))
        CapDeviceStop(Device, Irp);
    return status;
}

static void CapDeviceStop(PKSDEVICE Device, PIRP Irp)
{
    PCAP_DEVICE cap = Device->Context;

    UNREFERENCED_PARAMETER(Irp);
    if (cap->Registers != NULL) {
        RegWrite(cap, CAP_REG_CONTROL, 0);
        RegWrite(cap, CAP_REG_INT_ENABLE, 0);
    }
    if (cap->Interrupt != NULL) {
        IoDisconnectInterrupt(cap->Interrupt);
        cap->Interrupt = NULL;
    }
    if (cap->Ring != NULL) {
        cap->Adapter->DmaOperations->FreeCommonBuffer(cap->Adapter, cap->RingBytes,
                                                      cap->RingLogical, cap->Ring, FALSE);
        cap->Ring = NULL;
    }
    if (cap->Adapter != NULL) {
        cap->Adapter->DmaOperations->PutDmaAdapter(cap->Adapter);
        cap->Adapter = NULL;
    }
    if (cap->Registers != NULL) {
        MmUnmapIoSpace(cap->Registers, CAP_BAR_BYTES);
        cap->Registers = NULL;
    }
}

static const KSDEVICE_DISPATCH CapDeviceDispatch = {
    CapDeviceAdd,          /* Add */
    CapDeviceStart,        /* Start */
    NULL,                  /* PostStart */
    NULL,                  /* QueryStop */
    NULL,                  /* CancelStop */
    CapDeviceStop,         /* Stop */
    NULL,                  /* QueryRemove */
    NULL,                  /* CancelRemove */
    NULL,                  /* Remove */
    NULL,                  /* QueryCapabilities */
    NULL,                  /* SurpriseRemoval */
    NULL,                  /* QueryPower */
    NULL,                  /* SetPower */
    NULL                   /* QueryInterface */
};

static const KSDEVICE_DESCRIPTOR CapDeviceDescriptor = {
    &CapDeviceDispatch,
    0, NULL,               /* the filter factory is made at start */
    KSDEVICE_DESCRIPTOR_VERSION,
    0
};

NTSTATUS CaptureDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    return KsInitializeDriver(DriverObject, RegistryPath, &CapDeviceDescriptor);
}
