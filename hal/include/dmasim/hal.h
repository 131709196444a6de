/*
 * dmasim/hal.h - the simulator's face of the HAL emulator.
 *
 * dmasim/wdm.h is what a driver sees; this header is what the simulator (and a test, or a
 * program hosting a driver by hand) uses to build the world the driver runs in: a machine with
 * its physical memory layout and placement policy, devices, the small platform interface the
 * HAL needs (time, scheduling, cost, events), the device side of DMA, and the read-back of
 * every figure (per-adapter counters, verifier findings).
 *
 * Errors are values: functions return 0 or a negative DMS_E* code; dms_strerror() names it.
 */
#ifndef DMASIM_HAL_H
#define DMASIM_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dmasim/wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Errors.
 */
#define DMS_ERRNO_MAP(X)                                                      \
    X(EINVAL, -1, "invalid argument")                                         \
    X(ENOMEM, -2, "out of host memory")                                       \
    X(ENOSPC, -3, "out of simulated physical memory")                         \
    X(ERANGE, -4, "value out of range")                                       \
    X(ESTATE, -5, "operation not allowed in this state")                      \
    X(ENOENT, -6, "no such object")

enum {
#define DMS_ERRNO_ENUM(name, value, text) DMS_##name = (value),
    DMS_ERRNO_MAP(DMS_ERRNO_ENUM)
#undef DMS_ERRNO_ENUM
};

const char *dms_strerror(int err);

/* ---------------------------------------------------------------------------------------------
 * Units.
 */
#define DMS_KIB (1024ULL)
#define DMS_MIB (1024ULL * DMS_KIB)
#define DMS_GIB (1024ULL * DMS_MIB)
#define DMS_TIB (1024ULL * DMS_GIB)

/* ---------------------------------------------------------------------------------------------
 * Machine configuration.
 */
enum dms_placement {
    DMS_PLACE_RANDOM,     /* uniformly across all of RAM: a long-running machine */
    DMS_PLACE_LOW_FIRST,  /* lowest free frames first */
    DMS_PLACE_HIGH_FIRST, /* highest free frames first */
    DMS_PLACE_RANGE       /* lowest free frames within [range_start, range_end) */
};

/* Faults the HAL injects (dms_machine_config.fault_percent): calls that fail as they may on a
 * loaded machine, so a driver's error paths run. */
enum dms_fault {
    DMS_FAULT_POOL,          /* ExAllocatePool* returns NULL */
    DMS_FAULT_MDL,           /* IoAllocateMdl returns NULL */
    DMS_FAULT_COMMON_BUFFER, /* AllocateCommonBuffer(Ex, WithBounds) returns NULL */
    DMS_FAULT_CONTIGUOUS,    /* MmAllocateContiguousMemory*, MmAllocatePagesForMdl(Ex) */
    DMS_FAULT_MAP_REGISTERS, /* a channel or list request: STATUS_INSUFFICIENT_RESOURCES */
    DMS_FAULT_INTERRUPT,     /* a device's interrupt is lost on the way (dms_device_interrupt) */
    DMS_FAULT_DEVICE_ERROR,  /* a card reports a command failed (dms_device_error) */
    DMS_FAULT_SPURIOUS_INTERRUPT, /* an interrupt delivered again once its device is quiet */
    DMS_FAULT_DEVICE_STALL,  /* a card's engine takes a command and never ends it */
    DMS_FAULT_COUNT
};

