// ehtrace-decode's filters, text format, inputs and usage errors, on a
// perf.data file written by ehtrace's perf_data_writer with known pids, tids,
// CPUs, command names and times.
#include <ehtrace/perf_data_writer.hpp>

#include "tool_test_support.hpp"

#include <cstring>
#include <ctime>
#include <iomanip>
#include <regex>
#include <sstream>
#include <vector>

using namespace ehtrace::test;

namespace {

const std::string decoder = EHTRACE_DECODE_EXE;

constexpr char eventheader_fields[] = " u8 eventheader_flags; u8 version; u16 id; u16 tag; u8 opcode; u8 level";

// Header (flags 0x07, `level`) + metadata: event `name`, field "v" value32,
// and for `nested` a struct s {a u8, b u8} and an array arr of u8; payload.
std::vector<std::byte> eventheader(unsigned level, const std::string& name, std::uint32_t v, bool nested = false) {
    std::string meta = name + '\0' + "v" + '\0' + "\x04";
    if (nested)
        meta += std::string(
            "s\0\x81\x02"
            "a\0\x02"
            "b\0\x02"
            "arr\0\x42",
            15);
    std::string event = std::string("\x07\0\0\0\0\0\0", 7) + static_cast<char>(level);
    event += static_cast<char>(meta.size()) + std::string("\0\x01\0", 3) + meta;
    for (int i = 0; i < 4; ++i) event += static_cast<char>(v >> (8 * i));
    if (nested) event += std::string("\x01\x02\x02\0\x01\x02", 6);
    std::vector<std::byte> out(event.size());
    std::memcpy(out.data(), event.data(), event.size());
    return out;
}

constexpr std::uint64_t t0 = 1000000000000ull;  // sample clock, ns
constexpr std::uint64_t second = 1000000000ull;

// Five samples, v = 1..5:
//   v  time  cpu pid/tid  comm   name                 level keyword
//   1  +0s   0   100/100  alpha  Acme_Many:Odd        4     0x10
//   2  +1s   1   200/201  beta   Acme_Many:Even       4     0x10
//   3  +2s   2   100/100  alpha  Acme_Many:Odd        2     0x1
//   4  +3s   3   200/201  beta   sched:sched_switch   -     -
//   5  +4s   1   300/300  -      Other:Nested (s, arr) 5    0x1
void write_sample_file(const std::string& path) {
    ehtrace::perf_data_writer w;
    ASSERT_EQ(w.open(path.c_str()), 0);
    const auto user_event = [&](const char* name, std::uint32_t id) {
        const std::string format = ehtrace::synthesize_user_events_format(std::string(name) + eventheader_fields, id);
        return w.add_tracepoint("user_events", name, format, id);
    };
    const int many4 = user_event("Acme_Many_L4K10", 701);
    const int many2 = user_event("Acme_Many_L2K1", 702);
    const int other = user_event("Other_L5K1", 703);
    const int sched =
        w.add_tracepoint("sched", "sched_switch",
                         ehtrace::synthesize_user_events_format("sched_switch char[16] prev_comm; u32 v", 704), 704);
    ASSERT_GE(sched, 0);
    ASSERT_EQ(w.write_comm(100, 100, "alpha", t0 - 10, 0), 0);
    ASSERT_EQ(w.write_comm(200, 201, "beta", t0 - 10, 1), 0);
    ASSERT_EQ(w.write_user_event(many4, t0, 0, 100, 100, eventheader(4, "Odd", 1)), 0);
    ASSERT_EQ(w.write_user_event(many4, t0 + second, 1, 200, 201, eventheader(4, "Even", 2)), 0);
    ASSERT_EQ(w.write_user_event(many2, t0 + 2 * second, 2, 100, 100, eventheader(2, "Odd", 3)), 0);
    std::vector<std::byte> record(8 + 16 + 4);
    const std::uint16_t type = 704;
    std::memcpy(record.data(), &type, 2);
    std::memcpy(record.data() + 8, "beta", 4);
    record[24] = std::byte{4};
    ASSERT_EQ(w.write_sample(sched, t0 + 3 * second, 3, 200, 201, record), 0);
    ASSERT_EQ(w.write_user_event(other, t0 + 4 * second, 1, 300, 300, eventheader(5, "Nested", 5, true)), 0);
    ASSERT_EQ(w.close(), 0);
}

// The "v" values of the JSON lines, "1,3".
std::string values(const std::string& jsonl) {
    std::string out;
    std::istringstream in(jsonl);
    const std::regex v(R"("v":(\d+))");
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (!out.empty()) out += ',';
        out += std::regex_search(line, m, v) ? m[1].str() : "?";
    }
    return out;
}

