/*
 * kernel.c - the slice of the Windows kernel a DMA driver calls besides the HAL: IRQL, DPCs,
 * MDLs and nonpaged pool, with the WDK's names and semantics. (Device objects and IRPs are
 * iomgr.c's; locking pages and the rest of the memory manager mm.c's.)
 *
 * Driver buffers are plain host memory (DESIGN.md, decision 2): ExAllocatePoolWithTag returns
 * a host pointer the driver reads and writes directly, and each of its pages is given a
 * simulated physical frame by the machine's placement policy. An MDL's PFN array therefore
 * holds simulated frame numbers, exactly what the HAL and the devices work from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

/* IoAllocateMdl: Windows 7 and later accept up to 4 GiB - PAGE_SIZE. */
#define MDL_MAX_LENGTH (0xFFFFFFFFu - PAGE_SIZE + 1)

static BOOLEAN physical_64bit = TRUE; /* x64: the hardware and OS address 64-bit memory */
PBOOLEAN Mm64BitPhysicalAddress = &physical_64bit;

/* ---------------------------------------------------------------------------------------------
 * IRQL.
 */
/* hal_irql_check - apply one IRQL rule of the reference (3.1). A wrong level is Driver
 * Verifier's 0xE6/0x13: parameter 2 is 1 when the level must be exactly P3, 2 when it may be
 * at most P3; P4 is the current level. The routine then carries on, as the HAL would. */
void hal_irql_check(struct dms_machine *m, struct hal_account *acct, const char *routine,
                    enum irql_rule rule)
{
    KIRQL now = m->irql;

    switch (rule) {
    case IRQL_EXACT_PASSIVE:
        if (now != PASSIVE_LEVEL)
            hal_finding(m, acct, routine, DMS_E6_WRONG_IRQL, 1, PASSIVE_LEVEL, now,
                        "%s called at IRQL %u; it must be called at PASSIVE_LEVEL", routine,
                        now);
        break;
    case IRQL_EXACT_DISPATCH:
        if (now != DISPATCH_LEVEL)
            hal_finding(m, acct, routine, DMS_E6_WRONG_IRQL, 1, DISPATCH_LEVEL, now,
                        "%s called at IRQL %u; it must be called at DISPATCH_LEVEL", routine,
                        now);
        break;
    case IRQL_MAX_DISPATCH:
        if (now > DISPATCH_LEVEL)
            hal_finding(m, acct, routine, DMS_E6_WRONG_IRQL, 2, DISPATCH_LEVEL, now,
                        "%s called at IRQL %u; the most it allows is DISPATCH_LEVEL", routine,
                        now);
        break;
    }
}

KIRQL KeGetCurrentIrql(void)
{
    return hal_machine()->irql;
}

VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)
{
    struct dms_machine *m = hal_machine();

    if (NewIrql < m->irql || NewIrql > HIGH_LEVEL)
        hal_finding(m, NULL, "KeRaiseIrql", DMS_CHECK_BAD_ARGUMENT, NewIrql, m->irql, 0,
                    "KeRaiseIrql to %u from %u: the new level must not be lower "
                    "(IRQL_NOT_GREATER_OR_EQUAL)", NewIrql, m->irql);
    if (OldIrql != NULL)
        *OldIrql = m->irql;
    if (NewIrql <= HIGH_LEVEL)
        m->irql = NewIrql;
}

KIRQL KeRaiseIrqlToDpcLevel(void)
{
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    return old;
}

/* Lowering below DISPATCH_LEVEL is when Windows delivers queued DPCs; the trivial platform runs
 * its queued work at the same moment. */
VOID KeLowerIrql(KIRQL NewIrql)
{
    struct dms_machine *m = hal_machine();

    if (NewIrql > m->irql) {
        hal_finding(m, NULL, "KeLowerIrql", DMS_CHECK_BAD_ARGUMENT, NewIrql, m->irql, 0,
                    "KeLowerIrql to %u from %u: the new level must not be higher "
                    "(IRQL_NOT_LESS_OR_EQUAL)", NewIrql, m->irql);
        return;
    }
    m->irql = NewIrql;
    if (NewIrql < DISPATCH_LEVEL)
        hal_drain_pending(m);
}

