/*
 * dma.h - the HAL's DMA room: DMA_OPERATIONS and everything behind them. Stands on kernel/,
 * hw/ and base/. Its files call one way too, from the bottom up (tests/hal/rooms.sh):
 *
 *   subordinate.c system DMA: binding an adapter to a controller channel, programming it, its
 *                 completion routine, dms_sysdma_request
 *   adapter.c     the adapter object: checking a PDMA_ADAPTER, PutDmaAdapter, GetDmaAlignment,
 *                 ReadDmaCounter, read-back
 *   mapreg.c      bounce pools, map register files and their mappings, the adapter channel
 *                 and the FIFO waits; a granted request goes back to whoever made it through
 *                 its own callback (wait_block.granted), so this file knows no list routine
 *   transfer.c    MapTransfer and FlushAdapterBuffers: mapping fragments, bounce copies, the
 *                 cache maintenance of a transfer
 *   sglist.c      scatter/gather lists (v1 Get/Put, v2 Calculate/Build/BuildMdl)
 *   common.c      common buffers
 *   v3.c          the version-3 routines: transfer contexts, the Ex routines, FreeAdapterObject
 *   tables.c      the plain DMA_OPERATIONS tables
 *   calltrace.c   the tables that report each call (dmasim explain)
 *   iogetdma.c    IoGetDmaAdapter, and the room's life cycle
 *   dump.c        the adapters in the layout of the debugger's !dma (dmasim dma)
 */
#ifndef DMASIM_HAL_DMA_H
#define DMASIM_HAL_DMA_H

#include "../kernel/kernel.h"

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
    /* per page: the device whose map registers hold it, or NULL (also the owner's holders) */
    const struct bus_master **holder;
    struct wait_block *wait_head, *wait_tail;
    bool pump_scheduled;
    struct dms_machine *m;
};

/* ---------------------------------------------------------------------------------------------
 * Adapters.
 */
#define ADAPTER_MAGIC 0x444d4141u /* "DMAA" */
#define VERIFIER_FILL 0x0F        /* Driver Verifier's padding, and its free map registers */
#define IOMMU_FLUSH_BATCH 250     /* deferred invalidation: unmaps a batch holds at most */
#define IOMMU_FLUSH_NS 10000000ull /* and how long the first waits */
#define FILE_MAGIC    0x4d524646u /* "MRFF" */
#define SGL_MAGIC     0x53474c5044534dULL

/* A live mapping. Its MDL is compared, never read, once it is made: what undoing it needs is
 * kept here, so a driver that frees the MDL or the buffer too early cannot make the HAL read or
 * write freed memory. */
