/*
 * test_sync.c - the kernel below and beside the I/O manager: spin locks and their IRQL rules,
 * interrupts from a device to its ISR, kernel threads and waits (events, timeouts, fast
 * mutexes, system threads, work items), registers and ports, the memory manager's locking
 * and page routines, lookaside lists, and DbgPrint's format language.
 */
#include <stdio.h>
#include <string.h>

#include "helpers.h"

/* ---- spin locks -------------------------------------------------------------------------- */

START_TEST(test_spin_lock_rules)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    KSPIN_LOCK lock;
    KIRQL old;

    KeInitializeSpinLock(&lock);
    KeAcquireSpinLock(&lock, &old);
    ck_assert_int_eq(old, PASSIVE_LEVEL);
    ck_assert_int_eq(KeGetCurrentIrql(), DISPATCH_LEVEL);
    ck_assert(!KeTestSpinLock(&lock));
    ck_assert(!KeTryToAcquireSpinLockAtDpcLevel(&lock));
    ck_assert_uint_eq(dms_finding_count(m), 0);
    KeAcquireSpinLockAtDpcLevel(&lock); /* a second acquire: a deadlock on Windows */
    ck_assert_finding(m, DMS_CHECK_LOCK);
    KeReleaseSpinLock(&lock, old);
    ck_assert_int_eq(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KeReleaseSpinLock(&lock, PASSIVE_LEVEL); /* not held */
    ck_assert_finding(m, DMS_CHECK_LOCK);
    dms_findings_clear(m);
    KeAcquireSpinLockAtDpcLevel(&lock); /* at PASSIVE_LEVEL */
    ck_assert_finding(m, DMS_E6_WRONG_IRQL);
    KeReleaseSpinLockFromDpcLevel(&lock);
    KeRaiseIrql(HIGH_LEVEL, &old);
    dms_findings_clear(m);
    KeAcquireSpinLock(&lock, &old); /* above DISPATCH_LEVEL */
    ck_assert_finding(m, DMS_E6_WRONG_IRQL);
    machine_done(m);
}
END_TEST

static KSPIN_LOCK leaked;

static VOID leaky_dpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2)
{
    (void)Dpc;
    (void)Context;
    (void)A1;
    (void)A2;
    KeAcquireSpinLockAtDpcLevel(&leaked);
}

