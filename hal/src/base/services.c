/*
 * services.c - the services every HAL room shares: the machine's configuration, its binding
 * to the calling thread, the platform interface (with a trivial platform for a HAL used
 * alone), scheduled work, the event stream that feeds each account's counters, and findings.
 * (Putting a machine together from the rooms is hal/src/machine.c's.)
 *
 * The WDK routines take no machine argument, yet a sweep runs many machines at once on a
 * thread pool. So the machine (and with it the current IRQL) is bound per thread: a run binds
 * its machine on the worker thread that runs it, and nothing is shared between runs.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

/* Every WDK routine asks for it: the initial-exec model reads it at a fixed offset from the
 * thread pointer, where the shared library's default model calls __tls_get_addr each time
 * (libdmasim is linked at load time, not dlopen'd late, so the static TLS block has room). */
static _Thread_local struct dms_machine *bound_machine __attribute__((tls_model("initial-exec")));

const char *dms_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define DMS_ERRNO_CASE(name, value, text) \
    case DMS_##name:                      \
        return text;
        DMS_ERRNO_MAP(DMS_ERRNO_CASE)
#undef DMS_ERRNO_CASE
    default:
        return "unknown error";
    }
}

const char *dms_event_name(enum dms_event_type type)
{
    static const char *const names[] = {
#define DMS_EVENT_NAME(name, text) text,
        DMS_EVENT_MAP(DMS_EVENT_NAME)
#undef DMS_EVENT_NAME
    };
    return (unsigned)type < DMS_EV_COUNT ? names[type] : "unknown";
}

void dms_format_address(uint64_t address, char out[24])
{
    snprintf(out, 24, "0x%04x_%04x_%04x_%04x", (unsigned)(address >> 48),
             (unsigned)(address >> 32) & 0xffff, (unsigned)(address >> 16) & 0xffff,
             (unsigned)address & 0xffff);
}

void dms_machine_config_init(struct dms_machine_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->ram_bytes = 8 * DMS_GIB;
    cfg->mmio_hole_start = DMS_DEFAULT_HOLE_START;
    cfg->mmio_hole_end = DMS_DEFAULT_HOLE_END;
    cfg->reserved_low_bytes = DMS_DEFAULT_RESERVED_LOW;
    cfg->placement = DMS_PLACE_RANDOM;
    cfg->seed = 1;
    cfg->map_register_limit = DMS_DEFAULT_MAP_REGISTERS;
    cfg->bounce_pool_bytes = DMS_DEFAULT_BOUNCE_POOL;
    cfg->dma_alignment = 1;
    cfg->soc_dma_request_lines = 32;
}

