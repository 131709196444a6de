/*
 * capture.c - the capture card, as the simulator knows it: a video sensor and a scatter/gather
 * engine writing each frame into a buffer its driver put on the card's ring, modelled at its
 * registers (capture_card.c; datasheet docs/hardware/capture.md) and driven through AVStream by
 * the minidriver shipped for it (capture_minidriver.c), or a scenario's driver = FILE. Each
 * read is one frame buffer.
 */
#include <stdio.h>

#include <dmasim/ks.h>

#include "dmasim/adapter.h"
#include "capture_card.h"

static int card_attach(PDEVICE_OBJECT pdo, uint64_t bar, const struct dms_device_settings *s,
                       const struct dms_bus *bus, struct dms_card **out)
{
    return cap_card_attach(pdo, bar, s, bus, (struct cap_card **)out);
}

static void card_settle(struct dms_card *card, struct dms_io *io)
{
    cap_card_settle((struct cap_card *)card, io);
}

static void card_detach(struct dms_card *card)
{
    cap_card_free((struct cap_card *)card);
}

/* The card's counts, and AVStream's for its pin (the framework the minidriver stands on). */
static void card_frames(struct dms_card *card, PDEVICE_OBJECT pdo, struct dms_frame_stats *out)
{
    struct dms_ks_stats ks;

    cap_card_frames((struct cap_card *)card, out);
    if (dms_ks_device_stats(pdo, &ks) != 0)
        return;
    out->lock_attempts = ks.lock_attempts;
    out->lock_failures = ks.lock_failures;
    out->frames_mapped = ks.frames_mapped;
    out->map_registers_mapped = ks.map_registers_mapped;
    out->map_registers_peak = ks.map_registers_peak;
    out->locked_peak = ks.locked_peak;
    out->mappings = ks.mappings;
    out->registered_ex = ks.registered_ex;
    out->registered_map_registers = ks.registered_map_registers;
}

/* The capture application's part: the pin's state set through IOCTL_KS_PROPERTY, as a graph
 * sets it (KSPROPSETID_Connection, KSPROPERTY_CONNECTION_STATE; METHOD_NEITHER). AVStream
 * answers it in its dispatch routine, so the property and state kept here outlive the IRP. */
struct cap_graph {
    KSPROPERTY property;
    KSSTATE state;
};

static struct cap_graph *graph_of(struct dms_card *card)
{
    return (struct cap_graph *)cap_card_graph((struct cap_card *)card, sizeof(struct cap_graph));
}

static void stream_done(void *ctx, NTSTATUS status, ULONG_PTR information)
{
    (void)ctx;
    (void)status;
    (void)information;
}

static void card_stream(struct dms_card *card, PDEVICE_OBJECT top, bool run)
{
    struct cap_graph *g = graph_of(card);
    struct dms_request r = {.major = IRP_MJ_DEVICE_CONTROL, .ioctl = IOCTL_KS_PROPERTY};

    if (g == NULL)
        return;
    g->property.Set = KSPROPSETID_Connection;
    g->property.Id = KSPROPERTY_CONNECTION_STATE;
    g->property.Flags = KSPROPERTY_TYPE_SET;
    g->state = run ? KSSTATE_RUN : KSSTATE_STOP;
    r.in = &g->property;
    r.in_length = sizeof(g->property);
    r.out = &g->state;
    r.out_length = sizeof(g->state);
    dms_irp_send(top, &r, stream_done, NULL);
}

static int check(const struct dms_device_settings *s, char *why, size_t len)
{
    if (s->declared_bits != 32 && s->declared_bits != 64) {
        snprintf(why, len, "declared_bits: the capture minidriver declares 32 or 64 bits, not "
                 "%u", s->declared_bits);
        return DMS_EINVAL;
    }
    if (s->max_transfer % 4 != 0) {
        snprintf(why, len, "max_transfer: a frame is whole pixels of 32-bit words (YUY2: two "
                 "pixels a word); %u bytes is not a multiple of 4", s->max_transfer);
        return DMS_EINVAL;
    }
    return 0;
}

static const struct dms_hardware capture_card = {
    .driver_entry = CaptureDriverEntry,
    .driver_name = "capture",
    .attach = card_attach,
    .needs = "a DMA adapter and a common buffer for the ring below the card's reach",
    .settle = card_settle,
    .detach = card_detach,
    .frames = card_frames,
    .stream = card_stream,
};

const struct dms_adapter_kind dms_adapter_capture = {
    .name = "capture",
    .summary = "video capture card: a sensor's frames written by a scatter/gather engine from a "
               "ring of entries, an AVStream minidriver (frame locks, KSMAPPINGs)",
    .patterns = 1u << DMS_PATTERN_AVSTREAM,
    .scatter_gather = true,
    .sg_fixed = true,
    .max_transfer_limit = 16u << 20,
    .default_max_transfer = 1920 * 1080 * 2, /* a 1080p YUY2 frame */
    .default_latency_ns = 0,
    .stream = true,
    .frames = true,
    .check = check,
    .hardware = &capture_card,
};
