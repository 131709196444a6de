/*
 * adapter.c - the DMA adapter object, the bottom of the DMA room: checking the PDMA_ADAPTER a
 * driver passes (every routine starts here), PutDmaAdapter, GetDmaAlignment, ReadDmaCounter,
 * and the simulator's read-back of an adapter. Making one is iogetdma.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dma.h"

/* adapter_get - the adapter behind a driver's PDMA_ADAPTER, or NULL after reporting why:
 * 0xE6/0x19 for NULL, 0xE6/0x18 for an adapter already released with PutDmaAdapter. Released
 * adapters stay allocated until the machine goes, so a late call is caught, not a crash. */
struct adapter *adapter_get(PDMA_ADAPTER a, const char *routine)
{
    struct adapter *ad = (struct adapter *)a;

    if (a == NULL) {
        struct dms_machine *m = hal_machine();
        hal_finding(m, NULL, routine, DMS_E6_NULL_ADAPTER, 0, 0, 0,
                    "%s called with a NULL DMA_ADAPTER", routine);
        return NULL;
    }
    if (ad->magic != ADAPTER_MAGIC) {
        hal_finding(hal_machine(), NULL, routine, DMS_CHECK_BAD_ARGUMENT, (uintptr_t)a, 0, 0,
                    "%s called with %p, which is not a DMA adapter", routine, (void *)a);
        return NULL;
    }
    if (ad->released) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_ADAPTER_RELEASED, (uintptr_t)a, 0, 0,
                    "%s called on adapter %u of %s after PutDmaAdapter released it", routine,
                    ad->acct.id, ad->dev->name);
        return NULL;
    }
    return ad;
}

/* What an adapter still holds, with the verifier's codes (0x07-0x0A): at PutDmaAdapter, or at
 * the end of a verified run for an adapter never put (what: how the message starts). */
static void outstanding(struct adapter *ad, const char *routine, const char *what)
{
    uint32_t files = 0, waiting = 0;

    for (struct mapreg_file *f = ad->files; f != NULL; f = f->next)
        files += f->state != FILE_SGL;
    for (struct wait_block *wb = ad->chan_head; wb != NULL; wb = wb->next)
        waiting++;
    if (ad->acct.st.common_buffers > 0)
        hal_finding(ad->m, acct(ad), routine, DMS_E6_PUT_WITH_COMMON_BUFFERS, (uintptr_t)ad,
                    ad->acct.st.common_buffers, 0,
                    "%s %llu common buffer(s) not freed", what,
                    (unsigned long long)ad->acct.st.common_buffers);
    if (ad->channel_busy || waiting > 0)
        hal_finding(ad->m, acct(ad), routine, DMS_E6_PUT_WITH_CHANNELS, (uintptr_t)ad,
                    ad->channel_busy + waiting, 0,
                    "%s the adapter channel held or requested", what);
    if (files > 0)
        hal_finding(ad->m, acct(ad), routine, DMS_E6_PUT_WITH_MAP_REGISTERS, (uintptr_t)ad,
                    files, 0, "%s %u set(s) of map registers not freed", what, files);
    if (ad->acct.st.sg_lists_outstanding > 0)
        hal_finding(ad->m, acct(ad), routine, DMS_E6_PUT_WITH_SG_LISTS, (uintptr_t)ad,
                    ad->acct.st.sg_lists_outstanding, 0,
                    "%s %llu scatter/gather list(s) not put", what,
                    (unsigned long long)ad->acct.st.sg_lists_outstanding);
}

/* PutDmaAdapter - release the adapter. What is still outstanding is reported with the
 * verifier's codes (0x07-0x0A) and left as it is: a leak, as on Windows. */
VOID hal_PutDmaAdapter(PDMA_ADAPTER DmaAdapter)
{
    struct adapter *ad = adapter_get(DmaAdapter, "PutDmaAdapter");
    struct dms_event ev = {.type = DMS_EV_ADAPTER_PUT, .routine = "PutDmaAdapter"};

    if (ad == NULL)
        return;
    hal_irql_check(ad->m, acct(ad), "PutDmaAdapter", IRQL_MAX_DISPATCH);
    outstanding(ad, "PutDmaAdapter", "PutDmaAdapter with");
    for (const struct cb_vector *v = ad->vectors; v != NULL; v = v->next)
        for (ULONG i = 0; i < v->n; i++)
            if (v->elem[i] != NULL) {
                hal_finding(ad->m, acct(ad), "PutDmaAdapter", DMS_BUGCHECK_1DC(0x05), i,
                            (uintptr_t)v->elem[i]->va, v->elem[i]->logical,
                            "PutDmaAdapter with buffer %u of a common-buffer vector never "
                            "freed (bug check 0x1DC: common buffer leaked)", (unsigned)i);
                break;
            }
    ad->released = true;
    sysdma_unbind(ad);
    if (ad->dev->adapter == ad) {
        ad->dev->adapter = NULL;
        ad->dev->bm.acct = NULL;
    }
    hal_emit(ad->m, acct(ad), &ev);
}

