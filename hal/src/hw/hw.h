/*
 * hw.h - the HAL's hardware room: the machine as its devices see it. Stands on base/ only.
 *
 *   physmem.c  sparse physical memory: layout, frames, owners, placement, contiguous runs,
 *              and the device side of DMA (what a bus master reads and writes, and strays)
 *   cache.c    CPU caches a non-coherent machine's devices do not snoop
 *   sysdma.c   system DMA controllers (an 8237 pair, a SoC controller): their registers,
 *              and the data they move when a device asserts its request line
 *   iommu.c    DMA remapping: a device's translation domain, IOVAs, the page table
 *
 * Nothing here knows a DMA adapter, a device object or an MDL: a device is a bus master with a
 * name and an account, and a system DMA channel serves a client the DMA layer binds to it.
 */
#ifndef DMASIM_HAL_HW_H
#define DMASIM_HAL_HW_H

#include "../base/base.h"

/* ---------------------------------------------------------------------------------------------
 * Bus masters: a device as the machine sees it. The kernel's device objects each carry one.
 */
struct iommu_domain;
struct iotlb_way;
struct host_arena;

struct bus_master {
    struct dms_machine *m;
    const char *name;
    struct hal_account *acct; /* its latest DMA adapter's, or NULL */
    struct iommu_domain *dom; /* DMA remapping: its translation domain (iommu.c), or NULL */
};

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
    /* OWNER_BUFFER of a device (dms_buffer_alloc), OWNER_COMMON: the device it is for */
    const struct bus_master *master;
    /* OWNER_BOUNCE: per page from first_pfn, the device whose map registers hold it, or NULL */
    const struct bus_master *const *holders;
    uint64_t first_pfn;
    bool pageable;            /* OWNER_BUFFER from paged pool */
    uint32_t dom_id;          /* OWNER_COMMON of a DMA domain: every device in it may reach it */
};

struct frame {
    uint8_t *host;     /* the host page that backs the frame: what the CPU sees */
    uint32_t owner;    /* index into the owners */
    uint32_t dma_maps; /* live direct (unbounced) mappings of this frame */
    /* A non-coherent machine's driver buffers (cache.c): memory as the device sees it (full
     * mode), and per 64-byte line, what the CPU wrote and did not clean (dirty) and what a
     * device wrote that the CPU's cache still holds old (stale). */
    uint8_t *ram;
    uint64_t dirty, stale;
};

