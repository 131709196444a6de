/*
 * test_run.c - whole runs, end to end: every pattern on every adapter at 24, 32 and 64 bits
 * with its bytes checked, determinism, stray accesses attributed, map-register queueing in
 * latency, full and metadata modes accounting alike, and resource exhaustion at start.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "run.h"
#include "scenario.h"

static struct scenario *parse(const char *text, const char *const *sets, int n)
{
    struct scenario *s = NULL;
    struct scn_errors err;

    ck_assert_msg(scenario_parse("test", text, sets, n, &s, &err) == 0, "%s", err.text[0]);
    return s;
}

static void run_ok(struct scenario *s, struct run_result *r)
{
    char why[400] = "";

    ck_assert_msg(run_scenario(s, NULL, r, why, sizeof(why)) == 0, "%s", why);
}

static char *report_of(const struct run_result *r, enum report_format format)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    report_write(f, r, format, false);
    fclose(f);
    return buf;
}

static char *json_of(const struct run_result *r)
{
    return report_of(r, REPORT_JSON);
}

/* ---- every pattern on every adapter, at 24, 32 and 64 bits ------------------------------- */

static const struct {
    const char *adapter, *pattern;
    bool sg_hw;
} combos[] = {
    {"storage", "packet", true}, {"storage", "sg", true}, {"storage", "sg-build", true},
    {"storage", "common-buffer", true}, {"legacy", "packet", false}, {"legacy", "sg", false},
    {"legacy", "sg-build", false}, {"legacy", "common-buffer", false}, {"nic", "sg", true},
    {"nic", "sg-build", true}, {"nic", "common-buffer", true},
    {"storage", "v3", true}, {"storage", "v3-sync", true}, {"legacy", "v3", false},
    {"legacy", "v3-sync", false}, {"nic", "v3", true}, {"nic", "v3-sync", true},
};
static const unsigned widths[] = {24, 32, 64};

static void pattern_case(int i, bool noncoherent)
{
    int c = i / 3;
    unsigned bits = widths[i % 3];
    bool nic = strcmp(combos[c].adapter, "nic") == 0;
    char text[512];
    struct scenario *s;
    struct run_result r;
    const struct run_device *d;

    snprintf(text, sizeof(text),
             "[machine]\nmemory = 64G\ncoherent = %s\n[device d]\nadapter = %s\n"
             "address_bits = %u\npattern = %s\n[workload w]\ndevice = d\nop = mix\n"
             "size = %s\ncount = 200\nqueue_depth = 4\n", noncoherent ? "no" : "yes",
             combos[c].adapter, bits, combos[c].pattern, nic ? "60..2048" : "512..64K");
    s = parse(text, NULL, 0);
    run_ok(s, &r);
    d = &r.devices[0];
    ck_assert_uint_eq(d->ios, 200);
    ck_assert_uint_eq(d->failed, 0);
    ck_assert_uint_eq(d->lost, 0);
    ck_assert_uint_gt(d->reads, 0);
    ck_assert_uint_gt(d->writes, 0);
    ck_assert_uint_eq(d->verified, 200); /* every byte checked end to end */
    ck_assert_uint_eq(d->mismatches, 0);
    ck_assert_uint_eq(d->stray_ios, 0);
    ck_assert_uint_eq(r.findings, 0);
    if (strcmp(combos[c].pattern, "common-buffer") == 0) {
        ck_assert_uint_eq(d->hal.pages_mapped, 0);
        ck_assert_uint_gt(d->cpu_ns[CPU_DRIVER_COPY], 0);
        ck_assert_uint_eq(d->cpu_ns[CPU_BOUNCE], 0);
    } else if (bits == 64 && combos[c].sg_hw) {
        ck_assert_uint_gt(d->hal.pages_mapped, 0);
        ck_assert_uint_eq(d->hal.pages_bounced, 0);
        ck_assert_uint_eq(d->cpu_ns[CPU_BOUNCE], 0);
    } else if (bits == 24 || !combos[c].sg_hw) {
        /* hardly any of a 64 GiB machine's buffers lie below 16 MiB; without S/G a buffer
         * of more than one page bounces for contiguity anyway */
        ck_assert_uint_ge(d->hal.pages_bounced, d->hal.pages_mapped * 95 / 100);
        ck_assert_uint_gt(d->cpu_ns[CPU_BOUNCE], 0);
        if (!combos[c].sg_hw && bits == 64)
            ck_assert_uint_eq(d->hal.pages_bounced_above_limit, 0);
        if (!combos[c].sg_hw && bits == 64)
            ck_assert_uint_gt(d->hal.pages_bounced_contiguity, 0);
    } else {
        /* 32 bits: the pages above 4 GiB, most of a 64 GiB machine */
        ck_assert_uint_gt(d->hal.pages_bounced, d->hal.pages_mapped / 2);
        ck_assert_uint_le(d->hal.pages_bounced, d->hal.pages_mapped);
        ck_assert_uint_eq(d->hal.pages_bounced_contiguity, 0);
    }
    if (strcmp(combos[c].pattern, "sg") == 0 || strcmp(combos[c].pattern, "sg-build") == 0)
        ck_assert_uint_ge(d->hal.sg_lists_built, 200);
    /* the cache is maintained (by the driver or by the v3 routines) exactly where it must be */
    if (!noncoherent || strcmp(combos[c].pattern, "common-buffer") == 0) {
        ck_assert_uint_eq(d->hal.cache_lines_cleaned + d->hal.cache_lines_invalidated, 0);
    } else {
        ck_assert_uint_gt(d->hal.cache_lines_cleaned, 0);
        ck_assert_uint_gt(d->hal.cache_lines_invalidated, 0);
    }
    ck_assert_uint_eq(d->hal.stale_bytes_to_device + d->hal.stale_bytes_to_cpu, 0);
    run_result_free(&r);
    scenario_free(s);
}

