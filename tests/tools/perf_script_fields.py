#!/usr/bin/env python3
"""Every field of every sched_switch and sched_process_exec sample of a
workload (perf record follows it and its children), as
Debian's perf decodes it (libtraceevent, through a perf script handler that
dumps the field dictionary), against ehtrace-decode's JSON lines.

Compared: the set of field names, each value (our "0x.." hex text as the
number it stands for), the JSON type the rules in docs/json.md give each C
type, the common fields (--meta +common), time/cpu/pid/tid and the thread's
command name (--meta +comm, from perf's COMM records).

Usage: perf_script_fields.py EHTRACE_DECODE   (exit 77: skipped)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77

DUMP = r'''
import json
def trace_unhandled(event_name, context, fields, sample_dict):
    s = sample_dict["sample"]
    out = {k: v for k, v in fields.items() if k not in ("common_callchain", "common_s", "common_ns", "common_cpu", "common_comm")}
    print(json.dumps({"event": event_name, "fields": out, "time": s["time"], "cpu": s["cpu"],
                      "pid": s["pid"], "tid": s["tid"], "comm": fields["common_comm"]}))
'''

# The JSON type each field must have (docs/json.md, plain tracepoints).
EXPECTED_TYPES = {
    "sched:sched_switch": {"prev_comm": str, "prev_pid": "hex", "prev_prio": int, "prev_state": int,
                           "next_comm": str, "next_pid": "hex", "next_prio": int},
    "sched:sched_process_exec": {"filename": str, "pid": "hex", "old_pid": "hex"},
}
NOT_IN_PERF_DICT = {"common_type", "common_flags", "common_preempt_count"}
COMMON_TYPES = {"common_type": int, "common_flags": int, "common_preempt_count": int, "common_pid": int}


def ensure_tracefs():
    for d in ("/sys/kernel/tracing/events/sched", "/sys/kernel/debug/tracing/events/sched"):
        if os.path.isdir(d):
            return True
    subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"], capture_output=True)
    return os.path.isdir("/sys/kernel/tracing/events/sched")


def value_of(v, kind):
    if kind == "hex":
        assert isinstance(v, str) and v.startswith("0x") and v[2:] == v[2:].upper(), f"not hex text: {v!r}"
        return int(v, 16)
    assert type(v) is kind, f"{v!r} is not a {kind.__name__}"
    return v


def main():
    decoder = sys.argv[1]
    perf = shutil.which("perf")
    if perf is None:
        print("skipped: perf is not installed (linux-perf)")
        return SKIP
    if not ensure_tracefs():
        print("skipped: tracefs with sched events is not available")
        return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "sched.data")
        script = os.path.join(tmp, "dump.py")
        with open(script, "w") as f:
            f.write(DUMP)
        workload = "for i in 1 2 3; do /bin/true; done; ls / >/dev/null; sleep 0.01"
        rec = subprocess.run([perf, "record", "-q", "-e", "sched:sched_switch", "-e", "sched:sched_process_exec",
                              "-o", data, "--", "sh", "-c", workload], capture_output=True, text=True)
        if rec.returncode != 0:
            print(rec.stderr)
            return 1
        dumped = subprocess.run([perf, "script", "-i", data, "-s", script], capture_output=True, text=True)
        if dumped.returncode != 0 or "Python scripting not supported" in dumped.stderr:
            print("skipped: perf cannot run python scripts here:", dumped.stderr[:500])
            return SKIP
        theirs = [json.loads(line) for line in dumped.stdout.splitlines() if line.startswith("{")]
        decoded = subprocess.run([decoder, "--jsonl", "--meta", "+common,comm", data], capture_output=True, text=True)
        if decoded.returncode != 0:
            print(decoded.stderr)
            return 1
        ours = [json.loads(line) for line in decoded.stdout.splitlines()]

    if len(ours) != len(theirs) or not ours:
        print(f"event counts differ: ours {len(ours)}, perf {len(theirs)}")
        return 1
    # Samples with equal times may come in either order: match by time, cpu, tid.
    key = lambda e: (e["time"], e["cpu"], e["tid"])
    their_by_key = {}
    for t in theirs:
        their_by_key.setdefault(key(t), []).append(t)
    failures, checked, comm_differences = [], 0, []
    for o in ours:
        meta = o["meta"]
        seconds, _, fraction = str(meta["time"]).partition(".")
        time_ns = int(seconds) * 1_000_000_000 + int(fraction.ljust(9, "0"))
        candidates = their_by_key.get((time_ns, meta["cpu"], meta["tid"]), [])
        name = o["n"]
        fields = {k: v for k, v in o.items() if k not in ("n", "meta")}
        match = None
        for t in candidates:
            if t["event"] == name.replace(":", "__") and t["pid"] == meta["pid"]:
                match = t
                break
        if match is None:
            failures.append(f"no perf sample for {o}")
            continue
        candidates.remove(match)
        if meta.get("comm") != match["comm"]:
            comm_differences.append((meta["tid"], meta.get("comm"), match["comm"], meta["time"]))
        # perf's handlers get common_pid but not the other common fields.
        if set(fields) - NOT_IN_PERF_DICT != set(match["fields"]):
            failures.append(f"{name}: fields {sorted(fields)} vs perf {sorted(match['fields'])}")
            continue
        types = dict(COMMON_TYPES, **EXPECTED_TYPES[name])
        for k, v in fields.items():
            try:
                mine = value_of(v, types[k])
            except AssertionError as e:
                failures.append(f"{name}.{k}: {e}")
                continue
            if k in NOT_IN_PERF_DICT:
                continue
            if mine != match["fields"][k]:
                failures.append(f"{name}.{k}: ours {v!r}, perf {match['fields'][k]!r}")
            checked += 1
    # perf may give samples taken before a thread's exec the name the exec
    # gave it (it replaces a thread's first name); ours is the name at the
    # sample's time. Such a difference is accepted only when the thread does
    # carry perf's name later in our output.
    later_names = {}
    for o in ours:
        names = later_names.setdefault(o["meta"]["tid"], set())
        names.add(o["meta"].get("comm"))
        if o["n"] == "sched:sched_process_exec":  # the name the exec gives
            names.add(os.path.basename(o["filename"])[:15])
    # "perf-exec" is the name perf gives its workload child until the exec,
    # which happens as recording is enabled: perf shows the exec's name there.
    for tid, mine, theirs_name, time in comm_differences:
        if theirs_name not in later_names.get(tid, set()) and mine != "perf-exec":
            failures.append(f"tid {tid}: comm {mine!r}, perf {theirs_name!r} at {time}")
    if len(comm_differences) * 4 > len(ours):
        failures.append(f"{len(comm_differences)} of {len(ours)} command names differ from perf's")
    for f in failures[:20]:
        print(f)
    if failures:
        print(f"{len(failures)} differences")
        return 1
    switches = sum(1 for o in ours if o["n"] == "sched:sched_switch")
    execs = sum(1 for o in ours if o["n"] == "sched:sched_process_exec")
    print(f"{len(ours)} events ({switches} sched_switch, {execs} sched_process_exec), {checked} field values equal")
    if switches == 0 or execs < 4:
        print("expected sched_switch events and at least 4 exec events")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
