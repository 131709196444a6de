/*
 * shard.h - a sweep that outgrows one machine: its points dealt to shards that the cluster's
 * own batch engine runs (GNU parallel, Slurm, HTCondor: docs/clusters.md), one result file per
 * point, and the merge that makes the same report a one-machine run makes, byte for byte.
 *
 * Shard I of N (1 <= I <= N) runs the points p (0-based) with p % N == I - 1. A point's runs
 * are those of every variant on every seed, with the same seeds whichever shard runs it, so
 * sharding never changes a result. Each finished point is written to DIR/point-NNNN.json
 * (replaced whole or not at all) with the study's plan, a hash of that plan and the dmasim
 * version; a rerun skips the points already there, so a shard cut short resumes. A file of
 * another plan in DIR is never overwritten: the run refuses.
 */
#ifndef DMASIM_SHARD_H
#define DMASIM_SHARD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "study.h"

/* How a study was asked for: what a merge needs to plan it again. */
struct shard_request {
    const char *const *variants; /* --variant texts, in order */
    uint32_t n_variants;
    const char *const *vary;     /* --vary texts */
    uint32_t n_vary;
};

/* "I/N": 0, or -1 with why. */
int shard_parse(const char *text, uint32_t *index, uint32_t *count, char *why, size_t len);

/* The numbered points of a planned study, one a line ("3  machine.memory=16G"). */
void shard_list(FILE *out, const struct study *st);

/* Run shard index of count (1-based) of a planned study into dir (created if missing),
 * skipping points already there. Returns 0 (*ran and *kept: points run now and found done),
 * 1 with why (a run failed to start, a file could not be written, Ctrl-C), or 2 with why (dir
 * holds points of another study). */
int shard_run(struct study *st, const struct shard_request *req, uint32_t index, uint32_t count,
              const char *dir, uint32_t jobs, bool progress, volatile int *stop,
              uint32_t *ran, uint32_t *kept, char *why, size_t len);

/* Read every point file in dir, check they are one study's (the same plan hash and dmasim
 * version, every point once), plan it again and fill its runs: st is then what the
 * one-machine sweep had after running (free with study_free). Returns 0, or 2 with why. */
int shard_merge(const char *dir, struct study *st, char *why, size_t len);

/* Release what shard_merge kept for st (its --set and --variant texts). */
void shard_merge_free(struct study *st);

#endif /* DMASIM_SHARD_H */
