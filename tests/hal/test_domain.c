/*
 * test_domain.c - the version-3 members appended since Windows 8 (domain.c) and the IOMMU's
 * IOTLB and pass-through: DMA domains shared and left, a domain common buffer every device of
 * the domain reaches and no other, FlushDmaBuffer, common-buffer vectors with bug check
 * 0x1DC's rules, CreateCommonBufferFromMdl with and without remapping.
 */
#include <string.h>

#include "helpers.h"

static struct dms_machine *remap_machine(uint32_t iotlb_entries)
{
    struct dms_machine_config cfg;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 16 * GIB;
    cfg.placement = DMS_PLACE_RANDOM;
    cfg.iommu_remap = 1;
    cfg.iotlb_entries = iotlb_entries;
    return machine_with(&cfg);
}

static const DMA_OPERATIONS *ops(PDMA_ADAPTER a)
{
    return a->DmaOperations;
}

START_TEST(test_domains)
{
    struct dms_machine *m = remap_machine(0);
    PDEVICE_OBJECT d1 = dms_device_create(m, "gpu0", 0), d2 = dms_device_create(m, "gpu1", 0);
    PDEVICE_OBJECT d3 = dms_device_create(m, "nic0", 0);
    PDMA_ADAPTER a1 = adapter_new(d1, 64, TRUE, 65536, 3, NULL);
    PDMA_ADAPTER a2 = adapter_new(d2, 32, TRUE, 65536, 3, NULL);
    PDMA_ADAPTER a3 = adapter_new(d3, 64, TRUE, 65536, 3, NULL);
    HANDLE h1 = ops(a1)->GetDmaDomain(a1), h2 = ops(a2)->GetDmaDomain(a2), h;
    PHYSICAL_ADDRESS la, la2, max = {.QuadPart = (LONGLONG)(1 * GIB - 1)};
    PVOID va = NULL, va2;
    uint8_t got[8];

    ck_assert_ptr_nonnull(h1);
    ck_assert_ptr_nonnull(h2);
    ck_assert_ptr_ne(h1, h2); /* a domain of its own each */
    ck_assert_int_eq(ops(a2)->LeaveDmaDomain(a2), STATUS_INVALID_DEVICE_STATE); /* joined none */
    ck_assert_int_eq(ops(a2)->JoinDmaDomain(a2, (HANDLE)(uintptr_t)0x1234),
                     STATUS_INVALID_PARAMETER);
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    /* a device with something mapped in its domain may not move */
    va2 = ops(a2)->AllocateCommonBuffer(a2, 4096, &la2, FALSE);
    ck_assert_ptr_nonnull(va2);
    ck_assert_int_eq(ops(a2)->JoinDmaDomain(a2, h1), STATUS_INVALID_DEVICE_STATE);
    ops(a2)->FreeCommonBuffer(a2, 4096, la2, va2, FALSE);
    ck_assert_int_eq(ops(a2)->JoinDmaDomain(a2, h1), STATUS_SUCCESS);
    ck_assert_ptr_eq(ops(a2)->GetDmaDomain(a2), h1);
    ck_assert_int_eq(ops(a2)->JoinDmaDomain(a2, h1), STATUS_SUCCESS); /* already there */

    /* a domain common buffer: below MaximumAddress, reached by both devices of the domain */
    ck_assert_int_eq(ops(a3)->AllocateDomainCommonBuffer(a3, h1, NULL, 8192, 0, NULL, 0, &la,
                                                         &va),
                     STATUS_INVALID_PARAMETER); /* nic0 is not in that domain */
    ck_assert_ptr_null(va);
    ck_assert_int_eq(ops(a1)->AllocateDomainCommonBuffer(a1, h1, &max, 8192, 0, NULL, 0, &la,
                                                         &va),
                     STATUS_SUCCESS);
    ck_assert_ptr_nonnull(va);
    ck_assert_uint_lt((uint64_t)la.QuadPart + 8192, 1 * GIB);
    memcpy((uint8_t *)va + 4100, "shared!", 8);
    ck_assert_int_eq(dms_device_dma_read(d2, 32, (uint64_t)la.QuadPart + 4100, got, 8, NULL), 0);
    ck_assert_mem_eq(got, "shared!", 8);
    ck_assert_int_eq(dms_device_dma_write(d1, 64, (uint64_t)la.QuadPart, "one", 4, NULL), 0);
    ck_assert_mem_eq(va, "one", 4);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_CHECK_STRAY_ACCESS), 0);
    /* a device of another domain does not reach it: its IOVA means nothing there */
    ck_assert_int_eq(dms_device_dma_read(d3, 64, (uint64_t)la.QuadPart, got, 8, NULL), 0);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_IOMMU_FAULT), 1);
    /* gpu1 leaves (nothing of its own mapped): a fresh domain, no longer the shared one */
    ck_assert_int_eq(ops(a2)->LeaveDmaDomain(a2), STATUS_SUCCESS);
    h = ops(a2)->GetDmaDomain(a2);
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_ne(h, h1);
    ck_assert_ptr_ne(h, h2);
    ck_assert_int_eq(dms_device_dma_read(d2, 32, (uint64_t)la.QuadPart, got, 8, NULL), 0);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_IOMMU_FAULT), 2);
    ops(a1)->FreeCommonBuffer(a1, 8192, la, va, FALSE);
    ops(a1)->PutDmaAdapter(a1);
    ops(a2)->PutDmaAdapter(a2);
    ops(a3)->PutDmaAdapter(a3);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_PUT_WITH_COMMON_BUFFERS), 0);
    machine_done(m);
}
END_TEST

