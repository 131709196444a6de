/*
 * base.h - the HAL's base room: what every other room stands on, and which stands on nothing
 * but the public headers.
 *
 *   services.c  the machine object and its binding to the calling thread, the platform (with a
 *               trivial one for a HAL used alone), scheduled work, events and the accounts
 *               they are counted in, findings, and small helpers (hal_grow, hal_null)
 *   u64map.c    the open-addressing hash map behind sparse memory and the object table
 *   rng.c       xoshiro256**, the machine's one source of randomness
 *   spares.c    freed records of one size kept for the next request
 *
 * The rooms above it, each seeing only the rooms below (docs/architecture.md):
 *   hw/      the machine: physical memory, caches, system DMA controllers, the IOMMU
 *   kernel/  IRQL rules, DPCs, MDLs, pool, threads, spin locks, interrupts, IRPs, devices,
 *            registers
 *   dma/     adapters, map registers, transfers, scatter/gather, common buffers, version 3,
 *            call tracing
 *   machine.c (in hal/src) puts one machine together from the rooms and takes it apart.
 * Each upper room keeps its state in its own structure, reached from the machine by pointer;
 * the base never looks inside them.
 *
 * Nothing here is installed or seen by drivers.
 */
#ifndef DMASIM_HAL_BASE_H
#define DMASIM_HAL_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dmasim/hal.h"
#include "dmasim/wdm.h"

#define HAL_PAGE_SIZE  ((uint64_t)PAGE_SIZE)
#define HAL_PAGE_SHIFT 12
#define HAL_PAGE_MASK  (HAL_PAGE_SIZE - 1)

static inline uint64_t pfn_to_addr(uint64_t pfn) { return pfn << HAL_PAGE_SHIFT; }
static inline uint64_t addr_to_pfn(uint64_t a) { return a >> HAL_PAGE_SHIFT; }

static inline PHYSICAL_ADDRESS phys_addr(uint64_t a)
{
    PHYSICAL_ADDRESS p;
    p.QuadPart = (LONGLONG)a;
    return p;
}

/* ---------------------------------------------------------------------------------------------
 * u64map: uint64 -> uint64, open addressing with linear probing and backward-shift deletion
 * (no tombstones, so a long run of map/unmap never degrades it). Key UINT64_MAX is reserved.
 */
struct u64map {
    uint64_t *keys;
    uint64_t *vals;
    size_t cap; /* a power of two */
    size_t count;
    unsigned shift;
};

int u64map_init(struct u64map *map, size_t initial);
void u64map_free(struct u64map *map);
bool u64map_get(const struct u64map *map, uint64_t key, uint64_t *val);
int u64map_put(struct u64map *map, uint64_t key, uint64_t val);
bool u64map_del(struct u64map *map, uint64_t key);
size_t u64map_host_bytes(const struct u64map *map);

/* ---------------------------------------------------------------------------------------------
 * Spares: records of one size, freed and kept (at most keep of them) for the next request.
 * spares_get gives a zeroed record (NULL when the host is out of memory); spares_put takes
 * one back (NULL is ignored); spares_free returns the kept ones to the host.
 */
struct hal_spares {
    void *head;
    size_t size, align;
    unsigned count, keep;
};

void spares_init(struct hal_spares *s, size_t size, size_t align, unsigned keep);
void *spares_get(struct hal_spares *s);
void spares_put(struct hal_spares *s, void *record);
void spares_free(struct hal_spares *s);

/* ---------------------------------------------------------------------------------------------
 * Accounts: what events and findings are charged to. Each DMA adapter has one (dma/); the
 * machine's devices point at their latest adapter's (hw/), so what a device does is counted
 * with the adapter that set it going. NULL: the machine's own.
 */
struct hal_account {
    uint32_t id;        /* the adapter's number in reports (dms_event.adapter_id) */
    const char *device; /* its device's name, for events and findings */
    struct dms_adapter_stats st;
};

/* ---------------------------------------------------------------------------------------------
 * The machine.
 */
struct pending {
    dms_work_fn fn;
    void *arg;
    KIRQL irql;
};

