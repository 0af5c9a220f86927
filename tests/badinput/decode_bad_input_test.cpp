// ehtrace-decode on hostile files not covered by tests/tools: sizes and
// counts near 2^32 / 2^64, unknown feature sections and record types, events
// with unknown encodings. Expected: the events before the damage printed, a
// one-line error with the offset, exit status 1, no crash, and memory that
// stays small (peak RSS of the decoder measured with wait4).
#include <ehtrace/perf_data_writer.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const std::string decoder = EHTRACE_DECODE_EXE;
const std::string corpus = EHTRACE_FUZZ_CORPUS;

// Peak RSS allowed to the decoder on a tiny hostile file. Sanitizer runtimes
// need some tens of MB themselves; a decoder that believed a size field would
// need hundreds.
constexpr long max_rss_kb = 120 * 1024;

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, const std::string& data) { std::ofstream(path, std::ios::binary) << data; }

struct run_result {
    int status = -1;  // exit status, or -1 when killed by a signal
    std::string out, err;
    long max_rss_kb = 0;
};

class BadInput : public ::testing::Test {
protected:
    BadInput() {
        std::random_device rd;
        dir_ = fs::temp_directory_path() / ("ehtrace-badinput-" + std::to_string(rd()));
        fs::create_directories(dir_);
    }
    ~BadInput() override { fs::remove_all(dir_); }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    // Runs ehtrace-decode --jsonl on `file`, measuring its peak RSS.
    run_result decode(const std::string& file) const {
        const std::string out = path("stdout"), err = path("stderr");
        const pid_t pid = ::fork();
        if (pid == 0) {
            const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            ::dup2(o, 1);
            ::dup2(e, 2);
            ::execl(decoder.c_str(), decoder.c_str(), "--jsonl", file.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        run_result r;
        int status = 0;
        ::rusage usage{};
        if (pid > 0 && ::wait4(pid, &status, 0, &usage) == pid) {
            r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            r.max_rss_kb = usage.ru_maxrss;
        }
        r.out = read_file(out);
        r.err = read_file(err);
        return r;
    }

private:
    fs::path dir_;
};

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

// "ehtrace-decode: <file>: error at offset N: ...", one line, status 1, small.
void expect_one_line_error(const run_result& r, const std::string& file) {
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.err.rfind("ehtrace-decode: " + file + ": error at offset ", 0), 0u) << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_LT(r.max_rss_kb, max_rss_kb);
}

std::uint64_t error_offset(const std::string& err) {
    std::smatch m;
    if (!std::regex_search(err, m, std::regex("error at offset (\\d+)"))) return ~std::uint64_t{0};
    return std::stoull(m[1]);
}

template <class T>
void put(std::string& bytes, std::size_t at, T value) {
    std::memcpy(bytes.data() + at, &value, sizeof value);
}
template <class T>
T get(const std::string& bytes, std::size_t at) {
    T value{};
    std::memcpy(&value, bytes.data() + at, sizeof value);
    return value;
}

std::string le32(std::uint32_t v) {
    std::string s(4, '\0');
    put(s, 0, v);
    return s;
}

// A capture record: Prov_L4K1 event "E" with one value8 field x, or with an
// encoding this decoder does not know (0x1F) when `unknown_encoding`.
std::string capture_record(unsigned char x, bool unknown_encoding = false) {
    const std::string name = "BadInput_L4K1";
    std::string event("\x07\0\0\0\0\0\0\x04", 8);  // flags, version, id, tag, opcode, level 4
    const std::string meta = std::string("E\0x\0", 4) + (unknown_encoding ? '\x1F' : '\x02');
    // Extension block: u16 size, u16 kind 1 (metadata, last block).
    event += le32(static_cast<std::uint32_t>(meta.size()) | 1u << 16) + meta;
    event.push_back(static_cast<char>(x));
    const std::string body = name + '\0' + event;
    return le32(static_cast<std::uint32_t>(4 + body.size())) + body;
}

// A perf.data file (file layout) from the project's writer with three
// EventHeader samples.
std::string perf_file(const std::string& path) {
    ehtrace::perf_data_writer w;
    EXPECT_EQ(w.open(path.c_str()), 0);
    const std::string command = "BadInput_L4K1 u8 eventheader_flags; u8 version; u16 id; u16 tag; u8 opcode; u8 level";
    const int tp =
        w.add_tracepoint("user_events", "BadInput_L4K1", ehtrace::synthesize_user_events_format(command, 700), 700);
    EXPECT_GE(tp, 0);
    for (unsigned char x = 1; x <= 3; ++x) {
        const std::string record = capture_record(x);
        const std::string event = record.substr(4 + std::strlen("BadInput_L4K1") + 1);
        EXPECT_EQ(w.write_user_event(tp, 1000 + x, 0, 42, 42,
                                     std::span(reinterpret_cast<const std::byte*>(event.data()), event.size())),
                  0);
    }
    EXPECT_EQ(w.close(), 0);
    return read_file(path);
}

TEST_F(BadInput, CaptureRecordClaiming4GiB) {
    const std::string file = path("huge.dat");
    const std::string good = capture_record(1) + capture_record(2);
    write_file(file, good + le32(0xFFFFFFFFu) + std::string("BadInput_L4K1\0garbage", 21));
    const auto r = decode(file);
    expect_one_line_error(r, file);
    EXPECT_EQ(error_offset(r.err), good.size());
    EXPECT_EQ(lines(r.out), 2u) << r.out;
}

TEST_F(BadInput, EventWithUnknownEncodingStillShowsItsHeader) {
    const std::string file = path("unknown-encoding.dat");
    write_file(file, capture_record(1) + capture_record(2, true) + capture_record(3));
    const auto r = decode(file);
    EXPECT_TRUE(r.status == 0 || r.status == 1) << r.err;
    ASSERT_EQ(lines(r.out), 3u) << r.out;
    const std::string middle = r.out.substr(r.out.find('\n') + 1);
    EXPECT_EQ(middle.rfind("{\"n\":\"BadInput:E\"", 0), 0u) << middle;
    EXPECT_NE(middle.find("\"error\""), std::string::npos) << middle;
    EXPECT_NE(middle.find("\"level\":4"), std::string::npos) << middle;
    EXPECT_NE(r.out.find("\"x\":3"), std::string::npos) << "the event after it is decoded";
}

TEST_F(BadInput, PerfDataSizeNear2To64KeepsTheEventsAndReportsTruncation) {
    const std::string file = path("huge-size.data");
    std::string bytes = perf_file(file);
    ASSERT_EQ(lines(decode(file).out), 3u);
    const std::uint64_t data_end = get<std::uint64_t>(bytes, 40) + get<std::uint64_t>(bytes, 48);
    put<std::uint64_t>(bytes, 48, ~std::uint64_t{0} - 8);  // data.size
    write_file(file, bytes);
    const auto r = decode(file);
    expect_one_line_error(r, file);
    EXPECT_EQ(lines(r.out), 3u) << r.out;
    // The damage is found after the real samples: in the feature index the
    // reader now takes for records, or at the end of the file.
    EXPECT_GE(error_offset(r.err), data_end) << r.err;
    EXPECT_LE(error_offset(r.err), bytes.size()) << r.err;
}

TEST_F(BadInput, PerfDataHugeAttrSectionAndIdCount) {
    const std::string file = path("huge-attrs.data");
    const std::string original = perf_file(file);
    std::string bytes = original;
    put<std::uint64_t>(bytes, 32, std::uint64_t{1} << 62);  // attrs.size
    write_file(file, bytes);
    auto r = decode(file);
    expect_one_line_error(r, file);
    EXPECT_EQ(error_offset(r.err), 24u);

    // The first attr's id list {offset, size}: size 2^63.
    bytes = original;
    const std::uint64_t attrs_offset = get<std::uint64_t>(bytes, 24);
    const std::uint64_t attr_size = get<std::uint64_t>(bytes, 16);
    put<std::uint64_t>(bytes, attrs_offset + attr_size - 8, std::uint64_t{1} << 63);
    write_file(file, bytes);
    r = decode(file);
    expect_one_line_error(r, file);
}

// Feature sections: {offset, size} pairs after the data, one per set bit.
struct feature_table {
    std::uint64_t at = 0;
    std::vector<unsigned> bits;
};
feature_table features(const std::string& bytes) {
    feature_table t;
    t.at = get<std::uint64_t>(bytes, 40) + get<std::uint64_t>(bytes, 48);
    for (unsigned bit = 0; bit < 256; ++bit) {
        if (get<std::uint64_t>(bytes, 72 + 8 * (bit / 64)) >> (bit % 64) & 1) t.bits.push_back(bit);
    }
    return t;
}

TEST_F(BadInput, PerfDataUnknownFeatureSectionIsSkipped) {
    const std::string file = path("unknown-feature.data");
    std::string bytes = perf_file(file);
    const auto t = features(bytes);
    ASSERT_FALSE(t.bits.empty());
    // The last feature becomes bit 250, which no perf defines: its section is skipped.
    const unsigned last = t.bits.back();
    ASSERT_LT(last, 250u);
    put<std::uint64_t>(bytes, 72 + 8 * (last / 64),
                       get<std::uint64_t>(bytes, 72 + 8 * (last / 64)) & ~(std::uint64_t{1} << (last % 64)));
    put<std::uint64_t>(bytes, 72 + 8 * 3, get<std::uint64_t>(bytes, 72 + 8 * 3) | std::uint64_t{1} << (250 % 64));
    write_file(file, bytes);
    const auto r = decode(file);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(lines(r.out), 3u) << r.out;
    EXPECT_LT(r.max_rss_kb, max_rss_kb);
}

TEST_F(BadInput, PerfDataEventDescWithHugeCounts) {
    const std::string file = path("event-desc.data");
    std::string bytes = perf_file(file);
    const auto t = features(bytes);
    const auto found = std::find(t.bits.begin(), t.bits.end(), 12u);  // HEADER_EVENT_DESC
    if (found == t.bits.end()) GTEST_SKIP() << "the writer wrote no EVENT_DESC";
    const std::uint64_t entry = t.at + 16 * static_cast<std::uint64_t>(found - t.bits.begin());
    const std::uint64_t section = get<std::uint64_t>(bytes, entry);
    put<std::uint32_t>(bytes, section, 0xFFFFFFFFu);  // nr events
    write_file(file, bytes);
    auto r = decode(file);
    EXPECT_TRUE(r.status == 0 || r.status == 1) << r.err;
    if (r.status == 1) expect_one_line_error(r, file);
    EXPECT_LT(r.max_rss_kb, max_rss_kb);

    put<std::uint32_t>(bytes, section, 1u);
    put<std::uint32_t>(bytes, section + 4, 0xFFFFFFF0u);  // attr size
    write_file(file, bytes);
    r = decode(file);
    EXPECT_TRUE(r.status == 0 || r.status == 1) << r.err;
    EXPECT_LT(r.max_rss_kb, max_rss_kb);
}

// Pipe layout: a real `perf record -o -` file from the fuzz corpus.
std::string pipe_file() { return read_file(corpus + "/perf_data/perf-record-pipe.data"); }

TEST_F(BadInput, PerfPipeUnknownRecordsAndFeaturesAreSkipped) {
    const std::string original = pipe_file();
    ASSERT_GT(original.size(), 16u);
    const std::string plain = path("pipe.data");
    write_file(plain, original);
    const auto expected = decode(plain);
    ASSERT_EQ(expected.status, 0) << expected.err;
    ASSERT_GT(lines(expected.out), 0u);

    // HEADER_FEATURE (80) for feature 250, then a record type no perf uses.
    std::string inserted;
    inserted += std::string("\x50\0\0\0\0\0\x18\0", 8) + std::string("\xfa\0\0\0\0\0\0\0", 8) + std::string(8, 'f');
    inserted += std::string("\xc8\0\0\0\0\0\x10\0", 8) + std::string(8, 'u');
    const std::string file = path("pipe-unknown.data");
    write_file(file, original.substr(0, 16) + inserted + original.substr(16));
    const auto r = decode(file);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, expected.out);
}

TEST_F(BadInput, PerfPipeTracingDataClaimingHundredsOfMiB) {
    // HEADER_TRACING_DATA (66): record of 16 bytes whose u32 says 255 MiB of
    // tracing data follow; only a few bytes do.
    std::string bytes = pipe_file().substr(0, 16);
    bytes += std::string("\x42\0\0\0\0\0\x10\0", 8) + le32(255u << 20) + le32(0) + "short";
    const std::string file = path("pipe-tracing.data");
    write_file(file, bytes);
    const auto r = decode(file);
    expect_one_line_error(r, file);
    EXPECT_EQ(error_offset(r.err), 16u);
}

}  // namespace
