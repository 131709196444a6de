/*
 * dmasim/adapter.h - simulated adapter cards and their drivers, as the simulator sees them.
 *
 * An adapter is two things in one folder: a card modelled at its registers (its BARs, its
 * interrupt, its DMA engine or request line, the queues and descriptors it reads from host
 * memory) and the driver shipped for it (WDM, against <dmasim/wdm.h> alone, or KMDF, against
 * <dmasim/wdf.h>), reached only through IRPs and the card's registers. The simulator (sim/) finds an adapter kind by
 * name, creates the card's physical device object, attaches the model, loads the driver (the
 * shipped one, or the scenario's driver = FILE) and sends it IRPs. The card reaches time and
 * the machine's memory only through the small bus interface below, which the simulator
 * implements, and the HAL's device-side routines. Arrows point one way: sim -> adapters -> hal.
 *
 * Every I/O takes the path a real one does: the driver maps the buffer by its calling pattern
 * and programs the card; the card's engine moves the bytes by logical address (driving only
 * its own address lines); it raises its interrupt; the ISR acknowledges and queues a DPC; the
 * DPC releases the mapping and completes the IRP. Each card's datasheet is
 * docs/hardware/NAME.md.
 */
#ifndef DMASIM_ADAPTER_H
#define DMASIM_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dmasim/hal.h"
#include "dmasim/wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The driver's calling pattern for DMA, chosen per scenario. */
#define DMS_PATTERN_MAP(X)                                                                  \
    X(PACKET, "packet")               /* v1: AllocateAdapterChannel, MapTransfer, Flush */  \
    X(SG, "sg")                       /* v2: GetScatterGatherList / PutScatterGatherList */ \
    X(SG_BUILD, "sg-build")           /* BuildScatterGatherList into the driver's buffer */ \
    X(COMMON_BUFFER, "common-buffer") /* the driver copies through its common buffer */      \
    X(V3, "v3")                       /* v3: AllocateAdapterChannelEx, MapTransferEx, ...  */ \
    X(V3_SYNC, "v3-sync")             /* the same with DMA_SYNCHRONOUS_CALLBACK            */ \
    X(KMDF, "kmdf")                   /* KMDF: a DMA enabler and transactions (wdf.h)      */ \
    X(VIDEOPORT, "videoport")         /* a video miniport: StartDma/CompleteDma (video.h)  */ \
    X(AVSTREAM, "avstream")           /* an AVStream minidriver: frame locks, mappings (ks.h) */

enum dms_pattern {
#define DMS_PATTERN_ENUM(name, text) DMS_PATTERN_##name,
    DMS_PATTERN_MAP(DMS_PATTERN_ENUM)
#undef DMS_PATTERN_ENUM
    DMS_PATTERN_COUNT
};

const char *dms_pattern_name(enum dms_pattern pattern);
/* Returns the pattern, or -1 for an unknown name. */
int dms_pattern_parse(const char *name);

/* What the scenario says of one device, resolved and validated by the loader. */
struct dms_device_settings {
    const char *name;
    unsigned address_bits;  /* the address lines the device really drives: 1 .. 64 */
    unsigned declared_bits; /* what its driver tells IoGetDmaAdapter: 24, 32 or 64 */
    bool scatter_gather;    /* the DMA engine takes a list of elements */
    uint32_t max_transfer;  /* bytes one I/O may carry */
    enum dms_pattern pattern;
    uint32_t slots;         /* I/Os in flight at most (the workload's queue depth) */
    uint32_t ring_entries;  /* descriptor ring entries (nic) */
    bool flush_io_buffers;  /* the driver calls KeFlushIoBuffers around each I/O */
    uint32_t dma_line;      /* a subordinate device's DMA request line or 8237 channel */
    uint32_t periods;       /* audio: periods in the ring buffer (each max_transfer bytes) */
    /* pci9656: a chained descriptor's fifth dword gives the upper PCI address bits even
     * without DMAMODE's DAC_CHAIN_LOAD (the datasheet: only with it, else DMADAC) */
    bool descriptor_high_always;
    /* storage: its WDM driver puts its queues in MmAllocateContiguousMemory and gives the
     * controller MmGetPhysicalAddress's address (the wrong way) */
    bool queue_contiguous;
    uint32_t dma_adapters;  /* display: the DMA adapters its miniport gets for two engines */
    /* capture: the sensor's frames a second; the most frames its minidriver keeps locked (and
     * on the card) at once; whether it locks every frame as it arrives instead; whether it
     * registers its adapter with KsDeviceRegisterAdapterObject instead of the Ex routine */
    uint32_t frame_rate, locks;
    bool lock_ahead, legacy_registration;
};

