/*
 * test_iomgr.c - the I/O manager: driver and device objects, device stacks, IRPs and the
 * completion walk, the dispatch rules, StartIo, cancel, PnP start with resources, buffered
 * and direct requests, opening a device by its symbolic link.
 */
#include <string.h>

#include "helpers.h"

/* ---- a two-driver stack: a filter with a completion routine over a function driver ------- */

static int order[8], n_order;
static PDEVICE_OBJECT seen_by_completion;
static NTSTATUS completion_result;

static NTSTATUS upper_completion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    order[n_order++] = (int)(uintptr_t)Context;
    seen_by_completion = DeviceObject;
    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    return completion_result;
}

static PDEVICE_OBJECT lower_of_filter;

static NTSTATUS filter_dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    order[n_order++] = 1;
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, upper_completion, (PVOID)(uintptr_t)9, TRUE, TRUE, TRUE);
    return IoCallDriver(lower_of_filter, Irp);
}

static NTSTATUS function_dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);

    (void)DeviceObject;
    order[n_order++] = 2;
    ck_assert_uint_eq(sp->MajorFunction, IRP_MJ_READ);
    ck_assert_uint_eq(sp->Parameters.Read.Length, 512);
    ck_assert_int_eq(sp->Parameters.Read.ByteOffset.QuadPart, 4096);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 512;
    IoCompleteRequest(Irp, IO_DISK_INCREMENT);
    return STATUS_SUCCESS;
}

static PDEVICE_OBJECT filter_dev, function_dev;

static NTSTATUS function_entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)RegistryPath;
    DriverObject->MajorFunction[IRP_MJ_READ] = function_dispatch;
    return IoCreateDevice(DriverObject, 64, NULL, FILE_DEVICE_DISK, 0, FALSE, &function_dev);
}

static NTSTATUS filter_entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)RegistryPath;
    DriverObject->MajorFunction[IRP_MJ_READ] = filter_dispatch;
    return IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_DISK, 0, FALSE, &filter_dev);
}

static int done_calls;
static NTSTATUS done_status;
static ULONG_PTR done_info;

static void on_done(void *ctx, NTSTATUS status, ULONG_PTR information)
{
    (void)ctx;
    done_calls++;
    done_status = status;
    done_info = information;
}

static struct dms_machine *stack_machine(void)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDRIVER_OBJECT f, g;

    ck_assert_int_eq(dms_driver_load(m, "fn", function_entry, &f), STATUS_SUCCESS);
    ck_assert_int_eq(dms_driver_load(m, "filter", filter_entry, &g), STATUS_SUCCESS);
    lower_of_filter = IoAttachDeviceToDeviceStack(filter_dev, function_dev);
    ck_assert_ptr_eq(lower_of_filter, function_dev);
    ck_assert_int_eq(filter_dev->StackSize, 2);
    n_order = 0;
    done_calls = 0;
    return m;
}

START_TEST(test_completion_walk)
{
    struct dms_machine *m = stack_machine();
    uint8_t buf[512];
    struct dms_request r = {.major = IRP_MJ_READ, .buffer = buf, .length = 512, .offset = 4096};

    completion_result = STATUS_SUCCESS;
    ck_assert_int_eq(dms_irp_send(function_dev, &r, on_done, NULL), STATUS_SUCCESS);
    /* down through the filter, up through its completion routine with its own device */
    ck_assert_int_eq(n_order, 3);
    ck_assert_int_eq(order[0], 1);
    ck_assert_int_eq(order[1], 2);
    ck_assert_int_eq(order[2], 9);
    ck_assert_ptr_eq(seen_by_completion, filter_dev);
    ck_assert_int_eq(done_calls, 1);
    ck_assert_int_eq(done_info, 512);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

START_TEST(test_more_processing_stops_the_walk)
{
    struct dms_machine *m = stack_machine();
    uint8_t buf[512];
    struct dms_request r = {.major = IRP_MJ_READ, .buffer = buf, .length = 512, .offset = 4096};

    /* The filter keeps the IRP: the requester hears nothing until it completes it again. */
    completion_result = STATUS_MORE_PROCESSING_REQUIRED;
    dms_irp_send(function_dev, &r, on_done, NULL);
    ck_assert_int_eq(done_calls, 0);
    machine_done(m);
}
END_TEST

/* ---- dispatch rules ---------------------------------------------------------------------- */

static int rule;
static PIRP held_irp;

static NTSTATUS rules_dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    switch (rule) {
    case 0: /* pending without the mark */
        held_irp = Irp;
        return STATUS_PENDING;
    case 1: /* neither completed nor pending */
        held_irp = Irp;
        return STATUS_SUCCESS;
    case 2: /* completed twice */
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
    case 3: /* marked pending, returned success */
        IoMarkIrpPending(Irp);
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
    default: /* completed with STATUS_PENDING */
        Irp->IoStatus.Status = STATUS_PENDING;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_PENDING;
    }
}

