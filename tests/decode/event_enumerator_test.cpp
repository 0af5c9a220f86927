#include <ehtrace/decode/event_enumerator.hpp>
#include <ehtrace/decode/json_formatter.hpp>

#include "test_bytes.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

using namespace ehtrace::decode;
using ehtrace::test::bytes;

namespace {

// Event "Ev" of provider "Prov" (level 4, keyword 0x2c) with one field of
// most kinds, written per docs/wire.md (metadata block).
bytes sample_event(bool big) {
    bytes meta(big);
    meta.zstr("Ev;ea=1");
    meta.zstr("u8").u8(0x02);
    meta.zstr("i16").u8(0x83).u8(0x02);
    meta.zstr("h32").u8(0x84).u8(0x03);
    meta.zstr("err").u8(0x84).u8(0x04);
    meta.zstr("t").u8(0x85).u8(0x06);
    meta.zstr("f").u8(0x85).u8(0x08);
    meta.zstr("s").u8(0x07);
    meta.zstr("arr").u8(0x22).u16(3);
    meta.zstr("st").u8(0x81).u8(0x02);
    meta.zstr("a").u8(0x02);
    meta.zstr("b").u8(0x07);
    meta.zstr("tagged;x=y").u8(0x83).u8(0x81).u16(0x1234);
    meta.zstr("v").u8(0xC1).u8(0x01);
    meta.zstr("q").u8(0x03);
    meta.zstr("u8").u8(0x02);  // duplicate name, kept

    bytes payload(big);
    payload.u8(200);
    payload.u16(0xFFFE);
    payload.u32(0xBEEF);
    payload.u32(2);
    payload.u64(0);
    payload.u64(0x3FF8000000000000ull);  // 1.5
    payload.zstr("hi");
    payload.raw({1, 2, 3});
    payload.u8(7).zstr("x");
    payload.u16(5);
    payload.u16(2).u16(10).u16(11);
    payload.u8(9);
    return ehtrace::test::event(big, 4, meta, payload);
}

constexpr char sample_json[] =
    R"j({"n":"Prov:Ev","u8":200,"i16":-2,"h32":"0xBEEF","err":"ENOENT(2)","t":"1970-01-01T00:00:00",)j"
    R"("f":1.5,"s":"hi","arr":[1,2,3],"st":{"a":7,"b":"x"},"tagged;x=y;tag=0x1234":5,"v":[{"q":10},{"q":11}],"u8":9,)"
    R"("meta":{"level":4,"keyword":"0x2C"}})";

}  // namespace

TEST(EventEnumerator, JsonBothByteOrders) {
    for (bool big : {false, true}) {
        const auto ev = sample_event(big);
        std::string out;
        EXPECT_EQ(format_event_json(out, "Prov_L4K2c", ev.span()), decode_error::none);
        EXPECT_EQ(out, sample_json) << "big=" << big;
    }
}

TEST(EventEnumerator, ItemsAndNavigation) {
    const auto ev = sample_event(false);
    event_enumerator e;
    ASSERT_EQ(e.start("user_events:Prov_L4K2c", ev.span()), decode_error::none);
    EXPECT_EQ(e.event().name, "Ev");
    EXPECT_EQ(e.event().name_attributes, ";ea=1");
    EXPECT_EQ(e.event().pointer_size(), 8u);
    EXPECT_FALSE(e.event().big_endian());
    ASSERT_TRUE(e.move_next());
    EXPECT_EQ(e.state(), enumerator_state::value);
    EXPECT_EQ(e.item().name, "u8");
    EXPECT_EQ(e.item().encoding, ehtrace::field_encoding::value8);
    // Skip to "arr".
    for (int i = 0; i < 7; ++i) ASSERT_TRUE(e.move_next());
    ASSERT_EQ(e.state(), enumerator_state::array_begin);
    EXPECT_EQ(e.item().name, "arr");
    EXPECT_EQ(e.item().array_count, 3);
    ASSERT_TRUE(e.move_next());
    EXPECT_TRUE(e.item().is_element);
    EXPECT_EQ(e.item().array_index, 0);
    ASSERT_TRUE(e.move_next());
    EXPECT_EQ(e.item().array_index, 1);
    ASSERT_TRUE(e.move_next());
    ASSERT_TRUE(e.move_next());
    EXPECT_EQ(e.state(), enumerator_state::array_end);
    ASSERT_TRUE(e.move_next());
    ASSERT_EQ(e.state(), enumerator_state::struct_begin);
    EXPECT_EQ(e.item().name, "st");
    EXPECT_EQ(e.item().struct_field_count, 2);
    ASSERT_TRUE(e.move_next_sibling());  // past the whole struct
    EXPECT_EQ(e.item().name, "tagged");
    EXPECT_EQ(e.item().tag, 0x1234);
    EXPECT_EQ(e.item().name_attributes, ";x=y");
    ASSERT_TRUE(e.move_next());
    ASSERT_EQ(e.state(), enumerator_state::array_begin);
    EXPECT_EQ(e.item().encoding, ehtrace::field_encoding::structure);
    ASSERT_TRUE(e.move_next_sibling());  // past the array of structs
    EXPECT_EQ(e.item().name, "u8");
    EXPECT_EQ(e.item().value.size(), 1u);
    EXPECT_FALSE(e.move_next());
    EXPECT_EQ(e.state(), enumerator_state::after_last);
}

TEST(EventEnumerator, EveryTruncationIsAnErrorNotACrash) {
    const auto ev = sample_event(false);
    for (std::size_t cut = 0; cut < ev.size(); ++cut) {
        std::vector<std::byte> shorter(ev.span().begin(), ev.span().begin() + static_cast<long>(cut));
        std::string out;
        const auto error = format_event_json(out, "Prov_L4K2c", shorter);
        // The trailing duplicate "u8" is the last byte: every cut loses data.
        EXPECT_NE(error, decode_error::none) << cut;
        EXPECT_EQ(out.front(), '{');
        EXPECT_EQ(out.back(), '}');
    }
}

