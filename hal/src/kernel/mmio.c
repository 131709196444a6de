/*
 * mmio.c - device registers: the bus addresses devices decode, the system mappings drivers
 * make of them (MmMapIoSpace), and the READ_/WRITE_REGISTER_* and _PORT_* routines that carry
 * an access from a driver to the device model at the virtual time it is made.
 *
 * A mapping is ordinary host memory, so a driver that dereferences it directly instead of
 * calling the register routines touches only that memory (the device never sees it) and the
 * host does not fault. The register routines translate the mapped address back to the bus
 * address, find the region that decodes it and call its device model; each access costs the
 * CPU the machine's register latency (DMS_COST_REGISTER_READ / _WRITE). An access that no
 * device decodes reads all ones and is dropped, as on a PCI bus, and is a finding.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel.h"

struct mmio_region {
    struct mmio_region *next;
    bool io_space;
    uint64_t base, length;
    const struct dms_register_ops *ops;
    void *ctx;
    struct device *dev;
};

struct io_mapping {
    struct io_mapping *next;
    uint8_t *va;
    uint64_t bus, length;
    size_t host_bytes;
};

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* ---------------------------------------------------------------------------------------------
 * Indexes: the regions and the mappings sorted by address, so that an access finds its
 * device's registers by binary search however many devices the machine has (the lists keep
 * them for the rest).
 */
struct index {
    void **items;
    uint32_t n, cap;
};

static uint64_t region_key(const void *p)
{
    const struct mmio_region *r = p;

    return (r->io_space ? 1ULL << 63 : 0) | r->base;
}

static uint64_t mapping_key(const void *p)
{
    return (uintptr_t)((const struct io_mapping *)p)->va;
}

/* The position of the last item whose key is <= key, or -1. */
static int64_t index_floor(const struct index *x, uint64_t (*key_of)(const void *), uint64_t key)
{
    int64_t lo = 0, hi = (int64_t)x->n - 1, at = -1;

    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (key_of(x->items[mid]) <= key)
            at = mid, lo = mid + 1;
        else
            hi = mid - 1;
    }
    return at;
}

static int index_add(struct index *x, uint64_t (*key_of)(const void *), void *item)
{
    int64_t at = index_floor(x, key_of, key_of(item)) + 1;

    if (x->n == x->cap) {
        void *p = hal_grow(x->items, &x->cap, sizeof(*x->items), x->n + 1);
        if (p == NULL)
            return DMS_ENOMEM;
        x->items = p;
    }
    memmove(&x->items[at + 1], &x->items[at], (x->n - (uint32_t)at) * sizeof(*x->items));
    x->items[at] = item;
    x->n++;
    return 0;
}

static void index_del(struct index *x, const void *item)
{
    for (uint32_t i = 0; i < x->n; i++)
        if (x->items[i] == item) {
            memmove(&x->items[i], &x->items[i + 1], (x->n - i - 1) * sizeof(*x->items));
            x->n--;
            return;
        }
}

static int region_add(PDEVICE_OBJECT pdo, bool io, uint64_t base, uint64_t length,
                      const struct dms_register_ops *ops, void *ctx)
{
    struct device *p = device_of(pdo);
    CM_PARTIAL_RESOURCE_DESCRIPTOR res = {0};
    struct mmio_region *r;
    int err;

    if (p == NULL || ops == NULL || length == 0 || base + length < base ||
        (io && base + length > 0x10000))
        return DMS_EINVAL;
    for (r = p->m->kern->mmio; r != NULL; r = r->next)
        if (r->io_space == io && overlaps(r->base, r->length, base, length))
            return DMS_EINVAL;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return DMS_ENOMEM;
    *r = (struct mmio_region){p->m->kern->mmio, io, base, length, ops, ctx, p};
    res.Type = io ? CmResourceTypePort : CmResourceTypeMemory;
    res.ShareDisposition = CmResourceShareDeviceExclusive;
    res.Flags = io ? CM_RESOURCE_PORT_IO : CM_RESOURCE_MEMORY_READ_WRITE;
    res.u.Memory.Start.QuadPart = (LONGLONG)base;
    res.u.Memory.Length = (ULONG)length;
    err = dms_device_add_resource(pdo, &res);
    if (err == 0)
        err = index_add(p->m->kern->mmio_index, region_key, r);
    if (err != 0) {
        free(r);
        return err;
    }
    p->m->kern->mmio = r;
    return 0;
}

