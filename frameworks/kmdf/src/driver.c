/*
 * driver.c - WDFDRIVER and WDFDEVICE: what the framework does in the driver's place.
 *
 * WdfDriverCreate takes over the WDM driver object as the real framework does: every major
 * function goes to the framework's dispatch, AddDevice to the framework, which builds a
 * WDFDEVICE_INIT and calls EvtDriverDeviceAdd. WdfDeviceCreate makes the functional device
 * object and attaches it to the stack. The PnP IRPs become the documented callback sequence:
 *
 *   IRP_MN_START_DEVICE   (the bus driver below first) EvtDevicePrepareHardware with the raw
 *                         and translated resources, EvtDeviceD0Entry (from D3Final), the
 *                         interrupts connected and EvtInterruptEnable,
 *                         EvtDeviceD0EntryPostInterruptsEnabled, EvtDeviceSelfManagedIoInit,
 *                         then the queues start
 *   IRP_MN_STOP_DEVICE    the queues fail what waits, EvtDeviceSelfManagedIoSuspend,
 *   IRP_MN_REMOVE_DEVICE  EvtDeviceD0ExitPreInterruptsDisabled, EvtInterruptDisable and the
 *                         disconnect, EvtDeviceD0Exit (to D3Final), EvtDeviceReleaseHardware,
 *                         and at the remove EvtDeviceSelfManagedIoCleanup; then the device
 *                         object is deleted (its cleanup callbacks, children first) and the
 *                         WDM device detached and deleted
 *
 * A callback that fails is told to the PnP manager as the IRP's status, as the framework does.
 * Read, write and device-control IRPs go to the device's queues (queue.c); create, close and
 * cleanup succeed; power IRPs and the other PnP IRPs go down the stack.
 */
#include <stdlib.h>
#include <string.h>

#include "fx.h"

/* ---------------------------------------------------------------------------------------------
 * Resource lists: read-only views of the start IRP's CM_RESOURCE_LISTs.
 */
struct fx_cmreslist {
    struct fx_object obj;
    PCM_RESOURCE_LIST list;
};

static struct fx_cmreslist *reslist_new(struct fx_device *d, PCM_RESOURCE_LIST list)
{
    NTSTATUS status;
    struct fx_cmreslist *r = (struct fx_cmreslist *)fx_create(
        FX_CMRESLIST, sizeof(*r), "IRP_MN_START_DEVICE", NULL, &d->obj, &status);

    if (r != NULL) {
        r->list = list;
        r->obj.driver_may_delete = false;
    }
    return r;
}

static ULONG reslist_count(const struct fx_cmreslist *r)
{
    return r->list != NULL && r->list->Count > 0 ? r->list->List[0].PartialResourceList.Count : 0;
}

ULONG WdfCmResourceListGetCount(WDFCMRESLIST List)
{
    struct fx_cmreslist *r =
        (struct fx_cmreslist *)fx_get(List, FX_CMRESLIST, "WdfCmResourceListGetCount", false);

    return r != NULL ? reslist_count(r) : 0;
}

PCM_PARTIAL_RESOURCE_DESCRIPTOR WdfCmResourceListGetDescriptor(WDFCMRESLIST List, ULONG Index)
{
    struct fx_cmreslist *r = (struct fx_cmreslist *)fx_get(
        List, FX_CMRESLIST, "WdfCmResourceListGetDescriptor", false);

    if (r == NULL || Index >= reslist_count(r))
        return NULL; /* documented: NULL for an index past the end */
    return &r->list->List[0].PartialResourceList.PartialDescriptors[Index];
}

/* ---------------------------------------------------------------------------------------------
 * Finding the framework's records from WDM objects.
 */
static struct fx_driver *driver_of(PDRIVER_OBJECT wdm)
{
    struct fx_state *st = fx_state();

    for (struct fx_driver *drv = st != NULL ? st->drivers : NULL; drv != NULL; drv = drv->next)
        if (drv->wdm == wdm)
            return drv;
    return NULL;
}

