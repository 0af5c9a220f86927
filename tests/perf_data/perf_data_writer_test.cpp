// perf.data written by ehtrace's writer must read back through our reader and
// through Debian's `perf script`.
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>
#include <ehtrace/perf_data_writer.hpp>

#include "../tools/tool_test_support.hpp"

#include <fcntl.h>
#include <cstring>
#include <memory>
#include <regex>
#include <sstream>
#include <utility>

using namespace ehtrace::test;

namespace {

constexpr char eventheader_command[] =
    "Acme_L4K1 u8 eventheader_flags; u8 version; u16 id; u16 tag; u8 opcode; u8 level";

// Header (flags 0x07, level 4) + metadata "Hello" with field "n" value32 +
// payload. Written out per docs/wire.md.
std::vector<std::byte> hello_event(std::uint32_t n) {
    std::vector<unsigned char> b = {0x07, 0, 0, 0, 0, 0, 0, 4, 9, 0, 1, 0, 'H', 'e', 'l', 'l', 'o', 0, 'n', 0, 0x04};
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<unsigned char>(n >> (8 * i)));
    std::vector<std::byte> out(b.size());
    std::memcpy(out.data(), b.data(), b.size());
    return out;
}

std::vector<std::byte> plain_record(std::uint32_t count, const char* label) {
    std::vector<std::byte> r(8 + 4 + 8);
    const std::uint16_t type = 701;
    std::memcpy(r.data(), &type, 2);
    std::memcpy(r.data() + 8, &count, 4);
    std::memcpy(r.data() + 12, label, std::min<std::size_t>(8, std::strlen(label)));
    return r;
}

// The two tracepoints both layouts' tests write: Acme_L4K1 (EventHeader, id
// 700) and plain (id 701). Their indexes, or -errno.
std::pair<int, int> add_test_tracepoints(ehtrace::perf_data_writer& writer) {
    const int eh = writer.add_tracepoint("user_events", "Acme_L4K1",
                                         ehtrace::synthesize_user_events_format(eventheader_command, 700), 700);
    const int plain = writer.add_tracepoint(
        "user_events", "plain", ehtrace::synthesize_user_events_format("plain u32 count; char[8] label", 701), 701);
    return {eh, plain};
}

std::uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

// Ends the writer's last round and its file, then opens the file for our
// reader; null (with a test failure) when either step fails.
std::unique_ptr<ehtrace::decode::byte_source> finish_and_open(ehtrace::perf_data_writer& writer,
                                                              const std::string& path) {
    if (writer.finish_round() != 0 || writer.close() != 0) {
        ADD_FAILURE() << "the writer could not finish " << path;
        return nullptr;
    }
    std::string error;
    auto input = ehtrace::decode::byte_source::open(path, error);
    if (!input) ADD_FAILURE() << error;
    return input;
}

}  // namespace

TEST(PerfDataWriter, SynthesizedFormatMatchesKernelLayout) {
    EXPECT_EQ(ehtrace::synthesize_user_events_format(eventheader_command, 1234),
              "name: Acme_L4K1\nID: 1234\nformat:\n"
              "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
              "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
              "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
              "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
              "\tfield:u8 eventheader_flags;\toffset:8;\tsize:1;\tsigned:0;\n"
              "\tfield:u8 version;\toffset:9;\tsize:1;\tsigned:0;\n"
              "\tfield:u16 id;\toffset:10;\tsize:2;\tsigned:0;\n"
              "\tfield:u16 tag;\toffset:12;\tsize:2;\tsigned:0;\n"
              "\tfield:u8 opcode;\toffset:14;\tsize:1;\tsigned:0;\n"
              "\tfield:u8 level;\toffset:15;\tsize:1;\tsigned:0;\n\n"
              "print fmt: \"eventheader_flags=%u version=%u id=%u tag=%u opcode=%u level=%u\", "
              "REC->eventheader_flags, REC->version, REC->id, REC->tag, REC->opcode, REC->level\n");
    const std::string other =
        ehtrace::synthesize_user_events_format("t char[20] msg; unsigned int id; __data_loc char[] path; s64 v", 5);
    EXPECT_NE(other.find("\tfield:char msg[20];\toffset:8;\tsize:20;\tsigned:1;\n"), std::string::npos) << other;
    EXPECT_NE(other.find("\tfield:unsigned int id;\toffset:28;\tsize:4;\tsigned:0;\n"), std::string::npos);
    EXPECT_NE(other.find("\tfield:__data_loc char[] path;\toffset:32;\tsize:4;\tsigned:1;\n"), std::string::npos);
    EXPECT_NE(other.find("\tfield:s64 v;\toffset:36;\tsize:8;\tsigned:1;\n"), std::string::npos);
    EXPECT_NE(other.find("__get_str(path)"), std::string::npos);
    EXPECT_EQ(ehtrace::synthesize_user_events_format("t long x", 5), "");
    EXPECT_EQ(ehtrace::synthesize_user_events_format("t u32", 5), "");
}

