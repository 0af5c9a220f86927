// The same event definition written with the compile-time API
// (EHTRACE_WRITE) and with the dynamic builder gives the same tracepoint and
// the same bytes: one wire format, one encoder.
#include <ehtrace/dynamic.hpp>
#include <ehtrace/net.hpp>
#include <ehtrace/provider.hpp>
#include <ehtrace/ranges.hpp>

#include "dynamic_test_support.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <array>
#include <list>
#include <span>
#include <string>
#include <vector>

EHTRACE_PROVIDER(equivalence_provider, "Equivalence_Test", "Geq");

namespace {

using ehtrace::field;
using ehtrace::field_format;
using ehtrace::dynamic::event_builder;

class DynamicEquivalence : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(registration_.error(), 0);
        ASSERT_EQ(dynamic_.error(), 0);
        set_ = dynamic_.register_set(4, 0x21);
        ASSERT_NE(set_, nullptr);
    }

    // Writes the builder's event, then compares the last two records: the
    // compile-time one written just before, and this one.
    void expect_same(int compile_time_result, const char* what) {
        ASSERT_EQ(compile_time_result, 0) << what;
        ASSERT_EQ(builder_.error(), 0) << what << ": " << builder_.error_message();
        ASSERT_EQ(builder_.write(*set_, activity_, related_), 0) << what;
        const auto records = capture_.records();
        ASSERT_GE(records.size(), 2u);
        const auto& expected = records[records.size() - 2];
        const auto& actual = records.back();
        EXPECT_EQ(actual.tracepoint_name, expected.tracepoint_name) << what;
        EXPECT_EQ(actual.bytes, expected.bytes) << what;
        activity_ = related_ = nullptr;
    }

    dynamic_test::memory_capture capture_;  // first: the registrations below go to it
    ehtrace::provider_registration registration_{equivalence_provider};
    ehtrace::dynamic::provider dynamic_{"Equivalence_Test", "Geq"};
    ehtrace::dynamic::event_set* set_ = nullptr;
    event_builder builder_;
    const void* activity_ = nullptr;
    const void* related_ = nullptr;
};

#define CT_WRITE(name, ...) \
    EHTRACE_WRITE(equivalence_provider, name, ehtrace::level<4>, ehtrace::keyword<0x21> __VA_OPT__(, ) __VA_ARGS__)

TEST_F(DynamicEquivalence, Integers) {
    const std::uint8_t u8 = 0xF1;
    const std::uint16_t u16 = 0xF123;
    const std::uint32_t u32 = 0xF1234567;
    const std::uint64_t u64 = 0xF123456789ABCDEF;
    const std::int8_t i8 = -8;
    const std::int16_t i16 = -16;
    const std::int32_t i32 = -32;
    const std::int64_t i64 = -64;
    const int c = CT_WRITE("Integers", field<"u8">(u8), field<"u16">(u16), field<"u32">(u32), field<"u64">(u64),
                           field<"i8">(i8), field<"i16">(i16), field<"i32">(i32), field<"i64">(i64));
    builder_.reset("Integers")
        .add_value("u8", u8)
        .add_value("u16", u16)
        .add_value("u32", u32)
        .add_value("u64", u64)
        .add_value("i8", i8)
        .add_value("i16", i16)
        .add_value("i32", i32)
        .add_value("i64", i64);
    expect_same(c, "integers");
}