struct fx_device *fx_device_of(PDEVICE_OBJECT wdm)
{
    struct fx_state *st = fx_state();

    for (struct fx_driver *drv = st != NULL ? st->drivers : NULL; drv != NULL; drv = drv->next)
        for (struct fx_device *d = drv->devices; d != NULL; d = d->next)
            if (d->wdm == wdm)
                return d;
    return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * The PnP sequence.
 */
static NTSTATUS complete_irp(PIRP irp, NTSTATUS status)
{
    irp->IoStatus.Status = status;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

static NTSTATUS pass_down(struct fx_device *d, PIRP irp)
{
    IoSkipCurrentIrpStackLocation(irp);
    return IoCallDriver(d->lower, irp);
}

static NTSTATUS start_device(struct fx_device *d, PIRP irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    PCM_RESOURCE_LIST raw = sp->Parameters.StartDevice.AllocatedResources;
    PCM_RESOURCE_LIST translated = sp->Parameters.StartDevice.AllocatedResourcesTranslated;
    WDFDEVICE h = (WDFDEVICE)d->obj.handle;
    struct fx_cmreslist *r, *t;
    bool prepared = false, in_d0 = false, connected = false;
    NTSTATUS status;

    /* the bus driver starts the device first */
    if (!IoForwardIrpSynchronously(d->lower, irp))
        return complete_irp(irp, STATUS_UNSUCCESSFUL);
    status = irp->IoStatus.Status;
    if (!NT_SUCCESS(status))
        return complete_irp(irp, status);
    r = reslist_new(d, raw);
    t = reslist_new(d, translated);
    if (r == NULL || t == NULL)
        status = STATUS_INSUFFICIENT_RESOURCES;
    if (NT_SUCCESS(status) && d->pnp.EvtDevicePrepareHardware != NULL)
        status = d->pnp.EvtDevicePrepareHardware(h, (WDFCMRESLIST)r->obj.handle,
                                                 (WDFCMRESLIST)t->obj.handle);
    prepared = NT_SUCCESS(status);
    if (prepared && d->pnp.EvtDeviceD0Entry != NULL)
        status = d->pnp.EvtDeviceD0Entry(h, WdfPowerDeviceD3Final);
    in_d0 = prepared && NT_SUCCESS(status);
    if (in_d0)
        status = fx_interrupts_connect(d, translated);
    connected = in_d0 && NT_SUCCESS(status);
    if (connected)
        status = fx_dma_power(d, true);
    if (connected && d->pnp.EvtDeviceD0EntryPostInterruptsEnabled != NULL)
        status = d->pnp.EvtDeviceD0EntryPostInterruptsEnabled(h, WdfPowerDeviceD3Final);
    if (NT_SUCCESS(status) && d->pnp.EvtDeviceSelfManagedIoInit != NULL)
        status = d->pnp.EvtDeviceSelfManagedIoInit(h);
    if (NT_SUCCESS(status)) {
        d->state = FX_PNP_STARTED;
        d->translated = t;
        fx_queues_start(d);
        return complete_irp(irp, status);
    }
    /* the start failed: what succeeded is undone in reverse, and the device stays added */
    if (connected)
        fx_interrupts_disconnect(d);
    if (in_d0 && d->pnp.EvtDeviceD0Exit != NULL)
        d->pnp.EvtDeviceD0Exit(h, WdfPowerDeviceD3Final);
    if (prepared && d->pnp.EvtDeviceReleaseHardware != NULL)
        d->pnp.EvtDeviceReleaseHardware(h, (WDFCMRESLIST)t->obj.handle);
    if (r != NULL)
        fx_delete(&r->obj);
    if (t != NULL)
        fx_delete(&t->obj);
    return complete_irp(irp, status);
}

/* Leave D0 and give the hardware back (stop, or a remove without a stop first). */
static void stop_device(struct fx_device *d)
{
    WDFDEVICE h = (WDFDEVICE)d->obj.handle;

    if (d->state != FX_PNP_STARTED)
        return;
    fx_queues_stop(d);
    fx_queues_purge(d, STATUS_DELETE_PENDING);
    if (d->pnp.EvtDeviceSelfManagedIoSuspend != NULL)
        d->pnp.EvtDeviceSelfManagedIoSuspend(h);
    if (d->pnp.EvtDeviceD0ExitPreInterruptsDisabled != NULL)
        d->pnp.EvtDeviceD0ExitPreInterruptsDisabled(h, WdfPowerDeviceD3Final);
    fx_dma_power(d, false);
    fx_interrupts_disconnect(d);
    if (d->pnp.EvtDeviceD0Exit != NULL)
        d->pnp.EvtDeviceD0Exit(h, WdfPowerDeviceD3Final);
    if (d->pnp.EvtDeviceReleaseHardware != NULL)
        d->pnp.EvtDeviceReleaseHardware(h, (WDFCMRESLIST)d->translated->obj.handle);
    d->state = FX_PNP_ADDED;
}

static void device_unlink(struct fx_device *d)
{
    struct fx_device **p = &d->driver->devices;

    while (*p != NULL && *p != d)
        p = &(*p)->next;
    if (*p == d)
        *p = d->next;
}

static NTSTATUS remove_device(struct fx_device *d, PIRP irp)
{
    PDEVICE_OBJECT wdm = d->wdm, lower = d->lower;
    NTSTATUS status;

    stop_device(d);
    if (d->pnp.EvtDeviceSelfManagedIoCleanup != NULL)
        d->pnp.EvtDeviceSelfManagedIoCleanup((WDFDEVICE)d->obj.handle);
    d->state = FX_PNP_REMOVED;
    irp->IoStatus.Status = STATUS_SUCCESS;
    IoSkipCurrentIrpStackLocation(irp);
    status = IoCallDriver(lower, irp);
    device_unlink(d);
    d->obj.driver_may_delete = true;
    fx_delete(&d->obj); /* its queues, resource lists and the driver's children of it */
    IoDetachDevice(lower);
    IoDeleteDevice(wdm);
    return status;
}

static NTSTATUS dispatch_pnp(struct fx_device *d, PIRP irp)
{
    switch (IoGetCurrentIrpStackLocation(irp)->MinorFunction) {
    case IRP_MN_START_DEVICE:
        return start_device(d, irp);
    case IRP_MN_STOP_DEVICE:
        stop_device(d);
        irp->IoStatus.Status = STATUS_SUCCESS;
        return pass_down(d, irp);
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_QUERY_REMOVE_DEVICE: {
        NTSTATUS status = STATUS_SUCCESS;
        bool stop = IoGetCurrentIrpStackLocation(irp)->MinorFunction == IRP_MN_QUERY_STOP_DEVICE;
        if (stop && d->pnp.EvtDeviceQueryStop != NULL)
            status = d->pnp.EvtDeviceQueryStop((WDFDEVICE)d->obj.handle);
        else if (!stop && d->pnp.EvtDeviceQueryRemove != NULL)
            status = d->pnp.EvtDeviceQueryRemove((WDFDEVICE)d->obj.handle);
        if (!NT_SUCCESS(status))
            return complete_irp(irp, status);
        irp->IoStatus.Status = STATUS_SUCCESS;
        return pass_down(d, irp);
    }
    case IRP_MN_SURPRISE_REMOVAL:
        if (d->pnp.EvtDeviceSurpriseRemoval != NULL)
            d->pnp.EvtDeviceSurpriseRemoval((WDFDEVICE)d->obj.handle);
        stop_device(d);
        irp->IoStatus.Status = STATUS_SUCCESS;
        return pass_down(d, irp);
    case IRP_MN_REMOVE_DEVICE:
        return remove_device(d, irp);
    default:
        return pass_down(d, irp);
    }
}

/* Every major function of a framework driver comes here. */
static NTSTATUS fx_dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    struct fx_device *d = fx_device_of(DeviceObject);

    if (d == NULL) /* not a framework device of this machine: nothing to do it with */
        return complete_irp(Irp, STATUS_INVALID_DEVICE_REQUEST);
    switch (IoGetCurrentIrpStackLocation(Irp)->MajorFunction) {
    case IRP_MJ_PNP:
        return dispatch_pnp(d, Irp);
    case IRP_MJ_POWER:
    case IRP_MJ_SYSTEM_CONTROL:
        return pass_down(d, Irp);
    case IRP_MJ_CREATE:
    case IRP_MJ_CLOSE:
    case IRP_MJ_CLEANUP:
        Irp->IoStatus.Information = 0;
        return complete_irp(Irp, STATUS_SUCCESS);
    default:
        return fx_queue_irp(d, Irp);
    }
}

static NTSTATUS fx_add_device(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject)
{
    struct fx_driver *drv = driver_of(DriverObject);
    PWDFDEVICE_INIT init;
    NTSTATUS status;

    if (drv == NULL || drv->config.EvtDriverDeviceAdd == NULL)
        return STATUS_INVALID_DEVICE_REQUEST;
    init = calloc(1, sizeof(*init));
    if (init == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    init->driver = drv;
    init->pdo = PhysicalDeviceObject;
    init->io_type = WdfDeviceIoBuffered; /* the framework's default */
    init->device_type = FILE_DEVICE_UNKNOWN;
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&init->pnp);
    status = drv->config.EvtDriverDeviceAdd((WDFDRIVER)drv->obj.handle, init);
    if (NT_SUCCESS(status) && drv->devices == NULL)
        status = STATUS_UNSUCCESSFUL; /* AddDevice that made no device: the stack has none */
    free(init); /* used or not: the framework's, and only valid during EvtDriverDeviceAdd */
    return status;
}

static VOID fx_unload(PDRIVER_OBJECT DriverObject)
{
    struct fx_driver *drv = driver_of(DriverObject);

    if (drv == NULL)
        return;
    if (drv->config.EvtDriverUnload != NULL)
        drv->config.EvtDriverUnload((WDFDRIVER)drv->obj.handle);
    drv->obj.driver_may_delete = true;
    fx_delete(&drv->obj);
}

static void driver_release(struct fx_object *o)
{
    struct fx_driver *drv = (struct fx_driver *)o;
    struct fx_state *st = fx_state();
    struct fx_driver **p = &st->drivers;

    while (*p != NULL && *p != drv)
        p = &(*p)->next;
    if (*p == drv)
        *p = drv->next;
}

/* ---------------------------------------------------------------------------------------------
 * The driver's calls.
 */
NTSTATUS WdfDriverCreate(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath,
                         PWDF_OBJECT_ATTRIBUTES DriverAttributes, PWDF_DRIVER_CONFIG DriverConfig,
                         WDFDRIVER *Driver)
{
    static const char routine[] = "WdfDriverCreate";
    struct fx_state *st = fx_state();
    struct fx_driver *drv;
    NTSTATUS status;

    (void)RegistryPath;
    if (Driver != NULL)
        *Driver = NULL;
    if (st == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (DriverObject == NULL || DriverConfig == NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: %s is NULL", routine,
                     DriverObject == NULL ? "DriverObject" : "DriverConfig");
        return STATUS_INVALID_PARAMETER;
    }
    if (DriverConfig->Size != sizeof(WDF_DRIVER_CONFIG)) {
        fx_violation(routine, 0x4, DriverConfig->Size, sizeof(WDF_DRIVER_CONFIG),
                     "%s: WDF_DRIVER_CONFIG.Size is %u (WDF_DRIVER_CONFIG_INIT it)", routine,
                     (unsigned)DriverConfig->Size);
        return STATUS_INFO_LENGTH_MISMATCH;
    }
    if (driver_of(DriverObject) != NULL) {
        fx_violation(routine, 0x5, (uint64_t)(uintptr_t)DriverObject, 0,
                     "%s called twice for one driver object", routine);
        return STATUS_INVALID_DEVICE_STATE;
    }
    drv = (struct fx_driver *)fx_create(FX_DRIVER, sizeof(*drv), routine, DriverAttributes,
                                        NULL, &status);
    if (drv == NULL)
        return status;
    drv->obj.release = driver_release;
    drv->obj.driver_may_delete = false;
    drv->wdm = DriverObject;
    drv->config = *DriverConfig;
    drv->next = st->drivers;
    st->drivers = drv;
    if (!(DriverConfig->DriverInitFlags & WdfDriverInitNoDispatchOverride)) {
        for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
            DriverObject->MajorFunction[i] = fx_dispatch;
        DriverObject->DriverUnload = fx_unload;
        if (!(DriverConfig->DriverInitFlags & WdfDriverInitNonPnpDriver) &&
            DriverObject->DriverExtension != NULL)
            DriverObject->DriverExtension->AddDevice = fx_add_device;
    }
    if (Driver != NULL)
        *Driver = (WDFDRIVER)drv->obj.handle;
    return STATUS_SUCCESS;
}

PDRIVER_OBJECT WdfDriverWdmGetDriverObject(WDFDRIVER Driver)
{
    struct fx_driver *drv =
        (struct fx_driver *)fx_get(Driver, FX_DRIVER, "WdfDriverWdmGetDriverObject", false);

    return drv != NULL ? drv->wdm : NULL;
}

WDFDRIVER WdfWdmDriverGetWdfDriverHandle(PDRIVER_OBJECT DriverObject)
{
    struct fx_driver *drv = driver_of(DriverObject);

    return drv != NULL ? (WDFDRIVER)drv->obj.handle : NULL;
}

WDFDRIVER WdfGetDriver(VOID)
{
    struct fx_state *st = fx_state();

    return st != NULL && st->drivers != NULL ? (WDFDRIVER)st->drivers->obj.handle : NULL;
}

/* ---- WDFDEVICE_INIT ---------------------------------------------------------------------- */
static bool init_ok(PWDFDEVICE_INIT init, const char *routine)
{
    if (init == NULL || init->driver == NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: %s", routine,
                     init == NULL ? "DeviceInit is NULL"
                                  : "DeviceInit was already used by WdfDeviceCreate");
        return false;
    }
    return true;
}

