/*
 * scenario_keys.c - the key table: every key of a scenario, its type, range, default and
 * meaning; what a key's value is (parsing numbers, choices, adapters, patterns, size
 * distributions into a section); and the reference table `dmasim keys` prints.
 */
#define _GNU_SOURCE /* memrchr */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"
#include "units.h"

static const char *const placement_names[] = {"random", "low-first", "high-first", "range", NULL};
static const char *const data_names[] = {"full", "metadata", NULL};
static const char *const contiguous_names[] = {"high-first", "low-first", NULL};
static const char *const verifier_names[] = {"off", "dma", NULL};
static const char *const iommu_names[] = {"off", "remap", "passthrough", NULL};
static const char *const invalidation_names[] = {"strict", "deferred", NULL};
static const char *const op_names[] = {"read", "write", "mix", "ioctl", NULL};
static const char *const offsets_names[] = {"random", "sequential", NULL};
static const char *const buffers_names[] = {"pool", "fresh", NULL};
static const char *const flush_names[] = {"auto", "yes", "no", NULL};
static const char *const descriptor_high_names[] = {"dac-chain-load", "always", NULL};
static const char *const queue_memory_names[] = {"common-buffer", "contiguous", NULL};
static const char *const lock_policy_names[] = {"programmed", "ahead", NULL};
static const char *const registration_names[] = {"ex", "legacy", NULL};

#define M(f) offsetof(struct scn_machine, f)
#define C(f) offsetof(struct cost_model, f)
#define F(f) offsetof(struct scn_faults, f)
#define D(f) offsetof(struct scn_device, f)
#define W(f) offsetof(struct scn_workload, f)
#define BIG UINT64_MAX
/* Times a key may take: any one cost or latency up to 10 s, a run's duration up to 10^6 s
 * (11.6 days). With them no product the engine forms can pass 2^64 ns; the engine still
 * stops a run whose clock would pass its horizon (sim/engine.c). */
#define TIME_MAX (10ULL * 1000000000ULL)
#define DURATION_MAX (1000000ULL * 1000000000ULL)

