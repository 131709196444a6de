/*
 * storage.c - a block storage controller and its driver.
 *
 * The hardware, modelled on NVMe's shape: a command table and a completion queue that both
 * live in host memory (one common buffer the driver allocates), a doorbell register per
 * command slot, and a bus-master DMA engine that takes a scatter/gather list of any length up
 * to the largest transfer (or a single element when scatter/gather is off). For each command
 * the device fetches the command by DMA, moves the data, writes a completion entry by DMA and
 * raises its interrupt. Everything it touches it reaches by logical address over its own
 * address lines, so a driver that declared more address bits than the device has sees its
 * commands, data and completions land in the wrong frames, and the simulator names whose.
 *
 * The driver: StartDevice gets the DMA adapter and allocates the queues; dispatch maps the
 * request's buffer by the scenario's pattern (dmatx) and writes the command; the ISR only
 * acknowledges and queues the DPC; the DPC reads completions, releases the mapping, starts the
 * next piece of a split request or completes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/devdma.h"
#include "../lib/dmatx.h"
#include "storage_card.h"
#include "storage_hw.h"

#define STOR_TAG 'rotS'
/* ---- the device model -------------------------------------------------------------------- */

struct stor_hw {
    struct devdma dma;
    const struct dms_bus *bus;
    uint32_t slots, max_elements, max_transfer;
    bool scatter_gather;
    ULONGLONG cmd_base;   /* logical address of the command table (the driver told us) */
    ULONG cmd_stride;
    ULONGLONG cq_base;    /* logical address of the completion queue */
    uint32_t cq_tail;
    USHORT cq_phase;
    bool interrupt_pending;
    STOR_COMMAND *fetched;    /* one per slot: the device's copy of each command */
    struct devdma_element *el;
    uint32_t *crc;            /* per slot: the running crc of the request's payload */
    uint32_t *strays;         /* per slot: instrumentation for the report */
};

struct stor_job {
    struct stor_hw *hw;
    uint32_t slot;
};

static BOOLEAN stor_isr(void *arg);

static void stor_hw_post(struct stor_hw *hw, uint32_t slot, NTSTATUS status)
{
    STOR_COMPLETION entry = {(USHORT)slot, hw->cq_phase, status};

    hw->strays[slot] += devdma_store(&hw->dma, hw->cq_base + hw->cq_tail * sizeof(entry),
                                     &entry, sizeof(entry));
    if (++hw->cq_tail == hw->slots) {
        hw->cq_tail = 0;
        hw->cq_phase ^= 1;
    }
    if (!hw->interrupt_pending) {
        hw->interrupt_pending = true;
        hw->bus->interrupt(hw->bus->ctx, stor_isr, hw);
    }
}

/* The engine has had its time for the command: move the data, complete it. */
static void stor_hw_done(void *arg)
{
    struct stor_job *job = arg;
    struct stor_hw *hw = job->hw;
    STOR_COMMAND *c = (STOR_COMMAND *)((PUCHAR)hw->fetched + job->slot * hw->cmd_stride);
    struct devdma_element *el = hw->el + (size_t)job->slot * hw->max_elements;

    for (ULONG i = 0; i < c->Elements; i++)
        el[i] = (struct devdma_element){c->Element[i].Address, c->Element[i].Length};
    hw->strays[job->slot] += devdma_move(&hw->dma, el, c->Elements, c->Write, c->Offset,
                                         &hw->crc[job->slot]);
    stor_hw_post(hw, job->slot, STATUS_SUCCESS);
    free(job);
}

/* A command the device cannot carry out: too many elements, lengths that do not add up. */
static bool stor_hw_valid(const struct stor_hw *hw, const STOR_COMMAND *c)
{
    ULONGLONG sum = 0;

    if (c->Elements == 0 || c->Elements > hw->max_elements || c->Bytes > hw->max_transfer ||
        (!hw->scatter_gather && c->Elements != 1))
        return false;
    for (ULONG i = 0; i < c->Elements; i++)
        sum += c->Element[i].Length;
    return sum == c->Bytes;
}

