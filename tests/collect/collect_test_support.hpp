// Shared helpers of the collect tests: temporary directories, running
// commands, perf and tracefs availability, reading perf.data back as JSON.
#pragma once

#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace collect_test {

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class temp_dir {
public:
    temp_dir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() / ("ehtrace-collect-test-" + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~temp_dir() { std::filesystem::remove_all(path_); }
    [[nodiscard]] std::string operator/(const std::string& name) const { return (path_ / name).string(); }
    [[nodiscard]] std::string str() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

struct run_result {
    int status = -1;
    std::string out, err;
};

inline run_result run(const std::string& command, const temp_dir& dir) {
    const std::string out = dir / "stdout.txt", err = dir / "stderr.txt";
    const int status = std::system(("(" + command + ") >" + out + " 2>" + err).c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
}

inline std::string perf_path() {
    for (const char* p : {"/usr/bin/perf", "/usr/local/bin/perf"}) {
        if (::access(p, X_OK) == 0) return p;
    }
    return {};
}

// Why kernel tracepoint collection cannot run here, "" when it can.
inline std::string sched_unavailable() {
    if (::access("/sys/kernel/tracing/events/sched/sched_process_exec/id", R_OK) != 0) {
        return "no readable /sys/kernel/tracing/events/sched (tracefs not mounted or not permitted)";
    }
    if (::geteuid() != 0) {
        std::string text = read_file("/proc/sys/kernel/perf_event_paranoid");
        if (std::atoi(text.c_str()) > -1) return "not root and perf_event_paranoid > -1";
    }
    return {};
}

// Every sample of a perf.data file as the decoder's JSON; false on damage.
inline bool decode_json(const std::string& path, std::vector<std::string>& events, std::string* error = nullptr,
                        const ehtrace::decode::json_options& options = {}) {
    std::string open_error;
    auto input = ehtrace::decode::byte_source::open(path, open_error);
    if (!input) {
        if (error) *error = open_error;
        return false;
    }
    ehtrace::decode::perf_data_reader reader(*input);
    ehtrace::decode::perf_sample sample;
    ehtrace::decode::sample_decoder decoder;
    while (reader.next(sample)) {
        std::string json;
        ehtrace::decode::append_json(json, decoder.decode(sample), options);
        events.push_back(std::move(json));
    }
    if (reader.error()) {
        if (error) *error = reader.error().message;
        return false;
    }
    return true;
}

// "0x1A2B" as the decoder prints pid_t fields.
inline std::string hex_pid(pid_t pid) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "\"0x%X\"", static_cast<unsigned>(pid));
    return buffer;
}

}  // namespace collect_test
