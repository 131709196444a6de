/*
 * test_random_calls.c - a driver gone wrong at random: seeded sequences of DMA_OPERATIONS and
 * kernel calls with arguments drawn from what the HAL gave out (live, released, or another
 * adapter's), from nothing at all, and from the wrong IRQL, with a device hitting random
 * addresses in between. The HAL must report and carry on: the test fails by a crash, a hang,
 * or (under ASan+UBSan, as CI runs it) any read or write of memory the HAL does not own, and
 * any leak once the machine is destroyed.
 *
 * The "driver" here keeps to one rule a real driver's bug cannot break the HAL's promise over:
 * it never hands the HAL a pointer into memory it freed itself (an MDL it freed, a list buffer
 * it freed). Everything the HAL owns may come back stale.
 *
 * Seeds vary the machine: DMA remapping (strict, deferred), the verifier, calls that fail.
 * Seeds vary the machine too: DMA remapping (strict, deferred), the verifier, calls that fail.
 * DMASIM_RANDOM_CALLS sets the calls per seed (default 20,000) and DMASIM_RANDOM_SEEDS the
 * seeds (default 8); a long run, as docs/driver-guide.md says:
 *   DMASIM_RANDOM_CALLS=2000000 DMASIM_RANDOM_SEEDS=64 build-asan/test_hal_random_calls
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define N_ADAPTERS 5
#define N_BUFFERS  8
#define N_MDLS     12
#define N_BASES    8
#define N_LISTS    8
#define N_COMMONS  6
#define N_SPACES   3

struct base_slot {
    PVOID base;
    int adapter;
    ULONG n;
    IO_ALLOCATION_ACTION action;
    bool granted;
};

struct list_slot {
    PSCATTER_GATHER_LIST list;
    int adapter;
    BOOLEAN write;
    bool granted;
};

static struct fz {
    struct dms_machine *m;
    struct dms_rng rng;
    PDEVICE_OBJECT dev[2];
    PDMA_ADAPTER ad[N_ADAPTERS];
    PDMA_ADAPTER stale_ad[N_ADAPTERS];
    ULONG nregs[N_ADAPTERS];
    struct {
        uint8_t *p;
        size_t len;
        bool pool;
    } buf[N_BUFFERS];
    PMDL mdl[N_MDLS];
    PMDL freed_mdl[N_MDLS]; /* only ever handed to IoFreeMdl again */
    struct base_slot base[N_BASES];
    struct list_slot list[N_LISTS];
    struct {
        PVOID va;
        PHYSICAL_ADDRESS la;
        ULONG len;
        int adapter;
    } common[N_COMMONS];
    uint8_t *space[N_SPACES]; /* BuildScatterGatherList buffers, the driver's */
    uint64_t logical[16];     /* addresses the HAL handed out, for the device to hit */
    HANDLE domain[2];         /* GetDmaDomain's answers, kept past their domain's end */
    PDMA_COMMON_BUFFER_VECTOR vec[2];
} z;

static uint64_t below(uint64_t n)
{
    return n == 0 ? 0 : dms_rng_below(&z.rng, n);
}

static IO_ALLOCATION_ACTION on_grant(PDEVICE_OBJECT dev, PIRP irp, PVOID base, PVOID ctx)
{
    struct base_slot *s = ctx;

    (void)dev;
    (void)irp;
    s->base = base;
    s->granted = true;
    return s->action;
}

static VOID on_list(PDEVICE_OBJECT dev, PIRP irp, PSCATTER_GATHER_LIST sgl, PVOID ctx)
{
    struct list_slot *s = ctx;

    (void)dev;
    (void)irp;
    s->list = sgl;
    s->granted = true;
    if (sgl != NULL && sgl->NumberOfElements > 0)
        z.logical[below(16)] = (uint64_t)sgl->Elements[0].Address.QuadPart;
}

static PDMA_ADAPTER get_adapter(int i)
{
    DEVICE_DESCRIPTION d;
    static const unsigned bits[N_ADAPTERS] = {64, 32, 32, 24, 32};
    static const BOOLEAN sg[N_ADAPTERS] = {TRUE, TRUE, FALSE, FALSE, TRUE};
    static const ULONG version[N_ADAPTERS] = {3, 3, 2, 1, 0};

    memset(&d, 0, sizeof(d));
    d.Version = version[i];
    d.Master = TRUE;
    d.ScatterGather = sg[i];
    d.Dma32BitAddresses = bits[i] == 32;
    d.Dma64BitAddresses = bits[i] == 64;
    d.DmaAddressWidth = bits[i];
    d.InterfaceType = bits[i] == 24 ? Isa : PCIBus;
    d.MaximumLength = 64 * 1024;
    return IoGetDmaAdapter(z.dev[i & 1], &d, &z.nregs[i]);
}