/* Without remapping there is no domain: GetDmaDomain is NULL, joining is not supported. */
START_TEST(test_no_domain_without_remapping)
{
    struct dms_machine *m = machine_new(16 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "gpu0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 64, TRUE, 65536, 3, NULL);
    PHYSICAL_ADDRESS la;
    PVOID va = NULL;

    ck_assert_ptr_null(ops(a)->GetDmaDomain(a));
    ck_assert_int_eq(ops(a)->JoinDmaDomain(a, NULL), STATUS_NOT_SUPPORTED);
    ck_assert_int_eq(ops(a)->AllocateDomainCommonBuffer(a, NULL, NULL, 4096, 0, NULL, 0, &la,
                                                        &va),
                     STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(ops(a)->FlushDmaBuffer(a, NULL, TRUE), STATUS_INVALID_PARAMETER);
    ops(a)->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* FlushDmaBuffer on a non-coherent machine: the CPU's writes reach memory before the device
 * reads them; without it the device reads stale bytes, and is told so. */
START_TEST(test_flush_dma_buffer)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDEVICE_OBJECT dev;
    PDMA_ADAPTER a;
    uint8_t *buf, got[64];
    PMDL mdl;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 1 * GIB;
    cfg.noncoherent = 1;
    m = machine_with(&cfg);
    dev = dms_device_create(m, "soc0", 0);
    a = adapter_new(dev, 64, TRUE, 65536, 3, NULL);
    buf = pattern_buffer(m, dev, 4096, 3);
    mdl = mdl_for(buf, 4096);
    memset(buf, 0x5a, 64); /* in the CPU's cache, not yet in memory */
    dms_cpu_wrote(m, buf, 64);
    ck_assert_int_eq(ops(a)->FlushDmaBuffer(a, mdl, FALSE), STATUS_SUCCESS);
    ck_assert_int_eq(dms_device_dma_read(dev, 64, phys_of(m, buf), got, 64, NULL), 0);
    ck_assert_uint_eq(got[0], 0x5a);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_CHECK_STALE_DEVICE_READ), 0);
    memset(buf, 0x6b, 64); /* not flushed this time */
    dms_cpu_wrote(m, buf, 64);
    ck_assert_int_eq(dms_device_dma_read(dev, 64, phys_of(m, buf), got, 64, NULL), 0);
    ck_assert_uint_eq(got[0], 0x5a);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_CHECK_STALE_DEVICE_READ), 1);
    IoFreeMdl(mdl);
    ops(a)->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

