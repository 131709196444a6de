/*
 * pci9656_kmdf.c - dmasim's KMDF driver for the PLX PCI 9656 bridge, written from the KMDF
 * documentation and the bridge's datasheet (docs/hardware/pci9656.md): the pattern of a KMDF
 * scatter/gather bus-master driver.
 *
 *   EvtDriverDeviceAdd       direct I/O, PnP/power callbacks, the device (its context, the
 *                            device synchronisation scope), a sequential queue for writes and
 *                            one for reads (the two DMA channels run at once), the interrupt
 *   EvtDevicePrepareHardware BAR0 (0x200 bytes) mapped, BAR2 (the SRAM) found; the DMA enabler
 *                            (duplex scatter/gather, 64- or 32-bit as the firmware says the
 *                            driver should declare, DMA version 3), a transaction for each
 *                            direction, and a descriptor ring for each channel in a common
 *                            buffer of a second, 32-bit enabler (DMADPR holds 32 bits)
 *   EvtDeviceD0Entry/Exit    the channels initialised; a soft reset when the device goes
 *   EvtIoWrite / EvtIoRead   the request's transaction initialised and executed
 *   EvtProgramDma            the stage's scatter/gather list written as a descriptor chain
 *                            (local address = the bytes transferred so far), the channel
 *                            started under the interrupt lock
 *   EvtInterruptIsr          each active channel's interrupt cleared, the DPC queued
 *   EvtInterruptDpc          DmaCompleted (writes) or DmaCompletedWithLength (reads: the
 *                            current length less the counts the channel did not clear); when
 *                            the transaction is done, the request completed with its bytes
 *
 * A request over the SRAM's 128 KiB fails with STATUS_INVALID_BUFFER_SIZE.
 */
#include "dmasim/wdf.h"

#include "pci9656_hw.h"

/* the entry: DriverEntry's role, under this name in dmasim (pci9656_card.h), or wrapped by a
 * DriverEntry of the driver's own out of the tree (tests/drivers/kmdf_out_of_tree.sh) */
DRIVER_INITIALIZE Pci9656DriverEntry;

#define STAGE_BYTES 8192 /* the enabler's MaximumLength: the longest stage */
#define DTE_COUNT   (BYTES_TO_PAGES(STAGE_BYTES) + 1) /* a stage at any page offset */

typedef struct _DMA_CHANNEL {
    WDFDMATRANSACTION Transaction;
    WDFCOMMONBUFFER Ring;        /* DTE_COUNT descriptors */
    PUCHAR RingVa;
    ULONG RingLa;                /* below 4 GiB: DMADPR's 32 bits */
    ULONG ModeRegister, DprRegister;
    UCHAR CsrRegister;
    ULONG IntEnable, IntActive;
} DMA_CHANNEL, *PDMA_CHANNEL;

typedef struct _DEVICE_EXTENSION {
    WDFDEVICE Device;
    WDFINTERRUPT Interrupt;
    WDFDMAENABLER DmaEnabler;       /* the data path */
    WDFDMAENABLER DescriptorEnabler; /* 32-bit: the descriptor rings' common buffers */
    WDFQUEUE WriteQueue, ReadQueue;
    PUCHAR Regs;                    /* BAR0, mapped */
    ULONG RegsLength;
    PHYSICAL_ADDRESS SramBase;      /* BAR2: found, never touched by the CPU */
    ULONG DeclaredBits, MaxTransfer;
    DMA_CHANNEL Write, Read;        /* channel 0 and channel 1 */
    BOOLEAN WriteDone, ReadDone;    /* the ISR's record, taken by the DPC */
} DEVICE_EXTENSION, *PDEVICE_EXTENSION;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_EXTENSION, Pci9656GetDeviceContext)