/* The doorbell reaches the device: it fetches the command and queues it for its engine. */
static void stor_hw_doorbell_arrives(void *arg)
{
    struct stor_job *ring = arg;
    struct stor_hw *hw = ring->hw;
    uint32_t slot = ring->slot;
    STOR_COMMAND *c = (STOR_COMMAND *)((PUCHAR)hw->fetched + slot * hw->cmd_stride);
    ULONGLONG at = hw->cmd_base + (ULONGLONG)slot * hw->cmd_stride;
    struct stor_job *job;

    hw->strays[slot] += devdma_fetch(&hw->dma, at, c, sizeof(*c));
    if (c->Elements <= hw->max_elements)
        hw->strays[slot] += devdma_fetch(&hw->dma, at + sizeof(*c), c->Element,
                                         c->Elements * sizeof(STOR_ELEMENT));
    if (c->Flags & STOR_CMD_FIRST)
        hw->crc[slot] = 0;
    job = ring; /* the doorbell's record becomes the engine's job */
    if (c->Tag != slot || !stor_hw_valid(hw, c)) {
        free(job);
        stor_hw_post(hw, slot, STATUS_IO_DEVICE_ERROR);
        return;
    }
    hw->bus->device_work(hw->bus->ctx, c->Bytes, c->Elements + 1, stor_hw_done, job);
}

/* The driver writes the slot number to the doorbell register. */
static void stor_hw_doorbell(struct stor_hw *hw, uint32_t slot)
{
    struct stor_job *ring = malloc(sizeof(*ring));

    if (ring == NULL)
        abort(); /* a lost register write would hang the request */
    *ring = (struct stor_job){hw, slot};
    hw->bus->post(hw->bus->ctx, stor_hw_doorbell_arrives, ring);
}

/* ---- the driver -------------------------------------------------------------------------- */

struct dms_adapter_dev {
    struct dmatx_enabler Dma;  /* first: dmatx relies on it; holds the device and bus */
    struct stor_hw Hw;
    PUCHAR Queues;             /* common buffer: command table, then completion queue */
    PHYSICAL_ADDRESS QueuesLogical;
    ULONG QueuesBytes;
    ULONG CommandStride;
    ULONG CqHead;
    USHORT CqPhase;
    ULONG Failed;              /* slots to complete from the DPC without the device */
    ULONG *FailedSlots;
};

static void StorWriteCommand(struct dms_adapter_dev *ext, struct dmatx *tx,
                             PSCATTER_GATHER_LIST sgl)
{
    STOR_COMMAND *c = (STOR_COMMAND *)(ext->Queues + tx->slot * ext->CommandStride);
    struct dms_io *io = tx->request;

    c->Offset = io->offset + tx->done;
    c->Bytes = tx->current;
    c->Write = tx->write_to_device;
    c->Flags = tx->transfers == 1 ? STOR_CMD_FIRST : 0;
    c->Tag = (USHORT)tx->slot;
    c->Elements = sgl->NumberOfElements;
    for (ULONG i = 0; i < sgl->NumberOfElements; i++) {
        c->Element[i].Address = (ULONGLONG)sgl->Elements[i].Address.QuadPart;
        c->Element[i].Length = sgl->Elements[i].Length;
    }
}

/* dmatx's program routine, at DISPATCH_LEVEL: write the command, ring the doorbell. With no
 * list the mapping failed: the DPC completes the request with the status. */
static void StorProgram(struct dmatx *tx, PSCATTER_GATHER_LIST sgl)
{
    struct dms_adapter_dev *ext = tx->en->driver;

    if (sgl == NULL) {
        ext->FailedSlots[ext->Failed++] = tx->slot;
        IoRequestDpc(ext->Dma.device, NULL, NULL);
        return;
    }
    StorWriteCommand(ext, tx, sgl);
    stor_hw_doorbell(&ext->Hw, tx->slot);
}

static void StorComplete(struct dms_adapter_dev *ext, ULONG slot)
{
    dmatx_complete(&ext->Dma.txs[slot], ext->Hw.crc[slot], ext->Hw.strays[slot]);
}

