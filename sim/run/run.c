/*
 * run.c - one run: build the machine, the engine and every device, drive the workloads,
 * collect the figures, tear down (see run.h).
 *
 * The engine implements the HAL's platform interface; each device gets a bus (run_int.h)
 * through which its model reaches the engine: its DMA engines, its interrupt (an ISR on a CPU
 * at device IRQL), the CPU cost of a driver's own copies, and the completion of an I/O.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libdeflate.h>

#include "run_int.h"
#include "units.h"


static uint64_t host_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------------------------------------
 * The bus each device model is given.
 */
static void bus_device_work(void *ctx, uint64_t bytes, uint32_t descriptors, void (*done)(void *),
                            void *arg)
{
    struct sim_device *d = ctx;

    engine_device_work(d->run->engine, d->index, bytes, descriptors, done, arg);
}

static uint64_t bus_context(void *ctx)
{
    return engine_tag(((struct sim_device *)ctx)->run->engine);
}

static void bus_set_context(void *ctx, uint64_t context)
{
    engine_set_tag(((struct sim_device *)ctx)->run->engine, context);
}

static uint64_t bus_now(void *ctx)
{
    return engine_now(((struct sim_device *)ctx)->run->engine);
}

static void bus_after(void *ctx, uint64_t delay_ns, void (*fn)(void *), void *arg)
{
    struct sim_device *d = ctx;

    engine_at(d->run->engine, delay_ns, fn, arg);
}

static void bus_post(void *ctx, void (*fn)(void *), void *arg)
{
    struct sim_device *d = ctx;

    engine_at(d->run->engine, 0, fn, arg);
}

/* The CRC-32 of gzip and zlib (libdeflate computes the same value, with carry-less multiply
 * where the CPU has it): the checksum every payload in full data mode is checked with. */
static uint32_t bus_crc32(uint32_t crc, const void *buf, size_t len)
{
    return libdeflate_crc32(crc, buf, len);
}

static void device_init(struct sim_run *run, uint32_t i, struct run_device *out)
{
    struct sim_device *d = &run->devices[i];
    const struct scenario *s = run->s;

    d->run = run;
    d->index = i;
    d->cfg = &s->devices[i];
    d->wl = &s->workloads[d->cfg->workload];
    d->kind = dms_adapter_kinds[d->cfg->adapter];
    d->out = out;
    d->bus = (struct dms_bus){d,         run->full,   bus_device_work, bus_post,
                              bus_crc32, bus_context, bus_set_context, bus_now,
                              bus_after};
    snprintf(out->name, sizeof(out->name), "%s", d->cfg->name);
    out->adapter = d->kind->name;
    /* a driver of the user's has its own calling pattern: the report names the driver */
    out->pattern = d->cfg->driver_path[0] != '\0'
                       ? d->cfg->driver
                       : dms_pattern_name((enum dms_pattern)d->cfg->pattern);
    out->address_bits = (unsigned)d->cfg->address_bits;
    out->declared_bits = (unsigned)d->cfg->declared_bits;
    out->scatter_gather = d->cfg->scatter_gather != 0;
    out->max_transfer = (uint32_t)d->cfg->max_transfer;
    out->first_submit_ns = UINT64_MAX;
    if (d->kind->frames && d->cfg->frame_rate > 0)
        out->frame_interval_ns = 1000000000ull / d->cfg->frame_rate;
    hist_init(&out->latency);
}

static int device_attach(struct sim_run *run, uint32_t i, char *why, size_t len)
{
    struct sim_device *d = &run->devices[i];
    struct dms_device_settings set;
    struct dms_adapter_info info;
    struct engine_device_params p;
    char reason[200] = "";

    scenario_device_settings(run->s, i, &set);
    if (wdm_attach(d, &set, reason, sizeof(reason)) != 0) {
        snprintf(why, len, "[device %s]: %s", d->cfg->name, reason);
        return -1;
    }
    if (dms_adapter_info(d->adapter, &info) == 0) {
        engine_bind_adapter(run->engine, info.id, i);
        d->out->map_registers_granted = info.map_registers_max;
    }
    p.engines = (uint32_t)d->cfg->engines;
    p.latency_ns = d->cfg->latency;
    p.link_bandwidth = d->cfg->link_bandwidth;
    p.descriptor_ns = run->s->cost.descriptor_ns;
    engine_device_setup(run->engine, i, &p);
    return workload_setup(d, why, len);
}

