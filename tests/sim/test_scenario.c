/*
 * test_scenario.c - scenario files: defaults, units, --set, and the bad-input table: every
 * file below must be refused with "file:line: message" naming the key, and nothing built.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"
#include "scenario.h"
#include "scenario_int.h"

#define GOOD_DEVICE "[device d]\nadapter = storage\n[workload w]\ndevice = d\n"

/* Write text to a fresh file and load it. */
static int load_text(const char *text, const char *const *sets, int n, struct scenario **s,
                     struct scn_errors *err, char *path, size_t path_len)
{
    FILE *f;

    snprintf(path, path_len, "/tmp/dmasim-test-%d.ini", (int)getpid());
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return scenario_load(path, sets, n, NULL, s, err);
}

START_TEST(test_defaults)
{
    struct scenario *s;
    struct scn_errors err;
    char path[64];
    struct dms_device_settings set;

    ck_assert_int_eq(load_text(GOOD_DEVICE, NULL, 0, &s, &err, path, sizeof(path)), 0);
    ck_assert_uint_eq(s->machine.memory, 8ULL << 30);
    ck_assert_uint_eq(s->machine.cpus, 4);
    ck_assert_uint_eq(s->cost.copy_bandwidth, 10000000000ULL);
    ck_assert_uint_eq(s->cost.dpc_latency_ns, 1200);
    ck_assert_uint_eq(s->n_devices, 1);
    ck_assert_uint_eq(s->devices[0].declared_bits, 64); /* auto from 64 lines */
    ck_assert_uint_eq(s->devices[0].max_transfer, 128 << 10);
    ck_assert_uint_eq(s->devices[0].latency, 20000);
    ck_assert_uint_eq(s->devices[0].link_bandwidth, s->cost.link_bandwidth);
    ck_assert_uint_eq(s->workloads[0].count, 10000);
    ck_assert_uint_eq(s->workloads[0].queue_depth, 8);
    scenario_device_settings(s, 0, &set);
    ck_assert_uint_eq(set.slots, 8);
    ck_assert_int_eq(set.pattern, DMS_PATTERN_SG);
    scenario_free(s);
    unlink(path);
}
END_TEST

START_TEST(test_overrides_and_auto)
{
    static const char text[] =
        "; a comment\n[machine]\n  memory = 64G   ; indented, with a trailing comment\n"
        "[device d]\nadapter = legacy\naddress_bits = 36\n"
        "[workload w]\ndevice = d\nsize = 4K:70,64K:30\nduration = 2ms\n";
    const char *sets[] = {"machine.cpus=16", "device.d.pattern=packet",
                          "workload.w.queue_depth=3"};
    struct scenario *s;
    struct scn_errors err;
    char path[64];

    ck_assert_msg(load_text(text, sets, 3, &s, &err, path, sizeof(path)) == 0, "%s",
                  err.text[0]);
    ck_assert_uint_eq(s->machine.memory, 64ULL << 30);
    ck_assert_uint_eq(s->machine.cpus, 16);
    ck_assert_uint_eq(s->devices[0].declared_bits, 32); /* 36 lines: declare 32 */
    ck_assert_uint_eq(s->devices[0].scatter_gather, 0); /* legacy's own */
    ck_assert_uint_eq(s->devices[0].pattern, DMS_PATTERN_PACKET);
    ck_assert_uint_eq(s->workloads[0].queue_depth, 3);
    ck_assert_uint_eq(s->workloads[0].size.kind, SIZES_WEIGHTED);
    ck_assert_uint_eq(s->workloads[0].size.weight_total, 100);
    ck_assert_uint_eq(s->workloads[0].count, 0);
    ck_assert_uint_eq(s->workloads[0].duration, 2000000);
    scenario_free(s);
    unlink(path);
}
END_TEST

/* Subordinate devices take the controller's address lines and their driver's one pattern;
 * audio's channel defaults to 5, a 16-bit one. */
