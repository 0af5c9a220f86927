// The event builder's bytes for every add-* call, structs, arrays, limits
// and error paths. Expected bytes are written from docs/wire.md's tables, not
// from the encoder.
#include <ehtrace/dynamic.hpp>

#include "dynamic_test_support.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace {

using namespace dynamic_test;
using ehtrace::field_encoding;
using ehtrace::field_format;
using ehtrace::dynamic::event_builder;
using ehtrace::dynamic::struct_bookmark;

bytes metadata_of(const event_builder& b) { return bytes(b.metadata_data(), b.metadata_data() + b.metadata_size()); }
bytes payload_of(const event_builder& b) { return bytes(b.payload_data(), b.payload_data() + b.payload_size()); }

// Builds event "E" with one field and checks the field's definition and data.
template <class Add>
void expect_field(Add add, const bytes& definition, const bytes& data) {
    event_builder b;
    b.reset("E");
    add(b);
    ASSERT_EQ(b.error(), 0) << b.error_message();
    EXPECT_EQ(metadata_of(b), cat({"E", definition}));
    EXPECT_EQ(payload_of(b), data);
}

const std::uint8_t sample16[16] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                   0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
bytes sample16_bytes() { return bytes(sample16, sample16 + 16); }

TEST(DynamicBuilder, ResetWritesTheEventName) {
    event_builder b;
    b.reset("Hello");
    EXPECT_EQ(metadata_of(b), cat({"Hello"}));
    EXPECT_EQ(b.payload_size(), 0u);
    EXPECT_EQ(b.error(), 0);
    EXPECT_STREQ(b.error_message(), "");
}

// A name longer than the buffers hold grows them (the long way), and
// replaces the last event whole either way.
TEST(DynamicBuilder, ResetReplacesTheLastEventWhateverTheNameLength) {
    event_builder b;
    b.reset("E").add_value("x", 1).add_zstring("s", "text");
    for (std::size_t length : {std::size_t{1}, std::size_t{300}, std::size_t{5000}, std::size_t{2}}) {
        const std::string name(length, 'n');
        b.reset(name);
        EXPECT_EQ(b.error(), 0) << length;
        EXPECT_EQ(metadata_of(b), cat({name.c_str()})) << length;
        EXPECT_EQ(b.payload_size(), 0u) << length;
        b.add_value("y", std::uint8_t{7});
        EXPECT_EQ(metadata_of(b), cat({name.c_str(), "y", 0x02})) << length;
        EXPECT_EQ(payload_of(b), bytes{7}) << length;
    }
}

// --- unsigned integers: default format, no format byte ---------------------

TEST(DynamicBuilder, UnsignedIntegersUseTheDefaultFormat) {
    expect_field([](event_builder& b) { b.add_value("u8", std::uint8_t{0xAB}); }, cat({"u8", 0x02}), {0xAB});
    expect_field([](event_builder& b) { b.add_value("u16", std::uint16_t{0x1234}); }, cat({"u16", 0x03}), u16(0x1234));
    expect_field([](event_builder& b) { b.add_value("u32", std::uint32_t{0x12345678}); }, cat({"u32", 0x04}),
                 u32(0x12345678));
    expect_field([](event_builder& b) { b.add_value("u64", std::uint64_t{0x1122334455667788}); }, cat({"u64", 0x05}),
                 u64(0x1122334455667788));
}

TEST(DynamicBuilder, SignedIntegersUseSignedInt) {
    expect_field([](event_builder& b) { b.add_value("i8", std::int8_t{-1}); }, cat({"i8", 0x82, 0x02}), {0xFF});
    expect_field([](event_builder& b) { b.add_value("i16", std::int16_t{-2}); }, cat({"i16", 0x83, 0x02}), u16(0xFFFE));
    expect_field([](event_builder& b) { b.add_value("i32", std::int32_t{-3}); }, cat({"i32", 0x84, 0x02}),
                 u32(0xFFFFFFFD));
    expect_field([](event_builder& b) { b.add_value("i64", std::int64_t{-4}); }, cat({"i64", 0x85, 0x02}),
                 u64(0xFFFFFFFFFFFFFFFC));
}

TEST(DynamicBuilder, EveryIntegerFormat) {
    expect_field([](event_builder& b) { b.add_value("x", std::uint8_t{1}, field_format::unsigned_int); },
                 cat({"x", 0x82, 0x01}), {1});
    expect_field([](event_builder& b) { b.add_value("x", std::uint16_t{1}, field_format::signed_int); },
                 cat({"x", 0x83, 0x02}), u16(1));
    expect_field([](event_builder& b) { b.add_value("x", std::uint32_t{0xBEEF}, field_format::hex_int); },
                 cat({"x", 0x84, 0x03}), u32(0xBEEF));
    expect_field([](event_builder& b) { b.add_value("x", std::uint64_t{0xBEEF}, field_format::hex_int); },
                 cat({"x", 0x85, 0x03}), u64(0xBEEF));
    expect_field([](event_builder& b) { b.add_value("x", std::int64_t{5}, field_format::unsigned_int); },
                 cat({"x", 0x85, 0x01}), u64(5));
    // A signed value asked for in the default format: no format byte.
    expect_field([](event_builder& b) { b.add_value("x", std::int32_t{7}, field_format::default_format); },
                 cat({"x", 0x04}), u32(7));
}

