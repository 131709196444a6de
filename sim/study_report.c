/*
 * study_report.c - a comparison or sweep as text, CSV or JSON, its headline sentences, and
 * the dispatch to every format (see study_report.h; the HTML page is study_html.c).
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "study_report_int.h"
#include "study_report.h"
#include "units.h"


int study_format_parse(const char *name)
{
    static const char *const names[] = {"text", "json", "csv", "html"};

    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

/* A metric's value in a run's figures. */
static double value_of(const char *key, const struct study_figures *f)
{
    return study_metric_find(key)->get(f);
}

/* Does the table show metric k: always, or (if_used) where some run of the first point has
 * it. */
bool study_shown(const struct study *st, const struct study_metric *k)
{
    if (!k->if_used)
        return true;
    for (uint32_t v = 0; v < st->n_variants; v++) {
        const struct study_figures *f = study_figures_at(st, 0, v);
        if (f != NULL && k->get(f) != 0)
            return true;
    }
    return false;
}

const char *study_state_name(enum study_run_state s)
{
    static const char *const names[] = {"waiting", "done", "failed", "skipped"};

    return names[s];
}

/* ---------------------------------------------------------------------------------------------
 * The headline.
 */
static void fmt(const char *key, double v, char *out, size_t len)
{
    study_format(study_metric_find(key)->kind, v, out, len);
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
size_t study_sentence(const struct study *st, uint32_t point, uint32_t v, char *out,
                       size_t len)
{
    const struct study_figures *b = study_figures_at(st, point, 0), *f = study_figures_at(st, point, v);
    const char *bn = st->variants[0].name, *vn = st->variants[v].name;
    char cb[32], cv[32], tb[32], tv[32], bytes[32], wait[32], thr[160], regs[160];
    double dc, dt;

    if (b == NULL || f == NULL)
        return (size_t)snprintf(out, len, "%s or %s did not finish here. ", bn, vn);
    dc = study_change(b->cpu_per_io_ns, f->cpu_per_io_ns) * 100.0;
    dt = -study_change(b->throughput, f->throughput) * 100.0;
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
    fmt("bytes_bounced_per_io", value_of("bytes_bounced_per_io", f), bytes, sizeof(bytes));
    fmt("map_register_wait_ns", value_of("map_register_wait_per_io_ns", f), wait, sizeof(wait));
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
        vn, fabs(dc), dc >= 0 ? "more" : "less", bn, cv, cb, thr, 100.0 * value_of("above_limit_share", f),
        100.0 * value_of("bounced_share", f), value_of("pages_bounced_per_io", f), bytes, regs);
}

void study_headline(const struct study *st, uint32_t point, char *out, size_t len)
{
    size_t at = 0;

    out[0] = '\0';
    for (uint32_t v = 1; v < st->n_variants && at < len; v++)
        at += study_sentence(st, point, v, out + at, len - at);
    if (at > 0 && at < len && out[at - 1] == ' ')
        out[at - 1] = '\0';
}

/* A sweep in a few lines per variant: the overhead at each point, and why. */
size_t study_sweep_summary(const struct study *st, uint32_t v, char *out, size_t len)
{
    size_t at = 0;
    uint32_t first = UINT32_MAX, last = 0;
    bool copies = false; /* did the variant double-buffer anything, at any point? */

    for (uint32_t p = 0; p < st->n_points; p++) {
        const struct study_figures *f = study_figures_at(st, p, v);
        copies |= f != NULL && value_of("pages_bounced_per_io", f) > 0;
    }
    at += (size_t)snprintf(out + at, len - at, "%s of %s against %s, in CPU per I/O:",
                           copies ? "Double-buffering overhead" : "Overhead",
                           st->variants[v].name, st->variants[0].name);
    for (uint32_t p = 0; p < st->n_points && at < len; p++) {
        const struct study_figures *b = study_figures_at(st, p, 0), *f = study_figures_at(st, p, v);
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
        const struct study_figures *a = study_figures_at(st, first, v), *z = study_figures_at(st, last, v);
        at += (size_t)snprintf(out + at, len - at, ". Why: the share of its pages above its "
                               "reach goes from %.1f %% to %.1f %%, pages copied per I/O from "
                               "%.2f to %.2f, map-register waits from %" PRIu64 " to %" PRIu64
                               ".",
                               100.0 * value_of("above_limit_share", a), 100.0 * value_of("above_limit_share", z),
                               value_of("pages_bounced_per_io", a), value_of("pages_bounced_per_io", z), a->map_register_waits,
                               z->map_register_waits);
    }
    return at < len ? at : len - 1;
}

