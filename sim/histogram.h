/*
 * histogram.h - latency histograms of bounded size, whatever the number of samples.
 *
 * Log-linear buckets: exact below 64 ns, then 32 buckets per power of two, so any percentile
 * is within 1/64 (about 1.6 %) of the true value while a run of ten million I/Os uses the
 * same few kilobytes as a run of ten. Minimum, maximum and mean are exact.
 */
#ifndef DMASIM_HISTOGRAM_H
#define DMASIM_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS 5
#define HIST_BUCKETS (64 + (64 - 6) * (1 << HIST_SUB_BITS))

struct histogram {
    uint64_t count, sum, min, max;
    uint64_t bucket[HIST_BUCKETS];
};

void hist_init(struct histogram *h);
void hist_add(struct histogram *h, uint64_t value);
void hist_merge(struct histogram *into, const struct histogram *from);
/* The value at quantile q (0..1): the midpoint of the bucket it falls in; 0 if empty. */
uint64_t hist_quantile(const struct histogram *h, double q);
uint64_t hist_mean(const struct histogram *h);

#endif /* DMASIM_HISTOGRAM_H */
