/*
 * iomgr.c - the I/O manager: driver and device objects, device stacks, IRPs and their
 * completion, StartIo queues, cancellation, symbolic links, and the simulator's side of it
 * (loading a driver, the PnP start with resources, sending IRPs and learning of their end).
 *
 * Every driver-visible object (DRIVER_OBJECT, DEVICE_OBJECT and its extension, IRP with its
 * stack locations) is laid out as on x64 Windows and lives in memory of its own; the I/O
 * manager's bookkeeping for it (whose it is, which driver, what the IRP's buffers are, whether
 * it completed) lives apart, found through the machine's object table. So a driver that
 * scribbles over an object, or hands back a pointer that is no object at all, is reported
 * and does not take the simulator with it.
 *
 * Routines the system calls at PASSIVE_LEVEL (DriverEntry, AddDevice, dispatch routines) run
 * on kernel threads (thread.c), so that they may wait.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

#define IO_TYPE_DRIVER 4  /* DRIVER_OBJECT.Type */
#define IO_TYPE_DEVICE 3  /* DEVICE_OBJECT.Type */
#define IO_TYPE_IRP    6  /* IRP.Type */
#define IO_TYPE_FILE   5  /* FILE_OBJECT.Type */
#define IO_TYPE_DEVOBJ_EXTENSION 13
#define EXTENSION_ALIGN 16 /* MEMORY_ALLOCATION_ALIGNMENT on x64 */
#define MAX_STACK_SIZE 32  /* deeper stacks than any real one: a driver bug */

/* ---------------------------------------------------------------------------------------------
 * The object table.
 */
static struct obj_cached *cached_slot(struct dms_machine *m, const void *p)
{
    return &m->kern->obj_cache[((uintptr_t)p * 0x9E3779B97F4A7C15ULL) >> 56];
}

static void cache_drop(struct dms_machine *m, const void *p)
{
    struct obj_cached *c = cached_slot(m, p);

    if (c->key == (uintptr_t)p)
        c->key = 0;
}

/* What the tables say of p, through the cache; NULL when p is no object. */
static const struct obj_cached *object_lookup(struct dms_machine *m, const void *p)
{
    struct obj_cached *c = cached_slot(m, p);
    uint64_t kind, rec;

    if (c->key == (uintptr_t)p)
        return c;
    if (!u64map_get(&m->kern->objects, (uintptr_t)p, &kind))
        return NULL;
    c->key = (uintptr_t)p;
    c->kind = kind;
    c->record = u64map_get(&m->kern->records, (uintptr_t)p, &rec) ? (void *)(uintptr_t)rec : NULL;
    return c;
}

int hal_object_add(struct dms_machine *m, const void *p, enum obj_kind kind)
{
    cache_drop(m, p);
    return u64map_put(&m->kern->objects, (uintptr_t)p, (uint64_t)kind);
}

void hal_object_del(struct dms_machine *m, const void *p)
{
    cache_drop(m, p);
    u64map_del(&m->kern->objects, (uintptr_t)p);
}

bool hal_object_is(struct dms_machine *m, const void *p, enum obj_kind kind)
{
    const struct obj_cached *c = p != NULL ? object_lookup(m, p) : NULL;

    return c != NULL && c->kind == (uint64_t)kind;
}

/* The object table maps an object to its kind; m->kern->records maps it to the record behind it. */
void *record_of(struct dms_machine *m, const void *p, enum obj_kind kind)
{
    const struct obj_cached *c = p != NULL ? object_lookup(m, p) : NULL;

    return c != NULL && c->kind == (uint64_t)kind ? c->record : NULL;
}

int record_add(struct dms_machine *m, const void *p, enum obj_kind kind, void *record)
{
    if (hal_object_add(m, p, kind) != 0)
        return DMS_ENOMEM;
    if (u64map_put(&m->kern->records, (uintptr_t)p, (uintptr_t)record) != 0) {
        hal_object_del(m, p);
        return DMS_ENOMEM;
    }
    return 0;
}

void record_forget(struct dms_machine *m, const void *p)
{
    cache_drop(m, p);
    u64map_del(&m->kern->records, (uintptr_t)p);
}

void record_del(struct dms_machine *m, const void *p)
{
    hal_object_del(m, p);
    record_forget(m, p);
}

/* ---------------------------------------------------------------------------------------------
 * Names: UNICODE_STRING to ASCII (object names are ASCII in practice; others show as '?').
 */
static void name_of(const UNICODE_STRING *u, char *out, size_t len)
{
    size_t n = 0;

    if (u != NULL && u->Buffer != NULL)
        for (USHORT i = 0; i < u->Length / 2 && n + 1 < len; i++)
            out[n++] = u->Buffer[i] < 128 ? (char)u->Buffer[i] : '?';
    out[n] = '\0';
}

bool name_eq(const char *a, const char *b)
{
    while (*a && *b && tolower((unsigned char)*a) == tolower((unsigned char)*b))
        a++, b++;
    return *a == *b;
}

/* ---------------------------------------------------------------------------------------------
 * Device objects.
 */
struct device *device_of(PDEVICE_OBJECT obj)
{
    struct dms_machine *m = dms_machine_current();

    return m != NULL ? record_of(m, obj, OBJ_DEVICE) : NULL;
}

const char *dms_device_name(PDEVICE_OBJECT dev)
{
    struct device *d = device_of(dev);

    return d != NULL ? d->name : "(none)";
}

static size_t round_up(size_t n, size_t a)
{
    return (n + a - 1) / a * a;
}

/* device_new - a device object laid out as Windows lays it out: the DEVICE_OBJECT, its
 * extension (zeroed), then the DEVOBJ_EXTENSION. DeviceExtension points just past the
 * DEVICE_OBJECT whatever the extension's size, so a driver that asked for none and reads one
 * anyway reads the DEVOBJ_EXTENSION, as on Windows, rather than faulting the host. */
