/*
 * bench.c - dmasim bench: how fast the simulator itself is, measured in one process run and
 * printed as figures and ratios beside their targets, never asserted in a test (shared
 * machines are noisy). --check ends with what fell short and exit status 1 if anything did:
 * a guard a later change cannot undo silently, run by hand or by a job of its own.
 *
 *  1. Simulated 4 KiB transfers per host second through the sg pattern in metadata mode, on
 *     one core: the bare workload, and the flagship's (70 % reads, 50 us of application work,
 *     32 in flight, 8 CPUs busy) (target: at least 5,000,000 each; issue 16).
 *  2. Full mode's host time per bounced byte over memcpy's: the same workload on a 32-bit and
 *     a 64-bit controller, buffers above 4 GiB; the extra host time of the 32-bit run divided
 *     by the bytes it bounced, over the time memcpy takes per byte on the same sizes
 *     (target: at most 1.1 at 64 KiB).
 *  3. Full mode's simulated bytes per host second, a 32-bit controller bouncing every 64 KiB
 *     transfer, as a share of memcpy's bandwidth (target: at least 50 %), and the floor
 *     that the passes over every byte (generation, two checksums, three copies), each
 *     measured here, allow.
 *  4. Memory stays flat as the transfer count grows: the peak resident memory of a short and
 *     of a 100x longer run, each in a process of its own (target: the long run needs no more,
 *     beyond the statistics' fixed size).
 *  5. 1,024 storage cards sharing the transfers against one card doing them all: host time
 *     per transfer (target: at most 1.5x one card's).
 *  6. The flagship study (scenarios/study-64bit-dma.ini: 9 memory sizes x 4 variants, metadata
 *     mode): its wall time at -j 1 and -j 2, and the speed-up (targets: under 10 s on 2 cores,
 *     -j 2 at least 1.8x faster than -j 1 when two cores are free).
 */
#include <inttypes.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "host.h"
#include "study.h"
#include "run.h"
#include "scenario.h"

#define BEST_OF 3

/* What was measured, against its target, for --check. */
struct figure {
    char name[80];
    double value, target;
    bool at_least; /* the value must be >= target (else <=) */
};
static struct figure figures[16];
static int n_figures;

