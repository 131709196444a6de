/*
 * engine.h - the discrete-event engine: virtual time, the event heap, CPUs and device DMA
 * engines as resources on the timeline, and the CPU-time ledger the cost model fills.
 *
 * Time is virtual, in nanoseconds. Events are ordered by (time, sequence number), so two
 * events at the same instant run in the order they were scheduled: a run is a pure function of
 * its scenario and seed.
 *
 * Work that needs a CPU (the application's own work, the driver's dispatch path, ISRs, DPCs,
 * the HAL's deferred routines) queues for one of N CPUs; once started it runs to completion,
 * and the CPU stays busy for its fixed cost plus everything charged to it while it ran (bounce
 * copies, map register handling, ...). Inside such work, engine_now() is the start time plus
 * what has been charged so far, so whatever it starts (a device transfer, a DPC) starts after
 * the CPU time that preceded it. Work waiting for a CPU is taken by priority (device IRQL, then
 * DISPATCH_LEVEL, then PASSIVE_LEVEL) and in arrival order within one priority. With no CPU
 * idle, an interrupt preempts a DPC or application work and a DPC preempts application work:
 * each CPU holds a stack of work (what it started when idle, then each preemptor above what it
 * paused), every paused piece ends later by the preemptor's time (the paused work's effects
 * were timed when it started; that is the simplification docs/architecture.md states), and a
 * CPU running a preemptor can be preempted only by something more urgent than the preemptor.
 */
#ifndef DMASIM_ENGINE_H
#define DMASIM_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "dmasim/hal.h"

struct engine;
typedef void (*engine_fn)(void *arg);

/* Where CPU time went, per device. */
#define CPU_CATEGORY_MAP(X)                                                 \
    X(APP, "application")       /* the application's own work per I/O */   \
    X(DRIVER, "driver")         /* dispatch path: I/O manager and driver */ \
    X(BOUNCE, "bounce-copies")  /* the HAL copying to and from bounce pages */ \
    X(MAPREG, "map-registers")  /* map register allocation and release */  \
    X(MAPPING, "mapping")       /* MapTransfer calls and S/G elements built */ \
    X(INTERRUPT, "interrupt-dpc") /* ISR and DPC dispatch */              \
    X(DRIVER_COPY, "driver-copies") /* a common-buffer driver's own copies */

enum cpu_category {
#define CPU_CATEGORY_ENUM(name, text) CPU_##name,
    CPU_CATEGORY_MAP(CPU_CATEGORY_ENUM)
#undef CPU_CATEGORY_ENUM
    CPU_CATEGORY_COUNT
};

const char *cpu_category_name(enum cpu_category c);

/* The cost model, in the engine's units. Every field is a scenario key of [cost]. */
struct cost_model {
    uint64_t copy_bandwidth;   /* bytes/s: CPU copies (bounce pages, driver copies) */
    uint64_t link_bandwidth;   /* bytes/s: a device's default link */
    uint64_t descriptor_ns;    /* a device fetching one descriptor */
    uint64_t mapreg_alloc_ns;  /* per map register allocated */
    uint64_t mapreg_free_ns;   /* per map register freed */
    uint64_t sg_element_ns;    /* per scatter/gather element built */
    uint64_t map_call_ns;      /* per MapTransfer call (or list fragment) */
    uint64_t cache_line_ns;    /* per cache line cleaned or invalidated (non-coherent) */
    uint64_t register_read_ns; /* per device register read: the CPU waits for the reply */
    uint64_t register_write_ns; /* per device register write (posted) */
    uint64_t isr_ns;           /* interrupt dispatch and ISR */
    uint64_t dpc_latency_ns;   /* from IoRequestDpc until the DPC starts */
    uint64_t dpc_ns;           /* DPC dispatch */
    uint64_t submit_ns;        /* the dispatch path of one I/O */
    uint64_t app_work_ns;      /* the application's CPU work per I/O */
    uint64_t iommu_map_page_ns;    /* DMA remapping: per IOMMU page table entry written */
    uint64_t iommu_unmap_page_ns;  /* per entry cleared */
    uint64_t iotlb_invalidate_ns;  /* per IOTLB invalidation (strict: one an unmap) */
    uint64_t iotlb_miss_ns;        /* per IOTLB miss: the page walk the device waits for */
};

