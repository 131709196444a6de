/*
 * storage.c - the storage controller, as the simulator knows it: a block device in the
 * shape of NVMe, modelled at its registers (storage_card.c; datasheet docs/hardware/storage.md)
 * and driven through IRPs by the WDM driver shipped for it (storage_wdm.c, by every calling
 * pattern), by the KMDF driver shipped for it (storage_kmdf.c, pattern = kmdf), or by a
 * scenario's driver = FILE.
 */
#include "dmasim/adapter.h"
#include "storage_card.h"


static int card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                       const struct dms_bus *bus, struct dms_card **out)
{
    return stor_card_attach(pdo, bar, s, bus, (struct stor_card **)out);
}

static void card_settle(struct dms_card *card, struct dms_io *io)
{
    stor_card_settle((struct stor_card *)card, io);
}

static void card_detach(struct dms_card *card)
{
    stor_card_free((struct stor_card *)card);
}

static const struct dms_hardware storage_card = {
    .driver_entry = StorDriverEntry,
    .driver_name = "storage",
    .kmdf_driver_entry = StorKmdfDriverEntry,
    .kmdf_driver_name = "storage_kmdf",
    .attach = card_attach,
    .needs = "AllocateCommonBuffer to find contiguous memory the controller reaches for "
             "its command table and completion queue, and with pattern = common-buffer "
             "max_transfer bytes more for each queue slot",
    .settle = card_settle,
    .detach = card_detach,
};

const struct dms_adapter_kind dms_adapter_storage = {
    .name = "storage",
    .summary = "block device: command table and completion queue in a common buffer, "
               "scatter/gather bus master, queue depth",
    .patterns = 1u << DMS_PATTERN_PACKET | 1u << DMS_PATTERN_SG | 1u << DMS_PATTERN_SG_BUILD |
                1u << DMS_PATTERN_COMMON_BUFFER | 1u << DMS_PATTERN_V3 |
                1u << DMS_PATTERN_V3_SYNC | 1u << DMS_PATTERN_KMDF,
    .scatter_gather = true,
    .sg_fixed = false,
    .max_transfer_limit = 16u << 20,
    .default_max_transfer = 128u << 10,
    .default_latency_ns = 20000, /* an assumption: a flash read is tens of microseconds */
    .check = NULL,
    .hardware = &storage_card,
};