static PDEVICE_OBJECT rules_dev;

static NTSTATUS rules_entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)RegistryPath;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = rules_dispatch;
    return IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &rules_dev);
}

START_TEST(test_dispatch_rules)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDRIVER_OBJECT drv;
    struct dms_request r = {.major = IRP_MJ_WRITE};

    ck_assert_int_eq(dms_driver_load(m, "rules", rules_entry, &drv), STATUS_SUCCESS);
    rule = _i;
    done_calls = 0;
    dms_irp_send(rules_dev, &r, on_done, NULL);
    ck_assert_finding(m, DMS_CHECK_IRP);
    if (_i <= 1) {
        ck_assert_int_eq(done_calls, 0);
        IoCompleteRequest(held_irp, IO_NO_INCREMENT); /* late, but the HAL survives it */
    }
    ck_assert_int_eq(done_calls, 1);
    machine_done(m);
}
END_TEST

START_TEST(test_bad_pointers_are_findings)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    static uint8_t junk[512];

    IoCompleteRequest((PIRP)junk, IO_NO_INCREMENT);
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    ck_assert_int_eq(IoCallDriver((PDEVICE_OBJECT)junk, (PIRP)junk), STATUS_INVALID_PARAMETER);
    IoDeleteDevice((PDEVICE_OBJECT)junk);
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    IoFreeIrp((PIRP)junk);
    ck_assert_finding(m, DMS_CHECK_IRP);
    machine_done(m);
}
END_TEST

START_TEST(test_allocated_irp)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PIRP irp = IoAllocateIrp(3, FALSE);
    PIO_STACK_LOCATION top;

    ck_assert_ptr_nonnull(irp);
    ck_assert_int_eq(irp->StackCount, 3);
    ck_assert_int_eq(irp->CurrentLocation, 4);
    top = IoGetNextIrpStackLocation(irp);
    ck_assert_ptr_eq(top, (PIO_STACK_LOCATION)(irp + 1) + 2);
    IoSetNextIrpStackLocation(irp);
    ck_assert_ptr_eq(IoGetCurrentIrpStackLocation(irp), top);
    IoSkipCurrentIrpStackLocation(irp);
    ck_assert_int_eq(irp->CurrentLocation, 4);
    ck_assert_ptr_null(IoAllocateIrp(0, FALSE));
    IoFreeIrp(irp);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

/* IRP memory is reused, but the object table never answers for a freed IRP: a second free is
 * a finding, as is a free after the memory went to a new IRP and came back; an IRP whose
 * StackCount the driver scribbled over is still freed whole, and stacks deeper than the kept
 * sizes work. */
START_TEST(test_irp_reuse_and_double_free)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PIRP a = IoAllocateIrp(2, FALSE), b, deep;

    ck_assert_ptr_nonnull(a);
    IoFreeIrp(a);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    IoFreeIrp(a);
    ck_assert_finding(m, DMS_CHECK_IRP);
    b = IoAllocateIrp(2, FALSE); /* very likely a's memory again */
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(b->StackCount, 2);
    ck_assert_int_eq(b->CurrentLocation, 3);
    b->StackCount = 30; /* a scribble: the I/O manager keeps its own count */
    IoFreeIrp(b);
    deep = IoAllocateIrp(20, FALSE);
    ck_assert_ptr_nonnull(deep);
    ck_assert_int_eq(deep->StackCount, 20);
    IoFreeIrp(deep);
    IoFreeIrp(deep);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_CHECK_IRP), 2);
    machine_done(m);
}
END_TEST

