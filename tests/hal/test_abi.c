/*
 * test_abi.c - dmasim/wdm.h matches the WDK's x64 layout as the reference records it: sizes,
 * member offsets, table sizes, constants, and the page macros.
 */
#include <stddef.h>

#include "helpers.h"

START_TEST(test_basic_types)
{
    ck_assert_uint_eq(sizeof(ULONG), 4);
    ck_assert_uint_eq(sizeof(LONG), 4);
    ck_assert_uint_eq(sizeof(USHORT), 2);
    ck_assert_uint_eq(sizeof(BOOLEAN), 1);
    ck_assert_uint_eq(sizeof(PHYSICAL_ADDRESS), 8);
    ck_assert_uint_eq(_Alignof(PHYSICAL_ADDRESS), 8);
    ck_assert_uint_eq(sizeof(PFN_NUMBER), sizeof(void *));
    ck_assert_uint_eq(sizeof(NTSTATUS), 4);
}
END_TEST

START_TEST(test_structure_layout)
{
    ck_assert_uint_eq(sizeof(MDL), 0x30);
    ck_assert_uint_eq(offsetof(MDL, Size), 0x08);
    ck_assert_uint_eq(offsetof(MDL, StartVa), 0x20);
    ck_assert_uint_eq(offsetof(MDL, ByteCount), 0x28);
    ck_assert_uint_eq(offsetof(MDL, ByteOffset), 0x2C);
    ck_assert_uint_eq(sizeof(DEVICE_DESCRIPTION), 0x40);
    ck_assert_uint_eq(offsetof(DEVICE_DESCRIPTION, Dma64BitAddresses), 0x0B);
    ck_assert_uint_eq(offsetof(DEVICE_DESCRIPTION, MaximumLength), 0x20);
    ck_assert_uint_eq(offsetof(DEVICE_DESCRIPTION, DmaAddressWidth), 0x28);
    ck_assert_uint_eq(offsetof(DEVICE_DESCRIPTION, DeviceAddress), 0x38);
    ck_assert_uint_eq(sizeof(SCATTER_GATHER_ELEMENT), 24);
    ck_assert_uint_eq(offsetof(SCATTER_GATHER_LIST, Elements), 16);
    ck_assert_uint_eq(offsetof(DMA_ADAPTER, DmaOperations), 8);
    ck_assert_uint_eq(sizeof(DMA_ADAPTER_INFO_V1), 20);
}
END_TEST

/* The kernel objects a whole driver touches, at their x64 Windows sizes and offsets. */
START_TEST(test_kernel_object_layout)
{
    ck_assert_uint_eq(sizeof(IRP), 0xD0);
    ck_assert_uint_eq(offsetof(IRP, MdlAddress), 0x08);
    ck_assert_uint_eq(offsetof(IRP, AssociatedIrp), 0x18);
    ck_assert_uint_eq(offsetof(IRP, IoStatus), 0x30);
    ck_assert_uint_eq(offsetof(IRP, PendingReturned), 0x41);
    ck_assert_uint_eq(offsetof(IRP, CancelRoutine), 0x68);
    ck_assert_uint_eq(offsetof(IRP, UserBuffer), 0x70);
    ck_assert_uint_eq(offsetof(IRP, Tail.Overlay.DriverContext), 0x78);
    ck_assert_uint_eq(offsetof(IRP, Tail.Overlay.CurrentStackLocation), 0xB8);
    ck_assert_uint_eq(sizeof(IO_STACK_LOCATION), 0x48);
    ck_assert_uint_eq(offsetof(IO_STACK_LOCATION, Parameters.Read.ByteOffset), 0x18);
    ck_assert_uint_eq(offsetof(IO_STACK_LOCATION, Parameters.DeviceIoControl.IoControlCode),
                      0x18);
    ck_assert_uint_eq(offsetof(IO_STACK_LOCATION, DeviceObject), 0x28);
    ck_assert_uint_eq(offsetof(IO_STACK_LOCATION, CompletionRoutine), 0x38);
    ck_assert_uint_eq(sizeof(DEVICE_OBJECT), 0x150);
    ck_assert_uint_eq(offsetof(DEVICE_OBJECT, DeviceExtension), 0x40);
    ck_assert_uint_eq(offsetof(DEVICE_OBJECT, Dpc), 0xC8);
    ck_assert_uint_eq(offsetof(DEVICE_OBJECT, DeviceObjectExtension), 0x138);
    ck_assert_uint_eq(sizeof(DRIVER_OBJECT), 0x150);
    ck_assert_uint_eq(offsetof(DRIVER_OBJECT, DriverExtension), 0x30);
    ck_assert_uint_eq(offsetof(DRIVER_OBJECT, DriverStartIo), 0x60);
    ck_assert_uint_eq(offsetof(DRIVER_OBJECT, MajorFunction), 0x70);
    ck_assert_uint_eq(sizeof(KDPC), 0x40);
    ck_assert_uint_eq(sizeof(KEVENT), 0x18);
    ck_assert_uint_eq(sizeof(FAST_MUTEX), 0x38);
    ck_assert_uint_eq(sizeof(KDEVICE_QUEUE), 0x28);
    ck_assert_uint_eq(sizeof(WAIT_CONTEXT_BLOCK), 0x48);
    ck_assert_uint_eq(sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR), 0x14);
    ck_assert_uint_eq(sizeof(CM_RESOURCE_LIST), 0x28);
    ck_assert_uint_eq(sizeof(NPAGED_LOOKASIDE_LIST), 0x80);
    ck_assert_uint_eq(CTL_CODE(40000, 0x902, METHOD_BUFFERED, FILE_ANY_ACCESS), 0x9C402408u);
}
END_TEST

