/*
 * legacy_datasheet.c - a WDM driver for the legacy card written from docs/hardware/legacy.md
 * alone (not from the driver shipped for it), built out of the tree against the installed
 * dmasim exactly as docs/driver-guide.md says, and loaded by a scenario with driver = FILE.
 *
 * It differs from the shipped driver on purpose, to take other roads through the kernel: its
 * own queue under a spin lock instead of StartIo, IoConnectInterrupt with the translated
 * vector instead of IoConnectInterruptEx, the interrupt's state read under
 * KeSynchronizeExecution, and a DPC of its own queued with KeInsertQueueDpc.
 */
#include <ntddk.h>

/* docs/hardware/legacy.md, "Registers" */
#define REG_ADDRESS_LO 0x00
#define REG_ADDRESS_HI 0x04
#define REG_COUNT      0x08
#define REG_OFFSET_LO  0x0C
#define REG_OFFSET_HI  0x10
#define REG_CONTROL    0x14
#define REG_STATUS     0x18
#define REG_INT_STATUS 0x1C
#define REG_ID         0x20
#define CARD_ID        0x4C454731
#define CONTROL_GO         0x1
#define CONTROL_TO_DEVICE  0x2
#define CONTROL_INT_ENABLE 0x4
#define STATUS_ERROR_BIT   0x4
#define INT_DONE           0x1
#define CARD_REGISTERS     0x40

typedef struct _CARD {
    PDEVICE_OBJECT Fdo, Lower, Pdo;
    PUCHAR Regs;
    PKINTERRUPT Interrupt;
    KSPIN_LOCK InterruptLock;
    KDPC Dpc;
    PDMA_ADAPTER Dma;
    ULONG MapRegisters, MaxRequest;
    BOOLEAN Flush;
    /* the queue, under QueueLock */
    KSPIN_LOCK QueueLock;
    LIST_ENTRY Queue;
    PIRP Active;
    /* the active request's progress (DPC and AdapterControl only) */
    PUCHAR Va;
    ULONG Left, Piece, PieceRegs;
    LONGLONG Offset;
    BOOLEAN ToDevice;
    PVOID Base;
    NTSTATUS Status;
    ULONG Acked; /* INT_STATUS seen by the ISR, for the DPC (under the interrupt lock) */
} CARD, *PCARD;

static void reg_write(PCARD c, ULONG r, ULONG v)
{
    WRITE_REGISTER_ULONG((PULONG)(c->Regs + r), v);
}

static ULONG reg_read(PCARD c, ULONG r)
{
    return READ_REGISTER_ULONG((PULONG)(c->Regs + r));
}

static IO_ALLOCATION_ACTION MapPiece(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Base,
                                     PVOID Context)
{
    PCARD c = Context;
    ULONG len = c->PieceRegs * PAGE_SIZE - BYTE_OFFSET(c->Va);
    PHYSICAL_ADDRESS la;

    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    if (len > c->Left)
        len = c->Left;
    c->Base = Base;
    la = c->Dma->DmaOperations->MapTransfer(c->Dma, c->Active->MdlAddress, Base, c->Va, &len,
                                            c->ToDevice);
    c->Piece = len;
    reg_write(c, REG_ADDRESS_LO, la.LowPart);
    reg_write(c, REG_ADDRESS_HI, (ULONG)la.HighPart);
    reg_write(c, REG_COUNT, len);
    reg_write(c, REG_OFFSET_LO, (ULONG)c->Offset);
    reg_write(c, REG_OFFSET_HI, (ULONG)(c->Offset >> 32));
    reg_write(c, REG_CONTROL,
              CONTROL_GO | CONTROL_INT_ENABLE | (c->ToDevice ? CONTROL_TO_DEVICE : 0));
    return DeallocateObjectKeepRegisters;
}

/* At DISPATCH_LEVEL: ask for the registers of the next piece of the active request. */
static void NextPiece(PCARD c)
{
    ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(c->Va, c->Left);

    c->PieceRegs = pages < c->MapRegisters ? pages : c->MapRegisters;
    c->Status = c->Dma->DmaOperations->AllocateAdapterChannel(c->Dma, c->Fdo, c->PieceRegs,
                                                              MapPiece, c);
    if (!NT_SUCCESS(c->Status))
        KeInsertQueueDpc(&c->Dpc, NULL, NULL);
}

