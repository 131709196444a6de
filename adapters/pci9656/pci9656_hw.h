/*
 * pci9656_hw.h - the PLX PCI 9656 bridge as dmasim models it (docs/hardware/pci9656.md): the
 * registers of BAR0 the DMA path uses, the bits of them, and the chain descriptor a driver
 * builds in host memory. What the card's model and dmasim's KMDF driver for it share; facts
 * of the hardware interface, named as the datasheet names them.
 */
#ifndef DMASIM_PCI9656_HW_H
#define DMASIM_PCI9656_HW_H

#define PCI9656_VENDOR_ID 0x10B5
#define PCI9656_DEVICE_ID 0x9601

#define PCI9656_BAR0_BYTES 0x200   /* local configuration, runtime and DMA registers */
#define PCI9656_BAR1_BYTES 0x100   /* the same registers in I/O space: unused */
#define PCI9656_SRAM_BYTES 0x20000 /* BAR2: the local-bus SRAM, 128 KiB */

/* BAR0 offsets */
#define PCI9656_INTCSR   0x068 /* interrupt control/status */
#define PCI9656_CNTRL    0x06C /* serial EEPROM control, PCI command codes, user I/O, reset */
#define PCI9656_DMAMODE0 0x080
#define PCI9656_DMAPADR0 0x084 /* PCI address (block mode) */
#define PCI9656_DMALADR0 0x088 /* local address (block mode) */
#define PCI9656_DMASIZ0  0x08C /* byte count (block mode) */
#define PCI9656_DMADPR0  0x090 /* descriptor pointer */
#define PCI9656_DMAMODE1 0x094
#define PCI9656_DMAPADR1 0x098
#define PCI9656_DMALADR1 0x09C
#define PCI9656_DMASIZ1  0x0A0
#define PCI9656_DMADPR1  0x0A4
#define PCI9656_DMACSR0  0x0A8 /* 8 bits */
#define PCI9656_DMACSR1  0x0A9 /* 8 bits */
#define PCI9656_DMADAC0  0x0B4 /* upper 32 bits of channel 0's PCI address */
#define PCI9656_DMADAC1  0x0B8

/* INTCSR */
#define PCI9656_INTCSR_PCI_INT_ENABLE   (1u << 8)
#define PCI9656_INTCSR_DMA0_INT_ENABLE  (1u << 18)
#define PCI9656_INTCSR_DMA1_INT_ENABLE  (1u << 19)
#define PCI9656_INTCSR_DMA0_INT_ACTIVE  (1u << 21) /* read-only */
#define PCI9656_INTCSR_DMA1_INT_ACTIVE  (1u << 22) /* read-only */

/* CNTRL */
#define PCI9656_CNTRL_SOFTWARE_RESET    (1u << 30)

/* DMAMODEx */
#define PCI9656_DMAMODE_SG_MODE         (1u << 9)  /* chaining: descriptors from DMADPR */
#define PCI9656_DMAMODE_DONE_INT_ENABLE (1u << 10)
#define PCI9656_DMAMODE_CLEAR_COUNT     (1u << 16) /* zero each descriptor's count when done */
#define PCI9656_DMAMODE_INT_TO_PCI      (1u << 17) /* the channel's interrupt to INTA# */
#define PCI9656_DMAMODE_DAC_CHAIN_LOAD  (1u << 18) /* the upper address bits from descriptors */

/* DMADPRx, and a descriptor's next pointer */
#define PCI9656_DPR_PCI_MEMORY          (1u << 0) /* descriptors in PCI (host) memory */
#define PCI9656_DPR_END_OF_CHAIN        (1u << 1)
#define PCI9656_DPR_TERMINAL_COUNT_INT  (1u << 2)
#define PCI9656_DPR_LOCAL_TO_PCI        (1u << 3) /* 1: a read (SRAM to host); 0: a write */
#define PCI9656_DPR_ADDRESS_MASK        0xFFFFFFF0u

/* DMACSRx */
#define PCI9656_DMACSR_ENABLE           (1u << 0)
#define PCI9656_DMACSR_START            (1u << 1) /* write-only */
#define PCI9656_DMACSR_ABORT            (1u << 2) /* write-only */
#define PCI9656_DMACSR_CLEAR_INT        (1u << 3) /* write-only */
#define PCI9656_DMACSR_DONE             (1u << 4) /* read-only */

/* A chain descriptor in host memory: 16-byte aligned, little-endian dwords; the fifth (the
 * upper PCI address bits) is read only with DAC_CHAIN_LOAD set. */
#define PCI9656_DESC_BYTES     32
#define PCI9656_DESC_PCI_LOW   0x00
#define PCI9656_DESC_LOCAL     0x04
#define PCI9656_DESC_COUNT     0x08
#define PCI9656_DESC_NEXT      0x0C
#define PCI9656_DESC_PCI_HIGH  0x10

/* The firmware's private words to the driver (a CmResourceTypeDevicePrivate descriptor after
 * the interrupt; a driver that does not know them ignores them): the scenario's settings. */
#define PCI9656_PRIVATE_DECLARED_BITS 0 /* Data[0]: the address bits to declare (32 or 64) */
#define PCI9656_PRIVATE_MAX_TRANSFER  1 /* Data[1]: the most bytes one request carries */

#endif
