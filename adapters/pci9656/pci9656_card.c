/*
 * pci9656_card.c - the PLX PCI 9656 bridge as a device (docs/hardware/pci9656.md is its
 * datasheet, pci9656_hw.h its register map): BAR0's registers, BAR1's I/O-space copy (unused),
 * BAR2's 128 KiB of local SRAM, a line interrupt, and two DMA channels, each walking a chain
 * of descriptors in host memory between host memory and the SRAM.
 *
 * Writing a channel's DMACSR with ENABLE and START posts the start to the card (it acts at the
 * time the CPU's write gets there). The channel then fetches each descriptor by DMA from the
 * address the descriptor pointer holds, moves its bytes over the card's own address lines
 * (PCI to SRAM for a write, SRAM to PCI for a read), writes the count back as zero when
 * CLEAR_COUNT is set, and follows the next pointer until one has END_OF_CHAIN. The engine takes
 * the cost model's time for the bytes and descriptors; then the channel is DONE, its INTCSR bit
 * goes active when DONE_INT_ENABLE is set, and the line interrupt fires when PCI_INT_ENABLE, the
 * channel's interrupt enable and INT_TO_PCI are set. Writing CLEAR_INT takes the active bit
 * back. START, ABORT and CLEAR_INT read as 0 (a read-modify-write never restarts a channel);
 * DONE reads 1 while the channel is idle.
 *
 * What the card moved for a request is logged by SRAM offset per channel (a request's
 * transfers start at offset 0, where a driver puts its first byte), so the simulator learns its
 * crc32 and stray pages however the driver staged it.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/devdma.h"
#include "pci9656_card.h"
#include "pci9656_hw.h"

/* A chain longer than this is a loop in the driver's descriptors: the channel stops there. */
#define MAX_CHAIN 4096

struct pci9656_card;

/* What the engine's completion carries: the card's own, one a channel (it runs one chain at a
 * time), so nothing is allocated per transfer. */
struct plx_done {
    struct pci9656_card *card;
    int channel;
};

struct plx_channel {
    struct plx_done done;
    uint32_t mode, padr, ladr, siz, dpr, dac;
    uint8_t csr;      /* ENABLE as written, DONE as the channel is */
    bool running;
    bool busy;        /* the engine's time for a chain still runs (even if aborted since) */
    bool start_held;  /* a start that came while busy: it begins when the engine is free */
    uint64_t context; /* the simulator's token of the I/O that started it */
};

struct pci9656_card {
    struct devdma dma;
    struct devlog log[2];     /* by channel: 0 writes (to SRAM), 1 reads (from SRAM) */
    const struct dms_bus *bus;
    PDEVICE_OBJECT pdo;
    unsigned address_bits;
    bool descriptor_high_always; /* [device] descriptor_high = always */
    uint32_t intcsr, cntrl;
    struct plx_channel ch[2];
    uint8_t *sram;            /* full mode */
    struct devpost posts;
};

struct plx_start {
    struct devpost link; /* first: on the card's list until it arrives */
    struct pci9656_card *card;
    int channel;
};

static const uint32_t channel_int_enable[2] = {PCI9656_INTCSR_DMA0_INT_ENABLE,
                                               PCI9656_INTCSR_DMA1_INT_ENABLE};
static const uint32_t channel_int_active[2] = {PCI9656_INTCSR_DMA0_INT_ACTIVE,
                                               PCI9656_INTCSR_DMA1_INT_ACTIVE};

static bool line_asserted(const struct pci9656_card *c)
{
    if (!(c->intcsr & PCI9656_INTCSR_PCI_INT_ENABLE))
        return false;
    for (int k = 0; k < 2; k++)
        if ((c->intcsr & channel_int_active[k]) && (c->intcsr & channel_int_enable[k]) &&
            (c->ch[k].mode & PCI9656_DMAMODE_INT_TO_PCI))
            return true;
    return false;
}

static void reset(struct pci9656_card *c)
{
    for (int k = 0; k < 2; k++) {
        /* a chain under way finishes without effect (running is false) */
        c->ch[k].mode = c->ch[k].padr = c->ch[k].ladr = c->ch[k].siz = 0;
        c->ch[k].dpr = c->ch[k].dac = 0;
        c->ch[k].csr = PCI9656_DMACSR_DONE;
        c->ch[k].running = c->ch[k].start_held = false;
    }
    c->intcsr &= ~(PCI9656_INTCSR_DMA0_INT_ACTIVE | PCI9656_INTCSR_DMA1_INT_ACTIVE);
}