START_TEST(test_pattern_matrix)
{
    pattern_case(_i, false);
}
END_TEST

START_TEST(test_pattern_matrix_noncoherent)
{
    pattern_case(_i, true);
}
END_TEST

/* ---- determinism ------------------------------------------------------------------------- */

static const char busy_text[] =
    "[machine]\nmemory = 16G\ncpus = 2\n"
    "[device a]\nadapter = storage\naddress_bits = 32\n"
    "[device b]\nadapter = nic\naddress_bits = 32\n"
    "[workload wa]\ndevice = a\nop = mix\nsize = 4K:50,8K:30,64K:20\nqueue_depth = 8\n"
    "count = 400\ncpu_work = 5us\n"
    "[workload wb]\ndevice = b\nop = mix\nsize = 64..1500\nqueue_depth = 16\ncount = 600\n";

START_TEST(test_determinism)
{
    const char *seed7[] = {"machine.seed=7"};
    struct scenario *s1 = parse(busy_text, NULL, 0), *s2 = parse(busy_text, NULL, 0);
    struct scenario *s3 = parse(busy_text, seed7, 1);
    struct run_result r1, r2, r3;
    char *j1, *j2, *j3;

    run_ok(s1, &r1);
    run_ok(s2, &r2);
    run_ok(s3, &r3);
    j1 = json_of(&r1);
    j2 = json_of(&r2);
    j3 = json_of(&r3);
    ck_assert_str_eq(j1, j2);
    ck_assert_str_ne(j1, j3);
    ck_assert_ptr_nonnull(strstr(j1, "\"schema\": \"dmasim-run/1\""));
    ck_assert_uint_eq(r1.total.ios, 1000);
    free(j1);
    free(j2);
    free(j3);
    run_result_free(&r1);
    run_result_free(&r2);
    run_result_free(&r3);
    scenario_free(s1);
    scenario_free(s2);
    scenario_free(s3);
}
END_TEST

/* ---- full and metadata modes account alike ------------------------------------------------ */

START_TEST(test_full_vs_metadata)
{
    const char *meta[] = {"machine.data=metadata"};
    struct scenario *sf = parse(busy_text, NULL, 0), *sm = parse(busy_text, meta, 1);
    struct run_result f, m;

    run_ok(sf, &f);
    run_ok(sm, &m);
    ck_assert(!f.metadata && m.metadata);
    ck_assert_uint_eq(f.elapsed_ns, m.elapsed_ns);
    ck_assert_uint_eq(f.cpu_busy_ns, m.cpu_busy_ns);
    for (uint32_t i = 0; i < f.n_devices; i++) {
        const struct run_device *a = &f.devices[i], *b = &m.devices[i];
        ck_assert_uint_eq(a->ios, b->ios);
        ck_assert_uint_eq(a->bytes, b->bytes);
        ck_assert_int_eq(memcmp(&a->hal, &b->hal, sizeof(a->hal)), 0);
        ck_assert_int_eq(memcmp(a->cpu_ns, b->cpu_ns, sizeof(a->cpu_ns)), 0);
        ck_assert(hist_equal(&a->latency, &b->latency));
        ck_assert_int_eq(memcmp(&a->engine, &b->engine, sizeof(a->engine)), 0);
        ck_assert_uint_gt(a->hal.bytes_bounced_to_device, 0);
        ck_assert_uint_eq(a->verified, a->ios); /* full mode checked every byte */
        ck_assert_uint_eq(b->verified, 0);      /* metadata mode moved none */
    }
    run_result_free(&f);
    run_result_free(&m);
    scenario_free(sf);
    scenario_free(sm);
}
END_TEST

/* ---- a stray access, detected and attributed ---------------------------------------------- */

START_TEST(test_stray_attributed)
{
    static const char text[] =
        "[machine]\nmemory = 16G\n"
        "[device card]\nadapter = legacy\naddress_bits = 32\ndeclared_bits = 64\n"
        "[workload w]\ndevice = card\nop = mix\nsize = 4K\ncount = 100\nqueue_depth = 2\n";
    struct scenario *s = parse(text, NULL, 0);
    struct run_result r;
    const struct run_device *d;

    run_ok(s, &r);
    d = &r.devices[0];
    ck_assert_uint_gt(d->stray_ios, 0);
    ck_assert_uint_gt(d->mismatches, 0);
    ck_assert_uint_eq(d->mismatches, d->stray_ios);
    ck_assert_ptr_nonnull(strstr(d->mismatch[0].cause, "it drives 32 address lines but its "
                                                       "driver declared 64"));
    ck_assert_uint_gt(r.findings, 0);
    ck_assert_uint_eq(r.finding[0].code, DMS_CHECK_STRAY_ACCESS);
    ck_assert_ptr_nonnull(strstr(r.finding[0].message, "it drives 32 address lines"));
    ck_assert_ptr_nonnull(strstr(r.finding[0].message, "(told 0x0000_000"));
    run_result_free(&r);
    scenario_free(s);
}
END_TEST

/* A storage controller that lost its queues above 4 GiB: nothing completes, and the run says so. */
START_TEST(test_lost_completions)
{
    static const char text[] =
        "[machine]\nmemory = 64G\n"
        "[device d]\nadapter = storage\naddress_bits = 32\ndeclared_bits = 64\n"
        "[workload w]\ndevice = d\nsize = 4K\ncount = 100\nqueue_depth = 4\n";
    struct scenario *s = parse(text, NULL, 0);
    struct run_result r;
    char *report;

    run_ok(s, &r);
    ck_assert_uint_eq(r.devices[0].lost, 4);
    ck_assert_uint_eq(r.devices[0].ios, 0);
    ck_assert_uint_gt(r.findings, 0);
    report = report_of(&r, REPORT_TEXT);
    ck_assert_ptr_nonnull(strstr(report, "4 I/Os never completed: nothing was left to happen"));
    free(report);
    run_result_free(&r);
    scenario_free(s);
}
END_TEST

