/*
 * test_cli.c - the dmasim command as a user meets it: help for every command, exit status 2
 * with "file:line: message" for bad input, reports written whole, and Ctrl-C stopping a run
 * cleanly with the partial report printed.
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"

static struct outcome o;

START_TEST(test_help)
{
    static const char *const cases[][4] = {
        {"dmasim", "--help", NULL}, {"dmasim", "run", "--help", NULL},
        {"dmasim", "bench", "--help", NULL}, {"dmasim", "keys", "--help", NULL},
        {"dmasim", "compare", "--help", NULL}, {"dmasim", "sweep", "--help", NULL},
        {"dmasim", "dma", "--help", NULL}, {"dmasim", "merge", "--help", NULL},
    };
    static const char *const says[] = {"commands:", "--set S.K=V", "transfers per host second",
                                       "scenario key", "--variant SPEC", "LOW..HIGH*FACTOR",
                                       "--at-finding N", "byte for byte"};

    run_cli(cases[_i], 0, &o);
    ck_assert_int_eq(o.status, 0);
    ck_assert_msg(strstr(o.out, says[_i]) != NULL, "%s", o.out);
}
END_TEST

START_TEST(test_usage_errors)
{
    static const char *const cases[][5] = {
        {"dmasim", NULL},
        {"dmasim", "fly", NULL},
        {"dmasim", "run", NULL},
        {"dmasim", "run", "a.ini", "b.ini", NULL},
        {"dmasim", "run", "a.ini", "--format", "xml"},
        {"dmasim", "run", "a.ini", "--seed", "soon"},
        {"dmasim", "run", "a.ini", "--bogus", NULL},
        {"dmasim", "bench", "--slow", NULL},
        {"dmasim", "bench", "--study", "/nonexistent.ini", NULL},
        {"dmasim", "compare", "a.ini", "--device", ""},
        {"dmasim", "compare", "a.ini", "--variant", "one:machine.memory=8G"},
    };
    const char *argv[6] = {NULL};

    memcpy(argv, cases[_i], sizeof(cases[_i]));
    run_cli(argv, 0, &o);
    ck_assert_int_eq(o.status, 2);
    ck_assert_msg(strstr(o.err, "dmasim") != NULL, "%s", o.err);
}
END_TEST

START_TEST(test_bad_scenario_exit_2)
{
    const char *path = write_file("bad.ini", "[device d]\nadapter = storage\naddress_bits = 99\n"
                                             "[workload w]\ndevice = d\n");
    const char *argv[] = {"dmasim", "run", path, NULL};
    char want[200];

    run_cli(argv, 0, &o);
    ck_assert_int_eq(o.status, 2);
    snprintf(want, sizeof(want), "%s:3: address_bits: '99' is out of range", path);
    ck_assert_msg(strstr(o.err, want) != NULL, "%s", o.err);
    ck_assert_str_eq(o.out, ""); /* nothing ran */
    unlink(path);
}
END_TEST

START_TEST(test_report_to_file)
{
    const char *path = write_file("ok.ini", "[device d]\nadapter = storage\naddress_bits = 32\n"
                                            "[workload w]\ndevice = d\ncount = 50\n");
    char scen[128], report[160];
    FILE *f;
    char head[64] = "";

    snprintf(scen, sizeof(scen), "%s", path);
    snprintf(report, sizeof(report), "%s.json", scen);
    {
        const char *argv[] = {"dmasim", "run", scen, "--format", "json", "-o", report, NULL};
        run_cli(argv, 0, &o);
    }
    ck_assert_int_eq(o.status, 0);
    f = fopen(report, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(head, sizeof(head), f));
    fclose(f);
    ck_assert_str_eq(head, "{\n");
    {
        char trace[180];
        snprintf(trace, sizeof(trace), "%s.trace.json", scen);
        const char *argv[] = {"dmasim", "run", scen, "-o", "/nonexistent-dir/r.txt", "--trace",
                              trace, NULL};
        run_cli(argv, 0, &o);
        ck_assert_int_eq(o.status, 1);
        ck_assert_ptr_nonnull(strstr(o.err, "cannot write /nonexistent-dir/r.txt"));
        /* refused before the run: nothing ran, so nothing was traced */
        ck_assert_ptr_null(strstr(o.err, "traced"));
        ck_assert_int_ne(access(trace, F_OK), 0);
    }
    {   /* the extension picks the format when --format does not */
        const char *argv[] = {"dmasim", "run", scen, "-o", report, NULL};
        run_cli(argv, 0, &o);
    }
    ck_assert_int_eq(o.status, 0);
    f = fopen(report, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fgetc(f), '{');
    fclose(f);
    unlink(report);
    unlink(scen);
}
END_TEST