TEST_F(DynamicEquivalence, OtherScalars) {
    const bool flag = true;
    const float f = 1.25f;
    const double d = -2.5;
    const char ch = 'q';
    const char16_t c16 = u'\u20ac';
    const char32_t c32 = U'\U0001F600';
    const wchar_t wc = L'w';
    const void* pointer = &flag;
    enum class small : std::uint8_t { seven = 7 };
    const small e = small::seven;
    const int c =
        CT_WRITE("Scalars", field<"flag">(flag), field<"f">(f), field<"d">(d), field<"ch">(ch), field<"c16">(c16),
                 field<"c32">(c32), field<"wc">(wc), field<"ptr">(pointer), field<"enum">(e));
    builder_.reset("Scalars")
        .add_value("flag", flag)
        .add_value("f", f)
        .add_value("d", d)
        .add_value("ch", ch)
        .add_value("c16", c16)
        .add_value("c32", c32)
        .add_value("wc", wc)
        .add_value("ptr", pointer)
        .add_value("enum", e);
    expect_same(c, "other scalars");
}

TEST_F(DynamicEquivalence, Formats) {
    const std::uint32_t flags = 0xC0FFEE;
    const std::int32_t error = 2;
    const std::int32_t process = 4242;
    const std::int64_t seconds = 1700000000;
    const std::int32_t seconds32 = 86400;
    const std::uint32_t yes = 1;
    const std::uint32_t address = htonl(0x7F000001);
    in6_addr address6{};
    address6.s6_addr[15] = 1;
    const ehtrace::uuid id{{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8}};
    const std::int64_t as_unsigned = -1;
    const int c = CT_WRITE("Formats", field<"hex">(ehtrace::hex(flags)), field<"err">(ehtrace::errno_value(error)),
                           field<"pid">(ehtrace::pid(process)), field<"t64">(ehtrace::time(seconds)),
                           field<"t32">(ehtrace::time(seconds32)), field<"b32">(ehtrace::boolean(yes)),
                           field<"port">(ehtrace::port(443)), field<"ip4">(ehtrace::ipv4(address)),
                           field<"ip6">(address6), field<"id">(id), field<"u">(ehtrace::as_unsigned(as_unsigned)),
                           field<"hb">(ehtrace::hex_bytes(flags)));
    builder_.reset("Formats")
        .add_value("hex", flags, field_format::hex_int)
        .add_errno("err", error)
        .add_pid("pid", process)
        .add_time("t64", seconds)
        .add_value("t32", seconds32, field_format::time)
        .add_value("b32", yes, field_format::boolean)
        .add_port("port", htons(443))
        .add_ipv4("ip4", address)
        .add_ipv6("ip6", &address6)
        .add_uuid("id", id.bytes)
        .add_value("u", as_unsigned, field_format::unsigned_int)
        .add_value("hb", flags, field_format::hex_bytes);
    expect_same(c, "formats");
}

TEST_F(DynamicEquivalence, Strings) {
    const char* z8 = "zero";
    const char16_t* z16 = u"sixteen";
    const char32_t* z32 = U"thirty-two";
    const std::string s8 = "counted";
    const std::u16string s16 = u"counted16";
    const std::u32string_view s32 = U"counted32";
    const std::string_view js = "{\"a\":1}";
    const char* latin = "caf\xe9";
    const std::string_view x = "<x/>";
    const std::uint8_t blob[] = {0, 1, 2, 0xff};
    const int c = CT_WRITE("Strings", field<"z8">(z8), field<"z16">(z16), field<"z32">(z32), field<"s8">(s8),
                           field<"s16">(s16), field<"s32">(s32), field<"json">(ehtrace::json(js)),
                           field<"latin">(ehtrace::latin1(latin)), field<"xml">(ehtrace::xml(x)),
                           field<"blob">(ehtrace::binary(blob, sizeof blob)), field<"empty">(std::string_view()));
    builder_.reset("Strings")
        .add_zstring("z8", z8)
        .add_zstring("z16", z16)
        .add_zstring("z32", z32)
        .add_string("s8", s8)
        .add_string("s16", s16)
        .add_string("s32", s32)
        .add_string("json", js, field_format::string_json)
        .add_zstring("latin", latin, field_format::string8)
        .add_string("xml", x, field_format::string_xml)
        .add_binary("blob", blob, sizeof blob)
        .add_string("empty", std::string_view());
    expect_same(c, "strings");
}

