/*
 * test_ks.c - AVStream on the emulated kernel, with a small minidriver of the test's own: the
 * device dispatch (Add, Start with the resources, Stop, Remove), the filter factory and the
 * pin made at start, the run state stepped one state at a time, frames queued by reads and
 * completed with DataUsed; stream pointers as documented (the leading edge, locks, clones
 * born in their source's lock state with a context, AdvanceOffsets' relock and
 * STATUS_DEVICE_NOT_READY, the clone walk, the edges that cannot be deleted), Process's
 * triggers and KsPinAttemptProcessing; the DMA adapter registered through the outer unknown's
 * IKsDeviceFunctions or KsDeviceRegisterAdapterObject, and KSPIN_FLAG_GENERATE_MAPPINGS:
 * KSMAPPINGs made at a frame's first lock, split at MaxMappingsByteCount, MappingTableStride
 * apart, released when the frame completes; a lock that cannot be mapped fails as documented.
 */
#include <check.h>
#include <string.h>

#include <dmasim/ks.h>

#include "kmdf_rig.h"

#define FRAME (6 * PAGE_SIZE)

static struct {
    int adds, starts, stops, removes, creates, closes, processes;
    KSSTATE to[16], from[16];
    int n_states;
    PKSDEVICE device;
    PKSPIN pin;
    PVOID device_context;
    ULONG flags;            /* the pin's, for the next rig */
    int registration;       /* 0 none, 1 KsDeviceRegisterAdapterObject, 2 Ex */
    ULONG max_length;       /* the adapter's MaximumLength */
    BOOLEAN dma64;
    ULONG max_mapping, stride;
    PDMA_ADAPTER adapter;
    ULONG map_registers;
    NTSTATUS (*process)(PKSPIN Pin);
    KIRQL process_irql;
} t;

static NTSTATUS TestProcess(PKSPIN Pin)
{
    t.processes++;
    t.process_irql = KeGetCurrentIrql();
    return t.process != NULL ? t.process(Pin) : STATUS_SUCCESS;
}

static NTSTATUS TestPinCreate(PKSPIN Pin, PIRP Irp)
{
    (void)Irp;
    t.creates++;
    t.pin = Pin;
    return STATUS_SUCCESS;
}

static NTSTATUS TestPinClose(PKSPIN Pin, PIRP Irp)
{
    (void)Pin;
    (void)Irp;
    t.closes++;
    return STATUS_SUCCESS;
}

static NTSTATUS TestSetState(PKSPIN Pin, KSSTATE To, KSSTATE From)
{
    PKSSTREAM_POINTER c;

    if (t.n_states < 16) {
        t.to[t.n_states] = To;
        t.from[t.n_states++] = From;
    }
    if (To == KSSTATE_STOP)
        while ((c = KsPinGetFirstCloneStreamPointer(Pin)) != NULL)
            KsStreamPointerDelete(c);
    return STATUS_SUCCESS;
}

static const KSPIN_DISPATCH TestPinDispatch = {TestPinCreate, TestPinClose, TestProcess, NULL,
                                               NULL, TestSetState, NULL, NULL, NULL, NULL};
static KSDATARANGE TestRange = {{sizeof(KSDATARANGE), 0, FRAME, 0, {0x1}, {0x2}, {0x3}}};
static const PKSDATARANGE TestRanges[] = {&TestRange};
static KSPIN_DESCRIPTOR_EX TestPins[] = {{&TestPinDispatch, NULL,
                                          {0, NULL, 0, NULL, 1, TestRanges, KSPIN_DATAFLOW_OUT,
                                           KSPIN_COMMUNICATION_BOTH, NULL, NULL, {0}},
                                          0, 1, 1, NULL, NULL}};
static const KSFILTER_DESCRIPTOR TestFilter = {NULL, NULL, KSFILTER_DESCRIPTOR_VERSION, 0, NULL,
                                               1, sizeof(KSPIN_DESCRIPTOR_EX), TestPins,
                                               0, NULL, 0, 0, NULL, 0, NULL, NULL};

static NTSTATUS TestAdd(PKSDEVICE Device)
{
    t.adds++;
    t.device = Device;
    Device->Context = &t;
    t.device_context = &t;
    return STATUS_SUCCESS;
}