/* Every key a scenario may hold. docs/scenarios.md is generated from this table. */
const struct key_def scn_keys[] = {
    /* [machine] */
    {SEC_MACHINE, "memory", KT_SIZE, M(memory), 16 << 20, 1ULL << 50, NULL, false, "8G",
     "Installed RAM (16M .. 1P, a multiple of 4K). RAM under the MMIO hole moves above 4 GiB.",
     NULL},
    {SEC_MACHINE, "mmio_hole_start", KT_SIZE, M(mmio_hole_start), 0, 4ULL << 30, NULL, false,
     "3G", "Start of the MMIO hole below 4 GiB (equal to the end: no hole).", NULL},
    {SEC_MACHINE, "mmio_hole_end", KT_SIZE, M(mmio_hole_end), 0, 4ULL << 30, NULL, false, "4G",
     "End of the MMIO hole; at most 4G.", NULL},
    {SEC_MACHINE, "reserved_low", KT_SIZE, M(reserved_low), 0, 1ULL << 40, NULL, false, "1M",
     "Low memory the firmware keeps; never allocated.", NULL},
    {SEC_MACHINE, "placement", KT_ENUM, M(placement), 0, 0, placement_names, false, "random",
     "Where driver buffers land: random (a long-running machine), low-first, high-first, "
     "or range (within range_start .. range_end).", NULL},
    {SEC_MACHINE, "range_start", KT_SIZE, M(range_start), 0, BIG, NULL, false, "0",
     "placement = range: lowest physical address used.", NULL},
    {SEC_MACHINE, "range_end", KT_SIZE, M(range_end), 0, BIG, NULL, false, "0",
     "placement = range: physical address the range stops below.", NULL},
    {SEC_MACHINE, "contiguous", KT_ENUM, M(contiguous), 0, 0, contiguous_names, false,
     "high-first",
     "Where common buffers and MmAllocateContiguousMemory land: high-first, the highest free "
     "run below the device's reach (as Windows' contiguous allocator searches: a 64-bit card's "
     "common buffer lands above 4 GiB), or low-first, the lowest (a driver that programs only "
     "the low 32 bits of a common buffer's address then works). Bounce pools stay high.", NULL},
    {SEC_MACHINE, "cpus", KT_COUNT, M(cpus), 1, 1024, NULL, false, "4",
     "CPUs that run application work, dispatch, ISRs, DPCs and bounce copies.", NULL},
    {SEC_MACHINE, "seed", KT_COUNT, M(seed), 0, BIG, NULL, false, "1",
     "Seed of the run's PRNG (xoshiro256**): placement, sizes, offsets, operation mix.", NULL},
    {SEC_MACHINE, "io_timeout", KT_TIME, M(io_timeout), 0, DURATION_MAX, NULL, false, "10s",
     "An I/O outstanding this long in virtual time while the run goes on stops the run, and "
     "says which (a driver that restages a transfer for ever, a device that never finishes: "
     "a livelock); 0: never.", NULL},
    {SEC_MACHINE, "data", KT_ENUM, M(data), 0, 0, data_names, false, "full",
     "full: every byte moves and each transfer is checked with crc32; metadata: no payload "
     "copies, identical accounting (for fast sweeps).", NULL},
    {SEC_MACHINE, "coherent", KT_BOOL, M(coherent), 0, 1, NULL, false, "yes",
     "yes: DMA snoops the CPU caches (x86/x64). no: it does not (ARM without hardware "
     "coherency): drivers must clean and invalidate, and stale data is found and named.",
     NULL},
    {SEC_MACHINE, "verifier", KT_ENUM, M(verifier), 0, 0, verifier_names, false, "off",
     "dma: Driver Verifier's DMA verification - every bus master's transfer double-buffered "
     "through map registers between \"DmaVrfy0\" tags and 0x0F padding, checked at each "
     "flush; free map registers kept at 0x0F; what a run leaves behind reported at its end. "
     "Its copies are charged as bounce copies (by the verifier). --verifier sets it.", NULL},
    {SEC_MACHINE, "iommu", KT_ENUM, M(iommu), 0, 0, iommu_names, false, "off",
     "remap: an IOMMU remaps every bus master's DMA (VT-d, AMD-Vi): logical addresses are "
     "IOVAs within the device's reach mapped to wherever the pages are, so nothing is "
     "double-buffered; each mapping costs page table entries and an IOTLB invalidation "
     "([cost] iommu_*), device accesses miss the IOTLB ([cost] iotlb_miss), and an access "
     "through an IOVA nothing maps is blocked (0xE6/0x26). passthrough: the IOMMU lets every "
     "device through untranslated (Linux iommu.passthrough=1): as off, double-buffering "
     "included, at no cost.", NULL},
    {SEC_MACHINE, "iotlb_entries", KT_COUNT, M(iotlb_entries), 0, 1 << 20, NULL, false, "64",
     "iommu = remap: entries of the IOTLB (4-way set associative, least recently used out; "
     "0: not modelled, no misses). Deferred invalidation leaves stale entries a device can "
     "still use until the flush.",
     "assumption: no IOTLB size is published (perf-anchors.md §1, IOTLB miss cost: U)"},
    {SEC_MACHINE, "iommu_invalidation", KT_ENUM, M(iommu_invalidation), 0, 0,
     invalidation_names, false, "strict",
     "iommu = remap: strict invalidates the IOTLB at every unmap; deferred batches unmaps, one "
     "invalidation for 250 of them or the first 10 ms old, and reuses their IOVAs only then.",
     "Linux's flush queue, iommu-linux-videoport.md A.9 I1"},
    {SEC_MACHINE, "isa_dma", KT_BOOL, M(isa_dma), 0, 1, NULL, false, "yes",
     "The PC's 8237 system DMA controller pair for subordinate devices.", NULL},
    {SEC_MACHINE, "soc_dma_channels", KT_COUNT, M(soc_dma_channels), 0, 256, NULL, false, "0",
     "Channels of a SoC system DMA controller (0: none): scatter/gather and a completion "
     "interrupt for subordinate devices, through version 3 (the uart adapter needs one).",
     NULL},
    {SEC_MACHINE, "soc_dma_request_lines", KT_COUNT, M(soc_dma_request_lines), 1, 65536, NULL,
     false, "32", "Request lines of the SoC DMA controller.", NULL},
    {SEC_MACHINE, "map_register_limit", KT_COUNT, M(map_register_limit), 1, 1 << 20, NULL,
     false, "64", "Most map registers the platform grants one adapter.",
     "C28173: grants fall short as requests approach 64"},
    {SEC_MACHINE, "bounce_pool", KT_SIZE, M(bounce_pool), 4096, 4ULL << 30, NULL, false, "64M",
     "Bounce pages per address limit, shared by the adapters with that limit.",
     "Linux swiotlb's default IO_TLB_DEFAULT_SIZE"},

    /* [cost] */
    {SEC_COST, "copy_bandwidth", KT_BANDWIDTH, C(copy_bandwidth), 1, BIG, NULL, false, "10GB/s",
     "CPU copy bandwidth for bounce copies and a driver's own copies.",
     "perf-anchors H15/H16: one core copies 6-13 GB/s; §2 uses 10 GB/s (102 ns/KiB)"},
    {SEC_COST, "link_bandwidth", KT_BANDWIDTH, C(link_bandwidth), 1, BIG, NULL, false,
     "7.2GB/s", "A device's link bandwidth unless the device says otherwise.",
     "perf-anchors H17: PCIe Gen3 x8 7.88 GB/s, x 91.4 % payload efficiency at MPS 256 (§2)"},
    {SEC_COST, "descriptor", KT_TIME, C(descriptor_ns), 0, TIME_MAX, NULL, false, "300ns",
     "Device time to fetch one descriptor (or command) from memory.",
     "perf-anchors §2: a PCIe round trip is 300-400 ns unloaded"},
    {SEC_COST, "mapreg_alloc", KT_TIME, C(mapreg_alloc_ns), 0, TIME_MAX, NULL, false, "125ns",
     "CPU time per map register allocated.",
     "perf-anchors H7: 1.0 us to map 8 pages = 125 ns/page (Linux DMA API; no Windows figure)"},
    {SEC_COST, "mapreg_free", KT_TIME, C(mapreg_free_ns), 0, TIME_MAX, NULL, false, "160ns",
     "CPU time per map register freed.",
     "perf-anchors H7: 1.3 us to unmap 8 pages = 162 ns/page"},
    {SEC_COST, "sg_element", KT_TIME, C(sg_element_ns), 0, TIME_MAX, NULL, false, "50ns",
     "CPU time per scatter/gather element built.",
     "perf-anchors H7: 8-entry S/G map 1.4 us vs 1.0 us single = 50 ns per element"},
    {SEC_COST, "map_call", KT_TIME, C(map_call_ns), 0, TIME_MAX, NULL, false, "100ns",
     "CPU time per MapTransfer call or list fragment.",
     "assumption: a call with its checks; Microsoft publishes no figure (perf-anchors §1.1)"},
    {SEC_COST, "cache_line", KT_TIME, C(cache_line_ns), 0, TIME_MAX, NULL, false, "39ns",
     "CPU time per 64-byte cache line cleaned or invalidated on a non-coherent machine.",
     "perf-anchors: no per-line figure is published; a Cortex-A17 full flush takes >200 us "
     "for 320 KB, ~39 ns a line (an upper figure: by VA, clean lines cost less)"},
    {SEC_COST, "register_read", KT_TIME, C(register_read_ns), 0, TIME_MAX, NULL, false, "1us",
     "CPU time of a device register read (READ_REGISTER_*, READ_PORT_*): the CPU waits "
     "for the device's reply.",
     "perf-anchors §2: a PCIe round trip is 300-400 ns unloaded, several us loaded; one "
     "observed NIC BAR read took ~5 us (anecdotal): 1 us sits between"},
    {SEC_COST, "register_write", KT_TIME, C(register_write_ns), 0, TIME_MAX, NULL, false, "100ns",
     "CPU time of a device register write (WRITE_REGISTER_*, WRITE_PORT_*): posted, the "
     "CPU does not wait for the device.",
     "assumption: an uncached store leaving the core; no published figure (perf-anchors §2)"},
    {SEC_COST, "isr", KT_TIME, C(isr_ns), 0, TIME_MAX, NULL, false, "1us",
     "CPU time of interrupt dispatch and the ISR.",
     "perf-anchors §2: interrupt-to-DPC averages 1.18-2.66 us (LatencyMon; anecdotal)"},
    {SEC_COST, "dpc_latency", KT_TIME, C(dpc_latency_ns), 0, TIME_MAX, NULL, false, "1.2us",
     "Delay from IoRequestDpc until the DPC starts.",
     "perf-anchors §2: the low end of the measured 1.18-2.66 us average"},
    {SEC_COST, "dpc", KT_TIME, C(dpc_ns), 0, TIME_MAX, NULL, false, "1us",
     "CPU time of DPC dispatch (the DMA calls it makes are charged apart).",
     "assumption, well inside the 100 us DPC budget (perf-anchors H18)"},
    {SEC_COST, "submit", KT_TIME, C(submit_ns), 0, TIME_MAX, NULL, false, "2us",
     "CPU time of one I/O's dispatch path: I/O manager, driver, doorbell.",
     "assumption; no published figure"},
    {SEC_COST, "iommu_map_page", KT_TIME, C(iommu_map_page_ns), 0, TIME_MAX, NULL, false, "3ns",
     "CPU time per IOMMU page table entry written (machine.iommu = remap): a 1 MiB map takes "
     "0.8 us against 0.1 us for 4 KiB, about 3 ns a page over the call.",
     "SMMUv3 dma_map_benchmark, iommu-linux-videoport.md A.9 I9"},
    {SEC_COST, "iommu_unmap_page", KT_TIME, C(iommu_unmap_page_ns), 0, TIME_MAX, NULL, false,
     "82ns", "CPU time per IOMMU page table entry cleared: 21.2 us for a 1 MiB unmap.",
     "SMMUv3 dma_map_benchmark, iommu-linux-videoport.md A.9 I9"},
    {SEC_COST, "iotlb_invalidate", KT_TIME, C(iotlb_invalidate_ns), 0, TIME_MAX, NULL, false,
     "500ns", "CPU time per IOTLB invalidation, one a strict unmap (0.6 us for a 4 KiB unmap, "
     "less its entry; about 800 ns reported for a VT-d flush).",
     "iommu-linux-videoport.md A.9 I6, I9"},
    {SEC_COST, "iotlb_miss", KT_TIME, C(iotlb_miss_ns), 0, TIME_MAX, NULL, false, "100ns",
     "Device time per IOTLB miss (machine.iommu = remap): the page walk the access waits for, "
     "added to the device's busy time.",
     "derived: one DRAM read for the leaf entry, the upper levels in the IOMMU's paging-"
     "structure caches; no per-miss figure is published (perf-anchors.md §1)"},
    {SEC_COST, "app_work", KT_TIME, C(app_work_ns), 0, TIME_MAX, NULL, false, "0",
     "The application's own CPU work per I/O, unless the workload says otherwise.",
     "the workload's business: a database does tens of microseconds per I/O"},

    /* [device NAME] */
    {SEC_FAULTS, "seed", KT_COUNT, F(seed), 0, BIG, NULL, false, "1",
     "Seed of the faults' own PRNG: the same faults at the same calls on every run, whatever "
     "the machine's seed.", NULL},
    {SEC_FAULTS, "during_start", KT_BOOL, F(during_start), 0, 1, NULL, false, "no",
     "no: faults are injected once every device has started and the workload runs (Driver "
     "Verifier's low-resources simulation also waits after boot); yes: from the first call, "
     "drivers' starts included (a start that fails stops the run, exit status 1).", NULL},
    {SEC_FAULTS, "pool", KT_PERCENT, F(pool), 0, 100, NULL, false, "0%",
     "ExAllocatePool* calls that fail (NULL): pool exhaustion.", NULL},
    {SEC_FAULTS, "mdl", KT_PERCENT, F(mdl), 0, 100, NULL, false, "0%",
     "IoAllocateMdl calls that fail (NULL), the I/O manager's own for direct I/O included.",
     NULL},
    {SEC_FAULTS, "common_buffer", KT_PERCENT, F(common_buffer), 0, 100, NULL, false, "0%",
     "AllocateCommonBuffer(Ex, WithBounds) calls that fail (NULL): no contiguous memory below "
     "the device's reach.", NULL},
    {SEC_FAULTS, "contiguous", KT_PERCENT, F(contiguous), 0, 100, NULL, false, "0%",
     "MmAllocateContiguousMemory* and MmAllocatePagesForMdl(Ex) calls that fail.", NULL},
    {SEC_FAULTS, "map_registers", KT_PERCENT, F(map_registers), 0, 100, NULL, false, "0%",
     "Requests for map registers (AllocateAdapterChannel(Ex), Get/BuildScatterGatherList(Ex)) "
     "refused with STATUS_INSUFFICIENT_RESOURCES.", NULL},
    {SEC_FAULTS, "device_errors", KT_PERCENT, F(device_errors), 0, 100, NULL, false, "0%",
     "Operations a card reports failed, as its datasheet says (storage: an error status in the "
     "completion; nic: a packet lost, DONE and ERROR; legacy: STATUS.ERROR; uart: LINE_ERROR for a "
     "burst; audio: a period FAILED; display: an engine's STATUS.ERROR; capture: a frame written "
     "back ERROR, with no data); each shipped driver fails the request.", NULL},
    {SEC_FAULTS, "interrupts", KT_PERCENT, F(interrupts), 0, 100, NULL, false, "0%",
     "Device interrupts lost on the way: the card raised it, no ISR runs (a driver with no "
     "timeout hangs the I/O, and the report says so).", NULL},
    {SEC_FAULTS, "spurious_interrupts", KT_PERCENT, F(spurious_interrupts), 0, 100, NULL, false,
     "0%", "Interrupts delivered again once the ISR has quieted its device (a shared or noisy "
     "line): an ISR that finds nothing to do must return FALSE; the report counts those it "
     "claimed.", NULL},
    {SEC_FAULTS, "stalls", KT_PERCENT, F(stalls), 0, 100, NULL, false, "0%",
     "A card's engine wedges on the operation it starts (storage: one command; nic: its ring; "
     "legacy: BUSY for good; uart and audio: the request line, drawn per burst; display: an "
     "engine's descriptor; capture: its engine, on a frame): no data, no "
     "completion, no interrupt; the report says where each hung I/O stopped.", NULL},
    {SEC_DEVICE, "adapter", KT_ADAPTER, D(adapter), 0, 0, NULL, false, NULL,
     "The simulated adapter: storage, nic, legacy, uart, audio, pci9656, display or capture "
     "(required).", NULL},
    {SEC_DEVICE, "hardware", KT_ADAPTER, D(adapter), 0, 0, NULL, false, NULL,
     "Another name for adapter (one of the two is required): the card a driver drives.",
     NULL},
    {SEC_DEVICE, "driver", KT_PATH, D(driver), 0, 0, NULL, true, "auto",
     "A WDM, KMDF, video miniport or AVStream driver to load for the card: a shared object "
     "with a DriverEntry, built against the installed dmasim (a relative name is taken from the scenario's folder). "
     "Every card takes one (each is modelled at its registers; datasheets in docs/hardware/). "
     "auto: the driver shipped for the card.",
     NULL},
    {SEC_DEVICE, "register_base", KT_SIZE, D(register_base), 0, 1ULL << 48, NULL, true,
     "auto", "Cards at their registers: the bus address of the card's register BAR (uart: its "
     "transmit data register is 0x200 above it). auto: a window per device (64 KiB; pci9656: "
     "256 KiB) from 0xF000_0000.", NULL},
    {SEC_DEVICE, "address_bits", KT_COUNT, D(address_bits), 1, 64, NULL, false, "64",
     "Address lines the device really drives (1 .. 64); higher address bits are lost. Not for "
     "uart and audio: their DMA controller's lines are used.", NULL},
    {SEC_DEVICE, "declared_bits", KT_COUNT, D(declared_bits), 24, 64, NULL, true, "auto",
     "What the driver tells IoGetDmaAdapter: 24, 32 or 64. auto: the largest not above "
     "address_bits. Declaring more than the device has is the classic bug.", NULL},
    {SEC_DEVICE, "scatter_gather", KT_BOOL, D(scatter_gather), 0, 1, NULL, true, "auto",
     "The DMA engine takes element lists. auto: the adapter's own (legacy has none).", NULL},
    {SEC_DEVICE, "max_transfer", KT_SIZE, D(max_transfer), 512, 16 << 20, NULL, true, "auto",
     "Largest I/O the device takes. auto: storage 128K, nic 2K, legacy 64K, uart 4K; audio: "
     "the period, 4K; pci9656 128K; display 1M; capture: the frame, 4147200 (1920x1080 "
     "YUY2).", NULL},
    {SEC_DEVICE, "pattern", KT_PATTERN, D(pattern), 0, 0, NULL, true, "auto",
     "The driver's calling pattern: packet, sg, sg-build, common-buffer, v3, v3-sync, kmdf, "
     "videoport or avstream. auto: sg where the driver offers it, else its first (uart: v3; "
     "audio: packet; pci9656: kmdf; display: videoport; capture: avstream).", NULL},
    {SEC_DEVICE, "dma_line", KT_COUNT, D(dma_line), 0, 65535, NULL, true, "auto",
     "Subordinate devices: uart, the SoC DMA controller request line it asserts (auto: 0); "
     "audio, its 8237 channel, 0-3 for bytes or 5-7 for 16-bit words (auto: 5).", NULL},
    {SEC_DEVICE, "periods", KT_COUNT, D(periods), 2, 32, NULL, false, "4",
     "audio only: periods in the ring buffer, each max_transfer bytes and one interrupt; the "
     "ring may not cross the channel's 64K (8-bit) or 128K (16-bit) line.", NULL},
    {SEC_DEVICE, "descriptor_high", KT_ENUM, D(descriptor_high), 0, 0, descriptor_high_names,
     false, "dac-chain-load",
     "pci9656 only: where a chained descriptor's upper 32 PCI address bits come from. "
     "dac-chain-load (the datasheet): its fifth dword only when DMAMODE's DAC_CHAIN_LOAD bit is "
     "set, else DMADAC, so a driver that never sets the bit has its buffers above 4 GiB cut to "
     "32 bits; always: the fifth dword whatever the bit (a card that forgives it).", NULL},
    {SEC_DEVICE, "dma_adapters", KT_COUNT, D(dma_adapters), 1, 2, NULL, false, "2",
     "display only: the DMA adapters its miniport gets from VideoPortGetDmaAdapter for its two "
     "engines: 2, one an engine (the guidance: one adapter for each concurrent path), or 1, "
     "shared by both (its map registers too).", NULL},
    {SEC_DEVICE, "frame_rate", KT_COUNT, D(frame_rate), 1, 1000, NULL, false, "30",
     "capture only: frames its sensor makes a second, each max_transfer bytes (a frame no "
     "buffer is ready for is dropped).", NULL},
    {SEC_DEVICE, "locks", KT_COUNT, D(locks), 1, 64, NULL, false, "2",
     "capture only: the most frames its AVStream minidriver keeps locked and programmed on the "
     "card at once (each locked frame holds its mappings: with double-buffering, its map "
     "registers).", NULL},
    {SEC_DEVICE, "lock_policy", KT_ENUM, D(lock_policy), 0, 0, lock_policy_names, false,
     "programmed",
     "capture only: programmed, the minidriver locks a frame only when it programs it (at "
     "most locks); ahead, it locks every frame as it arrives and programs each when the card's "
     "ring has room (the locks held grow with the frames queued).", NULL},
    {SEC_DEVICE, "registration", KT_ENUM, D(registration), 0, 0, registration_names, false,
     "ex",
     "capture only: how its minidriver registers the DMA adapter with AVStream. ex: "
     "QueryInterface for IKsDeviceFunctions and RegisterAdapterObjectEx with the map register "
     "count (the 64-bit guidance); legacy: KsDeviceRegisterAdapterObject, which gives AVStream "
     "no count, so each frame is mapped in one request.", NULL},
    {SEC_DEVICE, "queue_memory", KT_ENUM, D(queue_memory), 0, 0, queue_memory_names, false,
     "common-buffer",
     "storage only: where its WDM driver puts the command table and completion queue. "
     "common-buffer: AllocateCommonBuffer, and the logical address it gives; contiguous: "
     "MmAllocateContiguousMemory and MmGetPhysicalAddress, the wrong way the DMA guidance "
     "warns of (it works only where the physical address is one the device reaches and uses).",
     NULL},
    {SEC_DEVICE, "dma_remapping", KT_BOOL, D(dma_remapping), 0, 1, NULL, false, "yes",
     "machine.iommu = remap: whether the device's driver opted in to DMA remapping (its INF's "
     "DmaRemappingCompatible). no: its DMA is not remapped - physical logical addresses, and "
     "double-buffering as without an IOMMU.", NULL},
    {SEC_DEVICE, "flush_io_buffers", KT_ENUM, D(flush_io_buffers), 0, 0, flush_names, false,
     "auto", "Whether the driver calls KeFlushIoBuffers around each I/O (a no-op where DMA is "
     "coherent). auto: yes for packet, sg and sg-build, whose routines maintain no cache; no "
     "for v3 (MapTransferEx and FlushAdapterBuffersEx do) and common-buffer. no with packet "
     "or sg on a non-coherent machine is the driver that forgets.", NULL},
    {SEC_DEVICE, "engines", KT_COUNT, D(engines), 1, 64, NULL, false, "1",
     "DMA engines working in parallel, each at link_bandwidth; transfers queue for a free "
     "one.", NULL},
    {SEC_DEVICE, "latency", KT_TIME, D(latency), 0, TIME_MAX, NULL, true, "auto",
     "Media or wire time before the engine moves data. auto: storage 20us, others 0.",
     NULL},
    {SEC_DEVICE, "link_bandwidth", KT_BANDWIDTH, D(link_bandwidth), 1, BIG, NULL, true, "auto",
     "This device's link (audio: the sample rate). auto: [cost] link_bandwidth.", NULL},
    {SEC_DEVICE, "ring_entries", KT_COUNT, D(ring_entries), 16, 65536, NULL, false, "256",
     "nic only: descriptors per ring.", NULL},

    /* [workload NAME] */
    {SEC_WORKLOAD, "device", KT_NAME, W(device_name), 0, 0, NULL, false, NULL,
     "The [device NAME] this workload drives (required; one workload per device).", NULL},
    {SEC_WORKLOAD, "op", KT_ENUM, W(op), 0, 0, op_names, false, "read",
     "read, write, mix or ioctl. For a nic or uart, read is receive and write is transmit; "
     "audio plays: write only. ioctl (a driver = FILE only): IRP_MJ_DEVICE_CONTROL with code "
     "ioctl, an input buffer of size bytes and an output buffer of output bytes.", NULL},
    {SEC_WORKLOAD, "ioctl", KT_COUNT, W(ioctl), 1, 0xFFFFFFFFu, NULL, false, "1",
     "op = ioctl: the I/O control code (CTL_CODE: 0x9C402408 is device type 0x9C40, function "
     "0x902, METHOD_BUFFERED).", NULL},
    {SEC_WORKLOAD, "output", KT_SIZE, W(output), 0, 16 << 20, NULL, false, "0",
     "op = ioctl: the output buffer's size.", NULL},
    {SEC_WORKLOAD, "open", KT_PATH, W(open), 0, 0, NULL, true, "auto",
     "The device to send the requests to, by name, as CreateFile opens it (\\\\.\\NAME "
     "through a symbolic link, or \\Device\\NAME): what a legacy driver, which creates "
     "its devices in DriverEntry, needs. auto: the card's own device stack.", NULL},
    {SEC_WORKLOAD, "read_share", KT_PERCENT, W(read_share), 0, 100, NULL, false, "50%",
     "op = mix: the share of reads.", NULL},
    {SEC_WORKLOAD, "size", KT_SIZES, W(size), 1, 16 << 20, NULL, false, "4K",
     "I/O size: fixed (4K), uniform (4K..64K; 512-byte steps when both ends are multiples of "
     "512) or weighted (4K:70,64K:30).", NULL},
    {SEC_WORKLOAD, "offsets", KT_ENUM, W(offsets), 0, 0, offsets_names, false, "random",
     "storage and legacy: random or sequential device offsets.", NULL},
    {SEC_WORKLOAD, "span", KT_SIZE, W(span), 4096, 1ULL << 50, NULL, false, "64G",
     "storage and legacy: the device bytes offsets range over.", NULL},
    {SEC_WORKLOAD, "align", KT_SIZE, W(align), 512, 1 << 30, NULL, false, "4K",
     "Random offsets are multiples of this (a power of two).", NULL},
    {SEC_WORKLOAD, "queue_depth", KT_COUNT, W(queue_depth), 1, 4096, NULL, false, "8",
     "I/Os in flight at once; each slot issues its next I/O when the last completes.", NULL},
    {SEC_WORKLOAD, "count", KT_COUNT, W(count), 1, BIG, NULL, false, "10000",
     "I/Os to complete (unless duration is given).", NULL},
    {SEC_WORKLOAD, "duration", KT_TIME, W(duration), 0, DURATION_MAX, NULL, false, "0",
     "Virtual time to keep issuing I/Os instead of a count.", NULL},
    {SEC_WORKLOAD, "cpu_work", KT_TIME, W(cpu_work), 0, TIME_MAX, NULL, true, "auto",
     "Application CPU work before each I/O. auto: [cost] app_work.", NULL},
    {SEC_WORKLOAD, "buffers", KT_ENUM, W(buffers), 0, 0, buffers_names, false, "pool",
     "pool: each slot reuses one buffer (as drivers and databases do); fresh: a new buffer, "
     "placed by the machine's policy, for every I/O.", NULL},
};