/* A pointer the HAL may be handed where it wants an adapter: live, released, junk, NULL. */
static PDMA_ADAPTER any_adapter(int *which)
{
    static uint8_t junk[256];
    int i = (int)below(N_ADAPTERS);
    uint64_t r = below(100);

    *which = i;
    if (r < 90)
        return z.ad[i];
    if (r < 95 && z.stale_ad[i] != NULL)
        return z.stale_ad[i];
    if (r < 98)
        return (PDMA_ADAPTER)junk;
    return NULL;
}

static PVOID any_base(int adapter)
{
    struct base_slot *s = &z.base[below(N_BASES)];

    (void)adapter;
    if (below(20) == 0)
        return NULL;
    return s->base;
}

static PMDL live_mdl(void)
{
    return z.mdl[below(N_MDLS)];
}

static void at_irql(KIRQL want, KIRQL *old)
{
    /* mostly right, sometimes wrong */
    KIRQL level = below(16) == 0 ? (KIRQL)below(3) : want;

    KeRaiseIrql(level > KeGetCurrentIrql() ? level : KeGetCurrentIrql(), old);
}

static PVOID va_in(PMDL mdl, ULONG *len)
{
    uint64_t off = mdl->ByteCount > 0 ? below(mdl->ByteCount + 64) : 0;

    *len = (ULONG)below(mdl->ByteCount + 8192);
    if (below(10) == 0)
        off = mdl->ByteCount + below(4096); /* past the MDL */
    return (uint8_t *)MmGetMdlVirtualAddress(mdl) + off;
}