static EVT_WDF_DRIVER_DEVICE_ADD Pci9656EvtDeviceAdd;
static EVT_WDF_DEVICE_PREPARE_HARDWARE Pci9656EvtPrepareHardware;
static EVT_WDF_DEVICE_RELEASE_HARDWARE Pci9656EvtReleaseHardware;
static EVT_WDF_DEVICE_D0_ENTRY Pci9656EvtD0Entry;
static EVT_WDF_DEVICE_D0_EXIT Pci9656EvtD0Exit;
static EVT_WDF_IO_QUEUE_IO_WRITE Pci9656EvtIoWrite;
static EVT_WDF_IO_QUEUE_IO_READ Pci9656EvtIoRead;
static EVT_WDF_PROGRAM_DMA Pci9656EvtProgramDma;
static EVT_WDF_INTERRUPT_ISR Pci9656EvtInterruptIsr;
static EVT_WDF_INTERRUPT_DPC Pci9656EvtInterruptDpc;
static EVT_WDF_INTERRUPT_ENABLE Pci9656EvtInterruptEnable;
static EVT_WDF_INTERRUPT_DISABLE Pci9656EvtInterruptDisable;

static ULONG RegRead(PDEVICE_EXTENSION DevExt, ULONG Offset)
{
    return READ_REGISTER_ULONG((PULONG)(DevExt->Regs + Offset));
}

static VOID RegWrite(PDEVICE_EXTENSION DevExt, ULONG Offset, ULONG Value)
{
    WRITE_REGISTER_ULONG((PULONG)(DevExt->Regs + Offset), Value);
}

NTSTATUS Pci9656DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;

    WDF_DRIVER_CONFIG_INIT(&config, Pci9656EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config,
                           WDF_NO_HANDLE);
}

static NTSTATUS Pci9656EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDF_INTERRUPT_CONFIG interruptConfig;
    PDEVICE_EXTENSION devExt;
    WDFDEVICE device;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Driver);
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = Pci9656EvtPrepareHardware;
    pnp.EvtDeviceReleaseHardware = Pci9656EvtReleaseHardware;
    pnp.EvtDeviceD0Entry = Pci9656EvtD0Entry;
    pnp.EvtDeviceD0Exit = Pci9656EvtD0Exit;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, DEVICE_EXTENSION);
    attributes.SynchronizationScope = WdfSynchronizationScopeDevice;
    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;
    devExt = Pci9656GetDeviceContext(device);
    devExt->Device = device;
    /* descriptors are 16-byte aligned */
    WdfDeviceSetAlignmentRequirement(device, FILE_OCTA_ALIGNMENT);

    /* one sequential queue a channel: a write and a read run at once, each alone */
    WDF_IO_QUEUE_CONFIG_INIT(&queueConfig, WdfIoQueueDispatchSequential);
    queueConfig.EvtIoWrite = Pci9656EvtIoWrite;
    status = WdfIoQueueCreate(device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES,
                              &devExt->WriteQueue);
    if (NT_SUCCESS(status))
        status = WdfDeviceConfigureRequestDispatching(device, devExt->WriteQueue,
                                                      WdfRequestTypeWrite);
    if (!NT_SUCCESS(status))
        return status;
    WDF_IO_QUEUE_CONFIG_INIT(&queueConfig, WdfIoQueueDispatchSequential);
    queueConfig.EvtIoRead = Pci9656EvtIoRead;
    status = WdfIoQueueCreate(device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES,
                              &devExt->ReadQueue);
    if (NT_SUCCESS(status))
        status = WdfDeviceConfigureRequestDispatching(device, devExt->ReadQueue,
                                                      WdfRequestTypeRead);
    if (!NT_SUCCESS(status))
        return status;

    WDF_INTERRUPT_CONFIG_INIT(&interruptConfig, Pci9656EvtInterruptIsr,
                              Pci9656EvtInterruptDpc);
    interruptConfig.EvtInterruptEnable = Pci9656EvtInterruptEnable;
    interruptConfig.EvtInterruptDisable = Pci9656EvtInterruptDisable;
    interruptConfig.AutomaticSerialization = TRUE;
    return WdfInterruptCreate(device, &interruptConfig, WDF_NO_OBJECT_ATTRIBUTES,
                              &devExt->Interrupt);
}

