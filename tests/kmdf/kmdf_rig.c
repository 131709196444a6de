/*
 * kmdf_rig.c - the KMDF suites' shared rig (kmdf_rig.h).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "kmdf_rig.h"

static uint64_t reg_read(void *ctx, uint64_t offset, unsigned bytes)
{
    (void)ctx;
    (void)offset;
    (void)bytes;
    return 0;
}

static void reg_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    (void)ctx;
    (void)offset;
    (void)bytes;
    (void)value;
}

static const struct dms_register_ops regs = {reg_read, reg_write};

void rig_up(struct rig *r, uint64_t ram, enum dms_placement placement, unsigned resources,
            const char *name, PDRIVER_INITIALIZE entry, size_t buffer_bytes)
{
    memset(r, 0, sizeof(*r));
    r->m = machine_new(ram, placement);
    r->pdo = dms_device_create(r->m, "card", 0);
    ck_assert_ptr_nonnull(r->pdo);
    if (resources & RIG_BAR)
        ck_assert_int_eq(dms_device_add_memory(r->pdo, 0xF0000000u, 0x200, &regs, NULL), 0);
    if (resources & RIG_INTERRUPT)
        ck_assert_int_eq(dms_device_add_interrupt(r->pdo, LevelSensitive), 0);
    ck_assert_int_eq(dms_driver_load(r->m, name, entry, &r->drv), STATUS_SUCCESS);
    ck_assert_int_eq(dms_driver_add_device(r->drv, r->pdo), STATUS_SUCCESS);
    ck_assert_int_eq(dms_pnp_start(r->pdo), STATUS_SUCCESS);
    if (buffer_bytes > 0) {
        r->buf = dms_buffer_alloc(r->m, r->pdo, buffer_bytes);
        ck_assert_ptr_nonnull(r->buf);
    }
}

void rig_down(struct rig *r)
{
    if (r->buf != NULL)
        ExFreePool(r->buf);
    machine_done(r->m);
}

void on_done(void *ctx, NTSTATUS status, ULONG_PTR information)
{
    struct sent *s = ctx;

    s->done++;
    s->status = status;
    s->information = information;
}

void log_call(char *buf, size_t cap, const char *what)
{
    size_t at = strlen(buf);

    snprintf(buf + at, cap - at, "%s ", what);
}
