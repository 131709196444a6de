/*
 * test_kernel.c - the kernel slice: IRQL, DPCs, MDLs, nonpaged pool, physical addresses.
 */
#include <string.h>

#include "helpers.h"

START_TEST(test_irql_raise_lower)
{
    struct dms_machine *m = machine_new(1 * GIB, DMS_PLACE_RANDOM);
    KIRQL old;

    ck_assert_int_eq(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(old, PASSIVE_LEVEL);
    ck_assert_int_eq(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(HIGH_LEVEL); /* raising by lowering */
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    ck_assert_int_eq(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(old);
    ck_assert_int_eq(KeRaiseIrqlToDpcLevel(), PASSIVE_LEVEL);
    KeLowerIrql(PASSIVE_LEVEL);
    machine_done(m);
}
END_TEST

static int dpc_runs;
static PVOID dpc_args[3];
static KIRQL dpc_irql;

static VOID count_dpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
    (void)dpc;
    dpc_runs++;
    dpc_args[0] = ctx;
    dpc_args[1] = a1;
    dpc_args[2] = a2;
    dpc_irql = KeGetCurrentIrql();
}

START_TEST(test_dpc_runs_when_irql_drops)
{
    struct dms_machine *m = machine_new(1 * GIB, DMS_PLACE_RANDOM);
    KDPC dpc;
    KIRQL old;
    int ctx, a1, a2;

    dpc_runs = 0;
    KeInitializeDpc(&dpc, count_dpc, &ctx);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert(KeInsertQueueDpc(&dpc, &a1, &a2));
    ck_assert(!KeInsertQueueDpc(&dpc, NULL, NULL)); /* already queued */
    ck_assert_int_eq(dpc_runs, 0);
    KeLowerIrql(old);
    ck_assert_int_eq(dpc_runs, 1);
    ck_assert_ptr_eq(dpc_args[0], &ctx);
    ck_assert_ptr_eq(dpc_args[1], &a1);
    ck_assert_ptr_eq(dpc_args[2], &a2);
    ck_assert_int_eq(dpc_irql, DISPATCH_LEVEL);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert(KeInsertQueueDpc(&dpc, NULL, NULL));
    ck_assert(KeRemoveQueueDpc(&dpc));
    ck_assert(!KeRemoveQueueDpc(&dpc));
    KeLowerIrql(old);
    ck_assert_int_eq(dpc_runs, 1); /* removed: did not run */
    ck_assert_int_eq(dms_machine_run_pending(m), 0);
    machine_done(m);
}
END_TEST

static PIRP isr_irp;
static VOID dpc_for_isr(PKDPC dpc, PDEVICE_OBJECT dev, PIRP irp, PVOID ctx)
{
    (void)dpc;
    (void)dev;
    (void)ctx;
    isr_irp = irp;
}

START_TEST(test_io_request_dpc)
{
    struct dms_machine *m = machine_new(1 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 64);
    PIRP irp = IoAllocateIrp(1, FALSE);
    KIRQL old;

    ck_assert_ptr_nonnull(dev->DeviceExtension);
    IoInitializeDpcRequest(dev, dpc_for_isr);
    KeRaiseIrql(HIGH_LEVEL, &old); /* from an ISR */
    IoRequestDpc(dev, irp, NULL);
    KeLowerIrql(old);
    ck_assert_ptr_eq(isr_irp, irp);
    IoFreeIrp(irp);
    machine_done(m);
}
END_TEST

START_TEST(test_mdl_fields_and_pfns)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    uint8_t *buf = dms_buffer_alloc(m, NULL, 4 * 4096);
    PMDL mdl = IoAllocateMdl(buf + 0x123, 3 * 4096, FALSE, FALSE, NULL);

    ck_assert_ptr_eq(mdl->StartVa, buf);
    ck_assert_uint_eq(MmGetMdlByteOffset(mdl), 0x123);
    ck_assert_uint_eq(MmGetMdlByteCount(mdl), 3 * 4096);
    ck_assert_ptr_eq(MmGetMdlVirtualAddress(mdl), buf + 0x123);
    ck_assert_int_eq(mdl->Size, (CSHORT)(sizeof(MDL) + 4 * sizeof(PFN_NUMBER)));
    MmBuildMdlForNonPagedPool(mdl);
    ck_assert(mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq((uint64_t)MmGetMdlPfnArray(mdl)[i] << 12, phys_of(m, buf + i * 4096));
    ck_assert_ptr_eq(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), buf + 0x123);
    ck_assert_uint_eq((uint64_t)MmGetPhysicalAddress(buf + 4096 + 7).QuadPart,
                      phys_of(m, buf + 4096) + 7);
    ck_assert(*Mm64BitPhysicalAddress);
    ck_assert_ptr_null(IoAllocateMdl(buf, 0, FALSE, FALSE, NULL));
    IoFreeMdl(mdl);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

START_TEST(test_mdl_over_foreign_memory)
{
    struct dms_machine *m = machine_new(1 * GIB, DMS_PLACE_RANDOM);
    static uint8_t not_pool[3 * 4096];
    PMDL mdl = IoAllocateMdl(not_pool + 10, 4096, FALSE, FALSE, NULL);

    MmBuildMdlForNonPagedPool(mdl);
    ck_assert_finding(m, DMS_CHECK_NOT_NONPAGED);
    IoFreeMdl(mdl);
    machine_done(m);
}
END_TEST

START_TEST(test_pool_free)
{
    struct dms_machine *m = machine_new(1 * GIB, DMS_PLACE_RANDOM);
    uint8_t *p = ExAllocatePoolWithTag(NonPagedPool, 10000, 'kfiD');

    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(dms_machine_frames_in_use(m), 3);
    ExFreePoolWithTag(p + 8, 'kfiD');
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    ExFreePoolWithTag(p, 'kfiD');
    ck_assert_uint_eq(dms_machine_frames_in_use(m), 0);
    ck_assert_ptr_null(ExAllocatePool2(POOL_FLAG_NON_PAGED, 0, 'kfiD'));
    machine_done(m);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("hal/kernel");
    TCase *tc = tcase_create("kernel");

    tcase_add_test(tc, test_irql_raise_lower);
    tcase_add_test(tc, test_dpc_runs_when_irql_drops);
    tcase_add_test(tc, test_io_request_dpc);
    tcase_add_test(tc, test_mdl_fields_and_pfns);
    tcase_add_test(tc, test_mdl_over_foreign_memory);
    tcase_add_test(tc, test_pool_free);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(make);
}
