/*
 * test_dma.c - the KMDF DMA front-end against the HAL: the enabler's adapters and fragment
 * length by profile, a transaction's stages (the fragment length, the map registers, the
 * element limit), DmaCompleted, ...WithLength and ...Final with their documented results, the
 * transaction's states (release and reuse, execute twice, complete with nothing running),
 * single-transfer transactions, InitializeUsingRequest, double-buffering of a 32-bit profile
 * on a machine whose memory lies above 4 GiB (the bytes checked end to end), the packet
 * profile's channel and map registers, common buffers with their alignment, and the system
 * profile on a SoC DMA controller's channel (its configuration, the transfer-complete
 * callback, StopSystemTransfer).
 */
#include <check.h>
#include <string.h>

#include <ntddk.h>
#include <wdf.h>

#include "kmdf_rig.h"

#define STAGE 8192 /* the enabler's MaximumLength: PLX9x5x's */

/* ---- a minimal KMDF driver: a device the tests make enablers on ---------------------------- */
static WDFDEVICE the_device;
static WDFREQUEST held_request;

static VOID HoldWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    (void)Queue;
    (void)Length;
    held_request = Request;
}

static NTSTATUS DeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    WDF_IO_QUEUE_CONFIG qc;
    NTSTATUS status;

    (void)Driver;
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoDirect);
    status = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &the_device);
    if (!NT_SUCCESS(status))
        return status;
    WdfDeviceSetAlignmentRequirement(the_device, FILE_OCTA_ALIGNMENT);
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&qc, WdfIoQueueDispatchSequential);
    qc.EvtIoWrite = HoldWrite;
    qc.EvtIoRead = HoldWrite;
    return WdfIoQueueCreate(the_device, &qc, NULL, NULL);
}

static NTSTATUS Entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WDF_DRIVER_CONFIG config;

    WDF_DRIVER_CONFIG_INIT(&config, DeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, NULL, &config, NULL);
}

static void start(struct rig *r, uint64_t ram, enum dms_placement placement)
{
    rig_up(r, ram, placement, RIG_NONE, "kmdfdma", Entry, 0);
}

static WDFDMAENABLER enabler(WDF_DMA_PROFILE profile, ULONG version)
{
    WDF_DMA_ENABLER_CONFIG c;
    WDFDMAENABLER e = NULL;

    WDF_DMA_ENABLER_CONFIG_INIT(&c, profile, STAGE);
    c.WdmDmaVersionOverride = version;
    ck_assert_int_eq(WdfDmaEnablerCreate(the_device, &c, NULL, &e), STATUS_SUCCESS);
    return e;
}

/* ---- the "device": what EvtProgramDma was given -------------------------------------------- */
static struct {
    int programs;
    ULONG elements[64];
    ULONG bytes[64];
    ULONG64 first_address[64];
    size_t offset_at_program[64]; /* GetBytesTransferred when programmed */
    WDF_DMA_DIRECTION direction;
    BOOLEAN device_moves;         /* the device reads (write) or writes (read) the elements */
    UCHAR fill;
    size_t cursor;                /* bytes the device moved so far: the buffer offset */
    PDEVICE_OBJECT pdo;
    unsigned bits;
} dev;

static BOOLEAN Program(WDFDMATRANSACTION Transaction, WDFDEVICE Device, WDFCONTEXT Context,
                       WDF_DMA_DIRECTION Direction, PSCATTER_GATHER_LIST SgList)
{
    int i = dev.programs++;
    ULONG bytes = 0;

    ck_assert_ptr_eq(Device, the_device);
    ck_assert_ptr_eq(Context, &dev);
    ck_assert_int_eq(KeGetCurrentIrql(), DISPATCH_LEVEL);
    ck_assert_ptr_eq(WdfDmaTransactionGetDevice(Transaction), the_device);
    dev.direction = Direction;
    for (ULONG k = 0; k < SgList->NumberOfElements; k++) {
        PSCATTER_GATHER_ELEMENT el = &SgList->Elements[k];
        bytes += el->Length;
        if (dev.device_moves) {
            static UCHAR chunk[64 * 1024];
            uint32_t stray = 0;
            ck_assert_uint_le(el->Length, sizeof(chunk));
            if (Direction == WdfDmaDirectionWriteToDevice) {
                dms_device_dma_read(dev.pdo, dev.bits, (uint64_t)el->Address.QuadPart, chunk,
                                    el->Length, &stray);
                for (ULONG b = 0; b < el->Length; b++)
                    ck_assert_uint_eq(chunk[b], (UCHAR)(dev.fill + dev.cursor + b));
            } else {
                for (ULONG b = 0; b < el->Length; b++)
                    chunk[b] = (UCHAR)(dev.fill ^ (dev.cursor + b));
                dms_device_dma_write(dev.pdo, dev.bits, (uint64_t)el->Address.QuadPart, chunk,
                                     el->Length, &stray);
            }
            ck_assert_uint_eq(stray, 0);
            dev.cursor += el->Length;
        }
    }
    if (i < 64) {
        dev.elements[i] = SgList->NumberOfElements;
        dev.bytes[i] = bytes;
        dev.first_address[i] = (ULONG64)SgList->Elements[0].Address.QuadPart;
        dev.offset_at_program[i] = WdfDmaTransactionGetBytesTransferred(Transaction);
    }
    ck_assert_uint_eq(WdfDmaTransactionGetCurrentDmaTransferLength(Transaction), bytes);
    return TRUE;
}

static PMDL mdl_over(void *va, size_t len)
{
    PMDL mdl = IoAllocateMdl(va, (ULONG)len, FALSE, FALSE, NULL);

    MmBuildMdlForNonPagedPool(mdl);
    return mdl;
}

