/*
 * devdma.c - the device side of DMA shared by the simulated adapters (see devdma.h).
 *
 * Media content is a pure function of (device, byte offset), so a read returns the same bytes
 * however the driver splits it, and the checksum the device computes as it sends them can be
 * compared with the one the driver's buffer yields after the DPC.
 */
#include <stdlib.h>
#include <string.h>

#include "devdma.h"

int devdma_init(struct devdma *d, PDEVICE_OBJECT device, unsigned address_bits,
                const struct dms_bus *bus, uint32_t max_bytes, uint64_t salt)
{
    memset(d, 0, sizeof(*d));
    d->device = device;
    d->address_bits = address_bits;
    d->bus = bus;
    d->salt = salt;
    if (bus->full_data) {
        d->scratch = malloc(max_bytes);
        if (d->scratch == NULL)
            return DMS_ENOMEM;
        d->scratch_bytes = max_bytes;
    }
    return 0;
}

void devdma_free(struct devdma *d)
{
    free(d->scratch);
    d->scratch = NULL;
}

/* splitmix64's finaliser: a good 64-bit mix of the word's offset. */
static uint64_t media_word(uint64_t offset, uint64_t salt)
{
    uint64_t z = offset + salt + 0x9e3779b97f4a7c15ULL;

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void devdma_media_fill(uint8_t *dst, uint64_t offset, uint32_t len, uint64_t salt)
{
    uint32_t i = 0;

    if ((offset & 7) == 0) /* aligned: whole words straight in, the same bytes */
        for (; i + 8 <= len; i += 8) {
            uint64_t word = media_word(offset + i, salt);
            memcpy(dst + i, &word, 8);
        }
    while (i < len) {
        uint64_t at = offset + i;
        uint64_t word = media_word(at & ~7ULL, salt);
        uint32_t skip = (uint32_t)(at & 7);
        uint32_t n = 8 - skip < len - i ? 8 - skip : len - i;

        memcpy(dst + i, (uint8_t *)&word + skip, n);
        i += n;
    }
}

uint32_t devdma_move(struct devdma *d, const struct devdma_element *el, uint32_t count,
                     int to_device, uint64_t media_offset, uint32_t *crc)
{
    uint32_t strays = 0, pos = 0;

    for (uint32_t i = 0; i < count; i++) {
        uint32_t stray = 0;
        uint8_t *payload = NULL;

        if (d->scratch != NULL && pos + el[i].length <= d->scratch_bytes)
            payload = d->scratch + pos;
        else if (d->scratch != NULL)
            break; /* longer than the device can carry: the command was checked before */
        if (to_device) {
            dms_device_dma_read(d->device, d->address_bits, el[i].address, payload,
                                el[i].length, &stray);
        } else {
            if (payload != NULL)
                devdma_media_fill(payload, media_offset + pos, el[i].length, d->salt);
            dms_device_dma_write(d->device, d->address_bits, el[i].address, payload,
                                 el[i].length, &stray);
        }
        if (payload != NULL)
            *crc = d->bus->crc32(*crc, payload, el[i].length);
        strays += stray;
        pos += el[i].length;
    }
    return strays;
}

uint32_t devdma_fetch(struct devdma *d, uint64_t logical, void *dst, uint32_t bytes)
{
    uint32_t stray = 0;

    dms_device_dma_read(d->device, d->address_bits, logical, dst, bytes, &stray);
    return stray;
}

uint32_t devdma_store(struct devdma *d, uint64_t logical, const void *src, uint32_t bytes)
{
    uint32_t stray = 0;

    dms_device_dma_write(d->device, d->address_bits, logical, src, bytes, &stray);
    return stray;
}

uint64_t devdma_salt(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *name != '\0'; name++)
        h = (h ^ (uint8_t)*name) * 0x100000001b3ULL;
    return h;
}

int devcard_present(PDEVICE_OBJECT pdo, uint64_t bar, uint32_t bar_bytes,
                    const struct dms_register_ops *ops, void *ctx,
                    const CM_PARTIAL_RESOURCE_DESCRIPTOR *extra, unsigned n_extra)
{
    int err = dms_device_add_memory(pdo, bar, bar_bytes, ops, ctx);

    if (err == 0)
        err = dms_device_add_interrupt(pdo, LevelSensitive);
    for (unsigned i = 0; err == 0 && i < n_extra; i++)
        err = dms_device_add_resource(pdo, &extra[i]);
    return err;
}

