/*
 * interrupt.c - WDFINTERRUPT, as wdfinterrupt.h documents it, on the kernel's interrupt
 * objects.
 *
 * The framework connects each interrupt object to its resource (the config's, or the
 * device's n-th interrupt resource for the n-th object) after EvtDeviceD0Entry, with its own
 * service routine, which calls EvtInterruptIsr at DIRQL with the interrupt's lock held. Then
 * EvtInterruptEnable runs, also at DIRQL under the lock; before EvtDeviceD0Exit,
 * EvtInterruptDisable and the disconnect. WdfInterruptQueueDpcForIsr queues the object's DPC,
 * which calls EvtInterruptDpc at DISPATCH_LEVEL; with AutomaticSerialization it holds the
 * device's synchronisation lock, so it never overlaps the queue callbacks that share it.
 *
 * Misuse is a finding: WdfInterruptAcquireLock from the ISR (which holds the lock already)
 * or above DISPATCH_LEVEL, a release without an acquire, an interrupt created once the
 * device has started.
 */
#include <stdlib.h>

#include "fx.h"

struct fx_interrupt {
    struct fx_object obj;
    struct fx_interrupt *next; /* the device's, in creation order */
    struct fx_device *device;
    WDF_INTERRUPT_CONFIG config;
    PKINTERRUPT kint;       /* while connected */
    KDPC dpc;
    KSPIN_LOCK idle_lock;   /* the lock while not connected */
    KIRQL lock_old;         /* WdfInterruptAcquireLock's, for the release */
    bool lock_held, in_isr;
};

static struct fx_interrupt *interrupt_get(WDFINTERRUPT h, const char *routine)
{
    return (struct fx_interrupt *)fx_get(h, FX_INTERRUPT, routine, false);
}

static BOOLEAN fx_isr(PKINTERRUPT Interrupt, PVOID ServiceContext)
{
    struct fx_interrupt *i = ServiceContext;
    BOOLEAN claimed;

    (void)Interrupt;
    i->in_isr = true;
    claimed = i->config.EvtInterruptIsr((WDFINTERRUPT)i->obj.handle, 0);
    i->in_isr = false;
    return claimed;
}

