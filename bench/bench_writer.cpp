// Write-side benchmarks: a disabled site, enabled compile-time and dynamic
// events into a null sink (counting_sink: measures encoding and dispatch,
// not the kernel), and capture files on tmpfs.
#include "bench_events.hpp"

#include <benchmark/benchmark.h>

#include <sys/stat.h>
#include <unistd.h>
#include <barrier>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <ehtrace/sink.hpp>

// Never registered: every site of this provider stays disabled.
EHTRACE_PROVIDER(bench_off, "EhtraceBench_Off");
// Registered with a counting sink on first use.
EHTRACE_PROVIDER(bench_on, "EhtraceBench");
// Registered with a no-op sink on first use.
EHTRACE_PROVIDER(bench_noop, "EhtraceBench_Noop");
// Registered with a capture sink for the duration of one capture benchmark.
EHTRACE_PROVIDER(bench_capture, "EhtraceBench_Capture");

namespace {

using ehtrace_bench::mixed_values;
using ehtrace_bench::nested_values;
using ehtrace_bench::values4;
using ehtrace_bench::values64;

// The null sink and what is registered with it; never destroyed, so nothing
// runs against a dead sink during exit.
struct null_sink_setup {
    ehtrace::counting_sink* sink = new ehtrace::counting_sink;
    ehtrace::dynamic::provider* dynamic_provider = nullptr;
    ehtrace::dynamic::event_set* dynamic_set = nullptr;
    int error = 0;

    null_sink_setup() {
        ehtrace::sink* previous = ehtrace::set_sink(sink);
        error = bench_on.register_events();
        dynamic_provider = new ehtrace::dynamic::provider("EhtraceBench");
        dynamic_set = dynamic_provider->register_set(4, 0);
        ehtrace::set_sink(previous);
        if (error == 0 && dynamic_set == nullptr) error = EINVAL;
        if (error == 0) error = dynamic_set->registration_error();
    }
};

null_sink_setup& null_sink() {
    static null_sink_setup* setup = new null_sink_setup;
    return *setup;
}

struct noop_sink_setup {
    ehtrace_bench::noop_sink* sink = new ehtrace_bench::noop_sink;
    ehtrace::dynamic::provider* dynamic_provider = nullptr;
    ehtrace::dynamic::event_set* dynamic_set = nullptr;
    int error = 0;