const int scn_n_keys = (int)(sizeof(scn_keys) / sizeof(scn_keys[0]));
_Static_assert(sizeof(scn_keys) / sizeof(scn_keys[0]) <= SCN_MAX_KEYS,
               "SCN_MAX_KEYS must cover every key (struct scenario.key_lines)");

const char *const scn_section_names[] = {"machine", "cost", "faults", "device", "workload"};

int scn_key_find(enum scn_section section, const char *name)
{
    for (int i = 0; i < scn_n_keys; i++)
        if (scn_keys[i].section == section && strcmp(scn_keys[i].name, name) == 0)
            return i;
    return -1;
}

bool scenario_key_exists(enum scn_section section, const char *key)
{
    return scn_key_find(section, key) >= 0;
}

bool scenario_key_at(int n, enum scn_section *section, const char **name)
{
    if (n < 0 || n >= scn_n_keys)
        return false;
    *section = scn_keys[n].section;
    *name = scn_keys[n].name;
    return true;
}

int scn_line(const struct scenario *s, int inst, const char *key)
{
    const struct key_def *k0 = NULL;
    int i;

    for (i = 0; i < scn_n_keys; i++) {
        if (strcmp(scn_keys[i].name, key) == 0) {
            k0 = &scn_keys[i];
            if ((inst == INST_MACHINE && k0->section == SEC_MACHINE) ||
                (inst == INST_COST && k0->section == SEC_COST) ||
                (inst == INST_FAULTS && k0->section == SEC_FAULTS) ||
                (inst >= INST_DEVICE(0) && inst < INST_WORKLOAD(0) &&
                 k0->section == SEC_DEVICE) ||
                (inst >= INST_WORKLOAD(0) && k0->section == SEC_WORKLOAD))
                return s->key_lines[inst][i];
        }
    }
    return 0;
}

