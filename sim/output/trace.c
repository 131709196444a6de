/*
 * trace.c - Chrome Trace Event output of a run (see trace.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "outfile.h"
#include "trace.h"
#include "units.h"

#define TID_ENGINE 1      /* + slot */
#define TID_CPU 1000      /* + cpu */

/* What the HAL did inside one piece of CPU work, for the arguments of its slice. */
#define FRAME_ITEMS 16 /* bounce copies and map-register grants/frees kept one by one */

struct frame_copy {
    uint64_t bytes, physical, logical;
    bool to_device;
};

struct frame_regs {
    uint32_t count, first;
    bool grant;
};

struct frame {
    uint64_t start, tag;
    uint32_t copies, granted, freed, pages, findings, n_regs;
    uint64_t bytes, first_physical, first_logical;
    uint32_t first_register;
    bool has_register;
    struct frame_copy copy[FRAME_ITEMS]; /* the first copies, in order */
    struct frame_regs regs[FRAME_ITEMS]; /* the first grants and frees, in order */
};

#define FRAMES_PER_CPU 16 /* work open at once on one CPU: preemption depth, with room */

struct trace {
    char path[4096];
    struct outfile o; /* where it goes (outfile.c): the file replaced whole, or written through */
    FILE *f;
    gzFile gz;
    bool failed;
    uint64_t limit, completed, events;
    uint64_t cutoff;          /* events at or after this time are left out */
    uint32_t ndevices, ncpus;
    char (*names)[SCN_NAME_MAX]; /* per device, and "machine" for work no device owns */
    int64_t *mapregs;         /* per device: map registers held */
    bool *pooled;             /* per device: its map registers are bounce pages */
    struct frame *frames;     /* per CPU: FRAMES_PER_CPU slots of work begun, not yet over */
    uint32_t *nframes;
    int running;              /* the CPU whose work function runs now, or -1 */
};

/* ---------------------------------------------------------------------------------------------
 * Output.
 */
static void out(struct trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out(struct trace *t, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf))
        n = (int)strlen(buf);
    if (t->gz != NULL) {
        if (gzwrite(t->gz, buf, (unsigned)n) != n)
            t->failed = true;
    } else if (fwrite(buf, 1, (size_t)n, t->f) != (size_t)n) {
        t->failed = true;
    }
}

/* A JSON string of safe text: names here are the scenario's (letters, digits, '_' and '-')
 * and the simulator's own, but quote and backslash are escaped all the same. */
static const char *q(const char *in, char *buf, size_t len)
{
    size_t at = 0;

    for (; *in != '\0' && at + 3 < len; in++) {
        if (*in == '"' || *in == '\\')
            buf[at++] = '\\';
        buf[at++] = (unsigned char)*in < 0x20 ? ' ' : *in;
    }
    buf[at] = '\0';
    return buf;
}

/* Microseconds with nanosecond digits, as the format wants, and a fourth digit of 4: 0.4 ns
 * more than the nanosecond, so that a reader that multiplies by 1000 and truncates (older
 * Perfetto) gets the same whole nanosecond as one that rounds (Perfetto now) or parses the
 * digits, and a slice inside another stays inside it in every viewer, whatever its start's
 * and duration's binary rounding (nesting in whole-nanosecond ticks). */
#define TS_FMT "%" PRIu64 ".%03u4"
#define TS(ns) (ns) / 1000, (unsigned)((ns) % 1000)

static void event_start(struct trace *t)
{
    out(t, t->events++ ? ",\n" : "\n");
}

/* The machine's CPUs are one process (every device's work lands on the same CPU tracks, so
 * preemption across devices shows); each device is a process of its DMA engines. */
#define PID_MACHINE 1

static uint32_t pid_of(const struct trace *t, uint32_t device)
{
    return (device < t->ndevices ? device : t->ndevices) + 2;
}

static const char *device_name(const struct trace *t, uint32_t device)
{
    return t->names[device < t->ndevices ? device : t->ndevices];
}

