/*
 * main.c - the dmasim command: run, bench, keys.
 *
 * libuv hosts a run: the simulation itself runs on libuv's thread pool (uv_queue_work) while
 * the loop thread waits for SIGINT/SIGTERM. The first signal asks the run to stop issuing I/O;
 * in-flight I/O drains (in virtual time, so at once) and the partial report is printed, marked
 * as interrupted. A second signal gives up at once.
 *
 * Exit status: 0 done, 1 the run could not start or its report not be written, 2 bad input
 * (command line or scenario), 130 stopped by a signal (after printing what was measured).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "outfile.h"
#include "shard.h"
#include "dmadump.h"
#include "explain.h"
#include "host.h"
#include "report.h"
#include "run.h"
#include "scenario.h"
#include "study.h"
#include "study_report.h"
#include "trace.h"
#include "units.h"

#define MAX_SETS 64

static const char usage_main[] =
    "usage: dmasim COMMAND [OPTIONS]\n"
    "\n"
    "dmasim simulates DMA on a Windows-like machine: drivers written against the WDK's DMA\n"
    "interface run against simulated devices, and the report says what double-buffering,\n"
    "map registers and bounce copies cost.\n"
    "\n"
    "commands:\n"
    "  run FILE        run a scenario and report (dmasim run --help)\n"
    "  compare FILE    variants of a scenario side by side (dmasim compare --help)\n"
    "  sweep FILE      a scenario over one or two parameters' values (dmasim sweep --help)\n"
    "  merge DIR       a sweep's report from its shards' point files (dmasim merge --help)\n"
    "  explain FILE    a device's first transfers, step by step (dmasim explain --help)\n"
    "  dma FILE        the DMA adapters as the debugger's !dma shows them (dmasim dma --help)\n"
    "  bench           print the simulator's own performance figures (dmasim bench --help)\n"
    "  keys            print every scenario key with its default (Markdown)\n"
    "\n"
    "FILE is a scenario (docs/scenarios.md), or - to read it from standard input; -o - and\n"
    "--trace - write to standard output.\n"
    "\n"
    "options:\n"
    "  -h, --help      this text\n"
    "  -V, --version   the version\n"
    "\n"
    "exit status: 0 done, 1 the run could not start or go on (or its output be written), 2 bad\n"
    "input, 130 stopped by Ctrl-C\n";

static const char usage_run[] =
    "usage: dmasim run FILE [--seed N] [--set SECTION.KEY=VALUE]... [--format text|json|csv]\n"
    "                  [-o FILE]... [--host] [--trace FILE.json[.gz]] [--trace-limit N]\n"
    "\n"
    "Run the scenario in FILE (INI: [machine], [cost], [device NAME], [workload NAME]; see\n"
    "docs/scenarios.md) and print its report: per device and in total, the transfers, bytes,\n"
    "virtual throughput and IOPS, latency p50/p99/max, CPU time per I/O and where it went,\n"
    "pages and bytes bounced, map registers granted/peak/waits, S/G elements, common buffers,\n"
    "and the end-to-end integrity check.\n"
    "\n"
    "options:\n"
    "  --seed N            the PRNG seed (overrides [machine] seed)\n"
    "  --verifier          Driver Verifier's DMA verification (machine.verifier = dma)\n"
    "  --set S.K=V         override a key: machine.memory=64G, cost.copy_bandwidth=5GB/s,\n"
    "                      device.disk0.address_bits=32, workload.db.queue_depth=32\n"
    "                      (may be repeated)\n"
    "  --format F          text (default), json (schema: docs/report-schema.md) or csv\n"
    "  -o, --output FILE   write the report to FILE (- : standard output, the default); a\n"
    "                      FILE ending .json or .csv picks that format unless --format\n"
    "                      says; checked before the run, replaced only when complete;\n"
    "                      repeat it for several formats from one run (-o - -o r.json)\n"
    "  --host              add host-measured figures (wall time, events); these differ from\n"
    "                      run to run, everything else is identical for the same seed\n"
    "  --trace FILE        write a Chrome Trace Event file (FILE.json, or FILE.json.gz\n"
    "                      compressed) that ui.perfetto.dev and Chrome DevTools open: the\n"
    "                      machine's CPUs as one set of tracks that every device's work lands\n"
    "                      on (ISRs, DPCs, bounce copies, map registers, mapping as slices,\n"
    "                      with their bytes, addresses and registers), a process per device of\n"
    "                      DMA engine tracks with map-register and bounce-page counters,\n"
    "                      findings with their message, and an arrow from each I/O's\n"
    "                      submission through its device transfers to its completion\n"
    "  --trace-limit N     trace the run until N I/Os have completed (default 1000)\n"
    "  -h, --help          this text\n"
    "\n"
    "Ctrl-C stops issuing I/O, lets in-flight I/O finish and prints the partial report.\n"
    "exit status: 0 done, 1 the run could not start or go on (or its output be written), 2 bad\n"
    "input, 130 stopped by Ctrl-C\n";

/* ---------------------------------------------------------------------------------------------
 * run
 */
struct run_job {
    const struct scenario *s;
    const struct run_observer *obs;
    struct run_result result;
    char why[400];
    int rc;
};

static void run_work(void *ctx, uint32_t i, const volatile int *stop)
{
    struct run_job *job = ctx;

    (void)i;
    job->rc = run_scenario_observed(job->s, stop, job->obs, &job->result, job->why,
                                    sizeof(job->why));
}

/* Run on libuv's thread pool, with the signals watched on this thread (host.h). */
static volatile int run_stop;

static int host_run(struct run_job *job)
{
    static const struct host_ops ops = {run_work, NULL, 0};

    if (host_execute(1, 1, &ops, job, &run_stop) != 1) {
        snprintf(job->why, sizeof(job->why), "cannot start a worker thread");
        return -1;
    }
    return 0;
}

static int bad_usage(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int bad_usage(const char *usage, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "dmasim: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n%s", usage);
    return 2;
}

/* The options every scenario command takes: --seed N, --set S.K=V and --verifier. */
struct scenario_opts {
    const char *sets[MAX_SETS];
    int n_sets;
    uint64_t seed;
    bool have_seed;
};

