/*
 * uart_card.h - the SoC UART card's model, as the simulator attaches it (a driver sees only its
 * registers, uart_hw.h, and its request line).
 */
#ifndef DMASIM_UART_CARD_H
#define DMASIM_UART_CARD_H

#include "dmasim/adapter.h"

struct uart_card;

int uart_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                     const struct dms_bus *bus, struct uart_card **out);
void uart_card_settle(struct uart_card *c, struct dms_io *io);
void uart_card_free(struct uart_card *c);

/* The driver shipped for the card: a WDM driver (uart_wdm.c). */
DRIVER_INITIALIZE UartDriverEntry;

#endif
