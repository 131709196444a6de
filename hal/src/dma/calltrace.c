/*
 * calltrace.c - DMA_OPERATIONS tables that report every call (dms_machine_config.call_events).
 *
 * Each member here emits a CALL event with the arguments as the WDK names them, calls the
 * real member through the plain table, then emits a RETURN event with what came back. An
 * adapter gets these tables instead of the plain ones only when the machine asks for call
 * events, so the usual path costs nothing. Addresses print in grouped hex, as !dma does not
 * but people read best: 0x0000_0001_2345_6000.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "dma.h"

#define DETAIL_MAX 320

static const char *addr(uint64_t a, char *buf)
{
    dms_format_address(a, buf);
    return buf;
}

static void emit(PDMA_ADAPTER a, enum dms_event_type type, const char *routine, int32_t status,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void emit(PDMA_ADAPTER a, enum dms_event_type type, const char *routine, int32_t status,
                 const char *fmt, ...)
{
    struct adapter *ad = (struct adapter *)a;
    struct dms_machine *m = hal_machine();
    char detail[DETAIL_MAX];
    struct dms_event ev = {.type = type, .routine = routine, .status = status, .detail = detail};
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    if (m != NULL)
        hal_emit(m, acct(ad != NULL && ad->magic == ADAPTER_MAGIC ? ad : NULL), &ev);
}

#define TF(b) ((b) ? "TRUE" : "FALSE")
/* The plain table for an adapter (a NULL or bad adapter goes to v1's, which reports it). */
static const DMA_OPERATIONS *real(PDMA_ADAPTER a)
{
    const struct adapter *ad = (const struct adapter *)a;

    return ad != NULL && ad->magic == ADAPTER_MAGIC ? hal_ops_plain(ad->desc.Version)
                                                    : &hal_ops_v1;
}

static VOID t_PutDmaAdapter(PDMA_ADAPTER a)
{
    emit(a, DMS_EV_CALL, "PutDmaAdapter", 0, "%s", "");
    real(a)->PutDmaAdapter(a);
    emit(a, DMS_EV_RETURN, "PutDmaAdapter", 0, "returns");
}

static PVOID t_AllocateCommonBuffer(PDMA_ADAPTER a, ULONG Length, PPHYSICAL_ADDRESS Logical,
                                    BOOLEAN CacheEnabled)
{
    char b[24];
    PVOID va;

    emit(a, DMS_EV_CALL, "AllocateCommonBuffer", 0, "Length=%u, CacheEnabled=%s",
         (unsigned)Length, TF(CacheEnabled));
    va = real(a)->AllocateCommonBuffer(a, Length, Logical, CacheEnabled);
    emit(a, DMS_EV_RETURN, "AllocateCommonBuffer", 0, "returns %s, *LogicalAddress=%s",
         va ? "a virtual address" : "NULL",
         addr(Logical && va ? (uint64_t)Logical->QuadPart : 0, b));
    return va;
}

static VOID t_FreeCommonBuffer(PDMA_ADAPTER a, ULONG Length, PHYSICAL_ADDRESS Logical, PVOID Va,
                               BOOLEAN CacheEnabled)
{
    char b[24];

    emit(a, DMS_EV_CALL, "FreeCommonBuffer", 0, "Length=%u, LogicalAddress=%s, CacheEnabled=%s",
         (unsigned)Length, addr((uint64_t)Logical.QuadPart, b), TF(CacheEnabled));
    real(a)->FreeCommonBuffer(a, Length, Logical, Va, CacheEnabled);
    emit(a, DMS_EV_RETURN, "FreeCommonBuffer", 0, "returns");
}

