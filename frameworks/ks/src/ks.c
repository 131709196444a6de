/*
 * ks.c - AVStream on the HAL's public interface, the way ks.sys serves a pin-centric DMA capture
 * minidriver (ks.h; the stream pointer and DMA pages; kmdf-avstream.md part B):
 *
 *   KsInitializeDriver    the KSDEVICE_DESCRIPTOR kept; the driver object taken over (every
 *                         major function, AddDevice)
 *   AddDevice             the functional device object with its KSDEVICE; Dispatch->Add
 *   IRP_MN_START_DEVICE   (the bus driver below first) Dispatch->Start with the translated and
 *                         raw resources, the descriptor's filter factories, PostStart; then
 *                         the graph's part: a filter from the first factory and its pin 0
 *                         (Create dispatches), connected in the pin's first data range
 *   IOCTL_KS_PROPERTY     KSPROPSETID_Connection / KSPROPERTY_CONNECTION_STATE: the pin's run
 *                         state, stepped one state at a time through SetDeviceState (STOP,
 *                         ACQUIRE, PAUSE, RUN and back); at STOP the queue is flushed
 *   IRP_MJ_READ           a frame for the pin's queue (the application's capture buffer, as
 *                         IOCTL_KS_READ_STREAM brings one: a KSSTREAM_HEADER of FrameExtent
 *                         bytes); it completes when no stream pointer references it and the
 *                         leading edge (and a distinct trailing edge) has passed it, with
 *                         DataUsed bytes
 *   stop, remove          the pin to STOP, Dispatch->Stop, Dispatch->Remove, the bags freed
 *
 * Processing: Process runs when a frame arrives into a queue whose leading edge had none (or
 * on every arrival with INITIATE_PROCESSING_ON_EVERY_ARRIVAL), when the pin reaches its
 * processing state with frames queued, and at KsPinAttemptProcessing: synchronously where the
 * IRQL allows (below the pin's processing IRQL: PASSIVE_LEVEL, or DISPATCH_LEVEL with
 * DISPATCH_LEVEL_PROCESSING), else from a work item (or a DPC); never re-entered (a trigger
 * inside Process runs it again when it returns). STATUS_PENDING from Process waits for the
 * next trigger.
 *
 * Mappings (KSPIN_FLAG_GENERATE_MAPPINGS), model decisions after the documentation
 * (kmdf-avstream.md B2, "what a frame lock is"): a frame is mapped the first time a stream
 * pointer referencing it is locked, through the registered adapter's GetScatterGatherList at
 * DISPATCH_LEVEL (a capture pin's frames are written by the device), each element cut at
 * MaxMappingsByteCount into KSMAPPINGs MappingTableStride bytes apart (PhysicalAddress the
 * element's logical address, Alignment the adapter's GetDmaAlignment). The mapping lasts until
 * the frame completes, when its lists are put back (and bounced bytes copied into the frame).
 *   - RegisterAdapterObjectEx gives AVStream the adapter's NumberOfMapRegisters: it maps a
 *     frame in pieces of at most that many pages, so a frame larger than one grant still maps.
 *     KsDeviceRegisterAdapterObject gives no count: AVStream maps a frame in one request, and
 *     the HAL refuses a frame that needs more map registers than the adapter has.
 *   - A lock cannot wait: when the adapter needs map registers (double-buffering) and its
 *     bounce pool has fewer free than the frame needs now, the lock fails at once - "low
 *     memory buffers are a limited resource", and each frame held locked holds its share -
 *     as it does when the HAL refuses. A failed lock is NULL from the leading edge and
 *     STATUS_DEVICE_NOT_READY from KsStreamPointerLock and the advances; the frame stays
 *     queued, unmapped, for the next attempt.
 * DataUsed: in a mapped queue it is the minidriver's to set; in a queue without mappings
 * AVStream sets it to Count - Remaining (bytes) as an output pin's pointer advances (the
 * sample's reading of a documented contradiction, kmdf-avstream.md B2).
 *
 * Every pointer a minidriver hands over (a device, filter, pin or stream pointer, an adapter,
 * a bag) is found among AVStream's own records by identity before it is used; misuse (an edge
 * deleted, an unlocked pointer advanced, a stream pointer routine above DISPATCH_LEVEL) is a
 * finding and the call does nothing.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmasim/hal.h"
#include "dmasim/ks.h"

#define KS_DEVICE_MAGIC  0x4B534456u /* "KSDV" */
#define KS_POINTER_MAGIC 0x4B535350u /* "KSSP" */
#define KS_MAX_PIECES    256         /* GetScatterGatherList requests one frame may take */

#ifndef STATUS_NOINTERFACE
#define STATUS_NOINTERFACE ((NTSTATUS)0xC00002B9L)
#endif

struct ks_bag_item {
    struct ks_bag_item *next;
    PVOID item;
    PFNKSFREE free;
};

struct ks_bag {
    struct ks_bag_item *items;
};

struct ks_pin;
struct ks_device;

/* One queued frame: the application's buffer, until its IRP completes. */
struct ks_frame {
    struct ks_frame *next, *prev;   /* the pin's queue, oldest first */
    PIRP irp;
    PMDL mdl;
    PKSSTREAM_HEADER header;        /* AVStream's, StreamHeaderSize bytes */
    ULONG refs;                     /* stream pointers on it */
    bool passed_leading, passed_trailing;
    NTSTATUS status;                /* KsStreamPointerSetStatusCode's, for the IRP */
    /* mappings */
    bool mapped;
    PUCHAR table;                   /* KSMAPPINGs, stride bytes apart */
    ULONG entries;
    PSCATTER_GATHER_LIST list[KS_MAX_PIECES];
    ULONG lists;
    ULONG registers;                /* map registers its lists hold */
};

/* A stream pointer: the minidriver sees sp; the rest is AVStream's. */
struct ks_pointer {
    KSSTREAM_POINTER sp;            /* first */
    uint32_t magic;
    struct ks_pin *pin;
    struct ks_frame *frame;
    bool locked, clone, mapped_offsets; /* mapped_offsets: OffsetOut describes its mappings */
    PFNKSSTREAMPOINTER cancel;
    struct ks_pointer *next_clone, *prev_clone;
};

/* A clone's ContextSize bytes follow it, 16-byte aligned. */
#define KS_CLONE_HEAD ((sizeof(struct ks_pointer) + 15) & ~(size_t)15)

/* A list request AVStream makes at a lock: filled by the HAL's callback. If the HAL queues
 * it instead (the lock cannot wait), it is abandoned, and put back when its callback runs. */
struct ks_piece {
    PSCATTER_GATHER_LIST list;
    PDMA_ADAPTER adapter;
    BOOLEAN write;
    bool called, abandoned;
};

struct ks_pin {
    KSPIN pub;                      /* first */
    struct ks_device *dev;
    struct ks_frame *head, *tail;
    struct ks_pointer leading, trailing;
    struct ks_pointer *clones, *clones_tail;
    bool processing, again, work_queued, dpc_queued, dead;
    PIO_WORKITEM work;
    KDPC dpc;
    struct ks_bag bag;
    PKSDATAFORMAT format;
    ULONG mapped_frames, registers_held;
};

struct ks_filter {
    KSFILTER pub;                   /* first */
    struct ks_device *dev;
    struct ks_bag bag;
};

struct ks_factory {
    KSFILTERFACTORY pub;            /* first */
    struct ks_factory *next;
    struct ks_bag bag;
};

struct ks_driver {
    struct ks_driver *next;
    PDRIVER_OBJECT wdm;
    const KSDEVICE_DESCRIPTOR *descriptor;
};

struct ks_device {
    KSDEVICE pub;                   /* first */
    uint32_t magic;
    struct ks_device *next;         /* the machine's */
    struct ks_driver *driver;
    IUnknown outer;
    IKsDeviceFunctions functions;
    ULONG interface_refs;
    struct ks_bag bag;
    struct ks_factory *factories;
    struct ks_filter *filter;       /* the graph's one filter, and its pin */
    struct ks_pin *pin;
    int acquired;
    /* the registered adapter */
    PDMA_ADAPTER adapter;
    bool registered_ex;
    ULONG map_registers, max_mapping, stride;
    DEVICE_DESCRIPTION description;
    struct dms_ks_stats stats;
    char lock_why[200];             /* why the last lock failed, for the trace */
};

struct ks_state {
    struct ks_driver *drivers;
    struct ks_device *devices;
};

static void pin_free(struct ks_pin *p);

/* ---------------------------------------------------------------------------------------------
 * The machine's records, and checking what a minidriver hands over.
 */
static void bag_free(struct ks_bag *b)
{
    while (b->items != NULL) {
        struct ks_bag_item *i = b->items;
        b->items = i->next;
        if (i->free != NULL)
            i->free(i->item);
        else
            ExFreePool(i->item);
        free(i);
    }
}

