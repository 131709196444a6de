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

#include "hal_int.h"

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
        hal_emit(m, ad != NULL && ad->magic == ADAPTER_MAGIC ? ad : NULL, &ev);
}

#define TF(b) ((b) ? "TRUE" : "FALSE")
/* The plain table for an adapter (a NULL or bad adapter goes to v1's, which reports it). */
static const DMA_OPERATIONS *real(PDMA_ADAPTER a)
{
    const struct adapter *ad = (const struct adapter *)a;

    return ad != NULL && ad->magic == ADAPTER_MAGIC &&
                   ad->desc.Version == DEVICE_DESCRIPTION_VERSION2
               ? &hal_ops_v2
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
         "ExecutionRoutine=%s", (unsigned)N, Exec ? "the driver's" : "NULL");
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
         Mdl ? (unsigned)Mdl->ByteCount : 0, Mdl ? (uintptr_t)CurrentVa - (uintptr_t)MmGetMdlVirtualAddress(Mdl) : 0,
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
