/*
 * domain.c - the members appended to the version-3 table after Windows 8: DMA domains
 * (GetDmaDomain, JoinDmaDomain, LeaveDmaDomain, AllocateDomainCommonBuffer), FlushDmaBuffer,
 * common-buffer vectors, and CreateCommonBufferFromMdl.
 *
 * The pages document little more than the prototypes (reference 2.4; IRQL PASSIVE_LEVEL for
 * the domain routines). What dmasim decides, and docs/driver-guide.md says:
 * - A DMA domain is the IOMMU translation domain of a remapped adapter's device. GetDmaDomain
 *   gives its handle (a number, never a pointer into the HAL), or NULL for an adapter that is
 *   not remapped: without DMA remapping there is no domain to share.
 * - JoinDmaDomain moves the adapter's device into another device's domain, so that both see
 *   the same IOVAs; LeaveDmaDomain gives it a fresh domain of its own. Either is refused with
 *   STATUS_INVALID_DEVICE_STATE while the device has anything mapped in its current domain
 *   (its logical addresses would stop working), and a handle the HAL never gave out is
 *   STATUS_INVALID_PARAMETER with a finding.
 * - AllocateDomainCommonBuffer is a common buffer in the domain the adapter has joined, which
 *   every device of the domain may reach; FreeCommonBuffer frees it.
 * - FlushDmaBuffer is KeFlushIoBuffers for the adapter's device: on a non-coherent machine a
 *   clean before a write to the device, an invalidate after a read.
 * - A common-buffer vector is NumberOfElements common buffers of SizeOfElements bytes within
 *   [LowAddress, HighAddress], all or none. Its misuse is bug check 0x1DC
 *   (DMA_COMMON_BUFFER_VECTOR_ERROR) as the debugger reference lists it, reported as findings
 *   0x1DC01-0x1DC05 (parameter 1 in the last two digits) with execution going on.
 * - CreateCommonBufferFromMdl follows its page: the MDL resident and mapped in system space,
 *   page aligned, whole pages, not chained (unless a SubSection config picks one MDL's pages);
 *   without remapping physically contiguous and within the device's reach. The HAL pins the
 *   MDL while the buffer lives; FreeCommonBuffer with the system address removes it, and the
 *   pages stay the driver's.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "dma.h"


/* ---------------------------------------------------------------------------------------------
 * DMA domains.
 */

/* A handle is the domain's number plus a constant, so that NULL is never one and a driver's
 * stray integer is unlikely to be. */
#define DOMAIN_HANDLE_BASE 0xD0A1000u

static HANDLE domain_handle(const struct iommu_domain *d)
{
    return (HANDLE)(uintptr_t)(DOMAIN_HANDLE_BASE + iommu_domain_id(d));
}

/* The live domain a handle names: one some adapter's device is in. NULL if none. */
static struct iommu_domain *domain_of_handle(struct dms_machine *m, HANDLE h)
{
    for (uint32_t i = 0; i < m->dma->n_adapters; i++) {
        struct adapter *ad = m->dma->adapters[i];
        if (!ad->released && ad->dev->bm.dom != NULL && domain_handle(ad->dev->bm.dom) == h)
            return ad->dev->bm.dom;
    }
    return NULL;
}

/* Does any adapter of dev hold logical addresses in its domain? */
static bool device_has_mappings(struct dms_machine *m, const struct device *dev)
{
    for (uint32_t i = 0; i < m->dma->n_adapters; i++) {
        const struct adapter *ad = m->dma->adapters[i];
        if (ad->dev != dev || ad->released)
            continue;
        if (ad->commons != NULL || ad->sgls != NULL)
            return true;
        for (const struct mapreg_file *f = ad->files; f != NULL; f = f->next)
            if (f->live_maps > 0)
                return true;
    }
    return false;
}

HANDLE hal_GetDmaDomain(PDMA_ADAPTER DmaAdapter)
{
    static const char routine[] = "GetDmaDomain";
    struct adapter *ad = adapter_get(DmaAdapter, routine);

    if (ad == NULL)
        return NULL;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_PASSIVE);
    return ad->remap && ad->dev->bm.dom != NULL ? domain_handle(ad->dev->bm.dom) : NULL;
}

