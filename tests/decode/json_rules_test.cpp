// One test per rule of docs/json.md that the established EventHeader
// decoders follow, on hand-encoded events in both byte orders. Each fails
// with the decoder as it was before the rule was implemented.
#include <ehtrace/decode/formatter.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/tracepoint_layout.hpp>

#include "test_bytes.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <climits>

using namespace ehtrace::decode;
using ehtrace::test::bytes;

namespace {

// {"n":"P:E", <fields>, "meta":{"level":4}} for an event of tracepoint P_L4K0
// with the given metadata fields and payload.
std::string decode(bool big, const bytes& fields, const bytes& payload, const json_options& options = {},
                   std::string_view event_name = "E") {
    bytes meta(big);
    meta.zstr(event_name).append(fields);
    std::string out;
    format_event_json(out, "P_L4K0", ehtrace::test::event(big, 4, meta, payload).span(), {}, options);
    return out;
}

std::string expected(std::string_view fields) {
    return std::string(R"({"n":"P:E",)") + std::string(fields) + R"(,"meta":{"level":4}})";
}

class JsonRules : public ::testing::TestWithParam<bool> {
protected:
    bool big() const { return GetParam(); }
    bytes b() const { return bytes(big()); }
};

INSTANTIATE_TEST_SUITE_P(ByteOrder, JsonRules, ::testing::Values(false, true),
                         [](const auto& param_info) { return param_info.param ? "BigEndian" : "LittleEndian"; });

TEST_P(JsonRules, Float32IsShortestInItsOwnWidth) {
    bytes fields = b();
    for (const char* name : {"a", "b", "c", "d"}) fields.zstr(name).u8(0x84).u8(0x08);  // value32, float
    bytes payload = b();
    for (float f : {0.1f, 3.14f, 1.0f / 3.0f, -1.5e-7f}) payload.u32(std::bit_cast<std::uint32_t>(f));
    EXPECT_EQ(decode(big(), fields, payload), expected(R"("a":0.1,"b":3.14,"c":0.33333334,"d":-1.5e-07)"));
}

TEST_P(JsonRules, Float64IsShortest) {
    bytes fields = b();
    fields.zstr("a").u8(0x85).u8(0x08).zstr("b").u8(0x85).u8(0x08);
    bytes payload = b();
    payload.u64(std::bit_cast<std::uint64_t>(0.1)).u64(std::bit_cast<std::uint64_t>(1.0 / 3.0));
    EXPECT_EQ(decode(big(), fields, payload), expected(R"("a":0.1,"b":0.3333333333333333)"));
}

TEST_P(JsonRules, InvalidUtf8BytesAreLatin1) {
    bytes fields = b();
    fields.zstr("s").u8(0x07).zstr("t").u8(0x07).zstr("u").u8(0x0A);  // two zstrings, one counted
    bytes payload = b();
    payload.raw({0xFF, 0xFE, 0}).raw({'a', 0xF0, 'b', 0xC3, 0xA9, 0}).u16(2).raw({0xE2, 0x82});
    EXPECT_EQ(decode(big(), fields, payload), expected("\"s\":\"\xC3\xBF\xC3\xBE\",\"t\":\"a\xC3\xB0"
                                                       "b\xC3\xA9\","
                                                       "\"u\":\"\xC3\xA2\xC2\x82\""));
}

TEST_P(JsonRules, ErrnoIsSigned32) {
    bytes fields = b();
    for (const char* name : {"a", "b", "c", "d"}) fields.zstr(name).u8(0x84).u8(0x04);  // value32, errno
    bytes payload = b();
    payload.u32(static_cast<std::uint32_t>(-5)).u32(0x80000000u).u32(2).u32(4000);
    EXPECT_EQ(decode(big(), fields, payload),
              expected(R"j("a":"ERRNO(-5)","b":"ERRNO(-2147483648)","c":"ENOENT(2)","d":"ERRNO(4000)")j"));
}

TEST_P(JsonRules, FieldTagsAreShownByDefault) {
    bytes fields = b();
    fields.zstr("Struct20").u8(0x81).u8(0x81).u16(0xBEEF);  // struct, 1 field, tag
    fields.zstr("hi").u8(0x82).u8(0x80).u16(0x12);          // value8, default format, tag
    fields.zstr("plain").u8(0x02);
    bytes payload = b();
    payload.u8(1).u8(2);
    EXPECT_EQ(decode(big(), fields, payload), expected(R"("Struct20;tag=0xBEEF":{"hi;tag=0x12":1},"plain":2)"));
    json_options off;
    off.field_tags = false;
    EXPECT_EQ(decode(big(), fields, payload, off), expected(R"("Struct20":{"hi":1},"plain":2)"));
}

TEST_P(JsonRules, FieldNamesKeepTheirAttributesEventNamesDropThem) {
    bytes fields = b();
    fields.zstr("f;unit=ms").u8(0x02).zstr("g;a=;;b").u8(0x02);
    bytes payload = b();
    payload.u8(5).u8(6);
    EXPECT_EQ(decode(big(), fields, payload, {}, "E;ver=2"), expected(R"("f;unit=ms":5,"g;a=;;b":6)"));
}

TEST_P(JsonRules, StructEndsWhereTheMetadataEnds) {
    // A struct declaring 20 fields followed by only 2 definitions.
    bytes fields = b();
    fields.zstr("s").u8(0x81).u8(20).zstr("x").u8(0x02).zstr("y").u8(0x03);
    bytes payload = b();
    payload.u8(7).u16(300);
    EXPECT_EQ(decode(big(), fields, payload), expected(R"("s":{"x":7,"y":300})"));
    // The same as the last field of nested structs, and as an empty array of
    // such structs (whose definitions are skipped).
    bytes nested = b();
    nested.zstr("a").u8(0x02).zstr("o").u8(0x81).u8(3).zstr("i").u8(0x81).u8(5).zstr("z").u8(0x02);
    bytes nested_payload = b();
    nested_payload.u8(1).u8(2);
    EXPECT_EQ(decode(big(), nested, nested_payload), expected(R"("a":1,"o":{"i":{"z":2}})"));
    bytes empty_array = b();
    empty_array.zstr("v").u8(0xC1).u8(9).zstr("q").u8(0x02);
    bytes empty_payload = b();
    empty_payload.u16(0);
    EXPECT_EQ(decode(big(), empty_array, empty_payload), expected(R"("v":[])"));
}

TEST_P(JsonRules, ProviderOptionsAndOtherMetaOnlyOnRequest) {
    bytes meta = b();
    meta.zstr("E").zstr("x").u8(0x02);
    bytes payload = b();
    payload.u8(1);
    const auto event = ehtrace::test::event(big(), 4, meta, payload, 0, 7);
    std::string out;
    format_event_json(out, "P_L4K1Gmygroup", event.span());
    EXPECT_EQ(out, R"({"n":"P:E","x":1,"meta":{"id":7,"level":4,"keyword":"0x1"}})");
    out.clear();
    json_options options;
    options.meta = meta_keys::standard | meta_keys::options | meta_keys::provider | meta_keys::event | meta_keys::flags;
    format_event_json(out, "P_L4K1Gmygroup", event.span(), {}, options);
    EXPECT_EQ(out, std::string(R"({"n":"P:E","x":1,"meta":{"provider":"P","event":"E","id":7,"level":4,)") +
                       R"("keyword":"0x1","options":"Gmygroup","flags":")" + (big() ? "0x5" : "0x7") + R"("}})");
}

TEST_P(JsonRules, SafeNumbersQuoteIntegersBeyondDoubles) {
    bytes fields = b();
    fields.zstr("big").u8(0x05).zstr("small").u8(0x05).zstr("neg").u8(0x85).u8(0x02).zstr("edge").u8(0x05);
    bytes payload = b();
    payload.u64(UINT64_MAX).u64(42).u64(static_cast<std::uint64_t>(INT64_MIN)).u64(std::uint64_t{1} << 53);
    EXPECT_EQ(decode(big(), fields, payload),
              expected(R"("big":18446744073709551615,"small":42,"neg":-9223372036854775808,"edge":9007199254740992)"));
    json_options safe;
    safe.safe_numbers = true;
    EXPECT_EQ(
        decode(big(), fields, payload, safe),
        expected(R"("big":"18446744073709551615","small":42,"neg":"-9223372036854775808","edge":9007199254740992)"));
}

TEST_P(JsonRules, FieldListLayoutCannotCollide) {
    bytes fields = b();
    fields.zstr("n").u8(0x02).zstr("meta").u8(0x02).zstr("s").u8(0x81).u8(0x01).zstr("n").u8(0x07);
    fields.zstr("v").u8(0x22).u16(2).zstr("w").u8(0xA1).u8(0x01).u16(2).zstr("k").u8(0x02);
    bytes payload = b();
    payload.u8(1).u8(2).zstr("x").u8(3).u8(4).u8(5).u8(6);
    json_options list;
    list.field_list = true;
    EXPECT_EQ(decode(big(), fields, payload, list),
              R"({"n":"P:E","fields":[{"name":"n","value":1},{"name":"meta","value":2},)"
              R"({"name":"s","value":[{"name":"n","value":"x"}]},{"name":"v","value":[3,4]},)"
              R"({"name":"w","value":[[{"name":"k","value":5}],[{"name":"k","value":6}]]}],"meta":{"level":4}})");
}

// Plain tracepoints: what each C declaration prints as.
constexpr char declarations_format[] =
    "name: decl\nID: 77\nformat:\n"
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
    "\tfield:long state;\toffset:8;\tsize:8;\tsigned:1;\n"
    "\tfield:unsigned long mask;\toffset:16;\tsize:8;\tsigned:0;\n"
    "\tfield:long unsigned int flags;\toffset:24;\tsize:8;\tsigned:0;\n"
    "\tfield:unsigned long long count;\toffset:32;\tsize:8;\tsigned:0;\n"
    "\tfield:pid_t pid;\toffset:40;\tsize:4;\tsigned:1;\n"
    "\tfield:char c;\toffset:44;\tsize:1;\tsigned:1;\n"
    "\tfield:signed char sc;\toffset:45;\tsize:1;\tsigned:1;\n"
    "\tfield:unsigned char uc[2];\toffset:46;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned u;\toffset:48;\tsize:4;\tsigned:0;\n"
    "\tfield:void * ptr;\toffset:52;\tsize:8;\tsigned:0;\n"
    "\tfield:struct pair p;\toffset:60;\tsize:4;\tsigned:0;\n"
    "\tfield:bool b;\toffset:64;\tsize:1;\tsigned:0;\n"
    "\tfield:s32 s;\toffset:65;\tsize:4;\tsigned:1;\n"
    "\nprint fmt: \"x\"\n";

TEST_P(JsonRules, PlainTracepointTypes) {
    tracepoint_layout format;
    ASSERT_TRUE(parse_tracepoint_layout(declarations_format, format));
    format.system = "t";
    bytes raw = b();
    raw.u16(77).u8(0).u8(0).u32(1);
    raw.u64(1).u64(0xF0).u64(0x10).u64(5).u32(0x950).u8('A').u8(0xFE).u8(1).u8(2).u32(3);
    raw.u64(0x1000).raw({1, 2, 3, 4}).u8(1).u32(static_cast<std::uint32_t>(-9));
    std::string out;
    sample_decoder decoder;
    append_json(out, decoder.decode_record(&format, "", raw.span(), {}, big()));
    EXPECT_EQ(out, R"({"n":"t:decl","state":1,"mask":"0xF0","flags":"0x10","count":5,"pid":"0x950","c":"A",)"
                   R"("sc":-2,"uc":[1,2],"u":3,"ptr":"0x1000","p":"01 02 03 04","b":"0x1","s":-9,"meta":{}})");
    // For numeric tools: every integer a number, pointers stay hex.
    out.clear();
    json_options safe;
    safe.safe_numbers = true;
    append_json(out, decoder.decode_record(&format, "", raw.span(), {}, big()), safe);
    EXPECT_EQ(out, R"({"n":"t:decl","state":1,"mask":240,"flags":16,"count":5,"pid":2384,"c":"A",)"
                   R"("sc":-2,"uc":[1,2],"u":3,"ptr":"0x1000","p":"01 02 03 04","b":1,"s":-9,"meta":{}})");
    // The common fields on request, before the others.
    out.clear();
    json_options common;
    common.meta = meta_keys::common;
    append_json(out, decoder.decode_record(&format, "", raw.span(), {}, big()), common);
    EXPECT_TRUE(out.starts_with(
        R"({"n":"t:decl","common_type":77,"common_flags":0,"common_preempt_count":0,"common_pid":1,"state":1,)"))
        << out;
}

TEST(JsonFormatters, DocumentAndLines) {
    bytes meta;
    meta.zstr("E").zstr("x").u8(0x02);
    bytes payload;
    payload.u8(1);
    const auto event = ehtrace::test::event(false, 4, meta, payload);
    sample_decoder decoder;
    const auto run = [&](output_format format, bool several) {
        const auto f = make_formatter(format, {}, several);
        std::string out;
        f->begin(out);
        for (const char* input : {"a.dat", "b.dat"}) {
            f->begin_input(out, input);
            f->sample(out, decoder.decode_event("P_L4K0", event.span()));
            f->end_input(out);
        }
        f->end(out);
        return out;
    };
    EXPECT_EQ(run(output_format::json, true),
              "{\n\"a.dat\": [\n  {\"n\":\"P:E\",\"x\":1,\"meta\":{\"level\":4}} ],\n"
              "\"b.dat\": [\n  {\"n\":\"P:E\",\"x\":1,\"meta\":{\"level\":4}} ]\n}\n");
    EXPECT_EQ(run(output_format::jsonl, false),
              "{\"n\":\"P:E\",\"x\":1,\"meta\":{\"level\":4}}\n{\"n\":\"P:E\",\"x\":1,\"meta\":{\"level\":4}}\n");
    EXPECT_EQ(run(output_format::jsonl, true),
              "{\"n\":\"P:E\",\"x\":1,\"meta\":{\"source\":\"a.dat\",\"level\":4}}\n"
              "{\"n\":\"P:E\",\"x\":1,\"meta\":{\"source\":\"b.dat\",\"level\":4}}\n");
}

}  // namespace
