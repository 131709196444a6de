/*
 * storage_hw.h - the register map and queue formats of the storage controller
 * (docs/hardware/storage.md): the contract between the card's model and any driver for it.
 */
#ifndef DMASIM_STORAGE_HW_H
#define DMASIM_STORAGE_HW_H

#define STOR_BAR_BYTES         0x1000
#define STOR_REG_ID            0x00 /* (R) STOR_ID */
#define STOR_REG_MAX_SLOTS     0x04 /* (R) command slots the controller supports */
#define STOR_REG_MAX_ELEMENTS  0x08 /* (R) elements one command may list */
#define STOR_REG_MAX_TRANSFER  0x0C /* (R) bytes one command may move */
#define STOR_REG_ADDRESS_BITS  0x10 /* (R) address lines the controller drives */
#define STOR_REG_FEATURES      0x14 /* (R) STOR_FEATURE_* */
#define STOR_REG_CMD_BASE_LO   0x20 /* (RW) logical address of the command table */
#define STOR_REG_CMD_BASE_HI   0x24
#define STOR_REG_CQ_BASE_LO    0x28 /* (RW) logical address of the completion queue */
#define STOR_REG_CQ_BASE_HI    0x2C
#define STOR_REG_SLOTS         0x30 /* (RW) slots in use, 1 .. MAX_SLOTS */
#define STOR_REG_CMD_STRIDE    0x34 /* (RW) bytes from one command slot to the next */
#define STOR_REG_CONTROL       0x38 /* (RW) STOR_CONTROL_* */
#define STOR_REG_INT_STATUS    0x3C /* (R) STOR_INT_*; (W) 1 acknowledges */
#define STOR_REG_DOORBELL      0x40 /* (W) a slot number: its command is ready */

#define STOR_FEATURE_SCATTER_GATHER 0x1 /* a command may list more than one element */
#define STOR_CONTROL_ENABLE     0x1 /* take the queue registers and start */
#define STOR_CONTROL_INT_ENABLE 0x2 /* interrupt when a completion is posted */
#define STOR_INT_COMPLETION     0x1

#define STOR_ID 0x53544F31u /* "STO1" */
#define STOR_CMD_FIRST 0x1  /* a request's first command (Flags) */

/* A command, in the command table at CMD_BASE + slot * CMD_STRIDE. */
typedef struct _STOR_ELEMENT {
    ULONGLONG Address; /* logical */
    ULONG Length;
    ULONG Reserved;
} STOR_ELEMENT;

typedef struct _STOR_COMMAND {
    ULONGLONG Offset; /* media byte offset */
    ULONG Bytes;
    UCHAR Write;      /* 1: memory to the controller */
    UCHAR Flags;
    USHORT Tag;       /* the slot */
    ULONG Elements;
    ULONG Reserved;
    STOR_ELEMENT Element[];
} STOR_COMMAND;

/* A completion, written at CQ_BASE + tail * 8; Phase flips each time the queue wraps, so an
 * entry is new when its Phase is the one the driver expects (1 on the first pass). */
typedef struct _STOR_COMPLETION {
    USHORT Tag;
    USHORT Phase;
    NTSTATUS Status;
} STOR_COMPLETION;

/* The bus's word to the driver (CmResourceTypeDevicePrivate, dmasim's firmware): */
#define STOR_PRIVATE_DECLARED_BITS 0 /* Data[0]: address bits to declare */
#define STOR_PRIVATE_MAX_TRANSFER  1 /* Data[1]: the most bytes one request carries */
#define STOR_PRIVATE_CONFIG        2 /* Data[2]: bits 0-7 the calling pattern (enum
                                      * dms_pattern), bit 8 KeFlushIoBuffers, bit 9 the queues
                                      * in contiguous memory, bits 16-31 the queue depth */
#define STOR_CONFIG_QUEUE_CONTIGUOUS 0x200u

#endif