/* Put ad's device in domain d (a new one of its own when d is NULL). */
static NTSTATUS move_device(struct adapter *ad, const char *routine, struct iommu_domain *d)
{
    struct device *dev = ad->dev;

    if (device_has_mappings(ad->m, dev)) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s while %s has buffers mapped in its DMA domain (common buffers, lists "
                    "or map registers): their logical addresses would stop working; free them "
                    "first (STATUS_INVALID_DEVICE_STATE)", routine, dev->name);
        return STATUS_INVALID_DEVICE_STATE;
    }
    if (d == NULL && (d = iommu_domain_new(ad->m)) == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (d != dev->bm.dom) {
        if (d != NULL && d == domain_of_handle(ad->m, domain_handle(d)))
            iommu_domain_get(d);
        iommu_domain_put(ad->m, dev->bm.dom);
        dev->bm.dom = d;
    }
    return STATUS_SUCCESS;
}

NTSTATUS hal_JoinDmaDomain(PDMA_ADAPTER DmaAdapter, HANDLE DomainHandle)
{
    static const char routine[] = "JoinDmaDomain";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct iommu_domain *d;

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_PASSIVE);
    if (!ad->remap) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s on an adapter that is not remapped (no IOMMU, or its driver did not "
                    "opt in to DMA remapping): it has no DMA domain (STATUS_NOT_SUPPORTED)",
                    routine);
        return STATUS_NOT_SUPPORTED;
    }
    if ((d = domain_of_handle(ad->m, DomainHandle)) == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, (uintptr_t)DomainHandle,
                    0, 0, "%s with DomainHandle %p, which GetDmaDomain never gave out or whose "
                    "devices have all left it", routine, DomainHandle);
        return STATUS_INVALID_PARAMETER;
    }
    if (d == ad->dev->bm.dom)
        return STATUS_SUCCESS; /* already there */
    if (move_device(ad, routine, d) != STATUS_SUCCESS)
        return STATUS_INVALID_DEVICE_STATE;
    ad->dev->joined_domain = true;
    return STATUS_SUCCESS;
}

NTSTATUS hal_LeaveDmaDomain(PDMA_ADAPTER DmaAdapter)
{
    static const char routine[] = "LeaveDmaDomain";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    NTSTATUS st;

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_PASSIVE);
    if (!ad->remap || !ad->dev->joined_domain) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s on an adapter whose device joined no DMA domain "
                    "(STATUS_INVALID_DEVICE_STATE)", routine);
        return STATUS_INVALID_DEVICE_STATE;
    }
    st = move_device(ad, routine, NULL);
    if (st == STATUS_SUCCESS)
        ad->dev->joined_domain = false;
    return st;
}

NTSTATUS hal_AllocateDomainCommonBuffer(PDMA_ADAPTER DmaAdapter, HANDLE DomainHandle,
                                        PPHYSICAL_ADDRESS MaximumAddress, ULONG Length,
                                        ULONG Flags, MEMORY_CACHING_TYPE *CacheType,
                                        NODE_REQUIREMENT PreferredNode,
                                        PPHYSICAL_ADDRESS LogicalAddress, PVOID *VirtualAddress)
{
    static const char routine[] = "AllocateDomainCommonBuffer";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct iommu_domain *d;
    uint64_t hi = MaximumAddress != NULL ? (uint64_t)MaximumAddress->QuadPart : UINT64_MAX;
    PVOID va;

    (void)PreferredNode;
    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_PASSIVE);
    if (VirtualAddress == NULL || LogicalAddress == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s needs LogicalAddress and VirtualAddress", routine);
        return STATUS_INVALID_PARAMETER;
    }
    *VirtualAddress = NULL;
    d = domain_of_handle(ad->m, DomainHandle);
    if (d == NULL || d != ad->dev->bm.dom || !ad->remap) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, (uintptr_t)DomainHandle,
                    0, 0, "%s with DomainHandle %p, which is not the DMA domain this adapter's "
                    "device is in (GetDmaDomain, then JoinDmaDomain)", routine, DomainHandle);
        return STATUS_INVALID_PARAMETER;
    }
    if (Flags != 0) { /* DOMAIN_COMMON_BUFFER_LARGE_PAGE has no published value */
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, Flags, 0, 0,
                    "%s with Flags 0x%x; no flag is supported", routine, (unsigned)Flags);
        return STATUS_NOT_SUPPORTED;
    }
    if (CacheType != NULL && *CacheType != MmNonCached && *CacheType != MmCached) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, (uint64_t)*CacheType, 0, 0,
                    "%s accepts only MmNonCached and MmCached; CacheType was %d", routine,
                    (int)*CacheType);
        return STATUS_INVALID_PARAMETER;
    }
    /* the IOVA is what is bounded: below MaximumAddress as well as the device's reach */
    va = common_alloc(ad, routine, Length, 0, UINT64_MAX, LogicalAddress, hi);
    if (va == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    ad->m->hw->owners[ad->commons->owner].dom_id = iommu_domain_id(d);
    *VirtualAddress = va;
    return STATUS_SUCCESS;
}

