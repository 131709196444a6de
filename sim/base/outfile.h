/*
 * outfile.h - where a report or a trace goes: a regular file replaced whole or not at all, or
 * whatever else the path names (a terminal, /dev/null, a pipe), written through.
 */
#ifndef DMASIM_OUTFILE_H
#define DMASIM_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

struct outfile {
    FILE *f;          /* write here; a caller that takes the descriptor over may close it */
    char path[4096];  /* what the user named ("-": standard output) */
    char final[4096]; /* the regular file the temporary one replaces ("": written through) */
    char tmp[4200];   /* the temporary file, unique in final's directory, or "" */
    bool is_stdout;
};

/* outfile_open - get ready to write path. A regular file (or none yet, or a symbolic link to
 * one: the file it names) is written to a new temporary file beside it, which replaces it
 * only at outfile_close, so a failed run leaves what was there; the temporary file never
 * overwrites anything. Anything else (a device such as /dev/null or /dev/full, a FIFO, "-"
 * for standard output) is written through. Returns 0, or -1 with why. */
int outfile_open(struct outfile *o, const char *path, char *why, size_t len);

/* outfile_flush - push what was written to the file (or through), so that a write error shows
 * before anything is replaced: a command with several outputs flushes them all, then replaces
 * them all only if every one was written. Returns 0, or -1 with why. */
int outfile_flush(struct outfile *o, char *why, size_t len);

/* outfile_close - finish: with ok (and every write done) the temporary file replaces the
 * target; otherwise it is removed. o->f may already be closed by the caller (NULL). Returns 0,
 * or -1 with why (a write that failed, even written through, is reported). */
int outfile_close(struct outfile *o, bool ok, char *why, size_t len);

#endif /* DMASIM_OUTFILE_H */
