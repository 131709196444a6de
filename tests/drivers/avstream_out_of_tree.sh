#!/bin/sh
# avstream_out_of_tree.sh - build an AVStream minidriver out of the tree from the installed
# package (pkg-config dmasim: <ks.h> and AVStream are in it) and run it on the capture card:
# dmasim's own minidriver, its DriverEntry a wrapper of the test's, on a 32-bit card on 64 GiB,
# every frame checked, its locks counted.
#   avstream_out_of_tree.sh BUILD_DIR SOURCE_DIR [CC]
set -eu
build=$1
src=$2
cc=${3:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
PKG_CONFIG_PATH=$(dirname "$(find "$work/prefix" -name dmasim.pc)")
export PKG_CONFIG_PATH
mkdir "$work/drv"
cp "$src/adapters/capture/capture_minidriver.c" "$src/adapters/capture/capture_hw.h" "$work/drv/"
cat > "$work/drv/entry.c" <<'C'
#include <ks.h>

DRIVER_INITIALIZE CaptureDriverEntry;
DRIVER_INITIALIZE DriverEntry;

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    return CaptureDriverEntry(DriverObject, RegistryPath);
}
C
cd "$work/drv"
# shellcheck disable=SC2046 # pkg-config's words are meant to split
"$cc" -shared -fPIC -Wall -Werror entry.c capture_minidriver.c \
    $(pkg-config --cflags --libs dmasim) -o minidriver.so
cat > card.ini <<'INI'
[machine]
memory = 64G
[device cam]
hardware = capture
driver = ./minidriver.so
address_bits = 32
max_transfer = 1M
locks = 2
[workload w]
device = cam
size = 1M
queue_depth = 4
count = 30
INI
"$work/prefix/bin/dmasim" run card.ini > out.txt
cat out.txt
grep -q "30 I/Os (30 reads, 0 writes, 0 failed)" out.txt
grep -q "integrity       30 verified, 0 mismatches; 0 I/Os with stray device accesses; 0 findings" out.txt
grep -q "frames          30 captured, 0 dropped" out.txt
grep -q "frame locks     30 tried, 0 failed; .* adapter registered by RegisterAdapterObjectEx" out.txt
echo "avstream_out_of_tree: ok"
