#!/bin/sh
# kmdf_out_of_tree.sh - build a KMDF driver out of the tree from the installed package, as
# docs/kmdf.md says (CMake: find_package(dmasim), dmasim_wpp, dmasim_windows_includes), and
# run it on the PCI 9656 bridge: a 32-bit card on a 64 GiB machine, every request
# double-buffered and its bytes checked.
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
echo "kmdf_out_of_tree: ok"
