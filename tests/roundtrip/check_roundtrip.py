#!/usr/bin/env python3
"""Runs an example under EHTRACE_CAPTURE, decodes the capture with
ehtrace-decode --jsonl and compares every event, field by field, with the
expected JSON lines. Activity ids are random: each distinct id is replaced by
<A1>, <A2>, ... in order of appearance, so the test still checks that start,
inner and stop events carry the same ids and the right parent.

Usage: check_roundtrip.py [--drop-run-meta] example decoder expected suffix
--drop-run-meta (for perf.data captures) requires and then removes the meta
keys time/cpu/pid/tid, which a .dat capture does not record; without it the
comparison is exact."""
import json
import os
import re
import subprocess
import sys
import tempfile

UUID = re.compile(r'"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"')


def normalize_activity_ids(text):
    names = {}

    def rename(match):
        names.setdefault(match.group(0), '"<A%d>"' % (len(names) + 1))
        return names[match.group(0)]

    return UUID.sub(rename, text)


# What a perf.data capture adds to "meta" and a .dat capture does not have:
# the sample's time, cpu, pid and tid. Dropped with --drop-run-meta only.
RUN_META_KEYS = ("time", "cpu", "pid", "tid")


def drop_run_meta(event):
    meta = event.get("meta")
    if isinstance(meta, dict):
        for key in RUN_META_KEYS:
            if key not in meta:
                raise ValueError("perf.data event without meta.%s: %s" % (key, json.dumps(event)))
            del meta[key]
        if not meta:
            del event["meta"]
    return event


def main():
    args = sys.argv[1:]
    drop = "--drop-run-meta" in args
    if drop:
        args.remove("--drop-run-meta")
    example, decoder, expected_path, suffix = args[0:4]
    with tempfile.TemporaryDirectory() as work:
        capture = os.path.join(work, "capture" + suffix)
        env = dict(os.environ, EHTRACE_CAPTURE=capture)
        subprocess.run([example], env=env, check=True)
        decoded = subprocess.run([decoder, "--jsonl", capture], check=True, capture_output=True, text=True).stdout
    # Only the random activity ids change between runs; the uuid field written
    # by the example is not version 4, so it is left alone.
    actual = [json.loads(line) for line in normalize_activity_ids(decoded).splitlines() if line.strip()]
    if drop:
        actual = [drop_run_meta(event) for event in actual]
    with open(expected_path, encoding="utf-8") as f:
        expected = [json.loads(line) for line in f if line.strip()]
    failures = 0
    if len(actual) != len(expected):
        print("expected %d events, decoded %d" % (len(expected), len(actual)))
        failures += 1
    for index, (want, got) in enumerate(zip(expected, actual)):
        # Compare as ordered key lists: field order and duplicates matter.
        if list(want.items()) != list(got.items()):
            failures += 1
            print("event %d differs:\n  expected %s\n  decoded  %s" % (index, json.dumps(want), json.dumps(got)))
    print("%d passed, %d failed" % (len(expected) - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
