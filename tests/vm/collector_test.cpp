// ehtrace::collect on the real kernel: pre-registration before the writer
// starts, compile-time API events collected into perf.data and decoded to the
// values written, the flight recorder, lost-event accounting, and
// multi-format registrations (user_events_multi) end to end.
#include "vm_helpers.hpp"

#include <ehtrace/collect/registrar.hpp>
#include <ehtrace/collect/session.hpp>
#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>
#include <ehtrace/provider.hpp>
#include <ehtrace/ranges.hpp>
#include <ehtrace/sink.hpp>
#include <ehtrace/wire/user_events.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <vector>

EHTRACE_PROVIDER(vm_pre, "Prov");
EHTRACE_PROVIDER(vm_values, "EhtraceVmCollect");
EHTRACE_PROVIDER(vm_flight, "EhtraceVmFlight");
EHTRACE_PROVIDER(vm_flood, "EhtraceVmFlood");

namespace {

using ehtrace::field;
using namespace ehtrace::collect;

std::vector<std::string> decode_file(const std::string& path) {
    std::vector<std::string> events;
    std::string error;
    auto input = ehtrace::decode::byte_source::open(path, error);
    EXPECT_TRUE(input) << error;
    if (!input) return events;
    ehtrace::decode::perf_data_reader reader(*input);
    ehtrace::decode::perf_sample sample;
    ehtrace::decode::sample_decoder decoder;
    while (reader.next(sample)) {
        std::string json;
        EXPECT_TRUE(ehtrace::decode::append_json(json, decoder.decode(sample)));
        events.push_back(json);
    }
    EXPECT_FALSE(reader.error()) << reader.error().message;
    return events;
}

std::string without_meta(const std::string& json) {
    return std::regex_replace(json, std::regex(R"(,"meta":\{[^}]*\})"), "");
}

// Pins the calling thread to CPU 0 while alive: one ring sees every event.
class pin_to_cpu0 {
public:
    pin_to_cpu0() {
        ::sched_getaffinity(0, sizeof saved_, &saved_);
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        ::sched_setaffinity(0, sizeof one, &one);
    }
    ~pin_to_cpu0() { ::sched_setaffinity(0, sizeof saved_, &saved_); }

private:
    cpu_set_t saved_{};
};

void write_values() {
    EHTRACE_WRITE(vm_values, "Numbers", ehtrace::level<4>, ehtrace::keyword<0x1>, field<"i32">(-7),
                  field<"u64">(std::uint64_t{18000000000000000000u}), field<"f64">(2.5), field<"flag">(true),
                  field<"hex">(ehtrace::hex(std::uint32_t{0xC0FFEE})));
    std::string text = "collected \xe2\x9c\x93";
    std::vector<std::int16_t> values{-1, 0, 1};
    EHTRACE_WRITE(vm_values, "Strings", ehtrace::level<3>, ehtrace::keyword<0x2>, field<"z">("terminated"),
                  field<"s">(text), field<"values">(values), ehtrace::struct_<"point">(field<"x">(1), field<"y">(2)));
}

}  // namespace

TEST(Collector, PreRegisteredTracepointCollectedFromALaterWriter) {
    registrar reg(vmtest::tracefs);
    std::string message;
    ASSERT_EQ(reg.add("Prov_L4K1", 0, &message), 0) << message;
    ASSERT_TRUE(vmtest::exists(vmtest::event_dir("Prov_L4K1"))) << "pre-registration did not create it";
    EXPECT_EQ(reg.tracepoints(), std::vector<std::string>{"user_events:Prov_L4K1"});

    session s;
    std::string error;
    ASSERT_EQ(s.add("user_events:Prov_L4K1", &error), 0) << error;
    const std::string path = "/tmp/pre.data";
    ASSERT_EQ(s.set_output(path), 0);
    ASSERT_EQ(s.start(&error), 0) << error;

    // The writer starts after the collector: its registration finds the
    // tracepoint enabled at once.
    const pid_t child = ::fork();
    if (child == 0) {
        ehtrace::provider_registration registration(vm_pre);
        if (registration.error() != 0) ::_exit(10);
        if (!EHTRACE_ENABLED(vm_pre, ehtrace::level<4>, ehtrace::keyword<0x1>)) ::_exit(11);
        const int r = EHTRACE_WRITE(vm_pre, "Hello", ehtrace::level<4>, ehtrace::keyword<0x1>, field<"who">("world"),
                                    field<"count">(42));
        ::_exit(r == 0 ? 0 : 12);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10: registration failed, 11: not enabled, 12: write failed";
    s.poll(0);
    ASSERT_EQ(s.stop(), 0);
    EXPECT_EQ(s.stats().samples, 1u);
    EXPECT_EQ(s.stats().lost, 0u);

    const auto events = decode_file(path);
    ASSERT_EQ(events.size(), 1u);
    const std::string want_prefix = R"({"n":"Prov:Hello","who":"world","count":42,"meta":{"time":")";
    EXPECT_EQ(events[0].rfind(want_prefix, 0), 0u) << events[0];
    EXPECT_NE(events[0].find(",\"pid\":" + std::to_string(child) + ",\"tid\":" + std::to_string(child) +
                             ",\"level\":4,\"keyword\":\"0x1\"}}"),
              std::string::npos)
        << events[0];
    std::printf("%s\n", events[0].c_str());
}

