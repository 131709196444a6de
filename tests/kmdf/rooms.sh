#!/bin/sh
# rooms.sh - a front-end (KMDF; the video port or AVStream with ROOMS_FRAMEWORK=videoport|ks)
# stands on the HAL's public interface alone, as the real framework stands on the kernel's
# (docs/architecture.md): its sources include only their own header and the public dmasim/
# headers, every HAL symbol its objects use is one a public header declares, and no HAL source
# includes the framework.
#
# usage: [ROOMS_FRAMEWORK=kmdf|videoport|ks] rooms.sh SOURCE_DIR FRAMEWORK_OBJECTS... -- HAL_OBJECTS...
set -eu

framework=${ROOMS_FRAMEWORK:-kmdf}
case $framework in
kmdf) own=fx.h; header='dmasim/wdf\.h' ;;
videoport) own=none.h; header='dmasim/video\.h' ;;
ks) own=none.h; header='dmasim/ks\.h' ;;
*) echo "rooms.sh: no front-end $framework" >&2; exit 2 ;;
esac
src=$1
shift
status=0
kmdf=""
while [ "$1" != "--" ]; do
    kmdf="$kmdf $1"
    shift
done
shift

for f in "$src"/frameworks/"$framework"/src/*.[ch]; do
    [ -f "$f" ] || continue
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        case $inc in
        "$own" | dmasim/*) ;;
        *) echo "${f#"$src"/} includes \"$inc\": not the framework's own or a public header" >&2
           status=1 ;;
        esac
    done
done
framework_includes="^[[:space:]]*#[[:space:]]*include.*\\(frameworks/\\|$header\\|\"$own\"\\)"
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
[ $status -eq 0 ] && echo "$framework rooms: the framework uses the HAL's public interface only"
exit $status