struct dms_machine_config {
    uint64_t ram_bytes;        /* installed RAM; 16 MiB .. 1 PiB, a multiple of 4 KiB */
    uint64_t mmio_hole_start;  /* RAM above this moves above mmio_hole_end; */
    uint64_t mmio_hole_end;    /* start == end means no hole */
    uint64_t reserved_low_bytes; /* below this, RAM is firmware's: never allocated */
    enum dms_placement placement;
    uint64_t range_start, range_end; /* for DMS_PLACE_RANGE: physical addresses */
    uint64_t seed;             /* PRNG seed for random placement */
    /* Where common buffers and MmAllocateContiguousMemory* land: 0 (the default) the highest
     * free run the caller may have, as Windows' contiguous allocator searches; 1 the lowest
     * (a HAL that keeps them low, so a driver that programs only the low 32 bits of a common
     * buffer's address works on a 64-bit card). Bounce pools stay high either way. */
    uint8_t contiguous_low_first;
    uint32_t map_register_limit; /* platform cap on map registers granted to one adapter */
    uint64_t bounce_pool_bytes;  /* per address limit: bounce pages shared by adapters */
    uint32_t dma_alignment;    /* GetDmaAlignment; 1 on x86/x64 */
    /* Metadata mode: bounce copies and device DMA are counted, charged and checked for strays
     * exactly as in full mode, but no payload byte moves (fast sweeps). */
    uint8_t metadata_only;
    /* Emit a CALL event when a driver enters a DMA_OPERATIONS member and a RETURN event when
     * it leaves, each with the arguments or results as text (dms_event.detail). Off by
     * default: it costs a formatted string per call. dmasim explain turns it on. */
    uint8_t call_events;
    /* A platform whose CPU caches DMA does not snoop (ARM without hardware coherency): a
     * device sees driver buffers as of the last cache clean, and the CPU sees what a device
     * wrote only after an invalidate. MapTransferEx cleans, FlushAdapterBuffersEx
     * invalidates, KeFlushIoBuffers does either; bounce pages and common buffers are
     * uncached, hence coherent. 0 (the default): x86/x64, snooped. */
    uint8_t noncoherent;
    /* System DMA controllers for subordinate (non-bus-master) devices: the PC's 8237 pair
     * (channels 0-3 8-bit, 5-7 16-bit, 24-bit addresses; on by default), and a SoC
     * controller with soc_dma_channels channels (0: none) serving soc_dma_request_lines
     * request lines, with scatter/gather and a completion interrupt, through version 3. */
    uint8_t no_isa_dma;
    uint32_t soc_dma_channels;
    uint32_t soc_dma_request_lines; /* 1 .. 65536 (ACPI's FixedDMA lines are 16-bit) */
    /* Driver Verifier's DMA verification (verifier /flags 0x80): every bus master's mapped
     * transfer is double-buffered through map registers (reason DMS_BOUNCE_VERIFIER), its data
     * bracketed by "DmaVrfy0" tags and 0x0F padding that are checked when it is flushed, free
     * map registers are filled with 0x0F and checked when granted (0xE6/0x0F, P2 1-5; full
     * data mode), and dms_dma_verify_end reports what a run left behind. */
    uint8_t verifier_dma;
    /* Fault injection: the percentage of each kind of call that fails (0: none, and no draw
     * from the PRNG), decided by a PRNG of its own seeded with fault_seed. */
    uint8_t fault_percent[DMS_FAULT_COUNT];
    uint64_t fault_seed;
    /* An IOMMU with DMA remapping (VT-d, AMD-Vi): every bus master's logical addresses are
     * IOVAs in a domain of its own, within its address width, mapped to wherever the pages
     * are, so nothing is double-buffered; the costs are the page table's and the IOTLB's
     * (DMS_COST_IOMMU_*). A device access through an IOVA not mapped is blocked: 0xE6/0x26. */
    uint8_t iommu_remap;
    /* Deferred IOTLB invalidation: unmaps are invalidated in batches, at 250 waiting or 10 ms
     * after the first (Linux's flush queue; the Windows HAL batches too), and their IOVAs are
     * reused only then. 0: strict, one invalidation an unmap. Until then a device can still
     * reach an unmapped page through a stale IOTLB entry (the window deferral opens). */
    uint8_t iommu_deferred;
    /* The IOMMU present but translating nothing (iommu_remap 0): every device is in a
     * pass-through domain (Linux iommu.passthrough=1, the PassThrough domain type): logical
     * addresses are physical, devices are double-buffered as without it, nothing is blocked.
     * Reports say so; it costs nothing. */
    uint8_t iommu_passthrough;
    /* Under iommu_remap: the IOTLB's entries (4-way set associative, LRU; 0: none modelled).
     * A device access whose page it misses waits for a page walk (DMS_COST_IOTLB_MISS). */
    uint32_t iotlb_entries;
};

/* Defaults, with their reasons:
 * - the low 1 MiB reserved and the MMIO hole at 3-4 GiB: the PC memory map;
 * - 64 map registers per adapter: C28173 says grants fall short "approaching 64";
 * - a 64 MiB bounce pool per address limit: Linux swiotlb's default size (IO_TLB_DEFAULT_SIZE).
 */
#define DMS_DEFAULT_RESERVED_LOW   (1 * DMS_MIB)
#define DMS_DEFAULT_HOLE_START     (3 * DMS_GIB)
#define DMS_DEFAULT_HOLE_END       (4 * DMS_GIB)
#define DMS_DEFAULT_MAP_REGISTERS  64
#define DMS_DEFAULT_BOUNCE_POOL    (64 * DMS_MIB)
#define DMS_MIN_RAM                (16 * DMS_MIB)
#define DMS_MAX_RAM                (1024 * DMS_TIB)

void dms_machine_config_init(struct dms_machine_config *cfg);

/* dms_machine_config_check - say what is wrong with a configuration.
 * Returns 0 if it is usable; otherwise DMS_EINVAL/DMS_ERANGE with a sentence in why[]. */
int dms_machine_config_check(const struct dms_machine_config *cfg, char *why, size_t why_len);
/* The same, and *field names the member at fault ("ram_bytes", "mmio_hole_start", ...), or
 * NULL when nothing is wrong; so that a tool can point at the setting the user gave. */
int dms_machine_config_field(const struct dms_machine_config *cfg, char *why, size_t why_len,
                             const char **field);

/* ---------------------------------------------------------------------------------------------
 * Events: every action of the HAL and of device-side DMA is one event. Counters, the cost
 * ledger, traces and the explain narrative are all built from this one stream.
 */
#define DMS_EVENT_MAP(X)                                                              \
    X(ADAPTER_CREATE, "adapter-create")                                               \
    X(ADAPTER_PUT, "adapter-put")                                                     \
    X(CHANNEL_WAIT, "channel-wait")         /* request queued for the adapter */      \
    X(MAPREG_WAIT, "mapreg-wait")           /* request queued for map registers */    \
    X(MAPREG_GRANT, "mapreg-grant")         /* count = registers, time = waited */    \
    X(MAPREG_FREE, "mapreg-free")                                                     \
    X(CALLBACK, "callback")                 /* ExecutionRoutine / list control ran */ \
    X(MAP, "map")                           /* one logically contiguous fragment */   \
    X(BOUNCE_COPY, "bounce-copy")           /* bytes copied, direction in write */    \
    X(FLUSH, "flush")                                                                 \
    X(SGL_BUILD, "sgl-build")                                                         \
    X(SGL_PUT, "sgl-put")                                                             \
    X(COMMON_ALLOC, "common-alloc")                                                   \
    X(COMMON_FREE, "common-free")                                                     \
    X(DEVICE_ACCESS, "device-access")       /* a device read or wrote memory */       \
    X(DPC_QUEUE, "dpc-queue")                                                         \
    X(DPC_RUN, "dpc-run")                                                             \
    X(FINDING, "finding")                                                             \
    X(CALL, "call")                         /* a driver called routine: detail = arguments */ \
    X(RETURN, "return")                     /* routine returned: detail = results */  \
    X(CACHE, "cache")                       /* count lines cleaned (write 1) or invalidated */

