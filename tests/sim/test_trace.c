/*
 * test_trace.c - dmasim run --trace and dmasim explain.
 *
 * Traces: the .gz file passes gzip -t, both forms are valid Chrome Trace Event JSON (read
 * back with json-c), every track's slices nest or stand apart (never half-overlap, even with
 * ISRs preempting DPCs and applications on two CPUs), the processes, tracks, counters and
 * flows are there, --trace-limit bounds the file, the same seed writes the same trace, and a
 * trace that cannot be written fails the run with nothing left behind.
 *
 * Explain: a small scenario's story against a checked expectation
 * (tests/sim/expected/explain-small.txt: regenerate with
 *   ./build/dmasim explain tests/sim/explain-small.ini --transfers 2 \
 *       > tests/sim/expected/explain-small.txt
 * from the source tree, and read the diff before committing it), its tallies against the
 * run's own statistics, and bad input.
 */
#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <zlib.h>

#include "cli.h"

static struct outcome o;

static const char trace_scn[] =
    "[machine]\nmemory = 8G\ncpus = 2\nseed = 9\n"
    "[device disk]\nadapter = storage\naddress_bits = 32\npattern = sg\nengines = 2\n"
    "[workload w]\ndevice = disk\nop = mix\nsize = 4K..32K\nqueue_depth = 6\ncount = 400\n"
    "cpu_work = 30us\n";

static char *gunzip_file(const char *path)
{
    gzFile gz = gzopen(path, "rb");
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    int got;

    ck_assert_ptr_nonnull(gz);
    ck_assert_ptr_nonnull(buf);
    while ((got = gzread(gz, buf + n, (unsigned)(cap - n - 1))) > 0) {
        n += (size_t)got;
        if (cap - n < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
    }
    ck_assert_int_eq(got, 0);
    gzclose(gz);
    buf[n] = '\0';
    return buf;
}

static json_object *get(json_object *obj, const char *key)
{
    json_object *v = NULL;

    ck_assert_msg(json_object_object_get_ex(obj, key, &v), "no member '%s'", key);
    return v;
}

struct span {
    long pid, tid;
    long long start, end;
};

static int by_track(const void *pa, const void *pb)
{
    const struct span *a = pa, *b = pb;

    if (a->pid != b->pid)
        return a->pid < b->pid ? -1 : 1;
    if (a->tid != b->tid)
        return a->tid < b->tid ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->end > b->end ? -1 : a->end < b->end;
}

/* How a viewer turns microseconds into its nanoseconds: rounding (Perfetto now), or
 * truncating (older Perfetto). Both must give the same nesting. */
static bool truncating;

static long long ns_of(json_object *v)
{
    double us = json_object_get_double(v) * 1000.0;

    return truncating ? (long long)us : llround(us);
}

/* Every track's complete events nest or stand apart. Returns how many there were. */
static int check_nesting(json_object *events)
{
    size_t n = json_object_array_length(events), m = 0;
    struct span *s = calloc(n, sizeof(*s)), stack[64];
    int depth = 0;

    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(events, i);
        if (strcmp(json_object_get_string(get(e, "ph")), "X") != 0)
            continue;
        s[m].pid = json_object_get_int(get(e, "pid"));
        s[m].tid = json_object_get_int(get(e, "tid"));
        s[m].start = ns_of(get(e, "ts"));
        s[m].end = s[m].start + ns_of(get(e, "dur"));
        ck_assert(s[m].end >= s[m].start);
        m++;
    }
    qsort(s, m, sizeof(*s), by_track);
    for (size_t i = 0; i < m; i++) {
        if (i > 0 && (s[i].pid != s[i - 1].pid || s[i].tid != s[i - 1].tid))
            depth = 0;
        while (depth > 0 && stack[depth - 1].end <= s[i].start)
            depth--;
        ck_assert_msg(depth == 0 || s[i].end <= stack[depth - 1].end,
                      "track %ld/%ld: [%lld, %lld) half-overlaps [%lld, %lld)", s[i].pid,
                      s[i].tid, s[i].start, s[i].end, stack[depth - 1].start,
                      stack[depth - 1].end);
        ck_assert_int_lt(depth, 64);
        stack[depth++] = s[i];
    }
    free(s);
    return (int)m;
}

