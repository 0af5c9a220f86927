#!/usr/bin/env python3
"""A real trace viewer accepts `ehtrace-decode --format timeline`: runs
examples/activities under EHTRACE_CAPTURE, checks every event of the export
against the Trace Event Format's documented fields, then opens the file in
speedscope (npm) in Debian's headless Chromium, served on 127.0.0.1, and
checks what it rendered: one profile per thread, named from the COMM
records, and the slices of each thread as its frames.

speedscope imports complete ("X") and B/E events; it leaves out async
("b"/"e") and instant ("i") events, so the activity that crosses threads and
the instants are checked by the structural test only (Perfetto UI shows them).

Usage: timeline_viewer_test.py ACTIVITIES EHTRACE-DECODE VIEWER_DRIVER.js
speedscope and playwright-core come from $EHTRACE_VIEWER_CACHE (default
/var/cache/ehtrace-viewer), installed there by scripts/install-deps or, when
missing, by this test; Chromium is /usr/bin/chromium ($EHTRACE_CHROMIUM).
Skipped (77) when node, Chromium or the packages cannot be had. With
$EHTRACE_VIEWER_SCREENSHOT set, the rendered timeline is saved there as PNG.
"""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import timeline_summary_test as trace_format  # noqa: E402  (the structural check)

SKIP = 77
PACKAGES = ("speedscope", "playwright-core")
failures = trace_format.failures
check = trace_format.check


def skip(why):
    print("skipped: " + why)
    sys.exit(SKIP)


def viewer_modules():
    cache = os.environ.get("EHTRACE_VIEWER_CACHE", "/var/cache/ehtrace-viewer")
    modules = os.path.join(cache, "node_modules")
    if all(os.path.isdir(os.path.join(modules, p)) for p in PACKAGES):
        return modules
    if not shutil.which("npm"):
        skip("npm not found, and %s are not in %s" % (" and ".join(PACKAGES), cache))
    try:
        os.makedirs(cache, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", cache, "--no-audit", "--no-fund", *PACKAGES], check=True,
                       timeout=300, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except (OSError, subprocess.SubprocessError) as e:
        skip("cannot install %s in %s: %s" % (" and ".join(PACKAGES), cache, e))
    return modules


def open_in_viewer(driver, modules, mode, path, screenshot=None, *selectors):
    """What the driver saw, as a dict; a driver that could not start Chromium
    skips the test, anything else it reports is checked by the caller."""
    args = ["node", driver, modules, mode, path, screenshot or "", *selectors]
    run = subprocess.run(args, capture_output=True, text=True, timeout=180)
    if run.returncode != 0 or not run.stdout.strip():
        sys.exit("FAIL: viewer driver exited %d: %s" % (run.returncode, run.stderr[-2000:]))
    seen = json.loads(run.stdout)
    launch = [e for e in seen["errors"] if e.startswith("driver: ") and "launch" in e]
    if launch:
        skip("Chromium did not start: " + launch[0][:500])
    return seen


def require_browser():
    if not shutil.which("node"):
        skip("node not found")
    chromium = os.environ.get("EHTRACE_CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        skip(chromium + " not found (Debian package chromium)")


def check_rendered(seen, events):
    check(seen["errors"] == [], "the viewer reported errors: %s" % seen["errors"])
    names = {(m["pid"], m["tid"]): m["args"]["name"] for m in events if m["ph"] == "M" and m["name"] == "thread_name"}
    process = next(m["args"]["name"] for m in events if m["ph"] == "M" and m["name"] == "process_name")
    want_profiles = sorted("%s (pid %d), %s (tid %d)" % (process, pid, comm, tid) for (pid, tid), comm in names.items())
    check(sorted(seen.get("profiles", [])) == want_profiles,
          "profiles %s, expected %s" % (seen.get("profiles"), want_profiles))
    # Each thread's frames are its complete slices, whatever order the
    # Sandwich table sorts them in.
    for (pid, tid), comm in names.items():
        profile = "%s (pid %d), %s (tid %d)" % (process, pid, comm, tid)
        want = collections.Counter(e["name"] for e in events if e["ph"] == "X" and e["tid"] == tid)
        got = collections.Counter(seen.get("frames", {}).get(profile, []))
        check(got == want, "%s: frames %s, expected %s" % (profile, dict(got), dict(want)))


def main():
    example, decoder, driver = sys.argv[1:4]
    require_browser()
    modules = viewer_modules()
    with tempfile.TemporaryDirectory() as work:
        capture = os.path.join(work, "activities.data")
        run = subprocess.run([example], env=dict(os.environ, EHTRACE_CAPTURE=capture), stdout=subprocess.DEVNULL)
        check(run.returncode == 0, "example exited with %d" % run.returncode)
        timeline = os.path.join(work, "activities.json")
        with open(timeline, "w") as out:
            subprocess.run([decoder, "--format", "timeline", capture], check=True, stdout=out)
        with open(timeline) as f:
            events = json.load(f)["traceEvents"]
        trace_format.check_structure(events)
        check(any(e["ph"] == "X" for e in events), "no slices to look for")
        seen = open_in_viewer(driver, modules, "speedscope", timeline,
                              os.environ.get("EHTRACE_VIEWER_SCREENSHOT"))
        check_rendered(seen, events)
    for f in failures:
        print("FAIL:", f)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
