// capture_sink on a path not ending in ".dat" writes perf.data: events from
// the compile-time API must decode to the values written, through our reader
// and through Debian's `perf script`.
#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>
#include <ehtrace/provider.hpp>
#include <ehtrace/sink.hpp>

#include <gtest/gtest.h>

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

EHTRACE_PROVIDER(perf_capture_provider, "EhtraceTest_PerfCapture");
EHTRACE_PROVIDER(late_provider, "EhtraceTest_Late");

namespace {

// GCC says which sanitizer is on with a macro, clang with __has_feature.
#if defined(__has_feature)
#define EHTRACE_TEST_HAS_FEATURE(feature) __has_feature(feature)
#else
#define EHTRACE_TEST_HAS_FEATURE(feature) 0
#endif
#if defined(__SANITIZE_THREAD__) || EHTRACE_TEST_HAS_FEATURE(thread_sanitizer)
constexpr bool under_thread_sanitizer = true;
#else
constexpr bool under_thread_sanitizer = false;
#endif
#if defined(__SANITIZE_ADDRESS__) || EHTRACE_TEST_HAS_FEATURE(address_sanitizer)
constexpr bool under_address_sanitizer = true;
#else
constexpr bool under_address_sanitizer = false;
#endif

std::string temp_path(const char* suffix) {
    return "/tmp/ehtrace-capture-perf-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + suffix;
}

struct decoded {
    std::vector<std::string> events;  // JSON with the meta time/cpu/pid/tid cut out
    std::vector<std::string> pids, tids;
    std::string error;
};

// Every sample through perf_data_reader + append_json. The per-run meta keys
// (time, cpu, pid, tid) are checked for presence and cut out.
decoded decode_file(const std::string& path) {
    decoded out;
    auto input = ehtrace::decode::byte_source::open(path, out.error);
    if (!input) return out;
    ehtrace::decode::perf_data_reader reader(*input);
    ehtrace::decode::perf_sample sample;
    ehtrace::decode::sample_decoder decoder;
    const std::regex run_meta(R"re("meta":\{"time":"[0-9T:.-]+Z","cpu":\d+,"pid":(\d+),"tid":(\d+),?)re");
    while (reader.next(sample)) {
        std::string json;
        if (!ehtrace::decode::append_json(json, decoder.decode(sample))) out.error += "damaged event: " + json + "\n";
        std::smatch m;
        if (!std::regex_search(json, m, run_meta)) {
            out.error += "no time/cpu/pid/tid in " + json + "\n";
            out.events.push_back(json);
            continue;
        }
        out.pids.push_back(m[1]);
        out.tids.push_back(m[2]);
        out.events.push_back(std::string(m.prefix()) + "\"meta\":{" + std::string(m.suffix()));
    }
    if (reader.error()) out.error += reader.error().message;
    return out;
}

std::string perf_path() {
    for (const char* candidate : {"/usr/bin/perf", "/usr/local/bin/perf"}) {
        if (::access(candidate, X_OK) == 0) return candidate;
    }
    return {};
}

struct command_result {
    int status = -1;
    std::string out, err;
};

command_result run(const std::string& command, const std::string& scratch) {
    const std::string full = "(" + command + ") >" + scratch + ".out 2>" + scratch + ".err";
    const int status = std::system(full.c_str());
    command_result r;
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream out(scratch + ".out"), err(scratch + ".err");
    r.out.assign(std::istreambuf_iterator<char>(out), std::istreambuf_iterator<char>());
    r.err.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
    ::unlink((scratch + ".out").c_str());
    ::unlink((scratch + ".err").c_str());
    return r;
}

// The exit status of a child that exited, -1 if it did not exit normally.
int exit_status(pid_t child) {
    int status = 0;
    if (::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

// Writes the events every test below checks; `late` is registered only after
// samples of the first provider exist.
void write_events() {
    ehtrace::provider_registration registration(perf_capture_provider);
    ASSERT_EQ(EHTRACE_WRITE(perf_capture_provider, "Ev", ehtrace::field<"x">(42)), 0);
    ASSERT_EQ(EHTRACE_WRITE(perf_capture_provider, "Text", ehtrace::level<4>,
                            ehtrace::field<"s">(std::string_view("hi")), ehtrace::field<"u">(std::uint64_t{7})),
              0);
    ehtrace::provider_registration late(late_provider);
    ASSERT_EQ(EHTRACE_WRITE(late_provider, "Later", ehtrace::field<"n">(-3)), 0);
    ASSERT_EQ(EHTRACE_WRITE(perf_capture_provider, "Ev", ehtrace::field<"x">(43)), 0);
}

const std::vector<std::string> expected_events = {
    R"({"n":"EhtraceTest_PerfCapture:Ev","x":42,"meta":{"level":5}})",
    R"({"n":"EhtraceTest_PerfCapture:Text","s":"hi","u":7,"meta":{"level":4}})",
    R"({"n":"EhtraceTest_Late:Later","n":-3,"meta":{"level":5}})",
    R"({"n":"EhtraceTest_PerfCapture:Ev","x":43,"meta":{"level":5}})",
};

class CapturePerf : public ::testing::Test {
protected:
    void SetUp() override {
        int error = 0;
        capture = ehtrace::capture_sink::open(path, error);
        ASSERT_TRUE(capture) << std::strerror(error);
        ASSERT_EQ(capture->kind(), ehtrace::capture_sink::file_kind::perf_data);
        previous = ehtrace::set_sink(capture.get());
    }
    void TearDown() override {
        ehtrace::set_sink(previous);
        capture.reset();
        ::unlink(path.c_str());
    }
    const std::string path = temp_path(".data");
    std::unique_ptr<ehtrace::capture_sink> capture;
    ehtrace::sink* previous = nullptr;
};

}  // namespace

TEST_F(CapturePerf, EventsDecodeToTheValuesWritten) {
    write_events();
    capture->finish();
    capture->finish();  // idempotent

    const auto result = decode_file(path);
    EXPECT_EQ(result.error, "");
    EXPECT_EQ(result.events, expected_events);
    for (const auto& pid : result.pids) EXPECT_EQ(pid, std::to_string(::getpid()));
    for (const auto& tid : result.tids) EXPECT_EQ(tid, std::to_string(::gettid()));
    // Writes after finish() fail instead of going nowhere silently.
    ehtrace::provider_registration registration(perf_capture_provider);
    EXPECT_NE(EHTRACE_WRITE(perf_capture_provider, "Ev", ehtrace::field<"x">(44)), 0);
}

TEST_F(CapturePerf, PerfScriptReadsTheFile) {
    write_events();
    capture->finish();
    if (perf_path().empty()) GTEST_SKIP() << "perf is not installed (install linux-perf)";
    const auto script = run(perf_path() + " script -i " + path + " -F pid,tid,event,trace", path);
    ASSERT_EQ(script.status, 0) << script.err;
    EXPECT_EQ(script.err.find("rror"), std::string::npos) << script.err;
    const std::regex line(R"(\s*(\d+)/(\d+)\s+user_events:(\w+):.*)");
    std::vector<std::string> names;
    std::istringstream in(script.out);
    for (std::string l; std::getline(in, l);) {
        if (l.empty()) continue;
        std::smatch m;
        ASSERT_TRUE(std::regex_match(l, m, line)) << l;
        EXPECT_EQ(m[1], std::to_string(::getpid()));
        names.push_back(m[3]);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"EhtraceTest_PerfCapture_L5K0", "EhtraceTest_PerfCapture_L4K0",
                                               "EhtraceTest_Late_L5K0", "EhtraceTest_PerfCapture_L5K0"}))
        << script.out;
}

