/*
 * dmasim/wdm.h - the WDK face of dmasim: the slice of wdm.h that DMA drivers use.
 *
 * Driver code written from Microsoft's documentation compiles against this header unchanged:
 * names, member order, parameter order, sizes and semantics follow the WDK as recorded in
 * shared/reference/wdk-dma-api.md (ULONG is 32 bits; x64 layout). Each structure the reference
 * lists has its documented size checked by tests/hal/test_abi.c.
 *
 * Where the WDK's real structure is far larger than DMA code needs (DEVICE_OBJECT, IRP,
 * DRIVER_OBJECT) this header declares a subset with the WDK's member names, plus one trailing
 * member private to dmasim; such structures are marked "subset" below.
 *
 * The simulator's own API (machines, devices, statistics, findings) is in dmasim/hal.h.
 */
#ifndef DMASIM_WDM_H
#define DMASIM_WDM_H

#include <stdarg.h> /* vDbgPrintEx */
#include <stddef.h>
#include <stdint.h>
#include <string.h> /* the Rtl memory macros */

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Basic types (ntdef.h). ULONG and LONG are 32-bit as on Windows, not C's long.
 */
#define VOID void
typedef void *PVOID, **PPVOID;
typedef char CHAR, *PCHAR, CCHAR;
typedef unsigned char UCHAR, *PUCHAR;
typedef int16_t SHORT, CSHORT, *PSHORT;
typedef uint16_t USHORT, *PUSHORT;
/* WCHAR is UTF-16. A driver built with -fshort-wchar (dmasim.pc's flags) gets a 16-bit wchar_t,
 * so its L"..." literals are WCHAR strings as on Windows. */
#if defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2
typedef wchar_t WCHAR;
#else
typedef uint16_t WCHAR;
#endif
typedef WCHAR *PWCHAR, *PWSTR;
typedef const WCHAR *PCWSTR;
typedef const char *PCSTR, *PCCHAR, *PCCH;
typedef int32_t LONG, *PLONG;
typedef uint32_t ULONG, *PULONG;
typedef int64_t LONGLONG, *PLONGLONG;
typedef uint64_t ULONGLONG, *PULONGLONG, ULONG64;
typedef uintptr_t ULONG_PTR, *PULONG_PTR, SIZE_T, *PSIZE_T;
typedef intptr_t LONG_PTR;
typedef UCHAR BOOLEAN, *PBOOLEAN;
typedef LONG NTSTATUS;
typedef UCHAR KIRQL, *PKIRQL;
typedef PVOID HANDLE;
typedef ULONG_PTR PFN_NUMBER, *PPFN_NUMBER;
typedef ULONG NODE_REQUIREMENT;
typedef ULONG DEVICE_TYPE;
typedef ULONG64 POOL_FLAGS;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef NTAPI
#define NTAPI /* x64: the one calling convention */
#endif
#define MAXUCHAR  0xff          /* ntdef.h's limits */
#define MAXUSHORT 0xffff
#define MAXLONG   0x7fffffff
#define MAXULONG  0xffffffffu
#define MAXLONGLONG 0x7fffffffffffffffLL
#define MAXULONGLONG 0xffffffffffffffffULL
#define MM_ANY_NODE_OK 0x80000000u
#define NT_SUCCESS(Status) ((NTSTATUS)(Status) >= 0)
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define CONTAINING_RECORD(address, type, field) \
    ((type *)((PCHAR)(address) - offsetof(type, field)))

/* SAL annotations appear in every documented prototype; they carry no meaning here. */
#define _In_
#define _In_opt_
#define _In_z_
#define _Out_
#define _Out_opt_
#define _Inout_
#define _Inout_opt_
#define _In_reads_bytes_(n)
#define _Out_writes_bytes_(n)
#define _IRQL_requires_(x)
#define _IRQL_requires_max_(x)
#define _IRQL_requires_same_
#define _Function_class_(x)
#define _Use_decl_annotations_
#define _In_reads_(n)
#define _In_reads_opt_(n)
#define _In_reads_bytes_opt_(n)
#define _Out_writes_(n)
#define _Out_writes_opt_(n)
#define _Out_writes_bytes_opt_(n)
#define _Out_writes_to_(n, c)
#define _Inout_updates_(n)
#define _Inout_updates_bytes_(n)
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _Ret_maybenull_
#define _Must_inspect_result_
#define _Success_(x)
#define _When_(c, a)
#define _At_(t, a)
#define _Pre_satisfies_(x)
#define _Post_satisfies_(x)
#define _IRQL_raises_(x)
#define _IRQL_saves_
#define _IRQL_restores_
#define _IRQL_saves_global_(k, v)
#define _IRQL_restores_global_(k, v)
#define _IRQL_always_function_min_(x)
#define _IRQL_always_function_max_(x)
#define _IRQL_requires_min_(x)
#define _Requires_lock_held_(x)
#define _Requires_lock_not_held_(x)
#define _Acquires_lock_(x)
#define _Releases_lock_(x)
#define _Analysis_assume_(x)
#define _Kernel_float_used_
#define __drv_aliasesMem
#define __drv_freesMem(x)
#define __drv_allocatesMem(x)
#define __drv_dispatchType(x)
#define __drv_maxIRQL(x)
#define __drv_requiresIRQL(x)
#define CONST const
#define IN
#define OUT
#define OPTIONAL
#define FORCEINLINE static inline
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#ifndef NOMINMAX /* ntdef.h's */
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#endif
#define DBG_UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))

typedef union _LARGE_INTEGER {
    struct {
        ULONG LowPart;
        LONG HighPart;
    };
    struct {
        ULONG LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

typedef struct _UNICODE_STRING {
    USHORT Length;
    USHORT MaximumLength;
    PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

/* ---------------------------------------------------------------------------------------------
 * NTSTATUS values the DMA routines return (ntstatus.h).
 */
#define STATUS_SUCCESS                ((NTSTATUS)0x00000000L)
#define STATUS_PENDING                ((NTSTATUS)0x00000103L)
#define STATUS_DEVICE_BUSY            ((NTSTATUS)0x80000011L)
#define STATUS_UNSUCCESSFUL           ((NTSTATUS)0xC0000001L)
#define STATUS_NOT_IMPLEMENTED        ((NTSTATUS)0xC0000002L)
#define STATUS_REVISION_MISMATCH       ((NTSTATUS)0xC0000059L)
#define STATUS_DEVICE_DOES_NOT_EXIST   ((NTSTATUS)0xC00000C0L)
#define STATUS_INVALID_PARAMETER      ((NTSTATUS)0xC000000DL)
#define STATUS_INVALID_DEVICE_REQUEST ((NTSTATUS)0xC0000010L)
#define STATUS_NO_MEMORY              ((NTSTATUS)0xC0000017L)
#define STATUS_BUFFER_TOO_SMALL       ((NTSTATUS)0xC0000023L)
#define STATUS_NONE_MAPPED            ((NTSTATUS)0xC0000073L)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009AL)
#define STATUS_NOT_SUPPORTED          ((NTSTATUS)0xC00000BBL)
#define STATUS_INTERNAL_ERROR         ((NTSTATUS)0xC00000E5L)
#define STATUS_INFO_LENGTH_MISMATCH   ((NTSTATUS)0xC0000004L)
#define STATUS_OBJECT_NAME_EXISTS     ((NTSTATUS)0x40000000L)
#define STATUS_NO_MORE_ENTRIES        ((NTSTATUS)0x8000001AL)
#define STATUS_CANCELLED              ((NTSTATUS)0xC0000120L)
#define STATUS_INVALID_DEVICE_STATE   ((NTSTATUS)0xC0000184L)
#define STATUS_IO_DEVICE_ERROR        ((NTSTATUS)0xC0000185L)
#define STATUS_WAIT_0                 ((NTSTATUS)0x00000000L)
#define STATUS_ALERTED                ((NTSTATUS)0x00000101L)
#define STATUS_TIMEOUT                ((NTSTATUS)0x00000102L)
#define STATUS_USER_APC               ((NTSTATUS)0x000000C0L)
#define STATUS_BUFFER_OVERFLOW        ((NTSTATUS)0x80000005L)
#define STATUS_INVALID_HANDLE         ((NTSTATUS)0xC0000008L)
#define STATUS_END_OF_FILE            ((NTSTATUS)0xC0000011L)
#define STATUS_MORE_PROCESSING_REQUIRED ((NTSTATUS)0xC0000016L)
#define STATUS_ACCESS_DENIED          ((NTSTATUS)0xC0000022L)
#define STATUS_OBJECT_NAME_INVALID    ((NTSTATUS)0xC0000033L)
#define STATUS_OBJECT_NAME_NOT_FOUND  ((NTSTATUS)0xC0000034L)
#define STATUS_OBJECT_NAME_COLLISION  ((NTSTATUS)0xC0000035L)
#define STATUS_DELETE_PENDING         ((NTSTATUS)0xC0000056L)
#define STATUS_DEVICE_NOT_READY       ((NTSTATUS)0xC00000A3L)
#define STATUS_DEVICE_CONFIGURATION_ERROR ((NTSTATUS)0xC0000182L)
#define STATUS_DRIVER_INTERNAL_ERROR  ((NTSTATUS)0xC0000183L)
#define STATUS_INVALID_BUFFER_SIZE    ((NTSTATUS)0xC0000206L)
#define STATUS_NOT_FOUND              ((NTSTATUS)0xC0000225L)
#define STATUS_NO_MATCH               ((NTSTATUS)0xC0000272L)
#define STATUS_NO_SUCH_DEVICE         ((NTSTATUS)0xC000000EL)

/* ---------------------------------------------------------------------------------------------
 * IRQL (x64 values).
 */
#define PASSIVE_LEVEL  0
#define LOW_LEVEL      0
#define APC_LEVEL      1
#define DISPATCH_LEVEL 2
#define CLOCK_LEVEL    13
#define HIGH_LEVEL     15

KIRQL KeGetCurrentIrql(void);
VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql);
VOID KeLowerIrql(KIRQL NewIrql);
KIRQL KeRaiseIrqlToDpcLevel(void);

/* ---------------------------------------------------------------------------------------------
 * Pages.
 */
#define PAGE_SIZE  0x1000
#define PAGE_SHIFT 12L

#define PAGE_ALIGN(Va)  ((PVOID)((ULONG_PTR)(Va) & ~(PAGE_SIZE - 1)))
#define BYTE_OFFSET(Va) ((ULONG)((LONG_PTR)(Va) & (PAGE_SIZE - 1)))
#define BYTES_TO_PAGES(Size) (((Size) >> PAGE_SHIFT) + (((Size) & (PAGE_SIZE - 1)) != 0))
#define ROUND_TO_PAGES(Size) (((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size) \
    ((ULONG)((BYTE_OFFSET(Va) + ((SIZE_T)(Size)) + (PAGE_SIZE - 1)) >> PAGE_SHIFT))

/* ---------------------------------------------------------------------------------------------
 * Memory descriptor lists. The PFN_NUMBER array follows the MDL immediately.
 */
struct _EPROCESS;

typedef struct _MDL {
    struct _MDL *Next;
    CSHORT Size; /* sizeof(MDL) + sizeof(PFN_NUMBER) * pages */
    CSHORT MdlFlags;
    struct _EPROCESS *Process;
    PVOID MappedSystemVa;
    PVOID StartVa; /* page-aligned */
    ULONG ByteCount;
    ULONG ByteOffset;
} MDL, *PMDL;

#define MDL_MAPPED_TO_SYSTEM_VA     0x0001
#define MDL_PAGES_LOCKED            0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE    0x0008
#define MDL_PARTIAL                 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ            0x0040
#define MDL_WRITE_OPERATION         0x0080
#define MDL_PARENT_MAPPED_SYSTEM_VA 0x0100
#define MDL_LOCKED_PAGE_TABLES      0x0100
#define MDL_FREE_EXTRA_PTES         0x0200
#define MDL_DESCRIBES_AWE           0x0400
#define MDL_IO_SPACE                0x0800
#define MDL_NETWORK_HEADER          0x1000
#define MDL_MAPPING_CAN_FAIL        0x2000
#define MDL_ALLOCATED_MUST_SUCCEED  0x4000
#define MDL_PAGE_CONTENTS_INVARIANT 0x4000
#define MDL_INTERNAL                0x8000

#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))
#define MmGetMdlByteCount(Mdl)      ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl)     ((Mdl)->ByteOffset)
#define MmGetMdlBaseVa(Mdl)         ((Mdl)->StartVa)
#define MmGetMdlPfnArray(Mdl)       ((PPFN_NUMBER)((Mdl) + 1))

typedef enum _MM_PAGE_PRIORITY {
    LowPagePriority,
    NormalPagePriority = 16,
    HighPagePriority = 32
} MM_PAGE_PRIORITY;

typedef enum _MEMORY_CACHING_TYPE {
    MmNonCached = 0,
    MmCached = 1,
    MmWriteCombined = 2
} MEMORY_CACHING_TYPE;

struct _IRP;

PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                   BOOLEAN ChargeQuota, struct _IRP *Irp);
VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList);
VOID IoFreeMdl(PMDL Mdl);
PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority);
#define MmGetSystemAddressForMdl(Mdl) MmGetSystemAddressForMdlSafe((Mdl), NormalPagePriority)
#define MmSizeOfMdl(Base, Length) \
    (sizeof(MDL) + ADDRESS_AND_SIZE_TO_SPAN_PAGES((Base), (Length)) * sizeof(PFN_NUMBER))