TEST(DynamicBuilder, SpecialScalarFormats) {
    expect_field([](event_builder& b) { b.add_errno("e", 2); }, cat({"e", 0x84, 0x04}), u32(2));
    expect_field([](event_builder& b) { b.add_pid("p", 4242); }, cat({"p", 0x84, 0x05}), u32(4242));
    expect_field([](event_builder& b) { b.add_time("t", 1700000000); }, cat({"t", 0x85, 0x06}), u64(1700000000));
    expect_field([](event_builder& b) { b.add_value("t32", std::int32_t{86400}, field_format::time); },
                 cat({"t32", 0x84, 0x06}), u32(86400));
    expect_field([](event_builder& b) { b.add_value("ok", true); }, cat({"ok", 0x82, 0x07}), {0x01});
    expect_field([](event_builder& b) { b.add_value("b16", std::uint16_t{1}, field_format::boolean); },
                 cat({"b16", 0x83, 0x07}), u16(1));
    expect_field([](event_builder& b) { b.add_bool32("b32", true); }, cat({"b32", 0x84, 0x07}), u32(1));
    expect_field([](event_builder& b) { b.add_value("f", 1.5f); }, cat({"f", 0x84, 0x08}), u32(0x3FC00000));
    expect_field([](event_builder& b) { b.add_value("d", 1.5); }, cat({"d", 0x85, 0x08}), u64(0x3FF8000000000000));
    expect_field([](event_builder& b) { b.add_value("hb", std::uint32_t{0x04030201}, field_format::hex_bytes); },
                 cat({"hb", 0x84, 0x09}), {1, 2, 3, 4});
    expect_field([](event_builder& b) { b.add_port("port", 0x5000); }, cat({"port", 0x83, 0x10}), {0x00, 0x50});  // 80
    expect_field([](event_builder& b) { b.add_ipv4("ip", 0x0100007F); }, cat({"ip", 0x84, 0x11}), {127, 0, 0, 1});
    expect_field([](event_builder& b) { b.add_ipv6("ip6", sample16); }, cat({"ip6", 0x86, 0x11}), sample16_bytes());
    expect_field([](event_builder& b) { b.add_uuid("id", sample16); }, cat({"id", 0x86, 0x0F}), sample16_bytes());
    expect_field([](event_builder& b) { b.add_value128("raw", sample16); }, cat({"raw", 0x06}), sample16_bytes());
    // The obsolete IP format is read, never written (docs/wire.md).
    event_builder b;
    b.reset("E");
    b.add_value("old", std::uint32_t{0x0100007F}, field_format::ip_address_obsolete);
    EXPECT_EQ(b.error(), EINVAL);
}

TEST(DynamicBuilder, CharactersAndPointers) {
    expect_field([](event_builder& b) { b.add_value("c", 'A'); }, cat({"c", 0x82, 0x0A}), {'A'});
    expect_field([](event_builder& b) { b.add_value("c16", u'\u00e9'); }, cat({"c16", 0x83, 0x0B}), u16(0xE9));
    expect_field([](event_builder& b) { b.add_value("c32", U'\U0001F600'); }, cat({"c32", 0x84, 0x0B}), u32(0x1F600));
    expect_field([](event_builder& b) { b.add_value("w", L'x'); }, cat({"w", 0x84, 0x0B}), u32('x'));
    const void* pointer = reinterpret_cast<const void*>(std::uintptr_t{0x7fff12345678});
    expect_field([&](event_builder& b) { b.add_value("ptr", pointer); }, cat({"ptr", 0x85, 0x03}), u64(0x7fff12345678));
    enum class color : std::int16_t { red = -1 };
    expect_field([](event_builder& b) { b.add_value("color", color::red); }, cat({"color", 0x83, 0x02}), u16(0xFFFF));
}

TEST(DynamicBuilder, AddScalarTakesAnyValueEncoding) {
    const std::uint64_t value = 0x0102030405060708;
    expect_field([&](event_builder& b) { b.add_scalar("v", field_encoding::value64, field_format::hex_int, &value); },
                 cat({"v", 0x85, 0x03}), u64(value));
    expect_field(
        [&](event_builder& b) { b.add_scalar("v", field_encoding::value8, field_format::default_format, &value); },
        cat({"v", 0x02}), {0x08});
}

// --- per-field tags ----------------------------------------------------------

TEST(DynamicBuilder, FieldTagsFollowTheFormatByte) {
    // Default format with a tag: the format byte (0) is written with its tag flag.
    expect_field([](event_builder& b) { b.add_value("t", std::uint16_t{1}, field_format::default_format, 0x1234); },
                 cat({"t", 0x83, 0x80, 0x34, 0x12}), u16(1));
    expect_field([](event_builder& b) { b.add_value("t", std::int32_t{1}, field_format::signed_int, 0xABCD); },
                 cat({"t", 0x84, 0x82, 0xCD, 0xAB}), u32(1));
    expect_field([](event_builder& b) { b.add_string("s", "x", field_format::default_format, 0x0102); },
                 cat({"s", 0x8A, 0x80, 0x02, 0x01}), cat({u16(1), 'x'}));
    expect_field([](event_builder& b) { b.add_uuid("u", sample16, 7); }, cat({"u", 0x86, 0x8F, 0x07, 0x00}),
                 sample16_bytes());
}