/* ---------------------------------------------------------------------------------------------
 * The DMA channels.
 */
static void channel_begin(struct pci9656_card *c, int channel);

static void channel_done(void *arg)
{
    struct plx_done *d = arg;
    struct pci9656_card *c = d->card;
    int k = d->channel;
    struct plx_channel *ch = &c->ch[k];
    bool was = line_asserted(c);

    ch->busy = false;
    if (ch->start_held) { /* an aborted chain's time is over: the held start begins */
        ch->start_held = false;
        channel_begin(c, k);
        return;
    }
    if (!ch->running) /* aborted or reset meanwhile */
        return;
    ch->running = false;
    ch->csr |= PCI9656_DMACSR_DONE;
    if (ch->mode & PCI9656_DMAMODE_DONE_INT_ENABLE)
        c->intcsr |= channel_int_active[k];
    if (!was && line_asserted(c))
        dms_device_interrupt(c->pdo);
}

/* Move one block between host memory at pci and the SRAM at local, logging it for the
 * request; returns the bytes moved. */
static uint32_t block(struct pci9656_card *c, int channel, bool to_host, uint64_t pci,
                      uint32_t local, uint32_t count)
{
    struct devlog_run *run;
    uint32_t stray = 0;
    uint8_t *at;

    if (local >= PCI9656_SRAM_BYTES)
        return 0; /* nothing decodes past the SRAM: the block moves nothing */
    if (count > PCI9656_SRAM_BYTES - local)
        count = PCI9656_SRAM_BYTES - local;
    at = c->sram != NULL ? c->sram + local : NULL;
    if (to_host)
        dms_device_dma_write(c->pdo, c->address_bits, pci, at, count, &stray);
    else
        dms_device_dma_read(c->pdo, c->address_bits, pci, at, count, &stray);
    run = devlog_open(&c->log[channel], local, local == 0);
    if (run != NULL) {
        if (at != NULL)
            run->crc = c->bus->crc32(run->crc, at, count);
        run->strays += stray;
        run->transfers++;
        run->end = local + count;
    }
    return count;
}

/* The channel's chain (or its one block), moved now; its time taken by the engine. */
static void channel_run(struct pci9656_card *c, int channel)
{
    struct plx_channel *ch = &c->ch[channel];
    uint64_t bytes = 0;
    uint32_t descriptors = 0;

    if (!(ch->mode & PCI9656_DMAMODE_SG_MODE)) {
        bytes = block(c, channel, (ch->dpr & PCI9656_DPR_LOCAL_TO_PCI) != 0,
                      (uint64_t)ch->dac << 32 | ch->padr, ch->ladr, ch->siz);
    } else {
        uint32_t next = ch->dpr;
        /* descriptors in local memory (PCI_MEMORY clear) are not modelled: the chain is empty */
        while ((next & PCI9656_DPR_PCI_MEMORY) && descriptors < MAX_CHAIN) {
            uint32_t desc[5] = {0};
            uint64_t at = next & PCI9656_DPR_ADDRESS_MASK;
            uint64_t high = ch->dac;
            devdma_fetch(&c->dma, at, desc, 16);
            if ((ch->mode & PCI9656_DMAMODE_DAC_CHAIN_LOAD) || c->descriptor_high_always) {
                devdma_fetch(&c->dma, at + PCI9656_DESC_PCI_HIGH, &desc[4], 4);
                high = desc[4];
            }
            descriptors++;
            bytes += block(c, channel, (desc[3] & PCI9656_DPR_LOCAL_TO_PCI) != 0,
                           high << 32 | desc[0], desc[1], desc[2]);
            if (ch->mode & PCI9656_DMAMODE_CLEAR_COUNT) {
                uint32_t zero = 0;
                devdma_store(&c->dma, at + PCI9656_DESC_COUNT, &zero, 4);
            }
            if (desc[3] & PCI9656_DPR_END_OF_CHAIN)
                break;
            next = desc[3];
        }
    }
    ch->done = (struct plx_done){c, channel};
    ch->busy = true;
    c->bus->set_context(c->bus->ctx, ch->context);
    c->bus->device_work(c->bus->ctx, bytes, descriptors, channel_done, &ch->done);
}