START_TEST(test_vectors)
{
    struct dms_machine *m = machine_new(16 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "nvme0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 64, TRUE, 65536, 3, NULL);
    PHYSICAL_ADDRESS lo = {.QuadPart = (LONGLONG)(2 * GIB)};
    PHYSICAL_ADDRESS hi = {.QuadPart = (LONGLONG)(3 * GIB - 1)}, la;
    PHYSICAL_ADDRESS huge_hi = {.QuadPart = (LONGLONG)(2 * GIB + 3 * 4096 - 1)};
    PDMA_COMMON_BUFFER_VECTOR v = NULL, bogus = (PDMA_COMMON_BUFFER_VECTOR)&la;
    PVOID va, first_va;
    uint64_t commons;

    /* all or none: four pages do not fit in three */
    ck_assert_int_eq(ops(a)->AllocateCommonBufferVector(a, lo, huge_hi, MmCached, 0, 0, 4, 4096,
                                                        &v),
                     STATUS_INSUFFICIENT_RESOURCES);
    ck_assert_ptr_null(v);
    commons = dms_adapter_stats(a)->common_buffers;
    ck_assert_uint_eq(commons, 0);
    ck_assert_int_eq(ops(a)->AllocateCommonBufferVector(a, lo, hi, MmCached, 0, 0, 4, 6000, &v),
                     STATUS_SUCCESS);
    ck_assert_ptr_nonnull(v);
    for (ULONG i = 0; i < 4; i++) {
        ops(a)->GetCommonBufferFromVectorByIndex(a, v, i, &va, &la);
        ck_assert_ptr_nonnull(va);
        ck_assert_uint_ge((uint64_t)la.QuadPart, 2 * GIB);
        ck_assert_uint_le((uint64_t)la.QuadPart + 6000, 3 * GIB);
        ck_assert_int_eq(dms_device_dma_write(dev, 64, (uint64_t)la.QuadPart + 5990, "elem", 4,
                                              NULL), 0);
        ck_assert_mem_eq((uint8_t *)va + 5990, "elem", 4);
        if (i == 0)
            first_va = va;
    }
    ck_assert_uint_eq(dms_finding_total(m), 0);
    /* bug check 0x1DC's rules, each a finding with execution going on */
    ops(a)->GetCommonBufferFromVectorByIndex(a, v, 4, &va, &la);
    ck_assert_finding(m, DMS_BUGCHECK_1DC(3));
    ck_assert_ptr_null(va);
    ops(a)->FreeCommonBufferFromVector(a, v, 1);
    ops(a)->GetCommonBufferFromVectorByIndex(a, v, 1, &va, &la);
    ck_assert_finding(m, DMS_BUGCHECK_1DC(4));
    ops(a)->FreeCommonBufferFromVector(a, v, 1);
    ck_assert_finding(m, DMS_BUGCHECK_1DC(4));
    ops(a)->FreeCommonBufferVector(a, v);
    ck_assert_finding(m, DMS_BUGCHECK_1DC(2)); /* three still allocated: the vector stays */
    ck_assert_uint_eq(dms_finding_get(m, dms_finding_count(m) - 1)->p2, 0);
    ops(a)->GetCommonBufferFromVectorByIndex(a, v, 0, &va, &la);
    ops(a)->FreeCommonBuffer(a, 6000, la, va, FALSE); /* not how a vector's buffer goes */
    ck_assert_finding(m, DMS_CHECK_FREE_MISMATCH);
    ops(a)->GetCommonBufferFromVectorByIndex(a, v, 0, &va, &la);
    ck_assert_ptr_eq(va, first_va); /* still there */
    ops(a)->FreeCommonBufferVector(a, bogus);
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    /* PutDmaAdapter with buffers left in the vector: leaked (0x1DC/5, and 0xE6/0x07) */
    ops(a)->PutDmaAdapter(a);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_BUGCHECK_1DC(5)), 1);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_PUT_WITH_COMMON_BUFFERS), 1);
    machine_done(m);
}
END_TEST

