/*
 * nic.c - a network adapter and its driver.
 *
 * The hardware, modelled on the common descriptor-ring NIC: a transmit ring and a receive ring
 * of 16-byte descriptors in one common buffer, a tail doorbell per ring, and a DMA engine that
 * works through each ring in order. A packet is a chain of descriptors, one per scatter/gather
 * element, the last marked end-of-packet. To send, the device fetches the chain, reads the
 * packet and writes the first descriptor back with "done" set; to receive, it fetches the next
 * posted chain, writes the packet off the wire into it and writes "done" back. Then it raises
 * its interrupt. Every descriptor and packet byte crosses the device's own address lines.
 *
 * The driver posts receive buffers and queues transmits by the scenario's pattern (dmatx):
 * sg and sg-build map each packet, common-buffer copies it into a slot of the driver's own
 * (the classic small-packet trick). The ISR acknowledges and queues the DPC; the DPC reaps
 * finished chains in ring order, releases their mappings and indicates or completes them.
 *
 * There is no packet pattern: AllocateAdapterChannel allows one request per device object at
 * a time, and a receive ring needs many buffers mapped at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/devdma.h"
#include "../lib/dmatx.h"

#define NIC_TAG 'ciN_'
#define NIC_TX 0
#define NIC_RX 1

#define NIC_DESC_EOP   0x1 /* last descriptor of a packet */
#define NIC_DESC_DONE  0x2 /* written back by the device */
#define NIC_DESC_FIRST 0x4 /* first piece of a request: the device starts a new crc */
#define NIC_DESC_ERROR 0x8 /* written back: the chain was malformed */

typedef struct _NIC_DESCRIPTOR {
    ULONGLONG Address;
    ULONG Length;
    USHORT Flags;
    USHORT Tag;
} NIC_DESCRIPTOR;

/* ---- the device model -------------------------------------------------------------------- */

struct nic_ring_hw {
    ULONGLONG base;     /* logical address of the ring */
    uint32_t head;      /* next descriptor the device fetches */
    uint32_t tail;      /* the doorbell's value */
    bool busy;
    uint32_t first, count; /* the chain under way */
    uint64_t media;     /* receive: bytes off the wire so far */
    uint64_t doorbell_seq; /* the newest doorbell write taken */
    uint64_t doorbells;    /* doorbell writes made by the driver */
};

struct nic_hw {
    struct devdma dma;
    const struct dms_bus *bus;
    uint32_t entries, max_elements, max_transfer;
    struct nic_ring_hw ring[2];
    struct devdma_element *el[2];
    USHORT tag[2];
    uint32_t *crc, *strays; /* per slot */
    uint32_t slots;
    bool interrupt_pending;
};

struct nic_job {
    struct nic_hw *hw;
    int which;
};

static BOOLEAN nic_isr(void *arg);
static void nic_hw_next(struct nic_hw *hw, int which);

static void nic_hw_count_stray(struct nic_hw *hw, USHORT tag, uint32_t strays)
{
    if (tag < hw->slots)
        hw->strays[tag] += strays;
}

/* Write "done" (and maybe "error") back into the chain's first descriptor. */
static void nic_hw_writeback(struct nic_hw *hw, int which, USHORT flags)
{
    struct nic_ring_hw *r = &hw->ring[which];
    ULONGLONG at = r->base + (ULONGLONG)r->first * sizeof(NIC_DESCRIPTOR);
    NIC_DESCRIPTOR d;

    nic_hw_count_stray(hw, hw->tag[which], devdma_fetch(&hw->dma, at, &d, sizeof(d)));
    d.Flags |= flags;
    nic_hw_count_stray(hw, hw->tag[which], devdma_store(&hw->dma, at, &d, sizeof(d)));
    r->head = (r->first + r->count) % hw->entries;
    r->busy = false;
    if (!hw->interrupt_pending) {
        hw->interrupt_pending = true;
        hw->bus->interrupt(hw->bus->ctx, nic_isr, hw);
    }
    nic_hw_next(hw, which);
}

static void nic_hw_done(void *arg)
{
    struct nic_job *job = arg;
    struct nic_hw *hw = job->hw;
    int which = job->which;
    struct nic_ring_hw *r = &hw->ring[which];
    USHORT tag = hw->tag[which];
    uint32_t bytes = 0;

    free(job);
    for (uint32_t i = 0; i < r->count; i++)
        bytes += hw->el[which][i].length;
    if (tag < hw->slots)
        nic_hw_count_stray(hw, tag, devdma_move(&hw->dma, hw->el[which], r->count,
                                                which == NIC_TX, r->media, &hw->crc[tag]));
    r->media += bytes;
    nic_hw_writeback(hw, which, NIC_DESC_DONE);
}

