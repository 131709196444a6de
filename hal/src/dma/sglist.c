/*
 * sglist.c - scatter/gather lists: GetScatterGatherList and PutScatterGatherList (v1), and
 * CalculateScatterGatherList, BuildScatterGatherList and BuildMdlFromScatterGatherList (v2).
 *
 * A list request is an AllocateAdapterChannel and a MapTransfer loop in one (reference 3.5):
 * it takes the channel and the registers the range needs (waiting for them in FIFO order if
 * need be - the call itself returns STATUS_SUCCESS), maps every fragment into the list, runs
 * AdapterListControl at DISPATCH_LEVEL, and then frees the channel but keeps the registers
 * until PutScatterGatherList. Unlike AllocateAdapterChannel, any number of lists may be
 * outstanding per device object.
 *
 * Layout: the list is at the start of its buffer. CalculateScatterGatherList's size has room
 * after the elements for a private record, as the WDK says such buffers must (Windows' HAL
 * keeps data there), but dmasim keeps its record of the list in its own memory: a driver that
 * reuses or scribbles on a buffer whose list is outstanding cannot corrupt the HAL, and the
 * reuse is a finding. The size is for one element per fragment the buffer's pages make;
 * bounced pages whose map registers turn out consecutive may share an element, so the list can
 * come out shorter, never longer.
 */
#include <stdlib.h>
#include <string.h>

#include "dma.h"

#define SGL_ALIGN 16

static size_t list_bytes(ULONG elements)
{
    size_t n = offsetof(SCATTER_GATHER_LIST, Elements) +
               (size_t)elements * sizeof(SCATTER_GATHER_ELEMENT);

    return (n + SGL_ALIGN - 1) & ~(size_t)(SGL_ALIGN - 1);
}

/* The room after the elements a buffer keeps for the HAL, as the WDK says it must: what the
 * HAL's record once took there. dmasim keeps its record in its own memory now, but tells
 * drivers the same size, so their buffers are sized as before. */
#define SGL_HAL_ROOM 72

size_t sgl_size(ULONG elements)
{
    return list_bytes(elements) + SGL_HAL_ROOM;
}

/* The private record of an outstanding list, found by pointer identity (never by reading the
 * driver's pointer first, so a stale or foreign pointer cannot crash the host). */
/* The outstanding list at list, by the adapter's index of them (a put finds its record in
 * constant time however many lists are out), or NULL. */
static struct sgl_priv *priv_lookup(struct adapter *ad, PSCATTER_GATHER_LIST list)
{
    uint64_t v;

    if (ad->sgl_index.cap == 0 || !u64map_get(&ad->sgl_index, (uintptr_t)list, &v))
        return NULL;
    return (struct sgl_priv *)(uintptr_t)v;
}

static void sgl_build_granted(struct wait_block *wb, struct mapreg_file *f);

static bool overlaps(const void *a, size_t a_len, const void *b, size_t b_len)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;

    return x < y + b_len && y < x + a_len;
}

/* Is [buffer, +len) the buffer of a list of ad's that is outstanding or still queued? */
static bool buffer_in_use(struct adapter *ad, const void *buffer, size_t len)
{
    for (const struct sgl_priv *p = ad->sgls; p != NULL; p = p->next)
        if (overlaps(buffer, len, p->list, p->bytes))
            return true;
    for (const struct wait_block *wb = ad->chan_head; wb != NULL; wb = wb->next)
        if (wb->is_sgl && !wb->hal_allocated && overlaps(buffer, len, wb->buffer, wb->buffer_len))
            return true;
    if (ad->pool != NULL)
        for (const struct wait_block *wb = ad->pool->wait_head; wb != NULL; wb = wb->next)
            if (wb->ad == ad && wb->is_sgl && !wb->hal_allocated &&
                overlaps(buffer, len, wb->buffer, wb->buffer_len))
                return true;
    return false;
}

