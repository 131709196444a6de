/*
 * study_report_int.h - what the study report's files share, lowest first: study_words.c
 * (the headline and sentences, the tables' helpers), study_html.c (the page), study_report.c
 * (text, CSV, JSON, and the dispatch to every format).
 */
#ifndef DMASIM_STUDY_REPORT_INT_H
#define DMASIM_STUDY_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "study_report.h"
#include "study_svg.h"

/* Does a table show metric k: always, or (if_used) where some run of the first point has
 * it. */
bool study_shown(const struct study *st, const struct study_metric *k);
const char *study_state_name(enum study_run_state s);
/* The sentence of a variant against the baseline at a point; its length. */
size_t study_sentence(const struct study *st, uint32_t point, uint32_t v, char *out,
                      size_t len);
/* A sweep's sentence for a variant: its overhead at each point, and why. */
size_t study_sweep_summary(const struct study *st, uint32_t v, char *out, size_t len);
/* The k-th crossover of two variants along a one-key sweep, or false. */
bool study_sweep_crossover(const struct study *st, uint32_t k, char *out, size_t len);
void study_html_report(FILE *out, const struct study *st, bool with_host);

#endif /* DMASIM_STUDY_REPORT_INT_H */
