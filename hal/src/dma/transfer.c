/*
 * transfer.c - mapping a buffer for a device, and unmapping it: MapTransfer and
 * FlushAdapterBuffers, and the fragment mapper the scatter/gather builders share.
 *
 * The rules (reference 3.4): a scatter/gather master gets one logically contiguous fragment
 * per call, *Length shortened to it - a run of physically consecutive pages it can reach, or
 * one page through a bounce page when the page lies above its reach. Every other device gets
 * the whole range as one contiguous logical range: directly when the buffer is physically
 * contiguous and reachable, otherwise through consecutive map registers whose bounce pages
 * hold a packed copy. Data for a write to the device is copied into bounce pages when mapped;
 * data from a read is copied back when flushed. Pages the device can reach are never copied.
 *
 * Each mapping is recorded in its map register file, so a flush finds what to copy back, a
 * free finds what was never flushed, and a device touching a page finds whether it may.
 */
#include <inttypes.h>
#include <string.h>

#include "dma.h"

static PPFN_NUMBER pfns_of(PMDL mdl)
{
    return MmGetMdlPfnArray(mdl);
}

static bool reachable(const struct adapter *ad, uint64_t pfn)
{
    return pfn_to_addr(pfn) + HAL_PAGE_MASK <= ad->max_address;
}

/* mdl_span_pages - map registers a range needs: the pages it spans in each MDL of the chain
 * (ADDRESS_AND_SIZE_TO_SPAN_PAGES per MDL). *fits is false if the chain is too short. */
uint64_t mdl_span_pages(PMDL mdl, uint64_t offset, uint64_t length, bool *fits)
{
    uint64_t pages = 0;

    while (mdl != NULL && length > 0) {
        if (offset >= mdl->ByteCount) {
            offset -= mdl->ByteCount;
            mdl = mdl->Next;
            continue;
        }
        uint64_t in_mdl = mdl->ByteCount - offset < length ? mdl->ByteCount - offset : length;
        uint64_t start = (uint64_t)mdl->ByteOffset + offset;
        pages += ((start & HAL_PAGE_MASK) + in_mdl + HAL_PAGE_MASK) >> HAL_PAGE_SHIFT;
        length -= in_mdl;
        offset = 0;
        mdl = mdl->Next;
    }
    *fits = length == 0;
    return pages;
}

/* GCC turns a memcpy it can bound (at most a page here) into `rep movsq`, which copies 4 KiB
 * at about half the speed of glibc's vector memcpy: keep the library call. */
#if defined(__clang__)
#define COPY_ATTRIBUTES __attribute__((noinline)) /* clang has no noclone */
#else
#define COPY_ATTRIBUTES __attribute__((noinline, noclone))
#endif
COPY_ATTRIBUTES static void copy_bytes(void *dst, const void *src, size_t n)
{
    memcpy(dst, src, n);
}

/* Is the system address va still where the MDL's page pfn lives? Not once the buffer was
 * freed (its frames are given back). Frame 0 is firmware's: an MDL over memory that is no
 * pool names it, and its address is taken as it is. */
static bool still_there(struct dms_machine *m, uint64_t pfn, const void *va)
{
    const struct frame *fr;

    if (pfn == 0)
        return true;
    fr = phys_frame(m, pfn);
    return fr != NULL && fr->host == (uint8_t *)((uintptr_t)va & ~(uintptr_t)HAL_PAGE_MASK);
}

/* Copy len bytes of the chain from (mdl, offset) to or from contiguous host memory. Like the
 * HAL, the CPU copies through the MDL's system mapping when it has one (nonpaged pool) and the
 * buffer is still there; otherwise page by page through the frames, where a page with no frame
 * behind it (a buffer freed under its MDL) reads as zeros and swallows writes. Returns the
 * bytes that had no memory behind them. */
