// EventHeader events from the compile-time and dynamic APIs, written to the
// real kernel and read back from perf ring buffers inside the test VM. Each
// event is written twice, once to an in-memory sink and once to the kernel:
// the kernel must deliver the same bytes, and the project's decoder must turn
// both into the same JSON.
#include "vm_helpers.hpp"

#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/dynamic.hpp>
#include <ehtrace/net.hpp>
#include <ehtrace/provider.hpp>
#include <ehtrace/ranges.hpp>
#include <ehtrace/sink.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

EHTRACE_PROVIDER(vm_roundtrip, "EhtraceVm_RoundTrip");

namespace {

using namespace vmtest;
using ehtrace::field;

constexpr size_t common_size = 8;

void write_compile_time_events() {
    EHTRACE_WRITE(vm_roundtrip, "Numbers", ehtrace::level<4>, ehtrace::keyword<0x1>, field<"i8">(std::int8_t{-100}),
                  field<"u8">(std::uint8_t{200}), field<"i16">(std::int16_t{-30000}),
                  field<"u16">(std::uint16_t{60000}), field<"i32">(std::int32_t{-2000000000}),
                  field<"u32">(std::uint32_t{4000000000u}), field<"i64">(std::int64_t{-9000000000000000000}),
                  field<"u64">(std::uint64_t{18000000000000000000u}),
                  field<"hex">(ehtrace::hex(std::uint32_t{0xC0FFEE})), field<"f32">(0.25f), field<"f64">(-1e300),
                  field<"flag">(true), field<"ptr">(reinterpret_cast<const void*>(std::uintptr_t{0xdead0000})));
    in_addr v4{};
    ::inet_pton(AF_INET, "10.0.2.15", &v4);
    in6_addr v6{};
    ::inet_pton(AF_INET6, "fe80::1", &v6);
    ehtrace::uuid id{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    EHTRACE_WRITE(vm_roundtrip, "Formats", ehtrace::level<3>, ehtrace::keyword<0x2>, field<"pid">(ehtrace::pid(1)),
                  field<"errno">(ehtrace::errno_value(13)), field<"time">(ehtrace::time(std::int32_t{1700000000})),
                  field<"uuid">(id), field<"ipv4">(v4), field<"ipv6">(v6), field<"port">(ehtrace::port(443)),
                  field<"ch">('Z'));
    std::string text = "real kernel \xe2\x9c\x93";
    const unsigned char blob[] = {0, 1, 2, 0xfe, 0xff};
    EHTRACE_WRITE(vm_roundtrip, "Strings", ehtrace::level<4>, ehtrace::keyword<0x1>, field<"z">("terminated"),
                  field<"s">(text), field<"s16">(std::u16string(u"sixteen")),
                  field<"json">(ehtrace::json(std::string_view(R"({"k":[1,2]})"))),
                  field<"bin">(ehtrace::binary(blob, sizeof blob)));
    std::array<std::uint32_t, 4> fixed{1, 10, 100, 1000};
    std::vector<std::int16_t> variable{-1, 0, 1};
    EHTRACE_WRITE(vm_roundtrip, "Nested", ehtrace::level<5>, ehtrace::keyword<0x4>, ehtrace::id<7, 1>,
                  ehtrace::event_tag<0xabc>, field<"fixed">(fixed), field<"variable">(variable),
                  ehtrace::struct_<"outer">(field<"a">(1), ehtrace::struct_<"inner">(field<"b">("deep"))),
                  field<"tagged", 0x11>(std::uint8_t{9}));
}

void write_dynamic_events(ehtrace::dynamic::provider& provider) {
    ehtrace::dynamic::event_set* set = provider.register_set(4, 0x8);
    ASSERT_NE(set, nullptr);
    ehtrace::dynamic::event_builder builder;
    builder.reset("DynamicScalars");
    builder.add_value("count", std::uint64_t{123456789012}).add_value("ratio", 0.5).add_string("name", "dyn");
    auto s = builder.begin_struct("sub");
    builder.add_value("x", std::int32_t{-5}).add_errno("err", 2);
    builder.end_struct(s);
    ASSERT_EQ(builder.error(), 0) << builder.error_message();
    EXPECT_EQ(builder.write(*set), 0);

    const std::uint16_t values[] = {5, 6, 7};
    builder.reset("DynamicArrays", 0x77);
    builder.add_array("values", values, 3).add_binary("bytes", values, sizeof values);
    ASSERT_EQ(builder.error(), 0) << builder.error_message();
    EXPECT_EQ(builder.write(*set), 0);
}

struct event_record {
    std::string tracepoint;
    std::vector<std::uint8_t> bytes;
};

// Perf consumers for every user_events tracepoint whose name starts with
// `prefix`, keyed by tracepoint id.
class provider_consumers {
public:
    void open(const std::string& prefix) {
        DIR* d = ::opendir((std::string(tracefs) + "/events/user_events").c_str());
        ASSERT_NE(d, nullptr);
        while (dirent* e = ::readdir(d)) {
            std::string name = e->d_name;
            if (name.rfind(prefix, 0) != 0) continue;
            long id = event_id(name);
            ASSERT_GT(id, 0) << name;
            auto consumer = std::make_unique<perf_consumer>();
            ASSERT_EQ(consumer->open(id), 0) << name;
            ASSERT_EQ(consumer->enable(), 0) << name;
            names_[static_cast<std::uint16_t>(id)] = name;
            consumers_.push_back(std::move(consumer));
        }
        ::closedir(d);
        ASSERT_FALSE(consumers_.empty()) << "no tracepoint named " << prefix << "*";
    }

    // The delivered events, common fields removed (perf pads the end to 8 bytes).
    std::vector<event_record> take() {
        std::vector<event_record> events;
        for (auto& c : consumers_) {
            for (auto& raw : c->take_samples()) {
                std::uint16_t type;
                std::memcpy(&type, raw.data(), sizeof type);
                events.push_back({names_[type], std::vector<std::uint8_t>(raw.begin() + common_size, raw.end())});
            }
        }
        return events;
    }

    size_t size() const { return consumers_.size(); }

private:
    std::map<std::uint16_t, std::string> names_;
    std::vector<std::unique_ptr<perf_consumer>> consumers_;
};

std::string to_json(const std::string& tracepoint, const std::vector<std::uint8_t>& bytes, size_t len) {
    std::string out;
    auto error = ehtrace::decode::format_event_json(
        out, tracepoint, std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()), len));
    EXPECT_EQ(error, ehtrace::decode::decode_error::none) << ehtrace::decode::to_string(error) << ": " << out;
    return out;
}

