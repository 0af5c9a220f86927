#!/usr/bin/env bash
# The bash completion offers each tool's options (from its --help) and the
# values of --format and --level. Usage: completion_test.sh SCRIPT TOOL_DIR...
set -u
script=$1
shift
for dir in "$@"; do PATH="$dir:$PATH"; done
# shellcheck disable=SC1090
source "$script"
status=0
complete_words() {  # words... -> COMPREPLY as one line
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _ehtrace_tool
    echo "${COMPREPLY[*]}"
}
expect() {  # expected, words...
    local expected=$1
    shift
    local got
    got=$(complete_words "$@")
    [[ $got == "$expected" ]] || { echo "completing '$*': expected '$expected', got '$got'"; status=1; }
}
expect "--format" ehtrace-decode --for
expect "--provider --pid --progress" ehtrace-decode --p
expect "text timeline" ehtrace-decode --format t
expect "html" ehtrace-decode --format h
expect "otlp-logs otlp-traces" ehtrace-decode --format o
expect "warning" ehtrace-decode --level w
expect "--circular --check" ehtrace-collect --c
expect "--otlp" ehtrace-collect --ot
expect "http://127.0.0.1:4318 http://localhost:4318" ehtrace-collect --otlp h
expect "--tid" ehtrace-collect --ti
expect "-p" ehtrace-collect -p
# -p completes the running processes' ids: this shell is one of them.
pids=$(complete_words ehtrace-collect -p "$$")
[[ " $pids " == *" $$ "* ]] || { echo "completing 'ehtrace-collect -p $$': got '$pids'"; status=1; }
expect "--delete" ehtrace-register --d
expect "--tracefs" ehtrace-doctor --tr
exit $status
