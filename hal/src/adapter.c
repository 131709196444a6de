/*
 * adapter.c - DMA adapter objects: IoGetDmaAdapter, the version 1 and 2 operations tables,
 * PutDmaAdapter, GetDmaAlignment and ReadDmaCounter.
 *
 * The address limit comes from the description as the reference (2.2) says: 64-bit with
 * Dma64BitAddresses; 32-bit with Dma32BitAddresses, or for a scatter/gather master on PCI;
 * 24-bit otherwise. An adapter needs map registers when the device lacks scatter/gather (they
 * make scattered pages look contiguous) or when the machine has memory above the device's
 * reach (they bounce it). Such registers are backed by the machine's bounce pool for that
 * limit; the grant is what MaximumLength needs, capped by the platform's limit, and smaller
 * still when the pool itself is small (C28173: "might return fewer map registers than
 * requested").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal_int.h"

/* Enough registers for MaximumLength bytes starting anywhere in a page. */
static ULONG registers_for(ULONG maximum_length)
{
    ULONG len = maximum_length ? maximum_length : 1;

    return (ULONG)BYTES_TO_PAGES((uint64_t)len) + 1;
}

static VOID hal_PutDmaAdapter(PDMA_ADAPTER DmaAdapter);
static ULONG hal_GetDmaAlignment(PDMA_ADAPTER DmaAdapter);
static ULONG hal_ReadDmaCounter(PDMA_ADAPTER DmaAdapter);

#define V1_MEMBERS                                        \
    .PutDmaAdapter = hal_PutDmaAdapter,                   \
    .AllocateCommonBuffer = hal_AllocateCommonBuffer,     \
    .FreeCommonBuffer = hal_FreeCommonBuffer,             \
    .AllocateAdapterChannel = hal_AllocateAdapterChannel, \
    .FlushAdapterBuffers = hal_FlushAdapterBuffers,       \
    .FreeAdapterChannel = hal_FreeAdapterChannel,         \
    .FreeMapRegisters = hal_FreeMapRegisters,             \
    .MapTransfer = hal_MapTransfer,                       \
    .GetDmaAlignment = hal_GetDmaAlignment,               \
    .ReadDmaCounter = hal_ReadDmaCounter,                 \
    .GetScatterGatherList = hal_GetScatterGatherList,     \
    .PutScatterGatherList = hal_PutScatterGatherList

/* Size: the bytes of the table that version fills; the members past it stay NULL. */
DMA_OPERATIONS hal_ops_v1 = {
    .Size = offsetof(DMA_OPERATIONS, CalculateScatterGatherList),
    V1_MEMBERS,
};

#define V2_MEMBERS                                                    \
    .CalculateScatterGatherList = hal_CalculateScatterGatherList,     \
    .BuildScatterGatherList = hal_BuildScatterGatherList,             \
    .BuildMdlFromScatterGatherList = hal_BuildMdlFromScatterGatherList

DMA_OPERATIONS hal_ops_v2 = {
    .Size = offsetof(DMA_OPERATIONS, GetDmaAdapterInfo),
    V1_MEMBERS,
    V2_MEMBERS,
};

/* Version 3 (v3.c), through AllocateCommonBufferWithBounds (Windows 10 1803). The DMA-domain
 * members before it stay NULL: dmasim models no IOMMU domains. */
DMA_OPERATIONS hal_ops_v3 = {
    .Size = offsetof(DMA_OPERATIONS, AllocateCommonBufferVector),
    V1_MEMBERS,
    V2_MEMBERS,
    .GetDmaAdapterInfo = hal_GetDmaAdapterInfo,
    .GetDmaTransferInfo = hal_GetDmaTransferInfo,
    .InitializeDmaTransferContext = hal_InitializeDmaTransferContext,
    .AllocateCommonBufferEx = hal_AllocateCommonBufferEx,
    .AllocateAdapterChannelEx = hal_AllocateAdapterChannelEx,
    .ConfigureAdapterChannel = hal_ConfigureAdapterChannel,
    .CancelAdapterChannel = hal_CancelAdapterChannel,
    .MapTransferEx = hal_MapTransferEx,
    .GetScatterGatherListEx = hal_GetScatterGatherListEx,
    .BuildScatterGatherListEx = hal_BuildScatterGatherListEx,
    .FlushAdapterBuffersEx = hal_FlushAdapterBuffersEx,
    .FreeAdapterObject = hal_FreeAdapterObject,
    .CancelMappedTransfer = hal_CancelMappedTransfer,
    .AllocateCommonBufferWithBounds = hal_AllocateCommonBufferWithBounds,
};