/* ---------------------------------------------------------------------------------------------
 * The transfer log.
 */
struct devlog_run *devlog_open(struct devlog *l, uint64_t media_offset, bool fresh)
{
    for (uint32_t i = 0; !fresh && i < l->n; i++)
        if (l->run[i].end == media_offset && l->run[i].transfers > 0)
            return &l->run[i];
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 8;
        struct devlog_run *r = realloc(l->run, cap * sizeof(*r));
        if (r == NULL)
            return NULL;
        l->run = r;
        l->cap = cap;
    }
    l->run[l->n] = (struct devlog_run){media_offset, media_offset, 0, 0, 0};
    return &l->run[l->n++];
}

struct devlog_run *devlog_find(struct devlog *l, uint64_t media_offset)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (l->run[i].start <= media_offset && media_offset < l->run[i].end)
            return &l->run[i];
    return NULL;
}

void devlog_settle(struct devlog *l, struct dms_io *io)
{
    for (uint32_t i = 0; i < l->n; i++) {
        struct devlog_run *r = &l->run[i];
        if (r->start != io->offset || r->end != io->offset + io->bytes)
            continue;
        io->crc_device = r->crc;
        io->stray_pages = r->strays;
        io->dma_transfers = r->transfers;
        io->idle_ns = r->idle_ns;
        l->run[i] = l->run[--l->n];
        return;
    }
}

void devlog_free(struct devlog *l)
{
    free(l->run);
    memset(l, 0, sizeof(*l));
}

/* ---------------------------------------------------------------------------------------------
 * The record of a stream device.
 */
struct devrec *devrec_push(struct devrec_log *l, uint16_t tag)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 16;
        struct devrec *r = malloc(cap * sizeof(*r));
        if (r == NULL)
            return NULL;
        for (uint32_t i = 0; i < l->n; i++)
            r[i] = l->rec[(l->head + i) % l->cap];
        free(l->rec);
        l->rec = r;
        l->head = 0;
        l->cap = cap;
    }
    l->rec[(l->head + l->n) % l->cap] = (struct devrec){.tag = tag, .open = true};
    return &l->rec[(l->head + l->n++) % l->cap];
}

struct devrec *devrec_find_open(struct devrec_log *l, uint16_t tag)
{
    for (uint32_t i = l->n; i-- > 0;) {
        struct devrec *r = &l->rec[(l->head + i) % l->cap];
        if (r->open && r->tag == tag)
            return r;
    }
    return NULL;
}

bool devrec_take(struct devrec_log *l, uint32_t bytes, uint32_t keep, struct devrec *out)
{
    bool found = false;

    for (uint32_t i = 0; i < l->n && !found; i++) {
        struct devrec *r = &l->rec[(l->head + i) % l->cap];
        if (r->open && r->bytes == bytes) {
            *out = *r;
            r->open = false;
            found = true;
        }
    }
    while (l->n > 0 && (!l->rec[l->head].open || l->n > keep)) {
        l->head = (l->head + 1) % l->cap;
        l->n--;
    }
    return found;
}

void devrec_settle(struct devrec_log *l, struct dms_io *io, uint32_t keep)
{
    struct devrec r = {0};

    if (!NT_SUCCESS(io->status) || !devrec_take(l, io->bytes, keep, &r))
        return;
    io->crc_device = r.crc;
    io->stray_pages = r.strays;
    io->dma_transfers = r.transfers;
    io->device_done_ns = r.done_ns;
}

void devrec_free(struct devrec_log *l)
{
    free(l->rec);
    *l = (struct devrec_log){0};
}

/* ---------------------------------------------------------------------------------------------
 * Posted register writes.
 */
void *devpost_new(struct devpost *list, size_t bytes)
{
    struct devpost *p = calloc(1, bytes);

    if (p == NULL)
        abort(); /* the host is out of memory: a lost register write would hang the device */
    if (list->next == NULL)
        list->next = list->prev = list; /* an empty list, first use */
    p->next = list->next;
    p->prev = list;
    list->next->prev = p;
    list->next = p;
    return p;
}

void devpost_done(void *post)
{
    struct devpost *p = post;

    p->prev->next = p->next;
    p->next->prev = p->prev;
    free(p);
}

void devpost_free_all(struct devpost *list)
{
    while (list->next != NULL && list->next != list)
        devpost_done(list->next);
}