/* Complete stages as a DPC would until the transaction is done; returns the final status. */
static NTSTATUS run_to_end(WDFDMATRANSACTION t, int *stages)
{
    NTSTATUS status;
    KIRQL old;
    BOOLEAN done;

    *stages = 1;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    while (!(done = WdfDmaTransactionDmaCompleted(t, &status))) {
        ck_assert_int_eq(status, STATUS_MORE_PROCESSING_REQUIRED);
        (*stages)++;
        ck_assert_int_lt(*stages, 1000);
    }
    KeLowerIrql(old);
    return status;
}

START_TEST(test_enabler_profiles)
{
    struct rig r;
    WDF_DMA_ENABLER_CONFIG c;
    WDFDMAENABLER e, duplex;
    struct dms_adapter_info info;

    start(&r, 16 * GIB, DMS_PLACE_RANDOM);
    /* PLX9x5x's enabler: duplex, one adapter a direction, version 3 */
    duplex = enabler(WdfDmaProfileScatterGather64Duplex, 3);
    ck_assert_ptr_ne(WdfDmaEnablerWdmGetDmaAdapter(duplex, WdfDmaDirectionReadFromDevice),
                     WdfDmaEnablerWdmGetDmaAdapter(duplex, WdfDmaDirectionWriteToDevice));
    ck_assert_int_eq(dms_adapter_info(WdfDmaEnablerWdmGetDmaAdapter(
                                          duplex, WdfDmaDirectionWriteToDevice), &info), 0);
    ck_assert_uint_eq(info.version, 3);
    ck_assert_uint_eq(info.max_address, UINT64_MAX);
    /* BYTES_TO_PAGES(8192) + 1 map registers: stages of 8 KiB */
    ck_assert_uint_eq(WdfDmaEnablerGetFragmentLength(duplex, WdfDmaDirectionReadFromDevice),
                      STAGE);
    ck_assert_uint_eq(WdfDmaEnablerGetMaximumLength(duplex), STAGE);
    ck_assert_uint_eq(WdfDmaEnablerGetMaximumScatterGatherElements(duplex),
                      WDF_DMA_ENABLER_UNLIMITED_FRAGMENTS);
    ck_assert_uint_eq(WdfDmaEnablerGetFragmentLength(duplex, (WDF_DMA_DIRECTION)7), 0);
    ck_assert_ptr_null(WdfDmaEnablerWdmGetDmaAdapter(duplex, (WDF_DMA_DIRECTION)7));
    /* not duplex: one adapter for both; version 2; a 32-bit profile reaches 4 GiB */
    e = enabler(WdfDmaProfileScatterGather, 0);
    ck_assert_ptr_eq(WdfDmaEnablerWdmGetDmaAdapter(e, WdfDmaDirectionReadFromDevice),
                     WdfDmaEnablerWdmGetDmaAdapter(e, WdfDmaDirectionWriteToDevice));
    ck_assert_int_eq(dms_adapter_info(WdfDmaEnablerWdmGetDmaAdapter(
                                          e, WdfDmaDirectionReadFromDevice), &info), 0);
    ck_assert_uint_eq(info.version, 2);
    ck_assert_uint_eq(info.max_address, 0xFFFFFFFFu);
    /* what the framework refuses */
    WDF_DMA_ENABLER_CONFIG_INIT(&c, WdfDmaProfileScatterGather64, STAGE);
    c.Size = 40;
    ck_assert_int_eq(WdfDmaEnablerCreate(the_device, &c, NULL, &e), STATUS_INFO_LENGTH_MISMATCH);
    WDF_DMA_ENABLER_CONFIG_INIT(&c, (WDF_DMA_PROFILE)42, STAGE);
    ck_assert_int_eq(WdfDmaEnablerCreate(the_device, &c, NULL, &e), STATUS_INVALID_PARAMETER);
    WDF_DMA_ENABLER_CONFIG_INIT(&c, WdfDmaProfileScatterGather64, STAGE);
    c.Flags = WDF_DMA_ENABLER_CONFIG_REQUIRE_SINGLE_TRANSFER; /* needs version 3 */
    ck_assert_int_eq(WdfDmaEnablerCreate(the_device, &c, NULL, &e), STATUS_INVALID_PARAMETER);
    WDF_DMA_ENABLER_CONFIG_INIT(&c, WdfDmaProfileScatterGather, STAGE);
    c.AddressWidthOverride = 40; /* more than a 32-bit profile */
    ck_assert_int_eq(WdfDmaEnablerCreate(the_device, &c, NULL, &e), STATUS_INVALID_PARAMETER);
    WDF_DMA_ENABLER_CONFIG_INIT(&c, WdfDmaProfileSystem, STAGE);
    c.AddressWidthOverride = 32; /* must be 0 for a system profile */
    ck_assert_int_eq(WdfDmaEnablerCreate(the_device, &c, NULL, &e), STATUS_INVALID_PARAMETER);
    /* an address width override asks for version 3 and that width */
    WDF_DMA_ENABLER_CONFIG_INIT(&c, WdfDmaProfileScatterGather64, STAGE);
    c.AddressWidthOverride = 36;
    ck_assert_int_eq(WdfDmaEnablerCreate(the_device, &c, NULL, &e), STATUS_SUCCESS);
    ck_assert_int_eq(dms_adapter_info(WdfDmaEnablerWdmGetDmaAdapter(
                                          e, WdfDmaDirectionReadFromDevice), &info), 0);
    ck_assert_uint_eq(info.version, 3);
    ck_assert_uint_eq(info.max_address, (1ULL << 36) - 1);
    rig_down(&r);
}
END_TEST

