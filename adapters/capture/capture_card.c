/*
 * capture_card.c - a video capture card as a device: a sensor making a frame every
 * FRAME_INTERVAL while it runs, and a scatter/gather engine writing each frame into the next
 * buffer its driver has put in a ring of entries in host memory (docs/hardware/capture.md is
 * its datasheet; capture_hw.h its register map and format).
 *
 * At each frame the card looks at the ring between TAIL and HEAD: if a whole buffer is there
 * (entries up to one marked END_OF_FRAME) it fetches the entries by DMA, queues the frame for
 * its engine (the cost model's time for the bytes and entries), writes the frame's bytes by
 * logical address over its own address lines, moves TAIL past the buffer, counts the frame
 * and raises FRAME_DONE. If no whole buffer is there the frame is dropped: counted, DROPPED
 * raised. The sensor keeps its pace whatever the driver does: a frame it cannot place is
 * gone.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/devdma.h"
#include "capture_card.h"
#include "capture_hw.h"

#define CAP_MAX_SEGMENT (64u << 10)
#define CAP_MAX_ENTRIES 65536u

struct cap_card {
    struct devdma dma;
    struct devrec_log log;        /* a record per frame written, in order */
    const struct dms_bus *bus;
    PDEVICE_OBJECT pdo;
    uint32_t frame_bytes;
    uint64_t interval_ns;
    unsigned address_bits;
    uint32_t control, int_status, int_enable;
    uint64_t ring;
    uint32_t entries, head, tail;
    uint64_t *context;            /* whose work each entry is (the token of the HEAD write) */
    uint32_t context_cap;
    uint64_t frames_done, frames_dropped, frame_seq;
    uint64_t generation;          /* of the running clock: a tick of a stopped one is stale */
    bool busy;                    /* the engine is writing a frame */
    bool stalled;                 /* fault injection: the engine wedged on a frame */
    uint32_t eof;                 /* the ring entry that ends the buffer being written */
    uint32_t next_tail;           /* TAIL once that buffer is written */
    CAP_ENTRY *fetched;           /* the card's copy of a buffer's entries */
    struct devdma_element *el;
    uint32_t n_el;
    struct devpost posts;
    _Alignas(16) unsigned char graph[64]; /* the application's side keeps its requests here */
};

struct cap_post {
    struct devpost link;
    struct cap_card *card;
    uint32_t offset, value;
    uint64_t generation;
};

static void raise_int(struct cap_card *c, uint32_t bit)
{
    bool was = (c->int_status & c->int_enable) != 0;

    c->int_status |= bit;
    if (!was && (c->int_enable & bit))
        dms_device_interrupt(c->pdo);
}

static uint32_t ring_used(const struct cap_card *c)
{
    return c->entries == 0 ? 0 : (c->head + c->entries - c->tail) % c->entries;
}

static void frame_written(void *arg)
{
    struct cap_card *c = arg;
    struct devrec *r;
    uint32_t crc = 0, strays, flags = CAP_ENTRY_END_OF_FRAME | CAP_ENTRY_DONE;
    uint64_t eof = c->ring + (uint64_t)c->eof * sizeof(CAP_ENTRY) + offsetof(CAP_ENTRY, Flags);

    c->busy = false;
    c->tail = c->next_tail; /* the buffer is the driver's again */
    if (dms_device_error(c->pdo)) {
        /* fault injection: the frame failed (the datasheet's ERROR write-back), no data */
        flags |= CAP_ENTRY_ERROR;
        devdma_store(&c->dma, eof, &flags, sizeof(flags));
        c->frame_seq++;
        raise_int(c, CAP_INT_FRAME_DONE);
        return;
    }
    r = devrec_push(&c->log, 0);
    strays = devdma_move(&c->dma, c->el, c->n_el, 0, c->frame_seq * c->frame_bytes, &crc);
    strays += devdma_store(&c->dma, eof, &flags, sizeof(flags));
    if (r != NULL) {
        uint32_t bytes = 0;
        for (uint32_t i = 0; i < c->n_el; i++)
            bytes += c->el[i].length;
        r->bytes = bytes;
        r->crc = crc;
        r->strays = strays;
        r->transfers = 1;
        r->done_ns = c->bus->now != NULL ? c->bus->now(c->bus->ctx) : 0;
    }
    c->frame_seq++;
    c->frames_done++;
    raise_int(c, CAP_INT_FRAME_DONE);
}

static void tick(void *arg);

