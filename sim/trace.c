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

struct trace {
    char path[4096];
    struct outfile o; /* where it goes (outfile.c): the file replaced whole, or written through */
    FILE *f;
    gzFile gz;
    bool failed;
    uint64_t limit, completed, events;
    uint64_t cutoff;          /* events at or after this time are left out */
    uint32_t ndevices;
    int64_t *mapregs;         /* per device: map registers held */
    bool *pooled;             /* per device: its map registers are bounce pages */
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

/* Microseconds with nanosecond digits, as the format wants. */
#define TS_FMT "%" PRIu64 ".%03u"
#define TS(ns) (ns) / 1000, (unsigned)((ns) % 1000)

static void event_start(struct trace *t)
{
    out(t, t->events++ ? ",\n" : "\n");
}

static uint32_t pid_of(const struct trace *t, uint32_t device)
{
    return (device < t->ndevices ? device : t->ndevices) + 1;
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

static void on_cpu_slice(void *ctx, const struct engine_slice *sl)
{
    struct trace *t = ctx;
    uint32_t pid = pid_of(t, sl->device);
    char name[160];

    if (!recorded(t, sl->start))
        return;
    event_start(t);
    out(t, "{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"ts\":" TS_FMT ",\"dur\":" TS_FMT ",\"name\":"
        "\"%s\",\"cat\":\"cpu\",\"args\":{\"io\":%" PRIu64 ",\"irql\":%u}}", pid,
        TID_CPU + sl->cpu, TS(sl->start), TS(sl->end - sl->start), slice_name(sl),
        run_tag_serial(sl->tag), (unsigned)sl->irql);
    for (uint32_t i = 0; i < sl->n_pieces; i++) {
        const struct engine_piece *p = &sl->piece[i];
        if (p->start == sl->start && p->ns == sl->end - sl->start)
            continue; /* the whole slice: says nothing more */
        snprintf(name, sizeof(name), "%s%s%s", piece_name(p->cat), p->routine ? ": " : "",
                 p->routine ? p->routine : "");
        event_start(t);
        out(t, "{\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"ts\":" TS_FMT ",\"dur\":" TS_FMT
            ",\"name\":\"%s\",\"cat\":\"%s\"}", pid, TID_CPU + sl->cpu, TS(p->start), TS(p->ns),
            name, cpu_category_name(p->cat));
    }
}

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
        "\"transfer %s\",\"cat\":\"device\",\"args\":{\"io\":%" PRIu64 ",\"bytes\":%" PRIu64
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
    char b[300];

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
        event_start(t);
        out(t, "{\"ph\":\"i\",\"s\":\"p\",\"pid\":%u,\"tid\":%u,\"ts\":" TS_FMT ",\"name\":"
            "\"finding 0x%x in %s\",\"cat\":\"finding\",\"args\":{\"io\":%" PRIu64 "}}",
            pid_of(t, device), cpu >= 0 ? TID_CPU + (unsigned)cpu : TID_ENGINE,
            TS(ev->time_ns), (unsigned)ev->status, q(ev->routine ? ev->routine : "?", b,
                                                      sizeof(b)),
            run_tag_serial(tag));
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

    if (!recorded(t, time_ns))
        return;
    event_start(t);
    out(t, "{\"ph\":\"%s\",\"id\":%" PRIu64 ",\"pid\":%u,\"tid\":%u,\"ts\":" TS_FMT
        ",\"name\":\"I/O\",\"cat\":\"io\"%s}", what == RUN_IO_SUBMIT ? "s" : "f", tag,
        pid_of(t, device), TID_CPU + (unsigned)(cpu >= 0 ? cpu : 0), TS(time_ns),
        what == RUN_IO_SUBMIT ? "" : ",\"bp\":\"e\"");
    if (what == RUN_IO_COMPLETE && ++t->completed >= t->limit)
        t->cutoff = time_ns + 1; /* what happens at this instant still belongs in */
}

/* ---------------------------------------------------------------------------------------------
 * Life cycle.
 */
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
    snprintf(t->path, sizeof(t->path), "%s", path);
    t->mapregs = calloc(s->n_devices + 1, sizeof(*t->mapregs));
    t->pooled = calloc(s->n_devices + 1, sizeof(*t->pooled));
    if (t->mapregs == NULL || t->pooled == NULL) {
        snprintf(why, len, "cannot write %s: out of memory", path);
        free(t->mapregs);
        free(t->pooled);
        free(t);
        return NULL;
    }
    if (outfile_open(&t->o, path, why, len) != 0) {
        free(t->mapregs);
        free(t->pooled);
        free(t);
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
            free(t->mapregs);
            free(t->pooled);
            free(t);
            return NULL;
        }
    }
    out(t, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"dmasim %s\","
        "\"scenario\":\"%s\",\"seed\":%" PRIu64 ",\"io_limit\":%" PRIu64 "},\n"
        "\"traceEvents\":[", DMASIM_VERSION, q(s->path, b, sizeof(b)), s->machine.seed, limit);
    for (uint32_t d = 0; d < s->n_devices; d++) {
        const struct scn_device *dev = &s->devices[d];
        snprintf(name, sizeof(name), "%s (%s, %u-bit, %s)", dev->name,
                 dms_adapter_kinds[dev->adapter]->name, (unsigned)dev->address_bits,
                 dms_pattern_name((enum dms_pattern)dev->pattern));
        meta(t, d + 1, -1, "process_name", name, (int)d);
        for (uint32_t e = 0; e < dev->engines; e++) {
            snprintf(name, sizeof(name), "DMA engine %u", e);
            meta(t, d + 1, (int)(TID_ENGINE + e), "thread_name", name, (int)e);
        }
        for (uint32_t c = 0; c < s->machine.cpus; c++) {
            snprintf(name, sizeof(name), "CPU %u", c);
            meta(t, d + 1, (int)(TID_CPU + c), "thread_name", name, (int)(100 + c));
        }
    }
    meta(t, s->n_devices + 1, -1, "process_name", "machine (work no device owns)",
         (int)s->n_devices);
    for (uint32_t c = 0; c < s->machine.cpus; c++) {
        snprintf(name, sizeof(name), "CPU %u", c);
        meta(t, s->n_devices + 1, (int)(TID_CPU + c), "thread_name", name, (int)(100 + c));
    }
    return t;
}

void trace_observer(struct trace *t, struct run_observer *obs)
{
    memset(obs, 0, sizeof(*obs));
    obs->engine.ctx = t;
    obs->engine.cpu_slice = on_cpu_slice;
    obs->engine.device_slice = on_device_slice;
    obs->engine.hal_event = on_hal_event;
    obs->io = on_io;
}

static void release(struct trace *t)
{
    free(t->mapregs);
    free(t->pooled);
    free(t);
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