/* An adapter a WDM driver got, whenever it got it: its charges are its card's, and the map
 * registers IoGetDmaAdapter granted it count for the card's report (the most any of its
 * adapters got: a driver may get one per request and put it back at the end). */
static void adapter_created(void *ctx, uint32_t adapter_id, const char *device,
                            uint32_t map_registers)
{
    struct sim_run *run = ctx;

    for (uint32_t i = 0; device != NULL && i < run->n_devices; i++)
        if (strcmp(run->devices[i].cfg->name, device) == 0) {
            engine_bind_adapter(run->engine, adapter_id, i);
            if (map_registers > run->devices[i].out->map_registers_granted)
                run->devices[i].out->map_registers_granted = map_registers;
        }
}

static int build(struct sim_run *run, char *why, size_t len)
{
    const struct scenario *s = run->s;
    struct dms_machine_config cfg;
    struct dms_platform plat;
    int err;

    run->engine = engine_create((uint32_t)s->machine.cpus, &s->cost, s->n_devices);
    /* a workload that runs for a duration never ends if its I/Os take no virtual time */
    for (uint32_t i = 0; run->engine != NULL && i < s->n_workloads; i++)
        if (s->workloads[i].duration > 0)
            engine_limit_stall(run->engine, 10000000);
    run->devices = calloc(s->n_devices, sizeof(*run->devices));
    run->result->devices = calloc(s->n_devices, sizeof(*run->result->devices));
    if (run->engine == NULL || run->devices == NULL || run->result->devices == NULL) {
        snprintf(why, len, "out of host memory");
        return -1;
    }
    if (run->obs != NULL)
        engine_observe(run->engine, &run->obs->engine);
    engine_platform(run->engine, &plat);
    engine_on_adapter_created(run->engine, adapter_created, run);
    scenario_machine_config(s, &cfg);
    cfg.call_events = run->obs != NULL && run->obs->call_events;
    err = dms_machine_create(&cfg, &plat, &run->machine);
    if (err != 0) {
        snprintf(why, len, "the machine could not be built: %s", dms_strerror(err));
        return -1;
    }
    dms_machine_enter(run->machine);
    if (!run->s->faults.during_start)
        dms_faults_hold(run->machine, true); /* until the workload starts (run_scenario) */
    engine_set_machine(run->engine, run->machine);
    run->n_devices = s->n_devices;
    run->result->n_devices = s->n_devices;
    for (uint32_t i = 0; i < s->n_devices; i++)
        device_init(run, i, &run->result->devices[i]);
    for (uint32_t i = 0; i < s->n_devices; i++)
        if (device_attach(run, i, why, len) != 0)
            return -1;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Collecting.
 */
/* A request still out at the end: one of this device's workload slots? Then where it stopped. */
static void lost_one(void *ctx, void *done_ctx, PIRP irp, const char *where)
{
    struct sim_device *d = ctx;
    struct run_device *out = d->out;
    uintptr_t p = (uintptr_t)done_ctx, lo = (uintptr_t)d->slots;

    (void)irp;
    if (d->slots == NULL || p < lo || p >= lo + d->wl->queue_depth * sizeof(*d->slots) ||
        out->n_lost_where >= RUN_LOST_DETAILS)
        return;
    snprintf(out->lost_where[out->n_lost_where++], sizeof(out->lost_where[0]), "%s", where);
}

static void collect_device(struct sim_run *run, struct sim_device *d)
{
    struct run_device *out = d->out;
    struct dms_adapter_stats sum;
    const struct dms_adapter_stats *st = &sum;

    wdm_stats(d, &sum);

    for (int c = 0; c < CPU_CATEGORY_COUNT; c++)
        out->cpu_ns[c] = engine_cpu_ns(run->engine, d->index, (enum cpu_category)c);
    if (st != NULL) {
        out->hal = *st;
        out->common_buffer_bytes = st->common_buffer_bytes;
    }
    out->engine = *engine_device_stats(run->engine, d->index);
    if (d->kind->hardware->frames != NULL && d->card != NULL) {
        out->has_frames = true;
        d->kind->hardware->frames(d->card, d->pdo, &out->frames);
    }
    out->lost = d->in_flight;
    out->n_lost_where = 0;
    /* a run the watchdog stopped lasted until the stop for a device with I/O still out */
    if (run->result->stopped[0] != '\0' && d->in_flight > 0 &&
        run->result->stopped_ns > out->last_complete_ns)
        out->last_complete_ns = run->result->stopped_ns;
    if (d->in_flight > 0)
        dms_irp_whereabouts(run->machine, lost_one, d);
}

static void add_device(struct run_device *t, const struct run_device *d)
{
    t->ios += d->ios;
    t->failed += d->failed;
    t->reads += d->reads;
    t->writes += d->writes;
    t->ioctls += d->ioctls;
    t->bytes += d->bytes;
    t->lost += d->lost;
    t->leaks += d->leaks;
    if (d->has_frames) {
        t->has_frames = true;
        t->frames.frames_done += d->frames.frames_done;
        t->frames.frames_dropped += d->frames.frames_dropped;
        t->frames.lock_attempts += d->frames.lock_attempts;
        t->frames.lock_failures += d->frames.lock_failures;
        t->frames.frames_mapped += d->frames.frames_mapped;
        t->frames.map_registers_mapped += d->frames.map_registers_mapped;
        t->frames.mappings += d->frames.mappings;
        t->frames_late += d->frames_late;
    }
    for (int k = 0; k < DMS_FAULT_COUNT; k++)
        t->hal.faults_injected[k] += d->hal.faults_injected[k];
    t->hal.spurious_claimed += d->hal.spurious_claimed;
    if (d->first_submit_ns < t->first_submit_ns)
        t->first_submit_ns = d->first_submit_ns;
    if (d->last_complete_ns > t->last_complete_ns)
        t->last_complete_ns = d->last_complete_ns;
    if (t->first_failure == STATUS_SUCCESS)
        t->first_failure = d->first_failure;
    hist_merge(&t->latency, &d->latency);
    for (int c = 0; c < CPU_CATEGORY_COUNT; c++)
        t->cpu_ns[c] += d->cpu_ns[c];
#define ADD(f) t->hal.f += d->hal.f
    ADD(transfers); ADD(bytes_mapped); ADD(map_calls); ADD(pages_mapped); ADD(pages_bounced);
    ADD(pages_bounced_above_limit); ADD(pages_bounced_contiguity); ADD(pages_bounced_verifier);
    ADD(bytes_bounced_to_device);
    ADD(bytes_bounced_from_device); ADD(map_register_requests); ADD(map_registers_granted);
    ADD(map_register_waits); ADD(map_register_wait_ns); ADD(sg_lists_built); ADD(sg_elements);
    ADD(device_bytes_read); ADD(device_bytes_written); ADD(stray_accesses); ADD(findings);
    ADD(cache_lines_cleaned); ADD(cache_lines_invalidated); ADD(stale_bytes_to_device);
    ADD(stale_bytes_to_cpu);
#undef ADD
    if (d->hal.map_registers_peak > t->hal.map_registers_peak)
        t->hal.map_registers_peak = d->hal.map_registers_peak;
    t->map_registers_granted += d->map_registers_granted;
    t->common_buffer_bytes += d->common_buffer_bytes;
    t->dma_transfers += d->dma_transfers;
    t->device_idle_ns += d->device_idle_ns;
    t->engine.busy_ns += d->engine.busy_ns;
    t->engine.transfers += d->engine.transfers;
    t->engine.queued += d->engine.queued;
    t->engine.queue_ns += d->engine.queue_ns;
    t->engine.latency_ns += d->engine.latency_ns;
    t->engine.iotlb_misses += d->engine.iotlb_misses;
    t->engine.iotlb_walk_ns += d->engine.iotlb_walk_ns;
    t->verified += d->verified;
    t->mismatches += d->mismatches;
    t->stray_ios += d->stray_ios;
    t->findings += d->findings;
}

static void collect_findings(struct sim_run *run)
{
    struct run_result *r = run->result;
    size_t n = dms_finding_count(run->machine); /* kept in detail; counted: every one */

    r->findings = dms_finding_total(run->machine);
    for (uint32_t j = 0; j < run->n_devices; j++)
        r->devices[j].findings = dms_finding_total_device(run->machine, r->devices[j].name);
    for (size_t i = 0; i < n; i++) {
        const struct dms_finding *f = dms_finding_get(run->machine, i);
        bool leak = (f->code >= DMS_E6_PUT_WITH_COMMON_BUFFERS &&
                     f->code <= DMS_E6_PUT_WITH_SG_LISTS) || f->code == DMS_BUGCHECK_1DC(5);
        for (uint32_t j = 0; leak && j < run->n_devices; j++)
            r->devices[j].leaks += strcmp(f->device, r->devices[j].name) == 0;
        if (r->n_finding_details < RUN_FINDING_DETAILS) {
            struct run_finding *o = &r->finding[r->n_finding_details++];
            o->code = f->code;
            o->time_ns = f->time_ns;
            snprintf(o->routine, sizeof(o->routine), "%s", f->routine ? f->routine : "");
            snprintf(o->device, sizeof(o->device), "%s", f->device);
            snprintf(o->message, sizeof(o->message), "%s", f->message);
        }
    }
}

static void totals(struct sim_run *run)
{
    struct run_result *r = run->result;

    memset(&r->total, 0, sizeof(r->total));
    snprintf(r->total.name, sizeof(r->total.name), "total");
    r->total.first_submit_ns = UINT64_MAX;
    hist_init(&r->total.latency);
    for (uint32_t i = 0; i < r->n_devices; i++)
        add_device(&r->total, &r->devices[i]);
    for (int c = 0; c < CPU_CATEGORY_COUNT; c++)
        r->unattributed_cpu_ns += engine_cpu_ns(run->engine, run->n_devices,
                                                (enum cpu_category)c);
    r->elapsed_ns = r->total.last_complete_ns;
    r->cpu_busy_ns = engine_cpu_busy_ns(run->engine);
}

/* The I/O watchdog (engine_watch): an I/O outstanding longer than [machine] io_timeout while
 * events keep coming is a livelock; the run stops and says which. */
static const char *io_watch(void *ctx, uint64_t now)
{
    struct sim_run *run = ctx;
    uint64_t limit = run->s->machine.io_timeout;

    for (uint32_t i = 0; i < run->n_devices; i++) {
        const struct sim_device *d = &run->devices[i];
        for (uint64_t k = 0; d->slots != NULL && k < d->wl->queue_depth; k++) {
            const struct wl_slot *sl = &d->slots[k];
            char took[32];
            if (!sl->busy || sl->submit_ns >= now || now - sl->submit_ns <= limit)
                continue;
            units_format_time(now - sl->submit_ns, took, sizeof(took));
            snprintf(run->watch_why, sizeof(run->watch_why),
                     "I/O #%" PRIu64 " of device %s (a %s of %u bytes) has been outstanding "
                     "for %s while the run went on: a livelock (a driver that restages a "
                     "transfer for ever, a device that never finishes); [machine] io_timeout "
                     "sets the limit", sl->io.serial, d->cfg->name,
                     sl->io.write ? "write" : "read", sl->io.bytes, took);
            return run->watch_why;
        }
    }
    return NULL;
}

static void teardown(struct sim_run *run)
{
    bool idle = true;

    for (uint32_t i = 0; i < run->n_devices; i++)
        idle = idle && run->devices[i].in_flight == 0;
    for (uint32_t i = 0; i < run->n_devices; i++)
        workload_teardown(&run->devices[i]);
    for (uint32_t i = 0; i < run->n_devices; i++) {
        struct sim_device *d = &run->devices[i];
        wdm_detach(d, idle);
    }
}

int run_scenario(const struct scenario *s, const volatile int *stop, struct run_result *r,
                 char *why, size_t len)
{
    return run_scenario_observed(s, stop, NULL, r, why, len);
}

int run_scenario_observed(const struct scenario *s, const volatile int *stop,
                          const struct run_observer *obs, struct run_result *r, char *why,
                          size_t len)
{
    static const volatile int never;
    struct sim_run run = {.s = s, .stop = stop ? stop : &never, .result = r, .obs = obs};
    struct dms_machine *prev = dms_machine_current();
    uint64_t t0;
    int rc;

    memset(r, 0, sizeof(*r));
    r->scenario = s;
    r->seed = s->machine.seed;
    r->metadata = s->machine.data == DATA_METADATA;
    run.full = !r->metadata;
    rc = build(&run, why, len);
    if (rc == 0) {
        r->top_address = dms_machine_top_address(run.machine);
        if (obs != NULL && obs->start != NULL)
            obs->start(obs->engine.ctx, run.machine);
        if (!s->faults.during_start)
            dms_faults_hold(run.machine, false); /* every device has started */
        for (uint32_t i = 0; i < run.n_devices; i++)
            workload_start(&run.devices[i]);
        if (s->machine.io_timeout > 0)
            engine_watch(run.engine, io_watch, &run);
        t0 = host_now_ns();
        if (obs != NULL && obs->at != NULL && obs->at_ns > 0) {
            engine_run(run.engine, NULL, obs->at_ns);
            obs->at(obs->engine.ctx, run.machine, engine_now(run.engine));
        }
        engine_run(run.engine, NULL, 0);
        {
            uint64_t at;
            const char *halted = engine_halted(run.engine, &at);
            if (halted != NULL && halted == run.watch_why) {
                /* a livelock: the run stops here and reports, the I/Os still out lost */
                snprintf(r->stopped, sizeof(r->stopped), "%s", halted);
                r->stopped_ns = at;
            } else if (halted != NULL) {
                char when[32];
                units_format_time(at, when, sizeof(when));
                snprintf(why, len, "the run was stopped at %s of virtual time: %s", when,
                         halted);
                rc = -1;
            }
        }
        if (obs != NULL)
            engine_observe_end(run.engine);
        if (obs != NULL && obs->end != NULL)
            obs->end(obs->engine.ctx, run.machine, engine_now(run.engine));
        r->host_ns = host_now_ns() - t0;
        r->events = engine_events(run.engine);
        r->interrupted = *run.stop != 0;
        for (uint32_t i = 0; i < run.n_devices; i++)
            collect_device(&run, &run.devices[i]);
    }
    teardown(&run);
    if (rc == 0 && s->machine.verifier)
        dms_dma_verify_end(run.machine); /* what the drivers left, as the verifier sees it */
    if (rc == 0) {
        for (int f = 0; f < DMS_FAULT_COUNT; f++)
            r->faults[f] = dms_faults_injected(run.machine, (enum dms_fault)f);
        collect_findings(&run); /* after teardown: a leak at PutDmaAdapter is a finding too */
        totals(&run);
    }
    dms_machine_destroy(run.machine);
    wdm_unload_all(&run);
    dms_machine_enter(prev);
    engine_destroy(run.engine);
    free(run.devices);
    if (rc != 0)
        run_result_free(r);
    return rc;
}

void run_result_free(struct run_result *r)
{
    for (uint32_t i = 0; r->devices != NULL && i < r->n_devices; i++)
        hist_free(&r->devices[i].latency);
    hist_free(&r->total.latency);
    free(r->devices);
    r->devices = NULL;
}