static NTSTATUS t_AllocateAdapterChannel(PDMA_ADAPTER a, PDEVICE_OBJECT Dev, ULONG N,
                                         PDRIVER_CONTROL Exec, PVOID Context)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "AllocateAdapterChannel", 0, "NumberOfMapRegisters=%u, "
         "ExecutionRoutine=%s", (unsigned)N, Exec ? "the caller's" : "NULL");
    st = real(a)->AllocateAdapterChannel(a, Dev, N, Exec, Context);
    emit(a, DMS_EV_RETURN, "AllocateAdapterChannel", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static BOOLEAN t_FlushAdapterBuffers(PDMA_ADAPTER a, PMDL Mdl, PVOID Base, PVOID CurrentVa,
                                     ULONG Length, BOOLEAN Write)
{
    BOOLEAN ok;

    emit(a, DMS_EV_CALL, "FlushAdapterBuffers", 0, "Mdl=(%u bytes), CurrentVa=+0x%" PRIxPTR
         " into the MDL, Length=%u, WriteToDevice=%s", Mdl ? (unsigned)Mdl->ByteCount : 0,
         Mdl ? (uintptr_t)CurrentVa - (uintptr_t)MmGetMdlVirtualAddress(Mdl) : 0,
         (unsigned)Length, TF(Write));
    ok = real(a)->FlushAdapterBuffers(a, Mdl, Base, CurrentVa, Length, Write);
    emit(a, DMS_EV_RETURN, "FlushAdapterBuffers", 0, "returns %s", TF(ok));
    return ok;
}

static VOID t_FreeAdapterChannel(PDMA_ADAPTER a)
{
    emit(a, DMS_EV_CALL, "FreeAdapterChannel", 0, "%s", "");
    real(a)->FreeAdapterChannel(a);
    emit(a, DMS_EV_RETURN, "FreeAdapterChannel", 0, "returns");
}

static VOID t_FreeMapRegisters(PDMA_ADAPTER a, PVOID Base, ULONG N)
{
    emit(a, DMS_EV_CALL, "FreeMapRegisters", 0, "NumberOfMapRegisters=%u", (unsigned)N);
    real(a)->FreeMapRegisters(a, Base, N);
    emit(a, DMS_EV_RETURN, "FreeMapRegisters", 0, "returns");
}

static PHYSICAL_ADDRESS t_MapTransfer(PDMA_ADAPTER a, PMDL Mdl, PVOID Base, PVOID CurrentVa,
                                      PULONG Length, BOOLEAN Write)
{
    PHYSICAL_ADDRESS la;
    char b[24];

    emit(a, DMS_EV_CALL, "MapTransfer", 0, "Mdl=(%u bytes), CurrentVa=+0x%" PRIxPTR " into the "
         "MDL, *Length=%u, WriteToDevice=%s", Mdl ? (unsigned)Mdl->ByteCount : 0,
         Mdl ? (uintptr_t)CurrentVa - (uintptr_t)MmGetMdlVirtualAddress(Mdl) : 0,
         Length ? (unsigned)*Length : 0, TF(Write));
    la = real(a)->MapTransfer(a, Mdl, Base, CurrentVa, Length, Write);
    emit(a, DMS_EV_RETURN, "MapTransfer", 0, "returns logical address %s, *Length=%u",
         addr((uint64_t)la.QuadPart, b), Length ? (unsigned)*Length : 0);
    return la;
}

static ULONG t_GetDmaAlignment(PDMA_ADAPTER a)
{
    ULONG v;

    emit(a, DMS_EV_CALL, "GetDmaAlignment", 0, "%s", "");
    v = real(a)->GetDmaAlignment(a);
    emit(a, DMS_EV_RETURN, "GetDmaAlignment", 0, "returns %u", (unsigned)v);
    return v;
}

static ULONG t_ReadDmaCounter(PDMA_ADAPTER a)
{
    ULONG v;

    emit(a, DMS_EV_CALL, "ReadDmaCounter", 0, "%s", "");
    v = real(a)->ReadDmaCounter(a);
    emit(a, DMS_EV_RETURN, "ReadDmaCounter", 0, "returns %u", (unsigned)v);
    return v;
}

static NTSTATUS t_GetScatterGatherList(PDMA_ADAPTER a, PDEVICE_OBJECT Dev, PMDL Mdl,
                                       PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL Fn,
                                       PVOID Context, BOOLEAN Write)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "GetScatterGatherList", 0, "Mdl=(%u bytes), CurrentVa=+0x%" PRIxPTR
         " into the MDL, Length=%u, WriteToDevice=%s", Mdl ? (unsigned)Mdl->ByteCount : 0,
         Mdl ? (uintptr_t)CurrentVa - (uintptr_t)MmGetMdlVirtualAddress(Mdl) : 0,
         (unsigned)Length, TF(Write));
    st = real(a)->GetScatterGatherList(a, Dev, Mdl, CurrentVa, Length, Fn, Context, Write);
    emit(a, DMS_EV_RETURN, "GetScatterGatherList", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static VOID t_PutScatterGatherList(PDMA_ADAPTER a, PSCATTER_GATHER_LIST Sg, BOOLEAN Write)
{
    unsigned n = Sg ? (unsigned)Sg->NumberOfElements : 0;

    emit(a, DMS_EV_CALL, "PutScatterGatherList", 0, "ScatterGather=(a list of %u element%s), "
         "WriteToDevice=%s", n, n == 1 ? "" : "s", TF(Write));
    real(a)->PutScatterGatherList(a, Sg, Write);
    emit(a, DMS_EV_RETURN, "PutScatterGatherList", 0, "returns");
}

static NTSTATUS t_CalculateScatterGatherList(PDMA_ADAPTER a, PMDL Mdl, PVOID CurrentVa,
                                             ULONG Length, PULONG Size, PULONG NRegs)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "CalculateScatterGatherList", 0, "Mdl=(%u bytes), Length=%u",
         Mdl ? (unsigned)Mdl->ByteCount : 0,
         (unsigned)Length);
    st = hal_ops_v2.CalculateScatterGatherList(a, Mdl, CurrentVa, Length, Size, NRegs);
    emit(a, DMS_EV_RETURN, "CalculateScatterGatherList", st, "returns 0x%08x, "
         "*ScatterGatherListSize=%u, *pNumberOfMapRegisters=%u", (unsigned)st,
         Size ? (unsigned)*Size : 0, NRegs ? (unsigned)*NRegs : 0);
    return st;
}

