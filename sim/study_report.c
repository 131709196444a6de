/*
 * study_report.c - a comparison or sweep as text, CSV, JSON or HTML (see study_report.h).
 *
 * The HTML writer is hand-written like the JSON one: the page is a fixed template, must need
 * no network and no JavaScript, and its charts are a few SVG lines and rectangles computed
 * here; a templating or charting library would bring JavaScript or a runtime for no gain.
 * Everything written into the page goes through html_text, which escapes &, <, > and quotes.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "study_report.h"
#include "units.h"

/* ---------------------------------------------------------------------------------------------
 * The metrics: one table for every format.
 */
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

static const struct study_metric *metric(const char *key)
{
    for (int i = 0; i < study_n_metrics; i++)
        if (strcmp(study_metrics[i].key, key) == 0)
            return &study_metrics[i];
    return NULL;
}


int study_format_parse(const char *name)
{
    static const char *const names[] = {"text", "json", "csv", "html"};

    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
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
static double change(double base, double v)
{
    if (base == 0.0)
        return v == 0.0 ? 0.0 : INFINITY;
    return (v - base) / base;
}

void study_format_change(double base, double v, char *out, size_t len)
{
    double c = change(base, v);

    if (isinf(c))
        snprintf(out, len, "from 0");
    else if (fabs(c) < 0.0005)
        snprintf(out, len, "same");
    else
        snprintf(out, len, "%+.1f %%", c * 100.0);
}

static const struct study_figures *figures(const struct study *st, uint32_t point, uint32_t v)
{
    const struct study_run *r = study_get(st, point, v);

    return r != NULL && r->state == RUN_DONE ? &r->fig : NULL;
}

/* Does the table show metric k: always, or (if_used) where some run of the first point has
 * it. */
static bool shown(const struct study *st, const struct study_metric *k)
{
    if (!k->if_used)
        return true;
    for (uint32_t v = 0; v < st->n_variants; v++) {
        const struct study_figures *f = figures(st, 0, v);
        if (f != NULL && k->get(f) != 0)
            return true;
    }
    return false;
}

static const char *state_name(enum study_run_state s)
{
    static const char *const names[] = {"waiting", "done", "failed", "skipped"};

    return names[s];
}

/* ---------------------------------------------------------------------------------------------
 * The headline.
 */
static void fmt(const char *key, double v, char *out, size_t len)
{
    study_format(metric(key)->kind, v, out, len);
}

/* What a variant that bounces no more than the baseline costs against it. */
static size_t sentence_costs(const char *vn, const char *bn, const char *cv, const char *cb,
                             double dc, const char *tv, const char *tb, double dt, char *out,
                             size_t len)
{
    if (fabs(dc) < 0.05)
        return (size_t)snprintf(out, len, "%s costs the same CPU per I/O as %s (%s); "
                                "throughput %s against %s (%+.1f %%). ", vn, bn, cv, tv, tb,
                                -dt);
    return (size_t)snprintf(out, len, "%s costs %.1f %% %s CPU per I/O than %s (%s against %s); "
                            "throughput %s against %s (%+.1f %%). ", vn, fabs(dc),
                            dc > 0 ? "more" : "less", bn, cv, cb, tv, tb, -dt);
}

/* One variant against the baseline at one point, in words. */
static size_t sentence(const struct study *st, uint32_t point, uint32_t v, char *out,
                       size_t len)
{
    const struct study_figures *b = figures(st, point, 0), *f = figures(st, point, v);
    const char *bn = st->variants[0].name, *vn = st->variants[v].name;
    char cb[32], cv[32], tb[32], tv[32], bytes[32], wait[32], thr[160], regs[160];
    double dc, dt;

    if (b == NULL || f == NULL)
        return (size_t)snprintf(out, len, "%s or %s did not finish here. ", bn, vn);
    dc = change(b->cpu_per_io_ns, f->cpu_per_io_ns) * 100.0;
    dt = -change(b->throughput, f->throughput) * 100.0;
    fmt("cpu_per_io_ns", f->cpu_per_io_ns, cv, sizeof(cv));
    fmt("cpu_per_io_ns", b->cpu_per_io_ns, cb, sizeof(cb));
    fmt("throughput", f->throughput, tv, sizeof(tv));
    fmt("throughput", b->throughput, tb, sizeof(tb));
    if (f->mismatches > 0 && b->mismatches == 0) {
        size_t n = (size_t)snprintf(out, len, "%s returned wrong data: %" PRIu64 " of %" PRIu64
                                    " I/Os checked differ (%" PRIu64 " findings name the "
                                    "cause). ", vn, f->mismatches, f->verified, f->findings);
        return n >= len ? n : n + sentence_costs(vn, bn, cv, cb, dc, tv, tb, dt, out + n,
                                                 len - n);
    }
    if (f->pages_bounced <= b->pages_bounced)
        return sentence_costs(vn, bn, cv, cb, dc, tv, tb, dt, out, len);
    fmt("bytes_bounced_per_io", get_bytes_per_io(f), bytes, sizeof(bytes));
    fmt("map_register_wait_ns", get_wait_per_io(f), wait, sizeof(wait));
    if (fabs(dt) < 0.05)
        snprintf(thr, sizeof(thr), "none of its throughput (%s against %s)", tv, tb);
    else if (dt > 0)
        snprintf(thr, sizeof(thr), "%.1f %% of its throughput (%s against %s)", dt, tv, tb);
    else
        snprintf(thr, sizeof(thr), "none of its throughput, which rose %.1f %% (%s against "
                 "%s)", -dt, tv, tb);
    if (f->map_register_waits > 0)
        snprintf(regs, sizeof(regs), "it waited for map registers %" PRIu64 " times, %s per "
                 "I/O on average", f->map_register_waits, wait);
    else
        snprintf(regs, sizeof(regs), "map registers never ran short");
    return (size_t)snprintf(
        out, len,
        "Double-buffering costs %s %.1f %% %s CPU per I/O than %s (%s against %s) and %s: "
        "%.1f %% of its pages lay above its reach and %.1f %% went through bounce pages, "
        "%.2f pages (%s) copied per I/O; %s. ",
        vn, fabs(dc), dc >= 0 ? "more" : "less", bn, cv, cb, thr, 100.0 * get_above_share(f),
        100.0 * get_bounced_share(f), get_pages_per_io(f), bytes, regs);
}

void study_headline(const struct study *st, uint32_t point, char *out, size_t len)
{
    size_t at = 0;

    out[0] = '\0';
    for (uint32_t v = 1; v < st->n_variants && at < len; v++)
        at += sentence(st, point, v, out + at, len - at);
    if (at > 0 && at < len && out[at - 1] == ' ')
        out[at - 1] = '\0';
}

/* A sweep in a few lines per variant: the overhead at each point, and why. */
static size_t sweep_summary(const struct study *st, uint32_t v, char *out, size_t len)
{
    size_t at = 0;
    uint32_t first = UINT32_MAX, last = 0;
    bool copies = false; /* did the variant double-buffer anything, at any point? */

    for (uint32_t p = 0; p < st->n_points; p++) {
        const struct study_figures *f = figures(st, p, v);
        copies |= f != NULL && get_pages_per_io(f) > 0;
    }
    at += (size_t)snprintf(out + at, len - at, "%s of %s against %s, in CPU per I/O:",
                           copies ? "Double-buffering overhead" : "Overhead",
                           st->variants[v].name, st->variants[0].name);
    for (uint32_t p = 0; p < st->n_points && at < len; p++) {
        const struct study_figures *b = figures(st, p, 0), *f = figures(st, p, v);
        char label[80], c[32];
        study_point_label(st, p, label, sizeof(label));
        if (b == NULL || f == NULL) {
            at += (size_t)snprintf(out + at, len - at, "%s (not run) at %s", p ? "," : "", label);
            continue;
        }
        study_format_change(b->cpu_per_io_ns, f->cpu_per_io_ns, c, sizeof(c));
        at += (size_t)snprintf(out + at, len - at, "%s %s at %s", p ? "," : "", c, label);
        if (first == UINT32_MAX)
            first = p;
        last = p;
    }
    if (first != UINT32_MAX && at < len && !copies) {
        at += (size_t)snprintf(out + at, len - at, ". It copies no page: the difference is in "
                               "mapping (scatter/gather elements, map registers, IOMMU page "
                               "tables and IOTLB invalidation).");
    } else if (first != UINT32_MAX && at < len) {
        const struct study_figures *a = figures(st, first, v), *z = figures(st, last, v);
        at += (size_t)snprintf(out + at, len - at, ". Why: the share of its pages above its "
                               "reach goes from %.1f %% to %.1f %%, pages copied per I/O from "
                               "%.2f to %.2f, map-register waits from %" PRIu64 " to %" PRIu64
                               ".",
                               100.0 * get_above_share(a), 100.0 * get_above_share(z),
                               get_pages_per_io(a), get_pages_per_io(z), a->map_register_waits,
                               z->map_register_waits);
    }
    return at < len ? at : len - 1;
}

/* Where two variants trade places along a one-axis sweep, in words: which costs less CPU per
 * I/O at which points. The k-th pair (in order: v1 < v2) that crosses; false when none is
 * left. With one that copies and one that does not, why. */
static bool sweep_crossover(const struct study *st, uint32_t k, char *out, size_t len)
{
    if (!st->sweep || st->n_axes != 1)
        return false;
    for (uint32_t v1 = 0; v1 < st->n_variants; v1++)
        for (uint32_t v2 = v1 + 1; v2 < st->n_variants; v2++) {
            int prev = 0, flips = 0;
            bool copy1 = false, copy2 = false;
            size_t at = 0;
            for (uint32_t p = 0; p < st->n_points; p++) {
                const struct study_figures *a = figures(st, p, v1), *b = figures(st, p, v2);
                int sign;
                if (a == NULL || b == NULL || a->mismatches > 0 || b->mismatches > 0)
                    continue;
                copy1 |= get_pages_per_io(a) > 0;
                copy2 |= get_pages_per_io(b) > 0;
                sign = a->cpu_per_io_ns < b->cpu_per_io_ns ? -1
                       : a->cpu_per_io_ns > b->cpu_per_io_ns ? 1 : 0;
                if (sign == 0)
                    continue;
                flips += prev != 0 && sign != prev;
                prev = sign;
            }
            if (flips == 0 || k-- > 0)
                continue;
            at += (size_t)snprintf(out, len, "Crossover of %s and %s, in CPU per I/O:",
                                   st->variants[v1].name, st->variants[v2].name);
            for (int side = 0; side < 2 && at < len; side++) {
                bool any = false;
                at += (size_t)snprintf(out + at, len - at, "%s %s costs less at",
                                       side ? ";" : "", st->variants[side ? v2 : v1].name);
                for (uint32_t p = 0; p < st->n_points && at < len; p++) {
                    const struct study_figures *a = figures(st, p, v1), *b = figures(st, p, v2);
                    char label[80];
                    if (a == NULL || b == NULL || a->mismatches > 0 || b->mismatches > 0 ||
                        (side ? b->cpu_per_io_ns >= a->cpu_per_io_ns
                              : a->cpu_per_io_ns >= b->cpu_per_io_ns))
                        continue;
                    study_point_label(st, p, label, sizeof(label));
                    at += (size_t)snprintf(out + at, len - at, "%s %s", any ? "," : "", label);
                    any = true;
                }
            }
            if (at < len && copy1 != copy2)
                at += (size_t)snprintf(
                    out + at, len - at, ". Why: %s copies, and copying costs grow with the "
                    "bytes moved (and a map register a page); %s copies nothing and pays per "
                    "mapping instead (what it costs to set up and tear down, such as IOMMU "
                    "page table entries and an IOTLB invalidation), which the smallest "
                    "transfers cannot spread over many bytes",
                    st->variants[copy1 ? v1 : v2].name, st->variants[copy1 ? v2 : v1].name);
            if (at < len)
                snprintf(out + at, len - at, ".");
            return true;
        }
    return false;
}

/* ---------------------------------------------------------------------------------------------
 * Text.
 */
static void text_title(FILE *out, const struct study *st)
{
    fprintf(out, "dmasim %s: %s, seed %" PRIu64 ", %s, %u variant%s (baseline: %s)",
            st->sweep ? "sweep" : "compare", st->path, st->base->machine.seed,
            st->device[0] ? st->device : "all devices", st->n_variants,
            st->n_variants == 1 ? "" : "s", st->variants[0].name);
    for (uint32_t a = 0; a < st->n_axes; a++)
        fprintf(out, "%s%s over %u values", a ? ", " : "; ", st->axes[a].key, st->axes[a].n);
    fprintf(out, "\n");
    for (uint32_t v = 0; v < st->n_variants; v++) {
        fprintf(out, "  %-16s", st->variants[v].name);
        for (uint32_t j = 0; j < st->variants[v].n_sets; j++)
            fprintf(out, "%s%s", j ? ", " : "", st->variants[v].sets[j].text);
        fprintf(out, "%s\n", st->variants[v].n_sets ? "" : "(the scenario as written)");
    }
}

static void text_wrap(FILE *out, const char *text, int width)
{
    const char *p = text;

    while (*p != '\0') {
        int n = (int)strlen(p);
        if (n > width) {
            n = width;
            while (n > 0 && p[n] != ' ')
                n--;
            if (n == 0)
                n = width;
        }
        fprintf(out, "%.*s\n", n, p);
        p += n;
        while (*p == ' ')
            p++;
    }
}

static void text_compare(FILE *out, const struct study *st)
{
    char buf[2048], a[40], c[40];

    study_headline(st, 0, buf, sizeof(buf));
    fprintf(out, "\n");
    text_wrap(out, buf, 96);
    fprintf(out, "\n%-30s", "");
    for (uint32_t v = 0; v < st->n_variants; v++)
        fprintf(out, v == 0 ? "%14s" : "%14s  %-11s", st->variants[v].name, "");
    fprintf(out, "\n%-30s", "");
    for (uint32_t v = 0; v < st->n_variants; v++)
        fprintf(out, v == 0 ? "%14s" : "%14s  %-11s", v == 0 ? "(baseline)" : "",
                v == 0 ? "" : "vs baseline");
    fprintf(out, "\n");
    for (int m = 0; m < study_n_metrics; m++) {
        const struct study_metric *k = &study_metrics[m];
        const struct study_figures *b = figures(st, 0, 0);
        if (!shown(st, k))
            continue;
        fprintf(out, "%-30s", k->title);
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_figures *f = figures(st, 0, v);
            const struct study_run *r = study_get(st, 0, v);
            if (f == NULL) {
                fprintf(out, v == 0 ? "%14s" : "%14s  %-11s", state_name(r->state), "");
                continue;
            }
            study_format(k->kind, k->get(f), a, sizeof(a));
            c[0] = '\0';
            if (v > 0 && k->compared && b != NULL)
                study_format_change(k->get(b), k->get(f), c, sizeof(c));
            fprintf(out, v == 0 ? "%14s" : "%14s  %-11s", a, c);
        }
        fprintf(out, "\n");
    }
    fprintf(out, "\nwhere the time of an I/O went (CPU, and the device's own time)\n%-30s", "");
    for (uint32_t v = 0; v < st->n_variants; v++)
        fprintf(out, v == 0 ? "%14s" : "%14s  %-11s", st->variants[v].name, "");
    fprintf(out, "\n");
    for (int t = 0; t < STUDY_TIME_COUNT; t++) {
        fprintf(out, "%-30s", study_time_name((enum study_time)t));
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_figures *f = figures(st, 0, v), *b = figures(st, 0, 0);
            a[0] = c[0] = '\0';
            if (f != NULL)
                study_format(MK_NS, f->time_per_io_ns[t], a, sizeof(a));
            if (f != NULL && b != NULL && v > 0)
                study_format_change(b->time_per_io_ns[t], f->time_per_io_ns[t], c, sizeof(c));
            fprintf(out, v == 0 ? "%14s" : "%14s  %-11s", a, c);
        }
        fprintf(out, "\n");
    }
}