/* ---- StartIo ----------------------------------------------------------------------------- */

static PIRP started[8];
static int n_started;
static PDEVICE_OBJECT sio_dev;

static VOID sio_start(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    ck_assert_ptr_eq(DeviceObject->CurrentIrp, Irp);
    ck_assert_int_eq(KeGetCurrentIrql(), DISPATCH_LEVEL);
    started[n_started++] = Irp;
}

static NTSTATUS sio_dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoMarkIrpPending(Irp);
    IoStartPacket(DeviceObject, Irp, NULL, NULL);
    return STATUS_PENDING;
}

static NTSTATUS sio_entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)RegistryPath;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = sio_dispatch;
    DriverObject->DriverStartIo = sio_start;
    return IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &sio_dev);
}

START_TEST(test_start_io_serialises)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDRIVER_OBJECT drv;
    struct dms_request r = {.major = IRP_MJ_WRITE};
    KIRQL old;

    ck_assert_int_eq(dms_driver_load(m, "sio", sio_entry, &drv), STATUS_SUCCESS);
    n_started = 0;
    done_calls = 0;
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(dms_irp_send(sio_dev, &r, on_done, NULL), STATUS_PENDING);
    ck_assert_int_eq(n_started, 1); /* one at a time: the others wait in the device queue */
    for (int i = 0; i < 3; i++) {
        PIRP irp = started[i];
        ck_assert_int_eq(n_started, i + 1);
        irp->IoStatus.Status = STATUS_SUCCESS;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        IoStartNextPacket(sio_dev, FALSE);
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        KeLowerIrql(old);
    }
    ck_assert_int_eq(done_calls, 3);
    ck_assert_ptr_null(sio_dev->CurrentIrp);
    IoStartNextPacket(sio_dev, FALSE); /* at PASSIVE_LEVEL: the wrong IRQL */
    ck_assert_finding(m, DMS_E6_WRONG_IRQL);
    machine_done(m);
}
END_TEST

/* ---- cancel ------------------------------------------------------------------------------ */

static int cancels;

static VOID on_cancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    cancels++;
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    Irp->IoStatus.Status = STATUS_CANCELLED;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static NTSTATUS hold_dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    IoMarkIrpPending(Irp);
    IoSetCancelRoutine(Irp, on_cancel);
    held_irp = Irp;
    return STATUS_PENDING;
}

static PDEVICE_OBJECT hold_dev;

static NTSTATUS hold_entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)RegistryPath;
    DriverObject->MajorFunction[IRP_MJ_READ] = hold_dispatch;
    return IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &hold_dev);
}

START_TEST(test_cancel)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDRIVER_OBJECT drv;
    struct dms_request r = {.major = IRP_MJ_READ};

    ck_assert_int_eq(dms_driver_load(m, "hold", hold_entry, &drv), STATUS_SUCCESS);
    cancels = 0;
    done_calls = 0;
    dms_irp_send(hold_dev, &r, on_done, NULL);
    ck_assert(IoCancelIrp(held_irp));
    ck_assert_int_eq(cancels, 1);
    ck_assert_int_eq(done_calls, 1);
    ck_assert_int_eq(done_status, STATUS_CANCELLED);
    ck_assert_int_eq(KeGetCurrentIrql(), PASSIVE_LEVEL);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

/* ---- IoForwardIrpSynchronously: an upper driver waits for a lower one that pends ------- */

static PDEVICE_OBJECT fwd_dev;
static BOOLEAN fwd_result;
static NTSTATUS fwd_seen_status;
static int fwd_returned;

static NTSTATUS fwd_dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    fwd_result = IoForwardIrpSynchronously(hold_dev, Irp);
    fwd_returned++;
    /* the lower driver's outcome is there, and the IRP is this driver's to complete */
    fwd_seen_status = Irp->IoStatus.Status;
    Irp->IoStatus.Information = 77;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return fwd_seen_status;
}

