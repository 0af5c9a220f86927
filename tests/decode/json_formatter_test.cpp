#include <ehtrace/decode/json_formatter.hpp>

#include "test_bytes.hpp"

#include <gtest/gtest.h>

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
