/*
 * dmadump.c - dmasim dma: run a scenario and show its DMA adapters in the layout of the
 * debugger's !dma (the HAL's dms_dma_dump), at a virtual time, at the N-th finding or at the
 * end of the run. The run goes on as dmasim run would; the state is taken when the moment
 * comes (at a finding: inside the routine that made it, as a bug check would stop the
 * machine there), kept, and printed once the run is over with what it was.
 */
#define _GNU_SOURCE /* open_memstream */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dmadump.h"
#include "run.h"
#include "units.h"

struct dumper {
    const struct dma_dump_request *req;
    struct dms_machine *m;
    uint64_t findings;
    bool taken;
    uint64_t taken_ns, end_ns;
    char *text;
    size_t text_len;
    int rc;
};

static void take(struct dumper *d, struct dms_machine *m, uint64_t now)
{
    FILE *f;

    if (d->taken)
        return;
    d->taken = true;
    d->taken_ns = now;
    f = open_memstream(&d->text, &d->text_len);
    if (f == NULL) {
        d->rc = -1;
        return;
    }
    d->rc = dms_dma_dump(m, d->req->adapter, d->req->flags, f);
    fclose(f);
}

static void on_start(void *ctx, struct dms_machine *m)
{
    ((struct dumper *)ctx)->m = m;
}

static void on_event(void *ctx, const struct dms_event *ev, uint32_t device, uint64_t tag,
                     int cpu)
{
    struct dumper *d = ctx;

    (void)device;
    (void)tag;
    (void)cpu;
    if (ev->type == DMS_EV_FINDING && d->req->when == DMA_DUMP_AT_FINDING &&
        ++d->findings == d->req->finding)
        take(d, d->m, ev->time_ns);
}

static void on_at(void *ctx, struct dms_machine *m, uint64_t now)
{
    take(ctx, m, now);
}

static void on_end(void *ctx, struct dms_machine *m, uint64_t now)
{
    struct dumper *d = ctx;

    d->end_ns = now;
    take(d, m, now);
}

int dma_dump_run(const struct scenario *s, const struct dma_dump_request *req, FILE *out,
                 const volatile int *stop, char *why, size_t len)
{
    struct dumper d = {.req = req};
    struct run_observer obs;
    struct run_result r;
    char when[160], t[32];

    memset(&obs, 0, sizeof(obs));
    obs.engine.ctx = &d;
    obs.engine.hal_event = on_event;
    obs.start = on_start;
    obs.end = on_end;
    if (req->when == DMA_DUMP_AT_TIME) {
        obs.at_ns = req->at_ns;
        obs.at = on_at;
    }
    if (run_scenario_observed(s, stop, &obs, &r, why, len) != 0)
        return -1;
    units_format_time(d.taken_ns, t, sizeof(t));
    switch (req->when) {
    case DMA_DUMP_AT_TIME:
        if (d.taken_ns < d.end_ns || d.end_ns >= req->at_ns) {
            units_format_time(req->at_ns, t, sizeof(t));
            snprintf(when, sizeof(when), "at t=%s", t);
        } else
            snprintf(when, sizeof(when), "at the end of the run (t=%s), which came first", t);
        break;
    case DMA_DUMP_AT_FINDING:
        if (d.findings >= req->finding)
            snprintf(when, sizeof(when), "at finding %" PRIu64 " (t=%s)", req->finding, t);
        else
            snprintf(when, sizeof(when), "at the end of the run (t=%s): it made %" PRIu64
                     " finding(s)", t, d.findings);
        break;
    default:
        snprintf(when, sizeof(when), "at the end of the run (t=%s)", t);
        break;
    }
    fprintf(out, "dmasim dma: %s, seed %" PRIu64 ": the DMA adapters %s\n\n", s->path,
            s->machine.seed, when);
    if (d.text != NULL)
        fwrite(d.text, 1, d.text_len, out);
    if (d.rc != 0)
        fprintf(out, "(no live adapter %" PRIx32 " then)\n", req->adapter);
    free(d.text);
    run_result_free(&r);
    return 0;
}
