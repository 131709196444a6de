/*
 * display_card.c - the display adapter's two DMA engines as a device: registers on a memory
 * BAR, one descriptor per engine in host memory (where the engine's DESC registers say), a
 * START register per engine, an interrupt status bit per engine and one interrupt line
 * (docs/hardware/display.md is its datasheet; display_hw.h its register map and format).
 *
 * A START write is posted: when it reaches the card, the engine fetches its descriptor by DMA,
 * checks it, queues it for a DMA engine of the bus (the cost model's time: [device] engines
 * of them work at once), moves the bytes between host memory and video memory by logical
 * address over its own address lines, sets its status and interrupt bit, and raises the
 * interrupt if none was pending. Between descriptors the engine is idle: a large request
 * its miniport splits into rounds leaves a gap between each round's end and the next START.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/devdma.h"
#include "display_card.h"
#include "display_hw.h"

#define DISP_MAX_ELEMENTS 17 /* 64 KiB at any page offset */

struct disp_engine {
    uint64_t desc;              /* DESC_LO/HI */
    uint32_t status;
    DISP_DESCRIPTOR *fetched;   /* the engine's copy of its descriptor */
    struct devdma_element el[DISP_MAX_ELEMENTS];
    uint32_t pending_strays;    /* stray pages before the descriptor's run is open */
    uint64_t done_ns;           /* when it last finished a descriptor */
    uint64_t done_end;          /* where in video memory that descriptor ended */
    bool done_valid;
};

struct disp_card {
    struct devdma dma;
    struct devlog log;
    const struct dms_bus *bus;
    PDEVICE_OBJECT pdo;
    uint32_t max_transfer;      /* one descriptor's */
    unsigned address_bits;
    uint32_t int_status, int_enable;
    struct disp_engine eng[DISP_ENGINES];
    struct devpost posts;       /* START writes on their way */
};

struct disp_start {
    struct devpost link; /* first: on the card's list until it arrives */
    struct disp_card *card;
    int engine;
};

static void raise_done(struct disp_card *c, int e)
{
    uint32_t bit = 1u << e;
    bool was = (c->int_status & c->int_enable) != 0;

    c->int_status |= bit;
    if (!was && (c->int_enable & bit))
        dms_device_interrupt(c->pdo);
}

/* The engine has had its time for the descriptor: move the bytes, say it is done. */
static void engine_done(void *arg)
{
    struct disp_start *s = arg;
    struct disp_card *c = s->card;
    struct disp_engine *g = &c->eng[s->engine];
    DISP_DESCRIPTOR *d = g->fetched;
    struct devlog_run *run = devlog_open(&c->log, d->VramOffset, (d->Flags & DISP_DESC_FIRST) != 0);
    uint32_t crc = run != NULL ? run->crc : 0, strays;
    int e = s->engine;

    devpost_done(s);
    for (ULONG i = 0; i < d->Elements; i++)
        g->el[i] = (struct devdma_element){d->Element[i].Address, d->Element[i].Length};
    strays = devdma_move(&c->dma, g->el, d->Elements, (d->Flags & DISP_DESC_TO_VRAM) != 0,
                         d->VramOffset, &crc);
    if (run != NULL) {
        run->crc = crc;
        run->strays += strays + g->pending_strays;
        run->transfers++;
        run->end = d->VramOffset + d->Bytes;
    }
    g->pending_strays = 0;
    g->done_ns = c->bus->now != NULL ? c->bus->now(c->bus->ctx) : 0;
    g->done_end = d->VramOffset + d->Bytes;
    g->done_valid = true;
    /* fault injection: the engine reports the descriptor failed */
    g->status = dms_device_error(c->pdo) ? DISP_STATUS_ERROR : 0;
    raise_done(c, e);
}

static bool descriptor_valid(const struct disp_card *c, const DISP_DESCRIPTOR *d)
{
    ULONGLONG sum = 0;

    if (d->Elements == 0 || d->Elements > DISP_MAX_ELEMENTS || d->Bytes == 0 ||
        d->Bytes > c->max_transfer)
        return false;
    for (ULONG i = 0; i < d->Elements; i++)
        sum += d->Element[i].Length;
    return sum == d->Bytes;
}

/* START reaches the card: the engine fetches its descriptor and queues it for a bus engine. */
static void start_arrives(void *arg)
{
    struct disp_start *s = arg;
    struct disp_card *c = s->card;
    struct disp_engine *g = &c->eng[s->engine];
    DISP_DESCRIPTOR *d = g->fetched;

    if (g->status & DISP_STATUS_BUSY) { /* a START while running: ignored */
        devpost_done(s);
        return;
    }
    g->pending_strays = devdma_fetch(&c->dma, g->desc, d, sizeof(*d));
    if (d->Elements <= DISP_MAX_ELEMENTS)
        g->pending_strays += devdma_fetch(&c->dma, g->desc + sizeof(*d), d->Element,
                                          d->Elements * (uint32_t)sizeof(DISP_ELEMENT));
    if (!descriptor_valid(c, d)) {
        devpost_done(s);
        g->status = DISP_STATUS_ERROR;
        raise_done(c, s->engine);
        return;
    }
    /* the next part of the request this engine moved last: it was idle since, waiting */
    if (g->done_valid && !(d->Flags & DISP_DESC_FIRST) && d->VramOffset == g->done_end &&
        c->bus->now != NULL) {
        struct devlog_run *run = devlog_find(&c->log, d->VramOffset - 1);
        if (run != NULL)
            run->idle_ns += c->bus->now(c->bus->ctx) - g->done_ns;
    }
    g->done_valid = false;
    if (dms_device_stall(c->pdo)) {
        devpost_done(s); /* fault injection: the engine takes the descriptor and never ends */
        g->status = DISP_STATUS_BUSY;
        return;
    }
    g->status = DISP_STATUS_BUSY;
    c->bus->device_work(c->bus->ctx, d->Bytes, d->Elements + 1, engine_done, s);
}

