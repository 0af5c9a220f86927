// Golden bytes: every field type and attribute of the compile-time API,
// against byte sequences written by hand from the EventHeader spec.
#include "event_test_support.hpp"

#include <ehtrace/activity.hpp>
#include <ehtrace/chrono.hpp>
#include <ehtrace/fields.hpp>
#include <ehtrace/net.hpp>
#include <ehtrace/provider.hpp>
#include <ehtrace/ranges.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

EHTRACE_PROVIDER(golden, "Golden_Test");
EHTRACE_PROVIDER(golden_group, "Golden_Test", "Gteam1");

namespace {

using namespace ehtrace_test;
using ehtrace::field;

ehtrace::memory_sink::record single(const memory_capture& capture) {
    auto records = capture.records();
    if (records.size() != 1) {
        ADD_FAILURE() << "expected one event, got " << records.size();
        return {};
    }
    return records[0];
}

class EventBytes : public ::testing::Test {
protected:
    memory_capture capture;
    ehtrace::provider_registration registration{golden};
};

TEST_F(EventBytes, UnsignedIntegersUseTheDefaultFormat) {
    std::uint8_t a = 1;
    std::uint16_t b = 0x0203;
    std::uint32_t c = 0x04050607;
    std::uint64_t d = 0x08090a0b0c0d0e0f;
    ASSERT_EQ(EHTRACE_WRITE(golden, "U", field<"a">(a), field<"b">(b), field<"c">(c), field<"d">(d)), 0);
    auto r = single(capture);
    EXPECT_EQ(r.tracepoint_name, "Golden_Test_L5K0");
    EXPECT_EQ(r.bytes, simple_event(5, cat({"U", "a", 0x02, "b", 0x03, "c", 0x04, "d", 0x05}),
                                    cat({1, u16(0x0203), u32(0x04050607), u64(0x08090a0b0c0d0e0f)})));
}

TEST_F(EventBytes, SignedIntegersCarrySignedFormat) {
    std::int8_t a = -2;
    std::int16_t b = -3;
    int c = -4;
    long long d = -5;
    ASSERT_EQ(EHTRACE_WRITE(golden, "S", field<"a">(a), field<"b">(b), field<"c">(c), field<"d">(d)), 0);
    EXPECT_EQ(single(capture).bytes,
              simple_event(5, cat({"S", "a", 0x82, 0x02, "b", 0x83, 0x02, "c", 0x84, 0x02, "d", 0x85, 0x02}),
                           cat({0xfe, u16(0xfffd), u32(0xfffffffc), u64(0xfffffffffffffffbull)})));
}

TEST_F(EventBytes, DurationsAreSignedNanoseconds) {
    ASSERT_EQ(
        EHTRACE_WRITE(golden, "D", field<"ms">(std::chrono::milliseconds(3)),
                      field<"neg">(std::chrono::microseconds(-2)), field<"f">(std::chrono::duration<double>(1.5))),
        0);
    EXPECT_EQ(single(capture).bytes,
              simple_event(5, cat({"D", "ms", 0x85, 0x02, "neg", 0x85, 0x02, "f", 0x85, 0x02}),
                           cat({u64(3000000), u64(static_cast<std::uint64_t>(-2000)), u64(1500000000)})));
}

TEST_F(EventBytes, OptionalsAreArraysOfOneOrNoElement) {
    std::optional<std::uint32_t> some = 7, none;
    ASSERT_EQ(
        EHTRACE_WRITE(golden, "O", field<"some">(some), field<"none">(none), field<"temp">(std::optional<double>(1.5))),
        0);
    EXPECT_EQ(single(capture).bytes, simple_event(5, cat({"O", "some", 0x44, "none", 0x44, "temp", 0xC5, 0x08}),
                                                  cat({u16(1), u32(7), u16(0), u16(1), u64(0x3ff8000000000000ull)})));
}

TEST_F(EventBytes, BooleansFloatsCharactersPointersEnums) {
    enum class color : std::uint16_t { red = 0x0102 };
    bool flag = true;
    float f = 1.0f;   // 0x3f800000
    double d = -2.0;  // 0xc000000000000000
    char ch = 'A';
    char16_t c16 = u'\u00e9';
    char32_t c32 = U'\U0001F600';
    wchar_t wc = L'z';
    const void* p = reinterpret_cast<const void*>(std::uintptr_t{0x1122334455667788});
    color col = color::red;
    ASSERT_EQ(EHTRACE_WRITE(golden, "B", field<"b">(flag), field<"f">(f), field<"d">(d), field<"c">(ch),
                            field<"c16">(c16), field<"c32">(c32), field<"w">(wc), field<"p">(p), field<"e">(col)),
              0);
    EXPECT_EQ(single(capture).bytes,
              simple_event(5, cat({"B",  "b",  0x82,  0x07, "f",  0x84, 0x08, "d",  0x85, 0x08, "c",  0x82, 0x0a, "c16",
                                   0x83, 0x0b, "c32", 0x84, 0x0b, "w",  0x84, 0x0b, "p",  0x85, 0x03, "e",  0x03}),
                           cat({1, u32(0x3f800000), u64(0xc000000000000000ull), 'A', u16(0xe9), u32(0x1f600), u32('z'),
                                u64(0x1122334455667788ull), u16(0x0102)})));
}

TEST_F(EventBytes, FormatWrappers) {
    std::uint32_t flags = 0xabcd;
    std::int32_t err = 2;
    std::int32_t process = 1234;
    std::int64_t t64 = 1700000000;
    std::int32_t t32 = 86400;
    std::int32_t bool32 = 1;
    std::uint8_t latin = 0xe9;
    std::uint32_t address = htonl(0x7f000001);
    std::uint64_t big = 0x10;
    std::int64_t as_unsigned = -1;
    ASSERT_EQ(EHTRACE_WRITE(golden, "F", field<"h">(ehtrace::hex(flags)), field<"e">(ehtrace::errno_value(err)),
                            field<"pid">(ehtrace::pid(process)), field<"t">(ehtrace::time(t64)),
                            field<"t32">(ehtrace::time(t32)), field<"b32">(ehtrace::boolean(bool32)),
                            field<"l">(ehtrace::latin1(latin)), field<"port">(ehtrace::port(443)),
                            field<"ip">(ehtrace::ipv4(address)), field<"hb">(ehtrace::hex_bytes(big)),
                            field<"u">(ehtrace::as_unsigned(as_unsigned))),
              0);
    EXPECT_EQ(single(capture).bytes,
              simple_event(5, cat({"F",  "h",   0x84, 0x03, "e",   0x84, 0x04, "pid", 0x84, 0x05, "t",    0x85,
                                   0x06, "t32", 0x84, 0x06, "b32", 0x84, 0x07, "l",   0x82, 0x0a, "port", 0x83,
                                   0x10, "ip",  0x84, 0x11, "hb",  0x85, 0x09, "u",   0x85, 0x01}),
                           cat({u32(0xabcd), u32(2), u32(1234), u64(1700000000), u32(86400), u32(1), 0xe9, 0x01, 0xbb,
                                127, 0, 0, 1, u64(0x10), u64(0xffffffffffffffffull)})));
}

TEST_F(EventBytes, TimePointsAreSecondsSince1970) {
    auto when = std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000999));
    ASSERT_EQ(EHTRACE_WRITE(golden, "T", field<"when">(when)), 0);
    EXPECT_EQ(single(capture).bytes, simple_event(5, cat({"T", "when", 0x85, 0x06}), u64(1700000000)));
}

