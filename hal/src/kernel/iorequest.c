/*
 * iorequest.c - the simulator's side of the I/O manager and the PnP manager: loading a
 * driver (DriverEntry), AddDevice, the PnP start with a device's resources, and requests sent
 * as IRPs with their buffers prepared the way the device object asks (buffered, direct or
 * neither), down to their completion.
 *
 * The simulator calls these at PASSIVE_LEVEL from its own work. Each call into a driver runs
 * on a kernel thread (thread.c), so a dispatch routine may wait; a request completes when
 * completion reaches the top of the stack, whenever that is, and its done routine then runs.
 * The synchronous forms run the platform until the request is over (the trivial platform's
 * queued work and timers, or the simulator's event loop), for set-up and for tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

#define IO_TYPE_FILE 5

/* ---------------------------------------------------------------------------------------------
 * Drivers.
 */
struct entry_call {
    struct driver *drv;
    PDRIVER_INITIALIZE entry;
    UNICODE_STRING registry_path;
    WCHAR path[160];
};

static void entry_thread(void *arg)
{
    struct entry_call *c = arg;
    uint32_t held = c->drv->m->kern->locks_held;

    c->drv->entry_status = c->entry(c->drv->obj, &c->registry_path);
    hal_locks_check(c->drv->m, held, "DriverEntry");
    c->drv->entry_done = true;
}

static bool entry_finished(void *arg)
{
    return ((struct entry_call *)arg)->drv->entry_done;
}

/* dms_driver_load - create the driver object "\Driver\NAME" and call its DriverEntry at
 * PASSIVE_LEVEL, as the I/O manager does when it loads a driver. Returns DriverEntry's status
 * (and the object in *out even then, so its findings can be named), or
 * STATUS_INSUFFICIENT_RESOURCES, or STATUS_DRIVER_INTERNAL_ERROR if DriverEntry never
 * returned (it waits for something nothing will do). */
NTSTATUS dms_driver_load(struct dms_machine *m, const char *name, PDRIVER_INITIALIZE entry,
                         PDRIVER_OBJECT *out)
{
    struct dms_machine *prev = dms_machine_enter(m);
    struct entry_call *c = calloc(1, sizeof(*c));
    char object_name[80], path[160];
    NTSTATUS status = STATUS_INSUFFICIENT_RESOURCES;

    *out = NULL;
    snprintf(object_name, sizeof(object_name), "\\Driver\\%s", name);
    if (c == NULL || entry == NULL || (c->drv = driver_new(m, object_name)) == NULL)
        goto out;
    snprintf(path, sizeof(path),
             "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\%s", name);
    hal_widen(c->path, sizeof(c->path) / sizeof(c->path[0]), path);
    RtlInitUnicodeString(&c->registry_path, c->path);
    c->drv->obj->DriverInit = entry;
    c->entry = entry;
    *out = c->drv->obj;
    if (hal_thread_start(m, entry_thread, c) != 0)
        goto out;
    if (!hal_run_until(m, entry_finished, c)) {
        hal_finding(m, NULL, "DriverEntry", DMS_CHECK_DRIVER, 0, 0, 0,
                    "DriverEntry of %s never returned: it waits for something nothing left "
                    "to run will do", name);
        status = STATUS_DRIVER_INTERNAL_ERROR;
        c = NULL; /* its thread still holds it; the machine's end takes both */
        goto out;
    }
    status = c->drv->entry_status;
    c->drv->loaded = NT_SUCCESS(status);
out:
    free(c);
    dms_machine_enter(prev);
    return status;
}

struct add_call {
    PDRIVER_OBJECT drv;
    PDEVICE_OBJECT pdo;
    NTSTATUS status;
    bool done;
    struct dms_machine *m;
};

static void add_thread(void *arg)
{
    struct add_call *c = arg;
    uint32_t held = c->m->kern->locks_held;

    c->status = c->drv->DriverExtension->AddDevice(c->drv, c->pdo);
    hal_locks_check(c->m, held, "AddDevice");
    c->done = true;
}

static bool add_finished(void *arg)
{
    return ((struct add_call *)arg)->done;
}

