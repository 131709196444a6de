/*
 * test_queues.c - a whole KMDF driver on the emulated kernel: WdfDriverCreate taking over the
 * driver object, AddDevice through EvtDriverDeviceAdd, the PnP sequence with the resource
 * lists, and requests through sequential, parallel and manual queues, with the documented
 * results of the request methods, the synchronisation scope, cancellation and forwarding, and
 * removal.
 */
#include <check.h>
#include <string.h>

#include <ntddk.h>
#include <wdf.h>

#include "kmdf_rig.h"

#define IOCTL_TEST_ECHO CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_TEST_HOLD CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)

typedef struct _DEVICE_CONTEXT {
    WDFQUEUE WriteQueue, ControlQueue, ManualQueue;
    ULONG ResourceCount;
    PHYSICAL_ADDRESS Bar0;
    ULONG Bar0Length;
} DEVICE_CONTEXT, *PDEVICE_CONTEXT;
WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, DeviceGetContext)

/* What the driver saw. */
static struct {
    char calls[512];          /* the PnP and queue callbacks, in order */
    WDFREQUEST held[8];       /* requests presented and not completed yet */
    int n_held;
    KIRQL write_irql;
    WDF_POWER_DEVICE_STATE d0_from, d0_to;
    WDF_SYNCHRONIZATION_SCOPE scope;
    WDF_DEVICE_IO_TYPE io_type;
    WDF_IO_QUEUE_DISPATCH_TYPE write_dispatch;
    WDFDEVICE device;
    BOOLEAN complete_at_once; /* EvtIoWrite completes what it gets */
    int stops;                /* EvtIoStop: calls, and what it does with the n-th: */
    char stop_plan[8];        /* 'c' complete, 'r' requeue, 'k' keep (acknowledge) */
    ULONG stop_flags[8];
} seen;

static void call(const char *what)
{
    log_call(seen.calls, sizeof(seen.calls), what);
}

static EVT_WDF_DRIVER_DEVICE_ADD TestDeviceAdd;
static EVT_WDF_DEVICE_PREPARE_HARDWARE TestPrepareHardware;
static EVT_WDF_DEVICE_RELEASE_HARDWARE TestReleaseHardware;
static EVT_WDF_DEVICE_D0_ENTRY TestD0Entry;
static EVT_WDF_DEVICE_D0_EXIT TestD0Exit;
static EVT_WDF_IO_QUEUE_IO_WRITE TestEvtIoWrite;
static EVT_WDF_IO_QUEUE_IO_READ TestEvtIoRead;
static EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL TestEvtIoDeviceControl;
static EVT_WDF_DEVICE_CONTEXT_CLEANUP TestDeviceCleanup;

static NTSTATUS TestPrepareHardware(WDFDEVICE Device, WDFCMRESLIST Raw, WDFCMRESLIST Translated)
{
    PDEVICE_CONTEXT ctx = DeviceGetContext(Device);

    call("prepare");
    ctx->ResourceCount = WdfCmResourceListGetCount(Translated);
    ck_assert_uint_eq(WdfCmResourceListGetCount(Raw), ctx->ResourceCount);
    for (ULONG i = 0; i < ctx->ResourceCount; i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = WdfCmResourceListGetDescriptor(Translated, i);
        ck_assert_ptr_nonnull(d);
        if (d->Type == CmResourceTypeMemory) {
            ctx->Bar0 = d->u.Memory.Start;
            ctx->Bar0Length = d->u.Memory.Length;
        }
    }
    ck_assert_ptr_null(WdfCmResourceListGetDescriptor(Translated, ctx->ResourceCount));
    return STATUS_SUCCESS;
}

static NTSTATUS TestReleaseHardware(WDFDEVICE Device, WDFCMRESLIST Translated)
{
    (void)Device;
    (void)Translated;
    call("release");
    return STATUS_SUCCESS;
}

static NTSTATUS TestD0Entry(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState)
{
    (void)Device;
    call("d0entry");
    seen.d0_from = PreviousState;
    return STATUS_SUCCESS;
}

static NTSTATUS TestD0Exit(WDFDEVICE Device, WDF_POWER_DEVICE_STATE TargetState)
{
    (void)Device;
    call("d0exit");
    seen.d0_to = TargetState;
    return STATUS_SUCCESS;
}

static VOID TestDeviceCleanup(WDFOBJECT Device)
{
    (void)Device;
    call("cleanup");
}