struct device *device_new(struct dms_machine *m, struct driver *drv, const char *name,
                          ULONG extension_bytes)
{
    size_t ext = round_up(extension_bytes, EXTENSION_ALIGN);
    struct device *d, **list;
    PDEVOBJ_EXTENSION dx;
    uint8_t *block;

    list = hal_grow(m->kern->devices, &m->kern->cap_devices, sizeof(*list), m->kern->n_devices + 1);
    if (list == NULL)
        return NULL;
    m->kern->devices = list;
    d = calloc(1, sizeof(*d));
    block = aligned_alloc(EXTENSION_ALIGN, sizeof(DEVICE_OBJECT) + ext +
                                               round_up(sizeof(DEVOBJ_EXTENSION), EXTENSION_ALIGN));
    if (d == NULL || block == NULL || record_add(m, block, OBJ_DEVICE, d) != 0) {
        free(d);
        free(block);
        return NULL;
    }
    memset(block, 0, sizeof(DEVICE_OBJECT) + ext + sizeof(DEVOBJ_EXTENSION));
    d->m = m;
    d->drv = drv;
    d->obj = (PDEVICE_OBJECT)block;
    d->extension = block + sizeof(DEVICE_OBJECT);
    d->extension_bytes = extension_bytes;
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->bm = (struct bus_master){.m = m, .name = d->name};
    dx = (PDEVOBJ_EXTENSION)(block + sizeof(DEVICE_OBJECT) + ext);
    dx->Type = IO_TYPE_DEVOBJ_EXTENSION;
    dx->Size = sizeof(*dx);
    dx->DeviceObject = d->obj;
    d->obj->Type = IO_TYPE_DEVICE;
    d->obj->Size = (USHORT)(sizeof(DEVICE_OBJECT) + extension_bytes);
    d->obj->ReferenceCount = 0;
    d->obj->DriverObject = drv != NULL ? drv->obj : m->kern->bus_driver->obj;
    d->obj->DeviceExtension = d->extension;
    d->obj->StackSize = 1;
    d->obj->AlignmentRequirement = 0; /* FILE_BYTE_ALIGNMENT */
    d->obj->DeviceObjectExtension = dx;
    KeInitializeEvent(&d->obj->DeviceLock, SynchronizationEvent, TRUE);
    d->obj->DeviceQueue.Type = 0x14; /* DeviceQueueObject */
    d->obj->DeviceQueue.Size = sizeof(KDEVICE_QUEUE);
    InitializeListHead(&d->obj->DeviceQueue.DeviceListHead);
    m->kern->devices[m->kern->n_devices++] = d;
    return d;
}

/* A bus-enumerated device (the PDO), or a device standing for both PDO and FDO for code that
 * hosts DMA routines by hand. Its extension is zeroed. */
int dms_device_set_dma_remapping(PDEVICE_OBJECT pdo, bool compatible)
{
    struct device *d = device_of(pdo);

    if (d == NULL)
        return DMS_EINVAL;
    d->no_remap = !compatible;
    return 0;
}

int dms_device_set_dma_limit(PDEVICE_OBJECT pdo, unsigned bits)
{
    struct device *d = device_of(pdo);

    if (d == NULL || (bits != 0 && (bits < 24 || bits > 64)))
        return DMS_EINVAL;
    d->dma_limit_bits = bits;
    return 0;
}

PDEVICE_OBJECT dms_device_create(struct dms_machine *m, const char *name,
                                 ULONG device_extension_bytes)
{
    struct device *d;

    if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof(d->name))
        return NULL;
    d = device_new(m, NULL, name, device_extension_bytes);
    if (d == NULL)
        return NULL;
    d->obj->Flags = DO_BUS_ENUMERATED_DEVICE;
    d->obj->DeviceObjectExtension->DeviceNode = d; /* enumerated: it has a device node */
    return d->obj;
}

/* At the machine's end, with its tables. */
void hal_device_free(struct device *d)
{
    iommu_domain_put(d->m, d->bm.dom);
    free(d->nt_name);
    free(d->queue);
    free(d->obj);
    free(d);
}

struct device *device_by_nt_name(struct dms_machine *m, const char *name)
{
    for (uint32_t i = 0; i < m->kern->n_devices; i++)
        if (!m->kern->devices[i]->deleted && m->kern->devices[i]->nt_name != NULL &&
            name_eq(m->kern->devices[i]->nt_name, name))
            return m->kern->devices[i];
    return NULL;
}

struct driver *driver_of(struct dms_machine *m, PDRIVER_OBJECT obj)
{
    return record_of(m, obj, OBJ_DRIVER);
}

NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                        PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
                        ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                        PDEVICE_OBJECT *DeviceObject)
{
    struct dms_machine *m = hal_machine();
    struct driver *drv = driver_of(m, DriverObject);
    char nt_name[128] = "";
    struct device *d;

    if (drv == NULL || DeviceObject == NULL) {
        hal_finding(m, NULL, "IoCreateDevice", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)DriverObject,
                    0, 0, "IoCreateDevice needs the driver's DRIVER_OBJECT and somewhere to "
                    "put the device object");
        return STATUS_INVALID_PARAMETER;
    }
    hal_irql_check(m, NULL, "IoCreateDevice", IRQL_EXACT_PASSIVE);
    *DeviceObject = NULL;
    name_of(DeviceName, nt_name, sizeof(nt_name));
    if (DeviceCharacteristics & FILE_AUTOGENERATED_DEVICE_NAME)
        snprintf(nt_name, sizeof(nt_name), "\\Device\\%08x", ++m->kern->handle_serial);
    if (nt_name[0] != '\0' && device_by_nt_name(m, nt_name) != NULL)
        return STATUS_OBJECT_NAME_COLLISION;
    d = device_new(m, drv, nt_name[0] != '\0' ? nt_name : drv->name, DeviceExtensionSize);
    if (d == NULL || (nt_name[0] != '\0' && (d->nt_name = strdup(nt_name)) == NULL)) {
        if (d != NULL)
            d->deleted = true;
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    d->obj->DeviceType = DeviceType;
    d->obj->Characteristics = DeviceCharacteristics;
    d->obj->Flags = DO_DEVICE_INITIALIZING | (Exclusive ? DO_EXCLUSIVE : 0);
    d->obj->NextDevice = DriverObject->DeviceObject;
    DriverObject->DeviceObject = d->obj;
    *DeviceObject = d->obj;
    return STATUS_SUCCESS;
}