START_TEST(test_subordinate_auto)
{
    static const char text[] = "[machine]\nsoc_dma_channels = 2\n"
                               "[device a]\nadapter = audio\n[workload w]\ndevice = a\n"
                               "op = write\nqueue_depth = 2\n"
                               "[device u]\nadapter = uart\n[workload v]\ndevice = u\n";
    struct scenario *s;
    struct scn_errors err;
    char path[64];
    struct dms_device_settings set;

    ck_assert_msg(load_text(text, NULL, 0, &s, &err, path, sizeof(path)) == 0, "%s",
                  err.text[0]);
    ck_assert_uint_eq(s->devices[0].address_bits, 24);
    ck_assert_uint_eq(s->devices[0].declared_bits, 24);
    ck_assert_uint_eq(s->devices[0].pattern, DMS_PATTERN_PACKET);
    scenario_device_settings(s, 0, &set);
    ck_assert_uint_eq(set.dma_line, 5);
    ck_assert_uint_eq(set.periods, 4);
    ck_assert_uint_eq(set.max_transfer, 4096);
    ck_assert_uint_eq(s->devices[1].address_bits, 32);
    ck_assert_uint_eq(s->devices[1].pattern, DMS_PATTERN_V3);
    scenario_device_settings(s, 1, &set);
    ck_assert_uint_eq(set.dma_line, 0);
    scenario_free(s);
    unlink(path);
}
END_TEST

