/*
 * workload.c - what a device is asked to do: a closed loop per queue slot.
 *
 * Each slot does the application's CPU work, submits one I/O to the driver (the I/O manager's
 * part: a buffer and its MDL, the dispatch path's CPU time), waits for the driver to complete
 * it from its DPC, checks it, and starts over. So queue_depth I/Os are in flight at most, and
 * a CPU, a map register or an engine that runs short shows up as time the slots wait.
 *
 * In full data mode a write's buffer is filled before submission and its crc32 kept; the
 * device computes the crc32 of what it took off the bus. A read's buffer is poisoned before
 * submission; the device computes the crc32 of what it put on the bus, and the buffer's
 * crc32 after completion must match. A mismatch is attributed from what the run saw: stray
 * device accesses during the I/O, or the findings the HAL made meanwhile.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "run_int.h"

#define READ_POISON 0xA5

static bool may_issue(struct sim_device *d)
{
    if (*d->run->stop)
        return false;
    if (d->wl->count != 0)
        return d->issued < d->wl->count;
    return engine_now(d->run->engine) < d->wl->duration;
}

static uint32_t pick_size(struct sim_device *d)
{
    const struct scn_sizes *z = &d->wl->size;
    uint64_t lo, hi, r;

    switch (z->kind) {
    case SIZES_UNIFORM:
        lo = z->bytes[0];
        hi = z->bytes[1];
        if (lo % 512 == 0 && hi % 512 == 0)
            return (uint32_t)(lo + 512 * dms_rng_below(&d->rng, (hi - lo) / 512 + 1));
        return (uint32_t)(lo + dms_rng_below(&d->rng, hi - lo + 1));
    case SIZES_WEIGHTED:
        r = dms_rng_below(&d->rng, z->weight_total);
        for (uint32_t i = 0; i < z->count; i++) {
            if (r < z->weight[i])
                return (uint32_t)z->bytes[i];
            r -= z->weight[i];
        }
        return (uint32_t)z->bytes[z->count - 1];
    default:
        return (uint32_t)z->bytes[0];
    }
}

static bool pick_write(struct sim_device *d)
{
    switch (d->wl->op) {
    case OP_WRITE:
    case OP_IOCTL: /* its input goes to the driver */
        return true;
    case OP_MIX:
        return dms_rng_below(&d->rng, 100) >= d->wl->read_share;
    default:
        return false;
    }
}

static uint64_t pick_offset(struct sim_device *d, uint32_t bytes)
{
    const struct scn_workload *w = d->wl;
    uint64_t at;

    if (!d->has_offsets)
        return 0;
    if (w->offsets == OFFSETS_SEQUENTIAL) {
        if (d->next_offset + bytes > w->span)
            d->next_offset = 0;
        at = d->next_offset;
        d->next_offset += bytes;
        return at;
    }
    return dms_rng_below(&d->rng, (w->span - bytes) / w->align + 1) * w->align;
}

static void fill_payload(struct sim_device *d, uint8_t *buf, uint32_t bytes)
{
    dms_rng_fill(&d->payload_rng, buf, bytes);
}

static int buffer_get(struct sim_device *d, struct wl_slot *sl, uint32_t bytes)
{
    PDEVICE_OBJECT devobj = d->pdo; /* the card's: its buffers are counted to it */

    if (d->wl->buffers == BUFFERS_POOL)
        return 0;
    sl->buffer = dms_buffer_alloc(d->run->machine, devobj, bytes);
    if (sl->buffer == NULL)
        return -1;
    sl->mdl = IoAllocateMdl(sl->buffer, bytes, FALSE, FALSE, NULL);
    if (sl->mdl == NULL) {
        ExFreePool(sl->buffer);
        sl->buffer = NULL;
        return -1;
    }
    MmBuildMdlForNonPagedPool(sl->mdl);
    return 0;
}

static void buffer_put(struct sim_device *d, struct wl_slot *sl)
{
    if (d->wl->buffers == BUFFERS_POOL || sl->buffer == NULL)
        return;
    IoFreeMdl(sl->mdl);
    ExFreePool(sl->buffer);
    sl->buffer = NULL;
    sl->mdl = NULL;
}

/* The I/O manager hands the request to the driver, on the CPU that did the application work. */
static void slot_submit(void *arg)
{
    struct wl_slot *sl = arg;
    struct sim_device *d = sl->dev;
    struct sim_run *run = d->run;
    NTSTATUS status;

    engine_charge(run->engine, d->index, CPU_DRIVER, run->s->cost.submit_ns);
    sl->submit_ns = engine_now(run->engine);
    sl->busy = true;
    sl->findings_before = dms_finding_count(run->machine);
    if (d->out->first_submit_ns == UINT64_MAX)
        d->out->first_submit_ns = sl->submit_ns;
    if (run->obs != NULL && run->obs->io != NULL)
        run->obs->io(run->obs->engine.ctx, RUN_IO_SUBMIT, d->index, &sl->io, sl->submit_ns,
                     engine_cpu_index(run->engine));
    status = wdm_submit(d, &sl->io);
    if (status != STATUS_PENDING) {
        sl->io.status = status;
        workload_complete(d, &sl->io);
    }
}

