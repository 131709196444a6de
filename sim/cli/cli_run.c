/*
 * cli_run.c - dmasim run.
 *
 * libuv hosts a run: the simulation itself runs on libuv's thread pool (uv_queue_work) while
 * the loop thread waits for SIGINT/SIGTERM. The first signal asks the run to stop issuing I/O;
 * in-flight I/O drains (in virtual time, so at once) and the partial report is printed, marked
 * as interrupted. A second signal gives up at once.
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
#include "report.h"
#include "run.h"
#include "trace.h"
#include "units.h"

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


struct run_output {
    const struct run_result *r;
    bool host;
};

static void run_output(FILE *out, int fmt, const void *ctx)
{
    const struct run_output *o = ctx;

    report_write(out, o->r, (enum report_format)fmt, o->host);
}



int cmd_run(int argc, char **argv)
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

