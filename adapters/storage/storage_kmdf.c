/*
 * storage_kmdf.c - dmasim's KMDF driver for the storage controller (docs/hardware/storage.md),
 * written from the KMDF documentation and the controller's datasheet: the same hardware as
 * storage_wdm.c, so a scenario compares what the framework costs against a WDM driver's own
 * DMA code (pattern = kmdf against sg, v3, ...).
 *
 *   EvtDriverDeviceAdd       direct I/O, PnP/power callbacks, the device (its context, the
 *                            device synchronisation scope), a parallel default queue that
 *                            presents at most as many requests as the controller has command
 *                            slots in use, the interrupt (automatic serialisation)
 *   EvtDevicePrepareHardware the registers mapped and read; the DMA enabler (scatter/gather,
 *                            or packet when the controller takes one element a command; 64- or
 *                            32-bit as the firmware says the driver should declare), its
 *                            elements limited to the controller's; one transaction a slot;
 *                            the command table and completion queue in one common buffer
 *   EvtDeviceD0Entry/Exit    the queues given to the controller and it enabled; disabled
 *   EvtIoRead / EvtIoWrite   a free slot's transaction initialised from the request, executed
 *   EvtProgramDma            the stage's command (media offset = the request's plus the bytes
 *                            transferred so far) written to the slot, then the doorbell
 *   EvtInterruptIsr          the completion interrupt acknowledged, the DPC queued
 *   EvtInterruptDpc          each new completion entry: DmaCompleted (the next stage is
 *                            programmed by the framework), or DmaCompletedFinal when the
 *                            controller failed the command; when the transaction is done, the
 *                            request completed with its bytes and the slot freed
 *
 * A request longer than the controller's transfer limit fails with STATUS_INVALID_PARAMETER,
 * as the WDM driver's does.
 */
#include "dmasim/wdf.h"

#include "storage_hw.h"

/* the entry: DriverEntry's role, under this name in dmasim (storage_card.h) */
DRIVER_INITIALIZE StorKmdfDriverEntry;

#define STOR_KMDF_TAG 'fKtS'

/* A command slot: its transaction carries this context. */
typedef struct _STOR_SLOT {
    ULONG Index;
    LONGLONG Offset; /* the request's media offset */
} STOR_SLOT, *PSTOR_SLOT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(STOR_SLOT, StorGetSlot)

typedef struct _STOR_DEVICE {
    WDFDEVICE Device;
    WDFINTERRUPT Interrupt;
    WDFDMAENABLER DmaEnabler;
    WDFQUEUE Queue;               /* the default queue, made at the first start */
    WDFCOMMONBUFFER QueueBuffer;  /* the command table, then the completion queue */
    PUCHAR Queues;
    PHYSICAL_ADDRESS QueuesLogical;
    ULONG QueuesBytes;
    PUCHAR Registers;
    ULONG DeclaredBits, MaxTransfer, MaxElements, Slots, CommandStride;
    BOOLEAN ScatterGather;
    WDFDMATRANSACTION *Transactions; /* one a slot */
    PBOOLEAN SlotBusy;
    ULONG CqHead;
    USHORT CqPhase;
} STOR_DEVICE, *PSTOR_DEVICE;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(STOR_DEVICE, StorGetDevice)

static EVT_WDF_DRIVER_DEVICE_ADD StorEvtDeviceAdd;
static EVT_WDF_DEVICE_PREPARE_HARDWARE StorEvtPrepareHardware;
static EVT_WDF_DEVICE_RELEASE_HARDWARE StorEvtReleaseHardware;
static EVT_WDF_DEVICE_D0_ENTRY StorEvtD0Entry;
static EVT_WDF_DEVICE_D0_EXIT StorEvtD0Exit;
static EVT_WDF_IO_QUEUE_IO_READ StorEvtIoRead;
static EVT_WDF_IO_QUEUE_IO_WRITE StorEvtIoWrite;
static EVT_WDF_PROGRAM_DMA StorEvtProgramDma;
static EVT_WDF_INTERRUPT_ISR StorEvtInterruptIsr;
static EVT_WDF_INTERRUPT_DPC StorEvtInterruptDpc;