TEST_F(EventBytes, UuidAndIpAddresses) {
    ehtrace::uuid id{{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}};
    in_addr v4{};
    v4.s_addr = htonl(0xc0a80001);  // 192.168.0.1
    in6_addr v6{};
    v6.s6_addr[0] = 0x20;
    v6.s6_addr[1] = 0x01;
    v6.s6_addr[15] = 0x01;
    ASSERT_EQ(EHTRACE_WRITE(golden, "Net", field<"id">(id), field<"v4">(v4), field<"v6">(v6)), 0);
    bytes v6_bytes(16, 0);
    v6_bytes[0] = 0x20;
    v6_bytes[1] = 0x01;
    v6_bytes[15] = 0x01;
    EXPECT_EQ(single(capture).bytes,
              simple_event(5, cat({"Net", "id", 0x86, 0x0f, "v4", 0x84, 0x11, "v6", 0x86, 0x11}),
                           cat({0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23,    0x45,
                                0x67, 0x89, 0xab, 0xcd, 0xef, 192,  168,  0,    1,    v6_bytes})));
}

TEST_F(EventBytes, ZeroTerminatedStringsOfEveryCodeUnitSize) {
    const char* s8 = "hi";
    const char8_t* u8 = u8"ok";
    const char16_t* s16 = u"h";
    const char32_t* s32 = U"h";
    const wchar_t* ws = L"w";
    const char* null_text = nullptr;
    char buffer[8] = "abc";
    ASSERT_EQ(EHTRACE_WRITE(golden, "Z", field<"s8">(s8), field<"u8">(u8), field<"s16">(s16), field<"s32">(s32),
                            field<"ws">(ws), field<"null">(null_text), field<"buf">(buffer)),
              0);
    EXPECT_EQ(
        single(capture).bytes,
        simple_event(
            5, cat({"Z", "s8", 0x07, "u8", 0x07, "s16", 0x08, "s32", 0x09, "ws", 0x09, "null", 0x07, "buf", 0x07}),
            cat({"hi", "ok", u16('h'), u16(0), u32('h'), u32(0), u32('w'), u32(0), 0, "abc"})));
}

