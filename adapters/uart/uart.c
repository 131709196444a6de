/*
 * uart.c - a UART/SPI-like subordinate device on a SoC system DMA controller, and its
 * version-3 driver.
 *
 * The device has no DMA engine: a FIFO and a request line. When the driver starts it, it
 * asserts the line for each FIFO's worth of bytes as the wire takes (or gives) them, and the
 * SoC controller's channel moves them between memory and the FIFO. At the end of the mapped
 * transfer the controller raises its completion interrupt; the HAL runs the driver's
 * DmaCompletionRoutine at DISPATCH_LEVEL.
 *
 * The driver does packet transfers the version-3 way: InitializeDmaTransferContext once per
 * slot, and per request GetDmaTransferInfo, AllocateAdapterChannelEx (its routine returns
 * KeepObject: system DMA keeps the channel), MapTransferEx with a DmaCompletionRoutine and no
 * list of its own, and in the completion routine FlushAdapterBuffersEx, then the next part
 * (MapTransferEx may map less than asked) or FreeAdapterChannel and completion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/devdma.h"
#include "dmasim/adapter.h"
#include "uart_card.h"

#define UART_TAG 'traU'
#define UART_FIFO 64
#define UART_REGISTERS 0xFE000000ULL /* its data register: a page per request line above it */

struct uart_hw {
    PDEVICE_OBJECT device;
    const struct dms_bus *bus;
    uint8_t fifo[UART_FIFO];
    bool full_data;
    bool to_device;
    uint32_t left;  /* bytes of the started transfer still to move */
    uint32_t crc;   /* of the request's bytes so far */
    uint64_t media; /* receive: bytes off the wire so far */
    uint64_t salt;
    uint64_t data_register; /* the bus address of its FIFO's data register */
};

struct uart_request {
    UCHAR Context[DMA_TRANSFER_CONTEXT_SIZE_V1];
    struct dms_adapter_dev *Ext;
    struct dms_io *Io;
    PVOID MapRegisterBase;
    ULONG Done, Current, Transfers;
};

struct dms_adapter_dev {
    PDEVICE_OBJECT Device;
    PDMA_ADAPTER Adapter;
    ULONG MapRegisters;
    ULONG MaxTransfer;
    const struct dms_bus *Bus;
    struct uart_request *Requests; /* one per slot */
    ULONG Slots;
    struct uart_hw Hw;
};

/* ---- the device model -------------------------------------------------------------------- */

static void uart_hw_chunk(struct uart_hw *hw);

/* A FIFO's worth went over the wire: the device asserts its request line. */
static void uart_hw_chunk_done(void *arg)
{
    struct uart_hw *hw = arg;
    uint32_t want = hw->left < UART_FIFO ? hw->left : UART_FIFO, moved = 0;
    int terminal = 0;

    if (!hw->to_device && hw->full_data)
        devdma_media_fill(hw->fifo, hw->media, want, hw->salt);
    dms_sysdma_request(hw->device, hw->data_register, hw->full_data ? hw->fifo : NULL, want,
                       hw->to_device, &moved, &terminal);
    if (hw->full_data && moved > 0)
        hw->crc = hw->bus->crc32(hw->crc, hw->fifo, moved);
    if (!hw->to_device)
        hw->media += moved;
    hw->left -= moved;
    if (moved == want && hw->left > 0 && !terminal)
        uart_hw_chunk(hw);
    /* otherwise the controller has ended the transfer (or it was cancelled): its completion
     * interrupt tells the driver */
}

static void uart_hw_chunk(struct uart_hw *hw)
{
    uint32_t n = hw->left < UART_FIFO ? hw->left : UART_FIFO;

    hw->bus->device_work(hw->bus->ctx, n, 0, uart_hw_chunk_done, hw);
}

/* The driver's "go" register write reaches the device. */
static void uart_hw_go(void *arg)
{
    uart_hw_chunk(arg);
}

static void uart_hw_start(struct uart_hw *hw, BOOLEAN to_device, ULONG bytes, bool first)
{
    hw->to_device = to_device != 0;
    hw->left = bytes;
    if (first)
        hw->crc = 0;
    hw->bus->post(hw->bus->ctx, uart_hw_go, hw);
}

/* ---- the driver -------------------------------------------------------------------------- */

static VOID UartDmaDone(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                        PVOID CompletionContext, DMA_COMPLETION_STATUS Status);

static PDMA_OPERATIONS ops(const struct dms_adapter_dev *ext)
{
    return ext->Adapter->DmaOperations;
}

/* Map what is left of the request (or as much as the controller takes) and start the device.
 * Runs at DISPATCH_LEVEL, holding the adapter channel. */
