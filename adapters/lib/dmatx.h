/*
 * dmatx.h - DMA transactions for the simulated adapters' drivers.
 *
 * Every driver here moves a buffer by one of four calling patterns, and splits a buffer that is
 * larger than one device transfer may be. Rather than repeat that in each driver, they share
 * this small library, in the spirit of KMDF's DMA enabler and DMA transaction objects (which
 * real drivers use for the same reason): an enabler per device holds the DMA adapter and the
 * pattern; a transaction per request maps the buffer one transfer at a time, hands the driver
 * a scatter/gather list to program its device with, and at DPC time flushes and frees, then
 * maps the next transfer or reports the transaction done.
 *
 * It is written against <dmasim/wdm.h> alone, like the drivers, and is meant to be read.
 */
#ifndef DMASIM_DMATX_H
#define DMASIM_DMATX_H

#include "dmasim/adapter.h"
#include "dmasim/wdm.h"

struct dmatx;

/* The driver's routine that gives the device a transfer's elements: runs at DISPATCH_LEVEL. */
typedef void (*dmatx_program_fn)(struct dmatx *tx, PSCATTER_GATHER_LIST sgl);

struct dmatx_enabler {
    PDEVICE_OBJECT device;
    PDMA_ADAPTER adapter;
    ULONG map_registers;    /* what IoGetDmaAdapter granted */
    enum dms_pattern pattern;
    bool flush_io_buffers;  /* KeFlushIoBuffers before a write and after a read */
    ULONG max_transfer;     /* bytes one device transfer may carry */
    ULONG max_elements;     /* elements one transfer's list may have */
    ULONG sg_buffer_bytes;  /* sg-build: the list buffer each slot owns */
    ULONG list_bytes;       /* the size of each slot's own list */
    uint32_t slots;
    struct dmatx *txs;      /* one per slot */
    dmatx_program_fn program;
    void *driver;           /* the driver's device extension, for program */
    /* packet: one AllocateAdapterChannel per device object may be outstanding, so requests
     * wait here for their turn and a DPC starts the next once the routine has returned.
     * v3-sync: a synchronous request the HAL cannot grant at once waits here until a
     * transfer gives the adapter back. */
    bool channel_busy;
    struct dmatx *waiting_head, *waiting_tail;
    KDPC channel_dpc;
};

struct dmatx {
    struct dmatx_enabler *en;
    uint32_t slot;
    void *request;             /* the driver's request this transaction carries */
    PMDL mdl;
    PUCHAR va;                 /* start of the whole buffer */
    ULONG length;              /* of the whole buffer */
    BOOLEAN write_to_device;
    ULONG done;                /* bytes moved by earlier transfers */
    ULONG current;             /* bytes in the transfer under way */
    ULONG transfers;           /* device transfers so far */
    NTSTATUS status;
    PVOID map_register_base;   /* packet, v3 */
    ULONG map_register_count;  /* packet, v3 */
    PVOID dma_context;         /* v3: this slot's DMA transfer context */
    PSCATTER_GATHER_LIST sgl;  /* the list of the transfer under way */
    PVOID sg_buffer;           /* sg-build: the driver's buffer for the HAL's list */
    PSCATTER_GATHER_LIST own_list; /* packet and common-buffer: built by the driver */
    PUCHAR common_va;          /* common-buffer: this slot's bounce area */
    PUCHAR system_va;          /* common-buffer: the buffer's system address, for copies */
    PHYSICAL_ADDRESS common_la;
    struct dmatx *next_waiting;
};

/* dmatx_enabler_init - get the DMA adapter for desc and set up every slot's resources for the
 * pattern (list buffers for sg-build, a common buffer each for common-buffer). max_transfer
 * is the most one I/O carries; transfers are split below it when map registers are short.
 * The driver completes its own requests; common-buffer copies are RtlCopyMemory's.
 * Returns STATUS_SUCCESS, or the failing status with a sentence in why[] (nothing kept). */
