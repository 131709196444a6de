#!/bin/sh
# rooms.sh - the KMDF front-end stands on the HAL's public interface alone, as the real
# framework stands on the kernel's (docs/architecture.md): its sources include only their
# own header and the public dmasim/ headers, every HAL symbol its objects use is one a public
# header declares, and no HAL source includes the framework.
#
# usage: rooms.sh SOURCE_DIR KMDF_OBJECTS... -- HAL_OBJECTS...
set -eu

src=$1
shift
status=0
kmdf=""
while [ "$1" != "--" ]; do
    kmdf="$kmdf $1"
    shift
done
shift

for f in "$src"/frameworks/kmdf/src/*.c "$src"/frameworks/kmdf/src/*.h; do
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        case $inc in
        fx.h | dmasim/*) ;;
        *) echo "${f#"$src"/} includes \"$inc\": not the framework's own or a public header" >&2
           status=1 ;;
        esac
    done
done
framework_includes='^[[:space:]]*#[[:space:]]*include.*\(frameworks/\|dmasim/wdf\.h\|"fx\.h"\)'
if grep -l "$framework_includes" "$src"/hal/src/*.c "$src"/hal/src/*/*.[ch] >/dev/null; then
    echo "a HAL source includes the framework:" >&2
    grep -l "$framework_includes" "$src"/hal/src/*.c "$src"/hal/src/*/*.[ch] >&2
    status=1
fi

hal_defined=$(nm --defined-only "$@" 2>/dev/null | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort -u)
public="$src/hal/include/dmasim/hal.h $src/hal/include/dmasim/wdm.h"
for sym in $(nm -u $kmdf | awk '{print $2}' | sort -u); do
    if echo "$hal_defined" | grep -qx "$sym" && ! grep -qw "$sym" $public; then
        echo "the framework uses $sym, which no public HAL header declares" >&2
        status=1
    fi
done
[ $status -eq 0 ] && echo "kmdf rooms: the framework uses the HAL's public interface only"
exit $status
