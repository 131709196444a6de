/*
 * audio.c - an audio-like subordinate device on the PC's 8237 DMA controller, and its
 * driver: playback through an autoinitialized ring buffer, as ISA sound cards did it.
 *
 * The device has no DMA engine. It has a FIFO, a request line wired to an 8237 channel and a
 * DAC that drains the FIFO at the sample rate (the scenario's link_bandwidth). While playing
 * it asserts its request line whenever the FIFO has room, and the channel moves the next
 * bytes of the ring to it. The driver programmed the channel once, in autoinitialize mode,
 * over the whole ring: at terminal count the channel reloads its base address and count and
 * goes on from the ring's start, with no CPU involved. The ring is split into periods; at
 * the end of each the device raises an interrupt.
 *
 * The driver, as the WDK describes common-buffer system DMA:
 *   StartDevice   IoGetDmaAdapter (Master = FALSE, DmaChannel, DmaWidth, AutoInitialize),
 *                 AllocateCommonBuffer for the ring (below 16 MiB, within one 64/128 KiB
 *                 line: the HAL sees to both for an 8237 channel), an MDL over it.
 *   stream start  AllocateAdapterChannel; its execution routine calls MapTransfer once over
 *                 the ring's MDL (which programs the channel) and returns KeepObject.
 *   each write    the I/O's bytes are copied into the next free period (the rest of the
 *                 period is silence), and the device is told the period is ready.
 *   ISR, DPC      the ISR acknowledges and counts the period; the DPC reads ReadDmaCounter,
 *                 the residual count of the ring, to learn how far the channel has read,
 *                 and completes the I/O of every period wholly behind that point; then it
 *                 refills the freed periods.
 *   stream stop   when every period has played and nothing waits: FlushAdapterBuffers once
 *                 (stops the channel) and FreeAdapterChannel. The next write starts again.
 *
 * No DMA routine runs per I/O: the cost of this design is the CPU copy into the ring, the
 * interrupts, and latency: an I/O completes a ring's worth of periods after it was queued.
 *
 * The device only plays: reads are refused (the loader says so first).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/devdma.h"
#include "dmasim/adapter.h"

#define AUDIO_TAG 'oduA'
#define AUDIO_FIFO 512u        /* bytes the device asks for at a time */
#define AUDIO_MAX_PERIODS 32u  /* the scenario key's upper bound */

/* ---- the device model -------------------------------------------------------------------- */

struct audio_hw {
    PDEVICE_OBJECT device;
    const struct dms_bus *bus;
    bool full_data;
    uint32_t period, periods;
    uint8_t fifo[AUDIO_FIFO];
    /* registers the driver writes before telling the device (so no doorbell carries them) */
    uint32_t length[AUDIO_MAX_PERIODS]; /* bytes of sound in each period; the rest is silence */
    const struct dms_io *io[AUDIO_MAX_PERIODS]; /* whose sound it is (for the run's accounts) */
    /* the device's state */
    uint32_t stream;   /* the stream its last GO, ARM or STOP belonged to */
    bool running;      /* between GO and STOP */
    bool working;      /* the DAC is playing a FIFO's worth */
    uint64_t ready;    /* periods the driver has made ready since GO */
    uint64_t fetched;  /* periods wholly read since GO */
    uint32_t offset;   /* bytes of the current period read */
    uint32_t crc_run;  /* of the current period's sound so far */
    /* registers the driver reads */
    uint32_t crc[AUDIO_MAX_PERIODS]; /* per period: crc32 of the sound the device read */
    uint32_t ended;                  /* interrupt status: periods ended since acknowledged */
};

enum audio_cmd_op { AUDIO_GO, AUDIO_READY, AUDIO_STOP };

/* One write to the device's command register, carried by bus->post. */
struct audio_cmd {
    struct audio_hw *hw;
    enum audio_cmd_op op;
    uint32_t stream;
    uint64_t ready;
};