/* A 128 KiB buffer at an odd offset: 8 KiB stages, each within three map registers, the
 * transferred count running, DmaCompleted FALSE (MORE_PROCESSING_REQUIRED) until the last. */
START_TEST(test_stages)
{
    struct rig r;
    WDFDMAENABLER e;
    WDFDMATRANSACTION t;
    uint8_t *buf;
    PMDL mdl;
    int stages;
    size_t len = 128 * 1024;

    start(&r, 16 * GIB, DMS_PLACE_RANDOM);
    e = enabler(WdfDmaProfileScatterGather64Duplex, 3);
    buf = dms_buffer_alloc(r.m, r.pdo, len + 4096);
    mdl = mdl_over(buf + 100, len);
    memset(&dev, 0, sizeof(dev));
    ck_assert_int_eq(WdfDmaTransactionCreate(e, NULL, &t), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 MmGetMdlVirtualAddress(mdl), len),
                     STATUS_SUCCESS);
    ck_assert_ptr_null(WdfDmaTransactionGetRequest(t)); /* not from a request */
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_SUCCESS);
    ck_assert_int_eq(dev.programs, 1);
    ck_assert_int_eq(run_to_end(t, &stages), STATUS_SUCCESS);
    ck_assert_int_eq(stages, 16);
    ck_assert_int_eq(dev.programs, 16);
    for (int i = 0; i < 16; i++) {
        ck_assert_uint_eq(dev.bytes[i], STAGE);
        ck_assert_uint_le(dev.elements[i], 3);
        ck_assert_uint_eq(dev.offset_at_program[i], (size_t)i * STAGE);
        ck_assert_uint_eq(dev.first_address[i], phys_of(r.m, buf + 100 + (size_t)i * STAGE));
    }
    ck_assert_uint_eq(WdfDmaTransactionGetBytesTransferred(t), len);
    ck_assert_uint_eq(WdfDmaTransactionGetCurrentDmaTransferLength(t), 0);
    ck_assert_int_eq(dev.direction, WdfDmaDirectionWriteToDevice);
    /* every list went back to the HAL */
    ck_assert_uint_eq(dms_adapter_stats(WdfDmaEnablerWdmGetDmaAdapter(
                          e, WdfDmaDirectionWriteToDevice))->sg_lists_outstanding, 0);
    ck_assert_uint_eq(dms_adapter_stats(WdfDmaEnablerWdmGetDmaAdapter(
                          e, WdfDmaDirectionWriteToDevice))->sg_lists_built, 16);
    ck_assert_int_eq(WdfDmaTransactionRelease(t), STATUS_SUCCESS);
    /* SetMaximumLength lowers the stage; a larger one is ignored */
    memset(&dev, 0, sizeof(dev));
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionReadFromDevice, mdl,
                                                 MmGetMdlVirtualAddress(mdl), 3 * 4096),
                     STATUS_SUCCESS);
    WdfDmaTransactionSetMaximumLength(t, 1 << 20);
    WdfDmaTransactionSetMaximumLength(t, 4096);
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_SUCCESS);
    ck_assert_int_eq(run_to_end(t, &stages), STATUS_SUCCESS);
    ck_assert_int_eq(stages, 3);
    ck_assert_uint_eq(dev.bytes[0], 4096);
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    WdfObjectDelete(e); /* its transaction with it */
    IoFreeMdl(mdl);
    ExFreePool(buf);
    rig_down(&r);
}
END_TEST

START_TEST(test_completed_with_length_and_final)
{
    struct rig r;
    WDFDMAENABLER e;
    WDFDMATRANSACTION t;
    uint8_t *buf;
    PMDL mdl;
    NTSTATUS status;
    KIRQL old;

    start(&r, 16 * GIB, DMS_PLACE_RANDOM);
    e = enabler(WdfDmaProfileScatterGather64, 0);
    buf = dms_buffer_alloc(r.m, r.pdo, 32 * 1024);
    mdl = mdl_over(buf, 32 * 1024);
    memset(&dev, 0, sizeof(dev));
    ck_assert_int_eq(WdfDmaTransactionCreate(e, NULL, &t), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionReadFromDevice, mdl,
                                                 buf, 32 * 1024), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_SUCCESS);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    /* nothing moved: the same bytes again */
    ck_assert(!WdfDmaTransactionDmaCompletedWithLength(t, 0, &status));
    ck_assert_int_eq(status, STATUS_MORE_PROCESSING_REQUIRED);
    ck_assert_uint_eq(dev.first_address[1], dev.first_address[0]);
    ck_assert_uint_eq(dev.bytes[1], STAGE);
    /* 1000 bytes moved: the next stage starts there */
    ck_assert(!WdfDmaTransactionDmaCompletedWithLength(t, 1000, &status));
    ck_assert_uint_eq(dev.first_address[2], phys_of(r.m, buf + 1000));
    ck_assert_uint_eq(WdfDmaTransactionGetBytesTransferred(t), 1000);
    /* more than the stage: TRUE, STATUS_INVALID_PARAMETER, the transaction ended */
    ck_assert(WdfDmaTransactionDmaCompletedWithLength(t, STAGE + 1, &status));
    ck_assert_int_eq(status, STATUS_INVALID_PARAMETER);
    /* and nothing is running now: a completion is a finding, FALSE */
    ck_assert(!WdfDmaTransactionDmaCompleted(t, &status));
    ck_assert_finding(r.m, DMS_BUGCHECK_10D(0x8));
    KeLowerIrql(old);
    ck_assert_int_eq(WdfDmaTransactionRelease(t), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionRelease(t), STATUS_INVALID_DEVICE_STATE);
    /* Final: TRUE at once, with what the driver says moved */
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionReadFromDevice, mdl,
                                                 buf, 32 * 1024), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_SUCCESS);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ck_assert(WdfDmaTransactionDmaCompletedFinal(t, 512, &status));
    KeLowerIrql(old);
    ck_assert_int_eq(status, STATUS_SUCCESS);
    ck_assert_uint_eq(WdfDmaTransactionGetBytesTransferred(t), 512);
    ck_assert_uint_eq(dms_adapter_stats(WdfDmaEnablerWdmGetDmaAdapter(
                          e, WdfDmaDirectionReadFromDevice))->sg_lists_outstanding, 0);
    IoFreeMdl(mdl);
    ExFreePool(buf);
    rig_down(&r);
}
END_TEST

