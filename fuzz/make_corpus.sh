#!/usr/bin/env bash
# Regenerates the seed files of fuzz/corpus/ (the files libFuzzer added while
# fuzzing stay). Needs a built fuzz_seed_generator (cmake --preset fuzz &&
# cmake --build --preset fuzz --target fuzz_seed_generator); the perf
# recordings need Debian's perf and tracefs (run as root), the format files
# the kernel's /sys/kernel/tracing/events/sched.
#   fuzz/make_corpus.sh [build dir, default build/fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/fuzz}
corpus=fuzz/corpus

"$build/fuzz/fuzz_seed_generator" "$corpus"

# Real perf.data from this machine's perf, file and pipe layouts, kept tiny.
if command -v perf >/dev/null; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    perf record -q -e sched:sched_process_exec -o "$tmp/file.data" -- /bin/true >/dev/null 2>&1 &&
        cp "$tmp/file.data" "$corpus/perf_data/perf-record-file.data"
    perf record -q -e sched:sched_process_exec -o - -- /bin/true >"$tmp/pipe.data" 2>/dev/null &&
        cp "$tmp/pipe.data" "$corpus/perf_data/perf-record-pipe.data"
    perf record -q -e sched:sched_process_exec -e sched:sched_process_exit -o - -- /bin/true \
        >"$tmp/pipe2.data" 2>/dev/null && cp "$tmp/pipe2.data" "$corpus/perf_data/perf-record-pipe-two-events.data"
fi

# The kernel's format files for the sched tracepoints.
events=/sys/kernel/tracing/events/sched
[[ -d $events ]] || events=/sys/kernel/debug/tracing/events/sched
if [[ -d $events ]]; then
    for name in sched_switch sched_process_exec sched_process_fork sched_wakeup sched_stat_runtime \
                sched_migrate_task sched_pi_setprio; do
        [[ -r $events/$name/format ]] && cp "$events/$name/format" "$corpus/tracepoint_layout/kernel-$name"
    done
fi
chmod -R u=rwX,go=rX "$corpus"
du -sh "$corpus"