// --- strings and binary --------------------------------------------------------

TEST(DynamicBuilder, CountedStringsInEveryCodeUnitSize) {
    expect_field([](event_builder& b) { b.add_string("s8", std::string_view("hi")); }, cat({"s8", 0x0A}),
                 cat({u16(2), 'h', 'i'}));
    expect_field([](event_builder& b) { b.add_string("s16", std::u16string_view(u"hi")); }, cat({"s16", 0x0B}),
                 cat({u16(2), u16('h'), u16('i')}));
    expect_field([](event_builder& b) { b.add_string("s32", std::u32string_view(U"hi")); }, cat({"s32", 0x0C}),
                 cat({u16(2), u32('h'), u32('i')}));
    expect_field([](event_builder& b) { b.add_string("empty", std::string_view()); }, cat({"empty", 0x0A}), u16(0));
    // A counted string keeps embedded NULs: its length says where it ends.
    expect_field([](event_builder& b) { b.add_string("nul", std::string_view("a\0b", 3)); }, cat({"nul", 0x0A}),
                 cat({u16(3), 'a', 0, 'b'}));
}

TEST(DynamicBuilder, ZeroTerminatedStringsInEveryCodeUnitSize) {
    expect_field([](event_builder& b) { b.add_zstring("z8", std::string_view("hi")); }, cat({"z8", 0x07}),
                 {'h', 'i', 0});
    expect_field([](event_builder& b) { b.add_zstring("z16", std::u16string_view(u"hi")); }, cat({"z16", 0x08}),
                 cat({u16('h'), u16('i'), u16(0)}));
    expect_field([](event_builder& b) { b.add_zstring("z32", std::u32string_view(U"hi")); }, cat({"z32", 0x09}),
                 cat({u32('h'), u32('i'), u32(0)}));
    // Cut at an embedded NUL: the terminator ends the value for every reader.
    expect_field([](event_builder& b) { b.add_zstring("cut", std::string_view("a\0b", 3)); }, cat({"cut", 0x07}),
                 {'a', 0});
    expect_field([](event_builder& b) { b.add_zstring("cut16", std::u16string_view(u"a\0b", 3)); },
                 cat({"cut16", 0x08}), cat({u16('a'), u16(0)}));
}

TEST(DynamicBuilder, StringFormats) {
    expect_field([](event_builder& b) { b.add_string("j", "{}", field_format::string_json); }, cat({"j", 0x8A, 0x0E}),
                 cat({u16(2), '{', '}'}));
    expect_field([](event_builder& b) { b.add_string("x", "<a/>", field_format::string_xml); }, cat({"x", 0x8A, 0x0D}),
                 cat({u16(4), chars("<a/>")}));
    expect_field([](event_builder& b) { b.add_zstring("l1", "\xe9", field_format::string8); }, cat({"l1", 0x87, 0x0A}),
                 {0xE9, 0});
    expect_field(
        [](event_builder& b) { b.add_string("bom", std::u16string_view(u"\ufeffa"), field_format::string_utf_bom); },
        cat({"bom", 0x8B, 0x0C}), cat({u16(2), u16(0xFEFF), u16('a')}));
    expect_field([](event_builder& b) { b.add_zstring("utf", "a", field_format::string_utf); },
                 cat({"utf", 0x87, 0x0B}), {'a', 0});
}

TEST(DynamicBuilder, Binary) {
    const std::uint8_t data[] = {0xDE, 0xAD, 0x00, 0xEF};
    expect_field([&](event_builder& b) { b.add_binary("bin", data, sizeof data); }, cat({"bin", 0x0D}),
                 cat({u16(4), 0xDE, 0xAD, 0x00, 0xEF}));
    expect_field([&](event_builder& b) { b.add_binary("json", "{}", 2, field_format::string_json); },
                 cat({"json", 0x8D, 0x0E}), cat({u16(2), '{', '}'}));
    expect_field([&](event_builder& b) { b.add_binary("none", nullptr, 0); }, cat({"none", 0x0D}), u16(0));
}

// --- arrays ----------------------------------------------------------------------