// A forked child keeps recording, into "<path>.<child pid>" (same
// tracepoints, its own pid); the parent's file keeps the parent's events.
TEST_F(CapturePerf, ForkedChildRecordsIntoItsOwnFile) {
    if (under_thread_sanitizer) {
        GTEST_SKIP() << "ThreadSanitizer cannot start threads in the forked child of a multithreaded process";
    }
    if (under_address_sanitizer) {
        // clang 14's ASan does not lock its allocator around fork(): a child
        // forked while another thread (here the recorder's writer) is in
        // malloc waits on that lock forever.
        GTEST_SKIP() << "clang 14's ASan allocator can deadlock a child forked from a multithreaded process";
    }
    ehtrace::provider_registration registration(perf_capture_provider);
    ASSERT_EQ(EHTRACE_WRITE(perf_capture_provider, "Ev", ehtrace::field<"x">(1)), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        int written = EHTRACE_WRITE(perf_capture_provider, "Ev", ehtrace::field<"x">(2));
        std::thread worker([&] {
            if (written == 0) written = EHTRACE_WRITE(perf_capture_provider, "Ev", ehtrace::field<"x">(20));
        });
        worker.join();
        capture->finish();
        std::_Exit(written);
    }
    EXPECT_EQ(exit_status(child), 0);
    ASSERT_EQ(EHTRACE_WRITE(perf_capture_provider, "Ev", ehtrace::field<"x">(3)), 0);
    capture->finish();

    const auto result = decode_file(path);
    EXPECT_EQ(result.error, "");
    EXPECT_EQ(result.events,
              (std::vector<std::string>{R"({"n":"EhtraceTest_PerfCapture:Ev","x":1,"meta":{"level":5}})",
                                        R"({"n":"EhtraceTest_PerfCapture:Ev","x":3,"meta":{"level":5}})"}));
    const std::string child_path = path + "." + std::to_string(child);
    const auto in_child = decode_file(child_path);
    ::unlink(child_path.c_str());
    EXPECT_EQ(in_child.error, "");
    EXPECT_EQ(in_child.events,
              (std::vector<std::string>{R"({"n":"EhtraceTest_PerfCapture:Ev","x":2,"meta":{"level":5}})",
                                        R"({"n":"EhtraceTest_PerfCapture:Ev","x":20,"meta":{"level":5}})"}));
    for (const auto& pid : in_child.pids) EXPECT_EQ(pid, std::to_string(child));
}

