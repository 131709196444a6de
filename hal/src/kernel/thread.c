/*
 * thread.c - kernel threads and waits: what lets a driver wait at PASSIVE_LEVEL inside a
 * discrete-event simulation.
 *
 * A driver that waits (KeWaitForSingleObject on an event its DPC sets, a fast mutex, a delay)
 * expects the rest of the system to go on while it sleeps: DPCs, interrupts, the device, other
 * I/O. In one host thread that runs events in virtual-time order, the waiter cannot simply
 * block, and it must not run the event loop recursively either (the work that called it is
 * itself an event, timed from its start). So every routine the system calls at PASSIVE_LEVEL
 * runs on a kernel thread of its own: a ucontext with its own stack. A wait that cannot be
 * satisfied at once records what it waits for and switches back to whoever resumed the
 * thread, which carries on as if the thread's work had returned; setting the object schedules
 * the thread's resumption as PASSIVE_LEVEL work on the platform, at the virtual time the
 * object was set. Only one context runs at any instant and every switch is made by the HAL at
 * a point the event order fixes, so a run stays deterministic.
 *
 * The wait records live in the thread (the HAL's memory), not in the driver's KEVENT: a
 * driver that reinitialises or frees an event while someone waits on it cannot corrupt them.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "kernel.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAL_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAL_ASAN_FIBERS 1
#endif
#endif
#ifdef HAL_ASAN_FIBERS
#include <dlfcn.h>
#include <pthread.h>
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* The switch between stacks. glibc's swapcontext saves and restores the signal mask with a
 * system call on every switch, and the HAL switches two or three times per I/O (a dispatch
 * routine runs on a kernel thread of its own), so on x86-64 the switch is the few
 * instructions it needs: the callee-saved registers, the SSE and x87 control words, and the
 * stack pointer (the System V ABI's). No library in Debian does this for C (Boost.Context
 * does it for C++); elsewhere ucontext serves. */
#if defined(__x86_64__) && !defined(DMASIM_UCONTEXT)
#define HAL_FAST_SWITCH 1
/* hal_stack_switch(save, to): save this context's stack pointer in *save, resume the one
 * whose stack pointer is to. hal_stack_start: where a new stack's first switch returns to;
 * it calls r13(r12) and never returns. */
void hal_stack_switch(void **save, void *to);
void hal_stack_start(void);
__asm__(".text\n"
        ".globl hal_stack_switch\n"
        ".hidden hal_stack_switch\n"
        ".type hal_stack_switch, @function\n"
        "hal_stack_switch:\n"
        "    .cfi_startproc\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    subq $8, %rsp\n"
        "    stmxcsr (%rsp)\n"
        "    fnstcw 4(%rsp)\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    ldmxcsr (%rsp)\n"
        "    fldcw 4(%rsp)\n"
        "    addq $8, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        "    .cfi_endproc\n"
        ".size hal_stack_switch, .-hal_stack_switch\n"
        ".globl hal_stack_start\n"
        ".hidden hal_stack_start\n"
        ".type hal_stack_start, @function\n"
        "hal_stack_start:\n"
        "    .cfi_startproc\n"
        "    .cfi_undefined rip\n"
        "    movq %r12, %rdi\n"
        "    callq *%r13\n"
        "    ud2\n"
        "    .cfi_endproc\n"
        ".size hal_stack_start, .-hal_stack_start\n");

/* A new stack's first frame, as hal_stack_switch leaves one: control words, r15 .. rbp, and
 * the return address; after it the stack pointer is 16-byte aligned, as at a call. */
static void *stack_frame(uint8_t *top, void (*fn)(void *), void *arg)
{
    uint64_t *sp = (uint64_t *)(((uintptr_t)top & ~(uintptr_t)15) - 80);

    sp[0] = 0x1F80 | (uint64_t)0x037F << 32; /* MXCSR and the x87 control word at reset */
    sp[1] = 0;                               /* r15 */
    sp[2] = 0;                               /* r14 */
    sp[3] = (uint64_t)(uintptr_t)fn;         /* r13 */
    sp[4] = (uint64_t)(uintptr_t)arg;        /* r12 */
    sp[5] = 0;                               /* rbx */
    sp[6] = 0;                               /* rbp */
    sp[7] = (uint64_t)(uintptr_t)hal_stack_start;
    sp[8] = 0;                               /* no caller: unwinders stop */
    return sp;
}
#else
#define HAL_FAST_SWITCH 0
#endif

