/*
 * sync.c - spin locks and interrupts: the kernel's synchronisation at DISPATCH_LEVEL and
 * above, and the path from a device raising its interrupt to the driver's ISR.
 *
 * The simulated machine runs one piece of work at a time, so a spin lock never spins: it is
 * a word that says "held", and the checks are what matter. The IRQL rules come from each
 * routine's page (KeAcquireSpinLock at or below DISPATCH_LEVEL, the AtDpcLevel forms at
 * DISPATCH_LEVEL); acquiring a lock already held would spin for ever on a real processor (the
 * holder cannot run while this processor spins at DISPATCH_LEVEL), so it is reported as the
 * deadlock it is and the caller goes on as if it had the lock. Every routine the system calls
 * (a DPC, an ISR, a dispatch routine) is checked on return for locks it left held.
 *
 * A device's interrupt is a resource the bus assigns it (dms_device_add_interrupt): a line,
 * a vector and a DIRQL. IoConnectInterrupt(Ex) connects an ISR to the vector; when the device
 * raises it, the platform runs the ISRs connected to it at their DIRQL, with the interrupt
 * spin lock held, until one claims it.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

#define LOCK_HELD ((KSPIN_LOCK)1)
/* Vectors and DIRQLs the bus hands out: the first device vector on x64 Windows is 0x50;
 * device IRQLs lie between DISPATCH_LEVEL and CLOCK_LEVEL. */
#define FIRST_VECTOR 0x50
#define FIRST_LINE   16
#define DEVICE_IRQL  5

struct kinterrupt {
    struct kinterrupt *next;
    struct dms_machine *m;
    PKSERVICE_ROUTINE isr;
    PKMESSAGE_SERVICE_ROUTINE message_isr;
    PVOID context;
    PKSPIN_LOCK lock;     /* the driver's, or own_lock */
    KSPIN_LOCK own_lock;
    ULONG vector;
    KIRQL irql, sync_irql;
    KINTERRUPT_MODE mode;
    bool share;
    bool connected;
    uint64_t claimed, unclaimed;
    struct kinterrupt *vector_next; /* the one connected before it on the same vector */
};

/* The newest interrupt object on a vector (its chain, vector_next, is in the order of the
 * machine's list), or NULL: delivery looks at the vector's objects alone. */
static struct kinterrupt *on_vector(struct dms_machine *m, ULONG vector)
{
    uint64_t v;

    return u64map_get(&m->kern->vectors, vector, &v) ? (struct kinterrupt *)(uintptr_t)v : NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Spin locks.
 */
static void lock_take(struct dms_machine *m, PKSPIN_LOCK lock, const char *routine)
{
    if (lock == NULL) {
        hal_finding(m, NULL, routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0, "%s with a NULL lock",
                    routine);
        return;
    }
    if (*lock != 0) {
        hal_finding(m, NULL, routine, DMS_CHECK_LOCK, (uintptr_t)lock, 0, 0,
                    "%s of a spin lock already held: the processor would spin for ever "
                    "(a deadlock)", routine);
        return;
    }
    *lock = LOCK_HELD;
    m->kern->locks_held++;
}

static void lock_give(struct dms_machine *m, PKSPIN_LOCK lock, const char *routine)
{
    if (lock == NULL || *lock == 0) {
        hal_finding(m, NULL, routine, DMS_CHECK_LOCK, (uintptr_t)lock, 0, 0,
                    "%s of a spin lock that is not held", routine);
        return;
    }
    *lock = 0;
    if (m->kern->locks_held > 0)
        m->kern->locks_held--;
}

static void irql_at_most_dispatch(struct dms_machine *m, const char *routine)
{
    if (m->irql > DISPATCH_LEVEL)
        hal_finding(m, NULL, routine, DMS_E6_WRONG_IRQL, m->irql, DISPATCH_LEVEL, 0,
                    "%s at IRQL %u: callers must be at or below DISPATCH_LEVEL "
                    "(IRQL_NOT_LESS_OR_EQUAL)", routine, m->irql);
}

static void irql_dispatch(struct dms_machine *m, const char *routine)
{
    if (m->irql != DISPATCH_LEVEL)
        hal_finding(m, NULL, routine, DMS_E6_WRONG_IRQL, m->irql, DISPATCH_LEVEL, 0,
                    "%s at IRQL %u: callers must be at DISPATCH_LEVEL", routine, m->irql);
}

VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock)
{
    if (hal_null(hal_machine(), "KeInitializeSpinLock", SpinLock, "SpinLock"))
        return;
    *SpinLock = 0;
}