static uint64_t copy_chain(struct dms_machine *m, PMDL mdl, uint64_t offset, uint64_t len,
                           uint8_t *bounce, bool to_bounce)
{
    uint64_t gone = 0;

    if (m->cfg.metadata_only)
        return 0; /* the copy is still counted and charged by the caller */
    while (mdl != NULL && len > 0) {
        if (offset >= mdl->ByteCount) {
            offset -= mdl->ByteCount;
            mdl = mdl->Next;
            continue;
        }
        if ((mdl->MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA)) &&
            mdl->MappedSystemVa != NULL &&
            still_there(m, pfns_of(mdl)[((uint64_t)mdl->ByteOffset + offset) >> HAL_PAGE_SHIFT],
                        (uint8_t *)mdl->MappedSystemVa + offset)) {
            uint8_t *va = (uint8_t *)mdl->MappedSystemVa + offset;
            uint64_t chunk = mdl->ByteCount - offset < len ? mdl->ByteCount - offset : len;
            if (to_bounce)
                copy_bytes(bounce, va, chunk);
            else
                copy_bytes(va, bounce, chunk);
            bounce += chunk;
            offset += chunk;
            len -= chunk;
            continue;
        }
        uint64_t pos = (uint64_t)mdl->ByteOffset + offset;
        uint64_t o = pos & HAL_PAGE_MASK;
        uint64_t chunk = HAL_PAGE_SIZE - o;
        uint64_t pfn = pfns_of(mdl)[pos >> HAL_PAGE_SHIFT];
        struct frame *fr = phys_frame(m, pfn);

        if (chunk > len)
            chunk = len;
        if (chunk > mdl->ByteCount - offset)
            chunk = mdl->ByteCount - offset;
        if (fr != NULL && to_bounce)
            copy_bytes(bounce, fr->host + o, chunk);
        else if (fr != NULL)
            copy_bytes(fr->host + o, bounce, chunk);
        else if (to_bounce)
            memset(bounce, 0, chunk);
        gone += fr == NULL && pfn != 0 ? chunk : 0; /* frame 0: no pool, reported when built */
        bounce += chunk;
        offset += chunk;
        len -= chunk;
    }
    return gone;
}

/* The system address of [offset, offset+len) of mdl when it lies in that one MDL and the MDL
 * has one (as copy_chain would use), else NULL. */
static uint8_t *system_va(PMDL mdl, uint64_t offset, uint64_t len)
{
    if (offset + len > mdl->ByteCount || mdl->MappedSystemVa == NULL ||
        !(mdl->MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA)))
        return NULL;
    return (uint8_t *)mdl->MappedSystemVa + offset;
}

static uint8_t *bounce_host(const struct adapter *ad, const struct mapreg_file *f, uint32_t reg)
{
    return ad->pool->host + (uint64_t)f->regs[reg] * HAL_PAGE_SIZE;
}

static struct mapping *mapping_add(struct mapreg_file *f)
{
    if (f->n_maps == f->cap_maps) {
        uint32_t cap = f->cap_maps;
        struct mapping *p = hal_grow(f->maps, &cap, sizeof(*p), f->n_maps + 1);
        if (p == NULL)
            return NULL;
        f->maps = p;
        f->cap_maps = cap;
    }
    f->live_maps++;
    return &f->maps[f->n_maps++];
}

/* A scatter/gather master: the longest physically contiguous reachable run from offset, or a
 * run of pages above its reach through bounce pages. Bounced pages share a fragment when their
 * registers f->regs[first...] are consecutive, so their logical range is contiguous; without
 * a file (counting elements ahead of time) each bounced page counts alone, an upper bound.
 * Sets *pages and *reason; returns the bytes of the fragment. */
static uint64_t sg_fragment(struct adapter *ad, const struct mapreg_file *f, uint32_t first,
                            PMDL mdl, uint64_t offset, uint64_t want, uint32_t avail,
                            uint32_t *pages, uint8_t *reason)
{
    PPFN_NUMBER pfns = pfns_of(mdl);
    uint64_t pos = (uint64_t)mdl->ByteOffset + offset;
    uint64_t page = pos >> HAL_PAGE_SHIFT;
    uint64_t frag = HAL_PAGE_SIZE - (pos & HAL_PAGE_MASK);

    if (frag > want)
        frag = want;
    *pages = 1;
    if (ad->verified || !reachable(ad, pfns[page])) {
        *reason = reachable(ad, pfns[page]) ? DMS_BOUNCE_VERIFIER : DMS_BOUNCE_ABOVE_LIMIT;
        while (f != NULL && frag < want && *pages < avail &&
               (ad->verified || !reachable(ad, pfns[page + *pages])) &&
               f->regs[first + *pages] == f->regs[first] + *pages) {
            uint64_t more = want - frag < HAL_PAGE_SIZE ? want - frag : HAL_PAGE_SIZE;
            frag += more;
            (*pages)++;
        }
        return frag;
    }
    *reason = DMS_BOUNCE_NONE;
    while (frag < want && *pages < avail && pfns[page + *pages] == pfns[page] + *pages &&
           reachable(ad, pfns[page + *pages])) {
        uint64_t more = want - frag < HAL_PAGE_SIZE ? want - frag : HAL_PAGE_SIZE;
        frag += more;
        (*pages)++;
    }
    return frag;
}

/* count_fragments - how many elements a scatter/gather list of the range has: the fragments
 * map_fragment would make, one per MDL at least. 1 for a device without scatter/gather. */
