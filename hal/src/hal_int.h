/*
 * hal_int.h - the HAL emulator's private structures, shared by its rooms:
 *
 *   machine.c   machine life cycle, thread binding, the trivial platform, events, findings
 *   physmem.c   sparse physical memory: layout, frames, owners, placement, device-side DMA
 *   kernel.c    the kernel slice: IRQL, DPCs, MDLs, nonpaged pool
 *   mm.c        locking pages, partial MDLs, pages for MDLs, contiguous memory, lookasides
 *   thread.c    kernel threads (ucontext) and waits: events, fast mutexes, delays, work items
 *   sync.c      spin locks, interrupt resources, connecting and raising interrupts
 *   iomgr.c     driver and device objects, device stacks, IRPs and completion, StartIo
 *   iorequest.c the simulator's side: loading drivers, PnP start, sending IRPs, opening files
 *   mmio.c      device registers and I/O ports, MmMapIoSpace
 *   rtl.c       counted strings, DbgPrint's format language, ASSERT
 *   adapter.c   IoGetDmaAdapter, the operations tables, PutDmaAdapter and the small routines
 *   mapreg.c    bounce pools, map register files, the adapter channel and the FIFO waits
 *   transfer.c  MapTransfer and FlushAdapterBuffers: mapping fragments, bounce copies
 *   sglist.c    scatter/gather lists (v1 Get/Put, v2 Calculate/Build/BuildMdl)
 *   v3.c        the version-3 routines: transfer contexts, the Ex routines, FreeAdapterObject
 *   sysdma.c    system DMA controllers (an 8237 pair, a SoC controller) for subordinate devices
 *   cache.c     CPU caches a non-coherent machine's devices do not snoop
 *   common.c    common buffers
 *   u64map.c    the open-addressing hash map behind the sparse memory
 *
 * Nothing here is installed or seen by drivers.
 */
#ifndef DMASIM_HAL_INT_H
#define DMASIM_HAL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dmasim/hal.h"
#include "dmasim/wdm.h"

#define HAL_PAGE_SIZE  ((uint64_t)PAGE_SIZE)
#define HAL_PAGE_SHIFT 12
#define HAL_PAGE_MASK  (HAL_PAGE_SIZE - 1)

/* ---------------------------------------------------------------------------------------------
 * u64map: uint64 -> uint64, open addressing with linear probing and backward-shift deletion
 * (no tombstones, so a long run of map/unmap never degrades it). Key UINT64_MAX is reserved.
 */
struct u64map {
    uint64_t *keys;
    uint64_t *vals;
    size_t cap; /* a power of two */
    size_t count;
    unsigned shift;
};

int u64map_init(struct u64map *map, size_t initial);
void u64map_free(struct u64map *map);
bool u64map_get(const struct u64map *map, uint64_t key, uint64_t *val);
int u64map_put(struct u64map *map, uint64_t key, uint64_t val);
bool u64map_del(struct u64map *map, uint64_t key);
size_t u64map_host_bytes(const struct u64map *map);

/* ---------------------------------------------------------------------------------------------
 * Owners: every frame in use belongs to one, so any access can be attributed.
 */
enum owner_kind {
    OWNER_BUFFER, /* a driver buffer from nonpaged pool */
    OWNER_BOUNCE, /* a bounce pool */
    OWNER_COMMON  /* a common buffer */
};

struct owner {
    enum owner_kind kind;
    uint32_t serial; /* buffer #N of its device */
    char label[40];  /* device name, or "pool tag 'Xyz '" */
    uint8_t *host;   /* first byte of the host allocation */
    uint64_t pages;
    bool live;
    uint32_t next_free; /* free list of dead owners, so ids are reused */
    struct bounce_pool *pool; /* OWNER_BOUNCE */
    struct adapter *ad;       /* OWNER_COMMON */
    struct device *dev;       /* OWNER_BUFFER of a device (dms_buffer_alloc) */
    bool pageable;            /* OWNER_BUFFER from paged pool */
};

struct frame {
    uint8_t *host;     /* the host page that backs the frame: what the CPU sees */
    uint32_t owner;    /* index into machine->owners */
    uint32_t dma_maps; /* live direct (unbounced) mappings of this frame */
    /* A non-coherent machine's driver buffers (cache.c): memory as the device sees it (full
     * mode), and per 64-byte line, what the CPU wrote and did not clean (dirty) and what a
     * device wrote that the CPU's cache still holds old (stale). */
    uint8_t *ram;
    uint64_t dirty, stale;
};

/* ---------------------------------------------------------------------------------------------
 * Devices.
 */
struct queued {
    PIRP irp;
    ULONG key;
};

