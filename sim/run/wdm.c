/*
 * wdm.c - hosting a WDM driver for a card modelled at its registers: the simulator plays the
 * firmware (it places the card's registers), the bus driver (it enumerates the card's
 * physical device object with its resources), the PnP manager (DriverEntry, AddDevice,
 * IRP_MN_START_DEVICE) and the I/O manager (each of the workload's I/Os is an IRP_MJ_READ or
 * IRP_MJ_WRITE with an MDL over its buffer, sent to the top of the card's stack; the I/O
 * completes when the IRP does).
 *
 * The driver is the one shipped for the card, or the scenario's driver = FILE: a shared
 * object built against the installed dmasim (docs/driver-guide.md), loaded with dlopen and
 * entered at its DriverEntry. One driver object serves every card it drives, as on Windows.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driverfile.h"
#include "run_int.h"

/* The firmware's place for the cards' registers: in the PC's MMIO hole below 4 GiB, one
 * window a card, in device order: 64 KiB, or what the card's BARs take (window_bytes). */
#define CARD_WINDOW_BASE 0xF0000000ULL
#define CARD_WINDOW_BYTES 0x10000ULL

static uint64_t card_window(const struct sim_device *d)
{
    uint32_t w = d->kind->hardware->window_bytes;

    return w != 0 ? w : CARD_WINDOW_BYTES;
}

/* Where the firmware puts device index's registers: after every earlier card's window. */
static uint64_t card_base(const struct sim_run *run, uint32_t index)
{
    uint64_t base = CARD_WINDOW_BASE;

    for (uint32_t j = 0; j < index; j++)
        base += card_window(&run->devices[j]);
    return base;
}

struct wdm_driver {
    struct wdm_driver *next;
    char name[300];            /* the file, or the shipped driver's service name */
    void *handle;              /* dlopen's, or NULL for a shipped driver */
    PDRIVER_OBJECT object;
};

static struct wdm_driver *driver_get(struct sim_run *run, const struct sim_device *d,
                                     enum dms_pattern pattern, char *why, size_t len)
{
    const struct dms_hardware *hw = d->kind->hardware;
    const char *file = d->cfg->driver_path[0] != '\0' ? d->cfg->driver_path : NULL;
    bool kmdf = pattern == DMS_PATTERN_KMDF && hw->kmdf_driver_entry != NULL;
    const char *name = file != NULL ? file : kmdf ? hw->kmdf_driver_name : hw->driver_name;
    PDRIVER_INITIALIZE entry = kmdf ? hw->kmdf_driver_entry : hw->driver_entry;
    struct wdm_driver *w;
    char service[64];
    const char *base;
    NTSTATUS status;

    for (w = run->drivers; w != NULL; w = w->next)
        if (strcmp(w->name, name) == 0)
            return w;
    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        snprintf(why, len, "out of host memory");
        return NULL;
    }
    snprintf(w->name, sizeof(w->name), "%s", name);
    if (file != NULL && (w->handle = driver_file_open(file, &entry, why, len)) == NULL) {
        free(w);
        return NULL;
    }
    /* the service name: the file's base name without its extension */
    base = strrchr(name, '/') != NULL ? strrchr(name, '/') + 1 : name;
    snprintf(service, sizeof(service), "%.*s", (int)strcspn(base, "."), base);
    w->next = run->drivers;
    run->drivers = w;
    status = dms_driver_load(run->machine, service, entry, &w->object);
    if (!NT_SUCCESS(status)) {
        snprintf(why, len, "%s: DriverEntry failed with status 0x%08x", name,
                 (unsigned)status);
        w->object = NULL;
        return NULL;
    }
    return w;
}

/* wdm_attach - enumerate the card, attach its model, start its driver. Returns 0, or -1 with
 * a sentence in why[]. */