uint32_t count_fragments(struct adapter *ad, PMDL mdl, uint64_t offset, uint64_t len)
{
    uint32_t n = 0;

    if (!ad->sg && !ad->remap)
        return 1;
    while (mdl != NULL && len > 0) {
        uint32_t pages;
        uint8_t reason;
        uint64_t frag;

        if (offset >= mdl->ByteCount) {
            offset -= mdl->ByteCount;
            mdl = mdl->Next;
            continue;
        }
        frag = mdl->ByteCount - offset < len ? mdl->ByteCount - offset : len;
        if (!ad->remap) /* remapped: one IOVA range an MDL, however its pages lie */
            frag = sg_fragment(ad, NULL, 0, mdl, offset, frag, UINT32_MAX, &pages, &reason);
        offset += frag;
        len -= frag;
        n++;
    }
    return n;
}

/* Does any page of the range, across the chain, lie above the device's reach? */
static bool range_above_limit(struct adapter *ad, PMDL mdl, uint64_t offset, uint64_t len)
{
    while (mdl != NULL && len > 0) {
        if (offset >= mdl->ByteCount) {
            offset -= mdl->ByteCount;
            mdl = mdl->Next;
            continue;
        }
        uint64_t pos = (uint64_t)mdl->ByteOffset + offset;
        uint64_t chunk = HAL_PAGE_SIZE - (pos & HAL_PAGE_MASK);

        if (!reachable(ad, pfns_of(mdl)[pos >> HAL_PAGE_SHIFT]))
            return true;
        if (chunk > len)
            chunk = len;
        if (chunk > mdl->ByteCount - offset)
            chunk = mdl->ByteCount - offset;
        offset += chunk;
        len -= chunk;
    }
    return false;
}

/* Any other device: can the whole range be handed over as it lies, one physically contiguous
 * run in one MDL that the device reaches? If not, say why it must be bounced. */
static uint8_t whole_range_reason(struct adapter *ad, PMDL mdl, uint64_t offset, uint64_t len,
                                  uint32_t pages)
{
    PPFN_NUMBER pfns = pfns_of(mdl);
    uint64_t first = ((uint64_t)mdl->ByteOffset + offset) >> HAL_PAGE_SHIFT;
    bool contiguous = offset + len <= mdl->ByteCount;

    for (uint32_t i = 1; i < pages && contiguous; i++)
        contiguous = pfns[first + i] == pfns[first] + i;
    if (range_above_limit(ad, mdl, offset, len))
        return DMS_BOUNCE_ABOVE_LIMIT;
    if (ad->verified)
        return DMS_BOUNCE_VERIFIER;
    /* an 8237 transfer may not cross its 64/128 KiB line: such a range goes through
     * registers that lie within one */
    if (contiguous &&
        sysdma_crosses(ad, pfn_to_addr(pfns[first]) +
                               (((uint64_t)mdl->ByteOffset + offset) & HAL_PAGE_MASK),
                       len))
        contiguous = false;
    return contiguous ? DMS_BOUNCE_NONE : DMS_BOUNCE_CONTIGUITY;
}

/* ---------------------------------------------------------------------------------------------
 * Driver Verifier's buffers (dms_machine_config.verifier_dma, full data mode): the bytes of a
 * mapping's bounce pages around its data hold an 8-byte "DmaVrfy0" tag on each side and 0x0F
 * padding beyond; a device that writes outside the data changes them, and the flush says
 * how (0xE6/0x0F: P2 1 the tag before, 2 the tag after, 4 the padding before, 5 after).
 */
static const char verifier_tag[8] = {'D', 'm', 'a', 'V', 'r', 'f', 'y', '0'};

/* The byte the verifier keeps at offset i of a mapping's bounce area, which is not data. */
static uint8_t verifier_byte(const struct mapping *mp, uint64_t i)
{
    uint64_t end = (uint64_t)mp->bounce_offset + mp->length;

    if (i < mp->bounce_offset && mp->bounce_offset - i <= 8)
        return (uint8_t)verifier_tag[8 - (mp->bounce_offset - i)];
    if (i >= end && i - end < 8)
        return (uint8_t)verifier_tag[i - end];
    return VERIFIER_FILL;
}

static void verifier_fill(const struct adapter *ad, const struct mapreg_file *f,
                          const struct mapping *mp)
{
    uint8_t *area = bounce_host(ad, f, mp->first_reg);
    uint64_t end = (uint64_t)mp->bounce_offset + mp->length;

    for (uint64_t i = 0; i < mp->bounce_offset; i++)
        area[i] = verifier_byte(mp, i);
    for (uint64_t i = end; i < (uint64_t)mp->nregs * HAL_PAGE_SIZE; i++)
        area[i] = verifier_byte(mp, i);
}