static NTSTATUS ChannelCreate(PDEVICE_EXTENSION DevExt, PDMA_CHANNEL Channel, int Index)
{
    NTSTATUS status;

    status = WdfDmaTransactionCreate(DevExt->DmaEnabler, WDF_NO_OBJECT_ATTRIBUTES,
                                     &Channel->Transaction);
    if (!NT_SUCCESS(status))
        return status;
    status = WdfCommonBufferCreate(DevExt->DescriptorEnabler, DTE_COUNT * PCI9656_DESC_BYTES,
                                   WDF_NO_OBJECT_ATTRIBUTES, &Channel->Ring);
    if (!NT_SUCCESS(status))
        return status;
    Channel->RingVa = WdfCommonBufferGetAlignedVirtualAddress(Channel->Ring);
    Channel->RingLa = WdfCommonBufferGetAlignedLogicalAddress(Channel->Ring).LowPart;
    RtlZeroMemory(Channel->RingVa, DTE_COUNT * PCI9656_DESC_BYTES);
    Channel->ModeRegister = Index == 0 ? PCI9656_DMAMODE0 : PCI9656_DMAMODE1;
    Channel->DprRegister = Index == 0 ? PCI9656_DMADPR0 : PCI9656_DMADPR1;
    Channel->CsrRegister = Index == 0 ? PCI9656_DMACSR0 : PCI9656_DMACSR1;
    Channel->IntEnable = Index == 0 ? PCI9656_INTCSR_DMA0_INT_ENABLE
                                    : PCI9656_INTCSR_DMA1_INT_ENABLE;
    Channel->IntActive = Index == 0 ? PCI9656_INTCSR_DMA0_INT_ACTIVE
                                    : PCI9656_INTCSR_DMA1_INT_ACTIVE;
    return STATUS_SUCCESS;
}

static NTSTATUS Pci9656EvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw,
                                          WDFCMRESLIST ResourcesTranslated)
{
    PDEVICE_EXTENSION devExt = Pci9656GetDeviceContext(Device);
    WDF_DMA_ENABLER_CONFIG dmaConfig;
    PHYSICAL_ADDRESS bar0 = {.QuadPart = 0};
    BOOLEAN haveBar0 = FALSE, haveSram = FALSE;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(ResourcesRaw);
    devExt->DeclaredBits = 64;
    devExt->MaxTransfer = PCI9656_SRAM_BYTES;
    for (ULONG i = 0; i < WdfCmResourceListGetCount(ResourcesTranslated); i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR desc = WdfCmResourceListGetDescriptor(ResourcesTranslated,
                                                                              i);
        if (desc->Type == CmResourceTypeMemory && desc->u.Memory.Length == PCI9656_BAR0_BYTES &&
            !haveBar0) {
            bar0 = desc->u.Memory.Start;
            haveBar0 = TRUE;
        } else if (desc->Type == CmResourceTypeMemory &&
                   desc->u.Memory.Length == PCI9656_SRAM_BYTES && haveBar0 && !haveSram) {
            devExt->SramBase = desc->u.Memory.Start;
            haveSram = TRUE;
        } else if (desc->Type == CmResourceTypeDevicePrivate) {
            devExt->DeclaredBits = desc->u.DevicePrivate.Data[PCI9656_PRIVATE_DECLARED_BITS];
            devExt->MaxTransfer = desc->u.DevicePrivate.Data[PCI9656_PRIVATE_MAX_TRANSFER];
        }
    }
    if (!haveBar0 || !haveSram)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    if (devExt->MaxTransfer == 0 || devExt->MaxTransfer > PCI9656_SRAM_BYTES)
        devExt->MaxTransfer = PCI9656_SRAM_BYTES;
    devExt->Regs = MmMapIoSpace(bar0, PCI9656_BAR0_BYTES, MmNonCached);
    if (devExt->Regs == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    devExt->RegsLength = PCI9656_BAR0_BYTES;

    /* the data path: a duplex scatter/gather profile, one adapter a channel */
    WDF_DMA_ENABLER_CONFIG_INIT(&dmaConfig,
                                devExt->DeclaredBits >= 64 ? WdfDmaProfileScatterGather64Duplex
                                                           : WdfDmaProfileScatterGatherDuplex,
                                STAGE_BYTES);
    dmaConfig.WdmDmaVersionOverride = 3;
    status = WdfDmaEnablerCreate(Device, &dmaConfig, WDF_NO_OBJECT_ATTRIBUTES,
                                 &devExt->DmaEnabler);
    if (!NT_SUCCESS(status))
        return status;
    WdfDmaEnablerSetMaximumScatterGatherElements(devExt->DmaEnabler, DTE_COUNT);
    /* the descriptor rings: the descriptor pointer register takes 32 bits, so their common
     * buffers come from a 32-bit enabler */
    WDF_DMA_ENABLER_CONFIG_INIT(&dmaConfig, WdfDmaProfileScatterGather, STAGE_BYTES);
    status = WdfDmaEnablerCreate(Device, &dmaConfig, WDF_NO_OBJECT_ATTRIBUTES,
                                 &devExt->DescriptorEnabler);
    if (NT_SUCCESS(status))
        status = ChannelCreate(devExt, &devExt->Write, 0);
    if (NT_SUCCESS(status))
        status = ChannelCreate(devExt, &devExt->Read, 1);
    return status;
}

static NTSTATUS Pci9656EvtReleaseHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesTranslated)
{
    PDEVICE_EXTENSION devExt = Pci9656GetDeviceContext(Device);

    UNREFERENCED_PARAMETER(ResourcesTranslated);
    if (devExt->Regs != NULL)
        MmUnmapIoSpace(devExt->Regs, devExt->RegsLength);
    devExt->Regs = NULL;
    /* the enablers, their transactions and common buffers go with the device */
    return STATUS_SUCCESS;
}