static BOOLEAN audio_isr(void *arg);
static void audio_hw_step(struct audio_hw *hw);

static void audio_hw_played(void *arg)
{
    struct audio_hw *hw = arg;

    hw->working = false;
    audio_hw_step(hw);
}

/* The FIFO has room: read the next bytes of the current period through the DMA channel, and
 * play them. */
static void audio_hw_step(struct audio_hw *hw)
{
    uint32_t k, want, moved = 0, sound;
    int terminal = 0;

    if (!hw->running || hw->working)
        return;
    if (hw->fetched >= hw->ready)
        return; /* the next period is not ready: the DAC plays silence until it is (READY) */
    k = (uint32_t)(hw->fetched % hw->periods);
    if (hw->io[k] != NULL && hw->bus->working_on != NULL)
        hw->bus->working_on(hw->bus->ctx, hw->io[k]); /* the time goes to that write */
    want = hw->period - hw->offset;
    if (want > AUDIO_FIFO)
        want = AUDIO_FIFO;
    /* the 8237 acknowledges the device on its request line: no data register address */
    dms_sysdma_request(hw->device, 0, hw->full_data ? hw->fifo : NULL, want, 1, &moved,
                       &terminal);
    if (moved == 0) {
        /* the channel is masked or not programmed: the device has nothing to play */
        hw->running = false;
        return;
    }
    sound = hw->length[k] > hw->offset ? hw->length[k] - hw->offset : 0;
    if (sound > moved)
        sound = moved;
    if (hw->full_data && sound > 0)
        hw->crc_run = hw->bus->crc32(hw->crc_run, hw->fifo, sound);
    hw->offset += moved;
    if (hw->offset == hw->period) { /* the period is read: latch its crc, interrupt */
        hw->crc[k] = hw->crc_run;
        hw->crc_run = 0;
        hw->offset = 0;
        hw->fetched++;
        if (hw->ended++ == 0)
            hw->bus->interrupt(hw->bus->ctx, audio_isr, hw);
    }
    hw->working = true;
    hw->bus->device_work(hw->bus->ctx, moved, 0, audio_hw_played, hw);
}

/* A write to the command register reaches the device. A command of an older stream than the
 * device's is stale (a STOP overtaken by the next GO) and ignored. */
static void audio_hw_command(void *arg)
{
    struct audio_cmd *c = arg;
    struct audio_hw *hw = c->hw;

    if (c->stream > hw->stream) { /* a new stream: the device starts over */
        hw->stream = c->stream;
        hw->running = false;
        hw->ready = hw->fetched = 0;
        hw->offset = 0;
        hw->crc_run = 0;
        hw->ended = 0;
    }
    if (c->stream == hw->stream) {
        switch (c->op) {
        case AUDIO_GO:
            hw->running = true;
            /* fall through */
        case AUDIO_READY:
            if (c->ready > hw->ready)
                hw->ready = c->ready;
            audio_hw_step(hw);
            break;
        case AUDIO_STOP:
            hw->running = false;
            break;
        }
    }
    free(c);
}

/* ---- the driver -------------------------------------------------------------------------- */

struct dms_adapter_dev {
    PDEVICE_OBJECT Device;
    PDMA_ADAPTER Adapter;
    ULONG MapRegisters;
    const struct dms_bus *Bus;
    /* the ring */
    PUCHAR Ring;
    PHYSICAL_ADDRESS RingLogical;
    PMDL RingMdl;
    ULONG RingBytes, Period, Periods;
    /* the stream */
    PVOID MapRegisterBase;
    bool Started;       /* the channel is ours and programmed */
    bool Starting;      /* AllocateAdapterChannel asked, not yet granted */
    ULONG Stream;       /* numbers streams for the device's commands */
    ULONGLONG Ready;    /* periods filled since the stream started */
    ULONGLONG Done;     /* periods played and completed */
    ULONGLONG Interrupts; /* periods the ISR has counted since the stream started */
    NTSTATUS FailStatus;  /* the stream could not start: the DPC fails what waits */
    struct dms_io *Owner[AUDIO_MAX_PERIODS];
    /* writes waiting for a free period, in order */
    struct dms_io **Queue;
    ULONG QueueSize, QueueHead, QueueCount;
    struct audio_hw Hw;
};

