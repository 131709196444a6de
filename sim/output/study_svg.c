/*
 * study_svg.c - a study's charts as inline SVG (see study_svg.h).
 *
 * Hand-written, like the rest of the HTML report: the page must need no network and no
 * JavaScript, and the charts are a few lines, circles and rectangles placed on scales computed
 * here; a charting library would bring JavaScript or a runtime for no gain. Everything written
 * into the page goes through study_html_text.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "study_metric.h"
#include "study_svg.h"

void study_html_text(FILE *out, const char *s)
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
#define FLAW_COLOR "#b00020"

#define CW 760.0  /* chart width */
#define CH 340.0
#define ML 100.0  /* margins: tick labels and the y title; the legend; the title; x labels */
#define MR 200.0
#define MT 50.0
#define MB 56.0
#define PW (CW - ML - MR) /* the plot */
#define PH (CH - MT - MB)

/* ---------------------------------------------------------------------------------------------
 * Scales.
 */

/* A value axis: ticks at round steps (1, 2 or 5 times a power of ten) of the unit the range
 * calls for (µs for times of thousands of ns, MB/s, MiB, %, thousands); lo and hi are the
 * first and last tick, in that unit. */
struct scale {
    double lo, hi, step;
    double unit;           /* base units (ns, bytes, a fraction) per unit shown */
    const char *unit_name; /* "µs", "MB/s", "%", "thousands" or "" */
    int decimals;
    bool sign;             /* a change: "+" before positive ticks */
};

/* The scale for values from lo to hi (base units; the range always holds 0). */
static void scale_of(double lo, double hi, enum metric_kind kind, bool sign, struct scale *s)
{
    static const char *const counts[] = {"", "thousands", "millions", "billions"};
    double most = fmax(fabs(lo), fabs(hi)), a, b, raw, mag, f;

    study_unit(kind, most, &s->unit, &s->unit_name);
    if (kind == MK_COUNT || kind == MK_RATE) {
        int i = 0;
        for (s->unit = 1; i < 3 && most >= s->unit * 1e3; i++)
            s->unit *= 1e3;
        s->unit_name = counts[i];
    }
    s->sign = sign;
    a = lo / s->unit;
    b = hi / s->unit;
    if (b - a <= 0)
        b = a + 1;
    raw = (b - a) / 5.0;
    mag = pow(10.0, floor(log10(raw)));
    f = raw / mag;
    s->step = (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * mag;
    if ((kind == MK_COUNT) && s->unit == 1 && s->step < 1)
        s->step = 1; /* no fractions of a count */
    s->lo = floor(a / s->step + 1e-9) * s->step;
    s->hi = ceil(b / s->step - 1e-9) * s->step;
    if (s->hi <= s->lo)
        s->hi = s->lo + s->step;
    s->decimals = s->step >= 1.0 ? 0 : (int)ceil(-log10(s->step) - 1e-9);
}

/* The y (or x, with the plot's extent) of a value in base units. */
static double scale_at(const struct scale *s, double v, double from, double extent)
{
    return from + extent * ((v / s->unit - s->lo) / (s->hi - s->lo));
}

static double y_of(const struct scale *s, double v)
{
    return MT + PH - scale_at(s, v, 0, PH);
}

static void tick_label(const struct scale *s, double t, char *out, size_t len)
{
    if (fabs(t) < s->step / 2)
        t = 0;
    snprintf(out, len, "%s%.*f", s->sign && t > 0 ? "+" : "", s->decimals, t);
}

/* The axis title: "CPU per I/O (µs)". */
static void axis_title(const char *what, const struct scale *s, char *out, size_t len)
{
    if (s->unit_name[0] != '\0')
        snprintf(out, len, "%s (%s)", what, s->unit_name);
    else
        snprintf(out, len, "%s", what);
}

/* The y axis: a gridline and label per tick, the zero line darker, the title up the side. */
static void svg_y_axis(FILE *out, const struct scale *s, const char *title)
{
    char t[48];
    int n = (int)llround((s->hi - s->lo) / s->step);

    for (int i = 0; i <= n; i++) {
        double v = s->lo + s->step * i;
        double y = MT + PH - PH * i / (double)n;
        bool zero = fabs(v) < s->step / 2;
        tick_label(s, v, t, sizeof(t));
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
                ML, y, ML + PW, y, zero ? "#777" : "#e5e5e5");
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s"
                "</text>\n", ML - 6, y + 4, t);
    }
    fprintf(out, "<text transform=\"translate(18 %.1f) rotate(-90)\" font-size=\"12\" "
            "text-anchor=\"middle\">", MT + PH / 2);
    study_html_text(out, title);
    fputs("</text>\n", out);
}

