/*
 * study_html.c - a comparison or sweep as one self-contained HTML file (see study_report.h).
 *
 * The HTML writer is hand-written like the JSON one: the page is a fixed template, must need
 * no network and no JavaScript, and its charts (study_svg.c) are a few SVG lines and
 * rectangles computed here; a templating or charting library would bring JavaScript or a
 * runtime for no gain. Everything written into the page goes through study_html_text, which
 * escapes &, <, > and quotes.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study_report_int.h"
#include "study_svg.h"

/* ---------------------------------------------------------------------------------------------
 * HTML: one file, no network, no JavaScript; charts are inline SVG.
 */
struct html_config {
    FILE *out;
};

static void html_config_row(void *ctx, const char *section, const char *key, const char *value,
                            bool is_number)
{
    struct html_config *h = ctx;

    (void)is_number;
    fputs("<tr><td>", h->out);
    study_html_text(h->out, section);
    fputs("</td><td>", h->out);
    study_html_text(h->out, key);
    fputs("</td><td>", h->out);
    study_html_text(h->out, value);
    fputs("</td></tr>\n", h->out);
}

/* The unit a table shows a metric in: the one its largest value calls for, in every run. */
static void html_unit(const struct study *st, const struct study_metric *k, uint32_t point_lo,
                      uint32_t point_hi, double *per, const char **name)
{
    double most = 0;

    for (uint32_t p = point_lo; p < point_hi; p++) {
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_figures *f = study_figures_at(st, p, v);
            if (f != NULL)
                most = fmax(most, fabs(k->get(f)));
        }
    }
    study_unit(k->kind, most, per, name);
}

static void html_metric_title(FILE *out, const struct study_metric *k, const char *unit)
{
    fputs(k->title, out);
    if (unit[0] != '\0')
        fprintf(out, " (%s)", unit);
}

/* A variant's name in a header cell, with its flaw when its figures are no result. */
static void html_variant(FILE *out, const char *name, const char *flaw)
{
    study_html_text(out, name);
    if (flaw != NULL)
        fprintf(out, " <span class=\"flaw\">\xe2\x9c\x97 %s</span>", flaw);
}

/* A change against the baseline; n/a for a run whose figures are no result; with several
 * seeds its interval, greyed as noise when the interval holds 0. */
static void html_change(FILE *out, const struct study *st, uint32_t p, uint32_t v,
                        const struct study_metric *k, const char *flaw)
{
    char c[80];
    struct study_stat s;
    bool sig = true;

    if (flaw != NULL) {
        fprintf(out, "<td class=\"flaw\" title=\"%s: not a result\">n/a</td>", flaw);
        return;
    }
    study_format_change_spread(st, p, v, k, c, sizeof(c));
    if (study_change_stat(st, p, v, k, &s, &sig) && !sig && s.sd > 0)
        fprintf(out, "<td class=\"noise\" title=\"within the noise of the seeds: the 95 %% "
                "interval holds 0\">%s</td>", c);
    else
        fprintf(out, "<td>%s</td>", c);
}

/* A spread to two significant digits (0.00087, 5.3, 107). */
static void two_digits(double x, char *out, size_t len)
{
    int decimals = x > 0 ? 1 - (int)floor(log10(x)) : 0;

    snprintf(out, len, "%.*f", decimals < 0 ? 0 : decimals > 9 ? 9 : decimals, x);
}

/* A figure in a table's unit; with several seeds that differ, its interval beside it and its
 * standard deviation on hover. */
static void html_value(FILE *out, const struct study *st, uint32_t p, uint32_t v,
                       const struct study_metric *k, double per)
{
    const struct study_figures *f = study_figures_at(st, p, v);
    struct study_stat s;
    char a[40], c[40], d[40];

    if (f == NULL) {
        fprintf(out, "<td>%s</td>", study_state_name(study_get(st, p, v)->state));
        return;
    }
    study_format_in(k->kind, k->get(f), per, a, sizeof(a));
    if (!study_stat_of(st, p, v, k, &s) || s.sd == 0) {
        fprintf(out, "<td>%s</td>", a);
        return;
    }
    two_digits(s.ci95 / per, c, sizeof(c));
    two_digits(s.sd / per, d, sizeof(d));
    fprintf(out, "<td title=\"sd %s, %u seeds\">%s <span class=\"ci\">\xc2\xb1%s</span></td>", d,
            s.n, a, c);
}

/* The columns of a sweep's HTML tables: what it costs, and why. */
static const char *const sweep_cost_columns[] = {"throughput", "iops", "cpu_per_io_ns",
                                                 "latency_p50_ns", "latency_p99_ns"};