static NTSTATUS fwd_entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)RegistryPath;
    DriverObject->MajorFunction[IRP_MJ_READ] = fwd_dispatch;
    return IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &fwd_dev);
}

START_TEST(test_forward_synchronously)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDRIVER_OBJECT lower, upper;
    struct dms_request r = {.major = IRP_MJ_READ};

    ck_assert_int_eq(dms_driver_load(m, "hold", hold_entry, &lower), STATUS_SUCCESS);
    ck_assert_int_eq(dms_driver_load(m, "fwd", fwd_entry, &upper), STATUS_SUCCESS);
    ck_assert_ptr_eq(IoAttachDeviceToDeviceStack(fwd_dev, hold_dev), hold_dev);
    done_calls = fwd_returned = 0;
    held_irp = NULL;
    ck_assert_int_eq(dms_irp_send(fwd_dev, &r, on_done, NULL), STATUS_PENDING);
    /* the lower driver holds it: the upper one is still waiting */
    ck_assert_ptr_nonnull(held_irp);
    ck_assert_int_eq(fwd_returned, 0);
    IoSetCancelRoutine(held_irp, NULL);
    held_irp->IoStatus.Status = STATUS_DEVICE_BUSY;
    IoCompleteRequest(held_irp, IO_NO_INCREMENT);
    /* the completion routine stopped the walk: the requester hears nothing yet */
    ck_assert_int_eq(done_calls, 0);
    dms_machine_run_pending(m);
    ck_assert_int_eq(fwd_returned, 1);
    ck_assert(fwd_result);
    ck_assert_int_eq(fwd_seen_status, STATUS_DEVICE_BUSY);
    ck_assert_int_eq(done_calls, 1);
    ck_assert_int_eq(done_status, STATUS_DEVICE_BUSY);
    ck_assert_uint_eq(done_info, 77);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

START_TEST(test_forward_synchronously_refuses)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDRIVER_OBJECT lower, upper;
    struct dms_request r = {.major = IRP_MJ_READ};
    KIRQL old;
    PIRP irp;

    ck_assert_int_eq(dms_driver_load(m, "hold", hold_entry, &lower), STATUS_SUCCESS);
    ck_assert_int_eq(dms_driver_load(m, "fwd", fwd_entry, &upper), STATUS_SUCCESS);
    /* not attached: the upper device's IRPs have one stack location, none left to forward
     * into. FALSE, nothing sent, no finding. */
    done_calls = 0;
    held_irp = NULL;
    dms_irp_send(fwd_dev, &r, on_done, NULL);
    ck_assert(!fwd_result);
    ck_assert_ptr_null(held_irp);
    ck_assert_int_eq(done_calls, 1);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    /* at DISPATCH_LEVEL it may not wait: a finding, FALSE */
    irp = IoAllocateIrp(2, FALSE);
    IoSetNextIrpStackLocation(irp);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert(!IoForwardIrpSynchronously(hold_dev, irp));
    KeLowerIrql(old);
    ck_assert_uint_eq(dms_finding_count(m), 1);
    ck_assert_ptr_null(held_irp);
    IoFreeIrp(irp);
    machine_done(m);
}
END_TEST

/* ---- buffered I/O, IOCTLs, names --------------------------------------------------------- */

#define IOCTL_TEST_ECHO CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
static int creates, closes;

