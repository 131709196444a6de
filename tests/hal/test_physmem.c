/*
 * test_physmem.c - sparse physical memory: layout, placement policies, contiguous allocation,
 * exhaustion, attribution, and the hash map and PRNG under it.
 */
#include <stdlib.h>
#include <string.h>

#include "../../hal/src/hw/hw.h"
#include "helpers.h"

START_TEST(test_layout_hole_moves_ram_up)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);

    ck_assert_uint_eq(dms_machine_top_address(m), 9 * GIB); /* 3 GiB below, 5 GiB above 4 */
    ck_assert_uint_eq(dms_machine_free_bytes(m), 8 * GIB - 1 * MIB);
    machine_done(m);
}
END_TEST

START_TEST(test_layout_without_hole)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;

    dms_machine_config_init(&cfg);
    cfg.mmio_hole_start = cfg.mmio_hole_end = 0;
    m = machine_with(&cfg);
    ck_assert_uint_eq(dms_machine_top_address(m), 8 * GIB);
    machine_done(m);
    m = machine_new(2 * GIB, DMS_PLACE_RANDOM); /* all of it below the hole */
    ck_assert_uint_eq(dms_machine_top_address(m), 2 * GIB);
    machine_done(m);
}
END_TEST

START_TEST(test_layout_16tib)
{
    struct dms_machine *m = machine_new(16 * DMS_TIB, DMS_PLACE_RANDOM);

    ck_assert_uint_eq(dms_machine_top_address(m), 16 * DMS_TIB + 1 * GIB);
    ck_assert_uint_lt(dms_machine_host_bytes(m), 1 * MIB); /* nothing in use, nearly nothing */
    machine_done(m);
}
END_TEST

/* Bad configurations, each rejected with a reason. */
static void bad_ram_small(struct dms_machine_config *c) { c->ram_bytes = 8 * MIB; }
static void bad_ram_odd(struct dms_machine_config *c) { c->ram_bytes = 64 * MIB + 100; }
static void bad_hole_order(struct dms_machine_config *c) { c->mmio_hole_start = 4 * GIB; c->mmio_hole_end = 3 * GIB; }
static void bad_hole_high(struct dms_machine_config *c) { c->mmio_hole_end = 5 * GIB; }
static void bad_hole_align(struct dms_machine_config *c) { c->mmio_hole_start += 1; }
static void bad_placement(struct dms_machine_config *c) { c->placement = (enum dms_placement)9; }
static void bad_range(struct dms_machine_config *c) { c->placement = DMS_PLACE_RANGE; c->range_start = c->range_end = 0; }
static void bad_mapregs(struct dms_machine_config *c) { c->map_register_limit = 0; }
static void bad_pool(struct dms_machine_config *c) { c->bounce_pool_bytes = 100; }
static void bad_align(struct dms_machine_config *c) { c->dma_alignment = 3; }
static void (*const bad_configs[])(struct dms_machine_config *) = {
    bad_ram_small, bad_ram_odd, bad_hole_order, bad_hole_high, bad_hole_align,
    bad_placement, bad_range, bad_mapregs, bad_pool, bad_align,
};

START_TEST(test_bad_config)
{
    struct dms_machine_config cfg;
    struct dms_machine *m = NULL;
    char why[128] = "";

    dms_machine_config_init(&cfg);
    ck_assert_int_eq(dms_machine_config_check(&cfg, why, sizeof(why)), 0);
    bad_configs[_i](&cfg);
    ck_assert_int_lt(dms_machine_config_check(&cfg, why, sizeof(why)), 0);
    ck_assert_uint_gt(strlen(why), 10);
    ck_assert_int_lt(dms_machine_create(&cfg, NULL, &m), 0);
    ck_assert_ptr_null(m);
}
END_TEST

