/*
 * cli.c - what the subcommands share (see cli.h).
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
#include "report.h"
#include "study_report.h"
#include "units.h"

int bad_usage(const char *usage, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "dmasim: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n%s", usage);
    return 2;
}


/* Take option c if it is one of those: 0 taken, 2 bad (said so), -1 not one of them. */
int scenario_option(int c, const char *arg, struct scenario_opts *o, const char *usage)
{
    char why[200];

    switch (c) {
    case 's':
        if (units_count(arg, &o->seed, why, sizeof(why)) != 0)
            return bad_usage(usage, "--seed: %s", why);
        o->have_seed = true;
        return 0;
    case 'S':
    case 'V': /* --verifier: Driver Verifier's DMA verification, as machine.verifier = dma */
        if (o->n_sets == MAX_SETS)
            return bad_usage(usage, "at most %d --set options", MAX_SETS);
        o->sets[o->n_sets++] = c == 'V' ? "machine.verifier=dma" : arg;
        return 0;
    default:
        return -1;
    }
}

/* Print a scenario's errors; the exit status for bad input. */
int scenario_errors(const struct scn_errors *errs)
{
    for (int i = 0; i < errs->count; i++)
        fprintf(stderr, "%s\n", errs->text[i]);
    if (errs->more)
        fprintf(stderr, "(%d more errors)\n", errs->more);
    return 2;
}

/* A progress line (with its escape sequences) only for a terminal that takes them: not when
 * standard error is a file or a pipe, nor with TERM=dumb (or none). */
bool stderr_is_terminal(void)
{
    const char *term = getenv("TERM");

    return isatty(STDERR_FILENO) && term != NULL && term[0] != '\0' && strcmp(term, "dumb") != 0;
}

/* The format a path's extension names (.json, .csv, .html), -1 for none, -2 for .html where
 * the command has no HTML (a single run): with no --format, -o report.json writes JSON. */
static int format_of_path(const char *path, bool study)
{
    const char *dot = path != NULL ? strrchr(path, '.') : NULL;

    if (dot == NULL || strchr(dot, '/') != NULL)
        return -1;
    if (strcmp(dot, ".json") == 0)
        return study ? STUDY_JSON : REPORT_JSON;
    if (strcmp(dot, ".csv") == 0)
        return study ? STUDY_CSV : REPORT_CSV;
    if (strcmp(dot, ".html") == 0 || strcmp(dot, ".htm") == 0)
        return study ? STUDY_HTML : -2;
    return -1;
}


/* Another -o: at most MAX_OUTPUTS, no path twice (by name, or the same existing file by
 * another name), standard output once. 0, or 2 with the usage error said. */
int outputs_add(struct outputs *o, const char *path, const char *usage)
{
    struct stat a, b;

    if (path[0] == '\0')
        return bad_usage(usage, "-o needs a file name (or - for standard output)");
    if (o->n == MAX_OUTPUTS)
        return bad_usage(usage, "at most %d outputs (-o)", MAX_OUTPUTS);
    for (int i = 0; i < o->n; i++) {
        bool same = strcmp(o->path[i], path) == 0;
        if (!same && strcmp(path, "-") != 0 && strcmp(o->path[i], "-") != 0 &&
            stat(path, &a) == 0 && stat(o->path[i], &b) == 0)
            same = a.st_dev == b.st_dev && a.st_ino == b.st_ino && S_ISREG(a.st_mode);
        if (same)
            return bad_usage(usage, "-o %s is given twice", path);
    }
    o->path[o->n++] = path;
    return 0;
}

/* Each output's format: --format (fmt_opt >= 0) says it for all, else the path's extension,
 * else text. No -o: standard output. 0, or 2 with the usage error said. */
int outputs_formats(struct outputs *o, int fmt_opt, bool study, const char *usage)
{
    if (o->n == 0)
        o->path[o->n++] = "-";
    for (int i = 0; i < o->n; i++) {
        int f = format_of_path(o->path[i], study);
        if (fmt_opt >= 0)
            f = fmt_opt;
        else if (f == -2)
            return bad_usage(usage, "-o %s: a run's report is text, json or csv (the HTML "
                             "report belongs to compare and sweep); say --format", o->path[i]);
        o->fmt[i] = f >= 0 ? f : 0; /* 0: REPORT_TEXT and STUDY_TEXT */
    }
    return 0;
}

/* Open every output. 0, or 1 with why (and none left open). */
int outputs_begin(struct outputs *o)
{
    char why[4400];

    for (int i = 0; i < o->n; i++) {
        if (outfile_open(&o->f[i], o->path[i], why, sizeof(why)) != 0) {
            fprintf(stderr, "dmasim: %s\n", why);
            while (i-- > 0)
                outfile_close(&o->f[i], false, why, sizeof(why));
            return 1;
        }
    }
    return 0;
}

/* Write every output with fn in its format and finish (ok false: the run failed, what was
 * there stays). An output that cannot be written leaves every file as it was. 0, or 1. */
int outputs_end(struct outputs *o, bool ok, void (*fn)(FILE *out, int fmt, const void *ctx),
                       const void *ctx)
{
    char why[4400];
    int rc = 0;

    for (int i = 0; ok && i < o->n; i++) {
        fn(o->f[i].f, o->fmt[i], ctx);
        if (outfile_flush(&o->f[i], why, sizeof(why)) != 0) {
            fprintf(stderr, "dmasim: %s\n", why);
            ok = false;
            rc = 1;
        }
    }
    for (int i = 0; i < o->n; i++) {
        if (outfile_close(&o->f[i], ok, why, sizeof(why)) != 0) {
            fprintf(stderr, "dmasim: %s\n", why);
            rc = 1;
        }
    }
    return rc;
}

/* Whether every output is one of the formats a person reads (text, html) rather than data. */
bool outputs_all_read(const struct outputs *o, int text, int html)
{
    for (int i = 0; i < o->n; i++)
        if (o->fmt[i] != text && o->fmt[i] != html)
            return false;
    return true;
}
