/*
 * uart_card.c - the SoC UART card as a device: registers on a memory BAR, a 64-byte FIFO
 * each way behind a data register, and a DMA request line to the SoC controller
 * (docs/hardware/uart.md, uart_hw.h).
 *
 * The card has no DMA engine. While a channel serving its request line is programmed and the
 * direction's DMA bit is set, it asserts the line: the controller moves up to a FIFO's worth
 * between memory and the data register, the wire takes (or gives) those bytes at the link's
 * rate, and it asserts the line again, until the channel has nothing more to move. The HAL
 * tells the card when a channel for its line is programmed (dms_sysdma_watch_line), as a
 * device sees DMA acknowledge begin.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/devdma.h"
#include "uart_card.h"
#include "uart_hw.h"

struct uart_card {
    struct devdma dma;
    const struct dms_bus *bus;
    struct dms_machine *m;
    PDEVICE_OBJECT pdo;
    uint64_t bar;
    uint32_t line;
    uint8_t fifo[UART_FIFO_BYTES];
    bool pumping, to_device;
    bool line_error; /* STATUS.LINE_ERROR: sticky until STATUS is read */
    bool stalled;    /* fault injection: the card stopped asserting its line for good */
    uint32_t control, int_status;
    uint32_t tx_count, rx_count;
    uint64_t media;          /* receive: bytes off the wire so far */
    /* what moved since the last settled request */
    uint32_t crc, transfers; /* transfers: channel programmings */
    uint64_t context;        /* whose I/O the channel now programmed serves (dms_bus) */
};

static void card_pump(void *arg);

/* The wire took (or gave) a FIFO's worth: assert the line again. */
static void card_wire_done(void *arg)
{
    card_pump(arg);
}

static void card_pump(void *arg)
{
    struct uart_card *c = arg;
    uint32_t moved = 0;
    int terminal = 0;
    uint64_t reg = c->bar + (c->to_device ? UART_REG_TX_FIFO : UART_REG_RX_FIFO);
    bool enabled = c->control & (c->to_device ? UART_CONTROL_TX_DMA : UART_CONTROL_RX_DMA);

    if (c->stalled || (enabled && dms_device_stall(c->pdo))) {
        c->stalled = true; /* the line never asserts again: the channel never completes */
        return;
    }
    /* the burst is for the transfer now programmed, though the pump runs on from the
     * previous one's last burst: its memory accesses and wire time are that I/O's */
    if (c->bus->set_context != NULL)
        c->bus->set_context(c->bus->ctx, c->context);
    if (enabled && !c->to_device && c->bus->full_data)
        devdma_media_fill(c->fifo, c->media, UART_FIFO_BYTES, c->dma.salt);
    if (enabled)
        dms_sysdma_request_line(c->m, c->line, reg, c->bus->full_data ? c->fifo : NULL,
                                UART_FIFO_BYTES, c->to_device, &moved, &terminal);
    if (moved == 0) { /* the channel is done (or the DMA bit is clear): the line drops */
        c->pumping = false;
        if (c->to_device && (c->control & UART_CONTROL_INT_ENABLE)) {
            c->int_status |= UART_INT_TX_IDLE;
            dms_device_interrupt(c->pdo);
        }
        return;
    }
    if (dms_device_error(c->pdo))
        c->line_error = true; /* fault injection: the burst met a line error (datasheet) */
    if (c->bus->full_data)
        c->crc = c->bus->crc32(c->crc, c->fifo, moved);
    if (c->to_device)
        c->tx_count += moved;
    else
        c->rx_count += moved, c->media += moved;
    c->bus->device_work(c->bus->ctx, moved, 0, card_wire_done, c);
}

/* A channel for the card's line was programmed: the card starts asserting it once the
 * driver's work that programmed it is over. */
