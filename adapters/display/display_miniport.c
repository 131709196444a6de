/*
 * display_miniport.c - dmasim's video miniport for the display adapter (docs/hardware/
 * display.md), written from the video port documentation ("Bus-Master DMA in Video Miniport
 * Drivers", "Packet-Based Bus-Master DMA", "Points to Consider When Using DMA"): the display
 * driver's transfer requests, each moved in VideoPortStartDma / VideoPortCompleteDma rounds on
 * one of the card's two DMA engines.
 *
 *   DriverEntry          VideoPortInitialize with the miniport's entry points
 *   HwVidFindAdapter     the registers (VideoPortGetAccessRanges, VideoPortGetDeviceBase), the
 *                        firmware's parameters (VideoPortGetRegistryParameters), a DMA adapter
 *                        for each engine (VideoPortGetDmaAdapter: "one DMA adapter object for
 *                        each concurrent path") or, with DmaAdapters = 1, one for both; a
 *                        common buffer for each engine's descriptor
 *   HwVidInitialize      the engines' interrupts enabled
 *   HwVidStartIO         a transfer request: its buffer locked (VideoPortLockBuffer), a free
 *                        engine's first round started, or the request queued for the next
 *                        engine to finish
 *   a round              VideoPortStartDma from where the last one ended: it maps what the map
 *                        registers cover (*pLength says how much), and HwVidExecuteDma, at
 *                        DISPATCH_LEVEL, writes the engine's descriptor from the list and
 *                        starts the engine
 *   HwVidInterrupt       the finished engines acknowledged; a DPC queued (VideoPortQueueDpc:
 *                        the DMA routines may not be called from the ISR)
 *   the DPC              for each finished engine: VideoPortCompleteDma, then the next round,
 *                        or, the request whole, VideoPortUnlockBuffer and the display driver's
 *                        event (VideoPortSetEvent): the engine going idle between rounds does
 *                        not mean the request is done, so the miniport says when it is
 */
#include <dmasim/video.h>

#include "display_hw.h"

/* the entry: DriverEntry's role, under this name in dmasim (display_card.h), or wrapped by a
 * DriverEntry of the driver's own out of the tree (tests/drivers/videoport_out_of_tree.sh) */
DRIVER_INITIALIZE DisplayDriverEntry;

#define DISP_PENDING 64 /* requests waiting for an engine */

typedef struct _DISP_ENGINE {
    PVP_DMA_ADAPTER Adapter;
    PUCHAR Descriptor;             /* its common buffer */
    PHYSICAL_ADDRESS DescriptorLogical;
    ULONG DescriptorBytes;
    PVIDEO_DMASIM_TRANSFER Transfer; /* the request it is moving, or NULL */
    PVOID Mdl;
    ULONG Done, Current;           /* bytes moved; the round under way (StartDma's *pLength) */
    PVP_SCATTER_GATHER_LIST List;
} DISP_ENGINE, *PDISP_ENGINE;

typedef struct _DISP_EXTENSION {
    PUCHAR Registers;
    ULONG DeclaredBits, MaxTransfer, Adapters;
    PVP_DMA_ADAPTER Adapter[DISP_ENGINES];
    DISP_ENGINE Engine[DISP_ENGINES];
    ULONG Finished;                /* the ISR's record of finished engines, for the DPC */
    PVIDEO_DMASIM_TRANSFER Pending[DISP_PENDING];
    ULONG PendingHead, PendingCount;
} DISP_EXTENSION, *PDISP_EXTENSION;

static VP_STATUS DispFindAdapter(PVOID HwDeviceExtension, PVOID HwContext, PWSTR ArgumentString,
                                 PVIDEO_PORT_CONFIG_INFO ConfigInfo, PUCHAR Again);
static BOOLEAN DispInitialize(PVOID HwDeviceExtension);
static BOOLEAN DispInterrupt(PVOID HwDeviceExtension);
static BOOLEAN DispStartIO(PVOID HwDeviceExtension, PVIDEO_REQUEST_PACKET RequestPacket);

static ULONG RegRead(PDISP_EXTENSION Ext, ULONG Offset)
{
    return VideoPortReadRegisterUlong((PULONG)(Ext->Registers + Offset));
}

static VOID RegWrite(PDISP_EXTENSION Ext, ULONG Offset, ULONG Value)
{
    VideoPortWriteRegisterUlong((PULONG)(Ext->Registers + Offset), Value);
}

