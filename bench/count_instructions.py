#!/usr/bin/env python3
"""Instructions per event of the ehtrace-bench-count cases, under callgrind.

    count_instructions.py [--valgrind PATH] [--n1 N] [--n2 N] [--json FILE]
                          [--skip-if-missing] ehtrace-bench-count [case ...]

A case named "case@K" runs "case" with EHTRACE_BENCH_STRING_OFFSET=K: the
zero-terminated string K bytes into a 16-byte block (bench_values.cpp).

Only the loop function of a case is counted (--toggle-collect); the cost of
one event is (I(N2) - I(N1)) / (N2 - N1), minus the same figure for the
"empty" case, which is the loop itself. Prints a table; --json writes the
figures. Exits 77 with --skip-if-missing when valgrind is not installed.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ALL_CASES = ["disabled", "enabled4", "dynamic4", "enabled4_noop", "dynamic4_noop", "mixed", "dynamic_mixed",
             "nested_noop", "dynamic_nested_noop", "enabled64_noop", "dynamic64_noop", "capture4",
             "enabled4_noop@9", "dynamic4_noop@9", "enabled64_noop@9"]


def count(valgrind, driver, case, n, workdir):
    name, _, offset = case.partition("@")
    env = dict(os.environ, EHTRACE_BENCH_STRING_OFFSET=offset or "0")
    out = os.path.join(workdir, f"callgrind.{case}.{n}")
    cmd = [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", "--collect-atstart=no",
           f"--toggle-collect=bench_loop_{name}", driver, name, str(n)]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"count_instructions: {' '.join(cmd)} failed:\n{done.stderr}")
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    sys.exit(f"count_instructions: no instruction total in {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--valgrind", default="")
    parser.add_argument("--n1", type=int, default=10000)
    parser.add_argument("--n2", type=int, default=20000)
    parser.add_argument("--json")
    parser.add_argument("--skip-if-missing", action="store_true")
    parser.add_argument("driver")
    parser.add_argument("cases", nargs="*")
    args = parser.parse_args()

    valgrind = args.valgrind or shutil.which("valgrind")
    if not valgrind:
        if args.skip_if_missing:
            print("count_instructions: valgrind is not installed; skipped")
            sys.exit(77)
        sys.exit("count_instructions: valgrind is not installed (apt-get install valgrind)")
    cases = args.cases or ALL_CASES
    n1, n2 = args.n1, args.n2
    if n2 <= n1:
        sys.exit("count_instructions: --n2 must be larger than --n1")

    results = {}
    with tempfile.TemporaryDirectory(prefix="ehtrace-callgrind-") as workdir:
        def per_iteration(case):
            a = count(valgrind, args.driver, case, n1, workdir)
            b = count(valgrind, args.driver, case, n2, workdir)
            return (b - a) / (n2 - n1), a, b

        loop, _, _ = per_iteration("empty")
        results["empty"] = {"per_iteration": loop}
        for case in cases:
            raw, a, b = per_iteration(case)
            results[case] = {"per_iteration": raw, "per_event": raw - loop, "instructions_n1": a,
                             "instructions_n2": b}

    print(f"instructions per event (N1={n1}, N2={n2}; loop of {loop:g} instructions excluded)")
    for case in cases:
        print(f"  {case:<20} {results[case]['per_event']:8.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"n1": n1, "n2": n2, "cases": results}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