/* The bad-input table: a file, the line to blame (0: no line), and what the message says. */
static const struct {
    const char *text;
    int line;
    const char *says;
} bad[] = {
    {"[machine]\nmemory = lots\n" GOOD_DEVICE, 2, "memory: 'lots' is not a size"},
    {"[machine]\nmemory = 8X\n" GOOD_DEVICE, 2, "unknown unit 'X'"},
    {"[machine]\nmemory = 4M\n" GOOD_DEVICE, 2, "memory: '4M' is out of range"},
    {"[machine]\nmemory = 2P\n" GOOD_DEVICE, 2, "out of range"},
    {"[machine]\nmemory = 8G\nmemory = 16G\n" GOOD_DEVICE, 3, "set twice"},
    {"[machine]\nmemroy = 8G\n" GOOD_DEVICE, 2, "unknown key 'memroy' in [machine]"},
    {"[machine]\ncpus = 0\n" GOOD_DEVICE, 2, "cpus: '0' is out of range (accepted: 1 .. 1024)"},
    {"[machine]\nplacement = middle\n" GOOD_DEVICE, 2, "accepted: random, low-first"},
    {"[machine]\ndata = some\n" GOOD_DEVICE, 2, "accepted: full, metadata"},
    {"[machine]\nrange_start = 1G\n" GOOD_DEVICE, 2, "apply only to placement = range"},
    {"[machine]\nmmio_hole_start = 3G\nmmio_hole_end = 2G\n" GOOD_DEVICE, 2,
     "MMIO hole starts after it ends"},
    /* the key at fault is blamed, not [machine] or memory */
    {"[machine]\nmemory = 8G\nreserved_low = 5G\n" GOOD_DEVICE, 3, "MMIO hole must leave"},
    {"[machine]\nbounce_pool = 1K\n" GOOD_DEVICE, 2, "bounce_pool"},
    {"[machine]\n[machine]\n" GOOD_DEVICE, 2, "[machine] appears twice (first at line 1)"},
    {"[machine extra]\n" GOOD_DEVICE, 1, "[machine] takes no name"},
    {"[cost]\ncopy_bandwidth = 0GB/s\n" GOOD_DEVICE, 2, "more than zero"},
    {"[cost]\nisr = 5\n" GOOD_DEVICE, 2, "isr: '5': unknown unit"},
    {"[cost]\nwarp = 9\n" GOOD_DEVICE, 2, "unknown key 'warp' in [cost]"},
    {"[disk d]\nadapter = storage\n", 1, "unknown section [disk d]"},
    {"memory = 8G\n" GOOD_DEVICE, 1, "outside any section"},
    {"[device]\nadapter = storage\n", 1, "[device NAME] needs one name"},
    {"[device a b]\nadapter = storage\n", 1, "needs one name"},
    {"[device d!]\nadapter = storage\n", 1, "needs one name"},
    {GOOD_DEVICE "[device d]\nadapter = nic\n", 5, "[device d] appears twice"},
    {"[device d]\naddress_bits = 32\n[workload w]\ndevice = d\n", 1, "needs adapter ="},
    {"[device d]\nadapter = gpu\n[workload w]\ndevice = d\n", 2, "accepted: storage, nic, "
                                                                  "legacy, uart, audio"},
    {"[device d]\nadapter = storage\naddress_bits = 65\n[workload w]\ndevice = d\n", 3,
     "address_bits: '65' is out of range (accepted: 1 .. 64)"},
    {"[device d]\nadapter = storage\naddress_bits = 20\n[workload w]\ndevice = d\n", 3,
     "fewer than any DEVICE_DESCRIPTION can declare"},
    {"[device d]\nadapter = storage\ndeclared_bits = 40\n[workload w]\ndevice = d\n", 3,
     "declares 24, 32 or 64"},
    {"[device d]\nadapter = storage\npattern = dma\n[workload w]\ndevice = d\n", 3,
     "accepted: packet, sg, sg-build, common-buffer"},
    {"[device d]\nadapter = nic\npattern = packet\n[workload w]\ndevice = d\n", 3,
     "the nic driver has no packet pattern"},
    {"[device d]\nadapter = legacy\nscatter_gather = yes\n[workload w]\ndevice = d\n", 3,
     "no scatter/gather engine"},
    /* cards at their registers, drivers of the user's, IOCTLs */
    {"[device d]\nadapter = nic\ndriver = x.so\n[workload w]\ndevice = d\n", 3,
     "/x.so: No such file or directory"},
    {"[device d]\nhardware = legacy\ndriver = /nonexistent/x.so\n[workload w]\ndevice = d\n",
     3, "/nonexistent/x.so: No such file or directory"},
    {"[device d]\nadapter = legacy\nhardware = legacy\n[workload w]\ndevice = d\n", 3,
     "adapter and hardware name the same thing"},
    {"[device d]\nhardware = flux\n[workload w]\ndevice = d\n", 2, "flux"},
    {"[device d]\nadapter = legacy\n[workload w]\ndevice = d\nop = ioctl\n", 5,
     "op = ioctl needs a driver = FILE"},
    {"[device d]\nadapter = legacy\n[workload w]\ndevice = d\nioctl = 0x9C402408\n", 5,
     "ioctl applies only to op = ioctl"},
    {"[device d]\nadapter = legacy\n[workload w]\ndevice = d\nopen = \\\\.\\X\n", 5,
     "open: the shipped drivers are reached through their card"},
    {"[device d]\nadapter = legacy\nregister_base = 0xZZ\n[workload w]\ndevice = d\n", 3,
     "0x needs hexadecimal digits"},
    {"[device d]\nadapter = legacy\nregister_base = 0x10K\n[workload w]\ndevice = d\n", 3,
     "a hexadecimal number takes no unit"},
    {"[device d]\nadapter = storage\nscatter_gather = perhaps\n[workload w]\ndevice = d\n", 3,
     "not yes or no"},
    {"[device d]\nadapter = storage\nmax_transfer = 32M\n[workload w]\ndevice = d\n", 3,
     "max_transfer"},
    {"[device d]\nadapter = legacy\nmax_transfer = 2M\n[workload w]\ndevice = d\n", 3,
     "the legacy adapter takes at most 1 MiB"},
    {"[device d]\nadapter = storage\nring_entries = 64\n[workload w]\ndevice = d\n", 3,
     "ring_entries applies only to adapter = nic"},
    {"[device d]\nadapter = nic\nring_entries = 16\n[workload w]\ndevice = d\n"
     "queue_depth = 32\n", 3, "cannot hold 32 packets"},
    {"[device d]\nadapter = storage\nperiods = 8\n[workload w]\ndevice = d\n", 3,
     "periods applies only to adapter = audio"},
    {"[device d]\nadapter = nic\nqueue_memory = contiguous\n[workload w]\ndevice = d\n", 3,
     "queue_memory applies only to adapter = storage"},
    {"[device d]\nadapter = storage\npattern = kmdf\nqueue_memory = contiguous\n"
     "[workload w]\ndevice = d\n", 4, "queue_memory = contiguous is the shipped WDM driver's"},
    {"[device d]\nadapter = storage\ndescriptor_high = always\n[workload w]\ndevice = d\n", 3,
     "descriptor_high applies only to adapter = pci9656"},
    {"[machine]\ncontiguous = sideways\n[device d]\nadapter = storage\n[workload w]\n"
     "device = d\n", 2, "sideways"},
    {"[device d]\nadapter = legacy\ndma_line = 3\n[workload w]\ndevice = d\n", 3,
     "dma_line applies only to subordinate devices"},
    /* capture: frames, locks, registration */
    {"[device d]\nadapter = storage\nlocks = 4\n[workload w]\ndevice = d\n", 3,
     "locks applies only to adapter = capture, not storage"},
    {"[device d]\nadapter = nic\nframe_rate = 60\n[workload w]\ndevice = d\n", 3,
     "frame_rate applies only to adapter = capture"},
    {"[device d]\nadapter = capture\nregistration = old\n[workload w]\ndevice = d\n"
     "size = 4147200\n", 3, "accepted: ex, legacy"},
    {"[device d]\nadapter = capture\nlock_policy = never\n[workload w]\ndevice = d\n"
     "size = 4147200\n", 3, "accepted: programmed, ahead"},
    {"[device d]\nadapter = capture\nlocks = 0\n[workload w]\ndevice = d\n"
     "size = 4147200\n", 3, "out of range (accepted: 1 .. 64)"},
    {"[device d]\nadapter = capture\n[workload w]\ndevice = d\nsize = 4K\n", 5,
     "size: each read of [device d] is one frame buffer: size = 4147200 (its max_transfer"},
    {"[device d]\nadapter = capture\nmax_transfer = 1M\n[workload w]\ndevice = d\n"
     "size = 1M\nop = write\n", 7, "op: [device d] (adapter = capture) captures: op = read"},
    {"[device d]\nadapter = capture\nmax_transfer = 1001\n[workload w]\ndevice = d\n"
     "size = 1001\n", 3, "max_transfer: a frame is whole pixels"},
#define AUDIO "[device d]\nadapter = audio\n"
#define PLAY "[workload w]\ndevice = d\nop = write\n"
    {AUDIO "dma_line = 4\n" PLAY, 3, "dma_line: the 8237 pair has channels 0-3"},
    {AUDIO "dma_line = 9\n" PLAY, 3, "9 is no channel"},
    {AUDIO "periods = 1\n" PLAY, 3, "periods: '1' is out of range (accepted: 2 .. 32)"},
    {AUDIO "dma_line = 1\nperiods = 32\n" PLAY, 4,
     "an 8237 8-bit channel cannot cross a 64 KiB line"},
    {AUDIO "periods = 16\nmax_transfer = 16K\n" PLAY, 3,
     "a 256 KiB ring; an 8237 16-bit channel cannot cross a 128 KiB line"},
    {AUDIO "max_transfer = 1001\n" PLAY "size = 1000\n", 3, "even number of bytes"},
    {AUDIO "address_bits = 32\n" PLAY, 3, "address_bits: adapter = audio has no DMA engine"},
    {AUDIO "scatter_gather = yes\n" PLAY, 3, "scatter_gather: adapter = audio has no DMA"},
    {AUDIO "pattern = sg\n" PLAY, 3, "the audio driver does not offer sg (it offers: packet)"},
    {AUDIO "[workload w]\ndevice = d\nop = mix\n", 5, "op: [device d] (adapter = audio) "
                                                       "only plays: op = write"},
    {AUDIO PLAY "size = 8K\n", 6, "above the device's max_transfer 4 KiB"},
    {"[device d]\nadapter = uart\ndeclared_bits = 64\n[workload w]\ndevice = d\n", 3,
     "declared_bits: adapter = uart has no DMA engine of its own; its system DMA "
     "controller's channel (32 address lines)"},
#undef AUDIO
#undef PLAY
    {"[device d]\nadapter = storage\n", 1, "[device d] has no workload"},
    {"[device d]\nadapter = storage\n[workload w]\n", 3, "needs device = NAME"},
    {"[device d]\nadapter = storage\n[workload w]\ndevice = e\n", 4, "no [device e]"},
    {GOOD_DEVICE "[workload v]\ndevice = d\n", 6, "already has [workload w]"},
    {GOOD_DEVICE "op = both\n", 5, "accepted: read, write, mix"},
    {GOOD_DEVICE "read_share = 70%\n", 5, "read_share applies only to op = mix"},
    {GOOD_DEVICE "op = mix\nread_share = 170%\n", 6, "out of range (accepted: 0 .. 100)"},
    {GOOD_DEVICE "size = 1M\n", 5, "above the device's max_transfer 128 KiB"},
    {GOOD_DEVICE "size = 1000\n", 5, "not a multiple of 512"},
    {GOOD_DEVICE "size = 64K..4K\n", 5, "low end is above its high end"},
    {GOOD_DEVICE "size = 4K:0,8K:1\n", 5, "weights are 1 .. 1000000"},
    {GOOD_DEVICE "size = 4K;8K\n", 5, "unknown unit"},
    {GOOD_DEVICE "count = 10\nduration = 1ms\n", 6, "count and duration are exclusive"},
    {GOOD_DEVICE "duration = 0\n", 5, "duration: must be more than 0"},
    {GOOD_DEVICE "queue_depth = 0\n", 5, "queue_depth: '0' is out of range"},
    {GOOD_DEVICE "align = 3K\n", 5, "align: must be a power of two"},
    {GOOD_DEVICE "span = 4K\nsize = 8K\n", 5, "span: the offsets' range is smaller"},
    {GOOD_DEVICE "buffers = borrowed\n", 5, "accepted: pool, fresh"},
    {GOOD_DEVICE "cpu_work = soon\n", 5, "or auto"},
    {"[device d]\nadapter = storage\n[workload w\ndevice = d\n", 3,
     "not a section header, key = value"},
    {"[device d]\nadapter storage\n[workload w]\ndevice = d\n", 2,
     "not a section header, key = value"},
    {"", 0, "no [device NAME] section"},
};

