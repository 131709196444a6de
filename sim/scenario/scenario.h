/*
 * scenario.h - scenario files: what they may say, their defaults, and the validated result.
 *
 * A scenario is an INI file (read with inih) of these kinds of section:
 *   [machine]         the simulated machine: memory, MMIO hole, placement, CPUs, seed, data
 *   [cost]            the cost model's parameters
 *   [device NAME]     one simulated adapter: kind, address lines, pattern, limits
 *   [workload NAME]   what one device is asked to do
 *   [variant NAME]    for dmasim compare and sweep: section.key = value overrides
 *   [sweep]           for dmasim sweep: section.key = a list or range of values to run
 * Every key, its type, default, range and meaning is one row of the key table (scenario.c);
 * docs/scenarios.md is written from the same table and a test keeps them in step.
 *
 * Loading either yields a complete, validated scenario (every "auto" resolved) or a list of
 * errors, each "file:line: message"; nothing is half-applied.
 */
#ifndef DMASIM_SCENARIO_H
#define DMASIM_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dmasim/adapter.h"
#include "engine.h"

#define SCN_NAME_MAX 32
#define SCN_PATH_MAX 256
#define SCN_MAX_DEVICES 1024
#define SCN_MAX_SIZES 16
#define SCN_MAX_ERRORS 20
#define SCN_MAX_KEYS 96
#define SCN_INSTANCES (3 + 2 * SCN_MAX_DEVICES) /* machine, cost, faults, devices, workloads */
#define SCN_AUTO UINT64_MAX /* an "auto" value before resolution */
#define SCN_MAX_VARIANTS 16
#define SCN_MAX_SETS 16      /* overrides in one variant */
#define SCN_SET_MAX 200      /* characters of one "section.key=value" */
#define SCN_MAX_AXES 2       /* parameters one sweep varies */
#define SCN_MAX_POINTS 64    /* values of one swept parameter */
#define SCN_VALUE_MAX 48

enum scn_section { SEC_MACHINE, SEC_COST, SEC_FAULTS, SEC_DEVICE, SEC_WORKLOAD, SEC_COUNT };
enum scn_placement { PLACE_RANDOM, PLACE_LOW_FIRST, PLACE_HIGH_FIRST, PLACE_RANGE };
enum scn_data { DATA_FULL, DATA_METADATA };
enum scn_op { OP_READ, OP_WRITE, OP_MIX, OP_IOCTL };
enum scn_offsets { OFFSETS_RANDOM, OFFSETS_SEQUENTIAL };
enum scn_buffers { BUFFERS_POOL, BUFFERS_FRESH };
enum scn_size_kind { SIZES_FIXED, SIZES_UNIFORM, SIZES_WEIGHTED };

struct scn_sizes {
    uint64_t kind;           /* enum scn_size_kind */
    uint32_t count;
    uint64_t bytes[SCN_MAX_SIZES];
    uint64_t weight[SCN_MAX_SIZES];
    uint64_t weight_total;
};

struct scn_machine {
    uint64_t memory, mmio_hole_start, mmio_hole_end, reserved_low;
    uint64_t placement, range_start, range_end, contiguous;
    uint64_t cpus, seed, data, map_register_limit, bounce_pool, coherent;
    uint64_t isa_dma, soc_dma_channels, soc_dma_request_lines, verifier, iommu;
    uint64_t iommu_invalidation, iotlb_entries;
    uint64_t io_timeout; /* virtual ns an I/O may stay outstanding before the run stops */
};

/* [faults]: what the HAL makes fail, at what rate (percent of calls), on its own PRNG. */
struct scn_faults {
    uint64_t seed, pool, mdl, common_buffer, contiguous, map_registers, interrupts,
        device_errors, spurious_interrupts, stalls, during_start;
};

struct scn_device {
    char name[SCN_NAME_MAX];
    int line;
    uint64_t adapter;        /* index into dms_adapter_kinds */
    uint64_t address_bits, declared_bits, scatter_gather, max_transfer, pattern;
    uint64_t engines, latency, link_bandwidth, ring_entries, flush_io_buffers, dma_line,
        periods, dma_remapping, descriptor_high, queue_memory, dma_adapters;
    uint64_t frame_rate, locks, lock_policy, registration; /* capture */
    char driver[SCN_PATH_MAX];      /* driver = FILE, as written ("" for auto) */
    char driver_path[SCN_PATH_MAX]; /* the same, resolved against the scenario's folder */
    uint64_t register_base;         /* cards at their registers: the BAR, or SCN_AUTO */
    int workload;            /* index of its workload, -1 none */
};

struct scn_workload {
    char name[SCN_NAME_MAX];
    int line;
    char device_name[SCN_NAME_MAX];
    int device;              /* index into devices */
    uint64_t op, read_share;
    struct scn_sizes size;
    uint64_t offsets, span, align, queue_depth, count, duration, cpu_work, buffers;
    uint64_t ioctl, output;    /* op = ioctl: the code, the output buffer's size */
    char open[SCN_PATH_MAX];   /* the device to open by name, or "" */
};

/* One "section.key=value" override, as written, and where it was written. */
struct scn_set {
    char text[SCN_SET_MAX];
    int line;
};

