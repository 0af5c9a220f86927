// ehtrace-bench-count <case> <N>: writes N events of one case, for
// instruction counts that do not depend on how busy the machine is:
//
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect=bench_loop_enabled4
//            ehtrace-bench-count enabled4 20000
//
// counts only the loop (setup and registration are outside it). The cost of
// one event is (I(N2) - I(N1)) / (N2 - N1) minus the same figure for the
// "empty" case (the loop itself); bench/count_instructions.py does that.
//
// Cases: empty (the loop alone), disabled (a site whose tracepoint is not
// enabled), enabled4 (the 4-field event into counting_sink), dynamic4 (the
// same event through a reused dynamic builder), mixed, dynamic_mixed (the
// wider event both ways), enabled4_noop and dynamic4_noop (the 4-field
// event into a sink that does nothing, without counting_sink's atomics),
// nested_noop, dynamic_nested_noop, enabled64_noop and dynamic64_noop (the
// nested and 64-field events both ways into that sink, the shapes compared
// with the reference implementation's in issue 18); capture4 (the 4-field
// event recorded by the perf.data recorder, EHTRACE_CAPTURE's capture_sink,
// into a file in /dev/shm or /tmp, removed at the end; under valgrind the
// clock is read through a system call, not the vDSO, so the clock_gettime
// path's user-space cost is undercounted); "all" runs each once.
// The values come from another translation unit (bench_values.cpp).
#include "bench_events.hpp"

#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include <ehtrace/sink.hpp>

EHTRACE_PROVIDER(count_off, "EhtraceBench_Off");
EHTRACE_PROVIDER(count_on, "EhtraceBench");
EHTRACE_PROVIDER(count_noop, "EhtraceBench_Noop");
EHTRACE_PROVIDER(count_capture, "EhtraceBench_Capture");

namespace {

using ehtrace_bench::mixed_values;
using ehtrace_bench::nested_values;
using ehtrace_bench::values4;
using ehtrace_bench::values64;

// Each iteration ends with a compiler barrier, so no load or store of one
// event is merged with the next; the empty case has the same barrier.
inline void barrier() noexcept { asm volatile("" ::: "memory"); }

ehtrace::dynamic::event_set* dynamic_set = nullptr;
ehtrace::dynamic::event_set* noop_set = nullptr;
ehtrace::dynamic::event_builder* builder = nullptr;
ehtrace::capture_sink* capture = nullptr;

}  // namespace

// The loops: extern "C" and not inlined, so callgrind's --toggle-collect
// can name them.
extern "C" {

__attribute__((noinline)) void bench_loop_empty(unsigned long n) {
    for (unsigned long i = 0; i < n; ++i) barrier();
}

// One loop per case: N events, each followed by the barrier.
#define EHTRACE_BENCH_LOOP(name, values, ...)                                            \
    __attribute__((noinline)) void bench_loop_##name(unsigned long n, const values& v) { \
        for (unsigned long i = 0; i < n; ++i) {                                          \
            (void)(__VA_ARGS__);                                                         \
            barrier();                                                                   \
        }                                                                                \
    }

