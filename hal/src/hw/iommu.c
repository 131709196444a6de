/*
 * iommu.c - DMA remapping (VT-d, AMD-Vi): a translation domain per device, whose page table
 * maps I/O virtual pages (IOVAs, what the device is told) to wherever the pages really are.
 * With it a device's reach no longer limits where its buffers may lie: nothing is copied, and
 * the cost moves to building and tearing down the page table entries and to invalidating the
 * IOTLB (the DMA layer charges them).
 *
 * IOVAs are handed out lowest first, in power-of-two granules aligned to their size, as the
 * Windows HAL's buddy allocator does (iommu-linux-videoport.md §A), below the device's
 * address limit; IOVA page 0 is never handed out, so logical address 0 is never valid. A
 * device access through an IOVA the table does not map is blocked (the DMA layer's caller
 * reports 0xE6/0x26).
 *
 * A domain is counted: the devices attached to it hold it (JoinDmaDomain attaches a second
 * device to the first's), and it goes when the last one leaves. Its number, never reused in a
 * machine, tags its IOTLB entries and is the handle GetDmaDomain gives a driver.
 *
 * The IOTLB caches translations for every domain, tagged by domain: a device access whose
 * page it does not hold is a miss (a page walk, which the device waits for). It is set
 * associative, four ways, least recently used out; a strict unmap invalidates the pages it
 * unmapped, a deferred flush everything of its domain.
 */
#include <stdlib.h>
#include <string.h>

#include "hw.h"

#define IOVA_TOP_PFN (1ULL << 52) /* 64-bit IOVAs, in pages */

struct iommu_domain {
    uint32_t id, refs;
    struct u64map pt; /* IOVA page -> frame number */
    struct { uint64_t start, len; } *free; /* free IOVA pages: sorted, coalesced */
    uint32_t n_free, cap_free;
    /* deferred invalidation: unmapped, not yet invalidated, so not yet free for reuse */
    struct { uint64_t start, len; } *pending;
    uint32_t n_pending, cap_pending;
    uint64_t pending_since_ns;
};

struct iommu_domain *iommu_domain_new(struct dms_machine *m)
{
    struct iommu_domain *d = calloc(1, sizeof(*d));

    if (d == NULL || u64map_init(&d->pt, 64) != 0 ||
        (d->free = malloc(sizeof(*d->free))) == NULL) {
        if (d != NULL)
            u64map_free(&d->pt);
        free(d);
        return NULL;
    }
    d->free[0].start = 1;
    d->free[0].len = IOVA_TOP_PFN - 1;
    d->n_free = d->cap_free = 1;
    d->id = ++m->hw->iommu_domains;
    d->refs = 1;
    return d;
}

uint32_t iommu_domain_id(const struct iommu_domain *d)
{
    return d->id;
}

struct iommu_domain *iommu_domain_get(struct iommu_domain *d)
{
    d->refs++;
    return d;
}

void iommu_domain_put(struct dms_machine *m, struct iommu_domain *d)
{
    if (d == NULL || --d->refs > 0)
        return;
    iotlb_drop(m, d->id, 0, 0);
    u64map_free(&d->pt);
    free(d->free);
    free(d->pending);
    free(d);
}

static uint64_t granule(uint32_t n)
{
    uint64_t g = 1;

    while (g < n)
        g <<= 1;
    return g;
}

/* Give back [start, start+len): into the sorted list, joined with its neighbours. */
static int release(struct iommu_domain *d, uint64_t start, uint64_t len)
{
    uint32_t i = 0;

    while (i < d->n_free && d->free[i].start < start)
        i++;
    if (i > 0 && d->free[i - 1].start + d->free[i - 1].len == start) {
        d->free[i - 1].len += len;
        if (i < d->n_free && start + len == d->free[i].start) {
            d->free[i - 1].len += d->free[i].len;
            memmove(&d->free[i], &d->free[i + 1], (d->n_free - i - 1) * sizeof(*d->free));
            d->n_free--;
        }
        return 0;
    }
    if (i < d->n_free && start + len == d->free[i].start) {
        d->free[i].start = start;
        d->free[i].len += len;
        return 0;
    }
    if (d->n_free == d->cap_free) {
        void *p = hal_grow(d->free, &d->cap_free, sizeof(*d->free), d->n_free + 1);
        if (p == NULL)
            return DMS_ENOMEM;
        d->free = p;
    }
    memmove(&d->free[i + 1], &d->free[i], (d->n_free - i) * sizeof(*d->free));
    d->free[i].start = start;
    d->free[i].len = len;
    d->n_free++;
    return 0;
}

