// Providers, event sets and whole events written through a sink: tracepoint
// names, registration commands, header, extension blocks, write errors.
#include <ehtrace/dynamic.hpp>

#include "dynamic_test_support.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace {

using namespace dynamic_test;
using ehtrace::event_opcode;
using ehtrace::dynamic::event_builder;
using ehtrace::dynamic::event_set;
using ehtrace::dynamic::provider;

const std::string eventheader_fields = "u8 eventheader_flags; u8 version; u16 id; u16 tag; u8 opcode; u8 level";

TEST(DynamicProvider, NamesAndOptionsAreValidated) {
    EXPECT_EQ(provider("Acme_Web").error(), 0);
    EXPECT_EQ(provider("Acme_Web", "Gsrv").error(), 0);
    EXPECT_EQ(provider("A", "Gabc9Hx").error(), 0);

    provider empty("");
    EXPECT_EQ(empty.error(), EINVAL);
    EXPECT_STREQ(empty.error_message(), "the provider name is empty");
    for (const char* bad : {"a b", "a:b", "a-b", "caf\xc3\xa9"}) {
        provider p(bad);
        EXPECT_EQ(p.error(), EINVAL) << bad;
        EXPECT_STREQ(p.error_message(), "the provider name may contain only A-Z, a-z, 0-9 and '_'");
    }
    for (const char* bad : {"g", "GA",
                            "Hx"
                            "Gx",
                            "G-", "G x"}) {
        provider p("P", bad);
        EXPECT_EQ(p.error(), EINVAL) << bad;
    }
    // The longest name (level ff, 16 keyword digits) must stay under 256 bytes.
    const std::string longest(255 - std::string("_LffK").size() - 16, 'p');
    EXPECT_EQ(provider(longest).error(), 0);
    provider too_long(longest + "p");
    EXPECT_EQ(too_long.error(), EINVAL);
    EXPECT_NE(std::string(too_long.error_message()).find("256"), std::string::npos);
    EXPECT_EQ(provider(longest.substr(2), "Gx").error(), 0);
    EXPECT_EQ(provider(longest.substr(1), "Gx").error(), EINVAL);

    EXPECT_EQ(empty.register_set(4, 0), nullptr);
}

TEST(DynamicProvider, SetsAreFoundOrRegisteredOnce) {
    memory_capture capture;
    provider p("Acme_Web", "Gsrv");
    EXPECT_EQ(p.find_set(4, 0x2c), nullptr);
    event_set* info = p.register_set(4, 0x2c);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->registration_error(), 0);
    EXPECT_TRUE(info->registered());
    EXPECT_TRUE(info->enabled());  // the memory sink listens to everything
    EXPECT_EQ(info->level(), 4);
    EXPECT_EQ(info->keyword(), 0x2cu);
    EXPECT_EQ(info->tracepoint_name(), "Acme_Web_L4K2cGsrv");
    EXPECT_EQ(p.register_set(4, 0x2c), info);
    EXPECT_EQ(p.find_set(4, 0x2c), info);

    event_set* verbose = p.register_set(5, 0);
    ASSERT_NE(verbose, nullptr);
    EXPECT_NE(verbose, info);
    EXPECT_EQ(verbose->tracepoint_name(), "Acme_Web_L5K0Gsrv");
    event_set* big = p.register_set(0xff, 0xFEDCBA9876543210);
    ASSERT_NE(big, nullptr);
    EXPECT_EQ(big->tracepoint_name(), "Acme_Web_LffKfedcba9876543210Gsrv");

    EXPECT_EQ(p.register_set(0, 1), nullptr);  // level 0 is invalid

    const auto commands = capture.commands();
    ASSERT_EQ(commands.size(), 3u);
    EXPECT_EQ(commands[0], "Acme_Web_L4K2cGsrv " + eventheader_fields);
    EXPECT_EQ(commands[1], "Acme_Web_L5K0Gsrv " + eventheader_fields);
    EXPECT_EQ(commands[2], "Acme_Web_LffKfedcba9876543210Gsrv " + eventheader_fields);
}

TEST(DynamicProvider, UnregisterDisablesEverySet) {
    memory_capture capture;
    provider p("Acme");
    event_set* set = p.register_set(4, 1);
    ASSERT_NE(set, nullptr);
    event_builder b;
    b.reset("E").add_value("x", 1);
    EXPECT_EQ(b.write(*set), 0);

    p.unregister();
    EXPECT_FALSE(set->enabled());
    EXPECT_FALSE(set->registered());
    EXPECT_EQ(b.write(*set), EBADF);
    EXPECT_EQ(b.error(), 0);                   // a refused write leaves the builder as it was
    EXPECT_EQ(p.register_set(4, 1), set);      // still found
    EXPECT_EQ(p.register_set(4, 2), nullptr);  // but nothing new is registered
    p.unregister();                            // idempotent
    EXPECT_EQ(capture.records().size(), 1u);
}

