#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, then builds and runs a tiny
# consumer against it twice: with CMake's find_package and with pkg-config.
# Each run writes under EHTRACE_CAPTURE and must produce one record.
set -euo pipefail
build_dir=$1 source_dir=$2 cxx=$3
work=$(mktemp -d /tmp/ehtrace-install-XXXXXX)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
for f in include/ehtrace/provider.hpp include/ehtrace/format.hpp lib/libehtrace.a \
         lib/cmake/ehtrace/ehtraceConfig.cmake lib/pkgconfig/ehtrace.pc; do
    [[ -e "$work/prefix/$f" ]] || { echo "not installed: $f"; exit 1; }
done
if [[ -d "$source_dir/tools/ehtrace-decode" ]]; then
    [[ -x "$work/prefix/bin/ehtrace-decode" ]] || { echo "not installed: bin/ehtrace-decode"; exit 1; }
    for tool in ehtrace-decode ehtrace-collect ehtrace-register ehtrace-doctor; do
        [[ -f "$work/prefix/share/man/man1/$tool.1" ]] || { echo "not installed: share/man/man1/$tool.1"; exit 1; }
    done
    # `man ehtrace-decode` finds it where the prefix's man pages go.
    if command -v man >/dev/null; then
        page=$(MANWIDTH=80 man -M "$work/prefix/share/man" ehtrace-decode 2>/dev/null || true)
        grep -qE "ehtrace-decode +- +decode" <<<"$page" ||
            { echo "man -M <prefix>/share/man ehtrace-decode does not show the page"; exit 1; }
    fi
fi

check_capture() {  # binary, label
    local capture="$work/$2.dat"
    LD_LIBRARY_PATH="$work/prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" EHTRACE_CAPTURE="$capture" "$1"
    [[ -s "$capture" ]] || { echo "$2: nothing captured"; exit 1; }
    grep -q "Ehtrace_Consumer_L5K0" "$capture" || { echo "$2: wrong tracepoint"; exit 1; }
    echo "$2: ok"
}

cmake -S "$source_dir/tests/install/consumer" -B "$work/cmake-build" -G Ninja \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
check_capture "$work/cmake-build/consumer" find_package

export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
"$cxx" -o "$work/pc-consumer" "$source_dir/tests/install/consumer/consumer.cpp" \
    $(pkg-config --cflags --libs --static ehtrace)
check_capture "$work/pc-consumer" pkg-config
