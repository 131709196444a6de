/*
 * study_metric.c - the figures of a study's runs: one table of metrics (key, title, kind,
 * getter) that every format prints from, and how a figure and a change are printed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "study_metric.h"
#include "units.h"

static double share(uint64_t part, uint64_t whole)
{
    return whole ? (double)part / (double)whole : 0.0;
}

static double per_io(uint64_t v, uint64_t ios)
{
    return ios ? (double)v / (double)ios : 0.0;
}

#define GET(name, expr) \
    static double get_##name(const struct study_figures *f) { return (double)(expr); }
GET(ios, f->ios)
GET(failed, f->failed)
GET(throughput, f->throughput)
GET(iops, f->iops)
GET(cpu, f->cpu_per_io_ns)
GET(p50, f->p50_ns)
GET(p99, f->p99_ns)
GET(max, f->max_ns)
GET(pages_mapped, f->pages_mapped)
GET(pages_bounced, f->pages_bounced)
GET(bounced_share, share(f->pages_bounced, f->pages_mapped))
GET(above_share, share(f->pages_above_limit, f->pages_mapped))
GET(pages_per_io, per_io(f->pages_bounced, f->ios))
GET(bytes_per_io, per_io(f->bytes_bounced, f->ios))
GET(bytes_bounced, f->bytes_bounced)
GET(waits, f->map_register_waits)
GET(wait_ns, f->map_register_wait_ns)
GET(wait_per_io, per_io(f->map_register_wait_ns, f->ios))
GET(verified, f->verified)
GET(mismatches, f->mismatches)
GET(findings, f->findings)
GET(lost, f->lost)
GET(cache_per_io, per_io(f->cache_lines, f->ios))
GET(stale_bytes, f->stale_bytes)
#undef GET

const struct study_metric study_metrics[] = {
    {"ios", "I/Os", MK_COUNT, get_ios, false, false},
    {"failed", "failed I/Os", MK_COUNT, get_failed, false, false},
    {"throughput", "throughput", MK_BPS, get_throughput, true, true},
    {"iops", "IOPS", MK_RATE, get_iops, true, false},
    {"cpu_per_io_ns", "CPU per I/O", MK_NS, get_cpu, true, true},
    {"latency_p50_ns", "latency p50", MK_NS, get_p50, true, false},
    {"latency_p99_ns", "latency p99", MK_NS, get_p99, true, true},
    {"latency_max_ns", "latency max", MK_NS, get_max, false, false},
    {"pages_mapped", "pages mapped", MK_COUNT, get_pages_mapped, false, false},
    {"pages_bounced", "pages bounced", MK_COUNT, get_pages_bounced, true, false},
    {"bounced_share", "share of pages bounced", MK_SHARE, get_bounced_share, false, true},
    {"above_limit_share", "share above the device's reach", MK_SHARE, get_above_share, false,
     false},
    {"pages_bounced_per_io", "pages copied per I/O", MK_RATE, get_pages_per_io, false, false},
    {"bytes_bounced_per_io", "bytes copied per I/O", MK_BYTES, get_bytes_per_io, false, false},
    {"bytes_bounced", "bytes bounced", MK_BYTES, get_bytes_bounced, true, false},
    {"map_register_waits", "map-register waits", MK_COUNT, get_waits, true, false},
    {"map_register_wait_ns", "map-register wait time", MK_NS, get_wait_ns, true, false},
    {"map_register_wait_per_io_ns", "map-register wait per I/O", MK_NS, get_wait_per_io, false,
     true},
    {"verified", "I/Os verified", MK_COUNT, get_verified, false, false},
    {"mismatches", "data mismatches", MK_COUNT, get_mismatches, false, false},
    {"findings", "findings", MK_COUNT, get_findings, false, false},
    {"lost", "I/Os lost", MK_COUNT, get_lost, false, false},
    {"cache_lines_per_io", "cache lines maintained per I/O", MK_RATE, get_cache_per_io, true,
     false, true},
    {"stale_bytes", "bytes read stale", MK_BYTES, get_stale_bytes, false, false, true},
};
const int study_n_metrics = (int)(sizeof(study_metrics) / sizeof(study_metrics[0]));

const struct study_metric *study_metric_find(const char *key)
{
    for (int i = 0; i < study_n_metrics; i++)
        if (strcmp(study_metrics[i].key, key) == 0)
            return &study_metrics[i];
    return NULL;
}



void study_format(enum metric_kind kind, double v, char *out, size_t len)
{
    switch (kind) {
    case MK_COUNT:
        snprintf(out, len, "%.0f", v);
        break;
    case MK_RATE:
        snprintf(out, len, v >= 100 ? "%.0f" : "%.2f", v);
        break;
    case MK_NS:
        units_format_time((uint64_t)llround(v), out, len);
        break;
    case MK_BPS:
        units_format_bandwidth(v, out, len);
        break;
    case MK_BYTES:
        units_format_size((uint64_t)llround(v), out, len);
        break;
    case MK_SHARE:
        snprintf(out, len, "%.1f %%", v * 100.0);
        break;
    }
}

/* The relative change of v against base; 0 when both are 0. */
double study_change(double base, double v)
{
    if (base == 0.0)
        return v == 0.0 ? 0.0 : INFINITY;
    return (v - base) / base;
}