NTSTATUS hal_FlushDmaBuffer(PDMA_ADAPTER DmaAdapter, PMDL Mdl, BOOLEAN ReadOperation)
{
    static const char routine[] = "FlushDmaBuffer";
    struct adapter *ad = adapter_get(DmaAdapter, routine);

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_MAX_DISPATCH);
    if (Mdl == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s with no MDL", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (ad->m->cfg.noncoherent)
        cache_mdl(ad->m, acct(ad), routine, Mdl, 0, Mdl->ByteCount, !ReadOperation);
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------------------------
 * Common-buffer vectors.
 */
/* bug check 0x1DC's types of failure (VECTOR_LEAKED, 5, is PutDmaAdapter's: adapter.c) */
#define VECTOR_IRQL         0x01
#define VECTOR_NOT_EMPTY    0x02
#define VECTOR_OUT_OF_RANGE 0x03
#define VECTOR_INDEX_FREED  0x04

static struct cb_vector *vector_get(struct adapter *ad, const char *routine,
                                    PDMA_COMMON_BUFFER_VECTOR v)
{
    for (struct cb_vector *x = ad->vectors; x != NULL; x = x->next)
        if ((PVOID)x == (PVOID)v)
            return x;
    hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, (uintptr_t)v, 0, 0,
                "%s with Vector %p, which is no live common-buffer vector of this adapter",
                routine, (void *)v);
    return NULL;
}

/* The element at index, or NULL with bug check 0x1DC's finding (out of bounds, or freed). */
static struct common_buffer *vector_elem(struct cb_vector *v, const char *routine, ULONG index)
{
    struct adapter *ad = v->ad;

    if (index >= v->n) {
        hal_finding(ad->m, acct(ad), routine, DMS_BUGCHECK_1DC(VECTOR_OUT_OF_RANGE), v->n, index,
                    0, "%s with Index %u of a vector of %u buffers (bug check 0x1DC: index out "
                    "of bounds)", routine, (unsigned)index, (unsigned)v->n);
        return NULL;
    }
    if (v->elem[index] == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_BUGCHECK_1DC(VECTOR_INDEX_FREED), index, 0, 0,
                    "%s with Index %u, whose buffer FreeCommonBufferFromVector already freed "
                    "(bug check 0x1DC: index freed)", routine, (unsigned)index);
        return NULL;
    }
    return v->elem[index];
}

static void vector_irql(struct adapter *ad, const char *routine)
{
    KIRQL irql = KeGetCurrentIrql();

    if (irql > PASSIVE_LEVEL) /* allocations and frees of common buffers: PASSIVE_LEVEL */
        hal_finding(ad->m, acct(ad), routine, DMS_BUGCHECK_1DC(VECTOR_IRQL), irql, 0, 0,
                    "%s at IRQL %u; common buffers are allocated and freed at PASSIVE_LEVEL "
                    "(bug check 0x1DC: wrong IRQL)", routine, (unsigned)irql);
}