static VOID TestEvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    PMDL mdl;
    PVOID buf;
    size_t len;

    call("write");
    seen.write_irql = KeGetCurrentIrql();
    ck_assert_ptr_eq(WdfIoQueueGetDevice(Queue), seen.device);
    ck_assert_ptr_eq(WdfRequestGetIoQueue(Request), Queue);
    /* direct I/O: the input MDL is the IRP's, and the buffer its system address */
    ck_assert_int_eq(WdfRequestRetrieveInputWdmMdl(Request, &mdl), STATUS_SUCCESS);
    ck_assert_ptr_eq(mdl, WdfRequestWdmGetIrp(Request)->MdlAddress);
    ck_assert_uint_eq(MmGetMdlByteCount(mdl), Length);
    ck_assert_int_eq(WdfRequestRetrieveInputBuffer(Request, Length, &buf, &len), STATUS_SUCCESS);
    ck_assert_uint_eq(len, Length);
    ck_assert_int_eq(WdfRequestRetrieveInputBuffer(Request, Length + 1, &buf, &len),
                     STATUS_BUFFER_TOO_SMALL);
    /* a write has no output buffer */
    ck_assert_int_eq(WdfRequestRetrieveOutputBuffer(Request, 1, &buf, NULL),
                     STATUS_INVALID_DEVICE_REQUEST);
    if (seen.complete_at_once)
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
    else
        seen.held[seen.n_held++] = Request;
}

static VOID TestEvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    WDF_REQUEST_PARAMETERS p;

    (void)Queue;
    call("read");
    WDF_REQUEST_PARAMETERS_INIT(&p);
    WdfRequestGetParameters(Request, &p);
    ck_assert_int_eq(p.Type, WdfRequestTypeRead);
    ck_assert_uint_eq(p.Parameters.Read.Length, Length);
    ck_assert_int_eq(p.Parameters.Read.DeviceOffset, 4096);
    WdfRequestSetInformation(Request, Length / 2);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}

static VOID TestEvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength,
                                   size_t InputBufferLength, ULONG IoControlCode)
{
    PVOID in, out;

    (void)Queue;
    call("ioctl");
    if (IoControlCode == IOCTL_TEST_HOLD) {
        seen.held[seen.n_held++] = Request;
        return;
    }
    ck_assert_int_eq(WdfRequestRetrieveInputBuffer(Request, InputBufferLength, &in, NULL),
                     STATUS_SUCCESS);
    ck_assert_int_eq(WdfRequestRetrieveOutputBuffer(Request, OutputBufferLength, &out, NULL),
                     STATUS_SUCCESS);
    /* METHOD_BUFFERED: one system buffer for both */
    ck_assert_ptr_eq(in, out);
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, OutputBufferLength);
}

static VOID TestEvtIoStop(WDFQUEUE Queue, WDFREQUEST Request, ULONG ActionFlags)
{
    int i = seen.stops++;

    (void)Queue;
    call("stop");
    seen.stop_flags[i] = ActionFlags;
    /* a cancelable request is unmarked first, unless its cancel has it already */
    if ((ActionFlags & WdfRequestStopRequestCancelable) &&
        WdfRequestUnmarkCancelable(Request) == STATUS_CANCELLED)
        return;
    if (seen.stop_plan[i] == 'c')
        WdfRequestComplete(Request, STATUS_CANCELLED);
    else
        WdfRequestStopAcknowledge(Request, seen.stop_plan[i] == 'r');
}

static VOID TestEvtRequestCancel(WDFREQUEST Request)
{
    call("cancel");
    WdfRequestComplete(Request, STATUS_CANCELLED);
}

static VOID TestEvtIoCanceledOnQueue(WDFQUEUE Queue, WDFREQUEST Request)
{
    (void)Queue;
    call("canceled-on-queue");
    WdfRequestComplete(Request, STATUS_CANCELLED);
}