TEST(DynamicBuilder, VariableLengthArrays) {
    const std::uint16_t u[] = {1, 2, 3};
    expect_field([&](event_builder& b) { b.add_array("u", u, 3); }, cat({"u", 0x43}),
                 cat({u16(3), u16(1), u16(2), u16(3)}));
    const std::int32_t i[] = {-1, 2};
    expect_field([&](event_builder& b) { b.add_array("i", i, 2); }, cat({"i", 0xC4, 0x02}),
                 cat({u16(2), u32(0xFFFFFFFF), u32(2)}));
    const double d[] = {1.5};
    expect_field([&](event_builder& b) { b.add_array("d", d, 1); }, cat({"d", 0xC5, 0x08}),
                 cat({u16(1), u64(0x3FF8000000000000)}));
    const bool flags[] = {true, false};
    expect_field([&](event_builder& b) { b.add_array("flags", flags, 2); }, cat({"flags", 0xC2, 0x07}),
                 cat({u16(2), 1, 0}));
    expect_field([&](event_builder& b) { b.add_array("empty", u, 0); }, cat({"empty", 0x43}), u16(0));
    expect_field([&](event_builder& b) { b.add_array<std::uint8_t>("null", nullptr, 0); }, cat({"null", 0x42}), u16(0));
    std::uint8_t uuids[32];
    for (int k = 0; k < 32; ++k) uuids[k] = static_cast<std::uint8_t>(k);
    expect_field(
        [&](event_builder& b) { b.add_scalar_array("ids", field_encoding::value128, field_format::uuid, uuids, 2); },
        cat({"ids", 0xC6, 0x0F}), cat({u16(2), bytes(uuids, uuids + 32)}));
    expect_field([&](event_builder& b) { b.add_array("tagged", u, 1, field_format::hex_int, 0x0B0A); },
                 cat({"tagged", 0xC3, 0x83, 0x0A, 0x0B}), cat({u16(1), u16(1)}));
}

TEST(DynamicBuilder, ConstantLengthArrays) {
    const std::uint32_t u[] = {7, 8};
    expect_field([&](event_builder& b) { b.add_const_array("u", u, 2); }, cat({"u", 0x24, u16(2)}),
                 cat({u32(7), u32(8)}));
    const std::int16_t i[] = {-1, 1, 0};
    expect_field([&](event_builder& b) { b.add_const_array("i", i, 3, field_format::signed_int, 0x0201); },
                 cat({"i", 0xA3, 0x82, 0x01, 0x02, u16(3)}), cat({u16(0xFFFF), u16(1), u16(0)}));
    const char text[] = {'a', 'b'};
    expect_field([&](event_builder& b) { b.add_const_array("c", text, 2); }, cat({"c", 0xA2, 0x0A, u16(2)}),
                 {'a', 'b'});
    expect_field(
        [&](event_builder& b) {
            b.add_scalar_const_array("ip", field_encoding::value128, field_format::ip_address, sample16, 1);
        },
        cat({"ip", 0xA6, 0x11, u16(1)}), sample16_bytes());
}

TEST(DynamicBuilder, ArraysOfStrings) {
    const std::string_view items[] = {"a", "", "bc"};
    expect_field([&](event_builder& b) { b.add_string_array("s", items, 3); }, cat({"s", 0x4A}),
                 cat({u16(3), u16(1), 'a', u16(0), u16(2), 'b', 'c'}));
    expect_field([&](event_builder& b) { b.add_zstring_array("z", items, 3); }, cat({"z", 0x47}),
                 cat({u16(3), 'a', 0, 0, 'b', 'c', 0}));
    const std::u16string_view wide[] = {u"x"};
    expect_field([&](event_builder& b) { b.add_string_array("w", wide, 1); }, cat({"w", 0x4B}),
                 cat({u16(1), u16(1), u16('x')}));
    const std::u32string_view wider[] = {U"x"};
    expect_field([&](event_builder& b) { b.add_zstring_array("w32", wider, 1, field_format::default_format, 3); },
                 cat({"w32", 0xC9, 0x80, 0x03, 0x00}), cat({u16(1), u32('x'), u32(0)}));
    expect_field([&](event_builder& b) { b.add_string_array("json", items, 1, field_format::string_json); },
                 cat({"json", 0xCA, 0x0E}), cat({u16(1), u16(1), 'a'}));
    expect_field([&](event_builder& b) { b.add_string_array<char>("none", nullptr, 0); }, cat({"none", 0x4A}), u16(0));
}

// --- structs ---------------------------------------------------------------------

TEST(DynamicBuilder, StructCountIsPatchedWhenClosed) {
    event_builder b;
    b.reset("E");
    auto point = b.begin_struct("point");
    b.add_value("x", std::uint8_t{1}).add_value("y", std::uint8_t{2});
    b.end_struct(point);
    b.add_value("after", std::uint8_t{3});
    ASSERT_EQ(b.error(), 0) << b.error_message();
    EXPECT_EQ(metadata_of(b), cat({"E", "point", 0x81, 0x02, "x", 0x02, "y", 0x02, "after", 0x02}));
    EXPECT_EQ(payload_of(b), (bytes{1, 2, 3}));
}

TEST(DynamicBuilder, NestedStructsCountTheirOwnFields) {
    event_builder b;
    b.reset("E");
    auto outer = b.begin_struct("outer", 0x0201);
    b.add_value("a", std::uint8_t{1});
    auto inner = b.begin_struct("inner");
    b.add_value("b", std::uint8_t{2}).add_value("c", std::uint8_t{3}).add_value("d", std::uint8_t{4});
    b.end_struct(inner);
    b.add_string("e", "z");
    b.end_struct(outer);
    ASSERT_EQ(b.error(), 0) << b.error_message();
    // outer: a, inner, e = 3 fields (tag kept); inner: 3 fields.
    EXPECT_EQ(metadata_of(b), cat({"E", "outer", 0x81, 0x83, 0x01, 0x02, "a", 0x02, "inner", 0x81, 0x03, "b", 0x02, "c",
                                   0x02, "d", 0x02, "e", 0x0A}));
    EXPECT_EQ(payload_of(b), cat({1, 2, 3, 4, u16(1), 'z'}));
}

