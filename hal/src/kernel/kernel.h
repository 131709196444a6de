/*
 * kernel.h - the HAL's kernel room: the slice of the Windows kernel a DMA driver touches.
 * Stands on hw/ and base/.
 *
 *   kernel.c    IRQL and its rules, DPCs, MDLs, nonpaged pool, KeFlushIoBuffers
 *   mm.c        locking pages, partial MDLs, pages for MDLs, contiguous memory, lookasides
 *   thread.c    kernel threads (ucontext) and waits: events, fast mutexes, delays, work items
 *   sync.c      spin locks, interrupt resources, connecting and raising interrupts
 *   iomgr.c     the object table, driver and device objects, device stacks, IRPs and
 *               completion, StartIo
 *   iorequest.c the simulator's side: loading drivers, PnP start, sending IRPs, opening files
 *   mmio.c      device registers and I/O ports, MmMapIoSpace, a device model's DMA
 *   rtl.c       counted strings, DbgPrint's format language, ASSERT
 *
 * The DMA layer above keeps one slot here, a device's latest adapter (struct device.adapter),
 * which nothing in this room reads.
 */
#ifndef DMASIM_HAL_KERNEL_H
#define DMASIM_HAL_KERNEL_H

#include "../hw/hw.h"

struct adapter; /* dma/dma.h */

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
    bool joined_domain;    /* JoinDmaDomain put it in another device's DMA domain */
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
    struct bus_master bm;    /* the device as the machine sees it (hw/) */
    bool no_remap;           /* its driver did not opt in to DMA remapping */
    unsigned dma_limit_bits; /* the platform's limit on its DMA reach (0: none) */
    struct adapter *adapter; /* the DMA layer's: the latest adapter obtained for it */
};

struct device *device_of(PDEVICE_OBJECT obj);
/* The account of the device whose driver code runs now (its PDO's adapter), or NULL. */
struct hal_account *acting_account(struct dms_machine *m);
/* Run driver code for d until acting_leave (returns what acted before). */
struct device *acting_enter(struct dms_machine *m, struct device *d);
void acting_leave(struct dms_machine *m, struct device *prev);

/* ---------------------------------------------------------------------------------------------
 * The room's state.
 */
struct kthread;
struct symlink;
struct kinterrupt;
struct mmio_region;
struct io_mapping;

struct dpc_token;
struct index;

/* One remembered object-table answer (iomgr.c): the hot lookups (the same device object, the
 * IRPs in flight) hit here instead of probing two hash tables. Dropped whenever either table
 * changes that address, so it never answers differently from the tables. */
#define OBJ_CACHE_SIZE 256
#define IRP_SPARE_STACKS 8
#define SPARES_KEPT 1024 /* records of each kind kept for reuse, at most */
struct obj_cached {
    uintptr_t key;                   /* 0: empty */
    uint64_t kind;                   /* enum obj_kind */
    void *record;                    /* NULL: none */
};

struct hal_kernel {
    uint32_t tag_serial;
    struct device **devices;
    uint32_t n_devices, cap_devices;
    struct mdl_node *mdls;           /* every MDL handed out and not yet freed */
    struct u64map objects;           /* kernel object address -> enum obj_kind */
    struct u64map records;           /* kernel object address -> the HAL's record of it */
    struct obj_cached obj_cache[OBJ_CACHE_SIZE];
    /* records every I/O makes and frees, kept for the next (base/spares.c): the IRP's memory
     * by stack size (deeper stacks go to the host each time), the I/O manager's record of it,
     * dms_irp_send's record of a send (iorequest.c), the kernel thread (thread.c) */
    struct hal_spares irp_memory[IRP_SPARE_STACKS], irp_nodes, sends, spare_threads;
    struct u64map paged_mdls;        /* MDLs MmBuildMdlForNonPagedPool described over paged
                                      * pool (empty, and never looked in, unless one is) */
    struct kthread *threads, *current_thread;
    uint8_t *stack_cache[16];        /* finished threads' stacks, kept for the next (thread.c) */
    unsigned stack_cached;
    uint32_t handle_serial;
    struct driver *drivers;
    struct driver *bus_driver;       /* owns the PDOs dms_device_create makes */
    struct symlink *symlinks;
    struct kinterrupt *interrupts;
    struct u64map vectors;           /* vector -> its newest interrupt object (sync.c) */
    uint32_t next_vector;
    uint32_t locks_held;             /* spin locks held now, all CPUs' work */
    struct irp_node *sent_irps;      /* dms_irp_send's requests not yet completed */
    struct dpc_token *spare_tokens;  /* queued-DPC tokens, recycled (kernel.c) */
    struct dpc_token *all_tokens;    /* every one made */
    struct device *acting;           /* whose driver code runs now (dispatch, StartIo, ISR,
                                      * its DPC), or NULL: what its calls are counted to */
    KSPIN_LOCK cancel_lock;
    struct mmio_region *mmio;
    struct io_mapping *io_maps;
    struct index *mmio_index, *map_index; /* both by address (mmio.c) */
    void (*debug_print)(void *ctx, const char *text);
    void *debug_print_ctx;
};

