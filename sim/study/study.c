/*
 * study.c - planning, checking and running the runs of a comparison or a sweep (see study.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "run.h"
#include "scenario_int.h"
#include "study.h"
#include "units.h"

const char *study_time_name(enum study_time t)
{
    static const char *const names[] = {
#define STUDY_TIME_NAME(name, text) text,
        STUDY_TIME_MAP(STUDY_TIME_NAME)
#undef STUDY_TIME_NAME
    };
    return (unsigned)t < STUDY_TIME_COUNT ? names[t] : "unknown";
}

/* ---------------------------------------------------------------------------------------------
 * Variants from the command line.
 */
int study_variant_parse(const char *text, struct study_variant *out, char *why, size_t len)
{
    const char *colon = strchr(text, ':');
    char rest[SCN_SET_MAX * 4], *save = NULL, *piece;
    size_t name_len = colon ? (size_t)(colon - text) : 0;

    memset(out, 0, sizeof(*out));
    if (colon == NULL || name_len == 0 || name_len >= SCN_NAME_MAX) {
        snprintf(why, len, "'%.100s': expected NAME:section.key=value,... (a name of 1 .. %d "
                 "characters, then a colon)", text, SCN_NAME_MAX - 1);
        return -1;
    }
    for (size_t i = 0; i < name_len; i++) {
        char c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-')) {
            snprintf(why, len, "'%.*s': a variant's name is letters, digits, '_' or '-'",
                     (int)name_len, text);
            return -1;
        }
    }
    memcpy(out->name, text, name_len);
    snprintf(out->where, sizeof(out->where), "--variant '%.*s'", SCN_SET_MAX, text);
    if (strlen(colon + 1) >= sizeof(rest)) {
        snprintf(why, len, "'%.60s...': too long", text);
        return -1;
    }
    snprintf(rest, sizeof(rest), "%s", colon + 1);
    for (piece = strtok_r(rest, ",", &save); piece != NULL; piece = strtok_r(NULL, ",", &save)) {
        struct scn_set *set;
        if (strchr(piece, '=') == NULL && out->n_sets > 0) {
            set = &out->sets[out->n_sets - 1];
            if (strlen(set->text) + strlen(piece) + 2 > sizeof(set->text)) {
                snprintf(why, len, "'%.60s': a value is too long", piece);
                return -1;
            }
            strcat(set->text, ",");
            strcat(set->text, piece);
            continue;
        }
        if (strchr(piece, '=') == NULL || out->n_sets == SCN_MAX_SETS ||
            strlen(piece) >= sizeof(set->text)) {
            snprintf(why, len, "'%.60s': each override is section.key=value (at most %d)",
                     piece, SCN_MAX_SETS);
            return -1;
        }
        set = &out->sets[out->n_sets++];
        snprintf(set->text, sizeof(set->text), "%s", piece);
        set->line = 0;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Points and runs.
 */
uint32_t study_point_index(const struct study *st, uint32_t point, uint32_t axis)
{
    if (axis >= st->n_axes)
        return 0;
    if (st->n_axes == 2)
        return axis == 0 ? point / st->axes[1].n : point % st->axes[1].n;
    return point;
}

void study_point_label(const struct study *st, uint32_t point, char *out, size_t len)
{
    char a[64] = "", b[64] = "";

    if (st->n_axes == 0) {
        snprintf(out, len, "-");
        return;
    }
    scenario_axis_label(&st->axes[0], study_point_index(st, point, 0), a, sizeof(a));
    if (st->n_axes == 2)
        scenario_axis_label(&st->axes[1], study_point_index(st, point, 1), b, sizeof(b));
    snprintf(out, len, "%s%s%s", a, st->n_axes == 2 ? ", " : "", b);
}

const struct study_run *study_get(const struct study *st, uint32_t point, uint32_t variant)
{
    if (point >= st->n_points || variant >= st->n_variants)
        return NULL;
    return &st->cells[point * st->n_variants + variant];
}

const struct study_run *study_rep(const struct study *st, uint32_t point, uint32_t variant,
                                  uint32_t rep)
{
    if (point >= st->n_points || variant >= st->n_variants || rep >= st->n_seeds)
        return NULL;
    return &st->runs[(point * st->n_variants + variant) * st->n_seeds + rep];
}

int study_seeds_parse(struct study *st, const char *text, bool range, char *why, size_t len)
{
    uint64_t a, b;
    const char *dots = strstr(text, "..");
    char lo[64];

    if (!range) {
        if (units_count(text, &a, why, len) != 0 || a < 1 || a > STUDY_MAX_SEEDS) {
            snprintf(why, len, "--repeat %s: a number of seeds, 1 .. %d", text,
                     STUDY_MAX_SEEDS);
            return -1;
        }
        st->repeat = (uint32_t)a;
        return 0;
    }
    if (dots == NULL || (size_t)(dots - text) >= sizeof(lo)) {
        snprintf(why, len, "--seeds %s: a range of seeds, A..B (1..8)", text);
        return -1;
    }
    snprintf(lo, sizeof(lo), "%.*s", (int)(dots - text), text);
    if (units_count(lo, &a, why, len) != 0 || units_count(dots + 2, &b, why, len) != 0 ||
        b < a || b - a >= STUDY_MAX_SEEDS) {
        snprintf(why, len, "--seeds %s: a range of seeds, A..B with A <= B, at most %d seeds",
                 text, STUDY_MAX_SEEDS);
        return -1;
    }
    st->seed_range = true;
    st->seed_lo = a;
    st->seed_hi = b;
    return 0;
}

/* The overrides of one run: --set, the variant's, the point's. */
struct run_overrides {
    struct scn_override ov[64 + SCN_MAX_SETS + SCN_MAX_AXES];
    char sets_where[64][SCN_SET_MAX + 16];
    char point_text[SCN_MAX_AXES][SCN_SET_MAX + SCN_VALUE_MAX + 2];
    int n;
};

static void overrides_of(const struct study *st, uint32_t point, uint32_t variant,
                         struct run_overrides *o)
{
    const struct study_variant *v = &st->variants[variant];

    o->n = 0;
    for (int i = 0; i < st->n_sets && i < 64; i++) {
        snprintf(o->sets_where[i], sizeof(o->sets_where[i]), "--set '%.*s'", SCN_SET_MAX,
                 st->sets[i]);
        o->ov[o->n++] = (struct scn_override){st->sets[i], o->sets_where[i], 0};
    }
    for (uint32_t j = 0; j < v->n_sets; j++)
        o->ov[o->n++] = (struct scn_override){v->sets[j].text, v->where, v->sets[j].line};
    for (uint32_t a = 0; a < st->n_axes; a++) {
        snprintf(o->point_text[a], sizeof(o->point_text[a]), "%s=%s", st->axes[a].key,
                 st->axes[a].value[study_point_index(st, point, a)]);
        o->ov[o->n++] = (struct scn_override){o->point_text[a], st->axis_where[a],
                                              st->axis_line[a]};
    }
}

static int build_run(const struct study *st, uint32_t point, uint32_t variant, uint32_t rep,
                     struct scenario **out, struct scn_errors *err)
{
    const uint64_t *seed = st->n_seeds > 1 ? &st->seeds[rep] : st->have_seed ? &st->seed : NULL;
    struct run_overrides *o = malloc(sizeof(*o));
    int rc;

    if (o == NULL) {
        memset(err, 0, sizeof(*err));
        scn_error(err, st->path, 0, "out of memory");
        return -1;
    }
    overrides_of(st, point, variant, o);
    rc = scenario_build(st->path, st->text, st->size, o->ov, o->n, seed, out, err);
    free(o);
    return rc;
}

struct scenario *study_scenario(const struct study *st, uint32_t point, uint32_t variant,
                                uint32_t rep, char *why, size_t len)
{
    struct scenario *s;
    struct scn_errors err;

    if (point >= st->n_points || variant >= st->n_variants || rep >= st->n_seeds) {
        snprintf(why, len, "no such run");
        return NULL;
    }
    if (build_run(st, point, variant, rep, &s, &err) != 0) {
        snprintf(why, len, "%s", err.count ? err.text[0] : "out of memory");
        return NULL;
    }
    return s;
}

/* ---------------------------------------------------------------------------------------------
 * Planning.
 */
static int take_variants(struct study *st, const struct study_variant *cli, uint32_t n_cli,
                         struct scn_errors *err)
{
    const struct scenario *b = st->base;

    if (n_cli > 0) {
        for (uint32_t i = 0; i < n_cli; i++)
            for (uint32_t j = 0; j < i; j++)
                if (strcmp(cli[i].name, cli[j].name) == 0) {
                    scn_error(err, cli[i].where, 0, "a second variant named '%s'", cli[i].name);
                    return -1;
                }
        memcpy(st->variants, cli, n_cli * sizeof(*cli));
        st->n_variants = n_cli;
        return 0;
    }
    for (uint32_t i = 0; i < b->n_variants; i++) {
        struct study_variant *v = &st->variants[i];
        snprintf(v->name, sizeof(v->name), "%s", b->variants[i].name);
        snprintf(v->where, sizeof(v->where), "%s", st->path);
        v->line = b->variants[i].line;
        v->n_sets = b->variants[i].n_sets;
        memcpy(v->sets, b->variants[i].sets, sizeof(v->sets));
    }
    st->n_variants = b->n_variants;
    if (st->n_variants == 0 && st->sweep) {
        snprintf(st->variants[0].name, SCN_NAME_MAX, "scenario");
        snprintf(st->variants[0].where, sizeof(st->variants[0].where), "%s", st->path);
        st->n_variants = 1;
    }
    if (!st->sweep && st->n_variants < 2) {
        scn_error(err, st->path, 0, "a comparison needs at least two variants: declare "
                  "[variant NAME] sections (the first is the baseline) or give --variant "
                  "twice or more");
        return -1;
    }
    return 0;
}

static int take_axes(struct study *st, const char *const *vary, uint32_t n_vary,
                     struct scn_errors *err)
{
    const struct scenario *b = st->base;

    if (!st->sweep)
        return 0;
    if (n_vary > SCN_MAX_AXES) {
        scn_error(err, "--vary", 0, "a sweep varies at most %d parameters", SCN_MAX_AXES);
        return -1;
    }
    st->n_axes = n_vary > 0 ? n_vary : b->n_sweep;
    if (st->n_axes == 0) {
        scn_error(err, st->path, 0, "nothing to sweep: add a [sweep] section or give --vary "
                  "section.key=VALUES");
        return -1;
    }
    for (uint32_t a = 0; a < st->n_axes; a++) {
        const char *spec = n_vary > 0 ? vary[a] : b->sweep[a].text;
        if (n_vary > 0) {
            snprintf(st->axis_where[a], sizeof(st->axis_where[a]), "--vary '%.*s'", SCN_SET_MAX,
                     vary[a]);
            st->axis_line[a] = 0;
        } else {
            snprintf(st->axis_where[a], sizeof(st->axis_where[a]), "%s", st->path);
            st->axis_line[a] = b->sweep[a].line;
        }
        if (scenario_axis(b, spec, st->axis_where[a], st->axis_line[a], &st->axes[a], err) != 0)
            return -1;
    }
    if (st->n_axes == 2 && strcmp(st->axes[0].key, st->axes[1].key) == 0) {
        scn_error(err, st->axis_where[1], st->axis_line[1], "'%s' is swept twice",
                  st->axes[1].key);
        return -1;
    }
    return 0;
}

int study_plan(struct study *st, const struct study_variant *cli_variants, uint32_t n_cli,
               const char *const *cli_vary, uint32_t n_vary, struct scn_errors *err)
{
    const char *const *sets = st->sets;

    if (st->seed_range) { /* the configuration reported is the first seed's */
        st->seed = st->seed_lo;
        st->have_seed = true;
    }
    if (st->text == NULL) /* a merge brings the text its shards ran */
        st->text = scenario_read(st->path, &st->size, err);
    if (st->text == NULL)
        return -1;
    if (scenario_load_text(st->path, st->text, st->size, sets, st->n_sets,
                           st->have_seed ? &st->seed : NULL, &st->base, err) != 0)
        return -1;
    if (take_variants(st, cli_variants, n_cli, err) != 0 ||
        take_axes(st, cli_vary, n_vary, err) != 0)
        return -1;
    st->n_points = 1;
    for (uint32_t a = 0; a < st->n_axes; a++)
        st->n_points *= st->axes[a].n;
    st->n_seeds = 1;
    if (st->seed_range) {
        st->n_seeds = (uint32_t)(st->seed_hi - st->seed_lo + 1);
        for (uint32_t i = 0; i < st->n_seeds; i++)
            st->seeds[i] = st->seed_lo + i;
    } else if (st->repeat > 1) {
        st->n_seeds = st->repeat;
        for (uint32_t i = 0; i < st->n_seeds; i++)
            st->seeds[i] = st->base->machine.seed + i;
    }
    if ((uint64_t)st->n_points * st->n_variants * st->n_seeds > STUDY_MAX_RUNS) {
        scn_error(err, st->path, 0, "%u points x %u variants x %u seeds is more than %d runs",
                  st->n_points, st->n_variants, st->n_seeds, STUDY_MAX_RUNS);
        return -1;
    }
    if (st->device[0] != '\0') {
        bool found = false;
        for (uint32_t i = 0; i < st->base->n_devices; i++)
            found = found || strcmp(st->base->devices[i].name, st->device) == 0;
        if (!found) {
            scn_error(err, "--device", 0, "the scenario has no [device %s]", st->device);
            return -1;
        }
    }
    st->n_cells = st->n_points * st->n_variants;
    st->n_runs = st->n_cells * st->n_seeds;
    st->runs = calloc(st->n_runs, sizeof(*st->runs));
    st->cells = calloc(st->n_cells, sizeof(*st->cells));
    if (st->runs == NULL || st->cells == NULL) {
        scn_error(err, st->path, 0, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < st->n_runs; i++) {
        st->runs[i].point = i / st->n_seeds / st->n_variants;
        st->runs[i].variant = i / st->n_seeds % st->n_variants;
        st->runs[i].rep = i % st->n_seeds;
    }
    /* Every run's scenario must be good before any runs: nothing half-done (the seed makes
     * no scenario good or bad: each point and variant is checked once). */
    for (uint32_t c = 0; c < st->n_cells; c++) {
        struct scenario *s;
        struct scn_errors e;
        char label[80];
        uint32_t point = c / st->n_variants, variant = c % st->n_variants;

        st->cells[c].point = point;
        st->cells[c].variant = variant;
        if (build_run(st, point, variant, 0, &s, &e) == 0) {
            scenario_free(s);
            continue;
        }
        study_point_label(st, point, label, sizeof(label));
        memset(err, 0, sizeof(*err));
        scn_error(err, st->variants[variant].where, st->variants[variant].line,
                  "variant '%s'%s%s does not make a valid scenario:",
                  st->variants[variant].name, st->n_axes ? " at " : "",
                  st->n_axes ? label : "");
        for (int k = 0; k < e.count && err->count < SCN_MAX_ERRORS; k++)
            snprintf(err->text[err->count++], sizeof(err->text[0]), "  %.300s", e.text[k]);
        err->more += e.more;
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Running.
 */
static void figures_of(const struct study *st, const struct run_result *r,
                       struct study_figures *f)
{
    const struct run_device *d = &r->total;
    double ios;

    for (uint32_t i = 0; st->device[0] != '\0' && i < r->n_devices; i++)
        if (strcmp(r->devices[i].name, st->device) == 0)
            d = &r->devices[i];
    memset(f, 0, sizeof(*f));
    f->ios = d->ios;
    f->failed = d->failed;
    f->bytes = d->bytes;
    f->elapsed_ns = d->ios > 0 ? d->last_complete_ns : 0; /* runs start at 0, as in run's */
    if (f->elapsed_ns > 0) {
        f->throughput = (double)d->bytes * 1e9 / (double)f->elapsed_ns;
        f->iops = (double)(d->ios - d->failed) * 1e9 / (double)f->elapsed_ns;
    }
    ios = d->ios > 0 ? (double)d->ios : 1.0;
    for (int c = 0; c < CPU_CATEGORY_COUNT; c++)
        f->cpu_per_io_ns += (double)d->cpu_ns[c] / ios;
    f->time_per_io_ns[STUDY_TIME_APP] = (double)d->cpu_ns[CPU_APP] / ios;
    f->time_per_io_ns[STUDY_TIME_DRIVER] =
        (double)(d->cpu_ns[CPU_DRIVER] + d->cpu_ns[CPU_MAPPING] + d->cpu_ns[CPU_DRIVER_COPY]) /
        ios;
    f->time_per_io_ns[STUDY_TIME_BOUNCE] = (double)d->cpu_ns[CPU_BOUNCE] / ios;
    f->time_per_io_ns[STUDY_TIME_MAPREG] = (double)d->cpu_ns[CPU_MAPREG] / ios;
    f->time_per_io_ns[STUDY_TIME_INTERRUPT] = (double)d->cpu_ns[CPU_INTERRUPT] / ios;
    f->time_per_io_ns[STUDY_TIME_DEVICE] =
        (double)(d->engine.busy_ns + d->engine.latency_ns) / ios;
    f->p50_ns = hist_quantile(&d->latency, 0.50);
    f->p99_ns = hist_quantile(&d->latency, 0.99);
    f->max_ns = d->latency.count ? d->latency.max : 0;
    f->pages_mapped = d->hal.pages_mapped;
    f->pages_bounced = d->hal.pages_bounced;
    f->pages_above_limit = d->hal.pages_bounced_above_limit;
    f->bytes_bounced = d->hal.bytes_bounced_to_device + d->hal.bytes_bounced_from_device;
    f->map_register_waits = d->hal.map_register_waits;
    f->map_register_wait_ns = d->hal.map_register_wait_ns;
    f->mappings = d->hal.transfers;
    f->sg_elements = d->hal.sg_elements;
    f->map_registers_peak = d->hal.map_registers_peak;
    f->device_idle_ns = d->device_idle_ns;
    f->frames_captured = d->frames.frames_done;
    f->frames_dropped = d->frames.frames_dropped;
    f->frames_late = d->frames_late;
    f->lock_attempts = d->frames.lock_attempts;
    f->lock_failures = d->frames.lock_failures;
    f->frames_mapped = d->frames.frames_mapped;
    f->frame_map_registers = d->frames.map_registers_mapped;
    f->verified = d->verified;
    f->mismatches = d->mismatches;
    f->findings = st->device[0] != '\0' ? d->findings : r->findings;
    f->lost = d->lost;
    f->cache_lines = d->hal.cache_lines_cleaned + d->hal.cache_lines_invalidated;
    f->stale_bytes = d->hal.stale_bytes_to_device + d->hal.stale_bytes_to_cpu;
    f->interrupted = r->interrupted;
}

static void work(void *ctx, uint32_t i, const volatile int *stop)
{
    struct study *st = ctx;
    struct study_run *run = &st->runs[st->todo != NULL ? st->todo[i] : i];
    struct scenario *s;
    struct scn_errors err;
    struct run_result r;

    if (build_run(st, run->point, run->variant, run->rep, &s, &err) != 0) {
        /* checked when planning: only host memory can fail here */
        snprintf(run->why, sizeof(run->why), "%s", err.count ? err.text[0] : "cannot load");
        run->state = RUN_FAILED;
        return;
    }
    if (run_scenario(s, stop, &r, run->why, sizeof(run->why)) != 0) {
        run->state = RUN_FAILED;
    } else {
        figures_of(st, &r, &run->fig);
        /* A run cut short by Ctrl-C is not a result: it is skipped like one never started. */
        run->state = r.interrupted ? RUN_SKIPPED : RUN_DONE;
        run_result_free(&r);
    }
    scenario_free(s);
}

/* A point and variant from its seeds' runs: done when each is, with the means of their
 * figures (counts to the nearest); else the first that failed, or skipped. */
static void cell_of(struct study *st, uint32_t c)
{
    struct study_run *cell = &st->cells[c];
    const struct study_run *r = &st->runs[c * st->n_seeds];
    struct study_figures *m = &cell->fig;
    double n = st->n_seeds, sum[23] = {0}, thr = 0, iops = 0, cpu = 0, t[STUDY_TIME_COUNT] = {0};

    cell->state = RUN_DONE;
    for (uint32_t i = 0; i < st->n_seeds; i++) {
        if (r[i].state == RUN_DONE)
            continue;
        if (cell->state != RUN_FAILED) {
            cell->state = r[i].state;
            snprintf(cell->why, sizeof(cell->why), "%s", r[i].why);
        }
    }
    if (cell->state != RUN_DONE)
        return;
    if (st->n_seeds == 1) {
        cell->fig = r[0].fig;
        return;
    }
    memset(m, 0, sizeof(*m));
    for (uint32_t i = 0; i < st->n_seeds; i++) {
        const struct study_figures *f = &r[i].fig;
        const uint64_t v[23] = {f->ios, f->failed, f->bytes, f->elapsed_ns, f->p50_ns,
                                f->p99_ns, f->max_ns, f->pages_mapped, f->pages_bounced,
                                f->pages_above_limit, f->bytes_bounced, f->map_register_waits,
                                f->mappings, f->sg_elements, f->map_registers_peak,
                                f->device_idle_ns, f->frames_captured, f->frames_dropped,
                                f->frames_late, f->lock_attempts, f->lock_failures,
                                f->frames_mapped, f->frame_map_registers};
        for (int k = 0; k < 23; k++)
            sum[k] += (double)v[k];
        thr += f->throughput;
        iops += f->iops;
        cpu += f->cpu_per_io_ns;
        for (int k = 0; k < STUDY_TIME_COUNT; k++)
            t[k] += f->time_per_io_ns[k];
        m->map_register_wait_ns += f->map_register_wait_ns;
        m->verified += f->verified;
        m->mismatches += f->mismatches;
        m->findings += f->findings;
        m->lost += f->lost;
        m->cache_lines += f->cache_lines;
        m->stale_bytes += f->stale_bytes;
        m->interrupted = m->interrupted || f->interrupted;
    }
#define MEAN(x) ((uint64_t)llround((x) / n))
    m->ios = MEAN(sum[0]);
    m->failed = MEAN(sum[1]);
    m->bytes = MEAN(sum[2]);
    m->elapsed_ns = MEAN(sum[3]);
    m->p50_ns = MEAN(sum[4]);
    m->p99_ns = MEAN(sum[5]);
    m->max_ns = MEAN(sum[6]);
    m->pages_mapped = MEAN(sum[7]);
    m->pages_bounced = MEAN(sum[8]);
    m->pages_above_limit = MEAN(sum[9]);
    m->bytes_bounced = MEAN(sum[10]);
    m->map_register_waits = MEAN(sum[11]);
    m->mappings = MEAN(sum[12]);
    m->sg_elements = MEAN(sum[13]);
    m->map_registers_peak = MEAN(sum[14]);
    m->device_idle_ns = MEAN(sum[15]);
    m->frames_captured = MEAN(sum[16]);
    m->frames_dropped = MEAN(sum[17]);
    m->frames_late = MEAN(sum[18]);
    m->lock_attempts = MEAN(sum[19]);
    m->lock_failures = MEAN(sum[20]);
    m->frames_mapped = MEAN(sum[21]);
    m->frame_map_registers = MEAN(sum[22]);
    m->map_register_wait_ns = MEAN((double)m->map_register_wait_ns);
    m->verified = MEAN((double)m->verified);
    m->cache_lines = MEAN((double)m->cache_lines);
#undef MEAN
    /* what no run may have (wrong data, findings, lost I/O) is rounded up: one seed's marks
     * the point */
#define MEAN_UP(x) ((uint64_t)ceil((double)(x) / n))
    m->mismatches = MEAN_UP(m->mismatches);
    m->findings = MEAN_UP(m->findings);
    m->lost = MEAN_UP(m->lost);
    m->stale_bytes = MEAN_UP(m->stale_bytes);
#undef MEAN_UP
    m->throughput = thr / n;
    m->iops = iops / n;
    m->cpu_per_io_ns = cpu / n;
    for (int k = 0; k < STUDY_TIME_COUNT; k++)
        m->time_per_io_ns[k] = t[k] / n;
}

struct progress {
    struct study *st;
    bool shown;
};

static void tick(void *ctx, uint32_t finished, uint32_t total, uint64_t elapsed_ns)
{
    struct progress *p = ctx;
    double el = (double)elapsed_ns / 1e9;

    if (finished > 0)
        fprintf(stderr, "\r\033[K%s: %u/%u runs done, %.1f s, about %.1f s to go",
                p->st->sweep ? "sweep" : "compare", finished, total, el,
                el / finished * (total - finished));
    else
        fprintf(stderr, "\r\033[K%s: 0/%u runs done, %.1f s", p->st->sweep ? "sweep" : "compare",
                total, el);
    p->shown = true;
}

static void progress_work(void *ctx, uint32_t i, const volatile int *stop)
{
    work(((struct progress *)ctx)->st, i, stop);
}

int study_execute(struct study *st, uint32_t parallel, bool progress, volatile int *stop)
{
    struct progress p = {st, false};
    struct host_ops ops = {progress_work, progress ? tick : NULL, 250};
    uint64_t t0 = host_now_ns();
    int started = host_execute(st->todo != NULL ? st->n_todo : st->n_runs, parallel, &ops, &p,
                               stop);

    st->host_ns = host_now_ns() - t0;
    if (p.shown)
        fprintf(stderr, "\r\033[K");
    if (started < 0)
        return -1;
    for (uint32_t i = 0; i < (st->todo != NULL ? st->n_todo : st->n_runs); i++) {
        struct study_run *r = &st->runs[st->todo != NULL ? st->todo[i] : i];
        if (r->state == RUN_WAITING)
            r->state = RUN_SKIPPED;
    }
    st->interrupted = *stop != 0;
    study_finish(st);
    return 0;
}

void study_finish(struct study *st)
{
    st->done = st->failed = st->skipped = 0;
    for (uint32_t i = 0; i < st->n_runs; i++) {
        st->done += st->runs[i].state == RUN_DONE;
        st->failed += st->runs[i].state == RUN_FAILED;
        st->skipped += st->runs[i].state == RUN_SKIPPED;
    }
    for (uint32_t c = 0; c < st->n_cells; c++)
        cell_of(st, c);
}

void study_free(struct study *st)
{
    free(st->text);
    free(st->runs);
    free(st->cells);
    st->cells = NULL;
    scenario_free(st->base);
    st->text = NULL;
    st->runs = NULL;
    st->base = NULL;
}
