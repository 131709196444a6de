/*
 * queue.c - I/O queues and requests, as wdfio.h and wdfrequest.h document them.
 *
 * Each read, write or device-control IRP becomes a WDFREQUEST, marked pending and put on the
 * queue WdfDeviceConfigureRequestDispatching named for its type, or the default queue. A
 * queue presents its requests by its dispatch type:
 *   sequential  one at a time: the next only when the driver completed the last
 *   parallel    as they come, up to Settings.Parallel.NumberOfPresentedRequests
 *   manual      never: the driver takes them with WdfIoQueueRetrieveNextRequest
 * to the callback for the type (EvtIoRead, EvtIoWrite, EvtIoDeviceControl,
 * EvtIoInternalDeviceControl), or EvtIoDefault; a type with neither is completed with
 * STATUS_INVALID_DEVICE_REQUEST, and a zero-length read or write with STATUS_SUCCESS unless
 * the queue allows them (AllowZeroLengthRequests). A power-managed queue (the default)
 * presents only while its device is in D0. With WdfSynchronizationScopeDevice (or Queue) the
 * callbacks run holding the device's (or queue's) lock, at DISPATCH_LEVEL.
 *
 * WdfRequestComplete completes the IRP and deletes the request: a second completion, or any
 * later use of the handle, is a WDF_VIOLATION finding.
 */
#include <stdlib.h>
#include <string.h>

#include "fx.h"

/* ---------------------------------------------------------------------------------------------
 * Presenting.
 */
static bool power_managed(const struct fx_queue *q)
{
    return q->config.PowerManaged != WdfFalse;
}

static bool may_present(const struct fx_queue *q)
{
    if (!q->started || (power_managed(q) && q->device->state != FX_PNP_STARTED))
        return false;
    switch (q->config.DispatchType) {
    case WdfIoQueueDispatchSequential:
        return q->presented == 0;
    case WdfIoQueueDispatchParallel:
        return q->config.Settings.Parallel.NumberOfPresentedRequests == (ULONG)-1 ||
               q->presented < q->config.Settings.Parallel.NumberOfPresentedRequests;
    default:
        return false;
    }
}

static struct fx_request *queue_pop(struct fx_queue *q)
{
    struct fx_request *r = q->head;

    if (r != NULL) {
        q->head = r->next;
        if (q->head == NULL)
            q->tail = NULL;
        r->next = NULL;
    }
    return r;
}

static void request_complete(struct fx_request *r, NTSTATUS status, ULONG_PTR information);

/* The driver holds r now (presented, retrieved, or handed to EvtIoCanceledOnQueue). */
static void own(struct fx_request *r)
{
    if (r->owned)
        return;
    r->owned = true;
    r->owned_next = r->device->owned;
    r->device->owned = r;
}

/* It does no more (completed, forwarded, requeued). */
static void disown(struct fx_request *r)
{
    struct fx_request **p = &r->device->owned;

    if (!r->owned)
        return;
    while (*p != NULL && *p != r)
        p = &(*p)->owned_next;
    if (*p == r)
        *p = r->owned_next;
    r->owned = false;
    r->owned_next = NULL;
}

static bool zero_length(const struct fx_request *r)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(r->irp);

    return (r->type == WdfRequestTypeRead && sp->Parameters.Read.Length == 0) ||
           (r->type == WdfRequestTypeWrite && sp->Parameters.Write.Length == 0);
}

/* The queue's synchronisation for a callback: its device's or its own lock by the scope,
 * taken unless a callback it serialises is running already (then NULL: nothing to release). */
struct sync_hold {
    PKSPIN_LOCK lock;
    bool *held;
    KIRQL old;
};

static void sync_enter(struct fx_queue *q, struct sync_hold *h)
{
    WDF_SYNCHRONIZATION_SCOPE scope = fx_sync_scope(&q->obj);

    h->lock = scope == WdfSynchronizationScopeDevice  ? &q->device->sync_lock
              : scope == WdfSynchronizationScopeQueue ? &q->lock
                                                      : NULL;
    h->held = h->lock == &q->device->sync_lock ? &q->device->sync_held : &q->lock_held;
    h->old = PASSIVE_LEVEL;
    if (h->lock != NULL && !*h->held) {
        KeAcquireSpinLock(h->lock, &h->old);
        *h->held = true;
    } else {
        h->lock = NULL;
    }
}

static void sync_leave(struct sync_hold *h)
{
    if (h->lock != NULL) {
        *h->held = false;
        KeReleaseSpinLock(h->lock, h->old);
    }
}

