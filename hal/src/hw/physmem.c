/*
 * physmem.c - sparse simulated physical memory.
 *
 * The idea: a physical frame exists only while something owns it. Each frame in use is one
 * entry in a hash map from frame number to a small record (the host page backing it, its
 * owner, how many DMA mappings use it directly), and each host page of a driver buffer maps
 * back to its frame. So a 16 TiB machine holding 100 MiB of buffers costs 100 MiB of host
 * memory plus about 40 bytes a page of bookkeeping, and a frame's owner is always known: a
 * device that writes through a wrong address hits real bytes of whoever owns that frame, and
 * the report says whose.
 *
 * The layout is a PC's: RAM from 0, the low 1 MiB kept by firmware, an MMIO hole below 4 GiB
 * (3-4 GiB by default) with the RAM it displaces moved above 4 GiB, so 8 GiB of RAM reaches
 * 9 GiB. Driver buffers get frames by a placement policy; common buffers and bounce pools get
 * contiguous runs, searched from the top of the allowed range down as Windows' contiguous
 * allocator does (common buffers and contiguous memory from the bottom up with [machine]
 * contiguous = low-first), and that can fail when the memory below a limit is taken or
 * fragmented.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hw.h"

#define NO_SLOT UINT32_MAX
/* Random placement probes this many random frames before it walks to the next free one. */
#define RANDOM_PROBES 32
/* Host allocations of at least this size come from mmap, zero-filled lazily by the kernel, so
 * a 64 MiB bounce pool costs host memory only for the pages that are used. */
#define MMAP_THRESHOLD (64 * 1024)

/* Small allocations (under 64 KiB) come from the machine's host arena: 4 MiB mappings carved
 * into runs of pages, a freed run kept for the next of its size. posix_memalign would put
 * each page-aligned block after a header of its own, so 1 GiB of 4 KiB buffers took 2 GiB of
 * host memory. Under AddressSanitizer the heap is used, so that its redzones guard the HAL's
 * own accesses. */
#if defined(__SANITIZE_ADDRESS__)
#define HOST_ARENA 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOST_ARENA 0
#endif
#endif
#ifndef HOST_ARENA
#define HOST_ARENA 1
#endif
#define ARENA_CHUNK_BYTES (4u << 20)
#define ARENA_SIZES (MMAP_THRESHOLD / HAL_PAGE_SIZE) /* runs of 1 .. 15 pages */

struct host_arena {
    uint8_t *chunk;            /* the mapping being carved */
    size_t used;
    uint8_t *spare[ARENA_SIZES]; /* freed runs by page count, linked through their first word */
    uint8_t **chunks;
    uint32_t n_chunks, cap_chunks;
};

