#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, then builds and runs a tiny
# consumer against it twice: with CMake's find_package and with pkg-config.
# Each run writes under EHTRACE_CAPTURE and must produce one record.
set -euo pipefail
build_dir=$1 source_dir=$2 cxx=$3
work=$(mktemp -d /tmp/ehtrace-install-XXXXXX)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
for f in include/ehtrace/provider.hpp include/ehtrace/wire/eventheader.hpp lib/libehtrace.a \
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

check_capture() {  # binary, label, then the environment to run it in (none: as it is)
    local binary=$1 label=$2 capture="$work/$2.dat"
    shift 2
    env "$@" EHTRACE_CAPTURE="$capture" "$binary"
    [[ -s "$capture" ]] || { echo "$label: nothing captured"; exit 1; }
    grep -q "Ehtrace_Consumer_L5K0" "$capture" || { echo "$label: wrong tracepoint"; exit 1; }
    echo "$label: ok"
}

cmake -S "$source_dir/tests/install/consumer" -B "$work/cmake-build" -G Ninja \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
check_capture "$work/cmake-build/consumer" find_package
# ehtrace::wire: exported, header-only, enough on its own.
grep -q "add_library(ehtrace::wire INTERFACE IMPORTED)" "$work/prefix/lib/cmake/ehtrace/ehtraceTargets.cmake" ||
    { echo "ehtrace::wire is not exported"; exit 1; }
"$work/cmake-build/wire_consumer" || { echo "wire_consumer failed"; exit 1; }
echo "wire: ok"

# pkg-config links what the CMake target links (the static archive), so the
# program runs from a non-system prefix with no LD_LIBRARY_PATH; and it adds
# no -std flag, so a C++23 build stays C++23.
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
for module in ehtrace ehtrace-decode ehtrace-collect; do
    [[ -f "$work/prefix/lib/pkgconfig/$module.pc" ]] || continue
    flags=$(pkg-config --cflags --libs "$module") || { echo "pkg-config $module failed"; exit 1; }
    if grep -q -- "-std=" <<<"$flags"; then echo "pkg-config $module adds a -std flag: $flags"; exit 1; fi
    for archive in $(grep -o -- "[^ ]*\.a" <<<"$flags"); do
        [[ -f $archive ]] || { echo "pkg-config $module names a missing archive: $archive"; exit 1; }
    done
done
# shellcheck disable=SC2046
"$cxx" -std=c++23 -o "$work/pc-consumer" "$source_dir/tests/install/consumer/consumer.cpp" \
    $(pkg-config --cflags --libs ehtrace)
if readelf -d "$work/pc-consumer" | grep -q "libehtrace"; then
    echo "pkg-config consumer depends on the shared library"; exit 1
fi
check_capture "$work/pc-consumer" pkg-config -u LD_LIBRARY_PATH