ULONG hal_GetDmaAlignment(PDMA_ADAPTER DmaAdapter)
{
    struct adapter *ad = adapter_get(DmaAdapter, "GetDmaAlignment");

    if (ad == NULL)
        return 1;
    hal_irql_check(ad->m, acct(ad), "GetDmaAlignment", IRQL_EXACT_PASSIVE);
    return ad->m->cfg.dma_alignment;
}

/* ReadDmaCounter - the bytes still to move in the current system DMA transfer, from the
 * controller's count register. A bus master has no system DMA counter: 0. */
ULONG hal_ReadDmaCounter(PDMA_ADAPTER DmaAdapter)
{
    struct adapter *ad = adapter_get(DmaAdapter, "ReadDmaCounter");

    if (ad == NULL)
        return 0;
    hal_irql_check(ad->m, acct(ad), "ReadDmaCounter", IRQL_MAX_DISPATCH);
    return ad->chan != NULL ? sysdma_read_counter(ad) : 0;
}

/* ---------------------------------------------------------------------------------------------
 * Read-back.
 */
static struct adapter *peek(PDMA_ADAPTER a)
{
    struct adapter *ad = (struct adapter *)a;

    return a != NULL && ad->magic == ADAPTER_MAGIC ? ad : NULL;
}

const struct dms_adapter_stats *dms_adapter_stats(PDMA_ADAPTER adapter)
{
    struct adapter *ad = peek(adapter);

    return ad != NULL ? &ad->acct.st : NULL;
}

int dms_adapter_info(PDMA_ADAPTER adapter, struct dms_adapter_info *info)
{
    struct adapter *ad = peek(adapter);

    if (ad == NULL)
        return DMS_EINVAL;
    memset(info, 0, sizeof(*info));
    info->id = ad->acct.id;
    info->device = ad->dev->name;
    info->version = ad->desc.Version;
    info->max_address = ad->max_address;
    info->address_bits = ad->address_bits;
    info->master = ad->master;
    info->scatter_gather = ad->sg;
    info->needs_map_registers = ad->needs_regs;
    info->map_registers_max = ad->max_regs;
    if (ad->pool != NULL) {
        info->bounce_pool_base = pfn_to_addr(ad->pool->base_pfn);
        info->bounce_pool_pages = ad->pool->pages;
    }
    return 0;
}

uint32_t dms_adapter_free_map_registers(PDMA_ADAPTER adapter)
{
    struct adapter *ad = peek(adapter);

    return ad != NULL && ad->pool != NULL ? ad->pool->free_pages : 0;
}

/* dms_device_dma_adapter - the DMA adapter a driver last obtained for dev (its PDO), for
 * the simulator's read-back of a driver it does not see into; NULL if none is live. */
PDMA_ADAPTER dms_device_dma_adapter(PDEVICE_OBJECT dev)
{
    struct device *d = device_of(dev);

    return d != NULL && d->adapter != NULL && !d->adapter->released ? &d->adapter->hdr : NULL;
}

uint32_t dms_device_dma_stats(PDEVICE_OBJECT dev, struct dms_adapter_stats *sum)
{
    struct device *d = device_of(dev);
    uint32_t n = 0;
    uint64_t peak = 0;

    memset(sum, 0, sizeof(*sum));
    if (d == NULL)
        return 0;
    for (uint32_t i = 0; i < d->m->dma->n_adapters; i++) {
        const struct adapter *ad = d->m->dma->adapters[i];
        const uint64_t *from = (const uint64_t *)&ad->acct.st;
        uint64_t *to = (uint64_t *)sum;
        if (ad->dev != d)
            continue;
        for (size_t k = 0; k < sizeof(*sum) / sizeof(uint64_t); k++)
            to[k] += from[k];
        if (ad->acct.st.map_registers_peak > peak)
            peak = ad->acct.st.map_registers_peak;
        n++;
    }
    sum->map_registers_peak = peak;
    return n;
}

/* dms_dma_verify_end - what Driver Verifier reports when a run is over: every adapter never
 * put, with what it still holds (0x07-0x0A), and every mapping never flushed (0x0D: P2 the
 * bytes mapped, P3 what the adapter's registers map at once). */
void dms_dma_verify_end(struct dms_machine *m)
{
    struct dms_machine *prev = dms_machine_enter(m);

    for (uint32_t i = 0; i < m->dma->n_adapters; i++) {
        struct adapter *ad = m->dma->adapters[i];
        uint64_t mapped = 0;

        for (const struct mapreg_file *f = ad->files; f != NULL; f = f->next)
            for (uint32_t k = 0; k < f->n_maps; k++)
                mapped += f->maps[k].live ? f->maps[k].length : 0;
        if (mapped > 0)
            hal_finding(m, acct(ad), "end of run", DMS_E6_NOT_FLUSHED, mapped,
                        (uint64_t)ad->max_regs * HAL_PAGE_SIZE, 0,
                        "the run ended with %llu bytes mapped on adapter %u of %s and never "
                        "flushed (its adapter buffers were not flushed)",
                        (unsigned long long)mapped, ad->acct.id, ad->dev->name);
        if (!ad->released)
            outstanding(ad, "end of run", "the run ended with the adapter never put, and");
    }
    dms_machine_enter(prev);
}