/* ---------------------------------------------------------------------------------------------
 * DPCs. A queued DPC holds a token; KeRemoveQueueDpc cancels the token, so a DPC removed and
 * queued again runs once, at its new turn.
 */
struct dpc_token {
    PRKDPC dpc;
    bool cancelled;
    struct dpc_token *next; /* on the kernel's spare list */
    struct dpc_token *all;  /* every token made: freed with the machine, queued or not */
};

/* A token is given back once its scheduled run has happened (run or cancelled). */
static void token_put(struct dms_machine *m, struct dpc_token *t)
{
    t->next = m->kern->spare_tokens;
    m->kern->spare_tokens = t;
}

void dpc_tokens_free(struct dms_machine *m)
{
    while (m->kern->all_tokens != NULL) {
        struct dpc_token *next = m->kern->all_tokens->all;
        free(m->kern->all_tokens);
        m->kern->all_tokens = next;
    }
    m->kern->spare_tokens = NULL;
}

VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)
{
    if (hal_null(hal_machine(), "KeInitializeDpc", Dpc, "Dpc"))
        return;
    memset(Dpc, 0, sizeof(*Dpc));
    Dpc->Type = 0x13; /* DpcObject */
    Dpc->DeferredRoutine = DeferredRoutine;
    Dpc->DeferredContext = DeferredContext;
}

static void run_dpc(void *arg)
{
    struct dpc_token *token = arg;
    PRKDPC dpc = token->dpc;
    struct dms_machine *m = hal_machine();
    struct dms_event ev = {.type = DMS_EV_DPC_RUN};
    uint32_t held = m->kern->locks_held;

    if (token->cancelled) {
        token_put(m, token);
        return;
    }
    struct device *d = NULL, *prev;

    token_put(m, token);
    dpc->DpcData = NULL;
    hal_emit(m, NULL, &ev);
    /* a device's DPC (IoInitializeDpcRequest's, or one whose context is its device object)
     * runs as that device's driver code */
    if (dpc->DeferredContext != NULL && hal_object_is(m, dpc->DeferredContext, OBJ_DEVICE))
        d = device_of(dpc->DeferredContext);
    prev = acting_enter(m, d != NULL ? d : m->kern->acting);
    dpc->DeferredRoutine(dpc, dpc->DeferredContext, dpc->SystemArgument1, dpc->SystemArgument2);
    acting_leave(m, prev);
    hal_locks_check(m, held, "a DPC");
}

BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2)
{
    struct dms_machine *m = hal_machine();

    if (hal_null(m, "KeInsertQueueDpc", Dpc, "Dpc") ||
        hal_null(m, "KeInsertQueueDpc", Dpc->DeferredRoutine, "DeferredRoutine"))
        return FALSE;
    struct dpc_token *token;
    struct dms_event ev = {.type = DMS_EV_DPC_QUEUE};

    if (Dpc->DpcData != NULL)
        return FALSE; /* already queued */
    token = m->kern->spare_tokens;
    if (token != NULL) {
        m->kern->spare_tokens = token->next;
    } else {
        if ((token = malloc(sizeof(*token))) == NULL)
            abort();
        token->all = m->kern->all_tokens;
        m->kern->all_tokens = token;
    }
    token->dpc = Dpc;
    token->cancelled = false;
    Dpc->DpcData = token;
    Dpc->SystemArgument1 = SystemArgument1;
    Dpc->SystemArgument2 = SystemArgument2;
    hal_emit(m, NULL, &ev);
    hal_schedule(m, DISPATCH_LEVEL, run_dpc, token);
    return TRUE;
}

BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc)
{
    if (hal_null(hal_machine(), "KeRemoveQueueDpc", Dpc, "Dpc"))
        return FALSE;
    struct dpc_token *token = Dpc->DpcData;

    if (token == NULL)
        return FALSE;
    token->cancelled = true; /* the scheduled run frees it */
    Dpc->DpcData = NULL;
    return TRUE;
}

