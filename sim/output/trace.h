/*
 * trace.h - a run as a Chrome Trace Event file (JSON, or gzip-compressed JSON), which
 * ui.perfetto.dev and chrome://tracing open.
 *
 * Layout: a process per device (adapter), plus one for work no device owns. In each: a track
 * per DMA engine (its transfers as slices) and a track per CPU (the device's application and
 * dispatch work, ISRs, DPCs and the HAL's deferred work as slices, each with its parts nested
 * inside: bounce copies, map registers, mapping, named by the DMA routine that did them);
 * counters for the map registers and bounce pages the adapter holds; HAL findings as instant
 * events; and a flow arrow per I/O from its submission through its device transfers to its
 * completion. A preempting ISR or DPC nests inside the work it paused, so slices never
 * overlap without nesting.
 *
 * Bounded: the trace records the run until `limit` I/Os have completed, then nothing later.
 *
 * The JSON is written by hand, event by event (json.h says why), through zlib's gzwrite when
 * the name ends in .gz (one gzip member), to a temporary file renamed into place at the end.
 */
#ifndef DMASIM_TRACE_H
#define DMASIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "run.h"
#include "scenario.h"

#define TRACE_DEFAULT_LIMIT 1000

struct trace;

/* trace_open - start a trace of a run of s. NULL with why[] if the file cannot be created. */
struct trace *trace_open(const char *path, const struct scenario *s, uint64_t limit, char *why,
                         size_t len);
/* The observer to run the scenario with (run_scenario_observed). */
void trace_observer(struct trace *t, struct run_observer *obs);
/* trace_close - finish the file and move it into place; 0, or -1 with why[] (nothing left). */
int trace_close(struct trace *t, char *why, size_t len);
/* trace_discard - remove what was written. */
void trace_discard(struct trace *t);
/* I/Os completed within the trace, and events written. */
uint64_t trace_ios(const struct trace *t);
uint64_t trace_events(const struct trace *t);

#endif /* DMASIM_TRACE_H */
