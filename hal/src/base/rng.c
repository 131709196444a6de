/*
 * rng.c - xoshiro256** (Blackman & Vigna, 2018), seeded through splitmix64.
 *
 * A named, portable generator: the same seed gives the same sequence on every host and libc,
 * which is what "same scenario and seed, same report" needs. Written from the published
 * algorithm description (public domain reference); a few lines, so no library is worth it.
 */
#include <string.h>

#include "dmasim/hal.h"

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void dms_rng_seed(struct dms_rng *rng, uint64_t seed)
{
    uint64_t st = seed;

    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&st);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t dms_rng_next(struct dms_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Lemire's nearly-divisionless method: multiply into 128 bits, reject the biased low zone. */
uint64_t dms_rng_below(struct dms_rng *rng, uint64_t bound)
{
    unsigned __int128 product = (unsigned __int128)dms_rng_next(rng) * bound;
    uint64_t low = (uint64_t)product;

    if (low < bound) {
        uint64_t threshold = -bound % bound;
        while (low < threshold) {
            product = (unsigned __int128)dms_rng_next(rng) * bound;
            low = (uint64_t)product;
        }
    }
    return (uint64_t)(product >> 64);
}

/* dms_rng_fill - len bytes of the sequence, as dms_rng_next would give them 8 at a time
 * (in host byte order, a last partial word's first bytes): one call for a whole payload, the state
 * kept in registers. */
void dms_rng_fill(struct dms_rng *rng, uint8_t *buf, size_t len)
{
    uint64_t s0 = rng->s[0], s1 = rng->s[1], s2 = rng->s[2], s3 = rng->s[3];
    size_t i = 0;

#define RNG_STEP(v)                                                                              \
    do {                                                                                         \
        uint64_t t_ = s1 << 17;                                                                  \
        (v) = rotl(s1 * 5, 7) * 9;                                                               \
        s2 ^= s0;                                                                                \
        s3 ^= s1;                                                                                \
        s1 ^= s2;                                                                                \
        s0 ^= s3;                                                                                \
        s2 ^= t_;                                                                                \
        s3 = rotl(s3, 45);                                                                       \
    } while (0)
    /* whole words with a fixed-size store (a variable-length copy per word halves the rate),
     * then the last partial word's first bytes */
    for (; len - i >= 8; i += 8) {
        uint64_t v;
        RNG_STEP(v);
        memcpy(buf + i, &v, 8);
    }
    if (i < len) {
        uint64_t v;
        RNG_STEP(v);
        memcpy(buf + i, &v, len - i);
    }
#undef RNG_STEP
    rng->s[0] = s0;
    rng->s[1] = s1;
    rng->s[2] = s2;
    rng->s[3] = s3;
}
