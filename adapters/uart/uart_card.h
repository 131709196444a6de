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

/* The drivers shipped for the card: a WDM driver (uart_wdm.c), and a KMDF driver on the
 * framework's system profile (uart_kmdf.c) for pattern = kmdf. */
DRIVER_INITIALIZE UartDriverEntry;
DRIVER_INITIALIZE UartKmdfDriverEntry;

#endif