/* ---- map-register queueing shows in latency ------------------------------------------------ */

START_TEST(test_mapreg_queueing)
{
    static const char text[] =
        "[machine]\nmemory = 32G\ncpus = 8\nmap_register_limit = 17\nbounce_pool = 256K\n"
        "[device d]\nadapter = storage\naddress_bits = 32\nmax_transfer = 64K\nengines = 16\n"
        "[workload w]\ndevice = d\nop = read\nsize = 64K\nqueue_depth = 16\ncount = 400\n";
    const char *ample[] = {"machine.bounce_pool=64M"};
    struct scenario *tight = parse(text, NULL, 0), *wide = parse(text, ample, 1);
    struct run_result t, w;

    run_ok(tight, &t);
    run_ok(wide, &w);
    ck_assert_uint_gt(t.devices[0].hal.map_register_waits, 0);
    ck_assert_uint_gt(t.devices[0].hal.map_register_wait_ns, 0);
    ck_assert_uint_eq(w.devices[0].hal.map_register_waits, 0);
    ck_assert_uint_le(t.devices[0].hal.map_registers_peak, 64); /* the pool's pages */
    ck_assert_uint_gt(hist_quantile(&t.devices[0].latency, 0.5),
                      2 * hist_quantile(&w.devices[0].latency, 0.5));
    ck_assert_uint_eq(t.devices[0].mismatches, 0);
    run_result_free(&t);
    run_result_free(&w);
    scenario_free(tight);
    scenario_free(wide);
}
END_TEST

/* ---- buffers, stop, exhaustion ------------------------------------------------------------- */

START_TEST(test_fresh_buffers)
{
    const char *fresh[] = {"workload.wa.buffers=fresh", "workload.wb.buffers=fresh"};
    struct scenario *s = parse(busy_text, fresh, 2);
    struct run_result r;

    run_ok(s, &r);
    ck_assert_uint_eq(r.total.ios, 1000);
    ck_assert_uint_eq(r.total.verified, 1000);
    ck_assert_uint_eq(r.total.mismatches, 0);
    ck_assert_uint_eq(r.findings, 0);
    run_result_free(&r);
    scenario_free(s);
}
END_TEST

/* A virtual duration instead of a count: I/O is issued until then, and what is in flight
 * finishes; sequential offsets walk the span in order and wrap. */
START_TEST(test_duration)
{
    static const char text[] =
        "[device d]\nadapter = storage\nlatency = 10us\n"
        "[workload w]\ndevice = d\nsize = 64K\noffsets = sequential\nspan = 1M\n"
        "duration = 2ms\nqueue_depth = 4\n";
    struct scenario *s = parse(text, NULL, 0);
    struct run_result r;

    run_ok(s, &r);
    ck_assert_uint_gt(r.devices[0].ios, 100);
    ck_assert_uint_eq(r.devices[0].lost, 0);
    ck_assert_uint_ge(r.elapsed_ns, 2000000);
    ck_assert_uint_lt(r.elapsed_ns, 2000000 + 200000); /* only the last few drained after */
    ck_assert_uint_eq(r.devices[0].verified, r.devices[0].ios);
    run_result_free(&r);
    scenario_free(s);
}
END_TEST

/* A subordinate device on the SoC controller: every byte through request lines, the
 * completion routine, on a non-coherent machine; without a controller it cannot start. */
START_TEST(test_uart_on_soc)
{
    static const char text[] =
        "[machine]\nmemory = 8G\ncoherent = no\nsoc_dma_channels = 2\n"
        "[device u]\nadapter = uart\npattern = v3\ndma_line = 3\nlink_bandwidth = 4MB/s\n"
        "max_transfer = 2K\n[workload w]\ndevice = u\nop = mix\nsize = 1..2K\n"
        "queue_depth = 3\ncount = 150\n";
    const char *none[] = {"machine.soc_dma_channels=0"};
    struct scenario *s = parse(text, NULL, 0), *s0 = parse(text, none, 1);
    struct run_result r;
    volatile int stop = 0;
    char why[300];

    run_ok(s, &r);
    ck_assert_uint_eq(r.devices[0].ios, 150);
    ck_assert_uint_eq(r.devices[0].failed, 0);
    ck_assert_uint_eq(r.devices[0].lost, 0);
    ck_assert_uint_eq(r.devices[0].verified, 150);
    ck_assert_uint_eq(r.devices[0].mismatches, 0);
    ck_assert_uint_eq(r.findings, 0);
    ck_assert_uint_ge(r.devices[0].dma_transfers, 150);
    ck_assert_uint_gt(r.devices[0].hal.cache_lines_cleaned, 0);
    ck_assert_uint_gt(r.devices[0].hal.cache_lines_invalidated, 0);
    /* the controller's completion interrupt costs an ISR and a DPC per transfer, the device's */
    ck_assert_uint_ge(r.devices[0].cpu_ns[CPU_INTERRUPT],
                      r.devices[0].dma_transfers * (s->cost.isr_ns + s->cost.dpc_ns));
    ck_assert_uint_eq(r.unattributed_cpu_ns, 0);
    run_result_free(&r);
    ck_assert_int_ne(run_scenario(s0, &stop, &r, why, sizeof(why)), 0);
    ck_assert_ptr_nonnull(strstr(why, "soc_dma_channels"));
    scenario_free(s);
    scenario_free(s0);
}
END_TEST

