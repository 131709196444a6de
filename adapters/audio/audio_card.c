/*
 * audio_card.c - the ISA audio card as a device: registers on a memory BAR, a FIFO, a DMA
 * request line wired to an 8237 channel, a DAC that drains the FIFO at the sample rate (the
 * scenario's link_bandwidth), and one interrupt (docs/hardware/audio.md, audio_hw.h).
 *
 * The card has no DMA engine. While a stream runs it asserts its request line whenever the
 * FIFO has room and the next period is ready, and the channel its driver programmed moves the
 * next bytes of the ring to it: in autoinitialize mode the channel starts over at the ring's
 * start at terminal count, with no CPU involved. At the end of each period the card counts
 * it in INT_STATUS and interrupts. A period the driver has not yet made ready is not asked
 * for: the DAC plays silence until it is.
 *
 * CONTROL and READY writes are posted: each reaches the card when the CPU that wrote it gets
 * there, and two CPUs' writes may arrive in the other order. The stream number in both lets
 * the card drop a write from a stream older than its own (a STOP overtaken by the next RUN).
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/devdma.h"
#include "audio_card.h"
#include "audio_hw.h"

struct audio_card {
    struct devdma dma;
    const struct dms_bus *bus;
    PDEVICE_OBJECT pdo;
    uint8_t fifo[AUDIO_FIFO_BYTES];
    /* registers */
    uint32_t period_bytes, periods, control;
    uint32_t sound[AUDIO_MAX_PERIODS];
    /* the stream, taken at RUN */
    uint8_t stream;
    bool running, working;
    uint32_t period, ring_periods;
    uint64_t ready;   /* periods ready since RUN */
    uint64_t fetched; /* periods wholly read since RUN */
    uint32_t offset;  /* bytes of the current period read */
    uint32_t crc_run; /* of the current period's sound so far */
    uint32_t ended;   /* INT_STATUS: periods ended since acknowledged */
    uint32_t failed;  /* FAILED: periods of the ring the DAC failed to play */
    bool stalled;     /* fault injection: the card stopped asking for data for good */
    struct devrec_log log;
    struct devpost posts; /* CONTROL and READY writes on their way */
};

struct audio_post {
    struct devpost link; /* first: on the card's list until it arrives */
    struct audio_card *card;
    uint32_t reg, value;
};

static void card_step(struct audio_card *c);

static void card_played(void *arg)
{
    struct audio_card *c = arg;

    c->working = false;
    card_step(c);
}

/* The period is read: a record of its sound for the write it carried, then the interrupt. */
static void period_end(struct audio_card *c, uint32_t k)
{
    struct devrec *r = c->sound[k] > 0 ? devrec_push(&c->log, (uint16_t)k) : NULL;

    if (r != NULL) {
        r->bytes = c->sound[k];
        r->crc = c->crc_run;
        r->transfers = 1;
    }
    if (dms_device_error(c->pdo)) /* fault injection: a DAC fault spoils the period */
        c->failed |= 1u << k;
    c->crc_run = 0;
    c->offset = 0;
    c->fetched++;
    if (c->ended < AUDIO_INT_COUNT_MASK && c->ended++ == 0 &&
        (c->control & AUDIO_CONTROL_INT_ENABLE))
        dms_device_interrupt(c->pdo);
}

/* The FIFO has room: read the next bytes of the current period through the channel, and
 * play them. */
static void card_step(struct audio_card *c)
{
    uint32_t k, want, moved = 0, sound;
    int terminal = 0;

    if (!c->running || c->working || c->fetched >= c->ready || c->stalled)
        return;
    if (dms_device_stall(c->pdo)) {
        c->stalled = true; /* fault injection: the request line never asserts again */
        return;
    }
    k = (uint32_t)(c->fetched % c->ring_periods);
    want = c->period - c->offset;
    if (want > AUDIO_FIFO_BYTES)
        want = AUDIO_FIFO_BYTES;
    /* the 8237 acknowledges the card on its request line: no data register address */
    dms_sysdma_request(c->pdo, 0, c->bus->full_data ? c->fifo : NULL, want, 1, &moved,
                       &terminal);
    if (moved == 0) { /* the channel is masked or not programmed: nothing to play */
        c->running = false;
        return;
    }
    sound = c->sound[k] > c->offset ? c->sound[k] - c->offset : 0;
    if (sound > moved)
        sound = moved;
    if (c->bus->full_data && sound > 0)
        c->crc_run = c->bus->crc32(c->crc_run, c->fifo, sound);
    c->offset += moved;
    if (c->offset >= c->period)
        period_end(c, k);
    c->working = true;
    c->bus->device_work(c->bus->ctx, moved, 0, card_played, c);
}

/* True when stream s is older than the card's (8-bit numbers that wrap). */
static bool stale(const struct audio_card *c, uint8_t s)
{
    return (int8_t)(uint8_t)(s - c->stream) < 0;
}

static void card_run(struct audio_card *c, uint8_t stream, bool run)
{
    if (run && (stream != c->stream || !c->running)) { /* a new stream starts over */
        c->stream = stream;
        c->period = c->period_bytes;
        c->ring_periods = c->periods;
        c->running = c->period > 0 && c->ring_periods > 0 &&
                     c->ring_periods <= AUDIO_MAX_PERIODS;
        c->ready = c->fetched = 0;
        c->offset = 0;
        c->crc_run = 0;
        c->ended = 0;
    } else if (!run && stream == c->stream) {
        c->running = false;
    }
}

