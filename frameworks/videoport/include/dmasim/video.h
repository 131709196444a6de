/*
 * video.h - the video port's slice a bus-master DMA video miniport needs, with the WDK's
 * names, member order, parameter order and documented semantics (video.h; the
 * "Bus-Master DMA in Video Miniport Drivers" pages; iommu-linux-videoport.md part C):
 *
 *   VideoPortInitialize with VIDEO_HW_INITIALIZATION_DATA (HwVidFindAdapter, HwVidInitialize,
 *   HwVidInterrupt, HwVidStartIO), VIDEO_PORT_CONFIG_INFO, VideoPortGetAccessRanges,
 *   VideoPortGetDeviceBase / FreeDeviceBase, the register accessors, VideoPortQueueDpc,
 *   VideoPortSetEvent; packet DMA: VideoPortGetDmaAdapter (from a VP_DEVICE_DESCRIPTION),
 *   VideoPortPutDmaAdapter, VideoPortLockBuffer / UnlockBuffer, VideoPortStartDma (it may map
 *   less than asked: *pLength is shortened to what the map registers cover, before
 *   HwVidExecuteDma runs at DISPATCH_LEVEL with the VP_SCATTER_GATHER_LIST and the Context),
 *   VideoPortCompleteDma; common buffers: VideoPortAllocateCommonBuffer /
 *   VideoPortReleaseCommonBuffer. There is no VideoPortGetScatterGatherList.
 *
 * The video port's DMA routines are called at or below DISPATCH_LEVEL: one called from the
 * miniport's ISR is a finding (its ISR queues a DPC, which completes the DMA).
 */
#ifndef DMASIM_VIDEO_H
#define DMASIM_VIDEO_H

#include "dmasim/wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VIDEOPORT_API
#define VIDEOPORT_DEPRECATED

typedef LONG VP_STATUS, *PVP_STATUS;

#ifndef FILE_DEVICE_VIDEO
#define FILE_DEVICE_VIDEO 0x00000023
#endif
/* the resources a miniport may ask VideoPortGetAccessRanges to claim: dmasim's video port
 * claims the device's own and takes none in this form (pass NULL) */
typedef struct _IO_RESOURCE_DESCRIPTOR *PIO_RESOURCE_DESCRIPTOR;

/* Win32 error codes, as the video port returns them */
#define NO_ERROR                0L
#define ERROR_INVALID_FUNCTION  1L
#define ERROR_NOT_ENOUGH_MEMORY 8L
#define ERROR_DEV_NOT_EXIST     55L
#define ERROR_INVALID_PARAMETER 87L
#define ERROR_MORE_DATA         234L
#define ERROR_IO_DEVICE         1117L
#define ERROR_IO_PENDING        997L

/* ---- requests ------------------------------------------------------------------------------ */
typedef struct _STATUS_BLOCK {
    union {
        VP_STATUS Status;
        PVOID Pointer;
    };
    ULONG_PTR Information;
} STATUS_BLOCK, *PSTATUS_BLOCK;

typedef struct _VIDEO_REQUEST_PACKET {
    ULONG IoControlCode;
    PSTATUS_BLOCK StatusBlock;
    PVOID InputBuffer;
    ULONG InputBufferLength;
    PVOID OutputBuffer;
    ULONG OutputBufferLength;
} VIDEO_REQUEST_PACKET, *PVIDEO_REQUEST_PACKET;

/* ---- the miniport's entry points ------------------------------------------------------------ */
typedef struct _VIDEO_ACCESS_RANGE {
    PHYSICAL_ADDRESS RangeStart;
    ULONG RangeLength;
    UCHAR RangeInIoSpace;
    UCHAR RangeVisible;
    UCHAR RangeShareable;
    UCHAR RangePassive;
} VIDEO_ACCESS_RANGE, *PVIDEO_ACCESS_RANGE;

typedef struct _EMULATOR_ACCESS_ENTRY *PEMULATOR_ACCESS_ENTRY;
typedef PVOID (*PVIDEO_PORT_GET_PROC_ADDRESS)(PVOID HwDeviceExtension, PUCHAR FunctionName);

