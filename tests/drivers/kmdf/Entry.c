/*
 * Entry.c - the DriverEntry of an out-of-tree KMDF driver built the WDK's way: its
 * precompiled header by the wrong case, its WPP trace header generated (Entry.tmh), a device
 * interface GUID defined once. The driver proper is dmasim's PCI 9656 KMDF driver
 * (adapters/pci9656/pci9656_kmdf.c), compiled into the same module.
 */
#include "precomp.h"

#include "Entry.tmh"

DRIVER_INITIALIZE DriverEntry;
DRIVER_INITIALIZE Pci9656DriverEntry;

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    WPP_INIT_TRACING(DriverObject, RegistryPath);
    TraceEvents(TRACE_LEVEL_INFORMATION, DBG_INIT, "--> %!FUNC! for interface %08lx",
                GUID_DMASIM_PLX_TEST.Data1);
    status = Pci9656DriverEntry(DriverObject, RegistryPath);
    TraceEvents(TRACE_LEVEL_INFORMATION, DBG_INIT, "<-- %!FUNC! %!STATUS!", status);
    if (!NT_SUCCESS(status))
        WPP_CLEANUP(DriverObject);
    return status;
}