static void state_free(void *p)
{
    struct ks_state *st = p;

    /* devices never removed (the machine goes first): AVStream's own records of them; what
     * they hold of the HAL's, the machine frees itself */
    for (struct ks_device *d = st->devices; d != NULL; d = d->next) {
        if (d->pin != NULL) {
            struct ks_pin *pin = d->pin;
            while (pin->head != NULL) {
                struct ks_frame *f = pin->head;
                pin->head = f->next;
                free(f->table);
                free(f->header);
                free(f);
            }
            while (pin->clones != NULL) {
                struct ks_pointer *c = pin->clones;
                pin->clones = c->next_clone;
                free(c);
            }
            bag_free(&pin->bag);
            if (pin->work != NULL && !pin->work_queued)
                IoFreeWorkItem(pin->work);
            free(pin->format);
            free(pin);
        }
        if (d->filter != NULL)
            bag_free(&d->filter->bag);
        free(d->filter);
        while (d->factories != NULL) {
            struct ks_factory *f = d->factories;
            d->factories = f->next;
            bag_free(&f->bag);
            free(f);
        }
        bag_free(&d->bag); /* the minidriver's items: pool the machine still has */
    }
    for (struct ks_driver *d = st->drivers, *n; d != NULL; d = n) {
        n = d->next;
        free(d);
    }
    free(st);
}

static struct ks_state *ks_state(void)
{
    return dms_machine_framework_state(dms_machine_current(), DMS_FRAMEWORK_KS,
                                       sizeof(struct ks_state), state_free, NULL);
}

static void ks_finding(const char *routine, uint32_t code, uint64_t p2, const char *what)
{
    dms_report_finding(dms_machine_current(), routine, code, p2, 0, 0, "%s: %s", routine, what);
}

static bool irql_ok(KIRQL most, const char *routine)
{
    KIRQL irql = KeGetCurrentIrql();

    if (irql <= most)
        return true;
    dms_report_finding(dms_machine_current(), routine, DMS_E6_WRONG_IRQL, irql, most, 0,
                       "%s at IRQL %u: it may be called at %s only", routine, (unsigned)irql,
                       most == PASSIVE_LEVEL ? "PASSIVE_LEVEL" : "DISPATCH_LEVEL or below");
    return false;
}

static struct ks_device *device_find(PVOID object)
{
    struct ks_state *st = ks_state();

    for (struct ks_device *d = st != NULL ? st->devices : NULL; d != NULL; d = d->next)
        if (object == (PVOID)&d->pub)
            return d;
    return NULL;
}

static struct ks_device *device_of(PKSDEVICE Device, const char *routine)
{
    struct ks_device *d = device_find(Device);

    if (d == NULL)
        ks_finding(routine, DMS_CHECK_BAD_ARGUMENT, (uint64_t)(uintptr_t)Device,
                   "Device is not a KSDEVICE AVStream made");
    return d;
}

static struct ks_pin *pin_find(PVOID object)
{
    struct ks_state *st = ks_state();

    for (struct ks_device *d = st != NULL ? st->devices : NULL; d != NULL; d = d->next)
        if (d->pin != NULL && object == (PVOID)&d->pin->pub)
            return d->pin;
    return NULL;
}

static struct ks_pin *pin_of(PKSPIN Pin, const char *routine)
{
    struct ks_pin *p = pin_find(Pin);

    if (p == NULL)
        ks_finding(routine, DMS_CHECK_BAD_ARGUMENT, (uint64_t)(uintptr_t)Pin,
                   "Pin is not a KSPIN AVStream made (or it was closed)");
    return p;
}

/* The stream pointer at sp, found among the pins' edges and clones (never read before). */
static struct ks_pointer *pointer_of(PKSSTREAM_POINTER sp, const char *routine)
{
    struct ks_state *st = ks_state();

    for (struct ks_device *d = st != NULL ? st->devices : NULL; d != NULL; d = d->next) {
        struct ks_pin *p = d->pin;
        if (p == NULL)
            continue;
        if (sp == &p->leading.sp)
            return &p->leading;
        if (sp == &p->trailing.sp && (p->pub.Descriptor->Flags & KSPIN_FLAG_DISTINCT_TRAILING_EDGE))
            return &p->trailing;
        for (struct ks_pointer *c = p->clones; c != NULL; c = c->next_clone)
            if (sp == &c->sp)
                return c;
    }
    ks_finding(routine, DMS_CHECK_BAD_ARGUMENT, (uint64_t)(uintptr_t)sp,
               "StreamPointer is not a stream pointer AVStream gave (a clone deleted, or never "
               "one)");
    return NULL;
}

static bool is_mapped_queue(const struct ks_pin *p)
{
    return (p->pub.Descriptor->Flags & KSPIN_FLAG_GENERATE_MAPPINGS) != 0;
}

static bool is_output(const struct ks_pin *p)
{
    return p->pub.DataFlow == KSPIN_DATAFLOW_OUT;
}

/* ---------------------------------------------------------------------------------------------
 * Mappings.
 */
static VOID piece_ready(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST SgList,
                        PVOID Context)
{
    struct ks_piece *piece = Context;

    (void)DeviceObject;
    (void)Irp;
    if (piece->abandoned) {
        piece->adapter->DmaOperations->PutScatterGatherList(piece->adapter, SgList, piece->write);
        free(piece);
        return;
    }
    piece->list = SgList;
    piece->called = true;
}

/* The frame's lists back to the HAL (at DISPATCH_LEVEL, where PutScatterGatherList runs). */
static void lists_put(struct ks_pin *p, struct ks_frame *f)
{
    PDMA_ADAPTER a = p->dev->adapter;
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    for (ULONG i = 0; i < f->lists; i++)
        if (a != NULL)
            a->DmaOperations->PutScatterGatherList(a, f->list[i], !is_output(p));
    KeLowerIrql(old);
    f->lists = 0;
}

static void frame_unmap(struct ks_pin *p, struct ks_frame *f)
{
    if (!f->mapped)
        return;
    lists_put(p, f);
    p->registers_held -= f->registers;
    p->mapped_frames--;
    f->registers = 0;
    free(f->table);
    f->table = NULL;
    f->entries = 0;
    f->mapped = false;
}

static bool frame_map_now(struct ks_pin *p, struct ks_frame *f, const char *routine);

/* The frame's first lock in a mapped queue, in the routine that locks it: its KSMAPPINGs.
 * false: the lock fails. Traced as a call of routine, its GetScatterGatherList calls inside. */
static bool frame_map(struct ks_pin *p, struct ks_frame *f, const char *routine)
{
    struct dms_machine *m = dms_machine_current();
    bool ok;

    if (dms_tracing_calls(m))
        dms_trace_call(m, DMS_EV_CALL, routine, 0,
                       "LOCKED: the frame's first lock, so AVStream maps its %u bytes through "
                       "the registered adapter", (unsigned)f->header->FrameExtent);
    ok = frame_map_now(p, f, routine);
    if (dms_tracing_calls(m)) {
        if (ok)
            dms_trace_call(m, DMS_EV_RETURN, routine, 0,
                           "locks the frame: %u request%s, %u KSMAPPING%s, %u map registers "
                           "held until the frame completes", (unsigned)f->lists,
                           f->lists == 1 ? "" : "s", (unsigned)f->entries,
                           f->entries == 1 ? "" : "s", (unsigned)f->registers);
        else
            dms_trace_call(m, DMS_EV_RETURN, routine, STATUS_DEVICE_NOT_READY,
                           "cannot lock the frame (NULL, or STATUS_DEVICE_NOT_READY): %s",
                           p->dev->lock_why);
    }
    return ok;
}

