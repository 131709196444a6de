/*
 * units.c - parse and format numbers with units (see units.h).
 *
 * Hand-written: the grammar is a handful of suffixes, and no Debian library parses "7.2GB/s".
 * A number is digits with an optional fraction; the value is computed exactly in 128-bit
 * integers (no floating point), rounded to the nearest unit, and checked for overflow.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "units.h"

struct suffix {
    const char *text;
    uint64_t scale;
};

#define KI 1024ULL
static const struct suffix size_suffixes[] = {
    {"", 1},
    {"B", 1},
    {"K", KI},          {"KiB", KI},          {"KB", 1000ULL},
    {"M", KI * KI},     {"MiB", KI * KI},     {"MB", 1000000ULL},
    {"G", KI * KI * KI}, {"GiB", KI * KI * KI}, {"GB", 1000000000ULL},
    {"T", KI * KI * KI * KI}, {"TiB", KI * KI * KI * KI}, {"TB", 1000000000000ULL},
    {"P", KI * KI * KI * KI * KI}, {"PiB", KI * KI * KI * KI * KI},
    {"PB", 1000000000000000ULL},
    {NULL, 0},
};

static const struct suffix time_suffixes[] = {
    {"ns", 1}, {"us", 1000ULL}, {"ms", 1000000ULL}, {"s", 1000000000ULL}, {NULL, 0},
};

static const struct suffix count_suffixes[] = {
    {"", 1}, {"k", 1000ULL}, {"K", 1000ULL}, {"M", 1000000ULL}, {"G", 1000000000ULL},
    {NULL, 0},
};

/* Split "  7.2GB/s " into the number's value scaled by the suffix from the table. */
static int parse_scaled(const char *text, const struct suffix *table, const char *what,
                        const char *accepted, uint64_t *out, char *why, size_t len)
{
    const char *p = text;
    unsigned __int128 whole = 0, frac = 0, frac_div = 1, v;
    char unit[16];
    size_t n = 0;

    while (isspace((unsigned char)*p))
        p++;
    /* hexadecimal (addresses, IOCTL codes, request lines): a whole number, no suffix */
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        if (!isxdigit((unsigned char)*p)) {
            snprintf(why, len, "'%s': 0x needs hexadecimal digits after it", text);
            return -1;
        }
        for (; isxdigit((unsigned char)*p); p++) {
            whole = whole * 16 + (unsigned)(isdigit((unsigned char)*p) ? *p - '0'
                                                                      : tolower(*p) - 'a' + 10);
            if (whole > UINT64_MAX)
                goto overflow;
        }
        while (isspace((unsigned char)*p))
            p++;
        if (*p != '\0') {
            snprintf(why, len, "'%s': a hexadecimal number takes no unit", text);
            return -1;
        }
        *out = (uint64_t)whole;
        return 0;
    }
    if (!isdigit((unsigned char)*p)) {
        snprintf(why, len, "'%s' is not a %s (accepted: %s)", text, what, accepted);
        return -1;
    }
    for (; isdigit((unsigned char)*p); p++) {
        whole = whole * 10 + (unsigned)(*p - '0');
        if (whole > UINT64_MAX)
            goto overflow;
    }
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) {
            snprintf(why, len, "'%s': a fraction needs digits after the point", text);
            return -1;
        }
        for (; isdigit((unsigned char)*p); p++) {
            if (frac_div < 1000000000000ULL) {
                frac = frac * 10 + (unsigned)(*p - '0');
                frac_div *= 10;
            }
        }
    }
    while (*p != '\0' && !isspace((unsigned char)*p) && n + 1 < sizeof(unit))
        unit[n++] = *p++;
    unit[n] = '\0';
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '\0') {
        snprintf(why, len, "'%s' is not a %s (accepted: %s)", text, what, accepted);
        return -1;
    }
    for (const struct suffix *s = table; s->text != NULL; s++) {
        if (strcmp(s->text, unit) != 0)
            continue;
        if ((frac * s->scale) % frac_div != 0) { /* 1.5 CPUs, seed 1.5, 0.5 bytes: refused */
            const char *base = strcmp(what, "size") == 0        ? " of bytes"
                               : strcmp(what, "time") == 0      ? " of nanoseconds"
                               : strcmp(what, "bandwidth") == 0 ? " of bytes per second"
                                                                : "";
            snprintf(why, len, "'%s' is not a whole number%s: it is not rounded (accepted: %s)",
                     text, base, accepted);
            return -1;
        }
        v = whole * s->scale + frac * s->scale / frac_div;
        if (v > UINT64_MAX)
            goto overflow;
        *out = (uint64_t)v;
        return 0;
    }
    snprintf(why, len, "'%s': unknown unit '%s' for a %s (accepted: %s)", text, unit, what,
             accepted);
    return -1;
