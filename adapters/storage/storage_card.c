/*
 * storage_card.c - the storage controller as a device: registers on a memory BAR, a command
 * table and a completion queue in host memory (where the driver's registers say), a doorbell,
 * a bus-master engine that takes scatter/gather lists, and one interrupt
 * (docs/hardware/storage.md is its datasheet; storage_hw.h its register map and formats).
 *
 * A doorbell write is posted: when it reaches the controller, it fetches the slot's command by
 * DMA, checks it, queues it for its engine (the cost model's time), moves the data by logical
 * address over its own address lines, writes a completion entry by DMA and raises its
 * interrupt if none is pending. Everything it touches it reaches by logical address, so a
 * driver that declared more address bits than the controller has sees commands, data and
 * completions land in the wrong frames, and the run names whose.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/devdma.h"
#include "storage_card.h"
#include "storage_hw.h"

#define STOR_MAX_SLOTS 4096

struct stor_card {
    struct devdma dma;
    struct devlog log;
    const struct dms_bus *bus;
    PDEVICE_OBJECT pdo;
    uint32_t max_elements, max_transfer;
    unsigned address_bits;
    bool scatter_gather;
    /* registers */
    uint64_t cmd_base, cq_base;
    uint32_t slots, stride, control, int_status;
    /* queue state, taken at ENABLE */
    bool enabled;
    uint32_t cq_tail;
    uint16_t cq_phase;
    STOR_COMMAND *fetched;      /* the controller's copy of each slot's command */
    struct devdma_element *el;  /* per slot */
    uint64_t *offset;           /* per slot: the media offset of its command (its log run) */
    uint32_t *pending_strays;   /* per slot: stray pages before the command's run is open */
    struct devpost posts;       /* doorbell writes on their way */
};

struct stor_bell {
    struct devpost link; /* first: on the card's list until it arrives */
    struct stor_card *card;
    uint32_t slot;
};

static STOR_COMMAND *slot_command(struct stor_card *c, uint32_t slot)
{
    return (STOR_COMMAND *)((uint8_t *)c->fetched +
                            (size_t)slot * (sizeof(STOR_COMMAND) +
                                            c->max_elements * sizeof(STOR_ELEMENT)));
}

static void add_strays(struct stor_card *c, uint32_t slot, uint32_t strays)
{
    struct devlog_run *run;

    if (strays == 0)
        return;
    run = devlog_find(&c->log, c->offset[slot]);
    if (run != NULL)
        run->strays += strays;
    else
        c->pending_strays[slot] += strays;
}

/* A completion entry, by DMA, then the interrupt unless one is already asserted. */
static void post_completion(struct stor_card *c, uint32_t slot, NTSTATUS status)
{
    STOR_COMPLETION entry = {(USHORT)slot, c->cq_phase, status};

    add_strays(c, slot, devdma_store(&c->dma, c->cq_base + (uint64_t)c->cq_tail * sizeof(entry),
                                     &entry, sizeof(entry)));
    if (++c->cq_tail == c->slots) {
        c->cq_tail = 0;
        c->cq_phase ^= 1;
    }
    if ((c->control & STOR_CONTROL_INT_ENABLE) && !(c->int_status & STOR_INT_COMPLETION)) {
        c->int_status |= STOR_INT_COMPLETION;
        dms_device_interrupt(c->pdo);
    } else {
        c->int_status |= STOR_INT_COMPLETION;
    }
}

/* The engine has had its time for the command: move the data, complete it. */
static void engine_done(void *arg)
{
    struct stor_bell *b = arg;
    struct stor_card *c = b->card;
    uint32_t slot = b->slot;
    STOR_COMMAND *cmd = slot_command(c, slot);
    struct devdma_element *el = c->el + (size_t)slot * c->max_elements;
    struct devlog_run *run = devlog_open(&c->log, cmd->Offset, (cmd->Flags & STOR_CMD_FIRST) != 0);
    uint32_t crc = run != NULL ? run->crc : 0, strays;

    devpost_done(b);
    for (ULONG i = 0; i < cmd->Elements; i++)
        el[i] = (struct devdma_element){cmd->Element[i].Address, cmd->Element[i].Length};
    strays = devdma_move(&c->dma, el, cmd->Elements, cmd->Write, cmd->Offset, &crc);
    if (run != NULL) {
        run->crc = crc;
        run->strays += strays + c->pending_strays[slot];
        run->transfers++;
        run->end = cmd->Offset + cmd->Bytes;
    }
    c->pending_strays[slot] = 0;
    c->offset[slot] = cmd->Offset;
    /* fault injection: the controller reports the command failed (a media or link error) */
    post_completion(c, slot, dms_device_error(c->pdo) ? STATUS_IO_DEVICE_ERROR : STATUS_SUCCESS);
}

