// ehtrace-decode against perf.data written by Debian's perf (a tool we did not
// write): every sample perf script shows must decode to the same values.
#include "tool_test_support.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <regex>
#include <sstream>
#include <vector>

using namespace ehtrace::test;

namespace {

const std::string decoder = EHTRACE_DECODE_EXE;

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) out.push_back(line);
    }
    return out;
}

// One sample, normalised to comparable text.
struct sample {
    std::string time, cpu, pid, tid, event;
    std::map<std::string, std::string> fields;
};

// " 3672/3672  [000]   213.042836416:  sched:sched_switch: prev_comm=perf prev_pid=3672 ..."
bool parse_perf_script_line(const std::string& line, sample& s) {
    static const std::regex head(R"(^\s*(-?\d+)/(-?\d+)\s+\[(\d+)\]\s+(\d+\.\d+):\s+(\S+):\s?(.*)$)");
    std::smatch m;
    if (!std::regex_match(line, m, head)) return false;
    // perf prints an unknown pid or tid as -1; our "meta" has them unsigned.
    const auto as_u32 = [](const std::string& v) { return std::to_string(static_cast<std::uint32_t>(std::stol(v))); };
    s.pid = as_u32(m[1]), s.tid = as_u32(m[2]), s.cpu = std::to_string(std::stoul(m[3])), s.time = m[4], s.event = m[5];
    const std::string rest = m[6];
    static const std::regex kv(R"((\w+)=(\S*))");
    for (auto it = std::sregex_iterator(rest.begin(), rest.end(), kv); it != std::sregex_iterator(); ++it) {
        s.fields[(*it)[1]] = (*it)[2];
    }
    return true;
}

std::string json_member(const std::string& json, const std::string& key) {
    const std::regex re("\"" + key + "\":(\"([^\"]*)\"|(-?[0-9.]+))");
    std::smatch m;
    if (!std::regex_search(json, m, re)) return "<missing>";
    return m[2].matched ? std::string(m[2]) : std::string(m[3]);
}

bool is_number(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(),
                                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '-'; });
}

// Our hex strings ("0xE58") as perf prints them (3672).
std::string normalise(const std::string& v) {
    if (v.rfind("0x", 0) == 0) return std::to_string(std::stoll(v.substr(2), nullptr, 16));
    return v;
}

void compare_with_perf_script(const std::string& perf_data, const std::string& decode_command, const temp_dir& dir) {
    const auto script = run(perf_path() + " script -i " + perf_data + " -F pid,tid,cpu,time,event,trace --ns", dir);
    ASSERT_EQ(script.status, 0) << script.err;
    const auto decoded = run(decode_command, dir);
    ASSERT_EQ(decoded.status, 0) << decoded.err;

    std::vector<std::string> expected, actual;
    int compared_fields = 0;
    for (const auto& line : lines(script.out)) {
        sample s;
        ASSERT_TRUE(parse_perf_script_line(line, s)) << line;
        std::string text = s.time + " " + s.cpu + " " + s.pid + "/" + s.tid + " " + s.event;
        for (const auto& [k, v] : s.fields) text += " " + k + "=" + v;
        expected.push_back(text);
    }
    const auto our_lines = lines(decoded.out);
    ASSERT_EQ(our_lines.size(), expected.size()) << decoded.out.substr(0, 2000) << "\n---\n"
                                                 << script.out.substr(0, 2000);
    std::string previous_time;
    for (std::size_t i = 0; i != our_lines.size(); ++i) {
        const auto& json = our_lines[i];
        sample p;
        ASSERT_TRUE(parse_perf_script_line(lines(script.out)[i], p));
        // Fields perf prints symbolically (prev_state=S) are not comparable.
        const std::string meta = json.substr(json.rfind("\"meta\":"));
        std::string text = json_member(meta, "time") + " " + json_member(meta, "cpu") + " " + json_member(meta, "pid") +
                           "/" + json_member(meta, "tid") + " " + json_member(json, "n");
        for (const auto& [k, v] : p.fields) {
            std::string ours = normalise(json_member(json.substr(0, json.size() - meta.size()), k));
            // perf prints some fields under another label (fork's parent_comm
            // as comm=) or symbolically (prev_state=S): not comparable.
            if (ours == "<missing>" || (!is_number(v) && is_number(ours))) {
                ours = v;
            } else {
                ++compared_fields;
            }
            text += " " + k + "=" + ours;
        }
        actual.push_back(text);
        const std::string time = json_member(meta, "time");
        EXPECT_GE(time.size(), 10u);
        if (!previous_time.empty()) {
            EXPECT_LE(std::stod(previous_time), std::stod(time)) << "not in time order";
        }
        previous_time = time;
    }
    // Equal timestamps may legitimately be ordered differently.
    std::sort(expected.begin(), expected.end());
    std::sort(actual.begin(), actual.end());
    EXPECT_EQ(actual, expected);
    EXPECT_GT(compared_fields, 10);
}