NTSTATUS sgl_prepare(struct adapter *ad, const char *routine, PDEVICE_OBJECT dev, PMDL mdl,
                     uint64_t offset, ULONG length, PDRIVER_LIST_CONTROL fn, PVOID ctx,
                     BOOLEAN write, PVOID buffer, ULONG buffer_len, struct wait_block **wb)
{
    uint64_t nregs;
    uint32_t elements;
    size_t need;
    bool fits, hal_alloc;
    uint64_t context;

    nregs = mdl_span_pages(mdl, offset, length, &fits);
    if (!fits)
        return STATUS_BUFFER_TOO_SMALL; /* "Length too big to fit within the buffer" */
    if (nregs > ad->max_regs || hal_fault(ad->m, acct(ad), DMS_FAULT_MAP_REGISTERS))
        return STATUS_INSUFFICIENT_RESOURCES;
    /* A caller's buffer must hold the exact list; the HAL's own is sized for the worst case (an
     * element a page) rather than walk every page twice. */
    elements = buffer != NULL ? count_fragments(ad, mdl, offset, length)
                              : (ad->sg ? (uint32_t)nregs : 1);
    need = sgl_size(elements);
    if (buffer != NULL && buffer_len < need)
        return STATUS_BUFFER_TOO_SMALL;
    if (buffer != NULL && buffer_in_use(ad, buffer, need)) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, (uintptr_t)buffer, 0, 0,
                    "%s into a ScatterGatherBuffer that still holds an outstanding list (put "
                    "that list back with PutScatterGatherList first): refused", routine);
        return STATUS_INVALID_PARAMETER;
    }
    hal_alloc = buffer == NULL;
    *wb = wb_new(ad);
    if (*wb == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (hal_alloc && (buffer = malloc(need)) == NULL) {
        wb_free(*wb);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    context = (*wb)->context;
    **wb = (struct wait_block){.ad = ad, .devobj = dev, .nregs = (ULONG)nregs, .is_sgl = true,
                               .granted = sgl_build_granted, .routine = routine,
                               .mdl = mdl, .offset = offset,
                               .length = length, .list_fn = fn, .ctx = ctx, .write = write,
                               .buffer = buffer, .buffer_len = need,
                               .hal_allocated = hal_alloc,
                               .context = context};
    range_pin(ad->m, mdl, offset, length, (*wb)->pin);
    return STATUS_SUCCESS;
}

void sgl_request_drop(struct wait_block *wb)
{
    if (wb->hal_allocated)
        free(wb->buffer);
    range_unpin(wb->pin);
    wb_free(wb);
}

/* The checks of the version-1 and -2 requests, then the shared ones. */
static NTSTATUS prepare(struct adapter *ad, const char *routine, PDEVICE_OBJECT dev, PMDL mdl,
                        PVOID va, ULONG length, PDRIVER_LIST_CONTROL fn, PVOID ctx,
                        BOOLEAN write, PVOID buffer, ULONG buffer_len, struct wait_block **wb)
{
    uint64_t offset;

    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_DISPATCH);
    if (dev == NULL || device_of(dev) == NULL || mdl == NULL || fn == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s needs a DeviceObject, an Mdl and an ExecutionRoutine", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (length == 0) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_ZERO_LENGTH, (uintptr_t)mdl, 0, 0,
                    "%s of a zero-length buffer", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (!va_offset(ad, routine, mdl, va, &offset))
        return STATUS_INVALID_PARAMETER;
    return sgl_prepare(ad, routine, dev, mdl, offset, length, fn, ctx, write, buffer,
                       buffer_len, wb);
}

static uint32_t fill_elements(struct wait_block *wb, struct mapreg_file *f,
                              PSCATTER_GATHER_LIST list)
{
    struct adapter *ad = wb->ad;
    const char *routine = wb->routine;
    PMDL mdl = wb->mdl;
    uint64_t offset = wb->offset, left = wb->length;
    uint32_t n = 0;

    while (mdl != NULL && left > 0) {
        uint32_t len;
        uint64_t logical;

        if (offset >= mdl->ByteCount) {
            offset -= mdl->ByteCount;
            mdl = mdl->Next;
            continue;
        }
        /* a scatter/gather master: one fragment at a time; otherwise the whole range */
        len = (uint32_t)(ad->sg && mdl->ByteCount - offset < left ? mdl->ByteCount - offset
                                                                  : left);
        logical = map_fragment(f, mdl, offset, &len, wb->write != 0, routine);
        if (len == 0)
            break; /* reported by map_fragment; cannot happen with the registers granted */
        list->Elements[n].Address = phys_addr(logical);
        list->Elements[n].Length = len;
        list->Elements[n].Reserved = 0;
        n++;
        offset += len;
        left -= len;
    }
    return n;
}

/* sgl_build_granted - the request has its channel and registers: map, call AdapterListControl,
 * release the channel, keep the registers with the list. */
static void sgl_build_granted(struct wait_block *wb, struct mapreg_file *f)
{
    struct adapter *ad = wb->ad;
    PSCATTER_GATHER_LIST list = wb->buffer;
    struct sgl_priv *p;
    struct dms_event ev = {.type = DMS_EV_SGL_BUILD};
    struct dms_event cb = {.type = DMS_EV_CALLBACK, .routine = "AdapterListControl"};
    KIRQL saved = ad->m->irql;

    p = ad->spare_sgls;
    if (p != NULL)
        ad->spare_sgls = p->next;
    else if ((p = malloc(sizeof(*p))) == NULL)
        abort(); /* host memory: a list granted and lost would hang its driver */
    f->state = FILE_SGL;
    list->NumberOfElements = fill_elements(wb, f, list);
    list->Reserved = 0;
    range_unpin(wb->pin); /* the mappings hold their own now */
    *p = (struct sgl_priv){.magic = SGL_MAGIC, .ad = ad, .file = f, .list = list,
                           .bytes = wb->buffer_len, .elements = list->NumberOfElements,
                           .serial = ++ad->sgl_serial,
                           .mdl = wb->mdl, .length = wb->length,
                           .write = wb->write, .hal_allocated = wb->hal_allocated};
    p->next = ad->sgls;
    if (ad->sgls != NULL)
        ad->sgls->prev = p;
    ad->sgls = p;
    if ((ad->sgl_index.cap == 0 && u64map_init(&ad->sgl_index, 64) != 0) ||
        u64map_put(&ad->sgl_index, (uintptr_t)list, (uintptr_t)p) != 0)
        abort(); /* host memory: a list the HAL cannot find again could never be put */
    ev.routine = wb->routine;
    ev.count = list->NumberOfElements;
    ev.length = wb->length;
    ev.write_to_device = wb->write;
    hal_emit(ad->m, acct(ad), &ev);
    hal_charge(ad->m, DMS_COST_SG_ELEMENT, list->NumberOfElements, ad->acct.id);
    if (wb->no_routine) {
        /* DMA_SYNCHRONOUS_CALLBACK without a routine: the list goes back to the caller, who
         * keeps the adapter until FreeAdapterObject once the device is started. */
        *wb->list_out = list;
        ad->channel_sgl_held = true;
        if (wb->tctx != NULL)
            tctx_done(wb->tctx);
        return;
    }
    if (wb->list_out != NULL)
        *wb->list_out = list;
    hal_emit(ad->m, acct(ad), &cb);
    ad->m->irql = DISPATCH_LEVEL;
    wb->list_fn(wb->devobj, wb->devobj->CurrentIrp, list, wb->ctx);
    ad->m->irql = saved;
    /* The allocation request is over: its transfer context is free again, and the adapter
     * is released; the registers stay with the list until PutScatterGatherList. */
    if (wb->tctx != NULL)
        tctx_done(wb->tctx);
    channel_release(ad);
}

NTSTATUS hal_GetScatterGatherList(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                  PMDL Mdl, PVOID CurrentVa, ULONG Length,
                                  PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
                                  BOOLEAN WriteToDevice)
{
    static const char routine[] = "GetScatterGatherList";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct wait_block *wb = NULL;
    NTSTATUS status;

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    status = prepare(ad, routine, DeviceObject, Mdl, CurrentVa, Length, ExecutionRoutine,
                     Context, WriteToDevice, NULL, 0, &wb);
    if (NT_SUCCESS(status))
        request_submit(wb);
    return status;
}

NTSTATUS hal_BuildScatterGatherList(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                    PMDL Mdl, PVOID CurrentVa, ULONG Length,
                                    PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
                                    BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
                                    ULONG ScatterGatherLength)
{
    static const char routine[] = "BuildScatterGatherList";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct wait_block *wb = NULL;
    NTSTATUS status;

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    if (ScatterGatherBuffer == NULL || ScatterGatherLength == 0) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "%s needs a ScatterGatherBuffer and its length", routine);
        return STATUS_INVALID_PARAMETER;
    }
    status = prepare(ad, routine, DeviceObject, Mdl, CurrentVa, Length, ExecutionRoutine,
                     Context, WriteToDevice, ScatterGatherBuffer, ScatterGatherLength, &wb);
    if (NT_SUCCESS(status))
        request_submit(wb);
    return status;
}

