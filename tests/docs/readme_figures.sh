#!/bin/sh
# readme_figures.sh - the README's figures come from the tool: its sample of `make demo` is
# what dmasim prints today, line for line, and each figure its prose quotes is in that output.
# usage: readme_figures.sh DMASIM SOURCE_DIR
set -eu
dmasim=$1
src=$2
out=$(mktemp)
sample=$(mktemp)
trap 'rm -f "$out" "$sample"' EXIT

(cd "$src" && "$dmasim" sweep scenarios/study-64bit-dma.ini -j 1) >"$out"
# the first fenced block after the quick start's "no network, no JavaScript):"
awk '/no network, no JavaScript\):/ {want = 1; next}
     want == 1 && /^```/ {want = 2; next}
     want == 2 && /^```/ {exit}
     want == 2 {print}' "$src/README.md" >"$sample"
[ -s "$sample" ] || { echo "README.md: no sample of make demo found" >&2; exit 1; }
bad=0
while IFS= read -r line; do
    [ "$line" = "..." ] && continue
    if ! grep -qxF -- "$line" "$out"; then
        echo "README.md sample line not printed by dmasim today:" >&2
        echo "  $line" >&2
        bad=1
    fi
done <"$sample"

# figures the prose quotes (README's words | what dmasim prints)
while IFS='|' read -r said printed; do
    if ! tr '\n' ' ' <"$src/README.md" | grep -qF -- "$said"; then
        echo "README.md no longer says '$said': update tests/docs/readme_figures.sh" >&2
        bad=1
    elif ! tr '\n' ' ' <"$out" | grep -qF -- "$printed"; then
        echo "README.md says '$said' but dmasim prints no '$printed'" >&2
        bad=1
    fi
done <<'FIGURES'
the overhead is 2.2 % of CPU per I/O at 8 GiB|+2.2 % at 8 GiB
grows to 2.4 % as the share|+2.4 % at 1 TiB
buffer pages above 4 GiB goes to 100 %|to 100.0 %
bounce copies 0.24-0.82 us|243 ns
bounce copies 0.24-0.82 us|819 ns
map registers 0.57 us per I/O|570 ns
costs +1.0 % with strict invalidation|remap-strict against 64-bit, in CPU per I/O: +1.0 % at 4 GiB
and +0.1 % deferred|remap-deferred against 64-bit, in CPU per I/O: +0.1 % at 4 GiB
FIGURES
exit $bad
