/*
 * fuzz_options.c - libFuzzer target: the command line's own parsers. Any bytes as a --set, a
 * --vary, a --variant, a --shard or a --seeds value must be taken or refused with a message,
 * never crash, hang or leak (sim/scenario/'s overrides and axes, sim/study/study.c and shard.c).
 * The first byte picks the parser; the rest is the value. A value that is taken is applied
 * to a small scenario, as the command would (and every value of an axis).
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"
#include "study.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base_text[] = "[machine]\nmemory = 8G\ndata = metadata\n"
                                "[device d]\nadapter = storage\naddress_bits = 32\n"
                                "[workload w]\ndevice = d\ncount = 10\n";

static void apply(const struct scn_override *ov, int n)
{
    struct scenario *s;
    struct scn_errors err;

    if (scenario_build("fuzz.ini", base_text, sizeof(base_text) - 1, ov, n, NULL, &s, &err) == 0)
        scenario_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct study st;
    static struct study_variant v;
    static struct scn_axis axis;
    struct scenario *base;
    struct scn_errors err;
    char *text, why[400];
    uint32_t i, n;

    if (size < 1 || size > 4096 || memmem(data, size, "driver", 6) != NULL)
        return 0; /* driver = FILE would dlopen what the input names */
    text = malloc(size);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    switch (data[0] % 5) {
    case 0: { /* --set */
        struct scn_override ov = {text, "--set", 0};
        apply(&ov, 1);
        break;
    }
    case 1: /* --vary */
        if (scenario_build("fuzz.ini", base_text, sizeof(base_text) - 1, NULL, 0, NULL, &base,
                           &err) != 0)
            break;
        if (scenario_axis(base, text, "--vary", 0, &axis, &err) == 0) {
            for (uint32_t k = 0; k < axis.n; k++) {
                char point[SCN_SET_MAX + SCN_VALUE_MAX + 2], label[80];
                struct scn_override ov = {point, "--vary", 0};
                double x;
                snprintf(point, sizeof(point), "%s=%s", axis.key, axis.value[k]);
                apply(&ov, 1);
                scenario_axis_label(&axis, k, label, sizeof(label));
                (void)scenario_axis_number(&axis, k, &x);
            }
        }
        scenario_free(base);
        break;
    case 2: /* --variant */
        if (study_variant_parse(text, &v, why, sizeof(why)) == 0) {
            struct scn_override ov[SCN_MAX_SETS];
            for (uint32_t k = 0; k < v.n_sets; k++)
                ov[k] = (struct scn_override){v.sets[k].text, "--variant", 0};
            apply(ov, (int)v.n_sets);
        }
        break;
    case 3: /* --shard */
        (void)shard_parse(text, &i, &n, why, sizeof(why));
        break;
    default: /* --repeat, --seeds */
        memset(&st, 0, sizeof(st));
        (void)study_seeds_parse(&st, text, (data[0] & 0x80) != 0, why, sizeof(why));
        break;
    }
    free(text);
    return 0;
}