TEST_F(DynamicEquivalence, Arrays) {
    const std::int32_t fixed[3] = {-1, 0, 1};
    const std::array<double, 2> doubles = {0.5, 1.5};
    const std::vector<std::uint16_t> variable = {1, 2, 3, 4};
    const std::vector<std::uint64_t> none;
    const std::uint32_t flags[2] = {0x10, 0x20};
    const std::span<const std::uint32_t> flag_span(flags);
    const int c =
        CT_WRITE("Arrays", field<"fixed">(fixed), field<"doubles">(doubles), field<"variable">(variable),
                 field<"none">(none), field<"hexes">(ehtrace::hex(std::span<const std::uint32_t>(flag_span))));
    builder_.reset("Arrays")
        .add_const_array("fixed", fixed, 3)
        .add_const_array("doubles", doubles.data(), 2)
        .add_array("variable", variable.data(), variable.size())
        .add_array("none", none.data(), 0)
        .add_array("hexes", flags, 2, field_format::hex_int);
    expect_same(c, "arrays");
}

// Ranges of strings are the builder's add_string_array: a variable-length
// array of counted strings, whatever the range and the string kind.
TEST_F(DynamicEquivalence, RangesOfStrings) {
    const std::vector<std::string> names = {"alpha", "", "gamma"};
    const std::string_view views[] = {"alpha", "", "gamma"};
    const std::array<const char*, 3> pointers = {"alpha", nullptr, "gamma"};  // null: an empty string
    const std::list<std::u16string> wide = {u"x", u"yz"};
    const std::u16string_view wide_views[] = {u"x", u"yz"};
    const std::vector<std::string_view> none;
    const std::vector<std::string> json_values = {"{}", "[1]"};
    const std::string_view json_views[] = {"{}", "[1]"};
    const int c =
        CT_WRITE("StringRanges", field<"names">(names), field<"views">(std::span<const std::string_view>(views)),
                 field<"pointers">(pointers), field<"wide">(wide), field<"none">(none),
                 field<"rvalue">(std::vector<std::string>{"alpha", "", "gamma"}), field<"list">({"alpha", "", "gamma"}),
                 field<"json">(ehtrace::json(json_values)));
    builder_.reset("StringRanges")
        .add_string_array("names", views, 3)
        .add_string_array("views", views, 3)
        .add_string_array("pointers", views, 3)
        .add_string_array("wide", wide_views, 2)
        .add_string_array<char>("none", nullptr, 0)
        .add_string_array("rvalue", views, 3)
        .add_string_array("list", views, 3)
        .add_string_array("json", json_views, 2, field_format::string_json);
    expect_same(c, "ranges of strings");
}

TEST_F(DynamicEquivalence, StructsAndTags) {
    const std::uint8_t a = 1;
    const std::int16_t b = -2;
    const char* text = "inner";
    const int c = CT_WRITE(
        "Structs", field<"top", 0x0101>(a),
        ehtrace::struct_<"outer", 0x0BAD>(
            field<"a">(a), ehtrace::struct_<"inner">(field<"b", 7>(b), field<"text">(text)), field<"after">(b)),
        field<"last">(a));
    builder_.reset("Structs").add_value("top", a, field_format::default_format, 0x0101);
    auto outer = builder_.begin_struct("outer", 0x0BAD);
    builder_.add_value("a", a);
    auto inner = builder_.begin_struct("inner");
    builder_.add_value("b", b, field_format::signed_int, 7).add_zstring("text", text);
    builder_.end_struct(inner);
    builder_.add_value("after", b);
    builder_.end_struct(outer);
    builder_.add_value("last", a);
    expect_same(c, "structs and tags");
}

