#!/bin/sh
# rooms.sh - the HAL's rooms call and include only downwards (docs/architecture.md):
#
#   base  <-  hw  <-  kernel  <-  dma  <-  machine.c
#
# A file may include a header of its own room or of one below, and an object may use only
# symbols defined in its own room or below. Inside dma/ the files are in order too (dma/dma.h
# lists them): each uses only its own level and those below. A file the lists here do not
# name fails the check, so a new one gets its place on purpose. Run by CTest with the HAL's
# source directory and its object files (the build's own: what the compiler inlined is what
# is checked).
#
# usage: rooms.sh HAL_SRC_DIR OBJECT...
set -eu

src=$1
shift
status=0

# The rank of a path inside hal/src: base 0, hw 10, kernel 20, dma 30-39 file by file, the
# top (machine.c) 40; 99 for a file with no place yet.
rank() {
    case $1 in
    base/*) echo 0 ;;
    hw/*) echo 10 ;;
    kernel/*) echo 20 ;;
    dma/dma.h) echo 30 ;;
    dma/subordinate.*) echo 30 ;;
    dma/adapter.*) echo 31 ;;
    dma/mapreg.*) echo 32 ;;
    dma/transfer.*) echo 33 ;;
    dma/sglist.* | dma/common.*) echo 34 ;;
    dma/v3.* | dma/domain.*) echo 35 ;;
    dma/tables.*) echo 36 ;;
    dma/calltrace.*) echo 37 ;;
    dma/iogetdma.*) echo 38 ;;
    dma/dump.*) echo 39 ;;
    machine.*) echo 40 ;;
    *) echo 99 ;;
    esac
}

# Headers.
for f in "$src"/*.c "$src"/*/*.c "$src"/*/*.h; do
    [ -e "$f" ] || continue
    rel=${f#"$src"/}
    dir=$(dirname "$rel")
    r=$(rank "$rel")
    if [ "$r" -eq 99 ]; then
        echo "hal/src/$rel has no place in the rooms (tests/hal/rooms.sh: rank)" >&2
        status=1
    fi
    incs=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
    for inc in $incs; do
        case $inc in
        dmasim/*) continue ;; # the public headers, below every room
        esac
        target=$(cd "$src/$dir" && realpath -m --relative-to="$src" "$inc")
        t=$(rank "$target")
        if [ "$t" -gt "$r" ]; then
            echo "hal/src/$rel includes $inc: a header of a room above its own" >&2
            status=1
        fi
    done
done

# Symbols: where each is defined, then every object's undefined references.
defs=$(mktemp)
trap 'rm -f "$defs"' EXIT
for o in "$@"; do
    rel=${o##*/hal/src/}
    nm -P --defined-only "$o" | awk -v r="$(rank "$rel")" -v f="${rel%.o}" \
        '$2 ~ /^[TDBRCVW]$/ { print $1, r, f }'
done >"$defs"
for o in "$@"; do
    rel=${o##*/hal/src/}
    nm -P --undefined-only "$o" | awk -v r="$(rank "$rel")" -v f="${rel%.o}" -v defs="$defs" '
        BEGIN { while ((getline line < defs) > 0) { split(line, a, " "); rk[a[1]] = a[2];
                                                     file[a[1]] = a[3] } }
        ($1 in rk) && rk[$1] > r {
            printf "hal/src/%s uses %s, defined in hal/src/%s: a room above its own\n",
                   f, $1, file[$1] > "/dev/stderr"
            bad = 1
        }
        END { exit bad }' || status=1
done

if [ "$status" -eq 0 ]; then
    echo "hal rooms: $# objects, every include and every call one way (base <- hw <- kernel <- dma)"
fi
exit "$status"
