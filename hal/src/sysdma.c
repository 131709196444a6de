/*
 * sysdma.c - system DMA controllers, for subordinate devices: devices with no DMA engine of
 * their own, whose data a controller moves between memory and the device's data register
 * when the device asserts its request line (DREQ).
 *
 * Two controllers:
 * - The PC's 8237 pair: channels 0-3 move bytes, 5-7 move 16-bit words (4 cascades the
 *   pair). An address is 24 bits: a page register holds bits 16-23 and the channel's address
 *   register the rest (for a word channel, bits 1-16 of the byte address). The count register
 *   holds units - 1 and counts down; at terminal count it wraps to 0xFFFF. Because the
 *   address register wraps without carrying into the page register, a transfer may not cross
 *   a 64 KiB (byte channels) or 128 KiB (word channels) boundary. In autoinitialize mode the
 *   channel reloads its base address and count at terminal count and goes on: a ring buffer.
 *   No scatter/gather, no completion interrupt (the device interrupts); ReadDmaCounter reads
 *   the count register.
 * - A SoC controller: soc_dma_channels channels, each bound to a request line, 32-bit
 *   addresses, a chain of up to SYSDMA_MAX_ELEMENTS descriptors (scatter/gather for its
 *   subordinates), and a completion interrupt on which the HAL runs the driver's
 *   DmaCompletionRoutine at DISPATCH_LEVEL. Reached through version 3 only.
 *
 * The HAL maps a subordinate's buffer as for any device without scatter/gather (or with the
 * controller's): map registers make it contiguous and reachable, bouncing where they must,
 * and for the 8237 never across its boundary. MapTransfer(Ex) programs the channel.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal_int.h"

#define ISA_LIMIT ((1ULL << 24) - 1)
#define SYSDMA_IRQL 6 /* the SoC controller's interrupt: a device IRQL */
#define SOC_LIMIT ((1ULL << 32) - 1)

int sysdma_init(struct dms_machine *m)
{
    struct sysdma *s = &m->sysdma;

    for (uint32_t i = 0; i < 8; i++)
        s->isa[i] = (struct sysdma_channel){.kind = SYSDMA_ISA, .index = i,
                                            .width = i < 4 ? 1 : 2, .masked = true};
    s->n_soc = m->cfg.soc_dma_channels;
    if (s->n_soc == 0)
        return 0;
    s->soc = calloc(s->n_soc, sizeof(*s->soc));
    if (s->soc == NULL)
        return DMS_ENOMEM;
    for (uint32_t i = 0; i < s->n_soc; i++)
        s->soc[i] = (struct sysdma_channel){.kind = SYSDMA_SOC, .index = i, .width = 4,
                                            .masked = true, .burst = 1};
    return 0;
}

void sysdma_free(struct dms_machine *m)
{
    while (m->sysdma.watches != NULL) {
        struct line_watch *next = m->sysdma.watches->next;
        free(m->sysdma.watches);
        m->sysdma.watches = next;
    }
    free(m->sysdma.soc);
    m->sysdma.soc = NULL;
}

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

static bool refuse(struct dms_machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

/* sysdma_bind - a version-3 description with a request line goes to the SoC controller when
 * the machine has one; anything else to the 8237 channel DmaChannel names. */
bool sysdma_bind(struct adapter *ad, const DEVICE_DESCRIPTION *d)
{
    struct dms_machine *m = ad->m;
    struct sysdma *s = &m->sysdma;
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
            if (s->soc[i].ad == NULL)
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
        if (c->ad != NULL)
            return refuse(m, "DMA channel %u is taken by adapter %u of %s", d->DmaChannel,
                          c->ad->id, c->ad->dev->name);
        ad->max_address = ISA_LIMIT;
        ad->address_bits = 24;
        ad->sg = false;
        ad->boundary_pages = c->width == 1 ? 16 : 32; /* 64 KiB or 128 KiB */
        c->autoinit = d->AutoInitialize != 0;
    }
    c->ad = ad;
    c->masked = true;
    c->programmed = false;
    ad->chan = c;
    return true;
}