static NTSTATUS TestStart(PKSDEVICE Device, PIRP Irp, PCM_RESOURCE_LIST Translated,
                          PCM_RESOURCE_LIST Raw)
{
    DEVICE_DESCRIPTION dd;
    IKsDeviceFunctions *f;
    PUNKNOWN unk;

    (void)Irp;
    t.starts++;
    ck_assert_ptr_nonnull(Translated);
    ck_assert_ptr_nonnull(Raw);
    ck_assert_uint_ge(Translated->List[0].PartialResourceList.Count, 2); /* BAR, interrupt */
    if (t.registration != 0) {
        RtlZeroMemory(&dd, sizeof(dd));
        dd.Version = DEVICE_DESCRIPTION_VERSION;
        dd.Master = TRUE;
        dd.ScatterGather = TRUE;
        dd.Dma32BitAddresses = TRUE;
        dd.Dma64BitAddresses = t.dma64;
        dd.InterfaceType = PCIBus;
        dd.MaximumLength = t.max_length;
        t.adapter = IoGetDmaAdapter(Device->PhysicalDeviceObject, &dd, &t.map_registers);
        ck_assert_ptr_nonnull(t.adapter);
        if (t.registration == 2) {
            unk = KsDeviceGetOuterUnknown(Device);
            ck_assert_int_eq(unk->lpVtbl->QueryInterface(unk, &IID_IKsDeviceFunctions,
                                                         (PVOID *)&f), STATUS_SUCCESS);
            ck_assert_int_eq(f->lpVtbl->RegisterAdapterObjectEx(f, t.adapter, &dd,
                                                                t.map_registers, t.max_mapping,
                                                                t.stride), STATUS_SUCCESS);
            ck_assert_uint_eq(f->lpVtbl->Release(f), 0);
        } else {
            KsDeviceRegisterAdapterObject(Device, t.adapter, t.max_mapping, t.stride);
        }
    }
    return KsCreateFilterFactory(Device->FunctionalDeviceObject, &TestFilter, L"GLOBAL", NULL,
                                 KSCREATE_ITEM_FREEONSTOP, NULL, NULL, NULL);
}

static void TestStop(PKSDEVICE Device, PIRP Irp)
{
    (void)Device;
    (void)Irp;
    t.stops++;
    if (t.adapter != NULL)
        t.adapter->DmaOperations->PutDmaAdapter(t.adapter);
    t.adapter = NULL;
}

static void TestRemove(PKSDEVICE Device, PIRP Irp)
{
    (void)Device;
    (void)Irp;
    t.removes++;
}

static const KSDEVICE_DISPATCH TestDeviceDispatch = {TestAdd, TestStart, NULL, NULL, NULL,
                                                     TestStop, NULL, NULL, TestRemove, NULL,
                                                     NULL, NULL, NULL, NULL};
static const KSDEVICE_DESCRIPTOR TestDevice = {&TestDeviceDispatch, 0, NULL,
                                               KSDEVICE_DESCRIPTOR_VERSION, 0};

static NTSTATUS TestEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    return KsInitializeDriver(DriverObject, RegistryPath, &TestDevice);
}

/* A rig with the pin's flags and the adapter registration asked for. */
static void up(struct rig *r, uint64_t ram, ULONG flags, int registration)
{
    memset(&t, 0, sizeof(t));
    t.flags = flags;
    t.registration = registration;
    t.max_length = 16 * PAGE_SIZE;
    t.dma64 = TRUE;
    t.stride = sizeof(KSMAPPING);
    TestPins[0].Flags = flags;
    rig_up(r, ram, DMS_PLACE_RANDOM, RIG_BAR | RIG_INTERRUPT, "kstest", TestEntry,
           16 * FRAME);
}

static NTSTATUS set_state(struct rig *r, KSSTATE state)
{
    static KSPROPERTY prop;
    static KSSTATE st;
    struct sent s = {0};
    struct dms_request q = {.major = IRP_MJ_DEVICE_CONTROL, .ioctl = IOCTL_KS_PROPERTY,
                            .in = &prop, .in_length = sizeof(prop), .out = &st,
                            .out_length = sizeof(st)};

    prop.Set = KSPROPSETID_Connection;
    prop.Id = KSPROPERTY_CONNECTION_STATE;
    prop.Flags = KSPROPERTY_TYPE_SET;
    st = state;
    dms_irp_send(r->pdo, &q, on_done, &s);
    ck_assert_int_eq(s.done, 1);
    return s.status;
}

static void send_frame(struct rig *r, int i, ULONG length, struct sent *s)
{
    struct dms_request q = {.major = IRP_MJ_READ, .buffer = r->buf + (size_t)i * FRAME,
                            .length = length};

    ck_assert_int_eq(dms_irp_send(r->pdo, &q, on_done, s), STATUS_PENDING);
}

/* Start made the filter factory, the filter and the pin; the pin's context is the filter's,
 * which is the device's; its format is its first data range. */
