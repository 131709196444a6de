/*
 * mm.c - the memory manager's routines a DMA driver calls beyond pool and MDL basics: locking
 * a buffer's pages (what makes a request's buffer reachable by a device), partial MDLs,
 * physical pages handed out behind an MDL (MmAllocatePagesForMdl), physically contiguous
 * memory (the way seed 002 warns against), and lookaside lists.
 *
 * Pages come from the machine's sparse physical memory exactly as pool does (kernel.c): host
 * memory the CPU uses directly, each page given a simulated frame. The memory manager's record
 * of what it handed out is kept in the HAL's object table, never in the MDL a driver holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

struct pages {
    uint8_t *host;
    uint64_t npages;
    uint32_t owner;
    bool freed; /* MmFreePagesFromMdl ran */
};

static PPFN_NUMBER pfns(PMDL mdl)
{
    return MmGetMdlPfnArray(mdl);
}

/* ---------------------------------------------------------------------------------------------
 * Locking.
 */
VOID MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                         LOCK_OPERATION Operation)
{
    struct dms_machine *m = hal_machine();
    PMDL mdl = MemoryDescriptorList;
    ULONG pages, missing = 0;

    (void)AccessMode;
    if (mdl == NULL || (mdl->MdlFlags & MDL_PAGES_LOCKED)) {
        hal_finding(m, NULL, "MmProbeAndLockPages", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)mdl, 0,
                    0, "MmProbeAndLockPages of %s", mdl == NULL ? "a NULL MDL"
                                                                : "an MDL already locked");
        return;
    }
    if (m->irql > DISPATCH_LEVEL)
        hal_finding(m, NULL, "MmProbeAndLockPages", DMS_E6_WRONG_IRQL, m->irql, 0, 0,
                    "MmProbeAndLockPages at IRQL %u", m->irql);
    pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(mdl), mdl->ByteCount);
    for (ULONG i = 0; i < pages; i++) {
        uint64_t pfn = 0;
        if (!phys_va_to_pfn(m, (uint8_t *)mdl->StartVa + (size_t)i * PAGE_SIZE, &pfn))
            missing++;
        pfns(mdl)[i] = (PFN_NUMBER)pfn;
    }
    if (missing > 0) {
        /* Windows raises STATUS_ACCESS_VIOLATION into the caller's try/except. */
        hal_finding(m, NULL, "MmProbeAndLockPages", DMS_CHECK_NOT_NONPAGED, (uintptr_t)mdl,
                    missing, 0, "MmProbeAndLockPages over %u page(s) the machine has no "
                    "memory for (Windows raises STATUS_ACCESS_VIOLATION); the MDL stays "
                    "unlocked", missing);
        return;
    }
    mdl->MdlFlags |= MDL_PAGES_LOCKED;
    if (Operation != IoReadAccess)
        mdl->MdlFlags |= MDL_WRITE_OPERATION;
}

VOID MmUnlockPages(PMDL MemoryDescriptorList)
{
    struct dms_machine *m = hal_machine();
    PMDL mdl = MemoryDescriptorList;

    if (mdl == NULL || !(mdl->MdlFlags & MDL_PAGES_LOCKED)) {
        hal_finding(m, NULL, "MmUnlockPages", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)mdl, 0, 0,
                    "MmUnlockPages of an MDL whose pages are not locked");
        return;
    }
    mdl->MdlFlags &= (CSHORT)~(MDL_PAGES_LOCKED | MDL_WRITE_OPERATION | MDL_MAPPED_TO_SYSTEM_VA);
}

VOID MmPrepareMdlForReuse(PMDL Mdl)
{
    if (hal_null(hal_machine(), "MmPrepareMdlForReuse", Mdl, "Mdl"))
        return;
    if (Mdl->MdlFlags & MDL_PARTIAL_HAS_BEEN_MAPPED) {
        Mdl->MdlFlags &= (CSHORT)~(MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_MAPPED_TO_SYSTEM_VA);
        Mdl->MappedSystemVa = NULL;
    }
}

/* A partial MDL describes part of a locked source: its PFNs are the source's, from the page
 * VirtualAddress lies in. */
