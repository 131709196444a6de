#!/bin/sh
# Regenerate the key tables at the end of docs/scenarios.md from `dmasim keys`.
set -e
cd "$(dirname "$0")/.."
doc=docs/scenarios.md
head -n "$(($(grep -n '^### \[machine\]' "$doc" | cut -d: -f1) - 1))" "$doc" > "$doc.tmp"
./build/dmasim keys >> "$doc.tmp"
mv "$doc.tmp" "$doc"
