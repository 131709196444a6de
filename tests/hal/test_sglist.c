/*
 * test_sglist.c - scatter/gather lists: Get/Put (v1), Calculate, Build and
 * BuildMdlFromScatterGatherList (v2).
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

struct listen {
    int calls;
    KIRQL irql;
    PSCATTER_GATHER_LIST list;
};

static VOID on_list(PDEVICE_OBJECT dev, PIRP irp, PSCATTER_GATHER_LIST sgl, PVOID ctx)
{
    struct listen *l = ctx;

    (void)dev;
    (void)irp;
    l->calls++;
    l->irql = KeGetCurrentIrql();
    l->list = sgl;
}

static NTSTATUS get(PDMA_ADAPTER a, PDEVICE_OBJECT dev, PMDL mdl, PVOID va, ULONG len,
                    struct listen *l, BOOLEAN write)
{
    KIRQL old;
    NTSTATUS st;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    st = a->DmaOperations->GetScatterGatherList(a, dev, mdl, va, len, on_list, l, write);
    KeLowerIrql(old);
    return st;
}

static void put(PDMA_ADAPTER a, PSCATTER_GATHER_LIST sgl, BOOLEAN write)
{
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->PutScatterGatherList(a, sgl, write);
    KeLowerIrql(old);
}

/* Read the list's bytes through the device and compare with the buffer. */
static void check_list_bytes(PDEVICE_OBJECT dev, unsigned bits, PSCATTER_GATHER_LIST sgl,
                             const uint8_t *expect, ULONG len)
{
    uint8_t *seen = malloc(len);
    ULONG at = 0;

    for (ULONG i = 0; i < sgl->NumberOfElements; i++) {
        ck_assert_int_eq(dms_device_dma_read(dev, bits, (uint64_t)sgl->Elements[i].Address.QuadPart,
                                             seen + at, sgl->Elements[i].Length, NULL), 0);
        at += sgl->Elements[i].Length;
    }
    ck_assert_uint_eq(at, len);
    ck_assert_mem_eq(seen, expect, len);
    free(seen);
}

START_TEST(test_get_direct_64bit)
{
    struct dms_machine *m = machine_new(64 * GIB, DMS_PLACE_LOW_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 64, TRUE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 65536, 4);
    PMDL mdl = mdl_for(buf, 65536);
    struct listen l = {0};

    ck_assert_int_eq(get(a, dev, mdl, buf, 65536, &l, TRUE), STATUS_SUCCESS);
    ck_assert_int_eq(l.calls, 1);
    ck_assert_int_eq(l.irql, DISPATCH_LEVEL);
    ck_assert_uint_eq(l.list->NumberOfElements, 1); /* contiguous pages merge */
    ck_assert_uint_eq((uint64_t)l.list->Elements[0].Address.QuadPart, phys_of(m, buf));
    check_list_bytes(dev, 64, l.list, buf, 65536);
    put(a, l.list, TRUE);
    ck_assert_uint_eq(dms_adapter_stats(a)->pages_bounced, 0);
    ck_assert_uint_eq(dms_adapter_stats(a)->sg_lists_outstanding, 0);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

START_TEST(test_get_bounced_32bit_both_directions)
{
    struct dms_machine *m = machine_new(64 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 65536, 4);
    PMDL mdl = mdl_for(buf, 65536);
    struct listen l = {0};
    uint8_t *incoming = malloc(65536);
    ULONG at = 0;

    ck_assert_int_eq(get(a, dev, mdl, buf, 65536, &l, TRUE), STATUS_SUCCESS);
    for (ULONG i = 0; i < l.list->NumberOfElements; i++)
        ck_assert_uint_lt((uint64_t)l.list->Elements[i].Address.QuadPart, 4 * GIB);
    check_list_bytes(dev, 32, l.list, buf, 65536);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 16);
    put(a, l.list, TRUE);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_in_use, 0);
    /* and a read: device data reaches the buffer at PutScatterGatherList */
    memset(incoming, 0x3C, 65536);
    ck_assert_int_eq(get(a, dev, mdl, buf, 65536, &l, FALSE), STATUS_SUCCESS);
    for (ULONG i = 0; i < l.list->NumberOfElements; i++) {
        dms_device_dma_write(dev, 32, (uint64_t)l.list->Elements[i].Address.QuadPart,
                             incoming + at, l.list->Elements[i].Length, NULL);
        at += l.list->Elements[i].Length;
    }
    put(a, l.list, FALSE);
    ck_assert_mem_eq(buf, incoming, 65536);
    ck_assert_uint_gt(dms_adapter_stats(a)->pages_bounced_above_limit, 20); /* ~15/16 high */
    ck_assert_uint_eq(dms_adapter_stats(a)->stray_accesses, 0);
    free(incoming);
    machine_done(m);
}
END_TEST