static PDMA_OPERATIONS ops(const struct dms_adapter_dev *ext)
{
    return ext->Adapter->DmaOperations;
}

static void AudioCommand(struct dms_adapter_dev *ext, enum audio_cmd_op op)
{
    struct audio_cmd *c = malloc(sizeof(*c));

    if (c == NULL)
        abort(); /* as the simulator's own job records do */
    *c = (struct audio_cmd){&ext->Hw, op, ext->Stream, ext->Ready};
    ext->Bus->post(ext->Bus->ctx, audio_hw_command, c);
}

/* Copy waiting writes into free periods and tell the device. At DISPATCH_LEVEL. */
static void AudioFill(struct dms_adapter_dev *ext)
{
    ULONGLONG before = ext->Ready;

    while (ext->QueueCount > 0 && ext->Ready - ext->Done < ext->Periods) {
        struct dms_io *io = ext->Queue[ext->QueueHead];
        ULONG k = (ULONG)(ext->Ready % ext->Periods);
        PUCHAR period = ext->Ring + (size_t)k * ext->Period;

        ext->QueueHead = (ext->QueueHead + 1) % ext->QueueSize;
        ext->QueueCount--;
        if (ext->Bus->working_on != NULL)
            ext->Bus->working_on(ext->Bus->ctx, io);
        if (ext->Bus->full_data) {
            memcpy(period, io->buffer, io->bytes);
            memset(period + io->bytes, 0, ext->Period - io->bytes);
        }
        ext->Bus->cpu_copy(ext->Bus->ctx, ext->Period);
        ext->Hw.length[k] = io->bytes;
        ext->Hw.io[k] = io;
        ext->Owner[k] = io;
        ext->Ready++;
    }
    if (ext->Started && ext->Ready != before)
        AudioCommand(ext, AUDIO_READY);
}

/* Common-buffer system DMA: one MapTransfer over the ring programs the channel, which then
 * runs around the ring by itself. */
static IO_ALLOCATION_ACTION AudioExecutionRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                                  PVOID MapRegisterBase, PVOID Context)
{
    struct dms_adapter_dev *ext = Context;
    ULONG length = ext->RingBytes;

    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    ext->Starting = false;
    ops(ext)->MapTransfer(ext->Adapter, ext->RingMdl, MapRegisterBase,
                          MmGetMdlVirtualAddress(ext->RingMdl), &length, TRUE);
    if (length != ext->RingBytes) { /* nothing is programmed: fail what waits, in the DPC */
        ext->FailStatus = STATUS_INSUFFICIENT_RESOURCES;
        IoRequestDpc(ext->Device, NULL, NULL);
        return DeallocateObject;
    }
    ext->MapRegisterBase = MapRegisterBase;
    ext->Stream++;
    ext->Ready = ext->Done = ext->Interrupts = 0;
    AudioFill(ext); /* before GO, which carries what is ready */
    ext->Started = true;
    AudioCommand(ext, AUDIO_GO);
    return KeepObject; /* system DMA: the channel stays ours until FreeAdapterChannel */
}

/* Every period has played and nothing waits: stop the channel and give it back. */
static void AudioStop(struct dms_adapter_dev *ext)
{
    AudioCommand(ext, AUDIO_STOP);
    ops(ext)->FlushAdapterBuffers(ext->Adapter, ext->RingMdl, ext->MapRegisterBase,
                                  MmGetMdlVirtualAddress(ext->RingMdl), ext->RingBytes, TRUE);
    ops(ext)->FreeAdapterChannel(ext->Adapter);
    ext->MapRegisterBase = NULL;
    ext->Started = false;
}