static void verifier_check(struct adapter *ad, const struct mapreg_file *f,
                           const struct mapping *mp, const char *routine)
{
    const uint8_t *area = bounce_host(ad, f, mp->first_reg);
    uint64_t end = (uint64_t)mp->bounce_offset + mp->length;
    uint64_t size = (uint64_t)mp->nregs * HAL_PAGE_SIZE;
    static const char *const what[] = {"", "the tag before", "the tag after", "",
                                       "the padding before", "the padding after"};

    for (uint64_t i = 0; i < size; i++) {
        unsigned p2;
        if (i == mp->bounce_offset) {
            i = end - 1;
            continue;
        }
        if (area[i] == verifier_byte(mp, i))
            continue;
        if (i < mp->bounce_offset)
            p2 = mp->bounce_offset - i <= 8 ? 1 : 4;
        else
            p2 = i - end < 8 ? 2 : 5;
        hal_finding(ad->m, acct(ad), routine, DMS_E6_WROTE_OUTSIDE, p2,
                    p2 <= 2 ? mp->length : mp->logical,
                    p2 <= 2 ? mp->logical : mp->logical - mp->bounce_offset + i,
                    "%s: the device wrote outside the %u-byte buffer mapped at logical 0x%llx: "
                    "%s it changed (Driver Verifier's DMA buffers, 0xE6/0x0F)", routine,
                    mp->length, (unsigned long long)mp->logical, what[p2]);
        return;
    }
}

/* DMA remapping: the range (up to the end of its MDL) at one IOVA range of its device's
 * domain, wherever its pages lie; nothing is bounced, one fragment however scattered. */
static uint64_t map_remapped(struct mapreg_file *f, PMDL mdl, uint64_t offset, uint32_t *len,
                             bool write, const char *routine)
{
    struct adapter *ad = f->ad;
    struct dms_machine *m = ad->m;
    uint64_t pos = (uint64_t)mdl->ByteOffset + offset;
    uint32_t o = (uint32_t)(pos & HAL_PAGE_MASK);
    uint64_t frag = *len, iova;
    uint32_t pages;
    struct mapping *mp;
    struct dms_event ev = {.type = DMS_EV_MAP, .routine = routine, .write_to_device = write};

    if (frag > mdl->ByteCount - offset)
        frag = mdl->ByteCount - offset;
    pages = (uint32_t)((o + frag + HAL_PAGE_MASK) >> HAL_PAGE_SHIFT);
    iova = remap_pages(ad, routine, &pfns_of(mdl)[pos >> HAL_PAGE_SHIFT], pages);
    if (iova == UINT64_MAX || (mp = mapping_add(f)) == NULL) {
        if (iova != UINT64_MAX)
            remap_undo(ad, iova, pages);
        *len = 0;
        return 0;
    }
    *mp = (struct mapping){.mdl = mdl, .offset = offset,
                           .first_pfn = pfns_of(mdl)[pos >> HAL_PAGE_SHIFT],
                           .length = (uint32_t)frag, .first_reg = 0, .nregs = pages,
                           .bounce_offset = o, .logical = pfn_to_addr(iova) + o,
                           .write = write, .reason = DMS_BOUNCE_NONE, .live = 1,
                           .remapped = 1, .iova_pfn = iova};
    range_pin(m, mdl, offset, frag, mp->pin);
    ev.physical = pfn_to_addr(mp->first_pfn) + o;
    ev.logical = mp->logical;
    ev.length = frag;
    ev.count = pages;
    ev.reason = DMS_BOUNCE_NONE;
    hal_emit(m, acct(ad), &ev);
    hal_charge(m, DMS_COST_MAP_CALL, 1, ad->acct.id);
    *len = (uint32_t)frag;
    return mp->logical;
}

