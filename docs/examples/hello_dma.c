/*
 * hello_dma.c - a WDK-style driver's DMA code running in a plain Linux process.
 *
 * A 64 GiB machine, two bus-master disks with scatter/gather: one with 64 address lines, one
 * with 32. Each writes 1 MiB to its device with GetScatterGatherList, then reads it back with
 * the packet pattern (AllocateAdapterChannel, MapTransfer, FlushAdapterBuffers,
 * FreeMapRegisters). The "device" is the simulator's device-side DMA by logical address. The
 * bytes are checked both ways, and the HAL's counters show what double-buffering cost.
 *
 * Everything below the "driver" line is ordinary driver code against <dmasim/wdm.h>.
 */
#include <stdio.h>
#include <string.h>

#include <dmasim/hal.h>
#include <dmasim/wdm.h>

#define IO_BYTES (1u << 20)

/* ---- driver ------------------------------------------------------------------------------ */

typedef struct _DISK_EXTENSION {
    PDMA_ADAPTER Adapter;
    ULONG MapRegisters;
    unsigned AddressBits; /* the device's wires, for the simulated device below */
    PUCHAR Media;         /* the device's "disk": where its DMA engine puts data */
} DISK_EXTENSION, *PDISK_EXTENSION;

static NTSTATUS DiskStart(PDEVICE_OBJECT Pdo, BOOLEAN Dma64)
{
    PDISK_EXTENSION ext = Pdo->DeviceExtension;
    DEVICE_DESCRIPTION dd;

    memset(&dd, 0, sizeof(dd));
    dd.Version = DEVICE_DESCRIPTION_VERSION2;
    dd.Master = TRUE;
    dd.ScatterGather = TRUE;
    dd.Dma32BitAddresses = !Dma64;
    dd.Dma64BitAddresses = Dma64;
    dd.InterfaceType = PCIBus;
    dd.MaximumLength = 128 * 1024;
    ext->Adapter = IoGetDmaAdapter(Pdo, &dd, &ext->MapRegisters);
    return ext->Adapter ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

/* AdapterListControl: program the device with each element (here the device copies). */
static VOID DiskWriteList(PDEVICE_OBJECT Dev, PIRP Irp, PSCATTER_GATHER_LIST Sg, PVOID Ctx)
{
    PDISK_EXTENSION ext = Dev->DeviceExtension;
    ULONG at = (ULONG)(ULONG_PTR)Ctx;

    UNREFERENCED_PARAMETER(Irp);
    for (ULONG i = 0; i < Sg->NumberOfElements; i++) {
        dms_device_dma_read(Dev, ext->AddressBits, (ULONGLONG)Sg->Elements[i].Address.QuadPart,
                            ext->Media + at, Sg->Elements[i].Length, NULL);
        at += Sg->Elements[i].Length;
    }
    ext->Adapter->DmaOperations->PutScatterGatherList(ext->Adapter, Sg, TRUE);
}

static NTSTATUS DiskWrite(PDEVICE_OBJECT Dev, PMDL Mdl, ULONG Offset, ULONG Length)
{
    PDISK_EXTENSION ext = Dev->DeviceExtension;
    PUCHAR va = (PUCHAR)MmGetMdlVirtualAddress(Mdl) + Offset;
    NTSTATUS status;
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    status = ext->Adapter->DmaOperations->GetScatterGatherList(
        ext->Adapter, Dev, Mdl, va, Length, DiskWriteList, (PVOID)(ULONG_PTR)Offset, TRUE);
    KeLowerIrql(old);
    return status;
}

typedef struct _READ_CONTEXT {
    PMDL Mdl;
    PUCHAR Va;
    ULONG Length;
    ULONG MediaOffset;
} READ_CONTEXT;

/* AdapterControl for a read: map fragment by fragment, let the device write, flush. */
static IO_ALLOCATION_ACTION DiskReadControl(PDEVICE_OBJECT Dev, PIRP Irp, PVOID MapRegisterBase,
                                            PVOID Context)
{
    PDISK_EXTENSION ext = Dev->DeviceExtension;
    READ_CONTEXT *rc = Context;
    ULONG done = 0;

    UNREFERENCED_PARAMETER(Irp);
    while (done < rc->Length) {
        ULONG len = rc->Length - done;
        PHYSICAL_ADDRESS la = ext->Adapter->DmaOperations->MapTransfer(
            ext->Adapter, rc->Mdl, MapRegisterBase, rc->Va + done, &len, FALSE);
        dms_device_dma_write(Dev, ext->AddressBits, (ULONGLONG)la.QuadPart,
                             ext->Media + rc->MediaOffset + done, len, NULL);
        done += len;
    }
    ext->Adapter->DmaOperations->FlushAdapterBuffers(ext->Adapter, rc->Mdl, MapRegisterBase,
                                                     rc->Va, rc->Length, FALSE);
    return DeallocateObject; /* the transfer is done and flushed: the registers may go */
}

static NTSTATUS DiskRead(PDEVICE_OBJECT Dev, PMDL Mdl, ULONG Offset, ULONG Length)
{
    PDISK_EXTENSION ext = Dev->DeviceExtension;
    READ_CONTEXT rc = {Mdl, (PUCHAR)MmGetMdlVirtualAddress(Mdl) + Offset, Length, Offset};
    NTSTATUS status;
    KIRQL old;

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    status = ext->Adapter->DmaOperations->AllocateAdapterChannel(
        ext->Adapter, Dev, ADDRESS_AND_SIZE_TO_SPAN_PAGES(rc.Va, Length), DiskReadControl, &rc);
    KeLowerIrql(old);
    return status;
}

/* ---- host: the machine, the devices, the check ------------------------------------------ */

static int run_disk(struct dms_machine *m, const char *name, BOOLEAN dma64)
{
    static UCHAR media[IO_BYTES];
    PDEVICE_OBJECT dev = dms_device_create(m, name, sizeof(DISK_EXTENSION));
    PDISK_EXTENSION ext = dev->DeviceExtension;
    PUCHAR buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, IO_BYTES, 'oleH');
    PMDL mdl = IoAllocateMdl(buf, IO_BYTES, FALSE, FALSE, NULL);
    const struct dms_adapter_stats *st;
    ULONG chunk;
    int bad = 0;

    ext->AddressBits = dma64 ? 64 : 32;
    ext->Media = media;
    if (buf == NULL || mdl == NULL || DiskStart(dev, dma64) != STATUS_SUCCESS)
        return 1;
    MmBuildMdlForNonPagedPool(mdl);
    chunk = (ext->MapRegisters - 1) * PAGE_SIZE; /* what one request may map, any alignment */
    for (ULONG i = 0; i < IO_BYTES; i++)
        buf[i] = (UCHAR)(i * 13 + 7);
    for (ULONG off = 0; off < IO_BYTES; off += chunk)
        DiskWrite(dev, mdl, off, IO_BYTES - off < chunk ? IO_BYTES - off : chunk);
    bad |= memcmp(media, buf, IO_BYTES) != 0;
    memset(buf, 0, IO_BYTES);
    for (ULONG off = 0; off < IO_BYTES; off += chunk)
        DiskRead(dev, mdl, off, IO_BYTES - off < chunk ? IO_BYTES - off : chunk);
    bad |= memcmp(media, buf, IO_BYTES) != 0;

    st = dms_adapter_stats(ext->Adapter);
    printf("%-6s %2u-bit  %4u  %8llu  %6llu  %6llu  %9llu  %9llu  %6llu  %s\n", name,
           ext->AddressBits, ext->MapRegisters, (unsigned long long)st->transfers,
           (unsigned long long)st->pages_mapped, (unsigned long long)st->pages_bounced,
           (unsigned long long)st->bytes_bounced_to_device,
           (unsigned long long)st->bytes_bounced_from_device,
           (unsigned long long)st->map_registers_peak, bad ? "MISMATCH" : "ok");
    IoFreeMdl(mdl);
    ExFreePool(buf);
    ext->Adapter->DmaOperations->PutDmaAdapter(ext->Adapter);
    return bad;
}

int main(void)
{
    struct dms_machine_config cfg;
    struct dms_machine *m;
    int bad = 0;

    dms_machine_config_init(&cfg);
    cfg.ram_bytes = 64 * DMS_GIB; /* buffers land anywhere in 65 GiB of address space */
    if (dms_machine_create(&cfg, NULL, &m) != 0)
        return 2;
    printf("dmasim example: 1 MiB written (GetScatterGatherList) and read back (MapTransfer)\n");
    printf("machine: 64 GiB of RAM, top of memory at %llu GiB, random placement\n\n",
           (unsigned long long)(dms_machine_top_address(m) >> 30));
    printf("device  lines  regs  transfers  mapped  bounced  copied-to  copied-from  "
           "peak    bytes\n");
    bad |= run_disk(m, "disk64", TRUE);
    bad |= run_disk(m, "disk32", FALSE);
    printf("\nfindings: %zu\n", dms_finding_count(m));
    for (size_t i = 0; i < dms_finding_count(m); i++)
        printf("  E6/0x%02x %s\n", dms_finding_get(m, i)->code, dms_finding_get(m, i)->message);
    bad |= dms_finding_count(m) != 0;
    dms_machine_destroy(m);
    return bad;
}
