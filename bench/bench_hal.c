/*
 * bench_hal.c - what the HAL emulator costs on the host, printed, never asserted.
 *
 * Three figures, each measured in this one run so machine noise hits both sides of a ratio:
 *   1. GetScatterGatherList + PutScatterGatherList of a 64 KiB buffer on the direct path
 *      (a 64-bit master): host ns per page (target <= 50);
 *   2. the bounce path (a 32-bit master, buffer above 4 GiB, write and read) over memcpy of
 *      the same bytes in both directions (target <= 1.25);
 *   3. host memory of a 16 TiB machine holding 1 GiB of buffers (target <= 1.1 GiB), and
 *      1 GiB of 4 KiB buffers: resident, and as the HAL counts it (target <= 1.05, true).
 * Each timing is the best of several repetitions (STREAM's convention), after a warm-up.
 * `--quick` runs a few iterations only: the test suite uses it to keep the benchmark working.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <time.h>

#include <dmasim/hal.h>
#include <dmasim/wdm.h>

#define BUF_BYTES (64 * 1024)
#define REPEATS 5

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct rig {
    PDMA_ADAPTER a;
    PDEVICE_OBJECT dev;
    PMDL mdl;
    PUCHAR buf;
    ULONG len;
};

static VOID put_write(PDEVICE_OBJECT d, PIRP i, PSCATTER_GATHER_LIST sg, PVOID ctx)
{
    struct rig *r = ctx;

    (void)d;
    (void)i;
    r->a->DmaOperations->PutScatterGatherList(r->a, sg, TRUE);
}

static VOID put_read(PDEVICE_OBJECT d, PIRP i, PSCATTER_GATHER_LIST sg, PVOID ctx)
{
    struct rig *r = ctx;

    (void)d;
    (void)i;
    r->a->DmaOperations->PutScatterGatherList(r->a, sg, FALSE);
}

static void rig_make(struct dms_machine *m, struct rig *r, unsigned bits, ULONG len)
{
    DEVICE_DESCRIPTION dd;
    ULONG n;

    memset(&dd, 0, sizeof(dd));
    dd.Version = DEVICE_DESCRIPTION_VERSION2;
    dd.Master = dd.ScatterGather = TRUE;
    dd.Dma64BitAddresses = bits == 64;
    dd.Dma32BitAddresses = bits == 32;
    dd.InterfaceType = PCIBus;
    dd.MaximumLength = len;
    r->len = len;
    r->dev = dms_device_create(m, bits == 64 ? (len == BUF_BYTES ? "disk64" : "page64")
                                             : "disk32", 0);
    r->a = IoGetDmaAdapter(r->dev, &dd, &n);
    r->buf = dms_buffer_alloc(m, r->dev, len);
    r->mdl = IoAllocateMdl(r->buf, len, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(r->mdl);
    memset(r->buf, 0x5a, len);
}

/* Best-of-REPEATS ns per Get+Put round trip (one write then one read when both). */
static double time_lists(struct rig *r, long iters, bool both)
{
    double best = 1e300;

    for (int rep = 0; rep < REPEATS; rep++) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            r->a->DmaOperations->GetScatterGatherList(r->a, r->dev, r->mdl, r->buf, r->len,
                                                      put_write, r, TRUE);
            if (both)
                r->a->DmaOperations->GetScatterGatherList(r->a, r->dev, r->mdl, r->buf,
                                                          r->len, put_read, r, FALSE);
        }
        double t = (now_ns() - t0) / iters;
        if (t < best)
            best = t;
    }
    return best;
}

static double time_memcpy(long iters)
{
    static unsigned char a[BUF_BYTES], b[BUF_BYTES];
    double best = 1e300;

    memset(a, 1, sizeof(a));
    for (int rep = 0; rep < REPEATS; rep++) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            memcpy(b, a, BUF_BYTES); /* to the device's bounce pages */
            __asm__ volatile("" ::: "memory");
            memcpy(a, b, BUF_BYTES); /* and back after a read */
            __asm__ volatile("" ::: "memory");
        }
        double t = (now_ns() - t0) / iters;
        if (t < best)
            best = t;
    }
    return best;
}

/* Resident bytes of this process now (/proc/self/statm), 0 where it cannot be read. */
static uint64_t resident_bytes(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    if (f == NULL)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return (uint64_t)resident * 4096;
}