#define MmInitializeMdl(MemoryDescriptorList, BaseVa, Length)                               \
    do {                                                                                    \
        (MemoryDescriptorList)->Next = NULL;                                                \
        (MemoryDescriptorList)->Size =                                                      \
            (CSHORT)(sizeof(MDL) +                                                          \
                     sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES((BaseVa), (Length))); \
        (MemoryDescriptorList)->MdlFlags = 0;                                               \
        (MemoryDescriptorList)->StartVa = PAGE_ALIGN(BaseVa);                               \
        (MemoryDescriptorList)->ByteOffset = BYTE_OFFSET(BaseVa);                           \
        (MemoryDescriptorList)->ByteCount = (ULONG)(Length);                                \
    } while (0)

typedef enum _LOCK_OPERATION { IoReadAccess, IoWriteAccess, IoModifyAccess } LOCK_OPERATION;
typedef CCHAR KPROCESSOR_MODE;
typedef enum _MODE { KernelMode, UserMode, MaximumMode } MODE;

/* Lock the pages an MDL describes so that a device may reach them (fills the PFN array). A
 * buffer the machine has no pages for is a finding (Windows raises an exception); the MDL is
 * left unlocked. */
VOID MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                         LOCK_OPERATION Operation);
VOID MmUnlockPages(PMDL MemoryDescriptorList);
VOID MmPrepareMdlForReuse(PMDL Mdl);
VOID IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length);

#define MM_DONT_ZERO_ALLOCATION                0x00000001
#define MM_ALLOCATE_FROM_LOCAL_NODE_ONLY       0x00000002
#define MM_ALLOCATE_FULLY_REQUIRED             0x00000004
#define MM_ALLOCATE_NO_WAIT                    0x00000008
#define MM_ALLOCATE_PREFER_CONTIGUOUS          0x00000010
#define MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS  0x00000020
/* Physical pages in [LowAddress, HighAddress] with no system mapping; the MDL itself is freed
 * with ExFreePool after MmFreePagesFromMdl. */
PMDL MmAllocatePagesForMdl(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                           PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes);
PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                             PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes,
                             MEMORY_CACHING_TYPE CacheType, ULONG Flags);
VOID MmFreePagesFromMdl(PMDL MemoryDescriptorList);
PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                   MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
                                   ULONG BugCheckOnFailure, ULONG Priority);
VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList);

/* Physically contiguous nonpaged memory (the wrong way to get a DMA buffer: it knows nothing
 * of the device's reach, unlike a common buffer). */
PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress);
PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes,
                                             PHYSICAL_ADDRESS LowestAcceptableAddress,
                                             PHYSICAL_ADDRESS HighestAcceptableAddress,
                                             PHYSICAL_ADDRESS BoundaryAddressMultiple,
                                             MEMORY_CACHING_TYPE CacheType);
VOID MmFreeContiguousMemory(PVOID BaseAddress);
VOID MmFreeContiguousMemorySpecifyCache(PVOID BaseAddress, SIZE_T NumberOfBytes,
                                        MEMORY_CACHING_TYPE CacheType);
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress);
/* Flush the MDL's region from the processor caches for a DMA (ReadOperation: into memory).
 * A no-op where DMA is cache-coherent. */
VOID KeFlushIoBuffers(PMDL Mdl, BOOLEAN ReadOperation, BOOLEAN DmaOperation);
/* "Points to TRUE if the hardware and OS support 64-bit physical addresses." */
extern PBOOLEAN Mm64BitPhysicalAddress;

/* ---------------------------------------------------------------------------------------------
 * Nonpaged pool: where driver buffers come from. Each page of an allocation gets a simulated
 * physical frame from the machine's placement policy.
 */
typedef enum _POOL_TYPE {
    NonPagedPool = 0,
    NonPagedPoolExecute = 0,
    PagedPool = 1,
    NonPagedPoolNx = 512
} POOL_TYPE;

#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ULL
#define POOL_FLAG_NON_PAGED     0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
#define POOL_FLAG_PAGED         0x0000000000000100ULL

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag);
VOID ExFreePoolWithTag(PVOID P, ULONG Tag);
VOID ExFreePool(PVOID P);

/* Lookaside lists: fixed-size nonpaged blocks with a small cache of freed ones. */
typedef PVOID ALLOCATE_FUNCTION(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
typedef ALLOCATE_FUNCTION *PALLOCATE_FUNCTION;
typedef VOID FREE_FUNCTION(PVOID Buffer);
typedef FREE_FUNCTION *PFREE_FUNCTION;
typedef struct _SLIST_ENTRY {
    struct _SLIST_ENTRY *Next;
} SLIST_ENTRY, *PSLIST_ENTRY;
typedef struct __attribute__((aligned(64))) _NPAGED_LOOKASIDE_LIST { /* GENERAL_LOOKASIDE */
    SLIST_ENTRY ListHead;
    USHORT Depth;
    USHORT MaximumDepth;
    ULONG TotalAllocates;
    ULONG AllocateMisses;
    ULONG TotalFrees;
    ULONG FreeMisses;
    POOL_TYPE Type;
    ULONG Tag;
    ULONG Size;
    PALLOCATE_FUNCTION Allocate;
    PFREE_FUNCTION Free;
    LIST_ENTRY ListEntry;
    ULONG LastTotalAllocates;
    ULONG LastAllocateMisses;
    ULONG Future[2];
} NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;

VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                     PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
                                     USHORT Depth);
VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
VOID ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);

/* ---------------------------------------------------------------------------------------------
 * DPCs.
 */
struct _KDPC;
typedef VOID KDEFERRED_ROUTINE(struct _KDPC *Dpc, PVOID DeferredContext,
                               PVOID SystemArgument1, PVOID SystemArgument2);
typedef KDEFERRED_ROUTINE *PKDEFERRED_ROUTINE;

typedef struct _KDPC {
    UCHAR Type;
    UCHAR Importance;
    volatile USHORT Number;
    LIST_ENTRY DpcListEntry;
    PKDEFERRED_ROUTINE DeferredRoutine;
    PVOID DeferredContext;
    PVOID SystemArgument1;
    PVOID SystemArgument2;
    PVOID DpcData; /* non-NULL while queued */
} KDPC, *PKDPC, *PRKDPC;

VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext);
BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2);
BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc);

/* ---------------------------------------------------------------------------------------------
 * Interlocked operations and doubly linked lists (wdm.h's FORCEINLINE forms).
 */
static inline LONG InterlockedIncrement(volatile LONG *Addend)
{
    return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedDecrement(volatile LONG *Addend)
{
    return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedExchange(volatile LONG *Target, LONG Value)
{
    return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedExchangeAdd(volatile LONG *Addend, LONG Value)
{
    return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedCompareExchange(volatile LONG *Destination, LONG Exchange,
                                              LONG Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
    return Comparand;
}
static inline PVOID InterlockedExchangePointer(PVOID volatile *Target, PVOID Value)
{
    return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}
static inline PVOID InterlockedCompareExchangePointer(PVOID volatile *Destination,
                                                      PVOID Exchange, PVOID Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
    return Comparand;
}

static inline VOID InitializeListHead(PLIST_ENTRY ListHead)
{
    ListHead->Flink = ListHead->Blink = ListHead;
}
static inline BOOLEAN IsListEmpty(const LIST_ENTRY *ListHead)
{
    return (BOOLEAN)(ListHead->Flink == ListHead);
}
static inline BOOLEAN RemoveEntryList(PLIST_ENTRY Entry)
{
    PLIST_ENTRY Blink = Entry->Blink, Flink = Entry->Flink;

    Blink->Flink = Flink;
    Flink->Blink = Blink;
    return (BOOLEAN)(Flink == Blink);
}
static inline PLIST_ENTRY RemoveHeadList(PLIST_ENTRY ListHead)
{
    PLIST_ENTRY Entry = ListHead->Flink;

    RemoveEntryList(Entry);
    return Entry;
}
static inline PLIST_ENTRY RemoveTailList(PLIST_ENTRY ListHead)
{
    PLIST_ENTRY Entry = ListHead->Blink;

    RemoveEntryList(Entry);
    return Entry;
}
static inline VOID InsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY Entry)
{
    PLIST_ENTRY Blink = ListHead->Blink;

    Entry->Flink = ListHead;
    Entry->Blink = Blink;
    Blink->Flink = Entry;
    ListHead->Blink = Entry;
}
static inline VOID InsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY Entry)
{
    PLIST_ENTRY Flink = ListHead->Flink;

    Entry->Flink = Flink;
    Entry->Blink = ListHead;
    Flink->Blink = Entry;
    ListHead->Flink = Entry;
}

/* ---------------------------------------------------------------------------------------------
 * Run-time library, debugging output and assertions.
 *
 * ASSERT and PAGED_CODE act as in a checked build, but a failure is a finding (the driver's
 * assertion, with its file and line) rather than a break into a debugger, and the driver goes
 * on. DbgPrint takes the kernel's format language (%wZ, %ws, %I64x, a 32-bit %lx, ...).
 */
/* The CPU's own copies and fills take its time: RtlCopyMemory, RtlMoveMemory, RtlFillMemory
 * and RtlZeroMemory move their bytes as memcpy, memmove and memset do, and charge them to the
 * work running now at the machine's copy bandwidth (a driver's common-buffer copies show in
 * the report as "driver copy"). A plain memcpy in a driver is not seen, hence free. */
VOID dms_rtl_copy(PVOID Destination, const VOID *Source, SIZE_T Length, BOOLEAN Overlap);
VOID dms_rtl_fill(PVOID Destination, SIZE_T Length, UCHAR Fill);
#define RtlZeroMemory(Destination, Length) dms_rtl_fill((Destination), (Length), 0)
#define RtlFillMemory(Destination, Length, Fill) dms_rtl_fill((Destination), (Length), (Fill))
#define RtlCopyMemory(Destination, Source, Length) \
    dms_rtl_copy((Destination), (Source), (Length), FALSE)
#define RtlCopyBytes RtlCopyMemory
#define RtlMoveMemory(Destination, Source, Length) \
    dms_rtl_copy((Destination), (Source), (Length), TRUE)
#define RtlEqualMemory(Destination, Source, Length) (!memcmp((Destination), (Source), (Length)))
/* Returns the number of leading bytes that match. */
SIZE_T RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length);
VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString);
BOOLEAN RtlEqualUnicodeString(const UNICODE_STRING *String1, const UNICODE_STRING *String2,
                              BOOLEAN CaseInSensitive);

