/*
 * helpers.h - shared set-up for the HAL's Check suites: machines, devices, adapters, buffers
 * with known bytes, and a platform whose clock the test drives and whose events it records.
 */
#ifndef DMASIM_TEST_HELPERS_H
#define DMASIM_TEST_HELPERS_H

#include <check.h>

#include "dmasim/hal.h"
#include "dmasim/wdm.h"

#define GIB DMS_GIB
#define MIB DMS_MIB

/* A platform with a settable clock that records every event and sums every charge. */
struct test_platform {
    uint64_t now_ns;
    uint64_t charged[DMS_COST_IOTLB_MISS + 1]; /* by enum dms_cost */
    struct dms_event *events;
    size_t n_events, cap_events;
};

extern struct test_platform tp;
extern struct dms_platform test_platform_ops;

struct dms_machine *machine_new(uint64_t ram, enum dms_placement placement);
struct dms_machine *machine_with(const struct dms_machine_config *cfg);
void machine_done(struct dms_machine *m);

/* An adapter for a bus master: bits 24 (no flags), 32 (Dma32BitAddresses) or 64. */
PDMA_ADAPTER adapter_new(PDEVICE_OBJECT dev, unsigned bits, BOOLEAN sg, ULONG max_length,
                         ULONG version, ULONG *nregs);

/* A buffer of pattern bytes (byte i = seed + i * 7) and a built MDL over [buf+off, +len). */
uint8_t *pattern_buffer(struct dms_machine *m, PDEVICE_OBJECT dev, size_t bytes, uint8_t seed);
PMDL mdl_for(void *va, ULONG len);
uint64_t phys_of(struct dms_machine *m, const void *va);

size_t events_of(enum dms_event_type type);
void events_reset(void);

/* The code of the last finding, or -1. */
long last_finding(struct dms_machine *m);
#define ck_assert_finding(m, code) ck_assert_int_eq(last_finding(m), (code))

/* Run a suite made by make(); returns the process exit status. */
int run_suite(Suite *(*make)(void));

#endif
