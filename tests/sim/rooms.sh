#!/bin/sh
# rooms.sh - sim/'s rooms include and call only downwards (docs/architecture.md):
#
#   base <- engine <- scenario <- run <- study <- output <- cli
#
# Inside a room the files are in order too (rank below): a file may include a header of its
# own rank or below, and an object may use only symbols defined in its own file or in a file
# of a lower rank, so no two files use each other. A file the list does not name fails the
# check, so a new one gets its place on purpose. Run by CTest with sim/ and the objects of
# the command (the build's own).
#
# usage: rooms.sh SIM_DIR OBJECT...
set -eu

src=$1
shift
status=0

rank() {
    case $1 in
    base/*) echo 0 ;;
    engine/engine.h | engine/engine_int.h | engine/engine.c) echo 10 ;;
    engine/engine_platform.*) echo 11 ;;
    scenario/scenario.h | scenario/scenario_int.h | scenario/scenario_keys.*) echo 20 ;;
    scenario/scenario_axis.*) echo 21 ;;
    scenario/scenario_check.*) echo 22 ;;
    scenario/scenario.c) echo 23 ;;
    run/run.h | run/run_int.h | run/run_tag.*) echo 30 ;;
    run/wdm.*) echo 31 ;;
    run/workload.*) echo 32 ;;
    run/run.c) echo 33 ;;
    study/study.*) echo 40 ;;
    study/study_metric.*) echo 41 ;;
    study/shard.*) echo 42 ;;
    output/json.*) echo 50 ;;
    output/report.* | output/trace.* | output/explain.* | output/dmadump.*) echo 51 ;;
    output/study_svg.*) echo 52 ;;
    output/study_report.h | output/study_report_int.h | output/study_words.*) echo 53 ;;
    output/study_html.*) echo 54 ;;
    output/study_report.c) echo 55 ;;
    cli/cli.* | cli/bench.*) echo 60 ;;
    cli/cli_*) echo 61 ;;
    cli/main.*) echo 62 ;;
    *) echo 99 ;;
    esac
}

# Every header's room, by its name (the build puts every room on the include path).
where() {
    for d in base engine scenario run study output cli; do
        [ -e "$src/$d/$1" ] && { echo "$d/$1"; return; }
    done
    echo ""
}

for f in "$src"/*/*.c "$src"/*/*.h; do
    rel=${f#"$src"/}
    r=$(rank "$rel")
    if [ "$r" -eq 99 ]; then
        echo "sim/$rel has no place in the rooms (tests/sim/rooms.sh: rank)" >&2
        status=1
        continue
    fi
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        target=$(where "$inc")
        [ -n "$target" ] || continue # not sim's (the HAL's, the adapters')
        if [ "$(rank "$target")" -gt "$r" ]; then
            echo "sim/$rel includes $inc (sim/$target): a header above its own place" >&2
            status=1
        fi
    done
done
[ -e "$src"/*.c ] 2>/dev/null && { echo "sim/ has files outside its rooms" >&2; status=1; }

defs=$(mktemp)
trap 'rm -f "$defs"' EXIT
for o in "$@"; do
    rel=${o##*/sim/}
    nm -P --defined-only "$o" | awk -v r="$(rank "${rel%.o}")" -v f="${rel%.o}" \
        '$2 ~ /^[TDBRCVW]$/ { print $1, r, f }'
done >"$defs"
for o in "$@"; do
    rel=${o##*/sim/}
    nm -P --undefined-only "$o" | awk -v r="$(rank "${rel%.o}")" -v f="${rel%.o}" -v defs="$defs" '
        BEGIN { while ((getline line < defs) > 0) { split(line, a, " "); rk[a[1]] = a[2];
                                                     file[a[1]] = a[3] } }
        ($1 in rk) && file[$1] != f && rk[$1] >= r {
            printf "sim/%s uses %s, defined in sim/%s: not below it\n", f, $1,
                   file[$1] > "/dev/stderr"
            bad = 1
        }
        END { exit bad }' || status=1
done

if [ "$status" -eq 0 ]; then
    echo "sim rooms: $# objects, every include and every call one way" \
         "(base <- engine <- scenario <- run <- study <- output <- cli)"
fi
exit "$status"
