/*
 * uart_kmdf.c - dmasim's KMDF driver for the SoC UART card (docs/hardware/uart.md), written
 * from the KMDF documentation ("Supporting System-Mode DMA") and the card's datasheet: the
 * same hardware as uart_wdm.c, through the framework's system profile instead of the HAL's
 * version-3 routines.
 *
 *   EvtDriverDeviceAdd       direct I/O, PnP/power callbacks, the device (its context, the
 *                            device synchronisation scope), a sequential default queue (the one
 *                            channel moves one request at a time)
 *   EvtDevicePrepareHardware the registers mapped; the DMA enabler (WdfDmaProfileSystem)
 *                            configured with the card's DMA resource (its request line), the
 *                            FIFO's bus address and its width, in demand mode; a transaction
 *   EvtIoRead / EvtIoWrite   the transaction initialised from the request, its device offset
 *                            the transmit or receive data register, its transfer-complete
 *                            callback set, executed
 *   EvtProgramDma            the card told to assert its request line for the direction
 *   EvtDmaTransactionDmaTransferComplete
 *                            the controller finished a stage: DmaCompleted (the framework maps
 *                            the next), or DmaCompletedFinal when the controller cancelled it
 *                            or the card saw a line error; at the end, the request completed
 *                            with its bytes and the request line released
 */
#include "dmasim/wdf.h"

#include "uart_hw.h"

/* the entry: DriverEntry's role, under this name in dmasim (uart_card.h) */
DRIVER_INITIALIZE UartKmdfDriverEntry;

#define UART_PRIVATE_MAX_TRANSFER 1 /* DevicePrivate Data[1], docs/hardware/uart.md */

typedef struct _UART_DEVICE {
    WDFDEVICE Device;
    WDFDMAENABLER DmaEnabler;
    WDFDMATRANSACTION Transaction;
    PUCHAR Registers;
    PHYSICAL_ADDRESS RegistersBus;
    ULONG MaxTransfer;
} UART_DEVICE, *PUART_DEVICE;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(UART_DEVICE, UartGetDevice)

static EVT_WDF_DRIVER_DEVICE_ADD UartEvtDeviceAdd;
static EVT_WDF_DEVICE_PREPARE_HARDWARE UartEvtPrepareHardware;
static EVT_WDF_DEVICE_RELEASE_HARDWARE UartEvtReleaseHardware;
static EVT_WDF_DEVICE_D0_ENTRY UartEvtD0Entry;
static EVT_WDF_IO_QUEUE_IO_READ UartEvtIoRead;
static EVT_WDF_IO_QUEUE_IO_WRITE UartEvtIoWrite;
static EVT_WDF_PROGRAM_DMA UartEvtProgramDma;
static EVT_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE UartEvtDmaTransferComplete;

static ULONG RegRead(PUART_DEVICE Uart, ULONG Offset)
{
    return READ_REGISTER_ULONG((PULONG)(Uart->Registers + Offset));
}

static VOID RegWrite(PUART_DEVICE Uart, ULONG Offset, ULONG Value)
{
    WRITE_REGISTER_ULONG((PULONG)(Uart->Registers + Offset), Value);
}

NTSTATUS UartKmdfDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;

    WDF_DRIVER_CONFIG_INIT(&config, UartEvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config,
                           WDF_NO_HANDLE);
}

static NTSTATUS UartEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDFDEVICE device;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Driver);
    WdfDeviceInitSetDeviceType(DeviceInit, FILE_DEVICE_SERIAL_PORT);
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = UartEvtPrepareHardware;
    pnp.EvtDeviceReleaseHardware = UartEvtReleaseHardware;
    pnp.EvtDeviceD0Entry = UartEvtD0Entry;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, UART_DEVICE);
    attributes.SynchronizationScope = WdfSynchronizationScopeDevice;
    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;
    UartGetDevice(device)->Device = device;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchSequential);
    queueConfig.EvtIoRead = UartEvtIoRead;
    queueConfig.EvtIoWrite = UartEvtIoWrite;
    return WdfIoQueueCreate(device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, WDF_NO_HANDLE);
}

