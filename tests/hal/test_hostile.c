/*
 * test_hostile.c - every kernel routine a driver can call, called with NULL where it takes a
 * pointer (and with a pointer that is no object where it takes one): a finding, never a host
 * crash. The test fails by crashing, or by a routine that says nothing.
 */
#include <string.h>

#include "helpers.h"

static struct dms_machine *m;
static uint8_t junk[1024]; /* zeroed memory that is no kernel object */

static void expect_finding(const char *what, size_t before)
{
    ck_assert_msg(dms_finding_count(m) > before, "%s made no finding", what);
}

#define HOSTILE(call)                                                                         \
    do {                                                                                      \
        size_t before_ = dms_finding_count(m);                                                \
        call;                                                                                 \
        expect_finding(#call, before_);                                                       \
    } while (0)

START_TEST(test_null_arguments)
{
    KIRQL irql = 0;
    LARGE_INTEGER t = {.QuadPart = -10};
    PHYSICAL_ADDRESS zero = {.QuadPart = 0};

    m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    HOSTILE(KeInitializeEvent(NULL, NotificationEvent, FALSE));
    HOSTILE(KeSetEvent(NULL, 0, FALSE));
    HOSTILE(KeClearEvent(NULL));
    HOSTILE(KeResetEvent(NULL));
    HOSTILE(KeReadStateEvent(NULL));
    HOSTILE(KeWaitForSingleObject(NULL, Executive, KernelMode, FALSE, NULL));
    HOSTILE(KeDelayExecutionThread(KernelMode, FALSE, NULL));
    HOSTILE(ExInitializeFastMutex(NULL));
    HOSTILE(ExAcquireFastMutex(NULL));
    HOSTILE(ExReleaseFastMutex(NULL));
    HOSTILE(ExTryToAcquireFastMutex(NULL));
    HOSTILE(KeInitializeSpinLock(NULL));
    HOSTILE(KeAcquireSpinLock(NULL, &irql));
    KeLowerIrql(PASSIVE_LEVEL);
    HOSTILE(KeReleaseSpinLock(NULL, PASSIVE_LEVEL));
    HOSTILE(KeTestSpinLock(NULL));
    KeRaiseIrql(DISPATCH_LEVEL, &irql);
    HOSTILE(KeAcquireSpinLockAtDpcLevel(NULL));
    HOSTILE(KeTryToAcquireSpinLockAtDpcLevel(NULL));
    HOSTILE(KeReleaseSpinLockFromDpcLevel(NULL));
    KeLowerIrql(PASSIVE_LEVEL);
    HOSTILE(KeAcquireInStackQueuedSpinLock(NULL, NULL));
    KeLowerIrql(PASSIVE_LEVEL);
    HOSTILE(KeReleaseInStackQueuedSpinLock(NULL));
    HOSTILE(KeInitializeDpc(NULL, NULL, NULL));
    HOSTILE(KeInsertQueueDpc(NULL, NULL, NULL));
    HOSTILE(KeRemoveQueueDpc(NULL));
    HOSTILE(IoInitializeDpcRequest(NULL, NULL));
    HOSTILE(IoRequestDpc(NULL, NULL, NULL));
    HOSTILE(KeQuerySystemTime(NULL));
    HOSTILE(RtlInitUnicodeString(NULL, NULL));
    HOSTILE(RtlEqualUnicodeString(NULL, NULL, FALSE));
    HOSTILE(DbgPrint(NULL));
    HOSTILE(IoCreateDevice(NULL, 0, NULL, 0, 0, FALSE, NULL));
    HOSTILE(IoDeleteDevice(NULL));
    HOSTILE(IoAttachDeviceToDeviceStack(NULL, NULL));
    HOSTILE(IoDetachDevice(NULL));
    HOSTILE(IoCreateSymbolicLink(NULL, NULL));
    HOSTILE(IoDeleteSymbolicLink(NULL));
    HOSTILE(IoCallDriver(NULL, NULL));
    HOSTILE(IoCompleteRequest(NULL, IO_NO_INCREMENT));
    HOSTILE(IoFreeIrp(NULL));
    HOSTILE(IoReuseIrp(NULL, STATUS_SUCCESS));
    HOSTILE(IoInitializeIrp(NULL, 0, 1));
    HOSTILE(IoStartPacket(NULL, NULL, NULL, NULL));
    KeRaiseIrql(DISPATCH_LEVEL, &irql);
    HOSTILE(IoStartNextPacket(NULL, FALSE));
    KeLowerIrql(PASSIVE_LEVEL);
    HOSTILE(IoCancelIrp(NULL));
    HOSTILE(KeRemoveEntryDeviceQueue(NULL, NULL));
    HOSTILE(IoConnectInterrupt(NULL, NULL, NULL, NULL, 0, 0, 0, LevelSensitive, FALSE, 0,
                               FALSE));
    HOSTILE(IoConnectInterruptEx(NULL));
    HOSTILE(IoDisconnectInterrupt(NULL));
    HOSTILE(IoDisconnectInterruptEx(NULL));
    HOSTILE(KeSynchronizeExecution(NULL, NULL, NULL));
    HOSTILE(KeAcquireInterruptSpinLock(NULL));
    HOSTILE(KeReleaseInterruptSpinLock(NULL, PASSIVE_LEVEL));
    HOSTILE(MmProbeAndLockPages(NULL, KernelMode, IoReadAccess));
    HOSTILE(MmUnlockPages(NULL));
    HOSTILE(MmPrepareMdlForReuse(NULL));
    HOSTILE(IoBuildPartialMdl(NULL, NULL, NULL, 0));
    HOSTILE(MmFreePagesFromMdl(NULL));
    HOSTILE(MmMapLockedPagesSpecifyCache(NULL, KernelMode, MmCached, NULL, FALSE, 0));
    HOSTILE(MmUnmapLockedPages(NULL, NULL));
    HOSTILE(MmGetSystemAddressForMdlSafe(NULL, NormalPagePriority));
    HOSTILE(MmBuildMdlForNonPagedPool(NULL));
    HOSTILE(MmFreeContiguousMemory(NULL));
    HOSTILE(ExInitializeNPagedLookasideList(NULL, NULL, NULL, 0, 16, 0, 0));
    HOSTILE(ExAllocateFromNPagedLookasideList(NULL));
    HOSTILE(ExFreeToNPagedLookasideList(NULL, NULL));
    HOSTILE(ExDeleteNPagedLookasideList(NULL));
    HOSTILE(ExFreePool(NULL));
    HOSTILE(MmMapIoSpace(zero, 0, MmNonCached));
    HOSTILE(MmUnmapIoSpace(NULL, 0));
    HOSTILE(READ_REGISTER_ULONG(NULL));
    HOSTILE(WRITE_REGISTER_ULONG(NULL, 1));
    HOSTILE(READ_REGISTER_BUFFER_ULONG(NULL, NULL, 4));
    HOSTILE(IoQueueWorkItem(NULL, NULL, DelayedWorkQueue, NULL));
    HOSTILE(PsCreateSystemThread(NULL, 0, NULL, NULL, NULL, NULL, NULL));
    HOSTILE(PsTerminateSystemThread(STATUS_SUCCESS));
    HOSTILE(IoGetDmaAdapter(NULL, NULL, NULL));
    (void)t;
    machine_done(m);
}
END_TEST

START_TEST(test_objects_that_are_not)
{
    KIRQL irql;

    m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    HOSTILE(IoDeleteDevice((PDEVICE_OBJECT)junk));
    HOSTILE(IoCompleteRequest((PIRP)junk, IO_NO_INCREMENT));
    HOSTILE(IoCallDriver((PDEVICE_OBJECT)junk, (PIRP)junk));
    HOSTILE(IoStartPacket((PDEVICE_OBJECT)junk, (PIRP)junk, NULL, NULL));
    HOSTILE(IoCreateDevice((PDRIVER_OBJECT)junk, 0, NULL, 0, 0, FALSE, (PDEVICE_OBJECT *)junk));
    HOSTILE(KeSynchronizeExecution((PKINTERRUPT)junk, NULL, NULL));
    HOSTILE(IoDisconnectInterrupt((PKINTERRUPT)junk));
    HOSTILE(MmFreeContiguousMemory(junk));
    HOSTILE(MmFreePagesFromMdl((PMDL)junk));
    HOSTILE(ExFreePool(junk));
    HOSTILE(KeRemoveEntryDeviceQueue((PKDEVICE_QUEUE)junk, (PKDEVICE_QUEUE_ENTRY)junk));
    HOSTILE(irql = KeAcquireInterruptSpinLock((PKINTERRUPT)junk));
    (void)irql;
    machine_done(m);
}
END_TEST

static Suite *hostile_suite(void)
{
    Suite *s = suite_create("hal/hostile");
    TCase *tc = tcase_create("hostile");

    tcase_add_test(tc, test_null_arguments);
    tcase_add_test(tc, test_objects_that_are_not);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(hostile_suite);
}
