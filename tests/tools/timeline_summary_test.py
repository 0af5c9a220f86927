#!/usr/bin/env python3
"""Runs examples/activities under EHTRACE_CAPTURE (perf.data), then checks
`ehtrace-decode --format timeline` and `ehtrace-decode --summary` on the
capture.

Timeline: every event against the Trace Event Format's documented fields
(ph, name, cat, ts, dur for X, id for async b/e, s for instants, pid, tid, an
args object; metadata events process_name/thread_name), then what the
example wrote: nested slices, the activity across threads as one b/e pair,
the activity left open at exit marked unmatched, instants, thread names.
Summary: exact counts per event name, activity, process and thread, and
durations consistent with the timeline.

Usage: timeline_summary_test.py activities-example ehtrace-decode"""
import json
import os
import re
import subprocess
import sys
import tempfile

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


# Keys the Trace Event Format defines that this export uses, per phase.
COMMON_KEYS = {"ph", "name", "pid", "tid", "args"}
KEYS = {
    "X": COMMON_KEYS | {"cat", "ts", "dur"},
    "i": COMMON_KEYS | {"cat", "ts", "s"},
    "b": COMMON_KEYS | {"cat", "ts", "id"},
    "e": COMMON_KEYS | {"cat", "ts", "id"},
    "M": COMMON_KEYS,
}


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_structure(events):
    """Every event has exactly the documented keys of its phase, with the
    documented types; async begins and ends pair up by (cat, name, id)."""
    for e in events:
        where = json.dumps(e)
        if not check(isinstance(e, dict) and e.get("ph") in KEYS, "unknown phase: " + where):
            continue
        check(set(e) == KEYS[e["ph"]], "keys %s, expected %s: %s" % (sorted(e), sorted(KEYS[e["ph"]]), where))
        check(isinstance(e.get("name"), str) and e["name"] != "", "name: " + where)
        check(isinstance(e.get("pid"), int) and isinstance(e.get("tid"), int), "pid/tid: " + where)
        check(isinstance(e.get("args"), dict), "args: " + where)
        if e["ph"] != "M":
            check(is_number(e.get("ts")) and e["ts"] >= 0, "ts: " + where)
            check(isinstance(e.get("cat"), str), "cat: " + where)
        if e["ph"] == "X":
            check(is_number(e.get("dur")) and e["dur"] >= 0, "dur: " + where)
        if e["ph"] in "be":
            check(isinstance(e.get("id"), str) and e["id"] != "", "id: " + where)
        if e["ph"] == "i":
            check(e.get("s") in ("t", "p", "g"), "scope: " + where)
        if e["ph"] == "M":
            check(e["name"] in ("process_name", "thread_name") and isinstance(e["args"].get("name"), str),
                  "metadata: " + where)
    timed = [e for e in events if e.get("ph") != "M"]
    check(timed and min(e["ts"] for e in timed) == 0, "times are not relative to the first event")
    check([e["ts"] for e in timed] == sorted(e["ts"] for e in timed), "events are not in time order")
    begins = sorted((e["cat"], e["name"], e["id"]) for e in events if e.get("ph") == "b")
    ends = sorted((e["cat"], e["name"], e["id"]) for e in events if e.get("ph") == "e")
    check(begins == ends, "async begins %s and ends %s do not pair up" % (begins, ends))


def inside(inner, outer):
    return (inner["tid"] == outer["tid"] and outer["ts"] <= inner["ts"]
            and inner["ts"] + inner.get("dur", 0) <= outer["ts"] + outer["dur"])


def check_timeline(events, main_pid):
    by = lambda ph, name: [e for e in events if e["ph"] == ph and e["name"] == name]
    slices = {}
    for e in events:
        if e["ph"] == "X":
            slices[e["name"]] = slices.get(e["name"], 0) + 1
    check(slices == {"Request": 3, "Parse": 3, "Job": 2, "Step": 2, "Shutdown": 1}, "slices: %s" % slices)
    for e in by("X", "Request"):
        check(e["args"].get("path") == "/index.html" and "number" in e["args"], "Request start fields: %s" % e)
        check(e["args"].get("status") == 200 and e["args"].get("bytes") == 512,
              "Request stop fields: %s" % e)
    # Nesting: a child slice lies inside its parent on the same thread and
    # names the parent's activity as its related activity.
    for child, parent in (("Parse", "Request"), ("Step", "Job")):
        for c in by("X", child):
            parents = [p for p in by("X", parent) if p["args"]["activity"] == c["args"].get("relatedActivity")]
            check(len(parents) == 1 and inside(c, parents[0]), "%s not nested in its %s: %s" % (child, parent, c))
    for p in by("i", "Progress"):
        parses = [x for x in by("X", "Parse") if x["args"]["activity"] == p["args"].get("activity")]
        check(p["args"].get("percent") == 50 and len(parses) == 1 and inside(p, parses[0]),
              "Progress not inside its Parse: %s" % p)
    check(len(by("i", "Progress")) == 3 and len(by("i", "Bye")) == 1, "instants")
    # Cut trace: Shutdown never stopped; shown, marked, up to the last event.
    shutdown = by("X", "Shutdown")
    last = max(e["ts"] for e in events if e["ph"] != "M")
    check(len(shutdown) == 1 and shutdown[0]["args"].get("unmatched") == "start"
          and abs(shutdown[0]["ts"] + shutdown[0]["dur"] - last) < 0.0005, "Shutdown: %s" % shutdown)
    check(sum(1 for e in events if "unmatched" in e["args"]) == 1, "only Shutdown is unmatched")
    # Across threads: Transfer starts on the main thread, stops on worker-1.
    b, e = by("b", "Transfer"), by("e", "Transfer")
    jobs = {x["args"]["job"]: x["tid"] for x in by("X", "Job")}
    if check(len(b) == 1 and len(e) == 1, "Transfer pair: %s %s" % (b, e)):
        check(b[0]["tid"] == main_pid and b[0]["args"].get("to") == "worker-1", "Transfer begin: %s" % b[0])
        check(e[0]["tid"] == jobs.get(1) and e[0]["args"].get("bytes") == 4096 and e[0]["ts"] > b[0]["ts"],
              "Transfer end: %s" % e[0])
    names = {(m["name"], m["tid"]): m["args"]["name"] for m in events if m["ph"] == "M"}
    check(names == {("process_name", main_pid): "activities", ("thread_name", main_pid): "activities",
                    ("thread_name", jobs.get(1)): "worker-1", ("thread_name", jobs.get(2)): "worker-2"},
          "names: %s" % names)
    check(all(e["pid"] == main_pid for e in events), "one process")


