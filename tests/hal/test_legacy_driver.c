/*
 * test_legacy_driver.c - a whole legacy (non-PnP) WDM driver run as the I/O manager runs one:
 * DriverEntry creates a named device and a symbolic link; an application opens the link and
 * sends an IOCTL; the dispatch routine does a version-3 system-DMA write to a FIFO on a SoC
 * request line, waiting at PASSIVE_LEVEL for AllocateAdapterChannelEx's callback and for the
 * DmaCompletionRoutine, as Microsoft's SystemDma sample does. The driver below is dmasim's
 * own, written from the routines' documentation; the device model is the test's.
 */
#include <string.h>

#include "helpers.h"

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
    ck_assert_int_eq(KeGetCurrentIrql(), DISPATCH_LEVEL);
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

static const WCHAR device_name[] = {'\\', 'D', 'e', 'v', 'i', 'c', 'e', '\\', 'L', 'S', 'D', 0};
static const WCHAR link_name[] = {'\\', 'D', 'o', 's', 'D', 'e', 'v', 'i', 'c', 'e', 's', '\\',
                                  'L', 'S', 'D', 0};
static int unloaded;

static VOID LegacyUnload(PDRIVER_OBJECT DriverObject)
{
    UNICODE_STRING link;

    RtlInitUnicodeString(&link, link_name);
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(DriverObject->DeviceObject);
    unloaded++;
}

static NTSTATUS LegacyDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
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

/* ---- the test ---------------------------------------------------------------------------- */

static int ioctl_done;
static NTSTATUS ioctl_status;

static void on_ioctl(void *ctx, NTSTATUS status, ULONG_PTR information)
{
    (void)ctx;
    (void)information;
    ioctl_done++;
    ioctl_status = status;
}

START_TEST(test_legacy_ioctl_system_dma)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDRIVER_OBJECT drv;
    PFILE_OBJECT f;
    NTSTATUS status;
    UCHAR fill = 0xDA, fifo[SDMA_BYTES + 64];
    uint32_t got = 0;
    uint64_t frames[2];
    struct dms_request r = {.major = IRP_MJ_DEVICE_CONTROL, .ioctl = IOCTL_LEGACY_WRITE,
                            .in = &fill, .in_length = 1};

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 64 * GIB;
    cfg.soc_dma_channels = 2;
    cfg.soc_dma_request_lines = SDMA_LINE + 1;
    m = machine_with(&cfg);
    ioctl_done = unloaded = 0;
    ck_assert_int_eq(dms_driver_load(m, "lsd", LegacyDriverEntry, &drv), STATUS_SUCCESS);
    f = dms_file_open(m, "\\\\.\\LSD", &status);
    ck_assert_ptr_nonnull(f);
    r.file = f;
    for (int round = 0; round < 2; round++) {
        fill = round == 0 ? 0xDA : 0x5E;
        ioctl_done = 0;
        got = 0;
        /* the dispatch routine waits for the device: not done when the send returns */
        ck_assert_int_eq(dms_irp_send(f->DeviceObject, &r, on_ioctl, NULL), STATUS_PENDING);
        ck_assert_int_eq(ioctl_done, 0);
        /* the FIFO asserts its request line until the channel has nothing more to move */
        for (int i = 0; i < 64 && ioctl_done == 0; i++) {
            uint32_t moved = 0;
            int tc = 0;
            ck_assert_int_eq(dms_sysdma_request_line(m, SDMA_LINE, SDMA_FIFO, fifo + got, 1024,
                                                     1, &moved, &tc), 0);
            got += moved;
            dms_machine_run_pending(m);
        }
        ck_assert_int_eq(ioctl_done, 1);
        ck_assert_int_eq(ioctl_status, STATUS_SUCCESS);
        ck_assert_uint_eq(got, SDMA_BYTES);
        for (uint32_t i = 0; i < got; i++)
            ck_assert_uint_eq(fifo[i], fill);
        /* what the request allocated went back: the second leaves what the first left */
        frames[round] = dms_machine_frames_in_use(m);
    }
    ck_assert_uint_eq(frames[0], frames[1]);
    /* a line no channel serves moves nothing; a line the controller lacks is refused */
    ck_assert_int_eq(dms_sysdma_request_line(m, 3, SDMA_FIFO, fifo, 4, 1, &got, NULL), 0);
    ck_assert_uint_eq(got, 0);
    ck_assert_int_eq(dms_sysdma_request_line(m, SDMA_LINE + 1, 0, fifo, 4, 1, &got, NULL),
                     DMS_EINVAL);
    ck_assert_int_eq(dms_file_close(f), STATUS_SUCCESS);
    dms_driver_unload(drv);
    ck_assert_int_eq(unloaded, 1);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

static Suite *legacy_suite(void)
{
    Suite *s = suite_create("hal/legacy_driver");
    TCase *tc = tcase_create("legacy_driver");

    tcase_add_test(tc, test_legacy_ioctl_system_dma);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(legacy_suite);
}