const DMA_OPERATIONS *hal_ops_plain(ULONG version)
{
    return version == DEVICE_DESCRIPTION_VERSION3   ? &hal_ops_v3
           : version == DEVICE_DESCRIPTION_VERSION2 ? &hal_ops_v2
                                                    : &hal_ops_v1;
}

static DMA_OPERATIONS *ops_for(ULONG version, bool traced)
{
    if (version == DEVICE_DESCRIPTION_VERSION3)
        return traced ? &hal_ops_v3_traced : &hal_ops_v3;
    if (version == DEVICE_DESCRIPTION_VERSION2)
        return traced ? &hal_ops_v2_traced : &hal_ops_v2;
    return traced ? &hal_ops_v1_traced : &hal_ops_v1;
}

/* adapter_get - the adapter behind a driver's PDMA_ADAPTER, or NULL after reporting why:
 * 0xE6/0x19 for NULL, 0xE6/0x18 for an adapter already released with PutDmaAdapter. Released
 * adapters stay allocated until the machine goes, so a late call is caught, not a crash. */
struct adapter *adapter_get(PDMA_ADAPTER a, const char *routine)
{
    struct adapter *ad = (struct adapter *)a;

    if (a == NULL) {
        struct dms_machine *m = hal_machine();
        hal_finding(m, NULL, routine, DMS_E6_NULL_ADAPTER, 0, 0, 0,
                    "%s called with a NULL DMA_ADAPTER", routine);
        return NULL;
    }
    if (ad->magic != ADAPTER_MAGIC) {
        hal_finding(hal_machine(), NULL, routine, DMS_CHECK_BAD_ARGUMENT, (uintptr_t)a, 0, 0,
                    "%s called with %p, which is not a DMA adapter", routine, (void *)a);
        return NULL;
    }
    if (ad->released) {
        hal_finding(ad->m, ad, routine, DMS_E6_ADAPTER_RELEASED, (uintptr_t)a, 0, 0,
                    "%s called on adapter %u of %s after PutDmaAdapter released it", routine,
                    ad->id, ad->dev->name);
        return NULL;
    }
    return ad;
}

/* Versions 0-2 say 24, 32 or 64 bits with two flags; version 3 says DmaAddressWidth and
 * ignores the flags (reference 2.2). */
static void address_limit(const DEVICE_DESCRIPTION *d, uint64_t *max_address, unsigned *bits)
{
    INTERFACE_TYPE bus = d->InterfaceType == InterfaceTypeUndefined ? PCIBus : d->InterfaceType;

    if (d->Version == DEVICE_DESCRIPTION_VERSION3)
        *bits = d->DmaAddressWidth;
    else if (d->Dma64BitAddresses)
        *bits = 64;
    else if (d->Dma32BitAddresses || (d->ScatterGather && bus == PCIBus))
        *bits = 32;
    else
        *bits = 24;
    *max_address = *bits == 64 ? UINT64_MAX : (1ULL << *bits) - 1;
}

