/*
 * test_study.c - dmasim compare and sweep: variants and swept values as written, the same
 * numbers in every format (read back: JSON with json-c, CSV, text and HTML), well-formed HTML
 * with one chart per series, identical results at any -j, the flagship study's claim, bad
 * input refused with its place named, and Ctrl-C keeping the finished points.
 */
#include <check.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "study.h"
#include "study_report.h"

static struct outcome o, o2;

static const char scn_text[] =
    "[machine]\nmemory = 8G\ncpus = 4\ndata = metadata\nseed = 3\n"
    "[device disk0]\nadapter = storage\naddress_bits = 64\npattern = sg\n"
    "[workload w]\ndevice = disk0\nsize = 8K\nqueue_depth = 8\ncount = 2000\n"
    "cpu_work = 20us\n"
    "[variant wide]\ndevice.disk0.address_bits = 64\n"
    "[variant narrow]\ndevice.disk0.address_bits = 32\n"
    "[sweep]\nmachine.memory = 4G, 16G, 64G\n";

static char scn_path[128];

static void setup(void)
{
    snprintf(scn_path, sizeof(scn_path), "%s", write_file("study.ini", scn_text));
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(fread(buf, 1, (size_t)n, f), n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static json_object *get(json_object *obj, const char *key)
{
    json_object *v = NULL;

    ck_assert_msg(json_object_object_get_ex(obj, key, &v), "no member '%s'", key);
    return v;
}

/* ---------------------------------------------------------------------------------------------
 * Parsing what a study is made of.
 */
START_TEST(test_variant_parse)
{
    struct study_variant v;
    char why[300];

    ck_assert_int_eq(study_variant_parse("small:workload.w.size=4K:1,8K:1,"
                                         "device.disk0.address_bits=32", &v, why, sizeof(why)),
                     0);
    ck_assert_str_eq(v.name, "small");
    ck_assert_uint_eq(v.n_sets, 2);
    ck_assert_str_eq(v.sets[0].text, "workload.w.size=4K:1,8K:1");
    ck_assert_str_eq(v.sets[1].text, "device.disk0.address_bits=32");
    ck_assert_int_eq(study_variant_parse("plain:", &v, why, sizeof(why)), 0);
    ck_assert_uint_eq(v.n_sets, 0);
    ck_assert_int_eq(study_variant_parse("noname", &v, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "NAME:"));
    ck_assert_int_eq(study_variant_parse(":a.b=1", &v, why, sizeof(why)), -1);
    ck_assert_int_eq(study_variant_parse("a b:machine.cpus=2", &v, why, sizeof(why)), -1);
    ck_assert_int_eq(study_variant_parse("x:nokey", &v, why, sizeof(why)), -1);
}
END_TEST

START_TEST(test_axis)
{
    struct scenario *s;
    struct scn_errors err;
    struct scn_axis ax;
    char label[64];

    ck_assert_int_eq(scenario_parse("t.ini", scn_text, NULL, 0, &s, &err), 0);
    ck_assert_uint_eq(s->n_variants, 2);
    ck_assert_str_eq(s->variants[1].name, "narrow");
    ck_assert_str_eq(s->variants[1].sets[0].text, "device.disk0.address_bits=32");
    ck_assert_int_eq(s->variants[1].sets[0].line, 19);
    ck_assert_uint_eq(s->n_sweep, 1);
    ck_assert_int_eq(s->sweep[0].line, 21);

    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(scenario_axis(s, "machine.memory=4G..1T*2", "x", 1, &ax, &err), 0);
    ck_assert_uint_eq(ax.n, 9);
    ck_assert_str_eq(ax.key, "machine.memory");
    ck_assert_str_eq(ax.value[0], "4G");
    ck_assert_str_eq(ax.value[8], "1T");
    scenario_axis_label(&ax, 8, label, sizeof(label));
    ck_assert_str_eq(label, "1 TiB");
    ck_assert_int_eq(scenario_axis(s, "workload.w.queue_depth=1..4+1", "x", 1, &ax, &err), 0);
    ck_assert_uint_eq(ax.n, 4);
    ck_assert_str_eq(ax.value[3], "4");
    ck_assert_int_eq(scenario_axis(s, "cost.isr = 500ns..2us+500ns", "x", 1, &ax, &err), 0);
    ck_assert_uint_eq(ax.n, 4);
    ck_assert_str_eq(ax.value[3], "2000ns");
    ck_assert_int_eq(scenario_axis(s, "device.disk0.address_bits = 32, 64", "x", 1, &ax, &err),
                     0);
    ck_assert_str_eq(ax.value[1], "64");
    ck_assert_int_eq(err.count, 0);

    static const char *const bad[][2] = {
        {"machine.memory=4G..1T*1", "factor of at least 2"},
        {"machine.memory=8G..4G*2", "LOW <= HIGH"},
        {"machine.memory=4G,lots", "memory"},
        {"machine.memory=16M..1P+4K", "more than 64 values"},
        {"device.nodisk.address_bits=32", "no [device nodisk]"},
        {"machine.colour=red", "unknown key 'colour'"},
        {"machine.memory=", "no values"},
        {"device.disk0.address_bits=24,99", "out of range"},
        {"device.disk0.adapter=storage..nic*2", "a range is"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        ck_assert_int_eq(scenario_axis(s, bad[i][0], "where.ini", 7, &ax, &err), -1);
        ck_assert_msg(strncmp(err.text[0], "where.ini:7: ", 13) == 0 &&
                          strstr(err.text[0], bad[i][1]) != NULL,
                      "%s: %s", bad[i][0], err.text[0]);
    }
    scenario_free(s);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * The same numbers in every format.
 */

/* Split CSV text into rows of fields (no quoting: the study's CSV has none). */
static int csv_fields(char *line, char **field, int max)
{
    int n = 0;

    for (char *p = line; n < max;) {
        field[n++] = p;
        p = strchr(p, ',');
        if (p == NULL)
            break;
        *p++ = '\0';
    }
    return n;
}

/* A tag-balance check: every element closed in order, attributes quoted, '&' only in
 * entities, one root <html>. Enough to call the page well-formed. */
static void check_well_formed(const char *html)
{
    const char *stack[256];
    size_t lens[256];
    int depth = 0, roots = 0;
    const char *p = html;

    ck_assert(strncmp(p, "<!DOCTYPE html>", 15) == 0);
    p += 15;
    while (*p != '\0') {
        if (*p == '&') {
            ck_assert_msg(strncmp(p, "&amp;", 5) == 0 || strncmp(p, "&lt;", 4) == 0 ||
                              strncmp(p, "&gt;", 4) == 0 || strncmp(p, "&quot;", 6) == 0,
                          "a bare '&' at ...%.30s", p);
            p++;
            continue;
        }
        if (*p != '<') {
            p++;
            continue;
        }
        if (p[1] == '/') {
            const char *name = p + 2;
            size_t n = strcspn(name, ">");
            ck_assert_msg(depth > 0 && n == lens[depth - 1] &&
                              strncmp(name, stack[depth - 1], n) == 0,
                          "</%.*s> closes <%.*s>", (int)n, name,
                          depth ? (int)lens[depth - 1] : 0, depth ? stack[depth - 1] : "");
            depth--;
            p = name + n + 1;
            continue;
        }
        {
            const char *name = p + 1, *q;
            size_t n = strcspn(name, " />\n");
            bool self = false;
            ck_assert_msg(n > 0 && isalpha((unsigned char)name[0]), "bad tag at %.30s", p);
            for (q = name + n; *q != '>' && *q != '\0'; q++) {
                if (*q == '"') {
                    q = strchr(q + 1, '"');
                    ck_assert_ptr_nonnull(q);
                } else if (*q == '=') {
                    ck_assert_msg(q[1] == '"', "unquoted attribute at %.30s", q - 10);
                }
            }
            ck_assert(*q == '>');
            self = q[-1] == '/';
            if (!self) {
                ck_assert_int_lt(depth, 256);
                if (depth == 0)
                    roots++;
                stack[depth] = name;
                lens[depth++] = n;
            }
            p = q + 1;
        }
    }
    ck_assert_int_eq(depth, 0);
    ck_assert_int_eq(roots, 1);
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* Each variant's name stands apart from its settings, however long it is. */
START_TEST(test_long_variant_names)
{
    static const char text[] =
        "[machine]\nmemory = 8G\ndata = metadata\n"
        "[device d]\nadapter = storage\n"
        "[workload w]\ndevice = d\ncount = 50\n"
        "[variant short]\n"
        "[variant a-twenty-character-name]\ndevice.d.address_bits = 32\n";
    const char *path = write_file("long-names.ini", text);
    const char *argv[] = {"dmasim", "compare", path, NULL};

    run_cli(argv, 0, &o);
    ck_assert_msg(o.status == 0, "%s", o.err);
    ck_assert_ptr_nonnull(strstr(o.out, "\n  a-twenty-character-name device.d.address_bits=32\n"));
    ck_assert_ptr_nonnull(strstr(o.out, "\n  short                   (the scenario as written)\n"));
}
END_TEST

START_TEST(test_formats_agree)
{
    const char *json_path = "/tmp/dmasim-study-test.json", *csv_path = "/tmp/dmasim-study.csv",
               *html_path = "/tmp/dmasim-study.html";
    const char *argv_json[] = {"dmasim", "compare", scn_path, "--format", "json", "-o",
                               json_path, NULL};
    const char *argv_csv[] = {"dmasim", "compare", scn_path, "--format", "csv", "-o", csv_path,
                              NULL};
    const char *argv_html[] = {"dmasim", "compare", scn_path, "--format", "html", "-o",
                               html_path, NULL};
    const char *argv_text[] = {"dmasim", "compare", scn_path, NULL};
    char *json_text, *csv, *html, *line, *save = NULL;
    json_object *doc, *runs;
    char *header[128], *field[128];
    int n_header, row = 0, charts = 0;

    run_cli(argv_json, 0, &o);
    ck_assert_msg(o.status == 0, "%s", o.err);
    run_cli(argv_csv, 0, &o);
    ck_assert_int_eq(o.status, 0);
    run_cli(argv_html, 0, &o);
    ck_assert_int_eq(o.status, 0);
    run_cli(argv_text, 0, &o);
    ck_assert_int_eq(o.status, 0);

    json_text = read_all(json_path);
    doc = json_tokener_parse(json_text);
    ck_assert_msg(doc != NULL, "the JSON report does not parse");
    ck_assert_str_eq(json_object_get_string(get(doc, "schema")), STUDY_SCHEMA);
    ck_assert_str_eq(json_object_get_string(get(doc, "kind")), "compare");
    ck_assert_str_eq(json_object_get_string(get(doc, "baseline")), "wide");
    ck_assert_int_eq(json_object_array_length(get(doc, "points")), 1);
    runs = get(json_object_array_get_idx(get(doc, "points"), 0), "runs");
    ck_assert_int_eq(json_object_array_length(runs), 2);
    ck_assert_ptr_nonnull(strstr(json_object_get_string(
                                     get(json_object_array_get_idx(get(doc, "points"), 0),
                                         "headline")),
                                 "Double-buffering costs narrow"));
    ck_assert_int_eq(json_object_get_int(get(get(doc, "runs"), "done")), 2);

    /* CSV: the header names every metric; each row's numbers are the JSON's, digit for
     * digit. */
    csv = read_all(csv_path);
    line = strtok_r(csv, "\n", &save);
    n_header = csv_fields(line, header, 128);
    ck_assert_str_eq(header[0], "variant");
    for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save), row++) {
        int n = csv_fields(line, field, 128);
        json_object *run = json_object_array_get_idx(runs, (size_t)row);
        json_object *fig = get(run, "figures"), *vs = get(run, "vs_baseline");
        ck_assert_int_eq(n, n_header);
        ck_assert_str_eq(field[0], json_object_get_string(get(run, "variant")));
        for (int i = 2; i < n; i++) {
            json_object *v = NULL;
            char key[96];
            if (strncmp(header[i], "time_", 5) == 0) {
                snprintf(key, sizeof(key), "%.*s", (int)strlen(header[i]) - 8, header[i] + 5);
                v = get(get(run, "time_per_io_ns"), key);
            } else if (strstr(header[i], "_vs_baseline") != NULL) {
                snprintf(key, sizeof(key), "%.*s", (int)(strstr(header[i], "_vs_baseline") -
                                                         header[i]), header[i]);
                if (json_object_is_type(vs, json_type_null)) {
                    ck_assert_str_eq(field[i], "");
                    continue;
                }
                v = get(vs, key);
                if (json_object_is_type(v, json_type_null)) {
                    ck_assert_str_eq(field[i], "");
                    continue;
                }
            } else {
                v = get(fig, header[i]);
            }
            ck_assert_msg(fabs(atof(field[i]) - json_object_get_double(v)) < 1e-9,
                          "%s: csv %s, json %f", header[i], field[i],
                          json_object_get_double(v));
        }
    }
    ck_assert_int_eq(row, 2);

    /* vs_baseline is the relative change of the JSON's own figures. */
    {
        json_object *b = get(json_object_array_get_idx(runs, 0), "figures");
        json_object *f = get(json_object_array_get_idx(runs, 1), "figures");
        json_object *vs = get(json_object_array_get_idx(runs, 1), "vs_baseline");
        double bc = json_object_get_double(get(b, "cpu_per_io_ns"));
        double fc = json_object_get_double(get(f, "cpu_per_io_ns"));
        ck_assert(fabs(json_object_get_double(get(vs, "cpu_per_io_ns")) - (fc - bc) / bc) <
                  1e-5);
        ck_assert(fc > bc); /* the 32-bit variant double-buffers: more CPU per I/O */
        ck_assert(json_object_get_double(get(f, "pages_bounced")) > 0);
        ck_assert(json_object_get_double(get(b, "pages_bounced")) == 0);
    }

    /* Text and HTML print every metric of every run as study_format prints the JSON's; a
     * metric shown only where used (cache maintenance, on a coherent machine here: 0 in
     * every run) is left out of both where every run has 0, and stays in CSV and JSON. */
    html = read_all(html_path);
    check_well_formed(html);
    for (int m = 0; m < study_n_metrics; m++) {
        const struct study_metric *k = &study_metrics[m];
        const char *at = strstr(o.out, k->title);
        char want[64], cell[80];
        bool used = false;
        for (size_t i = 0; i < json_object_array_length(runs); i++)
            used = used || json_object_get_double(get(get(json_object_array_get_idx(runs, i),
                                                          "figures"),
                                                      k->key)) != 0;
        if (k->if_used && !used) {
            ck_assert_msg(at == NULL, "'%s' is in the text report, unused", k->title);
            ck_assert_msg(strstr(html, k->title) == NULL, "'%s' is in the HTML report, unused", k->title);
            continue;
        }
        ck_assert_msg(at != NULL, "no '%s' line in the text report", k->title);
        double most = 0, per;
        bool nonzero = false;
        const char *unit;
        for (int r = 0; r < 2; r++) {
            json_object *fig = get(json_object_array_get_idx(runs, (size_t)r), "figures");
            double v = json_object_get_double(get(fig, k->key));
            most = fmax(most, fabs(v));
            nonzero = nonzero || v != 0;
        }
        /* the HTML row names its unit (the one its largest value calls for) */
        study_unit(k->kind, most, &per, &unit);
        snprintf(cell, sizeof(cell), unit[0] ? "<td class=\"key\">%s (%s)</td>"
                                             : "<td class=\"key\">%s</td>", k->title, unit);
        ck_assert_msg(strstr(html, cell) != NULL, "html lacks the row %s", cell);
        for (int r = 0; r < 2; r++) {
            json_object *fig = get(json_object_array_get_idx(runs, (size_t)r), "figures");
            const char *eol = strchr(at, '\n');
            double v = json_object_get_double(get(fig, k->key));
            study_format(k->kind, v, want, sizeof(want));
            ck_assert_msg(strstr(at, want) != NULL && strstr(at, want) < eol,
                          "text '%s' lacks %s", k->title, want);
            study_format_in(k->kind, v, per, want, sizeof(want));
            snprintf(cell, sizeof(cell), "<td>%s</td>", want);
            ck_assert_msg(strstr(strstr(html, k->title), cell) != NULL, "html lacks %s for %s",
                          cell, k->title);
        }
        /* a chart that says nothing (0 in every run) is named, not drawn */
        if (k->chart && nonzero)
            charts++;
        if (k->chart && !nonzero)
            ck_assert_msg(strstr(strstr(html, "Not drawn, 0 in every run: "), k->title) != NULL,
                          "%s: all 0, yet not named as left out", k->title);
    }
    /* one chart per series: each charted metric, the overhead, and where the time went */
    ck_assert_int_eq(count_of(html, "<figure class=\"chart\""), charts + 2);
    ck_assert_int_eq(count_of(html, "<svg "), charts + 2);
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_null(strstr(html, "src=\"")); /* nothing fetched: no network */
    ck_assert_ptr_null(strstr(html, "href=\"http"));
    ck_assert_ptr_nonnull(strstr(html, "Effective configuration"));
    ck_assert_ptr_nonnull(strstr(html, "seed 3"));
    json_object_put(doc);
    free(json_text);
    free(csv);
    free(html);
}
END_TEST

START_TEST(test_sweep_any_jobs)
{
    const char *argv1[] = {"dmasim", "sweep", scn_path, "--format", "json", "-j", "1",
                           "--vary", "machine.memory=4G,16G,64G", "--vary",
                           "workload.w.queue_depth=1..4*2", NULL};
    const char *argv2[] = {"dmasim", "sweep", scn_path, "--format", "json", "-j", "2",
                           "--vary", "machine.memory=4G,16G,64G", "--vary",
                           "workload.w.queue_depth=1..4*2", NULL};
    json_object *doc, *points;

    run_cli(argv1, 0, &o);
    ck_assert_msg(o.status == 0, "%s", o.err);
    run_cli(argv2, 0, &o2);
    ck_assert_int_eq(o2.status, 0);
    ck_assert_str_eq(o.out, o2.out);
    ck_assert_str_eq(o.err, ""); /* no progress line in a machine format */
    doc = json_tokener_parse(o.out);
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(json_object_get_string(get(doc, "kind")), "sweep");
    points = get(doc, "points");
    ck_assert_int_eq(json_object_array_length(points), 9);
    ck_assert_int_eq(json_object_array_length(get(doc, "axes")), 2);
    ck_assert_str_eq(json_object_get_string(get(get(json_object_array_get_idx(points, 4),
                                                     "values"),
                                                 "workload.w.queue_depth")),
                     "2");
    ck_assert_int_eq(json_object_get_int(get(get(doc, "runs"), "done")), 18);
    json_object_put(doc);

    /* the same in text, and through the file's own [sweep] */
    {
        const char *a1[] = {"dmasim", "sweep", scn_path, "-j", "1", NULL};
        const char *a2[] = {"dmasim", "sweep", scn_path, "-j", "3", NULL};
        run_cli(a1, 0, &o);
        run_cli(a2, 0, &o2);
        ck_assert_int_eq(o.status, 0);
        ck_assert_str_eq(o.out, o2.out);
        ck_assert_ptr_nonnull(strstr(o.out, "Double-buffering overhead of narrow against wide"));
        ck_assert_ptr_nonnull(strstr(o.out, "64 GiB"));
    }
}
END_TEST

/* The flagship study: what the 64-bit DMA guidance says, measured with the sourced defaults. */
START_TEST(test_flagship)
{
    const char *argv[] = {"dmasim", "sweep", DMASIM_SOURCE_DIR "/scenarios/study-64bit-dma.ini",
                          "--format", "json", NULL};
    json_object *doc, *points;
    double last = 0, last_above = 0;
    size_t n;

    run_cli(argv, 0, &o);
    ck_assert_msg(o.status == 0, "%s", o.err);
    doc = json_tokener_parse(o.out);
    ck_assert_ptr_nonnull(doc);
    points = get(doc, "points");
    n = json_object_array_length(points);
    ck_assert_int_eq(n, 9);
    for (size_t p = 0; p < n; p++) {
        json_object *pt = json_object_array_get_idx(points, p), *runs = get(pt, "runs");
        json_object *b = get(json_object_array_get_idx(runs, 0), "figures");
        json_object *f = get(json_object_array_get_idx(runs, 1), "figures");
        double over = json_object_get_double(get(get(json_object_array_get_idx(runs, 1),
                                                     "vs_baseline"), "cpu_per_io_ns"));
        double above = json_object_get_double(get(f, "above_limit_share"));
        const char *mem = json_object_get_string(get(get(pt, "values"), "machine.memory"));

        ck_assert(json_object_get_double(get(b, "pages_bounced")) == 0);
        ck_assert(above >= last_above);
        if (strcmp(mem, "8G") == 0) {
            /* "single percentage points" on an 8 GB machine */
            ck_assert_msg(over >= 0.01 && over < 0.10, "8G overhead %f", over);
            ck_assert_ptr_nonnull(strstr(json_object_get_string(get(pt, "headline")),
                                         "Double-buffering costs 32-bit"));
        }
        if (p > 1)
            ck_assert_msg(over >= last - 0.002, "%s: overhead %f fell from %f", mem, over, last);
        last = over;
        last_above = above;
    }
    ck_assert(last_above > 0.99); /* at 1 TiB nearly every page is above 4 GiB */
    json_object_put(doc);
}
END_TEST

/* Copy against remap across transfer sizes: the sweep names where they trade places (copying
 * is cheaper below 4 KiB, strict remapping from there up) and why; the JSON carries the same
 * sentence, and the remapped runs bounce nothing. */
START_TEST(test_remap_crossover)
{
    const char *argv[] = {"dmasim", "sweep", DMASIM_SOURCE_DIR "/scenarios/remap-vs-copy.ini",
                          NULL};
    const char *jargv[] = {"dmasim", "sweep", DMASIM_SOURCE_DIR "/scenarios/remap-vs-copy.ini",
                           "--format", "json", NULL};
    json_object *doc, *cross, *points;
    bool found = false;

    run_cli(argv, 0, &o);
    ck_assert_msg(o.status == 0, "%s", o.err);
    ck_assert_ptr_nonnull(strstr(o.out, "Crossover of copy and remap-strict, in CPU per I/O: "
                                        "copy costs less at 512, 1K, 2K; remap-strict"));
    ck_assert_ptr_nonnull(strstr(o.out, "Why: copy copies"));
    run_cli(jargv, 0, &o);
    ck_assert_msg(o.status == 0, "%s", o.err);
    doc = json_tokener_parse(o.out);
    ck_assert_ptr_nonnull(doc);
    cross = get(doc, "crossovers");
    for (size_t i = 0; i < json_object_array_length(cross); i++)
        found |= strstr(json_object_get_string(json_object_array_get_idx(cross, i)),
                        "Crossover of copy and remap-strict") != NULL;
    ck_assert(found);
    points = get(doc, "points");
    for (size_t p = 0; p < json_object_array_length(points); p++) {
        json_object *runs = get(json_object_array_get_idx(points, p), "runs");
        for (size_t v = 2; v < 4; v++) /* remap-strict, remap-deferred */
            ck_assert(json_object_get_double(get(get(json_object_array_get_idx(runs, v),
                                                     "figures"), "pages_bounced")) == 0);
    }
    json_object_put(doc);
}
END_TEST

/* The non-coherent comparison: stale data exactly when the maintenance is skipped, and the
 * old advice (KeFlushIoBuffers) measured where v3 makes it redundant. */
/* Every value axis of every chart in html: at least three ticks, one step apart, the step 1, 2
 * or 5 times a power of ten, 0 among them; every chart titled with the scenario and seed. */
static void check_charts(const char *html, const char *scenario)
{
    const char *fig = html;
    int n = 0;

    while ((fig = strstr(fig, "<figure class=\"chart\" id=\"chart-")) != NULL) {
        const char *end = strstr(fig, "</figure>"), *t = fig;
        double ticks[64];
        int nt = 0;
        char id[64] = "";
        ck_assert_ptr_nonnull(end);
        sscanf(fig + strlen("<figure class=\"chart\" id=\"chart-"), "%63[^\"]", id);
        {
            const char *title = strstr(fig, "<title>");
            ck_assert(title != NULL && title < end);
            ck_assert_msg(strstr(title, scenario) != NULL && strstr(title, scenario) < end &&
                          strstr(title, ", seed ") < end, "chart %s: no scenario in its title",
                          id);
        }
        if (strcmp(id, "time") == 0) { /* its ticks run along x */
            fig = end;
            n++;
            continue;
        }
        while ((t = strstr(t, "text-anchor=\"end\">")) != NULL && t < end && nt < 64) {
            ck_assert_msg(sscanf(t + strlen("text-anchor=\"end\">"), "%lf", &ticks[nt]) == 1,
                          "chart %s: a tick that is no number", id);
            nt++;
            t++;
        }
        ck_assert_msg(nt >= 3, "chart %s: %d ticks", id, nt);
        double step = ticks[1] - ticks[0], mant;
        bool zero = false;
        ck_assert(step > 0);
        for (int i = 0; i < nt; i++) {
            if (i > 0)
                ck_assert_msg(fabs(ticks[i] - ticks[i - 1] - step) < step * 1e-6,
                              "chart %s: uneven ticks", id);
            zero = zero || fabs(ticks[i]) < step * 1e-6;
        }
        mant = step / pow(10.0, floor(log10(step) + 1e-9));
        ck_assert_msg(fabs(mant - 1) < 1e-6 || fabs(mant - 2) < 1e-6 || fabs(mant - 5) < 1e-6,
                      "chart %s: a step of %g", id, step);
        ck_assert_msg(zero, "chart %s: no zero tick", id);
        fig = end;
        n++;
    }
    ck_assert_int_gt(n, 1);
}

/* Charts people read: round ticks, titled axes with units, a log2 scale for values that
 * double and a linear one for steps; a variant with wrong data marked in every chart and
 * table, its overhead never drawn (no bar, no value) and its changes n/a. */
START_TEST(test_charts)
{
    const char *mem = write_file("charts-mem.ini", "[machine]\ndata = metadata\nseed = 4\n"
                                                   "[device d]\nadapter = storage\n"
                                                   "[workload w]\ndevice = d\ncount = 300\n"
                                                   "[variant wide]\n[variant narrow]\n"
                                                   "device.d.address_bits = 32\n"
                                                   "[sweep]\nmachine.memory = 4G..64G*2\n");
    char path[256], nc[512];
    char *html;

    snprintf(path, sizeof(path), "%s", mem);
    {
        const char *a[] = {"dmasim", "sweep", path, "-o", "/tmp/dmasim-charts.html", NULL};
        run_cli(a, 0, &o);
        ck_assert_msg(o.status == 0, "%s", o.err);
    }
    html = read_all("/tmp/dmasim-charts.html");
    check_charts(html, path);
    ck_assert_ptr_nonnull(strstr(html, ">machine.memory (log2 scale)<"));
    ck_assert_ptr_nonnull(strstr(html, ">CPU per I/O (\xc2\xb5s)<"));       /* the y title */
    ck_assert_ptr_nonnull(strstr(html, ">CPU per I/O vs wide (%)<"));
    ck_assert_ptr_nonnull(strstr(html, "<th>CPU per I/O (\xc2\xb5s)</th>")); /* the table's */
    ck_assert_ptr_null(strstr(html, "KB/s<"));                              /* no raw ticks */
    ck_assert_ptr_nonnull(strstr(html, "Not drawn, 0 in every run: "));      /* no waits */
    ck_assert_ptr_null(strstr(html, "id=\"chart-map_register_wait_per_io_ns\""));
    free(html);
    {
        const char *a[] = {"dmasim", "sweep", path, "--vary", "workload.w.queue_depth=1..9+2",
                           "-o", "/tmp/dmasim-charts.html", NULL};
        run_cli(a, 0, &o);
        ck_assert_msg(o.status == 0, "%s", o.err);
    }
    html = read_all("/tmp/dmasim-charts.html");
    check_charts(html, path);
    ck_assert_ptr_nonnull(strstr(html, ">workload.w.queue_depth (linear scale)<"));
    free(html);
    snprintf(nc, sizeof(nc), "%s/scenarios/noncoherent-cache.ini", DMASIM_SOURCE_DIR);
    {
        const char *a[] = {"dmasim", "compare", nc, "-o", "/tmp/dmasim-charts.html", NULL};
        run_cli(a, 0, &o);
        ck_assert_msg(o.status == 0, "%s", o.err);
    }
    html = read_all("/tmp/dmasim-charts.html");
    check_charts(html, nc);
    {
        const char *ov = strstr(html, "id=\"chart-overhead\""), *end = strstr(ov, "</figure>");
        const char *gain = strstr(ov, "-32.6 %");
        ck_assert(end != NULL);
        /* forgets is 32.6 % cheaper and wrong: a cross and its flaw, no bar and no value */
        ck_assert_msg(gain == NULL || gain > end, "the wrong-data variant drawn as a gain");
        ck_assert_ptr_nonnull(strstr(ov, "forgets: wrong data</title>"));
        ck_assert(strstr(ov, "forgets: wrong data</title>") < end);
    }
    ck_assert_ptr_nonnull(strstr(html, "<th>forgets <span class=\"flaw\">\xe2\x9c\x97 wrong "
                                       "data</span></th>"));
    ck_assert_int_gt(count_of(html, "title=\"wrong data: not a result\">n/a</td>"), 3);
    free(html);
    unlink("/tmp/dmasim-charts.html");
    unlink(path);
}
END_TEST

/* The figure of one variant in a JSON study report. */
static double json_figure(const char *text, int variant, const char *key, const char *part)
{
    json_object *doc = json_tokener_parse(text), *run;
    double v;

    ck_assert_ptr_nonnull(doc);
    run = json_object_array_get_idx(get(json_object_array_get_idx(get(doc, "points"), 0),
                                        "runs"), (size_t)variant);
    if (part == NULL)
        v = json_object_get_double(get(get(run, "figures"), key));
    else
        v = json_object_get_double(get(get(get(run, "spread"), key), part));
    json_object_put(doc);
    return v;
}

/* --repeat / --seeds: each variant on every seed, each figure the mean of the seeds' runs
 * (the same runs --seed K gives one by one) with its standard deviation and Student's 95 %
 * interval; changes paired seed by seed; the same at any -j; in every format; one seed is the
 * plain report byte for byte; bad counts and ranges refused. */
START_TEST(test_repeat)
{
    const char *path = write_file("repeat.ini", "[machine]\nmemory = 8G\ndata = metadata\n"
                                                "[device d]\nadapter = storage\n"
                                                "[workload w]\ndevice = d\ncount = 400\n"
                                                "[variant wide]\n[variant narrow]\n"
                                                "device.d.address_bits = 32\n");
    char scn[160];
    static char first[sizeof(o.out)], plain[sizeof(o.out)];
    double cpu[4], base[4], mean = 0, sq = 0, sd, d[4], dm = 0, dsq = 0, bm = 0;
    json_object *doc, *sp;

    snprintf(scn, sizeof(scn), "%s", path);
    for (int k = 0; k < 4; k++) {
        char seed[8];
        snprintf(seed, sizeof(seed), "%d", 3 + k);
        const char *a[] = {"dmasim", "compare", scn, "--seed", seed, "--format", "json", NULL};
        run_cli(a, 0, &o);
        ck_assert_msg(o.status == 0, "%s", o.err);
        cpu[k] = json_figure(o.out, 1, "cpu_per_io_ns", NULL);
        base[k] = json_figure(o.out, 0, "cpu_per_io_ns", NULL);
        mean += cpu[k] / 4;
        d[k] = cpu[k] - base[k];
        dm += d[k] / 4;
        bm += base[k] / 4;
    }
    for (int k = 0; k < 4; k++) {
        sq += (cpu[k] - mean) * (cpu[k] - mean);
        dsq += (d[k] - dm) * (d[k] - dm);
    }
    sd = sqrt(sq / 3);
    ck_assert_msg(sd > 0, "the seeds must differ for this test to mean anything");
    {
        const char *a[] = {"dmasim", "compare", scn, "--seeds", "3..6", "--format", "json",
                           "-j", "1", NULL};
        run_cli(a, 0, &o);
        ck_assert_msg(o.status == 0, "%s", o.err);
        snprintf(first, sizeof(first), "%s", o.out);
    }
    ck_assert_double_eq_tol(json_figure(first, 1, "cpu_per_io_ns", NULL), mean, 1e-3);
    ck_assert_double_eq_tol(json_figure(first, 1, "cpu_per_io_ns", "mean"), mean, 1e-3);
    ck_assert_double_eq_tol(json_figure(first, 1, "cpu_per_io_ns", "sd"), sd, 1e-3);
    ck_assert_double_eq_tol(json_figure(first, 1, "cpu_per_io_ns", "ci95"),
                            3.182 * sd / 2.0, 1e-3); /* t(3) = 3.182, sqrt(4) = 2 */
    doc = json_tokener_parse(first);
    ck_assert_int_eq(json_object_array_length(get(doc, "seeds")), 4);
    ck_assert_int_eq(json_object_get_int(json_object_array_get_idx(get(doc, "seeds"), 0)), 3);
    sp = get(get(json_object_array_get_idx(get(json_object_array_get_idx(get(doc, "points"), 0),
                                               "runs"), 1), "vs_baseline_spread"),
             "cpu_per_io_ns");
    ck_assert_double_eq_tol(json_object_get_double(get(sp, "change")), dm / bm, 1e-6);
    ck_assert_double_eq_tol(json_object_get_double(get(sp, "ci95")),
                            3.182 * sqrt(dsq / 3) / 2.0 / bm, 1e-6);
    ck_assert(json_object_get_boolean(get(sp, "significant")) ==
              (fabs(dm) > 3.182 * sqrt(dsq / 3) / 2.0));
    json_object_put(doc);
    {   /* the same at any -j */
        const char *a[] = {"dmasim", "compare", scn, "--seeds", "3..6", "--format", "json",
                           "-j", "3", NULL};
        run_cli(a, 0, &o);
        ck_assert_msg(strcmp(o.out, first) == 0, "-j 3 differs from -j 1");
    }
    {   /* --repeat 4 from the file's seed 3 is --seeds 3..6 */
        const char *a[] = {"dmasim", "compare", scn, "--repeat", "4", "--seed", "3", "--format",
                           "json", NULL};
        run_cli(a, 0, &o);
        ck_assert_msg(strcmp(o.out, first) == 0, "--repeat 4 --seed 3 differs from --seeds 3..6");
    }
    {   /* every format */
        const char *t[] = {"dmasim", "compare", scn, "--seeds", "3..6", NULL};
        const char *c[] = {"dmasim", "compare", scn, "--seeds", "3..6", "--format", "csv", NULL};
        const char *h[] = {"dmasim", "compare", scn, "--seeds", "3..6", "--format", "html", NULL};
        run_cli(t, 0, &o);
        ck_assert_ptr_nonnull(strstr(o.out, "seeds 3..6"));
        ck_assert_ptr_nonnull(strstr(o.out, "each figure is the mean of 4 runs"));
        ck_assert_ptr_nonnull(strstr(o.out, " \xc2\xb1"));
        run_cli(c, 0, &o);
        ck_assert_ptr_nonnull(strstr(o.out, ",seeds,"));
        ck_assert_ptr_nonnull(strstr(o.out, ",cpu_per_io_ns_sd,cpu_per_io_ns_ci95,"));
        ck_assert_ptr_nonnull(strstr(o.out, ",cpu_per_io_ns_vs_baseline_significant"));
        run_cli(h, 0, &o);
        ck_assert_ptr_nonnull(strstr(o.out, "<p>Seeds 3..6, "));
        ck_assert_ptr_nonnull(strstr(o.out, "<span class=\"ci\">\xc2\xb1"));
        ck_assert_ptr_nonnull(strstr(o.out, "title=\"sd "));
    }
    {   /* one seed: the plain report, byte for byte */
        const char *a[] = {"dmasim", "compare", scn, "--format", "json", NULL};
        const char *b[] = {"dmasim", "compare", scn, "--repeat", "1", "--format", "json", NULL};
        run_cli(a, 0, &o);
        snprintf(plain, sizeof(plain), "%s", o.out);
        run_cli(b, 0, &o);
        ck_assert_msg(strcmp(o.out, plain) == 0, "--repeat 1 differs from the plain report");
    }
    {
        const char *bad[][8] = {
            {"dmasim", "compare", scn, "--repeat", "0", NULL},
            {"dmasim", "compare", scn, "--repeat", "101", NULL},
            {"dmasim", "compare", scn, "--seeds", "5..2", NULL},
            {"dmasim", "compare", scn, "--seeds", "1..200", NULL},
            {"dmasim", "compare", scn, "--seeds", "7", NULL},
            {"dmasim", "compare", scn, "--seeds", "1..4", "--seed", "2", NULL},
            {"dmasim", "compare", scn, "--repeat", "2", "--seeds", "1..4", NULL},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            run_cli(bad[i], 0, &o);
            ck_assert_msg(o.status == 2, "case %zu: status %d", i, o.status);
            ck_assert_str_eq(o.out, "");
        }
    }
    unlink(scn);
}
END_TEST

START_TEST(test_noncoherent_study)
{
    const char *argv[] = {"dmasim", "compare",
                          DMASIM_SOURCE_DIR "/scenarios/noncoherent-cache.ini", "--format",
                          "json", NULL};
    const char *text[] = {"dmasim", "compare",
                          DMASIM_SOURCE_DIR "/scenarios/noncoherent-cache.ini", NULL};
    json_object *doc, *runs;
    double cpu[4], lines[4], stale;

    run_cli(argv, 0, &o);
    ck_assert_msg(o.status == 0, "%s", o.err);
    doc = json_tokener_parse(o.out);
    ck_assert_ptr_nonnull(doc);
    runs = get(json_object_array_get_idx(get(doc, "points"), 0), "runs");
    ck_assert_int_eq(json_object_array_length(runs), 4);
    for (int v = 0; v < 4; v++) {
        json_object *f = get(json_object_array_get_idx(runs, (size_t)v), "figures");
        double verified = json_object_get_double(get(f, "verified"));
        double bad = json_object_get_double(get(f, "mismatches"));
        double findings = json_object_get_double(get(f, "findings"));

        cpu[v] = json_object_get_double(get(f, "cpu_per_io_ns"));
        lines[v] = json_object_get_double(get(f, "cache_lines_per_io"));
        stale = json_object_get_double(get(f, "stale_bytes"));
        ck_assert(verified == 2000);
        if (v < 3) { /* v1-flush, v3, v3-flush: every byte right */
            ck_assert_msg(bad == 0 && findings == 0, "variant %d: %f mismatches", v, bad);
            ck_assert(stale == 0);
        } else { /* forgets: every I/O wrong, each named */
            ck_assert(bad == verified);
            ck_assert(findings >= bad);
            ck_assert(stale > 0);
        }
    }
    ck_assert(lines[0] > 0 && lines[0] == lines[1]); /* the same lines, by either routine */
    ck_assert(lines[2] == 2 * lines[1]);             /* v3-flush: each line twice */
    ck_assert(lines[3] == 0);
    ck_assert(cpu[2] > cpu[1]); /* KeFlushIoBuffers on top of v3: a real, redundant cost */
    ck_assert(cpu[3] < cpu[0]); /* skipping the maintenance is cheaper, and wrong */
    json_object_put(doc);
    run_cli(text, 0, &o);
    ck_assert_int_eq(o.status, 0);
    ck_assert_ptr_nonnull(strstr(o.out, "forgets returned wrong data"));
    ck_assert_ptr_nonnull(strstr(o.out, "cache lines maintained per I/O"));
    ck_assert_ptr_nonnull(strstr(o.out, "bytes read stale"));
    {   /* the wrong variant's column says so, and none of its changes reads as a gain */
        const char *cpu_line = strstr(o.out, "\nCPU per I/O ");
        const char *eol = cpu_line ? strchr(cpu_line + 1, '\n') : NULL;
        ck_assert_ptr_nonnull(strstr(o.out, "!! wrong data  vs baseline"));
        ck_assert(eol != NULL);
        ck_assert(strstr(cpu_line, "-32.6 %") == NULL || strstr(cpu_line, "-32.6 %") > eol);
        ck_assert(strstr(cpu_line, "n/a") != NULL && strstr(cpu_line, "n/a") < eol);
    }
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Bad input: exit 2, the place named, nothing run.
 */
static void expect_bad(const char *const *argv, const char *want)
{
    run_cli(argv, 0, &o);
    ck_assert_msg(o.status == 2, "%s: status %d", argv[1], o.status);
    ck_assert_msg(strstr(o.err, want) != NULL, "wanted '%s' in: %s", want, o.err);
    ck_assert_str_eq(o.out, "");
}

START_TEST(test_bad_input)
{
    char path[160], want[320];
    const char *base = "[machine]\nmemory = 8G\ndata = metadata\n"
                       "[device disk0]\nadapter = storage\n"
                       "[workload w]\ndevice = disk0\nsize = 8K\ncount = 100\n";
    char text[1024];

    /* no variants to compare */
    snprintf(path, sizeof(path), "%s", write_file("novar.ini", base));
    {
        const char *a[] = {"dmasim", "compare", path, NULL};
        expect_bad(a, "needs at least two variants");
    }
    {
        const char *a[] = {"dmasim", "sweep", path, NULL};
        expect_bad(a, "nothing to sweep");
    }
    {
        const char *a[] = {"dmasim", "sweep", path, "--vary", "nodot=1", NULL};
        expect_bad(a, "--vary 'nodot=1': 'nodot=1': expected section.key=value");
    }
    {
        const char *a[] = {"dmasim", "sweep", path, "--vary", "bogus.key=1", NULL};
        expect_bad(a, "unknown section 'bogus'");
    }
    {
        const char *a[] = {"dmasim", "sweep", path, "--vary", "machine.cpus=1", "--vary",
                           "machine.seed=1", "--vary", "machine.memory=8G", NULL};
        expect_bad(a, "at most 2 parameters");
    }
    {
        const char *a[] = {"dmasim", "compare", path, "--vary", "machine.cpus=1,2", NULL};
        expect_bad(a, "--vary belongs to dmasim sweep");
    }
    {
        const char *a[] = {"dmasim", "sweep", path, "--vary", "machine.cpus=1,2", "-j", "0",
                           NULL};
        expect_bad(a, "-j 0");
    }
    {
        const char *a[] = {"dmasim", "compare", path, "--variant", "a:", "--variant", "a:",
                           NULL};
        expect_bad(a, "a second variant named 'a'");
    }
    {
        const char *a[] = {"dmasim", "compare", path, "--variant", "a:", "--variant",
                           "b:device.disk0.address_bits=99", NULL};
        expect_bad(a, "--variant 'b:device.disk0.address_bits=99': address_bits");
    }
    {
        const char *a[] = {"dmasim", "compare", path, "--variant", "a:", "--variant", "b:",
                           "--device", "nodisk", NULL};
        expect_bad(a, "no [device nodisk]");
    }
    {
        const char *a[] = {"dmasim", "compare", path, "--format", "pdf", NULL};
        expect_bad(a, "accepted: text, json, csv, html");
    }

    /* a [variant] key that does not exist: file:line, and `run` refuses the file too */
    snprintf(text, sizeof(text), "%s[variant a]\n[variant b]\ndevice.disk0.colour = red\n",
             base);
    snprintf(path, sizeof(path), "%s", write_file("badkey.ini", text));
    snprintf(want, sizeof(want), "%s:12: unknown key 'colour'", path);
    {
        const char *a[] = {"dmasim", "compare", path, NULL};
        expect_bad(a, want);
    }
    {
        const char *a[] = {"dmasim", "run", path, NULL};
        expect_bad(a, want);
    }
    /* a variant whose combination no single key shows wrong: blamed on its line */
    snprintf(text, sizeof(text), "%s[variant a]\n[variant small]\ndevice.disk0.max_transfer = "
             "4K\n", base);
    snprintf(path, sizeof(path), "%s", write_file("badcombo.ini", text));
    snprintf(want, sizeof(want), "%s:11: variant 'small' does not make a valid scenario", path);
    {
        const char *a[] = {"dmasim", "compare", path, NULL};
        expect_bad(a, want);
        ck_assert_msg(strstr(o.err, "max_transfer 4 KiB") != NULL, "%s", o.err);
    }
    /* a [sweep] range that cannot be: file:line */
    snprintf(text, sizeof(text), "%s[sweep]\nmachine.memory = 8G..4G*2\n", base);
    snprintf(path, sizeof(path), "%s", write_file("badsweep.ini", text));
    snprintf(want, sizeof(want), "%s:11: machine.memory", path);
    {
        const char *a[] = {"dmasim", "sweep", path, NULL};
        expect_bad(a, want);
    }
    /* a sweep point that makes the scenario invalid: named, nothing run */
    snprintf(text, sizeof(text), "%s[sweep]\nmachine.memory = 8G, 4M\n", base);
    snprintf(path, sizeof(path), "%s", write_file("badpoint.ini", text));
    {
        const char *a[] = {"dmasim", "sweep", path, NULL};
        expect_bad(a, "memory");
    }
    snprintf(text, sizeof(text), "%s[sweep]\nmachine.cpus = 1\nmachine.cpus = 2\n", base);
    snprintf(path, sizeof(path), "%s", write_file("twice.ini", text));
    snprintf(want, sizeof(want), "%s:12: 'machine.cpus' is swept twice", path);
    {
        const char *a[] = {"dmasim", "sweep", path, NULL};
        expect_bad(a, want);
    }
}
END_TEST

/* Ctrl-C: finished points are kept, the rest counted as skipped, exit 130. */
START_TEST(test_sweep_sigint)
{
    const char *text = "[machine]\nmemory = 8G\ndata = metadata\n"
                       "[device disk0]\nadapter = storage\naddress_bits = 32\n"
                       "[workload w]\ndevice = disk0\nsize = 8K\nqueue_depth = 4\n"
                       "count = 200000\n"
                       "[sweep]\nmachine.seed = 1..16+1\n";
    char path[160];

    snprintf(path, sizeof(path), "%s", write_file("long.ini", text));
    {
        const char *a[] = {"dmasim", "sweep", path, "-j", "1", NULL};
        run_cli(a, 400, &o);
    }
    ck_assert_msg(o.status == 130, "status %d: %s", o.status, o.err);
    ck_assert_ptr_nonnull(strstr(o.out, "STOPPED: "));
    ck_assert_ptr_nonnull(strstr(o.out, "runs were skipped"));
    ck_assert_ptr_nonnull(strstr(o.err, "stopping"));
    ck_assert_ptr_nonnull(strstr(o.err, "runs skipped"));
}
END_TEST

/* On a terminal: a progress line for text and html, cleared before the report; never for
 * json or csv. util-linux's script(1) gives the command a terminal. */
static void through_script(const char *term, const char *args, char *out, size_t cap)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), "TERM=%s script -qec '%s %s' /dev/null", term, DMASIM_BIN, args);
    run_shell(cmd, out, cap);
}

START_TEST(test_progress_on_terminal)
{
    const char *text = "[machine]\nmemory = 8G\ndata = metadata\n"
                       "[device disk0]\nadapter = storage\naddress_bits = 32\n"
                       "[workload w]\ndevice = disk0\nsize = 8K\nqueue_depth = 4\n"
                       "count = 200000\n"
                       "[sweep]\nmachine.seed = 1..12+1\n";
    static char out[1 << 18];
    char path[160], args[400];

    snprintf(path, sizeof(path), "%s", write_file("progress.ini", text));
    snprintf(args, sizeof(args), "sweep %s -j 1", path);
    through_script("xterm", args, out, sizeof(out));
    ck_assert_msg(strstr(out, "runs done") != NULL, "no progress line in: %.300s", out);
    ck_assert_ptr_nonnull(strstr(out, "\r\033[K"));
    /* cleared before the report: the report starts on a clean line */
    ck_assert_ptr_nonnull(strstr(out, "\r\033[Kdmasim sweep: "));
    snprintf(args, sizeof(args), "sweep %s -j 1 --format json", path);
    through_script("xterm", args, out, sizeof(out));
    ck_assert_ptr_null(strstr(out, "runs done"));
    ck_assert_ptr_nonnull(strstr(out, "\"schema\": \"dmasim-study/1\""));
    /* a terminal that takes no escape sequences gets none */
    snprintf(args, sizeof(args), "sweep %s -j 1", path);
    through_script("dumb", args, out, sizeof(out));
    ck_assert_ptr_null(strstr(out, "\033"));
    ck_assert_ptr_nonnull(strstr(out, "dmasim sweep: "));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("study");
    TCase *tc = tcase_create("study");

    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_variant_parse);
    tcase_add_test(tc, test_axis);
    tcase_add_test(tc, test_formats_agree);
    tcase_add_test(tc, test_long_variant_names);
    tcase_add_test(tc, test_sweep_any_jobs);
    tcase_add_test(tc, test_flagship);
    tcase_add_test(tc, test_remap_crossover);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_noncoherent_study);
    tcase_add_test(tc, test_charts);
    tcase_add_test(tc, test_repeat);
    tcase_add_test(tc, test_sweep_sigint);
    tcase_add_test(tc, test_progress_on_terminal);
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