START_TEST(test_bad_file)
{
    struct scenario *s = NULL;
    struct scn_errors err;
    char path[64], want[96];

    ck_assert_int_eq(load_text(bad[_i].text, NULL, 0, &s, &err, path, sizeof(path)), -1);
    ck_assert_ptr_null(s);
    ck_assert_int_ge(err.count, 1);
    if (bad[_i].line > 0)
        snprintf(want, sizeof(want), "%s:%d: ", path, bad[_i].line);
    else
        snprintf(want, sizeof(want), "%s: ", path);
    ck_assert_msg(strncmp(err.text[0], want, strlen(want)) == 0, "case %d: '%s' does not start "
                  "with '%s'", _i, err.text[0], want);
    ck_assert_msg(strstr(err.text[0], bad[_i].says) != NULL, "case %d: '%s' does not say '%s'",
                  _i, err.text[0], bad[_i].says);
    unlink(path);
}
END_TEST

static const struct {
    const char *set;
    const char *says;
} bad_sets[] = {
    {"memory=8G", "expected section.key=value"},
    {"machine.memory", "expected section.key=value"},
    {"machine.memory=big", "memory: 'big' is not a size"},
    {"disk.d.address_bits=32", "unknown section 'disk.d'"},
    {"device.e.address_bits=32", "the scenario has no [device e]"},
    {"device.d.colour=red", "unknown key 'colour' in [device]"},
    {"workload.w.queue_depth=-1", "not a count"},
    {"machine.mmio_hole_end=2G", "MMIO hole starts after it ends"},
};

