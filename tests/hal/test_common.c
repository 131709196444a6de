/*
 * test_common.c - common buffers: below the limit, contiguous, at least a page, shared by CPU
 * and device; exact frees; failure when low memory is gone.
 */
#include <string.h>

#include "helpers.h"

START_TEST(test_common_buffer_below_limit_and_contiguous)
{
    struct dms_machine *m = machine_new(64 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "nic0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    PHYSICAL_ADDRESS la;
    uint8_t *va = a->DmaOperations->AllocateCommonBuffer(a, 5 * 4096 + 10, &la, TRUE);
    uint8_t ring[64];

    ck_assert_ptr_nonnull(va);
    ck_assert_uint_le((uint64_t)la.QuadPart + 6 * 4096, 4 * GIB);
    for (int i = 0; i < 6; i++) /* six pages, physically consecutive */
        ck_assert_uint_eq(phys_of(m, va + i * 4096), (uint64_t)la.QuadPart + i * 4096ULL);
    memset(ring, 0x77, sizeof(ring)); /* the device writes, the CPU sees it, no flush */
    dms_device_dma_write(dev, 32, (uint64_t)la.QuadPart + 4096, ring, sizeof(ring), NULL);
    ck_assert_mem_eq(va + 4096, ring, sizeof(ring));
    ck_assert_uint_eq(dms_adapter_stats(a)->common_buffers, 1);
    ck_assert_uint_eq(dms_adapter_stats(a)->common_buffer_bytes, 6 * 4096);
    ck_assert_uint_eq(dms_adapter_stats(a)->stray_accesses, 0);
    a->DmaOperations->FreeCommonBuffer(a, 5 * 4096 + 10, la, va, TRUE);
    ck_assert_uint_eq(dms_adapter_stats(a)->common_buffers, 0);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

/* A 64-bit card's common buffer lands at the top of memory, as Windows' contiguous allocator
 * searches; a device told only its low 32 bits reads free memory, and the finding says whose
 * address it was cut from. [machine] contiguous = low-first puts it at the bottom instead. */
START_TEST(test_common_buffer_high_and_a_truncated_address_named)
{
    struct dms_machine_config cfg;
    struct dms_machine *m = machine_new(64 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "plx0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 64, TRUE, 65536, 3, NULL);
    PHYSICAL_ADDRESS la;
    uint8_t *va = a->DmaOperations->AllocateCommonBuffer(a, 96, &la, TRUE), chain[32];
    const struct dms_finding *f;

    ck_assert_ptr_nonnull(va);
    ck_assert_uint_ge((uint64_t)la.QuadPart, 64 * GIB); /* 64 GiB of RAM reaches 65 GiB */
    dms_device_dma_read(dev, 64, (uint64_t)la.LowPart + 32, chain, sizeof(chain), NULL);
    ck_assert_finding(m, DMS_CHECK_STRAY_ACCESS);
    f = dms_finding_get(m, dms_finding_count(m) - 1);
    ck_assert_ptr_nonnull(strstr(f->message, "which is free memory; it is the low 32 bits of "
                                             "0x0000_0010_3fff_f020 (common buffer #1 of plx0)"));
    ck_assert_ptr_nonnull(strstr(f->message, "an address cut to 32 bits"));
    machine_done(m);

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 64 * GIB;
    cfg.contiguous_low_first = 1;
    m = machine_with(&cfg);
    dev = dms_device_create(m, "plx0", 0);
    a = adapter_new(dev, 64, TRUE, 65536, 3, NULL);
    va = a->DmaOperations->AllocateCommonBuffer(a, 96, &la, TRUE);
    ck_assert_ptr_nonnull(va);
    ck_assert_uint_eq((uint64_t)la.QuadPart, 1 * MIB); /* the lowest frame not firmware's */
    memset(va, 0x5a, 96);
    dms_device_dma_read(dev, 64, (uint64_t)la.LowPart + 32, chain, sizeof(chain), NULL);
    ck_assert_uint_eq(chain[31], 0x5a);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

START_TEST(test_small_length_gets_a_page)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDMA_ADAPTER a = adapter_new(dms_device_create(m, "nic0", 0), 64, TRUE, 65536, 2, NULL);
    PHYSICAL_ADDRESS la;
    void *va = a->DmaOperations->AllocateCommonBuffer(a, 100, &la, FALSE);

    ck_assert_ptr_nonnull(va);
    ck_assert_uint_eq((uint64_t)la.QuadPart & 4095, 0);
    ck_assert_uint_eq(dms_adapter_stats(a)->common_buffer_bytes, 4096);
    machine_done(m);
}
END_TEST

START_TEST(test_free_must_match)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDMA_ADAPTER a = adapter_new(dms_device_create(m, "nic0", 0), 64, TRUE, 65536, 2, NULL);
    PHYSICAL_ADDRESS la;
    void *va = a->DmaOperations->AllocateCommonBuffer(a, 8192, &la, FALSE);

    a->DmaOperations->FreeCommonBuffer(a, 4096, la, va, FALSE); /* a partial free */
    ck_assert_finding(m, DMS_CHECK_FREE_MISMATCH);
    ck_assert_uint_eq(dms_adapter_stats(a)->common_buffers, 1); /* still there */
    a->DmaOperations->FreeCommonBuffer(a, 8192, la, va, FALSE);
    ck_assert_uint_eq(dms_adapter_stats(a)->common_buffers, 0);
    a->DmaOperations->FreeCommonBuffer(a, 8192, la, va, FALSE);
    ck_assert_finding(m, DMS_E6_COMMON_BUFFER_DOUBLE_FREE);
    machine_done(m);
}
END_TEST

/* A 24-bit device: common buffers come from below 16 MiB until there is none left. */
START_TEST(test_low_memory_runs_out)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDMA_ADAPTER a = adapter_new(dms_device_create(m, "isa0", 0), 24, FALSE, 65536, 2, NULL);
    PHYSICAL_ADDRESS la[32];
    void *va[32];
    int n = 0;

    while (n < 32 && (va[n] = a->DmaOperations->AllocateCommonBuffer(a, 1 * MIB, &la[n], FALSE)))
        ck_assert_uint_lt((uint64_t)la[n++].QuadPart, 16 * MIB);
    /* 15 MiB above firmware's, 8 MiB of it the 24-bit bounce pool: 7 MiB for buffers */
    ck_assert_int_eq(n, 7);
    ck_assert_ptr_null(a->DmaOperations->AllocateCommonBuffer(a, 4096, &la[n], FALSE));
    a->DmaOperations->FreeCommonBuffer(a, 1 * MIB, la[0], va[0], FALSE);
    ck_assert_ptr_nonnull(a->DmaOperations->AllocateCommonBuffer(a, 1 * MIB, &la[0], FALSE));
    machine_done(m);
}
END_TEST

START_TEST(test_put_with_common_buffer_outstanding)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDMA_ADAPTER a = adapter_new(dms_device_create(m, "nic0", 0), 64, TRUE, 65536, 2, NULL);
    PHYSICAL_ADDRESS la;
    KIRQL old;

    ck_assert_ptr_nonnull(a->DmaOperations->AllocateCommonBuffer(a, 4096, &la, FALSE));
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    /* AllocateCommonBuffer is PASSIVE_LEVEL only: reported, and the routine carries on */
    ck_assert_ptr_nonnull(a->DmaOperations->AllocateCommonBuffer(a, 4096, &la, FALSE));
    KeLowerIrql(old);
    ck_assert_finding(m, DMS_E6_WRONG_IRQL);
    ck_assert_uint_eq(dms_finding_get(m, 0)->p3, PASSIVE_LEVEL);
    ck_assert_uint_eq(dms_finding_get(m, 0)->p4, DISPATCH_LEVEL);
    ck_assert_uint_eq(dms_adapter_stats(a)->common_buffers, 2);
    a->DmaOperations->PutDmaAdapter(a);
    ck_assert_uint_ge(dms_finding_count_code(m, DMS_E6_PUT_WITH_COMMON_BUFFERS), 1);
    machine_done(m);
}
END_TEST