VOID KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql)
{
    struct dms_machine *m = hal_machine();

    irql_at_most_dispatch(m, "KeAcquireSpinLock");
    if (OldIrql != NULL)
        *OldIrql = m->irql;
    if (m->irql < DISPATCH_LEVEL)
        m->irql = DISPATCH_LEVEL;
    lock_take(m, SpinLock, "KeAcquireSpinLock");
}

KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)
{
    KIRQL old;

    KeAcquireSpinLock(SpinLock, &old);
    return old;
}

VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    struct dms_machine *m = hal_machine();

    lock_give(m, SpinLock, "KeReleaseSpinLock");
    KeLowerIrql(NewIrql);
}

VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    struct dms_machine *m = hal_machine();

    irql_dispatch(m, "KeAcquireSpinLockAtDpcLevel");
    lock_take(m, SpinLock, "KeAcquireSpinLockAtDpcLevel");
}

VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    struct dms_machine *m = hal_machine();

    irql_dispatch(m, "KeReleaseSpinLockFromDpcLevel");
    lock_give(m, SpinLock, "KeReleaseSpinLockFromDpcLevel");
}

BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    struct dms_machine *m = hal_machine();

    if (hal_null(m, "KeTryToAcquireSpinLockAtDpcLevel", SpinLock, "SpinLock"))
        return FALSE;

    irql_dispatch(m, "KeTryToAcquireSpinLockAtDpcLevel");
    if (*SpinLock != 0)
        return FALSE;
    lock_take(m, SpinLock, "KeTryToAcquireSpinLockAtDpcLevel");
    return TRUE;
}

BOOLEAN KeTestSpinLock(PKSPIN_LOCK SpinLock)
{
    if (hal_null(hal_machine(), "KeTestSpinLock", SpinLock, "SpinLock"))
        return TRUE;
    return *SpinLock == 0;
}

VOID KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
    if (hal_null(hal_machine(), "KeAcquireInStackQueuedSpinLock", LockHandle, "LockHandle"))
        return;
    LockHandle->LockQueue.Lock = SpinLock;
    LockHandle->LockQueue.Next = NULL;
    KeAcquireSpinLock(SpinLock, &LockHandle->OldIrql);
}

VOID KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)
{
    if (hal_null(hal_machine(), "KeReleaseInStackQueuedSpinLock", LockHandle, "LockHandle"))
        return;
    KeReleaseSpinLock(LockHandle->LockQueue.Lock, LockHandle->OldIrql);
}

VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock,
                                              PKLOCK_QUEUE_HANDLE LockHandle)
{
    if (hal_null(hal_machine(), "KeAcquireInStackQueuedSpinLockAtDpcLevel",
                 LockHandle, "LockHandle"))
        return;
    LockHandle->LockQueue.Lock = SpinLock;
    LockHandle->LockQueue.Next = NULL;
    KeAcquireSpinLockAtDpcLevel(SpinLock);
}

VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle)
{
    if (hal_null(hal_machine(), "KeReleaseInStackQueuedSpinLockFromDpcLevel",
                 LockHandle, "LockHandle"))
        return;
    KeReleaseSpinLockFromDpcLevel(LockHandle->LockQueue.Lock);
}

/* hal_locks_check - a routine the system called has returned: the locks it took must be
 * released (otherwise every later acquirer deadlocks). Forgets them, so each leak is
 * reported once. */