/* dms_device_add_memory - the device behind pdo decodes [base, base+length) of memory space
 * (a BAR); accesses go to ops with ctx. Added to its PnP resources. Returns 0, DMS_EINVAL
 * (bad range, overlapping another device's) or DMS_ENOMEM/DMS_ENOSPC. */
int dms_device_add_memory(PDEVICE_OBJECT pdo, uint64_t base, uint32_t length,
                          const struct dms_register_ops *ops, void *ctx)
{
    return region_add(pdo, false, base, length, ops, ctx);
}

/* dms_device_add_port - the same in I/O space (ports below 64 Ki). */
int dms_device_add_port(PDEVICE_OBJECT pdo, uint32_t base, uint32_t length,
                        const struct dms_register_ops *ops, void *ctx)
{
    return region_add(pdo, true, base, length, ops, ctx);
}

int mmio_init(struct dms_machine *m)
{
    m->kern->mmio_index = calloc(1, sizeof(struct index));
    m->kern->map_index = calloc(1, sizeof(struct index));
    return m->kern->mmio_index != NULL && m->kern->map_index != NULL ? 0 : DMS_ENOMEM;
}

void mmio_free_all(struct dms_machine *m)
{
    for (int i = 0; i < 2; i++) {
        struct index *x = i ? m->kern->map_index : m->kern->mmio_index;
        if (x != NULL)
            free(x->items);
        free(x);
    }
    m->kern->mmio_index = m->kern->map_index = NULL;
    while (m->kern->mmio != NULL) {
        struct mmio_region *next = m->kern->mmio->next;
        free(m->kern->mmio);
        m->kern->mmio = next;
    }
    while (m->kern->io_maps != NULL) {
        struct io_mapping *next = m->kern->io_maps->next;
        munmap(m->kern->io_maps->va, m->kern->io_maps->host_bytes);
        free(m->kern->io_maps);
        m->kern->io_maps = next;
    }
}

/* ---------------------------------------------------------------------------------------------
 * Mapping.
 */
PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
                   MEMORY_CACHING_TYPE CacheType)
{
    struct dms_machine *m = hal_machine();
    uint64_t bus = (uint64_t)PhysicalAddress.QuadPart;
    uint64_t first = bus & ~HAL_PAGE_MASK;
    struct io_mapping *map;
    size_t bytes;
    uint8_t *va;

    (void)CacheType;
    if (NumberOfBytes == 0 || bus + NumberOfBytes < bus) {
        hal_finding(m, NULL, "MmMapIoSpace", DMS_CHECK_BAD_ARGUMENT, bus, NumberOfBytes, 0,
                    "MmMapIoSpace of %zu bytes at 0x%llx", (size_t)NumberOfBytes,
                    (unsigned long long)bus);
        return NULL;
    }
    bytes = (size_t)(((bus + NumberOfBytes + HAL_PAGE_MASK) & ~HAL_PAGE_MASK) - first);
    map = calloc(1, sizeof(*map));
    va = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == NULL || va == MAP_FAILED) {
        free(map);
        if (va != MAP_FAILED)
            munmap(va, bytes);
        return NULL;
    }
    /* All ones, as a read of nothing returns, for a driver that reads the mapping directly. */
    memset(va, 0xff, bytes);
    *map = (struct io_mapping){m->kern->io_maps, va, first, bytes, bytes};
    if (index_add(m->kern->map_index, mapping_key, map) != 0) {
        munmap(va, bytes);
        free(map);
        return NULL;
    }
    m->kern->io_maps = map;
    return va + (bus - first);
}

PVOID MmMapIoSpaceEx(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, ULONG Protect)
{
    return MmMapIoSpace(PhysicalAddress, NumberOfBytes,
                        (Protect & PAGE_NOCACHE) ? MmNonCached : MmCached);
}

VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes)
{
    struct dms_machine *m = hal_machine();

    (void)NumberOfBytes;
    for (struct io_mapping **p = &m->kern->io_maps; *p != NULL; p = &(*p)->next) {
        struct io_mapping *map = *p;
        if ((uint8_t *)BaseAddress >= map->va && (uint8_t *)BaseAddress < map->va + map->length) {
            *p = map->next;
            index_del(m->kern->map_index, map);
            munmap(map->va, map->host_bytes);
            free(map);
            return;
        }
    }
    hal_finding(m, NULL, "MmUnmapIoSpace", DMS_CHECK_BAD_ARGUMENT, (uintptr_t)BaseAddress, 0, 0,
                "MmUnmapIoSpace of %p, which MmMapIoSpace did not return", BaseAddress);
}

/* ---------------------------------------------------------------------------------------------
 * Accesses.
 */
