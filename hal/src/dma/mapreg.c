/*
 * mapreg.c - map registers: the bounce pools behind them, the sets ("map register files") a
 * request is granted, the adapter channel, and the FIFO queues of requests that must wait.
 *
 * The model, after Windows' own: each address limit has one bounce pool (the HAL's master
 * adapter), a contiguous run of pages below the limit shared by every adapter with that
 * limit. A request (AllocateAdapterChannel, GetScatterGatherList, BuildScatterGatherList)
 * first takes its adapter's channel - one holder at a time, waiters in FIFO order - and then
 * its map registers from the pool, waiting in the pool's FIFO queue when too few are free.
 * Strict FIFO: a small request never overtakes a large one that came first, so nobody
 * starves. A device without scatter/gather gets consecutive registers (consecutive physical
 * pages: one contiguous logical range); a scatter/gather master may get any.
 *
 * When resources come free the queue is pumped as scheduled work at DISPATCH_LEVEL, so a
 * waiting ExecutionRoutine runs as its own event, at its own time, never inside the call that
 * freed the registers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dma.h"

/* ---------------------------------------------------------------------------------------------
 * Bounce pools.
 */
static unsigned limit_bits(uint64_t limit)
{
    return limit == UINT64_MAX ? 64 : 64 - (unsigned)__builtin_clzll(limit + 1) - 1;
}

/* pool_get - the bounce pool for an address limit, made on first use: the configured size if
 * that much contiguous memory is free below the limit, else the largest power-of-two fraction
 * of it that is. Returns NULL when not even one page can be had. */
struct bounce_pool *pool_get(struct dms_machine *m, uint64_t limit)
{
    struct bounce_pool *pool;
    uint64_t hi_pfn = limit == UINT64_MAX ? m->hw->top_pfn : addr_to_pfn(limit + 1);
    char label[16];

    for (pool = m->dma->pools; pool != NULL; pool = pool->next)
        if (pool->limit == limit)
            return pool;
    pool = calloc(1, sizeof(*pool));
    if (pool == NULL)
        return NULL;
    snprintf(label, sizeof(label), "%u-bit", limit_bits(limit));
    if (owner_new(m, OWNER_BOUNCE, label, 0, &pool->owner) != 0) {
        free(pool);
        return NULL;
    }
    for (uint64_t pages = addr_to_pfn(m->cfg.bounce_pool_bytes); pages > 0; pages /= 2) {
        pool->host = host_pages_alloc(m, pages);
        if (pool->host == NULL)
            continue;
        if (phys_alloc_contig(m, pool->host, pages, 0, hi_pfn, 0, false, pool->owner,
                              &pool->base_pfn) == 0) {
            pool->pages = (uint32_t)pages;
            break;
        }
        host_pages_free(m, pool->host, pages);
        pool->host = NULL;
    }
    pool->holder = pool->pages ? calloc(pool->pages, sizeof(*pool->holder)) : NULL;
    if (pool->holder == NULL) {
        if (pool->host != NULL) {
            phys_release(m, pool->host, pool->pages);
            host_pages_free(m, pool->host, pool->pages);
        }
        owner_put(m, pool->owner);
        free(pool);
        return NULL;
    }
    if (m->cfg.verifier_dma && !m->cfg.metadata_only) /* the verifier's free registers */
        memset(pool->host, VERIFIER_FILL, (size_t)pool->pages * HAL_PAGE_SIZE);
    m->hw->owners[pool->owner].host = pool->host;
    m->hw->owners[pool->owner].pages = pool->pages;
    m->hw->owners[pool->owner].holders = pool->holder;
    m->hw->owners[pool->owner].first_pfn = pool->base_pfn;
    pool->limit = limit;
    pool->free_pages = pool->pages;
    pool->m = m;
    pool->next = m->dma->pools;
    m->dma->pools = pool;
    return pool;
}

void pool_free(struct bounce_pool *pool)
{
    struct wait_block *wb = pool->wait_head;

    while (wb != NULL) {
        struct wait_block *next = wb->next;
        if (wb->is_sgl && wb->hal_allocated)
            free(wb->buffer); /* a list request still waiting when the machine goes */
        free(wb);
        wb = next;
    }
    host_pages_free(pool->m, pool->host, pool->pages);
    free(pool->holder);
    free(pool);
}

