/*
 * scenario.c - reading a scenario file with inih, applying overrides, and building the
 * scenario (the key table is scenario_keys.c; sweeps and read-back scenario_axis.c).
 *
 * inih gives us sections and key = value pairs but not the line a pair came from (Debian builds
 * it without INI_HANDLER_LINENO), and it treats an indented line as the continuation of the
 * last value. So the file is read through our own line reader: it counts lines, strips leading
 * blanks (indentation is not continuation here), finds section headers itself (so a section
 * with no keys, or the same section twice, is seen), and refuses overlong lines and NUL bytes
 * with the line named. inih then does the rest of the parsing.
 */
#define _GNU_SOURCE /* memrchr */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "scenario_int.h"
#include "units.h"

#define MAX_FILE_BYTES (1u << 20)

/* ---------------------------------------------------------------------------------------------
 * Reading the file.
 */
struct reader {
    struct scenario *s;
    struct scn_errors *err;
    const char *text;
    size_t at, size;
    int line;
    int inst;        /* the current section instance, -1 for none or a bad one */
    enum scn_section section;
    bool bad_section;
    int variant;     /* in [variant NAME]: its index, else -1 */
    bool in_sweep;   /* in [sweep] */
};

static bool valid_name(const char *name)
{
    if (name[0] == '\0' || strlen(name) >= SCN_NAME_MAX)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return false;
    return true;
}

static int named_instance(struct reader *r, enum scn_section sec, const char *name)
{
    struct scenario *s = r->s;
    uint32_t *n = sec == SEC_DEVICE ? &s->n_devices : &s->n_workloads;
    int i;

    for (uint32_t j = 0; j < *n; j++) {
        const char *have = sec == SEC_DEVICE ? s->devices[j].name : s->workloads[j].name;
        int line = sec == SEC_DEVICE ? s->devices[j].line : s->workloads[j].line;
        if (strcmp(have, name) == 0) {
            scn_error(r->err, s->path, r->line, "[%s %s] appears twice (first at line %d)",
                      scn_section_names[sec], name, line);
            return -1;
        }
    }
    if (*n == SCN_MAX_DEVICES) {
        scn_error(r->err, s->path, r->line, "too many [%s] sections (at most %d)",
                  scn_section_names[sec], SCN_MAX_DEVICES);
        return -1;
    }
    i = (int)(*n)++;
    if (sec == SEC_DEVICE) {
        snprintf(s->devices[i].name, SCN_NAME_MAX, "%s", name);
        s->devices[i].line = r->line;
        s->devices[i].workload = -1;
        scn_set_defaults(s, INST_DEVICE(i), SEC_DEVICE);
        return INST_DEVICE(i);
    }
    snprintf(s->workloads[i].name, SCN_NAME_MAX, "%s", name);
    s->workloads[i].line = r->line;
    s->workloads[i].device = -1;
    scn_set_defaults(s, INST_WORKLOAD(i), SEC_WORKLOAD);
    return INST_WORKLOAD(i);
}

