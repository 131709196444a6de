/*
 * test_interrupts.c - WDFINTERRUPT: connected after EvtDeviceD0Entry and enabled at DIRQL,
 * disabled and disconnected before EvtDeviceD0Exit; the ISR at DIRQL queues the DPC once; the
 * DPC at DISPATCH_LEVEL completes the request; the interrupt lock and WdfInterruptSynchronize
 * run at DIRQL; misuse (the lock from the ISR, a release without an acquire, an interrupt made
 * after the start, one with no resource) is a finding.
 */
#include <check.h>
#include <string.h>

#include <ntddk.h>
#include <wdf.h>

#include "kmdf_rig.h"

static struct {
    char calls[512];
    WDFINTERRUPT interrupt, spare;
    WDFREQUEST pending;
    KIRQL isr_irql, dpc_irql, enable_irql, sync_irql, locked_irql;
    BOOLEAN queued_first, queued_again;
    BOOLEAN lock_in_isr, second_interrupt, late_create;
    NTSTATUS late_status;
    WDFDEVICE device;
    int isr_runs, dpc_runs;
} seen;

static void call(const char *what)
{
    log_call(seen.calls, sizeof(seen.calls), what);
}

static BOOLEAN TestIsr(WDFINTERRUPT Interrupt, ULONG MessageID)
{
    ck_assert_uint_eq(MessageID, 0);
    seen.isr_runs++;
    seen.isr_irql = KeGetCurrentIrql();
    if (seen.lock_in_isr)
        WdfInterruptAcquireLock(Interrupt); /* the ISR holds it already: a finding */
    seen.queued_first = WdfInterruptQueueDpcForIsr(Interrupt);
    seen.queued_again = WdfInterruptQueueDpcForIsr(Interrupt);
    return TRUE;
}

static VOID TestDpc(WDFINTERRUPT Interrupt, WDFOBJECT AssociatedObject)
{
    ck_assert_ptr_eq(AssociatedObject, seen.device);
    ck_assert_ptr_eq(WdfInterruptGetDevice(Interrupt), seen.device);
    seen.dpc_runs++;
    seen.dpc_irql = KeGetCurrentIrql();
    if (seen.pending != NULL) {
        WDFREQUEST r = seen.pending;
        seen.pending = NULL;
        WdfRequestCompleteWithInformation(r, STATUS_SUCCESS, 42);
    }
}

static NTSTATUS TestEnable(WDFINTERRUPT Interrupt, WDFDEVICE Device)
{
    (void)Interrupt;
    ck_assert_ptr_eq(Device, seen.device);
    seen.enable_irql = KeGetCurrentIrql();
    call("enable");
    return STATUS_SUCCESS;
}

static NTSTATUS TestDisable(WDFINTERRUPT Interrupt, WDFDEVICE Device)
{
    (void)Interrupt;
    (void)Device;
    call("disable");
    return STATUS_SUCCESS;
}

static NTSTATUS TestD0Entry(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState)
{
    (void)Device;
    (void)PreviousState;
    call("d0entry");
    return STATUS_SUCCESS;
}

static NTSTATUS TestD0Exit(WDFDEVICE Device, WDF_POWER_DEVICE_STATE TargetState)
{
    (void)Device;
    (void)TargetState;
    call("d0exit");
    return STATUS_SUCCESS;
}

static NTSTATUS TestPostEnabled(WDFDEVICE Device, WDF_POWER_DEVICE_STATE PreviousState)
{
    (void)Device;
    (void)PreviousState;
    call("post");
    return STATUS_SUCCESS;
}

static BOOLEAN TestSync(WDFINTERRUPT Interrupt, WDFCONTEXT Context)
{
    (void)Interrupt;
    seen.sync_irql = KeGetCurrentIrql();
    return Context == (WDFCONTEXT)&seen;
}

static VOID TestEvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    (void)Queue;
    (void)Length;
    WdfInterruptAcquireLock(seen.interrupt);
    seen.locked_irql = KeGetCurrentIrql();
    WdfInterruptReleaseLock(seen.interrupt);
    seen.pending = Request; /* the "device" interrupts when done; the DPC completes it */
    if (seen.late_create) {
        WDF_INTERRUPT_CONFIG ic;
        WDFINTERRUPT late;
        WDF_INTERRUPT_CONFIG_INIT(&ic, TestIsr, TestDpc);
        seen.late_status = WdfInterruptCreate(seen.device, &ic, NULL, &late);
    }
}

static NTSTATUS TestDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    WDF_INTERRUPT_CONFIG ic;
    WDF_IO_QUEUE_CONFIG qc;
    WDF_OBJECT_ATTRIBUTES da;
    NTSTATUS status;

    (void)Driver;
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&pnp);
    pnp.EvtDeviceD0Entry = TestD0Entry;
    pnp.EvtDeviceD0Exit = TestD0Exit;
    pnp.EvtDeviceD0EntryPostInterruptsEnabled = TestPostEnabled;
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, &pnp);
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);
    WDF_OBJECT_ATTRIBUTES_INIT(&da);
    da.SynchronizationScope = WdfSynchronizationScopeDevice;
    status = WdfDeviceCreate(&DeviceInit, &da, &seen.device);
    if (!NT_SUCCESS(status))
        return status;
    WDF_INTERRUPT_CONFIG_INIT(&ic, TestIsr, TestDpc);
    ic.EvtInterruptEnable = TestEnable;
    ic.EvtInterruptDisable = TestDisable;
    ic.AutomaticSerialization = TRUE;
    status = WdfInterruptCreate(seen.device, &ic, WDF_NO_OBJECT_ATTRIBUTES, &seen.interrupt);
    if (!NT_SUCCESS(status))
        return status;
    if (seen.second_interrupt) { /* the card has one interrupt resource: this one gets none */
        WDF_INTERRUPT_CONFIG_INIT(&ic, TestIsr, NULL);
        status = WdfInterruptCreate(seen.device, &ic, NULL, &seen.spare);
        if (!NT_SUCCESS(status))
            return status;
    }
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchSequential);
    qc.EvtIoWrite = TestEvtIoWrite;
    return WdfIoQueueCreate(seen.device, &qc, NULL, NULL);
}