TEST(DynamicBuilder, EmptyStructsAreDropped) {
    event_builder b;
    b.reset("E");
    auto outer = b.begin_struct("outer");
    auto empty = b.begin_struct("empty");
    b.end_struct(empty);
    b.add_value("x", std::uint8_t{1});
    b.end_struct(outer);
    auto alone = b.begin_struct("alone");
    b.end_struct(alone);
    ASSERT_EQ(b.error(), 0) << b.error_message();
    EXPECT_EQ(metadata_of(b), cat({"E", "outer", 0x81, 0x01, "x", 0x02}));
}

TEST(DynamicBuilder, StructsHoldAtMost127Fields) {
    event_builder b;
    b.reset("E");
    auto s = b.begin_struct("s");
    for (int i = 0; i < 127; ++i) b.add_value("f", std::uint8_t{0});
    b.end_struct(s);
    ASSERT_EQ(b.error(), 0) << b.error_message();
    EXPECT_EQ(b.metadata_data()[5], 127);  // "E\0s\0" encoding, then the count

    b.reset("E");
    s = b.begin_struct("s");
    for (int i = 0; i < 128; ++i) b.add_value("f", std::uint8_t{0});
    b.end_struct(s);
    EXPECT_EQ(b.error(), ERANGE);
    EXPECT_STREQ(b.error_message(), "a struct has more than 127 fields");

    // The top level has no such limit.
    b.reset("E");
    for (int i = 0; i < 300; ++i) b.add_value("f", std::uint8_t{0});
    EXPECT_EQ(b.error(), 0);
}

// Each struct's 127 counts its own fields: an inner struct is one field of
// its parent, an empty one (dropped) none, and an inner struct over the
// limit is an error as soon as it is, before it is closed.
TEST(DynamicBuilder, StructLimitCountsEachLevelOnItsOwn) {
    event_builder b;
    b.reset("E");
    auto outer = b.begin_struct("s");
    for (int i = 0; i < 126; ++i) b.add_value("f", std::uint8_t{0});
    auto inner = b.begin_struct("t");
    for (int i = 0; i < 127; ++i) b.add_value("f", std::uint8_t{0});
    b.end_struct(inner);
    b.end_struct(outer);
    ASSERT_EQ(b.error(), 0) << b.error_message();
    EXPECT_EQ(b.metadata_data()[5], 127);                // "E\0s\0" encoding, then the count
    EXPECT_EQ(b.metadata_data()[6 + 3 * 126 + 3], 127);  // after 126 x "f\0" encoding: "t\0" encoding count

    b.reset("E");
    outer = b.begin_struct("s");
    for (int i = 0; i < 127; ++i) b.add_value("f", std::uint8_t{0});
    b.end_struct(b.begin_struct("t"));
    b.end_struct(outer);
    ASSERT_EQ(b.error(), 0) << b.error_message();
    EXPECT_EQ(b.metadata_data()[5], 127);
    EXPECT_EQ(b.metadata_size(), 6u + 3 * 127);  // the empty struct's definition is gone

    b.reset("E");
    outer = b.begin_struct("s");
    inner = b.begin_struct("t");
    for (int i = 0; i < 127; ++i) b.add_value("f", std::uint8_t{0});
    EXPECT_EQ(b.error(), 0);
    b.add_value("f", std::uint8_t{0});
    EXPECT_EQ(b.error(), ERANGE);
    EXPECT_STREQ(b.error_message(), "a struct has more than 127 fields");
    b.add_value("g", std::uint8_t{0});
    b.end_struct(inner);
    b.end_struct(outer);
    EXPECT_EQ(b.error(), ERANGE);

    b.reset("E");
    b.add_value("f", std::uint8_t{1});
    EXPECT_EQ(b.error(), 0);
    EXPECT_EQ(b.metadata_size(), 2u + 3);
}

TEST(DynamicBuilder, StructNestingIsLimited) {
    event_builder b;
    b.reset("E");
    struct_bookmark marks[event_builder::max_struct_depth];
    for (auto& mark : marks) mark = b.begin_struct("s");
    b.add_value("leaf", std::uint8_t{1});
    for (std::size_t i = event_builder::max_struct_depth; i-- > 0;) b.end_struct(marks[i]);
    ASSERT_EQ(b.error(), 0) << b.error_message();

    b.reset("E");
    for (auto& mark : marks) mark = b.begin_struct("s");
    auto too_deep = b.begin_struct("s");
    EXPECT_EQ(too_deep.value, struct_bookmark::invalid);
    EXPECT_EQ(b.error(), ERANGE);
}

