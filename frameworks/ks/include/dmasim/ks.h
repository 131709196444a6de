/*
 * ks.h - the AVStream (KS) slice a DMA capture minidriver written in C needs, with the WDK's
 * names, member order, parameter order and documented semantics (ks.h; the "AVStream DMA
 * Services", "Packet-Based DMA in AVStream", "Supporting DMA in 64-Bit AVStream Drivers" and
 * stream pointer pages; kmdf-avstream.md part B):
 *
 *   KsInitializeDriver with a KSDEVICE_DESCRIPTOR (KSDEVICE_DISPATCH: Add, Start with the PnP
 *   resources, Stop, Remove, ...), KsCreateFilterFactory with a KSFILTER_DESCRIPTOR and its
 *   KSPIN_DESCRIPTOR_EXs (KSPIN_DISPATCH: Create, Close, Process, SetDeviceState, ...), the run
 *   state (KSSTATE), a pin's queue of frames (KSSTREAM_HEADER), stream pointers (the leading
 *   and trailing edges, locks, clones, offsets), KsPinAttemptProcessing; DMA: the adapter
 *   registered with KsDeviceRegisterAdapterObject or IKsDeviceFunctions::RegisterAdapterObjectEx
 *   (a COM-style interface in C, found by QueryInterface on KsDeviceGetOuterUnknown), and
 *   KSPIN_FLAG_GENERATE_MAPPINGS: a frame's KSMAPPINGs made when it is first locked.
 *
 * C only: a C++ minidriver (avshws) needs the interfaces as classes, which this header does not
 * declare. Properties other than the pin's connection state, events, clocks, allocators and
 * the topology are not modelled: a request for them is answered STATUS_NOT_FOUND.
 */
#ifndef DMASIM_KS_H
#define DMASIM_KS_H

#include <stdint.h>
#include <string.h>

#include "dmasim/wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KSDDKAPI
#ifndef NTAPI
#define NTAPI
#endif

#ifndef FILE_DEVICE_KS
#define FILE_DEVICE_KS 0x0000002F
#endif

/* ---------------------------------------------------------------------------------------------
 * GUIDs (guiddef.h) and the COM base (unknown.h), in C.
 */
#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    ULONG Data1;
    USHORT Data2;
    USHORT Data3;
    UCHAR Data4[8];
} GUID;
#endif
typedef GUID IID;
typedef const GUID *REFGUID;
typedef const IID *REFIID;
#ifndef DEFINE_GUID
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8)                            \
    __attribute__((weak)) const GUID name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#endif
#define IsEqualGUID(a, b) (memcmp((a), (b), sizeof(GUID)) == 0)
#define IsEqualIID IsEqualGUID

typedef struct IUnknown IUnknown, *PUNKNOWN;
typedef struct IUnknownVtbl {
    NTSTATUS (*QueryInterface)(IUnknown *This, REFIID InterfaceId, PVOID *Interface);
    ULONG (*AddRef)(IUnknown *This);
    ULONG (*Release)(IUnknown *This);
} IUnknownVtbl;
struct IUnknown {
    const IUnknownVtbl *lpVtbl;
};
#define IUnknown_QueryInterface(This, riid, ppv) (This)->lpVtbl->QueryInterface(This, riid, ppv)
#define IUnknown_AddRef(This) (This)->lpVtbl->AddRef(This)
#define IUnknown_Release(This) (This)->lpVtbl->Release(This)

/* ---------------------------------------------------------------------------------------------
 * Identifiers, formats, state.
 */
typedef struct {
    GUID Set;
    ULONG Id;
    ULONG Flags;
} KSIDENTIFIER, *PKSIDENTIFIER;
typedef KSIDENTIFIER KSPROPERTY, *PKSPROPERTY, KSMETHOD, *PKSMETHOD, KSEVENT, *PKSEVENT;
typedef KSIDENTIFIER KSPIN_INTERFACE, *PKSPIN_INTERFACE;
typedef KSIDENTIFIER KSPIN_MEDIUM, *PKSPIN_MEDIUM;

