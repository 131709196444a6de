/*
 * u64map.c - a uint64 -> uint64 hash map for the sparse physical memory.
 *
 * A 16 TiB machine has four billion frames, so nothing may be sized by the machine: only by
 * what is in use. Open addressing with linear probing keeps a lookup to one or two cache lines;
 * backward-shift deletion keeps the table free of tombstones, so a simulation that maps and
 * unmaps millions of times runs as fast at the end as at the start. Fibonacci hashing spreads
 * the sequential keys (frame numbers, host page numbers) that would otherwise cluster.
 */
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define EMPTY_KEY UINT64_MAX
#define MAX_LOAD_NUM 1 /* grow above a load of 1/2 */
#define MAX_LOAD_DEN 2

static size_t slot_of(const struct u64map *map, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> map->shift);
}

static int alloc_table(struct u64map *map, size_t cap)
{
    unsigned bits = 0;

    while (((size_t)1 << bits) < cap)
        bits++;
    cap = (size_t)1 << bits;
    map->keys = malloc(cap * sizeof(*map->keys));
    map->vals = malloc(cap * sizeof(*map->vals));
    if (map->keys == NULL || map->vals == NULL) {
        free(map->keys);
        free(map->vals);
        return DMS_ENOMEM;
    }
    memset(map->keys, 0xff, cap * sizeof(*map->keys));
    map->cap = cap;
    map->count = 0;
    map->shift = 64 - bits;
    return 0;
}

/* u64map_init - an empty map with room for about initial/2 keys.
 * Returns 0, or DMS_ENOMEM. */
int u64map_init(struct u64map *map, size_t initial)
{
    return alloc_table(map, initial < 16 ? 16 : initial);
}

void u64map_free(struct u64map *map)
{
    free(map->keys);
    free(map->vals);
    memset(map, 0, sizeof(*map));
}

bool u64map_get(const struct u64map *map, uint64_t key, uint64_t *val)
{
    size_t mask = map->cap - 1;

    for (size_t i = slot_of(map, key);; i = (i + 1) & mask) {
        if (map->keys[i] == key) {
            *val = map->vals[i];
            return true;
        }
        if (map->keys[i] == EMPTY_KEY)
            return false;
    }
}

static int grow(struct u64map *map)
{
    struct u64map bigger;
    int err = alloc_table(&bigger, map->cap * 2);

    if (err)
        return err;
    for (size_t i = 0; i < map->cap; i++)
        if (map->keys[i] != EMPTY_KEY)
            u64map_put(&bigger, map->keys[i], map->vals[i]);
    u64map_free(map);
    *map = bigger;
    return 0;
}

/* u64map_put - insert or replace. Returns 0, or DMS_ENOMEM (the map is unchanged). */
int u64map_put(struct u64map *map, uint64_t key, uint64_t val)
{
    size_t mask;

    if ((map->count + 1) * MAX_LOAD_DEN > map->cap * MAX_LOAD_NUM) {
        int err = grow(map);
        if (err)
            return err;
    }
    mask = map->cap - 1;
    for (size_t i = slot_of(map, key);; i = (i + 1) & mask) {
        if (map->keys[i] == key) {
            map->vals[i] = val;
            return 0;
        }
        if (map->keys[i] == EMPTY_KEY) {
            map->keys[i] = key;
            map->vals[i] = val;
            map->count++;
            return 0;
        }
    }
}

/* u64map_del - remove key, shifting later members of its probe run back so no tombstone is
 * left. Returns whether the key was present. */
bool u64map_del(struct u64map *map, uint64_t key)
{
    size_t mask = map->cap - 1;
    size_t i = slot_of(map, key);

    while (map->keys[i] != key) {
        if (map->keys[i] == EMPTY_KEY)
            return false;
        i = (i + 1) & mask;
    }
    for (size_t j = (i + 1) & mask; map->keys[j] != EMPTY_KEY; j = (j + 1) & mask) {
        size_t home = slot_of(map, map->keys[j]);
        /* j's key may move into the hole at i unless its home lies cyclically in (i, j]. */
        bool home_in_between = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!home_in_between) {
            map->keys[i] = map->keys[j];
            map->vals[i] = map->vals[j];
            i = j;
        }
    }
    map->keys[i] = EMPTY_KEY;
    map->count--;
    return true;
}

size_t u64map_host_bytes(const struct u64map *map)
{
    return map->cap * (sizeof(*map->keys) + sizeof(*map->vals));
}