static NTSTATUS TestDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_IO_QUEUE_CONFIG qc;
    PDEVICE_CONTEXT ctx;
    WDFDEVICE device;
    NTSTATUS status;

    (void)Driver;
    call("add");
    WdfDeviceInitSetIoType(DeviceInit, seen.io_type);
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDevicePrepareHardware = TestPrepareHardware;
    pnp.EvtDeviceReleaseHardware = TestReleaseHardware;
    pnp.EvtDeviceD0Entry = TestD0Entry;
    pnp.EvtDeviceD0Exit = TestD0Exit;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, DEVICE_CONTEXT);
    attributes.SynchronizationScope = seen.scope;
    attributes.EvtCleanupCallback = TestDeviceCleanup;
    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);
    if (!NT_SUCCESS(status))
        return status;
    ck_assert_ptr_null(DeviceInit); /* the framework took it */
    seen.device = device;
    ctx = DeviceGetContext(device);
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchSequential);
    qc.EvtIoRead = TestEvtIoRead;
    status = WdfIoQueueCreate(device, &qc, WDF_NO_OBJECT_ATTRIBUTES, WDF_NO_HANDLE);
    if (!NT_SUCCESS(status))
        return status;
    WDF_IO_QUEUE_CONFIG_INIT(&qc, seen.write_dispatch);
    qc.EvtIoWrite = TestEvtIoWrite;
    qc.EvtIoStop = TestEvtIoStop;
    status = WdfIoQueueCreate(device, &qc, WDF_NO_OBJECT_ATTRIBUTES, &ctx->WriteQueue);
    if (!NT_SUCCESS(status))
        return status;
    status = WdfDeviceConfigureRequestDispatching(device, ctx->WriteQueue, WdfRequestTypeWrite);
    if (!NT_SUCCESS(status))
        return status;
    WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchManual);
    qc.EvtIoCanceledOnQueue = TestEvtIoCanceledOnQueue;
    status = WdfIoQueueCreate(device, &qc, WDF_NO_OBJECT_ATTRIBUTES, &ctx->ManualQueue);
    if (!NT_SUCCESS(status))
        return status;
    WDF_IO_QUEUE_CONFIG_INIT(&qc, WdfIoQueueDispatchParallel);
    qc.EvtIoDeviceControl = TestEvtIoDeviceControl;
    status = WdfIoQueueCreate(device, &qc, WDF_NO_OBJECT_ATTRIBUTES, &ctx->ControlQueue);
    if (NT_SUCCESS(status))
        status = WdfDeviceConfigureRequestDispatching(device, ctx->ControlQueue,
                                                      WdfRequestTypeDeviceControl);
    return status;
}

static DRIVER_INITIALIZE TestDriverEntry;
static NTSTATUS TestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;

    WDF_DRIVER_CONFIG_INIT(&config, TestDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config,
                           WDF_NO_HANDLE);
}

/* ---- the harness: a card, the driver on it, requests sent as the I/O manager sends them ---- */
static void start(struct rig *r, WDF_SYNCHRONIZATION_SCOPE scope,
                  WDF_IO_QUEUE_DISPATCH_TYPE write_dispatch)
{
    memset(&seen, 0, sizeof(seen));
    seen.scope = scope;
    seen.io_type = WdfDeviceIoDirect;
    seen.write_dispatch = write_dispatch;
    rig_up(r, 16 * GIB, DMS_PLACE_RANDOM, RIG_BAR | RIG_INTERRUPT, "kmdftest", TestDriverEntry,
           64 * 1024);
    ck_assert_ptr_eq(r->drv->MajorFunction[IRP_MJ_READ], r->drv->MajorFunction[IRP_MJ_WRITE]);
}

static NTSTATUS send_rw(struct rig *r, UCHAR major, ULONG length, struct sent *s)
{
    struct dms_request q = {.major = major, .buffer = r->buf, .length = length, .offset = 4096};

    return dms_irp_send(r->pdo, &q, on_done, s);
}

START_TEST(test_pnp_sequence_and_resources)
{
    struct rig r;
    PDEVICE_CONTEXT ctx;

    start(&r, WdfSynchronizationScopeNone, WdfIoQueueDispatchSequential);
    ck_assert_str_eq(seen.calls, "add prepare d0entry ");
    ck_assert_int_eq(seen.d0_from, WdfPowerDeviceD3Final);
    ctx = DeviceGetContext(seen.device);
    ck_assert_uint_eq(ctx->ResourceCount, 2); /* the memory BAR and the interrupt */
    ck_assert_uint_eq(ctx->Bar0.QuadPart, 0xF0000000u);
    ck_assert_uint_eq(ctx->Bar0Length, 0x200);
    ck_assert_ptr_eq(WdfDeviceWdmGetPhysicalDevice(seen.device), r.pdo);
    ck_assert_ptr_eq(WdfWdmDeviceGetWdfDeviceHandle(WdfDeviceWdmGetDeviceObject(seen.device)),
                     seen.device);
    ck_assert(WdfDeviceWdmGetDeviceObject(seen.device)->Flags & DO_DIRECT_IO);
    ck_assert_ptr_eq(WdfDeviceWdmGetAttachedDevice(seen.device), r.pdo);
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    /* removal: D0 left for D3Final, the hardware given back, the device's cleanup */
    seen.calls[0] = '\0';
    ck_assert_int_eq(dms_pnp_remove(r.pdo, TRUE), STATUS_SUCCESS);
    ck_assert_str_eq(seen.calls, "d0exit release cleanup ");
    ck_assert_int_eq(seen.d0_to, WdfPowerDeviceD3Final);
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    rig_down(&r);
}
END_TEST