/* Fetch the next chain of the ring, up to its end-of-packet descriptor, and queue it. */
static void nic_hw_next(struct nic_hw *hw, int which)
{
    struct nic_ring_hw *r = &hw->ring[which];
    uint64_t bytes = 0;
    struct nic_job *job;
    NIC_DESCRIPTOR d = {0};

    if (r->busy || r->head == r->tail)
        return;
    r->busy = true;
    r->first = r->head;
    r->count = 0;
    while (r->count < hw->max_elements && (r->first + r->count) % hw->entries != r->tail) {
        ULONGLONG at = r->base + (ULONGLONG)((r->first + r->count) % hw->entries) * sizeof(d);
        uint32_t stray = devdma_fetch(&hw->dma, at, &d, sizeof(d));

        if (r->count == 0) {
            hw->tag[which] = d.Tag;
            if ((d.Flags & NIC_DESC_FIRST) && d.Tag < hw->slots)
                hw->crc[d.Tag] = 0;
        }
        nic_hw_count_stray(hw, hw->tag[which], stray);
        hw->el[which][r->count++] = (struct devdma_element){d.Address, d.Length};
        bytes += d.Length;
        if (d.Flags & NIC_DESC_EOP)
            break;
    }
    job = malloc(sizeof(*job));
    if (job == NULL || !(d.Flags & NIC_DESC_EOP) || bytes > hw->max_transfer) {
        free(job);
        nic_hw_writeback(hw, which, NIC_DESC_DONE | NIC_DESC_ERROR);
        return;
    }
    *job = (struct nic_job){hw, which};
    hw->bus->device_work(hw->bus->ctx, bytes, r->count, nic_hw_done, job);
}

struct nic_doorbell {
    struct nic_hw *hw;
    int which;
    uint32_t tail;
    uint64_t seq; /* the order the driver wrote it in */
};

static void nic_hw_doorbell_arrives(void *arg)
{
    struct nic_doorbell db = *(struct nic_doorbell *)arg;

    struct nic_ring_hw *r = &db.hw->ring[db.which];

    free(arg);
    /* Two CPUs' doorbell writes may reach the device in the other order than their ring
     * writes (each lands when its own CPU gets there): a write older than the last one the
     * device took is old news and must not move the tail back. */
    if (db.seq > r->doorbell_seq) {
        r->doorbell_seq = db.seq;
        r->tail = db.tail;
    }
    nic_hw_next(db.hw, db.which);
}

/* The driver writes the ring's new tail to its doorbell register. */
static void nic_hw_doorbell(struct nic_hw *hw, int which, uint32_t tail)
{
    struct nic_doorbell *db = malloc(sizeof(*db));

    if (db == NULL)
        abort(); /* a lost register write would hang the ring */
    *db = (struct nic_doorbell){hw, which, tail, ++hw->ring[which].doorbells};
    hw->bus->post(hw->bus->ctx, nic_hw_doorbell_arrives, db);
}

/* ---- the driver -------------------------------------------------------------------------- */

/* A chain the driver handed the device, in ring order. */
struct nic_chain {
    uint32_t slot, first, count;
};

struct nic_ring {
    NIC_DESCRIPTOR *desc;      /* the driver's view of the ring (common buffer) */
    ULONG tail;                /* next descriptor to write */
    struct nic_chain *chains;  /* FIFO, ring_entries long */
    ULONG chain_head, chain_count;
};

struct dms_adapter_dev {
    struct dmatx_enabler Dma;  /* first: dmatx relies on it; holds the device and bus */
    struct nic_hw Hw;
    PUCHAR Rings;
    PHYSICAL_ADDRESS RingsLogical;
    ULONG RingsBytes;
    ULONG Entries;
    struct nic_ring Ring[2];
    ULONG Failed;
    ULONG *FailedSlots;
};

/* dmatx's program routine, at DISPATCH_LEVEL: write the chain, ring the doorbell. */
static void NicProgram(struct dmatx *tx, PSCATTER_GATHER_LIST sgl)
{
    struct dms_adapter_dev *ext = tx->en->driver;
    int which = tx->write_to_device ? NIC_TX : NIC_RX;
    struct nic_ring *ring = &ext->Ring[which];
    struct nic_chain *chain;

    if (sgl == NULL) {
        ext->FailedSlots[ext->Failed++] = tx->slot;
        IoRequestDpc(ext->Dma.device, NULL, NULL);
        return;
    }
    chain = &ring->chains[(ring->chain_head + ring->chain_count++) % ext->Entries];
    *chain = (struct nic_chain){tx->slot, ring->tail, sgl->NumberOfElements};
    for (ULONG i = 0; i < sgl->NumberOfElements; i++) {
        NIC_DESCRIPTOR *d = &ring->desc[ring->tail];

        d->Address = (ULONGLONG)sgl->Elements[i].Address.QuadPart;
        d->Length = sgl->Elements[i].Length;
        d->Tag = (USHORT)tx->slot;
        d->Flags = (USHORT)((i + 1 == sgl->NumberOfElements ? NIC_DESC_EOP : 0) |
                            (i == 0 && tx->transfers == 1 ? NIC_DESC_FIRST : 0));
        ring->tail = (ring->tail + 1) % ext->Entries;
    }
    nic_hw_doorbell(&ext->Hw, which, ring->tail);
}