uint64_t map_fragment(struct mapreg_file *f, PMDL mdl, uint64_t offset, uint32_t *len,
                      bool write, const char *routine)
{
    struct adapter *ad = f->ad;
    struct dms_machine *m = ad->m;
    uint32_t avail = f->count - f->cursor;
    uint64_t pos = (uint64_t)mdl->ByteOffset + offset;
    uint32_t o = (uint32_t)(pos & HAL_PAGE_MASK);
    uint64_t frag = *len;
    uint32_t pages;
    uint8_t reason;
    uint64_t logical, physical = pfn_to_addr(pfns_of(mdl)[pos >> HAL_PAGE_SHIFT]) + o;
    struct mapping *mp;
    struct dms_event ev = {.type = DMS_EV_MAP, .routine = routine, .write_to_device = write};

    /* A device may reach only pages that stay put: locked by MmProbeAndLockPages (or
     * handed out locked), or nonpaged pool built with MmBuildMdlForNonPagedPool. */
    if (!(mdl->MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL)))
        hal_finding(m, acct(ad), routine, DMS_E6_NOT_LOCKED, (uintptr_t)mdl, 0, 0,
                    "%s of an MDL whose pages are not locked: neither MmProbeAndLockPages nor "
                    "MmBuildMdlForNonPagedPool described them (DMA without locking the buffer)",
                    routine);
    else if (!(mdl->MdlFlags & MDL_PAGES_LOCKED) && mdl_is_paged(m, mdl))
        hal_finding(m, acct(ad), routine, DMS_E6_NOT_LOCKED, (uintptr_t)mdl, 0, 0,
                    "%s of an MDL that MmBuildMdlForNonPagedPool described over paged pool: "
                    "its pages may be paged out under the device (lock them with "
                    "MmProbeAndLockPages)", routine);
    if (ad->remap)
        return map_remapped(f, mdl, offset, len, write, routine);
    if (ad->sg) {
        if (frag > mdl->ByteCount - offset)
            frag = mdl->ByteCount - offset;
        frag = sg_fragment(ad, ad->pool != NULL ? f : NULL, f->cursor, mdl, offset, frag, avail,
                           &pages, &reason);
    } else {
        pages = (uint32_t)((o + frag + HAL_PAGE_MASK) >> HAL_PAGE_SHIFT);
        if (pages > avail && avail > 0) { /* map what the registers cover */
            pages = avail;
            frag = (uint64_t)avail * HAL_PAGE_SIZE - o;
        }
        reason = pages <= avail ? whole_range_reason(ad, mdl, offset, frag, pages)
                                : DMS_BOUNCE_NONE;
    }
    if (avail == 0 || pages > avail || (reason != DMS_BOUNCE_NONE && ad->pool == NULL)) {
        hal_finding(m, acct(ad), routine, DMS_E6_MISC, 2, pages, avail,
                    "%s needs %u more map register(s); %u of the %u allocated are left",
                    routine, pages, avail, f->count);
        *len = 0;
        return 0;
    }
    mp = mapping_add(f);
    if (mp == NULL) {
        *len = 0;
        return 0;
    }
    if (reason == DMS_BOUNCE_NONE) {
        logical = physical;
        mapping_direct(m, addr_to_pfn(physical), pages, +1);
    } else {
        logical = pfn_to_addr(ad->pool->base_pfn + f->regs[f->cursor]) + o;
        if (write && copy_chain(m, mdl, offset, frag, bounce_host(ad, f, f->cursor) + o, true))
            hal_finding(m, acct(ad), routine, DMS_CHECK_FREED_WHILE_MAPPED, (uintptr_t)mdl, frag,
                        0, "%s of an MDL whose buffer was freed (ExFreePool) while the MDL "
                        "lived: the device gets zeros where the freed pages were", routine);
    }
    *mp = (struct mapping){.mdl = mdl, .offset = offset, .first_pfn = addr_to_pfn(physical),
                           .physical = physical,
                           .va = system_va(mdl, offset, frag), .length = (uint32_t)frag,
                           .first_reg = f->cursor, .nregs = pages, .bounce_offset = o,
                           .logical = logical, .write = write, .reason = reason, .live = 1};
    range_pin(m, mdl, offset, frag, mp->pin);
    if (ad->verified && reason != DMS_BOUNCE_NONE && !m->cfg.metadata_only)
        verifier_fill(ad, f, mp);
    /* the verifier double-buffers through the buffer's system address: it must have one */
    if (ad->verified && !(mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)))
        hal_finding(m, acct(ad), routine, DMS_E6_NOT_IN_SYSTEM_VA, (uintptr_t)mdl, 0, 0,
                    "%s of an MDL whose buffer is not mapped in system address space "
                    "(MmGetSystemAddressForMdlSafe it first: the verifier's double-buffering "
                    "copies through it)", routine);
    f->cursor += pages;
    ev.physical = physical;
    ev.logical = logical;
    ev.length = frag;
    ev.count = pages;
    ev.reason = reason;
    ev.map_register = mp->first_reg;
    hal_emit(m, acct(ad), &ev);
    hal_charge(m, DMS_COST_MAP_CALL, 1, ad->acct.id);
    if (reason != DMS_BOUNCE_NONE && write) {
        struct dms_event copy = {.type = DMS_EV_BOUNCE_COPY, .routine = routine,
                                 .physical = physical, .logical = logical, .length = frag,
                                 .count = pages, .write_to_device = 1, .reason = reason};
        hal_emit(m, acct(ad), &copy);
        hal_charge(m, DMS_COST_BOUNCE_COPY_BYTES, frag, ad->acct.id);
    }
    *len = (uint32_t)frag;
    return logical;
}