VOID IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length)
{
    struct dms_machine *m = hal_machine();

    if (hal_null(m, "IoBuildPartialMdl", SourceMdl, "SourceMdl") ||
        hal_null(m, "IoBuildPartialMdl", TargetMdl, "TargetMdl"))
        return;
    uint8_t *src_va = MmGetMdlVirtualAddress(SourceMdl);
    uint64_t offset = (uint64_t)((uint8_t *)VirtualAddress - src_va);
    ULONG pages, first;

    if (Length == 0)
        Length = (ULONG)(SourceMdl->ByteCount - offset);
    if ((uint8_t *)VirtualAddress < src_va || offset + Length > SourceMdl->ByteCount) {
        hal_finding(m, NULL, "IoBuildPartialMdl", DMS_E6_ADDRESS_NOT_IN_MDL,
                    (uintptr_t)VirtualAddress, Length, (uintptr_t)SourceMdl,
                    "IoBuildPartialMdl of %u bytes at %p, outside the source MDL", Length,
                    VirtualAddress);
        return;
    }
    pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(VirtualAddress, Length);
    if ((size_t)TargetMdl->Size < sizeof(MDL) + pages * sizeof(PFN_NUMBER) &&
        TargetMdl->Size > 0) {
        hal_finding(m, NULL, "IoBuildPartialMdl", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)TargetMdl,
                    pages, 0, "IoBuildPartialMdl: the target MDL has no room for %u pages",
                    pages);
        return;
    }
    first = (ULONG)((SourceMdl->ByteOffset + offset) >> PAGE_SHIFT);
    TargetMdl->StartVa = PAGE_ALIGN(VirtualAddress);
    TargetMdl->ByteOffset = BYTE_OFFSET(VirtualAddress);
    TargetMdl->ByteCount = Length;
    TargetMdl->Process = SourceMdl->Process;
    TargetMdl->MdlFlags = (CSHORT)(MDL_PARTIAL |
                                   (SourceMdl->MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL |
                                                           MDL_PAGES_LOCKED | MDL_IO_SPACE)));
    TargetMdl->MappedSystemVa = NULL;
    if (SourceMdl->MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA) &&
        SourceMdl->MappedSystemVa != NULL) {
        TargetMdl->MappedSystemVa = (uint8_t *)SourceMdl->MappedSystemVa + offset;
        if (!(SourceMdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL))
            TargetMdl->MdlFlags |= MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_MAPPED_TO_SYSTEM_VA;
    }
    memcpy(pfns(TargetMdl), pfns(SourceMdl) + first, pages * sizeof(PFN_NUMBER));
}

/* ---------------------------------------------------------------------------------------------
 * Pages behind an MDL.
 */
static uint8_t *pages_alloc(struct dms_machine *m, const char *label, uint64_t npages,
                            uint64_t lo, uint64_t hi, uint64_t boundary, bool contiguous,
                            uint32_t *owner_out)
{
    uint64_t base_pfn;
    uint8_t *host;
    uint32_t owner;
    int err;

    if (npages == 0 || npages > m->hw->allocatable_frames - m->hw->frames_in_use)
        return NULL;
    host = host_pages_alloc(m, npages);
    if (host == NULL)
        return NULL;
    if (owner_new(m, OWNER_BUFFER, label, ++m->kern->tag_serial, &owner) != 0) {
        host_pages_free(m, host, npages);
        return NULL;
    }
    m->hw->owners[owner].host = host;
    m->hw->owners[owner].pages = npages;
    if (contiguous || lo > 0 || hi < dms_machine_top_address(m) - 1)
        err = phys_alloc_contig(m, host, npages, addr_to_pfn(lo + HAL_PAGE_MASK),
                                addr_to_pfn(hi) + 1, boundary,
                                contiguous && m->cfg.contiguous_low_first, owner, &base_pfn);
    else
        err = phys_alloc_scattered(m, host, npages, owner);
    if (err != 0) {
        owner_put(m, owner);
        host_pages_free(m, host, npages);
        return NULL;
    }
    *owner_out = owner;
    return host;
}

