#!/usr/bin/env bash
# Runs the README's library-only build and install ("## Using the library",
# the lines starting with `cmake`) as written, in a copy of the source tree,
# into a scratch prefix instead of /usr/local; then checks that nothing of
# the test suites was configured and that the libraries and package files
# are installed.
set -euo pipefail
source_dir=$1
work=$(mktemp -d /tmp/ehtrace-libonly-XXXXXX)
trap 'rm -rf "$work"' EXIT

mapfile -t commands < <(awk '/^## Using the library/ {in_section = 1; next}
                             /^## / {in_section = 0}
                             in_section && /^    cmake / {sub(/^    /, ""); print}' "$source_dir/README.md")
[[ ${#commands[@]} -eq 3 ]] || { echo "expected 3 cmake lines in the README section, found ${#commands[@]}"; exit 1; }

mkdir "$work/src"
(cd "$source_dir" && tar --exclude=./build --exclude=./.git -cf - .) | tar -C "$work/src" -xf -
cd "$work/src"
for command in "${commands[@]}"; do
    command=${command//\/usr\/local/$work/prefix}
    echo "+ $command"
    eval "$command" >"$work/step.log" 2>&1 || { cat "$work/step.log"; echo "failed: $command"; exit 1; }
done

if grep -qiE '^(GTest|benchmark)_DIR:' build/CMakeCache.txt; then
    echo "the library-only configure looked for GoogleTest or Benchmark"; exit 1
fi
for f in lib/libehtrace.a lib/libehtrace-decode.a include/ehtrace/provider.hpp \
         lib/cmake/ehtrace/ehtraceConfig.cmake lib/pkgconfig/ehtrace.pc; do
    [[ -e "$work/prefix/$f" ]] || { echo "not installed: $f"; exit 1; }
done
echo "library-only build and install: ok"