/* The transaction's states: execute before initializing or twice, initialize while running
 * are findings in WDF_VIOLATION 0x8's terms; a released transaction is reused. */
START_TEST(test_transaction_states)
{
    struct rig r;
    WDFDMAENABLER e;
    WDFDMATRANSACTION t;
    WDF_OBJECT_ATTRIBUTES a;
    uint8_t *buf;
    PMDL mdl;
    int stages;

    start(&r, 16 * GIB, DMS_PLACE_RANDOM);
    e = enabler(WdfDmaProfileScatterGather64, 0);
    buf = dms_buffer_alloc(r.m, r.pdo, 4096);
    mdl = mdl_over(buf, 4096);
    memset(&dev, 0, sizeof(dev));
    WDF_OBJECT_ATTRIBUTES_INIT(&a);
    a.ParentObject = the_device; /* the enabler is the parent */
    ck_assert_int_eq(WdfDmaTransactionCreate(e, &a, &t), STATUS_WDF_OBJECT_ATTRIBUTES_INVALID);
    ck_assert_int_eq(WdfDmaTransactionCreate(e, NULL, &t), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_INVALID_DEVICE_REQUEST);
    ck_assert_finding(r.m, DMS_BUGCHECK_10D(0x8));
    ck_assert_int_eq(WdfDmaTransactionRelease(t), STATUS_INVALID_DEVICE_STATE);
    /* bad arguments */
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 buf + 4096, 10), STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 buf, 0), STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 buf + 100, 4096), STATUS_INVALID_PARAMETER);
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, NULL, WdfDmaDirectionWriteToDevice, mdl,
                                                 buf, 10), STATUS_INVALID_PARAMETER);
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice,
                                                     mdl, buf, 4096), STATUS_SUCCESS);
        ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_SUCCESS);
        ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_INVALID_DEVICE_REQUEST);
        ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice,
                                                     mdl, buf, 4096),
                         STATUS_INVALID_DEVICE_STATE);
        ck_assert_int_eq(run_to_end(t, &stages), STATUS_SUCCESS);
        ck_assert_int_eq(WdfDmaTransactionRelease(t), STATUS_SUCCESS);
    }
    ck_assert_int_eq(dev.programs, 3);
    /* a release while a stage runs gives its list back (and is said) */
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 buf, 4096), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionRelease(t), STATUS_SUCCESS);
    ck_assert_finding(r.m, DMS_BUGCHECK_10D(0x8));
    ck_assert_uint_eq(dms_adapter_stats(WdfDmaEnablerWdmGetDmaAdapter(
                          e, WdfDmaDirectionWriteToDevice))->sg_lists_outstanding, 0);
    /* deleted while running: nothing is left behind either */
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 buf, 4096), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_SUCCESS);
    WdfObjectDelete(t);
    ck_assert_uint_eq(dms_adapter_stats(WdfDmaEnablerWdmGetDmaAdapter(
                          e, WdfDmaDirectionWriteToDevice))->sg_lists_outstanding, 0);
    IoFreeMdl(mdl);
    ExFreePool(buf);
    rig_down(&r);
}
END_TEST

/* The element limit: a transaction whose stages need more elements than allowed is refused
 * at Initialize with STATUS_WDF_TOO_FRAGMENTED; single-transfer transactions refuse what does
 * not fit one transfer. */
START_TEST(test_fragment_limits_and_single_transfer)
{
    struct rig r;
    WDFDMAENABLER e;
    WDFDMATRANSACTION t;
    uint8_t *buf;
    PMDL mdl;
    int stages;

    start(&r, 16 * GIB, DMS_PLACE_RANDOM);
    e = enabler(WdfDmaProfileScatterGather64, 3);
    WdfDmaEnablerSetMaximumScatterGatherElements(e, 1);
    ck_assert_uint_eq(WdfDmaEnablerGetMaximumScatterGatherElements(e), 1);
    buf = dms_buffer_alloc(r.m, r.pdo, 64 * 1024);
    mdl = mdl_over(buf, 64 * 1024);
    memset(&dev, 0, sizeof(dev));
    ck_assert_int_eq(WdfDmaTransactionCreate(e, NULL, &t), STATUS_SUCCESS);
    /* two pages a stage against one element */
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 buf, 8192), STATUS_WDF_TOO_FRAGMENTED);
    /* one page fits */
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 buf, 4096), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_SUCCESS);
    ck_assert_int_eq(run_to_end(t, &stages), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionRelease(t), STATUS_SUCCESS);
    WdfObjectDelete(e);
    /* single transfer: the whole buffer in one, or refused */
    e = enabler(WdfDmaProfileScatterGather64, 3);
    ck_assert_int_eq(WdfDmaTransactionCreate(e, NULL, &t), STATUS_SUCCESS);
    WdfDmaTransactionSetSingleTransferRequirement(t, TRUE);
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 buf, STAGE + 1), STATUS_WDF_TOO_MANY_TRANSFERS);
    WdfDmaTransactionSetSingleTransferRequirement(t, TRUE);
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 buf, STAGE), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_SUCCESS);
    ck_assert_int_eq(run_to_end(t, &stages), STATUS_SUCCESS);
    ck_assert_int_eq(stages, 1);
    ck_assert_int_eq(WdfDmaTransactionRelease(t), STATUS_SUCCESS);
    /* without version 3 it is ignored, and said */
    WdfObjectDelete(e);
    e = enabler(WdfDmaProfileScatterGather64, 0);
    ck_assert_int_eq(WdfDmaTransactionCreate(e, NULL, &t), STATUS_SUCCESS);
    WdfDmaTransactionSetSingleTransferRequirement(t, TRUE);
    ck_assert_finding(r.m, DMS_BUGCHECK_10D(0x4));
    IoFreeMdl(mdl);
    ExFreePool(buf);
    rig_down(&r);
}
END_TEST

