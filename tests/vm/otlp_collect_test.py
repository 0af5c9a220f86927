#!/usr/bin/env python3
"""vm.otlp_collect: ehtrace-collect --otlp end to end on the real kernel.

The host half. Starts Elastic's mockotlpserver on 127.0.0.1 (saving every
request body as it arrived), boots the test kernel with a network card
(run-in-vm --net) and runs the guest half, otlp_collect_test.cpp: the real
ehtrace-collect binary, with its shared libraries, collects
ehtrace_vm_otel_writer's log records and spans from user_events and POSTs
them to http://10.0.2.2:PORT, which qemu's user-mode network delivers to
the receiver here. Then, on the host: the receiver parsed every record,
every body passes the libprotobuf schema check (otlp_schema_check), and every
record holds what the writer wrote (its values follow from its index; the
formulas are otel_vm_writer.cpp's).

Usage: otlp_collect_test.py RUN_IN_VM INIT GUEST_TEST WRITER COLLECT RECEIVER_JS SCHEMA_CHECK TIMEOUT
SCHEMA_CHECK is "-" when the build has no schema checker (then said, not
checked). Skipped (77) without qemu, node or @elastic/mockotlpserver.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from otlp_live_test import receiver_modules, skip  # noqa: E402  (one way to find the receiver)

LOGS, SPANS = 3000, 600
BASE_NS = 1767225600 * 10**9  # 2026-01-01T00:00:00Z, the writer's base time
SEVERITIES = [(9, "INFO"), (13, "WARN"), (17, "ERROR"), (21, "FATAL"), (5, "DEBUG")]


def hex_id(tag, i, size):
    b = bytearray(size)
    b[0] = tag
    b[size - 2] = (i >> 8) & 0xFF
    b[size - 1] = i & 0xFF
    return b.hex()


def string(v):
    return {"stringValue": v}


def integer(v):
    return {"intValue": str(v)}


def expected_log(i):
    number, text = SEVERITIES[i % 5]
    return {
        "timeUnixNano": str(BASE_NS + i * 1000),
        "severityNumber": number,
        "severityText": text,
        "body": string(f"guest log {i} \u2713"),
        "attributes": [
            {"key": "index", "value": integer(i)},
            {"key": "even", "value": {"boolValue": i % 2 == 0}},
            {"key": "ratio", "value": {"doubleValue": i / 4}},
            {"key": "guest", "value": string("qemu")},
            {"key": "event_id", "value": integer(i)},
        ],
        "traceId": hex_id(0x7E, i, 16),
        "spanId": hex_id(0x5E, i, 8),
        "eventName": "vm.log",
    }


def expected_span(j):
    start = BASE_NS + j * 10**6
    s = {"traceId": hex_id(0xAB, j, 16), "spanId": hex_id(0x5A, j, 8)}
    if j % 2 == 1:
        s["parentSpanId"] = hex_id(0x5A, j - 1, 8)
    s.update({
        "name": f"guest span {j}",
        "kind": j % 5 + 1,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 250 * 1000),
        "attributes": [{"key": "index", "value": integer(j)}, {"key": "http.method", "value": string("GET")}],
    })
    if j % 4 == 2:
        s["links"] = [{"traceId": hex_id(0xAB, j - 1, 16), "spanId": hex_id(0x5A, j - 1, 8)}]
    if j % 3 == 0:
        s["status"] = {"message": f"failed {j}", "code": 2}
    return s


RESOURCE = {"attributes": [{"key": "service.name", "value": string("vm-service")},
                           {"key": "service.instance.id", "value": string("guest-1")}]}


def records_in(bodies_dir, problems):
    """Every record of the saved bodies: ({index: log}, {index: span})."""
    found = {"logs": {}, "traces": {}}
    for name in sorted(os.listdir(bodies_dir)):
        signal = "traces" if name.endswith("-traces.json") else "logs"
        with open(os.path.join(bodies_dir, name), "rb") as f:
            body = json.loads(f.read().decode("utf-8"))
        top, scopes, items = ("resourceSpans", "scopeSpans", "spans") if signal == "traces" else \
            ("resourceLogs", "scopeLogs", "logRecords")
        for resource in body[top]:
            if resource.get("resource") != RESOURCE:
                problems.append(f"{name}: resource {resource.get('resource')}")
            for scope in resource[scopes]:
                if scope.get("scope") != {"name": "otelvm"}:
                    problems.append(f"{name}: scope {scope.get('scope')}")
                for record in scope[items]:
                    index = next((int(a["value"]["intValue"]) for a in record.get("attributes", [])
                                  if a.get("key") == "index" and "intValue" in a.get("value", {})), None)
                    if index is None:
                        problems.append(f"{name}: a {signal} record without an index: {json.dumps(record)}")
                        continue
                    if index in found[signal]:
                        problems.append(f"{name}: {signal} record {index} received twice")
                    found[signal][index] = record
    return found["logs"], found["traces"]


def main():
    run_in_vm, init, guest_test, writer, collect, receiver_js, schema_check, timeout = sys.argv[1:9]
    if subprocess.run(["sh", "-c", "command -v qemu-system-x86_64"], stdout=subprocess.DEVNULL).returncode != 0:
        skip("qemu-system-x86_64 is not installed")
    if subprocess.run(["sh", "-c", "command -v node"], stdout=subprocess.DEVNULL).returncode != 0:
        skip("node not found")
    env = dict(os.environ, NODE_PATH=receiver_modules())
    problems = []
    with tempfile.TemporaryDirectory(prefix="ehtrace-otlp-vm.") as bodies:
        receiver = subprocess.Popen(["node", receiver_js, bodies], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    text=True, env=env)
        try:
            url = receiver.stdout.readline().strip()
            prefix = "http://127.0.0.1:"
            if not url.startswith(prefix):
                sys.exit(f"FAIL: the receiver did not start (printed {url!r})")
            guest_url = "http://10.0.2.2:" + url[len(prefix):]
            print(f"receiver at {url}, the guest sends to {guest_url}", flush=True)
            started = time.monotonic()
            vm = subprocess.run([run_in_vm, "--init", init, "--timeout", timeout, "--net",
                                 "--extra", writer, "--extra", collect,
                                 "--append", f"ehtrace.otlp={guest_url} ehtrace.otlp_logs={LOGS} "
                                             f"ehtrace.otlp_spans={SPANS}",
                                 guest_test])
            print(f"run-in-vm exited {vm.returncode} after {time.monotonic() - started:.1f} s", flush=True)
        finally:
            receiver.stdin.close()
        got = json.loads(receiver.stdout.readline())
        receiver.wait(timeout=30)
        print("receiver:", json.dumps(got))
        if vm.returncode == 77:
            skip("run-in-vm skipped")
        if vm.returncode != 0:
            problems.append("the guest half failed (run-in-vm's output above)")

        # What mockotlpserver parsed.
        want = {"logRecords": LOGS, "distinctBodies": LOGS, "spans": SPANS, "distinctSpanNames": SPANS}
        for key, value in want.items():
            if got.get(key) != value:
                problems.append(f"receiver {key} = {got.get(key)}, expected {value}")
        if set(got.get("contentTypes", {})) != {"application/json"}:
            problems.append(f"content types {got.get('contentTypes')}")
        requests = got.get("logRequests", 0) + got.get("traceRequests", 0)
        if got.get("bodiesSaved") != requests:
            problems.append(f"{got.get('bodiesSaved')} bodies saved for {requests} requests")

        # The bytes as sent, through the libprotobuf schema check.
        files = sorted(os.path.join(bodies, n) for n in os.listdir(bodies))
        if schema_check == "-":
            print("note: built without the libprotobuf schema checker (otlp_schema_check): bodies not checked")
        elif not files:
            problems.append("no request body to check")
        else:
            check = subprocess.run([schema_check, *files], capture_output=True, text=True)
            print(check.stdout, end="")
            if check.returncode != 0:
                problems.append(f"otlp_schema_check refused bodies: {check.stdout.strip()} {check.stderr.strip()}")

        # Every record, field by field.
        logs, spans = records_in(bodies, problems)
        if sorted(logs) != list(range(LOGS)):
            problems.append(f"log indexes: {len(logs)} distinct, expected 0..{LOGS - 1}")
        if sorted(spans) != list(range(SPANS)):
            problems.append(f"span indexes: {len(spans)} distinct, expected 0..{SPANS - 1}")
        for i, record in logs.items():
            observed = record.pop("observedTimeUnixNano", "0")
            if not observed.isdigit():
                problems.append(f"log {i}: observedTimeUnixNano {observed!r}")
            if record != expected_log(i):
                problems.append(f"log {i}: got {json.dumps(record)}, expected {json.dumps(expected_log(i))}")
        for j, record in spans.items():
            if record != expected_span(j):
                problems.append(f"span {j}: got {json.dumps(record)}, expected {json.dumps(expected_span(j))}")
        print(f"checked {len(logs)} log records and {len(spans)} spans field by field")

    for p in problems[:20]:
        print("FAIL:", p)
    if len(problems) > 20:
        print(f"FAIL: ... and {len(problems) - 20} more")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
