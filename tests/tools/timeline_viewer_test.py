#!/usr/bin/env python3
"""What Debian's headless Chromium renders of ehtrace-decode's output, on a
capture of examples/activities (run under EHTRACE_CAPTURE), served on
127.0.0.1 and driven by playwright-core (viewer_driver.js).

timeline: a real trace viewer accepts `--format timeline`. Every event is
checked against the Trace Event Format's documented fields, then the file is
opened in speedscope (npm), and what it rendered is checked: one profile per
thread, named from the COMM records, and the slices of each thread as its
frames.

speedscope imports complete ("X") and B/E events; it leaves out async
("b"/"e") and instant ("i") events, so the activity that crosses threads and
the instants are checked by the structural test only (Perfetto UI shows them).

report: `--format html` renders with nothing fetched but the page; its
timeline has a row per activity name and a bar per completed activity, a
histogram per activity name whose bars count every duration, and the
summary's tables with the summary's rows.

Usage: timeline_viewer_test.py timeline|report ACTIVITIES EHTRACE-DECODE VIEWER_DRIVER.js
speedscope and playwright-core come from $EHTRACE_VIEWER_CACHE (default
/var/cache/ehtrace-viewer), installed there by scripts/install-deps or, when
missing, by this test; Chromium is /usr/bin/chromium ($EHTRACE_CHROMIUM).
Skipped (77) when node, Chromium or the packages cannot be had. With
$EHTRACE_VIEWER_SCREENSHOT set, what Chromium rendered is saved there as PNG.
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


def check_report(seen, summary, page):
    check(seen["errors"] == [], "the page reported errors: %s" % seen["errors"])
    check(len(seen.get("requests", [])) == 1 and seen["requests"][0].endswith("/report.html"),
          "the page fetched more than itself: %s" % seen.get("requests"))
    check("<script src" not in page and "<link" not in page and "url(" not in page, "the page refers to files")
    got = seen.get("selectors", {})
    completed = {a["name"]: a["count"] for a in summary["activities"] if a["count"] > 0}
    rows = got.get(ROW, [])
    check({r["data"]["name"]: int(r["data"]["count"]) for r in rows} == completed,
          "timeline rows %s, expected %s" % ([r["data"] for r in rows], completed))
    bars = got.get(BAR, [])
    check(len(bars) == sum(completed.values()) == 11, "timeline bars: %d" % len(bars))
    check(all(b["rendered"] for b in rows + bars), "a row or bar was not laid out")
    histograms = got.get(HISTOGRAM, [])
    check(sorted(h["data"]["name"] for h in histograms) == sorted(completed),
          "histograms %s, expected %s" % ([h["data"] for h in histograms], sorted(completed)))
    # Each histogram's bars hold all its durations: the bins are listed in
    # histogram order, so walk them with the counts.
    bins = [int(b["data"]["count"]) for b in got.get(BIN, [])]
    for h in sorted(histograms, key=lambda h: h["data"]["name"]):
        want = completed.get(h["data"]["name"], 0)
        taken = 0
        while bins and taken < want:
            taken += bins.pop(0)
        check(taken == want, "histogram %s: %d durations in its bars, expected %d" % (h["data"]["name"], taken, want))
    check(bins == [], "bins left over: %s" % bins)
    for selector, want in ((EVENT_ROW, len(summary["event_names"])), (ACTIVITY_ROW, len(summary["activities"])),
                           (THREAD_ROW, len(summary["threads"]))):
        check(len(got.get(selector, [])) == want, "%s: %d rows, expected %d" % (selector, len(got.get(selector, [])), want))
    cells = lambda selector: [r["text"].split("\t") for r in got.get(selector, [])]
    check([(c[0], int(c[1])) for c in cells(EVENT_ROW)] == [(e["name"], e["count"]) for e in summary["event_names"]],
          "event rows: %s" % cells(EVENT_ROW))
    check([(c[0], int(c[1]), int(c[2])) for c in cells(ACTIVITY_ROW)] ==
          [(a["name"], a["count"], a["unmatched_starts"] + a["unmatched_stops"]) for a in summary["activities"]],
          "activity rows: %s" % cells(ACTIVITY_ROW))


ROW, BAR = "svg.timeline g.row", "svg.timeline rect.bar"
HISTOGRAM, BIN = "figure.histogram", "figure.histogram rect.bin"
EVENT_ROW, ACTIVITY_ROW, THREAD_ROW = "table.events tbody tr", "table.activities tbody tr", "table.threads tbody tr"


def main():
    mode, example, decoder, driver = sys.argv[1:5]
    require_browser()
    modules = viewer_modules()
    screenshot = os.environ.get("EHTRACE_VIEWER_SCREENSHOT")
    with tempfile.TemporaryDirectory() as work:
        capture = os.path.join(work, "activities.data")
        run = subprocess.run([example], env=dict(os.environ, EHTRACE_CAPTURE=capture), stdout=subprocess.DEVNULL)
        check(run.returncode == 0, "example exited with %d" % run.returncode)
        decode = lambda *args: subprocess.run([decoder, *args, capture], check=True, capture_output=True,
                                              text=True).stdout
        if mode == "timeline":
            timeline = os.path.join(work, "activities.json")
            with open(timeline, "w") as out:
                out.write(decode("--format", "timeline"))
            with open(timeline) as f:
                events = json.load(f)["traceEvents"]
            trace_format.check_structure(events)
            check(any(e["ph"] == "X" for e in events), "no slices to look for")
            check_rendered(open_in_viewer(driver, modules, "speedscope", timeline, screenshot), events)
        else:
            report = os.path.join(work, "report.html")
            page = decode("--format", "html")
            with open(report, "w") as out:
                out.write(page)
            summary = json.loads(decode("--summary", "--format", "json"))[capture]
            seen = open_in_viewer(driver, modules, "page", report, screenshot, ROW, BAR, HISTOGRAM, BIN, EVENT_ROW,
                                  ACTIVITY_ROW, THREAD_ROW)
            check_report(seen, summary, page)
    for f in failures:
        print("FAIL:", f)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
