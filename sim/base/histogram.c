/*
 * histogram.c - log-linear latency histograms (see histogram.h).
 *
 * Values below HIST_EXACT have a bucket each (group 0). Above, group t (HIST_SUB_BITS < t <
 * 64) holds [2^t, 2^(t+1)) in 2^HIST_SUB_BITS buckets of width 2^(t - HIST_SUB_BITS).
 */
#include <stdlib.h>
#include <string.h>

#include "histogram.h"

#define SUBS (1u << HIST_SUB_BITS)

void hist_init(struct histogram *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

void hist_free(struct histogram *h)
{
    free(h->exact);
    for (int t = 0; t < 64; t++)
        free(h->fine[t]);
    hist_init(h);
}

/* The group of v (0: exact) and its bucket in the group. */
static unsigned group_of(uint64_t v, unsigned *bucket)
{
    unsigned top;

    if (v < HIST_EXACT) {
        *bucket = (unsigned)v;
        return 0;
    }
    top = 63 - (unsigned)__builtin_clzll(v); /* HIST_SUB_BITS + 1 .. 63 */
    *bucket = (unsigned)((v >> (top - HIST_SUB_BITS)) & (SUBS - 1));
    return top;
}

/* The counts of group t, allocated at its first value; NULL if it is counted coarsely. */
static uint64_t *counts_of(struct histogram *h, unsigned t)
{
    uint64_t **slot = t == 0 ? &h->exact : &h->fine[t];

    if (*slot == NULL && !h->only_coarse[t]) {
        if (h->coarse[t] != 0) /* values came before (a merge): no buckets for them */
            h->only_coarse[t] = true;
        else
            *slot = calloc(t == 0 ? HIST_EXACT : SUBS, sizeof(uint64_t));
        if (*slot == NULL)
            h->only_coarse[t] = true;
    }
    return *slot;
}

static void note(struct histogram *h, uint64_t value, uint64_t n, uint64_t sum)
{
    h->count += n;
    h->sum += sum;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
}

void hist_add(struct histogram *h, uint64_t value)
{
    unsigned b, t = group_of(value, &b);
    uint64_t *c = counts_of(h, t);

    if (c != NULL)
        c[b]++;
    h->coarse[t]++;
    note(h, value, 1, value);
}

void hist_merge(struct histogram *into, const struct histogram *from)
{
    if (from->count == 0)
        return;
    for (unsigned t = 0; t < 64; t++) {
        const uint64_t *src = t == 0 ? from->exact : from->fine[t];
        unsigned n = t == 0 ? HIST_EXACT : SUBS;
        uint64_t *dst;

        if (from->coarse[t] == 0)
            continue;
        if (src == NULL || from->only_coarse[t]) {
            /* the source has no buckets here: neither can the sum */
            dst = t == 0 ? into->exact : into->fine[t];
            free(dst);
            if (t == 0)
                into->exact = NULL;
            else
                into->fine[t] = NULL;
            into->only_coarse[t] = true;
        } else if ((dst = counts_of(into, t)) != NULL) {
            for (unsigned i = 0; i < n; i++)
                dst[i] += src[i];
        }
        into->coarse[t] += from->coarse[t];
    }
    into->count += from->count;
    into->sum += from->sum;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

uint64_t hist_quantile(const struct histogram *h, double q)
{
    uint64_t rank, seen = 0, v = 0;

    if (h->count == 0)
        return 0;
    rank = (uint64_t)(q * (double)h->count);
    if (rank >= h->count)
        rank = h->count - 1;
    for (unsigned t = 0; t < 64; t++) {
        const uint64_t *c = t == 0 ? h->exact : h->fine[t];
        uint64_t low, width;

        if (seen + h->coarse[t] <= rank || (t > 0 && t <= HIST_SUB_BITS)) {
            seen += h->coarse[t]; /* (groups 1 .. HIST_SUB_BITS are inside group 0: empty) */
            continue;
        }
        low = t == 0 ? 0 : 1ULL << t;
        width = t == 0 ? 1 : 1ULL << (t - HIST_SUB_BITS);
        if (c == NULL) { /* counted coarsely: the middle of the power of two */
            v = t == 0 ? HIST_EXACT / 2 : low + (low >> 1);
            break;
        }
        v = low + (t == 0 ? HIST_EXACT : 2 * low) / 2; /* unreached: the counts add up */
        for (unsigned b = 0, n = t == 0 ? HIST_EXACT : SUBS; b < n; b++) {
            seen += c[b];
            if (seen > rank) {
                v = low + b * width + width / 2;
                break;
            }
        }
        break;
    }
    if (v > h->max)
        v = h->max;
    if (v < h->min)
        v = h->min;
    return v;
}

uint64_t hist_mean(const struct histogram *h)
{
    return h->count ? h->sum / h->count : 0;
}

bool hist_equal(const struct histogram *a, const struct histogram *b)
{
    if (a->count != b->count || a->sum != b->sum || a->min != b->min || a->max != b->max ||
        memcmp(a->coarse, b->coarse, sizeof(a->coarse)) != 0 ||
        memcmp(a->only_coarse, b->only_coarse, sizeof(a->only_coarse)) != 0)
        return false;
    for (unsigned t = 0; t < 64; t++) {
        const uint64_t *x = t == 0 ? a->exact : a->fine[t], *y = t == 0 ? b->exact : b->fine[t];
        size_t n = t == 0 ? HIST_EXACT : SUBS;
        if ((x == NULL) != (y == NULL) || (x != NULL && memcmp(x, y, n * sizeof(*x)) != 0))
            return false;
    }
    return true;
}
