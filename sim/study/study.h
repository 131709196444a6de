/*
 * study.h - several runs of one scenario side by side.
 *
 * A study is variants x points. A variant is the scenario with some keys overridden
 * ([variant NAME] sections, or --variant on the command line); the first is the baseline. A
 * point is one value of each swept parameter ([sweep], or --vary): a comparison is a study
 * with one point, a sweep one with one or two axes. Every run uses the same seed, so every
 * variant sees the same workload, and each run is the pure function of its scenario that
 * run.h promises: a study's figures do not depend on how many runs went in parallel.
 * With several seeds (--repeat, --seeds) each point and variant runs once per seed, every
 * variant on the same seeds (so differences pair up seed by seed), and its figures are the
 * means, with their spread (study_metric.h).
 *
 * Overrides apply in this order, later ones winning: the file, --set, the variant, the point.
 */
#ifndef DMASIM_STUDY_H
#define DMASIM_STUDY_H

#include <stdbool.h>
#include <stdint.h>

#include "scenario.h"

#define STUDY_MAX_RUNS 1024
#define STUDY_MAX_SEEDS 100 /* --repeat, --seeds: runs of one point and variant */

/* Where the time of an I/O went, per I/O. */
#define STUDY_TIME_MAP(X)                                                   \
    X(APP, "application")         /* the application's own work */         \
    X(DRIVER, "driver")           /* dispatch, mapping, a driver's own copies */ \
    X(BOUNCE, "bounce-copies")    /* the HAL's copies through bounce pages */ \
    X(MAPREG, "map-registers")    /* allocating and freeing map registers */  \
    X(INTERRUPT, "interrupt-dpc") /* ISR and DPC */                        \
    X(DEVICE, "device")           /* the device: latency, descriptors, data on the link */

enum study_time {
#define STUDY_TIME_ENUM(name, text) STUDY_TIME_##name,
    STUDY_TIME_MAP(STUDY_TIME_ENUM)
#undef STUDY_TIME_ENUM
    STUDY_TIME_COUNT
};

const char *study_time_name(enum study_time t);

/* One run's figures: the total over the scenario's devices, or one device's (--device). */
struct study_figures {
    uint64_t ios, failed, bytes, elapsed_ns;
    double throughput;                      /* bytes per virtual second */
    double iops;
    double cpu_per_io_ns;                   /* CPU time per I/O, every cause */
    double time_per_io_ns[STUDY_TIME_COUNT];
    uint64_t p50_ns, p99_ns, max_ns;
    uint64_t pages_mapped, pages_bounced, pages_above_limit;
    uint64_t bytes_bounced;
    uint64_t map_register_waits, map_register_wait_ns;
    uint64_t mappings;           /* stages mapped: S/G lists put, MapTransfer runs flushed */
    uint64_t sg_elements;        /* elements of the S/G lists built */
    uint64_t map_registers_peak; /* map registers held at once, at most */
    uint64_t device_idle_ns;     /* the device idle between I/Os' parts (display adapter) */
    /* cards that make frames (capture): frames written, dropped and late; AVStream's locks */
    uint64_t frames_captured, frames_dropped, frames_late;
    uint64_t lock_attempts, lock_failures, frames_mapped, frame_map_registers;
    uint64_t verified, mismatches, findings, lost;
    uint64_t cache_lines;   /* non-coherent machines: lines cleaned or invalidated */
    uint64_t stale_bytes;   /* bytes a device or the CPU read stale (maintenance missing) */
    bool interrupted;
};

enum study_run_state { RUN_WAITING, RUN_DONE, RUN_FAILED, RUN_SKIPPED };

struct study_run {
    uint32_t point, variant, rep; /* rep: which of the seeds */
    enum study_run_state state;
    struct study_figures fig;
    char why[400]; /* RUN_FAILED: why the run could not start */
};

struct study_variant {
    char name[SCN_NAME_MAX];
    char where[SCN_SET_MAX + 80]; /* the file, or "--variant '...'" */
    int line;                     /* of its [variant NAME] header; 0 from the command line */
    uint32_t n_sets;
    struct scn_set sets[SCN_MAX_SETS]; /* line 0: from the command line */
};

