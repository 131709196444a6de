/*
 * videoport.c - the video port on the HAL's public interface, the way videoprt.sys serves a
 * bus-master DMA miniport (video.h; the "Bus-Master DMA in Video Miniport Drivers" pages and
 * iommu-linux-videoport.md part C):
 *
 *   VideoPortInitialize   the miniport's VIDEO_HW_INITIALIZATION_DATA kept; the driver object
 *                         taken over (every major function, AddDevice)
 *   AddDevice             the functional device object, its extension the miniport's
 *                         HwDeviceExtension (HwDeviceExtensionSize bytes, zeroed)
 *   IRP_MN_START_DEVICE   (the bus driver below first) the access ranges and the interrupt
 *                         from the translated resources, VIDEO_PORT_CONFIG_INFO, HwVidFindAdapter,
 *                         the interrupt connected to HwVidInterrupt, HwVidInitialize
 *   read / write          the display driver's transfer request: HwVidStartIO with
 *                         IOCTL_VIDEO_DMASIM_TRANSFER; the request completes when the miniport
 *                         sets its event (VideoPortSetEvent)
 *   device control        HwVidStartIO with the request's IOCTL, completed with its status
 *
 * Packet DMA: VideoPortGetDmaAdapter describes the device to IoGetDmaAdapter (a bus master,
 * the VP_DEVICE_DESCRIPTION's scatter/gather, address width and maximum length) and keeps the
 * adapter and its map registers; VideoPortStartDma maps from Offset at most what the map
 * registers cover (*pLength is shortened first), by GetScatterGatherList at DISPATCH_LEVEL,
 * and calls HwVidExecuteDma at DISPATCH_LEVEL with the list and the Context; VideoPortCompleteDma
 * puts the list back. The adapter's map registers are the budget of all its rounds out at once
 * (model: "the actual amount of memory transferred is limited by the number of map registers
 * available"): a round gets what its adapter has free, and with none free waits for a
 * CompleteDma, so two engines sharing one adapter share its registers, and one adapter an
 * engine ("one DMA adapter object for each concurrent path") lets both run whole rounds.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dmasim/hal.h"
#include "dmasim/video.h"

#define VP_DEVICE_MAGIC  0x56504456u /* "VPDV" */
#define VP_ADAPTER_MAGIC 0x56504441u /* "VPDA" */
#define VP_EVENT_MAGIC   0x56504556u /* "VPEV" */
#define VP_MAX_RANGES    8

struct vp_driver {
    struct vp_driver *next;
    PDRIVER_OBJECT wdm;
    VIDEO_HW_INITIALIZATION_DATA hw;
    PVOID hw_context;
};

struct __VP_DMA_ADAPTER {
    uint32_t magic;
    struct vp_device *dev;
    struct __VP_DMA_ADAPTER *next;
    PDMA_ADAPTER adapter;
    ULONG map_registers;
    ULONG maximum_length;         /* the VP_DEVICE_DESCRIPTION's: one round moves no more */
    ULONG lists;                  /* mapped (StartDma) and not yet completed */
    ULONG registers_in_use;       /* of map_registers, by the rounds out (model: the budget) */
    struct vp_round *waiting, **waiting_tail; /* rounds waiting for registers, in order */
    struct vp_common *commons;    /* VideoPortAllocateCommonBuffer's, until released */
};

struct vp_common {
    struct vp_common *next;
    PVOID va;
    PHYSICAL_ADDRESS la;
    ULONG length;
    BOOLEAN cached;
};

/* One StartDma round: what it mapped, until CompleteDma puts it back. */
struct vp_round {
    struct vp_round *next;        /* the device's rounds out, or the adapter's waiting */
    struct __VP_DMA_ADAPTER *a;
    PEXECUTE_DMA execute;
    PVOID context;
    PSCATTER_GATHER_LIST list;    /* the HAL's, once it is built */
    PIRP irp;                     /* the transfer it belongs to, where the port knows it */
    PMDL mdl;
    ULONG offset, length, registers;
    BOOLEAN write;
};

/* A display driver's transfer request, until the miniport sets its event. */
struct _VIDEO_PORT_EVENT {
    uint32_t magic;
    struct vp_device *dev;
    PIRP irp;
    VIDEO_DMASIM_TRANSFER transfer;
    STATUS_BLOCK status;
    VIDEO_REQUEST_PACKET vrp;
    bool signalled;               /* set inside HwVidStartIO: completed when it returns */
};

struct vp_device {
    uint32_t magic;
    struct vp_device *next;       /* the machine's */
    struct vp_driver *driver;
    PDEVICE_OBJECT fdo, pdo, lower;
    bool started;
    VIDEO_ACCESS_RANGE ranges[VP_MAX_RANGES];
    ULONG n_ranges;
    ULONG private_data[3];        /* the firmware's words (CmResourceTypeDevicePrivate) */
    bool have_private;
    ULONG interrupt_vector, interrupt_level;
    KINTERRUPT_MODE interrupt_mode;
    bool have_interrupt;
    PKINTERRUPT interrupt;
    bool in_isr;
    KDPC dpc;
    bool dpc_queued;
    PMINIPORT_DPC_ROUTINE dpc_routine;
    PVOID dpc_context;
    struct __VP_DMA_ADAPTER *adapters;
    struct vp_round *rounds;
    PIRP startio_irp;             /* the request HwVidStartIO is serving now */
    struct _VIDEO_PORT_EVENT *startio_event; /* and its event, if a transfer */
    PIRP context_irp;             /* the request a DPC's CompleteDma said it is serving */
    bool context_entered;
    uint64_t context_saved;
    _Alignas(16) UCHAR hw[];      /* the miniport's HwDeviceExtension */
};

struct vp_state {
    struct vp_driver *drivers;
    struct vp_device *devices;
};

/* ---------------------------------------------------------------------------------------------
 * The machine's records, and checking what a miniport hands over.
 */
static void state_free(void *p)
{
    struct vp_state *st = p;

    /* devices never removed (the machine goes first): the port's own records of them; what
     * they hold of the HAL's, the machine frees itself */
    for (struct vp_device *d = st->devices; d != NULL; d = d->next) {
        while (d->rounds != NULL) {
            struct vp_round *r = d->rounds;
            d->rounds = r->next;
            free(r);
        }
        while (d->adapters != NULL) {
            struct __VP_DMA_ADAPTER *a = d->adapters;
            d->adapters = a->next;
            while (a->waiting != NULL) {
                struct vp_round *r = a->waiting;
                a->waiting = r->next;
                free(r);
            }
            while (a->commons != NULL) {
                struct vp_common *c = a->commons;
                a->commons = c->next;
                free(c);
            }
            free(a);
        }
    }
    for (struct vp_driver *d = st->drivers, *n; d != NULL; d = n) {
        n = d->next;
        free(d);
    }
    free(st);
}