/* Start a stream if none is running. At DISPATCH_LEVEL. */
static NTSTATUS AudioStart(struct dms_adapter_dev *ext)
{
    NTSTATUS status;

    if (ext->Started || ext->Starting)
        return STATUS_SUCCESS;
    ext->Starting = true;
    status = ops(ext)->AllocateAdapterChannel(
        ext->Adapter, ext->Device, ADDRESS_AND_SIZE_TO_SPAN_PAGES(ext->Ring, ext->RingBytes),
        AudioExecutionRoutine, ext);
    if (!NT_SUCCESS(status))
        ext->Starting = false;
    return status;
}

/* How many periods the channel has read since the stream started, from its residual count.
 * The count says where in the ring the channel is, not how many times it went around. Two
 * facts settle that: the channel never passes a period that was not ready (the device stops
 * asking), and it has read at least the periods whose interrupts the ISR counted: when every
 * period was ready and the count is where the last look left it, an interrupt since says
 * the channel went all the way around. */
static ULONGLONG AudioPeriodsRead(struct dms_adapter_dev *ext)
{
    ULONG left = ops(ext)->ReadDmaCounter(ext->Adapter);
    ULONG at = left >= ext->RingBytes ? 0 : ext->RingBytes - left; /* byte the channel is at */
    ULONG done_at = (ULONG)(ext->Done % ext->Periods) * ext->Period;
    ULONGLONG ahead = (at + ext->RingBytes - done_at) % ext->RingBytes / ext->Period;

    if (ahead == 0 && ext->Ready - ext->Done == ext->Periods && ext->Interrupts > ext->Done)
        ahead = ext->Periods; /* all the way around since the last look */
    if (ext->Done + ahead > ext->Ready)
        ahead = ext->Ready - ext->Done; /* cannot be: the device stops at what is not ready */
    return ext->Done + ahead;
}

static VOID AudioDpc(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    struct dms_adapter_dev *ext = DeviceObject->DeviceExtension;
    ULONGLONG read;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(Context);
    if (!NT_SUCCESS(ext->FailStatus)) { /* the stream could not start: nothing plays these */
        while (ext->QueueCount > 0) {
            struct dms_io *io = ext->Queue[ext->QueueHead];
            ext->QueueHead = (ext->QueueHead + 1) % ext->QueueSize;
            ext->QueueCount--;
            io->status = ext->FailStatus;
            io->dma_transfers = 0;
            io->stray_pages = 0;
            ext->Bus->complete(ext->Bus->ctx, io);
        }
        ext->FailStatus = STATUS_SUCCESS;
    }
    if (!ext->Started)
        return;
    read = AudioPeriodsRead(ext);
    while (ext->Done < read) {
        ULONG k = (ULONG)(ext->Done % ext->Periods);
        struct dms_io *io = ext->Owner[k];

        ext->Owner[k] = NULL;
        ext->Done++;
        if (io == NULL)
            continue;
        if (ext->Bus->working_on != NULL)
            ext->Bus->working_on(ext->Bus->ctx, io);
        io->status = STATUS_SUCCESS;
        io->dma_transfers = 1;
        io->crc_device = ext->Hw.crc[k]; /* the device's checksum register for the period */
        io->stray_pages = 0;
        ext->Bus->complete(ext->Bus->ctx, io);
    }
    AudioFill(ext);
    if (ext->Ready == ext->Done && ext->QueueCount == 0)
        AudioStop(ext);
}

static BOOLEAN audio_isr(void *arg)
{
    struct audio_hw *hw = arg;
    struct dms_adapter_dev *ext = hw->device->DeviceExtension;

    if (hw->ended == 0)
        return FALSE; /* not ours */
    /* reading the status register acknowledges; periods of a stream the driver has already
     * stopped count for nothing */
    if (hw->stream == ext->Stream)
        ext->Interrupts += hw->ended;
    hw->ended = 0;
    IoRequestDpc(hw->device, NULL, NULL);
    return TRUE;
}