EHTRACE_BENCH_LOOP(disabled, values4, EHTRACE_BENCH_WRITE4(count_off, v))
EHTRACE_BENCH_LOOP(enabled4, values4, EHTRACE_BENCH_WRITE4(count_on, v))
EHTRACE_BENCH_LOOP(dynamic4, values4, ehtrace_bench::write_dynamic4(*builder, *dynamic_set, v))
EHTRACE_BENCH_LOOP(enabled4_noop, values4, EHTRACE_BENCH_WRITE4(count_noop, v))
EHTRACE_BENCH_LOOP(dynamic4_noop, values4, ehtrace_bench::write_dynamic4(*builder, *noop_set, v))
EHTRACE_BENCH_LOOP(mixed, mixed_values, EHTRACE_BENCH_WRITE_MIXED(count_on, v))
EHTRACE_BENCH_LOOP(dynamic_mixed, mixed_values, ehtrace_bench::write_dynamic_mixed(*builder, *dynamic_set, v))
EHTRACE_BENCH_LOOP(nested_noop, nested_values, EHTRACE_BENCH_WRITE_NESTED(count_noop, v))
EHTRACE_BENCH_LOOP(dynamic_nested_noop, nested_values, ehtrace_bench::write_dynamic_nested(*builder, *noop_set, v))
EHTRACE_BENCH_LOOP(enabled64_noop, values64, EHTRACE_BENCH_WRITE64(count_noop, v))
EHTRACE_BENCH_LOOP(dynamic64_noop, values64, ehtrace_bench::write_dynamic64(*builder, *noop_set, v))
EHTRACE_BENCH_LOOP(capture4, values4, EHTRACE_BENCH_WRITE4(count_capture, v))

}  // extern "C"

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: ehtrace-bench-count <case> <N>\n"
                 "cases: empty disabled enabled4 dynamic4 enabled4_noop dynamic4_noop mixed dynamic_mixed\n"
                 "       nested_noop dynamic_nested_noop enabled64_noop dynamic64_noop capture4 all\n");
    return 2;
}

