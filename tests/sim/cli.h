/*
 * cli.h - for tests that run the dmasim command: run it with arguments (optionally sending
 * SIGINT part-way) and capture its exit status and output; write scratch files.
 */
#ifndef DMASIM_TEST_CLI_H
#define DMASIM_TEST_CLI_H

#include <stddef.h>

struct outcome {
    int status; /* exit status, or 128 + signal */
    char out[1 << 18], err[1 << 14];
};

/* Run DMASIM_BIN with argv (NULL-terminated, argv[0] included); if sigint_after_ms > 0, send
 * SIGINT that long after the start. */
void run_cli(const char *const *argv, int sigint_after_ms, struct outcome *o);

/* Run a shell command line and keep what it prints on standard output (at most cap - 1
 * bytes, NUL-terminated); it must exit 0. */
void run_shell(const char *cmd, char *out, size_t cap);

/* Write text to a scratch file named after name and this process; returns its path (a static
 * buffer: copy it to keep it across calls). */
const char *write_file(const char *name, const char *text);

#endif /* DMASIM_TEST_CLI_H */