/* iommu_map - n pages (their frames in pfns) at the lowest free IOVA granule at or above
 * floor_pfn that ends at or below limit_pfn; *iova_pfn its first page. 0, DMS_ENOSPC (no IOVA
 * space left in those bounds) or DMS_ENOMEM. */
int iommu_map(struct iommu_domain *d, const uint64_t *pfns, uint32_t n, uint64_t floor_pfn,
              uint64_t limit_pfn, uint64_t *iova_pfn)
{
    uint64_t g = granule(n);

    for (uint32_t i = 0; i < d->n_free; i++) {
        uint64_t s = d->free[i].start, e = s + d->free[i].len;
        uint64_t a = ((s > floor_pfn ? s : floor_pfn) + g - 1) & ~(g - 1);

        if (a + g > e || a + g - 1 > limit_pfn)
            continue;
        /* take [a, a+g) out of the extent: what is left before it and after it stays free */
        if (a == s) {
            d->free[i].start += g;
            d->free[i].len -= g;
            if (d->free[i].len == 0) {
                memmove(&d->free[i], &d->free[i + 1], (d->n_free - i - 1) * sizeof(*d->free));
                d->n_free--;
            }
        } else {
            d->free[i].len = a - s;
            if (a + g < e && release(d, a + g, e - (a + g)) != 0) {
                d->free[i].len = e - s;
                return DMS_ENOMEM;
            }
        }
        for (uint32_t k = 0; k < n; k++)
            if (u64map_put(&d->pt, a + k, pfns[k]) != 0) {
                while (k-- > 0)
                    u64map_del(&d->pt, a + k);
                release(d, a, g);
                return DMS_ENOMEM;
            }
        *iova_pfn = a;
        return 0;
    }
    return DMS_ENOSPC;
}

void iommu_unmap(struct iommu_domain *d, uint64_t iova_pfn, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++)
        u64map_del(&d->pt, iova_pfn + k);
    if (release(d, iova_pfn, granule(n)) != 0)
        abort(); /* IOVA space lost for good would be a silent leak; host memory is gone */
}

/* iommu_unmap_deferred - clear the entries now; keep the IOVAs out of use until the IOTLB is
 * invalidated (iommu_flush), as Linux's flush queues and the Windows HAL's batching do.
 * Returns how many unmaps wait for that invalidation. */
uint32_t iommu_unmap_deferred(struct iommu_domain *d, uint64_t iova_pfn, uint32_t n,
                              uint64_t now_ns)
{
    for (uint32_t k = 0; k < n; k++)
        u64map_del(&d->pt, iova_pfn + k);
    if (d->n_pending == d->cap_pending) {
        void *p = hal_grow(d->pending, &d->cap_pending, sizeof(*d->pending), d->n_pending + 1);
        if (p == NULL) { /* no room to wait: give it back now, as a strict unmap would */
            if (release(d, iova_pfn, granule(n)) != 0)
                abort();
            return d->n_pending;
        }
        d->pending = p;
    }
    if (d->n_pending == 0)
        d->pending_since_ns = now_ns;
    d->pending[d->n_pending].start = iova_pfn;
    d->pending[d->n_pending].len = granule(n);
    return ++d->n_pending;
}

uint64_t iommu_pending_since(const struct iommu_domain *d)
{
    return d->pending_since_ns;
}

/* The IOTLB invalidated: every IOVA waiting for it is free again. */
void iommu_flush(struct iommu_domain *d)
{
    for (uint32_t i = 0; i < d->n_pending; i++)
        if (release(d, d->pending[i].start, d->pending[i].len) != 0)
            abort();
    d->n_pending = 0;
}

