# bash completion for ehtrace-decode, ehtrace-collect, ehtrace-register and
# ehtrace-doctor. The options come from each tool's --help, so they never
# fall behind; values of a few options are completed as well.
_ehtrace_tool() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion || return
    else
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    fi
    local tool=${COMP_WORDS[0]##*/}
    case $prev in
        --format) COMPREPLY=($(compgen -W "json jsonl text timeline html otlp-logs otlp-traces" -- "$cur")); return ;;
        --level) COMPREPLY=($(compgen -W "critical error warning info verbose 1 2 3 4 5" -- "$cur")); return ;;
        --meta) COMPREPLY=($(compgen -W "standard all none +comm +provider,event +common" -- "$cur")); return ;;
        -o|-i|-f) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --tracefs) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --otlp)
            # The OTLP/HTTP port collectors listen on by default.
            COMPREPLY=($(compgen -W "http://127.0.0.1:4318 http://localhost:4318" -- "$cur"))
            # bash splits words at ':', so drop what is already typed before one.
            declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
            return ;;
        -p)
            # ehtrace-collect -p: the running processes.
            [[ $tool == ehtrace-collect ]] && COMPREPLY=($(compgen -W "$(ps -e -o pid= 2>/dev/null)" -- "$cur"))
            return ;;
        --provider|--event|--pid|--tid|--cpu|--comm|--time|--keyword|--duration|--buffer|--circular) return ;;
    esac
    if [[ $cur == -* ]]; then
        local options
        options=$("${COMP_WORDS[0]}" --help 2>/dev/null | grep -oE '^ +(-[a-zA-Z],? )?--?[a-z][a-z-]*' |
                  grep -oE -- '--?[a-z][a-z-]*')
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
        return
    fi
    if [[ $tool == ehtrace-decode ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    elif [[ $tool == ehtrace-collect && -d /sys/kernel/tracing/events && $cur == *:* ]]; then
        local system=${cur%%:*}
        COMPREPLY=($(compgen -W "$(ls /sys/kernel/tracing/events/"$system" 2>/dev/null | sed "s/^/$system:/")" -- "$cur"))
    fi
}
complete -F _ehtrace_tool ehtrace-decode ehtrace-collect ehtrace-register ehtrace-doctor