START_TEST(test_device_and_pin)
{
    struct rig r;

    up(&r, 8 * GIB, 0, 0);
    ck_assert_int_eq(t.adds, 1);
    ck_assert_int_eq(t.starts, 1);
    ck_assert_int_eq(t.creates, 1);
    ck_assert_ptr_nonnull(t.pin);
    ck_assert_ptr_eq(t.pin->Context, t.device_context);
    ck_assert_ptr_eq(KsPinGetDevice(t.pin), t.device);
    ck_assert(t.device->Started);
    ck_assert_int_eq(t.pin->DataFlow, KSPIN_DATAFLOW_OUT);
    ck_assert_int_eq(t.pin->DeviceState, KSSTATE_STOP);
    ck_assert_ptr_nonnull(t.pin->ConnectionFormat);
    ck_assert_uint_eq(t.pin->ConnectionFormat->SampleSize, FRAME);
    ck_assert_ptr_eq(KsGetDeviceForDeviceObject(t.device->FunctionalDeviceObject), t.device);
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    ck_assert_int_eq(dms_pnp_remove(r.pdo, TRUE), STATUS_SUCCESS);
    ck_assert_int_eq(t.closes, 1);
    ck_assert_int_eq(t.stops, 1);
    ck_assert_int_eq(t.removes, 1);
    rig_down(&r);
}
END_TEST

/* The run state is stepped one state at a time, up and down. */
START_TEST(test_state_steps)
{
    struct rig r;

    up(&r, 8 * GIB, 0, 0);
    ck_assert_int_eq(set_state(&r, KSSTATE_RUN), STATUS_SUCCESS);
    ck_assert_int_eq(t.n_states, 3);
    ck_assert_int_eq(t.from[0], KSSTATE_STOP);
    ck_assert_int_eq(t.to[0], KSSTATE_ACQUIRE);
    ck_assert_int_eq(t.to[1], KSSTATE_PAUSE);
    ck_assert_int_eq(t.to[2], KSSTATE_RUN);
    ck_assert_int_eq(t.pin->DeviceState, KSSTATE_RUN);
    ck_assert_int_eq(set_state(&r, KSSTATE_STOP), STATUS_SUCCESS);
    ck_assert_int_eq(t.n_states, 6);
    ck_assert_int_eq(t.to[3], KSSTATE_PAUSE);
    ck_assert_int_eq(t.to[5], KSSTATE_STOP);
    rig_down(&r);
}
END_TEST

/* Frames: Process runs when a frame arrives into an empty queue; the leading edge has it; in a
 * queue without mappings, advancing the output offsets sets DataUsed, and the frame completes
 * with it once the edge has passed. A frame read while the pin is stopped is refused. */
static NTSTATUS ProcessHalf(PKSPIN Pin)
{
    PKSSTREAM_POINTER sp = KsPinGetLeadingEdgeStreamPointer(Pin, KSSTREAM_POINTER_STATE_LOCKED);

    ck_assert_ptr_nonnull(sp);
    ck_assert_uint_eq(sp->OffsetOut.Count, FRAME);
    ck_assert_uint_eq(sp->OffsetOut.Remaining, FRAME);
    ck_assert_ptr_eq(sp->Offset, &sp->OffsetOut);
    ck_assert_uint_eq(sp->StreamHeader->FrameExtent, FRAME);
    ck_assert_ptr_eq(sp->OffsetOut.Data, sp->StreamHeader->Data);
    ck_assert_int_eq(KsStreamPointerAdvanceOffsets(sp, 0, 1000, FALSE), STATUS_SUCCESS);
    ck_assert_uint_eq(sp->StreamHeader->DataUsed, 1000);
    KsStreamPointerUnlock(sp, TRUE); /* eject: the frame is done with */
    return STATUS_SUCCESS;
}

START_TEST(test_frames_and_data_used)
{
    struct rig r;
    struct sent s0 = {0}, s1 = {0}, stopped = {0};
    struct dms_request q = {.major = IRP_MJ_READ, .length = FRAME};

    up(&r, 8 * GIB, 0, 0);
    q.buffer = r.buf;
    dms_irp_send(r.pdo, &q, on_done, &stopped);
    ck_assert_int_eq(stopped.status, STATUS_INVALID_DEVICE_STATE);
    t.process = ProcessHalf;
    ck_assert_int_eq(set_state(&r, KSSTATE_RUN), STATUS_SUCCESS);
    ck_assert_int_eq(t.processes, 0);
    send_frame(&r, 0, FRAME, &s0);
    ck_assert_int_eq(t.processes, 1);
    ck_assert_int_eq(t.process_irql, PASSIVE_LEVEL);
    ck_assert_int_eq(s0.done, 1);
    ck_assert_int_eq(s0.status, STATUS_SUCCESS);
    ck_assert_uint_eq(s0.information, 1000);
    send_frame(&r, 1, FRAME, &s1); /* the queue was empty again: Process again */
    ck_assert_int_eq(t.processes, 2);
    ck_assert_int_eq(s1.done, 1);
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    rig_down(&r);
}
END_TEST