static NTSTATUS Pci9656EvtD0Entry(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState)
{
    PDEVICE_EXTENSION devExt = Pci9656GetDeviceContext(Device);

    UNREFERENCED_PARAMETER(PreviousState);
    /* the upper PCI address bits come from each descriptor (DAC_CHAIN_LOAD), not from here */
    RegWrite(devExt, PCI9656_DMADAC0, 0);
    RegWrite(devExt, PCI9656_DMADAC1, 0);
    return STATUS_SUCCESS;
}

static NTSTATUS Pci9656EvtD0Exit(WDFDEVICE Device, WDF_POWER_DEVICE_STATE TargetState)
{
    PDEVICE_EXTENSION devExt = Pci9656GetDeviceContext(Device);
    ULONG cntrl;

    UNREFERENCED_PARAMETER(TargetState);
    /* a soft reset stops both channels */
    cntrl = RegRead(devExt, PCI9656_CNTRL);
    RegWrite(devExt, PCI9656_CNTRL, cntrl | PCI9656_CNTRL_SOFTWARE_RESET);
    RegWrite(devExt, PCI9656_CNTRL, cntrl & ~PCI9656_CNTRL_SOFTWARE_RESET);
    return STATUS_SUCCESS;
}

static NTSTATUS Pci9656EvtInterruptEnable(WDFINTERRUPT Interrupt, WDFDEVICE Device)
{
    PDEVICE_EXTENSION devExt = Pci9656GetDeviceContext(Device);

    UNREFERENCED_PARAMETER(Interrupt);
    RegWrite(devExt, PCI9656_INTCSR,
             RegRead(devExt, PCI9656_INTCSR) | PCI9656_INTCSR_PCI_INT_ENABLE);
    return STATUS_SUCCESS;
}

static NTSTATUS Pci9656EvtInterruptDisable(WDFINTERRUPT Interrupt, WDFDEVICE Device)
{
    PDEVICE_EXTENSION devExt = Pci9656GetDeviceContext(Device);

    UNREFERENCED_PARAMETER(Interrupt);
    RegWrite(devExt, PCI9656_INTCSR,
             RegRead(devExt, PCI9656_INTCSR) & ~PCI9656_INTCSR_PCI_INT_ENABLE);
    return STATUS_SUCCESS;
}