uint8_t *host_pages_alloc(struct dms_machine *m, uint64_t npages)
{
    size_t bytes = (size_t)(npages * HAL_PAGE_SIZE);
    void *p;

    if (bytes >= MMAP_THRESHOLD) {
        p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    if (HOST_ARENA && m != NULL && npages > 0) {
        struct host_arena *a = m->hw->arena;
        uint8_t *run = a->spare[npages];
        if (run != NULL) {
            memcpy(&a->spare[npages], run, sizeof(uint8_t *)); /* the next spare run */
            memset(run, 0, bytes);
            return run;
        }
        if (a->chunk == NULL || a->used + bytes > ARENA_CHUNK_BYTES) {
            void *c;
            if (a->n_chunks == a->cap_chunks) {
                void *grown = hal_grow(a->chunks, &a->cap_chunks, sizeof(*a->chunks),
                                       a->n_chunks + 1);
                if (grown == NULL)
                    return NULL;
                a->chunks = grown;
            }
            c = mmap(NULL, ARENA_CHUNK_BYTES, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (c == MAP_FAILED)
                return NULL;
            a->chunks[a->n_chunks++] = c;
            a->chunk = c;
            a->used = 0;
        }
        run = a->chunk + a->used; /* fresh from the mapping: zero already */
        a->used += bytes;
        return run;
    }
    if (posix_memalign(&p, HAL_PAGE_SIZE, bytes) != 0)
        return NULL;
    memset(p, 0, bytes);
    return p;
}

void host_pages_free(struct dms_machine *m, uint8_t *host, uint64_t npages)
{
    size_t bytes = (size_t)(npages * HAL_PAGE_SIZE);

    if (host == NULL)
        return;
    if (bytes >= MMAP_THRESHOLD) {
        munmap(host, bytes);
    } else if (HOST_ARENA && m != NULL && npages > 0) {
        struct host_arena *a = m->hw->arena;
        memcpy(host, &a->spare[npages], sizeof(uint8_t *));
        a->spare[npages] = host;
    } else {
        free(host);
    }
}

static int arena_init(struct dms_machine *m)
{
    m->hw->arena = calloc(1, sizeof(*m->hw->arena));
    return m->hw->arena != NULL ? 0 : DMS_ENOMEM;
}

static void arena_free(struct dms_machine *m)
{
    struct host_arena *a = m->hw->arena;

    if (a == NULL)
        return;
    for (uint32_t i = 0; i < a->n_chunks; i++)
        munmap(a->chunks[i], ARENA_CHUNK_BYTES);
    free(a->chunks);
    free(a);
    m->hw->arena = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Layout.
 */
static int phys_layout(struct dms_machine *m)
{
    const struct dms_machine_config *c = &m->cfg;
    uint64_t reserved = addr_to_pfn(c->reserved_low_bytes);
    uint64_t ram = addr_to_pfn(c->ram_bytes);
    bool hole = c->mmio_hole_start != c->mmio_hole_end;
    uint64_t below = hole ? addr_to_pfn(c->mmio_hole_start) : ram;

    if (below >= ram) {
        m->hw->ranges[0] = (struct ram_range){reserved, ram};
        m->hw->n_ranges = 1;
        m->hw->top_pfn = ram;
    } else {
        uint64_t above_start = addr_to_pfn(c->mmio_hole_end);
        m->hw->ranges[0] = (struct ram_range){reserved, below};
        m->hw->ranges[1] = (struct ram_range){above_start, above_start + (ram - below)};
        m->hw->n_ranges = 2;
        m->hw->top_pfn = m->hw->ranges[1].end_pfn;
    }
    m->hw->allocatable_frames = 0;
    for (int i = 0; i < m->hw->n_ranges; i++)
        m->hw->allocatable_frames += m->hw->ranges[i].end_pfn - m->hw->ranges[i].start_pfn;
    m->hw->owners = NULL;
    m->hw->owner_free_head = UINT32_MAX;
    m->hw->low_hint = c->placement == DMS_PLACE_RANGE ? addr_to_pfn(c->range_start) : 0;
    m->hw->high_hint = m->hw->top_pfn - 1;
    return 0;
}

int dms_machine_set_placement(struct dms_machine *m, enum dms_placement placement,
                              uint64_t range_start, uint64_t range_end)
{
    struct dms_machine_config c = m->cfg;

    c.placement = placement;
    c.range_start = range_start;
    c.range_end = range_end;
    if (dms_machine_config_check(&c, NULL, 0) != 0)
        return DMS_EINVAL;
    m->cfg = c;
    /* the cursors only promise "nothing free below/above"; restarting them is always safe */
    m->hw->low_hint = placement == DMS_PLACE_RANGE ? addr_to_pfn(range_start) : 0;
    m->hw->high_hint = m->hw->top_pfn - 1;
    return 0;
}

uint64_t dms_machine_top_address(const struct dms_machine *m)
{
    return pfn_to_addr(m->hw->top_pfn);
}

uint64_t dms_machine_frames_in_use(const struct dms_machine *m)
{
    return m->hw->frames_in_use;
}

uint64_t dms_machine_free_bytes(const struct dms_machine *m)
{
    return pfn_to_addr(m->hw->allocatable_frames - m->hw->frames_in_use);
}

uint64_t dms_machine_host_bytes(const struct dms_machine *m)
{
    return m->hw->host_page_bytes + u64map_host_bytes(&m->hw->pfn_map) +
           u64map_host_bytes(&m->hw->vpn_map) + u64map_host_bytes(&m->hw->used_a) +
           u64map_host_bytes(&m->hw->used_b) + u64map_host_bytes(&m->hw->used_c) +
           (uint64_t)m->hw->cap_frames * sizeof(struct frame) +
           (uint64_t)m->hw->cap_free_slots * sizeof(uint32_t) +
           (uint64_t)m->hw->cap_owners * sizeof(struct owner) + sizeof(*m);
}

/* The first RAM frame at or above pfn, or UINT64_MAX. */
static uint64_t ram_at_or_above(const struct dms_machine *m, uint64_t pfn)
{
    for (int i = 0; i < m->hw->n_ranges; i++) {
        if (pfn < m->hw->ranges[i].start_pfn)
            return m->hw->ranges[i].start_pfn;
        if (pfn < m->hw->ranges[i].end_pfn)
            return pfn;
    }
    return UINT64_MAX;
}

/* The last RAM frame at or below pfn, or UINT64_MAX. */
static uint64_t ram_at_or_below(const struct dms_machine *m, uint64_t pfn)
{
    for (int i = m->hw->n_ranges - 1; i >= 0; i--) {
        if (pfn >= m->hw->ranges[i].end_pfn)
            return m->hw->ranges[i].end_pfn - 1;
        if (pfn >= m->hw->ranges[i].start_pfn)
            return pfn;
    }
    return UINT64_MAX;
}

/* The index-th allocatable frame, counting across the ranges. */
static uint64_t ram_nth(const struct dms_machine *m, uint64_t index)
{
    for (int i = 0; i < m->hw->n_ranges; i++) {
        uint64_t n = m->hw->ranges[i].end_pfn - m->hw->ranges[i].start_pfn;
        if (index < n)
            return m->hw->ranges[i].start_pfn + index;
        index -= n;
    }
    return UINT64_MAX;
}

/* ---------------------------------------------------------------------------------------------
 * Owners and frames.
 */
int owner_new(struct dms_machine *m, enum owner_kind kind, const char *label, uint32_t serial,
              uint32_t *id)
{
    struct hal_hw *hw = m->hw;
    uint32_t i;

    if (hw->owner_free_head != UINT32_MAX) {
        i = hw->owner_free_head;
        hw->owner_free_head = hw->owners[i].next_free;
    } else {
        struct owner *p = hal_grow(hw->owners, &hw->cap_owners, sizeof(*p), hw->n_owners + 1);
        if (p == NULL)
            return DMS_ENOMEM;
        hw->owners = p;
        i = hw->n_owners++;
    }
    memset(&hw->owners[i], 0, sizeof(hw->owners[i]));
    hw->owners[i].kind = kind;
    hw->owners[i].serial = serial;
    hw->owners[i].live = true;
    snprintf(hw->owners[i].label, sizeof(hw->owners[i].label), "%s", label ? label : "");
    *id = i;
    return 0;
}

void owner_put(struct dms_machine *m, uint32_t id)
{
    m->hw->owners[id].live = false;
    m->hw->owners[id].next_free = m->hw->owner_free_head;
    m->hw->owner_free_head = id;
}

struct frame *phys_frame(struct dms_machine *m, uint64_t pfn)
{
    uint64_t slot;

    if (!u64map_get(&m->hw->pfn_map, pfn, &slot))
        return NULL;
    return &m->hw->frames[slot];
}

static bool frame_used(struct dms_machine *m, uint64_t pfn)
{
    uint64_t slot;

    return u64map_get(&m->hw->pfn_map, pfn, &slot);
}

/* How many frames are in use in each block of 2^6 frames (256 KiB), 2^12 (16 MiB) and 2^18
 * (1 GiB), kept as frames come and go, so that a search for a free run passes a block that
 * is empty or full in one step: allocating common buffers until memory runs out costs a few
 * hundred lookups a buffer, not one per buffer already held. */
#define BLOCK_SHIFT_C 6
#define BLOCK_SHIFT_A 12
#define BLOCK_SHIFT_B 18

static uint64_t used_in(const struct u64map *map, uint64_t block)
{
    uint64_t n;

    return u64map_get(map, block, &n) ? n : 0;
}

static int used_count(struct hal_hw *hw, uint64_t pfn, int delta)
{
    struct u64map *maps[3] = {&hw->used_c, &hw->used_a, &hw->used_b};
    const unsigned shifts[3] = {BLOCK_SHIFT_C, BLOCK_SHIFT_A, BLOCK_SHIFT_B};

    for (int i = 0; i < 3; i++) {
        uint64_t block = pfn >> shifts[i], n = used_in(maps[i], block) + (uint64_t)delta;
        if (n == 0)
            u64map_del(maps[i], block);
        else if (u64map_put(maps[i], block, n) != 0)
            return DMS_ENOMEM;
    }
    return 0;
}

/* The highest frame in use in [lo, hi), or UINT64_MAX: empty blocks are passed at once. */
static uint64_t highest_used(struct dms_machine *m, uint64_t lo, uint64_t hi)
{
    struct hal_hw *hw = m->hw;

    for (uint64_t p = hi; p > lo;) {
        uint64_t q = p - 1;
        if (used_in(&hw->used_b, q >> BLOCK_SHIFT_B) == 0) {
            p = (q >> BLOCK_SHIFT_B) << BLOCK_SHIFT_B;
            continue;
        }
        if (used_in(&hw->used_a, q >> BLOCK_SHIFT_A) == 0) {
            p = (q >> BLOCK_SHIFT_A) << BLOCK_SHIFT_A;
            continue;
        }
        if (used_in(&hw->used_c, q >> BLOCK_SHIFT_C) == 0) {
            p = (q >> BLOCK_SHIFT_C) << BLOCK_SHIFT_C;
            continue;
        }
        if (frame_used(m, q))
            return q;
        p = q;
    }
    return UINT64_MAX;
}

/* The highest free frame at or below pfn, above lo; lo when there is none: full blocks are
 * passed at once. */
static uint64_t highest_free(struct dms_machine *m, uint64_t lo, uint64_t pfn)
{
    struct hal_hw *hw = m->hw;

    for (uint64_t p = pfn + 1; p > lo;) {
        uint64_t q = p - 1;
        if (used_in(&hw->used_b, q >> BLOCK_SHIFT_B) == 1ULL << BLOCK_SHIFT_B) {
            p = (q >> BLOCK_SHIFT_B) << BLOCK_SHIFT_B;
            continue;
        }
        if (used_in(&hw->used_a, q >> BLOCK_SHIFT_A) == 1ULL << BLOCK_SHIFT_A) {
            p = (q >> BLOCK_SHIFT_A) << BLOCK_SHIFT_A;
            continue;
        }
        if (used_in(&hw->used_c, q >> BLOCK_SHIFT_C) == 1ULL << BLOCK_SHIFT_C) {
            p = (q >> BLOCK_SHIFT_C) << BLOCK_SHIFT_C;
            continue;
        }
        if (!frame_used(m, q))
            return q;
        p = q;
    }
    return lo;
}

static int frame_add(struct dms_machine *m, uint64_t pfn, uint8_t *host, uint32_t owner)
{
    struct hal_hw *hw = m->hw;
    uint32_t slot;
    int err;

    if (hw->n_free_slots > 0) {
        slot = hw->free_frame_slots[--hw->n_free_slots];
    } else {
        struct frame *f = hal_grow(hw->frames, &hw->cap_frames, sizeof(*f), hw->n_frames + 1);
        if (f == NULL)
            return DMS_ENOMEM;
        hw->frames = f;
        slot = hw->n_frames++;
    }
    err = u64map_put(&hw->pfn_map, pfn, slot);
    if (err == 0) {
        err = u64map_put(&hw->vpn_map, (uintptr_t)host >> HAL_PAGE_SHIFT, pfn);
        if (err)
            u64map_del(&hw->pfn_map, pfn);
    }
    if (err == 0 && (err = used_count(hw, pfn, +1)) != 0) {
        u64map_del(&hw->vpn_map, (uintptr_t)host >> HAL_PAGE_SHIFT);
        u64map_del(&hw->pfn_map, pfn);
    }
    if (err) {
        hw->free_frame_slots[hw->n_free_slots++] = slot; /* room was there: it came from it */
        return err;
    }
    hw->frames[slot] = (struct frame){.host = host, .owner = owner, .dma_maps = 0};
    cache_frame_added(m, &hw->frames[slot]);
    hw->frames_in_use++;
    hw->host_page_bytes += HAL_PAGE_SIZE;
    return 0;
}

static void frame_remove(struct dms_machine *m, uint64_t pfn)
{
    struct hal_hw *hw = m->hw;
    uint64_t slot;
    uint32_t *p;

    if (!u64map_get(&hw->pfn_map, pfn, &slot))
        return;
    cache_frame_removed(&hw->frames[slot]);
    u64map_del(&hw->vpn_map, (uintptr_t)hw->frames[slot].host >> HAL_PAGE_SHIFT);
    u64map_del(&hw->pfn_map, pfn);
    used_count(hw, pfn, -1); /* only deletes or lowers a count: cannot fail */
    p = hal_grow(hw->free_frame_slots, &hw->cap_free_slots, sizeof(*p), hw->n_free_slots + 1);
    if (p != NULL) { /* else the slot is simply not reused */
        hw->free_frame_slots = p;
        hw->free_frame_slots[hw->n_free_slots++] = (uint32_t)slot;
    }
    hw->frames_in_use--;
    hw->host_page_bytes -= HAL_PAGE_SIZE;
    if (pfn < hw->low_hint)
        hw->low_hint = pfn;
    if (pfn > hw->high_hint)
        hw->high_hint = pfn;
}

bool phys_va_to_pfn(struct dms_machine *m, const void *va, uint64_t *pfn)
{
    return u64map_get(&m->hw->vpn_map, (uintptr_t)va >> HAL_PAGE_SHIFT, pfn);
}

int dms_physical_of(struct dms_machine *m, const void *va, uint64_t *physical)
{
    uint64_t pfn;

    if (!phys_va_to_pfn(m, va, &pfn))
        return DMS_ENOENT;
    *physical = pfn_to_addr(pfn) | ((uintptr_t)va & HAL_PAGE_MASK);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Placement.
 */
static uint64_t pick_random(struct dms_machine *m)
{
    uint64_t pfn;

    for (int i = 0; i < RANDOM_PROBES; i++) {
        pfn = ram_nth(m, dms_rng_below(&m->rng, m->hw->allocatable_frames));
        if (!frame_used(m, pfn))
            return pfn;
    }
    /* Memory is crowded: walk on from the last probe to the next free frame, wrapping. */
    for (uint64_t n = 0; n < m->hw->allocatable_frames; n++) {
        pfn = ram_at_or_above(m, pfn + 1);
        if (pfn == UINT64_MAX)
            pfn = m->hw->ranges[0].start_pfn;
        if (!frame_used(m, pfn))
            return pfn;
    }
    return UINT64_MAX;
}

static uint64_t pick_low(struct dms_machine *m, uint64_t limit_pfn)
{
    for (uint64_t pfn = ram_at_or_above(m, m->hw->low_hint); pfn < limit_pfn;
         pfn = ram_at_or_above(m, pfn + 1)) {
        m->hw->low_hint = pfn;
        if (!frame_used(m, pfn))
            return pfn;
    }
    return UINT64_MAX;
}

static uint64_t pick_high(struct dms_machine *m)
{
    for (uint64_t pfn = ram_at_or_below(m, m->hw->high_hint); pfn != UINT64_MAX && pfn > 0;
         pfn = ram_at_or_below(m, pfn - 1)) {
        m->hw->high_hint = pfn;
        if (!frame_used(m, pfn))
            return pfn;
    }
    return UINT64_MAX;
}

static uint64_t pick_frame(struct dms_machine *m)
{
    switch (m->cfg.placement) {
    case DMS_PLACE_RANDOM:
        return pick_random(m);
    case DMS_PLACE_LOW_FIRST:
        return pick_low(m, m->hw->top_pfn);
    case DMS_PLACE_HIGH_FIRST:
        return pick_high(m);
    case DMS_PLACE_RANGE:
        return pick_low(m, addr_to_pfn(m->cfg.range_end));
    }
    return UINT64_MAX;
}

/* phys_alloc_scattered - give each of npages host pages a frame by the placement policy.
 * High-first placement hands the frames out in ascending order, so a buffer placed high is
 * still physically ascending, as one carved from the top of memory would be.
 * Returns 0, or DMS_ENOSPC / DMS_ENOMEM with nothing allocated. */
int phys_alloc_scattered(struct dms_machine *m, uint8_t *host, uint64_t npages, uint32_t owner)
{
    bool reverse = m->cfg.placement == DMS_PLACE_HIGH_FIRST;
    uint64_t done;
    int err = 0;

    if (npages > m->hw->allocatable_frames - m->hw->frames_in_use)
        return DMS_ENOSPC;
    for (done = 0; done < npages; done++) {
        uint64_t pfn = pick_frame(m);
        uint64_t page = reverse ? npages - 1 - done : done;
        if (pfn == UINT64_MAX) {
            err = DMS_ENOSPC;
            break;
        }
        err = frame_add(m, pfn, host + page * HAL_PAGE_SIZE, owner);
        if (err)
            break;
    }
    if (err) {
        for (uint64_t i = 0; i < done; i++) {
            uint64_t page = reverse ? npages - 1 - i : i;
            uint64_t pfn;
            if (phys_va_to_pfn(m, host + page * HAL_PAGE_SIZE, &pfn))
                frame_remove(m, pfn);
        }
    }
    return err;
}

/* The lowest frame in use in [lo, hi), or UINT64_MAX: empty blocks are passed at once. */
static uint64_t lowest_used(struct dms_machine *m, uint64_t lo, uint64_t hi)
{
    struct hal_hw *hw = m->hw;

    for (uint64_t p = lo; p < hi;) {
        if (used_in(&hw->used_b, p >> BLOCK_SHIFT_B) == 0) {
            p = ((p >> BLOCK_SHIFT_B) + 1) << BLOCK_SHIFT_B;
            continue;
        }
        if (used_in(&hw->used_a, p >> BLOCK_SHIFT_A) == 0) {
            p = ((p >> BLOCK_SHIFT_A) + 1) << BLOCK_SHIFT_A;
            continue;
        }
        if (used_in(&hw->used_c, p >> BLOCK_SHIFT_C) == 0) {
            p = ((p >> BLOCK_SHIFT_C) + 1) << BLOCK_SHIFT_C;
            continue;
        }
        if (frame_used(m, p))
            return p;
        p++;
    }
    return UINT64_MAX;
}

/* The lowest free frame at or above pfn, below hi; hi when there is none: full blocks are
 * passed at once. */
static uint64_t lowest_free(struct dms_machine *m, uint64_t pfn, uint64_t hi)
{
    struct hal_hw *hw = m->hw;

    for (uint64_t p = pfn; p < hi;) {
        if (used_in(&hw->used_b, p >> BLOCK_SHIFT_B) == 1ULL << BLOCK_SHIFT_B) {
            p = ((p >> BLOCK_SHIFT_B) + 1) << BLOCK_SHIFT_B;
            continue;
        }
        if (used_in(&hw->used_a, p >> BLOCK_SHIFT_A) == 1ULL << BLOCK_SHIFT_A) {
            p = ((p >> BLOCK_SHIFT_A) + 1) << BLOCK_SHIFT_A;
            continue;
        }
        if (used_in(&hw->used_c, p >> BLOCK_SHIFT_C) == 1ULL << BLOCK_SHIFT_C) {
            p = ((p >> BLOCK_SHIFT_C) + 1) << BLOCK_SHIFT_C;
            continue;
        }
        if (!frame_used(m, p))
            return p;
        p++;
    }
    return hi;
}

/* Give the frames [base, base + npages) to host's pages; on failure none is kept. */
static int claim_run(struct dms_machine *m, uint8_t *host, uint64_t base, uint64_t npages,
                     uint32_t owner)
{
    for (uint64_t i = 0; i < npages; i++) {
        int err = frame_add(m, base + i, host + i * HAL_PAGE_SIZE, owner);
        if (err) {
            while (i-- > 0)
                frame_remove(m, base + i);
            return err;
        }
    }
    return 0;
}

/* The lowest run instead ([machine] contiguous = low-first): the window slides up past the
 * lowest used frame it meets, the mirror of the search below. */
static int alloc_contig_low(struct dms_machine *m, uint8_t *host, uint64_t npages,
                            uint64_t lo_pfn, uint64_t hi_pfn, uint64_t boundary, uint32_t owner,
                            uint64_t *base_pfn)
{
    for (int r = 0; r < m->hw->n_ranges; r++) {
        uint64_t start = m->hw->ranges[r].start_pfn > lo_pfn ? m->hw->ranges[r].start_pfn : lo_pfn;
        uint64_t end = m->hw->ranges[r].end_pfn < hi_pfn ? m->hw->ranges[r].end_pfn : hi_pfn;

        while (end > start && end - start >= npages) {
            uint64_t used;
            if (boundary != 0 && start / boundary != (start + npages - 1) / boundary) {
                start = (start / boundary + 1) * boundary; /* above the line it would cross */
                continue;
            }
            used = lowest_used(m, start, start + npages);
            if (used == UINT64_MAX) {
                int err = claim_run(m, host, start, npages, owner);
                if (err == 0)
                    *base_pfn = start;
                return err;
            }
            start = lowest_free(m, used + 1, end);
        }
    }
    return DMS_ENOSPC;
}

/* phys_alloc_contig - npages consecutive RAM frames within [lo_pfn, hi_pfn), the highest such
 * run (or with low_first the lowest: [machine] contiguous = low-first puts a driver's common
 * buffers and contiguous memory there; bounce pools stay high). The window slides down past the
 * highest used frame it meets, so each frame is looked at about once: O(range) in the worst
 * case, O(npages) when the top of the range is free.
 * Returns 0 and *base_pfn, or DMS_ENOSPC / DMS_ENOMEM with nothing allocated. */
int phys_alloc_contig(struct dms_machine *m, uint8_t *host, uint64_t npages, uint64_t lo_pfn,
                      uint64_t hi_pfn, uint64_t boundary, bool low_first, uint32_t owner,
                      uint64_t *base_pfn)
{
    if (boundary != 0 && npages > boundary)
        return DMS_ENOSPC;
    if (low_first)
        return alloc_contig_low(m, host, npages, lo_pfn, hi_pfn, boundary, owner, base_pfn);
    for (int r = m->hw->n_ranges - 1; r >= 0; r--) {
        uint64_t start = m->hw->ranges[r].start_pfn > lo_pfn ? m->hw->ranges[r].start_pfn : lo_pfn;
        uint64_t end = m->hw->ranges[r].end_pfn < hi_pfn ? m->hw->ranges[r].end_pfn : hi_pfn;

        while (end > start && end - start >= npages) {
            uint64_t used;
            if (boundary != 0 && (end - npages) / boundary != (end - 1) / boundary) {
                end = (end - 1) / boundary * boundary; /* below the line it would cross */
                continue;
            }
            used = highest_used(m, end - npages, end);
            if (used == UINT64_MAX) {
                int err = claim_run(m, host, end - npages, npages, owner);
                if (err == 0)
                    *base_pfn = end - npages;
                return err;
            }
            /* every window ending above the free frame below the used run holds a used one:
             * the next to try ends just above it (the highest free run is still found) */
            end = highest_free(m, start, used);
            end = end == start && frame_used(m, start) ? start : end + 1;
            if (end > used)
                end = used;
        }
    }
    return DMS_ENOSPC;
}

void phys_release(struct dms_machine *m, uint8_t *host, uint64_t npages)
{
    for (uint64_t i = 0; i < npages; i++) {
        uint64_t pfn;
        if (phys_va_to_pfn(m, host + i * HAL_PAGE_SIZE, &pfn))
            frame_remove(m, pfn);
    }
}

/* Release the host memory of every live owner (at machine destruction). */
static void phys_free_all(struct dms_machine *m)
{
    for (uint32_t i = 0; i < m->hw->n_frames; i++)
        cache_frame_removed(&m->hw->frames[i]); /* frames given back already hold NULL */
    for (uint32_t i = 0; i < m->hw->n_owners; i++) {
        struct owner *o = &m->hw->owners[i];
        if (o->live && o->kind != OWNER_BOUNCE) /* pools free their own */
            host_pages_free(m, o->host, o->pages);
        o->live = false;
    }
}

int hw_init(struct dms_machine *m)
{
    int err;

    m->hw = calloc(1, sizeof(*m->hw));
    if (m->hw == NULL)
        return DMS_ENOMEM;
    err = arena_init(m);
    if (err == 0)
        err = phys_layout(m);
    if (err == 0)
        err = u64map_init(&m->hw->pfn_map, 1024);
    if (err == 0)
        err = u64map_init(&m->hw->vpn_map, 1024);
    if (err == 0)
        err = u64map_init(&m->hw->used_a, 64);
    if (err == 0)
        err = u64map_init(&m->hw->used_b, 16);
    if (err == 0)
        err = u64map_init(&m->hw->used_c, 1024);
    if (err == 0)
        err = sysdma_init(m);
    if (err == 0)
        err = iotlb_init(m, m->cfg.iommu_remap ? m->cfg.iotlb_entries : 0);
    return err;
}

void hw_free(struct dms_machine *m)
{
    if (m->hw == NULL)
        return;
    sysdma_free(m);
    phys_free_all(m);
    u64map_free(&m->hw->pfn_map);
    u64map_free(&m->hw->vpn_map);
    u64map_free(&m->hw->used_a);
    u64map_free(&m->hw->used_b);
    u64map_free(&m->hw->used_c);
    free(m->hw->frames);
    free(m->hw->free_frame_slots);
    free(m->hw->owners);
    free(m->hw->iotlb);
    arena_free(m);
    free(m->hw);
    m->hw = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Attribution.
 */
static void describe_owner(struct dms_machine *m, uint64_t pfn, const struct frame *f,
                           char *out, size_t len)
{
    const struct owner *o = &m->hw->owners[f->owner];

    switch (o->kind) {
    case OWNER_BUFFER:
        snprintf(out, len, "buffer #%u of %s", o->serial, o->label);
        break;
    case OWNER_COMMON:
        snprintf(out, len, "common buffer #%u of %s", o->serial, o->label);
        break;
    case OWNER_BOUNCE: {
        uint32_t page = (uint32_t)(pfn - o->first_pfn);
        const struct bus_master *holder = o->holders[page];
        if (holder != NULL)
            snprintf(out, len, "bounce page %u of the %s pool, held by %s", page, o->label,
                     holder->name);
        else
            snprintf(out, len, "bounce page %u of the %s pool, free", page, o->label);
        break;
    }
    }
}

void dms_describe_address(struct dms_machine *m, uint64_t physical, char *out, size_t len)
{
    uint64_t pfn = addr_to_pfn(physical);
    struct frame *f = phys_frame(m, pfn);

    if (f != NULL)
        describe_owner(m, pfn, f, out, len);
    else if (pfn >= m->hw->top_pfn)
        snprintf(out, len, "no memory (above the top of RAM)");
    else if (pfn < m->hw->ranges[0].start_pfn)
        snprintf(out, len, "memory reserved by firmware");
    else if (ram_at_or_above(m, pfn) != pfn)
        snprintf(out, len, "the MMIO hole");
    else
        snprintf(out, len, "free memory");
}

/* ---------------------------------------------------------------------------------------------
 * Device-side DMA.
 */
static bool may_touch(const struct bus_master *bm, struct dms_machine *m, uint64_t pfn,
                      struct frame *f)
{
    const struct owner *o;

    if (f == NULL)
        return false;
    o = &m->hw->owners[f->owner];
    switch (o->kind) {
    case OWNER_BUFFER:
        return f->dma_maps > 0;
    case OWNER_COMMON:
        return (o->master != NULL && o->master == bm) ||
               (o->dom_id != 0 && bm->dom != NULL && iommu_domain_id(bm->dom) == o->dom_id);
    case OWNER_BOUNCE:
        return o->holders[pfn - o->first_pfn] == bm;
    }
    return false;
}

/* Consecutive stray bytes with one owner make one finding, not one a page. */
struct stray_run {
    uint64_t told, addr, bytes;
    uint32_t owner; /* UINT32_MAX: no frame */
    bool open;
};

/* A stray access below 4 GiB whose address, with some bits above 31 put back, is memory the
 * device may reach: an address cut to 32 bits on the way (a driver that programs only LowPart
 * of a logical address, or a 32-bit register). Appends what it is to whose. Looks at most
 * 1024 candidates (4 TiB of RAM), and only when a finding is made. */
static void truncation_hint(const struct bus_master *d, uint64_t addr, char *whose, size_t len)
{
    struct dms_machine *m = d->m;
    uint64_t pfn = addr_to_pfn(addr);
    size_t used = strlen(whose);

    if (addr >> 32 != 0 || d->dom != NULL || used + 1 >= len)
        return;
    for (uint64_t k = 1; k <= 1024; k++) {
        uint64_t high = pfn + (k << (32 - HAL_PAGE_SHIFT));
        struct frame *f;
        char at[24], what[120];

        if (high >= m->hw->top_pfn)
            break;
        f = phys_frame(m, high);
        if (f == NULL || !may_touch(d, m, high, f))
            continue;
        dms_format_address(pfn_to_addr(high) | (addr & HAL_PAGE_MASK), at);
        describe_owner(m, high, f, what, sizeof(what));
        snprintf(whose + used, len - used,
                 "; it is the low 32 bits of %s (%s): an address cut to 32 bits", at, what);
        return;
    }
}

static void stray_report(const struct bus_master *d, struct stray_run *run, bool to_memory,
                         unsigned bits)
{
    char where[24], told[24], whose[320];

    if (!run->open)
        return;
    dms_format_address(run->addr, where);
    dms_format_address(run->told, told);
    dms_describe_address(d->m, run->addr, whose, sizeof(whose));
    if (run->told == run->addr)
        truncation_hint(d, run->addr, whose, sizeof(whose));
    if (run->told != run->addr)
        hal_finding(d->m, d->acct, "device", DMS_CHECK_STRAY_ACCESS, run->addr, run->bytes,
                    run->told,
                    "device %s %s %" PRIu64 " bytes at %s (told %s; it drives %u address "
                    "lines), which is %s", d->name, to_memory ? "wrote" : "read", run->bytes,
                    where, told, bits, whose);
    else
        hal_finding(d->m, d->acct, "device", DMS_CHECK_STRAY_ACCESS, run->addr, run->bytes,
                    run->told, "device %s %s %" PRIu64 " bytes at %s, which is %s", d->name,
                    to_memory ? "wrote" : "read", run->bytes, where, whose);
    run->open = false;
}

int hw_device_dma(const struct bus_master *d, unsigned bits, uint64_t logical, uint8_t *buf,
                  size_t len, bool to_memory, uint32_t *stray)
{
    struct dms_machine *m;
    uint64_t mask;
    struct stray_run run = {0};
    uint32_t strays = 0, blocked = 0, misses = 0;
    uint64_t stale = 0, stale_at = 0, blocked_at = 0, first_physical = UINT64_MAX;
    struct dms_event ev = {.type = DMS_EV_DEVICE_ACCESS};

    if (d == NULL || bits == 0 || bits > 64)
        return DMS_EINVAL;
    m = d->m;
    if (buf == NULL && !m->cfg.metadata_only)
        return DMS_EINVAL;
    mask = bits == 64 ? UINT64_MAX : (1ULL << bits) - 1;
    for (size_t done = 0; done < len;) {
        uint64_t told = logical + done;
        uint64_t addr = told & mask;
        uint64_t pfn = addr_to_pfn(addr);
        size_t off = (size_t)(addr & HAL_PAGE_MASK);
        size_t chunk = len - done < HAL_PAGE_SIZE - off ? len - done : HAL_PAGE_SIZE - off;
        struct frame *f;

        /* DMA remapping: the address is an IOVA, through the IOTLB or a walk of the domain's
         * table; one nothing maps is blocked */
        bool missed = false;
        bool through = d->dom == NULL || iotlb_translate(m, d->dom, pfn, &pfn, &missed);
        misses += missed;
        if (!through) {
            if (blocked++ == 0)
                blocked_at = addr;
            if (buf != NULL && !to_memory)
                memset(buf + done, 0xff, chunk);
            strays++;
            done += chunk;
            continue;
        }
        if (first_physical == UINT64_MAX)
            first_physical = pfn_to_addr(pfn) + off;
        addr = pfn_to_addr(pfn) + off;
        f = phys_frame(m, pfn);

        if (f != NULL) {
            uint64_t s = cache_device_access(m, f, (uint32_t)off, (uint32_t)chunk, to_memory);
            if (s > 0 && stale == 0)
                stale_at = addr;
            stale += s;
        }
        if (buf == NULL)
            ; /* metadata mode: the access is checked and counted, no byte moves */
        else if (f != NULL && to_memory)
            memcpy(cache_device_page(m, f) + off, buf + done, chunk);
        else if (f != NULL)
            memcpy(buf + done, cache_device_page(m, f) + off, chunk);
        else if (!to_memory)
            memset(buf + done, 0xff, chunk); /* nothing answers: the bus reads all ones */
        if (!may_touch(d, m, pfn, f)) {
            uint32_t owner = f ? f->owner : UINT32_MAX;
            if (!run.open || run.addr + run.bytes != addr || run.owner != owner) {
                stray_report(d, &run, to_memory, bits);
                run = (struct stray_run){.told = told, .addr = addr, .owner = owner,
                                         .open = true};
            }
            run.bytes += chunk;
            strays++;
        } else {
            stray_report(d, &run, to_memory, bits);
        }
        done += chunk;
    }
    stray_report(d, &run, to_memory, bits);
    cache_report_device_read(d, stale, stale_at);
    if (blocked > 0) {
        char where[24], whose[120];
        dms_format_address(blocked_at, where);
        dms_describe_address(m, blocked_at, whose, sizeof(whose));
        hal_finding(m, d->acct, "device", DMS_E6_IOMMU_FAULT, 0, blocked_at, to_memory ? 2 : 1,
                    "the IOMMU blocked device %s's %s at IOVA %s, which no mapping of its "
                    "domain covers (%u page(s)); without the IOMMU it would have %s %s",
                    d->name, to_memory ? "write" : "read", where, blocked,
                    to_memory ? "written" : "read", whose);
    }
    if (misses > 0)
        hal_charge(m, DMS_COST_IOTLB_MISS, misses, d->acct != NULL ? d->acct->id : DMS_NO_ADAPTER);
    ev.device = d->name;
    ev.logical = logical;
    ev.physical = first_physical != UINT64_MAX ? first_physical : logical & mask;
    ev.length = len;
    ev.write_to_device = !to_memory;
    ev.stray = strays > 0;
    ev.count = strays;
    hal_emit(m, d->acct, &ev);
    if (stray != NULL)
        *stray = strays;
    return 0;
}
