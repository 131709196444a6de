/*
 * explain.c - narrate a device's first transfers from the run's event stream (see explain.h).
 *
 * The observer files every step under the I/O it belongs to (the tag the engine carries for
 * each I/O's work) with its virtual time; steps arrive out of order (a CPU's work is reported
 * when it is over), so each I/O's steps are sorted by time, then by arrival, before printing.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"

/* A large buffer's pages are told one by one up to these, and summed up past them. */
#define EXPLAIN_BUFFER_PAGES   32
#define EXPLAIN_FRAGMENT_PAGES 8
#include "run.h"
#include "units.h"

#define LINE_MAX 400

struct step {
    uint64_t time_ns;
    uint64_t seq;
    int depth;
    int cpu;          /* a CPU's work: its CPU, to finish the line when the work is over */
    bool open;        /* ... and it is not yet */
    char text[LINE_MAX];
};

struct story {
    struct step *steps;
    size_t n, cap;
    uint64_t *page;       /* the buffer's pages, physical, in MDL order */
    uint32_t n_pages;
    bool submitted, completed;
    uint64_t submit_ns, complete_ns;
    /* tallies from the same events the statistics count */
    uint64_t pages, bounced, bytes_to, bytes_from, regs, dev_read, dev_written, calls;
};

#define EXPLAIN_CPUS 1024

struct explainer {
    const struct scenario *s;
    uint32_t device;
    uint32_t n;
    uint64_t reach;       /* the device's limit: the first address it cannot drive */
    unsigned bits;
    struct story *stories; /* [n] */
    uint64_t seq;
    uint32_t completed;
    /* per CPU, and one last for work on none: the call depth, and the framework routines
     * (Wdf...) entered and not left */
    int depth[EXPLAIN_CPUS + 1];
    int framework[EXPLAIN_CPUS + 1];
    uint64_t common[8][2]; /* the device's common buffers: [logical, end) */
    uint32_t n_common;
    bool ring;             /* its driver copies each I/O into a ring in a common buffer */
    struct {               /* who holds the device's map registers now: a wait says whom */
        uint64_t tag;
        uint32_t count;
    } holder[64];
    uint32_t n_holders;
    volatile int stop;
    const volatile int *outer_stop;
};

static struct story *story_of(struct explainer *x, uint64_t tag)
{
    uint64_t serial = run_tag_serial(tag);

    if (tag == 0 || run_tag_device(tag) != (int)x->device || serial == 0 || serial > x->n)
        return NULL;
    return &x->stories[serial - 1];
}

static struct step *say(struct explainer *x, struct story *st, uint64_t time_ns, int depth,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static struct step *say(struct explainer *x, struct story *st, uint64_t time_ns, int depth,
                        const char *fmt, ...)
{
    struct step *p;
    va_list ap;

    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 64;
        struct step *n = realloc(st->steps, cap * sizeof(*n));
        if (n == NULL)
            return NULL; /* out of host memory: the story is shorter, never wrong */
        st->steps = n;
        st->cap = cap;
    }
    p = &st->steps[st->n++];
    p->time_ns = time_ns;
    p->seq = x->seq++;
    p->depth = depth < 0 ? 0 : depth;
    p->cpu = -1;
    p->open = false;
    va_start(ap, fmt);
    vsnprintf(p->text, sizeof(p->text), fmt, ap);
    va_end(ap);
    return p;
}

static const char *hex(uint64_t a, char buf[24])
{
    dms_format_address(a, buf);
    return buf;
}

/* Where an address lies for this device, in words; the 4 GiB line named when it matters. */
static void where(const struct explainer *x, uint64_t a, char *out, size_t len)
{
    bool above4g = a >= (1ull << 32);

    if (a >= x->reach)
        snprintf(out, len, "above %s: beyond the device's %u-bit reach",
                 x->bits == 32 ? "the 4 GiB line" : x->bits == 24 ? "16 MiB" : "its limit",
                 x->bits);
    else
        snprintf(out, len, "%s: within the device's %u-bit reach",
                 x->bits <= 24 ? "below 16 MiB"
                 : above4g     ? "above the 4 GiB line"
                               : "below 4 GiB",
                 x->bits);
}