START_TEST(test_dpc_returning_with_a_lock)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    KDPC dpc;
    KLOCK_QUEUE_HANDLE h;
    KSPIN_LOCK q;

    KeInitializeSpinLock(&leaked);
    KeInitializeDpc(&dpc, leaky_dpc, NULL);
    KeInsertQueueDpc(&dpc, NULL, NULL);
    ck_assert_finding(m, DMS_CHECK_LOCK);
    dms_findings_clear(m);
    KeInitializeSpinLock(&q);
    KeAcquireInStackQueuedSpinLock(&q, &h);
    ck_assert_int_eq(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeReleaseInStackQueuedSpinLock(&h);
    ck_assert_int_eq(KeGetCurrentIrql(), PASSIVE_LEVEL);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

/* ---- interrupts -------------------------------------------------------------------------- */

static int isr_calls, sync_calls;
static KIRQL isr_irql;
static BOOLEAN isr_claims;

static BOOLEAN test_isr(PKINTERRUPT Interrupt, PVOID Context)
{
    (void)Interrupt;
    ck_assert_ptr_eq(Context, &isr_calls);
    isr_calls++;
    isr_irql = KeGetCurrentIrql();
    return isr_claims;
}

static BOOLEAN sync_routine(PVOID Context)
{
    sync_calls++;
    ck_assert_int_gt(KeGetCurrentIrql(), DISPATCH_LEVEL);
    return Context != NULL;
}

START_TEST(test_interrupt_reaches_isr)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT pdo = dms_device_create(m, "irq0", 0), other = dms_device_create(m, "x", 0);
    PKINTERRUPT intr = NULL;
    IO_CONNECT_INTERRUPT_PARAMETERS p;

    isr_calls = sync_calls = 0;
    ck_assert_int_eq(dms_device_interrupt(pdo), DMS_EINVAL); /* no interrupt resource */
    ck_assert_int_eq(dms_device_add_interrupt(pdo, LevelSensitive), 0);
    dms_device_interrupt(pdo); /* nothing connected yet */
    ck_assert_finding(m, DMS_CHECK_DRIVER);
    memset(&p, 0, sizeof(p));
    p.Version = CONNECT_MESSAGE_BASED; /* no MSI here: falls back to the line */
    p.MessageBased.PhysicalDeviceObject = pdo;
    p.MessageBased.ConnectionContext.InterruptObject = &intr;
    p.MessageBased.FallBackServiceRoutine = test_isr;
    p.MessageBased.ServiceContext = &isr_calls;
    ck_assert_int_eq(IoConnectInterruptEx(&p), STATUS_SUCCESS);
    ck_assert_uint_eq(p.Version, CONNECT_LINE_BASED);
    ck_assert_ptr_nonnull(intr);
    isr_claims = TRUE;
    dms_findings_clear(m);
    dms_device_interrupt(pdo);
    ck_assert_int_eq(isr_calls, 1);
    ck_assert_int_gt(isr_irql, DISPATCH_LEVEL);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    isr_claims = FALSE;
    dms_device_interrupt(pdo);
    ck_assert_finding(m, DMS_CHECK_DRIVER); /* unclaimed */
    ck_assert(KeSynchronizeExecution(intr, sync_routine, &p));
    ck_assert_int_eq(sync_calls, 1);
    ck_assert_int_eq(KeGetCurrentIrql(), PASSIVE_LEVEL);
    memset(&p, 0, sizeof(p));
    p.Version = CONNECT_LINE_BASED;
    p.LineBased.PhysicalDeviceObject = other; /* no interrupt resource */
    p.LineBased.InterruptObject = &intr;
    p.LineBased.ServiceRoutine = test_isr;
    ck_assert_int_eq(IoConnectInterruptEx(&p), STATUS_INVALID_PARAMETER);
    machine_done(m);
}
END_TEST

/* ---- threads and waits ------------------------------------------------------------------- */

static KEVENT ev;
static KDPC setter;
static NTSTATUS wait_status;
static int steps;

static VOID set_from_dpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2)
{
    (void)Dpc;
    (void)Context;
    (void)A1;
    (void)A2;
    steps++;
    KeSetEvent(&ev, IO_NO_INCREMENT, FALSE);
}

static VOID waiter(PVOID Context)
{
    (void)Context;
    steps++;
    wait_status = KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL);
    steps++;
}

START_TEST(test_wait_suspends_the_thread)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    HANDLE h;
    KIRQL old;

    steps = 0;
    wait_status = STATUS_PENDING;
    KeInitializeEvent(&ev, _i == 0 ? NotificationEvent : SynchronizationEvent, FALSE);
    ck_assert_int_eq(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, NULL, NULL, NULL, waiter,
                                          NULL), STATUS_SUCCESS);
    ck_assert_int_eq(steps, 1); /* it runs until it waits, then the caller goes on */
    ck_assert_int_eq(wait_status, STATUS_PENDING);
    KeInitializeDpc(&setter, set_from_dpc, NULL);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeInsertQueueDpc(&setter, NULL, NULL);
    ck_assert_int_eq(steps, 1);
    KeLowerIrql(old); /* the DPC runs, sets the event; the thread resumes */
    dms_machine_run_pending(m);
    ck_assert_int_eq(steps, 3);
    ck_assert_int_eq(wait_status, STATUS_SUCCESS);
    /* a notification event stays signalled; a synchronization event satisfied one wait */
    ck_assert_int_eq(KeReadStateEvent(&ev), _i == 0 ? 1 : 0);
    ZwClose(h);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

