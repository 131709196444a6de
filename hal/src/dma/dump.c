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
        if (ad->pool != NULL && f->held > 0)
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