static void NicComplete(struct dms_adapter_dev *ext, ULONG slot)
{
    dmatx_complete(&ext->Dma.txs[slot], ext->Hw.crc[slot], ext->Hw.strays[slot]);
}

/* Reap the ring's finished chains, oldest first; stop at the first the device has not done. */
static void NicReap(struct dms_adapter_dev *ext, struct nic_ring *ring)
{
    while (ring->chain_count > 0) {
        struct nic_chain c = ring->chains[ring->chain_head];
        NIC_DESCRIPTOR *d = &ring->desc[c.first];
        struct dmatx *tx = &ext->Dma.txs[c.slot];

        if (!(d->Flags & NIC_DESC_DONE))
            break;
        if (d->Flags & NIC_DESC_ERROR)
            tx->status = STATUS_IO_DEVICE_ERROR;
        ring->chain_head = (ring->chain_head + 1) % ext->Entries;
        ring->chain_count--;
        for (ULONG i = 0; i < c.count; i++)
            ring->desc[(c.first + i) % ext->Entries].Flags = 0;
        if (dmatx_transfer_done(tx))
            NicComplete(ext, c.slot);
    }
}

static VOID NicDpc(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    struct dms_adapter_dev *ext = DeviceObject->DeviceExtension;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(Context);
    NicReap(ext, &ext->Ring[NIC_TX]);
    NicReap(ext, &ext->Ring[NIC_RX]);
    while (ext->Failed > 0)
        NicComplete(ext, ext->FailedSlots[--ext->Failed]);
}

static BOOLEAN nic_isr(void *arg)
{
    struct nic_hw *hw = arg;

    if (!hw->interrupt_pending)
        return FALSE;
    hw->interrupt_pending = false;
    IoRequestDpc(hw->dma.device, NULL, NULL);
    return TRUE;
}

/* Post a receive buffer (a read) or queue a transmit (a write). */
static NTSTATUS nic_submit(struct dms_adapter_dev *ext, struct dms_io *io)
{
    return dmatx_submit(&ext->Dma, io);
}

/* ---- StartDevice, StopDevice ------------------------------------------------------------- */

static NTSTATUS nic_hw_init(struct dms_adapter_dev *ext, const struct dms_device_settings *s)
{
    struct nic_hw *hw = &ext->Hw;

    hw->bus = ext->Dma.bus;
    hw->entries = s->ring_entries;
    hw->slots = s->slots;
    hw->max_elements = (uint32_t)BYTES_TO_PAGES(s->max_transfer) + 1;
    hw->max_transfer = s->max_transfer;
    for (int i = 0; i < 2; i++) {
        hw->ring[i].base = (ULONGLONG)ext->RingsLogical.QuadPart +
                           (ULONGLONG)i * s->ring_entries * sizeof(NIC_DESCRIPTOR);
        hw->el[i] = calloc(hw->max_elements, sizeof(*hw->el[i]));
    }
    hw->crc = calloc(s->slots, sizeof(*hw->crc));
    hw->strays = calloc(s->slots, sizeof(*hw->strays));
    if (hw->el[0] == NULL || hw->el[1] == NULL || hw->crc == NULL || hw->strays == NULL ||
        devdma_init(&hw->dma, ext->Dma.device, s->address_bits, ext->Dma.bus, s->max_transfer,
                    devdma_salt(s->name)) != 0)
        return STATUS_INSUFFICIENT_RESOURCES;
    return STATUS_SUCCESS;
}