/* One I/O request, as the simulator keeps it: the workload builds its IRP from it, and the
 * card says what it moved for it when the IRP completes. */
struct dms_io {
    uint64_t serial;       /* 1, 2, ... per device, in submission order */
    bool write;            /* memory -> device (disk write, packet transmit) */
    uint64_t offset;       /* device offset in bytes (storage); 0 elsewhere */
    uint32_t bytes;
    uint8_t *buffer;       /* nonpaged buffer */
    PMDL mdl;              /* describes buffer, at least bytes long (built by the I/O manager) */
    NTSTATUS status;       /* the IRP's final status */
    uint32_t crc_device;   /* full mode: crc32 of the bytes the device took or gave */
    uint32_t stray_pages;  /* device accesses outside what it was given, during this I/O */
    uint32_t dma_transfers; /* device operations it took (one, or more when split) */
    uint64_t idle_ns;       /* the device's engine idle between those operations, waiting
                             * for its driver to start the next (a card that measures it) */
    uint64_t device_done_ns; /* when the device finished its part (a card that says; else 0) */
    void *owner;           /* the simulator's own */
};

/* The simulator's side, handed to a card at attach. ctx is passed back on every call. */
struct dms_bus {
    void *ctx;
    bool full_data; /* payload bytes really move and are checked */
    /* The card's DMA engine (or wire) takes its time for bytes and descriptors, as the cost
     * model says (queueing behind earlier work); done(arg) runs when it has finished. */
    void (*device_work)(void *ctx, uint64_t bytes, uint32_t descriptors, void (*done)(void *),
                        void *arg);
    /* A register write reaches the card: fn(arg) runs at the time the CPU writing it has
     * reached (the work before it on that CPU has taken its time), as an event of its own.
     * Doorbells go this way, so the card never acts on a write before it was made. */
    void (*post)(void *ctx, void (*fn)(void *), void *arg);
    /* crc32 for the card's end-to-end check (the simulator's checksum, zlib's). */
    uint32_t (*crc32)(uint32_t crc, const void *buf, size_t len);
    /* Whose work is under way: an opaque token of the simulator's accounting (the I/O a
     * register write was made for), no part of the hardware. A card that takes up later
     * what a write asked for (a ring's next chain) keeps the write's token and sets it back
     * before device_work, so the work is counted, and traced, for the I/O it serves. */
    uint64_t (*context)(void *ctx);
    void (*set_context)(void *ctx, uint64_t context);
    /* The virtual time now, in ns: for a card that measures its own idle time. */
    uint64_t (*now)(void *ctx);
    /* fn(arg) runs delay_ns from now, as an event of its own: a card's own clock (a sensor's
     * frame rate). */
    void (*after)(void *ctx, uint64_t delay_ns, void (*fn)(void *), void *arg);
};

/* What a card that makes frames (a capture card) says of them. */
struct dms_frame_stats {
    uint64_t frames_done;     /* written into a buffer */
    uint64_t frames_dropped;  /* made with no buffer ready */
    uint64_t interval_ns;     /* between frames */
    /* its framework's part (AVStream), where it has one */
    uint64_t lock_attempts, lock_failures, frames_mapped, map_registers_mapped;
    uint64_t map_registers_peak, locked_peak, mappings;
    bool registered_ex;
    uint32_t registered_map_registers;
};

