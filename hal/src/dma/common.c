/*
 * common.c - common buffers: memory both the CPU and the device use for as long as the driver
 * likes (descriptor rings, mailboxes), with no map registers and no copies.
 *
 * The rules (reference 3.6): at least one page, physically contiguous, below the device's
 * reach (and, for an 8237 channel, within one 64/128 KiB line), handed out with the logical
 * address the device must use (here, with no IOMMU, the physical address). CacheEnabled is
 * ignored: x64 DMA is coherent. Memory below a limit is a resource like any other: when no
 * contiguous run of the size is left, the call returns NULL, which is why drivers are told to
 * allocate at start-up and prefer several one-page buffers.
 */
#include <stdio.h>
#include <stdlib.h>

#include "dma.h"

PVOID common_alloc(struct adapter *ad, const char *routine, ULONG length, uint64_t lo,
                   uint64_t hi, PPHYSICAL_ADDRESS logical, uint64_t iova_hi)
{
    struct dms_machine *m = ad->m;
    struct common_buffer *cb;
    struct dms_event ev = {.type = DMS_EV_COMMON_ALLOC, .routine = routine};
    uint64_t pages, lo_pfn, hi_pfn, base;
    uint32_t owner;

    if (logical == NULL || length == 0) {
        hal_finding(m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, length, 0, 0,
                    "%s needs a non-zero Length and a LogicalAddress", routine);
        return NULL;
    }
    if (hal_fault(m, acct(ad), DMS_FAULT_COMMON_BUFFER))
        return NULL; /* fault injection: no contiguous memory below the device's reach */
    if (hi > ad->max_address && !ad->remap) /* remapped: the IOMMU reaches anywhere */
        hi = ad->max_address;
    pages = BYTES_TO_PAGES((uint64_t)length);
    lo_pfn = addr_to_pfn(lo + HAL_PAGE_MASK); /* whole pages at or above lo */
    hi_pfn = hi >= pfn_to_addr(m->hw->top_pfn) ? m->hw->top_pfn : addr_to_pfn(hi + 1);
    if (hi_pfn <= lo_pfn)
        return NULL;
    cb = calloc(1, sizeof(*cb));
    if (cb == NULL)
        return NULL;
    cb->va = host_pages_alloc(m, pages);
    if (cb->va == NULL || owner_new(m, OWNER_COMMON, ad->dev->name, ad->dev->common_serial + 1,
                                    &owner) != 0)
        goto fail;
    /* an 8237 channel's address register does not carry into its page register: a buffer
     * it runs over whole (an autoinitialized ring) may not cross the channel's line */
    if (phys_alloc_contig(m, cb->va, pages, lo_pfn, hi_pfn, ad->boundary_pages,
                          m->cfg.contiguous_low_first, owner, &base) != 0) {
        owner_put(m, owner);
        goto fail;
    }
    cb->logical = pfn_to_addr(base);
    if (ad->remap) { /* the device is told an IOVA for it */
        uint64_t *pfns = malloc(pages * sizeof(*pfns)), iova = UINT64_MAX;
        for (uint64_t i = 0; pfns != NULL && i < pages; i++)
            pfns[i] = base + i;
        if (pfns != NULL)
            iova = remap_pages_in(ad, routine, pfns, (uint32_t)pages, 0, iova_hi);
        free(pfns);
        if (iova == UINT64_MAX) {
            phys_release(m, cb->va, pages);
            owner_put(m, owner);
            goto fail;
        }
        cb->logical = pfn_to_addr(iova);
    }
    ad->dev->common_serial++;
    m->hw->owners[owner].master = &ad->dev->bm;
    m->hw->owners[owner].host = cb->va;
    m->hw->owners[owner].pages = pages;
    cb->owner = owner;
    cb->base_pfn = base;
    cb->pages = (uint32_t)pages;
    cb->length = length;
    cb->serial = ++ad->common_serial;
    ad->commons_allocated++;
    cb->next = ad->commons;
    ad->commons = cb;
    *logical = phys_addr(cb->logical);
    ev.physical = pfn_to_addr(base);
    ev.logical = cb->logical;
    ev.length = pages * HAL_PAGE_SIZE;
    ev.count = (uint32_t)pages;
    hal_emit(m, acct(ad), &ev);
    return cb->va;
fail:
    host_pages_free(m, cb->va, pages);
    free(cb);
    return NULL;
}