/* A section header line: "[machine]", "[cost]", "[device NAME]", "[workload NAME]". */
static void section_header(struct reader *r, const char *line)
{
    char kind[32] = "", name[64] = "", extra[8] = "";
    const char *close = strchr(line, ']');
    char inside[128];
    int got;

    r->inst = -1;
    r->variant = -1;
    r->in_sweep = false;
    if (close == NULL || (size_t)(close - line - 1) >= sizeof(inside))
        return; /* inih reports the malformed line */
    snprintf(inside, sizeof(inside), "%.*s", (int)(close - line - 1), line + 1);
    got = sscanf(inside, "%31s %63s %7s", kind, name, extra);
    if (strcmp(kind, "machine") == 0 || strcmp(kind, "cost") == 0 ||
        strcmp(kind, "faults") == 0) {
        int inst = kind[0] == 'm' ? INST_MACHINE : kind[0] == 'c' ? INST_COST : INST_FAULTS;
        int *seen = kind[0] == 'm'   ? &r->s->machine_line
                    : kind[0] == 'c' ? &r->s->cost_line
                                     : &r->s->faults_line;
        if (got != 1) {
            scn_error(r->err, r->s->path, r->line, "[%s] takes no name", kind);
        } else if (*seen) {
            scn_error(r->err, r->s->path, r->line, "[%s] appears twice (first at line %d)",
                      kind, *seen);
        } else {
            *seen = r->line;
            r->inst = inst;
            r->section = inst == INST_MACHINE ? SEC_MACHINE
                         : inst == INST_COST  ? SEC_COST
                                              : SEC_FAULTS;
        }
        return;
    }
    if (strcmp(kind, "device") == 0 || strcmp(kind, "workload") == 0) {
        enum scn_section sec = kind[0] == 'd' ? SEC_DEVICE : SEC_WORKLOAD;
        if (got != 2 || !valid_name(name)) {
            scn_error(r->err, r->s->path, r->line, "[%s NAME] needs one name of 1 .. %d "
                      "letters, digits, '_' or '-'", kind, SCN_NAME_MAX - 1);
            return;
        }
        r->inst = named_instance(r, sec, name);
        r->section = sec;
        return;
    }
    if (strcmp(kind, "variant") == 0) {
        struct scenario *s = r->s;
        if (got != 2 || !valid_name(name)) {
            scn_error(r->err, s->path, r->line, "[variant NAME] needs one name of 1 .. %d "
                      "letters, digits, '_' or '-'", SCN_NAME_MAX - 1);
            return;
        }
        for (uint32_t j = 0; j < s->n_variants; j++) {
            if (strcmp(s->variants[j].name, name) == 0) {
                scn_error(r->err, s->path, r->line, "[variant %s] appears twice (first at "
                          "line %d)", name, s->variants[j].line);
                return;
            }
        }
        if (s->n_variants == SCN_MAX_VARIANTS) {
            scn_error(r->err, s->path, r->line, "too many [variant] sections (at most %d)",
                      SCN_MAX_VARIANTS);
            return;
        }
        r->variant = (int)s->n_variants++;
        snprintf(s->variants[r->variant].name, SCN_NAME_MAX, "%.*s", SCN_NAME_MAX - 1, name);
        s->variants[r->variant].line = r->line;
        return;
    }
    if (strcmp(kind, "sweep") == 0) {
        if (got != 1)
            scn_error(r->err, r->s->path, r->line, "[sweep] takes no name");
        else if (r->s->sweep_line)
            scn_error(r->err, r->s->path, r->line, "[sweep] appears twice (first at line %d)",
                      r->s->sweep_line);
        else
            r->in_sweep = true, r->s->sweep_line = r->line;
        return;
    }
    scn_error(r->err, r->s->path, r->line, "unknown section [%s] (accepted: [machine], [cost], "
              "[device NAME], [workload NAME], [variant NAME], [sweep])", inside);
}