/* Memory runs out one page at a time: every frame of a small machine becomes a common buffer
 * (the bounce pool and what the firmware keeps aside); then the allocator still finds the
 * highest free run: a page freed in the middle is the next one-page buffer, two freed side by
 * side the next two-page one, and a three-page buffer fits nowhere. */
START_TEST(test_exhausted_page_by_page)
{
    struct dms_machine *m = machine_new(64 * MIB, DMS_PLACE_LOW_FIRST);
    PDMA_ADAPTER a = adapter_new(dms_device_create(m, "nic0", 0), 64, TRUE, 65536, 2, NULL);
    static PHYSICAL_ADDRESS la[20000];
    static void *va[20000];
    PHYSICAL_ADDRESS got;
    uint32_t n = 0;

    while (n < 20000 && (va[n] = a->DmaOperations->AllocateCommonBuffer(a, 4096, &la[n], FALSE)))
        n++;
    ck_assert_uint_gt(n, 15000);
    ck_assert_uint_lt(n, 20000);
    for (uint32_t i = 1; i < n; i++) /* the highest free run each time: downward, packed */
        ck_assert_uint_lt((uint64_t)la[i].QuadPart, (uint64_t)la[i - 1].QuadPart);
    a->DmaOperations->FreeCommonBuffer(a, 4096, la[n / 2], va[n / 2], FALSE);
    ck_assert_ptr_nonnull(a->DmaOperations->AllocateCommonBuffer(a, 4096, &got, FALSE));
    ck_assert_uint_eq((uint64_t)got.QuadPart, (uint64_t)la[n / 2].QuadPart);
    a->DmaOperations->FreeCommonBuffer(a, 4096, la[100], va[100], FALSE);
    a->DmaOperations->FreeCommonBuffer(a, 4096, la[101], va[101], FALSE);
    ck_assert_ptr_null(a->DmaOperations->AllocateCommonBuffer(a, 3 * 4096, &got, FALSE));
    ck_assert_ptr_nonnull(a->DmaOperations->AllocateCommonBuffer(a, 2 * 4096, &got, FALSE));
    ck_assert_uint_eq((uint64_t)got.QuadPart, (uint64_t)la[101].QuadPart);
    machine_done(m);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("hal/common");
    TCase *tc = tcase_create("common");

    tcase_add_test(tc, test_common_buffer_below_limit_and_contiguous);
    tcase_add_test(tc, test_common_buffer_high_and_a_truncated_address_named);
    tcase_add_test(tc, test_small_length_gets_a_page);
    tcase_add_test(tc, test_free_must_match);
    tcase_add_test(tc, test_low_memory_runs_out);
    tcase_add_test(tc, test_put_with_common_buffer_outstanding);
    tcase_add_test(tc, test_exhausted_page_by_page);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(make);
}