/* A clone keeps its frame: born on the same frame in the same lock state, with its context;
 * the frame completes when the clone is deleted. Clones are walked in the order made; the
 * edges cannot be deleted; a pointer AVStream never gave is refused. A second arrival does not
 * trigger Process (the leading edge has a frame). */
static PKSSTREAM_POINTER clones[4];
static int n_clones;
static NTSTATUS advanced;

static NTSTATUS ProcessClone(PKSPIN Pin)
{
    PKSSTREAM_POINTER sp;

    while ((sp = KsPinGetLeadingEdgeStreamPointer(Pin, KSSTREAM_POINTER_STATE_LOCKED)) != NULL) {
        PKSSTREAM_POINTER c;
        ck_assert_int_eq(KsStreamPointerClone(sp, NULL, 24, &c), STATUS_SUCCESS);
        ck_assert_ptr_nonnull(c->Context);
        ck_assert_ptr_eq(c->StreamHeader, sp->StreamHeader);
        ck_assert_int_eq(((uintptr_t)c->Context) % 16, 0);
        memset(c->Context, 0x5A, 24);
        ck_assert_uint_eq(c->OffsetOut.Remaining, sp->OffsetOut.Remaining);
        clones[n_clones++] = c;
        /* the leading edge on to the next frame, relocked there: none yet, so NOT_READY */
        advanced = KsStreamPointerAdvanceOffsets(sp, 0, sp->OffsetOut.Remaining, FALSE);
        if (advanced != STATUS_SUCCESS)
            break;
    }
    return STATUS_SUCCESS;
}

START_TEST(test_clones)
{
    struct rig r;
    struct sent s0 = {0}, s1 = {0};
    KSSTREAM_POINTER fake;

    up(&r, 8 * GIB, 0, 0);
    n_clones = 0;
    t.process = ProcessClone;
    set_state(&r, KSSTATE_RUN);
    send_frame(&r, 0, FRAME, &s0);
    ck_assert_int_eq(n_clones, 1);
    ck_assert_int_eq(advanced, STATUS_DEVICE_NOT_READY); /* ran off the queue's end */
    ck_assert_ptr_null(KsPinGetLeadingEdgeStreamPointer(t.pin,
                                                        KSSTREAM_POINTER_STATE_UNLOCKED)
                           ->StreamHeader);
    ck_assert_int_eq(s0.done, 0); /* the clone holds it */
    /* an unlocked pointer: AdvanceOffsets refuses (NOT_READY), Unlock says so */
    KsStreamPointerUnlock(clones[0], FALSE);
    ck_assert_int_eq(KsStreamPointerAdvanceOffsets(clones[0], 0, 1, FALSE),
                     STATUS_DEVICE_NOT_READY);
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    KsStreamPointerUnlock(clones[0], FALSE);
    ck_assert_finding(r.m, DMS_CHECK_DRIVER);
    ck_assert_int_eq(KsStreamPointerLock(clones[0]), STATUS_SUCCESS); /* its frame is there */
    ck_assert_ptr_eq(KsPinGetFirstCloneStreamPointer(t.pin), clones[0]);
    /* the leading edge ran off the queue: the next arrival finds it empty and triggers */
    send_frame(&r, 1, FRAME, &s1);
    ck_assert_int_eq(t.processes, 2);
    ck_assert_int_eq(n_clones, 2);
    ck_assert_ptr_eq(KsStreamPointerGetNextClone(clones[0]), clones[1]);
    ck_assert_ptr_null(KsStreamPointerGetNextClone(clones[1]));
    ck_assert_ptr_null(KsStreamPointerGetNextClone(
        KsPinGetLeadingEdgeStreamPointer(t.pin, KSSTREAM_POINTER_STATE_UNLOCKED)));
    /* clones' DataUsed is the minidriver's to set (it says what arrived) */
    clones[0]->StreamHeader->DataUsed = 4096;
    KsStreamPointerDelete(clones[0]);
    ck_assert_int_eq(s0.done, 1);
    ck_assert_uint_eq(s0.information, 4096);
    ck_assert_int_eq(s1.done, 0);
    ck_assert_int_eq(KsStreamPointerSetStatusCode(clones[1], STATUS_IO_DEVICE_ERROR),
                     STATUS_SUCCESS);
    KsStreamPointerDelete(clones[1]);
    ck_assert_int_eq(s1.status, STATUS_IO_DEVICE_ERROR);
    /* what no minidriver may do (one said already: the unlock above) */
    ck_assert_uint_eq(dms_finding_count(r.m), 1);
    KsStreamPointerDelete(KsPinGetLeadingEdgeStreamPointer(t.pin,
                                                           KSSTREAM_POINTER_STATE_UNLOCKED));
    ck_assert_finding(r.m, DMS_CHECK_DRIVER);
    KsStreamPointerDelete(clones[1]); /* deleted already */
    ck_assert_finding(r.m, DMS_CHECK_BAD_ARGUMENT);
    memset(&fake, 0, sizeof(fake));
    ck_assert_int_eq(KsStreamPointerLock(&fake), STATUS_INVALID_PARAMETER);
    ck_assert_ptr_null(KsPinGetLeadingEdgeStreamPointer((PKSPIN)&fake,
                                                        KSSTREAM_POINTER_STATE_LOCKED));
    rig_down(&r);
}
END_TEST

