/*
 * histogram.c - log-linear latency histograms (see histogram.h).
 */
#include <string.h>

#include "histogram.h"

void hist_init(struct histogram *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

static unsigned bucket_of(uint64_t v)
{
    unsigned top;

    if (v < 64)
        return (unsigned)v;
    top = 63 - (unsigned)__builtin_clzll(v); /* 6 .. 63 */
    return 64 + (top - 6) * (1u << HIST_SUB_BITS) +
           (unsigned)((v >> (top - HIST_SUB_BITS)) & ((1u << HIST_SUB_BITS) - 1));
}

/* The smallest value of bucket b, and its width. */
static void bucket_range(unsigned b, uint64_t *low, uint64_t *width)
{
    unsigned top, sub;

    if (b < 64) {
        *low = b;
        *width = 1;
        return;
    }
    top = (b - 64) / (1u << HIST_SUB_BITS) + 6;
    sub = (b - 64) % (1u << HIST_SUB_BITS);
    *width = 1ULL << (top - HIST_SUB_BITS);
    *low = (1ULL << top) + sub * *width;
}

void hist_add(struct histogram *h, uint64_t value)
{
    h->bucket[bucket_of(value)]++;
    h->count++;
    h->sum += value;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
}

void hist_merge(struct histogram *into, const struct histogram *from)
{
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

uint64_t hist_quantile(const struct histogram *h, double q)
{
    uint64_t rank, seen = 0, low, width;

    if (h->count == 0)
        return 0;
    rank = (uint64_t)(q * (double)h->count);
    if (rank >= h->count)
        rank = h->count - 1;
    for (unsigned b = 0; b < HIST_BUCKETS; b++) {
        seen += h->bucket[b];
        if (seen > rank) {
            bucket_range(b, &low, &width);
            low += width / 2;
            if (low > h->max)
                low = h->max;
            if (low < h->min)
                low = h->min;
            return low;
        }
    }
    return h->max;
}

uint64_t hist_mean(const struct histogram *h)
{
    return h->count ? h->sum / h->count : 0;
}
