// Where tracepoint writes go. The kernel (user_events) is the default; a
// process can send everything to a capture file instead (EHTRACE_CAPTURE or
// set_sink), and tests and benchmarks can plug in their own sink.
//
// A tracepoint stays with the sink it was registered with until it is
// unregistered, so set_sink affects registrations that follow it: call it
// before registering providers.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <ehtrace/tracepoint.hpp>

namespace ehtrace {

// class sink, the interface every sink implements, is in tracepoint.hpp.

// The kernel's user_events (the default).
sink& kernel_sink() noexcept;

// The sink the next registration uses: the one set with set_sink, else a
// capture sink for EHTRACE_CAPTURE=<path> if set, else the kernel.
sink& current_sink() noexcept;

// Sends the registrations that follow to `s` (nullptr: back to the default).
// `s` must outlive every tracepoint registered with it. Returns the previous.
// The built-in sinks (kernel, EHTRACE_CAPTURE) are never destroyed, so static
// tracepoints can be unregistered even during exit.
sink* set_sink(sink* s) noexcept;

// An always-enabled sink that counts events and bytes and keeps nothing: the
// "null sink" of benchmarks. Each thread counts in a slot of its own (plain
// stores, no read-modify-write), so counting costs next to nothing and
// threads do not contend; the totals add the slots up.
class counting_sink final : public sink {
public:
    counting_sink() noexcept;
    ~counting_sink() override;
    counting_sink(const counting_sink&) = delete;
    counting_sink& operator=(const counting_sink&) = delete;

    int add(basic_tracepoint& tp) noexcept override;
    void remove(basic_tracepoint& tp) noexcept override;
    int write(const basic_tracepoint& tp, ::iovec* iov, int iovcnt, std::size_t size) noexcept override;
    std::string describe() const override { return "counting sink (events are counted, not kept)"; }

    // Totals of the counts made so far (exact for threads that have finished
    // writing, e.g. after join()).
    std::uint64_t events() const noexcept;
    std::uint64_t bytes() const noexcept;

private:
    struct slot;
    slot* thread_slot() noexcept;
    slot* first_slot_of_thread() noexcept;

    std::uint64_t instance_;  // keys the per-thread slot cache; never reused
    std::atomic<slot*> slots_{nullptr};
};

// An always-enabled sink that keeps every event in memory: for unit tests of
// instrumentation.
class memory_sink final : public sink {
public:
    struct record {
        std::string tracepoint_name;
        std::vector<std::uint8_t> bytes;  // the event, header onward
    };

    int add(basic_tracepoint& tp) noexcept override;
    void remove(basic_tracepoint& tp) noexcept override;
    int write(const basic_tracepoint& tp, ::iovec* iov, int iovcnt, std::size_t size) noexcept override;
    std::string describe() const override { return "in-memory sink"; }

    std::vector<record> records() const;
    std::vector<std::string> registered_commands() const;
    void clear();

private:
    mutable std::mutex mutex_;
    std::vector<record> records_;
    std::vector<std::string> commands_;
};

// Sends every event to a file: the capture record layout (".dat": u32
// record size, tracepoint name and NUL, event bytes; no time, pid, tid or
// cpu), or, for any other extension, perf.data through a recorder.
//
// perf.data (recommended): each thread appends finished sample records
// (time, pid, tid, cpu) to a ring of its own, with no lock and no system
// call per event; a writer thread writes the rings every flush interval (or
// when one is a quarter full) with a FINISHED_ROUND after each pass. The file is
// readable at every moment: a crash loses what the rings held, at most one
// flush interval. An event that finds its thread's ring full is not written
// and is counted; the count goes into the file as a PERF_RECORD_LOST. A
// forked child records into "<path>.<child pid>". A flight-recorder mode keeps
// the newest events in memory and writes them on dump(), an opt-in signal or
// the normal end. See docs/recorder.md.
//
// ".dat": one writev with O_APPEND per event, safe across threads and fork.
class capture_sink final : public sink {
public:
    enum class file_kind { dat, perf_data };