/* ---------------------------------------------------------------------------------------------
 * The observer.
 */
static int *depth_of(struct explainer *x, int cpu)
{
    if (cpu < 0 || cpu >= EXPLAIN_CPUS) {
        x->depth[EXPLAIN_CPUS] = x->framework[EXPLAIN_CPUS] = 0;
        return &x->depth[EXPLAIN_CPUS];
    }
    return &x->depth[cpu];
}

static void on_cpu_begin(void *ctx, const struct engine_slice *sl)
{
    struct explainer *x = ctx;
    struct story *st = story_of(x, sl->tag);
    struct step *p;
    const char *what;

    if (st == NULL)
        return;
    switch (sl->cat) {
    case CPU_APP:
        what = "at PASSIVE_LEVEL: the application's own work, then the I/O manager calls the "
               "driver's dispatch routine";
        break;
    case CPU_INTERRUPT:
        if (sl->irql <= DISPATCH_LEVEL)
            what = "at DISPATCH_LEVEL: the DPC runs";
        else if (sl->irql == RUN_DEVICE_IRQL)
            what = "at device IRQL: the device's interrupt; the ISR acknowledges it and queues "
                   "the DPC";
        else /* raised by the HAL itself */
            what = "at device IRQL: the system DMA controller's interrupt; the HAL's ISR "
                   "queues its DPC";
        break;
    default:
        what = "at DISPATCH_LEVEL: the HAL's deferred work for this request";
        break;
    }
    p = say(x, st, sl->start, 0, "CPU %u %s", sl->cpu, what);
    if (p != NULL) {
        p->cpu = (int)sl->cpu;
        p->open = true;
    }
}

/* The work is over: say how long it took on its line. */
static void on_cpu_slice(void *ctx, const struct engine_slice *sl)
{
    struct explainer *x = ctx;
    struct story *st = story_of(x, sl->tag);
    char dur[32], copied[96] = "";
    uint64_t copy_ns = 0;

    if (st == NULL)
        return;
    units_format_time(sl->end - sl->start, dur, sizeof(dur));
    for (uint32_t i = 0; i < sl->n_pieces; i++)
        copy_ns += sl->piece[i].cat == CPU_DRIVER_COPY ? sl->piece[i].ns : 0;
    if (copy_ns > 0) { /* a driver that copies through its common buffer */
        char c[32];
        units_format_time(copy_ns, c, sizeof(c));
        snprintf(copied, sizeof(copied), ", of which %s the driver's own copy through its "
                 "common buffer", c);
    }
    for (size_t k = st->n; k > 0; k--) {
        struct step *p = &st->steps[k - 1];
        size_t n = strlen(p->text);
        if (p->open && p->cpu == (int)sl->cpu && p->time_ns == sl->start) {
            snprintf(p->text + n, sizeof(p->text) - n, " (until t=%.3f us: %s%s)",
                     sl->end / 1000.0, dur, copied);
            p->open = false;
            return;
        }
    }
}

static void on_device_slice(void *ctx, uint32_t device, uint32_t slot, uint64_t start,
                            uint64_t ns, uint64_t bytes, uint32_t descriptors, uint64_t tag)
{
    struct explainer *x = ctx;
    struct story *st = story_of(x, tag);
    char size[32], dur[32];

    (void)device;
    if (st == NULL || !st->submitted || st->completed)
        return;
    units_format_size(bytes, size, sizeof(size));
    units_format_time(ns, dur, sizeof(dur));
    say(x, st, start, 0, "the device's DMA engine %u moves %s (%u descriptor%s fetched), "
        "busy for %s", slot, size, descriptors, descriptors == 1 ? "" : "s", dur);
}

/* The index of the buffer page at physical, or -1. */
static int page_index(const struct story *st, uint64_t physical)
{
    for (uint32_t i = 0; i < st->n_pages; i++)
        if (st->page[i] == (physical & ~(uint64_t)(PAGE_SIZE - 1)))
            return (int)i;
    return -1;
}