static struct vp_state *vp_state(void)
{
    return dms_machine_framework_state(dms_machine_current(), DMS_FRAMEWORK_VIDEOPORT,
                                       sizeof(struct vp_state), state_free, NULL);
}

static void vp_finding(const char *routine, uint32_t code, uint64_t p2, const char *what)
{
    dms_report_finding(dms_machine_current(), routine, code, p2, 0, 0, "%s: %s", routine, what);
}

/* The device whose HwDeviceExtension this is, or NULL. */
static struct vp_device *find_device(PVOID HwDeviceExtension)
{
    struct vp_state *st = vp_state();

    for (struct vp_device *d = st != NULL ? st->devices : NULL; d != NULL; d = d->next)
        if ((PVOID)d->hw == HwDeviceExtension)
            return d;
    return NULL;
}

/* The same, or NULL said. */
static struct vp_device *device_of(PVOID HwDeviceExtension, const char *routine)
{
    struct vp_device *d = find_device(HwDeviceExtension);

    if (d != NULL)
        return d;
    vp_finding(routine, DMS_CHECK_BAD_ARGUMENT, (uint64_t)(uintptr_t)HwDeviceExtension,
               "HwDeviceExtension is not a device extension the video port gave this miniport");
    return NULL;
}

static struct __VP_DMA_ADAPTER *adapter_of(struct vp_device *d, PVP_DMA_ADAPTER a,
                                           const char *routine)
{
    for (struct __VP_DMA_ADAPTER *x = d->adapters; x != NULL; x = x->next)
        if (x == a && x->magic == VP_ADAPTER_MAGIC)
            return x;
    vp_finding(routine, DMS_CHECK_BAD_ARGUMENT, (uint64_t)(uintptr_t)a,
               "VpDmaAdapter is not an adapter VideoPortGetDmaAdapter gave this device (or it "
               "was put)");
    return NULL;
}

/* The video port's DMA routines run at or below DISPATCH_LEVEL (GetDmaAdapter, LockBuffer and
 * the common buffers at PASSIVE_LEVEL): one from the ISR is the classic mistake. */
static bool irql_ok(struct vp_device *d, KIRQL most, const char *routine)
{
    KIRQL irql = KeGetCurrentIrql();

    if (irql <= most)
        return true;
    dms_report_finding(dms_machine_current(), routine, DMS_E6_WRONG_IRQL, irql, most, 0,
                       "%s at IRQL %u%s: it may be called at %s only%s", routine, (unsigned)irql,
                       d != NULL && d->in_isr ? ", from the miniport's ISR" : "",
                       most == PASSIVE_LEVEL ? "PASSIVE_LEVEL" : "DISPATCH_LEVEL or below",
                       d != NULL && d->in_isr ? " (the ISR queues a DPC with VideoPortQueueDpc, "
                                                "and the DPC calls it)"
                                              : "");
    return false;
}

/* ---------------------------------------------------------------------------------------------
 * The miniport's requests.
 */
static NTSTATUS status_of(VP_STATUS s)
{
    switch (s) {
    case NO_ERROR: return STATUS_SUCCESS;
    case ERROR_NOT_ENOUGH_MEMORY: return STATUS_INSUFFICIENT_RESOURCES;
    case ERROR_INVALID_PARAMETER: return STATUS_INVALID_PARAMETER;
    case ERROR_DEV_NOT_EXIST: return STATUS_DEVICE_DOES_NOT_EXIST;
    case ERROR_MORE_DATA: return STATUS_BUFFER_OVERFLOW;
    case ERROR_INVALID_FUNCTION: return STATUS_NOT_IMPLEMENTED;
    case ERROR_IO_DEVICE: return STATUS_IO_DEVICE_ERROR;
    default: return STATUS_UNSUCCESSFUL;
    }
}

static BOOLEAN start_io(struct vp_device *d, PIRP irp, PVIDEO_REQUEST_PACKET vrp)
{
    BOOLEAN handled;
    PIRP outer = d->startio_irp;

    d->startio_irp = irp;
    handled = d->driver->hw.HwStartIO(d->hw, vrp);
    d->startio_irp = outer;
    return handled;
}

static NTSTATUS complete_irp(PIRP irp, NTSTATUS status, ULONG_PTR information)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_VIDEO_INCREMENT);
    return status;
}

/* A read or write: the display driver's transfer, HwVidStartIO, and the event. */
static NTSTATUS transfer(struct vp_device *d, PIRP irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    ULONG length = sp->Parameters.Read.Length;
    struct _VIDEO_PORT_EVENT *ev;
    BOOLEAN handled;
    PVOID va;

    if (length == 0)
        return complete_irp(irp, STATUS_SUCCESS, 0);
    if (irp->MdlAddress == NULL ||
        (va = MmGetSystemAddressForMdlSafe(irp->MdlAddress, NormalPagePriority)) == NULL)
        return complete_irp(irp, STATUS_INVALID_PARAMETER, 0);
    ev = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*ev), 'PVmd');
    if (ev == NULL)
        return complete_irp(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    ev->magic = VP_EVENT_MAGIC;
    ev->dev = d;
    ev->irp = irp;
    ev->transfer.Buffer = va;
    ev->transfer.Length = length;
    ev->transfer.WriteToDevice = sp->MajorFunction == IRP_MJ_WRITE;
    ev->transfer.DeviceOffset = (ULONGLONG)sp->Parameters.Read.ByteOffset.QuadPart;
    ev->transfer.Done = ev;
    ev->transfer.Status = NO_ERROR;
    ev->signalled = false;
    ev->status.Status = NO_ERROR;
    ev->status.Information = 0;
    ev->vrp.IoControlCode = IOCTL_VIDEO_DMASIM_TRANSFER;
    ev->vrp.StatusBlock = &ev->status;
    ev->vrp.InputBuffer = &ev->transfer;
    ev->vrp.InputBufferLength = sizeof(ev->transfer);
    ev->vrp.OutputBuffer = NULL;
    ev->vrp.OutputBufferLength = 0;
    IoMarkIrpPending(irp);
    d->startio_event = ev;
    handled = start_io(d, irp, &ev->vrp);
    d->startio_event = NULL;
    if (handled && ev->status.Status == NO_ERROR && ev->signalled) {
        /* the miniport finished (or failed) it before HwVidStartIO returned */
        NTSTATUS status = status_of(ev->transfer.Status);
        ULONG moved = ev->transfer.Status == NO_ERROR ? length : 0;
        ev->magic = 0;
        ExFreePool(ev);
        complete_irp(irp, status, moved);
    } else if (!handled || ev->status.Status != NO_ERROR) {
        /* refused: the display driver hears so at once, and the event is never set */
        NTSTATUS status = ev->status.Status == NO_ERROR ? STATUS_INVALID_DEVICE_REQUEST
                                                        : status_of(ev->status.Status);
        ev->magic = 0;
        ExFreePool(ev);
        complete_irp(irp, status, 0);
    }
    return STATUS_PENDING;
}