#define KSPROPERTY_TYPE_GET 0x00000001
#define KSPROPERTY_TYPE_SET 0x00000002

typedef struct {
    KSPROPERTY Property;
    ULONG PinId;
    ULONG Reserved;
} KSP_PIN, *PKSP_PIN;

typedef union {
    struct {
        ULONG FormatSize;
        ULONG Flags;
        ULONG SampleSize;
        ULONG Reserved;
        GUID MajorFormat;
        GUID SubFormat;
        GUID Specifier;
    };
    LONGLONG Alignment;
} KSDATAFORMAT, *PKSDATAFORMAT, KSDATARANGE, *PKSDATARANGE;

typedef struct {
    ULONG Size;
    ULONG Count;
} KSMULTIPLE_ITEM, *PKSMULTIPLE_ITEM;

typedef struct _KSATTRIBUTE_LIST KSATTRIBUTE_LIST, *PKSATTRIBUTE_LIST;

typedef enum {
    KSSTATE_STOP,
    KSSTATE_ACQUIRE,
    KSSTATE_PAUSE,
    KSSTATE_RUN
} KSSTATE, *PKSSTATE;

typedef enum {
    KSPIN_DATAFLOW_IN = 1,
    KSPIN_DATAFLOW_OUT
} KSPIN_DATAFLOW, *PKSPIN_DATAFLOW;

typedef enum {
    KSPIN_COMMUNICATION_NONE,
    KSPIN_COMMUNICATION_SINK,
    KSPIN_COMMUNICATION_SOURCE,
    KSPIN_COMMUNICATION_BOTH,
    KSPIN_COMMUNICATION_BRIDGE
} KSPIN_COMMUNICATION, *PKSPIN_COMMUNICATION;

typedef enum {
    KSRESET_BEGIN,
    KSRESET_END
} KSRESET;

typedef struct {
    ULONG PriorityClass;
    ULONG PrioritySubClass;
} KSPRIORITY, *PKSPRIORITY;

/* KSPROPSETID_Connection, KSPROPERTY_CONNECTION_STATE: the pin's run state, as a graph sets it
 * with IOCTL_KS_PROPERTY (METHOD_NEITHER: the KSPROPERTY in Type3InputBuffer, the KSSTATE at
 * UserBuffer) */
DEFINE_GUID(KSPROPSETID_Connection, 0x1D58C920L, 0xAC9B, 0x11CF, 0xA5, 0xD6, 0x28, 0xDB, 0x04,
            0xC1, 0x00, 0x00);
#define KSPROPERTY_CONNECTION_STATE 0
#define IOCTL_KS_PROPERTY     CTL_CODE(FILE_DEVICE_KS, 0x000, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_KS_READ_STREAM  CTL_CODE(FILE_DEVICE_KS, 0x005, METHOD_NEITHER, FILE_READ_ACCESS)

/* ---------------------------------------------------------------------------------------------
 * Frames.
 */
typedef struct {
    LONGLONG Time;
    ULONG Numerator;
    ULONG Denominator;
} KSTIME, *PKSTIME;

typedef struct {
    ULONG Size;
    ULONG TypeSpecificFlags;
    KSTIME PresentationTime;
    LONGLONG Duration;
    ULONG FrameExtent;
    ULONG DataUsed;
    PVOID Data;
    ULONG OptionsFlags;
#ifdef _WIN64
    ULONG Reserved;
#endif
} KSSTREAM_HEADER, *PKSSTREAM_HEADER;