static bool frame_map_now(struct ks_pin *p, struct ks_frame *f, const char *routine)
{
    struct ks_device *d = p->dev;
    PDMA_ADAPTER a = d->adapter;
    struct dms_adapter_info info;
    struct ks_piece *piece;
    PUCHAR va = MmGetMdlVirtualAddress(f->mdl);
    ULONG length = f->header->FrameExtent, offset = 0, piece_bytes, need = 0, entries = 0;
    ULONG max_mapping, alignment, stride;
    bool entered;
    uint64_t saved;
    NTSTATUS status = STATUS_SUCCESS;
    KIRQL old;

    d->stats.lock_attempts++;
    if (a == NULL || dms_adapter_info(a, &info) != 0) {
        snprintf(d->lock_why, sizeof(d->lock_why), "no DMA adapter is registered");
        ks_finding(routine, DMS_CHECK_DRIVER, 0,
                   "a pin that generates mappings locked a frame with no adapter registered (the "
                   "minidriver must call KsDeviceRegisterAdapterObject, or "
                   "RegisterAdapterObjectEx, before processing any data)");
        d->stats.lock_failures++;
        return false;
    }
    /* one request a piece: NumberOfMapRegisters pages with Ex, else the whole frame */
    if (d->registered_ex && d->map_registers > 1)
        piece_bytes = (d->map_registers - 1) * PAGE_SIZE;
    else
        piece_bytes = length;
    for (ULONG at = 0; at < length; at += piece_bytes) {
        ULONG n = length - at < piece_bytes ? length - at : piece_bytes;
        need += (ULONG)ADDRESS_AND_SIZE_TO_SPAN_PAGES(va + at, n);
    }
    if (info.needs_map_registers && need > dms_adapter_free_map_registers(a)) {
        d->stats.lock_failures++; /* low memory is short now: the lock cannot wait for it */
        snprintf(d->lock_why, sizeof(d->lock_why), "the frame needs %u map registers and the "
                 "bounce pool has %u free now (a lock cannot wait)", (unsigned)need,
                 (unsigned)dms_adapter_free_map_registers(a));
        return false;
    }
    entered = dms_irp_context_enter(dms_machine_current(), f->irp, &saved);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    while (offset < length && f->lists < KS_MAX_PIECES) {
        ULONG n = length - offset < piece_bytes ? length - offset : piece_bytes;
        if ((piece = calloc(1, sizeof(*piece))) == NULL) {
            status = STATUS_INSUFFICIENT_RESOURCES;
            break;
        }
        piece->adapter = a;
        piece->write = !is_output(p);
        status = a->DmaOperations->GetScatterGatherList(a, d->pub.FunctionalDeviceObject, f->mdl,
                                                        va + offset, n, piece_ready, piece,
                                                        !is_output(p));
        if (!NT_SUCCESS(status)) {
            free(piece);
            break;
        }
        if (!piece->called) {
            /* the HAL queued it after all (another adapter took the pool): a lock cannot
             * wait; the list goes back when it comes */
            piece->abandoned = true;
            status = STATUS_INSUFFICIENT_RESOURCES;
            break;
        }
        f->list[f->lists++] = piece->list;
        free(piece);
        offset += n;
    }
    KeLowerIrql(old);
    if (NT_SUCCESS(status) && offset < length)
        status = STATUS_INSUFFICIENT_RESOURCES; /* more requests than AVStream keeps a frame */
    if (!NT_SUCCESS(status)) {
        lists_put(p, f);
        dms_irp_context_leave(dms_machine_current(), entered, saved);
        d->stats.lock_failures++;
        snprintf(d->lock_why, sizeof(d->lock_why), "GetScatterGatherList refused %s (0x%08x)%s",
                 d->registered_ex ? "a piece of the frame" : "the frame's bytes in one request",
                 (unsigned)status,
                 d->registered_ex ? "" : ": KsDeviceRegisterAdapterObject gave AVStream no map "
                                         "register count to split the frame by");
        return false;
    }
    max_mapping = d->max_mapping;
    for (ULONG i = 0; i < f->lists; i++)
        for (ULONG e = 0; e < f->list[i]->NumberOfElements; e++) {
            ULONG len = f->list[i]->Elements[e].Length;
            entries += max_mapping != 0 ? (len + max_mapping - 1) / max_mapping : 1;
        }
    stride = d->stride;
    f->table = calloc(entries ? entries : 1, stride);
    if (f->table == NULL) {
        lists_put(p, f);
        dms_irp_context_leave(dms_machine_current(), entered, saved);
        d->stats.lock_failures++;
        snprintf(d->lock_why, sizeof(d->lock_why), "no host memory for the mapping table");
        return false;
    }
    alignment = a->DmaOperations->GetDmaAlignment(a);
    for (ULONG i = 0, k = 0; i < f->lists; i++)
        for (ULONG e = 0; e < f->list[i]->NumberOfElements; e++) {
            LONGLONG at = f->list[i]->Elements[e].Address.QuadPart;
            ULONG left = f->list[i]->Elements[e].Length;
            while (left > 0) {
                PKSMAPPING m = (PKSMAPPING)(f->table + (size_t)k++ * stride);
                ULONG n = max_mapping != 0 && left > max_mapping ? max_mapping : left;
                m->PhysicalAddress.QuadPart = at;
                m->ByteCount = n;
                m->Alignment = alignment;
                at += n;
                left -= n;
            }
        }
    f->entries = entries;
    f->mapped = true;
    f->registers = info.needs_map_registers ? need : 0;
    p->registers_held += f->registers;
    p->mapped_frames++;
    d->stats.frames_mapped++;
    d->stats.mappings += entries;
    d->stats.map_registers_mapped += f->registers;
    if (p->registers_held > d->stats.map_registers_peak)
        d->stats.map_registers_peak = p->registers_held;
    if (p->mapped_frames > d->stats.locked_peak)
        d->stats.locked_peak = p->mapped_frames;
    dms_irp_context_leave(dms_machine_current(), entered, saved);
    return true;
}

/* ---------------------------------------------------------------------------------------------
 * Frames and stream pointers.
 */
static void frame_complete(struct ks_pin *p, struct ks_frame *f)
{
    PIRP irp = f->irp;
    ULONG used = f->header->DataUsed;
    NTSTATUS status = f->status;
    bool entered;
    uint64_t saved;

    if (f->prev != NULL)
        f->prev->next = f->next;
    else
        p->head = f->next;
    if (f->next != NULL)
        f->next->prev = f->prev;
    else
        p->tail = f->prev;
    entered = dms_irp_context_enter(dms_machine_current(), irp, &saved);
    frame_unmap(p, f);
    if (used > f->header->FrameExtent)
        used = f->header->FrameExtent;
    free(f->header);
    free(f);
    p->dev->stats.frames_completed++;
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = NT_SUCCESS(status) ? used : 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    dms_irp_context_leave(dms_machine_current(), entered, saved);
}

static void frame_release(struct ks_pin *p, struct ks_frame *f)
{
    bool distinct = (p->pub.Descriptor->Flags & KSPIN_FLAG_DISTINCT_TRAILING_EDGE) != 0;

    if (f->refs > 0)
        f->refs--;
    if (f->refs == 0 && f->passed_leading && (!distinct || f->passed_trailing))
        frame_complete(p, f);
}

/* Point ptr at the start of its frame (offsets, header). */
static void pointer_reset(struct ks_pointer *ptr)
{
    struct ks_frame *f = ptr->frame;
    struct ks_pin *p = ptr->pin;
    PKSSTREAM_POINTER_OFFSET out = is_output(p) ? &ptr->sp.OffsetOut : &ptr->sp.OffsetIn;

    memset(&ptr->sp.OffsetIn, 0, sizeof(ptr->sp.OffsetIn));
    memset(&ptr->sp.OffsetOut, 0, sizeof(ptr->sp.OffsetOut));
    ptr->sp.Offset = out;
    ptr->sp.StreamHeader = f != NULL ? f->header : NULL;
    ptr->mapped_offsets = false;
    if (f == NULL)
        return;
    if (is_mapped_queue(p)) {
        if (f->mapped) {
            out->Mappings = (PKSMAPPING)f->table;
            out->Count = out->Remaining = f->entries;
            ptr->mapped_offsets = true;
        }
    } else {
        out->Data = f->header->Data;
        out->Count = out->Remaining = f->header->FrameExtent;
    }
}

/* Move ptr to the next frame (NULL at the queue's end), unlocked. */
static void pointer_next(struct ks_pointer *ptr)
{
    struct ks_pin *p = ptr->pin;
    struct ks_frame *f = ptr->frame, *n = f != NULL ? f->next : NULL;

    ptr->locked = false;
    if (f == NULL)
        return;
    if (ptr == &p->leading)
        f->passed_leading = true;
    else if (ptr == &p->trailing)
        f->passed_trailing = true;
    ptr->frame = n;
    if (n != NULL)
        n->refs++;
    pointer_reset(ptr);
    frame_release(p, f);
}

/* Lock ptr on its frame (mapping it first if need be): STATUS_DEVICE_NOT_READY if it has none
 * or the frame cannot be mapped. */
static NTSTATUS pointer_lock(struct ks_pointer *ptr, const char *routine)
{
    struct ks_frame *f = ptr->frame;

    if (f == NULL)
        return STATUS_DEVICE_NOT_READY;
    if (is_mapped_queue(ptr->pin) && !f->mapped && !frame_map(ptr->pin, f, routine))
        return STATUS_DEVICE_NOT_READY;
    if (is_mapped_queue(ptr->pin) && !ptr->mapped_offsets)
        pointer_reset(ptr);
    ptr->locked = true;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------------------------
 * Processing.
 */
static bool processing_state(const struct ks_pin *p)
{
    KSSTATE least = (p->pub.Descriptor->Flags & KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY)
                        ? KSSTATE_RUN : KSSTATE_PAUSE;

    return p->pub.DeviceState >= least;
}

static KIRQL processing_irql(const struct ks_pin *p)
{
    return (p->pub.Descriptor->Flags & KSPIN_FLAG_DISPATCH_LEVEL_PROCESSING) ? DISPATCH_LEVEL
                                                                             : PASSIVE_LEVEL;
}

static void process(struct ks_pin *p)
{
    const KSPIN_DISPATCH *dispatch = p->pub.Descriptor->Dispatch;
    KIRQL old = 0;
    bool raise;

    if (dispatch == NULL || dispatch->Process == NULL || !processing_state(p) || p->dead)
        return;
    if (p->processing) {
        p->again = true;
        return;
    }
    p->processing = true;
    raise = processing_irql(p) == DISPATCH_LEVEL && KeGetCurrentIrql() < DISPATCH_LEVEL;
    do {
        /* the work is the leading frame's: what Process programs is, mostly, that frame (the
         * trace and the accounting charge it to that I/O, not to the one whose DPC asked) */
        PIRP irp = p->leading.frame != NULL ? p->leading.frame->irp : NULL;
        uint64_t saved = 0;
        bool entered = irp != NULL && dms_irp_context_enter(dms_machine_current(), irp, &saved);
        p->again = false;
        if (raise)
            KeRaiseIrql(DISPATCH_LEVEL, &old);
        dispatch->Process(&p->pub);
        if (raise)
            KeLowerIrql(old);
        dms_irp_context_leave(dms_machine_current(), entered, saved);
    } while (p->again && !p->dead && processing_state(p));
    p->processing = false;
}

static VOID process_work(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    struct ks_pin *p = Context;

    (void)DeviceObject;
    p->work_queued = false;
    if (p->dead) {
        if (!p->dpc_queued)
            pin_free(p);
        return;
    }
    process(p);
}

static VOID process_dpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1,
                        PVOID SystemArgument2)
{
    struct ks_pin *p = DeferredContext;

    (void)Dpc;
    (void)SystemArgument1;
    (void)SystemArgument2;
    p->dpc_queued = false;
    if (p->dead) {
        if (!p->work_queued)
            pin_free(p);
        return;
    }
    process(p);
}

