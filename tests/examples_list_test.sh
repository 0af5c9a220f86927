#!/bin/sh
# examples/CMakeLists.txt builds exactly the example directories there are:
# none listed that does not exist, none left out (examples/python is a
# script, run by the python example test).
set -eu
examples=$1/examples
listed=$(sed -n 's/^set(EHTRACE_EXAMPLES \(.*\))$/\1/p' "$examples/CMakeLists.txt" | tr ' ' '\n' | sort)
present=$(cd "$examples" && for d in */; do d=${d%/}; [ "$d" = python ] || echo "$d"; done | sort)
[ -n "$listed" ] || { echo "no EHTRACE_EXAMPLES list in $examples/CMakeLists.txt"; exit 1; }
for d in $listed; do
    [ -f "$examples/$d/CMakeLists.txt" ] || { echo "listed but missing: examples/$d"; exit 1; }
done
if [ "$listed" != "$present" ]; then
    echo "examples/CMakeLists.txt lists:"; echo "$listed"
    echo "examples/ has:"; echo "$present"
    exit 1
fi
echo "examples list: ok"