/* The first run of n free consecutive pages, none of it across a multiple of boundary pages
 * of physical address (0: no such rule; the 8237's 64 KiB and 128 KiB). Returns its first
 * page, or UINT32_MAX. */
static uint32_t pool_find_run(const struct bounce_pool *pool, uint32_t n, uint32_t boundary)
{
    uint32_t run = 0;

    for (uint32_t i = 0; i < pool->pages; i++) {
        uint64_t pfn = pool->base_pfn + i;
        if (boundary != 0 && pfn % boundary == 0)
            run = 0; /* a run may not reach across the line */
        run = pool->holder[i] == NULL ? run + 1 : 0;
        if (run == n)
            return i + 1 - n;
    }
    return UINT32_MAX;
}

/* Driver Verifier fills free map registers with 0x0F: one that is not so when granted was
 * written while free - a device that overran, or wrote through a register given back
 * (0xE6/0x0F, P2 3, P3 the address). */
static void verifier_free_check(struct bounce_pool *pool, struct mapreg_file *f, uint32_t n,
                                const char *routine)
{
    for (uint32_t k = 0; k < n; k++) {
        const uint8_t *page = pool->host + (uint64_t)f->regs[k] * HAL_PAGE_SIZE;
        for (uint64_t i = 0; i < HAL_PAGE_SIZE; i++) {
            uint64_t at = pfn_to_addr(pool->base_pfn + f->regs[k]) + i;
            if (page[i] == VERIFIER_FILL)
                continue;
            hal_finding(pool->m, acct(f->ad), routine, DMS_E6_WROTE_OUTSIDE, 3, at, 0,
                        "a free map register was written while nobody held it: its bounce page "
                        "at 0x%llx no longer holds the verifier's 0x0F (0xE6/0x0F)",
                        (unsigned long long)at);
            return;
        }
    }
}

/* Take n pages for f: consecutive ones (first fit) or any (the lowest free). */
static bool pool_take(struct bounce_pool *pool, struct mapreg_file *f, uint32_t n,
                      bool consecutive, uint32_t boundary)
{
    uint32_t got = 0;

    if (n == 0)
        return true; /* an empty set (a request for 0 registers, reported when made) */
    if (pool->free_pages < n)
        return false;
    if (consecutive) {
        uint32_t first = pool_find_run(pool, n, boundary);
        if (first == UINT32_MAX)
            return false;
        for (uint32_t k = 0; k < n; k++)
            f->regs[k] = first + k;
        got = n;
    } else {
        for (uint32_t i = 0; i < pool->pages && got < n; i++)
            if (pool->holder[i] == NULL)
                f->regs[got++] = i;
    }
    for (uint32_t k = 0; k < got; k++)
        pool->holder[f->regs[k]] = &f->ad->dev->bm;
    pool->free_pages -= got;
    return true;
}

/* ---------------------------------------------------------------------------------------------
 * Map register files: one granted set, the MapRegisterBase a driver holds.
 */
static struct mapreg_file *file_new(struct adapter *ad, uint32_t count)
{
    struct mapreg_file *f = ad->spare_files;

    if (f != NULL) {
        ad->spare_files = f->next;
    } else {
        f = calloc(1, sizeof(*f));
        if (f == NULL)
            return NULL;
    }
    if (ad->pool != NULL && count > f->cap_regs) {
        uint32_t *regs = realloc(f->regs, count * sizeof(*regs));
        if (regs == NULL) {
            f->next = ad->spare_files;
            ad->spare_files = f;
            return NULL;
        }
        f->regs = regs;
        f->cap_regs = count;
    }
    f->magic = FILE_MAGIC;
    f->ad = ad;
    f->serial = ++ad->file_serial;
    f->count = count;
    f->held = ad->pool != NULL ? count : 0;
    f->cursor = 0;
    f->n_maps = f->live_maps = 0;
    f->prev = NULL;
    f->next = ad->files;
    if (ad->files != NULL)
        ad->files->prev = f;
    ad->files = f;
    return f;
}

/* file_lookup - the live file behind a MapRegisterBase, or NULL. A NULL base is accepted for
 * an adapter that needs no map registers, as Windows hands such drivers a NULL base. */
