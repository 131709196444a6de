/*
 * display_card.h - the display adapter's DMA engines, as the simulator attaches them (a
 * miniport sees only its registers and descriptor format, display_hw.h).
 */
#ifndef DMASIM_DISPLAY_CARD_H
#define DMASIM_DISPLAY_CARD_H

#include "dmasim/adapter.h"

struct disp_card;

int disp_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                     const struct dms_bus *bus, struct disp_card **out);
void disp_card_settle(struct disp_card *c, struct dms_io *io);
void disp_card_free(struct disp_card *c);

/* The driver shipped for the card: a video miniport (display_miniport.c). */
DRIVER_INITIALIZE DisplayDriverEntry;

#endif