static void channel_begin(struct pci9656_card *c, int channel)
{
    c->ch[channel].running = true;
    c->ch[channel].csr &= (uint8_t)~PCI9656_DMACSR_DONE;
    channel_run(c, channel);
}

static void start_arrives(void *arg)
{
    struct plx_start *s = arg;
    struct pci9656_card *c = s->card;
    int channel = s->channel;

    devpost_done(s);
    if (c->ch[channel].running || !(c->ch[channel].csr & PCI9656_DMACSR_ENABLE))
        return;
    if (c->ch[channel].busy)
        c->ch[channel].start_held = true;
    else
        channel_begin(c, channel);
}

static void csr_write(struct pci9656_card *c, int channel, uint8_t v)
{
    struct plx_channel *ch = &c->ch[channel];

    ch->csr = (uint8_t)((ch->csr & PCI9656_DMACSR_DONE) | (v & PCI9656_DMACSR_ENABLE));
    if (v & PCI9656_DMACSR_CLEAR_INT)
        c->intcsr &= ~channel_int_active[channel];
    if (v & PCI9656_DMACSR_ABORT) {
        ch->running = false;
        ch->csr |= PCI9656_DMACSR_DONE;
    }
    if ((v & PCI9656_DMACSR_START) && (v & PCI9656_DMACSR_ENABLE)) {
        struct plx_start *s = devpost_new(&c->posts, sizeof(*s));
        s->card = c;
        s->channel = channel;
        ch->context = c->bus->context(c->bus->ctx);
        c->bus->post(c->bus->ctx, start_arrives, s);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Registers.
 */
static uint32_t *channel_reg(struct pci9656_card *c, uint64_t off)
{
    int k = off >= PCI9656_DMAMODE1 && off < PCI9656_DMACSR0 ? 1 : 0;
    uint64_t base = k == 0 ? PCI9656_DMAMODE0 : PCI9656_DMAMODE1;

    switch (off - base) {
    case 0x00: return &c->ch[k].mode;
    case 0x04: return &c->ch[k].padr;
    case 0x08: return &c->ch[k].ladr;
    case 0x0C: return &c->ch[k].siz;
    case 0x10: return &c->ch[k].dpr;
    default: return NULL;
    }
}

static uint64_t reg_read(void *ctx, uint64_t offset, unsigned bytes)
{
    struct pci9656_card *c = ctx;
    uint32_t *r;

    if (offset == PCI9656_DMACSR0 || offset == PCI9656_DMACSR1) {
        uint32_t both = c->ch[0].csr | (uint32_t)c->ch[1].csr << 8;
        return offset == PCI9656_DMACSR1 ? c->ch[1].csr : bytes == 1 ? c->ch[0].csr : both;
    }
    if (offset == PCI9656_INTCSR)
        return c->intcsr;
    if (offset == PCI9656_CNTRL)
        return c->cntrl;
    if (offset == PCI9656_DMADAC0)
        return c->ch[0].dac;
    if (offset == PCI9656_DMADAC1)
        return c->ch[1].dac;
    if (offset >= PCI9656_DMAMODE0 && offset < PCI9656_DMACSR0 && (r = channel_reg(c, offset)))
        return *r;
    return 0; /* the configuration registers this model leaves out read 0 */
}

static void reg_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    struct pci9656_card *c = ctx;
    uint32_t v = (uint32_t)value, *r;
    bool was;

    if (offset == PCI9656_DMACSR0 || offset == PCI9656_DMACSR1) {
        if (offset == PCI9656_DMACSR1) {
            csr_write(c, 1, (uint8_t)v);
        } else {
            csr_write(c, 0, (uint8_t)v);
            if (bytes > 1)
                csr_write(c, 1, (uint8_t)(v >> 8));
        }
        return;
    }
    if (offset == PCI9656_INTCSR) {
        uint32_t active = c->intcsr & (PCI9656_INTCSR_DMA0_INT_ACTIVE |
                                       PCI9656_INTCSR_DMA1_INT_ACTIVE);
        was = line_asserted(c);
        c->intcsr = (v & ~(PCI9656_INTCSR_DMA0_INT_ACTIVE | PCI9656_INTCSR_DMA1_INT_ACTIVE)) |
                    active;
        if (!was && line_asserted(c)) /* enabling with a channel active: it fires */
            dms_device_interrupt(c->pdo);
        return;
    }
    if (offset == PCI9656_CNTRL) {
        if ((v & PCI9656_CNTRL_SOFTWARE_RESET) && !(c->cntrl & PCI9656_CNTRL_SOFTWARE_RESET))
            reset(c);
        c->cntrl = v;
        return;
    }
    if (offset == PCI9656_DMADAC0 || offset == PCI9656_DMADAC1) {
        c->ch[offset == PCI9656_DMADAC1].dac = v;
        return;
    }
    if (offset >= PCI9656_DMAMODE0 && offset < PCI9656_DMACSR0 && (r = channel_reg(c, offset)))
        *r = v;
}

static const struct dms_register_ops regs = {reg_read, reg_write};

/* BAR2: the SRAM as the CPU sees it (the sample maps it and never reads it). */
static uint64_t sram_read(void *ctx, uint64_t offset, unsigned bytes)
{
    struct pci9656_card *c = ctx;
    uint64_t v = 0;

    if (c->sram != NULL && offset + bytes <= PCI9656_SRAM_BYTES)
        memcpy(&v, c->sram + offset, bytes);
    return v;
}

static void sram_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    struct pci9656_card *c = ctx;

    if (c->sram != NULL && offset + bytes <= PCI9656_SRAM_BYTES)
        memcpy(c->sram + offset, &value, bytes);
}