static ULONG RegRead(PSTOR_DEVICE Stor, ULONG Offset)
{
    return READ_REGISTER_ULONG((PULONG)(Stor->Registers + Offset));
}

static VOID RegWrite(PSTOR_DEVICE Stor, ULONG Offset, ULONG Value)
{
    WRITE_REGISTER_ULONG((PULONG)(Stor->Registers + Offset), Value);
}

NTSTATUS StorKmdfDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;

    WDF_DRIVER_CONFIG_INIT(&config, StorEvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config,
                           WDF_NO_HANDLE);
}

static NTSTATUS StorEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_INTERRUPT_CONFIG interruptConfig;
    PSTOR_DEVICE stor;
    WDFDEVICE device;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Driver);
    WdfDeviceInitSetDeviceType(DeviceInit, FILE_DEVICE_DISK);
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = StorEvtPrepareHardware;
    pnp.EvtDeviceReleaseHardware = StorEvtReleaseHardware;
    pnp.EvtDeviceD0Entry = StorEvtD0Entry;
    pnp.EvtDeviceD0Exit = StorEvtD0Exit;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, STOR_DEVICE);
    attributes.SynchronizationScope = WdfSynchronizationScopeDevice;
    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;
    stor = StorGetDevice(device);
    stor->Device = device;

    WDF_INTERRUPT_CONFIG_INIT(&interruptConfig, StorEvtInterruptIsr, StorEvtInterruptDpc);
    interruptConfig.AutomaticSerialization = TRUE;
    return WdfInterruptCreate(device, &interruptConfig, WDF_NO_OBJECT_ATTRIBUTES,
                              &stor->Interrupt);
}

/* The default queue, once the slots are known (at the first start; a later start keeps it):
 * parallel, presenting a request a slot. */
static NTSTATUS QueueCreate(PSTOR_DEVICE Stor)
{
    WDF_IO_QUEUE_CONFIG queueConfig;

    if (Stor->Queue != NULL)
        return STATUS_SUCCESS;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchParallel);
    queueConfig.Settings.Parallel.NumberOfPresentedRequests = Stor->Slots;
    queueConfig.EvtIoRead = StorEvtIoRead;
    queueConfig.EvtIoWrite = StorEvtIoWrite;
    return WdfIoQueueCreate(Stor->Device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &Stor->Queue);
}

static NTSTATUS SlotsCreate(PSTOR_DEVICE Stor)
{
    WDF_OBJECT_ATTRIBUTES attributes;
    NTSTATUS status;

    Stor->Transactions = ExAllocatePool2(POOL_FLAG_NON_PAGED,
                                         Stor->Slots * sizeof(WDFDMATRANSACTION), STOR_KMDF_TAG);
    Stor->SlotBusy = ExAllocatePool2(POOL_FLAG_NON_PAGED, Stor->Slots * sizeof(BOOLEAN),
                                     STOR_KMDF_TAG);
    if (Stor->Transactions == NULL || Stor->SlotBusy == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    for (ULONG i = 0; i < Stor->Slots; i++) {
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, STOR_SLOT);
        status = WdfDmaTransactionCreate(Stor->DmaEnabler, &attributes, &Stor->Transactions[i]);
        if (!NT_SUCCESS(status))
            return status;
        StorGetSlot(Stor->Transactions[i])->Index = i;
    }
    return STATUS_SUCCESS;
}