/* At DISPATCH_LEVEL, with nothing active: take the next IRP off the queue and start it. */
static void StartNext(PCARD c)
{
    PLIST_ENTRY e;
    PIRP irp;
    PIO_STACK_LOCATION sp;

    KeAcquireSpinLockAtDpcLevel(&c->QueueLock);
    if (c->Active != NULL || IsListEmpty(&c->Queue)) {
        KeReleaseSpinLockFromDpcLevel(&c->QueueLock);
        return;
    }
    e = RemoveHeadList(&c->Queue);
    irp = CONTAINING_RECORD(e, IRP, Tail.Overlay.ListEntry);
    c->Active = irp;
    KeReleaseSpinLockFromDpcLevel(&c->QueueLock);
    sp = IoGetCurrentIrpStackLocation(irp);
    c->Va = MmGetMdlVirtualAddress(irp->MdlAddress);
    c->Left = sp->Parameters.Write.Length;
    c->Offset = sp->Parameters.Write.ByteOffset.QuadPart;
    c->ToDevice = sp->MajorFunction == IRP_MJ_WRITE;
    c->Base = NULL;
    c->Status = STATUS_SUCCESS;
    if (c->Flush && c->ToDevice)
        KeFlushIoBuffers(irp->MdlAddress, FALSE, TRUE);
    NextPiece(c);
}

static BOOLEAN Isr(PKINTERRUPT Interrupt, PVOID Context)
{
    PCARD c = Context;
    ULONG s = reg_read(c, REG_INT_STATUS);

    UNREFERENCED_PARAMETER(Interrupt);
    if (!(s & INT_DONE))
        return FALSE;
    reg_write(c, REG_INT_STATUS, INT_DONE);
    c->Acked |= s;
    KeInsertQueueDpc(&c->Dpc, NULL, NULL);
    return TRUE;
}

static BOOLEAN TakeAcked(PVOID Context)
{
    PCARD c = Context;
    BOOLEAN was = c->Acked != 0;

    c->Acked = 0;
    return was;
}

static VOID Dpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2)
{
    PCARD c = Context;
    PIRP irp = c->Active;
    KIRQL irql;

    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(A1);
    UNREFERENCED_PARAMETER(A2);
    if (irp == NULL)
        return;
    if (c->Base != NULL) {
        if (!KeSynchronizeExecution(c->Interrupt, TakeAcked, c))
            return; /* the card has not finished the piece */
        if (reg_read(c, REG_STATUS) & STATUS_ERROR_BIT)
            c->Status = STATUS_IO_DEVICE_ERROR;
        c->Dma->DmaOperations->FlushAdapterBuffers(c->Dma, irp->MdlAddress, c->Base, c->Va,
                                                   c->Piece, c->ToDevice);
        c->Dma->DmaOperations->FreeMapRegisters(c->Dma, c->Base, c->PieceRegs);
        c->Base = NULL;
        c->Va += c->Piece;
        c->Offset += c->Piece;
        c->Left -= c->Piece;
        if (NT_SUCCESS(c->Status) && c->Left > 0) {
            NextPiece(c);
            return;
        }
    }
    if (c->Flush && !c->ToDevice && NT_SUCCESS(c->Status))
        KeFlushIoBuffers(irp->MdlAddress, TRUE, TRUE);
    irp->IoStatus.Status = c->Status;
    irp->IoStatus.Information =
        NT_SUCCESS(c->Status) ? IoGetCurrentIrpStackLocation(irp)->Parameters.Write.Length : 0;
    KeAcquireSpinLock(&c->QueueLock, &irql);
    c->Active = NULL;
    KeReleaseSpinLock(&c->QueueLock, irql);
    IoCompleteRequest(irp, IO_DISK_INCREMENT);
    StartNext(c);
}

static NTSTATUS ReadWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PCARD c = DeviceObject->DeviceExtension;
    ULONG len = IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length;
    KIRQL irql;

    if (c->Dma == NULL || len == 0 || len > c->MaxRequest) {
        Irp->IoStatus.Status = c->Dma == NULL ? STATUS_DEVICE_NOT_READY
                                              : len == 0 ? STATUS_SUCCESS
                                                         : STATUS_INVALID_PARAMETER;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return Irp->IoStatus.Status;
    }
    IoMarkIrpPending(Irp);
    KeAcquireSpinLock(&c->QueueLock, &irql);
    InsertTailList(&c->Queue, &Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&c->QueueLock, irql);
    KeRaiseIrql(DISPATCH_LEVEL, &irql);
    StartNext(c);
    KeLowerIrql(irql);
    return STATUS_PENDING;
}

