/*
 * test_videoport.c - the video port on the emulated kernel, with a small miniport of the
 * test's own: VideoPortInitialize's refusals, HwVidFindAdapter's configuration and access
 * ranges, HwVidInitialize; a transfer request reaching HwVidStartIO and completing at
 * VideoPortSetEvent; VideoPortStartDma shortening *pLength to what the map registers cover
 * before HwVidExecuteDma runs at DISPATCH_LEVEL with the Context; two rounds on one adapter
 * sharing its map registers (the second waits for the first's CompleteDma); the IRQL rules
 * (a DMA routine from the ISR's IRQL is refused and said); locked buffers, common buffers,
 * VideoPortQueueDpc, and what a miniport hands over checked.
 */
#include <check.h>
#include <string.h>

#include <dmasim/video.h>

#include "kmdf_rig.h"

#define ROUND_MAX (4 * PAGE_SIZE) /* the test adapter's MaximumLength */

typedef struct _TEST_EXTENSION {
    ULONG Marker;
} TEST_EXTENSION, *PTEST_EXTENSION;

static struct {
    PVOID ext;
    ULONG config_length, ranges, found, initialized;
    ULONGLONG memory;
    PVIDEO_DMASIM_TRANSFER transfer;
    VP_STATUS find_status;
    int executes;
    ULONG length_seen;          /* *pLength, read inside HwVidExecuteDma */
    PULONG plength;
    KIRQL execute_irql;
    PVOID execute_context;
    ULONG list_bytes;
    PVP_SCATTER_GATHER_LIST list[4];
    int dpcs;
} seen;

static VP_STATUS TestFindAdapter(PVOID HwDeviceExtension, PVOID HwContext, PWSTR ArgumentString,
                                 PVIDEO_PORT_CONFIG_INFO ConfigInfo, PUCHAR Again)
{
    VIDEO_ACCESS_RANGE ranges[4];
    ULONG slot = 7;

    (void)HwContext;
    (void)ArgumentString;
    *Again = FALSE;
    seen.ext = HwDeviceExtension;
    seen.found++;
    if (seen.find_status != NO_ERROR)
        return seen.find_status; /* a card that is not this miniport's */
    seen.config_length = ConfigInfo->Length;
    seen.memory = ConfigInfo->SystemMemorySize;
    ck_assert_int_eq(((PTEST_EXTENSION)HwDeviceExtension)->Marker, 0); /* zeroed */
    ck_assert_int_eq(VideoPortGetAccessRanges(HwDeviceExtension, 0, NULL, 4, ranges, NULL, NULL,
                                              &slot),
                     NO_ERROR);
    ck_assert_uint_eq(slot, 0);
    ck_assert_uint_eq((uint64_t)ranges[0].RangeStart.QuadPart, 0xF0000000u);
    ck_assert_uint_eq(ranges[0].RangeLength, 0x200);
    ck_assert_int_eq(ranges[0].RangeInIoSpace, 0);
    seen.ranges = 1;
    return seen.find_status;
}

static BOOLEAN TestInitialize(PVOID HwDeviceExtension)
{
    ((PTEST_EXTENSION)HwDeviceExtension)->Marker = 0x1234;
    seen.initialized++;
    return TRUE;
}

static BOOLEAN TestStartIO(PVOID HwDeviceExtension, PVIDEO_REQUEST_PACKET RequestPacket)
{
    (void)HwDeviceExtension;
    if (RequestPacket->IoControlCode != IOCTL_VIDEO_DMASIM_TRANSFER) {
        RequestPacket->StatusBlock->Status = ERROR_INVALID_FUNCTION;
        return TRUE;
    }
    ck_assert_uint_eq(RequestPacket->InputBufferLength, sizeof(VIDEO_DMASIM_TRANSFER));
    seen.transfer = RequestPacket->InputBuffer;
    RequestPacket->StatusBlock->Status = NO_ERROR; /* accepted: the event says when */
    return TRUE;
}

static NTSTATUS TestEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    VIDEO_HW_INITIALIZATION_DATA init;

    VideoPortZeroMemory(&init, sizeof(init));
    init.HwInitDataSize = sizeof(init);
    init.HwFindAdapter = TestFindAdapter;
    init.HwInitialize = TestInitialize;
    init.HwStartIO = TestStartIO;
    init.HwDeviceExtensionSize = sizeof(TEST_EXTENSION);
    return (NTSTATUS)VideoPortInitialize(DriverObject, RegistryPath, &init, NULL);
}