/* KsPinAttemptProcessing: asynchronous runs Process from a work item at PASSIVE_LEVEL; not
 * asynchronous at PASSIVE_LEVEL runs it now; from above DISPATCH_LEVEL it is refused. A trigger
 * inside Process runs it once more when it returns. */
static NTSTATUS ProcessAgain(PKSPIN Pin)
{
    if (t.processes == 1)
        KsPinAttemptProcessing(Pin, FALSE); /* inside: not re-entered, run again after */
    return STATUS_PENDING;
}

START_TEST(test_attempt_processing)
{
    struct rig r;
    KIRQL old;

    up(&r, 8 * GIB, 0, 0);
    set_state(&r, KSSTATE_RUN);
    KsPinAttemptProcessing(t.pin, TRUE); /* a work item: the rig's platform may run it soon */
    dms_machine_run_pending(r.m);
    ck_assert_int_eq(t.processes, 1);
    ck_assert_int_eq(t.process_irql, PASSIVE_LEVEL);
    KsPinAttemptProcessing(t.pin, FALSE);
    ck_assert_int_eq(t.processes, 2);
    /* from a DPC: a PASSIVE_LEVEL pin's Process waits for a work item */
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KsPinAttemptProcessing(t.pin, FALSE);
    ck_assert_int_eq(t.processes, 2); /* not from DISPATCH_LEVEL */
    KeLowerIrql(old);
    dms_machine_run_pending(r.m);
    ck_assert_int_eq(t.processes, 3);
    t.processes = 0;
    t.process = ProcessAgain;
    KsPinAttemptProcessing(t.pin, FALSE);
    ck_assert_int_eq(t.processes, 2);
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    KeRaiseIrql(6, &old);
    KsPinAttemptProcessing(t.pin, FALSE);
    KeLowerIrql(old);
    ck_assert_finding(r.m, DMS_E6_WRONG_IRQL);
    rig_down(&r);
}
END_TEST

/* The outer unknown answers IID_IKsDeviceFunctions, and nothing else but IUnknown; a bad
 * registration is refused and said. */
START_TEST(test_device_functions)
{
    struct rig r;
    static const GUID other = {0x12345678, 1, 2, {3, 4, 5, 6, 7, 8, 9, 10}};
    IKsDeviceFunctions *f;
    PUNKNOWN unk;
    PVOID p = &p;
    DEVICE_DESCRIPTION dd;

    up(&r, 8 * GIB, KSPIN_FLAG_GENERATE_MAPPINGS, 2);
    unk = KsDeviceGetOuterUnknown(t.device);
    ck_assert_ptr_nonnull(unk);
    ck_assert_int_ne(unk->lpVtbl->QueryInterface(unk, &other, &p), STATUS_SUCCESS);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(unk->lpVtbl->QueryInterface(unk, &IID_IKsDeviceFunctions, (PVOID *)&f),
                     STATUS_SUCCESS);
    RtlZeroMemory(&dd, sizeof(dd));
    ck_assert_int_eq(f->lpVtbl->RegisterAdapterObjectEx(f, t.adapter, &dd, t.map_registers,
                                                        0, sizeof(KSMAPPING) - 1),
                     STATUS_INVALID_PARAMETER);
    ck_assert_finding(r.m, DMS_CHECK_BAD_ARGUMENT);
    ck_assert_int_eq(f->lpVtbl->RegisterAdapterObjectEx(f, NULL, &dd, 1, 0, sizeof(KSMAPPING)),
                     STATUS_INVALID_PARAMETER);
    /* more map registers than IoGetDmaAdapter gave: said, and AVStream keeps to the grant */
    ck_assert_int_eq(f->lpVtbl->RegisterAdapterObjectEx(f, t.adapter, &dd, t.map_registers + 9,
                                                        0, sizeof(KSMAPPING)), STATUS_SUCCESS);
    ck_assert_finding(r.m, DMS_CHECK_BAD_ARGUMENT);
    ck_assert_uint_eq(f->lpVtbl->Release(f), 0);
    ck_assert_uint_eq(f->lpVtbl->Release(f), 0); /* one too many */
    ck_assert_finding(r.m, DMS_CHECK_DRIVER);
    ck_assert_ptr_null(KsGetOuterUnknown(&dd));
    rig_down(&r);
}
END_TEST

