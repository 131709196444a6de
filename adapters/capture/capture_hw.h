/*
 * capture_hw.h - the register map and ring entry format of the capture card
 * (docs/hardware/capture.md): the contract between the card's model and any minidriver for it.
 */
#ifndef DMASIM_CAPTURE_HW_H
#define DMASIM_CAPTURE_HW_H

#define CAP_BAR_BYTES          0x1000
#define CAP_REG_ID             0x000 /* (R) CAP_ID */
#define CAP_REG_CONTROL        0x004 /* (RW) CAP_CONTROL_* */
#define CAP_REG_INT_STATUS     0x008 /* (R) CAP_INT_*; (W) 1s acknowledge */
#define CAP_REG_INT_ENABLE     0x00C /* (RW) CAP_INT_*: interrupt on these */
#define CAP_REG_FRAME_BYTES    0x010 /* (R) bytes of one frame */
#define CAP_REG_FRAME_INTERVAL 0x014 /* (R) time between frames, in 100 ns units */
#define CAP_REG_ADDRESS_BITS   0x018 /* (R) address lines the engine drives */
#define CAP_REG_MAX_SEGMENT    0x01C /* (R) bytes one ring entry may carry, at most */
#define CAP_REG_RING_LO        0x020 /* (RW) logical address of the ring of entries */
#define CAP_REG_RING_HI        0x024
#define CAP_REG_RING_ENTRIES   0x028 /* (RW) entries in the ring (2 .. 65536) */
#define CAP_REG_RING_HEAD      0x02C /* (RW) the driver's: the entry after the last it wrote */
#define CAP_REG_RING_TAIL      0x030 /* (R) the card's: the entry after the last it used */
#define CAP_REG_FRAMES_DONE    0x034 /* (R) frames written to memory since the card started */
#define CAP_REG_FRAMES_DROPPED 0x038 /* (R) frames the sensor made with no buffer ready */

#define CAP_ID              0x43415031u /* "CAP1" */
#define CAP_CONTROL_RUN     0x1 /* the sensor runs: a frame each FRAME_INTERVAL */
#define CAP_CONTROL_RESET   0x2 /* (W) HEAD and TAIL back to 0 (only while stopped) */
#define CAP_INT_FRAME_DONE  0x1 /* a frame was written: TAIL moved past it */
#define CAP_INT_DROPPED     0x2 /* a frame was dropped */

#define CAP_ENTRY_END_OF_FRAME 0x1 /* the last entry of a buffer */
#define CAP_ENTRY_DONE         0x2 /* (written back by the card into the buffer's last entry)
                                    * the frame is in the buffer */
#define CAP_ENTRY_ERROR        0x4 /* (written back, with DONE) the frame failed: no data */

/* A ring entry, in host memory, 16 bytes: a piece of a frame buffer by logical address. A
 * buffer is the entries up to one with END_OF_FRAME. */
typedef struct _CAP_ENTRY {
    ULONGLONG Address;
    ULONG Length;
    ULONG Flags;
} CAP_ENTRY;

/* The firmware's words (CmResourceTypeDevicePrivate): Data[0] the address bits the driver is
 * to declare, Data[1] the most frames it keeps locked at once ("locks"), Data[2] its policy
 * (CAP_POLICY_*). */
#define CAP_PRIVATE_DECLARED_BITS 0
#define CAP_PRIVATE_LOCKS         1
#define CAP_PRIVATE_POLICY        2
#define CAP_POLICY_LOCK_AHEAD     0x1 /* lock every frame as it arrives (else: only what it
                                       * programs, at most Data[1]) */
#define CAP_POLICY_LEGACY_REGISTRATION 0x2 /* KsDeviceRegisterAdapterObject, not
                                            * RegisterAdapterObjectEx */

#endif
