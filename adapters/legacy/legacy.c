/*
 * legacy.c - the legacy bus-master card, as the simulator knows it: the older kind of card,
 * one address register, one count register, a direction bit and a "go" bit, moving one
 * physically contiguous range at a time and interrupting when done (legacy_card.c; datasheet
 * docs/hardware/legacy.md). It cannot take a list, so every buffer its driver hands it must
 * look contiguous in logical space: the HAL gives it that with map registers (consecutive
 * bounce pages), which is what makes such devices expensive on a large machine. Its driver is
 * a WDM driver reached through IRPs: the one shipped for it (legacy_wdm.c: StartIo and the
 * packet pattern, or a transaction for the others), or a scenario's driver = FILE.
 */
#include <stdio.h>

#include "dmasim/adapter.h"
#include "legacy_card.h"

static int legacy_check(const struct dms_device_settings *s, char *why, size_t len)
{
    if (s->scatter_gather) {
        snprintf(why, len, "the legacy adapter has no scatter/gather engine: it moves one "
                 "contiguous range at a time (set scatter_gather = no, or use storage)");
        return DMS_EINVAL;
    }
    return 0;
}


static int card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                       const struct dms_bus *bus, struct dms_card **out)
{
    return legacy_card_attach(pdo, bar, s, bus, (struct legacy_card **)out);
}

static void card_settle(struct dms_card *card, struct dms_io *io)
{
    legacy_card_settle((struct legacy_card *)card, io);
}

static void card_detach(struct dms_card *card)
{
    legacy_card_free((struct legacy_card *)card);
}

static const struct dms_hardware legacy_card = {
    .driver_entry = LegacyDriverEntry,
    .driver_name = "legacy",
    .attach = card_attach,
    .needs = "with pattern = common-buffer, AllocateCommonBuffer to find max_transfer "
             "bytes of contiguous memory the card reaches",
    .settle = card_settle,
    .detach = card_detach,
};

const struct dms_adapter_kind dms_adapter_legacy = {
    .name = "legacy",
    .summary = "bus master without scatter/gather: one contiguous range at a time through "
               "address and count registers",
    .patterns = 1u << DMS_PATTERN_PACKET | 1u << DMS_PATTERN_SG | 1u << DMS_PATTERN_SG_BUILD |
                1u << DMS_PATTERN_COMMON_BUFFER | 1u << DMS_PATTERN_V3 |
                1u << DMS_PATTERN_V3_SYNC,
    .scatter_gather = false,
    .sg_fixed = true,
    .max_transfer_limit = 1u << 20,
    .default_max_transfer = 64u << 10,
    .default_latency_ns = 0, /* its engine is the whole cost */
    .check = legacy_check,
    .hardware = &legacy_card,
};