struct mapreg_file *file_lookup(struct adapter *ad, PVOID base)
{
    if (base == NULL && !ad->needs_regs) {
        if (ad->implicit == NULL) {
            ad->implicit = file_new(ad, UINT32_MAX);
            if (ad->implicit != NULL)
                ad->implicit->state = FILE_IMPLICIT;
        }
        return ad->implicit;
    }
    for (struct mapreg_file *f = ad->files; f != NULL; f = f->next)
        if (f == base)
            return f;
    return NULL;
}

static void pool_pump(void *arg);

static void schedule_pool_pump(struct bounce_pool *pool)
{
    if (pool->wait_head != NULL && !pool->pump_scheduled) {
        pool->pump_scheduled = true;
        hal_schedule(pool->m, DISPATCH_LEVEL, pool_pump, pool);
    }
}

/* mapping_direct - delta live direct mappings on each of the pages frames from first_pfn (a
 * direct mapping is one physically consecutive run): a frame with one may be touched by a
 * device (hw/physmem.c). A frame given back meanwhile (its buffer freed) is skipped. */
void mapping_direct(struct dms_machine *m, uint64_t first_pfn, uint32_t pages, int delta)
{
    for (uint32_t i = 0; i < pages; i++) {
        struct frame *fr = phys_frame(m, first_pfn + i);
        if (fr != NULL && (delta > 0 || fr->dma_maps > 0))
            fr->dma_maps += delta;
    }
}

/* range_pin - the MDLs [off, off+len) of mdl lies in (the first two: a range across more is
 * a device without scatter/gather mapping a long chain) stay allocated while a mapping or a
 * queued list request uses them, so the HAL never reads a freed MDL. */
void range_pin(struct dms_machine *m, PMDL mdl, uint64_t off, uint64_t len,
               struct mdl_node *pin[2])
{
    for (unsigned k = 0; mdl != NULL && len > 0 && k < 2; mdl = mdl->Next) {
        if (off >= mdl->ByteCount) {
            off -= mdl->ByteCount;
            continue;
        }
        pin[k++] = mdl_pin(m, mdl);
        len -= mdl->ByteCount - off < len ? mdl->ByteCount - off : len;
        off = 0;
    }
}

void range_unpin(struct mdl_node *pin[2])
{
    for (unsigned k = 0; k < 2; k++) {
        mdl_unpin(pin[k]);
        pin[k] = NULL;
    }
}

uint64_t remap_pages_in(struct adapter *ad, const char *routine, const uint64_t *pfns,
                        uint32_t n, uint64_t lo, uint64_t hi)
{
    uint64_t iova, top = hi < ad->max_address ? hi : ad->max_address;
    uint64_t last_pfn = top == UINT64_MAX ? addr_to_pfn(top) : addr_to_pfn(top + 1) - 1;
    int err = top < HAL_PAGE_MASK || lo > UINT64_MAX - HAL_PAGE_MASK
                  ? DMS_ENOSPC
                  : iommu_map(ad->dev->bm.dom, pfns, n, addr_to_pfn(lo + HAL_PAGE_MASK),
                              last_pfn, &iova);

    if (err != 0) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_MISC, 2, n, 0,
                    "%s: the IOMMU domain of %s has no %u free IOVA page(s) below its reach "
                    "(0x%llx)", routine, ad->dev->name, n, (unsigned long long)top);
        return UINT64_MAX;
    }
    for (uint32_t i = 0; i < n; i++) { /* the device may reach these frames now */
        struct frame *fr = phys_frame(ad->m, pfns[i]);
        if (fr != NULL)
            fr->dma_maps++;
    }
    hal_charge(ad->m, DMS_COST_IOMMU_MAP_PAGE, n, ad->acct.id);
    return iova;
}

uint64_t remap_pages(struct adapter *ad, const char *routine, const uint64_t *pfns, uint32_t n)
{
    return remap_pages_in(ad, routine, pfns, n, 0, UINT64_MAX);
}

