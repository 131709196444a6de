#!/bin/sh
# rooms_selftest.sh - rooms.sh catches what it is there to catch: a tiny tree where hw/ calls
# up into dma/ and includes a dma/ header must fail it; the same tree without them must pass.
#
# usage: rooms_selftest.sh ROOMS_SH CC
set -eu

rooms=$1
cc=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/hal/src/hw" "$t/hal/src/dma"
printf 'int dma_top(void) { return 1; }\n' >"$t/hal/src/dma/v3.c"
printf '#include "../dma/dma.h"\nint dma_top(void);\nint hw_low(void) { return dma_top(); }\n' \
    >"$t/hal/src/hw/low.c"
: >"$t/hal/src/dma/dma.h"
for f in dma/v3 hw/low; do
    "$cc" -c -o "$t/hal/src/$f.c.o" "$t/hal/src/$f.c"
done
if sh "$rooms" "$t/hal/src" "$t/hal/src/hw/low.c.o" "$t/hal/src/dma/v3.c.o" 2>"$t/err"; then
    echo "rooms.sh passed a tree where hw/ calls dma/" >&2
    exit 1
fi
grep -q "hal/src/hw/low.c uses dma_top, defined in hal/src/dma/v3.c" "$t/err" ||
    { echo "rooms.sh did not name the upward call:" >&2; cat "$t/err" >&2; exit 1; }
grep -q "hal/src/hw/low.c includes ../dma/dma.h" "$t/err" ||
    { echo "rooms.sh did not name the upward include:" >&2; cat "$t/err" >&2; exit 1; }
# turned around: dma calls hw, and nothing is wrong
printf 'int hw_low(void) { return 1; }\n' >"$t/hal/src/hw/low.c"
printf 'int hw_low(void);\nint dma_top(void) { return hw_low(); }\n' >"$t/hal/src/dma/v3.c"
for f in dma/v3 hw/low; do
    "$cc" -c -o "$t/hal/src/$f.c.o" "$t/hal/src/$f.c"
done
sh "$rooms" "$t/hal/src" "$t/hal/src/hw/low.c.o" "$t/hal/src/dma/v3.c.o" >/dev/null
echo "rooms.sh: fails an upward call and include, passes a downward one"