/* A driver's kernel stack on x64 Windows is 24 KiB (KERNEL_STACK_SIZE); sanitizers and host
 * libc calls need more, and an overflow must fault on the guard page, never corrupt. */
#ifdef HAL_ASAN_FIBERS
#define THREAD_STACK_BYTES (1024u * 1024u)
#else
#define THREAD_STACK_BYTES (256u * 1024u)
#endif
#define THREAD_GUARD_BYTES HAL_PAGE_SIZE

#define OBJ_EVENT_NOTIFICATION 0
#define OBJ_EVENT_SYNCHRONIZATION 1

struct kthread {
    struct dms_machine *m;
#if HAL_FAST_SWITCH
    void *sp;                 /* the thread's saved stack pointer while switched out */
    void *back_sp;            /* whoever resumed the thread last */
#else
    ucontext_t ctx;
    ucontext_t back;          /* whoever resumed the thread last */
#endif
    uint8_t *stack_map;       /* guard page, then the stack */
    dms_work_fn fn;
    void *arg;
    bool done;
    bool returned;            /* done, and its routine returned (its stack may be reused) */
    KIRQL irql;               /* the thread's IRQL while it is switched out */
    uint64_t context;         /* the platform's context (whose I/O) when it started */
    /* the wait in progress */
    void *wait_object;        /* NULL: not waiting on an object */
    bool waiting;
    uint64_t wait_seq;        /* tells a stale timeout from the current wait */
    NTSTATUS wait_status;
    struct kthread *next;     /* the machine's list of live threads */
#ifdef HAL_ASAN_FIBERS
    void *fake_stack;
    const void *back_bottom;
    size_t back_size;
#endif
};

struct wake {
    struct kthread *t;
    uint64_t seq;
    NTSTATUS status;
};

#if !HAL_FAST_SWITCH
static _Thread_local struct kthread *starting;
#endif

static void thread_unlink(struct kthread *t)
{
    struct kthread **p = &t->m->kern->threads;

    while (*p != NULL && *p != t)
        p = &(*p)->next;
    if (*p == t)
        *p = t->next;
}

#ifdef HAL_ASAN_FIBERS
/* The stack switches are annotated for ASan (__sanitizer_start_switch_fiber), so (without the
 * fast switch) they go to libc's swapcontext, not ASan's interceptor of it: that one warns on the first switch and
 * clears the whole shadow of the stack it enters on every switch (each a page-faulting
 * remapping of 128 KiB). The shadow of a reused stack is cleared here instead. */
#if !HAL_FAST_SWITCH
static int (*libc_swapcontext)(ucontext_t *, const ucontext_t *);
static pthread_once_t libc_swapcontext_once = PTHREAD_ONCE_INIT;

static void libc_swapcontext_find(void)
{
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);

    if (libc != NULL)
        *(void **)&libc_swapcontext = dlsym(libc, "swapcontext");
    if (libc_swapcontext == NULL)
        libc_swapcontext = swapcontext;
}

static void stack_switch(ucontext_t *from, const ucontext_t *to)
{
    pthread_once(&libc_swapcontext_once, libc_swapcontext_find);
    libc_swapcontext(from, to);
}
#endif

/* What a finished thread leaves poisoned on its stack: thread_main's frame and the final
 * switch's, at the stack's top (every other frame returned and cleared its own). */
#define STACK_TOP_FRAMES (16u * 1024u)
#else
#define stack_switch(from, to) swapcontext((from), (to))
#endif

/* Stacks of finished threads are kept for the next thread: a driver's dispatch routine runs
 * on a thread of its own, so a run starts hundreds of thousands, and a fresh mapping each
 * time costs its system calls and a page fault for every stack page touched. */