void remap_undo(struct adapter *ad, uint64_t iova_pfn, uint32_t n)
{
    struct iommu_domain *dom = ad->dev->bm.dom;

    for (uint32_t i = 0; i < n; i++) {
        uint64_t pfn;
        struct frame *fr;
        if (iommu_translate(dom, iova_pfn + i, &pfn) && (fr = phys_frame(ad->m, pfn)) != NULL &&
            fr->dma_maps > 0)
            fr->dma_maps--;
    }
    hal_charge(ad->m, DMS_COST_IOMMU_UNMAP_PAGE, n, ad->acct.id);
    if (!ad->m->cfg.iommu_deferred) {
        iommu_unmap(dom, iova_pfn, n);
        iotlb_drop(ad->m, iommu_domain_id(dom), iova_pfn, n);
        hal_charge(ad->m, DMS_COST_IOTLB_INVALIDATE, 1, ad->acct.id); /* strict: every unmap */
        return;
    }
    /* deferred: one invalidation for a batch, at IOMMU_FLUSH_BATCH waiting or after
     * IOMMU_FLUSH_NS (Linux's flush queue: 250 entries or 10 ms) */
    uint64_t now = hal_now(ad->m);
    if (iommu_unmap_deferred(dom, iova_pfn, n, now) >= IOMMU_FLUSH_BATCH ||
        now - iommu_pending_since(dom) >= IOMMU_FLUSH_NS) {
        iommu_flush(dom);
        iotlb_drop(ad->m, iommu_domain_id(dom), 0, 0);
        hal_charge(ad->m, DMS_COST_IOTLB_INVALIDATE, 1, ad->acct.id);
    }
}

/* unmap_discard - drop every live mapping of f without copying anything back. */
void unmap_discard(struct mapreg_file *f)
{
    for (uint32_t i = 0; i < f->n_maps; i++) {
        struct mapping *mp = &f->maps[i];
        if (!mp->live)
            continue;
        if (mp->remapped)
            remap_undo(f->ad, mp->iova_pfn, mp->nregs);
        else if (mp->reason == DMS_BOUNCE_NONE)
            mapping_direct(f->ad->m, mp->first_pfn, mp->nregs, -1);
        range_unpin(mp->pin);
        mp->live = 0;
        f->live_maps--;
    }
    f->n_maps = 0;
    f->cursor = 0;
}

/* file_release - give a file's registers back. Mappings still live are Driver Verifier's 0x10
 * (map registers freed while some are still mapped): their bounced data is dropped, as it
 * would be on Windows. */
void file_release(struct mapreg_file *f, const char *routine)
{
    struct adapter *ad = f->ad;
    struct dms_event ev = {.type = DMS_EV_MAPREG_FREE, .routine = routine, .count = f->held};

    if (ad->pool != NULL && f->count > 0)
        ev.map_register = f->regs[0]; /* for traces: which registers went back */
    if (f->live_maps > 0) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_FREE_WHILE_MAPPED, f->live_maps, 0, 0,
                    "%s freed map registers while %u mapping(s) were not flushed with "
                    "FlushAdapterBuffers", routine, f->live_maps);
        unmap_discard(f);
    }
    if (ad->pool != NULL && f->state != FILE_IMPLICIT) {
        bool refill = ad->m->cfg.verifier_dma && !ad->m->cfg.metadata_only;
        for (uint32_t k = 0; k < f->count; k++) {
            ad->pool->holder[f->regs[k]] = NULL;
            if (refill)
                memset(ad->pool->host + (uint64_t)f->regs[k] * HAL_PAGE_SIZE, VERIFIER_FILL,
                       HAL_PAGE_SIZE);
        }
        ad->pool->free_pages += f->count;
    }
    hal_emit(ad->m, acct(ad), &ev);
    hal_charge(ad->m, DMS_COST_MAPREG_FREE, f->held, ad->acct.id);
    if (f->prev != NULL)
        f->prev->next = f->next;
    else
        ad->files = f->next;
    if (f->next != NULL)
        f->next->prev = f->prev;
    if (ad->implicit == f)
        ad->implicit = NULL;
    f->magic = 0;
    f->next = ad->spare_files;
    ad->spare_files = f;
    if (ad->pool != NULL)
        schedule_pool_pump(ad->pool);
}

/* ---------------------------------------------------------------------------------------------
 * Requests: channel, then registers, then the driver's routine.
 */
static void chan_pump(void *arg);

void channel_release(struct adapter *ad)
{
    if (ad->channel_busy)
        ad->channels_freed++;
    ad->channel_busy = false;
    ad->channel_sgl_held = false;
    ad->channel_file = NULL;
    ad->holder_tctx = NULL;
    if (ad->chan_head != NULL && !ad->chan_pump_scheduled) {
        ad->chan_pump_scheduled = true;
        hal_schedule(ad->m, DISPATCH_LEVEL, chan_pump, ad);
    }
}