// Every expected event arrives once, byte for byte, and decodes the same.
void expect_same_events(const std::vector<ehtrace::memory_sink::record>& expected,
                        const std::vector<event_record>& delivered) {
    EXPECT_EQ(delivered.size(), expected.size());
    std::vector<bool> used(delivered.size(), false);
    for (const auto& want : expected) {
        bool found = false;
        for (size_t i = 0; i < delivered.size() && !found; ++i) {
            const auto& got = delivered[i];
            if (used[i] || got.tracepoint != want.tracepoint_name) continue;
            if (got.bytes.size() < want.bytes.size() || got.bytes.size() - want.bytes.size() >= 8) continue;
            if (!std::equal(want.bytes.begin(), want.bytes.end(), got.bytes.begin())) continue;
            used[i] = found = true;
            std::string from_kernel = to_json(got.tracepoint, got.bytes, want.bytes.size());
            std::string from_memory = to_json(want.tracepoint_name, want.bytes, want.bytes.size());
            EXPECT_EQ(from_kernel, from_memory);
            std::printf("%s\n", from_kernel.c_str());
        }
        EXPECT_TRUE(found) << "not delivered byte for byte: " << want.tracepoint_name << " (" << want.bytes.size()
                           << " bytes)";
    }
}

TEST(EventHeader, CompileTimeEventsReachPerfByteForByte) {
    ehtrace::memory_sink memory;
    std::vector<ehtrace::memory_sink::record> expected;
    ehtrace::set_sink(&memory);
    {
        ehtrace::provider_registration registration(vm_roundtrip);
        ASSERT_EQ(registration.error(), 0);
        write_compile_time_events();
        expected = memory.records();
    }
    ehtrace::set_sink(nullptr);
    ASSERT_EQ(expected.size(), 4u);

    ehtrace::provider_registration registration(vm_roundtrip);
    ASSERT_EQ(registration.error(), 0) << ehtrace::user_events_diagnostic();
    provider_consumers perf;
    perf.open("EhtraceVm_RoundTrip_");
    EXPECT_EQ(perf.size(), 3u) << "one tracepoint per (level, keyword): L4K1 (twice), L3K2, L5K4";
    write_compile_time_events();
    expect_same_events(expected, perf.take());
}

TEST(EventHeader, DynamicEventsReachPerfByteForByte) {
    ehtrace::memory_sink memory;
    std::vector<ehtrace::memory_sink::record> expected;
    ehtrace::set_sink(&memory);
    {
        ehtrace::dynamic::provider provider("EhtraceVm_Dynamic");
        ASSERT_EQ(provider.error(), 0) << provider.error_message();
        write_dynamic_events(provider);
        expected = memory.records();
    }
    ehtrace::set_sink(nullptr);
    ASSERT_EQ(expected.size(), 2u);

    ehtrace::dynamic::provider provider("EhtraceVm_Dynamic");
    ASSERT_NE(provider.register_set(4, 0x8), nullptr);
    provider_consumers perf;
    perf.open("EhtraceVm_Dynamic_");
    write_dynamic_events(provider);
    expect_same_events(expected, perf.take());
}

TEST(EventHeader, ProviderRegistrationCreatesEveryTracepoint) {
    {
        ehtrace::provider_registration registration(vm_roundtrip);
        ASSERT_EQ(registration.error(), 0);
        std::string status = read_file(std::string(tracefs) + "/user_events_status");
        for (const char* name : {"EhtraceVm_RoundTrip_L4K1", "EhtraceVm_RoundTrip_L3K2", "EhtraceVm_RoundTrip_L5K4"}) {
            EXPECT_NE(status.find(name), std::string::npos) << name << " in\n" << status;
            std::string format = read_file(event_dir(name) + "/format");
            EXPECT_NE(format.find("field:u8 eventheader_flags;\toffset:8;"), std::string::npos) << format;
        }
    }
}

}  // namespace