/* A swept parameter's values along x: on a log2 scale when they grow by factors (4 GiB to
 * 1 TiB, doubling), on a linear one when by steps, in the order given when they are not
 * increasing numbers. pos is 0 .. 1. */
struct xaxis {
    double pos[SCN_MAX_POINTS];
    const char *scale;
};

static void xaxis_of(const struct scn_axis *ax, struct xaxis *x)
{
    double v[SCN_MAX_POINTS];
    bool numeric = ax->n > 1, positive = true, log2s = false;
    uint32_t n = ax->n;

    for (uint32_t i = 0; numeric && i < n; i++) {
        numeric = scenario_axis_number(ax, i, &v[i]) && (i == 0 || v[i] > v[i - 1]);
        positive = positive && numeric && v[i] > 0;
    }
    if (numeric && positive && n > 2) {
        /* the spacing more even in log2 than in linear terms picks the log2 scale */
        double lin_lo = INFINITY, lin_hi = 0, log_lo = INFINITY, log_hi = 0;
        for (uint32_t i = 1; i < n; i++) {
            double d = v[i] - v[i - 1], l = log2(v[i]) - log2(v[i - 1]);
            lin_lo = fmin(lin_lo, d);
            lin_hi = fmax(lin_hi, d);
            log_lo = fmin(log_lo, l);
            log_hi = fmax(log_hi, l);
        }
        log2s = log_hi / log_lo < lin_hi / lin_lo;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (n == 1)
            x->pos[i] = 0.5;
        else if (!numeric)
            x->pos[i] = i / (double)(n - 1);
        else if (log2s)
            x->pos[i] = (log2(v[i]) - log2(v[0])) / (log2(v[n - 1]) - log2(v[0]));
        else
            x->pos[i] = (v[i] - v[0]) / (v[n - 1] - v[0]);
    }
    x->scale = !numeric ? "in the order given" : log2s ? "log2 scale" : "linear scale";
}

/* ---------------------------------------------------------------------------------------------
 * The charts.
 */

/* A chart: a metric, or (key NULL) the change in CPU per I/O against the baseline. */
struct chart_def {
    const char *key;
    const char *title;
    enum metric_kind kind;
};

/* The value charted at a point and variant, and whether there is one. */
static bool chart_value(const struct study *st, const struct chart_def *c, uint32_t p,
                        uint32_t v, double *out, const char **flaw)
{
    const struct study_figures *f = study_figures_at(st, p, v), *b = study_figures_at(st, p, 0);
    struct study_stat s;
    bool sig;

    *flaw = NULL;
    if (f == NULL)
        return false;
    *flaw = study_flaw(f);
    if (c->key != NULL) {
        *out = study_metric_find(c->key)->get(f);
        return true;
    }
    if (b == NULL || b->cpu_per_io_ns == 0.0 || v == 0)
        return false;
    *out = study_change(b->cpu_per_io_ns, f->cpu_per_io_ns);
    /* with seeds, the paired change, as the tables print it */
    if (study_change_stat(st, p, v, study_metric_find("cpu_per_io_ns"), &s, &sig))
        *out = s.mean;
    return true;
}

/* The half-width of the 95 % interval of a charted value (several seeds), or 0. */
static double chart_error(const struct study *st, const struct chart_def *c, uint32_t p,
                          uint32_t v)
{
    struct study_stat s;
    bool sig;

    if (c->key != NULL)
        return study_stat_of(st, p, v, study_metric_find(c->key), &s) ? s.ci95 : 0;
    return study_change_stat(st, p, v, study_metric_find("cpu_per_io_ns"), &s, &sig) ? s.ci95
                                                                                         : 0;
}

/* An error bar: the 95 % interval of the mean at x. */
static void svg_error_bar(FILE *out, const struct scale *s, double x, double v, double e,
                          const char *color)
{
    double y0 = y_of(s, v - e), y1 = y_of(s, v + e);

    if (e <= 0)
        return;
    fprintf(out, "<path stroke=\"%s\" stroke-width=\"1.2\" fill=\"none\" d=\"M%.1f %.1f "
            "L%.1f %.1f M%.1f %.1f L%.1f %.1f M%.1f %.1f L%.1f %.1f\"/>\n", color, x, y0, x, y1,
            x - 4, y0, x + 4, y0, x - 4, y1, x + 4, y1);
}