TEST(PerfDataWriter, RoundTripThroughOurReaderAndPerfScript) {
    temp_dir dir;
    const std::string path = dir / "ours.data";
    ehtrace::perf_data_writer writer;
    ASSERT_EQ(writer.open(path.c_str(), CLOCK_MONOTONIC), 0);
    const auto [eh, plain] = add_test_tracepoints(writer);
    ASSERT_GE(eh, 0);
    ASSERT_GE(plain, 0);
    const std::uint64_t t0 = monotonic_ns();
    // Written out of order within the round; readers must sort.
    ASSERT_EQ(writer.write_user_event(eh, t0 + 300, 1, 42, 43, hello_event(3)), 0);
    ASSERT_EQ(writer.write_user_event(eh, t0 + 100, 0, 42, 42, hello_event(1)), 0);
    ASSERT_EQ(writer.write_sample(plain, t0 + 200, 1, 42, 44, plain_record(5, "five")), 0);
    const auto input = finish_and_open(writer, path);
    ASSERT_TRUE(input);
    ehtrace::decode::perf_data_reader reader(*input);
    std::vector<std::string> events;
    ehtrace::decode::perf_sample sample;
    ehtrace::decode::sample_decoder decoder;
    while (reader.next(sample)) {
        std::string json;
        EXPECT_TRUE(ehtrace::decode::append_json(json, decoder.decode(sample)));
        events.push_back(std::regex_replace(json, std::regex(R"("time":"[^"]*")"), R"("time":T)"));
        EXPECT_TRUE(sample.meta.time_is_utc);
    }
    EXPECT_FALSE(reader.error()) << reader.error().message;
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0],
              R"({"n":"Acme:Hello","n":1,"meta":{"time":T,"cpu":0,"pid":42,"tid":42,"level":4,"keyword":"0x1"}})");
    EXPECT_EQ(events[1],
              R"({"n":"user_events:plain","count":5,"label":"five","meta":{"time":T,"cpu":1,"pid":42,"tid":44}})");
    EXPECT_EQ(events[2],
              R"({"n":"Acme:Hello","n":3,"meta":{"time":T,"cpu":1,"pid":42,"tid":43,"level":4,"keyword":"0x1"}})");
    EXPECT_TRUE(reader.session().has_clock_data);
    EXPECT_FALSE(reader.session().hostname.empty());

    if (perf_path().empty()) GTEST_SKIP() << "perf is not installed (install linux-perf)";
    const auto script = run(perf_path() + " script -i " + path + " -F pid,tid,cpu,time,event,trace --ns", dir);
    ASSERT_EQ(script.status, 0) << script.err;
    EXPECT_EQ(script.err.find("rror"), std::string::npos) << script.err;
    const std::regex line(R"(\s*(\d+)/(\d+)\s+\[(\d+)\]\s+\d+\.\d+:\s+user_events:(\w+):\s+(.*))");
    std::vector<std::string> seen;
    std::istringstream in(script.out);
    for (std::string l; std::getline(in, l);) {
        std::smatch m;
        ASSERT_TRUE(std::regex_match(l, m, line)) << l;
        seen.push_back(std::string(m[1]) + "/" + std::string(m[2]) + " " + std::string(m[3]) + " " + std::string(m[4]) +
                       " " + std::string(m[5]));
    }
    ASSERT_EQ(seen.size(), 3u) << script.out;
    EXPECT_EQ(seen[0], "42/42 000 Acme_L4K1 eventheader_flags=7 version=0 id=0 tag=0 opcode=0 level=4");
    EXPECT_EQ(seen[1].rfind("42/44 001 plain count=5 label=five", 0), 0u) << seen[1];
    EXPECT_EQ(seen[2], "42/43 001 Acme_L4K1 eventheader_flags=7 version=0 id=0 tag=0 opcode=0 level=4");
}

// Records the caller built (the recorder's rings) go after what the writer
// has buffered (metadata, LOST): in one writev for a few pieces, after a
// flush of its own for many; either way in order and whole.
TEST(PerfDataWriter, CallersRecordsFollowTheBufferedOnes) {
    temp_dir dir;
    const std::string path = dir / "records.data";
    ehtrace::perf_data_writer writer;
    ASSERT_EQ(writer.open(path.c_str(), CLOCK_MONOTONIC), 0);
    const int plain = add_test_tracepoints(writer).second;
    ASSERT_GE(plain, 0);
    const std::uint64_t t0 = monotonic_ns();
    constexpr std::uint32_t count = 41;
    const std::size_t raw_bytes = plain_record(0, "").size();
    const std::size_t record_size = ehtrace::perf_data_writer::sample_size(raw_bytes);
    std::vector<std::byte> records(count * record_size);
    std::vector<::iovec> pieces;
    for (std::uint32_t i = 0; i != count; ++i) {
        std::byte* out = records.data() + i * record_size;
        ASSERT_EQ(ehtrace::perf_data_writer::put_sample_head(out, plain, t0 + i, 0, 42, 42, raw_bytes), record_size);
        const auto raw = plain_record(i, "rec");
        std::memcpy(out + ehtrace::perf_data_writer::sample_head_size, raw.data(), raw.size());
        pieces.push_back({out, record_size});
    }
    ASSERT_EQ(writer.write_records(pieces.data(), 1), 0);  // after the buffered metadata
    ASSERT_EQ(writer.write_lost(7, t0, 0), 0);
    ASSERT_EQ(writer.write_records(pieces.data() + 1, static_cast<int>(count - 1)), 0);  // many pieces
    const auto input = finish_and_open(writer, path);
    ASSERT_TRUE(input);
    ehtrace::decode::perf_data_reader reader(*input);
    ehtrace::decode::perf_sample sample;
    std::uint32_t next = 0;
    while (reader.next(sample)) {
        ASSERT_EQ(sample.raw.size(), raw_bytes);
        std::uint32_t n = 0;
        std::memcpy(&n, sample.raw.data() + 8, 4);
        EXPECT_EQ(n, next++);
    }
    EXPECT_FALSE(reader.error()) << reader.error().message;
    EXPECT_EQ(next, count);
    EXPECT_EQ(reader.session().lost_events, 7u);
}

#ifdef EHTRACE_DECODE_EXE
// The pipe layout (perf record -o -): one TRACING_DATA for the tracepoints
// declared up front (none can follow it), and COMM / FORK / EXIT naming the
// threads; read from stdin by ehtrace-decode and by perf script.
TEST(PerfDataWriter, PipeLayoutReadsAsAStream) {
    temp_dir dir;
    const std::string path = dir / "pipe.data";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ehtrace::perf_data_writer writer;
    ASSERT_EQ(writer.open_pipe(fd, true, CLOCK_MONOTONIC), 0);
    EXPECT_TRUE(writer.is_pipe());
    const auto [eh, plain] = add_test_tracepoints(writer);
    ASSERT_GE(eh, 0);
    ASSERT_GE(plain, 0);
    const std::uint64_t t0 = monotonic_ns();
    ASSERT_EQ(writer.write_comm(42, 42, "acme-main", t0, 0), 0);
    ASSERT_EQ(writer.write_user_event(eh, t0 + 100, 0, 42, 42, hello_event(1)), 0);
    ASSERT_EQ(writer.write_fork(42, 42, 43, 42, t0 + 150, 0), 0);
    ASSERT_EQ(writer.finish_round(), 0);
    EXPECT_EQ(
        writer.add_tracepoint("user_events", "late", ehtrace::synthesize_user_events_format("late u32 n", 702), 702),
        -EBUSY);
    ASSERT_EQ(writer.write_sample(plain, t0 + 200, 1, 42, 43, plain_record(5, "five")), 0);
    ASSERT_EQ(writer.write_comm(42, 43, "worker", t0 + 250, 1, true), 0);
    ASSERT_EQ(writer.write_user_event(eh, t0 + 300, 1, 42, 43, hello_event(3)), 0);
    ASSERT_EQ(writer.write_exit(42, 42, 43, 42, t0 + 400, 1), 0);
    ASSERT_EQ(writer.finish_round(), 0);
    ASSERT_EQ(writer.close(), 0);
    const std::string bytes = read_file(path);
    ASSERT_GE(bytes.size(), 16u);
    std::uint64_t header_size = 0;
    std::memcpy(&header_size, bytes.data() + 8, 8);
    EXPECT_EQ(header_size, 16u);

    const auto ours = run(std::string(EHTRACE_DECODE_EXE) + " --format text - < " + path, dir);
    ASSERT_EQ(ours.status, 0) << ours.err;
    std::vector<std::string> lines;
    std::istringstream in(ours.out);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    ASSERT_EQ(lines.size(), 3u) << ours.out;
    EXPECT_TRUE(std::regex_search(lines[0], std::regex("^acme-main +42/42 "))) << lines[0];
    EXPECT_NE(lines[0].find("Acme:Hello n=1"), std::string::npos) << lines[0];
    EXPECT_TRUE(std::regex_search(lines[1], std::regex("^acme-main +42/43 ")))
        << lines[1];  // forked: the parent's name
    EXPECT_NE(lines[1].find("user_events:plain count=5"), std::string::npos) << lines[1];
    EXPECT_TRUE(std::regex_search(lines[2], std::regex("^worker +42/43 "))) << lines[2];

    if (perf_path().empty()) GTEST_SKIP() << "perf is not installed (install linux-perf)";
    const auto script = run(perf_path() + " script -i - -F comm,pid,tid,event,trace < " + path, dir);
    ASSERT_EQ(script.status, 0) << script.err;
    const std::regex line(R"(\s*(\S+)\s+(\d+)/(\d+)\s+user_events:(\w+):\s+(.*))");
    std::vector<std::string> seen;
    std::istringstream pin(script.out);
    for (std::string l; std::getline(pin, l);) {
        std::smatch m;
        ASSERT_TRUE(std::regex_match(l, m, line)) << l;
        seen.push_back(std::string(m[1]) + " " + std::string(m[3]) + " " + std::string(m[4]) + " " + std::string(m[5]));
    }
    ASSERT_EQ(seen.size(), 3u) << script.out << script.err;
    EXPECT_EQ(seen[0], "acme-main 42 Acme_L4K1 eventheader_flags=7 version=0 id=0 tag=0 opcode=0 level=4");
    EXPECT_EQ(seen[1].rfind("acme-main 43 plain count=5 label=five", 0), 0u) << seen[1];
    EXPECT_EQ(seen[2], "worker 43 Acme_L4K1 eventheader_flags=7 version=0 id=0 tag=0 opcode=0 level=4");
}
#endif
