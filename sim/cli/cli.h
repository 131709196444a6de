/*
 * cli.h - what the dmasim command's subcommands share: usage errors (exit status 2), the
 * options every scenario command takes, scenario errors, the terminal test, and the outputs
 * (-o, repeatable) each report goes to. The subcommands are cli_run.c (run), cli_study.c
 * (compare, sweep, merge) and cli_tools.c (explain, dma, keys); bench is bench.c.
 */
#ifndef DMASIM_CLI_H
#define DMASIM_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "outfile.h"
#include "scenario.h"

#define MAX_SETS 64

/* The usage error: "dmasim: MESSAGE", then the usage text, on stderr. Returns 2. */
int bad_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The options every scenario command takes: --seed N, --set S.K=V and --verifier. */
struct scenario_opts {
    const char *sets[MAX_SETS];
    int n_sets;
    uint64_t seed;
    bool have_seed;
};

/* One of --seed, --set, --verifier (c is its getopt value): 0, or 2 said. */
int scenario_option(int c, const char *arg, struct scenario_opts *o, const char *usage);
/* Print a scenario's errors ("file:line: message"). Returns 2. */
int scenario_errors(const struct scn_errors *errs);
/* Whether standard error is a terminal that takes a progress line's escapes. */
bool stderr_is_terminal(void);

/* The outputs a command writes (-o, repeatable: one run gives its report in several formats,
 * -o - -o report.html): each opened before the run, so that a path that cannot be written
 * fails at once, not after minutes of running, and replaced only when every one of them has
 * been written whole (outfile.c keeps what is there until then). */
#define MAX_OUTPUTS 4

struct outputs {
    int n;
    const char *path[MAX_OUTPUTS]; /* "-": standard output */
    int fmt[MAX_OUTPUTS];
    struct outfile f[MAX_OUTPUTS];
};

int outputs_add(struct outputs *o, const char *path, const char *usage);
int outputs_formats(struct outputs *o, int fmt_opt, bool study, const char *usage);
int outputs_begin(struct outputs *o);
int outputs_end(struct outputs *o, bool ok, void (*fn)(FILE *out, int fmt, const void *ctx),
                const void *ctx);
bool outputs_all_read(const struct outputs *o, int text, int html);

/* The subcommands: argv[0] is the command's name. Each returns the exit status. */
int cmd_run(int argc, char **argv);
int cmd_study(int argc, char **argv, bool sweep);
int cmd_merge(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_dma(int argc, char **argv);
int cmd_keys(int argc, char **argv);

#endif /* DMASIM_CLI_H */