VOID WdfDeviceInitSetIoType(PWDFDEVICE_INIT DeviceInit, WDF_DEVICE_IO_TYPE IoType)
{
    if (!init_ok(DeviceInit, "WdfDeviceInitSetIoType"))
        return;
    if (IoType <= WdfDeviceIoUndefined || IoType >= WdfDeviceIoMaximum) {
        fx_violation("WdfDeviceInitSetIoType", 0x4, (uint64_t)IoType, 0,
                     "WdfDeviceInitSetIoType: %d is no WDF_DEVICE_IO_TYPE", (int)IoType);
        return;
    }
    DeviceInit->io_type = IoType;
}

VOID WdfDeviceInitSetPnpPowerEventCallbacks(PWDFDEVICE_INIT DeviceInit,
                                            PWDF_PNPPOWER_EVENT_CALLBACKS PnpPowerEventCallbacks)
{
    static const char routine[] = "WdfDeviceInitSetPnpPowerEventCallbacks";

    if (!init_ok(DeviceInit, routine))
        return;
    if (PnpPowerEventCallbacks == NULL ||
        PnpPowerEventCallbacks->Size != sizeof(WDF_PNPPOWER_EVENT_CALLBACKS)) {
        fx_violation(routine, 0x4, 0, 0, "%s: no WDF_PNPPOWER_EVENT_CALLBACKS of the right "
                     "size (WDF_PNPPOWER_EVENT_CALLBACKS_INIT it)", routine);
        return;
    }
    DeviceInit->pnp = *PnpPowerEventCallbacks;
}