enum dms_event_type {
#define DMS_EVENT_ENUM(name, text) DMS_EV_##name,
    DMS_EVENT_MAP(DMS_EVENT_ENUM)
#undef DMS_EVENT_ENUM
    DMS_EV_COUNT
};

/* Why a page went through a bounce page. */
enum dms_bounce_reason {
    DMS_BOUNCE_NONE,
    DMS_BOUNCE_ABOVE_LIMIT, /* the page lies above the device's reach */
    DMS_BOUNCE_CONTIGUITY,  /* a device without scatter/gather needs one contiguous range */
    DMS_BOUNCE_VERIFIER     /* Driver Verifier double-buffers every transfer */
};

struct dms_event {
    enum dms_event_type type;
    uint64_t time_ns;
    uint32_t adapter_id;      /* 0: none */
    const char *device;       /* the device's name, or NULL */
    const char *routine;      /* the DMA_OPERATIONS member at work, or NULL */
    uint64_t physical;        /* a physical address, where one applies */
    uint64_t logical;         /* the device-visible address, where one applies */
    uint64_t length;          /* bytes */
    uint64_t wait_ns;         /* MAPREG_GRANT: how long the request waited */
    uint32_t count;           /* registers, pages or elements */
    uint32_t map_register;    /* first map register index, where one applies */
    uint8_t write_to_device;  /* direction: 1 memory -> device, 0 device -> memory */
    uint8_t reason;           /* enum dms_bounce_reason for MAP and BOUNCE_COPY */
    uint8_t stray;            /* DEVICE_ACCESS: outside what the device may touch */
    int32_t status;           /* an NTSTATUS, where one applies */
    const char *detail;       /* CALL and RETURN: arguments or results as text; FINDING: its
                               * message (NULL past the details kept per site); or NULL */
};

const char *dms_event_name(enum dms_event_type type);

/* ---------------------------------------------------------------------------------------------
 * The platform interface: what the HAL needs from whatever hosts it. The simulator's engine
 * implements it with virtual time and an event heap; NULL members fall back to a trivial
 * platform (time stands still, scheduled work runs when the IRQL drops below DISPATCH_LEVEL or
 * at dms_machine_run_pending; a thread a KeSetEvent readies waits for the next of those, never
 * running inside the KeSetEvent).
 */
enum dms_cost {
    DMS_COST_BOUNCE_COPY_BYTES, /* bytes the CPU copied to or from bounce pages */
    DMS_COST_MAPREG_ALLOC,      /* map registers allocated */
    DMS_COST_MAPREG_FREE,       /* map registers freed */
    DMS_COST_SG_ELEMENT,        /* scatter/gather elements built */
    DMS_COST_MAP_CALL,          /* MapTransfer-style calls */
    DMS_COST_CACHE_LINE,        /* cache lines cleaned or invalidated (non-coherent) */
    DMS_COST_REGISTER_READ,     /* device register reads (the CPU waits for the device) */
    DMS_COST_REGISTER_WRITE,    /* device register writes (posted) */
    DMS_COST_CPU_NS,            /* nanoseconds the CPU spent spinning (a driver's stall) */
    DMS_COST_DRIVER_COPY_BYTES, /* bytes a driver copied or filled itself (RtlCopyMemory) */
    DMS_COST_IOMMU_MAP_PAGE,    /* IOMMU page table entries written (DMA remapping) */
    DMS_COST_IOMMU_UNMAP_PAGE,  /* IOMMU page table entries cleared */
    DMS_COST_IOTLB_INVALIDATE,  /* IOTLB invalidations (strict: one per unmap) */
    DMS_COST_IOTLB_MISS         /* device accesses that missed the IOTLB: the device walks */
};

typedef void (*dms_work_fn)(void *arg);

#define DMS_NO_ADAPTER UINT32_MAX

struct dms_platform {
    void *ctx;
    uint64_t (*now_ns)(void *ctx);
    /* Run fn(arg) at IRQL irql after delay_ns of virtual time, in scheduling order, as work of
     * adapter adapter_id's device (DMS_NO_ADAPTER: of whoever runs now). Above DISPATCH_LEVEL
     * it is an interrupt the HAL raises (a system DMA controller's); DISPATCH_LEVEL work
     * scheduled from one is its DPC. */
    void (*schedule)(void *ctx, uint64_t delay_ns, KIRQL irql, uint32_t adapter_id,
                     dms_work_fn fn, void *arg);
    void (*charge)(void *ctx, enum dms_cost cost, uint64_t amount, uint32_t adapter_id);
    void (*event)(void *ctx, const struct dms_event *ev);
    /* Optional: the host's notion of whose work runs now (the simulator: which I/O), an opaque
     * number. The HAL keeps it with a request it queues (for the adapter channel or map
     * registers) and restores it while granting that request, so work done for a request
     * is counted to it however long it waited. */
    uint64_t (*context_get)(void *ctx);
    void (*context_set)(void *ctx, uint64_t context);
    /* Optional: run scheduled work until done(arg) is true or nothing is left (the HAL's
     * synchronous requests: loading a driver, starting a device). Without it, the HAL runs
     * the trivial platform's queue. */
    void (*run_until)(void *ctx, bool (*done)(void *), void *arg);
};

/* ---------------------------------------------------------------------------------------------
 * Machines.
 */
struct dms_machine;

/* dms_machine_create - build a machine. cfg is copied; platform may be NULL (trivial platform).
 * The machine is bound to the calling thread if the thread has none (see dms_machine_enter).
 * Returns 0 and *out, or DMS_EINVAL/DMS_ERANGE for a bad configuration, DMS_ENOMEM. */