static void pages_release(struct dms_machine *m, uint8_t *host, uint64_t npages, uint32_t owner)
{
    phys_release(m, host, npages);
    host_pages_free(m, host, npages);
    owner_put(m, owner);
}

PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                             PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes,
                             MEMORY_CACHING_TYPE CacheType, ULONG Flags)
{
    struct dms_machine *m = hal_machine();
    uint64_t npages = ((uint64_t)TotalBytes + HAL_PAGE_MASK) >> HAL_PAGE_SHIFT;
    uint64_t lo = (uint64_t)LowAddress.QuadPart, hi = (uint64_t)HighAddress.QuadPart;
    struct pages *rec;
    PMDL mdl;

    (void)SkipBytes;
    (void)CacheType;
    if (TotalBytes == 0 || npages > (0xFFFFFFFFu >> HAL_PAGE_SHIFT) || lo > hi ||
        hal_fault(m, acting_account(m), DMS_FAULT_CONTIGUOUS))
        return NULL;
    rec = calloc(1, sizeof(*rec));
    if (rec == NULL)
        return NULL;
    rec->npages = npages;
    rec->host = pages_alloc(m, "MmAllocatePagesForMdl", npages, lo, hi, 0,
                            (Flags & MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS) != 0, &rec->owner);
    mdl = rec->host != NULL ? mdl_alloc(m, (ULONG)npages) : NULL;
    if (mdl == NULL || record_add(m, mdl, OBJ_MDL, rec) != 0) {
        if (mdl != NULL)
            IoFreeMdl(mdl);
        if (rec->host != NULL)
            pages_release(m, rec->host, npages, rec->owner);
        free(rec);
        return NULL;
    }
    if (!(Flags & MM_DONT_ZERO_ALLOCATION))
        memset(rec->host, 0, npages * HAL_PAGE_SIZE);
    mdl->Size = (CSHORT)(sizeof(MDL) + npages * sizeof(PFN_NUMBER));
    mdl->ByteCount = (ULONG)TotalBytes;
    mdl->MdlFlags = MDL_PAGES_LOCKED;
    for (uint64_t i = 0; i < npages; i++) {
        uint64_t pfn = 0;
        phys_va_to_pfn(m, rec->host + i * HAL_PAGE_SIZE, &pfn);
        pfns(mdl)[i] = (PFN_NUMBER)pfn;
    }
    return mdl;
}

PMDL MmAllocatePagesForMdl(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                           PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes)
{
    return MmAllocatePagesForMdlEx(LowAddress, HighAddress, SkipBytes, TotalBytes, MmCached, 0);
}

static struct pages *pages_of(struct dms_machine *m, PMDL mdl)
{
    return record_of(m, mdl, OBJ_MDL);
}

VOID MmFreePagesFromMdl(PMDL MemoryDescriptorList)
{
    struct dms_machine *m = hal_machine();
    struct pages *rec = pages_of(m, MemoryDescriptorList);

    if (rec == NULL || rec->freed) {
        hal_finding(m, NULL, "MmFreePagesFromMdl", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)MemoryDescriptorList, 0, 0,
                    "MmFreePagesFromMdl of an MDL %s", rec == NULL
                        ? "MmAllocatePagesForMdl did not create"
                        : "whose pages were freed already");
        return;
    }
    pages_release(m, rec->host, rec->npages, rec->owner);
    rec->freed = true;
    MemoryDescriptorList->MdlFlags &= (CSHORT)~(MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA);
    MemoryDescriptorList->MappedSystemVa = NULL;
}

/* ExFreePool of an MDL from MmAllocatePagesForMdl (kernel.c asks): true if it was one. */
bool mm_free_mdl(struct dms_machine *m, PVOID p)
{
    struct pages *rec = pages_of(m, p);

    if (rec == NULL)
        return false;
    if (!rec->freed) {
        hal_finding(m, NULL, "ExFreePool", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)p, 0, 0,
                    "ExFreePool of an MDL from MmAllocatePagesForMdl before "
                    "MmFreePagesFromMdl: its pages are lost (freed here)");
        pages_release(m, rec->host, rec->npages, rec->owner);
    }
    record_forget(m, p);
    free(rec);
    mdl_release(m, p);
    return true;
}

PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                   MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
                                   ULONG BugCheckOnFailure, ULONG Priority)
{
    struct dms_machine *m = hal_machine();

    if (hal_null(m, "MmMapLockedPagesSpecifyCache", MemoryDescriptorList, "MemoryDescriptorList"))
        return NULL;
    PMDL mdl = MemoryDescriptorList;
    struct pages *rec = pages_of(m, mdl);

    (void)CacheType;
    (void)RequestedAddress;
    (void)BugCheckOnFailure;
    (void)Priority;
    if (AccessMode != KernelMode || !(mdl->MdlFlags & MDL_PAGES_LOCKED)) {
        hal_finding(m, NULL, "MmMapLockedPagesSpecifyCache", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)mdl, (ULONG)AccessMode, 0,
                    "MmMapLockedPagesSpecifyCache needs a locked MDL (and KernelMode here)");
        return NULL;
    }
    if (mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA)
        return mdl->MappedSystemVa;
    /* The pages are host memory already: their system mapping is where they live. */
    if (rec != NULL)
        mdl->MappedSystemVa = rec->host + mdl->ByteOffset;
    else
        mdl->MappedSystemVa = MmGetMdlVirtualAddress(mdl);
    mdl->MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
    if (mdl->MdlFlags & MDL_PARTIAL)
        mdl->MdlFlags |= MDL_PARTIAL_HAS_BEEN_MAPPED;
    return mdl->MappedSystemVa;
}

VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList)
{
    struct dms_machine *m = hal_machine();

    if (hal_null(m, "MmUnmapLockedPages", MemoryDescriptorList, "MemoryDescriptorList"))
        return;
    PMDL mdl = MemoryDescriptorList;

    if (!(mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) || mdl->MappedSystemVa != BaseAddress) {
        hal_finding(m, NULL, "MmUnmapLockedPages", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)BaseAddress, (uintptr_t)mdl, 0,
                    "MmUnmapLockedPages of %p, which is not the MDL's system mapping",
                    BaseAddress);
        return;
    }
    mdl->MdlFlags &= (CSHORT)~(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED);
    mdl->MappedSystemVa = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Contiguous memory.
 */
PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes,
                                             PHYSICAL_ADDRESS LowestAcceptableAddress,
                                             PHYSICAL_ADDRESS HighestAcceptableAddress,
                                             PHYSICAL_ADDRESS BoundaryAddressMultiple,
                                             MEMORY_CACHING_TYPE CacheType)
{
    struct dms_machine *m = hal_machine();
    uint64_t npages = ((uint64_t)NumberOfBytes + HAL_PAGE_MASK) >> HAL_PAGE_SHIFT;
    uint64_t lo = (uint64_t)LowestAcceptableAddress.QuadPart;
    uint64_t hi = (uint64_t)HighestAcceptableAddress.QuadPart;
    uint64_t top = dms_machine_top_address(m) - 1;
    struct pages *rec;

    (void)CacheType;
    if (NumberOfBytes == 0 || lo > hi || hal_fault(m, acting_account(m), DMS_FAULT_CONTIGUOUS))
        return NULL;
    rec = calloc(1, sizeof(*rec));
    if (rec == NULL)
        return NULL;
    rec->npages = npages;
    rec->host = pages_alloc(m, "MmAllocateContiguousMemory", npages, lo, hi < top ? hi : top,
                            addr_to_pfn((uint64_t)BoundaryAddressMultiple.QuadPart), true,
                            &rec->owner);
    if (rec->host == NULL || record_add(m, rec->host, OBJ_CONTIGUOUS, rec) != 0) {
        if (rec->host != NULL)
            pages_release(m, rec->host, npages, rec->owner);
        free(rec);
        return NULL;
    }
    return rec->host;
}

PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress)
{
    PHYSICAL_ADDRESS zero = {.QuadPart = 0};

    return MmAllocateContiguousMemorySpecifyCache(NumberOfBytes, zero, HighestAcceptableAddress,
                                                  zero, MmCached);
}