struct device {
    PDEVICE_OBJECT obj; /* the DEVICE_OBJECT, its extension, its DEVOBJ_EXTENSION */
    struct dms_machine *m;
    struct driver *drv;    /* NULL: the bus's (dms_device_create) */
    char name[32];         /* for reports: the bus's name for it, or its own */
    char *nt_name;         /* "\\Device\\X" from IoCreateDevice, or NULL */
    bool deleted;          /* IoDeleteDevice */
    struct device *lower, *upper; /* the device stack */
    struct device *pdo;    /* the stack's physical device object */
    ULONG extension_bytes;
    /* StartIo's device queue */
    bool busy;
    struct queued *queue;
    uint32_t n_queue, cap_queue;
    /* PnP resources (a bus-enumerated device), raw and translated */
    CM_PARTIAL_RESOURCE_DESCRIPTOR res_raw[8], res_translated[8];
    uint32_t n_res;
    bool has_interrupt;
    ULONG vector;          /* the translated vector its interrupt resource names */
    KIRQL dirql;
    uint32_t buffer_serial;
    uint32_t common_serial;
    bool channel_request_pending; /* AllocateAdapterChannel: one per device object */
    int in_adapter_control;
    PIO_DPC_ROUTINE dpc_routine;
    void *extension; /* inside obj's block */
    struct adapter *adapter; /* the latest adapter obtained for it */
};

struct device *device_of(PDEVICE_OBJECT obj);

/* ---------------------------------------------------------------------------------------------
 * Bounce pools: one per address limit, shared by the adapters with that limit (Windows' master
 * adapter). Contiguous, so consecutive registers are consecutive physical pages.
 */
struct wait_block;
struct mapreg_file;

struct bounce_pool {
    struct bounce_pool *next;
    uint64_t limit; /* highest address reachable */
    uint64_t base_pfn;
    uint32_t pages;
    uint32_t free_pages;
    uint8_t *host;
    uint32_t owner;
    struct mapreg_file **holder; /* per page: the file holding it, or NULL */
    struct wait_block *wait_head, *wait_tail;
    bool pump_scheduled;
    struct dms_machine *m;
};

/* ---------------------------------------------------------------------------------------------
 * Adapters.
 */
#define ADAPTER_MAGIC 0x444d4141u /* "DMAA" */
#define FILE_MAGIC    0x4d524646u /* "MRFF" */
#define SGL_MAGIC     0x53474c5044534dULL

struct mapping {
    PMDL mdl;          /* the MDL the range starts in */
    uint64_t offset;   /* from MmGetMdlVirtualAddress(mdl) */
    uint32_t length;
    uint32_t first_reg; /* index into the file's registers */
    uint32_t nregs;
    uint32_t bounce_offset; /* byte offset in the first bounce page */
    uint64_t logical;
    uint8_t write;
    uint8_t reason; /* enum dms_bounce_reason: NONE means direct */
    uint8_t live;
};

enum file_state {
    FILE_WITH_CHANNEL, /* ExecutionRoutine returned KeepObject */
    FILE_KEPT,         /* DeallocateObjectKeepRegisters: the driver frees it */
    FILE_SGL,          /* held by a scatter/gather list */
    FILE_IN_CALLBACK,  /* during the ExecutionRoutine */
    FILE_ORPHAN,       /* released, but direct mappings await their flush (no real regs) */
    FILE_IMPLICIT      /* the NULL MapRegisterBase of an adapter that needs no registers */
};

struct mapreg_file {
    uint32_t magic;
    struct adapter *ad;
    struct mapreg_file *next, *prev; /* the adapter's live files */
    uint32_t count;  /* registers allocated */
    uint32_t held;   /* of them, backed by bounce pages (0 when the adapter has no pool) */
    uint32_t *regs;  /* pool page per register; NULL when the adapter has no pool */
    uint32_t cap_regs;
    uint32_t cursor; /* next register MapTransfer uses */
    struct mapping *maps;
    uint32_t n_maps, cap_maps, live_maps;
    enum file_state state;
};

struct sgl_priv;

struct tctx;

struct wait_block {
    struct wait_block *next;
    struct adapter *ad;
    PDEVICE_OBJECT devobj;
    ULONG nregs;
    bool is_sgl;
    bool waited;
    const char *routine; /* the routine that made the request */
    struct tctx *tctx;   /* version 3: the request's DMA transfer context */
    bool no_routine;     /* DMA_SYNCHRONOUS_CALLBACK without an ExecutionRoutine: */
    PVOID *base_out;     /*   the MapRegisterBase goes here (AllocateAdapterChannelEx) */
    PSCATTER_GATHER_LIST *list_out; /* or the list (Get/BuildScatterGatherListEx) */
    uint64_t enqueue_ns;
    uint64_t context; /* the platform's context when the request was made */
    PDRIVER_CONTROL exec;
    PVOID ctx;
    /* scatter/gather requests */
    PMDL mdl;
    uint64_t offset; /* CurrentVa - MmGetMdlVirtualAddress(mdl) */
    ULONG length;
    PDRIVER_LIST_CONTROL list_fn;
    BOOLEAN write;
    void *buffer; /* the list: the caller's (Build) or the HAL's (Get) */
    bool hal_allocated;
};