/* The kernel's objects, threads and devices (machine.c, after hw_init). */
int kernel_init(struct dms_machine *m);
void kernel_free(struct dms_machine *m);

/* IRQL rules of the reference (3.1): a wrong level is reported as 0x13; the caller carries on. */
enum irql_rule { IRQL_EXACT_PASSIVE, IRQL_EXACT_DISPATCH, IRQL_MAX_DISPATCH };
void hal_irql_check(struct dms_machine *m, struct hal_account *acct, const char *routine,
                    enum irql_rule rule);

/* Clean (clean) or invalidate [off, off+len) of an MDL chain on a non-coherent machine, charged
 * to acct as routine's: what MapTransferEx, FlushAdapterBuffersEx and KeFlushIoBuffers do. */
void cache_mdl(struct dms_machine *m, struct hal_account *acct, const char *routine, PMDL mdl,
               uint64_t off, uint64_t len, bool clean);

/* Kernel objects the HAL hands out, known by address, so a pointer a driver passes back can
 * be checked without reading through it. */
enum obj_kind {
    OBJ_NONE, OBJ_DEVICE, OBJ_DRIVER, OBJ_IRP, OBJ_INTERRUPT, OBJ_FILE, OBJ_MDL, OBJ_CONTIGUOUS
};
int hal_object_add(struct dms_machine *m, const void *p, enum obj_kind kind);
void hal_object_del(struct dms_machine *m, const void *p);
bool hal_object_is(struct dms_machine *m, const void *p, enum obj_kind kind);
void record_forget(struct dms_machine *m, const void *p); /* the record only; the object stays */

/* thread.c */
int hal_thread_start(struct dms_machine *m, dms_work_fn fn, void *arg);
bool hal_in_thread(const struct dms_machine *m);
void hal_threads_free(struct dms_machine *m);
void thread_spares_init(struct dms_machine *m);
void iorequest_spares_init(struct dms_machine *m); /* iorequest.c */

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
    CCHAR stack_size;       /* what IoAllocateIrp was asked for (the IRP's own may be scribbled) */
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
    /* whose work the IRP is (the platform's context when it was sent): StartIo for it and its
     * completion run as that work, whichever request's DPC calls them */
    uint64_t context;
    bool has_context;
    /* the I/O manager's requests still out (dms_irp_whereabouts), from dms_irp_send */
    struct irp_node *sent_next, *sent_prev;
    bool sent_linked;
    uint64_t sent_ns;
};
/* Link or unlink an I/O manager's request on the list of those still out. */
void irp_sent_link(struct irp_node *n);
void irp_sent_unlink(struct irp_node *n);

void *record_of(struct dms_machine *m, const void *p, enum obj_kind kind);
int record_add(struct dms_machine *m, const void *p, enum obj_kind kind, void *record);
void record_del(struct dms_machine *m, const void *p);
struct irp_node *irp_node(struct dms_machine *m, PIRP irp);
void irp_release(struct irp_node *n);
/* Run as n's work until irp_context_leave: true if it switched, *saved what ran before (n may
 * be gone by the time it is left: the IRP completed). */
bool irp_context_enter(struct dms_machine *m, const struct irp_node *n, uint64_t *saved);
void irp_context_leave(struct dms_machine *m, bool entered, uint64_t saved);
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
int mmio_init(struct dms_machine *m); /* the regions' and mappings' indexes */
void mmio_free_all(struct dms_machine *m);

/* mm.c */
bool mm_free_mdl(struct dms_machine *m, PVOID p);
void mm_free_all(struct dms_machine *m);

/* kernel.c */
struct mdl_node {
    struct mdl_node *next, *prev;
    struct dms_machine *m;
    uint32_t pins;  /* live DMA mappings that read it (mdl_pin) */
    uint32_t freed; /* IoFreeMdl came while pinned: the last unpin frees it */
};

/* An MDL with room for pages PFNs, zeroed, owned by m until IoFreeMdl or m's destruction. */
PMDL mdl_alloc(struct dms_machine *m, ULONG pages);
void mdl_release(struct dms_machine *m, PMDL mdl);
/* A live DMA mapping reads mdl until it is undone: an MDL the HAL made stays allocated until
 * then (IoFreeMdl meanwhile is a finding, and takes effect at the unpin). Returns what to
 * unpin, or NULL for an MDL the HAL did not make. */
struct mdl_node *mdl_pin(struct dms_machine *m, PMDL mdl);
void mdl_unpin(struct mdl_node *n);
/* Did MmBuildMdlForNonPagedPool describe mdl over paged pool? */
static inline bool mdl_is_paged(struct dms_machine *m, PMDL mdl)
{
    uint64_t v;

    return m->kern->paged_mdls.count > 0 && u64map_get(&m->kern->paged_mdls, (uintptr_t)mdl, &v);
}
void mdl_free_all(struct dms_machine *m);
void dpc_tokens_free(struct dms_machine *m);
void hal_device_free(struct device *d);

#endif /* DMASIM_HAL_KERNEL_H */
