/*
 * test_adapter.c - IoGetDmaAdapter: address limits, table versions, map register grants
 * (including C28173's fewer-than-requested), PutDmaAdapter and the small routines.
 */
#include <string.h>

#include "helpers.h"

/* Address limit from the description: (flags) -> bits. */
static const struct {
    BOOLEAN sg, dma32, dma64;
    INTERFACE_TYPE bus;
    unsigned bits;
} limit_cases[] = {
    {TRUE, FALSE, TRUE, PCIBus, 64},  {TRUE, TRUE, TRUE, PCIBus, 64},
    {FALSE, TRUE, FALSE, PCIBus, 32}, {TRUE, FALSE, FALSE, PCIBus, 32},
    {TRUE, FALSE, FALSE, InterfaceTypeUndefined, 32},
    {TRUE, FALSE, FALSE, Isa, 24},    {FALSE, FALSE, FALSE, PCIBus, 24},
    {FALSE, FALSE, TRUE, Isa, 64},
};

START_TEST(test_address_limit)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    DEVICE_DESCRIPTION d;
    struct dms_adapter_info info;
    ULONG n;
    PDMA_ADAPTER a;

    memset(&d, 0, sizeof(d));
    d.Version = DEVICE_DESCRIPTION_VERSION2;
    d.Master = TRUE;
    d.ScatterGather = limit_cases[_i].sg;
    d.Dma32BitAddresses = limit_cases[_i].dma32;
    d.Dma64BitAddresses = limit_cases[_i].dma64;
    d.InterfaceType = limit_cases[_i].bus;
    d.MaximumLength = 65536;
    a = IoGetDmaAdapter(dev, &d, &n);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(dms_adapter_info(a, &info), 0);
    ck_assert_uint_eq(info.address_bits, limit_cases[_i].bits);
    ck_assert_uint_eq(info.max_address, limit_cases[_i].bits == 64
                                            ? UINT64_MAX : (1ULL << limit_cases[_i].bits) - 1);
    machine_done(m);
}
END_TEST

START_TEST(test_versions_and_subordinates)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "dev0", 0);
    DEVICE_DESCRIPTION d;
    ULONG n = 77;

    ck_assert_ptr_nonnull(adapter_new(dev, 64, TRUE, 4096, DEVICE_DESCRIPTION_VERSION, NULL));
    ck_assert_ptr_nonnull(adapter_new(dev, 64, TRUE, 4096, DEVICE_DESCRIPTION_VERSION3, NULL));
    ck_assert_uint_eq(dms_finding_count(m), 0);
    ck_assert_ptr_null(adapter_new(dev, 64, TRUE, 4096, 4, NULL));
    ck_assert_finding(m, DMS_E6_UNKNOWN_VERSION);
    memset(&d, 0, sizeof(d));
    d.Version = DEVICE_DESCRIPTION_VERSION2;
    d.Master = FALSE; /* a subordinate device: the 8237's channel 2 */
    d.DmaChannel = 2;
    d.InterfaceType = Isa;
    ck_assert_ptr_nonnull(IoGetDmaAdapter(dev, &d, &n));
    ck_assert_ptr_null(IoGetDmaAdapter(dev, &d, &n)); /* taken */
    ck_assert_finding(m, DMS_CHECK_SYSDMA);
    ck_assert_ptr_null(IoGetDmaAdapter(dev, NULL, &n));
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    machine_done(m);
}
END_TEST

static ULONG grant(uint64_t ram, unsigned bits, BOOLEAN sg, ULONG max_length, uint32_t limit,
                  uint64_t pool, BOOLEAN *needs)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    struct dms_adapter_info info;
    PDMA_ADAPTER a;
    ULONG n = 0;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = ram;
    if (limit)
        cfg.map_register_limit = limit;
    if (pool)
        cfg.bounce_pool_bytes = pool;
    m = machine_with(&cfg);
    a = adapter_new(dms_device_create(m, "d", 0), bits, sg, max_length, 2, &n);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(dms_adapter_info(a, &info), 0);
    *needs = info.needs_map_registers;
    machine_done(m);
    return n;
}