static uint8_t *stack_get(struct dms_machine *m)
{
    uint8_t *map;

    if (m->kern->stack_cached > 0) {
        map = m->kern->stack_cache[--m->kern->stack_cached];
#ifdef HAL_ASAN_FIBERS
        ASAN_UNPOISON_MEMORY_REGION(map + THREAD_GUARD_BYTES + THREAD_STACK_BYTES -
                                    STACK_TOP_FRAMES, STACK_TOP_FRAMES);
#endif
        return map;
    }
    map = mmap(NULL, THREAD_STACK_BYTES + THREAD_GUARD_BYTES, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED)
        return NULL;
    mprotect(map, THREAD_GUARD_BYTES, PROT_NONE);
#ifdef HAL_ASAN_FIBERS
    /* an earlier mapping here may have left its shadow */
    ASAN_UNPOISON_MEMORY_REGION(map + THREAD_GUARD_BYTES, THREAD_STACK_BYTES);
#endif
    return map;
}

/* Only the stack of a thread whose routine returned is kept: one that ended in
 * PsTerminateSystemThread, or was still waiting when the machine went, left frames at any
 * depth. */
/* A stack unmapped: its frames' redzones cleared from ASan's shadow first, or the next mapping
 * at these addresses (simulated memory, a buffer) would be taken for a stack overflowed. */
static void stack_unmap(uint8_t *map)
{
#ifdef HAL_ASAN_FIBERS
    ASAN_UNPOISON_MEMORY_REGION(map + THREAD_GUARD_BYTES, THREAD_STACK_BYTES);
#endif
    munmap(map, THREAD_STACK_BYTES + THREAD_GUARD_BYTES);
}

static void stack_put(struct dms_machine *m, uint8_t *map, bool returned)
{
    if (returned && m->kern->stack_cached < sizeof(m->kern->stack_cache) / sizeof(map))
        m->kern->stack_cache[m->kern->stack_cached++] = map;
    else
        stack_unmap(map);
}

static void thread_free(struct kthread *t)
{
    thread_unlink(t);
    stack_put(t->m, t->stack_map, t->returned);
    spares_put(&t->m->kern->spare_threads, t);
}

/* Switch from the resumer into t (or, with to_thread false, from t back to its resumer). */
static void thread_switch(struct kthread *t, bool to_thread)
{
#if HAL_FAST_SWITCH
#define SWITCH_IN(t)  hal_stack_switch(&(t)->back_sp, (t)->sp)
#define SWITCH_OUT(t) hal_stack_switch(&(t)->sp, (t)->back_sp)
#elif defined(HAL_ASAN_FIBERS)
#define SWITCH_IN(t)  stack_switch(&(t)->back, &(t)->ctx)
#define SWITCH_OUT(t) stack_switch(&(t)->ctx, &(t)->back)
#else
#define SWITCH_IN(t)  swapcontext(&(t)->back, &(t)->ctx)
#define SWITCH_OUT(t) swapcontext(&(t)->ctx, &(t)->back)
#endif
#ifdef HAL_ASAN_FIBERS
    void *save = NULL;
    if (to_thread) {
        __sanitizer_start_switch_fiber(&save, t->stack_map + THREAD_GUARD_BYTES,
                                       THREAD_STACK_BYTES);
        SWITCH_IN(t);
        __sanitizer_finish_switch_fiber(save, NULL, NULL);
    } else {
        __sanitizer_start_switch_fiber(t->done ? NULL : &t->fake_stack, t->back_bottom,
                                       t->back_size);
        SWITCH_OUT(t);
        __sanitizer_finish_switch_fiber(t->fake_stack, &t->back_bottom, &t->back_size);
    }
#else
    if (to_thread)
        SWITCH_IN(t);
    else
        SWITCH_OUT(t);
#endif
}

static void thread_body(struct kthread *t)
{
#ifdef HAL_ASAN_FIBERS
    __sanitizer_finish_switch_fiber(NULL, &t->back_bottom, &t->back_size);
#endif
    t->fn(t->arg);
    t->done = true;
    t->returned = true;
    thread_switch(t, false); /* never comes back */
}

#if HAL_FAST_SWITCH
static void thread_entry(void *arg)
{
    thread_body(arg);
}
#else
static void thread_main(void)
{
    thread_body(starting);
}
#endif

