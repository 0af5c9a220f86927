#!/bin/sh
# libehtrace.so exports the C API and the versioned C++ dynamic API, nothing else:
#   dynamic_exports_test.sh <libehtrace.so> <ehtrace.h> <libehtrace.exports>
set -eu
library=$1
header=$2
expected=$3
fail=0

soname=$(readelf -d "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libehtrace.so.4" ] || { echo "SONAME is '$soname', expected libehtrace.so.4"; fail=1; }

# Every defined dynamic symbol, demangled, without address, type and version,
# is exactly the list in libehtrace.exports: the shared library's contract
# (docs/abi.md). A change to it is deliberate: update the list, and bump the
# SOVERSION with ehtrace::dynamic's abi_v namespace when it breaks the ABI.
# Weak definitions (inline functions and templates a build did not inline,
# as in a debug build) are left out: a program has its own copy of those.
exports=$(nm -D --defined-only -C "$library" | grep -v '^[0-9a-f]* [WVu] ' \
          | sed -e 's/^[0-9a-f]* [A-Za-z] //' -e 's/@.*$//' | grep -v '^EHTRACE_[0-9.]*$' | LC_ALL=C sort -u)
if ! printf '%s\n' "$exports" | diff -u "$expected" - >&2; then
    echo "libehtrace.so's exports differ from $expected (lines with + are new, - are gone)"
    fail=1
fi

# Every function the C header declares is exported, with the EHTRACE_0 version.
declared=$(grep -o '\behtrace_[a-z0-9_]*(' "$header" | tr -d '(' | sort -u)
versioned=$(nm -D --defined-only "$library" | sed -n 's/^[0-9a-f]* T \(ehtrace_[a-z0-9_]*\)@@EHTRACE_0$/\1/p' | sort -u)
count=0
for function in $declared; do
    count=$((count + 1))
    if ! printf '%s\n' "$versioned" | grep -qx "$function"; then
        echo "declared in ehtrace.h but not exported as $function@@EHTRACE_0"
        fail=1
    fi
done
[ "$count" -ge 40 ] || { echo "found only $count functions in $header"; fail=1; }

# Every C++ symbol has EHTRACE_0 too. One added after 4.0.0 will carry the
# version of the release that adds it (libehtrace.map, docs/abi.md), so that
# a program built with a newer header is refused by an older library when it
# loads: name it here then.
versions=$(nm -D --defined-only -C "$library" | grep -v '^[0-9a-f]* [WVuA] ' | sed -e 's/^[0-9a-f]* [A-Za-z] //')
others=$(printf '%s\n' "$versions" | grep -v '@@EHTRACE_0$' || true)
[ -z "$others" ] || { echo "exported without EHTRACE_0 or a later version named here:"; echo "$others"; fail=1; }

[ "$fail" -eq 0 ] && echo "ok: $count C functions, $(printf '%s\n' "$exports" | wc -l) exports in all"
exit "$fail"
