/*
 * engine_int.h - the engine's own state, for its two files: engine.c (the heap, CPUs, device
 * engines, running) and engine_platform.c (the platform interface the HAL calls). What both
 * call on the hot path (charge, bytes_ns) is here as static inline, so it stays inlined.
 */
#ifndef DMASIM_ENGINE_INT_H
#define DMASIM_ENGINE_INT_H

#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define STOP_CHECK_EVERY 4096

struct event {
    uint64_t time_ns;
    uint64_t seq;
    engine_fn fn;
    void *arg;
    uint64_t tag; /* whose work it is (engine_tag) */
};

enum cpu_priority { PRIO_DEVICE, PRIO_DISPATCH, PRIO_PASSIVE, PRIO_COUNT };

struct cpu_work {
    struct cpu_work *next;
    engine_fn fn;
    void *arg;
    uint64_t fixed_ns;
    uint32_t device;
    enum cpu_category cat;
    KIRQL irql;
    struct engine *e;
    uint64_t tag;
};

struct device_job {
    struct device_job *next;
    engine_fn done;
    void *arg;
    uint64_t bytes;
    uint64_t queued_at;
    uint32_t descriptors;
    uint32_t device;
    uint32_t slot;  /* which of the device's engines runs it */
    struct engine *e;
    uint64_t tag;
};

struct engine_dev {
    struct engine_device_params p;
    struct engine_device_stats st;
    uint32_t busy;
    uint64_t busy_mask; /* engines at work (at most 64) */
    struct device_job *head, *tail;
    uint64_t walk_debt_ns; /* IOTLB walks its last transfers waited for, owed by the next */
};

/* A piece of work on a CPU: until when, at what priority. A CPU holds a stack of them: the
 * work it started on idle at the bottom, then each preemptor above what it preempted. */
#define CPU_DEPTH 4 /* application, DPC, ISR: three at most; one spare */
#define MAX_PARTS 24
#define MAX_GAPS 64 /* then the frame's parts are not reported: they could not be placed */

struct frame {
    uint64_t end;
    enum cpu_priority prio;
};

/* What an observer is told about a frame once it is over (kept only while observed). */
struct obs_frame {
    uint32_t device;
    enum cpu_category cat;
    KIRQL irql;
    uint64_t tag;
    uint64_t start;
    uint32_t n_parts, n_gaps;
    bool overflow;             /* preempted more than MAX_GAPS times */
    struct { uint64_t off, ns; enum cpu_category cat; const char *routine; } parts[MAX_PARTS];
    struct { uint64_t off, ns; } gaps[MAX_GAPS]; /* preempted at own time off, for ns */
};

/* A CPU: the work it runs and when it is free again. */
struct cpu {
    struct engine *e;
    uint32_t index;
    uint32_t depth;
    struct frame f[CPU_DEPTH];
    struct obs_frame *obs;     /* [CPU_DEPTH], with an observer */
    uint64_t release_at;       /* when the bottom frame ends; other release events are stale */
};

/* What the CPU work running now has been charged. */
struct cpu_context {
    bool active;
    uint32_t device;
    KIRQL irql;
    uint64_t charged_ns;
    struct obs_frame *obs;     /* where its charges go, with an observer */
    int cpu;
    const char *routine;       /* with an observer: the HAL routine of the last HAL event */
};

struct engine {
    /* told of each adapter the HAL creates (to bind it to its device): NULL, nobody */
    void (*adapter_created)(void *ctx, uint32_t adapter_id, const char *device,
                            uint32_t map_registers);
    void *adapter_created_ctx;
    uint64_t now;
    uint64_t seq;
    struct event *heap;
    unsigned running;          /* engine_run (or run_until) is under way */
    /* engine_watch: asked every STOP_CHECK_EVERY events whether the run must stop */
    const char *(*watch)(void *ctx, uint64_t now_ns);
    void *watch_ctx;
    size_t heap_len, heap_cap;
    uint64_t events;
    struct cost_model cost;
    struct dms_machine *machine;
    /* CPUs */
    uint32_t ncpus, idle_cpus;
    struct cpu *cpus;
    struct cpu_work *queue_head[PRIO_COUNT], *queue_tail[PRIO_COUNT];
    struct cpu_work *free_work;
    struct cpu_context ctx;
    uint64_t cpu_busy_ns, cpu_waits;
    /* devices; index ndevices is "the machine" for work nobody owns */
    uint32_t ndevices;
    struct engine_dev *dev;
    uint64_t (*ledger)[CPU_CATEGORY_COUNT];
    struct device_job *free_jobs;
    uint32_t *adapter_device;
    uint32_t adapter_cap;
    uint64_t tag;              /* whose work runs now */
    struct engine_observer obs;
    bool observed;
    /* why the run was stopped short, or NULL: the clock would pass ENGINE_HORIZON_NS, or
     * stall_limit events went by without virtual time moving */
    const char *halted;
    uint64_t halted_at;
    uint64_t stall_limit;
};

/* 2^62 ns, 146 years of virtual time: a run's clock never comes near it, and no sum the engine
 * forms from it can wrap. */
#define ENGINE_HORIZON_NS (1ULL << 62)

/* Push an event at time_ns (the heap of engine.c). */
void engine_heap_push(struct engine *e, uint64_t time_ns, engine_fn fn, void *arg);

static inline uint64_t bytes_ns(uint64_t bytes, uint64_t per_second)
{
    if (per_second == 0)
        return 0;
    return (uint64_t)(((unsigned __int128)bytes * 1000000000u + per_second / 2) / per_second);
}


/* Charge ns to (device, cat) and to the work running now; routine names the DMA routine the
 * charge is for, where known (for observers). */
static inline void charge(struct engine *e, uint32_t device, enum cpu_category cat, uint64_t ns,
                   const char *routine)
{
    if (device > e->ndevices)
        device = e->ndevices;
    e->ledger[device][cat] += ns;
    if (!e->ctx.active)
        return;
    if (e->ctx.obs != NULL && ns > 0) {
        struct obs_frame *f = e->ctx.obs;
        typeof(f->parts[0]) *last = f->n_parts > 0 ? &f->parts[f->n_parts - 1] : NULL;
        if (last != NULL && last->cat == cat && last->routine == routine &&
            last->off + last->ns == e->ctx.charged_ns)
            last->ns += ns;
        else if (f->n_parts < MAX_PARTS)
            f->parts[f->n_parts++] = (typeof(f->parts[0])){e->ctx.charged_ns, ns, cat, routine};
        else
            last->ns = e->ctx.charged_ns + ns - last->off;
    }
    e->ctx.charged_ns += ns;
}

#endif /* DMASIM_ENGINE_INT_H */
