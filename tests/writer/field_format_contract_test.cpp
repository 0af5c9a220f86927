// The dynamic builder and the C ABI accept exactly the formats the wire
// contract allows for each encoding (wire/eventheader.hpp's format_applies, the rule
// the compile-time API also checks): every format 0..127 by every encoding.
// A refused field is an EINVAL error with nothing written.
#include <ehtrace/ehtrace.h>
#include <ehtrace/dynamic.hpp>
#include <ehtrace/fields.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>

namespace {

using ehtrace::field_encoding;
using ehtrace::field_format;
using ehtrace::dynamic::event_builder;

constexpr field_encoding fixed_encodings[] = {field_encoding::value8, field_encoding::value16, field_encoding::value32,
                                              field_encoding::value64, field_encoding::value128};

// Both APIs take a type's default format from wire/eventheader.hpp; each one must be
// a format the contract allows for the type's encoding.
template <class T>
constexpr bool default_format_fits() {
    constexpr auto kind = ehtrace::detail::scalar_kind_of<T>();
    return kind.format == static_cast<std::uint8_t>(ehtrace::default_format_of<T>()) &&
           kind.encoding == static_cast<std::uint8_t>(ehtrace::value_encoding_for_size(sizeof(T))) &&
           ehtrace::format_applies(ehtrace::default_format_of<T>(), ehtrace::value_encoding_for_size(sizeof(T)));
}
enum class small_enum : std::int8_t {};
static_assert(default_format_fits<bool>() && default_format_fits<char>() && default_format_fits<char8_t>() &&
              default_format_fits<char16_t>() && default_format_fits<char32_t>() && default_format_fits<wchar_t>());
static_assert(default_format_fits<std::int8_t>() && default_format_fits<std::uint16_t>() &&
              default_format_fits<std::int32_t>() && default_format_fits<std::uint64_t>());
static_assert(default_format_fits<float>() && default_format_fits<double>() && default_format_fits<const void*>() &&
              default_format_fits<small_enum>());
static_assert(ehtrace::default_format_of<small_enum>() == field_format::signed_int);

TEST(FormatContract, TableSpotChecks) {
    using ehtrace::format_applies;
    EXPECT_FALSE(format_applies(field_format::ip_address, field_encoding::value64));  // a double as an IP
    EXPECT_FALSE(format_applies(field_format::port, field_encoding::value8));
    EXPECT_TRUE(format_applies(field_format::port, field_encoding::value16));
    EXPECT_TRUE(format_applies(field_format::floating, field_encoding::value64));
    EXPECT_FALSE(format_applies(field_format::boolean, field_encoding::value64));
    EXPECT_FALSE(format_applies(field_format::ip_address_obsolete, field_encoding::value32));  // never produced
    EXPECT_FALSE(format_applies(static_cast<field_format>(19), field_encoding::value32));      // unknown
    EXPECT_TRUE(format_applies(field_format::errno_value, field_encoding::binary_length16_char8));
    EXPECT_TRUE(format_applies(static_cast<field_format>(100), field_encoding::string_length16_char8));
    EXPECT_FALSE(format_applies(field_format::uuid, field_encoding::string_length16_char16));
}

// What a reader accepts is what a writer may write, plus the obsolete IP
// format wherever the IP format fits.
TEST(FormatContract, DecodingAddsOnlyTheObsoleteIpFormat) {
    for (unsigned e = 0; e < static_cast<unsigned>(field_encoding::max); ++e) {
        const auto encoding = static_cast<field_encoding>(e);
        for (unsigned f = 0; f <= 127; ++f) {
            const auto format = static_cast<field_format>(f);
            const bool expected = format == field_format::ip_address_obsolete
                                      ? ehtrace::format_applies(field_format::ip_address, encoding)
                                      : ehtrace::format_applies(format, encoding);
            EXPECT_EQ(ehtrace::format_applies_when_decoding(format, encoding), expected) << e << " " << f;
        }
    }
    EXPECT_TRUE(ehtrace::format_applies_when_decoding(field_format::ip_address_obsolete, field_encoding::value32));
    EXPECT_TRUE(ehtrace::format_applies_when_decoding(field_format::ip_address_obsolete, field_encoding::value128));
    EXPECT_FALSE(ehtrace::format_applies_when_decoding(field_format::ip_address_obsolete, field_encoding::value64));
}

TEST(FormatContract, DynamicBuilderScalars) {
    const std::uint8_t value[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    event_builder builder;
    for (const auto encoding : fixed_encodings) {
        for (unsigned f = 0; f <= 127; ++f) {
            const auto format = static_cast<field_format>(f);
            builder.reset("E");
            builder.add_scalar("v", encoding, format, value);
            const bool allowed = ehtrace::format_applies(format, encoding);
            EXPECT_EQ(builder.error(), allowed ? 0 : EINVAL)
                << "encoding " << static_cast<int>(encoding) << " format " << f;
            if (!allowed) {
                EXPECT_NE(std::string(builder.error_message()).find("format"), std::string::npos);
            }
        }
    }
}

TEST(FormatContract, DynamicBuilderStrings) {
    event_builder builder;
    for (unsigned f = 0; f <= 127; ++f) {
        const auto format = static_cast<field_format>(f);
        struct {
            field_encoding encoding;
            void (*add)(event_builder&, field_format);
        } const cases[] = {
            {field_encoding::zstring_char8,
             [](event_builder& b, field_format x) { b.add_zstring("s", std::string_view("ab"), x); }},
            {field_encoding::zstring_char16,
             [](event_builder& b, field_format x) { b.add_zstring("s", std::u16string_view(u"ab"), x); }},
            {field_encoding::zstring_char32,
             [](event_builder& b, field_format x) { b.add_zstring("s", std::u32string_view(U"ab"), x); }},
            {field_encoding::string_length16_char8,
             [](event_builder& b, field_format x) { b.add_string("s", std::string_view("ab"), x); }},
            {field_encoding::string_length16_char16,
             [](event_builder& b, field_format x) { b.add_string("s", std::u16string_view(u"ab"), x); }},
            {field_encoding::string_length16_char32,
             [](event_builder& b, field_format x) { b.add_string("s", std::u32string_view(U"ab"), x); }},
        };
        for (const auto& c : cases) {
            builder.reset("E");
            c.add(builder, format);
            const bool allowed = ehtrace::format_applies(format, c.encoding);
            EXPECT_EQ(builder.error(), allowed ? 0 : EINVAL)
                << "encoding " << static_cast<int>(c.encoding) << " format " << f;
        }
        // Length-prefixed 8-bit encodings take any format.
        builder.reset("E");
        builder.add_string("s", std::string_view("ab"), format);
        EXPECT_EQ(builder.error(), 0) << f;
    }
}

TEST(FormatContract, CAbiRefusesWhatTheContractDoesNotAllow) {
    ehtrace_builder* builder = nullptr;
    ASSERT_EQ(ehtrace_builder_create(&builder), 0);
    const std::uint8_t value[16] = {};
    for (const auto encoding : fixed_encodings) {
        for (unsigned f = 0; f <= 127; ++f) {
            ASSERT_EQ(ehtrace_builder_reset(builder, "E", 0), 0);
            const int result = ehtrace_builder_add_value(builder, "v", static_cast<std::uint8_t>(encoding),
                                                         static_cast<std::uint8_t>(f), value, 0);
            const bool allowed = ehtrace::format_applies(static_cast<field_format>(f), encoding);
            EXPECT_EQ(result, allowed ? 0 : EINVAL) << "encoding " << static_cast<int>(encoding) << " format " << f;
        }
    }
    for (unsigned f = 0; f <= 127; ++f) {
        ASSERT_EQ(ehtrace_builder_reset(builder, "E", 0), 0);
        const int result = ehtrace_builder_add_zstring16(builder, "s", reinterpret_cast<const std::uint16_t*>(u"ab"),
                                                         EHTRACE_NUL_TERMINATED, static_cast<std::uint8_t>(f), 0);
        EXPECT_EQ(result,
                  ehtrace::format_applies(static_cast<field_format>(f), field_encoding::zstring_char16) ? 0 : EINVAL)
            << f;
        ASSERT_EQ(ehtrace_builder_reset(builder, "E", 0), 0);
        EXPECT_EQ(ehtrace_builder_add_string(builder, "s", "ab", 2, static_cast<std::uint8_t>(f), 0), 0) << f;
    }
    ehtrace_builder_destroy(builder);
}

}  // namespace