static NTSTATUS UartMapNext(struct uart_request *r)
{
    struct dms_adapter_dev *ext = r->Ext;
    struct dms_io *io = r->Io;
    ULONG len = io->bytes - r->Done;
    NTSTATUS status;

    if (len > ext->MaxTransfer)
        len = ext->MaxTransfer;
    status = ops(ext)->MapTransferEx(ext->Adapter, io->mdl, r->MapRegisterBase, r->Done, 0,
                                     &len, io->write, NULL, 0, UartDmaDone, r);
    if (!NT_SUCCESS(status))
        return status;
    r->Current = len; /* written before the completion routine can run */
    r->Transfers++;
    uart_hw_start(&ext->Hw, io->write, len, r->Done == 0);
    return STATUS_SUCCESS;
}

static void UartComplete(struct uart_request *r, NTSTATUS status)
{
    struct dms_adapter_dev *ext = r->Ext;
    struct dms_io *io = r->Io;

    r->Io = NULL;
    io->status = status;
    io->dma_transfers = r->Transfers;
    io->crc_device = ext->Hw.crc;
    io->stray_pages = 0;
    ext->Bus->complete(ext->Bus->ctx, io);
}

static IO_ALLOCATION_ACTION UartExecutionRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                                 PVOID MapRegisterBase, PVOID Context)
{
    struct uart_request *r = Context;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    if (r->Ext->Bus->working_on != NULL)
        r->Ext->Bus->working_on(r->Ext->Bus->ctx, r->Io);
    r->MapRegisterBase = MapRegisterBase;
    status = UartMapNext(r);
    if (!NT_SUCCESS(status)) {
        UartComplete(r, status);
        return DeallocateObject; /* nothing was started: give the channel back */
    }
    return KeepObject; /* system DMA: the channel stays with the transfer */
}

/* The controller's completion interrupt, at DISPATCH_LEVEL. */
static VOID UartDmaDone(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                        PVOID CompletionContext, DMA_COMPLETION_STATUS Status)
{
    struct uart_request *r = CompletionContext;
    struct dms_adapter_dev *ext = r->Ext;
    struct dms_io *io = r->Io;
    NTSTATUS status = Status == DmaComplete ? STATUS_SUCCESS : STATUS_CANCELLED;

    UNREFERENCED_PARAMETER(DmaAdapter);
    UNREFERENCED_PARAMETER(DeviceObject);
    if (io == NULL)
        return;
    if (ext->Bus->working_on != NULL)
        ext->Bus->working_on(ext->Bus->ctx, io);
    ops(ext)->FlushAdapterBuffersEx(ext->Adapter, io->mdl, r->MapRegisterBase, r->Done,
                                    r->Current, io->write);
    r->Done += r->Current;
    if (NT_SUCCESS(status) && r->Done < io->bytes) {
        status = UartMapNext(r);
        if (NT_SUCCESS(status))
            return;
    }
    ops(ext)->FreeAdapterChannel(ext->Adapter);
    UartComplete(r, status);
}

static NTSTATUS uart_submit(struct dms_adapter_dev *ext, struct dms_io *io)
{
    struct uart_request *r;
    DMA_TRANSFER_INFO info;
    NTSTATUS status;
    KIRQL old;

    if (io->slot >= ext->Slots || ext->Requests[io->slot].Io != NULL)
        return STATUS_INVALID_PARAMETER;
    r = &ext->Requests[io->slot];
    memset(&info, 0, sizeof(info));
    info.Version = DMA_TRANSFER_INFO_VERSION1;
    status = ops(ext)->GetDmaTransferInfo(ext->Adapter, io->mdl, 0,
                                          io->bytes < ext->MaxTransfer ? io->bytes
                                                                       : ext->MaxTransfer,
                                          io->write, &info);
    if (!NT_SUCCESS(status))
        return status;
    r->Io = io;
    r->Done = r->Current = r->Transfers = 0;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    status = ops(ext)->AllocateAdapterChannelEx(ext->Adapter, ext->Device, r->Context,
                                                info.V1.MapRegisterCount, 0,
                                                UartExecutionRoutine, r, NULL);
    KeLowerIrql(old);
    if (!NT_SUCCESS(status)) {
        r->Io = NULL;
        return status;
    }
    return STATUS_PENDING;
}

static void uart_detach(struct dms_adapter_dev *ext, bool idle)
{
    if (ext->Requests != NULL)
        ExFreePool(ext->Requests);
    ext->Requests = NULL;
    if (ext->Adapter != NULL && idle)
        ops(ext)->PutDmaAdapter(ext->Adapter);
    ext->Adapter = NULL;
}