TEST(EventEnumerator, HeaderErrors) {
    event_enumerator e;
    bytes meta;
    meta.zstr("E");
    auto ev = ehtrace::test::event(false, 4, meta, bytes());
    EXPECT_EQ(e.start("P_L5K1", ev.span()), decode_error::level_mismatch);
    EXPECT_EQ(e.start("P_X", ev.span()), decode_error::bad_tracepoint_name);
    EXPECT_EQ(e.start("P_L4K1", ev.span().first(7)), decode_error::header_truncated);
    EXPECT_EQ(e.start("P_L4K1", ev.span().first(10)), decode_error::extension_truncated);

    bytes no_ext;
    no_ext.raw({0x03, 0, 0, 0, 0, 0, 0, 4});
    EXPECT_EQ(e.start("P_L4K1", no_ext.span()), decode_error::missing_metadata);
    EXPECT_EQ(e.event().header.level, 4);  // header still readable
}

TEST(EventEnumerator, UnknownExtensionSkippedAndActivityIds) {
    bytes b;
    b.raw({0x07, 2, 0x34, 0x12, 0xCD, 0xAB, 1, 5});  // version 2, id 0x1234, tag 0xABCD, start, level 5
    b.u16(3).u16(0x8007).raw({9, 9, 9});             // unknown kind 7, chained
    b.u16(32).u16(0x8002);
    for (unsigned i = 0; i < 32; ++i) b.u8(i);
    b.u16(4).u16(0x0001).zstr("E").zstr("").u8(0x02);  // field "" value8
    b.u8(42);
    std::string out;
    ASSERT_EQ(format_event_json(out, "P_L5K0Gg1", b.span()), decode_error::none);
    EXPECT_EQ(out, R"({"n":"P:E","":42,"meta":{"id":4660,"version":2,"level":5,"opcode":1,"tag":"0xABCD",)"
                   R"("activity":"00010203-0405-0607-0809-0a0b0c0d0e0f",)"
                   R"("relatedActivity":"10111213-1415-1617-1819-1a1b1c1d1e1f"}})");
    // Provider options (and the other non-default keys) only on request.
    out.clear();
    ehtrace::decode::json_options options;
    options.meta = ehtrace::decode::meta_keys::all;
    ASSERT_EQ(format_event_json(out, "P_L5K0Gg1", b.span(), {}, options), decode_error::none);
    EXPECT_EQ(out, R"({"n":"P:E","":42,"meta":{"provider":"P","event":"E","id":4660,"version":2,"level":5,"opcode":1,)"
                   R"("tag":"0xABCD","activity":"00010203-0405-0607-0809-0a0b0c0d0e0f",)"
                   R"("relatedActivity":"10111213-1415-1617-1819-1a1b1c1d1e1f","options":"Gg1","flags":"0x7"}})");
}

TEST(EventEnumerator, BadEncodings) {
    auto check = [](const bytes& meta, const bytes& payload, decode_error expected) {
        const auto ev = ehtrace::test::event(false, 1, meta, payload);
        std::string out;
        EXPECT_EQ(format_event_json(out, "P_L1K0", ev.span()), expected) << out;
        EXPECT_NE(out.find("\"error\":"), std::string::npos);
        EXPECT_NE(out.find("\"level\":1"), std::string::npos);  // header still shown
    };
    check(bytes().zstr("E").zstr("x").u8(0x1F), bytes().u8(0), decode_error::unknown_encoding);
    check(bytes().zstr("E").zstr("x").u8(0x00), bytes().u8(0), decode_error::bad_encoding);
    check(bytes().zstr("E").zstr("x").u8(0x62).u16(1), bytes().u8(0), decode_error::bad_encoding);
    check(bytes().zstr("E").zstr("x").u8(0x22).u16(0), bytes().u8(0), decode_error::bad_encoding);
    check(bytes().zstr("E").zstr("x").u8(0x81).u8(0), bytes(), decode_error::bad_struct);
    check(bytes().zstr("E").zstr("x").u8(0x07), bytes().str("abc"), decode_error::payload_truncated);
    check(bytes().zstr("E").zstr("x"), bytes(), decode_error::metadata_truncated);
}

