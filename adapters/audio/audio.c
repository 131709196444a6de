/*
 * audio.c - the ISA audio card, as the simulator knows it: an audio-like subordinate device
 * on the PC's 8237 DMA controller, playing from a ring buffer through an autoinitialized
 * channel, modelled at its registers (audio_card.c; datasheet docs/hardware/audio.md) and
 * driven by a WDM driver through IRPs: the one shipped for it (audio_wdm.c), or a scenario's
 * driver = FILE.
 */
#include <stdio.h>

#include "dmasim/adapter.h"
#include "audio_card.h"

static int card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                       const struct dms_bus *bus, struct dms_card **out)
{
    return audio_card_attach(pdo, bar, s, bus, (struct audio_card **)out);
}

static void card_settle(struct dms_card *card, struct dms_io *io)
{
    audio_card_settle((struct audio_card *)card, io);
}

static void card_detach(struct dms_card *card)
{
    audio_card_free((struct audio_card *)card);
}

static const struct dms_hardware audio_card = {
    .driver_entry = AudioDriverEntry,
    .driver_name = "audio",
    .attach = card_attach,
    .needs = "an ISA DMA controller ([machine] isa_dma) with its dma_line free, and "
             "contiguous memory below 16 MiB for the ring within one DMA line",
    .settle = card_settle,
    .detach = card_detach,
};

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
    .hardware = &audio_card, /* every run takes the WDM path */
};