class DecodePerfRecord : public ::testing::Test {
protected:
    void SetUp() override {
        if (perf_path().empty()) GTEST_SKIP() << "perf is not installed (install linux-perf)";
        if (!ensure_tracefs()) GTEST_SKIP() << "tracefs with sched events is not available";
    }
    const std::string events =
        "-e sched:sched_switch -e sched:sched_process_exec -e sched:sched_process_exit "
        "-e sched:sched_process_fork";
    const std::string workload = "sh -c 'for i in 1 2 3; do /bin/true; done; ls / >/dev/null'";
    temp_dir dir;
};

}  // namespace

TEST_F(DecodePerfRecord, FileLayoutMatchesPerfScript) {
    const std::string data = dir / "file.data";
    const auto rec = run(perf_path() + " record -q " + events + " -o " + data + " -- " + workload, dir);
    ASSERT_EQ(rec.status, 0) << rec.err;
    compare_with_perf_script(data, decoder + " --jsonl " + data, dir);
}

TEST_F(DecodePerfRecord, SystemWideFileLayoutMatchesPerfScript) {
    const std::string data = dir / "all.data";
    const auto rec = run(perf_path() + " record -q -a " + events + " -o " + data + " -- " + workload, dir);
    ASSERT_EQ(rec.status, 0) << rec.err;
    compare_with_perf_script(data, decoder + " --jsonl " + data, dir);
}

TEST_F(DecodePerfRecord, PipeLayoutFromStdinMatchesPerfScript) {
    const std::string data = dir / "pipe.data";
    const auto rec = run(perf_path() + " record -q " + events + " -o - -- " + workload + " > " + data, dir);
    ASSERT_EQ(rec.status, 0) << rec.err;
    ASSERT_EQ(read_file(data).substr(0, 8), "PERFILE2");
    compare_with_perf_script(data, "cat " + data + " | " + decoder + " --jsonl -", dir);
}

TEST_F(DecodePerfRecord, ClockDataGivesWallClockTime) {
    const std::string data = dir / "clock.data";
    const auto rec = run(
        perf_path() + " record -q -k CLOCK_MONOTONIC -e sched:sched_process_exec -o " + data + " -- /bin/true", dir);
    ASSERT_EQ(rec.status, 0) << rec.err;
    const auto decoded = run(decoder + " --jsonl " + data, dir);
    ASSERT_EQ(decoded.status, 0) << decoded.err;
    std::smatch m;
    const std::string out = decoded.out;
    ASSERT_TRUE(std::regex_search(out, m, std::regex(R"("time":"(\d{4})-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z")"))) << out;
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    EXPECT_NEAR(std::stoi(m[1]), tm.tm_year + 1900, 1);
}

TEST_F(DecodePerfRecord, DefaultOutputIsOneDocumentKeyedByFile) {
    const std::string data = dir / "doc.data";
    ASSERT_EQ(run(perf_path() + " record -q -e sched:sched_process_exec -o " + data + " -- /bin/true", dir).status, 0);
    const auto decoded = run(decoder + " " + data + " " + data, dir);
    ASSERT_EQ(decoded.status, 0) << decoded.err;
    EXPECT_EQ(decoded.out.rfind("{\n\"" + data + "\": [\n  {\"n\":\"sched:sched_process_exec\"", 0), 0u) << decoded.out;
    EXPECT_NE(decoded.out.find(" ],\n\"" + data + "\": ["), std::string::npos);
    EXPECT_EQ(decoded.out.substr(decoded.out.size() - 5), " ]\n}\n");
}