/* Take p off ad's outstanding lists and keep it for the next list. */
static void priv_unlink(struct adapter *ad, struct sgl_priv *p)
{
    u64map_del(&ad->sgl_index, (uintptr_t)p->list);
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        ad->sgls = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    p->magic = 0;
    p->next = ad->spare_sgls;
    ad->spare_sgls = p;
}

/* Free the MDL copy BuildMdlFromScatterGatherList made (none when it handed back the
 * original). */
static void free_built_mdl(struct sgl_priv *p)
{
    PMDL m = p->built_mdl;

    while (m != NULL) {
        PMDL next = m->Next;
        IoFreeMdl(m);
        m = next;
    }
}

/* PutScatterGatherList - flush (copy back what a read bounced), free the registers and any
 * MDL built from the list, and free the list if the HAL allocated it. */
VOID hal_PutScatterGatherList(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather,
                              BOOLEAN WriteToDevice)
{
    static const char routine[] = "PutScatterGatherList";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct dms_event ev = {.type = DMS_EV_SGL_PUT, .routine = routine};
    struct sgl_priv *p;

    if (ad == NULL)
        return;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_EXACT_DISPATCH);
    p = priv_lookup(ad, ScatterGather);
    if (p == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_E6_SGL_DOUBLE_FREE, ad->acct.st.sg_lists_built,
                    ad->acct.st.sg_lists_built - ad->acct.st.sg_lists_outstanding + 1, 0,
                    "%s of a list that is not outstanding (put twice?)", routine);
        return;
    }
    if ((p->write != 0) != (WriteToDevice != 0))
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_DIRECTION, p->write, WriteToDevice, 0,
                    "%s with WriteToDevice=%s for a list built with WriteToDevice=%s", routine,
                    WriteToDevice ? "TRUE" : "FALSE", p->write ? "TRUE" : "FALSE");
    unmap_range(p->file, NULL, 0, UINT64_MAX, WriteToDevice != 0, routine, false);
    file_release(p->file, routine);
    free_built_mdl(p);
    ev.count = p->elements;
    ev.length = p->length;
    ev.write_to_device = WriteToDevice != 0;
    if (p->hal_allocated)
        free(p->list);
    priv_unlink(ad, p);
    hal_emit(ad->m, acct(ad), &ev);
}