VOID WdfDeviceInitSetExclusive(PWDFDEVICE_INIT DeviceInit, BOOLEAN IsExclusive)
{
    if (init_ok(DeviceInit, "WdfDeviceInitSetExclusive"))
        DeviceInit->exclusive = IsExclusive;
}

VOID WdfDeviceInitSetDeviceType(PWDFDEVICE_INIT DeviceInit, DEVICE_TYPE DeviceType)
{
    if (init_ok(DeviceInit, "WdfDeviceInitSetDeviceType"))
        DeviceInit->device_type = DeviceType;
}

VOID WdfDeviceInitSetCharacteristics(PWDFDEVICE_INIT DeviceInit, ULONG DeviceCharacteristics,
                                     BOOLEAN OrInValues)
{
    if (!init_ok(DeviceInit, "WdfDeviceInitSetCharacteristics"))
        return;
    DeviceInit->characteristics =
        OrInValues ? DeviceInit->characteristics | DeviceCharacteristics : DeviceCharacteristics;
}

VOID WdfDeviceInitSetPowerPageable(PWDFDEVICE_INIT DeviceInit)
{
    (void)init_ok(DeviceInit, "WdfDeviceInitSetPowerPageable");
}

VOID WdfDeviceInitSetPowerNotPageable(PWDFDEVICE_INIT DeviceInit)
{
    (void)init_ok(DeviceInit, "WdfDeviceInitSetPowerNotPageable");
}

