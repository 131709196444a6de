/*
 * scenario_check.c - after every key has parsed: resolve "auto", tie workloads to devices, and
 * refuse what no single key can show is wrong (a pattern the hardware cannot use, a size above
 * the device's largest transfer, a machine the HAL would not build). Each error names the line
 * of the key at fault, or of its section when the key was left at its default.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scenario_int.h"
#include "driverfile.h"
#include "units.h"

/* The line to blame: the key's if it was set in the file, else its section's. */
static int blame(const struct scenario *s, int inst, const char *key, int section_line)
{
    int line = scn_line(s, inst, key);

    return line != 0 ? line : section_line;
}

static void err_at(struct scn_errors *err, const struct scenario *s, int line, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

static void err_at(struct scn_errors *err, const struct scenario *s, int line, const char *fmt,
                   ...)
{
    char msg[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (line < 0)
        scn_error(err, s->loading ? s->loading[-line - 1].where : "--set", 0, "%s", msg);
    else
        scn_error(err, s->path, line, "%s", msg);
}

static unsigned auto_declared(uint64_t bits)
{
    return bits >= 64 ? 64 : bits >= 32 ? 32 : 24;
}

/* What only a driver of the user's takes: IOCTLs, and a device opened by name. */
static void check_requests(struct scenario *s, const struct scn_device *d,
                           const struct scn_workload *w, struct scn_errors *err)
{
    int wi = (int)(w - s->workloads), inst = INST_WORKLOAD(wi);
    static const char *const ioctl_keys[] = {"ioctl", "output"};

    if (w->op == OP_IOCTL && d->driver[0] == '\0')
        err_at(err, s, blame(s, inst, "op", w->line),
               "op = ioctl needs a driver = FILE in [device %s] (the shipped drivers take no "
               "IOCTLs)", d->name);
    for (size_t k = 0; k < sizeof(ioctl_keys) / sizeof(ioctl_keys[0]); k++)
        if (scn_line(s, inst, ioctl_keys[k]) != 0 && w->op != OP_IOCTL)
            err_at(err, s, scn_line(s, inst, ioctl_keys[k]), "%s applies only to op = ioctl%s",
                   ioctl_keys[k], "");
    if (w->open[0] != '\0' && d->driver[0] == '\0')
        err_at(err, s, scn_line(s, inst, "open"),
               "open: the shipped drivers are reached through their card; open names a device "
               "of a driver = FILE%s%s", "", "");
}

/* driver = FILE: for the card at its registers; the name taken from the scenario's
 * folder; a file that loads and has a DriverEntry (what the scenario names wrongly is exit 2,
 * a driver that then fails to start is the run's failure). */
static void check_driver(struct scenario *s, int inst, struct scn_device *d,
                         struct scn_errors *err)
{
    int line = scn_line(s, inst, "driver");
    const char *slash = strrchr(s->path, '/');
    char path[2 * SCN_PATH_MAX], why[600];
    PDRIVER_INITIALIZE entry;
    void *h;

    if (d->driver[0] != '/' && slash != NULL)
        snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - s->path), s->path, d->driver);
    else
        snprintf(path, sizeof(path), "%s", d->driver);
    /* a name with no slash would make dlopen search the library path, not the folder */
    if (strchr(path, '/') == NULL)
        snprintf(path, sizeof(path), "./%s", d->driver);
    if (strlen(path) >= sizeof(d->driver_path)) {
        err_at(err, s, line, "driver: %s is too long a path%s", path, "");
        return;
    }
    if (access(path, R_OK) != 0) {
        err_at(err, s, line, "driver: %s: %s", path, strerror(errno));
        return;
    }
    h = driver_file_open(path, &entry, why, sizeof(why));
    if (h == NULL) {
        err_at(err, s, line, "driver: %s%s", why, "");
        return;
    }
    dlclose(h);
    memcpy(d->driver_path, path, strlen(path) + 1); /* fits: checked above */
}