/* What a logical address the device touches is, when it is not the I/O's own data. */
static const char *what_is(const struct explainer *x, uint64_t logical)
{
    for (uint32_t i = 0; i < x->n_common; i++)
        if (logical >= x->common[i][0] && logical < x->common[i][1])
            return x->ring ? " (in the driver's common buffer: the ring the I/O was copied "
                             "into)"
                           : " (in the driver's common buffer: its queues and descriptors)";
    return "";
}

/* A large buffer's pages past the first EXPLAIN_BUFFER_PAGES, told by where they lie. */
static void buffer_rest(struct explainer *x, struct story *st, uint64_t time_ns,
                        const PFN_NUMBER *pfn, ULONG pages)
{
    char place[4][120], now[120], text[600];
    uint32_t count[4] = {0}, kinds = 0, other = 0;
    size_t at;

    for (ULONG i = EXPLAIN_BUFFER_PAGES; i < pages; i++) {
        uint32_t k;
        where(x, (uint64_t)pfn[i] << PAGE_SHIFT, now, sizeof(now));
        for (k = 0; k < kinds && strcmp(place[k], now) != 0; k++)
            ;
        if (k == kinds && kinds < 4)
            snprintf(place[kinds++], sizeof(place[0]), "%s", now);
        if (k < kinds)
            count[k]++;
        else
            other++;
    }
    at = (size_t)snprintf(text, sizeof(text), "buffer pages %u to %u:", EXPLAIN_BUFFER_PAGES,
                          (unsigned)pages - 1);
    for (uint32_t k = 0; k < kinds && at < sizeof(text); k++)
        at += (size_t)snprintf(text + at, sizeof(text) - at, "%s %u %s", k ? ";" : "",
                               count[k], place[k]);
    if (other > 0 && at < sizeof(text))
        snprintf(text + at, sizeof(text) - at, "; %u elsewhere", other);
    say(x, st, time_ns, 1, "%s", text);
}

/* A mapped fragment, page by page: where each buffer page is, and what the device gets. */
static void map_step(struct explainer *x, struct story *st, const struct dms_event *ev,
                     int depth)
{
    char a[24], b[24], place[120], size[32];
    int first = page_index(st, ev->physical);
    uint64_t off = ev->physical & (PAGE_SIZE - 1);

    units_format_size(ev->length, size, sizeof(size));
    if (ev->reason == DMS_BOUNCE_NONE)
        say(x, st, ev->time_ns, depth, "a fragment of %s goes to the device as is, at "
            "logical %s (the same as physical: no map register copies it):", size,
            hex(ev->logical, a));
    else
        say(x, st, ev->time_ns, depth, "a fragment of %s goes through %u map register%s "
            "from #%u (%s):", size, ev->count, ev->count == 1 ? "" : "s", ev->map_register,
            ev->reason == DMS_BOUNCE_CONTIGUITY ? "the device has no scatter/gather and the "
                                                  "pages are not contiguous"
                                                : "a page lies beyond the device's reach");
    for (uint32_t k = 0; k < ev->count; k++) {
        if (k == EXPLAIN_FRAGMENT_PAGES && ev->count > EXPLAIN_FRAGMENT_PAGES + 1) {
            /* a long fragment: its first pages say how the rest go */
            if (ev->reason == DMS_BOUNCE_NONE)
                say(x, st, ev->time_ns, depth + 1, "and %u pages more, the same way",
                    ev->count - k);
            else
                say(x, st, ev->time_ns, depth + 1, "and %u pages more, the same way: map "
                    "registers #%u to #%u", ev->count - k, ev->map_register + k,
                    ev->map_register + ev->count - 1);
            break;
        }
        uint64_t phys = first >= 0 && (uint32_t)first + k < st->n_pages
                            ? st->page[first + k] + (k == 0 ? off : 0)
                            : ev->physical + (uint64_t)k * PAGE_SIZE;
        char page[40];
        where(x, phys, place, sizeof(place));
        if (first >= 0)
            snprintf(page, sizeof(page), "buffer page %d", first + (int)k);
        else /* not the I/O's buffer: a common buffer mapped for system DMA, say */
            snprintf(page, sizeof(page), "%s", *what_is(x, phys) ? "common buffer page"
                                                                 : "page");
        if (ev->reason == DMS_BOUNCE_NONE)
            say(x, st, ev->time_ns, depth + 1, "%s at physical %s, %s", page, hex(phys, a),
                place);
        else
            say(x, st, ev->time_ns, depth + 1, "%s at physical %s (%s) -> map register #%u, "
                "bounce page at logical %s", page, hex(phys, a), place, ev->map_register + k,
                hex((ev->logical & ~(uint64_t)(PAGE_SIZE - 1)) + (uint64_t)k * PAGE_SIZE +
                        (k == 0 ? ev->logical & (PAGE_SIZE - 1) : 0), b));
    }
}