/* Mappings are made at a frame's first lock: KSMAPPINGs of the frame's logical addresses (a
 * 64-bit card, no IOMMU: physical), split at MaxMappingsByteCount (not at page boundaries),
 * MappingTableStride bytes apart, with the adapter's alignment; the offsets count mappings;
 * the lists go back when the frame completes. Without a registered adapter the lock fails. */
static PKSSTREAM_POINTER mapped;

static NTSTATUS ProcessMap(PKSPIN Pin)
{
    PKSSTREAM_POINTER sp = KsPinGetLeadingEdgeStreamPointer(Pin, KSSTREAM_POINTER_STATE_LOCKED);

    if (sp == NULL)
        return STATUS_PENDING;
    ck_assert_int_eq(KsStreamPointerClone(sp, NULL, 0, &mapped), STATUS_SUCCESS);
    KsStreamPointerAdvanceOffsetsAndUnlock(sp, 0, sp->OffsetOut.Remaining, FALSE);
    return STATUS_SUCCESS;
}

START_TEST(test_mappings)
{
    struct rig r;
    struct sent s = {0};
    PUCHAR va, first;
    ULONG total = 0, alignment;

    memset(&t, 0, sizeof(t));
    TestPins[0].Flags = KSPIN_FLAG_GENERATE_MAPPINGS;
    t.registration = 2;
    t.max_length = 16 * PAGE_SIZE;
    t.dma64 = TRUE;
    t.max_mapping = 3000;       /* not a page: splits fall inside pages */
    t.stride = 32;              /* room for the minidriver's own after each KSMAPPING */
    rig_up(&r, 8 * GIB, DMS_PLACE_RANDOM, RIG_BAR | RIG_INTERRUPT, "kstest", TestEntry,
           16 * FRAME);
    mapped = NULL;
    t.process = ProcessMap;
    set_state(&r, KSSTATE_RUN);
    send_frame(&r, 2, FRAME, &s);
    ck_assert_ptr_nonnull(mapped);
    ck_assert_uint_gt(mapped->OffsetOut.Count, FRAME / 3000);
    ck_assert_uint_eq(mapped->OffsetOut.Remaining, mapped->OffsetOut.Count);
    alignment = t.adapter->DmaOperations->GetDmaAlignment(t.adapter);
    va = r.buf + 2 * FRAME;
    for (ULONG i = 0; i < mapped->OffsetOut.Count; i++) {
        PKSMAPPING m = (PKSMAPPING)((PUCHAR)mapped->OffsetOut.Mappings + (size_t)i * 32);
        ck_assert_uint_le(m->ByteCount, 3000);
        ck_assert_uint_eq(m->Alignment, alignment);
        ck_assert_uint_eq((uint64_t)m->PhysicalAddress.QuadPart,
                          (uint64_t)MmGetPhysicalAddress(va + total).QuadPart);
        total += m->ByteCount;
    }
    ck_assert_uint_eq(total, FRAME);
    /* the offsets count mappings, each MappingTableStride bytes on */
    first = (PUCHAR)mapped->OffsetOut.Mappings;
    ck_assert_int_eq(KsStreamPointerAdvanceOffsets(mapped, 0, 2, FALSE), STATUS_SUCCESS);
    ck_assert_uint_eq(mapped->OffsetOut.Remaining, mapped->OffsetOut.Count - 2);
    ck_assert_ptr_eq((PUCHAR)mapped->OffsetOut.Mappings, first + 2 * 32);
    mapped->StreamHeader->DataUsed = FRAME;
    KsStreamPointerDelete(mapped);
    ck_assert_int_eq(s.done, 1);
    ck_assert_uint_eq(s.information, FRAME);
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    rig_down(&r);

    /* no adapter registered: the lock fails, and the minidriver is told why */
    up(&r, 8 * GIB, KSPIN_FLAG_GENERATE_MAPPINGS, 0);
    mapped = NULL;
    memset(&s, 0, sizeof(s));
    t.process = ProcessMap;
    set_state(&r, KSSTATE_RUN);
    send_frame(&r, 0, FRAME, &s);
    ck_assert_ptr_null(mapped);
    ck_assert_finding(r.m, DMS_CHECK_DRIVER);
    rig_down(&r);
}
END_TEST