static int why_set(char *why, size_t len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int why_set(char *why, size_t len, int err, const char *fmt, ...)
{
    va_list ap;

    if (why != NULL && len > 0) {
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* Say why (a DMS_E* code and a sentence) and which member is at fault. */
#define REFUSE(member, ...)                          \
    do {                                             \
        *field = (member);                           \
        return why_set(why, len, __VA_ARGS__);       \
    } while (0)

int dms_machine_config_field(const struct dms_machine_config *c, char *why, size_t len,
                             const char **field)
{
    const char *dummy;

    if (field == NULL)
        field = &dummy;
    *field = NULL;
    for (int f = 0; f < DMS_FAULT_COUNT; f++)
        if (c->fault_percent[f] > 100)
            REFUSE("fault_percent", DMS_ERANGE, "a fault rate is 0 .. 100 percent");
    if (c->ram_bytes < DMS_MIN_RAM || c->ram_bytes > DMS_MAX_RAM)
        REFUSE("ram_bytes", DMS_ERANGE, "memory size %" PRIu64
               " bytes is outside 16 MiB .. 1 PiB", c->ram_bytes);
    if (c->ram_bytes & HAL_PAGE_MASK)
        REFUSE("ram_bytes", DMS_EINVAL, "memory size must be a multiple of 4 KiB");
    if (c->mmio_hole_start != c->mmio_hole_end) {
        if (c->mmio_hole_start > c->mmio_hole_end)
            REFUSE("mmio_hole_start", DMS_EINVAL, "MMIO hole starts after it ends");
        if ((c->mmio_hole_start | c->mmio_hole_end) & HAL_PAGE_MASK)
            REFUSE("mmio_hole_start", DMS_EINVAL, "MMIO hole bounds must be page-aligned");
        if (c->mmio_hole_end > 4 * DMS_GIB)
            REFUSE("mmio_hole_end", DMS_ERANGE, "MMIO hole must end at or below 4 GiB");
        if (c->mmio_hole_start < c->reserved_low_bytes + DMS_MIN_RAM / 2)
            REFUSE("mmio_hole_start", DMS_ERANGE,
                   "MMIO hole must leave at least 8 MiB of RAM below it");
    }
    if (c->reserved_low_bytes & HAL_PAGE_MASK)
        REFUSE("reserved_low_bytes", DMS_EINVAL, "reserved low memory must be page-aligned");
    if (c->reserved_low_bytes >= c->ram_bytes / 2)
        REFUSE("reserved_low_bytes", DMS_ERANGE, "reserved low memory takes half of RAM or more");
    if ((unsigned)c->placement > DMS_PLACE_RANGE)
        REFUSE("placement", DMS_EINVAL, "unknown placement policy");
    if (c->placement == DMS_PLACE_RANGE &&
        (c->range_start >= c->range_end || ((c->range_start | c->range_end) & HAL_PAGE_MASK)))
        REFUSE("range_start", DMS_EINVAL, "placement range must be non-empty and page-aligned");
    if (c->map_register_limit == 0 || c->map_register_limit > (1u << 20))
        REFUSE("map_register_limit", DMS_ERANGE, "map register limit must be 1 .. 1048576");
    if (c->bounce_pool_bytes < HAL_PAGE_SIZE || c->bounce_pool_bytes > 4 * DMS_GIB ||
        (c->bounce_pool_bytes & HAL_PAGE_MASK))
        REFUSE("bounce_pool_bytes", DMS_ERANGE,
               "bounce pool must be a whole number of pages, 4 KiB .. 4 GiB");
    if (c->dma_alignment == 0 || (c->dma_alignment & (c->dma_alignment - 1)) ||
        c->dma_alignment > HAL_PAGE_SIZE)
        REFUSE("dma_alignment", DMS_EINVAL, "DMA alignment must be a power of two <= 4096");
    if (c->soc_dma_channels > 256)
        REFUSE("soc_dma_channels", DMS_ERANGE, "a SoC DMA controller has at most 256 channels");
    if (c->soc_dma_channels > 0 &&
        (c->soc_dma_request_lines == 0 || c->soc_dma_request_lines > 65536))
        REFUSE("soc_dma_request_lines", DMS_ERANGE, "SoC DMA request lines must be 1 .. 65536");
    return 0;
}

int dms_machine_config_check(const struct dms_machine_config *c, char *why, size_t len)
{
    return dms_machine_config_field(c, why, len, NULL);
}

struct dms_machine *dms_machine_enter(struct dms_machine *m)
{
    struct dms_machine *prev = bound_machine;

    bound_machine = m;
    return prev;
}

struct dms_machine *dms_machine_current(void)
{
    return bound_machine;
}

/* hal_machine - the machine bound to this thread. A WDK routine called with none bound is a
 * bug in the host program, not in a driver: there is no machine to report it to. */
struct dms_machine *hal_machine(void)
{
    struct dms_machine *m = dms_machine_current();

    if (m == NULL) {
        fprintf(stderr, "dmasim: a WDK routine was called on a thread with no machine bound "
                        "(see dms_machine_enter)\n");
        abort();
    }
    return m;
}

const struct dms_machine_config *dms_machine_config(const struct dms_machine *m)
{
    return &m->cfg;
}

/* hal_null - a NULL a driver passed where routine needs a pointer: a finding (true), so the
 * caller returns at once. */
bool hal_null(struct dms_machine *m, const char *routine, const void *p, const char *what)
{
    if (p != NULL)
        return false;
    hal_finding(m, NULL, routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0, "%s with a NULL %s", routine,
                what);
    return true;
}

/* hal_fault - fault injection: fails the given percentage of a kind's calls, on a PRNG of its
 * own (a kind at 0 % draws nothing, so turning one kind on changes no other stream). */
bool hal_fault(struct dms_machine *m, struct hal_account *acct, enum dms_fault fault)
{
    unsigned pct = m->cfg.fault_percent[fault];

    if (pct == 0 || m->faults_held > 0 || dms_rng_below(&m->fault_rng, 100) >= pct)
        return false;
    m->faults[fault]++;
    if (acct != NULL)
        acct->st.faults_injected[fault]++;
    return true;
}

void dms_faults_hold(struct dms_machine *m, bool hold)
{
    if (hold)
        m->faults_held++;
    else if (m->faults_held > 0)
        m->faults_held--;
}

uint64_t dms_faults_injected(const struct dms_machine *m, enum dms_fault fault)
{
    return (unsigned)fault < DMS_FAULT_COUNT ? m->faults[fault] : 0;
}

/* hal_grow - make room for need elements in a malloc'd array, doubling.
 * Returns the (possibly moved) array, or NULL with the old one intact. */
void *hal_grow(void *array, uint32_t *cap, size_t elem, uint32_t need)
{
    uint32_t n = *cap ? *cap : 8;
    void *p;

    if (need <= *cap)
        return array;
    while (n < need)
        n *= 2;
    p = realloc(array, (size_t)n * elem);
    if (p != NULL)
        *cap = n;
    return p;
}

/* ---------------------------------------------------------------------------------------------
 * The platform, with trivial fall-backs.
 */
uint64_t hal_now(struct dms_machine *m)
{
    return m->plat.now_ns ? m->plat.now_ns(m->plat.ctx) : 0;
}

void hal_charge(struct dms_machine *m, enum dms_cost cost, uint64_t amount, uint32_t adapter_id)
{
    if (m->plat.charge != NULL && amount != 0)
        m->plat.charge(m->plat.ctx, cost, amount, adapter_id);
}

struct trampoline {
    struct dms_machine *m;
    dms_work_fn fn;
    void *arg;
    KIRQL irql;
    struct trampoline *next; /* on the machine's spare list */
    struct trampoline *all;  /* every record the machine made: freed with it, queued or not */
};

/* A record for scheduled work: a spare one (every I/O schedules several), or a new one. */
static struct trampoline *tramp_new(struct dms_machine *m, dms_work_fn fn, void *arg,
                                    KIRQL irql)
{
    struct trampoline *t = m->spare_tramps;

    if (t != NULL) {
        m->spare_tramps = t->next;
    } else {
        if ((t = malloc(sizeof(*t))) == NULL)
            abort(); /* work that never ran would hang whoever waits for it */
        t->all = m->all_tramps;
        m->all_tramps = t;
    }
    t->m = m;
    t->fn = fn;
    t->arg = arg;
    t->irql = irql;
    t->next = NULL;
    return t;
}

/* Scheduled work runs at the IRQL it was scheduled for, whoever runs it. */
static void run_trampoline(void *p)
{
    struct trampoline t = *(struct trampoline *)p;
    KIRQL saved = t.m->irql;

    ((struct trampoline *)p)->next = t.m->spare_tramps;
    t.m->spare_tramps = p;
    t.m->irql = t.irql;
    t.fn(t.arg);
    t.m->irql = saved;
}

/* Every record, spare or still queued (a run stopped with work scheduled). */
void hal_tramps_free(struct dms_machine *m)
{
    while (m->all_tramps != NULL) {
        struct trampoline *next = m->all_tramps->all;
        free(m->all_tramps);
        m->all_tramps = next;
    }
    m->spare_tramps = NULL;
}

static int pend_push(struct dms_machine *m, struct pending item)
{
    if (m->pend_count == m->pend_cap) {
        size_t cap = m->pend_cap ? m->pend_cap * 2 : 16;
        struct pending *p = malloc(cap * sizeof(*p));
        if (p == NULL)
            return DMS_ENOMEM;
        for (size_t i = 0; i < m->pend_count; i++)
            p[i] = m->pend[(m->pend_head + i) % m->pend_cap];
        free(m->pend);
        m->pend = p;
        m->pend_cap = cap;
        m->pend_head = 0;
    }
    m->pend[(m->pend_head + m->pend_count) % m->pend_cap] = item;
    m->pend_count++;
    return 0;
}

/* hal_schedule - run fn(arg) at irql as soon as the platform allows. Without a platform
 * scheduler, it runs when the IRQL drops below DISPATCH_LEVEL (as a DPC would) or at
 * dms_machine_run_pending. Host memory exhaustion here cannot be reported to anyone who could
 * recover, so it aborts. */
void hal_schedule(struct dms_machine *m, KIRQL irql, dms_work_fn fn, void *arg)
{
    hal_schedule_for(m, DMS_NO_ADAPTER, irql, fn, arg);
}

/* hal_schedule_for - the same, as work of adapter_id's device (an interrupt the HAL raises
 * for a system DMA controller, and its DPC). */
void hal_schedule_for(struct dms_machine *m, uint32_t adapter_id, KIRQL irql, dms_work_fn fn,
                      void *arg)
{
    struct trampoline *t;

    if (m->plat.schedule == NULL) {
        if (pend_push(m, (struct pending){fn, arg, irql}) != 0)
            abort();
        if (m->irql < DISPATCH_LEVEL)
            hal_drain_pending(m);
        return;
    }
    t = tramp_new(m, fn, arg, irql);
    m->plat.schedule(m->plat.ctx, 0, irql, adapter_id, run_trampoline, t);
}

/* hal_schedule_ready - the same, but never run before the caller returns: a thread a
 * KeSetEvent readies runs once its setter is done with the event (which may live on the
 * waiter's stack), as on Windows, where the setter holds the dispatcher lock. Without a
 * platform scheduler it waits for the next drain (the IRQL dropping, more work scheduled,
 * dms_machine_run_pending). */
void hal_schedule_ready(struct dms_machine *m, KIRQL irql, dms_work_fn fn, void *arg)
{
    if (m->plat.schedule != NULL) {
        hal_schedule(m, irql, fn, arg);
        return;
    }
    if (pend_push(m, (struct pending){fn, arg, irql}) != 0)
        abort();
}

/* hal_schedule_after - the same after delay_ns of virtual time. The trivial platform has no
 * clock: delayed work waits until no other work is queued, and runs in the order of its
 * delays (then of scheduling), as if time had jumped to it. */
void hal_schedule_after(struct dms_machine *m, uint64_t delay_ns, KIRQL irql, dms_work_fn fn,
                        void *arg)
{
    struct trampoline *t;
    struct timer *tm, **p;

    if (delay_ns == 0) {
        hal_schedule(m, irql, fn, arg);
        return;
    }
    if (m->plat.schedule != NULL) {
        t = tramp_new(m, fn, arg, irql);
        m->plat.schedule(m->plat.ctx, delay_ns, irql, DMS_NO_ADAPTER, run_trampoline, t);
        return;
    }
    tm = malloc(sizeof(*tm));
    if (tm == NULL)
        abort();
    *tm = (struct timer){NULL, delay_ns, m->timer_serial++, fn, arg, irql};
    for (p = &m->timers; *p != NULL && ((*p)->due_ns < delay_ns ||
                                        ((*p)->due_ns == delay_ns && (*p)->serial < tm->serial));
         p = &(*p)->next)
        ;
    tm->next = *p;
    *p = tm;
}

/* hal_run_one - the trivial platform: run queued work, or else the earliest timer. Returns
 * how many items ran (0: nothing was left). */
int hal_run_one(struct dms_machine *m)
{
    struct timer *tm;
    KIRQL saved = m->irql;
    int ran;

    if (m->plat.schedule != NULL)
        return 0;
    ran = hal_drain_pending(m);
    if (ran > 0 || m->draining || (tm = m->timers) == NULL)
        return ran;
    m->timers = tm->next;
    m->irql = tm->irql;
    tm->fn(tm->arg);
    m->irql = saved;
    free(tm);
    return 1 + hal_drain_pending(m);
}

/* hal_run_until - run the platform until done(arg) is true or nothing is left to run.
 * Returns whether done(arg) became true. */
bool hal_run_until(struct dms_machine *m, bool (*done)(void *), void *arg)
{
    if (done(arg))
        return true;
    if (m->plat.run_until != NULL) {
        m->plat.run_until(m->plat.ctx, done, arg);
        return done(arg);
    }
    while (!done(arg))
        if (hal_run_one(m) == 0)
            return false;
    return true;
}

/* hal_drain_pending - run the trivial platform's queued work, including work that the work
 * itself queues, in FIFO order. Not reentrant: a nested call leaves it to the outer loop.
 * Returns how many items ran. */
int hal_drain_pending(struct dms_machine *m)
{
    int ran = 0;

    if (m->draining)
        return 0;
    m->draining = true;
    while (m->pend_count > 0) {
        struct pending item = m->pend[m->pend_head];
        KIRQL saved = m->irql;

        m->pend_head = (m->pend_head + 1) % m->pend_cap;
        m->pend_count--;
        m->irql = item.irql;
        item.fn(item.arg);
        m->irql = saved;
        ran++;
    }
    m->draining = false;
    return ran;
}

int dms_machine_run_pending(struct dms_machine *m)
{
    struct dms_machine *prev = dms_machine_enter(m);
    int ran = 0, n;

    while ((n = hal_run_one(m)) > 0)
        ran += n;
    dms_machine_enter(prev);
    return ran;
}

/* ---------------------------------------------------------------------------------------------
 * Events and the counters built from them.
 */
static void count_event(struct dms_adapter_stats *st, const struct dms_event *ev)
{
    switch (ev->type) {
    case DMS_EV_CHANNEL_WAIT:
    case DMS_EV_MAPREG_WAIT:
        st->map_register_waits++;
        break;
    case DMS_EV_MAPREG_GRANT:
        st->map_register_requests++;
        st->map_registers_granted += ev->count;
        st->map_registers_in_use += ev->count;
        if (st->map_registers_in_use > st->map_registers_peak)
            st->map_registers_peak = st->map_registers_in_use;
        st->map_register_wait_ns += ev->wait_ns;
        break;
    case DMS_EV_MAPREG_FREE:
        st->map_registers_in_use -= ev->count;
        break;
    case DMS_EV_MAP:
        st->map_calls++;
        st->pages_mapped += ev->count;
        st->bytes_mapped += ev->length;
        if (ev->reason != DMS_BOUNCE_NONE) {
            st->pages_bounced += ev->count;
            if (ev->reason == DMS_BOUNCE_ABOVE_LIMIT)
                st->pages_bounced_above_limit += ev->count;
            else if (ev->reason == DMS_BOUNCE_VERIFIER)
                st->pages_bounced_verifier += ev->count;
            else
                st->pages_bounced_contiguity += ev->count;
        }
        break;
    case DMS_EV_BOUNCE_COPY:
        if (ev->write_to_device)
            st->bytes_bounced_to_device += ev->length;
        else
            st->bytes_bounced_from_device += ev->length;
        break;
    case DMS_EV_FLUSH:
        st->transfers += ev->count;
        break;
    case DMS_EV_SGL_BUILD:
        st->sg_lists_built++;
        st->sg_lists_outstanding++;
        st->sg_elements += ev->count;
        break;
    case DMS_EV_SGL_PUT:
        st->sg_lists_outstanding--;
        st->transfers++;
        break;
    case DMS_EV_COMMON_ALLOC:
        st->common_buffers++;
        st->common_buffer_bytes += ev->length;
        break;
    case DMS_EV_COMMON_FREE:
        st->common_buffers--;
        st->common_buffer_bytes -= ev->length;
        break;
    case DMS_EV_DEVICE_ACCESS:
        if (ev->write_to_device)
            st->device_bytes_read += ev->length;
        else
            st->device_bytes_written += ev->length;
        if (ev->stray)
            st->stray_accesses++;
        break;
    case DMS_EV_FINDING:
        st->findings++;
        break;
    default:
        break;
    }
}

/* hal_emit - stamp an event with the time and its adapter, count it, and pass it on. */
void hal_emit(struct dms_machine *m, struct hal_account *acct, struct dms_event *ev)
{
    ev->time_ns = hal_now(m);
    if (acct != NULL) {
        ev->adapter_id = acct->id;
        if (ev->device == NULL)
            ev->device = acct->device;
        count_event(&acct->st, ev);
    }
    if (m->plat.event != NULL)
        m->plat.event(m->plat.ctx, ev);
}

/* ---------------------------------------------------------------------------------------------
 * Findings.
 */
/* The site a finding belongs to, made on first use; NULL only when host memory runs out. */
static struct finding_site *site_of(struct dms_machine *m, uint32_t code, const char *routine,
                                    const char *device)
{
    struct finding_site *s;

    for (uint32_t i = 0; i < m->n_sites; i++) {
        s = &m->sites[i];
        if (s->code == code && strcmp(s->device, device) == 0 &&
            (s->routine == routine ||
             (s->routine != NULL && routine != NULL && strcmp(s->routine, routine) == 0)))
            return s;
    }
    s = hal_grow(m->sites, &m->cap_sites, sizeof(*s), m->n_sites + 1);
    if (s == NULL)
        return NULL;
    m->sites = s;
    s = &m->sites[m->n_sites++];
    memset(s, 0, sizeof(*s));
    s->code = code;
    s->routine = routine;
    snprintf(s->device, sizeof(s->device), "%s", device);
    return s;
}

void hal_vfinding(struct dms_machine *m, struct hal_account *acct, const char *routine,
                  uint32_t code, uint64_t p2, uint64_t p3, uint64_t p4, const char *fmt,
                  va_list ap)
{
    struct dms_finding *f;
    struct dms_event ev = {.type = DMS_EV_FINDING, .routine = routine, .status = (int32_t)code};
    struct finding_site *site = site_of(m, code, routine, acct != NULL ? acct->device : "");

    if (site == NULL)
        abort(); /* a finding that cannot be counted would be a silent pass */
    site->count++;
    m->findings_total++;
    if (site->count <= DMS_FINDING_DETAILS_PER_SITE) {
        if (m->n_findings == m->cap_findings) {
            size_t cap = m->cap_findings ? m->cap_findings * 2 : 16;
            void *p = realloc(m->findings, cap * sizeof(*m->findings));
            if (p == NULL)
                abort();
            m->findings = p;
            m->cap_findings = cap;
        }
        f = &m->findings[m->n_findings++];
        memset(f, 0, sizeof(*f));
        f->code = code;
        f->p2 = p2;
        f->p3 = p3;
        f->p4 = p4;
        f->time_ns = hal_now(m);
        f->routine = routine;
        if (acct != NULL)
            snprintf(f->device, sizeof(f->device), "%s", acct->device);
        vsnprintf(f->message, sizeof(f->message), fmt, ap);
        ev.detail = f->message; /* read while the event is handled, before findings grow */
    }
    hal_emit(m, acct, &ev);
}

void hal_finding(struct dms_machine *m, struct hal_account *acct, const char *routine,
                 uint32_t code, uint64_t p2, uint64_t p3, uint64_t p4, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    hal_vfinding(m, acct, routine, code, p2, p3, p4, fmt, ap);
    va_end(ap);
}

size_t dms_finding_count(const struct dms_machine *m)
{
    return m->n_findings;
}

const struct dms_finding *dms_finding_get(const struct dms_machine *m, size_t index)
{
    return index < m->n_findings ? &m->findings[index] : NULL;
}

uint64_t dms_finding_total(const struct dms_machine *m)
{
    return m->findings_total;
}

size_t dms_finding_count_code(const struct dms_machine *m, uint32_t code)
{
    uint64_t n = 0;

    for (uint32_t i = 0; i < m->n_sites; i++)
        n += m->sites[i].code == code ? m->sites[i].count : 0;
    return (size_t)n;
}

uint64_t dms_finding_total_device(const struct dms_machine *m, const char *device)
{
    uint64_t n = 0;

    for (uint32_t i = 0; i < m->n_sites; i++)
        n += strcmp(m->sites[i].device, device) == 0 ? m->sites[i].count : 0;
    return n;
}

void dms_findings_clear(struct dms_machine *m)
{
    m->n_findings = 0;
    m->n_sites = 0;
    m->findings_total = 0;
}