/* One device's timeline resource: its DMA engines and their figures. */
struct engine_device_params {
    uint32_t engines;
    uint64_t latency_ns;      /* media/wire latency before the engine moves the data */
    uint64_t link_bandwidth;  /* bytes/s */
    uint64_t descriptor_ns;
};

struct engine_device_stats {
    uint64_t busy_ns;         /* engine time used, summed over engines */
    uint64_t transfers;
    uint64_t queued;          /* transfers that waited for a free engine */
    uint64_t queue_ns;        /* and how long */
    uint64_t latency_ns;      /* media/wire latency, summed over transfers */
    uint64_t iotlb_misses;    /* DMA remapping: accesses whose page the IOTLB missed */
    uint64_t iotlb_walk_ns;   /* and the page walks' time, added to the engine's busy time */
};

/* engine_create - an engine for ncpus CPUs and ndevices devices. Returns NULL without memory. */
struct engine *engine_create(uint32_t ncpus, const struct cost_model *cost, uint32_t ndevices);
void engine_destroy(struct engine *e);

/* The platform interface the HAL needs, backed by this engine. */
void engine_platform(struct engine *e, struct dms_platform *plat);
/* The machine the engine's CPUs run (for IRQL); set once it exists. */
void engine_set_machine(struct engine *e, struct dms_machine *m);
/* Call fn whenever the HAL creates an adapter (its id, its device's name, the map registers
 * IoGetDmaAdapter granted it), so that an adapter a driver gets at any time can be bound to its
 * device. */
void engine_on_adapter_created(struct engine *e,
                               void (*fn)(void *ctx, uint32_t adapter_id, const char *device,
                                          uint32_t map_registers),
                               void *ctx);
/* Attribute an adapter's charges to a device index. */
void engine_bind_adapter(struct engine *e, uint32_t adapter_id, uint32_t device);
void engine_device_setup(struct engine *e, uint32_t device, const struct engine_device_params *p);

uint64_t engine_now(const struct engine *e);

/* Run fn(arg) after delay_ns, outside any CPU. */
void engine_at(struct engine *e, uint64_t delay_ns, engine_fn fn, void *arg);

/* Queue CPU work after delay_ns: fn(arg) at irql (the machine's IRQL is set around it), the CPU
 * busy for fixed_ns plus what fn's work charges, fixed_ns counted to (device, category). */
void engine_cpu(struct engine *e, uint64_t delay_ns, uint32_t device, enum cpu_category cat,
                KIRQL irql, uint64_t fixed_ns, engine_fn fn, void *arg);

/* Charge CPU time to the work running now (and the ledger of device). */
void engine_charge(struct engine *e, uint32_t device, enum cpu_category cat, uint64_t ns);
/* Nanoseconds to copy bytes at the cost model's CPU copy bandwidth. */
uint64_t engine_copy_ns(const struct engine *e, uint64_t bytes);

/* A device transfer: after the device's latency, queue for one of its engines; the engine is
 * busy for descriptors * descriptor_ns + bytes at link bandwidth; then done(arg). */
void engine_device_work(struct engine *e, uint32_t device, uint64_t bytes, uint32_t descriptors,
                        engine_fn done, void *arg);

/* ---------------------------------------------------------------------------------------------
 * Observing a run (traces, explain): off unless engine_observe is called; costs nothing then.
 *
 * Every event, CPU work and device job carries a tag: whose work it is (the simulator tags
 * each I/O's work with the I/O). Work inherits the tag of the work that queued it; the HAL
 * keeps a request's tag while it waits for map registers (dms_platform.context_get/set).
 */