static void record(const char *name, double value, double target, bool at_least)
{
    if (n_figures < (int)(sizeof(figures) / sizeof(figures[0]))) {
        struct figure *f = &figures[n_figures++];
        snprintf(f->name, sizeof(f->name), "%s", name);
        f->value = value;
        f->target = target;
        f->at_least = at_least;
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char sg_text[] =
    "[machine]\nmemory = 16G\ncpus = 8\ndata = metadata\n"
    "[device disk0]\nadapter = storage\npattern = sg\nlatency = 0\n"
    "[workload w]\ndevice = disk0\nsize = 4K\nqueue_depth = 32\n";

static const char bounce_text[] =
    "[machine]\nmemory = 64G\ncpus = 8\nplacement = high-first\n"
    "[device disk0]\nadapter = storage\npattern = sg\nlatency = 0\n"
    "[workload w]\ndevice = disk0\nsize = 64K\nop = mix\nqueue_depth = 16\n";

/* One run of text with overrides; returns 0 and the result. */
static int bench_run(const char *text, const char *const *sets, int n, struct run_result *r)
{
    struct scn_errors errs;
    struct scenario *s;
    char why[400];
    int rc;

    if (scenario_parse("bench", text, sets, n, &s, &errs) != 0) {
        fprintf(stderr, "dmasim bench: %s\n", errs.text[0]);
        return -1;
    }
    rc = run_scenario(s, NULL, r, why, sizeof(why));
    if (rc != 0)
        fprintf(stderr, "dmasim bench: %s\n", why);
    /* the report's scenario pointer is not used past this point */
    scenario_free(s);
    return rc;
}

#define TARGET_TRANSFERS 5e6

/* flagship: the flagship study's workload (70 % reads, 50 us of application work per I/O). */
static void bench_transfers(uint64_t count, bool flagship)
{
    char set[64];
    const char *sets[] = {set, "workload.w.op=mix", "workload.w.read_share=70%",
                          "workload.w.cpu_work=50us"};
    uint64_t best = UINT64_MAX, ios = 0;
    double rate;

    snprintf(set, sizeof(set), "workload.w.count=%" PRIu64, count);
    for (int i = 0; i < BEST_OF; i++) {
        struct run_result r;
        if (bench_run(sg_text, sets, flagship ? 4 : 1, &r) != 0)
            return;
        if (r.host_ns < best)
            best = r.host_ns;
        ios = r.total.ios;
        run_result_free(&r);
    }
    rate = ios * 1e9 / best;
    printf("sg pattern, metadata mode, 4 KiB%s: %" PRIu64 " transfers in %.3f s: %.0f transfers "
           "per host second (target >= 5,000,000)\n",
           flagship ? ", the flagship's workload (70 % reads, 50 us of application work)" : "",
           ios, best / 1e9, rate);
    record(flagship ? "transfers per host second, the flagship's workload"
                    : "transfers per host second, sg, metadata", rate, TARGET_TRANSFERS, true);
}

/* memcpy of size-byte blocks across a working set like the run's: best ns per byte. */
static double memcpy_ns_per_byte(size_t size, size_t blocks, uint64_t total_bytes)
{
    uint8_t *src = malloc(size * blocks), *dst = malloc(size * blocks);
    double best = 1e30;

    if (src == NULL || dst == NULL) {
        free(src);
        free(dst);
        return 0;
    }
    memset(src, 1, size * blocks);
    memset(dst, 2, size * blocks);
    for (int rep = 0; rep < BEST_OF; rep++) {
        uint64_t t0 = now_ns(), moved = 0;
        for (size_t i = 0; moved < total_bytes; i = (i + 1) % blocks, moved += size)
            memcpy(dst + ((i * 7) % blocks) * size, src + i * size, size);
        double per = (double)(now_ns() - t0) / (double)moved;
        if (per < best)
            best = per;
        __asm__ volatile("" : : "r"(dst) : "memory");
    }
    free(src);
    free(dst);
    return best;
}

/* One pass over every byte that full mode makes: the checksum, or the payload's generation. */
enum pass { PASS_CRC32, PASS_PAYLOAD };

/* Best host ns per byte of a pass over 16 blocks of size bytes, total_bytes in all. */

static double pass_ns_per_byte(enum pass what, size_t size, uint64_t total_bytes)
{
    uint8_t *buf = malloc(size * 16);
    struct dms_rng rng;
    double best = 1e30;
    uint32_t crc = 0;

    if (buf == NULL)
        return 0;
    memset(buf, 3, size * 16);
    dms_rng_seed(&rng, 1);
    for (int rep = 0; rep < BEST_OF; rep++) {
        uint64_t t0 = now_ns(), done = 0;
        for (size_t i = 0; done < total_bytes; i = (i + 1) % 16, done += size) {
            if (what == PASS_CRC32)
                crc = libdeflate_crc32(crc, buf + i * size, size);
            else
                dms_rng_fill(&rng, buf + i * size, size);
        }
        double per = (double)(now_ns() - t0) / (double)done;
        if (per < best)
            best = per;
        __asm__ volatile("" : : "r"(buf), "r"(crc) : "memory");
    }
    free(buf);
    return best;
}

/* Best host time of a run of bounce_text with bits address lines in full or metadata mode;
 * *bounced gets the bytes it bounced. */
static uint64_t best_bounce_run(uint64_t count, unsigned bits, bool metadata, uint64_t *bounced)
{
    char set_count[64], set_bits[64];
    const char *sets[] = {set_count, set_bits, "machine.data=metadata"};
    uint64_t best = UINT64_MAX;

    snprintf(set_count, sizeof(set_count), "workload.w.count=%" PRIu64, count);
    snprintf(set_bits, sizeof(set_bits), "device.disk0.address_bits=%u", bits);
    for (int i = 0; i < 2 * BEST_OF; i++) { /* a difference of differences: more samples */
        struct run_result r;
        if (bench_run(bounce_text, sets, metadata ? 3 : 2, &r) != 0)
            return 0;
        *bounced = r.total.hal.bytes_bounced_to_device + r.total.hal.bytes_bounced_from_device;
        if (r.host_ns < best)
            best = r.host_ns;
        run_result_free(&r);
    }
    return best;
}

/* The host cost of a bounced byte: what full mode adds over metadata mode on a 32-bit device
 * (bounce copies plus the device's own payload work), less what it adds on a 64-bit device
 * (the device's payload work alone). Bookkeeping is the same in both modes and cancels. */
static void bench_bounce(uint64_t count)
{
    uint64_t bounced = 0, none = 0;
    uint64_t f32 = best_bounce_run(count, 32, false, &bounced);
    uint64_t m32 = best_bounce_run(count, 32, true, &bounced);
    uint64_t f64 = best_bounce_run(count, 64, false, &none);
    uint64_t m64 = best_bounce_run(count, 64, true, &none);
    double extra = ((double)f32 - (double)m32) - ((double)f64 - (double)m64);
    double per_byte, copy;

    if (bounced == 0 || f32 == 0 || f64 == 0 || m32 == 0 || m64 == 0) {
        printf("full mode, bounce: not measured\n");
        return;
    }
    per_byte = extra / (double)bounced;
    copy = memcpy_ns_per_byte(64 << 10, 16, bounced);
    printf("full mode, bounce: %.4f ns of host time per bounced byte (%" PRIu64 " bytes), "
           "memcpy %.4f ns: ratio %.2f (target <= 1.1)\n", per_byte, bounced, copy,
           copy > 0 ? per_byte / copy : 0.0);
    if (copy > 0)
        record("bounced byte over memcpy's, 64 KiB", per_byte / copy, 1.1, false);
    /* the whole of full mode: simulated bytes per host second against memcpy's bandwidth */
    {
        uint64_t moved = 0;
        struct run_result r;
        char set_count[64];
        const char *sets[] = {set_count, "device.disk0.address_bits=32"};
        uint64_t best = UINT64_MAX;
        snprintf(set_count, sizeof(set_count), "workload.w.count=%" PRIu64, count);
        for (int i = 0; i < BEST_OF; i++) {
            if (bench_run(bounce_text, sets, 2, &r) != 0)
                return;
            moved = r.total.bytes;
            best = r.host_ns < best ? r.host_ns : best;
            run_result_free(&r);
        }
        if (best > 0 && copy > 0) {
            double rate = (double)moved / ((double)best / 1e9), mem = 1e9 / copy;
            printf("full mode, 32-bit controller bouncing every 64 KiB transfer: %.2f GB/s "
                   "simulated per host second, %.1f %% of memcpy's %.2f GB/s (target >= 50 "
                   "%%)\n", rate / 1e9, 100.0 * rate / mem, mem / 1e9);
            record("full mode's bytes per host second, share of memcpy", rate / mem, 0.5,
                   true);
            /* what full mode as built cannot beat: every byte is made (the payload
             * generator, or the device's media, alike in cost), checksummed on both sides
             * (crc32) and copied three times (bounce page, device, the other side) */
            double crc = pass_ns_per_byte(PASS_CRC32, 64 << 10, moved);
            double gen = pass_ns_per_byte(PASS_PAYLOAD, 64 << 10, moved);
            if (crc > 0 && gen > 0)
                printf("  its floor: each byte generated (%.1f GB/s), checksummed twice (crc32 "
                       "%.1f GB/s) and copied three times: at best %.1f %% of memcpy on this "
                       "machine\n", 1 / gen, 1 / crc, 100.0 * copy / (gen + 2 * crc + 3 * copy));
        }
    }
}

static long max_rss_kib(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* The peak resident memory of a process of its own that runs sg_text for count transfers,
 * in KiB (-1: it could not run). Each count gets a fresh process, so what one run left to the
 * allocator cannot count against the other: the figure is what a run of that many transfers
 * needs. */
static long run_peak_kib(uint64_t count)
{
    int fd[2];
    long kib = -1;
    pid_t pid;

    if (pipe(fd) != 0)
        return -1;
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        char set[64];
        const char *sets[] = {set};
        struct run_result r;
        long peak = -1;
        close(fd[0]);
        snprintf(set, sizeof(set), "workload.w.count=%" PRIu64, count);
        if (bench_run(sg_text, sets, 1, &r) == 0) {
            run_result_free(&r);
            peak = max_rss_kib();
        }
        if (write(fd[1], &peak, sizeof(peak)) != (ssize_t)sizeof(peak))
            _exit(1);
        _exit(0);
    }
    close(fd[1]);
    if (read(fd[0], &kib, sizeof(kib)) != (ssize_t)sizeof(kib))
        kib = -1;
    close(fd[0]);
    waitpid(pid, NULL, 0);
    return kib;
}

static void bench_memory(uint64_t small, uint64_t large)
{
    long after_small = run_peak_kib(small), after_large = run_peak_kib(large);

    if (after_small < 0 || after_large < 0)
        return;
    printf("memory: peak resident %.1f MiB for a run of %" PRIu64 " transfers, %.1f MiB for "
           "%" PRIu64 " (each in a process of its own): the longer run needs %.1f MiB more "
           "(target: flat, within 1 MiB)\n",
           after_small / 1024.0, small, after_large / 1024.0, large,
           (after_large - after_small) / 1024.0);
    record("memory growth over 100x the transfers, MiB", (after_large - after_small) / 1024.0,
           1.0, false);
}

/* One study run at parallelism j: its wall time in ns, or 0 if it could not run. */
static uint64_t study_wall(const char *path, const char *const *sets, int n, uint32_t j)
{
    static volatile int never;
    struct study st;
    struct scn_errors err;
    uint64_t t0, t;

    memset(&st, 0, sizeof(st));
    st.sweep = true;
    snprintf(st.path, sizeof(st.path), "%s", path);
    st.sets = sets;
    st.n_sets = n;
    if (study_plan(&st, NULL, 0, NULL, 0, &err) != 0) {
        study_free(&st);
        return 0;
    }
    t0 = now_ns();
    if (study_execute(&st, j, false, &never) != 0 || st.done != st.n_runs) {
        study_free(&st);
        return 0;
    }
    t = now_ns() - t0;
    study_free(&st);
    return t;
}

/* Does the sweep at path load and plan (before minutes of benchmarks)? why gets the first
 * error. */
static bool study_loads(const char *path, char *why, size_t len)
{
    struct study st;
    struct scn_errors err;
    bool ok;

    memset(&st, 0, sizeof(st));
    st.sweep = true;
    snprintf(st.path, sizeof(st.path), "%s", path);
    ok = study_plan(&st, NULL, 0, NULL, 0, &err) == 0;
    if (!ok)
        snprintf(why, len, "%s", err.count > 0 ? err.text[0] : "it does not load");
    study_free(&st);
    return ok;
}

/* Returns false when the study cannot be run at all (its file does not load). */
static bool bench_study(const char *path, bool quick)
{
    const char *sets[] = {"workload.db.count=2000"};
    uint64_t best1 = UINT64_MAX, best2 = UINT64_MAX;

    for (int i = 0; i < BEST_OF; i++) {
        uint64_t a = study_wall(path, sets, quick ? 1 : 0, 1);
        uint64_t b = study_wall(path, sets, quick ? 1 : 0, 2);
        if (a == 0 || b == 0) {
            printf("flagship sweep: skipped (%s cannot be run from here; run dmasim bench from "
                   "the source tree or give --study FILE)\n", path);
            return false;
        }
        best1 = a < best1 ? a : best1;
        best2 = b < best2 ? b : best2;
    }
    printf("flagship sweep (%s%s, best of %d): %.2f s at -j 1, %.2f s at -j 2 on %u CPUs "
           "available; -j 2 is %.2fx faster (targets: under 10 s, at least 1.8x)\n", path,
           quick ? ", 2000 I/Os a run" : "", BEST_OF, best1 / 1e9, best2 / 1e9,
           host_parallelism(), (double)best1 / (double)best2);
    record("flagship sweep at -j 1, s", best1 / 1e9, 10.0, false);
    if (host_parallelism() >= 2)
        record("flagship sweep, -j 2 over -j 1", (double)best1 / (double)best2, 1.8, true);
    return true;
}

/* Host time per transfer with n_dev cards sharing the I/Os against one card doing them all
 * (the run's own clock: set-up excluded). */
static double per_transfer_ns(int n_dev, uint64_t total)
{
    size_t cap = 256 + (size_t)n_dev * 200, at = 0;
    char *text = malloc(cap);
    uint64_t best = UINT64_MAX, ios = 1;

    if (text == NULL)
        return 0;
    at += (size_t)snprintf(text + at, cap - at, "[machine]\nmemory = 16G\ncpus = 8\n"
                           "data = metadata\n");
    for (int i = 0; i < n_dev; i++)
        at += (size_t)snprintf(text + at, cap - at,
                               "[device d%d]\nadapter = storage\npattern = sg\nlatency = 0\n"
                               "[workload w%d]\ndevice = d%d\nsize = 4K\nqueue_depth = 4\n"
                               "count = %" PRIu64 "\n", i, i, i, total / (uint64_t)n_dev);
    for (int i = 0; i < BEST_OF; i++) {
        struct run_result r;
        if (bench_run(text, NULL, 0, &r) != 0)
            break;
        best = r.host_ns < best ? r.host_ns : best;
        ios = r.total.ios;
        run_result_free(&r);
    }
    free(text);
    return best == UINT64_MAX ? 0 : (double)best / (double)ios;
}

static void bench_devices(uint64_t total)
{
    double one = per_transfer_ns(1, total), many = per_transfer_ns(1024, total);

    if (one <= 0 || many <= 0) {
        printf("1,024 devices: not measured\n");
        return;
    }
    printf("1,024 devices sharing %" PRIu64 " transfers: %.0f ns of host time per transfer, "
           "one device %.0f ns: %.2fx (target <= 1.5x)\n", total, many, one, many / one);
    record("1,024 devices, host time per transfer over one device's", many / one, 1.5, false);
}

/* --check: what fell short of its target. Returns how many did. */
static int check_report(void)
{
    int short_of = 0;

    printf("\ncheck: %d figures against their targets\n", n_figures);
    for (int i = 0; i < n_figures; i++) {
        const struct figure *f = &figures[i];
        bool met = f->at_least ? f->value >= f->target : f->value <= f->target;
        printf("  %-5s %-56s %12.4g (target %s %g)\n", met ? "ok" : "SHORT", f->name, f->value,
               f->at_least ? ">=" : "<=", f->target);
        short_of += !met;
    }
    if (short_of > 0)
        printf("check: %d of %d short of target\n", short_of, n_figures);
    else
        printf("check: every target met\n");
    return short_of;
}

int cmd_bench(int argc, char **argv)
{
    bool quick = false, check = false, study_given = false;
    const char *study = "scenarios/study-64bit-dma.ini";

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (strcmp(argv[i], "--check") == 0) {
            check = true;
        } else if (strcmp(argv[i], "--study") == 0 && i + 1 < argc) {
            study = argv[++i];
            study_given = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: dmasim bench [--quick] [--check] [--study FILE]\n\n"
                   "Measure the simulator itself and print figures and ratios beside their "
                   "targets:\n"
                   "  - 4 KiB transfers per host second, sg pattern, metadata mode, one core: "
                   "bare,\n"
                   "    and with the flagship's workload (>= 5 million each)\n"
                   "  - full mode's host time per bounced byte over memcpy's (<= 1.1), and its\n"
                   "    simulated bytes per host second as a share of memcpy's (>= 50 %%), with\n"
                   "    the floor its passes over every byte allow on this machine\n"
                   "  - peak memory of a run of 100 thousand and of 10 million transfers, each\n"
                   "    in a process of its own (flat)\n"
                   "  - host time per transfer with 1,024 devices over one device's (<= 1.5x)\n"
                   "  - the flagship sweep's wall time at -j 1 and -j 2, and the speed-up\n"
                   "    (< 10 s, >= 1.8x; --study FILE: another sweep; default\n"
                   "    scenarios/study-64bit-dma.ini)\n"
                   "--quick runs 100x fewer transfers (a smoke test). --check ends with each\n"
                   "figure against its target and exits 1 if any fell short (shared machines\n"
                   "are noisy: read a SHORT as a reason to look, and run it again).\n");
            return 0;
        } else {
            fprintf(stderr, "dmasim bench: unknown option '%s' (accepted: --quick, --check, "
                    "--study FILE, --help)\n",
                    argv[i]);
            return 2;
        }
    }
    if (study_given) {
        char why[512];
        if (!study_loads(study, why, sizeof(why))) {
            fprintf(stderr, "dmasim bench: --study %s: %s\n", study, why);
            return 2;
        }
    }
    /* memory first: peak resident memory only ever grows, so the other runs would mask it */
    bench_memory(quick ? 1000 : 100000, quick ? 100000 : 10000000);
    bench_transfers(quick ? 20000 : 2000000, false);
    bench_transfers(quick ? 20000 : 2000000, true);
    bench_bounce(quick ? 500 : 40000);
    bench_devices(quick ? 8192 : 409600);
    if (!bench_study(study, quick) && study_given) {
        fprintf(stderr, "dmasim bench: --study %s: the sweep could not be run (a scenario "
                "file with a [sweep] section, please)\n", study);
        return 2;
    }
    return check && check_report() > 0 ? 1 : 0;
}