START_TEST(test_map_register_grants)
{
    BOOLEAN needs;

    /* a 64-bit scatter/gather master needs none: what MaximumLength needs, uncapped */
    ck_assert_uint_eq(grant(8 * GIB, 64, TRUE, 1 << 20, 0, 0, &needs), 257);
    ck_assert(!needs);
    /* a 32-bit one on 8 GiB bounces: capped by the platform's 64 */
    ck_assert_uint_eq(grant(8 * GIB, 32, TRUE, 1 << 20, 0, 0, &needs), 64);
    ck_assert(needs);
    ck_assert_uint_eq(grant(8 * GIB, 32, TRUE, 65536, 0, 0, &needs), 17);
    /* ... but not on a 2 GiB machine, where it reaches everything */
    ck_assert_uint_eq(grant(2 * GIB, 32, TRUE, 1 << 20, 0, 0, &needs), 257);
    ck_assert(!needs);
    /* a configured platform limit */
    ck_assert_uint_eq(grant(8 * GIB, 32, TRUE, 65536, 10, 0, &needs), 10);
    /* C28173: a small bounce pool grants fewer than requested */
    ck_assert_uint_eq(grant(8 * GIB, 32, TRUE, 65536, 0, 8 * 4096, &needs), 8);
    /* a device without scatter/gather always needs registers, even at 64 bits */
    ck_assert_uint_eq(grant(2 * GIB, 64, FALSE, 65536, 0, 0, &needs), 17);
    ck_assert(needs);
}
END_TEST

START_TEST(test_24bit_pool_below_16mib)
{
    struct dms_machine *m = machine_new(64 * GIB, DMS_PLACE_RANDOM);
    PDMA_ADAPTER a = adapter_new(dms_device_create(m, "isa0", 0), 24, FALSE, 65536, 2, NULL);
    struct dms_adapter_info info;

    ck_assert_int_eq(dms_adapter_info(a, &info), 0);
    ck_assert_uint_eq(info.address_bits, 24);
    /* 64 MiB does not fit below 16 MiB; the largest halving that does is 8 MiB */
    ck_assert_uint_eq(info.bounce_pool_pages, 2048);
    ck_assert_uint_le(info.bounce_pool_base + info.bounce_pool_pages * 4096ULL, 16 * MIB);
    machine_done(m);
}
END_TEST

START_TEST(test_no_low_memory_no_adapter)
{
    struct dms_machine *m = machine_new(64 * MIB, DMS_PLACE_LOW_FIRST);

    while (dms_buffer_alloc(m, NULL, 1 * MIB) != NULL && dms_machine_free_bytes(m) > 48 * MIB)
        ; /* take everything below 16 MiB */
    ck_assert_ptr_null(adapter_new(dms_device_create(m, "isa0", 0), 24, FALSE, 65536, 2, NULL));
    machine_done(m);
}
END_TEST

START_TEST(test_put_and_small_routines)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDMA_ADAPTER a;

    dms_machine_config_init(&cfg);
    cfg.dma_alignment = 64;
    m = machine_with(&cfg);
    a = adapter_new(dms_device_create(m, "disk0", 0), 64, TRUE, 65536, 2, NULL);
    ck_assert_uint_eq(a->DmaOperations->GetDmaAlignment(a), 64);
    ck_assert_uint_eq(a->DmaOperations->ReadDmaCounter(a), 0);
    a->DmaOperations->PutDmaAdapter(a);
    ck_assert_uint_eq(dms_finding_count(m), 0);
    ck_assert_uint_eq(a->DmaOperations->GetDmaAlignment(a), 1);
    ck_assert_finding(m, DMS_E6_ADAPTER_RELEASED);
    machine_done(m);
}
END_TEST

START_TEST(test_io_get_dma_adapter_at_dispatch)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_ptr_nonnull(adapter_new(dms_device_create(m, "d", 0), 64, TRUE, 4096, 2, NULL));
    KeLowerIrql(old);
    ck_assert_finding(m, DMS_E6_WRONG_IRQL);
    machine_done(m);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("hal/adapter");
    TCase *tc = tcase_create("adapter");

    tcase_add_loop_test(tc, test_address_limit, 0, sizeof(limit_cases) / sizeof(limit_cases[0]));
    tcase_add_test(tc, test_versions_and_subordinates);
    tcase_add_test(tc, test_map_register_grants);
    tcase_add_test(tc, test_24bit_pool_below_16mib);
    tcase_add_test(tc, test_no_low_memory_no_adapter);
    tcase_add_test(tc, test_put_and_small_routines);
    tcase_add_test(tc, test_io_get_dma_adapter_at_dispatch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(make);
}