/* A 32-bit scatter/gather profile on 64 GiB with every page above 4 GiB: the HAL bounces,
 * and the bytes still arrive (write: the device reads the pattern; read: the buffer gets what
 * the device wrote once the stage's list is put). */
static void bounce_round(WDF_DMA_PROFILE profile, ULONG version, bool expect_bounce)
{
    struct rig r;
    WDFDMAENABLER e;
    WDFDMATRANSACTION t;
    uint8_t *buf;
    PMDL mdl;
    int stages;
    size_t len = 40000;
    const struct dms_adapter_stats *st;

    start(&r, 64 * GIB, DMS_PLACE_HIGH_FIRST);
    e = enabler(profile, version);
    buf = dms_buffer_alloc(r.m, r.pdo, len);
    for (size_t i = 0; i < len; i++)
        buf[i] = (UCHAR)(0x30 + i);
    mdl = mdl_over(buf, len);
    memset(&dev, 0, sizeof(dev));
    dev.device_moves = TRUE;
    dev.pdo = r.pdo;
    dev.bits = profile == WdfDmaProfilePacket || profile == WdfDmaProfileScatterGather ? 32 : 64;
    ck_assert_int_eq(WdfDmaTransactionCreate(e, NULL, &t), STATUS_SUCCESS);
    /* write: the device reads the buffer's bytes, stage after stage */
    dev.fill = 0x30;
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 buf, len), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_SUCCESS);
    ck_assert_int_eq(run_to_end(t, &stages), STATUS_SUCCESS);
    ck_assert_uint_eq(dev.cursor, len);
    ck_assert_int_eq(WdfDmaTransactionRelease(t), STATUS_SUCCESS);
    /* read: the device writes fill ^ offset into the whole buffer, in stages */
    dev.fill = 0x5A;
    dev.cursor = 0;
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionReadFromDevice, mdl,
                                                 buf, len), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_SUCCESS);
    ck_assert_int_eq(run_to_end(t, &stages), STATUS_SUCCESS);
    ck_assert_int_eq(stages, (int)((len + STAGE - 1) / STAGE));
    ck_assert_int_eq(WdfDmaTransactionRelease(t), STATUS_SUCCESS);
    st = dms_adapter_stats(WdfDmaEnablerWdmGetDmaAdapter(e, WdfDmaDirectionReadFromDevice));
    if (expect_bounce) {
        ck_assert_uint_gt(st->pages_bounced, 0);
        ck_assert_uint_eq(st->bytes_bounced_from_device, len);
    } else {
        ck_assert_uint_eq(st->pages_bounced, 0);
    }
    ck_assert_uint_eq(st->map_registers_in_use, 0);
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    /* what the device wrote is in the buffer, copied back from the bounce pages */
    for (size_t i = 0; i < len; i++)
        ck_assert_uint_eq(buf[i], (UCHAR)(0x5A ^ i));
    IoFreeMdl(mdl);
    ExFreePool(buf);
    rig_down(&r);
}

START_TEST(test_bounce_32bit_profiles)
{
    bounce_round(WdfDmaProfileScatterGather, 0, true);
    bounce_round(WdfDmaProfileScatterGather, 3, true);
    bounce_round(WdfDmaProfileScatterGather64, 3, false);
    bounce_round(WdfDmaProfilePacket, 0, true);
    bounce_round(WdfDmaProfilePacket64, 3, false);
}
END_TEST

/* InitializeUsingRequest: the request's MDL and length, its direction checked; GetRequest
 * gives it until the transaction is released. */