static void schedule_tick(struct cap_card *c)
{
    struct cap_post *p = devpost_new(&c->posts, sizeof(*p));

    p->card = c;
    p->generation = c->generation;
    c->bus->after(c->bus->ctx, c->interval_ns, tick, p);
}

/* A frame from the sensor: into the next whole buffer on the ring, or dropped. */
static void tick(void *arg)
{
    struct cap_post *p = arg;
    struct cap_card *c = p->card;
    uint32_t used, n = 0, bytes = 0;
    bool whole = false;
    uint64_t context = 0;

    if (p->generation != c->generation || !(c->control & CAP_CONTROL_RUN)) {
        devpost_done(p);
        return; /* the clock stopped */
    }
    devpost_done(p);
    schedule_tick(c); /* the sensor keeps its pace */
    used = ring_used(c);
    if (!c->busy && !c->stalled) {
        for (uint32_t i = 0; i < used && n < CAP_MAX_ENTRIES; i++) {
            uint32_t at = (c->tail + i) % c->entries;
            CAP_ENTRY *e = &c->fetched[n];
            devdma_fetch(&c->dma, c->ring + (uint64_t)at * sizeof(CAP_ENTRY), e, sizeof(*e));
            if (i == 0 && at < c->context_cap)
                context = c->context[at];
            n++;
            if (e->Flags & CAP_ENTRY_END_OF_FRAME) {
                whole = true;
                break;
            }
        }
    }
    if (!whole) {
        c->frames_dropped++;
        c->frame_seq++; /* the sensor's frame is gone */
        raise_int(c, CAP_INT_DROPPED);
        return;
    }
    c->n_el = 0;
    for (uint32_t i = 0; i < n && bytes < c->frame_bytes; i++) {
        uint32_t len = c->fetched[i].Length;
        if (len > CAP_MAX_SEGMENT)
            len = CAP_MAX_SEGMENT; /* an entry carries at most MAX_SEGMENT */
        if (len > c->frame_bytes - bytes)
            len = c->frame_bytes - bytes;
        c->el[c->n_el++] = (struct devdma_element){c->fetched[i].Address, len};
        bytes += len;
    }
    c->eof = (c->tail + n - 1) % c->entries;
    c->next_tail = (c->tail + n) % c->entries; /* TAIL moves when the frame is written */
    c->busy = true;
    if (dms_device_stall(c->pdo)) {
        c->stalled = true; /* fault injection: the engine wedges on this frame for good */
        return;
    }
    if (c->bus->set_context != NULL)
        c->bus->set_context(c->bus->ctx, context); /* the work of the I/O it programmed */
    c->bus->device_work(c->bus->ctx, bytes, n, frame_written, c);
}

static void control_arrives(void *arg)
{
    struct cap_post *p = arg;
    struct cap_card *c = p->card;
    uint32_t v = p->value;

    devpost_done(p);
    if ((v & CAP_CONTROL_RESET) && !(c->control & CAP_CONTROL_RUN))
        c->head = c->tail = 0;
    if ((v & CAP_CONTROL_RUN) && !(c->control & CAP_CONTROL_RUN)) {
        c->control |= CAP_CONTROL_RUN;
        c->generation++;
        schedule_tick(c);
    } else if (!(v & CAP_CONTROL_RUN)) {
        c->control &= ~(uint32_t)CAP_CONTROL_RUN;
        c->generation++;
    }
}

static uint64_t card_read(void *ctx, uint64_t offset, unsigned bytes)
{
    struct cap_card *c = ctx;

    (void)bytes;
    switch (offset) {
    case CAP_REG_ID: return CAP_ID;
    case CAP_REG_CONTROL: return c->control;
    case CAP_REG_INT_STATUS: return c->int_status;
    case CAP_REG_INT_ENABLE: return c->int_enable;
    case CAP_REG_FRAME_BYTES: return c->frame_bytes;
    case CAP_REG_FRAME_INTERVAL: return (uint32_t)(c->interval_ns / 100);
    case CAP_REG_ADDRESS_BITS: return c->address_bits;
    case CAP_REG_MAX_SEGMENT: return CAP_MAX_SEGMENT;
    case CAP_REG_RING_LO: return (uint32_t)c->ring;
    case CAP_REG_RING_HI: return (uint32_t)(c->ring >> 32);
    case CAP_REG_RING_ENTRIES: return c->entries;
    case CAP_REG_RING_HEAD: return c->head;
    case CAP_REG_RING_TAIL: return c->tail;
    case CAP_REG_FRAMES_DONE: return (uint32_t)c->frames_done;
    case CAP_REG_FRAMES_DROPPED: return (uint32_t)c->frames_dropped;
    default: return 0;
    }
}

