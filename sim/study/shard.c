/*
 * shard.c - sweeps across machines: shards, point files and the merge (see shard.h).
 *
 * The point files are JSON read and written with json-c: a machine-written exchange format
 * whose doubles must come back bit for bit (json-c prints them with 17 significant digits), so
 * that a merged report is the one-machine report byte for byte. The plan's hash is FNV-1a over
 * its JSON text: it tells one study's files from another's, it is no defence against forgery.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "outfile.h"
#include "shard.h"

#define POINT_SCHEMA 1

int shard_parse(const char *text, uint32_t *index, uint32_t *count, char *why, size_t len)
{
    unsigned long i, n;
    char *end;

    errno = 0;
    i = strtoul(text, &end, 10);
    if (end == text || *end != '/' || errno != 0)
        goto bad;
    n = strtoul(end + 1, &end, 10);
    if (*end != '\0' || errno != 0 || n < 1 || n > 100000 || i < 1 || i > n)
        goto bad;
    *index = (uint32_t)i;
    *count = (uint32_t)n;
    return 0;
bad:
    snprintf(why, len, "--shard %s: I/N, shard I of N, 1 <= I <= N (2/4)", text);
    return -1;
}

void shard_list(FILE *out, const struct study *st)
{
    char label[160];

    for (uint32_t p = 0; p < st->n_points; p++) {
        size_t at = 0;
        label[0] = '\0';
        for (uint32_t a = 0; a < st->n_axes; a++)
            at += (size_t)snprintf(label + at, sizeof(label) - at, "%s%s=%s", a ? " " : "",
                                   st->axes[a].key,
                                   st->axes[a].value[study_point_index(st, p, a)]);
        fprintf(out, "%u\t%s\n", p + 1, st->n_axes ? label : "(the scenario as written)");
    }
}

/* ---------------------------------------------------------------------------------------------
 * The plan and its hash.
 */