static NTSTATUS echo_ioctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PUCHAR b = Irp->AssociatedIrp.SystemBuffer;
    ULONG n = sp->Parameters.DeviceIoControl.InputBufferLength;

    (void)DeviceObject;
    ck_assert_uint_eq(sp->Parameters.DeviceIoControl.IoControlCode, IOCTL_TEST_ECHO);
    for (ULONG i = 0; i < n; i++)
        b[i] = (UCHAR)(b[i] + 1); /* in and out share the system buffer */
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = n;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS create_close(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    if (IoGetCurrentIrpStackLocation(Irp)->MajorFunction == IRP_MJ_CREATE)
        creates++;
    else if (IoGetCurrentIrpStackLocation(Irp)->MajorFunction == IRP_MJ_CLOSE)
        closes++;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS named_entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    static const WCHAR dev[] = {'\\', 'D', 'e', 'v', 'i', 'c', 'e', '\\', 'E', 'c', 'h', 'o', 0};
    static const WCHAR dos[] = {'\\', 'D', 'o', 's', 'D', 'e', 'v', 'i', 'c', 'e', 's',
                                '\\', 'E', 'c', 'h', 'o', 'X', 0};
    UNICODE_STRING dev_name, dos_name;
    PDEVICE_OBJECT d, again;

    ck_assert_ptr_nonnull(RegistryPath->Buffer);
    RtlInitUnicodeString(&dev_name, dev);
    RtlInitUnicodeString(&dos_name, dos);
    DriverObject->MajorFunction[IRP_MJ_CREATE] = create_close;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = create_close;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = create_close;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = echo_ioctl;
    ck_assert_int_eq(IoCreateDevice(DriverObject, 0, &dev_name, FILE_DEVICE_UNKNOWN,
                                    FILE_DEVICE_SECURE_OPEN, FALSE, &d), STATUS_SUCCESS);
    ck_assert_int_eq(IoCreateDevice(DriverObject, 0, &dev_name, FILE_DEVICE_UNKNOWN, 0, FALSE,
                                    &again), STATUS_OBJECT_NAME_COLLISION);
    ck_assert_int_eq(IoCreateSymbolicLink(&dos_name, &dev_name), STATUS_SUCCESS);
    ck_assert_int_eq(IoCreateSymbolicLink(&dos_name, &dev_name), STATUS_OBJECT_NAME_COLLISION);
    d->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

START_TEST(test_open_by_link_and_buffered_ioctl)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDRIVER_OBJECT drv;
    NTSTATUS status;
    PFILE_OBJECT f;
    uint8_t in[4] = {1, 2, 3, 4}, out[4] = {0};
    struct dms_request r = {.major = IRP_MJ_DEVICE_CONTROL, .ioctl = IOCTL_TEST_ECHO, .in = in,
                            .in_length = 4, .out = out, .out_length = 4};
    ULONG_PTR info = 0;

    creates = closes = 0;
    ck_assert_int_eq(dms_driver_load(m, "echo", named_entry, &drv), STATUS_SUCCESS);
    ck_assert_ptr_null(dms_file_open(m, "\\\\.\\NoSuch", &status));
    ck_assert_int_eq(status, STATUS_OBJECT_NAME_NOT_FOUND);
    f = dms_file_open(m, "\\\\.\\EchoX", &status);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(creates, 1);
    r.file = f;
    ck_assert_int_eq(dms_irp_send_sync(f->DeviceObject, &r, &info), STATUS_SUCCESS);
    ck_assert_int_eq(info, 4);
    ck_assert_int_eq(out[0], 2);
    ck_assert_int_eq(out[3], 5);
    ck_assert_int_eq(in[0], 1); /* the caller's input is untouched: the system buffer is a copy */
    ck_assert_int_eq(dms_file_close(f), STATUS_SUCCESS);
    ck_assert_int_eq(closes, 1);
    r.major = IRP_MJ_READ; /* a major the driver left alone: STATUS_INVALID_DEVICE_REQUEST */
    ck_assert_int_eq(dms_irp_send_sync(drv->DeviceObject, &r, NULL),
                     STATUS_INVALID_DEVICE_REQUEST);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

/* ---- direct I/O and a PnP start with resources ------------------------------------------ */

static PDEVICE_OBJECT pnp_fdo, pnp_lower;
static bool pnp_clear_initializing;
static ULONG start_memory_length, start_vector;
static PVOID read_mdl_va;
static CSHORT read_mdl_flags;

static NTSTATUS pnp_dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);

    (void)DeviceObject;
    if (sp->MinorFunction == IRP_MN_START_DEVICE) {
        PCM_RESOURCE_LIST t = sp->Parameters.StartDevice.AllocatedResourcesTranslated;
        PCM_PARTIAL_RESOURCE_LIST l = &t->List[0].PartialResourceList;
        for (ULONG i = 0; i < l->Count; i++) {
            if (l->PartialDescriptors[i].Type == CmResourceTypeMemory)
                start_memory_length = l->PartialDescriptors[i].u.Memory.Length;
            if (l->PartialDescriptors[i].Type == CmResourceTypeInterrupt)
                start_vector = l->PartialDescriptors[i].u.Interrupt.Vector;
        }
    }
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(pnp_lower, Irp);
}

