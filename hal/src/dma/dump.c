/*
 * dump.c - the machine's DMA adapters in the layout of the debugger's !dma (dmasim dma):
 * with no adapter, the list of adapters and their owners; per adapter, its master adapter (the
 * bounce pool behind its map registers), the registers mapped / allocated / at most, and the
 * verifier's counters; with flags, the map register files and what each register maps (0x2),
 * the common buffers (0x4), the scatter/gather lists (0x8), the device description (0x10)
 * and the requests waiting (0x20, the wait context blocks).
 *
 * Where !dma prints a kernel address, dmasim prints a number that is the same on every run of
 * a scenario and seed (a report is byte for byte repeatable; host addresses are not): an
 * adapter is its id, a map register file (what the driver holds as MapRegisterBase), a list
 * and a common buffer their serial number on their adapter, a master adapter its address
 * limit. Where !dma prints the system virtual address a register maps, dmasim prints the
 * logical address the device is given. Numbers are hex without 0x, as in !dma's own output.
 * docs/driver-guide.md describes the format.
 *
 * A hand-written format writer: the layout is the debugger's, not a serialisation format any
 * library writes.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dma.h"

/* The driver whose stack the adapter's device is in: the top one's name, without "\Driver\". */
static const char *owner(const struct adapter *ad)
{
    const struct device *d = ad->dev;
    const char *name;

    while (d->upper != NULL)
        d = d->upper;
    if (d->drv == NULL)
        return "dmasim-bus";
    name = d->drv->name;
    return strncmp(name, "\\Driver\\", 8) == 0 ? name + 8 : name;
}

static uint32_t mapped_registers(const struct mapreg_file *f)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < f->n_maps; i++)
        n += f->maps[i].live ? f->maps[i].nregs : 0;
    return n;
}

static uint64_t bytes_mapped(const struct adapter *ad)
{
    uint64_t n = 0;

    for (const struct mapreg_file *f = ad->files; f != NULL; f = f->next)
        for (uint32_t i = 0; i < f->n_maps; i++)
            n += f->maps[i].live ? f->maps[i].length : 0;
    return n;
}

/* The number of the adapter's first waiting request, as flag 0x20 numbers them: 1, or 0 when
 * none waits (for the channel, or for registers of the pool). */
static uint32_t first_waiting(const struct adapter *ad)
{
    if (ad->chan_head != NULL)
        return 1;
    if (ad->pool != NULL)
        for (const struct wait_block *wb = ad->pool->wait_head; wb != NULL; wb = wb->next)
            if (wb->ad == ad)
                return 1;
    return 0;
}

static void generic(FILE *out, const struct adapter *ad)
{
    uint64_t in_use = ad->acct.st.map_registers_in_use, mapped = 0;
    const struct dms_adapter_stats *st = &ad->acct.st;

    for (const struct mapreg_file *f = ad->files; f != NULL; f = f->next)
        mapped += mapped_registers(f);
    fprintf(out, "Adapter: %08" PRIx32 "     Owner: %s!IoGetDmaAdapter (%s)\n", ad->acct.id,
            owner(ad), ad->dev->name);
    fprintf(out, " MasterAdapter:       %08" PRIx64 "\n",
            ad->pool != NULL ? ad->pool->limit : (uint64_t)0);
    fprintf(out, "   Map register base:   %08" PRIx32 "\n",
            ad->channel_file != NULL ? ad->channel_file->serial : 0);
    fprintf(out, " WCB:                 %08" PRIx32 "\n", first_waiting(ad));
    fprintf(out, "   Map registers: %08" PRIx64 " mapped, %08" PRIx64 " allocated, %08" PRIx32
            " max\n", mapped, in_use, (uint32_t)ad->max_regs);
    fprintf(out, "\n   Dma verifier additional information:\n");
    fprintf(out, "   DeviceObject: %s\n", ad->dev->name);
    fprintf(out, "   Map registers:        %08" PRIx64 " allocated, %08" PRIx64 " freed\n",
            st->map_registers_granted, st->map_registers_granted - in_use);
    fprintf(out, "   Scatter-gather lists: %08" PRIx64 " allocated, %08" PRIx64 " freed\n",
            st->sg_lists_built, st->sg_lists_built - st->sg_lists_outstanding);
    fprintf(out, "   Common buffers:       %08" PRIx64 " allocated, %08" PRIx64 " freed\n",
            ad->commons_allocated, ad->commons_allocated - st->common_buffers);
    fprintf(out, "   Adapter channels:     %08" PRIx64 " allocated, %08" PRIx64 " freed\n",
            ad->channels_allocated, ad->channels_freed);
    fprintf(out, "   Bytes mapped since last flush: %08" PRIx64 "\n", bytes_mapped(ad));
}