/* The columns of a sweep's table, in text and HTML. */
static const char *const sweep_columns[] = {
    "throughput", "iops", "cpu_per_io_ns", "latency_p50_ns", "latency_p99_ns", "bounced_share",
    "above_limit_share", "pages_bounced_per_io", "bytes_bounced_per_io", "map_register_waits",
    "map_register_wait_per_io_ns", "mismatches"};
#define N_SWEEP_COLUMNS (int)(sizeof(sweep_columns) / sizeof(sweep_columns[0]))
static const char *const sweep_short[] = {"throughput", "IOPS",    "CPU/IO",   "p50",
                                          "p99",        "bounced", "above",    "pages/IO",
                                          "copied/IO",  "waits",   "wait/IO",  "bad"};

static void text_sweep(FILE *out, const struct study *st)
{
    char buf[4096], a[40], c1[40], c2[40];
    int w0 = 10;

    for (uint32_t a2 = 0; a2 < st->n_axes; a2++)
        if ((int)strlen(st->axes[a2].key) + 2 > w0)
            w0 = (int)strlen(st->axes[a2].key) + 2;
    fprintf(out, "\n");
    for (uint32_t v = 1; v < st->n_variants; v++) {
        sweep_summary(st, v, buf, sizeof(buf));
        text_wrap(out, buf, 96);
    }
    for (uint32_t k = 0; sweep_crossover(st, k, buf, sizeof(buf)); k++)
        text_wrap(out, buf, 96);
    fprintf(out, "\n");
    for (uint32_t x = 0; x < st->n_axes; x++)
        fprintf(out, "%-*s", w0, st->axes[x].key);
    fprintf(out, "%-14s", "variant");
    for (int k = 0; k < N_SWEEP_COLUMNS; k++)
        fprintf(out, "%11s", sweep_short[k]);
    fprintf(out, "%12s%12s\n", "CPU vs base", "thr vs base");
    for (uint32_t p = 0; p < st->n_points; p++) {
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_figures *f = figures(st, p, v), *b = figures(st, p, 0);
            for (uint32_t x = 0; x < st->n_axes; x++) {
                scenario_axis_label(&st->axes[x], study_point_index(st, p, x), a, sizeof(a));
                fprintf(out, "%-*s", w0, v == 0 ? a : "");
            }
            fprintf(out, "%-14s", st->variants[v].name);
            if (f == NULL) {
                const struct study_run *r = study_get(st, p, v);
                fprintf(out, "%12s  %s\n", state_name(r->state), r->why);
                continue;
            }
            for (int k = 0; k < N_SWEEP_COLUMNS; k++) {
                const struct study_metric *m = metric(sweep_columns[k]);
                study_format(m->kind, m->get(f), a, sizeof(a));
                fprintf(out, "%11s", a);
            }
            if (v == 0 || b == NULL) {
                fprintf(out, "\n");
                continue;
            }
            study_format_change(b->cpu_per_io_ns, f->cpu_per_io_ns, c1, sizeof(c1));
            study_format_change(b->throughput, f->throughput, c2, sizeof(c2));
            fprintf(out, "%12s%12s\n", c1, c2);
        }
    }
    fprintf(out, "\nwhere the time of an I/O went, per I/O:\n%-*s%-14s", w0 * (int)st->n_axes,
            "", "variant");
    for (int t = 0; t < STUDY_TIME_COUNT; t++)
        fprintf(out, "%15s", study_time_name((enum study_time)t));
    fprintf(out, "\n");
    for (uint32_t p = 0; p < st->n_points; p++) {
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_figures *f = figures(st, p, v);
            char label[80];
            study_point_label(st, p, label, sizeof(label));
            fprintf(out, "%-*s%-14s", w0 * (int)st->n_axes, v == 0 ? label : "",
                    st->variants[v].name);
            for (int t = 0; f != NULL && t < STUDY_TIME_COUNT; t++) {
                study_format(MK_NS, f->time_per_io_ns[t], a, sizeof(a));
                fprintf(out, "%15s", a);
            }
            fprintf(out, "\n");
        }
    }
}

