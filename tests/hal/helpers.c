/*
 * helpers.c - shared set-up for the HAL's Check suites.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

struct test_platform tp;

static uint64_t tp_now(void *ctx)
{
    (void)ctx;
    return tp.now_ns;
}

static void tp_event(void *ctx, const struct dms_event *ev)
{
    (void)ctx;
    if (tp.n_events == tp.cap_events) {
        tp.cap_events = tp.cap_events ? tp.cap_events * 2 : 256;
        tp.events = realloc(tp.events, tp.cap_events * sizeof(*tp.events));
        ck_assert_ptr_nonnull(tp.events);
    }
    tp.events[tp.n_events++] = *ev;
}

static void tp_charge(void *ctx, enum dms_cost cost, uint64_t amount, uint32_t adapter_id)
{
    (void)ctx;
    (void)adapter_id;
    if ((unsigned)cost < sizeof(tp.charged) / sizeof(tp.charged[0]))
        tp.charged[cost] += amount;
}

struct dms_platform test_platform_ops = {.now_ns = tp_now, .event = tp_event,
                                         .charge = tp_charge};

void events_reset(void)
{
    tp.n_events = 0;
}

size_t events_of(enum dms_event_type type)
{
    size_t n = 0;

    for (size_t i = 0; i < tp.n_events; i++)
        n += tp.events[i].type == type;
    return n;
}

struct dms_machine *machine_with(const struct dms_machine_config *cfg)
{
    struct dms_machine *m = NULL;

    tp.now_ns = 0;
    events_reset();
    memset(tp.charged, 0, sizeof(tp.charged));
    ck_assert_int_eq(dms_machine_create(cfg, &test_platform_ops, &m), 0);
    dms_machine_enter(m);
    return m;
}

struct dms_machine *machine_new(uint64_t ram, enum dms_placement placement)
{
    struct dms_machine_config cfg;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = ram;
    cfg.placement = placement;
    return machine_with(&cfg);
}

void machine_done(struct dms_machine *m)
{
    dms_machine_destroy(m);
    dms_machine_enter(NULL);
}

PDMA_ADAPTER adapter_new(PDEVICE_OBJECT dev, unsigned bits, BOOLEAN sg, ULONG max_length,
                         ULONG version, ULONG *nregs)
{
    DEVICE_DESCRIPTION d;
    ULONG n = 0;
    PDMA_ADAPTER a;

    memset(&d, 0, sizeof(d));
    d.Version = version;
    d.Master = TRUE;
    d.ScatterGather = sg;
    d.Dma32BitAddresses = bits == 32;
    d.Dma64BitAddresses = bits == 64;
    d.InterfaceType = bits == 24 ? Isa : PCIBus;
    d.MaximumLength = max_length;
    d.DmaAddressWidth = version == DEVICE_DESCRIPTION_VERSION3 ? bits : 0;
    a = IoGetDmaAdapter(dev, &d, &n);
    if (nregs != NULL)
        *nregs = n;
    return a;
}

uint8_t *pattern_buffer(struct dms_machine *m, PDEVICE_OBJECT dev, size_t bytes, uint8_t seed)
{
    uint8_t *b = dms_buffer_alloc(m, dev, bytes);

    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < bytes; i++)
        b[i] = (uint8_t)(seed + i * 7);
    return b;
}

PMDL mdl_for(void *va, ULONG len)
{
    PMDL mdl = IoAllocateMdl(va, len, FALSE, FALSE, NULL);

    ck_assert_ptr_nonnull(mdl);
    MmBuildMdlForNonPagedPool(mdl);
    return mdl;
}

uint64_t phys_of(struct dms_machine *m, const void *va)
{
    uint64_t p = 0;

    ck_assert_int_eq(dms_physical_of(m, va, &p), 0);
    return p;
}

long last_finding(struct dms_machine *m)
{
    size_t n = dms_finding_count(m);

    return n == 0 ? -1 : (long)dms_finding_get(m, n - 1)->code;
}

int run_suite(Suite *(*make)(void))
{
    SRunner *sr = srunner_create(make());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    free(tp.events);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