static void meta(struct trace *t, uint32_t pid, int tid, const char *what, const char *name,
                 int sort)
{
    char b[200];

    event_start(t);
    if (tid < 0)
        out(t, "{\"ph\":\"M\",\"pid\":%u,\"name\":\"%s\",\"args\":{\"name\":\"%s\"}}", pid,
            what, q(name, b, sizeof(b)));
    else
        out(t, "{\"ph\":\"M\",\"pid\":%u,\"tid\":%d,\"name\":\"%s\",\"args\":{\"name\":\"%s\"}}",
            pid, tid, what, q(name, b, sizeof(b)));
    event_start(t);
    if (tid < 0)
        out(t, "{\"ph\":\"M\",\"pid\":%u,\"name\":\"process_sort_index\",\"args\":"
            "{\"sort_index\":%d}}", pid, sort);
    else
        out(t, "{\"ph\":\"M\",\"pid\":%u,\"tid\":%d,\"name\":\"thread_sort_index\",\"args\":"
            "{\"sort_index\":%d}}", pid, tid, sort);
}

/* ---------------------------------------------------------------------------------------------
 * What the run tells us.
 */
static bool recorded(const struct trace *t, uint64_t time_ns)
{
    return time_ns < t->cutoff && !t->failed;
}

static const char *slice_name(const struct engine_slice *sl)
{
    switch (sl->cat) {
    case CPU_APP:
        return "application, then the I/O's dispatch";
    case CPU_INTERRUPT:
        return sl->irql > DISPATCH_LEVEL ? "ISR" : "DPC";
    default:
        return sl->irql >= DISPATCH_LEVEL ? "HAL deferred work (DISPATCH_LEVEL)" : "driver";
    }
}

static const char *piece_name(enum cpu_category c)
{
    static const char *const names[] = {"application work", "dispatch",    "bounce copy",
                                        "map registers",    "mapping",     "ISR/DPC dispatch",
                                        "driver copy"};
    return (unsigned)c < CPU_CATEGORY_COUNT ? names[c] : "work";
}

/* Work begins on a CPU: what the HAL does while its function runs is this frame's. */
static void on_cpu_begin(void *ctx, const struct engine_slice *sl)
{
    struct trace *t = ctx;
    struct frame *f;

    if (sl->cpu >= t->ncpus)
        return;
    f = &t->frames[sl->cpu * FRAMES_PER_CPU];
    if (t->nframes[sl->cpu] == FRAMES_PER_CPU) { /* the oldest gives way: its args are lost */
        memmove(f, f + 1, (FRAMES_PER_CPU - 1) * sizeof(*f));
        t->nframes[sl->cpu]--;
    }
    f += t->nframes[sl->cpu]++;
    memset(f, 0, sizeof(*f));
    f->start = sl->start;
    f->tag = sl->tag;
    t->running = (int)sl->cpu;
}

/* The frame of a slice that is over, taken off its CPU's list (a copy), or all zero. */
static struct frame frame_take(struct trace *t, const struct engine_slice *sl)
{
    struct frame out = {0};

    if (sl->cpu >= t->ncpus)
        return out;
    for (uint32_t i = t->nframes[sl->cpu]; i-- > 0;) {
        struct frame *f = &t->frames[sl->cpu * FRAMES_PER_CPU + i];
        if (f->start != sl->start || f->tag != sl->tag)
            continue;
        out = *f;
        memmove(f, f + 1, (t->nframes[sl->cpu] - 1 - i) * sizeof(*f));
        t->nframes[sl->cpu]--;
        break;
    }
    return out;
}

/* The frame the HAL's work lands in now, or NULL (no CPU work running). */
static struct frame *frame_now(struct trace *t, int cpu)
{
    if (cpu < 0 || cpu != t->running || (uint32_t)cpu >= t->ncpus || t->nframes[cpu] == 0)
        return NULL;
    return &t->frames[(uint32_t)cpu * FRAMES_PER_CPU + t->nframes[cpu] - 1];
}

static void bounce_args(struct trace *t, const struct frame *f)
{
    out(t, ",\"bounce_copies\":%u,\"bytes_bounced\":%" PRIu64 ",\"first_bounce_physical\":"
        "\"0x%" PRIx64 "\",\"first_bounce_logical\":\"0x%" PRIx64 "\"", f->copies, f->bytes,
        f->first_physical, f->first_logical);
}

