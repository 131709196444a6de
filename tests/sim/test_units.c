/*
 * test_units.c - sizes, times, bandwidths, counts with their units, and the histogram.
 */
#include <check.h>
#include <string.h>

#include "histogram.h"
#include "units.h"

static const struct {
    const char *text;
    int (*parse)(const char *, uint64_t *, char *, size_t);
    uint64_t want;
} good[] = {
    {"4096", units_size, 4096},
    {"4K", units_size, 4096},
    {"64KiB", units_size, 65536},
    {"16M", units_size, 16ULL << 20},
    {"8G", units_size, 8ULL << 30},
    {"1T", units_size, 1ULL << 40},
    {"1.5G", units_size, 3ULL << 29},
    {"10GB", units_size, 10000000000ULL},
    {" 7K ", units_size, 7168},
    {"20us", units_time, 20000},
    {"1.2us", units_time, 1200},
    {"3ms", units_time, 3000000},
    {"2s", units_time, 2000000000ULL},
    {"0", units_time, 0},
    {"150ns", units_time, 150},
    {"10GB/s", units_bandwidth, 10000000000ULL},
    {"7.2GB/s", units_bandwidth, 7200000000ULL},
    {"512M", units_bandwidth, 512ULL << 20},
    {"10k", units_count, 10000},
    {"10M", units_count, 10000000},
    {"1.5k", units_count, 1500},
    {"0.5us", units_time, 500},
    {"70%", units_percent, 70},
    {"yes", units_bool, 1},
    {"off", units_bool, 0},
};

START_TEST(test_good)
{
    uint64_t v = 12345;
    char why[200] = "";

    ck_assert_msg(good[_i].parse(good[_i].text, &v, why, sizeof(why)) == 0, "%s: %s",
                  good[_i].text, why);
    ck_assert_uint_eq(v, good[_i].want);
}
END_TEST

static const struct {
    const char *text;
    int (*parse)(const char *, uint64_t *, char *, size_t);
    const char *why;
} bad[] = {
    {"", units_size, "not a size"},
    {"K", units_size, "not a size"},
    {"4X", units_size, "unknown unit 'X'"},
    {"-4K", units_size, "not a size"},
    {"4.K", units_size, "digits after the point"},
    {"99999999999999999999", units_size, "too large"},
    {"20000P", units_size, "too large"},
    {"20", units_time, "unknown unit ''"},
    {"5 min", units_time, "not a time"},
    {"0GB/s", units_bandwidth, "more than zero"},
    {"fast", units_bandwidth, "not a bandwidth"},
    {"maybe", units_bool, "not yes or no"},
    /* no rounding: a count, a size, a time that is not a whole number of its unit */
    {"1.5", units_count, "not a whole number"},
    {"0.5", units_size, "not a whole number of bytes"},
    {"1.5ns", units_time, "not a whole number of nanoseconds"},
    {"70.5%", units_percent, "not a whole number"},
};

START_TEST(test_bad)
{
    uint64_t v = 7;
    char why[200] = "";

    ck_assert_int_eq(bad[_i].parse(bad[_i].text, &v, why, sizeof(why)), -1);
    ck_assert_msg(strstr(why, bad[_i].why) != NULL, "'%s' gave: %s", bad[_i].text, why);
    ck_assert_uint_eq(v, 7);
}
END_TEST

START_TEST(test_histogram)
{
    static struct histogram h, g, one;

    hist_init(&h);
    for (uint64_t v = 1; v <= 100000; v++)
        hist_add(&h, v * 10); /* 10 ns .. 1 ms, uniform */
    ck_assert_uint_eq(h.count, 100000);
    ck_assert_uint_eq(h.min, 10);
    ck_assert_uint_eq(h.max, 1000000);
    /* every percentile within 1/1024 (0.1 %) of the true one */
    for (int p = 1; p <= 99; p++) {
        uint64_t truth = ((uint64_t)(p / 100.0 * 100000) + 1) * 10;
        uint64_t got = hist_quantile(&h, p / 100.0);
        ck_assert_msg(got + truth / 1024 + 1 >= truth && got <= truth + truth / 1024 + 1,
                      "p%d: %llu for %llu", p, (unsigned long long)got,
                      (unsigned long long)truth);
    }
    ck_assert_uint_eq(hist_mean(&h), 500005);
    /* below 1024 ns every value is its own bucket */
    hist_init(&one);
    for (uint64_t v = 0; v < 1000; v++)
        hist_add(&one, v);
    ck_assert_uint_eq(hist_quantile(&one, 0.5), 500);
    ck_assert_uint_eq(hist_quantile(&one, 0.99), 990);
    /* buckets only where values came: one power of two */
    hist_free(&one);
    hist_add(&one, 1500000);
    hist_add(&one, 1600000);
    for (int t = 0; t < 64; t++)
        ck_assert(t == 20 ? one.fine[t] != NULL : one.fine[t] == NULL);
    ck_assert_ptr_null(one.exact);
    hist_init(&g);
    hist_add(&g, 3);
    hist_merge(&g, &h);
    ck_assert_uint_eq(g.count, 100001);
    ck_assert_uint_eq(g.min, 3);
    ck_assert_uint_eq(hist_quantile(&g, 0.0), 3);
    /* a merge keeps the resolution */
    ck_assert_uint_eq(hist_quantile(&g, 0.5), hist_quantile(&h, 0.5));
    hist_free(&g);
    hist_free(&h);
    hist_free(&one);
}
END_TEST

START_TEST(test_format)
{
    char out[32];

    units_format_size(65536, out, sizeof(out));
    ck_assert_str_eq(out, "64 KiB");
    units_format_size(3ULL << 29, out, sizeof(out));
    ck_assert_str_eq(out, "1.50 GiB");
    units_format_time(1200, out, sizeof(out));
    ck_assert_str_eq(out, "1.20 us");
    units_format_time(999, out, sizeof(out));
    ck_assert_str_eq(out, "999 ns");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("units");
    TCase *tc = tcase_create("units");
    SRunner *sr;
    int failed;

    tcase_add_loop_test(tc, test_good, 0, sizeof(good) / sizeof(good[0]));
    tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
    tcase_add_test(tc, test_histogram);
    tcase_add_test(tc, test_format);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