#define KSSTREAM_HEADER_OPTIONSF_SPLICEPOINT     0x00000001
#define KSSTREAM_HEADER_OPTIONSF_PREROLL         0x00000002
#define KSSTREAM_HEADER_OPTIONSF_DATADISCONTINUITY 0x00000004
#define KSSTREAM_HEADER_OPTIONSF_TYPECHANGED     0x00000008
#define KSSTREAM_HEADER_OPTIONSF_TIMEVALID       0x00000010
#define KSSTREAM_HEADER_OPTIONSF_TIMEDISCONTINUITY 0x00000040
#define KSSTREAM_HEADER_OPTIONSF_FLUSHONPAUSE    0x00000080
#define KSSTREAM_HEADER_OPTIONSF_DURATIONVALID   0x00000100
#define KSSTREAM_HEADER_OPTIONSF_ENDOFSTREAM     0x00000200

/* One piece of a frame, as AVStream maps it for a bus master (KSPIN_FLAG_GENERATE_MAPPINGS):
 * the logical address the device is given, its contiguous bytes, the buffer's alignment. */
typedef struct {
    PHYSICAL_ADDRESS PhysicalAddress;
    ULONG ByteCount;
    ULONG Alignment;
} KSMAPPING, *PKSMAPPING;

/* Where a stream pointer is in its frame: bytes of Data, or, in a mapped queue, entries of
 * Mappings (Count the frame's, Remaining those not yet used). */
typedef struct {
    union {
        PUCHAR Data;
        PKSMAPPING Mappings;
    };
#if !defined(_WIN64) && !defined(__LP64__)
    PVOID Alignment;
#endif
    ULONG Count;
    ULONG Remaining;
} KSSTREAM_POINTER_OFFSET, *PKSSTREAM_POINTER_OFFSET;

typedef struct _KSPIN KSPIN, *PKSPIN;
typedef struct _KSFILTER KSFILTER, *PKSFILTER;
typedef struct _KSDEVICE KSDEVICE, *PKSDEVICE;
typedef struct _KSFILTERFACTORY KSFILTERFACTORY, *PKSFILTERFACTORY;
typedef struct _KSPROCESSPIN_INDEXENTRY KSPROCESSPIN_INDEXENTRY, *PKSPROCESSPIN_INDEXENTRY;
typedef struct _KSAUTOMATION_TABLE KSAUTOMATION_TABLE, *PKSAUTOMATION_TABLE;
typedef struct _KSALLOCATOR_FRAMING_EX KSALLOCATOR_FRAMING_EX, *PKSALLOCATOR_FRAMING_EX;
typedef struct _KSNODE_DESCRIPTOR KSNODE_DESCRIPTOR, *PKSNODE_DESCRIPTOR;
typedef struct _KSTOPOLOGY_CONNECTION KSTOPOLOGY_CONNECTION, *PKSTOPOLOGY_CONNECTION;
typedef struct _KSCLOCK_DISPATCH KSCLOCK_DISPATCH, *PKSCLOCK_DISPATCH;
typedef struct _KSALLOCATOR_DISPATCH KSALLOCATOR_DISPATCH, *PKSALLOCATOR_DISPATCH;
typedef PVOID KSOBJECT_BAG;

typedef struct _KSSTREAM_POINTER {
    PVOID Context;
    PKSPIN Pin;
    PKSSTREAM_HEADER StreamHeader;
    PKSSTREAM_POINTER_OFFSET Offset;
    KSSTREAM_POINTER_OFFSET OffsetIn;
    KSSTREAM_POINTER_OFFSET OffsetOut;
} KSSTREAM_POINTER, *PKSSTREAM_POINTER;

typedef enum {
    KSSTREAM_POINTER_STATE_UNLOCKED = 0,
    KSSTREAM_POINTER_STATE_LOCKED
} KSSTREAM_POINTER_STATE;

typedef void (*PFNKSSTREAMPOINTER)(PKSSTREAM_POINTER StreamPointer);
typedef void (*PFNKSFREE)(PVOID Data);

/* ---------------------------------------------------------------------------------------------
 * Descriptors and dispatch tables.
 */