/* The object stays in memory (a late DPC of a buggy driver must not fault the host); it is
 * unlinked, unnamed and refused from now on. */
VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject)
{
    struct dms_machine *m = hal_machine();
    struct device *d = device_of(DeviceObject);
    PDEVICE_OBJECT *p;

    if (d == NULL || d->deleted) {
        hal_finding(m, NULL, "IoDeleteDevice", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)DeviceObject,
                    0, 0, "IoDeleteDevice of %p, which is not a live device object",
                    (void *)DeviceObject);
        return;
    }
    if (d->lower != NULL)
        hal_finding(m, NULL, "IoDeleteDevice", DMS_CHECK_DRIVER, (uintptr_t)DeviceObject, 0, 0,
                    "IoDeleteDevice of %s while it is still attached (call IoDetachDevice "
                    "first)", d->name);
    if (d->drv != NULL)
        for (p = &d->drv->obj->DeviceObject; *p != NULL; p = &(*p)->NextDevice)
            if (*p == DeviceObject) {
                *p = DeviceObject->NextDevice;
                break;
            }
    d->deleted = true;
    free(d->nt_name);
    d->nt_name = NULL;
}

struct device *stack_top(struct device *d)
{
    while (d->upper != NULL)
        d = d->upper;
    return d;
}

PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice,
                                           PDEVICE_OBJECT TargetDevice)
{
    struct dms_machine *m = hal_machine();
    struct device *src = device_of(SourceDevice), *dst = device_of(TargetDevice), *top;

    if (src == NULL || dst == NULL || src->deleted || dst->deleted || src->lower != NULL) {
        hal_finding(m, NULL, "IoAttachDeviceToDeviceStack", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)SourceDevice, (uintptr_t)TargetDevice, 0,
                    "IoAttachDeviceToDeviceStack needs two live device objects, the source "
                    "not yet attached");
        return NULL;
    }
    top = stack_top(dst);
    top->upper = src;
    src->lower = top;
    top->obj->AttachedDevice = SourceDevice;
    SourceDevice->StackSize = (CCHAR)(top->obj->StackSize + 1);
    SourceDevice->AlignmentRequirement = top->obj->AlignmentRequirement;
    SourceDevice->DeviceObjectExtension->AttachedTo = top->obj;
    SourceDevice->Flags |= top->obj->Flags & (DO_BUFFERED_IO | DO_DIRECT_IO);
    /* An unnamed function device takes its physical device's name, for every report. */
    if (src->nt_name == NULL)
        snprintf(src->name, sizeof(src->name), "%s", stack_top(dst) == top ? top->name
                                                                          : dst->name);
    src->pdo = dst->pdo != NULL ? dst->pdo : dst;
    return top->obj;
}

VOID IoDetachDevice(PDEVICE_OBJECT TargetDevice)
{
    struct device *d = device_of(TargetDevice);

    if (d == NULL || d->upper == NULL) {
        hal_finding(hal_machine(), NULL, "IoDetachDevice", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)TargetDevice, 0, 0,
                    "IoDetachDevice of a device object nothing is attached to");
        return;
    }
    d->upper->obj->DeviceObjectExtension->AttachedTo = NULL;
    d->upper->lower = NULL;
    d->upper = NULL;
    TargetDevice->AttachedDevice = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Symbolic links.
 */
NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName)
{
    struct dms_machine *m = hal_machine();
    struct symlink *l;
    char link[128], target[128];

    name_of(SymbolicLinkName, link, sizeof(link));
    name_of(DeviceName, target, sizeof(target));
    if (link[0] == '\0' || target[0] == '\0') {
        hal_finding(m, NULL, "IoCreateSymbolicLink", DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "IoCreateSymbolicLink needs a link name and a device name");
        return STATUS_OBJECT_NAME_INVALID;
    }
    for (l = m->kern->symlinks; l != NULL; l = l->next)
        if (name_eq(l->link, link))
            return STATUS_OBJECT_NAME_COLLISION;
    l = calloc(1, sizeof(*l));
    if (l == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    snprintf(l->link, sizeof(l->link), "%s", link);
    snprintf(l->target, sizeof(l->target), "%s", target);
    l->next = m->kern->symlinks;
    m->kern->symlinks = l;
    return STATUS_SUCCESS;
}

NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName)
{
    struct dms_machine *m = hal_machine();
    char link[128];

    if (hal_null(m, "IoDeleteSymbolicLink", SymbolicLinkName, "SymbolicLinkName"))
        return STATUS_INVALID_PARAMETER;
    name_of(SymbolicLinkName, link, sizeof(link));
    for (struct symlink **p = &m->kern->symlinks; *p != NULL; p = &(*p)->next)
        if (name_eq((*p)->link, link)) {
            struct symlink *l = *p;
            *p = l->next;
            free(l);
            return STATUS_SUCCESS;
        }
    return STATUS_OBJECT_NAME_NOT_FOUND;
}

/* ---------------------------------------------------------------------------------------------
 * IRPs.
 */
struct irp_node *irp_node(struct dms_machine *m, PIRP irp)
{
    return record_of(m, irp, OBJ_IRP);
}

VOID IoInitializeIrp(PIRP Irp, USHORT PacketSize, CCHAR StackSize)
{
    if (hal_null(hal_machine(), "IoInitializeIrp", Irp, "Irp"))
        return;
    memset(Irp, 0, PacketSize);
    Irp->Type = IO_TYPE_IRP;
    Irp->Size = PacketSize;
    Irp->StackCount = StackSize;
    Irp->CurrentLocation = (CHAR)(StackSize + 1);
    InitializeListHead(&Irp->ThreadListEntry);
    Irp->Tail.Overlay.CurrentStackLocation = (PIO_STACK_LOCATION)(Irp + 1) + StackSize;
}