/* What the y axis plots: the metric, or the change against the baseline, with its unit. */
static void chart_y_title(const struct study *st, const struct chart_def *c,
                          const struct scale *s, char *out, size_t len)
{
    char what[120];

    if (c->key != NULL)
        snprintf(what, sizeof(what), "%s", c->title);
    else
        snprintf(what, sizeof(what), "CPU per I/O vs %s", st->variants[0].name);
    axis_title(what, s, out, len);
}

/* Whether a chart says anything: some run, flawless, gives a value other than 0. */
static bool chart_says(const struct study *st, const struct chart_def *c)
{
    for (uint32_t p = 0; p < st->n_points; p++) {
        for (uint32_t v = 0; v < st->n_variants; v++) {
            double val;
            const char *flaw;
            if (chart_value(st, c, p, v, &val, &flaw) && flaw == NULL && val != 0.0)
                return true;
        }
    }
    return false;
}

/* The chart's opening: the SVG element, its title (for a copied SVG too) and the visible
 * heading: what is plotted, in what unit, against what, for which scenario and seed. */
static void chart_open(FILE *out, const struct study *st, const struct chart_def *c,
                       const char *ytitle, double height)
{
    char what[400], where[700], seeds[80];

    snprintf(what, sizeof(what), "%s %s %s", ytitle, st->sweep ? "against" : "by",
             st->sweep ? st->axes[0].key : "variant");
    study_seeds_label(st, seeds, sizeof(seeds));
    snprintf(where, sizeof(where), "%s, %s, %s", st->path, seeds,
             st->device[0] ? st->device : "all devices");
    fprintf(out, "<figure class=\"chart\" id=\"chart-%s\">\n<svg xmlns=\"http://www.w3.org/"
            "2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "font-family=\"sans-serif\">\n<title>", c->key ? c->key : "overhead", CW, height,
            CW, height);
    study_html_text(out, what);
    fputs(" \xe2\x80\x94 ", out);
    study_html_text(out, where);
    fputs("</title>\n<text x=\"10\" y=\"18\" font-size=\"14\" font-weight=\"bold\">", out);
    study_html_text(out, what);
    fputs("</text>\n<text x=\"10\" y=\"35\" font-size=\"11\" fill=\"#555\">", out);
    study_html_text(out, where);
    fputs("</text>\n", out);
}

static void chart_close(FILE *out, const struct chart_def *c, bool flawed)
{
    fputs("</svg>\n<figcaption>", out);
    study_html_text(out, c->title);
    if (flawed)
        fputs(". <span class=\"flaw\">\xe2\x9c\x97</span> marks a run whose figures are no "
              "result (wrong data, findings or lost I/O): never a gain", out);
    fputs("</figcaption>\n</figure>\n", out);
}

/* A red cross at (x, y) that says why on hover. */
static void svg_flaw_mark(FILE *out, double x, double y, const char *variant, const char *flaw)
{
    fprintf(out, "<g stroke=\"" FLAW_COLOR "\" stroke-width=\"2\"><title>");
    study_html_text(out, variant);
    fprintf(out, ": %s</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n", flaw, x - 4, y - 4,
            x + 4, y + 4, x - 4, y + 4, x + 4, y - 4);
}

/* The range of the values drawn (flawless ones; for the overhead chart the flawed have no
 * value), always holding 0. */
static void range_of(const double *vals, const double *err, const bool *ok,
                     const char *const *flaw, size_t n, bool overhead, double *lo, double *hi)
{
    *lo = 0.0;
    *hi = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!ok[i] || (overhead && flaw[i] != NULL))
            continue;
        *lo = fmin(*lo, vals[i] - err[i]);
        *hi = fmax(*hi, vals[i] + err[i]);
    }
}

/* A sweep's chart: the figure against the first swept parameter, one line per variant (and
 * per value of a second one); the overhead chart leaves out the baseline, its zero line. */
