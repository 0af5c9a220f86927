#!/bin/sh
# Runs examples/dynamic under EHTRACE_CAPTURE and checks the decoded events:
#   dynamic_example_test.sh <dynamic_events> <ehtrace-decode> <work dir>
set -eu
capture=$3/dynamic_example.dat
rm -f "$capture"
EHTRACE_CAPTURE=$capture "$1" >/dev/null
"$2" --jsonl "$capture" >"$3/dynamic_example.jsonl"
cat >"$3/dynamic_example.expected" <<'END'
{"n":"Example_Dynamic:Log","message":"service started","attributes":{"region":"eu-west","version":"1.2.3"},"tags":["startup"],"meta":{"level":4,"keyword":"0x1"}}
{"n":"Example_Dynamic:Log","message":"slow request","attributes":{"ms":"1250","path":"/search"},"tags":["http","latency"],"meta":{"level":3,"keyword":"0x1"}}
{"n":"Example_Dynamic:Log","message":"upstream failed","tags":[],"meta":{"level":2,"keyword":"0x1"}}
END
diff -u "$3/dynamic_example.expected" "$3/dynamic_example.jsonl"
echo ok