ULONG DbgPrint(PCSTR Format, ...);
ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...);
ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist);
VOID DbgBreakPoint(void);
#define KdPrint(_x_) DbgPrint _x_
#define KdPrintEx(_x_) DbgPrintEx _x_
#define KdBreakPoint() DbgBreakPoint()
#define DPFLTR_ERROR_LEVEL   0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL   2
#define DPFLTR_INFO_LEVEL    3
#define DPFLTR_DEFAULT_ID    101
#define DPFLTR_IHVVIDEO_ID   78
#define DPFLTR_IHVAUDIO_ID   79
#define DPFLTR_IHVNETWORK_ID 80
#define DPFLTR_IHVSTREAMING_ID 81
#define DPFLTR_IHVBUS_ID     82
#define DPFLTR_IHVDRIVER_ID  77

/* dmasim's own: what ASSERT and PAGED_CODE call when they fail. */
VOID DmasimAssertionFailed(PCSTR Expression, PCSTR File, ULONG Line);
VOID DmasimPagedCode(PCSTR Function);
#define ASSERT(exp) ((exp) ? (void)0 : DmasimAssertionFailed(#exp, __FILE__, __LINE__))
#define ASSERTMSG(msg, exp) ((exp) ? (void)0 : DmasimAssertionFailed(msg, __FILE__, __LINE__))
#define NT_ASSERT(exp) ASSERT(exp)
#define PAGED_CODE() DmasimPagedCode(__func__)
#define PAGED_CODE_LOCKED() ((void)0)

/* ---------------------------------------------------------------------------------------------
 * Time. System time counts 100-ns units since 1601; the machine's virtual clock drives it.
 * KeStallExecutionProcessor busy-waits: the CPU is charged the time.
 */
VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime);
ULONGLONG KeQueryInterruptTime(void);
LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency);
VOID KeStallExecutionProcessor(ULONG MicroSeconds);

/* ---------------------------------------------------------------------------------------------
 * Spin locks. The lock word is the driver's; the HAL checks the IRQL rules (acquire at or
 * below DISPATCH_LEVEL, the AtDpcLevel forms at DISPATCH_LEVEL), a lock taken twice (which
 * would spin forever on one processor), a release of a lock not held, and a routine that
 * returns to the system still holding one.
 */
typedef ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;

typedef struct _KSPIN_LOCK_QUEUE {
    struct _KSPIN_LOCK_QUEUE *volatile Next;
    PKSPIN_LOCK volatile Lock;
} KSPIN_LOCK_QUEUE, *PKSPIN_LOCK_QUEUE;

typedef struct _KLOCK_QUEUE_HANDLE {
    KSPIN_LOCK_QUEUE LockQueue;
    KIRQL OldIrql;
} KLOCK_QUEUE_HANDLE, *PKLOCK_QUEUE_HANDLE;

VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock);
VOID KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql);
VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql);
KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock);
VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock);
BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
BOOLEAN KeTestSpinLock(PKSPIN_LOCK SpinLock);
VOID KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle);
VOID KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle);
VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock,
                                              PKLOCK_QUEUE_HANDLE LockHandle);
VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle);

/* ---------------------------------------------------------------------------------------------
 * Dispatcher objects and waits. A wait at PASSIVE_LEVEL suspends the waiting thread while
 * virtual time goes on (DPCs, interrupts, the device) until the object is signalled or the
 * timeout passes; it never blocks the host. Every driver routine the system calls at
 * PASSIVE_LEVEL (DriverEntry, AddDevice, dispatch routines, work items, system threads) runs
 * on such a thread.
 */
typedef struct _DISPATCHER_HEADER {
    union {
        struct {
            UCHAR Type;
            UCHAR Signalling;
            UCHAR Size;
            UCHAR Reserved1;
        };
        volatile LONG Lock;
    };
    LONG SignalState;
    LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER;

typedef struct _KEVENT {
    DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

typedef enum _EVENT_TYPE { NotificationEvent, SynchronizationEvent } EVENT_TYPE;

typedef enum _KWAIT_REASON {
    Executive,
    FreePage,
    PageIn,
    PoolAllocation,
    DelayExecution,
    Suspended,
    UserRequest,
    WrExecutive
} KWAIT_REASON;

typedef LONG KPRIORITY;

VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State);
LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
VOID KeClearEvent(PRKEVENT Event);
LONG KeResetEvent(PRKEVENT Event);
LONG KeReadStateEvent(PRKEVENT Event);
/* Timeout: NULL waits without end; a pointer to 0 only tests; negative is relative (100 ns
 * units), positive absolute system time. */
NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                               BOOLEAN Alertable, PLARGE_INTEGER Timeout);
NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                PLARGE_INTEGER Interval);

typedef struct _FAST_MUTEX {
    volatile LONG Count;
    PVOID Owner;
    ULONG Contention;
    KEVENT Event;
    ULONG OldIrql;
} FAST_MUTEX, *PFAST_MUTEX;

VOID ExInitializeFastMutex(PFAST_MUTEX FastMutex);
VOID ExAcquireFastMutex(PFAST_MUTEX FastMutex);
VOID ExReleaseFastMutex(PFAST_MUTEX FastMutex);
BOOLEAN ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex);

typedef VOID KSTART_ROUTINE(PVOID StartContext);
typedef KSTART_ROUTINE *PKSTART_ROUTINE;
typedef struct _OBJECT_ATTRIBUTES *POBJECT_ATTRIBUTES;
typedef struct _CLIENT_ID *PCLIENT_ID;
typedef HANDLE *PHANDLE;
typedef ULONG ACCESS_MASK;
#define THREAD_ALL_ACCESS 0x001FFFFFu
/* A system thread: StartRoutine runs at PASSIVE_LEVEL on a thread of its own. */
NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess,
                              POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle,
                              PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                              PVOID StartContext);
NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus);
NTSTATUS ZwClose(HANDLE Handle);

/* ---------------------------------------------------------------------------------------------
 * Device, driver and IRP objects, with the WDK's members in the WDK's order and x64 layout
 * (sizes checked by tests/hal/test_abi.c). The HAL keeps its own bookkeeping apart from them,
 * so a driver that scribbles on one cannot corrupt the simulator.
 */