static uint64_t card_read(void *ctx, uint64_t offset, unsigned bytes)
{
    struct disp_card *c = ctx;

    (void)bytes;
    if (offset >= DISP_REG_ENGINE(0) && offset < DISP_REG_ENGINE(DISP_ENGINES)) {
        struct disp_engine *g = &c->eng[(offset - DISP_REG_ENGINE(0)) / 0x20];
        switch ((offset - DISP_REG_ENGINE(0)) % 0x20) {
        case DISP_ENG_DESC_LO: return (uint32_t)g->desc;
        case DISP_ENG_DESC_HI: return (uint32_t)(g->desc >> 32);
        case DISP_ENG_STATUS: return g->status;
        default: return 0;
        }
    }
    switch (offset) {
    case DISP_REG_ID: return DISP_ID;
    case DISP_REG_ENGINES: return DISP_ENGINES;
    case DISP_REG_MAX_ELEMENTS: return DISP_MAX_ELEMENTS;
    case DISP_REG_MAX_TRANSFER: return c->max_transfer;
    case DISP_REG_ADDRESS_BITS: return c->address_bits;
    case DISP_REG_INT_STATUS: return c->int_status;
    case DISP_REG_INT_ENABLE: return c->int_enable;
    default: return 0;
    }
}

static void card_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    struct disp_card *c = ctx;
    uint32_t v = (uint32_t)value;

    (void)bytes;
    if (offset >= DISP_REG_ENGINE(0) && offset < DISP_REG_ENGINE(DISP_ENGINES)) {
        int e = (int)((offset - DISP_REG_ENGINE(0)) / 0x20);
        struct disp_engine *g = &c->eng[e];
        struct disp_start *s;
        switch ((offset - DISP_REG_ENGINE(0)) % 0x20) {
        case DISP_ENG_DESC_LO: g->desc = (g->desc & ~0xFFFFFFFFull) | v; break;
        case DISP_ENG_DESC_HI: g->desc = (g->desc & 0xFFFFFFFFull) | (uint64_t)v << 32; break;
        case DISP_ENG_START:
            if (!(v & 1))
                break;
            s = devpost_new(&c->posts, sizeof(*s));
            s->card = c;
            s->engine = e;
            c->bus->post(c->bus->ctx, start_arrives, s);
            break;
        default: break;
        }
        return;
    }
    switch (offset) {
    case DISP_REG_INT_STATUS: c->int_status &= ~v; break;
    case DISP_REG_INT_ENABLE: c->int_enable = v & ((1u << DISP_ENGINES) - 1); break;
    default: break;
    }
}

static const struct dms_register_ops card_ops = {card_read, card_write};

int disp_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                     const struct dms_bus *bus, struct disp_card **out)
{
    struct disp_card *c = calloc(1, sizeof(*c));
    CM_PARTIAL_RESOURCE_DESCRIPTOR priv = {.Type = CmResourceTypeDevicePrivate};
    int err = 0;

    if (c == NULL)
        return DMS_ENOMEM;
    c->bus = bus;
    c->pdo = pdo;
    /* a descriptor lists 17 elements: 64 KiB at any page offset */
    c->max_transfer = (DISP_MAX_ELEMENTS - 1) * PAGE_SIZE;
    c->address_bits = s->address_bits;
    for (int e = 0; e < DISP_ENGINES && err == 0; e++) {
        c->eng[e].fetched = calloc(1, sizeof(DISP_DESCRIPTOR) +
                                          DISP_MAX_ELEMENTS * sizeof(DISP_ELEMENT));
        if (c->eng[e].fetched == NULL)
            err = DMS_ENOMEM;
    }
    priv.u.DevicePrivate.Data[DISP_PRIVATE_DECLARED_BITS] = s->declared_bits;
    priv.u.DevicePrivate.Data[DISP_PRIVATE_MAX_TRANSFER] = s->max_transfer;
    priv.u.DevicePrivate.Data[DISP_PRIVATE_ADAPTERS] = s->dma_adapters;
    if (err == 0)
        err = devdma_init(&c->dma, pdo, s->address_bits, bus, c->max_transfer,
                          devdma_salt(s->name));
    if (err == 0)
        err = devcard_present(pdo, bar, DISP_BAR_BYTES, &card_ops, c, &priv, 1);
    if (err != 0) {
        disp_card_free(c);
        return err;
    }
    *out = c;
    return 0;
}

void disp_card_settle(struct disp_card *c, struct dms_io *io)
{
    devlog_settle(&c->log, io);
}

void disp_card_free(struct disp_card *c)
{
    if (c == NULL)
        return;
    devdma_free(&c->dma);
    devlog_free(&c->log);
    devpost_free_all(&c->posts);
    for (int e = 0; e < DISP_ENGINES; e++)
        free(c->eng[e].fetched);
    free(c);
}
