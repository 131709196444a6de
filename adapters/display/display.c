/*
 * display.c - the display adapter, as the simulator knows it: a graphics card's two DMA
 * engines moving the display driver's buffers between system memory and video memory,
 * modelled at its registers (display_card.c; datasheet docs/hardware/display.md) and driven
 * through the video port by the video miniport shipped for it (display_miniport.c), or a
 * scenario's driver = FILE. A request's device offset is where in video memory it goes.
 */
#include <stdio.h>

#include "dmasim/adapter.h"
#include "display_card.h"

static int card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                       const struct dms_bus *bus, struct dms_card **out)
{
    return disp_card_attach(pdo, bar, s, bus, (struct disp_card **)out);
}

static void card_settle(struct dms_card *card, struct dms_io *io)
{
    disp_card_settle((struct disp_card *)card, io);
}

static void card_detach(struct dms_card *card)
{
    disp_card_free((struct disp_card *)card);
}

static int check(const struct dms_device_settings *s, char *why, size_t len)
{
    if (s->declared_bits != 32 && s->declared_bits != 64) {
        snprintf(why, len, "declared_bits: a video miniport's VP_DEVICE_DESCRIPTION declares "
                 "32 or 64 bits, not %u", s->declared_bits);
        return DMS_EINVAL;
    }
    return 0;
}

static const struct dms_hardware display_card = {
    .driver_entry = DisplayDriverEntry,
    .driver_name = "display",
    .attach = card_attach,
    .needs = "one or two DMA adapters and a common buffer for each engine's descriptor",
    .settle = card_settle,
    .detach = card_detach,
};

const struct dms_adapter_kind dms_adapter_display = {
    .name = "display",
    .summary = "display adapter: two DMA engines between system and video memory, a video "
               "miniport (StartDma/CompleteDma rounds, one DMA adapter an engine)",
    .patterns = 1u << DMS_PATTERN_VIDEOPORT,
    .scatter_gather = true,
    .sg_fixed = true,
    .max_transfer_limit = 16u << 20,
    .default_max_transfer = 1u << 20,
    .default_latency_ns = 0, /* video memory: the bus and the engine take all the time */
    .check = check,
    .hardware = &display_card,
};