static NTSTATUS direct_read(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    read_mdl_va = MmGetMdlVirtualAddress(Irp->MdlAddress);
    read_mdl_flags = Irp->MdlAddress->MdlFlags;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS pnp_add(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    NTSTATUS s = IoCreateDevice(DriverObject, 32, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &pnp_fdo);

    if (!NT_SUCCESS(s))
        return s;
    pnp_lower = IoAttachDeviceToDeviceStack(pnp_fdo, Pdo);
    pnp_fdo->Flags |= DO_DIRECT_IO;
    if (pnp_clear_initializing)
        pnp_fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static NTSTATUS pnp_entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)RegistryPath;
    DriverObject->DriverExtension->AddDevice = pnp_add;
    DriverObject->MajorFunction[IRP_MJ_PNP] = pnp_dispatch;
    DriverObject->MajorFunction[IRP_MJ_READ] = direct_read;
    return STATUS_SUCCESS;
}

static uint64_t no_read(void *ctx, uint64_t offset, unsigned bytes)
{
    (void)ctx;
    (void)offset;
    (void)bytes;
    return 0;
}

static void no_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    (void)ctx;
    (void)offset;
    (void)bytes;
    (void)value;
}

static const struct dms_register_ops quiet = {no_read, no_write};

START_TEST(test_pnp_start_and_direct_io)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT pdo = dms_device_create(m, "card0", 0);
    PDRIVER_OBJECT drv;
    uint8_t *buf = dms_buffer_alloc(m, pdo, 8192);
    struct dms_request r = {.major = IRP_MJ_READ, .buffer = buf + 100, .length = 5000};

    pnp_clear_initializing = _i == 0;
    ck_assert_int_eq(dms_device_add_memory(pdo, 0xF0000000ULL, 0x1000, &quiet, NULL), 0);
    ck_assert_int_eq(dms_device_add_memory(pdo, 0xF0000800ULL, 0x1000, &quiet, NULL),
                     DMS_EINVAL); /* overlaps the first */
    ck_assert_int_eq(dms_device_add_interrupt(pdo, LevelSensitive), 0);
    ck_assert_int_eq(dms_device_add_interrupt(pdo, LevelSensitive), DMS_EINVAL);
    ck_assert_int_eq(dms_driver_load(m, "pnp", pnp_entry, &drv), STATUS_SUCCESS);
    ck_assert_int_eq(dms_driver_add_device(drv, pdo), STATUS_SUCCESS);
    if (_i == 1)
        ck_assert_finding(m, DMS_CHECK_DRIVER); /* AddDevice left DO_DEVICE_INITIALIZING */
    ck_assert_ptr_eq(dms_device_top(pdo), pnp_fdo);
    ck_assert_str_eq(dms_device_name(pnp_fdo), "card0"); /* an unnamed FDO takes its PDO's */
    ck_assert_int_eq(dms_pnp_start(pdo), STATUS_SUCCESS);
    ck_assert_uint_eq(start_memory_length, 0x1000);
    ck_assert_uint_ge(start_vector, 0x50);
    /* DO_DIRECT_IO: the I/O manager locks the buffer behind an MDL */
    ck_assert_int_eq(dms_irp_send_sync(pdo, &r, NULL), STATUS_SUCCESS);
    ck_assert_ptr_eq(read_mdl_va, buf + 100);
    ck_assert(read_mdl_flags & MDL_PAGES_LOCKED);
    ck_assert_int_eq(dms_pnp_remove(pdo, TRUE), STATUS_SUCCESS);
    if (_i == 0)
        ck_assert_uint_eq(dms_finding_count(m), 0);
    ExFreePool(buf);
    machine_done(m);
}
END_TEST

