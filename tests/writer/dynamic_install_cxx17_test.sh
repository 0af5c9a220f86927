#!/bin/sh
# A C++17 consumer of the dynamic API built against the installed package
# (pkg-config ehtrace-shared: headers and libehtrace.so), then run:
#   dynamic_install_cxx17_test.sh <build dir> <consumer source> <c++ compiler>
set -eu
build_dir=$1 source=$2 cxx=$3
work=$(mktemp -d /tmp/ehtrace-cxx17-XXXXXX)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
for f in include/ehtrace/dynamic.hpp include/ehtrace/ehtrace.h lib/libehtrace.so.4 lib/pkgconfig/ehtrace-shared.pc; do
    [ -e "$work/prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
"$cxx" -std=c++17 -Wall -Wextra -Wpedantic -Werror -o "$work/consumer" "$source" $(pkg-config --cflags --libs ehtrace-shared)
LD_LIBRARY_PATH="$work/prefix/lib" "$work/consumer" "$work/capture.dat"