/* A 16 TiB machine with 256 MiB of buffers costs about 256 MiB of host memory. */
START_TEST(test_sparse_host_memory)
{
    struct dms_machine *m = machine_new(16 * DMS_TIB, DMS_PLACE_RANDOM);
    uint64_t bytes = 256 * MIB;
    void *b = dms_buffer_alloc(m, NULL, bytes);

    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(dms_machine_frames_in_use(m), bytes / 4096);
    ck_assert_uint_ge(dms_machine_host_bytes(m), bytes);
    ck_assert_uint_lt(dms_machine_host_bytes(m), bytes + bytes / 10);
    ExFreePool(b);
    ck_assert_uint_eq(dms_machine_frames_in_use(m), 0);
    machine_done(m);
}
END_TEST

static void frames_of(struct dms_machine *m, uint8_t *b, size_t pages, uint64_t *out)
{
    for (size_t i = 0; i < pages; i++)
        out[i] = phys_of(m, b + i * 4096) >> 12;
}

START_TEST(test_random_placement)
{
    struct dms_machine *m = machine_new(64 * GIB, DMS_PLACE_RANDOM);
    uint64_t pfn[256], again[256];
    size_t above = 0, consecutive = 0;
    uint8_t *b = dms_buffer_alloc(m, NULL, sizeof(pfn) / 8 * 4096);

    frames_of(m, b, 256, pfn);
    for (int i = 0; i < 256; i++) {
        above += pfn[i] << 12 >= 4 * GIB;
        consecutive += i > 0 && pfn[i] == pfn[i - 1] + 1;
        ck_assert(!(pfn[i] << 12 >= 3 * GIB && pfn[i] << 12 < 4 * GIB)); /* never the hole */
        ck_assert_uint_ge(pfn[i] << 12, 1 * MIB);                         /* nor firmware's */
    }
    ck_assert_uint_gt(above, 200); /* 61 of 64 GiB lie above 4 GiB */
    ck_assert_uint_lt(consecutive, 5);
    machine_done(m);
    /* the same seed places the same way */
    m = machine_new(64 * GIB, DMS_PLACE_RANDOM);
    b = dms_buffer_alloc(m, NULL, 256 * 4096);
    frames_of(m, b, 256, again);
    ck_assert_mem_eq(pfn, again, sizeof(pfn));
    machine_done(m);
}
END_TEST

START_TEST(test_seed_changes_placement)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    uint64_t a[16], b[16];

    dms_machine_config_init(&cfg);
    m = machine_with(&cfg);
    frames_of(m, dms_buffer_alloc(m, NULL, 16 * 4096), 16, a);
    machine_done(m);
    cfg.seed = 2;
    m = machine_with(&cfg);
    frames_of(m, dms_buffer_alloc(m, NULL, 16 * 4096), 16, b);
    machine_done(m);
    ck_assert(memcmp(a, b, sizeof(a)) != 0);
}
END_TEST

START_TEST(test_low_and_high_first)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_LOW_FIRST);
    uint64_t pfn[8];
    uint8_t *b = dms_buffer_alloc(m, NULL, 8 * 4096);

    frames_of(m, b, 8, pfn);
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(pfn[i], 256 + i); /* from 1 MiB up, ascending */
    ck_assert_int_eq(dms_machine_set_placement(m, DMS_PLACE_HIGH_FIRST, 0, 0), 0);
    b = dms_buffer_alloc(m, NULL, 8 * 4096);
    frames_of(m, b, 8, pfn);
    for (int i = 0; i < 8; i++) /* the top eight frames, still ascending */
        ck_assert_uint_eq(pfn[i], (9 * GIB >> 12) - 8 + i);
    machine_done(m);
}
END_TEST

START_TEST(test_range_placement)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    uint64_t pfn[4];

    ck_assert_int_eq(dms_machine_set_placement(m, DMS_PLACE_RANGE, 5 * GIB, 5 * GIB + 8192), 0);
    frames_of(m, dms_buffer_alloc(m, NULL, 2 * 4096), 2, pfn);
    ck_assert_uint_eq(pfn[0] << 12, 5 * GIB);
    ck_assert_uint_eq(pfn[1] << 12, 5 * GIB + 4096);
    ck_assert_ptr_null(dms_buffer_alloc(m, NULL, 4096)); /* the range is full */
    ck_assert_int_eq(dms_machine_set_placement(m, DMS_PLACE_RANGE, 5, 4), DMS_EINVAL);
    machine_done(m);
}
END_TEST

