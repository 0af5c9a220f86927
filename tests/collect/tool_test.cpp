// ehtrace-collect, ehtrace-register and ehtrace-doctor as users run them.
#include "collect_test_support.hpp"

#include <sys/stat.h>
#include <csignal>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <thread>

using namespace collect_test;

namespace {

const std::string collect_exe = EHTRACE_COLLECT_EXE;
const std::string decode_exe = EHTRACE_DECODE_EXE;
const std::string register_exe = EHTRACE_REGISTER_EXE;
const std::string doctor_exe = EHTRACE_DOCTOR_EXE;

bool user_events_here() { return ::access("/sys/kernel/tracing/user_events_data", F_OK) == 0; }

#define REQUIRE_SCHED()                                                        \
    do {                                                                       \
        if (auto why = sched_unavailable(); !why.empty()) GTEST_SKIP() << why; \
    } while (0)

std::uint64_t lost_in(const std::string& err) {
    std::smatch m;
    if (!std::regex_search(err, m, std::regex(R"(lost (\d+) events)"))) return ~0ull;
    return std::stoull(m[1]);
}

}  // namespace

TEST(CollectTool, WorkloadEventsReadByDecodeAndPerfScript) {
    REQUIRE_SCHED();
    temp_dir dir;
    const std::string out = dir / "w.data", pidfile = dir / "pid";
    const auto r = run(collect_exe + " -o " + out +
                           " sched:sched_process_fork sched:sched_process_exec sched:sched_process_exit"
                           " -- /bin/sh -c 'echo $$ >" +
                           pidfile + "; exec /bin/true'",
                       dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("collecting 3 tracepoints"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("lost 0 events"), std::string::npos) << r.err;
    const std::string pid = std::to_string(std::stoi(read_file(pidfile)));
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%X", static_cast<unsigned>(std::stoi(pid)));

    const auto d = run(decode_exe + " --jsonl " + out, dir);
    ASSERT_EQ(d.status, 0) << d.err;
    std::istringstream lines(d.out);
    std::vector<std::string> mine;
    for (std::string line; std::getline(lines, line);) {
        if (line.find(std::string("\"pid\":\"") + hex + "\"") != std::string::npos) mine.push_back(line);
    }
    // The child execs /bin/sh (ehtrace-collect starting the command), then /bin/true, then exits.
    ASSERT_EQ(mine.size(), 3u) << d.out.substr(0, 3000);
    EXPECT_EQ(mine[0].rfind("{\"n\":\"sched:sched_process_exec\",\"filename\":\"/bin/sh\"", 0), 0u) << mine[0];
    EXPECT_EQ(mine[1].rfind("{\"n\":\"sched:sched_process_exec\",\"filename\":\"/bin/true\"", 0), 0u) << mine[1];
    EXPECT_NE(mine[1].find("\"meta\":{\"time\":\"20"), std::string::npos) << mine[1];
    EXPECT_NE(mine[1].find(",\"pid\":" + pid + ",\"tid\":" + pid + "}"), std::string::npos) << mine[1];
    EXPECT_EQ(mine[2].rfind("{\"n\":\"sched:sched_process_exit\",\"comm\":\"true\"", 0), 0u) << mine[2];

    if (perf_path().empty()) GTEST_SKIP() << "perf is not installed (linux-perf)";
    const auto p = run(perf_path() + " script -i " + out + " -F pid,tid,cpu,time,event,trace", dir);
    ASSERT_EQ(p.status, 0) << p.err;
    const std::regex exec_line("\\s*" + pid + "/" + pid +
                               R"(\s+\[\d+\]\s+\d+\.\d+:\s+sched:sched_process_exec: filename=/bin/true pid=)" + pid +
                               ".*");
    const std::regex exit_line("\\s*" + pid + "/" + pid +
                               R"(\s+\[\d+\]\s+\d+\.\d+:\s+sched:sched_process_exit: comm=true pid=)" + pid + ".*");
    std::istringstream in(p.out);
    int state = 0;
    for (std::string line; std::getline(in, line);) {
        if (state == 0 && std::regex_match(line, exec_line)) state = 1;
        else if (state == 1 && std::regex_match(line, exit_line)) state = 2;
    }
    EXPECT_EQ(state, 2) << p.out.substr(0, 3000);
}

TEST(CollectTool, LivePrintsJsonLines) {
    REQUIRE_SCHED();
    temp_dir dir;
    const auto r = run(collect_exe + " -q --live sched:sched_process_exec -- /bin/true", dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("{\"n\":\"sched:sched_process_exec\",\"filename\":\"/bin/true\""), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "");
    EXPECT_FALSE(std::filesystem::exists(dir / "ehtrace.data"));
}

// --meta picks the --live lines' meta keys as ehtrace-decode's does: +comm
// adds the thread's name (the exec's COMM record), a list gives only those.
TEST(CollectTool, LiveMetaKeys) {
    REQUIRE_SCHED();
    temp_dir dir;
    auto r = run(collect_exe + " -q --live --meta +comm sched:sched_process_exec -- /bin/true", dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(std::regex_search(r.out, std::regex(R"("filename":"/bin/true".*"meta":\{"time":"[^"]+","cpu":\d+,)"
                                                    R"("pid":\d+,"tid":\d+,"comm":"true"\}\})")))
        << r.out;
    r = run(collect_exe + " -q --live --meta time,comm sched:sched_process_exec -- /bin/true", dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(
        std::regex_search(r.out, std::regex(R"("filename":"/bin/true".*"meta":\{"time":"[^"]+","comm":"true"\}\})")))
        << r.out;
    r = run(collect_exe + " -q --live --meta bogus sched:sched_process_exec", dir);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("bad --meta 'bogus'"), std::string::npos) << r.err;
    r = run(collect_exe + " -q --meta +comm sched:sched_process_exec", dir);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("--meta applies to --live"), std::string::npos) << r.err;
}

TEST(CollectTool, SigintLeavesAValidFile) {
    REQUIRE_SCHED();
    temp_dir dir;
    const std::string out = dir / "int.data", err = dir / "err.txt";
    const pid_t tool = ::fork();
    if (tool == 0) {
        std::freopen(err.c_str(), "w", stderr);
        ::execl(collect_exe.c_str(), "ehtrace-collect", "-o", out.c_str(), "sched:sched_process_exec",
                "sched:sched_switch", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    for (int i = 0; i < 500 && read_file(err).find("collecting") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_NE(read_file(err).find("collecting"), std::string::npos) << read_file(err);
    for (int i = 0; i < 3; ++i) std::system("/bin/true");
    ::kill(tool, SIGINT);
    int status = 0;
    ::waitpid(tool, &status, 0);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0) << read_file(err);
    EXPECT_NE(read_file(err).find("stopped by signal 2"), std::string::npos) << read_file(err);
    std::vector<std::string> events;
    std::string error;
    ASSERT_TRUE(decode_json(out, events, &error)) << error;
    int execs = 0;
    for (const auto& e : events) execs += e.find("\"filename\":\"/bin/true\"") != std::string::npos;
    EXPECT_GE(execs, 3);
    if (!perf_path().empty()) {
        const auto p = run(perf_path() + " script -i " + out + " | grep -c 'filename=/bin/true'", dir);
        EXPECT_GE(std::atoi(p.out.c_str()), 3) << p.err;
    }
}

TEST(CollectTool, CircularKeepsRecentDataAndGlobsMatch) {
    REQUIRE_SCHED();
    temp_dir dir;
    const std::string out = dir / "c.data";
    const auto r = run(collect_exe + " --circular 0.01 -o " + out +
                           " 'sched:sched_process_f*' -- /bin/sh -c 'i=0; while [ $i -lt 400 ]; do (:); "
                           "i=$((i+1)); done'",
                       dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("(circular)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("older ones overwritten"), std::string::npos) << r.err;
    std::vector<std::string> events;
    std::string error;
    ASSERT_TRUE(decode_json(out, events, &error)) << error;
    EXPECT_GT(events.size(), 10u);
    EXPECT_LT(events.size(), 400u);
    bool fork = false;
    for (const auto& e : events) fork |= e.rfind("{\"n\":\"sched:sched_process_fork\"", 0) == 0;
    EXPECT_TRUE(fork);
}

// The tool is stopped (SIGSTOP) while a burst of forks overflows its one-page
// rings, so losses are certain; it must say how many.
TEST(CollectTool, LostEventsAreReported) {
    REQUIRE_SCHED();
    temp_dir dir;
    const std::string out = dir / "l.data", err = dir / "err.txt";
    const pid_t tool = ::fork();
    if (tool == 0) {
        std::freopen(err.c_str(), "w", stderr);
        ::execl(collect_exe.c_str(), "ehtrace-collect", "--buffer", "4", "-o", out.c_str(), "sched:sched_switch",
                "sched:sched_process_fork", "sched:sched_process_exit", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    for (int i = 0; i < 500 && read_file(err).find("collecting") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_NE(read_file(err).find("collecting"), std::string::npos) << read_file(err);
    ::kill(tool, SIGSTOP);
    std::system("/bin/sh -c 'i=0; while [ $i -lt 300 ]; do (:); i=$((i+1)); done'");
    ::kill(tool, SIGCONT);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::system("/bin/true");  // a sample after the drain lets the kernel write its LOST record
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::kill(tool, SIGINT);
    int status = 0;
    ::waitpid(tool, &status, 0);
    const std::string text = read_file(err);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
    const std::uint64_t lost = lost_in(text);
    ASSERT_NE(lost, ~0ull) << "no lost-events line: " << text;
    EXPECT_GT(lost, 0u) << text;
    EXPECT_NE(text.find("use a larger --buffer"), std::string::npos) << text;
    std::vector<std::string> events;
    std::string error;
    EXPECT_TRUE(decode_json(out, events, &error)) << error;
    if (!perf_path().empty()) {
        const auto report = run(perf_path() + " report -i " + out + " --stdio 2>&1 | head -20", dir);
        EXPECT_NE(report.out.find(" lost "), std::string::npos) << report.out;
    }
}

TEST(CollectTool, ClearErrors) {
    temp_dir dir;
    auto r = run(collect_exe + " sched:no_such_tracepoint", dir);
    EXPECT_EQ(r.status, 1);
    if (sched_unavailable().empty()) {
        EXPECT_NE(r.err.find("tracepoint sched:no_such_tracepoint does not exist"), std::string::npos) << r.err;
    }
    r = run(collect_exe + " --tracefs " + (dir / "none") + " sched:sched_switch", dir);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("mount -t tracefs nodev " + (dir / "none")), std::string::npos) << r.err;
    r = run(collect_exe + " --tracefs " + dir.str() + " sched:sched_switch", dir);
    EXPECT_NE(r.err.find("is not a tracefs mount"), std::string::npos) << r.err;
    r = run(collect_exe + " 'sched:zz_nothing_*'", dir);
    EXPECT_EQ(r.status, 1);
    if (sched_unavailable().empty()) {
        EXPECT_NE(r.err.find("no existing tracepoint matches"), std::string::npos) << r.err;
    }
    r = run(collect_exe + " Bad-Name", dir);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("is not an EventHeader tracepoint name"), std::string::npos) << r.err;
    r = run(collect_exe + " --bogus", dir);
    EXPECT_EQ(r.status, 2);
    r = run(collect_exe, dir);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("no tracepoint given"), std::string::npos);
    if (!user_events_here() && ::access("/sys/kernel/tracing/events", F_OK) == 0) {
        r = run(collect_exe + " MyProvider_L4K1", dir);
        EXPECT_EQ(r.status, 1);
        EXPECT_NE(r.err.find("CONFIG_USER_EVENTS"), std::string::npos) << r.err;
        r = run(collect_exe + " user_events:MyProvider_L4K1", dir);
        EXPECT_NE(r.err.find("this kernel has no user_events"), std::string::npos) << r.err;
    }
}

TEST(CollectTool, DoctorAndCheck) {
    temp_dir dir;
    const auto d = run(doctor_exe, dir);
    EXPECT_NE(d.out.find("kernel: Linux "), std::string::npos) << d.out;
    EXPECT_NE(d.out.find("perf_event_paranoid"), std::string::npos) << d.out;
    if (!user_events_here() && ::access("/sys/kernel/tracing/events", F_OK) == 0) {
        EXPECT_EQ(d.status, 1);
        EXPECT_NE(d.out.find("problem  user_events: user_events is missing"), std::string::npos) << d.out;
        EXPECT_NE(d.out.find("CONFIG_USER_EVENTS=y"), std::string::npos) << d.out;
    }
    const auto c = run(collect_exe + " --check", dir);
    EXPECT_EQ(c.out, d.out);
    EXPECT_EQ(c.status, d.status);
    const auto f = run(doctor_exe + " --tracefs " + (dir / "none"), dir);
    EXPECT_EQ(f.status, 1);
    EXPECT_NE(f.out.find("problem  tracefs"), std::string::npos) << f.out;
    EXPECT_NE(f.out.find("mount -t tracefs nodev " + (dir / "none")), std::string::npos) << f.out;
    EXPECT_EQ(run(doctor_exe + " --nope", dir).status, 2);
}

TEST(CollectTool, RegisterChecksAndExplains) {
    temp_dir dir;
    auto r = run(register_exe + " Bad-Name", dir);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("is not an EventHeader tracepoint name"), std::string::npos) << r.err;
    r = run(register_exe, dir);
    EXPECT_EQ(r.status, 2);
    r = run(register_exe + " --persist --delete X_L1K1", dir);
    EXPECT_EQ(r.status, 2);
    std::ofstream(dir / "list.txt") << "# comment\nGood_L4K1\n  bad-name u32 x\n";
    r = run(register_exe + " -f " + (dir / "list.txt"), dir);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("not a valid user_events command"), std::string::npos) << r.err;
    r = run(register_exe + " --tracefs " + (dir / "none") + " Good_L4K1", dir);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("mount -t tracefs"), std::string::npos) << r.err;
    if (!user_events_here() && ::access("/sys/kernel/tracing/events", F_OK) == 0) {
        r = run(register_exe + " Good_L4K1", dir);
        EXPECT_EQ(r.status, 1);
        EXPECT_NE(r.err.find("CONFIG_USER_EVENTS"), std::string::npos) << r.err;
        r = run(register_exe + " --delete Good_L4K1", dir);
        EXPECT_EQ(r.status, 1);
    }
}

// Not root: tracefs (root-only by default) and perf_event_open both refuse;
// each refusal must say what to grant, and nothing may be left half-written.
TEST(CollectTool, PermissionDeniedIsExplained) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop to another user";
    REQUIRE_SCHED();
    temp_dir dir;
    ::chmod(dir.str().c_str(), 0777);
    auto as_nobody = [&](const std::string& args) {
        return run("setpriv --reuid=65534 --regid=65534 --clear-groups " + collect_exe + " -o " + (dir / "x.data") +
                       " --duration 1 " + args,
                   dir);
    };
    struct stat tracing {};
    if (::stat("/sys/kernel/tracing", &tracing) == 0 && (tracing.st_mode & S_IXOTH) == 0) {
        auto r = as_nobody("sched:sched_switch");
        EXPECT_EQ(r.status, 1);
        EXPECT_NE(r.err.find("is not accessible to this user"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("chgrp -R tracing"), std::string::npos) << r.err;
    }
    // A readable copy of the tracepoint's tracefs files gets past tracefs;
    // perf_event_open is then what refuses (perf_event_paranoid > -1).
    const std::string copy = dir / "tracefs";
    const std::string from = "/sys/kernel/tracing/events/sched/sched_switch";
    ASSERT_EQ(std::system(("mkdir -p " + copy + "/events/sched/sched_switch && cp " + from + "/format " + from +
                           "/id " + copy + "/events/sched/sched_switch/ && chmod -R a+rX " + copy)
                              .c_str()),
              0);
    if (std::atoi(read_file("/proc/sys/kernel/perf_event_paranoid").c_str()) > -1) {
        auto r = as_nobody("--tracefs " + copy + " sched:sched_switch");
        EXPECT_EQ(r.status, 1);
        EXPECT_NE(r.err.find("not permitted"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("perf_event_paranoid"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("CAP_PERFMON"), std::string::npos) << r.err;
    }
}

// Every tool: --version names the tool and the project version (and the git
// commit when built from a checkout); a usage error is one line plus where
// the help is, exit status 2, nothing on stdout.
TEST(AllTools, VersionAndUsageErrors) {
    temp_dir dir;
    const bool from_git = ::access((std::string(EHTRACE_SOURCE_DIR) + "/.git").c_str(), F_OK) == 0;
    for (const auto& [exe, name] : {std::pair{collect_exe, "ehtrace-collect"},
                                    {decode_exe, "ehtrace-decode"},
                                    {register_exe, "ehtrace-register"},
                                    {doctor_exe, "ehtrace-doctor"}}) {
        const auto v = run(exe + " --version", dir);
        EXPECT_EQ(v.status, 0) << name;
        const std::string version = std::string(name) + " " + EHTRACE_PROJECT_VERSION;
        if (from_git) {
            EXPECT_TRUE(std::regex_match(v.out, std::regex(version + R"( \(git [0-9a-f]{12}(-modified)?\)\n)")))
                << v.out;
        } else {
            EXPECT_EQ(v.out, version + "\n");
        }
        const auto u = run(exe + " --no-such-option", dir);
        EXPECT_EQ(u.status, 2) << name;
        EXPECT_EQ(u.out, "") << name;
        EXPECT_TRUE(std::regex_match(u.err, std::regex(std::string(name) + ": [^\n]*--no-such-option[^\n]*\nTry '" +
                                                       name + " --help' for more information.\n")))
            << u.err;
    }
    const auto missing = run(register_exe + " -f", dir);
    EXPECT_EQ(missing.err, "ehtrace-register: -f needs a value\nTry 'ehtrace-register --help' for more information.\n");
}

// As a user who may not enter the mounted tracefs, the doctor must say so and
// suggest permissions, not mounting it again.
TEST(CollectTool, DoctorFixesFitPermissionDenied) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop to another user";
    struct stat tracing {};
    if (::stat("/sys/kernel/tracing", &tracing) != 0 || (tracing.st_mode & S_IXOTH) != 0 ||
        ::access("/sys/kernel/tracing/events", F_OK) != 0) {
        GTEST_SKIP() << "needs a mounted tracefs closed to other users";
    }
    temp_dir dir;
    const auto r = run("setpriv --reuid=65534 --regid=65534 --clear-groups " + doctor_exe, dir);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("problem  tracefs: tracefs is mounted at /sys/kernel/tracing but this user may not enter "
                         "it (Permission denied)"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("chgrp -R tracing /sys/kernel/tracing"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("mount -t tracefs"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("fstab"), std::string::npos) << r.out;
    // The same for an explicit --tracefs that is closed.
    const auto e =
        run("setpriv --reuid=65534 --regid=65534 --clear-groups " + doctor_exe + " --tracefs /sys/kernel/tracing", dir);
    EXPECT_NE(e.out.find("may not enter it (Permission denied)"), std::string::npos) << e.out;
    EXPECT_EQ(e.out.find("mount -t tracefs"), std::string::npos) << e.out;
}

// -i FILE reads the tracepoints from a list, -v names each one; -o - with
// --live is a clear usage error rather than a file named "-".
TEST(CollectTool, ListFileVerboseAndNoStdoutFile) {
    REQUIRE_SCHED();
    temp_dir dir;
    std::ofstream(dir / "list.txt") << "# scheduler\nsched:sched_process_exec   # exec\n\n  sched:sched_process_exit\n";
    const std::string out = dir / "l.data";
    const auto r = run(collect_exe + " -v -o " + out + " -i " + (dir / "list.txt") + " -- /bin/true", dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("ehtrace-collect: collecting sched:sched_process_exec\n"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("ehtrace-collect: collecting sched:sched_process_exit\n"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("collecting 2 tracepoints"), std::string::npos) << r.err;
    const auto d = run(decode_exe + " --format text --event sched:sched_process_exec " + out, dir);
    EXPECT_NE(d.out.find("sched:sched_process_exec filename=\"/bin/true\""), std::string::npos) << d.out;

    const auto missing = run(collect_exe + " -i " + (dir / "none.txt"), dir);
    EXPECT_EQ(missing.status, 2);
    EXPECT_NE(missing.err.find("cannot read " + (dir / "none.txt")), std::string::npos) << missing.err;
    const auto dash = run("cd " + dir.str() + " && " + collect_exe + " -o - --live sched:sched_switch", dir);
    EXPECT_EQ(dash.status, 2);
    EXPECT_EQ(dash.out, "");
    EXPECT_NE(dash.err.find("-o - and --live both write to stdout"), std::string::npos) << dash.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "-"));
}

// A reader of stdout that goes away ends the collector cleanly (a message,
// exit 1, not death by SIGPIPE) and the command it started, in both stdout
// modes; binary data is never written to a terminal.
TEST(CollectTool, ReaderGoingAwayEndsTheCollectorAndItsCommand) {
    REQUIRE_SCHED();
    for (const std::string mode : {"-o -", "--live"}) {
        SCOPED_TRACE(mode);
        temp_dir dir;
        const std::string pid_file = dir / "command.pid", status_file = dir / "status";
        // The reader exits once the command runs; the command would run for a minute.
        const auto r = run("{ " + collect_exe + " " + mode + " sched:sched_process_exit -- /bin/sh -c 'echo $$ > " +
                               pid_file + "; exec sleep 60'; echo $? > " + status_file + "; } | { while [ ! -s " +
                               pid_file + " ]; do sleep 0.05; done; }",
                           dir);
        ASSERT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(read_file(status_file), "1\n") << r.err;
        EXPECT_NE(r.err.find("the reader of stdout went away: stopping"), std::string::npos) << r.err;
        const std::string pid = read_file(pid_file);
        ASSERT_FALSE(pid.empty());
        EXPECT_NE(::kill(std::stoi(pid), 0), 0) << "the command " << pid << " still runs";
    }
    temp_dir dir;
    const auto tty = run("script -qec '" + collect_exe + " -o - sched:sched_switch' /dev/null", dir);
    EXPECT_EQ(tty.status, 2) << tty.out << tty.err;
    EXPECT_NE(tty.out.find("-o - writes binary perf data: pipe stdout into a program or a file"), std::string::npos)
        << tty.out;
    EXPECT_EQ(tty.out.find("PERFILE2"), std::string::npos);
}

// -o - streams the pipe layout: ehtrace-decode - and perf script -i - read it
// as it comes; the command's own stdout goes to stderr, out of the data.
TEST(CollectTool, StdoutStreamsThePipeLayout) {
    REQUIRE_SCHED();
    temp_dir dir;
    const std::string command =
        collect_exe +
        " -o - sched:sched_process_exec sched:sched_process_exit -- /bin/sh -c 'echo child-says-hi; exec /bin/true'";
    const auto r = run(command + " | " + decode_exe + " --format text -", dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find(R"(sched:sched_process_exec filename="/bin/true")"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(R"(sched:sched_process_exit comm="true")"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("child-says-hi"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("child-says-hi"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("written to stdout"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "-"));

    const std::string data = dir / "stream.data";
    ASSERT_EQ(run(command + " > " + data, dir).status, 0);
    const std::string bytes = read_file(data);
    ASSERT_GE(bytes.size(), 16u);
    EXPECT_EQ(bytes.substr(0, 8), "PERFILE2");
    EXPECT_EQ(bytes[8], '\x10');  // the pipe header's size: 16
    if (perf_path().empty()) GTEST_SKIP() << "perf is not installed (linux-perf)";
    const auto p = run(perf_path() + " script -i - -F comm,pid,event,trace < " + data, dir);
    ASSERT_EQ(p.status, 0) << p.err;
    EXPECT_TRUE(std::regex_search(p.out, std::regex(R"(true\s+\d+\s+sched:sched_process_exec: filename=/bin/true)")))
        << p.out;
}

// --filter: the kernel drops what the expression rejects; a bad expression
// is a clear error.
TEST(CollectTool, KernelFilterOnATracepoint) {
    REQUIRE_SCHED();
    temp_dir dir;
    const std::string out = dir / "f.data";
    const auto r = run(collect_exe + " -o " + out +
                           " sched:sched_process_exec --filter 'filename ~ \"*/true\"' sched:sched_process_exit"
                           " -- /bin/sh -c '/bin/echo hi >/dev/null; /bin/true'",
                       dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto d = run(decode_exe + " --format text --event 'sched:sched_process_exec' " + out, dir);
    EXPECT_NE(d.out.find("filename=\"/bin/true\""), std::string::npos) << d.out;
    EXPECT_EQ(d.out.find("filename=\"/bin/echo\""), std::string::npos) << d.out;
    EXPECT_EQ(d.out.find("filename=\"/bin/sh\""), std::string::npos) << d.out;
    const auto exits = run(decode_exe + " --format text --event 'sched:sched_process_exit' " + out, dir);
    EXPECT_NE(exits.out.find("comm=\"echo\""), std::string::npos) << exits.out;  // no filter there

    const auto bad = run(collect_exe + " -o " + out + " sched:sched_switch --filter 'no_such_field == 1'", dir);
    EXPECT_EQ(bad.status, 1);
    EXPECT_NE(bad.err.find("the kernel rejected the filter 'no_such_field == 1' for sched:sched_switch"),
              std::string::npos)
        << bad.err;
    const auto first = run(collect_exe + " --filter 'pid == 1' sched:sched_switch", dir);
    EXPECT_EQ(first.status, 2);
}

namespace {

// Lines of `text` that contain `needle`.
std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.find(needle) != std::string::npos) out.push_back(line);
    }
    return out;
}

// A process started before the collector: `script` under /bin/sh, its pid.
pid_t start_shell(const std::string& script) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::freopen("/dev/null", "w", stdout);
        ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return pid;
}

}  // namespace

// With a COMMAND only it and its children are recorded (another process's
// execs meanwhile are not), and both readers name the threads.
TEST(CollectTool, CommandRecordsOnlyItsProcessesWithNames) {
    REQUIRE_SCHED();
    temp_dir dir;
    const std::string out = dir / "cmd.data";
    const pid_t noise =
        start_shell("for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /bin/echo; sleep 0.02; done");
    const auto r = run(collect_exe + " -o " + out + " sched:sched_process_exec sched:sched_process_exit" +
                           " -- /bin/sh -c 'sleep 0.1; /bin/true; sleep 0.1'",
                       dir);
    int status = 0;
    ::waitpid(noise, &status, 0);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto d = run(decode_exe + " --format text " + out, dir);
    ASSERT_EQ(d.status, 0) << d.err;
    EXPECT_TRUE(lines_with(d.out, "/bin/echo").empty()) << d.out;
    const auto trues = lines_with(d.out, R"(sched:sched_process_exec filename="/bin/true")");
    ASSERT_EQ(trues.size(), 1u) << d.out;
    EXPECT_TRUE(std::regex_search(trues[0], std::regex(R"(^true +\d+/\d+ )"))) << trues[0];
    const auto exits = lines_with(d.out, R"(sched:sched_process_exit comm="sh")");
    ASSERT_EQ(exits.size(), 1u) << d.out;
    EXPECT_TRUE(std::regex_search(exits[0], std::regex(R"(^sh +\d+/\d+ )"))) << exits[0];

    if (perf_path().empty()) GTEST_SKIP() << "perf is not installed (linux-perf)";
    const auto p = run(perf_path() + " script -i " + out + " -F comm,pid,event,trace", dir);
    ASSERT_EQ(p.status, 0) << p.err;
    EXPECT_TRUE(lines_with(p.out, "/bin/echo").empty()) << p.out;
    EXPECT_TRUE(std::regex_search(p.out, std::regex(R"(\btrue\s+\d+\s+sched:sched_process_exec: filename=/bin/true)")))
        << p.out;
    EXPECT_TRUE(std::regex_search(p.out, std::regex(R"(\bsh\s+\d+\s+sched:sched_process_exit: comm=sh)"))) << p.out;
    EXPECT_EQ(p.out.find(":" + std::to_string(noise)), std::string::npos) << p.out;
}

// -p records a running process and what it starts; --tid the thread alone.
// The names of threads that ran before the collector come from /proc.
TEST(CollectTool, PidAndTidRecordRunningProcesses) {
    REQUIRE_SCHED();
    temp_dir dir;
    const std::string script = "sleep 0.4; /bin/true; exec /bin/echo";
    for (const std::string option : {"-p", "--tid"}) {
        const std::string out = dir / "t.data";
        const pid_t target = start_shell(script);
        const pid_t other = start_shell("sleep 0.4; /bin/true");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const auto r = run(collect_exe + " -q -o " + out + " " + option + " " + std::to_string(target) +
                               " sched:sched_process_exec sched:sched_process_exit --duration 1.2",
                           dir);
        int status = 0;
        ::waitpid(target, &status, 0);
        ::waitpid(other, &status, 0);
        ASSERT_EQ(r.status, 0) << r.err;
        const auto d = run(decode_exe + " --format text " + out, dir);
        ASSERT_EQ(d.status, 0) << d.err;
        const auto execs = lines_with(d.out, "sched:sched_process_exec");
        const auto echo = lines_with(d.out, R"(filename="/bin/echo")");
        ASSERT_EQ(echo.size(), 1u) << option << "\n" << d.out;
        // Before its exec the target was "sh" (a COMM from /proc); after, "echo".
        EXPECT_TRUE(std::regex_search(echo[0], std::regex("^echo +" + std::to_string(target) + "/"))) << echo[0];
        const std::size_t trues = lines_with(d.out, R"(filename="/bin/true")").size();
        if (option == "-p") {
            EXPECT_EQ(trues, 1u) << d.out;         // the target's child, not the other process's
            EXPECT_EQ(execs.size(), 2u) << d.out;  // true, echo: sleep started before
        } else {
            EXPECT_EQ(trues, 0u) << d.out;
            EXPECT_EQ(execs.size(), 1u) << d.out;
        }
    }
    // A process that ran before: its name from /proc, as perf script shows it.
    const pid_t sleeper = start_shell("exec sleep 0.4");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::string out = dir / "s.data";
    const auto r = run(
        collect_exe + " -q -o " + out + " -p " + std::to_string(sleeper) + " sched:sched_process_exit --duration 0.8",
        dir);
    int status = 0;
    ::waitpid(sleeper, &status, 0);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto d = run(decode_exe + " --format text " + out, dir);
    EXPECT_TRUE(std::regex_search(d.out, std::regex("^sleep +" + std::to_string(sleeper) + "/"))) << d.out;
    if (!perf_path().empty()) {
        const auto p = run(perf_path() + " script -i " + out + " -F comm,pid,event", dir);
        EXPECT_TRUE(std::regex_search(p.out, std::regex("sleep\\s+" + std::to_string(sleeper) + "\\s+sched:")))
            << p.out;
    }

    const auto missing = run(collect_exe + " -p 999999999 sched:sched_switch", dir);
    EXPECT_EQ(missing.status, 1) << missing.err;
    EXPECT_NE(missing.err.find("no process 999999999"), std::string::npos) << missing.err;
    const auto both = run(collect_exe + " -p 1 sched:sched_switch -- /bin/true", dir);
    EXPECT_EQ(both.status, 2);
    EXPECT_NE(both.err.find("a COMMAND, or -p/--tid: not both"), std::string::npos) << both.err;
}
