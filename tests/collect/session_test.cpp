// ehtrace::collect::session on the kernel's sched tracepoints: realtime file
// and callback, circular mode, lost events, enable/disable and adding while
// running, tracefs errors.
#include <ehtrace/collect/session.hpp>
#include <ehtrace/decode/json_formatter.hpp>

#include "collect_test_support.hpp"

#include <sched.h>
#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace collect_test;
using ehtrace::collect::collected_sample;
using ehtrace::collect::session;
using ehtrace::collect::session_options;

namespace {

#define REQUIRE_SCHED()                                                        \
    do {                                                                       \
        if (auto why = sched_unavailable(); !why.empty()) GTEST_SKIP() << why; \
    } while (0)

// fork + exec /bin/true; returns the child's pid once it has exited.
pid_t run_true() {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execl("/bin/true", "true", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return pid;
}

// A process pinned to CPU 0 that forks `n` children which exit at once.
// Returns its pid after it finished.
pid_t fork_burst(int n) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        ::sched_setaffinity(0, sizeof set, &set);
        for (int i = 0; i < n; ++i) {
            const pid_t c = ::fork();
            if (c == 0) ::_exit(0);
            ::waitpid(c, nullptr, 0);
        }
        ::_exit(0);
    }
    ::waitpid(pid, nullptr, 0);
    return pid;
}

std::vector<std::string> containing(const std::vector<std::string>& events, const std::string& a,
                                    const std::string& b = {}) {
    std::vector<std::string> out;
    for (const auto& e : events) {
        if (e.find(a) != std::string::npos && (b.empty() || e.find(b) != std::string::npos)) out.push_back(e);
    }
    return out;
}