// A child that writes nothing opens no file, and its exit (the sink's
// destructor included) leaves the parent's file alone.
TEST_F(CapturePerf, SilentForkedChildLeavesTheFileAlone) {
    ehtrace::provider_registration registration(perf_capture_provider);
    ASSERT_EQ(EHTRACE_WRITE(perf_capture_provider, "Ev", ehtrace::field<"x">(1)), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        capture->finish();
        capture.reset();
        std::_Exit(0);
    }
    EXPECT_EQ(exit_status(child), 0);
    EXPECT_EQ(::access((path + "." + std::to_string(child)).c_str(), F_OK), -1);
    ASSERT_EQ(EHTRACE_WRITE(perf_capture_provider, "Ev", ehtrace::field<"x">(3)), 0);
    capture->finish();
    const auto result = decode_file(path);
    EXPECT_EQ(result.error, "");
    EXPECT_EQ(result.events,
              (std::vector<std::string>{R"({"n":"EhtraceTest_PerfCapture:Ev","x":1,"meta":{"level":5}})",
                                        R"({"n":"EhtraceTest_PerfCapture:Ev","x":3,"meta":{"level":5}})"}));
}

// Thread-safe: concurrent writers, every sample whole and present.
TEST_F(CapturePerf, ManyThreads) {
    ehtrace::provider_registration registration(perf_capture_provider);
    constexpr int threads = 4, per_thread = 2000;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([t] {
            for (int i = 0; i < per_thread; ++i) {
                EHTRACE_WRITE(perf_capture_provider, "Tick", ehtrace::field<"t">(t), ehtrace::field<"i">(i));
            }
        });
    }
    for (auto& w : workers) w.join();
    capture->finish();
    const auto result = decode_file(path);
    EXPECT_EQ(result.error, "");
    ASSERT_EQ(result.events.size(), std::size_t{threads} * per_thread);
    std::vector<int> next(threads, 0);
    const std::regex tick(R"re(\{"n":"EhtraceTest_PerfCapture:Tick","t":(\d+),"i":(\d+),"meta":\{"level":5\}\})re");
    for (const auto& e : result.events) {
        std::smatch m;
        ASSERT_TRUE(std::regex_match(e, m, tick)) << e;
        const int t = std::stoi(m[1]);
        ASSERT_LT(t, threads);
        EXPECT_EQ(std::stoi(m[2]), next[static_cast<std::size_t>(t)]++);
    }
}

