/*
 * study_report.h - a comparison or sweep as text, CSV, JSON (schema in docs/report-schema.md)
 * or one self-contained HTML file with inline SVG charts.
 *
 * Every format prints the same figures from one table of metrics (study_metrics), so a number
 * in the text report is the JSON's number formatted by study_format.
 */
#ifndef DMASIM_STUDY_REPORT_H
#define DMASIM_STUDY_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "study.h"

#define STUDY_SCHEMA "dmasim-study/1"

enum study_format { STUDY_TEXT, STUDY_JSON, STUDY_CSV, STUDY_HTML };

enum metric_kind {
    MK_COUNT,   /* an integer */
    MK_RATE,    /* per second, or per I/O: a decimal */
    MK_NS,      /* a time */
    MK_BPS,     /* bytes per second */
    MK_BYTES,
    MK_SHARE    /* a fraction, 0 .. 1, shown as a percentage */
};

struct study_metric {
    const char *key;   /* JSON and CSV */
    const char *title; /* text and HTML */
    enum metric_kind kind;
    double (*get)(const struct study_figures *f);
    bool compared;     /* has a change against the baseline */
    bool chart;        /* drawn in the HTML report */
    bool if_used;      /* text and HTML tables show it only where some run is not 0 */
};

extern const struct study_metric study_metrics[];
extern const int study_n_metrics;

/* Returns the format for a name, or -1. */
int study_format_parse(const char *name);

/* A metric's value as text and HTML print it. */
void study_format(enum metric_kind kind, double v, char *out, size_t len);
/* A change against the baseline as printed: "+2.2 %", "-0.4 %", "same", "from 0". */
void study_format_change(double base, double v, char *out, size_t len);

/* The headline: what double-buffering costs, in words, at one point. */
void study_headline(const struct study *st, uint32_t point, char *out, size_t len);

void study_report_write(FILE *out, const struct study *st, enum study_format format,
                        bool with_host);

#endif /* DMASIM_STUDY_REPORT_H */