START_TEST(test_vector_freed_in_order)
{
    struct dms_machine *m = machine_new(16 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "nvme0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 3, NULL);
    PHYSICAL_ADDRESS lo = {.QuadPart = 0}, hi = {.QuadPart = -1};
    PDMA_COMMON_BUFFER_VECTOR v = NULL;
    PVOID va;
    PHYSICAL_ADDRESS la;

    ck_assert_int_eq(ops(a)->AllocateCommonBufferVector(a, lo, hi, MmNonCached, 0, 0, 3, 4096,
                                                        &v),
                     STATUS_SUCCESS);
    ops(a)->GetCommonBufferFromVectorByIndex(a, v, 2, &va, &la);
    ck_assert_uint_lt((uint64_t)la.QuadPart, 4 * GIB); /* within the device's reach */
    for (ULONG i = 0; i < 3; i++)
        ops(a)->FreeCommonBufferFromVector(a, v, i);
    ops(a)->FreeCommonBufferVector(a, v);
    ops(a)->PutDmaAdapter(a);
    ck_assert_uint_eq(dms_finding_total(m), 0);
    machine_done(m);
}
END_TEST

START_TEST(test_common_buffer_from_mdl)
{
    struct dms_machine *m = machine_new(16 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "nic0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 64, TRUE, 65536, 3, NULL);
    PHYSICAL_ADDRESS top = {.QuadPart = -1}, la;
    uint8_t *contig = MmAllocateContiguousMemory(16384, top), *scattered;
    PMDL mdl, other, part;
    DMA_COMMON_BUFFER_EXTENDED_CONFIGURATION cfg[2];

    ck_assert_ptr_nonnull(contig);
    mdl = mdl_for(contig, 16384);
    ck_assert_int_eq(ops(a)->CreateCommonBufferFromMdl(a, mdl, NULL, 0, &la), STATUS_SUCCESS);
    ck_assert_uint_eq((uint64_t)la.QuadPart, phys_of(m, contig)); /* no IOMMU: as it is */
    ck_assert_int_eq(dms_device_dma_write(dev, 64, (uint64_t)la.QuadPart + 16000, "mdl", 4,
                                          NULL), 0);
    ck_assert_mem_eq(contig + 16000, "mdl", 4);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_CHECK_STRAY_ACCESS), 0);
    ops(a)->FreeCommonBuffer(a, 16384, la, contig, FALSE); /* the system address */
    ck_assert_uint_eq(dms_finding_total(m), 0);
    /* the buffer is gone, the pages stay the driver's: the device may not reach them now */
    ck_assert_int_eq(dms_device_dma_write(dev, 64, (uint64_t)la.QuadPart, "x", 1, NULL), 0);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_CHECK_STRAY_ACCESS), 1);
    /* what the page forbids */
    memset(cfg, 0, sizeof(cfg));
    cfg[0].ConfigType = CommonBufferConfigTypeHardwareAccessPermissions;
    cfg[0].HardwareAccessType = CommonBufferHardwareAccessReadWrite;
    cfg[1] = cfg[0];
    ck_assert_int_eq(ops(a)->CreateCommonBufferFromMdl(a, mdl, cfg, 2, &la),
                     STATUS_INVALID_PARAMETER); /* one type twice */
    ck_assert_int_eq(ops(a)->CreateCommonBufferFromMdl(a, mdl, cfg, 1, &la), STATUS_SUCCESS);
    ops(a)->FreeCommonBuffer(a, 16384, la, contig, FALSE);
    other = mdl_for(contig + 100, 4096);
    ck_assert_int_eq(ops(a)->CreateCommonBufferFromMdl(a, other, NULL, 0, &la),
                     STATUS_INVALID_PARAMETER); /* not page aligned */
    IoFreeMdl(other);
    other = mdl_for(contig, 8192);
    other->Next = mdl;
    ck_assert_int_eq(ops(a)->CreateCommonBufferFromMdl(a, other, NULL, 0, &la),
                     STATUS_INVALID_PARAMETER); /* chained */
    cfg[0].ConfigType = CommonBufferConfigTypeSubSection; /* unless a SubSection picks one */
    cfg[0].SubSection.Offset = 8192 + 4096;
    cfg[0].SubSection.Length = 4096;
    ck_assert_int_eq(ops(a)->CreateCommonBufferFromMdl(a, other, cfg, 1, &la), STATUS_SUCCESS);
    ck_assert_uint_eq((uint64_t)la.QuadPart, phys_of(m, contig) + 4096);
    ops(a)->FreeCommonBuffer(a, 4096, la, contig + 4096, FALSE);
    other->Next = NULL;
    IoFreeMdl(other);
    /* scattered pages: no common buffer without remapping */
    scattered = pattern_buffer(m, dev, 65536, 1);
    part = mdl_for(scattered, 65536);
    ck_assert_int_eq(ops(a)->CreateCommonBufferFromMdl(a, part, NULL, 0, &la),
                     STATUS_INVALID_PARAMETER);
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    IoFreeMdl(part);
    IoFreeMdl(mdl);
    ops(a)->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* Under remapping the MDL's scattered pages become one contiguous IOVA range. IoFreeMdl while
 * the buffer lives is a finding, and the HAL keeps what it needs. */
