/*
 * legacy.c - a legacy bus master without scatter/gather, and its driver.
 *
 * The hardware is the older kind of card: one address register, one count register, a
 * direction bit and a "go" bit; it moves one physically contiguous range at a time and raises
 * its interrupt when done. It cannot take a list, so every buffer the driver hands it must look
 * contiguous in logical space: the HAL gives it that with map registers (consecutive bounce
 * pages), which is what makes such devices expensive on a large machine. Often it has only 24
 * address lines (an ISA bus master), and its registers are the width of its lines.
 *
 * The driver serialises its requests itself, as a StartIo driver does: one transaction at a
 * time on the hardware, the rest in a FIFO, the next started from the DPC of the last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/devdma.h"
#include "../lib/dmatx.h"
#include "legacy_card.h"

#define LEGACY_TAG 'geL_'

/* ---- the device model -------------------------------------------------------------------- */

struct legacy_hw {
    struct devdma dma;
    const struct dms_bus *bus;
    uint32_t max_transfer;
    /* the registers the driver writes */
    ULONGLONG address;
    ULONG count;
    bool to_device;
    ULONGLONG media_offset; /* the "sector" register */
    bool first;             /* instrumentation: a new request starts a new crc */
    /* what the driver reads back */
    bool busy, interrupt_pending;
    NTSTATUS status;
    uint32_t crc, strays;
};

static BOOLEAN legacy_isr(void *arg);

static void legacy_hw_done(void *arg)
{
    struct legacy_hw *hw = arg;
    struct devdma_element el = {hw->address, hw->count};

    hw->strays += devdma_move(&hw->dma, &el, 1, hw->to_device, hw->media_offset, &hw->crc);
    hw->busy = false;
    hw->status = STATUS_SUCCESS;
    hw->interrupt_pending = true;
    hw->bus->interrupt(hw->bus->ctx, legacy_isr, hw);
}

/* The "go" bit reaches the device. */
static void legacy_hw_go_arrives(void *arg)
{
    struct legacy_hw *hw = arg;

    if (hw->first) {
        hw->crc = 0;
        hw->strays = 0;
    }
    if (hw->busy || hw->count == 0 || hw->count > hw->max_transfer) {
        hw->status = STATUS_IO_DEVICE_ERROR;
        hw->interrupt_pending = true;
        hw->bus->interrupt(hw->bus->ctx, legacy_isr, hw);
        return;
    }
    hw->busy = true;
    hw->bus->device_work(hw->bus->ctx, hw->count, 1, legacy_hw_done, hw);
}

static void legacy_hw_go(struct legacy_hw *hw)
{
    hw->bus->post(hw->bus->ctx, legacy_hw_go_arrives, hw);
}

/* ---- the driver -------------------------------------------------------------------------- */

struct dms_adapter_dev {
    struct dmatx_enabler Dma;   /* first: dmatx relies on it; holds the device and bus */
    struct legacy_hw Hw;
    struct dms_io *Current;     /* the request on the hardware */
    struct dms_io **Queue;      /* FIFO of waiting requests, slots long */
    ULONG QueueHead, QueueCount;
};

static void LegacyStartNext(struct dms_adapter_dev *ext);

/* dmatx's program routine: with one contiguous element, write the registers and go. */
static void LegacyProgram(struct dmatx *tx, PSCATTER_GATHER_LIST sgl)
{
    struct dms_adapter_dev *ext = tx->en->driver;
    struct legacy_hw *hw = &ext->Hw;
    struct dms_io *io = tx->request;

    if (sgl == NULL || sgl->NumberOfElements != 1) {
        if (NT_SUCCESS(tx->status))
            tx->status = STATUS_INVALID_DEVICE_REQUEST; /* the card takes one range */
        hw->status = tx->status;
        hw->interrupt_pending = true;
        hw->bus->interrupt(hw->bus->ctx, legacy_isr, hw);
        return;
    }
    hw->address = (ULONGLONG)sgl->Elements[0].Address.QuadPart;
    hw->count = sgl->Elements[0].Length;
    hw->to_device = tx->write_to_device;
    hw->media_offset = io->offset + tx->done;
    hw->first = tx->transfers == 1;
    legacy_hw_go(hw);
}

static void LegacyComplete(struct dms_adapter_dev *ext, struct dmatx *tx)
{
    ext->Current = NULL;
    dmatx_complete(tx, ext->Hw.crc, ext->Hw.strays);
    LegacyStartNext(ext);
}

static VOID LegacyDpc(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    struct dms_adapter_dev *ext = DeviceObject->DeviceExtension;
    struct dmatx *tx;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(Context);
    if (ext->Current == NULL)
        return;
    tx = &ext->Dma.txs[ext->Current->slot];
    if (!NT_SUCCESS(ext->Hw.status))
        tx->status = ext->Hw.status;
    if (dmatx_transfer_done(tx))
        LegacyComplete(ext, tx);
}

static BOOLEAN legacy_isr(void *arg)
{
    struct legacy_hw *hw = arg;

    if (!hw->interrupt_pending)
        return FALSE;
    hw->interrupt_pending = false;
    IoRequestDpc(hw->dma.device, NULL, NULL);
    return TRUE;
}