NTSTATUS hal_AllocateCommonBufferVector(PDMA_ADAPTER DmaAdapter, PHYSICAL_ADDRESS LowAddress,
                                        PHYSICAL_ADDRESS HighAddress,
                                        MEMORY_CACHING_TYPE CacheType, NODE_REQUIREMENT IdealNode,
                                        ULONG Flags, ULONG NumberOfElements,
                                        ULONGLONG SizeOfElements,
                                        PDMA_COMMON_BUFFER_VECTOR *VectorOut)
{
    static const char routine[] = "AllocateCommonBufferVector";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct cb_vector *v;
    uint64_t lo = (uint64_t)LowAddress.QuadPart, hi = (uint64_t)HighAddress.QuadPart;

    (void)IdealNode;
    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    vector_irql(ad, routine);
    if (VectorOut == NULL || NumberOfElements == 0 || SizeOfElements == 0 ||
        SizeOfElements > UINT32_MAX || lo > hi || Flags != 0 ||
        (CacheType != MmNonCached && CacheType != MmCached)) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, NumberOfElements,
                    SizeOfElements, Flags,
                    "%s needs a VectorOut, at least one element of 1 byte to 4 GiB, "
                    "LowAddress <= HighAddress, Flags 0 and MmCached or MmNonCached (%u "
                    "elements of %" PRIu64 " bytes, Flags 0x%x, CacheType %d)", routine,
                    (unsigned)NumberOfElements, (uint64_t)SizeOfElements, (unsigned)Flags,
                    (int)CacheType);
        return STATUS_INVALID_PARAMETER;
    }
    *VectorOut = NULL;
    v = calloc(1, sizeof(*v));
    if (v == NULL || (v->elem = calloc(NumberOfElements, sizeof(*v->elem))) == NULL) {
        free(v);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    v->magic = VECTOR_MAGIC;
    v->ad = ad;
    v->n = NumberOfElements;
    for (ULONG i = 0; i < NumberOfElements; i++) {
        PHYSICAL_ADDRESS la;
        if (common_alloc(ad, routine, (ULONG)SizeOfElements, lo, hi, &la, UINT64_MAX) == NULL) {
            while (i-- > 0) /* all or none */
                common_release(ad, v->elem[i], routine);
            free(v->elem);
            free(v);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        v->elem[i] = ad->commons;
        v->elem[i]->in_vector = true;
    }
    v->next = ad->vectors;
    ad->vectors = v;
    *VectorOut = (PDMA_COMMON_BUFFER_VECTOR)v;
    return STATUS_SUCCESS;
}

VOID hal_GetCommonBufferFromVectorByIndex(PDMA_ADAPTER DmaAdapter,
                                          PDMA_COMMON_BUFFER_VECTOR Vector, ULONG Index,
                                          PVOID *VirtualAddressOut,
                                          PPHYSICAL_ADDRESS LogicalAddressOut)
{
    static const char routine[] = "GetCommonBufferFromVectorByIndex";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct cb_vector *v;
    struct common_buffer *cb;

    if (VirtualAddressOut != NULL)
        *VirtualAddressOut = NULL;
    if (LogicalAddressOut != NULL)
        LogicalAddressOut->QuadPart = 0;
    if (ad == NULL || (v = vector_get(ad, routine, Vector)) == NULL ||
        (cb = vector_elem(v, routine, Index)) == NULL)
        return;
    if (VirtualAddressOut != NULL)
        *VirtualAddressOut = cb->va;
    if (LogicalAddressOut != NULL)
        LogicalAddressOut->QuadPart = (LONGLONG)cb->logical;
}

VOID hal_FreeCommonBufferFromVector(PDMA_ADAPTER DmaAdapter, PDMA_COMMON_BUFFER_VECTOR Vector,
                                    ULONG Index)
{
    static const char routine[] = "FreeCommonBufferFromVector";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct cb_vector *v;
    struct common_buffer *cb;

    if (ad == NULL)
        return;
    vector_irql(ad, routine);
    if ((v = vector_get(ad, routine, Vector)) == NULL ||
        (cb = vector_elem(v, routine, Index)) == NULL)
        return;
    common_release(ad, cb, routine);
    v->elem[Index] = NULL;
}

VOID hal_FreeCommonBufferVector(PDMA_ADAPTER DmaAdapter, PDMA_COMMON_BUFFER_VECTOR Vector)
{
    static const char routine[] = "FreeCommonBufferVector";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct cb_vector *v, **link;

    if (ad == NULL)
        return;
    vector_irql(ad, routine);
    if ((v = vector_get(ad, routine, Vector)) == NULL)
        return;
    for (ULONG i = 0; i < v->n; i++)
        if (v->elem[i] != NULL) {
            hal_finding(ad->m, acct(ad), routine, DMS_BUGCHECK_1DC(VECTOR_NOT_EMPTY), i,
                        (uintptr_t)v->elem[i]->va, v->elem[i]->logical,
                        "%s of a vector whose buffer %u is still allocated (bug check 0x1DC: "
                        "vector not empty; FreeCommonBufferFromVector each first)", routine,
                        (unsigned)i);
            return; /* the vector stays, so the buffers can still be freed */
        }
    for (link = &ad->vectors; *link != v;)
        link = &(*link)->next;
    *link = v->next;
    v->magic = 0;
    free(v->elem);
    free(v);
}

/* The adapter's vectors go with it (the machine's end). */
void vector_free_all(struct adapter *ad)
{
    while (ad->vectors != NULL) {
        struct cb_vector *v = ad->vectors;
        ad->vectors = v->next;
        free(v->elem);
        free(v);
    }
}

/* ---------------------------------------------------------------------------------------------
 * CreateCommonBufferFromMdl.
 */
static NTSTATUS from_mdl_refuse(struct adapter *ad, const char *routine, PMDL mdl,
                                const char *why)
{
    hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, (uintptr_t)mdl, 0, 0,
                "%s: %s (STATUS_INVALID_PARAMETER)", routine, why);
    return STATUS_INVALID_PARAMETER;
}

