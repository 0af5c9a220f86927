#!/bin/sh
# Runs examples/c under EHTRACE_CAPTURE and checks the decoded events:
#   c_example_test.sh <hello_c> <ehtrace-decode> <work dir>
set -eu
capture=$3/c_example.dat
rm -f "$capture"
EHTRACE_CAPTURE=$capture "$1" C >"$3/c_example.out" 2>&1
if [ -s "$3/c_example.out" ]; then echo "hello_c printed something:"; cat "$3/c_example.out"; exit 1; fi
"$2" --jsonl "$capture" >"$3/c_example.jsonl"
cat >"$3/c_example.expected" <<'END'
{"n":"Ehtrace_HelloC:Hello","who":"C","count":0,"request":{"status":200,"seconds":0},"meta":{"level":4,"keyword":"0x1"}}
{"n":"Ehtrace_HelloC:Hello","who":"C","count":1,"request":{"status":201,"seconds":0.5},"meta":{"level":4,"keyword":"0x1"}}
{"n":"Ehtrace_HelloC:Hello","who":"C","count":2,"request":{"status":202,"seconds":1},"meta":{"level":4,"keyword":"0x1"}}
END
diff -u "$3/c_example.expected" "$3/c_example.jsonl"
echo ok