bool iommu_translate(const struct iommu_domain *d, uint64_t iova_pfn, uint64_t *pfn)
{
    return u64map_get(&d->pt, iova_pfn, pfn);
}

/* ---------------------------------------------------------------------------------------------
 * The IOTLB.
 */
#define IOTLB_WAYS 4

struct iotlb_way {
    uint32_t dom; /* 0: empty */
    uint64_t iova_pfn, pfn;
    uint64_t used; /* tick of the last hit, for LRU */
};

int iotlb_init(struct dms_machine *m, uint32_t entries)
{
    struct hal_hw *hw = m->hw;

    if (entries == 0)
        return 0;
    hw->iotlb_sets = entries / IOTLB_WAYS > 0 ? entries / IOTLB_WAYS : 1;
    hw->iotlb = calloc((size_t)hw->iotlb_sets * IOTLB_WAYS, sizeof(*hw->iotlb));
    return hw->iotlb != NULL ? 0 : DMS_ENOMEM;
}

static struct iotlb_way *iotlb_set(struct hal_hw *hw, uint32_t dom, uint64_t iova_pfn)
{
    uint64_t h = (iova_pfn ^ ((uint64_t)dom * 0x9e3779b97f4a7c15ULL)) % hw->iotlb_sets;

    return &hw->iotlb[h * IOTLB_WAYS];
}

/* iotlb_translate - what a device access to IOVA page iova_pfn of domain d reaches: from the
 * IOTLB (even a translation the table no longer has, until it is invalidated), else by a walk
 * of the table (*missed set) that fills the IOTLB. false: blocked, nothing maps it. */
bool iotlb_translate(struct dms_machine *m, const struct iommu_domain *d, uint64_t iova_pfn,
                     uint64_t *pfn, bool *missed)
{
    struct hal_hw *hw = m->hw;
    struct iotlb_way *set, *victim;

    *missed = false;
    if (hw->iotlb == NULL)
        return iommu_translate(d, iova_pfn, pfn);
    set = iotlb_set(hw, d->id, iova_pfn);
    victim = &set[0];
    for (unsigned w = 0; w < IOTLB_WAYS; w++) {
        if (set[w].dom == d->id && set[w].iova_pfn == iova_pfn) {
            set[w].used = ++hw->iotlb_tick;
            *pfn = set[w].pfn;
            return true;
        }
        if (set[w].used < victim->used)
            victim = &set[w];
    }
    *missed = true;
    if (!iommu_translate(d, iova_pfn, pfn))
        return false; /* a fault is not cached */
    *victim = (struct iotlb_way){d->id, iova_pfn, *pfn, ++hw->iotlb_tick};
    return true;
}

/* iotlb_drop - invalidate domain dom's entries for pages [iova_pfn, iova_pfn+n), or all of
 * them with n 0 (a domain-selective invalidation). */
void iotlb_drop(struct dms_machine *m, uint32_t dom, uint64_t iova_pfn, uint32_t n)
{
    struct hal_hw *hw = m->hw;

    if (hw->iotlb == NULL)
        return;
    if (n == 0 || n > hw->iotlb_sets) { /* cheaper to sweep the whole IOTLB */
        for (uint64_t i = 0; i < (uint64_t)hw->iotlb_sets * IOTLB_WAYS; i++)
            if (hw->iotlb[i].dom == dom &&
                (n == 0 || (hw->iotlb[i].iova_pfn >= iova_pfn &&
                            hw->iotlb[i].iova_pfn - iova_pfn < n)))
                hw->iotlb[i] = (struct iotlb_way){0};
        return;
    }
    for (uint32_t k = 0; k < n; k++) {
        struct iotlb_way *set = iotlb_set(hw, dom, iova_pfn + k);
        for (unsigned w = 0; w < IOTLB_WAYS; w++)
            if (set[w].dom == dom && set[w].iova_pfn == iova_pfn + k)
                set[w] = (struct iotlb_way){0};
    }
}