START_TEST(test_non_sg_gets_one_element)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "legacy0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, FALSE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 8 * 4096, 4);
    PMDL mdl = mdl_for(buf + 10, 8 * 4096 - 20);
    struct listen l = {0};

    ck_assert_int_eq(get(a, dev, mdl, buf + 10, 8 * 4096 - 20, &l, TRUE), STATUS_SUCCESS);
    ck_assert_uint_eq(l.list->NumberOfElements, 1);
    check_list_bytes(dev, 32, l.list, buf + 10, 8 * 4096 - 20);
    put(a, l.list, TRUE);
    machine_done(m);
}
END_TEST

START_TEST(test_chained_mdls)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    PDMA_ADAPTER legacy = adapter_new(dms_device_create(m, "legacy0", 0), 32, FALSE, 65536, 2,
                                      NULL);
    uint8_t *b1 = pattern_buffer(m, dev, 3 * 4096, 1), *b2 = pattern_buffer(m, dev, 2 * 4096, 2);
    PIRP irp = IoAllocateIrp(1, FALSE);
    PMDL first = IoAllocateMdl(b1 + 50, 3 * 4096 - 50, FALSE, FALSE, irp);
    PMDL second = IoAllocateMdl(b2, 5000, TRUE, FALSE, irp);
    uint8_t expect[3 * 4096 - 50 + 5000];
    struct listen l = {0};

    MmBuildMdlForNonPagedPool(first);
    MmBuildMdlForNonPagedPool(second);
    ck_assert_ptr_eq(irp->MdlAddress, first);
    ck_assert_ptr_eq(first->Next, second);
    memcpy(expect, b1 + 50, 3 * 4096 - 50);
    memcpy(expect + 3 * 4096 - 50, b2, 5000);
    ck_assert_int_eq(get(a, dev, first, b1 + 50, sizeof(expect), &l, TRUE), STATUS_SUCCESS);
    check_list_bytes(dev, 32, l.list, expect, sizeof(expect));
    put(a, l.list, TRUE);
    /* a device without scatter/gather: the chain packed into one contiguous element */
    ck_assert_int_eq(get(legacy, dev, first, b1 + 50, sizeof(expect), &l, TRUE), STATUS_SUCCESS);
    ck_assert_uint_eq(l.list->NumberOfElements, 1);
    check_list_bytes(dev, 32, l.list, expect, sizeof(expect));
    put(legacy, l.list, TRUE);
    IoFreeMdl(first);
    IoFreeMdl(second);
    IoFreeIrp(irp);
    machine_done(m);
}
END_TEST