/* A DMA transfer context, kept in the driver's DMA_TRANSFER_CONTEXT_SIZE_V1 bytes as the
 * HAL's own is: InitializeDmaTransferContext writes it, each v3 request names one. */
#define TCTX_MAGIC 0x43544d44u /* "DMTC" */
enum tctx_state {
    TCTX_IDLE,      /* initialised, no request made yet */
    TCTX_QUEUED,    /* a request waits for the channel or map registers */
    TCTX_ACTIVE,    /* granted: its routine runs */
    TCTX_GRANTED,   /* its last request was granted and is over; a new one may be made */
    TCTX_CANCELLED  /* CancelAdapterChannel succeeded: requests with it are cancelled */
};

struct tctx {
    uint32_t magic;
    uint32_t version;
    uint32_t state;
    uint32_t transfer_cancelled; /* CancelMappedTransfer */
    struct wait_block *wb;       /* TCTX_QUEUED */
    struct adapter *ad;
};

struct common_buffer {
    struct common_buffer *next;
    uint8_t *va;
    uint64_t base_pfn;
    uint32_t pages;
    ULONG length;
    uint32_t owner;
};

struct sysdma_channel;

struct adapter {
    DMA_ADAPTER hdr; /* first: the driver holds a PDMA_ADAPTER */
    uint32_t magic;
    uint32_t id;
    struct dms_machine *m;
    struct device *dev;
    DEVICE_DESCRIPTION desc;
    uint64_t max_address;
    unsigned address_bits;
    bool master, sg, needs_regs, released;
    ULONG max_regs;
    struct bounce_pool *pool;
    /* the adapter channel: one holder at a time, FIFO of waiters */
    bool channel_busy;
    struct mapreg_file *channel_file; /* registers kept with the channel (KeepObject) */
    struct wait_block *chan_head, *chan_tail;
    bool chan_pump_scheduled;
    bool channel_sgl_held; /* a synchronous list request without a routine holds it */
    struct mapreg_file *files;
    struct mapreg_file *spare_files; /* recycled, so a hot path does not malloc */
    struct mapreg_file *implicit;    /* behind a NULL MapRegisterBase */
    struct wait_block *spare_wbs;    /* recycled request records */
    struct common_buffer *commons;
    struct sgl_priv *sgls;
    struct dms_adapter_stats st;
    /* system DMA (a subordinate device): its controller channel, and the rule that a run of
     * its map registers may not cross a multiple of boundary_pages (the 8237's 64/128 KiB) */
    struct sysdma_channel *chan;
    uint32_t boundary_pages;
    struct tctx *holder_tctx; /* v3: the context whose request holds the adapter */
};

/* ---------------------------------------------------------------------------------------------
 * System DMA controllers (sysdma.c).
 */
enum sysdma_kind { SYSDMA_ISA, SYSDMA_SOC };

#define SYSDMA_MAX_ELEMENTS 16 /* a SoC channel's descriptor chain */

struct sysdma_channel {
    enum sysdma_kind kind;
    uint32_t index;       /* ISA: 0-7; SoC: 0 .. channels-1 */
    uint32_t width;       /* bytes a unit: ISA 1 (channels 0-3) or 2 (5-7); SoC: DmaWidth */
    struct adapter *ad;   /* the adapter bound to it, or NULL */
    /* the 8237's registers: page (address bits 16-23), base and current address (bits 0-15
     * of the byte address, or 1-16 of a word address) and count (units - 1) */
    uint8_t page;
    uint16_t base_address, base_count, address, count;
    bool autoinit, masked, terminal;
    /* the transfer programmed, either kind */
    bool programmed, to_device, cancelled, done;
    struct {
        uint64_t address;
        uint32_t length;
    } el[SYSDMA_MAX_ELEMENTS];
    uint32_t n_el, at_el, at_off;
    uint64_t total, moved;
    uint64_t device_address; /* SoC: the device's data register (DeviceAddress) */
    uint32_t request_line;   /* SoC: the line it serves (DmaRequestLine) */
    uint32_t device_offset, burst;
    PDMA_COMPLETION_ROUTINE completion;
    PVOID completion_context;
    bool completion_pending;
};