static void resolve_device(struct scenario *s, uint32_t i, struct scn_errors *err)
{
    struct scn_device *d = &s->devices[i];
    int inst = INST_DEVICE(i);
    const struct dms_adapter_kind *kind;
    struct dms_device_settings set;
    char why[300], name[80];

    snprintf(name, sizeof(name), "[device %s]", d->name);
    if (scn_line(s, inst, "adapter") != 0 && scn_line(s, inst, "hardware") != 0) {
        err_at(err, s, scn_line(s, inst, "hardware"),
               "%s: adapter and hardware name the same thing; set one of them", name);
        return;
    }
    if (scn_line(s, inst, "adapter") == 0 && scn_line(s, inst, "hardware") == 0) {
        char list[120];
        size_t at = 0;
        for (int k = 0; dms_adapter_kinds[k] != NULL; k++)
            at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s",
                                   k == 0 ? "" : dms_adapter_kinds[k + 1] ? ", " : " or ",
                                   dms_adapter_kinds[k]->name);
        err_at(err, s, d->line, "%s needs adapter = %s (or hardware = ...)", name, list);
        return;
    }
    kind = dms_adapter_kinds[d->adapter];
    d->driver_path[0] = '\0';
    if (d->driver[0] != '\0')
        check_driver(s, inst, d, err);
    if (d->workload >= 0)
        check_requests(s, d, &s->workloads[d->workload], err);
    if (kind->controller_bits != 0) { /* the controller's address lines are the device's */
        static const char *const own[] = {"address_bits", "declared_bits", "scatter_gather"};
        for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++)
            if (scn_line(s, inst, own[k]) != 0)
                err_at(err, s, scn_line(s, inst, own[k]),
                       "%s: adapter = %s has no DMA engine of its own; its system DMA "
                       "controller's channel (%u address lines) moves its data", own[k],
                       kind->name, kind->controller_bits);
        d->address_bits = d->declared_bits = kind->controller_bits;
    }
    if (d->pattern == SCN_AUTO) { /* sg where offered, else the driver's first */
        d->pattern = DMS_PATTERN_SG;
        for (int p = 0; p < DMS_PATTERN_COUNT && !(kind->patterns & (1u << d->pattern)); p++)
            if (kind->patterns & (1u << p))
                d->pattern = (uint64_t)p;
    }
    if (d->dma_line == SCN_AUTO)
        d->dma_line = kind->default_dma_line;
    if (d->declared_bits == SCN_AUTO) {
        if (d->address_bits < 24) {
            snprintf(why, sizeof(why), "%s has %" PRIu64 " address lines, fewer than any "
                     "DEVICE_DESCRIPTION can declare (24); set declared_bits to show what "
                     "happens when the driver claims more", name, d->address_bits);
            err_at(err, s, blame(s, inst, "address_bits", d->line), "%s%s", why, "");
            return;
        }
        d->declared_bits = auto_declared(d->address_bits);
    } else if (d->declared_bits != 24 && d->declared_bits != 32 && d->declared_bits != 64) {
        err_at(err, s, blame(s, inst, "declared_bits", d->line),
               "declared_bits: a DEVICE_DESCRIPTION declares 24, 32 or 64 bits%s%s", "", "");
    }
    if (d->scatter_gather == SCN_AUTO)
        d->scatter_gather = kind->scatter_gather;
    if (d->max_transfer == SCN_AUTO)
        d->max_transfer = kind->default_max_transfer;
    else if (d->max_transfer > kind->max_transfer_limit) {
        char lim[32];
        units_format_size(kind->max_transfer_limit, lim, sizeof(lim));
        err_at(err, s, blame(s, inst, "max_transfer", d->line),
               "max_transfer: the %s adapter takes at most %s", kind->name, lim);
    }
    if (d->latency == SCN_AUTO)
        d->latency = kind->default_latency_ns;
    if (d->link_bandwidth == SCN_AUTO)
        d->link_bandwidth = s->cost.link_bandwidth;
    if (scn_line(s, inst, "ring_entries") != 0 && strcmp(kind->name, "nic") != 0)
        err_at(err, s, blame(s, inst, "ring_entries", d->line),
               "ring_entries applies only to adapter = nic, not %s%s", kind->name, "");
    if (scn_line(s, inst, "periods") != 0 && strcmp(kind->name, "audio") != 0)
        err_at(err, s, blame(s, inst, "periods", d->line),
               "periods applies only to adapter = audio, not %s%s", kind->name, "");
    if (scn_line(s, inst, "dma_adapters") != 0 && strcmp(kind->name, "display") != 0)
        err_at(err, s, blame(s, inst, "dma_adapters", d->line),
               "dma_adapters applies only to adapter = display, not %s%s", kind->name, "");
    {
        static const char *const capture_keys[] = {"frame_rate", "locks", "lock_policy",
                                                   "registration"};
        for (size_t k = 0; k < sizeof(capture_keys) / sizeof(capture_keys[0]); k++)
            if (scn_line(s, inst, capture_keys[k]) != 0 && !kind->frames)
                err_at(err, s, blame(s, inst, capture_keys[k], d->line),
                       "%s applies only to adapter = capture, not %s", capture_keys[k],
                       kind->name);
    }
    if (scn_line(s, inst, "queue_memory") != 0 && strcmp(kind->name, "storage") != 0)
        err_at(err, s, blame(s, inst, "queue_memory", d->line),
               "queue_memory applies only to adapter = storage, not %s%s", kind->name, "");
    else if (d->queue_memory == 1 && (d->pattern == DMS_PATTERN_KMDF || d->driver[0] != '\0'))
        err_at(err, s, blame(s, inst, "queue_memory", d->line),
               "queue_memory = contiguous is the shipped WDM driver's choice: not with %s%s",
               d->driver[0] != '\0' ? "driver = FILE" : "pattern = kmdf", "");
    if (scn_line(s, inst, "descriptor_high") != 0 && strcmp(kind->name, "pci9656") != 0)
        err_at(err, s, blame(s, inst, "descriptor_high", d->line),
               "descriptor_high applies only to adapter = pci9656, not %s%s", kind->name, "");
    if (scn_line(s, inst, "dma_line") != 0 && kind->controller_bits == 0)
        err_at(err, s, blame(s, inst, "dma_line", d->line),
               "dma_line applies only to subordinate devices (uart, audio), not %s, which "
               "has its own DMA engine%s", kind->name, "");
    if (d->workload < 0)
        return; /* reported by the workload pass; settings below need its queue depth */
    scenario_device_settings(s, i, &set);
    why[0] = '\0';
    if (kind->check != NULL && kind->check(&set, why, sizeof(why)) != 0) {
        int line = blame(s, inst, "pattern", d->line);
        static const char *const keys[] = {"ring_entries", "dma_line", "periods",
                                           "max_transfer"};
        if (strstr(why, "scatter") != NULL)
            line = blame(s, inst, "scatter_gather", d->line);
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            if (strncmp(why, keys[k], strlen(keys[k])) == 0 &&
                (why[strlen(keys[k])] == ':' || why[strlen(keys[k])] == ' '))
                line = blame(s, inst, keys[k], d->line);
        err_at(err, s, line, "%s: %s", name, why);
    } else if (!(kind->patterns & (1u << d->pattern))) {
        char list[120];
        size_t at = 0;
        for (int p = 0; p < DMS_PATTERN_COUNT; p++)
            if (kind->patterns & (1u << p))
                at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", at ? ", " : "",
                                       dms_pattern_name((enum dms_pattern)p));
        snprintf(why, sizeof(why), "pattern: the %s driver does not offer %s (it offers: %s)",
                 kind->name, dms_pattern_name((enum dms_pattern)d->pattern), list);
        err_at(err, s, blame(s, inst, "pattern", d->line), "%s%s", why, "");
    }
}