static void text_footer(FILE *out, const struct study *st, bool with_host)
{
    for (uint32_t i = 0; i < st->n_runs; i++) {
        const struct study_run *r = &st->runs[i];
        char label[80];
        if (r->state != RUN_FAILED)
            continue;
        study_point_label(st, r->point, label, sizeof(label));
        fprintf(out, "\n%s%s%s could not start: %s", st->variants[r->variant].name,
                st->n_axes ? " at " : "", st->n_axes ? label : "", r->why);
    }
    if (st->failed)
        fprintf(out, "\n");
    if (st->skipped > 0)
        fprintf(out, "\nSTOPPED: %u of %u runs were skipped; the figures above are the %u that "
                "finished.\n", st->skipped, st->n_runs, st->done);
    if (with_host)
        fprintf(out, "\nhost-measured (varies run to run): %.3f s wall for %u runs\n",
                st->host_ns / 1e9, st->done);
}

/* ---------------------------------------------------------------------------------------------
 * CSV: a header, then one row per run (per variant, per point).
 */
static void csv_report(FILE *out, const struct study *st)
{
    for (uint32_t a = 0; a < st->n_axes; a++)
        fprintf(out, "%s,", st->axes[a].key);
    fprintf(out, "variant,state");
    for (int m = 0; m < study_n_metrics; m++)
        fprintf(out, ",%s", study_metrics[m].key);
    for (int t = 0; t < STUDY_TIME_COUNT; t++)
        fprintf(out, ",time_%s_ns", study_time_name((enum study_time)t));
    for (int m = 0; m < study_n_metrics; m++)
        if (study_metrics[m].compared)
            fprintf(out, ",%s_vs_baseline", study_metrics[m].key);
    fprintf(out, "\n");
    for (uint32_t p = 0; p < st->n_points; p++) {
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_figures *f = figures(st, p, v), *b = figures(st, p, 0);
            for (uint32_t a = 0; a < st->n_axes; a++)
                fprintf(out, "%s,", st->axes[a].value[study_point_index(st, p, a)]);
            fprintf(out, "%s,%s", st->variants[v].name, state_name(study_get(st, p, v)->state));
            for (int m = 0; m < study_n_metrics; m++)
                if (f != NULL)
                    fprintf(out, ",%.6f", study_metrics[m].get(f));
                else
                    fprintf(out, ",");
            for (int t = 0; t < STUDY_TIME_COUNT; t++)
                if (f != NULL)
                    fprintf(out, ",%.6f", f->time_per_io_ns[t]);
                else
                    fprintf(out, ",");
            for (int m = 0; m < study_n_metrics; m++) {
                double c;
                if (!study_metrics[m].compared)
                    continue;
                c = f != NULL && b != NULL && v > 0 ? change(study_metrics[m].get(b),
                                                    study_metrics[m].get(f))
                                           : NAN;
                if (isfinite(c))
                    fprintf(out, ",%.6f", c);
                else
                    fprintf(out, ",");
            }
            fprintf(out, "\n");
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * JSON (docs/report-schema.md, "dmasim-study/1").
 */
static void json_figures(struct json *j, const struct study_figures *f,
                         const struct study_figures *b)
{
    json_open(j, "figures", '{');
    for (int m = 0; m < study_n_metrics; m++)
        json_f(j, study_metrics[m].key, study_metrics[m].get(f));
    json_close(j, '}');
    json_open(j, "time_per_io_ns", '{');
    for (int t = 0; t < STUDY_TIME_COUNT; t++)
        json_f(j, study_time_name((enum study_time)t), f->time_per_io_ns[t]);
    json_close(j, '}');
    if (b == NULL) {
        json_key(j, "vs_baseline");
        fputs("null", j->out);
        return;
    }
    json_open(j, "vs_baseline", '{');
    for (int m = 0; m < study_n_metrics; m++) {
        double c;
        if (!study_metrics[m].compared)
            continue;
        c = change(study_metrics[m].get(b), study_metrics[m].get(f));
        if (isfinite(c)) {
            json_f(j, study_metrics[m].key, c);
        } else {
            json_key(j, study_metrics[m].key);
            fputs("null", j->out);
        }
    }
    json_close(j, '}');
}

static void json_report(FILE *out, const struct study *st, bool with_host)
{
    struct json j = {out, 0, true};
    char buf[4096];

    json_open(&j, NULL, '{');
    json_str(&j, "schema", STUDY_SCHEMA);
    json_str(&j, "dmasim_version", DMASIM_VERSION);
    json_str(&j, "kind", st->sweep ? "sweep" : "compare");
    json_str(&j, "scenario", st->path);
    json_u64(&j, "seed", st->base->machine.seed);
    json_str(&j, "device", st->device[0] ? st->device : "all");
    json_str(&j, "baseline", st->variants[0].name);
    json_open(&j, "variants", '[');
    for (uint32_t v = 0; v < st->n_variants; v++) {
        json_open(&j, NULL, '{');
        json_str(&j, "name", st->variants[v].name);
        json_open(&j, "overrides", '[');
        for (uint32_t k = 0; k < st->variants[v].n_sets; k++)
            json_str(&j, NULL, st->variants[v].sets[k].text);
        json_close(&j, ']');
        json_close(&j, '}');
    }
    json_close(&j, ']');
    json_open(&j, "axes", '[');
    for (uint32_t a = 0; a < st->n_axes; a++) {
        json_open(&j, NULL, '{');
        json_str(&j, "key", st->axes[a].key);
        json_open(&j, "values", '[');
        for (uint32_t i = 0; i < st->axes[a].n; i++)
            json_str(&j, NULL, st->axes[a].value[i]);
        json_close(&j, ']');
        json_close(&j, '}');
    }
    json_close(&j, ']');
    if (st->sweep) {
        json_open(&j, "summary", '[');
        for (uint32_t v = 1; v < st->n_variants; v++) {
            sweep_summary(st, v, buf, sizeof(buf));
            json_str(&j, NULL, buf);
        }
        json_close(&j, ']');
        json_open(&j, "crossovers", '[');
        for (uint32_t k = 0; sweep_crossover(st, k, buf, sizeof(buf)); k++)
            json_str(&j, NULL, buf);
        json_close(&j, ']');
    }
    json_open(&j, "points", '[');
    for (uint32_t p = 0; p < st->n_points; p++) {
        json_open(&j, NULL, '{');
        json_open(&j, "values", '{');
        for (uint32_t a = 0; a < st->n_axes; a++)
            json_str(&j, st->axes[a].key, st->axes[a].value[study_point_index(st, p, a)]);
        json_close(&j, '}');
        study_headline(st, p, buf, sizeof(buf));
        json_str(&j, "headline", buf);
        json_open(&j, "runs", '[');
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_run *r = study_get(st, p, v);
            json_open(&j, NULL, '{');
            json_str(&j, "variant", st->variants[v].name);
            json_str(&j, "state", state_name(r->state));
            if (r->state == RUN_FAILED)
                json_str(&j, "why", r->why);
            if (r->state == RUN_DONE)
                json_figures(&j, &r->fig, v > 0 ? figures(st, p, 0) : NULL);
            json_close(&j, '}');
        }
        json_close(&j, ']');
        json_close(&j, '}');
    }
    json_close(&j, ']');
    json_open(&j, "runs", '{');
    json_u64(&j, "total", st->n_runs);
    json_u64(&j, "done", st->done);
    json_u64(&j, "failed", st->failed);
    json_u64(&j, "skipped", st->skipped);
    json_bool(&j, "interrupted", st->interrupted);
    json_close(&j, '}');
    json_config(&j, "config", st->base);
    if (with_host) {
        json_open(&j, "host", '{');
        json_u64(&j, "wall_ns", st->host_ns);
        json_close(&j, '}');
    }
    json_close(&j, '}');
    fputc('\n', out);
}

/* ---------------------------------------------------------------------------------------------
 * HTML: one file, no network, no JavaScript; charts are inline SVG.
 */
static void html_text(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out); break;
        }
    }
}

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define PALETTE_N (sizeof(palette) / sizeof(palette[0]))

