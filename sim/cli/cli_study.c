/*
 * cli_study.c - dmasim compare, sweep (with its shards) and merge.
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

#include "cli.h"
#include "host.h"
#include "run.h"
#include "shard.h"
#include "study.h"
#include "study_report.h"
#include "trace.h"
#include "units.h"

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

/* Write a study's report to every output; an HTML file written is named. 0, or 1. */
static int study_outputs_end(struct outputs *out, const struct study_output *o)
{
    int rc = outputs_end(out, true, study_output, o);

    for (int i = 0; rc == 0 && i < out->n; i++)
        if (out->fmt[i] == STUDY_HTML && strcmp(out->path[i], "-") != 0)
            fprintf(stderr, "dmasim: wrote %s\n", out->path[i]);
    return rc;
}

/* 1, said, when some run of the study could not start (the report says why); else 0. */
static int study_failed(const struct study *st)
{
    if (st->failed == 0)
        return 0;
    fprintf(stderr, "dmasim: %u run%s could not start (see the report)\n", st->failed,
            st->failed == 1 ? "" : "s");
    return 1;
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

int cmd_study(int argc, char **argv, bool sweep)
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
        if (trace != NULL)
            trace_discard(trace);
        scenario_free(traced);
        study_free(&st);
        return 1;
    }
    if (study_execute(&st, (uint32_t)jobs,
                      stderr_is_terminal() && outputs_all_read(&out, STUDY_TEXT, STUDY_HTML),
                      &stop) != 0) {
        fprintf(stderr, "dmasim: cannot start a worker thread\n");
        outputs_end(&out, false, NULL, NULL);
        if (trace != NULL)
            trace_discard(trace);
        scenario_free(traced);
        study_free(&st);
        return 1;
    }
    o.st = &st;
    rc = study_outputs_end(&out, &o);
    if (trace != NULL) {
        rc = trace_study_run(trace, traced, &st, (uint32_t)trace_point - 1, trace_v,
                             trace_path, &stop) != 0 ? 1 : rc;
        scenario_free(traced);
    }
    if (rc == 0)
        rc = study_failed(&st);
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

int cmd_merge(int argc, char **argv)
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
    rc = study_outputs_end(&out, &o);
    if (rc == 0)
        rc = study_failed(&st);
    shard_merge_free(&st);
    study_free(&st);
    return rc;
}