/* Outputs never destroy what the user did not ask to replace: a file named PATH.tmp stays, a
 * symbolic link stays a link (the file it names is replaced), a device is written through and
 * stays a device (/dev/full: the write error is reported, exit 1), "-" is standard output,
 * and a replaced file keeps its permissions. */
START_TEST(test_outputs_never_clobber)
{
    const char *path = write_file("clobber.ini", "[machine]\ndata = metadata\n"
                                                 "[device d]\nadapter = storage\n"
                                                 "[workload w]\ndevice = d\ncount = 20\n");
    char scen[128], report[160], tmp[170], link[170];
    struct stat st;
    FILE *f;

    snprintf(scen, sizeof(scen), "%s", path);
    snprintf(report, sizeof(report), "%s.txt", scen);
    snprintf(tmp, sizeof(tmp), "%s.tmp", report);
    snprintf(link, sizeof(link), "%s.link", report);
    f = fopen(tmp, "w");
    ck_assert_ptr_nonnull(f);
    fputs("mine\n", f);
    fclose(f);
    f = fopen(report, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(chmod(report, 0640), 0);
    {
        const char *argv[] = {"dmasim", "run", scen, "-o", report, NULL};
        run_cli(argv, 0, &o);
    }
    ck_assert_int_eq(o.status, 0);
    ck_assert_int_eq(stat(report, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0640);
    ck_assert_int_gt(st.st_size, 100);
    ck_assert_int_eq(stat(tmp, &st), 0);
    ck_assert_int_eq(st.st_size, 5); /* untouched */
    ck_assert_int_eq(symlink(report, link), 0);
    {
        const char *argv[] = {"dmasim", "run", scen, "-o", link, "--format", "json", NULL};
        run_cli(argv, 0, &o);
    }
    ck_assert_int_eq(o.status, 0);
    ck_assert_int_eq(lstat(link, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    f = fopen(report, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fgetc(f), '{'); /* the file behind the link got the JSON */
    fclose(f);
    {
        const char *argv[] = {"dmasim", "run", scen, "-o", "/dev/full", NULL};
        run_cli(argv, 0, &o);
    }
    ck_assert_int_eq(o.status, 1);
    ck_assert_ptr_nonnull(strstr(o.err, "cannot write /dev/full"));
    ck_assert_int_eq(stat("/dev/full", &st), 0);
    ck_assert(S_ISCHR(st.st_mode));
    {
        const char *argv[] = {"dmasim", "run", scen, "--trace", "/dev/full", NULL};
        run_cli(argv, 0, &o);
    }
    ck_assert_int_eq(o.status, 1);
    ck_assert_int_eq(stat("/dev/full", &st), 0);
    ck_assert(S_ISCHR(st.st_mode));
    {
        const char *argv[] = {"dmasim", "run", scen, "-o", "/dev/null", NULL};
        run_cli(argv, 0, &o);
    }
    ck_assert_int_eq(o.status, 0);
    ck_assert_int_eq(stat("/dev/null", &st), 0);
    ck_assert(S_ISCHR(st.st_mode));
    {
        const char *argv[] = {"dmasim", "run", scen, "-o", "-", NULL};
        run_cli(argv, 0, &o);
    }
    ck_assert_int_eq(o.status, 0);
    ck_assert_ptr_nonnull(strstr(o.out, "device d: storage"));
    unlink(link);
    unlink(tmp);
    unlink(report);
    unlink(scen);
}
END_TEST

/* A run that cannot be simulated is refused or stopped with a reason, never a crash or a
 * hang: a cost past its bound (it used to carry the clock past 2^64 ns: SIGSEGV), and a
 * workload with a duration whose I/Os take no virtual time (it used to run for ever). */
START_TEST(test_runs_that_cannot_end)
{
    char db[512];
    const char *zero = write_file("zero.ini",
        "[machine]\ndata = metadata\n[cost]\ndescriptor = 0\nmapreg_alloc = 0\n"
        "mapreg_free = 0\nsg_element = 0\nmap_call = 0\nregister_read = 0\n"
        "register_write = 0\nisr = 0\ndpc_latency = 0\ndpc = 0\nsubmit = 0\n"
        "link_bandwidth = 1000TB/s\ncopy_bandwidth = 1000TB/s\n"
        "[device d]\nadapter = storage\nlatency = 0\n"
        "[workload w]\ndevice = d\nsize = 512\ncpu_work = 0\nduration = 1ms\n");
    char zpath[160];

    snprintf(zpath, sizeof(zpath), "%s", zero);
    snprintf(db, sizeof(db), "%s/scenarios/db-64-vs-32.ini", DMASIM_SOURCE_DIR);
    {
        const char *a[] = {"dmasim", "run", db, "--set", "cost.isr=10000000s", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_int_eq(o.status, 2);
    ck_assert_msg(strstr(o.err, "out of range (accepted: 0s .. 10s)") != NULL, "%s", o.err);
    {
        const char *a[] = {"dmasim", "run", db, "--seed", "1.5", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_int_eq(o.status, 2);
    ck_assert_ptr_nonnull(strstr(o.err, "'1.5' is not a whole number"));
    {
        const char *a[] = {"dmasim", "run", zpath, NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_int_eq(o.status, 1);
    ck_assert_msg(strstr(o.err, "without virtual time moving") != NULL, "%s", o.err);
    unlink(zpath);
}
END_TEST

/* A scenario from standard input ("-"), for a run and for a sweep (which loads it more than
 * once): the same report as from the file. */
static void through_pipe(const char *file, const char *args, char *out, size_t cap)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), "cat '%s' | %s %s", file, DMASIM_BIN, args);
    run_shell(cmd, out, cap);
}

START_TEST(test_scenario_from_stdin)
{
    static char piped[1 << 17];
    char file[512];

    snprintf(file, sizeof(file), "%s/scenarios/remap-vs-copy.ini", DMASIM_SOURCE_DIR);
    through_pipe(file, "sweep - --format json", piped, sizeof(piped));
    {
        const char *a[] = {"dmasim", "sweep", file, "--format", "json", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_int_eq(o.status, 0);
    /* the reports differ only in the name of the file */
    ck_assert_ptr_nonnull(strstr(piped, "\"crossovers\""));
    ck_assert_ptr_nonnull(strstr(o.out, "\"crossovers\""));
    ck_assert_str_eq(strstr(piped, "\"points\""), strstr(o.out, "\"points\""));
    through_pipe(file, "run - --set machine.data=metadata", piped, sizeof(piped));
    ck_assert_ptr_nonnull(strstr(piped, "dmasim run -\n"));
}
END_TEST

static char first_char(const char *path)
{
    FILE *f = fopen(path, "r");
    int c;

    ck_assert_msg(f != NULL, "%s", path);
    c = fgetc(f);
    fclose(f);
    return (char)c;
}

/* Several -o from one run: each in the format its extension names, the text on standard
 * output, each the same as when written alone; a path twice, standard output twice, a fifth
 * output and a run's .html are refused before anything runs (exit 2); and when one output
 * cannot be written, none of the others is replaced (exit 1). */
START_TEST(test_several_outputs)
{
    const char *path = write_file("multi.ini", "[machine]\ndata = metadata\n"
                                               "[device d]\nadapter = storage\n"
                                               "[workload w]\ndevice = d\ncount = 20\n"
                                               "[variant wide]\n"
                                               "[variant narrow]\ndevice.d.address_bits = 32\n");
    char scen[128], json[160], html[160], csv[160];
    static char alone[sizeof(o.out)];

    snprintf(scen, sizeof(scen), "%s", path);
    snprintf(json, sizeof(json), "%s.json", scen);
    snprintf(html, sizeof(html), "%s.html", scen);
    snprintf(csv, sizeof(csv), "%s.csv", scen);
    {
        const char *a[] = {"dmasim", "compare", scen, "--format", "json", NULL};
        run_cli(a, 0, &o);
        ck_assert_int_eq(o.status, 0);
        snprintf(alone, sizeof(alone), "%s", o.out);
    }
    {
        const char *a[] = {"dmasim", "compare", scen, "-o", json, "-o", "-", "-o", html,
                           "-o", csv, NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(o.status == 0, "%s", o.err);
    ck_assert_ptr_nonnull(strstr(o.out, "dmasim compare: "));
    ck_assert_ptr_nonnull(strstr(o.err, "wrote "));
    ck_assert_int_eq(first_char(json), '{');
    ck_assert_int_eq(first_char(html), '<');
    ck_assert_int_eq(first_char(csv), 'v'); /* the header row: variant,... */
    {
        FILE *f = fopen(json, "r");
        static char got[sizeof(o.out)];
        size_t n = fread(got, 1, sizeof(got) - 1, f);
        fclose(f);
        got[n] = '\0';
        ck_assert_str_eq(got, alone);
    }
    {
        static const char *const refused[][8] = {
            {"dmasim", "compare", "S", "-o", "J", "-o", "J", NULL},
            {"dmasim", "compare", "S", "-o", "-", "-o", "-", NULL},
            {"dmasim", "run", "S", "-o", "H", NULL},
        };
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
            const char *a[8];
            for (int k = 0; k < 8; k++)
                a[k] = refused[i][k] == NULL              ? NULL
                       : strcmp(refused[i][k], "S") == 0 ? scen
                       : strcmp(refused[i][k], "J") == 0 ? json
                       : strcmp(refused[i][k], "H") == 0 ? html
                                                         : refused[i][k];
            run_cli(a, 0, &o);
            ck_assert_msg(o.status == 2, "case %zu: %s", i, o.err);
            ck_assert_str_eq(o.out, "");
        }
        const char *five[] = {"dmasim", "run", scen, "-o", "a", "-o", "b", "-o", "c",
                              "-o", "d", "-o", "e", NULL};
        run_cli(five, 0, &o);
        ck_assert_int_eq(o.status, 2);
        ck_assert_ptr_nonnull(strstr(o.err, "at most 4 outputs"));
    }
    {   /* /dev/full fails its write: the JSON beside it stays what it was */
        FILE *f = fopen(json, "w");
        fputs("mine\n", f);
        fclose(f);
        const char *a[] = {"dmasim", "compare", scen, "-o", json, "-o", "/dev/full", NULL};
        run_cli(a, 0, &o);
        ck_assert_int_eq(o.status, 1);
        ck_assert_ptr_nonnull(strstr(o.err, "cannot write /dev/full"));
        ck_assert_int_eq(first_char(json), 'm');
    }
    unlink(json);
    unlink(html);
    unlink(csv);
    unlink(scen);
}
END_TEST

START_TEST(test_ctrl_c)
{
    const char *path = write_file("long.ini", "[machine]\ndata = metadata\n"
                                              "[device d]\nadapter = storage\nlatency = 0\n"
                                              "[workload w]\ndevice = d\ncount = 1G\n");
    const char *argv[] = {"dmasim", "run", path, NULL};

    run_cli(argv, 400, &o);
    ck_assert_int_eq(o.status, 130);
    ck_assert_msg(strstr(o.out, "INTERRUPTED") != NULL, "%s", o.out);
    ck_assert_ptr_nonnull(strstr(o.out, "transfers"));
    ck_assert_ptr_nonnull(strstr(o.err, "stopping"));
    ck_assert_ptr_null(strstr(o.out, "LOST"));
    unlink(path);
}
END_TEST

/* dmasim dma: the list, an adapter in full at a finding and at a time, the same on every
 * run, and bad input refused with exit 2. */
START_TEST(test_dma_dump)
{
    char path[512];
    static char first[sizeof(o.out)];

    snprintf(path, sizeof(path), "%s/scenarios/mapreg-starved.ini", DMASIM_SOURCE_DIR);
    {
        const char *a[] = {"dmasim", "dma", path, NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(o.status == 0, "%s", o.err);
    ck_assert_ptr_nonnull(strstr(o.out, "the DMA adapters at the end of the run"));
    ck_assert_ptr_nonnull(strstr(o.out, "Dumping all DMA adapters...\n\nAdapter: 00000001     "
                                        "Owner: "));
    ck_assert_ptr_nonnull(strstr(o.out, "Master adapter: "));
    {
        const char *a[] = {"dmasim", "dma", path, "0", "--flags", "0x3f", "--at", "2ms", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(o.status == 0, "%s", o.err);
    ck_assert_ptr_nonnull(strstr(o.out, "the DMA adapters at t=2.00 ms"));
    ck_assert_ptr_nonnull(strstr(o.out, "   Dma verifier additional information:\n"));
    ck_assert_ptr_nonnull(strstr(o.out, "  Map register file "));
    ck_assert_ptr_nonnull(strstr(o.out, " bytes mapped to "));
    ck_assert_ptr_nonnull(strstr(o.out, "   Device description:\n"));
    ck_assert_msg(strstr(o.out, "   Wait context block 00000001: ") != NULL, "%s", o.out);
    snprintf(first, sizeof(first), "%s", o.out);
    {
        const char *a[] = {"dmasim", "dma", path, "0", "--flags", "0x3f", "--at", "2ms", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_str_eq(o.out, first);
    {   /* the README's sample is this run's output */
        const char *a[] = {"dmasim", "dma", path, "1", "--at", "2ms", NULL};
        char readme[512];
        const char *from, *to;
        FILE *f;
        static char doc[1 << 16];
        size_t n;

        run_cli(a, 0, &o);
        from = strstr(o.out, "Adapter: 00000001");
        to = from != NULL ? strstr(from, "Bytes mapped since last flush") : NULL;
        ck_assert_ptr_nonnull(to);
        to = strchr(to, '\n');
        ck_assert_ptr_nonnull(to);
        snprintf(readme, sizeof(readme), "%s/README.md", DMASIM_SOURCE_DIR);
        f = fopen(readme, "r");
        ck_assert_ptr_nonnull(f);
        n = fread(doc, 1, sizeof(doc) - 1, f);
        fclose(f);
        doc[n] = '\0';
        snprintf(first, sizeof(first), "%.*s", (int)(to + 1 - from), from);
        ck_assert_msg(strstr(doc, first) != NULL, "README.md's dmasim dma sample is not:\n%s",
                      first);
    }
    snprintf(path, sizeof(path), "%s/scenarios/stray-declared-64.ini", DMASIM_SOURCE_DIR);
    {
        const char *a[] = {"dmasim", "dma", path, "1", "--at-finding", "3", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(o.status == 0, "%s", o.err);
    ck_assert_ptr_nonnull(strstr(o.out, "the DMA adapters at finding 3 (t="));
    ck_assert_ptr_nonnull(strstr(o.out, "   Map registers: "));
    {
        const char *a[] = {"dmasim", "dma", path, "1", "--at-finding", "100000", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_ptr_nonnull(strstr(o.out, "at the end of the run (t="));
    ck_assert_ptr_nonnull(strstr(o.out, " finding(s)"));
    {
        const char *a[] = {"dmasim", "dma", path, "7", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_int_eq(o.status, 0);
    ck_assert_ptr_nonnull(strstr(o.out, "(no live adapter 7 then)"));
    {
        static const char *const bad[][6] = {
            {"--flags", "0x40", NULL}, {"--flags", "zz", NULL}, {"--at", "0", NULL},
            {"--at", "1ms", "--at-end", NULL}, {"x1", NULL}, {"1", "2", NULL},
        };
        for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            const char *a[10] = {"dmasim", "dma", path};
            for (unsigned k = 0; bad[i][k] != NULL; k++)
                a[3 + k] = bad[i][k];
            run_cli(a, 0, &o);
            ck_assert_msg(o.status == 2, "case %u: status %d", i, o.status);
            ck_assert_msg(strstr(o.err, "dmasim") != NULL, "case %u: %s", i, o.err);
        }
    }
}
END_TEST

/* --verifier on every scenario command: the run double-buffers every transfer and says so,
 * and a well-behaved driver makes no finding under it. */
START_TEST(test_verifier_option)
{
    char path[512];
    static const char *const cmds[] = {"run", "explain", "dma"};

    snprintf(path, sizeof(path), "%s/scenarios/db-64-vs-32.ini", DMASIM_SOURCE_DIR);
    {
        const char *a[] = {"dmasim", "run", path, "--verifier", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(o.status == 0, "%s", o.err);
    ck_assert_ptr_nonnull(strstr(o.out, "40000 by the verifier"));
    ck_assert_ptr_null(strstr(o.out, "\nfindings ("));
    {
        const char *a[] = {"dmasim", "run", path, "--format", "json", "--verifier", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_ptr_nonnull(strstr(o.out, "\"verifier\": \"dma\""));
    ck_assert_ptr_nonnull(strstr(o.out, "\"pages_bounced_verifier\": 40000"));
    for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        const char *a[] = {"dmasim", cmds[i], path, "--verifier", NULL};
        run_cli(a, 0, &o);
        ck_assert_msg(o.status == 0, "%s --verifier: %d %s", cmds[i], o.status, o.err);
    }
}
END_TEST

/* [faults]: the shipped packet driver refused map registers fails those I/Os and goes on;
 * the report counts what was injected; the same faults come back on every run; a start that
 * fails under them says faults were on. */
START_TEST(test_faults_option)
{
    char path[512];
    static char first[sizeof(o.out)];
    const char *line;
    unsigned long ios, reads, writes, failed, injected;

    snprintf(path, sizeof(path), "%s/scenarios/legacy-isa-24bit.ini", DMASIM_SOURCE_DIR);
    {
        const char *a[] = {"dmasim", "run", path, "--set", "faults.map_registers=5%", "--set",
                           "machine.data=metadata", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(o.status == 0, "%s", o.err);
    line = strstr(o.out, "  transfers       ");
    ck_assert_ptr_nonnull(line);
    ck_assert_int_eq(sscanf(line, "  transfers       %lu I/Os (%lu reads, %lu writes, %lu failed)",
                            &ios, &reads, &writes, &failed), 4);
    line = strstr(o.out, "faults injected ");
    ck_assert_ptr_nonnull(line);
    ck_assert_int_eq(sscanf(line, "faults injected 0 pool allocations, 0 MDLs, 0 common buffers, "
                                  "0 contiguous allocations, %lu map-register requests, 0 "
                                  "interrupts lost, 0 device errors",
                            &injected), 1);
    ck_assert_uint_gt(injected, 0);
    ck_assert_uint_eq(failed, injected); /* each refused request fails its I/O, nothing hangs */
    ck_assert_ptr_null(strstr(o.out, "LOST"));
    snprintf(first, sizeof(first), "%s", o.out);
    {
        const char *a[] = {"dmasim", "run", path, "--set", "faults.map_registers=5%", "--set",
                           "machine.data=metadata", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_str_eq(o.out, first);
    {   /* a lost interrupt: the packet driver has no timeout, so its queue hangs, and the run
         * ends saying so */
        const char *a[] = {"dmasim", "run", path, "--set", "faults.interrupts=1%", "--set",
                           "machine.data=metadata", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(o.status == 0, "%s", o.err);
    ck_assert_ptr_nonnull(strstr(o.out, "  LOST            "));
    ck_assert_ptr_nonnull(
        strstr(o.out, " map-register requests, 1 interrupts lost, 0 device errors"));
    {   /* the storage controller reports errors: its driver fails exactly those I/Os */
        char db[512];
        unsigned long total_failed;
        snprintf(db, sizeof(db), "%s/scenarios/db-64-vs-32.ini", DMASIM_SOURCE_DIR);
        const char *a[] = {"dmasim", "run", db, "--set", "faults.device_errors=2%", "--set",
                           "machine.data=metadata", NULL};
        run_cli(a, 0, &o);
        ck_assert_msg(o.status == 0, "%s", o.err);
        line = strstr(o.out, "\ntotal\n");
        ck_assert_ptr_nonnull(line);
        ck_assert_int_eq(sscanf(strstr(line, "  transfers       "),
                                "  transfers       %lu I/Os (%lu reads, %lu writes, %lu failed)",
                                &ios, &reads, &writes, &total_failed), 4);
        line = strstr(o.out, " interrupts lost, ");
        ck_assert_ptr_nonnull(line);
        ck_assert_int_eq(sscanf(line, " interrupts lost, %lu device errors", &injected), 1);
        ck_assert_uint_gt(injected, 0);
        ck_assert_uint_eq(total_failed, injected);
        ck_assert_ptr_nonnull(strstr(o.out, "first failure   status 0xc0000185"));
    }
    snprintf(path, sizeof(path), "%s/scenarios/nic-small-packets.ini", DMASIM_SOURCE_DIR);
    {
        const char *a[] = {"dmasim", "run", path, "--set", "faults.common_buffer=100%", NULL};
        run_cli(a, 0, &o); /* faults wait for the devices to start: the start succeeds */
    }
    ck_assert_msg(o.status == 0, "%s", o.err);
    {
        const char *a[] = {"dmasim", "run", path, "--set", "faults.common_buffer=100%", "--set",
                           "faults.during_start=yes", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_int_eq(o.status, 1);
    ck_assert_msg(strstr(o.err, "([faults] had made calls fail by then)") != NULL, "%s", o.err);
    {
        const char *a[] = {"dmasim", "run", path, "--set", "faults.pool=101%", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_int_eq(o.status, 2);
}
END_TEST

/* Fault injection on every shipped driver: each card reports the device errors its datasheet
 * names and its driver fails exactly those requests (the uart's is per burst: a request may
 * meet several); a stalled engine hangs requests, and the report says where each stopped; a
 * spurious interrupt is declined by every shipped ISR. The JSON carries the same verdicts. */
START_TEST(test_faults_every_driver)
{
    static const char *const scn[] = {"db-64-vs-32", "nic-small-packets", "legacy-isa-24bit",
                                      "soc-uart", "isa-audio-ring"};
    char path[512];

    for (size_t i = 0; i < sizeof(scn) / sizeof(scn[0]); i++) {
        const char *line, *at;
        unsigned long ios, reads, writes, failed, injected, hung, n_dev = 0;

        snprintf(path, sizeof(path), "%s/scenarios/%s.ini", DMASIM_SOURCE_DIR, scn[i]);
        {
            const char *a[] = {"dmasim", "run", path, "--set", "faults.device_errors=3%",
                               "--set", "faults.spurious_interrupts=10%", "--set",
                               "machine.data=metadata", NULL};
            run_cli(a, 0, &o);
        }
        ck_assert_msg(o.status == 0, "%s: %s", scn[i], o.err);
        for (at = o.out; (line = strstr(at, "\ndevice ")) != NULL; at = line + 1) {
            const char *t = strstr(line, "  transfers       "), *fl = strstr(line, "  faults   ");
            unsigned long spurious = 0, claimed = 1;
            char f[1024];
            ck_assert_ptr_nonnull(t);
            ck_assert_ptr_nonnull(fl);
            snprintf(f, sizeof(f), "%.*s", (int)strcspn(fl, "\n"), fl); /* its line alone */
            ck_assert_int_eq(sscanf(t, "  transfers       %lu I/Os (%lu reads, %lu writes, %lu "
                                       "failed)", &ios, &reads, &writes, &failed), 4);
            {   /* "(N device errors" or ", N device errors": the number before the words */
                const char *e = strstr(f, " device errors");
                ck_assert_msg(e != NULL, "%s", f);
                while (e > f && e[-1] >= '0' && e[-1] <= '9')
                    e--;
                injected = strtoul(e, NULL, 10);
            }
            ck_assert_msg(strstr(f, "The driver coped") != NULL, "%s: %.300s", scn[i], f);
            ck_assert_msg(failed > 0, "%s: no request failed", scn[i]);
            if (strcmp(scn[i], "soc-uart") == 0) /* per burst: a request may meet several */
                ck_assert_uint_le(failed, injected);
            else
                ck_assert_msg(failed == injected, "%s: %lu failed, %lu errors", scn[i], failed,
                              injected);
            if (strstr(f, "spurious interrupts") != NULL) {
                /* a quiet device's ISR declines them; the nic's may find new work posted on
                 * its other ring by then (its level-triggered line is up again) */
                const char *c = strstr(f, "its ISR claimed ");
                ck_assert_ptr_nonnull(c);
                ck_assert_int_eq(sscanf(c, "its ISR claimed %lu of the %lu", &claimed,
                                        &spurious), 2);
                ck_assert_uint_lt(claimed, spurious / 10 + 1);
                if (strcmp(scn[i], "nic-small-packets") != 0)
                    ck_assert_uint_eq(claimed, 0);
            }
            n_dev++;
        }
        ck_assert_uint_gt(n_dev, 0);
        {   /* a stalled engine: the requests behind it hang, and where each stopped is said */
            const char *a[] = {"dmasim", "run", path, "--set", "faults.stalls=2%", "--set",
                               "machine.data=metadata", "--format", "json", NULL};
            json_object *doc, *devs, *f;
            run_cli(a, 0, &o);
            ck_assert_msg(o.status == 0, "%s: %s", scn[i], o.err);
            doc = json_tokener_parse(o.out);
            ck_assert_ptr_nonnull(doc);
            ck_assert(json_object_object_get_ex(doc, "devices", &devs));
            f = json_object_object_get(json_object_array_get_idx(devs, 0), "faults");
            ck_assert_str_eq(json_object_get_string(json_object_object_get(f, "verdict")),
                             "hung");
            ck_assert_int_gt(json_object_get_int(json_object_object_get(f, "stalls")), 0);
            hung = (unsigned long)json_object_get_int64(
                json_object_object_get(json_object_array_get_idx(devs, 0), "lost"));
            ck_assert_uint_gt(hung, 0);
            ck_assert_str_ne(json_object_get_string(json_object_array_get_idx(
                                 json_object_object_get(json_object_array_get_idx(devs, 0),
                                                        "lost_where"), 0)),
                             "");
            json_object_put(doc);
        }
        {
            const char *a[] = {"dmasim", "run", path, "--set", "faults.stalls=2%", "--set",
                               "machine.data=metadata", NULL};
            run_cli(a, 0, &o);
            line = strstr(o.out, "    lost I/O 1: IRP_MJ_");
            ck_assert_msg(line != NULL, "%s: %s", scn[i], o.out);
            ck_assert_ptr_nonnull(strstr(line, "stalled on"));
            ck_assert_ptr_nonnull(strstr(o.out, "The driver HUNG"));
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_help, 0, 8);
    tcase_add_loop_test(tc, test_usage_errors, 0, 11);
    tcase_add_test(tc, test_bad_scenario_exit_2);
    tcase_add_test(tc, test_report_to_file);
    tcase_add_test(tc, test_outputs_never_clobber);
    tcase_add_test(tc, test_runs_that_cannot_end);
    tcase_add_test(tc, test_scenario_from_stdin);
    tcase_add_test(tc, test_several_outputs);
    tcase_add_test(tc, test_ctrl_c);
    tcase_add_test(tc, test_dma_dump);
    tcase_add_test(tc, test_verifier_option);
    tcase_add_test(tc, test_faults_option);
    tcase_add_test(tc, test_faults_every_driver);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
