#!/bin/bash
# completion.sh - the bash completion completes what dmasim accepts: its commands, each
# command's options (from its --help), --set keys with the scenario's own section names,
# formats; and the zsh completion at least parses (when zsh is installed).
# usage: completion.sh DMASIM SOURCE_DIR
set -eu
dmasim=$1
src=$2
# shellcheck source=/dev/null
source "$src/scripts/completion/dmasim.bash"
complete_line() { # the words of a line being typed; prints the completions
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _dmasim || true # (errexit stays out of the completion, as in an interactive shell)
    printf '%s\n' "${COMPREPLY[@]}"
}
has() { grep -qxF -- "$1" || { echo "completion lacks '$1' for: $2" >&2; exit 1; }; }
cd "$src"
complete_line "$dmasim" sw | has sweep "dmasim sw"
complete_line "$dmasim" me | has merge "dmasim me"
complete_line "$dmasim" sweep scenarios/study-64bit-dma.ini --sh | has --shard "sweep --sh"
complete_line "$dmasim" compare scenarios/study-64bit-dma.ini --rep | has --repeat "compare --rep"
complete_line "$dmasim" run scenarios/db-64-vs-32.ini --set machine.mem | has machine.memory= "--set machine.mem"
complete_line "$dmasim" run scenarios/db-64-vs-32.ini --set device.disk | has device.disk64.address_bits= "--set device.disk"
complete_line "$dmasim" sweep scenarios/study-64bit-dma.ini --format h | has html "--format h"
complete_line "$dmasim" run scenarios/db-64-vs | has scenarios/db-64-vs-32.ini "run scenarios/db-64-vs"
if command -v zsh >/dev/null; then
    zsh -n "$src/scripts/completion/_dmasim"
fi
echo "completion: commands, options, keys and formats complete"