def check_summary(summary, timeline):
    check(summary["events"] == 27, "events: %s" % summary["events"])
    counts = {e["name"].split(":")[1]: e["count"] for e in summary["event_names"]}
    check(counts == {"Request": 6, "Parse": 6, "Job": 4, "Step": 4, "Progress": 3, "Transfer": 2, "Bye": 1,
                     "Shutdown": 1}, "event counts: %s" % counts)
    check(all(abs(e["per_s"] - e["count"] / summary["span_s"]) < 0.01 for e in summary["event_names"]), "rates")
    activities = {a["name"].split(":")[1]: a for a in summary["activities"]}
    want = {"Request": (3, 0, 0), "Parse": (3, 0, 0), "Job": (2, 0, 0), "Step": (2, 0, 0), "Transfer": (1, 0, 0),
            "Shutdown": (0, 1, 0)}
    check({k: (a["count"], a["unmatched_starts"], a["unmatched_stops"]) for k, a in activities.items()} == want,
          "activities: %s" % activities)
    for name, a in activities.items():
        if a["count"] == 0:
            check("p50_ms" not in a, "percentiles without durations: %s" % a)
            continue
        check(a["p50_ms"] <= a["p90_ms"] <= a["p99_ms"] <= a["max_ms"], "percentile order: %s" % a)
        durations = [e["dur"] for e in timeline if e["ph"] == "X" and e["name"] == name]
        if durations:  # the same durations as the timeline's slices (µs there, ms here)
            check(abs(a["max_ms"] * 1000 - max(durations)) < 0.01, "max of %s: %s vs %s" % (name, a, durations))
    # The example sleeps: a Request lasts at least 2 ms, a Step 2 ms.
    check(activities["Request"]["p50_ms"] >= 2 and activities["Step"]["p50_ms"] >= 2, "durations too short")
    check([(p["events"], p.get("comm")) for p in summary["processes"]] == [(27, "activities")],
          "processes: %s" % summary["processes"])
    threads = sorted((t.get("comm"), t["events"]) for t in summary["threads"])
    check(threads == [("activities", 18), ("worker-1", 5), ("worker-2", 4)], "threads: %s" % threads)
    span = max(e["ts"] for e in timeline if e["ph"] != "M")
    check(abs(summary["span_s"] * 1e6 - span) < 0.01, "span %s s vs timeline %s us" % (summary["span_s"], span))


def main():
    example, decoder = sys.argv[1:3]
    with tempfile.TemporaryDirectory() as work:
        capture = os.path.join(work, "activities.data")
        run = subprocess.run([example], env=dict(os.environ, EHTRACE_CAPTURE=capture))
        check(run.returncode == 0, "example exited with %d" % run.returncode)
        decode = lambda *args: subprocess.run([decoder, *args, capture], check=True, capture_output=True,
                                              text=True).stdout
        document = json.loads(decode("--format", "timeline"))
        check(set(document) == {"traceEvents", "displayTimeUnit"}, "top level: %s" % sorted(document))
        events = document["traceEvents"]
        check_structure(events)
        if not failures:
            main_pid = next(e["pid"] for e in events if e["ph"] == "M")
            check_timeline(events, main_pid)
        summary_document = json.loads(decode("--summary", "--format", "json"))
        check(list(summary_document) == [capture], "summary inputs: %s" % list(summary_document))
        check_summary(summary_document[capture], events)
        text = decode("--summary")
        for pattern in (r"^events +27$", r"^Ehtrace_Activities:Request +6 +[0-9.]+$",
                        r"^Ehtrace_Activities:Shutdown +0 +1 +- +- +- +-$",
                        r"^Ehtrace_Activities:Parse +3 +0( +[0-9]+\.[0-9]{3}){4}$",
                        r"^worker-2 +[0-9]+ +[0-9]+ +4$"):
            check(re.search(pattern, text, re.M), "summary text lacks /%s/:\n%s" % (pattern, text))
    for f in failures:
        print("FAIL:", f)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