/* inih's line source: one line a call, with the bookkeeping described at the top. */
static char *read_line(char *str, int num, void *stream)
{
    struct reader *r = stream;
    const char *p, *end;
    size_t n;

    if (r->at >= r->size)
        return NULL;
    p = r->text + r->at;
    end = memchr(p, '\n', r->size - r->at);
    n = end ? (size_t)(end - p) : r->size - r->at;
    r->at += n + (end != NULL);
    r->line++;
    if (memchr(p, '\0', n) != NULL) {
        scn_error(r->err, r->s->path, r->line, "the line holds a NUL byte: not a text file?");
        n = 0;
    }
    while (n > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    if (n + 2 > (size_t)num) {
        scn_error(r->err, r->s->path, r->line, "line longer than %d characters", num - 2);
        n = 0;
    }
    memcpy(str, p, n);
    str[n] = '\n';
    str[n + 1] = '\0';
    if (n > 0 && *p == '[')
        section_header(r, str);
    return str;
}

/* A line of [variant NAME] or [sweep]: "section.key = value", kept as written; what it says is
 * checked once the whole file has been read (it may name a device defined further down). */
static void store_set(struct reader *r, const char *name, const char *value)
{
    struct scenario *s = r->s;
    struct scn_set *set;

    if (r->in_sweep) {
        for (uint32_t j = 0; j < s->n_sweep; j++) {
            size_t n = strlen(name);
            if (strncmp(s->sweep[j].text, name, n) == 0 && s->sweep[j].text[n] == '=') {
                scn_error(r->err, s->path, r->line, "'%s' is swept twice (first at line %d)",
                          name, s->sweep[j].line);
                return;
            }
        }
        if (s->n_sweep == SCN_MAX_AXES) {
            scn_error(r->err, s->path, r->line, "a sweep varies at most %d parameters",
                      SCN_MAX_AXES);
            return;
        }
        set = &s->sweep[s->n_sweep++];
    } else {
        struct scn_variant *v = &s->variants[r->variant];
        if (v->n_sets == SCN_MAX_SETS) {
            scn_error(r->err, s->path, r->line, "[variant %s] holds more than %d keys", v->name,
                      SCN_MAX_SETS);
            return;
        }
        set = &v->sets[v->n_sets++];
    }
    if (strlen(name) >= SCN_SET_MAX / 2 || strlen(value) >= SCN_SET_MAX / 2) {
        scn_error(r->err, s->path, r->line, "an override's key and value are at most %d "
                  "characters each", SCN_SET_MAX / 2 - 1);
        return;
    }
    snprintf(set->text, sizeof(set->text), "%.*s=%.*s", SCN_SET_MAX / 2 - 1, name,
             SCN_SET_MAX / 2 - 1, value);
    set->line = r->line;
}

static int on_pair(void *user, const char *section, const char *name, const char *value)
{
    struct reader *r = user;
    struct scenario *s = r->s;
    char why[256];
    int k;

    if (r->variant >= 0 || r->in_sweep) {
        store_set(r, name, value);
        return 1;
    }
    if (r->inst < 0) {
        if (section[0] == '\0')
            scn_error(r->err, s->path, r->line, "'%s' is outside any section (keys belong "
                      "under [machine], [cost], [device NAME] or [workload NAME])", name);
        return 1; /* otherwise the bad section was reported at its header */
    }
    k = scn_key_find(r->section, name);
    if (k < 0) {
        char list[400];
        size_t at = 0;
        for (int i = 0; i < scn_n_keys && at < sizeof(list); i++)
            if (scn_keys[i].section == r->section)
                at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", at ? ", " : "",
                                       scn_keys[i].name);
        scn_error(r->err, s->path, r->line, "unknown key '%s' in [%s] (accepted: %s)", name,
                  scn_section_names[r->section], list);
        return 1;
    }
    if (s->key_lines[r->inst][k] > 0) {
        scn_error(r->err, s->path, r->line, "'%s' is set twice in this section (first at line "
                  "%d)", name, s->key_lines[r->inst][k]);
        return 1;
    }
    if (scn_set_value(s, r->inst, &scn_keys[k], value, why, sizeof(why)) != 0) {
        scn_error(r->err, s->path, r->line, "%s: %s", name, why);
        return 1;
    }
    s->key_lines[r->inst][k] = r->line;
    return 1;
}

/* "-" is standard input, read once: compare and sweep load their scenario more than once
 * (to plan, then per run), and a pipe can be read only once. Later loads get a copy. */
static struct {
    pthread_mutex_t lock;
    bool read;
    char *text;
    size_t size;
    char why[160];
} stdin_scenario = {PTHREAD_MUTEX_INITIALIZER, false, NULL, 0, ""};

static char *slurp_file(FILE *f, size_t *size, char *why, size_t len);