START_TEST(test_exhaustion)
{
    struct dms_machine *m = machine_new(16 * MIB, DMS_PLACE_RANDOM);
    void *bufs[64];
    int n = 0;

    while (n < 64 && (bufs[n] = dms_buffer_alloc(m, NULL, 1 * MIB)) != NULL)
        n++;
    ck_assert_int_eq(n, 15); /* 16 MiB less the firmware's 1 MiB */
    ck_assert_uint_eq(dms_machine_free_bytes(m), 0);
    ck_assert_ptr_null(ExAllocatePool2(POOL_FLAG_NON_PAGED, 4096, 'tseT'));
    ExFreePool(bufs[3]);
    ck_assert_ptr_nonnull(bufs[3] = ExAllocatePool2(POOL_FLAG_NON_PAGED, 1 * MIB, 'tseT'));
    machine_done(m);
}
END_TEST

START_TEST(test_contiguous_top_down_and_fragmented)
{
    struct dms_machine *m = machine_new(64 * MIB, DMS_PLACE_LOW_FIRST);
    uint8_t *host = host_pages_alloc(NULL, 4), *pages = host_pages_alloc(NULL, 4096);
    uint64_t base = 0;
    uint32_t owner;

    ck_assert_int_eq(owner_new(m, OWNER_BUFFER, "t", 1, &owner), 0);
    /* the highest run below 16 MiB */
    ck_assert_int_eq(phys_alloc_contig(m, host, 4, 0, 16 * MIB >> 12, 0, false, owner, &base), 0);
    ck_assert_uint_eq(base, (16 * MIB >> 12) - 4);
    phys_release(m, host, 4);
    /* fragment everything below 16 MiB: every other page taken */
    for (uint64_t pfn = 256; pfn < 4096; pfn += 2)
        ck_assert_int_eq(phys_alloc_contig(m, pages + pfn * 4096, 1, pfn, pfn + 1, 0, false, owner, &base),
                         0);
    ck_assert_int_eq(phys_alloc_contig(m, host, 2, 0, 16 * MIB >> 12, 0, false, owner, &base), DMS_ENOSPC);
    ck_assert_int_eq(phys_alloc_contig(m, host, 1, 0, 16 * MIB >> 12, 0, false, owner, &base), 0);
    machine_done(m);
    host_pages_free(NULL, host, 4);
    host_pages_free(NULL, pages, 4096);
}
END_TEST

/* A run with a boundary never crosses a multiple of it: the highest run that does not. */
START_TEST(test_contiguous_within_boundary)
{
    struct dms_machine *m = machine_new(64 * MIB, DMS_PLACE_LOW_FIRST);
    uint8_t *host = host_pages_alloc(NULL, 32);
    uint64_t base = 0;
    uint32_t owner;

    ck_assert_int_eq(owner_new(m, OWNER_BUFFER, "t", 1, &owner), 0);
    /* below 16 MiB + 8 KiB the highest 4 pages would be 0xFFE-0x1001, across 0x1000 */
    ck_assert_int_eq(phys_alloc_contig(m, host, 4, 0, 0x1002, 16, false, owner, &base), 0);
    ck_assert_uint_eq(base, 0x1000 - 4);
    phys_release(m, host, 4);
    /* without the boundary the same call takes the crossing run */
    ck_assert_int_eq(phys_alloc_contig(m, host, 4, 0, 0x1002, 0, false, owner, &base), 0);
    ck_assert_uint_eq(base, 0x1002 - 4);
    phys_release(m, host, 4);
    /* more pages than a line holds: none */
    ck_assert_int_eq(phys_alloc_contig(m, host, 32, 0, 0x1002, 16, false, owner, &base), DMS_ENOSPC);
    machine_done(m);
    host_pages_free(NULL, host, 32);
}
END_TEST

/* [machine] contiguous = low-first: the lowest run instead, past used frames, and within a
 * boundary the lowest run that crosses no multiple of it. */