/* ---- WDFDEVICE --------------------------------------------------------------------------- */
NTSTATUS WdfDeviceCreate(PWDFDEVICE_INIT *DeviceInit, PWDF_OBJECT_ATTRIBUTES DeviceAttributes,
                         WDFDEVICE *Device)
{
    static const char routine[] = "WdfDeviceCreate";
    PWDFDEVICE_INIT init = DeviceInit != NULL ? *DeviceInit : NULL;
    PDEVICE_OBJECT wdm = NULL;
    struct fx_device *d;
    NTSTATUS status;

    if (Device == NULL || !init_ok(init, routine))
        return STATUS_INVALID_PARAMETER;
    *Device = NULL;
    d = (struct fx_device *)fx_create(FX_DEVICE, sizeof(*d), routine, DeviceAttributes,
                                      &init->driver->obj, &status);
    if (d == NULL)
        return status;
    status = IoCreateDevice(init->driver->wdm, 0, NULL, init->device_type,
                            init->characteristics, init->exclusive, &wdm);
    if (NT_SUCCESS(status)) {
        d->lower = IoAttachDeviceToDeviceStack(wdm, init->pdo);
        if (d->lower == NULL) {
            IoDeleteDevice(wdm);
            status = STATUS_NO_SUCH_DEVICE;
        }
    }
    if (!NT_SUCCESS(status)) {
        d->obj.driver_may_delete = true;
        fx_delete(&d->obj);
        return status;
    }
    d->obj.driver_may_delete = false; /* a PnP device goes with its remove IRP */
    d->driver = init->driver;
    d->wdm = wdm;
    d->pdo = init->pdo;
    d->io_type = init->io_type;
    d->pnp = init->pnp;
    KeInitializeSpinLock(&d->sync_lock);
    if (d->io_type == WdfDeviceIoDirect)
        wdm->Flags |= DO_DIRECT_IO;
    else if (d->io_type == WdfDeviceIoBuffered || d->io_type == WdfDeviceIoBufferedOrDirect)
        wdm->Flags |= DO_BUFFERED_IO;
    wdm->Flags &= ~DO_DEVICE_INITIALIZING;
    d->next = init->driver->devices;
    init->driver->devices = d;
    /* used up: the driver's pointer cleared, the init refused from here (fx_add_device frees
     * it when EvtDriverDeviceAdd returns) */
    init->driver = NULL;
    *DeviceInit = NULL;
    *Device = (WDFDEVICE)d->obj.handle;
    return STATUS_SUCCESS;
}