static NTSTATUS UartEvtPrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw,
                                       WDFCMRESLIST ResourcesTranslated)
{
    PUART_DEVICE uart = UartGetDevice(Device);
    PCM_PARTIAL_RESOURCE_DESCRIPTOR dma = NULL;
    WDF_DMA_ENABLER_CONFIG dmaConfig;
    WDF_DMA_SYSTEM_PROFILE_CONFIG profile;
    DMA_ADAPTER_INFO info;
    PDMA_ADAPTER adapter;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(ResourcesRaw);
    uart->MaxTransfer = 4096;
    for (ULONG i = 0; i < WdfCmResourceListGetCount(ResourcesTranslated); i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR desc =
            WdfCmResourceListGetDescriptor(ResourcesTranslated, i);
        if (desc->Type == CmResourceTypeMemory && desc->u.Memory.Length >= UART_BAR_BYTES &&
            uart->Registers == NULL) {
            uart->RegistersBus = desc->u.Memory.Start;
            uart->Registers = MmMapIoSpace(desc->u.Memory.Start, UART_BAR_BYTES, MmNonCached);
        } else if (desc->Type == CmResourceTypeDma && dma == NULL) {
            dma = desc;
        } else if (desc->Type == CmResourceTypeDevicePrivate &&
                   desc->u.DevicePrivate.Data[UART_PRIVATE_MAX_TRANSFER] != 0) {
            uart->MaxTransfer = desc->u.DevicePrivate.Data[UART_PRIVATE_MAX_TRANSFER];
        }
    }
    if (uart->Registers == NULL || dma == NULL || RegRead(uart, UART_REG_ID) != UART_ID)
        return STATUS_DEVICE_CONFIGURATION_ERROR;

    /* system-mode DMA: the controller's channel on the card's request line, to or from the
     * FIFO's byte-wide data registers (each transaction's device offset picks which) */
    WDF_DMA_ENABLER_CONFIG_INIT(&dmaConfig, WdfDmaProfileSystem, uart->MaxTransfer);
    status = WdfDmaEnablerCreate(Device, &dmaConfig, WDF_NO_OBJECT_ATTRIBUTES,
                                 &uart->DmaEnabler);
    if (!NT_SUCCESS(status))
        return status;
    WDF_DMA_SYSTEM_PROFILE_CONFIG_INIT(&profile, uart->RegistersBus, Width8Bits, dma);
    profile.DemandMode = TRUE; /* EvtProgramDma asserts the request line */
    status = WdfDmaEnablerConfigureSystemProfile(uart->DmaEnabler, &profile,
                                                 WdfDmaDirectionWriteToDevice);
    if (!NT_SUCCESS(status))
        return status;
    /* the 8237 would take a subordinate device too, but raises no completion interrupt */
    adapter = WdfDmaEnablerWdmGetDmaAdapter(uart->DmaEnabler, WdfDmaDirectionWriteToDevice);
    RtlZeroMemory(&info, sizeof(info));
    info.Version = DMA_ADAPTER_INFO_VERSION1;
    if (!NT_SUCCESS(adapter->DmaOperations->GetDmaAdapterInfo(adapter, &info)) ||
        info.V1.ScatterGatherLimit < 2)
        return STATUS_NOT_SUPPORTED;
    return WdfDmaTransactionCreate(uart->DmaEnabler, WDF_NO_OBJECT_ATTRIBUTES,
                                   &uart->Transaction);
}

static NTSTATUS UartEvtReleaseHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesTranslated)
{
    PUART_DEVICE uart = UartGetDevice(Device);

    UNREFERENCED_PARAMETER(ResourcesTranslated);
    if (uart->Registers != NULL)
        MmUnmapIoSpace(uart->Registers, UART_BAR_BYTES);
    uart->Registers = NULL;
    /* the enabler and its transaction go with the device */
    return STATUS_SUCCESS;
}