static VOID dpc_for_isr(PKDPC Dpc, PVOID Context, PVOID Irp, PVOID IsrContext)
{
    PDEVICE_OBJECT dev = Context;
    struct device *d = device_of(dev);

    d->dpc_routine(Dpc, dev, Irp, IsrContext);
}

VOID IoInitializeDpcRequest(PDEVICE_OBJECT DeviceObject, PIO_DPC_ROUTINE DpcRoutine)
{
    struct device *d = device_of(DeviceObject);

    if (d == NULL || DpcRoutine == NULL) {
        hal_finding(hal_machine(), NULL, "IoInitializeDpcRequest", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)DeviceObject, 0, 0, "IoInitializeDpcRequest needs a device object "
                    "and a DpcForIsr routine");
        return;
    }
    d->dpc_routine = DpcRoutine;
    KeInitializeDpc(&DeviceObject->Dpc, dpc_for_isr, DeviceObject);
}

VOID IoRequestDpc(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    struct device *d = device_of(DeviceObject);

    if (d == NULL || d->dpc_routine == NULL) {
        hal_finding(hal_machine(), NULL, "IoRequestDpc", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)DeviceObject, 0, 0, "IoRequestDpc for %s, which has no DpcForIsr "
                    "(IoInitializeDpcRequest)", d != NULL ? d->name : "no device object");
        return;
    }
    KeInsertQueueDpc(&DeviceObject->Dpc, Irp, Context);
}

/* ---------------------------------------------------------------------------------------------
 * MDLs.
 */
PMDL mdl_alloc(struct dms_machine *m, ULONG pages)
{
    struct mdl_node *n = calloc(1, sizeof(*n) + sizeof(MDL) + (size_t)pages * sizeof(PFN_NUMBER));

    if (n == NULL)
        return NULL;
    if (hal_object_add(m, n + 1, OBJ_MDL) != 0) {
        free(n);
        return NULL;
    }
    n->m = m;
    n->next = m->kern->mdls;
    if (m->kern->mdls != NULL)
        m->kern->mdls->prev = n;
    m->kern->mdls = n;
    return (PMDL)(n + 1);
}

static void node_free(struct mdl_node *n)
{
    struct dms_machine *m = n->m;

    if (n->prev != NULL)
        n->prev->next = n->next;
    else
        m->kern->mdls = n->next;
    if (n->next != NULL)
        n->next->prev = n->prev;
    free(n);
}

/* mdl_release - give back an MDL mdl_alloc made: out of the object table at once (a second
 * free is then caught), its memory when no DMA mapping reads it any more. */
void mdl_release(struct dms_machine *m, PMDL mdl)
{
    struct mdl_node *n = (struct mdl_node *)mdl - 1;

    hal_object_del(m, mdl);
    if (m->kern->paged_mdls.count > 0)
        u64map_del(&m->kern->paged_mdls, (uintptr_t)mdl);
    if (n->pins > 0)
        n->freed = 1;
    else
        node_free(n);
}

struct mdl_node *mdl_pin(struct dms_machine *m, PMDL mdl)
{
    struct mdl_node *n;

    if (!hal_object_is(m, mdl, OBJ_MDL))
        return NULL;
    n = (struct mdl_node *)mdl - 1;
    n->pins++;
    return n;
}

void mdl_unpin(struct mdl_node *n)
{
    if (n != NULL && --n->pins == 0 && n->freed)
        node_free(n);
}

/* IoFreeMdl - only an MDL IoAllocateMdl (or the HAL) gave out, and only once: anything else is
 * a finding, and nothing is read through the pointer. */
