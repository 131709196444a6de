/*
 * dmasim/adapter.h - simulated adapter cards and their drivers, as the simulator sees them.
 *
 * An adapter is two things in one folder: a device model (its DMA engine, its address lines,
 * its queues, the registers a driver pokes) and the driver that runs it, written against
 * <dmasim/wdm.h> alone. The simulator (sim/) finds an adapter kind by name, attaches it to a
 * machine with the scenario's settings, and hands it I/O requests; the adapter reaches time,
 * CPUs, interrupts and its DMA engine only through the small bus interface below, which the
 * simulator implements. Arrows point one way: sim -> adapters -> hal.
 *
 * Every I/O takes the path a real one does: the driver maps the buffer by its calling pattern
 * and programs the device; the device's engine moves the bytes by logical address (driving
 * only its own address lines); it raises an interrupt; the ISR acknowledges and queues a DPC
 * (calling no DMA routine); the DPC flushes, frees and completes.
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
    X(V3_SYNC, "v3-sync")             /* the same with DMA_SYNCHRONOUS_CALLBACK            */

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
};

/* One I/O request, from the workload to the driver and back. */
struct dms_io {
    uint64_t serial;       /* 1, 2, ... per device, in submission order */
    uint32_t slot;         /* 0 .. slots-1: the request's place in the queue */
    bool write;            /* memory -> device (disk write, packet transmit) */
    uint64_t offset;       /* device offset in bytes (storage); 0 elsewhere */
    uint32_t bytes;
    uint8_t *buffer;       /* nonpaged driver-visible buffer */
    PMDL mdl;              /* describes buffer, at least bytes long (built by the I/O manager) */
    NTSTATUS status;       /* set by the driver when it completes the request */
    uint32_t crc_device;   /* full mode: crc32 of the bytes the device took or gave */
    uint32_t stray_pages;  /* device accesses outside what it was given, during this I/O */
    uint32_t dma_transfers; /* device operations it took (one, or more when split) */
    void *owner;           /* the simulator's own */
};

/* The simulator's side, handed to an adapter at attach. ctx is passed back on every call. */
struct dms_bus {
    void *ctx;
    bool full_data; /* payload bytes really move and are checked */
    /* The device's DMA engine moves bytes, fetching descriptors, as the cost model times it
     * (queueing for a free engine behind earlier work); done(arg) runs when it has finished. */
    void (*device_work)(void *ctx, uint64_t bytes, uint32_t descriptors, void (*done)(void *),
                        void *arg);
    /* A register write reaches the device: fn(arg) runs at the time the CPU writing it has
     * reached (the work before it on that CPU has taken its time), as an event of its own.
     * Doorbells go this way, so the device never acts on a write before it was made. */
    void (*post)(void *ctx, void (*fn)(void *), void *arg);
    /* The device raises its interrupt: isr(arg) runs on a CPU at the device's IRQL. */
    void (*interrupt)(void *ctx, BOOLEAN (*isr)(void *), void *arg);
    /* The driver's CPU copied bytes itself (a common-buffer driver): charge the copy. */
    void (*cpu_copy)(void *ctx, uint64_t bytes);
    /* crc32 for the device's end-to-end check (the simulator's checksum, zlib's). */
    uint32_t (*crc32)(uint32_t crc, const void *buf, size_t len);
    /* The driver completed an I/O (from its DPC); io->status says how. */
    void (*complete)(void *ctx, struct dms_io *io);
    /* The driver's framework is now working on io (as KMDF knows which request a DMA
     * transaction belongs to): what follows is counted to io in traces and explanations. */
    void (*working_on)(void *ctx, const struct dms_io *io);
};

struct dms_adapter_dev; /* one attached device and its driver's state */

/* A card modelled at its registers, driven by a WDM driver through IRPs: the simulator
 * creates the card's physical device object, attaches the model (which adds the card's
 * resources: register ranges, an interrupt), loads the driver (the one shipped for the card,
 * or the scenario's driver = FILE), calls AddDevice, starts the device, then sends each I/O as
 * an IRP_MJ_READ or IRP_MJ_WRITE. Its datasheet is docs/hardware/NAME.md. */
