// perf.data pipe layout assembled by hand from perf's documented format
// (perf.data-file-format.txt, perf_event.h) to exercise the reader without a
// kernel: EventHeader events inside PERF_SAMPLE_RAW, ordering, damage.
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>

#include "../decode/test_bytes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

using namespace ehtrace::decode;
using ehtrace::test::bytes;

namespace {

constexpr std::uint64_t sample_tid = 1u << 1, sample_time = 1u << 2, sample_cpu = 1u << 7, sample_raw = 1u << 10,
                        sample_identifier = 1u << 16;

constexpr auto& eventheader_format = ehtrace::test::acme_eventheader_format;

constexpr char plain_format[] =
    "name: plain\nID: 1501\nformat:\n"
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
    "\tfield:int value;\toffset:8;\tsize:4;\tsigned:1;\n\n"
    "print fmt: \"\"\n";

bytes attr_record(std::uint64_t config, std::uint64_t sample_type, std::uint64_t id) {
    bytes b;
    b.u32(64).u16(0).u16(8 + 128 + 8);
    b.u32(2).u32(128).u64(config).u64(1).u64(sample_type).u64(0).u64(1ull << 18);
    while (b.size() < 8 + 128) b.u8(0);
    b.u64(id);
    return b;
}

bytes tracing_data_record() {
    bytes data;
    data.raw({0x17, 0x08, 0x44}).str("tracing").zstr("0.6").u8(0).u8(8).u32(4096);
    data.zstr("header_page").u64(0).zstr("header_event").u64(0);
    data.u32(0);  // ftrace formats
    data.u32(1).zstr("user_events").u32(2);
    data.u64(sizeof eventheader_format - 1).str(eventheader_format);
    data.u64(sizeof plain_format - 1).str(plain_format);
    data.u32(0).u32(0);  // kallsyms, printk
    while (data.size() % 8) data.u8(0);
    bytes b;
    b.u32(66).u16(0).u16(16).u32(static_cast<std::uint32_t>(data.size())).u32(0);
    return b.append(data);
}

bytes eventheader_raw(unsigned value) {
    bytes b;
    b.u16(1500).u8(0).u8(0).u32(77);
    b.raw({0x07, 0, 0, 0, 0, 0, 0, 4});
    bytes meta;
    meta.zstr("Tick").zstr("n").u8(0x04);
    b.u16(static_cast<unsigned>(meta.size())).u16(1).append(meta).u32(value);
    return b;
}

bytes sample_record(std::uint64_t id, std::uint64_t time, const bytes& raw, bool with_identifier = true) {
    bytes body;
    if (with_identifier) body.u64(id);
    body.u32(77).u32(78).u64(time).u32(1).u32(0).u32(static_cast<std::uint32_t>(raw.size())).append(raw);
    while ((body.size() + 4) % 8) body.u8(0);
    bytes b;
    b.u32(9).u16(2).u16(static_cast<unsigned>(8 + body.size()));
    return b.append(body);
}

bytes finished_round() { return bytes().u32(68).u16(0).u16(8); }

bytes pipe_file() {
    bytes b;
    b.str("PERFILE2").u64(16);
    const std::uint64_t st = sample_identifier | sample_tid | sample_time | sample_cpu | sample_raw;
    b.append(attr_record(1500, st, 11)).append(attr_record(1501, st, 12)).append(tracing_data_record());
    b.append(sample_record(11, 30, eventheader_raw(3)));
    b.append(sample_record(11, 10, eventheader_raw(1)));
    b.append(finished_round());
    b.append(sample_record(12, 20, bytes().u16(1501).u8(0).u8(0).u32(77).u32(static_cast<std::uint32_t>(-2))));
    b.append(sample_record(11, 40, eventheader_raw(4)));
    b.append(finished_round());
    return b;
}

std::vector<std::string> decode_all(std::span<const std::byte> input, read_error* error = nullptr) {
    byte_source source(input);
    perf_data_reader reader(source);
    std::vector<std::string> out;
    perf_sample sample;
    sample_decoder decoder;
    while (reader.next(sample)) {
        std::string json;
        ehtrace::decode::append_json(json, decoder.decode(sample));
        out.push_back(json);
    }
    if (error) *error = reader.error();
    return out;
}

}  // namespace