static VOID timed_waiter(PVOID Context)
{
    LARGE_INTEGER t;

    (void)Context;
    t.QuadPart = -10000; /* 1 ms, relative */
    wait_status = KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, &t);
    steps++;
    KeDelayExecutionThread(KernelMode, FALSE, &t);
    steps++;
    PsTerminateSystemThread(STATUS_SUCCESS);
    steps = 100; /* never reached */
}

START_TEST(test_timeouts_and_terminate)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    LARGE_INTEGER zero = {.QuadPart = 0};
    HANDLE h;

    steps = 0;
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    ck_assert_int_eq(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, &zero),
                     STATUS_TIMEOUT); /* a test, not a wait */
    PsCreateSystemThread(&h, THREAD_ALL_ACCESS, NULL, NULL, NULL, timed_waiter, NULL);
    ck_assert_int_eq(steps, 0);
    dms_machine_run_pending(m); /* nothing sets the event: the timeout ends the wait */
    ck_assert_int_eq(wait_status, STATUS_TIMEOUT);
    ck_assert_int_eq(steps, 2);
    /* with no thread and nothing to run, a wait without end is a deadlock, reported */
    ck_assert_int_eq(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL),
                     STATUS_TIMEOUT);
    ck_assert_finding(m, DMS_CHECK_WAIT);
    machine_done(m);
}
END_TEST

START_TEST(test_wait_at_dispatch_is_refused)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    KIRQL old;

    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL),
                     STATUS_TIMEOUT);
    ck_assert_finding(m, DMS_E6_WRONG_IRQL);
    KeLowerIrql(old);
    machine_done(m);
}
END_TEST

static FAST_MUTEX mutex;
static int in_mutex, max_in_mutex;

static VOID mutex_user(PVOID Context)
{
    LARGE_INTEGER t = {.QuadPart = -100};

    (void)Context;
    ExAcquireFastMutex(&mutex);
    ck_assert_int_eq(KeGetCurrentIrql(), APC_LEVEL);
    in_mutex++;
    if (in_mutex > max_in_mutex)
        max_in_mutex = in_mutex;
    KeLowerIrql(PASSIVE_LEVEL); /* (the delay needs PASSIVE_LEVEL; the mutex stays held) */
    KeDelayExecutionThread(KernelMode, FALSE, &t);
    KeRaiseIrql(APC_LEVEL, (PKIRQL)&t.LowPart);
    in_mutex--;
    ExReleaseFastMutex(&mutex);
    steps++;
}

START_TEST(test_fast_mutex_excludes)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    HANDLE h;

    steps = in_mutex = max_in_mutex = 0;
    ExInitializeFastMutex(&mutex);
    PsCreateSystemThread(&h, 0, NULL, NULL, NULL, mutex_user, NULL);
    PsCreateSystemThread(&h, 0, NULL, NULL, NULL, mutex_user, NULL);
    dms_machine_run_pending(m);
    ck_assert_int_eq(steps, 2);
    ck_assert_int_eq(max_in_mutex, 1);
    ExReleaseFastMutex(&mutex); /* not held */
    ck_assert_finding(m, DMS_CHECK_LOCK);
    machine_done(m);
}
END_TEST

static PDEVICE_OBJECT work_dev_seen;
static KIRQL work_irql;

static VOID work_routine(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    work_dev_seen = DeviceObject;
    work_irql = KeGetCurrentIrql();
    *(int *)Context += 1;
}

START_TEST(test_work_item)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "w", 0);
    PIO_WORKITEM w = IoAllocateWorkItem(dev);
    int ran = 0;
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old); /* queued from a DPC, as drivers do */
    IoQueueWorkItem(w, work_routine, DelayedWorkQueue, &ran);
    IoQueueWorkItem(w, work_routine, DelayedWorkQueue, &ran); /* still queued */
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    KeLowerIrql(old);
    dms_machine_run_pending(m);
    ck_assert_int_eq(ran, 1);
    ck_assert_ptr_eq(work_dev_seen, dev);
    ck_assert_int_eq(work_irql, PASSIVE_LEVEL);
    IoFreeWorkItem(w);
    machine_done(m);
}
END_TEST