/* Deferred while map registers are short; several lists may be outstanding per device. */
START_TEST(test_deferred_until_registers_free)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDEVICE_OBJECT dev;
    PDMA_ADAPTER a;
    uint8_t *buf;
    PMDL mdl;
    struct listen l1 = {0}, l2 = {0}, l3 = {0};

    dms_machine_config_init(&cfg);
    cfg.bounce_pool_bytes = 16 * 4096;
    m = machine_with(&cfg);
    dev = dms_device_create(m, "disk0", 0);
    a = adapter_new(dev, 32, TRUE, 32768, 2, NULL);
    buf = pattern_buffer(m, dev, 8 * 4096, 0);
    mdl = mdl_for(buf, 8 * 4096);
    ck_assert_int_eq(get(a, dev, mdl, buf, 8 * 4096, &l1, TRUE), STATUS_SUCCESS);
    ck_assert_int_eq(get(a, dev, mdl, buf, 8 * 4096, &l2, TRUE), STATUS_SUCCESS);
    ck_assert_int_eq(l2.calls, 1); /* two outstanding on one device object */
    ck_assert_int_eq(get(a, dev, mdl, buf, 4 * 4096, &l3, TRUE), STATUS_SUCCESS);
    ck_assert_int_eq(l3.calls, 0); /* deferred: the pool's 16 pages are held */
    ck_assert_uint_eq(dms_adapter_stats(a)->map_register_waits, 1);
    put(a, l1.list, TRUE);
    ck_assert_int_eq(l3.calls, 1);
    put(a, l2.list, TRUE);
    put(a, l3.list, TRUE);
    ck_assert_uint_eq(dms_adapter_stats(a)->map_registers_peak, 16);
    machine_done(m);
}
END_TEST

START_TEST(test_get_status_codes)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    ULONG n;
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 16384, 2, &n);
    uint8_t *buf = pattern_buffer(m, dev, 16 * 4096, 0);
    PMDL mdl = mdl_for(buf, 16 * 4096);
    struct listen l = {0};

    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(get(a, dev, mdl, buf, 6 * 4096, &l, TRUE), STATUS_INSUFFICIENT_RESOURCES);
    ck_assert_int_eq(get(a, dev, mdl, buf + 4096, 16 * 4096, &l, TRUE), STATUS_BUFFER_TOO_SMALL);
    ck_assert_int_eq(get(a, dev, mdl, buf, 0, &l, TRUE), STATUS_INVALID_PARAMETER);
    ck_assert_finding(m, DMS_E6_ZERO_LENGTH);
    ck_assert_int_eq(l.calls, 0);
    ck_assert_int_eq(get(a, dev, mdl, buf, 4096, &l, TRUE), STATUS_SUCCESS);
    put(a, l.list, FALSE);
    ck_assert_finding(m, DMS_CHECK_DIRECTION);
    put(a, l.list, TRUE);
    ck_assert_finding(m, DMS_E6_SGL_DOUBLE_FREE);
    machine_done(m);
}
END_TEST

START_TEST(test_calculate_and_build)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_LOW_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 16 * 4096, 0);
    PMDL mdl = mdl_for(buf, 16 * 4096);
    ULONG worst = 0, exact = 0, regs = 0;
    struct listen l = {0};
    void *space;
    KIRQL old;

    ck_assert_int_eq(a->DmaOperations->CalculateScatterGatherList(a, NULL, buf + 1, 8 * 4096,
                                                                  &worst, &regs), STATUS_SUCCESS);
    ck_assert_uint_eq(regs, 9);
    ck_assert_int_eq(a->DmaOperations->CalculateScatterGatherList(a, mdl, buf, 8 * 4096, &exact,
                                                                  &regs), STATUS_SUCCESS);
    ck_assert_uint_eq(regs, 8);
    ck_assert_uint_lt(exact, worst); /* low-first: contiguous, so one element */
    ck_assert_uint_ge(exact, sizeof(SCATTER_GATHER_LIST) + sizeof(SCATTER_GATHER_ELEMENT));
    ck_assert_int_eq(a->DmaOperations->CalculateScatterGatherList(a, mdl, buf, 17 * 4096, &exact,
                                                                  NULL), STATUS_BUFFER_TOO_SMALL);
    space = malloc(exact);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(a->DmaOperations->BuildScatterGatherList(a, dev, mdl, buf, 8 * 4096, on_list,
                                                              &l, TRUE, space, exact - 1),
                     STATUS_BUFFER_TOO_SMALL);
    ck_assert_int_eq(a->DmaOperations->BuildScatterGatherList(a, dev, mdl, buf, 8 * 4096, on_list,
                                                              &l, TRUE, space, exact),
                     STATUS_SUCCESS);
    ck_assert_ptr_eq(l.list, space);
    ck_assert_uint_eq(l.list->NumberOfElements, 1);
    a->DmaOperations->PutScatterGatherList(a, l.list, TRUE);
    KeLowerIrql(old);
    ck_assert_uint_eq(dms_adapter_stats(a)->sg_lists_outstanding, 0);
    free(space); /* the caller's buffer: PutScatterGatherList did not free it */
    machine_done(m);
}
END_TEST