TEST(DynamicProvider, ASetTheSinkRefusesIsReturnedButDisabled) {
    struct refusing_sink final : ehtrace::sink {
        int add(ehtrace::basic_tracepoint&) noexcept override { return ENOENT; }
        void remove(ehtrace::basic_tracepoint&) noexcept override {}
        int write(const ehtrace::basic_tracepoint&, ::iovec*, int, std::size_t) noexcept override { return 0; }
        std::string describe() const override { return "refusing"; }
    } refusing;
    ehtrace::sink* previous = ehtrace::set_sink(&refusing);
    {
        provider p("Acme");
        event_set* set = p.register_set(2, 0);
        ASSERT_NE(set, nullptr);
        EXPECT_EQ(set->registration_error(), ENOENT);
        EXPECT_FALSE(set->enabled());
        event_builder b;
        EXPECT_EQ(b.reset("E").write(*set), EBADF);
    }
    ehtrace::set_sink(previous);
}

TEST(DynamicEvent, HeaderMetadataAndPayload) {
    memory_capture capture;
    provider p("Acme_Web");
    event_set* set = p.register_set(4, 0x2c);
    ASSERT_NE(set, nullptr);
    event_builder b;
    b.reset("Request").add_value("status", std::int32_t{200}).add_string("url", "/x");
    ASSERT_EQ(b.write(*set), 0);

    const auto records = capture.records();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].tracepoint_name, "Acme_Web_L4K2c");
    const bytes metadata = cat({"Request", "status", 0x84, 0x02, "url", 0x0A});
    EXPECT_EQ(records[0].bytes, event(0, 0, 0, 0, 4, metadata, cat({u32(200), u16(2), '/', 'x'})));
}

TEST(DynamicEvent, EventAttributes) {
    memory_capture capture;
    provider p("Acme");
    event_set* set = p.register_set(3, 0);
    ASSERT_NE(set, nullptr);
    event_builder b;
    b.reset("Tagged", 0xBEEF).set_id_version(0x1234, 3).set_opcode(event_opcode::activity_start);
    ASSERT_EQ(b.write(*set), 0);
    b.reset("Changed").set_tag(0x0102).set_opcode(event_opcode::receive);
    ASSERT_EQ(b.write(*set), 0);
    b.reset("Plain");  // reset clears id, version, opcode and tag
    ASSERT_EQ(b.write(*set), 0);

    const auto records = capture.records();
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[0].bytes, event(3, 0x1234, 0xBEEF, 1, 3, cat({"Tagged"}), {}));
    EXPECT_EQ(records[1].bytes, event(0, 0, 0x0102, 0xF0, 3, cat({"Changed"}), {}));
    EXPECT_EQ(records[2].bytes, event(0, 0, 0, 0, 3, cat({"Plain"}), {}));
}

TEST(DynamicEvent, ActivityIdsComeFirstAndChainToTheMetadata) {
    memory_capture capture;
    provider p("Acme");
    event_set* set = p.register_set(4, 0);
    ASSERT_NE(set, nullptr);
    std::uint8_t activity[16], related[16];
    for (int i = 0; i < 16; ++i) {
        activity[i] = static_cast<std::uint8_t>(0xA0 + i);
        related[i] = static_cast<std::uint8_t>(0xB0 + i);
    }
    event_builder b;
    b.reset("Start").set_opcode(event_opcode::activity_start).add_value("x", std::uint8_t{1});
    ASSERT_EQ(b.write(*set, activity, related), 0);
    b.reset("Inside").add_value("x", std::uint8_t{2});
    ASSERT_EQ(b.write(*set, activity), 0);

    const auto records = capture.records();
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].bytes, event(0, 0, 0, 1, 4, cat({"Start", "x", 0x02}), {1},
                                      cat({bytes(activity, activity + 16), bytes(related, related + 16)})));
    EXPECT_EQ(records[1].bytes, event(0, 0, 0, 0, 4, cat({"Inside", "x", 0x02}), {2}, bytes(activity, activity + 16)));
    // The layout spelled out once: activity block (size 16, kind 0x8002), then metadata (kind 0x0001).
    EXPECT_EQ(bytes(records[1].bytes.begin() + 8, records[1].bytes.begin() + 12), (bytes{0x10, 0x00, 0x02, 0x80}));
    EXPECT_EQ(bytes(records[1].bytes.begin() + 28, records[1].bytes.begin() + 32), (bytes{0x0A, 0x00, 0x01, 0x00}));
}

