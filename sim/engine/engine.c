/*
 * engine.c - the discrete-event engine (see engine.h for the model).
 *
 * The heap is a binary min-heap of small records by value, keyed by (time, sequence); the
 * sequence number makes the order total, so the same scenario and seed replay identically.
 * CPU work items and device jobs come from free lists: a long run allocates nothing once warm.
 */
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

const char *cpu_category_name(enum cpu_category c)
{
    static const char *const names[] = {
#define CPU_CATEGORY_NAME(name, text) text,
        CPU_CATEGORY_MAP(CPU_CATEGORY_NAME)
#undef CPU_CATEGORY_NAME
    };
    return (unsigned)c < CPU_CATEGORY_COUNT ? names[c] : "unknown";
}

/* ---------------------------------------------------------------------------------------------
 * The heap.
 */
static bool before(const struct event *a, const struct event *b)
{
    return a->time_ns < b->time_ns || (a->time_ns == b->time_ns && a->seq < b->seq);
}

static void heap_push(struct engine *e, uint64_t time_ns, engine_fn fn, void *arg)
{
    struct event ev = {time_ns, e->seq++, fn, arg, e->tag};
    size_t i;

    /* a time past the horizon, or one that wrapped: queued (its work is freed with the
     * engine) but never run, and the run stops saying why */
    if (time_ns < e->now || time_ns > ENGINE_HORIZON_NS) {
        if (e->halted == NULL) {
            e->halted = "the virtual clock would pass 146 years (2^62 ns): costs, latencies or "
                        "counts this large cannot be simulated";
            e->halted_at = e->now;
        }
        ev.time_ns = ENGINE_HORIZON_NS + 1;
    }

    if (e->heap_len == e->heap_cap) {
        size_t cap = e->heap_cap ? e->heap_cap * 2 : 1024;
        struct event *p = realloc(e->heap, cap * sizeof(*p));
        if (p == NULL)
            abort(); /* an event that cannot be queued would silently change the run */
        e->heap = p;
        e->heap_cap = cap;
    }
    i = e->heap_len++;
    while (i > 0 && before(&ev, &e->heap[(i - 1) / 2])) {
        e->heap[i] = e->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    e->heap[i] = ev;
}

static struct event heap_pop(struct engine *e)
{
    struct event top = e->heap[0];
    struct event last = e->heap[--e->heap_len];
    size_t i = 0, n = e->heap_len;

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(&e->heap[c + 1], &e->heap[c]))
            c++;
        if (!before(&e->heap[c], &last))
            break;
        e->heap[i] = e->heap[c];
        i = c;
    }
    if (n > 0)
        e->heap[i] = last;
    return top;
}

/* ---------------------------------------------------------------------------------------------
 * Life cycle.
 */
static void cpu_arrive(void *arg);
static void device_arrive(void *arg);
static void device_finish(void *arg);

struct engine *engine_create(uint32_t ncpus, const struct cost_model *cost, uint32_t ndevices)
{
    struct engine *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return NULL;
    e->ncpus = e->idle_cpus = ncpus;
    e->cost = *cost;
    e->ndevices = ndevices;
    e->cpus = calloc(ncpus, sizeof(*e->cpus));
    e->dev = calloc(ndevices + 1, sizeof(*e->dev));
    e->ledger = calloc(ndevices + 1, sizeof(*e->ledger));
    if (e->cpus == NULL || e->dev == NULL || e->ledger == NULL) {
        engine_destroy(e);
        return NULL;
    }
    for (uint32_t i = 0; i < ncpus; i++) {
        e->cpus[i].e = e;
        e->cpus[i].index = i;
    }
    for (uint32_t i = 0; i <= ndevices; i++)
        e->dev[i].p = (struct engine_device_params){1, 0, cost->link_bandwidth,
                                                    cost->descriptor_ns};
    return e;
}