static void run_execution_routine(struct wait_block *wb, struct mapreg_file *f)
{
    struct adapter *ad = wb->ad;
    struct device *d = device_of(wb->devobj);
    struct dms_event ev = {.type = DMS_EV_CALLBACK, .routine = "AdapterControl"};
    KIRQL saved = ad->m->irql;
    IO_ALLOCATION_ACTION action;

    if (wb->no_routine) {
        /* DMA_SYNCHRONOUS_CALLBACK without a routine: the caller gets the base and holds the
         * adapter until FreeAdapterObject or FreeAdapterChannel. */
        f->state = FILE_WITH_CHANNEL;
        ad->channel_file = f;
        *wb->base_out = f;
        if (wb->tctx != NULL)
            tctx_done(wb->tctx);
        return;
    }
    /* d is NULL only for a version-3 request made with something that is no device object
     * (reported when it was made): the routine gets that pointer back, and no IRP. */
    if (wb->tctx == NULL)
        d->channel_request_pending = false;
    if (d != NULL)
        d->in_adapter_control++;
    f->state = FILE_IN_CALLBACK;
    hal_emit(ad->m, acct(ad), &ev);
    ad->m->irql = DISPATCH_LEVEL; /* AdapterControl runs at DISPATCH_LEVEL */
    action = wb->exec(wb->devobj, d != NULL ? d->obj->CurrentIrp : NULL, f, wb->ctx);
    ad->m->irql = saved;
    if (d != NULL)
        d->in_adapter_control--;
    if (wb->tctx != NULL)
        tctx_done(wb->tctx); /* the allocation request is over: the context is free again */
    if (!ad->master && action != KeepObject)
        hal_finding(ad->m, acct(ad), "AdapterControl", DMS_CHECK_BAD_ARGUMENT, (uint64_t)action, 0,
                    0, "the ExecutionRoutine of a system DMA device returned %d; it must "
                    "return KeepObject (the channel stays with the transfer)", (int)action);
    switch (action) {
    case KeepObject:
        f->state = FILE_WITH_CHANNEL;
        ad->channel_file = f;
        return;
    case DeallocateObjectKeepRegisters:
        f->state = FILE_KEPT;
        channel_release(ad);
        return;
    case DeallocateObject:
        break;
    default:
        hal_finding(ad->m, acct(ad), "AdapterControl", DMS_CHECK_BAD_ARGUMENT, (uint64_t)action,
                    0, 0, "the ExecutionRoutine returned %d, which is no IO_ALLOCATION_ACTION; "
                    "treated as DeallocateObject", (int)action);
        break;
    }
    /* DeallocateObject: the registers go now. Without real registers behind them (a master
     * that reaches all memory) live mappings are no error: they are tracked until flushed. */
    if (!ad->needs_regs && f->live_maps > 0)
        f->state = FILE_ORPHAN;
    else
        file_release(f, "DeallocateObject");
    channel_release(ad);
}

struct wait_block *wb_new(struct adapter *ad)
{
    struct wait_block *wb = ad->spare_wbs;

    if (wb == NULL)
        wb = calloc(1, sizeof(*wb));
    else
        ad->spare_wbs = wb->next;
    if (wb == NULL)
        return NULL;
    memset(wb, 0, sizeof(*wb));
    if (ad->m->plat.context_get != NULL)
        wb->context = ad->m->plat.context_get(ad->m->plat.ctx);
    return wb;
}

struct wait_block *wb_channel(struct adapter *ad, const char *routine, PDEVICE_OBJECT dev,
                              ULONG nregs, PDRIVER_CONTROL exec, PVOID ctx)
{
    struct wait_block *wb = wb_new(ad);

    if (wb == NULL)
        return NULL;
    wb->ad = ad;
    wb->routine = routine;
    wb->devobj = dev;
    wb->nregs = nregs;
    wb->exec = exec;
    wb->ctx = ctx;
    return wb;
}

void wb_free(struct wait_block *wb)
{
    wb->next = wb->ad->spare_wbs;
    wb->ad->spare_wbs = wb;
}

