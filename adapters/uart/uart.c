/*
 * uart.c - the SoC UART card, as the simulator knows it: a UART/SPI-like subordinate device
 * (a FIFO on a SoC system DMA controller's request line, no DMA engine of its own), modelled
 * at its registers (uart_card.c; datasheet docs/hardware/uart.md) and driven by a WDM driver
 * through IRPs: the one shipped for it (uart_wdm.c, version-3 system DMA: MapTransferEx and a
 * DmaCompletionRoutine), its KMDF driver (uart_kmdf.c, the framework's system profile; pattern
 * = kmdf), or a scenario's driver = FILE.
 */
#include "dmasim/adapter.h"
#include "uart_card.h"

static int card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                       const struct dms_bus *bus, struct dms_card **out)
{
    return uart_card_attach(pdo, bar, s, bus, (struct uart_card **)out);
}

static void card_settle(struct dms_card *card, struct dms_io *io)
{
    uart_card_settle((struct uart_card *)card, io);
}

static void card_detach(struct dms_card *card)
{
    uart_card_free((struct uart_card *)card);
}

static const struct dms_hardware uart_card = {
    .driver_entry = UartDriverEntry,
    .driver_name = "uart",
    .kmdf_driver_entry = UartKmdfDriverEntry,
    .kmdf_driver_name = "uart_kmdf",
    .attach = card_attach,
    .needs = "a SoC DMA controller whose request lines include its dma_line ([machine] "
             "soc_dma_channels, soc_dma_request_lines)",
    .settle = card_settle,
    .detach = card_detach,
};

const struct dms_adapter_kind dms_adapter_uart = {
    .name = "uart",
    .summary = "UART/SPI-like subordinate device: a FIFO on a SoC DMA controller's request "
               "line, driven with MapTransferEx and a DmaCompletionRoutine",
    .patterns = 1u << DMS_PATTERN_V3 | 1u << DMS_PATTERN_KMDF,
    .scatter_gather = true, /* the controller's */
    .stream = true,
    .controller_bits = 32, /* the SoC controller's */
    .sg_fixed = true,
    .max_transfer_limit = 1u << 20,
    .default_max_transfer = 4u << 10,
    .default_latency_ns = 0,
    .check = NULL,
    .hardware = &uart_card, /* no driver of the older kind: every run takes the WDM path */
};