// The program's asynchronous signals never run its handlers on the
// recorder's writer thread: with SIGUSR1 blocked in this thread, a SIGUSR1
// sent to the process stays pending (no other thread takes it) until this
// thread unblocks it.
namespace {
std::atomic<pid_t> usr1_handled_on{0};
void note_usr1(int) { usr1_handled_on.store(static_cast<pid_t>(::gettid())); }
}  // namespace

TEST_F(CapturePerf, WriterThreadTakesNoSignals) {
    struct sigaction action {
    }, previous_action{};
    action.sa_handler = note_usr1;
    sigemptyset(&action.sa_mask);
    ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous_action), 0);
    ehtrace::provider_registration registration(perf_capture_provider);
    ASSERT_EQ(EHTRACE_WRITE(perf_capture_provider, "Ev", ehtrace::field<"x">(1)), 0);  // starts the writer thread
    sigset_t usr1, previous_mask;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &usr1, &previous_mask), 0);
    ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
    ::usleep(100000);
    EXPECT_EQ(usr1_handled_on.load(), 0) << "the handler ran on another thread";
    ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr), 0);
    for (int waited = 0; waited < 1000 && usr1_handled_on.load() == 0; ++waited) ::usleep(1000);
    EXPECT_EQ(usr1_handled_on.load(), static_cast<pid_t>(::gettid()));
    ::sigaction(SIGUSR1, &previous_action, nullptr);
}

// A late writer (recorder_options::when_late): three threads write flat out
// into 8 KiB rings while the writer thread is only woken at a quarter full,
// so the rings fill far faster than it comes, and the threads run passes of
// their own (help, wait) concurrently with it. In every mode the file holds
// exactly the events not counted as lost, each thread's in the order
// written; with wait nothing is lost.
class CapturePerfLateWriter : public ::testing::TestWithParam<ehtrace::capture_sink::recorder_options::overflow> {};

TEST_P(CapturePerfLateWriter, KeepsOrderAndCountsAndWaitLosesNothing) {
    using overflow = ehtrace::capture_sink::recorder_options::overflow;
    const std::string path = "/tmp/ehtrace-capture-perf-" + std::to_string(::getpid()) + "-late-" +
                             std::to_string(static_cast<int>(GetParam())) + ".data";
    ehtrace::capture_sink::recorder_options options;
    options.thread_buffer_bytes = 8 * 1024;
    options.flush_interval_ms = 10000;
    options.when_late = GetParam();
    int error = 0;
    auto capture = ehtrace::capture_sink::open(path, error, options);
    ASSERT_TRUE(capture) << std::strerror(error);
    ehtrace::sink* previous = ehtrace::set_sink(capture.get());
    constexpr int threads = 3, per_thread = under_thread_sanitizer ? 5000 : 40000;
    {
        ehtrace::provider_registration registration(perf_capture_provider);
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([t] {
                for (int i = 0; i < per_thread; ++i) {
                    if (EHTRACE_WRITE(perf_capture_provider, "Tick", ehtrace::field<"t">(t), ehtrace::field<"i">(i)) !=
                        0)
                        return;
                }
            });
        }
        for (auto& w : workers) w.join();
        capture->finish();
    }
    ehtrace::set_sink(previous);
    const auto stats = capture->stats();
    EXPECT_EQ(stats.events + stats.lost, std::uint64_t{threads} * per_thread);
    if (GetParam() == overflow::wait) {
        EXPECT_EQ(stats.lost, 0u);
    }
    const auto result = decode_file(path);
    EXPECT_EQ(result.error, "");
    EXPECT_EQ(result.events.size(), stats.events);
    std::vector<int> last(threads, -1);
    const std::regex tick(R"re(\{"n":"EhtraceTest_PerfCapture:Tick","t":(\d+),"i":(\d+),"meta":\{"level":5\}\})re");
    for (const auto& e : result.events) {
        std::smatch m;
        ASSERT_TRUE(std::regex_match(e, m, tick)) << e;
        const auto t = static_cast<std::size_t>(std::stoi(m[1]));
        ASSERT_LT(t, std::size_t{threads});
        const int i = std::stoi(m[2]);
        ASSERT_GT(i, last[t]) << "thread " << t << ": out of order or twice";
        if (GetParam() == overflow::wait) {
            ASSERT_EQ(i, last[t] + 1) << "thread " << t << ": a gap";
        }
        last[t] = i;
    }
    capture.reset();
    ::unlink(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Modes, CapturePerfLateWriter,
                         ::testing::Values(ehtrace::capture_sink::recorder_options::overflow::drop,
                                           ehtrace::capture_sink::recorder_options::overflow::help,
                                           ehtrace::capture_sink::recorder_options::overflow::wait),
                         [](const ::testing::TestParamInfo<ehtrace::capture_sink::recorder_options::overflow>& mode) {
                             switch (mode.param) {
                             case ehtrace::capture_sink::recorder_options::overflow::drop: return std::string("drop");
                             case ehtrace::capture_sink::recorder_options::overflow::help: return std::string("help");
                             default: return std::string("wait");
                             }
                         });

