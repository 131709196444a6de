#!/bin/sh
# lessons.sh - the lessons' figures come from the tool: every ```console block of
# docs/lessons/*.md holds commands ("$ dmasim ...") and, under each, lines it prints; each line
# must be a whole line of what that command prints today (a "..." line stands for any). The
# page index (docs/lessons/README.md) must name every lesson.
# usage: lessons.sh DMASIM SOURCE_DIR
#
# Hand-written with awk and sh rather than a Markdown library: the only syntax read is a
# fenced block's opening ```console, its closing ```, and a "$ " prefix.
set -eu
dmasim=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bad=0
lessons=0

for page in "$src"/docs/lessons/[0-9]*.md; do
    name=$(basename "$page")
    lessons=$((lessons + 1))
    if ! grep -qF "($name)" "$src/docs/lessons/README.md"; then
        echo "docs/lessons/README.md does not link $name" >&2
        bad=1
    fi
    # one record per line: C<TAB>command or E<TAB>expected line
    awk '/^```console[[:space:]]*$/ {inside = 1; next}
         inside && /^```/ {inside = 0; next}
         inside && /^\$ / {print "C\t" substr($0, 3); next}
         inside {print "E\t" $0}' "$page" >"$work/records"
    if ! grep -q '^C' "$work/records"; then
        echo "$name: no console block with a command" >&2
        bad=1
        continue
    fi
    out=""
    cmd=""
    while IFS="$(printf '\t')" read -r kind text; do
        if [ "$kind" = C ]; then
            cmd=$text
            case $text in
            dmasim\ *) ;;
            *) echo "$name: a command that is not dmasim's: $text" >&2; bad=1; out=""; continue ;;
            esac
            key=$(printf '%s' "$text" | cksum | cut -d' ' -f1)
            out="$work/out.$key"
            if [ ! -f "$out" ]; then
                status=0
                (cd "$src" && eval "\"\$dmasim\" ${text#dmasim }") >"$out" 2>&1 || status=$?
                if [ "$status" -ge 2 ]; then
                    echo "$name: '$text' failed with status $status:" >&2
                    sed 's/^/  /' "$out" >&2
                    bad=1
                fi
            fi
        elif [ -n "$out" ] && [ "$text" != "..." ] && ! grep -qxF -- "$text" "$out"; then
            echo "$name: '$cmd' no longer prints:" >&2
            echo "  $text" >&2
            bad=1
        fi
    done <"$work/records"
done
[ "$lessons" -gt 0 ] || { echo "no lessons in docs/lessons" >&2; exit 1; }
exit $bad