static VOID TestExecuteDma(PVOID HwDeviceExtension, PVP_DMA_ADAPTER VpDmaAdapter,
                           PVP_SCATTER_GATHER_LIST SGList, PVOID Context)
{
    ULONG bytes = 0;

    (void)VpDmaAdapter;
    ck_assert_ptr_eq(HwDeviceExtension, seen.ext);
    seen.execute_irql = KeGetCurrentIrql();
    seen.execute_context = Context;
    seen.length_seen = *seen.plength;
    for (ULONG i = 0; i < SGList->NumberOfElements; i++)
        bytes += SGList->Elements[i].Length;
    seen.list_bytes = bytes;
    seen.list[seen.executes++] = SGList;
}

static VOID TestDpc(PVOID HwDeviceExtension, PVOID Context)
{
    (void)HwDeviceExtension;
    (void)Context;
    seen.dpcs++;
}

static void up(struct rig *r)
{
    memset(&seen, 0, sizeof(seen));
    rig_up(r, 16 * GIB, DMS_PLACE_RANDOM, RIG_BAR | RIG_INTERRUPT, "vptest", TestEntry,
           256 * 1024);
    ck_assert_int_eq(seen.found, 1);
    ck_assert_int_eq(seen.initialized, 1);
}

/* VideoPortInitialize refuses what it cannot take, and keeps the rest. */
static NTSTATUS BadEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    VIDEO_HW_INITIALIZATION_DATA init;

    VideoPortZeroMemory(&init, sizeof(init));
    init.HwInitDataSize = sizeof(init) + 8; /* a newer miniport */
    init.HwFindAdapter = TestFindAdapter;
    init.HwInitialize = TestInitialize;
    init.HwStartIO = TestStartIO;
    ck_assert_int_eq(VideoPortInitialize(DriverObject, RegistryPath, &init, NULL),
                     (ULONG)STATUS_REVISION_MISMATCH);
    init.HwInitDataSize = sizeof(init);
    init.HwStartIO = NULL; /* required */
    ck_assert_int_eq(VideoPortInitialize(DriverObject, RegistryPath, &init, NULL),
                     (ULONG)STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(VideoPortInitialize(DriverObject, RegistryPath, NULL, NULL),
                     (ULONG)STATUS_INVALID_PARAMETER);
    return STATUS_SUCCESS;
}

START_TEST(test_initialize_and_find_adapter)
{
    struct rig r;
    struct dms_machine *m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    PDRIVER_OBJECT drv;

    ck_assert_int_eq(dms_driver_load(m, "bad", BadEntry, &drv), STATUS_SUCCESS);
    ck_assert_finding(m, DMS_CHECK_BAD_ARGUMENT);
    machine_done(m);

    up(&r);
    ck_assert_uint_eq(seen.config_length, sizeof(VIDEO_PORT_CONFIG_INFO));
    ck_assert_uint_eq(seen.memory, dms_machine_top_address(r.m));
    ck_assert_int_eq(((PTEST_EXTENSION)seen.ext)->Marker, 0x1234);
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    rig_down(&r);

    /* HwVidFindAdapter failing fails the start */
    memset(&seen, 0, sizeof(seen));
    seen.find_status = ERROR_DEV_NOT_EXIST;
    m = machine_new(4 * GIB, DMS_PLACE_RANDOM);
    {
        PDEVICE_OBJECT pdo = dms_device_create(m, "card", 0);
        ck_assert_int_eq(dms_driver_load(m, "vpfail", TestEntry, &drv), STATUS_SUCCESS);
        ck_assert_int_eq(dms_driver_add_device(drv, pdo), STATUS_SUCCESS);
        ck_assert_int_ne(dms_pnp_start(pdo), STATUS_SUCCESS);
        ck_assert_int_eq(seen.initialized, 0);
    }
    machine_done(m);
}
END_TEST

/* A read or write is the display driver's transfer: HwVidStartIO takes it, and it completes
 * when the miniport sets its event, with the status the miniport gave. */
