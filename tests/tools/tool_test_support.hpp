// Running commands and reading files for the tool tests.
#pragma once

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

namespace ehtrace::test {

struct run_result {
    int status = -1;
    std::string out;
    std::string err;
};

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& path, const std::string& data) {
    std::ofstream(path, std::ios::binary) << data;
}

class temp_dir {
public:
    temp_dir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() / ("ehtrace-decode-test-" + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~temp_dir() { std::filesystem::remove_all(path_); }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] std::string operator/(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

// Runs `command` with /bin/sh; stdout and stderr captured separately.
inline run_result run(const std::string& command, const temp_dir& dir) {
    const std::string out = dir / "stdout.txt", err = dir / "stderr.txt";
    const std::string full = "(" + command + ") >" + out + " 2>" + err;
    const int status = std::system(full.c_str());
    run_result r;
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_file(out);
    r.err = read_file(err);
    return r;
}

inline std::string perf_path() {
    for (const char* candidate : {"/usr/bin/perf", "/usr/local/bin/perf"}) {
        if (access(candidate, X_OK) == 0) return candidate;
    }
    return {};
}

// tracefs with the sched events, mounting it when we are allowed to.
inline bool ensure_tracefs() {
    if (access("/sys/kernel/tracing/events/sched", F_OK) == 0) return true;
    if (access("/sys/kernel/debug/tracing/events/sched", F_OK) == 0) return true;
    if (std::system("mount -t tracefs nodev /sys/kernel/tracing >/dev/null 2>&1") != 0) return false;
    return access("/sys/kernel/tracing/events/sched", F_OK) == 0;
}

}  // namespace ehtrace::test