int main(int argc, char **argv)
{
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    long iters = quick ? 20 : 20000;
    struct dms_machine_config cfg;
    struct dms_machine *m;
    struct rig direct, bounce, page;
    KIRQL old;
    double direct_ns, bounce_ns, copy_ns, page_ns;
    uint64_t host, small_host, small_rss, rss0, exhausted = 0;
    double exhaust_ns = 0;
    void *big;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 64 * DMS_GIB;
    cfg.placement = DMS_PLACE_HIGH_FIRST; /* the bounce rig's buffer lies above 4 GiB */
    if (dms_machine_create(&cfg, NULL, &m) != 0)
        return 2;
    rig_make(m, &direct, 64, BUF_BYTES);
    rig_make(m, &bounce, 32, BUF_BYTES);
    rig_make(m, &page, 64, 4096);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    time_lists(&direct, iters / 10 + 1, false); /* warm-up */
    direct_ns = time_lists(&direct, iters, false);
    time_lists(&page, iters / 10 + 1, false);
    page_ns = time_lists(&page, iters, false);
    time_lists(&bounce, iters / 10 + 1, true);
    bounce_ns = time_lists(&bounce, iters, true);
    KeLowerIrql(old);
    copy_ns = time_memcpy(iters);
    if (dms_finding_count(m) != 0 || dms_adapter_stats(bounce.a)->pages_bounced == 0) {
        fprintf(stderr, "bench: the rigs did not behave (findings %zu)\n", dms_finding_count(m));
        return 1;
    }
    dms_machine_destroy(m);

    cfg.ram_bytes = 16 * DMS_TIB;
    cfg.placement = DMS_PLACE_RANDOM;
    if (dms_machine_create(&cfg, NULL, &m) != 0)
        return 2;
    big = dms_buffer_alloc(m, NULL, quick ? 16 * DMS_MIB : DMS_GIB);
    if (big == NULL)
        return 1;
    memset(big, 1, quick ? 16 * DMS_MIB : DMS_GIB); /* touch it: resident, as in use */
    host = dms_machine_host_bytes(m);
    dms_machine_destroy(m);
    /* the same bytes as 4 KiB buffers: what the host really holds (resident pages), and
     * what the HAL says it holds */
    if (dms_machine_create(&cfg, NULL, &m) != 0)
        return 2;
    rss0 = resident_bytes();
    for (uint64_t i = 0; i < (quick ? 16 * DMS_MIB : DMS_GIB) / 4096; i++) {
        uint8_t *b = dms_buffer_alloc(m, NULL, 4096);
        if (b == NULL)
            return 1;
        memset(b, 1, 4096);
    }
    small_host = dms_machine_host_bytes(m);
    small_rss = resident_bytes() - rss0;
    dms_machine_destroy(m);

    /* running a machine out of memory one 4 KiB common buffer at a time: linear, or not */
    {
        PDMA_ADAPTER a;
        PHYSICAL_ADDRESS la;
        double t0;
        cfg.ram_bytes = quick ? 256 * DMS_MIB : 4 * DMS_GIB;
        cfg.placement = DMS_PLACE_LOW_FIRST;
        if (dms_machine_create(&cfg, NULL, &m) != 0)
            return 2;
        dms_machine_enter(m);
        {
            struct rig r;
            rig_make(m, &r, 64, BUF_BYTES);
            a = r.a;
        }
        t0 = now_ns();
        exhausted = 0;
        while (a != NULL && a->DmaOperations->AllocateCommonBuffer(a, 4096, &la, FALSE) != NULL)
            exhausted++;
        exhaust_ns = now_ns() - t0;
        dms_machine_destroy(m);
    }

    printf("dmasim HAL benchmark%s (best of %d runs of %ld iterations; 64 KiB buffers)\n",
           quick ? " --quick (figures not meaningful)" : "", REPEATS, iters);
    printf("  direct Get+PutScatterGatherList   %8.1f ns/page     (target <= 50)\n",
           direct_ns / (BUF_BYTES / 4096));
    printf("  the same for one 4 KiB page       %8.1f ns          (target <= 40)\n", page_ns);
    printf("  bounce path, write+read           %8.0f ns/transfer pair\n", bounce_ns);
    printf("  memcpy of the same bytes, 2 ways  %8.0f ns\n", copy_ns);
    printf("  bounce path / memcpy              %8.2f          (target <= 1.25)\n",
           bounce_ns / copy_ns);
    printf("  16 TiB machine, %s of buffers  %8.3f GiB host   (target <= 1.1 per GiB)\n",
           quick ? "16 MiB" : " 1 GiB", host / (double)DMS_GIB);
    printf("  AllocateCommonBuffer(4 KiB) until none is left: %llu buffers, %.0f ns each "
           "(target: no more for the last than the first)\n", (unsigned long long)exhausted,
           exhausted ? exhaust_ns / (double)exhausted : 0.0);
    printf("  the same as 4 KiB buffers         %8.3f GiB resident, the HAL's count %.3f "
           "(target <= 1.05 per GiB, the count true)\n",
           small_rss / (double)(quick ? 16 * DMS_MIB : DMS_GIB),
           small_host / (double)(quick ? 16 * DMS_MIB : DMS_GIB));
    return 0;
}
