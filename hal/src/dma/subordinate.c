/*
 * subordinate.c - system DMA, the HAL's side: a subordinate device's adapter is bound to a
 * channel of one of the machine's controllers (hw/sysdma.c) at IoGetDmaAdapter, and
 * MapTransfer(Ex), FlushAdapterBuffers(Ex), ReadDmaCounter, ConfigureAdapterChannel and
 * CancelMappedTransfer reach the channel through it. A version-3 description with a request
 * line goes to the SoC controller when the machine has one; anything else to the 8237 channel
 * DmaChannel names. The adapter is the channel's client: the SoC's completion interrupt ends
 * in the driver's DmaCompletionRoutine, run here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "dma.h"

#define ISA_LIMIT ((1ULL << 24) - 1)
#define SOC_LIMIT ((1ULL << 32) - 1)

static uint32_t width_bytes(DMA_WIDTH w)
{
    switch (w) {
    case Width8Bits:
        return 1;
    case Width16Bits:
        return 2;
    case Width32Bits:
        return 4;
    case Width64Bits:
        return 8;
    default:
        return 0;
    }
}

static bool refuse(struct dms_machine *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool refuse(struct dms_machine *m, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    hal_finding(m, NULL, "IoGetDmaAdapter", DMS_CHECK_SYSDMA, 0, 0, 0, "IoGetDmaAdapter: %s",
                msg);
    return false;
}

/* The channel's completion (hw/sysdma.c runs it in its DPC): the driver's routine, which "runs
 * at DISPATCH_LEVEL". */
static void subordinate_complete(struct sysdma_channel *c, DMA_COMPLETION_STATUS status)
{
    struct adapter *ad = c->client;
    PDMA_COMPLETION_ROUTINE fn = ad->completion;
    struct dms_event ev = {.type = DMS_EV_CALLBACK, .routine = "DmaCompletionRoutine"};
    KIRQL saved;

    if (fn == NULL)
        return;
    saved = ad->m->irql;
    ev.status = status;
    hal_emit(ad->m, acct(ad), &ev);
    ad->m->irql = DISPATCH_LEVEL;
    fn(&ad->hdr, ad->dev ? ad->dev->obj : NULL, ad->completion_context, status);
    ad->m->irql = saved;
}

/* sysdma_bind - a version-3 description with a request line goes to the SoC controller when
 * the machine has one; anything else to the 8237 channel DmaChannel names. The adapter becomes
 * the channel's client, the channel makes its device's accesses. */
bool sysdma_bind(struct adapter *ad, const DEVICE_DESCRIPTION *d)
{
    struct dms_machine *m = ad->m;
    struct sysdma *s = &m->hw->sysdma;
    struct sysdma_channel *c = NULL;

    if (d->Version == DEVICE_DESCRIPTION_VERSION3 && s->n_soc > 0) {
        uint32_t w = width_bytes(d->DmaWidth);
        if (d->DmaRequestLine >= m->cfg.soc_dma_request_lines)
            return refuse(m, "DmaRequestLine %u: the SoC DMA controller has %u request lines",
                          d->DmaRequestLine, m->cfg.soc_dma_request_lines);
        if (w == 0)
            return refuse(m, "DmaWidth %d is no width the SoC controller moves",
                          (int)d->DmaWidth);
        for (uint32_t i = 0; i < s->n_soc && c == NULL; i++)
            if (s->soc[i].client == NULL)
                c = &s->soc[i];
        if (c == NULL)
            return refuse(m, "all %u channels of the SoC DMA controller are taken", s->n_soc);
        c->width = w;
        /* DeviceAddress may be 0: then each transfer's DeviceOffset is the register's whole
         * address (Microsoft's SystemDma sample does so). */
        c->device_address = (uint64_t)d->DeviceAddress.QuadPart;
        c->request_line = d->DmaRequestLine;
        ad->max_address = SOC_LIMIT;
        ad->address_bits = 32;
        ad->sg = true; /* a subordinate inherits its controller's scatter/gather */
        ad->boundary_pages = 0;
    } else {
        if (m->cfg.no_isa_dma)
            return refuse(m, "this machine has no ISA DMA controller for a subordinate device");
        if (d->DmaChannel > 7 || d->DmaChannel == 4)
            return refuse(m, "DmaChannel %u: the 8237 pair has channels 0-3 and 5-7 (4 "
                          "cascades the two)", d->DmaChannel);
        c = &s->isa[d->DmaChannel];
        if ((c->width == 1 && d->DmaWidth != Width8Bits) ||
            (c->width == 2 && d->DmaWidth != Width16Bits))
            return refuse(m, "DmaChannel %u moves %s; DmaWidth must be %s", d->DmaChannel,
                          c->width == 1 ? "bytes" : "16-bit words",
                          c->width == 1 ? "Width8Bits" : "Width16Bits");
        if (c->client != NULL)
            return refuse(m, "DMA channel %u is taken by adapter %u of %s", d->DmaChannel,
                          c->acct->id, c->acct->device);
        ad->max_address = ISA_LIMIT;
        ad->address_bits = 24;
        ad->sg = false;
        ad->boundary_pages = c->width == 1 ? 16 : 32; /* 64 KiB or 128 KiB */
        c->autoinit = d->AutoInitialize != 0;
    }
    c->client = ad;
    c->master = &ad->dev->bm;
    c->acct = &ad->acct;
    c->address_bits = ad->address_bits;
    c->complete = subordinate_complete;
    c->masked = true;
    c->programmed = false;
    ad->chan = c;
    return true;
}