/* Each register of a live mapping: the bytes of it that map the range, at its logical page. */
static void registers(FILE *out, const struct mapreg_file *f)
{
    uint32_t n = f->count == UINT32_MAX ? 0 : f->count;

    for (uint32_t r = 0; r < n; r++) {
        const struct mapping *mp = NULL;

        for (uint32_t i = 0; i < f->n_maps && mp == NULL; i++)
            if (f->maps[i].live && r >= f->maps[i].first_reg &&
                r < f->maps[i].first_reg + f->maps[i].nregs)
                mp = &f->maps[i];
        if (mp == NULL) {
            fprintf(out, "        %08" PRIx32 ": Not mapped\n", r);
            continue;
        }
        uint32_t k = r - mp->first_reg;
        uint64_t start = k == 0 ? 0 : (uint64_t)k * HAL_PAGE_SIZE - mp->bounce_offset;
        uint64_t end = (uint64_t)(k + 1) * HAL_PAGE_SIZE - mp->bounce_offset;
        uint64_t bytes = (end < mp->length ? end : mp->length) - start;
        fprintf(out, "        %08" PRIx32 ": %04" PRIx64 " bytes mapped to %" PRIx64 "%s\n", r,
                bytes, mp->logical + start, mp->reason != DMS_BOUNCE_NONE ? " (bounced)" : "");
    }
}

static void files(FILE *out, const struct adapter *ad)
{
    for (const struct mapreg_file *f = ad->files; f != NULL; f = f->next) {
        if (f->state == FILE_IMPLICIT)
            continue;
        fprintf(out, "\n  Map register file %08" PRIx32 " (%" PRIu32 "/%" PRIu32 " mapped)%s\n",
                f->serial, mapped_registers(f), f->count,
                f->state == FILE_SGL ? ", a scatter/gather list's" : "");
        if (ad->pool != NULL && f->held > 0 && ad->verified) /* the verifier's own buffer */
            fprintf(out, "     Double buffer mdl: over the registers' bounce pages, %" PRIx64
                    " and on (the pool up to %" PRIx64 ")\n",
                    pfn_to_addr(ad->pool->base_pfn + f->regs[0]), ad->pool->limit);
        else if (ad->pool != NULL && f->held > 0)
            fprintf(out, "     Its registers' bounce pages: %" PRIx64 " and on (the pool up to "
                    "%" PRIx64 ")\n",
                    pfn_to_addr(ad->pool->base_pfn + f->regs[0]), ad->pool->limit);
        fprintf(out, "     Map registers:\n");
        registers(out, f);
    }
}

static void commons(FILE *out, const struct adapter *ad)
{
    for (const struct common_buffer *cb = ad->commons; cb != NULL; cb = cb->next)
        fprintf(out, "\n   Common buffer %08" PRIx32 " allocated by %s!AllocateCommonBuffer:\n"
                     "      Length:           %" PRIx32 "\n"
                     "      Logical address:  %" PRIx64 "\n"
                     "      Physical address: %" PRIx64 "\n",
                cb->serial, owner(ad), (uint32_t)cb->length, cb->logical,
                pfn_to_addr(cb->base_pfn));
}

