#!/bin/sh
# kmdf_out_of_tree.sh - build a KMDF driver out of the tree from the installed package, as
# docs/kmdf.md says (CMake: find_package(dmasim), dmasim_wpp, dmasim_windows_includes), and
# run it on the PCI 9656 bridge: a 32-bit card on a 64 GiB machine, every request
# double-buffered and its bytes checked. Then the same driver with the two mistakes of
# Microsoft's PLX9x5x sample put in (its descriptor chain in a common buffer of its 64-bit
# enabler, programmed by LowPart; DAC_CHAIN_LOAD never set) on a 64-bit card: the findings name
# both truncations, and [machine] contiguous = low-first with [device] descriptor_high =
# always (a HAL and a card that forgive them) make it round-trip.
#   kmdf_out_of_tree.sh BUILD_DIR SOURCE_DIR [CC]
set -eu
build=$1
src=$2
cc=${3:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
mkdir "$work/drv"
cp "$src/tests/drivers/kmdf/Precomp.h" "$src/tests/drivers/kmdf/Entry.c" \
   "$src/adapters/pci9656/pci9656_kmdf.c" "$src/adapters/pci9656/pci9656_hw.h" "$work/drv/"
cat > "$work/drv/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(plxkmdf C)
find_package(dmasim REQUIRED)
add_library(plxkmdf MODULE Entry.c pci9656_kmdf.c)
set_target_properties(plxkmdf PROPERTIES PREFIX "")
target_link_libraries(plxkmdf PRIVATE dmasim::dmasim_shared)
target_compile_options(plxkmdf PRIVATE -Wall -Werror)
dmasim_wpp(plxkmdf)
dmasim_windows_includes(plxkmdf ${CMAKE_CURRENT_SOURCE_DIR})
CMAKE
CC=$cc cmake -S "$work/drv" -B "$work/drv/b" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/drv/b" >/dev/null
cd "$work/drv"
cat > card.ini <<'INI'
[machine]
memory = 64G
[device plx]
hardware = pci9656
driver = ./b/plxkmdf.so
address_bits = 32
[workload w]
device = plx
op = mix
size = 1..128K
queue_depth = 2
count = 100
INI
"$work/prefix/bin/dmasim" run card.ini > out.txt
cat out.txt
grep -q "100 I/Os (.*0 failed)" out.txt
grep -q "integrity       100 verified, 0 mismatches; 0 I/Os with stray device accesses; 0 findings" out.txt
if grep -q "bounced         0 of" out.txt; then
    echo "kmdf_out_of_tree: a 32-bit card on 64 GiB was not double-buffered" >&2
    exit 1
fi

# the sample's mistakes, in a second build of the same source
sed -e 's/WdfCommonBufferCreate(DevExt->DescriptorEnabler/WdfCommonBufferCreate(DevExt->DmaEnabler/' \
    -e 's/ | PCI9656_DMAMODE_DAC_CHAIN_LOAD;/;/' pci9656_kmdf.c > sample_like.c
cmp -s pci9656_kmdf.c sample_like.c && { echo "kmdf_out_of_tree: the edit did nothing" >&2; exit 1; }
[ "$(grep -c "DescriptorEnabler\|DAC_CHAIN_LOAD" sample_like.c)" -lt "$(grep -c "DescriptorEnabler\|DAC_CHAIN_LOAD" pci9656_kmdf.c)" ]
cat >> CMakeLists.txt <<'CMAKE'
add_library(samplelike MODULE Entry.c sample_like.c)
set_target_properties(samplelike PROPERTIES PREFIX "")
target_link_libraries(samplelike PRIVATE dmasim::dmasim_shared)
dmasim_wpp(samplelike)
dmasim_windows_includes(samplelike ${CMAKE_CURRENT_SOURCE_DIR})
CMAKE
CC=$cc cmake -S "$work/drv" -B "$work/drv/b" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/drv/b" >/dev/null
cat > sample.ini <<'INI'
[machine]
memory = 64G
io_timeout = 50ms
[device plx]
hardware = pci9656
driver = ./b/samplelike.so
address_bits = 64
[workload w]
device = plx
op = mix
size = 1..128K
queue_depth = 2
count = 20
INI
"$work/prefix/bin/dmasim" run sample.ini > out.txt || true
cat out.txt
grep -q "it is the low 32 bits of 0x0000_0010_.* (common buffer #1 of plx): an address cut to 32 bits" out.txt
"$work/prefix/bin/dmasim" run sample.ini --set machine.contiguous=low-first > out.txt || true
grep -q "(buffer #1 of plx): an address cut to 32 bits" out.txt
"$work/prefix/bin/dmasim" run sample.ini --set machine.contiguous=low-first \
    --set device.plx.descriptor_high=always > out.txt
cat out.txt
grep -q "20 I/Os (.*0 failed)" out.txt
grep -q "integrity       20 verified, 0 mismatches; 0 I/Os with stray device accesses; 0 findings" out.txt
grep -q "bounced         0 of" out.txt
echo "kmdf_out_of_tree: ok"