typedef NTSTATUS (*PFNKSDEVICECREATE)(PKSDEVICE Device);
typedef NTSTATUS (*PFNKSDEVICEPNPSTART)(PKSDEVICE Device, PIRP Irp,
                                        PCM_RESOURCE_LIST TranslatedResourceList,
                                        PCM_RESOURCE_LIST UntranslatedResourceList);
typedef NTSTATUS (*PFNKSDEVICE)(PKSDEVICE Device);
typedef NTSTATUS (*PFNKSDEVICEIRP)(PKSDEVICE Device, PIRP Irp);
typedef void (*PFNKSDEVICEIRPVOID)(PKSDEVICE Device, PIRP Irp);
typedef NTSTATUS (*PFNKSDEVICEQUERYCAPABILITIES)(PKSDEVICE Device, PIRP Irp,
                                                 PVOID Capabilities);
typedef NTSTATUS (*PFNKSDEVICEQUERYPOWER)(PKSDEVICE Device, PIRP Irp, DEVICE_POWER_STATE DeviceTo,
                                          DEVICE_POWER_STATE DeviceFrom,
                                          SYSTEM_POWER_STATE SystemTo,
                                          SYSTEM_POWER_STATE SystemFrom, ULONG Action);
typedef void (*PFNKSDEVICESETPOWER)(PKSDEVICE Device, PIRP Irp, DEVICE_POWER_STATE To,
                                    DEVICE_POWER_STATE From);

typedef struct _KSDEVICE_DISPATCH {
    PFNKSDEVICECREATE Add;
    PFNKSDEVICEPNPSTART Start;
    PFNKSDEVICE PostStart;
    PFNKSDEVICEIRP QueryStop;
    PFNKSDEVICEIRPVOID CancelStop;
    PFNKSDEVICEIRPVOID Stop;
    PFNKSDEVICEIRP QueryRemove;
    PFNKSDEVICEIRPVOID CancelRemove;
    PFNKSDEVICEIRPVOID Remove;
    PFNKSDEVICEQUERYCAPABILITIES QueryCapabilities;
    PFNKSDEVICEIRPVOID SurpriseRemoval;
    PFNKSDEVICEQUERYPOWER QueryPower;
    PFNKSDEVICESETPOWER SetPower;
    PFNKSDEVICEIRP QueryInterface;
} KSDEVICE_DISPATCH, *PKSDEVICE_DISPATCH;

typedef NTSTATUS (*PFNKSFILTERIRP)(PKSFILTER Filter, PIRP Irp);
typedef NTSTATUS (*PFNKSFILTERPROCESS)(PKSFILTER Filter, PKSPROCESSPIN_INDEXENTRY Index);
typedef NTSTATUS (*PFNKSFILTERVOID)(PKSFILTER Filter);
typedef void (*PFNKSFILTERFACTORYPOWER)(PKSFILTERFACTORY FilterFactory,
                                        DEVICE_POWER_STATE State);

typedef struct _KSFILTER_DISPATCH {
    PFNKSFILTERIRP Create;
    PFNKSFILTERIRP Close;
    PFNKSFILTERPROCESS Process;
    PFNKSFILTERVOID Reset;
} KSFILTER_DISPATCH, *PKSFILTER_DISPATCH;

typedef NTSTATUS (*PFNKSPINIRP)(PKSPIN Pin, PIRP Irp);
typedef NTSTATUS (*PFNKSPIN)(PKSPIN Pin);
typedef void (*PFNKSPINVOID)(PKSPIN Pin);
typedef NTSTATUS (*PFNKSPINSETDATAFORMAT)(PKSPIN Pin, PKSDATAFORMAT OldFormat,
                                          PKSMULTIPLE_ITEM OldAttributeList,
                                          const KSDATARANGE *DataRange,
                                          const KSATTRIBUTE_LIST *AttributeRange);