typedef struct _IO_STATUS_BLOCK {
    union {
        NTSTATUS Status;
        PVOID Pointer;
    };
    ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

struct _DEVICE_OBJECT;
struct _DRIVER_OBJECT;
struct _IO_STACK_LOCATION;
struct _FILE_OBJECT;
typedef struct _KINTERRUPT *PKINTERRUPT, *PRKINTERRUPT;
typedef ULONG_PTR KAFFINITY;

#ifndef POINTER_ALIGNMENT
#define POINTER_ALIGNMENT __attribute__((aligned(8)))
#endif

typedef struct _KDEVICE_QUEUE_ENTRY {
    LIST_ENTRY DeviceListEntry;
    ULONG SortKey;
    BOOLEAN Inserted;
} KDEVICE_QUEUE_ENTRY, *PKDEVICE_QUEUE_ENTRY;

typedef struct _KDEVICE_QUEUE {
    CSHORT Type;
    CSHORT Size;
    LIST_ENTRY DeviceListHead;
    KSPIN_LOCK Lock;
    union {
        BOOLEAN Busy;
        LONGLONG Hint;
    };
} KDEVICE_QUEUE, *PKDEVICE_QUEUE;

typedef struct _WAIT_CONTEXT_BLOCK {
    union {
        KDEVICE_QUEUE_ENTRY WaitQueueEntry;
        struct {
            LIST_ENTRY DmaWaitEntry;
            ULONG NumberOfChannels;
            ULONG Flags; /* SyncCallback, DmaContext, ZeroMapRegisters, NumberOfRemapPages */
        };
    };
    PVOID DeviceRoutine;
    PVOID DeviceContext;
    ULONG NumberOfMapRegisters;
    PVOID DeviceObject;
    PVOID CurrentIrp;
    PKDPC BufferChainingDpc;
} WAIT_CONTEXT_BLOCK, *PWAIT_CONTEXT_BLOCK;

typedef enum _SYSTEM_POWER_STATE {
    PowerSystemUnspecified = 0,
    PowerSystemWorking,
    PowerSystemSleeping1,
    PowerSystemSleeping2,
    PowerSystemSleeping3,
    PowerSystemHibernate,
    PowerSystemShutdown,
    PowerSystemMaximum
} SYSTEM_POWER_STATE, *PSYSTEM_POWER_STATE;

typedef enum _DEVICE_POWER_STATE {
    PowerDeviceUnspecified = 0,
    PowerDeviceD0,
    PowerDeviceD1,
    PowerDeviceD2,
    PowerDeviceD3,
    PowerDeviceMaximum
} DEVICE_POWER_STATE, *PDEVICE_POWER_STATE;

typedef struct _DEVOBJ_EXTENSION {
    CSHORT Type;
    USHORT Size;
    struct _DEVICE_OBJECT *DeviceObject;
    /* the members below are the system's own (not in the WDK's headers) */
    ULONG PowerFlags;
    PVOID Dope;
    ULONG ExtensionFlags;
    PVOID DeviceNode; /* NULL for a device no bus enumerated (a legacy driver's) */
    struct _DEVICE_OBJECT *AttachedTo;
} DEVOBJ_EXTENSION, *PDEVOBJ_EXTENSION;

typedef struct __attribute__((aligned(16))) _DEVICE_OBJECT {
    CSHORT Type;
    USHORT Size;
    LONG ReferenceCount;
    struct _DRIVER_OBJECT *DriverObject;
    struct _DEVICE_OBJECT *NextDevice;
    struct _DEVICE_OBJECT *AttachedDevice;
    struct _IRP *CurrentIrp;
    PVOID Timer;
    ULONG Flags;
    ULONG Characteristics;
    PVOID Vpb;
    PVOID DeviceExtension;
    DEVICE_TYPE DeviceType;
    CCHAR StackSize;
    union {
        LIST_ENTRY ListEntry;
        WAIT_CONTEXT_BLOCK Wcb;
    } Queue;
    ULONG AlignmentRequirement;
    KDEVICE_QUEUE DeviceQueue;
    KDPC Dpc;
    ULONG ActiveThreadCount;
    PVOID SecurityDescriptor;
    KEVENT DeviceLock;
    USHORT SectorSize;
    USHORT Spare1;
    PDEVOBJ_EXTENSION DeviceObjectExtension;
    PVOID Reserved;
} DEVICE_OBJECT, *PDEVICE_OBJECT;

/* DEVICE_OBJECT.Flags */
#define DO_VERIFY_VOLUME         0x00000002
#define DO_BUFFERED_IO           0x00000004
#define DO_EXCLUSIVE             0x00000008
#define DO_DIRECT_IO             0x00000010
#define DO_MAP_IO_BUFFER         0x00000020
#define DO_DEVICE_INITIALIZING   0x00000080
#define DO_SHUTDOWN_REGISTERED   0x00000800
#define DO_BUS_ENUMERATED_DEVICE 0x00001000
#define DO_POWER_PAGABLE         0x00002000
#define DO_POWER_INRUSH          0x00004000

/* DEVICE_OBJECT.AlignmentRequirement: one less than the boundary. */
#define FILE_BYTE_ALIGNMENT      0x00000000
#define FILE_WORD_ALIGNMENT      0x00000001
#define FILE_LONG_ALIGNMENT      0x00000003
#define FILE_QUAD_ALIGNMENT      0x00000007
#define FILE_OCTA_ALIGNMENT      0x0000000f
#define FILE_32_BYTE_ALIGNMENT   0x0000001f
#define FILE_64_BYTE_ALIGNMENT   0x0000003f
#define FILE_128_BYTE_ALIGNMENT  0x0000007f
#define FILE_256_BYTE_ALIGNMENT  0x000000ff
#define FILE_512_BYTE_ALIGNMENT  0x000001ff

/* Device types and characteristics (devioctl.h). */
#define FILE_DEVICE_CONTROLLER   0x00000004
#define FILE_DEVICE_DISK         0x00000007
#define FILE_DEVICE_NETWORK      0x00000012
#define FILE_DEVICE_SERIAL_PORT  0x0000001b
#define FILE_DEVICE_SOUND        0x0000001d
#define FILE_DEVICE_UNKNOWN      0x00000022
#define FILE_DEVICE_BUS_EXTENDER 0x0000002a
#define FILE_REMOVABLE_MEDIA     0x00000001
#define FILE_DEVICE_SECURE_OPEN  0x00000100
#define FILE_AUTOGENERATED_DEVICE_NAME 0x00000080

#define CTL_CODE(DeviceType, Function, Method, Access) \
    (((ULONG)(DeviceType) << 16) | ((ULONG)(Access) << 14) | ((ULONG)(Function) << 2) | (Method))
#define DEVICE_TYPE_FROM_CTL_CODE(ctrlCode) (((ULONG)(ctrlCode) & 0xffff0000) >> 16)
#define METHOD_FROM_CTL_CODE(ctrlCode) ((ULONG)((ctrlCode) & 3))
#define METHOD_BUFFERED   0
#define METHOD_IN_DIRECT  1
#define METHOD_OUT_DIRECT 2
#define METHOD_NEITHER    3
#define FILE_ANY_ACCESS     0
#define FILE_SPECIAL_ACCESS FILE_ANY_ACCESS
#define FILE_READ_ACCESS    0x0001
#define FILE_WRITE_ACCESS   0x0002

typedef struct _FILE_OBJECT { /* subset: the leading members, WDK names and order */
    CSHORT Type;
    CSHORT Size;
    struct _DEVICE_OBJECT *DeviceObject;
    PVOID Vpb;
    PVOID FsContext;
    PVOID FsContext2;
    PVOID SectionObjectPointer;
    PVOID PrivateCacheMap;
    NTSTATUS FinalStatus;
    struct _FILE_OBJECT *RelatedFileObject;
    BOOLEAN LockOperation;
    BOOLEAN DeletePending;
    BOOLEAN ReadAccess;
    BOOLEAN WriteAccess;
    BOOLEAN DeleteAccess;
    BOOLEAN SharedRead;
    BOOLEAN SharedWrite;
    BOOLEAN SharedDelete;
    ULONG Flags;
    UNICODE_STRING FileName;
    LARGE_INTEGER CurrentByteOffset;
} FILE_OBJECT, *PFILE_OBJECT;

typedef enum _INTERFACE_TYPE {
    InterfaceTypeUndefined = -1,
    Internal = 0,
    Isa = 1,
    Eisa = 2,
    MicroChannel = 3,
    TurboChannel = 4,
    PCIBus = 5,
    VMEBus = 6,
    NuBus = 7,
    PCMCIABus = 8,
    CBus = 9,
    MPIBus = 10,
    MPSABus = 11,
    ProcessorInternal = 12,
    InternalPowerBus = 13,
    PNPISABus = 14,
    PNPBus = 15,
    Vmcs = 16,
    ACPIBus = 17,
    MaximumInterfaceType = 18
} INTERFACE_TYPE, *PINTERFACE_TYPE;

/* Resources a PnP start hands a driver (#pragma pack(4) in the WDK). */
#pragma pack(push, 4)
typedef struct _CM_PARTIAL_RESOURCE_DESCRIPTOR {
    UCHAR Type;
    UCHAR ShareDisposition;
    USHORT Flags;
    union {
        struct {
            PHYSICAL_ADDRESS Start;
            ULONG Length;
        } Generic;
        struct {
            PHYSICAL_ADDRESS Start;
            ULONG Length;
        } Port;
        struct {
            USHORT Level;
            USHORT Group;
            ULONG Vector;
            KAFFINITY Affinity;
        } Interrupt;
        struct {
            union {
                struct {
                    USHORT Group;
                    USHORT MessageCount;
                    ULONG Vector;
                    KAFFINITY Affinity;
                } Raw;
                struct {
                    USHORT Level;
                    USHORT Group;
                    ULONG Vector;
                    KAFFINITY Affinity;
                } Translated;
            };
        } MessageInterrupt;
        struct {
            PHYSICAL_ADDRESS Start;
            ULONG Length;
        } Memory;
        struct {
            ULONG Channel;
            ULONG Port;
            ULONG Reserved1;
        } Dma;
        struct {
            ULONG Channel;
            ULONG RequestLine;
            UCHAR TransferWidth;
            UCHAR Reserved1;
            UCHAR Reserved2;
            UCHAR Reserved3;
        } DmaV3;
        struct {
            ULONG Data[3];
        } DevicePrivate;
        struct {
            ULONG Start;
            ULONG Length;
            ULONG Reserved;
        } BusNumber;
        struct {
            ULONG DataSize;
            ULONG Reserved1;
            ULONG Reserved2;
        } DeviceSpecificData;
    } u;
} CM_PARTIAL_RESOURCE_DESCRIPTOR, *PCM_PARTIAL_RESOURCE_DESCRIPTOR;

typedef struct _CM_PARTIAL_RESOURCE_LIST {
    USHORT Version;
    USHORT Revision;
    ULONG Count;
    CM_PARTIAL_RESOURCE_DESCRIPTOR PartialDescriptors[1];
} CM_PARTIAL_RESOURCE_LIST, *PCM_PARTIAL_RESOURCE_LIST;

typedef struct _CM_FULL_RESOURCE_DESCRIPTOR {
    INTERFACE_TYPE InterfaceType;
    ULONG BusNumber;
    CM_PARTIAL_RESOURCE_LIST PartialResourceList;
} CM_FULL_RESOURCE_DESCRIPTOR, *PCM_FULL_RESOURCE_DESCRIPTOR;

typedef struct _CM_RESOURCE_LIST {
    ULONG Count;
    CM_FULL_RESOURCE_DESCRIPTOR List[1];
} CM_RESOURCE_LIST, *PCM_RESOURCE_LIST;
#pragma pack(pop)

#define CmResourceTypeNull           0
#define CmResourceTypePort           1
#define CmResourceTypeInterrupt      2
#define CmResourceTypeMemory         3
#define CmResourceTypeDma            4
#define CmResourceTypeDeviceSpecific 5
#define CmResourceTypeBusNumber      6
#define CmResourceTypeMemoryLarge    7
#define CmResourceTypeConfigData     128
#define CmResourceTypeDevicePrivate  129
#define CmResourceShareUndetermined    0
#define CmResourceShareDeviceExclusive 1
#define CmResourceShareDriverExclusive 2
#define CmResourceShareShared          3
#define CM_RESOURCE_INTERRUPT_LEVEL_SENSITIVE 0x0000
#define CM_RESOURCE_INTERRUPT_LATCHED         0x0001
#define CM_RESOURCE_INTERRUPT_MESSAGE         0x0002
#define CM_RESOURCE_MEMORY_READ_WRITE         0x0000
#define CM_RESOURCE_PORT_MEMORY               0x0000
#define CM_RESOURCE_PORT_IO                   0x0001
#define CM_RESOURCE_DMA_8                     0x0000
#define CM_RESOURCE_DMA_16                    0x0001
#define CM_RESOURCE_DMA_32                    0x0002
#define CM_RESOURCE_DMA_8_AND_16              0x0004
#define CM_RESOURCE_DMA_BUS_MASTER            0x0008
#define CM_RESOURCE_DMA_TYPE_A                0x0010
#define CM_RESOURCE_DMA_TYPE_B                0x0020
#define CM_RESOURCE_DMA_TYPE_F                0x0040
#define CM_RESOURCE_DMA_V3                    0x0080

typedef struct _IO_STACK_LOCATION {
    UCHAR MajorFunction;
    UCHAR MinorFunction;
    UCHAR Flags;
    UCHAR Control;
    union {
        struct {
            PVOID SecurityContext;
            ULONG Options;
            USHORT POINTER_ALIGNMENT FileAttributes;
            USHORT ShareAccess;
            ULONG POINTER_ALIGNMENT EaLength;
        } Create;
        struct {
            ULONG Length;
            ULONG POINTER_ALIGNMENT Key;
            ULONG Flags;
            LARGE_INTEGER ByteOffset;
        } Read;
        struct {
            ULONG Length;
            ULONG POINTER_ALIGNMENT Key;
            ULONG Flags;
            LARGE_INTEGER ByteOffset;
        } Write;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT IoControlCode;
            PVOID Type3InputBuffer;
        } DeviceIoControl;
        struct {
            PCM_RESOURCE_LIST AllocatedResources;
            PCM_RESOURCE_LIST AllocatedResourcesTranslated;
        } StartDevice;
        struct {
            ULONG SystemContext;
            ULONG POINTER_ALIGNMENT Type; /* POWER_STATE_TYPE */
            ULONG POINTER_ALIGNMENT State; /* POWER_STATE */
            ULONG POINTER_ALIGNMENT ShutdownType;
        } Power;
        struct {
            PVOID Argument1;
            PVOID Argument2;
            PVOID Argument3;
            PVOID Argument4;
        } Others;
    } Parameters;
    struct _DEVICE_OBJECT *DeviceObject;
    struct _FILE_OBJECT *FileObject;
    NTSTATUS (*CompletionRoutine)(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp,
                                  PVOID Context);
    PVOID Context;
} IO_STACK_LOCATION, *PIO_STACK_LOCATION;

typedef VOID DRIVER_CANCEL(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp);
typedef DRIVER_CANCEL *PDRIVER_CANCEL;

typedef struct _IRP {
    CSHORT Type;
    USHORT Size;
    PMDL MdlAddress;
    ULONG Flags;
    union {
        struct _IRP *MasterIrp;
        volatile LONG IrpCount;
        PVOID SystemBuffer;
    } AssociatedIrp;
    LIST_ENTRY ThreadListEntry;
    IO_STATUS_BLOCK IoStatus;
    KPROCESSOR_MODE RequestorMode;
    BOOLEAN PendingReturned;
    CHAR StackCount;
    CHAR CurrentLocation;
    BOOLEAN Cancel;
    KIRQL CancelIrql;
    CCHAR ApcEnvironment;
    UCHAR AllocationFlags;
    PIO_STATUS_BLOCK UserIosb;
    PKEVENT UserEvent;
    union {
        struct {
            PVOID UserApcRoutine;
            PVOID UserApcContext;
        } AsynchronousParameters;
        LARGE_INTEGER AllocationSize;
    } Overlay;
    volatile PDRIVER_CANCEL CancelRoutine;
    PVOID UserBuffer;
    union {
        struct {
            union {
                KDEVICE_QUEUE_ENTRY DeviceQueueEntry;
                struct {
                    PVOID DriverContext[4];
                };
            };
            PVOID Thread;
            PCHAR AuxiliaryBuffer;
            struct {
                LIST_ENTRY ListEntry;
                union {
                    struct _IO_STACK_LOCATION *CurrentStackLocation;
                    ULONG PacketType;
                };
            };
            struct _FILE_OBJECT *OriginalFileObject;
        } Overlay;
        UCHAR Apc[0x58]; /* KAPC */
        PVOID CompletionKey;
    } Tail;
} IRP, *PIRP;