/* Copy a read's bounced bytes back into the buffer, if the buffer is still there (still_there:
 * the frame the MDL named when it was mapped is still the page at the buffer's system
 * address). A buffer freed meanwhile (ExFreePool before the flush) is a finding, and the bytes
 * are dropped rather than written into freed memory. */
static void copy_back(struct mapreg_file *f, const struct mapping *mp, const char *routine)
{
    struct adapter *ad = f->ad;
    uint8_t *bounce = bounce_host(ad, f, mp->first_reg) + mp->bounce_offset;

    if (mp->va == NULL) {
        copy_chain(ad->m, mp->mdl, mp->offset, mp->length, bounce, false);
        return;
    }
    if (!still_there(ad->m, mp->first_pfn, mp->va)) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_FREED_WHILE_MAPPED, mp->first_pfn,
                    mp->length, 0,
                    "%s of a read into a buffer freed since it was mapped (ExFreePool before "
                    "the flush): the device's %u bytes are dropped", routine, mp->length);
        return;
    }
    if (!ad->m->cfg.metadata_only)
        copy_bytes(mp->va, bounce, mp->length);
}

static void unmap_one(struct mapreg_file *f, struct mapping *mp, bool copy_back_now,
                      const char *routine)
{
    struct adapter *ad = f->ad;

    if (ad->verified && mp->reason != DMS_BOUNCE_NONE && !ad->m->cfg.metadata_only)
        verifier_check(ad, f, mp, routine);
    if (mp->remapped) {
        remap_undo(ad, mp->iova_pfn, mp->nregs);
    } else if (mp->reason == DMS_BOUNCE_NONE) {
        mapping_direct(ad->m, mp->first_pfn, mp->nregs, -1);
    } else if (copy_back_now) {
        struct dms_event copy = {.type = DMS_EV_BOUNCE_COPY, .routine = routine,
                                 .physical = mp->physical, .logical = mp->logical,
                                 .length = mp->length,
                                 .count = mp->nregs, .write_to_device = 0,
                                 .reason = mp->reason};
        copy_back(f, mp, routine);
        hal_emit(ad->m, acct(ad), &copy);
        hal_charge(ad->m, DMS_COST_BOUNCE_COPY_BYTES, mp->length, ad->acct.id);
    }
    range_unpin(mp->pin);
    mp->live = 0;
    f->live_maps--;
}

static void maybe_reset(struct mapreg_file *f)
{
    if (f->live_maps > 0)
        return;
    f->n_maps = 0;
    f->cursor = 0; /* flushed registers may be mapped again: the split-transfer loop */
    if (f->state == FILE_ORPHAN)
        file_release(f, "FlushAdapterBuffers");
}

uint32_t unmap_range(struct mapreg_file *f, PMDL mdl, uint64_t offset, uint64_t len, bool write,
                     const char *routine, bool check_direction)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < f->n_maps; i++) {
        struct mapping *mp = &f->maps[i];
        if (!mp->live || (mdl != NULL && (mp->mdl != mdl || mp->offset < offset ||
                                          mp->offset >= offset + len)))
            continue;
        if (check_direction && mp->write != write)
            hal_finding(f->ad->m, acct(f->ad), routine, DMS_CHECK_DIRECTION, mp->write, write, 0,
                        "%s with WriteToDevice=%s for a range mapped with WriteToDevice=%s%s",
                        routine, write ? "TRUE" : "FALSE", mp->write ? "TRUE" : "FALSE",
                        mp->reason != DMS_BOUNCE_NONE && write
                            ? ": the device's data is not copied back" : "");
        /* The flush's own direction decides the copy: a wrong one loses data, as on Windows. */
        unmap_one(f, mp, !write, routine);
        n++;
    }
    maybe_reset(f);
    return n;
}

/* ---------------------------------------------------------------------------------------------
 * The routines.
 */

/* sysdma_check - a system DMA mapping of len bytes from virtual address va: the channel must
 * be free (flushed since its last transfer) and a word channel moves whole words, from an
 * even address (its address register counts words: it cannot name an odd byte). */