START_TEST(test_contiguous_low_first)
{
    struct dms_machine *m = machine_new(64 * MIB, DMS_PLACE_LOW_FIRST);
    uint8_t *host = host_pages_alloc(NULL, 32), *pages = host_pages_alloc(NULL, 8);
    uint64_t base = 0, lowest = 1 * MIB >> 12; /* the firmware keeps the first MiB */
    uint32_t owner;

    ck_assert_int_eq(owner_new(m, OWNER_BUFFER, "t", 1, &owner), 0);
    ck_assert_int_eq(phys_alloc_contig(m, host, 4, 0, 16 * MIB >> 12, 0, true, owner, &base), 0);
    ck_assert_uint_eq(base, lowest);
    phys_release(m, host, 4);
    /* a used frame at lowest + 2: the first run of 4 starts just above it */
    ck_assert_int_eq(phys_alloc_contig(m, pages, 1, lowest + 2, lowest + 3, 0, true, owner,
                                       &base), 0);
    ck_assert_uint_eq(base, lowest + 2);
    ck_assert_int_eq(phys_alloc_contig(m, host, 4, 0, 16 * MIB >> 12, 0, true, owner, &base), 0);
    ck_assert_uint_eq(base, lowest + 3);
    phys_release(m, host, 4);
    /* two pages still fit below it */
    ck_assert_int_eq(phys_alloc_contig(m, host, 2, 0, 16 * MIB >> 12, 0, true, owner, &base), 0);
    ck_assert_uint_eq(base, lowest);
    phys_release(m, host, 2);
    /* a boundary of 16 pages: from lowest + 14 a run of 4 would cross lowest + 16 */
    ck_assert_int_eq(phys_alloc_contig(m, host, 4, lowest + 14, 16 * MIB >> 12, 16, true, owner,
                                       &base), 0);
    ck_assert_uint_eq(base, lowest + 16);
    phys_release(m, host, 4);
    /* no run of 4 free in [lowest, lowest + 5) with lowest + 2 used: none */
    ck_assert_int_eq(phys_alloc_contig(m, host, 4, lowest, lowest + 5, 0, true, owner, &base),
                     DMS_ENOSPC);
    phys_release(m, pages, 1);
    machine_done(m);
    host_pages_free(NULL, host, 32);
    host_pages_free(NULL, pages, 8);
}
END_TEST

START_TEST(test_describe_address)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_LOW_FIRST);
    PDEVICE_OBJECT nic = dms_device_create(m, "nic0", 0);
    char what[128];
    void *b;

    dms_buffer_alloc(m, nic, 4096);
    b = dms_buffer_alloc(m, nic, 4096);
    dms_describe_address(m, phys_of(m, b) + 12, what, sizeof(what));
    ck_assert_str_eq(what, "buffer #2 of nic0");
    dms_describe_address(m, 3 * GIB + 5, what, sizeof(what));
    ck_assert_str_eq(what, "the MMIO hole");
    dms_describe_address(m, 100, what, sizeof(what));
    ck_assert_str_eq(what, "memory reserved by firmware");
    dms_describe_address(m, 6 * GIB, what, sizeof(what));
    ck_assert_str_eq(what, "free memory");
    dms_describe_address(m, 10 * GIB, what, sizeof(what));
    ck_assert_str_eq(what, "no memory (above the top of RAM)");
    machine_done(m);
}
END_TEST

START_TEST(test_format_address)
{
    char s[24];

    dms_format_address(0x123456000ULL, s);
    ck_assert_str_eq(s, "0x0000_0001_2345_6000");
}
END_TEST

/* The hash map agrees with a plain array through a long random insert/delete run. */
START_TEST(test_u64map_against_reference)
{
    enum { KEYS = 4096 };
    static uint64_t ref[KEYS];
    static bool present[KEYS];
    struct u64map map;
    struct dms_rng rng;

    memset(present, 0, sizeof(present));
    dms_rng_seed(&rng, 7);
    ck_assert_int_eq(u64map_init(&map, 16), 0);
    for (int step = 0; step < 200000; step++) {
        uint64_t k = dms_rng_below(&rng, KEYS), v;
        if (dms_rng_below(&rng, 3) > 0) {
            ref[k] = dms_rng_next(&rng);
            present[k] = true;
            ck_assert_int_eq(u64map_put(&map, k * 4096, ref[k]), 0);
        } else {
            ck_assert_int_eq(u64map_del(&map, k * 4096), present[k]);
            present[k] = false;
        }
        k = dms_rng_below(&rng, KEYS);
        ck_assert_int_eq(u64map_get(&map, k * 4096, &v), present[k]);
        if (present[k])
            ck_assert_uint_eq(v, ref[k]);
    }
    u64map_free(&map);
}
END_TEST