static NTSTATUS t_BuildScatterGatherList(PDMA_ADAPTER a, PDEVICE_OBJECT Dev, PMDL Mdl,
                                         PVOID CurrentVa, ULONG Length,
                                         PDRIVER_LIST_CONTROL Fn, PVOID Context, BOOLEAN Write,
                                         PVOID Buffer, ULONG BufferLength)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "BuildScatterGatherList", 0, "Mdl=(%u bytes), CurrentVa=+0x%" PRIxPTR
         " into the MDL, Length=%u, WriteToDevice=%s, ScatterGatherBufferLength=%u",
         Mdl ? (unsigned)Mdl->ByteCount : 0,
         Mdl ? (uintptr_t)CurrentVa - (uintptr_t)MmGetMdlVirtualAddress(Mdl) : 0,
         (unsigned)Length, TF(Write), (unsigned)BufferLength);
    st = hal_ops_v2.BuildScatterGatherList(a, Dev, Mdl, CurrentVa, Length, Fn, Context, Write,
                                           Buffer, BufferLength);
    emit(a, DMS_EV_RETURN, "BuildScatterGatherList", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static NTSTATUS t_BuildMdlFromScatterGatherList(PDMA_ADAPTER a, PSCATTER_GATHER_LIST Sg,
                                                PMDL Original, PMDL *Target)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "BuildMdlFromScatterGatherList", 0, "ScatterGather=(a list of %u "
         "elements), OriginalMdl=(%u bytes)", Sg ? (unsigned)Sg->NumberOfElements : 0,
         Original ? (unsigned)Original->ByteCount : 0);
    st = hal_ops_v2.BuildMdlFromScatterGatherList(a, Sg, Original, Target);
    emit(a, DMS_EV_RETURN, "BuildMdlFromScatterGatherList", st, "returns 0x%08x",
         (unsigned)st);
    return st;
}

#define TRACED_V1_MEMBERS                                   \
    .PutDmaAdapter = t_PutDmaAdapter,                       \
    .AllocateCommonBuffer = t_AllocateCommonBuffer,         \
    .FreeCommonBuffer = t_FreeCommonBuffer,                 \
    .AllocateAdapterChannel = t_AllocateAdapterChannel,     \
    .FlushAdapterBuffers = t_FlushAdapterBuffers,           \
    .FreeAdapterChannel = t_FreeAdapterChannel,             \
    .FreeMapRegisters = t_FreeMapRegisters,                 \
    .MapTransfer = t_MapTransfer,                           \
    .GetDmaAlignment = t_GetDmaAlignment,                   \
    .ReadDmaCounter = t_ReadDmaCounter,                     \
    .GetScatterGatherList = t_GetScatterGatherList,         \
    .PutScatterGatherList = t_PutScatterGatherList

