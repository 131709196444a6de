#!/bin/sh
# rooms_selftest.sh - kmdf/rooms fails a framework that reaches into the HAL: one that
# includes a HAL-internal header, and one whose object calls a HAL symbol no public header
# declares (acting_account, the kernel's own).
#
# usage: rooms_selftest.sh SOURCE_DIR CC HAL_OBJECTS...
set -eu

src=$1
cc=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/frameworks/kmdf/src" "$tmp/hal/src/base" "$tmp/hal/include/dmasim"
cp "$src"/hal/include/dmasim/*.h "$tmp/hal/include/dmasim/"
: >"$tmp/hal/src/base/base.h"

# 1. an upward include
printf '#include "../../../hal/src/kernel/kernel.h"\n' >"$tmp/frameworks/kmdf/src/bad.c"
printf 'int ok(void) { return 0; }\n' >"$tmp/ok.c"
"$cc" -c "$tmp/ok.c" -o "$tmp/ok.o"
if sh "$src/tests/kmdf/rooms.sh" "$tmp" "$tmp/ok.o" -- "$@" >/dev/null 2>&1; then
    echo "FAIL: an include of a HAL-internal header passed" >&2
    exit 1
fi
rm "$tmp/frameworks/kmdf/src/bad.c"

# 2. a call of a HAL-internal symbol
printf 'void *acting_account(void *m);\nvoid *f(void) { return acting_account(0); }\n' \
    >"$tmp/bad.c"
"$cc" -c "$tmp/bad.c" -o "$tmp/bad.o"
if sh "$src/tests/kmdf/rooms.sh" "$tmp" "$tmp/bad.o" -- "$@" >/dev/null 2>&1; then
    echo "FAIL: a call of a HAL-internal symbol passed" >&2
    exit 1
fi
# and the clean tree passes
sh "$src/tests/kmdf/rooms.sh" "$tmp" "$tmp/ok.o" -- "$@" >/dev/null
echo "kmdf rooms-selftest: both breaches found, the clean tree passes"