void engine_destroy(struct engine *e)
{
    if (e == NULL)
        return;
    while (e->free_work != NULL) {
        struct cpu_work *w = e->free_work;
        e->free_work = w->next;
        free(w);
    }
    for (int p = 0; p < PRIO_COUNT; p++) {
        while (e->queue_head[p] != NULL) {
            struct cpu_work *w = e->queue_head[p];
            e->queue_head[p] = w->next;
            free(w);
        }
    }
    while (e->free_jobs != NULL) {
        struct device_job *j = e->free_jobs;
        e->free_jobs = j->next;
        free(j);
    }
    for (uint32_t i = 0; e->dev != NULL && i <= e->ndevices; i++) {
        while (e->dev[i].head != NULL) {
            struct device_job *j = e->dev[i].head;
            e->dev[i].head = j->next;
            free(j);
        }
    }
    /* Events still queued (a run cut short) point at work and jobs: free those we own. */
    for (size_t i = 0; i < e->heap_len; i++)
        if (e->heap[i].fn == cpu_arrive || e->heap[i].fn == device_arrive ||
            e->heap[i].fn == device_finish)
            free(e->heap[i].arg);
    free(e->heap);
    for (uint32_t i = 0; e->cpus != NULL && i < e->ncpus; i++)
        free(e->cpus[i].obs);
    free(e->cpus);
    free(e->dev);
    free(e->ledger);
    free(e->adapter_device);
    free(e);
}

void engine_set_machine(struct engine *e, struct dms_machine *m)
{
    e->machine = m;
}

void engine_device_setup(struct engine *e, uint32_t device, const struct engine_device_params *p)
{
    if (device < e->ndevices)
        e->dev[device].p = *p;
}

void engine_bind_adapter(struct engine *e, uint32_t adapter_id, uint32_t device)
{
    if (adapter_id >= e->adapter_cap) {
        uint32_t cap = adapter_id + 16;
        uint32_t *p = realloc(e->adapter_device, cap * sizeof(*p));
        if (p == NULL)
            abort();
        for (uint32_t i = e->adapter_cap; i < cap; i++)
            p[i] = e->ndevices;
        e->adapter_device = p;
        e->adapter_cap = cap;
    }
    e->adapter_device[adapter_id] = device;
}

uint64_t engine_now(const struct engine *e)
{
    return e->now + (e->ctx.active ? e->ctx.charged_ns : 0);
}

void engine_at(struct engine *e, uint64_t delay_ns, engine_fn fn, void *arg)
{
    heap_push(e, engine_now(e) + delay_ns, fn, arg);
}

/* ---------------------------------------------------------------------------------------------
 * Cost.
 */
static uint64_t bytes_ns(uint64_t bytes, uint64_t per_second)
{
    if (per_second == 0)
        return 0;
    return (uint64_t)(((unsigned __int128)bytes * 1000000000u + per_second / 2) / per_second);
}

uint64_t engine_copy_ns(const struct engine *e, uint64_t bytes)
{
    return bytes_ns(bytes, e->cost.copy_bandwidth);
}

/* Charge ns to (device, cat) and to the work running now; routine names the DMA routine the
 * charge is for, where known (for observers). */