typedef NTSTATUS (*PFNKSPINSETDEVICESTATE)(PKSPIN Pin, KSSTATE ToState, KSSTATE FromState);
typedef NTSTATUS (*PFNKSINTERSECTHANDLEREX)(PVOID Context, PIRP Irp, PKSP_PIN Pin,
                                            PKSDATARANGE DataRange,
                                            PKSDATARANGE MatchingDataRange,
                                            ULONG DataBufferSize, PVOID Data, PULONG DataSize);

typedef struct _KSPIN_DISPATCH {
    PFNKSPINIRP Create;
    PFNKSPINIRP Close;
    PFNKSPIN Process;
    PFNKSPINVOID Reset;
    PFNKSPINSETDATAFORMAT SetDataFormat;
    PFNKSPINSETDEVICESTATE SetDeviceState;
    PFNKSPIN Connect;
    PFNKSPINVOID Disconnect;
    const KSCLOCK_DISPATCH *Clock;
    const KSALLOCATOR_DISPATCH *Allocator;
} KSPIN_DISPATCH, *PKSPIN_DISPATCH;

typedef struct {
    ULONG InterfacesCount;
    const KSPIN_INTERFACE *Interfaces;
    ULONG MediumsCount;
    const KSPIN_MEDIUM *Mediums;
    ULONG DataRangesCount;
    const PKSDATARANGE *DataRanges;
    KSPIN_DATAFLOW DataFlow;
    KSPIN_COMMUNICATION Communication;
    const GUID *Category;
    const GUID *Name;
    union {
        LONGLONG Reserved;
        struct {
            ULONG ConstrainedDataRangesCount;
            PKSDATARANGE *ConstrainedDataRanges;
        };
    };
} KSPIN_DESCRIPTOR, *PKSPIN_DESCRIPTOR;

typedef struct _KSPIN_DESCRIPTOR_EX {
    const KSPIN_DISPATCH *Dispatch;
    const KSAUTOMATION_TABLE *AutomationTable;
    KSPIN_DESCRIPTOR PinDescriptor;
    ULONG Flags;
    ULONG InstancesPossible;
    ULONG InstancesNecessary;
    const KSALLOCATOR_FRAMING_EX *AllocatorFraming;
    PFNKSINTERSECTHANDLEREX IntersectHandler;
} KSPIN_DESCRIPTOR_EX, *PKSPIN_DESCRIPTOR_EX;

#define KSFILTER_FLAG_DISPATCH_LEVEL_PROCESSING 0x00000001
#define KSPIN_FLAG_DISPATCH_LEVEL_PROCESSING    KSFILTER_FLAG_DISPATCH_LEVEL_PROCESSING
#define KSPIN_FLAG_CRITICAL_PROCESSING          0x00000002
#define KSPIN_FLAG_HYPERCRITICAL_PROCESSING     0x00000004
#define KSPIN_FLAG_ASYNCHRONOUS_PROCESSING      0x00000008
#define KSPIN_FLAG_DO_NOT_INITIATE_PROCESSING   0x00000010
#define KSPIN_FLAG_INITIATE_PROCESSING_ON_EVERY_ARRIVAL 0x00000020
#define KSPIN_FLAG_FRAMES_NOT_REQUIRED_FOR_PROCESSING   0x00000040
#define KSPIN_FLAG_ENFORCE_FIFO                 0x00000080
#define KSPIN_FLAG_GENERATE_MAPPINGS            0x00000100
#define KSPIN_FLAG_DISTINCT_TRAILING_EDGE       0x00000200
#define KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY    0x00010000

#define KSINSTANCE_INDETERMINATE ((ULONG)-1)
#define KSFILTER_DESCRIPTOR_VERSION ((ULONG)-1)
#define KSDEVICE_DESCRIPTOR_VERSION (0x100)
#define KSCREATE_ITEM_SECURITYCHANGED 0x00000001
#define KSCREATE_ITEM_WILDCARD        0x00000002
#define KSCREATE_ITEM_NOPARAMETERS    0x00000004
#define KSCREATE_ITEM_FREEONSTOP      0x00000008

