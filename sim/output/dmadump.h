/*
 * dmadump.h - dmasim dma: a run's DMA adapters as the debugger's !dma shows them, at a
 * virtual time, at the moment of a finding (where the verifier would have stopped the
 * machine), or at the end of the run.
 */
#ifndef DMASIM_DMADUMP_H
#define DMASIM_DMADUMP_H

#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

enum dma_dump_when { DMA_DUMP_AT_END, DMA_DUMP_AT_TIME, DMA_DUMP_AT_FINDING };

struct dma_dump_request {
    enum dma_dump_when when;
    uint64_t at_ns;      /* DMA_DUMP_AT_TIME */
    uint64_t finding;    /* DMA_DUMP_AT_FINDING: the N-th finding, from 1 */
    uint32_t adapter;    /* DMS_DMA_DUMP_LIST, 0 for all, or an adapter's id */
    unsigned flags;      /* DMS_DMA_DUMP_* */
};

/* dma_dump_run - run s and print its adapters to out as req asks. Returns 0, or -1 with why[]
 * when the run could not start. */
int dma_dump_run(const struct scenario *s, const struct dma_dump_request *req, FILE *out,
                 const volatile int *stop, char *why, size_t len);

#endif /* DMASIM_DMADUMP_H */
