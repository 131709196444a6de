/*
 * pci9656_card.h - the PLX PCI 9656 bridge's model, as the simulator attaches it (a driver
 * sees only its registers and descriptor format, pci9656_hw.h).
 */
#ifndef DMASIM_PCI9656_CARD_H
#define DMASIM_PCI9656_CARD_H

#include "dmasim/adapter.h"

struct pci9656_card;

int pci9656_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                        const struct dms_bus *bus, struct pci9656_card **out);
void pci9656_card_settle(struct pci9656_card *c, struct dms_io *io);
void pci9656_card_free(struct pci9656_card *c);

/* The driver shipped for the bridge: a KMDF driver (pci9656_kmdf.c). */
DRIVER_INITIALIZE Pci9656DriverEntry;

#endif