/* A posted write reaches the card. */
static void post_arrives(void *arg)
{
    struct audio_post p = *(struct audio_post *)arg;
    struct audio_card *c = p.card;

    devpost_done(arg);
    if (p.reg == AUDIO_REG_CONTROL) {
        uint8_t stream = (uint8_t)(p.value >> AUDIO_STREAM_SHIFT);
        if (stale(c, stream))
            return;
        c->control = p.value & 0xFF03u;
        card_run(c, stream, (p.value & AUDIO_CONTROL_RUN) != 0);
    } else { /* READY: a running count modulo 2^24; only a forward move counts */
        uint32_t delta = (p.value - (uint32_t)c->ready) & AUDIO_READY_MASK;
        if ((uint8_t)(p.value >> AUDIO_INT_STREAM_SHIFT) != c->stream || !c->running)
            return;
        if (delta < AUDIO_READY_MASK / 2)
            c->ready += delta;
    }
    card_step(c);
}

static uint64_t card_read(void *ctx, uint64_t offset, unsigned bytes)
{
    struct audio_card *c = ctx;

    (void)bytes;
    switch (offset) {
    case AUDIO_REG_ID: return AUDIO_ID;
    case AUDIO_REG_MAX_PERIODS: return AUDIO_MAX_PERIODS;
    case AUDIO_REG_PERIOD_BYTES: return c->period_bytes;
    case AUDIO_REG_PERIODS: return c->periods;
    case AUDIO_REG_CONTROL: return c->control;
    case AUDIO_REG_INT_STATUS: return c->ended | (uint32_t)c->stream << AUDIO_INT_STREAM_SHIFT;
    case AUDIO_REG_PLAYED: return (uint32_t)c->fetched;
    case AUDIO_REG_FAILED: return c->failed;
    default: return 0;
    }
}

static void card_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    struct audio_card *c = ctx;
    uint32_t v = (uint32_t)value;
    struct audio_post *p;

    (void)bytes;
    if (offset >= AUDIO_REG_SOUND_BYTES &&
        offset < AUDIO_REG_SOUND_BYTES + 4 * AUDIO_MAX_PERIODS) {
        c->sound[(offset - AUDIO_REG_SOUND_BYTES) / 4] = v;
        return;
    }
    switch (offset) {
    case AUDIO_REG_PERIOD_BYTES: c->period_bytes = v; break;
    case AUDIO_REG_PERIODS: c->periods = v; break;
    case AUDIO_REG_INT_STATUS: /* acknowledges as many periods as it says */
        c->ended -= (v & AUDIO_INT_COUNT_MASK) < c->ended ? (v & AUDIO_INT_COUNT_MASK)
                                                          : c->ended;
        break;
    case AUDIO_REG_FAILED: c->failed &= ~v; break; /* write 1 to clear */
    case AUDIO_REG_CONTROL:
    case AUDIO_REG_READY:
        p = devpost_new(&c->posts, sizeof(*p));
        p->card = c;
        p->reg = (uint32_t)offset;
        p->value = v;
        c->bus->post(c->bus->ctx, post_arrives, p);
        break;
    default: break;
    }
}

static const struct dms_register_ops card_ops = {card_read, card_write};

int audio_card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                      const struct dms_bus *bus, struct audio_card **out)
{
    struct audio_card *c = calloc(1, sizeof(*c));
    /* the 8237 channel, then the firmware's words to the driver */
    CM_PARTIAL_RESOURCE_DESCRIPTOR res[2] = {
        {.Type = CmResourceTypeDma, .ShareDisposition = CmResourceShareDeviceExclusive},
        {.Type = CmResourceTypeDevicePrivate},
    };
    int err;

    if (c == NULL)
        return DMS_ENOMEM;
    c->bus = bus;
    c->pdo = pdo;
    res[0].Flags = s->dma_line >= 5 ? CM_RESOURCE_DMA_16 : CM_RESOURCE_DMA_8;
    res[0].u.Dma.Channel = s->dma_line;
    res[1].u.DevicePrivate.Data[AUDIO_PRIVATE_PERIOD_BYTES] = s->max_transfer;
    res[1].u.DevicePrivate.Data[AUDIO_PRIVATE_PERIODS] = s->periods;
    res[1].u.DevicePrivate.Data[AUDIO_PRIVATE_QUEUE] = s->slots;
    err = devdma_init(&c->dma, pdo, 24, bus, AUDIO_FIFO_BYTES, devdma_salt(s->name));
    if (err == 0)
        err = devcard_present(pdo, bar, AUDIO_BAR_BYTES, &card_ops, c, res, 2);
    if (err != 0) {
        audio_card_free(c);
        return err;
    }
    *out = c;
    return 0;
}

/* What the card played for io: the oldest period of its length (writes play in order). */
void audio_card_settle(struct audio_card *c, struct dms_io *io)
{
    devrec_settle(&c->log, io, 4 * AUDIO_MAX_PERIODS);
}

void audio_card_free(struct audio_card *c)
{
    if (c == NULL)
        return;
    devdma_free(&c->dma);
    devrec_free(&c->log);
    devpost_free_all(&c->posts);
    free(c);
}
