/*
 * engine_platform.c - the platform interface the HAL calls (see engine.h): virtual time,
 * scheduled work on the CPUs, the cost ledger's charges, events to the observer, tags.
 */
#include "engine_int.h"

/* ---------------------------------------------------------------------------------------------
 * The platform interface.
 */
static uint64_t plat_now(void *ctx)
{
    return engine_now(ctx);
}

/* Work the HAL defers: an interrupt it raises itself (a system DMA controller's) above
 * DISPATCH_LEVEL; a DPC when an ISR queues it; else the HAL's own routine (a waiter granted
 * its map registers, say) on a CPU at the level it asks for. */
static void plat_schedule(void *ctx, uint64_t delay_ns, KIRQL irql, uint32_t adapter_id,
                          dms_work_fn fn, void *arg)
{
    struct engine *e = ctx;
    uint32_t device = adapter_id < e->adapter_cap ? e->adapter_device[adapter_id]
                      : e->ctx.active             ? e->ctx.device
                                                  : e->ndevices;

    if (irql > DISPATCH_LEVEL)
        engine_cpu(e, delay_ns, device, CPU_INTERRUPT, irql, e->cost.isr_ns, fn, arg);
    else if (e->ctx.active && e->ctx.irql > DISPATCH_LEVEL && irql == DISPATCH_LEVEL)
        engine_cpu(e, delay_ns + e->cost.dpc_latency_ns, device, CPU_INTERRUPT, irql,
                   e->cost.dpc_ns, fn, arg);
    else
        engine_cpu(e, delay_ns, device, CPU_DRIVER, irql, 0, fn, arg);
}

static void driver_time(struct engine *e, uint64_t ns)
{
    if (e->ctx.active)
        charge(e, e->ctx.device, CPU_DRIVER, ns, e->ctx.routine);
}

static void plat_charge(void *ctx, enum dms_cost cost, uint64_t amount, uint32_t adapter_id)
{
    struct engine *e = ctx;
    uint32_t device = adapter_id < e->adapter_cap ? e->adapter_device[adapter_id] : e->ndevices;
    const struct cost_model *c = &e->cost;
    const char *r = e->ctx.routine;

    switch (cost) {
    case DMS_COST_BOUNCE_COPY_BYTES:
        charge(e, device, CPU_BOUNCE, bytes_ns(amount, c->copy_bandwidth), r);
        break;
    case DMS_COST_MAPREG_ALLOC:
        charge(e, device, CPU_MAPREG, amount * c->mapreg_alloc_ns, r);
        break;
    case DMS_COST_MAPREG_FREE:
        charge(e, device, CPU_MAPREG, amount * c->mapreg_free_ns, r);
        break;
    case DMS_COST_SG_ELEMENT:
        charge(e, device, CPU_MAPPING, amount * c->sg_element_ns, r);
        break;
    case DMS_COST_MAP_CALL:
        charge(e, device, CPU_MAPPING, amount * c->map_call_ns, r);
        break;
    case DMS_COST_CACHE_LINE:
        charge(e, device, CPU_MAPPING, amount * c->cache_line_ns, r);
        break;
    /* The driver's own time, charged to the device whose work runs now; outside any CPU
     * work (a driver's start, before the run) it is set-up, not the workload's. */
    case DMS_COST_REGISTER_READ:
        driver_time(e, amount * c->register_read_ns);
        break;
    case DMS_COST_REGISTER_WRITE:
        driver_time(e, amount * c->register_write_ns);
        break;
    case DMS_COST_CPU_NS:
        driver_time(e, amount);
        break;
    case DMS_COST_DRIVER_COPY_BYTES:
        if (e->ctx.active)
            charge(e, e->ctx.device, CPU_DRIVER_COPY, bytes_ns(amount, c->copy_bandwidth), r);
        break;
    case DMS_COST_IOMMU_MAP_PAGE:
        charge(e, device, CPU_MAPPING, amount * c->iommu_map_page_ns, r);
        break;
    case DMS_COST_IOMMU_UNMAP_PAGE:
        charge(e, device, CPU_MAPPING, amount * c->iommu_unmap_page_ns, r);
        break;
    case DMS_COST_IOTLB_INVALIDATE:
        charge(e, device, CPU_MAPPING, amount * c->iotlb_invalidate_ns, r);
        break;
    case DMS_COST_IOTLB_MISS: /* the device waits for the walk, not a CPU */
        if (device < e->ndevices) {
            e->dev[device].walk_debt_ns += amount * c->iotlb_miss_ns;
            e->dev[device].st.iotlb_misses += amount;
            e->dev[device].st.iotlb_walk_ns += amount * c->iotlb_miss_ns;
        }
        break;
    }
}

static void plat_event(void *ctx, const struct dms_event *ev)
{
    struct engine *e = ctx;
    uint32_t device;

    if (ev->type == DMS_EV_ADAPTER_CREATE && e->adapter_created != NULL)
        e->adapter_created(e->adapter_created_ctx, ev->adapter_id, ev->device, ev->count);

    if (!e->observed || e->obs.hal_event == NULL)
        return;
    if (e->ctx.active)
        e->ctx.routine = ev->routine;
    device = ev->adapter_id < e->adapter_cap ? e->adapter_device[ev->adapter_id] : e->ndevices;
    e->obs.hal_event(e->obs.ctx, ev, device, e->tag, e->ctx.active ? e->ctx.cpu : -1);
}

static uint64_t plat_context_get(void *ctx)
{
    return ((struct engine *)ctx)->tag;
}

static void plat_context_set(void *ctx, uint64_t context)
{
    ((struct engine *)ctx)->tag = context;
}

static void plat_run_until(void *ctx, bool (*done)(void *), void *arg)
{
    engine_run_until(ctx, done, arg);
}

void engine_platform(struct engine *e, struct dms_platform *plat)
{
    memset(plat, 0, sizeof(*plat));
    plat->ctx = e;
    plat->now_ns = plat_now;
    plat->schedule = plat_schedule;
    plat->charge = plat_charge;
    plat->event = plat_event;
    plat->context_get = plat_context_get;
    plat->context_set = plat_context_set;
    plat->run_until = plat_run_until;
}