PVOID hal_AllocateCommonBuffer(PDMA_ADAPTER DmaAdapter, ULONG Length,
                               PPHYSICAL_ADDRESS LogicalAddress, BOOLEAN CacheEnabled)
{
    static const char routine[] = "AllocateCommonBuffer";
    struct adapter *ad = adapter_get(DmaAdapter, routine);

    (void)CacheEnabled;
    if (ad == NULL)
        return NULL;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_PASSIVE);
    return common_alloc(ad, routine, Length, 0, UINT64_MAX, LogicalAddress, UINT64_MAX);
}

/* common_release - take cb off ad's list and free it: its IOVAs, and unless it was made from a
 * driver's MDL (which the driver keeps) its frames and host memory. */
void common_release(struct adapter *ad, struct common_buffer *cb, const char *routine)
{
    struct common_buffer **link;
    struct dms_event ev = {.type = DMS_EV_COMMON_FREE, .routine = routine};

    for (link = &ad->commons; *link != NULL && *link != cb;)
        link = &(*link)->next;
    if (*link == cb)
        *link = cb->next;
    ev.physical = pfn_to_addr(cb->base_pfn);
    ev.logical = cb->logical;
    if (ad->remap)
        remap_undo(ad, addr_to_pfn(cb->logical), cb->pages);
    else if (cb->from_mdl)
        mapping_direct(ad->m, cb->base_pfn, cb->pages, -1);
    ev.length = (uint64_t)cb->pages * HAL_PAGE_SIZE;
    ev.count = cb->pages;
    if (cb->from_mdl) {
        range_unpin(cb->pin);
    } else {
        phys_release(ad->m, cb->va, cb->pages);
        host_pages_free(ad->m, cb->va, cb->pages);
        owner_put(ad->m, cb->owner);
    }
    free(cb);
    hal_emit(ad->m, acct(ad), &ev);
}

/* FreeCommonBuffer - the arguments must be exactly those of the allocation: no partial free.
 * An unknown address is 0xE6/0x03 (freed twice); other differences leave the buffer as is. A
 * buffer of a vector is freed through the vector. */
VOID hal_FreeCommonBuffer(PDMA_ADAPTER DmaAdapter, ULONG Length, PHYSICAL_ADDRESS LogicalAddress,
                          PVOID VirtualAddress, BOOLEAN CacheEnabled)
{
    static const char routine[] = "FreeCommonBuffer";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct common_buffer *cb;

    (void)CacheEnabled;
    if (ad == NULL)
        return;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_PASSIVE);
    for (cb = ad->commons; cb != NULL && cb->va != VirtualAddress;)
        cb = cb->next;
    if (cb == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_COMMON_BUFFER_DOUBLE_FREE, 1, 0, 0,
                    "%s of %p, which is no common buffer of this adapter (freed twice?)",
                    routine, VirtualAddress);
        return;
    }
    if (cb->in_vector) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_FREE_MISMATCH, Length, cb->length,
                    (uint64_t)LogicalAddress.QuadPart,
                    "%s of %p, a buffer of a common-buffer vector: free it with "
                    "FreeCommonBufferFromVector (the buffer stays allocated)", routine,
                    VirtualAddress);
        return;
    }
    if (Length != cb->length || (uint64_t)LogicalAddress.QuadPart != cb->logical) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_FREE_MISMATCH, Length, cb->length,
                    (uint64_t)LogicalAddress.QuadPart,
                    "%s with Length %u and LogicalAddress 0x%llx; the buffer was allocated "
                    "with %u and 0x%llx (no partial free: the buffer stays allocated)", routine,
                    Length, (unsigned long long)LogicalAddress.QuadPart, cb->length,
                    (unsigned long long)cb->logical);
        return;
    }
    common_release(ad, cb, routine);
}

/* Free the records of an adapter's common buffers; their memory goes with the machine. */
void common_free_all(struct adapter *ad)
{
    while (ad->commons != NULL) {
        struct common_buffer *next = ad->commons->next;
        free(ad->commons);
        ad->commons = next;
    }
}