static bool check_description(struct dms_machine *m, PDEVICE_DESCRIPTION desc,
                              PULONG nregs)
{
    if (desc == NULL || nregs == NULL) {
        hal_finding(m, NULL, "IoGetDmaAdapter", DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "IoGetDmaAdapter needs a DeviceDescription and NumberOfMapRegisters");
        return false;
    }
    if (desc->Version > DEVICE_DESCRIPTION_VERSION3) {
        hal_finding(m, NULL, "IoGetDmaAdapter", DMS_E6_UNKNOWN_VERSION, desc->Version, 0, 0,
                    "IoGetDmaAdapter: unknown DEVICE_DESCRIPTION version %u", desc->Version);
        return false;
    }
    if (desc->Reserved1)
        hal_finding(m, NULL, "IoGetDmaAdapter", DMS_CHECK_BAD_ARGUMENT, 0, 0, 0,
                    "DEVICE_DESCRIPTION.Reserved1 must be FALSE (zero the structure first)");
    if (desc->Version == DEVICE_DESCRIPTION_VERSION3 && desc->Master &&
        (desc->DmaAddressWidth == 0 || desc->DmaAddressWidth > 64)) {
        hal_finding(m, NULL, "IoGetDmaAdapter", DMS_CHECK_BAD_ARGUMENT, desc->DmaAddressWidth,
                    0, 0, "IoGetDmaAdapter: a version-3 bus master needs DmaAddressWidth of 1 "
                    "to 64 bits; it gave %u", desc->DmaAddressWidth);
        return false;
    }
    return true;
}

static struct adapter *adapter_new(struct dms_machine *m, struct device *d,
                                   PDEVICE_DESCRIPTION desc)
{
    struct adapter *ad, **list;

    list = hal_grow(m->adapters, &m->cap_adapters, sizeof(*list), m->n_adapters + 1);
    if (list == NULL)
        return NULL;
    m->adapters = list;
    ad = calloc(1, sizeof(*ad));
    if (ad == NULL)
        return NULL;
    ad->magic = ADAPTER_MAGIC;
    ad->id = m->n_adapters + 1;
    ad->m = m;
    ad->dev = d;
    ad->desc = *desc;
    ad->hdr.Version = 1;
    ad->hdr.Size = sizeof(DMA_ADAPTER);
    ad->hdr.DmaOperations = ops_for(desc->Version, m->cfg.call_events != 0);
    ad->master = desc->Master != 0;
    ad->sg = desc->Master && desc->ScatterGather;
    address_limit(desc, &ad->max_address, &ad->address_bits);
    m->adapters[m->n_adapters++] = ad;
    return ad;
}

PDMA_ADAPTER IoGetDmaAdapter(PDEVICE_OBJECT PhysicalDeviceObject,
                             PDEVICE_DESCRIPTION DeviceDescription, PULONG NumberOfMapRegisters)
{
    struct device *d = device_of(PhysicalDeviceObject);
    struct dms_machine *m = d != NULL ? d->m : hal_machine();
    struct dms_machine *prev = dms_machine_enter(m);
    struct adapter *ad = NULL;
    struct dms_event ev = {.type = DMS_EV_ADAPTER_CREATE, .routine = "IoGetDmaAdapter"};
    ULONG wanted;

    hal_irql_check(m, NULL, "IoGetDmaAdapter", IRQL_EXACT_PASSIVE);
    if (!check_description(m, DeviceDescription, NumberOfMapRegisters))
        goto out;
    /* No PDO (a legacy driver): a subordinate device is the one whose resources list its
     * request line or channel, as ACPI's FixedDMA descriptors say. */
    if (d == NULL && !DeviceDescription->Master)
        d = device_with_dma_resource(m, DeviceDescription->Version == DEVICE_DESCRIPTION_VERSION3,
                                     DeviceDescription->Version == DEVICE_DESCRIPTION_VERSION3
                                         ? DeviceDescription->DmaRequestLine
                                         : DeviceDescription->DmaChannel);
    if (d == NULL) {
        char name[32];
        snprintf(name, sizeof(name), "adapter%u", m->n_adapters + 1);
        d = device_of(dms_device_create(m, name, 0));
        if (d == NULL)
            goto out;
    }
    ad = adapter_new(m, d, DeviceDescription);
    if (ad == NULL)
        goto out;
    /* A subordinate device: its controller's channel decides its reach and scatter/gather.
     * No such channel, or taken: "cannot be allocated", NULL. */
    if (!ad->master && !sysdma_bind(ad, DeviceDescription)) {
        ad->released = true;
        ad = NULL;
        goto out;
    }
    wanted = registers_for(DeviceDescription->MaximumLength);
    ad->needs_regs = !ad->sg || dms_machine_top_address(m) - 1 > ad->max_address;
    ad->max_regs = wanted;
    if (ad->boundary_pages != 0 && ad->max_regs > ad->boundary_pages)
        ad->max_regs = ad->boundary_pages; /* one 8237 transfer stays inside 64/128 KiB */
    if (ad->needs_regs) {
        ad->pool = pool_get(m, ad->max_address);
        if (ad->pool == NULL) { /* no contiguous memory below the limit for a single page */
            sysdma_unbind(ad);
            ad->released = true;
            ad = NULL;
            goto out;
        }
        if (ad->max_regs > m->cfg.map_register_limit)
            ad->max_regs = m->cfg.map_register_limit;
        if (ad->max_regs > ad->pool->pages)
            ad->max_regs = ad->pool->pages;
    }
    d->adapter = ad;
    *NumberOfMapRegisters = ad->max_regs;
    ev.count = ad->max_regs;
    ev.physical = ad->max_address;
    hal_emit(m, ad, &ev);
out:
    dms_machine_enter(prev);
    return ad != NULL ? &ad->hdr : NULL;
}