static bool framework_routine(const char *routine)
{
    return routine != NULL &&
           (strncmp(routine, "Wdf", 3) == 0 || strncmp(routine, "VideoPort", 9) == 0 ||
            strncmp(routine, "Ks", 2) == 0);
}

/* The framework calls open on the CPU whose call depth this is (depth_of's). */
static int *framework_of(struct explainer *x, const int *depth)
{
    return &x->framework[depth - x->depth];
}

/* The call depth, and the framework calls open, as a CALL or RETURN passes. */
static void track_call(struct explainer *x, const struct dms_event *ev, int *depth)
{
    int *framework = framework_of(x, depth);

    if (ev->type == DMS_EV_CALL) {
        (*depth)++;
        *framework += framework_routine(ev->routine);
    } else if (ev->type == DMS_EV_RETURN) {
        if (*depth > 0)
            (*depth)--;
        if (framework_routine(ev->routine) && *framework > 0)
            (*framework)--;
    }
}

static void hal_step(struct explainer *x, struct story *st, const struct dms_event *ev,
                     int *depth)
{

    char a[24], b[24], size[32], w[32];
    const char *r = ev->routine ? ev->routine : "the HAL";

    switch (ev->type) {
    case DMS_EV_CALL:
        st->calls += !framework_routine(ev->routine); /* DMA_OPERATIONS calls */
        say(x, st, ev->time_ns, *depth, "-> %s(%s)", r, ev->detail ? ev->detail : "");
        track_call(x, ev, depth);
        break;
    case DMS_EV_RETURN:
        track_call(x, ev, depth);
        say(x, st, ev->time_ns, *depth, "<- %s %s", r, ev->detail ? ev->detail : "returns");
        break;
    case DMS_EV_CHANNEL_WAIT:
        say(x, st, ev->time_ns, *depth, "the adapter channel is taken: %s queues", r);
        break;
    case DMS_EV_MAPREG_WAIT: {
        char held[400];
        size_t at = 0;
        uint32_t total = 0;
        held[0] = '\0';
        for (uint32_t i = 0; i < x->n_holders && at < sizeof(held); i++) {
            total += x->holder[i].count;
            at += (size_t)snprintf(held + at, sizeof(held) - at, "%sI/O #%" PRIu64 " (%u)",
                                   i == 0 ? "" : i + 1 == x->n_holders ? " and " : ", ",
                                   run_tag_serial(x->holder[i].tag), x->holder[i].count);
        }
        if (x->n_holders > 0)
            say(x, st, ev->time_ns, *depth, "%u map register%s needed, not free now: %s "
                "%s %u of them until %s, so %s waits in line", ev->count,
                ev->count == 1 ? "" : "s", held, x->n_holders == 1 ? "holds" : "hold", total,
                x->n_holders == 1 ? "its DPC frees them" : "their DPCs free them", r);
        else
            say(x, st, ev->time_ns, *depth, "%u map register%s needed, not free now (others' "
                "requests hold the adapter's share): %s waits in line", ev->count,
                ev->count == 1 ? "" : "s", r);
        break;
    }
    case DMS_EV_CACHE:
        if (ev->count == 0)
            break; /* a coherent machine: nothing to maintain */
        units_format_size(ev->length, size, sizeof(size));
        if (ev->write_to_device)
            say(x, st, ev->time_ns, *depth, "%s cleans %u cache line%s over %s of the buffer: "
                "the CPU's writes reach memory before the device reads it (the machine is "
                "not coherent)", r, ev->count, ev->count == 1 ? "" : "s", size);
        else
            say(x, st, ev->time_ns, *depth, "%s invalidates %u cache line%s over %s of the "
                "buffer: the CPU reads what the device wrote, not stale lines (the machine "
                "is not coherent)", r, ev->count, ev->count == 1 ? "" : "s", size);
        break;
    case DMS_EV_MAPREG_GRANT:
        st->regs += ev->count;
        units_format_time(ev->wait_ns, w, sizeof(w));
        if (ev->physical != 0)
            say(x, st, ev->time_ns, *depth, "%s gets %u map register%s (#%u and on: bounce "
                "pages from %s)%s%s", r, ev->count, ev->count == 1 ? "" : "s", ev->map_register,
                hex(ev->physical, a), ev->wait_ns ? ", after waiting " : "",
                ev->wait_ns ? w : "");
        else
            say(x, st, ev->time_ns, *depth, "%s: %u map register%s (none real: the device "
                "reaches all memory, so nothing is bounced)", r, ev->count,
                ev->count == 1 ? "" : "s");
        break;
    case DMS_EV_MAPREG_FREE:
        say(x, st, ev->time_ns, *depth, "%s frees %u map register%s", r, ev->count,
            ev->count == 1 ? "" : "s");
        break;
    case DMS_EV_CALLBACK:
        if (ev->detail != NULL) /* a framework's callback, with what it passes */
            say(x, st, ev->time_ns, *depth, "the framework calls the driver's %s: %s", r,
                ev->detail);
        else /* inside a framework call, or a system transfer's completion under KMDF (the
              * framework's system profile registers the DmaCompletionRoutine) */
            say(x, st, ev->time_ns, *depth, "the HAL calls the %s's %s at DISPATCH_LEVEL",
                *framework_of(x, depth) > 0 ||
                        (strcmp(ev->routine, "DmaCompletionRoutine") == 0 &&
                         x->s->devices[x->device].pattern == DMS_PATTERN_KMDF &&
                         x->s->devices[x->device].driver_path[0] == '\0')
                    ? "framework"
                    : "driver",
                r);
        break;
    case DMS_EV_MAP:
        st->pages += ev->count;
        if (ev->reason != DMS_BOUNCE_NONE)
            st->bounced += ev->count;
        map_step(x, st, ev, *depth);
        break;
    case DMS_EV_BOUNCE_COPY:
        units_format_size(ev->length, size, sizeof(size));
        if (ev->write_to_device) {
            st->bytes_to += ev->length;
            say(x, st, ev->time_ns, *depth, "the CPU copies %s from the buffer (%s) into the "
                "bounce page at %s, before the device reads it", size, hex(ev->physical, a),
                hex(ev->logical, b));
        } else {
            st->bytes_from += ev->length;
            say(x, st, ev->time_ns, *depth, "the CPU copies %s the device wrote into the "
                "bounce page at %s back to the buffer", size, hex(ev->logical, b));
        }
        break;
    case DMS_EV_FLUSH:
        say(x, st, ev->time_ns, *depth, "%s flushes %u mapping%s: the transfer is over for "
            "the HAL", r, ev->count, ev->count == 1 ? "" : "s");
        break;
    case DMS_EV_SGL_BUILD:
        say(x, st, ev->time_ns, *depth, "%s builds a scatter/gather list of %u element%s",
            r, ev->count, ev->count == 1 ? "" : "s");
        break;
    case DMS_EV_SGL_PUT:
        say(x, st, ev->time_ns, *depth, "%s releases the list and what it held", r);
        break;
    case DMS_EV_DEVICE_ACCESS:
        units_format_size(ev->length, size, sizeof(size));
        if (ev->write_to_device)
            st->dev_read += ev->length;
        else
            st->dev_written += ev->length;
        say(x, st, ev->time_ns, 0, "the device %s %s at logical %s%s%s",
            ev->write_to_device ? "reads" : "writes", size, hex(ev->logical, a),
            what_is(x, ev->logical),
            ev->stray ? ": OUTSIDE what it was given (a stray access)" : "");
        break;
    case DMS_EV_DPC_QUEUE:
        say(x, st, ev->time_ns, *depth, "IoRequestDpc: the DPC is queued");
        break;
    case DMS_EV_COMMON_ALLOC:
    case DMS_EV_COMMON_FREE:
        units_format_size(ev->length, size, sizeof(size));
        say(x, st, ev->time_ns, *depth, "common buffer of %s %s at logical %s", size,
            ev->type == DMS_EV_COMMON_ALLOC ? "allocated" : "freed", hex(ev->logical, a));
        break;
    case DMS_EV_FINDING:
        say(x, st, ev->time_ns, *depth, "FINDING 0x%x in %s: %s (dmasim dma %s --at %" PRIu64
            "ns 0 --flags 0x3f shows the adapters then, as !dma would)", (unsigned)ev->status,
            r, ev->detail ? ev->detail : "more of the same (the run's findings keep the first "
            "of each kind)", x->s->path, ev->time_ns);
        break;
    default:
        break;
    }
}

