/*
 * legacy_card.h - the legacy card's model, as the simulator attaches it (the driver sees only
 * its registers: legacy_hw.h).
 */
#ifndef DMASIM_LEGACY_CARD_H
#define DMASIM_LEGACY_CARD_H

#include "dmasim/adapter.h"

struct legacy_card;

int legacy_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                       const struct dms_bus *bus, struct legacy_card **out);
void legacy_card_settle(struct legacy_card *c, struct dms_io *io);
void legacy_card_free(struct legacy_card *c);

/* The driver shipped for the card: a WDM packet-DMA driver (legacy_wdm.c). */
DRIVER_INITIALIZE LegacyDriverEntry;

#endif
