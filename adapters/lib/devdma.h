/*
 * devdma.h - the device side every simulated adapter shares: its DMA engine walking a list of
 * (logical address, length) elements over its address lines, the payload it carries, and the
 * end-to-end checksum of that payload.
 *
 * These are the hardware's helpers, not the driver's: a driver never calls them.
 */
#ifndef DMASIM_DEVDMA_H
#define DMASIM_DEVDMA_H

#include <stdbool.h>
#include <stdint.h>

#include "dmasim/adapter.h"

/* One element as a device's descriptor holds it. */
struct devdma_element {
    uint64_t address; /* logical: what the driver wrote in the descriptor */
    uint32_t length;
};

/* The payload and bookkeeping of one device. */
struct devdma {
    PDEVICE_OBJECT device;
    unsigned address_bits;
    const struct dms_bus *bus;
    uint8_t *scratch;       /* full mode: the bytes on the device's side of the wire */
    uint32_t scratch_bytes;
    uint64_t salt;          /* makes each device's media content its own */
};

/* devdma_init - payload buffer of max_bytes for full mode. Returns 0 or DMS_ENOMEM. */
int devdma_init(struct devdma *d, PDEVICE_OBJECT device, unsigned address_bits,
                const struct dms_bus *bus, uint32_t max_bytes, uint64_t salt);
void devdma_free(struct devdma *d);

/* devdma_move - move the elements' bytes: from memory to the device (to_device) or from the
 * device's media at media_offset into memory. Full mode fills and checksums the payload;
 * *crc continues the running crc32 across calls. Returns the stray pages touched. */
uint32_t devdma_move(struct devdma *d, const struct devdma_element *el, uint32_t count,
                     int to_device, uint64_t media_offset, uint32_t *crc);

/* Control data (descriptors, commands, completions) moves in both data modes. Returns the
 * stray pages touched. */
uint32_t devdma_fetch(struct devdma *d, uint64_t logical, void *dst, uint32_t bytes);
uint32_t devdma_store(struct devdma *d, uint64_t logical, const void *src, uint32_t bytes);

/* The device's media content at byte offset: a pure function of (salt, offset). */
void devdma_media_fill(uint8_t *dst, uint64_t offset, uint32_t len, uint64_t salt);

/* A device's media salt from its name (FNV-1a), so two devices hold different bytes. */
uint64_t devdma_salt(const char *name);

/* What a card modelled at its registers presents on its PDO, in this order: a memory BAR of
 * bar_bytes at bar decoded by ops (with ctx), a level-sensitive interrupt, then each of the
 * n_extra resources (a DMA request line, the firmware's private words). 0 or a DMS_E* code. */
int devcard_present(PDEVICE_OBJECT pdo, uint64_t bar, uint32_t bar_bytes,
                    const struct dms_register_ops *ops, void *ctx,
                    const CM_PARTIAL_RESOURCE_DESCRIPTOR *extra, unsigned n_extra);

/* ---------------------------------------------------------------------------------------------
 * The device's transfer log, for a device driven through its registers by a driver the
 * simulator does not see into: each transfer the engine carried, by media offset, so that
 * when a request completes the simulator learns what the device moved for it (the crc32 of
 * the payload, the stray pages, the transfers), however the driver split it. A transfer that
 * starts where a logged run ends extends that run (the crc continues).
 */
struct devlog_run {
    uint64_t start, end; /* media offsets [start, end) */
    uint32_t crc, strays, transfers;
    uint64_t idle_ns;    /* the engine idle between the run's transfers (a card that says) */
};

struct devlog {
    struct devlog_run *run;
    uint32_t n, cap;
};

/* The run a transfer at media_offset continues (a new one if fresh: a request's first
 * transfer), or a new one; NULL without host memory. */
struct devlog_run *devlog_open(struct devlog *l, uint64_t media_offset, bool fresh);
/* The run that covers media_offset, or NULL. */
struct devlog_run *devlog_find(struct devlog *l, uint64_t media_offset);
/* Take the run that covers [offset, offset+bytes) exactly into io (crc_device, stray_pages,
 * dma_transfers, idle_ns), and forget it. Nothing matching: io's fields stay 0. */
void devlog_settle(struct devlog *l, struct dms_io *io);
void devlog_free(struct devlog *l);

/* ---------------------------------------------------------------------------------------------
 * The device's record of what it moved, for a stream device (a NIC's rings, an audio ring)
 * whose requests carry no media offsets: one record per packet or period, in the order the
 * device began them; a request's later pieces join the open record its first piece began
 * (by the tag the driver gave them). When a request completes it takes the oldest open
 * record of exactly its bytes: drivers of such devices finish requests in ring order, so
 * that is its own. Records never move while they live, so a device may keep a pointer to the
 * one under way.
 */
struct devrec {
    uint32_t bytes, crc, strays, transfers;
    uint64_t done_ns; /* when the device finished it (0: not said) */
    uint16_t tag;
    bool open; /* not yet taken */
};

struct devrec_log {
    struct devrec *rec;
    uint32_t head, n, cap; /* a ring buffer of records, oldest at head */
};

/* A new open record with tag; NULL without host memory. Moves the records: no pointer into
 * the log may be held across it. */
struct devrec *devrec_push(struct devrec_log *l, uint16_t tag);
/* The newest open record with tag, or NULL. */
struct devrec *devrec_find_open(struct devrec_log *l, uint16_t tag);
/* Take the oldest open record of exactly bytes into *out (false: none); then drop taken
 * records from the head, and the oldest while more than keep are held (a request that failed
 * half-way never takes its own). */
bool devrec_take(struct devrec_log *l, uint32_t bytes, uint32_t keep, struct devrec *out);
/* Settle io from the oldest open record of its length (crc_device, stray_pages,
 * dma_transfers); a request that failed takes none. */
void devrec_settle(struct devrec_log *l, struct dms_io *io, uint32_t keep);
void devrec_free(struct devrec_log *l);

/* ---------------------------------------------------------------------------------------------
 * A card's posted register writes, in flight to it (bus->post): each is the card's memory
 * until it arrives, so a run that ends first (a removed device, a stopped run) frees what never
 * arrived with the card.
 */
struct devpost {
    struct devpost *next, *prev;
};

/* A record of bytes (beginning with its struct devpost) on the card's list; aborts without
 * host memory (a lost register write would hang the device). */
void *devpost_new(struct devpost *list, size_t bytes);
/* It arrived: off the list and freed (after the caller took what it carries). */
void devpost_done(void *post);
/* Every post still on the list. */
void devpost_free_all(struct devpost *list);

#endif /* DMASIM_DEVDMA_H */
