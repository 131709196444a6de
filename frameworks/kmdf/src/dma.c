/*
 * dma.c - the DMA enabler, DMA transactions and common buffers, on the HAL's DMA_OPERATIONS
 * the way the framework drives them (wdfdmaenabler.h, wdfdmatransaction.h, wdfcommonbuffer.h;
 * the staging rules of ../shared/reference/kmdf-avstream.md A5).
 *
 * The enabler describes the device to IoGetDmaAdapter from its profile (scatter/gather or
 * packet, 32- or 64-bit, one adapter or one per direction), the configured version and
 * address width, and keeps what the HAL granted: the map registers of each adapter, and from
 * them the fragment length, min(MaximumLength, (map registers - 1) pages).
 *
 * A transaction walks its buffer in stages. Each stage is at most the fragment length (or
 * what SetMaximumLength lowered it to), trimmed so its pages fit the map registers, and must
 * not need more scatter/gather elements than the enabler allows. A scatter/gather stage is
 * mapped with BuildScatterGatherList(Ex) into the transaction's own list buffer (or
 * GetScatterGatherList(Ex) under NO_SGLIST_PREALLOCATION) and given back with
 * PutScatterGatherList; a packet transaction allocates its adapter channel once
 * (AllocateAdapterChannel(Ex), keeping the map registers) and maps each stage with
 * MapTransfer(Ex), flushes it with FlushAdapterBuffers(Ex), and frees the map registers at the
 * end. EvtProgramDma gets each stage at DISPATCH_LEVEL; DmaCompleted* ends the stage and either
 * programs the next (FALSE, STATUS_MORE_PROCESSING_REQUIRED) or ends the transaction (TRUE).
 *
 * The system profiles (KMDF 1.11) drive a system DMA controller's channel for a subordinate
 * device: the enabler has no adapter until WdfDmaEnablerConfigureSystemProfile describes the
 * channel (version 3, not a bus master, the request line or channel of the DMA resource, the
 * device register and its width); a transaction takes the channel once
 * (AllocateAdapterChannelEx, KeepObject), maps each stage with MapTransferEx to the device
 * register with a DmaCompletionRoutine, and when the controller finishes the stage the
 * framework calls the driver's EvtDmaTransactionDmaTransferComplete, from which it calls
 * DmaCompleted*; the channel is given back with FreeAdapterChannel.
 */
#include <stdlib.h>
#include <string.h>

#include "fx.h"

enum { DIR_READ = 0, DIR_WRITE = 1 };

struct fx_dma_enabler {
    struct fx_object obj;
    struct fx_dma_enabler *next; /* the device's */
    struct fx_device *device;
    WDF_DMA_ENABLER_CONFIG config;
    bool sg, duplex;
    ULONG version;                      /* of the DEVICE_DESCRIPTION: 2 or 3 */
    PDMA_ADAPTER adapter[2];            /* by direction; the same one unless duplex */
    ULONG map_registers[2];
    ULONG sg_list_size[2];
    size_t fragment_length[2];
    size_t max_sg_elements;
    ULONG alignment;                    /* of its common buffers: one less than the boundary */
    bool system;                        /* a system profile: adapters once configured */
    bool configured[2];                 /* system: WdfDmaEnablerConfigureSystemProfile done */
};

enum tx_state { TX_CREATED, TX_INITIALIZED, TX_TRANSFER, TX_DONE, TX_RELEASED };

struct fx_dma_transaction {
    struct fx_object obj;
    struct fx_dma_enabler *enabler;
    enum tx_state state;
    PFN_WDF_PROGRAM_DMA program;
    WDF_DMA_DIRECTION direction;
    WDFCONTEXT context;
    WDFREQUEST request;                 /* InitializeUsingRequest's, until Release: a handle,
                                         * as the request may be completed and gone by then */
    bool request_referenced;            /* from Execute to the transaction's end */
    PMDL mdl;                           /* the transaction's first MDL */
    size_t offset, length;              /* into the MDL chain */
    size_t remaining, transferred;
    PMDL stage_mdl;                     /* where the current stage begins */
    size_t stage_offset, stage_length;
    size_t max_stage;
    unsigned stage_number;              /* the current stage's, from 1 (the call trace's) */
    bool single, single_set;
    /* scatter/gather */
    PVOID list_buffer;                  /* the preallocated list (BuildScatterGatherList) */
    ULONG list_buffer_length;
    PSCATTER_GATHER_LIST list;          /* the current stage's, until Put */
    /* packet */
    PVOID map_register_base;
    ULONG map_registers;                /* what the channel was allocated with */
    bool channel;                       /* the channel's map registers are held */
    size_t stage_mapped;                /* what MapTransfer(Ex) mapped of the stage, until it
                                         * is flushed (a partial completion counts fewer) */
    _Alignas(16) UCHAR packet_list[sizeof(SCATTER_GATHER_LIST) + sizeof(SCATTER_GATHER_ELEMENT)];
    _Alignas(16) UCHAR transfer_context[DMA_TRANSFER_CONTEXT_SIZE_V1]; /* version 3 */
    /* system profiles */
    PFN_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE transfer_complete;
    PVOID transfer_complete_context;
    ULONG device_offset;                /* from the profile's DeviceAddress */
    bool stopped;                       /* WdfDmaTransactionStopSystemTransfer */
};

struct fx_common_buffer {
    struct fx_object obj;
    struct fx_dma_enabler *enabler;
    PVOID va;                           /* what AllocateCommonBuffer gave */
    PHYSICAL_ADDRESS la;
    ULONG allocated;
    PVOID aligned_va;
    PHYSICAL_ADDRESS aligned_la;
    size_t length;
};

static int dir_index(WDF_DMA_DIRECTION d)
{
    return d == WdfDmaDirectionWriteToDevice ? DIR_WRITE : DIR_READ;
}

static bool irql_at_most(KIRQL level, const char *routine)
{
    if (KeGetCurrentIrql() <= level)
        return true;
    dms_report_finding(dms_machine_current(), routine, DMS_E6_WRONG_IRQL, KeGetCurrentIrql(),
                       level, 0, "%s at IRQL %u (it may be called at %s only)", routine,
                       (unsigned)KeGetCurrentIrql(),
                       level == PASSIVE_LEVEL ? "PASSIVE_LEVEL" : "DISPATCH_LEVEL or below");
    return false;
}

/* ---------------------------------------------------------------------------------------------
 * The enabler.
 */
static void enabler_release(struct fx_object *o)
{
    struct fx_dma_enabler *e = (struct fx_dma_enabler *)o;
    struct fx_dma_enabler **p = &e->device->enablers;

    for (int k = 0; k < 2; k++)
        if (e->adapter[k] != NULL && (k == DIR_READ || e->adapter[k] != e->adapter[DIR_READ]))
            e->adapter[k]->DmaOperations->PutDmaAdapter(e->adapter[k]);
    e->adapter[DIR_READ] = e->adapter[DIR_WRITE] = NULL;
    while (*p != NULL && *p != e)
        p = &(*p)->next;
    if (*p == e)
        *p = e->next;
}