TEST(DynamicBuilder, UnbalancedStructsAreErrors) {
    event_builder b;
    b.reset("E");
    b.end_struct(struct_bookmark{});
    EXPECT_EQ(b.error(), EINVAL);

    b.reset("E");
    auto outer = b.begin_struct("outer");
    auto inner = b.begin_struct("inner");
    b.add_value("x", 1);
    b.end_struct(outer);  // out of order
    EXPECT_EQ(b.error(), EINVAL);
    EXPECT_STREQ(b.error_message(), "end_struct() does not match the innermost open struct");
    (void)inner;

    // A bookmark from an earlier event does not close this event's struct.
    b.reset("E");
    auto first = b.begin_struct("first");
    b.add_value("x", 1);
    b.end_struct(first);
    b.reset("E");
    b.add_value("pad", 1);
    b.begin_struct("second");
    b.add_value("x", 1);
    b.end_struct(first);
    EXPECT_EQ(b.error(), EINVAL);
}

// With no struct open, no value closes one: not the invalid bookmark, not a
// real one from an earlier event, not values near the slot kept for "none".
TEST(DynamicBuilder, NoBookmarkClosesAStructWhenNoneIsOpen) {
    event_builder b;
    b.reset("E");
    const struct_bookmark earlier = b.begin_struct("s");
    b.add_value("x", 1);
    b.end_struct(earlier);
    ASSERT_EQ(b.error(), 0) << b.error_message();
    for (std::uint32_t value : {std::uint32_t{0}, std::uint32_t{1}, earlier.value, std::uint32_t{0xFFFF},
                                std::uint32_t{0x10000}, std::uint32_t{0x80000000}, struct_bookmark::invalid}) {
        b.reset("E");
        b.add_value("x", 1);
        b.end_struct(struct_bookmark{value});
        EXPECT_EQ(b.error(), EINVAL) << value;
    }
}

// After an error every open struct is closed: ending them changes nothing,
// the first error stays, and the next event starts clean.
TEST(DynamicBuilder, AnErrorClosesEveryOpenStruct) {
    event_builder b;
    b.reset("E");
    const struct_bookmark outer = b.begin_struct("outer");
    const struct_bookmark inner = b.begin_struct("inner");
    b.add_value("x", 1);
    b.add_value("y", 2);  // so that closing `inner` would change its count byte
    const bytes metadata = metadata_of(b);
    b.add_value("bad;name", 2);
    ASSERT_EQ(b.error(), EINVAL);
    b.end_struct(inner);
    b.end_struct(outer);
    EXPECT_EQ(b.error(), EINVAL);
    EXPECT_STREQ(b.error_message(), "a field name contains ';'");
    EXPECT_EQ(metadata_of(b), metadata);  // no count patched

    b.reset("E");
    const struct_bookmark again = b.begin_struct("outer");
    b.add_value("x", std::uint8_t{1});
    b.end_struct(again);
    EXPECT_EQ(b.error(), 0) << b.error_message();
    EXPECT_EQ(metadata_of(b), cat({"E", "outer", 0x81, 0x01, "x", 0x02}));
}

// --- errors ---------------------------------------------------------------------

TEST(DynamicBuilder, InvalidNamesAreRefused) {
    event_builder b;
    b.reset("");
    EXPECT_EQ(b.error(), EINVAL);
    EXPECT_STREQ(b.error_message(), "the event name is empty");
    b.reset("a;b");
    EXPECT_EQ(b.error(), EINVAL);
    EXPECT_STREQ(b.error_message(), "the event name contains ';'");

    b.reset("E");
    b.add_value("", 1);
    EXPECT_EQ(b.error(), EINVAL);
    EXPECT_STREQ(b.error_message(), "a field name is empty");
    b.reset("E");
    b.add_value("x;y", 1);
    EXPECT_STREQ(b.error_message(), "a field name contains ';'");
    b.reset("E");
    b.add_string(std::string_view("x\0y", 3), "v");
    EXPECT_STREQ(b.error_message(), "a field name contains a NUL character");
}

TEST(DynamicBuilder, TheFirstErrorIsKeptAndLaterCallsAreIgnored) {
    event_builder b;
    b.reset("E");
    b.add_value("ok", std::uint8_t{1});
    b.add_value("bad;", std::uint8_t{2});
    b.add_value("later", std::uint8_t{3});
    std::uint16_t big[1] = {};
    b.add_array("huge", big, 70000);  // would be ERANGE, but EINVAL came first
    EXPECT_EQ(b.error(), EINVAL);
    EXPECT_EQ(metadata_of(b), cat({"E", "ok", 0x02}));
    EXPECT_EQ(payload_of(b), bytes{1});
}

TEST(DynamicBuilder, InvalidArgumentsAreRefused) {
    event_builder b;
    const std::uint32_t value = 1;
    b.reset("E").add_scalar("v", field_encoding::zstring_char8, field_format::default_format, &value);
    EXPECT_EQ(b.error(), EINVAL);
    b.reset("E").add_scalar("v", field_encoding::value32, field_format::default_format, nullptr);
    EXPECT_EQ(b.error(), EINVAL);
    b.reset("E").add_scalar("v", field_encoding::value32, static_cast<field_format>(0x80), &value);
    EXPECT_EQ(b.error(), EINVAL);
    b.reset("E").add_const_array("v", &value, 0);
    EXPECT_EQ(b.error(), EINVAL);
    b.reset("E").add_array<std::uint32_t>("v", nullptr, 2);
    EXPECT_EQ(b.error(), EINVAL);
    b.reset("E").add_scalar_array("v", field_encoding::structure, field_format::default_format, &value, 1);
    EXPECT_EQ(b.error(), EINVAL);
}

