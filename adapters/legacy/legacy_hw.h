/*
 * legacy_hw.h - the register map of the legacy bus-master card (docs/hardware/legacy.md), the
 * one contract between the card's model and any driver written for it. A driver includes
 * this header (or copies the numbers from the datasheet) and nothing else of the model's.
 */
#ifndef DMASIM_LEGACY_HW_H
#define DMASIM_LEGACY_HW_H

/* BAR 0: one memory range of LEGACY_BAR_BYTES, 32-bit registers. */
#define LEGACY_BAR_BYTES       0x40
#define LEGACY_REG_ADDRESS_LO  0x00 /* DMA address, bits 0-31 (RW) */
#define LEGACY_REG_ADDRESS_HI  0x04 /* DMA address, bits 32-63 (RW); lines the card lacks drop */
#define LEGACY_REG_COUNT       0x08 /* bytes to move, 1 .. MAX_TRANSFER (RW) */
#define LEGACY_REG_OFFSET_LO   0x0C /* media byte offset, bits 0-31 (RW) */
#define LEGACY_REG_OFFSET_HI   0x10 /* media byte offset, bits 32-63 (RW) */
#define LEGACY_REG_CONTROL     0x14 /* (W) a write with GO starts a transfer */
#define LEGACY_REG_STATUS      0x18 /* (R) BUSY, DONE, ERROR */
#define LEGACY_REG_INT_STATUS  0x1C /* (R) DONE pending; (W) 1 acknowledges */
#define LEGACY_REG_ID          0x20 /* (R) LEGACY_ID */
#define LEGACY_REG_ADDRESS_BITS 0x24 /* (R) the address lines the card drives */
#define LEGACY_REG_MAX_TRANSFER 0x28 /* (R) the most bytes one transfer moves */

#define LEGACY_CONTROL_GO        0x1 /* start the transfer the other registers describe */
#define LEGACY_CONTROL_TO_DEVICE 0x2 /* memory to the card (a write); clear: card to memory */
#define LEGACY_CONTROL_INT_ENABLE 0x4 /* raise the interrupt when the transfer ends */

#define LEGACY_STATUS_BUSY  0x1
#define LEGACY_STATUS_DONE  0x2
#define LEGACY_STATUS_ERROR 0x4 /* the last GO was refused: busy, or a bad count */

#define LEGACY_INT_DONE 0x1

#define LEGACY_ID 0x4C454731u /* "LEG1" */

/* The bus's word to the card's driver, a CmResourceTypeDevicePrivate descriptor in the PnP
 * resources (dmasim's: the simulated firmware's configuration of the driver). */
#define LEGACY_PRIVATE_DECLARED_BITS 0 /* Data[0]: bits 0-7 the address bits the driver declares
                                      * to the HAL, bits 8-15 the calling pattern (enum
                                      * dms_pattern: 0 packet) */
#define LEGACY_PRIVATE_MAX_TRANSFER  1 /* Data[1]: the most bytes one request carries */
#define LEGACY_PRIVATE_FLUSH         2 /* Data[2]: 1: call KeFlushIoBuffers around each request */

#endif
