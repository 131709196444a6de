/*
 * uart_hw.h - the register map of the SoC UART card (docs/hardware/uart.md): the contract
 * between the card's model and any driver written for it.
 */
#ifndef DMASIM_UART_HW_H
#define DMASIM_UART_HW_H

#define UART_BAR_BYTES        0x1000
#define UART_REG_ID           0x000 /* (R) UART_ID */
#define UART_REG_CONTROL      0x004 /* (RW) TX_DMA, RX_DMA, INT_ENABLE */
#define UART_REG_STATUS       0x008 /* (R) TX_EMPTY, RX_AVAILABLE, LINE_ERROR (read clears) */
#define UART_REG_TX_COUNT     0x00C /* (R) bytes sent on the wire, modulo 2^32 */
#define UART_REG_RX_COUNT     0x010 /* (R) bytes taken off the wire, modulo 2^32 */
#define UART_REG_INT_STATUS   0x014 /* (R) TX_IDLE; (W) 1 acknowledges */
#define UART_REG_TX_FIFO      0x200 /* (W) the transmit data register: the DMA channel's target */
#define UART_REG_RX_FIFO      0x204 /* (R) the receive data register: the DMA channel's source */

#define UART_CONTROL_TX_DMA     0x1 /* assert the request line while the TX FIFO has room */
#define UART_CONTROL_RX_DMA     0x2 /* assert the request line while the RX FIFO holds bytes */
#define UART_CONTROL_INT_ENABLE 0x4 /* interrupt when transmission goes idle */
#define UART_CONTROL_RESET      (UART_CONTROL_TX_DMA | UART_CONTROL_RX_DMA)

#define UART_STATUS_TX_EMPTY     0x1
#define UART_STATUS_RX_AVAILABLE 0x2
#define UART_STATUS_LINE_ERROR   0x4 /* a framing, parity or overrun error since the last read */
#define UART_INT_TX_IDLE         0x1

#define UART_FIFO_BYTES 64
#define UART_ID 0x55415231u /* "UAR1" */

#endif