/* A sequential queue presents the next request only when the driver completed the last. */
START_TEST(test_sequential_queue)
{
    struct rig r;
    struct sent s[3] = {{0}};

    start(&r, WdfSynchronizationScopeNone, WdfIoQueueDispatchSequential);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(send_rw(&r, IRP_MJ_WRITE, 512u << i, &s[i]), STATUS_PENDING);
    ck_assert_int_eq(seen.n_held, 1);
    for (int i = 0; i < 3; i++) {
        WDFREQUEST req = seen.held[i];
        ck_assert_int_eq(seen.n_held, i + 1);
        ck_assert_int_eq(s[i].done, 0);
        WdfRequestCompleteWithInformation(req, STATUS_SUCCESS, 512u << i);
        ck_assert_int_eq(s[i].done, 1);
        ck_assert_int_eq(s[i].status, STATUS_SUCCESS);
        ck_assert_uint_eq(s[i].information, 512u << i);
    }
    ck_assert_int_eq(seen.n_held, 3);
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    /* a completed request's handle is gone: a second completion is a finding */
    WdfRequestComplete(seen.held[0], STATUS_SUCCESS);
    ck_assert_finding(r.m, DMS_BUGCHECK_10D(0x5));
    ck_assert_int_eq(s[0].done, 1);
    rig_down(&r);
}
END_TEST

/* A parallel queue presents everything at once; the default queue takes the reads, and a
 * request the driver completes inside its callback completes at once. */
START_TEST(test_parallel_and_default_queues)
{
    struct rig r;
    struct sent s[4] = {{0}}, rd = {0};

    start(&r, WdfSynchronizationScopeNone, WdfIoQueueDispatchParallel);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(send_rw(&r, IRP_MJ_WRITE, 4096, &s[i]), STATUS_PENDING);
    ck_assert_int_eq(seen.n_held, 4);
    for (int i = 3; i >= 0; i--)
        WdfRequestComplete(seen.held[i], STATUS_UNSUCCESSFUL);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(s[i].status, STATUS_UNSUCCESSFUL);
    ck_assert_int_eq(send_rw(&r, IRP_MJ_READ, 1000, &rd), STATUS_PENDING);
    ck_assert_int_eq(rd.done, 1);
    ck_assert_int_eq(rd.status, STATUS_SUCCESS);
    ck_assert_uint_eq(rd.information, 500); /* WdfRequestSetInformation's */
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    rig_down(&r);
}
END_TEST

START_TEST(test_device_control_buffers)
{
    struct rig r;
    struct sent s = {0}, h1 = {0}, h2 = {0};
    UCHAR in[16] = "ping", out[32];
    struct dms_request q = {.major = IRP_MJ_DEVICE_CONTROL, .ioctl = IOCTL_TEST_ECHO,
                            .in = in, .in_length = sizeof(in), .out = out,
                            .out_length = sizeof(out)};

    start(&r, WdfSynchronizationScopeNone, WdfIoQueueDispatchSequential);
    memset(out, 0, sizeof(out));
    ck_assert_int_eq(dms_irp_send(r.pdo, &q, on_done, &s), STATUS_PENDING);
    ck_assert_int_eq(s.done, 1);
    ck_assert_uint_eq(s.information, sizeof(out));
    ck_assert_str_eq((char *)out, "ping"); /* copied back from the system buffer */
    /* the control queue is parallel: two held requests are both presented */
    q.ioctl = IOCTL_TEST_HOLD;
    ck_assert_int_eq(dms_irp_send(r.pdo, &q, on_done, &h1), STATUS_PENDING);
    ck_assert_int_eq(dms_irp_send(r.pdo, &q, on_done, &h2), STATUS_PENDING);
    ck_assert_int_eq(seen.n_held, 2);
    WdfRequestComplete(seen.held[1], STATUS_CANCELLED);
    WdfRequestComplete(seen.held[0], STATUS_SUCCESS);
    ck_assert_int_eq(h2.status, STATUS_CANCELLED);
    ck_assert_int_eq(h1.status, STATUS_SUCCESS);
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    rig_down(&r);
}
END_TEST