static NTSTATUS StorEvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw,
                                       WDFCMRESLIST ResourcesTranslated)
{
    PSTOR_DEVICE stor = StorGetDevice(Device);
    WDF_DMA_ENABLER_CONFIG dmaConfig;
    WDF_DMA_PROFILE profile;
    ULONG config = 0;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(ResourcesRaw);
    stor->DeclaredBits = 64;
    for (ULONG i = 0; i < WdfCmResourceListGetCount(ResourcesTranslated); i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR desc =
            WdfCmResourceListGetDescriptor(ResourcesTranslated, i);
        if (desc->Type == CmResourceTypeMemory && desc->u.Memory.Length >= STOR_BAR_BYTES &&
            stor->Registers == NULL)
            stor->Registers = MmMapIoSpace(desc->u.Memory.Start, STOR_BAR_BYTES, MmNonCached);
        else if (desc->Type == CmResourceTypeDevicePrivate) {
            stor->DeclaredBits = desc->u.DevicePrivate.Data[STOR_PRIVATE_DECLARED_BITS];
            stor->MaxTransfer = desc->u.DevicePrivate.Data[STOR_PRIVATE_MAX_TRANSFER];
            config = desc->u.DevicePrivate.Data[STOR_PRIVATE_CONFIG];
        }
    }
    if (stor->Registers == NULL || RegRead(stor, STOR_REG_ID) != STOR_ID)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    if (stor->MaxTransfer == 0 || stor->MaxTransfer > RegRead(stor, STOR_REG_MAX_TRANSFER))
        stor->MaxTransfer = RegRead(stor, STOR_REG_MAX_TRANSFER);
    stor->Slots = config >> 16;
    if (stor->Slots == 0 || stor->Slots > RegRead(stor, STOR_REG_MAX_SLOTS))
        stor->Slots = 1;
    stor->ScatterGather = (RegRead(stor, STOR_REG_FEATURES) & STOR_FEATURE_SCATTER_GATHER) != 0;
    stor->MaxElements = stor->ScatterGather ? RegRead(stor, STOR_REG_MAX_ELEMENTS) : 1;
    stor->CommandStride = sizeof(STOR_COMMAND) + stor->MaxElements * sizeof(STOR_ELEMENT);

    /* a controller that takes one element a command gets a packet profile: the framework
     * maps each stage through map registers into one logical run */
    if (stor->ScatterGather)
        profile = stor->DeclaredBits >= 64 ? WdfDmaProfileScatterGather64
                                           : WdfDmaProfileScatterGather;
    else
        profile = stor->DeclaredBits >= 64 ? WdfDmaProfilePacket64 : WdfDmaProfilePacket;
    WDF_DMA_ENABLER_CONFIG_INIT(&dmaConfig, profile, stor->MaxTransfer);
    status = WdfDmaEnablerCreate(Device, &dmaConfig, WDF_NO_OBJECT_ATTRIBUTES,
                                 &stor->DmaEnabler);
    if (!NT_SUCCESS(status))
        return status;
    if (stor->ScatterGather)
        WdfDmaEnablerSetMaximumScatterGatherElements(stor->DmaEnabler, stor->MaxElements);

    stor->QueuesBytes = stor->Slots * stor->CommandStride + stor->Slots * sizeof(STOR_COMPLETION);
    status = WdfCommonBufferCreate(stor->DmaEnabler, stor->QueuesBytes, WDF_NO_OBJECT_ATTRIBUTES,
                                   &stor->QueueBuffer);
    if (!NT_SUCCESS(status))
        return status;
    stor->Queues = WdfCommonBufferGetAlignedVirtualAddress(stor->QueueBuffer);
    stor->QueuesLogical = WdfCommonBufferGetAlignedLogicalAddress(stor->QueueBuffer);
    status = SlotsCreate(stor);
    if (NT_SUCCESS(status))
        status = QueueCreate(stor);
    return status;
}

static NTSTATUS StorEvtReleaseHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesTranslated)
{
    PSTOR_DEVICE stor = StorGetDevice(Device);

    UNREFERENCED_PARAMETER(ResourcesTranslated);
    if (stor->Registers != NULL)
        MmUnmapIoSpace(stor->Registers, STOR_BAR_BYTES);
    stor->Registers = NULL;
    if (stor->Transactions != NULL)
        ExFreePool(stor->Transactions);
    if (stor->SlotBusy != NULL)
        ExFreePool(stor->SlotBusy);
    stor->Transactions = NULL;
    stor->SlotBusy = NULL;
    /* the enabler, its transactions and the common buffer go with the device */
    return STATUS_SUCCESS;
}