static VOID fx_dpc(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2)
{
    struct fx_interrupt *i = Context;
    struct fx_device *d = i->device;
    bool serialize = i->config.AutomaticSerialization &&
                     fx_sync_scope(&d->obj) == WdfSynchronizationScopeDevice && !d->sync_held;

    (void)Dpc;
    (void)Arg1;
    (void)Arg2;
    if (serialize) {
        KeAcquireSpinLockAtDpcLevel(&d->sync_lock);
        d->sync_held = true;
    }
    i->config.EvtInterruptDpc((WDFINTERRUPT)i->obj.handle, (WDFOBJECT)d->obj.handle);
    if (serialize) {
        d->sync_held = false;
        KeReleaseSpinLockFromDpcLevel(&d->sync_lock);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Connection, around D0 (driver.c calls these).
 */
struct sync_call {
    struct fx_interrupt *i;
    PFN_WDF_INTERRUPT_SYNCHRONIZE fn;
    WDFCONTEXT ctx;
    NTSTATUS status;
    bool enable;
};

static BOOLEAN run_enable(PVOID Context)
{
    struct sync_call *c = Context;
    WDFINTERRUPT h = (WDFINTERRUPT)c->i->obj.handle;
    WDFDEVICE dh = (WDFDEVICE)c->i->device->obj.handle;

    if (c->enable && c->i->config.EvtInterruptEnable != NULL)
        c->status = c->i->config.EvtInterruptEnable(h, dh);
    else if (!c->enable && c->i->config.EvtInterruptDisable != NULL)
        c->status = c->i->config.EvtInterruptDisable(h, dh);
    return TRUE;
}

static NTSTATUS enable_or_disable(struct fx_interrupt *i, bool enable)
{
    struct sync_call c = {.i = i, .enable = enable, .status = STATUS_SUCCESS};

    if (i->kint != NULL)
        KeSynchronizeExecution(i->kint, run_enable, &c);
    return c.status;
}

/* The n-th interrupt descriptor of the translated list (NULL: none). */
static PCM_PARTIAL_RESOURCE_DESCRIPTOR nth_interrupt(PCM_RESOURCE_LIST list, ULONG n)
{
    PCM_PARTIAL_RESOURCE_LIST p;

    if (list == NULL || list->Count == 0)
        return NULL;
    p = &list->List[0].PartialResourceList;
    for (ULONG k = 0; k < p->Count; k++)
        if (p->PartialDescriptors[k].Type == CmResourceTypeInterrupt && n-- == 0)
            return &p->PartialDescriptors[k];
    return NULL;
}

NTSTATUS fx_interrupts_connect(struct fx_device *d, PCM_RESOURCE_LIST translated)
{
    ULONG n = 0;

    for (struct fx_interrupt *i = d->interrupts; i != NULL; i = i->next) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR r = i->config.InterruptTranslated != NULL
                                                ? i->config.InterruptTranslated
                                                : nth_interrupt(translated, n++);
        NTSTATUS status;
        if (r == NULL || r->Type != CmResourceTypeInterrupt) {
            dms_report_finding(dms_machine_current(), "WdfInterruptCreate", DMS_CHECK_DRIVER,
                               (uint64_t)(uintptr_t)i->obj.handle, 0, 0,
                               "interrupt object %p has no interrupt resource to connect to: "
                               "it never fires", i->obj.handle);
            continue;
        }
        bool share = i->config.ShareVector == WdfTrue ||
                     (i->config.ShareVector == WdfUseDefault &&
                      r->ShareDisposition == CmResourceShareShared);
        status = IoConnectInterrupt(
            &i->kint, fx_isr, i, NULL, r->u.Interrupt.Vector, (KIRQL)r->u.Interrupt.Level,
            (KIRQL)r->u.Interrupt.Level,
            (r->Flags & CM_RESOURCE_INTERRUPT_LATCHED) ? Latched : LevelSensitive, share,
            r->u.Interrupt.Affinity, i->config.FloatingSave);
        if (!NT_SUCCESS(status)) {
            fx_interrupts_disconnect(d);
            return status;
        }
        status = enable_or_disable(i, true);
        if (!NT_SUCCESS(status)) {
            fx_interrupts_disconnect(d);
            return status;
        }
    }
    return STATUS_SUCCESS;
}

void fx_interrupts_disconnect(struct fx_device *d)
{
    for (struct fx_interrupt *i = d->interrupts; i != NULL; i = i->next) {
        if (i->kint == NULL)
            continue;
        enable_or_disable(i, false);
        IoDisconnectInterrupt(i->kint);
        i->kint = NULL;
    }
}

/* ---------------------------------------------------------------------------------------------
 * The driver's calls.
 */
static void interrupt_machine_gone(struct fx_object *o)
{
    KeRemoveQueueDpc(&((struct fx_interrupt *)o)->dpc);
}

static void interrupt_release(struct fx_object *o)
{
    struct fx_interrupt *i = (struct fx_interrupt *)o;
    struct fx_interrupt **p = &i->device->interrupts;

    if (i->kint != NULL) {
        IoDisconnectInterrupt(i->kint);
        i->kint = NULL;
    }
    KeRemoveQueueDpc(&i->dpc); /* its memory goes now: a queued run must not find it */
    while (*p != NULL && *p != i)
        p = &(*p)->next;
    if (*p == i)
        *p = i->next;
}

NTSTATUS WdfInterruptCreate(WDFDEVICE Device, PWDF_INTERRUPT_CONFIG Configuration,
                            PWDF_OBJECT_ATTRIBUTES Attributes, WDFINTERRUPT *Interrupt)
{
    static const char routine[] = "WdfInterruptCreate";
    struct fx_device *d = (struct fx_device *)fx_get(Device, FX_DEVICE, routine, false);
    struct fx_interrupt *i, **tail;
    NTSTATUS status;

    if (Interrupt != NULL)
        *Interrupt = NULL;
    if (d == NULL)
        return STATUS_INVALID_HANDLE;
    if (Interrupt == NULL || Configuration == NULL ||
        Configuration->Size != sizeof(WDF_INTERRUPT_CONFIG) ||
        Configuration->EvtInterruptIsr == NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: %s", routine,
                     Interrupt == NULL       ? "Interrupt is NULL"
                     : Configuration == NULL ? "Configuration is NULL"
                     : Configuration->Size != sizeof(WDF_INTERRUPT_CONFIG)
                         ? "WDF_INTERRUPT_CONFIG of the wrong size (WDF_INTERRUPT_CONFIG_INIT it)"
                         : "no EvtInterruptIsr");
        return STATUS_INVALID_PARAMETER;
    }
    if (d->state == FX_PNP_STARTED) {
        fx_violation(routine, 0x4, 0, 0, "%s once the device has started (create interrupts in "
                     "EvtDriverDeviceAdd or EvtDevicePrepareHardware)", routine);
        return STATUS_INVALID_DEVICE_STATE;
    }
    i = (struct fx_interrupt *)fx_create(FX_INTERRUPT, sizeof(*i), routine, Attributes, &d->obj,
                                         &status);
    if (i == NULL)
        return status;
    i->obj.release = interrupt_release;
    i->obj.machine_gone = interrupt_machine_gone;
    i->obj.driver_may_delete = false; /* it goes with its device */
    i->device = d;
    i->config = *Configuration;
    KeInitializeDpc(&i->dpc, fx_dpc, i);
    KeInitializeSpinLock(&i->idle_lock);
    for (tail = &d->interrupts; *tail != NULL; tail = &(*tail)->next)
        ;
    *tail = i;
    *Interrupt = (WDFINTERRUPT)i->obj.handle;
    return STATUS_SUCCESS;
}