/* A device model wired to a SoC request line, told when a channel serving it is programmed. */
struct line_watch {
    struct line_watch *next;
    uint32_t line;
    void (*programmed)(void *ctx, int to_device);
    void *ctx;
};

struct sysdma {
    struct sysdma_channel isa[8];
    struct sysdma_channel *soc;
    uint32_t n_soc;
    struct line_watch *watches;
};

struct sgl_priv {
    uint64_t magic;
    struct sgl_priv *next, *prev;
    struct adapter *ad;
    struct mapreg_file *file;
    PSCATTER_GATHER_LIST list;
    PMDL mdl;
    ULONG length;
    BOOLEAN write;
    bool hal_allocated;
    bool mdl_built;
    PMDL built_mdl;
};

/* ---------------------------------------------------------------------------------------------
 * The machine.
 */
struct ram_range {
    uint64_t start_pfn, end_pfn; /* allocatable: [start, end) */
};

struct pending {
    dms_work_fn fn;
    void *arg;
    KIRQL irql;
};

struct timer {
    struct timer *next;
    uint64_t due_ns; /* the trivial platform: the delay, as an order */
    uint64_t serial;
    dms_work_fn fn;
    void *arg;
    KIRQL irql;
};

struct kthread;
struct driver;
struct symlink;
struct kinterrupt;
struct mmio_region;
struct io_mapping;

struct dms_machine {
    struct dms_machine_config cfg;
    struct dms_platform plat;
    KIRQL irql;
    struct ram_range ranges[2];
    int n_ranges;
    uint64_t allocatable_frames;
    uint64_t top_pfn; /* one past the highest RAM frame */
    struct u64map pfn_map; /* pfn -> frame index */
    struct u64map vpn_map; /* host page number -> pfn */
    struct frame *frames;
    uint32_t n_frames, cap_frames;
    uint32_t *free_frame_slots;
    uint32_t n_free_slots, cap_free_slots;
    uint64_t frames_in_use;
    uint64_t host_page_bytes; /* host memory backing frames */
    struct owner *owners;
    uint32_t n_owners, cap_owners;
    uint32_t owner_free_head;
    uint32_t tag_serial;
    uint64_t low_hint, high_hint; /* placement cursors */
    struct dms_rng rng;
    struct bounce_pool *pools;
    struct adapter **adapters;
    uint32_t n_adapters, cap_adapters;
    struct device **devices;
    uint32_t n_devices, cap_devices;
    struct dms_finding *findings;
    size_t n_findings, cap_findings;
    struct mdl_node *mdls; /* every MDL handed out and not yet freed */
    struct pending *pend;
    size_t pend_head, pend_count, pend_cap;
    bool draining;
    struct timer *timers;
    uint64_t timer_serial;
    struct sysdma sysdma;
    /* the kernel (thread.c, iomgr.c, sync.c, mmio.c) */
    struct u64map objects;           /* kernel object address -> enum obj_kind */
    struct u64map records;           /* kernel object address -> the HAL's record of it */
    struct kthread *threads, *current_thread;
    uint8_t *stack_cache[16];        /* finished threads' stacks, kept for the next (thread.c) */
    unsigned stack_cached;
    uint32_t handle_serial;
    struct driver *drivers;
    struct driver *bus_driver;       /* owns the PDOs dms_device_create makes */
    struct symlink *symlinks;
    struct kinterrupt *interrupts;
    uint32_t next_vector;
    uint32_t locks_held;             /* spin locks held now, all CPUs' work */
    KSPIN_LOCK cancel_lock;
    struct mmio_region *mmio;
    struct io_mapping *io_maps;
    void (*debug_print)(void *ctx, const char *text);
    void *debug_print_ctx;
};

/* machine.c */
uint64_t hal_now(struct dms_machine *m);
void hal_schedule(struct dms_machine *m, KIRQL irql, dms_work_fn fn, void *arg);
void hal_schedule_ready(struct dms_machine *m, KIRQL irql, dms_work_fn fn, void *arg);
void hal_schedule_for(struct dms_machine *m, uint32_t adapter_id, KIRQL irql, dms_work_fn fn,
                      void *arg);