#define CW 720.0  /* chart width */
#define CH 300.0
#define ML 90.0   /* margins */
#define MR 170.0
#define MT 20.0
#define MB 50.0

/* A y axis from lo to hi with five gridlines labelled in kind's format. */
static void svg_axes(FILE *out, double lo, double hi, enum metric_kind kind)
{
    char t[40];

    for (int i = 0; i <= 4; i++) {
        double v = lo + (hi - lo) * i / 4.0;
        double y = MT + (CH - MT - MB) * (1.0 - i / 4.0);
        if (kind == MK_SHARE && lo < 0)
            snprintf(t, sizeof(t), "%+.1f %%", v * 100.0);
        else
            study_format(kind, v, t, sizeof(t));
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n",
                ML, y, CW - MR, y);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">", ML - 6, y + 4);
        html_text(out, t);
        fputs("</text>\n", out);
    }
}

static double y_of(double v, double lo, double hi)
{
    return MT + (CH - MT - MB) * (1.0 - (hi > lo ? (v - lo) / (hi - lo) : 0.0));
}

static void range_of(const double *vals, const bool *ok, size_t n, double *lo, double *hi)
{
    *lo = 0.0;
    *hi = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!ok[i])
            continue;
        if (vals[i] < *lo)
            *lo = vals[i];
        if (vals[i] > *hi)
            *hi = vals[i];
    }
    if (*hi == *lo)
        *hi = *lo + 1.0;
    *hi += (*hi - *lo) * 0.08;
}