BOOLEAN WdfInterruptQueueDpcForIsr(WDFINTERRUPT Interrupt)
{
    struct fx_interrupt *i = interrupt_get(Interrupt, "WdfInterruptQueueDpcForIsr");

    if (i == NULL)
        return FALSE;
    if (i->config.EvtInterruptDpc == NULL) {
        fx_violation("WdfInterruptQueueDpcForIsr", 0x4, 0, 0,
                     "WdfInterruptQueueDpcForIsr of an interrupt with no EvtInterruptDpc");
        return FALSE;
    }
    return KeInsertQueueDpc(&i->dpc, NULL, NULL); /* FALSE: queued already */
}

static bool lock_may_be_taken(struct fx_interrupt *i, const char *routine)
{
    if (i->in_isr) {
        dms_report_finding(dms_machine_current(), routine, DMS_CHECK_LOCK,
                           (uint64_t)(uintptr_t)i->obj.handle, 0, 0,
                           "%s from the ISR, which runs holding the interrupt's lock already",
                           routine);
        return false;
    }
    if (KeGetCurrentIrql() > DISPATCH_LEVEL) {
        dms_report_finding(dms_machine_current(), routine, DMS_E6_WRONG_IRQL, 0, 0, 0,
                           "%s above DISPATCH_LEVEL (IRQL %u)", routine,
                           (unsigned)KeGetCurrentIrql());
        return false;
    }
    return true;
}

VOID WdfInterruptAcquireLock(WDFINTERRUPT Interrupt)
{
    static const char routine[] = "WdfInterruptAcquireLock";
    struct fx_interrupt *i = interrupt_get(Interrupt, routine);
    KIRQL old;

    if (i == NULL || !lock_may_be_taken(i, routine))
        return;
    if (i->lock_held) {
        dms_report_finding(dms_machine_current(), routine, DMS_CHECK_LOCK,
                           (uint64_t)(uintptr_t)Interrupt, 0, 0,
                           "%s of an interrupt lock this driver holds already", routine);
        return;
    }
    if (i->kint != NULL)
        old = KeAcquireInterruptSpinLock(i->kint);
    else
        KeAcquireSpinLock(&i->idle_lock, &old);
    i->lock_old = old;
    i->lock_held = true;
}

VOID WdfInterruptReleaseLock(WDFINTERRUPT Interrupt)
{
    static const char routine[] = "WdfInterruptReleaseLock";
    struct fx_interrupt *i = interrupt_get(Interrupt, routine);

    if (i == NULL)
        return;
    if (!i->lock_held) {
        dms_report_finding(dms_machine_current(), routine, DMS_CHECK_LOCK,
                           (uint64_t)(uintptr_t)Interrupt, 0, 0,
                           "%s of an interrupt lock that is not held", routine);
        return;
    }
    i->lock_held = false;
    if (i->kint != NULL)
        KeReleaseInterruptSpinLock(i->kint, i->lock_old);
    else
        KeReleaseSpinLock(&i->idle_lock, i->lock_old);
}

static BOOLEAN run_synchronized(PVOID Context)
{
    struct sync_call *c = Context;

    return c->fn((WDFINTERRUPT)c->i->obj.handle, c->ctx);
}

BOOLEAN WdfInterruptSynchronize(WDFINTERRUPT Interrupt, PFN_WDF_INTERRUPT_SYNCHRONIZE Callback,
                                WDFCONTEXT Context)
{
    static const char routine[] = "WdfInterruptSynchronize";
    struct fx_interrupt *i = interrupt_get(Interrupt, routine);
    struct sync_call c = {.i = i, .fn = Callback, .ctx = Context};
    BOOLEAN r;
    KIRQL old;

    if (i == NULL || !lock_may_be_taken(i, routine))
        return FALSE;
    if (Callback == NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: Callback is NULL", routine);
        return FALSE;
    }
    if (i->kint != NULL)
        return KeSynchronizeExecution(i->kint, run_synchronized, &c);
    KeAcquireSpinLock(&i->idle_lock, &old);
    r = run_synchronized(&c);
    KeReleaseSpinLock(&i->idle_lock, old);
    return r;
}

VOID WdfInterruptEnable(WDFINTERRUPT Interrupt)
{
    struct fx_interrupt *i = interrupt_get(Interrupt, "WdfInterruptEnable");

    if (i != NULL)
        enable_or_disable(i, true);
}

VOID WdfInterruptDisable(WDFINTERRUPT Interrupt)
{
    struct fx_interrupt *i = interrupt_get(Interrupt, "WdfInterruptDisable");

    if (i != NULL)
        enable_or_disable(i, false);
}

WDFDEVICE WdfInterruptGetDevice(WDFINTERRUPT Interrupt)
{
    struct fx_interrupt *i = interrupt_get(Interrupt, "WdfInterruptGetDevice");

    return i != NULL ? (WDFDEVICE)i->device->obj.handle : NULL;
}

PKINTERRUPT WdfInterruptWdmGetInterrupt(WDFINTERRUPT Interrupt)
{
    struct fx_interrupt *i = interrupt_get(Interrupt, "WdfInterruptWdmGetInterrupt");

    return i != NULL ? i->kint : NULL;
}