NTSTATUS hal_CalculateScatterGatherList(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID CurrentVa,
                                        ULONG Length, PULONG ScatterGatherListSize,
                                        PULONG pNumberOfMapRegisters)
{
    static const char routine[] = "CalculateScatterGatherList";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    uint64_t nregs, offset;
    uint32_t elements;
    bool fits = true;

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    if (ScatterGatherListSize == NULL || Length == 0) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, Length, 0, 0,
                    "%s needs a non-zero Length and ScatterGatherListSize", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (Mdl == NULL) { /* the most any buffer of this size could need */
        nregs = ADDRESS_AND_SIZE_TO_SPAN_PAGES(CurrentVa, Length);
        elements = ad->sg ? (uint32_t)nregs : 1;
    } else {
        if (!va_offset(ad, routine, Mdl, CurrentVa, &offset))
            return STATUS_INVALID_PARAMETER;
        nregs = mdl_span_pages(Mdl, offset, Length, &fits);
        if (!fits)
            return STATUS_BUFFER_TOO_SMALL;
        elements = count_fragments(ad, Mdl, offset, Length);
    }
    if (nregs > ad->max_regs)
        return STATUS_INSUFFICIENT_RESOURCES;
    *ScatterGatherListSize = (ULONG)sgl_size(elements);
    if (pNumberOfMapRegisters != NULL)
        *pNumberOfMapRegisters = (ULONG)nregs;
    return STATUS_SUCCESS;
}