START_TEST(test_transfer_request)
{
    struct rig r;
    struct sent s = {0}, c = {0};
    struct dms_request q = {.major = IRP_MJ_WRITE, .length = 5000, .offset = 8192};
    struct dms_request ioctl = {.major = IRP_MJ_DEVICE_CONTROL, .ioctl = 0x230000};

    up(&r);
    q.buffer = r.buf;
    ck_assert_int_eq(dms_irp_send(r.pdo, &q, on_done, &s), STATUS_PENDING);
    ck_assert_ptr_nonnull(seen.transfer);
    ck_assert_uint_eq(seen.transfer->Length, 5000);
    ck_assert(seen.transfer->WriteToDevice);
    ck_assert_uint_eq(seen.transfer->DeviceOffset, 8192);
    ck_assert_ptr_eq(seen.transfer->Buffer, r.buf);
    ck_assert_int_eq(s.done, 0); /* HwVidStartIO returned: the request is not done */
    VideoPortSetEvent(seen.ext, seen.transfer->Done);
    ck_assert_int_eq(s.done, 1);
    ck_assert_int_eq(s.status, STATUS_SUCCESS);
    ck_assert_uint_eq(s.information, 5000);
    /* an event set twice, or none, is said */
    VideoPortSetEvent(seen.ext, NULL);
    ck_assert_finding(r.m, DMS_CHECK_BAD_ARGUMENT);
    /* a failed transfer: the miniport's status */
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(dms_irp_send(r.pdo, &q, on_done, &s), STATUS_PENDING);
    seen.transfer->Status = ERROR_IO_DEVICE;
    VideoPortSetEvent(seen.ext, seen.transfer->Done);
    ck_assert_int_eq(s.status, STATUS_IO_DEVICE_ERROR);
    ck_assert_uint_eq(s.information, 0);
    /* a device control the miniport does not know */
    ck_assert_int_eq(dms_irp_send(r.pdo, &ioctl, on_done, &c), STATUS_NOT_IMPLEMENTED);
    ck_assert_int_eq(c.status, STATUS_NOT_IMPLEMENTED);
    rig_down(&r);
}
END_TEST

/* StartDma maps what the map registers cover, says so in *pLength before HwVidExecuteDma
 * runs (at DISPATCH_LEVEL, with the Context); a second round on the same adapter shares its
 * registers and waits for the first's CompleteDma; an unknown list is said. */
START_TEST(test_start_and_complete_dma)
{
    struct rig r;
    VP_DEVICE_DESCRIPTION dd = {.ScatterGather = TRUE, .Dma32BitAddresses = TRUE,
                                .Dma64BitAddresses = TRUE, .MaximumLength = ROUND_MAX};
    PVP_DMA_ADAPTER a;
    PMDL mdl;
    ULONG len1 = 64 * 1024, len2 = 64 * 1024, len3 = 64 * 1024;
    int ctx;

    up(&r);
    ck_assert_ptr_null(VideoPortGetDmaAdapter(seen.ext, NULL));
    ck_assert_finding(r.m, DMS_CHECK_BAD_ARGUMENT);
    a = VideoPortGetDmaAdapter(seen.ext, &dd);
    ck_assert_ptr_nonnull(a);
    mdl = VideoPortLockBuffer(seen.ext, r.buf, 128 * 1024, VpReadAccess);
    ck_assert_ptr_nonnull(mdl);
    ck_assert_uint_eq(MmGetMdlByteCount((PMDL)mdl), 128 * 1024);
    /* round 1: 64 KiB asked, what the registers and MaximumLength allow given */
    seen.plength = &len1;
    ck_assert_int_eq(VideoPortStartDma(seen.ext, a, mdl, 0, &len1, TestExecuteDma, &ctx, TRUE),
                     NO_ERROR);
    ck_assert_uint_eq(len1, ROUND_MAX);
    ck_assert_int_eq(seen.executes, 1);
    ck_assert_uint_eq(seen.length_seen, ROUND_MAX); /* *pLength was written before */
    ck_assert_int_eq(seen.execute_irql, DISPATCH_LEVEL);
    ck_assert_ptr_eq(seen.execute_context, &ctx);
    ck_assert_uint_eq(seen.list_bytes, ROUND_MAX);
    /* round 2 on the same adapter gets what its registers have left (one page), at once */
    seen.plength = &len2;
    ck_assert_int_eq(VideoPortStartDma(seen.ext, a, mdl, len1, &len2, TestExecuteDma, &ctx,
                                       TRUE),
                     NO_ERROR);
    ck_assert_uint_eq(len2, PAGE_SIZE);
    ck_assert_int_eq(seen.executes, 2);
    /* round 3: none left, so it is given a whole budget's worth and waits for it */
    seen.plength = &len3;
    ck_assert_int_eq(VideoPortStartDma(seen.ext, a, mdl, len1 + len2, &len3, TestExecuteDma,
                                       &ctx, TRUE),
                     NO_ERROR);
    ck_assert_uint_eq(len3, ROUND_MAX);
    ck_assert_int_eq(seen.executes, 2);
    ck_assert_int_eq(VideoPortCompleteDma(seen.ext, a, seen.list[0], TRUE), NO_ERROR);
    ck_assert_int_eq(seen.executes, 3); /* it runs once round 1 gave its registers back */
    ck_assert_uint_eq(seen.list_bytes, ROUND_MAX);
    /* a list completed twice is said, and still NO_ERROR */
    ck_assert_int_eq(VideoPortCompleteDma(seen.ext, a, seen.list[0], TRUE), NO_ERROR);
    ck_assert_finding(r.m, DMS_CHECK_BAD_ARGUMENT);
    ck_assert_int_eq(VideoPortCompleteDma(seen.ext, a, seen.list[1], TRUE), NO_ERROR);
    ck_assert_int_eq(VideoPortCompleteDma(seen.ext, a, seen.list[2], TRUE), NO_ERROR);
    /* the DMA routines are refused above DISPATCH_LEVEL (an ISR's) */
    {
        KIRQL old;
        ULONG len = 4096;
        KeRaiseIrql(DISPATCH_LEVEL + 1, &old);
        ck_assert_int_eq(VideoPortStartDma(seen.ext, a, mdl, 0, &len, TestExecuteDma, &ctx,
                                           TRUE),
                         ERROR_INVALID_PARAMETER);
        KeLowerIrql(old);
        ck_assert_uint_eq(len, 0);
        ck_assert_finding(r.m, DMS_E6_WRONG_IRQL);
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        ck_assert_ptr_null(VideoPortGetDmaAdapter(seen.ext, &dd)); /* PASSIVE_LEVEL only */
        KeLowerIrql(old);
        ck_assert_finding(r.m, DMS_E6_WRONG_IRQL);
    }
    VideoPortUnlockBuffer(seen.ext, mdl);
    VideoPortPutDmaAdapter(seen.ext, a);
    /* a put adapter is no adapter */
    {
        ULONG len = 4096;
        ck_assert_int_eq(VideoPortStartDma(seen.ext, a, r.buf, 0, &len, TestExecuteDma, &ctx,
                                           TRUE),
                         ERROR_INVALID_PARAMETER);
        ck_assert_finding(r.m, DMS_CHECK_BAD_ARGUMENT);
    }
    rig_down(&r);
}
END_TEST