static void register_args(struct trace *t, const struct frame *f)
{
    out(t, ",\"map_registers_granted\":%u,\"map_registers_freed\":%u", f->granted, f->freed);
    if (f->has_register)
        out(t, ",\"first_map_register\":%u", f->first_register);
}

static void on_cpu_slice(void *ctx, const struct engine_slice *sl)
{
    struct trace *t = ctx;
    struct frame f = frame_take(t, sl);
    uint32_t bounce_pieces = 0, register_pieces = 0, nb = 0, nr = 0;
    char name[200], b[100];

    if (!recorded(t, sl->start))
        return;
    for (uint32_t i = 0; i < sl->n_pieces; i++) {
        bounce_pieces += sl->piece[i].cat == CPU_BOUNCE;
        register_pieces += sl->piece[i].cat == CPU_MAPREG;
    }
    snprintf(name, sizeof(name), "%s: %s", q(device_name(t, sl->device), b, sizeof(b)),
             slice_name(sl));
    event_start(t);
    out(t, "{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"ts\":" TS_FMT ",\"dur\":" TS_FMT ",\"name\":"
        "\"%s\",\"cat\":\"cpu\",\"args\":{\"device\":\"%s\",\"io\":%" PRIu64 ",\"irql\":%u",
        PID_MACHINE, TID_CPU + sl->cpu, TS(sl->start), TS(sl->end - sl->start), name,
        q(device_name(t, sl->device), b, sizeof(b)), run_tag_serial(sl->tag),
        (unsigned)sl->irql);
    /* what the HAL did in it: on the slice, and on its piece when there is one of the kind */
    if (f.copies > 0)
        bounce_args(t, &f);
    if (f.granted + f.freed > 0)
        register_args(t, &f);
    if (f.pages > 0)
        out(t, ",\"pages_mapped\":%u", f.pages);
    if (f.findings > 0)
        out(t, ",\"findings\":%u", f.findings);
    out(t, "}}");
    for (uint32_t i = 0; i < sl->n_pieces; i++) {
        const struct engine_piece *p = &sl->piece[i];
        if (p->start == sl->start && p->ns == sl->end - sl->start)
            continue; /* the whole slice: says nothing more */
        snprintf(name, sizeof(name), "%s%s%s", piece_name(p->cat), p->routine ? ": " : "",
                 p->routine ? p->routine : "");
        event_start(t);
        out(t, "{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"ts\":" TS_FMT ",\"dur\":" TS_FMT
            ",\"name\":\"%s\",\"cat\":\"%s\"", PID_MACHINE, TID_CPU + sl->cpu, TS(p->start),
            TS(p->ns), name, cpu_category_name(p->cat));
        /* a piece is one charge: the copies (grants, frees) line up one to one with their
         * pieces when there are as many of each; otherwise the slice alone has the totals */
        if (p->cat == CPU_BOUNCE && bounce_pieces == f.copies && f.copies <= FRAME_ITEMS) {
            const struct frame_copy *c = &f.copy[nb];
            out(t, ",\"args\":{\"bytes\":%" PRIu64 ",\"physical\":\"0x%" PRIx64 "\","
                "\"bounce_page\":\"0x%" PRIx64 "\",\"direction\":\"%s\"}", c->bytes,
                c->physical, c->logical, c->to_device ? "to the device's buffer"
                                                      : "back to the caller's buffer");
        } else if (p->cat == CPU_BOUNCE && bounce_pieces == 1 && f.copies > 0) {
            out(t, ",\"args\":{\"io\":%" PRIu64, run_tag_serial(sl->tag)); /* all of them */
            bounce_args(t, &f);
            out(t, "}");
        } else if (p->cat == CPU_MAPREG && register_pieces == f.n_regs &&
                   f.n_regs <= FRAME_ITEMS) {
            const struct frame_regs *r = &f.regs[nr];
            out(t, ",\"args\":{\"%s\":%u,\"first_map_register\":%u}",
                r->grant ? "granted" : "freed", r->count, r->first);
        } else if (p->cat == CPU_MAPREG && register_pieces == 1 && f.granted + f.freed > 0) {
            out(t, ",\"args\":{\"io\":%" PRIu64, run_tag_serial(sl->tag));
            register_args(t, &f);
            out(t, "}");
        }
        nb += p->cat == CPU_BOUNCE;
        nr += p->cat == CPU_MAPREG;
        out(t, "}");
    }
}