static uint64_t largest_size(const struct scn_sizes *z)
{
    uint64_t most = 0;

    for (uint32_t i = 0; i < z->count; i++)
        if (z->bytes[i] > most)
            most = z->bytes[i];
    return most;
}

static void check_sizes(struct scenario *s, uint32_t i, const struct scn_device *d,
                        struct scn_errors *err)
{
    struct scn_workload *w = &s->workloads[i];
    int inst = INST_WORKLOAD(i);
    int line = blame(s, inst, "size", w->line);
    bool block = !dms_adapter_kinds[d->adapter]->stream;
    char most[32], lim[96];

    if (dms_adapter_kinds[d->adapter]->write_only && w->op != OP_WRITE)
        err_at(err, s, blame(s, inst, "op", w->line),
               "op: [device %s] (adapter = %s) only plays: op = write", d->name,
               dms_adapter_kinds[d->adapter]->name);

    if (dms_adapter_kinds[d->adapter]->frames) {
        char frame[32];
        snprintf(frame, sizeof(frame), "%" PRIu64, d->max_transfer); /* bytes, as typed */
        if (w->op != OP_READ)
            err_at(err, s, blame(s, inst, "op", w->line),
                   "op: [device %s] (adapter = capture) captures: op = read%s", d->name, "");
        if (w->size.count != 1 || w->size.kind != SIZES_FIXED ||
            w->size.bytes[0] != d->max_transfer)
            err_at(err, s, line, "size: each read of [device %s] is one frame buffer: size = "
                   "%s (its max_transfer, the frame)", d->name, frame);
    }
    if (largest_size(&w->size) > d->max_transfer) {
        units_format_size(largest_size(&w->size), most, sizeof(most));
        units_format_size(d->max_transfer, lim, sizeof(lim));
        snprintf(lim + strlen(lim), sizeof(lim) - strlen(lim), " of [device %s]", d->name);
        err_at(err, s, line, "size: %s is above the device's max_transfer %s", most, lim);
    }
    for (uint32_t j = 0; block && j < w->size.count; j++) {
        if (w->size.bytes[j] % 512 != 0) {
            snprintf(most, sizeof(most), "%" PRIu64, w->size.bytes[j]);
            err_at(err, s, line, "size: a block device moves whole 512-byte sectors; %s bytes "
                   "is not a multiple of 512%s", most, "");
            break;
        }
    }
    if (block && w->span < largest_size(&w->size))
        err_at(err, s, blame(s, inst, "span", w->line),
               "span: the offsets' range is smaller than the largest I/O%s%s", "", "");
    if (w->align & (w->align - 1))
        err_at(err, s, blame(s, inst, "align", w->line), "align: must be a power of two%s%s",
               "", "");
}

