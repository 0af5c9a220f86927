// A perf.data file as perf_data_writer leaves it on disk before close() (the
// state a crash leaves), cut at every byte: each prefix decodes without
// error to exactly the samples wholly inside it, and says it is not
// finalised. The finished file decodes to all of them and says it is.
#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>
#include <ehtrace/perf_data_writer.hpp>

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

std::vector<std::byte> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> chars{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::vector<std::byte> out(chars.size());
    for (std::size_t i = 0; i != chars.size(); ++i) out[i] = static_cast<std::byte>(chars[i]);
    return out;
}

struct decoded {
    std::uint64_t samples = 0;
    std::string error;
    bool finalised = true;
    std::vector<std::uint64_t> times;
};

decoded decode(std::span<const std::byte> bytes) {
    ehtrace::decode::byte_source input(bytes);
    ehtrace::decode::perf_data_reader reader(input);
    ehtrace::decode::perf_sample sample;
    decoded out;
    while (reader.next(sample)) {
        ++out.samples;
        out.times.push_back(sample.perf_time);
    }
    if (reader.error()) out.error = reader.error().message + " at " + std::to_string(reader.error().offset);
    out.finalised = reader.session().finalised;
    return out;
}

}  // namespace

TEST(CutAnywhere, EveryPrefixOfAnUnfinishedFileDecodes) {
    const std::string path = "/tmp/ehtrace-cut-anywhere-" + std::to_string(::getpid()) + ".data";
    ehtrace::perf_data_writer writer;
    ASSERT_EQ(writer.open(path.c_str()), 0);
    const std::string command = "Cut_L4K1 u8 eventheader_flags; u8 version; u16 id; u16 tag; u8 opcode; u8 level";
    const auto format_a = ehtrace::synthesize_user_events_format(command, 0x4000);
    const int a = writer.add_tracepoint("user_events", "Cut_L4K1", format_a, 0x4000);
    ASSERT_GE(a, 0);
    // Where each sample ends in the file (every record is flushed at once).
    std::vector<std::uint64_t> sample_ends;
    const auto flushed_size = [&] {
        EXPECT_EQ(writer.flush(), 0);
        return read_bytes(path).size();
    };
    std::vector<std::byte> payload(8 + 5, std::byte{0x11});
    for (int i = 0; i < 12; ++i) {
        if (i == 6) {
            // A tracepoint declared after samples of another one.
            const auto format_b = ehtrace::synthesize_user_events_format("Late_L4K1 u32 x", 0x4001);
            ASSERT_EQ(writer.add_tracepoint("user_events", "Late_L4K1", format_b, 0x4001), 1);
            ASSERT_EQ(writer.write_comm(1, 2, "cut", 50, 0), 0);
        }
        payload.resize(8 + static_cast<std::size_t>(i));  // sizes vary, so does padding
        ASSERT_EQ(writer.write_user_event(i < 6 ? 0 : 1, 100 + static_cast<std::uint64_t>(i), 0, 1, 2, payload), 0);
        sample_ends.push_back(flushed_size());
        if (i % 4 == 3) {
            ASSERT_EQ(writer.write_lost(3, 200, 0), 0);
            ASSERT_EQ(writer.finish_round(), 0);
            flushed_size();
        }
    }
    const auto unfinished = read_bytes(path);

    for (std::size_t cut = 104; cut <= unfinished.size(); ++cut) {
        const auto r = decode(std::span(unfinished.data(), cut));
        std::uint64_t whole = 0;
        for (auto end : sample_ends) whole += end <= cut;
        ASSERT_EQ(r.error, "") << "cut at " << cut;
        ASSERT_EQ(r.samples, whole) << "cut at " << cut;
        ASSERT_FALSE(r.finalised) << "cut at " << cut;
    }

    ASSERT_EQ(writer.close(), 0);
    const auto finished = decode(read_bytes(path));
    EXPECT_EQ(finished.error, "");
    EXPECT_TRUE(finished.finalised);
    EXPECT_EQ(finished.samples, sample_ends.size());
    ::unlink(path.c_str());
}

// A damaged record in the middle of an unfinished file is still an error.
TEST(CutAnywhere, DamageInTheMiddleIsStillAnError) {
    const std::string path = "/tmp/ehtrace-cut-damage-" + std::to_string(::getpid()) + ".data";
    ehtrace::perf_data_writer writer;
    ASSERT_EQ(writer.open(path.c_str()), 0);
    const auto format = ehtrace::synthesize_user_events_format("Dmg_L4K1 u32 x", 0x4000);
    ASSERT_GE(writer.add_tracepoint("user_events", "Dmg_L4K1", format, 0x4000), 0);
    std::vector<std::byte> payload(4, std::byte{1});
    std::vector<std::uint64_t> ends;
    for (int i = 0; i < 4; ++i) {
        ASSERT_EQ(writer.write_user_event(0, 10 + static_cast<std::uint64_t>(i), 0, 1, 2, payload), 0);
        ASSERT_EQ(writer.flush(), 0);
        ends.push_back(read_bytes(path).size());
    }
    auto bytes = read_bytes(path);
    // The third sample's size field (bytes 6-7 of its header) says 2: smaller than a header.
    bytes[ends[1] + 6] = std::byte{2};
    bytes[ends[1] + 7] = std::byte{0};
    const auto r = decode(bytes);
    EXPECT_NE(r.error, "");
    EXPECT_EQ(r.samples, 2u);
    writer.close();
    ::unlink(path.c_str());
}