TEST(Collector, CompileTimeEventsDecodeToTheValuesWritten) {
    // What the events decode to, from an in-memory sink.
    ehtrace::memory_sink memory;
    ehtrace::set_sink(&memory);
    {
        ehtrace::provider_registration registration(vm_values);
        write_values();
    }
    ehtrace::set_sink(nullptr);
    std::vector<std::string> expected;
    for (const auto& r : memory.records()) {
        std::string json;
        ehtrace::decode::format_event_json(
            json, r.tracepoint_name,
            std::span<const std::byte>(reinterpret_cast<const std::byte*>(r.bytes.data()), r.bytes.size()));
        expected.push_back(without_meta(json));
    }
    ASSERT_EQ(expected.size(), 2u);

    ehtrace::provider_registration registration(vm_values);
    ASSERT_EQ(registration.error(), 0) << ehtrace::user_events_diagnostic();
    session s;
    const auto matches = s.cache().match("user_events:EhtraceVmCollect_*");
    ASSERT_EQ(matches,
              (std::vector<std::string>{"user_events:EhtraceVmCollect_L3K2", "user_events:EhtraceVmCollect_L4K1"}));
    std::string error;
    for (const auto& m : matches) ASSERT_EQ(s.add(m, &error), 0) << error;
    const std::string path = "/tmp/values.data";
    ASSERT_EQ(s.set_output(path), 0);
    std::vector<std::string> live;
    ehtrace::decode::sample_decoder decoder;
    s.set_callback([&](const collected_sample& sample) {
        std::string json;
        ehtrace::decode::append_json(json, decode_sample(decoder, sample));
        live.push_back(json);
    });
    ASSERT_EQ(s.start(&error), 0) << error;
    write_values();
    s.poll(0);
    ASSERT_EQ(s.stop(), 0);

    const auto events = decode_file(path);
    ASSERT_EQ(events.size(), 2u);
    ASSERT_EQ(live.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(without_meta(events[i]), expected[i]);
        EXPECT_EQ(without_meta(live[i]), expected[i]);
        EXPECT_NE(events[i].find("\"meta\":{\"time\":\"20"), std::string::npos) << events[i];
        std::printf("%s\n", events[i].c_str());
    }
}

TEST(Collector, CircularModeKeepsOnlyTheRecentBurst) {
    ehtrace::provider_registration registration(vm_flight);
    ASSERT_EQ(registration.error(), 0);
    // Make the tracepoint exist before the session looks for it.
    EXPECT_FALSE(EHTRACE_ENABLED(vm_flight, ehtrace::level<4>, ehtrace::keyword<0x1>));
    session_options o;
    o.circular_bytes_per_cpu = 16 * 1024;
    session s(o);
    std::string error;
    ASSERT_EQ(s.add("user_events:EhtraceVmFlight_L4K1", &error), 0) << error;
    ASSERT_EQ(s.start(&error), 0) << error;
    {
        pin_to_cpu0 pin;
        for (int i = 0; i < 1000; ++i) {
            EHTRACE_WRITE(vm_flight, "Tick", ehtrace::level<4>, ehtrace::keyword<0x1>, field<"burst">(1),
                          field<"i">(i));
        }
        s.poll(0);
        for (int i = 0; i < 1000; ++i) {
            EHTRACE_WRITE(vm_flight, "Tick", ehtrace::level<4>, ehtrace::keyword<0x1>, field<"burst">(2),
                          field<"i">(i));
        }
    }
    const std::string path = "/tmp/flight.data";
    ASSERT_EQ(s.save(path), 0);
    ASSERT_EQ(s.stop(), 0);
    EXPECT_EQ(s.stats().samples, 2000u);
    EXPECT_GT(s.stats().overwritten, 1000u);
    const auto events = decode_file(path);
    ASSERT_GT(events.size(), 50u);
    EXPECT_LT(events.size(), 1000u);
    for (const auto& e : events) ASSERT_NE(e.find("\"burst\":2,"), std::string::npos) << e;
    EXPECT_NE(events.back().find("\"i\":999,"), std::string::npos) << events.back();
    std::printf("flight recorder, 16 KiB per CPU: kept %zu of 2000 events (%llu overwritten)\n", events.size(),
                static_cast<unsigned long long>(s.stats().overwritten));
}

