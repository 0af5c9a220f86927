// ehtrace-decode on damaged input: events before the damage, a one-line error
// naming file and offset, non-zero exit, and still a valid document shape.
#include "tool_test_support.hpp"

#include <regex>

using namespace ehtrace::test;

namespace {

const std::string decoder = EHTRACE_DECODE_EXE;

std::string le32(std::uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (8 * i));
    return s;
}

// One capture record: u32 size (whole record), name, NUL, EventHeader event
// (flags 0x07, level 4, metadata "E" with field "x" value8, payload 42).
std::string capture_record(const std::string& name, unsigned char value) {
    std::string event = std::string("\x07\0\0\0\0\0\0\x04", 8);
    const std::string meta = std::string("E\0x\0\x02", 5);
    event += std::string("\x05\0\x01\0", 4) + meta + static_cast<char>(value);
    const std::string body = name + '\0' + event;
    return le32(static_cast<std::uint32_t>(4 + body.size())) + body;
}

void expect_damage_report(const run_result& r, const std::string& file, std::uint64_t offset) {
    EXPECT_EQ(r.status, 1) << r.err;
    const std::string expected = "ehtrace-decode: " + file + ": error at offset " + std::to_string(offset) + ":";
    EXPECT_EQ(r.err.rfind(expected, 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

class DecodeTool : public ::testing::Test {
protected:
    temp_dir dir;
};

}  // namespace

TEST_F(DecodeTool, Help) {
    const auto r = run(decoder + " --help", dir);
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("Usage: ehtrace-decode"), std::string::npos);
    EXPECT_NE(run(decoder + " --bogus x", dir).status, 0);
    EXPECT_NE(run(decoder, dir).status, 0);
}

TEST_F(DecodeTool, CaptureFileDecodes) {
    const std::string file = dir / "ok.dat";
    write_file(file, capture_record("Prov_L4K1", 42) + capture_record("user_events:Prov_L4K1", 43));
    const auto r = run(decoder + " --jsonl " + file, dir);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out,
              "{\"n\":\"Prov:E\",\"x\":42,\"meta\":{\"level\":4,\"keyword\":\"0x1\"}}\n"
              "{\"n\":\"Prov:E\",\"x\":43,\"meta\":{\"level\":4,\"keyword\":\"0x1\"}}\n");
    const auto filtered = run(decoder + " --jsonl --provider Other " + file, dir);
    EXPECT_EQ(filtered.out, "");
    const auto by_level = run(decoder + " --jsonl --level 3 " + file, dir);
    EXPECT_EQ(by_level.out, "");
    const auto by_event = run(decoder + " --jsonl --event E --level 4 -o " + (dir / "o.json") + " " + file, dir);
    EXPECT_EQ(by_event.status, 0);
    const std::string written = read_file(dir / "o.json");
    EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 2);
}

TEST_F(DecodeTool, TruncatedCaptureFile) {
    const std::string file = dir / "cut.dat";
    const std::string first = capture_record("Prov_L4K1", 1);
    const std::string second = capture_record("Prov_L4K1", 2);
    write_file(file, first + second.substr(0, second.size() - 3));
    const auto r = run(decoder + " " + file, dir);
    expect_damage_report(r, file, first.size());
    EXPECT_NE(r.out.find("\"x\":1"), std::string::npos);
    EXPECT_EQ(r.out.find("\"x\":2"), std::string::npos);
    EXPECT_EQ(r.out.substr(r.out.size() - 4), "]\n}\n");  // the document is still closed
}