/* ---- requests -------------------------------------------------------------------------- */
static VOID StartRequest(PDEVICE_EXTENSION DevExt, PDMA_CHANNEL Channel, WDFREQUEST Request,
                         size_t Length, WDF_DMA_DIRECTION Direction)
{
    NTSTATUS status;

    if (Length == 0 || Length > DevExt->MaxTransfer) {
        WdfRequestComplete(Request, STATUS_INVALID_BUFFER_SIZE);
        return;
    }
    status = WdfDmaTransactionInitializeUsingRequest(Channel->Transaction, Request,
                                                     Pci9656EvtProgramDma, Direction);
    if (NT_SUCCESS(status)) {
        status = WdfDmaTransactionExecute(Channel->Transaction, DevExt);
        if (!NT_SUCCESS(status))
            WdfDmaTransactionRelease(Channel->Transaction);
    }
    if (!NT_SUCCESS(status))
        WdfRequestComplete(Request, status);
}

static VOID Pci9656EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PDEVICE_EXTENSION devExt = Pci9656GetDeviceContext(WdfIoQueueGetDevice(Queue));

    StartRequest(devExt, &devExt->Write, Request, Length, WdfDmaDirectionWriteToDevice);
}

static VOID Pci9656EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PDEVICE_EXTENSION devExt = Pci9656GetDeviceContext(WdfIoQueueGetDevice(Queue));

    StartRequest(devExt, &devExt->Read, Request, Length, WdfDmaDirectionReadFromDevice);
}

/* One stage: its scatter/gather list as a descriptor chain, and the channel started. */
static BOOLEAN Pci9656EvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device,
                                    WDFCONTEXT Context, WDF_DMA_DIRECTION Direction,
                                    PSCATTER_GATHER_LIST SgList)
{
    PDEVICE_EXTENSION devExt = Context;
    BOOLEAN toDevice = Direction == WdfDmaDirectionWriteToDevice;
    PDMA_CHANNEL channel = toDevice ? &devExt->Write : &devExt->Read;
    ULONG local = (ULONG)WdfDmaTransactionGetBytesTransferred(Transaction);
    ULONG mode;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Device);
    if (SgList->NumberOfElements > DTE_COUNT) { /* the enabler's limit keeps this away */
        WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &status);
        return FALSE;
    }
    for (ULONG i = 0; i < SgList->NumberOfElements; i++) {
        PULONG dte = (PULONG)(channel->RingVa + i * PCI9656_DESC_BYTES);
        ULONG next = channel->RingLa + (i + 1) * PCI9656_DESC_BYTES;
        dte[PCI9656_DESC_PCI_LOW / 4] = SgList->Elements[i].Address.LowPart;
        dte[PCI9656_DESC_LOCAL / 4] = local;
        dte[PCI9656_DESC_COUNT / 4] = SgList->Elements[i].Length;
        dte[PCI9656_DESC_NEXT / 4] = (next & PCI9656_DPR_ADDRESS_MASK) | PCI9656_DPR_PCI_MEMORY |
                                     (i + 1 == SgList->NumberOfElements ? PCI9656_DPR_END_OF_CHAIN
                                                                        : 0) |
                                     (toDevice ? 0 : PCI9656_DPR_LOCAL_TO_PCI);
        dte[PCI9656_DESC_PCI_HIGH / 4] = (ULONG)SgList->Elements[i].Address.HighPart;
        local += SgList->Elements[i].Length;
    }
    WdfInterruptAcquireLock(devExt->Interrupt);
    mode = PCI9656_DMAMODE_SG_MODE | PCI9656_DMAMODE_DONE_INT_ENABLE |
           PCI9656_DMAMODE_INT_TO_PCI | PCI9656_DMAMODE_DAC_CHAIN_LOAD;
    if (!toDevice) /* a read's residue is what the channel left in the counts */
        mode |= PCI9656_DMAMODE_CLEAR_COUNT;
    RegWrite(devExt, channel->ModeRegister, RegRead(devExt, channel->ModeRegister) | mode);
    RegWrite(devExt, PCI9656_INTCSR, RegRead(devExt, PCI9656_INTCSR) |
                                         PCI9656_INTCSR_PCI_INT_ENABLE | channel->IntEnable);
    RegWrite(devExt, channel->DprRegister, (channel->RingLa & PCI9656_DPR_ADDRESS_MASK) |
                                               PCI9656_DPR_PCI_MEMORY |
                                               PCI9656_DPR_TERMINAL_COUNT_INT);
    WRITE_REGISTER_UCHAR(devExt->Regs + channel->CsrRegister,
                         (UCHAR)(READ_REGISTER_UCHAR(devExt->Regs + channel->CsrRegister) |
                                 PCI9656_DMACSR_ENABLE | PCI9656_DMACSR_START));
    WdfInterruptReleaseLock(devExt->Interrupt);
    return TRUE;
}