DMA_OPERATIONS hal_ops_v1_traced = {
    .Size = offsetof(DMA_OPERATIONS, CalculateScatterGatherList),
    TRACED_V1_MEMBERS,
};

DMA_OPERATIONS hal_ops_v2_traced = {
    .Size = offsetof(DMA_OPERATIONS, GetDmaAdapterInfo),
    TRACED_V1_MEMBERS,
    .CalculateScatterGatherList = t_CalculateScatterGatherList,
    .BuildScatterGatherList = t_BuildScatterGatherList,
    .BuildMdlFromScatterGatherList = t_BuildMdlFromScatterGatherList,
};

/* ---------------------------------------------------------------------------------------------
 * Version 3.
 */
static const char *flags_text(ULONG flags)
{
    return flags == 0 ? "0" : flags == DMA_SYNCHRONOUS_CALLBACK ? "DMA_SYNCHRONOUS_CALLBACK"
                                                               : "unknown flags";
}

static NTSTATUS t_GetDmaAdapterInfo(PDMA_ADAPTER a, PDMA_ADAPTER_INFO Info)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "GetDmaAdapterInfo", 0, "Version=%u", Info ? (unsigned)Info->Version : 0);
    st = hal_ops_v3.GetDmaAdapterInfo(a, Info);
    if (NT_SUCCESS(st))
        emit(a, DMS_EV_RETURN, "GetDmaAdapterInfo", st, "returns 0x%08x, ScatterGatherLimit=%u, "
             "DmaAddressWidth=%u, ReadDmaCounterAvailable=%s", (unsigned)st,
             (unsigned)Info->V1.ScatterGatherLimit, (unsigned)Info->V1.DmaAddressWidth,
             TF(Info->V1.ReadDmaCounterAvailable));
    else
        emit(a, DMS_EV_RETURN, "GetDmaAdapterInfo", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static NTSTATUS t_GetDmaTransferInfo(PDMA_ADAPTER a, PMDL Mdl, ULONGLONG Offset, ULONG Length,
                                     BOOLEAN WriteOnly, PDMA_TRANSFER_INFO Info)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "GetDmaTransferInfo", 0, "Offset=%llu, Length=%u, WriteOnly=%s",
         (unsigned long long)Offset, (unsigned)Length, TF(WriteOnly));
    st = hal_ops_v3.GetDmaTransferInfo(a, Mdl, Offset, Length, WriteOnly, Info);
    if (NT_SUCCESS(st))
        emit(a, DMS_EV_RETURN, "GetDmaTransferInfo", st, "returns 0x%08x, MapRegisterCount=%u, "
             "ScatterGatherElementCount=%u, ScatterGatherListSize=%u", (unsigned)st,
             (unsigned)Info->V1.MapRegisterCount, (unsigned)Info->V1.ScatterGatherElementCount,
             (unsigned)Info->V1.ScatterGatherListSize);
    else
        emit(a, DMS_EV_RETURN, "GetDmaTransferInfo", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static NTSTATUS t_InitializeDmaTransferContext(PDMA_ADAPTER a, PVOID Context)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "InitializeDmaTransferContext", 0, "%s", "");
    st = hal_ops_v3.InitializeDmaTransferContext(a, Context);
    emit(a, DMS_EV_RETURN, "InitializeDmaTransferContext", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static PVOID t_AllocateCommonBufferEx(PDMA_ADAPTER a, PPHYSICAL_ADDRESS Max, ULONG Length,
                                      PPHYSICAL_ADDRESS Logical, BOOLEAN CacheEnabled,
                                      NODE_REQUIREMENT Node)
{
    char b[24], c[24];
    PVOID va;

    emit(a, DMS_EV_CALL, "AllocateCommonBufferEx", 0, "MaximumAddress=%s, Length=%u, "
         "CacheEnabled=%s", Max ? addr((uint64_t)Max->QuadPart, c) : "NULL", (unsigned)Length,
         TF(CacheEnabled));
    va = hal_ops_v3.AllocateCommonBufferEx(a, Max, Length, Logical, CacheEnabled, Node);
    emit(a, DMS_EV_RETURN, "AllocateCommonBufferEx", 0, "returns %s, *LogicalAddress=%s",
         va ? "a virtual address" : "NULL",
         addr(Logical && va ? (uint64_t)Logical->QuadPart : 0, b));
    return va;
}

static NTSTATUS t_AllocateAdapterChannelEx(PDMA_ADAPTER a, PDEVICE_OBJECT Dev, PVOID Context,
                                           ULONG N, ULONG Flags, PDRIVER_CONTROL Exec,
                                           PVOID ExecContext, PVOID *Base)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "AllocateAdapterChannelEx", 0, "NumberOfMapRegisters=%u, Flags=%s, "
         "ExecutionRoutine=%s", (unsigned)N, flags_text(Flags), Exec ? "the caller's" : "NULL");
    st = hal_ops_v3.AllocateAdapterChannelEx(a, Dev, Context, N, Flags, Exec, ExecContext, Base);
    emit(a, DMS_EV_RETURN, "AllocateAdapterChannelEx", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static NTSTATUS t_ConfigureAdapterChannel(PDMA_ADAPTER a, ULONG Function, PVOID Context)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "ConfigureAdapterChannel", 0, "FunctionNumber=%u", (unsigned)Function);
    st = hal_ops_v3.ConfigureAdapterChannel(a, Function, Context);
    emit(a, DMS_EV_RETURN, "ConfigureAdapterChannel", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static BOOLEAN t_CancelAdapterChannel(PDMA_ADAPTER a, PDEVICE_OBJECT Dev, PVOID Context)
{
    BOOLEAN ok;

    emit(a, DMS_EV_CALL, "CancelAdapterChannel", 0, "%s", "");
    ok = hal_ops_v3.CancelAdapterChannel(a, Dev, Context);
    emit(a, DMS_EV_RETURN, "CancelAdapterChannel", 0, "returns %s", TF(ok));
    return ok;
}

static NTSTATUS t_MapTransferEx(PDMA_ADAPTER a, PMDL Mdl, PVOID Base, ULONGLONG Offset,
                                ULONG DeviceOffset, PULONG Length, BOOLEAN Write,
                                PSCATTER_GATHER_LIST Sg, ULONG SgLength,
                                PDMA_COMPLETION_ROUTINE Done, PVOID DoneContext)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "MapTransferEx", 0, "Offset=%llu, DeviceOffset=%u, Length=%u, "
         "WriteToDevice=%s, ScatterGatherBufferLength=%u, DmaCompletionRoutine=%s",
         (unsigned long long)Offset, (unsigned)DeviceOffset, Length ? (unsigned)*Length : 0,
         TF(Write), (unsigned)SgLength, Done ? "the caller's" : "NULL");
    st = hal_ops_v3.MapTransferEx(a, Mdl, Base, Offset, DeviceOffset, Length, Write, Sg,
                                  SgLength, Done, DoneContext);
    emit(a, DMS_EV_RETURN, "MapTransferEx", st, "returns 0x%08x, *Length=%u, %u element(s)",
         (unsigned)st, Length ? (unsigned)*Length : 0,
         NT_SUCCESS(st) && Sg ? (unsigned)Sg->NumberOfElements : 0);
    return st;
}

