/*
 * capture_card.h - the capture card, as the simulator attaches it (a minidriver sees only its
 * registers and ring entry format, capture_hw.h).
 */
#ifndef DMASIM_CAPTURE_CARD_H
#define DMASIM_CAPTURE_CARD_H

#include "dmasim/adapter.h"

struct cap_card;

int cap_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                    const struct dms_bus *bus, struct cap_card **out);
void cap_card_settle(struct cap_card *c, struct dms_io *io);
void cap_card_frames(struct cap_card *c, struct dms_frame_stats *out);
void cap_card_free(struct cap_card *c);
/* bytes of the card's keeping for the application's side (capture.c), zeroed at attach */
void *cap_card_graph(struct cap_card *c, size_t bytes);

/* The driver shipped for the card: an AVStream minidriver (capture_minidriver.c). */
DRIVER_INITIALIZE CaptureDriverEntry;

#endif