/* A processing trigger: now if the IRQL allows and Asynchronous is not asked, else later. */
static void trigger(struct ks_pin *p, bool asynchronous)
{
    if (!processing_state(p))
        return;
    if (!asynchronous && KeGetCurrentIrql() <= processing_irql(p)) {
        process(p);
        return;
    }
    if (p->processing) {
        p->again = true;
        return;
    }
    if (processing_irql(p) == DISPATCH_LEVEL) {
        if (!p->dpc_queued) {
            p->dpc_queued = true;
            KeInsertQueueDpc(&p->dpc, NULL, NULL);
        }
    } else if (!p->work_queued && p->work != NULL) {
        p->work_queued = true;
        IoQueueWorkItem(p->work, process_work, DelayedWorkQueue, p);
    }
}

void KsPinAttemptProcessing(PKSPIN Pin, BOOLEAN Asynchronous)
{
    static const char routine[] = "KsPinAttemptProcessing";
    struct ks_pin *p = pin_of(Pin, routine);

    if (p == NULL || !irql_ok(DISPATCH_LEVEL, routine))
        return;
    trigger(p, Asynchronous != FALSE);
}

/* ---------------------------------------------------------------------------------------------
 * Stream pointer routines.
 */
PKSSTREAM_POINTER KsPinGetLeadingEdgeStreamPointer(PKSPIN Pin, KSSTREAM_POINTER_STATE State)
{
    static const char routine[] = "KsPinGetLeadingEdgeStreamPointer";
    struct ks_pin *p = pin_of(Pin, routine);

    if (p == NULL || !irql_ok(DISPATCH_LEVEL, routine))
        return NULL;
    if (State == KSSTREAM_POINTER_STATE_UNLOCKED)
        return &p->leading.sp;
    if (p->leading.locked)
        return &p->leading.sp;
    /* "acquire and lock": NULL when no frame is there, or the lock failed */
    return NT_SUCCESS(pointer_lock(&p->leading, routine)) ? &p->leading.sp : NULL;
}

PKSSTREAM_POINTER KsPinGetTrailingEdgeStreamPointer(PKSPIN Pin, KSSTREAM_POINTER_STATE State)
{
    static const char routine[] = "KsPinGetTrailingEdgeStreamPointer";
    struct ks_pin *p = pin_of(Pin, routine);

    if (p == NULL || !irql_ok(DISPATCH_LEVEL, routine))
        return NULL;
    if (!(p->pub.Descriptor->Flags & KSPIN_FLAG_DISTINCT_TRAILING_EDGE))
        return NULL; /* a trailing edge exists only with KSPIN_FLAG_DISTINCT_TRAILING_EDGE */
    if (State == KSSTREAM_POINTER_STATE_UNLOCKED || p->trailing.locked)
        return &p->trailing.sp;
    return NT_SUCCESS(pointer_lock(&p->trailing, routine)) ? &p->trailing.sp : NULL;
}

NTSTATUS KsStreamPointerLock(PKSSTREAM_POINTER StreamPointer)
{
    static const char routine[] = "KsStreamPointerLock";
    struct ks_pointer *ptr = pointer_of(StreamPointer, routine);

    if (ptr == NULL || !irql_ok(DISPATCH_LEVEL, routine))
        return STATUS_INVALID_PARAMETER;
    if (ptr->locked)
        return STATUS_SUCCESS;
    return pointer_lock(ptr, routine);
}

void KsStreamPointerUnlock(PKSSTREAM_POINTER StreamPointer, BOOLEAN Eject)
{
    static const char routine[] = "KsStreamPointerUnlock";
    struct ks_pointer *ptr = pointer_of(StreamPointer, routine);

    if (ptr == NULL || !irql_ok(DISPATCH_LEVEL, routine))
        return;
    if (!ptr->locked) {
        ks_finding(routine, DMS_CHECK_DRIVER, (uint64_t)(uintptr_t)StreamPointer,
                   "the stream pointer is not locked (it unlocks a pointer locked by an "
                   "acquisition routine or KsStreamPointerLock)");
        return;
    }
    ptr->locked = false;
    if (Eject)
        pointer_next(ptr);
}

/* The advance both AdvanceOffsets routines make. true: the pointer left its frame. */
static bool advance(struct ks_pointer *ptr, ULONG InUsed, ULONG OutUsed, BOOLEAN Eject,
                    const char *routine)
{
    struct ks_pin *p = ptr->pin;
    PKSSTREAM_POINTER_OFFSET off = is_output(p) ? &ptr->sp.OffsetOut : &ptr->sp.OffsetIn;
    ULONG used = is_output(p) ? OutUsed : InUsed;
    size_t unit = is_mapped_queue(p) ? ptr->pin->dev->stride : 1;

    if (used > off->Remaining) {
        ks_finding(routine, DMS_CHECK_BAD_ARGUMENT, used,
                   "Used is more than the frame has Remaining (one call may not move past the "
                   "start of the next frame): cut to Remaining");
        used = off->Remaining;
    }
    if (off->Data != NULL)
        off->Data += used * unit;
    off->Remaining -= used;
    if (!is_mapped_queue(p) && is_output(p) && ptr->frame != NULL)
        ptr->frame->header->DataUsed = off->Count - off->Remaining;
    if (off->Remaining == 0 || Eject) {
        pointer_next(ptr);
        return true;
    }
    return false;
}

NTSTATUS KsStreamPointerAdvanceOffsets(PKSSTREAM_POINTER StreamPointer, ULONG InUsed,
                                       ULONG OutUsed, BOOLEAN Eject)
{
    static const char routine[] = "KsStreamPointerAdvanceOffsets";
    struct ks_pointer *ptr = pointer_of(StreamPointer, routine);

    if (ptr == NULL || !irql_ok(DISPATCH_LEVEL, routine))
        return STATUS_INVALID_PARAMETER;
    if (!ptr->locked)
        return STATUS_DEVICE_NOT_READY; /* documented: not locked at call time */
    if (!advance(ptr, InUsed, OutUsed, Eject, routine))
        return STATUS_SUCCESS;
    /* on the next frame, relocked: it may fail (no frame yet, or it cannot be mapped) */
    return pointer_lock(ptr, routine);
}

void KsStreamPointerAdvanceOffsetsAndUnlock(PKSSTREAM_POINTER StreamPointer, ULONG InUsed,
                                            ULONG OutUsed, BOOLEAN Eject)
{
    static const char routine[] = "KsStreamPointerAdvanceOffsetsAndUnlock";
    struct ks_pointer *ptr = pointer_of(StreamPointer, routine);

    if (ptr == NULL || !irql_ok(DISPATCH_LEVEL, routine))
        return;
    if (!ptr->locked) {
        ks_finding(routine, DMS_CHECK_DRIVER, (uint64_t)(uintptr_t)StreamPointer,
                   "the stream pointer must be locked");
        return;
    }
    if (!advance(ptr, InUsed, OutUsed, Eject, routine))
        ptr->locked = false;
}

NTSTATUS KsStreamPointerAdvance(PKSSTREAM_POINTER StreamPointer)
{
    static const char routine[] = "KsStreamPointerAdvance";
    struct ks_pointer *ptr = pointer_of(StreamPointer, routine);
    bool was_locked;

    if (ptr == NULL || !irql_ok(DISPATCH_LEVEL, routine))
        return STATUS_INVALID_PARAMETER;
    was_locked = ptr->locked;
    pointer_next(ptr);
    /* an unlocked advance always succeeds; a locked one is relocked on the next frame */
    return was_locked ? pointer_lock(ptr, routine) : STATUS_SUCCESS;
}