    noop_sink_setup() {
        ehtrace::sink* previous = ehtrace::set_sink(sink);
        error = bench_noop.register_events();
        dynamic_provider = new ehtrace::dynamic::provider("EhtraceBench_Noop");
        dynamic_set = dynamic_provider->register_set(4, 0);
        ehtrace::set_sink(previous);
        if (error == 0 && dynamic_set == nullptr) error = EINVAL;
        if (error == 0) error = dynamic_set->registration_error();
    }
};

noop_sink_setup& noop_sink() {
    static noop_sink_setup* setup = new noop_sink_setup;
    return *setup;
}

// The values come from another translation unit (bench_values.cpp), so
// nothing about them is folded into the loops.
template <class Write>
void enabled_benchmark(benchmark::State& state, int setup_error, const ehtrace::counting_sink* counting, Write write) {
    if (setup_error != 0 || write() != 0) state.SkipWithError("the event cannot be written");
    std::uint64_t events = counting != nullptr ? counting->events() : 0;
    std::uint64_t bytes = counting != nullptr ? counting->bytes() : 0;
    for (auto _ : state) {
        int result = write();
        benchmark::DoNotOptimize(result);
    }
    if (counting != nullptr && counting->events() != events) {
        state.counters["bytes_per_event"] =
            static_cast<double>(counting->bytes() - bytes) / static_cast<double>(counting->events() - events);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_DisabledEvent(benchmark::State& state) {
    const values4& v = ehtrace_bench::shared_values4();
    if (EHTRACE_BENCH_WRITE4(bench_off, v) != EBADF) state.SkipWithError("the disabled site is enabled");
    for (auto _ : state) {
        int result = EHTRACE_BENCH_WRITE4(bench_off, v);
        benchmark::DoNotOptimize(result);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DisabledEvent);

void BM_EnabledEvent4Fields(benchmark::State& state) {
    null_sink_setup& setup = null_sink();
    const values4& v = ehtrace_bench::shared_values4();
    enabled_benchmark(state, setup.error, setup.sink, [&] { return EHTRACE_BENCH_WRITE4(bench_on, v); });
}
BENCHMARK(BM_EnabledEvent4Fields);

void BM_DynamicEvent4Fields(benchmark::State& state) {
    null_sink_setup& setup = null_sink();
    ehtrace::dynamic::event_builder builder;
    const values4& v = ehtrace_bench::shared_values4();
    enabled_benchmark(state, setup.error, setup.sink,
                      [&] { return ehtrace_bench::write_dynamic4(builder, *setup.dynamic_set, v); });
}
BENCHMARK(BM_DynamicEvent4Fields);

// Diagnostics: the same two events into a sink that does nothing.
void BM_EnabledEvent4FieldsNoopSink(benchmark::State& state) {
    noop_sink_setup& setup = noop_sink();
    const values4& v = ehtrace_bench::shared_values4();
    enabled_benchmark(state, setup.error, nullptr, [&] { return EHTRACE_BENCH_WRITE4(bench_noop, v); });
}
BENCHMARK(BM_EnabledEvent4FieldsNoopSink);

void BM_DynamicEvent4FieldsNoopSink(benchmark::State& state) {
    noop_sink_setup& setup = noop_sink();
    ehtrace::dynamic::event_builder builder;
    const values4& v = ehtrace_bench::shared_values4();
    enabled_benchmark(state, setup.error, nullptr,
                      [&] { return ehtrace_bench::write_dynamic4(builder, *setup.dynamic_set, v); });
}
BENCHMARK(BM_DynamicEvent4FieldsNoopSink);

void BM_EnabledEventMixed(benchmark::State& state) {
    null_sink_setup& setup = null_sink();
    const mixed_values& v = ehtrace_bench::shared_mixed_values();
    enabled_benchmark(state, setup.error, setup.sink, [&] { return EHTRACE_BENCH_WRITE_MIXED(bench_on, v); });
}
BENCHMARK(BM_EnabledEventMixed);

void BM_DynamicEventMixed(benchmark::State& state) {
    null_sink_setup& setup = null_sink();
    ehtrace::dynamic::event_builder builder;
    const mixed_values& v = ehtrace_bench::shared_mixed_values();
    enabled_benchmark(state, setup.error, setup.sink,
                      [&] { return ehtrace_bench::write_dynamic_mixed(builder, *setup.dynamic_set, v); });
}
BENCHMARK(BM_DynamicEventMixed);

// Issue 18's shapes, into the sink that does nothing (as the reference
// implementation was measured): the nested event and the 64-field event.
void BM_EnabledEventNestedNoopSink(benchmark::State& state) {
    noop_sink_setup& setup = noop_sink();
    const nested_values& v = ehtrace_bench::shared_nested_values();
    enabled_benchmark(state, setup.error, nullptr, [&] { return EHTRACE_BENCH_WRITE_NESTED(bench_noop, v); });
}
BENCHMARK(BM_EnabledEventNestedNoopSink);

void BM_DynamicEventNestedNoopSink(benchmark::State& state) {
    noop_sink_setup& setup = noop_sink();
    ehtrace::dynamic::event_builder builder;
    const nested_values& v = ehtrace_bench::shared_nested_values();
    enabled_benchmark(state, setup.error, nullptr,
                      [&] { return ehtrace_bench::write_dynamic_nested(builder, *setup.dynamic_set, v); });
}
BENCHMARK(BM_DynamicEventNestedNoopSink);

void BM_EnabledEvent64FieldsNoopSink(benchmark::State& state) {
    noop_sink_setup& setup = noop_sink();
    const values64& v = ehtrace_bench::shared_values64();
    enabled_benchmark(state, setup.error, nullptr, [&] { return EHTRACE_BENCH_WRITE64(bench_noop, v); });
}
BENCHMARK(BM_EnabledEvent64FieldsNoopSink);

void BM_DynamicEvent64FieldsNoopSink(benchmark::State& state) {
    noop_sink_setup& setup = noop_sink();
    ehtrace::dynamic::event_builder builder;
    const values64& v = ehtrace_bench::shared_values64();
    enabled_benchmark(state, setup.error, nullptr,
                      [&] { return ehtrace_bench::write_dynamic64(builder, *setup.dynamic_set, v); });
}
BENCHMARK(BM_DynamicEvent64FieldsNoopSink);

// --- capture files -----------------------------------------------------------

// A directory on tmpfs: EHTRACE_BENCH_CAPTURE_DIR, else /dev/shm, else /tmp.
std::string capture_path(const char* extension) {
    std::string dir;
    if (const char* env = std::getenv("EHTRACE_BENCH_CAPTURE_DIR"); env != nullptr && *env != '\0') {
        dir = env;
    } else if (::access("/dev/shm", W_OK) == 0) {
        dir = "/dev/shm";
    } else {
        dir = "/tmp";
    }
    return dir + "/ehtrace-bench-" + std::to_string(::getpid()) + extension;
}

// Shared by the threads of one capture benchmark: thread 0 opens the sink
// and registers before the timed loop (Google Benchmark starts every
// thread's loop together) and cleans up after it.
struct capture_run {
    std::unique_ptr<ehtrace::capture_sink> sink;
    std::unique_ptr<ehtrace::dynamic::provider> dynamic_provider;
    ehtrace::dynamic::event_set* dynamic_set = nullptr;
    std::string path;
};
capture_run capture_state;

// Thread 0: opens the capture file and registers the benchmark's events with it.
void open_capture(benchmark::State& state, const char* extension,
                  ehtrace::capture_sink::recorder_options options = {}) {
    capture_state.path = capture_path(extension);
    int error = 0;
    capture_state.sink = ehtrace::capture_sink::open(capture_state.path, error, options);
    if (!capture_state.sink) {
        state.SkipWithError(("cannot open " + capture_state.path + ": " + std::strerror(error)).c_str());
    } else {
        ehtrace::sink* previous = ehtrace::set_sink(capture_state.sink.get());
        capture_state.dynamic_provider = std::make_unique<ehtrace::dynamic::provider>("EhtraceBench_CaptureDynamic");
        capture_state.dynamic_set = capture_state.dynamic_provider->register_set(4, 0);
        if (bench_capture.register_events() != 0 || capture_state.dynamic_set == nullptr ||
            capture_state.dynamic_set->registration_error() != 0) {
            state.SkipWithError("registration with the capture sink failed");
        }
        ehtrace::set_sink(previous);
    }
}

// Thread 0, after the timed loop: what open_capture() registered, before the sink closes.
void unregister_capture_events() {
    bench_capture.unregister_events();
    capture_state.dynamic_set = nullptr;
    capture_state.dynamic_provider.reset();
}

void capture_benchmark(benchmark::State& state, const char* extension, long pace_ns = 0,
                       ehtrace::capture_sink::recorder_options options = {}) {
    if (state.thread_index() == 0) open_capture(state, extension, options);
    const values4& v = ehtrace_bench::shared_values4();
    if (pace_ns == 0) {
        for (auto _ : state) {
            int result = EHTRACE_BENCH_WRITE4(bench_capture, v);
            benchmark::DoNotOptimize(result);
        }
    } else {
        // One event every pace_ns, on a busy clock: a sustained rate.
        auto next = std::chrono::steady_clock::now();
        for (auto _ : state) {
            int result = EHTRACE_BENCH_WRITE4(bench_capture, v);
            benchmark::DoNotOptimize(result);
            next += std::chrono::nanoseconds(pace_ns);
            while (std::chrono::steady_clock::now() < next) {}
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    if (state.thread_index() == 0) {
        unregister_capture_events();
        if (capture_state.sink) {
            capture_state.sink->finish();
            if (capture_state.sink->kind() == ehtrace::capture_sink::file_kind::perf_data) {
                // The recorder never blocks: what did not fit is counted, not written.
                const auto stats = capture_state.sink->stats();
                state.counters["lost_pct"] =
                    stats.events + stats.lost == 0
                        ? 0.0
                        : 100.0 * static_cast<double>(stats.lost) / static_cast<double>(stats.events + stats.lost);
            }
            struct ::stat st {};
            if (::stat(capture_state.path.c_str(), &st) == 0) {
                state.counters["file_MB"] = static_cast<double>(st.st_size) / (1 << 20);
            }
            capture_state.sink.reset();
            ::unlink(capture_state.path.c_str());
        }
    }
}

// The .dat capture layout: one writev with O_APPEND per event.
void BM_CaptureFile(benchmark::State& state) { capture_benchmark(state, ".dat"); }
BENCHMARK(BM_CaptureFile)->Threads(1)->Threads(2)->UseRealTime();

// EHTRACE_CAPTURE=x.data: the recorder (per-thread rings, a writer thread),
// flat out. lost_pct: events that found their ring full (counted, not
// written); the time per event covers them too.
void BM_CapturePerfData(benchmark::State& state) { capture_benchmark(state, ".data"); }
BENCHMARK(BM_CapturePerfData)->Threads(1)->Threads(2)->UseRealTime();

// The recorder's cost per recorded event, none lost: 64 MiB rings take the
// 300,000 timed events of each thread (~40 MB) while the writer drains
// them. Each thread first writes 600,000 events untimed, so every page of
// its ring has been touched once (as in a program that has run a while: a
// first touch costs a page fault, microseconds in a VM), and the recorder
// writes them out; lost counts the timed events only.
std::barrier<>* no_loss_sync[3] = {nullptr, new std::barrier<>(1), new std::barrier<>(2)};

template <class Write>
void capture_no_loss(benchmark::State& state, bool tsc_clock, Write write) {
    constexpr int warm_up = 600000;
    std::barrier<>& sync = *no_loss_sync[state.threads()];
    if (state.thread_index() == 0) {
        ehtrace::capture_sink::recorder_options options;
        options.thread_buffer_bytes = std::size_t{64} << 20;
        options.tsc_clock = tsc_clock;
        open_capture(state, ".data", options);
    }
    sync.arrive_and_wait();
    for (int i = 0; i < warm_up; ++i) benchmark::DoNotOptimize(write());
    sync.arrive_and_wait();
    static std::uint64_t lost_before = 0;
    if (state.thread_index() == 0 && capture_state.sink) {
        capture_state.sink->dump();
        lost_before = capture_state.sink->stats().lost;
    }
    sync.arrive_and_wait();
    for (auto _ : state) {
        int result = write();
        benchmark::DoNotOptimize(result);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    if (state.thread_index() == 0) {
        unregister_capture_events();
        if (capture_state.sink) {
            capture_state.sink->finish();
            state.counters["lost"] = static_cast<double>(capture_state.sink->stats().lost - lost_before);
            capture_state.sink.reset();
            ::unlink(capture_state.path.c_str());
        }
    }
}

auto write4_captured() {
    return [&v = ehtrace_bench::shared_values4()] { return EHTRACE_BENCH_WRITE4(bench_capture, v); };
}

void BM_CapturePerfDataNoLoss(benchmark::State& state) { capture_no_loss(state, true, write4_captured()); }
BENCHMARK(BM_CapturePerfDataNoLoss)->Iterations(300000)->Threads(1)->Threads(2)->UseRealTime();

// The same with clock_gettime for every event (EHTRACE_CAPTURE_CLOCK=monotonic)
// instead of the TSC: what the clock costs.
void BM_CapturePerfDataNoLossMonotonic(benchmark::State& state) { capture_no_loss(state, false, write4_captured()); }
BENCHMARK(BM_CapturePerfDataNoLossMonotonic)->Iterations(300000)->Threads(1)->UseRealTime();

// The dynamic builder's 4-field event into the recorder (what an exporter
// that builds its events at run time pays while capturing), one builder
// per thread.
void BM_CapturePerfDataNoLossDynamic(benchmark::State& state) {
    ehtrace::dynamic::event_builder builder;
    const values4& v = ehtrace_bench::shared_values4();
    capture_no_loss(state, true, [&] {
        return capture_state.dynamic_set == nullptr
                   ? EBADF
                   : ehtrace_bench::write_dynamic4(builder, *capture_state.dynamic_set, v);
    });
}
BENCHMARK(BM_CapturePerfDataNoLossDynamic)->Iterations(300000)->Threads(1)->UseRealTime();

// The recorder at a sustained 1 M events/s for 2 s (one thread), in each
// of the three modes for a late writer (EHTRACE_CAPTURE_OVERFLOW): lost_pct
// must be 0. The pacing catches up after the thread was not scheduled, so
// on a busy machine the events come in bursts (flat out until on time).
using overflow = ehtrace::capture_sink::recorder_options::overflow;
void sustained(benchmark::State& state, overflow when_late) {
    ehtrace::capture_sink::recorder_options options;
    options.when_late = when_late;
    capture_benchmark(state, ".data", 1000, options);
}
void BM_CapturePerfDataSustained1M(benchmark::State& state) { sustained(state, overflow::help); }
BENCHMARK(BM_CapturePerfDataSustained1M)->Iterations(2000000)->UseRealTime();
// drop: what help saves. wait: nothing lost by construction; the time shows what the waits cost.
void BM_CapturePerfDataSustained1MDrop(benchmark::State& state) { sustained(state, overflow::drop); }
BENCHMARK(BM_CapturePerfDataSustained1MDrop)->Iterations(2000000)->UseRealTime();
void BM_CapturePerfDataSustained1MWait(benchmark::State& state) { sustained(state, overflow::wait); }
BENCHMARK(BM_CapturePerfDataSustained1MWait)->Iterations(2000000)->UseRealTime();

}  // namespace
