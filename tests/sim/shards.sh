#!/bin/sh
# shards.sh - a sweep across machines, as docs/clusters.md runs it: GNU parallel runs its 4
# shards (each writes its points to one directory), dmasim merge makes the report, and the
# report is the one-machine sweep's, byte for byte, in every format. Then the resume: a point
# lost is run again by its shard alone, and the others are kept.
# usage: shards.sh DMASIM SOURCE_DIR
set -eu
dmasim=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$src"
scn=scenarios/study-64bit-dma.ini
set -- --vary machine.memory=4G,8G,64G,1T --repeat 2

command -v parallel >/dev/null || { echo "GNU parallel is missing (scripts/setup.sh)" >&2; exit 1; }
[ "$("$dmasim" sweep "$scn" "$@" --list-points | wc -l)" -eq 4 ]
parallel --will-cite --joblog "$work/joblog" \
    "$dmasim" sweep "$scn" "$@" --shard {}/4 --out "$work/points" -j 1 ::: 1 2 3 4
[ "$(ls "$work/points" | wc -l)" -eq 4 ]
for f in text json csv html; do
    "$dmasim" sweep "$scn" "$@" --format "$f" -o "$work/one.$f" 2>/dev/null
    "$dmasim" merge "$work/points" --format "$f" -o "$work/merged.$f" 2>/dev/null
    cmp "$work/one.$f" "$work/merged.$f" || { echo "merged $f differs from one machine's" >&2; exit 1; }
done
# resume: lose point 3 (shard 3's only one); the rerun runs it and keeps the rest
rm "$work/points/point-0003.json"
! "$dmasim" merge "$work/points" >/dev/null 2>"$work/err"
grep -q "1 of 4 points are missing: 3" "$work/err"
for i in 1 2 3 4; do
    "$dmasim" sweep "$scn" "$@" --shard $i/4 --out "$work/points" 2>>"$work/rerun"
done
grep -q "shard 3/4: 1 point run, 0 already there" "$work/rerun"
grep -q "shard 1/4: 0 points run, 1 already there" "$work/rerun"
"$dmasim" merge "$work/points" -o "$work/again.text"
cmp "$work/one.text" "$work/again.text"
# a point file that names one run twice (and so lacks another) is refused
mkdir "$work/dup"
cp "$work/points"/point-*.json "$work/dup/"
sed 's/"rep":1/"rep":0/' "$work/points/point-0002.json" >"$work/dup/point-0002.json"
! "$dmasim" merge "$work/dup" >/dev/null 2>"$work/err"
grep -q "point-0002.json: a run of the point is malformed" "$work/err"
# another study's points in the directory are refused, never overwritten
! "$dmasim" sweep "$scn" --shard 1/4 --out "$work/points" 2>"$work/err"
grep -q "is a point of another study" "$work/err"
echo "shards: 4 shards under GNU parallel merge to the one-machine report (text, json, csv, html)"