typedef struct _VIDEO_PORT_CONFIG_INFO {
    ULONG Length;
    ULONG SystemIoBusNumber;
    INTERFACE_TYPE AdapterInterfaceType;
    ULONG BusInterruptLevel;
    ULONG BusInterruptVector;
    KINTERRUPT_MODE InterruptMode;
    ULONG NumEmulatorAccessEntries;
    PEMULATOR_ACCESS_ENTRY EmulatorAccessEntries;
    ULONG_PTR EmulatorAccessEntriesContext;
    PHYSICAL_ADDRESS VdmPhysicalVideoMemoryAddress;
    ULONG VdmPhysicalVideoMemoryLength;
    ULONG HardwareStateSize;
    /* reserved for system use: a miniport describes its DMA with VP_DEVICE_DESCRIPTION */
    ULONG DmaChannel;
    ULONG DmaPort;
    UCHAR DmaShareable;
    UCHAR InterruptShareable;
    BOOLEAN Master;
    DMA_WIDTH DmaWidth;
    DMA_SPEED DmaSpeed;
    BOOLEAN bMapBuffers;
    BOOLEAN NeedPhysicalAddresses;
    BOOLEAN DemandMode;
    ULONG MaximumTransferLength;
    ULONG NumberOfPhysicalBreaks;
    BOOLEAN ScatterGather;
    ULONG MaximumScatterGatherChunkSize;
    PVIDEO_PORT_GET_PROC_ADDRESS VideoPortGetProcAddress;
    PWSTR DriverRegistryPath;
    ULONGLONG SystemMemorySize;
} VIDEO_PORT_CONFIG_INFO, *PVIDEO_PORT_CONFIG_INFO;

typedef VP_STATUS (*PVIDEO_HW_FIND_ADAPTER)(PVOID HwDeviceExtension, PVOID HwContext,
                                            PWSTR ArgumentString,
                                            PVIDEO_PORT_CONFIG_INFO ConfigInfo, PUCHAR Again);
typedef BOOLEAN (*PVIDEO_HW_INITIALIZE)(PVOID HwDeviceExtension);
typedef BOOLEAN (*PVIDEO_HW_INTERRUPT)(PVOID HwDeviceExtension);
typedef BOOLEAN (*PVIDEO_HW_START_IO)(PVOID HwDeviceExtension,
                                      PVIDEO_REQUEST_PACKET RequestPacket);
typedef BOOLEAN (*PVIDEO_HW_RESET_HW)(PVOID HwDeviceExtension, ULONG Columns, ULONG Rows);
typedef VOID (*PVIDEO_HW_TIMER)(PVOID HwDeviceExtension);
typedef PVOID PVIDEO_HW_START_DMA;        /* obsolete: reserved for system use */
typedef PVOID PVIDEO_HW_POWER_SET;        /* accepted, never called: the device stays in D0 */
typedef PVOID PVIDEO_HW_POWER_GET;
typedef PVOID PVIDEO_HW_GET_CHILD_DESCRIPTOR;
typedef PVOID PVIDEO_HW_QUERY_INTERFACE;
typedef PVOID PVIDEO_HW_LEGACYRESOURCES;

typedef struct _VIDEO_HW_INITIALIZATION_DATA {
    ULONG HwInitDataSize;
    INTERFACE_TYPE AdapterInterfaceType;
    PVIDEO_HW_FIND_ADAPTER HwFindAdapter;
    PVIDEO_HW_INITIALIZE HwInitialize;
    PVIDEO_HW_INTERRUPT HwInterrupt;
    PVIDEO_HW_START_IO HwStartIO;
    ULONG HwDeviceExtensionSize;
    ULONG StartingDeviceNumber;
    PVIDEO_HW_RESET_HW HwResetHw;
    PVIDEO_HW_TIMER HwTimer;
    PVIDEO_HW_START_DMA HwStartDma;
    PVIDEO_HW_POWER_SET HwSetPowerState;
    PVIDEO_HW_POWER_GET HwGetPowerState;
    PVIDEO_HW_GET_CHILD_DESCRIPTOR HwGetVideoChildDescriptor;
    PVIDEO_HW_QUERY_INTERFACE HwQueryInterface;
    ULONG HwChildDeviceExtensionSize;
    PVIDEO_ACCESS_RANGE HwLegacyResourceList;
    ULONG HwLegacyResourceCount;
    PVIDEO_HW_LEGACYRESOURCES HwGetLegacyResources;
    BOOLEAN AllowEarlyEnumeration;
    ULONG Reserved;
} VIDEO_HW_INITIALIZATION_DATA, *PVIDEO_HW_INITIALIZATION_DATA;