/* The value charted for a metric (or, key NULL, the change in CPU per I/O against the
 * baseline) at a point and variant. */
static bool chart_value(const struct study *st, const char *key, uint32_t p, uint32_t v,
                        double *out)
{
    const struct study_figures *f = figures(st, p, v), *b = figures(st, p, 0);

    if (f == NULL)
        return false;
    if (key != NULL) {
        *out = metric(key)->get(f);
        return true;
    }
    if (b == NULL || b->cpu_per_io_ns == 0.0)
        return false;
    *out = change(b->cpu_per_io_ns, f->cpu_per_io_ns);
    return true;
}

/* A sweep's chart: the metric against the first axis, one line per variant (and per value of
 * a second axis). */
static void svg_line_chart(FILE *out, const struct study *st, const char *key, const char *title,
                           enum metric_kind kind)
{
    uint32_t nx = st->axes[0].n, ny = st->n_axes == 2 ? st->axes[1].n : 1;
    uint32_t nseries = st->n_variants * ny;
    size_t n = (size_t)nseries * nx;
    double *vals = calloc(n, sizeof(*vals)), lo, hi;
    bool *ok = calloc(n, sizeof(*ok));
    char label[80];

    if (vals == NULL || ok == NULL) {
        free(vals);
        free(ok);
        return;
    }
    for (uint32_t s = 0; s < nseries; s++)
        for (uint32_t x = 0; x < nx; x++)
            ok[s * nx + x] = chart_value(st, key, x * ny + s % ny, s / ny, &vals[s * nx + x]);
    range_of(vals, ok, n, &lo, &hi);
    fprintf(out, "<figure class=\"chart\" id=\"chart-%s\">\n<svg xmlns=\"http://www.w3.org/2000/"
            "svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" font-family=\"sans-serif\">\n",
            key ? key : "overhead", CW, CH, CW, CH);
    fputs("<title>", out);
    html_text(out, title);
    fputs("</title>\n", out);
    svg_axes(out, lo, hi, kind);
    for (uint32_t x = 0; x < nx; x++) {
        double px = ML + (CW - ML - MR) * (nx > 1 ? x / (double)(nx - 1) : 0.5);
        scenario_axis_label(&st->axes[0], x, label, sizeof(label));
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">", px, CH - MB + 18);
        html_text(out, label);
        fputs("</text>\n", out);
    }
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">", (ML + CW - MR) / 2, CH - 8);
    html_text(out, st->axes[0].key);
    fputs("</text>\n", out);
    for (uint32_t s = 0; s < nseries; s++) {
        const char *color = palette[s % PALETTE_N];
        bool pen = false;
        fprintf(out, "<path fill=\"none\" stroke-width=\"2\" stroke=\"%s\" d=\"", color);
        for (uint32_t x = 0; x < nx; x++) {
            double px = ML + (CW - ML - MR) * (nx > 1 ? x / (double)(nx - 1) : 0.5);
            if (!ok[s * nx + x]) {
                pen = false;
                continue;
            }
            fprintf(out, "%s%.1f %.1f ", pen ? "L" : "M", px, y_of(vals[s * nx + x], lo, hi));
            pen = true;
        }
        fputs("\"/>\n", out);
        for (uint32_t x = 0; x < nx; x++) {
            double px = ML + (CW - ML - MR) * (nx > 1 ? x / (double)(nx - 1) : 0.5);
            if (ok[s * nx + x])
                fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", px,
                        y_of(vals[s * nx + x], lo, hi), color);
        }
        if (ny > 1)
            scenario_axis_label(&st->axes[1], s % ny, label, sizeof(label));
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">", CW - MR + 14, MT + 18.0 * s,
                color, CW - MR + 30, MT + 18.0 * s + 10);
        html_text(out, st->variants[s / ny].name);
        if (ny > 1) {
            fprintf(out, ", ");
            html_text(out, label);
        }
        fputs("</text>\n", out);
    }
    fputs("</svg>\n<figcaption>", out);
    html_text(out, title);
    fputs("</figcaption>\n</figure>\n", out);
    free(vals);
    free(ok);
}