/* Run t from where it stopped until it finishes or waits. The resumer's IRQL and the
 * platform's context are kept across. */
static void thread_run(struct kthread *t)
{
    struct dms_machine *m = t->m;
    struct kthread *prev = m->kern->current_thread;
    KIRQL irql = m->irql;

    uint64_t context = m->plat.context_get != NULL ? m->plat.context_get(m->plat.ctx) : 0;

    m->kern->current_thread = t;
    m->irql = t->irql;
    if (m->plat.context_set != NULL)
        m->plat.context_set(m->plat.ctx, t->context);
    thread_switch(t, true);
    t->irql = m->irql;
    m->irql = irql;
    m->kern->current_thread = prev;
    if (m->plat.context_set != NULL)
        m->plat.context_set(m->plat.ctx, context);
    if (t->done)
        thread_free(t);
}

/* hal_thread_start - run fn(arg) at PASSIVE_LEVEL on a new kernel thread, now, until it
 * returns or first waits. Returns 0, or DMS_ENOMEM (nothing ran). */
int hal_thread_start(struct dms_machine *m, dms_work_fn fn, void *arg)
{
    struct kthread *t = spares_get(&m->kern->spare_threads);

    if (t == NULL)
        return DMS_ENOMEM;
    t->stack_map = stack_get(m);
    if (t->stack_map == NULL) {
        spares_put(&m->kern->spare_threads, t);
        return DMS_ENOMEM;
    }
    t->m = m;
    t->fn = fn;
    t->arg = arg;
    t->irql = PASSIVE_LEVEL;
    t->context = m->plat.context_get != NULL ? m->plat.context_get(m->plat.ctx) : 0;
#if HAL_FAST_SWITCH
    t->sp = stack_frame(t->stack_map + THREAD_GUARD_BYTES + THREAD_STACK_BYTES, thread_entry,
                        t);
#else
    getcontext(&t->ctx);
    t->ctx.uc_stack.ss_sp = t->stack_map + THREAD_GUARD_BYTES;
    t->ctx.uc_stack.ss_size = THREAD_STACK_BYTES;
    t->ctx.uc_link = NULL;
    makecontext(&t->ctx, thread_main, 0);
    starting = t;
#endif
    t->next = m->kern->threads;
    m->kern->threads = t;
    thread_run(t);
    return 0;
}

void thread_spares_init(struct dms_machine *m)
{
    spares_init(&m->kern->spare_threads, sizeof(struct kthread), _Alignof(struct kthread),
                SPARES_KEPT);
}

bool hal_in_thread(const struct dms_machine *m)
{
    return m->kern->current_thread != NULL;
}

/* Threads still waiting when the machine goes: their stacks go with it (a driver that waits
 * for ever leaks nothing of the host's). */
void hal_threads_free(struct dms_machine *m)
{
    while (m->kern->threads != NULL)
        thread_free(m->kern->threads);
    while (m->kern->stack_cached > 0)
        stack_unmap(m->kern->stack_cache[--m->kern->stack_cached]);
}

static void wake_run(void *arg)
{
    struct wake w = *(struct wake *)arg;

    free(arg);
    if (!w.t->waiting || w.t->wait_seq != w.seq)
        return; /* satisfied otherwise already (a timeout that lost the race) */
    w.t->waiting = false;
    w.t->wait_object = NULL;
    w.t->wait_status = w.status;
    thread_run(w.t);
}

static void wake_schedule(struct kthread *t, NTSTATUS status, uint64_t delay_ns)
{
    struct wake *w = malloc(sizeof(*w));

    if (w == NULL)
        abort(); /* a lost wake-up would hang the driver; nobody could recover */
    *w = (struct wake){t, t->wait_seq, status};
    if (delay_ns == 0)
        hal_schedule_ready(t->m, PASSIVE_LEVEL, wake_run, w);
    else
        hal_schedule_after(t->m, delay_ns, PASSIVE_LEVEL, wake_run, w);
}

/* Suspend the current thread until woken (or timeout_ns passes, UINT64_MAX: never). Returns
 * the status the wake gave. */
