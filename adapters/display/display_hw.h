/*
 * display_hw.h - the register map and descriptor format of the display adapter's DMA engines
 * (docs/hardware/display.md): the contract between the card's model and any miniport for it.
 */
#ifndef DMASIM_DISPLAY_HW_H
#define DMASIM_DISPLAY_HW_H

#define DISP_BAR_BYTES         0x1000
#define DISP_REG_ID            0x000 /* (R) DISP_ID */
#define DISP_REG_ENGINES       0x004 /* (R) DMA engines: 2 */
#define DISP_REG_MAX_ELEMENTS  0x008 /* (R) elements one descriptor may list */
#define DISP_REG_MAX_TRANSFER  0x00C /* (R) bytes one descriptor may move */
#define DISP_REG_ADDRESS_BITS  0x010 /* (R) address lines the engines drive */
#define DISP_REG_INT_STATUS    0x014 /* (R) bit e: engine e finished a descriptor; (W) 1s ack */
#define DISP_REG_INT_ENABLE    0x018 /* (RW) bit e: interrupt when engine e finishes */
#define DISP_REG_ENGINE(e)     (0x100 + 0x20 * (e))
#define DISP_ENG_DESC_LO       0x00  /* (RW) logical address of the engine's descriptor */
#define DISP_ENG_DESC_HI       0x04
#define DISP_ENG_START         0x08  /* (W) 1: fetch the descriptor and run it */
#define DISP_ENG_STATUS        0x0C  /* (R) DISP_STATUS_* of the last descriptor */

#define DISP_ENGINES        2
#define DISP_STATUS_BUSY    0x1
#define DISP_STATUS_ERROR   0x2
#define DISP_ID             0x44535031u /* "DSP1" */

#define DISP_DESC_TO_VRAM   0x1 /* system memory to video memory (else video memory out) */
#define DISP_DESC_FIRST     0x2 /* a request's first descriptor */

/* A descriptor, in host memory, 8-byte aligned, where DESC_LO/HI say. */
typedef struct _DISP_ELEMENT {
    ULONGLONG Address; /* logical */
    ULONG Length;
    ULONG Reserved;
} DISP_ELEMENT;

typedef struct _DISP_DESCRIPTOR {
    ULONGLONG VramOffset;
    ULONG Bytes;
    ULONG Flags;
    ULONG Elements;
    ULONG Reserved;
    DISP_ELEMENT Element[];
} DISP_DESCRIPTOR;

/* The firmware's words (CmResourceTypeDevicePrivate), which the video port gives the miniport
 * as registry parameters: Data[0] "DmaAddressBits" (the address bits to declare), Data[1]
 * "MaximumTransferLength" (the most bytes one request carries), Data[2] "DmaAdapters" (1 or
 * 2: how many DMA adapters the miniport gets for its two engines). */
#define DISP_PRIVATE_DECLARED_BITS 0
#define DISP_PRIVATE_MAX_TRANSFER  1
#define DISP_PRIVATE_ADAPTERS      2

#endif