START_TEST(test_common_buffer_from_mdl_remapped)
{
    struct dms_machine *m = remap_machine(0);
    PDEVICE_OBJECT dev = dms_device_create(m, "nic0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 65536, 3, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 65536, 4), got[65536];
    PMDL mdl = mdl_for(buf, 65536);
    PHYSICAL_ADDRESS la;

    ck_assert_int_eq(ops(a)->CreateCommonBufferFromMdl(a, mdl, NULL, 0, &la), STATUS_SUCCESS);
    ck_assert_uint_lt((uint64_t)la.QuadPart + 65536, 4 * GIB);
    ck_assert_int_eq(dms_device_dma_read(dev, 32, (uint64_t)la.QuadPart, got, 65536, NULL), 0);
    ck_assert_mem_eq(got, buf, 65536);
    ck_assert_uint_eq(dms_finding_total(m), 0);
    IoFreeMdl(mdl); /* too early */
    ck_assert_uint_ge(dms_finding_total(m), 1);
    ops(a)->FreeCommonBuffer(a, 65536, la, buf, FALSE);
    ck_assert_int_eq(dms_device_dma_read(dev, 32, (uint64_t)la.QuadPart, got, 16, NULL), 0);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_IOMMU_FAULT), 1); /* unmapped */
    ops(a)->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* The IOTLB: a page's first access walks, the next hits; a strict unmap invalidates it, so a
 * later mapping walks again; a small IOTLB thrashes over a buffer larger than it. */