static NTSTATUS StartCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static NTSTATUS Start(PCARD c, PCM_RESOURCE_LIST res)
{
    PCM_PARTIAL_RESOURCE_LIST l = &res->List[0].PartialResourceList;
    ULONG vector = 0, bits = 32;
    KIRQL level = 0;
    DEVICE_DESCRIPTION dd;
    NTSTATUS status;

    c->MaxRequest = 64 * 1024;
    for (ULONG i = 0; i < l->Count; i++) {
        PCM_PARTIAL_RESOURCE_DESCRIPTOR d = &l->PartialDescriptors[i];
        if (d->Type == CmResourceTypeMemory && d->u.Memory.Length >= CARD_REGISTERS)
            c->Regs = MmMapIoSpace(d->u.Memory.Start, CARD_REGISTERS, MmNonCached);
        else if (d->Type == CmResourceTypeInterrupt) {
            vector = d->u.Interrupt.Vector;
            level = (KIRQL)d->u.Interrupt.Level;
        } else if (d->Type == CmResourceTypeDevicePrivate) {
            bits = d->u.DevicePrivate.Data[0] & 0xFF;
            c->MaxRequest = d->u.DevicePrivate.Data[1];
            c->Flush = d->u.DevicePrivate.Data[2] != 0;
        }
    }
    if (c->Regs == NULL || level == 0 || reg_read(c, REG_ID) != CARD_ID)
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    KeInitializeSpinLock(&c->InterruptLock);
    status = IoConnectInterrupt(&c->Interrupt, Isr, c, &c->InterruptLock, vector, level, level,
                                LevelSensitive, FALSE, (KAFFINITY)-1, FALSE);
    if (!NT_SUCCESS(status))
        return status;
    RtlZeroMemory(&dd, sizeof(dd));
    dd.Version = DEVICE_DESCRIPTION_VERSION;
    dd.Master = TRUE;
    dd.Dma32BitAddresses = bits >= 32;
    dd.Dma64BitAddresses = bits >= 64;
    dd.InterfaceType = bits < 32 ? Isa : PCIBus;
    dd.MaximumLength = c->MaxRequest;
    c->Dma = IoGetDmaAdapter(c->Pdo, &dd, &c->MapRegisters);
    return c->Dma != NULL ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

static NTSTATUS Pnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PCARD c = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;
    KEVENT done;

    if (sp->MinorFunction == IRP_MN_START_DEVICE) {
        KeInitializeEvent(&done, NotificationEvent, FALSE);
        IoCopyCurrentIrpStackLocationToNext(Irp);
        IoSetCompletionRoutine(Irp, StartCompletion, &done, TRUE, TRUE, TRUE);
        if (IoCallDriver(c->Lower, Irp) == STATUS_PENDING)
            KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, NULL);
        status = Irp->IoStatus.Status;
        if (NT_SUCCESS(status))
            status = Start(c, sp->Parameters.StartDevice.AllocatedResourcesTranslated);
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
    }
    if (sp->MinorFunction == IRP_MN_STOP_DEVICE || sp->MinorFunction == IRP_MN_REMOVE_DEVICE) {
        if (c->Interrupt != NULL)
            IoDisconnectInterrupt(c->Interrupt);
        c->Interrupt = NULL;
        if (c->Dma != NULL)
            c->Dma->DmaOperations->PutDmaAdapter(c->Dma);
        c->Dma = NULL;
        if (c->Regs != NULL)
            MmUnmapIoSpace(c->Regs, CARD_REGISTERS);
        c->Regs = NULL;
        Irp->IoStatus.Status = STATUS_SUCCESS;
    }
    IoSkipCurrentIrpStackLocation(Irp);
    status = IoCallDriver(c->Lower, Irp);
    if (sp->MinorFunction == IRP_MN_REMOVE_DEVICE) {
        IoDetachDevice(c->Lower);
        IoDeleteDevice(DeviceObject);
    }
    return status;
}

static NTSTATUS AddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    PDEVICE_OBJECT fdo;
    PCARD c;
    NTSTATUS status = IoCreateDevice(DriverObject, sizeof(CARD), NULL, FILE_DEVICE_DISK, 0,
                                     FALSE, &fdo);

    if (!NT_SUCCESS(status))
        return status;
    c = fdo->DeviceExtension;
    c->Fdo = fdo;
    c->Pdo = Pdo;
    c->Lower = IoAttachDeviceToDeviceStack(fdo, Pdo);
    KeInitializeSpinLock(&c->QueueLock);
    InitializeListHead(&c->Queue);
    KeInitializeDpc(&c->Dpc, Dpc, c);
    fdo->Flags |= DO_DIRECT_IO;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverExtension->AddDevice = AddDevice;
    DriverObject->MajorFunction[IRP_MJ_READ] = ReadWrite;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = ReadWrite;
    DriverObject->MajorFunction[IRP_MJ_PNP] = Pnp;
    DbgPrint("legacy_datasheet: loaded from %wZ\n", RegistryPath);
    return STATUS_SUCCESS;
}
