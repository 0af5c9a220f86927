// Crash safety of EHTRACE_CAPTURE=x.data: writer processes (crash_writer)
// killed with SIGKILL at random moments, or ending in abort(), _exit() or
// SIGSEGV, many times. Every file must decode without error, say it was not
// finalised, and hold per thread a prefix 0, 1, 2, ... of what was written.
#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>
#include <ehtrace/decode/sample.hpp>

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <regex>
#include <string>
#include <vector>

namespace {

const std::string writer_exe = EHTRACE_CRASH_WRITER_EXE;
const std::string decode_exe = EHTRACE_DECODE_EXE;

struct temp_dir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("ehtrace-kill-loop-" + std::to_string(::getpid()));
    temp_dir() { std::filesystem::create_directories(path); }
    ~temp_dir() { std::filesystem::remove_all(path); }
};

// Starts crash_writer with EHTRACE_CAPTURE=path; returns its pid and the
// read end of its stdout.
pid_t start_writer(const std::string& path, const std::vector<std::string>& args, int& out,
                   const std::vector<std::pair<std::string, std::string>>& env = {}) {
    int fds[2];
    if (::pipe(fds) != 0) return -1;
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        ::close(fds[0]);
        ::close(fds[1]);
        ::setenv("EHTRACE_CAPTURE", path.c_str(), 1);
        ::setenv("EHTRACE_CAPTURE_FLUSH_MS", "10", 1);
        for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
        // Under AddressSanitizer: let SIGSEGV kill the writer as it would
        // without it (the test checks how the process ended).
        const char* asan = std::getenv("ASAN_OPTIONS");
        ::setenv("ASAN_OPTIONS", ((asan ? std::string(asan) + ":" : std::string()) + "handle_segv=0").c_str(), 1);
        std::vector<char*> argv{const_cast<char*>(writer_exe.c_str())};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(writer_exe.c_str(), argv.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    out = fds[0];
    return pid;
}

// Runs crash_writer to its end; its wait status, or -1 if it did not start.
int run_writer(const std::string& path, const std::vector<std::string>& args,
               const std::vector<std::pair<std::string, std::string>>& env = {}) {
    int out = -1;
    const pid_t pid = start_writer(path, args, out, env);
    if (pid <= 0) return -1;
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(out);
    return status;
}

// Waits (at most 10 s) for "ready" on the writer's stdout.
bool wait_ready(int fd) {
    std::string seen;
    while (seen.find("ready\n") == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 10000) <= 0) return false;
        char buffer[64];
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) return false;
        seen.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
}

struct check_result {
    std::string problem;  // empty when the file is as it must be
    std::uint64_t events = 0;
    bool finalised = true;
    std::map<int, long> last;  // per thread, the last number read
};

// Decodes `path`: no error, and per thread the numbers 0, 1, 2, ... in order
// (with `suffix`: consecutive numbers from any start, as a flight recorder
// keeps the newest).
check_result check_file(const std::string& path, bool suffix = false) {
    check_result r;
    std::string error;
    auto input = ehtrace::decode::byte_source::open(path, error);
    if (!input) {
        r.problem = "cannot open: " + error;
        return r;
    }
    ehtrace::decode::perf_data_reader reader(*input);
    ehtrace::decode::perf_sample sample;
    ehtrace::decode::sample_decoder decoder;
    const std::regex seq(R"re(^\{"n":"EhtraceTest_Crash:Seq","t":(\d+),"i":(\d+),)re");
    std::map<int, long> next;
    while (reader.next(sample)) {
        std::string json;
        ehtrace::decode::append_json(json, decoder.decode(sample));
        std::smatch m;
        if (!std::regex_search(json, m, seq)) {
            r.problem = "unexpected event " + json;
            return r;
        }
        const int t = std::stoi(m[1]);
        const long i = std::stol(m[2]);
        if (suffix && next.find(t) == next.end()) next[t] = i;
        if (i != next[t]) {
            r.problem = "thread " + std::to_string(t) + ": event " + std::to_string(i) + " where " +
                        std::to_string(next[t]) + " was due";
            return r;
        }
        ++next[t];
        r.last[t] = i;
        ++r.events;
    }
    if (reader.error())
        r.problem = "decode error at " + std::to_string(reader.error().offset) + ": " + reader.error().message;
    r.finalised = reader.session().finalised;
    return r;
}