static void lists(FILE *out, const struct adapter *ad)
{
    for (const struct sgl_priv *p = ad->sgls; p != NULL; p = p->next) {
        fprintf(out, "\n   Scatter/gather list %08" PRIx32 " (%s, %" PRIx32 " bytes, %s):\n",
                p->serial, p->hal_allocated ? "GetScatterGatherList" : "in the driver's buffer",
                (uint32_t)p->length, p->write ? "to the device" : "from the device");
        for (ULONG i = 0; i < p->elements; i++) {
            const struct mapping *mp = i < p->file->n_maps ? &p->file->maps[i] : NULL;
            if (mp != NULL)
                fprintf(out, "      %08" PRIx64 " %08" PRIx32 "%s\n", mp->logical, mp->length,
                        mp->reason != DMS_BOUNCE_NONE ? " (bounced)" : "");
        }
    }
}

static void description(FILE *out, const struct adapter *ad)
{
    const DEVICE_DESCRIPTION *d = &ad->desc;

    fprintf(out, "\n   Device description:\n"
                 "      Version:           %" PRIx32 "\n"
                 "      Master:            %u\n"
                 "      ScatterGather:     %u\n"
                 "      Dma32BitAddresses: %u\n"
                 "      Dma64BitAddresses: %u\n"
                 "      InterfaceType:     %d\n"
                 "      DmaWidth:          %d\n"
                 "      DmaChannel:        %" PRIx32 "\n"
                 "      MaximumLength:     %" PRIx32 "\n",
            (uint32_t)d->Version, d->Master, d->ScatterGather, d->Dma32BitAddresses,
            d->Dma64BitAddresses, (int)d->InterfaceType, (int)d->DmaWidth,
            (uint32_t)d->DmaChannel, (uint32_t)d->MaximumLength);
    if (d->Version == DEVICE_DESCRIPTION_VERSION3)
        fprintf(out, "      DmaAddressWidth:   %" PRIx32 "\n"
                     "      DmaRequestLine:    %" PRIx32 "\n",
                (uint32_t)d->DmaAddressWidth, (uint32_t)d->DmaRequestLine);
}

static void waiting(FILE *out, const struct adapter *ad, uint64_t now)
{
    uint32_t n = 0;

    for (const struct wait_block *wb = ad->chan_head; wb != NULL; wb = wb->next)
        fprintf(out, "\n   Wait context block %08" PRIx32 ": %s for the adapter channel, %"
                PRIx32 " map registers, waiting %" PRIu64 " ns\n", ++n, wb->routine,
                (uint32_t)wb->nregs, now - wb->enqueue_ns);
    if (ad->pool != NULL)
        for (const struct wait_block *wb = ad->pool->wait_head; wb != NULL; wb = wb->next)
            if (wb->ad == ad)
                fprintf(out, "\n   Wait context block %08" PRIx32 ": %s for %" PRIx32
                        " map registers of the pool, waiting %" PRIu64 " ns\n", ++n,
                        wb->routine, (uint32_t)wb->nregs, now - wb->enqueue_ns);
}

