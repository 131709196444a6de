/*
 * nic_card.c - the network adapter as a device: registers on a memory BAR, a transmit ring and
 * a receive ring of 16-byte descriptors in host memory (where the driver's registers say), a
 * tail doorbell per ring, a bus-master engine per ring, and one interrupt
 * (docs/hardware/nic.md is its datasheet; nic_hw.h its register map and descriptor).
 *
 * A doorbell write is posted. When it reaches the adapter, each ring's engine fetches the
 * next chain (descriptors up to the one marked end-of-packet) by DMA, queues it for the wire
 * (the cost model's time), moves the packet by logical address over its own address lines,
 * writes the chain's first descriptor back with DONE set, and raises the interrupt if its
 * status bit was clear. Everything crosses the adapter's address lines, descriptors too.
 *
 * What the simulator learns when a request completes (its crc, stray pages, transfers): the
 * adapter keeps a record per packet in the order its chains finished, a request's later
 * pieces joining the record its first piece opened (by the descriptors' Tag). A completed
 * request takes the oldest record of its direction that carried exactly its bytes: drivers
 * reap a ring in order, so that is its own.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/devdma.h"
#include "nic_card.h"
#include "nic_hw.h"

#define NIC_TX 0
#define NIC_RX 1

struct nic_ring_hw {
    uint64_t base;
    uint32_t head, tail;
    bool busy;
    uint32_t first, count;  /* the chain under way */
    uint64_t media;         /* receive: bytes off the wire so far */
    uint64_t doorbell_seq;  /* the newest doorbell write taken */
    uint64_t doorbells;     /* doorbell writes made */
    struct devdma_element *el;
    uint64_t *context;      /* per entry: whose I/O its doorbell was rung for (dms_bus) */
    struct devrec *record; /* the chain's record (NULL: none, for a malformed chain) */
    struct devrec_log log;
};

/* A ring's chain on the wire: one at a time per ring. */
struct nic_job {
    struct nic_card *card;
    int which;
};

struct nic_card {
    struct devdma dma;
    const struct dms_bus *bus;
    PDEVICE_OBJECT pdo;
    uint32_t max_elements, max_transfer;
    unsigned address_bits;
    /* registers */
    uint32_t entries, control, int_status;
    uint64_t tx_base, rx_base;
    bool enabled;
    uint32_t ring_entries; /* taken at ENABLE */
    struct nic_ring_hw ring[2];
    struct nic_job job[2];
    struct devpost posts; /* doorbell writes on their way */
};

struct nic_bell {
    struct devpost link; /* first: on the card's list until it arrives */
    struct nic_card *card;
    int which;
    uint32_t tail;
    uint64_t seq; /* the order the driver wrote it in */
};

static void ring_next(struct nic_card *c, int which);

static void add_strays(struct nic_ring_hw *r, uint32_t strays)
{
    if (r->record != NULL)
        r->record->strays += strays;
}

/* Write DONE (and maybe ERROR) back into the chain's first descriptor, then interrupt. */
static void writeback(struct nic_card *c, int which, USHORT flags)
{
    struct nic_ring_hw *r = &c->ring[which];
    uint64_t at = r->base + (uint64_t)r->first * sizeof(NIC_DESCRIPTOR);
    uint32_t bit = which == NIC_TX ? NIC_INT_TX_DONE : NIC_INT_RX_DONE;
    NIC_DESCRIPTOR d;

    add_strays(r, devdma_fetch(&c->dma, at, &d, sizeof(d)));
    d.Flags |= flags;
    add_strays(r, devdma_store(&c->dma, at, &d, sizeof(d)));
    r->head = (r->first + r->count) % c->ring_entries;
    r->busy = false;
    r->record = NULL;
    if ((c->control & NIC_CONTROL_INT_ENABLE) && c->int_status == 0) {
        c->int_status |= bit;
        dms_device_interrupt(c->pdo);
    } else {
        c->int_status |= bit;
    }
    ring_next(c, which);
}


/* The wire has had its time for the packet: move it, write the chain back. */
static void engine_done(void *arg)
{
    struct nic_job *job = arg;
    struct nic_card *c = job->card;
    int which = job->which;
    struct nic_ring_hw *r = &c->ring[which];
    uint32_t bytes = 0, crc = r->record != NULL ? r->record->crc : 0;

    if (!c->enabled)
        return; /* disabled while the packet was on the wire: nothing is written back */
    /* fault injection: the packet is lost on the wire (a CRC or link error): nothing moves,
     * the chain is written back DONE | ERROR (datasheet) */
    if (dms_device_error(c->pdo)) {
        writeback(c, which, NIC_DESC_DONE | NIC_DESC_ERROR);
        return;
    }
    for (uint32_t i = 0; i < r->count; i++)
        bytes += r->el[i].length;
    add_strays(r, devdma_move(&c->dma, r->el, r->count, which == NIC_TX, r->media, &crc));
    r->media += bytes;
    if (r->record != NULL) {
        r->record->crc = crc;
        r->record->bytes += bytes;
        r->record->transfers++;
    }
    writeback(c, which, NIC_DESC_DONE);
}