int dms_machine_create(const struct dms_machine_config *cfg, const struct dms_platform *platform,
                       struct dms_machine **out);
void dms_machine_destroy(struct dms_machine *m);

/* The WDK routines take no machine argument; they act on the machine bound to the calling
 * thread. dms_machine_enter binds m (NULL unbinds) and returns the previous binding. */
struct dms_machine *dms_machine_enter(struct dms_machine *m);
struct dms_machine *dms_machine_current(void);

/* The frameworks on the HAL (frameworks/: KMDF, AVStream, the video port) keep their state on
 * the machine: set once, freed by free_state first when the machine is destroyed (before its
 * adapters, devices and memory). Returns 0, or DMS_EINVAL (a slot already set). */
enum dms_framework { DMS_FRAMEWORK_KMDF, DMS_FRAMEWORK_KS, DMS_FRAMEWORK_VIDEOPORT,
                     DMS_FRAMEWORK_COUNT };
void *dms_machine_framework(struct dms_machine *m, enum dms_framework which);
int dms_machine_set_framework(struct dms_machine *m, enum dms_framework which, void *state,
                              void (*free_state)(void *state));
/* The framework's state on m, made (bytes, zeroed, freed by free_state) on first use: *created
 * says so (created may be NULL). NULL without a machine or host memory. */
void *dms_machine_framework_state(struct dms_machine *m, enum dms_framework which, size_t bytes,
                                  void (*free_state)(void *state), bool *created);

/* Run scheduled work (waiting ExecutionRoutines, DPCs, readied threads) of the trivial
 * platform until none is left. Returns how many items ran. A no-op under a platform with its
 * own schedule. */
int dms_machine_run_pending(struct dms_machine *m);

uint64_t dms_machine_top_address(const struct dms_machine *m); /* highest RAM address + 1 */
uint64_t dms_machine_free_bytes(const struct dms_machine *m);
uint64_t dms_machine_frames_in_use(const struct dms_machine *m);
/* Host bytes the machine holds: frame backing pages plus bookkeeping. */
uint64_t dms_machine_host_bytes(const struct dms_machine *m);
const struct dms_machine_config *dms_machine_config(const struct dms_machine *m);
/* Change where new driver buffers go (a workload's buffer policy). Returns 0, or DMS_EINVAL. */
int dms_machine_set_placement(struct dms_machine *m, enum dms_placement placement,
                              uint64_t range_start, uint64_t range_end);

/* ---------------------------------------------------------------------------------------------
 * Devices. A device object stands for both the PDO and the FDO of one simulated device.
 */
/* dms_device_set_dma_remapping - whether the device's driver opted in to DMA remapping (its
 * INF's DmaRemappingCompatible): with the machine's iommu_remap on, an adapter for a device
 * that opted out is not remapped (its logical addresses are physical, and it is
 * double-buffered as without an IOMMU). Devices opt in by default. 0, or DMS_EINVAL. */
int dms_device_set_dma_remapping(PDEVICE_OBJECT pdo, bool compatible);
/* dms_device_set_dma_limit - the platform's limit on the device's DMA reach, in address bits
 * (0: none), as firmware reports one (an ACPI _DMA range, a bridge that forwards fewer bits):
 * an adapter for the device never reaches above it, whatever its driver declares, so a page
 * above it is double-buffered (or remapped) rather than truncated on the wires. 24..64, or 0;
 * 0 or DMS_EINVAL. */
int dms_device_set_dma_limit(PDEVICE_OBJECT pdo, unsigned bits);
PDEVICE_OBJECT dms_device_create(struct dms_machine *m, const char *name,
                                 ULONG device_extension_bytes);
const char *dms_device_name(PDEVICE_OBJECT dev);

/* dms_buffer_alloc - a nonpaged driver buffer owned by dev (may be NULL), its pages placed by
 * the machine's policy; freed with ExFreePool. Returns NULL when memory runs out. */
PVOID dms_buffer_alloc(struct dms_machine *m, PDEVICE_OBJECT dev, SIZE_T bytes);

/* Device-side DMA: a device reads or writes memory by logical address, driving only
 * address_bits address lines (the upper bits are lost, as on real wires). An access outside
 * what the device may touch (a mapped buffer page, a bounce page it holds, its common buffer)
 * is a stray access: it still happens if the frame exists, and it is reported with the frame's
 * owner. In metadata mode no byte moves and src/dst may be NULL.
 * Returns 0, or DMS_EINVAL. *stray (may be NULL) receives the number of stray pages. */
int dms_device_dma_write(PDEVICE_OBJECT dev, unsigned address_bits, uint64_t logical,
                         const void *src, size_t len, uint32_t *stray);
int dms_device_dma_read(PDEVICE_OBJECT dev, unsigned address_bits, uint64_t logical,
                        void *dst, size_t len, uint32_t *stray);

/* System DMA, the device side: subordinate device dev asserts its DMA request line and the
 * controller channel programmed for it moves up to len bytes between memory and the device
 * (to_device: memory to the device), through its address lines, attributed to dev.
 * data_register is the bus address of the device's data register (its FIFO): a SoC channel
 * moves data only to or from the address its driver described (DeviceAddress plus the
 * transfer's DeviceOffset), and one aimed elsewhere moves nothing and is reported; the 8237
 * acknowledges its device on the request line alone (pass 0). An 8237 channel in
 * autoinitialize mode starts over at terminal count; otherwise the transfer ends there, and a
 * SoC controller raises its completion interrupt (the driver's DmaCompletionRoutine runs at
 * DISPATCH_LEVEL). buf may be NULL in metadata mode.
 * Returns 0 and *moved (fewer bytes, or none, when nothing more is programmed), and
 * *terminal if terminal count was reached; DMS_EINVAL if dev has no system DMA channel. */