// Flight recorder: only the newest events are kept (whole writer passes),
// dump() writes them and each event goes to the file once; the counts add up.
TEST(CapturePerfFlight, KeepsTheNewestAndWritesEachEventOnce) {
    const std::string path = temp_path(".data");
    int error = 0;
    ehtrace::capture_sink::recorder_options options;
    options.flight_recorder_bytes = 64 * 1024;
    options.flush_interval_ms = 2;
    auto capture = ehtrace::capture_sink::open(path, error, options);
    ASSERT_TRUE(capture) << std::strerror(error);
    ehtrace::sink* previous = ehtrace::set_sink(capture.get());
    {
        ehtrace::provider_registration registration(perf_capture_provider);
        constexpr int before_dump = 20000, after_dump = 10;
        for (int i = 0; i < before_dump; ++i) {
            ASSERT_EQ(EHTRACE_WRITE(perf_capture_provider, "Seq", ehtrace::field<"i">(i)), 0);
            if (i % 500 == 499) ::usleep(3000);  // several writer passes
        }
        ASSERT_EQ(capture->dump(), 0);
        for (int i = before_dump; i < before_dump + after_dump; ++i) {
            ASSERT_EQ(EHTRACE_WRITE(perf_capture_provider, "Seq", ehtrace::field<"i">(i)), 0);
        }
        capture->finish();
        const auto stats = capture->stats();
        const auto result = decode_file(path);
        EXPECT_EQ(result.error, "");
        ASSERT_FALSE(result.events.empty());
        const std::regex seq(R"re(\{"n":"EhtraceTest_PerfCapture:Seq","i":(\d+),)re");
        std::vector<int> numbers;
        for (const auto& e : result.events) {
            std::smatch m;
            ASSERT_TRUE(std::regex_search(e, m, seq)) << e;
            numbers.push_back(std::stoi(m[1]));
        }
        // The newest, consecutive, up to the last one written.
        for (std::size_t k = 1; k < numbers.size(); ++k) ASSERT_EQ(numbers[k], numbers[k - 1] + 1) << k;
        EXPECT_EQ(numbers.back(), before_dump + after_dump - 1);
        EXPECT_LT(numbers.size(), std::size_t{before_dump}) << "64 KiB cannot hold them all";
        EXPECT_EQ(stats.events, std::uint64_t{before_dump + after_dump});
        EXPECT_EQ(numbers.size() + stats.overwritten + stats.lost, stats.events);
    }
    ehtrace::set_sink(previous);
    capture.reset();
    ::unlink(path.c_str());
}

