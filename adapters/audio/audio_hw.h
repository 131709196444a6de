/*
 * audio_hw.h - the register map of the ISA audio card (docs/hardware/audio.md): the contract
 * between the card's model and any driver written for it.
 */
#ifndef DMASIM_AUDIO_HW_H
#define DMASIM_AUDIO_HW_H

#define AUDIO_BAR_BYTES        0x1000
#define AUDIO_REG_ID           0x000 /* (R) AUDIO_ID */
#define AUDIO_REG_MAX_PERIODS  0x004 /* (R) periods a ring may have */
#define AUDIO_REG_PERIOD_BYTES 0x008 /* (RW) bytes in each period, taken at RUN */
#define AUDIO_REG_PERIODS      0x00C /* (RW) periods in the ring, taken at RUN */
#define AUDIO_REG_CONTROL      0x010 /* (RW) RUN, INT_ENABLE, the stream number */
#define AUDIO_REG_READY        0x014 /* (W) periods ready since RUN, and the stream number */
#define AUDIO_REG_INT_STATUS   0x018 /* (R) periods ended, and the stream; (W) acknowledges */
#define AUDIO_REG_PLAYED       0x01C /* (R) periods wholly read since RUN */
#define AUDIO_REG_FAILED       0x020 /* (R/W1C) bit k: period k of the ring failed to play */
#define AUDIO_REG_SOUND_BYTES  0x100 /* (W) + 4 * k: bytes of sound in period k */

#define AUDIO_CONTROL_RUN        0x1 /* start a stream at the ring's first period; 0 stops */
#define AUDIO_CONTROL_INT_ENABLE 0x2 /* interrupt at the end of each period */
#define AUDIO_STREAM_SHIFT       8   /* CONTROL bits 8-15, READY and INT_STATUS bits 24-31 */
#define AUDIO_READY_MASK         0x00FFFFFFu /* READY bits 0-23: the count, modulo 2^24 */
#define AUDIO_INT_COUNT_MASK     0xFFu       /* INT_STATUS bits 0-7: periods ended */
#define AUDIO_INT_STREAM_SHIFT   24

#define AUDIO_ID 0x41554431u /* "AUD1" */
#define AUDIO_MAX_PERIODS 32u
#define AUDIO_FIFO_BYTES 512u /* bytes the card asks the DMA channel for at a time */

/* The bus's word to the driver (CmResourceTypeDevicePrivate, dmasim's firmware): */
#define AUDIO_PRIVATE_PERIOD_BYTES 0 /* Data[0]: bytes in each period */
#define AUDIO_PRIVATE_PERIODS      1 /* Data[1]: periods in the ring */
#define AUDIO_PRIVATE_QUEUE        2 /* Data[2]: writes the driver may hold at once */

#endif