int dms_dma_dump(struct dms_machine *m, uint32_t adapter, unsigned flags, FILE *out)
{
    struct hal_dma *dma = m->dma;
    bool found = false;

    if (adapter == DMS_DMA_DUMP_LIST) {
        fprintf(out, "Dumping all DMA adapters...\n\n");
        for (uint32_t i = 0; i < dma->n_adapters; i++) {
            const struct adapter *ad = dma->adapters[i];
            if (!ad->released)
                fprintf(out, "Adapter: %08" PRIx32 "     Owner: %s!IoGetDmaAdapter (%s)\n",
                        ad->acct.id, owner(ad), ad->dev->name);
        }
        for (const struct bounce_pool *p = dma->pools; p != NULL; p = p->next)
            fprintf(out, "Master adapter: %08" PRIx64 " (%" PRIx32 " map registers, %" PRIx32
                    " free)\n", p->limit, p->pages, p->free_pages);
        return 0;
    }
    for (uint32_t i = 0; i < dma->n_adapters; i++) {
        const struct adapter *ad = dma->adapters[i];
        if (ad->released || (adapter != 0 && ad->acct.id != adapter))
            continue;
        if (found)
            fputc('\n', out);
        found = true;
        generic(out, ad);
        if (flags & DMS_DMA_DUMP_MAP_REGISTERS)
            files(out, ad);
        if (flags & DMS_DMA_DUMP_COMMON_BUFFERS)
            commons(out, ad);
        if (flags & DMS_DMA_DUMP_SG_LISTS)
            lists(out, ad);
        if (flags & DMS_DMA_DUMP_DESCRIPTION)
            description(out, ad);
        if (flags & DMS_DMA_DUMP_WAITING)
            waiting(out, ad, hal_now(m));
    }
    return found || adapter == 0 ? 0 : DMS_EINVAL;
}

/* ---------------------------------------------------------------------------------------------
 * Where a request the driver never completed stopped (dms_irp_whereabouts).
 */
struct text {
    char *p;
    size_t len, at;
};

static void say(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->at >= t->len)
        return;
    va_start(ap, fmt);
    n = vsnprintf(t->p + t->at, t->len - t->at, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->at += (size_t)n < t->len - t->at ? (size_t)n : t->len - t->at - 1;
}

static const char *major_name(UCHAR major)
{
    switch (major) {
    case IRP_MJ_CREATE: return "IRP_MJ_CREATE";
    case IRP_MJ_CLOSE: return "IRP_MJ_CLOSE";
    case IRP_MJ_READ: return "IRP_MJ_READ";
    case IRP_MJ_WRITE: return "IRP_MJ_WRITE";
    case IRP_MJ_DEVICE_CONTROL: return "IRP_MJ_DEVICE_CONTROL";
    case IRP_MJ_CLEANUP: return "IRP_MJ_CLEANUP";
    case IRP_MJ_PNP: return "IRP_MJ_PNP";
    case IRP_MJ_POWER: return "IRP_MJ_POWER";
    }
    return "an IRP";
}

/* What the DMA layer holds for the device behind d: channel, lists, mappings, waits. */
static void device_dma(struct text *t, struct dms_machine *m, const struct device *d)
{
    uint32_t lists = 0, files_live = 0, waits = 0;
    bool channel = false;

    for (uint32_t i = 0; i < m->dma->n_adapters; i++) {
        const struct adapter *ad = m->dma->adapters[i];
        if (ad->dev != d || ad->released)
            continue;
        channel |= ad->channel_busy;
        for (const struct sgl_priv *l = ad->sgls; l != NULL; l = l->next)
            lists++;
        for (const struct mapreg_file *f = ad->files; f != NULL; f = f->next)
            files_live += f->live_maps > 0;
        for (const struct wait_block *wb = ad->chan_head; wb != NULL; wb = wb->next)
            waits++;
        for (const struct wait_block *wb = ad->pool ? ad->pool->wait_head : NULL; wb != NULL;
             wb = wb->next)
            waits += wb->ad == ad;
    }
    if (!channel && lists + files_live + waits == 0) {
        say(t, "; its device holds no DMA resources (nothing mapped, nothing waiting)");
        return;
    }
    say(t, "; its device holds");
    if (channel)
        say(t, " the adapter channel,");
    if (lists > 0)
        say(t, " %" PRIu32 " scatter/gather list(s),", lists);
    if (files_live > 0)
        say(t, " %" PRIu32 " set(s) of mapped map registers,", files_live);
    if (waits > 0)
        say(t, " %" PRIu32 " request(s) waiting for map registers or the channel,", waits);
    t->at -= t->p[t->at - 1] == ',';
    t->p[t->at] = '\0';
}