void hal_locks_check(struct dms_machine *m, uint32_t held_before, const char *what)
{
    if (m->kern->locks_held > held_before) {
        hal_finding(m, NULL, what, DMS_CHECK_LOCK, m->kern->locks_held - held_before, 0, 0,
                    "%s returned holding %u spin lock(s)", what, m->kern->locks_held - held_before);
        m->kern->locks_held = held_before;
    }
}

/* ---------------------------------------------------------------------------------------------
 * Interrupt resources.
 */
static PCM_PARTIAL_RESOURCE_DESCRIPTOR resource_slot(struct device *p, bool *ok)
{
    *ok = p->n_res < sizeof(p->res_raw) / sizeof(p->res_raw[0]);
    return *ok ? &p->res_raw[p->n_res] : NULL;
}

/* dms_device_add_interrupt - the bus gives pdo an interrupt line. Returns 0, DMS_EINVAL (not
 * a bus device, or it has one), DMS_ENOSPC (no room for another resource). */
int dms_device_add_interrupt(PDEVICE_OBJECT pdo, KINTERRUPT_MODE mode)
{
    struct device *p = device_of(pdo);
    PCM_PARTIAL_RESOURCE_DESCRIPTOR raw, tr;
    uint32_t n;
    bool ok;

    if (p == NULL || p->drv != NULL || p->has_interrupt)
        return DMS_EINVAL;
    raw = resource_slot(p, &ok);
    if (!ok)
        return DMS_ENOSPC;
    n = p->m->kern->next_vector++;
    tr = &p->res_translated[p->n_res++];
    p->has_interrupt = true;
    p->vector = FIRST_VECTOR + n;
    p->dirql = DEVICE_IRQL;
    *raw = (CM_PARTIAL_RESOURCE_DESCRIPTOR){.Type = CmResourceTypeInterrupt,
                                            .ShareDisposition = CmResourceShareDeviceExclusive,
                                            .Flags = mode == Latched
                                                         ? CM_RESOURCE_INTERRUPT_LATCHED
                                                         : CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE};
    raw->u.Interrupt.Level = (USHORT)(FIRST_LINE + n);
    raw->u.Interrupt.Vector = FIRST_LINE + n;
    raw->u.Interrupt.Affinity = (KAFFINITY)-1;
    *tr = *raw;
    tr->u.Interrupt.Level = p->dirql;
    tr->u.Interrupt.Vector = p->vector;
    return 0;
}

/* dms_device_add_resource - any other resource, raw and translated alike (a DMA channel, a
 * memory or port range whose decoding mmio.c sets up). Returns 0, DMS_EINVAL or DMS_ENOSPC. */