static struct fx_device *device_get(WDFDEVICE Device, const char *routine)
{
    return (struct fx_device *)fx_get(Device, FX_DEVICE, routine, false);
}

PDEVICE_OBJECT WdfDeviceWdmGetDeviceObject(WDFDEVICE Device)
{
    struct fx_device *d = device_get(Device, "WdfDeviceWdmGetDeviceObject");

    return d != NULL ? d->wdm : NULL;
}

PDEVICE_OBJECT WdfDeviceWdmGetPhysicalDevice(WDFDEVICE Device)
{
    struct fx_device *d = device_get(Device, "WdfDeviceWdmGetPhysicalDevice");

    return d != NULL ? d->pdo : NULL;
}

PDEVICE_OBJECT WdfDeviceWdmGetAttachedDevice(WDFDEVICE Device)
{
    struct fx_device *d = device_get(Device, "WdfDeviceWdmGetAttachedDevice");

    return d != NULL ? d->lower : NULL;
}

WDFDEVICE WdfWdmDeviceGetWdfDeviceHandle(PDEVICE_OBJECT DeviceObject)
{
    struct fx_device *d = fx_device_of(DeviceObject);

    return d != NULL ? (WDFDEVICE)d->obj.handle : NULL;
}

WDFDRIVER WdfDeviceGetDriver(WDFDEVICE Device)
{
    struct fx_device *d = device_get(Device, "WdfDeviceGetDriver");

    return d != NULL ? (WDFDRIVER)d->driver->obj.handle : NULL;
}