static char *slurp_stdin(size_t *size, char *why, size_t len)
{
    char *copy = NULL;

    pthread_mutex_lock(&stdin_scenario.lock);
    if (!stdin_scenario.read) {
        stdin_scenario.text = slurp_file(stdin, &stdin_scenario.size, stdin_scenario.why,
                                         sizeof(stdin_scenario.why));
        stdin_scenario.read = true;
    }
    if (stdin_scenario.text != NULL && (copy = malloc(stdin_scenario.size + 1)) != NULL) {
        memcpy(copy, stdin_scenario.text, stdin_scenario.size + 1);
        *size = stdin_scenario.size;
    } else {
        snprintf(why, len, "%s", stdin_scenario.text != NULL ? "out of memory"
                                                             : stdin_scenario.why);
    }
    pthread_mutex_unlock(&stdin_scenario.lock);
    return copy;
}

static char *slurp(const char *path, size_t *size, char *why, size_t len)
{
    FILE *f;

    if (strcmp(path, "-") == 0)
        return slurp_stdin(size, why, len);
    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(why, len, "cannot open: %s", strerror(errno));
        return NULL;
    }
    return slurp_file(f, size, why, len);
}

static char *slurp_file(FILE *f, size_t *size, char *why, size_t len)
{
    char *buf;

    if (f == NULL) {
        snprintf(why, len, "cannot open: %s", strerror(errno));
        return NULL;
    }
    buf = malloc(MAX_FILE_BYTES + 1);
    if (buf == NULL) {
        fclose(f);
        snprintf(why, len, "out of memory");
        return NULL;
    }
    *size = fread(buf, 1, MAX_FILE_BYTES + 1, f);
    if (ferror(f) || *size > MAX_FILE_BYTES) {
        snprintf(why, len, ferror(f) ? "cannot read: %s" : "larger than 1 MiB: not a scenario?",
                 strerror(errno));
        if (f != stdin)
            fclose(f);
        free(buf);
        return NULL;
    }
    buf[*size] = '\0';
    if (f != stdin)
        fclose(f);
    return buf;
}

static int parse_text(struct scenario *s, const char *text, size_t size,
                      struct scn_errors *err)
{
    struct reader r = {.s = s, .err = err, .inst = -1, .text = text, .size = size,
                       .variant = -1};
    int bad = ini_parse_stream(read_line, &r, on_pair, &r);

    if (bad > 0)
        scn_error(err, s->path, bad, "not a section header, key = value, or comment");
    return err->count > 0 ? -1 : 0;
}

/* ---------------------------------------------------------------------------------------------
 * Overrides: --set section.key=value, [variant] lines, swept values.
 */


/* Apply override number index of the list being loaded. */
static int apply_override(struct scenario *s, const struct scn_override *ov, int index,
                          struct scn_errors *err)
{
    char why[256];
    const char *value;
    int inst, k;

    k = scn_override_target(s, ov->text, ov->where, ov->line, &inst, err);
    if (k < 0)
        return -1;
    value = strchr(ov->text, '=') + 1;
    while (isspace((unsigned char)*value))
        value++;
    if (scn_set_value(s, inst, &scn_keys[k], value, why, sizeof(why)) != 0) {
        scn_error(err, ov->where, ov->line, "%s: %s", scn_keys[k].name, why);
        return -1;
    }
    s->key_lines[inst][k] = ov->line > 0 ? ov->line : -(1 + index);
    return 0;
}

/* Every [variant] line must name a key and a value it accepts, on this scenario. */
static void check_variants(const struct scenario *s, struct scenario *scratch,
                           struct scn_errors *err)
{
    for (uint32_t v = 0; v < s->n_variants; v++) {
        for (uint32_t j = 0; j < s->variants[v].n_sets; j++) {
            struct scn_override ov = {s->variants[v].sets[j].text, s->path,
                                      s->variants[v].sets[j].line};
            *scratch = *s;
            apply_override(scratch, &ov, 0, err);
        }
    }
}

static void check_sweep(const struct scenario *s, struct scn_errors *err)
{
    struct scn_axis *axis = malloc(sizeof(*axis));

    if (axis == NULL) {
        scn_error(err, s->path, 0, "out of memory");
        return;
    }
    for (uint32_t j = 0; j < s->n_sweep; j++)
        scenario_axis(s, s->sweep[j].text, s->path, s->sweep[j].line, axis, err);
    free(axis);
}

