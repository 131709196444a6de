/*
 * run_int.h - what run.c (building and collecting) and workload.c (driving I/O) share.
 */
#ifndef DMASIM_RUN_INT_H
#define DMASIM_RUN_INT_H

#include "dmasim/adapter.h"
#include "run.h"

struct sim_run;
struct sim_device;

/* One queue slot of a workload: its request and buffer. */
struct wl_slot {
    struct dms_io io;
    struct sim_device *dev;
    uint8_t *buffer;        /* pool: the slot's own; fresh: this I/O's */
    PMDL mdl;
    uint32_t capacity;
    uint64_t submit_ns;
    bool busy;              /* submitted, not yet complete */
    uint32_t crc_host;      /* full mode, writes: crc32 of what was handed to the driver */
    size_t findings_before; /* the machine's finding count at submission */
    uint8_t *out;           /* op = ioctl: the output buffer */
};

struct sim_device {
    struct sim_run *run;
    uint32_t index;
    const struct scn_device *cfg;
    const struct scn_workload *wl;
    const struct dms_adapter_kind *kind;
    struct dms_bus bus;
    struct dms_rng rng;         /* the workload's choices: op, size, offset */
    struct dms_rng payload_rng; /* full mode's payload bytes: apart, so both modes choose alike */
    struct wl_slot *slots;
    uint64_t issued, in_flight;
    bool stream_stopped;    /* a pin's stream: stopped after the last read */
    uint64_t next_offset;   /* sequential offsets */
    bool has_offsets;       /* a block device: I/Os have device offsets (not a nic) */
    struct run_device *out;
    /* the card at its registers under its WDM driver (wdm.c) */
    PDEVICE_OBJECT pdo;     /* the card's; the workload's buffers belong to it */
    struct dms_card *card;
    bool started;
    PDMA_ADAPTER adapter;
    PFILE_OBJECT file;      /* [workload] open: the device the requests go to */
    /* the workload's completion (workload_setup sets it): how wdm.c, below the workload,
     * hands back an I/O whose IRP completed */
    void (*complete)(struct sim_device *d, struct dms_io *io);
};

struct sim_run {
    char watch_why[320];      /* the I/O watchdog's sentence when it stopped the run */
    const struct scenario *s;
    const volatile int *stop;
    struct engine *engine;
    struct dms_machine *machine;
    struct sim_device *devices;
    uint32_t n_devices;
    bool full;
    struct run_result *result;
    const struct run_observer *obs; /* NULL: not watched */
    struct wdm_driver *drivers;     /* loaded WDM drivers, one object each */
};

/* wdm.c */
struct wdm_driver;
int wdm_attach(struct sim_device *d, const struct dms_device_settings *set, char *why,
               size_t len);
NTSTATUS wdm_submit(struct sim_device *d, struct dms_io *io);
void wdm_detach(struct sim_device *d, bool idle);
void wdm_stats(struct sim_device *d, struct dms_adapter_stats *out);
void wdm_unload_all(struct sim_run *run);

/* workload.c */
int workload_setup(struct sim_device *d, char *why, size_t len);
void workload_start(struct sim_device *d);
void workload_teardown(struct sim_device *d);
void workload_complete(struct sim_device *d, struct dms_io *io);

#endif /* DMASIM_RUN_INT_H */