/* Take option c if it is one of those: 0 taken, 2 bad (said so), -1 not one of them. */
static int scenario_option(int c, const char *arg, struct scenario_opts *o, const char *usage)
{
    char why[200];

    switch (c) {
    case 's':
        if (units_count(arg, &o->seed, why, sizeof(why)) != 0)
            return bad_usage(usage, "--seed: %s", why);
        o->have_seed = true;
        return 0;
    case 'S':
    case 'V': /* --verifier: Driver Verifier's DMA verification, as machine.verifier = dma */
        if (o->n_sets == MAX_SETS)
            return bad_usage(usage, "at most %d --set options", MAX_SETS);
        o->sets[o->n_sets++] = c == 'V' ? "machine.verifier=dma" : arg;
        return 0;
    default:
        return -1;
    }
}

/* Print a scenario's errors; the exit status for bad input. */
static int scenario_errors(const struct scn_errors *errs)
{
    for (int i = 0; i < errs->count; i++)
        fprintf(stderr, "%s\n", errs->text[i]);
    if (errs->more)
        fprintf(stderr, "(%d more errors)\n", errs->more);
    return 2;
}

/* A progress line (with its escape sequences) only for a terminal that takes them: not when
 * standard error is a file or a pipe, nor with TERM=dumb (or none). */
static bool stderr_is_terminal(void)
{
    const char *term = getenv("TERM");

    return isatty(STDERR_FILENO) && term != NULL && term[0] != '\0' && strcmp(term, "dumb") != 0;
}

/* The format a path's extension names (.json, .csv, .html), -1 for none, -2 for .html where
 * the command has no HTML (a single run): with no --format, -o report.json writes JSON. */
static int format_of_path(const char *path, bool study)
{
    const char *dot = path != NULL ? strrchr(path, '.') : NULL;

    if (dot == NULL || strchr(dot, '/') != NULL)
        return -1;
    if (strcmp(dot, ".json") == 0)
        return study ? STUDY_JSON : REPORT_JSON;
    if (strcmp(dot, ".csv") == 0)
        return study ? STUDY_CSV : REPORT_CSV;
    if (strcmp(dot, ".html") == 0 || strcmp(dot, ".htm") == 0)
        return study ? STUDY_HTML : -2;
    return -1;
}

/* The outputs a command writes (-o, repeatable: one run gives its report in several formats,
 * -o - -o report.html): each opened before the run, so that a path that cannot be written
 * fails at once, not after minutes of running, and replaced only when every one of them has
 * been written whole (outfile.c keeps what is there until then). */
#define MAX_OUTPUTS 4

struct outputs {
    int n;
    const char *path[MAX_OUTPUTS]; /* "-": standard output */
    int fmt[MAX_OUTPUTS];
    struct outfile f[MAX_OUTPUTS];
};

/* Another -o: at most MAX_OUTPUTS, no path twice (by name, or the same existing file by
 * another name), standard output once. 0, or 2 with the usage error said. */
static int outputs_add(struct outputs *o, const char *path, const char *usage)
{
    struct stat a, b;

    if (path[0] == '\0')
        return bad_usage(usage, "-o needs a file name (or - for standard output)");
    if (o->n == MAX_OUTPUTS)
        return bad_usage(usage, "at most %d outputs (-o)", MAX_OUTPUTS);
    for (int i = 0; i < o->n; i++) {
        bool same = strcmp(o->path[i], path) == 0;
        if (!same && strcmp(path, "-") != 0 && strcmp(o->path[i], "-") != 0 &&
            stat(path, &a) == 0 && stat(o->path[i], &b) == 0)
            same = a.st_dev == b.st_dev && a.st_ino == b.st_ino && S_ISREG(a.st_mode);
        if (same)
            return bad_usage(usage, "-o %s is given twice", path);
    }
    o->path[o->n++] = path;
    return 0;
}

/* Each output's format: --format (fmt_opt >= 0) says it for all, else the path's extension,
 * else text. No -o: standard output. 0, or 2 with the usage error said. */
static int outputs_formats(struct outputs *o, int fmt_opt, bool study, const char *usage)
{
    if (o->n == 0)
        o->path[o->n++] = "-";
    for (int i = 0; i < o->n; i++) {
        int f = format_of_path(o->path[i], study);
        if (fmt_opt >= 0)
            f = fmt_opt;
        else if (f == -2)
            return bad_usage(usage, "-o %s: a run's report is text, json or csv (the HTML "
                             "report belongs to compare and sweep); say --format", o->path[i]);
        o->fmt[i] = f >= 0 ? f : 0; /* 0: REPORT_TEXT and STUDY_TEXT */
    }
    return 0;
}

/* Open every output. 0, or 1 with why (and none left open). */
static int outputs_begin(struct outputs *o)
{
    char why[4400];

    for (int i = 0; i < o->n; i++) {
        if (outfile_open(&o->f[i], o->path[i], why, sizeof(why)) != 0) {
            fprintf(stderr, "dmasim: %s\n", why);
            while (i-- > 0)
                outfile_close(&o->f[i], false, why, sizeof(why));
            return 1;
        }
    }
    return 0;
}

/* Write every output with fn in its format and finish (ok false: the run failed, what was
 * there stays). An output that cannot be written leaves every file as it was. 0, or 1. */
static int outputs_end(struct outputs *o, bool ok, void (*fn)(FILE *out, int fmt, const void *ctx),
                       const void *ctx)
{
    char why[4400];
    int rc = 0;

    for (int i = 0; ok && i < o->n; i++) {
        fn(o->f[i].f, o->fmt[i], ctx);
        if (outfile_flush(&o->f[i], why, sizeof(why)) != 0) {
            fprintf(stderr, "dmasim: %s\n", why);
            ok = false;
            rc = 1;
        }
    }
    for (int i = 0; i < o->n; i++) {
        if (outfile_close(&o->f[i], ok, why, sizeof(why)) != 0) {
            fprintf(stderr, "dmasim: %s\n", why);
            rc = 1;
        }
    }
    return rc;
}