    struct recorder_options {
        std::size_t thread_buffer_bytes = std::size_t{4} << 20;  // per thread, rounded up to a power of two
        unsigned flush_interval_ms = 50;                         // 1 to 10000
        // Flight recorder when > 0: the writer thread keeps the most recent
        // records (about this many bytes, whole writer passes) in memory
        // instead of writing them; dump() (or a signal, see below) and the
        // normal end write them to the file, each event once.
        std::size_t flight_recorder_bytes = 0;
        // Event times from the TSC, converted to CLOCK_MONOTONIC with a line
        // the writer thread refits every pass, where the CPU has an invariant
        // TSC (docs/recorder.md); false: clock_gettime for every event
        // (EHTRACE_CAPTURE_CLOCK=monotonic).
        bool tsc_clock = true;
        // What a thread does when the writer thread is late (not scheduled
        // on a busy machine, or slower than the thread writes) and its ring
        // fills. See docs/recorder.md, "A late writer".
        enum class overflow : std::uint8_t {
            drop,  // nothing: an event that finds the ring full is lost (counted)
            help,  // the thread runs a writer pass itself when its ring is half
                   // or wholly full and no pass is running (never waits)
            wait,  // as help, and a full ring waits for the pass in progress:
                   // nothing is lost; the thread may wait for the disk
        };
        overflow when_late = overflow::help;  // EHTRACE_CAPTURE_OVERFLOW=drop|help|wait
    };
    struct recorder_stats {
        std::uint64_t events = 0;       // recorded into thread buffers
        std::uint64_t lost = 0;         // found a full buffer
        std::uint64_t overwritten = 0;  // flight recorder: dropped for newer ones
        int output_error = 0;           // the first write error (events after it are dropped)
    };

    // Opens (truncates) `path`; the format follows the extension. Returns
    // nullptr and sets `error` (an errno value) on failure.
    static std::unique_ptr<capture_sink> open(const std::string& path, int& error);
    static std::unique_ptr<capture_sink> open(const std::string& path, int& error, recorder_options options);
    ~capture_sink() override;

    int add(basic_tracepoint& tp) noexcept override;
    void remove(basic_tracepoint& tp) noexcept override;
    // perf.data: 0 also when the event was counted as lost (as the kernel
    // does when a perf buffer is full); EBADF after finish().
    int write(const basic_tracepoint& tp, ::iovec* iov, int iovcnt, std::size_t size) noexcept override;
    std::string describe() const override;

    // Completes the file (perf.data: writes what the buffers hold, stops the
    // writer thread, rewrites the header); idempotent. Writes fail after it.
    // Runs at normal process exit for the EHTRACE_CAPTURE sink.
    void finish() noexcept;

    // perf.data: what was recorded and lost so far (zeros for ".dat").
    recorder_stats stats() const noexcept;

    // perf.data: writes what the thread buffers (and a flight recorder's
    // memory) hold now, then goes on recording. 0 or an errno value.
    int dump() noexcept;
    // Opt-in signal handling; the library installs no handler otherwise.
    // dump_on_signal(sig): `sig` (e.g. SIGUSR2) makes the writer thread
    // dump within a flush interval. dump_on_fatal_signals(): SIGSEGV, SIGBUS,
    // SIGFPE, SIGILL and SIGABRT dump before the process dies (the handler
    // waits for the writer thread, at most 1 s, then the signal kills the
    // process as before). Both replace earlier handlers and apply to the
    // last sink they were called on. 0 or an errno value.
    int dump_on_signal(int sig) noexcept;
    int dump_on_fatal_signals() noexcept;

    file_kind kind() const noexcept { return kind_; }
    const std::string& path() const noexcept { return path_; }

    struct perf_state;  // the recorder (implementation)

private:
    capture_sink(int fd, std::string path, file_kind kind);
    int record(const basic_tracepoint& tp, ::iovec* iov, int iovcnt, std::size_t size) noexcept;

    int fd_;
    std::string path_;
    file_kind kind_;
    std::unique_ptr<perf_state> perf_;
};

}  // namespace ehtrace