/* Fetch the ring's next chain, up to its end-of-packet descriptor, and queue it. */
static void ring_next(struct nic_card *c, int which)
{
    struct nic_ring_hw *r = &c->ring[which];
    uint32_t strays = 0;
    uint64_t bytes = 0;
    struct nic_job *job;
    NIC_DESCRIPTOR d = {0};

    if (!c->enabled || r->busy || r->head == r->tail)
        return;
    r->busy = true;
    r->first = r->head;
    r->count = 0;
    while (r->count < c->max_elements && (r->first + r->count) % c->ring_entries != r->tail) {
        uint64_t at = r->base +
                      (uint64_t)((r->first + r->count) % c->ring_entries) * sizeof(d);
        strays += devdma_fetch(&c->dma, at, &d, sizeof(d));
        r->el[r->count++] = (struct devdma_element){d.Address, d.Length};
        bytes += d.Length;
        if (d.Flags & NIC_DESC_EOP)
            break;
    }
    if (!(d.Flags & NIC_DESC_EOP) || bytes == 0 || bytes > c->max_transfer) {
        r->record = NULL; /* malformed: written back with ERROR, for no request's record */
        writeback(c, which, NIC_DESC_DONE | NIC_DESC_ERROR);
        return;
    }
    /* the first descriptor's flags and tag say whose packet it is */
    {
        NIC_DESCRIPTOR first;
        strays += devdma_fetch(&c->dma, r->base + (uint64_t)r->first * sizeof(first), &first,
                               sizeof(first));
        r->record = (first.Flags & NIC_DESC_FIRST) ? NULL : devrec_find_open(&r->log, first.Tag);
        if (r->record == NULL)
            r->record = devrec_push(&r->log, first.Tag);
    }
    add_strays(r, strays);
    if (dms_device_stall(c->pdo))
        return; /* fault injection: the ring's engine wedges on the chain, busy for good */
    job = &c->job[which];
    *job = (struct nic_job){c, which};
    /* the chain may start long after its doorbell (the ring was busy): it is its I/O's work */
    if (c->bus->set_context != NULL)
        c->bus->set_context(c->bus->ctx, r->context[r->first]);
    c->bus->device_work(c->bus->ctx, bytes, r->count, engine_done, job);
}

static void doorbell_arrives(void *arg)
{
    struct nic_bell b = *(struct nic_bell *)arg;
    struct nic_ring_hw *r = &b.card->ring[b.which];

    devpost_done(arg);
    if (!b.card->enabled || b.tail >= b.card->ring_entries)
        return; /* a doorbell for no entry: the adapter ignores it */
    /* Two CPUs' doorbell writes may reach the adapter in the other order than they were
     * made (each lands when its own CPU gets there): an older one must not move the tail
     * back. */
    if (b.seq > r->doorbell_seq) {
        uint64_t context = b.card->bus->context != NULL ? b.card->bus->context(b.card->bus->ctx)
                                                        : 0;
        for (uint32_t i = r->tail; i != b.tail; i = (i + 1) % b.card->ring_entries)
            r->context[i] = context; /* the entries this write hands over */
        r->doorbell_seq = b.seq;
        r->tail = b.tail;
    }
    ring_next(b.card, b.which);
}

static void enable(struct nic_card *c)
{
    c->ring_entries = c->entries;
    c->enabled = c->entries >= NIC_MIN_ENTRIES && c->entries <= NIC_MAX_ENTRIES;
    for (int i = 0; i < 2; i++) {
        struct nic_ring_hw *r = &c->ring[i];
        free(r->context);
        r->context = c->enabled ? calloc(c->ring_entries, sizeof(*r->context)) : NULL;
        if (r->context == NULL)
            c->enabled = false; /* the simulator's host memory: the card stays off */
        r->base = i == NIC_TX ? c->tx_base : c->rx_base;
        r->head = r->tail = 0;
        r->busy = false;
        r->record = NULL;
    }
}

static uint64_t card_read(void *ctx, uint64_t offset, unsigned bytes)
{
    struct nic_card *c = ctx;

    (void)bytes;
    switch (offset) {
    case NIC_REG_ID: return NIC_ID;
    case NIC_REG_MAX_ELEMENTS: return c->max_elements;
    case NIC_REG_MAX_TRANSFER: return c->max_transfer;
    case NIC_REG_ADDRESS_BITS: return c->address_bits;
    case NIC_REG_RING_ENTRIES: return c->entries;
    case NIC_REG_CONTROL: return c->control;
    case NIC_REG_INT_STATUS: return c->int_status;
    case NIC_REG_TX_BASE_LO: return (uint32_t)c->tx_base;
    case NIC_REG_TX_BASE_HI: return (uint32_t)(c->tx_base >> 32);
    case NIC_REG_RX_BASE_LO: return (uint32_t)c->rx_base;
    case NIC_REG_RX_BASE_HI: return (uint32_t)(c->rx_base >> 32);
    case NIC_REG_TX_HEAD: return c->ring[NIC_TX].head;
    case NIC_REG_RX_HEAD: return c->ring[NIC_RX].head;
    default: return 0;
    }
}