static void card_programmed(void *ctx, int to_device)
{
    struct uart_card *c = ctx;

    /* the direction of the transfer now programmed; a pump under way (waiting for the wire)
     * takes it up at its next request */
    c->to_device = to_device != 0;
    c->transfers++; /* a device operation: one programmed transfer, however many bursts */
    c->context = c->bus->context != NULL ? c->bus->context(c->bus->ctx) : 0;
    if (c->pumping)
        return;
    c->pumping = true;
    c->bus->post(c->bus->ctx, card_pump, c);
}

static uint64_t card_read(void *ctx, uint64_t offset, unsigned bytes)
{
    struct uart_card *c = ctx;

    (void)bytes;
    switch (offset) {
    case UART_REG_ID: return UART_ID;
    case UART_REG_CONTROL: return c->control;
    case UART_REG_STATUS: {
        uint32_t v = (c->pumping && c->to_device ? 0 : UART_STATUS_TX_EMPTY) |
                     (c->line_error ? UART_STATUS_LINE_ERROR : 0);
        c->line_error = false; /* read clears it */
        return v;
    }
    case UART_REG_TX_COUNT: return c->tx_count;
    case UART_REG_RX_COUNT: return c->rx_count;
    case UART_REG_INT_STATUS: return c->int_status;
    case UART_REG_RX_FIFO: { /* a byte by programmed I/O */
        uint8_t b = 0;
        devdma_media_fill(&b, c->media++, 1, c->dma.salt);
        c->rx_count++;
        return b;
    }
    default: return 0;
    }
}

static void card_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    struct uart_card *c = ctx;

    switch (offset) {
    case UART_REG_CONTROL: c->control = (uint32_t)value & 0x7; break;
    case UART_REG_INT_STATUS: c->int_status &= ~(uint32_t)value; break;
    case UART_REG_TX_FIFO: c->tx_count += bytes; break; /* a byte (or word) by programmed I/O */
    default: break;
    }
}

static const struct dms_register_ops card_ops = {card_read, card_write};

int uart_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                     const struct dms_bus *bus, struct uart_card **out)
{
    struct dms_machine *m = dms_machine_current();
    struct uart_card *c = calloc(1, sizeof(*c));
    /* the request line, then the firmware's words to the driver */
    CM_PARTIAL_RESOURCE_DESCRIPTOR res[2] = {
        {.Type = CmResourceTypeDma,
         .ShareDisposition = CmResourceShareDeviceExclusive,
         .Flags = CM_RESOURCE_DMA_V3},
        {.Type = CmResourceTypeDevicePrivate},
    };
    int err;

    if (c == NULL)
        return DMS_ENOMEM;
    c->bus = bus;
    c->m = m;
    c->pdo = pdo;
    c->bar = bar;
    c->line = s->dma_line;
    c->control = UART_CONTROL_RESET;
    res[0].u.DmaV3.Channel = s->dma_line;
    res[0].u.DmaV3.RequestLine = s->dma_line;
    res[0].u.DmaV3.TransferWidth = 0; /* 8 bits */
    res[1].u.DevicePrivate.Data[1] = s->max_transfer;
    res[1].u.DevicePrivate.Data[2] = s->slots;
    err = devdma_init(&c->dma, pdo, 32, bus, UART_FIFO_BYTES, devdma_salt(s->name));
    if (err == 0)
        err = devcard_present(pdo, bar, UART_BAR_BYTES, &card_ops, c, res, 2);
    if (err == 0)
        err = dms_sysdma_watch_line(m, c->line, card_programmed, c);
    if (err != 0) {
        uart_card_free(c);
        return err;
    }
    *out = c;
    return 0;
}

/* What moved since the last request settled: requests on a FIFO carry no offsets, and a
 * driver serves them one at a time. */
void uart_card_settle(struct uart_card *c, struct dms_io *io)
{
    io->crc_device = c->crc;
    io->dma_transfers = c->transfers;
    c->crc = 0;
    c->transfers = 0;
}

void uart_card_free(struct uart_card *c)
{
    if (c == NULL)
        return;
    devdma_free(&c->dma);
    free(c);
}