LONG VideoPortSetEvent(PVOID HwDeviceExtension, PEVENT pEvent)
{
    static const char routine[] = "VideoPortSetEvent";
    struct vp_device *d = device_of(HwDeviceExtension, routine);
    PIRP irp;
    ULONG length;
    NTSTATUS status;

    if (d == NULL || !irql_ok(d, DISPATCH_LEVEL, routine))
        return 0;
    if (pEvent == NULL || pEvent->magic != VP_EVENT_MAGIC || pEvent->dev != d) {
        vp_finding(routine, DMS_CHECK_BAD_ARGUMENT, (uint64_t)(uintptr_t)pEvent,
                   "pEvent is no event of a transfer request outstanding on this device (set "
                   "twice, or never given)");
        return 0;
    }
    if (pEvent == d->startio_event) { /* inside HwVidStartIO: completed when it returns */
        pEvent->signalled = true;
        return 0;
    }
    dms_trace_call(dms_machine_current(), DMS_EV_CALL, "VideoPortSetEvent", 0,
                   "the display driver's event: the transfer is whole, status %ld",
                   (long)pEvent->transfer.Status);
    irp = pEvent->irp;
    length = pEvent->transfer.Status == NO_ERROR ? pEvent->transfer.Length : 0;
    status = status_of(pEvent->transfer.Status);
    pEvent->magic = 0;
    ExFreePool(pEvent);
    complete_irp(irp, status, length);
    dms_trace_call(dms_machine_current(), DMS_EV_RETURN, "VideoPortSetEvent", 0, "returns 0");
    return 0; /* the event was not signalled before */
}

static NTSTATUS device_control(struct vp_device *d, PIRP irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    STATUS_BLOCK status = {{NO_ERROR}, 0};
    VIDEO_REQUEST_PACKET vrp = {
        .IoControlCode = sp->Parameters.DeviceIoControl.IoControlCode,
        .StatusBlock = &status,
        .InputBuffer = irp->AssociatedIrp.SystemBuffer,
        .InputBufferLength = sp->Parameters.DeviceIoControl.InputBufferLength,
        .OutputBuffer = irp->AssociatedIrp.SystemBuffer,
        .OutputBufferLength = sp->Parameters.DeviceIoControl.OutputBufferLength,
    };

    if (vrp.IoControlCode == IOCTL_VIDEO_DMASIM_TRANSFER) /* the port's own, not the caller's */
        return complete_irp(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    if (!start_io(d, irp, &vrp))
        return complete_irp(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    return complete_irp(irp, status_of(status.Status),
                        status.Status == NO_ERROR ? status.Information : 0);
}

/* ---------------------------------------------------------------------------------------------
 * The interrupt and the DPC.
 */
static BOOLEAN vp_isr(PKINTERRUPT Interrupt, PVOID ServiceContext)
{
    struct vp_device *d = ServiceContext;
    BOOLEAN claimed;

    (void)Interrupt;
    d->in_isr = true;
    claimed = d->driver->hw.HwInterrupt(d->hw);
    d->in_isr = false;
    return claimed;
}

static VOID vp_dpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    struct vp_device *d = DeferredContext;
    PMINIPORT_DPC_ROUTINE routine = d->dpc_routine;
    PVOID context = d->dpc_context;

    (void)Dpc;
    (void)SystemArgument1;
    (void)SystemArgument2;
    d->dpc_queued = false;
    if (routine == NULL)
        return;
    routine(d->hw, context);
    if (d->context_entered)
        dms_irp_context_leave(dms_machine_current(), true, d->context_saved);
    d->context_entered = false;
    d->context_irp = NULL;
}

BOOLEAN VideoPortQueueDpc(PVOID HwDeviceExtension, PMINIPORT_DPC_ROUTINE CallbackRoutine,
                          PVOID Context)
{
    struct vp_device *d = device_of(HwDeviceExtension, "VideoPortQueueDpc");

    if (d == NULL || CallbackRoutine == NULL)
        return FALSE;
    if (d->dpc_queued)
        return FALSE; /* documented: already queued */
    d->dpc_routine = CallbackRoutine;
    d->dpc_context = Context;
    d->dpc_queued = true;
    KeInsertQueueDpc(&d->dpc, NULL, NULL);
    return TRUE;
}

/* ---------------------------------------------------------------------------------------------
 * Resources and registers.
 */
VP_STATUS VideoPortGetAccessRanges(PVOID HwDeviceExtension, ULONG NumRequestedResources,
                                   PIO_RESOURCE_DESCRIPTOR RequestedResources,
                                   ULONG NumAccessRanges, PVIDEO_ACCESS_RANGE AccessRanges,
                                   PVOID VendorId, PVOID DeviceId, PULONG Slot)
{
    struct vp_device *d = device_of(HwDeviceExtension, "VideoPortGetAccessRanges");

    (void)NumRequestedResources;
    (void)RequestedResources;
    (void)VendorId;
    (void)DeviceId;
    if (d == NULL)
        return ERROR_INVALID_PARAMETER;
    if (Slot != NULL)
        *Slot = 0;
    if (d->n_ranges == 0)
        return ERROR_DEV_NOT_EXIST;
    if (AccessRanges == NULL && NumAccessRanges > 0)
        return ERROR_INVALID_PARAMETER;
    for (ULONG i = 0; i < d->n_ranges && i < NumAccessRanges; i++)
        AccessRanges[i] = d->ranges[i];
    return NumAccessRanges < d->n_ranges ? ERROR_MORE_DATA : NO_ERROR;
}

PVOID VideoPortGetDeviceBase(PVOID HwDeviceExtension, PHYSICAL_ADDRESS IoAddress,
                             ULONG NumberOfUchars, UCHAR InIoSpace)
{
    struct vp_device *d = device_of(HwDeviceExtension, "VideoPortGetDeviceBase");

    if (d == NULL || NumberOfUchars == 0)
        return NULL;
    if (InIoSpace & VIDEO_MEMORY_SPACE_IO)
        return (PVOID)(uintptr_t)IoAddress.QuadPart; /* ports: the address itself */
    return MmMapIoSpace(IoAddress, NumberOfUchars, MmNonCached);
}

VOID VideoPortFreeDeviceBase(PVOID HwDeviceExtension, PVOID MappedAddress)
{
    struct vp_device *d = device_of(HwDeviceExtension, "VideoPortFreeDeviceBase");

    (void)d;
    (void)MappedAddress; /* the mapping goes with the device: MmUnmapIoSpace needs a length */
}

ULONG VideoPortReadRegisterUlong(PULONG Register)
{
    return READ_REGISTER_ULONG(Register);
}

VOID VideoPortWriteRegisterUlong(PULONG Register, ULONG Value)
{
    WRITE_REGISTER_ULONG(Register, Value);
}

VOID VideoPortZeroMemory(PVOID Destination, ULONG Length)
{
    RtlZeroMemory(Destination, Length);
}

VOID VideoPortMoveMemory(PVOID Destination, PVOID Source, ULONG Length)
{
    RtlMoveMemory(Destination, Source, Length);
}

/* The firmware's words, as the registry parameters an INF would write ("DmaAddressBits",
 * "MaximumTransferLength", "DmaAdapters": the display datasheet's names). */
VP_STATUS VideoPortGetRegistryParameters(PVOID HwDeviceExtension, PWSTR ParameterName,
                                         UCHAR IsParameterFileName,
                                         PMINIPORT_GET_REGISTRY_ROUTINE GetRegistryRoutine,
                                         PVOID Context)
{
    static const char *const names[3] = {"DmaAddressBits", "MaximumTransferLength",
                                         "DmaAdapters"};
    struct vp_device *d = device_of(HwDeviceExtension, "VideoPortGetRegistryParameters");
    char name[64];
    size_t n = 0;

    if (d == NULL || ParameterName == NULL || GetRegistryRoutine == NULL)
        return ERROR_INVALID_PARAMETER;
    for (; n + 1 < sizeof(name) && ParameterName[n] != 0; n++)
        name[n] = ParameterName[n] < 0x80 ? (char)ParameterName[n] : '?';
    name[n] = '\0';
    if (IsParameterFileName || !d->have_private)
        return ERROR_INVALID_PARAMETER;
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0 && d->private_data[i] != 0) {
            ULONG value = d->private_data[i];
            return GetRegistryRoutine(d->hw, Context, ParameterName, &value, sizeof(value));
        }
    return ERROR_INVALID_PARAMETER; /* no such value */
}

