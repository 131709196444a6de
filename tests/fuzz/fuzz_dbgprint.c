/*
 * fuzz_dbgprint.c - libFuzzer target: DbgPrint's format language (hal/src/kernel/rtl.c) on any
 * format a driver could pass. Every argument is a pointer to zeroed memory, which is a valid
 * empty narrow string, wide string and UNICODE_STRING alike, so the formatter is what is
 * tested, not the arguments; formats with more conversions than arguments are skipped (they
 * are a driver's bug on Windows too).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmasim/hal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dms_machine *machine;
static uint64_t zero[16];

static void sink(void *ctx, const char *text)
{
    (void)ctx;
    (void)text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char fmt[512];
    unsigned conversions = 0;
    void *p = zero;

    if (size >= sizeof(fmt))
        return 0;
    memcpy(fmt, data, size);
    fmt[size] = '\0';
    for (size_t i = 0; i < size; i++)
        conversions += fmt[i] == '%';
    if (conversions > 16)
        return 0;
    if (machine == NULL) {
        struct dms_machine_config cfg;
        dms_machine_config_init(&cfg);
        cfg.ram_bytes = 64 * DMS_MIB;
        if (dms_machine_create(&cfg, NULL, &machine) != 0)
            abort();
        dms_machine_set_debug_print(machine, sink, NULL);
    }
    DbgPrint(fmt, p, p, p, p, p, p, p, p, p, p, p, p, p, p, p, p);
    DbgPrintEx(DPFLTR_IHVBUS_ID, DPFLTR_ERROR_LEVEL, fmt, p, p, p, p, p, p, p, p, p, p, p, p,
               p, p, p, p);
    return 0;
}