/* Zero-length writes are completed by the framework (AllowZeroLengthRequests is FALSE); a
 * request type no queue takes is STATUS_INVALID_DEVICE_REQUEST. */
START_TEST(test_zero_length_and_unhandled)
{
    struct rig r;
    struct sent z = {0}, other = {0};
    struct dms_request q = {.major = IRP_MJ_FLUSH_BUFFERS};

    start(&r, WdfSynchronizationScopeNone, WdfIoQueueDispatchSequential);
    ck_assert_int_eq(send_rw(&r, IRP_MJ_WRITE, 0, &z), STATUS_PENDING);
    ck_assert_int_eq(z.done, 1);
    ck_assert_int_eq(z.status, STATUS_SUCCESS);
    ck_assert_str_eq(seen.calls, "add prepare d0entry "); /* never presented */
    /* a flush goes to the default queue, which has no EvtIoDefault */
    dms_irp_send(r.pdo, &q, on_done, &other);
    ck_assert_int_eq(other.done, 1);
    ck_assert_int_eq(other.status, STATUS_INVALID_DEVICE_REQUEST);
    rig_down(&r);
}
END_TEST

/* WdfSynchronizationScopeDevice: the queue callbacks run holding the device's lock, at
 * DISPATCH_LEVEL; without it, at the dispatch routine's PASSIVE_LEVEL. */
START_TEST(test_synchronization_scope)
{
    struct rig r;
    struct sent s = {0};

    start(&r, WdfSynchronizationScopeDevice, WdfIoQueueDispatchSequential);
    seen.complete_at_once = TRUE;
    ck_assert_int_eq(send_rw(&r, IRP_MJ_WRITE, 4096, &s), STATUS_PENDING);
    ck_assert_int_eq(s.done, 1);
    ck_assert_int_eq(seen.write_irql, DISPATCH_LEVEL);
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    rig_down(&r);
    start(&r, WdfSynchronizationScopeNone, WdfIoQueueDispatchSequential);
    seen.complete_at_once = TRUE;
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(send_rw(&r, IRP_MJ_WRITE, 4096, &s), STATUS_PENDING);
    ck_assert_int_eq(s.done, 1);
    ck_assert_int_eq(seen.write_irql, PASSIVE_LEVEL);
    rig_down(&r);
}
END_TEST

/* Removal with requests still waiting: they fail with STATUS_DELETE_PENDING; the one the
 * driver holds is the driver's to complete, and completes. */
START_TEST(test_remove_with_requests_out)
{
    struct rig r;
    struct sent s[3] = {{0}};

    start(&r, WdfSynchronizationScopeNone, WdfIoQueueDispatchSequential);
    for (int i = 0; i < 3; i++)
        send_rw(&r, IRP_MJ_WRITE, 4096, &s[i]);
    ck_assert_int_eq(seen.n_held, 1);
    WdfRequestComplete(seen.held[0], STATUS_SUCCESS); /* presents the second */
    ck_assert_int_eq(seen.n_held, 2);
    ck_assert_int_eq(dms_pnp_remove(r.pdo, TRUE), STATUS_SUCCESS);
    ck_assert_int_eq(s[2].done, 1);
    ck_assert_int_eq(s[2].status, STATUS_DELETE_PENDING);
    ck_assert_int_eq(s[1].done, 0);
    rig_down(&r); /* the held request goes with the machine */
}
END_TEST

/* A manual queue presents nothing: the driver retrieves. */
static WDFQUEUE manual;

static NTSTATUS ManualDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_IO_QUEUE_CONFIG qc;
    WDFDEVICE device;
    NTSTATUS status;

    (void)Driver;
    status = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(status))
        return status;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchManual);
    qc.EvtIoRead = TestEvtIoRead; /* a manual queue takes no such callback */
    ck_assert_int_eq(WdfIoQueueCreate(device, &qc, NULL, &manual), STATUS_INVALID_PARAMETER);
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchManual);
    return WdfIoQueueCreate(device, &qc, NULL, &manual);
}