int dms_device_add_resource(PDEVICE_OBJECT pdo, const CM_PARTIAL_RESOURCE_DESCRIPTOR *res)
{
    struct device *p = device_of(pdo);
    PCM_PARTIAL_RESOURCE_DESCRIPTOR raw;
    bool ok;

    if (p == NULL || p->drv != NULL || res == NULL || res->Type == CmResourceTypeInterrupt)
        return DMS_EINVAL;
    raw = resource_slot(p, &ok);
    if (!ok)
        return DMS_ENOSPC;
    *raw = *res;
    p->res_translated[p->n_res++] = *res;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Connecting.
 */
static struct kinterrupt *interrupt_of(struct dms_machine *m, PKINTERRUPT obj)
{
    return record_of(m, obj, OBJ_INTERRUPT);
}

static NTSTATUS connect(struct dms_machine *m, PKINTERRUPT *out, PKSERVICE_ROUTINE isr,
                        PKMESSAGE_SERVICE_ROUTINE message_isr, PVOID context,
                        PKSPIN_LOCK lock, ULONG vector, KIRQL irql, KIRQL sync_irql,
                        KINTERRUPT_MODE mode, BOOLEAN share)
{
    struct kinterrupt *k;

    if (out == NULL || (isr == NULL && message_isr == NULL) || sync_irql < irql) {
        hal_finding(m, NULL, "IoConnectInterrupt", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)out, 0,
                    0, "IoConnectInterrupt needs somewhere to put the interrupt object, a "
                    "service routine and a SynchronizeIrql at or above Irql");
        return STATUS_INVALID_PARAMETER;
    }
    hal_irql_check(m, NULL, "IoConnectInterrupt", IRQL_EXACT_PASSIVE);
    for (k = on_vector(m, vector); k != NULL; k = k->vector_next)
        if (k->connected && (!k->share || !share))
            return STATUS_INVALID_PARAMETER; /* the vector is taken, unshared */
    k = calloc(1, sizeof(*k));
    if (k == NULL || record_add(m, k, OBJ_INTERRUPT, k) != 0) {
        free(k);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    *k = (struct kinterrupt){m->kern->interrupts, m, isr, message_isr, context, NULL, 0, vector,
                             irql, sync_irql, mode, share != 0, true, 0, 0, NULL};
    k->lock = lock != NULL ? lock : &k->own_lock;
    k->vector_next = on_vector(m, vector);
    if (u64map_put(&m->kern->vectors, vector, (uintptr_t)k) != 0) {
        record_del(m, k);
        free(k);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    m->kern->interrupts = k;
    *out = (PKINTERRUPT)k;
    return STATUS_SUCCESS;
}

NTSTATUS IoConnectInterrupt(PKINTERRUPT *InterruptObject, PKSERVICE_ROUTINE ServiceRoutine,
                            PVOID ServiceContext, PKSPIN_LOCK SpinLock, ULONG Vector,
                            KIRQL Irql, KIRQL SynchronizeIrql, KINTERRUPT_MODE InterruptMode,
                            BOOLEAN ShareVector, KAFFINITY ProcessorEnableMask,
                            BOOLEAN FloatingSave)
{
    (void)ProcessorEnableMask;
    (void)FloatingSave;
    return connect(hal_machine(), InterruptObject, ServiceRoutine, NULL, ServiceContext,
                   SpinLock, Vector, Irql, SynchronizeIrql, InterruptMode, ShareVector);
}

/* The line-based form takes the vector, level and mode from the device's own interrupt
 * resource; the message-based form falls back to it (this machine offers no MSI) and says so
 * by setting Version to CONNECT_LINE_BASED, as documented. */
static NTSTATUS connect_line(struct dms_machine *m, PDEVICE_OBJECT pdo, PKINTERRUPT *out,
                             PKSERVICE_ROUTINE isr, PVOID context, PKSPIN_LOCK lock,
                             KIRQL sync_irql)
{
    struct device *p = device_of(pdo);

    if (p == NULL || !p->has_interrupt) {
        hal_finding(m, NULL, "IoConnectInterruptEx", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)pdo, 0,
                    0, "IoConnectInterruptEx: %p is not a physical device object with an "
                    "interrupt resource", (void *)pdo);
        return STATUS_INVALID_PARAMETER;
    }
    if (sync_irql == 0)
        sync_irql = p->dirql;
    return connect(m, out, isr, NULL, context, lock, p->vector, p->dirql, sync_irql,
                   LevelSensitive, FALSE);
}

NTSTATUS IoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters)
{
    struct dms_machine *m = hal_machine();

    if (hal_null(m, "IoConnectInterruptEx", Parameters, "Parameters"))
        return STATUS_INVALID_PARAMETER;
    switch (Parameters->Version) {
    case CONNECT_FULLY_SPECIFIED:
    case CONNECT_FULLY_SPECIFIED_GROUP: {
        IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS *f = &Parameters->FullySpecified;
        return connect(m, f->InterruptObject, f->ServiceRoutine, NULL, f->ServiceContext,
                       f->SpinLock, f->Vector, f->Irql, f->SynchronizeIrql, f->InterruptMode,
                       f->ShareVector);
    }
    case CONNECT_LINE_BASED: {
        IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS *l = &Parameters->LineBased;
        return connect_line(m, l->PhysicalDeviceObject, l->InterruptObject, l->ServiceRoutine,
                            l->ServiceContext, l->SpinLock, l->SynchronizeIrql);
    }
    case CONNECT_MESSAGE_BASED:
    case CONNECT_MESSAGE_BASED_PASSIVE: {
        IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS *g = &Parameters->MessageBased;
        NTSTATUS status;
        if (g->FallBackServiceRoutine == NULL)
            return STATUS_NOT_FOUND; /* no messages, and nothing to fall back to */
        status = connect_line(m, g->PhysicalDeviceObject, g->ConnectionContext.InterruptObject,
                              g->FallBackServiceRoutine, g->ServiceContext, g->SpinLock,
                              g->SynchronizeIrql);
        if (NT_SUCCESS(status))
            Parameters->Version = CONNECT_LINE_BASED;
        return status;
    }
    default:
        return STATUS_NOT_SUPPORTED;
    }
}

