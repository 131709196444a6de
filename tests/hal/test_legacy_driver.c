/*
 * test_legacy_driver.c - a whole legacy (non-PnP) WDM driver run as the I/O manager runs one:
 * DriverEntry creates a named device and a symbolic link; an application opens the link and
 * sends an IOCTL; the dispatch routine does a version-3 system-DMA write to a FIFO on a SoC
 * request line, waiting at PASSIVE_LEVEL for AllocateAdapterChannelEx's callback and for the
 * DmaCompletionRoutine, as Microsoft's SystemDma sample does. The driver below is dmasim's
 * own, written from the routines' documentation (tests/drivers/sysdma_ioctl.c, also built out
 * of the tree); the device model is the test's.
 */
#include <string.h>

#include "helpers.h"

#include "../drivers/sysdma_ioctl.c"

/* ---- the test ---------------------------------------------------------------------------- */

static int ioctl_done;
static NTSTATUS ioctl_status;

static void on_ioctl(void *ctx, NTSTATUS status, ULONG_PTR information)
{
    (void)ctx;
    (void)information;
    ioctl_done++;
    ioctl_status = status;
}

START_TEST(test_legacy_ioctl_system_dma)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    PDRIVER_OBJECT drv;
    PFILE_OBJECT f;
    NTSTATUS status;
    UCHAR fill = 0xDA, fifo[SDMA_BYTES + 64];
    uint32_t got = 0;
    uint64_t frames[2];
    struct dms_request r = {.major = IRP_MJ_DEVICE_CONTROL, .ioctl = IOCTL_LEGACY_WRITE,
                            .in = &fill, .in_length = 1};

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 64 * GIB;
    cfg.soc_dma_channels = 2;
    cfg.soc_dma_request_lines = SDMA_LINE + 1;
    m = machine_with(&cfg);
    ioctl_done = 0;
    ck_assert_int_eq(dms_driver_load(m, "lsd", DriverEntry, &drv), STATUS_SUCCESS);
    f = dms_file_open(m, "\\\\.\\DmaTest", &status);
    ck_assert_ptr_nonnull(f);
    r.file = f;
    for (int round = 0; round < 2; round++) {
        fill = round == 0 ? 0xDA : 0x5E;
        ioctl_done = 0;
        got = 0;
        /* the dispatch routine waits for the device: not done when the send returns */
        ck_assert_int_eq(dms_irp_send(f->DeviceObject, &r, on_ioctl, NULL), STATUS_PENDING);
        ck_assert_int_eq(ioctl_done, 0);
        /* the FIFO asserts its request line until the channel has nothing more to move */
        for (int i = 0; i < 64 && ioctl_done == 0; i++) {
            uint32_t moved = 0;
            int tc = 0;
            ck_assert_int_eq(dms_sysdma_request_line(m, SDMA_LINE, SDMA_FIFO, fifo + got, 1024,
                                                     1, &moved, &tc), 0);
            got += moved;
            dms_machine_run_pending(m);
        }
        ck_assert_int_eq(ioctl_done, 1);
        ck_assert_int_eq(ioctl_status, STATUS_SUCCESS);
        ck_assert_uint_eq(got, SDMA_BYTES);
        for (uint32_t i = 0; i < got; i++)
            ck_assert_uint_eq(fifo[i], fill);
        /* what the request allocated went back: the second leaves what the first left */
        frames[round] = dms_machine_frames_in_use(m);
    }
    ck_assert_uint_eq(frames[0], frames[1]);
    /* a line no channel serves moves nothing; a line the controller lacks is refused */
    ck_assert_int_eq(dms_sysdma_request_line(m, 3, SDMA_FIFO, fifo, 4, 1, &got, NULL), 0);
    ck_assert_uint_eq(got, 0);
    ck_assert_int_eq(dms_sysdma_request_line(m, SDMA_LINE + 1, 0, fifo, 4, 1, &got, NULL),
                     DMS_EINVAL);
    ck_assert_int_eq(dms_file_close(f), STATUS_SUCCESS);
    dms_driver_unload(drv);
    ck_assert_ptr_null(dms_file_open(m, "\\\\.\\DmaTest", &status)); /* Unload took the link */
    ck_assert_uint_eq(dms_finding_count(m), 0);
    machine_done(m);
}
END_TEST

static Suite *legacy_suite(void)
{
    Suite *s = suite_create("hal/legacy_driver");
    TCase *tc = tcase_create("legacy_driver");

    tcase_add_test(tc, test_legacy_ioctl_system_dma);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(legacy_suite);
}