typedef struct {
    GUID Manufacturer;
    GUID Product;
    GUID Component;
    GUID Name;
    ULONG Version;
    ULONG Revision;
} KSCOMPONENTID, *PKSCOMPONENTID;

typedef struct _KSFILTER_DESCRIPTOR {
    const KSFILTER_DISPATCH *Dispatch;
    const KSAUTOMATION_TABLE *AutomationTable;
    ULONG Version;
    ULONG Flags;
    const GUID *ReferenceGuid;
    ULONG PinDescriptorsCount;
    ULONG PinDescriptorSize;
    const KSPIN_DESCRIPTOR_EX *PinDescriptors;
    ULONG CategoriesCount;
    const GUID *Categories;
    ULONG NodeDescriptorsCount;
    ULONG NodeDescriptorSize;
    const KSNODE_DESCRIPTOR *NodeDescriptors;
    ULONG ConnectionsCount;
    const KSTOPOLOGY_CONNECTION *Connections;
    const KSCOMPONENTID *ComponentId;
} KSFILTER_DESCRIPTOR, *PKSFILTER_DESCRIPTOR;

typedef struct _KSDEVICE_DESCRIPTOR {
    const KSDEVICE_DISPATCH *Dispatch;
    ULONG FilterDescriptorsCount;
    const KSFILTER_DESCRIPTOR *const *FilterDescriptors;
    ULONG Version;
    ULONG Flags;
} KSDEVICE_DESCRIPTOR, *PKSDEVICE_DESCRIPTOR;

/* ---------------------------------------------------------------------------------------------
 * Objects.
 */
struct _KSDEVICE {
    const KSDEVICE_DESCRIPTOR *Descriptor;
    KSOBJECT_BAG Bag;
    PVOID Context;
    PDEVICE_OBJECT FunctionalDeviceObject;
    PDEVICE_OBJECT PhysicalDeviceObject;
    PDEVICE_OBJECT NextDeviceObject;
    BOOLEAN Started;
    SYSTEM_POWER_STATE SystemPowerState;
    DEVICE_POWER_STATE DevicePowerState;
};

struct _KSFILTER {
    const KSFILTER_DESCRIPTOR *Descriptor;
    KSOBJECT_BAG Bag;
    PVOID Context;
};

struct _KSFILTERFACTORY {
    const KSFILTER_DESCRIPTOR *FilterDescriptor;
    KSOBJECT_BAG Bag;
    PVOID Context;
};

struct _KSPIN {
    const KSPIN_DESCRIPTOR_EX *Descriptor;
    KSOBJECT_BAG Bag;
    PVOID Context;
    ULONG Id;
    KSPIN_COMMUNICATION Communication;
    BOOLEAN ConnectionIsExternal;
    KSPIN_INTERFACE ConnectionInterface;
    KSPIN_MEDIUM ConnectionMedium;
    KSPRIORITY ConnectionPriority;
    PKSDATAFORMAT ConnectionFormat;
    PKSMULTIPLE_ITEM AttributeList;
    ULONG StreamHeaderSize;
    KSPIN_DATAFLOW DataFlow;
    KSSTATE DeviceState;
    KSRESET ResetState;
    KSSTATE ClientState;
};

/* ---------------------------------------------------------------------------------------------
 * IKsDeviceFunctions: the COM-style interface on an AVStream device's outer unknown, whose
 * RegisterAdapterObjectEx a 64-bit minidriver calls instead of KsDeviceRegisterAdapterObject.
 * In C: QueryInterface(outer, &IID_IKsDeviceFunctions, (PVOID *)&f), then
 * f->lpVtbl->RegisterAdapterObjectEx(f, ...) (or the IKsDeviceFunctions_ macros), Release.
 */
DEFINE_GUID(IID_IKsDeviceFunctions, 0xE234F2E2L, 0xBD69, 0x4F8C, 0xB3, 0xF2, 0x7C, 0xD7, 0x9E,
            0xD4, 0x66, 0xBD);

