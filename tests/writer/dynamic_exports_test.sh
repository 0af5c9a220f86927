#!/bin/sh
# libehtrace.so exports the C API and the ehtrace C++ API, and nothing else:
#   dynamic_exports_test.sh <libehtrace.so> <ehtrace.h>
set -eu
library=$1
header=$2
fail=0

soname=$(readelf -d "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libehtrace.so.0" ] || { echo "SONAME is '$soname', expected libehtrace.so.0"; fail=1; }

# Every defined dynamic symbol, demangled, without address, type and version.
exports=$(nm -D --defined-only -C "$library" | sed -e 's/^[0-9a-f]* [A-Za-z] //' -e 's/@.*$//' | sort -u)
unexpected=$(printf '%s\n' "$exports" | grep -v \
    -e '^ehtrace_[a-z0-9_]*$' -e '^ehtrace::' -e '^vtable for ehtrace::' -e '^typeinfo for ehtrace::' \
    -e '^typeinfo name for ehtrace::' -e '^EHTRACE_0$' || true)
if [ -n "$unexpected" ]; then
    echo "unexpected exports (outside the C API and namespace ehtrace):"
    printf '%s\n' "$unexpected"
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

# And the C++ dynamic API that ehtrace/dynamic.hpp's inline code calls.
for symbol in 'ehtrace::dynamic::provider::provider(' 'ehtrace::dynamic::provider::register_new_set(' \
              'ehtrace::dynamic::event_builder::write(' 'ehtrace::dynamic::detail::byte_buffer::grow('; do
    printf '%s\n' "$exports" | grep -qF "$symbol" || { echo "missing C++ export $symbol"; fail=1; }
done

[ "$fail" -eq 0 ] && echo "ok: $count C functions, $(printf '%s\n' "$exports" | wc -l) exports in all"
exit "$fail"
