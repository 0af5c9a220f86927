// A tracing session over perf_event_open: a set of tracepoints
// ("system:name"), one ring buffer per CPU, samples with time (CLOCK_MONOTONIC,
// converted to wall-clock in the output), cpu, pid/tid and the raw record.
//
// Realtime mode drains the rings continuously into a perf.data file and/or a
// callback. Circular mode (the flight recorder) keeps the most recent bytes
// per CPU in memory and writes them out on save() or at stop().
//
// Single-threaded: call everything from one thread (the tools' main loop),
// except request_stop(), which any thread or signal handler may call. The
// library installs no signal handler: the program decides what its signals
// do, and calls request_stop() from its own handler if a signal should stop
// the session.
#pragma once

#include <ehtrace/collect/tracefs_cache.hpp>
#include <ehtrace/decode/sample.hpp>
#include <ehtrace/decode/tracepoint_layout.hpp>

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ehtrace {
class perf_data_writer;
}

namespace ehtrace::collect {

// A thread to record, rather than the whole system.
struct task_target {
    int tid = 0;
    // Also the threads and processes it creates once recording runs (perf's
    // inherit): a process's threads, a command's children.
    bool inherit = true;
};

struct session_options {
    std::string tracefs;  // tracing directory; "" = find it
    // Only these threads (their events on every CPU); empty: every task.
    std::vector<task_target> targets;
    // COMM, FORK and EXIT records in the output (the names of the threads
    // that exist at start() too), so readers show command names.
    bool task_records = true;
    // Kernel ring buffer per CPU, rounded up to a power-of-two number of pages
    // (at least one page).
    std::size_t ring_bytes = 1u << 20;
    // Circular mode: bytes of samples kept per CPU (0 = realtime mode).
    std::size_t circular_bytes_per_cpu = 0;
    // How long poll() sleeps at most before draining anyway.
    int drain_interval_ms = 100;
};

// One sample as it leaves a ring (or the flight recorder).
struct collected_sample {
    const tracepoint_meta* tracepoint = nullptr;
    const decode::tracepoint_layout* format = nullptr;  // parsed `tracepoint->format`
    std::uint64_t time_ns = 0;                          // CLOCK_MONOTONIC
    std::uint64_t wall_time_ns = 0;                     // nanoseconds since 1970 UTC
    std::uint32_t cpu = 0, pid = 0, tid = 0;
    // The thread's name when known (task_records: the names at start() and
    // the COMM records since), else empty. Valid during the callback.
    std::string_view comm;
    std::span<const std::byte> raw;  // the tracepoint record, common fields first
};

struct session_stats {
    std::uint64_t samples = 0;       // samples taken from the rings
    std::uint64_t lost = 0;          // samples the kernel dropped (PERF_RECORD_LOST)
    std::uint64_t lost_records = 0;  // PERF_RECORD_LOST records seen
    std::uint64_t overwritten = 0;   // circular: samples pushed out by newer ones
    std::uint64_t written = 0;       // samples in the output file(s), all saves included
    std::uint64_t saved = 0;         // circular: samples in the file the last save() wrote
    int output_error = 0;            // first error writing the output (ENOSPC ...)
    std::vector<std::uint64_t> lost_per_cpu;
};

class session {
public:
    explicit session(session_options options = {});
    ~session();  // stop() if running
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    // The tracing directory; "" when none is usable (start() and add() then
    // fail with a sentence that says why).
    [[nodiscard]] const std::string& tracefs_dir() const noexcept;
    [[nodiscard]] tracefs_cache& cache() noexcept;

    // Adds a tracepoint "system:name" (no globs: see tracefs_cache::match).
    // Before start() or while running (then it is enabled at once). 0 or an
    // errno value; *error gets a sentence (no such tracepoint, not permitted,
    // tracefs missing).
    int add(std::string_view spec, std::string* error = nullptr);
    // Turns a tracepoint of the session on or off while running. 0, ENOENT
    // (not in the session) or an errno value from the kernel.
    int enable(std::string_view spec, bool on = true);

    // A kernel tracepoint filter (the tracefs filter syntax: "pid == 42 &&
    // prev_comm ~ \"bash*\"") for a tracepoint of the session, applied to its
    // perf events (now, when running; else at start). "" keeps it off perf
    // events attached later (not those already open). 0,
    // ENOENT (not in the session) or the kernel's errno (EINVAL: the kernel
    // rejected the expression) with *error set.
    int set_filter(std::string_view spec, std::string filter, std::string* error = nullptr);

    // Realtime output file (perf.data). Before start(). 0 or errno.
    int set_output(const std::string& path);
    // The same in perf's pipe layout (perf record -o -) to `fd`, which the
    // session does not close: stdout into `ehtrace-decode -` or `perf script
    // -i -`. Before start(). 0 or errno.
    int set_output_pipe(int fd);
    // Called for each sample in realtime mode, in per-CPU time order.
    void set_callback(std::function<void(const collected_sample&)> callback);

    // Opens one ring per CPU and the tracepoints' perf events, then enables
    // them. 0 or an errno value with *error set.
    int start(std::string* error = nullptr);
    [[nodiscard]] bool running() const noexcept;

    // Waits up to `timeout_ms` (-1: the drain interval) for ring data, then
    // drains every ring. Returns 0; EINTR when a signal interrupted the wait;
    // ECANCELED once request_stop() was called, without waiting (the rings
    // are drained in every case).
    int poll(int timeout_ms = -1);
    // Drains every ring now.
    void drain();

    // Circular mode: writes the samples kept so far to `path` (perf.data),
    // oldest first; the flight recorder keeps them. 0 or errno.
    int save(const std::string& path);

    // Asks the loop calling poll() to end: a waiting poll() returns at once,
    // and every later one returns ECANCELED. Async-signal-safe and callable
    // from any thread (a lock-free store and a write to an eventfd); errno is
    // left as it was. The loop then calls stop() itself.
    void request_stop() noexcept;
    [[nodiscard]] bool stop_requested() const noexcept;

    // Drains, disables, closes the perf events and finishes the output file.
    // 0 or the output's first error (the file is still valid; see
    // perf_data_writer::close).
    int stop();

    [[nodiscard]] const session_stats& stats() const noexcept;
    // Wall-clock minus CLOCK_MONOTONIC, measured at construction.
    [[nodiscard]] std::int64_t wall_minus_clock_ns() const noexcept;
    [[nodiscard]] std::vector<const tracepoint_meta*> tracepoints() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// The decoded-sample view of a collected sample, for the decoder's
// formatters (decode::append_json and the others). Valid until the decoder's
// next call.
const decode::decoded_sample& decode_sample(decode::sample_decoder& decoder, const collected_sample& sample);

}  // namespace ehtrace::collect