static NTSTATUS t_GetScatterGatherListEx(PDMA_ADAPTER a, PDEVICE_OBJECT Dev, PVOID Context,
                                         PMDL Mdl, ULONGLONG Offset, ULONG Length, ULONG Flags,
                                         PDRIVER_LIST_CONTROL Fn, PVOID FnContext, BOOLEAN Write,
                                         PDMA_COMPLETION_ROUTINE Done, PVOID DoneContext,
                                         PSCATTER_GATHER_LIST *List)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "GetScatterGatherListEx", 0, "Offset=%llu, Length=%u, Flags=%s, "
         "ExecutionRoutine=%s, WriteToDevice=%s", (unsigned long long)Offset, (unsigned)Length,
         flags_text(Flags), Fn ? "the caller's" : "NULL", TF(Write));
    st = hal_ops_v3.GetScatterGatherListEx(a, Dev, Context, Mdl, Offset, Length, Flags, Fn,
                                           FnContext, Write, Done, DoneContext, List);
    emit(a, DMS_EV_RETURN, "GetScatterGatherListEx", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static NTSTATUS t_BuildScatterGatherListEx(PDMA_ADAPTER a, PDEVICE_OBJECT Dev, PVOID Context,
                                           PMDL Mdl, ULONGLONG Offset, ULONG Length,
                                           ULONG Flags, PDRIVER_LIST_CONTROL Fn,
                                           PVOID FnContext, BOOLEAN Write, PVOID Buffer,
                                           ULONG BufferLength, PDMA_COMPLETION_ROUTINE Done,
                                           PVOID DoneContext, PVOID List)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "BuildScatterGatherListEx", 0, "Offset=%llu, Length=%u, Flags=%s, "
         "ExecutionRoutine=%s, WriteToDevice=%s, ScatterGatherLength=%u",
         (unsigned long long)Offset, (unsigned)Length, flags_text(Flags),
         Fn ? "the caller's" : "NULL", TF(Write), (unsigned)BufferLength);
    st = hal_ops_v3.BuildScatterGatherListEx(a, Dev, Context, Mdl, Offset, Length, Flags, Fn,
                                             FnContext, Write, Buffer, BufferLength, Done,
                                             DoneContext, List);
    emit(a, DMS_EV_RETURN, "BuildScatterGatherListEx", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static NTSTATUS t_FlushAdapterBuffersEx(PDMA_ADAPTER a, PMDL Mdl, PVOID Base, ULONGLONG Offset,
                                        ULONG Length, BOOLEAN Write)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "FlushAdapterBuffersEx", 0, "Offset=%llu, Length=%u, WriteToDevice=%s",
         (unsigned long long)Offset, (unsigned)Length, TF(Write));
    st = hal_ops_v3.FlushAdapterBuffersEx(a, Mdl, Base, Offset, Length, Write);
    emit(a, DMS_EV_RETURN, "FlushAdapterBuffersEx", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static VOID t_FreeAdapterObject(PDMA_ADAPTER a, IO_ALLOCATION_ACTION Action)
{
    emit(a, DMS_EV_CALL, "FreeAdapterObject", 0, "AllocationAction=%s",
         Action == KeepObject                      ? "KeepObject"
         : Action == DeallocateObject              ? "DeallocateObject"
         : Action == DeallocateObjectKeepRegisters ? "DeallocateObjectKeepRegisters"
                                                   : "invalid");
    hal_ops_v3.FreeAdapterObject(a, Action);
    emit(a, DMS_EV_RETURN, "FreeAdapterObject", 0, "returns");
}

static NTSTATUS t_CancelMappedTransfer(PDMA_ADAPTER a, PVOID Context)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "CancelMappedTransfer", 0, "%s", "");
    st = hal_ops_v3.CancelMappedTransfer(a, Context);
    emit(a, DMS_EV_RETURN, "CancelMappedTransfer", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static PVOID t_AllocateCommonBufferWithBounds(PDMA_ADAPTER a, PPHYSICAL_ADDRESS Min,
                                              PPHYSICAL_ADDRESS Max, ULONG Length, ULONG Flags,
                                              MEMORY_CACHING_TYPE *Cache, NODE_REQUIREMENT Node,
                                              PPHYSICAL_ADDRESS Logical)
{
    char b[24], lo[24], hi[24];
    PVOID va;

    emit(a, DMS_EV_CALL, "AllocateCommonBufferWithBounds", 0, "MinimumAddress=%s, "
         "MaximumAddress=%s, Length=%u, Flags=0x%x", Min ? addr((uint64_t)Min->QuadPart, lo)
         : "NULL", Max ? addr((uint64_t)Max->QuadPart, hi) : "NULL", (unsigned)Length,
         (unsigned)Flags);
    va = hal_ops_v3.AllocateCommonBufferWithBounds(a, Min, Max, Length, Flags, Cache, Node,
                                                   Logical);
    emit(a, DMS_EV_RETURN, "AllocateCommonBufferWithBounds", 0, "returns %s, "
         "*LogicalAddress=%s", va ? "a virtual address" : "NULL",
         addr(Logical && va ? (uint64_t)Logical->QuadPart : 0, b));
    return va;
}

static NTSTATUS t_AllocateDomainCommonBuffer(PDMA_ADAPTER a, HANDLE Domain, PPHYSICAL_ADDRESS Max,
                                             ULONG Length, ULONG Flags,
                                             MEMORY_CACHING_TYPE *Cache, NODE_REQUIREMENT Node,
                                             PPHYSICAL_ADDRESS Logical, PVOID *Va)
{
    char b[24], hi[24];
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "AllocateDomainCommonBuffer", 0, "DomainHandle=%p, MaximumAddress=%s, "
         "Length=%u, Flags=0x%x", Domain, Max ? addr((uint64_t)Max->QuadPart, hi) : "NULL",
         (unsigned)Length, (unsigned)Flags);
    st = hal_ops_v3.AllocateDomainCommonBuffer(a, Domain, Max, Length, Flags, Cache, Node,
                                               Logical, Va);
    emit(a, DMS_EV_RETURN, "AllocateDomainCommonBuffer", st, "returns 0x%08x, *LogicalAddress=%s",
         (unsigned)st, addr(st == STATUS_SUCCESS ? (uint64_t)Logical->QuadPart : 0, b));
    return st;
}

