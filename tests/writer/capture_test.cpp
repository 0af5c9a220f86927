#include <ehtrace/provider.hpp>
#include <ehtrace/sink.hpp>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

EHTRACE_PROVIDER(capture_test_provider, "EhtraceTest_Capture");

namespace {

struct dat_record {
    std::string name;
    std::vector<std::uint8_t> event;
};

// Reads the capture record layout written out by hand from docs/wire.md:
// u32 LE record size (including itself), name NUL, event bytes.
std::vector<dat_record> read_dat(const std::string& path, bool& intact) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<dat_record> records;
    std::size_t at = 0;
    intact = true;
    while (at < bytes.size()) {
        if (bytes.size() - at < 4) return intact = false, records;
        std::uint32_t size = bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 | std::uint32_t{bytes[at + 3]} << 24;
        if (size < 5 || size > bytes.size() - at) return intact = false, records;
        const std::uint8_t* begin = bytes.data() + at + 4;
        const std::uint8_t* end = bytes.data() + at + size;
        auto* nul = static_cast<const std::uint8_t*>(std::memchr(begin, 0, static_cast<std::size_t>(end - begin)));
        if (nul == nullptr) return intact = false, records;
        records.push_back({std::string(begin, nul), std::vector<std::uint8_t>(nul + 1, end)});
        at += size;
    }
    return records;
}

std::string temp_path(const char* suffix) {
    return "/tmp/ehtrace-capture-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + suffix;
}

TEST(CaptureSink, DatRecordsFromManyThreadsAreWholeAndCounted) {
    std::string path = temp_path(".dat");
    int error = 0;
    auto capture = ehtrace::capture_sink::open(path, error);
    ASSERT_TRUE(capture) << std::strerror(error);
    EXPECT_EQ(capture->kind(), ehtrace::capture_sink::file_kind::dat);
    auto* previous = ehtrace::set_sink(capture.get());
    ASSERT_EQ(capture_test_provider.register_events(), 0);

    constexpr int threads = 4;
    constexpr int per_thread = 5000;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([t] {
            std::string text(static_cast<std::size_t>(t) * 7 + 1, static_cast<char>('a' + t));
            for (std::int32_t i = 0; i < per_thread; ++i) {
                ASSERT_EQ(EHTRACE_WRITE(capture_test_provider, "Tick", ehtrace::level<4>, ehtrace::field<"thread">(t),
                                        ehtrace::field<"i">(i), ehtrace::field<"text">(text)),
                          0);
            }
        });
    }
    for (auto& w : workers) w.join();
    capture_test_provider.unregister_events();
    ehtrace::set_sink(previous);
    capture.reset();

    bool intact = false;
    auto records = read_dat(path, intact);
    EXPECT_TRUE(intact);
    ASSERT_EQ(records.size(), std::size_t{threads} * per_thread);
    std::map<std::int32_t, std::int32_t> next_index;  // per thread, in order
    for (const auto& r : records) {
        ASSERT_EQ(r.name, "EhtraceTest_Capture_L4K0");
        // header 8 + metadata block; payload is the last 4 + 4 + 2 + len bytes.
        ASSERT_GE(r.event.size(), 8u);
        EXPECT_EQ(r.event[0], 0x07);
        EXPECT_EQ(r.event[7], 4);
        std::size_t meta_size = r.event[8] | r.event[9] << 8;
        std::size_t payload = 8 + 4 + meta_size;
        ASSERT_LE(payload + 10, r.event.size());
        std::int32_t thread, index;
        std::memcpy(&thread, &r.event[payload], 4);
        std::memcpy(&index, &r.event[payload + 4], 4);
        std::uint16_t length = static_cast<std::uint16_t>(r.event[payload + 8] | r.event[payload + 9] << 8);
        ASSERT_EQ(length, static_cast<std::uint16_t>(thread * 7 + 1));
        ASSERT_EQ(r.event.size(), payload + 10 + length);
        for (std::size_t k = 0; k < length; ++k) ASSERT_EQ(r.event[payload + 10 + k], 'a' + thread);
        EXPECT_EQ(index, next_index[thread]++);
    }
    for (int t = 0; t < threads; ++t) EXPECT_EQ(next_index[t], per_thread);
    ::unlink(path.c_str());
}

TEST(CaptureSink, EnvironmentVariableCapturesTheWholeProcessAndForkedChildren) {
    std::string path = temp_path(".dat");
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // A fresh process image would read the variable at start-up; this
        // child has not resolved its sink yet, so setting it now is the same.
        ::setenv("EHTRACE_CAPTURE", path.c_str(), 1);
        if (capture_test_provider.register_events() != 0) std::_Exit(2);
        EHTRACE_WRITE(capture_test_provider, "FromParent", ehtrace::field<"n">(1));
        pid_t grandchild = ::fork();
        if (grandchild == 0) {
            EHTRACE_WRITE(capture_test_provider, "FromChild", ehtrace::field<"n">(2));
            std::exit(0);
        }
        int status = 0;
        ::waitpid(grandchild, &status, 0);
        EHTRACE_WRITE(capture_test_provider, "AfterChild", ehtrace::field<"n">(3));
        std::exit(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 3);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);

    bool intact = false;
    auto records = read_dat(path, intact);
    EXPECT_TRUE(intact);
    ASSERT_EQ(records.size(), 3u);
    auto event_name = [](const dat_record& r) { return std::string(reinterpret_cast<const char*>(&r.event[12])); };
    EXPECT_EQ(event_name(records[0]), "FromParent");
    EXPECT_EQ(event_name(records[1]), "FromChild");
    EXPECT_EQ(event_name(records[2]), "AfterChild");
    for (const auto& r : records) EXPECT_EQ(r.name, "EhtraceTest_Capture_L5K0");
    ::unlink(path.c_str());
}

TEST(CaptureSink, UnwritablePathIsAnError) {
    int error = 0;
    auto capture = ehtrace::capture_sink::open("/nonexistent-dir/x.dat", error);
    EXPECT_FALSE(capture);
    EXPECT_EQ(error, ENOENT);
}

}  // namespace
