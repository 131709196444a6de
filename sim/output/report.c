/*
 * report.c - write a run's result as text, JSON or CSV.
 *
 * JSON goes through json.h's small writer (why it is hand-written is said there).
 */
#include <inttypes.h>
#include <string.h>

#include "dmasim/adapter.h"
#include "json.h"
#include "report.h"
#include "units.h"

int report_format_parse(const char *name)
{
    if (strcmp(name, "text") == 0)
        return REPORT_TEXT;
    if (strcmp(name, "json") == 0)
        return REPORT_JSON;
    if (strcmp(name, "csv") == 0)
        return REPORT_CSV;
    return -1;
}

/* ---------------------------------------------------------------------------------------------
 * Figures derived from a device's counters: one definition for every format.
 */
struct derived {
    uint64_t elapsed_ns;
    double throughput, iops;
    uint64_t p50, p99, max, mean;
    uint64_t cpu_total, cpu_per_io;
    double bounced_share;
    double elements_per_transfer;
};

static void derive(const struct run_device *d, struct derived *x)
{
    memset(x, 0, sizeof(*x));
    if (d->ios > 0 && d->last_complete_ns > 0)
        x->elapsed_ns = d->last_complete_ns;
    if (x->elapsed_ns > 0) {
        x->throughput = (double)d->bytes * 1e9 / (double)x->elapsed_ns;
        x->iops = (double)(d->ios - d->failed) * 1e9 / (double)x->elapsed_ns;
    }
    x->p50 = hist_quantile(&d->latency, 0.50);
    x->p99 = hist_quantile(&d->latency, 0.99);
    x->max = d->latency.max;
    x->mean = hist_mean(&d->latency);
    for (int c = 0; c < CPU_CATEGORY_COUNT; c++)
        x->cpu_total += d->cpu_ns[c];
    x->cpu_per_io = d->ios ? x->cpu_total / d->ios : 0;
    x->bounced_share = d->hal.pages_mapped ? (double)d->hal.pages_bounced /
                                                 (double)d->hal.pages_mapped
                                           : 0.0;
    x->elements_per_transfer = d->hal.sg_lists_built ? (double)d->hal.sg_elements /
                                                           (double)d->hal.sg_lists_built
                                                     : 0.0;
}

/* ---------------------------------------------------------------------------------------------
 * Text.
 */
/* Does the scenario inject any fault? */
static bool faults_on(const struct scenario *s)
{
    return s->faults.pool || s->faults.mdl || s->faults.common_buffer ||
           s->faults.contiguous || s->faults.map_registers || s->faults.interrupts ||
           s->faults.device_errors || s->faults.spurious_interrupts || s->faults.stalls;
}

/* The kinds of fault, as the [faults] keys and the JSON name them, and in words. */
static const char *const fault_key[DMS_FAULT_COUNT] = {
    "pool", "mdl", "common_buffer", "contiguous", "map_registers", "interrupts",
    "device_errors", "spurious_interrupts", "stalls"};
static const char *const fault_words[DMS_FAULT_COUNT] = {
    "pool allocations", "MDLs", "common buffers", "contiguous allocations",
    "map-register requests", "interrupts lost", "device errors", "spurious interrupts",
    "engine stalls"};
_Static_assert(DMS_FAULT_COUNT == 9, "a name for every kind of fault");

static uint64_t faults_of(const struct run_device *d)
{
    uint64_t n = 0;

    for (int k = 0; k < DMS_FAULT_COUNT; k++)
        n += d->hal.faults_injected[k];
    return n;
}

/* How the device's driver coped with what was injected into its calls, in a word. */
static const char *fault_verdict(const struct run_device *d)
{
    if (d->lost > 0)
        return "hung";
    if (d->leaks > 0)
        return "leaked";
    if (faults_of(d) == 0)
        return "untouched";
    return "coped";
}