/* The nic at its registers: with map registers short, a packet larger than one mapping goes
 * out in pieces (chains with the same tag, the first marked FIRST) while other requests' chains
 * interleave on the ring; each request is still checked against its own bytes, both ways. A
 * ring too small for the queue is the loader's error, not the driver's. */
START_TEST(test_nic_split_packets)
{
    static const char text[] =
        "[machine]\nmemory = 16G\nmap_register_limit = 2\n"
        "[device n]\nadapter = nic\naddress_bits = 32\npattern = sg\nmax_transfer = 9K\n"
        "ring_entries = 512\n[workload w]\ndevice = n\nop = mix\nsize = 9000\n"
        "queue_depth = 32\ncount = 400\n";
    struct scenario *s = parse(text, NULL, 0);
    struct run_result r;

    run_ok(s, &r);
    ck_assert_uint_eq(r.devices[0].ios, 400);
    ck_assert_uint_eq(r.devices[0].failed, 0);
    ck_assert_uint_eq(r.devices[0].lost, 0);
    ck_assert_uint_eq(r.devices[0].verified, 400);
    ck_assert_uint_eq(r.devices[0].mismatches, 0);
    ck_assert_uint_ge(r.devices[0].dma_transfers, 800); /* two registers: two pieces at least */
    ck_assert_uint_gt(r.devices[0].hal.pages_bounced, 0);
    ck_assert_uint_eq(r.findings, 0);
    run_result_free(&r);
    scenario_free(s);
}
END_TEST

/* The audio device on an autoinitialized 8237 channel: every write plays, checked byte for
 * byte, at the sample rate, a ring's worth of periods after it was queued; one MapTransfer
 * per stream. The variants: a full ring kept playing (one stream); one write at a time (a
 * stream each: start, drain, FlushAdapterBuffers, FreeAdapterChannel); an 8-bit channel with
 * short writes; and a DPC so late that the channel has gone all the way around the ring
 * before it looks, where ReadDmaCounter alone cannot tell none played from all. */
static const char audio_text[] =
    "[machine]\nmemory = 8G\ncpus = 2\n"
    "[device a]\nadapter = audio\ndma_line = 5\nmax_transfer = 4K\nperiods = 4\n"
    "link_bandwidth = 192KB/s\n"
    "[workload w]\ndevice = a\nop = write\nsize = 4K\nqueue_depth = 4\ncount = 120\n";

static void audio_check(const struct run_result *r, uint64_t ios)
{
    const struct run_device *d = &r->devices[0];

    ck_assert_uint_eq(d->ios, ios);
    ck_assert_uint_eq(d->failed, 0);
    ck_assert_uint_eq(d->lost, 0);
    ck_assert_uint_eq(d->verified, ios);
    ck_assert_uint_eq(d->mismatches, 0);
    ck_assert_uint_eq(r->findings, 0);
    ck_assert_uint_eq(d->hal.pages_bounced, 0); /* the ring is below 16 MiB, in one line */
}

START_TEST(test_audio_ring)
{
    const char *one[] = {"workload.w.queue_depth=1"};
    const char *bytes[] = {"device.a.dma_line=1", "workload.w.size=1..4K",
                           "workload.w.queue_depth=3", "device.a.periods=3"};
    const char *late[] = {"cost.dpc_latency=100ms"};
    struct scenario *s = parse(audio_text, NULL, 0);
    struct run_result r;
    uint64_t period_ns = 4096ull * 1000000000ull / 192000, p50;

    /* a full ring: one stream, the channel mapped once */
    run_ok(s, &r);
    audio_check(&r, 120);
    ck_assert_uint_eq(r.devices[0].hal.map_calls, 1);
    ck_assert_uint_eq(r.devices[0].hal.transfers, 1); /* flushed once, at the end */
    p50 = hist_quantile(&r.devices[0].latency, 0.5);
    /* queued behind the ring's other periods (the histogram's buckets are within 1%) */
    ck_assert_uint_ge(p50, 3 * period_ns);
    ck_assert_uint_le(p50, 4 * period_ns);
    /* the sample rate, within a period's worth over the run */
    ck_assert_uint_ge(r.elapsed_ns, 119 * period_ns);
    ck_assert_uint_le(r.elapsed_ns, 121 * period_ns);
    run_result_free(&r);
    scenario_free(s);
    /* one write at a time: each starts a stream and drains it */
    s = parse(audio_text, one, 1);
    run_ok(s, &r);
    audio_check(&r, 120);
    ck_assert_uint_eq(r.devices[0].hal.map_calls, 120);
    ck_assert_uint_eq(r.devices[0].hal.transfers, 120);
    p50 = hist_quantile(&r.devices[0].latency, 0.5);
    ck_assert_uint_ge(p50, period_ns * 99 / 100); /* its own period, plus the start */
    ck_assert_uint_le(p50, period_ns * 3 / 2);
    run_result_free(&r);
    scenario_free(s);
    /* a byte channel, writes of any length padded with silence */
    s = parse(audio_text, bytes, 4);
    run_ok(s, &r);
    audio_check(&r, 120);
    run_result_free(&r);
    scenario_free(s);
    /* the DPC comes after the channel has played the whole ring */
    s = parse(audio_text, late, 1);
    run_ok(s, &r);
    audio_check(&r, 120);
    run_result_free(&r);
    scenario_free(s);
}
END_TEST