struct study {
    bool sweep;
    char path[256];
    char *text;                 /* the scenario file's text */
    size_t size;
    const char *const *sets;    /* --set, in order */
    int n_sets;
    uint64_t seed;
    bool have_seed;
    uint32_t repeat;            /* --repeat N; 0: not given */
    bool seed_range;            /* --seeds A..B given: seed_lo .. seed_hi */
    uint64_t seed_lo, seed_hi;
    char device[SCN_NAME_MAX];  /* --device; "" for the total */
    uint32_t n_variants;
    struct study_variant variants[SCN_MAX_VARIANTS];
    uint32_t n_axes;
    struct scn_axis axes[SCN_MAX_AXES];
    char axis_where[SCN_MAX_AXES][SCN_SET_MAX + 80];
    int axis_line[SCN_MAX_AXES];
    uint32_t n_points;
    uint32_t n_seeds;           /* seeds each point and variant runs with (--repeat, --seeds) */
    uint64_t seeds[STUDY_MAX_SEEDS]; /* n_seeds > 1: each run's seed; 1: the scenario's */
    uint32_t n_cells;           /* n_points * n_variants; cell = point * n_variants + variant */
    struct study_run *cells;    /* each cell's figures: the means over its seeds */
    uint32_t n_runs;            /* n_cells * n_seeds; run = cell * n_seeds + rep */
    struct study_run *runs;
    const uint32_t *todo;       /* study_execute runs these runs only (a shard), or NULL: all */
    uint32_t n_todo;
    struct scenario *base;      /* file + --set: the configuration reported */
    uint32_t done, failed, skipped;
    bool interrupted;
    uint64_t host_ns;
};

/* study_seeds_parse - the seeds a study runs each point with: --repeat N (N seeds from the
 * scenario's own: S .. S+N-1, resolved by study_plan) or --seeds A..B. 0, or -1 with why. */
int study_seeds_parse(struct study *st, const char *text, bool range, char *why, size_t len);

/* study_variant_parse - "NAME:section.key=value,section.key=value" (a piece without '=' goes
 * on the previous value, so "workload.db.size=4K:1,8K:1" stays whole). 0, or -1 with why[]. */
int study_variant_parse(const char *text, struct study_variant *out, char *why, size_t len);

/* study_plan - read the scenario, take its variants and sweep unless the command line gave
 * its own (cli_variants / cli_vary), and check every run's scenario (nothing runs on a bad
 * one). Fills st (free with study_free). Returns 0, or -1 with errors. */
int study_plan(struct study *st, const struct study_variant *cli_variants, uint32_t n_cli,
               const char *const *cli_vary, uint32_t n_vary, struct scn_errors *err);

/* study_execute - run every run, parallel at once at most; *stop as in host.h. Returns 0,
 * or -1 if no worker thread could start. */
int study_execute(struct study *st, uint32_t parallel, bool progress, volatile int *stop);

/* study_scenario - the scenario one run ran (point, variant, seed rep), to scenario_free;
 * NULL with why (host memory). For a trace of one run of a study. */
struct scenario *study_scenario(const struct study *st, uint32_t point, uint32_t variant,
                                uint32_t rep, char *why, size_t len);

/* study_finish - count the runs' states and make each point and variant's figures from its
 * seeds' runs (study_execute does it; a merge, after filling the runs from files). */
void study_finish(struct study *st);

/* The label of a point ("8 GiB", or "8 GiB, 32" with two axes). */
void study_point_label(const struct study *st, uint32_t point, char *out, size_t len);
/* A point's value on one axis. */
uint32_t study_point_index(const struct study *st, uint32_t point, uint32_t axis);

/* A point and variant: its state (done when every seed's run is) and figures, the means
 * over its seeds (counts rounded to the nearest), or its first run that failed. */
const struct study_run *study_get(const struct study *st, uint32_t point, uint32_t variant);
/* One seed's run of a point and variant (rep < n_seeds). */
const struct study_run *study_rep(const struct study *st, uint32_t point, uint32_t variant,
                                  uint32_t rep);

void study_free(struct study *st);

#endif /* DMASIM_STUDY_H */