static bool command_valid(const struct stor_card *c, const STOR_COMMAND *cmd, uint32_t slot)
{
    ULONGLONG sum = 0;

    if (cmd->Tag != slot || cmd->Elements == 0 || cmd->Elements > c->max_elements ||
        cmd->Bytes == 0 || cmd->Bytes > c->max_transfer ||
        (!c->scatter_gather && cmd->Elements != 1))
        return false;
    for (ULONG i = 0; i < cmd->Elements; i++)
        sum += cmd->Element[i].Length;
    return sum == cmd->Bytes;
}

/* The doorbell reaches the controller: it fetches the command and queues it for its engine. */
static void doorbell_arrives(void *arg)
{
    struct stor_bell *b = arg;
    struct stor_card *c = b->card;
    uint32_t slot = b->slot;
    STOR_COMMAND *cmd;
    uint64_t at;

    if (!c->enabled || slot >= c->slots) {
        devpost_done(b); /* a doorbell for no slot: the controller ignores it */
        return;
    }
    cmd = slot_command(c, slot);
    at = c->cmd_base + (uint64_t)slot * c->stride;
    c->pending_strays[slot] = devdma_fetch(&c->dma, at, cmd, sizeof(*cmd));
    if (cmd->Elements <= c->max_elements)
        c->pending_strays[slot] += devdma_fetch(&c->dma, at + sizeof(*cmd), cmd->Element,
                                                cmd->Elements * (uint32_t)sizeof(STOR_ELEMENT));
    if (!command_valid(c, cmd, slot)) {
        devpost_done(b);
        post_completion(c, slot, STATUS_IO_DEVICE_ERROR);
        return;
    }
    if (dms_device_stall(c->pdo)) {
        devpost_done(b); /* fault injection: the engine takes the command and never ends it */
        return;
    }
    c->bus->device_work(c->bus->ctx, cmd->Bytes, cmd->Elements + 1, engine_done, b);
}

static void enable(struct stor_card *c)
{
    c->enabled = c->slots >= 1 && c->slots <= STOR_MAX_SLOTS &&
                 c->stride >= sizeof(STOR_COMMAND) + sizeof(STOR_ELEMENT);
    c->cq_tail = 0;
    c->cq_phase = 1;
    free(c->fetched);
    free(c->el);
    free(c->offset);
    free(c->pending_strays);
    c->fetched = NULL;
    c->el = NULL;
    c->offset = NULL;
    c->pending_strays = NULL;
    if (!c->enabled)
        return;
    c->fetched = calloc(c->slots, sizeof(STOR_COMMAND) + c->max_elements * sizeof(STOR_ELEMENT));
    c->el = calloc((size_t)c->slots * c->max_elements, sizeof(*c->el));
    c->offset = calloc(c->slots, sizeof(*c->offset));
    c->pending_strays = calloc(c->slots, sizeof(*c->pending_strays));
    if (c->fetched == NULL || c->el == NULL || c->offset == NULL || c->pending_strays == NULL)
        abort(); /* the host is out of memory: nothing in the run can go on */
}

static uint64_t card_read(void *ctx, uint64_t offset, unsigned bytes)
{
    struct stor_card *c = ctx;

    (void)bytes;
    switch (offset) {
    case STOR_REG_ID: return STOR_ID;
    case STOR_REG_MAX_SLOTS: return STOR_MAX_SLOTS;
    case STOR_REG_MAX_ELEMENTS: return c->max_elements;
    case STOR_REG_MAX_TRANSFER: return c->max_transfer;
    case STOR_REG_ADDRESS_BITS: return c->address_bits;
    case STOR_REG_FEATURES: return c->scatter_gather ? STOR_FEATURE_SCATTER_GATHER : 0;
    case STOR_REG_CMD_BASE_LO: return (uint32_t)c->cmd_base;
    case STOR_REG_CMD_BASE_HI: return (uint32_t)(c->cmd_base >> 32);
    case STOR_REG_CQ_BASE_LO: return (uint32_t)c->cq_base;
    case STOR_REG_CQ_BASE_HI: return (uint32_t)(c->cq_base >> 32);
    case STOR_REG_SLOTS: return c->slots;
    case STOR_REG_CMD_STRIDE: return c->stride;
    case STOR_REG_CONTROL: return c->control;
    case STOR_REG_INT_STATUS: return c->int_status;
    default: return 0;
    }
}