VOID MmFreeContiguousMemory(PVOID BaseAddress)
{
    struct dms_machine *m = hal_machine();
    struct pages *rec = record_of(m, BaseAddress, OBJ_CONTIGUOUS);

    if (rec == NULL) {
        hal_finding(m, NULL, "MmFreeContiguousMemory", DMS_CHECK_BAD_ARGUMENT,
                    (uintptr_t)BaseAddress, 0, 0, "MmFreeContiguousMemory of %p, which "
                    "MmAllocateContiguousMemory did not return", BaseAddress);
        return;
    }
    pages_release(m, rec->host, rec->npages, rec->owner);
    record_del(m, BaseAddress);
    free(rec);
}

VOID MmFreeContiguousMemorySpecifyCache(PVOID BaseAddress, SIZE_T NumberOfBytes,
                                        MEMORY_CACHING_TYPE CacheType)
{
    (void)NumberOfBytes;
    (void)CacheType;
    MmFreeContiguousMemory(BaseAddress);
}

/* The machine's end: the records of what drivers never freed (the pages go with physmem). */
void mm_free_all(struct dms_machine *m)
{
    uint64_t *keys = m->kern->objects.keys;

    for (size_t i = 0; keys != NULL && i < m->kern->objects.cap; i++) {
        uint64_t v, rec;
        if (keys[i] == UINT64_MAX)
            continue;
        v = m->kern->objects.vals[i];
        if ((v == OBJ_MDL || v == OBJ_CONTIGUOUS) && u64map_get(&m->kern->records, keys[i], &rec))
            free((void *)(uintptr_t)rec);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Lookaside lists.
 */
VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                     PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
                                     USHORT Depth)
{
    if (hal_null(hal_machine(), "ExInitializeNPagedLookasideList", Lookaside, "Lookaside"))
        return;
    (void)Flags;
    memset(Lookaside, 0, sizeof(*Lookaside));
    Lookaside->Type = NonPagedPool;
    Lookaside->Tag = Tag;
    Lookaside->Size = (ULONG)(Size < sizeof(SLIST_ENTRY) ? sizeof(SLIST_ENTRY) : Size);
    Lookaside->Allocate = Allocate;
    Lookaside->Free = Free;
    Lookaside->MaximumDepth = Depth != 0 ? Depth : 256; /* the system picks one for 0 */
    InitializeListHead(&Lookaside->ListEntry);
}

PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
    if (hal_null(hal_machine(), "ExAllocateFromNPagedLookasideList", Lookaside, "Lookaside"))
        return NULL;
    PSLIST_ENTRY e = Lookaside->ListHead.Next;

    Lookaside->TotalAllocates++;
    if (e != NULL) {
        Lookaside->ListHead.Next = e->Next;
        Lookaside->Depth--;
        return e;
    }
    Lookaside->AllocateMisses++;
    return Lookaside->Allocate != NULL
               ? Lookaside->Allocate(Lookaside->Type, Lookaside->Size, Lookaside->Tag)
               : ExAllocatePoolWithTag(Lookaside->Type, Lookaside->Size, Lookaside->Tag);
}

VOID ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
{
    if (hal_null(hal_machine(), "ExFreeToNPagedLookasideList", Lookaside, "Lookaside") ||
        hal_null(hal_machine(), "ExFreeToNPagedLookasideList", Entry, "Entry"))
        return;
    Lookaside->TotalFrees++;
    if (Lookaside->Depth < Lookaside->MaximumDepth) {
        PSLIST_ENTRY e = Entry;
        e->Next = Lookaside->ListHead.Next;
        Lookaside->ListHead.Next = e;
        Lookaside->Depth++;
        return;
    }
    Lookaside->FreeMisses++;
    if (Lookaside->Free != NULL)
        Lookaside->Free(Entry);
    else
        ExFreePool(Entry);
}

VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
    if (hal_null(hal_machine(), "ExDeleteNPagedLookasideList", Lookaside, "Lookaside"))
        return;
    while (Lookaside->ListHead.Next != NULL) {
        PSLIST_ENTRY e = Lookaside->ListHead.Next;
        Lookaside->ListHead.Next = e->Next;
        if (Lookaside->Free != NULL)
            Lookaside->Free(e);
        else
            ExFreePool(e);
    }
    Lookaside->Depth = 0;
}