NTSTATUS DisplayDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    VIDEO_HW_INITIALIZATION_DATA init;

    VideoPortZeroMemory(&init, sizeof(init));
    init.HwInitDataSize = sizeof(init);
    init.HwFindAdapter = DispFindAdapter;
    init.HwInitialize = DispInitialize;
    init.HwInterrupt = DispInterrupt;
    init.HwStartIO = DispStartIO;
    init.HwDeviceExtensionSize = sizeof(DISP_EXTENSION);
    return (NTSTATUS)VideoPortInitialize(DriverObject, RegistryPath, &init, NULL);
}

/* ---- finding the adapter --------------------------------------------------------------------- */
static VP_STATUS DispRegistryValue(PVOID HwDeviceExtension, PVOID Context, PWSTR ValueName,
                                   PVOID ValueData, ULONG ValueLength)
{
    UNREFERENCED_PARAMETER(HwDeviceExtension);
    UNREFERENCED_PARAMETER(ValueName);
    if (ValueLength != sizeof(ULONG))
        return ERROR_INVALID_PARAMETER;
    *(PULONG)Context = *(PULONG)ValueData;
    return NO_ERROR;
}

static ULONG DispParameter(PDISP_EXTENSION Ext, PWSTR Name, ULONG Default)
{
    ULONG value = Default;

    if (VideoPortGetRegistryParameters(Ext, Name, FALSE, DispRegistryValue, &value) != NO_ERROR)
        return Default;
    return value;
}

/* the registry parameters the card's INF sets (docs/hardware/display.md) */
static WCHAR DmaAddressBits[] = L"DmaAddressBits";
static WCHAR MaximumTransferLength[] = L"MaximumTransferLength";
static WCHAR DmaAdapters[] = L"DmaAdapters";

static VP_STATUS DispFindAdapter(PVOID HwDeviceExtension, PVOID HwContext, PWSTR ArgumentString,
                                 PVIDEO_PORT_CONFIG_INFO ConfigInfo, PUCHAR Again)
{
    PDISP_EXTENSION ext = HwDeviceExtension;
    VIDEO_ACCESS_RANGE range;
    VP_DEVICE_DESCRIPTION dd;
    VP_STATUS status;

    UNREFERENCED_PARAMETER(HwContext);
    UNREFERENCED_PARAMETER(ArgumentString);
    *Again = FALSE;
    if (ConfigInfo->Length < sizeof(VIDEO_PORT_CONFIG_INFO))
        return ERROR_INVALID_PARAMETER;
    status = VideoPortGetAccessRanges(ext, 0, NULL, 1, &range, NULL, NULL, NULL);
    if (status != NO_ERROR && status != ERROR_MORE_DATA)
        return status;
    if (range.RangeInIoSpace || range.RangeLength < DISP_BAR_BYTES)
        return ERROR_DEV_NOT_EXIST;
    ext->Registers = VideoPortGetDeviceBase(ext, range.RangeStart, DISP_BAR_BYTES,
                                            VIDEO_MEMORY_SPACE_MEMORY);
    if (ext->Registers == NULL || RegRead(ext, DISP_REG_ID) != DISP_ID ||
        RegRead(ext, DISP_REG_ENGINES) < DISP_ENGINES)
        return ERROR_DEV_NOT_EXIST;
    ext->DeclaredBits = DispParameter(ext, DmaAddressBits, 32);
    ext->MaxTransfer = DispParameter(ext, MaximumTransferLength, 1u << 20);
    ext->Adapters = DispParameter(ext, DmaAdapters, DISP_ENGINES);
    if (ext->Adapters < 1 || ext->Adapters > DISP_ENGINES)
        ext->Adapters = DISP_ENGINES;

    /* packet DMA: one round moves at most what one descriptor lists */
    VideoPortZeroMemory(&dd, sizeof(dd));
    dd.ScatterGather = RegRead(ext, DISP_REG_MAX_ELEMENTS) > 1;
    dd.Dma32BitAddresses = TRUE;
    dd.Dma64BitAddresses = ext->DeclaredBits >= 64;
    dd.MaximumLength = RegRead(ext, DISP_REG_MAX_TRANSFER);
    for (ULONG i = 0; i < ext->Adapters; i++) {
        ext->Adapter[i] = VideoPortGetDmaAdapter(ext, &dd);
        if (ext->Adapter[i] == NULL)
            return ERROR_NOT_ENOUGH_MEMORY;
    }
    for (ULONG e = 0; e < DISP_ENGINES; e++) {
        PDISP_ENGINE eng = &ext->Engine[e];
        eng->Adapter = ext->Adapter[e % ext->Adapters];
        eng->DescriptorBytes = (ULONG)(sizeof(DISP_DESCRIPTOR) +
                                       RegRead(ext, DISP_REG_MAX_ELEMENTS) * sizeof(DISP_ELEMENT));
        eng->Descriptor = VideoPortAllocateCommonBuffer(ext, eng->Adapter, eng->DescriptorBytes,
                                                        &eng->DescriptorLogical, TRUE, NULL);
        if (eng->Descriptor == NULL)
            return ERROR_NOT_ENOUGH_MEMORY;
    }
    return NO_ERROR;
}

