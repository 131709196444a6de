#!/bin/sh
# out_of_tree.sh - build a driver out of the tree from the installed package, exactly as
# docs/driver-guide.md says, and run it in a scenario with driver = ./FILE.
#   out_of_tree.sh BUILD_DIR SOURCE_DIR [CC]
# Checks: every I/O verified, no mismatch, no finding, the driver's DbgPrint not needed.
set -eu
build=$1
src=$2
cc=${3:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
for page in dmasim dmasim-run dmasim-compare dmasim-sweep dmasim-explain dmasim-keys dmasim-bench; do
    f=$(find "$work/prefix" -name "$page.1")
    [ -n "$f" ] && grep -q "^\.SH" "$f" || { echo "out_of_tree: no man page $page.1" >&2; exit 1; }
done
grep -q 'trace' "$(find "$work/prefix" -name dmasim-run.1)"
PKG_CONFIG_PATH=$(dirname "$(find "$work/prefix" -name dmasim.pc)")
export PKG_CONFIG_PATH
mkdir "$work/drv"
cp "$src/tests/drivers/legacy_datasheet.c" "$work/drv/mydrv.c"
cd "$work/drv"
# shellcheck disable=SC2046 # pkg-config's words are meant to split
"$cc" -shared -fPIC -Wall -Werror mydrv.c $(pkg-config --cflags --libs dmasim) -o mydrv.so
# the WDK's own compiler is MSVC; clang with -fms-extensions (in the .pc) takes its dialect
if command -v clang >/dev/null 2>&1; then
    # shellcheck disable=SC2046
    clang -shared -fPIC -Wall -Werror mydrv.c $(pkg-config --cflags --libs dmasim) -o clang.so
fi

cat > card.ini <<'INI'
; a 24-bit card on a 4 GiB machine: every page bounces; requests of up to 64K split by the
; map registers IoGetDmaAdapter grants
[machine]
memory = 4G
bounce_pool = 1M

[device card]
hardware = legacy
driver = ./mydrv.so
address_bits = 24
max_transfer = 64K

[workload w]
device = card
op = mix
size = 512..64K
queue_depth = 4
count = 300
INI
"$work/prefix/bin/dmasim" run card.ini > out.txt
cat out.txt
grep -q "300 I/Os (.*0 failed)" out.txt
grep -q "integrity       300 verified, 0 mismatches; 0 I/Os with stray device accesses; 0 findings" out.txt
# the same card, and the same driver, declaring 32 bits for a 24-bit card: strays, named
sed -i 's/^max_transfer = 64K/max_transfer = 64K\ndeclared_bits = 32/' card.ini
"$work/prefix/bin/dmasim" run card.ini > bad.txt || true
grep -q "mismatches" bad.txt
if grep -q " 0 I/Os with stray device accesses" bad.txt; then
    echo "out_of_tree: a driver declaring 32 bits for a 24-bit card went unnoticed" >&2
    exit 1
fi
# a file that is no driver: exit 2, naming the file and the line
echo 'int x;' > notdriver.c
"$cc" -shared -fPIC notdriver.c -o notdriver.so
sed -i 's|^driver = ./mydrv.so|driver = ./notdriver.so|' card.ini
if "$work/prefix/bin/dmasim" run card.ini 2> err.txt; then
    echo "out_of_tree: a .so without DriverEntry was accepted" >&2
    exit 1
else
    status=$?
fi
cat err.txt
[ "$status" -eq 2 ]
grep -q "card.ini:9: driver: .*notdriver.so: the driver has no DriverEntry" err.txt
# a legacy driver's IOCTL doing system DMA to a FIFO on request line 0x1000 at 0x70006200
cp "$src/tests/drivers/sysdma_ioctl.c" sysdma.c
# shellcheck disable=SC2046
"$cc" -shared -fPIC -Wall -Werror sysdma.c $(pkg-config --cflags --libs dmasim) -o sysdma.so
cp "$src/docs/examples/systemdma.ini" .
"$work/prefix/bin/dmasim" run systemdma.ini --set "device.sdma.driver=$PWD/sysdma.so" \
    > sdma.txt
cat sdma.txt
grep -q "10 I/Os (0 reads, 0 writes, 10 IOCTLs, 0 failed)" sdma.txt
grep -q " 0 findings" sdma.txt
# an adapter got per IOCTL and put back: what IoGetDmaAdapter granted it is still reported
grep -q "map registers   3 granted by IoGetDmaAdapter, peak in use 3" sdma.txt
"$work/prefix/bin/dmasim" run systemdma.ini --set "device.sdma.driver=$PWD/sysdma.so" \
    --format json > sdma.json
# two pages an IOCTL reached the FIFO
grep -q '"bytes_from_memory": 81920' sdma.json
# a DriverEntry that fails: exit 1, naming the file, the routine and the status
cat > failentry.c <<'C'
#include <wdm.h>
DRIVER_INITIALIZE DriverEntry;
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    return STATUS_INSUFFICIENT_RESOURCES;
}
C
# shellcheck disable=SC2046
"$cc" -shared -fPIC -Wall -Werror failentry.c $(pkg-config --cflags --libs dmasim) -o failentry.so
sed -i 's|^driver = ./notdriver.so|driver = ./failentry.so|' card.ini
if "$work/prefix/bin/dmasim" run card.ini 2> err.txt; then
    echo "out_of_tree: a failing DriverEntry was accepted" >&2
    exit 1
else
    status=$?
fi
cat err.txt
[ "$status" -eq 1 ]
grep -q "failentry.so: DriverEntry failed with status 0xc000009a" err.txt
# a driver that never completes its IRPs: the run ends and says so
cp "$src/tests/drivers/never_completes.c" .
# shellcheck disable=SC2046
"$cc" -shared -fPIC -Wall -Werror never_completes.c $(pkg-config --cflags --libs dmasim) \
    -o never.so
sed -i 's|^driver = ./failentry.so|driver = ./never.so|' card.ini
timeout 60 "$work/prefix/bin/dmasim" run card.ini > never.txt
cat never.txt
grep -q "LOST            4 I/Os never completed: .*never called IoCompleteRequest" never.txt
# the same driver failing IRP_MN_START_DEVICE: exit 1, naming the step and the status
# shellcheck disable=SC2046
"$cc" -shared -fPIC -Wall -Werror -DFAIL_START never_completes.c \
    $(pkg-config --cflags --libs dmasim) -o never.so
if "$work/prefix/bin/dmasim" run card.ini 2> err.txt; then
    echo "out_of_tree: a failed start was accepted" >&2
    exit 1
else
    status=$?
fi
cat err.txt
[ "$status" -eq 1 ]
grep -q "never.so: the start of the device (IRP_MN_START_DEVICE) failed with status 0xc0000182" err.txt
echo "out_of_tree: passed"