static void where(struct text *t, struct dms_machine *m, const struct irp_node *n)
{
    PIRP irp = n->irp;
    PIO_STACK_LOCATION sp = irp->CurrentLocation >= 1 && irp->CurrentLocation <= irp->StackCount
                                ? IoGetCurrentIrpStackLocation(irp)
                                : NULL;
    const struct device *d = sp != NULL ? device_of(sp->DeviceObject) : NULL;
    const struct device *pdo;
    const struct hal_account *a;
    uint32_t queued = 0;
    bool in_queue = false;

    say(t, "%s", major_name(sp != NULL ? sp->MajorFunction : 0));
    if (sp != NULL && (sp->MajorFunction == IRP_MJ_READ || sp->MajorFunction == IRP_MJ_WRITE))
        say(t, " of %u bytes at offset %lld", (unsigned)sp->Parameters.Read.Length,
            (long long)sp->Parameters.Read.ByteOffset.QuadPart);
    if (n->sent_ns >= 1000000000ull)
        say(t, ", sent at %.6f s", (double)n->sent_ns / 1e9);
    else if (n->sent_ns >= 1000000ull)
        say(t, ", sent at %.3f ms", (double)n->sent_ns / 1e6);
    else
        say(t, ", sent at %.3f us", (double)n->sent_ns / 1e3);
    if (d == NULL) {
        say(t, ", no longer at any device of the stack (the driver took its stack location "
            "and passed it nowhere)");
        return;
    }
    say(t, ", stopped at %s", d->name);
    if (!n->dispatch_returned)
        say(t, ": its dispatch routine never returned (it waits on something)");
    else if (n->dispatch_status == STATUS_PENDING)
        say(t, ": the dispatch routine returned STATUS_PENDING");
    else
        say(t, ": the dispatch routine returned 0x%08x without completing it",
            (unsigned)n->dispatch_status);
    for (uint32_t i = 0; i < d->n_queue; i++) {
        if (d->queue[i].irp == irp)
            in_queue = true;
        queued += !in_queue;
    }
    if (d->busy && d->obj->CurrentIrp == irp)
        say(t, "; it is the device's current IRP (StartIo took it)");
    else if (in_queue)
        say(t, "; it waits in the device queue behind %" PRIu32 " (StartIo never took it)",
            queued);
    else if (irp->CancelRoutine != NULL)
        say(t, "; the driver keeps it in a queue of its own (a cancel routine is set)");
    else
        say(t, "; the driver holds it in no queue the I/O manager knows of");
    pdo = d->pdo != NULL ? d->pdo : d;
    device_dma(t, m, pdo);
    a = pdo->bm.acct;
    if (a != NULL && a->st.faults_injected[DMS_FAULT_INTERRUPT] > 0)
        say(t, "; %" PRIu64 " of the device's interrupts were lost (fault injection)",
            a->st.faults_injected[DMS_FAULT_INTERRUPT]);
    if (a != NULL && a->st.faults_injected[DMS_FAULT_DEVICE_STALL] > 0)
        say(t, "; its engine stalled on %" PRIu64 " command(s) (fault injection)",
            a->st.faults_injected[DMS_FAULT_DEVICE_STALL]);
    say(t, ". Nothing left to happen would complete it: no interrupt, DPC, timer or thread "
        "was due");
}

size_t dms_irp_whereabouts(struct dms_machine *m, dms_irp_where_fn fn, void *ctx)
{
    struct dms_machine *prev = dms_machine_enter(m);
    size_t count = 0;
    char buf[640];
    const struct irp_node *last = m->kern->sent_irps;

    while (last != NULL && last->sent_next != NULL)
        last = last->sent_next;
    for (const struct irp_node *n = last; n != NULL; n = n->sent_prev) { /* oldest first */
        struct text t = {buf, sizeof(buf), 0};
        buf[0] = '\0';
        where(&t, m, n);
        count++;
        if (fn != NULL)
            fn(ctx, n->done_ctx, n->irp, buf);
    }
    dms_machine_enter(prev);
    return count;
}
