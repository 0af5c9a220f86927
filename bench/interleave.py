#!/usr/bin/env python3
"""Runs Google Benchmark binaries in turn, round after round, on one filter.

    interleave.py BIN[,BIN...] FILTER [ROUNDS]

On a shared, busy machine two binaries timed minutes apart see different
loads; run in alternation, each round of each binary sees about the same
load. Each run is 3 repetitions; prints, per benchmark and binary, the median
and best CPU and real time per iteration and the median and best
items_per_second over all runs, how many runs lost nothing (the "lost" or
"lost_pct" counter), then the load average.
"""
import json
import os
import statistics
import subprocess
import sys


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    binaries = sys.argv[1].split(",")
    rounds = int(sys.argv[3]) if len(sys.argv) == 4 else 5
    runs = {}
    with open("/proc/loadavg") as f:
        print("load average before:", f.read().strip(), flush=True)
    for _ in range(rounds):
        for binary in binaries:
            out = subprocess.run([binary, f"--benchmark_filter={sys.argv[2]}", "--benchmark_repetitions=3",
                                  "--benchmark_format=json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 text=True, check=True).stdout
            for b in json.loads(out)["benchmarks"]:
                if b.get("run_type") != "iteration":
                    continue
                runs.setdefault((b["run_name"], binary), []).append(
                    (b["cpu_time"], b["real_time"], b.get("items_per_second", 0.0), b.get("lost", b.get("lost_pct", 0))))
    for (name, binary), values in sorted(runs.items()):
        cpu = sorted(v[0] for v in values)
        real = sorted(v[1] for v in values)
        rate = sorted(v[2] for v in values)
        print(f"{name} {os.path.relpath(binary)}: n={len(values)} cpu median {statistics.median(cpu):.1f} "
              f"best {cpu[0]:.1f} | real median {statistics.median(real):.1f} best {real[0]:.1f} | "
              f"items/s median {statistics.median(rate) / 1e6:.2f} M best {rate[-1] / 1e6:.2f} M | "
              f"lost 0 in {sum(1 for v in values if v[3] == 0)} of {len(values)} runs, max {max(v[3] for v in values)}")
    with open("/proc/loadavg") as f:
        print("load average after:", f.read().strip())


if __name__ == "__main__":
    main()