static NTSTATUS audio_submit(struct dms_adapter_dev *ext, struct dms_io *io)
{
    NTSTATUS status;
    KIRQL old;

    if (!io->write)
        return STATUS_INVALID_DEVICE_REQUEST; /* a playback device */
    if (io->bytes == 0 || io->bytes > ext->Period || ext->QueueCount == ext->QueueSize)
        return STATUS_INVALID_PARAMETER;
    KeRaiseIrql(DISPATCH_LEVEL, &old); /* the driver's spin lock */
    ext->Queue[(ext->QueueHead + ext->QueueCount) % ext->QueueSize] = io;
    ext->QueueCount++;
    if (ext->Started) {
        AudioFill(ext);
    } else if (!NT_SUCCESS(status = AudioStart(ext))) {
        ext->QueueCount--; /* nothing started: the request fails at once */
        KeLowerIrql(old);
        return status;
    }
    KeLowerIrql(old);
    return STATUS_PENDING;
}

/* ---- StartDevice, StopDevice ------------------------------------------------------------- */

static void audio_detach(struct dms_adapter_dev *ext, bool idle)
{
    if (ext->Queue != NULL)
        ExFreePool(ext->Queue);
    ext->Queue = NULL;
    if (!idle) { /* a stopped run: the machine's teardown takes the rest */
        ext->Adapter = NULL;
        return;
    }
    if (ext->RingMdl != NULL)
        IoFreeMdl(ext->RingMdl);
    ext->RingMdl = NULL;
    if (ext->Ring != NULL)
        ops(ext)->FreeCommonBuffer(ext->Adapter, ext->RingBytes, ext->RingLogical, ext->Ring,
                                   FALSE);
    ext->Ring = NULL;
    if (ext->Adapter != NULL)
        ops(ext)->PutDmaAdapter(ext->Adapter);
    ext->Adapter = NULL;
}

static bool audio_word_channel(uint32_t channel)
{
    return channel >= 5;
}

/* The 8237's rules, checked when the scenario is loaded. */
static int audio_check(const struct dms_device_settings *s, char *why, size_t len)
{
    uint64_t ring = (uint64_t)s->periods * s->max_transfer;
    uint64_t line = audio_word_channel(s->dma_line) ? 128u << 10 : 64u << 10;

    if (s->dma_line > 7 || s->dma_line == 4) {
        snprintf(why, len, "dma_line: the 8237 pair has channels 0-3 (bytes) and 5-7 (16-bit "
                 "words); 4 cascades the two, so %u is no channel for a device", s->dma_line);
        return DMS_EINVAL;
    }
    if (audio_word_channel(s->dma_line) && s->max_transfer % 2 != 0) {
        snprintf(why, len, "max_transfer: channel %u moves 16-bit words, so a period is an "
                 "even number of bytes (%u is not)", s->dma_line, s->max_transfer);
        return DMS_EINVAL;
    }
    if (ring > line) {
        snprintf(why, len, "periods: %u periods of %u bytes make a %llu KiB ring; an 8237 "
                 "%s channel cannot cross a %llu KiB line, so its ring holds at most %llu KiB",
                 s->periods, s->max_transfer, (unsigned long long)(ring >> 10),
                 audio_word_channel(s->dma_line) ? "16-bit" : "8-bit",
                 (unsigned long long)(line >> 10), (unsigned long long)(line >> 10));
        return DMS_EINVAL;
    }
    return 0;
}