/* A comparison's chart: one bar per variant. */
static void svg_bar_chart(FILE *out, const struct study *st, const char *key, const char *title,
                          enum metric_kind kind)
{
    double vals[SCN_MAX_VARIANTS], lo, hi, slot = (CW - ML - MR) / st->n_variants;
    bool ok[SCN_MAX_VARIANTS];
    char t[40];

    for (uint32_t v = 0; v < st->n_variants; v++)
        ok[v] = chart_value(st, key, 0, v, &vals[v]);
    range_of(vals, ok, st->n_variants, &lo, &hi);
    fprintf(out, "<figure class=\"chart\" id=\"chart-%s\">\n<svg xmlns=\"http://www.w3.org/2000/"
            "svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" font-family=\"sans-serif\">\n",
            key ? key : "overhead", CW, CH, CW, CH);
    fputs("<title>", out);
    html_text(out, title);
    fputs("</title>\n", out);
    svg_axes(out, lo, hi, kind);
    for (uint32_t v = 0; v < st->n_variants; v++) {
        double x = ML + slot * v + slot * 0.2, y0 = y_of(0, lo, hi), y1;
        if (!ok[v])
            continue;
        y1 = y_of(vals[v], lo, hi);
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
                x, y1 < y0 ? y1 : y0, slot * 0.6, fabs(y0 - y1), palette[v % PALETTE_N]);
        if (kind == MK_SHARE && key == NULL)
            snprintf(t, sizeof(t), "%+.1f %%", vals[v] * 100.0);
        else
            study_format(kind, vals[v], t, sizeof(t));
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">", x + slot * 0.3,
                (y1 < y0 ? y1 : y0) - 4);
        html_text(out, t);
        fprintf(out, "</text>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">", x + slot * 0.3,
                CH - MB + 18);
        html_text(out, st->variants[v].name);
        fputs("</text>\n", out);
    }
    fputs("</svg>\n<figcaption>", out);
    html_text(out, title);
    fputs("</figcaption>\n</figure>\n", out);
}