static void on_hal_event(void *ctx, const struct dms_event *ev, uint32_t device, uint64_t tag,
                         int cpu)
{
    struct explainer *x = ctx;
    struct story *st = story_of(x, tag);
    int *depth = depth_of(x, cpu);

    /* who holds the device's map registers, whichever I/O it is (told or not) */
    if (device == x->device && ev->type == DMS_EV_MAPREG_GRANT && ev->count > 0 &&
        x->n_holders < 64)
        x->holder[x->n_holders++] = (typeof(x->holder[0])){tag, ev->count};
    if (device == x->device && ev->type == DMS_EV_MAPREG_FREE) {
        for (uint32_t i = 0; i < x->n_holders; i++) {
            if (x->holder[i].tag != tag)
                continue;
            x->holder[i] = x->holder[--x->n_holders];
            break;
        }
    }
    /* (device is not bound yet while a driver starts: the event's name says whose it is) */
    if (ev->type == DMS_EV_COMMON_ALLOC && ev->device != NULL &&
        strcmp(ev->device, x->s->devices[x->device].name) == 0 && x->n_common < 8) {
        x->common[x->n_common][0] = ev->logical;
        x->common[x->n_common++][1] = ev->logical + ev->length;
    }
    if (st == NULL || !st->submitted || st->completed) {
        track_call(x, ev, depth); /* right even for work we do not tell */
        return;
    }
    hal_step(x, st, ev, depth);
}

