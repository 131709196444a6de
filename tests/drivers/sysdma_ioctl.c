/*
 * sysdma_ioctl.c - a legacy (non-PnP) WDM driver whose IOCTL does a version-3 system-DMA
 * write, the way Microsoft's SystemDma sample does, written for dmasim from the routines'
 * documentation: DriverEntry creates a named device and a symbolic link; IOCTL_LEGACY_WRITE
 * gets an adapter for SoC request line 0x1000 (no PDO: the request line finds the device),
 * waits at PASSIVE_LEVEL for AllocateAdapterChannelEx's callback, fills pages from
 * MmAllocatePagesForMdlEx with the IOCTL's first input byte, and MapTransferEx-es them to the
 * FIFO at bus address 0x70006200, waiting for the DmaCompletionRoutine.
 *
 * Built two ways: out of the tree against the installed package and loaded by
 * docs/examples/systemdma.ini (tests/drivers/out_of_tree.sh), and into
 * tests/hal/test_legacy_driver.c, which includes this file.
 */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;

#define SDMA_LINE 0x1000
#define SDMA_FIFO 0x70006200u
#define SDMA_BYTES (2 * PAGE_SIZE)
#define IOCTL_LEGACY_WRITE CTL_CODE(0x9C40, 0x902, METHOD_BUFFERED, FILE_ANY_ACCESS)

typedef struct _WRITE_CONTEXT {
    PVOID MapRegisterBase;
    KEVENT Granted;
    KEVENT Done;
    DMA_COMPLETION_STATUS Status;
} WRITE_CONTEXT;

static IO_ALLOCATION_ACTION LegacyAdapterControl(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                                 PVOID MapRegisterBase, PVOID Context)
{
    WRITE_CONTEXT *wc = Context;

    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    wc->MapRegisterBase = MapRegisterBase;
    KeSetEvent(&wc->Granted, IO_NO_INCREMENT, FALSE);
    return KeepObject; /* system DMA: the channel stays with the transfer */
}

static VOID LegacyDmaDone(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PVOID Context,
                          DMA_COMPLETION_STATUS Status)
{
    WRITE_CONTEXT *wc = Context;

    UNREFERENCED_PARAMETER(DmaAdapter);
    UNREFERENCED_PARAMETER(DeviceObject);
    ASSERT(KeGetCurrentIrql() == DISPATCH_LEVEL);
    wc->Status = Status;
    KeSetEvent(&wc->Done, IO_NO_INCREMENT, FALSE);
}

static NTSTATUS LegacyWrite(PDEVICE_OBJECT DeviceObject, UCHAR Fill)
{
    DEVICE_DESCRIPTION dd;
    ULONG nregs = 0, length = SDMA_BYTES;
    UCHAR context[DMA_TRANSFER_CONTEXT_SIZE_V1];
    PHYSICAL_ADDRESS low = {.QuadPart = 0}, high = {.QuadPart = -1}, skip = {.QuadPart = 0};
    WRITE_CONTEXT wc;
    PDMA_ADAPTER adapter;
    NTSTATUS status;
    PMDL mdl;
    PUCHAR va;
    KIRQL irql;

    RtlZeroMemory(&dd, sizeof(dd));
    dd.Version = DEVICE_DESCRIPTION_VERSION3;
    dd.Master = FALSE;
    dd.ScatterGather = TRUE;
    dd.DmaRequestLine = SDMA_LINE;
    dd.DmaChannel = SDMA_LINE;
    dd.InterfaceType = ACPIBus;
    dd.DmaAddressWidth = 32;
    dd.MaximumLength = SDMA_BYTES;
    adapter = IoGetDmaAdapter(NULL, &dd, &nregs);
    if (adapter == NULL)
        return STATUS_NO_MATCH;
    KeInitializeEvent(&wc.Granted, NotificationEvent, FALSE);
    KeInitializeEvent(&wc.Done, NotificationEvent, FALSE);
    adapter->DmaOperations->InitializeDmaTransferContext(adapter, context);
    KeRaiseIrql(DISPATCH_LEVEL, &irql);
    status = adapter->DmaOperations->AllocateAdapterChannelEx(
        adapter, DeviceObject, context, nregs, 0, LegacyAdapterControl, &wc, NULL);
    KeLowerIrql(irql);
    if (!NT_SUCCESS(status))
        goto out;
    KeWaitForSingleObject(&wc.Granted, Executive, KernelMode, FALSE, NULL);
    mdl = MmAllocatePagesForMdlEx(low, high, skip, SDMA_BYTES, MmCached, 0);
    va = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, HighPagePriority);
    RtlFillMemory(va, SDMA_BYTES, Fill);
    status = adapter->DmaOperations->MapTransferEx(adapter, mdl, wc.MapRegisterBase, 0,
                                                   SDMA_FIFO, &length, TRUE, NULL, 0,
                                                   LegacyDmaDone, &wc);
    if (NT_SUCCESS(status))
        KeWaitForSingleObject(&wc.Done, Executive, KernelMode, FALSE, NULL);
    adapter->DmaOperations->FlushAdapterBuffersEx(adapter, mdl, wc.MapRegisterBase, 0, length,
                                                  TRUE);
    MmUnmapLockedPages(va, mdl);
    MmFreePagesFromMdl(mdl);
    ExFreePool(mdl);
    KeRaiseIrql(DISPATCH_LEVEL, &irql);
    adapter->DmaOperations->FreeAdapterChannel(adapter);
    KeLowerIrql(irql);
    if (NT_SUCCESS(status) && wc.Status != DmaComplete)
        status = STATUS_IO_DEVICE_ERROR;
out:
    adapter->DmaOperations->PutDmaAdapter(adapter);
    return status;
}

static NTSTATUS LegacyCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    PAGED_CODE();
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS LegacyDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;

    PAGED_CODE();
    if (sp->Parameters.DeviceIoControl.IoControlCode == IOCTL_LEGACY_WRITE &&
        sp->Parameters.DeviceIoControl.InputBufferLength >= 1)
        status = LegacyWrite(DeviceObject, *(PUCHAR)Irp->AssociatedIrp.SystemBuffer);
    Irp->IoStatus.Status = status;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

static const WCHAR device_name[] = {'\\', 'D', 'e', 'v', 'i', 'c', 'e', '\\', 'S', 'y', 's',
                                    'D', 'm', 'a', 0};
static const WCHAR link_name[] = {'\\', 'D', 'o', 's', 'D', 'e', 'v', 'i', 'c', 'e', 's', '\\',
                                  'D', 'm', 'a', 'T', 'e', 's', 't', 0};

static VOID LegacyUnload(PDRIVER_OBJECT DriverObject)
{
    UNICODE_STRING link;

    RtlInitUnicodeString(&link, link_name);
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(DriverObject->DeviceObject);
    DbgPrint("sysdma_ioctl: unloaded\n");
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name, link;
    PDEVICE_OBJECT device;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    RtlInitUnicodeString(&name, device_name);
    status = IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN,
                            FALSE, &device);
    if (!NT_SUCCESS(status))
        return status;
    DriverObject->MajorFunction[IRP_MJ_CREATE] = LegacyCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = LegacyCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = LegacyDeviceControl;
    DriverObject->DriverUnload = LegacyUnload;
    RtlInitUnicodeString(&link, link_name);
    status = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(status))
        IoDeleteDevice(device);
    device->Flags &= ~DO_DEVICE_INITIALIZING;
    return status;
}