static BOOLEAN DispInitialize(PVOID HwDeviceExtension)
{
    PDISP_EXTENSION ext = HwDeviceExtension;

    RegWrite(ext, DISP_REG_INT_STATUS, (1u << DISP_ENGINES) - 1);
    RegWrite(ext, DISP_REG_INT_ENABLE, (1u << DISP_ENGINES) - 1);
    return TRUE;
}

/* ---- rounds ---------------------------------------------------------------------------------- */
/* HwVidExecuteDma, at DISPATCH_LEVEL: the round's list as the engine's descriptor, and START.
 * Engine->Current is what StartDma mapped: written before this runs. */
static VOID DispExecuteDma(PVOID HwDeviceExtension, PVP_DMA_ADAPTER VpDmaAdapter,
                           PVP_SCATTER_GATHER_LIST SGList, PVOID Context)
{
    PDISP_EXTENSION ext = HwDeviceExtension;
    PDISP_ENGINE eng = Context;
    ULONG e = (ULONG)(eng - ext->Engine);
    DISP_DESCRIPTOR *d = (DISP_DESCRIPTOR *)eng->Descriptor;

    UNREFERENCED_PARAMETER(VpDmaAdapter);
    eng->List = SGList;
    d->VramOffset = eng->Transfer->DeviceOffset + eng->Done;
    d->Bytes = eng->Current;
    d->Flags = (eng->Transfer->WriteToDevice ? DISP_DESC_TO_VRAM : 0) |
               (eng->Done == 0 ? DISP_DESC_FIRST : 0);
    d->Elements = SGList->NumberOfElements;
    d->Reserved = 0;
    for (ULONG i = 0; i < SGList->NumberOfElements; i++) {
        d->Element[i].Address = (ULONGLONG)SGList->Elements[i].Address.QuadPart;
        d->Element[i].Length = SGList->Elements[i].Length;
        d->Element[i].Reserved = 0;
    }
    RegWrite(ext, DISP_REG_ENGINE(e) + DISP_ENG_DESC_LO, eng->DescriptorLogical.LowPart);
    RegWrite(ext, DISP_REG_ENGINE(e) + DISP_ENG_DESC_HI, (ULONG)eng->DescriptorLogical.HighPart);
    RegWrite(ext, DISP_REG_ENGINE(e) + DISP_ENG_START, 1);
}

static VOID DispFinish(PDISP_EXTENSION Ext, PDISP_ENGINE Engine, VP_STATUS Status);

/* The next round of the engine's request: from where the last one ended. */
static VOID DispRound(PDISP_EXTENSION Ext, PDISP_ENGINE Engine)
{
    VP_STATUS status;

    Engine->Current = Engine->Transfer->Length - Engine->Done;
    status = VideoPortStartDma(Ext, Engine->Adapter, Engine->Mdl, Engine->Done, &Engine->Current,
                               DispExecuteDma, Engine, Engine->Transfer->WriteToDevice);
    if (status != NO_ERROR)
        DispFinish(Ext, Engine, status);
}

static VOID DispStart(PDISP_EXTENSION Ext, PDISP_ENGINE Engine, PVIDEO_DMASIM_TRANSFER Transfer)
{
    Engine->Mdl = VideoPortLockBuffer(Ext, Transfer->Buffer, Transfer->Length,
                                      Transfer->WriteToDevice ? VpReadAccess : VpWriteAccess);
    Engine->Transfer = Transfer;
    Engine->Done = 0;
    if (Engine->Mdl == NULL) {
        DispFinish(Ext, Engine, ERROR_NOT_ENOUGH_MEMORY);
        return;
    }
    DispRound(Ext, Engine);
}