VOID IoDisconnectInterrupt(PKINTERRUPT InterruptObject)
{
    struct dms_machine *m = hal_machine();
    struct kinterrupt *k = interrupt_of(m, InterruptObject);

    if (k == NULL || !k->connected) {
        hal_finding(m, NULL, "IoDisconnectInterrupt", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)InterruptObject, 0, 0,
                    "IoDisconnectInterrupt of %p, which is not a connected interrupt",
                    (void *)InterruptObject);
        return;
    }
    k->connected = false; /* kept until the machine goes: a late interrupt finds it dead */
}

VOID IoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters)
{
    if (!hal_null(hal_machine(), "IoDisconnectInterruptEx", Parameters, "Parameters"))
        IoDisconnectInterrupt(Parameters->ConnectionContext.InterruptObject);
}

void interrupts_free_all(struct dms_machine *m)
{
    u64map_free(&m->kern->vectors);
    while (m->kern->interrupts != NULL) {
        struct kinterrupt *next = m->kern->interrupts->next;
        free(m->kern->interrupts);
        m->kern->interrupts = next;
    }
}

/* Run routine(context) at the interrupt's SynchronizeIrql with its spin lock held. */
static BOOLEAN synchronized(struct dms_machine *m, struct kinterrupt *k,
                            BOOLEAN (*routine)(PKINTERRUPT, PVOID), PVOID context,
                            PKSYNCHRONIZE_ROUTINE sync_routine)
{
    KIRQL old = m->irql;
    BOOLEAN r;

    if (m->irql < k->sync_irql)
        m->irql = k->sync_irql;
    lock_take(m, k->lock, "KeSynchronizeExecution");
    r = routine != NULL ? routine((PKINTERRUPT)k, context) : sync_routine(context);
    lock_give(m, k->lock, "KeSynchronizeExecution");
    m->irql = old;
    return r;
}

BOOLEAN KeSynchronizeExecution(PKINTERRUPT Interrupt, PKSYNCHRONIZE_ROUTINE SynchronizeRoutine,
                               PVOID SynchronizeContext)
{
    struct dms_machine *m = hal_machine();
    struct kinterrupt *k = interrupt_of(m, Interrupt);

    if (k == NULL || SynchronizeRoutine == NULL) {
        hal_finding(m, NULL, "KeSynchronizeExecution", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)Interrupt, 0, 0,
                    "KeSynchronizeExecution needs an interrupt object and a routine");
        return FALSE;
    }
    return synchronized(m, k, NULL, SynchronizeContext, SynchronizeRoutine);
}

KIRQL KeAcquireInterruptSpinLock(PKINTERRUPT Interrupt)
{
    struct dms_machine *m = hal_machine();
    struct kinterrupt *k = interrupt_of(m, Interrupt);
    KIRQL old = m->irql;

    if (k == NULL) {
        hal_finding(m, NULL, "KeAcquireInterruptSpinLock", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)Interrupt, 0, 0, "KeAcquireInterruptSpinLock of %p, which is "
                    "not an interrupt object", (void *)Interrupt);
        return old;
    }
    if (m->irql < k->sync_irql)
        m->irql = k->sync_irql;
    lock_take(m, k->lock, "KeAcquireInterruptSpinLock");
    return old;
}

