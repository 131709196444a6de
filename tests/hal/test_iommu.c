/*
 * test_iommu.c - DMA remapping (machine iommu_remap): a 32-bit master's buffer above 4 GiB is
 * mapped at an IOVA below its reach instead of bounced, in one element however its pages
 * lie; its common buffers are told IOVAs too; IOVAs are handed out lowest first and come
 * back when unmapped; an access through an IOVA nothing maps is blocked, 0xE6/0x26.
 */
#include <string.h>

#include "helpers.h"

static VOID on_list(PDEVICE_OBJECT dev, PIRP irp, PSCATTER_GATHER_LIST sgl, PVOID ctx)
{
    (void)dev;
    (void)irp;
    *(PSCATTER_GATHER_LIST *)ctx = sgl;
}

static PSCATTER_GATHER_LIST get(PDMA_ADAPTER a, PDEVICE_OBJECT dev, PMDL mdl, PVOID va,
                                ULONG len)
{
    PSCATTER_GATHER_LIST l = NULL;
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(a->DmaOperations->GetScatterGatherList(a, dev, mdl, va, len, on_list, &l,
                                                            TRUE),
                     STATUS_SUCCESS);
    KeLowerIrql(old);
    ck_assert_ptr_nonnull(l);
    return l;
}

static void put(PDMA_ADAPTER a, PSCATTER_GATHER_LIST l)
{
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->PutScatterGatherList(a, l, TRUE);
    KeLowerIrql(old);
}

START_TEST(test_remap_instead_of_bounce)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDEVICE_OBJECT dev;
    PDMA_ADAPTER a;
    uint8_t *buf, seen[16384];
    PMDL mdl;
    PSCATTER_GATHER_LIST l;
    uint64_t la, again;
    PHYSICAL_ADDRESS cl;
    uint8_t *cva;
    const struct dms_finding *f;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 16 * GIB;
    cfg.placement = DMS_PLACE_RANDOM;
    cfg.iommu_remap = 1;
    m = machine_with(&cfg);
    dev = dms_device_create(m, "nic0", 0);
    a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    buf = pattern_buffer(m, dev, 16384, 9);
    mdl = mdl_for(buf, 16384);
    l = get(a, dev, mdl, buf, 16384);
    ck_assert_uint_eq(l->NumberOfElements, 1); /* one IOVA range, however scattered */
    la = (uint64_t)l->Elements[0].Address.QuadPart;
    ck_assert_uint_lt(la + 16384, 4 * GIB);
    ck_assert_uint_ne(la, phys_of(m, buf)); /* logical is not physical any more */
    ck_assert_int_eq(dms_device_dma_read(dev, 32, la, seen, sizeof(seen), NULL), 0);
    ck_assert_mem_eq(seen, buf, sizeof(seen));
    ck_assert_uint_eq(dms_adapter_stats(a)->pages_bounced, 0);
    ck_assert_uint_eq(dms_finding_total(m), 0);
    put(a, l);
    /* the IOVA is unmapped: the device is blocked, and told so */
    memset(seen, 0, sizeof(seen));
    ck_assert_int_eq(dms_device_dma_read(dev, 32, la + 8, seen, 16, NULL), 0);
    ck_assert_uint_eq(seen[0], 0xff);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_IOMMU_FAULT), 1);
    f = dms_finding_get(m, dms_finding_count(m) - 1);
    ck_assert_uint_eq(f->p3, la + 8);
    ck_assert_uint_eq(f->p4, 1); /* a read */
    /* lowest first: the next mapping gets the same IOVA back */
    l = get(a, dev, mdl, buf, 16384);
    again = (uint64_t)l->Elements[0].Address.QuadPart;
    ck_assert_uint_eq(again, la);
    put(a, l);
    /* a common buffer: told an IOVA, reached through it */
    cva = a->DmaOperations->AllocateCommonBuffer(a, 8192, &cl, FALSE);
    ck_assert_ptr_nonnull(cva);
    ck_assert_uint_lt((uint64_t)cl.QuadPart, 4 * GIB);
    ck_assert_int_eq(dms_device_dma_write(dev, 32, (uint64_t)cl.QuadPart + 100, "iova", 4, NULL),
                     0);
    ck_assert_mem_eq(cva + 100, "iova", 4);
    a->DmaOperations->FreeCommonBuffer(a, 8192, cl, cva, FALSE);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_IOMMU_FAULT), 1);
    IoFreeMdl(mdl);
    a->DmaOperations->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* Deferred invalidation: an unmapped IOVA is not reused until its batch is invalidated (250
 * unmaps here, the clock standing still), then it is. */
