/*
 * legacy_card.c - the legacy bus-master card as a device: its registers on a memory BAR, its
 * DMA engine, its interrupt (docs/hardware/legacy.md is its datasheet; legacy_hw.h its
 * register map).
 *
 * The card moves one physically contiguous range per transfer: the driver writes the DMA
 * address, the count and the media offset, then CONTROL with GO. The write is posted: the
 * card acts on it when it reaches the card, after the CPU work that made it. The engine takes
 * its time (the simulator's cost model), moves the bytes by logical address over the card's
 * own address lines, sets DONE and, with INT_ENABLE, raises its level-sensitive interrupt
 * until the driver writes 1 to INT_STATUS. Everything a driver can do wrong here (GO while
 * busy, a zero or oversized count) sets ERROR and completes at once, as the datasheet says.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/devdma.h"
#include "legacy_hw.h"
#include "legacy_card.h"

struct legacy_card {
    struct devdma dma;
    struct devlog log;
    const struct dms_bus *bus;
    PDEVICE_OBJECT pdo;
    uint32_t max_transfer;
    unsigned address_bits;
    /* registers */
    uint64_t address, offset;
    uint32_t count;
    uint32_t control, status, int_status;
    /* the transfer under way (the registers may change while it runs) */
    uint64_t t_address, t_offset;
    uint32_t t_count;
    bool t_to_device;
};

static void card_finish(struct legacy_card *c, bool error)
{
    c->status = (c->status & ~LEGACY_STATUS_BUSY) | LEGACY_STATUS_DONE |
                (error ? LEGACY_STATUS_ERROR : 0);
    if (c->control & LEGACY_CONTROL_INT_ENABLE) {
        c->int_status |= LEGACY_INT_DONE;
        dms_device_interrupt(c->pdo);
    }
}

/* The engine has had its time: move the bytes. */
static void card_engine_done(void *arg)
{
    struct legacy_card *c = arg;
    struct devdma_element el = {c->t_address, c->t_count};
    struct devlog_run *run = devlog_open(&c->log, c->t_offset, false);
    uint32_t crc = run != NULL ? run->crc : 0, strays;

    /* fault injection: the transfer fails on the medium (datasheet: STATUS.ERROR, no bytes) */
    if (dms_device_error(c->pdo)) {
        card_finish(c, true);
        return;
    }
    strays = devdma_move(&c->dma, &el, 1, c->t_to_device, c->t_offset, &crc);
    if (run != NULL) {
        run->crc = crc;
        run->strays += strays;
        run->transfers++;
        run->end = c->t_offset + c->t_count;
    }
    card_finish(c, false);
}

/* The write of GO reaches the card. */
static void card_go_arrives(void *arg)
{
    struct legacy_card *c = arg;

    if ((c->status & LEGACY_STATUS_BUSY) || c->count == 0 || c->count > c->max_transfer) {
        card_finish(c, true);
        return;
    }
    c->status = LEGACY_STATUS_BUSY;
    c->t_address = c->address;
    c->t_offset = c->offset;
    c->t_count = c->count;
    c->t_to_device = (c->control & LEGACY_CONTROL_TO_DEVICE) != 0;
    if (dms_device_stall(c->pdo))
        return; /* fault injection: the engine wedges, BUSY for good (datasheet) */
    c->bus->device_work(c->bus->ctx, c->t_count, 1, card_engine_done, c);
}

static uint64_t card_read(void *ctx, uint64_t offset, unsigned bytes)
{
    struct legacy_card *c = ctx;

    (void)bytes;
    switch (offset) {
    case LEGACY_REG_ADDRESS_LO: return (uint32_t)c->address;
    case LEGACY_REG_ADDRESS_HI: return (uint32_t)(c->address >> 32);
    case LEGACY_REG_COUNT: return c->count;
    case LEGACY_REG_OFFSET_LO: return (uint32_t)c->offset;
    case LEGACY_REG_OFFSET_HI: return (uint32_t)(c->offset >> 32);
    case LEGACY_REG_CONTROL: return c->control & ~LEGACY_CONTROL_GO;
    case LEGACY_REG_STATUS: return c->status;
    case LEGACY_REG_INT_STATUS: return c->int_status;
    case LEGACY_REG_ID: return LEGACY_ID;
    case LEGACY_REG_ADDRESS_BITS: return c->address_bits;
    case LEGACY_REG_MAX_TRANSFER: return c->max_transfer;
    default: return 0; /* reserved: reads as zero */
    }
}

static void card_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    struct legacy_card *c = ctx;
    uint32_t v = (uint32_t)value;

    (void)bytes;
    switch (offset) {
    case LEGACY_REG_ADDRESS_LO: c->address = (c->address & ~0xFFFFFFFFull) | v; break;
    case LEGACY_REG_ADDRESS_HI: c->address = (c->address & 0xFFFFFFFFull) | (uint64_t)v << 32;
        break;
    case LEGACY_REG_COUNT: c->count = v; break;
    case LEGACY_REG_OFFSET_LO: c->offset = (c->offset & ~0xFFFFFFFFull) | v; break;
    case LEGACY_REG_OFFSET_HI: c->offset = (c->offset & 0xFFFFFFFFull) | (uint64_t)v << 32;
        break;
    case LEGACY_REG_CONTROL:
        c->control = v & ~LEGACY_CONTROL_GO;
        if (v & LEGACY_CONTROL_GO) {
            c->status &= ~(LEGACY_STATUS_DONE | LEGACY_STATUS_ERROR);
            c->bus->post(c->bus->ctx, card_go_arrives, c);
        }
        break;
    case LEGACY_REG_INT_STATUS: c->int_status &= ~v; break; /* write 1 to clear */
    default: break; /* read-only or reserved: ignored */
    }
}

static const struct dms_register_ops card_ops = {card_read, card_write};

/* legacy_card_attach - the card behind pdo: BAR 0 at bar, an interrupt, and the driver's
 * configuration from the bus. Returns 0 and *out, or a DMS_E* code. */
int legacy_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                       const struct dms_bus *bus, struct legacy_card **out)
{
    struct legacy_card *c = calloc(1, sizeof(*c));
    CM_PARTIAL_RESOURCE_DESCRIPTOR priv = {.Type = CmResourceTypeDevicePrivate};
    int err;

    if (c == NULL)
        return DMS_ENOMEM;
    c->bus = bus;
    c->pdo = pdo;
    c->max_transfer = s->max_transfer;
    c->address_bits = s->address_bits;
    priv.u.DevicePrivate.Data[LEGACY_PRIVATE_DECLARED_BITS] =
        s->declared_bits | (ULONG)s->pattern << 8;
    priv.u.DevicePrivate.Data[LEGACY_PRIVATE_MAX_TRANSFER] = s->max_transfer;
    priv.u.DevicePrivate.Data[LEGACY_PRIVATE_FLUSH] = s->flush_io_buffers;
    err = devdma_init(&c->dma, pdo, s->address_bits, bus, s->max_transfer, devdma_salt(s->name));
    if (err == 0)
        err = devcard_present(pdo, bar, LEGACY_BAR_BYTES, &card_ops, c, &priv, 1);
    if (err != 0) {
        legacy_card_free(c);
        return err;
    }
    *out = c;
    return 0;
}

void legacy_card_settle(struct legacy_card *c, struct dms_io *io)
{
    devlog_settle(&c->log, io);
}

void legacy_card_free(struct legacy_card *c)
{
    if (c == NULL)
        return;
    devdma_free(&c->dma);
    devlog_free(&c->log);
    free(c);
}
