/*
 * test_engine.c - the event engine: order by (time, sequence), virtual time, CPUs as a
 * resource with priorities and preemption, device engines with queueing, the cost ledger.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "engine.h"

static struct cost_model cost(void)
{
    struct cost_model c;

    memset(&c, 0, sizeof(c));
    c.copy_bandwidth = 1000000000; /* 1 byte per ns */
    c.link_bandwidth = 1000000000;
    c.descriptor_ns = 100;
    return c;
}

struct log {
    struct engine *e;
    int order[16];
    uint64_t when[16];
    int n;
};

static struct log lg;

static void mark(void *arg)
{
    lg.order[lg.n] = (int)(intptr_t)arg;
    lg.when[lg.n++] = engine_now(lg.e);
}

START_TEST(test_order_and_time)
{
    struct cost_model c = cost();
    struct engine *e = engine_create(1, &c, 1);

    memset(&lg, 0, sizeof(lg));
    lg.e = e;
    engine_at(e, 300, mark, (void *)3);
    engine_at(e, 100, mark, (void *)1);
    engine_at(e, 200, mark, (void *)2);
    engine_at(e, 100, mark, (void *)4); /* same time as 1: after it, by sequence */
    ck_assert_uint_eq(engine_run(e, NULL, 0), 4);
    ck_assert_int_eq(lg.n, 4);
    ck_assert_int_eq(lg.order[0], 1);
    ck_assert_int_eq(lg.order[1], 4);
    ck_assert_int_eq(lg.order[2], 2);
    ck_assert_int_eq(lg.order[3], 3);
    ck_assert_uint_eq(lg.when[0], 100);
    ck_assert_uint_eq(lg.when[3], 300);
    ck_assert_uint_eq(engine_now(e), 300);
    engine_destroy(e);
}
END_TEST

/* A time past the horizon (or one that would wrap past 2^64 ns) is never run: the run stops
 * where it is, saying why. */
START_TEST(test_horizon)
{
    struct cost_model c = cost();
    struct engine *e = engine_create(1, &c, 1);
    uint64_t at = 1;

    memset(&lg, 0, sizeof(lg));
    lg.e = e;
    engine_at(e, 100, mark, (void *)1);
    engine_at(e, UINT64_MAX - 10, mark, (void *)2);
    ck_assert_ptr_nonnull(engine_halted(e, &at));
    ck_assert_uint_eq(engine_run(e, NULL, 0), 0); /* halted: nothing more runs */
    ck_assert_int_eq(lg.n, 0);
    ck_assert_uint_eq(at, 0);
    ck_assert_ptr_nonnull(strstr(engine_halted(e, NULL), "146 years"));
    engine_destroy(e);
}
END_TEST

/* Events that keep virtual time still past the limit stop the run. */
static void again(void *arg)
{
    engine_at(lg.e, 0, again, arg);
}

START_TEST(test_stall)
{
    struct cost_model c = cost();
    struct engine *e = engine_create(1, &c, 1);

    memset(&lg, 0, sizeof(lg));
    lg.e = e;
    engine_limit_stall(e, 1000);
    engine_at(e, 5, again, NULL);
    engine_run(e, NULL, 0);
    ck_assert_ptr_nonnull(engine_halted(e, NULL));
    ck_assert_uint_eq(engine_now(e), 5);
    engine_destroy(e);
}
END_TEST

static void charge_and_mark(void *arg)
{
    engine_charge(lg.e, 0, CPU_BOUNCE, 50); /* the work's own charge extends its CPU time */
    mark(arg);
}