static NTSTATUS t_FlushDmaBuffer(PDMA_ADAPTER a, PMDL Mdl, BOOLEAN Read)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "FlushDmaBuffer", 0, "ReadOperation=%d", Read);
    st = hal_ops_v3.FlushDmaBuffer(a, Mdl, Read);
    emit(a, DMS_EV_RETURN, "FlushDmaBuffer", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static NTSTATUS t_JoinDmaDomain(PDMA_ADAPTER a, HANDLE Domain)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "JoinDmaDomain", 0, "DomainHandle=%p", Domain);
    st = hal_ops_v3.JoinDmaDomain(a, Domain);
    emit(a, DMS_EV_RETURN, "JoinDmaDomain", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static NTSTATUS t_LeaveDmaDomain(PDMA_ADAPTER a)
{
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "LeaveDmaDomain", 0, "%s", "");
    st = hal_ops_v3.LeaveDmaDomain(a);
    emit(a, DMS_EV_RETURN, "LeaveDmaDomain", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static HANDLE t_GetDmaDomain(PDMA_ADAPTER a)
{
    HANDLE h;

    emit(a, DMS_EV_CALL, "GetDmaDomain", 0, "%s", "");
    h = hal_ops_v3.GetDmaDomain(a);
    emit(a, DMS_EV_RETURN, "GetDmaDomain", 0, "returns %p", h);
    return h;
}

static NTSTATUS t_AllocateCommonBufferVector(PDMA_ADAPTER a, PHYSICAL_ADDRESS Low,
                                             PHYSICAL_ADDRESS High, MEMORY_CACHING_TYPE Cache,
                                             NODE_REQUIREMENT Node, ULONG Flags, ULONG N,
                                             ULONGLONG Size, PDMA_COMMON_BUFFER_VECTOR *Out)
{
    char lo[24], hi[24];
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "AllocateCommonBufferVector", 0, "LowAddress=%s, HighAddress=%s, "
         "NumberOfElements=%u, SizeOfElements=%llu", addr((uint64_t)Low.QuadPart, lo),
         addr((uint64_t)High.QuadPart, hi), (unsigned)N, (unsigned long long)Size);
    st = hal_ops_v3.AllocateCommonBufferVector(a, Low, High, Cache, Node, Flags, N, Size, Out);
    emit(a, DMS_EV_RETURN, "AllocateCommonBufferVector", st, "returns 0x%08x", (unsigned)st);
    return st;
}

static VOID t_GetCommonBufferFromVectorByIndex(PDMA_ADAPTER a, PDMA_COMMON_BUFFER_VECTOR V,
                                               ULONG Index, PVOID *Va, PPHYSICAL_ADDRESS La)
{
    char b[24];

    emit(a, DMS_EV_CALL, "GetCommonBufferFromVectorByIndex", 0, "Index=%u", (unsigned)Index);
    hal_ops_v3.GetCommonBufferFromVectorByIndex(a, V, Index, Va, La);
    emit(a, DMS_EV_RETURN, "GetCommonBufferFromVectorByIndex", 0, "*LogicalAddressOut=%s",
         addr(La != NULL ? (uint64_t)La->QuadPart : 0, b));
}

static VOID t_FreeCommonBufferFromVector(PDMA_ADAPTER a, PDMA_COMMON_BUFFER_VECTOR V,
                                         ULONG Index)
{
    emit(a, DMS_EV_CALL, "FreeCommonBufferFromVector", 0, "Index=%u", (unsigned)Index);
    hal_ops_v3.FreeCommonBufferFromVector(a, V, Index);
    emit(a, DMS_EV_RETURN, "FreeCommonBufferFromVector", 0, "returns");
}

static VOID t_FreeCommonBufferVector(PDMA_ADAPTER a, PDMA_COMMON_BUFFER_VECTOR V)
{
    emit(a, DMS_EV_CALL, "FreeCommonBufferVector", 0, "%s", "");
    hal_ops_v3.FreeCommonBufferVector(a, V);
    emit(a, DMS_EV_RETURN, "FreeCommonBufferVector", 0, "returns");
}

static NTSTATUS t_CreateCommonBufferFromMdl(PDMA_ADAPTER a, PMDL Mdl,
                                            PDMA_COMMON_BUFFER_EXTENDED_CONFIGURATION Configs,
                                            ULONG Count, PPHYSICAL_ADDRESS Logical)
{
    char b[24];
    NTSTATUS st;

    emit(a, DMS_EV_CALL, "CreateCommonBufferFromMdl", 0, "ExtendedConfigsCount=%u",
         (unsigned)Count);
    st = hal_ops_v3.CreateCommonBufferFromMdl(a, Mdl, Configs, Count, Logical);
    emit(a, DMS_EV_RETURN, "CreateCommonBufferFromMdl", st, "returns 0x%08x, *LogicalAddress=%s",
         (unsigned)st, addr(st == STATUS_SUCCESS ? (uint64_t)Logical->QuadPart : 0, b));
    return st;
}

DMA_OPERATIONS hal_ops_v3_traced = {
    .Size = sizeof(DMA_OPERATIONS),
    TRACED_V1_MEMBERS,
    .CalculateScatterGatherList = t_CalculateScatterGatherList,
    .BuildScatterGatherList = t_BuildScatterGatherList,
    .BuildMdlFromScatterGatherList = t_BuildMdlFromScatterGatherList,
    .GetDmaAdapterInfo = t_GetDmaAdapterInfo,
    .GetDmaTransferInfo = t_GetDmaTransferInfo,
    .InitializeDmaTransferContext = t_InitializeDmaTransferContext,
    .AllocateCommonBufferEx = t_AllocateCommonBufferEx,
    .AllocateAdapterChannelEx = t_AllocateAdapterChannelEx,
    .ConfigureAdapterChannel = t_ConfigureAdapterChannel,
    .CancelAdapterChannel = t_CancelAdapterChannel,
    .MapTransferEx = t_MapTransferEx,
    .GetScatterGatherListEx = t_GetScatterGatherListEx,
    .BuildScatterGatherListEx = t_BuildScatterGatherListEx,
    .FlushAdapterBuffersEx = t_FlushAdapterBuffersEx,
    .FreeAdapterObject = t_FreeAdapterObject,
    .CancelMappedTransfer = t_CancelMappedTransfer,
    .AllocateDomainCommonBuffer = t_AllocateDomainCommonBuffer,
    .FlushDmaBuffer = t_FlushDmaBuffer,
    .JoinDmaDomain = t_JoinDmaDomain,
    .LeaveDmaDomain = t_LeaveDmaDomain,
    .GetDmaDomain = t_GetDmaDomain,
    .AllocateCommonBufferWithBounds = t_AllocateCommonBufferWithBounds,
    .AllocateCommonBufferVector = t_AllocateCommonBufferVector,
    .GetCommonBufferFromVectorByIndex = t_GetCommonBufferFromVectorByIndex,
    .FreeCommonBufferFromVector = t_FreeCommonBufferFromVector,
    .FreeCommonBufferVector = t_FreeCommonBufferVector,
    .CreateCommonBufferFromMdl = t_CreateCommonBufferFromMdl,
};