static void resolve_workload(struct scenario *s, uint32_t i, struct scn_errors *err)
{
    struct scn_workload *w = &s->workloads[i];
    int inst = INST_WORKLOAD(i);
    char name[80];

    snprintf(name, sizeof(name), "[workload %s]", w->name);
    if (scn_line(s, inst, "device") == 0) {
        err_at(err, s, w->line, "%s needs device = NAME of a [device NAME] section%s", name, "");
        return;
    }
    for (uint32_t j = 0; j < s->n_devices; j++)
        if (strcmp(s->devices[j].name, w->device_name) == 0)
            w->device = (int)j;
    if (w->device < 0) {
        err_at(err, s, blame(s, inst, "device", w->line),
               "device: there is no [device %s] in this scenario%s", w->device_name, "");
        return;
    }
    if (s->devices[w->device].workload >= 0) {
        err_at(err, s, blame(s, inst, "device", w->line),
               "device: [device %s] already has [workload %s]; one workload per device",
               w->device_name, s->workloads[s->devices[w->device].workload].name);
        w->device = -1;
        return;
    }
    s->devices[w->device].workload = (int)i;
    if (scn_line(s, inst, "read_share") != 0 && w->op != OP_MIX)
        err_at(err, s, blame(s, inst, "read_share", w->line),
               "read_share applies only to op = mix%s%s", "", "");
    if (scn_line(s, inst, "duration") != 0 && scn_line(s, inst, "count") != 0)
        err_at(err, s, blame(s, inst, "duration", w->line),
               "count and duration are exclusive: give one%s%s", "", "");
    if (scn_line(s, inst, "duration") != 0 && w->duration == 0)
        err_at(err, s, blame(s, inst, "duration", w->line),
               "duration: must be more than 0 (or give a count instead)");
    if (scn_line(s, inst, "duration") != 0)
        w->count = 0; /* run for the duration */
    else
        w->duration = 0;
    if (w->cpu_work == SCN_AUTO)
        w->cpu_work = s->cost.app_work_ns;
}