static NTSTATUS thread_wait(struct kthread *t, void *object, uint64_t timeout_ns)
{
    t->wait_object = object;
    t->waiting = true;
    t->wait_seq++;
    if (timeout_ns != UINT64_MAX)
        wake_schedule(t, STATUS_TIMEOUT, timeout_ns);
    t->irql = t->m->irql;
    thread_switch(t, false);
    return t->wait_status;
}

/* Wake waiters of object: all of them, or one (a synchronization event). Returns how many. */
static unsigned wake_waiters(struct dms_machine *m, void *object, bool one)
{
    unsigned n = 0;

    for (struct kthread *t = m->kern->threads; t != NULL; t = t->next) {
        if (!t->waiting || t->wait_object != object)
            continue;
        /* No second wake for this wait, and a pending timeout of it is now stale. */
        t->wait_object = NULL;
        t->wait_seq++;
        wake_schedule(t, STATUS_SUCCESS, 0);
        n++;
        if (one)
            break;
    }
    return n;
}

/* ---------------------------------------------------------------------------------------------
 * Timeouts: 100-ns units, negative relative, positive absolute system time.
 */
#define SYSTEM_TIME_EPOCH 0x01DC7A1E3A4C0000LL /* 2026-01-01 00:00 UTC in 100 ns since 1601 */

static uint64_t timeout_to_ns(struct dms_machine *m, const LARGE_INTEGER *timeout)
{
    LONGLONG t = timeout->QuadPart;
    LONGLONG now;

    if (t < 0)
        return (uint64_t)(-(t + 1)) * 100 + 100;
    now = SYSTEM_TIME_EPOCH + (LONGLONG)(hal_now(m) / 100);
    return t <= now ? 0 : (uint64_t)(t - now) * 100;
}

VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime)
{
    if (hal_null(hal_machine(), "KeQuerySystemTime", CurrentTime, "CurrentTime"))
        return;
    CurrentTime->QuadPart = SYSTEM_TIME_EPOCH + (LONGLONG)(hal_now(hal_machine()) / 100);
}

ULONGLONG KeQueryInterruptTime(void)
{
    return hal_now(hal_machine()) / 100;
}

/* The performance counter runs at 10 MHz, as on current x64 Windows. */
LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency)
{
    LARGE_INTEGER count;

    if (PerformanceFrequency != NULL)
        PerformanceFrequency->QuadPart = 10000000;
    count.QuadPart = (LONGLONG)(hal_now(hal_machine()) / 100);
    return count;
}

/* "Drivers should call it with a value of no more than 50 microseconds": longer stalls work,
 * and are reported, since the processor can do nothing else meanwhile. */
#define STALL_ADVISED_US 50

VOID KeStallExecutionProcessor(ULONG MicroSeconds)
{
    struct dms_machine *m = hal_machine();

    if (MicroSeconds > STALL_ADVISED_US)
        hal_finding(m, NULL, "KeStallExecutionProcessor", DMS_CHECK_WAIT, MicroSeconds, 0, 0,
                    "KeStallExecutionProcessor(%u) busy-waits %u us; the documentation "
                    "advises no more than %u", MicroSeconds, MicroSeconds, STALL_ADVISED_US);
    hal_charge(m, DMS_COST_CPU_NS, (uint64_t)MicroSeconds * 1000, DMS_NO_ADAPTER);
}

/* ---------------------------------------------------------------------------------------------
 * Events.
 */
VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
    if (hal_null(hal_machine(), "KeInitializeEvent", Event, "Event"))
        return;
    memset(Event, 0, sizeof(*Event));
    Event->Header.Type = Type == SynchronizationEvent ? OBJ_EVENT_SYNCHRONIZATION
                                                      : OBJ_EVENT_NOTIFICATION;
    Event->Header.Size = sizeof(KEVENT) / sizeof(LONG);
    Event->Header.SignalState = State ? 1 : 0;
    InitializeListHead(&Event->Header.WaitListHead);
}

LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
    struct dms_machine *m = hal_machine();

    if (hal_null(m, "KeSetEvent", Event, "Event"))
        return 0;
    LONG previous = Event->Header.SignalState;
    bool sync = Event->Header.Type == OBJ_EVENT_SYNCHRONIZATION;

    (void)Increment;
    (void)Wait;
    if (m->irql > DISPATCH_LEVEL)
        hal_finding(m, NULL, "KeSetEvent", DMS_E6_WRONG_IRQL, m->irql, DISPATCH_LEVEL, 0,
                    "KeSetEvent at IRQL %u: callers must be at or below DISPATCH_LEVEL "
                    "(IRQL_NOT_LESS_OR_EQUAL)", m->irql);
    if (previous != 0)
        return previous;
    /* A synchronization event satisfies one waiter and stays clear; a notification event
     * satisfies every waiter and stays signalled until cleared. */
    if (wake_waiters(m, Event, sync) > 0 && sync)
        return 0;
    Event->Header.SignalState = 1;
    return 0;
}

VOID KeClearEvent(PRKEVENT Event)
{
    if (hal_null(hal_machine(), "KeClearEvent", Event, "Event"))
        return;
    Event->Header.SignalState = 0;
}

LONG KeResetEvent(PRKEVENT Event)
{
    if (hal_null(hal_machine(), "KeResetEvent", Event, "Event"))
        return 0;
    LONG previous = Event->Header.SignalState;

    Event->Header.SignalState = 0;
    return previous;
}

LONG KeReadStateEvent(PRKEVENT Event)
{
    if (hal_null(hal_machine(), "KeReadStateEvent", Event, "Event"))
        return 0;
    return Event->Header.SignalState;
}

/* The checks every wait shares: IRQL, and a thread to suspend. Returns false (with the
 * finding made) when the caller may not wait here. */
static bool wait_allowed(struct dms_machine *m, const char *routine, bool zero_timeout)
{
    if (m->irql > DISPATCH_LEVEL || (m->irql == DISPATCH_LEVEL && !zero_timeout)) {
        hal_finding(m, NULL, routine, DMS_E6_WRONG_IRQL, m->irql, zero_timeout, 0,
                    "%s at IRQL %u: a wait with a non-zero timeout needs IRQL below "
                    "DISPATCH_LEVEL, a test with a zero timeout at most DISPATCH_LEVEL "
                    "(IRQL_NOT_LESS_OR_EQUAL)", routine, m->irql);
        return false;
    }
    return true;
}

/* No thread to suspend (the host called the driver directly): run the trivial platform's
 * work until the object is signalled. Returns true if it was. */
static bool wait_by_running(struct dms_machine *m, volatile LONG *signal)
{
    while (*signal == 0)
        if (hal_run_one(m) == 0)
            return false;
    return true;
}

NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                               BOOLEAN Alertable, PLARGE_INTEGER Timeout)
{
    struct dms_machine *m = hal_machine();
    PRKEVENT ev = Object;
    bool zero = Timeout != NULL && Timeout->QuadPart == 0;
    uint64_t timeout_ns = Timeout == NULL ? UINT64_MAX : timeout_to_ns(m, Timeout);

    (void)WaitReason;
    (void)WaitMode;
    (void)Alertable;
    if (Object == NULL) {
        hal_finding(m, NULL, "KeWaitForSingleObject", DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "KeWaitForSingleObject with a NULL object");
        return STATUS_INVALID_PARAMETER;
    }
    if (!wait_allowed(m, "KeWaitForSingleObject", zero))
        return STATUS_TIMEOUT;
    if (ev->Header.SignalState == 0 && !zero) {
        /* Woken by KeSetEvent, the wait is satisfied (a synchronization event was left
         * clear for this waiter); otherwise the timeout passed. */
        if (m->kern->current_thread != NULL)
            return thread_wait(m->kern->current_thread, Object, timeout_ns);
        if (!wait_by_running(m, &ev->Header.SignalState)) {
            if (Timeout != NULL)
                return STATUS_TIMEOUT;
            hal_finding(m, NULL, "KeWaitForSingleObject", DMS_CHECK_WAIT, (uintptr_t)Object,
                        0, 0, "KeWaitForSingleObject(%p) waits for ever: nothing left to run "
                        "will set it (a deadlock on Windows)", Object);
            return STATUS_TIMEOUT;
        }
    }
    if (ev->Header.SignalState == 0)
        return STATUS_TIMEOUT;
    if (ev->Header.Type == OBJ_EVENT_SYNCHRONIZATION)
        ev->Header.SignalState = 0;
    return STATUS_SUCCESS;
}

NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                PLARGE_INTEGER Interval)
{
    struct dms_machine *m = hal_machine();
    static char delay_object; /* nothing sets it: only the timeout ends the wait */

    (void)WaitMode;
    (void)Alertable;
    if (hal_null(m, "KeDelayExecutionThread", Interval, "Interval") ||
        !wait_allowed(m, "KeDelayExecutionThread", false))
        return STATUS_INVALID_PARAMETER;
    if (m->kern->current_thread == NULL) {
        hal_finding(m, NULL, "KeDelayExecutionThread", DMS_CHECK_WAIT, 0, 0, 0,
                    "KeDelayExecutionThread outside a system thread: no time can pass");
        return STATUS_SUCCESS;
    }
    thread_wait(m->kern->current_thread, &delay_object, timeout_to_ns(m, Interval));
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------------------------
 * Fast mutexes: acquired at APC_LEVEL; a second acquirer waits on the mutex's event.
 */
VOID ExInitializeFastMutex(PFAST_MUTEX FastMutex)
{
    if (hal_null(hal_machine(), "ExInitializeFastMutex", FastMutex, "FastMutex"))
        return;
    FastMutex->Count = 1;
    FastMutex->Owner = NULL;
    FastMutex->Contention = 0;
    KeInitializeEvent(&FastMutex->Event, SynchronizationEvent, FALSE);
}

static void *mutex_owner(struct dms_machine *m)
{
    return m->kern->current_thread != NULL ? (void *)m->kern->current_thread : (void *)m;
}

VOID ExAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    struct dms_machine *m = hal_machine();

    if (hal_null(m, "ExAcquireFastMutex", FastMutex, "FastMutex"))
        return;
    KIRQL old = m->irql;

    if (m->irql > APC_LEVEL) {
        hal_finding(m, NULL, "ExAcquireFastMutex", DMS_E6_WRONG_IRQL, m->irql, APC_LEVEL, 0,
                    "ExAcquireFastMutex at IRQL %u: callers must be at or below APC_LEVEL",
                    m->irql);
        return;
    }
    if (FastMutex->Owner == mutex_owner(m)) {
        hal_finding(m, NULL, "ExAcquireFastMutex", DMS_CHECK_LOCK, (uintptr_t)FastMutex, 0, 0,
                    "ExAcquireFastMutex of a fast mutex this thread already holds: fast "
                    "mutexes are not recursive (a deadlock on Windows)");
        return;
    }
    while (FastMutex->Count <= 0) {
        FastMutex->Contention++;
        if (KeWaitForSingleObject(&FastMutex->Event, Executive, KernelMode, FALSE, NULL) !=
            STATUS_SUCCESS)
            return; /* the wait could not happen: reported there */
    }
    FastMutex->Count--;
    FastMutex->Owner = mutex_owner(m);
    m->irql = APC_LEVEL;
    FastMutex->OldIrql = old;
}

BOOLEAN ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    struct dms_machine *m = hal_machine();

    if (hal_null(m, "ExTryToAcquireFastMutex", FastMutex, "FastMutex"))
        return FALSE;

    if (FastMutex->Count <= 0 || m->irql > APC_LEVEL)
        return FALSE;
    FastMutex->Count--;
    FastMutex->Owner = mutex_owner(m);
    FastMutex->OldIrql = m->irql;
    m->irql = APC_LEVEL;
    return TRUE;
}

VOID ExReleaseFastMutex(PFAST_MUTEX FastMutex)
{
    struct dms_machine *m = hal_machine();

    if (hal_null(m, "ExReleaseFastMutex", FastMutex, "FastMutex"))
        return;

    if (FastMutex->Owner != mutex_owner(m) || FastMutex->Count > 0) {
        hal_finding(m, NULL, "ExReleaseFastMutex", DMS_CHECK_LOCK, (uintptr_t)FastMutex, 0, 0,
                    "ExReleaseFastMutex of a fast mutex this thread does not hold");
        return;
    }
    FastMutex->Owner = NULL;
    FastMutex->Count++;
    m->irql = (KIRQL)FastMutex->OldIrql;
    KeSetEvent(&FastMutex->Event, 0, FALSE);
}