// crash_writer's "count" mode run to a normal exit: a finished file with
// every event of every thread, in order.
void expect_every_event(const std::string& path, int threads, long events,
                        const std::vector<std::pair<std::string, std::string>>& env = {}) {
    const int status = run_writer(path, {std::to_string(threads), "count", std::to_string(events)}, env);
    ASSERT_NE(status, -1);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    const auto r = check_file(path);
    EXPECT_EQ(r.problem, "");
    EXPECT_TRUE(r.finalised);
    EXPECT_EQ(r.events, static_cast<std::uint64_t>(threads) * static_cast<std::uint64_t>(events));
}

struct tool_result {
    int status = -1;
    std::string err;
};

tool_result run_decode(const std::string& path) {
    const std::string err_path = path + ".err";
    const int status = std::system((decode_exe + " --jsonl " + path + " >/dev/null 2>" + err_path).c_str());
    std::ifstream in(err_path);
    tool_result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                  {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()}};
    ::unlink(err_path.c_str());
    return r;
}

}  // namespace

TEST(KillLoop, CaptureKilledAtRandomMomentsStaysReadable) {
    temp_dir dir;
    std::mt19937 random(std::random_device{}());
    std::uint64_t total = 0;
    int with_events = 0;
    constexpr int runs = 30;
    for (int run = 0; run < runs; ++run) {
        const std::string path = (dir.path / ("k" + std::to_string(run) + ".data")).string();
        const int threads = 1 + static_cast<int>(random() % 3);
        int out = -1;
        const pid_t pid = start_writer(path, {std::to_string(threads), "run"}, out);
        ASSERT_GT(pid, 0);
        const bool ready = wait_ready(out);
        // From right after the first events to a few flush intervals later.
        ::usleep(static_cast<useconds_t>(random() % 120000));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        ::close(out);
        ASSERT_TRUE(ready) << "run " << run << ": the writer never got going";
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        const auto r = check_file(path);
        ASSERT_EQ(r.problem, "") << "run " << run << " (" << threads << " threads), " << path;
        EXPECT_FALSE(r.finalised) << "run " << run;
        total += r.events;
        with_events += r.events > 0;
        if (run % 5 == 0) {
            const auto tool = run_decode(path);
            EXPECT_EQ(tool.status, 0) << tool.err;
            EXPECT_NE(tool.err.find("not finalised"), std::string::npos) << tool.err;
            EXPECT_EQ(std::count(tool.err.begin(), tool.err.end(), '\n'), 1) << tool.err;
        }
        ::unlink(path.c_str());
    }
    // Most runs outlive the first flush: the loop checks real data.
    EXPECT_GE(with_events, runs / 2) << total << " events in all";
}

TEST(KillLoop, AbortExitAndSegvStayReadable) {
    temp_dir dir;
    std::mt19937 random(std::random_device{}());
    int run = 0;
    for (const std::string mode : {"abort", "exit", "segv"}) {
        for (int repeat = 0; repeat < 3; ++repeat, ++run) {
            const std::string path = (dir.path / ("m" + std::to_string(run) + ".data")).string();
            const long events = 200 + static_cast<long>(random() % 20000);
            const int status = run_writer(path, {"2", mode, std::to_string(events)});
            ASSERT_NE(status, -1);
            if (mode == "exit") {
                ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) << status;
            } else {
                ASSERT_TRUE(WIFSIGNALED(status)) << status;
                EXPECT_EQ(WTERMSIG(status), mode == "abort" ? SIGABRT : SIGSEGV);
            }
            const auto r = check_file(path);
            ASSERT_EQ(r.problem, "") << mode << " after " << events << " events, " << path;
            EXPECT_FALSE(r.finalised) << mode;
            ::unlink(path.c_str());
        }
    }
}

// The same writer ending normally: a finished file with every event.
TEST(KillLoop, NormalExitFinishesTheFile) {
    temp_dir dir;
    const std::string path = (dir.path / "normal.data").string();
    expect_every_event(path, 3, 5000);
    const auto tool = run_decode(path);
    EXPECT_EQ(tool.status, 0);
    EXPECT_EQ(tool.err, "");
}

// EHTRACE_CAPTURE_CLOCK: "monotonic" (clock_gettime per event) and "auto"
// record every event, killed or not; an unknown value is only warned about.
TEST(KillLoop, EveryClockChoiceRecords) {
    temp_dir dir;
    for (const char* clock : {"monotonic", "auto", "sundial"}) {
        SCOPED_TRACE(clock);
        expect_every_event((dir.path / (std::string(clock) + ".data")).string(), 2, 3000,
                           {{"EHTRACE_CAPTURE_CLOCK", clock}});
    }
}