/* ---- registers --------------------------------------------------------------------------- */

struct regs {
    uint32_t r[4];
    uint64_t last_offset;
    unsigned last_bytes;
};

static uint64_t regs_read(void *ctx, uint64_t offset, unsigned bytes)
{
    struct regs *g = ctx;

    g->last_offset = offset;
    g->last_bytes = bytes;
    return g->r[offset / 4];
}

static void regs_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    struct regs *g = ctx;

    g->last_offset = offset;
    g->last_bytes = bytes;
    g->r[offset / 4] = (uint32_t)value;
}

static const struct dms_register_ops regs_ops = {regs_read, regs_write};

START_TEST(test_register_routing)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT pdo = dms_device_create(m, "regs", 0);
    struct regs g = {{1, 2, 3, 4}, 0, 0}, p = {{0}, 0, 0};
    PHYSICAL_ADDRESS bar = {.QuadPart = 0xFEB00000LL};
    PULONG base;
    ULONG buf[3] = {7, 8, 9};

    ck_assert_int_eq(dms_device_add_memory(pdo, 0xFEB00000ULL, 16, &regs_ops, &g), 0);
    ck_assert_int_eq(dms_device_add_port(pdo, 0x3F8, 8, &regs_ops, &p), 0);
    base = MmMapIoSpace(bar, 16, MmNonCached);
    ck_assert_ptr_nonnull(base);
    ck_assert_uint_eq(READ_REGISTER_ULONG(base + 2), 3);
    ck_assert_uint_eq(g.last_offset, 8);
    WRITE_REGISTER_ULONG(base + 1, 0xABCD);
    ck_assert_uint_eq(g.r[1], 0xABCD);
    WRITE_REGISTER_USHORT((PUSHORT)(base + 3), 0x55);
    ck_assert_uint_eq(g.last_bytes, 2);
    WRITE_REGISTER_BUFFER_ULONG(base, buf, 3); /* one register, three times (a FIFO) */
    ck_assert_uint_eq(g.r[0], 9);
    WRITE_PORT_UCHAR((PUCHAR)(uintptr_t)0x3F9, 0x42);
    ck_assert_uint_eq(p.last_offset, 1);
    ck_assert_uint_eq(p.r[0], 0x42);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    /* beyond the device's 16 bytes: nobody decodes it; all ones, a finding, no crash */
    {
        PHYSICAL_ADDRESS far = {.QuadPart = 0xFEB01000LL};
        PULONG nothing = MmMapIoSpace(far, 4, MmNonCached);
        ck_assert_uint_eq(READ_REGISTER_ULONG(nothing), 0xFFFFFFFFu);
        ck_assert_finding(m, DMS_CHECK_REGISTER);
        MmUnmapIoSpace(nothing, 4);
    }
    dms_findings_clear(m);
    ck_assert_uint_eq(READ_REGISTER_ULONG((volatile ULONG *)buf), 0xFFFFFFFFu); /* no mapping */
    ck_assert_finding(m, DMS_CHECK_REGISTER);
    MmUnmapIoSpace(base, 16);
    MmUnmapIoSpace(base, 16);
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    machine_done(m);
}
END_TEST

/* ---- memory manager ---------------------------------------------------------------------- */