static NTSTATUS uart_attach(struct dms_machine *m, const struct dms_device_settings *s,
                            const struct dms_bus *bus, struct dms_adapter_dev **out, char *why,
                            size_t len)
{
    PDEVICE_OBJECT dev = dms_device_create(m, s->name, sizeof(struct dms_adapter_dev));
    struct dms_adapter_dev *ext;
    DEVICE_DESCRIPTION desc;

    if (dev == NULL) {
        snprintf(why, len, "no memory for the device object");
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ext = dev->DeviceExtension;
    ext->Device = dev;
    ext->Bus = bus;
    ext->MaxTransfer = s->max_transfer;
    ext->Slots = s->slots;
    ext->Hw = (struct uart_hw){.device = dev, .bus = bus, .full_data = bus->full_data,
                               .salt = devdma_salt(s->name)};
    memset(&desc, 0, sizeof(desc));
    desc.Version = DEVICE_DESCRIPTION_VERSION3;
    desc.Master = FALSE;
    desc.DmaWidth = Width8Bits; /* the FIFO's data register takes bytes */
    desc.DmaRequestLine = s->dma_line;
    ext->Hw.data_register = UART_REGISTERS + 0x1000ULL * s->dma_line;
    desc.DeviceAddress.QuadPart = (LONGLONG)ext->Hw.data_register;
    desc.MaximumLength = s->max_transfer;
    ext->Adapter = IoGetDmaAdapter(dev, &desc, &ext->MapRegisters);
    if (ext->Adapter == NULL) {
        snprintf(why, len, "IoGetDmaAdapter returned NULL: the machine needs a SoC DMA "
                 "controller with a free channel and request line %u ([machine] "
                 "soc_dma_channels, soc_dma_request_lines)", s->dma_line);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    {
        /* the 8237 would take a version-3 subordinate too, but it raises no completion
         * interrupt, and this driver needs one */
        DMA_ADAPTER_INFO info;
        memset(&info, 0, sizeof(info));
        info.Version = DMA_ADAPTER_INFO_VERSION1;
        if (!NT_SUCCESS(ops(ext)->GetDmaAdapterInfo(ext->Adapter, &info)) ||
            info.V1.ScatterGatherLimit < 2) {
            snprintf(why, len, "IoGetDmaAdapter gave an 8237 channel: the driver needs a SoC "
                     "DMA controller's completion interrupt ([machine] soc_dma_channels)");
            uart_detach(ext, true);
            return STATUS_NOT_SUPPORTED;
        }
    }
    ext->Requests = ExAllocatePool2(POOL_FLAG_NON_PAGED, s->slots * sizeof(*ext->Requests),
                                    UART_TAG);
    if (ext->Requests == NULL) {
        snprintf(why, len, "no nonpaged pool for %u requests", s->slots);
        uart_detach(ext, true);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    for (uint32_t i = 0; i < s->slots; i++) {
        ext->Requests[i].Ext = ext;
        ops(ext)->InitializeDmaTransferContext(ext->Adapter, ext->Requests[i].Context);
    }
    *out = ext;
    return STATUS_SUCCESS;
}

static PDEVICE_OBJECT uart_device_object(struct dms_adapter_dev *ext)
{
    return ext->Device;
}

static PDMA_ADAPTER uart_dma_adapter(struct dms_adapter_dev *ext)
{
    return ext->Adapter;
}

/* ---- the card at its registers, for a WDM driver of the user's (uart_card.c) ------------ */

static int card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                       const struct dms_bus *bus, struct dms_card **out)
{
    return uart_card_attach(pdo, bar, s, bus, (struct uart_card **)out);
}

static void card_settle(struct dms_card *card, struct dms_io *io)
{
    uart_card_settle((struct uart_card *)card, io);
}

static void card_detach(struct dms_card *card)
{
    uart_card_free((struct uart_card *)card);
}

/* No WDM driver is shipped for it yet: driver = FILE drives the card at its registers; the
 * patterns keep the driver above. */
static const struct dms_hardware uart_card = {
    .driver_entry = NULL,
    .driver_name = "uart",
    .patterns = 0,
    .attach = card_attach,
    .settle = card_settle,
    .detach = card_detach,
};

const struct dms_adapter_kind dms_adapter_uart = {
    .name = "uart",
    .summary = "UART/SPI-like subordinate device: a FIFO on a SoC DMA controller's request "
               "line, driven with MapTransferEx and a DmaCompletionRoutine",
    .patterns = 1u << DMS_PATTERN_V3,
    .scatter_gather = true, /* the controller's */
    .stream = true,
    .controller_bits = 32, /* the SoC controller's */
    .sg_fixed = true,
    .max_transfer_limit = 1u << 20,
    .default_max_transfer = 4u << 10,
    .default_latency_ns = 0,
    .check = NULL,
    .attach = uart_attach,
    .submit = uart_submit,
    .detach = uart_detach,
    .device_object = uart_device_object,
    .dma_adapter = uart_dma_adapter,
    .hardware = &uart_card,
};