class DecodeOptions : public ::testing::Test {
protected:
    void SetUp() override { write_sample_file(file); }
    std::string select(const std::string& options) {
        const auto r = run(decoder + " --jsonl " + options + " " + file, dir);
        EXPECT_EQ(r.status, 0) << options << ": " << r.err;
        EXPECT_EQ(r.err, "") << options;
        return values(r.out);
    }
    temp_dir dir;
    const std::string file = dir / "t.data";
};

// "2026-12-01T15:44:02.123456789Z" to seconds since 1970 with nanoseconds, "1764603842.123456789".
std::string utc_seconds(const std::string& iso) {
    std::tm tm{};
    std::istringstream in(iso.substr(0, 19));
    in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
    return std::to_string(timegm(&tm)) + iso.substr(19, 10);
}

}  // namespace

TEST_F(DecodeOptions, EveryEventWithoutFilters) { EXPECT_EQ(select(""), "1,2,3,4,5"); }

TEST_F(DecodeOptions, ProcessThreadCpuAndCommand) {
    EXPECT_EQ(select("--pid 100"), "1,3");
    EXPECT_EQ(select("--pid 100,300"), "1,3,5");
    EXPECT_EQ(select("--pid 201"), "");
    EXPECT_EQ(select("--tid 201"), "2,4");
    EXPECT_EQ(select("--cpu 1-2"), "2,3,5");
    EXPECT_EQ(select("--cpu 0,3"), "1,4");
    EXPECT_EQ(select("--comm beta"), "2,4");
    EXPECT_EQ(select("--comm 'al*'"), "1,3");
    EXPECT_EQ(select("--comm alpha --comm beta --cpu 1"), "2");
}

TEST_F(DecodeOptions, NamesAsShownAndGlobs) {
    EXPECT_EQ(select("--event Acme_Many:Odd"), "1,3");
    EXPECT_EQ(select("--event Odd"), "1,3");
    EXPECT_EQ(select("--event sched:sched_switch"), "4");
    EXPECT_EQ(select("--event 'sched:sched_*'"), "4");
    EXPECT_EQ(select("--event '*:Even' --event Nested"), "2,5");
    EXPECT_EQ(select("--provider 'Acme_*'"), "1,2,3");
    EXPECT_EQ(select("--provider Acme_Many --event Even"), "2");
    EXPECT_EQ(select("--event Acme:Odd"), "");
}

TEST_F(DecodeOptions, LevelAndKeyword) {
    EXPECT_EQ(select("--level 2"), "3");
    EXPECT_EQ(select("--level warning"), "3");
    EXPECT_EQ(select("--level info"), "1,2,3");
    EXPECT_EQ(select("--level 9"), "1,2,3,5");  // levels above 5 are valid EventHeader levels
    EXPECT_EQ(select("--keyword 0x10"), "1,2");
    EXPECT_EQ(select("--keyword 1"), "3,5");
    EXPECT_EQ(select("--keyword 0x11 --level 4"), "1,2,3");
}