/* Hand r to the driver's callback for its type, under the queue's synchronisation. */
static void present(struct fx_queue *q, struct fx_request *r)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(r->irp);
    const WDF_IO_QUEUE_CONFIG *c = &q->config;
    WDFQUEUE qh = (WDFQUEUE)q->obj.handle;
    WDFREQUEST rh = (WDFREQUEST)r->obj.handle;
    struct sync_hold hold;
    struct dms_machine *m = dms_machine_current();
    uint64_t saved = 0;
    bool entered;

    if (!c->AllowZeroLengthRequests && zero_length(r)) {
        request_complete(r, STATUS_SUCCESS, 0);
        return;
    }
    r->delivered = true;
    /* presented from the completion of the request before it (a sequential queue), or
     * from a queue start: what the driver does now is this request's I/O */
    entered = dms_irp_context_enter(m, r->irp, &saved);
    sync_enter(q, &hold);
    switch (r->type) {
    case WdfRequestTypeRead:
        if (c->EvtIoRead != NULL)
            c->EvtIoRead(qh, rh, sp->Parameters.Read.Length);
        else if (c->EvtIoDefault != NULL)
            c->EvtIoDefault(qh, rh);
        else
            request_complete(r, STATUS_INVALID_DEVICE_REQUEST, 0);
        break;
    case WdfRequestTypeWrite:
        if (c->EvtIoWrite != NULL)
            c->EvtIoWrite(qh, rh, sp->Parameters.Write.Length);
        else if (c->EvtIoDefault != NULL)
            c->EvtIoDefault(qh, rh);
        else
            request_complete(r, STATUS_INVALID_DEVICE_REQUEST, 0);
        break;
    case WdfRequestTypeDeviceControl:
    case WdfRequestTypeDeviceControlInternal: {
        PFN_WDF_IO_QUEUE_IO_DEVICE_CONTROL fn = r->type == WdfRequestTypeDeviceControl
                                                    ? c->EvtIoDeviceControl
                                                    : c->EvtIoInternalDeviceControl;
        if (fn != NULL)
            fn(qh, rh, sp->Parameters.DeviceIoControl.OutputBufferLength,
               sp->Parameters.DeviceIoControl.InputBufferLength,
               sp->Parameters.DeviceIoControl.IoControlCode);
        else if (c->EvtIoDefault != NULL)
            c->EvtIoDefault(qh, rh);
        else
            request_complete(r, STATUS_INVALID_DEVICE_REQUEST, 0);
        break;
    }
    default:
        if (c->EvtIoDefault != NULL)
            c->EvtIoDefault(qh, rh);
        else
            request_complete(r, STATUS_INVALID_DEVICE_REQUEST, 0);
        break;
    }
    sync_leave(&hold);
    dms_irp_context_leave(m, entered, saved);
}

/* Present what the queue's dispatch type allows now. Re-entered from a completion inside a
 * callback, it returns at once: the outer call goes on presenting. */
static void queue_dispatch(struct fx_queue *q)
{
    if (q->dispatching)
        return;
    q->dispatching = true;
    while (q->head != NULL && may_present(q)) {
        struct fx_request *r = queue_pop(q);
        IoSetCancelRoutine(r->irp, NULL); /* the driver's now: cancelable only if it says */
        r->state = FX_REQ_PRESENTED;
        own(r);
        q->presented++;
        present(q, r);
    }
    q->dispatching = false;
}

/* ---------------------------------------------------------------------------------------------
 * Cancellation (wdf "Canceling I/O Requests"): a request waiting in a queue is the
 * framework's to cancel: completed with STATUS_CANCELLED, or, when the driver had it before and
 * forwarded it, given to the queue's EvtIoCanceledOnQueue. A request the driver holds is
 * cancelled only through the EvtRequestCancel it marked it with. The framework's own cancel
 * routine is set on the IRP while the request waits, or while the driver has it cancelable.
 */
static void queue_unlink(struct fx_queue *q, struct fx_request *r)
{
    struct fx_request **p = &q->head, *prev = NULL;

    while (*p != NULL && *p != r) {
        prev = *p;
        p = &(*p)->next;
    }
    if (*p != r)
        return;
    *p = r->next;
    if (q->tail == r)
        q->tail = prev;
    r->next = NULL;
}

/* The cancel of r, which waits in its queue or is the driver's and cancelable. */
static void request_cancel(struct fx_request *r)
{
    struct fx_queue *q = r->queue;
    WDFREQUEST rh = (WDFREQUEST)r->obj.handle;
    struct sync_hold hold;

    if (r->state == FX_REQ_QUEUED) {
        queue_unlink(q, r);
        r->state = FX_REQ_PRESENTED; /* out of the queue: the driver's, or completed now */
        q->presented++;
        if (r->delivered && q->config.EvtIoCanceledOnQueue != NULL) {
            own(r);
            sync_enter(q, &hold);
            q->config.EvtIoCanceledOnQueue((WDFQUEUE)q->obj.handle, rh);
            sync_leave(&hold);
        } else {
            request_complete(r, STATUS_CANCELLED, 0);
        }
        return;
    }
    if (r->state == FX_REQ_PRESENTED && r->cancelable) {
        r->cancelable = false;
        r->cancel_called = true;
        if (q != NULL)
            sync_enter(q, &hold);
        r->evt_cancel(rh);
        if (q != NULL)
            sync_leave(&hold);
    }
}

static VOID fx_irp_cancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    struct fx_request *r = Irp->Tail.Overlay.DriverContext[3];

    (void)DeviceObject;
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    if (r != NULL)
        request_cancel(r);
}

/* Set the framework's cancel routine on r's IRP; false when the IRP was cancelled already
 * (the routine is not left set: the caller cancels). */