static void text_faults(FILE *out, const struct run_device *d)
{
    uint64_t n = faults_of(d);
    const char *v = fault_verdict(d);
    const char *sep = "";

    fprintf(out, "  faults          %" PRIu64 " injected into its calls", n);
    if (n > 0) {
        fprintf(out, " (");
        for (int k = 0; k < DMS_FAULT_COUNT; k++)
            if (d->hal.faults_injected[k] > 0) {
                fprintf(out, "%s%" PRIu64 " %s", sep, d->hal.faults_injected[k], fault_words[k]);
                sep = ", ";
            }
        fprintf(out, ")");
    }
    fprintf(out, ": %" PRIu64 " I/Os failed with an error status, %" PRIu64 " hung, %" PRIu64
            " leaks found", d->failed, d->lost, d->leaks);
    if (d->hal.faults_injected[DMS_FAULT_SPURIOUS_INTERRUPT] > 0)
        fprintf(out, "; its ISR claimed %" PRIu64 " of the %" PRIu64 " spurious interrupts "
                "(found work its device had posted since) and declined the rest",
                d->hal.spurious_claimed, d->hal.faults_injected[DMS_FAULT_SPURIOUS_INTERRUPT]);
    if (strcmp(v, "hung") == 0)
        fprintf(out, ". The driver HUNG %" PRIu64 " I/O(s): it kept no timeout of its own\n",
                d->lost);
    else if (strcmp(v, "leaked") == 0)
        fprintf(out, ". The driver LEAKED what the findings name\n");
    else if (strcmp(v, "untouched") == 0)
        fprintf(out, ". Nothing was injected into its calls\n");
    else
        fprintf(out, ". The driver coped: every fault failed an I/O cleanly or cost none\n");
}