/* Copy an MDL chain: headers and PFN arrays. Returns the head, or NULL (nothing allocated). */
static PMDL clone_chain(struct dms_machine *m, PMDL mdl)
{
    PMDL head = NULL, *link = &head;

    for (; mdl != NULL; mdl = mdl->Next) {
        ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(mdl), mdl->ByteCount);
        size_t bytes = sizeof(MDL) + (size_t)pages * sizeof(PFN_NUMBER);
        PMDL copy = mdl_alloc(m, pages);
        if (copy == NULL) {
            while (head != NULL) {
                PMDL next = head->Next;
                IoFreeMdl(head);
                head = next;
            }
            return NULL;
        }
        memcpy(copy, mdl, bytes);
        copy->Next = NULL;
        /* the copy describes bounce pages the CPU has no system mapping for */
        copy->MdlFlags &= ~(MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL);
        copy->MappedSystemVa = NULL;
        *link = copy;
        link = &copy->Next;
    }
    return head;
}

/* Point the copy's pages at the bounce pages a mapping used. Only a mapping that lies in one
 * MDL can be described page for page; a packed copy across a chain cannot. */
static bool redirect(struct sgl_priv *p, PMDL copy, const struct mapping *mp)
{
    struct adapter *ad = p->ad;
    PMDL orig = p->mdl;
    uint64_t first;

    while (orig != NULL && orig != mp->mdl) {
        orig = orig->Next;
        copy = copy->Next;
    }
    if (orig == NULL || mp->offset + mp->length > orig->ByteCount)
        return false;
    first = ((uint64_t)orig->ByteOffset + mp->offset) >> HAL_PAGE_SHIFT;
    for (uint32_t i = 0; i < mp->nregs; i++)
        MmGetMdlPfnArray(copy)[first + i] =
            (PFN_NUMBER)(ad->pool->base_pfn + p->file->regs[mp->first_reg + i]);
    return true;
}

/* BuildMdlFromScatterGatherList - an MDL for the pages the device really uses: the original
 * when nothing was bounced, else a copy whose bounced pages are the bounce pages. */
NTSTATUS hal_BuildMdlFromScatterGatherList(PDMA_ADAPTER DmaAdapter,
                                           PSCATTER_GATHER_LIST ScatterGather, PMDL OriginalMdl,
                                           PMDL *TargetMdl)
{
    static const char routine[] = "BuildMdlFromScatterGatherList";
    struct adapter *ad = adapter_get(DmaAdapter, routine);
    struct sgl_priv *p;
    PMDL copy;
    bool bounced = false;

    if (ad == NULL)
        return STATUS_INVALID_PARAMETER;
    hal_irql_check(ad->m, acct(ad), routine, IRQL_MAX_DISPATCH);
    if (OriginalMdl == NULL || TargetMdl == NULL)
        return STATUS_INVALID_PARAMETER;
    p = priv_lookup(ad, ScatterGather);
    if (p == NULL) {
        hal_finding(ad->m, acct(ad), routine, DMS_CHECK_BAD_ARGUMENT, (uintptr_t)ScatterGather,
                    0, 0, "%s of a list that is not outstanding", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (p->mdl_built)
        return STATUS_NONE_MAPPED;
    for (uint32_t i = 0; i < p->file->n_maps; i++)
        bounced |= p->file->maps[i].live && p->file->maps[i].reason != DMS_BOUNCE_NONE;
    if (!bounced) {
        p->mdl_built = true;
        *TargetMdl = OriginalMdl;
        return STATUS_SUCCESS;
    }
    copy = clone_chain(ad->m, p->mdl);
    if (copy == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    p->built_mdl = copy;
    for (uint32_t i = 0; i < p->file->n_maps; i++) {
        const struct mapping *mp = &p->file->maps[i];
        if (mp->live && mp->reason != DMS_BOUNCE_NONE && !redirect(p, copy, mp)) {
            free_built_mdl(p);
            p->built_mdl = NULL;
            return STATUS_INSUFFICIENT_RESOURCES;
        }
    }
    p->mdl_built = true;
    *TargetMdl = copy;
    return STATUS_SUCCESS;
}

void sgl_free_all(struct adapter *ad)
{
    while (ad->sgls != NULL) {
        struct sgl_priv *p = ad->sgls;
        free_built_mdl(p);
        if (p->hal_allocated)
            free(p->list);
        priv_unlink(ad, p);
    }
    while (ad->spare_sgls != NULL) {
        struct sgl_priv *next = ad->spare_sgls->next;
        free(ad->spare_sgls);
        ad->spare_sgls = next;
    }
    u64map_free(&ad->sgl_index);
}
