// Collection rate on the real kernel: a writer thread writes the benchmarks'
// 4-field compile-time event (bench/bench_events.hpp: i32 "x", f64 "d",
// 11-char zero-terminated "s", u64 "u", level 4) through user_events at
// paced rates and flat out, while an ehtrace::collect::session with the
// default options (1 MiB ring per CPU, realtime mode) drains it, once into a
// perf.data file on the guest's tmpfs and once into a callback that only
// counts. For each step it prints one machine-parsable line
//
//   EHTRACE-RATE mode=<file|callback> phase=<steps|bisect> target=<events/s|unpaced>
//       writers=<n> ring=<bytes per CPU> written=<n> collected=<n> lost=<n>
//       lost_records=<n> write_rate=<n>/s seconds=<x> decoded=<n|->
//
// and, per mode, EHTRACE-RATE-SUMMARY with the highest paced rate collected
// without loss and the lowest where loss started (between two steps of the
// list it bisects, in file mode). Since one guest cannot write faster than
// the default ring drains, a last phase (file mode, one writer flat out)
// shrinks the ring (phase=ring, ring=<bytes per CPU>) to show the margin.
// scripts/bench-report turns these lines into a section of bench/README.md.
//
// The guest is qemu TCG (emulated, 2 vCPUs on 2 shared host cores): every
// figure is far below what the same code does on hardware. Only what must
// hold is asserted: every write succeeded, collected + lost accounts for
// every event written (lost may also count a few task records, see check()),
// nothing is lost at 10k events/s, and the perf.data files decode to as many
// events as were collected.
#include "vm_helpers.hpp"

#include "../../bench/bench_events.hpp"

#include <ehtrace/collect/session.hpp>
#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>
#include <ehtrace/provider.hpp>

#include <gtest/gtest.h>

#include <sched.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

EHTRACE_PROVIDER(vm_rate, "EhtraceVmRate");