TEST_F(EventBytes, CountedStringsBinaryJsonXml) {
    std::string s = "abc";
    std::u16string_view s16 = u"xy";
    std::u32string s32 = U"z";
    std::wstring_view ws = L"w";
    std::uint8_t blob[] = {0xde, 0xad};
    ASSERT_EQ(EHTRACE_WRITE(golden, "C", field<"s">(s), field<"s16">(s16), field<"s32">(s32), field<"ws">(ws),
                            field<"j">(ehtrace::json(std::string_view("{}"))),
                            field<"x">(ehtrace::xml(std::string_view("<a/>"))),
                            field<"bin">(ehtrace::binary(blob, sizeof blob)), field<"l1">(ehtrace::latin1("caf\xe9"))),
              0);
    EXPECT_EQ(single(capture).bytes,
              simple_event(5, cat({"C",  "s",  0x0a, "s16", 0x0b, "s32", 0x0c, "ws", 0x0c, "j",
                                   0x8a, 0x0e, "x",  0x8a,  0x0d, "bin", 0x0d, "l1", 0x87, 0x0a}),
                           cat({u16(3), chars("abc"), u16(2), u16('x'), u16('y'), u16(1), u32('z'), u16(1), u32('w'),
                                u16(2), chars("{}"), u16(4), chars("<a/>"), u16(2), 0xde, 0xad, chars("caf\xe9"), 0})));
}

TEST_F(EventBytes, ConstantLengthArrays) {
    std::array<std::uint16_t, 3> a{1, 2, 3};
    std::int32_t c[2] = {-1, 5};
    std::span<const std::uint8_t, 2> s(reinterpret_cast<const std::uint8_t*>("\x07\x08"), 2);
    ASSERT_EQ(EHTRACE_WRITE(golden, "A", field<"a">(a), field<"c">(c), field<"s">(s), field<"h">(ehtrace::hex(a))), 0);
    EXPECT_EQ(single(capture).bytes,
              simple_event(
                  5, cat({"A", "a", 0x23, u16(3), "c", 0xa4, 0x02, u16(2), "s", 0x22, u16(2), "h", 0xa3, 0x03, u16(3)}),
                  cat({u16(1), u16(2), u16(3), u32(0xffffffff), u32(5), 7, 8, u16(1), u16(2), u16(3)})));
}