/* Two CPUs, three pieces of 1000 ns work at once: the third waits for a CPU. */
START_TEST(test_cpu_queueing)
{
    struct cost_model c = cost();
    struct engine *e = engine_create(2, &c, 1);

    memset(&lg, 0, sizeof(lg));
    lg.e = e;
    for (int i = 1; i <= 3; i++)
        engine_cpu(e, 0, 0, CPU_APP, PASSIVE_LEVEL, 1000, charge_and_mark, (void *)(intptr_t)i);
    engine_run(e, NULL, 0);
    ck_assert_int_eq(lg.n, 3);
    ck_assert_int_eq(lg.order[2], 3);
    /* inside work, now = start + what it has been charged: 1000 fixed + 50 */
    ck_assert_uint_eq(lg.when[0], 1050);
    ck_assert_uint_eq(lg.when[2], 1050 + 1050);
    ck_assert_uint_eq(engine_cpu_ns(e, 0, CPU_APP), 3000);
    ck_assert_uint_eq(engine_cpu_ns(e, 0, CPU_BOUNCE), 150);
    ck_assert_uint_eq(engine_cpu_busy_ns(e), 3150);
    ck_assert_uint_eq(engine_cpu_waits(e), 1);
    engine_destroy(e);
}
END_TEST

static void second_app(void *arg)
{
    (void)arg;
    engine_cpu(lg.e, 0, 0, CPU_APP, PASSIVE_LEVEL, 10, mark, (void *)2);
}

/* An interrupt preempts application work; the preempted CPU is free later by the ISR's time. */
START_TEST(test_preemption)
{
    struct cost_model c = cost();
    struct engine *e = engine_create(1, &c, 1);

    memset(&lg, 0, sizeof(lg));
    lg.e = e;
    engine_cpu(e, 0, 0, CPU_APP, PASSIVE_LEVEL, 10000, second_app, NULL);
    engine_cpu(e, 500, 0, CPU_INTERRUPT, 5, 1000, mark, (void *)1);
    engine_run(e, NULL, 0);
    ck_assert_int_eq(lg.n, 2);
    ck_assert_int_eq(lg.order[0], 1);
    ck_assert_uint_eq(lg.when[0], 500 + 1000); /* ran at once, not after the 10 us */
    ck_assert_int_eq(lg.order[1], 2);
    ck_assert_uint_eq(lg.when[1], 10000 + 1000 + 10); /* the CPU came back 1 us late */
    engine_destroy(e);
}
END_TEST

static void device_done(void *arg)
{
    mark(arg);
}

/* One engine: a second transfer queues behind the first; time is descriptors plus bytes. */
START_TEST(test_device_engine)
{
    struct cost_model c = cost();
    struct engine *e = engine_create(1, &c, 1);
    struct engine_device_params p = {1, 200, 1000000000, 100};
    const struct engine_device_stats *st;

    memset(&lg, 0, sizeof(lg));
    lg.e = e;
    engine_device_setup(e, 0, &p);
    engine_device_work(e, 0, 4096, 2, device_done, (void *)1);
    engine_device_work(e, 0, 4096, 2, device_done, (void *)2);
    engine_run(e, NULL, 0);
    ck_assert_uint_eq(lg.when[0], 200 + 2 * 100 + 4096);
    ck_assert_uint_eq(lg.when[1], 200 + 2 * (2 * 100 + 4096));
    st = engine_device_stats(e, 0);
    ck_assert_uint_eq(st->transfers, 2);
    ck_assert_uint_eq(st->queued, 1);
    ck_assert_uint_eq(st->queue_ns, 2 * 100 + 4096);
    ck_assert_uint_eq(st->busy_ns, 2 * (2 * 100 + 4096));
    engine_destroy(e);
}
END_TEST

static void count_event(void *arg)
{
    (void)arg;
    lg.n++;
}

START_TEST(test_stop)
{
    struct cost_model c = cost();
    struct engine *e = engine_create(1, &c, 1);
    volatile int stop = 1;

    memset(&lg, 0, sizeof(lg));
    for (int i = 0; i < 10; i++)
        engine_at(e, (uint64_t)i, count_event, NULL);
    ck_assert_uint_eq(engine_run(e, &stop, 0), 0);
    ck_assert_uint_eq(engine_run(e, NULL, 4), 5); /* until: events at 0..4 */
    ck_assert_int_eq(lg.n, 5);
    engine_destroy(e); /* the five left are freed, not leaked */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("engine");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_order_and_time);
    tcase_add_test(tc, test_horizon);
    tcase_add_test(tc, test_stall);
    tcase_add_test(tc, test_cpu_queueing);
    tcase_add_test(tc, test_preemption);
    tcase_add_test(tc, test_device_engine);
    tcase_add_test(tc, test_stop);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
