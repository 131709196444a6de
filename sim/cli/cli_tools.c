/*
 * cli_tools.c - dmasim explain, dma and keys.
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
#include "dmadump.h"
#include "explain.h"
#include "host.h"
#include "units.h"

/* ---------------------------------------------------------------------------------------------
 * explain
 */
static const char usage_explain[] =
    "usage: dmasim explain FILE [--transfers N] [--device NAME] [--seed N] [--set S.K=V]...\n"
    "\n"
    "Run the scenario and tell a device's first N transfers (I/Os) step by step, numbered:\n"
    "each DMA_OPERATIONS call with its arguments and result (for a KMDF driver, inside the\n"
    "framework's WdfDmaTransaction calls, with each stage the framework programs through\n"
    "the driver's EvtProgramDma: its number, length and place in the transaction; for an\n"
    "AVStream minidriver, inside the Ks routine whose lock maps a frame); each buffer\n"
    "page's physical address, whether it lies above the device's reach, the map register\n"
    "and bounce page it got (a buffer's first 32 pages and a fragment's first 8 one by\n"
    "one, the rest summed up); each bounce copy, its direction and size; the\n"
    "device's accesses by logical address; the interrupt, the DPC, the flush and the frees;\n"
    "and the virtual time of each step.\n"
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

int cmd_explain(int argc, char **argv)
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

int cmd_dma(int argc, char **argv)
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
 * keys
 */
int cmd_keys(int argc, char **argv)
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