static NTSTATUS ManualDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;

    WDF_DRIVER_CONFIG_INIT(&config, ManualDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, NULL, &config, NULL);
}

START_TEST(test_manual_queue)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT pdo = dms_device_create(m, "card", 0);
    PDRIVER_OBJECT drv;
    WDFREQUEST req;
    struct sent s = {0};
    uint8_t *buf = dms_buffer_alloc(m, pdo, 4096);
    struct dms_request q = {.major = IRP_MJ_READ, .buffer = buf, .length = 100};

    ck_assert_int_eq(dms_driver_load(m, "manual", ManualDriverEntry, &drv), STATUS_SUCCESS);
    ck_assert_int_eq(dms_driver_add_device(drv, pdo), STATUS_SUCCESS);
    ck_assert_finding(m, DMS_BUGCHECK_10D(0x4)); /* the refused queue */
    ck_assert_int_eq(dms_pnp_start(pdo), STATUS_SUCCESS);
    ck_assert_int_eq(WdfIoQueueRetrieveNextRequest(manual, &req), STATUS_NO_MORE_ENTRIES);
    ck_assert_int_eq(dms_irp_send(pdo, &q, on_done, &s), STATUS_PENDING);
    ck_assert_int_eq(s.done, 0);
    ck_assert_int_eq(WdfIoQueueRetrieveNextRequest(manual, &req), STATUS_SUCCESS);
    /* buffered I/O (the default): the output buffer is the system buffer */
    {
        PVOID out;
        size_t len;
        PMDL mdl;
        ck_assert_int_eq(WdfRequestRetrieveOutputBuffer(req, 100, &out, &len), STATUS_SUCCESS);
        ck_assert_ptr_eq(out, WdfRequestWdmGetIrp(req)->AssociatedIrp.SystemBuffer);
        memset(out, 0x77, len);
        /* and an MDL the framework builds over it, freed at completion */
        ck_assert_int_eq(WdfRequestRetrieveOutputWdmMdl(req, &mdl), STATUS_SUCCESS);
        ck_assert_ptr_eq(MmGetMdlVirtualAddress(mdl), out);
    }
    WdfRequestCompleteWithInformation(req, STATUS_SUCCESS, 100);
    ck_assert_int_eq(s.done, 1);
    ck_assert_uint_eq(buf[99], 0x77);
    ck_assert_int_eq(WdfIoQueueRetrieveNextRequest(manual, &req), STATUS_NO_MORE_ENTRIES);
    ExFreePool(buf);
    machine_done(m);
}
END_TEST

/* The IRP a request was sent in, while it is out. */
struct irp_find {
    void *ctx;
    PIRP irp;
};

static void find_irp(void *ctx, void *done_ctx, PIRP irp, const char *where)
{
    struct irp_find *f = ctx;

    (void)where;
    if (done_ctx == f->ctx)
        f->irp = irp;
}

static PIRP irp_of(struct rig *r, struct sent *s)
{
    struct irp_find f = {s, NULL};

    dms_irp_whereabouts(r->m, find_irp, &f);
    ck_assert_ptr_nonnull(f.irp);
    return f.irp;
}

/* Cancellation as "Canceling I/O Requests" and the request methods document it: a request
 * still in its queue is completed by the framework with STATUS_CANCELLED, the driver never
 * seeing it; a request the driver holds is cancelled only through the EvtRequestCancel it was
 * marked with (MarkCancelableEx refuses one cancelled already, MarkCancelable calls the
 * routine at once); UnmarkCancelable; a request completed while still cancelable is a
 * finding; a forwarded request cancelled in a queue goes to EvtIoCanceledOnQueue. */