/* Where the time of an I/O went: one stacked bar per run. */
static void svg_time_bars(FILE *out, const struct study *st)
{
    static const char *const colors[STUDY_TIME_COUNT] = {"#4e79a7", "#f28e2b", "#e15759",
                                                         "#76b7b2", "#59a14f", "#bab0ac"};
    double most = 0, bar = 22, width = CW - ML - MR - 40;
    uint32_t rows = st->n_runs;
    double height = MT + rows * (bar + 8) + 40;
    char t[160], label[80];

    for (uint32_t i = 0; i < st->n_runs; i++) {
        double sum = 0;
        if (st->runs[i].state != RUN_DONE)
            continue;
        for (int c = 0; c < STUDY_TIME_COUNT; c++)
            sum += st->runs[i].fig.time_per_io_ns[c];
        if (sum > most)
            most = sum;
    }
    if (most == 0)
        most = 1;
    fprintf(out, "<figure class=\"chart\" id=\"chart-time\">\n<svg xmlns=\"http://www.w3.org/"
            "2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" font-family=\"sans-serif\">\n"
            "<title>Where the time of an I/O went</title>\n", CW, height, CW, height);
    for (uint32_t i = 0; i < st->n_runs; i++) {
        const struct study_run *r = &st->runs[i];
        double y = MT + i * (bar + 8), x = 150;
        study_point_label(st, r->point, label, sizeof(label));
        snprintf(t, sizeof(t), "%s%s%s", st->n_axes ? label : "", st->n_axes ? " " : "",
                 st->variants[r->variant].name);
        fprintf(out, "<text x=\"144\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">", y + bar * 0.7);
        html_text(out, t);
        fputs("</text>\n", out);
        if (r->state != RUN_DONE)
            continue;
        for (int c = 0; c < STUDY_TIME_COUNT; c++) {
            double w = width * r->fig.time_per_io_ns[c] / most;
            study_format(MK_NS, r->fig.time_per_io_ns[c], t, sizeof(t));
            fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\" "
                    "fill=\"%s\"><title>%s: %s</title></rect>\n", x, y, w, bar, colors[c],
                    study_time_name((enum study_time)c), t);
            x += w;
        }
    }
    for (int c = 0; c < STUDY_TIME_COUNT; c++) {
        double y = height - 24;
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">%s</text>\n",
                10 + 118.0 * c, y, colors[c], 10 + 118.0 * c + 16, y + 10,
                study_time_name((enum study_time)c));
    }
    fputs("</svg>\n<figcaption>Where the time of an I/O went: CPU time per I/O by cause, and "
          "the device's own time (latency and transfer), per run</figcaption>\n</figure>\n",
          out);
}

/* The series charted, in order; key NULL is the change in CPU per I/O against the baseline. */
struct chart_def {
    const char *key;
    const char *title;
    enum metric_kind kind;
};

static int charts_of(const struct study *st, struct chart_def *c, int max)
{
    int n = 0;

    if (st->n_variants > 1 && n < max)
        c[n++] = (struct chart_def){NULL, "Overhead: CPU per I/O against the baseline",
                                    MK_SHARE};
    for (int m = 0; m < study_n_metrics && n < max; m++)
        if (study_metrics[m].chart)
            c[n++] = (struct chart_def){study_metrics[m].key, study_metrics[m].title,
                                        study_metrics[m].kind};
    return n;
}

struct html_config {
    FILE *out;
};

static void html_config_row(void *ctx, const char *section, const char *key, const char *value,
                            bool is_number)
{
    struct html_config *h = ctx;

    (void)is_number;
    fputs("<tr><td>", h->out);
    html_text(h->out, section);
    fputs("</td><td>", h->out);
    html_text(h->out, key);
    fputs("</td><td>", h->out);
    html_text(h->out, value);
    fputs("</td></tr>\n", h->out);
}

static void html_table(FILE *out, const struct study *st)
{
    char a[40], c[40], label[80];

    fputs("<table class=\"figures\">\n<thead><tr>", out);
    if (!st->sweep) {
        fputs("<th>metric</th>", out);
        for (uint32_t v = 0; v < st->n_variants; v++) {
            fputs("<th>", out);
            html_text(out, st->variants[v].name);
            fputs(v == 0 ? " (baseline)</th>" : "</th><th>vs baseline</th>", out);
        }
        fputs("</tr></thead>\n<tbody>\n", out);
        for (int m = 0; m < study_n_metrics; m++) {
            const struct study_metric *k = &study_metrics[m];
            const struct study_figures *b = figures(st, 0, 0);
            if (!shown(st, k))
                continue;
            fprintf(out, "<tr><td>%s</td>", k->title);
            for (uint32_t v = 0; v < st->n_variants; v++) {
                const struct study_figures *f = figures(st, 0, v);
                a[0] = c[0] = '\0';
                if (f != NULL)
                    study_format(k->kind, k->get(f), a, sizeof(a));
                if (f != NULL && b != NULL && v > 0 && k->compared)
                    study_format_change(k->get(b), k->get(f), c, sizeof(c));
                fprintf(out, "<td>%s</td>", f ? a : state_name(study_get(st, 0, v)->state));
                if (v > 0)
                    fprintf(out, "<td>%s</td>", c);
            }
            fputs("</tr>\n", out);
        }
        fputs("</tbody>\n</table>\n", out);
        return;
    }
    for (uint32_t x = 0; x < st->n_axes; x++) {
        fputs("<th>", out);
        html_text(out, st->axes[x].key);
        fputs("</th>", out);
    }
    fputs("<th>variant</th>", out);
    for (int k = 0; k < N_SWEEP_COLUMNS; k++)
        fprintf(out, "<th>%s</th>", metric(sweep_columns[k])->title);
    fputs("<th>CPU per I/O vs baseline</th><th>throughput vs baseline</th></tr></thead>\n"
          "<tbody>\n", out);
    for (uint32_t p = 0; p < st->n_points; p++) {
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_figures *f = figures(st, p, v), *b = figures(st, p, 0);
            fputs("<tr>", out);
            for (uint32_t x = 0; x < st->n_axes; x++) {
                scenario_axis_label(&st->axes[x], study_point_index(st, p, x), label,
                                    sizeof(label));
                fputs("<td>", out);
                html_text(out, label);
                fputs("</td>", out);
            }
            fputs("<td>", out);
            html_text(out, st->variants[v].name);
            fputs("</td>", out);
            for (int k = 0; k < N_SWEEP_COLUMNS; k++) {
                const struct study_metric *m = metric(sweep_columns[k]);
                a[0] = '\0';
                if (f != NULL)
                    study_format(m->kind, m->get(f), a, sizeof(a));
                fprintf(out, "<td>%s</td>", f ? a : state_name(study_get(st, p, v)->state));
            }
            a[0] = c[0] = '\0';
            if (f != NULL && b != NULL && v > 0) {
                study_format_change(b->cpu_per_io_ns, f->cpu_per_io_ns, a, sizeof(a));
                study_format_change(b->throughput, f->throughput, c, sizeof(c));
            }
            fprintf(out, "<td>%s</td><td>%s</td></tr>\n", a, c);
        }
    }
    fputs("</tbody>\n</table>\n", out);
}