static void set_low(uint64_t *reg, uint32_t v)
{
    *reg = (*reg & ~0xFFFFFFFFull) | v;
}

static void set_high(uint64_t *reg, uint32_t v)
{
    *reg = (*reg & 0xFFFFFFFFull) | (uint64_t)v << 32;
}

static void card_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    struct nic_card *c = ctx;
    uint32_t v = (uint32_t)value;
    struct nic_bell *b;

    (void)bytes;
    switch (offset) {
    case NIC_REG_RING_ENTRIES: c->entries = v; break;
    case NIC_REG_TX_BASE_LO: set_low(&c->tx_base, v); break;
    case NIC_REG_TX_BASE_HI: set_high(&c->tx_base, v); break;
    case NIC_REG_RX_BASE_LO: set_low(&c->rx_base, v); break;
    case NIC_REG_RX_BASE_HI: set_high(&c->rx_base, v); break;
    case NIC_REG_CONTROL:
        if ((v & NIC_CONTROL_ENABLE) && !(c->control & NIC_CONTROL_ENABLE))
            enable(c);
        else if (!(v & NIC_CONTROL_ENABLE))
            c->enabled = false;
        c->control = v & (NIC_CONTROL_ENABLE | NIC_CONTROL_INT_ENABLE);
        break;
    case NIC_REG_INT_STATUS: c->int_status &= ~v; break;
    case NIC_REG_TX_TAIL:
    case NIC_REG_RX_TAIL:
        b = devpost_new(&c->posts, sizeof(*b));
        b->card = c;
        b->which = offset == NIC_REG_TX_TAIL ? NIC_TX : NIC_RX;
        b->tail = v;
        b->seq = ++c->ring[b->which].doorbells;
        c->bus->post(c->bus->ctx, doorbell_arrives, b);
        break;
    default: break;
    }
}

static const struct dms_register_ops card_ops = {card_read, card_write};

int nic_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                    const struct dms_bus *bus, struct nic_card **out)
{
    struct nic_card *c = calloc(1, sizeof(*c));
    CM_PARTIAL_RESOURCE_DESCRIPTOR priv = {.Type = CmResourceTypeDevicePrivate};
    int err;

    if (c == NULL)
        return DMS_ENOMEM;
    c->bus = bus;
    c->pdo = pdo;
    c->max_transfer = s->max_transfer;
    c->max_elements = (uint32_t)BYTES_TO_PAGES(s->max_transfer) + 1;
    c->address_bits = s->address_bits;
    for (int i = 0; i < 2; i++) {
        c->ring[i].el = calloc(c->max_elements, sizeof(*c->ring[i].el));
        if (c->ring[i].el == NULL) {
            nic_card_free(c);
            return DMS_ENOMEM;
        }
    }
    priv.u.DevicePrivate.Data[NIC_PRIVATE_CONFIG0] = s->declared_bits | s->ring_entries << 8;
    priv.u.DevicePrivate.Data[NIC_PRIVATE_MAX_TRANSFER] = s->max_transfer;
    priv.u.DevicePrivate.Data[NIC_PRIVATE_CONFIG] =
        (ULONG)s->pattern | (s->flush_io_buffers ? 0x100u : 0) | (s->slots << 16);
    err = devdma_init(&c->dma, pdo, s->address_bits, bus, s->max_transfer, devdma_salt(s->name));
    if (err == 0)
        err = devcard_present(pdo, bar, NIC_BAR_BYTES, &card_ops, c, &priv, 1);
    if (err != 0) {
        nic_card_free(c);
        return err;
    }
    *out = c;
    return 0;
}

/* What the adapter moved for io: the oldest packet of its direction with its length. */
void nic_card_settle(struct nic_card *c, struct dms_io *io)
{
    devrec_settle(&c->ring[io->write ? NIC_TX : NIC_RX].log, io, 4 * NIC_MAX_ENTRIES);
}

void nic_card_free(struct nic_card *c)
{
    if (c == NULL)
        return;
    devdma_free(&c->dma);
    devpost_free_all(&c->posts);
    for (int i = 0; i < 2; i++) {
        free(c->ring[i].el);
        free(c->ring[i].context);
        devrec_free(&c->ring[i].log);
    }
    free(c);
}
