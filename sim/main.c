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
#include <unistd.h>

#include <uv.h>

#include "bench.h"
#include "report.h"
#include "run.h"
#include "scenario.h"
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
    "  bench           print the simulator's own performance figures (dmasim bench --help)\n"
    "  keys            print every scenario key with its default (Markdown)\n"
    "\n"
    "options:\n"
    "  -h, --help      this text\n"
    "  -V, --version   the version\n"
    "\n"
    "exit status: 0 done, 1 the run could not start, 2 bad input, 130 stopped by Ctrl-C\n";

static const char usage_run[] =
    "usage: dmasim run FILE [--seed N] [--set SECTION.KEY=VALUE]... [--format text|json|csv]\n"
    "                  [-o FILE] [--host]\n"
    "\n"
    "Run the scenario in FILE (INI: [machine], [cost], [device NAME], [workload NAME]; see\n"
    "docs/scenarios.md) and print its report: per device and in total, the transfers, bytes,\n"
    "virtual throughput and IOPS, latency p50/p99/max, CPU time per I/O and where it went,\n"
    "pages and bytes bounced, map registers granted/peak/waits, S/G elements, common buffers,\n"
    "and the end-to-end integrity check.\n"
    "\n"
    "options:\n"
    "  --seed N            the PRNG seed (overrides [machine] seed)\n"
    "  --set S.K=V         override a key: machine.memory=64G, cost.copy_bandwidth=5GB/s,\n"
    "                      device.disk0.address_bits=32, workload.db.queue_depth=32\n"
    "                      (may be repeated)\n"
    "  --format F          text (default), json (schema: docs/report-schema.md) or csv\n"
    "  -o, --output FILE   write the report to FILE instead of standard output\n"
    "  --host              add host-measured figures (wall time, events); these differ from\n"
    "                      run to run, everything else is identical for the same seed\n"
    "  -h, --help          this text\n"
    "\n"
    "Ctrl-C stops issuing I/O, lets in-flight I/O finish and prints the partial report.\n"
    "exit status: 0 done, 1 the run could not start, 2 bad input, 130 stopped by Ctrl-C\n";

/* ---------------------------------------------------------------------------------------------
 * run
 */
struct run_job {
    uv_work_t req;
    uv_signal_t sigint, sigterm;
    const struct scenario *s;
    struct run_result result;
    char why[400];
    int rc;
    volatile int stop;
};

static void run_work(uv_work_t *req)
{
    struct run_job *job = req->data;

    job->rc = run_scenario(job->s, &job->stop, &job->result, job->why, sizeof(job->why));
}

static void run_after(uv_work_t *req, int status)
{
    struct run_job *job = req->data;

    (void)status;
    uv_close((uv_handle_t *)&job->sigint, NULL);
    uv_close((uv_handle_t *)&job->sigterm, NULL);
}

static void on_signal(uv_signal_t *handle, int signum)
{
    struct run_job *job = handle->data;

    (void)signum;
    if (job->stop) {
        fprintf(stderr, "dmasim: stopped again: giving up\n");
        _exit(130);
    }
    job->stop = 1;
    fprintf(stderr, "dmasim: stopping: no new I/O; finishing what is in flight\n");
}

/* Run on libuv's thread pool, with the signals watched on this thread. */
static int host_run(struct run_job *job)
{
    uv_loop_t *loop = uv_default_loop();

    job->req.data = job;
    job->sigint.data = job;
    job->sigterm.data = job;
    uv_signal_init(loop, &job->sigint);
    uv_signal_init(loop, &job->sigterm);
    uv_signal_start(&job->sigint, on_signal, SIGINT);
    uv_signal_start(&job->sigterm, on_signal, SIGTERM);
    if (uv_queue_work(loop, &job->req, run_work, run_after) != 0) {
        snprintf(job->why, sizeof(job->why), "cannot start a worker thread");
        return -1;
    }
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
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

/* Write the report to path through a temporary file, so a failed write leaves nothing. */
static int write_report(const char *path, const struct run_result *r, enum report_format fmt,
                        bool host)
{
    char tmp[4096];
    FILE *f;

    if (path == NULL) {
        report_write(stdout, r, fmt, host);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (f == NULL) {
        fprintf(stderr, "dmasim: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    report_write(f, r, fmt, host);
    if (ferror(f) | (fclose(f) != 0) || rename(tmp, path) != 0) {
        fprintf(stderr, "dmasim: cannot write %s: %s\n", path, strerror(errno));
        remove(tmp);
        return 1;
    }
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'}, {"set", required_argument, NULL, 'S'},
        {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
        {"host", no_argument, NULL, 'H'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sets[MAX_SETS];
    const char *output = NULL;
    int n_sets = 0, fmt = REPORT_TEXT, c, rc;
    uint64_t seed = 0;
    bool have_seed = false, host = false;
    char why[200];
    struct scn_errors errs;
    struct scenario *s;
    static struct run_job job;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (units_count(optarg, &seed, why, sizeof(why)) != 0)
                return bad_usage(usage_run, "--seed: %s", why);
            have_seed = true;
            break;
        case 'S':
            if (n_sets == MAX_SETS)
                return bad_usage(usage_run, "at most %s --set options", "64");
            sets[n_sets++] = optarg;
            break;
        case 'f':
            fmt = report_format_parse(optarg);
            if (fmt < 0)
                return bad_usage(usage_run, "--format %s: accepted: text, json, csv", optarg);
            break;
        case 'o':
            output = optarg;
            break;
        case 'H':
            host = true;
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
    if (scenario_load(argv[optind], sets, n_sets, have_seed ? &seed : NULL, &s, &errs) != 0) {
        for (int i = 0; i < errs.count; i++)
            fprintf(stderr, "%s\n", errs.text[i]);
        if (errs.more)
            fprintf(stderr, "(%d more errors)\n", errs.more);
        return 2;
    }
    job.s = s;
    if (host_run(&job) != 0 || job.rc != 0) {
        fprintf(stderr, "dmasim: %s\n", job.why);
        scenario_free(s);
        return 1;
    }
    rc = write_report(output, &job.result, (enum report_format)fmt, host);
    if (rc == 0 && job.result.interrupted)
        rc = 130;
    run_result_free(&job.result);
    scenario_free(s);
    return rc;
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
    if (strcmp(argv[1], "bench") == 0)
        return cmd_bench(argc - 1, argv + 1);
    if (strcmp(argv[1], "keys") == 0)
        return cmd_keys(argc - 1, argv + 1);
    return bad_usage(usage_main, "unknown command '%s'", argv[1]);
}