TEST(DynamicBuilder, ArrayAndStringLimits) {
    event_builder b;
    std::vector<std::uint8_t> many(70000);
    b.reset("E").add_array("a", many.data(), 65536);
    EXPECT_EQ(b.error(), ERANGE);
    b.reset("E").add_const_array("a", many.data(), 65536);
    EXPECT_EQ(b.error(), ERANGE);
    std::vector<std::string_view> strings(65536);
    b.reset("E").add_string_array("s", strings.data(), strings.size());
    EXPECT_EQ(b.error(), ERANGE);
    std::string text(65536, 'x');
    b.reset("E").add_string("s", text);
    EXPECT_EQ(b.error(), E2BIG);
    EXPECT_STREQ(b.error_message(), "a counted string or binary field holds at most 65,535 code units");
    // A string view's count has no check of its own on the usual path: the
    // room check refuses it, however large the buffers have grown.
    b.reset("E").add_binary("b", text.data(), 60000);
    ASSERT_EQ(b.error(), 0);
    for (std::size_t units : {std::size_t{65536}, std::size_t{65537}, text.size() * 64}) {
        const std::string longer(units, 'y');
        const std::u16string longer16(units, u'y');
        const std::u32string longer32(units, U'y');
        b.reset("E").add_string("s", longer);
        EXPECT_EQ(b.error(), E2BIG) << units;
        EXPECT_STREQ(b.error_message(), "a counted string or binary field holds at most 65,535 code units");
        b.reset("E").add_string("s", longer16);
        EXPECT_EQ(b.error(), E2BIG) << units;
        b.reset("E").add_string("s", longer32);
        EXPECT_EQ(b.error(), E2BIG) << units;
        EXPECT_EQ(b.payload_size(), 0u);
    }
    b.reset("E").add_string("s", std::string_view(text).substr(0, 65535));
    EXPECT_EQ(b.error(), E2BIG);  // fits the count, not the event
    EXPECT_STREQ(b.error_message(), "the event is larger than 65,535 bytes");
    b.reset("E").add_string("s", std::string_view(text).substr(0, 65000));
    EXPECT_EQ(b.error(), 0);
    b.reset("E").add_binary("b", text.data(), text.size());
    EXPECT_EQ(b.error(), E2BIG);
    b.reset("E").add_zstring("z", text);
    EXPECT_EQ(b.error(), E2BIG);
    EXPECT_STREQ(b.error_message(), "the event is larger than 65,535 bytes");
    // The builder's buffers never grow past the event limit.
    b.reset("E");
    for (int i = 0; i < 10; ++i) b.add_binary("b", text.data(), 30000);
    EXPECT_EQ(b.error(), E2BIG);
    EXPECT_LE(b.payload_size(), ehtrace::max_event_size);
    // A string array's elements count against the limit as they are added,
    // with the metadata: here each buffer alone would fit.
    const std::string long_name(30000, 'n');
    const std::string element(1000, 's');
    std::vector<std::string_view> elements(40, element);
    b.reset(long_name).add_string_array("s", elements.data(), 30);
    EXPECT_EQ(b.error(), 0);
    b.reset(long_name).add_string_array("s", elements.data(), elements.size());
    EXPECT_EQ(b.error(), E2BIG);
    b.reset(long_name).add_zstring_array("s", elements.data(), elements.size());
    EXPECT_EQ(b.error(), E2BIG);
    EXPECT_LE(b.metadata_size() + b.payload_size(), ehtrace::max_event_size);
}

TEST(DynamicBuilder, ReusableAfterEveryError) {
    event_builder b;
    b.reset("E");
    auto s = b.begin_struct("s");
    for (int i = 0; i < 200; ++i) b.add_value("f", 1);
    (void)s;
    ASSERT_NE(b.error(), 0);
    b.reset("Next").add_value("x", std::uint8_t{9});
    EXPECT_EQ(b.error(), 0);
    EXPECT_EQ(metadata_of(b), cat({"Next", "x", 0x02}));
    EXPECT_EQ(payload_of(b), bytes{9});
}

}  // namespace