START_TEST(test_operations_table)
{
    ck_assert_uint_eq(offsetof(DMA_OPERATIONS, CalculateScatterGatherList), 0x68); /* v1 */
    ck_assert_uint_eq(offsetof(DMA_OPERATIONS, GetDmaAdapterInfo), 0x80);          /* v2 */
    ck_assert_uint_eq(offsetof(DMA_OPERATIONS, AllocateDomainCommonBuffer), 0xE8); /* v3 */
    ck_assert_uint_eq(offsetof(DMA_OPERATIONS, AllocateCommonBufferWithBounds), 34 * 8);
    ck_assert_uint_eq(sizeof(DMA_OPERATIONS), 0x140);
    ck_assert_uint_eq(offsetof(DMA_OPERATIONS, MapTransfer), 8 * 8);
    ck_assert_uint_eq(offsetof(DMA_OPERATIONS, MapTransferEx), 23 * 8);
}
END_TEST

START_TEST(test_constants)
{
    ck_assert_int_eq(KeepObject, 1);
    ck_assert_int_eq(DeallocateObject, 2);
    ck_assert_int_eq(DeallocateObjectKeepRegisters, 3);
    ck_assert_uint_eq((ULONG)STATUS_INSUFFICIENT_RESOURCES, 0xC000009Au);
    ck_assert_uint_eq((ULONG)STATUS_BUFFER_TOO_SMALL, 0xC0000023u);
    ck_assert_uint_eq((ULONG)STATUS_NONE_MAPPED, 0xC0000073u);
    ck_assert_uint_eq((ULONG)STATUS_INVALID_PARAMETER, 0xC000000Du);
    ck_assert(!NT_SUCCESS(STATUS_INSUFFICIENT_RESOURCES));
    ck_assert(NT_SUCCESS(STATUS_PENDING));
    ck_assert_int_eq(InterfaceTypeUndefined, -1);
    ck_assert_int_eq(PCIBus, 5);
    ck_assert_int_eq(DISPATCH_LEVEL, 2);
    ck_assert_int_eq(MDL_SOURCE_IS_NONPAGED_POOL, 4);
}
END_TEST

/* ADDRESS_AND_SIZE_TO_SPAN_PAGES over a table of (offset, size, pages). */
static const struct {
    uintptr_t va;
    size_t size;
    ULONG pages;
} span_cases[] = {
    {0x10000, 1, 1},      {0x10000, 4096, 1},  {0x10000, 4097, 2}, {0x10FFF, 1, 1},
    {0x10FFF, 2, 2},      {0x10001, 4096, 2},  {0x10000, 0, 0},    {0x10800, 65536, 17},
    {0x10000, 65536, 16}, {0x10000, 49152, 12},
};

START_TEST(test_span_pages)
{
    ck_assert_uint_eq(ADDRESS_AND_SIZE_TO_SPAN_PAGES((void *)span_cases[_i].va,
                                                     span_cases[_i].size),
                      span_cases[_i].pages);
}
END_TEST

START_TEST(test_page_macros)
{
    void *va = (void *)(uintptr_t)0x12345678;

    ck_assert_ptr_eq(PAGE_ALIGN(va), (void *)(uintptr_t)0x12345000);
    ck_assert_uint_eq(BYTE_OFFSET(va), 0x678);
    ck_assert_uint_eq(BYTES_TO_PAGES(4097), 2);
    ck_assert_uint_eq(ROUND_TO_PAGES(1), 4096);
}
END_TEST

/* IoGetDmaAdapter hands out the table of the version asked for, Size and all. */
START_TEST(test_table_versions)
{
    struct dms_machine *m = machine_new(8 * GIB, DMS_PLACE_RANDOM);
    PDEVICE_OBJECT dev = dms_device_create(m, "disk0", 0);
    PDMA_ADAPTER v1 = adapter_new(dev, 64, TRUE, 65536, DEVICE_DESCRIPTION_VERSION1, NULL);
    PDMA_ADAPTER v0 = adapter_new(dev, 64, TRUE, 65536, DEVICE_DESCRIPTION_VERSION, NULL);
    PDMA_ADAPTER v2 = adapter_new(dev, 64, TRUE, 65536, DEVICE_DESCRIPTION_VERSION2, NULL);

    ck_assert_uint_eq(v1->Version, 1);
    ck_assert_uint_eq(v2->Version, 1); /* "always 1" */
    ck_assert_uint_eq(v1->Size, sizeof(DMA_ADAPTER));
    ck_assert_uint_eq(v1->DmaOperations->Size, 0x68);
    ck_assert_uint_eq(v0->DmaOperations->Size, 0x68);
    ck_assert_uint_eq(v2->DmaOperations->Size, 0x80);
    ck_assert_ptr_null(v1->DmaOperations->CalculateScatterGatherList);
    ck_assert_ptr_nonnull(v2->DmaOperations->BuildMdlFromScatterGatherList);
    ck_assert_ptr_null(v2->DmaOperations->MapTransferEx);
    ck_assert_ptr_nonnull(v1->DmaOperations->PutScatterGatherList);
    machine_done(m);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("hal/abi");
    TCase *tc = tcase_create("abi");

    tcase_add_test(tc, test_basic_types);
    tcase_add_test(tc, test_structure_layout);
    tcase_add_test(tc, test_kernel_object_layout);
    tcase_add_test(tc, test_operations_table);
    tcase_add_test(tc, test_constants);
    tcase_add_loop_test(tc, test_span_pages, 0, sizeof(span_cases) / sizeof(span_cases[0]));
    tcase_add_test(tc, test_page_macros);
    tcase_add_test(tc, test_table_versions);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(make);
}