static PIRP irp_memory_get(struct dms_machine *m, CCHAR stack_size)
{
    if (stack_size <= IRP_SPARE_STACKS)
        return spares_get(&m->kern->irp_memory[stack_size - 1]);
    return aligned_alloc(EXTENSION_ALIGN, round_up(IoSizeOfIrp(stack_size), EXTENSION_ALIGN));
}

static void irp_memory_put(struct dms_machine *m, PIRP irp, CCHAR stack_size)
{
    if (stack_size >= 1 && stack_size <= IRP_SPARE_STACKS)
        spares_put(&m->kern->irp_memory[stack_size - 1], irp);
    else
        free(irp);
}

PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota)
{
    struct dms_machine *m = hal_machine();
    struct irp_node *n;
    PIRP irp;

    (void)ChargeQuota;
    if (StackSize < 1 || StackSize > MAX_STACK_SIZE)
        return NULL;
    n = spares_get(&m->kern->irp_nodes);
    irp = irp_memory_get(m, StackSize);
    if (n == NULL || irp == NULL || record_add(m, irp, OBJ_IRP, n) != 0) {
        spares_put(&m->kern->irp_nodes, n);
        irp_memory_put(m, irp, StackSize);
        return NULL;
    }
    IoInitializeIrp(irp, IoSizeOfIrp(StackSize), StackSize);
    n->irp = irp;
    n->m = m;
    n->stack_size = StackSize;
    return irp;
}

void irp_sent_link(struct irp_node *n)
{
    struct hal_kernel *k = n->m->kern;

    n->sent_prev = NULL;
    n->sent_next = k->sent_irps;
    if (k->sent_irps != NULL)
        k->sent_irps->sent_prev = n;
    k->sent_irps = n;
    n->sent_linked = true;
}

void irp_sent_unlink(struct irp_node *n)
{
    if (!n->sent_linked)
        return;
    if (n->sent_prev != NULL)
        n->sent_prev->sent_next = n->sent_next;
    else
        n->m->kern->sent_irps = n->sent_next;
    if (n->sent_next != NULL)
        n->sent_next->sent_prev = n->sent_prev;
    n->sent_linked = false;
}

void irp_release(struct irp_node *n)
{
    irp_sent_unlink(n);
    record_del(n->m, n->irp);
    irp_memory_put(n->m, n->irp, n->stack_size);
    spares_put(&n->m->kern->irp_nodes, n);
}

VOID IoFreeIrp(PIRP Irp)
{
    struct dms_machine *m = hal_machine();
    struct irp_node *n = irp_node(m, Irp);

    if (n == NULL || n->from_iomgr) {
        hal_finding(m, NULL, "IoFreeIrp", DMS_CHECK_IRP, (uintptr_t)Irp, 0, 0,
                    "IoFreeIrp of %p, which is %s", (void *)Irp,
                    n == NULL ? "not an IRP from IoAllocateIrp"
                              : "the I/O manager's (it frees its own IRPs)");
        return;
    }
    irp_release(n);
}

VOID IoReuseIrp(PIRP Irp, NTSTATUS Iostatus)
{
    if (irp_node(hal_machine(), Irp) == NULL) {
        hal_finding(hal_machine(), NULL, "IoReuseIrp", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)Irp, 0, 0,
                    "IoReuseIrp of %p, which is not an IRP", (void *)Irp);
        return;
    }
    CCHAR stack = Irp->StackCount;
    USHORT size = Irp->Size;

    IoInitializeIrp(Irp, size, stack);
    Irp->IoStatus.Status = Iostatus;
}

/* The default dispatch routine: what the I/O manager puts in every MajorFunction slot a
 * driver leaves alone. */
static NTSTATUS invalid_request(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
    Irp->IoStatus.Information = 0;
    IofCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_INVALID_DEVICE_REQUEST;
}

NTSTATUS IofCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    struct dms_machine *m = hal_machine();
    struct device *d = device_of(DeviceObject), *prev;
    PDRIVER_DISPATCH dispatch;
    PIO_STACK_LOCATION sp;
    NTSTATUS status;

    if (d == NULL || irp_node(m, Irp) == NULL) {
        hal_finding(m, NULL, "IoCallDriver", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)DeviceObject,
                    (uintptr_t)Irp, 0, "IoCallDriver(%p, %p): %s", (void *)DeviceObject,
                    (void *)Irp, d == NULL ? "not a device object" : "not an IRP");
        return STATUS_INVALID_PARAMETER;
    }
    if (m->irql > DISPATCH_LEVEL)
        hal_finding(m, NULL, "IoCallDriver", DMS_E6_WRONG_IRQL, m->irql, 0, 0,
                    "IoCallDriver at IRQL %u: callers must be at or below DISPATCH_LEVEL",
                    m->irql);
    if (Irp->CurrentLocation <= 1) {
        hal_finding(m, NULL, "IoCallDriver", DMS_CHECK_IRP, (uintptr_t)Irp, 0, 0,
                    "IoCallDriver to %s with no stack location left for it "
                    "(NO_MORE_IRP_STACK_LOCATIONS)", d->name);
        Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    IoSetNextIrpStackLocation(Irp);
    sp = IoGetCurrentIrpStackLocation(Irp);
    sp->DeviceObject = DeviceObject;
    dispatch = DeviceObject->DriverObject->MajorFunction[sp->MajorFunction & 0x1f];
    if (sp->MajorFunction > IRP_MJ_MAXIMUM_FUNCTION || dispatch == NULL)
        dispatch = invalid_request;
    prev = acting_enter(m, d);
    status = dispatch(DeviceObject, Irp);
    acting_leave(m, prev);
    return status;
}

struct device *acting_enter(struct dms_machine *m, struct device *d)
{
    struct device *prev = m->kern->acting;

    m->kern->acting = d;
    return prev;
}

void acting_leave(struct dms_machine *m, struct device *prev)
{
    m->kern->acting = prev;
}