/* A device engine's transfer: a slice on its track, and the step of its I/O's flow there
 * (the same category, time and track as the slice: how viewers bind a flow to a slice). */
static void on_device_slice(void *ctx, uint32_t device, uint32_t slot, uint64_t start,
                            uint64_t ns, uint64_t bytes, uint32_t descriptors, uint64_t tag)
{
    struct trace *t = ctx;
    char size[32];

    if (!recorded(t, start))
        return;
    units_format_size(bytes, size, sizeof(size));
    event_start(t);
    out(t, "{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"ts\":" TS_FMT ",\"dur\":" TS_FMT ",\"name\":"
        "\"transfer %s\",\"cat\":\"io\",\"args\":{\"io\":%" PRIu64 ",\"bytes\":%" PRIu64
        ",\"descriptors\":%u}}", pid_of(t, device), TID_ENGINE + slot, TS(start), TS(ns), size,
        run_tag_serial(tag), bytes, descriptors);
    if (tag != 0) {
        event_start(t);
        out(t, "{\"ph\":\"t\",\"id\":%" PRIu64 ",\"pid\":%u,\"tid\":%u,\"ts\":" TS_FMT
            ",\"name\":\"I/O\",\"cat\":\"io\"}", tag, pid_of(t, device), TID_ENGINE + slot,
            TS(start));
    }
}

static void counter(struct trace *t, uint32_t device, uint64_t time_ns)
{
    event_start(t);
    out(t, "{\"ph\":\"C\",\"pid\":%u,\"ts\":" TS_FMT ",\"name\":\"map registers in use\","
        "\"args\":{\"registers\":%" PRId64 "}}", pid_of(t, device), TS(time_ns),
        t->mapregs[device]);
    if (t->pooled[device]) {
        event_start(t);
        out(t, "{\"ph\":\"C\",\"pid\":%u,\"ts\":" TS_FMT ",\"name\":\"bounce pages in use\","
            "\"args\":{\"pages\":%" PRId64 "}}", pid_of(t, device), TS(time_ns),
            t->mapregs[device]);
    }
}

static void on_hal_event(void *ctx, const struct dms_event *ev, uint32_t device, uint64_t tag,
                         int cpu)
{
    struct trace *t = ctx;
    struct frame *f = frame_now(t, cpu);
    char b[300], m[600];

    if (f != NULL) {
        switch (ev->type) {
        case DMS_EV_BOUNCE_COPY:
            if (f->copies < FRAME_ITEMS)
                f->copy[f->copies] = (struct frame_copy){ev->length, ev->physical, ev->logical,
                                                         ev->write_to_device != 0};
            if (f->copies++ == 0) {
                f->first_physical = ev->physical;
                f->first_logical = ev->logical;
            }
            f->bytes += ev->length;
            break;
        case DMS_EV_MAPREG_GRANT:
        case DMS_EV_MAPREG_FREE:
            if (f->n_regs < FRAME_ITEMS)
                f->regs[f->n_regs] = (struct frame_regs){ev->count, ev->map_register,
                                                         ev->type == DMS_EV_MAPREG_GRANT};
            f->n_regs++;
            if (ev->type == DMS_EV_MAPREG_FREE) {
                f->freed += ev->count;
                break;
            }
            f->granted += ev->count;
            if (!f->has_register) {
                f->first_register = ev->map_register;
                f->has_register = true;
            }
            break;
        case DMS_EV_MAP: f->pages += ev->count ? ev->count : 1; break;
        case DMS_EV_FINDING: f->findings++; break;
        default: break;
        }
    }
    if (!recorded(t, ev->time_ns) || device >= t->ndevices)
        return;
    switch (ev->type) {
    case DMS_EV_MAPREG_GRANT:
        if (ev->physical != 0)
            t->pooled[device] = true;
        t->mapregs[device] += ev->count;
        counter(t, device, ev->time_ns);
        break;
    case DMS_EV_MAPREG_FREE:
        t->mapregs[device] -= ev->count;
        counter(t, device, ev->time_ns);
        break;
    case DMS_EV_FINDING:
        /* on the CPU that made it, or on the device's first engine (a device access) */
        event_start(t);
        out(t, "{\"ph\":\"i\",\"s\":\"t\",\"pid\":%u,\"tid\":%u,\"ts\":" TS_FMT ",\"name\":"
            "\"finding 0x%x in %s\",\"cat\":\"finding\",\"args\":{\"device\":\"%s\",\"io\":%"
            PRIu64 ",\"message\":\"%s\"}}", cpu >= 0 ? PID_MACHINE : pid_of(t, device),
            cpu >= 0 ? TID_CPU + (unsigned)cpu : TID_ENGINE, TS(ev->time_ns),
            (unsigned)ev->status, q(ev->routine ? ev->routine : "?", b, sizeof(b)),
            t->names[device], run_tag_serial(tag),
            q(ev->detail ? ev->detail : "(more of the same: details are kept for the first of "
                                        "each kind)", m, sizeof(m)));
        break;
    default:
        break;
    }
}

