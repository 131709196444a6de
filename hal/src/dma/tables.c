/*
 * tables.c - the plain DMA_OPERATIONS tables, one per DEVICE_DESCRIPTION version: what a
 * driver's adapter->DmaOperations points at (calltrace.c wraps them when a machine asks for
 * call events).
 */
#include <stddef.h>

#include "dma.h"

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

/* Version 3 (v3.c), with every member appended since (domain.c): the DMA domains, the
 * common-buffer vectors and CreateCommonBufferFromMdl (Windows Server 2022). No NULL. */
DMA_OPERATIONS hal_ops_v3 = {
    .Size = sizeof(DMA_OPERATIONS),
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
    .AllocateDomainCommonBuffer = hal_AllocateDomainCommonBuffer,
    .FlushDmaBuffer = hal_FlushDmaBuffer,
    .JoinDmaDomain = hal_JoinDmaDomain,
    .LeaveDmaDomain = hal_LeaveDmaDomain,
    .GetDmaDomain = hal_GetDmaDomain,
    .AllocateCommonBufferWithBounds = hal_AllocateCommonBufferWithBounds,
    .AllocateCommonBufferVector = hal_AllocateCommonBufferVector,
    .GetCommonBufferFromVectorByIndex = hal_GetCommonBufferFromVectorByIndex,
    .FreeCommonBufferFromVector = hal_FreeCommonBufferFromVector,
    .FreeCommonBufferVector = hal_FreeCommonBufferVector,
    .CreateCommonBufferFromMdl = hal_CreateCommonBufferFromMdl,
};

const DMA_OPERATIONS *hal_ops_plain(ULONG version)
{
    return version == DEVICE_DESCRIPTION_VERSION3   ? &hal_ops_v3
           : version == DEVICE_DESCRIPTION_VERSION2 ? &hal_ops_v2
                                                    : &hal_ops_v1;
}