START_TEST(test_bad_set)
{
    struct scenario *s = NULL;
    struct scn_errors err;
    char path[64];
    const char *sets[] = {bad_sets[_i].set};

    ck_assert_int_eq(load_text(GOOD_DEVICE, sets, 1, &s, &err, path, sizeof(path)), -1);
    ck_assert_ptr_null(s);
    ck_assert_msg(strncmp(err.text[0], "--set '", 7) == 0, "%s", err.text[0]);
    ck_assert_msg(strstr(err.text[0], bad_sets[_i].says) != NULL, "'%s' does not say '%s'",
                  err.text[0], bad_sets[_i].says);
    unlink(path);
}
END_TEST

START_TEST(test_missing_file)
{
    struct scenario *s = NULL;
    struct scn_errors err;

    ck_assert_int_eq(scenario_load("/nonexistent/x.ini", NULL, 0, NULL, &s, &err), -1);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err.text[0], "/nonexistent/x.ini: cannot open"));
}
END_TEST

START_TEST(test_long_line_and_nul)
{
    char text[600];
    struct scenario *s = NULL;
    struct scn_errors err;
    char path[64];
    FILE *f;

    memset(text, 'x', sizeof(text));
    memcpy(text, "[machine]\nmemory = 8G ;", 23);
    text[sizeof(text) - 1] = '\0';
    ck_assert_int_eq(load_text(text, NULL, 0, &s, &err, path, sizeof(path)), -1);
    ck_assert_ptr_nonnull(strstr(err.text[0], ":2: line longer than"));
    f = fopen(path, "wb");
    fwrite("[machine]\nmem\0ory = 8G\n", 1, 23, f);
    fclose(f);
    ck_assert_int_eq(scenario_load(path, NULL, 0, NULL, &s, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.text[0], ":2: the line holds a NUL byte"));
    unlink(path);
}
END_TEST

