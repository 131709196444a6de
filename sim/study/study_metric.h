/*
 * study_metric.h - the figures a comparison or sweep reports, one table for every format
 * (text, CSV, JSON, HTML), and how each is printed.
 */
#ifndef DMASIM_STUDY_METRIC_H
#define DMASIM_STUDY_METRIC_H

#include <stdbool.h>
#include <stddef.h>

#include "study.h"

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

/* A metric's value as text and HTML print it. */
void study_format(enum metric_kind kind, double v, char *out, size_t len);
/* A change against the baseline as printed: "+2.2 %", "-0.4 %", "same", "from 0". */
void study_format_change(double base, double v, char *out, size_t len);

/* The unit a figure of kind is shown in when the largest of its values is most: its size
 * in base units (ns, bytes, bytes/s; 0.01 for a share shown in %) and name ("\xc2\xb5s",
 * "MiB", "GB/s", "%"; "" for counts and rates, shown as they are). */
void study_unit(enum metric_kind kind, double most, double *per, const char **name);
/* A figure in the unit of size per: the number alone, for a column whose header names it. */
void study_format_in(enum metric_kind kind, double v, double per, char *out, size_t len);

/* The metric with that key, or NULL. */
const struct study_metric *study_metric_find(const char *key);

/* The relative change of v against base: 0 when both are 0, INFINITY from 0. */
double study_change(double base, double v);

/* The run's figures at a point and variant, or NULL when it did not finish. */
const struct study_figures *study_figures_at(const struct study *st, uint32_t point,
                                             uint32_t v);

/* Why a run's figures are no result whatever they say ("wrong data", "I/O lost" or
 * "findings"), or NULL: such a run is marked in every table and chart, never shown as a gain
 * (failed I/O is a result: the driver refused or reported it, as a fault study expects). */
const char *study_flaw(const struct study_figures *f);

/* A figure's spread over the seeds of a point and variant (--repeat, --seeds). */
struct study_stat {
    double mean, sd; /* the sample standard deviation */
    double ci95;     /* the half-width of the 95 % confidence interval of the mean (Student) */
    uint32_t n;
};

/* Metric k over the seeds of a point and variant: false with fewer than two seeds or a run
 * not done. */
bool study_stat_of(const struct study *st, uint32_t p, uint32_t v,
                   const struct study_metric *k, struct study_stat *s);

/* The change of variant v against the baseline in metric k, paired seed by seed (each seed's
 * workload runs on both): the relative change of the means, the spread of the per-seed
 * differences over the baseline's mean, and whether the interval leaves 0 out (a difference
 * beyond the noise of the seeds). False where undefined (fewer than two seeds, the baseline
 * itself, a baseline mean of 0). */
bool study_change_stat(const struct study *st, uint32_t p, uint32_t v,
                       const struct study_metric *k, struct study_stat *s, bool *significant);

/* "seed 1", or "seeds 1..8". */
void study_seeds_label(const struct study *st, char *out, size_t len);

/* A figure as the reports print it: "55.12 us", with several seeds "55.12 us ±53 ns" (the
 * mean and its 95 % interval); "" for a run not done. */
void study_format_spread(const struct study *st, uint32_t p, uint32_t v,
                         const struct study_metric *k, char *out, size_t len);

/* A change against the baseline as printed: as study_format_change with one seed; with
 * several "+2.2 % ±0.1", and "+0.1 % ±0.3 noise" when the interval holds 0. */
void study_format_change_spread(const struct study *st, uint32_t p, uint32_t v,
                                const struct study_metric *k, char *out, size_t len);

#endif /* DMASIM_STUDY_METRIC_H */