START_TEST(test_stop_before_start)
{
    struct scenario *s = parse(busy_text, NULL, 0);
    struct run_result r;
    volatile int stop = 1;
    char why[200];

    ck_assert_int_eq(run_scenario(s, &stop, &r, why, sizeof(why)), 0);
    ck_assert(r.interrupted);
    ck_assert_uint_eq(r.total.ios, 0);
    ck_assert_uint_eq(r.findings, 0); /* a clean teardown: nothing leaked at PutDmaAdapter */
    run_result_free(&r);
    scenario_free(s);
}
END_TEST

START_TEST(test_common_buffer_exhausted)
{
    static const char text[] =
        "[machine]\nmemory = 4G\n"
        "[device isa]\nadapter = storage\naddress_bits = 24\npattern = common-buffer\n"
        "max_transfer = 1M\n[workload w]\ndevice = isa\nsize = 1M\nqueue_depth = 32\n";
    struct scenario *s = parse(text, NULL, 0);
    struct run_result r;
    char why[600] = "";

    /* 32 slots of 1 MiB each below 16 MiB: the driver's start fails, and says what it needs */
    ck_assert_int_eq(run_scenario(s, NULL, &r, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "[device isa]: storage: the start of the device "
                                      "(IRP_MN_START_DEVICE) failed with status 0xc000009a"));
    ck_assert_ptr_nonnull(strstr(why, "AllocateCommonBuffer"));
    scenario_free(s);
}
END_TEST

/* A machine of 1,024 cards, each with its driver, interrupt and registers: all of them run
 * their I/Os; a 1,025th is refused at the section, with its line. */
static char *many_devices(int n, int count)
{
    size_t cap = 256 + (size_t)n * 200, at = 0;
    char *text = malloc(cap);

    ck_assert_ptr_nonnull(text);
    at += (size_t)snprintf(text + at, cap - at, "[machine]\nmemory = 16G\ndata = metadata\n");
    for (int i = 0; i < n; i++)
        at += (size_t)snprintf(text + at, cap - at,
                               "[device d%d]\nadapter = storage\npattern = sg\n"
                               "[workload w%d]\ndevice = d%d\nsize = 4K\nqueue_depth = 2\n"
                               "count = %d\n", i, i, i, count);
    return text;
}

START_TEST(test_many_devices)
{
    char *text = many_devices(1024, 4);
    struct scenario *s = parse(text, NULL, 0), *t = NULL;
    struct run_result r;
    struct scn_errors err;

    run_ok(s, &r);
    ck_assert_uint_eq(r.n_devices, 1024);
    ck_assert_uint_eq(r.total.ios, 4096);
    ck_assert_uint_eq(r.total.failed + r.total.lost, 0);
    ck_assert_uint_eq(r.devices[1023].ios, 4);
    run_result_free(&r);
    scenario_free(s);
    free(text);
    text = many_devices(1025, 1);
    ck_assert_int_ne(scenario_parse("test", text, NULL, 0, &t, &err), 0);
    ck_assert_msg(strstr(err.text[0], "too many [device] sections (at most 1024)") != NULL, "%s",
                  err.text[0]);
    free(text);
}
END_TEST

/* The PLX PCI 9656 bridge under dmasim's KMDF driver: every request of 1 byte to 128 KiB
 * written into the SRAM and read back with its bytes checked; the 32-bit variant (the firmware
 * reports a 32-bit reach) double-buffered, the 64-bit one not, the 32-bit one remapped by an
 * IOMMU not either; full and metadata modes account alike. */
START_TEST(test_kmdf_pci9656)
{
    static const char text[] = "[machine]\nmemory = 64G\ncpus = 4\nseed = 2\n"
                               "[device plx]\nadapter = pci9656\n"
                               "[workload w]\ndevice = plx\nop = mix\nsize = 1..128K\n"
                               "queue_depth = 2\ncount = 120\n";
    static const struct {
        const char *sets[3];
        int n;
        bool bounced;
    } cases[] = {
        {{"device.plx.address_bits=64"}, 1, false},
        {{"device.plx.address_bits=32"}, 1, true},
        {{"device.plx.address_bits=32", "machine.iommu=remap"}, 2, false},
        {{"device.plx.address_bits=32", "machine.data=metadata"}, 2, true},
    };
    uint64_t bounced_full = 0;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scenario *s = parse(text, cases[i].sets, cases[i].n);
        struct run_result r;
        const struct run_device *d;
        run_ok(s, &r);
        d = &r.devices[0];
        ck_assert_uint_eq(d->ios, 120);
        ck_assert_uint_eq(d->failed, 0);
        ck_assert_uint_eq(d->lost, 0);
        ck_assert_uint_eq(d->mismatches, 0);
        ck_assert_uint_eq(r.findings, 0);
        if (i != 3)
            ck_assert_uint_eq(d->verified, 120);
        if (cases[i].bounced)
            ck_assert_uint_gt(d->hal.pages_bounced, 0);
        else
            ck_assert_uint_eq(d->hal.pages_bounced, 0);
        ck_assert_uint_gt(d->hal.sg_lists_built, 120); /* 8 KiB stages */
        if (i == 1)
            bounced_full = d->hal.pages_bounced;
        if (i == 3)
            ck_assert_uint_eq(d->hal.pages_bounced, bounced_full);
        run_result_free(&r);
        scenario_free(s);
    }
}
END_TEST

/* The storage controller's KMDF driver (pattern = kmdf) against its WDM driver: the same
 * requests verified; a 32-bit controller double-buffered through the framework, a 64-bit one
 * not; the framework stages a request by the map registers when they are short; a controller
 * without scatter/gather gets a packet profile (no lists); a failed command fails its request
 * through DmaCompletedFinal, nothing lost or found. */