namespace {

// check_name's word-at-a-time paths (from 4 bytes; with g++ from 3) agree
// with a plain byte loop for ';' and NUL at every position of every length.
TEST(DynamicBuilder, NameChecksFindEveryBadByte) {
    for (std::size_t length = 1; length <= 40; ++length) {
        std::string name(length, 'n');
        EXPECT_EQ(ehtrace::check_name(name), ehtrace::name_error::none) << length;
        for (std::size_t at = 0; at < length; ++at) {
            for (char bad : {';', '\0'}) {
                std::string wrong = name;
                wrong[at] = bad;
                const auto expected =
                    bad == ';' ? ehtrace::name_error::contains_semicolon : ehtrace::name_error::contains_nul;
                EXPECT_EQ(ehtrace::check_name(wrong), expected) << length << " " << at;
                event_builder b;
                b.reset("E").add_value(wrong, 1);
                EXPECT_EQ(b.error(), EINVAL);
            }
        }
        // Bytes next to the bad ones (':' and '<', 0x01 and 0xFF) are fine.
        for (char near : {':', '<', '\x01', '\xff'}) {
            std::string fine = name;
            fine[length / 2] = near;
            EXPECT_EQ(ehtrace::check_name(fine), ehtrace::name_error::none) << length << " " << int(near);
        }
    }
    static_assert(ehtrace::check_name("abcdefghij;") == ehtrace::name_error::contains_semicolon);
    static_assert(ehtrace::check_name("abcdefghij") == ehtrace::name_error::none);
    static_assert(ehtrace::check_name("p;d") == ehtrace::name_error::contains_semicolon);
    static_assert(ehtrace::check_name("pid") == ehtrace::name_error::none);
}

}  // namespace

namespace {

// add_zstring() stops at the first NUL wherever it is: the 4..16-byte
// strings take a word-at-a-time path, the others memchr(); both agree, at
// any address.
TEST(DynamicBuilder, ZeroTerminatedStringsStopAtTheFirstNulAtEveryPosition) {
    std::string storage(64, '\0');
    for (std::size_t length = 0; length <= 40; ++length) {
        for (std::size_t offset = 0; offset < 8; ++offset) {
            for (std::size_t nul = 0; nul <= length; ++nul) {  // nul == length: no NUL inside
                for (std::size_t i = 0; i < length; ++i) storage[offset + i] = static_cast<char>('a' + i % 26);
                if (nul < length) storage[offset + nul] = '\0';
                const std::string_view value(storage.data() + offset, length);
                event_builder b;
                b.reset("E").add_zstring("z", value);
                ASSERT_EQ(b.error(), 0);
                bytes expected(value.begin(), value.begin() + static_cast<std::ptrdiff_t>(nul));
                expected.push_back(0);
                ASSERT_EQ(payload_of(b), expected) << length << " " << offset << " " << nul;
            }
        }
    }
}

// After an error every add_* is ignored, even one that would grow the
// buffers; reset() makes the builder whole again, growth included.
TEST(DynamicBuilder, CallsAfterAnErrorChangeNothingAndResetRecovers) {
    event_builder b;
    b.reset("E").add_value("ok", std::uint8_t{1});
    b.add_value("bad;", std::uint8_t{2});
    ASSERT_EQ(b.error(), EINVAL);
    const std::string big(60000, 'x');
    b.add_string("s", big).add_zstring("z", big).add_binary("b", big.data(), big.size());
    b.add_value("v", std::uint64_t{3}).add_uuid("u", sample16).add_string_units("w", u"hi", 2, 2, false);
    const std::string_view strings[] = {"a", "b"};
    b.add_string_array("a", strings, 2);
    EXPECT_EQ(b.error(), EINVAL);
    EXPECT_STREQ(b.error_message(), "a field name contains ';'");
    EXPECT_EQ(metadata_of(b), cat({"E", "ok", 0x02}));
    EXPECT_EQ(payload_of(b), bytes{1});

    b.reset("Big").add_binary("b", big.data(), big.size()).add_value("v", std::uint8_t{7});
    ASSERT_EQ(b.error(), 0) << b.error_message();
    EXPECT_STREQ(b.error_message(), "");
    EXPECT_EQ(metadata_of(b), cat({"Big", "b", 0x0D, "v", 0x02}));
    ASSERT_EQ(b.payload_size(), 2 + big.size() + 1);
    EXPECT_EQ(b.payload_data()[2 + big.size()], 7);
}

// Events larger than the first buffers: both grow as the fields arrive, and
// the same event built again in the warm builder gives the same bytes.
TEST(DynamicBuilder, ManyFieldsGrowBothBuffers) {
    auto build = [](event_builder& b) {
        b.reset("Wide");
        char name[] = "field_000";
        for (std::uint32_t i = 0; i < 300; ++i) {
            name[6] = static_cast<char>('0' + i / 100);
            name[7] = static_cast<char>('0' + i / 10 % 10);
            name[8] = static_cast<char>('0' + i % 10);
            b.add_value(std::string_view(name, 9), i * 3u);
        }
    };
    event_builder b;
    build(b);
    ASSERT_EQ(b.error(), 0) << b.error_message();
    ASSERT_EQ(b.metadata_size(), 5 + 300 * (10 + 1));
    ASSERT_EQ(b.payload_size(), 300 * 4u);
    for (std::uint32_t i = 0; i < 300; ++i) {
        std::uint32_t value;
        std::memcpy(&value, b.payload_data() + 4 * i, 4);
        ASSERT_EQ(value, i * 3u);
        ASSERT_EQ(b.metadata_data()[5 + 11 * i + 10], 0x04) << i;  // value32, default format
    }
    const bytes metadata = metadata_of(b);
    const bytes payload = payload_of(b);
    build(b);
    EXPECT_EQ(metadata_of(b), metadata);
    EXPECT_EQ(payload_of(b), payload);
}

}  // namespace