VOID IoFreeMdl(PMDL Mdl)
{
    struct dms_machine *m = hal_machine();

    if (Mdl == NULL)
        return;
    if (mm_free_mdl(m, Mdl)) /* an MDL of MmAllocatePagesForMdl: ExFreePool's, done the same */
        return;
    if (!hal_object_is(m, Mdl, OBJ_MDL)) {
        hal_finding(m, NULL, "IoFreeMdl", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)Mdl, 0, 0,
                    "IoFreeMdl of %p, which is no MDL IoAllocateMdl gave out, or one already "
                    "freed", (void *)Mdl);
        return;
    }
    if (((struct mdl_node *)Mdl - 1)->pins > 0)
        hal_finding(m, NULL, "IoFreeMdl", DMS_CHECK_FREED_WHILE_MAPPED, (uintptr_t)Mdl,
                    ((struct mdl_node *)Mdl - 1)->pins, 0,
                    "IoFreeMdl of an MDL still in use for DMA, mapped or in a list request "
                    "still waiting (flush or put the transfer first): the HAL keeps it until "
                    "then");
    mdl_release(m, Mdl);
}

/* MDLs a driver never freed go with the machine, so a leaky driver does not leak the host. */
void mdl_free_all(struct dms_machine *m)
{
    while (m->kern->mdls != NULL) {
        struct mdl_node *next = m->kern->mdls->next;
        free(m->kern->mdls);
        m->kern->mdls = next;
    }
}

PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                   BOOLEAN ChargeQuota, PIRP Irp)
{
    struct dms_machine *m = hal_machine();
    ULONG pages;
    PMDL mdl;

    (void)ChargeQuota;
    if (Length == 0 || Length > MDL_MAX_LENGTH ||
        hal_fault(m, acting_account(m), DMS_FAULT_MDL))
        return NULL;
    pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(VirtualAddress, Length);
    mdl = mdl_alloc(hal_machine(), pages);
    if (mdl == NULL)
        return NULL;
    /* Size is a CSHORT: past about 4,000 pages it wraps, as it does on Windows. */
    mdl->Size = (CSHORT)(sizeof(MDL) + (size_t)pages * sizeof(PFN_NUMBER));
    mdl->StartVa = PAGE_ALIGN(VirtualAddress);
    mdl->ByteOffset = BYTE_OFFSET(VirtualAddress);
    mdl->ByteCount = Length;
    if (Irp != NULL) {
        if (SecondaryBuffer && Irp->MdlAddress != NULL) {
            PMDL tail = Irp->MdlAddress;
            while (tail->Next != NULL)
                tail = tail->Next;
            tail->Next = mdl;
        } else {
            Irp->MdlAddress = mdl;
        }
    }
    return mdl;
}

VOID MmBuildMdlForNonPagedPool(PMDL Mdl)
{
    struct dms_machine *m = hal_machine();

    if (hal_null(m, "MmBuildMdlForNonPagedPool", Mdl, "Mdl"))
        return;
    PPFN_NUMBER pfns = MmGetMdlPfnArray(Mdl);
    ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), Mdl->ByteCount);
    ULONG missing = 0;
    ULONG paged = 0;

    for (ULONG i = 0; i < pages; i++) {
        uint64_t pfn = 0;
        struct frame *f;
        if (!phys_va_to_pfn(m, (uint8_t *)Mdl->StartVa + (size_t)i * PAGE_SIZE, &pfn))
            missing++;
        else if ((f = phys_frame(m, pfn)) != NULL && m->hw->owners[f->owner].pageable)
            paged++;
        pfns[i] = (PFN_NUMBER)pfn;
    }
    /* remembered, so that DMA on it is 0xE6/0x0E as for a buffer never locked */
    if (paged > 0 && (m->kern->paged_mdls.keys != NULL ||
                      u64map_init(&m->kern->paged_mdls, 16) == 0))
        u64map_put(&m->kern->paged_mdls, (uintptr_t)Mdl, paged);
    else if (paged == 0 && m->kern->paged_mdls.count > 0)
        u64map_del(&m->kern->paged_mdls, (uintptr_t)Mdl);
    if (paged > 0)
        hal_finding(m, NULL, "MmBuildMdlForNonPagedPool", DMS_CHECK_NOT_NONPAGED,
                    (uintptr_t)Mdl, paged, 0,
                    "MmBuildMdlForNonPagedPool over %u page(s) of paged pool, which may be "
                    "paged out under the device (lock it with MmProbeAndLockPages)", paged);
    if (missing > 0)
        hal_finding(m, NULL, "MmBuildMdlForNonPagedPool", DMS_CHECK_NOT_NONPAGED,
                    (uintptr_t)Mdl, missing, 0,
                    "MmBuildMdlForNonPagedPool over %u page(s) that are not nonpaged pool "
                    "(allocate DMA buffers with ExAllocatePool2 or dms_buffer_alloc)", missing);
    Mdl->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
    Mdl->MappedSystemVa = MmGetMdlVirtualAddress(Mdl);
}