static void on_io(void *ctx, enum run_io_event what, uint32_t device, const struct dms_io *io,
                  uint64_t time_ns, int cpu)
{
    struct explainer *x = ctx;
    struct story *st = story_of(x, run_tag(device, io->serial));
    char size[32], off[24], a[24], place[120], lat[32];

    (void)cpu;
    if (x->outer_stop != NULL && *x->outer_stop)
        x->stop = 1;
    if (st == NULL)
        return;
    units_format_size(io->bytes, size, sizeof(size));
    if (what == RUN_IO_SUBMIT) {
        PPFN_NUMBER pfn = io->mdl ? MmGetMdlPfnArray(io->mdl) : NULL;
        ULONG pages = io->mdl ? ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(io->mdl),
                                                               io->bytes)
                              : 0;
        const struct dms_adapter_kind *kind =
            dms_adapter_kinds[x->s->devices[x->device].adapter];
        bool nic = strcmp(kind->name, "nic") == 0;
        st->submitted = true;
        st->submit_ns = time_ns;
        st->page = pages ? calloc(pages, sizeof(*st->page)) : NULL;
        st->n_pages = st->page ? (uint32_t)pages : 0;
        for (uint32_t i = 0; i < st->n_pages; i++)
            st->page[i] = (uint64_t)pfn[i] << PAGE_SHIFT;
        say(x, st, time_ns, 0, "the I/O manager hands the driver a %s of %s%s%s, in a "
            "buffer of %u page%s:", nic ? (io->write ? "packet to send" : "receive buffer")
                                        : (io->write ? "write" : "read"),
            size, kind->stream ? "" : " at device offset ",
            kind->stream ? "" : hex(io->offset, off),
            (unsigned)pages, pages == 1 ? "" : "s");
        for (ULONG i = 0; pfn != NULL && i < pages && i < EXPLAIN_BUFFER_PAGES; i++) {
            uint64_t phys = (uint64_t)pfn[i] << PAGE_SHIFT;
            where(x, phys, place, sizeof(place));
            say(x, st, time_ns, 1, "buffer page %u at physical %s, %s", (unsigned)i,
                hex(phys, a), place);
        }
        if (pfn != NULL && pages > EXPLAIN_BUFFER_PAGES)
            buffer_rest(x, st, time_ns, pfn, pages);
        return;
    }
    st->completed = true;
    st->complete_ns = time_ns;
    units_format_time(time_ns - st->submit_ns, lat, sizeof(lat));
    say(x, st, time_ns, 0, "the driver completes the I/O from its DPC: status 0x%08x%s, "
        "%s after it was handed over", (unsigned)io->status,
        NT_SUCCESS(io->status) ? " (STATUS_SUCCESS)" : "", lat);
    if (++x->completed >= x->n)
        x->stop = 1;
}