static void svg_line_chart(FILE *out, const struct study *st, const struct chart_def *c)
{
    uint32_t nx = st->axes[0].n, ny = st->n_axes == 2 ? st->axes[1].n : 1;
    uint32_t nseries = st->n_variants * ny, first = c->key == NULL ? ny : 0, every;
    size_t n = (size_t)nseries * nx;
    double *vals = calloc(n, sizeof(*vals)), *err = calloc(n, sizeof(*err)), lo, hi;
    bool *ok = calloc(n, sizeof(*ok)), any_flaw = false;
    const char **flaw = calloc(n, sizeof(*flaw));
    char label[80], ytitle[240], xtitle[300];
    struct scale ys;
    static struct xaxis xs;

    if (vals == NULL || err == NULL || ok == NULL || flaw == NULL)
        goto out;
    for (uint32_t s = 0; s < nseries; s++) {
        for (uint32_t x = 0; x < nx; x++) {
            ok[s * nx + x] = chart_value(st, c, x * ny + s % ny, s / ny, &vals[s * nx + x],
                                         &flaw[s * nx + x]);
            if (ok[s * nx + x])
                err[s * nx + x] = chart_error(st, c, x * ny + s % ny, s / ny);
        }
    }
    range_of(vals, err, ok, flaw, n, c->key == NULL, &lo, &hi);
    scale_of(lo, hi, c->kind, c->key == NULL, &ys);
    xaxis_of(&st->axes[0], &xs);
    chart_y_title(st, c, &ys, ytitle, sizeof(ytitle));
    chart_open(out, st, c, ytitle, CH);
    svg_y_axis(out, &ys, ytitle);
    every = nx > 12 ? (nx + 11) / 12 : 1; /* at most 12 labels along x */
    for (uint32_t x = 0; x < nx; x++) {
        double px = ML + PW * xs.pos[x];
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#777\"/>\n",
                px, MT + PH, px, MT + PH + 4);
        if (x % every != 0 && x != nx - 1)
            continue;
        scenario_axis_label(&st->axes[0], x, label, sizeof(label));
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">", px,
                MT + PH + 17);
        study_html_text(out, label);
        fputs("</text>\n", out);
    }
    snprintf(xtitle, sizeof(xtitle), "%s (%s)", st->axes[0].key, xs.scale);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">",
            ML + PW / 2, CH - 12);
    study_html_text(out, xtitle);
    fputs("</text>\n", out);
    for (uint32_t s = first; s < nseries; s++) {
        const char *color = palette[(s / ny * ny + s % ny) % PALETTE_N];
        const char *series_flaw = NULL;
        bool pen = false;
        double ly = MT + 18.0 * (s - first);
        fprintf(out, "<path fill=\"none\" stroke-width=\"2\" stroke=\"%s\" d=\"", color);
        for (uint32_t x = 0; x < nx; x++) {
            size_t i = s * nx + x;
            if (!ok[i] || flaw[i] != NULL) {
                pen = false;
                continue;
            }
            fprintf(out, "%s%.1f %.1f ", pen ? "L" : "M", ML + PW * xs.pos[x],
                    y_of(&ys, vals[i]));
            pen = true;
        }
        fputs("\"/>\n", out);
        for (uint32_t x = 0; x < nx; x++) {
            size_t i = s * nx + x;
            double px = ML + PW * xs.pos[x];
            if (!ok[i] && flaw[i] == NULL)
                continue;
            if (flaw[i] != NULL) {
                /* no value in the overhead chart: the cross sits on the zero line */
                svg_flaw_mark(out, px, y_of(&ys, c->key == NULL || !ok[i] ? 0 : vals[i]),
                              st->variants[s / ny].name, flaw[i]);
                series_flaw = flaw[i];
                any_flaw = true;
                continue;
            }
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", px,
                    y_of(&ys, vals[i]), color);
            svg_error_bar(out, &ys, px, vals[i], err[i], color);
        }
        if (ny > 1)
            scenario_axis_label(&st->axes[1], s % ny, label, sizeof(label));
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">", ML + PW + 14, ly, color,
                ML + PW + 30, ly + 10);
        study_html_text(out, st->variants[s / ny].name);
        if (ny > 1) {
            fputs(", ", out);
            study_html_text(out, label);
        }
        if (series_flaw != NULL)
            fprintf(out, " <tspan fill=\"" FLAW_COLOR "\">\xe2\x9c\x97 %s</tspan>", series_flaw);
        fputs("</text>\n", out);
    }
    chart_close(out, c, any_flaw);
out:
    free(vals);
    free(err);
    free(ok);
    free(flaw);
}