TEST_F(EventBytes, VariableLengthArrays) {
    std::vector<std::int32_t> v{7, -7};
    std::vector<double> empty;
    std::span<const std::uint8_t> bytes_span(reinterpret_cast<const std::uint8_t*>("\x01\x02\x03"), 3);
    ASSERT_EQ(EHTRACE_WRITE(golden, "V", field<"v">(v), field<"empty">(empty), field<"s">(bytes_span),
                            field<"il">({std::uint64_t{9}})),
              0);
    EXPECT_EQ(single(capture).bytes,
              simple_event(5, cat({"V", "v", 0xc4, 0x02, "empty", 0xc5, 0x08, "s", 0x42, "il", 0x45}),
                           cat({u16(2), u32(7), u32(0xfffffff9), u16(0), u16(3), 1, 2, 3, u16(1), u64(9)})));
}

TEST_F(EventBytes, FieldTags) {
    std::uint32_t plain = 1;
    std::int32_t formatted = 2;
    ASSERT_EQ(EHTRACE_WRITE(golden, "Tags", field<"p", 0x1234>(plain), field<"f", 0xbeef>(formatted),
                            field<"arr", 0x0001>(std::array<std::uint8_t, 1>{9})),
              0);
    EXPECT_EQ(single(capture).bytes, simple_event(5,
                                                  cat({"Tags", "p", 0x84, 0x80, u16(0x1234), "f", 0x84, 0x82,
                                                       u16(0xbeef), "arr", 0xa2, 0x80, u16(1), u16(1)}),
                                                  cat({u32(1), u32(2), 9})));
}

TEST_F(EventBytes, NestedStructs) {
    std::uint8_t x = 1, y = 2, z = 3;
    ASSERT_EQ(EHTRACE_WRITE(golden, "St",
                            ehtrace::struct_<"outer">(field<"x">(x),
                                                      ehtrace::struct_<"inner", 0x0102>(field<"y">(y), field<"z">(z))),
                            field<"after">(x)),
              0);
    EXPECT_EQ(single(capture).bytes, simple_event(5,
                                                  cat({"St", "outer", 0x81, 0x02, "x", 0x02, "inner", 0x81, 0x82,
                                                       u16(0x0102), "y", 0x02, "z", 0x02, "after", 0x02}),
                                                  cat({1, 2, 3, 1})));
}

TEST_F(EventBytes, ArraysOfStructs) {
    struct point {
        std::uint8_t x;
        std::uint16_t y;
    };
    std::vector<point> points{{1, 0x0203}, {4, 0x0506}};
    std::vector<point> none;
    auto project = [](const point& p) { return ehtrace::fields(field<"x">(p.x), field<"y">(p.y)); };
    ASSERT_EQ(EHTRACE_WRITE(golden, "SA", ehtrace::struct_array<"pts">(points, project),
                            ehtrace::struct_array<"none", 0x0007>(none, project)),
              0);
    EXPECT_EQ(single(capture).bytes, simple_event(5,
                                                  cat({"SA", "pts", 0xc1, 0x02, "x", 0x02, "y", 0x03, "none", 0xc1,
                                                       0x82, u16(7), "x", 0x02, "y", 0x03}),
                                                  cat({u16(2), 1, u16(0x0203), 4, u16(0x0506), u16(0)})));
}

TEST_F(EventBytes, RawFieldsAndPieces) {
    std::uint32_t value = 0xfeed;
    std::uint8_t member[2] = {5, 6};
    ASSERT_EQ(
        EHTRACE_WRITE(
            golden, "Raw",
            ehtrace::raw_field<"r", ehtrace::field_encoding::value32, ehtrace::field_format::hex_int>(&value,
                                                                                                      sizeof value),
            ehtrace::raw_metadata<"s", ehtrace::field_encoding::structure, static_cast<ehtrace::field_format>(2)>(),
            ehtrace::raw_metadata<"m1", ehtrace::field_encoding::value8>(),
            ehtrace::raw_metadata<"m2", ehtrace::field_encoding::value8>(), ehtrace::raw_data(member, sizeof member)),
        0);
    EXPECT_EQ(single(capture).bytes,
              simple_event(5, cat({"Raw", "r", 0x84, 0x03, "s", 0x81, 0x02, "m1", 0x02, "m2", 0x02}),
                           cat({u32(0xfeed), 5, 6})));
}

