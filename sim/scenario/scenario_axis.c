/*
 * scenario_axis.c - a sweep's axes (a list or a range of values for one key), their labels
 * and numbers, and the read-back of a scenario's effective values (for the reports).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"
#include "units.h"

/* ---------------------------------------------------------------------------------------------
 * Sweeps: a list or a range of values for one key.
 */

/* A number as the exact text its key reads back: sizes with the largest binary suffix that
 * divides them (4G, 1T), everything else in the key's base unit. */
static void exact_text(const struct key_def *k, uint64_t v, char *out, size_t len)
{
    static const char suffix[] = "KMGTP";
    int at = -1;

    if (k->type == KT_SIZE) {
        while (at < 4 && v != 0 && (v & 1023) == 0) {
            v >>= 10;
            at++;
        }
    }
    if (at >= 0)
        snprintf(out, len, "%" PRIu64 "%c", v, suffix[at]);
    else if (k->type == KT_TIME)
        snprintf(out, len, "%" PRIu64 "ns", v);
    else
        snprintf(out, len, "%" PRIu64, v);
}

static void trim(char *t)
{
    size_t n = strlen(t), b = 0;

    while (n > 0 && isspace((unsigned char)t[n - 1]))
        t[--n] = '\0';
    while (isspace((unsigned char)t[b]))
        b++;
    memmove(t, t + b, n - b + 1);
}

/* "A..B*F" or "A..B+S": expand; 0, or -1 with why[]. */
static int expand_range(const struct key_def *k, const char *spec, struct scn_axis *out,
                        char *why, size_t len)
{
    char lo_text[SCN_VALUE_MAX], hi_text[SCN_VALUE_MAX];
    const char *dots = strstr(spec, ".."), *op;
    uint64_t lo, hi, step, v;
    bool times;

    op = strpbrk(dots + 2, "*+");
    if (!scn_ranged(k) || op == NULL || (size_t)(dots - spec) >= sizeof(lo_text) ||
        (size_t)(op - dots - 2) >= sizeof(hi_text)) {
        snprintf(why, len, "'%.60s': a range is LOW..HIGH*FACTOR or LOW..HIGH+STEP, for a "
                 "numeric key", spec);
        return -1;
    }
    snprintf(lo_text, sizeof(lo_text), "%.*s", (int)(dots - spec), spec);
    snprintf(hi_text, sizeof(hi_text), "%.*s", (int)(op - dots - 2), dots + 2);
    trim(lo_text);
    trim(hi_text);
    times = *op == '*';
    if (scn_parse_number(k, lo_text, &lo, why, len) || scn_parse_number(k, hi_text, &hi, why, len))
        return -1;
    if (times ? units_count(op + 1, &step, why, len) : scn_parse_number(k, op + 1, &step, why, len))
        return -1;
    if (lo > hi || (times && step < 2) || step == 0) {
        snprintf(why, len, "'%.60s': the range needs LOW <= HIGH and a factor of at least 2 or a "
                 "step above 0", spec);
        return -1;
    }
    out->n = 0;
    for (v = lo; v <= hi; v = times ? v * step : v + step) {
        if (out->n == SCN_MAX_POINTS) {
            snprintf(why, len, "'%.60s' gives more than %d values", spec, SCN_MAX_POINTS);
            return -1;
        }
        exact_text(k, v, out->value[out->n++], SCN_VALUE_MAX);
        if ((times && v > UINT64_MAX / step) || (!times && v > UINT64_MAX - step))
            break;
    }
    return 0;
}

int scenario_axis(const struct scenario *base, const char *spec, const char *where, int line,
                  struct scn_axis *out, struct scn_errors *err)
{
    const char *eq = strchr(spec, '=');
    char why[256], list[SCN_SET_MAX], *save = NULL, *item;
    struct scenario *scratch;
    int inst, k, before = err->count;