static const struct dms_register_ops sram_ops = {sram_read, sram_write};

static uint64_t port_read(void *ctx, uint64_t offset, unsigned bytes)
{
    (void)ctx;
    (void)offset;
    (void)bytes;
    return 0;
}

static void port_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    (void)ctx;
    (void)offset;
    (void)bytes;
    (void)value;
}

static const struct dms_register_ops port_ops = {port_read, port_write};

/* ---------------------------------------------------------------------------------------------
 * Attach, settle, detach.
 */
int pci9656_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                        const struct dms_bus *bus, struct pci9656_card **out)
{
    struct pci9656_card *c = calloc(1, sizeof(*c));
    int err;

    if (c == NULL)
        return DMS_ENOMEM;
    c->bus = bus;
    c->pdo = pdo;
    c->address_bits = s->address_bits;
    c->descriptor_high_always = s->descriptor_high_always;
    reset(c);
    /* the firmware reports the bridge's DMA reach, its address lines: a driver that declares
     * more (Microsoft's sample always declares 64) gets an adapter that reaches no higher */
    err = dms_device_set_dma_limit(pdo, s->address_bits >= 24 ? s->address_bits : 24);
    if (err == 0)
        err = devdma_init(&c->dma, pdo, s->address_bits, bus, 0, devdma_salt(s->name));
    if (err == 0 && bus->full_data && (c->sram = calloc(1, PCI9656_SRAM_BYTES)) == NULL)
        err = DMS_ENOMEM;
    /* BAR0, BAR1 (I/O space), BAR2, then the line interrupt, as the bridge presents them */
    if (err == 0)
        err = dms_device_add_memory(pdo, bar, PCI9656_BAR0_BYTES, &regs, c);
    if (err == 0)
        err = dms_device_add_port(pdo, (uint32_t)(0xE000 + (bar >> 16 & 0xFF) * 0x100),
                                  PCI9656_BAR1_BYTES, &port_ops, c);
    if (err == 0)
        err = dms_device_add_memory(pdo, bar + PCI9656_SRAM_BYTES, PCI9656_SRAM_BYTES,
                                    &sram_ops, c);
    if (err == 0)
        err = dms_device_add_interrupt(pdo, LevelSensitive);
    if (err == 0) {
        CM_PARTIAL_RESOURCE_DESCRIPTOR priv = {.Type = CmResourceTypeDevicePrivate};
        priv.u.DevicePrivate.Data[PCI9656_PRIVATE_DECLARED_BITS] = s->declared_bits;
        priv.u.DevicePrivate.Data[PCI9656_PRIVATE_MAX_TRANSFER] = s->max_transfer;
        err = dms_device_add_resource(pdo, &priv);
    }
    if (err != 0) {
        pci9656_card_free(c);
        return err;
    }
    *out = c;
    return 0;
}

void pci9656_card_settle(struct pci9656_card *c, struct dms_io *io)
{
    devlog_settle(&c->log[io->write ? 0 : 1], io);
}

void pci9656_card_free(struct pci9656_card *c)
{
    if (c == NULL)
        return;
    devpost_free_all(&c->posts);
    devlog_free(&c->log[0]);
    devlog_free(&c->log[1]);
    devdma_free(&c->dma);
    free(c->sram);
    free(c);
}