void scn_error(struct scn_errors *err, const char *path, int line, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (err->count >= SCN_MAX_ERRORS) {
        err->more++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(err->text[err->count++], sizeof(err->text[0]), "%s:%d: %s", path, line, msg);
    else
        snprintf(err->text[err->count++], sizeof(err->text[0]), "%s: %s", path, msg);
}

/* ---------------------------------------------------------------------------------------------
 * Values.
 */
void *scn_instance_base(struct scenario *s, int inst)
{
    if (inst == INST_MACHINE)
        return &s->machine;
    if (inst == INST_COST)
        return &s->cost;
    if (inst == INST_FAULTS)
        return &s->faults;
    if (inst < INST_WORKLOAD(0))
        return &s->devices[inst - INST_DEVICE(0)];
    return &s->workloads[inst - INST_WORKLOAD(0)];
}

static void list_choices(const char *const *choices, char *out, size_t len)
{
    size_t at = 0;

    out[0] = '\0';
    for (int i = 0; choices[i] != NULL && at < len; i++)
        at += (size_t)snprintf(out + at, len - at, "%s%s", i ? ", " : "", choices[i]);
}

static int parse_choice(const char *const *choices, const char *text, uint64_t *out, char *why,
                        size_t len)
{
    char list[160];

    for (int i = 0; choices[i] != NULL; i++) {
        if (strcmp(choices[i], text) == 0) {
            *out = (uint64_t)i;
            return 0;
        }
    }
    list_choices(choices, list, sizeof(list));
    snprintf(why, len, "'%s' is not accepted (accepted: %s)", text, list);
    return -1;
}

static int parse_adapter(const char *text, uint64_t *out, char *why, size_t len)
{
    const char *names[16] = {NULL};
    int n = 0;

    for (; dms_adapter_kinds[n] != NULL && n < 15; n++)
        names[n] = dms_adapter_kinds[n]->name;
    return parse_choice(names, text, out, why, len);
}

static int parse_pattern(const char *text, uint64_t *out, char *why, size_t len)
{
    const char *names[DMS_PATTERN_COUNT + 1] = {NULL};

    for (int i = 0; i < DMS_PATTERN_COUNT; i++)
        names[i] = dms_pattern_name((enum dms_pattern)i);
    return parse_choice(names, text, out, why, len);
}

/* "4K", "4K..64K" or "4K:70,64K:30". */
static int parse_sizes(const char *text, struct scn_sizes *out, char *why, size_t len)
{
    char copy[200], *save = NULL, *item;
    const char *dots = strstr(text, "..");
    struct scn_sizes v = {0};

    if (strlen(text) >= sizeof(copy)) {
        snprintf(why, len, "size list too long");
        return -1;
    }
    if (dots != NULL) {
        snprintf(copy, sizeof(copy), "%.*s", (int)(dots - text), text);
        v.kind = SIZES_UNIFORM;
        v.count = 2;
        if (units_size(copy, &v.bytes[0], why, len) || units_size(dots + 2, &v.bytes[1], why, len))
            return -1;
        if (v.bytes[0] > v.bytes[1]) {
            snprintf(why, len, "'%s': the range's low end is above its high end", text);
            return -1;
        }
        *out = v;
        return 0;
    }
    if (strchr(text, ':') == NULL) {
        v.kind = SIZES_FIXED;
        v.count = 1;
        v.weight[0] = 1;
        v.weight_total = 1;
        if (units_size(text, &v.bytes[0], why, len))
            return -1;
        *out = v;
        return 0;
    }
    v.kind = SIZES_WEIGHTED;
    snprintf(copy, sizeof(copy), "%s", text);
    for (item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(item, ':');
        if (colon == NULL || v.count == SCN_MAX_SIZES) {
            snprintf(why, len, "'%s': a weighted list is SIZE:WEIGHT,... (at most %d entries)",
                     text, SCN_MAX_SIZES);
            return -1;
        }
        *colon = '\0';
        if (units_size(item, &v.bytes[v.count], why, len) ||
            units_count(colon + 1, &v.weight[v.count], why, len))
            return -1;
        if (v.weight[v.count] == 0 || v.weight[v.count] > 1000000) {
            snprintf(why, len, "'%s': weights are 1 .. 1000000", text);
            return -1;
        }
        v.weight_total += v.weight[v.count++];
    }
    *out = v;
    return 0;
}

int scn_parse_number(const struct key_def *k, const char *value, uint64_t *v, char *why,
                     size_t len)
{
    switch (k->type) {
    case KT_SIZE:
        return units_size(value, v, why, len);
    case KT_TIME:
        return units_time(value, v, why, len);
    case KT_BANDWIDTH:
        return units_bandwidth(value, v, why, len);
    case KT_COUNT:
        return units_count(value, v, why, len);
    case KT_PERCENT:
        return units_percent(value, v, why, len);
    case KT_BOOL:
        return units_bool(value, v, why, len);
    case KT_ENUM:
        return parse_choice(k->choices, value, v, why, len);
    case KT_ADAPTER:
        return parse_adapter(value, v, why, len);
    case KT_PATTERN:
        return parse_pattern(value, v, why, len);
    default:
        return -1;
    }
}

bool scn_ranged(const struct key_def *k)
{
    return k->type == KT_SIZE || k->type == KT_TIME || k->type == KT_BANDWIDTH ||
           k->type == KT_COUNT || k->type == KT_PERCENT;
}

/* scn_set_value - parse value for key k into instance inst. Returns 0, or -1 with why[]. */
int scn_set_value(struct scenario *s, int inst, const struct key_def *k, const char *value,
                  char *why, size_t len)
{
    void *field = (char *)scn_instance_base(s, inst) + k->offset;
    uint64_t v;

    if (k->type == KT_NAME) {
        if (value[0] == '\0' || strlen(value) >= SCN_NAME_MAX) {
            snprintf(why, len, "'%s' is not a section name (1 .. %d characters)", value,
                     SCN_NAME_MAX - 1);
            return -1;
        }
        snprintf(field, SCN_NAME_MAX, "%s", value);
        return 0;
    }
    if (k->type == KT_PATH) {
        if (k->auto_ok && strcmp(value, "auto") == 0) {
            *(char *)field = '\0';
            return 0;
        }
        if (value[0] == '\0' || strlen(value) >= SCN_PATH_MAX) {
            snprintf(why, len, "'%s' is not a file name (1 .. %d characters)", value,
                     SCN_PATH_MAX - 1);
            return -1;
        }
        snprintf(field, SCN_PATH_MAX, "%s", value);
        return 0;
    }
    if (k->type == KT_SIZES) {
        struct scn_sizes sz;
        if (parse_sizes(value, &sz, why, len) != 0)
            return -1;
        for (uint32_t i = 0; i < sz.count; i++) {
            if (sz.bytes[i] < k->min || sz.bytes[i] > k->max) {
                snprintf(why, len, "'%s': sizes must be 1 byte .. 16M", value);
                return -1;
            }
        }
        *(struct scn_sizes *)field = sz;
        return 0;
    }
    if (k->auto_ok && strcmp(value, "auto") == 0) {
        *(uint64_t *)field = SCN_AUTO;
        return 0;
    }
    if (scn_parse_number(k, value, &v, why, len) != 0) {
        if (k->auto_ok) {
            size_t n = strlen(why);
            snprintf(why + n, len - n, "; or auto");
        }
        return -1;
    }
    if (scn_ranged(k) && (v < k->min || v > k->max)) {
        char lo[32], hi[32];
        if (k->type == KT_SIZE) {
            units_format_size(k->min, lo, sizeof(lo));
            units_format_size(k->max, hi, sizeof(hi));
        } else if (k->type == KT_TIME) { /* as a time a key of this type would be written */
            snprintf(lo, sizeof(lo), "%" PRIu64 "s", k->min / 1000000000u);
            snprintf(hi, sizeof(hi), "%" PRIu64 "s", k->max / 1000000000u);
            if (k->min % 1000000000u != 0)
                snprintf(lo, sizeof(lo), "%" PRIu64 "ns", k->min);
        } else {
            snprintf(lo, sizeof(lo), "%" PRIu64, k->min);
            snprintf(hi, sizeof(hi), "%" PRIu64, k->max);
        }
        snprintf(why, len, "'%s' is out of range (accepted: %s .. %s%s)", value, lo,
                 k->max == BIG ? "any" : hi, k->auto_ok ? ", or auto" : "");
        return -1;
    }
    *(uint64_t *)field = v;
    return 0;
}

void scn_set_defaults(struct scenario *s, int inst, enum scn_section section)
{
    char why[200];

    for (int i = 0; i < scn_n_keys; i++) {
        if (scn_keys[i].section != section || scn_keys[i].def == NULL)
            continue;
        if (scn_set_value(s, inst, &scn_keys[i], scn_keys[i].def, why, sizeof(why)) != 0)
            abort(); /* the table's own default does not parse: cannot happen */
    }
}

static const char *type_doc(const struct key_def *k)
{
    static const char *const names[] = {"size", "time", "bandwidth", "count", "percent",
                                        "yes/no", "choice", "adapter", "pattern", "sizes",
                                        "name", "file"};
    return names[k->type];
}

void scenario_write_reference(FILE *out)
{
    static const char *const titles[] = {"[machine]", "[cost]", "[faults]", "[device NAME]",
                                         "[workload NAME]"};

    for (int sec = 0; sec < SEC_COUNT; sec++) {
        fprintf(out, "### %s\n\n| key | type | default | meaning |\n|---|---|---|---|\n",
                titles[sec]);
        for (int i = 0; i < scn_n_keys; i++) {
            const struct key_def *k = &scn_keys[i];
            if (k->section != (enum scn_section)sec)
                continue;
            fprintf(out, "| `%s` | %s | %s | %s%s%s%s |\n", k->name, type_doc(k),
                    k->def ? k->def : "(required)", k->doc, k->source ? " Source: " : "",
                    k->source ? k->source : "", k->source ? "." : "");
        }
        fprintf(out, "\n");
    }
}

/* Split "section.key=value" into the section instance and key. Returns the key's index, or
 * -1 with errors placed at (where, line). */
int scn_override_target(const struct scenario *s, const char *text, const char *where,
                        int line, int *inst_out, struct scn_errors *err)
{
    char sect[96], key[48];
    const char *eq = strchr(text, '='), *dot;
    enum scn_section sec;
    int inst = -1, k;

    if (eq == NULL || (dot = memrchr(text, '.', (size_t)(eq - text))) == NULL || dot == text ||
        (size_t)(eq - dot - 1) >= sizeof(key) || (size_t)(dot - text) >= sizeof(sect)) {
        scn_error(err, where, line, "'%s': expected section.key=value, e.g. machine.memory=64G "
                  "or device.disk0.address_bits=32", text);
        return -1;
    }
    snprintf(sect, sizeof(sect), "%.*s", (int)(dot - text), text);
    snprintf(key, sizeof(key), "%.*s", (int)(eq - dot - 1), dot + 1);
    while (strlen(key) > 0 && isspace((unsigned char)key[strlen(key) - 1]))
        key[strlen(key) - 1] = '\0';
    if (strcmp(sect, "machine") == 0 || strcmp(sect, "cost") == 0 ||
        strcmp(sect, "faults") == 0) {
        sec = sect[0] == 'm' ? SEC_MACHINE : sect[0] == 'c' ? SEC_COST : SEC_FAULTS;
        inst = sec == SEC_MACHINE ? INST_MACHINE : sec == SEC_COST ? INST_COST : INST_FAULTS;
    } else if (strncmp(sect, "device.", 7) == 0 || strncmp(sect, "workload.", 9) == 0) {
        const char *name = strchr(sect, '.') + 1;
        sec = sect[0] == 'd' ? SEC_DEVICE : SEC_WORKLOAD;
        for (uint32_t i = 0; sec == SEC_DEVICE && i < s->n_devices; i++)
            if (strcmp(s->devices[i].name, name) == 0)
                inst = INST_DEVICE(i);
        for (uint32_t i = 0; sec == SEC_WORKLOAD && i < s->n_workloads; i++)
            if (strcmp(s->workloads[i].name, name) == 0)
                inst = INST_WORKLOAD(i);
        if (inst < 0) {
            scn_error(err, where, line, "the scenario has no [%s %s]", scn_section_names[sec],
                      name);
            return -1;
        }
    } else {
        scn_error(err, where, line, "unknown section '%s' (accepted: machine, cost, "
                  "device.NAME, workload.NAME)", sect);
        return -1;
    }
    k = scn_key_find(sec, key);
    if (k < 0) {
        scn_error(err, where, line, "unknown key '%s' in [%s]", key, scn_section_names[sec]);
        return -1;
    }
    *inst_out = inst;
    return k;
}