void dms_report_finding(struct dms_machine *m, const char *routine, uint32_t code, uint64_t p2,
                        uint64_t p3, uint64_t p4, const char *fmt, ...)
{
    va_list ap;

    if (m == NULL)
        return;
    va_start(ap, fmt);
    hal_vfinding(m, acting_account(m), routine, code, p2, p3, p4, fmt, ap);
    va_end(ap);
}

bool dms_tracing_calls(const struct dms_machine *m)
{
    return m != NULL && m->cfg.call_events != 0;
}

void dms_trace_call(struct dms_machine *m, enum dms_event_type type, const char *routine,
                    int32_t status, const char *fmt, ...)
{
    char detail[320];
    struct dms_event ev = {.type = type, .routine = routine, .status = status, .detail = detail};
    va_list ap;

    if (!dms_tracing_calls(m) || routine == NULL ||
        (type != DMS_EV_CALL && type != DMS_EV_RETURN && type != DMS_EV_CALLBACK))
        return;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    hal_emit(m, acting_account(m), &ev);
}

struct hal_account *acting_account(struct dms_machine *m)
{
    const struct device *d = m->kern->acting;

    if (d == NULL)
        return NULL;
    return d->pdo != NULL ? d->pdo->bm.acct : d->bm.acct;
}


/* The work an IRP is: a DPC that completes several IRPs, or starts the next one, does each
 * IRP's part as that IRP's work (the simulator charges, traces and explains it so). */
bool irp_context_enter(struct dms_machine *m, const struct irp_node *n, uint64_t *saved)
{
    *saved = 0;
    if (n == NULL || !n->has_context || m->plat.context_get == NULL ||
        m->plat.context_set == NULL)
        return false;
    *saved = m->plat.context_get(m->plat.ctx);
    m->plat.context_set(m->plat.ctx, n->context);
    return true;
}

void irp_context_leave(struct dms_machine *m, bool entered, uint64_t saved)
{
    if (entered)
        m->plat.context_set(m->plat.ctx, saved);
}

bool dms_irp_context_enter(struct dms_machine *m, PIRP Irp, uint64_t *saved)
{
    *saved = 0;
    return m != NULL && Irp != NULL && irp_context_enter(m, irp_node(m, Irp), saved);
}

void dms_irp_context_leave(struct dms_machine *m, bool entered, uint64_t saved)
{
    if (m != NULL)
        irp_context_leave(m, entered, saved);
}

/* IofCompleteRequest - the completion walk: from the completing driver's stack location up,
 * each location's completion routine runs if its Control asks for this outcome, with the
 * device object of the location above it (NULL at the top); STATUS_MORE_PROCESSING_REQUIRED
 * stops the walk (the routine keeps the IRP). A location without a routine passes on the
 * pending mark, as IoMarkIrpPending in a routine would. */
static void complete_walk(struct dms_machine *m, struct irp_node *n, PIRP Irp);

VOID IofCompleteRequest(PIRP Irp, CCHAR PriorityBoost)
{
    struct dms_machine *m = hal_machine();
    struct irp_node *n = irp_node(m, Irp);
    uint64_t saved;
    bool entered;

    (void)PriorityBoost;
    if (n == NULL) {
        hal_finding(m, NULL, "IoCompleteRequest", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)Irp, 0, 0,
                    "IoCompleteRequest of %p, which is not an IRP", (void *)Irp);
        return;
    }
    entered = irp_context_enter(m, n, &saved);
    complete_walk(m, n, Irp); /* may free n */
    irp_context_leave(m, entered, saved);
}

static void complete_walk(struct dms_machine *m, struct irp_node *n, PIRP Irp)
{
    PIO_STACK_LOCATION sp;

    if (n->completed || Irp->CurrentLocation > Irp->StackCount) {
        hal_finding(m, NULL, "IoCompleteRequest", DMS_CHECK_IRP, (uintptr_t)Irp, 0, 0,
                    "IoCompleteRequest of an IRP already completed "
                    "(MULTIPLE_IRP_COMPLETE_REQUESTS)");
        return;
    }
    if (m->irql > DISPATCH_LEVEL)
        hal_finding(m, NULL, "IoCompleteRequest", DMS_E6_WRONG_IRQL, m->irql, 0, 0,
                    "IoCompleteRequest at IRQL %u: callers must be at or below "
                    "DISPATCH_LEVEL", m->irql);
    if (Irp->IoStatus.Status == STATUS_PENDING) {
        hal_finding(m, NULL, "IoCompleteRequest", DMS_CHECK_IRP, (uintptr_t)Irp, 0, 0,
                    "IoCompleteRequest with IoStatus.Status = STATUS_PENDING: an IRP is "
                    "completed with its final status");
        Irp->IoStatus.Status = STATUS_INTERNAL_ERROR;
    }
    if (Irp->CancelRoutine != NULL) {
        hal_finding(m, NULL, "IoCompleteRequest", DMS_CHECK_IRP, (uintptr_t)Irp, 0, 0,
                    "IoCompleteRequest of an IRP that still has a cancel routine (clear it "
                    "with IoSetCancelRoutine(Irp, NULL) first)");
        Irp->CancelRoutine = NULL;
    }
    sp = IoGetCurrentIrpStackLocation(Irp);
    for (Irp->CurrentLocation++, Irp->Tail.Overlay.CurrentStackLocation++;
         Irp->CurrentLocation <= Irp->StackCount + 1;
         sp++, Irp->CurrentLocation++, Irp->Tail.Overlay.CurrentStackLocation++) {
        NTSTATUS status = Irp->IoStatus.Status;
        bool invoke = sp->CompletionRoutine != NULL &&
                      ((NT_SUCCESS(status) && (sp->Control & SL_INVOKE_ON_SUCCESS)) ||
                       (!NT_SUCCESS(status) && (sp->Control & SL_INVOKE_ON_ERROR)) ||
                       (Irp->Cancel && (sp->Control & SL_INVOKE_ON_CANCEL)));

        Irp->PendingReturned = (sp->Control & SL_PENDING_RETURNED) != 0;
        if (Irp->CurrentLocation == Irp->StackCount + 1)
            n->pending_returned = Irp->PendingReturned;
        if (invoke) {
            PIO_COMPLETION_ROUTINE routine = sp->CompletionRoutine;
            PVOID context = sp->Context;
            PDEVICE_OBJECT dev = Irp->CurrentLocation == Irp->StackCount + 1
                                     ? NULL
                                     : IoGetCurrentIrpStackLocation(Irp)->DeviceObject;
            memset(sp, 0, sizeof(*sp));
            if (routine(dev, Irp, context) == STATUS_MORE_PROCESSING_REQUIRED)
                return;
        } else {
            if (Irp->PendingReturned && Irp->CurrentLocation <= Irp->StackCount)
                IoMarkIrpPending(Irp);
            memset(sp, 0, sizeof(*sp));
        }
    }
    n->completed = true;
    if (!n->from_iomgr) {
        hal_finding(m, NULL, "IoCompleteRequest", DMS_CHECK_IRP, (uintptr_t)Irp, 0, 0,
                    "an IRP from IoAllocateIrp completed all the way up: the completion "
                    "routine of the driver that allocated it must return "
                    "STATUS_MORE_PROCESSING_REQUIRED and free it");
        return;
    }
    iomgr_finish(n);
}