int scenario_build(const char *name, const char *text, size_t size,
                   const struct scn_override *overrides, int n_overrides,
                   const uint64_t *seed_override, struct scenario **out,
                   struct scn_errors *err)
{
    struct scenario *s = calloc(1, sizeof(*s));
    struct scenario *scratch = NULL;

    memset(err, 0, sizeof(*err));
    if (s == NULL) {
        scn_error(err, name, 0, "out of memory");
        return -1;
    }
    snprintf(s->path, sizeof(s->path), "%s", name);
    s->loading = overrides;
    scn_set_defaults(s, INST_MACHINE, SEC_MACHINE);
    scn_set_defaults(s, INST_COST, SEC_COST);
    scn_set_defaults(s, INST_FAULTS, SEC_FAULTS);
    if (parse_text(s, text, size, err) == 0) {
        for (int i = 0; i < n_overrides; i++)
            apply_override(s, &overrides[i], i, err);
        if (seed_override != NULL) {
            s->machine.seed = *seed_override;
            s->key_lines[INST_MACHINE][scn_key_find(SEC_MACHINE, "seed")] = 0;
        }
    }
    if (err->count == 0)
        scenario_resolve(s, err);
    if (err->count == 0 && s->n_variants > 0) {
        scratch = malloc(sizeof(*scratch));
        if (scratch == NULL)
            scn_error(err, name, 0, "out of memory");
        else
            check_variants(s, scratch, err);
        free(scratch);
    }
    if (err->count == 0 && s->n_sweep > 0)
        check_sweep(s, err);
    s->loading = NULL;
    if (err->count > 0) {
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

/* The command line's --set options as overrides that name themselves in messages. */
static int build_with_sets(const char *name, const char *text, size_t size,
                           const char *const *sets, int n, const uint64_t *seed,
                           struct scenario **out, struct scn_errors *err)
{
    struct scn_override *ov = n > 0 ? calloc((size_t)n, sizeof(*ov)) : NULL;
    char (*where)[SCN_SET_MAX + 16] = n > 0 ? calloc((size_t)n, sizeof(*where)) : NULL;
    int rc;

    if (n > 0 && (ov == NULL || where == NULL)) {
        free(ov);
        free(where);
        memset(err, 0, sizeof(*err));
        scn_error(err, name, 0, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        snprintf(where[i], sizeof(where[i]), "--set '%.*s'", SCN_SET_MAX, sets[i]);
        ov[i] = (struct scn_override){sets[i], where[i], 0};
    }
    rc = scenario_build(name, text, size, ov, n, seed, out, err);
    free(ov);
    free(where);
    return rc;
}

char *scenario_read(const char *path, size_t *size, struct scn_errors *err)
{
    char why[160];
    char *text;

    memset(err, 0, sizeof(*err));
    text = slurp(path, size, why, sizeof(why));
    if (text == NULL)
        scn_error(err, path, 0, "%s", why);
    return text;
}

int scenario_load(const char *path, const char *const *overrides, int n_overrides,
                  const uint64_t *seed_override, struct scenario **out, struct scn_errors *err)
{
    size_t size = 0;
    char *text = scenario_read(path, &size, err);
    int rc;

    if (text == NULL)
        return -1;
    rc = build_with_sets(path, text, size, overrides, n_overrides, seed_override, out, err);
    free(text);
    return rc;
}

int scenario_load_text(const char *path, const char *text, size_t size,
                       const char *const *overrides, int n_overrides,
                       const uint64_t *seed_override, struct scenario **out,
                       struct scn_errors *err)
{
    memset(err, 0, sizeof(*err));
    return build_with_sets(path, text, size, overrides, n_overrides, seed_override, out, err);
}

int scenario_parse(const char *name, const char *text, const char *const *overrides,
                   int n_overrides, struct scenario **out, struct scn_errors *err)
{
    return build_with_sets(name, text, strlen(text), overrides, n_overrides, NULL, out, err);
}