/* IRP.Flags the I/O manager sets */
#define IRP_NOCACHE             0x00000001
#define IRP_PAGING_IO           0x00000002
#define IRP_BUFFERED_IO         0x00000010
#define IRP_DEALLOCATE_BUFFER   0x00000020
#define IRP_INPUT_OPERATION     0x00000040
#define IRP_SYNCHRONOUS_API     0x00000004

/* IO_STACK_LOCATION.Control */
#define SL_PENDING_RETURNED 0x01
#define SL_ERROR_RETURNED   0x02
#define SL_INVOKE_ON_CANCEL 0x20
#define SL_INVOKE_ON_SUCCESS 0x40
#define SL_INVOKE_ON_ERROR  0x80

/* Major and minor function codes. */
#define IRP_MJ_CREATE                   0x00
#define IRP_MJ_CREATE_NAMED_PIPE        0x01
#define IRP_MJ_CLOSE                    0x02
#define IRP_MJ_READ                     0x03
#define IRP_MJ_WRITE                    0x04
#define IRP_MJ_QUERY_INFORMATION        0x05
#define IRP_MJ_SET_INFORMATION          0x06
#define IRP_MJ_QUERY_EA                 0x07
#define IRP_MJ_SET_EA                   0x08
#define IRP_MJ_FLUSH_BUFFERS            0x09
#define IRP_MJ_QUERY_VOLUME_INFORMATION 0x0a
#define IRP_MJ_SET_VOLUME_INFORMATION   0x0b
#define IRP_MJ_DIRECTORY_CONTROL        0x0c
#define IRP_MJ_FILE_SYSTEM_CONTROL      0x0d
#define IRP_MJ_DEVICE_CONTROL           0x0e
#define IRP_MJ_INTERNAL_DEVICE_CONTROL  0x0f
#define IRP_MJ_SHUTDOWN                 0x10
#define IRP_MJ_LOCK_CONTROL             0x11
#define IRP_MJ_CLEANUP                  0x12
#define IRP_MJ_CREATE_MAILSLOT          0x13
#define IRP_MJ_QUERY_SECURITY           0x14
#define IRP_MJ_SET_SECURITY             0x15
#define IRP_MJ_POWER                    0x16
#define IRP_MJ_SYSTEM_CONTROL           0x17
#define IRP_MJ_DEVICE_CHANGE            0x18
#define IRP_MJ_QUERY_QUOTA              0x19
#define IRP_MJ_SET_QUOTA                0x1a
#define IRP_MJ_PNP                      0x1b
#define IRP_MJ_MAXIMUM_FUNCTION         0x1b

#define IRP_MN_START_DEVICE             0x00
#define IRP_MN_QUERY_REMOVE_DEVICE      0x01
#define IRP_MN_REMOVE_DEVICE            0x02
#define IRP_MN_CANCEL_REMOVE_DEVICE     0x03
#define IRP_MN_STOP_DEVICE              0x04
#define IRP_MN_QUERY_STOP_DEVICE        0x05
#define IRP_MN_CANCEL_STOP_DEVICE       0x06
#define IRP_MN_QUERY_DEVICE_RELATIONS   0x07
#define IRP_MN_QUERY_INTERFACE          0x08
#define IRP_MN_QUERY_CAPABILITIES       0x09
#define IRP_MN_QUERY_RESOURCES          0x0A
#define IRP_MN_QUERY_RESOURCE_REQUIREMENTS 0x0B
#define IRP_MN_SURPRISE_REMOVAL         0x17

/* Priority boosts for IoCompleteRequest. */
#define IO_NO_INCREMENT         0
#define IO_CD_ROM_INCREMENT     1
#define IO_DISK_INCREMENT       1
#define IO_PARALLEL_INCREMENT   1
#define IO_VIDEO_INCREMENT      1
#define IO_MAILSLOT_INCREMENT   2
#define IO_NAMED_PIPE_INCREMENT 2
#define IO_NETWORK_INCREMENT    2
#define IO_SERIAL_INCREMENT     2
#define IO_KEYBOARD_INCREMENT   6
#define IO_MOUSE_INCREMENT      6
#define IO_SOUND_INCREMENT      8

typedef NTSTATUS DRIVER_INITIALIZE(struct _DRIVER_OBJECT *DriverObject,
                                   PUNICODE_STRING RegistryPath);
typedef DRIVER_INITIALIZE *PDRIVER_INITIALIZE;
typedef NTSTATUS DRIVER_ADD_DEVICE(struct _DRIVER_OBJECT *DriverObject,
                                   struct _DEVICE_OBJECT *PhysicalDeviceObject);
typedef DRIVER_ADD_DEVICE *PDRIVER_ADD_DEVICE;
typedef NTSTATUS DRIVER_DISPATCH(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp);
typedef DRIVER_DISPATCH *PDRIVER_DISPATCH;
typedef VOID DRIVER_STARTIO(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp);
typedef DRIVER_STARTIO *PDRIVER_STARTIO;
typedef VOID DRIVER_UNLOAD(struct _DRIVER_OBJECT *DriverObject);
typedef DRIVER_UNLOAD *PDRIVER_UNLOAD;
typedef NTSTATUS IO_COMPLETION_ROUTINE(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp,
                                       PVOID Context);
typedef IO_COMPLETION_ROUTINE *PIO_COMPLETION_ROUTINE;
#define _Dispatch_type_(x)

typedef struct _DRIVER_EXTENSION {
    struct _DRIVER_OBJECT *DriverObject;
    PDRIVER_ADD_DEVICE AddDevice;
    ULONG Count;
    UNICODE_STRING ServiceKeyName;
} DRIVER_EXTENSION, *PDRIVER_EXTENSION;

typedef struct _DRIVER_OBJECT {
    CSHORT Type;
    CSHORT Size;
    PDEVICE_OBJECT DeviceObject;
    ULONG Flags;
    PVOID DriverStart;
    ULONG DriverSize;
    PVOID DriverSection;
    PDRIVER_EXTENSION DriverExtension;
    UNICODE_STRING DriverName;
    PUNICODE_STRING HardwareDatabase;
    PVOID FastIoDispatch;
    PDRIVER_INITIALIZE DriverInit;
    PDRIVER_STARTIO DriverStartIo;
    PDRIVER_UNLOAD DriverUnload;
    PDRIVER_DISPATCH MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1];
} DRIVER_OBJECT, *PDRIVER_OBJECT;

/* The I/O manager. */
NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                        PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
                        ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                        PDEVICE_OBJECT *DeviceObject);
VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject);
PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice,
                                           PDEVICE_OBJECT TargetDevice);
VOID IoDetachDevice(PDEVICE_OBJECT TargetDevice);
NTSTATUS IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName);
NTSTATUS IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName);

PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota);
VOID IoFreeIrp(PIRP Irp);
VOID IoInitializeIrp(PIRP Irp, USHORT PacketSize, CCHAR StackSize);
VOID IoReuseIrp(PIRP Irp, NTSTATUS Iostatus);
#define IoSizeOfIrp(StackSize) \
    ((USHORT)(sizeof(IRP) + ((StackSize) * (sizeof(IO_STACK_LOCATION)))))
NTSTATUS IofCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp);
VOID IofCompleteRequest(PIRP Irp, CCHAR PriorityBoost);
#define IoCallDriver(a, b) IofCallDriver(a, b)
#define IoCompleteRequest(a, b) IofCompleteRequest(a, b)
BOOLEAN IoForwardIrpSynchronously(PDEVICE_OBJECT DeviceObject, PIRP Irp);
VOID IoStartPacket(PDEVICE_OBJECT DeviceObject, PIRP Irp, PULONG Key,
                   PDRIVER_CANCEL CancelFunction);
VOID IoStartNextPacket(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable);
BOOLEAN IoCancelIrp(PIRP Irp);
VOID IoAcquireCancelSpinLock(PKIRQL Irql);
VOID IoReleaseCancelSpinLock(KIRQL Irql);
BOOLEAN KeRemoveEntryDeviceQueue(PKDEVICE_QUEUE DeviceQueue,
                                 PKDEVICE_QUEUE_ENTRY DeviceQueueEntry);

static inline PIO_STACK_LOCATION IoGetCurrentIrpStackLocation(PIRP Irp)
{
    return Irp->Tail.Overlay.CurrentStackLocation;
}
static inline PIO_STACK_LOCATION IoGetNextIrpStackLocation(PIRP Irp)
{
    return Irp->Tail.Overlay.CurrentStackLocation - 1;
}
static inline VOID IoSetNextIrpStackLocation(PIRP Irp)
{
    Irp->CurrentLocation--;
    Irp->Tail.Overlay.CurrentStackLocation--;
}
static inline VOID IoSkipCurrentIrpStackLocation(PIRP Irp)
{
    Irp->CurrentLocation++;
    Irp->Tail.Overlay.CurrentStackLocation++;
}
static inline VOID IoCopyCurrentIrpStackLocationToNext(PIRP Irp)
{
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    PIO_STACK_LOCATION nextIrpSp = IoGetNextIrpStackLocation(Irp);

    memcpy(nextIrpSp, irpSp, offsetof(IO_STACK_LOCATION, CompletionRoutine));
    nextIrpSp->Control = 0;
}
static inline VOID IoMarkIrpPending(PIRP Irp)
{
    IoGetCurrentIrpStackLocation(Irp)->Control |= SL_PENDING_RETURNED;
}
static inline VOID IoSetCompletionRoutine(PIRP Irp, PIO_COMPLETION_ROUTINE CompletionRoutine,
                                          PVOID Context, BOOLEAN InvokeOnSuccess,
                                          BOOLEAN InvokeOnError, BOOLEAN InvokeOnCancel)
{
    PIO_STACK_LOCATION irpSp = IoGetNextIrpStackLocation(Irp);

    irpSp->CompletionRoutine = CompletionRoutine;
    irpSp->Context = Context;
    irpSp->Control = 0;
    if (InvokeOnSuccess)
        irpSp->Control = SL_INVOKE_ON_SUCCESS;
    if (InvokeOnError)
        irpSp->Control |= SL_INVOKE_ON_ERROR;
    if (InvokeOnCancel)
        irpSp->Control |= SL_INVOKE_ON_CANCEL;
}
static inline PDRIVER_CANCEL IoSetCancelRoutine(PIRP Irp, PDRIVER_CANCEL CancelRoutine)
{
    return (PDRIVER_CANCEL)__atomic_exchange_n((PVOID volatile *)&Irp->CancelRoutine,
                                               (PVOID)CancelRoutine, __ATOMIC_SEQ_CST);
}

/* Work items: a routine run at PASSIVE_LEVEL on a system thread. */
typedef struct _IO_WORKITEM *PIO_WORKITEM;
typedef VOID IO_WORKITEM_ROUTINE(PDEVICE_OBJECT DeviceObject, PVOID Context);
typedef IO_WORKITEM_ROUTINE *PIO_WORKITEM_ROUTINE;
typedef enum _WORK_QUEUE_TYPE { CriticalWorkQueue, DelayedWorkQueue, HyperCriticalWorkQueue }
    WORK_QUEUE_TYPE;
PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject);
VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine,
                     WORK_QUEUE_TYPE QueueType, PVOID Context);
VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem);

/* DPCs for ISRs. */
typedef VOID IO_DPC_ROUTINE(PKDPC Dpc, struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp,
                            PVOID Context);
typedef IO_DPC_ROUTINE *PIO_DPC_ROUTINE;

VOID IoInitializeDpcRequest(PDEVICE_OBJECT DeviceObject, PIO_DPC_ROUTINE DpcRoutine);
VOID IoRequestDpc(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context);