namespace {

using namespace ehtrace::collect;
using clock_type = std::chrono::steady_clock;

constexpr auto step_duration = std::chrono::milliseconds(1500);
constexpr char output_path[] = "/tmp/rate.data";

enum class mode { file, callback };

struct step {
    long target = 0;  // events/s over all writers; 0 = unpaced
    int writers = 1;
};

struct step_result {
    step s;
    std::uint64_t written = 0, failed = 0, collected = 0, lost = 0, lost_records = 0, markers = 0;
    std::int64_t decoded = -1;  // -1: not decoded (callback mode)
    std::size_t ring_bytes = 0;
    double seconds = 0;  // first write to the last writer's end
    double write_rate() const { return seconds > 0 ? static_cast<double>(written) / seconds : 0; }
};

void pin_to(int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    ::sched_setaffinity(0, sizeof one, &one);
}

// One writer: `rate` events/s (0 = as fast as it can) until `end`. Paced
// writers write what is due since `start` in a batch, then sleep 200 µs (the
// guest's timers decide the real granularity; a late wake-up makes the next
// batch larger, not the average rate higher).
void write_until(long rate, clock_type::time_point start, clock_type::time_point end, std::uint64_t& written,
                 std::uint64_t& failed) {
    ehtrace_bench::values4 v;
    for (;;) {
        const auto now = clock_type::now();
        if (now >= end) break;
        std::uint64_t due = written + failed + 512;
        if (rate > 0) {
            const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start).count();
            due = static_cast<std::uint64_t>(static_cast<double>(rate) * static_cast<double>(ns) / 1e9);
        }
        while (written + failed < due) {
            v.u = written;
            if (EHTRACE_BENCH_WRITE4(vm_rate, v) == 0) {
                ++written;
            } else {
                ++failed;
            }
        }
        if (rate > 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

std::int64_t count_decoded(const std::string& path) {
    std::string error;
    auto input = ehtrace::decode::byte_source::open(path, error);
    EXPECT_TRUE(input) << error;
    if (!input) return -1;
    ehtrace::decode::perf_data_reader reader(*input);
    ehtrace::decode::perf_sample sample;
    ehtrace::decode::sample_decoder decoder;
    std::int64_t n = 0;
    bool first = true;
    while (reader.next(sample)) {
        if (first) {
            std::string json;
            EXPECT_TRUE(ehtrace::decode::append_json(json, decoder.decode(sample)));
            EXPECT_NE(json.find(R"("n":"EhtraceVmRate:Bench4","x":42,"d":3.25,"s":"hello world","u":)"),
                      std::string::npos)
                << json;
            first = false;
        }
        ++n;
    }
    EXPECT_FALSE(reader.error()) << reader.error().message;
    return n;
}

step_result run_step(mode m, step st, bool decode, std::size_t ring_bytes = session_options{}.ring_bytes) {
    step_result r;
    r.s = st;
    r.ring_bytes = ring_bytes;
    session_options o;
    o.ring_bytes = ring_bytes;
    session s(o);
    std::string error;
    const auto matches = s.cache().match("user_events:EhtraceVmRate_*");
    EXPECT_EQ(matches.size(), 1u);
    if (matches.size() != 1) return r;
    EXPECT_EQ(s.add(matches[0], &error), 0) << error;
    std::uint64_t counted = 0;
    if (m == mode::file) {
        EXPECT_EQ(s.set_output(output_path), 0);
    } else {
        s.set_callback([&](const collected_sample&) { ++counted; });
    }
    EXPECT_EQ(s.start(&error), 0) << error;

    std::vector<std::uint64_t> written(static_cast<std::size_t>(st.writers)), failed(written.size());
    std::vector<clock_type::time_point> finished(written.size());
    std::atomic<int> running{st.writers};
    std::vector<std::thread> threads;
    const auto start = clock_type::now();
    const auto end = start + step_duration;
    for (int i = 0; i < st.writers; ++i) {
        threads.emplace_back([&, i] {
            write_until(st.target / st.writers, start, end, written[static_cast<std::size_t>(i)],
                        failed[static_cast<std::size_t>(i)]);
            finished[static_cast<std::size_t>(i)] = clock_type::now();
            running.fetch_sub(1);
        });
    }
    while (running.load() > 0) s.poll(-1);
    for (auto& t : threads) t.join();
    s.drain();
    // The kernel reports samples it dropped (PERF_RECORD_LOST) only once a
    // later sample fits in that ring: one marker per CPU, after the drain,
    // makes every loss visible.
    cpu_set_t saved{};
    ::sched_getaffinity(0, sizeof saved, &saved);
    const long ncpu = ::sysconf(_SC_NPROCESSORS_ONLN);
    ehtrace_bench::values4 marker;
    marker.x = -1;
    for (int cpu = 0; cpu < ncpu; ++cpu) {
        pin_to(cpu);
        EXPECT_EQ(EHTRACE_BENCH_WRITE4(vm_rate, marker), 0);
        ++r.markers;
    }
    ::sched_setaffinity(0, sizeof saved, &saved);
    EXPECT_EQ(s.stop(), 0);
    for (std::size_t i = 0; i < written.size(); ++i) {
        r.written += written[i];
        r.failed += failed[i];
        r.seconds = std::max(r.seconds, std::chrono::duration<double>(finished[i] - start).count());
    }
    const auto& stats = s.stats();
    // Markers are written into drained rings: they are never the lost ones.
    r.collected = stats.samples - r.markers;
    r.lost = stats.lost;
    r.lost_records = stats.lost_records;
    if (m == mode::callback) {
        EXPECT_EQ(counted, stats.samples);
    } else {
        EXPECT_EQ(stats.written, stats.samples);
        EXPECT_EQ(stats.output_error, 0);
        if (decode) r.decoded = count_decoded(output_path);
        ::unlink(output_path);
    }
    return r;
}

void print(mode m, const char* phase, const step_result& r) {
    const std::string target = r.s.target > 0 ? std::to_string(r.s.target) : "unpaced";
    const std::string decoded = r.decoded >= 0 ? std::to_string(r.decoded) : "-";
    std::printf(
        "EHTRACE-RATE mode=%s phase=%s target=%s writers=%d ring=%zu written=%llu collected=%llu lost=%llu "
        "lost_records=%llu write_rate=%.0f/s seconds=%.3f decoded=%s\n",
        m == mode::file ? "file" : "callback", phase, target.c_str(), r.s.writers, r.ring_bytes,
        static_cast<unsigned long long>(r.written), static_cast<unsigned long long>(r.collected),
        static_cast<unsigned long long>(r.lost), static_cast<unsigned long long>(r.lost_records), r.write_rate(),
        r.seconds, decoded.c_str());
    std::fflush(stdout);
}

// Lost counts every record the kernel dropped from a full ring, and with the
// default options each ring also carries the whole system's task records
// (COMM, FORK, EXIT): a writer thread's FORK or EXIT dropped beside its
// samples counts as lost too. So collected + lost is what was written plus
// at most a few such records (seen once: one more, with a 256 KiB ring).
constexpr std::uint64_t task_records_slack(int writers) { return 2u * static_cast<unsigned>(writers) + 8u; }

void check(const step_result& r) {
    EXPECT_EQ(r.failed, 0u) << "writes that failed at target " << r.s.target;
    EXPECT_GE(r.collected + r.lost, r.written) << "events neither collected nor counted lost at target " << r.s.target;
    EXPECT_LE(r.collected + r.lost, r.written + task_records_slack(r.s.writers))
        << "more events collected and lost than written at target " << r.s.target;
    if (r.decoded >= 0) {
        EXPECT_EQ(static_cast<std::uint64_t>(r.decoded), r.collected + r.markers);
    }
}

// The steps, then (file mode) a bisection between the last paced step
// without loss and the first with loss, to the nearest 5%.
void run_mode(mode m, bool bisect) {
    ehtrace::provider_registration registration(vm_rate);
    ASSERT_EQ(registration.error(), 0) << ehtrace::user_events_diagnostic();
    // Make the tracepoint exist before the session looks for it.
    EXPECT_FALSE(EHTRACE_ENABLED(vm_rate, ehtrace::level<4>));

    const std::vector<step> steps{{10000, 1}, {20000, 1}, {50000, 1}, {100000, 1}, {200000, 1}, {0, 1}, {0, 2}};
    std::optional<step_result> best_clean, first_lossy;
    auto note = [&](const step_result& r) {
        if (r.s.target == 0) return;
        if (r.lost == 0 && (!best_clean || r.s.target > best_clean->s.target)) best_clean = r;
        if (r.lost > 0 && (!first_lossy || r.s.target < first_lossy->s.target)) first_lossy = r;
    };
    std::optional<step_result> unpaced_lossy;
    double clean_max_rate = 0;  // the fastest run of any kind without loss
    for (const auto& st : steps) {
        const auto r = run_step(m, st, m == mode::file);
        print(m, "steps", r);
        check(r);
        if (st.target == 10000) {
            EXPECT_EQ(r.lost, 0u) << "events lost at 10k events/s";
        }
        note(r);
        if (r.lost == 0) clean_max_rate = std::max(clean_max_rate, r.write_rate());
        if (st.target == 0 && r.lost > 0 && !unpaced_lossy) unpaced_lossy = r;
    }
    if (bisect && best_clean && first_lossy && first_lossy->s.target > best_clean->s.target) {
        long lo = best_clean->s.target, hi = first_lossy->s.target;
        for (int i = 0; i < 3 && hi - lo > lo / 20; ++i) {
            const long mid = (lo + hi) / 2 / 1000 * 1000;
            if (mid <= lo || mid >= hi) break;
            const auto r = run_step(m, {mid, 1}, false);
            print(m, "bisect", r);
            check(r);
            note(r);
            (r.lost == 0 ? lo : hi) = mid;
        }
    }
    // Where loss starts: the lowest paced rate that lost events, else the
    // first flat-out run that did ("none": nothing was lost at any step).
    std::string loss_from = "none", loss_rate = "-";
    if (first_lossy) {
        loss_from = std::to_string(first_lossy->s.target);
        loss_rate = std::to_string(static_cast<long long>(first_lossy->write_rate()));
    } else if (unpaced_lossy) {
        loss_from = "unpaced/" + std::to_string(unpaced_lossy->s.writers);
        loss_rate = std::to_string(static_cast<long long>(unpaced_lossy->write_rate()));
    }
    std::printf(
        "EHTRACE-RATE-SUMMARY mode=%s zero_loss_target=%ld zero_loss_write_rate=%.0f/s "
        "zero_loss_fastest_run=%.0f/s loss_target=%s loss_write_rate=%s/s\n",
        m == mode::file ? "file" : "callback", best_clean ? best_clean->s.target : 0L,
        best_clean ? best_clean->write_rate() : 0.0, clean_max_rate, loss_from.c_str(), loss_rate.c_str());
    std::fflush(stdout);
}

}  // namespace

TEST(CollectRate, IntoPerfDataFile) { run_mode(mode::file, true); }

TEST(CollectRate, IntoCountingCallback) { run_mode(mode::callback, false); }

// The margin of the default ring: one writer flat out into smaller rings
// (bytes per CPU), into the file.
TEST(CollectRate, SmallerRingsFlatOut) {
    ehtrace::provider_registration registration(vm_rate);
    ASSERT_EQ(registration.error(), 0) << ehtrace::user_events_diagnostic();
    EXPECT_FALSE(EHTRACE_ENABLED(vm_rate, ehtrace::level<4>));
    for (std::size_t ring :
         {std::size_t{256} << 10, std::size_t{64} << 10, std::size_t{16} << 10, std::size_t{4} << 10}) {
        const auto r = run_step(mode::file, {0, 1}, false, ring);
        print(mode::file, "ring", r);
        check(r);
    }
}
