#!/bin/sh
# The compile-time API's tests built by a second compiler, optimized and
# uninstrumented, against the library the first one built, then run:
#   other_compiler_test.sh <c++ compiler> <include dir> <libehtrace.a> <work dir> <test source>...
# The write path has code of its own for clang (fields.hpp, string_length.hpp)
# that the sanitizer builds, clang's too, do not reach: they measure strings
# with strlen().
set -eu
cxx=$1 include_dir=$2 library=$3 work=$4
shift 4
mkdir -p "$work"
"$cxx" -std=c++20 -O2 -DNDEBUG -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Werror \
    -I"$include_dir" -o "$work/event_test_other_compiler" "$@" "$library" -lgmock -lgtest_main -lgtest -pthread
"$work/event_test_other_compiler" --gtest_brief=1