static void text_device(FILE *out, const struct run_device *d, bool total, bool faults,
                        bool stopped)
{
    struct derived x;
    char a[32], b[32], c[32], e[32];

    derive(d, &x);
    if (!total)
        fprintf(out, "\ndevice %s: %s, pattern %s, %u address lines (driver declares %u), %s, "
                "max transfer %u bytes\n", d->name, d->adapter, d->pattern, d->address_bits,
                d->declared_bits, d->scatter_gather ? "scatter/gather" : "no scatter/gather",
                d->max_transfer);
    else
        fprintf(out, "\ntotal\n");
    units_format_size(d->bytes, a, sizeof(a));
    units_format_time(x.elapsed_ns, b, sizeof(b));
    if (d->ioctls > 0)
        fprintf(out, "  transfers       %" PRIu64 " I/Os (%" PRIu64 " reads, %" PRIu64
                " writes, %" PRIu64 " IOCTLs, %" PRIu64 " failed), %s in %s virtual\n", d->ios,
                d->reads, d->writes, d->ioctls, d->failed, a, b);
    else
        fprintf(out, "  transfers       %" PRIu64 " I/Os (%" PRIu64 " reads, %" PRIu64
                " writes, %" PRIu64 " failed), %s in %s virtual\n", d->ios, d->reads,
                d->writes, d->failed, a, b);
    if (d->failed > 0)
        fprintf(out, "  first failure   status 0x%08x\n", (unsigned)d->first_failure);
    if (d->lost > 0)
        fprintf(out, "  LOST            %" PRIu64 " I/Os never completed: %s while the driver "
                "held their IRPs (it never called IoCompleteRequest for them)\n", d->lost,
                stopped ? "the I/O watchdog stopped the run" : "nothing was left to happen");
    for (uint32_t i = 0; i < d->n_lost_where; i++)
        fprintf(out, "    lost I/O %u: %s\n", i + 1, d->lost_where[i]);
    if (faults)
        text_faults(out, d);
    units_format_bandwidth(x.throughput, a, sizeof(a));
    fprintf(out, "  throughput      %s, %.0f IOPS\n", a, x.iops);
    units_format_time(x.p50, a, sizeof(a));
    units_format_time(x.p99, b, sizeof(b));
    units_format_time(x.max, c, sizeof(c));
    units_format_time(x.mean, e, sizeof(e));
    fprintf(out, "  latency         p50 %s, p99 %s, max %s (mean %s)\n", a, b, c, e);
    units_format_time(x.cpu_per_io, a, sizeof(a));
    fprintf(out, "  CPU per I/O     %s:", a);
    for (int k = 0; k < CPU_CATEGORY_COUNT; k++) {
        units_format_time(d->ios ? d->cpu_ns[k] / d->ios : 0, b, sizeof(b));
        fprintf(out, "%s %s %s", k ? "," : "", cpu_category_name((enum cpu_category)k), b);
    }
    fprintf(out, "\n");
    units_format_size(d->hal.bytes_bounced_to_device, a, sizeof(a));
    units_format_size(d->hal.bytes_bounced_from_device, b, sizeof(b));
    fprintf(out, "  bounced         %" PRIu64 " of %" PRIu64 " pages (%.1f%%: %" PRIu64
            " above the device's reach, %" PRIu64 " for contiguity", d->hal.pages_bounced,
            d->hal.pages_mapped, 100.0 * x.bounced_share, d->hal.pages_bounced_above_limit,
            d->hal.pages_bounced_contiguity);
    if (d->hal.pages_bounced_verifier > 0)
        fprintf(out, ", %" PRIu64 " by the verifier", d->hal.pages_bounced_verifier);
    fprintf(out, "); %s copied to the device, %s from it\n", a, b);
    units_format_time(d->hal.map_register_wait_ns, a, sizeof(a));
    fprintf(out, "  map registers   %u granted by IoGetDmaAdapter, peak in use %" PRIu64
            ", %" PRIu64 " waits (%s waited)\n", d->map_registers_granted,
            d->hal.map_registers_peak, d->hal.map_register_waits, a);
    fprintf(out, "  S/G elements    %.2f per list (%" PRIu64 " lists); %" PRIu64
            " device transfers\n", x.elements_per_transfer, d->hal.sg_lists_built,
            d->dma_transfers);
    if (d->device_idle_ns > 0 && d->ios > 0) {
        units_format_time(d->device_idle_ns / d->ios, a, sizeof(a));
        fprintf(out, "  rounds          %.2f device transfers per I/O; the device idle %s per "
                "I/O between them, waiting for its driver to start the next\n",
                (double)d->dma_transfers / (double)d->ios, a);
    }
    if (d->has_frames) {
        const struct dms_frame_stats *f = &d->frames;
        units_format_size(f->frames_done ? (d->hal.bytes_bounced_to_device +
                                            d->hal.bytes_bounced_from_device) / f->frames_done
                                         : 0, a, sizeof(a));
        fprintf(out, "  frames          %" PRIu64 " captured, %" PRIu64 " dropped (no buffer "
                "ready), %" PRIu64 " late (delivered over a frame interval after written)",
                f->frames_done, f->frames_dropped, d->frames_late);
        if (!total && f->interval_ns > 0)
            fprintf(out, ", at %.2f a second", 1e9 / (double)f->interval_ns);
        fprintf(out, "; %s bounced per frame\n", a);
        fprintf(out, "  frame locks     %" PRIu64 " tried, %" PRIu64 " failed; %.1f map "
                "registers held a locked frame", f->lock_attempts, f->lock_failures,
                f->frames_mapped ? (double)f->map_registers_mapped / (double)f->frames_mapped
                                 : 0.0);
        if (!total)
            fprintf(out, ", %" PRIu64 " at most (%" PRIu64 " frames locked at once)",
                    f->map_registers_peak, f->locked_peak);
        fprintf(out, "; %.2f KSMAPPINGs a frame",
                f->frames_mapped ? (double)f->mappings / (double)f->frames_mapped : 0.0);
        if (!total)
            fprintf(out, "; adapter registered by %s", f->registered_ex
                                                          ? "RegisterAdapterObjectEx"
                                                          : "KsDeviceRegisterAdapterObject");
        if (!total && f->registered_ex)
            fprintf(out, " (%u map registers)", f->registered_map_registers);
        fprintf(out, "\n");
    }
    units_format_size(d->common_buffer_bytes, a, sizeof(a));
    units_format_time(d->engine.queue_ns, b, sizeof(b));
    fprintf(out, "  common buffers  %s; device engine busy %.1f%%, %" PRIu64
            " transfers queued (%s)\n", a,
            x.elapsed_ns ? 100.0 * (double)d->engine.busy_ns / (double)x.elapsed_ns : 0.0,
            d->engine.queued, b);
    if (d->engine.iotlb_misses > 0) {
        units_format_time(d->engine.iotlb_walk_ns, a, sizeof(a));
        fprintf(out, "  IOTLB           %" PRIu64 " misses, %.2f per device transfer; their page "
                "walks kept the device %s (%.1f%% of its busy time)\n", d->engine.iotlb_misses,
                d->engine.transfers ? (double)d->engine.iotlb_misses /
                                          (double)d->engine.transfers : 0.0, a,
                d->engine.busy_ns ? 100.0 * (double)d->engine.iotlb_walk_ns /
                                        (double)d->engine.busy_ns : 0.0);
    }
    if (d->hal.cache_lines_cleaned + d->hal.cache_lines_invalidated +
            d->hal.stale_bytes_to_device + d->hal.stale_bytes_to_cpu > 0) {
        units_format_size(d->hal.stale_bytes_to_device, a, sizeof(a));
        units_format_size(d->hal.stale_bytes_to_cpu, b, sizeof(b));
        fprintf(out, "  CPU cache       %" PRIu64 " lines cleaned, %" PRIu64 " invalidated; "
                "stale data: %s read by the device, %s by the CPU\n",
                d->hal.cache_lines_cleaned, d->hal.cache_lines_invalidated, a, b);
    }
    fprintf(out, "  integrity       %" PRIu64 " verified, %" PRIu64 " mismatches; %" PRIu64
            " I/Os with stray device accesses; %" PRIu64 " findings\n", d->verified,
            d->mismatches, d->stray_ios, d->findings);
    for (uint64_t i = 0; i < d->mismatches && i < RUN_MISMATCH_DETAILS; i++)
        fprintf(out, "    mismatch I/O #%" PRIu64 " (%s %u bytes at %" PRIu64 "): %s\n",
                d->mismatch[i].serial, d->mismatch[i].write ? "write" : "read",
                d->mismatch[i].bytes, d->mismatch[i].offset, d->mismatch[i].cause);
}

