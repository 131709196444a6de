/*
 * nic_card.h - the network adapter's model, as the simulator attaches it (a driver sees only
 * its registers and descriptors, nic_hw.h).
 */
#ifndef DMASIM_NIC_CARD_H
#define DMASIM_NIC_CARD_H

#include "dmasim/adapter.h"

struct nic_card;

int nic_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                    const struct dms_bus *bus, struct nic_card **out);
void nic_card_settle(struct nic_card *c, struct dms_io *io);
void nic_card_free(struct nic_card *c);

/* The driver shipped for the card: a WDM driver (nic_wdm.c). */
DRIVER_INITIALIZE NicDriverEntry;

#endif