START_TEST(test_cancellation)
{
    struct rig r;
    struct sent s[8] = {{0}};
    PDEVICE_CONTEXT ctx;
    WDFREQUEST req;

    start(&r, WdfSynchronizationScopeDevice, WdfIoQueueDispatchSequential);
    ctx = DeviceGetContext(seen.device);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(send_rw(&r, IRP_MJ_WRITE, 4096, &s[i]), STATUS_PENDING);
    ck_assert_int_eq(seen.n_held, 1); /* #0 presented, #1 and #2 wait */
    /* #2, waiting: the framework completes it; the driver never sees it */
    ck_assert(IoCancelIrp(irp_of(&r, &s[2])));
    ck_assert_int_eq(s[2].done, 1);
    ck_assert_int_eq(s[2].status, STATUS_CANCELLED);
    ck_assert_int_eq(seen.n_held, 1);
    /* #0, the driver's and cancelable: its EvtRequestCancel completes it; #1 comes next */
    ck_assert(!WdfRequestIsCanceled(seen.held[0]));
    ck_assert_int_eq(WdfRequestMarkCancelableEx(seen.held[0], TestEvtRequestCancel),
                     STATUS_SUCCESS);
    ck_assert_int_eq(WdfRequestMarkCancelableEx(seen.held[0], TestEvtRequestCancel),
                     STATUS_INVALID_DEVICE_REQUEST); /* cancelable already */
    ck_assert_finding(r.m, DMS_BUGCHECK_10D(0x6));
    seen.calls[0] = '\0';
    ck_assert(IoCancelIrp(WdfRequestWdmGetIrp(seen.held[0])));
    ck_assert_str_eq(seen.calls, "cancel write ");
    ck_assert_int_eq(s[0].status, STATUS_CANCELLED);
    ck_assert_int_eq(seen.n_held, 2);
    /* #1, cancelled while not cancelable: only marked; MarkCancelableEx says so */
    ck_assert(!IoCancelIrp(WdfRequestWdmGetIrp(seen.held[1])));
    ck_assert_int_eq(s[1].done, 0);
    ck_assert(WdfRequestIsCanceled(seen.held[1]));
    ck_assert_int_eq(WdfRequestMarkCancelableEx(seen.held[1], TestEvtRequestCancel),
                     STATUS_CANCELLED);
    ck_assert_int_eq(s[1].done, 0);
    WdfRequestComplete(seen.held[1], STATUS_CANCELLED);
    ck_assert_int_eq(s[1].status, STATUS_CANCELLED);
    /* #3: marked, unmarked, completed */
    ck_assert_int_eq(send_rw(&r, IRP_MJ_WRITE, 4096, &s[3]), STATUS_PENDING);
    req = seen.held[2]; /* #2 never reached the driver */
    ck_assert_int_eq(WdfRequestUnmarkCancelable(req), STATUS_INVALID_PARAMETER);
    WdfRequestMarkCancelable(req, TestEvtRequestCancel);
    ck_assert_int_eq(WdfRequestUnmarkCancelable(req), STATUS_SUCCESS);
    ck_assert(!IoCancelIrp(WdfRequestWdmGetIrp(req))); /* no routine: not cancelable */
    WdfRequestComplete(req, STATUS_SUCCESS);
    ck_assert_int_eq(s[3].status, STATUS_SUCCESS);
    /* #4: cancelled first; WdfRequestMarkCancelable calls EvtRequestCancel before it returns */
    ck_assert_int_eq(send_rw(&r, IRP_MJ_WRITE, 4096, &s[4]), STATUS_PENDING);
    IoCancelIrp(WdfRequestWdmGetIrp(seen.held[3]));
    seen.calls[0] = '\0';
    WdfRequestMarkCancelable(seen.held[3], TestEvtRequestCancel);
    ck_assert_str_eq(seen.calls, "cancel ");
    ck_assert_int_eq(s[4].status, STATUS_CANCELLED);
    ck_assert_int_eq(seen.n_held, 4);
    /* #5: completed while cancelable: a finding, and completed all the same */
    ck_assert_int_eq(send_rw(&r, IRP_MJ_WRITE, 4096, &s[5]), STATUS_PENDING);
    WdfRequestMarkCancelable(seen.held[4], TestEvtRequestCancel);
    WdfRequestComplete(seen.held[4], STATUS_SUCCESS);
    ck_assert_finding(r.m, DMS_BUGCHECK_10D(0x6));
    ck_assert_int_eq(s[5].status, STATUS_SUCCESS);
    /* #6 forwarded to the manual queue and cancelled there: EvtIoCanceledOnQueue; #7
     * forwarded and retrieved */
    ck_assert_int_eq(send_rw(&r, IRP_MJ_WRITE, 4096, &s[6]), STATUS_PENDING);
    ck_assert_int_eq(WdfRequestForwardToIoQueue(seen.held[5], ctx->WriteQueue),
                     STATUS_INVALID_DEVICE_REQUEST); /* the queue it came from */
    ck_assert_int_eq(WdfRequestForwardToIoQueue(seen.held[5], ctx->ManualQueue), STATUS_SUCCESS);
    ck_assert_int_eq(send_rw(&r, IRP_MJ_WRITE, 4096, &s[7]), STATUS_PENDING);
    ck_assert_int_eq(seen.n_held, 7); /* the write queue went on: #6 is no longer presented */
    ck_assert_int_eq(WdfRequestForwardToIoQueue(seen.held[6], ctx->ManualQueue), STATUS_SUCCESS);
    seen.calls[0] = '\0';
    ck_assert(IoCancelIrp(irp_of(&r, &s[6])));
    ck_assert_str_eq(seen.calls, "canceled-on-queue ");
    ck_assert_int_eq(s[6].status, STATUS_CANCELLED);
    ck_assert_int_eq(WdfIoQueueRetrieveNextRequest(ctx->ManualQueue, &req), STATUS_SUCCESS);
    ck_assert_ptr_eq(req, seen.held[6]);
    WdfRequestComplete(req, STATUS_SUCCESS);
    ck_assert_int_eq(s[7].status, STATUS_SUCCESS);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(s[i].done, 1);
    rig_down(&r);
}
END_TEST

