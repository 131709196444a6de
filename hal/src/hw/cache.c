/*
 * cache.c - CPU caches that DMA does not snoop (dms_machine_config.noncoherent): ARM platforms
 * without hardware coherency, where software cleans and invalidates by hand.
 *
 * The model, per 64-byte line of a driver buffer (bounce pages and common buffers are mapped
 * uncached, as on such platforms, and stay coherent):
 * - The CPU's writes stay in its cache (the line is dirty) until a clean writes them to
 *   memory. A device that reads a dirty line reads memory: the old bytes (stale data to the
 *   device).
 * - A device's writes go to memory; the CPU's cache still holds the old line (it is stale)
 *   until an invalidate drops it. A CPU that reads a stale line sees the old bytes.
 * - It assumes the worst a cache allows: every line of a buffer may be cached.
 * In full mode each buffer frame has a second page, memory as the device sees it, and bytes
 * really go stale; in metadata mode only the line states are kept, so the same findings come
 * out either way. Who maintains the cache, as the reference (3.7 step 6) says: MapTransferEx
 * cleans before a write to the device, FlushAdapterBuffersEx invalidates after a read, and a
 * driver of the older routines calls KeFlushIoBuffers itself. This file keeps the lines' state
 * and maintains one page at a time; walking an MDL and charging the account is the kernel's
 * (kernel.c's cache_mdl), deciding when is the DMA layer's. Each line maintained costs CPU
 * time (DMS_COST_CACHE_LINE).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw.h"

#define LINES_PER_PAGE (HAL_PAGE_SIZE / HAL_CACHE_LINE)

static bool tracked(const struct dms_machine *m, const struct frame *f)
{
    return m->cfg.noncoherent && f != NULL && m->hw->owners[f->owner].kind == OWNER_BUFFER;
}

/* The lines [off, off+len) of a page touches, as a mask. */
static uint64_t line_mask(uint32_t off, uint32_t len)
{
    uint32_t first = off / HAL_CACHE_LINE;
    uint32_t last = (off + len - 1) / HAL_CACHE_LINE;
    uint32_t n = last - first + 1;

    if (len == 0)
        return 0;
    return (n >= 64 ? UINT64_MAX : ((1ULL << n) - 1)) << first;
}

void cache_frame_added(struct dms_machine *m, struct frame *f)
{
    f->ram = NULL;
    f->dirty = f->stale = 0;
    if (!tracked(m, f) || m->cfg.metadata_only)
        return;
    f->ram = malloc(HAL_PAGE_SIZE);
    if (f->ram != NULL)
        memcpy(f->ram, f->host, HAL_PAGE_SIZE);
}

void cache_frame_removed(struct frame *f)
{
    free(f->ram);
    f->ram = NULL;
}

uint8_t *cache_device_page(struct dms_machine *m, struct frame *f)
{
    (void)m;
    return f->ram != NULL ? f->ram : f->host;
}

/* Copy the lines of mask between the CPU's view and memory. */
static void move_lines(struct frame *f, uint64_t mask, bool to_memory)
{
    if (f->ram == NULL)
        return;
    while (mask != 0) {
        unsigned line = (unsigned)__builtin_ctzll(mask);
        uint32_t at = line * HAL_CACHE_LINE;
        if (to_memory)
            memcpy(f->ram + at, f->host + at, HAL_CACHE_LINE);
        else
            memcpy(f->host + at, f->ram + at, HAL_CACHE_LINE);
        mask &= mask - 1;
    }
}

/* Clean (write dirty lines to memory) or invalidate (drop stale lines, and what the CPU had
 * not cleaned) the lines [off, off+len) of one page touches; returns how many there are. */
uint64_t cache_maintain(struct dms_machine *m, uint64_t pfn, uint32_t off, uint32_t len,
                        bool clean)
{
    struct frame *f = phys_frame(m, pfn);
    uint64_t mask = line_mask(off, len);

    if (tracked(m, f)) {
        if (clean) {
            move_lines(f, f->dirty & mask, true);
            f->dirty &= ~mask;
        } else {
            move_lines(f, f->stale & mask, false);
            f->stale &= ~mask;
            f->dirty &= ~mask; /* an invalidate drops what the CPU had not cleaned */
        }
    }
    return (uint64_t)__builtin_popcountll(mask);
}