static NTSTATUS UartEvtD0Entry(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState)
{
    UNREFERENCED_PARAMETER(PreviousState);
    /* demand mode: no request line until a transfer is programmed */
    RegWrite(UartGetDevice(Device), UART_REG_CONTROL, 0);
    return STATUS_SUCCESS;
}

/* ---- requests -------------------------------------------------------------------------- */
static VOID StartRequest(PUART_DEVICE Uart, WDFREQUEST Request, WDF_DMA_DIRECTION Direction)
{
    WDFDMATRANSACTION tx = Uart->Transaction;
    NTSTATUS status;

    status = WdfDmaTransactionInitializeUsingRequest(tx, Request, UartEvtProgramDma, Direction);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    WdfDmaTransactionSetDeviceAddressOffset(
        tx, Direction == WdfDmaDirectionWriteToDevice ? UART_REG_TX_FIFO : UART_REG_RX_FIFO);
    WdfDmaTransactionSetTransferCompleteCallback(tx, UartEvtDmaTransferComplete, Uart);
    status = WdfDmaTransactionExecute(tx, Uart);
    if (!NT_SUCCESS(status)) {
        WdfDmaTransactionRelease(tx);
        WdfRequestComplete(Request, status);
    }
}

static VOID UartEvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Length);
    StartRequest(UartGetDevice(WdfIoQueueGetDevice(Queue)), Request,
                 WdfDmaDirectionReadFromDevice);
}

static VOID UartEvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Length);
    StartRequest(UartGetDevice(WdfIoQueueGetDevice(Queue)), Request,
                 WdfDmaDirectionWriteToDevice);
}

/* A stage is mapped to the data register: the card asserts its request line for it. */
static BOOLEAN UartEvtProgramDma(WDFDMATRANSACTION Transaction, WDFDEVICE Device,
                                 WDFCONTEXT Context, WDF_DMA_DIRECTION Direction,
                                 PSCATTER_GATHER_LIST SgList)
{
    PUART_DEVICE uart = Context;

    UNREFERENCED_PARAMETER(Transaction);
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(SgList);
    RegWrite(uart, UART_REG_CONTROL, Direction == WdfDmaDirectionWriteToDevice
                                         ? UART_CONTROL_TX_DMA
                                         : UART_CONTROL_RX_DMA);
    return TRUE;
}

/* ---- completion ------------------------------------------------------------------------ */
static VOID UartEvtDmaTransferComplete(WDFDMATRANSACTION Transaction, WDFDEVICE Device,
                                       WDFCONTEXT Context, WDF_DMA_DIRECTION Direction,
                                       DMA_COMPLETION_STATUS Status)
{
    PUART_DEVICE uart = Context;
    NTSTATUS status, failure = STATUS_SUCCESS;
    WDFREQUEST request;
    size_t bytes;
    BOOLEAN done;

    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Direction);
    /* a line error while the stage moved fails the request (reading STATUS clears it) */
    if (Status != DmaComplete)
        failure = STATUS_CANCELLED;
    else if (RegRead(uart, UART_REG_STATUS) & UART_STATUS_LINE_ERROR)
        failure = STATUS_IO_DEVICE_ERROR;
    if (NT_SUCCESS(failure))
        done = WdfDmaTransactionDmaCompleted(Transaction, &status);
    else /* the stage's bytes do not count: the transaction ends with those before it */
        done = WdfDmaTransactionDmaCompletedFinal(Transaction, 0, &status);
    if (!done)
        return; /* the framework mapped the next stage and programmed it */
    RegWrite(uart, UART_REG_CONTROL, 0);
    if (!NT_SUCCESS(failure))
        status = failure;
    request = WdfDmaTransactionGetRequest(Transaction);
    bytes = WdfDmaTransactionGetBytesTransferred(Transaction);
    WdfDmaTransactionRelease(Transaction);
    WdfRequestCompleteWithInformation(request, status, NT_SUCCESS(status) ? bytes : 0);
}