static void card_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    struct stor_card *c = ctx;
    uint32_t v = (uint32_t)value;
    struct stor_bell *b;

    (void)bytes;
    switch (offset) {
    case STOR_REG_CMD_BASE_LO: c->cmd_base = (c->cmd_base & ~0xFFFFFFFFull) | v; break;
    case STOR_REG_CMD_BASE_HI: c->cmd_base = (c->cmd_base & 0xFFFFFFFFull) | (uint64_t)v << 32;
        break;
    case STOR_REG_CQ_BASE_LO: c->cq_base = (c->cq_base & ~0xFFFFFFFFull) | v; break;
    case STOR_REG_CQ_BASE_HI: c->cq_base = (c->cq_base & 0xFFFFFFFFull) | (uint64_t)v << 32;
        break;
    case STOR_REG_SLOTS: c->slots = v; break;
    case STOR_REG_CMD_STRIDE: c->stride = v; break;
    case STOR_REG_CONTROL:
        if ((v & STOR_CONTROL_ENABLE) && !(c->control & STOR_CONTROL_ENABLE))
            enable(c);
        else if (!(v & STOR_CONTROL_ENABLE))
            c->enabled = false;
        c->control = v & (STOR_CONTROL_ENABLE | STOR_CONTROL_INT_ENABLE);
        break;
    case STOR_REG_INT_STATUS: c->int_status &= ~v; break;
    case STOR_REG_DOORBELL:
        b = devpost_new(&c->posts, sizeof(*b));
        b->card = c;
        b->slot = v;
        c->bus->post(c->bus->ctx, doorbell_arrives, b);
        break;
    default: break;
    }
}

static const struct dms_register_ops card_ops = {card_read, card_write};

int stor_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                     const struct dms_bus *bus, struct stor_card **out)
{
    struct stor_card *c = calloc(1, sizeof(*c));
    CM_PARTIAL_RESOURCE_DESCRIPTOR priv = {.Type = CmResourceTypeDevicePrivate};
    int err;

    if (c == NULL)
        return DMS_ENOMEM;
    c->bus = bus;
    c->pdo = pdo;
    c->max_transfer = s->max_transfer;
    c->max_elements = (uint32_t)BYTES_TO_PAGES(s->max_transfer) + 1;
    c->address_bits = s->address_bits;
    c->scatter_gather = s->scatter_gather;
    priv.u.DevicePrivate.Data[STOR_PRIVATE_DECLARED_BITS] = s->declared_bits;
    priv.u.DevicePrivate.Data[STOR_PRIVATE_MAX_TRANSFER] = s->max_transfer;
    priv.u.DevicePrivate.Data[STOR_PRIVATE_CONFIG] =
        (ULONG)s->pattern | (s->flush_io_buffers ? 0x100u : 0) |
        (s->queue_contiguous ? STOR_CONFIG_QUEUE_CONTIGUOUS : 0) | (s->slots << 16);
    err = devdma_init(&c->dma, pdo, s->address_bits, bus, s->max_transfer, devdma_salt(s->name));
    if (err == 0)
        err = devcard_present(pdo, bar, STOR_BAR_BYTES, &card_ops, c, &priv, 1);
    if (err != 0) {
        stor_card_free(c);
        return err;
    }
    *out = c;
    return 0;
}

void stor_card_settle(struct stor_card *c, struct dms_io *io)
{
    devlog_settle(&c->log, io);
}

void stor_card_free(struct stor_card *c)
{
    if (c == NULL)
        return;
    devdma_free(&c->dma);
    devlog_free(&c->log);
    devpost_free_all(&c->posts);
    free(c->fetched);
    free(c->el);
    free(c->offset);
    free(c->pending_strays);
    free(c);
}
