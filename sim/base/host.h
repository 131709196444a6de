/*
 * host.h - running simulations on libuv's thread pool.
 *
 * A run, a comparison and a sweep are all a list of independent tasks. host_execute runs them
 * on libuv's thread pool with at most `parallel` at a time, in index order, while the loop
 * thread watches SIGINT/SIGTERM and (optionally) ticks a progress callback. The first signal
 * sets *stop: no further task starts, and tasks under way see *stop and wind down. A second
 * signal exits at once with status 130.
 *
 * Tasks share nothing but their context; each builds its own machine, so results do not depend
 * on how many run at once.
 */
#ifndef DMASIM_HOST_H
#define DMASIM_HOST_H

#include <stdbool.h>
#include <stdint.h>

struct host_ops {
    /* Run task i (on a pool thread). */
    void (*work)(void *ctx, uint32_t i, const volatile int *stop);
    /* Every tick_ms while tasks remain (on the loop thread): finished, total, host time so
     * far. Optional. */
    void (*tick)(void *ctx, uint32_t finished, uint32_t total, uint64_t elapsed_ns);
    uint32_t tick_ms;
};

/* host_execute - run tasks 0 .. n-1. Returns the number of tasks started (the rest were
 * skipped because *stop was set), or -1 if the thread pool could not be used. */
int host_execute(uint32_t n, uint32_t parallel, const struct host_ops *ops, void *ctx,
                 volatile int *stop);

/* The default parallelism: the CPUs this process may use. */
uint32_t host_parallelism(void);

/* Monotonic host time in ns. */
uint64_t host_now_ns(void);

#endif /* DMASIM_HOST_H */