/* Driver Verifier's count of an adapter's map registers: a channel grant that leaves it
 * holding more than IoGetDmaAdapter's maximum, with the registers of earlier grants it kept
 * (DeallocateObjectKeepRegisters) and never freed, is 0xE6/0x15 (P2 allocated, P3 max).
 * Lists are apart: several may be outstanding, each within the maximum. */
static void verifier_count_check(struct adapter *ad, const struct mapreg_file *now,
                                 const char *routine)
{
    uint64_t held = 0;

    for (const struct mapreg_file *f = ad->files; f != NULL; f = f->next)
        if (f->state != FILE_SGL && f->state != FILE_ORPHAN && f->state != FILE_IMPLICIT)
            held += f->count;
    if (held > ad->max_regs)
        hal_finding(ad->m, acct(ad), routine, DMS_E6_TOO_MANY_MAP_REGISTERS_ALLOCATED, held,
                    ad->max_regs, 0,
                    "%s granted %u map registers, and the adapter now holds %llu, more than "
                    "the %u IoGetDmaAdapter allows: registers kept from earlier grants "
                    "(DeallocateObjectKeepRegisters) were never freed with FreeMapRegisters",
                    routine, (unsigned)now->count, (unsigned long long)held,
                    (unsigned)ad->max_regs);
}

/* Was base a map register file of ad's that has been freed (and not handed out again)? */
bool file_was_freed(const struct adapter *ad, PVOID base)
{
    for (const struct mapreg_file *f = ad->spare_files; f != NULL; f = f->next)
        if (f == base)
            return base != NULL;
    return false;
}

static void grant(struct wait_block *wb)
{
    struct adapter *ad = wb->ad;
    struct mapreg_file *f = file_new(ad, wb->nregs);
    struct dms_event ev = {.type = DMS_EV_MAPREG_GRANT};
    bool consecutive = !ad->sg;
    const struct dms_platform *plat = &ad->m->plat;
    uint64_t saved = plat->context_get != NULL ? plat->context_get(plat->ctx) : 0;

    if (f == NULL)
        abort(); /* the file was pre-checked to fit; only host memory can fail here */
    if (ad->pool != NULL && !pool_take(ad->pool, f, wb->nregs, consecutive, ad->boundary_pages))
        abort(); /* callers grant only what can_grant() allowed */
    if (ad->pool != NULL && ad->m->cfg.verifier_dma && !ad->m->cfg.metadata_only)
        verifier_free_check(ad->pool, f, wb->nregs, wb->routine);
    ev.routine = wb->routine;
    ev.count = f->held;
    ev.wait_ns = wb->waited ? hal_now(ad->m) - wb->enqueue_ns : 0;
    if (ad->pool != NULL && wb->nregs > 0) {
        ev.map_register = f->regs[0];
        ev.physical = pfn_to_addr(ad->pool->base_pfn + f->regs[0]);
    }
    if (plat->context_set != NULL)
        plat->context_set(plat->ctx, wb->context);
    if (wb->tctx != NULL)
        tctx_granted(wb->tctx);
    hal_emit(ad->m, acct(ad), &ev);
    hal_charge(ad->m, DMS_COST_MAPREG_ALLOC, f->held, ad->acct.id);
    if (wb->granted == NULL && ad->m->cfg.verifier_dma)
        verifier_count_check(ad, f, wb->routine);
    if (wb->granted != NULL)
        wb->granted(wb, f);
    else
        run_execution_routine(wb, f);
    wb_free(wb);
    if (plat->context_set != NULL)
        plat->context_set(plat->ctx, saved);
}

static bool can_grant(struct adapter *ad, uint32_t n)
{
    struct bounce_pool *pool = ad->pool;

    if (pool == NULL || n == 0)
        return true;
    if (pool->free_pages < n)
        return false;
    if (ad->sg)
        return true;
    return pool_find_run(pool, n, ad->boundary_pages) != UINT32_MAX;
}

static void enqueue(struct wait_block **head, struct wait_block **tail, struct wait_block *wb)
{
    wb->next = NULL;
    if (*tail != NULL)
        (*tail)->next = wb;
    else
        *head = wb;
    *tail = wb;
}

static struct wait_block *dequeue(struct wait_block **head, struct wait_block **tail)
{
    struct wait_block *wb = *head;

    *head = wb->next;
    if (*head == NULL)
        *tail = NULL;
    return wb;
}