int dms_sysdma_request(PDEVICE_OBJECT dev, uint64_t data_register, void *buf, uint32_t len,
                       int to_device, uint32_t *moved, int *terminal);
/* The same for a device wired to a SoC request line: the channel serving it moves the data.
 * Returns 0 (*moved 0 while no channel serves the line), DMS_EINVAL for a line the
 * controller does not have. */
int dms_sysdma_request_line(struct dms_machine *m, uint32_t request_line, uint64_t data_register,
                            void *buf, uint32_t len, int to_device, uint32_t *moved,
                            int *terminal);

/* A device model on SoC request line `line`: programmed(ctx, to_device) runs when a channel
 * serving the line is programmed (inside the driver's MapTransferEx), so the device knows to
 * start asserting it. Returns 0, DMS_EINVAL (no such line), DMS_ENOMEM. */
int dms_sysdma_watch_line(struct dms_machine *m, uint32_t line,
                          void (*programmed)(void *ctx, int to_device), void *ctx);

/* Describe who owns the frame at a physical address ("buffer #17 of nic0"). */
void dms_describe_address(struct dms_machine *m, uint64_t physical, char *out, size_t out_len);

/* The simulated CPU wrote or is about to read len bytes of a driver buffer at va (the
 * application filling a buffer for a write, or taking the data of a read). On a non-coherent
 * machine a write leaves the lines dirty in the cache until cleaned; a read of lines a device
 * wrote and nobody invalidated sees old bytes and is reported (DMS_CHECK_STALE_CPU_READ).
 * No-ops on a coherent machine. Returns the stale bytes read. */
void dms_cpu_wrote(struct dms_machine *m, const void *va, size_t len);
uint64_t dms_cpu_read(struct dms_machine *m, const void *va, size_t len);

/* Physical address of a byte of a driver buffer, common buffer or bounce page (host pointer). */
int dms_physical_of(struct dms_machine *m, const void *va, uint64_t *physical);

/* ---------------------------------------------------------------------------------------------
 * Hosting whole drivers: the I/O manager's and PnP manager's side, for the simulator.
 *
 * A device the simulator models is a physical device object from dms_device_create (the bus
 * enumerated it), with the resources the bus assigned it: register ranges its model decodes,
 * an interrupt, DMA channels. A driver is loaded (DriverEntry), given the device (AddDevice),
 * started with its resources (IRP_MN_START_DEVICE), then sent requests as IRPs. Every call into
 * the driver runs on a kernel thread at PASSIVE_LEVEL, so it may wait while virtual time runs.
 */

/* A device model's registers: offset is from the start of the range, bytes 1, 2, 4 or 8. The
 * routines run at the virtual time of the access, inside the accessing CPU's work. */
struct dms_register_ops {
    uint64_t (*read)(void *ctx, uint64_t offset, unsigned bytes);
    void (*write)(void *ctx, uint64_t offset, unsigned bytes, uint64_t value);
};

/* Resources of a physical device object. Each returns 0, DMS_EINVAL (not a bus device, a bad
 * or overlapping range, a second interrupt) or DMS_ENOSPC / DMS_ENOMEM. */
int dms_device_add_memory(PDEVICE_OBJECT pdo, uint64_t base, uint32_t length,
                          const struct dms_register_ops *ops, void *ctx);
int dms_device_add_port(PDEVICE_OBJECT pdo, uint32_t base, uint32_t length,
                        const struct dms_register_ops *ops, void *ctx);
int dms_device_add_interrupt(PDEVICE_OBJECT pdo, KINTERRUPT_MODE mode);
int dms_device_add_resource(PDEVICE_OBJECT pdo, const CM_PARTIAL_RESOURCE_DESCRIPTOR *res);
/* The device raises its interrupt: the connected ISRs run at their DIRQL. 0 or DMS_EINVAL. */
int dms_device_interrupt(PDEVICE_OBJECT pdo);
/* The top of the device stack pdo is the bottom of (pdo itself if nothing is attached). */
PDEVICE_OBJECT dms_device_top(PDEVICE_OBJECT pdo);

/* dms_driver_load - create "\Driver\NAME" and run entry as its DriverEntry. Returns its
 * status; *out is the driver object (also on failure, NULL only without memory). */
NTSTATUS dms_driver_load(struct dms_machine *m, const char *name, PDRIVER_INITIALIZE entry,
                         PDRIVER_OBJECT *out);
/* AddDevice for pdo; STATUS_INVALID_DEVICE_REQUEST if the driver has none. */
NTSTATUS dms_driver_add_device(PDRIVER_OBJECT driver, PDEVICE_OBJECT pdo);
void dms_driver_unload(PDRIVER_OBJECT driver);
/* IRP_MN_START_DEVICE with pdo's raw and translated resources; the final status. */
NTSTATUS dms_pnp_start(PDEVICE_OBJECT pdo);
/* IRP_MN_STOP_DEVICE (if started) then IRP_MN_REMOVE_DEVICE; the remove's status. */
NTSTATUS dms_pnp_remove(PDEVICE_OBJECT pdo, BOOLEAN started);

/* A request, as the I/O manager builds its IRP. READ and WRITE use buffer, length and offset
 * (and mdl, a locked MDL for a direct-I/O device, when the caller has one); DEVICE_CONTROL
 * uses ioctl, in and out, by the code's transfer type. */
struct dms_request {
    UCHAR major, minor;
    ULONG ioctl;
    void *buffer;
    ULONG length;
    LONGLONG offset;
    PMDL mdl;
    void *in;
    ULONG in_length;
    void *out;
    ULONG out_length;
    PFILE_OBJECT file;
    PCM_RESOURCE_LIST resources_raw, resources_translated; /* START_DEVICE */
};