START_TEST(test_iotlb)
{
    struct dms_machine *m = remap_machine(16);
    PDEVICE_OBJECT dev = dms_device_create(m, "nic0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, TRUE, 262144, 3, NULL);
    PHYSICAL_ADDRESS la;
    uint8_t *va, got[64];

    va = ops(a)->AllocateCommonBuffer(a, 8 * 4096, &la, FALSE);
    ck_assert_ptr_nonnull(va);
    ck_assert_int_eq(dms_device_dma_read(dev, 32, (uint64_t)la.QuadPart, got, 64, NULL), 0);
    ck_assert_uint_eq(tp.charged[DMS_COST_IOTLB_MISS], 1);
    ck_assert_int_eq(dms_device_dma_read(dev, 32, (uint64_t)la.QuadPart + 64, got, 64, NULL), 0);
    ck_assert_uint_eq(tp.charged[DMS_COST_IOTLB_MISS], 1); /* a hit */
    ck_assert_int_eq(dms_device_dma_read(dev, 32, (uint64_t)la.QuadPart + 4096, got, 64, NULL),
                     0);
    ck_assert_uint_eq(tp.charged[DMS_COST_IOTLB_MISS], 2); /* another page */
    ops(a)->FreeCommonBuffer(a, 8 * 4096, la, va, FALSE); /* strict: the entries go */
    va = ops(a)->AllocateCommonBuffer(a, 8 * 4096, &la, FALSE);
    ck_assert_int_eq(dms_device_dma_read(dev, 32, (uint64_t)la.QuadPart, got, 64, NULL), 0);
    ck_assert_uint_eq(tp.charged[DMS_COST_IOTLB_MISS], 3);
    ops(a)->FreeCommonBuffer(a, 8 * 4096, la, va, FALSE);
    /* 64 pages through 16 entries, twice: every access misses */
    va = ops(a)->AllocateCommonBuffer(a, 64 * 4096, &la, FALSE);
    ck_assert_ptr_nonnull(va);
    for (int pass = 0; pass < 2; pass++)
        for (uint64_t p = 0; p < 64; p++)
            ck_assert_int_eq(dms_device_dma_read(dev, 32, (uint64_t)la.QuadPart + p * 4096, got,
                                                 8, NULL), 0);
    ck_assert_uint_eq(tp.charged[DMS_COST_IOTLB_MISS], 3 + 128);
    ops(a)->FreeCommonBuffer(a, 64 * 4096, la, va, FALSE);
    ops(a)->PutDmaAdapter(a);
    ck_assert_uint_eq(dms_finding_total(m), 0);
    machine_done(m);
}
END_TEST

/* Deferred invalidation leaves the entry in the IOTLB: until the batch is flushed the device
 * still reaches the unmapped page through it (the window deferral opens), and the stray
 * access is named; a strict unmap closes it at once. */
START_TEST(test_iotlb_stale_entry)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDEVICE_OBJECT dev;
    PDMA_ADAPTER a;
    PHYSICAL_ADDRESS la;
    uint8_t *va, got[8];

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 16 * GIB;
    cfg.iommu_remap = 1;
    cfg.iommu_deferred = 1;
    cfg.iotlb_entries = 64;
    m = machine_with(&cfg);
    dev = dms_device_create(m, "nic0", 0);
    a = adapter_new(dev, 32, TRUE, 65536, 3, NULL);
    va = ops(a)->AllocateCommonBuffer(a, 4096, &la, FALSE);
    ck_assert_int_eq(dms_device_dma_read(dev, 32, (uint64_t)la.QuadPart, got, 8, NULL), 0);
    ops(a)->FreeCommonBuffer(a, 4096, la, va, FALSE);
    ck_assert_int_eq(dms_device_dma_read(dev, 32, (uint64_t)la.QuadPart, got, 8, NULL), 0);
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_E6_IOMMU_FAULT), 0); /* not blocked */
    ck_assert_uint_eq(dms_finding_count_code(m, DMS_CHECK_STRAY_ACCESS), 1); /* but named */
    ops(a)->PutDmaAdapter(a);
    machine_done(m);
}
END_TEST

/* Pass-through: the IOMMU translates nothing; logical is physical, 32-bit devices bounce. */
START_TEST(test_passthrough)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDEVICE_OBJECT dev;
    PDMA_ADAPTER a;
    PHYSICAL_ADDRESS la;
    uint8_t *va;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 16 * GIB;
    cfg.placement = DMS_PLACE_HIGH_FIRST;
    cfg.iommu_passthrough = 1;
    m = machine_with(&cfg);
    dev = dms_device_create(m, "nic0", 0);
    a = adapter_new(dev, 32, TRUE, 65536, 3, NULL);
    ck_assert_ptr_null(ops(a)->GetDmaDomain(a));
    ck_assert(dms_adapter_stats(a) != NULL);
    va = ops(a)->AllocateCommonBuffer(a, 4096, &la, FALSE);
    ck_assert_uint_eq((uint64_t)la.QuadPart, phys_of(m, va));
    ops(a)->FreeCommonBuffer(a, 4096, la, va, FALSE);
    ops(a)->PutDmaAdapter(a);
    ck_assert_uint_eq(tp.charged[DMS_COST_IOMMU_MAP_PAGE], 0);
    machine_done(m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("domain");
    TCase *tc = tcase_create("domain");

    tcase_add_test(tc, test_domains);
    tcase_add_test(tc, test_no_domain_without_remapping);
    tcase_add_test(tc, test_flush_dma_buffer);
    tcase_add_test(tc, test_vectors);
    tcase_add_test(tc, test_vector_freed_in_order);
    tcase_add_test(tc, test_common_buffer_from_mdl);
    tcase_add_test(tc, test_common_buffer_from_mdl_remapped);
    tcase_add_test(tc, test_iotlb);
    tcase_add_test(tc, test_iotlb_stale_entry);
    tcase_add_test(tc, test_passthrough);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite);
}
