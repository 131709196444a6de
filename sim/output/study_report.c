/*
 * study_report.c - a comparison or sweep as text, CSV or JSON, and the dispatch to every
 * format (see study_report.h; the words are study_words.c, the HTML page study_html.c).
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
    int width = 16; /* a name, then at least one space before its settings */
    for (uint32_t v = 0; v < st->n_variants; v++)
        if ((int)strlen(st->variants[v].name) + 1 > width)
            width = (int)strlen(st->variants[v].name) + 1;
    for (uint32_t v = 0; v < st->n_variants; v++) {
        fprintf(out, "  %-*s", width, st->variants[v].name);
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
            const struct study_figures *f = study_figures_at(st, 0, v);
            const struct study_figures *b = study_figures_at(st, 0, 0);
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
            const struct study_figures *f = study_figures_at(st, p, v);
            const struct study_figures *b = study_figures_at(st, p, 0);
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
            const struct study_figures *f = study_figures_at(st, p, v);
            const struct study_figures *b = study_figures_at(st, p, 0);
            for (uint32_t a = 0; a < st->n_axes; a++)
                fprintf(out, "%s,", st->axes[a].value[study_point_index(st, p, a)]);
            fprintf(out, "%s,%s", st->variants[v].name,
                    study_state_name(study_get(st, p, v)->state));
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