typedef void (*dms_irp_done_fn)(void *ctx, NTSTATUS status, ULONG_PTR information);

/* dms_irp_send - send req to the top of dev's stack. done runs once, when the IRP completes
 * (possibly before this returns), or at once with the status that kept the IRP from being
 * sent. Returns the dispatch routine's status (STATUS_PENDING if it is still waiting), or
 * that status. */
NTSTATUS dms_irp_send(PDEVICE_OBJECT dev, const struct dms_request *req, dms_irp_done_fn done,
                      void *ctx);
/* The same, running the platform until the IRP completes: its final status and Information,
 * or STATUS_DRIVER_INTERNAL_ERROR (and a finding) if the driver never completes it. */
NTSTATUS dms_irp_send_sync(PDEVICE_OBJECT dev, const struct dms_request *req,
                           ULONG_PTR *information);
/* Open a device by name, as CreateFile does ("\\.\X" through the symbolic links, or
 * "\Device\X"): IRP_MJ_CREATE. The file object, or NULL with *status. */
PFILE_OBJECT dms_file_open(struct dms_machine *m, const char *name, NTSTATUS *status);
/* IRP_MJ_CLEANUP and IRP_MJ_CLOSE; the file object is gone after. */
NTSTATUS dms_file_close(PFILE_OBJECT file);

/* Where the drivers' DbgPrint output goes (nowhere until set). */
void dms_machine_set_debug_print(struct dms_machine *m, void (*fn)(void *ctx, const char *text),
                                 void *ctx);

/* ---------------------------------------------------------------------------------------------
 * Adapters: read-back.
 */
struct dms_adapter_stats {
    uint64_t transfers;             /* mappings completed: flushed, or S/G lists put */
    uint64_t bytes_mapped;
    uint64_t map_calls;             /* MapTransfer and list-building fragments */
    uint64_t pages_mapped;
    uint64_t pages_bounced;
    uint64_t pages_bounced_above_limit;
    uint64_t pages_bounced_contiguity;
    uint64_t bytes_bounced_to_device;   /* copied into bounce pages before a write */
    uint64_t bytes_bounced_from_device; /* copied out of bounce pages after a read */
    uint64_t map_register_requests;
    uint64_t map_registers_granted;     /* registers handed out, summed over requests */
    uint64_t map_registers_in_use;
    uint64_t map_registers_peak;
    uint64_t map_register_waits;        /* requests that could not be granted at once */
    uint64_t map_register_wait_ns;
    uint64_t sg_lists_built;
    uint64_t sg_lists_outstanding;
    uint64_t sg_elements;
    uint64_t common_buffers;            /* outstanding */
    uint64_t common_buffer_bytes;       /* outstanding, whole pages */
    uint64_t device_bytes_read;         /* by the device, from memory */
    uint64_t device_bytes_written;      /* by the device, to memory */
    uint64_t stray_accesses;
    uint64_t findings;
    uint64_t cache_lines_cleaned;      /* non-coherent machines: CPU cache maintenance */
    uint64_t cache_lines_invalidated;
    uint64_t stale_bytes_to_device;    /* the device read bytes the CPU never cleaned */
    uint64_t stale_bytes_to_cpu;       /* the CPU read bytes a device wrote, not invalidated */
    uint64_t pages_bounced_verifier;   /* double-buffered only because the verifier is on */
    /* fault injection: the calls made for this device that were made to fail, by kind (pool,
     * MDL and contiguous allocations count where the HAL knows whose driver code ran: its
     * dispatch routines, StartIo, ISR and the DPCs it queued for its device object) */
    uint64_t faults_injected[DMS_FAULT_COUNT];
    uint64_t spurious_claimed; /* spurious interrupts its ISR claimed (returned TRUE for) */
};

struct dms_adapter_info {
    uint32_t id;
    const char *device;
    ULONG version;              /* DEVICE_DESCRIPTION.Version asked for */
    uint64_t max_address;       /* highest address the device reaches */
    unsigned address_bits;
    BOOLEAN master, scatter_gather;
    BOOLEAN needs_map_registers; /* bounce-backed map registers were set up */
    ULONG map_registers_max;     /* what IoGetDmaAdapter returned */
    uint64_t bounce_pool_base;   /* physical base of the shared bounce pool, or 0 */
    uint32_t bounce_pool_pages;
};

const struct dms_adapter_stats *dms_adapter_stats(PDMA_ADAPTER adapter);
/* The DMA adapter a driver last got for dev with IoGetDmaAdapter (NULL if none is live). */
PDMA_ADAPTER dms_device_dma_adapter(PDEVICE_OBJECT dev);
/* The counters of every adapter ever obtained for dev, summed (a driver may get and put an
 * adapter per request); the peak is the largest. Returns how many adapters there were. */
uint32_t dms_device_dma_stats(PDEVICE_OBJECT dev, struct dms_adapter_stats *sum);
int dms_adapter_info(PDMA_ADAPTER adapter, struct dms_adapter_info *info);
/* Free bounce pages in the pool behind this adapter (0 if it has none). */
uint32_t dms_adapter_free_map_registers(PDMA_ADAPTER adapter);

/* ---------------------------------------------------------------------------------------------
 * Findings: DMA misuse, reported in Driver Verifier's words (bug check 0xE6 parameter 1) where
 * one fits, or as a dmasim check (code >= 0x100). A finding never crashes the host.
 */