// Event times are CLOCK_MONOTONIC, whichever clock the recorder reads (the
// TSC fitted to clock_gettime, or clock_gettime itself): each sample's time
// lies within the clock_gettime reads around its write (a few microseconds
// of slack for the fit), and each thread's times never go back. Two threads
// for 150 ms, long enough for the writer's first TSC fit (10 ms baseline,
// passes every 5 ms here) and several refits.
class CapturePerfClock : public ::testing::TestWithParam<bool> {};

TEST_P(CapturePerfClock, TimesAreTheMonotonicClockAndInOrderPerThread) {
    const std::string path = "/tmp/ehtrace-capture-perf-" + std::to_string(::getpid()) +
                             (GetParam() ? "-clock-tsc.data" : "-clock-monotonic.data");
    int error = 0;
    ehtrace::capture_sink::recorder_options options;
    options.tsc_clock = GetParam();
    options.flush_interval_ms = 5;
    auto capture = ehtrace::capture_sink::open(path, error, options);
    ASSERT_TRUE(capture) << std::strerror(error);
    ehtrace::sink* previous = ehtrace::set_sink(capture.get());
    struct window {
        std::uint64_t before, after;
    };
    const auto monotonic = [] {
        ::timespec ts{};
        ::clock_gettime(CLOCK_MONOTONIC, &ts);
        return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
    };
    constexpr int threads = 2;
    std::vector<std::vector<window>> windows(threads);
    std::vector<pid_t> tids(threads);
    {
        ehtrace::provider_registration registration(perf_capture_provider);
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                tids[static_cast<std::size_t>(t)] = ::gettid();
                auto& mine = windows[static_cast<std::size_t>(t)];
                const std::uint64_t end = monotonic() + 150'000'000;
                for (int i = 0; monotonic() < end; ++i) {
                    const std::uint64_t before = monotonic();
                    const int written = EHTRACE_WRITE(perf_capture_provider, "Timed", ehtrace::field<"i">(i));
                    mine.push_back({before, monotonic()});
                    if (written != 0) return;
                    if (i % 64 == 63) ::usleep(200);
                }
            });
        }
        for (auto& w : workers) w.join();
        capture->finish();
    }
    ehtrace::set_sink(previous);
    EXPECT_EQ(capture->stats().lost, 0u);

    std::string open_error;
    auto input = ehtrace::decode::byte_source::open(path, open_error);
    ASSERT_TRUE(input) << open_error;
    ehtrace::decode::perf_data_reader reader(*input);
    ehtrace::decode::perf_sample sample;
    std::vector<std::size_t> next(threads, 0);
    std::vector<std::uint64_t> last(threads, 0);
    constexpr std::uint64_t slack_ns = 20'000;
    std::uint64_t samples = 0;
    while (reader.next(sample)) {
        const auto t = static_cast<std::size_t>(
            std::find(tids.begin(), tids.end(), static_cast<pid_t>(sample.meta.tid)) - tids.begin());
        ASSERT_LT(t, tids.size()) << "a sample of an unknown thread " << sample.meta.tid;
        ASSERT_LT(next[t], windows[t].size());
        const window w = windows[t][next[t]++];
        EXPECT_GE(sample.perf_time + slack_ns, w.before) << "thread " << t << " event " << next[t] - 1;
        EXPECT_LE(sample.perf_time, w.after + slack_ns) << "thread " << t << " event " << next[t] - 1;
        EXPECT_GE(sample.perf_time, last[t]) << "thread " << t << " event " << next[t] - 1 << " went back";
        last[t] = sample.perf_time;
        ++samples;
    }
    EXPECT_FALSE(reader.error()) << reader.error().message;
    for (int t = 0; t < threads; ++t) EXPECT_EQ(next[t], windows[t].size()) << "thread " << t;
    EXPECT_GT(samples, 1000u);
    ::unlink(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Clocks, CapturePerfClock, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& param) {
                             return param.param ? std::string("Tsc") : std::string("Monotonic");
                         });