/* Removal with requests the driver holds: EvtIoStop for each (WdfRequestStopActionPurge, with
 * WdfRequestStopRequestCancelable for one marked cancelable); one it completes there, one it
 * requeues with WdfRequestStopAcknowledge (the removal then completes it from the queue), one
 * it keeps; an acknowledgement outside EvtIoStop is a finding. */
START_TEST(test_stop_on_removal)
{
    struct rig r;
    struct sent s[3] = {{0}};
    size_t findings;

    start(&r, WdfSynchronizationScopeNone, WdfIoQueueDispatchParallel);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(send_rw(&r, IRP_MJ_WRITE, 4096, &s[i]), STATUS_PENDING);
    ck_assert_int_eq(seen.n_held, 3);
    WdfRequestStopAcknowledge(seen.held[0], FALSE); /* nothing is stopping */
    ck_assert_finding(r.m, DMS_BUGCHECK_10D(0x6));
    ck_assert_int_eq(WdfRequestMarkCancelableEx(seen.held[2], TestEvtRequestCancel),
                     STATUS_SUCCESS);
    memcpy(seen.stop_plan, "crk", 3);
    seen.calls[0] = '\0';
    findings = dms_finding_count(r.m);
    ck_assert_int_eq(dms_pnp_remove(r.pdo, TRUE), STATUS_SUCCESS);
    ck_assert_uint_eq(dms_finding_count(r.m), findings); /* the driver did it right */
    ck_assert_int_eq(seen.stops, 3);
    /* the newest held first: the framework walks what the driver holds */
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(seen.stop_flags[i] & WdfRequestStopActionPurge,
                          WdfRequestStopActionPurge);
    ck_assert_uint_eq(seen.stop_flags[0] & WdfRequestStopRequestCancelable,
                      WdfRequestStopRequestCancelable); /* #2, marked cancelable */
    ck_assert_int_eq(s[2].done, 1);
    ck_assert_int_eq(s[2].status, STATUS_CANCELLED); /* completed in EvtIoStop */
    ck_assert_int_eq(s[1].done, 1);
    ck_assert_int_eq(s[1].status, STATUS_DELETE_PENDING); /* requeued, then purged */
    ck_assert_int_eq(s[0].done, 0); /* kept by the driver */
    ck_assert(strstr(seen.calls, "stop stop stop ") == seen.calls);
    rig_down(&r);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("kmdf/queues");
    TCase *tc = tcase_create("queues");

    tcase_add_test(tc, test_pnp_sequence_and_resources);
    tcase_add_test(tc, test_sequential_queue);
    tcase_add_test(tc, test_parallel_and_default_queues);
    tcase_add_test(tc, test_device_control_buffers);
    tcase_add_test(tc, test_zero_length_and_unhandled);
    tcase_add_test(tc, test_synchronization_scope);
    tcase_add_test(tc, test_remove_with_requests_out);
    tcase_add_test(tc, test_manual_queue);
    tcase_add_test(tc, test_cancellation);
    tcase_add_test(tc, test_stop_on_removal);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(make);
}