static void text_report(FILE *out, const struct run_result *r, bool with_host)
{
    const struct scenario *s = r->scenario;
    char mem[32], top[24], t[32];

    units_format_size(s->machine.memory, mem, sizeof(mem));
    dms_format_address(r->top_address, top);
    fprintf(out, "dmasim run %s\nseed %" PRIu64 ", data %s, %s of RAM (top %s), %u CPUs\n",
            s->path, r->seed, r->metadata ? "metadata" : "full", mem, top,
            (unsigned)s->machine.cpus);
    if (r->interrupted)
        fprintf(out, "INTERRUPTED: no new I/O after the stop; in-flight I/O drained. Partial "
                "results.\n");
    if (r->stopped[0] != '\0') {
        char at[32];
        units_format_time(r->stopped_ns, at, sizeof(at));
        fprintf(out, "STOPPED at %s of virtual time: %s. The I/Os still out are lost.\n", at,
                r->stopped);
    }
    for (uint32_t i = 0; i < r->n_devices; i++)
        text_device(out, &r->devices[i], false, faults_on(s), r->stopped[0] != '\0');
    if (r->n_devices > 1)
        text_device(out, &r->total, true, faults_on(s), r->stopped[0] != '\0');
    units_format_time(r->elapsed_ns, t, sizeof(t));
    fprintf(out, "\nCPUs busy %.1f%% of %s virtual\n",
            r->elapsed_ns ? 100.0 * (double)r->cpu_busy_ns /
                                ((double)r->elapsed_ns * (double)s->machine.cpus)
                          : 0.0, t);
    if (faults_on(s)) {
        fprintf(out, "faults injected");
        for (int k = 0; k < DMS_FAULT_COUNT; k++)
            fprintf(out, "%s %" PRIu64 " %s", k ? "," : "", r->faults[k], fault_words[k]);
        fprintf(out, " (each device's share, and how its driver coped, above)\n");
    }
    if (r->findings > 0) {
        fprintf(out, "\nfindings (%" PRIu64 "):\n", r->findings);
        for (uint32_t i = 0; i < r->n_finding_details && i < 10; i++)
            fprintf(out, "  0x%02x %s %s: %s\n", r->finding[i].code, r->finding[i].device,
                    r->finding[i].routine, r->finding[i].message);
        if (r->findings > 10)
            fprintf(out, "  ... %" PRIu64 " more in the JSON report\n", r->findings - 10);
        fprintf(out, "  (dmasim dma %s --at-finding 1 0 --flags 0x3f: the adapters as !dma "
                "shows them when the first was made)\n", s->path);
    }
    if (with_host)
        fprintf(out, "\nhost-measured (varies run to run): %.3f s wall, %" PRIu64 " events, "
                "%.0f I/Os per host second\n", r->host_ns / 1e9, r->events,
                r->host_ns ? (double)r->total.ios * 1e9 / (double)r->host_ns : 0.0);
}

/* ---------------------------------------------------------------------------------------------
 * JSON.
 */