/* The DEVICE_DESCRIPTION the framework builds for the profile (A5.1). */
static NTSTATUS describe(struct fx_dma_enabler *e, DEVICE_DESCRIPTION *dd, const char *routine)
{
    const WDF_DMA_ENABLER_CONFIG *c = &e->config;
    bool wide = c->Profile == WdfDmaProfilePacket64 || c->Profile == WdfDmaProfileScatterGather64 ||
                c->Profile == WdfDmaProfileScatterGather64Duplex;

    memset(dd, 0, sizeof(*dd));
    dd->Version = DEVICE_DESCRIPTION_VERSION2;
    dd->Master = TRUE;
    dd->Dma32BitAddresses = TRUE;
    dd->Dma64BitAddresses = wide;
    dd->ScatterGather = e->sg;
    dd->InterfaceType = PCIBus;
    dd->MaximumLength = c->MaximumLength > 0xFFFFFFFFu ? 0xFFFFFFFFu : (ULONG)c->MaximumLength;
    if (c->AddressWidthOverride != 0) {
        if (c->AddressWidthOverride < 24 || c->AddressWidthOverride > 63 ||
            (!wide && c->AddressWidthOverride > 32)) {
            fx_violation(routine, 0x4, c->AddressWidthOverride, 0,
                         "%s: AddressWidthOverride %u (24..63, and at most 32 for a 32-bit "
                         "profile)", routine, (unsigned)c->AddressWidthOverride);
            return STATUS_INVALID_PARAMETER;
        }
        dd->Version = DEVICE_DESCRIPTION_VERSION3;
        dd->DmaAddressWidth = c->AddressWidthOverride;
    }
    if (c->WdmDmaVersionOverride != 0) {
        if (c->WdmDmaVersionOverride < dd->Version ||
            c->WdmDmaVersionOverride > DEVICE_DESCRIPTION_VERSION3) {
            fx_violation(routine, 0x4, c->WdmDmaVersionOverride, dd->Version,
                         "%s: WdmDmaVersionOverride %u (the profile needs at least %u; 3 is the "
                         "newest)", routine, (unsigned)c->WdmDmaVersionOverride,
                         (unsigned)dd->Version);
            return STATUS_INVALID_PARAMETER;
        }
        dd->Version = c->WdmDmaVersionOverride;
    }
    if (dd->Version >= DEVICE_DESCRIPTION_VERSION3 && dd->DmaAddressWidth == 0)
        dd->DmaAddressWidth = dd->Dma64BitAddresses ? 64 : dd->Dma32BitAddresses ? 32 : 24;
    if ((c->Flags & WDF_DMA_ENABLER_CONFIG_REQUIRE_SINGLE_TRANSFER) &&
        dd->Version < DEVICE_DESCRIPTION_VERSION3) {
        fx_violation(routine, 0x4, 0, 0, "%s: REQUIRE_SINGLE_TRANSFER needs DMA version 3 "
                     "(WdmDmaVersionOverride = 3)", routine);
        return STATUS_INVALID_PARAMETER;
    }
    e->version = dd->Version;
    return STATUS_SUCCESS;
}

static NTSTATUS enabler_adapters(struct fx_dma_enabler *e, DEVICE_DESCRIPTION *dd)
{
    for (int k = 0; k < (e->duplex ? 2 : 1); k++) {
        ULONG n = 0, size = 0, regs = 0;
        PDMA_ADAPTER a = IoGetDmaAdapter(e->device->pdo, dd, &n);
        if (a == NULL)
            return STATUS_UNSUCCESSFUL;
        e->adapter[k] = a;
        e->map_registers[k] = n;
        if (e->sg && a->DmaOperations->CalculateScatterGatherList(
                         a, NULL, NULL, n * PAGE_SIZE, &size, &regs) == STATUS_SUCCESS)
            e->sg_list_size[k] = size;
        else
            e->sg_list_size[k] =
                (ULONG)(sizeof(SCATTER_GATHER_LIST) + (n + 1) * sizeof(SCATTER_GATHER_ELEMENT));
        /* a stage at any page offset fits the map registers: one page of them is kept back */
        e->fragment_length[k] = (size_t)(n > 1 ? n - 1 : 1) << PAGE_SHIFT;
        if (e->fragment_length[k] > e->config.MaximumLength)
            e->fragment_length[k] = e->config.MaximumLength;
    }
    if (!e->duplex) {
        e->adapter[DIR_WRITE] = e->adapter[DIR_READ];
        e->map_registers[DIR_WRITE] = e->map_registers[DIR_READ];
        e->sg_list_size[DIR_WRITE] = e->sg_list_size[DIR_READ];
        e->fragment_length[DIR_WRITE] = e->fragment_length[DIR_READ];
    }
    return STATUS_SUCCESS;
}