/* ---- completion ------------------------------------------------------------------------ */
static BOOLEAN Pci9656EvtInterruptIsr(WDFINTERRUPT Interrupt, ULONG MessageID)
{
    PDEVICE_EXTENSION devExt = Pci9656GetDeviceContext(WdfInterruptGetDevice(Interrupt));
    ULONG intcsr = RegRead(devExt, PCI9656_INTCSR);
    BOOLEAN claimed = FALSE;
    PDMA_CHANNEL channels[2] = {&devExt->Write, &devExt->Read};

    UNREFERENCED_PARAMETER(MessageID);
    for (int i = 0; i < 2; i++) {
        PDMA_CHANNEL ch = channels[i];
        if (!(intcsr & ch->IntActive))
            continue;
        WRITE_REGISTER_UCHAR(devExt->Regs + ch->CsrRegister,
                             (UCHAR)(READ_REGISTER_UCHAR(devExt->Regs + ch->CsrRegister) |
                                     PCI9656_DMACSR_CLEAR_INT));
        if (i == 0)
            devExt->WriteDone = TRUE;
        else
            devExt->ReadDone = TRUE;
        claimed = TRUE;
    }
    if (claimed)
        WdfInterruptQueueDpcForIsr(Interrupt);
    return claimed;
}

static VOID CompleteRequest(PDMA_CHANNEL Channel, NTSTATUS Status)
{
    WDFREQUEST request = WdfDmaTransactionGetRequest(Channel->Transaction);
    size_t bytes = WdfDmaTransactionGetBytesTransferred(Channel->Transaction);

    WdfDmaTransactionRelease(Channel->Transaction);
    WdfRequestCompleteWithInformation(request, Status, NT_SUCCESS(Status) ? bytes : 0);
}

static VOID Pci9656EvtInterruptDpc(WDFINTERRUPT Interrupt, WDFOBJECT AssociatedObject)
{
    PDEVICE_EXTENSION devExt = Pci9656GetDeviceContext(AssociatedObject);
    BOOLEAN writeDone, readDone;
    NTSTATUS status;

    WdfInterruptAcquireLock(Interrupt);
    writeDone = devExt->WriteDone;
    readDone = devExt->ReadDone;
    devExt->WriteDone = devExt->ReadDone = FALSE;
    WdfInterruptReleaseLock(Interrupt);

    if (writeDone && WdfDmaTransactionDmaCompleted(devExt->Write.Transaction, &status))
        CompleteRequest(&devExt->Write, status);
    if (readDone) {
        /* what the channel moved: the stage less the counts it did not clear */
        size_t length = WdfDmaTransactionGetCurrentDmaTransferLength(devExt->Read.Transaction);
        for (ULONG i = 0; i < DTE_COUNT; i++) {
            PULONG dte = (PULONG)(devExt->Read.RingVa + i * PCI9656_DESC_BYTES);
            length -= dte[PCI9656_DESC_COUNT / 4] <= length ? dte[PCI9656_DESC_COUNT / 4] : length;
            if (dte[PCI9656_DESC_NEXT / 4] & PCI9656_DPR_END_OF_CHAIN)
                break;
        }
        if (WdfDmaTransactionDmaCompletedWithLength(devExt->Read.Transaction, length, &status))
            CompleteRequest(&devExt->Read, status);
    }
}