/* A comparison's chart: one bar per variant (the overhead chart leaves out the baseline). */
static void svg_bar_chart(FILE *out, const struct study *st, const struct chart_def *c)
{
    uint32_t first = c->key == NULL ? 1 : 0, nbars = st->n_variants - first;
    double vals[SCN_MAX_VARIANTS], err[SCN_MAX_VARIANTS] = {0}, lo, hi;
    double slot = PW / (nbars ? nbars : 1);
    bool ok[SCN_MAX_VARIANTS], any_flaw = false;
    const char *flaw[SCN_MAX_VARIANTS];
    char t[48], ytitle[240];
    struct scale ys;

    for (uint32_t v = 0; v < st->n_variants; v++) {
        ok[v] = chart_value(st, c, 0, v, &vals[v], &flaw[v]);
        if (ok[v])
            err[v] = chart_error(st, c, 0, v);
    }
    range_of(vals, err, ok, flaw, st->n_variants, c->key == NULL, &lo, &hi);
    scale_of(lo, hi, c->kind, c->key == NULL, &ys);
    chart_y_title(st, c, &ys, ytitle, sizeof(ytitle));
    chart_open(out, st, c, ytitle, CH);
    svg_y_axis(out, &ys, ytitle);
    for (uint32_t v = first; v < st->n_variants; v++) {
        double x = ML + slot * (v - first) + slot * 0.2, w = slot * 0.6, y0 = y_of(&ys, 0), y1;
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">",
                x + w / 2, MT + PH + 17);
        study_html_text(out, st->variants[v].name);
        fputs("</text>\n", out);
        if (flaw[v] != NULL && (c->key == NULL || !ok[v])) {
            /* no bar: the figures of a run with wrong data are no gain */
            svg_flaw_mark(out, x + w / 2, y0, st->variants[v].name, flaw[v]);
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" "
                    "fill=\"" FLAW_COLOR "\">%s</text>\n", x + w / 2, y0 - 10, flaw[v]);
            any_flaw = true;
            continue;
        }
        if (!ok[v])
            continue;
        y1 = y_of(&ys, vals[v]);
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s/>"
                "\n", x, fmin(y0, y1), w, fabs(y0 - y1), palette[v % PALETTE_N],
                flaw[v] != NULL ? " fill-opacity=\"0.3\" stroke=\"" FLAW_COLOR "\" "
                                  "stroke-dasharray=\"4 3\"" : "");
        svg_error_bar(out, &ys, x + w / 2, vals[v], err[v], "#333");
        if (c->key == NULL)
            snprintf(t, sizeof(t), "%+.1f %%", vals[v] * 100.0);
        else
            study_format(c->kind, vals[v], t, sizeof(t));
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%s"
                "</text>\n", x + w / 2,
                vals[v] < 0 ? fmax(y_of(&ys, vals[v] - err[v]), y0) + 13
                            : fmin(y_of(&ys, vals[v] + err[v]), y1) - 4, t);
        if (flaw[v] != NULL) {
            svg_flaw_mark(out, x + w / 2, fmin(y0, y1) - 22, st->variants[v].name, flaw[v]);
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" "
                    "fill=\"" FLAW_COLOR "\">%s</text>\n", x + w / 2, fmin(y0, y1) - 30,
                    flaw[v]);
            any_flaw = true;
        }
    }
    chart_close(out, c, any_flaw);
}

void study_svg_charts(FILE *out, const struct study *st)
{
    struct chart_def charts[64];
    int n = 0, left_out = 0;

    if (st->n_variants > 1)
        charts[n++] = (struct chart_def){NULL, "Overhead: CPU per I/O against the baseline",
                                         MK_SHARE};
    for (int m = 0; m < study_n_metrics && n < 64; m++)
        if (study_metrics[m].chart)
            charts[n++] = (struct chart_def){study_metrics[m].key, study_metrics[m].title,
                                             study_metrics[m].kind};
    for (int c = 0; c < n; c++) {
        if (!chart_says(st, &charts[c]))
            continue;
        if (st->sweep)
            svg_line_chart(out, st, &charts[c]);
        else
            svg_bar_chart(out, st, &charts[c]);
    }
    for (int c = 0; c < n; c++) {
        /* a metric shown only where used (frames, on a card that makes none) goes unsaid */
        if (charts[c].key == NULL || chart_says(st, &charts[c]) ||
            study_metric_find(charts[c].key)->if_used)
            continue;
        fputs(left_out++ ? ", " : "<p class=\"note\">Not drawn, 0 in every run: ", out);
        study_html_text(out, charts[c].title);
    }
    if (left_out)
        fputs(".</p>\n", out);
    if (n > 0 && charts[0].key == NULL && !chart_says(st, &charts[0]))
        fputs("<p class=\"note\">Not drawn: the overhead. No variant with a result differs "
              "from the baseline in CPU per I/O at any point.</p>\n", out);
}