bool sysdma_check(struct adapter *ad, const char *routine, uintptr_t va, uint64_t len)
{
    if (sysdma_busy(ad)) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_SYSDMA, ad->chan->index, 0, 0,
                    "%s on DMA channel %u while its last transfer is still programmed "
                    "(FlushAdapterBuffers first)", routine, ad->chan->index);
        return false;
    }
    if (len % ad->chan->width != 0) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_SYSDMA, ad->chan->index, len, 0,
                    "%s of %llu bytes on DMA channel %u, which moves %u-byte units",
                    routine, (unsigned long long)len, ad->chan->index, ad->chan->width);
        return false;
    }
    if (ad->chan->kind == SYSDMA_ISA && va % ad->chan->width != 0) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_SYSDMA, ad->chan->index, va, 0,
                    "%s at %p on 16-bit DMA channel %u: a word channel's address register "
                    "counts words, so its buffer must start at an even address", routine,
                    (void *)va, ad->chan->index);
        return false;
    }
    return true;
}

/* Where CurrentVa lies in the MDL, or report 0xE6/0x1F (P2=1 before it, 2 after it). */
bool va_offset(struct adapter *ad, const char *routine, PMDL mdl, PVOID va,
                      uint64_t *offset)
{
    uintptr_t start = (uintptr_t)MmGetMdlVirtualAddress(mdl);
    uintptr_t at = (uintptr_t)va;

    if (at >= start && at - start < mdl->ByteCount) {
        *offset = at - start;
        return true;
    }
    hal_finding(ad->m, acct(ad), routine, DMS_E6_INVALID_BUFFER, at < start ? 1 : 2, at,
                (uintptr_t)mdl, "%s: CurrentVa %p lies %s the MDL (%p, %u bytes)", routine, va,
                at < start ? "before" : "after", (void *)start, mdl->ByteCount);
    return false;
}

static bool overlaps_live(const struct mapreg_file *f, PMDL mdl, uint64_t off, uint64_t len)
{
    for (uint32_t i = 0; i < f->n_maps; i++) {
        const struct mapping *mp = &f->maps[i];
        if (mp->live && mp->mdl == mdl && off < mp->offset + mp->length &&
            mp->offset < off + len)
            return true;
    }
    return false;
}

/* MapTransfer for a device without scatter/gather hands the device the whole Length, *Length
 * unchanged (reference 3.4): asking for more than the remaining map registers cover is the
 * verifier's 0xE6/0x0D (adapter buffers not flushed: P2 the bytes mapped since the last flush,
 * P3 what the registers map at once). dmasim then maps what they cover and says so in *Length;
 * MapTransferEx may map part of a range, as documented, and is not checked here. */
static void more_than_registers(struct mapreg_file *f, const char *routine, PMDL mdl,
                                uint64_t offset, uint32_t len)
{
    uint32_t o = (uint32_t)(((uint64_t)mdl->ByteOffset + offset) & HAL_PAGE_MASK);
    uint64_t pages = ((uint64_t)o + len + HAL_PAGE_MASK) >> HAL_PAGE_SHIFT;
    uint32_t avail = f->count - f->cursor;
    uint64_t mapped = len;

    if (pages <= avail || avail == 0)
        return; /* fits, or nothing is left: map_fragment reports the latter */
    for (uint32_t i = 0; i < f->n_maps; i++)
        mapped += f->maps[i].live ? f->maps[i].length : 0;
    hal_finding(f->ad->m, acct(f->ad), routine, DMS_E6_NOT_FLUSHED, mapped,
                (uint64_t)f->count * HAL_PAGE_SIZE, 0,
                "%s of %u bytes for a device without scatter/gather, more than its %u "
                "remaining map register(s) cover: such a device gets the whole Length, so it "
                "will move past what was mapped (map no more than the registers allocated, and "
                "flush between transfers)", routine, len, avail);
}