#define ENGINE_MAX_PIECES 96 /* a frame's parts (24) split by its preemptions (64) */

/* A charge placed in time: CPU time of one category. */
struct engine_piece {
    uint64_t start, ns;
    enum cpu_category cat;
    const char *routine; /* the DMA routine it was charged in, where known */
};

/* A piece of CPU work, once it is over. [start, end) is its wall-clock span on cpu, including
 * the preemptions that paused it (they nest inside it); its charges are placed around them. */
struct engine_slice {
    uint32_t cpu, device;   /* device == the engine's device count: nobody's */
    enum cpu_category cat;  /* what queued it: application, driver (HAL), interrupt-dpc */
    KIRQL irql;
    uint64_t tag;
    uint64_t start, end;
    uint32_t n_pieces;
    struct engine_piece piece[ENGINE_MAX_PIECES];
};

struct engine_observer { /* any callback may be NULL */
    void *ctx;
    /* CPU work starts (optional): its CPU, device, category, IRQL and tag; s->start is now,
     * s->end is not known yet and no pieces are filled. */
    void (*cpu_begin)(void *ctx, const struct engine_slice *s);
    void (*cpu_slice)(void *ctx, const struct engine_slice *s);
    /* A device engine (slot) runs a job from start for ns. */
    void (*device_slice)(void *ctx, uint32_t device, uint32_t slot, uint64_t start, uint64_t ns,
                         uint64_t bytes, uint32_t descriptors, uint64_t tag);
    /* A HAL event, with the device it concerns, the tag and the CPU (-1: none). */
    void (*hal_event)(void *ctx, const struct dms_event *ev, uint32_t device, uint64_t tag,
                      int cpu);
};

void engine_observe(struct engine *e, const struct engine_observer *obs);
/* Report the CPU work still open (at the end of a run). */
void engine_observe_end(struct engine *e);
uint64_t engine_tag(const struct engine *e);
/* The CPU the work running now runs on, or -1 outside CPU work. */
int engine_cpu_index(const struct engine *e);
void engine_set_tag(struct engine *e, uint64_t tag);

/* engine_run - run events until none is left, *stop becomes non-zero (checked every few
 * thousand events) or the clock passes until_ns (0: no limit). Returns the events run. */
uint64_t engine_run(struct engine *e, const volatile int *stop, uint64_t until_ns);
/* engine_watch - watch(ctx, now) is asked every few thousand events of engine_run whether
 * the run must stop (a livelock the run's owner can see, the engine cannot): a sentence
 * (which stays the owner's) stops it as engine_halted then reports; NULL lets it go on. */
void engine_watch(struct engine *e, const char *(*watch)(void *ctx, uint64_t now_ns), void *ctx);
/* engine_run_until - run events until done(arg) is true or none is left: the HAL's
 * synchronous requests outside the run (a driver that waits while its device starts or is
 * removed). Called inside an event, it runs nothing. */
void engine_run_until(struct engine *e, bool (*done)(void *), void *arg);

/* Read-back. */
uint64_t engine_cpu_ns(const struct engine *e, uint32_t device, enum cpu_category cat);
const struct engine_device_stats *engine_device_stats(const struct engine *e, uint32_t device);
uint64_t engine_events(const struct engine *e);
/* Why engine_run stopped a run short (its clock would pass 146 years, or it stalled), with
 * the virtual time it stopped at; NULL when it did not. */
const char *engine_halted(const struct engine *e, uint64_t *at_ns);
/* Stop a run when this many events go by without virtual time moving (0: never). */
void engine_limit_stall(struct engine *e, uint64_t events);
uint64_t engine_cpu_busy_ns(const struct engine *e); /* all CPUs, all work */
uint32_t engine_cpus(const struct engine *e);
uint64_t engine_cpu_waits(const struct engine *e);    /* work that found every CPU busy */

#endif /* DMASIM_ENGINE_H */
