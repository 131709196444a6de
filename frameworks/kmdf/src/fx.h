/*
 * fx.h - the KMDF front-end's own state, for its files:
 *
 *   object.c   handles, attributes, contexts, parents, reference counts, deletion, findings
 *   driver.c   WDFDRIVER, the WDM dispatch the framework installs, AddDevice, WDFDEVICE and its
 *              PnP/power sequence, resource lists
 *   queue.c    I/O queues (sequential, parallel, manual dispatch) and requests over IRPs
 *
 * Built on the HAL's public interface only (dmasim/wdm.h, dmasim/hal.h), as the real framework
 * is built on the kernel. Its state lives on the machine (dms_machine_framework), so runs on
 * other threads never share it.
 */
#ifndef DMASIM_KMDF_FX_H
#define DMASIM_KMDF_FX_H

#include <stdbool.h>
#include <stdint.h>

#include "dmasim/hal.h"
#include "dmasim/wdf.h"

enum fx_type {
    FX_ANY = 0, /* fx_get: any type */
    FX_GENERIC,
    FX_DRIVER,
    FX_DEVICE,
    FX_QUEUE,
    FX_REQUEST,
    FX_CMRESLIST,
    FX_INTERRUPT,
    FX_DMA_ENABLER,
    FX_DMA_TRANSACTION,
    FX_COMMON_BUFFER,
    FX_TYPE_COUNT
};

struct fx_context {
    struct fx_context *next;
    struct fx_object *owner;
    PCWDF_OBJECT_CONTEXT_TYPE_INFO type;
    PFN_WDF_OBJECT_CONTEXT_CLEANUP cleanup;
    PFN_WDF_OBJECT_CONTEXT_DESTROY destroy;
    size_t size;
    _Alignas(16) unsigned char data[]; /* what the driver sees */
};

/* Every framework object begins with this header. */
struct fx_object {
    enum fx_type type;
    WDFOBJECT handle;
    uint32_t slot;
    struct fx_object *parent, *children, *last_child, *next_sibling, *prev_sibling;
    PFN_WDF_OBJECT_CONTEXT_CLEANUP cleanup;
    PFN_WDF_OBJECT_CONTEXT_DESTROY destroy;
    WDF_EXECUTION_LEVEL execution_level;
    WDF_SYNCHRONIZATION_SCOPE sync_scope;
    LONG refs;
    bool deleted;      /* WdfObjectDelete (or its parent's) ran: methods are refused */
    bool cleaned;      /* its cleanup callbacks ran */
    bool driver_may_delete;
    struct fx_context *contexts;
    void (*release)(struct fx_object *o); /* the type's own teardown, before it is freed */
    /* what must go back even when the machine takes the object: to the HAL (a queued DPC in
     * the object's memory), before the kernel's own teardown, or to the host (its own
     * allocations) */
    void (*machine_gone)(struct fx_object *o);
};

struct fx_driver;
struct fx_device;
struct fx_cmreslist;
struct fx_interrupt;
struct fx_dma_enabler;

struct fx_slot {
    struct fx_object *obj; /* NULL: free */
    uint16_t gen;
    uint32_t next_free;
};

struct fx_state {
    struct dms_machine *m;
    struct fx_slot *slots;
    uint32_t n_slots, cap_slots, free_head; /* free_head UINT32_MAX: none */
    struct fx_driver *drivers;
    uint64_t live;                         /* objects not yet freed */
};

/* The machine's framework state, made on first use (NULL only when the host is out of memory). */
struct fx_state *fx_state(void);

/* Make an object of type in a zeroed block of size bytes (the header first), with the driver's
 * attributes (may be NULL) and the parent it gets when they name none. Returns the object, or
 * NULL with *status saying why (a finding made where the driver's input was wrong). */
struct fx_object *fx_create(enum fx_type type, size_t size, const char *routine,
                            PWDF_OBJECT_ATTRIBUTES attributes, struct fx_object *default_parent,
                            NTSTATUS *status);
/* The object behind a handle, of type (FX_ANY: any); NULL, and a WDF_VIOLATION finding in
 * routine's name, when the handle is NULL, no object's, another type's, or deleted (unless
 * allow_deleted: reference counting and contexts stay usable until the object is freed). */
struct fx_object *fx_get(WDFOBJECT handle, enum fx_type type, const char *routine,
                         bool allow_deleted);
/* Delete o and its children, as WdfObjectDelete does (cleanup callbacks children first, then
 * the references dropped and destroy callbacks, children first). */
void fx_delete(struct fx_object *o);
void fx_reference(struct fx_object *o);
void fx_dereference(struct fx_object *o, const char *routine);
/* The effective synchronisation scope and execution level (InheritFromParent resolved). */
WDF_SYNCHRONIZATION_SCOPE fx_sync_scope(const struct fx_object *o);
WDF_EXECUTION_LEVEL fx_execution_level(const struct fx_object *o);
const char *fx_type_name(enum fx_type type);