std::string meta_time(const std::string& json) {
    std::smatch m;
    std::regex_search(json, m, std::regex(R"re("time":"([^"]*)")re"));
    return m[1];
}

}  // namespace

TEST(CollectSession, RealtimeFileHoldsTheWorkloadInOrder) {
    REQUIRE_SCHED();
    temp_dir dir;
    const std::string path = dir / "sched.data";
    session s;
    for (const char* tp :
         {"sched:sched_process_fork", "sched:sched_process_exec", "sched:sched_process_exit", "sched:sched_switch"}) {
        std::string error;
        ASSERT_EQ(s.add(tp, &error), 0) << error;
    }
    ASSERT_EQ(s.set_output(path), 0);
    std::vector<std::string> live;
    std::vector<std::pair<pid_t, std::string>> live_comms;  // the exec samples' pid and thread name
    ehtrace::decode::sample_decoder decoder;
    s.set_callback([&](const collected_sample& sample) {
        if (sample.tracepoint->name == "sched_process_exec") {
            std::string json;
            const auto& decoded = decode_sample(decoder, sample);
            EXPECT_EQ(decoded.meta.comm, sample.comm);
            ehtrace::decode::append_json(json, decoded);
            live.push_back(json);
            live_comms.emplace_back(static_cast<pid_t>(sample.pid), std::string(sample.comm));
        }
    });
    std::string error;
    ASSERT_EQ(s.start(&error), 0) << error;
    const pid_t child = run_true();
    s.poll(10);
    ASSERT_EQ(s.stop(), 0);
    EXPECT_GT(s.stats().samples, 3u);
    EXPECT_EQ(s.stats().written, s.stats().samples);

    std::vector<std::string> events;
    ASSERT_TRUE(decode_json(path, events, &error)) << error;
    const std::string pid_hex = hex_pid(child);
    const auto fork = containing(events, "\"n\":\"sched:sched_process_fork\"", "\"child_pid\":" + pid_hex);
    const auto exec = containing(events, "\"n\":\"sched:sched_process_exec\"", "\"pid\":" + pid_hex);
    const auto exit = containing(events, "\"n\":\"sched:sched_process_exit\"", "\"pid\":" + pid_hex);
    ASSERT_EQ(fork.size(), 1u);
    ASSERT_EQ(exec.size(), 1u);
    ASSERT_EQ(exit.size(), 1u);
    EXPECT_NE(fork[0].find("\"meta\":{\"time\":\""), std::string::npos) << fork[0];
    EXPECT_NE(fork[0].find("\"pid\":" + std::to_string(::getpid()) + ","), std::string::npos) << fork[0];
    EXPECT_NE(exec[0].find("\"filename\":\"/bin/true\""), std::string::npos) << exec[0];
    EXPECT_NE(exec[0].find("\"pid\":" + std::to_string(child) + ","), std::string::npos) << exec[0];
    EXPECT_NE(exit[0].find("\"comm\":\"true\""), std::string::npos) << exit[0];
    // ISO times of the same length compare as text.
    EXPECT_LT(meta_time(fork[0]), meta_time(exec[0]));
    EXPECT_LT(meta_time(exec[0]), meta_time(exit[0]));
    EXPECT_EQ(meta_time(exec[0]).size(), std::string("2024-01-01T00:00:00.000000000Z").size());
    // The reader returns events in time order.
    for (std::size_t i = 1; i < events.size(); ++i) EXPECT_LE(meta_time(events[i - 1]), meta_time(events[i]));
    // The callback saw the same exec as JSON.
    EXPECT_EQ(containing(live, "\"filename\":\"/bin/true\"", "\"pid\":" + pid_hex).size(), 1u);
    // With the thread's name the exec gave it: the COMM record before the
    // sample, in the callback and in the file (system-wide, the rings' own
    // events report every task).
    EXPECT_EQ(std::count(live_comms.begin(), live_comms.end(), std::make_pair(child, std::string("true"))), 1)
        << (live_comms.empty() ? "no exec sample" : live_comms.back().second);
    ehtrace::decode::json_options with_comm;
    with_comm.meta |= ehtrace::decode::meta_keys::comm;
    std::vector<std::string> named;
    ASSERT_TRUE(decode_json(path, named, &error, with_comm)) << error;
    const auto named_exec = containing(named, "\"n\":\"sched:sched_process_exec\"", "\"pid\":" + pid_hex);
    ASSERT_EQ(named_exec.size(), 1u);
    EXPECT_NE(named_exec[0].find(",\"comm\":\"true\"}"), std::string::npos) << named_exec[0];

    if (perf_path().empty()) GTEST_SKIP() << "perf is not installed (linux-perf)";
    const auto script = run(perf_path() + " script -i " + path + " -F pid,tid,time,event,trace --ns", dir);
    ASSERT_EQ(script.status, 0) << script.err;
    std::istringstream in(script.out);
    std::vector<std::string> mine;
    const std::string p = std::to_string(child);
    for (std::string line; std::getline(in, line);) {
        if (line.find("child_pid=" + p) != std::string::npos || line.find(" pid=" + p + " ") != std::string::npos) {
            mine.push_back(line);
        }
    }
    ASSERT_GE(mine.size(), 3u) << script.out.substr(0, 4000);
    EXPECT_NE(mine[0].find("sched:sched_process_fork:"), std::string::npos) << mine[0];
    EXPECT_NE(mine[1].find("sched:sched_process_exec: filename=/bin/true pid=" + p), std::string::npos) << mine[1];
    EXPECT_NE(mine.back().find("sched:sched_process_exit: comm=true pid=" + p), std::string::npos) << mine.back();
}

TEST(CollectSession, CircularKeepsOnlyTheRecentBurst) {
    REQUIRE_SCHED();
    temp_dir dir;
    session_options o;
    o.circular_bytes_per_cpu = 8 * 1024;
    session s(o);
    std::string error;
    ASSERT_EQ(s.add("sched:sched_process_fork", &error), 0) << error;
    EXPECT_EQ(s.set_output(dir / "nope.data"), EINVAL);  // circular mode writes with save()
    ASSERT_EQ(s.start(&error), 0) << error;
    const pid_t first = fork_burst(300);
    s.poll(0);
    const pid_t second = fork_burst(300);
    s.poll(0);
    const std::string path = dir / "flight.data";
    ASSERT_EQ(s.save(path), 0);
    ASSERT_EQ(s.stop(), 0);
    EXPECT_GT(s.stats().overwritten, 0u);

    std::vector<std::string> events;
    ASSERT_TRUE(decode_json(path, events, &error)) << error;
    const auto old = containing(events, "\"parent_pid\":" + hex_pid(first));
    const auto recent = containing(events, "\"parent_pid\":" + hex_pid(second));
    EXPECT_TRUE(old.empty()) << old.size() << " events of the first burst survived";
    EXPECT_GT(recent.size(), 20u);
    EXPECT_LT(events.size(), 300u);  // 8 KiB per CPU cannot hold a whole burst
    if (!perf_path().empty()) {
        const auto script = run(perf_path() + " script -i " + path + " >/dev/null", dir);
        EXPECT_EQ(script.status, 0) << script.err;
    }
}

TEST(CollectSession, LostEventsAreCountedWhenTheRingOverflows) {
    REQUIRE_SCHED();
    temp_dir dir;
    session_options o;
    o.ring_bytes = 4096;  // one page
    session s(o);
    std::string error;
    ASSERT_EQ(s.add("sched:sched_process_fork", &error), 0) << error;
    ASSERT_EQ(s.add("sched:sched_switch", &error), 0) << error;
    const std::string path = dir / "lost.data";
    ASSERT_EQ(s.set_output(path), 0);
    ASSERT_EQ(s.start(&error), 0) << error;
    // Nobody drains while 500 forks run on one CPU: a page holds ~50 samples.
    fork_burst(500);
    s.drain();
    // The kernel writes the LOST record once a later sample fits.
    fork_burst(2);
    s.drain();
    ASSERT_EQ(s.stop(), 0);
    const auto& st = s.stats();
    EXPECT_GT(st.lost, 0u);
    EXPECT_GT(st.lost_records, 0u);
    std::uint64_t per_cpu = 0;
    for (auto n : st.lost_per_cpu) per_cpu += n;
    EXPECT_EQ(per_cpu, st.lost);
    std::vector<std::string> events;
    EXPECT_TRUE(decode_json(path, events, &error)) << error;  // LOST records do not disturb the reader
    EXPECT_EQ(events.size(), st.written);
    if (!perf_path().empty()) {
        const auto report = run(perf_path() + " report -i " + path + " --stdio 2>&1 | head -40", dir);
        EXPECT_NE(report.out.find("lost"), std::string::npos) << report.out;
    }
}

TEST(CollectSession, EnableDisableAndAddWhileRunning) {
    REQUIRE_SCHED();
    session s;
    std::string error;
    ASSERT_EQ(s.add("sched:sched_process_exec", &error), 0) << error;
    std::vector<std::string> names;
    std::vector<pid_t> pids;
    s.set_callback([&](const collected_sample& sample) {
        names.push_back(sample.tracepoint->full_name());
        pids.push_back(static_cast<pid_t>(sample.pid));
    });
    ASSERT_EQ(s.start(&error), 0) << error;
    const auto saw = [&](const std::string& name, pid_t pid) {
        for (std::size_t i = 0; i != names.size(); ++i) {
            if (names[i] == name && pids[i] == pid) return true;
        }
        return false;
    };
    pid_t a = run_true();
    s.poll(0);
    EXPECT_TRUE(saw("sched:sched_process_exec", a));
    ASSERT_EQ(s.enable("sched:sched_process_exec", false), 0);
    pid_t b = run_true();
    s.poll(0);
    EXPECT_FALSE(saw("sched:sched_process_exec", b));
    ASSERT_EQ(s.enable("sched:sched_process_exec", true), 0);
    ASSERT_EQ(s.add("sched:sched_process_exit", &error), 0) << error;
    pid_t c = run_true();
    s.poll(0);
    EXPECT_TRUE(saw("sched:sched_process_exec", c));
    EXPECT_TRUE(saw("sched:sched_process_exit", c));
    EXPECT_EQ(s.enable("sched:not_in_session"), ENOENT);
    s.stop();
}

TEST(CollectSession, ClearErrorsForMissingTracefsAndTracepoints) {
    temp_dir dir;
    {
        session_options o;
        o.tracefs = dir / "missing";
        session s(o);
        std::string error;
        EXPECT_EQ(s.add("sched:sched_switch", &error), ENOENT);
        EXPECT_NE(error.find("mount -t tracefs nodev"), std::string::npos) << error;
        EXPECT_EQ(s.start(&error), ENOENT);
    }
    {
        std::filesystem::create_directories(dir / "fake/events/demo/tp");
        std::ofstream(dir / "fake/events/demo/tp/id") << "7\n";
        std::ofstream(dir / "fake/events/demo/tp/format")
            << "name: tp\nID: 7\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
               "\tfield:int x;\toffset:8;\tsize:4;\tsigned:1;\n\nprint fmt: \"x=%d\", REC->x\n";
        std::filesystem::create_directories(dir / "fake/events/demo/tq");
        std::ofstream(dir / "fake/events/demo/tq/id") << "8\n";
        session_options o;
        o.tracefs = dir / "fake";
        session s(o);
        std::string error;
        EXPECT_EQ(s.add("demo:missing", &error), ENOENT);
        EXPECT_NE(error.find("does not exist"), std::string::npos) << error;
        EXPECT_EQ(s.add("no_colon", &error), EINVAL);
        EXPECT_NE(error.find("system:name"), std::string::npos) << error;
        EXPECT_EQ(s.cache().match("demo:t*"), (std::vector<std::string>{"demo:tp", "demo:tq"}));
        EXPECT_EQ(s.cache().match("d*:tp"), (std::vector<std::string>{"demo:tp"}));
        EXPECT_TRUE(s.cache().match("demo:zz*").empty());
        int e = -1;
        const auto* meta = s.cache().lookup("demo", "tp", &e);
        ASSERT_NE(meta, nullptr);
        EXPECT_EQ(meta->id, 7u);
        EXPECT_EQ(meta->full_name(), "demo:tp");
        EXPECT_EQ(s.cache().lookup("demo", "tq", &e), nullptr);  // no format file
        EXPECT_EQ(e, ENOENT);
    }
}

TEST(CollectSession, GlobMatchesRealSchedTracepoints) {
    REQUIRE_SCHED();
    session s;
    const auto m = s.cache().match("sched:sched_process_e*");
    EXPECT_NE(std::find(m.begin(), m.end(), "sched:sched_process_exec"), m.end());
    EXPECT_NE(std::find(m.begin(), m.end(), "sched:sched_process_exit"), m.end());
    EXPECT_EQ(std::find(m.begin(), m.end(), "sched:sched_process_fork"), m.end());
}