static NTSTATUS TestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;

    WDF_DRIVER_CONFIG_INIT(&config, TestDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, NULL, &config, NULL);
}

static void start(struct rig *r)
{
    rig_up(r, 16 * GIB, DMS_PLACE_RANDOM, RIG_INTERRUPT, "kmdfint", TestDriverEntry, 4096);
}

START_TEST(test_interrupt_round_trip)
{
    struct rig r;
    struct sent s = {0};
    struct dms_request q;

    memset(&seen, 0, sizeof(seen));
    start(&r);
    ck_assert_str_eq(seen.calls, "d0entry enable post ");
    ck_assert_uint_gt(seen.enable_irql, DISPATCH_LEVEL); /* at the interrupt's DIRQL */
    ck_assert_ptr_nonnull(WdfInterruptWdmGetInterrupt(seen.interrupt));
    q = (struct dms_request){.major = IRP_MJ_WRITE, .buffer = r.buf, .length = 512};
    ck_assert_int_eq(dms_irp_send(r.pdo, &q, on_done, &s), STATUS_PENDING);
    /* the queue callback ran at DISPATCH_LEVEL (device scope); the lock took it to DIRQL */
    ck_assert_uint_gt(seen.locked_irql, DISPATCH_LEVEL);
    ck_assert_int_eq(s.done, 0);
    ck_assert_int_eq(dms_device_interrupt(r.pdo), 0);
    ck_assert_int_eq(seen.isr_runs, 1);
    ck_assert_uint_gt(seen.isr_irql, DISPATCH_LEVEL);
    ck_assert(seen.queued_first);
    ck_assert(!seen.queued_again); /* queued once: the second call finds it queued */
    dms_machine_run_pending(r.m);
    ck_assert_int_eq(seen.dpc_runs, 1);
    ck_assert_int_eq(seen.dpc_irql, DISPATCH_LEVEL);
    ck_assert_int_eq(s.done, 1);
    ck_assert_uint_eq(s.information, 42);
    /* WdfInterruptSynchronize runs its callback at DIRQL and returns what it returns */
    ck_assert(WdfInterruptSynchronize(seen.interrupt, TestSync, &seen));
    ck_assert_uint_gt(seen.sync_irql, DISPATCH_LEVEL);
    ck_assert(!WdfInterruptSynchronize(seen.interrupt, TestSync, NULL));
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    /* removal: disabled and disconnected before D0 is left */
    seen.calls[0] = '\0';
    ck_assert_int_eq(dms_pnp_remove(r.pdo, TRUE), STATUS_SUCCESS);
    ck_assert_str_eq(seen.calls, "disable d0exit ");
    rig_down(&r);
}
END_TEST

START_TEST(test_interrupt_misuse)
{
    struct rig r;
    struct sent s = {0};
    struct dms_request q;

    memset(&seen, 0, sizeof(seen));
    seen.lock_in_isr = TRUE;
    seen.second_interrupt = TRUE;
    seen.late_create = TRUE;
    start(&r);
    /* the second interrupt object has no resource: said at the start */
    ck_assert_uint_eq(dms_finding_count_code(r.m, DMS_CHECK_DRIVER), 1);
    ck_assert_ptr_null(WdfInterruptWdmGetInterrupt(seen.spare));
    q = (struct dms_request){.major = IRP_MJ_WRITE, .buffer = r.buf, .length = 512};
    dms_irp_send(r.pdo, &q, on_done, &s);
    ck_assert_int_eq(seen.late_status, STATUS_INVALID_DEVICE_STATE);
    ck_assert_finding(r.m, DMS_BUGCHECK_10D(0x4));
    dms_device_interrupt(r.pdo);
    ck_assert_finding(r.m, DMS_CHECK_LOCK); /* the lock from the ISR */
    dms_machine_run_pending(r.m);
    ck_assert_int_eq(s.done, 1);
    WdfInterruptReleaseLock(seen.interrupt); /* never acquired */
    ck_assert_finding(r.m, DMS_CHECK_LOCK);
    /* a DPC for an interrupt without EvtInterruptDpc */
    ck_assert(!WdfInterruptQueueDpcForIsr(seen.spare));
    ck_assert_finding(r.m, DMS_BUGCHECK_10D(0x4));
    rig_down(&r);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("kmdf/interrupts");
    TCase *tc = tcase_create("interrupts");

    tcase_add_test(tc, test_interrupt_round_trip);
    tcase_add_test(tc, test_interrupt_misuse);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(make);
}