static void json_device(struct json *j, const struct run_device *d, bool total)
{
    struct derived x;
    static const char *const cpu_keys[] = {"application", "driver", "bounce_copies",
                                           "map_registers", "mapping", "interrupt_dpc",
                                           "driver_copies"};

    derive(d, &x);
    json_open(j, total ? "total" : NULL, '{');
    json_str(j, "name", d->name);
    if (!total) {
        json_str(j, "adapter", d->adapter);
        json_str(j, "pattern", d->pattern);
        json_u64(j, "address_bits", d->address_bits);
        json_u64(j, "declared_bits", d->declared_bits);
        json_bool(j, "scatter_gather", d->scatter_gather);
        json_u64(j, "max_transfer", d->max_transfer);
    }
    json_u64(j, "ios", d->ios);
    json_u64(j, "reads", d->reads);
    json_u64(j, "writes", d->writes);
    json_u64(j, "ioctls", d->ioctls);
    json_u64(j, "failed", d->failed);
    json_u64(j, "lost", d->lost);
    json_open(j, "lost_where", '[');
    for (uint32_t i = 0; i < d->n_lost_where; i++)
        json_str(j, NULL, d->lost_where[i]);
    json_close(j, ']');
    json_open(j, "faults", '{');
    for (int k = 0; k < DMS_FAULT_COUNT; k++)
        json_u64(j, fault_key[k], d->hal.faults_injected[k]);
    json_u64(j, "spurious_claimed", d->hal.spurious_claimed);
    json_u64(j, "leaks", d->leaks);
    json_str(j, "verdict", fault_verdict(d));
    json_close(j, '}');
    json_u64(j, "first_failure_status", (uint32_t)d->first_failure);
    json_u64(j, "bytes", d->bytes);
    json_u64(j, "elapsed_ns", x.elapsed_ns);
    json_f(j, "throughput_bytes_per_s", x.throughput);
    json_f(j, "iops", x.iops);
    json_open(j, "latency_ns", '{');
    json_u64(j, "p50", x.p50);
    json_u64(j, "p99", x.p99);
    json_u64(j, "max", x.max);
    json_u64(j, "mean", x.mean);
    json_close(j, '}');
    json_open(j, "cpu_ns", '{');
    json_u64(j, "total", x.cpu_total);
    json_u64(j, "per_io", x.cpu_per_io);
    for (int c = 0; c < CPU_CATEGORY_COUNT; c++)
        json_u64(j, cpu_keys[c], d->cpu_ns[c]);
    json_close(j, '}');
    json_open(j, "bounce", '{');
    json_u64(j, "pages_mapped", d->hal.pages_mapped);
    json_u64(j, "pages_bounced", d->hal.pages_bounced);
    json_u64(j, "pages_bounced_above_limit", d->hal.pages_bounced_above_limit);
    json_u64(j, "pages_bounced_contiguity", d->hal.pages_bounced_contiguity);
    json_u64(j, "pages_bounced_verifier", d->hal.pages_bounced_verifier);
    json_f(j, "bounced_share", x.bounced_share);
    json_u64(j, "bytes_to_device", d->hal.bytes_bounced_to_device);
    json_u64(j, "bytes_from_device", d->hal.bytes_bounced_from_device);
    json_close(j, '}');
    json_open(j, "map_registers", '{');
    json_u64(j, "granted_by_adapter", d->map_registers_granted);
    json_u64(j, "requests", d->hal.map_register_requests);
    json_u64(j, "granted", d->hal.map_registers_granted);
    json_u64(j, "peak", d->hal.map_registers_peak);
    json_u64(j, "waits", d->hal.map_register_waits);
    json_u64(j, "wait_ns", d->hal.map_register_wait_ns);
    json_close(j, '}');
    json_open(j, "scatter_gather", '{');
    json_u64(j, "lists", d->hal.sg_lists_built);
    json_u64(j, "elements", d->hal.sg_elements);
    json_f(j, "elements_per_list", x.elements_per_transfer);
    json_u64(j, "map_calls", d->hal.map_calls);
    json_u64(j, "device_transfers", d->dma_transfers);
    json_u64(j, "device_idle_ns", d->device_idle_ns);
    json_close(j, '}');
    json_u64(j, "common_buffer_bytes", d->common_buffer_bytes);
    if (d->has_frames) {
        const struct dms_frame_stats *f = &d->frames;
        json_open(j, "frames", '{');
        json_u64(j, "captured", f->frames_done);
        json_u64(j, "dropped", f->frames_dropped);
        json_u64(j, "late", d->frames_late);
        json_u64(j, "interval_ns", f->interval_ns);
        json_u64(j, "lock_attempts", f->lock_attempts);
        json_u64(j, "lock_failures", f->lock_failures);
        json_u64(j, "frames_mapped", f->frames_mapped);
        json_u64(j, "map_registers_mapped", f->map_registers_mapped);
        json_u64(j, "map_registers_peak", f->map_registers_peak);
        json_u64(j, "locked_peak", f->locked_peak);
        json_u64(j, "mappings", f->mappings);
        json_str(j, "registration", f->registered_ex ? "ex" : "legacy");
        json_u64(j, "registered_map_registers", f->registered_map_registers);
        json_close(j, '}');
    }
    json_open(j, "cache", '{');
    json_u64(j, "lines_cleaned", d->hal.cache_lines_cleaned);
    json_u64(j, "lines_invalidated", d->hal.cache_lines_invalidated);
    json_u64(j, "stale_bytes_to_device", d->hal.stale_bytes_to_device);
    json_u64(j, "stale_bytes_to_cpu", d->hal.stale_bytes_to_cpu);
    json_close(j, '}');
    json_open(j, "device_engine", '{');
    json_u64(j, "busy_ns", d->engine.busy_ns);
    json_u64(j, "transfers", d->engine.transfers);
    json_u64(j, "queued", d->engine.queued);
    json_u64(j, "queue_ns", d->engine.queue_ns);
    json_u64(j, "iotlb_misses", d->engine.iotlb_misses);
    json_u64(j, "iotlb_walk_ns", d->engine.iotlb_walk_ns);
    json_u64(j, "bytes_from_memory", d->hal.device_bytes_read);
    json_u64(j, "bytes_to_memory", d->hal.device_bytes_written);
    json_close(j, '}');
    json_open(j, "integrity", '{');
    json_u64(j, "verified", d->verified);
    json_u64(j, "mismatches", d->mismatches);
    json_u64(j, "stray_ios", d->stray_ios);
    json_u64(j, "stray_accesses", d->hal.stray_accesses);
    json_u64(j, "findings", d->findings);
    json_open(j, "details", '[');
    for (uint64_t i = 0; i < d->mismatches && i < RUN_MISMATCH_DETAILS; i++) {
        const struct run_mismatch *m = &d->mismatch[i];
        json_open(j, NULL, '{');
        json_u64(j, "io", m->serial);
        json_str(j, "op", m->write ? "write" : "read");
        json_u64(j, "offset", m->offset);
        json_u64(j, "bytes", m->bytes);
        json_u64(j, "expected_crc32", m->expected_crc);
        json_u64(j, "got_crc32", m->got_crc);
        json_str(j, "cause", m->cause);
        json_close(j, '}');
    }
    json_close(j, ']');
    json_close(j, '}');
    json_close(j, '}');
}