START_TEST(test_build_mdl_from_list)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_HIGH_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    PDMA_ADAPTER a64 = adapter_new(dev, 64, TRUE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 2 * 4096, 0);
    PMDL mdl = mdl_for(buf, 2 * 4096), target = NULL;
    struct listen l = {0};
    KIRQL old;

    ck_assert_int_eq(get(a, dev, mdl, buf, 2 * 4096, &l, TRUE), STATUS_SUCCESS);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(a->DmaOperations->BuildMdlFromScatterGatherList(a, l.list, NULL, &target),
                     STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(a->DmaOperations->BuildMdlFromScatterGatherList(a, l.list, mdl, &target),
                     STATUS_SUCCESS);
    ck_assert_ptr_ne(target, mdl); /* bounced: a new MDL over the bounce pages */
    for (int i = 0; i < 2; i++)
        ck_assert_uint_lt((uint64_t)MmGetMdlPfnArray(target)[i] << 12, 4 * GIB);
    ck_assert_int_eq(a->DmaOperations->BuildMdlFromScatterGatherList(a, l.list, mdl, &target),
                     STATUS_NONE_MAPPED);
    a->DmaOperations->PutScatterGatherList(a, l.list, TRUE);
    KeLowerIrql(old);
    ck_assert_int_eq(get(a64, dev, mdl, buf, 2 * 4096, &l, TRUE), STATUS_SUCCESS);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(a64->DmaOperations->BuildMdlFromScatterGatherList(a64, l.list, mdl, &target),
                     STATUS_SUCCESS);
    ck_assert_ptr_eq(target, mdl); /* nothing bounced: the original */
    a64->DmaOperations->PutScatterGatherList(a64, l.list, TRUE);
    KeLowerIrql(old);
    machine_done(m);
}
END_TEST

START_TEST(test_get_at_passive_is_wrong_irql)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 64, TRUE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 4096, 0);
    PMDL mdl = mdl_for(buf, 4096);
    struct listen l = {0};
    const struct dms_finding *f;

    ck_assert_int_eq(a->DmaOperations->GetScatterGatherList(a, dev, mdl, buf, 4096, on_list, &l,
                                                            TRUE), STATUS_SUCCESS);
    f = dms_finding_get(m, 0);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(f->code, DMS_E6_WRONG_IRQL);
    ck_assert_uint_eq(f->p2, 1);
    ck_assert_uint_eq(f->p3, DISPATCH_LEVEL);
    ck_assert_uint_eq(f->p4, PASSIVE_LEVEL);
    ck_assert_int_eq(l.irql, DISPATCH_LEVEL); /* the callback still runs at its level */
    put(a, l.list, TRUE);
    machine_done(m);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("hal/sglist");
    TCase *tc = tcase_create("sglist");

    tcase_add_test(tc, test_get_direct_64bit);
    tcase_add_test(tc, test_get_bounced_32bit_both_directions);
    tcase_add_test(tc, test_non_sg_gets_one_element);
    tcase_add_test(tc, test_chained_mdls);
    tcase_add_test(tc, test_deferred_until_registers_free);
    tcase_add_test(tc, test_get_status_codes);
    tcase_add_test(tc, test_calculate_and_build);
    tcase_add_test(tc, test_build_mdl_from_list);
    tcase_add_test(tc, test_get_at_passive_is_wrong_irql);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(make);
}