static bool cancel_arm(struct fx_request *r)
{
    r->irp->Tail.Overlay.DriverContext[3] = r;
    IoSetCancelRoutine(r->irp, fx_irp_cancel);
    return !(r->irp->Cancel && IoSetCancelRoutine(r->irp, NULL) != NULL);
}

static void queue_append(struct fx_queue *q, struct fx_request *r)
{
    disown(r);
    r->stopping = false;
    r->queue = q;
    r->state = FX_REQ_QUEUED;
    r->next = NULL;
    if (q->tail != NULL)
        q->tail->next = r;
    else
        q->head = r;
    q->tail = r;
    if (!cancel_arm(r)) /* cancelled before it got here */
        request_cancel(r);
}

NTSTATUS fx_queue_irp(struct fx_device *d, PIRP irp)
{
    UCHAR major = IoGetCurrentIrpStackLocation(irp)->MajorFunction;
    struct fx_queue *q = major <= IRP_MJ_MAXIMUM_FUNCTION && d->dispatch[major] != NULL
                             ? d->dispatch[major]
                             : d->default_queue;
    struct fx_request *r;
    NTSTATUS status;

    if (q == NULL || d->state == FX_PNP_REMOVED) {
        irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
        irp->IoStatus.Information = 0;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    r = (struct fx_request *)fx_create(FX_REQUEST, sizeof(*r), "IRP dispatch", NULL, NULL,
                                       &status);
    if (r == NULL) {
        irp->IoStatus.Status = status;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return status;
    }
    r->obj.driver_may_delete = false; /* the framework's request: completed, never deleted */
    r->irp = irp;
    r->device = d;
    r->type = (WDF_REQUEST_TYPE)major;
    IoMarkIrpPending(irp);
    queue_append(q, r);
    queue_dispatch(q);
    return STATUS_PENDING;
}

void fx_queues_start(struct fx_device *d)
{
    for (struct fx_queue *q = d->queues; q != NULL; q = q->next)
        queue_dispatch(q);
}

void fx_queues_purge(struct fx_device *d, NTSTATUS status)
{
    for (struct fx_queue *q = d->queues; q != NULL; q = q->next) {
        struct fx_request *r;
        while ((r = queue_pop(q)) != NULL) {
            IoSetCancelRoutine(r->irp, NULL);
            r->state = FX_REQ_PRESENTED; /* completed from the queue, never presented */
            q->presented++;
            request_complete(r, status, 0);
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * Queues: the driver's calls.
 */
static void queue_release(struct fx_queue *q)
{
    struct fx_device *d = q->device;
    struct fx_queue **p = &d->queues;

    while (*p != NULL && *p != q)
        p = &(*p)->next;
    if (*p == q)
        *p = q->next;
    if (d->default_queue == q)
        d->default_queue = NULL;
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        if (d->dispatch[i] == q)
            d->dispatch[i] = NULL;
}

static void queue_release_obj(struct fx_object *o)
{
    queue_release((struct fx_queue *)o);
}

NTSTATUS WdfIoQueueCreate(WDFDEVICE Device, PWDF_IO_QUEUE_CONFIG Config,
                          PWDF_OBJECT_ATTRIBUTES QueueAttributes, WDFQUEUE *Queue)
{
    static const char routine[] = "WdfIoQueueCreate";
    struct fx_device *d = (struct fx_device *)fx_get(Device, FX_DEVICE, routine, false);
    struct fx_queue *q;
    NTSTATUS status;
    bool any;

    if (Queue != NULL)
        *Queue = NULL;
    if (d == NULL)
        return STATUS_INVALID_HANDLE;
    if (Config == NULL || Config->Size != sizeof(WDF_IO_QUEUE_CONFIG) ||
        Config->DispatchType <= WdfIoQueueDispatchInvalid ||
        Config->DispatchType >= WdfIoQueueDispatchMax) {
        fx_violation(routine, 0x4, 0, 0, "%s: no WDF_IO_QUEUE_CONFIG of the right size and a "
                     "dispatch type (WDF_IO_QUEUE_CONFIG_INIT it)", routine);
        return Config == NULL ? STATUS_INVALID_PARAMETER : STATUS_INFO_LENGTH_MISMATCH;
    }
    any = Config->EvtIoDefault || Config->EvtIoRead || Config->EvtIoWrite ||
          Config->EvtIoDeviceControl || Config->EvtIoInternalDeviceControl;
    if (Config->DispatchType == WdfIoQueueDispatchManual && any) {
        fx_violation(routine, 0x4, 0, 0, "%s: a manual queue presents nothing, so it takes no "
                     "EvtIoDefault/Read/Write/DeviceControl callback", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (Config->DispatchType != WdfIoQueueDispatchManual && !any)
        return STATUS_WDF_NO_CALLBACK;
    if (Config->DefaultQueue && d->default_queue != NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: the device has a default queue already", routine);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    q = (struct fx_queue *)fx_create(FX_QUEUE, sizeof(*q), routine, QueueAttributes, &d->obj,
                                     &status);
    if (q == NULL)
        return status;
    q->obj.release = queue_release_obj;
    q->device = d;
    q->config = *Config;
    q->started = true;
    KeInitializeSpinLock(&q->lock);
    q->next = d->queues;
    d->queues = q;
    if (Config->DefaultQueue)
        d->default_queue = q;
    if (Queue != NULL)
        *Queue = (WDFQUEUE)q->obj.handle;
    return STATUS_SUCCESS;
}

WDFDEVICE WdfIoQueueGetDevice(WDFQUEUE Queue)
{
    struct fx_queue *q = (struct fx_queue *)fx_get(Queue, FX_QUEUE, "WdfIoQueueGetDevice", false);

    return q != NULL ? (WDFDEVICE)q->device->obj.handle : NULL;
}

WDFQUEUE WdfDeviceGetDefaultQueue(WDFDEVICE Device)
{
    struct fx_device *d =
        (struct fx_device *)fx_get(Device, FX_DEVICE, "WdfDeviceGetDefaultQueue", false);

    return d != NULL && d->default_queue != NULL ? (WDFQUEUE)d->default_queue->obj.handle : NULL;
}

VOID WdfIoQueueStart(WDFQUEUE Queue)
{
    struct fx_queue *q = (struct fx_queue *)fx_get(Queue, FX_QUEUE, "WdfIoQueueStart", false);

    if (q != NULL) {
        q->started = true;
        queue_dispatch(q);
    }
}

NTSTATUS WdfDeviceConfigureRequestDispatching(WDFDEVICE Device, WDFQUEUE Queue,
                                              WDF_REQUEST_TYPE RequestType)
{
    static const char routine[] = "WdfDeviceConfigureRequestDispatching";
    struct fx_device *d = (struct fx_device *)fx_get(Device, FX_DEVICE, routine, false);
    struct fx_queue *q = (struct fx_queue *)fx_get(Queue, FX_QUEUE, routine, false);

    if (d == NULL || q == NULL)
        return STATUS_INVALID_HANDLE;
    if (q->device != d) {
        fx_violation(routine, 0x4, 0, 0, "%s: the queue is another device's", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (RequestType != WdfRequestTypeRead && RequestType != WdfRequestTypeWrite &&
        RequestType != WdfRequestTypeDeviceControl &&
        RequestType != WdfRequestTypeDeviceControlInternal) {
        fx_violation(routine, 0x4, (uint64_t)RequestType, 0,
                     "%s: requests of type %#x cannot be given a queue (read, write, device "
                     "control and internal device control can)", routine, (unsigned)RequestType);
        return STATUS_INVALID_PARAMETER;
    }
    if (d->dispatch[RequestType] != NULL && d->dispatch[RequestType] != q)
        return STATUS_WDF_BUSY; /* one queue per request type */
    d->dispatch[RequestType] = q;
    return STATUS_SUCCESS;
}

NTSTATUS WdfIoQueueRetrieveNextRequest(WDFQUEUE Queue, WDFREQUEST *OutRequest)
{
    static const char routine[] = "WdfIoQueueRetrieveNextRequest";
    struct fx_queue *q = (struct fx_queue *)fx_get(Queue, FX_QUEUE, routine, false);
    struct fx_request *r;

    if (OutRequest != NULL)
        *OutRequest = NULL;
    if (q == NULL || OutRequest == NULL)
        return q == NULL ? STATUS_INVALID_HANDLE : STATUS_INVALID_PARAMETER;
    if (q->config.DispatchType != WdfIoQueueDispatchManual)
        return STATUS_INVALID_DEVICE_REQUEST; /* documented: manual queues only */
    if (power_managed(q) && q->device->state != FX_PNP_STARTED)
        return STATUS_WDF_PAUSED;
    r = queue_pop(q);
    if (r == NULL)
        return STATUS_NO_MORE_ENTRIES;
    IoSetCancelRoutine(r->irp, NULL);
    r->delivered = true;
    r->state = FX_REQ_PRESENTED;
    own(r);
    q->presented++;
    *OutRequest = (WDFREQUEST)r->obj.handle;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------------------------
 * Requests.
 */
static struct fx_request *request_get(WDFREQUEST Request, const char *routine)
{
    return (struct fx_request *)fx_get(Request, FX_REQUEST, routine, false);
}

static void request_complete(struct fx_request *r, NTSTATUS status, ULONG_PTR information)
{
    PIRP irp = r->irp;
    struct fx_queue *q = r->queue;

    if (r->state == FX_REQ_PRESENTED && q != NULL)
        q->presented--;
    r->state = FX_REQ_COMPLETED;
    disown(r);
    IoSetCancelRoutine(irp, NULL);
    irp->Tail.Overlay.DriverContext[3] = NULL;
    if (r->own_mdl != NULL)
        IoFreeMdl(r->own_mdl);
    r->own_mdl = NULL;
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    r->obj.driver_may_delete = true;
    fx_delete(&r->obj); /* the handle dies with the completion */
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    if (q != NULL)
        queue_dispatch(q);
}

static void complete_checked(WDFREQUEST Request, NTSTATUS status, bool with_information,
                             ULONG_PTR information, const char *routine)
{
    struct fx_request *r = request_get(Request, routine);

    if (r == NULL)
        return;
    if (KeGetCurrentIrql() > DISPATCH_LEVEL) {
        dms_report_finding(dms_machine_current(), routine, DMS_E6_WRONG_IRQL, 0, 0, 0,
                           "%s above DISPATCH_LEVEL (IRQL %u): the request is not completed",
                           routine, (unsigned)KeGetCurrentIrql());
        return;
    }
    if (r->state == FX_REQ_QUEUED) {
        fx_violation(routine, 0x6, 0x5, (uint64_t)(uintptr_t)Request,
                     "%s of a request still in its queue (never presented or retrieved)",
                     routine);
        return;
    }
    if (r->cancelable) /* completed all the same: the framework takes its cancel routine off */
        fx_violation(routine, 0x6, 0x6, (uint64_t)(uintptr_t)Request,
                     "%s of a request still marked cancelable: call WdfRequestUnmarkCancelable "
                     "first, and complete it only if that does not return STATUS_CANCELLED "
                     "(the ReqNotCanceledLocal rule)", routine);
    request_complete(r, status, with_information ? information : r->information);
}

VOID WdfRequestComplete(WDFREQUEST Request, NTSTATUS Status)
{
    complete_checked(Request, Status, false, 0, "WdfRequestComplete");
}

VOID WdfRequestCompleteWithInformation(WDFREQUEST Request, NTSTATUS Status,
                                       ULONG_PTR Information)
{
    complete_checked(Request, Status, true, Information, "WdfRequestCompleteWithInformation");
}

VOID WdfRequestCompleteWithPriorityBoost(WDFREQUEST Request, NTSTATUS Status,
                                         CCHAR PriorityBoost)
{
    (void)PriorityBoost;
    complete_checked(Request, Status, false, 0, "WdfRequestCompleteWithPriorityBoost");
}

VOID WdfRequestSetInformation(WDFREQUEST Request, ULONG_PTR Information)
{
    struct fx_request *r = request_get(Request, "WdfRequestSetInformation");

    if (r != NULL)
        r->information = Information;
}

ULONG_PTR WdfRequestGetInformation(WDFREQUEST Request)
{
    struct fx_request *r = request_get(Request, "WdfRequestGetInformation");

    return r != NULL ? r->information : 0;
}

NTSTATUS WdfRequestGetStatus(WDFREQUEST Request)
{
    struct fx_request *r = request_get(Request, "WdfRequestGetStatus");

    return r != NULL ? r->irp->IoStatus.Status : STATUS_INVALID_HANDLE;
}

WDFQUEUE WdfRequestGetIoQueue(WDFREQUEST Request)
{
    struct fx_request *r = request_get(Request, "WdfRequestGetIoQueue");

    return r != NULL && r->queue != NULL ? (WDFQUEUE)r->queue->obj.handle : NULL;
}

PIRP WdfRequestWdmGetIrp(WDFREQUEST Request)
{
    struct fx_request *r = request_get(Request, "WdfRequestWdmGetIrp");

    return r != NULL ? r->irp : NULL;
}

KPROCESSOR_MODE WdfRequestGetRequestorMode(WDFREQUEST Request)
{
    struct fx_request *r = request_get(Request, "WdfRequestGetRequestorMode");

    return r != NULL ? r->irp->RequestorMode : KernelMode;
}

VOID WdfRequestGetParameters(WDFREQUEST Request, PWDF_REQUEST_PARAMETERS Parameters)
{
    struct fx_request *r = request_get(Request, "WdfRequestGetParameters");
    PIO_STACK_LOCATION sp;

    if (r == NULL || Parameters == NULL)
        return;
    sp = IoGetCurrentIrpStackLocation(r->irp);
    WDF_REQUEST_PARAMETERS_INIT(Parameters);
    Parameters->Type = r->type;
    Parameters->MinorFunction = sp->MinorFunction;
    switch (r->type) {
    case WdfRequestTypeRead:
        Parameters->Parameters.Read.Length = sp->Parameters.Read.Length;
        Parameters->Parameters.Read.Key = sp->Parameters.Read.Key;
        Parameters->Parameters.Read.DeviceOffset = sp->Parameters.Read.ByteOffset.QuadPart;
        break;
    case WdfRequestTypeWrite:
        Parameters->Parameters.Write.Length = sp->Parameters.Write.Length;
        Parameters->Parameters.Write.Key = sp->Parameters.Write.Key;
        Parameters->Parameters.Write.DeviceOffset = sp->Parameters.Write.ByteOffset.QuadPart;
        break;
    case WdfRequestTypeDeviceControl:
    case WdfRequestTypeDeviceControlInternal:
        Parameters->Parameters.DeviceIoControl.OutputBufferLength =
            sp->Parameters.DeviceIoControl.OutputBufferLength;
        Parameters->Parameters.DeviceIoControl.InputBufferLength =
            sp->Parameters.DeviceIoControl.InputBufferLength;
        Parameters->Parameters.DeviceIoControl.IoControlCode =
            sp->Parameters.DeviceIoControl.IoControlCode;
        Parameters->Parameters.DeviceIoControl.Type3InputBuffer =
            sp->Parameters.DeviceIoControl.Type3InputBuffer;
        break;
    default:
        Parameters->Parameters.Others.Arg1 = sp->Parameters.Others.Argument1;
        Parameters->Parameters.Others.Arg2 = sp->Parameters.Others.Argument2;
        Parameters->Parameters.Others.Arg4 = sp->Parameters.Others.Argument4;
        break;
    }
}

/* Where a request's input (or output) buffer is, as the request's type and the device's (or
 * the control code's) transfer method say; *mdl gets the IRP's MDL when it is direct I/O. */
static NTSTATUS request_buffer(struct fx_request *r, bool output, PVOID *buffer, size_t *length,
                               PMDL *mdl)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(r->irp);
    PIRP irp = r->irp;
    ULONG method;

    *buffer = NULL;
    *length = 0;
    *mdl = NULL;
    switch (r->type) {
    case WdfRequestTypeRead:
    case WdfRequestTypeWrite:
        if (output != (r->type == WdfRequestTypeRead))
            return STATUS_INVALID_DEVICE_REQUEST; /* a read has no input, a write no output */
        *length = r->type == WdfRequestTypeRead ? sp->Parameters.Read.Length
                                                 : sp->Parameters.Write.Length;
        if (r->device->wdm->Flags & DO_DIRECT_IO) {
            *mdl = irp->MdlAddress;
            *buffer = irp->MdlAddress != NULL
                          ? MmGetSystemAddressForMdlSafe(irp->MdlAddress, NormalPagePriority)
                          : NULL;
        } else if (r->device->wdm->Flags & DO_BUFFERED_IO) {
            *buffer = irp->AssociatedIrp.SystemBuffer;
        } else {
            return STATUS_INVALID_DEVICE_REQUEST; /* neither I/O */
        }
        return STATUS_SUCCESS;
    case WdfRequestTypeDeviceControl:
    case WdfRequestTypeDeviceControlInternal:
        method = METHOD_FROM_CTL_CODE(sp->Parameters.DeviceIoControl.IoControlCode);
        *length = output ? sp->Parameters.DeviceIoControl.OutputBufferLength
                         : sp->Parameters.DeviceIoControl.InputBufferLength;
        if (method == METHOD_NEITHER) {
            if (r->type != WdfRequestTypeDeviceControlInternal)
                return STATUS_INVALID_DEVICE_REQUEST;
            *buffer = output ? irp->UserBuffer : sp->Parameters.DeviceIoControl.Type3InputBuffer;
        } else if (output && method != METHOD_BUFFERED) {
            *mdl = irp->MdlAddress;
            *buffer = irp->MdlAddress != NULL
                          ? MmGetSystemAddressForMdlSafe(irp->MdlAddress, NormalPagePriority)
                          : NULL;
        } else {
            *buffer = irp->AssociatedIrp.SystemBuffer;
        }
        return STATUS_SUCCESS;
    default:
        return STATUS_INVALID_DEVICE_REQUEST;
    }
}

static NTSTATUS retrieve_buffer(WDFREQUEST Request, bool output, size_t minimum, PVOID *Buffer,
                                size_t *Length, const char *routine)
{
    struct fx_request *r = request_get(Request, routine);
    PVOID buffer;
    size_t length;
    PMDL mdl;
    NTSTATUS status;

    if (Buffer != NULL)
        *Buffer = NULL;
    if (Length != NULL)
        *Length = 0;
    if (r == NULL)
        return STATUS_INVALID_HANDLE;
    if (Buffer == NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: Buffer is NULL", routine);
        return STATUS_INVALID_PARAMETER;
    }
    status = request_buffer(r, output, &buffer, &length, &mdl);
    if (!NT_SUCCESS(status))
        return status;
    if (length == 0 || length < minimum)
        return STATUS_BUFFER_TOO_SMALL;
    if (buffer == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    *Buffer = buffer;
    if (Length != NULL)
        *Length = length;
    return STATUS_SUCCESS;
}

NTSTATUS WdfRequestRetrieveInputBuffer(WDFREQUEST Request, size_t MinimumRequiredLength,
                                       PVOID *Buffer, size_t *Length)
{
    return retrieve_buffer(Request, false, MinimumRequiredLength, Buffer, Length,
                           "WdfRequestRetrieveInputBuffer");
}

NTSTATUS WdfRequestRetrieveOutputBuffer(WDFREQUEST Request, size_t MinimumRequiredSize,
                                        PVOID *Buffer, size_t *Length)
{
    return retrieve_buffer(Request, true, MinimumRequiredSize, Buffer, Length,
                           "WdfRequestRetrieveOutputBuffer");
}

/* An MDL over a buffered request's system buffer, built once and freed at completion. */
static NTSTATUS own_mdl(struct fx_request *r, PVOID buffer, size_t length, PMDL *mdl)
{
    if (buffer == NULL || length == 0 || length > 0xFFFFFFFFu)
        return STATUS_INVALID_DEVICE_REQUEST;
    if (r->own_mdl == NULL) {
        r->own_mdl = IoAllocateMdl(buffer, (ULONG)length, FALSE, FALSE, NULL);
        if (r->own_mdl == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        MmBuildMdlForNonPagedPool(r->own_mdl);
    }
    *mdl = r->own_mdl;
    return STATUS_SUCCESS;
}

NTSTATUS fx_request_dma_buffer(struct fx_request *r, WDF_DMA_DIRECTION dir, PMDL *mdl,
                               size_t *length)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(r->irp);
    bool to_device = dir == WdfDmaDirectionWriteToDevice;
    PVOID buffer;
    ULONG method;
    NTSTATUS status;

    *mdl = NULL;
    *length = 0;
    switch (r->type) {
    case WdfRequestTypeRead:
    case WdfRequestTypeWrite:
        /* a read goes from the device, a write to it */
        if (to_device != (r->type == WdfRequestTypeWrite))
            return STATUS_INVALID_DEVICE_REQUEST;
        status = request_buffer(r, !to_device, &buffer, length, mdl);
        break;
    case WdfRequestTypeDeviceControl:
    case WdfRequestTypeDeviceControlInternal:
        method = METHOD_FROM_CTL_CODE(sp->Parameters.DeviceIoControl.IoControlCode);
        if ((method == METHOD_IN_DIRECT && !to_device) ||
            (method == METHOD_OUT_DIRECT && to_device) || method == METHOD_NEITHER)
            return STATUS_INVALID_DEVICE_REQUEST;
        if (method == METHOD_BUFFERED)
            status = request_buffer(r, !to_device, &buffer, length, mdl);
        else /* the direct buffer is the output one, whichever way it goes */
            status = request_buffer(r, true, &buffer, length, mdl);
        break;
    default:
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    if (!NT_SUCCESS(status))
        return status;
    if (*length == 0)
        return STATUS_INVALID_DEVICE_REQUEST;
    return *mdl != NULL ? STATUS_SUCCESS : own_mdl(r, buffer, *length, mdl);
}

/* The MDL of a request's buffer: the IRP's under direct I/O; for a buffered one, an MDL the
 * framework builds over the system buffer and frees when the request completes. */
static NTSTATUS retrieve_mdl(WDFREQUEST Request, bool output, PMDL *Mdl, const char *routine)
{
    struct fx_request *r = request_get(Request, routine);
    PVOID buffer;
    size_t length;
    PMDL mdl;
    NTSTATUS status;

    if (Mdl != NULL)
        *Mdl = NULL;
    if (r == NULL)
        return STATUS_INVALID_HANDLE;
    if (Mdl == NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: Mdl is NULL", routine);
        return STATUS_INVALID_PARAMETER;
    }
    status = request_buffer(r, output, &buffer, &length, &mdl);
    if (!NT_SUCCESS(status))
        return status;
    if (length == 0)
        return STATUS_BUFFER_TOO_SMALL;
    if (mdl == NULL) {
        status = own_mdl(r, buffer, length, &mdl);
        if (!NT_SUCCESS(status))
            return status;
    }
    *Mdl = mdl;
    return STATUS_SUCCESS;
}

NTSTATUS WdfRequestRetrieveInputWdmMdl(WDFREQUEST Request, PMDL *Mdl)
{
    return retrieve_mdl(Request, false, Mdl, "WdfRequestRetrieveInputWdmMdl");
}

NTSTATUS WdfRequestRetrieveOutputWdmMdl(WDFREQUEST Request, PMDL *Mdl)
{
    return retrieve_mdl(Request, true, Mdl, "WdfRequestRetrieveOutputWdmMdl");
}

/* ---------------------------------------------------------------------------------------------
 * Cancellation and forwarding: the driver's calls.
 */
static NTSTATUS mark_cancelable(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel,
                                bool ex, const char *routine)
{
    struct fx_request *r = request_get(Request, routine);

    if (r == NULL)
        return STATUS_INVALID_HANDLE;
    if (EvtRequestCancel == NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s without an EvtRequestCancel", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (r->state != FX_REQ_PRESENTED || r->cancelable) {
        fx_violation(routine, 0x6, 0x7, (uint64_t)(uintptr_t)Request, "%s of a request %s",
                     routine, r->cancelable ? "cancelable already"
                                            : "the driver does not own (still in a queue)");
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    r->evt_cancel = EvtRequestCancel;
    r->cancelable = true;
    if (cancel_arm(r))
        return STATUS_SUCCESS;
    /* cancelled before it was marked: MarkCancelable calls EvtRequestCancel before it
     * returns, MarkCancelableEx leaves the cancel to the driver */
    if (ex) {
        r->cancelable = false;
        return STATUS_CANCELLED;
    }
    request_cancel(r);
    return STATUS_SUCCESS;
}

VOID WdfRequestMarkCancelable(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel)
{
    (void)mark_cancelable(Request, EvtRequestCancel, false, "WdfRequestMarkCancelable");
}

NTSTATUS WdfRequestMarkCancelableEx(WDFREQUEST Request, PFN_WDF_REQUEST_CANCEL EvtRequestCancel)
{
    return mark_cancelable(Request, EvtRequestCancel, true, "WdfRequestMarkCancelableEx");
}

NTSTATUS WdfRequestUnmarkCancelable(WDFREQUEST Request)
{
    static const char routine[] = "WdfRequestUnmarkCancelable";
    struct fx_request *r = request_get(Request, routine);

    if (r == NULL)
        return STATUS_INVALID_HANDLE;
    if (r->state != FX_REQ_PRESENTED)
        return STATUS_INVALID_DEVICE_REQUEST; /* the driver does not own it */
    if (r->cancel_called)
        return STATUS_CANCELLED; /* EvtRequestCancel has it: it completes the request */
    if (!r->cancelable)
        return STATUS_INVALID_PARAMETER; /* not cancelable */
    r->cancelable = false;
    if (IoSetCancelRoutine(r->irp, NULL) == NULL) {
        /* the I/O manager took the routine: the cancel is under way and will call it */
        r->cancel_called = true;
        return STATUS_CANCELLED;
    }
    return STATUS_SUCCESS;
}

BOOLEAN WdfRequestIsCanceled(WDFREQUEST Request)
{
    struct fx_request *r = request_get(Request, "WdfRequestIsCanceled");

    return r != NULL && r->irp->Cancel;
}

NTSTATUS WdfRequestForwardToIoQueue(WDFREQUEST Request, WDFQUEUE DestinationQueue)
{
    static const char routine[] = "WdfRequestForwardToIoQueue";
    struct fx_request *r = request_get(Request, routine);
    struct fx_queue *to = (struct fx_queue *)fx_get(DestinationQueue, FX_QUEUE, routine, false);
    struct fx_queue *from;

    if (r == NULL || to == NULL)
        return STATUS_INVALID_HANDLE;
    if (r->state != FX_REQ_PRESENTED || r->cancelable || to->device != r->device ||
        to == r->queue) {
        fx_violation(routine, 0x6, 0x8, (uint64_t)(uintptr_t)Request,
                     "%s of a request %s", routine,
                     r->state != FX_REQ_PRESENTED ? "the driver does not own"
                     : r->cancelable              ? "marked cancelable (unmark it first)"
                     : to->device != r->device    ? "to another device's queue"
                                                  : "to the queue it came from");
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    from = r->queue;
    if (from != NULL)
        from->presented--;
    queue_append(to, r); /* cancelled while it waits: EvtIoCanceledOnQueue, if any */
    if (from != NULL)
        queue_dispatch(from);
    queue_dispatch(to);
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------------------------
 * Stopping: the device is being removed.
 */
void fx_queues_stop(struct fx_device *d)
{
    /* a callback may complete (unlink) the request it is given, or others: walk a snapshot */
    size_t n = 0, i = 0;
    struct fx_request **list;

    for (struct fx_request *r = d->owned; r != NULL; r = r->owned_next)
        n++;
    if (n == 0 || (list = calloc(n, sizeof(*list))) == NULL)
        return;
    for (struct fx_request *r = d->owned; r != NULL; r = r->owned_next)
        list[i++] = r;
    for (i = 0; i < n; i++) {
        struct fx_request *r = list[i];
        struct fx_queue *q = r->queue;
        struct sync_hold hold;
        ULONG flags = WdfRequestStopActionPurge;
        bool still = false;

        for (struct fx_request *o = d->owned; o != NULL && !still; o = o->owned_next)
            still = o == r;
        if (!still || q == NULL || !power_managed(q) || q->config.EvtIoStop == NULL)
            continue;
        if (r->cancelable)
            flags |= WdfRequestStopRequestCancelable;
        r->stopping = true;
        sync_enter(q, &hold);
        q->config.EvtIoStop((WDFQUEUE)q->obj.handle, (WDFREQUEST)r->obj.handle, flags);
        sync_leave(&hold);
    }
    free(list);
}

VOID WdfRequestStopAcknowledge(WDFREQUEST Request, BOOLEAN Requeue)
{
    static const char routine[] = "WdfRequestStopAcknowledge";
    struct fx_request *r = request_get(Request, routine);
    struct fx_queue *q;

    if (r == NULL)
        return;
    if (!r->stopping) {
        fx_violation(routine, 0x6, 0x9, (uint64_t)(uintptr_t)Request,
                     "%s of a request the framework is not stopping (call it from EvtIoStop, "
                     "or after it, once)", routine);
        return;
    }
    r->stopping = false;
    q = r->queue;
    if (!Requeue || q == NULL)
        return; /* the driver keeps it, and completes it */
    /* back to the head of its queue: a removal completes it from there */
    if (r->cancelable) {
        fx_violation(routine, 0x6, 0xA, (uint64_t)(uintptr_t)Request,
                     "%s requeues a request still marked cancelable (unmark it first)",
                     routine);
        return;
    }
    q->presented--;
    disown(r);
    r->state = FX_REQ_QUEUED;
    r->next = q->head;
    q->head = r;
    if (q->tail == NULL)
        q->tail = r;
    if (!cancel_arm(r))
        request_cancel(r);
}