static void one_call(void)
{
    int a_i;
    KIRQL old;
    PDMA_ADAPTER a;
    PMDL mdl;
    ULONG len;
    PVOID va;

    switch (below(21)) {
    case 0: { /* a buffer, from pool (either kind) or the simulator's */
        int i = (int)below(N_BUFFERS);
        size_t bytes = 1 + below(64 * 1024);
        if (z.buf[i].p != NULL)
            break;
        z.buf[i].pool = below(3) != 0;
        z.buf[i].p = z.buf[i].pool
                         ? ExAllocatePoolWithTag(below(4) == 0 ? PagedPool : NonPagedPool, bytes,
                                                 'zzuF')
                         : dms_buffer_alloc(z.m, z.dev[below(2)], bytes);
        z.buf[i].len = bytes;
        break;
    }
    case 1: { /* freeing one, mapped or not */
        int i = (int)below(N_BUFFERS);
        if (z.buf[i].p != NULL && z.buf[i].pool) {
            ExFreePool(z.buf[i].p);
            z.buf[i].p = NULL;
        }
        break;
    }
    case 2: { /* an MDL over part of a buffer, built, locked or neither */
        int i = (int)below(N_MDLS), b = (int)below(N_BUFFERS);
        size_t off, n;
        if (z.mdl[i] != NULL || z.buf[b].p == NULL)
            break;
        off = below(z.buf[b].len);
        n = 1 + below(z.buf[b].len - off);
        z.mdl[i] = IoAllocateMdl(z.buf[b].p + off, (ULONG)n, FALSE, FALSE, NULL);
        if (z.mdl[i] != NULL && below(5) != 0)
            MmBuildMdlForNonPagedPool(z.mdl[i]);
        break;
    }
    case 3: { /* IoFreeMdl: mapped or not, and sometimes one freed already */
        int i = (int)below(N_MDLS);
        if (z.mdl[i] != NULL) {
            IoFreeMdl(z.mdl[i]);
            z.freed_mdl[i] = z.mdl[i];
            z.mdl[i] = NULL;
        } else if (z.freed_mdl[i] != NULL && below(4) == 0) {
            bool reused = false; /* its memory may hold a live MDL of ours by now */
            for (int j = 0; j < N_MDLS; j++)
                reused |= z.mdl[j] == z.freed_mdl[i];
            if (!reused)
                IoFreeMdl(z.freed_mdl[i]);
        }
        break;
    }
    case 4: { /* AllocateAdapterChannel */
        struct base_slot *s = &z.base[below(N_BASES)];
        static const IO_ALLOCATION_ACTION actions[] = {KeepObject, DeallocateObject,
                                                       DeallocateObjectKeepRegisters,
                                                       (IO_ALLOCATION_ACTION)7};
        a = any_adapter(&a_i);
        if (a == NULL || a->DmaOperations == NULL)
            break;
        s->adapter = a_i;
        s->n = (ULONG)below(z.nregs[a_i] + 2);
        s->action = actions[below(4)];
        s->granted = false;
        at_irql(DISPATCH_LEVEL, &old);
        z.ad[a_i]->DmaOperations->AllocateAdapterChannel(a, z.dev[below(2)], s->n, on_grant, s);
        KeLowerIrql(old);
        break;
    }
    case 5: /* MapTransfer */
    case 6: { /* FlushAdapterBuffers */
        bool map = below(2) == 0;
        PHYSICAL_ADDRESS la;
        a = any_adapter(&a_i);
        mdl = live_mdl();
        if (mdl == NULL)
            break;
        va = va_in(mdl, &len);
        at_irql(DISPATCH_LEVEL, &old);
        if (map) {
            la = z.ad[a_i]->DmaOperations->MapTransfer(a, mdl, any_base(a_i), va, &len,
                                                      (BOOLEAN)below(2));
            if (len > 0)
                z.logical[below(16)] = (uint64_t)la.QuadPart;
        } else {
            z.ad[a_i]->DmaOperations->FlushAdapterBuffers(a, mdl, any_base(a_i), va, len,
                                                          (BOOLEAN)below(2));
        }
        KeLowerIrql(old);
        break;
    }
    case 7: { /* FreeMapRegisters, FreeAdapterChannel */
        a = any_adapter(&a_i);
        at_irql(DISPATCH_LEVEL, &old);
        if (below(2) == 0) {
            struct base_slot *s = &z.base[below(N_BASES)];
            z.ad[a_i]->DmaOperations->FreeMapRegisters(a, s->base,
                                                       below(4) == 0 ? (ULONG)below(8) : s->n);
        } else {
            z.ad[a_i]->DmaOperations->FreeAdapterChannel(a);
        }
        KeLowerIrql(old);
        break;
    }
    case 8:
    case 9: { /* GetScatterGatherList, BuildScatterGatherList into a buffer maybe in use */
        struct list_slot *s = &z.list[below(N_LISTS)];
        a = any_adapter(&a_i);
        mdl = live_mdl();
        if (mdl == NULL || (s->granted && s->list != NULL && below(4) != 0))
            break;
        va = va_in(mdl, &len);
        s->adapter = a_i;
        s->write = (BOOLEAN)below(2);
        s->granted = false;
        s->list = NULL;
        at_irql(DISPATCH_LEVEL, &old);
        if (below(2) == 0) {
            z.ad[a_i]->DmaOperations->GetScatterGatherList(a, z.dev[below(2)], mdl, va, len,
                                                           on_list, s, s->write);
        } else if (z.ad[a_i]->DmaOperations->BuildScatterGatherList != NULL) {
            int sp = (int)below(N_SPACES);
            z.ad[a_i]->DmaOperations->BuildScatterGatherList(a, z.dev[below(2)], mdl, va, len,
                                                             on_list, s, s->write, z.space[sp],
                                                             (ULONG)below(4096));
        }
        KeLowerIrql(old);
        break;
    }
    case 10: { /* PutScatterGatherList: outstanding, put already, another adapter's, junk */
        struct list_slot *s = &z.list[below(N_LISTS)];
        a = any_adapter(&a_i);
        if (s->list == NULL && below(4) != 0)
            break;
        at_irql(DISPATCH_LEVEL, &old);
        z.ad[a_i]->DmaOperations->PutScatterGatherList(
            a, below(8) == 0 ? (PSCATTER_GATHER_LIST)z.space[below(N_SPACES)] : s->list,
            below(4) == 0 ? (BOOLEAN)below(2) : s->write);
        KeLowerIrql(old);
        if (below(3) != 0) /* forget it, or keep it to put again */
            s->list = NULL;
        break;
    }
    case 11: { /* common buffers, and frees that do not match */
        int i = (int)below(N_COMMONS);
        a = any_adapter(&a_i);
        if (z.common[i].va == NULL) {
            z.common[i].len = (ULONG)below(3 * 4096);
            z.common[i].adapter = a_i;
            z.common[i].va = z.ad[a_i]->DmaOperations->AllocateCommonBuffer(
                a, z.common[i].len, &z.common[i].la, FALSE);
            if (z.common[i].va != NULL)
                z.logical[below(16)] = (uint64_t)z.common[i].la.QuadPart;
        } else {
            int other = below(5) == 0 ? a_i : z.common[i].adapter;
            z.ad[other]->DmaOperations->FreeCommonBuffer(
                below(6) == 0 ? a : z.ad[z.common[i].adapter],
                below(6) == 0 ? z.common[i].len + 4096 : z.common[i].len, z.common[i].la,
                z.common[i].va, FALSE);
            if (below(4) != 0)
                z.common[i].va = NULL;
        }
        break;
    }
    case 12:
    case 13: { /* the device, at an address it was given or any address at all */
        static uint8_t bytes[8192];
        uint64_t at = below(4) == 0 ? below(64 * GIB) : z.logical[below(16)] + below(8192);
        size_t n = 1 + below(sizeof(bytes));
        if (below(2) == 0)
            dms_device_dma_write(z.dev[below(2)], below(2) ? 64 : 32, at, bytes, n, NULL);
        else
            dms_device_dma_read(z.dev[below(2)], below(2) ? 64 : 32, at, bytes, n, NULL);
        break;
    }
    case 14:
        dms_machine_run_pending(z.m);
        break;
    case 15: /* ReadDmaCounter, GetDmaAlignment */
        a = any_adapter(&a_i);
        at_irql(below(2) ? DISPATCH_LEVEL : PASSIVE_LEVEL, &old);
        z.ad[a_i]->DmaOperations->ReadDmaCounter(a);
        KeLowerIrql(old);
        if (KeGetCurrentIrql() == PASSIVE_LEVEL)
            z.ad[a_i]->DmaOperations->GetDmaAlignment(a);
        break;
    case 16: { /* BuildMdlFromScatterGatherList, CalculateScatterGatherList */
        struct list_slot *s = &z.list[below(N_LISTS)];
        PMDL target = NULL;
        ULONG size = 0, n = 0;
        a = any_adapter(&a_i);
        mdl = live_mdl();
        if (mdl == NULL || z.ad[a_i]->DmaOperations->CalculateScatterGatherList == NULL)
            break;
        va = va_in(mdl, &len);
        z.ad[a_i]->DmaOperations->CalculateScatterGatherList(a, below(4) ? mdl : NULL, va, len,
                                                             &size, &n);
        if (s->list != NULL && s->adapter == a_i && below(2) == 0)
            z.ad[a_i]->DmaOperations->BuildMdlFromScatterGatherList(a, s->list, mdl, &target);
        break;
    }
    case 17: /* the CPU reads and writes buffers (the cache model on its non-coherent days) */
    case 18: {
        int b = (int)below(N_BUFFERS);
        if (z.buf[b].p != NULL) {
            size_t off = below(z.buf[b].len);
            dms_cpu_wrote(z.m, z.buf[b].p + off, 1 + below(z.buf[b].len - off));
            dms_cpu_read(z.m, z.buf[b].p + off, 1 + below(z.buf[b].len - off));
        }
        break;
    }
    case 20: { /* the v3 appendix: domains, domain buffers, vectors, buffers from an MDL */
        const DMA_OPERATIONS *o = z.ad[0]->DmaOperations;
        int i = (int)below(N_COMMONS), k = (int)below(2);
        PVOID v = NULL;
        a = any_adapter(&a_i);
        switch (below(7)) {
        case 0:
            z.domain[k] = o->GetDmaDomain(a);
            break;
        case 1:
            o->JoinDmaDomain(a, below(8) ? z.domain[k] : (HANDLE)(uintptr_t)below(1 << 30));
            break;
        case 2:
            o->LeaveDmaDomain(a);
            break;
        case 3:
            if (z.vec[k] == NULL) {
                PHYSICAL_ADDRESS lo = {.QuadPart = 0}, hi = {.QuadPart = -1};
                o->AllocateCommonBufferVector(a, lo, hi, MmCached, 0, 0, (ULONG)below(5),
                                              below(9000), &z.vec[k]);
            } else if (below(3) == 0) {
                o->FreeCommonBufferVector(a, z.vec[k]);
                if (below(2) == 0)
                    z.vec[k] = NULL; /* freed or not: the pointer is forgotten either way */
            } else {
                PHYSICAL_ADDRESS la;
                o->GetCommonBufferFromVectorByIndex(a, z.vec[k], (ULONG)below(6), &v, &la);
                if (v != NULL)
                    z.logical[below(16)] = (uint64_t)la.QuadPart;
                o->FreeCommonBufferFromVector(a, z.vec[k], (ULONG)below(6));
            }
            break;
        case 4:
        case 5:
            if (z.common[i].va != NULL)
                break; /* case 11 frees it */
            z.common[i].adapter = a_i;
            if (below(2) == 0) {
                mdl = live_mdl();
                if (o->CreateCommonBufferFromMdl(a, mdl, NULL, 0, &z.common[i].la) ==
                    STATUS_SUCCESS) {
                    z.common[i].len = mdl->ByteCount;
                    z.common[i].va = MmGetMdlVirtualAddress(mdl);
                }
            } else {
                z.common[i].len = (ULONG)below(3 * 4096);
                if (o->AllocateDomainCommonBuffer(a, z.domain[k], NULL, z.common[i].len, 0, NULL,
                                                  0, &z.common[i].la, &v) == STATUS_SUCCESS)
                    z.common[i].va = v;
            }
            if (z.common[i].va != NULL)
                z.logical[below(16)] = (uint64_t)z.common[i].la.QuadPart;
            break;
        case 6:
            mdl = live_mdl();
            at_irql(PASSIVE_LEVEL, &old);
            o->FlushDmaBuffer(a, below(8) ? mdl : NULL, (BOOLEAN)below(2));
            KeLowerIrql(old);
            break;
        }
        break;
    }
    case 19: { /* PutDmaAdapter, then a new one; the old pointer stays around, stale */
        int i = (int)below(N_ADAPTERS);
        if (below(50) != 0)
            break;
        z.ad[i]->DmaOperations->PutDmaAdapter(z.ad[i]);
        z.stale_ad[i] = z.ad[i];
        z.ad[i] = get_adapter(i);
        ck_assert_ptr_nonnull(z.ad[i]);
        break;
    }
    }
    ck_assert_int_eq(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static unsigned long env(const char *name, unsigned long dflt)
{
    const char *v = getenv(name);

    return v != NULL && *v != '\0' ? strtoul(v, NULL, 10) : dflt;
}

START_TEST(test_random_calls)
{
    struct dms_machine_config cfg;
    unsigned long calls = env("DMASIM_RANDOM_CALLS", 20000);
    uint64_t seed = 1 + (uint64_t)_i;

    memset(&z, 0, sizeof(z));
    dms_machine_config_init(&cfg);
    cfg.ram_bytes = (seed & 1) ? 16 * GIB : 6 * GIB;
    cfg.seed = seed;
    cfg.noncoherent = (seed & 2) != 0;
    cfg.metadata_only = (seed & 4) != 0;
    if (seed & 8)
        cfg.bounce_pool_bytes = 16 * 4096; /* registers run short: requests wait */
    cfg.iommu_remap = seed % 3 == 0;                 /* DMA remapping */
    cfg.iommu_deferred = seed % 6 == 0;
    cfg.iotlb_entries = seed % 3 == 0 ? 16 : 0;
    cfg.verifier_dma = seed % 5 == 0;                /* Driver Verifier's buffers */
    cfg.fault_percent[DMS_FAULT_POOL] = seed % 4 == 0 ? 5 : 0; /* and calls that fail */
    cfg.fault_percent[DMS_FAULT_MAP_REGISTERS] = seed % 4 == 0 ? 5 : 0;
    ck_assert_int_eq(dms_machine_create(&cfg, NULL, &z.m), 0);
    dms_machine_enter(z.m);
    dms_rng_seed(&z.rng, seed * 7919);
    z.dev[0] = dms_device_create(z.m, "fuzz0", 0);
    z.dev[1] = dms_device_create(z.m, "fuzz1", 0);
    for (int i = 0; i < N_ADAPTERS; i++) {
        z.ad[i] = get_adapter(i);
        ck_assert_ptr_nonnull(z.ad[i]);
    }
    for (int i = 0; i < N_SPACES; i++)
        z.space[i] = calloc(1, 4096);
    for (unsigned long c = 0; c < calls; c++)
        one_call();
    dms_machine_run_pending(z.m);
    ck_assert_uint_gt(dms_finding_total(z.m), 0);
    if (env("DMASIM_RANDOM_VERBOSE", 0)) { /* what the run reached, by finding code */
        printf("seed %llu: %llu findings:", (unsigned long long)seed,
               (unsigned long long)dms_finding_total(z.m));
        for (uint32_t code = 0; code < 0x1DC10; code = code == 0x120 ? 0x1DC00 : code + 1)
            if (dms_finding_count_code(z.m, code) > 0)
                printf(" 0x%x=%zu", code, dms_finding_count_code(z.m, code));
        printf("\n");
    }
    dms_machine_destroy(z.m); /* everything left over goes with it */
    dms_machine_enter(NULL);
    for (int i = 0; i < N_BUFFERS; i++)
        if (z.buf[i].p != NULL && !z.buf[i].pool)
            z.buf[i].p = NULL; /* the machine's, gone with it */
    for (int i = 0; i < N_SPACES; i++)
        free(z.space[i]);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("random_calls");
    TCase *tc = tcase_create("random_calls");

    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_random_calls, 0, (int)env("DMASIM_RANDOM_SEEDS", 8));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite);
}
