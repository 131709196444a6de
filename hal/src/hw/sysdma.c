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
 * This file is the controllers alone, as hardware: registers, the bytes a channel moves when
 * its device asks, terminal count, the completion interrupt. The DMA layer
 * (dma/subordinate.c) binds an adapter to a channel as its client, maps the subordinate's
 * buffer as for any device without scatter/gather (or with the controller's) - map registers
 * make it contiguous and reachable, bouncing where they must, and for the 8237 never across
 * its boundary - and programs the channel from MapTransfer(Ex).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw.h"

#define SYSDMA_IRQL 6 /* the SoC controller's interrupt: a device IRQL */

int sysdma_init(struct dms_machine *m)
{
    struct sysdma *s = &m->hw->sysdma;

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
    struct sysdma *s = &m->hw->sysdma;

    while (s->watches != NULL) {
        struct line_watch *next = s->watches->next;
        free(s->watches);
        s->watches = next;
    }
    free(s->soc);
    s->soc = NULL;
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

void dmac_program(struct sysdma_channel *c, const uint64_t *addr, const uint32_t *len,
                  uint32_t n, bool to_device, bool notify, uint32_t device_offset)
{

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
    c->notify = notify;
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
        for (struct line_watch *w = c->master->m->hw->sysdma.watches; w != NULL; w = w->next)
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

    if (m->hw->sysdma.n_soc == 0 || line >= m->cfg.soc_dma_request_lines || programmed == NULL)
        return DMS_EINVAL;
    w = calloc(1, sizeof(*w));
    if (w == NULL)
        return DMS_ENOMEM;
    *w = (struct line_watch){m->hw->sysdma.watches, line, programmed, ctx};
    m->hw->sysdma.watches = w;
    return 0;
}

bool dmac_busy(const struct sysdma_channel *c)
{
    return c != NULL && c->programmed && !c->done && !c->cancelled && !c->masked;
}

bool dmac_stop(struct sysdma_channel *c)
{
    bool running = dmac_busy(c) && !(c->kind == SYSDMA_ISA && c->autoinit);

    c->masked = true;
    c->programmed = false;
    return !running;
}

ULONG dmac_counter(const struct sysdma_channel *c)
{
    if (c == NULL || !c->programmed)
        return 0;
    if (c->kind == SYSDMA_ISA)
        return (ULONG)(((uint32_t)c->count + 1) & 0xFFFF) * c->width;
    return (ULONG)(c->total - c->moved);
}

static void completion_run(void *arg)
{
    struct sysdma_channel *c = arg;

    c->completion_pending = false;
    if (c->client == NULL || c->complete == NULL)
        return;
    c->complete(c, c->cancelled ? DmaCancelled : DmaComplete);
}

/* The controller's interrupt: the HAL's ISR queues its DPC, which runs the routine. */
static void completion_isr(void *arg)
{
    struct sysdma_channel *c = arg;

    if (c->client == NULL)
        return;
    hal_schedule_for(c->master->m, c->acct->id, DISPATCH_LEVEL, completion_run, c);
}

/* The SoC controller's completion interrupt: an ISR and a DPC, charged to the device. */
static void raise_completion(struct sysdma_channel *c)
{
    if (c->kind != SYSDMA_SOC || !c->notify || c->completion_pending)
        return;
    c->completion_pending = true;
    hal_schedule_for(c->master->m, c->acct->id, SYSDMA_IRQL, completion_isr, c);
}

/* Move one piece at the channel's current address; returns the bytes moved. */
static uint32_t move_piece(struct sysdma_channel *c, uint8_t *buf, uint32_t want,
                           bool *terminal)
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
    hw_device_dma(c->master, c->address_bits, at, buf, n, !c->to_device, &stray);
    return n;
}

/* A device wired to a SoC request line asserts it, whoever's adapter the channel serving
 * that line belongs to (a device model need not know its driver's objects). */
int dms_sysdma_request_line(struct dms_machine *m, uint32_t request_line, uint64_t data_register,
                            void *buf, uint32_t len, int to_device, uint32_t *moved,
                            int *terminal)
{
    struct sysdma *s = &m->hw->sysdma;
    struct sysdma_channel *c = NULL;

    for (uint32_t i = 0; i < s->n_soc && c == NULL; i++)
        if (s->soc[i].client != NULL && s->soc[i].request_line == request_line)
            c = &s->soc[i];
    if (c == NULL) {
        if (moved != NULL)
            *moved = 0;
        if (terminal != NULL)
            *terminal = 0;
        return request_line < m->cfg.soc_dma_request_lines ? 0 : DMS_EINVAL;
    }
    return dmac_request(c, data_register, buf, len, to_device, moved, terminal);
}

int dmac_request(struct sysdma_channel *c, uint64_t data_register, void *buf, uint32_t len,
                 int to_device, uint32_t *moved, int *terminal)
{
    uint8_t *p = buf;
    uint32_t done = 0;
    bool tc = false;

    if (moved != NULL)
        *moved = 0;
    if (terminal != NULL)
        *terminal = 0;
    if (c == NULL || c->client == NULL)
        return DMS_EINVAL;
    if (!c->programmed || c->masked || c->cancelled || c->done)
        return 0;
    if ((c->to_device != 0) != (to_device != 0)) {
        hal_finding(c->master->m, c->acct, "device", DMS_CHECK_SYSDMA, c->index, to_device, 0,
                    "device %s asked its DMA channel to move data %s the device, but the "
                    "channel was programmed the other way (WriteToDevice=%s)", c->master->name,
                    to_device ? "to" : "from", c->to_device ? "TRUE" : "FALSE");
        return 0;
    }
    if (c->kind == SYSDMA_SOC && data_register != c->device_address + c->device_offset) {
        hal_finding(c->master->m, c->acct, "device", DMS_CHECK_SYSDMA, c->index, data_register,
                    c->device_address + c->device_offset,
                    "device %s asserted its request line for its data register at 0x%llx, but "
                    "the channel moves data to and from 0x%llx (DeviceAddress 0x%llx + "
                    "DeviceOffset %u): nothing moves", c->master->name,
                    (unsigned long long)data_register,
                    (unsigned long long)(c->device_address + c->device_offset),
                    (unsigned long long)c->device_address, c->device_offset);
        return 0;
    }
    while (done < len && !c->done && !c->cancelled) {
        bool t = false;
        uint32_t n = move_piece(c, p != NULL ? p + done : NULL, len - done, &t);
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

/* CancelMappedTransfer: the transfer under way stops; the completion still runs, with
 * DmaCancelled. */
void dmac_cancel(struct sysdma_channel *c)
{
    if (c->programmed && !c->done && !c->cancelled) {
        c->cancelled = true;
        raise_completion(c);
    }
}