static const char html_style[] =
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}"
    ".headline{font-size:1.05em;background:#f4f6fa;border-left:4px solid #1f77b4;"
    "padding:.6em 1em}"
    "table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ddd;"
    "padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
    "figure.chart{margin:1.5em 0}figcaption{font-size:.9em;color:#555}"
    "footer{margin-top:3em;font-size:.8em;color:#666}";

static void html_report(FILE *out, const struct study *st, bool with_host)
{
    struct chart_def charts[32];
    int n_charts = charts_of(st, charts, 32);
    char buf[4096];
    struct html_config hc = {out};

    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>", out);
    fprintf(out, "dmasim %s: ", st->sweep ? "sweep" : "compare");
    html_text(out, st->path);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>dmasim %s: ", html_style,
            st->sweep ? "sweep" : "compare");
    html_text(out, st->path);
    fputs("</h1>\n", out);
    fprintf(out, "<p>Seed %" PRIu64 ", ", st->base->machine.seed);
    html_text(out, st->device[0] ? st->device : "all devices");
    fprintf(out, ", %u variant%s; the baseline is <b>", st->n_variants,
            st->n_variants == 1 ? "" : "s");
    html_text(out, st->variants[0].name);
    fputs("</b>.", out);
    for (uint32_t a = 0; a < st->n_axes; a++) {
        fputs(" Swept: <code>", out);
        html_text(out, st->axes[a].key);
        fprintf(out, "</code> over %u values.", st->axes[a].n);
    }
    fputs("</p>\n", out);
    for (uint32_t v = 1; v < st->n_variants; v++) {
        if (st->sweep)
            sweep_summary(st, v, buf, sizeof(buf));
        else
            sentence(st, 0, v, buf, sizeof(buf));
        fputs("<p class=\"headline\">", out);
        html_text(out, buf);
        fputs("</p>\n", out);
    }
    for (uint32_t k = 0; sweep_crossover(st, k, buf, sizeof(buf)); k++) {
        fputs("<p class=\"headline\">", out);
        html_text(out, buf);
        fputs("</p>\n", out);
    }
    if (st->skipped > 0)
        fprintf(out, "<p class=\"headline\">STOPPED: %u of %u runs were skipped.</p>\n",
                st->skipped, st->n_runs);
    fputs("<h2>Figures</h2>\n", out);
    html_table(out, st);
    fputs("<h2>Charts</h2>\n", out);
    for (int c = 0; c < n_charts; c++) {
        if (st->sweep)
            svg_line_chart(out, st, charts[c].key, charts[c].title, charts[c].kind);
        else
            svg_bar_chart(out, st, charts[c].key, charts[c].title, charts[c].kind);
    }
    fputs("<h2>Where the time went</h2>\n", out);
    svg_time_bars(out, st);
    fputs("<h2>Variants</h2>\n<table>\n<thead><tr><th>variant</th><th>overrides</th></tr>"
          "</thead>\n<tbody>\n", out);
    for (uint32_t v = 0; v < st->n_variants; v++) {
        fputs("<tr><td>", out);
        html_text(out, st->variants[v].name);
        fputs("</td><td>", out);
        for (uint32_t k = 0; k < st->variants[v].n_sets; k++) {
            if (k)
                fputs(", ", out);
            html_text(out, st->variants[v].sets[k].text);
        }
        fputs(st->variants[v].n_sets ? "</td></tr>\n" : "(as written)</td></tr>\n", out);
    }
    fputs("</tbody>\n</table>\n<h2>Effective configuration</h2>\n<table>\n<thead><tr>"
          "<th>section</th><th>key</th><th>value</th></tr></thead>\n<tbody>\n", out);
    scenario_each_value(st->base, html_config_row, &hc);
    fputs("</tbody>\n</table>\n<footer>", out);
    fprintf(out, "dmasim %s, seed %" PRIu64 ", %u of %u runs done", DMASIM_VERSION,
            st->base->machine.seed, st->done, st->n_runs);
    if (with_host)
        fprintf(out, ", %.3f s host time", st->host_ns / 1e9);
    fputs(".</footer>\n</body>\n</html>\n", out);
}

void study_report_write(FILE *out, const struct study *st, enum study_format format,
                        bool with_host)
{
    switch (format) {
    case STUDY_JSON:
        json_report(out, st, with_host);
        break;
    case STUDY_CSV:
        csv_report(out, st);
        break;
    case STUDY_HTML:
        html_report(out, st, with_host);
        break;
    default:
        text_title(out, st);
        if (st->sweep)
            text_sweep(out, st);
        else
            text_compare(out, st);
        text_footer(out, st, with_host);
        break;
    }
}