static void json_report(FILE *out, const struct run_result *r, bool with_host)
{
    struct json j = {out, 0, true};

    json_open(&j, NULL, '{');
    json_str(&j, "schema", REPORT_SCHEMA);
    json_str(&j, "dmasim_version", DMASIM_VERSION);
    json_str(&j, "scenario", r->scenario->path);
    json_u64(&j, "seed", r->seed);
    json_str(&j, "data", r->metadata ? "metadata" : "full");
    json_bool(&j, "interrupted", r->interrupted);
    if (r->stopped[0] != '\0') { /* only a run the I/O watchdog stopped has these */
        json_str(&j, "stopped", r->stopped);
        json_u64(&j, "stopped_ns", r->stopped_ns);
    }
    json_u64(&j, "elapsed_ns", r->elapsed_ns);
    json_u64(&j, "top_address", r->top_address);
    json_u64(&j, "cpus", r->scenario->machine.cpus);
    json_u64(&j, "cpu_busy_ns", r->cpu_busy_ns);
    json_u64(&j, "unattributed_cpu_ns", r->unattributed_cpu_ns);
    json_config(&j, "config", r->scenario);
    json_open(&j, "devices", '[');
    for (uint32_t i = 0; i < r->n_devices; i++)
        json_device(&j, &r->devices[i], false);
    json_close(&j, ']');
    json_device(&j, &r->total, true);
    json_open(&j, "faults_injected", '{');
    for (int k = 0; k < DMS_FAULT_COUNT; k++)
        json_u64(&j, fault_key[k], r->faults[k]);
    json_close(&j, '}');
    json_open(&j, "findings", '{');
    json_u64(&j, "count", r->findings);
    json_open(&j, "list", '[');
    for (uint32_t i = 0; i < r->n_finding_details; i++) {
        json_open(&j, NULL, '{');
        json_u64(&j, "code", r->finding[i].code);
        json_str(&j, "device", r->finding[i].device);
        json_str(&j, "routine", r->finding[i].routine);
        json_u64(&j, "time_ns", r->finding[i].time_ns);
        json_str(&j, "message", r->finding[i].message);
        json_close(&j, '}');
    }
    json_close(&j, ']');
    json_close(&j, '}');
    if (with_host) {
        json_open(&j, "host", '{');
        json_u64(&j, "wall_ns", r->host_ns);
        json_u64(&j, "events", r->events);
        json_close(&j, '}');
    }
    json_close(&j, '}');
    fputc('\n', out);
}