/* The line to blame for a machine setting the HAL refuses (field: its member): of the keys
 * that make it, one given on the command line, else one in the file, else [machine]. */
static int blame_machine(const struct scenario *s, const char *field)
{
    static const struct {
        const char *field, *keys[3];
    } by[] = {
        {"ram_bytes", {"memory"}},
        {"mmio_hole_start", {"mmio_hole_start", "mmio_hole_end", "reserved_low"}},
        {"mmio_hole_end", {"mmio_hole_end", "mmio_hole_start"}},
        {"reserved_low_bytes", {"reserved_low", "memory"}},
        {"placement", {"placement"}},
        {"range_start", {"range_start", "range_end", "placement"}},
        {"map_register_limit", {"map_register_limit"}},
        {"bounce_pool_bytes", {"bounce_pool"}},
        {"soc_dma_channels", {"soc_dma_channels"}},
        {"soc_dma_request_lines", {"soc_dma_request_lines", "soc_dma_channels"}},
    };
    int in_file = 0;

    for (size_t i = 0; field != NULL && i < sizeof(by) / sizeof(by[0]); i++) {
        if (strcmp(by[i].field, field) != 0)
            continue;
        for (int k = 0; k < 3 && by[i].keys[k] != NULL; k++) {
            int line = scn_line(s, INST_MACHINE, by[i].keys[k]);
            if (line < 0)
                return line; /* an override: the user's latest word */
            if (line > 0 && in_file == 0)
                in_file = line;
        }
    }
    return in_file != 0 ? in_file : s->machine_line;
}

static void check_machine(struct scenario *s, struct scn_errors *err)
{
    struct scn_machine *m = &s->machine;
    struct dms_machine_config cfg;
    const char *field = NULL;
    char why[200];
    bool range_keys = scn_line(s, INST_MACHINE, "range_start") != 0 ||
                      scn_line(s, INST_MACHINE, "range_end") != 0;

    if (m->placement != PLACE_RANGE && range_keys)
        err_at(err, s, blame(s, INST_MACHINE, "range_start", s->machine_line),
               "range_start and range_end apply only to placement = range%s%s", "", "");
    scenario_machine_config(s, &cfg);
    if (dms_machine_config_field(&cfg, why, sizeof(why), &field) != 0)
        err_at(err, s, blame_machine(s, field), "[machine]: %s%s", why, "");
}

int scenario_resolve(struct scenario *s, struct scn_errors *err)
{
    check_machine(s, err);
    if (s->n_devices == 0)
        scn_error(err, s->path, 0, "no [device NAME] section: a scenario needs at least one "
                  "device and its workload");
    for (uint32_t i = 0; i < s->n_workloads; i++)
        resolve_workload(s, i, err);
    for (uint32_t i = 0; i < s->n_devices; i++) {
        resolve_device(s, i, err);
        if (s->devices[i].workload < 0 && (scn_line(s, INST_DEVICE(i), "adapter") != 0 ||
                                           scn_line(s, INST_DEVICE(i), "hardware") != 0))
            err_at(err, s, s->devices[i].line, "[device %s] has no workload: add a [workload "
                   "NAME] with device = %s", s->devices[i].name, s->devices[i].name);
    }
    for (uint32_t i = 0; i < s->n_workloads; i++)
        if (s->workloads[i].device >= 0 && err->count == 0)
            check_sizes(s, i, &s->devices[s->workloads[i].device], err);
    return err->count > 0 ? -1 : 0;
}