START_TEST(test_initialize_using_request)
{
    struct rig r;
    WDFDMAENABLER e;
    WDFDMATRANSACTION t;
    uint8_t *buf;
    int stages;
    struct dms_request q = {.major = IRP_MJ_WRITE, .length = 20000};

    start(&r, 16 * GIB, DMS_PLACE_RANDOM);
    e = enabler(WdfDmaProfileScatterGather64Duplex, 3);
    buf = dms_buffer_alloc(r.m, r.pdo, 20000);
    q.buffer = buf;
    held_request = NULL;
    ck_assert_int_eq(dms_irp_send(r.pdo, &q, NULL, NULL), STATUS_PENDING);
    ck_assert_ptr_nonnull(held_request);
    ck_assert_int_eq(WdfDmaTransactionCreate(e, NULL, &t), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionInitializeUsingRequest(t, held_request, Program,
                                                             WdfDmaDirectionReadFromDevice),
                     STATUS_INVALID_DEVICE_REQUEST); /* a write goes to the device */
    ck_assert_int_eq(WdfDmaTransactionInitializeUsingRequest(t, held_request, Program,
                                                             WdfDmaDirectionWriteToDevice),
                     STATUS_SUCCESS);
    ck_assert_ptr_eq(WdfDmaTransactionGetRequest(t), held_request);
    memset(&dev, 0, sizeof(dev));
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_SUCCESS);
    ck_assert_int_eq(run_to_end(t, &stages), STATUS_SUCCESS);
    ck_assert_int_eq(stages, 3);
    ck_assert_uint_eq(dev.first_address[0], phys_of(r.m, buf));
    /* after the last stage the request is still the transaction's, until Release */
    ck_assert_ptr_eq(WdfDmaTransactionGetRequest(t), held_request);
    WdfRequestCompleteWithInformation(held_request, STATUS_SUCCESS,
                                      WdfDmaTransactionGetBytesTransferred(t));
    ck_assert_int_eq(WdfDmaTransactionRelease(t), STATUS_SUCCESS);
    ck_assert_ptr_null(WdfDmaTransactionGetRequest(t));
    ck_assert_uint_eq(dms_finding_count(r.m), 0);
    /* a request completed between Initialize and Execute: refused, said, nothing read
     * through what is gone */
    held_request = NULL;
    ck_assert_int_eq(dms_irp_send(r.pdo, &q, NULL, NULL), STATUS_PENDING);
    ck_assert_int_eq(WdfDmaTransactionInitializeUsingRequest(t, held_request, Program,
                                                             WdfDmaDirectionWriteToDevice),
                     STATUS_SUCCESS);
    WdfRequestComplete(held_request, STATUS_CANCELLED);
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_INVALID_DEVICE_REQUEST);
    ck_assert_finding(r.m, DMS_BUGCHECK_10D(0x5));
    ck_assert_int_eq(WdfDmaTransactionRelease(t), STATUS_SUCCESS);
    ExFreePool(buf);
    rig_down(&r);
}
END_TEST

/* Common buffers: the device's alignment by default (FILE_OCTA_ALIGNMENT here), a config's
 * larger one aligning the logical address (and the VA by the same offset); freed with the
 * enabler, so the adapters go back with none outstanding. */
/* ---- the system profile on a SoC DMA controller ------------------------------------------ */
#define SYS_LINE     3
#define SYS_FIFO_BUS 0xFE000000ull /* the device's registers */
#define SYS_TX       0x200         /* its data register: the transactions' device offset */

static struct {
    int completions;
    DMA_COMPLETION_STATUS last;
    BOOLEAN done;
    NTSTATUS status;
} sys;

static VOID SysTransferComplete(WDFDMATRANSACTION Transaction, WDFDEVICE Device,
                                WDFCONTEXT Context, WDF_DMA_DIRECTION Direction,
                                DMA_COMPLETION_STATUS Status)
{
    ck_assert_ptr_eq(Device, the_device);
    ck_assert_ptr_eq(Context, &sys);
    ck_assert_int_eq(Direction, WdfDmaDirectionWriteToDevice);
    ck_assert_int_eq(KeGetCurrentIrql(), DISPATCH_LEVEL);
    sys.completions++;
    sys.last = Status;
    sys.done = WdfDmaTransactionDmaCompleted(Transaction, &sys.status);
}

/* The device asserts its request line until the transaction is done (or nothing moves). */
static uint32_t sys_drain(struct dms_machine *m, uint8_t *fifo, uint32_t cap)
{
    uint32_t got = 0;

    for (int i = 0; i < 256 && !sys.done; i++) {
        uint32_t moved = 0;
        ck_assert_int_eq(dms_sysdma_request_line(m, SYS_LINE, SYS_FIFO_BUS + SYS_TX, fifo + got,
                                                 cap - got, 1, &moved, NULL), 0);
        got += moved;
        dms_machine_run_pending(m);
    }
    return got;
}