#define DMS_E6_MISC                      0x00
#define DMS_E6_COMMON_BUFFER_DOUBLE_FREE 0x03
#define DMS_E6_CHANNEL_DOUBLE_FREE       0x04
#define DMS_E6_MAPREG_DOUBLE_FREE        0x05
#define DMS_E6_SGL_DOUBLE_FREE           0x06
#define DMS_E6_PUT_WITH_COMMON_BUFFERS   0x07
#define DMS_E6_PUT_WITH_CHANNELS         0x08
#define DMS_E6_PUT_WITH_MAP_REGISTERS    0x09
#define DMS_E6_PUT_WITH_SG_LISTS         0x0A
#define DMS_E6_TOO_MANY_CHANNELS         0x0B
#define DMS_E6_TOO_MANY_MAP_REGISTERS    0x0C
#define DMS_E6_NOT_FLUSHED               0x0D
#define DMS_E6_NOT_LOCKED                0x0E
#define DMS_E6_WROTE_OUTSIDE             0x0F
#define DMS_E6_FREE_WHILE_MAPPED         0x10
#define DMS_E6_WRONG_IRQL                0x13
#define DMS_E6_IMPROPER_IRQL             0x14
#define DMS_E6_TOO_MANY_MAP_REGISTERS_ALLOCATED 0x15
#define DMS_E6_FLUSH_NOT_MAPPED          0x16
#define DMS_E6_ADAPTER_RELEASED          0x18
#define DMS_E6_NULL_ADAPTER              0x19
#define DMS_E6_ADDRESS_NOT_IN_MDL        0x1B
#define DMS_E6_ALREADY_MAPPED            0x1D
#define DMS_E6_INVALID_BUFFER            0x1F
#define DMS_E6_FLUSH_NEVER_MAPPED        0x20
#define DMS_E6_ZERO_LENGTH               0x21
#define DMS_E6_NOT_IN_SYSTEM_VA          0x22
#define DMS_E6_CHANNEL_NOT_DONE          0x23
#define DMS_E6_INSUFFICIENT_BUFFER       0x24
#define DMS_E6_UNKNOWN_VERSION           0x25
#define DMS_E6_IOMMU_FAULT               0x26

#define DMS_CHECK_STRAY_ACCESS      0x100 /* a device touched memory it was not given */
#define DMS_CHECK_DIRECTION         0x101 /* flush/put direction differs from the mapping */
#define DMS_CHECK_NOT_NONPAGED      0x102 /* MDL built over memory that is not nonpaged pool */
#define DMS_CHECK_BAD_ARGUMENT      0x103 /* an argument the routine cannot accept */
#define DMS_CHECK_FREE_MISMATCH     0x104 /* FreeCommonBuffer/FreeMapRegisters arguments differ */
#define DMS_CHECK_STALE_DEVICE_READ 0x105 /* non-coherent: a device read lines never cleaned */
#define DMS_CHECK_STALE_CPU_READ    0x106 /* non-coherent: the CPU read lines never invalidated */
#define DMS_CHECK_SYSDMA            0x107 /* a system DMA rule: channel, width, boundary */
#define DMS_CHECK_IRP               0x108 /* an IRP rule: completion, pending, stack locations */
#define DMS_CHECK_LOCK              0x109 /* a spin lock or mutex taken twice, or never released */
#define DMS_CHECK_WAIT              0x10A /* a wait that can never end, or a stall too long */
#define DMS_CHECK_REGISTER          0x10B /* a register or port access no device decodes */
#define DMS_CHECK_DRIVER            0x10C /* the driver model: objects, AddDevice, ASSERT, ISRs */
#define DMS_CHECK_FREED_WHILE_MAPPED 0x10D /* memory freed while a DMA mapping still uses it */
/* Bug check 0x1DC DMA_COMMON_BUFFER_VECTOR_ERROR, its parameter 1 (the type of failure: 1 wrong
 * IRQL, 2 vector not empty, 3 index out of bounds, 4 index freed, 5 common buffer leaked) in
 * the last two digits: 0x1DC01 .. 0x1DC05. */
#define DMS_BUGCHECK_1DC(type)      (0x1DC00u + (type))
/* Bug check 0x10D WDF_VIOLATION, its parameter 1 in the last two digits: what the KMDF
 * front-end (frameworks/kmdf) finds, in the framework verifier's terms (0x10D04 a NULL
 * parameter, 0x10D05 a handle of the wrong type or of a deleted object, 0x10D06 a request
 * rule, its parameter 2 the WDF_REQUEST_FATAL_ERROR code, 0x10D07 an object deleted by a
 * dereference, 0x10D08 a DMA transaction in the wrong state, 0x10D0E a callback that returned
 * at another IRQL than it was called at). */
#define DMS_BUGCHECK_10D(type)      (0x10D00u + (type))

struct dms_finding {
    uint32_t code;          /* E6 parameter 1, or DMS_CHECK_* */
    uint64_t p2, p3, p4;    /* E6 parameters 2-4 as documented for the code */
    uint64_t time_ns;
    const char *routine;    /* the routine that found it */
    char device[32];
    char message[256];
};

/* Findings are counted without bound, and kept in detail for the first
 * DMS_FINDING_DETAILS_PER_SITE of each site (code, routine and device), so a driver that makes
 * the same mistake on every I/O of a long run costs the host a bounded amount of memory. */
#define DMS_FINDING_DETAILS_PER_SITE 1000
/* The findings kept in detail, in order: dms_finding_get takes 0 .. count - 1. */
size_t dms_finding_count(const struct dms_machine *m);
const struct dms_finding *dms_finding_get(const struct dms_machine *m, size_t index);
/* Every finding made, kept in detail or not; of one code; of one device ("" for none). */
uint64_t dms_finding_total(const struct dms_machine *m);
size_t dms_finding_count_code(const struct dms_machine *m, uint32_t code);
uint64_t dms_finding_total_device(const struct dms_machine *m, const char *device);
void dms_findings_clear(struct dms_machine *m);
/* dms_report_finding - a finding made above the HAL (a framework's rule broken), counted like
 * the HAL's own and charged to the device whose driver code is running. */