/* Common buffers, the DPC, and a HwDeviceExtension that is not one. */
START_TEST(test_common_buffer_dpc_and_checks)
{
    struct rig r;
    VP_DEVICE_DESCRIPTION dd = {.ScatterGather = TRUE, .Dma32BitAddresses = TRUE,
                                .MaximumLength = ROUND_MAX};
    PVP_DMA_ADAPTER a;
    PHYSICAL_ADDRESS la;
    PVOID va;
    int not_an_extension;

    up(&r);
    a = VideoPortGetDmaAdapter(seen.ext, &dd);
    va = VideoPortAllocateCommonBuffer(seen.ext, a, 4096, &la, TRUE, NULL);
    ck_assert_ptr_nonnull(va);
    ck_assert_uint_lt((uint64_t)la.QuadPart, 4 * GIB); /* a 32-bit adapter's */
    VideoPortReleaseCommonBuffer(seen.ext, a, 4096, la, va, TRUE);
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    /* one DPC queued at a time (at DISPATCH_LEVEL none runs until the IRQL drops) */
    {
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        ck_assert(VideoPortQueueDpc(seen.ext, TestDpc, NULL));
        ck_assert(!VideoPortQueueDpc(seen.ext, TestDpc, NULL));
        KeLowerIrql(old);
    }
    dms_machine_run_pending(r.m);
    ck_assert_int_eq(seen.dpcs, 1);
    ck_assert(VideoPortQueueDpc(seen.ext, TestDpc, NULL));
    dms_machine_run_pending(r.m);
    ck_assert_int_eq(seen.dpcs, 2);
    /* what the miniport hands over is checked */
    ck_assert(!VideoPortQueueDpc(&not_an_extension, TestDpc, NULL));
    ck_assert_finding(r.m, DMS_CHECK_BAD_ARGUMENT);
    ck_assert_ptr_null(VideoPortAllocateCommonBuffer(seen.ext, (PVP_DMA_ADAPTER)&not_an_extension,
                                                     4096, &la, TRUE, NULL));
    ck_assert_finding(r.m, DMS_CHECK_BAD_ARGUMENT);
    rig_down(&r); /* the adapter the miniport never put goes with the device */
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("videoport");
    TCase *tc = tcase_create("videoport");

    tcase_add_test(tc, test_initialize_and_find_adapter);
    tcase_add_test(tc, test_transfer_request);
    tcase_add_test(tc, test_start_and_complete_dma);
    tcase_add_test(tc, test_common_buffer_dpc_and_checks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(make);
}