START_TEST(test_probe_and_lock)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "mm", 0);
    uint8_t *buf = dms_buffer_alloc(m, dev, 3 * PAGE_SIZE);
    static uint8_t foreign[2 * PAGE_SIZE];
    PMDL mdl = IoAllocateMdl(buf + 10, 2 * PAGE_SIZE, FALSE, FALSE, NULL), part, other;

    MmProbeAndLockPages(mdl, KernelMode, IoWriteAccess);
    ck_assert(mdl->MdlFlags & MDL_PAGES_LOCKED);
    ck_assert(mdl->MdlFlags & MDL_WRITE_OPERATION);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq((uint64_t)MmGetMdlPfnArray(mdl)[i] << PAGE_SHIFT,
                          phys_of(m, buf + i * PAGE_SIZE));
    ck_assert_ptr_eq(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), buf + 10);
    part = IoAllocateMdl(buf + PAGE_SIZE + 4, 100, FALSE, FALSE, NULL);
    IoBuildPartialMdl(mdl, part, buf + PAGE_SIZE + 4, 100);
    ck_assert(part->MdlFlags & MDL_PARTIAL);
    ck_assert_uint_eq(MmGetMdlPfnArray(part)[0], MmGetMdlPfnArray(mdl)[1]);
    IoFreeMdl(part);
    MmUnlockPages(mdl);
    ck_assert(!(mdl->MdlFlags & MDL_PAGES_LOCKED));
    MmUnlockPages(mdl);
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    other = IoAllocateMdl(foreign, sizeof(foreign), FALSE, FALSE, NULL);
    MmProbeAndLockPages(other, KernelMode, IoReadAccess); /* memory the machine never gave */
    ck_assert_finding(m, DMS_CHECK_NOT_NONPAGED);
    ck_assert(!(other->MdlFlags & MDL_PAGES_LOCKED));
    IoFreeMdl(other);
    IoFreeMdl(mdl);
    ExFreePool(buf);
    machine_done(m);
}
END_TEST

START_TEST(test_pages_for_mdl)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PHYSICAL_ADDRESS lo = {.QuadPart = 0}, hi = {.QuadPart = 0xFFFFFFFFLL}, skip = {.QuadPart = 0};
    PMDL mdl = MmAllocatePagesForMdlEx(lo, hi, skip, 3 * PAGE_SIZE, MmCached,
                                       MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
    uint8_t *va;

    ck_assert_ptr_nonnull(mdl);
    ck_assert_uint_eq(MmGetMdlByteCount(mdl), 3 * PAGE_SIZE);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_lt((uint64_t)MmGetMdlPfnArray(mdl)[i] << PAGE_SHIFT, 4 * GIB);
        if (i > 0) /* contiguous */
            ck_assert_uint_eq(MmGetMdlPfnArray(mdl)[i], MmGetMdlPfnArray(mdl)[i - 1] + 1);
    }
    va = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, HighPagePriority);
    ck_assert_ptr_nonnull(va);
    ck_assert_int_eq(va[5000], 0); /* zeroed */
    ck_assert_uint_eq(phys_of(m, va + PAGE_SIZE),
                      (uint64_t)MmGetMdlPfnArray(mdl)[1] << PAGE_SHIFT);
    MmUnmapLockedPages(va, mdl);
    MmFreePagesFromMdl(mdl);
    ExFreePool(mdl);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    ck_assert_uint_eq(dms_machine_frames_in_use(m), 0);
    /* the other order leaks nothing either, and says so */
    mdl = MmAllocatePagesForMdl(lo, hi, skip, PAGE_SIZE);
    ExFreePool(mdl);
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    ck_assert_uint_eq(dms_machine_frames_in_use(m), 0);
    machine_done(m);
}
END_TEST

START_TEST(test_contiguous_memory)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PHYSICAL_ADDRESS hi = {.QuadPart = 16 * MIB - 1};
    uint8_t *p = MmAllocateContiguousMemory(64 * 1024, hi);

    ck_assert_ptr_nonnull(p);
    for (int i = 0; i < 16; i++) {
        ck_assert_uint_lt(phys_of(m, p + i * PAGE_SIZE), 16 * MIB);
        ck_assert_uint_eq(phys_of(m, p + i * PAGE_SIZE), phys_of(m, p) + i * PAGE_SIZE);
    }
    MmFreeContiguousMemory(p);
    ck_assert_uint_eq(dms_machine_frames_in_use(m), 0);
    MmFreeContiguousMemory(p);
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    machine_done(m);
}
END_TEST

