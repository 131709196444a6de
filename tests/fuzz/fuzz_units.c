/*
 * fuzz_units.c - libFuzzer target: the number parsers of scenario values (sizes, times,
 * bandwidths, counts, percentages, yes/no, hexadecimal) take any text without a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[256], why[256];
    uint64_t v;

    if (size >= sizeof(text))
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    units_size(text, &v, why, sizeof(why));
    units_time(text, &v, why, sizeof(why));
    units_bandwidth(text, &v, why, sizeof(why));
    units_count(text, &v, why, sizeof(why));
    units_percent(text, &v, why, sizeof(why));
    units_bool(text, &v, why, sizeof(why));
    return 0;
}
