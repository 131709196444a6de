/*
 * explain.h - a run's first transfers told step by step, for people learning DMA.
 *
 * dmasim explain runs the scenario as `run` would, with the HAL reporting each DMA_OPERATIONS
 * call (dms_machine_config.call_events), and narrates a device's first N I/Os from the same
 * event stream the statistics are counted from: each call with its arguments and result; each
 * buffer page's physical address, whether it lies above the device's reach, the map register
 * and bounce page it got; every bounce copy with its direction and size; the device's
 * accesses by logical address; the interrupt, the DPC, the flush and the frees; and the
 * virtual time of each step. Once the N-th I/O completes the run stops issuing I/O.
 */
#ifndef DMASIM_EXPLAIN_H
#define DMASIM_EXPLAIN_H

#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

#define EXPLAIN_MAX_TRANSFERS 100

/* explain_run - narrate device's first n I/Os of s to out. stop: as for run_scenario.
 * Returns 0, or -1 with why[] if the run could not start. */
int explain_run(const struct scenario *s, uint32_t device, uint32_t n, FILE *out,
                const volatile int *stop, char *why, size_t len);

#endif /* DMASIM_EXPLAIN_H */