/* ---------------------------------------------------------------------------------------------
 * DMA.
 */
PVP_DMA_ADAPTER VideoPortGetDmaAdapter(PVOID HwDeviceExtension,
                                       PVP_DEVICE_DESCRIPTION VpDeviceDescription)
{
    static const char routine[] = "VideoPortGetDmaAdapter";
    struct vp_device *d = device_of(HwDeviceExtension, routine);
    struct __VP_DMA_ADAPTER *a;
    DEVICE_DESCRIPTION dd;
    ULONG n = 0;

    if (d == NULL || !irql_ok(d, PASSIVE_LEVEL, routine))
        return NULL;
    if (VpDeviceDescription == NULL) {
        vp_finding(routine, DMS_CHECK_BAD_ARGUMENT, 0, "VpDeviceDescription is NULL");
        return NULL;
    }
    a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    memset(&dd, 0, sizeof(dd));
    dd.Version = DEVICE_DESCRIPTION_VERSION;
    dd.Master = TRUE;
    dd.ScatterGather = VpDeviceDescription->ScatterGather;
    dd.Dma32BitAddresses = VpDeviceDescription->Dma32BitAddresses;
    dd.Dma64BitAddresses = VpDeviceDescription->Dma64BitAddresses;
    dd.MaximumLength = VpDeviceDescription->MaximumLength;
    dd.InterfaceType = PCIBus;
    dd.DmaWidth = Width8Bits;
    dd.DmaSpeed = Compatible;
    a->adapter = IoGetDmaAdapter(d->pdo, &dd, &n);
    if (a->adapter == NULL) {
        free(a);
        return NULL; /* documented: NULL on failure */
    }
    a->magic = VP_ADAPTER_MAGIC;
    a->dev = d;
    a->waiting_tail = &a->waiting;
    a->map_registers = n;
    a->maximum_length = VpDeviceDescription->MaximumLength;
    a->next = d->adapters;
    d->adapters = a;
    return a;
}

static void adapter_free(struct vp_device *d, struct __VP_DMA_ADAPTER *a)
{
    struct __VP_DMA_ADAPTER **p = &d->adapters;

    while (*p != NULL && *p != a)
        p = &(*p)->next;
    if (*p == a)
        *p = a->next;
    while (a->commons != NULL) { /* the device is going: the miniport's common buffers too */
        struct vp_common *c = a->commons;
        a->commons = c->next;
        a->adapter->DmaOperations->FreeCommonBuffer(a->adapter, c->length, c->la, c->va,
                                                    c->cached);
        free(c);
    }
    a->adapter->DmaOperations->PutDmaAdapter(a->adapter);
    a->magic = 0;
    free(a);
}

VOID VideoPortPutDmaAdapter(PVOID HwDeviceExtension, PVP_DMA_ADAPTER VpDmaAdapter)
{
    static const char routine[] = "VideoPortPutDmaAdapter";
    struct vp_device *d = device_of(HwDeviceExtension, routine);
    struct __VP_DMA_ADAPTER *a = d != NULL ? adapter_of(d, VpDmaAdapter, routine) : NULL;

    if (a == NULL || !irql_ok(d, PASSIVE_LEVEL, routine))
        return;
    if (a->lists > 0) {
        vp_finding(routine, DMS_CHECK_BAD_ARGUMENT, a->lists,
                   "the adapter still has transfers started and not completed "
                   "(VideoPortCompleteDma each first): it is kept");
        return;
    }
    adapter_free(d, a);
}