START_TEST(test_lookaside)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    NPAGED_LOOKASIDE_LIST l;
    PVOID a, b;

    ExInitializeNPagedLookasideList(&l, NULL, NULL, 0, 200, 'tseT', 1);
    a = ExAllocateFromNPagedLookasideList(&l);
    b = ExAllocateFromNPagedLookasideList(&l);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_ne(a, b);
    ExFreeToNPagedLookasideList(&l, a);
    ExFreeToNPagedLookasideList(&l, b); /* past the depth: back to pool */
    ck_assert_ptr_eq(ExAllocateFromNPagedLookasideList(&l), a);
    ExFreeToNPagedLookasideList(&l, a);
    ExDeleteNPagedLookasideList(&l);
    ck_assert_uint_eq(dms_machine_frames_in_use(m), 0);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

/* ---- run-time library -------------------------------------------------------------------- */

static char printed[512];

static void capture(void *ctx, const char *text)
{
    (void)ctx;
    snprintf(printed, sizeof(printed), "%s", text);
}

START_TEST(test_dbgprint_formats)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    static const WCHAR w[] = {'S', 'D', 'M', 'A', 0};
    UNICODE_STRING u;
    ULONG lv = 0xDEADBEEF;

    RtlInitUnicodeString(&u, w);
    ck_assert_uint_eq(u.Length, 8);
    ck_assert_uint_eq(u.MaximumLength, 10);
    dms_machine_set_debug_print(m, capture, NULL);
    DbgPrint("%wZ|%ws|%s|%I64x|%lx|%5d|%c|%%|%p", &u, w, "n", 0x123456789ULL, lv, 42, 'z',
             (void *)(uintptr_t)0xAB);
    ck_assert_str_eq(printed, "SDMA|SDMA|n|123456789|deadbeef|   42|z|%|00000000000000AB");
    DbgPrintEx(DPFLTR_IHVBUS_ID, DPFLTR_ERROR_LEVEL, "%Ix %I32u", (ULONG_PTR)0x10, 7u);
    ck_assert_str_eq(printed, "10 7");
    ck_assert_uint_eq(RtlCompareMemory("abcd", "abxd", 4), 2);
    ASSERT(1 + 1 == 3);
    ck_assert_finding(m, DMS_CHECK_DRIVER);
    ck_assert_ptr_nonnull(strstr(dms_finding_get(m, 0)->message, "1 + 1 == 3"));
    machine_done(m);
}
END_TEST

START_TEST(test_stall_and_time)
{
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    LARGE_INTEGER t1, t2, f;

    KeQuerySystemTime(&t1);
    tp.now_ns += 1000000;
    KeQuerySystemTime(&t2);
    ck_assert_int_eq(t2.QuadPart - t1.QuadPart, 10000); /* 1 ms in 100-ns units */
    ck_assert_int_eq(KeQueryPerformanceCounter(&f).QuadPart, (LONGLONG)(tp.now_ns / 100));
    ck_assert_int_eq(f.QuadPart, 10000000);
    KeStallExecutionProcessor(10);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    KeStallExecutionProcessor(500);
    ck_assert_finding(m, DMS_CHECK_WAIT);
    machine_done(m);
}
END_TEST

static Suite *sync_suite(void)
{
    Suite *s = suite_create("hal/sync");
    TCase *tc = tcase_create("sync");

    tcase_add_test(tc, test_spin_lock_rules);
    tcase_add_test(tc, test_dpc_returning_with_a_lock);
    tcase_add_test(tc, test_interrupt_reaches_isr);
    tcase_add_loop_test(tc, test_wait_suspends_the_thread, 0, 2);
    tcase_add_test(tc, test_timeouts_and_terminate);
    tcase_add_test(tc, test_wait_at_dispatch_is_refused);
    tcase_add_test(tc, test_fast_mutex_excludes);
    tcase_add_test(tc, test_work_item);
    tcase_add_test(tc, test_register_routing);
    tcase_add_test(tc, test_probe_and_lock);
    tcase_add_test(tc, test_pages_for_mdl);
    tcase_add_test(tc, test_contiguous_memory);
    tcase_add_test(tc, test_lookaside);
    tcase_add_test(tc, test_dbgprint_formats);
    tcase_add_test(tc, test_stall_and_time);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(sync_suite);
}