void study_svg_time_bars(FILE *out, const struct study *st)
{
    static const char *const colors[STUDY_TIME_COUNT] = {"#4e79a7", "#f28e2b", "#e15759",
                                                         "#76b7b2", "#59a14f", "#bab0ac"};
    double most = 0, bar = 22, x0 = 190, width = CW - x0 - 30;
    double height = MT + st->n_cells * (bar + 8) + 80, axis_y = MT + st->n_cells * (bar + 8);
    char t[160], label[80], where[700], seeds[80];
    struct scale xs;
    int n;

    for (uint32_t i = 0; i < st->n_cells; i++) {
        double sum = 0;
        if (st->cells[i].state != RUN_DONE)
            continue;
        for (int c = 0; c < STUDY_TIME_COUNT; c++)
            sum += st->cells[i].fig.time_per_io_ns[c];
        most = fmax(most, sum);
    }
    scale_of(0, most, MK_NS, false, &xs);
    study_seeds_label(st, seeds, sizeof(seeds));
    snprintf(where, sizeof(where), "%s, %s, %s", st->path, seeds,
             st->device[0] ? st->device : "all devices");
    fprintf(out, "<figure class=\"chart\" id=\"chart-time\">\n<svg xmlns=\"http://www.w3.org/"
            "2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "font-family=\"sans-serif\">\n<title>Where the time of an I/O went \xe2\x80\x94 ",
            CW, height, CW, height);
    study_html_text(out, where);
    fputs("</title>\n<text x=\"10\" y=\"18\" font-size=\"14\" font-weight=\"bold\">Where the "
          "time of an I/O went, per run</text>\n<text x=\"10\" y=\"35\" font-size=\"11\" "
          "fill=\"#555\">", out);
    study_html_text(out, where);
    fputs("</text>\n", out);
    n = (int)llround((xs.hi - xs.lo) / xs.step);
    for (int i = 0; i <= n; i++) {
        double x = x0 + width * i / (double)n;
        tick_label(&xs, xs.lo + xs.step * i, t, sizeof(t));
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%s</text>\n",
                x, MT - 4, x, axis_y, i == 0 ? "#777" : "#e5e5e5", x, axis_y + 14, t);
    }
    axis_title("time per I/O", &xs, t, sizeof(t));
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">%s</text>\n",
            x0 + width / 2, axis_y + 30, t);
    for (uint32_t i = 0; i < st->n_cells; i++) {
        const struct study_run *r = &st->cells[i];
        double y = MT + i * (bar + 8), x = x0;
        const char *flaw = r->state == RUN_DONE ? study_flaw(&r->fig) : NULL;
        study_point_label(st, r->point, label, sizeof(label));
        snprintf(t, sizeof(t), "%s%s%s", st->n_axes ? label : "", st->n_axes ? " " : "",
                 st->variants[r->variant].name);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">",
                x0 - 6, y + bar * 0.7);
        study_html_text(out, t);
        fputs("</text>\n", out);
        if (r->state != RUN_DONE)
            continue;
        for (int c = 0; c < STUDY_TIME_COUNT; c++) {
            double w = scale_at(&xs, r->fig.time_per_io_ns[c], 0, width) -
                       scale_at(&xs, 0, 0, width);
            study_format(MK_NS, r->fig.time_per_io_ns[c], t, sizeof(t));
            fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\" "
                    "fill=\"%s\"%s><title>%s: %s</title></rect>\n", x, y, w, bar, colors[c],
                    flaw ? " fill-opacity=\"0.3\"" : "", study_time_name((enum study_time)c), t);
            x += w;
        }
        if (flaw != NULL) {
            svg_flaw_mark(out, x + 10, y + bar / 2, st->variants[r->variant].name, flaw);
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"" FLAW_COLOR
                    "\">%s</text>\n", x + 20, y + bar * 0.7, flaw);
        }
    }
    for (int c = 0; c < STUDY_TIME_COUNT; c++) {
        double y = height - 22;
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">%s</text>\n",
                10 + 122.0 * c, y, colors[c], 10 + 122.0 * c + 16, y + 10,
                study_time_name((enum study_time)c));
    }
    fputs("</svg>\n<figcaption>Where the time of an I/O went: CPU time per I/O by cause, and "
          "the device's own time (latency and transfer), per run</figcaption>\n</figure>\n",
          out);
}