overflow:
    snprintf(why, len, "'%s' is too large", text);
    return -1;
}

int units_size(const char *text, uint64_t *out, char *why, size_t len)
{
    return parse_scaled(text, size_suffixes, "size",
                        "bytes, or K M G T P (binary), KB MB GB TB (decimal), e.g. 64K",
                        out, why, len);
}

int units_time(const char *text, uint64_t *out_ns, char *why, size_t len)
{
    const char *p = text;

    while (isspace((unsigned char)*p))
        p++;
    if (strspn(p, "0") > 0 && p[strspn(p, "0")] == '\0') {
        *out_ns = 0;
        return 0;
    }
    return parse_scaled(text, time_suffixes, "time", "a number with ns, us, ms or s, e.g. 20us",
                        out_ns, why, len);
}

int units_bandwidth(const char *text, uint64_t *out, char *why, size_t len)
{
    char copy[64];
    size_t n = strlen(text);
    uint64_t v;

    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    if (n >= sizeof(copy)) {
        snprintf(why, len, "'%s' is too long for a bandwidth", text);
        return -1;
    }
    memcpy(copy, text, n);
    copy[n] = '\0';
    if (n > 2 && strcmp(copy + n - 2, "/s") == 0)
        copy[n - 2] = '\0';
    if (parse_scaled(copy, size_suffixes, "bandwidth",
                     "a size per second, e.g. 10GB/s or 512M/s", &v, why, len) != 0)
        return -1;
    if (v == 0) {
        snprintf(why, len, "'%s': a bandwidth must be more than zero", text);
        return -1;
    }
    *out = v;
    return 0;
}

int units_count(const char *text, uint64_t *out, char *why, size_t len)
{
    return parse_scaled(text, count_suffixes, "count", "a whole number, or with k, M, G",
                        out, why, len);
}

int units_percent(const char *text, uint64_t *out, char *why, size_t len)
{
    char copy[32];
    size_t n = strlen(text);

    if (n >= sizeof(copy)) {
        snprintf(why, len, "'%s' is not a percentage", text);
        return -1;
    }
    memcpy(copy, text, n + 1);
    if (n > 0 && copy[n - 1] == '%')
        copy[n - 1] = '\0';
    static const struct suffix plain[] = {{"", 1}, {NULL, 0}};

    if (parse_scaled(copy, plain, "percentage", "0 .. 100, e.g. 70%", out, why,
                     len) != 0)
        return -1;
    return 0;
}

int units_bool(const char *text, uint64_t *out, char *why, size_t len)
{
    static const char *const yes[] = {"yes", "true", "on", "1", NULL};
    static const char *const no[] = {"no", "false", "off", "0", NULL};

    for (int i = 0; yes[i] != NULL; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    snprintf(why, len, "'%s' is not yes or no (accepted: yes, no, true, false, on, off, 1, 0)",
             text);
    return -1;
}

void units_format_size(uint64_t bytes, char *out, size_t len)
{
    static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int i = 0;
    double v = (double)bytes;

    while (v >= 1024.0 && i < 6) {
        v /= 1024.0;
        i++;
    }
    if (i == 0)
        snprintf(out, len, "%llu B", (unsigned long long)bytes);
    else if (v == (double)(uint64_t)v)
        snprintf(out, len, "%.0f %s", v, names[i]);
    else
        snprintf(out, len, "%.*f %s", v < 10 ? 2 : 1, v, names[i]);
}

void units_format_time(uint64_t ns, char *out, size_t len)
{
    if (ns < 1000)
        snprintf(out, len, "%llu ns", (unsigned long long)ns);
    else if (ns < 1000000)
        snprintf(out, len, "%.2f us", ns / 1e3);
    else if (ns < 1000000000)
        snprintf(out, len, "%.2f ms", ns / 1e6);
    else
        snprintf(out, len, "%.3f s", ns / 1e9);
}

void units_format_bandwidth(double bps, char *out, size_t len)
{
    if (bps >= 1e9)
        snprintf(out, len, "%.2f GB/s", bps / 1e9);
    else if (bps >= 1e6)
        snprintf(out, len, "%.1f MB/s", bps / 1e6);
    else
        snprintf(out, len, "%.1f KB/s", bps / 1e3);
}