void scenario_machine_config(const struct scenario *s, struct dms_machine_config *cfg)
{
    const struct scn_machine *m = &s->machine;

    dms_machine_config_init(cfg);
    cfg->ram_bytes = m->memory;
    cfg->mmio_hole_start = m->mmio_hole_start;
    cfg->mmio_hole_end = m->mmio_hole_end;
    cfg->reserved_low_bytes = m->reserved_low;
    cfg->placement = (enum dms_placement)m->placement;
    cfg->range_start = m->range_start;
    cfg->range_end = m->range_end;
    cfg->seed = m->seed;
    cfg->contiguous_low_first = m->contiguous == 1;
    cfg->map_register_limit = (uint32_t)m->map_register_limit;
    cfg->bounce_pool_bytes = m->bounce_pool;
    cfg->metadata_only = m->data == DATA_METADATA;
    cfg->noncoherent = m->coherent == 0;
    cfg->no_isa_dma = m->isa_dma == 0;
    cfg->verifier_dma = m->verifier == 1;
    cfg->iommu_remap = m->iommu == 1;
    cfg->iommu_deferred = m->iommu_invalidation == 1;
    cfg->iommu_passthrough = m->iommu == 2;
    cfg->iotlb_entries = (uint32_t)m->iotlb_entries;
    cfg->fault_seed = s->faults.seed;
    cfg->fault_percent[DMS_FAULT_POOL] = (uint8_t)s->faults.pool;
    cfg->fault_percent[DMS_FAULT_MDL] = (uint8_t)s->faults.mdl;
    cfg->fault_percent[DMS_FAULT_COMMON_BUFFER] = (uint8_t)s->faults.common_buffer;
    cfg->fault_percent[DMS_FAULT_CONTIGUOUS] = (uint8_t)s->faults.contiguous;
    cfg->fault_percent[DMS_FAULT_MAP_REGISTERS] = (uint8_t)s->faults.map_registers;
    cfg->fault_percent[DMS_FAULT_INTERRUPT] = (uint8_t)s->faults.interrupts;
    cfg->fault_percent[DMS_FAULT_SPURIOUS_INTERRUPT] = (uint8_t)s->faults.spurious_interrupts;
    cfg->fault_percent[DMS_FAULT_DEVICE_STALL] = (uint8_t)s->faults.stalls;
    cfg->fault_percent[DMS_FAULT_DEVICE_ERROR] = (uint8_t)s->faults.device_errors;
    cfg->soc_dma_channels = (uint32_t)m->soc_dma_channels;
    cfg->soc_dma_request_lines = (uint32_t)m->soc_dma_request_lines;
}

void scenario_device_settings(const struct scenario *s, uint32_t i,
                              struct dms_device_settings *out)
{
    const struct scn_device *d = &s->devices[i];

    memset(out, 0, sizeof(*out));
    out->name = d->name;
    out->address_bits = (unsigned)d->address_bits;
    out->declared_bits = (unsigned)d->declared_bits;
    out->scatter_gather = d->scatter_gather != 0;
    out->max_transfer = (uint32_t)d->max_transfer;
    out->pattern = (enum dms_pattern)d->pattern;
    out->slots = d->workload >= 0 ? (uint32_t)s->workloads[d->workload].queue_depth : 1;
    out->ring_entries = (uint32_t)d->ring_entries;
    out->dma_line = (uint32_t)d->dma_line;
    out->periods = (uint32_t)d->periods;
    out->descriptor_high_always = d->descriptor_high == 1;
    out->queue_contiguous = d->queue_memory == 1;
    out->dma_adapters = (uint32_t)d->dma_adapters;
    out->frame_rate = (uint32_t)d->frame_rate;
    out->locks = (uint32_t)d->locks;
    out->lock_ahead = d->lock_policy == 1;
    out->legacy_registration = d->registration == 1;
    switch (d->flush_io_buffers) {
    case 1: /* yes */
        out->flush_io_buffers = true;
        break;
    case 2: /* no */
        out->flush_io_buffers = false;
        break;
    default: /* auto: the drivers whose routines leave the cache to them */
        out->flush_io_buffers = out->pattern == DMS_PATTERN_PACKET ||
                                out->pattern == DMS_PATTERN_SG ||
                                out->pattern == DMS_PATTERN_SG_BUILD;
        break;
    }
}