PVOID VideoPortLockBuffer(PVOID HwDeviceExtension, PVOID BaseAddress, ULONG Length,
                          VP_LOCK_OPERATION Operation)
{
    static const char routine[] = "VideoPortLockBuffer";
    struct vp_device *d = device_of(HwDeviceExtension, routine);
    PMDL mdl;

    if (d == NULL || !irql_ok(d, PASSIVE_LEVEL, routine))
        return NULL;
    if (Operation > VpModifyAccess || Length == 0) {
        vp_finding(routine, DMS_CHECK_BAD_ARGUMENT, Operation, "no buffer, or no such operation");
        return NULL;
    }
    mdl = IoAllocateMdl(BaseAddress, Length, FALSE, FALSE, NULL);
    if (mdl == NULL)
        return NULL; /* documented: NULL if the MDL cannot be allocated */
    /* VP_LOCK_OPERATION's values are LOCK_OPERATION's */
    MmProbeAndLockPages(mdl, KernelMode, (LOCK_OPERATION)Operation);
    return mdl;
}

VOID VideoPortUnlockBuffer(PVOID HwDeviceExtension, PVOID Mdl)
{
    static const char routine[] = "VideoPortUnlockBuffer";
    struct vp_device *d = device_of(HwDeviceExtension, routine);

    if (d == NULL || Mdl == NULL || !irql_ok(d, DISPATCH_LEVEL, routine))
        return;
    MmUnlockPages(Mdl);
    IoFreeMdl(Mdl);
}

/* The HAL built the round's list: HwVidExecuteDma, at DISPATCH_LEVEL. */
static VOID round_ready(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST SgList,
                        PVOID Context)
{
    struct vp_round *r = Context;
    struct vp_device *d = r->a->dev;

    (void)DeviceObject;
    (void)Irp;
    r->list = SgList;
    dms_trace_call(dms_machine_current(), DMS_EV_CALLBACK, "HwVidExecuteDma", 0,
                   "%u bytes, a list of %u element%s, and its Context", (unsigned)r->length,
                   (unsigned)SgList->NumberOfElements, SgList->NumberOfElements == 1 ? "" : "s");
    r->execute(d->hw, r->a, (PVP_SCATTER_GATHER_LIST)SgList, r->context);
}

/* Bytes from Offset the map registers cover: what one StartDma round may map. */
static ULONG round_length(PMDL mdl, ULONG offset, ULONG length, ULONG registers)
{
    ULONG_PTR va = (ULONG_PTR)MmGetMdlVirtualAddress(mdl) + offset;
    ULONG first = PAGE_SIZE - (ULONG)(va & (PAGE_SIZE - 1)); /* to the end of its page */
    ULONG cover;

    if (registers == 0)
        return 0;
    cover = first + (registers - 1) * PAGE_SIZE;
    return length < cover ? length : cover;
}

/* Map a round whose registers the adapter has: GetScatterGatherList at DISPATCH_LEVEL, and
 * HwVidExecuteDma when the list is built. false (and r freed): the HAL refused. */
static bool round_map(struct vp_device *d, struct vp_round *r)
{
    struct __VP_DMA_ADAPTER *a = r->a;
    NTSTATUS status;
    KIRQL old;

    a->registers_in_use += r->registers;
    r->next = d->rounds;
    d->rounds = r;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    status = a->adapter->DmaOperations->GetScatterGatherList(
        a->adapter, d->fdo, r->mdl, (PUCHAR)MmGetMdlVirtualAddress(r->mdl) + r->offset,
        r->length, round_ready, r, r->write);
    KeLowerIrql(old);
    if (NT_SUCCESS(status))
        return true;
    d->rounds = r->next;
    a->registers_in_use -= r->registers;
    a->lists--;
    free(r);
    return false;
}

/* Rounds waiting on the adapter that its free registers now hold, in order. A refused one
 * cannot tell its miniport (StartDma returned long ago): said, and its HwVidExecuteDma never
 * runs. */
static void rounds_resume(struct vp_device *d, struct __VP_DMA_ADAPTER *a)
{
    while (a->waiting != NULL && a->registers_in_use + a->waiting->registers <= a->map_registers) {
        struct vp_round *r = a->waiting;
        a->waiting = r->next;
        if (a->waiting == NULL)
            a->waiting_tail = &a->waiting;
        if (!round_map(d, r))
            vp_finding("VideoPortStartDma", DMS_CHECK_BAD_ARGUMENT, 0,
                       "a round that waited for map registers could not be mapped");
    }
}

static VP_STATUS start_dma(PVOID HwDeviceExtension, PVP_DMA_ADAPTER VpDmaAdapter, PVOID Mdl,
                           ULONG Offset, PULONG pLength, PEXECUTE_DMA ExecuteDmaRoutine,
                           PVOID Context, BOOLEAN WriteToDevice, bool *waits);

VP_STATUS VideoPortStartDma(PVOID HwDeviceExtension, PVP_DMA_ADAPTER VpDmaAdapter, PVOID Mdl,
                            ULONG Offset, PULONG pLength, PEXECUTE_DMA ExecuteDmaRoutine,
                            PVOID Context, BOOLEAN WriteToDevice)
{
    struct dms_machine *m = dms_machine_current();
    ULONG asked = pLength != NULL ? *pLength : 0;
    bool waits = false;
    VP_STATUS status;

    dms_trace_call(m, DMS_EV_CALL, "VideoPortStartDma", 0, "Offset=%u, *pLength=%u, %s",
                   (unsigned)Offset, (unsigned)asked,
                   WriteToDevice ? "to the device" : "from the device");
    status = start_dma(HwDeviceExtension, VpDmaAdapter, Mdl, Offset, pLength, ExecuteDmaRoutine,
                       Context, WriteToDevice, &waits);
    dms_trace_call(m, DMS_EV_RETURN, "VideoPortStartDma", 0,
                   "returns %ld, *pLength=%u%s%s", (long)status,
                   pLength != NULL ? (unsigned)*pLength : 0u,
                   pLength != NULL && *pLength < asked && status == NO_ERROR
                       ? " (what the map registers cover: the rest is another round)"
                       : "",
                   waits ? "; it waits for the adapter's map registers" : "");
    return status;
}