static const char *const sweep_why_columns[] = {
    "bounced_share", "above_limit_share", "pages_bounced_per_io", "bytes_bounced_per_io",
    "map_register_waits", "map_register_wait_per_io_ns", "mismatches"};

static void html_sweep_table(FILE *out, const struct study *st, const char *const *cols,
                             int ncols, bool changes)
{
    double per[16];
    const char *unit[16];
    char label[80];

    fputs("<div class=\"wide\"><table class=\"figures\">\n<thead><tr>", out);
    for (uint32_t x = 0; x < st->n_axes; x++) {
        fputs("<th class=\"key\">", out);
        study_html_text(out, st->axes[x].key);
        fputs("</th>", out);
    }
    fputs("<th class=\"key\">variant</th>", out);
    for (int k = 0; k < ncols; k++) {
        const struct study_metric *m = study_metric_find(cols[k]);
        html_unit(st, m, 0, st->n_points, &per[k], &unit[k]);
        fputs("<th>", out);
        html_metric_title(out, m, unit[k]);
        fputs("</th>", out);
    }
    if (changes)
        fputs("<th>CPU per I/O vs baseline</th><th>throughput vs baseline</th>", out);
    fputs("</tr></thead>\n<tbody>\n", out);
    for (uint32_t p = 0; p < st->n_points; p++) {
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_figures *f = study_figures_at(st, p, v);
            const struct study_figures *b = study_figures_at(st, p, 0);
            const char *flaw = f != NULL ? study_flaw(f) : NULL;
            fputs(v == 0 && p > 0 ? "<tr class=\"point\">" : "<tr>", out);
            for (uint32_t x = 0; x < st->n_axes; x++) {
                scenario_axis_label(&st->axes[x], study_point_index(st, p, x), label,
                                    sizeof(label));
                fputs("<td class=\"key\">", out);
                study_html_text(out, label);
                fputs("</td>", out);
            }
            fputs("<td class=\"key\">", out);
            html_variant(out, st->variants[v].name, flaw);
            fputs("</td>", out);
            for (int k = 0; k < ncols; k++)
                html_value(out, st, p, v, study_metric_find(cols[k]), per[k]);
            if (changes && (f == NULL || b == NULL || v == 0)) {
                fputs("<td></td><td></td>", out);
            } else if (changes) {
                html_change(out, st, p, v, study_metric_find("cpu_per_io_ns"), flaw);
                html_change(out, st, p, v, study_metric_find("throughput"), flaw);
            }
            fputs("</tr>\n", out);
        }
    }
    fputs("</tbody>\n</table></div>\n", out);
}

/* The figures: a comparison's metrics by variant (each in the unit its largest value calls
 * for, named in its row), or a sweep's runs in two tables, what they cost and why. */