void sysdma_unbind(struct adapter *ad)
{
    if (ad->chan != NULL && ad->chan->ad == ad)
        ad->chan->ad = NULL;
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

/* ---------------------------------------------------------------------------------------------
 * Programming and running a channel.
 */
static uint64_t isa_address(const struct sysdma_channel *c)
{
    uint64_t low = c->width == 2 ? (uint64_t)c->address << 1 : c->address;
    uint64_t page = c->width == 2 ? (uint64_t)(c->page & 0xFE) << 16 : (uint64_t)c->page << 16;

    return page | low;
}

void sysdma_program(struct adapter *ad, const uint64_t *addr, const uint32_t *len, uint32_t n,
                    bool to_device, PDMA_COMPLETION_ROUTINE done, PVOID done_context,
                    uint32_t device_offset)
{
    struct sysdma_channel *c = ad->chan;

    c->n_el = n < SYSDMA_MAX_ELEMENTS ? n : SYSDMA_MAX_ELEMENTS;
    c->total = 0;
    for (uint32_t i = 0; i < c->n_el; i++) {
        c->el[i].address = addr[i];
        c->el[i].length = len[i];
        c->total += len[i];
    }
    c->at_el = c->at_off = 0;
    c->moved = 0;
    c->to_device = to_device;
    c->cancelled = c->done = c->terminal = false;
    c->completion = done;
    c->completion_context = done_context;
    c->device_offset = device_offset;
    if (c->kind == SYSDMA_ISA && n > 0) {
        uint64_t a = addr[0];
        uint32_t units = len[0] / c->width;
        c->page = (uint8_t)(a >> 16);
        c->base_address = (uint16_t)(c->width == 2 ? (a >> 1) & 0xFFFF : a & 0xFFFF);
        c->base_count = (uint16_t)(units - 1);
        c->address = c->base_address;
        c->count = c->base_count;
    }
    c->programmed = n > 0;
    c->masked = n == 0;
    if (c->kind == SYSDMA_SOC && c->programmed)
        for (struct line_watch *w = ad->m->sysdma.watches; w != NULL; w = w->next)
            if (w->line == c->request_line)
                w->programmed(w->ctx, to_device);
}

/* dms_sysdma_watch_line - a device model on SoC request line `line` is told (programmed,
 * called from inside the MapTransferEx that programs a channel for the line) when it may start
 * asserting the line. Returns 0, DMS_EINVAL for a line the controller lacks, DMS_ENOMEM. */
int dms_sysdma_watch_line(struct dms_machine *m, uint32_t line,
                          void (*programmed)(void *ctx, int to_device), void *ctx)
{
    struct line_watch *w;

    if (m->sysdma.n_soc == 0 || line >= m->cfg.soc_dma_request_lines || programmed == NULL)
        return DMS_EINVAL;
    w = calloc(1, sizeof(*w));
    if (w == NULL)
        return DMS_ENOMEM;
    *w = (struct line_watch){m->sysdma.watches, line, programmed, ctx};
    m->sysdma.watches = w;
    return 0;
}

bool sysdma_busy(const struct adapter *ad)
{
    const struct sysdma_channel *c = ad->chan;

    return c != NULL && c->programmed && !c->done && !c->cancelled && !c->masked;
}

bool sysdma_stop(struct adapter *ad)
{
    struct sysdma_channel *c = ad->chan;
    bool running = sysdma_busy(ad) && !(c->kind == SYSDMA_ISA && c->autoinit);

    c->masked = true;
    c->programmed = false;
    return !running;
}

ULONG sysdma_read_counter(struct adapter *ad)
{
    const struct sysdma_channel *c = ad->chan;

    if (c == NULL || !c->programmed)
        return 0;
    if (c->kind == SYSDMA_ISA)
        return (ULONG)(((uint32_t)c->count + 1) & 0xFFFF) * c->width;
    return (ULONG)(c->total - c->moved);
}

static void completion_run(void *arg)
{
    struct sysdma_channel *c = arg;
    struct adapter *ad = c->ad;
    PDMA_COMPLETION_ROUTINE fn = c->completion;
    struct dms_event ev = {.type = DMS_EV_CALLBACK, .routine = "DmaCompletionRoutine"};
    KIRQL saved;

    c->completion_pending = false;
    if (ad == NULL || fn == NULL)
        return;
    saved = ad->m->irql;
    ev.status = c->cancelled ? DmaCancelled : DmaComplete;
    hal_emit(ad->m, ad, &ev);
    ad->m->irql = DISPATCH_LEVEL; /* "runs at DISPATCH_LEVEL" */
    fn(&ad->hdr, ad->dev ? ad->dev->obj : NULL, c->completion_context,
       c->cancelled ? DmaCancelled : DmaComplete);
    ad->m->irql = saved;
}

/* The controller's interrupt: the HAL's ISR queues its DPC, which runs the routine. */
static void completion_isr(void *arg)
{
    struct sysdma_channel *c = arg;

    if (c->ad == NULL)
        return;
    hal_schedule_for(c->ad->m, c->ad->id, DISPATCH_LEVEL, completion_run, c);
}

/* The SoC controller's completion interrupt: an ISR and a DPC, charged to the device. */
static void raise_completion(struct sysdma_channel *c)
{
    if (c->kind != SYSDMA_SOC || c->completion == NULL || c->completion_pending)
        return;
    c->completion_pending = true;
    hal_schedule_for(c->ad->m, c->ad->id, SYSDMA_IRQL, completion_isr, c);
}

/* Move one piece at the channel's current address; returns the bytes moved. */
static uint32_t move_piece(struct sysdma_channel *c, struct device *d, uint8_t *buf,
                           uint32_t want, bool *terminal)
{
    uint64_t at;
    uint32_t n, stray = 0;

    if (c->kind == SYSDMA_ISA) {
        uint32_t units_left = (uint32_t)c->count + 1;
        uint32_t units = want / c->width;
        if (units == 0)
            return 0;
        if (units > units_left)
            units = units_left;
        /* the address register wraps within its page; the HAL never programs a crossing */
        at = isa_address(c);
        n = units * c->width;
        c->address = (uint16_t)(c->address + units);
        c->count = (uint16_t)(c->count - units);
        if (units == units_left) { /* terminal count: count is 0xFFFF now */
            *terminal = true;
            c->terminal = true;
            if (c->autoinit) {
                c->address = c->base_address;
                c->count = c->base_count;
            } else {
                c->done = true;
            }
        }
    } else {
        uint32_t left = c->el[c->at_el].length - c->at_off;
        at = c->el[c->at_el].address + c->at_off;
        n = want < left ? want : left;
        c->at_off += n;
        if (c->at_off == c->el[c->at_el].length) {
            c->at_el++;
            c->at_off = 0;
        }
        if (c->at_el == c->n_el) {
            *terminal = true;
            c->terminal = c->done = true;
        }
    }
    c->moved += n;
    if (c->to_device)
        dms_device_dma_read(d->obj, (unsigned)c->ad->address_bits, at, buf, n, &stray);
    else
        dms_device_dma_write(d->obj, (unsigned)c->ad->address_bits, at, buf, n, &stray);
    return n;
}

static int channel_request(struct sysdma_channel *c, uint64_t data_register, void *buf,
                           uint32_t len, int to_device, uint32_t *moved, int *terminal);

int dms_sysdma_request(PDEVICE_OBJECT dev, uint64_t data_register, void *buf, uint32_t len,
                       int to_device, uint32_t *moved, int *terminal)
{
    struct device *d = device_of(dev);
    struct adapter *ad = d != NULL ? d->adapter : NULL;

    return channel_request(ad != NULL ? ad->chan : NULL, data_register, buf, len, to_device,
                           moved, terminal);
}

/* A device wired to a SoC request line asserts it, whoever's adapter the channel serving
 * that line belongs to (a device model need not know its driver's objects). */
int dms_sysdma_request_line(struct dms_machine *m, uint32_t request_line, uint64_t data_register,
                            void *buf, uint32_t len, int to_device, uint32_t *moved,
                            int *terminal)
{
    struct sysdma_channel *c = NULL;

    for (uint32_t i = 0; i < m->sysdma.n_soc && c == NULL; i++)
        if (m->sysdma.soc[i].ad != NULL && m->sysdma.soc[i].request_line == request_line)
            c = &m->sysdma.soc[i];
    if (c == NULL) {
        if (moved != NULL)
            *moved = 0;
        if (terminal != NULL)
            *terminal = 0;
        return request_line < m->cfg.soc_dma_request_lines ? 0 : DMS_EINVAL;
    }
    return channel_request(c, data_register, buf, len, to_device, moved, terminal);
}

static int channel_request(struct sysdma_channel *c, uint64_t data_register, void *buf,
                           uint32_t len, int to_device, uint32_t *moved, int *terminal)
{
    struct adapter *ad = c != NULL ? c->ad : NULL;
    struct device *d = ad != NULL ? ad->dev : NULL;
    uint8_t *p = buf;
    uint32_t done = 0;
    bool tc = false;

    if (moved != NULL)
        *moved = 0;
    if (terminal != NULL)
        *terminal = 0;
    if (c == NULL)
        return DMS_EINVAL;
    if (!c->programmed || c->masked || c->cancelled || c->done)
        return 0;
    if ((c->to_device != 0) != (to_device != 0)) {
        hal_finding(ad->m, ad, "device", DMS_CHECK_SYSDMA, c->index, to_device, 0,
                    "device %s asked its DMA channel to move data %s the device, but the "
                    "channel was programmed the other way (WriteToDevice=%s)", d->name,
                    to_device ? "to" : "from", c->to_device ? "TRUE" : "FALSE");
        return 0;
    }
    if (c->kind == SYSDMA_SOC && data_register != c->device_address + c->device_offset) {
        hal_finding(ad->m, ad, "device", DMS_CHECK_SYSDMA, c->index, data_register,
                    c->device_address + c->device_offset,
                    "device %s asserted its request line for its data register at 0x%llx, but "
                    "the channel moves data to and from 0x%llx (DeviceAddress 0x%llx + "
                    "DeviceOffset %u): nothing moves", d->name,
                    (unsigned long long)data_register,
                    (unsigned long long)(c->device_address + c->device_offset),
                    (unsigned long long)c->device_address, c->device_offset);
        return 0;
    }
    while (done < len && !c->done && !c->cancelled) {
        bool t = false;
        uint32_t n = move_piece(c, d, p != NULL ? p + done : NULL, len - done, &t);
        if (n == 0)
            break;
        done += n;
        tc = tc || t;
        if (t && c->kind == SYSDMA_ISA && c->autoinit)
            continue; /* around the ring */
    }
    if (c->done)
        raise_completion(c);
    if (moved != NULL)
        *moved = done;
    if (terminal != NULL)
        *terminal = tc;
    return 0;
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
    struct sysdma_channel *c = ad->chan;

    if (c->programmed && !c->done && !c->cancelled) {
        c->cancelled = true;
        raise_completion(c);
    }
    return STATUS_SUCCESS;
}