/* A 32-bit card on a machine with memory above 4 GiB is double-buffered: a frame holds map
 * registers from its first lock to its completion. With RegisterAdapterObjectEx AVStream maps
 * a frame larger than one grant in pieces of NumberOfMapRegisters pages; with
 * KsDeviceRegisterAdapterObject it has no count, maps the frame in one request, and the HAL
 * refuses it: the lock fails as documented (NULL from the leading edge, STATUS_DEVICE_NOT_READY
 * from KsStreamPointerLock), and the frame stays queued. */
static NTSTATUS ProcessNothing(PKSPIN Pin)
{
    (void)Pin;
    return STATUS_SUCCESS;
}

START_TEST(test_double_buffered_locks)
{
    struct rig r;
    struct sent s = {0};
    PKSSTREAM_POINTER sp, c;
    uint32_t free_before;

    for (int registration = 1; registration <= 2; registration++) {
        memset(&t, 0, sizeof(t));
        TestPins[0].Flags = KSPIN_FLAG_GENERATE_MAPPINGS;
        t.registration = registration;
        t.max_length = 2 * PAGE_SIZE; /* 3 map registers: a frame of 6 pages needs more */
        t.dma64 = FALSE;
        t.stride = sizeof(KSMAPPING);
        rig_up(&r, 64 * GIB, DMS_PLACE_HIGH_FIRST, RIG_BAR | RIG_INTERRUPT, "kstest", TestEntry,
               16 * FRAME);
        ck_assert_uint_eq(t.map_registers, 3);
        t.process = ProcessNothing;
        set_state(&r, KSSTATE_RUN);
        memset(&s, 0, sizeof(s));
        send_frame(&r, 0, FRAME, &s);
        free_before = dms_adapter_free_map_registers(t.adapter);
        sp = KsPinGetLeadingEdgeStreamPointer(t.pin, KSSTREAM_POINTER_STATE_LOCKED);
        if (registration == 1) {
            ck_assert_ptr_null(sp); /* the lock failed */
            sp = KsPinGetLeadingEdgeStreamPointer(t.pin, KSSTREAM_POINTER_STATE_UNLOCKED);
            ck_assert_ptr_nonnull(sp->StreamHeader); /* the frame is still there */
            ck_assert_int_eq(KsStreamPointerLock(sp), STATUS_DEVICE_NOT_READY);
            ck_assert_uint_eq(dms_adapter_free_map_registers(t.adapter), free_before);
        } else {
            ck_assert_ptr_nonnull(sp);
            ck_assert_uint_gt(sp->OffsetOut.Count, 0);
            /* 6 pages, in pieces of 2: 6 map registers held */
            ck_assert_uint_eq(dms_adapter_free_map_registers(t.adapter), free_before - 6);
            ck_assert_int_eq(KsStreamPointerClone(sp, NULL, 0, &c), STATUS_SUCCESS);
            KsStreamPointerUnlock(sp, TRUE);
            c->StreamHeader->DataUsed = FRAME;
            KsStreamPointerDelete(c);
            ck_assert_int_eq(s.done, 1);
            ck_assert_uint_eq(dms_adapter_free_map_registers(t.adapter), free_before);
        }
        /* STOP flushes what is queued: cancelled */
        ck_assert_int_eq(set_state(&r, KSSTATE_STOP), STATUS_SUCCESS);
        ck_assert_int_eq(s.done, 1);
        if (registration == 1)
            ck_assert_int_eq(s.status, STATUS_CANCELLED);
        {
            struct dms_ks_stats st;
            ck_assert_int_eq(dms_ks_device_stats(r.pdo, &st), 0);
            ck_assert_uint_eq(st.lock_failures, registration == 1 ? 2 : 0);
            ck_assert_int_eq(st.registered_ex, registration == 2);
            ck_assert_uint_eq(st.map_registers_peak, registration == 2 ? 6 : 0);
        }
        rig_down(&r);
    }
}
END_TEST

