/*
 * nic_hw.h - the register map and descriptor format of the network adapter
 * (docs/hardware/nic.md): the contract between the card's model and any driver for it.
 */
#ifndef DMASIM_NIC_HW_H
#define DMASIM_NIC_HW_H

#define NIC_BAR_BYTES          0x1000
#define NIC_REG_ID             0x00 /* (R) NIC_ID */
#define NIC_REG_MAX_ELEMENTS   0x04 /* (R) descriptors one packet may chain */
#define NIC_REG_MAX_TRANSFER   0x08 /* (R) bytes one packet may carry */
#define NIC_REG_ADDRESS_BITS   0x0C /* (R) address lines the adapter drives */
#define NIC_REG_RING_ENTRIES   0x10 /* (RW) descriptors in each ring, taken at ENABLE */
#define NIC_REG_CONTROL        0x14 /* (RW) NIC_CONTROL_* */
#define NIC_REG_INT_STATUS     0x18 /* (R) NIC_INT_*; (W) 1 acknowledges */
#define NIC_REG_TX_BASE_LO     0x20 /* (RW) logical address of the transmit ring */
#define NIC_REG_TX_BASE_HI     0x24
#define NIC_REG_RX_BASE_LO     0x28 /* (RW) logical address of the receive ring */
#define NIC_REG_RX_BASE_HI     0x2C
#define NIC_REG_TX_TAIL        0x30 /* (W) transmit doorbell: the entry after the last written */
#define NIC_REG_RX_TAIL        0x34 /* (W) receive doorbell */
#define NIC_REG_TX_HEAD        0x38 /* (R) the next transmit entry the adapter fetches */
#define NIC_REG_RX_HEAD        0x3C /* (R) the next receive entry the adapter fetches */

#define NIC_CONTROL_ENABLE     0x1 /* take the ring registers and start (heads and tails 0) */
#define NIC_CONTROL_INT_ENABLE 0x2 /* interrupt when a chain is written back */
#define NIC_INT_TX_DONE        0x1 /* a transmit chain was written back */
#define NIC_INT_RX_DONE        0x2 /* a receive chain was written back */

#define NIC_ID 0x4E494331u /* "NIC1" */
#define NIC_MIN_ENTRIES 16
#define NIC_MAX_ENTRIES 65536

#define NIC_DESC_EOP   0x1 /* the last descriptor of a packet */
#define NIC_DESC_DONE  0x2 /* written back by the adapter into a chain's first descriptor */
#define NIC_DESC_FIRST 0x4 /* the first piece of a request (a request split in pieces) */
#define NIC_DESC_ERROR 0x8 /* written back with DONE: the chain was malformed */

/* A descriptor, 16 bytes, at BASE + entry * 16. A packet is a chain of descriptors, one per
 * scatter/gather element, the last marked EOP. */
typedef struct _NIC_DESCRIPTOR {
    ULONGLONG Address; /* logical */
    ULONG Length;
    USHORT Flags;
    USHORT Tag;        /* the driver's: the adapter keeps it with the chain's record */
} NIC_DESCRIPTOR;

/* The bus's word to the driver (CmResourceTypeDevicePrivate, dmasim's firmware): */
#define NIC_PRIVATE_CONFIG0    0 /* Data[0]: bits 0-7 address bits to declare, bits 8-31 the
                                  * descriptors per ring to use */
#define NIC_PRIVATE_MAX_TRANSFER 1 /* Data[1]: the most bytes one request carries */
#define NIC_PRIVATE_CONFIG     2 /* Data[2]: bits 0-7 the calling pattern (enum dms_pattern),
                                  * bit 8 KeFlushIoBuffers, bits 16-31 the queue depth */

#endif