static VOID StorDpc(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    struct dms_adapter_dev *ext = DeviceObject->DeviceExtension;
    STOR_COMPLETION *cq = (STOR_COMPLETION *)(ext->Queues + ext->Dma.slots * ext->CommandStride);

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(Context);
    while (cq[ext->CqHead].Phase == ext->CqPhase) {
        STOR_COMPLETION entry = cq[ext->CqHead];
        struct dmatx *tx;

        if (++ext->CqHead == ext->Dma.slots) {
            ext->CqHead = 0;
            ext->CqPhase ^= 1;
        }
        if (entry.Tag >= ext->Dma.slots || ext->Dma.txs[entry.Tag].request == NULL)
            continue; /* a completion for no request: the device wrote garbage */
        tx = &ext->Dma.txs[entry.Tag];
        if (!NT_SUCCESS(entry.Status))
            tx->status = entry.Status;
        if (dmatx_transfer_done(tx))
            StorComplete(ext, entry.Tag);
    }
    while (ext->Failed > 0)
        StorComplete(ext, ext->FailedSlots[--ext->Failed]);
}

static BOOLEAN stor_isr(void *arg)
{
    struct stor_hw *hw = arg;

    if (!hw->interrupt_pending)
        return FALSE; /* not ours */
    hw->interrupt_pending = false; /* reading the status register acknowledges */
    IoRequestDpc(hw->dma.device, NULL, NULL);
    return TRUE;
}

static NTSTATUS stor_submit(struct dms_adapter_dev *ext, struct dms_io *io)
{
    return dmatx_submit(&ext->Dma, io);
}

/* ---- StartDevice, StopDevice ------------------------------------------------------------- */

static NTSTATUS stor_hw_init(struct dms_adapter_dev *ext, const struct dms_device_settings *s)
{
    struct stor_hw *hw = &ext->Hw;
    uint32_t n = s->slots;

    hw->bus = ext->Dma.bus;
    hw->slots = n;
    hw->max_elements = (uint32_t)BYTES_TO_PAGES(s->max_transfer) + 1;
    hw->max_transfer = s->max_transfer;
    hw->scatter_gather = s->scatter_gather;
    hw->cmd_stride = ext->CommandStride;
    hw->cmd_base = (ULONGLONG)ext->QueuesLogical.QuadPart; /* the admin "set queues" command */
    hw->cq_base = hw->cmd_base + (ULONGLONG)n * ext->CommandStride;
    hw->cq_phase = 1;
    hw->fetched = calloc(n, ext->CommandStride);
    hw->el = calloc((size_t)n * hw->max_elements, sizeof(*hw->el));
    hw->crc = calloc(n, sizeof(*hw->crc));
    hw->strays = calloc(n, sizeof(*hw->strays));
    if (hw->fetched == NULL || hw->el == NULL || hw->crc == NULL || hw->strays == NULL ||
        devdma_init(&hw->dma, ext->Dma.device, s->address_bits, ext->Dma.bus, s->max_transfer,
                    devdma_salt(s->name)) != 0)
        return STATUS_INSUFFICIENT_RESOURCES;
    return STATUS_SUCCESS;
}

static void stor_hw_free(struct stor_hw *hw)
{
    devdma_free(&hw->dma);
    free(hw->fetched);
    free(hw->el);
    free(hw->crc);
    free(hw->strays);
}