TEST_F(DecodeOptions, TimeRanges) {
    EXPECT_EQ(select("--time +1,+2"), "2,3");
    EXPECT_EQ(select("--time ,+0.5"), "1");
    EXPECT_EQ(select("--time +3.5,"), "5");
    // Absolute: the times meta.time shows, as ISO 8601 and as seconds since 1970.
    const auto all = run(decoder + " --jsonl " + file, dir).out;
    const std::regex time(R"x("time":"([^"]+)")x");
    std::vector<std::string> times;
    for (auto it = std::sregex_iterator(all.begin(), all.end(), time); it != std::sregex_iterator(); ++it) {
        times.push_back((*it)[1]);
    }
    ASSERT_EQ(times.size(), 5u) << all;
    EXPECT_EQ(select("--time " + times[1] + "," + times[2]), "2,3");
    EXPECT_EQ(select("--time " + utc_seconds(times[3]) + ","), "4,5");
    EXPECT_EQ(select("--time ," + utc_seconds(times[0])), "1");
}

TEST_F(DecodeOptions, BadFilterValuesAreOneLineAndExit2) {
    for (const std::string bad : {"--level 0",
                                  "--level 256",
                                  "--level 9x",
                                  "--level ''",
                                  "--level debug",
                                  "--pid abc",
                                  "--pid ''",
                                  "--pid 1,",
                                  "--tid -1",
                                  "--cpu 3-1",
                                  "--cpu x",
                                  "--time 5",
                                  "--time 2,1",
                                  "--time x,y",
                                  "--time ,",
                                  "--time +2,+1",
                                  "--time 2026-13-01T00:00:00Z,",
                                  "--event ''",
                                  "--provider ''",
                                  "--comm ''",
                                  "--keyword 0",
                                  "--keyword zz",
                                  "--format xml",
                                  "--meta bogus",
                                  "--bogus",
                                  "--pid"}) {
        const auto r = run(decoder + " " + bad + " " + file, dir);
        EXPECT_EQ(r.status, 2) << bad;
        EXPECT_EQ(r.out, "") << bad;
        const std::string option = bad.substr(0, bad.find(' '));
        EXPECT_TRUE(std::regex_match(r.err, std::regex("ehtrace-decode: [^\n]*" + option +
                                                       "[^\n]*\nTry 'ehtrace-decode --help' for more information.\n")))
            << bad << ": " << r.err;
    }
}

TEST_F(DecodeOptions, TextFormatLikePerfScript) {
    const auto r = run(decoder + " --format text " + file, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string time = R"(20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)";
    const std::vector<std::string> expected = {
        R"(alpha +100/100 +\[000\] )" + time + R"(: Acme_Many:Odd v=1)",
        R"(beta +200/201 +\[001\] )" + time + R"(: Acme_Many:Even v=2)",
        R"(alpha +100/100 +\[002\] )" + time + R"(: Acme_Many:Odd v=3)",
        R"(beta +200/201 +\[003\] )" + time + R"(: sched:sched_switch prev_comm="beta" v=4)",
        R"(- +300/300 +\[001\] )" + time + R"(: Other:Nested v=5 s=\{a=1 b=2\} arr=\[1,2\])",
    };
    std::istringstream in(r.out);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line); ++n) {
        ASSERT_LT(n, expected.size()) << r.out;
        EXPECT_TRUE(std::regex_match(line, std::regex(expected[n]))) << line;
    }
    EXPECT_EQ(n, expected.size()) << r.out;
    // Filters apply to the text format too; several inputs name their input.
    const auto two = run(decoder + " --format text --pid 300 " + file + " " + file, dir);
    EXPECT_EQ(std::count(two.out.begin(), two.out.end(), '\n'), 2) << two.out;
    EXPECT_EQ(two.out.rfind(file + ": - ", 0), 0u) << two.out;
}

TEST_F(DecodeOptions, SummaryCountsLostEventsPerInput) {
    // The same five samples with two LOST records (17 + 5 events) among them;
    // filters do not change what was lost.
    const std::string lossy = dir / "lossy.data";
    {
        ehtrace::perf_data_writer w;
        ASSERT_EQ(w.open(lossy.c_str()), 0);
        const int tp = w.add_tracepoint(
            "user_events", "Acme_Many_L4K10",
            ehtrace::synthesize_user_events_format(std::string("Acme_Many_L4K10") + eventheader_fields, 701), 701);
        ASSERT_EQ(w.write_comm(100, 100, "alpha", t0 - 10, 0), 0);
        for (std::uint32_t i = 1; i <= 5; ++i) {
            ASSERT_EQ(w.write_user_event(tp, t0 + i * second, 0, 100, 100, eventheader(4, "Odd", i)), 0);
            if (i == 2) {
                ASSERT_EQ(w.write_lost(17, t0 + i * second + 1, 0), 0);
            } else if (i == 4) {
                ASSERT_EQ(w.write_lost(5, t0 + i * second + 1, 1, 100, 100), 0);
            }
        }
        ASSERT_EQ(w.close(), 0);
    }
    const auto text = run(decoder + " --summary --pid 100 " + lossy + " " + file, dir);
    ASSERT_EQ(text.status, 0) << text.err;
    const auto lossy_part = text.out.substr(0, text.out.find("\ninput"));
    const auto clean_part = text.out.substr(text.out.find("\ninput"));
    EXPECT_NE(lossy_part.find("\nevents     5\nlost       22\n"), std::string::npos) << text.out;
    EXPECT_NE(clean_part.find("\nlost       0\n"), std::string::npos) << text.out;
    const auto json = run(decoder + " --summary --format json " + lossy + " " + file, dir);
    ASSERT_EQ(json.status, 0) << json.err;
    EXPECT_NE(json.out.find("\"" + lossy + "\": {\"events\":5,\"lost\":22,"), std::string::npos) << json.out;
    EXPECT_NE(json.out.find("\"" + file + "\": {\"events\":5,\"lost\":0,"), std::string::npos) << json.out;
    const auto html = run(decoder + " --format html " + lossy, dir);
    EXPECT_NE(html.out.find("5 events over 4.000000 s ("), std::string::npos) << html.out;
    EXPECT_NE(html.out.find(", 22 lost</p>"), std::string::npos) << html.out;
}

TEST_F(DecodeOptions, MissingInputPrintsNothing) {
    for (const std::string& inputs : {dir / "none.data", file + " " + (dir / "none.data")}) {
        const auto r = run(decoder + " " + inputs, dir);
        EXPECT_EQ(r.status, 1) << inputs;
        EXPECT_EQ(r.out, "") << inputs;
        EXPECT_EQ(r.err, "ehtrace-decode: " + (dir / "none.data") + ": No such file or directory\n");
    }
}

TEST_F(DecodeOptions, NoInputReadsEhtraceData) {
    const auto none = run("cd " + dir.path().string() + " && " + decoder, dir);
    EXPECT_EQ(none.status, 2);
    EXPECT_EQ(none.out, "");
    EXPECT_EQ(std::count(none.err.begin(), none.err.end(), '\n'), 2) << none.err;
    std::filesystem::copy_file(file, dir / "ehtrace.data");
    const auto r = run("cd " + dir.path().string() + " && " + decoder + " --jsonl", dir);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(values(r.out), "1,2,3,4,5");
}

TEST_F(DecodeOptions, ProgressOnlyWhenAsked) {
    // Not a terminal: silent unless --progress.
    const std::string big = dir / "big.data";
    {
        ehtrace::perf_data_writer w;
        ASSERT_EQ(w.open(big.c_str()), 0);
        const int tp =
            w.add_tracepoint("user_events", "P_L4K1",
                             ehtrace::synthesize_user_events_format(std::string("P_L4K1") + eventheader_fields, 9), 9);
        for (std::uint32_t i = 0; i < 3000; ++i)
            ASSERT_EQ(w.write_user_event(tp, t0 + i, 0, 1, 1, eventheader(4, "E", i)), 0);
        ASSERT_EQ(w.close(), 0);
    }
    const auto quiet = run(decoder + " --format text " + big, dir);
    EXPECT_EQ(quiet.status, 0);
    EXPECT_EQ(quiet.err, "");
    const auto shown = run(decoder + " --format text --progress " + big, dir);
    EXPECT_EQ(shown.status, 0);
    EXPECT_EQ(shown.out, quiet.out);
    EXPECT_TRUE(std::regex_search(
        shown.err, std::regex(R"(\r[^\r]*big\.data: [0-9.]+/[0-9.]+ MiB \(\d+%\), \d+ events, \d+ events/s)")))
        << shown.err;
    EXPECT_TRUE(shown.err.ends_with("\r\033[K")) << shown.err;
}