START_TEST(test_system_profile)
{
    struct dms_machine_config cfg;
    struct rig r = {0};
    WDF_DMA_ENABLER_CONFIG c;
    WDF_DMA_SYSTEM_PROFILE_CONFIG p;
    CM_PARTIAL_RESOURCE_DESCRIPTOR line = {.Type = CmResourceTypeDma, .Flags = CM_RESOURCE_DMA_V3};
    CM_PARTIAL_RESOURCE_DESCRIPTOR memory = {.Type = CmResourceTypeMemory};
    PHYSICAL_ADDRESS bus = {.QuadPart = (LONGLONG)SYS_FIFO_BUS};
    WDFDMAENABLER e, sg, duplex;
    WDFDMATRANSACTION t, tsg;
    WDFCOMMONBUFFER cb;
    struct dms_adapter_info info;
    static uint8_t fifo[16384];
    uint8_t *buf;
    PMDL mdl;
    uint32_t got;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 4 * GIB;
    cfg.soc_dma_channels = 2;
    cfg.soc_dma_request_lines = 8;
    r.m = machine_with(&cfg);
    r.pdo = dms_device_create(r.m, "card", 0);
    ck_assert_int_eq(dms_driver_load(r.m, "kmdfsys", Entry, &r.drv), STATUS_SUCCESS);
    ck_assert_int_eq(dms_driver_add_device(r.drv, r.pdo), STATUS_SUCCESS);
    ck_assert_int_eq(dms_pnp_start(r.pdo), STATUS_SUCCESS);
    line.u.DmaV3.RequestLine = SYS_LINE;

    /* partly initialised: no adapter, no transaction or common buffer to use, until the
     * profile is configured */
    WDF_DMA_ENABLER_CONFIG_INIT(&c, WdfDmaProfileSystem, STAGE);
    ck_assert_int_eq(WdfDmaEnablerCreate(the_device, &c, NULL, &e), STATUS_SUCCESS);
    ck_assert_ptr_null(WdfDmaEnablerWdmGetDmaAdapter(e, WdfDmaDirectionWriteToDevice));
    ck_assert_int_eq(WdfCommonBufferCreate(e, 4096, NULL, &cb), STATUS_INVALID_DEVICE_REQUEST);
    ck_assert_int_eq(WdfDmaTransactionCreate(e, NULL, &t), STATUS_SUCCESS);
    buf = dms_buffer_alloc(r.m, r.pdo, 3 * 4096);
    for (int i = 0; i < 3 * 4096; i++)
        buf[i] = (uint8_t)(i * 7 + 1);
    mdl = mdl_over(buf + 100, 10000);
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 MmGetMdlVirtualAddress(mdl), 10000),
                     STATUS_INVALID_DEVICE_REQUEST);
    /* WdfDmaEnablerConfigureSystemProfile's documented refusals */
    WDF_DMA_SYSTEM_PROFILE_CONFIG_INIT(&p, bus, Width8Bits, &line);
    p.DemandMode = TRUE;
    ck_assert_int_eq(WdfDmaEnablerConfigureSystemProfile(e, NULL, WdfDmaDirectionWriteToDevice),
                     STATUS_INVALID_PARAMETER);
    p.Size--;
    ck_assert_int_eq(WdfDmaEnablerConfigureSystemProfile(e, &p, WdfDmaDirectionWriteToDevice),
                     STATUS_INFO_LENGTH_MISMATCH);
    p.Size++;
    p.DmaDescriptor = &memory;
    ck_assert_int_eq(WdfDmaEnablerConfigureSystemProfile(e, &p, WdfDmaDirectionWriteToDevice),
                     STATUS_INVALID_PARAMETER);
    p.DmaDescriptor = &line;
    sg = enabler(WdfDmaProfileScatterGather, 0);
    ck_assert_int_eq(WdfDmaEnablerConfigureSystemProfile(sg, &p, WdfDmaDirectionWriteToDevice),
                     STATUS_INVALID_DEVICE_REQUEST);
    ck_assert_finding(r.m, DMS_BUGCHECK_10D(0x4));
    /* configured: a version-3 adapter on the line, not a bus master */
    ck_assert_int_eq(WdfDmaEnablerConfigureSystemProfile(e, &p, WdfDmaDirectionWriteToDevice),
                     STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaEnablerConfigureSystemProfile(e, &p, WdfDmaDirectionWriteToDevice),
                     STATUS_INVALID_DEVICE_REQUEST); /* once */
    ck_assert_ptr_eq(WdfDmaEnablerWdmGetDmaAdapter(e, WdfDmaDirectionWriteToDevice),
                     WdfDmaEnablerWdmGetDmaAdapter(e, WdfDmaDirectionReadFromDevice));
    ck_assert_int_eq(dms_adapter_info(WdfDmaEnablerWdmGetDmaAdapter(
                                          e, WdfDmaDirectionWriteToDevice), &info), 0);
    ck_assert_uint_eq(info.version, 3);
    /* the callback and the device offset belong to system transactions, set after Initialize */
    ck_assert_int_eq(WdfDmaTransactionCreate(sg, NULL, &tsg), STATUS_SUCCESS);
    WdfDmaTransactionSetTransferCompleteCallback(tsg, SysTransferComplete, &sys);
    ck_assert_finding(r.m, DMS_BUGCHECK_10D(0x4));
    WdfDmaTransactionSetDeviceAddressOffset(t, SYS_TX); /* before Initialize */
    ck_assert_finding(r.m, DMS_BUGCHECK_10D(0x8));

    /* a transaction: stages mapped to the data register; the controller's completion of each
     * calls the callback, whose DmaCompleted maps the next; every byte reaches the FIFO */
    memset(&dev, 0, sizeof(dev));
    memset(&sys, 0, sizeof(sys));
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 MmGetMdlVirtualAddress(mdl), 10000),
                     STATUS_SUCCESS);
    WdfDmaTransactionSetDeviceAddressOffset(t, SYS_TX);
    WdfDmaTransactionSetTransferCompleteCallback(t, SysTransferComplete, &sys);
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_SUCCESS);
    ck_assert_int_eq(dev.programs, 1);
    got = sys_drain(r.m, fifo, sizeof(fifo));
    ck_assert(sys.done);
    ck_assert_int_eq(sys.status, STATUS_SUCCESS);
    ck_assert_int_eq(sys.last, DmaComplete);
    ck_assert_int_eq(sys.completions, dev.programs);
    ck_assert_int_gt(dev.programs, 1); /* 10000 bytes over three pages: more than one stage */
    ck_assert_uint_eq(got, 10000);
    for (uint32_t i = 0; i < got; i++)
        ck_assert_uint_eq(fifo[i], (uint8_t)((i + 100) * 7 + 1));
    ck_assert_uint_eq(WdfDmaTransactionGetBytesTransferred(t), 10000);
    ck_assert_int_eq(WdfDmaTransactionRelease(t), STATUS_SUCCESS);

    /* StopSystemTransfer: the channel stops, the completion says DmaCancelled, and
     * DmaCompleted ends the transaction with STATUS_CANCELLED */
    memset(&dev, 0, sizeof(dev));
    memset(&sys, 0, sizeof(sys));
    ck_assert_int_eq(WdfDmaTransactionInitialize(t, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 MmGetMdlVirtualAddress(mdl), 10000),
                     STATUS_SUCCESS);
    WdfDmaTransactionSetDeviceAddressOffset(t, SYS_TX);
    WdfDmaTransactionSetTransferCompleteCallback(t, SysTransferComplete, &sys);
    ck_assert_int_eq(WdfDmaTransactionExecute(t, &dev), STATUS_SUCCESS);
    WdfDmaTransactionStopSystemTransfer(t);
    dms_machine_run_pending(r.m);
    ck_assert(sys.done);
    ck_assert_int_eq(sys.last, DmaCancelled);
    ck_assert_int_eq(sys.status, STATUS_CANCELLED);
    ck_assert_int_eq(WdfDmaTransactionRelease(t), STATUS_SUCCESS);

    /* SystemDuplex: each direction configured on its own before it is used */
    WDF_DMA_ENABLER_CONFIG_INIT(&c, WdfDmaProfileSystemDuplex, STAGE);
    ck_assert_int_eq(WdfDmaEnablerCreate(the_device, &c, NULL, &duplex), STATUS_SUCCESS);
    line.u.DmaV3.RequestLine = SYS_LINE + 1;
    ck_assert_int_eq(WdfDmaEnablerConfigureSystemProfile(duplex, &p,
                                                         WdfDmaDirectionReadFromDevice),
                     STATUS_SUCCESS);
    ck_assert_ptr_nonnull(WdfDmaEnablerWdmGetDmaAdapter(duplex, WdfDmaDirectionReadFromDevice));
    ck_assert_ptr_null(WdfDmaEnablerWdmGetDmaAdapter(duplex, WdfDmaDirectionWriteToDevice));
    ck_assert_int_eq(WdfDmaTransactionCreate(duplex, NULL, &tsg), STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionInitialize(tsg, Program, WdfDmaDirectionWriteToDevice, mdl,
                                                 MmGetMdlVirtualAddress(mdl), 4096),
                     STATUS_INVALID_DEVICE_REQUEST);
    ck_assert_int_eq(WdfDmaTransactionInitialize(tsg, Program, WdfDmaDirectionReadFromDevice,
                                                 mdl, MmGetMdlVirtualAddress(mdl), 4096),
                     STATUS_SUCCESS);
    ck_assert_int_eq(WdfDmaTransactionRelease(tsg), STATUS_SUCCESS);
    IoFreeMdl(mdl);
    ExFreePool(buf);
    rig_down(&r);
}
END_TEST