static json_object *str_array(const char *const *v, uint32_t n)
{
    json_object *a = json_object_new_array();

    for (uint32_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

static json_object *plan_of(const struct study *st, const struct shard_request *req)
{
    json_object *p = json_object_new_object();

    json_object_object_add(p, "path", json_object_new_string(st->path));
    json_object_object_add(p, "text", json_object_new_string_len(st->text, (int)st->size));
    json_object_object_add(p, "sets", str_array(st->sets, (uint32_t)st->n_sets));
    json_object_object_add(p, "variants", str_array(req->variants, req->n_variants));
    json_object_object_add(p, "vary", str_array(req->vary, req->n_vary));
    json_object_object_add(p, "seed", st->have_seed && !st->seed_range
                                          ? json_object_new_uint64(st->seed)
                                          : NULL);
    json_object_object_add(p, "repeat", json_object_new_int64(st->repeat));
    json_object_object_add(p, "seed_lo", st->seed_range ? json_object_new_uint64(st->seed_lo)
                                                         : NULL);
    json_object_object_add(p, "seed_hi", st->seed_range ? json_object_new_uint64(st->seed_hi)
                                                         : NULL);
    json_object_object_add(p, "device", json_object_new_string(st->device));
    return p;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

static void hash_text(json_object *plan, char *out, size_t len)
{
    snprintf(out, len, "%016" PRIx64,
             fnv1a(json_object_to_json_string_ext(plan, JSON_C_TO_STRING_PLAIN)));
}

/* ---------------------------------------------------------------------------------------------
 * A run's figures, exactly.
 */
#define FIG_U64(X)                                                                         \
    X(ios) X(failed) X(bytes) X(elapsed_ns) X(p50_ns) X(p99_ns) X(max_ns) X(pages_mapped) \
    X(pages_bounced) X(pages_above_limit) X(bytes_bounced) X(map_register_waits)          \
    X(map_register_wait_ns) X(verified) X(mismatches) X(findings) X(lost) X(cache_lines)  \
    X(stale_bytes) X(mappings) X(sg_elements) X(map_registers_peak) X(device_idle_ns)   \
    X(frames_captured) X(frames_dropped) X(frames_late) X(lock_attempts) X(lock_failures)   \
    X(frames_mapped) X(frame_map_registers)
#define FIG_DOUBLE(X) X(throughput) X(iops) X(cpu_per_io_ns)

static json_object *figures_json(const struct study_figures *f)
{
    json_object *o = json_object_new_object(), *t = json_object_new_array();

#define PUT_U64(name) json_object_object_add(o, #name, json_object_new_uint64(f->name));
#define PUT_DOUBLE(name) json_object_object_add(o, #name, json_object_new_double(f->name));
    FIG_U64(PUT_U64)
    FIG_DOUBLE(PUT_DOUBLE)
#undef PUT_U64
#undef PUT_DOUBLE
    for (int k = 0; k < STUDY_TIME_COUNT; k++)
        json_object_array_add(t, json_object_new_double(f->time_per_io_ns[k]));
    json_object_object_add(o, "time_per_io_ns", t);
    json_object_object_add(o, "interrupted", json_object_new_boolean(f->interrupted));
    return o;
}

static bool member(json_object *o, const char *key, json_type type, json_object **v)
{
    return json_object_object_get_ex(o, key, v) && json_object_is_type(*v, type);
}

static bool figures_read(json_object *o, struct study_figures *f)
{
    json_object *v, *t;

    memset(f, 0, sizeof(*f));
#define GET_U64(name)                                                                     \
    if (!member(o, #name, json_type_int, &v))                                             \
        return false;                                                                     \
    f->name = json_object_get_uint64(v);
#define GET_DOUBLE(name)                                                                  \
    if (!json_object_object_get_ex(o, #name, &v) ||                                       \
        !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))) \
        return false;                                                                     \
    f->name = json_object_get_double(v);
    FIG_U64(GET_U64)
    FIG_DOUBLE(GET_DOUBLE)
#undef GET_U64
#undef GET_DOUBLE
    if (!member(o, "time_per_io_ns", json_type_array, &t) ||
        json_object_array_length(t) != STUDY_TIME_COUNT)
        return false;
    for (int k = 0; k < STUDY_TIME_COUNT; k++)
        f->time_per_io_ns[k] = json_object_get_double(json_object_array_get_idx(t, (size_t)k));
    if (!member(o, "interrupted", json_type_boolean, &v))
        return false;
    f->interrupted = json_object_get_boolean(v);
    return true;
}

static const char *const state_names[] = {"waiting", "done", "failed", "skipped"};

/* ---------------------------------------------------------------------------------------------
 * Shards.
 */
static void point_path(const char *dir, uint32_t p, char *out, size_t len)
{
    snprintf(out, len, "%s/point-%04u.json", dir, p + 1);
}

/* A point file's contents, parsed, or NULL (with why: it is not one, or cannot be read). */
static json_object *point_read(const char *path, char *why, size_t len)
{
    json_object *doc = json_object_from_file(path), *v;

    if (doc == NULL) {
        snprintf(why, len, "%s: not a dmasim point file (%s)", path, json_util_get_last_err());
        return NULL;
    }
    if (!member(doc, "dmasim_point", json_type_int, &v) ||
        json_object_get_int(v) != POINT_SCHEMA) {
        snprintf(why, len, "%s: not a dmasim point file", path);
        json_object_put(doc);
        return NULL;
    }
    return doc;
}

static const char *str_member(json_object *o, const char *key)
{
    json_object *v;

    return member(o, key, json_type_string, &v) ? json_object_get_string(v) : "";
}

/* Is the file at path this study's point p, finished? 1 yes, 0 no file, -1 another's. */
static int point_done(const char *path, const char *hash, uint32_t p, char *why, size_t len)
{
    struct stat sb;
    json_object *doc, *v;
    int rc;

    if (stat(path, &sb) != 0)
        return 0;
    doc = point_read(path, why, len);
    if (doc == NULL)
        return -1;
    rc = strcmp(str_member(doc, "plan_hash"), hash) == 0 &&
                 strcmp(str_member(doc, "dmasim_version"), DMASIM_VERSION) == 0 &&
                 member(doc, "point", json_type_int, &v) &&
                 json_object_get_int64(v) == (int64_t)p + 1
             ? 1
             : -1;
    if (rc < 0)
        snprintf(why, len, "%s is a point of another study (plan %s, dmasim %s; this one is "
                 "plan %s, dmasim %s): give another --out DIR", path, str_member(doc,
                 "plan_hash"), str_member(doc, "dmasim_version"), hash, DMASIM_VERSION);
    json_object_put(doc);
    return rc;
}

static int point_write(const struct study *st, json_object *plan, const char *hash, uint32_t p,
                       const char *path, char *why, size_t len)
{
    json_object *doc = json_object_new_object(), *runs = json_object_new_array();
    struct outfile o;
    char label[160];
    int rc = 0;

    study_point_label(st, p, label, sizeof(label));
    json_object_object_add(doc, "dmasim_point", json_object_new_int(POINT_SCHEMA));
    json_object_object_add(doc, "dmasim_version", json_object_new_string(DMASIM_VERSION));
    json_object_object_add(doc, "plan_hash", json_object_new_string(hash));
    json_object_object_add(doc, "point", json_object_new_int64((int64_t)p + 1));
    json_object_object_add(doc, "points", json_object_new_int64(st->n_points));
    json_object_object_add(doc, "label", json_object_new_string(label));
    json_object_object_add(doc, "plan", json_object_get(plan));
    for (uint32_t v = 0; v < st->n_variants; v++) {
        for (uint32_t r = 0; r < st->n_seeds; r++) {
            const struct study_run *run = study_rep(st, p, v, r);
            json_object *o1 = json_object_new_object();
            json_object_object_add(o1, "variant", json_object_new_int64(v));
            json_object_object_add(o1, "rep", json_object_new_int64(r));
            json_object_object_add(o1, "state", json_object_new_string(state_names[run->state]));
            json_object_object_add(o1, "why", json_object_new_string(run->why));
            if (run->state == RUN_DONE)
                json_object_object_add(o1, "figures", figures_json(&run->fig));
            json_object_array_add(runs, o1);
        }
    }
    json_object_object_add(doc, "runs", runs);
    if (outfile_open(&o, path, why, len) != 0) {
        json_object_put(doc);
        return -1;
    }
    fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY), o.f);
    fputc('\n', o.f);
    if (outfile_close(&o, true, why, len) != 0)
        rc = -1;
    json_object_put(doc);
    return rc;
}

int shard_run(struct study *st, const struct shard_request *req, uint32_t index, uint32_t count,
              const char *dir, uint32_t jobs, bool progress, volatile int *stop,
              uint32_t *ran, uint32_t *kept, char *why, size_t len)
{
    json_object *plan = plan_of(st, req);
    uint32_t *todo = calloc(st->n_runs ? st->n_runs : 1, sizeof(*todo)), n_todo = 0;
    bool *mine = calloc(st->n_points ? st->n_points : 1, sizeof(*mine));
    char hash[32], path[4200];
    int rc = 0;

    *ran = *kept = 0;
    hash_text(plan, hash, sizeof(hash));
    if (todo == NULL || mine == NULL) {
        snprintf(why, len, "out of memory");
        rc = 1;
        goto out;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(why, len, "cannot make %s: %s", dir, strerror(errno));
        rc = 1;
        goto out;
    }
    for (uint32_t p = index - 1; p < st->n_points; p += count) {
        int done;
        point_path(dir, p, path, sizeof(path));
        done = point_done(path, hash, p, why, len);
        if (done < 0) {
            rc = 2;
            goto out;
        }
        if (done > 0) {
            (*kept)++;
            continue;
        }
        mine[p] = true;
        for (uint32_t v = 0; v < st->n_variants; v++)
            for (uint32_t r = 0; r < st->n_seeds; r++)
                todo[n_todo++] = (p * st->n_variants + v) * st->n_seeds + r;
    }
    st->todo = todo;
    st->n_todo = n_todo;
    if (n_todo > 0 && study_execute(st, jobs, progress, stop) != 0) {
        snprintf(why, len, "cannot start a worker thread");
        rc = 1;
        goto out;
    }
    /* a point is written once every one of its runs is over (done, or failed to start) */
    for (uint32_t p = 0; p < st->n_points; p++) {
        bool over = mine[p];
        for (uint32_t v = 0; over && v < st->n_variants; v++)
            for (uint32_t r = 0; over && r < st->n_seeds; r++)
                over = study_rep(st, p, v, r)->state == RUN_DONE ||
                       study_rep(st, p, v, r)->state == RUN_FAILED;
        if (!over)
            continue;
        point_path(dir, p, path, sizeof(path));
        if (point_write(st, plan, hash, p, path, why, len) != 0) {
            rc = 1;
            goto out;
        }
        (*ran)++;
    }
    if (*stop) {
        snprintf(why, len, "stopped: %u point%s of this shard left to run (rerun to resume)",
                 n_todo / (st->n_variants * st->n_seeds) - *ran,
                 n_todo / (st->n_variants * st->n_seeds) - *ran == 1 ? "" : "s");
        rc = 1;
    }
out:
    st->todo = NULL;
    st->n_todo = 0;
    free(todo);
    free(mine);
    json_object_put(plan);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * The merge.
 */
static struct {
    char **sets, **variants, **vary;
    uint32_t n_sets, n_variants, n_vary;
    struct study_variant parsed[SCN_MAX_VARIANTS];
} keep;

void shard_merge_free(struct study *st)
{
    for (uint32_t i = 0; i < keep.n_sets; i++)
        free(keep.sets[i]);
    for (uint32_t i = 0; i < keep.n_variants; i++)
        free(keep.variants[i]);
    for (uint32_t i = 0; i < keep.n_vary; i++)
        free(keep.vary[i]);
    free(keep.sets);
    free(keep.variants);
    free(keep.vary);
    memset(&keep, 0, sizeof(keep));
    st->sets = NULL;
    st->n_sets = 0;
}

/* The strings of a plan's array member into *out (kept until shard_merge_free). */
static int take_strings(json_object *plan, const char *key, char ***out, uint32_t *n,
                        uint32_t max)
{
    json_object *a;

    if (!member(plan, key, json_type_array, &a) || json_object_array_length(a) > max)
        return -1;
    *n = (uint32_t)json_object_array_length(a);
    *out = calloc(*n ? *n : 1, sizeof(**out));
    if (*out == NULL)
        return -1;
    for (uint32_t i = 0; i < *n; i++) {
        json_object *s = json_object_array_get_idx(a, i);
        if (!json_object_is_type(s, json_type_string))
            return -1;
        (*out)[i] = strdup(json_object_get_string(s));
        if ((*out)[i] == NULL)
            return -1;
    }
    return 0;
}

/* Plan the study again from a point file's plan. 0, or -1 with why. */
static int replan(json_object *plan, const char *file, struct study *st, char *why, size_t len)
{
    json_object *v;
    struct scn_errors errs;

    memset(st, 0, sizeof(*st));
    st->sweep = true;
    if (!member(plan, "path", json_type_string, &v))
        goto bad;
    snprintf(st->path, sizeof(st->path), "%s", json_object_get_string(v));
    if (!member(plan, "text", json_type_string, &v))
        goto bad;
    st->size = (size_t)json_object_get_string_len(v);
    st->text = malloc(st->size + 1);
    if (st->text == NULL)
        goto bad;
    memcpy(st->text, json_object_get_string(v), st->size + 1);
    if (take_strings(plan, "sets", &keep.sets, &keep.n_sets, 64) != 0 ||
        take_strings(plan, "variants", &keep.variants, &keep.n_variants, SCN_MAX_VARIANTS) != 0 ||
        take_strings(plan, "vary", &keep.vary, &keep.n_vary, SCN_MAX_AXES) != 0)
        goto bad;
    st->sets = (const char *const *)keep.sets;
    st->n_sets = (int)keep.n_sets;
    if (json_object_object_get_ex(plan, "seed", &v) && v != NULL) {
        st->seed = json_object_get_uint64(v);
        st->have_seed = true;
    }
    if (member(plan, "repeat", json_type_int, &v))
        st->repeat = (uint32_t)json_object_get_int64(v);
    if (json_object_object_get_ex(plan, "seed_lo", &v) && v != NULL) {
        st->seed_range = true;
        st->seed_lo = json_object_get_uint64(v);
        if (!json_object_object_get_ex(plan, "seed_hi", &v) || v == NULL)
            goto bad;
        st->seed_hi = json_object_get_uint64(v);
    }
    if (!member(plan, "device", json_type_string, &v))
        goto bad;
    snprintf(st->device, sizeof(st->device), "%s", json_object_get_string(v));
    for (uint32_t i = 0; i < keep.n_variants; i++)
        if (study_variant_parse(keep.variants[i], &keep.parsed[i], why, len) != 0)
            return -1;
    if (study_plan(st, keep.parsed, keep.n_variants, (const char *const *)keep.vary,
                   keep.n_vary, &errs) != 0) {
        snprintf(why, len, "%s: its study no longer plans: %s", file,
                 errs.count ? errs.text[0] : "?");
        return -1;
    }
    return 0;
bad:
    snprintf(why, len, "%s: its plan is incomplete", file);
    return -1;
}

/* Fill st's runs from one point file. 0, or -1 with why. */
static int fill(struct study *st, json_object *doc, uint32_t p, const char *file, char *why,
                size_t len)
{
    json_object *runs, *v;
    size_t n;

    if (!member(doc, "runs", json_type_array, &runs) ||
        (n = json_object_array_length(runs)) != (size_t)st->n_variants * st->n_seeds) {
        snprintf(why, len, "%s: not every run of the point is there", file);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(runs, i);
        int64_t variant, rep;
        struct study_run *run;
        const char *state;
        int s = -1;

        if (!member(r, "variant", json_type_int, &v) ||
            (variant = json_object_get_int64(v)) < 0 || variant >= st->n_variants ||
            !member(r, "rep", json_type_int, &v) || (rep = json_object_get_int64(v)) < 0 ||
            rep >= st->n_seeds)
            goto bad;
        run = &st->runs[(p * st->n_variants + (uint32_t)variant) * st->n_seeds + (uint32_t)rep];
        if (run->state != RUN_WAITING)
            goto bad; /* the same run twice (so another is missing) */
        state = str_member(r, "state");
        for (int k = 0; k < 4; k++)
            if (strcmp(state, state_names[k]) == 0)
                s = k;
        if (s != RUN_DONE && s != RUN_FAILED)
            goto bad;
        run->state = (enum study_run_state)s;
        snprintf(run->why, sizeof(run->why), "%s", str_member(r, "why"));
        if (s == RUN_DONE &&
            (!json_object_object_get_ex(r, "figures", &v) || !figures_read(v, &run->fig)))
            goto bad;
    }
    return 0;
bad:
    snprintf(why, len, "%s: a run of the point is malformed", file);
    return -1;
}

int shard_merge(const char *dir, struct study *st, char *why, size_t len)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char hash[32] = "", path[4200], first[4200] = "";
    bool *seen = NULL, planned = false;
    uint32_t files = 0;
    int rc = 2;

    memset(st, 0, sizeof(*st));
    if (d == NULL) {
        snprintf(why, len, "%s: %s", dir, strerror(errno));
        return 2;
    }
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        json_object *doc, *v;
        int64_t p;

        if (n < 11 || strncmp(e->d_name, "point-", 6) != 0 ||
            strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        doc = point_read(path, why, len);
        if (doc == NULL)
            goto out;
        if (strcmp(str_member(doc, "dmasim_version"), DMASIM_VERSION) != 0) {
            snprintf(why, len, "%s was made by dmasim %s, this is %s: rerun its shard with "
                     "this version", path, str_member(doc, "dmasim_version"), DMASIM_VERSION);
            json_object_put(doc);
            goto out;
        }
        if (!planned) {
            json_object *plan;
            if (!member(doc, "plan", json_type_object, &plan)) {
                snprintf(why, len, "%s: no plan", path);
                json_object_put(doc);
                goto out;
            }
            hash_text(plan, hash, sizeof(hash));
            if (replan(plan, path, st, why, len) != 0) {
                json_object_put(doc);
                goto out;
            }
            planned = true;
            snprintf(first, sizeof(first), "%s", path);
            seen = calloc(st->n_points, sizeof(*seen));
            if (seen == NULL) {
                json_object_put(doc);
                goto out;
            }
        }
        if (strcmp(str_member(doc, "plan_hash"), hash) != 0) {
            snprintf(why, len, "%s and %s are points of different studies (plans %s and %s)",
                     first, path, hash, str_member(doc, "plan_hash"));
            json_object_put(doc);
            goto out;
        }
        if (!member(doc, "point", json_type_int, &v) || (p = json_object_get_int64(v)) < 1 ||
            p > st->n_points || !member(doc, "points", json_type_int, &v) ||
            json_object_get_int64(v) != st->n_points) {
            snprintf(why, len, "%s: not a point of this study's %u", path, st->n_points);
            json_object_put(doc);
            goto out;
        }
        if (seen[p - 1]) {
            snprintf(why, len, "%s: point %" PRId64 " is there twice", path, p);
            json_object_put(doc);
            goto out;
        }
        seen[p - 1] = true;
        files++;
        if (fill(st, doc, (uint32_t)(p - 1), path, why, len) != 0) {
            json_object_put(doc);
            goto out;
        }
        json_object_put(doc);
    }
    if (!planned) {
        snprintf(why, len, "%s holds no point files (point-NNNN.json)", dir);
        goto out;
    }
    if (files < st->n_points) {
        size_t at = (size_t)snprintf(why, len, "%s: %u of %u points are missing:", dir,
                                     st->n_points - files, st->n_points);
        uint32_t said = 0;
        for (uint32_t p = 0; p < st->n_points && at < len; p++)
            if (!seen[p] && said++ < 10)
                at += (size_t)snprintf(why + at, len - at, " %u", p + 1);
        if (at < len)
            snprintf(why + at, len - at, "%s (run their shards; dmasim sweep --list-points "
                     "numbers them)", said > 10 ? " ..." : "");
        goto out;
    }
    study_finish(st);
    rc = 0;
out:
    closedir(d);
    free(seen);
    return rc;
}