/* PutDmaAdapter - release the adapter. What is still outstanding is reported with the
 * verifier's codes (0x07-0x0A) and left as it is: a leak, as on Windows. */
static VOID hal_PutDmaAdapter(PDMA_ADAPTER DmaAdapter)
{
    struct adapter *ad = adapter_get(DmaAdapter, "PutDmaAdapter");
    struct dms_event ev = {.type = DMS_EV_ADAPTER_PUT, .routine = "PutDmaAdapter"};
    uint32_t files = 0, waiting = 0;

    if (ad == NULL)
        return;
    hal_irql_check(ad->m, ad, "PutDmaAdapter", IRQL_MAX_DISPATCH);
    for (struct mapreg_file *f = ad->files; f != NULL; f = f->next)
        files += f->state != FILE_SGL;
    for (struct wait_block *wb = ad->chan_head; wb != NULL; wb = wb->next)
        waiting++;
    if (ad->st.common_buffers > 0)
        hal_finding(ad->m, ad, "PutDmaAdapter", DMS_E6_PUT_WITH_COMMON_BUFFERS, (uintptr_t)ad,
                    ad->st.common_buffers, 0,
                    "PutDmaAdapter with %llu common buffer(s) not freed",
                    (unsigned long long)ad->st.common_buffers);
    if (ad->channel_busy || waiting > 0)
        hal_finding(ad->m, ad, "PutDmaAdapter", DMS_E6_PUT_WITH_CHANNELS, (uintptr_t)ad,
                    ad->channel_busy + waiting, 0,
                    "PutDmaAdapter with the adapter channel held or requested");
    if (files > 0)
        hal_finding(ad->m, ad, "PutDmaAdapter", DMS_E6_PUT_WITH_MAP_REGISTERS, (uintptr_t)ad,
                    files, 0, "PutDmaAdapter with %u set(s) of map registers not freed", files);
    if (ad->st.sg_lists_outstanding > 0)
        hal_finding(ad->m, ad, "PutDmaAdapter", DMS_E6_PUT_WITH_SG_LISTS, (uintptr_t)ad,
                    ad->st.sg_lists_outstanding, 0,
                    "PutDmaAdapter with %llu scatter/gather list(s) not put",
                    (unsigned long long)ad->st.sg_lists_outstanding);
    ad->released = true;
    sysdma_unbind(ad);
    if (ad->dev->adapter == ad)
        ad->dev->adapter = NULL;
    hal_emit(ad->m, ad, &ev);
}

static ULONG hal_GetDmaAlignment(PDMA_ADAPTER DmaAdapter)
{
    struct adapter *ad = adapter_get(DmaAdapter, "GetDmaAlignment");

    if (ad == NULL)
        return 1;
    hal_irql_check(ad->m, ad, "GetDmaAlignment", IRQL_EXACT_PASSIVE);
    return ad->m->cfg.dma_alignment;
}

