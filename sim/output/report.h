/*
 * report.h - a run's result as text (for people), JSON (schema in docs/report-schema.md) or
 * CSV (a header and one row per device, then the total).
 */
#ifndef DMASIM_REPORT_H
#define DMASIM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "run.h"

#define REPORT_SCHEMA "dmasim-run/1"

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_CSV };

/* Returns the format for a name, or -1. */
int report_format_parse(const char *name);

/* with_host: include the host-measured section (wall time, events per second), which is
 * the one part of a report that differs between identical runs. */
void report_write(FILE *out, const struct run_result *r, enum report_format format,
                  bool with_host);

#endif /* DMASIM_REPORT_H */