VIDEOPORT_API ULONG VideoPortInitialize(PVOID Argument1, PVOID Argument2,
                                        PVIDEO_HW_INITIALIZATION_DATA HwInitializationData,
                                        PVOID HwContext);

/* ---- resources and registers ------------------------------------------------------------- */
#define VIDEO_MEMORY_SPACE_MEMORY 0x00
#define VIDEO_MEMORY_SPACE_IO     0x01

VIDEOPORT_API VP_STATUS VideoPortGetAccessRanges(PVOID HwDeviceExtension,
                                                 ULONG NumRequestedResources,
                                                 PIO_RESOURCE_DESCRIPTOR RequestedResources,
                                                 ULONG NumAccessRanges,
                                                 PVIDEO_ACCESS_RANGE AccessRanges,
                                                 PVOID VendorId, PVOID DeviceId, PULONG Slot);
VIDEOPORT_API PVOID VideoPortGetDeviceBase(PVOID HwDeviceExtension, PHYSICAL_ADDRESS IoAddress,
                                           ULONG NumberOfUchars, UCHAR InIoSpace);
VIDEOPORT_API VOID VideoPortFreeDeviceBase(PVOID HwDeviceExtension, PVOID MappedAddress);
VIDEOPORT_API ULONG VideoPortReadRegisterUlong(PULONG Register);
VIDEOPORT_API VOID VideoPortWriteRegisterUlong(PULONG Register, ULONG Value);
VIDEOPORT_API VOID VideoPortZeroMemory(PVOID Destination, ULONG Length);

typedef VP_STATUS (*PMINIPORT_GET_REGISTRY_ROUTINE)(PVOID HwDeviceExtension, PVOID Context,
                                                    PWSTR ValueName, PVOID ValueData,
                                                    ULONG ValueLength);
VIDEOPORT_API VP_STATUS VideoPortGetRegistryParameters(
    PVOID HwDeviceExtension, PWSTR ParameterName, UCHAR IsParameterFileName,
    PMINIPORT_GET_REGISTRY_ROUTINE GetRegistryRoutine, PVOID Context);
VIDEOPORT_API VOID VideoPortMoveMemory(PVOID Destination, PVOID Source, ULONG Length);

/* ---- DPCs and events ----------------------------------------------------------------------- */
typedef VOID (*PMINIPORT_DPC_ROUTINE)(PVOID HwDeviceExtension, PVOID Context);
VIDEOPORT_API BOOLEAN VideoPortQueueDpc(PVOID HwDeviceExtension,
                                        PMINIPORT_DPC_ROUTINE CallbackRoutine, PVOID Context);

typedef struct _VIDEO_PORT_EVENT *PEVENT; /* opaque: an event the display driver created */
VIDEOPORT_API LONG VideoPortSetEvent(PVOID HwDeviceExtension, PEVENT pEvent);

/* ---- DMA ----------------------------------------------------------------------------------- */
typedef struct __VP_DMA_ADAPTER *PVP_DMA_ADAPTER; /* opaque */

typedef struct _VP_DEVICE_DESCRIPTION {
    BOOLEAN ScatterGather;
    BOOLEAN Dma32BitAddresses;
    BOOLEAN Dma64BitAddresses;
    ULONG MaximumLength;
} VP_DEVICE_DESCRIPTION, *PVP_DEVICE_DESCRIPTION;

/* layout-identical to SCATTER_GATHER_ELEMENT / SCATTER_GATHER_LIST */
typedef struct _VP_SCATTER_GATHER_ELEMENT {
    PHYSICAL_ADDRESS Address;
    ULONG Length;
    ULONG_PTR Reserved;
} VP_SCATTER_GATHER_ELEMENT, *PVP_SCATTER_GATHER_ELEMENT;