START_TEST(test_common_buffers)
{
    struct rig r;
    WDFDMAENABLER e;
    WDFCOMMONBUFFER b, big;
    WDF_COMMON_BUFFER_CONFIG c;
    PHYSICAL_ADDRESS la;
    uint64_t pa;
    PDMA_ADAPTER a;

    start(&r, 16 * GIB, DMS_PLACE_RANDOM);
    e = enabler(WdfDmaProfileScatterGather64Duplex, 3);
    a = WdfDmaEnablerWdmGetDmaAdapter(e, WdfDmaDirectionReadFromDevice);
    ck_assert_int_eq(WdfCommonBufferCreate(e, 96, NULL, &b), STATUS_SUCCESS);
    ck_assert_uint_eq(WdfCommonBufferGetLength(b), 96);
    la = WdfCommonBufferGetAlignedLogicalAddress(b);
    ck_assert_uint_eq(la.QuadPart & 0xF, 0);
    ck_assert_int_eq(dms_physical_of(r.m, WdfCommonBufferGetAlignedVirtualAddress(b), &pa), 0);
    ck_assert_uint_eq(pa, (uint64_t)la.QuadPart); /* a 64-bit device: logical is physical */
    memset(WdfCommonBufferGetAlignedVirtualAddress(b), 0xAB, 96);
    WDF_COMMON_BUFFER_CONFIG_INIT(&c, 0xFFFF);
    ck_assert_int_eq(WdfCommonBufferCreateWithConfig(e, 4096, &c, NULL, &big), STATUS_SUCCESS);
    la = WdfCommonBufferGetAlignedLogicalAddress(big);
    ck_assert_uint_eq(la.QuadPart & 0xFFFF, 0);
    ck_assert_int_eq(dms_physical_of(r.m, WdfCommonBufferGetAlignedVirtualAddress(big), &pa), 0);
    ck_assert_uint_eq(pa, (uint64_t)la.QuadPart);
    ck_assert_uint_eq(dms_adapter_stats(a)->common_buffers, 2);
    ck_assert_int_eq(WdfCommonBufferCreate(e, 0, NULL, &b), STATUS_INVALID_PARAMETER);
    WDF_COMMON_BUFFER_CONFIG_INIT(&c, 0x30); /* not a power of two less one */
    ck_assert_int_eq(WdfCommonBufferCreateWithConfig(e, 64, &c, NULL, &b),
                     STATUS_INVALID_PARAMETER);
    WdfObjectDelete(big);
    ck_assert_uint_eq(dms_adapter_stats(a)->common_buffers, 1);
    /* the enabler takes the rest: no PutDmaAdapter with a common buffer out (E6 0x07) */
    WdfObjectDelete(e);
    ck_assert_uint_eq(dms_finding_count_code(r.m, DMS_E6_PUT_WITH_COMMON_BUFFERS), 0);
    rig_down(&r);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("kmdf/dma");
    TCase *tc = tcase_create("dma");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_enabler_profiles);
    tcase_add_test(tc, test_stages);
    tcase_add_test(tc, test_completed_with_length_and_final);
    tcase_add_test(tc, test_transaction_states);
    tcase_add_test(tc, test_fragment_limits_and_single_transfer);
    tcase_add_test(tc, test_bounce_32bit_profiles);
    tcase_add_test(tc, test_initialize_using_request);
    tcase_add_test(tc, test_common_buffers);
    tcase_add_test(tc, test_system_profile);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(make);
}