// EHTRACE_CAPTURE_OVERFLOW=wait with tiny rings (4 KiB) and a writer that
// only comes when asked: every event of every thread is in the file, killed
// at a random moment or not. An unknown value is warned about (help).
TEST(KillLoop, OverflowWaitLosesNothing) {
    temp_dir dir;
    const std::vector<std::pair<std::string, std::string>> env = {{"EHTRACE_CAPTURE_OVERFLOW", "wait"},
                                                                  {"EHTRACE_CAPTURE_BUFFER_KB", "4"},
                                                                  {"EHTRACE_CAPTURE_FLUSH_MS", "10000"}};
    expect_every_event((dir.path / "wait.data").string(), 3, 20000, env);
    std::mt19937 random(std::random_device{}());
    for (int run = 0; run < 5; ++run) {
        const std::string path = (dir.path / ("wait-killed" + std::to_string(run) + ".data")).string();
        int out = -1;
        const pid_t pid = start_writer(path, {"2", "run"}, out, env);
        ASSERT_GT(pid, 0);
        const bool ready = wait_ready(out);
        ::usleep(static_cast<useconds_t>(random() % 50000));
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        ::close(out);
        ASSERT_TRUE(ready) << "run " << run;
        const auto r = check_file(path);
        EXPECT_EQ(r.problem, "") << "run " << run;
    }
    expect_every_event((dir.path / "unknown.data").string(), 1, 100, {{"EHTRACE_CAPTURE_OVERFLOW", "sometimes"}});
}

// Flight recorder (EHTRACE_CAPTURE_FLIGHT_KB) with EHTRACE_CAPTURE_DUMP_ON_CRASH:
// a crash writes the newest events before the process dies, up to the very
// last one of the crashing thread.
TEST(KillLoop, FlightRecorderDumpsOnCrash) {
    temp_dir dir;
    int run = 0;
    for (const std::string mode : {"segv", "abort"}) {
        const std::string path = (dir.path / ("f" + std::to_string(run++) + ".data")).string();
        const long events = 30000;
        const int status = run_writer(path, {"2", mode, std::to_string(events)},
                                      {{"EHTRACE_CAPTURE_FLIGHT_KB", "256"}, {"EHTRACE_CAPTURE_DUMP_ON_CRASH", "1"}});
        ASSERT_NE(status, -1);
        ASSERT_TRUE(WIFSIGNALED(status)) << status;
        EXPECT_EQ(WTERMSIG(status), mode == "abort" ? SIGABRT : SIGSEGV) << "the process still dies of its signal";
        const auto r = check_file(path, true);
        ASSERT_EQ(r.problem, "") << mode;
        EXPECT_FALSE(r.finalised);
        ASSERT_TRUE(r.last.count(0)) << mode << ": nothing of the crashing thread";
        EXPECT_EQ(r.last.at(0), events - 1) << mode << ": its last event before the crash";
        // 256 KiB of ~140-byte records: the newest few thousand, not all 30,000.
        EXPECT_LT(r.events, 2u * static_cast<std::uint64_t>(events)) << mode;
    }
}

// EHTRACE_CAPTURE_DUMP_SIGNAL=USR2: the signal writes what the flight
// recorder holds; without it a killed flight recorder leaves no events.
TEST(KillLoop, FlightRecorderDumpsOnTheUsersSignal) {
    temp_dir dir;
    for (const bool signal : {false, true}) {
        const std::string path = (dir.path / (signal ? "sig.data" : "nosig.data")).string();
        int out = -1;
        const pid_t pid = start_writer(path, {"2", "run"}, out,
                                       {{"EHTRACE_CAPTURE_FLIGHT_KB", "256"}, {"EHTRACE_CAPTURE_DUMP_SIGNAL", "USR2"}});
        ASSERT_GT(pid, 0);
        ASSERT_TRUE(wait_ready(out));
        ::usleep(100000);
        if (signal) ::kill(pid, SIGUSR2);
        ::usleep(200000);  // many flush intervals
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        ::close(out);
        const auto r = check_file(path, true);
        ASSERT_EQ(r.problem, "");
        if (signal) {
            EXPECT_GT(r.events, 0u);
        } else {
            EXPECT_EQ(r.events, 0u) << "a flight recorder writes only when asked";
        }
    }
}