/* Where two variants trade places along a one-axis sweep, in words: which costs less CPU per
 * I/O at which points. The k-th pair (in order: v1 < v2) that crosses; false when none is
 * left. With one that copies and one that does not, why. */
bool study_sweep_crossover(const struct study *st, uint32_t k, char *out, size_t len)
{
    if (!st->sweep || st->n_axes != 1)
        return false;
    for (uint32_t v1 = 0; v1 < st->n_variants; v1++)
        for (uint32_t v2 = v1 + 1; v2 < st->n_variants; v2++) {
            int prev = 0, flips = 0;
            bool copy1 = false, copy2 = false;
            size_t at = 0;
            for (uint32_t p = 0; p < st->n_points; p++) {
                const struct study_figures *a = study_figures_at(st, p, v1), *b = study_figures_at(st, p, v2);
                int sign;
                if (a == NULL || b == NULL || a->mismatches > 0 || b->mismatches > 0)
                    continue;
                copy1 |= value_of("pages_bounced_per_io", a) > 0;
                copy2 |= value_of("pages_bounced_per_io", b) > 0;
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
                    const struct study_figures *a = study_figures_at(st, p, v1), *b = study_figures_at(st, p, v2);
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
    char seeds[80];

    study_seeds_label(st, seeds, sizeof(seeds));
    fprintf(out, "dmasim %s: %s, %s, %s, %u variant%s (baseline: %s)",
            st->sweep ? "sweep" : "compare", st->path, seeds,
            st->device[0] ? st->device : "all devices", st->n_variants,
            st->n_variants == 1 ? "" : "s", st->variants[0].name);
    for (uint32_t a = 0; a < st->n_axes; a++)
        fprintf(out, "%s%s over %u values", a ? ", " : "; ", st->axes[a].key, st->axes[a].n);
    fprintf(out, "\n");
    if (st->n_seeds > 1)
        fprintf(out, "  each figure is the mean of %u runs, one per seed; \xc2\xb1 is its 95 %% "
                "confidence interval; a change is paired seed by seed, \"noise\" when its "
                "interval holds 0\n", st->n_seeds);
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
    char buf[2048], a[80], c[80];
    /* value and change columns: wider with spreads ("55.12 us ±53 ns", "+2.2 % ±0.1 noise") */
    int wv = st->n_seeds > 1 ? 22 : 14, wc = st->n_seeds > 1 ? 19 : 11;

    study_headline(st, 0, buf, sizeof(buf));
    fprintf(out, "\n");
    text_wrap(out, buf, 96);
    fprintf(out, "\n%-30s", "");
    for (uint32_t v = 0; v < st->n_variants; v++)
        fprintf(out, v == 0 ? "%*s" : "%*s  %-*s", wv, st->variants[v].name, wc, "");
    fprintf(out, "\n%-30s", "");
    for (uint32_t v = 0; v < st->n_variants; v++) {
        const struct study_figures *f = study_figures_at(st, 0, v);
        const char *flaw = f != NULL ? study_flaw(f) : NULL;
        char tag[40];
        /* a run whose figures are no result says so over its column; its changes are n/a */
        snprintf(tag, sizeof(tag), "%s%s", flaw ? "!! " : "", flaw ? flaw : "");
        fprintf(out, v == 0 ? "%*s" : "%*s  %-*s", wv, v == 0 ? "(baseline)" : tag, wc,
                v == 0 ? "" : "vs baseline");
    }
    fprintf(out, "\n");
    for (int m = 0; m < study_n_metrics; m++) {
        const struct study_metric *k = &study_metrics[m];
        const struct study_figures *b = study_figures_at(st, 0, 0);
        if (!study_shown(st, k))
            continue;
        fprintf(out, "%-30s", k->title);
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_figures *f = study_figures_at(st, 0, v);
            const struct study_run *r = study_get(st, 0, v);
            if (f == NULL) {
                fprintf(out, v == 0 ? "%*s" : "%*s  %-*s", wv, study_state_name(r->state), wc, "");
                continue;
            }
            study_format_spread(st, 0, v, k, a, sizeof(a));
            c[0] = '\0';
            if (v > 0 && k->compared && b != NULL && study_flaw(f) != NULL)
                snprintf(c, sizeof(c), "n/a");
            else if (v > 0 && k->compared && b != NULL)
                study_format_change_spread(st, 0, v, k, c, sizeof(c));
            /* ± is two bytes and one column */
            fprintf(out, v == 0 ? "%*s" : "%*s  %-*s", wv + (strstr(a, "\xc2\xb1") != NULL), a,
                    wc + (strstr(c, "\xc2\xb1") != NULL), c);
        }
        fprintf(out, "\n");
    }
    fprintf(out, "\nwhere the time of an I/O went (CPU, and the device's own time)\n%-30s", "");
    for (uint32_t v = 0; v < st->n_variants; v++)
        fprintf(out, v == 0 ? "%*s" : "%*s  %-*s", wv, st->variants[v].name, wc, "");
    fprintf(out, "\n");
    for (int t = 0; t < STUDY_TIME_COUNT; t++) {
        fprintf(out, "%-30s", study_time_name((enum study_time)t));
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_figures *f = study_figures_at(st, 0, v), *b = study_figures_at(st, 0, 0);
            a[0] = c[0] = '\0';
            if (f != NULL)
                study_format(MK_NS, f->time_per_io_ns[t], a, sizeof(a));
            if (f != NULL && b != NULL && v > 0 && study_flaw(f) != NULL)
                snprintf(c, sizeof(c), "n/a");
            else if (f != NULL && b != NULL && v > 0)
                study_format_change(b->time_per_io_ns[t], f->time_per_io_ns[t], c, sizeof(c));
            fprintf(out, v == 0 ? "%*s" : "%*s  %-*s", wv, a, wc, c);
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

/* With several seeds, under a run's row: each column's 95 % interval, where the seeds differ. */
static void text_sweep_spread(FILE *out, const struct study *st, uint32_t p, uint32_t v,
                              int w0, int wc)
{
    char a[48];
    bool any = false;

    (void)wc;
    for (int k = 0; k < N_SWEEP_COLUMNS && !any; k++) {
        struct study_stat s;
        any = study_stat_of(st, p, v, study_metric_find(sweep_columns[k]), &s) && s.sd > 0;
    }
    if (!any)
        return;
    fprintf(out, "%-*s%-14s", w0 * (int)st->n_axes, "", "  \xc2\xb1 95 % CI");
    fputc(' ', out); /* the ± above is two bytes and one column */
    for (int k = 0; k < N_SWEEP_COLUMNS; k++) {
        const struct study_metric *m = study_metric_find(sweep_columns[k]);
        struct study_stat s;
        a[0] = '\0';
        if (study_stat_of(st, p, v, m, &s) && s.sd > 0) {
            a[0] = '\xc2';
            a[1] = '\xb1';
            study_format(m->kind, s.ci95, a + 2, sizeof(a) - 2);
        }
        fprintf(out, "%*s", 11 + (a[0] != '\0'), a);
    }
    fprintf(out, "\n");
}

static void text_sweep(FILE *out, const struct study *st)
{
    char buf[4096], a[40], c1[80], c2[80];
    int w0 = 10, wc = st->n_seeds > 1 ? 20 : 12; /* "+2.2 % ±0.1 noise" */
    const struct study_metric *cpu = study_metric_find("cpu_per_io_ns");
    const struct study_metric *thr = study_metric_find("throughput");

    for (uint32_t a2 = 0; a2 < st->n_axes; a2++)
        if ((int)strlen(st->axes[a2].key) + 2 > w0)
            w0 = (int)strlen(st->axes[a2].key) + 2;
    fprintf(out, "\n");
    for (uint32_t v = 1; v < st->n_variants; v++) {
        study_sweep_summary(st, v, buf, sizeof(buf));
        text_wrap(out, buf, 96);
    }
    for (uint32_t k = 0; study_sweep_crossover(st, k, buf, sizeof(buf)); k++)
        text_wrap(out, buf, 96);
    fprintf(out, "\n");
    for (uint32_t x = 0; x < st->n_axes; x++)
        fprintf(out, "%-*s", w0, st->axes[x].key);
    fprintf(out, "%-14s", "variant");
    for (int k = 0; k < N_SWEEP_COLUMNS; k++)
        fprintf(out, "%11s", sweep_short[k]);
    fprintf(out, "%*s%*s\n", wc, "CPU vs base", wc, "thr vs base");
    for (uint32_t p = 0; p < st->n_points; p++) {
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_figures *f = study_figures_at(st, p, v), *b = study_figures_at(st, p, 0);
            for (uint32_t x = 0; x < st->n_axes; x++) {
                scenario_axis_label(&st->axes[x], study_point_index(st, p, x), a, sizeof(a));
                fprintf(out, "%-*s", w0, v == 0 ? a : "");
            }
            fprintf(out, "%-14s", st->variants[v].name);
            if (f == NULL) {
                const struct study_run *r = study_get(st, p, v);
                fprintf(out, "%12s  %s\n", study_state_name(r->state), r->why);
                continue;
            }
            for (int k = 0; k < N_SWEEP_COLUMNS; k++) {
                const struct study_metric *m = study_metric_find(sweep_columns[k]);
                study_format(m->kind, m->get(f), a, sizeof(a));
                fprintf(out, "%11s", a);
            }
            if (v == 0 || b == NULL) {
                fprintf(out, "\n");
                text_sweep_spread(out, st, p, v, w0, wc);
                continue;
            }
            if (study_flaw(f) != NULL) {
                fprintf(out, "%*s%*s  !! %s\n", wc, "n/a", wc, "n/a", study_flaw(f));
                text_sweep_spread(out, st, p, v, w0, wc);
                continue;
            }
            study_format_change_spread(st, p, v, cpu, c1, sizeof(c1));
            study_format_change_spread(st, p, v, thr, c2, sizeof(c2));
            /* ± is two bytes and one column */
            fprintf(out, "%*s%*s\n", wc + (strstr(c1, "\xc2\xb1") != NULL), c1,
                    wc + (strstr(c2, "\xc2\xb1") != NULL), c2);
            text_sweep_spread(out, st, p, v, w0, wc);
        }
    }
    fprintf(out, "\nwhere the time of an I/O went, per I/O:\n%-*s%-14s", w0 * (int)st->n_axes,
            "", "variant");
    for (int t = 0; t < STUDY_TIME_COUNT; t++)
        fprintf(out, "%15s", study_time_name((enum study_time)t));
    fprintf(out, "\n");
    for (uint32_t p = 0; p < st->n_points; p++) {
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_figures *f = study_figures_at(st, p, v);
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
/* With several seeds: the seeds, each figure's sd and 95 % interval, and each change's. */
static void csv_spread(FILE *out, const struct study *st, uint32_t p, uint32_t v)
{
    fprintf(out, ",%u", st->n_seeds);
    for (int m = 0; m < study_n_metrics; m++) {
        struct study_stat s;
        if (study_stat_of(st, p, v, &study_metrics[m], &s))
            fprintf(out, ",%.6f,%.6f", s.sd, s.ci95);
        else
            fprintf(out, ",,");
    }
    for (int m = 0; m < study_n_metrics; m++) {
        struct study_stat s;
        bool sig;
        if (!study_metrics[m].compared)
            continue;
        if (study_change_stat(st, p, v, &study_metrics[m], &s, &sig))
            fprintf(out, ",%.6f,%s", s.ci95, sig ? "yes" : "no");
        else
            fprintf(out, ",,");
    }
}

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
    if (st->n_seeds > 1) {
        fprintf(out, ",seeds");
        for (int m = 0; m < study_n_metrics; m++)
            fprintf(out, ",%s_sd,%s_ci95", study_metrics[m].key, study_metrics[m].key);
        for (int m = 0; m < study_n_metrics; m++)
            if (study_metrics[m].compared)
                fprintf(out, ",%s_vs_baseline_ci95,%s_vs_baseline_significant",
                        study_metrics[m].key, study_metrics[m].key);
    }
    fprintf(out, "\n");
    for (uint32_t p = 0; p < st->n_points; p++) {
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_figures *f = study_figures_at(st, p, v), *b = study_figures_at(st, p, 0);
            for (uint32_t a = 0; a < st->n_axes; a++)
                fprintf(out, "%s,", st->axes[a].value[study_point_index(st, p, a)]);
            fprintf(out, "%s,%s", st->variants[v].name, study_state_name(study_get(st, p, v)->state));
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
                c = f != NULL && b != NULL && v > 0 ? study_change(study_metrics[m].get(b),
                                                    study_metrics[m].get(f))
                                           : NAN;
                if (isfinite(c))
                    fprintf(out, ",%.6f", c);
                else
                    fprintf(out, ",");
            }
            if (st->n_seeds > 1)
                csv_spread(out, st, p, v);
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
        c = study_change(study_metrics[m].get(b), study_metrics[m].get(f));
        if (isfinite(c)) {
            json_f(j, study_metrics[m].key, c);
        } else {
            json_key(j, study_metrics[m].key);
            fputs("null", j->out);
        }
    }
    json_close(j, '}');
}

/* With several seeds: each figure's spread, and each change's against the baseline. */
static void json_spread(struct json *j, const struct study *st, uint32_t p, uint32_t v)
{
    json_u64(j, "seeds", st->n_seeds);
    json_open(j, "spread", '{');
    for (int m = 0; m < study_n_metrics; m++) {
        struct study_stat s;
        if (!study_stat_of(st, p, v, &study_metrics[m], &s))
            continue;
        json_open(j, study_metrics[m].key, '{');
        json_f(j, "mean", s.mean);
        json_f(j, "sd", s.sd);
        json_f(j, "ci95", s.ci95);
        json_close(j, '}');
    }
    json_close(j, '}');
    if (v == 0) {
        json_key(j, "vs_baseline_spread");
        fputs("null", j->out);
        return;
    }
    json_open(j, "vs_baseline_spread", '{');
    for (int m = 0; m < study_n_metrics; m++) {
        struct study_stat s;
        bool sig;
        if (!study_metrics[m].compared)
            continue;
        if (!study_change_stat(st, p, v, &study_metrics[m], &s, &sig)) {
            json_key(j, study_metrics[m].key);
            fputs("null", j->out);
            continue;
        }
        json_open(j, study_metrics[m].key, '{');
        json_f(j, "change", s.mean);
        json_f(j, "ci95", s.ci95);
        json_bool(j, "significant", sig);
        json_close(j, '}');
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
    if (st->n_seeds > 1) {
        json_open(&j, "seeds", '[');
        for (uint32_t i = 0; i < st->n_seeds; i++)
            json_u64(&j, NULL, st->seeds[i]);
        json_close(&j, ']');
    }
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
            study_sweep_summary(st, v, buf, sizeof(buf));
            json_str(&j, NULL, buf);
        }
        json_close(&j, ']');
        json_open(&j, "crossovers", '[');
        for (uint32_t k = 0; study_sweep_crossover(st, k, buf, sizeof(buf)); k++)
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
            json_str(&j, "state", study_state_name(r->state));
            if (r->state == RUN_FAILED)
                json_str(&j, "why", r->why);
            if (r->state == RUN_DONE)
                json_figures(&j, &r->fig, v > 0 ? study_figures_at(st, p, 0) : NULL);
            if (r->state == RUN_DONE && st->n_seeds > 1)
                json_spread(&j, st, p, v);
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
        study_html_report(out, st, with_host);
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