NTSTATUS WdfDeviceCreateDeviceInterface(WDFDEVICE Device, CONST GUID *InterfaceClassGUID,
                                        PCUNICODE_STRING ReferenceString)
{
    struct fx_device *d = device_get(Device, "WdfDeviceCreateDeviceInterface");

    (void)ReferenceString;
    if (d == NULL)
        return STATUS_INVALID_HANDLE;
    if (InterfaceClassGUID == NULL) {
        fx_violation("WdfDeviceCreateDeviceInterface", 0x4, 0, 0,
                     "WdfDeviceCreateDeviceInterface: InterfaceClassGUID is NULL");
        return STATUS_INVALID_PARAMETER;
    }
    /* no user-mode side to open it; the interface is counted */
    d->interfaces++;
    return STATUS_SUCCESS;
}

NTSTATUS WdfDeviceAssignS0IdleSettings(WDFDEVICE Device,
                                       PWDF_DEVICE_POWER_POLICY_IDLE_SETTINGS Settings)
{
    struct fx_device *d = device_get(Device, "WdfDeviceAssignS0IdleSettings");

    if (d == NULL)
        return STATUS_INVALID_HANDLE;
    if (Settings == NULL || Settings->Size != sizeof(*Settings))
        return STATUS_INFO_LENGTH_MISMATCH;
    d->idle = *Settings; /* kept; the device is never idled in this slice */
    return STATUS_SUCCESS;
}

NTSTATUS WdfDeviceAssignSxWakeSettings(WDFDEVICE Device,
                                       PWDF_DEVICE_POWER_POLICY_WAKE_SETTINGS Settings)
{
    struct fx_device *d = device_get(Device, "WdfDeviceAssignSxWakeSettings");

    if (d == NULL)
        return STATUS_INVALID_HANDLE;
    if (Settings == NULL || Settings->Size != sizeof(*Settings))
        return STATUS_INFO_LENGTH_MISMATCH;
    d->wake = *Settings;
    return STATUS_SUCCESS;
}

VOID WdfDeviceSetAlignmentRequirement(WDFDEVICE Device, ULONG AlignmentRequirement)
{
    struct fx_device *d = device_get(Device, "WdfDeviceSetAlignmentRequirement");

    if (d == NULL)
        return;
    if ((AlignmentRequirement & (AlignmentRequirement + 1)) != 0) {
        fx_violation("WdfDeviceSetAlignmentRequirement", 0x4, AlignmentRequirement, 0,
                     "WdfDeviceSetAlignmentRequirement: %#x is not a power of two less one "
                     "(FILE_*_ALIGNMENT)", (unsigned)AlignmentRequirement);
        return;
    }
    d->wdm->AlignmentRequirement = AlignmentRequirement;
}

ULONG WdfDeviceGetAlignmentRequirement(WDFDEVICE Device)
{
    struct fx_device *d = device_get(Device, "WdfDeviceGetAlignmentRequirement");

    return d != NULL ? d->wdm->AlignmentRequirement : 0;
}