static int count_named(json_object *events, const char *ph, const char *prefix)
{
    int n = 0;

    for (size_t i = 0; i < json_object_array_length(events); i++) {
        json_object *e = json_object_array_get_idx(events, i), *name;
        if (strcmp(json_object_get_string(get(e, "ph")), ph) != 0)
            continue;
        if (prefix == NULL || (json_object_object_get_ex(e, "name", &name) &&
                               strncmp(json_object_get_string(name), prefix,
                                       strlen(prefix)) == 0))
            n++;
    }
    return n;
}

static bool has_meta(json_object *events, const char *what, const char *value)
{
    for (size_t i = 0; i < json_object_array_length(events); i++) {
        json_object *e = json_object_array_get_idx(events, i);
        if (strcmp(json_object_get_string(get(e, "ph")), "M") == 0 &&
            strcmp(json_object_get_string(get(e, "name")), what) == 0 &&
            strcmp(json_object_get_string(get(get(e, "args"), "name")), value) == 0)
            return true;
    }
    return false;
}

START_TEST(test_trace_gz)
{
    char scn[160], cmd[400];
    const char *gz = "/tmp/dmasim-test-trace.json.gz";
    char *text;
    json_object *doc, *events;
    int flows_s, flows_f;

    snprintf(scn, sizeof(scn), "%s", write_file("trace.ini", trace_scn));
    {
        const char *a[] = {"dmasim", "run", scn, "--trace", gz, "--trace-limit", "40", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(o.status == 0, "%s", o.err);
    ck_assert_ptr_nonnull(strstr(o.err, "traced 40 I/Os"));
    snprintf(cmd, sizeof(cmd), "gzip -t %s", gz);
    ck_assert_int_eq(system(cmd), 0);
    text = gunzip_file(gz);
    doc = json_tokener_parse(text);
    ck_assert_msg(doc != NULL, "the trace is not JSON");
    events = get(doc, "traceEvents");
    ck_assert(json_object_get_int(get(get(doc, "otherData"), "io_limit")) == 40);
    ck_assert(check_nesting(events) > 100);
    truncating = true;
    ck_assert(check_nesting(events) > 100);
    truncating = false;
    ck_assert(has_meta(events, "process_name", "disk (storage, 32-bit, sg)"));
    ck_assert(has_meta(events, "thread_name", "DMA engine 1"));
    ck_assert(has_meta(events, "thread_name", "CPU 1"));
    ck_assert_int_gt(count_named(events, "X", "disk: ISR"), 0);
    ck_assert_int_gt(count_named(events, "X", "disk: DPC"), 0);
    ck_assert_int_gt(count_named(events, "X", "transfer "), 0);
    ck_assert_int_gt(count_named(events, "X", "bounce copy: "), 0);
    ck_assert_int_gt(count_named(events, "X", "map registers: "), 0);
    ck_assert_int_gt(count_named(events, "C", "map registers in use"), 0);
    ck_assert_int_gt(count_named(events, "C", "bounce pages in use"), 0);
    flows_s = count_named(events, "s", "I/O");
    flows_f = count_named(events, "f", "I/O");
    ck_assert_int_eq(flows_f, 40); /* bounded: completions up to the limit, no more */
    ck_assert_int_ge(flows_s, flows_f);
    ck_assert_int_gt(count_named(events, "t", "I/O"), 0);
    /* every completion closes a flow that was opened */
    for (size_t i = 0; i < json_object_array_length(events); i++) {
        json_object *e = json_object_array_get_idx(events, i);
        bool found = false;
        if (strcmp(json_object_get_string(get(e, "ph")), "f") != 0)
            continue;
        for (size_t k = 0; k < json_object_array_length(events) && !found; k++) {
            json_object *g = json_object_array_get_idx(events, k);
            found = strcmp(json_object_get_string(get(g, "ph")), "s") == 0 &&
                    json_object_get_int64(get(g, "id")) == json_object_get_int64(get(e, "id"));
        }
        ck_assert(found);
    }
    json_object_put(doc);
    free(text);
}
END_TEST

static const char *str_of(json_object *e, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(e, key, &v) ? json_object_get_string(v) : "";
}

/* The trace tells the truth: the machine's CPUs are one set of tracks (every device's work on
 * them, so no CPU is shown busy twice at once); every flow's start, steps and end bind to a
 * slice of the flow's category on the same track at the same time (Chrome DevTools' rule;
 * Perfetto's enclosing slice holds too); every I/O's flow passes through the device transfer
 * that served it (the NIC's chains too, taken up after a busy ring); bounce copies and map
 * registers carry their arguments; findings their message. */
START_TEST(test_trace_truthful)
{
    static const char *const files[] = {"nic-small-packets", "db-64-vs-32", "stray-declared-64"};
    char scn[512], path[256];

    snprintf(scn, sizeof(scn), "%s/scenarios/%s.ini", DMASIM_SOURCE_DIR, files[_i]);
    snprintf(path, sizeof(path), "/tmp/dmasim-truthful-%d.json", _i);
    {
        const char *a[] = {"dmasim", "run", scn, "--trace", path, "--trace-limit", "300", "-o",
                           "/dev/null", NULL};
        run_cli(a, 0, &o);
        ck_assert_msg(o.status == 0, "%s", o.err);
    }
    char *text = gunzip_file(path); /* zlib reads a plain file as it is */
    json_object *doc = json_tokener_parse(text), *events = get(doc, "traceEvents");
    size_t n = json_object_array_length(events);
    int cpu0 = 0, bound = 0, flows = 0, copies = 0, copy_args = 0, regs = 0, reg_args = 0;
    int findings = 0;
    long long *done_ids = calloc(n, sizeof(*done_ids)), *step_ids = calloc(n, sizeof(*step_ids));
    size_t n_done = 0, n_step = 0;

    ck_assert_ptr_nonnull(doc);
    ck_assert(check_nesting(events) > 100);
    truncating = true;
    check_nesting(events);
    truncating = false;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(events, i), *args;
        const char *ph = str_of(e, "ph"), *name = str_of(e, "name");
        if (strcmp(ph, "M") == 0 && strcmp(name, "thread_name") == 0 &&
            strcmp(str_of(get(e, "args"), "name"), "CPU 0") == 0)
            cpu0++;
        if (strcmp(ph, "X") == 0 && strcmp(str_of(e, "cat"), "cpu") == 0)
            ck_assert_int_eq(json_object_get_int(get(e, "pid")), 1); /* the machine's CPUs */
        if (strcmp(ph, "X") == 0 && strncmp(name, "bounce copy", 11) == 0) {
            copies++;
            copy_args += json_object_object_get_ex(e, "args", &args) &&
                         json_object_object_get_ex(args, "bytes", NULL);
        }
        if (strcmp(ph, "X") == 0 && strncmp(name, "map registers", 13) == 0) {
            regs++;
            reg_args += json_object_object_get_ex(e, "args", NULL);
        }
        if (strcmp(ph, "i") == 0 && strcmp(str_of(e, "cat"), "finding") == 0) {
            findings++;
            ck_assert(strlen(str_of(get(e, "args"), "message")) > 10);
        }
        if (strcmp(ph, "s") != 0 && strcmp(ph, "t") != 0 && strcmp(ph, "f") != 0)
            continue;
        flows++;
        ck_assert_str_eq(str_of(e, "cat"), "io");
        if (strcmp(ph, "f") == 0)
            done_ids[n_done++] = json_object_get_int64(get(e, "id"));
        if (strcmp(ph, "t") == 0)
            step_ids[n_step++] = json_object_get_int64(get(e, "id"));
        for (size_t k = 0; k < n; k++) {
            json_object *g = json_object_array_get_idx(events, k);
            if (strcmp(str_of(g, "ph"), "X") == 0 && strcmp(str_of(g, "cat"), "io") == 0 &&
                json_object_get_int(get(g, "pid")) == json_object_get_int(get(e, "pid")) &&
                json_object_get_int(get(g, "tid")) == json_object_get_int(get(e, "tid")) &&
                ns_of(get(g, "ts")) == ns_of(get(e, "ts"))) {
                bound++;
                break;
            }
        }
    }
    ck_assert_int_eq(cpu0, 1);
    ck_assert_int_gt(flows, 300);
    ck_assert_int_eq(bound, flows);
    /* every completed I/O's flow went through a device transfer */
    for (size_t i = 0; i < n_done; i++) {
        bool stepped = false;
        for (size_t k = 0; k < n_step && !stepped; k++)
            stepped = step_ids[k] == done_ids[i];
        ck_assert_msg(stepped, "%s: I/O flow %lld has no device step", files[_i], done_ids[i]);
    }
    if (_i < 2) { /* these bounce */
        ck_assert_int_gt(copies, 0);
        ck_assert_int_gt(copy_args, copies / 2);
        ck_assert_int_gt(regs, 0);
        ck_assert_int_gt(reg_args, regs / 2);
    } else {
        ck_assert_int_gt(findings, 0);
    }
    unlink(path);
    free(done_ids);
    free(step_ids);
    json_object_put(doc);
    free(text);
}
END_TEST

/* --trace on a sweep traces the run it names: the same trace, byte for byte, as dmasim run
 * of that point and variant's scenario; a point or variant the study lacks is refused. */
START_TEST(test_trace_study_point)
{
    char scn[512];

    snprintf(scn, sizeof(scn), "%s/scenarios/study-64bit-dma.ini", DMASIM_SOURCE_DIR);
    {
        const char *a[] = {"dmasim", "sweep", scn, "--vary", "machine.memory=8G,16G",
                           "--trace", "/tmp/dmasim-study-trace.json", "--trace-point", "2",
                           "--trace-variant", "32-bit", "--trace-limit", "60", "-o",
                           "/dev/null", NULL};
        run_cli(a, 0, &o);
        ck_assert_msg(o.status == 0, "%s", o.err);
        ck_assert_ptr_nonnull(strstr(o.err, "traced 60 I/Os"));
        ck_assert_ptr_nonnull(strstr(o.err, "of 32-bit at 16 GiB"));
    }
    {
        const char *a[] = {"dmasim", "run", scn, "--set", "machine.memory=16G", "--set",
                           "device.disk0.address_bits=32", "--trace",
                           "/tmp/dmasim-run-trace.json", "--trace-limit", "60", "-o",
                           "/dev/null", NULL};
        run_cli(a, 0, &o);
        ck_assert_msg(o.status == 0, "%s", o.err);
    }
    char *x = gunzip_file("/tmp/dmasim-study-trace.json");
    char *y = gunzip_file("/tmp/dmasim-run-trace.json");
    ck_assert_msg(strcmp(x, y) == 0, "the study's trace differs from the run's");
    free(x);
    free(y);
    unlink("/tmp/dmasim-study-trace.json");
    unlink("/tmp/dmasim-run-trace.json");
    {
        const char *a[] = {"dmasim", "sweep", scn, "--trace", "/tmp/dmasim-no.json",
                           "--trace-point", "99", NULL};
        run_cli(a, 0, &o);
        ck_assert_int_eq(o.status, 2);
        ck_assert_int_ne(access("/tmp/dmasim-no.json", F_OK), 0);
    }
}
END_TEST

START_TEST(test_trace_plain_bounded_deterministic)
{
    char scn[160];
    const char *p1 = "/tmp/dmasim-test-trace1.json", *p2 = "/tmp/dmasim-test-trace2.json";
    const char *p3 = "/tmp/dmasim-test-trace3.json";
    FILE *f;
    char *a, *b, *c;
    long la, lc;
    json_object *doc;

    snprintf(scn, sizeof(scn), "%s", write_file("trace2.ini", trace_scn));
    {
        const char *x[] = {"dmasim", "run", scn, "--trace", p1, "--trace-limit", "10", NULL};
        const char *y[] = {"dmasim", "run", scn, "--trace", p2, "--trace-limit", "10", NULL};
        const char *z[] = {"dmasim", "run", scn, "--trace", p3, "--trace-limit", "200", NULL};
        run_cli(x, 0, &o);
        ck_assert_int_eq(o.status, 0);
        run_cli(y, 0, &o);
        ck_assert_int_eq(o.status, 0);
        run_cli(z, 0, &o);
        ck_assert_int_eq(o.status, 0);
    }
    a = gunzip_file(p1); /* zlib reads plain files as they are */
    b = gunzip_file(p2);
    c = gunzip_file(p3);
    ck_assert_str_eq(a, b); /* same seed, same trace */
    la = (long)strlen(a);
    lc = (long)strlen(c);
    ck_assert_msg(lc > 5 * la, "limit 10: %ld bytes, limit 200: %ld", la, lc);
    doc = json_tokener_parse(a);
    ck_assert_ptr_nonnull(doc);
    ck_assert_int_eq(count_named(get(doc, "traceEvents"), "f", "I/O"), 10);
    check_nesting(get(doc, "traceEvents"));
    json_object_put(doc);
    free(a);
    free(b);
    free(c);

    /* a trace that cannot be written: exit 1, no report */
    {
        const char *x[] = {"dmasim", "run", scn, "--trace", "/nonexistent/dir/t.json", NULL};
        run_cli(x, 0, &o);
        ck_assert_int_eq(o.status, 1);
        ck_assert_ptr_nonnull(strstr(o.err, "cannot write /nonexistent/dir/t.json"));
        ck_assert_str_eq(o.out, "");
    }
    {
        const char *x[] = {"dmasim", "run", scn, "--trace", p1, "--trace-limit", "0", NULL};
        run_cli(x, 0, &o);
        ck_assert_int_eq(o.status, 2);
    }
    /* a run whose driver cannot start: exit 1, and neither the trace nor its temporary file
     * is left behind */
    {
        const char *bad = write_file("nostart.ini",
                                     "[machine]\nmemory = 4G\n[device isa]\nadapter = storage\n"
                                     "address_bits = 24\npattern = common-buffer\n"
                                     "max_transfer = 1M\n[workload w]\ndevice = isa\n"
                                     "size = 1M\nqueue_depth = 32\n");
        const char *t = "/tmp/dmasim-test-nostart.json";
        const char *x[] = {"dmasim", "run", bad, "--trace", t, NULL};
        remove(t);
        run_cli(x, 0, &o);
        ck_assert_int_eq(o.status, 1);
        ck_assert_ptr_nonnull(strstr(o.err, "IRP_MN_START_DEVICE) failed"));
        f = fopen(t, "r");
        ck_assert_ptr_null(f);
        f = fopen("/tmp/dmasim-test-nostart.json.tmp", "r");
        ck_assert_ptr_null(f);
    }
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * explain
 */
START_TEST(test_explain_expected)
{
    char expected_path[512], *expected;
    FILE *f;
    long n;

    snprintf(expected_path, sizeof(expected_path), "%s",
             DMASIM_SOURCE_DIR "/tests/sim/expected/explain-small.txt");
    f = fopen(expected_path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    expected = malloc((size_t)n + 1);
    ck_assert_int_eq(fread(expected, 1, (size_t)n, f), n);
    expected[n] = '\0';
    fclose(f);
    /* the expectation names the scenario as the command line did: run it the same way */
    ck_assert_int_eq(chdir(DMASIM_SOURCE_DIR), 0);
    {
        const char *a[] = {"dmasim", "explain", "tests/sim/explain-small.ini", "--transfers",
                           "2", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(o.status == 0, "%s", o.err);
    ck_assert_msg(strcmp(o.out, expected) == 0,
                  "explain output differs from %s; got:\n%s", expected_path, o.out);
    free(expected);
}
END_TEST

/* The story's tallies are the statistics' own: the run counts the same events. */
START_TEST(test_explain_agrees)
{
    json_object *doc, *bounce;
    const char *p;
    long bounced = 0, mapped = 0;

    ck_assert_int_eq(chdir(DMASIM_SOURCE_DIR), 0);
    {
        const char *a[] = {"dmasim", "explain", "tests/sim/explain-small.ini", "--transfers",
                           "2", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_int_eq(o.status, 0);
    for (p = o.out; (p = strstr(p, "In all: ")) != NULL; p++) {
        long calls, pages, b;
        ck_assert_int_eq(sscanf(p, "In all: %ld DMA routine calls, %ld pages mapped, %ld "
                                   "bounced", &calls, &pages, &b), 3);
        mapped += pages;
        bounced += b;
    }
    {
        const char *a[] = {"dmasim", "run", "tests/sim/explain-small.ini", "--format", "json",
                           NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_int_eq(o.status, 0);
    doc = json_tokener_parse(o.out);
    ck_assert_ptr_nonnull(doc);
    bounce = get(get(doc, "total"), "bounce");
    ck_assert_int_eq(json_object_get_int(get(bounce, "pages_bounced")), bounced);
    ck_assert_int_eq(json_object_get_int(get(bounce, "pages_mapped")), mapped);
    ck_assert_int_gt(bounced, 0);
    json_object_put(doc);
}
END_TEST

START_TEST(test_explain_other_devices)
{
    static const char *const files[] = {"legacy-isa-24bit.ini", "common-buffer-nic.ini",
                                        "mapreg-starved.ini", "db-64-vs-32.ini",
                                        "stray-declared-64.ini", "soc-uart.ini",
                                        "noncoherent-cache.ini"};
    /* a wait says who holds the registers; a finding tells the stray access where it
     * happens and points at dmasim dma at that instant; FIFO bursts fold; a non-coherent
     * machine's cache maintenance is told */
    static const char *const says[] = {
        "AdapterControl", "common buffer", "of them until their DPCs free them, so ",
        "within the device's 64-bit reach",
        "FINDING 0x100 in device: device card read 4096 bytes at 0x0000_0000_8be9_2000 (told "
        "0x0000_0002_8be9_2000; it drives 32 address lines), which is free memory (dmasim dma ",
        "more like these, at the next addresses and times, until t=",
        "cache lines over 16 KiB of the buffer: the CPU reads what the device wrote, not stale "
        "lines (the machine is not coherent)"};
    char path[512];

    snprintf(path, sizeof(path), "%s/scenarios/%s", DMASIM_SOURCE_DIR, files[_i]);
    {
        const char *a[] = {"dmasim", "explain", path, "--transfers", "4", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(o.status == 0, "%s: %s", files[_i], o.err);
    ck_assert_ptr_nonnull(strstr(o.out, "Transfer 4 ("));
    ck_assert_msg(strstr(o.out, says[_i]) != NULL, "%s: no '%s'", files[_i], says[_i]);
    ck_assert_ptr_null(strstr(o.out, "(not completed"));
}
END_TEST

/* A StartIo driver's DPC completes one IRP and starts the next (IoStartNextPacket): the next
 * one's StartIo, AdapterControl, MapTransfer and device transfer are that I/O's steps, not
 * the completing one's, so every transfer explained has its own DMA calls and pages. */
START_TEST(test_explain_startio_is_its_irps)
{
    char path[512];
    const char *p;
    int sections = 0;

    snprintf(path, sizeof(path), "%s/scenarios/legacy-isa-24bit.ini", DMASIM_SOURCE_DIR);
    {
        const char *a[] = {"dmasim", "explain", path, "--transfers", "3", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(o.status == 0, "%s", o.err);
    for (p = o.out; (p = strstr(p, "In all: ")) != NULL; p++) {
        long calls, pages, b;
        ck_assert_int_eq(sscanf(p, "In all: %ld DMA routine calls, %ld pages mapped, %ld "
                                   "bounced", &calls, &pages, &b), 3);
        ck_assert_msg(calls > 0 && pages > 0, "transfer %d shows %ld calls, %ld pages",
                      sections + 1, calls, pages);
        sections++;
    }
    ck_assert_int_eq(sections, 3);
    /* and the first transfer's story ends with its own completion, not the next one's map */
    p = strstr(o.out, "Transfer 2 (");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(strstr(p, "AllocateAdapterChannel(NumberOfMapRegisters="));
}
END_TEST

/* A KMDF driver's transfers are told inside the framework's calls: the transaction initialized
 * and executed, each stage the framework programs through EvtProgramDma (numbered, with its
 * place in the transaction), the HAL calling the framework's AdapterListControl, and
 * DmaCompleted programming the next stage or ending the transaction. A request the
 * sequential queue presents from the completion of the one before it, and the stages the
 * device's DPC completes, are that request's own steps. */
START_TEST(test_explain_kmdf)
{
    static const char *const says[] = {
        "-> WdfDmaTransactionInitializeUsingRequest(",
        "-> WdfDmaTransactionExecute(",
        "bytes, in stages of at most 8192)",
        "the HAL calls the framework's AdapterListControl at DISPATCH_LEVEL",
        "the framework calls the driver's EvtProgramDma: stage 1: 8192 bytes at byte 0 of the "
        "transaction's ",
        "the framework calls the driver's EvtProgramDma: stage 2: 8192 bytes at byte 8192 of "
        "the transaction's ",
        "-> WdfDmaTransactionDmaCompleted(stage 1 of 8192 bytes done)",
        "<- WdfDmaTransactionDmaCompleted returns FALSE: stage 2 is programmed, ",
        "<- WdfDmaTransactionDmaCompleted returns TRUE: the transaction is over, ",
        "bytes transferred, *Status=0x00000000",
        "ExecutionRoutine=the caller's",
        "into the bounce page at",
    };
    char path[512];
    const char *p;
    int sections = 0;

    snprintf(path, sizeof(path), "%s/scenarios/kmdf-pci9656.ini", DMASIM_SOURCE_DIR);
    {
        const char *a[] = {"dmasim", "explain", path, "--transfers", "3", "--set",
                           "device.plx.address_bits=32", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(o.status == 0, "%s", o.err);
    for (size_t i = 0; i < sizeof(says) / sizeof(says[0]); i++)
        ck_assert_msg(strstr(o.out, says[i]) != NULL, "no '%s'", says[i]);
    ck_assert_ptr_null(strstr(o.out, "the HAL calls the driver's AdapterListControl"));
    /* each transfer maps its own buffer's pages, every one once: no other I/O's stage is
     * told as its, and none of its stages is told as another's */
    for (p = o.out; (p = strstr(p, ", in a buffer of ")) != NULL; p++) {
        long buffer, calls, pages, b;
        const char *all = strstr(p, "In all: ");
        ck_assert_int_eq(sscanf(p, ", in a buffer of %ld pages", &buffer), 1);
        ck_assert_ptr_nonnull(all);
        ck_assert_int_eq(sscanf(all, "In all: %ld DMA routine calls, %ld pages mapped, %ld "
                                     "bounced", &calls, &pages, &b), 3);
        ck_assert_msg(pages == buffer && b > 0 && calls > 0, "transfer %d: a buffer of %ld "
                      "pages, %ld mapped, %ld bounced, %ld calls", sections + 1, buffer, pages,
                      b, calls);
        sections++;
    }
    ck_assert_int_eq(sections, 3);
}
END_TEST

/* The framework's system profile, told: the channel taken once (AllocateAdapterChannelEx),
 * each stage mapped to the FIFO with the framework's DmaCompletionRoutine, the driver's
 * EvtDmaTransactionDmaTransferComplete when the controller is done, and the flush. */
/* explain tells a frame's first lock as a call of the Ks routine that locks it, AVStream's
 * GetScatterGatherList requests inside it (their callbacks the framework's), what the frame
 * holds, and - with KsDeviceRegisterAdapterObject - why the lock fails. */
START_TEST(test_explain_avstream)
{
    static const char *const says[] = {
        "-> KsPinGetLeadingEdgeStreamPointer(LOCKED: the frame's first lock, so AVStream maps "
        "its 4147200 bytes through the registered adapter)",
        "-> GetScatterGatherList(Mdl=(4147200 bytes), CurrentVa=+0x0 into the MDL, "
        "Length=258048, WriteToDevice=FALSE)",
        "the HAL calls the framework's AdapterListControl at DISPATCH_LEVEL",
        "<- KsPinGetLeadingEdgeStreamPointer locks the frame: 17 requests, ",
        "1013 map registers held until the frame completes",
        "the driver completes the I/O from its DPC: status 0x00000000",
    };
    char path[512];

    snprintf(path, sizeof(path), "%s/scenarios/avstream-capture.ini", DMASIM_SOURCE_DIR);
    {
        const char *a[] = {"dmasim", "explain", path, "--device", "cam0", "--transfers", "1",
                           NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(o.status == 0, "%s", o.err);
    for (size_t i = 0; i < sizeof(says) / sizeof(says[0]); i++)
        ck_assert_msg(strstr(o.out, says[i]) != NULL, "no '%s'", says[i]);
    ck_assert_ptr_null(strstr(o.out, "the HAL calls the driver's AdapterListControl"));
    {
        const char *a[] = {"dmasim", "explain", path, "--device", "cam0", "--transfers", "1",
                           "--set", "device.cam0.registration=legacy", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(strstr(o.out, "<- KsPinGetLeadingEdgeStreamPointer cannot lock the frame (NULL, "
                                "or STATUS_DEVICE_NOT_READY): GetScatterGatherList refused the "
                                "frame's bytes in one request") != NULL, "%s", o.out);
}
END_TEST

START_TEST(test_explain_kmdf_system)
{
    static const char *const says[] = {
        "-> WdfDmaTransactionExecute(",
        "-> AllocateAdapterChannelEx(",
        "the HAL calls the framework's AdapterControl at DISPATCH_LEVEL",
        "-> MapTransferEx(Offset=0, DeviceOffset=",
        "DmaCompletionRoutine=the caller's",
        "the framework calls the driver's EvtProgramDma: stage 1: ",
        "the HAL calls the framework's DmaCompletionRoutine at DISPATCH_LEVEL",
        "the framework calls the driver's EvtDmaTransactionDmaTransferComplete: stage 1 of ",
        "-> WdfDmaTransactionDmaCompleted(stage 1 of ",
        "-> FlushAdapterBuffersEx(",
        "<- WdfDmaTransactionDmaCompleted returns TRUE: the transaction is over, ",
        "-> FreeAdapterChannel(",
    };
    char path[512];

    snprintf(path, sizeof(path), "%s/scenarios/soc-uart.ini", DMASIM_SOURCE_DIR);
    {
        const char *a[] = {"dmasim", "explain", path, "--transfers", "2", "--set",
                           "device.spi0.pattern=kmdf", NULL};
        run_cli(a, 0, &o);
    }
    ck_assert_msg(o.status == 0, "%s", o.err);
    for (size_t i = 0; i < sizeof(says) / sizeof(says[0]); i++)
        ck_assert_msg(strstr(o.out, says[i]) != NULL, "no '%s'", says[i]);
    ck_assert_ptr_null(strstr(o.out, "the HAL calls the driver's DmaCompletionRoutine"));
}
END_TEST

START_TEST(test_explain_bad_input)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/scenarios/db-64-vs-32.ini", DMASIM_SOURCE_DIR);
    {
        const char *a[] = {"dmasim", "explain", path, "--transfers", "0", NULL};
        run_cli(a, 0, &o);
        ck_assert_int_eq(o.status, 2);
        ck_assert_ptr_nonnull(strstr(o.err, "--transfers 0: 1 .. 100"));
    }
    {
        const char *a[] = {"dmasim", "explain", path, "--device", "nope", NULL};
        run_cli(a, 0, &o);
        ck_assert_int_eq(o.status, 2);
        ck_assert_ptr_nonnull(strstr(o.err, "no [device nope]"));
        ck_assert_str_eq(o.out, "");
    }
    {
        const char *a[] = {"dmasim", "explain", NULL};
        run_cli(a, 0, &o);
        ck_assert_int_eq(o.status, 2);
    }
    {
        const char *a[] = {"dmasim", "explain", "--help", NULL};
        run_cli(a, 0, &o);
        ck_assert_int_eq(o.status, 0);
        ck_assert_ptr_nonnull(strstr(o.out, "grouped hex"));
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");

    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_trace_gz);
    tcase_add_loop_test(tc, test_trace_truthful, 0, 3);
    tcase_add_test(tc, test_trace_study_point);
    tcase_add_test(tc, test_trace_plain_bounded_deterministic);
    tcase_add_test(tc, test_explain_expected);
    tcase_add_test(tc, test_explain_agrees);
    tcase_add_loop_test(tc, test_explain_other_devices, 0, 7);
    tcase_add_test(tc, test_explain_startio_is_its_irps);
    tcase_add_test(tc, test_explain_kmdf);
    tcase_add_test(tc, test_explain_kmdf_system);
    tcase_add_test(tc, test_explain_avstream);
    tcase_add_test(tc, test_explain_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
