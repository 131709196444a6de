/*
 * storage_card.h - the storage controller's model, as the simulator attaches it (a driver
 * sees only its registers and queue formats, storage_hw.h).
 */
#ifndef DMASIM_STORAGE_CARD_H
#define DMASIM_STORAGE_CARD_H

#include "dmasim/adapter.h"

struct stor_card;

int stor_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                     const struct dms_bus *bus, struct stor_card **out);
void stor_card_settle(struct stor_card *c, struct dms_io *io);
void stor_card_free(struct stor_card *c);

/* The drivers shipped for the controller: a WDM driver (storage_wdm.c), and a KMDF driver
 * (storage_kmdf.c) for pattern = kmdf. */
DRIVER_INITIALIZE StorDriverEntry;
DRIVER_INITIALIZE StorKmdfDriverEntry;

#endif