typedef struct IKsDeviceFunctions IKsDeviceFunctions, *PIKSDEVICEFUNCTIONS;
typedef struct IKsDeviceFunctionsVtbl {
    NTSTATUS (*QueryInterface)(IKsDeviceFunctions *This, REFIID InterfaceId, PVOID *Interface);
    ULONG (*AddRef)(IKsDeviceFunctions *This);
    ULONG (*Release)(IKsDeviceFunctions *This);
    NTSTATUS (*RegisterAdapterObjectEx)(IKsDeviceFunctions *This, PADAPTER_OBJECT AdapterObject,
                                        PDEVICE_DESCRIPTION DeviceDescription,
                                        ULONG NumberOfMapRegisters, ULONG MaxMappingsByteCount,
                                        ULONG MappingTableStride);
} IKsDeviceFunctionsVtbl;
struct IKsDeviceFunctions {
    const IKsDeviceFunctionsVtbl *lpVtbl;
};
#define IKsDeviceFunctions_QueryInterface(This, riid, ppv)                                       \
    (This)->lpVtbl->QueryInterface(This, riid, ppv)
#define IKsDeviceFunctions_AddRef(This) (This)->lpVtbl->AddRef(This)
#define IKsDeviceFunctions_Release(This) (This)->lpVtbl->Release(This)
#define IKsDeviceFunctions_RegisterAdapterObjectEx(This, a, d, n, m, s)                          \
    (This)->lpVtbl->RegisterAdapterObjectEx(This, a, d, n, m, s)

/* ---------------------------------------------------------------------------------------------
 * Routines.
 */
KSDDKAPI NTSTATUS NTAPI KsInitializeDriver(PDRIVER_OBJECT DriverObject,
                                           PUNICODE_STRING RegistryPathName,
                                           const KSDEVICE_DESCRIPTOR *Descriptor);
/* RefString is PWSTR in the WDK's ks.h; const here, so that the L"GLOBAL" every sample passes
 * compiles without a warning where literals are const (-Wwrite-strings, C++): a PWSTR passes
 * as well. */
KSDDKAPI NTSTATUS NTAPI KsCreateFilterFactory(PDEVICE_OBJECT DeviceObject,
                                              const KSFILTER_DESCRIPTOR *Descriptor,
                                              PCWSTR RefString,
                                              PVOID SecurityDescriptor, ULONG CreateItemFlags,
                                              PFNKSFILTERFACTORYPOWER SleepCallback,
                                              PFNKSFILTERFACTORYPOWER WakeCallback,
                                              PKSFILTERFACTORY *FilterFactory);
KSDDKAPI void NTAPI KsAcquireDevice(PKSDEVICE Device);
KSDDKAPI void NTAPI KsReleaseDevice(PKSDEVICE Device);
KSDDKAPI PKSDEVICE NTAPI KsGetDevice(PVOID Object);
KSDDKAPI PKSDEVICE NTAPI KsGetDeviceForDeviceObject(PDEVICE_OBJECT FunctionalDeviceObject);
KSDDKAPI PKSFILTER NTAPI KsPinGetParentFilter(PKSPIN Pin);
KSDDKAPI NTSTATUS NTAPI KsAddItemToObjectBag(KSOBJECT_BAG ObjectBag, PVOID Item,
                                             PFNKSFREE Free);
KSDDKAPI PUNKNOWN NTAPI KsGetOuterUnknown(PVOID Object);
static inline PUNKNOWN KsDeviceGetOuterUnknown(PKSDEVICE Device)
{
    return KsGetOuterUnknown((PVOID)Device);
}
static inline PKSDEVICE KsPinGetDevice(PKSPIN Pin)
{
    return KsGetDevice((PVOID)Pin);
}
static inline PKSDEVICE KsFilterGetDevice(PKSFILTER Filter)
{
    return KsGetDevice((PVOID)Filter);
}

