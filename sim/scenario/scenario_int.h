/*
 * scenario_int.h - the key table and the loader's shared helpers (scenario.c, scenario_check.c).
 */
#ifndef DMASIM_SCENARIO_INT_H
#define DMASIM_SCENARIO_INT_H

#include <stdarg.h>
#include <stddef.h>

#include "scenario.h"

enum key_type {
    KT_SIZE,      /* bytes */
    KT_TIME,      /* nanoseconds */
    KT_BANDWIDTH, /* bytes per second */
    KT_COUNT,
    KT_PERCENT,
    KT_BOOL,
    KT_ENUM,      /* one of choices */
    KT_ADAPTER,   /* an adapter kind's name */
    KT_PATTERN,   /* a calling pattern's name */
    KT_SIZES,     /* a size distribution */
    KT_NAME,      /* a section's name (the workload's device) */
    KT_PATH       /* a file (a driver to load), as written */
};

struct key_def {
    enum scn_section section;
    const char *name;
    enum key_type type;
    size_t offset;             /* in the section's struct */
    uint64_t min, max;         /* numbers: the accepted range */
    const char *const *choices; /* KT_ENUM, NULL-terminated, in enum order */
    bool auto_ok;              /* "auto" is accepted and resolved after loading */
    const char *def;           /* the default as written; NULL: required */
    const char *doc;
    const char *source;        /* [cost]: where the default comes from */
};

extern const struct key_def scn_keys[];
extern const int scn_n_keys;

/* Section instance numbers for key_lines: machine, cost, then devices, then workloads. */
#define INST_MACHINE 0
#define INST_COST 1
#define INST_FAULTS 2
#define INST_DEVICE(i) (3 + (i))
#define INST_WORKLOAD(i) (3 + SCN_MAX_DEVICES + (i))

/* The line where a key was set in an instance (0: default, -1: --set). */
int scn_line(const struct scenario *s, int inst, const char *key);
/* The key's index in scn_keys for section and name, or -1. */
int scn_key_find(enum scn_section section, const char *name);

void scn_error(struct scn_errors *err, const char *path, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Shared by the files of the scenario room (scenario_keys.c, scenario.c, scenario_axis.c). */
extern const char *const scn_section_names[];
void *scn_instance_base(struct scenario *s, int inst);
int scn_parse_number(const struct key_def *k, const char *value, uint64_t *v, char *why,
                     size_t len);
bool scn_ranged(const struct key_def *k);
int scn_set_value(struct scenario *s, int inst, const struct key_def *k, const char *value,
                  char *why, size_t len);
void scn_set_defaults(struct scenario *s, int inst, enum scn_section section);
/* Split "section.key=value" into the section instance and key: the key's index, or -1. */
int scn_override_target(const struct scenario *s, const char *text, const char *where,
                        int line, int *inst_out, struct scn_errors *err);

/* Resolve every "auto" and check what no single key can: 0, or -1 with errors. */
int scenario_resolve(struct scenario *s, struct scn_errors *err);

#endif /* DMASIM_SCENARIO_INT_H */
