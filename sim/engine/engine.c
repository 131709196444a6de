/*
 * engine.c - the discrete-event engine (see engine.h for the model).
 *
 * The heap is a binary min-heap of small records by value, keyed by (time, sequence); the
 * sequence number makes the order total, so the same scenario and seed replay identically.
 * CPU work items and device jobs come from free lists: a long run allocates nothing once warm.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

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

void engine_heap_push(struct engine *e, uint64_t time_ns, engine_fn fn, void *arg)
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
    engine_heap_push(e, engine_now(e) + delay_ns, fn, arg);
}

/* ---------------------------------------------------------------------------------------------
 * Cost.
 */
uint64_t engine_copy_ns(const struct engine *e, uint64_t bytes)
{
    return bytes_ns(bytes, e->cost.copy_bandwidth);
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
        engine_heap_push(e, e->now + busy, cpu_frame_end, cpu);
    }
    cpu->f[level] = (struct frame){e->now + busy, priority_of(w->irql)};
    cpu->depth = level + 1;
    cpu->release_at = cpu->f[0].end;
    w->next = e->free_work;
    e->free_work = w;
    engine_heap_push(e, cpu->release_at, cpu_released, cpu);
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
    engine_heap_push(e, engine_now(e) + delay_ns, cpu_arrive, w);
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
    engine_heap_push(e, e->now + busy, device_finish, j);
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
    engine_heap_push(e, engine_now(e) + e->dev[device].p.latency_ns, device_arrive, j);
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

    e->running++;
    while (e->heap_len > 0 && e->halted == NULL) {
        struct event ev;

        if (until_ns != 0 && e->heap[0].time_ns > until_ns)
            break;
        if ((ran % STOP_CHECK_EVERY) == 0 && stop != NULL && *stop)
            break;
        if ((ran % STOP_CHECK_EVERY) == 0 && ran > 0 && e->watch != NULL) {
            const char *why = e->watch(e->watch_ctx, e->now);
            if (why != NULL) {
                e->halted = why;
                e->halted_at = e->now;
                break;
            }
        }
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
    e->running--;
    e->events += ran;
    return ran;
}

void engine_watch(struct engine *e, const char *(*watch)(void *ctx, uint64_t now_ns), void *ctx)
{
    e->watch = watch;
    e->watch_ctx = ctx;
}

void engine_run_until(struct engine *e, bool (*done)(void *), void *arg)
{
    uint64_t ran = 0;

    /* inside an event the time of other events has not come: nothing is run out of turn */
    if (e->running > 0)
        return;
    e->running++;
    while (e->heap_len > 0 && e->halted == NULL && !done(arg)) {
        struct event ev = heap_pop(e);
        e->now = ev.time_ns;
        e->tag = ev.tag;
        ev.fn(ev.arg);
        ran++;
    }
    e->running--;
    e->events += ran;
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