/* A locked MDL is mapped on demand (MmMapLockedPagesSpecifyCache); one that is neither
 * locked nor nonpaged pool has no pages to map. */
PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority)
{
    if (hal_null(hal_machine(), "MmGetSystemAddressForMdlSafe", Mdl, "Mdl"))
        return NULL;
    if (Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
        return Mdl->MappedSystemVa;
    if (Mdl->MdlFlags & MDL_PAGES_LOCKED)
        return MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, Priority);
    return NULL;
}

PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress)
{
    uint64_t physical = 0;

    dms_physical_of(hal_machine(), BaseAddress, &physical);
    return phys_addr(physical);
}

/* ---------------------------------------------------------------------------------------------
 * Nonpaged pool.
 */
static PVOID pool_alloc(struct dms_machine *m, struct device *d, const char *label,
                        uint32_t serial, SIZE_T bytes, bool pageable)
{
    uint64_t npages;
    uint8_t *host;
    uint32_t owner;

    if (bytes == 0 || bytes > DMS_MAX_RAM)
        return NULL;
    npages = (bytes + HAL_PAGE_MASK) >> HAL_PAGE_SHIFT;
    if (npages > m->hw->allocatable_frames - m->hw->frames_in_use)
        return NULL;
    host = host_pages_alloc(m, npages);
    if (host == NULL)
        return NULL;
    if (owner_new(m, OWNER_BUFFER, label, serial, &owner) != 0) {
        host_pages_free(m, host, npages);
        return NULL;
    }
    m->hw->owners[owner].host = host;
    m->hw->owners[owner].pages = npages;
    m->hw->owners[owner].master = d != NULL ? &d->bm : NULL;
    m->hw->owners[owner].pageable = pageable;
    if (phys_alloc_scattered(m, host, npages, owner) != 0) {
        owner_put(m, owner);
        host_pages_free(m, host, npages);
        return NULL;
    }
    return host;
}

static PVOID tagged_alloc(SIZE_T bytes, ULONG tag, bool pageable)
{
    struct dms_machine *m = hal_machine();
    char label[32];

    if (hal_fault(m, acting_account(m), DMS_FAULT_POOL))
        return NULL; /* fault injection: pool exhausted */
    snprintf(label, sizeof(label), "pool tag '%c%c%c%c'", (char)(tag & 0xff),
             (char)((tag >> 8) & 0xff), (char)((tag >> 16) & 0xff), (char)(tag >> 24));
    return pool_alloc(m, NULL, label, ++m->kern->tag_serial, bytes, pageable);
}

/* Paged pool is pageable: its pages may be taken away at any time, so a device may reach
 * them only while an MDL has them locked (MmProbeAndLockPages). The odd POOL_TYPEs are the
 * paged ones (PagedPool, PagedPoolCacheAligned, ...). */
PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return tagged_alloc(NumberOfBytes, Tag, (PoolType & 1) != 0);
}

PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag)
{
    return tagged_alloc(NumberOfBytes, Tag, (Flags & POOL_FLAG_PAGED) != 0);
}

PVOID dms_buffer_alloc(struct dms_machine *m, PDEVICE_OBJECT dev, SIZE_T bytes)
{
    struct device *d = device_of(dev);

    if (d == NULL)
        return pool_alloc(m, NULL, "no device", ++m->kern->tag_serial, bytes, false);
    return pool_alloc(m, d, d->name, ++d->buffer_serial, bytes, false);
}