TEST_F(DecodeTool, ZeroLengthAndWrongMagic) {
    const std::string empty = dir / "empty.data";
    write_file(empty, "");
    expect_damage_report(run(decoder + " " + empty, dir), empty, 0);
    const std::string junk = dir / "junk.data";
    write_file(junk, std::string("\x01\x02\x03\x04 this is not a trace at all", 32));
    expect_damage_report(run(decoder + " " + junk, dir), junk, 0);
    const std::string swapped = dir / "swapped.data";
    write_file(swapped, std::string("2ELIFREP\0\0\0\0\0\0\0\x10", 16));
    expect_damage_report(run(decoder + " " + swapped, dir), swapped, 0);
    // Other files are still decoded; the exit status reports the bad one.
    const std::string good = dir / "good.dat";
    write_file(good, capture_record("P_L4K0", 5));
    const auto r = run(decoder + " " + empty + " " + good, dir);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("\"x\":5"), std::string::npos);
}

TEST_F(DecodeTool, TruncatedAndCorruptPerfData) {
    if (perf_path().empty()) GTEST_SKIP() << "perf is not installed (install linux-perf)";
    if (!ensure_tracefs()) GTEST_SKIP() << "tracefs with sched events is not available";
    const std::string data = dir / "whole.data";
    ASSERT_EQ(run(perf_path() + " record -q -e sched:sched_switch -e sched:sched_process_exec -o " + data +
                      " -- sh -c 'for i in 1 2 3 4 5; do /bin/true; done'",
                  dir)
                  .status,
              0);
    const std::string whole = read_file(data);
    const auto full = run(decoder + " --jsonl " + data, dir);
    ASSERT_EQ(full.status, 0) << full.err;
    const auto total = std::count(full.out.begin(), full.out.end(), '\n');
    ASSERT_GT(total, 3);

    // data section offset/size from the perf.data header (u64 at 40 and 48).
    const auto u64_at = [&](std::size_t at) {
        std::uint64_t v = 0;
        for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(whole[at + i]);
        return v;
    };
    const std::uint64_t data_offset = u64_at(40), data_size = u64_at(48);

    // Truncated in the middle of the data section.
    const std::string cut = dir / "cut.data";
    write_file(cut, whole.substr(0, data_offset + data_size / 2 + 3));
    const auto r = run(decoder + " --jsonl " + cut, dir);
    EXPECT_EQ(r.status, 1);
    const auto partial = std::count(r.out.begin(), r.out.end(), '\n');
    EXPECT_GT(partial, 0);
    EXPECT_LT(partial, total);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.err, m, std::regex("error at offset (\\d+)"))) << r.err;
    EXPECT_GE(std::stoull(m[1]), data_offset);
    EXPECT_LE(std::stoull(m[1]), data_offset + data_size / 2 + 3);

    // Pipe layout truncated mid-record.
    const std::string pipe = dir / "pipe.data";
    ASSERT_EQ(
        run(perf_path() + " record -q -e sched:sched_switch -o - -- sh -c 'for i in 1 2 3 4 5; do /bin/true; done' > " +
                pipe,
            dir)
            .status,
        0);
    const std::string pipe_bytes = read_file(pipe);
    const std::string pipe_cut = dir / "pipe-cut.data";
    write_file(pipe_cut, pipe_bytes.substr(0, pipe_bytes.size() - 5));
    const auto p = run(decoder + " --jsonl " + pipe_cut, dir);
    EXPECT_EQ(p.status, 1);
    EXPECT_NE(p.err.find("error at offset"), std::string::npos) << p.err;

    // A record header with size 0 in the middle of the data.
    std::string corrupt = whole;
    std::size_t pos = data_offset, records = 0;
    while (pos + 8 <= data_offset + data_size && records < static_cast<std::size_t>(total / 2 + 4)) {
        const unsigned size =
            static_cast<unsigned char>(corrupt[pos + 6]) | static_cast<unsigned char>(corrupt[pos + 7]) << 8;
        if (static_cast<unsigned char>(corrupt[pos]) == 9) ++records;
        pos += size;
    }
    corrupt[pos + 6] = corrupt[pos + 7] = 0;
    const std::string bad = dir / "bad.data";
    write_file(bad, corrupt);
    const auto b = run(decoder + " --jsonl " + bad, dir);
    expect_damage_report(b, bad, pos);
    EXPECT_GT(std::count(b.out.begin(), b.out.end(), '\n'), 0);
}