void dms_report_finding(struct dms_machine *m, const char *routine, uint32_t code, uint64_t p2,
                        uint64_t p3, uint64_t p4, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* dms_trace_call - a framework's own routine in the call trace, like the HAL's DMA_OPERATIONS
 * (dms_machine_config.call_events): type is DMS_EV_CALL as the driver enters routine (detail:
 * the arguments), DMS_EV_RETURN as it leaves (detail: the results), or DMS_EV_CALLBACK as the
 * framework calls the driver's routine (detail: what it is given). Charged to the device whose
 * driver code is running; nothing when the machine does not trace calls, so it costs a
 * framework's hot path one test. routine must outlive the machine (a string literal). */
void dms_trace_call(struct dms_machine *m, enum dms_event_type type, const char *routine,
                    int32_t status, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Whether dms_trace_call records anything: a framework formats nothing when it does not. */
bool dms_tracing_calls(const struct dms_machine *m);
/* dms_irp_context_enter - run as Irp's work until dms_irp_context_leave: what runs is charged,
 * traced and explained as that I/O's, the way StartIo runs an IRP IoStartNextPacket took from
 * the device queue inside another I/O's DPC. For a framework that presents a queued request
 * to its driver from wherever the request before it completed. Returns whether it switched
 * (*saved: what ran before); an IRP the HAL does not know, or a platform without I/O
 * contexts, switches nothing. */
bool dms_irp_context_enter(struct dms_machine *m, PIRP Irp, uint64_t *saved);
void dms_irp_context_leave(struct dms_machine *m, bool entered, uint64_t saved);

/* dms_dma_dump - the machine's DMA adapters in the layout of the debugger's !dma (dmasim dma;
 * docs/driver-guide.md): adapter DMS_DMA_DUMP_LIST lists them and their owners; 0 shows every
 * adapter, N the one whose id is N, with flags: 0x1 the adapter (always), 0x2 its map register
 * files, 0x4 common buffers, 0x8 scatter/gather lists, 0x10 the device description, 0x20 the
 * requests waiting. Returns 0, or DMS_EINVAL when there is no live adapter N. */
#define DMS_DMA_DUMP_LIST           UINT32_MAX
#define DMS_DMA_DUMP_ADAPTER        0x1u
#define DMS_DMA_DUMP_MAP_REGISTERS  0x2u
#define DMS_DMA_DUMP_COMMON_BUFFERS 0x4u
#define DMS_DMA_DUMP_SG_LISTS       0x8u
#define DMS_DMA_DUMP_DESCRIPTION    0x10u
#define DMS_DMA_DUMP_WAITING        0x20u
#define DMS_DMA_DUMP_ALL            0x3fu
int dms_dma_dump(struct dms_machine *m, uint32_t adapter, unsigned flags, FILE *out);
/* dms_irp_whereabouts - every request dms_irp_send sent that has not completed: fn(ctx, the
 * done_ctx it was sent with, the IRP, a sentence saying where it stopped: the device whose
 * stack location it is at, what its dispatch routine returned, whether StartIo has it or it
 * waits in the device queue, what DMA resources its device holds or waits for, and the faults
 * injected into that device). Returns how many there are. For a run's end, when nothing is
 * left to happen. */
typedef void (*dms_irp_where_fn)(void *ctx, void *done_ctx, PIRP irp, const char *where);
size_t dms_irp_whereabouts(struct dms_machine *m, dms_irp_where_fn fn, void *ctx);
/* dms_dma_verify_end - Driver Verifier's checks when a run is over (the simulator calls it once
 * the drivers are unloaded, with verifier_dma on): adapters never put and what they hold
 * (0xE6/0x07-0x0A), mappings never flushed (0x0D). */
void dms_dma_verify_end(struct dms_machine *m);

/* dms_device_error - a card model asks whether the command it finishes now fails (fault
 * injection, DMS_FAULT_DEVICE_ERROR): true means it reports an error to its driver. */
bool dms_device_error(PDEVICE_OBJECT pdo);
/* dms_device_stall - the same for a stalled engine (DMS_FAULT_DEVICE_STALL): true means the card
 * takes the command it starts now and never finishes it (no data, no completion, no
 * interrupt); only a driver with a timeout of its own notices. */
bool dms_device_stall(PDEVICE_OBJECT pdo);
/* Hold fault injection off (nested) while the host sets up what is not a driver's call: an
 * application's own buffers, say. Nothing is drawn from the faults' PRNG meanwhile. */
void dms_faults_hold(struct dms_machine *m, bool hold);
/* How many calls of a kind the machine made fail (fault_percent). */
uint64_t dms_faults_injected(const struct dms_machine *m, enum dms_fault fault);

/* Format a physical address in grouped hex: 0x0000_0001_2345_6000. */
void dms_format_address(uint64_t address, char out[24]);

/* ---------------------------------------------------------------------------------------------
 * A seeded PRNG of a named algorithm: xoshiro256** (Blackman & Vigna), seeded by splitmix64.
 */
struct dms_rng {
    uint64_t s[4];
};

void dms_rng_seed(struct dms_rng *rng, uint64_t seed);
uint64_t dms_rng_next(struct dms_rng *rng);
/* len bytes of the sequence: what dms_rng_next gives 8 bytes at a time, in host order. */
void dms_rng_fill(struct dms_rng *rng, uint8_t *buf, size_t len);
/* Uniform in [0, bound); bound > 0. Unbiased (Lemire's method with rejection). */
uint64_t dms_rng_below(struct dms_rng *rng, uint64_t bound);

#ifdef __cplusplus
}
#endif

#endif /* DMASIM_HAL_H */
