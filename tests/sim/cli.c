/*
 * cli.c - running the dmasim command from a test, and scratch files (see cli.h).
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

/* Read fd to its end: the first cap - 1 bytes into buf, the rest drained (a command that
 * prints more than the buffer holds must not block on a full pipe). */
static void slurp_fd(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    ssize_t got;
    char sink[4096];

    while (n + 1 < cap && (got = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)got;
    buf[n] = '\0';
    while (read(fd, sink, sizeof(sink)) > 0)
        ;
}

/* Run dmasim with argv; if sigint_after_ms > 0, send SIGINT that long after the start. */
void run_cli(const char *const *argv, int sigint_after_ms, struct outcome *o)
{
    int out[2], err[2], st;
    pid_t pid;

    ck_assert_int_eq(pipe(out), 0);
    ck_assert_int_eq(pipe(err), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(out[0]);
        close(err[0]);
        execv(DMASIM_BIN, (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    if (sigint_after_ms > 0) {
        usleep((useconds_t)sigint_after_ms * 1000);
        kill(pid, SIGINT);
    }
    slurp_fd(out[0], o->out, sizeof(o->out));
    slurp_fd(err[0], o->err, sizeof(o->err));
    close(out[0]);
    close(err[0]);
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

const char *write_file(const char *name, const char *text)
{
    static char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "/tmp/dmasim-cli-%d-%s", (int)getpid(), name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

void run_shell(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    size_t n;

    ck_assert_ptr_nonnull(p);
    n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    ck_assert_msg(pclose(p) == 0, "%s: did not exit 0", cmd);
}