START_TEST(test_deferred_invalidation)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDEVICE_OBJECT dev;
    PDMA_ADAPTER a;
    uint8_t *buf;
    PMDL mdl;
    PSCATTER_GATHER_LIST l;
    uint64_t first, la = 0;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 16 * GIB;
    cfg.iommu_remap = 1;
    cfg.iommu_deferred = 1;
    m = machine_with(&cfg);
    dev = dms_device_create(m, "nic0", 0);
    a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    buf = pattern_buffer(m, dev, 4096, 1);
    mdl = mdl_for(buf, 4096);
    l = get(a, dev, mdl, buf, 4096);
    first = (uint64_t)l->Elements[0].Address.QuadPart;
    put(a, l); /* 1 waiting */
    for (int i = 1; i < 250; i++) {
        l = get(a, dev, mdl, buf, 4096);
        la = (uint64_t)l->Elements[0].Address.QuadPart;
        ck_assert_uint_ne(la, first); /* the first is still waiting for its invalidation */
        put(a, l);                    /* the 250th unmap flushes the batch */
    }
    l = get(a, dev, mdl, buf, 4096);
    ck_assert_uint_eq((uint64_t)l->Elements[0].Address.QuadPart, first); /* free again */
    put(a, l);
    IoFreeMdl(mdl);
    a->DmaOperations->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* A device whose driver did not opt in (DmaRemappingCompatible) is not remapped: physical
 * addresses, and double-buffering as without an IOMMU. */
START_TEST(test_opted_out)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDEVICE_OBJECT dev;
    PDMA_ADAPTER a;
    uint8_t *buf;
    PMDL mdl;
    PSCATTER_GATHER_LIST l;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 16 * GIB;
    cfg.placement = DMS_PLACE_HIGH_FIRST;
    cfg.iommu_remap = 1;
    m = machine_with(&cfg);
    dev = dms_device_create(m, "old0", 0);
    ck_assert_int_eq(dms_device_set_dma_remapping(dev, false), 0);
    a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
    buf = pattern_buffer(m, dev, 4096, 1);
    mdl = mdl_for(buf, 4096);
    l = get(a, dev, mdl, buf, 4096);
    ck_assert_uint_eq(dms_adapter_stats(a)->pages_bounced, 1);
    put(a, l);
    ck_assert_int_eq(dms_device_set_dma_remapping(NULL, true), DMS_EINVAL);
    IoFreeMdl(mdl);
    a->DmaOperations->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* Seed 002's wrong way: a driver that tells its device MmGetPhysicalAddress instead of the
 * logical address the HAL gave. Without an IOMMU it happens to work below the device's reach;
 * under remapping the physical address is no IOVA of the device's, and the access is
 * blocked and named, even below 4 GiB. */
START_TEST(test_physical_is_not_logical)
{
    for (int remap = 0; remap < 2; remap++) {
        struct dms_machine_config cfg;
        struct dms_machine *m;
        PDEVICE_OBJECT dev;
        PDMA_ADAPTER a;
        uint8_t *buf, seen[64];
        PMDL mdl;
        PSCATTER_GATHER_LIST l;
        uint64_t pa;

        dms_machine_config_init(&cfg);
        cfg.ram_bytes = 2 * GIB; /* everything below 4 GiB: nothing to bounce either way */
        cfg.iommu_remap = (uint8_t)remap;
        m = machine_with(&cfg);
        dev = dms_device_create(m, "nic0", 0);
        a = adapter_new(dev, 32, TRUE, 65536, 2, NULL);
        buf = pattern_buffer(m, dev, 4096, 5);
        mdl = mdl_for(buf, 4096);
        l = get(a, dev, mdl, buf, 4096);
        pa = (uint64_t)MmGetPhysicalAddress(buf).QuadPart;
        ck_assert_uint_lt(pa, 4 * GIB);
        ck_assert_int_eq(dms_device_dma_read(dev, 32, pa, seen, sizeof(seen), NULL), 0);
        if (remap) {
            ck_assert_uint_ne((uint64_t)l->Elements[0].Address.QuadPart, pa);
            ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_IOMMU_FAULT), 1);
            ck_assert_uint_eq(seen[0], 0xff); /* blocked: the bus reads all ones */
        } else {
            ck_assert_uint_eq((uint64_t)l->Elements[0].Address.QuadPart, pa);
            ck_assert_uint_eq(dms_finding_total(m), 0);
            ck_assert_mem_eq(seen, buf, sizeof(seen));
        }
        put(a, l);
        IoFreeMdl(mdl);
        a->DmaOperations->PutDmaAdapter(a);
        machine_done(m);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("iommu");
    TCase *tc = tcase_create("iommu");

    tcase_add_test(tc, test_remap_instead_of_bounce);
    tcase_add_test(tc, test_deferred_invalidation);
    tcase_add_test(tc, test_opted_out);
    tcase_add_test(tc, test_physical_is_not_logical);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite);
}