int wdm_attach(struct sim_device *d, const struct dms_device_settings *set, char *why,
               size_t len)
{
    struct sim_run *run = d->run;
    const struct dms_hardware *hw = d->kind->hardware;
    struct wdm_driver *w;
    NTSTATUS status;
    int err;

    d->pdo = dms_device_create(run->machine, d->cfg->name, 0);
    if (d->pdo == NULL) {
        snprintf(why, len, "out of host memory");
        return -1;
    }
    dms_device_set_dma_remapping(d->pdo, d->cfg->dma_remapping != 0);
    err = hw->attach(d->pdo, d->cfg->register_base != SCN_AUTO ? d->cfg->register_base
                                                               : card_base(run, d->index),
                     set, &d->bus, &d->card);
    if (err != 0) {
        snprintf(why, len, "the %s card could not be attached (%s)%s%s", d->kind->name,
                 dms_strerror(err), hw->needs != NULL ? ": it needs " : "",
                 hw->needs != NULL ? hw->needs : "");
        return -1;
    }
    w = driver_get(run, d, set->pattern, why, len);
    if (w == NULL)
        return -1;
    /* A legacy driver has no AddDevice: it made its devices in DriverEntry, and the requests
     * go to the one the workload opens by name. */
    if (w->object->DriverExtension->AddDevice != NULL) {
        const char *step = "AddDevice";

        status = dms_driver_add_device(w->object, d->pdo);
        if (NT_SUCCESS(status)) {
            step = "the start of the device (IRP_MN_START_DEVICE)";
            status = dms_pnp_start(d->pdo);
        }
        if (!NT_SUCCESS(status)) {
            uint64_t faults = 0;
            for (int f = 0; f < DMS_FAULT_COUNT; f++)
                faults += dms_faults_injected(d->run->machine, (enum dms_fault)f);
            snprintf(why, len, "%s: %s failed with status 0x%08x%s%s%s", w->name, step,
                     (unsigned)status, faults > 0 ? " ([faults] had made calls fail by then)" : "",
                     hw->needs != NULL ? "; the card's driver needs " : "",
                     hw->needs != NULL ? hw->needs : "");
            return -1;
        }
        d->started = true;
    } else if (d->wl->open[0] == '\0') {
        snprintf(why, len, "%s has no AddDevice (a legacy driver): name the device it made "
                 "with [workload %s] open = \\\\.\\NAME", w->name, d->wl->name);
        return -1;
    }
    if (d->wl->open[0] != '\0') {
        d->file = dms_file_open(run->machine, d->wl->open, &status);
        if (d->file == NULL) {
            snprintf(why, len, "[workload %s] open = %s: IRP_MJ_CREATE failed with status "
                     "0x%08x%s", d->wl->name, d->wl->open, (unsigned)status,
                     status == STATUS_OBJECT_NAME_NOT_FOUND ? " (no such name)" : "");
            return -1;
        }
    }
    d->adapter = dms_device_dma_adapter(d->pdo);
    return 0;
}

/* The counters of every adapter the driver got for the card (a driver may get and put one
 * per request). */
void wdm_stats(struct sim_device *d, struct dms_adapter_stats *out)
{
    dms_device_dma_stats(d->pdo, out);
}

static void wdm_done(void *ctx, NTSTATUS status, ULONG_PTR information)
{
    struct wl_slot *sl = ctx;
    struct sim_device *d = sl->dev;

    (void)information;
    sl->io.status = status;
    d->kind->hardware->settle(d->card, &sl->io);
    d->complete(d, &sl->io);
}

/* wdm_submit - the I/O manager's part of one I/O: an IRP with the request's MDL. Returns
 * STATUS_PENDING: the IRP's completion (or its failure to be sent) completes the I/O. */
NTSTATUS wdm_submit(struct sim_device *d, struct dms_io *io)
{
    struct wl_slot *sl = io->owner;
    struct dms_request r = {.major = io->write ? IRP_MJ_WRITE : IRP_MJ_READ,
                            .buffer = io->buffer, .length = io->bytes,
                            .offset = (LONGLONG)io->offset, .mdl = io->mdl, .file = d->file};

    if (d->wl->op == OP_IOCTL) {
        r = (struct dms_request){.major = IRP_MJ_DEVICE_CONTROL, .ioctl = (ULONG)d->wl->ioctl,
                                 .in = io->buffer, .in_length = io->bytes, .out = sl->out,
                                 .out_length = (ULONG)d->wl->output, .file = d->file};
        /* a direct-I/O IOCTL locks its output buffer: the I/O manager builds that MDL */
    }
    dms_irp_send(d->file != NULL ? d->file->DeviceObject : d->pdo, &r, wdm_done, sl);
    return STATUS_PENDING;
}

/* wdm_detach - stop and remove the device while the machine still runs (idle: nothing in
 * flight), then the card's model goes. */
void wdm_detach(struct sim_device *d, bool idle)
{
    if (d->file != NULL && idle)
        dms_file_close(d->file);
    d->file = NULL;
    if (d->started && idle)
        dms_pnp_remove(d->pdo, TRUE);
    d->started = false;
    if (d->card != NULL)
        d->kind->hardware->detach(d->card);
    d->card = NULL;
}

/* After the machine is gone: the loaded drivers' code may go too. */
void wdm_unload_all(struct sim_run *run)
{
    while (run->drivers != NULL) {
        struct wdm_driver *next = run->drivers->next;
        if (run->drivers->handle != NULL)
            dlclose(run->drivers->handle);
        free(run->drivers);
        run->drivers = next;
    }
}