struct mapping {
    PMDL mdl;          /* the MDL the range starts in */
    uint64_t offset;   /* from MmGetMdlVirtualAddress(mdl) */
    uint64_t first_pfn; /* the buffer's first page: a direct run's first frame */
    uint64_t physical;  /* the buffer's first byte (events: where a copy back goes) */
    uint8_t *va;        /* the buffer's system address, when the range lies in one MDL that
                         * has one (nonpaged pool, or mapped); NULL: copied along the chain */
    struct mdl_node *pin[2]; /* the MDLs of the range the HAL made, kept until unmapped */
    uint32_t length;
    uint32_t first_reg; /* index into the file's registers */
    uint32_t nregs;
    uint32_t bounce_offset; /* byte offset in the first bounce page */
    uint64_t logical;
    uint8_t write;
    uint8_t reason; /* enum dms_bounce_reason: NONE means direct */
    uint8_t live;
    uint8_t remapped;   /* through the IOMMU: nregs pages at IOVA page iova_pfn */
    uint64_t iova_pfn;
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
    uint32_t serial; /* its number on its adapter, as dmasim dma shows it */
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
    /* a list request: what to do with the registers once granted (sglist.c sets it; a
     * channel request, NULL, runs its ExecutionRoutine) */
    void (*granted)(struct wait_block *wb, struct mapreg_file *f);
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
    struct mdl_node *pin[2]; /* a list request's MDL, kept while it waits */
    void *buffer; /* the list: the caller's (Build) or the HAL's (Get) */
    size_t buffer_len; /* the bytes of it the list takes */
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

/* A common-buffer vector (domain.c): the driver holds a pointer to it, checked against the
 * adapter's list before use. */
#define VECTOR_MAGIC 0x564543544f52ULL /* "VECTOR" */
struct cb_vector {
    uint64_t magic;
    struct cb_vector *next;
    struct adapter *ad;
    ULONG n;
    struct common_buffer **elem; /* NULL once freed */
};

struct common_buffer {
    struct common_buffer *next;
    uint32_t serial;
    uint64_t logical; /* what the device is told: the physical address, or an IOVA */
    uint8_t *va;
    uint64_t base_pfn;
    uint32_t pages;
    ULONG length;
    uint32_t owner;
    bool from_mdl;  /* CreateCommonBufferFromMdl: the driver's pages, pinned MDL */
    bool in_vector; /* an element of a common-buffer vector (domain.c) */
    struct mdl_node *pin[2];
};

struct adapter {
    DMA_ADAPTER hdr; /* first: the driver holds a PDMA_ADAPTER */
    uint32_t magic;
    bool verified; /* Driver Verifier's DMA verification double-buffers its transfers */
    bool remap;    /* DMA remapping: its logical addresses are IOVAs of its device's domain */
    struct hal_account acct; /* its number, its device's name, its counters */
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
    struct cb_vector *vectors; /* common-buffer vectors (domain.c) */
    struct sgl_priv *sgls;
    struct u64map sgl_index;     /* outstanding lists by address (cap 0: none made yet) */
    struct sgl_priv *spare_sgls; /* recycled list records */
    /* system DMA (a subordinate device): its controller channel, and the rule that a run of
     * its map registers may not cross a multiple of boundary_pages (the 8237's 64/128 KiB) */
    struct sysdma_channel *chan;
    uint32_t boundary_pages;
    PDMA_COMPLETION_ROUTINE completion; /* the transfer programmed on chan asked for it */
    PVOID completion_context;
    struct tctx *holder_tctx; /* v3: the context whose request holds the adapter */
    /* what dmasim dma shows as the verifier's counters, and its numbering */
    uint64_t channels_allocated, channels_freed, commons_allocated;
    uint32_t file_serial, sgl_serial, common_serial;
};

/* The context's request was granted: its routine runs, and the transfers under this grant run
 * under this context. */
static inline void tctx_granted(struct tctx *t)
{
    t->state = TCTX_ACTIVE;
    t->wb = NULL;
    t->transfer_cancelled = 0;
    if (t->ad != NULL)
        t->ad->holder_tctx = t;
}

/* The request is over: the context may carry a new one. */
static inline void tctx_done(struct tctx *t)
{
    if (t->state == TCTX_ACTIVE)
        t->state = TCTX_GRANTED;
}

/* The HAL's record of an outstanding list, in the HAL's own memory (never in the driver's
 * buffer, which the driver may reuse or scribble on). */
struct sgl_priv {
    uint64_t magic;
    struct sgl_priv *next, *prev;
    struct adapter *ad;
    struct mapreg_file *file;
    PSCATTER_GATHER_LIST list;
    size_t bytes;      /* of the buffer the list is in, from list */
    uint32_t serial;
    ULONG elements;    /* what the HAL wrote into list->NumberOfElements */
    PMDL mdl;
    ULONG length;
    BOOLEAN write;
    bool hal_allocated;
    bool mdl_built;
    PMDL built_mdl;
};

/* ---------------------------------------------------------------------------------------------
 * The room's state.
 */
struct hal_dma {
    struct bounce_pool *pools;
    struct adapter **adapters;
    uint32_t n_adapters, cap_adapters;
};

/* The bounce pools and adapters (machine.c, last; iogetdma.c). */
int dma_init(struct dms_machine *m);
void dma_free(struct dms_machine *m);

/* The account an adapter's events and findings go to (NULL for none). */
static inline struct hal_account *acct(struct adapter *ad)
{
    return ad != NULL ? &ad->acct : NULL;
}

/* The DMA_OPERATIONS tables: plain, and (calltrace.c) reporting each call as events. */
extern DMA_OPERATIONS hal_ops_v1, hal_ops_v2, hal_ops_v1_traced, hal_ops_v2_traced;
/* The plain table of an adapter's version (calltrace.c calls through it). */
const DMA_OPERATIONS *hal_ops_plain(ULONG version);

/* adapter.c */
struct adapter *adapter_get(PDMA_ADAPTER a, const char *routine);
VOID hal_PutDmaAdapter(PDMA_ADAPTER);
ULONG hal_GetDmaAlignment(PDMA_ADAPTER);
ULONG hal_ReadDmaCounter(PDMA_ADAPTER);

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
/* The words for a MapRegisterBase file_lookup does not know: freed already, or never one. */
bool file_was_freed(const struct adapter *ad, PVOID base);
static inline const char *no_registers(const struct adapter *ad, PVOID base)
{
    return file_was_freed(ad, base)
               ? "a MapRegisterBase already freed (FreeMapRegisters or FreeAdapterChannel gave its "
                 "registers back; no verifier code names this, and Windows would map through "
                 "registers another request may hold)"
               : "a MapRegisterBase that holds no registers";
}
void file_release(struct mapreg_file *f, const char *routine);
void channel_release(struct adapter *ad);
/* Count delta live direct mappings on the pages frames from first_pfn. */
void mapping_direct(struct dms_machine *m, uint64_t first_pfn, uint32_t pages, int delta);
/* Drop every live mapping of f without copying anything back. */
void unmap_discard(struct mapreg_file *f);
/* DMA remapping: map n pages (pfns) in ad's device domain below its reach, charged; the IOVA
 * page, or UINT64_MAX with a finding when the domain has no IOVA space left. Undo frees them
 * and invalidates the IOTLB. */
uint64_t remap_pages(struct adapter *ad, const char *routine, const uint64_t *pfns, uint32_t n);
/* The same, its IOVAs within [lo, hi] as well (logical address bounds). */
uint64_t remap_pages_in(struct adapter *ad, const char *routine, const uint64_t *pfns,
                        uint32_t n, uint64_t lo, uint64_t hi);
void remap_undo(struct adapter *ad, uint64_t iova_pfn, uint32_t n);
/* A mapping made, or a list request queued / undone: the MDLs it reads are pinned / unpinned
 * (at most two; the rest of a longer chain is not). */
void range_pin(struct dms_machine *m, PMDL mdl, uint64_t off, uint64_t len,
               struct mdl_node *pin[2]);
void range_unpin(struct mdl_node *pin[2]);
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
PHYSICAL_ADDRESS hal_MapTransfer(PDMA_ADAPTER, PMDL, PVOID, PVOID, PULONG, BOOLEAN);
BOOLEAN hal_FlushAdapterBuffers(PDMA_ADAPTER, PMDL, PVOID, PVOID, ULONG, BOOLEAN);

/* sglist.c */
void sgl_free_all(struct adapter *ad);
/* Bytes a list of n elements takes in a caller's buffer, with the HAL's private record. */
size_t sgl_size(ULONG elements);
/* A list request that will not be granted after all: its buffer and pins go, then the record. */
void sgl_request_drop(struct wait_block *wb);
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
                   uint64_t hi, PPHYSICAL_ADDRESS logical, uint64_t iova_hi);