/* ---------------------------------------------------------------------------------------------
 * Interrupts. A device raises its interrupt; the ISR connected to it runs at its DIRQL with
 * the interrupt spin lock held; KeSynchronizeExecution runs a routine the same way.
 */
typedef BOOLEAN KSERVICE_ROUTINE(PKINTERRUPT Interrupt, PVOID ServiceContext);
typedef KSERVICE_ROUTINE *PKSERVICE_ROUTINE;
typedef BOOLEAN KMESSAGE_SERVICE_ROUTINE(PKINTERRUPT Interrupt, PVOID ServiceContext,
                                         ULONG MessageID);
typedef KMESSAGE_SERVICE_ROUTINE *PKMESSAGE_SERVICE_ROUTINE;
typedef BOOLEAN KSYNCHRONIZE_ROUTINE(PVOID SynchronizeContext);
typedef KSYNCHRONIZE_ROUTINE *PKSYNCHRONIZE_ROUTINE;
typedef enum _KINTERRUPT_MODE { LevelSensitive, Latched } KINTERRUPT_MODE;
typedef struct _IO_INTERRUPT_MESSAGE_INFO *PIO_INTERRUPT_MESSAGE_INFO;

#define CONNECT_FULLY_SPECIFIED       0x1
#define CONNECT_LINE_BASED            0x2
#define CONNECT_MESSAGE_BASED         0x3
#define CONNECT_FULLY_SPECIFIED_GROUP 0x4
#define CONNECT_MESSAGE_BASED_PASSIVE 0x5
#define CONNECT_CURRENT_VERSION       0x5

typedef struct _IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS {
    PDEVICE_OBJECT PhysicalDeviceObject;
    PKINTERRUPT *InterruptObject;
    PKSERVICE_ROUTINE ServiceRoutine;
    PVOID ServiceContext;
    PKSPIN_LOCK SpinLock;
    KIRQL SynchronizeIrql;
    BOOLEAN FloatingSave;
    BOOLEAN ShareVector;
    ULONG Vector;
    KIRQL Irql;
    KINTERRUPT_MODE InterruptMode;
    KAFFINITY ProcessorEnableMask;
    USHORT Group;
} IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS;

typedef struct _IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS {
    PDEVICE_OBJECT PhysicalDeviceObject;
    PKINTERRUPT *InterruptObject;
    PKSERVICE_ROUTINE ServiceRoutine;
    PVOID ServiceContext;
    PKSPIN_LOCK SpinLock;
    KIRQL SynchronizeIrql;
    BOOLEAN FloatingSave;
} IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS;

typedef struct _IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS {
    PDEVICE_OBJECT PhysicalDeviceObject;
    union {
        PVOID *Generic;
        PIO_INTERRUPT_MESSAGE_INFO *InterruptMessageTable;
        PKINTERRUPT *InterruptObject;
    } ConnectionContext;
    PKMESSAGE_SERVICE_ROUTINE MessageServiceRoutine;
    PVOID ServiceContext;
    PKSPIN_LOCK SpinLock;
    KIRQL SynchronizeIrql;
    BOOLEAN FloatingSave;
    PKSERVICE_ROUTINE FallBackServiceRoutine;
} IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS;

typedef struct _IO_CONNECT_INTERRUPT_PARAMETERS {
    ULONG Version;
    union {
        IO_CONNECT_INTERRUPT_FULLY_SPECIFIED_PARAMETERS FullySpecified;
        IO_CONNECT_INTERRUPT_LINE_BASED_PARAMETERS LineBased;
        IO_CONNECT_INTERRUPT_MESSAGE_BASED_PARAMETERS MessageBased;
    };
} IO_CONNECT_INTERRUPT_PARAMETERS, *PIO_CONNECT_INTERRUPT_PARAMETERS;

typedef struct _IO_DISCONNECT_INTERRUPT_PARAMETERS {
    ULONG Version;
    union {
        PVOID Generic;
        PKINTERRUPT InterruptObject;
        PIO_INTERRUPT_MESSAGE_INFO InterruptMessageTable;
    } ConnectionContext;
} IO_DISCONNECT_INTERRUPT_PARAMETERS, *PIO_DISCONNECT_INTERRUPT_PARAMETERS;

NTSTATUS IoConnectInterrupt(PKINTERRUPT *InterruptObject, PKSERVICE_ROUTINE ServiceRoutine,
                            PVOID ServiceContext, PKSPIN_LOCK SpinLock, ULONG Vector,
                            KIRQL Irql, KIRQL SynchronizeIrql, KINTERRUPT_MODE InterruptMode,
                            BOOLEAN ShareVector, KAFFINITY ProcessorEnableMask,
                            BOOLEAN FloatingSave);
NTSTATUS IoConnectInterruptEx(PIO_CONNECT_INTERRUPT_PARAMETERS Parameters);
VOID IoDisconnectInterrupt(PKINTERRUPT InterruptObject);
VOID IoDisconnectInterruptEx(PIO_DISCONNECT_INTERRUPT_PARAMETERS Parameters);
BOOLEAN KeSynchronizeExecution(PKINTERRUPT Interrupt,
                               PKSYNCHRONIZE_ROUTINE SynchronizeRoutine,
                               PVOID SynchronizeContext);
KIRQL KeAcquireInterruptSpinLock(PKINTERRUPT Interrupt);
VOID KeReleaseInterruptSpinLock(PKINTERRUPT Interrupt, KIRQL OldIrql);

/* ---------------------------------------------------------------------------------------------
 * Registers and I/O space. A register address comes from MmMapIoSpace over a memory BAR of
 * the PnP resources; a port address is the port number from a port resource. Each access
 * lands in the device that decodes the address, at the virtual time it is made, and costs the
 * CPU the machine's MMIO latency (a read waits for the device; a write is posted). An access
 * no device decodes reads all ones, is dropped, and is a finding.
 */
UCHAR READ_REGISTER_UCHAR(volatile UCHAR *Register);
USHORT READ_REGISTER_USHORT(volatile USHORT *Register);
ULONG READ_REGISTER_ULONG(volatile ULONG *Register);
ULONG64 READ_REGISTER_ULONG64(volatile ULONG64 *Register);
VOID WRITE_REGISTER_UCHAR(volatile UCHAR *Register, UCHAR Value);
VOID WRITE_REGISTER_USHORT(volatile USHORT *Register, USHORT Value);
VOID WRITE_REGISTER_ULONG(volatile ULONG *Register, ULONG Value);
VOID WRITE_REGISTER_ULONG64(volatile ULONG64 *Register, ULONG64 Value);
VOID READ_REGISTER_BUFFER_UCHAR(volatile UCHAR *Register, PUCHAR Buffer, ULONG Count);
VOID READ_REGISTER_BUFFER_USHORT(volatile USHORT *Register, PUSHORT Buffer, ULONG Count);
VOID READ_REGISTER_BUFFER_ULONG(volatile ULONG *Register, PULONG Buffer, ULONG Count);
VOID WRITE_REGISTER_BUFFER_UCHAR(volatile UCHAR *Register, PUCHAR Buffer, ULONG Count);
VOID WRITE_REGISTER_BUFFER_USHORT(volatile USHORT *Register, PUSHORT Buffer, ULONG Count);
VOID WRITE_REGISTER_BUFFER_ULONG(volatile ULONG *Register, PULONG Buffer, ULONG Count);
UCHAR READ_PORT_UCHAR(PUCHAR Port);
USHORT READ_PORT_USHORT(PUSHORT Port);
ULONG READ_PORT_ULONG(PULONG Port);
VOID WRITE_PORT_UCHAR(PUCHAR Port, UCHAR Value);
VOID WRITE_PORT_USHORT(PUSHORT Port, USHORT Value);
VOID WRITE_PORT_ULONG(PULONG Port, ULONG Value);
VOID READ_PORT_BUFFER_UCHAR(PUCHAR Port, PUCHAR Buffer, ULONG Count);
VOID READ_PORT_BUFFER_USHORT(PUSHORT Port, PUSHORT Buffer, ULONG Count);
VOID READ_PORT_BUFFER_ULONG(PULONG Port, PULONG Buffer, ULONG Count);
VOID WRITE_PORT_BUFFER_UCHAR(PUCHAR Port, PUCHAR Buffer, ULONG Count);
VOID WRITE_PORT_BUFFER_USHORT(PUSHORT Port, PUSHORT Buffer, ULONG Count);
VOID WRITE_PORT_BUFFER_ULONG(PULONG Port, PULONG Buffer, ULONG Count);

PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
                   MEMORY_CACHING_TYPE CacheType);
PVOID MmMapIoSpaceEx(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, ULONG Protect);
/* A routine the kernel exports, by name; NULL for one dmasim does not have (the driver falls
 * back, as on an older kernel). */
PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName);
VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes);
#define PAGE_READWRITE 0x04
#define PAGE_NOCACHE   0x200

/* ---------------------------------------------------------------------------------------------
 * DMA: device descriptions.
 */
#define DEVICE_DESCRIPTION_VERSION  0x0000
#define DEVICE_DESCRIPTION_VERSION1 0x0001
#define DEVICE_DESCRIPTION_VERSION2 0x0002
#define DEVICE_DESCRIPTION_VERSION3 0x0003

typedef enum _DMA_WIDTH {
    Width8Bits = 0,
    Width16Bits = 1,
    Width32Bits = 2,
    Width64Bits = 3,
    WidthNoWrap = 4,
    MaximumDmaWidth = 5
} DMA_WIDTH, *PDMA_WIDTH;

typedef enum _DMA_SPEED {
    Compatible = 0,
    TypeA = 1,
    TypeB = 2,
    TypeC = 3,
    TypeF = 4,
    MaximumDmaSpeed = 5
} DMA_SPEED, *PDMA_SPEED;

typedef struct _DEVICE_DESCRIPTION {
    ULONG Version;
    BOOLEAN Master;
    BOOLEAN ScatterGather;
    BOOLEAN DemandMode;
    BOOLEAN AutoInitialize;
    BOOLEAN Dma32BitAddresses;
    BOOLEAN IgnoreCount;
    BOOLEAN Reserved1; /* must be FALSE */
    BOOLEAN Dma64BitAddresses;
    ULONG BusNumber;
    ULONG DmaChannel;
    INTERFACE_TYPE InterfaceType;
    DMA_WIDTH DmaWidth;
    DMA_SPEED DmaSpeed;
    ULONG MaximumLength;
    ULONG DmaPort;
    ULONG DmaAddressWidth;       /* Windows 8: version 3 */
    ULONG DmaControllerInstance; /* "Not used" */
    ULONG DmaRequestLine;
    PHYSICAL_ADDRESS DeviceAddress;
} DEVICE_DESCRIPTION, *PDEVICE_DESCRIPTION;

/* ---------------------------------------------------------------------------------------------
 * DMA: scatter/gather lists.
 */
typedef struct _SCATTER_GATHER_ELEMENT {
    PHYSICAL_ADDRESS Address; /* the logical address the device uses */
    ULONG Length;
    ULONG_PTR Reserved;
} SCATTER_GATHER_ELEMENT, *PSCATTER_GATHER_ELEMENT;

typedef struct _SCATTER_GATHER_LIST {
    ULONG NumberOfElements;
    ULONG_PTR Reserved;
    SCATTER_GATHER_ELEMENT Elements[];
} SCATTER_GATHER_LIST, *PSCATTER_GATHER_LIST;

/* ---------------------------------------------------------------------------------------------
 * DMA: version-3 structures (the routines arrive with DEVICE_DESCRIPTION_VERSION3).
 */
#define DMA_ADAPTER_INFO_VERSION1 1
typedef struct _DMA_ADAPTER_INFO_V1 {
    ULONG ReadDmaCounterAvailable;
    ULONG ScatterGatherLimit;
    ULONG DmaAddressWidth;
    ULONG Flags;
    ULONG MinimumTransferUnit;
} DMA_ADAPTER_INFO_V1, *PDMA_ADAPTER_INFO_V1;