static struct mmio_region *decode(struct dms_machine *m, bool io, uint64_t bus, unsigned width)
{
    const struct index *x = m->kern->mmio_index;
    int64_t at = index_floor(x, region_key, (io ? 1ULL << 63 : 0) | bus);
    struct mmio_region *r = at >= 0 ? x->items[at] : NULL;

    /* regions never overlap: only the one starting at or below bus can hold it */
    if (r != NULL && r->io_space == io && bus >= r->base && bus + width <= r->base + r->length)
        return r;
    return NULL;
}

/* The bus address behind a register pointer: a mapping's, or a port number. */
static bool bus_of(struct dms_machine *m, bool io, const volatile void *reg, uint64_t *bus)
{
    const uint8_t *va = (const uint8_t *)(uintptr_t)reg;

    if (io) {
        *bus = (uintptr_t)reg;
        return true;
    }
    {
        const struct index *x = m->kern->map_index;
        int64_t at = index_floor(x, mapping_key, (uintptr_t)va);
        const struct io_mapping *map = at >= 0 ? x->items[at] : NULL;
        /* host mappings never overlap either */
        if (map != NULL && va >= map->va && va < map->va + map->length) {
            *bus = map->bus + (uint64_t)(va - map->va);
            return true;
        }
    }
    return false;
}

static void nobody(struct dms_machine *m, bool io, bool write, const volatile void *reg,
                   uint64_t bus, bool mapped, unsigned width)
{
    const char *routine = write ? (io ? "WRITE_PORT" : "WRITE_REGISTER")
                                : (io ? "READ_PORT" : "READ_REGISTER");

    if (!mapped)
        hal_finding(m, NULL, routine, DMS_CHECK_REGISTER, (uintptr_t)reg, width, 0,
                    "%s_* at %p, which is no mapping MmMapIoSpace made", routine,
                    (const void *)(uintptr_t)reg);
    else
        hal_finding(m, NULL, routine, DMS_CHECK_REGISTER, bus, width, 0,
                    "%s_* of %u byte(s) at %s address 0x%llx, which no device decodes "
                    "(%s)", routine, width, io ? "port" : "bus", (unsigned long long)bus,
                    write ? "the write is dropped" : "the read returns all ones");
}

/* The region an access lands in, with its cost charged; NULL (and the finding made) when
 * nothing decodes it. */
static struct mmio_region *target(bool io, bool write, const volatile void *reg,
                                  unsigned width, uint64_t *bus)
{
    struct dms_machine *m = hal_machine();
    struct mmio_region *r = NULL;
    bool mapped = bus_of(m, io, reg, bus);

    hal_charge(m, write ? DMS_COST_REGISTER_WRITE : DMS_COST_REGISTER_READ, 1, DMS_NO_ADAPTER);
    if (mapped)
        r = decode(m, io, *bus, width);
    if (r == NULL)
        nobody(m, io, write, reg, *bus, mapped, width);
    return r;
}

static uint64_t reg_read(bool io, const volatile void *reg, unsigned width)
{
    uint64_t bus = 0;
    struct mmio_region *r = target(io, false, reg, width, &bus);

    if (r == NULL)
        return width == 8 ? UINT64_MAX : (1ULL << (width * 8)) - 1;
    return r->ops->read(r->ctx, bus - r->base, width);
}

static void reg_write(bool io, volatile void *reg, unsigned width, uint64_t value)
{
    uint64_t bus = 0;
    struct mmio_region *r = target(io, true, reg, width, &bus);

    if (r != NULL)
        r->ops->write(r->ctx, bus - r->base, width, value);
}

UCHAR READ_REGISTER_UCHAR(volatile UCHAR *Register)
{
    return (UCHAR)reg_read(false, Register, 1);
}

USHORT READ_REGISTER_USHORT(volatile USHORT *Register)
{
    return (USHORT)reg_read(false, Register, 2);
}

ULONG READ_REGISTER_ULONG(volatile ULONG *Register)
{
    return (ULONG)reg_read(false, Register, 4);
}

ULONG64 READ_REGISTER_ULONG64(volatile ULONG64 *Register)
{
    return reg_read(false, Register, 8);
}

VOID WRITE_REGISTER_UCHAR(volatile UCHAR *Register, UCHAR Value)
{
    reg_write(false, Register, 1, Value);
}

VOID WRITE_REGISTER_USHORT(volatile USHORT *Register, USHORT Value)
{
    reg_write(false, Register, 2, Value);
}

VOID WRITE_REGISTER_ULONG(volatile ULONG *Register, ULONG Value)
{
    reg_write(false, Register, 4, Value);
}