struct dms_card;

struct dms_hardware {
    PDRIVER_INITIALIZE driver_entry; /* the WDM driver shipped for the card */
    const char *driver_name;         /* its service name: \Driver\NAME */
    unsigned patterns;               /* the calling patterns that driver implements */
    /* Model the card behind pdo, its registers at bus address bar (the firmware's choice).
     * Returns 0 and *out, or a DMS_E* code. */
    int (*attach)(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                  const struct dms_bus *bus, struct dms_card **out);
    const char *needs; /* what the machine must have for attach to succeed, for its message */
    /* io completed: what the card moved for its range (crc_device, stray_pages,
     * dma_transfers), however the driver split it. */
    void (*settle)(struct dms_card *card, struct dms_io *io);
    void (*detach)(struct dms_card *card);
};

struct dms_adapter_kind {
    const char *name;    /* scenario's "adapter = ..." */
    const char *summary; /* one line for --help */
    unsigned patterns;   /* (1u << pattern) for each calling pattern the driver offers */
    bool scatter_gather; /* the engine's default; */
    bool sg_fixed;       /* true: the hardware has no choice */
    uint32_t max_transfer_limit; /* the largest max_transfer the device accepts */
    uint32_t default_max_transfer; /* "max_transfer = auto" */
    uint64_t default_latency_ns;   /* "latency = auto": media or wire time per transfer */
    bool stream;         /* bytes on a wire, no device offsets or sectors (nic, uart) */
    bool write_only;     /* the device only takes data (audio playback): op = write */
    /* A subordinate device (no DMA engine: a system DMA controller moves its data, and
     * dma_line applies): the address lines of that controller. 0: a bus master. */
    unsigned controller_bits;
    uint32_t default_dma_line; /* "dma_line = auto" */
    /* Why these settings cannot work on this hardware, beyond the pattern set: 0, or
     * DMS_EINVAL with a sentence naming the setting in why[]. */
    int (*check)(const struct dms_device_settings *s, char *why, size_t len);
    /* AddDevice and StartDevice: create the device object on m, get the DMA adapter, allocate
     * what the driver keeps. Returns STATUS_SUCCESS and *out, or the status that failed with
     * a sentence in why[]. Runs at PASSIVE_LEVEL. */
    NTSTATUS (*attach)(struct dms_machine *m, const struct dms_device_settings *s,
                       const struct dms_bus *bus, struct dms_adapter_dev **out, char *why,
                       size_t len);
    /* The driver's dispatch routine for one I/O, at PASSIVE_LEVEL. Returns STATUS_PENDING;
     * completion comes through bus->complete. Anything else: the I/O failed at once. */
    NTSTATUS (*submit)(struct dms_adapter_dev *dev, struct dms_io *io);
    /* StopDevice and RemoveDevice with nothing in flight: free everything, PutDmaAdapter.
     * With I/O still in flight (a stopped run), only the driver's own memory is freed; the
     * machine's teardown takes the rest. */
    void (*detach)(struct dms_adapter_dev *dev, bool idle);
    PDEVICE_OBJECT (*device_object)(struct dms_adapter_dev *dev);
    PDMA_ADAPTER (*dma_adapter)(struct dms_adapter_dev *dev);
    /* The card at its registers, for a WDM driver (NULL: only the driver above). A scenario
     * takes this path for the patterns hardware->patterns lists, or with driver = FILE; a
     * kind whose hardware covers every pattern it offers has no attach, submit or detach. */
    const struct dms_hardware *hardware;
};

/* Every kind, NULL-terminated, and the lookup by name (NULL if none). */
extern const struct dms_adapter_kind *const dms_adapter_kinds[];
const struct dms_adapter_kind *dms_adapter_kind_find(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* DMASIM_ADAPTER_H */