static void charge(struct engine *e, uint32_t device, enum cpu_category cat, uint64_t ns,
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

void engine_charge(struct engine *e, uint32_t device, enum cpu_category cat, uint64_t ns)
{
    charge(e, device, cat, ns, NULL);
}

/* ---------------------------------------------------------------------------------------------
 * CPUs.
 */
static enum cpu_priority priority_of(KIRQL irql)
{
    return irql > DISPATCH_LEVEL ? PRIO_DEVICE : irql == DISPATCH_LEVEL ? PRIO_DISPATCH
                                                                        : PRIO_PASSIVE;
}

static void cpu_released(void *arg);
static void cpu_frame_end(void *arg);

/* Tell the observer about a frame that is over: its wall-clock span and its charges, each
 * placed in time around the preemptions that paused it. */
static void frame_report(struct engine *e, struct cpu *cpu, uint32_t level)
{
    const struct obs_frame *f = &cpu->obs[level];
    struct engine_slice sl;

    memset(&sl, 0, sizeof(sl));
    sl.cpu = cpu->index;
    sl.device = f->device;
    sl.cat = f->cat;
    sl.irql = f->irql;
    sl.tag = f->tag;
    sl.start = f->start;
    sl.end = cpu->f[level].end;
    for (uint32_t i = 0; i < f->n_parts && !f->overflow; i++) {
        uint64_t pos = f->parts[i].off, left = f->parts[i].ns, shift = 0;
        uint32_t g = 0;
        while (g < f->n_gaps && f->gaps[g].off <= pos)
            shift += f->gaps[g++].ns;
        while (left > 0 && sl.n_pieces < ENGINE_MAX_PIECES) {
            uint64_t room = g < f->n_gaps ? f->gaps[g].off - pos : left;
            uint64_t seg = room < left ? room : left;
            if (seg > 0)
                sl.piece[sl.n_pieces++] = (struct engine_piece){f->start + pos + shift, seg,
                                                                f->parts[i].cat,
                                                                f->parts[i].routine};
            pos += seg;
            left -= seg;
            if (left > 0)
                shift += f->gaps[g++].ns;
        }
    }
    if (e->obs.cpu_slice != NULL)
        e->obs.cpu_slice(e->obs.ctx, &sl);
}

/* Drop the frames that are over by now (the top ones first: a frame below ends later). */
static void cpu_prune(struct engine *e, struct cpu *cpu)
{
    while (cpu->depth > 0 && cpu->f[cpu->depth - 1].end <= e->now) {
        cpu->depth--;
        if (e->observed)
            frame_report(e, cpu, cpu->depth);
    }
}

/* Run w on cpu now. On an idle CPU it holds the CPU for its time; preempting, it pauses every
 * frame below it for its own time (their ends move; what they started was timed when they
 * started: the simplification docs/architecture.md states). */
static void cpu_start(struct engine *e, struct cpu *cpu, struct cpu_work *w)
{
    KIRQL old = PASSIVE_LEVEL;
    uint64_t busy;
    uint32_t level;

    cpu_prune(e, cpu);
    level = cpu->depth;
    e->ctx = (struct cpu_context){true, w->device, w->irql, 0, NULL, (int)cpu->index, NULL};
    e->tag = w->tag;
    if (e->observed) {
        struct obs_frame *f = &cpu->obs[level];
        f->device = w->device;
        f->cat = w->cat;
        f->irql = w->irql;
        f->tag = w->tag;
        f->start = e->now;
        f->n_parts = f->n_gaps = 0;
        f->overflow = false;
        e->ctx.obs = f;
        if (e->obs.cpu_begin != NULL) {
            struct engine_slice b = {.cpu = cpu->index, .device = w->device, .cat = w->cat,
                                     .irql = w->irql, .tag = w->tag, .start = e->now,
                                     .end = e->now};
            e->obs.cpu_begin(e->obs.ctx, &b);
        }
    }
    engine_charge(e, w->device, w->cat, w->fixed_ns);
    if (e->machine != NULL && w->irql > PASSIVE_LEVEL)
        KeRaiseIrql(w->irql, &old);
    w->fn(w->arg);
    if (e->machine != NULL && w->irql > PASSIVE_LEVEL)
        KeLowerIrql(old);
    busy = e->ctx.charged_ns;
    e->ctx.active = false;
    e->ctx.obs = NULL;
    e->cpu_busy_ns += busy;
    if (level == 0) {
        e->idle_cpus--;
    } else {
        for (uint32_t i = 0; i < level; i++)
            cpu->f[i].end += busy;
        if (e->observed) {
            struct obs_frame *top = &cpu->obs[level - 1];
            uint64_t own = e->now - top->start;
            for (uint32_t g = 0; g < top->n_gaps; g++)
                own -= top->gaps[g].ns;
            if (top->n_gaps < MAX_GAPS)
                top->gaps[top->n_gaps++] = (typeof(top->gaps[0])){own, busy};
            else
                top->overflow = true;
            for (uint32_t i = 0; i + 1 < level; i++)
                if (cpu->obs[i].n_gaps > 0)
                    cpu->obs[i].gaps[cpu->obs[i].n_gaps - 1].ns += busy;
        }
        heap_push(e, e->now + busy, cpu_frame_end, cpu);
    }
    cpu->f[level] = (struct frame){e->now + busy, priority_of(w->irql)};
    cpu->depth = level + 1;
    cpu->release_at = cpu->f[0].end;
    w->next = e->free_work;
    e->free_work = w;
    heap_push(e, cpu->release_at, cpu_released, cpu);
}

static struct cpu *idle_cpu(struct engine *e)
{
    for (uint32_t i = 0; i < e->ncpus; i++)
        if (e->cpus[i].depth == 0)
            return &e->cpus[i];
    return NULL;
}

/* The priority a CPU runs at now: its top frame still under way. */
static enum cpu_priority running_prio(const struct engine *e, const struct cpu *c)
{
    for (uint32_t i = c->depth; i > 0; i--)
        if (c->f[i - 1].end > e->now)
            return c->f[i - 1].prio;
    return PRIO_COUNT;
}

/* The CPU running the least urgent work below priority p, or NULL: interrupts preempt DPCs
 * and application work, DPCs preempt application work. */
static struct cpu *preemptible_cpu(struct engine *e, enum cpu_priority p)
{
    struct cpu *best = NULL;
    enum cpu_priority best_prio = p;

    for (uint32_t i = 0; i < e->ncpus; i++) {
        struct cpu *c = &e->cpus[i];
        enum cpu_priority r = c->depth > 0 ? running_prio(e, c) : PRIO_COUNT;
        if (r != PRIO_COUNT && r > best_prio && c->depth < CPU_DEPTH) {
            best = c;
            best_prio = r;
        }
    }
    return best;
}

static void cpu_dispatch(struct engine *e)
{
    for (int p = 0; p < PRIO_COUNT; p++) {
        while (e->queue_head[p] != NULL) {
            struct cpu_work *w = e->queue_head[p];
            struct cpu *cpu = e->idle_cpus > 0 ? idle_cpu(e) : NULL;
            if (cpu == NULL && p < PRIO_PASSIVE)
                cpu = preemptible_cpu(e, (enum cpu_priority)p);
            if (cpu == NULL)
                break;
            e->queue_head[p] = w->next;
            if (e->queue_head[p] == NULL)
                e->queue_tail[p] = NULL;
            cpu_start(e, cpu, w);
        }
    }
}

static void cpu_released(void *arg)
{
    struct cpu *cpu = arg;
    struct engine *e = cpu->e;

    if (cpu->depth == 0 || cpu->release_at != e->now)
        return; /* stale: a preemption moved the release */
    cpu_prune(e, cpu);
    e->idle_cpus++;
    cpu_dispatch(e);
}

/* A preemptor is over: what waits at a priority between it and what it preempted may run. */
static void cpu_frame_end(void *arg)
{
    struct cpu *cpu = arg;
    struct engine *e = cpu->e;

    if (cpu->depth > 1) {
        cpu_prune(e, cpu);
        cpu_dispatch(e);
    }
}

static void cpu_arrive(void *arg)
{
    struct cpu_work *w = arg;
    struct engine *e = w->e;
    enum cpu_priority p = priority_of(w->irql);
    struct cpu *cpu;

    if (e->idle_cpus > 0 && e->queue_head[p] == NULL) {
        cpu_start(e, idle_cpu(e), w);
        return;
    }
    if (p < PRIO_PASSIVE && e->queue_head[p] == NULL && (cpu = preemptible_cpu(e, p)) != NULL) {
        cpu_start(e, cpu, w);
        return;
    }
    e->cpu_waits++;
    w->next = NULL;
    if (e->queue_tail[p] != NULL)
        e->queue_tail[p]->next = w;
    else
        e->queue_head[p] = w;
    e->queue_tail[p] = w;
    cpu_dispatch(e);
}

void engine_cpu(struct engine *e, uint64_t delay_ns, uint32_t device, enum cpu_category cat,
                KIRQL irql, uint64_t fixed_ns, engine_fn fn, void *arg)
{
    struct cpu_work *w = e->free_work;

    if (w != NULL)
        e->free_work = w->next;
    else if ((w = malloc(sizeof(*w))) == NULL)
        abort();
    *w = (struct cpu_work){NULL, fn, arg, fixed_ns, device > e->ndevices ? e->ndevices : device,
                           cat, irql, e, e->tag};
    heap_push(e, engine_now(e) + delay_ns, cpu_arrive, w);
}

/* ---------------------------------------------------------------------------------------------
 * Device engines.
 */
static void device_start(struct engine *e, struct device_job *j)
{
    struct engine_dev *d = &e->dev[j->device];
    uint64_t busy = j->descriptors * d->p.descriptor_ns + bytes_ns(j->bytes, d->p.link_bandwidth);

    /* a transfer's IOTLB misses are known only once its data moves, after its time was set:
     * the walks it waited for lengthen the device's next transfer */
    busy += d->walk_debt_ns;
    d->walk_debt_ns = 0;

    d->busy++;
    j->slot = (uint32_t)__builtin_ctzll(~d->busy_mask);
    d->busy_mask |= 1ull << j->slot;
    if (e->observed && e->obs.device_slice != NULL)
        e->obs.device_slice(e->obs.ctx, j->device, j->slot, e->now, busy, j->bytes,
                            j->descriptors, j->tag);
    d->st.busy_ns += busy;
    d->st.transfers++;
    if (e->now > j->queued_at) {
        d->st.queued++;
        d->st.queue_ns += e->now - j->queued_at;
    }
    heap_push(e, e->now + busy, device_finish, j);
}

static void device_arrive(void *arg)
{
    struct device_job *j = arg;
    struct engine *e = j->e;
    struct engine_dev *d = &e->dev[j->device];

    j->queued_at = e->now;
    if (d->busy < d->p.engines && d->head == NULL) {
        device_start(e, j);
        return;
    }
    j->next = NULL;
    if (d->tail != NULL)
        d->tail->next = j;
    else
        d->head = j;
    d->tail = j;
}

static void device_finish(void *arg)
{
    struct device_job *j = arg;
    struct engine *e = j->e;
    struct engine_dev *d = &e->dev[j->device];
    engine_fn done = j->done;
    void *done_arg = j->arg;

    d->busy--;
    d->busy_mask &= ~(1ull << j->slot);
    j->next = e->free_jobs;
    e->free_jobs = j;
    e->tag = j->tag;
    done(done_arg);
    if (d->head != NULL && d->busy < d->p.engines) {
        struct device_job *next = d->head;
        d->head = next->next;
        if (d->head == NULL)
            d->tail = NULL;
        device_start(e, next);
    }
}

void engine_device_work(struct engine *e, uint32_t device, uint64_t bytes, uint32_t descriptors,
                        engine_fn done, void *arg)
{
    struct device_job *j = e->free_jobs;

    if (device >= e->ndevices)
        abort(); /* the simulator's own wiring: cannot happen */
    if (j != NULL)
        e->free_jobs = j->next;
    else if ((j = malloc(sizeof(*j))) == NULL)
        abort();
    *j = (struct device_job){NULL, done, arg, bytes, 0, descriptors, device, 0, e, e->tag};
    e->dev[device].st.latency_ns += e->dev[device].p.latency_ns;
    heap_push(e, engine_now(e) + e->dev[device].p.latency_ns, device_arrive, j);
}

/* ---------------------------------------------------------------------------------------------
 * The platform interface.
 */
static uint64_t plat_now(void *ctx)
{
    return engine_now(ctx);
}

/* Work the HAL defers: an interrupt it raises itself (a system DMA controller's) above
 * DISPATCH_LEVEL; a DPC when an ISR queues it; else the HAL's own routine (a waiter granted
 * its map registers, say) on a CPU at the level it asks for. */
static void plat_schedule(void *ctx, uint64_t delay_ns, KIRQL irql, uint32_t adapter_id,
                          dms_work_fn fn, void *arg)
{
    struct engine *e = ctx;
    uint32_t device = adapter_id < e->adapter_cap ? e->adapter_device[adapter_id]
                      : e->ctx.active             ? e->ctx.device
                                                  : e->ndevices;

    if (irql > DISPATCH_LEVEL)
        engine_cpu(e, delay_ns, device, CPU_INTERRUPT, irql, e->cost.isr_ns, fn, arg);
    else if (e->ctx.active && e->ctx.irql > DISPATCH_LEVEL && irql == DISPATCH_LEVEL)
        engine_cpu(e, delay_ns + e->cost.dpc_latency_ns, device, CPU_INTERRUPT, irql,
                   e->cost.dpc_ns, fn, arg);
    else
        engine_cpu(e, delay_ns, device, CPU_DRIVER, irql, 0, fn, arg);
}

static void driver_time(struct engine *e, uint64_t ns)
{
    if (e->ctx.active)
        charge(e, e->ctx.device, CPU_DRIVER, ns, e->ctx.routine);
}

static void plat_charge(void *ctx, enum dms_cost cost, uint64_t amount, uint32_t adapter_id)
{
    struct engine *e = ctx;
    uint32_t device = adapter_id < e->adapter_cap ? e->adapter_device[adapter_id] : e->ndevices;
    const struct cost_model *c = &e->cost;
    const char *r = e->ctx.routine;

    switch (cost) {
    case DMS_COST_BOUNCE_COPY_BYTES:
        charge(e, device, CPU_BOUNCE, bytes_ns(amount, c->copy_bandwidth), r);
        break;
    case DMS_COST_MAPREG_ALLOC:
        charge(e, device, CPU_MAPREG, amount * c->mapreg_alloc_ns, r);
        break;
    case DMS_COST_MAPREG_FREE:
        charge(e, device, CPU_MAPREG, amount * c->mapreg_free_ns, r);
        break;
    case DMS_COST_SG_ELEMENT:
        charge(e, device, CPU_MAPPING, amount * c->sg_element_ns, r);
        break;
    case DMS_COST_MAP_CALL:
        charge(e, device, CPU_MAPPING, amount * c->map_call_ns, r);
        break;
    case DMS_COST_CACHE_LINE:
        charge(e, device, CPU_MAPPING, amount * c->cache_line_ns, r);
        break;
    /* The driver's own time, charged to the device whose work runs now; outside any CPU
     * work (a driver's start, before the run) it is set-up, not the workload's. */
    case DMS_COST_REGISTER_READ:
        driver_time(e, amount * c->register_read_ns);
        break;
    case DMS_COST_REGISTER_WRITE:
        driver_time(e, amount * c->register_write_ns);
        break;
    case DMS_COST_CPU_NS:
        driver_time(e, amount);
        break;
    case DMS_COST_DRIVER_COPY_BYTES:
        if (e->ctx.active)
            charge(e, e->ctx.device, CPU_DRIVER_COPY, bytes_ns(amount, c->copy_bandwidth), r);
        break;
    case DMS_COST_IOMMU_MAP_PAGE:
        charge(e, device, CPU_MAPPING, amount * c->iommu_map_page_ns, r);
        break;
    case DMS_COST_IOMMU_UNMAP_PAGE:
        charge(e, device, CPU_MAPPING, amount * c->iommu_unmap_page_ns, r);
        break;
    case DMS_COST_IOTLB_INVALIDATE:
        charge(e, device, CPU_MAPPING, amount * c->iotlb_invalidate_ns, r);
        break;
    case DMS_COST_IOTLB_MISS: /* the device waits for the walk, not a CPU */
        if (device < e->ndevices) {
            e->dev[device].walk_debt_ns += amount * c->iotlb_miss_ns;
            e->dev[device].st.iotlb_misses += amount;
            e->dev[device].st.iotlb_walk_ns += amount * c->iotlb_miss_ns;
        }
        break;
    }
}

static void plat_event(void *ctx, const struct dms_event *ev)
{
    struct engine *e = ctx;
    uint32_t device;

    if (ev->type == DMS_EV_ADAPTER_CREATE && e->adapter_created != NULL)
        e->adapter_created(e->adapter_created_ctx, ev->adapter_id, ev->device, ev->count);

    if (!e->observed || e->obs.hal_event == NULL)
        return;
    if (e->ctx.active)
        e->ctx.routine = ev->routine;
    device = ev->adapter_id < e->adapter_cap ? e->adapter_device[ev->adapter_id] : e->ndevices;
    e->obs.hal_event(e->obs.ctx, ev, device, e->tag, e->ctx.active ? e->ctx.cpu : -1);
}

static uint64_t plat_context_get(void *ctx)
{
    return ((struct engine *)ctx)->tag;
}

static void plat_context_set(void *ctx, uint64_t context)
{
    ((struct engine *)ctx)->tag = context;
}

void engine_platform(struct engine *e, struct dms_platform *plat)
{
    memset(plat, 0, sizeof(*plat));
    plat->ctx = e;
    plat->now_ns = plat_now;
    plat->schedule = plat_schedule;
    plat->charge = plat_charge;
    plat->event = plat_event;
    plat->context_get = plat_context_get;
    plat->context_set = plat_context_set;
}

void engine_observe(struct engine *e, const struct engine_observer *obs)
{
    e->obs = *obs;
    e->observed = true;
    for (uint32_t i = 0; i < e->ncpus; i++) {
        e->cpus[i].obs = calloc(CPU_DEPTH, sizeof(*e->cpus[i].obs));
        if (e->cpus[i].obs == NULL)
            abort(); /* an observer that misses frames would tell a false story */
    }
}

void engine_observe_end(struct engine *e)
{
    if (!e->observed)
        return;
    for (uint32_t i = 0; i < e->ncpus; i++) {
        struct cpu *cpu = &e->cpus[i];
        while (cpu->depth > 0) {
            cpu->depth--;
            frame_report(e, cpu, cpu->depth);
        }
    }
}

int engine_cpu_index(const struct engine *e)
{
    return e->ctx.active ? e->ctx.cpu : -1;
}

uint64_t engine_tag(const struct engine *e)
{
    return e->tag;
}

void engine_set_tag(struct engine *e, uint64_t tag)
{
    e->tag = tag;
}

/* ---------------------------------------------------------------------------------------------
 * Running.
 */
uint64_t engine_run(struct engine *e, const volatile int *stop, uint64_t until_ns)
{
    uint64_t ran = 0, same = 0;

    while (e->heap_len > 0 && e->halted == NULL) {
        struct event ev;

        if (until_ns != 0 && e->heap[0].time_ns > until_ns)
            break;
        if ((ran % STOP_CHECK_EVERY) == 0 && stop != NULL && *stop)
            break;
        same = e->heap[0].time_ns == e->now ? same + 1 : 0;
        if (e->stall_limit != 0 && same > e->stall_limit) {
            e->halted = "millions of events went by without virtual time moving (a workload "
                        "with a duration whose I/Os take no time: every cost and latency "
                        "zero?)";
            e->halted_at = e->now;
            break; /* the event stays queued, the engine's to free */
        }
        ev = heap_pop(e);
        e->now = ev.time_ns;
        e->tag = ev.tag;
        ev.fn(ev.arg);
        ran++;
    }
    e->events += ran;
    return ran;
}

const char *engine_halted(const struct engine *e, uint64_t *at_ns)
{
    if (at_ns != NULL)
        *at_ns = e->halted_at;
    return e->halted;
}

void engine_limit_stall(struct engine *e, uint64_t events)
{
    e->stall_limit = events;
}

uint64_t engine_cpu_ns(const struct engine *e, uint32_t device, enum cpu_category cat)
{
    return device <= e->ndevices && (unsigned)cat < CPU_CATEGORY_COUNT ? e->ledger[device][cat]
                                                                       : 0;
}

const struct engine_device_stats *engine_device_stats(const struct engine *e, uint32_t device)
{
    return device < e->ndevices ? &e->dev[device].st : NULL;
}

uint64_t engine_events(const struct engine *e)
{
    return e->events;
}

uint64_t engine_cpu_busy_ns(const struct engine *e)
{
    return e->cpu_busy_ns;
}

uint32_t engine_cpus(const struct engine *e)
{
    return e->ncpus;
}

uint64_t engine_cpu_waits(const struct engine *e)
{
    return e->cpu_waits;
}

void engine_on_adapter_created(struct engine *e,
                               void (*fn)(void *ctx, uint32_t adapter_id, const char *device,
                                          uint32_t map_registers),
                               void *ctx)
{
    e->adapter_created = fn;
    e->adapter_created_ctx = ctx;
}