typedef struct _DMA_ADAPTER_INFO {
    ULONG Version;
    union {
        DMA_ADAPTER_INFO_V1 V1;
    };
} DMA_ADAPTER_INFO, *PDMA_ADAPTER_INFO;

#define DMA_TRANSFER_INFO_VERSION1 1
#define DMA_TRANSFER_INFO_VERSION2 2
typedef struct _DMA_TRANSFER_INFO_V1 {
    ULONG MapRegisterCount;
    ULONG ScatterGatherElementCount;
    ULONG ScatterGatherListSize;
} DMA_TRANSFER_INFO_V1, *PDMA_TRANSFER_INFO_V1;

typedef struct _DMA_TRANSFER_INFO_V2 {
    ULONG MapRegisterCount;
    ULONG ScatterGatherElementCount;
    ULONG ScatterGatherListSize;
    ULONG LogicalPageCount;
} DMA_TRANSFER_INFO_V2, *PDMA_TRANSFER_INFO_V2;

typedef struct _DMA_TRANSFER_INFO {
    ULONG Version;
    union {
        DMA_TRANSFER_INFO_V1 V1;
        DMA_TRANSFER_INFO_V2 V2;
    };
} DMA_TRANSFER_INFO, *PDMA_TRANSFER_INFO;

#define DMA_TRANSFER_CONTEXT_VERSION1 1
#define DMA_TRANSFER_CONTEXT_SIZE_V1  128 /* _WIN64 value (NeptuneOS; unconfirmed by Microsoft) */
#define DMA_SYNCHRONOUS_CALLBACK      0x01 /* unconfirmed value; see the reference, 2.5 */

typedef struct _DMA_COMMON_BUFFER_VECTOR DMA_COMMON_BUFFER_VECTOR, *PDMA_COMMON_BUFFER_VECTOR;

typedef enum _DMA_COMMON_BUFFER_EXTENDED_CONFIGURATION_TYPE {
    CommonBufferConfigTypeLogicalAddressLimits,
    CommonBufferConfigTypeSubSection,
    CommonBufferConfigTypeHardwareAccessPermissions,
    CommonBufferConfigTypeMax
} DMA_COMMON_BUFFER_EXTENDED_CONFIGURATION_TYPE;

typedef enum _DMA_COMMON_BUFFER_EXTENDED_CONFIGURATION_ACCESS_TYPE {
    CommonBufferHardwareAccessReadOnly,
    CommonBufferHardwareAccessWriteOnly,
    CommonBufferHardwareAccessReadWrite,
    CommonBufferHardwareAccessMax
} DMA_COMMON_BUFFER_EXTENDED_CONFIGURATION_ACCESS_TYPE;

typedef struct _DMA_COMMON_BUFFER_EXTENDED_CONFIGURATION {
    DMA_COMMON_BUFFER_EXTENDED_CONFIGURATION_TYPE ConfigType;
    union {
        struct {
            PHYSICAL_ADDRESS MinimumAddress;
            PHYSICAL_ADDRESS MaximumAddress;
        } LogicalAddressLimits;
        struct {
            ULONGLONG Offset;
            ULONG Length;
        } SubSection;
        DMA_COMMON_BUFFER_EXTENDED_CONFIGURATION_ACCESS_TYPE HardwareAccessType;
        ULONGLONG Reserved[4];
    };
} DMA_COMMON_BUFFER_EXTENDED_CONFIGURATION, *PDMA_COMMON_BUFFER_EXTENDED_CONFIGURATION;

/* ---------------------------------------------------------------------------------------------
 * DMA: driver callbacks.
 */
typedef enum _IO_ALLOCATION_ACTION {
    KeepObject = 1,
    DeallocateObject,
    DeallocateObjectKeepRegisters
} IO_ALLOCATION_ACTION, *PIO_ALLOCATION_ACTION;

typedef IO_ALLOCATION_ACTION DRIVER_CONTROL(struct _DEVICE_OBJECT *DeviceObject,
                                            struct _IRP *Irp, PVOID MapRegisterBase,
                                            PVOID Context);
typedef DRIVER_CONTROL *PDRIVER_CONTROL;

typedef VOID DRIVER_LIST_CONTROL(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp,
                                 PSCATTER_GATHER_LIST ScatterGather, PVOID Context);
typedef DRIVER_LIST_CONTROL *PDRIVER_LIST_CONTROL;

typedef enum _DMA_COMPLETION_STATUS {
    DmaComplete,
    DmaAborted,
    DmaError,
    DmaCancelled
} DMA_COMPLETION_STATUS;

struct _DMA_ADAPTER;

typedef VOID DMA_COMPLETION_ROUTINE(struct _DMA_ADAPTER *DmaAdapter,
                                    struct _DEVICE_OBJECT *DeviceObject,
                                    PVOID CompletionContext, DMA_COMPLETION_STATUS Status);
typedef DMA_COMPLETION_ROUTINE *PDMA_COMPLETION_ROUTINE;

/* ---------------------------------------------------------------------------------------------
 * DMA: the adapter object and its operations table.
 */
struct _DMA_OPERATIONS;

typedef struct _DMA_ADAPTER {
    USHORT Version; /* always 1, for every table version */
    USHORT Size;
    struct _DMA_OPERATIONS *DmaOperations;
} DMA_ADAPTER, *PDMA_ADAPTER, *PADAPTER_OBJECT;

typedef VOID (*PPUT_DMA_ADAPTER)(PDMA_ADAPTER DmaAdapter);
typedef PVOID (*PALLOCATE_COMMON_BUFFER)(PDMA_ADAPTER DmaAdapter, ULONG Length,
                                         PPHYSICAL_ADDRESS LogicalAddress,
                                         BOOLEAN CacheEnabled);
typedef VOID (*PFREE_COMMON_BUFFER)(PDMA_ADAPTER DmaAdapter, ULONG Length,
                                    PHYSICAL_ADDRESS LogicalAddress, PVOID VirtualAddress,
                                    BOOLEAN CacheEnabled);
typedef NTSTATUS (*PALLOCATE_ADAPTER_CHANNEL)(PDMA_ADAPTER DmaAdapter,
                                              PDEVICE_OBJECT DeviceObject,
                                              ULONG NumberOfMapRegisters,
                                              PDRIVER_CONTROL ExecutionRoutine, PVOID Context);
typedef BOOLEAN (*PFLUSH_ADAPTER_BUFFERS)(PDMA_ADAPTER DmaAdapter, PMDL Mdl,
                                          PVOID MapRegisterBase, PVOID CurrentVa, ULONG Length,
                                          BOOLEAN WriteToDevice);
typedef VOID (*PFREE_ADAPTER_CHANNEL)(PDMA_ADAPTER DmaAdapter);
typedef VOID (*PFREE_MAP_REGISTERS)(PDMA_ADAPTER DmaAdapter, PVOID MapRegisterBase,
                                    ULONG NumberOfMapRegisters);
typedef PHYSICAL_ADDRESS (*PMAP_TRANSFER)(PDMA_ADAPTER DmaAdapter, PMDL Mdl,
                                          PVOID MapRegisterBase, PVOID CurrentVa,
                                          PULONG Length, BOOLEAN WriteToDevice);
typedef ULONG (*PGET_DMA_ALIGNMENT)(PDMA_ADAPTER DmaAdapter);
typedef ULONG (*PREAD_DMA_COUNTER)(PDMA_ADAPTER DmaAdapter);
typedef NTSTATUS (*PGET_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter,
                                             PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                             PVOID CurrentVa, ULONG Length,
                                             PDRIVER_LIST_CONTROL ExecutionRoutine,
                                             PVOID Context, BOOLEAN WriteToDevice);
typedef VOID (*PPUT_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter,
                                         PSCATTER_GATHER_LIST ScatterGather,
                                         BOOLEAN WriteToDevice);
typedef NTSTATUS (*PCALCULATE_SCATTER_GATHER_LIST_SIZE)(PDMA_ADAPTER DmaAdapter, PMDL Mdl,
                                                        PVOID CurrentVa, ULONG Length,
                                                        PULONG ScatterGatherListSize,
                                                        PULONG pNumberOfMapRegisters);
typedef NTSTATUS (*PBUILD_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter,
                                               PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                               PVOID CurrentVa, ULONG Length,
                                               PDRIVER_LIST_CONTROL ExecutionRoutine,
                                               PVOID Context, BOOLEAN WriteToDevice,
                                               PVOID ScatterGatherBuffer,
                                               ULONG ScatterGatherLength);
typedef NTSTATUS (*PBUILD_MDL_FROM_SCATTER_GATHER_LIST)(PDMA_ADAPTER DmaAdapter,
                                                        PSCATTER_GATHER_LIST ScatterGather,
                                                        PMDL OriginalMdl, PMDL *TargetMdl);
/* version 3 */
typedef NTSTATUS (*PGET_DMA_ADAPTER_INFO)(PDMA_ADAPTER DmaAdapter,
                                          PDMA_ADAPTER_INFO AdapterInfo);
typedef NTSTATUS (*PGET_DMA_TRANSFER_INFO)(PDMA_ADAPTER DmaAdapter, PMDL Mdl,
                                           ULONGLONG Offset, ULONG Length, BOOLEAN WriteOnly,
                                           PDMA_TRANSFER_INFO TransferInfo);
typedef NTSTATUS (*PINITIALIZE_DMA_TRANSFER_CONTEXT)(PDMA_ADAPTER DmaAdapter,
                                                     PVOID DmaTransferContext);
typedef PVOID (*PALLOCATE_COMMON_BUFFER_EX)(PDMA_ADAPTER DmaAdapter,
                                            PPHYSICAL_ADDRESS MaximumAddress, ULONG Length,
                                            PPHYSICAL_ADDRESS LogicalAddress,
                                            BOOLEAN CacheEnabled,
                                            NODE_REQUIREMENT PreferredNode);
typedef NTSTATUS (*PALLOCATE_ADAPTER_CHANNEL_EX)(PDMA_ADAPTER DmaAdapter,
                                                 PDEVICE_OBJECT DeviceObject,
                                                 PVOID DmaTransferContext,
                                                 ULONG NumberOfMapRegisters, ULONG Flags,
                                                 PDRIVER_CONTROL ExecutionRoutine,
                                                 PVOID ExecutionContext,
                                                 PVOID *MapRegisterBase);
typedef NTSTATUS (*PCONFIGURE_ADAPTER_CHANNEL)(PDMA_ADAPTER DmaAdapter, ULONG FunctionNumber,
                                               PVOID Context);
typedef BOOLEAN (*PCANCEL_ADAPTER_CHANNEL)(PDMA_ADAPTER DmaAdapter,
                                           PDEVICE_OBJECT DeviceObject,
                                           PVOID DmaTransferContext);
typedef NTSTATUS (*PMAP_TRANSFER_EX)(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase,
                                     ULONGLONG Offset, ULONG DeviceOffset, PULONG Length,
                                     BOOLEAN WriteToDevice,
                                     PSCATTER_GATHER_LIST ScatterGatherBuffer,
                                     ULONG ScatterGatherBufferLength,
                                     PDMA_COMPLETION_ROUTINE DmaCompletionRoutine,
                                     PVOID CompletionContext);
typedef NTSTATUS (*PGET_SCATTER_GATHER_LIST_EX)(
    PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PVOID DmaTransferContext, PMDL Mdl,
    ULONGLONG Offset, ULONG Length, ULONG Flags, PDRIVER_LIST_CONTROL ExecutionRoutine,
    PVOID Context, BOOLEAN WriteToDevice, PDMA_COMPLETION_ROUTINE DmaCompletionRoutine,
    PVOID CompletionContext, PSCATTER_GATHER_LIST *ScatterGatherList);
