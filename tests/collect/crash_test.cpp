// ehtrace-collect killed with SIGKILL at random moments: the output decodes,
// says it was not finalised, and holds a prefix of the forks a test thread
// made while it ran. Circular mode: SIGUSR1 snapshots go to new files and
// the summary's counts add up.
#include "collect_test_support.hpp"

#include <fcntl.h>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <mutex>
#include <regex>
#include <thread>

using namespace collect_test;

namespace {

const std::string collect_exe = EHTRACE_COLLECT_EXE;

#define REQUIRE_SCHED()                                                        \
    do {                                                                       \
        if (auto why = sched_unavailable(); !why.empty()) GTEST_SKIP() << why; \
    } while (0)

// ehtrace-collect with `args`, stderr to `err_path`.
pid_t start_collect(const std::vector<std::string>& args, const std::string& err_path) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, STDERR_FILENO);
        std::vector<char*> argv{const_cast<char*>(collect_exe.c_str())};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(collect_exe.c_str(), argv.data());
        ::_exit(127);
    }
    return pid;
}

// Waits (at most 10 s) until `path` contains `text`.
bool wait_for_text(const std::string& path, const std::string& text) {
    for (int i = 0; i < 1000; ++i) {
        if (read_file(path).find(text) != std::string::npos) return true;
        ::usleep(10000);
    }
    return false;
}

// Forks children that exit at once, one every ~2 ms, until stopped; keeps
// their pids in order.
class forker {
public:
    forker()
        : thread_([this] {
              tid_ = ::gettid();  // the fork events' parent_pid
              while (!stop_) {
                  const pid_t child = ::fork();
                  if (child == 0) ::_exit(0);
                  if (child > 0) {
                      ::waitpid(child, nullptr, 0);
                      std::lock_guard lock(mutex_);
                      pids_.push_back(child);
                  }
                  ::usleep(2000);
              }
          }) {}
    ~forker() { finish(); }
    std::vector<pid_t> finish() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        std::lock_guard lock(mutex_);
        return pids_;
    }
    pid_t tid() const { return tid_; }

private:
    std::atomic<pid_t> tid_{0};
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<pid_t> pids_;
    std::thread thread_;
};

}  // namespace

TEST(CollectCrash, KilledCollectorLeavesAReadablePrefix) {
    REQUIRE_SCHED();
    temp_dir dir;
    std::mt19937 random(std::random_device{}());
    const std::regex fork_event(R"re("parent_pid":"0x([0-9A-F]+)".*"child_pid":"0x([0-9A-F]+)")re");
    int with_forks = 0;
    constexpr int runs = 8;
    for (int attempt = 0; attempt < runs; ++attempt) {
        // A new stderr file each time: "collecting" must come from this run.
        const std::string out = dir / ("k" + std::to_string(attempt) + ".data"),
                          err = dir / ("err" + std::to_string(attempt) + ".txt");
        const pid_t pid = start_collect({"-o", out, "sched:sched_process_fork"}, err);
        ASSERT_GT(pid, 0);
        ASSERT_TRUE(wait_for_text(err, "collecting")) << read_file(err);
        std::vector<pid_t> forked;
        pid_t forker_tid = 0;
        {
            forker f;
            ::usleep(static_cast<useconds_t>(50000 + random() % 400000));
            ::kill(pid, SIGKILL);
            int status = 0;
            ::waitpid(pid, &status, 0);
            ASSERT_TRUE(WIFSIGNALED(status)) << read_file(err);
            forked = f.finish();
            forker_tid = f.tid();
        }
        std::string error;
        std::vector<std::string> events;
        ASSERT_TRUE(decode_json(out, events, &error)) << "run " << attempt << ": " << error;
        std::vector<pid_t> seen;
        for (const auto& e : events) {
            std::smatch m;
            if (!std::regex_search(e, m, fork_event)) continue;
            if (std::stoi(m[1], nullptr, 16) != forker_tid) continue;
            seen.push_back(static_cast<pid_t>(std::stoi(m[2], nullptr, 16)));
        }
        ASSERT_LE(seen.size(), forked.size());
        const auto list = [](const std::vector<pid_t>& pids) {
            std::string text;
            for (std::size_t i = 0; i < pids.size() && i < 12; ++i) text += std::to_string(pids[i]) + " ";
            return text + "(" + std::to_string(pids.size()) + ")";
        };
        EXPECT_TRUE(std::equal(seen.begin(), seen.end(), forked.begin()))
            << "run " << attempt << ": not a prefix: read " << list(seen) << ", forked " << list(forked);
        with_forks += !seen.empty();
        const auto d = run(std::string(EHTRACE_DECODE_EXE) + " --jsonl " + out, dir);
        EXPECT_EQ(d.status, 0) << d.err;
        EXPECT_NE(d.err.find("not finalised"), std::string::npos) << d.err;
    }
    EXPECT_GE(with_forks, runs / 2);
}

TEST(CollectCrash, CircularSnapshotsGoToNewFilesAndCountsAddUp) {
    REQUIRE_SCHED();
    temp_dir dir;
    const std::string out = dir / "c.data", err = dir / "err.txt";
    const pid_t pid = start_collect({"--circular", "0.01", "-o", out, "sched:sched_process_fork"}, err);
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(wait_for_text(err, "collecting")) << read_file(err);
    forker f;
    for (int snapshot = 1; snapshot <= 2; ++snapshot) {
        ::usleep(300000);
        ::kill(pid, SIGUSR1);
        ASSERT_TRUE(wait_for_text(err, "to " + out + "." + std::to_string(snapshot))) << read_file(err);
    }
    ::usleep(100000);
    ::kill(pid, SIGINT);
    int status = 0;
    ::waitpid(pid, &status, 0);
    f.finish();
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(err);
    const std::string text = read_file(err);
    for (const std::string& file : {out + ".1", out + ".2", out}) {
        std::vector<std::string> events;
        std::string error;
        ASSERT_TRUE(decode_json(file, events, &error)) << file << ": " << error;
        EXPECT_FALSE(events.empty()) << file;
        if (file == out) {
            std::smatch m;
            ASSERT_TRUE(
                std::regex_search(text, m, std::regex(R"((\d+) events: (\d+) in \S+, (\d+) older ones overwritten)")))
                << text;
            EXPECT_EQ(std::stoull(m[1]), std::stoull(m[2]) + std::stoull(m[3])) << text;
            EXPECT_EQ(std::stoull(m[2]), events.size()) << text;
        }
    }
}
