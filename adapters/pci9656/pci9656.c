/*
 * pci9656.c - the PLX PCI 9656 bridge, as the simulator knows it: a PCI-to-local-bus bridge
 * with 128 KiB of SRAM behind it and two chaining DMA channels (pci9656_card.c; datasheet
 * docs/hardware/pci9656.md), driven by a KMDF driver through IRPs: the one shipped for it
 * (pci9656_kmdf.c), or a scenario's driver = FILE (Microsoft's PLX9x5x sample builds as one:
 * docs/kmdf.md). A write moves a request's bytes into the SRAM from offset 0, a read brings
 * them back; each request fits the SRAM.
 */
#include <stdio.h>

#include "dmasim/adapter.h"
#include "pci9656_card.h"
#include "pci9656_hw.h"

static int card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                       const struct dms_bus *bus, struct dms_card **out)
{
    return pci9656_card_attach(pdo, bar, s, bus, (struct pci9656_card **)out);
}

static void card_settle(struct dms_card *card, struct dms_io *io)
{
    pci9656_card_settle((struct pci9656_card *)card, io);
}

static void card_detach(struct dms_card *card)
{
    pci9656_card_free((struct pci9656_card *)card);
}

static int check(const struct dms_device_settings *s, char *why, size_t len)
{
    if (!s->scatter_gather) {
        snprintf(why, len, "scatter_gather: the bridge's channels always chain descriptors");
        return DMS_EINVAL;
    }
    if (s->declared_bits != 32 && s->declared_bits != 64) {
        snprintf(why, len, "declared_bits: the KMDF driver's profiles declare 32 or 64 bits, "
                 "not %u", s->declared_bits);
        return DMS_EINVAL;
    }
    return 0;
}

static const struct dms_hardware pci9656_card = {
    .driver_entry = Pci9656DriverEntry,
    .driver_name = "pci9656",
    .attach = card_attach,
    .needs = "two DMA adapters (one a channel) and common buffers below 4 GiB for its "
             "descriptor rings",
    .window_bytes = 2 * PCI9656_SRAM_BYTES, /* BAR0 at the base, the SRAM 128 KiB above */
    .settle = card_settle,
    .detach = card_detach,
};

const struct dms_adapter_kind dms_adapter_pci9656 = {
    .name = "pci9656",
    .summary = "PLX PCI 9656 bridge: 128 KiB SRAM, two chaining DMA channels, a KMDF driver "
               "(duplex scatter/gather)",
    .patterns = 1u << DMS_PATTERN_KMDF,
    .scatter_gather = true,
    .sg_fixed = true,
    .max_transfer_limit = PCI9656_SRAM_BYTES,
    .default_max_transfer = PCI9656_SRAM_BYTES,
    .default_latency_ns = 0, /* SRAM: the bus and the engine take all the time */
    .stream = true,          /* no device offsets: each request starts at SRAM offset 0 */
    .check = check,
    .hardware = &pci9656_card,
};