typedef NTSTATUS (*PBUILD_SCATTER_GATHER_LIST_EX)(
    PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PVOID DmaTransferContext, PMDL Mdl,
    ULONGLONG Offset, ULONG Length, ULONG Flags, PDRIVER_LIST_CONTROL ExecutionRoutine,
    PVOID Context, BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
    ULONG ScatterGatherLength, PDMA_COMPLETION_ROUTINE DmaCompletionRoutine,
    PVOID CompletionContext, PVOID ScatterGatherList);
typedef NTSTATUS (*PFLUSH_ADAPTER_BUFFERS_EX)(PDMA_ADAPTER DmaAdapter, PMDL Mdl,
                                              PVOID MapRegisterBase, ULONGLONG Offset,
                                              ULONG Length, BOOLEAN WriteToDevice);
typedef VOID (*PFREE_ADAPTER_OBJECT)(PDMA_ADAPTER DmaAdapter,
                                     IO_ALLOCATION_ACTION AllocationAction);
typedef NTSTATUS (*PCANCEL_MAPPED_TRANSFER)(PDMA_ADAPTER DmaAdapter, PVOID DmaTransferContext);
/* Windows 10 and later */
typedef NTSTATUS (*PALLOCATE_DOMAIN_COMMON_BUFFER)(PDMA_ADAPTER DmaAdapter, HANDLE DomainHandle,
                                                   PPHYSICAL_ADDRESS MaximumAddress,
                                                   ULONG Length, ULONG Flags,
                                                   MEMORY_CACHING_TYPE *CacheType,
                                                   NODE_REQUIREMENT PreferredNode,
                                                   PPHYSICAL_ADDRESS LogicalAddress,
                                                   PVOID *VirtualAddress);
typedef NTSTATUS (*PFLUSH_DMA_BUFFER)(PDMA_ADAPTER DmaAdapter, PMDL Mdl,
                                      BOOLEAN ReadOperation);
typedef NTSTATUS (*PJOIN_DMA_DOMAIN)(PDMA_ADAPTER DmaAdapter, HANDLE DomainHandle);
typedef NTSTATUS (*PLEAVE_DMA_DOMAIN)(PDMA_ADAPTER DmaAdapter);
typedef HANDLE (*PGET_DMA_DOMAIN)(PDMA_ADAPTER DmaAdapter);
typedef PVOID (*PALLOCATE_COMMON_BUFFER_WITH_BOUNDS)(PDMA_ADAPTER DmaAdapter,
                                                     PPHYSICAL_ADDRESS MinimumAddress,
                                                     PPHYSICAL_ADDRESS MaximumAddress,
                                                     ULONG Length, ULONG Flags,
                                                     MEMORY_CACHING_TYPE *CacheType,
                                                     NODE_REQUIREMENT PreferredNode,
                                                     PPHYSICAL_ADDRESS LogicalAddress);
typedef NTSTATUS (*PALLOCATE_COMMON_BUFFER_VECTOR)(PDMA_ADAPTER DmaAdapter,
                                                   PHYSICAL_ADDRESS LowAddress,
                                                   PHYSICAL_ADDRESS HighAddress,
                                                   MEMORY_CACHING_TYPE CacheType,
                                                   NODE_REQUIREMENT IdealNode, ULONG Flags,
                                                   ULONG NumberOfElements,
                                                   ULONGLONG SizeOfElements,
                                                   PDMA_COMMON_BUFFER_VECTOR *VectorOut);
typedef VOID (*PGET_COMMON_BUFFER_FROM_VECTOR_BY_INDEX)(PDMA_ADAPTER DmaAdapter,
                                                       PDMA_COMMON_BUFFER_VECTOR Vector,
                                                       ULONG Index, PVOID *VirtualAddressOut,
                                                       PPHYSICAL_ADDRESS LogicalAddressOut);
typedef VOID (*PFREE_COMMON_BUFFER_FROM_VECTOR)(PDMA_ADAPTER DmaAdapter,
                                               PDMA_COMMON_BUFFER_VECTOR Vector, ULONG Index);
typedef VOID (*PFREE_COMMON_BUFFER_VECTOR)(PDMA_ADAPTER DmaAdapter,
                                          PDMA_COMMON_BUFFER_VECTOR Vector);
typedef NTSTATUS (*PCREATE_COMMON_BUFFER_FROM_MDL)(
    PDMA_ADAPTER DmaAdapter, PMDL Mdl,
    PDMA_COMMON_BUFFER_EXTENDED_CONFIGURATION ExtendedConfigs, ULONG ExtendedConfigsCount,
    PPHYSICAL_ADDRESS LogicalAddress);

typedef struct _DMA_OPERATIONS {
    ULONG Size;
    PPUT_DMA_ADAPTER PutDmaAdapter;
    PALLOCATE_COMMON_BUFFER AllocateCommonBuffer;
    PFREE_COMMON_BUFFER FreeCommonBuffer;
    PALLOCATE_ADAPTER_CHANNEL AllocateAdapterChannel;
    PFLUSH_ADAPTER_BUFFERS FlushAdapterBuffers;
    PFREE_ADAPTER_CHANNEL FreeAdapterChannel;
    PFREE_MAP_REGISTERS FreeMapRegisters;
    PMAP_TRANSFER MapTransfer;
    PGET_DMA_ALIGNMENT GetDmaAlignment;
    PREAD_DMA_COUNTER ReadDmaCounter;
    PGET_SCATTER_GATHER_LIST GetScatterGatherList;
    PPUT_SCATTER_GATHER_LIST PutScatterGatherList;
    PCALCULATE_SCATTER_GATHER_LIST_SIZE CalculateScatterGatherList;
    PBUILD_SCATTER_GATHER_LIST BuildScatterGatherList;
    PBUILD_MDL_FROM_SCATTER_GATHER_LIST BuildMdlFromScatterGatherList;
    PGET_DMA_ADAPTER_INFO GetDmaAdapterInfo;
    PGET_DMA_TRANSFER_INFO GetDmaTransferInfo;
    PINITIALIZE_DMA_TRANSFER_CONTEXT InitializeDmaTransferContext;
    PALLOCATE_COMMON_BUFFER_EX AllocateCommonBufferEx;
    PALLOCATE_ADAPTER_CHANNEL_EX AllocateAdapterChannelEx;
    PCONFIGURE_ADAPTER_CHANNEL ConfigureAdapterChannel;
    PCANCEL_ADAPTER_CHANNEL CancelAdapterChannel;
    PMAP_TRANSFER_EX MapTransferEx;
    PGET_SCATTER_GATHER_LIST_EX GetScatterGatherListEx;
    PBUILD_SCATTER_GATHER_LIST_EX BuildScatterGatherListEx;
    PFLUSH_ADAPTER_BUFFERS_EX FlushAdapterBuffersEx;
    PFREE_ADAPTER_OBJECT FreeAdapterObject;
    PCANCEL_MAPPED_TRANSFER CancelMappedTransfer;
    PALLOCATE_DOMAIN_COMMON_BUFFER AllocateDomainCommonBuffer;
    PFLUSH_DMA_BUFFER FlushDmaBuffer;
    PJOIN_DMA_DOMAIN JoinDmaDomain;
    PLEAVE_DMA_DOMAIN LeaveDmaDomain;
    PGET_DMA_DOMAIN GetDmaDomain;
    PALLOCATE_COMMON_BUFFER_WITH_BOUNDS AllocateCommonBufferWithBounds;
    PALLOCATE_COMMON_BUFFER_VECTOR AllocateCommonBufferVector;
    PGET_COMMON_BUFFER_FROM_VECTOR_BY_INDEX GetCommonBufferFromVectorByIndex;
    PFREE_COMMON_BUFFER_FROM_VECTOR FreeCommonBufferFromVector;
    PFREE_COMMON_BUFFER_VECTOR FreeCommonBufferVector;
    PCREATE_COMMON_BUFFER_FROM_MDL CreateCommonBufferFromMdl;
} DMA_OPERATIONS, *PDMA_OPERATIONS;

/* The entry point (NtosKrnl.exe, PASSIVE_LEVEL). */
PDMA_ADAPTER IoGetDmaAdapter(PDEVICE_OBJECT PhysicalDeviceObject,
                             PDEVICE_DESCRIPTION DeviceDescription,
                             PULONG NumberOfMapRegisters);

/* ---------------------------------------------------------------------------------------------
 * The legacy names. 64-bit WDK builds define USE_DMA_MACROS, which turns them into wrappers
 * that call through the adapter's operations table; dmasim always does.
 */
#define USE_DMA_MACROS 1

static inline NTSTATUS IoAllocateAdapterChannel(PADAPTER_OBJECT AdapterObject,
                                                PDEVICE_OBJECT DeviceObject,
                                                ULONG NumberOfMapRegisters,
                                                PDRIVER_CONTROL ExecutionRoutine, PVOID Context)
{
    return AdapterObject->DmaOperations->AllocateAdapterChannel(
        AdapterObject, DeviceObject, NumberOfMapRegisters, ExecutionRoutine, Context);
}

static inline BOOLEAN IoFlushAdapterBuffers(PADAPTER_OBJECT AdapterObject, PMDL Mdl,
                                            PVOID MapRegisterBase, PVOID CurrentVa,
                                            ULONG Length, BOOLEAN WriteToDevice)
{
    return AdapterObject->DmaOperations->FlushAdapterBuffers(AdapterObject, Mdl, MapRegisterBase,
                                                             CurrentVa, Length, WriteToDevice);
}

static inline VOID IoFreeAdapterChannel(PADAPTER_OBJECT AdapterObject)
{
    AdapterObject->DmaOperations->FreeAdapterChannel(AdapterObject);
}

static inline VOID IoFreeMapRegisters(PADAPTER_OBJECT AdapterObject, PVOID MapRegisterBase,
                                      ULONG NumberOfMapRegisters)
{
    AdapterObject->DmaOperations->FreeMapRegisters(AdapterObject, MapRegisterBase,
                                                   NumberOfMapRegisters);
}

static inline PHYSICAL_ADDRESS IoMapTransfer(PADAPTER_OBJECT AdapterObject, PMDL Mdl,
                                             PVOID MapRegisterBase, PVOID CurrentVa,
                                             PULONG Length, BOOLEAN WriteToDevice)
{
    return AdapterObject->DmaOperations->MapTransfer(AdapterObject, Mdl, MapRegisterBase,
                                                     CurrentVa, Length, WriteToDevice);
}

static inline PVOID HalAllocateCommonBuffer(PADAPTER_OBJECT AdapterObject, ULONG Length,
                                            PPHYSICAL_ADDRESS LogicalAddress,
                                            BOOLEAN CacheEnabled)
{
    return AdapterObject->DmaOperations->AllocateCommonBuffer(AdapterObject, Length,
                                                              LogicalAddress, CacheEnabled);
}

static inline VOID HalFreeCommonBuffer(PADAPTER_OBJECT AdapterObject, ULONG Length,
                                       PHYSICAL_ADDRESS LogicalAddress, PVOID VirtualAddress,
                                       BOOLEAN CacheEnabled)
{
    AdapterObject->DmaOperations->FreeCommonBuffer(AdapterObject, Length, LogicalAddress,
                                                   VirtualAddress, CacheEnabled);
}

static inline ULONG HalReadDmaCounter(PADAPTER_OBJECT AdapterObject)
{
    return AdapterObject->DmaOperations->ReadDmaCounter(AdapterObject);
}

static inline ULONG HalGetDmaAlignment(PADAPTER_OBJECT AdapterObject)
{
    return AdapterObject->DmaOperations->GetDmaAlignment(AdapterObject);
}

#ifdef __cplusplus
}
#endif

#endif /* DMASIM_WDM_H */