KSDDKAPI void NTAPI KsDeviceRegisterAdapterObject(PKSDEVICE Device, PADAPTER_OBJECT AdapterObject,
                                                  ULONG MaxMappingsByteCount,
                                                  ULONG MappingTableStride);

KSDDKAPI PKSSTREAM_POINTER NTAPI KsPinGetLeadingEdgeStreamPointer(PKSPIN Pin,
                                                                  KSSTREAM_POINTER_STATE State);
KSDDKAPI PKSSTREAM_POINTER NTAPI KsPinGetTrailingEdgeStreamPointer(PKSPIN Pin,
                                                                   KSSTREAM_POINTER_STATE State);
KSDDKAPI NTSTATUS NTAPI KsStreamPointerLock(PKSSTREAM_POINTER StreamPointer);
KSDDKAPI void NTAPI KsStreamPointerUnlock(PKSSTREAM_POINTER StreamPointer, BOOLEAN Eject);
KSDDKAPI NTSTATUS NTAPI KsStreamPointerAdvanceOffsets(PKSSTREAM_POINTER StreamPointer,
                                                      ULONG InUsed, ULONG OutUsed,
                                                      BOOLEAN Eject);
KSDDKAPI void NTAPI KsStreamPointerAdvanceOffsetsAndUnlock(PKSSTREAM_POINTER StreamPointer,
                                                           ULONG InUsed, ULONG OutUsed,
                                                           BOOLEAN Eject);
KSDDKAPI NTSTATUS NTAPI KsStreamPointerAdvance(PKSSTREAM_POINTER StreamPointer);
KSDDKAPI NTSTATUS NTAPI KsStreamPointerClone(PKSSTREAM_POINTER StreamPointer,
                                             PFNKSSTREAMPOINTER CancelCallback,
                                             ULONG ContextSize,
                                             PKSSTREAM_POINTER *CloneStreamPointer);
KSDDKAPI void NTAPI KsStreamPointerDelete(PKSSTREAM_POINTER StreamPointer);
KSDDKAPI NTSTATUS NTAPI KsStreamPointerSetStatusCode(PKSSTREAM_POINTER StreamPointer,
                                                     NTSTATUS Status);
KSDDKAPI PKSSTREAM_POINTER NTAPI KsPinGetFirstCloneStreamPointer(PKSPIN Pin);
KSDDKAPI PKSSTREAM_POINTER NTAPI KsStreamPointerGetNextClone(PKSSTREAM_POINTER StreamPointer);
KSDDKAPI void NTAPI KsPinAttemptProcessing(PKSPIN Pin, BOOLEAN Asynchronous);

/* ---------------------------------------------------------------------------------------------
 * dmasim's own, for the simulator (no WDK routine): what AVStream did for the frames of the
 * device on Pdo's stack. 0, or -1 if no AVStream device is on it.
 */
struct dms_ks_stats {
    uint64_t frames_queued, frames_completed;
    uint64_t lock_attempts;      /* locks tried: each needing a frame's first mapping counts */
    uint64_t lock_failures;      /* of those, failed: the HAL could not map the frame now */
    uint64_t frames_mapped;      /* frames whose mappings were made */
    uint64_t map_registers_mapped; /* map registers those frames held, summed */
    uint64_t map_registers_peak; /* held by locked frames at once, most */
    uint64_t locked_peak;        /* frames mapped at once, most */
    uint64_t mappings;           /* KSMAPPINGs written */
    BOOLEAN registered_ex;       /* the adapter came by RegisterAdapterObjectEx */
    ULONG registered_map_registers; /* NumberOfMapRegisters it gave (0: KsDeviceRegister...) */
};
int dms_ks_device_stats(PDEVICE_OBJECT Pdo, struct dms_ks_stats *Stats);

#ifdef __cplusplus
}
#endif

#endif /* DMASIM_KS_H */