/* dms_driver_add_device - the PnP manager found pdo for driver: call its AddDevice. A device
 * object left with DO_DEVICE_INITIALIZING set is a finding (nothing could be sent to it on
 * Windows). Returns AddDevice's status, or STATUS_INVALID_DEVICE_REQUEST for a driver that
 * has no AddDevice (a legacy driver creates its devices in DriverEntry). */
NTSTATUS dms_driver_add_device(PDRIVER_OBJECT driver, PDEVICE_OBJECT pdo)
{
    struct dms_machine *m = hal_machine();
    struct driver *drv = driver_of(m, driver);
    struct device *p = device_of(pdo);
    struct add_call *c;
    NTSTATUS status;

    if (drv == NULL || p == NULL || !drv->loaded)
        return STATUS_INVALID_PARAMETER;
    if (driver->DriverExtension->AddDevice == NULL)
        return STATUS_INVALID_DEVICE_REQUEST;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    *c = (struct add_call){driver, pdo, STATUS_UNSUCCESSFUL, false, m};
    if (hal_thread_start(m, add_thread, c) != 0) {
        free(c);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (!hal_run_until(m, add_finished, c)) {
        hal_finding(m, NULL, "AddDevice", DMS_CHECK_DRIVER, 0, 0, 0,
                    "AddDevice of %s never returned", drv->name);
        return STATUS_DRIVER_INTERNAL_ERROR; /* c stays with its thread */
    }
    status = c->status;
    free(c);
    if (NT_SUCCESS(status) && p->upper != NULL &&
        (p->upper->obj->Flags & DO_DEVICE_INITIALIZING)) {
        hal_finding(m, NULL, "AddDevice", DMS_CHECK_DRIVER, (uintptr_t)p->upper->obj, 0, 0,
                    "AddDevice of %s left DO_DEVICE_INITIALIZING set on its device object "
                    "(clear it once the device object is ready)", drv->name);
        p->upper->obj->Flags &= ~DO_DEVICE_INITIALIZING;
    }
    return status;
}

/* dms_driver_unload - the driver's Unload routine, if it has one. */
void dms_driver_unload(PDRIVER_OBJECT driver)
{
    struct dms_machine *m = hal_machine();
    struct driver *drv = driver_of(m, driver);

    if (drv != NULL && drv->loaded && driver->DriverUnload != NULL) {
        driver->DriverUnload(driver);
        drv->loaded = false;
    }
}

PDEVICE_OBJECT dms_device_top(PDEVICE_OBJECT dev)
{
    struct device *d = device_of(dev);

    return d != NULL ? stack_top(d)->obj : NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Requests.
 */
/* The I/O manager's completion: copy buffered data back, release what it built, tell the
 * requester. The IRP's memory is kept until its dispatch routine has returned too, so a
 * driver that touches an IRP it completed does not fault the host. */
void iomgr_finish(struct irp_node *n)
{
    PIRP irp = n->irp;
    ULONG_PTR info = irp->IoStatus.Information;

    if (n->out != NULL && n->system_buffer != NULL && NT_SUCCESS(irp->IoStatus.Status))
        memcpy(n->out, n->system_buffer, info < n->out_length ? info : n->out_length);
    if (n->own_mdl != NULL) {
        if (n->own_mdl->MdlFlags & MDL_PAGES_LOCKED)
            MmUnlockPages(n->own_mdl);
        IoFreeMdl(n->own_mdl);
        n->own_mdl = NULL;
    }
    free(n->system_buffer);
    n->system_buffer = NULL;
    irp->AssociatedIrp.SystemBuffer = NULL;
    n->finished = true;
    irp_sent_unlink(n);
    if (n->done != NULL)
        n->done(n->done_ctx, irp->IoStatus.Status, info);
    if (n->dispatch_returned)
        irp_release(n);
}

/* The rules of the dispatch routine's return (IoMarkIrpPending's page; Driver Verifier). */
static void dispatch_returned(struct dms_machine *m, struct irp_node *n, struct device *d)
{
    PIRP irp = n->irp;
    NTSTATUS status = n->dispatch_status;

    if (status == STATUS_PENDING) {
        bool marked = n->completed ? n->pending_returned
                                   : (IoGetCurrentIrpStackLocation(irp)->Control &
                                      SL_PENDING_RETURNED) != 0;
        if (!marked)
            hal_finding(m, NULL, "dispatch", DMS_CHECK_IRP, (uintptr_t)irp, 0, 0,
                        "%s's dispatch routine returned STATUS_PENDING without marking the "
                        "IRP pending (IoMarkIrpPending)", d->name);
    } else if (!n->completed) {
        hal_finding(m, NULL, "dispatch", DMS_CHECK_IRP, (uintptr_t)irp, (ULONG)status, 0,
                    "%s's dispatch routine returned 0x%08x without completing the IRP: "
                    "return STATUS_PENDING for a request completed later", d->name,
                    (unsigned)status);
    } else if (n->pending_returned) {
        hal_finding(m, NULL, "dispatch", DMS_CHECK_IRP, (uintptr_t)irp, (ULONG)status, 0,
                    "%s's dispatch routine marked the IRP pending but returned 0x%08x "
                    "(after IoMarkIrpPending it must return STATUS_PENDING)", d->name,
                    (unsigned)status);
    }
}

/* Shared by the sender and the thread that runs the dispatch routine: whichever is done
 * with it last frees it. */
struct send_call {
    struct irp_node *n;
    PDEVICE_OBJECT target;
    NTSTATUS status;
    bool returned;
    bool sender_gone;
};

static void send_thread(void *arg)
{
    struct send_call *c = arg;
    struct irp_node *n = c->n;
    struct dms_machine *m = n->m;
    uint32_t held = m->kern->locks_held;

    n->dispatch_status = IofCallDriver(c->target, n->irp);
    hal_locks_check(m, held, "a dispatch routine");
    dispatch_returned(m, n, device_of(c->target));
    n->dispatch_returned = true;
    c->status = n->dispatch_status;
    c->returned = true;
    if (n->finished)
        irp_release(n);
    if (c->sender_gone)
        spares_put(&m->kern->sends, c);
}

void iorequest_spares_init(struct dms_machine *m)
{
    spares_init(&m->kern->sends, sizeof(struct send_call), _Alignof(struct send_call),
                SPARES_KEPT);
}

/* Prepare the IRP's buffers the way the target asks: DO_BUFFERED_IO copies through a system
 * buffer, DO_DIRECT_IO locks the caller's buffer behind an MDL, neither hands the pointer on.
 * IOCTLs take the transfer type of their code. */
static NTSTATUS prepare_buffers(struct irp_node *n, PDEVICE_OBJECT top,
                                const struct dms_request *req, PIO_STACK_LOCATION sp)
{
    PIRP irp = n->irp;
    ULONG method;

    switch (req->major) {
    case IRP_MJ_READ:
    case IRP_MJ_WRITE:
        sp->Parameters.Read.Length = req->length;
        sp->Parameters.Read.ByteOffset.QuadPart = req->offset;
        if (req->length == 0)
            return STATUS_SUCCESS;
        if (top->Flags & DO_BUFFERED_IO) {
            n->system_buffer = calloc(1, req->length);
            if (n->system_buffer == NULL)
                return STATUS_INSUFFICIENT_RESOURCES;
            if (req->major == IRP_MJ_WRITE)
                memcpy(n->system_buffer, req->buffer, req->length);
            else
                n->out = req->buffer, n->out_length = req->length;
            irp->AssociatedIrp.SystemBuffer = n->system_buffer;
            irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER |
                          (req->major == IRP_MJ_READ ? IRP_INPUT_OPERATION : 0);
        } else if (top->Flags & DO_DIRECT_IO) {
            if (req->mdl != NULL) {
                irp->MdlAddress = req->mdl;
            } else {
                n->own_mdl = IoAllocateMdl(req->buffer, req->length, FALSE, FALSE, NULL);
                if (n->own_mdl == NULL)
                    return STATUS_INSUFFICIENT_RESOURCES;
                MmProbeAndLockPages(n->own_mdl, KernelMode,
                                    req->major == IRP_MJ_READ ? IoWriteAccess : IoReadAccess);
                irp->MdlAddress = n->own_mdl;
            }
        } else {
            irp->UserBuffer = req->buffer;
        }
        return STATUS_SUCCESS;
    case IRP_MJ_DEVICE_CONTROL:
    case IRP_MJ_INTERNAL_DEVICE_CONTROL:
        sp->Parameters.DeviceIoControl.IoControlCode = req->ioctl;
        sp->Parameters.DeviceIoControl.InputBufferLength = req->in_length;
        sp->Parameters.DeviceIoControl.OutputBufferLength = req->out_length;
        method = METHOD_FROM_CTL_CODE(req->ioctl);
        if (method == METHOD_NEITHER) {
            sp->Parameters.DeviceIoControl.Type3InputBuffer = req->in;
            irp->UserBuffer = req->out;
            return STATUS_SUCCESS;
        }
        if (method == METHOD_BUFFERED || req->in_length > 0) {
            ULONG len = method == METHOD_BUFFERED && req->out_length > req->in_length
                            ? req->out_length : req->in_length;
            if (len > 0) {
                n->system_buffer = calloc(1, len);
                if (n->system_buffer == NULL)
                    return STATUS_INSUFFICIENT_RESOURCES;
                if (req->in_length > 0)
                    memcpy(n->system_buffer, req->in, req->in_length);
                irp->AssociatedIrp.SystemBuffer = n->system_buffer;
            }
            if (method == METHOD_BUFFERED && req->out_length > 0)
                n->out = req->out, n->out_length = req->out_length;
        }
        if (method != METHOD_BUFFERED && req->out_length > 0) {
            n->own_mdl = IoAllocateMdl(req->out, req->out_length, FALSE, FALSE, NULL);
            if (n->own_mdl == NULL)
                return STATUS_INSUFFICIENT_RESOURCES;
            MmProbeAndLockPages(n->own_mdl, KernelMode,
                                method == METHOD_OUT_DIRECT ? IoWriteAccess : IoReadAccess);
            irp->MdlAddress = n->own_mdl;
        }
        return STATUS_SUCCESS;
    default:
        return STATUS_SUCCESS;
    }
}

/* dms_irp_send - build an IRP for req and send it to the top of dev's stack on a kernel
 * thread. done(ctx, status, information) runs once, when the IRP completes (perhaps before
 * this returns). Returns what the dispatch routine returned (STATUS_PENDING when it has not
 * returned yet, because it waits), or the status that kept the IRP from being sent (done has
 * run with it then). */
static NTSTATUS irp_build_and_send(PDEVICE_OBJECT dev, const struct dms_request *req,
                                   dms_irp_done_fn done, void *ctx, bool *sent)
{
    struct dms_machine *m = hal_machine();
    PDEVICE_OBJECT top = dms_device_top(dev);
    struct send_call *c;
    struct irp_node *n;
    PIO_STACK_LOCATION sp;
    NTSTATUS status;
    PIRP irp;

    if (top == NULL || req == NULL)
        return STATUS_INVALID_PARAMETER;
    irp = IoAllocateIrp(top->StackSize, FALSE);
    c = spares_get(&m->kern->sends);
    if (irp == NULL || c == NULL) {
        if (irp != NULL)
            IoFreeIrp(irp);
        spares_put(&m->kern->sends, c);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    n = irp_node(m, irp);
    n->from_iomgr = true;
    n->done = done;
    n->done_ctx = ctx;
    n->target = top;
    n->sent_ns = hal_now(m);
    irp_sent_link(n); /* until it completes: where it stopped can be asked */
    if (m->plat.context_get != NULL) {
        n->context = m->plat.context_get(m->plat.ctx);
        n->has_context = true;
    }
    irp->RequestorMode = KernelMode;
    irp->IoStatus.Status = req->major == IRP_MJ_PNP ? STATUS_NOT_SUPPORTED : STATUS_SUCCESS;
    irp->Tail.Overlay.OriginalFileObject = req->file;
    sp = IoGetNextIrpStackLocation(irp);
    sp->MajorFunction = req->major;
    sp->MinorFunction = req->minor;
    sp->FileObject = req->file;
    if (req->major == IRP_MJ_PNP && req->minor == IRP_MN_START_DEVICE) {
        sp->Parameters.StartDevice.AllocatedResources = req->resources_raw;
        sp->Parameters.StartDevice.AllocatedResourcesTranslated = req->resources_translated;
    }
    status = prepare_buffers(n, top, req, sp);
    if (!NT_SUCCESS(status)) {
        spares_put(&m->kern->sends, c);
        free(n->system_buffer);
        if (n->own_mdl != NULL)
            IoFreeMdl(n->own_mdl);
        irp_release(n);
        return status;
    }
    *c = (struct send_call){n, top, STATUS_PENDING, false, false};
    if (hal_thread_start(m, send_thread, c) != 0) {
        spares_put(&m->kern->sends, c);
        free(n->system_buffer);
        irp_release(n);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    *sent = true;
    if (!c->returned) { /* the dispatch routine waits: the thread frees c when it returns */
        c->sender_gone = true;
        return STATUS_PENDING;
    }
    status = c->status;
    spares_put(&m->kern->sends, c);
    return status;
}

NTSTATUS dms_irp_send(PDEVICE_OBJECT dev, const struct dms_request *req, dms_irp_done_fn done,
                      void *ctx)
{
    bool sent = false;
    NTSTATUS status = irp_build_and_send(dev, req, done, ctx, &sent);

    /* What could not even be sent completes at once: done runs once for every request. */
    if (!sent && done != NULL)
        done(ctx, status, 0);
    return status;
}

struct sync_wait {
    bool done;
    NTSTATUS status;
    ULONG_PTR information;
};

static void sync_done(void *ctx, NTSTATUS status, ULONG_PTR information)
{
    struct sync_wait *w = ctx;

    w->done = true;
    w->status = status;
    w->information = information;
}

static bool sync_finished(void *arg)
{
    return ((struct sync_wait *)arg)->done;
}

/* dms_irp_send_sync - send req and run the platform until the IRP completes. Returns its
 * final status and *information (may be NULL), or STATUS_DRIVER_INTERNAL_ERROR (with a
 * finding) if it never completes. The wait record outlives a request that never completes,
 * so a late completion writes into memory that is still the HAL's. */
NTSTATUS dms_irp_send_sync(PDEVICE_OBJECT dev, const struct dms_request *req,
                           ULONG_PTR *information)
{
    struct dms_machine *m = hal_machine();
    struct sync_wait *w = calloc(1, sizeof(*w));
    NTSTATUS status;

    if (w == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    dms_irp_send(dev, req, sync_done, w);
    if (!hal_run_until(m, sync_finished, w)) {
        hal_finding(m, NULL, "IoCompleteRequest", DMS_CHECK_IRP, 0, req->major, req->minor,
                    "%s never completed an IRP (major 0x%02x, minor 0x%02x) it was sent: "
                    "its requester would wait for ever", dms_device_name(dms_device_top(dev)),
                    req->major, req->minor);
        return STATUS_DRIVER_INTERNAL_ERROR; /* w stays: a late completion may still come */
    }
    status = w->status;
    if (information != NULL)
        *information = w->information;
    free(w);
    return status;
}

/* ---------------------------------------------------------------------------------------------
 * PnP.
 */
static PCM_RESOURCE_LIST resource_list(const struct device *p,
                                       const CM_PARTIAL_RESOURCE_DESCRIPTOR *res)
{
    size_t bytes = sizeof(CM_RESOURCE_LIST) +
                   (p->n_res > 1 ? p->n_res - 1 : 0) * sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR);
    PCM_RESOURCE_LIST list = calloc(1, bytes);

    if (list == NULL)
        return NULL;
    list->Count = 1;
    list->List[0].InterfaceType = PCIBus;
    list->List[0].BusNumber = 0;
    list->List[0].PartialResourceList.Version = 1;
    list->List[0].PartialResourceList.Revision = 1;
    list->List[0].PartialResourceList.Count = p->n_res;
    memcpy(list->List[0].PartialResourceList.PartialDescriptors, res,
           p->n_res * sizeof(*res));
    return list;
}

/* dms_pnp_start - IRP_MN_START_DEVICE to the top of pdo's stack, with the raw and translated
 * resources the bus assigned it. Returns the IRP's final status. */
NTSTATUS dms_pnp_start(PDEVICE_OBJECT pdo)
{
    struct device *p = device_of(pdo);
    struct dms_request req = {.major = IRP_MJ_PNP, .minor = IRP_MN_START_DEVICE};
    NTSTATUS status;

    if (p == NULL)
        return STATUS_INVALID_PARAMETER;
    req.resources_raw = resource_list(p, p->res_raw);
    req.resources_translated = resource_list(p, p->res_translated);
    if (req.resources_raw == NULL || req.resources_translated == NULL)
        status = STATUS_INSUFFICIENT_RESOURCES;
    else
        status = dms_irp_send_sync(pdo, &req, NULL);
    free(req.resources_raw);
    free(req.resources_translated);
    return status;
}

/* dms_pnp_remove - IRP_MN_REMOVE_DEVICE (after IRP_MN_STOP_DEVICE when started). Returns the
 * remove's final status. */
NTSTATUS dms_pnp_remove(PDEVICE_OBJECT pdo, BOOLEAN started)
{
    struct dms_request req = {.major = IRP_MJ_PNP, .minor = IRP_MN_STOP_DEVICE};

    if (device_of(pdo) == NULL)
        return STATUS_INVALID_PARAMETER;
    if (started)
        dms_irp_send_sync(pdo, &req, NULL);
    req.minor = IRP_MN_REMOVE_DEVICE;
    return dms_irp_send_sync(pdo, &req, NULL);
}

/* ---------------------------------------------------------------------------------------------
 * Opening a device by name, as CreateFile does: "\\.\X" and "\??\X" name "\DosDevices\X",
 * which a symbolic link leads to a "\Device\Y".
 */
static struct device *resolve(struct dms_machine *m, const char *name)
{
    char dos[160];

    if (strncmp(name, "\\\\.\\", 4) == 0 || strncmp(name, "\\?\?\\", 4) == 0) {
        snprintf(dos, sizeof(dos), "\\DosDevices\\%s", name + 4);
        name = dos;
    }
    for (int hops = 0; hops < 4; hops++) {
        struct symlink *l = m->kern->symlinks;
        while (l != NULL && !name_eq(l->link, name))
            l = l->next;
        if (l == NULL)
            break;
        name = l->target;
    }
    return device_by_nt_name(m, name);
}

/* dms_file_open - open a device by name: IRP_MJ_CREATE with a new file object. Returns the
 * file object, or NULL with *status (STATUS_OBJECT_NAME_NOT_FOUND, or the driver's). */
PFILE_OBJECT dms_file_open(struct dms_machine *m, const char *name, NTSTATUS *status)
{
    struct dms_machine *prev = dms_machine_enter(m);
    struct device *d = resolve(m, name);
    struct dms_request req = {.major = IRP_MJ_CREATE};
    PFILE_OBJECT file = NULL;

    *status = STATUS_OBJECT_NAME_NOT_FOUND;
    if (d == NULL)
        goto out;
    file = calloc(1, sizeof(*file));
    if (file == NULL || hal_object_add(m, file, OBJ_FILE) != 0) {
        free(file);
        file = NULL;
        *status = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    file->Type = IO_TYPE_FILE;
    file->Size = sizeof(*file);
    file->DeviceObject = d->obj;
    req.file = file;
    *status = dms_irp_send_sync(d->obj, &req, NULL);
    if (!NT_SUCCESS(*status)) {
        hal_object_del(m, file);
        free(file);
        file = NULL;
    }
out:
    dms_machine_enter(prev);
    return file;
}

/* dms_file_close - IRP_MJ_CLEANUP then IRP_MJ_CLOSE, and the file object goes. Returns the
 * close's status. */
NTSTATUS dms_file_close(PFILE_OBJECT file)
{
    struct dms_machine *m = hal_machine();
    struct dms_request req = {.major = IRP_MJ_CLEANUP, .file = file};
    NTSTATUS status;

    if (!hal_object_is(m, file, OBJ_FILE))
        return STATUS_INVALID_HANDLE;
    dms_irp_send_sync(file->DeviceObject, &req, NULL);
    req.major = IRP_MJ_CLOSE;
    status = dms_irp_send_sync(file->DeviceObject, &req, NULL);
    hal_object_del(m, file);
    free(file);
    return status;
}
