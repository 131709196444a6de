#!/bin/sh
# videoport_out_of_tree.sh - build a video miniport out of the tree from the installed package
# (pkg-config dmasim: <video.h> and the video port are in it) and run it on the display
# adapter: dmasim's own miniport, its DriverEntry a wrapper of the test's, on a 32-bit card on
# 16 GiB, every upload and read-back checked, each request in several rounds.
#   videoport_out_of_tree.sh BUILD_DIR SOURCE_DIR [CC]
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
cp "$src/adapters/display/display_miniport.c" "$src/adapters/display/display_hw.h" "$work/drv/"
cat > "$work/drv/entry.c" <<'C'
#include <video.h>

DRIVER_INITIALIZE DisplayDriverEntry;
DRIVER_INITIALIZE DriverEntry;

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    return DisplayDriverEntry(DriverObject, RegistryPath);
}
C
cd "$work/drv"
# shellcheck disable=SC2046 # pkg-config's words are meant to split
"$cc" -shared -fPIC -Wall -Werror entry.c display_miniport.c $(pkg-config --cflags --libs dmasim) \
    -o miniport.so
cat > card.ini <<'INI'
[machine]
memory = 16G
[device gpu]
hardware = display
driver = ./miniport.so
address_bits = 32
engines = 2
[workload w]
device = gpu
op = mix
size = 256K..1M
queue_depth = 2
count = 40
INI
"$work/prefix/bin/dmasim" run card.ini > out.txt
cat out.txt
grep -q "40 I/Os (.*0 failed)" out.txt
grep -q "integrity       40 verified, 0 mismatches; 0 I/Os with stray device accesses; 0 findings" out.txt
# several rounds a request: more S/G lists than requests
lists=$(sed -n 's/.*per list (\([0-9]*\) lists).*/\1/p' out.txt)
[ "$lists" -gt 160 ] || { echo "videoport_out_of_tree: $lists lists for 40 requests" >&2; exit 1; }
echo "videoport_out_of_tree: ok"
