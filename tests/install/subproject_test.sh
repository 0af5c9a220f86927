#!/usr/bin/env bash
# ehtrace as a CMake subproject (add_subdirectory): the parent's build type
# stands (none forced into its cache), no install rules are generated unless
# asked, and ehtrace::ehtrace links. Usage: subproject_test.sh SOURCE_DIR
set -euo pipefail
source_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(parent CXX)
add_subdirectory("$source_dir" ehtrace)
add_executable(app app.cpp)
target_link_libraries(app PRIVATE ehtrace::ehtrace)
CMAKE
cat > "$work/app.cpp" <<'CPP'
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(app_provider, "Parent_App");
int main() { return EHTRACE_ENABLED(app_provider, ehtrace::level<4>) ? 1 : 0; }
CPP
cmake -S "$work" -B "$work/build" -G Ninja >/dev/null
grep -q '^CMAKE_BUILD_TYPE:STRING=$' "$work/build/CMakeCache.txt" || { echo "a build type was forced into the parent's cache"; exit 1; }
if grep -q 'file(INSTALL' "$work/build/ehtrace/cmake_install.cmake"; then echo "install rules generated in a subproject"; exit 1; fi
cmake --build "$work/build" --target app >/dev/null
"$work/build/app"
# Asked for, the install rules are there.
cmake -S "$work" -B "$work/build" -DEHTRACE_INSTALL=ON >/dev/null
grep -q 'file(INSTALL' "$work/build/ehtrace/cmake_install.cmake" || { echo "EHTRACE_INSTALL=ON generated no install rules"; exit 1; }
echo "subproject: ok"