struct timer {
    struct timer *next;
    uint64_t due_ns; /* the trivial platform: the delay, as an order */
    uint64_t serial;
    dms_work_fn fn;
    void *arg;
    KIRQL irql;
};

/* Where findings come from: a code, a routine and a device, and how many it made. */
struct finding_site {
    uint32_t code;
    const char *routine;
    char device[32];
    uint64_t count;
};

struct hal_hw;     /* hw/hw.h */
struct hal_kernel; /* kernel/kernel.h */
struct hal_dma;    /* dma/dma.h */

struct trampoline;

struct dms_machine {
    struct dms_machine_config cfg;
    struct dms_platform plat;
    KIRQL irql; /* the current CPU's; scheduled work runs at its own */
    struct dms_rng rng;
    struct dms_finding *findings; /* kept in detail */
    size_t n_findings, cap_findings;
    struct finding_site *sites;   /* every finding, counted by site */
    uint32_t n_sites, cap_sites;
    uint64_t findings_total;
    struct pending *pend;
    size_t pend_head, pend_count, pend_cap;
    bool draining;
    struct timer *timers;
    uint64_t timer_serial;
    struct dms_rng fault_rng;              /* fault injection's own */
    uint64_t faults[DMS_FAULT_COUNT];      /* injected, by kind */
    struct trampoline *spare_tramps; /* scheduled-work records, recycled */
    struct trampoline *all_tramps;   /* every one made */
    uint32_t faults_held; /* dms_faults_hold: no fault is drawn while above 0 */
    /* the frameworks' state (frameworks/), freed first when the machine goes */
    void *frameworks[DMS_FRAMEWORK_COUNT];
    void (*framework_free[DMS_FRAMEWORK_COUNT])(void *state);
    /* the rooms' own state */
    struct hal_hw *hw;
    struct hal_kernel *kern;
    struct hal_dma *dma;
};

/* The machine bound to this thread (dms_machine_enter); a WDK routine called on a thread with
 * none is a host program's error, reported on stderr before it aborts. */
struct dms_machine *hal_machine(void);

uint64_t hal_now(struct dms_machine *m);
void hal_schedule(struct dms_machine *m, KIRQL irql, dms_work_fn fn, void *arg);
void hal_schedule_ready(struct dms_machine *m, KIRQL irql, dms_work_fn fn, void *arg);
void hal_schedule_for(struct dms_machine *m, uint32_t adapter_id, KIRQL irql, dms_work_fn fn,
                      void *arg);
void hal_schedule_after(struct dms_machine *m, uint64_t delay_ns, KIRQL irql, dms_work_fn fn,
                        void *arg);
int hal_drain_pending(struct dms_machine *m);
int hal_run_one(struct dms_machine *m);
bool hal_run_until(struct dms_machine *m, bool (*done)(void *), void *arg);
void hal_charge(struct dms_machine *m, enum dms_cost cost, uint64_t amount, uint32_t adapter_id);
/* Stamp an event with the time and its account, count it there, and pass it on. */
void hal_emit(struct dms_machine *m, struct hal_account *acct, struct dms_event *ev);
void hal_finding(struct dms_machine *m, struct hal_account *acct, const char *routine,
                 uint32_t code, uint64_t p2, uint64_t p3, uint64_t p4, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
void hal_vfinding(struct dms_machine *m, struct hal_account *acct, const char *routine,
                  uint32_t code, uint64_t p2, uint64_t p3, uint64_t p4, const char *fmt,
                  va_list ap) __attribute__((format(printf, 8, 0)));
void *hal_grow(void *array, uint32_t *cap, size_t elem, uint32_t need);
void hal_tramps_free(struct dms_machine *m); /* the spare scheduled-work records */
bool hal_null(struct dms_machine *m, const char *routine, const void *p, const char *what);
/* Should this call of kind fault fail (fault injection)? Counts it when so. */
/* Fault injection: does this call fail? Counted for the machine and, when known, for the
 * account of the device it was made for (acct NULL: unknown). */
bool hal_fault(struct dms_machine *m, struct hal_account *acct, enum dms_fault fault);

#endif /* DMASIM_HAL_BASE_H */