static void note_wait(struct wait_block *wb, enum dms_event_type type)
{
    struct dms_event ev = {.type = type, .count = wb->nregs};

    if (wb->waited)
        return;
    wb->waited = true;
    ev.routine = wb->routine;
    hal_emit(wb->ad->m, acct(wb->ad), &ev);
}

/* The request holds the channel: take registers now, or queue in FIFO order behind others. */
static void try_registers(struct wait_block *wb)
{
    struct adapter *ad = wb->ad;
    struct bounce_pool *pool = ad->pool;

    if (pool != NULL && wb->nregs > 0 && (pool->wait_head != NULL || !can_grant(ad, wb->nregs))) {
        enqueue(&pool->wait_head, &pool->wait_tail, wb);
        note_wait(wb, DMS_EV_MAPREG_WAIT);
        return;
    }
    grant(wb);
}

/* request_submit - start a request: runs its routine before returning when everything is
 * free, else queues it. Called at DISPATCH_LEVEL. */
void request_submit(struct wait_block *wb)
{
    struct adapter *ad = wb->ad;

    wb->enqueue_ns = hal_now(ad->m);
    if (ad->channel_busy || ad->chan_head != NULL) {
        enqueue(&ad->chan_head, &ad->chan_tail, wb);
        note_wait(wb, DMS_EV_CHANNEL_WAIT);
        return;
    }
    ad->channel_busy = true;
    ad->channels_allocated++;
    try_registers(wb);
}

bool request_now(struct wait_block *wb)
{
    struct adapter *ad = wb->ad;
    struct bounce_pool *pool = ad->pool;

    if (ad->channel_busy || ad->chan_head != NULL)
        return false;
    if (pool != NULL && wb->nregs > 0 && (pool->wait_head != NULL || !can_grant(ad, wb->nregs)))
        return false;
    wb->enqueue_ns = hal_now(ad->m);
    ad->channel_busy = true;
    ad->channels_allocated++;
    grant(wb);
    return true;
}

static bool unlink_from(struct wait_block **head, struct wait_block **tail,
                        struct wait_block *wb)
{
    struct wait_block *prev = NULL;

    for (struct wait_block *p = *head; p != NULL; prev = p, p = p->next) {
        if (p != wb)
            continue;
        if (prev != NULL)
            prev->next = p->next;
        else
            *head = p->next;
        if (*tail == p)
            *tail = prev;
        return true;
    }
    return false;
}

bool request_unqueue(struct wait_block *wb)
{
    struct adapter *ad = wb->ad;

    if (unlink_from(&ad->chan_head, &ad->chan_tail, wb))
        return true;
    if (ad->pool != NULL && unlink_from(&ad->pool->wait_head, &ad->pool->wait_tail, wb)) {
        /* it held the channel while it waited for registers */
        channel_release(ad);
        schedule_pool_pump(ad->pool);
        return true;
    }
    return false;
}

static void chan_pump(void *arg)
{
    struct adapter *ad = arg;

    ad->chan_pump_scheduled = false;
    while (!ad->channel_busy && ad->chan_head != NULL) {
        struct wait_block *wb = dequeue(&ad->chan_head, &ad->chan_tail);
        ad->channel_busy = true;
    ad->channels_allocated++;
        try_registers(wb);
    }
}

static void pool_pump(void *arg)
{
    struct bounce_pool *pool = arg;

    pool->pump_scheduled = false;
    while (pool->wait_head != NULL && can_grant(pool->wait_head->ad, pool->wait_head->nregs))
        grant(dequeue(&pool->wait_head, &pool->wait_tail));
}

/* ---------------------------------------------------------------------------------------------
 * The version-1 routines.
 */

/* registers_allowed - no request may ask for more map registers than IoGetDmaAdapter granted
 * (0xE6/0x0C otherwise). */
bool registers_allowed(struct adapter *ad, const char *routine, ULONG n)
{
    if (n == 0 && ad->needs_regs)
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, ad->max_regs, 0,
                    "%s asked for 0 map registers on an adapter that needs them: a transfer "
                    "maps at least one page (ADDRESS_AND_SIZE_TO_SPAN_PAGES); the request gets "
                    "an empty set, and MapTransfer on it maps nothing", routine);
    if (n <= ad->max_regs)
        return true;
    hal_finding(ad->m, acct(ad), routine, DMS_E6_TOO_MANY_MAP_REGISTERS, n, ad->max_regs, 0,
                "%s asked for %u map registers; IoGetDmaAdapter granted %u", routine, n,
                ad->max_regs);
    return false;
}