struct ram_range {
    uint64_t start_pfn, end_pfn; /* allocatable: [start, end) */
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
    /* its client, bound by the DMA layer; client NULL: the channel is free */
    void *client;
    const struct bus_master *master; /* the device it serves: it makes that device's accesses */
    struct hal_account *acct;        /* its interrupt and DPC are this account's work */
    unsigned address_bits;           /* the lines it drives */
    /* the SoC's completion, at DISPATCH_LEVEL, when the transfer programmed asked for one */
    void (*complete)(struct sysdma_channel *c, DMA_COMPLETION_STATUS status);
    /* the 8237's registers: page (address bits 16-23), base and current address (bits 0-15
     * of the byte address, or 1-16 of a word address) and count (units - 1) */
    uint8_t page;
    uint16_t base_address, base_count, address, count;
    bool autoinit, masked, terminal;
    /* the transfer programmed, either kind */
    bool programmed, to_device, cancelled, done, notify;
    struct {
        uint64_t address;
        uint32_t length;
    } el[SYSDMA_MAX_ELEMENTS];
    uint32_t n_el, at_el, at_off;
    uint64_t total, moved;
    uint64_t device_address; /* SoC: the device's data register (DeviceAddress) */
    uint32_t request_line;   /* SoC: the line it serves (DmaRequestLine) */
    uint32_t device_offset, burst;
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

/* ---------------------------------------------------------------------------------------------
 * The room's state.
 */
struct hal_hw {
    struct ram_range ranges[2];
    int n_ranges;
    uint64_t allocatable_frames;
    uint64_t top_pfn; /* one past the highest RAM frame */
    struct u64map pfn_map; /* pfn -> frame index */
    struct u64map vpn_map; /* host page number -> pfn */
    struct u64map used_a, used_b, used_c; /* frames in use per 2^12, 2^18, 2^6 (physmem.c) */
    struct frame *frames;
    uint32_t n_frames, cap_frames;
    uint32_t *free_frame_slots;
    uint32_t n_free_slots, cap_free_slots;
    uint64_t frames_in_use;
    uint64_t host_page_bytes; /* host memory backing frames */
    struct owner *owners;
    uint32_t n_owners, cap_owners;
    uint32_t owner_free_head;
    uint64_t low_hint, high_hint; /* placement cursors */
    struct sysdma sysdma;
    struct host_arena *arena; /* small host allocations (physmem.c) */
    uint32_t iommu_domains;  /* domains made: the last one's number */
    struct iotlb_way *iotlb; /* iotlb_sets sets of 4 ways, or NULL */
    uint32_t iotlb_sets;
    uint64_t iotlb_tick;
};

/* The machine's memory layout, frames and controllers (machine.c, first after the base). */
int hw_init(struct dms_machine *m);
void hw_free(struct dms_machine *m);

/* physmem.c */
int owner_new(struct dms_machine *m, enum owner_kind kind, const char *label, uint32_t serial,
              uint32_t *id);
void owner_put(struct dms_machine *m, uint32_t id);
struct frame *phys_frame(struct dms_machine *m, uint64_t pfn);
/* Place npages frames for host pages host..host+npages*4096 by the machine's policy. */
int phys_alloc_scattered(struct dms_machine *m, uint8_t *host, uint64_t npages, uint32_t owner);
/* npages contiguous frames in [lo_pfn, hi_pfn), the highest free run (low_first: the lowest);
 * with boundary (pages, 0 none) a run that crosses no multiple of it. */
int phys_alloc_contig(struct dms_machine *m, uint8_t *host, uint64_t npages, uint64_t lo_pfn,
                      uint64_t hi_pfn, uint64_t boundary, bool low_first, uint32_t owner,
                      uint64_t *base_pfn);
void phys_release(struct dms_machine *m, uint8_t *host, uint64_t npages);
bool phys_va_to_pfn(struct dms_machine *m, const void *va, uint64_t *pfn);
uint8_t *host_pages_alloc(struct dms_machine *m, uint64_t npages);
void host_pages_free(struct dms_machine *m, uint8_t *host, uint64_t npages);
/* The device side: bm reads (!to_memory) or writes len bytes at logical, driving bits address
 * lines. Accesses outside what bm may touch are stray-access findings; *stray counts them.
 * In metadata mode buf is NULL and no byte moves. Returns 0 or DMS_EINVAL. */
int hw_device_dma(const struct bus_master *bm, unsigned bits, uint64_t logical, uint8_t *buf,
                  size_t len, bool to_memory, uint32_t *stray);

/* cache.c: CPU caches a non-coherent machine's devices do not snoop. No-ops when coherent. */
#define HAL_CACHE_LINE 64
void cache_frame_added(struct dms_machine *m, struct frame *f);
void cache_frame_removed(struct frame *f);
/* Clean (or invalidate) the lines [off, off+len) of the frame at pfn touches; returns them. */
uint64_t cache_maintain(struct dms_machine *m, uint64_t pfn, uint32_t off, uint32_t len,
                        bool clean);
/* The device side: where a device access to frame f at [off, off+len) reads or writes. */
uint8_t *cache_device_page(struct dms_machine *m, struct frame *f);
/* A device read or wrote [off, off+len) of frame f: track and report stale data. Returns the
 * stale bytes a read took. */
uint64_t cache_device_access(struct dms_machine *m, struct frame *f, uint32_t off, uint32_t len,
                             bool to_memory);
void cache_report_device_read(const struct bus_master *bm, uint64_t stale_bytes,
                              uint64_t first_addr);

/* sysdma.c: the controllers (hw_init), and a channel once the DMA layer has bound a client. */
int sysdma_init(struct dms_machine *m);
void sysdma_free(struct dms_machine *m);
/* Program n elements (the 8237: the first only) to move to or from the device; notify: run
 * the client's complete at the end (the SoC's interrupt). */
void dmac_program(struct sysdma_channel *c, const uint64_t *addr, const uint32_t *len,
                  uint32_t n, bool to_device, bool notify, uint32_t device_offset);
bool dmac_busy(const struct sysdma_channel *c);
/* Mask the channel: false if it was still running a transfer that ends. */
bool dmac_stop(struct sysdma_channel *c);
/* The bytes left: the 8237's count register, or what a SoC channel has not moved. */
ULONG dmac_counter(const struct sysdma_channel *c);
/* Stop a transfer under way; its completion still runs, with DmaCancelled. */
void dmac_cancel(struct sysdma_channel *c);
/* The device asserts the channel's request: move up to len bytes (dms_sysdma_request). */
int dmac_request(struct sysdma_channel *c, uint64_t data_register, void *buf, uint32_t len,
                 int to_device, uint32_t *moved, int *terminal);

/* iommu.c: DMA remapping. A new domain is held once; iommu_domain_get holds it again and
 * iommu_domain_put lets go (the last put frees it and its IOTLB entries). */
struct iommu_domain *iommu_domain_new(struct dms_machine *m);
struct iommu_domain *iommu_domain_get(struct iommu_domain *d);
void iommu_domain_put(struct dms_machine *m, struct iommu_domain *d);
uint32_t iommu_domain_id(const struct iommu_domain *d); /* 1, 2, ... never reused */
/* Map n pages (frames pfns) at the lowest free IOVA granule in [floor_pfn, limit_pfn]. */
int iommu_map(struct iommu_domain *d, const uint64_t *pfns, uint32_t n, uint64_t floor_pfn,
              uint64_t limit_pfn, uint64_t *iova_pfn);
void iommu_unmap(struct iommu_domain *d, uint64_t iova_pfn, uint32_t n);
/* Deferred invalidation: clear now, free the IOVAs at the next iommu_flush; returns how many
 * unmaps wait (iommu_pending_since: since when). */
uint32_t iommu_unmap_deferred(struct iommu_domain *d, uint64_t iova_pfn, uint32_t n,
                              uint64_t now_ns);
uint64_t iommu_pending_since(const struct iommu_domain *d);
void iommu_flush(struct iommu_domain *d);
bool iommu_translate(const struct iommu_domain *d, uint64_t iova_pfn, uint64_t *pfn);
/* The IOTLB (entries 0: none modelled, every translation a table lookup with no miss). */
int iotlb_init(struct dms_machine *m, uint32_t entries);
/* A device's access: through the IOTLB (stale entries included), else a walk (*missed);
 * false when nothing maps the page. */
bool iotlb_translate(struct dms_machine *m, const struct iommu_domain *d, uint64_t iova_pfn,
                     uint64_t *pfn, bool *missed);
/* Invalidate pages [iova_pfn, iova_pfn+n) of domain dom, or all of its entries (n 0). */
void iotlb_drop(struct dms_machine *m, uint32_t dom, uint64_t iova_pfn, uint32_t n);

#endif /* DMASIM_HAL_HW_H */