/* ---------------------------------------------------------------------------------------------
 * StartIo: the device queue is the I/O manager's, kept in its own memory; the
 * DEVICE_OBJECT's CurrentIrp and DeviceQueue.Busy mirror it for drivers that read them.
 */
/* A forwarded IRP's wait, in the host's memory: should the wait give up (a deadlock with
 * nothing left to run), the IRP's later completion still has an event to set, and frees it. */
struct forward_wait {
    KEVENT done;
    bool abandoned;
};

static NTSTATUS forward_done(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    struct forward_wait *w = Context;

    (void)DeviceObject;
    (void)Irp;
    if (w->abandoned)
        free(w);
    else
        KeSetEvent(&w->done, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED; /* the IRP is the caller's again */
}

/* IoForwardIrpSynchronously - copy the current stack location to the next, send the IRP to
 * DeviceObject and wait until that driver completes it; the caller owns it again then (and
 * completes it). FALSE, nothing sent, when no next stack location is left. IRQL <= APC_LEVEL. */
BOOLEAN IoForwardIrpSynchronously(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    struct dms_machine *m = hal_machine();
    struct forward_wait *w;

    if (device_of(DeviceObject) == NULL || irp_node(m, Irp) == NULL) {
        hal_finding(m, NULL, "IoForwardIrpSynchronously", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)DeviceObject, (uintptr_t)Irp, 0,
                    "IoForwardIrpSynchronously(%p, %p): %s", (void *)DeviceObject, (void *)Irp,
                    device_of(DeviceObject) == NULL ? "not a device object" : "not an IRP");
        return FALSE;
    }
    if (m->irql > APC_LEVEL) {
        hal_finding(m, NULL, "IoForwardIrpSynchronously", DMS_E6_WRONG_IRQL, m->irql,
                    APC_LEVEL, 0, "IoForwardIrpSynchronously at IRQL %u: it waits, so callers "
                    "must be at or below APC_LEVEL", m->irql);
        return FALSE;
    }
    if (Irp->CurrentLocation <= 1)
        return FALSE;
    w = calloc(1, sizeof(*w));
    if (w == NULL)
        return FALSE;
    KeInitializeEvent(&w->done, NotificationEvent, FALSE);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, forward_done, w, TRUE, TRUE, TRUE);
    IofCallDriver(DeviceObject, Irp);
    if (KeWaitForSingleObject(&w->done, Executive, KernelMode, FALSE, NULL) != STATUS_SUCCESS) {
        w->abandoned = true; /* the wait's finding is made; the completion frees w */
        return FALSE;
    }
    free(w);
    return TRUE;
}

static int queue_insert(struct device *d, PIRP irp, ULONG key, bool keyed)
{
    struct queued *q = hal_grow(d->queue, &d->cap_queue, sizeof(*q), d->n_queue + 1);
    uint32_t at = d->n_queue;

    if (q == NULL)
        return DMS_ENOMEM;
    d->queue = q;
    if (keyed) /* sorted by key, FIFO among equal keys */
        while (at > 0 && d->queue[at - 1].key > key)
            at--;
    memmove(d->queue + at + 1, d->queue + at, (d->n_queue - at) * sizeof(*d->queue));
    d->queue[at] = (struct queued){irp, key};
    d->n_queue++;
    irp->Tail.Overlay.DeviceQueueEntry.Inserted = TRUE;
    irp->Tail.Overlay.DeviceQueueEntry.SortKey = key;
    return 0;
}

static PIRP queue_pop(struct device *d)
{
    PIRP irp;

    if (d->n_queue == 0)
        return NULL;
    irp = d->queue[0].irp;
    memmove(d->queue, d->queue + 1, (d->n_queue - 1) * sizeof(*d->queue));
    d->n_queue--;
    irp->Tail.Overlay.DeviceQueueEntry.Inserted = FALSE;
    return irp;
}

static bool start_io_allowed(struct dms_machine *m, struct device *d, const char *routine)
{
    if (d == NULL || d->deleted || d->obj->DriverObject->DriverStartIo == NULL) {
        hal_finding(m, NULL, routine, DMS_CHECK_DRIVER, (uintptr_t)(d ? d->obj : NULL), 0, 0,
                    "%s needs a device object whose driver has a StartIo routine", routine);
        return false;
    }
    return true;
}

static void start_io(struct device *d, PIRP irp)
{
    uint64_t saved;
    bool entered = irp_context_enter(d->m, irp_node(d->m, irp), &saved);

    d->busy = true;
    d->obj->DeviceQueue.Busy = TRUE;
    struct device *prev = acting_enter(d->m, d);

    d->obj->CurrentIrp = irp;
    d->obj->DriverObject->DriverStartIo(d->obj, irp); /* may complete the IRP */
    acting_leave(d->m, prev);
    irp_context_leave(d->m, entered, saved);
}

