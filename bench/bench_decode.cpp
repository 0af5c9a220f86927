// Read-side benchmarks: a perf.data file of EventHeader events (made with
// the project's writers at benchmark start, cached on disk) decoded to JSON
// lines, or only enumerated field by field.
//
// Inputs, in EHTRACE_BENCH_CACHE_DIR (default /var/tmp/ehtrace-bench-cache),
// at least EHTRACE_BENCH_DECODE_MB megabytes each (default 100):
//   mixed:   3 "Bench4" events to 1 "BenchMixed" event (BM_DecodeJsonl, BM_EnumerateOnly);
//   4fields: "Bench4" events only (BM_DecodeJsonl4Fields, BM_EnumerateOnly4Fields),
//            which the "events per second" targets are about;
//   nested:  "BenchNested" events only (BM_DecodeJsonlNested, BM_EnumerateOnlyNested),
//            issue 18's mixed shape (uuid, strings, u32[16], nested structs).
#include "bench_events.hpp"

#include <benchmark/benchmark.h>

#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/event_enumerator.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>
#include <ehtrace/perf_data_writer.hpp>
#include <ehtrace/sink.hpp>

#ifndef EHTRACE_BENCH_VERSION
#define EHTRACE_BENCH_VERSION "dev"
#endif

// Registered with the generator's sink while an input is generated.
EHTRACE_PROVIDER(bench_gen, "EhtraceBench");

namespace {

namespace decode = ehtrace::decode;
using ehtrace_bench::mixed_values;
using ehtrace_bench::nested_values;
using ehtrace_bench::values4;

// Keeps the bytes of the last event written and the registered command.
class last_event_sink final : public ehtrace::sink {
public:
    int add(ehtrace::basic_tracepoint& tp) noexcept override {
        try {
            command = std::string(tp.command());
        } catch (...) {
            return ENOMEM;
        }
        tp.enable_word().store(1u << ehtrace::basic_tracepoint::enable_bit, std::memory_order_relaxed);
        return 0;
    }
    void remove(ehtrace::basic_tracepoint& tp) noexcept override {
        tp.enable_word().store(0, std::memory_order_relaxed);
    }
    int write(const ehtrace::basic_tracepoint&, ::iovec* iov, int iovcnt, std::size_t) noexcept override {
        event.clear();
        for (int i = 1; i < iovcnt; ++i) {
            const auto* data = static_cast<const std::byte*>(iov[i].iov_base);
            event.insert(event.end(), data, data + iov[i].iov_len);
        }
        return 0;
    }
    std::string describe() const override { return "benchmark input generator"; }