/* ---------------------------------------------------------------------------------------------
 * Telling.
 */
static int by_time(const void *pa, const void *pb)
{
    const struct step *a = pa, *b = pb;

    if (a->time_ns != b->time_ns)
        return a->time_ns < b->time_ns ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* A step's text with its numbers (times, sizes, addresses) taken out: steps of the same
 * shape say the same thing at another place and time. */
static void shape(const char *text, char *out, size_t len)
{
    size_t at = 0;

    for (const char *c = text; *c != '\0' && at + 2 < len;) {
        const char *e = c;
        bool digit = false;
        while (*e != '\0' && (isxdigit((unsigned char)*e) || *e == 'x' || *e == '_' ||
                               *e == '.')) {
            digit = digit || isdigit((unsigned char)*e);
            e++;
        }
        if (digit) {
            out[at++] = '#';
            c = e;
        } else if (e > c) {
            while (c < e && at + 2 < len)
                out[at++] = *c++;
        } else {
            out[at++] = *c++;
        }
    }
    out[at] = '\0';
}

#define FOLD_AFTER 2 /* blocks told in full before a fold */

/* How many times the block of the steps from k on repeats (blocks of 1 to 4 steps, the one
 * that repeats most); 1 when it does not. */
static size_t repeats(const struct story *st, size_t k, size_t *period)
{
    size_t best = 1;

    *period = 1;
    if (st->steps[k].depth != 0)
        return 1;
    for (size_t p = 1; p <= 4 && k + 2 * p <= st->n; p++) {
        size_t n = 1;
        char a[sizeof(st->steps[0].text)], b[sizeof(st->steps[0].text)];
        while (k + (n + 1) * p <= st->n) {
            bool same = true;
            for (size_t i = 0; i < p && same; i++) {
                shape(st->steps[k + i].text, a, sizeof(a));
                shape(st->steps[k + n * p + i].text, b, sizeof(b));
                same = strcmp(a, b) == 0 &&
                       st->steps[k + i].depth == st->steps[k + n * p + i].depth;
            }
            if (!same)
                break;
            n++;
        }
        if (n > best && n * p > best * *period) {
            best = n;
            *period = p;
        }
    }
    return best;
}

/* The numbered steps (depth 0) in a block. */
static size_t depth0(const struct story *st, size_t k, size_t period)
{
    size_t n = 0;

    for (size_t i = 0; i < period; i++)
        n += st->steps[k + i].depth == 0;
    return n;
}

static void print_step(FILE *out, const struct step *p, int *step)
{
    char t[32];

    units_format_time(p->time_ns, t, sizeof(t));
    if (p->depth == 0)
        fprintf(out, "%3d. t=%-11s %s\n", ++*step, t, p->text);
    else
        fprintf(out, "     %-13s %*s%s\n", "", 2 * p->depth, "", p->text);
}

static void tell(const struct explainer *x, FILE *out)
{
    const struct scn_device *dev = &x->s->devices[x->device];
    char t[32], size[32];

    fprintf(out, "dmasim explain: %s, seed %" PRIu64 ": the first %u transfer%s of [device %s]"
            " (%s, %u address bits, pattern %s)\n", x->s->path, x->s->machine.seed, x->n,
            x->n == 1 ? "" : "s", dev->name, dms_adapter_kinds[dev->adapter]->name, x->bits,
            dms_pattern_name((enum dms_pattern)dev->pattern));
    fprintf(out, "Times are virtual, from the start of the run. The device reaches addresses "
            "below ");
    if (x->bits >= 64) {
        fprintf(out, "2^64: all of memory.\n");
    } else {
        char lim[24];
        fprintf(out, "%s; a page above that goes through a bounce page.\n", hex(x->reach, lim));
    }
    for (uint32_t i = 0; i < x->n; i++) {
        struct story *st = &x->stories[i];
        int step = 0;
        if (!st->submitted) {
            fprintf(out, "\nTransfer %u: never submitted (the workload has fewer I/Os)\n",
                    i + 1);
            continue;
        }
        qsort(st->steps, st->n, sizeof(*st->steps), by_time);
        fprintf(out, "\nTransfer %u (I/O #%u of %s)\n", i + 1, i + 1, dev->name);
        for (size_t k = 0; k < st->n; k++) {
            size_t period, blocks = repeats(st, k, &period);
            if (blocks >= FOLD_AFTER + 2) {
                /* the first blocks, a line for the middle ones, the last block */
                for (size_t b = 0; b < FOLD_AFTER * period; b++)
                    print_step(out, &st->steps[k + b], &step);
                units_format_time(st->steps[k + (blocks - 1) * period].time_ns, t, sizeof(t));
                fprintf(out, "     %-13s ... %zu more like %s, at the next addresses and "
                        "times, until t=%s:\n", "", blocks - FOLD_AFTER - 1,
                        period == 1 ? "this" : "these", t);
                step += (int)((blocks - FOLD_AFTER - 1) * depth0(st, k, period));
                for (size_t b = 0; b < period; b++)
                    print_step(out, &st->steps[k + (blocks - 1) * period + b], &step);
                k += blocks * period - 1;
                continue;
            }
            print_step(out, &st->steps[k], &step);
        }
        units_format_size(st->bytes_to + st->bytes_from, size, sizeof(size));
        fprintf(out, "     In all: %" PRIu64 " DMA routine call%s, %" PRIu64 " page%s mapped, "
                "%" PRIu64 " bounced, %s copied by the CPU, %" PRIu64 " map register%s.%s\n",
                st->calls, st->calls == 1 ? "" : "s", st->pages, st->pages == 1 ? "" : "s",
                st->bounced, size, st->regs, st->regs == 1 ? "" : "s",
                st->completed ? "" : " (not completed when the run ended)");
    }
}

int explain_run(const struct scenario *s, uint32_t device, uint32_t n, FILE *out,
                const volatile int *stop, char *why, size_t len)
{
    struct explainer *x = calloc(1, sizeof(*x));
    struct run_observer obs;
    struct run_result r;
    int rc;

    if (x == NULL || (x->stories = calloc(n, sizeof(*x->stories))) == NULL) {
        free(x);
        snprintf(why, len, "out of host memory");
        return -1;
    }
    x->s = s;
    x->device = device;
    x->n = n;
    x->bits = (unsigned)s->devices[device].address_bits;
    x->ring = strcmp(dms_adapter_kinds[s->devices[device].adapter]->name, "audio") == 0;
    x->reach = x->bits >= 64 ? UINT64_MAX : 1ull << x->bits;
    x->outer_stop = stop;
    memset(&obs, 0, sizeof(obs));
    obs.engine.ctx = x;
    obs.engine.cpu_begin = on_cpu_begin;
    obs.engine.cpu_slice = on_cpu_slice;
    obs.engine.device_slice = on_device_slice;
    obs.engine.hal_event = on_hal_event;
    obs.io = on_io;
    obs.call_events = true;
    rc = run_scenario_observed(s, &x->stop, &obs, &r, why, len);
    if (rc == 0) {
        tell(x, out);
        run_result_free(&r);
    }
    for (uint32_t i = 0; i < n; i++) {
        free(x->stories[i].steps);
        free(x->stories[i].page);
    }
    free(x->stories);
    free(x);
    return rc;
}
