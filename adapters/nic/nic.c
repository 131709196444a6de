/*
 * nic.c - the network adapter, as the simulator knows it: a descriptor-ring NIC modelled at
 * its registers (nic_card.c; datasheet docs/hardware/nic.md) and driven by a WDM driver
 * through IRPs: the one shipped for it (nic_wdm.c: reads receive, writes transmit), or a
 * scenario's driver = FILE.
 */
#include <stdio.h>

#include "dmasim/adapter.h"
#include "nic_card.h"

static int card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                       const struct dms_bus *bus, struct dms_card **out)
{
    return nic_card_attach(pdo, bar, s, bus, (struct nic_card **)out);
}

static void card_settle(struct dms_card *card, struct dms_io *io)
{
    nic_card_settle((struct nic_card *)card, io);
}

static void card_detach(struct dms_card *card)
{
    nic_card_free((struct nic_card *)card);
}

#define NIC_PATTERNS                                                                      \
    (1u << DMS_PATTERN_SG | 1u << DMS_PATTERN_SG_BUILD | 1u << DMS_PATTERN_COMMON_BUFFER | \
     1u << DMS_PATTERN_V3 | 1u << DMS_PATTERN_V3_SYNC)

static const struct dms_hardware nic_card = {
    .driver_entry = NicDriverEntry,
    .driver_name = "nic",
    .attach = card_attach,
    .needs = "AllocateCommonBuffer to find contiguous memory the adapter reaches for its "
             "two rings, and with pattern = common-buffer max_transfer bytes more for each "
             "queue slot",
    .settle = card_settle,
    .detach = card_detach,
};

/* The rings must hold every request in flight at its longest chain. */
static int nic_check(const struct dms_device_settings *s, char *why, size_t len)
{
    uint64_t longest = BYTES_TO_PAGES(s->max_transfer) + 1;

    if (s->pattern == DMS_PATTERN_PACKET) {
        snprintf(why, len, "the nic driver has no packet pattern: AllocateAdapterChannel "
                 "allows one request per device object, and a receive ring needs many "
                 "buffers mapped at once; use sg, sg-build or common-buffer");
        return DMS_EINVAL;
    }
    if ((uint64_t)s->ring_entries < s->slots * longest) {
        snprintf(why, len, "ring_entries = %u cannot hold %u packets in flight of up to %llu "
                 "descriptors each; raise ring_entries to %llu or lower queue_depth",
                 s->ring_entries, s->slots, (unsigned long long)longest,
                 (unsigned long long)(s->slots * longest));
        return DMS_EINVAL;
    }
    return 0;
}

const struct dms_adapter_kind dms_adapter_nic = {
    .name = "nic",
    .summary = "network adapter: transmit and receive descriptor rings in a common buffer; "
               "reads receive, writes transmit",
    .patterns = NIC_PATTERNS,
    .scatter_gather = true,
    .stream = true,
    .sg_fixed = false,
    .max_transfer_limit = 64u << 10,
    .default_max_transfer = 2048,
    .default_latency_ns = 0, /* the wire time is the link bandwidth */
    .check = nic_check,
    .hardware = &nic_card, /* every pattern takes the WDM path */
};