VOID WRITE_REGISTER_ULONG64(volatile ULONG64 *Register, ULONG64 Value)
{
    reg_write(false, Register, 8, Value);
}

/* The buffer forms access the same register Count times (a FIFO). */
#define REG_BUFFER(name, type, width, io, write)                                              \
    VOID name(volatile type *Register, type *Buffer, ULONG Count)                              \
    {                                                                                         \
        if (Count > 0 && hal_null(hal_machine(), #name, Buffer, "Buffer"))                   \
            return;                                                                           \
        for (ULONG i = 0; i < Count; i++) {                                                   \
            if (write)                                                                        \
                reg_write(io, (volatile void *)Register, width, Buffer[i]);                   \
            else                                                                              \
                Buffer[i] = (type)reg_read(io, Register, width);                              \
        }                                                                                     \
    }
REG_BUFFER(READ_REGISTER_BUFFER_UCHAR, UCHAR, 1, false, false)
REG_BUFFER(READ_REGISTER_BUFFER_USHORT, USHORT, 2, false, false)
REG_BUFFER(READ_REGISTER_BUFFER_ULONG, ULONG, 4, false, false)
REG_BUFFER(WRITE_REGISTER_BUFFER_UCHAR, UCHAR, 1, false, true)
REG_BUFFER(WRITE_REGISTER_BUFFER_USHORT, USHORT, 2, false, true)
REG_BUFFER(WRITE_REGISTER_BUFFER_ULONG, ULONG, 4, false, true)
#undef REG_BUFFER

/* Ports: the "address" is the port number (CM resource Port.Start). */
UCHAR READ_PORT_UCHAR(PUCHAR Port)
{
    return (UCHAR)reg_read(true, Port, 1);
}

USHORT READ_PORT_USHORT(PUSHORT Port)
{
    return (USHORT)reg_read(true, Port, 2);
}

ULONG READ_PORT_ULONG(PULONG Port)
{
    return (ULONG)reg_read(true, Port, 4);
}

VOID WRITE_PORT_UCHAR(PUCHAR Port, UCHAR Value)
{
    reg_write(true, Port, 1, Value);
}

VOID WRITE_PORT_USHORT(PUSHORT Port, USHORT Value)
{
    reg_write(true, Port, 2, Value);
}

VOID WRITE_PORT_ULONG(PULONG Port, ULONG Value)
{
    reg_write(true, Port, 4, Value);
}

#define PORT_BUFFER(name, type, width, write)                                                 \
    VOID name(type *Port, type *Buffer, ULONG Count)                                          \
    {                                                                                         \
        if (Count > 0 && hal_null(hal_machine(), #name, Buffer, "Buffer"))                    \
            return;                                                                           \
        for (ULONG i = 0; i < Count; i++) {                                                   \
            if (write)                                                                        \
                reg_write(true, Port, width, Buffer[i]);                                      \
            else                                                                              \
                Buffer[i] = (type)reg_read(true, Port, width);                                \
        }                                                                                     \
    }
PORT_BUFFER(READ_PORT_BUFFER_UCHAR, UCHAR, 1, false)
PORT_BUFFER(READ_PORT_BUFFER_USHORT, USHORT, 2, false)
PORT_BUFFER(READ_PORT_BUFFER_ULONG, ULONG, 4, false)
PORT_BUFFER(WRITE_PORT_BUFFER_UCHAR, UCHAR, 1, true)
PORT_BUFFER(WRITE_PORT_BUFFER_USHORT, USHORT, 2, true)
PORT_BUFFER(WRITE_PORT_BUFFER_ULONG, ULONG, 4, true)
#undef PORT_BUFFER

/* ---------------------------------------------------------------------------------------------
 * A device model's DMA: the device behind dev, a bus master, reads or writes memory.
 */
int dms_device_dma_write(PDEVICE_OBJECT dev, unsigned address_bits, uint64_t logical,
                         const void *src, size_t len, uint32_t *stray)
{
    struct device *d = device_of(dev);

    if (d == NULL)
        return DMS_EINVAL;
    return hw_device_dma(&d->bm, address_bits, logical, (uint8_t *)(uintptr_t)src, len, true,
                         stray);
}

int dms_device_dma_read(PDEVICE_OBJECT dev, unsigned address_bits, uint64_t logical, void *dst,
                        size_t len, uint32_t *stray)
{
    struct device *d = device_of(dev);

    if (d == NULL)
        return DMS_EINVAL;
    return hw_device_dma(&d->bm, address_bits, logical, dst, len, false, stray);
}