VOID IoStartPacket(PDEVICE_OBJECT DeviceObject, PIRP Irp, PULONG Key,
                   PDRIVER_CANCEL CancelFunction)
{
    struct dms_machine *m = hal_machine();
    struct device *d = device_of(DeviceObject);
    KIRQL old;

    if (!start_io_allowed(m, d, "IoStartPacket") || irp_node(m, Irp) == NULL)
        return;
    if (m->irql > DISPATCH_LEVEL)
        hal_finding(m, NULL, "IoStartPacket", DMS_E6_WRONG_IRQL, m->irql, 0, 0,
                    "IoStartPacket at IRQL %u: callers must be at or below DISPATCH_LEVEL",
                    m->irql);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    if (CancelFunction != NULL)
        IoSetCancelRoutine(Irp, CancelFunction);
    if (!d->busy)
        start_io(d, Irp);
    else if (queue_insert(d, Irp, Key != NULL ? *Key : 0, Key != NULL) != 0)
        abort(); /* a lost IRP would hang its requester; no one could recover */
    if (Irp->Cancel && CancelFunction != NULL && Irp->Tail.Overlay.DeviceQueueEntry.Inserted &&
        IoSetCancelRoutine(Irp, NULL) != NULL) {
        /* cancelled before it was queued: the cancel routine runs now, as documented */
        IoAcquireCancelSpinLock(&Irp->CancelIrql);
        CancelFunction(DeviceObject, Irp);
    }
    KeLowerIrql(old);
}

VOID IoStartNextPacket(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable)
{
    struct dms_machine *m = hal_machine();
    struct device *d = device_of(DeviceObject);
    PIRP next;

    (void)Cancelable;
    if (!start_io_allowed(m, d, "IoStartNextPacket"))
        return;
    if (m->irql != DISPATCH_LEVEL)
        hal_finding(m, NULL, "IoStartNextPacket", DMS_E6_WRONG_IRQL, m->irql, DISPATCH_LEVEL, 0,
                    "IoStartNextPacket at IRQL %u: callers must be at DISPATCH_LEVEL",
                    m->irql);
    DeviceObject->CurrentIrp = NULL;
    next = queue_pop(d);
    if (next == NULL) {
        d->busy = false;
        DeviceObject->DeviceQueue.Busy = FALSE;
        return;
    }
    start_io(d, next);
}

BOOLEAN KeRemoveEntryDeviceQueue(PKDEVICE_QUEUE DeviceQueue,
                                 PKDEVICE_QUEUE_ENTRY DeviceQueueEntry)
{
    struct dms_machine *m = hal_machine();
    /* the device object around the queue, computed as an address, never dereferenced */
    PDEVICE_OBJECT obj = (PDEVICE_OBJECT)((uintptr_t)DeviceQueue -
                                          offsetof(DEVICE_OBJECT, DeviceQueue));
    struct device *d = DeviceQueue != NULL ? device_of(obj) : NULL;

    if (d == NULL || DeviceQueueEntry == NULL) {
        hal_finding(m, NULL, "KeRemoveEntryDeviceQueue", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)DeviceQueue, 0, 0, "KeRemoveEntryDeviceQueue of %p, which is no "
                    "device object's DeviceQueue, or of no entry", (void *)DeviceQueue);
        return FALSE;
    }
    for (uint32_t i = 0; i < d->n_queue; i++)
        if (&d->queue[i].irp->Tail.Overlay.DeviceQueueEntry == DeviceQueueEntry) {
            memmove(d->queue + i, d->queue + i + 1, (d->n_queue - i - 1) * sizeof(*d->queue));
            d->n_queue--;
            DeviceQueueEntry->Inserted = FALSE;
            return TRUE;
        }
    return FALSE;
}

VOID IoAcquireCancelSpinLock(PKIRQL Irql)
{
    KeAcquireSpinLock(&hal_machine()->kern->cancel_lock, Irql);
}

VOID IoReleaseCancelSpinLock(KIRQL Irql)
{
    KeReleaseSpinLock(&hal_machine()->kern->cancel_lock, Irql);
}

/* IoCancelIrp - mark the IRP cancelled and, if it has a cancel routine, call it with the
 * cancel spin lock held (the routine releases it). Returns whether a routine was called. */
BOOLEAN IoCancelIrp(PIRP Irp)
{
    struct dms_machine *m = hal_machine();
    PDRIVER_CANCEL routine;
    KIRQL irql;

    if (irp_node(m, Irp) == NULL) {
        hal_finding(m, NULL, "IoCancelIrp", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)Irp, 0, 0,
                    "IoCancelIrp of %p, which is not an IRP", (void *)Irp);
        return FALSE;
    }
    IoAcquireCancelSpinLock(&irql);
    Irp->Cancel = TRUE;
    routine = IoSetCancelRoutine(Irp, NULL);
    if (routine == NULL) {
        IoReleaseCancelSpinLock(irql);
        return FALSE;
    }
    Irp->CancelIrql = irql;
    routine(IoGetCurrentIrpStackLocation(Irp)->DeviceObject, Irp);
    return TRUE;
}

/* ---------------------------------------------------------------------------------------------
 * Drivers, and the bus driver that owns the PDOs.
 */
static NTSTATUS bus_dispatch_pnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = Irp->IoStatus.Status;

    (void)DeviceObject;
    switch (sp->MinorFunction) {
    case IRP_MN_START_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_STOP_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_REMOVE_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL:
        status = STATUS_SUCCESS;
        break;
    default: /* a bus driver leaves a PnP request it does not handle as it found it */
        break;
    }
    Irp->IoStatus.Status = status;
    IofCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

