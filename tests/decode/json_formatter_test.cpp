#include <ehtrace/decode/json_formatter.hpp>

#include "test_bytes.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace ehtrace::decode;
using ehtrace::field_encoding;
using ehtrace::field_format;
using ehtrace::test::bytes;

namespace {

std::string value(const bytes& b, field_encoding e, field_format f, bool swap = false) {
    std::string out;
    append_value_json(out, value_bytes{b.span(), e, f, swap});
    return out;
}

}  // namespace

TEST(JsonFormatter, Integers) {
    EXPECT_EQ(value(bytes().u8(0xFF), field_encoding::value8, field_format::default_format), "255");
    EXPECT_EQ(value(bytes().u8(0xFF), field_encoding::value8, field_format::signed_int), "-1");
    EXPECT_EQ(value(bytes().u8(0xAB), field_encoding::value8, field_format::hex_int), "\"0xAB\"");
    EXPECT_EQ(value(bytes().u64(0xFFFFFFFFFFFFFFFFull), field_encoding::value64, field_format::unsigned_int),
              "18446744073709551615");
    EXPECT_EQ(value(bytes().u64(0x8000000000000000ull), field_encoding::value64, field_format::signed_int),
              "-9223372036854775808");
    EXPECT_EQ(value(bytes().u32(0xDEADBEEF), field_encoding::value32, field_format::hex_int), "\"0xDEADBEEF\"");
    EXPECT_EQ(value(bytes().u32(0xFFFFFFFF), field_encoding::value32, field_format::pid), "-1");
    // Unknown format for the size: the encoding's default.
    EXPECT_EQ(value(bytes().u8(7), field_encoding::value8, field_format::uuid), "7");
    // Byte swap.
    EXPECT_EQ(value(bytes(true).u32(0x01020304), field_encoding::value32, field_format::hex_int, true),
              "\"0x1020304\"");
}

TEST(JsonFormatter, BooleanErrnoTime) {
    EXPECT_EQ(value(bytes().u8(0), field_encoding::value8, field_format::boolean), "false");
    EXPECT_EQ(value(bytes().u32(1), field_encoding::value32, field_format::boolean), "true");
    EXPECT_EQ(value(bytes().u32(2), field_encoding::value32, field_format::boolean), "2");
    EXPECT_EQ(value(bytes().u32(0xFFFFFFFF), field_encoding::value32, field_format::boolean), "-1");
    EXPECT_EQ(value(bytes().u32(2), field_encoding::value32, field_format::errno_value), "\"ENOENT(2)\"");
    EXPECT_EQ(value(bytes().u32(131), field_encoding::value32, field_format::errno_value), "\"ENOTRECOVERABLE(131)\"");
    EXPECT_EQ(value(bytes().u32(4000), field_encoding::value32, field_format::errno_value), "\"ERRNO(4000)\"");
    EXPECT_EQ(value(bytes().u64(1700000000), field_encoding::value64, field_format::time), "\"2023-11-14T22:13:20\"");
    EXPECT_EQ(value(bytes().u32(0xFFFFFFFF), field_encoding::value32, field_format::time), "\"1969-12-31T23:59:59\"");
    EXPECT_EQ(value(bytes().u64(0x7FFFFFFFFFFFFFFFull), field_encoding::value64, field_format::time),
              "\"TIME(9223372036854775807)\"");
}

TEST(JsonFormatter, Floats) {
    EXPECT_EQ(value(bytes().u32(0x3FC00000), field_encoding::value32, field_format::floating), "1.5");
    EXPECT_EQ(value(bytes().u64(0x3FB999999999999Aull), field_encoding::value64, field_format::floating),
              "0.1");  // shortest round-trip form
    EXPECT_EQ(value(bytes().u64(0x3EC92A737110E454ull), field_encoding::value64, field_format::floating), "3e-06");
    EXPECT_EQ(value(bytes().u64(0x8000000000000000ull), field_encoding::value64, field_format::floating), "-0");
    EXPECT_EQ(value(bytes().u64(0x7FEFFFFFFFFFFFFFull), field_encoding::value64, field_format::floating),
              "1.7976931348623157e+308");
    EXPECT_EQ(value(bytes().u64(0x7FF8000000000000ull), field_encoding::value64, field_format::floating), "\"nan\"");
    EXPECT_EQ(value(bytes().u32(0x7FC00000), field_encoding::value32, field_format::floating), "\"nan\"");
    EXPECT_EQ(value(bytes().u64(0x7FF0000000000000ull), field_encoding::value64, field_format::floating), "\"inf\"");
    EXPECT_EQ(value(bytes().u64(0xFFF0000000000000ull), field_encoding::value64, field_format::floating), "\"-inf\"");
}