static void slot_next(struct wl_slot *sl)
{
    struct sim_device *d = sl->dev;
    struct dms_io *io = &sl->io;
    uint64_t prev_tag;
    uint32_t bytes;

    if (!may_issue(d))
        return;
    bytes = pick_size(d);
    memset(io, 0, sizeof(*io));
    io->serial = ++d->issued;
    io->write = pick_write(d);
    io->offset = pick_offset(d, bytes);
    io->bytes = bytes;
    io->owner = sl;
    if (buffer_get(d, sl, bytes) != 0) {
        /* no simulated memory left for a fresh buffer: this slot retires, the failure shows */
        d->out->failed++;
        if (d->out->first_failure == STATUS_SUCCESS)
            d->out->first_failure = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    io->buffer = sl->buffer;
    io->mdl = sl->mdl;
    /* the I/O manager's MDL describes the request, not the whole pool buffer behind it (so
     * KeFlushIoBuffers maintains the request's bytes only) */
    sl->mdl->ByteCount = bytes;
    if (d->run->full && io->write) {
        fill_payload(d, sl->buffer, bytes);
        sl->crc_host = libdeflate_crc32(0, sl->buffer, bytes);
    } else if (d->run->full) {
        memset(sl->buffer, READ_POISON, bytes);
    }
    if (io->write) /* the application wrote the data: in its cache until cleaned */
        dms_cpu_wrote(d->run->machine, sl->buffer, bytes);
    d->in_flight++;
    /* the slot's next I/O: its work is its own, not that of the I/O whose completion
     * started it */
    prev_tag = engine_tag(d->run->engine);
    engine_set_tag(d->run->engine, run_tag(d->index, io->serial));
    engine_cpu(d->run->engine, 0, d->index, CPU_APP, PASSIVE_LEVEL, d->wl->cpu_work, slot_submit,
               sl);
    engine_set_tag(d->run->engine, prev_tag);
}

/* Why the bytes differ, from what the run saw during the I/O. */
static void attribute(struct sim_device *d, struct wl_slot *sl, char *out, size_t len)
{
    struct dms_machine *m = d->run->machine;
    const struct dms_io *io = &sl->io;

    if (io->stray_pages > 0 && d->cfg->address_bits < d->cfg->declared_bits) {
        snprintf(out, len, "the device strayed on %u pages: it drives %u address lines but its "
                 "driver declared %u, so addresses above its reach were truncated",
                 io->stray_pages, (unsigned)d->cfg->address_bits,
                 (unsigned)d->cfg->declared_bits);
        return;
    }
    if (io->stray_pages > 0) {
        snprintf(out, len, "the device strayed outside its mapping on %u pages (see findings)",
                 io->stray_pages);
        return;
    }
    /* stale data of this I/O's own direction explains it best; then any finding */
    for (int pass = 0; pass < 2; pass++) {
        uint32_t stale = io->write ? DMS_CHECK_STALE_DEVICE_READ : DMS_CHECK_STALE_CPU_READ;
        for (size_t i = sl->findings_before; i < dms_finding_count(m); i++) {
            const struct dms_finding *f = dms_finding_get(m, i);
            if (strcmp(f->device, d->cfg->name) != 0 || (pass == 0 && f->code != stale))
                continue;
            snprintf(out, len, "finding 0x%x in %s: %.180s", f->code, f->routine, f->message);
            return;
        }
    }
    snprintf(out, len, "no stray access or finding explains it");
}

static void verify(struct sim_device *d, struct wl_slot *sl)
{
    const struct dms_io *io = &sl->io;
    uint32_t expected = io->write ? sl->crc_host : io->crc_device;
    uint32_t got = io->write ? io->crc_device : libdeflate_crc32(0, sl->buffer, io->bytes);
    struct run_device *out = d->out;

    out->verified++;
    if (expected == got)
        return;
    if (out->mismatches < RUN_MISMATCH_DETAILS) {
        struct run_mismatch *mm = &out->mismatch[out->mismatches];
        mm->serial = io->serial;
        mm->write = io->write;
        mm->offset = io->offset;
        mm->bytes = io->bytes;
        mm->expected_crc = expected;
        mm->got_crc = got;
        attribute(d, sl, mm->cause, sizeof(mm->cause));
    }
    out->mismatches++;
}

/* The application's side of a pin's stream: run before the first read, stop after the last. */
static void stream_stop(void *arg)
{
    struct sim_device *d = arg;

    if (d->card != NULL && d->started)
        d->kind->hardware->stream(d->card, d->file != NULL ? d->file->DeviceObject : d->pdo,
                                  false);
}

static void stream_maybe_stop(struct sim_device *d)
{
    if (d->kind->hardware->stream == NULL || d->stream_stopped || d->in_flight > 0 ||
        may_issue(d))
        return;
    d->stream_stopped = true;
    engine_cpu(d->run->engine, 0, d->index, CPU_APP, PASSIVE_LEVEL, 0, stream_stop, d);
}

void workload_complete(struct sim_device *d, struct dms_io *io)
{
    struct wl_slot *sl = io->owner;
    struct run_device *out = d->out;
    uint64_t now = engine_now(d->run->engine);

    sl->busy = false;
    if (d->run->obs != NULL && d->run->obs->io != NULL)
        d->run->obs->io(d->run->obs->engine.ctx, RUN_IO_COMPLETE, d->index, io, now,
                        engine_cpu_index(d->run->engine));
    out->ios++;
    out->dma_transfers += io->dma_transfers;
    out->device_idle_ns += io->idle_ns;
    if (io->stray_pages > 0)
        out->stray_ios++;
    if (NT_SUCCESS(io->status)) {
        out->bytes += io->bytes;
        if (d->wl->op == OP_IOCTL)
            out->ioctls++;
        else if (io->write)
            out->writes++;
        else
            out->reads++;
        hist_add(&out->latency, now - sl->submit_ns);
        if (out->frame_interval_ns != 0 && io->device_done_ns != 0 &&
            now - io->device_done_ns > out->frame_interval_ns)
            out->frames_late++; /* the frame reached the application a frame late */
        if (!io->write) /* the application takes the data: stale if never invalidated */
            dms_cpu_read(d->run->machine, sl->buffer, io->bytes);
        if (d->run->full && d->wl->op != OP_IOCTL) /* an IOCTL's meaning is the driver's */
            verify(d, sl);
    } else {
        out->failed++;
        if (out->first_failure == STATUS_SUCCESS)
            out->first_failure = io->status;
    }
    out->last_complete_ns = now;
    d->in_flight--;
    buffer_put(d, sl);
    /* A failed I/O under a duration may have taken no virtual time at all: retiring its slot
     * keeps the loop from spinning at one instant. */
    if (!NT_SUCCESS(io->status) && d->wl->count == 0) {
        stream_maybe_stop(d);
        return;
    }
    slot_next(sl);
    stream_maybe_stop(d);
}

static uint32_t largest(const struct scn_sizes *z)
{
    uint64_t most = 0;

    for (uint32_t i = 0; i < z->count; i++)
        if (z->bytes[i] > most)
            most = z->bytes[i];
    return (uint32_t)most;
}

int workload_setup(struct sim_device *d, char *why, size_t len)
{
    uint32_t n = (uint32_t)d->wl->queue_depth;
    PDEVICE_OBJECT devobj = d->pdo; /* the card's: its buffers are counted to it */

    d->complete = workload_complete;
    d->has_offsets = !d->kind->stream && d->wl->op != OP_IOCTL;
    dms_rng_seed(&d->rng, d->run->s->machine.seed * 0x9e3779b97f4a7c15ULL + d->index + 1);
    dms_rng_seed(&d->payload_rng, ~d->run->s->machine.seed + d->index);
    d->slots = calloc(n, sizeof(*d->slots));
    if (d->slots == NULL) {
        snprintf(why, len, "out of host memory");
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct wl_slot *sl = &d->slots[i];
        sl->dev = d;
        sl->capacity = largest(&d->wl->size);
        if (d->wl->output > 0 && (sl->out = calloc(1, d->wl->output)) == NULL) {
            snprintf(why, len, "out of host memory");
            return -1;
        }
        if (d->wl->buffers != BUFFERS_POOL)
            continue;
        /* the application's own buffers, allocated before the run: no fault is injected */
        dms_faults_hold(d->run->machine, true);
        sl->buffer = dms_buffer_alloc(d->run->machine, devobj, sl->capacity);
        sl->mdl = sl->buffer ? IoAllocateMdl(sl->buffer, sl->capacity, FALSE, FALSE, NULL) : NULL;
        dms_faults_hold(d->run->machine, false);
        if (sl->mdl == NULL) {
            snprintf(why, len, "[device %s]: no simulated memory for %u buffers of %u bytes",
                     d->cfg->name, n, sl->capacity);
            return -1;
        }
        MmBuildMdlForNonPagedPool(sl->mdl);
    }
    return 0;
}

void workload_start(struct sim_device *d)
{
    if (d->kind->hardware->stream != NULL && d->card != NULL && d->started)
        d->kind->hardware->stream(d->card, d->file != NULL ? d->file->DeviceObject : d->pdo,
                                  true);
    for (uint32_t i = 0; i < d->wl->queue_depth; i++)
        slot_next(&d->slots[i]);
}

void workload_teardown(struct sim_device *d)
{
    if (d->slots == NULL)
        return;
    for (uint32_t i = 0; i < d->wl->queue_depth; i++) {
        struct wl_slot *sl = &d->slots[i];
        /* a slot whose I/O never completed (lost) keeps its buffer: the driver still holds
         * the IRP and may hold its pages mapped, as a process's buffers stay while its I/O
         * is out; the machine frees them with itself */
        if (!sl->busy && sl->mdl != NULL)
            IoFreeMdl(sl->mdl);
        if (!sl->busy && sl->buffer != NULL)
            ExFreePool(sl->buffer);
        free(sl->out);
    }
    free(d->slots);
    d->slots = NULL;
}
