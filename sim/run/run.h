/*
 * run.h - one simulation run: a scenario in, a result out.
 *
 * A run builds the machine and the engine, attaches every device's driver, drives each
 * device's workload as a closed loop (each of queue_depth slots: application work, submit, wait
 * for completion, again), and collects the figures. Everything in a result except the host
 * section is a pure function of the scenario and its seed.
 */
#ifndef DMASIM_RUN_H
#define DMASIM_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "dmasim/adapter.h"
#include "dmasim/hal.h"
#include "engine.h"
#include "histogram.h"
#include "scenario.h"

#define RUN_MISMATCH_DETAILS 8
#define RUN_LOST_DETAILS     3
#define RUN_FINDING_DETAILS 50

struct run_mismatch {
    uint64_t serial;
    bool write;
    uint64_t offset;
    uint32_t bytes;
    uint32_t expected_crc, got_crc;
    char cause[240];
};

struct run_device {
    char name[SCN_NAME_MAX];
    const char *adapter;
    const char *pattern;
    unsigned address_bits, declared_bits;
    bool scatter_gather;
    uint32_t max_transfer;
    uint64_t ios, failed, reads, writes, ioctls, bytes;
    uint64_t lost;                   /* in flight when the run ran out of events */
    NTSTATUS first_failure;
    uint64_t first_submit_ns, last_complete_ns;
    struct histogram latency;
    uint64_t cpu_ns[CPU_CATEGORY_COUNT];
    struct dms_adapter_stats hal;
    uint32_t map_registers_granted;  /* what IoGetDmaAdapter returned */
    uint64_t common_buffer_bytes;    /* held while running */
    uint64_t dma_transfers;          /* device operations (more than I/Os when split) */
    uint64_t device_idle_ns;         /* the device idle between an I/O's operations (a card
                                      * that measures it: the display adapter's engines) */
    struct engine_device_stats engine;
    /* a card that makes frames (capture): what it made, dropped, and its framework's locks */
    bool has_frames;
    struct dms_frame_stats frames;
    uint64_t frames_late;            /* delivered more than a frame interval after written */
    uint64_t frame_interval_ns;      /* the sensor's (0: no frames) */
    uint64_t verified, mismatches;
    struct run_mismatch mismatch[RUN_MISMATCH_DETAILS];
    uint64_t stray_ios;
    uint64_t findings;
    uint64_t leaks;                  /* findings of resources left behind (0x07-0x0A, 0x1DC05) */
    /* the first of the I/Os lost: where each stopped (dms_irp_whereabouts) */
    uint32_t n_lost_where;
    char lost_where[RUN_LOST_DETAILS][640];
};

struct run_finding {
    uint32_t code;
    uint64_t time_ns;
    char routine[40];
    char device[32];
    char message[256];
};

struct run_result {
    const struct scenario *scenario;
    uint64_t seed;
    bool metadata;
    bool interrupted;
    /* the I/O watchdog stopped the run ([machine] io_timeout): why, and when (else "") */
    char stopped[320];
    uint64_t stopped_ns;
    uint64_t elapsed_ns;        /* virtual: the last completion */
    uint32_t n_devices;
    struct run_device *devices;
    struct run_device total;
    uint64_t cpu_busy_ns;       /* all CPUs */
    uint64_t unattributed_cpu_ns;
    uint64_t top_address;       /* of the machine's RAM */
    uint64_t findings;
    uint64_t faults[DMS_FAULT_COUNT]; /* [faults]: calls the HAL made fail, by kind */
    uint32_t n_finding_details;
    struct run_finding finding[RUN_FINDING_DETAILS];
    /* host-measured: not part of the deterministic report */
    uint64_t host_ns;
    uint64_t events;
};

/* ---------------------------------------------------------------------------------------------
 * Watching a run (traces, explain): the engine's observer, plus each I/O's submission and
 * completion. Work done for an I/O carries its tag (run_tag).
 */
enum run_io_event { RUN_IO_SUBMIT, RUN_IO_COMPLETE };

struct run_observer {
    struct engine_observer engine; /* engine.ctx is passed to io and start too */
    /* The machine is built and every driver started, nothing submitted yet. */
    void (*start)(void *ctx, struct dms_machine *m);
    /* An I/O handed to the driver (after the dispatch path's own time) or completed by it;
     * cpu is the CPU it happened on. */
    void (*io)(void *ctx, enum run_io_event what, uint32_t device, const struct dms_io *io,
               uint64_t time_ns, int cpu);
    bool call_events; /* have the HAL report every DMA_OPERATIONS call (CALL/RETURN events) */
    /* The run has reached virtual time at_ns (at_ns > 0): every event due by then has run. */
    uint64_t at_ns;
    void (*at)(void *ctx, struct dms_machine *m, uint64_t now_ns);
    /* Nothing is left to run; the drivers are still loaded and the machine whole. */
    void (*end)(void *ctx, struct dms_machine *m, uint64_t now_ns);
};

/* The IRQL of the device models' interrupts: above DISPATCH_LEVEL, below CLOCK_LEVEL (the HAL
 * raises a system DMA controller's at another). */
#define RUN_DEVICE_IRQL 5

/* The tag of a device's serial-th I/O; run_tag_device/serial take it apart (device -1: none). */
uint64_t run_tag(uint32_t device, uint64_t serial);
int run_tag_device(uint64_t tag);
uint64_t run_tag_serial(uint64_t tag);

/* run_scenario_observed - run_scenario, watched by obs (NULL: not watched). */
int run_scenario_observed(const struct scenario *s, const volatile int *stop,
                          const struct run_observer *obs, struct run_result *r, char *why,
                          size_t len);

/* run_scenario - run s to the end (or until *stop, after which in-flight I/O drains).
 * Returns 0 and fills *r (free with run_result_free), or -1 with a sentence in why[] when the
 * machine or a driver could not start (exit status 1). */
int run_scenario(const struct scenario *s, const volatile int *stop, struct run_result *r,
                 char *why, size_t len);
void run_result_free(struct run_result *r);

#endif /* DMASIM_RUN_H */