static void html_table(FILE *out, const struct study *st)
{
    const struct study_figures *b = study_figures_at(st, 0, 0);

    if (st->sweep) {
        fputs("<h3>What it costs</h3>\n", out);
        html_sweep_table(out, st, sweep_cost_columns,
                         (int)(sizeof(sweep_cost_columns) / sizeof(sweep_cost_columns[0])), true);
        fputs("<h3>Why</h3>\n", out);
        html_sweep_table(out, st, sweep_why_columns,
                         (int)(sizeof(sweep_why_columns) / sizeof(sweep_why_columns[0])), false);
        return;
    }
    fputs("<div class=\"wide\"><table class=\"figures\">\n<thead><tr><th class=\"key\">metric"
          "</th>", out);
    for (uint32_t v = 0; v < st->n_variants; v++) {
        const struct study_figures *f = study_figures_at(st, 0, v);
        fputs("<th>", out);
        html_variant(out, st->variants[v].name, f != NULL ? study_flaw(f) : NULL);
        fputs(v == 0 ? " (baseline)</th>" : "</th><th>vs baseline</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
    for (int m = 0; m < study_n_metrics; m++) {
        const struct study_metric *k = &study_metrics[m];
        double per;
        const char *unit;
        if (!study_shown(st, k))
            continue;
        html_unit(st, k, 0, 1, &per, &unit);
        fputs("<tr><td class=\"key\">", out);
        html_metric_title(out, k, unit);
        fputs("</td>", out);
        for (uint32_t v = 0; v < st->n_variants; v++) {
            const struct study_figures *f = study_figures_at(st, 0, v);
            html_value(out, st, 0, v, k, per);
            if (v == 0)
                continue;
            if (f != NULL && b != NULL && k->compared)
                html_change(out, st, 0, v, k, study_flaw(f));
            else
                fputs("<td></td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table></div>\n", out);
}

static const char html_style[] =
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}"
    ".headline{font-size:1.05em;background:#f4f6fa;border-left:4px solid #1f77b4;"
    "padding:.6em 1em}"
    "h3{font-size:1em;margin:1.2em 0 .4em}"
    "div.wide{overflow-x:auto}"
    "table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ddd;"
    "padding:3px 8px;text-align:right}td{white-space:nowrap;font-variant-numeric:tabular-nums}"
    "th{vertical-align:bottom;background:#f7f7f7}.key,td:first-child,th:first-child"
    "{text-align:left}tr.point td{border-top:2px solid #bbb}"
    ".flaw{color:#b00020;font-weight:bold}td.flaw{background:#fdecee}"
    ".note{font-size:.9em;color:#555}.ci{color:#666;font-size:.9em}.noise{color:#999}"
    "figure.chart{margin:1.5em 0}figcaption{font-size:.9em;color:#555}"
    "footer{margin-top:3em;font-size:.8em;color:#666}"
    "@media print{body{margin:0;max-width:none;font-size:10pt}div.wide{overflow:visible}"
    "table{font-size:7.5pt}td,th{padding:1px 4px}tr,figure.chart{break-inside:avoid}"
    "h2,h3{break-after:avoid}.headline{border-left-width:2px}"
    "svg{max-width:100%;height:auto}}"
    "@page{size:A4;margin:12mm}";

void study_html_report(FILE *out, const struct study *st, bool with_host)
{
    char buf[4096];
    struct html_config hc = {out};

    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>", out);
    fprintf(out, "dmasim %s: ", st->sweep ? "sweep" : "compare");
    study_html_text(out, st->path);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>dmasim %s: ", html_style,
            st->sweep ? "sweep" : "compare");
    study_html_text(out, st->path);
    fputs("</h1>\n", out);
    study_seeds_label(st, buf, sizeof(buf));
    buf[0] = (char)toupper((unsigned char)buf[0]);
    fprintf(out, "<p>%s, ", buf);
    study_html_text(out, st->device[0] ? st->device : "all devices");
    fprintf(out, ", %u variant%s; the baseline is <b>", st->n_variants,
            st->n_variants == 1 ? "" : "s");
    study_html_text(out, st->variants[0].name);
    fputs("</b>.", out);
    for (uint32_t a = 0; a < st->n_axes; a++) {
        fputs(" Swept: <code>", out);
        study_html_text(out, st->axes[a].key);
        fprintf(out, "</code> over %u values.", st->axes[a].n);
    }
    if (st->n_seeds > 1)
        fprintf(out, " Each figure is the mean of %u runs, one per seed, \xc2\xb1 its 95 %% "
                "confidence interval (the standard deviation on hover); a change against the "
                "baseline is paired seed by seed, and greyed as <span class=\"noise\">noise"
                "</span> when its interval holds 0.", st->n_seeds);
    fputs("</p>\n", out);
    for (uint32_t v = 1; v < st->n_variants; v++) {
        if (st->sweep)
            study_sweep_summary(st, v, buf, sizeof(buf));
        else
            study_sentence(st, 0, v, buf, sizeof(buf));
        fputs("<p class=\"headline\">", out);
        study_html_text(out, buf);
        fputs("</p>\n", out);
    }
    for (uint32_t k = 0; study_sweep_crossover(st, k, buf, sizeof(buf)); k++) {
        fputs("<p class=\"headline\">", out);
        study_html_text(out, buf);
        fputs("</p>\n", out);
    }
    if (st->skipped > 0)
        fprintf(out, "<p class=\"headline\">STOPPED: %u of %u runs were skipped.</p>\n",
                st->skipped, st->n_runs);
    fputs("<h2>Figures</h2>\n", out);
    html_table(out, st);
    fputs("<h2>Charts</h2>\n", out);
    study_svg_charts(out, st);
    fputs("<h2>Where the time went</h2>\n", out);
    study_svg_time_bars(out, st);
    fputs("<h2>Variants</h2>\n<table>\n<thead><tr><th>variant</th><th>overrides</th></tr>"
          "</thead>\n<tbody>\n", out);
    for (uint32_t v = 0; v < st->n_variants; v++) {
        fputs("<tr><td>", out);
        study_html_text(out, st->variants[v].name);
        fputs("</td><td>", out);
        for (uint32_t k = 0; k < st->variants[v].n_sets; k++) {
            if (k)
                fputs(", ", out);
            study_html_text(out, st->variants[v].sets[k].text);
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