NTSTATUS KsStreamPointerClone(PKSSTREAM_POINTER StreamPointer, PFNKSSTREAMPOINTER CancelCallback,
                              ULONG ContextSize, PKSSTREAM_POINTER *CloneStreamPointer)
{
    static const char routine[] = "KsStreamPointerClone";
    struct ks_pointer *ptr = pointer_of(StreamPointer, routine), *c;
    struct ks_pin *p;

    if (ptr == NULL || CloneStreamPointer == NULL || !irql_ok(DISPATCH_LEVEL, routine))
        return STATUS_INVALID_PARAMETER;
    if (ptr->frame == NULL)
        return STATUS_DEVICE_NOT_READY; /* nothing to reference */
    p = ptr->pin;
    c = calloc(1, KS_CLONE_HEAD + ContextSize);
    if (c == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    c->sp = ptr->sp; /* the same frame, at the same offsets, in the same lock state */
    c->sp.Offset = is_output(p) ? &c->sp.OffsetOut : &c->sp.OffsetIn;
    c->sp.Context = ContextSize > 0 ? (PVOID)((PUCHAR)c + KS_CLONE_HEAD) : NULL;
    c->magic = KS_POINTER_MAGIC;
    c->pin = p;
    c->frame = ptr->frame;
    c->locked = ptr->locked;
    c->mapped_offsets = ptr->mapped_offsets;
    c->clone = true;
    c->cancel = CancelCallback;
    c->frame->refs++; /* the frame and its IRP wait for the clone */
    c->prev_clone = p->clones_tail;
    if (p->clones_tail != NULL)
        p->clones_tail->next_clone = c;
    else
        p->clones = c;
    p->clones_tail = c;
    *CloneStreamPointer = &c->sp;
    return STATUS_SUCCESS;
}

static void clone_unlink(struct ks_pin *p, struct ks_pointer *c)
{
    if (c->prev_clone != NULL)
        c->prev_clone->next_clone = c->next_clone;
    else
        p->clones = c->next_clone;
    if (c->next_clone != NULL)
        c->next_clone->prev_clone = c->prev_clone;
    else
        p->clones_tail = c->prev_clone;
}

void KsStreamPointerDelete(PKSSTREAM_POINTER StreamPointer)
{
    static const char routine[] = "KsStreamPointerDelete";
    struct ks_pointer *ptr = pointer_of(StreamPointer, routine);
    struct ks_frame *f;
    struct ks_pin *p;

    if (ptr == NULL || !irql_ok(DISPATCH_LEVEL, routine))
        return;
    if (!ptr->clone) {
        ks_finding(routine, DMS_CHECK_DRIVER, (uint64_t)(uintptr_t)StreamPointer,
                   "the leading and trailing edges cannot be deleted (only clones)");
        return;
    }
    p = ptr->pin;
    f = ptr->frame;
    clone_unlink(p, ptr);
    ptr->magic = 0;
    free(ptr);
    if (f != NULL)
        frame_release(p, f);
}

NTSTATUS KsStreamPointerSetStatusCode(PKSSTREAM_POINTER StreamPointer, NTSTATUS Status)
{
    static const char routine[] = "KsStreamPointerSetStatusCode";
    struct ks_pointer *ptr = pointer_of(StreamPointer, routine);

    if (ptr == NULL || ptr->frame == NULL)
        return STATUS_INVALID_PARAMETER;
    ptr->frame->status = Status;
    return STATUS_SUCCESS;
}

PKSSTREAM_POINTER KsPinGetFirstCloneStreamPointer(PKSPIN Pin)
{
    struct ks_pin *p = pin_of(Pin, "KsPinGetFirstCloneStreamPointer");

    return p != NULL && p->clones != NULL ? &p->clones->sp : NULL;
}

PKSSTREAM_POINTER KsStreamPointerGetNextClone(PKSSTREAM_POINTER StreamPointer)
{
    struct ks_pointer *ptr = pointer_of(StreamPointer, "KsStreamPointerGetNextClone");

    if (ptr == NULL || !ptr->clone || ptr->next_clone == NULL)
        return NULL; /* NULL ends the walk, and for a pointer that is not a clone */
    return &ptr->next_clone->sp;
}

/* ---------------------------------------------------------------------------------------------
 * Objects: bags, devices, the outer unknown, adapter registration.
 */
static struct ks_bag *bag_of(KSOBJECT_BAG Bag)
{
    struct ks_state *st = ks_state();

    for (struct ks_device *d = st != NULL ? st->devices : NULL; d != NULL; d = d->next) {
        if (Bag == (KSOBJECT_BAG)&d->bag)
            return &d->bag;
        if (d->filter != NULL && Bag == (KSOBJECT_BAG)&d->filter->bag)
            return &d->filter->bag;
        if (d->pin != NULL && Bag == (KSOBJECT_BAG)&d->pin->bag)
            return &d->pin->bag;
        for (struct ks_factory *f = d->factories; f != NULL; f = f->next)
            if (Bag == (KSOBJECT_BAG)&f->bag)
                return &f->bag;
    }
    return NULL;
}

NTSTATUS KsAddItemToObjectBag(KSOBJECT_BAG ObjectBag, PVOID Item, PFNKSFREE Free)
{
    static const char routine[] = "KsAddItemToObjectBag";
    struct ks_bag *b = bag_of(ObjectBag);
    struct ks_bag_item *i;

    if (b == NULL) {
        ks_finding(routine, DMS_CHECK_BAD_ARGUMENT, (uint64_t)(uintptr_t)ObjectBag,
                   "ObjectBag is not the Bag of an AVStream object");
        return STATUS_INVALID_PARAMETER;
    }
    if (Item == NULL)
        return STATUS_INVALID_PARAMETER;
    if ((i = calloc(1, sizeof(*i))) == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    i->item = Item;
    i->free = Free;
    i->next = b->items;
    b->items = i;
    return STATUS_SUCCESS;
}

void KsAcquireDevice(PKSDEVICE Device)
{
    struct ks_device *d = device_of(Device, "KsAcquireDevice");

    if (d != NULL && irql_ok(PASSIVE_LEVEL, "KsAcquireDevice"))
        d->acquired++;
}

void KsReleaseDevice(PKSDEVICE Device)
{
    struct ks_device *d = device_of(Device, "KsReleaseDevice");

    if (d == NULL)
        return;
    if (d->acquired == 0) {
        ks_finding("KsReleaseDevice", DMS_CHECK_LOCK, 0,
                   "the device's mutex is released without KsAcquireDevice");
        return;
    }
    d->acquired--;
}

PKSDEVICE KsGetDevice(PVOID Object)
{
    struct ks_state *st = ks_state();

    for (struct ks_device *d = st != NULL ? st->devices : NULL; d != NULL; d = d->next)
        if (Object == (PVOID)&d->pub || (d->filter != NULL && Object == (PVOID)&d->filter->pub) ||
            (d->pin != NULL && Object == (PVOID)&d->pin->pub))
            return &d->pub;
    ks_finding("KsGetDevice", DMS_CHECK_BAD_ARGUMENT, (uint64_t)(uintptr_t)Object,
               "Object is not an AVStream device, filter or pin");
    return NULL;
}

PKSDEVICE KsGetDeviceForDeviceObject(PDEVICE_OBJECT FunctionalDeviceObject)
{
    struct ks_state *st = ks_state();

    for (struct ks_device *d = st != NULL ? st->devices : NULL; d != NULL; d = d->next)
        if (d->pub.FunctionalDeviceObject == FunctionalDeviceObject)
            return &d->pub;
    return NULL;
}

PKSFILTER KsPinGetParentFilter(PKSPIN Pin)
{
    struct ks_pin *p = pin_of(Pin, "KsPinGetParentFilter");

    return p != NULL && p->dev->filter != NULL ? &p->dev->filter->pub : NULL;
}

static struct ks_device *device_of_outer(IUnknown *This)
{
    struct ks_state *st = ks_state();

    for (struct ks_device *d = st != NULL ? st->devices : NULL; d != NULL; d = d->next)
        if (This == &d->outer)
            return d;
    return NULL;
}

static struct ks_device *device_of_functions(IKsDeviceFunctions *This)
{
    struct ks_state *st = ks_state();

    for (struct ks_device *d = st != NULL ? st->devices : NULL; d != NULL; d = d->next)
        if (This == &d->functions)
            return d;
    return NULL;
}

static const GUID ks_iid_unknown = {0x00000000L, 0x0000, 0x0000,
                                    {0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};

static NTSTATUS query_interface(struct ks_device *d, REFIID InterfaceId, PVOID *Interface,
                                const char *routine)
{
    if (InterfaceId == NULL || Interface == NULL) {
        ks_finding(routine, DMS_CHECK_BAD_ARGUMENT, 0, "InterfaceId and Interface are needed");
        return STATUS_INVALID_PARAMETER;
    }
    if (IsEqualIID(InterfaceId, &IID_IKsDeviceFunctions)) {
        d->interface_refs++;
        *Interface = &d->functions;
        return STATUS_SUCCESS;
    }
    if (IsEqualIID(InterfaceId, &ks_iid_unknown)) {
        d->interface_refs++;
        *Interface = &d->outer;
        return STATUS_SUCCESS;
    }
    *Interface = NULL;
    return STATUS_NOINTERFACE;
}

static NTSTATUS outer_query(IUnknown *This, REFIID InterfaceId, PVOID *Interface)
{
    struct ks_device *d = device_of_outer(This);

    if (d == NULL) {
        ks_finding("IUnknown::QueryInterface", DMS_CHECK_BAD_ARGUMENT, (uint64_t)(uintptr_t)This,
                   "This is not an AVStream device's outer unknown");
        return STATUS_INVALID_PARAMETER;
    }
    return query_interface(d, InterfaceId, Interface, "IUnknown::QueryInterface");
}

static ULONG outer_add_ref(IUnknown *This)
{
    struct ks_device *d = device_of_outer(This);

    return d != NULL ? ++d->interface_refs : 0;
}

static ULONG release_ref(struct ks_device *d, const char *routine)
{
    if (d == NULL)
        return 0;
    if (d->interface_refs == 0) {
        ks_finding(routine, DMS_CHECK_DRIVER, 0,
                   "Release without a reference (more Releases than QueryInterface and AddRef)");
        return 0;
    }
    return --d->interface_refs;
}

static ULONG outer_release(IUnknown *This)
{
    return release_ref(device_of_outer(This), "IUnknown::Release");
}

static const IUnknownVtbl outer_vtbl = {outer_query, outer_add_ref, outer_release};

static NTSTATUS functions_query(IKsDeviceFunctions *This, REFIID InterfaceId, PVOID *Interface)
{
    struct ks_device *d = device_of_functions(This);

    if (d == NULL)
        return STATUS_INVALID_PARAMETER;
    return query_interface(d, InterfaceId, Interface, "IKsDeviceFunctions::QueryInterface");
}

static ULONG functions_add_ref(IKsDeviceFunctions *This)
{
    struct ks_device *d = device_of_functions(This);

    return d != NULL ? ++d->interface_refs : 0;
}

static ULONG functions_release(IKsDeviceFunctions *This)
{
    return release_ref(device_of_functions(This), "IKsDeviceFunctions::Release");
}

/* What both registrations check and keep. */
static NTSTATUS register_adapter(struct ks_device *d, PADAPTER_OBJECT AdapterObject,
                                 PDEVICE_DESCRIPTION DeviceDescription, ULONG NumberOfMapRegisters,
                                 ULONG MaxMappingsByteCount, ULONG MappingTableStride, bool ex,
                                 const char *routine)
{
    struct dms_adapter_info info;

    if (!irql_ok(PASSIVE_LEVEL, routine))
        return STATUS_INVALID_DEVICE_STATE;
    if (AdapterObject == NULL || dms_adapter_info(AdapterObject, &info) != 0) {
        ks_finding(routine, DMS_CHECK_BAD_ARGUMENT, (uint64_t)(uintptr_t)AdapterObject,
                   "AdapterObject is not a DMA adapter IoGetDmaAdapter gave (it must be acquired "
                   "first)");
        return STATUS_INVALID_PARAMETER;
    }
    if (MappingTableStride < sizeof(KSMAPPING)) {
        ks_finding(routine, DMS_CHECK_BAD_ARGUMENT, MappingTableStride,
                   "MappingTableStride is less than sizeof(KSMAPPING)");
        return STATUS_INVALID_PARAMETER;
    }
    if (ex && NumberOfMapRegisters > info.map_registers_max) {
        dms_report_finding(dms_machine_current(), routine, DMS_CHECK_BAD_ARGUMENT,
                           NumberOfMapRegisters, info.map_registers_max, 0,
                           "%s: NumberOfMapRegisters %u is more than IoGetDmaAdapter returned "
                           "(%u): AVStream uses %u", routine, (unsigned)NumberOfMapRegisters,
                           (unsigned)info.map_registers_max, (unsigned)info.map_registers_max);
        NumberOfMapRegisters = info.map_registers_max;
    }
    d->adapter = AdapterObject;
    d->registered_ex = ex;
    d->map_registers = ex ? NumberOfMapRegisters : 0;
    d->max_mapping = MaxMappingsByteCount;
    d->stride = MappingTableStride;
    if (DeviceDescription != NULL)
        d->description = *DeviceDescription;
    d->stats.registered_ex = ex;
    d->stats.registered_map_registers = d->map_registers;
    if (dms_tracing_calls(dms_machine_current()))
        dms_trace_call(dms_machine_current(), DMS_EV_CALL, routine, 0,
                       "adapter #%u, %u map registers, mappings of at most %u bytes, %u bytes "
                       "apart", (unsigned)info.id, (unsigned)d->map_registers,
                       (unsigned)MaxMappingsByteCount, (unsigned)MappingTableStride);
    return STATUS_SUCCESS;
}

static NTSTATUS functions_register(IKsDeviceFunctions *This, PADAPTER_OBJECT AdapterObject,
                                   PDEVICE_DESCRIPTION DeviceDescription,
                                   ULONG NumberOfMapRegisters, ULONG MaxMappingsByteCount,
                                   ULONG MappingTableStride)
{
    static const char routine[] = "IKsDeviceFunctions::RegisterAdapterObjectEx";
    struct ks_device *d = device_of_functions(This);

    if (d == NULL) {
        ks_finding(routine, DMS_CHECK_BAD_ARGUMENT, (uint64_t)(uintptr_t)This,
                   "This is not an IKsDeviceFunctions QueryInterface gave");
        return STATUS_INVALID_PARAMETER;
    }
    if (DeviceDescription == NULL) {
        ks_finding(routine, DMS_CHECK_BAD_ARGUMENT, 0,
                   "DeviceDescription is needed: it describes the device to AVStream");
        return STATUS_INVALID_PARAMETER;
    }
    return register_adapter(d, AdapterObject, DeviceDescription, NumberOfMapRegisters,
                            MaxMappingsByteCount, MappingTableStride, true, routine);
}

static const IKsDeviceFunctionsVtbl functions_vtbl = {functions_query, functions_add_ref,
                                                      functions_release, functions_register};

PUNKNOWN KsGetOuterUnknown(PVOID Object)
{
    struct ks_device *d = device_find(Object);

    if (d == NULL) {
        ks_finding("KsGetOuterUnknown", DMS_CHECK_BAD_ARGUMENT, (uint64_t)(uintptr_t)Object,
                   "Object is not an AVStream device (dmasim's AVStream aggregates only devices)");
        return NULL;
    }
    return &d->outer;
}

void KsDeviceRegisterAdapterObject(PKSDEVICE Device, PADAPTER_OBJECT AdapterObject,
                                   ULONG MaxMappingsByteCount, ULONG MappingTableStride)
{
    static const char routine[] = "KsDeviceRegisterAdapterObject";
    struct ks_device *d = device_of(Device, routine);

    if (d != NULL)
        (void)register_adapter(d, AdapterObject, NULL, 0, MaxMappingsByteCount,
                               MappingTableStride, false, routine);
}

NTSTATUS KsCreateFilterFactory(PDEVICE_OBJECT DeviceObject, const KSFILTER_DESCRIPTOR *Descriptor,
                               PCWSTR RefString, PVOID SecurityDescriptor, ULONG CreateItemFlags,
                               PFNKSFILTERFACTORYPOWER SleepCallback,
                               PFNKSFILTERFACTORYPOWER WakeCallback,
                               PKSFILTERFACTORY *FilterFactory)
{
    static const char routine[] = "KsCreateFilterFactory";
    PKSDEVICE kd = KsGetDeviceForDeviceObject(DeviceObject);
    struct ks_device *d = kd != NULL ? device_find(kd) : NULL;
    struct ks_factory *f;

    (void)RefString;
    (void)SecurityDescriptor;
    (void)CreateItemFlags;
    (void)SleepCallback;
    (void)WakeCallback;
    if (FilterFactory != NULL)
        *FilterFactory = NULL;
    if (!irql_ok(PASSIVE_LEVEL, routine))
        return STATUS_INVALID_DEVICE_STATE;
    if (d == NULL || Descriptor == NULL) {
        ks_finding(routine, DMS_CHECK_BAD_ARGUMENT, (uint64_t)(uintptr_t)DeviceObject,
                   "DeviceObject is not an AVStream device's functional device object, or no "
                   "Descriptor");
        return STATUS_INVALID_PARAMETER;
    }
    if (Descriptor->PinDescriptorsCount > 0 &&
        (Descriptor->PinDescriptors == NULL ||
         Descriptor->PinDescriptorSize < sizeof(KSPIN_DESCRIPTOR_EX))) {
        ks_finding(routine, DMS_CHECK_BAD_ARGUMENT, Descriptor->PinDescriptorSize,
                   "the filter descriptor's PinDescriptors or PinDescriptorSize is wrong");
        return STATUS_INVALID_PARAMETER;
    }
    if ((f = calloc(1, sizeof(*f))) == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    f->pub.FilterDescriptor = Descriptor;
    f->pub.Bag = (KSOBJECT_BAG)&f->bag;
    f->next = d->factories;
    d->factories = f;
    if (FilterFactory != NULL)
        *FilterFactory = &f->pub;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------------------------
 * The graph's filter and pin, and the pin's run state.
 */
static void pin_free(struct ks_pin *p)
{
    bag_free(&p->bag);
    if (p->work != NULL)
        IoFreeWorkItem(p->work);
    free(p->format);
    free(p);
}

/* STOP: the frames still queued are flushed (cancelled), their mappings put back; clones the
 * minidriver kept are its mistake. */
static void pin_flush(struct ks_pin *p)
{
    if (p->clones != NULL)
        ks_finding("KSSTATE_STOP", DMS_CHECK_DRIVER, 0,
                   "the pin stopped with clone stream pointers still held (delete them in "
                   "SetDeviceState's transition to KSSTATE_STOP): AVStream drops them");
    while (p->clones != NULL) {
        struct ks_pointer *c = p->clones;
        clone_unlink(p, c);
        if (c->frame != NULL && c->frame->refs > 0)
            c->frame->refs--;
        free(c);
    }
    p->leading.frame = p->trailing.frame = NULL;
    p->leading.locked = p->trailing.locked = false;
    pointer_reset(&p->leading);
    pointer_reset(&p->trailing);
    while (p->head != NULL) {
        struct ks_frame *f = p->head;
        f->refs = 0;
        f->status = STATUS_CANCELLED;
        f->header->DataUsed = 0;
        frame_complete(p, f);
    }
}

/* Step the pin to state, one state at a time, through SetDeviceState. */
static NTSTATUS pin_set_state(struct ks_pin *p, KSSTATE to)
{
    const KSPIN_DISPATCH *dispatch = p->pub.Descriptor->Dispatch;
    NTSTATUS status = STATUS_SUCCESS;

    p->pub.ClientState = to;
    while (p->pub.DeviceState != to) {
        KSSTATE from = p->pub.DeviceState;
        KSSTATE next = to > from ? (KSSTATE)(from + 1) : (KSSTATE)(from - 1);
        if (dispatch != NULL && dispatch->SetDeviceState != NULL)
            status = dispatch->SetDeviceState(&p->pub, next, from);
        if (!NT_SUCCESS(status))
            return status;
        p->pub.DeviceState = next;
        if (next == KSSTATE_STOP)
            pin_flush(p);
    }
    if (p->head != NULL)
        trigger(p, false);
    return STATUS_SUCCESS;
}

static NTSTATUS graph_create(struct ks_device *d)
{
    struct ks_factory *fac = d->factories;
    const KSFILTER_DESCRIPTOR *fd;
    const KSPIN_DESCRIPTOR_EX *pd;
    struct ks_filter *filter;
    struct ks_pin *p;
    PIRP irp;
    NTSTATUS status = STATUS_SUCCESS;

    while (fac != NULL && fac->next != NULL) /* the first made */
        fac = fac->next;
    if (fac == NULL || d->filter != NULL)
        return STATUS_SUCCESS; /* no factory: a device with no filter to stream through */
    fd = fac->pub.FilterDescriptor;
    if ((filter = calloc(1, sizeof(*filter))) == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    filter->pub.Descriptor = fd;
    filter->pub.Bag = (KSOBJECT_BAG)&filter->bag;
    filter->pub.Context = d->pub.Context; /* a filter starts with its device's context */
    filter->dev = d;
    d->filter = filter;
    irp = IoAllocateIrp(1, FALSE);
    if (irp == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (fd->Dispatch != NULL && fd->Dispatch->Create != NULL)
        status = fd->Dispatch->Create(&filter->pub, irp);
    if (NT_SUCCESS(status) && fd->PinDescriptorsCount > 0) {
        pd = fd->PinDescriptors;
        p = calloc(1, sizeof(*p));
        if (p == NULL) {
            IoFreeIrp(irp);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        p->dev = d;
        p->pub.Descriptor = pd;
        p->pub.Bag = (KSOBJECT_BAG)&p->bag;
        p->pub.Context = filter->pub.Context; /* a pin starts with its filter's context */
        p->pub.Id = 0;
        p->pub.Communication = pd->PinDescriptor.Communication;
        p->pub.DataFlow = pd->PinDescriptor.DataFlow;
        p->pub.DeviceState = p->pub.ClientState = KSSTATE_STOP;
        p->pub.StreamHeaderSize = sizeof(KSSTREAM_HEADER);
        if (pd->PinDescriptor.DataRangesCount > 0 && pd->PinDescriptor.DataRanges != NULL &&
            pd->PinDescriptor.DataRanges[0] != NULL) {
            ULONG size = pd->PinDescriptor.DataRanges[0]->FormatSize;
            if (size < sizeof(KSDATAFORMAT))
                size = sizeof(KSDATAFORMAT);
            p->format = calloc(1, size);
            if (p->format != NULL)
                memcpy(p->format, pd->PinDescriptor.DataRanges[0],
                       pd->PinDescriptor.DataRanges[0]->FormatSize < size
                           ? pd->PinDescriptor.DataRanges[0]->FormatSize : size);
        }
        p->pub.ConnectionFormat = p->format;
        p->leading.magic = p->trailing.magic = KS_POINTER_MAGIC;
        p->leading.pin = p->trailing.pin = p;
        pointer_reset(&p->leading);
        pointer_reset(&p->trailing);
        p->work = IoAllocateWorkItem(d->pub.FunctionalDeviceObject);
        KeInitializeDpc(&p->dpc, process_dpc, p);
        d->pin = p;
        if (pd->Dispatch != NULL && pd->Dispatch->Create != NULL)
            status = pd->Dispatch->Create(&p->pub, irp);
        if (!NT_SUCCESS(status)) {
            d->pin = NULL;
            pin_free(p);
        }
    }
    IoFreeIrp(irp);
    return status;
}

static void graph_close(struct ks_device *d)
{
    PIRP irp = IoAllocateIrp(1, FALSE);
    struct ks_pin *p = d->pin;

    if (p != NULL) {
        pin_set_state(p, KSSTATE_STOP);
        if (p->pub.Descriptor->Dispatch != NULL && p->pub.Descriptor->Dispatch->Close != NULL &&
            irp != NULL)
            p->pub.Descriptor->Dispatch->Close(&p->pub, irp);
        pin_flush(p);
        d->pin = NULL;
        if (p->work_queued || p->dpc_queued)
            p->dead = true; /* freed when what it queued runs */
        else
            pin_free(p);
    }
    if (d->filter != NULL) {
        const KSFILTER_DESCRIPTOR *fd = d->filter->pub.Descriptor;
        if (fd->Dispatch != NULL && fd->Dispatch->Close != NULL && irp != NULL)
            fd->Dispatch->Close(&d->filter->pub, irp);
        bag_free(&d->filter->bag);
        free(d->filter);
        d->filter = NULL;
    }
    if (irp != NULL)
        IoFreeIrp(irp);
}

/* ---------------------------------------------------------------------------------------------
 * The driver object's dispatch.
 */
static NTSTATUS complete_irp(PIRP irp, NTSTATUS status, ULONG_PTR information)
{
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = information;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
}

static struct ks_device *ks_device_of_fdo(PDEVICE_OBJECT fdo)
{
    struct ks_device *d = fdo != NULL ? fdo->DeviceExtension : NULL;

    return d != NULL && d->magic == KS_DEVICE_MAGIC ? d : NULL;
}

/* A capture buffer for the pin's queue. */
static NTSTATUS frame_arrive(struct ks_device *d, PIRP irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    struct ks_pin *p = d->pin;
    ULONG length = sp->Parameters.Read.Length;
    ULONG hsize;
    struct ks_frame *f;
    bool was_empty;
    PVOID va;

    if (p == NULL)
        return complete_irp(irp, STATUS_INVALID_DEVICE_STATE, 0);
    if (length == 0 || irp->MdlAddress == NULL ||
        (va = MmGetSystemAddressForMdlSafe(irp->MdlAddress, NormalPagePriority)) == NULL)
        return complete_irp(irp, STATUS_INVALID_PARAMETER, 0);
    if (p->pub.DeviceState == KSSTATE_STOP)
        return complete_irp(irp, STATUS_INVALID_DEVICE_STATE, 0); /* no queue while stopped */
    hsize = p->pub.StreamHeaderSize > sizeof(KSSTREAM_HEADER) ? p->pub.StreamHeaderSize
                                                             : (ULONG)sizeof(KSSTREAM_HEADER);
    f = calloc(1, sizeof(*f));
    if (f == NULL || (f->header = calloc(1, hsize)) == NULL) {
        free(f);
        return complete_irp(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    }
    f->irp = irp;
    f->mdl = irp->MdlAddress;
    f->status = STATUS_SUCCESS;
    f->header->Size = hsize;
    f->header->FrameExtent = length;
    f->header->Data = va;
    f->prev = p->tail;
    if (p->tail != NULL)
        p->tail->next = f;
    else
        p->head = f;
    p->tail = f;
    d->stats.frames_queued++;
    IoMarkIrpPending(irp);
    was_empty = p->leading.frame == NULL;
    if (was_empty) { /* the leading edge goes to a frame arriving into an empty queue */
        p->leading.frame = f;
        f->refs++;
        pointer_reset(&p->leading);
    }
    if ((p->pub.Descriptor->Flags & KSPIN_FLAG_DISTINCT_TRAILING_EDGE) &&
        p->trailing.frame == NULL) {
        p->trailing.frame = f;
        f->refs++;
        pointer_reset(&p->trailing);
    }
    if (!(p->pub.Descriptor->Flags & KSPIN_FLAG_DO_NOT_INITIATE_PROCESSING) &&
        (was_empty || (p->pub.Descriptor->Flags & KSPIN_FLAG_INITIATE_PROCESSING_ON_EVERY_ARRIVAL)))
        trigger(p, false);
    return STATUS_PENDING;
}

static NTSTATUS property(struct ks_device *d, PIRP irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    PKSPROPERTY prop = sp->Parameters.DeviceIoControl.Type3InputBuffer;
    PKSSTATE state = irp->UserBuffer;
    NTSTATUS status;

    if (prop == NULL || sp->Parameters.DeviceIoControl.InputBufferLength < sizeof(KSPROPERTY))
        return complete_irp(irp, STATUS_INVALID_PARAMETER, 0);
    if (!IsEqualGUID(&prop->Set, &KSPROPSETID_Connection) ||
        prop->Id != KSPROPERTY_CONNECTION_STATE)
        return complete_irp(irp, STATUS_NOT_FOUND, 0);
    if (d->pin == NULL)
        return complete_irp(irp, STATUS_INVALID_DEVICE_STATE, 0);
    if (state == NULL || sp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(KSSTATE))
        return complete_irp(irp, STATUS_BUFFER_TOO_SMALL, 0);
    if (prop->Flags & KSPROPERTY_TYPE_GET) {
        *state = d->pin->pub.DeviceState;
        return complete_irp(irp, STATUS_SUCCESS, sizeof(KSSTATE));
    }
    if (!(prop->Flags & KSPROPERTY_TYPE_SET) || *state > KSSTATE_RUN)
        return complete_irp(irp, STATUS_INVALID_PARAMETER, 0);
    status = pin_set_state(d->pin, *state);
    return complete_irp(irp, status, 0);
}

static void factories_free(struct ks_device *d)
{
    while (d->factories != NULL) { /* made at start (KSCREATE_ITEM_FREEONSTOP) */
        struct ks_factory *f = d->factories;
        d->factories = f->next;
        bag_free(&f->bag);
        free(f);
    }
}

/* The minidriver's start, the factories, the graph. A failure after the minidriver's Start
 * succeeded undoes it with its Stop; a failed Start leaves nothing for it to stop. */
static NTSTATUS ks_start(struct ks_device *d, PIRP irp)
{
    const KSDEVICE_DESCRIPTOR *desc = d->driver->descriptor;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    NTSTATUS status = STATUS_SUCCESS;

    if (desc->Dispatch != NULL && desc->Dispatch->Start != NULL)
        status = desc->Dispatch->Start(&d->pub, irp,
                                       sp->Parameters.StartDevice.AllocatedResourcesTranslated,
                                       sp->Parameters.StartDevice.AllocatedResources);
    if (!NT_SUCCESS(status)) {
        factories_free(d);
        d->adapter = NULL;
        return status;
    }
    d->pub.Started = TRUE;
    for (ULONG i = 0; NT_SUCCESS(status) && i < desc->FilterDescriptorsCount; i++)
        status = KsCreateFilterFactory(d->pub.FunctionalDeviceObject, desc->FilterDescriptors[i],
                                       NULL, NULL, 0, NULL, NULL, NULL);
    if (NT_SUCCESS(status) && desc->Dispatch != NULL && desc->Dispatch->PostStart != NULL)
        status = desc->Dispatch->PostStart(&d->pub);
    if (NT_SUCCESS(status))
        status = graph_create(d);
    return status;
}

static void ks_stop(struct ks_device *d, PIRP irp)
{
    const KSDEVICE_DISPATCH *dispatch = d->driver->descriptor->Dispatch;

    if (!d->pub.Started)
        return;
    graph_close(d);
    if (dispatch != NULL && dispatch->Stop != NULL)
        dispatch->Stop(&d->pub, irp);
    factories_free(d);
    d->adapter = NULL; /* registered at start: the minidriver puts it at stop */
    d->pub.Started = FALSE;
}

static NTSTATUS ks_dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    struct ks_device *d = ks_device_of_fdo(DeviceObject);
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    if (d == NULL)
        return complete_irp(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    switch (sp->MajorFunction) {
    case IRP_MJ_CREATE:
    case IRP_MJ_CLOSE:
    case IRP_MJ_CLEANUP:
        return complete_irp(Irp, STATUS_SUCCESS, 0);
    case IRP_MJ_READ:
        return d->pub.Started ? frame_arrive(d, Irp)
                              : complete_irp(Irp, STATUS_DEVICE_NOT_READY, 0);
    case IRP_MJ_DEVICE_CONTROL:
        if (sp->Parameters.DeviceIoControl.IoControlCode == IOCTL_KS_PROPERTY)
            return property(d, Irp);
        return complete_irp(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    case IRP_MJ_PNP:
        break;
    default:
        return complete_irp(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
    switch (sp->MinorFunction) {
    case IRP_MN_START_DEVICE:
        status = IoForwardIrpSynchronously(d->pub.NextDeviceObject, Irp) ? Irp->IoStatus.Status
                                                                         : STATUS_UNSUCCESSFUL;
        if (NT_SUCCESS(status))
            status = ks_start(d, Irp);
        if (!NT_SUCCESS(status))
            ks_stop(d, Irp); /* what started is stopped (nothing, if the minidriver failed) */
        return complete_irp(Irp, status, 0);
    case IRP_MN_STOP_DEVICE:
        ks_stop(d, Irp);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        break;
    case IRP_MN_REMOVE_DEVICE: {
        struct ks_state *st = ks_state();
        struct ks_device **pp = st != NULL ? &st->devices : NULL;
        const KSDEVICE_DISPATCH *dispatch = d->driver->descriptor->Dispatch;
        PDEVICE_OBJECT lower = d->pub.NextDeviceObject;
        ks_stop(d, Irp);
        if (dispatch != NULL && dispatch->Remove != NULL)
            dispatch->Remove(&d->pub, Irp);
        bag_free(&d->bag);
        while (pp != NULL && *pp != NULL && *pp != d)
            pp = &(*pp)->next;
        if (pp != NULL && *pp == d)
            *pp = d->next;
        d->magic = 0;
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(Irp);
        status = IoCallDriver(lower, Irp);
        IoDetachDevice(lower);
        IoDeleteDevice(DeviceObject);
        return status;
    }
    default:
        break;
    }
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(d->pub.NextDeviceObject, Irp);
}

static NTSTATUS ks_add_device(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    struct ks_state *st = ks_state();
    struct ks_driver *drv;
    PDEVICE_OBJECT fdo;
    struct ks_device *d;
    NTSTATUS status;

    for (drv = st != NULL ? st->drivers : NULL; drv != NULL && drv->wdm != DriverObject;)
        drv = drv->next;
    if (drv == NULL)
        return STATUS_UNSUCCESSFUL;
    status = IoCreateDevice(DriverObject, (ULONG)sizeof(*d), NULL, FILE_DEVICE_KS, 0, FALSE,
                            &fdo);
    if (!NT_SUCCESS(status))
        return status;
    d = fdo->DeviceExtension;
    memset(d, 0, sizeof(*d));
    d->magic = KS_DEVICE_MAGIC;
    d->driver = drv;
    d->pub.Descriptor = drv->descriptor;
    d->pub.Bag = (KSOBJECT_BAG)&d->bag;
    d->pub.FunctionalDeviceObject = fdo;
    d->pub.PhysicalDeviceObject = Pdo;
    d->pub.SystemPowerState = PowerSystemWorking;
    d->pub.DevicePowerState = PowerDeviceD0;
    d->outer.lpVtbl = &outer_vtbl;
    d->functions.lpVtbl = &functions_vtbl;
    d->pub.NextDeviceObject = IoAttachDeviceToDeviceStack(fdo, Pdo);
    if (d->pub.NextDeviceObject == NULL) {
        d->magic = 0;
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    d->next = st->devices;
    st->devices = d;
    fdo->Flags |= DO_DIRECT_IO;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    if (drv->descriptor->Dispatch != NULL && drv->descriptor->Dispatch->Add != NULL) {
        status = drv->descriptor->Dispatch->Add(&d->pub);
        if (!NT_SUCCESS(status)) {
            st->devices = d->next;
            d->magic = 0;
            IoDetachDevice(d->pub.NextDeviceObject);
            IoDeleteDevice(fdo);
            return status;
        }
    }
    return STATUS_SUCCESS;
}

NTSTATUS KsInitializeDriver(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPathName,
                            const KSDEVICE_DESCRIPTOR *Descriptor)
{
    static const char routine[] = "KsInitializeDriver";
    struct ks_state *st = ks_state();
    struct ks_driver *drv;

    (void)RegistryPathName;
    if (!irql_ok(PASSIVE_LEVEL, routine))
        return STATUS_INVALID_DEVICE_STATE;
    if (st == NULL || DriverObject == NULL || Descriptor == NULL) {
        ks_finding(routine, DMS_CHECK_BAD_ARGUMENT, 0,
                   "KsInitializeDriver needs the DriverObject and a KSDEVICE_DESCRIPTOR");
        return STATUS_INVALID_PARAMETER;
    }
    if ((drv = calloc(1, sizeof(*drv))) == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    drv->wdm = DriverObject;
    drv->descriptor = Descriptor;
    drv->next = st->drivers;
    st->drivers = drv;
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = ks_dispatch;
    DriverObject->DriverExtension->AddDevice = ks_add_device;
    return STATUS_SUCCESS;
}

int dms_ks_device_stats(PDEVICE_OBJECT Pdo, struct dms_ks_stats *Stats)
{
    struct ks_state *st = ks_state();

    for (struct ks_device *d = st != NULL ? st->devices : NULL; d != NULL; d = d->next)
        if (d->pub.PhysicalDeviceObject == Pdo) {
            *Stats = d->stats;
            return 0;
        }
    return -1;
}