static VP_STATUS start_dma(PVOID HwDeviceExtension, PVP_DMA_ADAPTER VpDmaAdapter, PVOID Mdl,
                           ULONG Offset, PULONG pLength, PEXECUTE_DMA ExecuteDmaRoutine,
                           PVOID Context, BOOLEAN WriteToDevice, bool *waits)
{
    static const char routine[] = "VideoPortStartDma";
    struct vp_device *d = device_of(HwDeviceExtension, routine);
    struct __VP_DMA_ADAPTER *a = d != NULL ? adapter_of(d, VpDmaAdapter, routine) : NULL;
    PMDL mdl = Mdl;
    struct vp_round *r;
    ULONG n, avail;

    if (pLength == NULL)
        return ERROR_INVALID_PARAMETER;
    if (a == NULL || !irql_ok(d, DISPATCH_LEVEL, routine)) {
        *pLength = 0;
        return ERROR_INVALID_PARAMETER;
    }
    if (mdl == NULL || ExecuteDmaRoutine == NULL || *pLength == 0 ||
        Offset >= MmGetMdlByteCount(mdl) || *pLength > MmGetMdlByteCount(mdl) - Offset) {
        vp_finding(routine, DMS_CHECK_BAD_ARGUMENT, Offset,
                   "no MDL or HwVidExecuteDma, or [Offset, +*pLength) is not inside the MDL");
        *pLength = 0;
        return ERROR_INVALID_PARAMETER;
    }
    /* the map registers decide how much this round moves, and *pLength says so before
     * HwVidExecuteDma can run: what the adapter's registers left free cover, or, none being
     * free, what all of them would (the round then waits for them) */
    avail = a->registers_in_use < a->map_registers ? a->map_registers - a->registers_in_use : 0;
    n = round_length(mdl, Offset, *pLength, avail > 0 ? avail : a->map_registers);
    if (a->maximum_length != 0 && n > a->maximum_length)
        n = a->maximum_length;
    r = calloc(1, sizeof(*r));
    if (n == 0 || r == NULL) {
        free(r);
        *pLength = 0;
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    *pLength = n;
    r->a = a;
    r->execute = ExecuteDmaRoutine;
    r->context = Context;
    r->irp = d->startio_irp != NULL ? d->startio_irp : d->context_irp;
    r->mdl = mdl;
    r->offset = Offset;
    r->length = n;
    r->write = WriteToDevice;
    r->registers = ADDRESS_AND_SIZE_TO_SPAN_PAGES((PUCHAR)MmGetMdlVirtualAddress(mdl) + Offset, n);
    a->lists++;
    if (a->registers_in_use + r->registers > a->map_registers) {
        r->next = NULL; /* asynchronous: it starts when a CompleteDma frees enough */
        *a->waiting_tail = r;
        a->waiting_tail = &r->next;
        *waits = true;
        return NO_ERROR;
    }
    if (!round_map(d, r)) {
        *pLength = 0;
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    return NO_ERROR; /* asynchronous: HwVidExecuteDma runs when the list is built */
}

static VP_STATUS complete_dma(PVOID HwDeviceExtension, PVP_DMA_ADAPTER VpDmaAdapter,
                              PVP_SCATTER_GATHER_LIST VpScatterGather, BOOLEAN WriteToDevice);

VP_STATUS VideoPortCompleteDma(PVOID HwDeviceExtension, PVP_DMA_ADAPTER VpDmaAdapter,
                               PVP_SCATTER_GATHER_LIST VpScatterGather, BOOLEAN WriteToDevice)
{
    struct dms_machine *m = dms_machine_current();
    struct vp_device *d = find_device(HwDeviceExtension); /* complete_dma says if not */
    ULONG elements = 0; /* read from the list only once it is known to be one of ours */
    VP_STATUS status;

    /* what the DPC does from here (this call, the following round, the event) is the work of
     * the transfer the list belongs to */
    for (struct vp_round *r = d != NULL ? d->rounds : NULL; r != NULL; r = r->next)
        if ((PVOID)r->list == (PVOID)VpScatterGather && r->list != NULL) {
            elements = r->list->NumberOfElements;
            if (r->irp != NULL && KeGetCurrentIrql() == DISPATCH_LEVEL &&
                d->context_irp != r->irp) {
                if (d->context_entered)
                    dms_irp_context_leave(m, true, d->context_saved);
                d->context_entered = dms_irp_context_enter(m, r->irp, &d->context_saved);
                d->context_irp = r->irp;
            }
            break;
        }
    dms_trace_call(m, DMS_EV_CALL, "VideoPortCompleteDma", 0, "a list of %u element%s",
                   (unsigned)elements, elements == 1 ? "" : "s");
    status = complete_dma(HwDeviceExtension, VpDmaAdapter, VpScatterGather, WriteToDevice);
    dms_trace_call(m, DMS_EV_RETURN, "VideoPortCompleteDma", 0, "returns %ld", (long)status);
    return status;
}

static VP_STATUS complete_dma(PVOID HwDeviceExtension, PVP_DMA_ADAPTER VpDmaAdapter,
                              PVP_SCATTER_GATHER_LIST VpScatterGather, BOOLEAN WriteToDevice)
{
    static const char routine[] = "VideoPortCompleteDma";
    struct vp_device *d = device_of(HwDeviceExtension, routine);
    struct __VP_DMA_ADAPTER *a = d != NULL ? adapter_of(d, VpDmaAdapter, routine) : NULL;
    struct vp_round **p, *r;
    KIRQL old;

    if (a == NULL || !irql_ok(d, DISPATCH_LEVEL, routine))
        return NO_ERROR; /* documented: always NO_ERROR; nothing done */
    for (p = &d->rounds; *p != NULL; p = &(*p)->next)
        if ((*p)->a == a && (*p)->list != NULL &&
            (PVOID)(*p)->list == (PVOID)VpScatterGather)
            break;
    if (*p == NULL) {
        vp_finding(routine, DMS_CHECK_BAD_ARGUMENT, (uint64_t)(uintptr_t)VpScatterGather,
                   "VpScatterGather is no list of a transfer started on this adapter (completed "
                   "twice, or another adapter's)");
        return NO_ERROR;
    }
    r = *p;
    *p = r->next;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->adapter->DmaOperations->PutScatterGatherList(a->adapter, r->list, WriteToDevice);
    KeLowerIrql(old);
    a->lists--;
    a->registers_in_use -= r->registers;
    free(r);
    rounds_resume(d, a);
    return NO_ERROR;
}

PVOID VideoPortAllocateCommonBuffer(PVOID HwDeviceExtension, PVP_DMA_ADAPTER VpDmaAdapter,
                                    ULONG DesiredLength, PPHYSICAL_ADDRESS LogicalAddress,
                                    BOOLEAN CacheEnabled, PVOID Reserved)
{
    static const char routine[] = "VideoPortAllocateCommonBuffer";
    struct vp_device *d = device_of(HwDeviceExtension, routine);
    struct __VP_DMA_ADAPTER *a = d != NULL ? adapter_of(d, VpDmaAdapter, routine) : NULL;

    struct vp_common *c;
    PVOID va;

    (void)Reserved;
    if (a == NULL || !irql_ok(d, PASSIVE_LEVEL, routine) || LogicalAddress == NULL)
        return NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    va = a->adapter->DmaOperations->AllocateCommonBuffer(a->adapter, DesiredLength,
                                                         LogicalAddress, CacheEnabled);
    if (va == NULL) {
        free(c);
        return NULL;
    }
    c->va = va;
    c->la = *LogicalAddress;
    c->length = DesiredLength;
    c->cached = CacheEnabled;
    c->next = a->commons;
    a->commons = c;
    return va;
}

VOID VideoPortReleaseCommonBuffer(PVOID HwDeviceExtension, PVP_DMA_ADAPTER VpDmaAdapter,
                                  ULONG Length, PHYSICAL_ADDRESS LogicalAddress,
                                  PVOID VirtualAddress, BOOLEAN CacheEnabled)
{
    static const char routine[] = "VideoPortReleaseCommonBuffer";
    struct vp_device *d = device_of(HwDeviceExtension, routine);
    struct __VP_DMA_ADAPTER *a = d != NULL ? adapter_of(d, VpDmaAdapter, routine) : NULL;

    struct vp_common **p;

    if (a == NULL || !irql_ok(d, PASSIVE_LEVEL, routine))
        return;
    for (p = &a->commons; *p != NULL && (*p)->va != VirtualAddress;)
        p = &(*p)->next;
    if (*p != NULL) { /* the HAL checks that the rest matches */
        struct vp_common *c = *p;
        *p = c->next;
        free(c);
    }
    a->adapter->DmaOperations->FreeCommonBuffer(a->adapter, Length, LogicalAddress,
                                                VirtualAddress, CacheEnabled);
}

/* ---------------------------------------------------------------------------------------------
 * The port driver's dispatch and PnP.
 */
static struct vp_device *vp_device_of(PDEVICE_OBJECT fdo)
{
    struct vp_device *d = fdo->DeviceExtension;

    return d != NULL && d->magic == VP_DEVICE_MAGIC ? d : NULL;
}

static NTSTATUS vp_start(struct vp_device *d, PCM_RESOURCE_LIST translated)
{
    const VIDEO_HW_INITIALIZATION_DATA *hw = &d->driver->hw;
    VIDEO_PORT_CONFIG_INFO info;
    IO_CONNECT_INTERRUPT_PARAMETERS connect;
    UCHAR again = FALSE;
    VP_STATUS vs;
    NTSTATUS status;

    d->n_ranges = 0;
    if (translated != NULL && translated->Count > 0) {
        PCM_PARTIAL_RESOURCE_LIST list = &translated->List[0].PartialResourceList;
        for (ULONG i = 0; i < list->Count; i++) {
            PCM_PARTIAL_RESOURCE_DESCRIPTOR r = &list->PartialDescriptors[i];
            if ((r->Type == CmResourceTypeMemory || r->Type == CmResourceTypePort) &&
                d->n_ranges < VP_MAX_RANGES) {
                VIDEO_ACCESS_RANGE *v = &d->ranges[d->n_ranges++];
                v->RangeStart = r->u.Memory.Start;
                v->RangeLength = r->u.Memory.Length;
                v->RangeInIoSpace = r->Type == CmResourceTypePort;
                v->RangeVisible = FALSE;
                v->RangeShareable = FALSE;
                v->RangePassive = 0;
            } else if (r->Type == CmResourceTypeInterrupt && !d->have_interrupt) {
                d->have_interrupt = true;
                d->interrupt_level = r->u.Interrupt.Level;
                d->interrupt_vector = r->u.Interrupt.Vector;
                d->interrupt_mode = (r->Flags & CM_RESOURCE_INTERRUPT_LATCHED) ? Latched
                                                                                : LevelSensitive;
            } else if (r->Type == CmResourceTypeDevicePrivate) {
                memcpy(d->private_data, r->u.DevicePrivate.Data, sizeof(d->private_data));
                d->have_private = true;
            }
        }
    }
    memset(&info, 0, sizeof(info));
    info.Length = sizeof(info);
    info.AdapterInterfaceType = PCIBus;
    info.BusInterruptLevel = d->interrupt_level;
    info.BusInterruptVector = d->interrupt_vector;
    info.InterruptMode = d->interrupt_mode;
    info.SystemMemorySize = dms_machine_top_address(dms_machine_current());
    vs = hw->HwFindAdapter(d->hw, d->driver->hw_context, NULL, &info, &again);
    if (vs != NO_ERROR)
        return status_of(vs);
    if (hw->HwInterrupt != NULL && d->have_interrupt) {
        memset(&connect, 0, sizeof(connect));
        connect.Version = CONNECT_LINE_BASED;
        connect.LineBased.PhysicalDeviceObject = d->pdo;
        connect.LineBased.InterruptObject = &d->interrupt;
        connect.LineBased.ServiceRoutine = vp_isr;
        connect.LineBased.ServiceContext = d;
        status = IoConnectInterruptEx(&connect);
        if (!NT_SUCCESS(status))
            return status;
    }
    if (!hw->HwInitialize(d->hw))
        return STATUS_UNSUCCESSFUL;
    d->started = true;
    return STATUS_SUCCESS;
}

static void vp_stop(struct vp_device *d)
{
    if (d->interrupt != NULL)
        IoDisconnectInterrupt(d->interrupt);
    d->interrupt = NULL;
    while (d->rounds != NULL) { /* started and never completed: given back with the device */
        struct vp_round *r = d->rounds;
        d->rounds = r->next;
        if (r->list != NULL)
            r->a->adapter->DmaOperations->PutScatterGatherList(r->a->adapter, r->list, FALSE);
        r->a->lists--;
        free(r);
    }
    for (struct __VP_DMA_ADAPTER *a = d->adapters; a != NULL; a = a->next)
        while (a->waiting != NULL) {
            struct vp_round *r = a->waiting;
            a->waiting = r->next;
            a->lists--;
            free(r);
        }
    while (d->adapters != NULL) /* a miniport is never told to put them: the port does */
        adapter_free(d, d->adapters);
    d->started = false;
}

static NTSTATUS vp_dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    struct vp_device *d = vp_device_of(DeviceObject);
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    if (d == NULL)
        return complete_irp(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    switch (sp->MajorFunction) {
    case IRP_MJ_CREATE:
    case IRP_MJ_CLOSE:
    case IRP_MJ_CLEANUP:
        return complete_irp(Irp, STATUS_SUCCESS, 0);
    case IRP_MJ_READ:
    case IRP_MJ_WRITE:
        return d->started ? transfer(d, Irp) : complete_irp(Irp, STATUS_DEVICE_NOT_READY, 0);
    case IRP_MJ_DEVICE_CONTROL:
        return d->started ? device_control(d, Irp)
                          : complete_irp(Irp, STATUS_DEVICE_NOT_READY, 0);
    case IRP_MJ_PNP:
        break;
    default:
        IoSkipCurrentIrpStackLocation(Irp);
        return IoCallDriver(d->lower, Irp);
    }
    switch (sp->MinorFunction) {
    case IRP_MN_START_DEVICE:
        status = IoForwardIrpSynchronously(d->lower, Irp) ? Irp->IoStatus.Status
                                                          : STATUS_UNSUCCESSFUL;
        if (NT_SUCCESS(status))
            status = vp_start(d, sp->Parameters.StartDevice.AllocatedResourcesTranslated);
        if (!NT_SUCCESS(status))
            vp_stop(d);
        return complete_irp(Irp, status, 0);
    case IRP_MN_STOP_DEVICE:
        vp_stop(d);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        break;
    case IRP_MN_REMOVE_DEVICE: {
        struct vp_state *st = vp_state();
        struct vp_device **p = st != NULL ? &st->devices : NULL;
        PDEVICE_OBJECT lower = d->lower;
        vp_stop(d);
        while (p != NULL && *p != NULL && *p != d)
            p = &(*p)->next;
        if (p != NULL && *p == d)
            *p = d->next;
        d->magic = 0;
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(lower, Irp);
        IoDetachDevice(lower);
        IoDeleteDevice(DeviceObject);
        return status;
    }
    default:
        break;
    }
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(d->lower, Irp);
}

static NTSTATUS vp_add_device(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    struct vp_state *st = vp_state();
    struct vp_driver *drv = NULL;
    PDEVICE_OBJECT fdo;
    struct vp_device *d;
    NTSTATUS status;

    for (drv = st != NULL ? st->drivers : NULL; drv != NULL && drv->wdm != DriverObject;)
        drv = drv->next;
    if (drv == NULL)
        return STATUS_UNSUCCESSFUL;
    status = IoCreateDevice(DriverObject, (ULONG)(sizeof(*d) + drv->hw.HwDeviceExtensionSize),
                            NULL, FILE_DEVICE_VIDEO, 0, FALSE, &fdo);
    if (!NT_SUCCESS(status))
        return status;
    d = fdo->DeviceExtension;
    memset(d, 0, sizeof(*d) + drv->hw.HwDeviceExtensionSize);
    d->magic = VP_DEVICE_MAGIC;
    d->driver = drv;
    d->fdo = fdo;
    d->pdo = Pdo;
    d->lower = IoAttachDeviceToDeviceStack(fdo, Pdo);
    if (d->lower == NULL) {
        d->magic = 0;
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    KeInitializeDpc(&d->dpc, vp_dpc, d);
    d->next = st->devices;
    st->devices = d;
    fdo->Flags |= DO_DIRECT_IO;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

ULONG VideoPortInitialize(PVOID Argument1, PVOID Argument2,
                          PVIDEO_HW_INITIALIZATION_DATA HwInitializationData, PVOID HwContext)
{
    static const char routine[] = "VideoPortInitialize";
    PDRIVER_OBJECT drv = Argument1;
    struct vp_state *st = vp_state();
    struct vp_driver *vd;
    PVIDEO_HW_INITIALIZATION_DATA hw = HwInitializationData;

    (void)Argument2;
    if (st == NULL)
        return (ULONG)STATUS_INSUFFICIENT_RESOURCES;
    if (drv == NULL || hw == NULL) {
        vp_finding(routine, DMS_CHECK_BAD_ARGUMENT, 0,
                   "Argument1 (the driver object) or HwInitializationData is NULL");
        return (ULONG)STATUS_INVALID_PARAMETER;
    }
    if (hw->HwInitDataSize > sizeof(VIDEO_HW_INITIALIZATION_DATA))
        return (ULONG)STATUS_REVISION_MISMATCH; /* a newer miniport than this port */
    if (hw->HwInitDataSize < offsetof(VIDEO_HW_INITIALIZATION_DATA, HwResetHw) ||
        hw->HwFindAdapter == NULL || hw->HwInitialize == NULL || hw->HwStartIO == NULL) {
        vp_finding(routine, DMS_CHECK_BAD_ARGUMENT, hw->HwInitDataSize,
                   "HwInitDataSize too small, or no HwFindAdapter, HwInitialize or HwStartIO "
                   "(each is required)");
        return (ULONG)STATUS_INVALID_PARAMETER;
    }
    vd = calloc(1, sizeof(*vd));
    if (vd == NULL)
        return (ULONG)STATUS_INSUFFICIENT_RESOURCES;
    vd->wdm = drv;
    memcpy(&vd->hw, hw, hw->HwInitDataSize); /* an older, shorter one: the rest stays zero */
    vd->hw_context = HwContext;
    vd->next = st->drivers;
    st->drivers = vd;
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        drv->MajorFunction[i] = vp_dispatch;
    drv->DriverExtension->AddDevice = vp_add_device;
    return (ULONG)STATUS_SUCCESS;
}