/* The request is whole (or failed): the buffer unlocked, the display driver told, and the
 * engine given the next request waiting. */
static VOID DispFinish(PDISP_EXTENSION Ext, PDISP_ENGINE Engine, VP_STATUS Status)
{
    PVIDEO_DMASIM_TRANSFER t = Engine->Transfer;

    if (Engine->Mdl != NULL)
        VideoPortUnlockBuffer(Ext, Engine->Mdl);
    Engine->Mdl = NULL;
    Engine->Transfer = NULL;
    Engine->List = NULL;
    t->Status = Status;
    VideoPortSetEvent(Ext, t->Done);
    if (Ext->PendingCount > 0) {
        PVIDEO_DMASIM_TRANSFER next = Ext->Pending[Ext->PendingHead];
        Ext->PendingHead = (Ext->PendingHead + 1) % DISP_PENDING;
        Ext->PendingCount--;
        DispStart(Ext, Engine, next);
    }
}

static BOOLEAN DispStartIO(PVOID HwDeviceExtension, PVIDEO_REQUEST_PACKET RequestPacket)
{
    PDISP_EXTENSION ext = HwDeviceExtension;
    PVIDEO_DMASIM_TRANSFER t;

    if (RequestPacket->IoControlCode != IOCTL_VIDEO_DMASIM_TRANSFER) {
        RequestPacket->StatusBlock->Status = ERROR_INVALID_FUNCTION;
        return TRUE;
    }
    if (RequestPacket->InputBufferLength < sizeof(VIDEO_DMASIM_TRANSFER)) {
        RequestPacket->StatusBlock->Status = ERROR_INVALID_PARAMETER;
        return TRUE;
    }
    t = RequestPacket->InputBuffer;
    if (t->Length > ext->MaxTransfer) {
        RequestPacket->StatusBlock->Status = ERROR_INVALID_PARAMETER;
        return TRUE;
    }
    RequestPacket->StatusBlock->Status = NO_ERROR; /* accepted: the event says when it is done */
    RequestPacket->StatusBlock->Information = 0;
    for (ULONG e = 0; e < DISP_ENGINES; e++)
        if (ext->Engine[e].Transfer == NULL) {
            DispStart(ext, &ext->Engine[e], t);
            return TRUE;
        }
    if (ext->PendingCount == DISP_PENDING) {
        RequestPacket->StatusBlock->Status = ERROR_NOT_ENOUGH_MEMORY;
        return TRUE;
    }
    ext->Pending[(ext->PendingHead + ext->PendingCount) % DISP_PENDING] = t;
    ext->PendingCount++;
    return TRUE;
}

/* ---- completion ------------------------------------------------------------------------------ */
static VOID DispDpc(PVOID HwDeviceExtension, PVOID Context)
{
    PDISP_EXTENSION ext = HwDeviceExtension;
    ULONG finished = ext->Finished;

    UNREFERENCED_PARAMETER(Context);
    ext->Finished = 0;
    for (ULONG e = 0; e < DISP_ENGINES; e++) {
        PDISP_ENGINE eng = &ext->Engine[e];
        BOOLEAN failed;
        if (!(finished & (1u << e)) || eng->Transfer == NULL || eng->List == NULL)
            continue;
        failed = (RegRead(ext, DISP_REG_ENGINE(e) + DISP_ENG_STATUS) & DISP_STATUS_ERROR) != 0;
        VideoPortCompleteDma(ext, eng->Adapter, eng->List, eng->Transfer->WriteToDevice);
        eng->List = NULL;
        eng->Done += eng->Current;
        if (failed)
            DispFinish(ext, eng, ERROR_IO_DEVICE);
        else if (eng->Done < eng->Transfer->Length)
            DispRound(ext, eng); /* the engine was idle since its last round ended */
        else
            DispFinish(ext, eng, NO_ERROR);
    }
}

static BOOLEAN DispInterrupt(PVOID HwDeviceExtension)
{
    PDISP_EXTENSION ext = HwDeviceExtension;
    ULONG status = RegRead(ext, DISP_REG_INT_STATUS);

    if (status == 0)
        return FALSE;
    RegWrite(ext, DISP_REG_INT_STATUS, status);
    ext->Finished |= status;
    /* the DMA routines are called at or below DISPATCH_LEVEL: the DPC completes the rounds */
    VideoPortQueueDpc(ext, DispDpc, NULL);
    return TRUE;
}