/* A card modelled at its registers: the simulator creates its physical device object,
 * attaches the model (which adds the card's resources: register ranges, an interrupt, a DMA
 * channel, the firmware's words), loads the driver, calls AddDevice, starts the device, then
 * sends each I/O as an IRP. */
struct dms_card;

struct dms_hardware {
    PDRIVER_INITIALIZE driver_entry; /* the WDM driver shipped for the card */
    const char *driver_name;         /* its service name: \Driver\NAME */
    /* A KMDF driver shipped for the same card, loaded instead with pattern = kmdf (NULL: the
     * driver above is the card's only one, whatever its pattern) */
    PDRIVER_INITIALIZE kmdf_driver_entry;
    const char *kmdf_driver_name;
    /* Model the card behind pdo, its registers at bus address bar (the firmware's choice).
     * Returns 0 and *out, or a DMS_E* code. */
    int (*attach)(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                  const struct dms_bus *bus, struct dms_card **out);
    const char *needs; /* what the machine must have for the driver to start, for its message */
    /* The bus addresses its BARs take from the firmware's base, at most (0: 64 KiB). */
    uint32_t window_bytes;
    /* io completed: what the card moved for it (crc_device, stray_pages, dma_transfers),
     * however the driver split it. */
    void (*settle)(struct dms_card *card, struct dms_io *io);
    void (*detach)(struct dms_card *card);
    /* A card that makes frames: what it made and dropped, and what its framework did for them
     * (NULL: not such a card). Read before the device is removed. */
    void (*frames)(struct dms_card *card, PDEVICE_OBJECT pdo, struct dms_frame_stats *out);
    /* A card whose driver streams through a pin: the application's side of the graph, the
     * pin set to run (before the first read) or to stop (after the last), by an IRP sent to
     * top, the top of the card's stack (NULL: not such a card). Called at PASSIVE_LEVEL. */
    void (*stream)(struct dms_card *card, PDEVICE_OBJECT top, bool run);
};

struct dms_adapter_kind {
    const char *name;    /* scenario's "adapter = ..." (or "hardware = ...") */
    const char *summary; /* one line for --help */
    unsigned patterns;   /* (1u << pattern) for each calling pattern the shipped driver offers */
    bool scatter_gather; /* the engine's default; */
    bool sg_fixed;       /* true: the hardware has no choice */
    uint32_t max_transfer_limit; /* the largest max_transfer the device accepts */
    uint32_t default_max_transfer; /* "max_transfer = auto" */
    uint64_t default_latency_ns;   /* "latency = auto": media or wire time per transfer */
    bool stream;         /* bytes on a wire, no device offsets or sectors (nic, uart) */
    bool write_only;     /* the device only takes data (audio playback): op = write */
    /* a capture device: each read is one frame buffer of max_transfer bytes, and the pin is
     * set to run before the first and stopped after the last (IOCTL_KS_PROPERTY) */
    bool frames;
    /* A subordinate device (no DMA engine: a system DMA controller moves its data, and
     * dma_line applies): the address lines of that controller. 0: a bus master. */
    unsigned controller_bits;
    uint32_t default_dma_line; /* "dma_line = auto" */
    /* Why these settings cannot work on this hardware, beyond the pattern set: 0, or
     * DMS_EINVAL with a sentence naming the setting in why[]. */
    int (*check)(const struct dms_device_settings *s, char *why, size_t len);
    const struct dms_hardware *hardware; /* the card at its registers, and its driver */
};

/* Every kind, NULL-terminated, and the lookup by name (NULL if none). */
extern const struct dms_adapter_kind *const dms_adapter_kinds[];
const struct dms_adapter_kind *dms_adapter_kind_find(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* DMASIM_ADAPTER_H */