void sysdma_unbind(struct adapter *ad)
{
    if (ad->chan != NULL && ad->chan->client == ad)
        ad->chan->client = NULL;
    ad->chan = NULL;
}

bool sysdma_crosses(const struct adapter *ad, uint64_t pa, uint64_t len)
{
    uint64_t span = (uint64_t)ad->boundary_pages * HAL_PAGE_SIZE;

    return span != 0 && len > 0 && pa / span != (pa + len - 1) / span;
}

uint32_t sysdma_max_elements(const struct adapter *ad)
{
    return ad->chan != NULL && ad->chan->kind == SYSDMA_SOC ? SYSDMA_MAX_ELEMENTS : 1;
}

void sysdma_program(struct adapter *ad, const uint64_t *addr, const uint32_t *len, uint32_t n,
                    bool to_device, PDMA_COMPLETION_ROUTINE done, PVOID done_context,
                    uint32_t device_offset)
{
    ad->completion = done;
    ad->completion_context = done_context;
    dmac_program(ad->chan, addr, len, n, to_device, done != NULL, device_offset);
}

bool sysdma_busy(const struct adapter *ad)
{
    return dmac_busy(ad->chan);
}

bool sysdma_stop(struct adapter *ad)
{
    return dmac_stop(ad->chan);
}

ULONG sysdma_read_counter(struct adapter *ad)
{
    return dmac_counter(ad->chan);
}

/* dms_sysdma_request - the device behind dev asserts its request: the channel its latest
 * adapter is bound to moves what it can. */
int dms_sysdma_request(PDEVICE_OBJECT dev, uint64_t data_register, void *buf, uint32_t len,
                       int to_device, uint32_t *moved, int *terminal)
{
    struct device *d = device_of(dev);
    struct adapter *ad = d != NULL ? d->adapter : NULL;

    return dmac_request(ad != NULL ? ad->chan : NULL, data_register, buf, len, to_device,
                        moved, terminal);
}

/* ---------------------------------------------------------------------------------------------
 * The routines' system-DMA side.
 */
NTSTATUS sysdma_adapter_info(struct adapter *ad, PDMA_ADAPTER_INFO_V1 info)
{
    info->ReadDmaCounterAvailable = TRUE;
    info->ScatterGatherLimit = sysdma_max_elements(ad);
    info->DmaAddressWidth = ad->address_bits;
    info->Flags = 0;
    info->MinimumTransferUnit = ad->chan->width;
    return STATUS_SUCCESS;
}

/* Controller functions (ConfigureAdapterChannel). The WDK leaves their numbers to each
 * controller's HAL extension; dmasim's SoC controller offers two:
 *   1  DMS_SYSDMA_CHANNEL_NUMBER: *(PULONG)Context receives the channel bound to the adapter
 *   2  DMS_SYSDMA_BURST: *(PULONG)Context (1..16) records the channel's burst length (the
 *      device models here ask by FIFO size and do not vary with it yet)
 * Any other number, and any number on the 8237, is STATUS_NOT_IMPLEMENTED. */
NTSTATUS sysdma_configure(struct adapter *ad, ULONG function, PVOID context)
{
    struct sysdma_channel *c = ad->chan;

    if (c->kind != SYSDMA_SOC || (function != 1 && function != 2))
        return STATUS_NOT_IMPLEMENTED;
    if (context == NULL)
        return STATUS_INVALID_PARAMETER;
    if (function == 1) {
        *(PULONG)context = c->index;
        return STATUS_SUCCESS;
    }
    if (*(PULONG)context < 1 || *(PULONG)context > 16)
        return STATUS_INVALID_PARAMETER;
    c->burst = *(PULONG)context;
    return STATUS_SUCCESS;
}

/* CancelMappedTransfer: the transfer under way stops; the completion routine still runs, with
 * DmaCancelled. */
NTSTATUS sysdma_cancel(struct adapter *ad)
{
    dmac_cancel(ad->chan);
    return STATUS_SUCCESS;
}