/* KSPIN_FLAG_DISTINCT_TRAILING_EDGE: frames the leading edge has passed wait for the trailing
 * edge; without the flag there is no trailing edge. */
START_TEST(test_trailing_edge)
{
    struct rig r;
    struct sent s0 = {0}, s1 = {0};
    PKSSTREAM_POINTER lead, trail;

    up(&r, 8 * GIB, 0, 0);
    ck_assert_ptr_null(KsPinGetTrailingEdgeStreamPointer(t.pin, KSSTREAM_POINTER_STATE_UNLOCKED));
    rig_down(&r);

    up(&r, 8 * GIB, KSPIN_FLAG_DISTINCT_TRAILING_EDGE, 0);
    t.process = ProcessNothing;
    set_state(&r, KSSTATE_RUN);
    send_frame(&r, 0, FRAME, &s0);
    send_frame(&r, 1, FRAME, &s1);
    lead = KsPinGetLeadingEdgeStreamPointer(t.pin, KSSTREAM_POINTER_STATE_LOCKED);
    ck_assert_ptr_nonnull(lead);
    ck_assert_int_eq(KsStreamPointerAdvance(lead), STATUS_SUCCESS); /* relocked on frame 2 */
    ck_assert_int_eq(s0.done, 0); /* between the edges: not complete */
    trail = KsPinGetTrailingEdgeStreamPointer(t.pin, KSSTREAM_POINTER_STATE_LOCKED);
    ck_assert_ptr_nonnull(trail);
    ck_assert_ptr_ne(trail->StreamHeader, lead->StreamHeader);
    trail->StreamHeader->DataUsed = 100;
    KsStreamPointerUnlock(trail, TRUE); /* past frame 1 */
    ck_assert_int_eq(s0.done, 1);
    ck_assert_uint_eq(s0.information, 100);
    ck_assert_int_eq(s1.done, 0); /* both edges on it */
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    rig_down(&r);
}
END_TEST

/* Items in an object's bag are freed with it, by their Free routine; a bag AVStream never made
 * is refused and said. */
static int bag_freed;

static void BagFree(PVOID Data)
{
    bag_freed++;
    ExFreePool(Data);
}

START_TEST(test_object_bag)
{
    struct rig r;
    int dummy;

    up(&r, 8 * GIB, 0, 0);
    bag_freed = 0;
    ck_assert_int_eq(KsAddItemToObjectBag(t.pin->Bag, ExAllocatePool2(POOL_FLAG_NON_PAGED, 64,
                                                                      'tsKT'), BagFree),
                     STATUS_SUCCESS);
    ck_assert_int_eq(KsAddItemToObjectBag(t.device->Bag, ExAllocatePool2(POOL_FLAG_NON_PAGED, 8,
                                                                         'tsKT'), BagFree),
                     STATUS_SUCCESS);
    ck_assert_int_eq(KsAddItemToObjectBag(&dummy, &dummy, NULL), STATUS_INVALID_PARAMETER);
    ck_assert_finding(r.m, DMS_CHECK_BAD_ARGUMENT);
    ck_assert_int_eq(dms_pnp_remove(r.pdo, TRUE), STATUS_SUCCESS);
    ck_assert_int_eq(bag_freed, 2); /* the pin's at its close, the device's at its removal */
    rig_down(&r);
}
END_TEST

/* The stream pointer routines run at DISPATCH_LEVEL or below. */
START_TEST(test_irql)
{
    struct rig r;
    struct sent s = {0};
    KIRQL old;

    up(&r, 8 * GIB, 0, 0);
    t.process = ProcessNothing;
    set_state(&r, KSSTATE_RUN);
    send_frame(&r, 0, FRAME, &s);
    KeRaiseIrql(6, &old);
    ck_assert_ptr_null(KsPinGetLeadingEdgeStreamPointer(t.pin, KSSTREAM_POINTER_STATE_LOCKED));
    KeLowerIrql(old);
    ck_assert_finding(r.m, DMS_E6_WRONG_IRQL);
    rig_down(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ks");
    TCase *tc = tcase_create("ks");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_device_and_pin);
    tcase_add_test(tc, test_state_steps);
    tcase_add_test(tc, test_frames_and_data_used);
    tcase_add_test(tc, test_clones);
    tcase_add_test(tc, test_attempt_processing);
    tcase_add_test(tc, test_device_functions);
    tcase_add_test(tc, test_mappings);
    tcase_add_test(tc, test_double_buffered_locks);
    tcase_add_test(tc, test_irql);
    tcase_add_test(tc, test_trailing_edge);
    tcase_add_test(tc, test_object_bag);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