static void on_io(void *ctx, enum run_io_event what, uint32_t device, const struct dms_io *io,
                  uint64_t time_ns, int cpu)
{
    struct trace *t = ctx;
    uint64_t tag = run_tag(device, io->serial);
    unsigned tid = TID_CPU + (unsigned)(cpu >= 0 ? cpu : 0);
    char b[100];

    if (!recorded(t, time_ns))
        return;
    /* the I/O's flow starts and ends on a mark of its own on the CPU, in the flow's category
     * at the flow's time (Chrome DevTools binds a flow to the slice of the same category,
     * track and time; Perfetto to the slice around its time) */
    event_start(t);
    out(t, "{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"ts\":" TS_FMT ",\"dur\":0,\"name\":"
        "\"%s: I/O %" PRIu64 " %s\",\"cat\":\"io\",\"args\":{\"io\":%" PRIu64 ",\"bytes\":%u,"
        "\"write\":%s}}", PID_MACHINE, tid, TS(time_ns), q(device_name(t, device), b, sizeof(b)),
        io->serial, what == RUN_IO_SUBMIT ? "submitted" : "completed", io->serial, io->bytes,
        io->write ? "true" : "false");
    event_start(t);
    out(t, "{\"ph\":\"%s\",\"id\":%" PRIu64 ",\"pid\":%u,\"tid\":%u,\"ts\":" TS_FMT
        ",\"name\":\"I/O\",\"cat\":\"io\"%s}", what == RUN_IO_SUBMIT ? "s" : "f", tag,
        PID_MACHINE, tid, TS(time_ns), what == RUN_IO_SUBMIT ? "" : ",\"bp\":\"e\"");
    if (what == RUN_IO_COMPLETE && ++t->completed >= t->limit)
        t->cutoff = time_ns + 1; /* what happens at this instant still belongs in */
}

/* ---------------------------------------------------------------------------------------------
 * Life cycle.
 */
static void release(struct trace *t)
{
    free(t->mapregs);
    free(t->pooled);
    free(t->names);
    free(t->frames);
    free(t->nframes);
    free(t);
}

static bool gz_name(const char *path)
{
    size_t n = strlen(path);

    return n > 3 && strcmp(path + n - 3, ".gz") == 0;
}