NTSTATUS WdfDmaEnablerCreate(WDFDEVICE Device, PWDF_DMA_ENABLER_CONFIG Config,
                             PWDF_OBJECT_ATTRIBUTES Attributes, WDFDMAENABLER *DmaEnablerHandle)
{
    static const char routine[] = "WdfDmaEnablerCreate";
    struct fx_device *d = (struct fx_device *)fx_get(Device, FX_DEVICE, routine, false);
    WDF_OBJECT_ATTRIBUTES a;
    struct fx_dma_enabler *e;
    DEVICE_DESCRIPTION dd;
    NTSTATUS status;
    ULONG align;

    if (DmaEnablerHandle != NULL)
        *DmaEnablerHandle = NULL;
    if (d == NULL)
        return STATUS_INVALID_HANDLE;
    if (!irql_at_most(PASSIVE_LEVEL, routine))
        return STATUS_INVALID_DEVICE_STATE;
    if (Config == NULL || DmaEnablerHandle == NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: %s is NULL", routine,
                     Config == NULL ? "Config" : "DmaEnablerHandle");
        return STATUS_INVALID_PARAMETER;
    }
    if (Config->Size != sizeof(WDF_DMA_ENABLER_CONFIG))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (Config->Profile <= WdfDmaProfileInvalid || Config->Profile > WdfDmaProfileSystemDuplex)
        return STATUS_INVALID_PARAMETER;
    if ((Config->Profile == WdfDmaProfileSystem || Config->Profile == WdfDmaProfileSystemDuplex) &&
        Config->AddressWidthOverride != 0) {
        fx_violation(routine, 0x4, Config->AddressWidthOverride, 0, "%s: AddressWidthOverride "
                     "must be 0 for a system profile", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (Config->MaximumLength == 0) {
        fx_violation(routine, 0x4, 0, 0, "%s: MaximumLength is 0", routine);
        return STATUS_INVALID_PARAMETER;
    }
    /* the device is always the parent; a ParentObject in the attributes is ignored */
    if (Attributes != NULL) {
        a = *Attributes;
        a.ParentObject = NULL;
        Attributes = &a;
    }
    e = (struct fx_dma_enabler *)fx_create(FX_DMA_ENABLER, sizeof(*e), routine, Attributes,
                                           &d->obj, &status);
    if (e == NULL)
        return status;
    e->obj.release = enabler_release;
    e->device = d;
    e->config = *Config;
    e->max_sg_elements = WDF_DMA_ENABLER_UNLIMITED_FRAGMENTS;
    e->sg = Config->Profile == WdfDmaProfileScatterGather ||
            Config->Profile == WdfDmaProfileScatterGather64 ||
            Config->Profile == WdfDmaProfileScatterGatherDuplex ||
            Config->Profile == WdfDmaProfileScatterGather64Duplex;
    e->duplex = Config->Profile == WdfDmaProfileScatterGatherDuplex ||
                Config->Profile == WdfDmaProfileScatterGather64Duplex ||
                Config->Profile == WdfDmaProfileSystemDuplex;
    e->system = Config->Profile == WdfDmaProfileSystem ||
                Config->Profile == WdfDmaProfileSystemDuplex;
    e->next = d->enablers;
    d->enablers = e;
    if (e->system) {
        /* partly initialised: the channel comes with WdfDmaEnablerConfigureSystemProfile */
        e->version = DEVICE_DESCRIPTION_VERSION3;
        e->alignment = d->wdm->AlignmentRequirement;
        *DmaEnablerHandle = (WDFDMAENABLER)e->obj.handle;
        return STATUS_SUCCESS;
    }
    status = describe(e, &dd, routine);
    if (NT_SUCCESS(status))
        status = enabler_adapters(e, &dd);
    if (!NT_SUCCESS(status)) {
        fx_delete(&e->obj);
        return status;
    }
    align = e->adapter[DIR_READ]->DmaOperations->GetDmaAlignment(e->adapter[DIR_READ]);
    e->alignment = d->wdm->AlignmentRequirement;
    if (align > 0 && align - 1 > e->alignment)
        e->alignment = align - 1;
    *DmaEnablerHandle = (WDFDMAENABLER)e->obj.handle;
    return STATUS_SUCCESS;
}

static struct fx_dma_enabler *enabler_get(WDFDMAENABLER h, const char *routine);

NTSTATUS WdfDmaEnablerConfigureSystemProfile(WDFDMAENABLER DmaEnabler,
                                             PWDF_DMA_SYSTEM_PROFILE_CONFIG ProfileConfig,
                                             WDF_DMA_DIRECTION ConfigDirection)
{
    static const char routine[] = "WdfDmaEnablerConfigureSystemProfile";
    struct fx_dma_enabler *e = enabler_get(DmaEnabler, routine);
    PCM_PARTIAL_RESOURCE_DESCRIPTOR desc;
    DEVICE_DESCRIPTION dd;
    PDMA_ADAPTER a;
    ULONG n = 0;
    int k;

    if (e == NULL)
        return STATUS_INVALID_HANDLE;
    if (!irql_at_most(PASSIVE_LEVEL, routine))
        return STATUS_INVALID_DEVICE_STATE;
    if (ProfileConfig == NULL)
        return STATUS_INVALID_PARAMETER;
    if (ProfileConfig->Size != sizeof(WDF_DMA_SYSTEM_PROFILE_CONFIG))
        return STATUS_INFO_LENGTH_MISMATCH;
    desc = ProfileConfig->DmaDescriptor;
    if (desc == NULL || desc->Type != CmResourceTypeDma ||
        (e->duplex && ConfigDirection != WdfDmaDirectionReadFromDevice &&
         ConfigDirection != WdfDmaDirectionWriteToDevice)) {
        fx_violation(routine, 0x4, 0, 0, "%s: %s", routine,
                     desc == NULL ? "no DmaDescriptor"
                     : desc->Type != CmResourceTypeDma
                         ? "the DmaDescriptor is not a CmResourceTypeDma resource"
                         : "no WDF_DMA_DIRECTION for a duplex enabler");
        return STATUS_INVALID_PARAMETER;
    }
    if (!e->system) {
        fx_violation(routine, 0x4, e->config.Profile, 0, "%s of an enabler whose profile is not "
                     "WdfDmaProfileSystem or WdfDmaProfileSystemDuplex", routine);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    k = e->duplex ? dir_index(ConfigDirection) : DIR_READ;
    if (e->configured[k]) {
        fx_violation(routine, 0x4, 0, 0, "%s: the %s configured already", routine,
                     e->duplex ? "direction is" : "enabler is");
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    memset(&dd, 0, sizeof(dd));
    dd.Version = DEVICE_DESCRIPTION_VERSION3;
    dd.Master = FALSE;
    dd.DemandMode = ProfileConfig->DemandMode;
    dd.AutoInitialize = ProfileConfig->LoopedTransfer;
    dd.DmaWidth = ProfileConfig->DmaWidth;
    dd.DeviceAddress = ProfileConfig->DeviceAddress;
    dd.MaximumLength = e->config.MaximumLength > 0xFFFFFFFFu ? 0xFFFFFFFFu
                                                             : (ULONG)e->config.MaximumLength;
    if (desc->Flags & CM_RESOURCE_DMA_V3) {
        dd.DmaChannel = desc->u.DmaV3.Channel;
        dd.DmaRequestLine = desc->u.DmaV3.RequestLine;
    } else {
        dd.DmaChannel = desc->u.Dma.Channel;
        dd.DmaPort = desc->u.Dma.Port;
    }
    a = IoGetDmaAdapter(e->device->pdo, &dd, &n);
    if (a == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    e->adapter[k] = a;
    e->map_registers[k] = n;
    /* MapTransferEx gives one element a map register at most */
    e->sg_list_size[k] =
        (ULONG)(sizeof(SCATTER_GATHER_LIST) + (n + 1) * sizeof(SCATTER_GATHER_ELEMENT));
    e->fragment_length[k] = (size_t)(n > 1 ? n - 1 : 1) << PAGE_SHIFT;
    if (e->fragment_length[k] > e->config.MaximumLength)
        e->fragment_length[k] = e->config.MaximumLength;
    e->configured[k] = true;
    if (!e->duplex) {
        e->adapter[DIR_WRITE] = a;
        e->map_registers[DIR_WRITE] = n;
        e->sg_list_size[DIR_WRITE] = e->sg_list_size[DIR_READ];
        e->fragment_length[DIR_WRITE] = e->fragment_length[DIR_READ];
        e->configured[DIR_WRITE] = true;
    }
    return STATUS_SUCCESS;
}

static struct fx_dma_enabler *enabler_get(WDFDMAENABLER h, const char *routine)
{
    return (struct fx_dma_enabler *)fx_get(h, FX_DMA_ENABLER, routine, false);
}

size_t WdfDmaEnablerGetMaximumLength(WDFDMAENABLER DmaEnabler)
{
    struct fx_dma_enabler *e = enabler_get(DmaEnabler, "WdfDmaEnablerGetMaximumLength");

    return e != NULL ? e->config.MaximumLength : 0;
}

size_t WdfDmaEnablerGetMaximumScatterGatherElements(WDFDMAENABLER DmaEnabler)
{
    struct fx_dma_enabler *e =
        enabler_get(DmaEnabler, "WdfDmaEnablerGetMaximumScatterGatherElements");

    return e != NULL ? e->max_sg_elements : 0;
}

VOID WdfDmaEnablerSetMaximumScatterGatherElements(WDFDMAENABLER DmaEnabler,
                                                  size_t MaximumFragments)
{
    static const char routine[] = "WdfDmaEnablerSetMaximumScatterGatherElements";
    struct fx_dma_enabler *e = enabler_get(DmaEnabler, routine);

    if (e == NULL || !irql_at_most(PASSIVE_LEVEL, routine))
        return;
    if (MaximumFragments == 0) {
        fx_violation(routine, 0x4, 0, 0, "%s: 0 elements", routine);
        return;
    }
    e->max_sg_elements = MaximumFragments;
}

size_t WdfDmaEnablerGetFragmentLength(WDFDMAENABLER DmaEnabler, WDF_DMA_DIRECTION DmaDirection)
{
    struct fx_dma_enabler *e = enabler_get(DmaEnabler, "WdfDmaEnablerGetFragmentLength");

    if (e == NULL || (DmaDirection != WdfDmaDirectionReadFromDevice &&
                      DmaDirection != WdfDmaDirectionWriteToDevice))
        return 0;
    return e->fragment_length[dir_index(DmaDirection)];
}

PDMA_ADAPTER WdfDmaEnablerWdmGetDmaAdapter(WDFDMAENABLER DmaEnabler,
                                           WDF_DMA_DIRECTION DmaDirection)
{
    struct fx_dma_enabler *e = enabler_get(DmaEnabler, "WdfDmaEnablerWdmGetDmaAdapter");

    if (e == NULL || (DmaDirection != WdfDmaDirectionReadFromDevice &&
                      DmaDirection != WdfDmaDirectionWriteToDevice))
        return NULL;
    return e->adapter[dir_index(DmaDirection)];
}

NTSTATUS fx_dma_power(struct fx_device *d, bool up)
{
    for (struct fx_dma_enabler *e = d->enablers; e != NULL; e = e->next) {
        WDFDMAENABLER h = (WDFDMAENABLER)e->obj.handle;
        const WDF_DMA_ENABLER_CONFIG *c = &e->config;
        NTSTATUS status = STATUS_SUCCESS;
        if (up) {
            if (c->EvtDmaEnablerFill != NULL)
                status = c->EvtDmaEnablerFill(h);
            if (NT_SUCCESS(status) && c->EvtDmaEnablerEnable != NULL)
                status = c->EvtDmaEnablerEnable(h);
            if (!NT_SUCCESS(status))
                return status; /* D0 is not reached */
            if (c->EvtDmaEnablerSelfManagedIoStart != NULL)
                c->EvtDmaEnablerSelfManagedIoStart(h);
        } else {
            if (c->EvtDmaEnablerSelfManagedIoStop != NULL)
                c->EvtDmaEnablerSelfManagedIoStop(h);
            if (c->EvtDmaEnablerDisable != NULL)
                c->EvtDmaEnablerDisable(h);
            if (c->EvtDmaEnablerFlush != NULL)
                c->EvtDmaEnablerFlush(h);
        }
    }
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------------------------
 * Walking an MDL chain.
 */
/* Move (*mdl, *off) forward by n bytes along the chain. */
static void chain_advance(PMDL *mdl, size_t *off, size_t n)
{
    while (*mdl != NULL && *off + n >= MmGetMdlByteCount(*mdl) && (*mdl)->Next != NULL) {
        n -= MmGetMdlByteCount(*mdl) - *off;
        *off = 0;
        *mdl = (*mdl)->Next;
    }
    *off += n;
}

static size_t chain_bytes(PMDL mdl)
{
    size_t n = 0;

    for (; mdl != NULL; mdl = mdl->Next)
        n += MmGetMdlByteCount(mdl);
    return n;
}

/* Pages [off, off+len) of the chain spans (each MDL counted on its own). */
static size_t chain_pages(PMDL mdl, size_t off, size_t len)
{
    size_t pages = 0;

    for (; mdl != NULL && len > 0; mdl = mdl->Next) {
        size_t here = MmGetMdlByteCount(mdl);
        if (off >= here) {
            off -= here;
            continue;
        }
        size_t n = here - off < len ? here - off : len;
        pages += ADDRESS_AND_SIZE_TO_SPAN_PAGES((PUCHAR)MmGetMdlVirtualAddress(mdl) + off, n);
        len -= n;
        off = 0;
    }
    return pages;
}

/* The longest piece of at most len bytes from (mdl, off) whose pages fit regs map registers. */
static size_t fit_registers(PMDL mdl, size_t off, size_t len, ULONG regs)
{
    size_t lo = 0, hi = len;

    if (chain_pages(mdl, off, len) <= regs)
        return len;
    while (lo < hi) { /* pages grow with the length: the last length that fits */
        size_t mid = lo + (hi - lo + 1) / 2;
        if (chain_pages(mdl, off, mid) <= regs)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* ---------------------------------------------------------------------------------------------
 * Stages.
 */
static PDMA_ADAPTER tx_adapter(const struct fx_dma_transaction *t)
{
    return t->enabler->adapter[dir_index(t->direction)];
}

static ULONG tx_registers(const struct fx_dma_transaction *t)
{
    return t->enabler->map_registers[dir_index(t->direction)];
}

static bool v3(const struct fx_dma_transaction *t)
{
    return t->enabler->version >= DEVICE_DESCRIPTION_VERSION3;
}

static void program(struct fx_dma_transaction *t, PSCATTER_GATHER_LIST list)
{
    struct fx_device *d = t->enabler->device;

    dms_trace_call(dms_machine_current(), DMS_EV_CALLBACK, "EvtProgramDma",
                   0, "stage %u: %zu bytes at byte %zu of the transaction's %zu, in %u "
                   "element%s", t->stage_number, t->stage_length, t->transferred,
                   t->length, (unsigned)list->NumberOfElements,
                   list->NumberOfElements == 1 ? "" : "s");
    /* documented: the return value is ignored */
    (void)t->program((WDFDMATRANSACTION)t->obj.handle, (WDFDEVICE)d->obj.handle, t->context,
                     t->direction, list);
}

static VOID list_control(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST SgList,
                         PVOID Context)
{
    struct fx_dma_transaction *t = Context;

    (void)DeviceObject;
    (void)Irp;
    t->list = SgList;
    program(t, SgList);
}

static DMA_COMPLETION_ROUTINE system_done;

/* Map the current stage of a packet (or system) transaction and program it. */
static NTSTATUS packet_map(struct fx_dma_transaction *t)
{
    PDMA_ADAPTER a = tx_adapter(t);
    PSCATTER_GATHER_LIST list = (PSCATTER_GATHER_LIST)t->packet_list;
    ULONG len = (ULONG)t->stage_length;
    PHYSICAL_ADDRESS la;
    BOOLEAN write = t->direction == WdfDmaDirectionWriteToDevice;

    if (t->enabler->system) {
        /* to the device register, the controller's completion routine told when it is done;
         * the list says what the channel moves, an element a map register at most */
        NTSTATUS status;
        list = t->list_buffer;
        status = a->DmaOperations->MapTransferEx(
            a, t->stage_mdl, t->map_register_base, t->stage_offset, t->device_offset, &len,
            write, list, t->list_buffer_length, system_done, t);
        if (!NT_SUCCESS(status))
            return status;
    } else if (v3(t)) {
        NTSTATUS status = a->DmaOperations->MapTransferEx(
            a, t->stage_mdl, t->map_register_base, t->stage_offset, 0, &len, write, list,
            sizeof(t->packet_list), NULL, NULL);
        if (!NT_SUCCESS(status))
            return status;
    } else {
        la = a->DmaOperations->MapTransfer(
            a, t->stage_mdl, t->map_register_base,
            (PUCHAR)MmGetMdlVirtualAddress(t->stage_mdl) + t->stage_offset, &len, write);
        list->NumberOfElements = 1;
        list->Reserved = 0;
        list->Elements[0].Address = la;
        list->Elements[0].Length = len;
        list->Elements[0].Reserved = 0;
    }
    if (len < t->stage_length) { /* the registers mapped less: the rest comes next stage */
        t->remaining += t->stage_length - len;
        t->stage_length = len;
    }
    t->stage_mapped = len;
    program(t, list);
    return STATUS_SUCCESS;
}

static IO_ALLOCATION_ACTION adapter_control(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                            PVOID MapRegisterBase, PVOID Context)
{
    struct fx_dma_transaction *t = Context;

    (void)DeviceObject;
    (void)Irp;
    t->map_register_base = MapRegisterBase;
    t->channel = true;
    (void)packet_map(t);
    /* system DMA keeps the channel for the transaction; a bus master only its registers */
    return t->enabler->system ? KeepObject : DeallocateObjectKeepRegisters;
}

/* The controller finished (or cancelled) the stage: the driver's
 * EvtDmaTransactionDmaTransferComplete, as that request's I/O. At DISPATCH_LEVEL. */
static VOID system_done(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                        PVOID CompletionContext, DMA_COMPLETION_STATUS Status)
{
    struct fx_dma_transaction *t = CompletionContext;
    struct dms_machine *m = dms_machine_current();
    struct fx_request *r = NULL;
    uint64_t saved = 0; /* read only when entered */
    bool entered;

    (void)DmaAdapter;
    (void)DeviceObject;
    if (t->state != TX_TRANSFER || t->transfer_complete == NULL)
        return; /* no callback: the device's own interrupt tells the driver */
    if (t->request_referenced)
        r = (struct fx_request *)fx_get(t->request, FX_REQUEST, "system DMA", true);
    entered = r != NULL && r->state != FX_REQ_COMPLETED &&
              dms_irp_context_enter(m, r->irp, &saved);
    dms_trace_call(m, DMS_EV_CALLBACK, "EvtDmaTransactionDmaTransferComplete", 0,
                   "stage %u of %zu bytes: %s", t->stage_number, t->stage_length,
                   Status == DmaComplete ? "DmaComplete" : Status == DmaCancelled
                                                               ? "DmaCancelled"
                                                               : "DmaAborted");
    t->transfer_complete((WDFDMATRANSACTION)t->obj.handle,
                         (WDFDEVICE)t->enabler->device->obj.handle,
                         t->transfer_complete_context, t->direction, Status);
    dms_irp_context_leave(m, entered, saved);
}

/* The next stage: its bounds, then its mapping (A5.3). */
static NTSTATUS stage(struct fx_dma_transaction *t, bool first)
{
    struct fx_dma_enabler *e = t->enabler;
    PDMA_ADAPTER a = tx_adapter(t);
    PDEVICE_OBJECT fdo = e->device->wdm;
    BOOLEAN write = t->direction == WdfDmaDirectionWriteToDevice;
    size_t pages;
    NTSTATUS status;
    KIRQL old;

    if (first) {
        t->stage_mdl = t->mdl;
        t->stage_offset = t->offset;
        chain_advance(&t->stage_mdl, &t->stage_offset, 0);
    } else {
        chain_advance(&t->stage_mdl, &t->stage_offset, t->stage_length);
    }
    t->stage_length = t->remaining < t->max_stage ? t->remaining : t->max_stage;
    t->stage_length = fit_registers(t->stage_mdl, t->stage_offset, t->stage_length,
                                    tx_registers(t));
    if (t->stage_length == 0)
        return STATUS_WDF_NOT_ENOUGH_MAP_REGISTERS;
    pages = chain_pages(t->stage_mdl, t->stage_offset, t->stage_length);
    if (e->sg && pages > e->max_sg_elements)
        return STATUS_WDF_TOO_FRAGMENTED;
    t->remaining -= t->stage_length;
    t->stage_number = first ? 1 : t->stage_number + 1;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    if (!e->sg && t->channel) {
        status = packet_map(t);
    } else if (!e->sg) {
        t->map_registers = (ULONG)(t->remaining == 0 ? pages : tx_registers(t));
        if (v3(t))
            status = a->DmaOperations->AllocateAdapterChannelEx(
                a, fdo, t->transfer_context, t->map_registers, 0, adapter_control, t, NULL);
        else
            status = a->DmaOperations->AllocateAdapterChannel(a, fdo, t->map_registers,
                                                              adapter_control, t);
    } else if (t->list_buffer != NULL && v3(t)) {
        status = a->DmaOperations->BuildScatterGatherListEx(
            a, fdo, t->transfer_context, t->stage_mdl, t->stage_offset, (ULONG)t->stage_length,
            0, list_control, t, write, t->list_buffer, t->list_buffer_length, NULL, NULL, NULL);
    } else if (t->list_buffer != NULL) {
        status = a->DmaOperations->BuildScatterGatherList(
            a, fdo, t->stage_mdl, (PUCHAR)MmGetMdlVirtualAddress(t->stage_mdl) + t->stage_offset,
            (ULONG)t->stage_length, list_control, t, write, t->list_buffer,
            t->list_buffer_length);
    } else if (v3(t)) {
        status = a->DmaOperations->GetScatterGatherListEx(
            a, fdo, t->transfer_context, t->stage_mdl, t->stage_offset, (ULONG)t->stage_length,
            0, list_control, t, write, NULL, NULL, NULL);
    } else {
        status = a->DmaOperations->GetScatterGatherList(
            a, fdo, t->stage_mdl, (PUCHAR)MmGetMdlVirtualAddress(t->stage_mdl) + t->stage_offset,
            (ULONG)t->stage_length, list_control, t, write);
    }
    KeLowerIrql(old);
    if (!NT_SUCCESS(status))
        t->remaining += t->stage_length;
    return status;
}

/* The stage's mapping given back: its list put, or its packet mapping flushed. */
static NTSTATUS stage_end(struct fx_dma_transaction *t)
{
    PDMA_ADAPTER a = tx_adapter(t);
    BOOLEAN write = t->direction == WdfDmaDirectionWriteToDevice;
    NTSTATUS status = STATUS_SUCCESS;
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    if (t->enabler->sg) {
        if (t->list != NULL)
            a->DmaOperations->PutScatterGatherList(a, t->list, write);
        t->list = NULL;
    } else if (t->channel && t->stage_mapped > 0) {
        /* the whole mapping is flushed, however much of it the completion counted */
        BOOLEAN ok;
        if (v3(t))
            ok = NT_SUCCESS(a->DmaOperations->FlushAdapterBuffersEx(
                a, t->stage_mdl, t->map_register_base, t->stage_offset, (ULONG)t->stage_mapped,
                write));
        else
            ok = a->DmaOperations->FlushAdapterBuffers(
                a, t->stage_mdl, t->map_register_base,
                (PUCHAR)MmGetMdlVirtualAddress(t->stage_mdl) + t->stage_offset,
                (ULONG)t->stage_mapped, write);
        t->stage_mapped = 0;
        if (!ok)
            status = STATUS_UNSUCCESSFUL;
    }
    KeLowerIrql(old);
    return status;
}

/* Everything the transaction holds of the HAL's, given back. */
static void release_resources(struct fx_dma_transaction *t)
{
    PDMA_ADAPTER a = tx_adapter(t);
    KIRQL old;

    if (a == NULL)
        return;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    if (t->list != NULL)
        a->DmaOperations->PutScatterGatherList(a, t->list,
                                               t->direction == WdfDmaDirectionWriteToDevice);
    t->list = NULL;
    if (t->channel && t->enabler->system)
        a->DmaOperations->FreeAdapterChannel(a); /* the channel, and its map registers */
    else if (t->channel)
        a->DmaOperations->FreeMapRegisters(a, t->map_register_base, t->map_registers);
    t->channel = false;
    t->stage_mapped = 0;
    t->map_register_base = NULL;
    KeLowerIrql(old);
    if (t->request_referenced) { /* our reference keeps it alive until here */
        struct fx_object *r = fx_get(t->request, FX_REQUEST, "WdfDmaTransaction", true);
        if (r != NULL)
            fx_dereference(r, "WdfDmaTransaction");
    }
    t->request_referenced = false; /* the handle stays for GetRequest until Release */
}

/* ---------------------------------------------------------------------------------------------
 * Transactions: the driver's calls.
 */
static void transaction_machine_gone(struct fx_object *o)
{
    struct fx_dma_transaction *t = (struct fx_dma_transaction *)o;

    free(t->list_buffer);
    t->list_buffer = NULL;
}

static void transaction_release(struct fx_object *o)
{
    release_resources((struct fx_dma_transaction *)o);
    transaction_machine_gone(o);
}

static struct fx_dma_transaction *tx_get(WDFDMATRANSACTION h, const char *routine)
{
    return (struct fx_dma_transaction *)fx_get(h, FX_DMA_TRANSACTION, routine, false);
}

static void tx_violation(struct fx_dma_transaction *t, const char *routine, const char *what)
{
    static const char *const states[] = {"created", "initialized", "transferring", "completed",
                                         "released"};

    fx_violation(routine, 0x8, (uint64_t)(uintptr_t)t->obj.handle, (uint64_t)t->state,
                 "%s of a DMA transaction that is %s: %s", routine, states[t->state], what);
}

NTSTATUS WdfDmaTransactionCreate(WDFDMAENABLER DmaEnabler, PWDF_OBJECT_ATTRIBUTES Attributes,
                                 WDFDMATRANSACTION *DmaTransaction)
{
    static const char routine[] = "WdfDmaTransactionCreate";
    struct fx_dma_enabler *e = enabler_get(DmaEnabler, routine);
    struct fx_dma_transaction *t;
    NTSTATUS status;

    if (DmaTransaction != NULL)
        *DmaTransaction = NULL;
    if (e == NULL)
        return STATUS_INVALID_HANDLE;
    if (DmaTransaction == NULL || !irql_at_most(DISPATCH_LEVEL, routine)) {
        if (DmaTransaction == NULL)
            fx_violation(routine, 0x4, 0, 0, "%s: DmaTransaction is NULL", routine);
        return STATUS_INVALID_PARAMETER;
    }
    if (Attributes != NULL && Attributes->ParentObject != NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: the enabler is the parent (ParentObject must be "
                     "NULL)", routine);
        return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID;
    }
    t = (struct fx_dma_transaction *)fx_create(FX_DMA_TRANSACTION, sizeof(*t), routine,
                                               Attributes, &e->obj, &status);
    if (t == NULL)
        return status;
    t->obj.release = transaction_release;
    t->obj.machine_gone = transaction_machine_gone;
    t->enabler = e;
    t->state = TX_CREATED;
    if (e->sg && !(e->config.Flags & WDF_DMA_ENABLER_CONFIG_NO_SGLIST_PREALLOCATION)) {
        t->list_buffer_length = e->sg_list_size[DIR_READ] > e->sg_list_size[DIR_WRITE]
                                    ? e->sg_list_size[DIR_READ]
                                    : e->sg_list_size[DIR_WRITE];
        t->list_buffer = calloc(1, t->list_buffer_length);
        if (t->list_buffer == NULL) {
            fx_delete(&t->obj);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
    }
    *DmaTransaction = (WDFDMATRANSACTION)t->obj.handle;
    return STATUS_SUCCESS;
}

/* What Initialize and InitializeUsingRequest share, once the buffer is known. */
static NTSTATUS tx_initialize(struct fx_dma_transaction *t, const char *routine,
                              PFN_WDF_PROGRAM_DMA fn, WDF_DMA_DIRECTION dir, PMDL mdl,
                              size_t offset, size_t length)
{
    struct fx_dma_enabler *e = t->enabler;
    PDMA_ADAPTER a;

    if (t->state != TX_CREATED && t->state != TX_RELEASED) {
        tx_violation(t, routine, "release it (WdfDmaTransactionRelease) before it is "
                     "initialized again");
        return STATUS_INVALID_DEVICE_STATE;
    }
    if (fn == NULL || mdl == NULL || length == 0 ||
        (dir != WdfDmaDirectionReadFromDevice && dir != WdfDmaDirectionWriteToDevice)) {
        fx_violation(routine, 0x4, 0, 0, "%s: %s", routine,
                     fn == NULL    ? "no EvtProgramDma"
                     : mdl == NULL ? "no MDL"
                     : length == 0 ? "a zero length"
                                   : "no WDF_DMA_DIRECTION");
        return STATUS_INVALID_PARAMETER;
    }
    if (length > 0xFFFFFFFFu || offset > chain_bytes(mdl) || length > chain_bytes(mdl) - offset) {
        fx_violation(routine, 0x4, offset, length, "%s: [%zu, +%zu) is not inside the MDL "
                     "chain", routine, offset, length);
        return STATUS_INVALID_PARAMETER;
    }
    if (e->system && !e->configured[dir_index(dir)]) {
        fx_violation(routine, 0x4, 0, 0, "%s: the system profile is not configured for this "
                     "direction (WdfDmaEnablerConfigureSystemProfile)", routine);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    if (e->system && t->list_buffer == NULL) { /* sized once the channel is known */
        t->list_buffer_length = e->sg_list_size[DIR_READ] > e->sg_list_size[DIR_WRITE]
                                    ? e->sg_list_size[DIR_READ]
                                    : e->sg_list_size[DIR_WRITE];
        t->list_buffer = calloc(1, t->list_buffer_length);
        if (t->list_buffer == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (!e->sg && !v3(t) && mdl->Next != NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: a packet profile before DMA version 3 takes no "
                     "MDL chain", routine);
        return STATUS_INVALID_PARAMETER;
    }
    t->request = NULL;
    t->program = fn;
    t->direction = dir;
    t->mdl = mdl;
    t->offset = offset;
    t->length = t->remaining = length;
    t->transferred = 0;
    t->stage_length = 0;
    t->stopped = false;
    t->max_stage = e->fragment_length[dir_index(dir)];
    t->single = t->single_set || (e->config.Flags & WDF_DMA_ENABLER_CONFIG_REQUIRE_SINGLE_TRANSFER);
    a = tx_adapter(t);
    if (v3(t) && !NT_SUCCESS(a->DmaOperations->InitializeDmaTransferContext(
                     a, t->transfer_context)))
        return STATUS_INSUFFICIENT_RESOURCES;
    if (t->single) {
        DMA_TRANSFER_INFO info = {.Version = DMA_TRANSFER_INFO_VERSION1};
        t->max_stage = e->config.MaximumLength;
        if (length > e->config.MaximumLength)
            return STATUS_WDF_TOO_MANY_TRANSFERS;
        if (NT_SUCCESS(a->DmaOperations->GetDmaTransferInfo(a, mdl, offset, (ULONG)length,
                                                             dir == WdfDmaDirectionWriteToDevice,
                                                             &info))) {
            if (info.V1.MapRegisterCount > tx_registers(t))
                return STATUS_WDF_NOT_ENOUGH_MAP_REGISTERS;
            if (info.V1.ScatterGatherElementCount > (e->sg ? e->max_sg_elements : 1))
                return STATUS_WDF_TOO_FRAGMENTED;
        }
    } else if (e->sg) {
        /* every stage, as the transaction will run it, must fit the element limit */
        PMDL m = mdl;
        size_t off = offset, left = length;
        while (left > 0) {
            size_t n = left < t->max_stage ? left : t->max_stage;
            n = fit_registers(m, off, n, tx_registers(t));
            if (n == 0)
                return STATUS_WDF_NOT_ENOUGH_MAP_REGISTERS;
            if (chain_pages(m, off, n) > e->max_sg_elements)
                return STATUS_WDF_TOO_FRAGMENTED;
            chain_advance(&m, &off, n);
            left -= n;
        }
    }
    t->state = TX_INITIALIZED;
    return STATUS_SUCCESS;
}

/* tx_initialize, in the call trace. */
static NTSTATUS tx_initialize_traced(struct fx_dma_transaction *t, const char *routine,
                                     PFN_WDF_PROGRAM_DMA fn, WDF_DMA_DIRECTION dir, PMDL mdl,
                                     size_t offset, size_t length)
{
    struct dms_machine *m = dms_machine_current();
    NTSTATUS status;

    dms_trace_call(m, DMS_EV_CALL, routine, 0, "%zu bytes %s", length,
                   dir == WdfDmaDirectionWriteToDevice ? "to the device" : "from the device");
    status = tx_initialize(t, routine, fn, dir, mdl, offset, length);
    dms_trace_call(m, DMS_EV_RETURN, routine, status, "returns 0x%08x", (unsigned)status);
    return status;
}

NTSTATUS WdfDmaTransactionInitialize(WDFDMATRANSACTION DmaTransaction,
                                     PFN_WDF_PROGRAM_DMA EvtProgramDmaFunction,
                                     WDF_DMA_DIRECTION DmaDirection, PMDL Mdl,
                                     PVOID VirtualAddress, size_t Length)
{
    static const char routine[] = "WdfDmaTransactionInitialize";
    struct fx_dma_transaction *t = tx_get(DmaTransaction, routine);
    uintptr_t base, va = (uintptr_t)VirtualAddress;

    if (t == NULL)
        return STATUS_INVALID_HANDLE;
    if (!irql_at_most(DISPATCH_LEVEL, routine))
        return STATUS_INVALID_DEVICE_STATE;
    if (Mdl == NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: Mdl is NULL", routine);
        return STATUS_INVALID_PARAMETER;
    }
    base = (uintptr_t)MmGetMdlVirtualAddress(Mdl);
    if (va < base || va >= base + MmGetMdlByteCount(Mdl)) {
        fx_violation(routine, 0x4, va, base, "%s: VirtualAddress %p is not inside the first "
                     "MDL's buffer", routine, VirtualAddress);
        return STATUS_INVALID_PARAMETER;
    }
    return tx_initialize_traced(t, routine, EvtProgramDmaFunction, DmaDirection, Mdl, va - base,
                                Length);
}

NTSTATUS WdfDmaTransactionInitializeUsingRequest(WDFDMATRANSACTION DmaTransaction,
                                                 WDFREQUEST Request,
                                                 PFN_WDF_PROGRAM_DMA EvtProgramDmaFunction,
                                                 WDF_DMA_DIRECTION DmaDirection)
{
    static const char routine[] = "WdfDmaTransactionInitializeUsingRequest";
    struct fx_dma_transaction *t = tx_get(DmaTransaction, routine);
    struct fx_request *r = (struct fx_request *)fx_get(Request, FX_REQUEST, routine, false);
    PMDL mdl;
    size_t length;
    NTSTATUS status;

    if (t == NULL || r == NULL)
        return STATUS_INVALID_HANDLE;
    if (!irql_at_most(DISPATCH_LEVEL, routine))
        return STATUS_INVALID_DEVICE_STATE;
    status = fx_request_dma_buffer(r, DmaDirection, &mdl, &length);
    if (!NT_SUCCESS(status))
        return status;
    status = tx_initialize_traced(t, routine, EvtProgramDmaFunction, DmaDirection, mdl, 0,
                                  length);
    t->request = NT_SUCCESS(status) ? Request : NULL;
    return status;
}

NTSTATUS WdfDmaTransactionExecute(WDFDMATRANSACTION DmaTransaction, WDFCONTEXT Context)
{
    static const char routine[] = "WdfDmaTransactionExecute";
    struct fx_dma_transaction *t = tx_get(DmaTransaction, routine);
    NTSTATUS status;

    if (t == NULL)
        return STATUS_INVALID_HANDLE;
    if (!irql_at_most(DISPATCH_LEVEL, routine))
        return STATUS_INVALID_DEVICE_STATE;
    if (t->state != TX_INITIALIZED) {
        tx_violation(t, routine, t->state == TX_TRANSFER ? "executed twice"
                                                         : "initialize it first");
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    if (t->request != NULL) {
        struct fx_object *r = fx_get(t->request, FX_REQUEST, routine, false);
        if (r == NULL) /* completed between Initialize and Execute: said by fx_get */
            return STATUS_INVALID_DEVICE_REQUEST;
        fx_reference(r);
        t->request_referenced = true;
    }
    t->context = Context;
    t->state = TX_TRANSFER;
    dms_trace_call(dms_machine_current(), DMS_EV_CALL, routine, 0,
                   "%zu bytes, in stages of at most %zu", t->length, t->max_stage);
    status = stage(t, true);
    if (!NT_SUCCESS(status)) {
        /* the driver must release it now */
        t->state = TX_DONE;
        release_resources(t);
    }
    dms_trace_call(dms_machine_current(), DMS_EV_RETURN, routine, status,
                   "returns 0x%08x", (unsigned)status);
    return status;
}

/* DmaCompleted, ...WithLength and ...Final (A5.4). */
enum completion { FULL, PARTIAL, ABORT };

/* The stage's end, and the next stage or the transaction's end. */
static BOOLEAN stage_completed(struct fx_dma_transaction *t, enum completion kind, size_t len,
                               NTSTATUS *Status)
{
    NTSTATUS status = STATUS_SUCCESS, st;

    if (kind != FULL && len > t->stage_length) {
        status = STATUS_INVALID_PARAMETER;
        goto done;
    }
    if (kind == FULL) {
        t->transferred += t->stage_length;
    } else {
        t->transferred += len;
        t->remaining += t->stage_length - len;
        t->stage_length = len;
    }
    st = stage_end(t);
    if (!NT_SUCCESS(st)) {
        status = st;
        goto done;
    }
    if (t->stopped) { /* WdfDmaTransactionStopSystemTransfer */
        status = STATUS_CANCELLED;
        goto done;
    }
    if (t->single && t->remaining > 0) {
        status = STATUS_WDF_TOO_MANY_TRANSFERS;
        goto done;
    }
    if (t->remaining == 0 || kind == ABORT)
        goto done;
    st = stage(t, false);
    if (NT_SUCCESS(st)) {
        *Status = STATUS_MORE_PROCESSING_REQUIRED;
        return FALSE;
    }
    status = st;
done:
    t->state = TX_DONE;
    release_resources(t);
    t->stage_length = 0;
    *Status = status;
    return TRUE;
}

static BOOLEAN completed(WDFDMATRANSACTION h, enum completion kind, size_t len,
                         NTSTATUS *Status, const char *routine)
{
    struct fx_dma_transaction *t = tx_get(h, routine);
    struct dms_machine *m = dms_machine_current();
    struct fx_request *r = NULL;
    uint64_t saved = 0; /* read only when entered */
    bool entered;
    BOOLEAN over;

    if (Status != NULL)
        *Status = STATUS_INVALID_DEVICE_STATE;
    if (t == NULL)
        return FALSE;
    if (Status == NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: Status is NULL", routine);
        return FALSE;
    }
    if (!irql_at_most(DISPATCH_LEVEL, routine))
        return FALSE;
    if (t->state != TX_TRANSFER) {
        tx_violation(t, routine, "no stage is running (completed already, or never executed)");
        return FALSE;
    }
    /* the driver's DPC serves the device, not one request: the stage's end and the next
     * stage are the transaction's request's work (the I/O it is charged and told as) */
    if (t->request_referenced)
        r = (struct fx_request *)fx_get(t->request, FX_REQUEST, routine, true);
    entered = r != NULL && r->state != FX_REQ_COMPLETED &&
              dms_irp_context_enter(m, r->irp, &saved);
    if (kind == FULL)
        dms_trace_call(m, DMS_EV_CALL, routine, 0, "stage %u of %zu bytes done",
                       t->stage_number, t->stage_length);
    else
        dms_trace_call(m, DMS_EV_CALL, routine, 0, "stage %u: %zu of its %zu bytes done%s",
                       t->stage_number, len, t->stage_length,
                       kind == ABORT ? ", and the transaction ends" : "");
    over = stage_completed(t, kind, len, Status);
    if (over)
        dms_trace_call(m, DMS_EV_RETURN, routine, *Status,
                       "returns TRUE: the transaction is over, %zu bytes transferred, "
                       "*Status=0x%08x", t->transferred, (unsigned)*Status);
    else
        dms_trace_call(m, DMS_EV_RETURN, routine, *Status,
                       "returns FALSE: stage %u is programmed, %zu bytes left after it",
                       t->stage_number, t->remaining);
    dms_irp_context_leave(m, entered, saved);
    return over;
}

BOOLEAN WdfDmaTransactionDmaCompleted(WDFDMATRANSACTION DmaTransaction, NTSTATUS *Status)
{
    return completed(DmaTransaction, FULL, 0, Status, "WdfDmaTransactionDmaCompleted");
}

BOOLEAN WdfDmaTransactionDmaCompletedWithLength(WDFDMATRANSACTION DmaTransaction,
                                                size_t TransferredLength, NTSTATUS *Status)
{
    return completed(DmaTransaction, PARTIAL, TransferredLength, Status,
                     "WdfDmaTransactionDmaCompletedWithLength");
}

BOOLEAN WdfDmaTransactionDmaCompletedFinal(WDFDMATRANSACTION DmaTransaction,
                                           size_t FinalTransferredLength, NTSTATUS *Status)
{
    return completed(DmaTransaction, ABORT, FinalTransferredLength, Status,
                     "WdfDmaTransactionDmaCompletedFinal");
}

NTSTATUS WdfDmaTransactionRelease(WDFDMATRANSACTION DmaTransaction)
{
    static const char routine[] = "WdfDmaTransactionRelease";
    struct fx_dma_transaction *t = tx_get(DmaTransaction, routine);

    if (t == NULL)
        return STATUS_INVALID_HANDLE;
    if (!irql_at_most(DISPATCH_LEVEL, routine))
        return STATUS_INVALID_DEVICE_STATE;
    if (t->state == TX_RELEASED || t->state == TX_CREATED)
        return STATUS_INVALID_DEVICE_STATE; /* documented: released already */
    if (t->state == TX_TRANSFER)
        tx_violation(t, routine, "a stage is still running; its mapping is given back now");
    release_resources(t);
    t->state = TX_RELEASED;
    t->request = NULL;
    t->single_set = false;
    t->mdl = t->stage_mdl = NULL;
    t->length = t->remaining = t->transferred = t->stage_length = 0;
    t->offset = t->stage_offset = 0;
    t->context = NULL;
    t->transfer_complete = NULL; /* documented: Release clears the callback */
    t->transfer_complete_context = NULL;
    t->device_offset = 0;
    t->stopped = false;
    return STATUS_SUCCESS;
}

/* ---------------------------------------------------------------------------------------------
 * System-mode transactions.
 */
static struct fx_dma_transaction *system_tx(WDFDMATRANSACTION h, const char *routine)
{
    struct fx_dma_transaction *t = tx_get(h, routine);

    if (t != NULL && !t->enabler->system) {
        fx_violation(routine, 0x4, 0, 0, "%s is for a transaction of a system-profile enabler",
                     routine);
        return NULL;
    }
    return t;
}

VOID WdfDmaTransactionSetTransferCompleteCallback(
    WDFDMATRANSACTION DmaTransaction,
    PFN_WDF_DMA_TRANSACTION_DMA_TRANSFER_COMPLETE DmaCompletionRoutine, PVOID DmaCompletionContext)
{
    static const char routine[] = "WdfDmaTransactionSetTransferCompleteCallback";
    struct fx_dma_transaction *t = system_tx(DmaTransaction, routine);

    if (t == NULL)
        return;
    if (t->state != TX_INITIALIZED) {
        tx_violation(t, routine, "set it between Initialize and Execute");
        return;
    }
    t->transfer_complete = DmaCompletionRoutine;
    t->transfer_complete_context = DmaCompletionContext;
}

VOID WdfDmaTransactionSetDeviceAddressOffset(WDFDMATRANSACTION DmaTransaction, ULONG Offset)
{
    static const char routine[] = "WdfDmaTransactionSetDeviceAddressOffset";
    struct fx_dma_transaction *t = system_tx(DmaTransaction, routine);

    if (t == NULL)
        return;
    if (t->state != TX_INITIALIZED) {
        tx_violation(t, routine, "set it between Initialize and Execute");
        return;
    }
    t->device_offset = Offset;
}

VOID WdfDmaTransactionStopSystemTransfer(WDFDMATRANSACTION DmaTransaction)
{
    static const char routine[] = "WdfDmaTransactionStopSystemTransfer";
    struct fx_dma_transaction *t = system_tx(DmaTransaction, routine);
    PDMA_ADAPTER a;

    if (t == NULL || !irql_at_most(DISPATCH_LEVEL, routine))
        return;
    if (t->state != TX_TRANSFER) {
        tx_violation(t, routine, "no transfer is running");
        return;
    }
    /* the channel stops; the completion comes with DmaCancelled, and the transaction's
     * DmaCompleted* ends it with STATUS_CANCELLED */
    t->stopped = true;
    a = tx_adapter(t);
    (void)a->DmaOperations->CancelMappedTransfer(a, t->transfer_context);
}

size_t WdfDmaTransactionGetBytesTransferred(WDFDMATRANSACTION DmaTransaction)
{
    struct fx_dma_transaction *t = tx_get(DmaTransaction, "WdfDmaTransactionGetBytesTransferred");

    return t != NULL ? t->transferred : 0;
}

size_t WdfDmaTransactionGetCurrentDmaTransferLength(WDFDMATRANSACTION DmaTransaction)
{
    struct fx_dma_transaction *t =
        tx_get(DmaTransaction, "WdfDmaTransactionGetCurrentDmaTransferLength");

    return t != NULL ? t->stage_length : 0;
}

VOID WdfDmaTransactionSetMaximumLength(WDFDMATRANSACTION DmaTransaction, size_t MaximumLength)
{
    static const char routine[] = "WdfDmaTransactionSetMaximumLength";
    struct fx_dma_transaction *t = tx_get(DmaTransaction, routine);

    if (t == NULL)
        return;
    if (t->state != TX_INITIALIZED) {
        tx_violation(t, routine, "call it after initializing, before executing");
        return;
    }
    if (MaximumLength > 0 && MaximumLength < t->max_stage) /* only lowered; larger is ignored */
        t->max_stage = MaximumLength;
}

WDFREQUEST WdfDmaTransactionGetRequest(WDFDMATRANSACTION DmaTransaction)
{
    struct fx_dma_transaction *t = tx_get(DmaTransaction, "WdfDmaTransactionGetRequest");

    return t != NULL ? t->request : NULL;
}

WDFDEVICE WdfDmaTransactionGetDevice(WDFDMATRANSACTION DmaTransaction)
{
    struct fx_dma_transaction *t = tx_get(DmaTransaction, "WdfDmaTransactionGetDevice");

    return t != NULL ? (WDFDEVICE)t->enabler->device->obj.handle : NULL;
}

VOID WdfDmaTransactionSetSingleTransferRequirement(WDFDMATRANSACTION DmaTransaction,
                                                   BOOLEAN RequireSingleTransfer)
{
    static const char routine[] = "WdfDmaTransactionSetSingleTransferRequirement";
    struct fx_dma_transaction *t = tx_get(DmaTransaction, routine);

    if (t == NULL)
        return;
    if (!v3(t)) {
        fx_violation(routine, 0x4, 0, 0, "%s needs DMA version 3 (WdmDmaVersionOverride = 3): "
                     "ignored", routine);
        return;
    }
    if (t->state != TX_CREATED && t->state != TX_RELEASED) {
        tx_violation(t, routine, "call it before initializing");
        return;
    }
    t->single_set = RequireSingleTransfer != FALSE;
}

/* ---------------------------------------------------------------------------------------------
 * Common buffers.
 */
static void common_release(struct fx_object *o)
{
    struct fx_common_buffer *b = (struct fx_common_buffer *)o;
    PDMA_ADAPTER a = b->enabler->adapter[DIR_READ];

    if (b->va != NULL && a != NULL)
        a->DmaOperations->FreeCommonBuffer(a, b->allocated, b->la, b->va, TRUE);
    b->va = NULL;
}

NTSTATUS WdfCommonBufferCreateWithConfig(WDFDMAENABLER DmaEnabler, size_t Length,
                                         PWDF_COMMON_BUFFER_CONFIG Config,
                                         PWDF_OBJECT_ATTRIBUTES Attributes,
                                         WDFCOMMONBUFFER *CommonBuffer)
{
    static const char routine[] = "WdfCommonBufferCreate";
    struct fx_dma_enabler *e = enabler_get(DmaEnabler, routine);
    struct fx_common_buffer *b;
    PDMA_ADAPTER a;
    NTSTATUS status;
    ULONG align;
    uint64_t la, aligned;

    if (CommonBuffer != NULL)
        *CommonBuffer = NULL;
    if (e == NULL)
        return STATUS_INVALID_HANDLE;
    if (!irql_at_most(PASSIVE_LEVEL, routine))
        return STATUS_INVALID_DEVICE_STATE;
    if (CommonBuffer == NULL || Length == 0 || Length > 0xFFFFFFFFu - PAGE_SIZE ||
        (Config != NULL && Config->Size != sizeof(*Config))) {
        fx_violation(routine, 0x4, Length, 0, "%s: %s", routine,
                     CommonBuffer == NULL ? "CommonBuffer is NULL"
                     : Config != NULL && Config->Size != sizeof(*Config)
                         ? "WDF_COMMON_BUFFER_CONFIG of the wrong size"
                         : "Length is 0 or above MAXULONG - PAGE_SIZE");
        return STATUS_INVALID_PARAMETER;
    }
    if (Attributes != NULL && Attributes->ParentObject != NULL) {
        fx_violation(routine, 0x4, 0, 0, "%s: the enabler is the parent (ParentObject must be "
                     "NULL)", routine);
        return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID;
    }
    align = Config != NULL ? Config->AlignmentRequirement : e->alignment;
    if ((align & (align + 1)) != 0) {
        fx_violation(routine, 0x4, align, 0, "%s: alignment %#x is not a power of two less one",
                     routine, (unsigned)align);
        return STATUS_INVALID_PARAMETER;
    }
    b = (struct fx_common_buffer *)fx_create(FX_COMMON_BUFFER, sizeof(*b), routine, Attributes,
                                             &e->obj, &status);
    if (b == NULL)
        return status;
    b->obj.release = common_release;
    b->enabler = e;
    b->length = Length;
    /* page-aligned from the HAL: a larger boundary takes padding, the logical address aligned
     * and the virtual one moved by as much */
    b->allocated = (ULONG)(align > PAGE_SIZE - 1 ? Length + align : Length);
    a = e->adapter[DIR_READ] != NULL ? e->adapter[DIR_READ] : e->adapter[DIR_WRITE];
    if (a == NULL) { /* a system profile not configured yet */
        fx_violation(routine, 0x4, 0, 0, "%s on a system-profile enabler not configured yet "
                     "(WdfDmaEnablerConfigureSystemProfile)", routine);
        fx_delete(&b->obj);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    b->va = a->DmaOperations->AllocateCommonBuffer(a, b->allocated, &b->la, TRUE);
    if (b->va == NULL) {
        fx_delete(&b->obj);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    la = (uint64_t)b->la.QuadPart;
    aligned = (la + align) & ~(uint64_t)align;
    b->aligned_la.QuadPart = (LONGLONG)aligned;
    b->aligned_va = (PUCHAR)b->va + (aligned - la);
    *CommonBuffer = (WDFCOMMONBUFFER)b->obj.handle;
    return STATUS_SUCCESS;
}

NTSTATUS WdfCommonBufferCreate(WDFDMAENABLER DmaEnabler, size_t Length,
                               PWDF_OBJECT_ATTRIBUTES Attributes, WDFCOMMONBUFFER *CommonBuffer)
{
    return WdfCommonBufferCreateWithConfig(DmaEnabler, Length, NULL, Attributes, CommonBuffer);
}

static struct fx_common_buffer *common_get(WDFCOMMONBUFFER h, const char *routine)
{
    return (struct fx_common_buffer *)fx_get(h, FX_COMMON_BUFFER, routine, false);
}

PVOID WdfCommonBufferGetAlignedVirtualAddress(WDFCOMMONBUFFER CommonBuffer)
{
    struct fx_common_buffer *b =
        common_get(CommonBuffer, "WdfCommonBufferGetAlignedVirtualAddress");

    return b != NULL ? b->aligned_va : NULL;
}

PHYSICAL_ADDRESS WdfCommonBufferGetAlignedLogicalAddress(WDFCOMMONBUFFER CommonBuffer)
{
    struct fx_common_buffer *b =
        common_get(CommonBuffer, "WdfCommonBufferGetAlignedLogicalAddress");
    PHYSICAL_ADDRESS zero = {.QuadPart = 0};

    return b != NULL ? b->aligned_la : zero;
}

size_t WdfCommonBufferGetLength(WDFCOMMONBUFFER CommonBuffer)
{
    struct fx_common_buffer *b = common_get(CommonBuffer, "WdfCommonBufferGetLength");

    return b != NULL ? b->length : 0;
}
