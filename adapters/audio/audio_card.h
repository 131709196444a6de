/*
 * audio_card.h - the ISA audio card's model, as the simulator attaches it (a driver sees only
 * its registers, audio_hw.h, and its 8237 channel).
 */
#ifndef DMASIM_AUDIO_CARD_H
#define DMASIM_AUDIO_CARD_H

#include "dmasim/adapter.h"

struct audio_card;

int audio_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                      const struct dms_bus *bus, struct audio_card **out);
void audio_card_settle(struct audio_card *c, struct dms_io *io);
void audio_card_free(struct audio_card *c);

/* The driver shipped for the card: a WDM driver (audio_wdm.c). */
DRIVER_INITIALIZE AudioDriverEntry;

#endif
