/*
 * study_metric.c - the figures of a study's runs: one table of metrics (key, title, kind,
 * getter) that every format prints from, and how a figure and a change are printed.
 */
#include <inttypes.h>
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
GET(mappings_per_io, per_io(f->mappings, f->ios))
GET(elements_per_mapping, per_io(f->sg_elements, f->mappings))
GET(mapregs_peak, f->map_registers_peak)
GET(idle_per_io, per_io(f->device_idle_ns, f->ios))
GET(frames_dropped, f->frames_dropped)
GET(frames_late, f->frames_late)
GET(lock_failures, f->lock_failures)
GET(lock_failure_share, share(f->lock_failures, f->lock_attempts))
GET(regs_per_lock, per_io(f->frame_map_registers, f->frames_mapped))
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
    {"mappings_per_io", "mappings (stages) per I/O", MK_RATE, get_mappings_per_io, true, false},
    {"sg_elements_per_mapping", "S/G elements per mapping", MK_RATE, get_elements_per_mapping,
     false, false, true},
    {"map_registers_peak", "map registers held, peak", MK_COUNT, get_mapregs_peak, false,
     false},
    {"device_idle_per_io_ns", "device idle between rounds, per I/O", MK_NS, get_idle_per_io,
     true, false, true},
    {"frames_dropped", "frames dropped", MK_COUNT, get_frames_dropped, true, true, true},
    {"frames_late", "frames late", MK_COUNT, get_frames_late, true, false, true},
    {"lock_failures", "frame locks failed", MK_COUNT, get_lock_failures, true, true, true},
    {"lock_failure_share", "share of frame locks failed", MK_SHARE, get_lock_failure_share,
     false, false, true},
    {"map_registers_per_lock", "map registers a locked frame", MK_RATE, get_regs_per_lock, false,
     false, true},
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

/* Student's t, two-sided 95 %, by degrees of freedom: the standard table (libm has no t
 * quantile, and a statistics library for one row of numbers would be a dependency for
 * nothing). Between the rows past 30 it takes the next smaller df, so never too narrow. */
static double t95(uint32_t df)
{
    static const double t[31] = {0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
                                 2.306, 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                                 2.120, 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
                                 2.064, 2.060,  2.056, 2.052, 2.048, 2.045, 2.042};

    if (df <= 30)
        return t[df];
    return df < 40 ? 2.042 : df < 60 ? 2.021 : df < 120 ? 2.000 : 1.980;
}

static void stat_of(const double *x, uint32_t n, struct study_stat *s)
{
    double sum = 0, sq = 0;

    for (uint32_t i = 0; i < n; i++)
        sum += x[i];
    s->n = n;
    s->mean = sum / n;
    for (uint32_t i = 0; i < n; i++)
        sq += (x[i] - s->mean) * (x[i] - s->mean);
    s->sd = n > 1 ? sqrt(sq / (n - 1)) : 0;
    if (s->sd <= 1e-9 * fabs(s->mean))
        s->sd = 0; /* the seeds agree: what is left is the rounding of the sums */
    s->ci95 = n > 1 ? t95(n - 1) * s->sd / sqrt((double)n) : 0;
}

/* Metric k of each seed's run of a point and variant into x; false unless every one is done
 * and there are two or more. */
static bool seeds_of(const struct study *st, uint32_t p, uint32_t v,
                     const struct study_metric *k, double *x)
{
    if (st->n_seeds < 2)
        return false;
    for (uint32_t i = 0; i < st->n_seeds; i++) {
        const struct study_run *r = study_rep(st, p, v, i);
        if (r == NULL || r->state != RUN_DONE)
            return false;
        x[i] = k->get(&r->fig);
    }
    return true;
}

bool study_stat_of(const struct study *st, uint32_t p, uint32_t v,
                   const struct study_metric *k, struct study_stat *s)
{
    double x[STUDY_MAX_SEEDS];

    if (!seeds_of(st, p, v, k, x))
        return false;
    stat_of(x, st->n_seeds, s);
    return true;
}

bool study_change_stat(const struct study *st, uint32_t p, uint32_t v,
                       const struct study_metric *k, struct study_stat *s, bool *significant)
{
    double x[STUDY_MAX_SEEDS], b[STUDY_MAX_SEEDS], base = 0;
    struct study_stat d;

    if (v == 0 || !seeds_of(st, p, v, k, x) || !seeds_of(st, p, 0, k, b))
        return false;
    for (uint32_t i = 0; i < st->n_seeds; i++) {
        base += b[i] / st->n_seeds;
        x[i] -= b[i]; /* paired: the same seed's workload on both */
    }
    if (base == 0)
        return false;
    stat_of(x, st->n_seeds, &d);
    s->n = d.n;
    s->mean = d.mean / base;
    s->sd = d.sd / fabs(base);
    s->ci95 = d.ci95 / fabs(base);
    *significant = fabs(d.mean) > d.ci95;
    return true;
}

void study_seeds_label(const struct study *st, char *out, size_t len)
{
    if (st->n_seeds > 1)
        snprintf(out, len, "seeds %" PRIu64 "..%" PRIu64, st->seeds[0],
                 st->seeds[st->n_seeds - 1]);
    else
        snprintf(out, len, "seed %" PRIu64, st->base->machine.seed);
}

void study_format_spread(const struct study *st, uint32_t p, uint32_t v,
                         const struct study_metric *k, char *out, size_t len)
{
    const struct study_figures *f = study_figures_at(st, p, v);
    struct study_stat s;
    char a[40], c[40];

    out[0] = '\0';
    if (f == NULL)
        return;
    study_format(k->kind, k->get(f), a, sizeof(a));
    if (!study_stat_of(st, p, v, k, &s) || s.sd == 0) {
        snprintf(out, len, "%s", a); /* one seed, or seeds that agree exactly */
        return;
    }
    study_format(k->kind, s.ci95, c, sizeof(c));
    snprintf(out, len, "%s \xc2\xb1%s", a, c);
}

void study_format_change_spread(const struct study *st, uint32_t p, uint32_t v,
                                const struct study_metric *k, char *out, size_t len)
{
    const struct study_figures *f = study_figures_at(st, p, v), *b = study_figures_at(st, p, 0);
    struct study_stat s;
    bool significant;

    out[0] = '\0';
    if (f == NULL || b == NULL || v == 0)
        return;
    if (!study_change_stat(st, p, v, k, &s, &significant)) {
        study_format_change(k->get(b), k->get(f), out, len);
        return;
    }
    if (s.sd == 0)
        study_format_change(k->get(b), k->get(f), out, len); /* the seeds agree exactly */
    else
        snprintf(out, len, "%+.1f %% \xc2\xb1%.1f%s", s.mean * 100.0, s.ci95 * 100.0,
                 significant ? "" : " noise");
}