/* docs/scenarios.md documents every key of the table. */
/* Every numeric key at its bounds, and just past them: the generator walks the key table, so
 * a key added later is tried too. At min and max a key is taken (or refused for what it does
 * to others, with a message); one past either end is refused naming the key; never a crash.
 * Taken at a bound, the machine and cost keys are run (20 I/Os): every run ends, done or
 * stopped with a reason, whatever the bound (a workload's count or duration at its maximum
 * would run for ever by design and is not run). */
START_TEST(test_every_key_at_its_bounds)
{
    static const char base[] = "[machine]\nmemory = 8G\ndata = metadata\n"
                               "[device d]\nadapter = storage\n"
                               "[workload w]\ndevice = d\ncount = 20\n";
    static const char *const prefix[] = {"machine.", "cost.", "faults.", "device.d.",
                                         "workload.w."};
    int tried = 0, taken = 0, ran = 0;

    for (int k = 0; k < scn_n_keys; k++) {
        const struct key_def *d = &scn_keys[k];
        uint64_t probe[4];
        int n = 0;
        if (d->type != KT_SIZE && d->type != KT_TIME && d->type != KT_BANDWIDTH &&
            d->type != KT_COUNT && d->type != KT_PERCENT)
            continue;
        probe[n++] = d->min;
        probe[n++] = d->max;
        if (d->max < UINT64_MAX)
            probe[n++] = d->max + 1;
        if (d->min > 0)
            probe[n++] = d->min - 1;
        for (int i = 0; i < n; i++) {
            char set[200], where[240];
            struct scn_override ov = {set, "--set", 0};
            struct scenario *sc = NULL;
            struct scn_errors err;
            bool outside = i >= 2;
            /* numbers in the key's base unit: bytes, ns, bytes/s, a count, a percent */
            snprintf(set, sizeof(set), "%s%s=%llu%s", prefix[d->section], d->name,
                     (unsigned long long)probe[i],
                     d->type == KT_TIME ? "ns" : d->type == KT_PERCENT ? "%" : "");
            snprintf(where, sizeof(where), "%s", set);
            tried++;
            int rc = scenario_build("bounds.ini", base, sizeof(base) - 1, &ov, 1, NULL, &sc,
                                    &err);
            if (outside) {
                ck_assert_msg(rc != 0, "%s: past the key's range, yet taken", where);
                ck_assert_msg(err.count > 0 && strstr(err.text[0], d->name) != NULL,
                              "%s: refused without naming %s: %s", where, d->name,
                              err.count ? err.text[0] : "");
                continue;
            }
            if (rc != 0) {
                ck_assert_msg(err.count > 0, "%s: refused without a message", where);
                continue;
            }
            taken++;
            if (d->section == SEC_MACHINE || d->section == SEC_COST) {
                struct run_result r;
                char why[400];
                if (run_scenario(sc, NULL, &r, why, sizeof(why)) == 0)
                    run_result_free(&r);
                else
                    ck_assert_msg(why[0] != '\0', "%s: the run failed without a reason", where);
                ran++;
            }
            scenario_free(sc);
        }
    }
    fprintf(stderr, "bounds: %d tried, %d taken, %d run\n", tried, taken, ran);
    ck_assert_int_gt(tried, 150);
    ck_assert_int_gt(taken, 50);
    ck_assert_int_gt(ran, 20);
}
END_TEST

START_TEST(test_docs_cover_keys)
{
    FILE *f = fopen(DMASIM_SOURCE_DIR "/docs/scenarios.md", "r");
    static char doc[1 << 17];
    size_t n;
    enum scn_section sec;
    const char *name;
    char want[80];

    ck_assert_ptr_nonnull(f);
    n = fread(doc, 1, sizeof(doc) - 1, f);
    doc[n] = '\0';
    fclose(f);
    for (int i = 0; scenario_key_at(i, &sec, &name); i++) {
        snprintf(want, sizeof(want), "| `%s` |", name);
        ck_assert_msg(strstr(doc, want) != NULL, "docs/scenarios.md lacks key %s", name);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("scenario");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_overrides_and_auto);
    tcase_add_test(tc, test_subordinate_auto);
    tcase_add_loop_test(tc, test_bad_file, 0, sizeof(bad) / sizeof(bad[0]));
    tcase_add_loop_test(tc, test_bad_set, 0, sizeof(bad_sets) / sizeof(bad_sets[0]));
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_long_line_and_nul);
    tcase_add_test(tc, test_docs_cover_keys);
    tcase_add_test(tc, test_every_key_at_its_bounds);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
