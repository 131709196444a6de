/*
 * study_words.c - what a study says in words: the headline of each point, a sweep's sentence
 * per variant and its crossovers, and the small helpers every format's tables share.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "study_report_int.h"
#include "units.h"

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
    const struct study_figures *b = study_figures_at(st, point, 0);
    const struct study_figures *f = study_figures_at(st, point, v);
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
    if (f->lost > 0 && b->lost == 0) /* its figures are of what finished: no cost to tell */
        return (size_t)snprintf(out, len, "%s lost %" PRIu64 " I/O%s: the run ended with the "
                                "driver holding them (%" PRIu64 " findings name the cause), "
                                "after %" PRIu64 " completed. ", vn, f->lost,
                                f->lost == 1 ? "" : "s", f->findings, f->ios);
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
        vn, fabs(dc), dc >= 0 ? "more" : "less", bn, cv, cb, thr,
        100.0 * value_of("above_limit_share", f),
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
        const struct study_figures *a = study_figures_at(st, first, v);
        const struct study_figures *z = study_figures_at(st, last, v);
        at += (size_t)snprintf(out + at, len - at, ". Why: the share of its pages above its "
                               "reach goes from %.1f %% to %.1f %%, pages copied per I/O from "
                               "%.2f to %.2f, map-register waits from %" PRIu64 " to %" PRIu64
                               ".",
                               100.0 * value_of("above_limit_share", a),
                               100.0 * value_of("above_limit_share", z),
                               value_of("pages_bounced_per_io", a),
                               value_of("pages_bounced_per_io", z), a->map_register_waits,
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
                const struct study_figures *a = study_figures_at(st, p, v1);
                const struct study_figures *b = study_figures_at(st, p, v2);
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
                    const struct study_figures *a = study_figures_at(st, p, v1);
                    const struct study_figures *b = study_figures_at(st, p, v2);
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