NTSTATUS dmatx_enabler_init(struct dmatx_enabler *en, PDEVICE_OBJECT device,
                            PDEVICE_DESCRIPTION desc, enum dms_pattern pattern,
                            ULONG max_transfer, uint32_t slots, dmatx_program_fn program,
                            void *driver, char *why, size_t len);

/* dmatx_describe - the DEVICE_DESCRIPTION of a bus master for pattern (as a KMDF DMA
 * profile picks one): version 3 with DmaAddressWidth for the v3 patterns, else version 2
 * with the 32- and 64-bit flags (a master that declares fewer than 32 bits is an ISA card). */
void dmatx_describe(PDEVICE_DESCRIPTION desc, enum dms_pattern pattern, ULONG declared_bits,
                    BOOLEAN scatter_gather, ULONG max_length);

/* dmatx_enabler_release - free every slot's resources and put the DMA adapter. idle: nothing
 * is in flight (otherwise only host memory is freed; the machine's teardown takes the rest). */
void dmatx_enabler_release(struct dmatx_enabler *en, bool idle);

/* dmatx_execute - start moving length bytes at va (described by mdl) in slot's transaction,
 * at PASSIVE_LEVEL or DISPATCH_LEVEL. The first transfer is mapped and programmed now or, if
 * the HAL makes it wait, later. Returns STATUS_SUCCESS, or a status if it could not start. */
NTSTATUS dmatx_execute(struct dmatx_enabler *en, uint32_t slot, void *request, PMDL mdl,
                       PVOID va, ULONG length, BOOLEAN write_to_device);

/* dmatx_transfer_done - the device finished the transfer under way: flush and free it (DPC,
 * DISPATCH_LEVEL). Returns TRUE when the transaction is over (tx->status says how), FALSE when
 * the next transfer has been started. */
BOOLEAN dmatx_transfer_done(struct dmatx *tx);

/* ---------------------------------------------------------------------------------------------
 * A parallel request queue over the enabler's slots, as a KMDF queue that dispatches in
 * parallel up to a limit: a request takes a free slot or waits in order; a slot given back goes
 * to the oldest waiter. A slot whose transfer could not be mapped is set aside for the DPC to
 * complete (the program routine runs where it may not complete a request).
 */
typedef VOID DMATX_QUEUE_START(PVOID Driver, ULONG Slot, PIRP Irp);

struct dmatx_queue {
    KSPIN_LOCK lock;
    PULONG free_slots;
    ULONG free_count;
    LIST_ENTRY waiting;
    PULONG failed_slots;
    ULONG failed_count;
    DMATX_QUEUE_START *start; /* starts irp in slot, at PASSIVE_LEVEL or DISPATCH_LEVEL */
    PVOID driver;
};

/* dmatx_queue_init - slots free slots, slot 0 first. STATUS_SUCCESS or
 * STATUS_INSUFFICIENT_RESOURCES (nothing kept). */
NTSTATUS dmatx_queue_init(struct dmatx_queue *q, ULONG slots, DMATX_QUEUE_START *start,
                          PVOID driver);
void dmatx_queue_free(struct dmatx_queue *q);
/* dmatx_queue_add - irp (marked pending) starts in a free slot now, or waits. */
VOID dmatx_queue_add(struct dmatx_queue *q, PIRP irp);
/* dmatx_queue_release - slot's request is complete: the oldest waiter starts in it. */
VOID dmatx_queue_release(struct dmatx_queue *q, ULONG slot);
/* dmatx_queue_fail - from the program routine (DISPATCH_LEVEL): slot's request could not be
 * mapped; the caller queues its DPC, which takes it with dmatx_queue_next_failed. */
VOID dmatx_queue_fail(struct dmatx_queue *q, ULONG slot);
BOOLEAN dmatx_queue_next_failed(struct dmatx_queue *q, PULONG slot);

#endif /* DMASIM_DMATX_H */