/* ---------------------------------------------------------------------------------------------
 * The device side and the CPU side.
 */
uint64_t cache_device_access(struct dms_machine *m, struct frame *f, uint32_t off, uint32_t len,
                             bool to_memory)
{
    uint64_t mask, hit;

    if (!tracked(m, f))
        return 0;
    mask = line_mask(off, len);
    if (to_memory) {
        f->stale |= mask; /* the CPU's cached copy is now old */
        return 0;
    }
    hit = f->dirty & mask;
    return hit ? (uint64_t)__builtin_popcountll(hit) * HAL_CACHE_LINE : 0;
}

void cache_report_device_read(const struct bus_master *d, uint64_t stale_bytes,
                              uint64_t first_addr)
{
    char where[24], whose[120];

    if (stale_bytes == 0)
        return;
    if (d->acct != NULL)
        d->acct->st.stale_bytes_to_device += stale_bytes;
    dms_format_address(first_addr, where);
    dms_describe_address(d->m, first_addr, whose, sizeof(whose));
    hal_finding(d->m, d->acct, "device", DMS_CHECK_STALE_DEVICE_READ, first_addr,
                stale_bytes, 0,
                "device %s read %" PRIu64 " stale bytes from %s (%s): the CPU wrote them but "
                "they were never cleaned from its cache, so the device got memory's old "
                "bytes (MapTransferEx cleans; with MapTransfer or a list, call "
                "KeFlushIoBuffers(Mdl, FALSE, TRUE) before the transfer)",
                d->name, stale_bytes, where, whose);
}

void dms_cpu_wrote(struct dms_machine *m, const void *va, size_t len)
{
    const uint8_t *p = va;

    if (m == NULL || !m->cfg.noncoherent)
        return;
    while (len > 0) {
        uint64_t pfn;
        uint32_t o = (uint32_t)((uintptr_t)p & HAL_PAGE_MASK);
        size_t chunk = HAL_PAGE_SIZE - o < len ? HAL_PAGE_SIZE - o : len;
        struct frame *f = phys_va_to_pfn(m, p, &pfn) ? phys_frame(m, pfn) : NULL;

        if (tracked(m, f))
            f->dirty |= line_mask(o, (uint32_t)chunk);
        p += chunk;
        len -= chunk;
    }
}

uint64_t dms_cpu_read(struct dms_machine *m, const void *va, size_t len)
{
    const uint8_t *p = va;
    uint64_t stale = 0, first = 0;
    struct owner *who = NULL;

    if (m == NULL || !m->cfg.noncoherent)
        return 0;
    while (len > 0) {
        uint64_t pfn = 0;
        uint32_t o = (uint32_t)((uintptr_t)p & HAL_PAGE_MASK);
        size_t chunk = HAL_PAGE_SIZE - o < len ? HAL_PAGE_SIZE - o : len;
        struct frame *f = phys_va_to_pfn(m, p, &pfn) ? phys_frame(m, pfn) : NULL;

        if (tracked(m, f)) {
            uint64_t hit = f->stale & line_mask(o, (uint32_t)chunk);
            if (hit != 0 && stale == 0) {
                first = pfn_to_addr(pfn) + (uint64_t)__builtin_ctzll(hit) * HAL_CACHE_LINE;
                who = &m->hw->owners[f->owner];
            }
            stale += (uint64_t)__builtin_popcountll(hit) * HAL_CACHE_LINE;
        }
        p += chunk;
        len -= chunk;
    }
    if (stale > 0) {
        struct hal_account *acct = who->master != NULL ? who->master->acct : NULL;
        char where[24], whose[120];

        if (acct != NULL)
            acct->st.stale_bytes_to_cpu += stale;
        dms_format_address(first, where);
        dms_describe_address(m, first, whose, sizeof(whose));
        hal_finding(m, acct, "CPU", DMS_CHECK_STALE_CPU_READ, first, stale, 0,
                    "the CPU read %" PRIu64 " stale bytes from %s (%s): a device wrote them "
                    "but the CPU's cache was never invalidated, so it saw the old bytes "
                    "(FlushAdapterBuffersEx invalidates; with MapTransfer or a list, call "
                    "KeFlushIoBuffers(Mdl, TRUE, TRUE) after the transfer)",
                    stale, where, whose);
    }
    return stale;
}