/* AllocateAdapterChannel - reserve the channel and NumberOfMapRegisters registers, then call
 * ExecutionRoutine at once or when they come free. STATUS_INSUFFICIENT_RESOURCES, with the
 * routine neither called nor queued, when more registers are asked than IoGetDmaAdapter
 * granted, or when this device object already has a request outstanding. */
NTSTATUS hal_AllocateAdapterChannel(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                    ULONG NumberOfMapRegisters, PDRIVER_CONTROL ExecutionRoutine,
                                    PVOID Context)
{
    static const char routine[] = "AllocateAdapterChannel";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct device *d = device_of(DeviceObject);
    struct wait_block *wb;

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_DISPATCH);
    if (d == NULL || ExecutionRoutine == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s needs a DeviceObject and an ExecutionRoutine", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (!registers_allowed(ad, routine, NumberOfMapRegisters) ||
        hal_fault(ad->m, acct(ad), DMS_FAULT_MAP_REGISTERS))
        return STATUS_INSUFFICIENT_RESOURCES;
    if (d->in_adapter_control > 0 || d->channel_request_pending) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_TOO_MANY_CHANNELS, 2, 0, 0,
                    "%s called %s; only one request may be outstanding per device object",
                    routine, d->in_adapter_control > 0 ? "from inside AdapterControl"
                                                       : "while an earlier request waits");
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    wb = wb_channel(ad, routine, DeviceObject, NumberOfMapRegisters, ExecutionRoutine, Context);
    if (wb == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    d->channel_request_pending = true;
    request_submit(wb);
    return STATUS_SUCCESS;
}

/* FreeAdapterChannel - for a routine that returned KeepObject: release the channel and the
 * registers allocated with it. Anything else is 0xE6/0x04 (too many channels freed). */
VOID hal_FreeAdapterChannel(PDMA_ADAPTER DmaAdapter)
{
    static const char routine[] = "FreeAdapterChannel";
    struct adapter *ad = adapter_get(DmaAdapter, routine);

    if (ad == NULL)
        return;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_DISPATCH);
    if (ad->channel_file == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_CHANNEL_DOUBLE_FREE, 1, 0, 0,
                    "%s without an adapter channel kept by KeepObject", routine);
        return;
    }
    file_release(ad->channel_file, routine);
    channel_release(ad);
}

/* FreeMapRegisters - for a routine that returned DeallocateObjectKeepRegisters, after
 * FlushAdapterBuffers. A base that is not live is 0xE6/0x05 (freed twice, or never had). */
VOID hal_FreeMapRegisters(PDMA_ADAPTER DmaAdapter, PVOID MapRegisterBase,
                          ULONG NumberOfMapRegisters)
{
    static const char routine[] = "FreeMapRegisters";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct mapreg_file *f;

    if (ad == NULL)
        return;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_DISPATCH);
    f = MapRegisterBase != NULL ? file_lookup(ad, MapRegisterBase) : NULL;
    if (f == NULL || f->state == FILE_IMPLICIT) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_MAPREG_DOUBLE_FREE, NumberOfMapRegisters, 0, 0,
                    "%s of %u register(s) at a MapRegisterBase that holds none (freed twice?)",
                    routine, NumberOfMapRegisters);
        return;
    }
    if (f->state != FILE_KEPT) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_FREE_MISMATCH, NumberOfMapRegisters,
                    f->count, f->state,
                    "%s of registers that %s", routine,
                    f->state == FILE_WITH_CHANNEL ? "were kept with the channel (KeepObject): "
                                                    "FreeAdapterChannel frees them"
                    : f->state == FILE_SGL        ? "belong to a scatter/gather list"
                                                  : "are still in use by AdapterControl");
        return;
    }
    if (NumberOfMapRegisters != f->count)
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_FREE_MISMATCH, NumberOfMapRegisters,
                    f->count, 0, "%s of %u register(s); AllocateAdapterChannel allocated %u",
                    routine, NumberOfMapRegisters, f->count);
    file_release(f, routine);
}
