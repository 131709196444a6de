/*
 * fuzz_point.c - libFuzzer target: any bytes as a sweep's point file must be merged or
 * refused with a message (dmasim merge: sim/study/shard.c), never crash, hang or leak. Each input
 * is written as the one file of a directory, which is then merged.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], path[128];

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct study st;
    char why[4600];
    FILE *f;

    /* a plan whose scenario loads a driver would dlopen what the input names */
    if (size > 256 * 1024 || memmem(data, size, "driver", 6) != NULL)
        return 0;
    if (dir[0] == '\0') {
        snprintf(dir, sizeof(dir), "/tmp/fuzz-point-XXXXXX");
        if (mkdtemp(dir) == NULL)
            abort();
        snprintf(path, sizeof(path), "%s/point-0001.json", dir);
        atexit(cleanup);
    }
    f = fopen(path, "wb");
    if (f == NULL)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    (void)shard_merge(dir, &st, why, sizeof(why));
    shard_merge_free(&st);
    study_free(&st);
    return 0;
}