/* (The new buffer's record is then ad->commons.) Under remapping its IOVA ends at or below
 * iova_hi as well as the device's reach. common_release frees a buffer and its record. */
void common_release(struct adapter *ad, struct common_buffer *cb, const char *routine);

/* subordinate.c: system DMA, the HAL's side of the controllers in hw/sysdma.c */
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
/* The channel free and the length whole units, or a finding. */
bool sysdma_check(struct adapter *ad, const char *routine, uintptr_t va, uint64_t len);

/* domain.c: the members appended to version 3 since Windows 8 */
HANDLE hal_GetDmaDomain(PDMA_ADAPTER);
NTSTATUS hal_JoinDmaDomain(PDMA_ADAPTER, HANDLE);
NTSTATUS hal_LeaveDmaDomain(PDMA_ADAPTER);
NTSTATUS hal_AllocateDomainCommonBuffer(PDMA_ADAPTER, HANDLE, PPHYSICAL_ADDRESS, ULONG, ULONG,
                                        MEMORY_CACHING_TYPE *, NODE_REQUIREMENT,
                                        PPHYSICAL_ADDRESS, PVOID *);
NTSTATUS hal_FlushDmaBuffer(PDMA_ADAPTER, PMDL, BOOLEAN);
NTSTATUS hal_AllocateCommonBufferVector(PDMA_ADAPTER, PHYSICAL_ADDRESS, PHYSICAL_ADDRESS,
                                        MEMORY_CACHING_TYPE, NODE_REQUIREMENT, ULONG, ULONG,
                                        ULONGLONG, PDMA_COMMON_BUFFER_VECTOR *);
VOID hal_GetCommonBufferFromVectorByIndex(PDMA_ADAPTER, PDMA_COMMON_BUFFER_VECTOR, ULONG,
                                          PVOID *, PPHYSICAL_ADDRESS);
VOID hal_FreeCommonBufferFromVector(PDMA_ADAPTER, PDMA_COMMON_BUFFER_VECTOR, ULONG);
VOID hal_FreeCommonBufferVector(PDMA_ADAPTER, PDMA_COMMON_BUFFER_VECTOR);
NTSTATUS hal_CreateCommonBufferFromMdl(PDMA_ADAPTER, PMDL,
                                       PDMA_COMMON_BUFFER_EXTENDED_CONFIGURATION, ULONG,
                                       PPHYSICAL_ADDRESS);
void vector_free_all(struct adapter *ad); /* the machine's end */

/* v3.c */
extern DMA_OPERATIONS hal_ops_v3, hal_ops_v3_traced;
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

/* Clean before the device reads (write) or nothing (read), over [off, off+len) of one MDL. */
void cache_clean_chain(struct adapter *ad, const char *routine, PMDL mdl, uint64_t off,
                       uint64_t len, bool write);
/* Invalidate after the device wrote (read) or nothing (write). */
void cache_invalidate_chain(struct adapter *ad, const char *routine, PMDL mdl, uint64_t off,
                            uint64_t len, bool write);

#endif /* DMASIM_HAL_DMA_H */