static NTSTATUS audio_attach(struct dms_machine *m, const struct dms_device_settings *s,
                             const struct dms_bus *bus, struct dms_adapter_dev **out, char *why,
                             size_t len)
{
    PDEVICE_OBJECT dev = dms_device_create(m, s->name, sizeof(struct dms_adapter_dev));
    struct dms_adapter_dev *ext;
    DEVICE_DESCRIPTION desc;
    ULONG needed;

    if (dev == NULL) {
        snprintf(why, len, "no memory for the device object");
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ext = dev->DeviceExtension;
    ext->Device = dev;
    ext->Bus = bus;
    ext->Period = s->max_transfer;
    ext->Periods = s->periods;
    ext->RingBytes = s->max_transfer * s->periods;
    ext->Hw = (struct audio_hw){.device = dev, .bus = bus, .full_data = bus->full_data,
                                .period = ext->Period, .periods = ext->Periods};
    IoInitializeDpcRequest(dev, AudioDpc);
    memset(&desc, 0, sizeof(desc));
    desc.Version = DEVICE_DESCRIPTION_VERSION2;
    desc.Master = FALSE;
    desc.AutoInitialize = TRUE; /* the channel goes around the ring by itself */
    desc.DmaChannel = s->dma_line;
    desc.InterfaceType = Isa;
    desc.DmaWidth = audio_word_channel(s->dma_line) ? Width16Bits : Width8Bits;
    desc.DmaSpeed = Compatible;
    desc.MaximumLength = ext->RingBytes;
    ext->Adapter = IoGetDmaAdapter(dev, &desc, &ext->MapRegisters);
    if (ext->Adapter == NULL) {
        snprintf(why, len, "IoGetDmaAdapter returned NULL: the machine needs an ISA DMA "
                 "controller with channel %u free ([machine] isa_dma)", s->dma_line);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ext->Ring = ops(ext)->AllocateCommonBuffer(ext->Adapter, ext->RingBytes, &ext->RingLogical,
                                               FALSE);
    if (ext->Ring == NULL) {
        snprintf(why, len, "AllocateCommonBuffer of the %u-byte ring returned NULL: no "
                 "contiguous memory below 16 MiB within one DMA line", ext->RingBytes);
        audio_detach(ext, true);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    needed = ADDRESS_AND_SIZE_TO_SPAN_PAGES(ext->Ring, ext->RingBytes);
    if (ext->MapRegisters < needed) {
        snprintf(why, len, "IoGetDmaAdapter gave %u map registers; the ring needs %u",
                 ext->MapRegisters, needed);
        audio_detach(ext, true);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ext->RingMdl = IoAllocateMdl(ext->Ring, ext->RingBytes, FALSE, FALSE, NULL);
    ext->QueueSize = s->slots;
    ext->Queue = ExAllocatePool2(POOL_FLAG_NON_PAGED, s->slots * sizeof(*ext->Queue),
                                 AUDIO_TAG);
    if (ext->RingMdl == NULL || ext->Queue == NULL) {
        snprintf(why, len, "no nonpaged pool for the ring's MDL and %u requests", s->slots);
        audio_detach(ext, true);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    MmBuildMdlForNonPagedPool(ext->RingMdl);
    *out = ext;
    return STATUS_SUCCESS;
}

static PDEVICE_OBJECT audio_device_object(struct dms_adapter_dev *ext)
{
    return ext->Device;
}

static PDMA_ADAPTER audio_dma_adapter(struct dms_adapter_dev *ext)
{
    return ext->Adapter;
}

const struct dms_adapter_kind dms_adapter_audio = {
    .name = "audio",
    .summary = "audio-like subordinate device: playback from a ring buffer (common buffer) "
               "through an autoinitialized 8237 channel, a period per interrupt",
    .patterns = 1u << DMS_PATTERN_PACKET,
    .scatter_gather = false,
    .stream = true,
    .write_only = true,
    .controller_bits = 24, /* the 8237's page and address registers */
    .default_dma_line = 5, /* a 16-bit channel, as 16-bit sound cards used */
    .sg_fixed = true,
    .max_transfer_limit = 64u << 10,
    .default_max_transfer = 4u << 10,
    .default_latency_ns = 0,
    .check = audio_check,
    .attach = audio_attach,
    .submit = audio_submit,
    .detach = audio_detach,
    .device_object = audio_device_object,
    .dma_adapter = audio_dma_adapter,
};