TEST(JsonFormatter, NetworkAndUuid) {
    EXPECT_EQ(value(bytes().raw({192, 168, 1, 20}), field_encoding::value32, field_format::ip_address),
              "\"192.168.1.20\"");
    EXPECT_EQ(value(bytes().raw({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), field_encoding::value128,
                    field_format::ip_address),
              "\"2001:db8::1\"");
    EXPECT_EQ(value(bytes().raw({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), field_encoding::value128,
                    field_format::ip_address_obsolete),
              "\"::\"");
    EXPECT_EQ(value(bytes().raw({0x1F, 0x90}), field_encoding::value16, field_format::port), "8080");
    EXPECT_EQ(value(bytes().raw({0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
                                 0xcd, 0xef}),
                    field_encoding::value128, field_format::uuid),
              "\"12345678-9abc-def0-0123-456789abcdef\"");
    EXPECT_EQ(value(bytes().raw({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 255}), field_encoding::value128,
                    field_format::default_format),
              "\"00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e ff\"");
}

TEST(JsonFormatter, Strings) {
    EXPECT_EQ(value(bytes().str("a\"b\\c\n\x01"), field_encoding::zstring_char8, field_format::default_format),
              "\"a\\\"b\\\\c\\n\\u0001\"");
    EXPECT_EQ(value(bytes().raw({0x41, 0xE9}), field_encoding::zstring_char8, field_format::string8), "\"A\xC3\xA9\"");
    // Invalid UTF-8: each byte outside a valid sequence is taken as Latin-1
    // (nothing is lost); a valid sequence survives.
    EXPECT_EQ(
        value(bytes().raw({0x41, 0xFF, 0xC3, 0xA9, 0xC3}), field_encoding::zstring_char8, field_format::string_utf),
        "\"A\xC3\xBF\xC3\xA9\xC3\x83\"");
    // UTF-16 with a surrogate pair (U+1F600) and a lone surrogate.
    EXPECT_EQ(value(bytes().u16('h').u16(0xD83D).u16(0xDE00).u16(0xDC00), field_encoding::string_length16_char16,
                    field_format::default_format),
              "\"h\xF0\x9F\x98\x80\xEF\xBF\xBD\"");
    EXPECT_EQ(value(bytes(true).u16('h').u16('i'), field_encoding::zstring_char16, field_format::string_utf, true),
              "\"hi\"");
    EXPECT_EQ(
        value(bytes().u32('o').u32(0x110000).u32(0x20AC), field_encoding::zstring_char32, field_format::default_format),
        "\"o\xEF\xBF\xBD\xE2\x82\xAC\"");
    EXPECT_EQ(value(bytes().raw({0xDE, 0xAD, 0xBE, 0xEF}), field_encoding::binary_length16_char8,
                    field_format::default_format),
              "\"de ad be ef\"");
    EXPECT_EQ(value(bytes(), field_encoding::binary_length16_char8, field_format::default_format), "\"\"");
    EXPECT_EQ(value(bytes().str("{\"k\":1}"), field_encoding::string_length16_char8, field_format::string_json),
              "\"{\\\"k\\\":1}\"");
}

TEST(JsonFormatter, ByteOrderMarks) {
    // UTF-8 BOM on a char8 string.
    EXPECT_EQ(value(bytes().raw({0xEF, 0xBB, 0xBF, 'x'}), field_encoding::zstring_char8, field_format::string_utf_bom),
              "\"x\"");
    // UTF-16 big-endian BOM inside a char8 string.
    EXPECT_EQ(
        value(bytes().raw({0xFE, 0xFF, 0, 'y'}), field_encoding::string_length16_char8, field_format::string_utf_bom),
        "\"y\"");
    // UTF-16 little-endian BOM.
    EXPECT_EQ(
        value(bytes().raw({0xFF, 0xFE, 'z', 0}), field_encoding::string_length16_char16, field_format::string_xml),
        "\"z\"");
    // No BOM: the string's own encoding.
    EXPECT_EQ(value(bytes().str("plain"), field_encoding::zstring_char8, field_format::string_utf_bom), "\"plain\"");
}

TEST(JsonFormatter, Length16SpecialRules) {
    EXPECT_EQ(value(bytes(), field_encoding::string_length16_char8, field_format::unsigned_int), "null");
    EXPECT_EQ(value(bytes(), field_encoding::binary_length16_char8, field_format::uuid), "null");
    EXPECT_EQ(value(bytes().u32(0x01020304), field_encoding::binary_length16_char8, field_format::hex_int),
              "\"0x1020304\"");
    EXPECT_EQ(value(bytes().raw({10, 0, 0, 1}), field_encoding::binary_length16_char8, field_format::ip_address),
              "\"10.0.0.1\"");
    EXPECT_EQ(value(bytes().u16(0xFFFF), field_encoding::string_length16_char8, field_format::signed_int), "-1");
    // A size the format has no fixed form for: the encoding's default.
    EXPECT_EQ(value(bytes().raw({1, 2, 3}), field_encoding::binary_length16_char8, field_format::unsigned_int),
              "\"01 02 03\"");
    EXPECT_EQ(value(bytes().str("abc"), field_encoding::string_length16_char8, field_format::unsigned_int), "\"abc\"");
    // The sizes a format has are the wire contract's (format_applies_when_decoding):
    // the obsolete IP format as 4 or 16 bytes, a port only as 2, a boolean not as 8.
    EXPECT_EQ(
        value(bytes().raw({10, 0, 0, 2}), field_encoding::binary_length16_char8, field_format::ip_address_obsolete),
        "\"10.0.0.2\"");
    EXPECT_EQ(value(bytes().raw({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
                    field_encoding::binary_length16_char8, field_format::ip_address_obsolete),
              "\"::1\"");
    EXPECT_EQ(value(bytes().raw({1, 2, 3, 4, 5, 6, 7, 8}), field_encoding::binary_length16_char8,
                    field_format::ip_address_obsolete),
              "\"01 02 03 04 05 06 07 08\"");
    EXPECT_EQ(value(bytes().raw({0x1F, 0x90}), field_encoding::binary_length16_char8, field_format::port), "8080");
    EXPECT_EQ(value(bytes().raw({0, 0, 0x1F, 0x90}), field_encoding::binary_length16_char8, field_format::port),
              "\"00 00 1f 90\"");
    EXPECT_EQ(value(bytes().u64(1), field_encoding::binary_length16_char8, field_format::boolean),
              "\"01 00 00 00 00 00 00 00\"");
    EXPECT_EQ(value(bytes().u32(1), field_encoding::binary_length16_char8, field_format::boolean), "true");
}

// The --meta option's words: lists, "+" for the standard keys and more, the
// named sets; anything else is refused.
TEST(JsonFormatter, ParseMetaKeys) {
    namespace keys = ehtrace::decode::meta_keys;
    std::uint32_t k = 0;
    ASSERT_TRUE(parse_meta_keys("standard", k));
    EXPECT_EQ(k, keys::standard);
    ASSERT_TRUE(parse_meta_keys("+comm", k));
    EXPECT_EQ(k, keys::standard | keys::comm);
    ASSERT_TRUE(parse_meta_keys("+provider,event", k));
    EXPECT_EQ(k, keys::standard | keys::provider | keys::event);
    ASSERT_TRUE(parse_meta_keys("time,cpu,relatedActivity", k));
    EXPECT_EQ(k, keys::time | keys::cpu | keys::related_activity);
    ASSERT_TRUE(parse_meta_keys("none", k));
    EXPECT_EQ(k, 0u);
    ASSERT_TRUE(parse_meta_keys("all", k));
    EXPECT_EQ(k, keys::all);
    EXPECT_FALSE(parse_meta_keys("bogus", k));
    EXPECT_FALSE(parse_meta_keys("time,bogus", k));
    EXPECT_FALSE(parse_meta_keys("time,,cpu", k));
    EXPECT_FALSE(parse_meta_keys("Time", k));
}

TEST(JsonFormatter, SampleMeta) {
    sample_meta meta;
    meta.has_time = true;
    meta.time_is_utc = true;
    meta.time_ns = 1700000000123456789ull;
    meta.has_cpu = true;
    meta.cpu = 3;
    meta.has_tid = true;
    meta.pid = 10;
    meta.tid = 11;
    std::string out;
    sample_decoder decoder;
    append_json(out, decoder.decode_record(nullptr, "perf:cycles", {}, meta));
    EXPECT_EQ(out, R"({"n":"perf:cycles","meta":{"time":"2023-11-14T22:13:20.123456789Z","cpu":3,"pid":10,"tid":11}})");
    out.clear();
    meta.time_is_utc = false;
    meta.time_ns = 213042836001;
    meta.has_cpu = meta.has_tid = false;
    append_json(out, decoder.decode_record(nullptr, "perf:cycles", {}, meta));
    EXPECT_EQ(out, R"({"n":"perf:cycles","meta":{"time":213.042836001}})");
}

// The fraction of a second: nine digits whatever the value (leading and
// trailing zeros kept), at every digit position.
TEST(JsonFormatter, TimeFractions) {
    std::vector<std::uint32_t> values = {0, 1, 9, 10, 99, 100, 999999999, 100000000, 99999999, 123456789, 900000001};
    for (std::uint32_t v = 7; v < 1000000000; v = v * 3 + 1) values.push_back(v);
    sample_decoder decoder;
    for (std::uint32_t ns : values) {
        sample_meta meta;
        meta.has_time = true;
        meta.time_ns = 5000000000ull + ns;
        char fraction[16];
        std::snprintf(fraction, sizeof fraction, "%09u", ns);
        std::string out;
        append_json(out, decoder.decode_record(nullptr, "perf:cycles", {}, meta));
        EXPECT_EQ(out, std::string(R"({"n":"perf:cycles","meta":{"time":5.)") + fraction + "}}") << ns;
        meta.time_is_utc = true;
        out.clear();
        append_json(out, decoder.decode_record(nullptr, "perf:cycles", {}, meta));
        EXPECT_EQ(out, std::string(R"({"n":"perf:cycles","meta":{"time":"1970-01-01T00:00:05.)") + fraction + "Z\"}}")
            << ns;
    }
}

// Every byte value at every place of a uuid: two lower-case hex digits each,
// dashes after the 4th, 6th, 8th and 10th byte.
TEST(JsonFormatter, UuidDigitsAtEveryPlace) {
    for (unsigned first = 0; first < 256; first += 15) {
        std::vector<std::uint8_t> raw(16);
        std::string expected = "\"";
        for (unsigned i = 0; i < 16; ++i) {
            raw[i] = static_cast<std::uint8_t>(first + 17 * i);
            if (i == 4 || i == 6 || i == 8 || i == 10) expected += '-';
            char pair[3];
            std::snprintf(pair, sizeof pair, "%02x", raw[i]);
            expected += pair;
        }
        expected += '"';
        bytes b;
        for (std::uint8_t byte : raw) b.u8(byte);
        EXPECT_EQ(value(b, field_encoding::value128, field_format::uuid), expected) << first;
    }
}

namespace {

std::string to_chars_text(double d) {
    char text[32];
    return {text, std::to_chars(text, text + sizeof text, d).ptr};
}

// Doubles of the kinds the number writers treat differently: decimals with
// few digits (the usual values), decimals near 2^50 scaled and past it,
// integers with and without trailing zeros, powers of ten, tiny and huge
// values and random bit patterns; each with both signs.
std::vector<double> doubles_to_check() {
    std::vector<double> out;
    std::uint64_t state = 0x9E3779B97F4A7C15ull;
    const auto next = [&state] {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        return state;
    };
    for (int i = 0; i < 60000; ++i) {
        // digits x 10^exponent, parsed the way a reader would.
        const std::uint64_t digit_count = 1 + next() % 17;
        std::uint64_t digits = next() % 10;
        for (std::uint64_t k = 1; k < digit_count; ++k) digits = digits * 10 + next() % 10;
        const int exponent = static_cast<int>(next() % 48) - 30;
        const std::string text = std::to_string(digits) + "e" + std::to_string(exponent);
        out.push_back(std::strtod(text.c_str(), nullptr));
        out.push_back(std::bit_cast<double>(next()));
        const double near_limit = static_cast<double>((std::uint64_t{1} << 50) - 64 + next() % 128);
        out.push_back(near_limit / std::pow(10.0, static_cast<double>(next() % 18)));
    }
    for (int e = -30; e <= 30; ++e) out.push_back(std::pow(10.0, e));
    for (double d : {0.0, 1.0, 100000.0, 123456789.0, 1e15, 1e16, 0.0125, 1e-5, 1.5e-5, 0.0001, 5e-324,
                     2.2250738585072014e-308, 1.7976931348623157e308, 4503599627370496.5, 1125899906842623.9}) {
        out.push_back(d);
    }
    const std::size_t positive = out.size();
    for (std::size_t i = 0; i < positive; ++i) out.push_back(-out[i]);
    return out;
}

}  // namespace

// Doubles are written as std::to_chars's shortest form, byte for byte: as a
// value and inside events (where the formatter writes numbers straight into
// its buffer).
TEST(JsonFormatter, DoublesAsShortestToChars) {
    const std::vector<double> values = doubles_to_check();
    for (double d : values) {
        const std::string expected = std::isfinite(d) ? to_chars_text(d) : "\"" + to_chars_text(d) + "\"";
        ASSERT_EQ(value(bytes().u64(std::bit_cast<std::uint64_t>(d)), field_encoding::value64, field_format::floating),
                  expected)
            << std::hexfloat << d;
    }
    constexpr std::size_t per_event = 64;
    bytes meta;
    meta.zstr("E");
    for (std::size_t k = 0; k < per_event; ++k) meta.zstr("d" + std::to_string(k)).u8(0x85).u8(8);
    for (std::size_t first = 0; first + per_event <= values.size(); first += per_event) {
        bytes payload;
        std::string expected = R"({"n":"P:E")";
        for (std::size_t k = 0; k < per_event; ++k) {
            const double d = values[first + k];
            payload.u64(std::bit_cast<std::uint64_t>(d));
            const std::string text = to_chars_text(d);
            expected += ",\"d" + std::to_string(k) + "\":" + (std::isfinite(d) ? text : "\"" + text + "\"");
        }
        expected += R"(,"meta":{"level":1}})";
        std::string out;
        ASSERT_EQ(format_event_json(out, "P_L1K0", ehtrace::test::event(false, 1, meta, payload).span()),
                  decode_error::none);
        ASSERT_EQ(out, expected) << "values from " << first;
    }
}

// Integers of both signs, as std::to_chars writes them: around each power of
// ten (where the number of digits changes) and through the ranges the
// writer takes apart in table-sized pieces.
TEST(JsonFormatter, IntegersAsToChars) {
    std::vector<std::uint64_t> values = {0, ~std::uint64_t{0}, std::uint64_t{1} << 63};
    for (std::uint64_t p = 1; p <= 1000000000000000000ull; p *= 10) {
        for (std::uint64_t delta : {0ull, 1ull, 2ull}) values.insert(values.end(), {p - delta, p + delta});
    }
    for (std::uint64_t v = 0; v < 20000; ++v) values.push_back(v);
    for (std::uint64_t v = 20000; v < 200000000; v += 1999) values.push_back(v);
    for (std::uint64_t v : values) {
        char text[24];
        const std::string as_unsigned(text, std::to_chars(text, text + sizeof text, v).ptr);
        ASSERT_EQ(value(bytes().u64(v), field_encoding::value64, field_format::unsigned_int), as_unsigned) << v;
        const std::string as_signed(text, std::to_chars(text, text + sizeof text, static_cast<std::int64_t>(v)).ptr);
        ASSERT_EQ(value(bytes().u64(v), field_encoding::value64, field_format::signed_int), as_signed) << v;
    }
}
