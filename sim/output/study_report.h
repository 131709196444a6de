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
#include "study_metric.h"

#define STUDY_SCHEMA "dmasim-study/1"

enum study_format { STUDY_TEXT, STUDY_JSON, STUDY_CSV, STUDY_HTML };

/* Returns the format for a name, or -1. */
int study_format_parse(const char *name);

/* The headline: what double-buffering costs, in words, at one point. */
void study_headline(const struct study *st, uint32_t point, char *out, size_t len);

void study_report_write(FILE *out, const struct study *st, enum study_format format,
                        bool with_host);

#endif /* DMASIM_STUDY_REPORT_H */
