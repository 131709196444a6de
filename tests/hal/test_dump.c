/*
 * test_dump.c - dms_dma_dump, the !dma layout: the adapter list, one adapter's map registers
 * mapped / allocated / max, the verifier's allocated and freed counters, the map register
 * files with each register's bytes, the common buffers, lists and waiting requests.
 */
#define _GNU_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static char *text;

static const char *dump(struct dms_machine *m, uint32_t adapter, unsigned flags)
{
    size_t len = 0;
    FILE *f;

    free(text);
    text = NULL;
    f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(dms_dma_dump(m, adapter, flags, f), 0);
    fclose(f);
    return text;
}

static IO_ALLOCATION_ACTION keep(PDEVICE_OBJECT dev, PIRP irp, PVOID base, PVOID ctx)
{
    (void)dev;
    (void)irp;
    *(PVOID *)ctx = base;
    return DeallocateObjectKeepRegisters;
}

#define HAS(s, what) ck_assert_msg(strstr((s), (what)) != NULL, "no '%s' in:\n%s", (what), (s))

START_TEST(test_dump_counts)
{
    struct dms_machine *m = machine_new(16 * GIB, DMS_PLACE_HIGH_FIRST);
    PDEVICE_OBJECT dev = dms_device_create(m, "isa0", 0);
    PDMA_ADAPTER a = adapter_new(dev, 32, FALSE, 65536, 2, NULL);
    uint8_t *buf = pattern_buffer(m, dev, 8192, 1);
    PMDL mdl = mdl_for(buf, 8192);
    PVOID base = NULL;
    ULONG len = 6000;
    PHYSICAL_ADDRESS la, cl;
    PVOID cva;
    KIRQL old;
    char line[128];

    HAS(dump(m, DMS_DMA_DUMP_LIST, 0),
        "Dumping all DMA adapters...\n\nAdapter: 00000001     Owner: dmasim-bus!IoGetDmaAdapter "
        "(isa0)\nMaster adapter: ffffffff (");
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert_int_eq(a->DmaOperations->AllocateAdapterChannel(a, dev, 3, keep, &base),
                     STATUS_SUCCESS);
    la = a->DmaOperations->MapTransfer(a, mdl, base, buf, &len, TRUE);
    KeLowerIrql(old);
    cva = a->DmaOperations->AllocateCommonBuffer(a, 4096, &cl, FALSE);
    ck_assert_ptr_nonnull(cva);
    dump(m, 1, DMS_DMA_DUMP_ALL);
    HAS(text, "Adapter: 00000001     Owner: dmasim-bus!IoGetDmaAdapter (isa0)\n");
    HAS(text, "   Map registers: 00000002 mapped, 00000003 allocated, 00000011 max\n");
    HAS(text, "   Map registers:        00000003 allocated, 00000000 freed\n");
    HAS(text, "   Common buffers:       00000001 allocated, 00000000 freed\n");
    HAS(text, "   Adapter channels:     00000001 allocated, 00000001 freed\n");
    HAS(text, "   Bytes mapped since last flush: 00001770\n");
    HAS(text, "  Map register file 00000001 (2/3 mapped)\n");
    snprintf(line, sizeof(line), "        00000000: 1000 bytes mapped to %llx (bounced)\n",
             (unsigned long long)la.QuadPart);
    HAS(text, line);
    snprintf(line, sizeof(line), "        00000001: 0770 bytes mapped to %llx (bounced)\n",
             (unsigned long long)la.QuadPart + 4096);
    HAS(text, line);
    HAS(text, "        00000002: Not mapped\n");
    snprintf(line, sizeof(line), "      Length:           1000\n      Logical address:  %llx\n",
             (unsigned long long)cl.QuadPart);
    HAS(text, line);
    HAS(text, "      MaximumLength:     10000\n");
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->FlushAdapterBuffers(a, mdl, base, buf, len, TRUE);
    a->DmaOperations->FreeMapRegisters(a, base, 3);
    KeLowerIrql(old);
    a->DmaOperations->FreeCommonBuffer(a, 4096, cl, cva, FALSE);
    dump(m, 0, DMS_DMA_DUMP_ADAPTER);
    HAS(text, "   Map registers: 00000000 mapped, 00000000 allocated, 00000011 max\n");
    HAS(text, "   Map registers:        00000003 allocated, 00000003 freed\n");
    HAS(text, "   Common buffers:       00000001 allocated, 00000001 freed\n");
    HAS(text, "   Bytes mapped since last flush: 00000000\n");
    {
        FILE *f = fopen("/dev/null", "w");
        ck_assert_int_eq(dms_dma_dump(m, 9, DMS_DMA_DUMP_ADAPTER, f), DMS_EINVAL);
        fclose(f);
    }
    IoFreeMdl(mdl);
    a->DmaOperations->PutDmaAdapter(a);
    HAS(dump(m, DMS_DMA_DUMP_LIST, 0), "Dumping all DMA adapters...\n\nMaster adapter: ");
    machine_done(m);
    free(text);
    text = NULL;
}
END_TEST

/* With the verifier, a file's bounce pages are the verifier's double buffer, named as !dma
 * names it; without it they are only the registers' pages. */
START_TEST(test_dump_double_buffer)
{
    for (int verified = 0; verified < 2; verified++) {
        struct dms_machine_config cfg;
        struct dms_machine *m;
        PDEVICE_OBJECT dev;
        PDMA_ADAPTER a;
        PVOID base = NULL;
        KIRQL old;

        dms_machine_config_init(&cfg);
        cfg.ram_bytes = 16 * GIB;
        cfg.verifier_dma = (uint8_t)verified;
        m = machine_with(&cfg);
        dev = dms_device_create(m, "isa0", 0);
        a = adapter_new(dev, 32, FALSE, 65536, 2, NULL);
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        ck_assert_int_eq(a->DmaOperations->AllocateAdapterChannel(a, dev, 2, keep, &base),
                         STATUS_SUCCESS);
        KeLowerIrql(old);
        dump(m, 1, DMS_DMA_DUMP_MAP_REGISTERS);
        if (verified)
            HAS(text, "     Double buffer mdl: over the registers' bounce pages, ");
        else
            HAS(text, "     Its registers' bounce pages: ");
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        a->DmaOperations->FreeMapRegisters(a, base, 2);
        KeLowerIrql(old);
        a->DmaOperations->PutDmaAdapter(a);
        machine_done(m);
    }
    free(text);
    text = NULL;
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dump");
    TCase *tc = tcase_create("dump");

    tcase_add_test(tc, test_dump_counts);
    tcase_add_test(tc, test_dump_double_buffer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite);
}
