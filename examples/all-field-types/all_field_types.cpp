// Every field type of the compile-time API, plus attributes and activities.
// The round-trip test decodes what this writes and checks every value.
#include <ehtrace/activity.hpp>
#include <ehtrace/chrono.hpp>
#include <ehtrace/net.hpp>
#include <ehtrace/provider.hpp>
#include <ehtrace/ranges.hpp>

#include <arpa/inet.h>
#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

EHTRACE_PROVIDER(all_types, "Ehtrace_AllFieldTypes", "Gexamples");

using ehtrace::field;

static void integers_and_floats() {
    EHTRACE_WRITE(all_types, "Integers", ehtrace::level<4>, ehtrace::keyword<0x1>, field<"i8">(std::int8_t{-8}),
                  field<"u8">(std::uint8_t{8}), field<"i16">(std::int16_t{-16}), field<"u16">(std::uint16_t{16}),
                  field<"i32">(std::int32_t{-32}), field<"u32">(std::uint32_t{32}), field<"i64">(std::int64_t{-64}),
                  field<"u64">(std::uint64_t{64}), field<"hex32">(ehtrace::hex(std::uint32_t{0xBEEF})),
                  field<"hex64">(ehtrace::hex(std::uint64_t{0x1234ABCD5678})), field<"f32">(1.5f), field<"f64">(-2.25),
                  field<"bool8">(true), field<"bool32">(ehtrace::boolean(std::int32_t{0})),
                  field<"ptr">(reinterpret_cast<const void*>(std::uintptr_t{0x1000})));
}

static void special_formats() {
    ehtrace::uuid id{{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21}};
    in_addr v4{};
    inet_pton(AF_INET, "192.168.1.20", &v4);
    in6_addr v6{};
    inet_pton(AF_INET6, "2001:db8::1", &v6);
    auto when = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    EHTRACE_WRITE(all_types, "Formats", ehtrace::level<4>, ehtrace::keyword<0x2>, field<"pid">(ehtrace::pid(4242)),
                  field<"errno">(ehtrace::errno_value(2)), field<"time32">(ehtrace::time(std::int32_t{86400})),
                  field<"time64">(when), field<"uuid">(id), field<"ipv4">(v4), field<"ipv6">(v6),
                  field<"port">(ehtrace::port(8080)), field<"char8">('A'), field<"char16">(u'\u00e9'),
                  field<"char32">(U'\U0001F600'), field<"wchar">(L'w'));
}

static void strings() {
    std::string text = "counted UTF-8 \xc3\xa9";
    std::u16string text16 = u"utf-16 \u00e9";
    std::u32string text32 = U"utf-32 \U0001F600";
    std::wstring wide = L"wide";
    const unsigned char blob[] = {0xde, 0xad, 0xbe, 0xef};
    EHTRACE_WRITE(
        all_types, "Strings", ehtrace::level<4>, ehtrace::keyword<0x4>, field<"zstr">("zero-terminated"),
        field<"zstr16">(u"z16"), field<"zstr32">(U"z32"), field<"zwide">(L"zw"), field<"str">(text),
        field<"str16">(text16), field<"str32">(text32), field<"wide">(wide),
        field<"latin1">(ehtrace::latin1("caf\xe9")), field<"json">(ehtrace::json(std::string_view(R"({"a":1})"))),
        field<"xml">(ehtrace::xml(std::string_view("<a/>"))), field<"binary">(ehtrace::binary(blob, sizeof blob)));
}

static void arrays_and_structs() {
    std::array<std::uint16_t, 3> fixed{1, 2, 3};
    std::int32_t c_array[2] = {-1, 1};
    std::vector<double> doubles{0.5, 1.5};
    std::vector<std::uint8_t> empty;
    std::uint32_t raw_value = 7;
    EHTRACE_WRITE(
        all_types, "Arrays", ehtrace::level<4>, ehtrace::keyword<0x8>, field<"fixed">(fixed), field<"c_array">(c_array),
        field<"doubles">(doubles), field<"empty">(empty), field<"list">({std::int64_t{10}, std::int64_t{-10}}),
        field<"hexes">(ehtrace::hex(fixed)),
        ehtrace::struct_<"point">(field<"x">(3), field<"y">(4), ehtrace::struct_<"meta">(field<"label">("origin"))),
        ehtrace::struct_array<"points">(
            std::vector<std::array<int, 2>>{{1, 2}, {3, 4}},
            [](const std::array<int, 2>& p) { return ehtrace::fields(field<"x">(p[0]), field<"y">(p[1])); }),
        field<"tagged", 0x42>(std::uint8_t{1}),
        ehtrace::raw_field<"raw", ehtrace::field_encoding::value32>(&raw_value, sizeof raw_value));
}

static void attributes_and_activities() {
    auto request = EHTRACE_ACTIVITY(all_types, "Request", ehtrace::level<4>, ehtrace::keyword<0x10>,
                                    field<"path">(std::string_view("/index.html")));
    {
        auto step = EHTRACE_ACTIVITY(all_types, "Step", ehtrace::level<4>, ehtrace::keyword<0x10>);
        EHTRACE_WRITE(all_types, "Progress", ehtrace::level<5>, ehtrace::keyword<0x10>, ehtrace::activity(step.id()),
                      ehtrace::id<1000, 2>, ehtrace::event_tag<0x1234>, ehtrace::opcode<ehtrace::event_opcode::info>,
                      field<"percent">(50));
    }
}

int main() {
    ehtrace::provider_registration registration(all_types);
    integers_and_floats();
    special_formats();
    strings();
    arrays_and_structs();
    attributes_and_activities();
    return 0;
}