static void card_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    struct cap_card *c = ctx;
    uint32_t v = (uint32_t)value;
    struct cap_post *p;

    (void)bytes;
    switch (offset) {
    case CAP_REG_CONTROL: /* posted: the sensor starts when the write reaches the card */
        p = devpost_new(&c->posts, sizeof(*p));
        p->card = c;
        p->value = v;
        c->bus->post(c->bus->ctx, control_arrives, p);
        break;
    case CAP_REG_INT_STATUS: c->int_status &= ~v; break;
    case CAP_REG_INT_ENABLE: c->int_enable = v & (CAP_INT_FRAME_DONE | CAP_INT_DROPPED); break;
    case CAP_REG_RING_LO:
        if (!(c->control & CAP_CONTROL_RUN))
            c->ring = (c->ring & ~0xFFFFFFFFull) | v;
        break;
    case CAP_REG_RING_HI:
        if (!(c->control & CAP_CONTROL_RUN))
            c->ring = (c->ring & 0xFFFFFFFFull) | (uint64_t)v << 32;
        break;
    case CAP_REG_RING_ENTRIES:
        if (!(c->control & CAP_CONTROL_RUN) && v >= 2 && v <= CAP_MAX_ENTRIES) {
            uint64_t *ctxs = realloc(c->context, v * sizeof(*ctxs));
            if (ctxs != NULL) {
                c->context = ctxs;
                c->context_cap = v;
                c->entries = v;
                c->head = c->tail = 0;
            }
        }
        break;
    case CAP_REG_RING_HEAD:
        if (c->entries == 0)
            break;
        /* the entries between the old and the new HEAD are this write's I/O's work */
        for (uint32_t at = c->head; at != v % c->entries; at = (at + 1) % c->entries)
            c->context[at] = c->bus->context != NULL ? c->bus->context(c->bus->ctx) : 0;
        c->head = v % c->entries;
        break;
    default: break;
    }
}

static const struct dms_register_ops card_ops = {card_read, card_write};

int cap_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                    const struct dms_bus *bus, struct cap_card **out)
{
    struct cap_card *c = calloc(1, sizeof(*c));
    CM_PARTIAL_RESOURCE_DESCRIPTOR priv = {.Type = CmResourceTypeDevicePrivate};
    int err = 0;

    if (c == NULL)
        return DMS_ENOMEM;
    c->bus = bus;
    c->pdo = pdo;
    c->frame_bytes = s->max_transfer;
    c->interval_ns = 1000000000ull / (s->frame_rate ? s->frame_rate : 30);
    c->address_bits = s->address_bits;
    c->fetched = calloc(CAP_MAX_ENTRIES, sizeof(*c->fetched));
    c->el = calloc(CAP_MAX_ENTRIES, sizeof(*c->el));
    if (c->fetched == NULL || c->el == NULL)
        err = DMS_ENOMEM;
    priv.u.DevicePrivate.Data[CAP_PRIVATE_DECLARED_BITS] = s->declared_bits;
    priv.u.DevicePrivate.Data[CAP_PRIVATE_LOCKS] = s->locks;
    priv.u.DevicePrivate.Data[CAP_PRIVATE_POLICY] =
        (s->lock_ahead ? CAP_POLICY_LOCK_AHEAD : 0) |
        (s->legacy_registration ? CAP_POLICY_LEGACY_REGISTRATION : 0);
    if (err == 0)
        err = devdma_init(&c->dma, pdo, s->address_bits, bus, c->frame_bytes,
                          devdma_salt(s->name));
    if (err == 0)
        err = devcard_present(pdo, bar, CAP_BAR_BYTES, &card_ops, c, &priv, 1);
    if (err != 0) {
        cap_card_free(c);
        return err;
    }
    *out = c;
    return 0;
}

void cap_card_settle(struct cap_card *c, struct dms_io *io)
{
    devrec_settle(&c->log, io, 256);
}

void cap_card_frames(struct cap_card *c, struct dms_frame_stats *out)
{
    out->frames_done = c->frames_done;
    out->frames_dropped = c->frames_dropped;
    out->interval_ns = c->interval_ns;
}

void *cap_card_graph(struct cap_card *c, size_t bytes)
{
    return bytes <= sizeof(c->graph) ? c->graph : NULL;
}

void cap_card_free(struct cap_card *c)
{
    if (c == NULL)
        return;
    devdma_free(&c->dma);
    devrec_free(&c->log);
    devpost_free_all(&c->posts);
    free(c->context);
    free(c->fetched);
    free(c->el);
    free(c);
}