START_TEST(test_driver_entry_fails)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDRIVER_OBJECT drv;
    PDEVICE_OBJECT pdo = dms_device_create(m, "card1", 0);

    ck_assert_int_eq(dms_driver_load(m, "nope", NULL, &drv), STATUS_INSUFFICIENT_RESOURCES);
    ck_assert_int_eq(dms_driver_load(m, "fn", function_entry, &drv), STATUS_SUCCESS);
    /* no AddDevice: a legacy driver */
    ck_assert_int_eq(dms_driver_add_device(drv, pdo), STATUS_INVALID_DEVICE_REQUEST);
    machine_done(m);
}
END_TEST

/* ---- a driver that keeps what it is sent: where a request stopped, whose faults ---------- */

static PIRP kept_irp;
static PVOID kept_pool;

static NTSTATUS keeping_dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    kept_pool = ExAllocatePoolWithTag(NonPagedPool, 64, 'peeK'); /* fails: counted to it */
    IoMarkIrpPending(Irp);
    kept_irp = Irp;
    return STATUS_PENDING; /* and never completes it on its own */
}

static PDEVICE_OBJECT keeping_dev;

static NTSTATUS keeping_entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)RegistryPath;
    DriverObject->MajorFunction[IRP_MJ_READ] = keeping_dispatch;
    return IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_DISK, 0, FALSE, &keeping_dev);
}

static char where_seen[640];

static void on_where(void *ctx, void *done_ctx, PIRP irp, const char *where)
{
    ck_assert_ptr_eq(ctx, &where_seen);
    ck_assert_ptr_eq(done_ctx, &done_calls);
    ck_assert_ptr_eq(irp, kept_irp);
    snprintf(where_seen, sizeof(where_seen), "%s", where);
}

START_TEST(test_whereabouts_and_fault_accounting)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDRIVER_OBJECT drv;
    PDMA_ADAPTER a;
    struct dms_request r = {.major = IRP_MJ_READ, .length = 512, .offset = 4096};
    static uint8_t buf[512];

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 4 * GIB;
    cfg.fault_percent[DMS_FAULT_POOL] = 100;
    m = machine_with(&cfg);
    ck_assert_int_eq(dms_driver_load(m, "keeper", keeping_entry, &drv), STATUS_SUCCESS);
    a = adapter_new(keeping_dev, 64, TRUE, 65536, 2, NULL);
    r.buffer = buf;
    done_calls = 0;
    ck_assert_uint_eq(dms_irp_whereabouts(m, NULL, NULL), 0);
    ck_assert_int_eq(dms_irp_send(keeping_dev, &r, on_done, &done_calls), STATUS_PENDING);
    ck_assert_ptr_nonnull(kept_irp);
    ck_assert_ptr_null(kept_pool);
    /* the pool fault was made in the device's dispatch routine: counted to its account */
    ck_assert_uint_eq(dms_adapter_stats(a)->faults_injected[DMS_FAULT_POOL], 1);
    ck_assert_uint_eq(dms_faults_injected(m, DMS_FAULT_POOL), 1);
    /* outside any driver's code: counted to the machine alone */
    ck_assert_ptr_null(ExAllocatePoolWithTag(NonPagedPool, 64, 'tsoH'));
    ck_assert_uint_eq(dms_adapter_stats(a)->faults_injected[DMS_FAULT_POOL], 1);
    ck_assert_uint_eq(dms_faults_injected(m, DMS_FAULT_POOL), 2);
    /* held: nothing is drawn */
    dms_faults_hold(m, true);
    kept_pool = ExAllocatePoolWithTag(NonPagedPool, 64, 'dloH');
    dms_faults_hold(m, false);
    ck_assert_ptr_nonnull(kept_pool);
    ExFreePool(kept_pool);
    ck_assert_uint_eq(dms_faults_injected(m, DMS_FAULT_POOL), 2);
    /* where the kept request stopped */
    ck_assert_uint_eq(dms_irp_whereabouts(m, on_where, &where_seen), 1);
    ck_assert_msg(strstr(where_seen, "IRP_MJ_READ of 512 bytes at offset 4096") != NULL, "%s",
                  where_seen);
    ck_assert_ptr_nonnull(strstr(where_seen, "the dispatch routine returned STATUS_PENDING"));
    ck_assert_ptr_nonnull(strstr(where_seen, "in no queue the I/O manager knows of"));
    ck_assert_ptr_nonnull(strstr(where_seen, "holds no DMA resources"));
    ck_assert_int_eq(done_calls, 0);
    kept_irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(kept_irp, IO_NO_INCREMENT);
    ck_assert_int_eq(done_calls, 1);
    ck_assert_uint_eq(dms_irp_whereabouts(m, NULL, NULL), 0); /* completed: not out any more */
    a->DmaOperations->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* A framework's routines in the call trace: recorded only when the machine traces calls, and
 * only as CALL, RETURN or CALLBACK; an IRP context asked for what is no IRP switches nothing. */