/* ReadDmaCounter - the bytes still to move in the current system DMA transfer, from the
 * controller's count register. A bus master has no system DMA counter: 0. */
static ULONG hal_ReadDmaCounter(PDMA_ADAPTER DmaAdapter)
{
    struct adapter *ad = adapter_get(DmaAdapter, "ReadDmaCounter");

    if (ad == NULL)
        return 0;
    hal_irql_check(ad->m, ad, "ReadDmaCounter", IRQL_MAX_DISPATCH);
    return ad->chan != NULL ? sysdma_read_counter(ad) : 0;
}

static void file_list_free(struct mapreg_file *f)
{
    while (f != NULL) {
        struct mapreg_file *next = f->next;
        free(f->regs);
        free(f->maps);
        free(f);
        f = next;
    }
}

static void wb_list_free(struct wait_block *wb)
{
    while (wb != NULL) {
        struct wait_block *next = wb->next;
        free(wb);
        wb = next;
    }
}

void adapter_free(struct adapter *ad)
{
    wb_list_free(ad->chan_head);
    wb_list_free(ad->spare_wbs);
    sgl_free_all(ad);
    file_list_free(ad->files);
    file_list_free(ad->spare_files);
    common_free_all(ad);
    free(ad);
}

/* ---------------------------------------------------------------------------------------------
 * Read-back.
 */
static struct adapter *peek(PDMA_ADAPTER a)
{
    struct adapter *ad = (struct adapter *)a;

    return a != NULL && ad->magic == ADAPTER_MAGIC ? ad : NULL;
}

const struct dms_adapter_stats *dms_adapter_stats(PDMA_ADAPTER adapter)
{
    struct adapter *ad = peek(adapter);

    return ad != NULL ? &ad->st : NULL;
}

int dms_adapter_info(PDMA_ADAPTER adapter, struct dms_adapter_info *info)
{
    struct adapter *ad = peek(adapter);

    if (ad == NULL)
        return DMS_EINVAL;
    memset(info, 0, sizeof(*info));
    info->id = ad->id;
    info->device = ad->dev->name;
    info->version = ad->desc.Version;
    info->max_address = ad->max_address;
    info->address_bits = ad->address_bits;
    info->master = ad->master;
    info->scatter_gather = ad->sg;
    info->needs_map_registers = ad->needs_regs;
    info->map_registers_max = ad->max_regs;
    if (ad->pool != NULL) {
        info->bounce_pool_base = pfn_to_addr(ad->pool->base_pfn);
        info->bounce_pool_pages = ad->pool->pages;
    }
    return 0;
}

uint32_t dms_adapter_free_map_registers(PDMA_ADAPTER adapter)
{
    struct adapter *ad = peek(adapter);

    return ad != NULL && ad->pool != NULL ? ad->pool->free_pages : 0;
}

/* dms_device_dma_adapter - the DMA adapter a driver last obtained for dev (its PDO), for
 * the simulator's read-back of a driver it does not see into; NULL if none is live. */
PDMA_ADAPTER dms_device_dma_adapter(PDEVICE_OBJECT dev)
{
    struct device *d = device_of(dev);

    return d != NULL && d->adapter != NULL && !d->adapter->released ? &d->adapter->hdr : NULL;
}

uint32_t dms_device_dma_stats(PDEVICE_OBJECT dev, struct dms_adapter_stats *sum)
{
    struct device *d = device_of(dev);
    uint32_t n = 0;
    uint64_t peak = 0;

    memset(sum, 0, sizeof(*sum));
    if (d == NULL)
        return 0;
    for (uint32_t i = 0; i < d->m->n_adapters; i++) {
        const struct adapter *ad = d->m->adapters[i];
        const uint64_t *from = (const uint64_t *)&ad->st;
        uint64_t *to = (uint64_t *)sum;
        if (ad->dev != d)
            continue;
        for (size_t k = 0; k < sizeof(*sum) / sizeof(uint64_t); k++)
            to[k] += from[k];
        if (ad->st.map_registers_peak > peak)
            peak = ad->st.map_registers_peak;
        n++;
    }
    sum->map_registers_peak = peak;
    return n;
}