static NTSTATUS StorEvtD0Entry(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState)
{
    PSTOR_DEVICE stor = StorGetDevice(Device);
    ULONGLONG cq = (ULONGLONG)stor->QueuesLogical.QuadPart +
                   (ULONGLONG)stor->Slots * stor->CommandStride;

    UNREFERENCED_PARAMETER(PreviousState);
    RtlZeroMemory(stor->Queues, stor->QueuesBytes);
    stor->CqHead = 0;
    stor->CqPhase = 1;
    RegWrite(stor, STOR_REG_CMD_BASE_LO, stor->QueuesLogical.LowPart);
    RegWrite(stor, STOR_REG_CMD_BASE_HI, (ULONG)stor->QueuesLogical.HighPart);
    RegWrite(stor, STOR_REG_CQ_BASE_LO, (ULONG)cq);
    RegWrite(stor, STOR_REG_CQ_BASE_HI, (ULONG)(cq >> 32));
    RegWrite(stor, STOR_REG_SLOTS, stor->Slots);
    RegWrite(stor, STOR_REG_CMD_STRIDE, stor->CommandStride);
    RegWrite(stor, STOR_REG_CONTROL, STOR_CONTROL_ENABLE | STOR_CONTROL_INT_ENABLE);
    return STATUS_SUCCESS;
}

static NTSTATUS StorEvtD0Exit(WDFDEVICE Device, WDF_POWER_DEVICE_STATE TargetState)
{
    PSTOR_DEVICE stor = StorGetDevice(Device);

    UNREFERENCED_PARAMETER(TargetState);
    RegWrite(stor, STOR_REG_CONTROL, 0);
    return STATUS_SUCCESS;
}

/* ---- requests -------------------------------------------------------------------------- */
static VOID StartRequest(PSTOR_DEVICE Stor, WDFREQUEST Request, size_t Length,
                         LONGLONG Offset, WDF_DMA_DIRECTION Direction)
{
    WDFDMATRANSACTION tx = NULL;
    NTSTATUS status;

    if (Length == 0) {
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 0);
        return;
    }
    if (Length > Stor->MaxTransfer) {
        WdfRequestComplete(Request, STATUS_INVALID_PARAMETER);
        return;
    }
    /* the queue presents no more requests than there are slots: one is free */
    for (ULONG i = 0; i < Stor->Slots && tx == NULL; i++)
        if (!Stor->SlotBusy[i]) {
            Stor->SlotBusy[i] = TRUE;
            tx = Stor->Transactions[i];
        }
    if (tx == NULL) {
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES);
        return;
    }
    StorGetSlot(tx)->Offset = Offset;
    status = WdfDmaTransactionInitializeUsingRequest(tx, Request, StorEvtProgramDma, Direction);
    if (NT_SUCCESS(status)) {
        status = WdfDmaTransactionExecute(tx, Stor);
        if (!NT_SUCCESS(status))
            WdfDmaTransactionRelease(tx);
    }
    if (!NT_SUCCESS(status)) {
        Stor->SlotBusy[StorGetSlot(tx)->Index] = FALSE;
        WdfRequestComplete(Request, status);
    }
}

static VOID StorEvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PSTOR_DEVICE stor = StorGetDevice(WdfIoQueueGetDevice(Queue));
    WDF_REQUEST_PARAMETERS params;

    WDF_REQUEST_PARAMETERS_INIT(&params);
    WdfRequestGetParameters(Request, &params);
    StartRequest(stor, Request, Length, params.Parameters.Read.DeviceOffset,
                 WdfDmaDirectionReadFromDevice);
}

static VOID StorEvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PSTOR_DEVICE stor = StorGetDevice(WdfIoQueueGetDevice(Queue));
    WDF_REQUEST_PARAMETERS params;

    WDF_REQUEST_PARAMETERS_INIT(&params);
    WdfRequestGetParameters(Request, &params);
    StartRequest(stor, Request, Length, params.Parameters.Write.DeviceOffset,
                 WdfDmaDirectionWriteToDevice);
}