VOID ExFreePool(PVOID P)
{
    struct dms_machine *m = hal_machine();
    uint64_t pfn;
    struct frame *f = NULL;
    struct owner *o = NULL;
    uint32_t mapped = 0;

    if (mm_free_mdl(m, P))
        return;
    if (phys_va_to_pfn(m, P, &pfn) && (f = phys_frame(m, pfn)) != NULL)
        o = &m->hw->owners[f->owner];
    if (o == NULL || o->kind != OWNER_BUFFER || o->host != P) {
        hal_finding(m, NULL, "ExFreePool", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)P, 0, 0,
                    "ExFreePool of %p, which is not the start of a pool allocation "
                    "(BAD_POOL_CALLER)", P);
        return;
    }
    for (uint64_t i = 0; i < o->pages; i++) {
        uint64_t p;
        struct frame *pf;
        if (phys_va_to_pfn(m, o->host + i * HAL_PAGE_SIZE, &p) && (pf = phys_frame(m, p)))
            mapped += pf->dma_maps > 0;
    }
    if (mapped > 0)
        hal_finding(m, NULL, "ExFreePool", DMS_CHECK_FREED_WHILE_MAPPED, (uintptr_t)P, mapped, 0,
                    "ExFreePool of %s while %u of its pages are still mapped for DMA (flush "
                    "the transfer first): the device may still write into them", o->label,
                    mapped);
    phys_release(m, o->host, o->pages);
    host_pages_free(m, o->host, o->pages);
    owner_put(m, f->owner);
}

VOID ExFreePoolWithTag(PVOID P, ULONG Tag)
{
    (void)Tag;
    ExFreePool(P);
}

/* ---------------------------------------------------------------------------------------------
 * Cache maintenance over an MDL (a non-coherent machine: hw/cache.c).
 */
void cache_mdl(struct dms_machine *m, struct hal_account *acct, const char *routine, PMDL mdl,
               uint64_t off, uint64_t len, bool clean)
{
    struct dms_event ev = {.type = DMS_EV_CACHE, .routine = routine, .length = len,
                           .count = 0, .write_to_device = clean};
    uint64_t lines = 0;

    /* page by page along the chain */
    while (mdl != NULL && len > 0) {
        if (off >= mdl->ByteCount) {
            off -= mdl->ByteCount;
            mdl = mdl->Next;
            continue;
        }
        uint64_t pos = (uint64_t)mdl->ByteOffset + off;
        uint32_t o = (uint32_t)(pos & HAL_PAGE_MASK);
        uint64_t chunk = HAL_PAGE_SIZE - o;

        if (chunk > len)
            chunk = len;
        if (chunk > mdl->ByteCount - off)
            chunk = mdl->ByteCount - off;
        lines += cache_maintain(m, MmGetMdlPfnArray(mdl)[pos >> HAL_PAGE_SHIFT], o,
                                (uint32_t)chunk, clean);
        off += chunk;
        len -= chunk;
    }
    ev.count = (uint32_t)lines;
    if (acct != NULL) {
        if (clean)
            acct->st.cache_lines_cleaned += lines;
        else
            acct->st.cache_lines_invalidated += lines;
    }
    hal_emit(m, acct, &ev);
    hal_charge(m, DMS_COST_CACHE_LINE, lines, acct != NULL ? acct->id : 0);
}

/* KeFlushIoBuffers - "flushes the memory region described by an MDL from all processor
 * caches": here a clean before a write to the device, an invalidate for a read. Nothing to do
 * where DMA is coherent. The account it is charged to: the adapter of the buffer's device. */
VOID KeFlushIoBuffers(PMDL Mdl, BOOLEAN ReadOperation, BOOLEAN DmaOperation)
{
    struct dms_machine *m = hal_machine();
    struct hal_account *acct = NULL;
    struct frame *f;

    (void)DmaOperation;
    if (m == NULL || Mdl == NULL || !m->cfg.noncoherent)
        return;
    f = phys_frame(m, MmGetMdlPfnArray(Mdl)[0]);
    if (f != NULL) {
        const struct owner *o = &m->hw->owners[f->owner];
        if (o->kind == OWNER_BUFFER && o->master != NULL)
            acct = o->master->acct;
    }
    cache_mdl(m, acct, "KeFlushIoBuffers", Mdl, 0, Mdl->ByteCount, !ReadOperation);
}
