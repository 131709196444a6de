# bash completion for dmasim. Installed as share/bash-completion/completions/dmasim; or
# source it. The commands and each command's options come from dmasim's own --help, the
# keys of --set and --vary from `dmasim keys` (device and workload keys with the names the
# scenario file on the line gives its sections), so the completion never disagrees with the
# tool.

_dmasim_options() { # the long options of `dmasim $1 --help`
    "${_dmasim_bin:-dmasim}" "$1" --help 2>/dev/null |
        grep -oE '^  (-[a-zA-Z], )?--[a-z][a-z-]*' | grep -oE -- '--[a-z][a-z-]*'
}

_dmasim_sections() { # "device disk0" ... from the scenario file $1
    [ -r "$1" ] || return
    sed -n 's/^[[:space:]]*\[\(device\|workload\)[[:space:]]\{1,\}\([^]]*\)\].*/\1 \2/p' "$1"
}

_dmasim_keys() { # section.key for --set and --vary; scenario file $1
    local table
    table=$("${_dmasim_bin:-dmasim}" keys 2>/dev/null) || return
    local sections
    sections=$(_dmasim_sections "$1")
    printf '%s\n' "$table" | awk -v named="$sections" '
        BEGIN { n = split(named, w, "\n"); for (i = 1; i <= n; i++) { split(w[i], p, " "); names[p[1]] = names[p[1]] " " p[2] } }
        /^### \[/ { s = $2; gsub(/[\[\]]/, "", s); next }
        /^\| `/ { k = $2; gsub(/`/, "", k)
                  if (s == "device" || s == "workload") {
                      m = split(names[s], each, " ")
                      for (j = 1; j <= m; j++) print s "." each[j] "." k
                  } else print s "." k }'
}

_dmasim() {
    local cur prev cmd file i
    _dmasim_bin=${COMP_WORDS[0]}
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "run compare sweep merge explain dma bench keys --help --version" -- "$cur"))
        return
    fi
    cmd=${COMP_WORDS[1]}
    for ((i = 2; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        *.ini) file=${COMP_WORDS[i]}; break ;;
        esac
    done
    case $prev in
    --set | --vary)
        compopt -o nospace 2>/dev/null || true
        COMPREPLY=($(compgen -S = -W "$(_dmasim_keys "$file")" -- "$cur"))
        return ;;
    --format | -f)
        if [ "$cmd" = run ]; then
            COMPREPLY=($(compgen -W "text json csv" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "text json csv html" -- "$cur"))
        fi
        return ;;
    -o | --output | --trace | --study)
        COMPREPLY=($(compgen -f -- "$cur"))
        return ;;
    --out)
        COMPREPLY=($(compgen -d -- "$cur"))
        return ;;
    --device)
        COMPREPLY=($(compgen -W "$(_dmasim_sections "$file" | sed -n 's/^device //p')" -- "$cur"))
        return ;;
    --seed | --repeat | --seeds | --shard | -j | --jobs | --transfers | --trace-limit | --variant | --at | --at-finding | --flags)
        return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_dmasim_options "$cmd")" -- "$cur"))
    elif [ "$cmd" = merge ]; then
        COMPREPLY=($(compgen -d -- "$cur"))
    else
        COMPREPLY=($(compgen -f -X '!*.ini' -- "$cur") $(compgen -d -- "$cur"))
    fi
}
complete -F _dmasim dmasim