TEST_F(EventBytes, HeaderAttributesAndKeywords) {
    ASSERT_EQ(EHTRACE_WRITE(golden, "Attr", ehtrace::level<ehtrace::event_level::warning>, ehtrace::keyword<0x10>,
                            ehtrace::keyword<0x2>, ehtrace::id<0x1234, 2>, ehtrace::event_tag<0xbeef>,
                            ehtrace::opcode<ehtrace::event_opcode::send>),
              0);
    auto r = single(capture);
    EXPECT_EQ(r.tracepoint_name, "Golden_Test_L3K12");
    EXPECT_EQ(r.bytes, event(2, 0x1234, 0xbeef, 9, 3, cat({"Attr"}), {}));
}

TEST_F(EventBytes, ActivityAndRelatedActivityBlocksComeBeforeMetadata) {
    ehtrace::uuid id{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    ehtrace::uuid parent{
        {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf}};
    std::uint8_t v = 7;
    // related_activity given first: the block still holds the activity id first.
    ASSERT_EQ(EHTRACE_WRITE(golden, "Act", ehtrace::related_activity(parent), ehtrace::activity(id),
                            ehtrace::opcode<ehtrace::event_opcode::activity_start>, field<"v">(v)),
              0);
    bytes expected = cat({0x07, 0, u16(0), u16(0), 1, 5, u16(32), u16(0x8002)});
    for (int i = 1; i <= 16; ++i) expected.push_back(static_cast<std::uint8_t>(i));
    for (int i = 0; i < 16; ++i) expected.push_back(static_cast<std::uint8_t>(0xa0 + i));
    bytes rest = cat({u16(7), u16(0x0001), "Act", "v", 0x02, 7});
    expected.insert(expected.end(), rest.begin(), rest.end());
    EXPECT_EQ(single(capture).bytes, expected);
}

TEST(ProviderOptions, GroupGoesIntoTheTracepointName) {
    memory_capture capture;
    ehtrace::provider_registration registration{golden_group};
    ASSERT_EQ(EHTRACE_WRITE(golden_group, "G", ehtrace::keyword<0xabc>), 0);
    EXPECT_EQ(single(capture).tracepoint_name, "Golden_Test_L5KabcGteam1");
    EXPECT_EQ(capture.sink().registered_commands(),
              std::vector<std::string>{"Golden_Test_L5KabcGteam1 u8 eventheader_flags; u8 version; u16 id; u16 tag; "
                                       "u8 opcode; u8 level"});
}

// The metadata is a constant computed by the compiler.
using compile_time_event = ehtrace::detail::event_definition<
    std::remove_cvref_t<decltype(golden)>, "Ct",
    ehtrace::detail::type_list<ehtrace::detail::level_attribute<4>,
                               decltype(field<"n">(std::declval<const std::uint16_t&>()))>>;
constexpr std::array<std::uint8_t, 8 + 4 + 3 + 3> expected_constant{0x07, 0, 0, 0,   0,   0, 0,   4, 6,
                                                                    0,    1, 0, 'C', 't', 0, 'n', 0, 0x03};
static_assert(compile_time_event::constant_bytes == expected_constant);
static_assert(compile_time_event::tracepoint::name == "Golden_Test_L4K0");

TEST(CompileTime, MetadataIsAConstantExpression) {
    // The static_asserts above are the test; this keeps it visible in ctest.
    EXPECT_EQ(compile_time_event::constant_bytes, expected_constant);
}

}  // namespace