TEST(DynamicEvent, OneEventCanBeWrittenToSeveralSets) {
    memory_capture capture;
    provider p("Acme");
    event_builder b;
    b.reset("E").add_value("x", std::uint8_t{7});
    ASSERT_EQ(b.write(*p.register_set(1, 0)), 0);
    ASSERT_EQ(b.write(*p.register_set(2, 0)), 0);
    const auto records = capture.records();
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].bytes, event(0, 0, 0, 0, 1, cat({"E", "x", 0x02}), {7}));
    EXPECT_EQ(records[1].bytes, event(0, 0, 0, 0, 2, cat({"E", "x", 0x02}), {7}));
}

TEST(DynamicEvent, WriteErrors) {
    memory_capture capture;
    provider p("Acme");
    event_set* set = p.register_set(4, 0);
    ASSERT_NE(set, nullptr);
    event_builder b;
    std::uint8_t id[16] = {};

    // Never reset: no event, so fields and write() are refused, and nothing
    // reaches the sink (a field's definition would otherwise pass for the
    // event's name).
    EXPECT_EQ(b.error(), EINVAL);
    EXPECT_STREQ(b.error_message(), "no event: reset() was not called");
    b.add_value("x", 1);
    EXPECT_EQ(b.metadata_size(), 0u);
    EXPECT_EQ(b.payload_size(), 0u);
    EXPECT_EQ(b.write(*set), EINVAL);
    EXPECT_TRUE(capture.records().empty());

    b.reset("E");
    b.begin_struct("open");
    b.add_value("x", 1);
    EXPECT_EQ(b.write(*set), EINVAL);
    EXPECT_STREQ(b.error_message(), "a struct is still open: call end_struct() before write()");

    b.reset("E");
    EXPECT_EQ(b.write(*set, nullptr, id), EINVAL);

    // A refused name leaves no event behind, not even the last one's.
    b.reset("E").add_value("x", std::uint8_t{1});
    b.reset("bad;name");
    EXPECT_EQ(b.metadata_size(), 0u);
    EXPECT_EQ(b.payload_size(), 0u);
    EXPECT_EQ(b.write(*set), EINVAL);

    b.reset("E").add_value("x", std::uint8_t{1});
    EXPECT_EQ(b.write(*set), 0);
    EXPECT_EQ(capture.records().size(), 1u);
}

TEST(DynamicEvent, TheSizeLimitIsExact) {
    memory_capture capture;
    provider p("Acme");
    event_set* set = p.register_set(4, 0);
    ASSERT_NE(set, nullptr);
    // header 8 + metadata block header 4 + "E\0b\0" 0x0D (5) + u16 length = 19 bytes around the data.
    std::vector<std::uint8_t> data(ehtrace::max_event_size - 19, 0x5A);
    event_builder b;
    // Twice: a new builder grows its buffers (the long way), a warm one
    // takes the usual path up to a few bytes below the limit (its room
    // check counts a definition's largest size) and the long way to it.
    for (int round = 0; round < 2; ++round) {
        for (std::size_t below : {std::size_t{16}, std::size_t{5}, std::size_t{1}, std::size_t{0}}) {
            b.reset("E").add_binary("b", data.data(), data.size() - below);
            ASSERT_EQ(b.write(*set), 0) << round << " " << below;
            EXPECT_EQ(capture.records().back().bytes.size(), ehtrace::max_event_size - below);
        }
    }

    // Each buffer fits; the whole event is too big, which the field that
    // passes the limit is refused for.
    data.push_back(0);
    b.reset("E").add_binary("b", data.data(), data.size());
    EXPECT_EQ(b.error(), E2BIG);
    EXPECT_EQ(b.write(*set), E2BIG);
    b.reset("E").add_binary("b", data.data(), data.size() - 1).add_value("x", std::uint8_t{1});
    EXPECT_EQ(b.error(), E2BIG);
    EXPECT_EQ(b.write(*set), E2BIG);
    const std::size_t written = capture.records().size();

    // With activity ids the same payload no longer fits.
    std::uint8_t id[16] = {};
    data.pop_back();
    b.reset("E").add_binary("b", data.data(), data.size());
    EXPECT_EQ(b.write(*set, id), E2BIG);
    EXPECT_EQ(capture.records().size(), written);

    b.reset("E").add_value("x", 1);
    EXPECT_EQ(b.write(*set), 0);
}

}  // namespace