/* One stage: its command in the slot, then the doorbell. */
static BOOLEAN StorEvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device,
                                 WDFCONTEXT Context, WDF_DMA_DIRECTION Direction,
                                 PSCATTER_GATHER_LIST SgList)
{
    PSTOR_DEVICE stor = Context;
    PSTOR_SLOT slot = StorGetSlot(Transaction);
    size_t done = WdfDmaTransactionGetBytesTransferred(Transaction);
    STOR_COMMAND *c = (STOR_COMMAND *)(stor->Queues + slot->Index * stor->CommandStride);
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Device);
    if (SgList->NumberOfElements > stor->MaxElements) { /* the enabler's limit keeps this away */
        WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &status);
        return FALSE;
    }
    c->Offset = (ULONGLONG)(slot->Offset + (LONGLONG)done);
    c->Bytes = (ULONG)WdfDmaTransactionGetCurrentDmaTransferLength(Transaction);
    c->Write = Direction == WdfDmaDirectionWriteToDevice;
    c->Flags = done == 0 ? STOR_CMD_FIRST : 0;
    c->Tag = (USHORT)slot->Index;
    c->Elements = SgList->NumberOfElements;
    for (ULONG i = 0; i < SgList->NumberOfElements; i++) {
        c->Element[i].Address = (ULONGLONG)SgList->Elements[i].Address.QuadPart;
        c->Element[i].Length = SgList->Elements[i].Length;
    }
    RegWrite(stor, STOR_REG_DOORBELL, slot->Index);
    return TRUE;
}

/* ---- completion ------------------------------------------------------------------------ */
static BOOLEAN StorEvtInterruptIsr(WDFINTERRUPT Interrupt, ULONG MessageID)
{
    PSTOR_DEVICE stor = StorGetDevice(WdfInterruptGetDevice(Interrupt));

    UNREFERENCED_PARAMETER(MessageID);
    if (!(RegRead(stor, STOR_REG_INT_STATUS) & STOR_INT_COMPLETION))
        return FALSE;
    RegWrite(stor, STOR_REG_INT_STATUS, STOR_INT_COMPLETION);
    WdfInterruptQueueDpcForIsr(Interrupt);
    return TRUE;
}

static VOID CompleteSlot(PSTOR_DEVICE Stor, WDFDMATRANSACTION Transaction, NTSTATUS Status)
{
    WDFREQUEST request = WdfDmaTransactionGetRequest(Transaction);
    size_t bytes = WdfDmaTransactionGetBytesTransferred(Transaction);

    WdfDmaTransactionRelease(Transaction);
    Stor->SlotBusy[StorGetSlot(Transaction)->Index] = FALSE;
    WdfRequestCompleteWithInformation(request, Status, NT_SUCCESS(Status) ? bytes : 0);
}

static VOID StorEvtInterruptDpc(WDFINTERRUPT Interrupt, WDFOBJECT AssociatedObject)
{
    PSTOR_DEVICE stor = StorGetDevice(AssociatedObject);
    STOR_COMPLETION *cq = (STOR_COMPLETION *)(stor->Queues + stor->Slots * stor->CommandStride);

    UNREFERENCED_PARAMETER(Interrupt);
    while (cq[stor->CqHead].Phase == stor->CqPhase) {
        STOR_COMPLETION entry = cq[stor->CqHead];
        WDFDMATRANSACTION tx;
        NTSTATUS status;

        if (++stor->CqHead == stor->Slots) {
            stor->CqHead = 0;
            stor->CqPhase ^= 1;
        }
        if (entry.Tag >= stor->Slots || !stor->SlotBusy[entry.Tag])
            continue; /* an entry for no request: the controller wrote garbage */
        tx = stor->Transactions[entry.Tag];
        if (!NT_SUCCESS(entry.Status)) {
            /* the controller failed the stage: the transaction ends with what came before
             * (FinalTransferredLength is the current stage's bytes: none of them count) */
            WdfDmaTransactionDmaCompletedFinal(tx, 0, &status);
            CompleteSlot(stor, tx, entry.Status);
        } else if (WdfDmaTransactionDmaCompleted(tx, &status)) {
            CompleteSlot(stor, tx, status);
        }
    }
}
