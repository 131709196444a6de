/*
 * study_svg.h - a study's charts as inline SVG for the HTML report: round 1-2-5 ticks in the
 * unit of the range, titled axes with their units, a log2 or linear scale for a swept value
 * as its spacing calls for, each chart saying what it plots for which scenario and seed,
 * charts that say nothing left out (and named), and runs whose figures are no result (wrong
 * data, findings, lost I/O) marked as such, never drawn as a gain.
 */
#ifndef DMASIM_STUDY_SVG_H
#define DMASIM_STUDY_SVG_H

#include <stdio.h>

#include "study.h"

/* Text for HTML: &, <, > and quotes escaped. */
void study_html_text(FILE *out, const char *s);

/* Every chart of the study's figures (a line per variant against the swept value, or a bar
 * per variant), then a note naming the charts left out because every run gives 0. */
void study_svg_charts(FILE *out, const struct study *st);

/* Where the time of an I/O went: one stacked bar per run, on a scale of µs per I/O. */
void study_svg_time_bars(FILE *out, const struct study *st);

#endif /* DMASIM_STUDY_SVG_H */
