#!/usr/bin/env python3
"""ehtrace-collect --otlp end to end: the collector's exporter (driven by
otlp_export_burst, since the build machine's kernel may lack user_events)
POSTs a burst to Elastic's mockotlpserver on 127.0.0.1; what that receiver
parsed must be everything, and every body must pass the schema check. Then
the same burst to a port nothing listens on: bounded time, all counted.

Usage: otlp_live_test.py OTLP_EXPORT_BURST RECEIVER_JS
mockotlpserver comes from $EHTRACE_NPM_CACHE (default /var/cache/ehtrace-npm),
installed there by scripts/install-deps or, when missing, by this test; the
test is skipped (77) when node or the package cannot be had.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time

SKIP = 77
LOGS, SPANS = 5000, 1000


def skip(why):
    print(f"skipped: {why}")
    sys.exit(SKIP)


def receiver_modules():
    cache = os.environ.get("EHTRACE_NPM_CACHE", "/var/cache/ehtrace-npm")
    modules = os.path.join(cache, "node_modules")
    if os.path.isdir(os.path.join(modules, "@elastic", "mockotlpserver")):
        return modules
    if not shutil.which("npm"):
        skip("npm not found, and @elastic/mockotlpserver is not in " + cache)
    try:
        os.makedirs(cache, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", cache, "--no-audit", "--no-fund",
                        "@elastic/mockotlpserver"], check=True, timeout=300,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except (OSError, subprocess.SubprocessError) as e:
        skip(f"cannot install @elastic/mockotlpserver in {cache}: {e}")
    return modules


def burst(exe, url, finish_ms):
    started = time.monotonic()
    r = subprocess.run([exe, url, str(LOGS), str(SPANS), str(finish_ms)], capture_output=True, text=True,
                       timeout=120)
    elapsed = time.monotonic() - started
    sys.stderr.write(r.stderr)
    if r.returncode != 0:
        sys.exit(f"FAIL: otlp_export_burst exited {r.returncode}: {r.stdout}")
    return json.loads(r.stdout), elapsed


def main():
    exe, receiver_js = sys.argv[1], sys.argv[2]
    if not shutil.which("node"):
        skip("node not found")
    env = dict(os.environ, NODE_PATH=receiver_modules())
    receiver = subprocess.Popen(["node", receiver_js], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                env=env)
    try:
        url = receiver.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            sys.exit(f"FAIL: the receiver did not start (printed {url!r})")
        sent, _ = burst(exe, url, 30000)
    finally:
        receiver.stdin.close()
    report = receiver.stdout.readline()
    receiver.wait(timeout=30)
    got = json.loads(report)
    print("exporter:", json.dumps(sent))
    print("receiver:", json.dumps(got))

    problems = []
    expect = {"records_sent": LOGS + SPANS, "retries": 0, "records_dropped": 0, "records_failed": 0,
              "schema_problems": 0}
    for key, value in expect.items():
        if sent[key] != value:
            problems.append(f"exporter {key} = {sent[key]}, expected {value}")
    if sent["schema_checked"] and sent["bodies_checked"] != sent["batches_sent"]:
        problems.append(f"{sent['bodies_checked']} bodies schema-checked, {sent['batches_sent']} sent")
    if not sent["schema_checked"]:
        print("note: built without the libprotobuf schema checker: bodies not checked")
    want = {"logRecords": LOGS, "distinctBodies": LOGS, "spans": SPANS, "distinctSpanNames": SPANS,
            "logRequests": -(-LOGS // 512), "traceRequests": -(-SPANS // 512)}
    for key, value in want.items():
        if got.get(key) != value:
            problems.append(f"receiver {key} = {got.get(key)}, expected {value}")
    if set(got.get("contentTypes", {})) != {"application/json"}:
        problems.append(f"content types {got.get('contentTypes')}")

    # Nothing listening: the exporter gives up within its finish time and
    # every record is counted as dropped or failed.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    lost, elapsed = burst(exe, dead, 1000)
    print("dead endpoint:", json.dumps(lost), f"({elapsed:.2f} s)")
    if lost["records_sent"] != 0 or lost["records_dropped"] + lost["records_failed"] != LOGS + SPANS:
        problems.append(f"dead endpoint: counts do not add up: {lost}")
    if lost["feed_ms"] > 5000 or lost["finish_ms"] > 3000:
        problems.append(f"dead endpoint: took {lost['feed_ms']} ms to feed, {lost['finish_ms']} ms to finish")

    for p in problems:
        print("FAIL:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