PHYSICAL_ADDRESS hal_MapTransfer(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase,
                                 PVOID CurrentVa, PULONG Length, BOOLEAN WriteToDevice)
{
    static const char routine[] = "MapTransfer";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct mapreg_file *f;
    uint64_t off;
    uint32_t len;

    if (ad == NULL)
        return phys_addr(0);
    hal_irql_check(ad->m, acct(ad), routine, IRQL_MAX_DISPATCH);
    if (Mdl == NULL || Length == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s needs an Mdl and a Length", routine);
        return phys_addr(0);
    }
    f = file_lookup(ad, MapRegisterBase);
    if (f == NULL || f->state == FILE_SGL || f->state == FILE_ORPHAN) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, (uintptr_t)MapRegisterBase, 0,
                    0, "%s with %s", routine, no_registers(ad, MapRegisterBase));
        *Length = 0;
        return phys_addr(0);
    }
    if (*Length == 0) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_ZERO_LENGTH, (uintptr_t)Mdl, 0, 0,
                    "%s of a zero-length buffer", routine);
        return phys_addr(0);
    }
    if (!va_offset(ad, routine, Mdl, CurrentVa, &off)) {
        *Length = 0;
        return phys_addr(0);
    }
    len = *Length;
    if (off + len > Mdl->ByteCount) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_INSUFFICIENT_BUFFER,
                    off + len - Mdl->ByteCount, 0, 0,
                    "%s of %u bytes at offset %" PRIu64 " overruns the MDL's %u bytes", routine,
                    len, off, Mdl->ByteCount);
        len = (uint32_t)(Mdl->ByteCount - off);
    }
    if (overlaps_live(f, Mdl, off, len))
        hal_finding(ad->m, acct(ad), routine, DMS_E6_ALREADY_MAPPED, (uintptr_t)CurrentVa,
                    (uintptr_t)CurrentVa + len, 0,
                    "%s of a range that is already mapped and not yet flushed", routine);
    if (ad->chan != NULL && !sysdma_check(ad, routine, (uintptr_t)CurrentVa, len)) {
        *Length = 0;
        return phys_addr(0);
    }
    if (!ad->sg)
        more_than_registers(f, routine, Mdl, off, len);
    off = map_fragment(f, Mdl, off, &len, WriteToDevice != 0, routine);
    *Length = len;
    if (ad->chan != NULL && len > 0) { /* system DMA: MapTransfer programs the channel */
        uint64_t a = off;
        sysdma_program(ad, &a, &len, 1, WriteToDevice != 0, NULL, NULL, 0);
    }
    return phys_addr(off);
}

BOOLEAN hal_FlushAdapterBuffers(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase,
                                PVOID CurrentVa, ULONG Length, BOOLEAN WriteToDevice)
{
    static const char routine[] = "FlushAdapterBuffers";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct dms_event ev = {.type = DMS_EV_FLUSH, .routine = routine, .count = 1};
    struct mapreg_file *f;
    uint64_t off;
    bool started = false;

    if (ad == NULL)
        return FALSE;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_MAX_DISPATCH);
    f = Mdl != NULL ? file_lookup(ad, MapRegisterBase) : NULL;
    if (f == NULL || f->live_maps == 0) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_FLUSH_NOT_MAPPED,
                    (uintptr_t)MapRegisterBase, 0, 0, "%s of a buffer that is not mapped", routine);
        return FALSE;
    }
    if (!va_offset(ad, routine, Mdl, CurrentVa, &off))
        return FALSE;
    for (uint32_t i = 0; i < f->n_maps && !started; i++)
        started = f->maps[i].live && f->maps[i].mdl == Mdl && f->maps[i].offset == off;
    if (!started) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_FLUSH_NEVER_MAPPED, (uintptr_t)MapRegisterBase,
                    (uintptr_t)CurrentVa, (uintptr_t)Mdl,
                    "%s: CurrentVa %p is not where a MapTransfer began (pass the initial "
                    "CurrentVa)", routine, CurrentVa);
        return FALSE;
    }
    if (off + Length > Mdl->ByteCount)
        hal_finding(ad->m, acct(ad), routine, DMS_E6_MISC, 1, Mdl->ByteCount - off, Length,
                    "%s of %u bytes; only %" PRIu64 " are left in the MDL", routine, Length,
                    Mdl->ByteCount - off);
    unmap_range(f, Mdl, off, Length, WriteToDevice != 0, routine, true);
    if (ad->chan != NULL)
        sysdma_stop(ad); /* masks the channel; what it had not moved is not moved */
    ev.length = Length;
    ev.write_to_device = WriteToDevice != 0;
    hal_emit(ad->m, acct(ad), &ev);
    return TRUE;
}

/* ---------------------------------------------------------------------------------------------
 * The cache maintenance of a transfer on a non-coherent machine (kernel.c's cache_mdl).
 */
void cache_clean_chain(struct adapter *ad, const char *routine, PMDL mdl, uint64_t off,
                       uint64_t len, bool write)
{
    if (!ad->m->cfg.noncoherent || !write)
        return;
    cache_mdl(ad->m, acct(ad), routine, mdl, off, len, true);
}

void cache_invalidate_chain(struct adapter *ad, const char *routine, PMDL mdl, uint64_t off,
                            uint64_t len, bool write)
{
    if (!ad->m->cfg.noncoherent || write)
        return;
    cache_mdl(ad->m, acct(ad), routine, mdl, off, len, false);
}