    std::string command;  // every site of bench_gen has the same tracepoint (level 4, keyword 0)
    std::vector<std::byte> event;
};

enum class shape { mixed, four_fields, nested };

std::uint64_t decode_megabytes() {
    if (const char* env = std::getenv("EHTRACE_BENCH_DECODE_MB"); env != nullptr && *env != '\0') {
        const unsigned long long mb = std::strtoull(env, nullptr, 10);
        if (mb > 0) return mb;
    }
    return 100;
}

std::string cache_dir() {
    if (const char* env = std::getenv("EHTRACE_BENCH_CACHE_DIR"); env != nullptr && *env != '\0') return env;
    return "/var/tmp/ehtrace-bench-cache";
}

std::uint64_t file_size(const std::string& path) {
    struct ::stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// Writes the input to `path`; "" or an error message.
std::string generate(const std::string& path, shape s, std::uint64_t min_bytes) {
    last_event_sink sink;
    ehtrace::sink* previous = ehtrace::set_sink(&sink);
    const int registration = bench_gen.register_events();
    ehtrace::set_sink(previous);
    struct unregister_at_exit {
        ~unregister_at_exit() { bench_gen.unregister_events(); }
    } unregister;
    if (registration != 0) return "registration with the generator sink failed";

    const std::string_view command = sink.command;
    const std::string name(command.substr(0, command.find(' ')));
    constexpr std::uint32_t id = 1000;
    const std::string format = ehtrace::synthesize_user_events_format(command, id);
    if (format.empty()) return "no tracefs format for " + sink.command;

    ehtrace::perf_data_writer writer;
    if (int error = writer.open(path.c_str()); error != 0) return path + ": " + std::strerror(error);
    const int tp = writer.add_tracepoint("user_events", name, format, id);
    if (tp < 0) return "add_tracepoint: " + std::string(std::strerror(-tp));

    values4 v4;
    mixed_values vm;
    nested_values vn;
    const auto pid = static_cast<std::uint32_t>(::getpid());
    std::uint64_t time_ns = 1'000'000'000;
    std::uint64_t written = 0;  // event bytes plus the 8 common bytes: a lower bound of the file size
    for (std::uint64_t i = 0; written < min_bytes; ++i) {
        int result = 0;
        if (s == shape::mixed && i % 4 == 3) {
            vm.status = 200 + static_cast<std::int32_t>(i % 7);
            vm.bytes = i * 13;
            vm.seconds = static_cast<double>(i) * 1e-6;
            vm.cached = (i & 8) != 0;
            vm.samples[0] = static_cast<std::uint32_t>(i);
            vm.activity.bytes[15] = static_cast<std::uint8_t>(i);
            result = EHTRACE_BENCH_WRITE_MIXED(bench_gen, vm);
        } else if (s == shape::nested) {
            vn.status = 200 + static_cast<std::int32_t>(i % 7);
            vn.seconds = static_cast<double>(i) * 1e-6;
            vn.bytes = i * 13;
            vn.samples[0] = static_cast<std::uint32_t>(i);
            vn.id.bytes[15] = static_cast<std::uint8_t>(i);
            result = EHTRACE_BENCH_WRITE_NESTED(bench_gen, vn);
        } else {
            v4.x = static_cast<std::int32_t>(i);
            v4.d = static_cast<double>(i) * 0.25;
            v4.u = i * 0x9E3779B97F4A7C15ull;
            result = EHTRACE_BENCH_WRITE4(bench_gen, v4);
        }
        if (result != 0) return "write: " + std::string(std::strerror(result));
        time_ns += 250;
        const auto tid = pid + static_cast<std::uint32_t>(i % 3);
        if (int error = writer.write_user_event(tp, time_ns, static_cast<std::uint32_t>(i % 2), pid, tid, sink.event);
            error != 0) {
            return "write_user_event: " + std::string(std::strerror(error));
        }
        written += sink.event.size() + 8;
        // perf record ends a round after each pass over its ring buffers.
        if (i % 4096 == 4095) writer.finish_round();
    }
    if (int error = writer.close(); error != 0) return "close: " + std::string(std::strerror(error));
    return {};
}

struct input_file {
    std::string path;
    std::uint64_t size = 0;
    std::string error;
};

const char* shape_name(shape s) {
    switch (s) {
    case shape::mixed: return "mixed";
    case shape::four_fields: return "4fields";
    case shape::nested: return "nested";
    }
    return "unknown";
}

// The cached input for `s`, generated on first use.
const input_file& input_for(shape s) {
    static std::mutex mutex;
    static std::map<shape, input_file> inputs;
    std::lock_guard lock(mutex);
    if (auto it = inputs.find(s); it != inputs.end()) return it->second;
    input_file& in = inputs[s];
    const std::uint64_t mb = decode_megabytes();
    const std::string dir = cache_dir();
    ::mkdir(dir.c_str(), 0755);
    in.path = dir + "/decode-" EHTRACE_BENCH_VERSION "-" + shape_name(s) + "-" + std::to_string(mb) + "MB.data";
    const std::uint64_t min_bytes = mb << 20;
    in.size = file_size(in.path);
    if (in.size >= min_bytes) return in;
    // Generated beside its final name, then renamed: concurrent runs never
    // see a partial file.
    const std::string temporary = in.path + ".tmp." + std::to_string(::getpid());
    std::fprintf(stderr, "ehtrace-bench: generating %s (%llu MB)...\n", in.path.c_str(),
                 static_cast<unsigned long long>(mb));
    in.error = generate(temporary, s, min_bytes);
    if (in.error.empty() && std::rename(temporary.c_str(), in.path.c_str()) != 0) in.error = std::strerror(errno);
    if (!in.error.empty()) ::unlink(temporary.c_str());
    in.size = file_size(in.path);
    return in;
}

struct pass_result {
    std::uint64_t events = 0;
    std::uint64_t items = 0;
    std::string error;
};

// One pass over the file: every sample to a JSON line, the lines into a
// buffer that is dropped every megabyte (ehtrace-decode --jsonl without the
// output).
pass_result decode_to_jsonl(const std::string& path, std::string& buffer) {
    pass_result r;
    std::string open_error;
    auto input = decode::byte_source::open(path, open_error);
    if (!input) {
        r.error = open_error;
        return r;
    }
    decode::perf_data_reader reader(*input);
    decode::perf_sample sample;
    decode::sample_decoder decoder;
    while (reader.next(sample)) {
        if (!ehtrace::decode::append_json(buffer, decoder.decode(sample))) r.error = "damaged event";
        buffer.push_back('\n');
        ++r.events;
        if (buffer.size() >= (1u << 20)) {
            benchmark::DoNotOptimize(buffer.data());
            benchmark::ClobberMemory();
            buffer.clear();
        }
    }
    benchmark::DoNotOptimize(buffer.data());
    buffer.clear();
    if (reader.error()) r.error = reader.error().message;
    return r;
}

// One pass over the file: every item of every event visited, nothing formatted.
pass_result enumerate(const std::string& path, decode::event_enumerator& e) {
    pass_result r;
    std::string open_error;
    auto input = decode::byte_source::open(path, open_error);
    if (!input) {
        r.error = open_error;
        return r;
    }
    decode::perf_data_reader reader(*input);
    decode::perf_sample sample;
    std::uint64_t checksum = 0;
    while (reader.next(sample)) {
        const decode::tracepoint_layout* format = sample.event != nullptr ? sample.event->format : nullptr;
        if (format == nullptr || !format->is_eventheader() || format->eventheader_offset() > sample.raw.size()) {
            r.error = "not an EventHeader sample";
            break;
        }
        if (e.start(format->name, sample.raw.subspan(format->eventheader_offset())) != decode::decode_error::none) {
            r.error = "damaged event header";
            break;
        }
        while (e.move_next()) {
            const decode::item_info& item = e.item();
            checksum += item.value.size() + static_cast<std::uint8_t>(item.encoding);
            ++r.items;
        }
        if (e.state() == decode::enumerator_state::error) {
            r.error = "damaged event";
            break;
        }
        ++r.events;
    }
    benchmark::DoNotOptimize(checksum);
    if (reader.error()) r.error = reader.error().message;
    return r;
}

void report(benchmark::State& state, const input_file& in, std::uint64_t events, std::uint64_t items) {
    state.SetItemsProcessed(static_cast<std::int64_t>(events));
    state.SetBytesProcessed(static_cast<std::int64_t>(in.size * state.iterations()));
    state.counters["file_MB"] = static_cast<double>(in.size) / (1 << 20);
    if (state.iterations() != 0) {
        state.counters["events_per_pass"] = static_cast<double>(events / state.iterations());
        if (items != 0) state.counters["items_per_pass"] = static_cast<double>(items / state.iterations());
    }
}

void decode_benchmark(benchmark::State& state, shape s) {
    const input_file& in = input_for(s);
    if (!in.error.empty()) {
        state.SkipWithError(in.error.c_str());
        return;
    }
    std::string buffer;
    buffer.reserve((1u << 20) + (64u << 10));
    std::uint64_t events = 0;
    for (auto _ : state) {
        pass_result r = decode_to_jsonl(in.path, buffer);
        if (!r.error.empty()) {
            state.SkipWithError(r.error.c_str());
            break;
        }
        events += r.events;
    }
    report(state, in, events, 0);
}

void enumerate_benchmark(benchmark::State& state, shape s) {
    const input_file& in = input_for(s);
    if (!in.error.empty()) {
        state.SkipWithError(in.error.c_str());
        return;
    }
    decode::event_enumerator e;
    std::uint64_t events = 0, items = 0;
    for (auto _ : state) {
        pass_result r = enumerate(in.path, e);
        if (!r.error.empty()) {
            state.SkipWithError(r.error.c_str());
            break;
        }
        events += r.events;
        items += r.items;
    }
    report(state, in, events, items);
}

void BM_DecodeJsonl(benchmark::State& state) { decode_benchmark(state, shape::mixed); }
void BM_EnumerateOnly(benchmark::State& state) { enumerate_benchmark(state, shape::mixed); }
void BM_DecodeJsonl4Fields(benchmark::State& state) { decode_benchmark(state, shape::four_fields); }
void BM_EnumerateOnly4Fields(benchmark::State& state) { enumerate_benchmark(state, shape::four_fields); }
void BM_DecodeJsonlNested(benchmark::State& state) { decode_benchmark(state, shape::nested); }
void BM_EnumerateOnlyNested(benchmark::State& state) { enumerate_benchmark(state, shape::nested); }

BENCHMARK(BM_DecodeJsonl)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EnumerateOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeJsonl4Fields)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EnumerateOnly4Fields)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeJsonlNested)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EnumerateOnlyNested)->Unit(benchmark::kMillisecond);

}  // namespace
