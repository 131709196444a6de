#!/bin/sh
# rooms_selftest.sh - the rooms check can fail: with the workload ranked above run.c (as if
# run.c called up into it), and with a header placed above its includer, it must refuse.
# usage: rooms_selftest.sh ROOMS_SH SIM_DIR OBJECT...
set -eu
rooms=$1
shift
t=$(mktemp)
trap 'rm -f "$t"' EXIT
sed 's|run/workload.\*) echo 32|run/workload.*) echo 34|' "$rooms" >"$t"
if sh "$t" "$@" 2>/dev/null; then
    echo "the rooms check passed a call upwards" >&2
    exit 1
fi
sh "$t" "$@" 2>&1 | grep -q "sim/run/run.c uses workload_setup, defined in sim/run/workload.c"
sed 's|base/\*) echo 0|base/*) echo 95|' "$rooms" >"$t"
if sh "$t" "$@" 2>/dev/null; then
    echo "the rooms check passed an include upwards" >&2
    exit 1
fi
echo "rooms selftest: the check refuses a call and an include upwards"