/* ---------------------------------------------------------------------------------------------
 * System threads and work items.
 */
struct start {
    PKSTART_ROUTINE routine;
    PVOID context;
};

static void system_thread(void *arg)
{
    struct start s = *(struct start *)arg;

    free(arg);
    s.routine(s.context);
}

NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess,
                              POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle,
                              PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                              PVOID StartContext)
{
    struct dms_machine *m = hal_machine();
    struct start *s;

    (void)DesiredAccess;
    (void)ObjectAttributes;
    (void)ProcessHandle;
    (void)ClientId;
    if (StartRoutine == NULL || m->irql != PASSIVE_LEVEL) {
        hal_finding(m, NULL, "PsCreateSystemThread", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)StartRoutine, m->irql, 0,
                    "PsCreateSystemThread needs a StartRoutine and PASSIVE_LEVEL");
        return STATUS_INVALID_PARAMETER;
    }
    s = malloc(sizeof(*s));
    if (s == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    *s = (struct start){StartRoutine, StartContext};
    if (ThreadHandle != NULL)
        *ThreadHandle = (HANDLE)(uintptr_t)(++m->kern->handle_serial * 4);
    if (hal_thread_start(m, system_thread, s) != 0) {
        free(s);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    return STATUS_SUCCESS;
}

/* The thread ends here: its stack is given up at once and nothing after the call runs. */
NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus)
{
    struct dms_machine *m = hal_machine();
    struct kthread *t = m->kern->current_thread;

    (void)ExitStatus;
    if (t == NULL) {
        hal_finding(m, NULL, "PsTerminateSystemThread", DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "PsTerminateSystemThread outside a system thread");
        return STATUS_INVALID_PARAMETER;
    }
    t->done = true;
    t->irql = m->irql;
    thread_switch(t, false);
    abort(); /* a finished thread is never resumed */
}

NTSTATUS ZwClose(HANDLE Handle)
{
    return Handle != NULL ? STATUS_SUCCESS : STATUS_INVALID_HANDLE;
}

struct _IO_WORKITEM {
    PDEVICE_OBJECT device;
    PIO_WORKITEM_ROUTINE routine;
    PVOID context;
    bool queued;
};

PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject)
{
    PIO_WORKITEM w = calloc(1, sizeof(*w));

    if (w != NULL)
        w->device = DeviceObject;
    return w;
}

static void work_item_thread(void *arg)
{
    PIO_WORKITEM w = arg;

    w->queued = false;
    w->routine(w->device, w->context);
}

static void work_item_start(void *arg)
{
    PIO_WORKITEM w = arg;

    if (hal_thread_start(hal_machine(), work_item_thread, w) != 0)
        abort(); /* a lost work item would hang its driver */
}

VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine,
                     WORK_QUEUE_TYPE QueueType, PVOID Context)
{
    struct dms_machine *m = hal_machine();

    (void)QueueType;
    if (IoWorkItem == NULL || WorkerRoutine == NULL || IoWorkItem->queued) {
        hal_finding(m, NULL, "IoQueueWorkItem", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)IoWorkItem,
                    0, 0, "IoQueueWorkItem needs a work item that is not already queued, and "
                    "a routine");
        return;
    }
    IoWorkItem->routine = WorkerRoutine;
    IoWorkItem->context = Context;
    IoWorkItem->queued = true;
    hal_schedule(m, PASSIVE_LEVEL, work_item_start, IoWorkItem);
}

VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem)
{
    if (IoWorkItem != NULL && IoWorkItem->queued) {
        hal_finding(hal_machine(), NULL, "IoFreeWorkItem", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)IoWorkItem, 0, 0, "IoFreeWorkItem of a work item still queued");
        return;
    }
    free(IoWorkItem);
}