typedef struct _VP_SCATTER_GATHER_LIST {
    ULONG NumberOfElements;
    ULONG_PTR Reserved;
    VP_SCATTER_GATHER_ELEMENT Elements[];
} VP_SCATTER_GATHER_LIST, *PVP_SCATTER_GATHER_LIST;

typedef enum { VpReadAccess, VpWriteAccess, VpModifyAccess } VP_LOCK_OPERATION;

typedef VOID (*PEXECUTE_DMA)(PVOID HwDeviceExtension, PVP_DMA_ADAPTER VpDmaAdapter,
                             PVP_SCATTER_GATHER_LIST SGList, PVOID Context);

VIDEOPORT_API PVP_DMA_ADAPTER VideoPortGetDmaAdapter(PVOID HwDeviceExtension,
                                                     PVP_DEVICE_DESCRIPTION VpDeviceDescription);
VIDEOPORT_API VOID VideoPortPutDmaAdapter(PVOID HwDeviceExtension, PVP_DMA_ADAPTER VpDmaAdapter);
VIDEOPORT_API PVOID VideoPortLockBuffer(PVOID HwDeviceExtension, PVOID BaseAddress, ULONG Length,
                                        VP_LOCK_OPERATION Operation);
VIDEOPORT_API VOID VideoPortUnlockBuffer(PVOID HwDeviceExtension, PVOID Mdl);
VIDEOPORT_API VP_STATUS VideoPortStartDma(PVOID HwDeviceExtension, PVP_DMA_ADAPTER VpDmaAdapter,
                                          PVOID Mdl, ULONG Offset, PULONG pLength,
                                          PEXECUTE_DMA ExecuteDmaRoutine, PVOID Context,
                                          BOOLEAN WriteToDevice);
VIDEOPORT_API VP_STATUS VideoPortCompleteDma(PVOID HwDeviceExtension,
                                             PVP_DMA_ADAPTER VpDmaAdapter,
                                             PVP_SCATTER_GATHER_LIST VpScatterGather,
                                             BOOLEAN WriteToDevice);
VIDEOPORT_API PVOID VideoPortAllocateCommonBuffer(PVOID HwDeviceExtension,
                                                  PVP_DMA_ADAPTER VpDmaAdapter,
                                                  ULONG DesiredLength,
                                                  PPHYSICAL_ADDRESS LogicalAddress,
                                                  BOOLEAN CacheEnabled, PVOID Reserved);
VIDEOPORT_API VOID VideoPortReleaseCommonBuffer(PVOID HwDeviceExtension,
                                                PVP_DMA_ADAPTER VpDmaAdapter, ULONG Length,
                                                PHYSICAL_ADDRESS LogicalAddress,
                                                PVOID VirtualAddress, BOOLEAN CacheEnabled);

/* ---- dmasim: the display driver's side ------------------------------------------------------
 * Not the WDK's. A display driver asks its miniport for a transfer through a private request
 * (EngDeviceIoControl with an IOCTL of its own) and learns the transfer is whole from an event
 * the miniport sets: the simulator's reads and writes reach the miniport's HwVidStartIO this
 * way, as IOCTL_VIDEO_DMASIM_TRANSFER with a VIDEO_DMASIM_TRANSFER, and the request completes
 * when the miniport calls VideoPortSetEvent(Done). */
#define IOCTL_VIDEO_DMASIM_TRANSFER \
    CTL_CODE(FILE_DEVICE_VIDEO, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS)

typedef struct _VIDEO_DMASIM_TRANSFER {
    PVOID Buffer;            /* the display driver's buffer, in system space */
    ULONG Length;
    BOOLEAN WriteToDevice;   /* system memory to video memory */
    ULONGLONG DeviceOffset;  /* where in video memory */
    PEVENT Done;             /* VideoPortSetEvent it when every byte has moved */
    VP_STATUS Status;        /* the miniport's, before it sets Done: NO_ERROR, or why not */
} VIDEO_DMASIM_TRANSFER, *PVIDEO_DMASIM_TRANSFER;

#ifdef __cplusplus
}
#endif

#endif /* DMASIM_VIDEO_H */
