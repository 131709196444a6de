/*
 * machine.c - a simulated machine's life cycle: the one place that knows every room of the
 * HAL. It puts a machine together from the bottom up - the base (services.c), the hardware
 * (hw/), the kernel (kernel/), the DMA layer (dma/) - and takes it apart from the top down, so
 * no room below ever calls into one above (docs/architecture.md). It also keeps the table of
 * routines MmGetSystemRoutineAddress finds by name, which come from every room.
 */
#include <stdlib.h>
#include <string.h>

#include "dma/dma.h"

int dms_machine_create(const struct dms_machine_config *cfg, const struct dms_platform *plat,
                       struct dms_machine **out)
{
    struct dms_machine *m;
    int err = dms_machine_config_check(cfg, NULL, 0);

    if (err)
        return err;
    m = calloc(1, sizeof(*m));
    if (m == NULL)
        return DMS_ENOMEM;
    m->cfg = *cfg;
    if (plat != NULL)
        m->plat = *plat;
    m->irql = PASSIVE_LEVEL;
    dms_rng_seed(&m->rng, cfg->seed);
    dms_rng_seed(&m->fault_rng, cfg->fault_seed);
    err = hw_init(m);
    if (err == 0)
        err = kernel_init(m);
    if (err == 0)
        err = dma_init(m);
    if (err) {
        dms_machine_destroy(m);
        return err;
    }
    if (dms_machine_current() == NULL)
        dms_machine_enter(m);
    *out = m;
    return 0;
}

void dms_machine_destroy(struct dms_machine *m)
{
    if (m == NULL)
        return;
    struct dms_machine *prev = dms_machine_enter(m);

    for (int i = 0; i < DMS_FRAMEWORK_COUNT; i++)
        if (m->frameworks[i] != NULL && m->framework_free[i] != NULL)
            m->framework_free[i](m->frameworks[i]);
    dma_free(m);
    kernel_free(m);
    hw_free(m);
    free(m->findings);
    free(m->sites);
    free(m->pend);
    hal_tramps_free(m);
    while (m->timers != NULL) {
        struct timer *next = m->timers->next;
        free(m->timers);
        m->timers = next;
    }
    dms_machine_enter(prev == m ? NULL : prev);
    free(m);
}

void *dms_machine_framework(struct dms_machine *m, enum dms_framework which)
{
    return m != NULL && (unsigned)which < DMS_FRAMEWORK_COUNT ? m->frameworks[which] : NULL;
}

int dms_machine_set_framework(struct dms_machine *m, enum dms_framework which, void *state,
                              void (*free_state)(void *state))
{
    if (m == NULL || (unsigned)which >= DMS_FRAMEWORK_COUNT || m->frameworks[which] != NULL)
        return DMS_EINVAL;
    m->frameworks[which] = state;
    m->framework_free[which] = free_state;
    return 0;
}

void *dms_machine_framework_state(struct dms_machine *m, enum dms_framework which, size_t bytes,
                                  void (*free_state)(void *state), bool *created)
{
    void *st = dms_machine_framework(m, which);

    if (created != NULL)
        *created = false;
    if (st != NULL || m == NULL || (unsigned)which >= DMS_FRAMEWORK_COUNT)
        return st;
    if ((st = calloc(1, bytes)) == NULL)
        return NULL;
    dms_machine_set_framework(m, which, st, free_state);
    if (created != NULL)
        *created = true;
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * MmGetSystemRoutineAddress: the routines a driver looks up at run time because older kernels
 * lack them (MmMapIoSpaceEx, ExAllocatePool2, ...), by name. A name dmasim does not export is
 * NULL, as on a kernel that does not have it, and the driver takes its fallback.
 */
static const struct {
    const char *name;
    PVOID routine;
} exported[] = {
    {"MmMapIoSpaceEx", (PVOID)MmMapIoSpaceEx},
    {"MmMapIoSpace", (PVOID)MmMapIoSpace},
    {"MmUnmapIoSpace", (PVOID)MmUnmapIoSpace},
    {"ExAllocatePool2", (PVOID)ExAllocatePool2},
    {"ExAllocatePoolWithTag", (PVOID)ExAllocatePoolWithTag},
    {"ExFreePoolWithTag", (PVOID)ExFreePoolWithTag},
    {"ExFreePool", (PVOID)ExFreePool},
    {"IoGetDmaAdapter", (PVOID)IoGetDmaAdapter},
    {"KeFlushIoBuffers", (PVOID)KeFlushIoBuffers},
    {"KeQueryPerformanceCounter", (PVOID)KeQueryPerformanceCounter},
    {"KeStallExecutionProcessor", (PVOID)KeStallExecutionProcessor},
    {"MmAllocateContiguousMemorySpecifyCache", (PVOID)MmAllocateContiguousMemorySpecifyCache},
};

PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName)
{
    char name[64];
    USHORT n;

    if (SystemRoutineName == NULL)
        return NULL;
    n = SystemRoutineName->Length / sizeof(WCHAR);
    if (SystemRoutineName->Buffer == NULL || n >= sizeof(name))
        return NULL;
    for (USHORT i = 0; i < n; i++) {
        WCHAR c = SystemRoutineName->Buffer[i];
        if (c == 0 || c > 0x7E)
            return NULL; /* no export has such a name */
        name[i] = (char)c;
    }
    name[n] = '\0';
    for (size_t i = 0; i < sizeof(exported) / sizeof(exported[0]); i++)
        if (strcmp(exported[i].name, name) == 0)
            return exported[i].routine;
    return NULL;
}