void study_format_change(double base, double v, char *out, size_t len)
{
    double c = study_change(base, v);

    if (isinf(c))
        snprintf(out, len, "from 0");
    else if (fabs(c) < 0.0005)
        snprintf(out, len, "same");
    else
        snprintf(out, len, "%+.1f %%", c * 100.0);
}

const struct study_figures *study_figures_at(const struct study *st, uint32_t point,
                                             uint32_t v)
{
    const struct study_run *r = study_get(st, point, v);

    return r != NULL && r->state == RUN_DONE ? &r->fig : NULL;
}

const char *study_flaw(const struct study_figures *f)
{
    if (f->mismatches > 0 || f->stale_bytes > 0)
        return "wrong data";
    if (f->lost > 0)
        return "I/O lost";
    if (f->findings > 0)
        return "findings";
    return NULL;
}

void study_unit(enum metric_kind kind, double most, double *per, const char **name)
{
    static const struct {
        double per;
        const char *name;
    } ns[] = {{1, "ns"}, {1e3, "\xc2\xb5s"}, {1e6, "ms"}, {1e9, "s"}},
      bps[] = {{1, "B/s"}, {1e3, "KB/s"}, {1e6, "MB/s"}, {1e9, "GB/s"}},
      bytes[] = {{1, "B"}, {1024.0, "KiB"}, {1048576.0, "MiB"}, {1073741824.0, "GiB"},
                 {1099511627776.0, "TiB"}};
    size_t i = 0;

    switch (kind) {
#define PICK(t)                                                                                  \
    while (i + 1 < sizeof(t) / sizeof(t[0]) && fabs(most) >= t[i + 1].per)                      \
        i++;                                                                                     \
    *per = t[i].per;                                                                             \
    *name = t[i].name;                                                                           \
    return
    case MK_NS: PICK(ns);
    case MK_BPS: PICK(bps);
    case MK_BYTES: PICK(bytes);
#undef PICK
    case MK_SHARE:
        *per = 0.01;
        *name = "%";
        return;
    default:
        *per = 1;
        *name = "";
        return;
    }
}

void study_format_in(enum metric_kind kind, double v, double per, char *out, size_t len)
{
    switch (kind) {
    case MK_COUNT:
        snprintf(out, len, "%.0f", v);
        break;
    case MK_RATE:
        snprintf(out, len, v >= 100 ? "%.0f" : "%.2f", v);
        break;
    case MK_SHARE:
        snprintf(out, len, "%.1f", v / per);
        break;
    default:
        snprintf(out, len, per == 1 ? "%.0f" : "%.2f", v / per);
        break;
    }
}
