/*
 * never_completes.c - a WDM driver that attaches, starts, and keeps every read and write for
 * ever: it never calls IoCompleteRequest for them. The run must end (nothing is left to happen)
 * and say so, never hang. Built with -DFAIL_START, it fails IRP_MN_START_DEVICE instead: the
 * run must not start, naming the step. Built out of the tree by out_of_tree.sh.
 */
#include <wdm.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_ADD_DEVICE HoldAddDevice;
static DRIVER_DISPATCH HoldPnp;
static DRIVER_DISPATCH HoldKeep;
static DRIVER_DISPATCH HoldCreateClose;

static NTSTATUS HoldPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PDEVICE_OBJECT lower = *(PDEVICE_OBJECT *)DeviceObject->DeviceExtension;

#ifdef FAIL_START
    if (IoGetCurrentIrpStackLocation(Irp)->MinorFunction == IRP_MN_START_DEVICE) {
        Irp->IoStatus.Status = STATUS_DEVICE_CONFIGURATION_ERROR;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_DEVICE_CONFIGURATION_ERROR;
    }
#endif
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(lower, Irp);
}

static NTSTATUS HoldKeep(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    IoMarkIrpPending(Irp);
    return STATUS_PENDING;
}

static NTSTATUS HoldCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS HoldAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    PDEVICE_OBJECT fdo;
    NTSTATUS status;

    status = IoCreateDevice(DriverObject, sizeof(PDEVICE_OBJECT), NULL, FILE_DEVICE_UNKNOWN, 0,
                            FALSE, &fdo);
    if (!NT_SUCCESS(status))
        return status;
    *(PDEVICE_OBJECT *)fdo->DeviceExtension = IoAttachDeviceToDeviceStack(fdo, Pdo);
    fdo->Flags |= DO_DIRECT_IO;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->MajorFunction[IRP_MJ_CREATE] = HoldCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = HoldCreateClose;
    DriverObject->MajorFunction[IRP_MJ_READ] = HoldKeep;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = HoldKeep;
    DriverObject->MajorFunction[IRP_MJ_PNP] = HoldPnp;
    DriverObject->DriverExtension->AddDevice = HoldAddDevice;
    return STATUS_SUCCESS;
}
