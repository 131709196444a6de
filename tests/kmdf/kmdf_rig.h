/*
 * kmdf_rig.h - what the KMDF suites share: a card's PDO (a register BAR and an interrupt line,
 * or neither) with a KMDF driver loaded, added and started on it; requests sent as the I/O
 * manager sends them, and what their completion said; a log of the callbacks a driver ran.
 */
#ifndef DMASIM_TEST_KMDF_RIG_H
#define DMASIM_TEST_KMDF_RIG_H

#include <stdbool.h>
#include <stddef.h>

#include "helpers.h"

struct rig {
    struct dms_machine *m;
    PDEVICE_OBJECT pdo;
    PDRIVER_OBJECT drv;
    uint8_t *buf;          /* buffer_bytes of nonpaged memory the card owns (or NULL) */
};

enum rig_resources { RIG_NONE = 0, RIG_BAR = 1, RIG_INTERRUPT = 2 };

/* A machine of ram bytes, the card "card" with the resources asked for (a 0x200-byte register
 * BAR at 0xF000_0000 that reads 0, a level-sensitive interrupt), the driver entry loaded as
 * name, AddDevice and the start done; every step asserted. */
void rig_up(struct rig *r, uint64_t ram, enum dms_placement placement, unsigned resources,
            const char *name, PDRIVER_INITIALIZE entry, size_t buffer_bytes);
void rig_down(struct rig *r);

/* A request's completion: how many times it completed, and with what. */
struct sent {
    int done;
    NTSTATUS status;
    ULONG_PTR information;
};

/* dms_irp_done_fn for a struct sent */
void on_done(void *ctx, NTSTATUS status, ULONG_PTR information);

/* Append "what " to the log buf of cap bytes. */
void log_call(char *buf, size_t cap, const char *what);

#endif