/* A WDF_VIOLATION finding (DMS_BUGCHECK_10D(code)) in routine's name. */
void fx_violation(const char *routine, uint32_t code, uint64_t p2, uint64_t p3,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- driver.c ------------------------------------------------------------------------------ */
struct fx_driver {
    struct fx_object obj;
    struct fx_driver *next;
    PDRIVER_OBJECT wdm;
    WDF_DRIVER_CONFIG config;
    struct fx_device *devices;
};

struct WDFDEVICE_INIT {
    struct fx_driver *driver;
    PDEVICE_OBJECT pdo;
    WDF_DEVICE_IO_TYPE io_type;
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    DEVICE_TYPE device_type;
    ULONG characteristics;
    BOOLEAN exclusive;
};

enum fx_pnp_state { FX_PNP_ADDED, FX_PNP_STARTED, FX_PNP_REMOVED };

struct fx_device {
    struct fx_object obj;
    struct fx_device *next;
    struct fx_driver *driver;
    PDEVICE_OBJECT wdm, pdo, lower;
    WDF_DEVICE_IO_TYPE io_type;
    WDF_PNPPOWER_EVENT_CALLBACKS pnp;
    enum fx_pnp_state state;
    struct fx_cmreslist *translated; /* the start's, for EvtDeviceReleaseHardware */
    struct fx_queue *queues, *default_queue;
    /* the queue of each request type (WdfDeviceConfigureRequestDispatching) */
    struct fx_queue *dispatch[IRP_MJ_MAXIMUM_FUNCTION + 1];
    KSPIN_LOCK sync_lock; /* WdfSynchronizationScopeDevice */
    bool sync_held;
    WDF_DEVICE_POWER_POLICY_IDLE_SETTINGS idle;
    WDF_DEVICE_POWER_POLICY_WAKE_SETTINGS wake;
    uint32_t interfaces;
    struct fx_interrupt *interrupts; /* in creation order: the n-th takes the n-th resource */
    struct fx_dma_enabler *enablers;
    struct fx_request *owned; /* the requests the driver holds (presented, not completed) */
};

struct fx_device *fx_device_of(PDEVICE_OBJECT wdm);

/* ---- interrupt.c --------------------------------------------------------------------------- */
/* Connect d's interrupts to their resources and enable them (after EvtDeviceD0Entry); disable
 * and disconnect them (before EvtDeviceD0Exit). */
NTSTATUS fx_interrupts_connect(struct fx_device *d, PCM_RESOURCE_LIST translated);
void fx_interrupts_disconnect(struct fx_device *d);

/* ---- dma.c --------------------------------------------------------------------------------- */
/* The enablers' power callbacks: Fill, Enable, SelfManagedIoStart entering D0 (up; a failure
 * keeps the device out of D0), the reverse leaving it. */
NTSTATUS fx_dma_power(struct fx_device *d, bool up);

/* ---- queue.c ------------------------------------------------------------------------------- */
enum fx_request_state { FX_REQ_QUEUED, FX_REQ_PRESENTED, FX_REQ_COMPLETED };

struct fx_request {
    struct fx_object obj;
    struct fx_request *next; /* in its queue, while queued */
    PIRP irp;
    struct fx_device *device;
    struct fx_queue *queue;
    WDF_REQUEST_TYPE type;
    enum fx_request_state state;
    ULONG_PTR information;
    PMDL own_mdl; /* built over a buffered request's system buffer (WdfRequestRetrieve*WdmMdl) */
    /* cancellation: marked cancelable by the driver (WdfRequestMarkCancelable*), with its
     * EvtRequestCancel; cancel_called once the framework called it; delivered once the driver
     * has had the request (a forwarded request cancelled in a queue goes to
     * EvtIoCanceledOnQueue, an undelivered one is completed by the framework) */
    bool cancelable, cancel_called, delivered;
    PFN_WDF_REQUEST_CANCEL evt_cancel;
    struct fx_request *owned_next; /* on its device's owned list, while the driver holds it */
    bool owned;
    bool stopping; /* EvtIoStop called, WdfRequestStopAcknowledge not yet */
};

struct fx_queue {
    struct fx_object obj;
    struct fx_queue *next; /* the device's */
    struct fx_device *device;
    WDF_IO_QUEUE_CONFIG config;
    struct fx_request *head, *tail;
    ULONG presented;
    bool dispatching, started;
    KSPIN_LOCK lock; /* WdfSynchronizationScopeQueue */
    bool lock_held;
};

/* The framework's dispatch of an I/O IRP to the device's queues: STATUS_PENDING once queued. */
NTSTATUS fx_queue_irp(struct fx_device *d, PIRP irp);
/* Start every queue of d (after D0Entry), or fail what waits in them (at removal). */
void fx_queues_start(struct fx_device *d);
void fx_queues_purge(struct fx_device *d, NTSTATUS status);
/* The device is being removed: EvtIoStop (WdfRequestStopActionPurge) for each request the
 * driver holds from a queue that has one, before the queues are purged. */
void fx_queues_stop(struct fx_device *d);
/* The MDL and length of a request's buffer for a DMA transaction in direction dir, as
 * WdfDmaTransactionInitializeUsingRequest takes them (STATUS_INVALID_DEVICE_REQUEST for a
 * direction the request does not go, or no buffer). */
struct fx_request;
NTSTATUS fx_request_dma_buffer(struct fx_request *r, WDF_DMA_DIRECTION dir, PMDL *mdl,
                               size_t *length);

#endif
