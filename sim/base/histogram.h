/*
 * histogram.h - latency histograms of bounded size, whatever the number of samples.
 *
 * Log-linear buckets: exact below 1024 ns, then 512 buckets per power of two, so any
 * percentile is within 1/1024 (about 0.1 %) of the true value, smaller than the differences
 * a study measures. A power of two's buckets (4 KiB) are allocated when its first value
 * comes, so a run of ten million I/Os uses the same few tens of kilobytes as a run of ten;
 * should the host refuse that memory, the power of two is counted as one bucket (its
 * percentiles then within a factor of 1.5), never lost. Minimum, maximum and mean are exact.
 */
#ifndef DMASIM_HISTOGRAM_H
#define DMASIM_HISTOGRAM_H

#include <stdbool.h>
#include <stdint.h>

#define HIST_SUB_BITS 9                        /* 512 buckets per power of two */
#define HIST_EXACT (1u << (HIST_SUB_BITS + 1)) /* values below this are counted exactly */

struct histogram {
    uint64_t count, sum, min, max;
    uint64_t *exact;      /* HIST_EXACT counts, or NULL until a value below HIST_EXACT */
    uint64_t *fine[64];   /* power of two t (t > HIST_SUB_BITS): 1 << HIST_SUB_BITS counts */
    uint64_t coarse[64];  /* every power of two's count (the exact range's in coarse[0]) */
    bool only_coarse[64]; /* its buckets could not be allocated: counted in coarse alone */
};

void hist_init(struct histogram *h);
void hist_free(struct histogram *h);
void hist_add(struct histogram *h, uint64_t value);
void hist_merge(struct histogram *into, const struct histogram *from);
/* The value at quantile q (0..1): the midpoint of the bucket it falls in; 0 if empty. */
uint64_t hist_quantile(const struct histogram *h, double q);
uint64_t hist_mean(const struct histogram *h);
/* Whether two histograms hold the same counts. */
bool hist_equal(const struct histogram *a, const struct histogram *b);

#endif /* DMASIM_HISTOGRAM_H */