// Arrays of structs whose fields the metadata cuts off take no payload
// bytes: two nested 65535-element arrays would be 4 billion items. The
// enumerator stops at its budget, quickly, with an error and what came before.
TEST(EventEnumerator, ItemsThatTakeNoBytesAreBounded) {
    bytes meta;
    meta.zstr("E").zstr("a").u8(0x02);
    meta.zstr("outer").u8(0xA1).u8(0x01).u16(0xFFFF).zstr("inner").u8(0xA1).u8(0x01).u16(0xFFFF);
    const auto ev = ehtrace::test::event(false, 1, meta, bytes().u8(7));
    event_enumerator e;
    ASSERT_EQ(e.start("P_L1K0", ev.span()), decode_error::none);
    std::size_t items = 0;
    while (e.move_next()) ++items;
    EXPECT_EQ(e.state(), enumerator_state::error);
    EXPECT_EQ(e.error(), decode_error::too_many_items);
    EXPECT_LE(items, event_enumerator::item_budget(ev.span().size()) + 1);  // + the one value
    std::string out;
    EXPECT_EQ(format_event_json(out, "P_L1K0", ev.span()), decode_error::too_many_items);
    EXPECT_EQ(out.rfind(R"({"n":"P:E","a":7,"outer":[{"inner":[{},)", 0), 0u) << out.substr(0, 200);
    EXPECT_NE(out.find(R"("error":"more items than the event's size allows)"), std::string::npos);

    // One such array of 1000 elements is well within the budget and decodes.
    bytes small;
    small.zstr("E").zstr("s").u8(0xA1).u8(0x01).u16(1000);
    const auto ok = ehtrace::test::event(false, 1, small, bytes());
    out.clear();
    EXPECT_EQ(format_event_json(out, "P_L1K0", ok.span()), decode_error::none) << out.substr(0, 200);
}

// The budget never stops a well-formed event: values nested as deep as the
// enumerator allows, in arrays, each take one byte.
TEST(EventEnumerator, DeepWellFormedEventIsWithinTheBudget) {
    bytes meta;
    meta.zstr("E");
    // An array and its struct take a level each; the innermost array one more.
    const std::size_t levels = (event_enumerator::max_depth - 1) / 2;
    for (std::size_t i = 0; i < levels; ++i) meta.zstr("s").u8(0xA1).u8(0x01).u16(i + 1 == levels ? 2000 : 1);
    meta.zstr("v").u8(0x22).u16(1);  // one u8 in a one-element array
    const auto ev = ehtrace::test::event(false, 1, meta, bytes().str(std::string(2000, '\x01')));
    event_enumerator e;
    ASSERT_EQ(e.start("P_L1K0", ev.span()), decode_error::none);
    std::size_t items = 0;
    while (e.move_next()) ++items;
    EXPECT_EQ(e.state(), enumerator_state::after_last) << to_string(e.error());
    EXPECT_GT(items, 2000u * 4);
}

TEST(EventEnumerator, ValuesBeforeDamageAreKept) {
    const auto ev = ehtrace::test::event(
        false, 1, bytes().zstr("E").zstr("a").u8(0x02).zstr("s").u8(0x81).u8(0x01).zstr("b").u8(0x04),
        bytes().u8(1).u8(2));
    std::string out;
    EXPECT_EQ(format_event_json(out, "P_L1K0", ev.span()), decode_error::payload_truncated);
    EXPECT_EQ(out.rfind(R"({"n":"P:E","a":1,"s":{},"error":"field value runs past the event at event offset )", 0), 0u)
        << out;
}

TEST(EventEnumerator, EmptyArrayOfStructsSkipsItsDefinitions) {
    bytes meta;
    meta.zstr("E").zstr("v").u8(0xC1).u8(0x02).zstr("a").u8(0x02).zstr("n").u8(0x81).u8(0x01).zstr("c").u8(0x02);
    meta.zstr("after").u8(0x02);
    const auto ev = ehtrace::test::event(false, 1, meta, bytes().u16(0).u8(77));
    std::string out;
    EXPECT_EQ(format_event_json(out, "P_L1K0", ev.span()), decode_error::none);
    EXPECT_EQ(out, R"({"n":"P:E","v":[],"after":77,"meta":{"level":1}})");
}

TEST(EventEnumerator, NestingLimit) {
    bytes meta;
    meta.zstr("E");
    for (int i = 0; i < 40; ++i) meta.zstr("s").u8(0x81).u8(0x01);
    meta.zstr("x").u8(0x02);
    const auto ev = ehtrace::test::event(false, 1, meta, bytes().u8(1));
    std::string out;
    EXPECT_EQ(format_event_json(out, "P_L1K0", ev.span()), decode_error::nesting_too_deep);
    // Balanced brackets even after the failure.
    int depth = 0;
    for (char c : out) depth += (c == '{') - (c == '}');
    EXPECT_EQ(depth, 0) << out;
}

namespace {

// Everything an enumerator shows for one event, items included, as text.
std::string walk_text(event_enumerator& e, std::string_view name, std::span<const std::byte> ev) {
    std::string out;
    const auto at = [&](const void* p) {
        return p == nullptr ? std::string("-") : std::to_string(static_cast<const std::byte*>(p) - ev.data());
    };
    const auto r = e.start(name, ev);
    const event_info& i = e.event();
    out += std::to_string(static_cast<int>(r)) + " " + std::to_string(static_cast<int>(e.state())) + " " +
           std::to_string(e.error_offset()) + " " + std::string(i.name) + std::string(i.name_attributes) + "@" +
           at(i.name.data()) + " lv" + std::to_string(i.header.level) + " a" + at(i.activity_id) + " r" +
           at(i.related_activity_id) + " id" + std::to_string(i.header.id) + "\n";
    if (r != decode_error::none) return out;
    out += "payload " + at(e.payload().data()) + "/" + std::to_string(e.payload().size()) + "\n";
    while (e.move_next()) {
        const item_info& it = e.item();
        out += std::to_string(static_cast<int>(e.state())) + " " + std::string(it.name) + "@" + at(it.name.data()) +
               " " + std::to_string(static_cast<int>(it.encoding)) + " " + at(it.value.data()) + "/" +
               std::to_string(it.value.size()) + "\n";
    }
    out += "end " + std::to_string(static_cast<int>(e.state())) + " " + std::to_string(static_cast<int>(e.error())) +
           " " + std::to_string(e.error_offset()) + "\n";
    return out;
}

}  // namespace

// One enumerator reused across events that repeat their header and extension
// blocks (start() then takes what it found from the previous event) shows
// exactly what a fresh enumerator shows: other payloads, another level in the
// name, a shorter event, a changed id or activity id, the other byte order.
TEST(EventEnumerator, RepeatedHeaderAndExtensionsSameAsFresh) {
    std::array<std::byte, 32> activity{};
    for (unsigned i = 0; i < 32; ++i) activity[i] = std::byte(i);
    std::vector<std::pair<std::string, bytes>> events;
    for (bool big : {false, true}) {
        bytes meta(big);
        meta.zstr("Ev;a=b").zstr("x").u8(0x04).zstr("s").u8(0x07).zstr("u").u8(0x05);
        bytes p1(big), p2(big);
        p1.u32(1).zstr("hello, a string of 8+ bytes").u64(7);
        p2.u32(2).zstr("").u64(8);
        events.push_back({"P_L4K1", ehtrace::test::event(big, 4, meta, p1)});
        events.push_back({"P_L4K1", ehtrace::test::event(big, 4, meta, p2)});
        events.push_back({"P_L5K1", ehtrace::test::event(big, 4, meta, p2)});  // level mismatch
        events.push_back({"user_events:P_L4K1Gx", ehtrace::test::event(big, 4, meta, p1)});
        events.push_back({"P_L4K1", ehtrace::test::event(big, 4, meta, p1, 0, 9)});  // other id
        events.push_back({"P_L4K1", ehtrace::test::event(big, 4, meta, p1, 0, 0, 0, 0, activity)});
        events.push_back({"P_L4K1", ehtrace::test::event(big, 4, meta, p2, 0, 0, 0, 0, activity)});
        events.push_back({"P_L4K1", ehtrace::test::event(big, 4, meta, p1, 0, 0, 0, 0,
                                                         std::span<const std::byte>(activity).first(16))});
    }
    event_enumerator reused;
    for (int round = 0; round < 2; ++round) {
        for (const auto& [name, ev] : events) {
            for (std::size_t size = ev.size() + 1; size-- != 0;) {  // every truncation, the string's included
                const auto span = ev.span().first(size);
                event_enumerator fresh;
                EXPECT_EQ(walk_text(reused, name, span), walk_text(fresh, name, span)) << name << " size " << size;
                EXPECT_EQ(walk_text(reused, name, ev.span()), walk_text(fresh, name, ev.span())) << name;
            }
        }
    }
}

// ---- the metadata cache's steps against the general path ----

namespace {

// Everything the enumerator shows, offsets from the payload's start (so an
// event whose name carries more attributes compares equal), value bytes as
// hex; the item where the walk stopped too (what an error leaves of it).
// `skip`: move_next_sibling() past every array (1) or struct (2) begin;
// skip_to_array_end() from every array begin (3), a "skipped" line where it
// moved.
std::string walk_relative(event_enumerator& e, std::string_view name, std::span<const std::byte> ev, int skip = 0) {
    std::string out;
    const auto r = e.start(name, ev);
    out += "start " + std::to_string(static_cast<int>(r)) + " " + std::string(e.event().name) + "\n";
    if (r != decode_error::none) return out;
    const auto base = e.payload().data() - ev.data();
    const auto at = [&](const void* p) {
        return p == nullptr ? std::string("-") : std::to_string((static_cast<const std::byte*>(p) - ev.data()) - base);
    };
    static constexpr char hex[] = "0123456789abcdef";
    const auto item_line = [&] {
        const item_info& it = e.item();
        std::string line = std::to_string(static_cast<int>(e.state())) + " d" + std::to_string(e.depth()) + " " +
                           std::string(it.name) + std::string(it.name_attributes) + "@" + at(it.name.data()) + " e" +
                           std::to_string(static_cast<int>(it.encoding)) + " f" +
                           std::to_string(static_cast<int>(it.format)) + " t" + std::to_string(it.tag) + " a" +
                           std::to_string(it.is_array) + std::to_string(it.is_element) + " i" +
                           std::to_string(it.array_index) + "/" + std::to_string(it.array_count) + " s" +
                           std::to_string(it.struct_field_count) + " w" + std::to_string(it.byte_swap) + " v";
        if (!it.value.empty()) line += at(it.value.data()) + ":";
        for (auto b : it.value) {
            line += hex[static_cast<unsigned>(b) >> 4];
            line += hex[static_cast<unsigned>(b) & 15];
        }
        if (const auto elements = e.array_bytes(); !elements.empty()) {
            line += " elements@" + at(elements.data()) + ":" + std::to_string(elements.size());
        }
        return line + "\n";
    };
    const auto step = [&] {
        if (skip == 3 && e.state() == enumerator_state::array_begin && e.skip_to_array_end()) {
            out += "skipped\n";
            return true;
        }
        if ((skip == 1 && e.state() == enumerator_state::array_begin) ||
            (skip == 2 && e.state() == enumerator_state::struct_begin)) {
            return e.move_next_sibling();
        }
        return e.move_next();
    };
    while (step()) out += item_line();
    out += "end " + std::to_string(static_cast<int>(e.state())) + " " + std::to_string(static_cast<int>(e.error()));
    if (e.error() != decode_error::none)
        out += " " + std::to_string(static_cast<std::ptrdiff_t>(e.error_offset()) - base);
    out += "\n" + item_line();
    // Past the end or an error, nothing moves.
    if (e.move_next() || e.move_next_sibling()) out += "moved on\n";
    return out;
}

// An event with a field of every kind the cache steps through (and some it
// leaves to the general path), its metadata after the event name `event`.
bytes cache_kinds_event(bool big, std::string_view event, unsigned variant) {
    bytes meta(big);
    meta.zstr(event);
    meta.zstr("id").u8(0x86).u8(15);                    // uuid
    meta.zstr("path;a=b").u8(0x0A);                     // counted 8-bit string
    meta.zstr("samples").u8(0x44);                      // u32[]
    meta.zstr("pair").u8(0xA3).u8(0x82).u16(7).u16(2);  // signed u16[2], tag 7
    meta.zstr("names").u8(0x47);                        // zstring8[]
    meta.zstr("request").u8(0x81).u8(3);                // struct of 3
    meta.zstr("status").u8(0x84).u8(0x02);              // i32
    meta.zstr("timing").u8(0x81).u8(2);                 // struct of 2
    meta.zstr("seconds").u8(0x85).u8(0x08);             // double
    meta.zstr("bytes").u8(0x05);                        // u64
    meta.zstr("agent").u8(0x0A);                        // counted string
    meta.zstr("w16").u8(0x0B);                          // counted 16-bit string
    meta.zstr("bin").u8(0x8D).u8(0x09);                 // binary, hex bytes
    meta.zstr("z16").u8(0x08);                          // zstring16 (general path)
    meta.zstr("v").u8(0xC1).u8(0x02);                   // array of structs (general path)
    meta.zstr("q").u8(0x03);
    meta.zstr("r").u8(0x07);
    meta.zstr("empty").u8(0x44);                          // u32[] of 0
    meta.zstr("tail").u8(0x81).u8(variant == 2 ? 5 : 1);  // more fields declared than defined
    meta.zstr("last").u8(variant == 1 ? 0x04 : 0x02);

    bytes p(big);
    for (unsigned i = 0; i < 16; ++i) p.u8(0xB0 + i);
    p.u16(5).str("/home");
    p.u16(3).u32(1).u32(2).u32(0xFFFFFFFF);
    p.u16(0xFFFE).u16(3);
    p.u16(2).zstr("ab").zstr("");
    p.u32(200);
    p.u64(0x3FF8000000000000ull);
    p.u64(18432);
    p.u16(4).str("curl");
    p.u16(2).u16(0x68).u16(0x69);
    p.u16(3).raw({0xDE, 0xAD, 0x01});
    p.u16(0x41).u16(0);
    p.u16(2).u16(10).zstr("x").u16(11).zstr("yz");
    p.u16(0);
    p.u8(9);
    if (variant == 1) p.u8(0).u8(0).u8(1);
    return ehtrace::test::event(big, 4, meta, p);
}

// The same event with the event name padded past what the cache keeps: the
// enumerator reads it through the general path only.
std::string uncached_name() { return "Ev;pad=" + std::string(300, 'x'); }

}  // namespace

// The cached steps (structs, arrays, counted strings, fixed-size values)
// give what the general path gives, item by item, for every truncation of
// the payload, in both byte orders, reusing one enumerator throughout.
TEST(EventEnumerator, CachedStepsSameAsGeneralPath) {
    event_enumerator cached;
    for (bool big : {false, true}) {
        for (unsigned variant : {0u, 1u, 2u}) {
            const auto ev = cache_kinds_event(big, "Ev", variant);
            const auto ref = cache_kinds_event(big, uncached_name(), variant);
            ASSERT_EQ(ref.size() - ev.size(), uncached_name().size() - 2);
            const std::size_t payload_offset = ref.size() - ev.size();
            std::string whole;
            for (std::size_t size = ev.size() + 1; size-- != 0;) {
                const auto span = ev.span().first(size);
                if (size + payload_offset > ref.size()) continue;
                const auto ref_span = ref.span().first(size + payload_offset);
                event_enumerator general;
                const std::string expected = walk_relative(general, "P_L4K1", ref_span);
                const std::string got = walk_relative(cached, "P_L4K1", span);
                if (size == ev.size()) whole = got;
                // Truncated inside the metadata: the two events differ there.
                if (expected.rfind("start 0 ", 0) != 0) continue;
                EXPECT_EQ(got, expected) << "big " << big << " variant " << variant << " size " << size;
            }
            // The whole event decodes without error, every kind reached.
            EXPECT_NE(whole.find("end 2 0\n"), std::string::npos) << whole;
            EXPECT_NE(whole.find(" last@"), std::string::npos) << whole;
        }
    }
}

// Two events with the same metadata and different payloads, and events whose
// metadata differs in one byte (same size, same prefix): each decodes as a
// fresh enumerator decodes it, whatever came before.
TEST(EventEnumerator, MetadataCacheKeyedOnEveryByte) {
    std::vector<bytes> events;
    for (bool big : {false, true}) {
        bytes m1(big), m2(big), m3(big);
        m1.zstr("Ev").zstr("s").u8(0x81).u8(2).zstr("a").u8(0x04).zstr("b").u8(0x0A);
        m2.zstr("Ev").zstr("s").u8(0x81).u8(2).zstr("a").u8(0x03).zstr("b").u8(0x0A);  // u16 a
        m3.zstr("Ev").zstr("s").u8(0x81).u8(1).zstr("a").u8(0x04).zstr("b").u8(0x0A);  // b outside s
        bytes p1(big), p2(big);
        p1.u32(1).u16(2).str("hi");
        p2.u32(0x01020304).u16(0).u16(0);
        for (const bytes* m : {&m1, &m2, &m3}) {
            events.push_back(ehtrace::test::event(big, 4, *m, p1));
            events.push_back(ehtrace::test::event(big, 4, *m, p2));
        }
    }
    event_enumerator reused;
    for (int round = 0; round < 3; ++round) {
        for (std::size_t k = 0; k < events.size(); ++k) {
            // Every order of pairs: each event after each other one.
            const auto& ev = events[(k * (round + 1)) % events.size()];
            event_enumerator fresh;
            EXPECT_EQ(walk_text(reused, "P_L4K1", ev.span()), walk_text(fresh, "P_L4K1", ev.span())) << k;
            EXPECT_EQ(walk_relative(reused, "P_L4K1", ev.span()), walk_relative(fresh, "P_L4K1", ev.span()));
        }
    }
    // The one-byte differences show: a u32 then a u16, a struct of 2 then of 1.
    std::string j1, j2, j3;
    format_event_json(j1, "P_L4K1", events[0].span());
    format_event_json(j2, "P_L4K1", events[2].span());
    format_event_json(j3, "P_L4K1", events[4].span());
    EXPECT_EQ(j1, R"({"n":"P:Ev","s":{"a":1,"b":"hi"},"meta":{"level":4,"keyword":"0x1"}})");
    EXPECT_NE(j2, j1);
    EXPECT_EQ(j3, R"({"n":"P:Ev","s":{"a":1},"b":"hi","meta":{"level":4,"keyword":"0x1"}})");
}

// Names are tested for characters JSON must escape eight bytes at a time:
// one such character at every position of names of every length up to 20
// (field names and the event name) takes the escaping path.
TEST(EventEnumerator, JsonNamesEscapedAtEveryPosition) {
    for (std::size_t length = 1; length <= 34; ++length) {
        for (std::size_t k = 0; k < length; ++k) {
            for (char c : {'"', '\\', '\x01', '\x1f', '\x7f', '\x80', 'A', ' '}) {
                std::string name(length, 'a');
                name[k] = c;
                bytes meta;
                meta.zstr(name).zstr(name).u8(0x02).zstr(name).u8(0x81).u8(1).zstr(name).u8(0x02);
                const auto ev = ehtrace::test::event(false, 1, meta, bytes().u8(5).u8(6));
                std::string key;
                append_json_string(key, name);
                std::string event_name;
                append_json_string(event_name, "P:" + name);
                const std::string expected =
                    R"({"n":)" + event_name + "," + key + ":5," + key + ":{" + key + R"(:6},"meta":{"level":1}})";
                std::string out;
                EXPECT_EQ(format_event_json(out, "P_L1K0", ev.span()), decode_error::none);
                EXPECT_EQ(out, expected) << length << " " << k << " " << int(c);
            }
        }
    }
}

// String values (NUL-terminated and counted, as members and as array
// elements) with one character JSON must escape at each position, around
// the length below which plain ones are copied straight, and a uuid.
TEST(EventEnumerator, JsonStringValuesEscapedAtEveryPosition) {
    std::vector<std::size_t> lengths;
    for (std::size_t n = 0; n <= 20; ++n) lengths.push_back(n);
    for (std::size_t n = 31; n <= 33; ++n) lengths.push_back(n);
    for (std::size_t n = 250; n <= 260; ++n) lengths.push_back(n);
    for (std::size_t length : lengths) {
        for (std::size_t k = 0; k <= length; ++k) {  // k == length: all plain
            for (char c : {'"', '\\', '\x01', '\x7f', '\x80', '\xc3'}) {
                std::string text(length, 'a');
                if (k < length) text[k] = c;
                if (c == '\xc3' && k + 1 < length) text[k + 1] = '\xa9';  // valid UTF-8
                bytes meta;
                meta.zstr("E").zstr("z").u8(0x07).zstr("c").u8(0x0A).zstr("a").u8(0x4A).zstr("u").u8(0x86).u8(15);
                bytes payload;
                payload.zstr(text).u16(static_cast<unsigned>(length)).str(text);
                payload.u16(2).u16(static_cast<unsigned>(length)).str(text).u16(0);
                for (unsigned i = 0; i < 16; ++i) payload.u8(0xA0 + i * 3);
                const auto ev = ehtrace::test::event(false, 1, meta, payload);
                std::string value;
                append_json_string(value, text);
                const std::string expected = R"({"n":"P:E","z":)" + value + R"(,"c":)" + value + R"(,"a":[)" + value +
                                             R"(,""],"u":"a0a3a6a9-acaf-b2b5-b8bb-bec1c4c7cacd","meta":{"level":1}})";
                std::string out;
                EXPECT_EQ(format_event_json(out, "P_L1K0", ev.span()), decode_error::none);
                EXPECT_EQ(out, expected) << length << " " << k << " " << int(c);
            }
        }
    }
}

// ---- the compiled plan against the general path ----

// Which path start() chose for the current event.
struct ehtrace::decode::detail::enumerator_probe {
    static bool planned(const event_enumerator& e) { return e.plan_step_ != nullptr; }
};

namespace {

// A definition of a random shape and the values written for it.
struct shape_node {
    std::string name;
    unsigned encoding = 2;
    bool has_format = false;
    unsigned format = 0;  // structs: the declared field count
    unsigned tag = 0;
    int array = 0;  // 0 none, 1 constant count, 2 variable count
    unsigned count = 0;
    std::vector<shape_node> fields;
};

class shape_random {
public:
    explicit shape_random(std::uint32_t seed) : state_(seed * 2654435761u + 1) {}
    unsigned below(unsigned n) {
        state_ = state_ * 1664525u + 1013904223u;
        return (state_ >> 8) % n;
    }

private:
    std::uint32_t state_;
};

// Fields of random encodings (every one), arrays of both kinds, structs
// nested up to `depth` levels, arrays of structs when `struct_arrays`.
void random_fields(shape_random& r, std::vector<shape_node>& out, unsigned n, unsigned depth, bool struct_arrays,
                   unsigned& budget) {
    static const char* const names[] = {"a", "bc", "def", "x;k=v", "long_name", "", "u;", "z"};
    for (unsigned i = 0; i < n && budget != 0; ++i) {
        --budget;
        shape_node f;
        f.name = names[r.below(8)];
        const bool structure = depth != 0 && budget >= 2 && r.below(4) == 0;
        f.encoding = structure ? 1 : 2 + r.below(12);
        f.has_format = structure || r.below(3) == 0;
        if (f.has_format && r.below(4) == 0) f.tag = 1 + r.below(0xFFFE);
        const unsigned kind = r.below(4);
        f.array = kind == 3 ? 0 : kind == 2 ? 2 : kind == 1 ? 1 : 0;
        if (structure && f.array != 0 && !struct_arrays) f.array = 0;
        f.count = f.array == 1 ? 1 + r.below(3) : r.below(4);
        if (structure) {
            random_fields(r, f.fields, 1 + r.below(3), depth - 1, struct_arrays, budget);
            f.format = static_cast<unsigned>(f.fields.size());
            if (f.fields.empty()) {  // no budget left for a field: a plain value instead
                f.encoding = 4;
                f.has_format = false;
                f.tag = 0;
            }
        } else if (f.has_format) {
            f.format = r.below(16);
        }
        out.push_back(std::move(f));
    }
}

void write_definitions(bytes& meta, const shape_node& f) {
    meta.zstr(f.name);
    meta.u8(f.encoding | (f.array == 1 ? 0x20 : 0) | (f.array == 2 ? 0x40 : 0) | (f.has_format ? 0x80 : 0));
    if (f.has_format) {
        meta.u8(f.format | (f.tag != 0 ? 0x80 : 0));
        if (f.tag != 0) meta.u16(f.tag);
    }
    if (f.array == 1) meta.u16(f.count);
    for (const auto& g : f.fields) write_definitions(meta, g);
}

void write_one_value(bytes& p, unsigned encoding, shape_random& r) {
    static constexpr unsigned sizes[] = {0, 0, 1, 2, 4, 8, 16};
    if (encoding <= 6) {
        for (unsigned i = 0; i < sizes[encoding]; ++i) p.u8(r.below(256));
        return;
    }
    const unsigned unit = encoding == 8 || encoding == 11 ? 2 : encoding == 9 || encoding == 12 ? 4 : 1;
    const unsigned length = r.below(5);
    if (encoding >= 10) p.u16(length);
    for (unsigned i = 0; i < length * unit; ++i) p.u8(encoding >= 10 ? r.below(256) : 1 + r.below(255));
    if (encoding < 10) {
        for (unsigned i = 0; i < unit; ++i) p.u8(0);
    }
}

void write_values(bytes& p, const shape_node& f, shape_random& r) {
    const unsigned elements = f.array == 0 ? 1 : f.count;
    if (f.array == 2) p.u16(f.count);
    for (unsigned k = 0; k < elements; ++k) {
        if (f.encoding == 1) {
            for (const auto& g : f.fields) write_values(p, g, r);
        } else {
            write_one_value(p, f.encoding, r);
        }
    }
}

bool has_struct_array(const std::vector<shape_node>& fields) {
    for (const auto& f : fields) {
        if ((f.encoding == 1 && f.array != 0) || has_struct_array(f.fields)) return true;
    }
    return false;
}

}  // namespace

namespace {

// A walk_relative() trace as skip_to_array_end() should leave it: where an
// array_begin line shows array_bytes() (the elements, all there), its
// element lines become one "skipped" line.
std::string without_skipped_elements(const std::string& walked) {
    const std::string array_begin = std::to_string(static_cast<int>(enumerator_state::array_begin)) + " ";
    std::string out;
    bool skipping = false;
    std::size_t from = 0;
    while (from < walked.size()) {
        const std::size_t end = walked.find('\n', from) + 1;
        const std::string line = walked.substr(from, end - from);
        from = end;
        if (skipping && line.find(" a11 ") != std::string::npos) continue;
        skipping = false;
        out += line;
        if (line.starts_with(array_begin) && line.find(" elements@") != std::string::npos &&
            walked.compare(from, 3, "end") != 0) {
            out += "skipped\n";
            skipping = true;
        }
    }
    return out;
}

}  // namespace

// Random shapes of every encoding, arrays of both kinds, nested structs (some
// declaring more fields than the metadata defines), with and without arrays
// of structs, in both byte orders: one reused enumerator (the plan, where it
// applies) shows item for item what the general path shows (the same event
// with the event name padded past what the cache keeps), for every
// truncation of the payload, walked with move_next and with
// move_next_sibling past arrays or structs.
TEST(EventEnumerator, PlanSameAsGeneralPath) {
    event_enumerator planned;
    unsigned plans = 0, unplanned = 0, whole_ok = 0, skipped = 0;
    for (std::uint32_t seed = 0; seed < 160; ++seed) {
        shape_random r(seed);
        std::vector<shape_node> fields;
        unsigned budget = 3 + r.below(14);
        random_fields(r, fields, budget, 3, seed % 4 == 3, budget);
        if (!fields.empty() && fields.back().encoding == 1 && fields.back().array == 0 && r.below(2) == 0) {
            fields.back().format += 1 + r.below(2);  // more fields declared than defined
        }
        for (bool big : {false, true}) {
            bytes meta(big), ref_meta(big), payload(big);
            meta.zstr("Ev");
            ref_meta.zstr(uncached_name());
            for (const auto& f : fields) {
                write_definitions(meta, f);
                write_definitions(ref_meta, f);
            }
            shape_random values(seed + 1000);
            for (const auto& f : fields) write_values(payload, f, values);
            const auto ev = ehtrace::test::event(big, 4, meta, payload);
            const auto ref = ehtrace::test::event(big, 4, ref_meta, payload);
            const std::size_t payload_begin = ev.size() - payload.size(), shift = ref.size() - ev.size();

            // The plan applies to every block the cache keeps whole, but for
            // arrays of structs.
            ASSERT_EQ(planned.start("P_L4K1", ev.span()), decode_error::none);
            const bool expect_plan = meta.size() <= 256 && !has_struct_array(fields);
            EXPECT_EQ(detail::enumerator_probe::planned(planned), expect_plan) << "seed " << seed;
            (expect_plan ? plans : unplanned) += 1;

            for (std::size_t size = ev.size() + 1; size-- > payload_begin;) {
                for (int skip : {0, 1, 2, 3}) {
                    event_enumerator general;
                    const std::string expected = walk_relative(general, "P_L4K1", ref.span().first(size + shift), skip);
                    const std::string got = walk_relative(planned, "P_L4K1", ev.span().first(size), skip);
                    ASSERT_EQ(got, expected) << "seed " << seed << " big " << big << " size " << size;
                    if (size == ev.size() && skip == 0 && got.find("end 2 0\n") != std::string::npos) ++whole_ok;
                    if (skip == 3) {
                        const std::string walked = walk_relative(general, "P_L4K1", ref.span().first(size + shift));
                        ASSERT_EQ(got, without_skipped_elements(walked)) << "seed " << seed << " size " << size;
                        skipped += got.find("skipped\n") != std::string::npos;
                    }
                }
            }
        }
    }
    // Both paths were taken, and most events decoded whole (a struct that
    // declares more fields than it defines takes what follows it).
    EXPECT_GT(plans, 150u);
    EXPECT_GT(unplanned, 40u);
    EXPECT_GT(whole_ok, 250u);
    EXPECT_GT(skipped, 1000u);
}

// Long arrays of integers, whose text runs through the formatter's buffer
// many times over: every element as std::to_chars writes it, for each
// element size, format and byte order.
TEST(EventEnumerator, JsonLongIntegerArrays) {
    std::uint64_t state = 0x243F6A8885A308D3ull;
    const auto next = [&state] {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        return state;
    };
    constexpr unsigned count = 3000;
    for (unsigned size : {1u, 2u, 4u, 8u}) {
        for (unsigned format : {0u, 1u, 2u}) {
            for (bool big : {false, true}) {
                const unsigned bits = 8 * size;
                const unsigned encoding = size == 1 ? 0x02 : size == 2 ? 0x03 : size == 4 ? 0x04 : 0x05;
                bytes meta(big);
                meta.zstr("E").zstr("a").u8(0x40 | encoding | (format != 0 ? 0x80 : 0));
                if (format != 0) meta.u8(format);
                bytes payload(big);
                payload.u16(count);
                std::string expected = R"({"n":"P:E","a":[)";
                for (unsigned k = 0; k < count; ++k) {
                    // Every length of text, from one digit to the most.
                    const std::uint64_t v = next() >> (next() % 64) >> (64 - bits);
                    if (size == 1) payload.u8(static_cast<unsigned>(v));
                    else if (size == 2) payload.u16(static_cast<unsigned>(v));
                    else if (size == 4) payload.u32(v);
                    else payload.u64(v);
                    if (k != 0) expected += ',';
                    expected += format == 2 ? std::to_string(static_cast<std::int64_t>(v << (64 - bits)) >> (64 - bits))
                                            : std::to_string(v);
                }
                expected += R"(],"meta":{"level":1}})";
                std::string out;
                ASSERT_EQ(format_event_json(out, "P_L1K0", ehtrace::test::event(big, 1, meta, payload).span()),
                          decode_error::none);
                ASSERT_EQ(out, expected) << size << " " << format << " big " << big;
            }
        }
    }
}

// Arrays of integers (every size, the default, unsigned and signed formats,
// the values where the text changes: zero, the extremes, 2^53 and past it,
// which safe_numbers quotes), written as the elements come: the whole event
// in both byte orders, and every cut inside the array, which keeps the
// elements read before it.
TEST(EventEnumerator, JsonIntegerArrays) {
    const std::uint64_t limit = std::uint64_t{1} << 53;
    for (unsigned size : {1u, 2u, 4u, 8u}) {
        for (unsigned format : {0u, 1u, 2u}) {
            const unsigned bits = 8 * size;
            const std::uint64_t mask = size == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
            std::vector<std::uint64_t> raw = {0, 1, 7, mask, mask >> 1, (mask >> 1) + 1, 200};
            if (size == 8) raw.insert(raw.end(), {limit, limit + 1, 0 - limit, 0 - limit - 1});
            for (bool big : {false, true}) {
                for (bool safe : {false, true}) {
                    const unsigned encoding = size == 1 ? 0x02 : size == 2 ? 0x03 : size == 4 ? 0x04 : 0x05;
                    bytes meta(big);
                    meta.zstr("E").zstr("a").u8(0x40 | encoding | (format != 0 ? 0x80 : 0));
                    if (format != 0) meta.u8(format);
                    meta.zstr("z").u8(0x02);
                    bytes payload(big);
                    payload.u16(static_cast<unsigned>(raw.size()));
                    std::vector<std::string> texts;
                    for (std::uint64_t v : raw) {
                        if (size == 1) payload.u8(static_cast<unsigned>(v));
                        else if (size == 2) payload.u16(static_cast<unsigned>(v));
                        else if (size == 4) payload.u32(v);
                        else payload.u64(v);
                        std::string text;
                        bool beyond = false;
                        if (format == 2) {
                            const auto x = static_cast<std::int64_t>(v << (64 - bits)) >> (64 - bits);
                            text = std::to_string(x);
                            beyond = x > static_cast<std::int64_t>(limit) || x < -static_cast<std::int64_t>(limit);
                        } else {
                            text = std::to_string(v);
                            beyond = v > limit;
                        }
                        texts.push_back(safe && beyond ? "\"" + text + "\"" : text);
                    }
                    payload.u8(9);
                    const auto ev = ehtrace::test::event(big, 1, meta, payload);
                    json_options options;
                    options.safe_numbers = safe;
                    const std::size_t elements_at = ev.size() - 1 - raw.size() * size;
                    for (std::size_t cut = elements_at; cut <= ev.size(); ++cut) {
                        const std::size_t whole = std::min(raw.size(), (cut - elements_at) / size);
                        std::string expected = R"({"n":"P:E","a":[)";
                        for (std::size_t k = 0; k < whole; ++k) expected += (k != 0 ? "," : "") + texts[k];
                        expected += "]";
                        expected += cut == ev.size() ? R"(,"z":9)" : R"(,"error":"field value runs past the event)";
                        std::string out;
                        format_event_json(out, "P_L1K0", ev.span().first(cut), {}, options);
                        EXPECT_EQ(out.substr(0, expected.size()), expected)
                            << size << " " << format << " big " << big << " safe " << safe << " cut " << cut;
                    }
                }
            }
        }
    }
}