struct trace *trace_open(const char *path, const struct scenario *s, uint64_t limit, char *why,
                         size_t len)
{
    struct trace *t = calloc(1, sizeof(*t));
    char b[300], name[300];
    int fd;

    if (t == NULL || strlen(path) >= sizeof(t->path)) {
        snprintf(why, len, "%s: %s", path, t ? "name too long" : "out of memory");
        free(t);
        return NULL;
    }
    t->limit = limit;
    t->cutoff = UINT64_MAX;
    t->ndevices = s->n_devices;
    t->ncpus = (uint32_t)s->machine.cpus;
    t->running = -1;
    snprintf(t->path, sizeof(t->path), "%s", path);
    t->mapregs = calloc(s->n_devices + 1, sizeof(*t->mapregs));
    t->pooled = calloc(s->n_devices + 1, sizeof(*t->pooled));
    t->names = calloc(s->n_devices + 1, sizeof(*t->names));
    t->frames = calloc((size_t)t->ncpus * FRAMES_PER_CPU, sizeof(*t->frames));
    t->nframes = calloc(t->ncpus, sizeof(*t->nframes));
    if (t->mapregs == NULL || t->pooled == NULL || t->names == NULL || t->frames == NULL ||
        t->nframes == NULL) {
        snprintf(why, len, "cannot write %s: out of memory", path);
        release(t);
        return NULL;
    }
    for (uint32_t d = 0; d < s->n_devices; d++)
        snprintf(t->names[d], sizeof(t->names[d]), "%s", s->devices[d].name);
    snprintf(t->names[s->n_devices], sizeof(t->names[0]), "machine");
    if (outfile_open(&t->o, path, why, len) != 0) {
        release(t);
        return NULL;
    }
    t->f = t->o.f;
    if (gz_name(path)) {
        fd = dup(fileno(t->f));
        t->gz = fd >= 0 ? gzdopen(fd, "wb") : NULL;
        if (!t->o.is_stdout)
            fclose(t->f);
        t->f = t->o.f = NULL;
        if (t->gz == NULL) {
            snprintf(why, len, "cannot compress %s", path);
            outfile_close(&t->o, false, b, sizeof(b));
            release(t);
            return NULL;
        }
    }
    out(t, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"dmasim %s\","
        "\"scenario\":\"%s\",\"seed\":%" PRIu64 ",\"io_limit\":%" PRIu64 "},\n"
        "\"traceEvents\":[", DMASIM_VERSION, q(s->path, b, sizeof(b)), s->machine.seed, limit);
    meta(t, PID_MACHINE, -1, "process_name", "machine: CPUs (every device's work)", 0);
    for (uint32_t c = 0; c < s->machine.cpus; c++) {
        snprintf(name, sizeof(name), "CPU %u", c);
        meta(t, PID_MACHINE, (int)(TID_CPU + c), "thread_name", name, (int)c);
    }
    for (uint32_t d = 0; d < s->n_devices; d++) {
        const struct scn_device *dev = &s->devices[d];
        snprintf(name, sizeof(name), "%s (%s, %u-bit, %s)", dev->name,
                 dms_adapter_kinds[dev->adapter]->name, (unsigned)dev->address_bits,
                 dms_pattern_name((enum dms_pattern)dev->pattern));
        meta(t, pid_of(t, d), -1, "process_name", name, (int)d + 1);
        for (uint32_t e = 0; e < dev->engines; e++) {
            snprintf(name, sizeof(name), "DMA engine %u", e);
            meta(t, pid_of(t, d), (int)(TID_ENGINE + e), "thread_name", name, (int)e);
        }
    }
    return t;
}

void trace_observer(struct trace *t, struct run_observer *obs)
{
    memset(obs, 0, sizeof(*obs));
    obs->engine.ctx = t;
    obs->engine.cpu_begin = on_cpu_begin;
    obs->engine.cpu_slice = on_cpu_slice;
    obs->engine.device_slice = on_device_slice;
    obs->engine.hal_event = on_hal_event;
    obs->io = on_io;
}


int trace_close(struct trace *t, char *why, size_t len)
{
    bool bad;

    out(t, "\n]}\n");
    bad = t->failed;
    if (t->gz != NULL)
        bad = gzclose(t->gz) != Z_OK || bad;
    if (outfile_close(&t->o, !bad, why, len) != 0 || bad) {
        if (bad)
            snprintf(why, len, "cannot write %s: %s", t->path, strerror(errno ? errno : EIO));
        release(t);
        return -1;
    }
    release(t);
    return 0;
}

void trace_discard(struct trace *t)
{
    char why[64];

    if (t->gz != NULL)
        gzclose(t->gz);
    outfile_close(&t->o, false, why, sizeof(why));
    release(t);
}

uint64_t trace_ios(const struct trace *t)
{
    return t->completed < t->limit ? t->completed : t->limit;
}

uint64_t trace_events(const struct trace *t)
{
    return t->events;
}