START_TEST(test_framework_trace_and_context)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    uint64_t saved = 1;
    int junk[64] = {0};

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 1 * DMS_GIB;
    m = machine_with(&cfg);
    ck_assert(!dms_tracing_calls(m));
    dms_trace_call(m, DMS_EV_CALL, "WdfDmaTransactionExecute", 0, "%d bytes", 8);
    ck_assert_uint_eq(tp.n_events, 0);
    ck_assert(!dms_irp_context_enter(m, NULL, &saved));
    ck_assert_uint_eq(saved, 0);
    saved = 1;
    ck_assert(!dms_irp_context_enter(m, (PIRP)junk, &saved));
    ck_assert_uint_eq(saved, 0);
    dms_irp_context_leave(m, false, saved);
    ck_assert(!dms_irp_context_enter(NULL, (PIRP)junk, &saved));
    machine_done(m);

    cfg.call_events = 1;
    m = machine_with(&cfg);
    ck_assert(dms_tracing_calls(m));
    dms_trace_call(m, DMS_EV_CALL, "WdfDmaTransactionExecute", 0, "%d bytes", 8);
    dms_trace_call(m, DMS_EV_CALLBACK, "EvtProgramDma", 0, "stage %u", 1u);
    dms_trace_call(m, DMS_EV_RETURN, "WdfDmaTransactionExecute", 5, "returns");
    dms_trace_call(m, DMS_EV_MAP, "WdfDmaTransactionExecute", 0, "not a call");
    dms_trace_call(m, DMS_EV_CALL, NULL, 0, "no routine");
    ck_assert_uint_eq(tp.n_events, 3);
    ck_assert_int_eq(tp.events[0].type, DMS_EV_CALL);
    ck_assert_str_eq(tp.events[1].routine, "EvtProgramDma");
    ck_assert_int_eq(tp.events[2].type, DMS_EV_RETURN);
    ck_assert_int_eq(tp.events[2].status, 5);
    machine_done(m);
    dms_trace_call(NULL, DMS_EV_CALL, "WdfDmaTransactionExecute", 0, "no machine");
}
END_TEST

static Suite *iomgr_suite(void)
{
    Suite *s = suite_create("hal/iomgr");
    TCase *tc = tcase_create("iomgr");

    tcase_add_test(tc, test_completion_walk);
    tcase_add_test(tc, test_more_processing_stops_the_walk);
    tcase_add_loop_test(tc, test_dispatch_rules, 0, 5);
    tcase_add_test(tc, test_bad_pointers_are_findings);
    tcase_add_test(tc, test_allocated_irp);
    tcase_add_test(tc, test_irp_reuse_and_double_free);
    tcase_add_test(tc, test_start_io_serialises);
    tcase_add_test(tc, test_cancel);
    tcase_add_test(tc, test_forward_synchronously);
    tcase_add_test(tc, test_forward_synchronously_refuses);
    tcase_add_test(tc, test_open_by_link_and_buffered_ioctl);
    tcase_add_loop_test(tc, test_pnp_start_and_direct_io, 0, 2);
    tcase_add_test(tc, test_driver_entry_fails);
    tcase_add_test(tc, test_whereabouts_and_fault_accounting);
    tcase_add_test(tc, test_framework_trace_and_context);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(iomgr_suite);
}