/* ---------------------------------------------------------------------------------------------
 * CSV.
 */
static void csv_row(FILE *out, const struct run_device *d, bool total)
{
    struct derived x;

    derive(d, &x);
    fprintf(out, "%s,%s,%s,%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.3f,%.3f,%"
            PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, d->name, total ? "" : d->adapter,
            total ? "" : d->pattern, total ? 0 : d->address_bits, total ? 0 : d->declared_bits,
            d->ios, d->failed, d->bytes, x.elapsed_ns, x.throughput, x.iops, x.p50, x.p99,
            x.max, x.cpu_per_io);
    fprintf(out, ",%" PRIu64, d->lost);
    for (int c = 0; c < CPU_CATEGORY_COUNT; c++)
        fprintf(out, ",%" PRIu64, d->ios ? d->cpu_ns[c] / d->ios : 0);
    fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%.6f,%" PRIu64 ",%" PRIu64 ",%u,%" PRIu64 ",%" PRIu64
            ",%" PRIu64 ",%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64,
            d->hal.pages_mapped, d->hal.pages_bounced, x.bounced_share,
            d->hal.bytes_bounced_to_device, d->hal.bytes_bounced_from_device,
            d->map_registers_granted, d->hal.map_registers_peak, d->hal.map_register_waits,
            d->hal.map_register_wait_ns, x.elements_per_transfer, d->common_buffer_bytes,
            d->verified, d->mismatches, d->stray_ios, d->findings);
    fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
            d->hal.cache_lines_cleaned, d->hal.cache_lines_invalidated,
            d->hal.stale_bytes_to_device, d->hal.stale_bytes_to_cpu);
}

static void csv_report(FILE *out, const struct run_result *r)
{
    fputs("device,adapter,pattern,address_bits,declared_bits,ios,failed,bytes,elapsed_ns,"
          "throughput_bytes_per_s,iops,latency_p50_ns,latency_p99_ns,latency_max_ns,"
          "cpu_per_io_ns,lost", out);
    for (int c = 0; c < CPU_CATEGORY_COUNT; c++)
        fprintf(out, ",cpu_%s_per_io_ns", cpu_category_name((enum cpu_category)c));
    fputs(",pages_mapped,pages_bounced,bounced_share,bytes_bounced_to_device,"
          "bytes_bounced_from_device,map_registers_granted,map_registers_peak,"
          "map_register_waits,map_register_wait_ns,sg_elements_per_list,common_buffer_bytes,"
          "verified,mismatches,stray_ios,findings,cache_lines_cleaned,cache_lines_invalidated,"
          "stale_bytes_to_device,stale_bytes_to_cpu\n", out);
    for (uint32_t i = 0; i < r->n_devices; i++)
        csv_row(out, &r->devices[i], false);
    csv_row(out, &r->total, true);
}

void report_write(FILE *out, const struct run_result *r, enum report_format format,
                  bool with_host)
{
    switch (format) {
    case REPORT_JSON:
        json_report(out, r, with_host);
        break;
    case REPORT_CSV:
        csv_report(out, r);
        break;
    default:
        text_report(out, r, with_host);
        break;
    }
}