NTSTATUS hal_CreateCommonBufferFromMdl(PDMA_ADAPTER DmaAdapter, PMDL Mdl,
                                       PDMA_COMMON_BUFFER_EXTENDED_CONFIGURATION ExtendedConfigs,
                                       ULONG ExtendedConfigsCount,
                                       PPHYSICAL_ADDRESS LogicalAddress)
{
    static const char routine[] = "CreateCommonBufferFromMdl";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    uint64_t lo = 0, hi = UINT64_MAX, off = 0, len, pages, *pfns, iova = UINT64_MAX;
    bool seen[CommonBufferConfigTypeMax] = {false}, sub = false;
    struct common_buffer *cb;
    PMDL mdl = Mdl;
    uint8_t *sysva;
    struct dms_event ev = {.type = DMS_EV_COMMON_ALLOC, .routine = routine};

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_PASSIVE);
    if (Mdl == NULL || LogicalAddress == NULL)
        return from_mdl_refuse(ad, routine, Mdl, "it needs an MDL and a LogicalAddress");
    if (ExtendedConfigsCount > 0 && ExtendedConfigs == NULL)
        return from_mdl_refuse(ad, routine, Mdl, "ExtendedConfigsCount without ExtendedConfigs");
    for (ULONG i = 0; i < ExtendedConfigsCount; i++) {
        const DMA_COMMON_BUFFER_EXTENDED_CONFIGURATION *c = &ExtendedConfigs[i];
        if ((unsigned)c->ConfigType >= CommonBufferConfigTypeMax)
            return from_mdl_refuse(ad, routine, Mdl, "an extended configuration of no known type");
        if (seen[c->ConfigType])
            return from_mdl_refuse(ad, routine, Mdl, "two extended configurations of one type");
        seen[c->ConfigType] = true;
        if (c->ConfigType == CommonBufferConfigTypeLogicalAddressLimits) {
            lo = (uint64_t)c->LogicalAddressLimits.MinimumAddress.QuadPart;
            hi = (uint64_t)c->LogicalAddressLimits.MaximumAddress.QuadPart;
        } else if (c->ConfigType == CommonBufferConfigTypeSubSection) {
            sub = true;
            off = c->SubSection.Offset;
            len = c->SubSection.Length;
        } else if (c->HardwareAccessType >= CommonBufferHardwareAccessMax) {
            return from_mdl_refuse(ad, routine, Mdl, "a hardware access type of no known kind");
        }
    }
    /* the MDL (of a chain, with SubSection: the one that holds the range) */
    while (sub && mdl != NULL && off >= mdl->ByteCount) {
        off -= mdl->ByteCount;
        mdl = mdl->Next;
    }
    if (mdl == NULL)
        return from_mdl_refuse(ad, routine, Mdl, "the SubSection lies past the MDL chain");
    if (!sub) {
        if (mdl->Next != NULL)
            return from_mdl_refuse(ad, routine, Mdl, "a chained MDL (without a SubSection)");
        len = mdl->ByteCount;
    }
    if (!(mdl->MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL)) ||
        (!(mdl->MdlFlags & MDL_PAGES_LOCKED) && mdl_is_paged(ad->m, mdl)))
        return from_mdl_refuse(ad, routine, Mdl, "the MDL's pages are not resident (lock "
                               "them, or build it over nonpaged pool)");
    if (mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA)
        sysva = (uint8_t *)mdl->MappedSystemVa;
    else if (mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL)
        sysva = (uint8_t *)MmGetMdlVirtualAddress(mdl);
    else
        return from_mdl_refuse(ad, routine, Mdl, "the MDL is not mapped in system space "
                               "(MmGetSystemAddressForMdlSafe)");
    if (((mdl->ByteOffset + off) & HAL_PAGE_MASK) != 0 || (len & HAL_PAGE_MASK) != 0 ||
        len == 0 || off + len > mdl->ByteCount || len > UINT32_MAX)
        return from_mdl_refuse(ad, routine, Mdl, "the range is not whole, page-aligned pages "
                               "inside one MDL");
    pages = len >> HAL_PAGE_SHIFT;
    pfns = &MmGetMdlPfnArray(mdl)[(mdl->ByteOffset + off) >> HAL_PAGE_SHIFT];
    if (!ad->remap) { /* the device sees the pages as they are */
        for (uint64_t i = 1; i < pages; i++)
            if (pfns[i] != pfns[0] + i)
                return from_mdl_refuse(ad, routine, Mdl, "without DMA remapping the MDL must be "
                                       "physically contiguous");
        if (pfn_to_addr(pfns[0]) < lo || pfn_to_addr(pfns[0] + pages) - 1 > hi ||
            pfn_to_addr(pfns[0] + pages) - 1 > ad->max_address)
            return from_mdl_refuse(ad, routine, Mdl, "its pages lie beyond the device's reach "
                                   "or the logical address limits");
    }
    cb = calloc(1, sizeof(*cb));
    if (cb == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (ad->remap) {
        iova = remap_pages_in(ad, routine, pfns, (uint32_t)pages, lo, hi);
        if (iova == UINT64_MAX) {
            free(cb);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        cb->logical = pfn_to_addr(iova);
    } else {
        mapping_direct(ad->m, pfns[0], (uint32_t)pages, +1);
        cb->logical = pfn_to_addr(pfns[0]);
    }
    range_pin(ad->m, mdl, off, len, cb->pin);
    cb->from_mdl = true;
    cb->va = sysva + off;
    cb->base_pfn = pfns[0];
    cb->pages = (uint32_t)pages;
    cb->length = (ULONG)len;
    cb->serial = ++ad->common_serial;
    ad->commons_allocated++;
    cb->next = ad->commons;
    ad->commons = cb;
    LogicalAddress->QuadPart = (LONGLONG)cb->logical;
    ev.physical = pfn_to_addr(pfns[0]);
    ev.logical = cb->logical;
    ev.length = len;
    ev.count = (uint32_t)pages;
    hal_emit(ad->m, acct(ad), &ev);
    return STATUS_SUCCESS;
}
