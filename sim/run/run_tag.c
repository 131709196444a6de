/*
 * run_tag.c - whose work it is: an I/O's tag (see run.h), below everything else of a run.
 */
#include "run.h"

/* A tag: the device (plus one, so 0 stays "nobody's") above the I/O's serial number. */
#define TAG_SERIAL_BITS 40

uint64_t run_tag(uint32_t device, uint64_t serial)
{
    return ((uint64_t)(device + 1) << TAG_SERIAL_BITS) |
           (serial & ((1ull << TAG_SERIAL_BITS) - 1));
}

int run_tag_device(uint64_t tag)
{
    return (int)(tag >> TAG_SERIAL_BITS) - 1;
}

uint64_t run_tag_serial(uint64_t tag)
{
    return tag & ((1ull << TAG_SERIAL_BITS) - 1);
}

/* ---------------------------------------------------------------------------------------------
 * Building.
 */