TEST(PerfDataReader, PipeLayoutEventHeaderAndPlainInTimeOrder) {
    const auto file = pipe_file();
    EXPECT_EQ(detect_input_layout(file.span()), input_layout::perf_pipe);
    read_error error;
    const auto events = decode_all(file.span(), &error);
    EXPECT_FALSE(error) << error.message << " @" << error.offset;
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(
        events[0],
        R"({"n":"Acme:Tick","n":1,"meta":{"time":0.000000010,"cpu":1,"pid":77,"tid":78,"level":4,"keyword":"0x1"}})");
    EXPECT_EQ(events[1],
              R"({"n":"user_events:plain","value":-2,"meta":{"time":0.000000020,"cpu":1,"pid":77,"tid":78}})");
    EXPECT_NE(events[2].find(R"("n":3,)"), std::string::npos);
    EXPECT_NE(events[3].find(R"("n":4,)"), std::string::npos);
}

TEST(PerfDataReader, EveryTruncationKeepsEarlierEventsAndReportsOffset) {
    const auto file = pipe_file();
    std::size_t previous = 0;
    for (std::size_t cut = 0; cut < file.size(); ++cut) {
        read_error error;
        const auto events = decode_all(file.span().first(cut), &error);
        // A pipe stream has no declared length: a cut on a record boundary
        // is a clean end, anything else must be reported.
        if (error) {
            EXPECT_LE(error.offset, cut);
        }
        if (cut < 16) {
            EXPECT_TRUE(error) << cut;
        }
        EXPECT_LE(events.size(), 4u);
        EXPECT_GE(events.size(), previous > 0 ? previous - 1 : 0) << cut;  // ordering may hold one back
        previous = events.size();
    }
}

TEST(PerfDataReader, RejectsWrongMagicAndEmpty) {
    read_error error;
    EXPECT_TRUE(decode_all({}, &error).empty());
    EXPECT_TRUE(error);
    auto junk = bytes().str("NOTPERF!").u64(16);
    EXPECT_TRUE(decode_all(junk.span(), &error).empty());
    EXPECT_NE(error.message.find("magic"), std::string::npos);
}

TEST(PerfDataReader, CorruptRecordSizeStopsWithOffset) {
    auto file = pipe_file();
    // Find the third sample record and zero its size field.
    std::size_t pos = 16, seen = 0, target = 0;
    const auto& v = file.vec();
    while (pos + 8 <= v.size()) {
        const auto type = static_cast<unsigned>(v[pos]);
        const auto size = static_cast<unsigned>(v[pos + 6]) | static_cast<unsigned>(v[pos + 7]) << 8;
        const std::size_t advance =
            type == 66 ? size + (static_cast<unsigned>(v[pos + 8]) | static_cast<unsigned>(v[pos + 9]) << 8) : size;
        if (type == 9 && ++seen == 3) {
            target = pos;
            break;
        }
        pos += advance;
    }
    ASSERT_NE(target, 0u);
    file.vec()[target + 6] = std::byte{0};
    file.vec()[target + 7] = std::byte{0};
    read_error error;
    const auto events = decode_all(file.span(), &error);
    EXPECT_EQ(events.size(), 2u);
    EXPECT_EQ(error.offset, target);
}

// Many samples through the pipe layout (each sample's bytes copied while it
// waits): out of time order, with equal times, over two rounds. They come
// back in (time, file order) order, each with its own bytes.
TEST(PerfDataReader, PipeLayoutManySamplesStableTimeOrder) {
    bytes b;
    b.str("PERFILE2").u64(16);
    const std::uint64_t st = sample_identifier | sample_tid | sample_time | sample_cpu | sample_raw;
    b.append(attr_record(1500, st, 11)).append(tracing_data_record());
    constexpr unsigned count = 1000;
    std::vector<std::pair<std::uint64_t, unsigned>> expected;  // (time, value) in file order
    for (unsigned i = 0; i < count; ++i) {
        const std::uint64_t time = (i < count / 2 ? 0 : 100) + (i * 7919u) % 50;
        b.append(sample_record(11, time, eventheader_raw(i)));
        expected.emplace_back(time, i);
        if (i == count / 2 - 1) b.append(finished_round());
    }
    b.append(finished_round());
    std::stable_sort(expected.begin(), expected.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    read_error error;
    const auto events = decode_all(b.span(), &error);
    EXPECT_FALSE(error) << error.message << " @" << error.offset;
    ASSERT_EQ(events.size(), count);
    for (unsigned i = 0; i < count; ++i) {
        EXPECT_NE(events[i].find("\"n\":" + std::to_string(expected[i].second) + ","), std::string::npos)
            << i << ": " << events[i];
    }
}