// Runs one case; returns the events the sink counted, or -1 for an unknown case.
long long run_case(std::string_view name, unsigned long n, const ehtrace::counting_sink& sink) {
    const values4& v4 = ehtrace_bench::shared_values4();
    const mixed_values& vm = ehtrace_bench::shared_mixed_values();
    const nested_values& vn = ehtrace_bench::shared_nested_values();
    const values64& v64 = ehtrace_bench::shared_values64();
    const std::uint64_t before = sink.events();
    if (name == "empty") {
        bench_loop_empty(n);
    } else if (name == "disabled") {
        bench_loop_disabled(n, v4);
    } else if (name == "enabled4") {
        bench_loop_enabled4(n, v4);
    } else if (name == "dynamic4") {
        bench_loop_dynamic4(n, v4);
    } else if (name == "enabled4_noop") {
        bench_loop_enabled4_noop(n, v4);
    } else if (name == "dynamic4_noop") {
        bench_loop_dynamic4_noop(n, v4);
    } else if (name == "mixed") {
        bench_loop_mixed(n, vm);
    } else if (name == "dynamic_mixed") {
        bench_loop_dynamic_mixed(n, vm);
    } else if (name == "nested_noop") {
        bench_loop_nested_noop(n, vn);
    } else if (name == "dynamic_nested_noop") {
        bench_loop_dynamic_nested_noop(n, vn);
    } else if (name == "enabled64_noop") {
        bench_loop_enabled64_noop(n, v64);
    } else if (name == "dynamic64_noop") {
        bench_loop_dynamic64_noop(n, v64);
    } else if (name == "capture4") {
        // The recorder's own count: recorded events (none lost with its large ring).
        const std::uint64_t recorded = capture->stats().events;
        bench_loop_capture4(n, v4);
        return static_cast<long long>(capture->stats().events - recorded);
    } else {
        return -1;
    }
    return static_cast<long long>(sink.events() - before);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) return usage();
    char* end = nullptr;
    const unsigned long n = std::strtoul(argv[2], &end, 10);
    if (end == argv[2] || *end != '\0') return usage();

    // Never destroyed: nothing at exit writes to a dead sink.
    auto* sink = new ehtrace::counting_sink;
    ehtrace::sink* previous = ehtrace::set_sink(sink);
    int error = count_on.register_events();
    auto* provider = new ehtrace::dynamic::provider("EhtraceBench");
    dynamic_set = provider->register_set(4, 0);
    ehtrace::set_sink(previous);
    auto* noop = new ehtrace_bench::noop_sink;
    ehtrace::set_sink(noop);
    if (error == 0) error = count_noop.register_events();
    auto* noop_provider = new ehtrace::dynamic::provider("EhtraceBench_Noop");
    noop_set = noop_provider->register_set(4, 0);
    ehtrace::set_sink(previous);
    builder = new ehtrace::dynamic::event_builder;
    // The recorder: a ring large enough that no event of a run is lost.
    const char* dir = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    const std::string capture_path = std::string(dir) + "/ehtrace-bench-count-" + std::to_string(::getpid()) + ".data";
    ehtrace::capture_sink::recorder_options options;
    options.thread_buffer_bytes = std::size_t{64} << 20;
    int capture_error = 0;
    std::unique_ptr<ehtrace::capture_sink> capture_owner =
        ehtrace::capture_sink::open(capture_path, capture_error, options);
    capture = capture_owner.release();                       // never destroyed, like the other sinks
    if (capture != nullptr) ::unlink(capture_path.c_str());  // the recorder writes through its descriptor
    if (capture != nullptr) {
        ehtrace::set_sink(capture);
        capture_error = count_capture.register_events();
        ehtrace::set_sink(previous);
    }
    if (capture == nullptr || capture_error != 0) {
        std::fprintf(stderr, "ehtrace-bench-count: cannot record to %s: %s\n", capture_path.c_str(),
                     std::strerror(capture_error));
        return 1;
    }
    // The thread's first event (its ring, the writer thread), then time for
    // the writer to fit the TSC clock (its passes are 50 ms apart), so that
    // the loop counts the steady state.
    if (EHTRACE_BENCH_WRITE4(count_capture, ehtrace_bench::shared_values4()) != 0) return 1;
    const ::timespec settle{0, 250000000};
    ::nanosleep(&settle, nullptr);
    if (error != 0 || dynamic_set == nullptr || dynamic_set->registration_error() != 0 || noop_set == nullptr ||
        noop_set->registration_error() != 0) {
        std::fprintf(stderr, "ehtrace-bench-count: registration with the counting sink failed\n");
        return 1;
    }

    // The no-op sink counts nothing: its events are checked once here.
    if (EHTRACE_BENCH_WRITE4(count_noop, ehtrace_bench::shared_values4()) != 0 ||
        EHTRACE_BENCH_WRITE_NESTED(count_noop, ehtrace_bench::shared_nested_values()) != 0 ||
        EHTRACE_BENCH_WRITE64(count_noop, ehtrace_bench::shared_values64()) != 0 ||
        ehtrace_bench::write_dynamic4(*builder, *noop_set, ehtrace_bench::shared_values4()) != 0 ||
        ehtrace_bench::write_dynamic_nested(*builder, *noop_set, ehtrace_bench::shared_nested_values()) != 0 ||
        ehtrace_bench::write_dynamic64(*builder, *noop_set, ehtrace_bench::shared_values64()) != 0) {
        std::fprintf(stderr, "ehtrace-bench-count: an event into the no-op sink fails\n");
        return 1;
    }

    const std::string_view which = argv[1];
    static constexpr std::string_view all[] = {
        "empty",          "disabled",       "enabled4",      "dynamic4",    "enabled4_noop",
        "dynamic4_noop",  "mixed",          "dynamic_mixed", "nested_noop", "dynamic_nested_noop",
        "enabled64_noop", "dynamic64_noop", "capture4"};
    for (std::string_view name : all) {
        if (which != "all" && which != name) continue;
        const long long events = run_case(name, n, *sink);
        const bool writes = name != "empty" && name != "disabled" && !name.ends_with("_noop");
        if (events != (writes ? static_cast<long long>(n) : 0)) {
            std::fprintf(stderr, "ehtrace-bench-count: %.*s wrote %lld events, expected %lu\n",
                         static_cast<int>(name.size()), name.data(), events, writes ? n : 0ul);
            return 1;
        }
        std::printf("%.*s %lu\n", static_cast<int>(name.size()), name.data(), n);
        if (which != "all") return 0;
    }
    if (which != "all") return usage();
    return 0;
}