TEST(Collector, LostEventsAreCountedUnderAFlood) {
    ehtrace::provider_registration registration(vm_flood);
    ASSERT_EQ(registration.error(), 0);
    EXPECT_FALSE(EHTRACE_ENABLED(vm_flood, ehtrace::level<5>, ehtrace::keyword<0x1>));
    session_options o;
    o.ring_bytes = 4096;  // one page per CPU
    session s(o);
    std::string error;
    ASSERT_EQ(s.add("user_events:EhtraceVmFlood_L5K1", &error), 0) << error;
    ASSERT_EQ(s.set_output("/tmp/flood.data"), 0);
    ASSERT_EQ(s.start(&error), 0) << error;
    constexpr int flood = 5000;
    int failed = 0;
    {
        pin_to_cpu0 pin;
        std::string payload(64, 'x');
        for (int i = 0; i < flood; ++i) {
            failed += EHTRACE_WRITE(vm_flood, "Flood", ehtrace::level<5>, ehtrace::keyword<0x1>, field<"i">(i),
                                    field<"pad">(payload)) != 0;
        }
        s.drain();
        // The kernel writes its LOST record once a later sample fits.
        EHTRACE_WRITE(vm_flood, "Flood", ehtrace::level<5>, ehtrace::keyword<0x1>, field<"i">(flood),
                      field<"pad">(payload));
    }
    ASSERT_EQ(s.stop(), 0);
    EXPECT_EQ(failed, 0);
    const auto& st = s.stats();
    EXPECT_GT(st.lost, 0u);
    EXPECT_GT(st.lost_records, 0u);
    EXPECT_EQ(st.samples + st.lost, static_cast<std::uint64_t>(flood + 1));
    const auto events = decode_file("/tmp/flood.data");
    EXPECT_EQ(events.size(), st.samples);
    std::printf("one-page rings, %d events without draining: %llu collected, %llu lost in %llu LOST records\n",
                flood + 1, static_cast<unsigned long long>(st.samples), static_cast<unsigned long long>(st.lost),
                static_cast<unsigned long long>(st.lost_records));
}

// MULTI_FORMAT (6.9+): one name, two field lists, each its own tracepoint
// user_events_multi:<name>.<hex id>. Registered, found by a glob, collected,
// written through each write index, decoded to the values of each format.
TEST(Collector, MultiFormatRegistrationsCollectedAndDecoded) {
    const int fd = ::open("/sys/kernel/tracing/user_events_data", O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    struct alignas(8) enable_word {
        std::uint32_t value = 0;
    } narrow, wide;
    const auto reg = [&](const char* command, enable_word& word, std::uint32_t& index) {
        ehtrace::abi::user_reg r{};
        r.size = sizeof r;
        r.enable_bit = 0;
        r.enable_size = 4;
        r.flags = ehtrace::abi::reg_flag_multi_format;
        r.enable_addr = reinterpret_cast<std::uintptr_t>(&word.value);
        r.name_args = reinterpret_cast<std::uintptr_t>(command);
        const int e = ::ioctl(fd, ehtrace::abi::diag_iocsreg, &r) == 0 ? 0 : errno;
        index = r.write_index;
        return e;
    };
    std::uint32_t narrow_index = 0, wide_index = 0;
    ASSERT_EQ(reg("ehtrace_vm_multi u32 value", narrow, narrow_index), 0);
    ASSERT_EQ(reg("ehtrace_vm_multi u64 value; u8 tag", wide, wide_index), 0) << "a second field list, same name";

    session s;
    const auto specs = s.cache().match("user_events_multi:ehtrace_vm_multi.*");
    ASSERT_EQ(specs.size(), 2u);
    std::string error;
    for (const auto& spec : specs) ASSERT_EQ(s.add(spec, &error), 0) << error;
    const std::string path = "/tmp/multi.data";
    ASSERT_EQ(s.set_output(path), 0);
    ASSERT_EQ(s.start(&error), 0) << error;
    ASSERT_TRUE(vmtest::wait_for([&] {
        return __atomic_load_n(&narrow.value, __ATOMIC_RELAXED) == 1 &&
               __atomic_load_n(&wide.value, __ATOMIC_RELAXED) == 1;
    })) << "collecting enables both formats";

    const std::uint32_t small = 7;
    struct [[gnu::packed]] {
        std::uint64_t value;
        std::uint8_t tag;
    } const big{18000000000000000000u, 9};
    iovec narrow_write[] = {{&narrow_index, 4}, {const_cast<std::uint32_t*>(&small), sizeof small}};
    iovec wide_write[] = {{&wide_index, 4}, {const_cast<void*>(static_cast<const void*>(&big)), sizeof big}};
    ASSERT_EQ(::writev(fd, narrow_write, 2), static_cast<ssize_t>(4 + sizeof small));
    ASSERT_EQ(::writev(fd, wide_write, 2), static_cast<ssize_t>(4 + sizeof big));
    s.poll(0);
    ASSERT_EQ(s.stop(), 0);
    ::close(fd);
    EXPECT_EQ(s.stats().samples, 2u);

    const auto events = decode_file(path);
    ASSERT_EQ(events.size(), 2u);
    const std::regex name(R"(^\{"n":"user_events_multi:ehtrace_vm_multi\.[0-9a-f]+",)");
    EXPECT_TRUE(std::regex_search(events[0], name)) << events[0];
    EXPECT_TRUE(std::regex_search(events[1], name)) << events[1];
    EXPECT_NE(without_meta(events[0]).find(R"(,"value":7})"), std::string::npos) << events[0];
    EXPECT_NE(without_meta(events[1]).find(R"(,"value":18000000000000000000,"tag":9})"), std::string::npos)
        << events[1];
    std::printf("%s\n%s\n", events[0].c_str(), events[1].c_str());
}
