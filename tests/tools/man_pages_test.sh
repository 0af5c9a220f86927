#!/usr/bin/env bash
# Every tool's man page renders without a warning from man/groff, names
# every option its --help lists, and has the sections a man page needs.
# Usage: man_pages_test.sh MAN_DIR TOOL_EXE...
set -uo pipefail
man_dir=$1
shift
status=0
command -v man >/dev/null || { echo "man is not installed (man-db)"; exit 77; }
for exe in "$@"; do
    tool=$(basename "$exe")
    page="$man_dir/$tool.1"
    [[ -f "$page" ]] || { echo "$tool: no man page $page"; status=1; continue; }
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    [[ -z "$warnings" ]] || { echo "$tool: man warns: $warnings"; status=1; }
    text=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$page" 2>/dev/null)
    for section in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" "SEE ALSO"; do
        grep -q "^$section" <<<"$text" || { echo "$tool: no $section section"; status=1; }
    done
    grep -q "^ *$tool - " <<<"$text" || { echo "$tool: NAME does not start with '$tool - '"; status=1; }
    # Options in --help: the words starting with - at the start of a help line.
    for option in $("$exe" --help | grep -oE '^ +(-[a-zA-Z],? )?--?[a-z][a-z-]*' | grep -oE -- '--?[a-z][a-z-]*'); do
        grep -qE -- "(^|[ ,])$option([ ,]|$)" <<<"$text" || { echo "$tool: $option is not in the man page"; status=1; }
    done
done
exit $status