START_TEST(test_kmdf_storage)
{
    static const char text[] = "[machine]\nmemory = 64G\nseed = 3\n"
                               "[device disk]\nadapter = storage\naddress_bits = 32\n"
                               "pattern = kmdf\n"
                               "[workload w]\ndevice = disk\nop = mix\nsize = 4K..128K\n"
                               "queue_depth = 8\ncount = 300\n";
    static const struct {
        const char *sets[2];
        int n;
    } cases[] = {
        {{"device.disk.pattern=sg"}, 1},           /* 0: the WDM driver */
        {{NULL}, 0},                                /* 1: KMDF, 32-bit */
        {{"device.disk.address_bits=64"}, 1},      /* 2: KMDF, 64-bit */
        {{"machine.map_register_limit=8"}, 1},     /* 3: staged by map registers */
        {{"device.disk.scatter_gather=no"}, 1},    /* 4: packet profile */
        {{"faults.device_errors=5%"}, 1},          /* 5: failed commands */
    };
    uint64_t bytes_wdm = 0;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scenario *s = parse(text, cases[i].sets, cases[i].n);
        struct run_result r;
        const struct run_device *d;
        run_ok(s, &r);
        d = &r.devices[0];
        ck_assert_uint_eq(d->ios, 300);
        ck_assert_uint_eq(d->lost, 0);
        ck_assert_uint_eq(d->mismatches, 0);
        ck_assert_uint_eq(r.findings, 0);
        if (i == 5) {
            ck_assert_uint_gt(d->failed, 0);
            ck_assert_uint_eq(d->verified + d->failed, 300);
        } else {
            ck_assert_uint_eq(d->failed, 0);
            ck_assert_uint_eq(d->verified, 300);
        }
        if (i == 0)
            bytes_wdm = d->bytes;
        else if (i != 5)
            ck_assert_uint_eq(d->bytes, bytes_wdm); /* the same requests */
        if (i == 2)
            ck_assert_uint_eq(d->hal.pages_bounced, 0);
        else
            ck_assert_uint_gt(d->hal.pages_bounced, 0);
        if (i == 3)
            ck_assert_uint_gt(d->hal.transfers, 300); /* more stages than requests */
        else if (i != 5)
            ck_assert_uint_eq(d->hal.transfers, 300);
        if (i == 4)
            ck_assert_uint_eq(d->hal.sg_lists_built, 0);
        else
            ck_assert_uint_gt(d->hal.sg_lists_built, 0);
        run_result_free(&r);
        scenario_free(s);
    }
}
END_TEST

/* The SoC UART's KMDF driver (the framework's system profile) against its WDM driver: the
 * same bytes verified on a non-coherent SoC, nothing read stale (MapTransferEx cleans,
 * FlushAdapterBuffersEx invalidates, as the WDM driver's calls do); a line error fails its
 * request through DmaCompletedFinal, nothing lost or found. */
START_TEST(test_kmdf_uart)
{
    static const char text[] = "[machine]\nmemory = 2G\ncoherent = no\nsoc_dma_channels = 4\n"
                               "soc_dma_request_lines = 32\nseed = 3\n"
                               "[device spi0]\nadapter = uart\npattern = kmdf\ndma_line = 5\n"
                               "max_transfer = 4K\nlink_bandwidth = 2MB/s\n"
                               "[workload w]\ndevice = spi0\nop = mix\nsize = 16..4K\n"
                               "queue_depth = 2\ncount = 150\n";
    static const char *const sets[][1] = {{"device.spi0.pattern=v3"}, {NULL},
                                          {"faults.device_errors=10%"}};
    uint64_t bytes_wdm = 0;

    for (size_t i = 0; i < 3; i++) {
        struct scenario *s = parse(text, sets[i], sets[i][0] != NULL ? 1 : 0);
        struct run_result r;
        const struct run_device *d;
        run_ok(s, &r);
        d = &r.devices[0];
        ck_assert_uint_eq(d->ios, 150);
        ck_assert_uint_eq(d->lost, 0);
        ck_assert_uint_eq(d->mismatches, 0);
        ck_assert_uint_eq(r.findings, 0);
        ck_assert_uint_eq(d->hal.stale_bytes_to_device + d->hal.stale_bytes_to_cpu, 0);
        ck_assert_uint_gt(d->hal.cache_lines_cleaned, 0);
        if (i == 2) {
            ck_assert_uint_gt(d->failed, 0);
            ck_assert_uint_eq(d->verified + d->failed, 150);
        } else {
            ck_assert_uint_eq(d->failed, 0);
            ck_assert_uint_eq(d->verified, 150);
        }
        if (i == 0)
            bytes_wdm = d->bytes;
        else if (i == 1)
            ck_assert_uint_eq(d->bytes, bytes_wdm);
        run_result_free(&r);
        scenario_free(s);
    }
}
END_TEST

/* The display adapter through the video port: every upload verified; a request moved in
 * several StartDma/CompleteDma rounds; one adapter for both engines shares its map registers,
 * so its rounds are more and the run longer than with one adapter an engine; a failed
 * descriptor fails its request, nothing lost or found. */
/* AVStream: two 32-bit capture cards sharing the low memory behind their map registers. Locks
 * held only for what is programmed never fail; one minidriver locking ahead holds so many
 * frames' map registers that the other's locks fail and its card drops frames; 64-bit cards
 * take no map registers and fail no lock; KsDeviceRegisterAdapterObject gives AVStream no map
 * register count, so a frame larger than one grant never locks (the watchdog stops the run). */