    memset(out, 0, sizeof(*out));
    k = scn_override_target(base, spec, where, line, &inst, err);
    if (k < 0)
        return -1;
    snprintf(out->key, sizeof(out->key), "%.*s", (int)(eq - spec), spec);
    trim(out->key);
    snprintf(list, sizeof(list), "%s", eq + 1);
    trim(list);
    if (strstr(list, "..") != NULL && strpbrk(strstr(list, "..") + 2, "*+") != NULL &&
        scn_keys[k].type != KT_SIZES) {
        if (expand_range(&scn_keys[k], list, out, why, sizeof(why)) != 0) {
            scn_error(err, where, line, "%s: %s", out->key, why);
            return -1;
        }
    } else {
        for (item = strtok_r(list, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
            trim(item);
            if (out->n == SCN_MAX_POINTS || strlen(item) >= SCN_VALUE_MAX || item[0] == '\0') {
                scn_error(err, where, line, "%s: a sweep takes 1 .. %d values of at most %d "
                          "characters, separated by commas", out->key, SCN_MAX_POINTS,
                          SCN_VALUE_MAX - 1);
                return -1;
            }
            snprintf(out->value[out->n++], SCN_VALUE_MAX, "%s", item);
        }
    }
    if (out->n == 0) {
        scn_error(err, where, line, "%s: no values to sweep", out->key);
        return -1;
    }
    scratch = malloc(sizeof(*scratch));
    if (scratch == NULL) {
        scn_error(err, where, line, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < out->n; i++) {
        *scratch = *base;
        if (scn_set_value(scratch, inst, &scn_keys[k], out->value[i], why, sizeof(why)) != 0)
            scn_error(err, where, line, "%s: %s", out->key, why);
    }
    free(scratch);
    return err->count > before ? -1 : 0;
}

/* The key an axis sweeps, or -1. */
static int axis_key(const struct scn_axis *axis)
{
    const char *dot = strrchr(axis->key, '.');
    enum scn_section sec = strncmp(axis->key, "machine.", 8) == 0 ? SEC_MACHINE
                           : strncmp(axis->key, "cost.", 5) == 0  ? SEC_COST
                           : strncmp(axis->key, "faults.", 7) == 0 ? SEC_FAULTS
                           : strncmp(axis->key, "device.", 7) == 0 ? SEC_DEVICE
                                                                   : SEC_WORKLOAD;

    return dot ? scn_key_find(sec, dot + 1) : -1;
}

bool scenario_axis_number(const struct scn_axis *axis, uint32_t i, double *out)
{
    int k = axis_key(axis);
    uint64_t v;
    char why[128];

    if (k < 0 || !scn_ranged(&scn_keys[k]) ||
        scn_parse_number(&scn_keys[k], axis->value[i], &v, why, sizeof(why)) != 0)
        return false;
    *out = (double)v;
    return true;
}

void scenario_axis_label(const struct scn_axis *axis, uint32_t i, char *out, size_t len)
{
    int k = axis_key(axis);
    uint64_t v;
    char why[128];

    if (k >= 0 && scn_keys[k].type == KT_SIZE &&
        scn_parse_number(&scn_keys[k], axis->value[i], &v, why, sizeof(why)) == 0) {
        units_format_size(v, out, len);
        return;
    }
    snprintf(out, len, "%s", axis->value[i]);
}

void scenario_free(struct scenario *s)
{
    free(s);
}

/* ---------------------------------------------------------------------------------------------
 * Read-back.
 */
static void format_sizes(const struct scn_sizes *z, char *out, size_t len)
{
    size_t at = 0;

    if (z->kind == SIZES_UNIFORM) {
        snprintf(out, len, "%" PRIu64 "..%" PRIu64, z->bytes[0], z->bytes[1]);
        return;
    }
    if (z->kind == SIZES_FIXED) {
        snprintf(out, len, "%" PRIu64, z->bytes[0]);
        return;
    }
    out[0] = '\0';
    for (uint32_t i = 0; i < z->count && at < len; i++)
        at += (size_t)snprintf(out + at, len - at, "%s%" PRIu64 ":%" PRIu64, i ? "," : "",
                               z->bytes[i], z->weight[i]);
}

static void each_in(struct scenario *s, int inst, enum scn_section sec, const char *title,
                    void (*fn)(void *, const char *, const char *, const char *, bool),
                    void *ctx)
{
    char value[200];

    for (int i = 0; i < scn_n_keys; i++) {
        const struct key_def *k = &scn_keys[i];
        const void *field = (const char *)scn_instance_base(s, inst) + k->offset;
        uint64_t v = k->type == KT_NAME || k->type == KT_PATH || k->type == KT_SIZES
                         ? 0 : *(const uint64_t *)field;
        bool number = true;

        /* an alias names a field another key already shows */
        if (k->section != sec || (k->type == KT_ADAPTER && strcmp(k->name, "adapter") != 0))
            continue;
        switch (k->type) {
        case KT_NAME:
            snprintf(value, sizeof(value), "%s", (const char *)field);
            number = false;
            break;
        case KT_PATH:
            snprintf(value, sizeof(value), "%s", *(const char *)field ? (const char *)field
                                                                       : "auto");
            number = false;
            break;
        case KT_SIZES:
            format_sizes(field, value, sizeof(value));
            number = ((const struct scn_sizes *)field)->kind == SIZES_FIXED;
            break;
        case KT_ENUM:
            snprintf(value, sizeof(value), "%s", k->choices[v]);
            number = false;
            break;
        case KT_ADAPTER:
            snprintf(value, sizeof(value), "%s", dms_adapter_kinds[v]->name);
            number = false;
            break;
        case KT_PATTERN:
            snprintf(value, sizeof(value), "%s", dms_pattern_name((enum dms_pattern)v));
            number = false;
            break;
        case KT_BOOL:
            snprintf(value, sizeof(value), "%s", v ? "true" : "false");
            break;
        default:
            snprintf(value, sizeof(value), "%" PRIu64, v);
            break;
        }
        fn(ctx, title, k->name, value, number);
    }
}

void scenario_each_value(const struct scenario *cs,
                         void (*fn)(void *, const char *, const char *, const char *, bool),
                         void *ctx)
{
    struct scenario *s = (struct scenario *)(uintptr_t)cs; /* read only; shares scn_instance_base */
    char title[64];

    each_in(s, INST_MACHINE, SEC_MACHINE, "machine", fn, ctx);
    each_in(s, INST_COST, SEC_COST, "cost", fn, ctx);
    each_in(s, INST_FAULTS, SEC_FAULTS, "faults", fn, ctx);
    for (uint32_t i = 0; i < s->n_devices; i++) {
        snprintf(title, sizeof(title), "device %s", s->devices[i].name);
        each_in(s, INST_DEVICE(i), SEC_DEVICE, title, fn, ctx);
    }
    for (uint32_t i = 0; i < s->n_workloads; i++) {
        snprintf(title, sizeof(title), "workload %s", s->workloads[i].name);
        each_in(s, INST_WORKLOAD(i), SEC_WORKLOAD, title, fn, ctx);
    }
}