/* StartIo: put the next waiting request on the hardware. */
static void LegacyStartNext(struct dms_adapter_dev *ext)
{
    struct dms_io *io;
    NTSTATUS status;

    while (ext->Current == NULL && ext->QueueCount > 0) {
        io = ext->Queue[ext->QueueHead];
        ext->QueueHead = (ext->QueueHead + 1) % ext->Dma.slots;
        ext->QueueCount--;
        ext->Current = io;
        status = dmatx_execute(&ext->Dma, io->slot, io, io->mdl, io->buffer, io->bytes,
                               io->write);
        if (!NT_SUCCESS(status)) {
            ext->Current = NULL;
            io->status = status;
            ext->Dma.bus->complete(ext->Dma.bus->ctx, io);
        }
    }
}

static NTSTATUS legacy_submit(struct dms_adapter_dev *ext, struct dms_io *io)
{
    if (io->slot >= ext->Dma.slots || ext->QueueCount == ext->Dma.slots)
        return STATUS_INVALID_PARAMETER;
    ext->Queue[(ext->QueueHead + ext->QueueCount++) % ext->Dma.slots] = io;
    LegacyStartNext(ext);
    return STATUS_PENDING;
}

/* ---- StartDevice, StopDevice ------------------------------------------------------------- */

static void legacy_detach(struct dms_adapter_dev *ext, bool idle)
{
    if (ext->Queue != NULL)
        ExFreePool(ext->Queue);
    dmatx_enabler_release(&ext->Dma, idle);
    devdma_free(&ext->Hw.dma);
}

static NTSTATUS legacy_attach(struct dms_machine *m, const struct dms_device_settings *s,
                              const struct dms_bus *bus, struct dms_adapter_dev **out,
                              char *why, size_t len)
{
    void *extension = NULL;
    NTSTATUS status = dmatx_add_device(m, s, bus, sizeof(struct dms_adapter_dev), LegacyDpc,
                                       LegacyProgram, &extension, why, len);
    struct dms_adapter_dev *ext = extension;

    if (ext == NULL)
        return status;
    ext->Hw.bus = bus;
    ext->Hw.max_transfer = s->max_transfer;
    if (NT_SUCCESS(status)) {
        ext->Queue = ExAllocatePool2(POOL_FLAG_NON_PAGED, s->slots * sizeof(*ext->Queue),
                                     LEGACY_TAG);
        if (ext->Queue == NULL ||
            devdma_init(&ext->Hw.dma, ext->Dma.device, s->address_bits, bus, s->max_transfer,
                        devdma_salt(s->name)) != 0) {
            snprintf(why, len, "no memory for the request queue");
            status = STATUS_INSUFFICIENT_RESOURCES;
        }
    }
    if (!NT_SUCCESS(status)) {
        legacy_detach(ext, true);
        return status;
    }
    *out = ext;
    return STATUS_SUCCESS;
}

static int legacy_check(const struct dms_device_settings *s, char *why, size_t len)
{
    if (s->scatter_gather) {
        snprintf(why, len, "the legacy adapter has no scatter/gather engine: it moves one "
                 "contiguous range at a time (set scatter_gather = no, or use storage)");
        return DMS_EINVAL;
    }
    return 0;
}

/* ---- the card at its registers, for the WDM driver (legacy_card.c, legacy_wdm.c) ------- */

static int card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                       const struct dms_bus *bus, struct dms_card **out)
{
    return legacy_card_attach(pdo, bar, s, bus, (struct legacy_card **)out);
}

static void card_settle(struct dms_card *card, struct dms_io *io)
{
    legacy_card_settle((struct legacy_card *)card, io);
}

static void card_detach(struct dms_card *card)
{
    legacy_card_free((struct legacy_card *)card);
}

static const struct dms_hardware legacy_card = {
    .driver_entry = LegacyDriverEntry,
    .driver_name = "legacy",
    .patterns = 1u << DMS_PATTERN_PACKET,
    .attach = card_attach,
    .settle = card_settle,
    .detach = card_detach,
};

const struct dms_adapter_kind dms_adapter_legacy = {
    .name = "legacy",
    .summary = "bus master without scatter/gather: one contiguous range at a time through "
               "address and count registers",
    .patterns = 1u << DMS_PATTERN_PACKET | 1u << DMS_PATTERN_SG | 1u << DMS_PATTERN_SG_BUILD |
                1u << DMS_PATTERN_COMMON_BUFFER | 1u << DMS_PATTERN_V3 |
                1u << DMS_PATTERN_V3_SYNC,
    .scatter_gather = false,
    .sg_fixed = true,
    .max_transfer_limit = 1u << 20,
    .default_max_transfer = 64u << 10,
    .default_latency_ns = 0, /* its engine is the whole cost */
    .check = legacy_check,
    .attach = legacy_attach,
    .submit = legacy_submit,
    .detach = legacy_detach,
    .device_object = dmatx_device_object,
    .dma_adapter = dmatx_dma_adapter,
    .hardware = &legacy_card,
};