/* Spares: a record comes back zeroed, the freed one is reused, no more than keep are kept. */
START_TEST(test_spares)
{
    struct hal_spares sp;
    uint8_t *a, *b, *c;

    spares_init(&sp, 40, 16, 1);
    ck_assert_uint_eq(sp.size, 48); /* rounded to the alignment */
    a = spares_get(&sp);
    b = spares_get(&sp);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq((uintptr_t)a % 16, 0);
    memset(a, 0xab, 40);
    spares_put(&sp, a);
    spares_put(&sp, b); /* over keep: goes back to the host */
    spares_put(&sp, NULL);
    ck_assert_uint_eq(sp.count, 1);
    c = spares_get(&sp);
    ck_assert_ptr_eq(c, a);
    for (int i = 0; i < 40; i++)
        ck_assert_uint_eq(c[i], 0);
    ck_assert_uint_eq(sp.count, 0);
    spares_put(&sp, c);
    spares_free(&sp);
    ck_assert_uint_eq(sp.count, 0);
    ck_assert_ptr_null(sp.head);
}
END_TEST

START_TEST(test_rng)
{
    struct dms_rng a, b;
    uint64_t counts[8] = {0};

    dms_rng_seed(&a, 42);
    dms_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        ck_assert_uint_eq(dms_rng_next(&a), dms_rng_next(&b));
    for (int i = 0; i < 80000; i++) {
        uint64_t x = dms_rng_below(&a, 8);
        ck_assert_uint_lt(x, 8);
        counts[x]++;
    }
    for (int i = 0; i < 8; i++) /* 10000 expected each; 5 sigma is about 475 */
        ck_assert(counts[i] > 9500 && counts[i] < 10500);
    /* dms_rng_fill gives the sequence's words in host order, a last partial word's first
     * bytes, and leaves the state as after that many words, at every length */
    for (size_t len = 0; len <= 40; len++) {
        uint8_t got[48], want[48];
        memset(got, 0xee, sizeof(got));
        memset(want, 0xee, sizeof(want));
        dms_rng_seed(&a, 1000 + len);
        dms_rng_seed(&b, 1000 + len);
        dms_rng_fill(&a, got, len);
        for (size_t i = 0; i < len; i += 8) {
            uint64_t v = dms_rng_next(&b);
            memcpy(want + i, &v, len - i < 8 ? len - i : 8);
        }
        ck_assert_mem_eq(got, want, sizeof(got));
        ck_assert_uint_eq(dms_rng_next(&a), dms_rng_next(&b));
    }
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("hal/physmem");
    TCase *tc = tcase_create("physmem");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_layout_hole_moves_ram_up);
    tcase_add_test(tc, test_layout_without_hole);
    tcase_add_test(tc, test_layout_16tib);
    tcase_add_loop_test(tc, test_bad_config, 0, sizeof(bad_configs) / sizeof(bad_configs[0]));
    tcase_add_test(tc, test_sparse_host_memory);
    tcase_add_test(tc, test_random_placement);
    tcase_add_test(tc, test_seed_changes_placement);
    tcase_add_test(tc, test_low_and_high_first);
    tcase_add_test(tc, test_range_placement);
    tcase_add_test(tc, test_exhaustion);
    tcase_add_test(tc, test_contiguous_top_down_and_fragmented);
    tcase_add_test(tc, test_contiguous_within_boundary);
    tcase_add_test(tc, test_contiguous_low_first);
    tcase_add_test(tc, test_describe_address);
    tcase_add_test(tc, test_format_address);
    tcase_add_test(tc, test_u64map_against_reference);
    tcase_add_test(tc, test_spares);
    tcase_add_test(tc, test_rng);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(make);
}