/* Whether every output is one of the formats a person reads (text, html) rather than data. */
static bool outputs_all_read(const struct outputs *o, int text, int html)
{
    for (int i = 0; i < o->n; i++)
        if (o->fmt[i] != text && o->fmt[i] != html)
            return false;
    return true;
}

struct run_output {
    const struct run_result *r;
    bool host;
};

static void run_output(FILE *out, int fmt, const void *ctx)
{
    const struct run_output *o = ctx;

    report_write(out, o->r, (enum report_format)fmt, o->host);
}



static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'}, {"set", required_argument, NULL, 'S'},
        {"verifier", no_argument, NULL, 'V'},
        {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
        {"host", no_argument, NULL, 'H'},         {"help", no_argument, NULL, 'h'},
        {"trace", required_argument, NULL, 't'},  {"trace-limit", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    struct scenario_opts so = {.n_sets = 0};
    const char *trace_path = NULL;
    uint64_t trace_limit = TRACE_DEFAULT_LIMIT;
    struct trace *trace = NULL;
    struct run_observer obs;
    int fmt = -1, c, rc;
    bool host = false;
    char why[200];
    struct scn_errors errs;
    struct scenario *s;
    static struct run_job job;
    static struct outputs out;
    struct run_output ro;

    memset(&out, 0, sizeof(out));
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
        case 'S':
        case 'V':
            if (scenario_option(c, optarg, &so, usage_run) != 0)
                return 2;
            break;
        case 'f':
            fmt = report_format_parse(optarg);
            if (fmt < 0)
                return bad_usage(usage_run, "--format %s: accepted: text, json, csv", optarg);
            break;
        case 'o':
            if (outputs_add(&out, optarg, usage_run) != 0)
                return 2;
            break;
        case 'H':
            host = true;
            break;
        case 't':
            trace_path = optarg;
            break;
        case 'T':
            if (units_count(optarg, &trace_limit, why, sizeof(why)) != 0 || trace_limit == 0)
                return bad_usage(usage_run, "--trace-limit %s: a number of I/Os, at least 1",
                                 optarg);
            break;
        case 'h':
            fputs(usage_run, stdout);
            return 0;
        default:
            return bad_usage(usage_run, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return bad_usage(usage_run, "%s", optind >= argc ? "run needs one scenario FILE"
                                                         : "run takes one scenario FILE");
    if (outputs_formats(&out, fmt, false, usage_run) != 0)
        return 2;
    if (scenario_load(argv[optind], so.sets, so.n_sets, so.have_seed ? &so.seed : NULL, &s,
                      &errs) != 0)
        return scenario_errors(&errs);
    job.s = s;
    if (outputs_begin(&out) != 0) {
        scenario_free(s);
        return 1;
    }
    if (trace_path != NULL) {
        trace = trace_open(trace_path, s, trace_limit, why, sizeof(why));
        if (trace == NULL) {
            fprintf(stderr, "dmasim: %s\n", why);
            outputs_end(&out, false, NULL, NULL);
            scenario_free(s);
            return 1;
        }
        trace_observer(trace, &obs);
        job.obs = &obs;
    }
    if (host_run(&job) != 0 || job.rc != 0) {
        fprintf(stderr, "dmasim: %s\n", job.why);
        if (trace != NULL)
            trace_discard(trace);
        outputs_end(&out, false, NULL, NULL);
        scenario_free(s);
        return 1;
    }
    if (trace != NULL) {
        uint64_t ios = trace_ios(trace), events = trace_events(trace);
        if (trace_close(trace, why, sizeof(why)) != 0) {
            fprintf(stderr, "dmasim: %s\n", why);
            outputs_end(&out, false, NULL, NULL);
            run_result_free(&job.result);
            scenario_free(s);
            return 1;
        }
        fprintf(stderr, "dmasim: traced %" PRIu64 " I/Os (%" PRIu64 " events) to %s; open it "
                "at https://ui.perfetto.dev\n", ios, events, trace_path);
    }
    ro = (struct run_output){&job.result, host};
    rc = outputs_end(&out, true, run_output, &ro);
    if (rc == 0 && job.result.interrupted)
        rc = 130;
    run_result_free(&job.result);
    scenario_free(s);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * compare and sweep
 */
static const char usage_compare[] =
    "usage: dmasim compare FILE [--variant 'NAME:S.K=V,...']... [--seed N] [--set S.K=V]...\n"
    "                      [--repeat N | --seeds A..B]\n"
    "                      [--device NAME] [--format text|json|csv|html] [-o FILE]...\n"
    "                      [-j N] [--host] [--trace FILE [--trace-variant NAME]]\n"
    "\n"
    "Run variants of one scenario on the same seed and workload and report them side by side:\n"
    "throughput, IOPS, CPU time per I/O, latency p50/p99, pages and bytes bounced, map-register\n"
    "waits and wait time, each with its change against the first variant (the baseline), where\n"
    "the time of an I/O went, and a headline saying what double-buffering costs in words.\n"
    "\n"
    "Variants come from the file's [variant NAME] sections (lines of section.key = value), or\n"
    "from --variant options, which replace the file's. A --variant is NAME:, then overrides\n"
    "separated by commas; a piece without '=' continues the previous value (so sizes lists\n"
    "stay whole): --variant 'disk32:device.disk0.address_bits=32'.\n"
    "\n"
    "options:\n"
    "  --variant SPEC      a variant (repeatable; the first is the baseline)\n"
    "  --seed N            the PRNG seed (overrides [machine] seed) for every variant\n"
    "  --repeat N          run each variant with N seeds (the scenario's seed and the next\n"
    "                      N-1) and report each figure's mean, standard deviation and 95 %\n"
    "                      confidence interval; a change against the baseline is paired\n"
    "                      seed by seed and marked (noise) when its interval holds 0\n"
    "  --seeds A..B        the same with the seeds A to B (at most 100)\n"
    "  --verifier          Driver Verifier's DMA verification in every variant\n"
    "  --set S.K=V         override a key in every variant (repeatable); a variant's own\n"
    "                      overrides win over --set\n"
    "  --device NAME       figures of one device (default: the total over all devices)\n"
    "  --format F          text (default), json (docs/report-schema.md), csv (one row per\n"
    "                      variant) or html (one self-contained file with charts)\n"
    "  -o, --output FILE   write the report to FILE (- : standard output, the default); a\n"
    "                      FILE ending .json, .csv or .html picks that format unless\n"
    "                      --format says; checked before the runs, replaced when complete;\n"
    "                      repeat it for several formats from one study (-o - -o r.html:\n"
    "                      the text on standard output and the HTML report, runs once)\n"
    "  -j, --jobs N        runs at once (default: the CPUs available); results are the same\n"
    "                      at any -j\n"
    "  --host              add host-measured time (varies run to run)\n"
    "  --trace FILE        also trace one run of the study, as dmasim run --trace does: the\n"
    "                      variant --trace-variant NAME (default: the baseline) at point\n"
    "                      --trace-point N (default 1; dmasim sweep --list-points numbers\n"
    "                      them), on the first seed; --trace-limit N as in run\n"
    "  -h, --help          this text\n"
    "\n"
    "Ctrl-C stops: finished runs are reported, the rest are counted as skipped.\n"
    "exit status: 0 done, 1 a run could not start or the report not be written, 2 bad input,\n"
    "130 stopped by Ctrl-C\n";

static const char usage_sweep[] =
    "usage: dmasim sweep FILE [--vary S.K=VALUES]... [--variant 'NAME:S.K=V,...']...\n"
    "                    [--seed N] [--set S.K=V]... [--device NAME] [--repeat N | --seeds A..B]\n"
    "                    [--format text|json|csv|html] [-o FILE]... [-j N] [--host]\n"
    "                    [--list-points | [--shard I/N] --out DIR]\n"
    "                    [--trace FILE [--trace-point N] [--trace-variant NAME]]\n"
    "\n"
    "Run a scenario over one or two parameters' values, crossed with its variants, and report\n"
    "each point side by side: the overhead of every variant against the first (the baseline)\n"
    "at each point, and why (the share of pages above the device's reach, pages copied per\n"
    "I/O, map-register waits). The HTML report draws each figure against the swept parameter,\n"
    "one line per variant.\n"
    "\n"
    "VALUES is a list (machine.memory=4G,8G,16G) or a range: LOW..HIGH*FACTOR\n"
    "(machine.memory=4G..1T*2) or LOW..HIGH+STEP (workload.db.queue_depth=1..32+1). The\n"
    "file's [sweep] section says the same as lines of section.key = VALUES; --vary replaces it.\n"
    "Without variants a sweep runs the scenario as written at each point.\n"
    "\n"
    "options:\n"
    "  --vary S.K=VALUES   a swept parameter (at most two)\n"
    "  --variant SPEC      a variant, as in dmasim compare --help (replaces [variant] sections)\n"
    "  --seed N, --repeat N, --seeds A..B, --set S.K=V, --verifier, --device NAME,\n"
    "  --format F, -o FILE, --host, --trace FILE, --trace-point N, --trace-variant NAME:\n"
    "                      as in compare (--repeat: each point with N seeds)\n"
    "  -j, --jobs N        points run at once on libuv's thread pool (default: the CPUs\n"
    "                      available); results are identical at any -j\n"
    "  --list-points       print the numbered points and stop\n"
    "  --shard I/N         run only shard I of N (points dealt round-robin: point p, from 1,\n"
    "                      goes to shard (p - 1) % N + 1); needs --out\n"
    "  --out DIR           write each point's results to DIR/point-NNNN.json (replaced whole,\n"
    "                      with a hash of the study and the dmasim version) instead of a\n"
    "                      report, skipping points already there (a rerun resumes); dmasim\n"
    "                      merge DIR makes the report, byte for byte the one-machine one\n"
    "  -h, --help          this text\n"
    "\n"
    "A progress line (runs done, elapsed, time to go) is drawn on standard error when it is a\n"
    "terminal and the format is text or html. Ctrl-C stops: finished points are reported and\n"
    "the report says how many runs were skipped.\n"
    "exit status: 0 done, 1 a run could not start or the report not be written, 2 bad input,\n"
    "130 stopped by Ctrl-C\n";

struct study_output {
    const struct study *st;
    bool host;
};

static void study_output(FILE *out, int fmt, const void *ctx)
{
    const struct study_output *o = ctx;

    study_report_write(out, o->st, (enum study_format)fmt, o->host);
}

/* The traced run of a study: the point and variant's scenario (its first seed) run again
 * under the trace, which is written whole or not at all. 0, or 1 with why said. */
static int trace_study_run(struct trace *trace, const struct scenario *s,
                           const struct study *st, uint32_t point, uint32_t variant,
                           const char *path, volatile int *stop)
{
    struct run_observer obs;
    struct run_result r;
    char why[400], label[80];
    uint64_t ios, events;

    trace_observer(trace, &obs);
    if (run_scenario_observed(s, stop, &obs, &r, why, sizeof(why)) != 0) {
        fprintf(stderr, "dmasim: the traced run: %s\n", why);
        trace_discard(trace);
        return 1;
    }
    run_result_free(&r);
    ios = trace_ios(trace);
    events = trace_events(trace);
    if (trace_close(trace, why, sizeof(why)) != 0) {
        fprintf(stderr, "dmasim: %s\n", why);
        return 1;
    }
    study_point_label(st, point, label, sizeof(label));
    fprintf(stderr, "dmasim: traced %" PRIu64 " I/Os (%" PRIu64 " events) of %s%s%s to %s; "
            "open it at https://ui.perfetto.dev\n", ios, events, st->variants[variant].name,
            st->n_axes ? " at " : "", st->n_axes ? label : "", path);
    return 0;
}

static int cmd_study(int argc, char **argv, bool sweep)
{
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'},    {"set", required_argument, NULL, 'S'},
        {"verifier", no_argument, NULL, 'V'},
        {"variant", required_argument, NULL, 'v'}, {"vary", required_argument, NULL, 'x'},
        {"device", required_argument, NULL, 'd'},  {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},  {"jobs", required_argument, NULL, 'j'},
        {"host", no_argument, NULL, 'H'},          {"help", no_argument, NULL, 'h'},
        {"repeat", required_argument, NULL, 'r'},  {"seeds", required_argument, NULL, 'R'},
        {"list-points", no_argument, NULL, 'L'},   {"shard", required_argument, NULL, 'D'},
        {"out", required_argument, NULL, 'O'},     {"trace", required_argument, NULL, 't'},
        {"trace-point", required_argument, NULL, 'P'},
        {"trace-variant", required_argument, NULL, 'A'},
        {"trace-limit", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    const char *trace_path = NULL, *trace_variant = NULL;
    uint64_t trace_point = 1, trace_limit = TRACE_DEFAULT_LIMIT;
    uint32_t trace_v = 0;
    struct trace *trace = NULL;
    struct scenario *traced = NULL;
    static const char *variant_texts[SCN_MAX_VARIANTS];
    const char *out_dir = NULL;
    uint32_t shard_i = 0, shard_n = 0;
    bool list_points = false;
    const char *usage = sweep ? usage_sweep : usage_compare;
    static struct study st;
    static struct study_variant variants[SCN_MAX_VARIANTS];
    static struct scenario_opts so;
    const char *vary[SCN_MAX_AXES];
    uint32_t n_variants = 0, n_vary = 0;
    uint64_t jobs = host_parallelism();
    int fmt = -1, c, rc;
    char why[300];
    struct scn_errors errs;
    static volatile int stop;
    struct study_output o = {NULL, false};
    static struct outputs out;

    memset(&out, 0, sizeof(out));
    memset(&st, 0, sizeof(st));
    memset(&so, 0, sizeof(so));
    st.sweep = sweep;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
        case 'S':
        case 'V':
            if (scenario_option(c, optarg, &so, usage) != 0)
                return 2;
            break;
        case 'v':
            if (n_variants == SCN_MAX_VARIANTS)
                return bad_usage(usage, "at most %d --variant options", SCN_MAX_VARIANTS);
            if (study_variant_parse(optarg, &variants[n_variants], why, sizeof(why)) != 0)
                return bad_usage(usage, "--variant %s", why);
            variant_texts[n_variants++] = optarg;
            break;
        case 'x':
            if (!sweep)
                return bad_usage(usage, "--vary belongs to dmasim sweep");
            if (n_vary == SCN_MAX_AXES)
                return bad_usage(usage, "a sweep varies at most %d parameters (--vary)",
                                 SCN_MAX_AXES);
            vary[n_vary++] = optarg;
            break;
        case 'd':
            if (optarg[0] == '\0')
                return bad_usage(usage, "--device needs a device's name");
            if (strlen(optarg) >= sizeof(st.device))
                return bad_usage(usage, "--device %s: no device has so long a name", optarg);
            snprintf(st.device, sizeof(st.device), "%s", optarg);
            break;
        case 'f':
            fmt = study_format_parse(optarg);
            if (fmt < 0)
                return bad_usage(usage, "--format %s: accepted: text, json, csv, html", optarg);
            break;
        case 'o':
            if (outputs_add(&out, optarg, usage) != 0)
                return 2;
            break;
        case 'j':
            if (units_count(optarg, &jobs, why, sizeof(why)) != 0 || jobs < 1 || jobs > 256)
                return bad_usage(usage, "-j %s: a number of runs at once, 1 .. 256", optarg);
            break;
        case 'H':
            o.host = true;
            break;
        case 'L':
        case 'D':
        case 'O':
            if (!sweep)
                return bad_usage(usage, "--list-points, --shard and --out belong to dmasim "
                                 "sweep");
            if (c == 'L')
                list_points = true;
            else if (c == 'O' && optarg[0] == '\0')
                return bad_usage(usage, "--out needs a directory");
            else if (c == 'O')
                out_dir = optarg;
            else if (shard_parse(optarg, &shard_i, &shard_n, why, sizeof(why)) != 0)
                return bad_usage(usage, "%s", why);
            break;
        case 't':
            trace_path = optarg;
            break;
        case 'P':
            if (units_count(optarg, &trace_point, why, sizeof(why)) != 0 || trace_point < 1)
                return bad_usage(usage, "--trace-point %s: a point's number, from 1 (dmasim "
                                 "sweep --list-points)", optarg);
            break;
        case 'A':
            trace_variant = optarg;
            break;
        case 'T':
            if (units_count(optarg, &trace_limit, why, sizeof(why)) != 0 || trace_limit == 0)
                return bad_usage(usage, "--trace-limit %s: a number of I/Os, at least 1",
                                 optarg);
            break;
        case 'r':
        case 'R':
            if (st.repeat || st.seed_range)
                return bad_usage(usage, "give --repeat or --seeds once");
            if (study_seeds_parse(&st, optarg, c == 'R', why, sizeof(why)) != 0)
                return bad_usage(usage, "%s", why);
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            return bad_usage(usage, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return bad_usage(usage, "%s", optind >= argc ? "a scenario FILE is needed"
                                                     : "one scenario FILE, please");
    if (st.seed_range && so.have_seed)
        return bad_usage(usage, "--seeds names every seed: leave out --seed");
    if (!sweep && n_variants == 1)
        return bad_usage(usage, "--variant %s: a comparison needs at least two variants "
                         "(give another --variant, or none to use the file's)",
                         variants[0].name);
    if (shard_n > 0 && out_dir == NULL)
        return bad_usage(usage, "--shard needs --out DIR: each point is written there, and "
                         "dmasim merge DIR makes the report");
    if (out_dir != NULL && (out.n > 0 || fmt >= 0))
        return bad_usage(usage, "--out DIR writes the points' results; the report (-o, "
                         "--format) comes from dmasim merge DIR");
    if (outputs_formats(&out, fmt, true, usage) != 0)
        return 2;
    snprintf(st.path, sizeof(st.path), "%s", argv[optind]);
    st.sets = so.sets;
    st.n_sets = so.n_sets;
    st.seed = so.seed;
    st.have_seed = so.have_seed;
    if (study_plan(&st, variants, n_variants, vary, n_vary, &errs) != 0) {
        study_free(&st);
        return scenario_errors(&errs);
    }
    if (list_points) {
        shard_list(stdout, &st);
        study_free(&st);
        return 0;
    }
    if (trace_path != NULL) { /* one run of the study, traced: checked before anything runs */
        char twhy[400];
        bool found = trace_variant == NULL;
        for (uint32_t v = 0; !found && v < st.n_variants; v++)
            if (strcmp(st.variants[v].name, trace_variant) == 0)
                found = true, trace_v = v;
        if (!found || trace_point > st.n_points || out_dir != NULL) {
            study_free(&st);
            if (out_dir != NULL)
                return bad_usage(usage, "--trace belongs to a report's run, not to --out");
            if (!found)
                return bad_usage(usage, "--trace-variant %s: the study has no such variant",
                                 trace_variant);
            return bad_usage(usage, "--trace-point %" PRIu64 ": the study has %u point%s",
                             trace_point, st.n_points, st.n_points == 1 ? "" : "s");
        }
        traced = study_scenario(&st, (uint32_t)trace_point - 1, trace_v, 0, twhy, sizeof(twhy));
        trace = traced != NULL ? trace_open(trace_path, traced, trace_limit, twhy, sizeof(twhy))
                               : NULL;
        if (trace == NULL) {
            fprintf(stderr, "dmasim: %s\n", twhy);
            scenario_free(traced);
            study_free(&st);
            return 1;
        }
    }
    if (out_dir != NULL) {
        struct shard_request req = {variant_texts, n_variants, vary, n_vary};
        uint32_t ran, kept;
        char swhy[4600];
        if (shard_n == 0)
            shard_i = shard_n = 1;
        rc = shard_run(&st, &req, shard_i, shard_n, out_dir, (uint32_t)jobs,
                       stderr_is_terminal(), &stop, &ran, &kept, swhy, sizeof(swhy));
        if (rc != 0)
            fprintf(stderr, "dmasim: %s\n", swhy);
        else
            fprintf(stderr, "dmasim: shard %u/%u: %u point%s run, %u already there, in %s\n",
                    shard_i, shard_n, ran, ran == 1 ? "" : "s", kept, out_dir);
        if (rc == 0 && st.failed > 0) {
            fprintf(stderr, "dmasim: %u run%s could not start (the merged report says why)\n",
                    st.failed, st.failed == 1 ? "" : "s");
            rc = 1;
        }
        study_free(&st);
        return rc == 1 && stop ? 130 : rc;
    }
    if (outputs_begin(&out) != 0) {
        study_free(&st);
        return 1;
    }
    if (study_execute(&st, (uint32_t)jobs,
                      stderr_is_terminal() && outputs_all_read(&out, STUDY_TEXT, STUDY_HTML),
                      &stop) != 0) {
        fprintf(stderr, "dmasim: cannot start a worker thread\n");
        outputs_end(&out, false, NULL, NULL);
        study_free(&st);
        return 1;
    }
    o.st = &st;
    rc = outputs_end(&out, true, study_output, &o);
    for (int i = 0; rc == 0 && i < out.n; i++)
        if (out.fmt[i] == STUDY_HTML && strcmp(out.path[i], "-") != 0)
            fprintf(stderr, "dmasim: wrote %s\n", out.path[i]);
    if (trace != NULL) {
        rc = trace_study_run(trace, traced, &st, (uint32_t)trace_point - 1, trace_v,
                             trace_path, &stop) != 0 ? 1 : rc;
        scenario_free(traced);
    }
    if (rc == 0 && st.failed > 0) {
        fprintf(stderr, "dmasim: %u run%s could not start (see the report)\n", st.failed,
                st.failed == 1 ? "" : "s");
        rc = 1;
    }
    if (rc == 0 && st.interrupted) {
        fprintf(stderr, "dmasim: stopped: %u of %u runs skipped\n", st.skipped, st.n_runs);
        rc = 130;
    }
    study_free(&st);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * merge
 */
static const char usage_merge[] =
    "usage: dmasim merge DIR [--format text|json|csv|html] [-o FILE]...\n"
    "\n"
    "Make a sweep's report from the point files its shards wrote (dmasim sweep FILE --shard\n"
    "I/N --out DIR): the same text, JSON, CSV or HTML report, byte for byte, as the sweep run\n"
    "on one machine. Every file must be a point of the same study (the same plan hash: the\n"
    "scenario's text, --set, --variant, --vary, the seeds and --device) made by this dmasim\n"
    "version, and every point must be there once; the scenario file itself is not read again\n"
    "(the files carry the text their shards ran). docs/clusters.md runs the shards under GNU\n"
    "parallel, Slurm or HTCondor.\n"
    "\n"
    "options:\n"
    "  --format F, -o FILE   as in dmasim sweep\n"
    "  -h, --help            this text\n"
    "\n"
    "exit status: 0 done, 1 the report not written or some run could not start, 2 bad input\n"
    "(files missing, of another study or another version)\n";

static int cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    static struct study st;
    static struct outputs out;
    struct study_output o = {NULL, false};
    char why[4600];
    int fmt = -1, c, rc;

    memset(&out, 0, sizeof(out));
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = study_format_parse(optarg);
            if (fmt < 0)
                return bad_usage(usage_merge, "--format %s: accepted: text, json, csv, html",
                                 optarg);
            break;
        case 'o':
            if (outputs_add(&out, optarg, usage_merge) != 0)
                return 2;
            break;
        case 'h':
            fputs(usage_merge, stdout);
            return 0;
        default:
            return bad_usage(usage_merge, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return bad_usage(usage_merge, "%s", optind >= argc ? "merge needs the DIR of the points"
                                                           : "one DIR, please");
    if (outputs_formats(&out, fmt, true, usage_merge) != 0)
        return 2;
    if (shard_merge(argv[optind], &st, why, sizeof(why)) != 0) {
        fprintf(stderr, "dmasim: %s\n", why);
        shard_merge_free(&st);
        study_free(&st);
        return 2;
    }
    if (outputs_begin(&out) != 0) {
        shard_merge_free(&st);
        study_free(&st);
        return 1;
    }
    o.st = &st;
    rc = outputs_end(&out, true, study_output, &o);
    for (int i = 0; rc == 0 && i < out.n; i++)
        if (out.fmt[i] == STUDY_HTML && strcmp(out.path[i], "-") != 0)
            fprintf(stderr, "dmasim: wrote %s\n", out.path[i]);
    if (rc == 0 && st.failed > 0) {
        fprintf(stderr, "dmasim: %u run%s could not start (see the report)\n", st.failed,
                st.failed == 1 ? "" : "s");
        rc = 1;
    }
    shard_merge_free(&st);
    study_free(&st);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * explain
 */
static const char usage_explain[] =
    "usage: dmasim explain FILE [--transfers N] [--device NAME] [--seed N] [--set S.K=V]...\n"
    "\n"
    "Run the scenario and tell a device's first N transfers (I/Os) step by step, numbered:\n"
    "each DMA_OPERATIONS call with its arguments and result; each buffer page's physical\n"
    "address, whether it lies above the device's reach, the map register and bounce page it\n"
    "got; each bounce copy, its direction and size; the device's accesses by logical address;\n"
    "the interrupt, the DPC, the flush and the frees; and the virtual time of each step.\n"
    "On a non-coherent machine each cache clean and invalidate is told; a wait for map\n"
    "registers says which I/Os hold them; a stray device access is told where it happens,\n"
    "with the finding's words; a run of steps that repeat (a FIFO's bursts) is folded into\n"
    "\"... N more like these\". Addresses are in grouped hex (0x0000_0001_2345_6000). The story\n"
    "is told from the same events the statistics are counted from.\n"
    "\n"
    "options:\n"
    "  --transfers N   how many transfers to tell (default 3, at most 100)\n"
    "  --device NAME   which device (default: the first in the file)\n"
    "  --seed N        the PRNG seed (overrides [machine] seed)\n"
    "  --verifier      Driver Verifier's DMA verification (machine.verifier = dma)\n"
    "  --set S.K=V     override a key (repeatable), e.g. --set workload.db.queue_depth=1\n"
    "  -h, --help      this text\n"
    "\n"
    "With several I/Os in flight their steps interleave in time; each transfer's steps are\n"
    "told together. A queue depth of 1 tells the simplest story. A finding made during a\n"
    "transfer is a step, with the dmasim dma command that shows the adapters at that instant.\n"
    "exit status: 0 done, 1 the run could not start or go on (or its output be written), 2 bad\n"
    "input\n";

struct explain_job {
    const struct scenario *s;
    uint32_t device, n;
    char why[400];
    int rc;
};

static void explain_work(void *ctx, uint32_t i, const volatile int *stop)
{
    struct explain_job *job = ctx;

    (void)i;
    job->rc = explain_run(job->s, job->device, job->n, stdout, stop, job->why,
                          sizeof(job->why));
}

static int cmd_explain(int argc, char **argv)
{
    static const struct option opts[] = {
        {"transfers", required_argument, NULL, 'n'}, {"device", required_argument, NULL, 'd'},
        {"seed", required_argument, NULL, 's'},      {"set", required_argument, NULL, 'S'},
        {"verifier", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    static const struct host_ops ops = {explain_work, NULL, 0};
    static volatile int stop;
    struct scenario_opts so = {.n_sets = 0};
    const char *device = NULL;
    int c;
    uint64_t transfers = 3;
    char why[200];
    struct scn_errors errs;
    struct scenario *s;
    struct explain_job job = {0};

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (units_count(optarg, &transfers, why, sizeof(why)) != 0 || transfers < 1 ||
                transfers > EXPLAIN_MAX_TRANSFERS)
                return bad_usage(usage_explain, "--transfers %s: 1 .. %d", optarg,
                                 EXPLAIN_MAX_TRANSFERS);
            break;
        case 'd':
            device = optarg;
            break;
        case 's':
        case 'S':
        case 'V':
            if (scenario_option(c, optarg, &so, usage_explain) != 0)
                return 2;
            break;
        case 'h':
            fputs(usage_explain, stdout);
            return 0;
        default:
            return bad_usage(usage_explain, "unknown or incomplete option '%s'",
                             argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return bad_usage(usage_explain, "%s", optind >= argc ? "explain needs one scenario FILE"
                                                             : "explain takes one scenario FILE");
    if (scenario_load(argv[optind], so.sets, so.n_sets, so.have_seed ? &so.seed : NULL, &s,
                      &errs) != 0)
        return scenario_errors(&errs);
    job.device = UINT32_MAX;
    for (uint32_t i = 0; i < s->n_devices; i++)
        if (device == NULL ? i == 0 : strcmp(s->devices[i].name, device) == 0)
            job.device = i;
    if (job.device == UINT32_MAX) {
        fprintf(stderr, "dmasim: --device %s: the scenario has no [device %s]\n", device,
                device);
        scenario_free(s);
        return 2;
    }
    job.s = s;
    job.n = (uint32_t)transfers;
    if (host_execute(1, 1, &ops, &job, &stop) != 1 || job.rc != 0) {
        fprintf(stderr, "dmasim: %s\n", job.rc != 0 ? job.why : "cannot start a worker thread");
        scenario_free(s);
        return 1;
    }
    scenario_free(s);
    return fflush(stdout) == 0 ? (stop ? 130 : 0) : 1;
}

/* ---------------------------------------------------------------------------------------------
 * dma
 */
static const char usage_dma[] =
    "usage: dmasim dma FILE [--at TIME | --at-finding N | --at-end] [--flags F] [ADAPTER]\n"
    "                [--seed N] [--set S.K=V]...\n"
    "\n"
    "Run the scenario and show its DMA adapters in the layout of the debugger's !dma: with no\n"
    "ADAPTER, the list of adapters and their owners and the master adapters (the bounce pools);\n"
    "with ADAPTER (its id, in hex; 0 for all), each adapter's map registers mapped, allocated\n"
    "and at most, and the verifier's counters of map registers, lists, common buffers and\n"
    "adapter channels allocated and freed, and the bytes mapped since the last flush.\n"
    "\n"
    "options:\n"
    "  --at TIME        the state at virtual time TIME (e.g. 2ms)\n"
    "  --at-finding N   the state at the N-th finding, inside the routine that made it, where\n"
    "                   the verifier would have stopped the machine\n"
    "  --at-end         the state once nothing is left to run (the default)\n"
    "  --flags F        what to show besides the adapter, in hex, as !dma's flags: 0x2 the map\n"
    "                   register files and what each register maps, 0x4 the common buffers,\n"
    "                   0x8 the scatter/gather lists, 0x10 the device description, 0x20 the\n"
    "                   requests waiting (default 0x1; 0x3f for everything)\n"
    "  --seed N         the PRNG seed (overrides [machine] seed)\n"
    "  --verifier       Driver Verifier's DMA verification (machine.verifier = dma)\n"
    "  --set S.K=V      override a key (repeatable)\n"
    "  -h, --help       this text\n"
    "\n"
    "Where !dma prints kernel addresses dmasim prints numbers that are the same on every run\n"
    "of the scenario and seed (an adapter's id, a map register file's or list's serial), and\n"
    "a register's logical address where !dma prints its system virtual address.\n"
    "exit status: 0 done, 1 the run could not start or go on (or its output be written), 2 bad\n"
    "input\n";

struct dma_job {
    const struct scenario *s;
    struct dma_dump_request req;
    char why[400];
    int rc;
};

static void dma_work(void *ctx, uint32_t i, const volatile int *stop)
{
    struct dma_job *job = ctx;

    (void)i;
    job->rc = dma_dump_run(job->s, &job->req, stdout, stop, job->why, sizeof(job->why));
}

/* A number in hex (0x optional), all of it, within max. */
static bool parse_hex(const char *text, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (text[0] == '-' || text[0] == '\0')
        return false;
    errno = 0;
    v = strtoull(text, &end, 16);
    if (errno != 0 || *end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}

static int cmd_dma(int argc, char **argv)
{
    static const struct option opts[] = {
        {"at", required_argument, NULL, 't'},   {"at-finding", required_argument, NULL, 'f'},
        {"at-end", no_argument, NULL, 'e'},     {"flags", required_argument, NULL, 'F'},
        {"seed", required_argument, NULL, 's'}, {"set", required_argument, NULL, 'S'},
        {"verifier", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    static const struct host_ops ops = {dma_work, NULL, 0};
    static volatile int stop;
    struct scenario_opts so = {.n_sets = 0};
    struct dma_job job = {.req = {.when = DMA_DUMP_AT_END, .adapter = DMS_DMA_DUMP_LIST,
                                  .flags = DMS_DMA_DUMP_ADAPTER}};
    int c, whens = 0;
    uint64_t v;
    char why[200];
    struct scn_errors errs;
    struct scenario *s;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (units_time(optarg, &job.req.at_ns, why, sizeof(why)) != 0 || job.req.at_ns == 0)
                return bad_usage(usage_dma, "--at %s: a virtual time after 0, e.g. 2ms", optarg);
            job.req.when = DMA_DUMP_AT_TIME;
            whens++;
            break;
        case 'f':
            if (units_count(optarg, &job.req.finding, why, sizeof(why)) != 0 ||
                job.req.finding == 0)
                return bad_usage(usage_dma, "--at-finding %s: a finding's number, from 1",
                                 optarg);
            job.req.when = DMA_DUMP_AT_FINDING;
            whens++;
            break;
        case 'e':
            job.req.when = DMA_DUMP_AT_END;
            whens++;
            break;
        case 'F':
            if (!parse_hex(optarg, DMS_DMA_DUMP_ALL, &v) || v == 0)
                return bad_usage(usage_dma, "--flags %s: 0x1 .. 0x3f", optarg);
            job.req.flags = (unsigned)v | DMS_DMA_DUMP_ADAPTER;
            break;
        case 's':
        case 'S':
        case 'V':
            if (scenario_option(c, optarg, &so, usage_dma) != 0)
                return 2;
            break;
        case 'h':
            fputs(usage_dma, stdout);
            return 0;
        default:
            return bad_usage(usage_dma, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (whens > 1)
        return bad_usage(usage_dma, "--at, --at-finding and --at-end: one of them");
    if (optind >= argc || argc - optind > 2)
        return bad_usage(usage_dma, "%s", optind >= argc ? "dma needs one scenario FILE"
                                                         : "dma takes FILE and one ADAPTER");
    if (argc - optind == 2) {
        if (!parse_hex(argv[optind + 1], UINT32_MAX - 1, &v))
            return bad_usage(usage_dma, "ADAPTER %s: an adapter's id in hex (0: every adapter)",
                             argv[optind + 1]);
        job.req.adapter = (uint32_t)v;
    }
    if (scenario_load(argv[optind], so.sets, so.n_sets, so.have_seed ? &so.seed : NULL, &s,
                      &errs) != 0)
        return scenario_errors(&errs);
    job.s = s;
    if (host_execute(1, 1, &ops, &job, &stop) != 1 || job.rc != 0) {
        fprintf(stderr, "dmasim: %s\n", job.rc != 0 ? job.why : "cannot start a worker thread");
        scenario_free(s);
        return 1;
    }
    scenario_free(s);
    return fflush(stdout) == 0 ? (stop ? 130 : 0) : 1;
}

/* ---------------------------------------------------------------------------------------------
 * keys, and the command table.
 */
static int cmd_keys(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fputs("usage: dmasim keys\n\nPrint every scenario key, its type, default and meaning "
              "as Markdown tables\n(the reference in docs/scenarios.md).\n",
              strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ? stdout : stderr);
        return strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ? 0 : 2;
    }
    scenario_write_reference(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return bad_usage(usage_main, "%s", "a command is needed");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("dmasim %s\n", DMASIM_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "compare") == 0)
        return cmd_study(argc - 1, argv + 1, false);
    if (strcmp(argv[1], "sweep") == 0)
        return cmd_study(argc - 1, argv + 1, true);
    if (strcmp(argv[1], "merge") == 0)
        return cmd_merge(argc - 1, argv + 1);
    if (strcmp(argv[1], "explain") == 0)
        return cmd_explain(argc - 1, argv + 1);
    if (strcmp(argv[1], "dma") == 0)
        return cmd_dma(argc - 1, argv + 1);
    if (strcmp(argv[1], "bench") == 0)
        return cmd_bench(argc - 1, argv + 1);
    if (strcmp(argv[1], "keys") == 0)
        return cmd_keys(argc - 1, argv + 1);
    return bad_usage(usage_main, "unknown command '%s'", argv[1]);
}