static NTSTATUS stor_queues(struct dms_adapter_dev *ext, uint32_t slots, char *why, size_t len)
{
    PDMA_ADAPTER a = ext->Dma.adapter;

    ext->QueuesBytes = slots * ext->CommandStride + slots * (ULONG)sizeof(STOR_COMPLETION);
    ext->Queues = a->DmaOperations->AllocateCommonBuffer(a, ext->QueuesBytes,
                                                         &ext->QueuesLogical, TRUE);
    if (ext->Queues == NULL) {
        snprintf(why, len, "AllocateCommonBuffer found no %lu contiguous bytes for the "
                 "command and completion queues", (unsigned long)ext->QueuesBytes);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ext->CqPhase = 1;
    ext->FailedSlots = ExAllocatePool2(POOL_FLAG_NON_PAGED, slots * sizeof(ULONG), STOR_TAG);
    if (ext->FailedSlots == NULL) {
        snprintf(why, len, "no nonpaged pool for %u request slots", slots);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    return STATUS_SUCCESS;
}

static void stor_detach(struct dms_adapter_dev *ext, bool idle)
{
    PDMA_ADAPTER a = ext->Dma.adapter;

    if (ext->Queues != NULL && idle && a != NULL)
        a->DmaOperations->FreeCommonBuffer(a, ext->QueuesBytes, ext->QueuesLogical,
                                           ext->Queues, TRUE);
    if (ext->FailedSlots != NULL)
        ExFreePool(ext->FailedSlots);
    dmatx_enabler_release(&ext->Dma, idle);
    stor_hw_free(&ext->Hw);
}

static NTSTATUS stor_attach(struct dms_machine *m, const struct dms_device_settings *s,
                            const struct dms_bus *bus, struct dms_adapter_dev **out, char *why,
                            size_t len)
{
    void *extension = NULL;
    NTSTATUS status = dmatx_add_device(m, s, bus, sizeof(struct dms_adapter_dev), StorDpc,
                                       StorProgram, &extension, why, len);
    struct dms_adapter_dev *ext = extension;

    if (ext == NULL)
        return status;
    ext->CommandStride = (ULONG)(sizeof(STOR_COMMAND) +
                                 (BYTES_TO_PAGES(s->max_transfer) + 1) * sizeof(STOR_ELEMENT));
    if (NT_SUCCESS(status))
        status = stor_queues(ext, s->slots, why, len);
    if (NT_SUCCESS(status))
        status = stor_hw_init(ext, s);
    if (!NT_SUCCESS(status)) {
        if (why[0] == '\0')
            snprintf(why, len, "no host memory for the device model");
        stor_detach(ext, true);
        return status;
    }
    *out = ext;
    return STATUS_SUCCESS;
}

/* ---- the controller at its registers, for the WDM driver (storage_card.c, _wdm.c) ----- */

static int card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                       const struct dms_bus *bus, struct dms_card **out)
{
    return stor_card_attach(pdo, bar, s, bus, (struct stor_card **)out);
}

static void card_settle(struct dms_card *card, struct dms_io *io)
{
    stor_card_settle((struct stor_card *)card, io);
}

static void card_detach(struct dms_card *card)
{
    stor_card_free((struct stor_card *)card);
}

/* The WDM driver maps by every pattern but common-buffer (whose copies are the driver's own
 * CPU work, charged only through the bus of the driver above). */
static const struct dms_hardware storage_card = {
    .driver_entry = StorDriverEntry,
    .driver_name = "storage",
    .patterns = 1u << DMS_PATTERN_PACKET | 1u << DMS_PATTERN_SG | 1u << DMS_PATTERN_SG_BUILD |
                1u << DMS_PATTERN_V3 | 1u << DMS_PATTERN_V3_SYNC,
    .attach = card_attach,
    .settle = card_settle,
    .detach = card_detach,
};

const struct dms_adapter_kind dms_adapter_storage = {
    .name = "storage",
    .summary = "block device: command table and completion queue in a common buffer, "
               "scatter/gather bus master, queue depth",
    .patterns = 1u << DMS_PATTERN_PACKET | 1u << DMS_PATTERN_SG | 1u << DMS_PATTERN_SG_BUILD |
                1u << DMS_PATTERN_COMMON_BUFFER | 1u << DMS_PATTERN_V3 |
                1u << DMS_PATTERN_V3_SYNC,
    .scatter_gather = true,
    .sg_fixed = false,
    .max_transfer_limit = 16u << 20,
    .default_max_transfer = 128u << 10,
    .default_latency_ns = 20000, /* an assumption: a flash read is tens of microseconds */
    .check = NULL,
    .attach = stor_attach,
    .submit = stor_submit,
    .detach = stor_detach,
    .device_object = dmatx_device_object,
    .dma_adapter = dmatx_dma_adapter,
    .hardware = &storage_card,
};
