/*
 * registry.c - the adapter kinds the simulator can attach, and the calling patterns' names.
 */
#include <string.h>

#include "dmasim/adapter.h"

extern const struct dms_adapter_kind dms_adapter_storage;
extern const struct dms_adapter_kind dms_adapter_nic;
extern const struct dms_adapter_kind dms_adapter_legacy;
extern const struct dms_adapter_kind dms_adapter_uart;
extern const struct dms_adapter_kind dms_adapter_audio;
extern const struct dms_adapter_kind dms_adapter_pci9656;
extern const struct dms_adapter_kind dms_adapter_display;
extern const struct dms_adapter_kind dms_adapter_capture;

const struct dms_adapter_kind *const dms_adapter_kinds[] = {
    &dms_adapter_storage,
    &dms_adapter_nic,
    &dms_adapter_legacy,
    &dms_adapter_uart,
    &dms_adapter_audio,
    &dms_adapter_pci9656,
    &dms_adapter_display,
    &dms_adapter_capture,
    NULL,
};

const struct dms_adapter_kind *dms_adapter_kind_find(const char *name)
{
    for (size_t i = 0; dms_adapter_kinds[i] != NULL; i++)
        if (strcmp(dms_adapter_kinds[i]->name, name) == 0)
            return dms_adapter_kinds[i];
    return NULL;
}

static const char *const pattern_names[] = {
#define DMS_PATTERN_NAME(name, text) text,
    DMS_PATTERN_MAP(DMS_PATTERN_NAME)
#undef DMS_PATTERN_NAME
};

const char *dms_pattern_name(enum dms_pattern pattern)
{
    return (unsigned)pattern < DMS_PATTERN_COUNT ? pattern_names[pattern] : "unknown";
}

int dms_pattern_parse(const char *name)
{
    for (int i = 0; i < DMS_PATTERN_COUNT; i++)
        if (strcmp(pattern_names[i], name) == 0)
            return i;
    return -1;
}