START_TEST(test_avstream_capture)
{
    static const char text[] = "[machine]\nmemory = 64G\nseed = 3\nbounce_pool = 8M\n"
                               "io_timeout = 2s\n"
                               "[device cam0]\nadapter = capture\naddress_bits = 32\n"
                               "max_transfer = 1M\nlocks = 2\n"
                               "[device cam1]\nadapter = capture\naddress_bits = 32\n"
                               "max_transfer = 1M\nlocks = 2\n"
                               "[workload w0]\ndevice = cam0\nsize = 1M\nqueue_depth = 12\n"
                               "count = 40\n"
                               "[workload w1]\ndevice = cam1\nsize = 1M\nqueue_depth = 12\n"
                               "count = 40\n";
    static const char *const sets[][2] = {
        {NULL, NULL},
        {"device.cam0.lock_policy=ahead", NULL},
        {"device.cam0.address_bits=64", "device.cam1.address_bits=64"},
        {"device.cam0.registration=legacy", "device.cam1.registration=legacy"}};

    for (size_t i = 0; i < 4; i++) {
        struct scenario *s = parse(text, sets[i], sets[i][0] == NULL ? 0 : sets[i][1] ? 2 : 1);
        struct run_result r;
        const struct run_device *c0, *c1;
        run_ok(s, &r);
        c0 = &r.devices[0];
        c1 = &r.devices[1];
        ck_assert(c0->has_frames && c1->has_frames);
        ck_assert_uint_eq(r.findings, 0);
        ck_assert_uint_eq(c0->mismatches + c1->mismatches, 0);
        ck_assert_uint_eq(c0->frames.interval_ns, 1000000000ull / 30);
        if (i == 3) { /* legacy: nothing locks, nothing arrives */
            ck_assert_uint_eq(c0->ios + c1->ios, 0);
            ck_assert_uint_gt(c0->lost, 0);
            ck_assert_uint_eq(c0->frames.lock_failures, c0->frames.lock_attempts);
            ck_assert_uint_gt(c0->frames.frames_dropped, 0);
            ck_assert(!c0->frames.registered_ex);
            ck_assert_str_ne(r.stopped, "");
        } else {
            ck_assert_uint_eq(c0->ios, 40);
            ck_assert_uint_eq(c1->ios, 40);
            ck_assert_uint_eq(c0->verified + c1->verified, 80);
            ck_assert_uint_eq(c0->frames.frames_done, 40);
            ck_assert(c0->frames.registered_ex);
            ck_assert_uint_eq(c0->frames.registered_map_registers, r.devices[0].map_registers_granted);
        }
        if (i == 0) {
            ck_assert_uint_eq(c0->frames.lock_failures + c1->frames.lock_failures, 0);
            ck_assert_uint_eq(c0->frames.frames_dropped + c1->frames.frames_dropped, 0);
            ck_assert_uint_eq(c0->frames.locked_peak, 2);
            /* a page-aligned 1 MiB frame: 256 map registers, in pieces of 63 pages */
            ck_assert_uint_eq(c0->frames.map_registers_mapped, 40 * 256);
        } else if (i == 1) {
            ck_assert_uint_gt(c0->frames.locked_peak, 2);  /* ahead: every frame queued */
            ck_assert_uint_gt(c1->frames.lock_failures, 0);
            ck_assert_uint_gt(c1->frames.frames_dropped, 0);
        } else if (i == 2) {
            ck_assert_uint_eq(c0->frames.lock_failures + c1->frames.lock_failures, 0);
            ck_assert_uint_eq(c0->frames.map_registers_peak, 0);
            ck_assert_uint_eq(c0->hal.pages_bounced, 0);
        }
        run_result_free(&r);
        scenario_free(s);
    }
}
END_TEST

/* The capture card's faults: a frame written back ERROR fails its I/O with the minidriver's
 * status and no data checked; an engine that wedges keeps its buffer (TAIL stays), so no
 * frame is completed from it, and the I/Os still out are lost, never wrong. Frames that reach
 * the application more than a frame interval after the card wrote them are late. */
START_TEST(test_avstream_faults)
{
    static const char text[] = "[machine]\nmemory = 64G\nseed = 2\nio_timeout = 1s\n"
                               "[device cam]\nadapter = capture\naddress_bits = 32\n"
                               "max_transfer = 256K\n"
                               "[workload w]\ndevice = cam\nsize = 256K\nqueue_depth = 4\n"
                               "count = 60\n";
    static const char *const sets[][1] = {{"faults.device_errors=20%"}, {"faults.stalls=5%"},
                                          {"cost.dpc_latency=40ms"}};

    for (size_t i = 0; i < 3; i++) {
        struct scenario *s = parse(text, sets[i], 1);
        struct run_result r;
        const struct run_device *d;
        run_ok(s, &r);
        d = &r.devices[0];
        ck_assert_uint_eq(d->mismatches, 0);
        if (i == 0) {
            ck_assert_uint_eq(r.findings, 0);
            ck_assert_uint_eq(d->ios, 60);
            ck_assert_uint_gt(d->failed, 0);
            ck_assert_int_eq(d->first_failure, STATUS_IO_DEVICE_ERROR);
            ck_assert_uint_eq(d->verified + d->failed, 60);
            ck_assert_uint_eq(d->frames.frames_done + d->failed, 60); /* a failed frame: none */
        } else if (i == 2) {
            /* a DPC starts 40 ms after the interrupt that queued it, later than a frame
             * interval (33.3 ms): the frame it was queued for is late; the next frame's
             * interrupt finds it still queued, and it completes that one 7 ms after */
            ck_assert_uint_eq(r.findings, 0);
            ck_assert_uint_eq(d->ios, 60);
            ck_assert_uint_ge(d->frames_late, 29);
            ck_assert_uint_le(d->frames_late, 31);
        } else {
            ck_assert_uint_gt(d->lost, 0);
            ck_assert_uint_eq(d->verified, d->ios);
            ck_assert_uint_gt(d->frames.frames_dropped, 0);
            ck_assert_str_ne(r.stopped, "");
        }
        run_result_free(&r);
        scenario_free(s);
    }
}
END_TEST