VOID KeReleaseInterruptSpinLock(PKINTERRUPT Interrupt, KIRQL OldIrql)
{
    struct dms_machine *m = hal_machine();
    struct kinterrupt *k = interrupt_of(m, Interrupt);

    if (k == NULL) {
        hal_finding(m, NULL, "KeReleaseInterruptSpinLock", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)Interrupt, 0, 0, "KeReleaseInterruptSpinLock of %p, which is "
                    "not an interrupt object", (void *)Interrupt);
        return;
    }
    lock_give(m, k->lock, "KeReleaseInterruptSpinLock");
    m->irql = OldIrql;
}

/* ---------------------------------------------------------------------------------------------
 * Raising.
 */
/* deliver_one - the interrupt reaches the ISRs connected to p's vector. spurious: its device
 * did not raise it (fault injection): an ISR that finds nothing to do declines it, as it must
 * on a shared line; none is expected to claim it. */
static void deliver_one(struct device *p, bool spurious)
{
    struct dms_machine *m = p->m;
    bool claimed = false, any = false;
    uint32_t held = m->kern->locks_held;
    struct device *prev = acting_enter(m, p);

    for (struct kinterrupt *k = on_vector(m, p->vector); k != NULL && !claimed;
         k = k->vector_next) {
        if (!k->connected)
            continue;
        any = true;
        claimed = synchronized(m, k, k->isr, k->context, NULL) != FALSE;
        if (claimed)
            k->claimed++;
        else
            k->unclaimed++;
    }
    hal_locks_check(m, held, "an interrupt service routine");
    acting_leave(m, prev);
    if (spurious) {
        if (claimed && p->bm.acct != NULL)
            p->bm.acct->st.spurious_claimed++;
        return;
    }
    if (!any)
        hal_finding(m, p->bm.acct, "interrupt", DMS_CHECK_DRIVER, p->vector, 0, 0,
                    "%s raised its interrupt (vector 0x%x) and no ISR is connected to it",
                    p->name, p->vector);
    else if (!claimed)
        hal_finding(m, p->bm.acct, "interrupt", DMS_CHECK_DRIVER, p->vector, 0, 0,
                    "%s raised its interrupt (vector 0x%x) and no ISR claimed it (every one "
                    "returned FALSE)", p->name, p->vector);
}

static void deliver(void *arg)
{
    deliver_one(arg, false);
}

static void deliver_spurious(void *arg)
{
    deliver_one(arg, true);
}

bool dms_device_stall(PDEVICE_OBJECT pdo)
{
    struct device *p = device_of(pdo);

    return p != NULL && hal_fault(p->m, p->bm.acct, DMS_FAULT_DEVICE_STALL);
}

bool dms_device_error(PDEVICE_OBJECT pdo)
{
    struct device *p = device_of(pdo);

    return p != NULL && hal_fault(p->m, p->bm.acct, DMS_FAULT_DEVICE_ERROR);
}

/* dms_device_interrupt - the device behind pdo raises its interrupt: its ISRs run on a CPU at
 * their DIRQL as soon as the platform delivers it. Returns 0, or DMS_EINVAL if pdo has no
 * interrupt resource. */
int dms_device_interrupt(PDEVICE_OBJECT pdo)
{
    struct device *p = device_of(pdo);

    if (p == NULL || !p->has_interrupt)
        return DMS_EINVAL;
    if (hal_fault(p->m, p->bm.acct, DMS_FAULT_INTERRUPT))
        return 0; /* fault injection: raised, never delivered */
    hal_schedule_for(p->m, p->bm.acct != NULL ? p->bm.acct->id : DMS_NO_ADAPTER, p->dirql,
                     deliver, p);
    /* fault injection: the line is seen to fire again after the ISR has quieted the device */
    if (hal_fault(p->m, p->bm.acct, DMS_FAULT_SPURIOUS_INTERRUPT))
        hal_schedule_for(p->m, p->bm.acct != NULL ? p->bm.acct->id : DMS_NO_ADAPTER, p->dirql,
                         deliver_spurious, p);
    return 0;
}
