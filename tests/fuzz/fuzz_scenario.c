/*
 * fuzz_scenario.c - libFuzzer target: any bytes as a scenario file must give a scenario or
 * FILE:LINE errors, never a crash, a hang or a leak (sim/scenario/, inih).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scn_errors err;
    struct scenario *s = NULL;
    char *text;

    /* driver = FILE would dlopen what the input names: not a parser's business */
    if (size > 64 * 1024 || memmem(data, size, "driver", 6) != NULL)
        return 0;
    text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    memset(&err, 0, sizeof(err));
    if (scenario_build("fuzz.ini", text, size, NULL, 0, NULL, &s, &err) == 0)
        scenario_free(s);
    free(text);
    return 0;
}