TEST_F(DynamicEquivalence, EventAttributesAndActivities) {
    const ehtrace::uuid activity{
        {0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF, 0xB0}};
    const ehtrace::uuid parent{
        {0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF, 0xD0}};
    const std::uint32_t value = 5;
    int c = CT_WRITE("Attributes", ehtrace::id<0x1234, 3>, ehtrace::opcode<ehtrace::event_opcode::activity_start>,
                     ehtrace::event_tag<0xBEEF>, ehtrace::activity(activity), ehtrace::related_activity(parent),
                     field<"v">(value));
    builder_.reset("Attributes", 0xBEEF)
        .set_id_version(0x1234, 3)
        .set_opcode(ehtrace::event_opcode::activity_start)
        .add_value("v", value);
    activity_ = activity.bytes;
    related_ = parent.bytes;
    expect_same(c, "attributes with activity and related activity");

    c = CT_WRITE("Inside", ehtrace::activity(activity));
    builder_.reset("Inside");
    activity_ = activity.bytes;
    expect_same(c, "activity id only, no fields");

    c = CT_WRITE("NoFields");
    builder_.reset("NoFields");
    expect_same(c, "no fields");
}

TEST_F(DynamicEquivalence, ZeroTerminatedStringPointers) {
    const char* text = "pointer";
    const char* none = nullptr;
    const char16_t* none16 = nullptr;
    const char32_t* text32 = U"wide";
    int c = CT_WRITE("Pointers", field<"text">(text), field<"none">(none), field<"none16">(none16),
                     field<"text32">(text32));
    builder_.reset("Pointers").add_zstring("text", text).add_zstring("none", none).add_zstring("none16", none16);
    builder_.add_zstring("text32", text32);
    expect_same(c, "zero-terminated strings by pointer, null as empty");
    // The pointer overload and the string_view one write the same bytes.
    c = CT_WRITE("Pointers", field<"text">(text), field<"none">(none), field<"none16">(none16),
                 field<"text32">(text32));
    builder_.reset("Pointers")
        .add_zstring("text", std::string_view(text))
        .add_zstring("none", std::string_view())
        .add_zstring("none16", std::u16string_view())
        .add_zstring("text32", std::u32string_view(text32));
    expect_same(c, "zero-terminated strings by string_view");
}

// Issue 18's shapes: the compile-time writer copies scalars and counts into
// runs of one iovec; the bytes stay those of the builder (and the reference).
TEST_F(DynamicEquivalence, NestedStructsBetweenStringsAndArrays) {
    const ehtrace::uuid id{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    const std::string_view path = "/api/v1/accounts";
    std::array<std::uint32_t, 16> samples{};
    for (std::uint32_t i = 0; i < samples.size(); ++i) samples[i] = i * 37u + 5u;
    const std::int32_t status = -200;
    const double seconds = 0.0125;
    const std::uint64_t bytes = 18432;
    const std::string_view agent = "Mozilla/5.0 (X11; Linux x86_64) ehtrace1";
    const char name[6] = {'a', 'b', 'c'};
    int c = CT_WRITE(
        "Nested", field<"id">(id), field<"path">(path), field<"samples">(std::span<const std::uint32_t>(samples)),
        ehtrace::struct_<"request">(field<"status">(status),
                                    ehtrace::struct_<"timing">(field<"seconds">(seconds), field<"bytes">(bytes)),
                                    field<"agent">(agent), field<"name">(name)),
        field<"after">(status));
    builder_.reset("Nested").add_uuid("id", id.bytes).add_string("path", path);
    builder_.add_array("samples", samples.data(), samples.size());
    auto request = builder_.begin_struct("request");
    builder_.add_value("status", status);
    auto timing = builder_.begin_struct("timing");
    builder_.add_value("seconds", seconds).add_value("bytes", bytes);
    builder_.end_struct(timing);
    builder_.add_string("agent", agent).add_zstring("name", std::string_view(name, sizeof name));
    builder_.end_struct(request);
    builder_.add_value("after", status);
    expect_same(c, "nested structs between strings and arrays");
}

}  // namespace