START_TEST(test_videoport_display)
{
    static const char text[] = "[machine]\nmemory = 16G\nseed = 1\n"
                               "[device gpu]\nadapter = display\naddress_bits = 32\n"
                               "engines = 2\n"
                               "[workload w]\ndevice = gpu\nop = mix\nsize = 256K..1M\n"
                               "queue_depth = 2\ncount = 60\n";
    static const char *const sets[][1] = {{NULL}, {"device.gpu.dma_adapters=1"},
                                          {"faults.device_errors=5%"}};
    uint64_t elapsed_two = 0, rounds_two = 0;

    for (size_t i = 0; i < 3; i++) {
        struct scenario *s = parse(text, sets[i], sets[i][0] != NULL ? 1 : 0);
        struct run_result r;
        const struct run_device *d;
        run_ok(s, &r);
        d = &r.devices[0];
        ck_assert_uint_eq(d->ios, 60);
        ck_assert_uint_eq(d->lost, 0);
        ck_assert_uint_eq(d->mismatches, 0);
        ck_assert_uint_eq(r.findings, 0);
        ck_assert_uint_gt(d->hal.pages_bounced, 0);
        if (i == 2) {
            ck_assert_uint_gt(d->failed, 0);
            ck_assert_uint_eq(d->verified + d->failed, 60);
        } else {
            ck_assert_uint_eq(d->failed, 0);
            ck_assert_uint_eq(d->verified, 60);
            ck_assert_uint_gt(d->hal.transfers, 4 * 60); /* at least 4 rounds a request */
            ck_assert_uint_gt(d->device_idle_ns, 0);      /* idle between them */
        }
        if (i == 0) {
            elapsed_two = r.elapsed_ns;
            rounds_two = d->hal.transfers;
        } else if (i == 1) {
            ck_assert_uint_gt(d->hal.transfers, rounds_two);
            ck_assert_uint_gt(r.elapsed_ns, elapsed_two);
        }
        run_result_free(&r);
        scenario_free(s);
    }
}
END_TEST

/* [machine] io_timeout: an I/O outstanding that long while the run goes on (a card wedged on
 * it, the others working) stops the run, which reports it (STOPPED, the I/O lost); 0: never. */
START_TEST(test_io_timeout)
{
    static const char text[] = "[machine]\nmemory = 8G\ndata = metadata\nio_timeout = 100us\n"
                               "[faults]\nstalls = 1%\n"
                               "[device d]\nadapter = storage\n"
                               "[workload w]\ndevice = d\nsize = 4K\nqueue_depth = 8\n"
                               "count = 100000\n";
    const char *never[] = {"machine.io_timeout=0"};
    struct scenario *s = parse(text, NULL, 0);
    struct run_result r;
    char *json;

    run_ok(s, &r);
    ck_assert_ptr_nonnull(strstr(r.stopped, "has been outstanding for"));
    ck_assert_ptr_nonnull(strstr(r.stopped, "of device d"));
    ck_assert_uint_ge(r.stopped_ns, 100000);
    ck_assert_uint_gt(r.devices[0].lost, 0);
    ck_assert_uint_lt(r.devices[0].ios, 100000);
    json = json_of(&r);
    ck_assert_ptr_nonnull(strstr(json, "\"stopped\": \"I/O #"));
    free(json);
    /* the text says why they are lost: the watchdog, not a run with nothing left to happen */
    json = report_of(&r, REPORT_TEXT);
    ck_assert_ptr_nonnull(strstr(json, "STOPPED at "));
    ck_assert_ptr_nonnull(strstr(json, "never completed: the I/O watchdog stopped the run"));
    ck_assert_ptr_null(strstr(json, "nothing was left to happen"));
    free(json);
    run_result_free(&r);
    scenario_free(s);
    /* without the watchdog the stalled slots retire and the run ends on its own */
    s = parse(text, never, 1);
    run_ok(s, &r);
    ck_assert_str_eq(r.stopped, "");
    json = json_of(&r);
    ck_assert_ptr_null(strstr(json, "\"stopped\""));
    free(json);
    run_result_free(&r);
    scenario_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("run");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_pattern_matrix, 0, 3 * (int)(sizeof(combos) / sizeof(combos[0])));
    tcase_add_test(tc, test_uart_on_soc);
    tcase_add_test(tc, test_nic_split_packets);
    tcase_add_test(tc, test_audio_ring);
    tcase_add_loop_test(tc, test_pattern_matrix_noncoherent, 0,
                        3 * (int)(sizeof(combos) / sizeof(combos[0])));
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_full_vs_metadata);
    tcase_add_test(tc, test_stray_attributed);
    tcase_add_test(tc, test_lost_completions);
    tcase_add_test(tc, test_mapreg_queueing);
    tcase_add_test(tc, test_fresh_buffers);
    tcase_add_test(tc, test_duration);
    tcase_add_test(tc, test_stop_before_start);
    tcase_add_test(tc, test_common_buffer_exhausted);
    tcase_add_test(tc, test_many_devices);
    tcase_add_test(tc, test_kmdf_pci9656);
    tcase_add_test(tc, test_kmdf_storage);
    tcase_add_test(tc, test_kmdf_uart);
    tcase_add_test(tc, test_videoport_display);
    tcase_add_test(tc, test_avstream_capture);
    tcase_add_test(tc, test_avstream_faults);
    tcase_add_test(tc, test_io_timeout);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