void hal_charge(struct dms_machine *m, enum dms_cost cost, uint64_t amount, uint32_t adapter_id);
void hal_emit(struct dms_machine *m, struct adapter *ad, struct dms_event *ev);
void hal_finding(struct dms_machine *m, struct adapter *ad, const char *routine, uint32_t code,
                 uint64_t p2, uint64_t p3, uint64_t p4, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
void *hal_grow(void *array, uint32_t *cap, size_t elem, uint32_t need);
bool hal_null(struct dms_machine *m, const char *routine, const void *p, const char *what);
int hal_drain_pending(struct dms_machine *m);
void hal_schedule_after(struct dms_machine *m, uint64_t delay_ns, KIRQL irql, dms_work_fn fn,
                        void *arg);
int hal_run_one(struct dms_machine *m);
bool hal_run_until(struct dms_machine *m, bool (*done)(void *), void *arg);

/* Kernel objects the HAL hands out, known by address, so a pointer a driver passes back can
 * be checked without reading through it. */
enum obj_kind {
    OBJ_NONE, OBJ_DEVICE, OBJ_DRIVER, OBJ_IRP, OBJ_INTERRUPT, OBJ_FILE, OBJ_MDL, OBJ_CONTIGUOUS
};
int hal_object_add(struct dms_machine *m, const void *p, enum obj_kind kind);
void hal_object_del(struct dms_machine *m, const void *p);
bool hal_object_is(struct dms_machine *m, const void *p, enum obj_kind kind);

/* thread.c */
int hal_thread_start(struct dms_machine *m, dms_work_fn fn, void *arg);
bool hal_in_thread(const struct dms_machine *m);
void hal_threads_free(struct dms_machine *m);

/* iomgr.c */
struct driver {
    PDRIVER_OBJECT obj; /* DRIVER_OBJECT, then DRIVER_EXTENSION, then the name */
    struct driver *next;
    struct dms_machine *m;
    char name[64];
    bool loaded;        /* DriverEntry returned success */
    bool entry_done;
    NTSTATUS entry_status;
};

struct symlink {
    struct symlink *next;
    char link[128];
    char target[128];
};

/* The I/O manager's record of an IRP. */
struct irp_node {
    PIRP irp;
    struct dms_machine *m;
    bool from_iomgr;        /* built by dms_irp_send: the I/O manager frees it */
    bool completed;         /* completion reached the top */
    bool dispatch_returned;
    bool pending_returned;  /* the top driver marked it pending */
    bool finished;          /* the I/O manager's completion ran */
    NTSTATUS dispatch_status;
    dms_irp_done_fn done;
    void *done_ctx;
    /* the I/O manager's buffers for the request */
    void *system_buffer;
    void *out;              /* copied back from system_buffer at completion */
    ULONG out_length;
    PMDL own_mdl;           /* built and locked by the I/O manager */
    PDEVICE_OBJECT target;
};

void *record_of(struct dms_machine *m, const void *p, enum obj_kind kind);
int record_add(struct dms_machine *m, const void *p, enum obj_kind kind, void *record);
void record_del(struct dms_machine *m, const void *p);
struct irp_node *irp_node(struct dms_machine *m, PIRP irp);
void irp_release(struct irp_node *n);
struct driver *driver_new(struct dms_machine *m, const char *name);
struct driver *driver_of(struct dms_machine *m, PDRIVER_OBJECT obj);
struct device *device_by_nt_name(struct dms_machine *m, const char *name);
struct device *stack_top(struct device *d);
struct device *device_with_dma_resource(struct dms_machine *m, bool v3, ULONG line);
bool name_eq(const char *a, const char *b);
/* iorequest.c: an IRP the I/O manager sent completed to the top. */
void iomgr_finish(struct irp_node *n);
int iomgr_init(struct dms_machine *m);
void iomgr_free_all(struct dms_machine *m);
/* A device object for a driver (IoCreateDevice) or the bus (dms_device_create). */
struct device *device_new(struct dms_machine *m, struct driver *drv, const char *name,
                          ULONG extension_bytes);

/* sync.c: a routine the system called returned; report spin locks it left held. */
void hal_locks_check(struct dms_machine *m, uint32_t held_before, const char *what);
void interrupts_free_all(struct dms_machine *m);

/* rtl.c */
void hal_widen(PWCHAR out, size_t cap, const char *s);

/* mmio.c */
void mmio_free_all(struct dms_machine *m);

/* mm.c */
bool mm_free_mdl(struct dms_machine *m, PVOID p);
void mm_free_all(struct dms_machine *m);

/* IRQL rules of the reference (3.1): a wrong level is reported as 0x13; the caller carries on. */
enum irql_rule { IRQL_EXACT_PASSIVE, IRQL_EXACT_DISPATCH, IRQL_MAX_DISPATCH };
void hal_irql_check(struct dms_machine *m, struct adapter *ad, const char *routine,
                    enum irql_rule rule);

/* physmem.c */
int phys_layout(struct dms_machine *m);
void phys_free_all(struct dms_machine *m);
int owner_new(struct dms_machine *m, enum owner_kind kind, const char *label, uint32_t serial,
              uint32_t *id);
void owner_put(struct dms_machine *m, uint32_t id);
struct frame *phys_frame(struct dms_machine *m, uint64_t pfn);
/* Place npages frames for host pages host..host+npages*4096 by the machine's policy. */
int phys_alloc_scattered(struct dms_machine *m, uint8_t *host, uint64_t npages, uint32_t owner);
/* npages consecutive frames within [lo_pfn, hi_pfn), the highest such run. */
/* npages contiguous frames in [lo_pfn, hi_pfn), the highest free run; with boundary (pages,
 * 0 none) a run that crosses no multiple of it. */
int phys_alloc_contig(struct dms_machine *m, uint8_t *host, uint64_t npages, uint64_t lo_pfn,
                      uint64_t hi_pfn, uint64_t boundary, uint32_t owner, uint64_t *base_pfn);
void phys_release(struct dms_machine *m, uint8_t *host, uint64_t npages);
bool phys_va_to_pfn(struct dms_machine *m, const void *va, uint64_t *pfn);
uint8_t *host_pages_alloc(uint64_t npages);
void host_pages_free(uint8_t *host, uint64_t npages);

/* cache.c: CPU caches a non-coherent machine's devices do not snoop. No-ops when coherent. */
#define HAL_CACHE_LINE 64
void cache_frame_added(struct dms_machine *m, struct frame *f);
void cache_frame_removed(struct frame *f);
/* Clean before the device reads (write) or nothing (read), over [off, off+len) of one MDL. */
void cache_clean_chain(struct adapter *ad, const char *routine, PMDL mdl, uint64_t off,
                       uint64_t len, bool write);
/* Invalidate after the device wrote (read) or nothing (write). */
void cache_invalidate_chain(struct adapter *ad, const char *routine, PMDL mdl, uint64_t off,
                            uint64_t len, bool write);
/* The device side: where a device access to frame f at [off, off+len) reads or writes. */
uint8_t *cache_device_page(struct dms_machine *m, struct frame *f);
/* A device read or wrote [off, off+len) of frame f: track and report stale data. Returns the
 * stale bytes a read took. */
uint64_t cache_device_access(struct dms_machine *m, struct frame *f, uint32_t off, uint32_t len,
                             bool to_memory);
void cache_report_device_read(struct device *d, uint64_t stale_bytes, uint64_t first_addr);

/* kernel.c */
struct mdl_node {
    struct mdl_node *next, *prev;
    struct dms_machine *m;
    uint64_t pad; /* keeps the MDL behind it 16-byte aligned */
};
struct dms_machine *hal_machine(void);

/* The DMA_OPERATIONS tables: plain, and (calltrace.c) reporting each call as events. */
extern DMA_OPERATIONS hal_ops_v1, hal_ops_v2, hal_ops_v1_traced, hal_ops_v2_traced;
/* The plain table of an adapter's version (calltrace.c calls through it). */
const DMA_OPERATIONS *hal_ops_plain(ULONG version);

/* An MDL with room for pages PFNs, zeroed, owned by m until IoFreeMdl or m's destruction. */
PMDL mdl_alloc(struct dms_machine *m, ULONG pages);
void mdl_free_all(struct dms_machine *m);
void hal_device_free(struct device *d);

/* adapter.c */
struct adapter *adapter_get(PDMA_ADAPTER a, const char *routine);
void adapter_free(struct adapter *ad);

/* mapreg.c */
struct bounce_pool *pool_get(struct dms_machine *m, uint64_t limit);
void pool_free(struct bounce_pool *pool);
/* A zeroed request record for ad (recycled when one is spare), or NULL; wb_free returns it. */
struct wait_block *wb_new(struct adapter *ad);
void wb_free(struct wait_block *wb);
/* A channel request (AllocateAdapterChannel, AllocateAdapterChannelEx), or NULL. */
struct wait_block *wb_channel(struct adapter *ad, const char *routine, PDEVICE_OBJECT dev,
                              ULONG nregs, PDRIVER_CONTROL exec, PVOID ctx);
void request_submit(struct wait_block *wb);
/* Grant wb at once if the channel is free, nobody waits and its registers are free; false
 * (wb untouched) otherwise. For DMA_SYNCHRONOUS_CALLBACK. */
bool request_now(struct wait_block *wb);
/* Take a queued request out of whichever queue holds it; false if none does. */
bool request_unqueue(struct wait_block *wb);
bool registers_allowed(struct adapter *ad, const char *routine, ULONG n);
struct mapreg_file *file_lookup(struct adapter *ad, PVOID base);
void file_release(struct mapreg_file *f, const char *routine);
void channel_release(struct adapter *ad);
NTSTATUS hal_AllocateAdapterChannel(PDMA_ADAPTER, PDEVICE_OBJECT, ULONG, PDRIVER_CONTROL, PVOID);
VOID hal_FreeAdapterChannel(PDMA_ADAPTER);
VOID hal_FreeMapRegisters(PDMA_ADAPTER, PVOID, ULONG);

/* transfer.c */
uint64_t mdl_span_pages(PMDL mdl, uint64_t offset, uint64_t length, bool *fits);
/* Map [offset, offset+*len) of mdl on file f: one fragment for a scatter/gather master, the
 * whole range (across a chain) otherwise. Returns the logical address; *len = bytes mapped. */
uint64_t map_fragment(struct mapreg_file *f, PMDL mdl, uint64_t offset, uint32_t *len,
                      bool write, const char *routine);
/* Unmap live mappings of f that start in [offset, offset+len) of mdl (all when mdl is NULL),
 * copying bounced bytes back for reads. Returns the number unmapped. */
uint32_t unmap_range(struct mapreg_file *f, PMDL mdl, uint64_t offset, uint64_t len, bool write,
                     const char *routine, bool check_direction);
uint32_t count_fragments(struct adapter *ad, PMDL mdl, uint64_t offset, uint64_t len);
/* Where CurrentVa lies in mdl, or report 0xE6/0x1F and return false. */
bool va_offset(struct adapter *ad, const char *routine, PMDL mdl, PVOID va, uint64_t *offset);
/* Drop every live mapping of f without copying anything back. */
void unmap_discard(struct mapreg_file *f);
PHYSICAL_ADDRESS hal_MapTransfer(PDMA_ADAPTER, PMDL, PVOID, PVOID, PULONG, BOOLEAN);
BOOLEAN hal_FlushAdapterBuffers(PDMA_ADAPTER, PMDL, PVOID, PVOID, ULONG, BOOLEAN);

/* sglist.c */
void sgl_build_granted(struct wait_block *wb, struct mapreg_file *f);
void sgl_free_all(struct adapter *ad);
/* Bytes a list of n elements takes in a caller's buffer, with the HAL's private record. */
size_t sgl_size(ULONG elements);
/* Checks shared by the list requests; on success *wb is a request ready to submit. offset is
 * from MmGetMdlVirtualAddress(mdl), across a chain. */
NTSTATUS sgl_prepare(struct adapter *ad, const char *routine, PDEVICE_OBJECT dev, PMDL mdl,
                     uint64_t offset, ULONG length, PDRIVER_LIST_CONTROL fn, PVOID ctx,
                     BOOLEAN write, PVOID buffer, ULONG buffer_len, struct wait_block **wb);
NTSTATUS hal_GetScatterGatherList(PDMA_ADAPTER, PDEVICE_OBJECT, PMDL, PVOID, ULONG,
                                  PDRIVER_LIST_CONTROL, PVOID, BOOLEAN);
VOID hal_PutScatterGatherList(PDMA_ADAPTER, PSCATTER_GATHER_LIST, BOOLEAN);
NTSTATUS hal_CalculateScatterGatherList(PDMA_ADAPTER, PMDL, PVOID, ULONG, PULONG, PULONG);
NTSTATUS hal_BuildScatterGatherList(PDMA_ADAPTER, PDEVICE_OBJECT, PMDL, PVOID, ULONG,
                                    PDRIVER_LIST_CONTROL, PVOID, BOOLEAN, PVOID, ULONG);
NTSTATUS hal_BuildMdlFromScatterGatherList(PDMA_ADAPTER, PSCATTER_GATHER_LIST, PMDL, PMDL *);

/* common.c */
PVOID hal_AllocateCommonBuffer(PDMA_ADAPTER, ULONG, PPHYSICAL_ADDRESS, BOOLEAN);
VOID hal_FreeCommonBuffer(PDMA_ADAPTER, ULONG, PHYSICAL_ADDRESS, PVOID, BOOLEAN);
void common_free_all(struct adapter *ad);
/* A common buffer of length bytes within [lo, hi] (physical addresses, inclusive), also below
 * the adapter's reach. NULL when there is no such contiguous run. */
PVOID common_alloc(struct adapter *ad, const char *routine, ULONG length, uint64_t lo,
                   uint64_t hi, PPHYSICAL_ADDRESS logical);

/* sysdma.c */
int sysdma_init(struct dms_machine *m);
void sysdma_free(struct dms_machine *m);
/* Bind a new subordinate adapter to its controller channel from the description; false with a
 * finding when the machine has no such channel or it is taken. Sets limit, width, boundary. */
bool sysdma_bind(struct adapter *ad, const DEVICE_DESCRIPTION *desc);
void sysdma_unbind(struct adapter *ad);
/* A mapped range for the channel: v1 MapTransfer programs one element. */
void sysdma_program(struct adapter *ad, const uint64_t *addr, const uint32_t *len, uint32_t n,
                    bool to_device, PDMA_COMPLETION_ROUTINE done, PVOID done_context,
                    uint32_t device_offset);
/* Stop the channel (FlushAdapterBuffers): false if it was still running. */
bool sysdma_stop(struct adapter *ad);
bool sysdma_busy(const struct adapter *ad);
ULONG sysdma_read_counter(struct adapter *ad);
NTSTATUS sysdma_adapter_info(struct adapter *ad, PDMA_ADAPTER_INFO_V1 info);
uint32_t sysdma_max_elements(const struct adapter *ad);
NTSTATUS sysdma_configure(struct adapter *ad, ULONG function, PVOID context);
NTSTATUS sysdma_cancel(struct adapter *ad);
/* Would a direct range [pa, pa+len) cross the channel's boundary? */
bool sysdma_crosses(const struct adapter *ad, uint64_t pa, uint64_t len);
/* transfer.c: the channel free and the length whole units, or a finding. */
bool sysdma_check(struct adapter *ad, const char *routine, uintptr_t va, uint64_t len);

/* v3.c */
extern DMA_OPERATIONS hal_ops_v3, hal_ops_v3_traced;
void tctx_granted(struct tctx *t);
void tctx_done(struct tctx *t);
NTSTATUS hal_GetDmaAdapterInfo(PDMA_ADAPTER, PDMA_ADAPTER_INFO);
NTSTATUS hal_GetDmaTransferInfo(PDMA_ADAPTER, PMDL, ULONGLONG, ULONG, BOOLEAN,
                                PDMA_TRANSFER_INFO);
NTSTATUS hal_InitializeDmaTransferContext(PDMA_ADAPTER, PVOID);
PVOID hal_AllocateCommonBufferEx(PDMA_ADAPTER, PPHYSICAL_ADDRESS, ULONG, PPHYSICAL_ADDRESS,
                                 BOOLEAN, NODE_REQUIREMENT);
NTSTATUS hal_AllocateAdapterChannelEx(PDMA_ADAPTER, PDEVICE_OBJECT, PVOID, ULONG, ULONG,
                                      PDRIVER_CONTROL, PVOID, PVOID *);
NTSTATUS hal_ConfigureAdapterChannel(PDMA_ADAPTER, ULONG, PVOID);
BOOLEAN hal_CancelAdapterChannel(PDMA_ADAPTER, PDEVICE_OBJECT, PVOID);
NTSTATUS hal_MapTransferEx(PDMA_ADAPTER, PMDL, PVOID, ULONGLONG, ULONG, PULONG, BOOLEAN,
                           PSCATTER_GATHER_LIST, ULONG, PDMA_COMPLETION_ROUTINE, PVOID);
NTSTATUS hal_GetScatterGatherListEx(PDMA_ADAPTER, PDEVICE_OBJECT, PVOID, PMDL, ULONGLONG, ULONG,
                                    ULONG, PDRIVER_LIST_CONTROL, PVOID, BOOLEAN,
                                    PDMA_COMPLETION_ROUTINE, PVOID, PSCATTER_GATHER_LIST *);
NTSTATUS hal_BuildScatterGatherListEx(PDMA_ADAPTER, PDEVICE_OBJECT, PVOID, PMDL, ULONGLONG,
                                      ULONG, ULONG, PDRIVER_LIST_CONTROL, PVOID, BOOLEAN, PVOID,
                                      ULONG, PDMA_COMPLETION_ROUTINE, PVOID, PVOID);
NTSTATUS hal_FlushAdapterBuffersEx(PDMA_ADAPTER, PMDL, PVOID, ULONGLONG, ULONG, BOOLEAN);
VOID hal_FreeAdapterObject(PDMA_ADAPTER, IO_ALLOCATION_ACTION);
NTSTATUS hal_CancelMappedTransfer(PDMA_ADAPTER, PVOID);
PVOID hal_AllocateCommonBufferWithBounds(PDMA_ADAPTER, PPHYSICAL_ADDRESS, PPHYSICAL_ADDRESS,
                                         ULONG, ULONG, MEMORY_CACHING_TYPE *, NODE_REQUIREMENT,
                                         PPHYSICAL_ADDRESS);

static inline uint64_t pfn_to_addr(uint64_t pfn) { return pfn << HAL_PAGE_SHIFT; }
static inline uint64_t addr_to_pfn(uint64_t a) { return a >> HAL_PAGE_SHIFT; }

static inline PHYSICAL_ADDRESS phys_addr(uint64_t a)
{
    PHYSICAL_ADDRESS p;
    p.QuadPart = (LONGLONG)a;
    return p;
}

#endif /* DMASIM_HAL_INT_H */