static NTSTATUS bus_dispatch_power(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IofCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

struct driver *driver_new(struct dms_machine *m, const char *name)
{
    struct driver *drv = calloc(1, sizeof(*drv));
    size_t wlen = strlen(name);
    size_t bytes = sizeof(DRIVER_OBJECT) + sizeof(DRIVER_EXTENSION) + (wlen + 1) * sizeof(WCHAR);
    PDRIVER_EXTENSION ext;
    PWCHAR wname;

    if (drv == NULL || (drv->obj = calloc(1, bytes)) == NULL ||
        record_add(m, drv->obj, OBJ_DRIVER, drv) != 0) {
        if (drv != NULL)
            free(drv->obj);
        free(drv);
        return NULL;
    }
    drv->m = m;
    snprintf(drv->name, sizeof(drv->name), "%s", name);
    ext = (PDRIVER_EXTENSION)(drv->obj + 1);
    wname = (PWCHAR)(ext + 1);
    hal_widen(wname, wlen + 1, name);
    drv->obj->Type = IO_TYPE_DRIVER;
    drv->obj->Size = sizeof(DRIVER_OBJECT);
    drv->obj->DriverExtension = ext;
    ext->DriverObject = drv->obj;
    drv->obj->DriverName.Buffer = wname;
    drv->obj->DriverName.Length = (USHORT)(wlen * sizeof(WCHAR));
    drv->obj->DriverName.MaximumLength = (USHORT)((wlen + 1) * sizeof(WCHAR));
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        drv->obj->MajorFunction[i] = invalid_request;
    drv->next = m->kern->drivers;
    m->kern->drivers = drv;
    return drv;
}

int iomgr_init(struct dms_machine *m)
{
    int err = u64map_init(&m->kern->records, 64);

    if (err != 0)
        return err;
    m->kern->bus_driver = driver_new(m, "\\Driver\\dmasim-bus");
    if (m->kern->bus_driver == NULL)
        return DMS_ENOMEM;
    m->kern->bus_driver->obj->MajorFunction[IRP_MJ_PNP] = bus_dispatch_pnp;
    m->kern->bus_driver->obj->MajorFunction[IRP_MJ_POWER] = bus_dispatch_power;
    return 0;
}

void iomgr_free_all(struct dms_machine *m)
{
    uint64_t *keys = m->kern->records.keys;

    while (m->kern->symlinks != NULL) {
        struct symlink *next = m->kern->symlinks->next;
        free(m->kern->symlinks);
        m->kern->symlinks = next;
    }
    /* IRPs still out (a driver that never completed one): the machine takes them. */
    for (size_t i = 0; keys != NULL && i < m->kern->records.cap; i++) {
        uint64_t v;
        if (keys[i] == UINT64_MAX || !u64map_get(&m->kern->objects, keys[i], &v))
            continue;
        if (v == OBJ_IRP) {
            struct irp_node *n = (struct irp_node *)(uintptr_t)m->kern->records.vals[i];
            free(n->system_buffer);
            irp_memory_put(m, n->irp, n->stack_size);
            spares_put(&m->kern->irp_nodes, n);
        }
    }
    for (size_t i = 0; m->kern->objects.keys != NULL && i < m->kern->objects.cap; i++)
        if (m->kern->objects.keys[i] != UINT64_MAX && m->kern->objects.vals[i] == OBJ_FILE)
            free((void *)(uintptr_t)m->kern->objects.keys[i]);
    interrupts_free_all(m);
    while (m->kern->drivers != NULL) {
        struct driver *next = m->kern->drivers->next;
        free(m->kern->drivers->obj);
        free(m->kern->drivers);
        m->kern->drivers = next;
    }
}

int kernel_init(struct dms_machine *m)
{
    int err;

    m->kern = calloc(1, sizeof(*m->kern));
    if (m->kern == NULL)
        return DMS_ENOMEM;
    for (CCHAR i = 1; i <= IRP_SPARE_STACKS; i++)
        spares_init(&m->kern->irp_memory[i - 1], round_up(IoSizeOfIrp(i), EXTENSION_ALIGN),
                    EXTENSION_ALIGN, SPARES_KEPT);
    spares_init(&m->kern->irp_nodes, sizeof(struct irp_node), _Alignof(struct irp_node),
                SPARES_KEPT);
    iorequest_spares_init(m);
    thread_spares_init(m);
    err = u64map_init(&m->kern->objects, 64);
    if (err == 0)
        err = u64map_init(&m->kern->vectors, 16);
    if (err == 0)
        err = mmio_init(m);
    if (err == 0)
        err = iomgr_init(m);
    return err;
}

void kernel_free(struct dms_machine *m)
{
    if (m->kern == NULL)
        return;
    hal_threads_free(m);
    iomgr_free_all(m);
    for (uint32_t i = 0; i < m->kern->n_devices; i++)
        hal_device_free(m->kern->devices[i]);
    free(m->kern->devices);
    mdl_free_all(m);
    dpc_tokens_free(m);
    mmio_free_all(m);
    mm_free_all(m);
    u64map_free(&m->kern->objects);
    u64map_free(&m->kern->records);
    u64map_free(&m->kern->paged_mdls);
    for (int i = 0; i < IRP_SPARE_STACKS; i++)
        spares_free(&m->kern->irp_memory[i]);
    spares_free(&m->kern->irp_nodes);
    spares_free(&m->kern->sends);
    spares_free(&m->kern->spare_threads);
    free(m->kern);
    m->kern = NULL;
}

/* The bus device whose resources give it a DMA request line (v3) or an 8237 channel. */
struct device *device_with_dma_resource(struct dms_machine *m, bool v3, ULONG line)
{
    for (uint32_t i = 0; i < m->kern->n_devices; i++) {
        struct device *d = m->kern->devices[i];
        for (uint32_t r = 0; d->drv == NULL && r < d->n_res; r++) {
            const CM_PARTIAL_RESOURCE_DESCRIPTOR *x = &d->res_translated[r];
            if (x->Type != CmResourceTypeDma)
                continue;
            if (v3 && (x->Flags & CM_RESOURCE_DMA_V3) && x->u.DmaV3.RequestLine == line)
                return d;
            if (!v3 && !(x->Flags & CM_RESOURCE_DMA_V3) && x->u.Dma.Channel == line)
                return d;
        }
    }
    return NULL;
}