/* [variant NAME]: the scenario with some keys changed, for a side-by-side comparison. */
struct scn_variant {
    char name[SCN_NAME_MAX];
    int line;
    uint32_t n_sets;
    struct scn_set sets[SCN_MAX_SETS];
};

struct scenario {
    char path[256];
    struct scn_machine machine;
    struct cost_model cost;
    struct scn_faults faults;
    struct scn_device devices[SCN_MAX_DEVICES];
    struct scn_workload workloads[SCN_MAX_DEVICES];
    uint32_t n_devices, n_workloads;
    int machine_line, cost_line, faults_line;
    struct scn_variant variants[SCN_MAX_VARIANTS];
    uint32_t n_variants;
    struct scn_set sweep[SCN_MAX_AXES]; /* [sweep]: "section.key=list or range" */
    uint32_t n_sweep;
    int sweep_line;
    /* where each key was set: line in the file, 0 for a default, -(1 + i) for override i given
     * on the command line (see struct scn_override) */
    int key_lines[SCN_INSTANCES][SCN_MAX_KEYS];
    const struct scn_override *loading; /* while loading only: the overrides, for messages */
};

/* An override applied on top of a file: text "section.key=value" (a device or workload
 * section is "device.NAME" / "workload.NAME"), and where it came from for messages: a file
 * and line (a [variant] or [sweep] line), or a command-line option with line 0. */
struct scn_override {
    const char *text;
    const char *where;
    int line;
};

/* One swept parameter: "section.key" and its values as override text, in order. */
struct scn_axis {
    char key[SCN_SET_MAX];
    uint32_t n;
    char value[SCN_MAX_POINTS][SCN_VALUE_MAX];
};

struct scn_errors {
    char text[SCN_MAX_ERRORS][320];
    int count;
    int more; /* errors beyond SCN_MAX_ERRORS */
};

/* scenario_load - read path, apply overrides ("section.key=value"; a device or workload
 * section is "device.NAME"), resolve and validate. seed_override: 0 keeps the file's.
 * Returns 0 and a scenario to scenario_free, or -1 with errors filled. */
int scenario_load(const char *path, const char *const *overrides, int n_overrides,
                  const uint64_t *seed_override, struct scenario **out, struct scn_errors *err);
/* The same from a scenario's text already read (a study reads its file once; a merge has
 * the text its shards ran). */
int scenario_load_text(const char *path, const char *text, size_t size,
                       const char *const *overrides, int n_overrides,
                       const uint64_t *seed_override, struct scenario **out,
                       struct scn_errors *err);
/* scenario_parse - the same from text in memory; name stands for the file in messages. */
int scenario_parse(const char *name, const char *text, const char *const *overrides,
                   int n_overrides, struct scenario **out, struct scn_errors *err);
/* scenario_build - the general form: text of the file named name, then the overrides in
 * order (later ones win), then the seed. */
int scenario_build(const char *name, const char *text, size_t size,
                   const struct scn_override *overrides, int n_overrides,
                   const uint64_t *seed_override, struct scenario **out,
                   struct scn_errors *err);
/* scenario_read - a scenario file's text (at most 1 MiB) to free(), or NULL with errors. */
char *scenario_read(const char *path, size_t *size, struct scn_errors *err);

/* scenario_axis - expand "section.key=A,B,C" or a range "section.key=A..B*F" (each value F
 * times the last) or "section.key=A..B+S" (steps of S) into an axis, checking each value
 * against the key. where/line place messages. Returns 0, or -1 with errors. */
int scenario_axis(const struct scenario *base, const char *spec, const char *where, int line,
                  struct scn_axis *out, struct scn_errors *err);
/* A short label for an axis value (sizes as 4 GiB, ...), for reports. */
void scenario_axis_label(const struct scn_axis *axis, uint32_t i, char *out, size_t len);
/* An axis value as a number (a size in bytes, a time in ns, a count, a percent), for placing
 * it on a chart's scale; false for a value that is not a number (a choice, a name). */
bool scenario_axis_number(const struct scn_axis *axis, uint32_t i, double *out);
void scenario_free(struct scenario *s);

/* The HAL's machine configuration the scenario describes. */
void scenario_machine_config(const struct scenario *s, struct dms_machine_config *cfg);

/* The effective settings of a device, as the adapter takes them. */
void scenario_device_settings(const struct scenario *s, uint32_t device,
                              struct dms_device_settings *out);

/* Walk every key of every section instance with its effective value as text (for the JSON
 * report's configuration). fn gets the section as written ("device disk0"), key and value. */
void scenario_each_value(const struct scenario *s,
                         void (*fn)(void *ctx, const char *section, const char *key,
                                    const char *value, bool is_number),
                         void *ctx);

/* Write the key reference (Markdown) that docs/scenarios.md holds. */
void scenario_write_reference(FILE *out);
/* Is key a key of section (for tests)? */
bool scenario_key_exists(enum scn_section section, const char *key);
/* The n-th key's section and name; false past the end. */
bool scenario_key_at(int n, enum scn_section *section, const char **name);

#endif /* DMASIM_SCENARIO_H */
