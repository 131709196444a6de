/*
 * iogetdma.c - IoGetDmaAdapter, the top of the DMA room: it makes an adapter from a device
 * description, binds a subordinate device's to its controller channel, takes its bounce pool,
 * grants its map registers and gives it its table (plain, or traced for call events); and the
 * room's own life cycle (dma_init, dma_free).
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

#include "dma.h"

/* Enough registers for MaximumLength bytes starting anywhere in a page. */
static ULONG registers_for(ULONG maximum_length)
{
    ULONG len = maximum_length ? maximum_length : 1;

    return (ULONG)BYTES_TO_PAGES((uint64_t)len) + 1;
}

static DMA_OPERATIONS *ops_for(ULONG version, bool traced)
{
    if (version == DEVICE_DESCRIPTION_VERSION3)
        return traced ? &hal_ops_v3_traced : &hal_ops_v3;
    if (version == DEVICE_DESCRIPTION_VERSION2)
        return traced ? &hal_ops_v2_traced : &hal_ops_v2;
    return traced ? &hal_ops_v1_traced : &hal_ops_v1;
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

    list = hal_grow(m->dma->adapters, &m->dma->cap_adapters, sizeof(*list), m->dma->n_adapters + 1);
    if (list == NULL)
        return NULL;
    m->dma->adapters = list;
    ad = calloc(1, sizeof(*ad));
    if (ad == NULL)
        return NULL;
    ad->magic = ADAPTER_MAGIC;
    ad->acct.id = m->dma->n_adapters + 1;
    ad->acct.device = d->name;
    ad->m = m;
    ad->dev = d;
    ad->desc = *desc;
    ad->hdr.Version = 1;
    ad->hdr.Size = sizeof(DMA_ADAPTER);
    ad->hdr.DmaOperations = ops_for(desc->Version, m->cfg.call_events != 0);
    ad->master = desc->Master != 0;
    ad->verified = m->cfg.verifier_dma && ad->master;
    /* DMA remapping (the verifier, which double-buffers, takes precedence) */
    ad->remap = m->cfg.iommu_remap && ad->master && !ad->verified && !d->no_remap;
    ad->sg = desc->Master && desc->ScatterGather;
    address_limit(desc, &ad->max_address, &ad->address_bits);
    if (d->dma_limit_bits != 0 && d->dma_limit_bits < ad->address_bits) {
        /* the platform says the device reaches less than its driver declares */
        ad->address_bits = d->dma_limit_bits;
        ad->max_address = ad->address_bits == 64 ? UINT64_MAX : (1ULL << ad->address_bits) - 1;
    }
    m->dma->adapters[m->dma->n_adapters++] = ad;
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
        snprintf(name, sizeof(name), "adapter%u", m->dma->n_adapters + 1);
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
    /* the verifier double-buffers every bus master's transfers through map registers */
    ad->needs_regs = !ad->remap && (!ad->sg || dms_machine_top_address(m) - 1 > ad->max_address ||
                                    ad->verified);
    if (ad->remap && d->bm.dom == NULL && (d->bm.dom = iommu_domain_new(m)) == NULL) {
        ad->released = true;
        ad = NULL;
        goto out;
    }
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
    d->bm.acct = &ad->acct;
    *NumberOfMapRegisters = ad->max_regs;
    ev.count = ad->max_regs;
    ev.physical = ad->max_address;
    hal_emit(m, acct(ad), &ev);
out:
    dms_machine_enter(prev);
    return ad != NULL ? &ad->hdr : NULL;
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

/* Request records: queued ones (queued: with the lists the HAL allocated for them, which
 * nobody else owns yet), or spare ones. */
static void wb_list_free(struct wait_block *wb, bool queued)
{
    while (wb != NULL) {
        struct wait_block *next = wb->next;
        if (queued && wb->is_sgl && wb->hal_allocated)
            free(wb->buffer);
        free(wb);
        wb = next;
    }
}

static void adapter_free(struct adapter *ad)
{
    wb_list_free(ad->chan_head, true);
    wb_list_free(ad->spare_wbs, false);
    sgl_free_all(ad);
    file_list_free(ad->files);
    file_list_free(ad->spare_files);
    vector_free_all(ad);
    common_free_all(ad);
    free(ad);
}

int dma_init(struct dms_machine *m)
{
    m->dma = calloc(1, sizeof(*m->dma));
    return m->dma != NULL ? 0 : DMS_ENOMEM;
}

void dma_free(struct dms_machine *m)
{
    if (m->dma == NULL)
        return;
    for (uint32_t i = 0; i < m->dma->n_adapters; i++)
        adapter_free(m->dma->adapters[i]);
    free(m->dma->adapters);
    while (m->dma->pools != NULL) {
        struct bounce_pool *next = m->dma->pools->next;
        pool_free(m->dma->pools);
        m->dma->pools = next;
    }
    free(m->dma);
    m->dma = NULL;
}