static NTSTATUS nic_rings(struct dms_adapter_dev *ext, const struct dms_device_settings *s,
                          char *why, size_t len)
{
    PDMA_ADAPTER a = ext->Dma.adapter;

    ext->Entries = s->ring_entries;
    ext->RingsBytes = 2 * s->ring_entries * (ULONG)sizeof(NIC_DESCRIPTOR);
    ext->Rings = a->DmaOperations->AllocateCommonBuffer(a, ext->RingsBytes, &ext->RingsLogical,
                                                        TRUE);
    if (ext->Rings == NULL) {
        snprintf(why, len, "AllocateCommonBuffer found no %lu contiguous bytes for the "
                 "descriptor rings", (unsigned long)ext->RingsBytes);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    for (int i = 0; i < 2; i++) {
        ext->Ring[i].desc = (NIC_DESCRIPTOR *)ext->Rings + (size_t)i * s->ring_entries;
        ext->Ring[i].chains = ExAllocatePool2(POOL_FLAG_NON_PAGED,
                                              s->ring_entries * sizeof(struct nic_chain),
                                              NIC_TAG);
        if (ext->Ring[i].chains == NULL)
            break;
    }
    ext->FailedSlots = ExAllocatePool2(POOL_FLAG_NON_PAGED, s->slots * sizeof(ULONG), NIC_TAG);
    if (ext->FailedSlots == NULL || ext->Ring[0].chains == NULL ||
        ext->Ring[1].chains == NULL) {
        snprintf(why, len, "no nonpaged pool for the driver's ring bookkeeping");
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    return STATUS_SUCCESS;
}

static void nic_detach(struct dms_adapter_dev *ext, bool idle)
{
    PDMA_ADAPTER a = ext->Dma.adapter;

    if (ext->Rings != NULL && idle && a != NULL)
        a->DmaOperations->FreeCommonBuffer(a, ext->RingsBytes, ext->RingsLogical, ext->Rings,
                                           TRUE);
    for (int i = 0; i < 2; i++) {
        if (ext->Ring[i].chains != NULL)
            ExFreePool(ext->Ring[i].chains);
        free(ext->Hw.el[i]);
    }
    if (ext->FailedSlots != NULL)
        ExFreePool(ext->FailedSlots);
    dmatx_enabler_release(&ext->Dma, idle);
    devdma_free(&ext->Hw.dma);
    free(ext->Hw.crc);
    free(ext->Hw.strays);
}

static NTSTATUS nic_attach(struct dms_machine *m, const struct dms_device_settings *s,
                           const struct dms_bus *bus, struct dms_adapter_dev **out, char *why,
                           size_t len)
{
    void *extension = NULL;
    NTSTATUS status = dmatx_add_device(m, s, bus, sizeof(struct dms_adapter_dev), NicDpc,
                                       NicProgram, &extension, why, len);
    struct dms_adapter_dev *ext = extension;

    if (ext == NULL)
        return status;
    if (NT_SUCCESS(status))
        status = nic_rings(ext, s, why, len);
    if (NT_SUCCESS(status))
        status = nic_hw_init(ext, s);
    if (!NT_SUCCESS(status)) {
        if (why[0] == '\0')
            snprintf(why, len, "no host memory for the device model");
        nic_detach(ext, true);
        return status;
    }
    *out = ext;
    return STATUS_SUCCESS;
}

/* The rings must hold every request in flight at its longest chain. */
static int nic_check(const struct dms_device_settings *s, char *why, size_t len)
{
    uint64_t longest = BYTES_TO_PAGES(s->max_transfer) + 1;

    if (s->pattern == DMS_PATTERN_PACKET) {
        snprintf(why, len, "the nic driver has no packet pattern: AllocateAdapterChannel "
                 "allows one request per device object, and a receive ring needs many "
                 "buffers mapped at once; use sg, sg-build or common-buffer");
        return DMS_EINVAL;
    }
    if ((uint64_t)s->ring_entries < s->slots * longest) {
        snprintf(why, len, "ring_entries = %u cannot hold %u packets in flight of up to %llu "
                 "descriptors each; raise ring_entries to %llu or lower queue_depth",
                 s->ring_entries, s->slots, (unsigned long long)longest,
                 (unsigned long long)(s->slots * longest));
        return DMS_EINVAL;
    }
    return 0;
}

const struct dms_adapter_kind dms_adapter_nic = {
    .name = "nic",
    .summary = "network adapter: transmit and receive descriptor rings in a common buffer; "
               "reads receive, writes transmit",
    .patterns = 1u << DMS_PATTERN_SG | 1u << DMS_PATTERN_SG_BUILD |
                1u << DMS_PATTERN_COMMON_BUFFER | 1u << DMS_PATTERN_V3 |
                1u << DMS_PATTERN_V3_SYNC,
    .scatter_gather = true,
    .stream = true,
    .sg_fixed = false,
    .max_transfer_limit = 64u << 10,
    .default_max_transfer = 2048,
    .default_latency_ns = 0, /* the wire time is the link bandwidth */
    .check = nic_check,
    .attach = nic_attach,
    .submit = nic_submit,
    .detach = nic_detach,
    .device_object = dmatx_device_object,
    .dma_adapter = dmatx_dma_adapter,
};
