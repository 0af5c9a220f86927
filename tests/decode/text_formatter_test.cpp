// The text format (--format text): one line per event, perf script's head,
// then name and field=value pairs with readable structs and arrays.
#include <ehtrace/decode/formatter.hpp>
#include <ehtrace/decode/tracepoint_layout.hpp>

#include "test_bytes.hpp"

#include <gtest/gtest.h>

using namespace ehtrace::decode;
using ehtrace::test::bytes;

namespace {

std::string format_one(const decoded_sample& s, const json_options& options = {}, bool several = false) {
    const auto f = make_formatter(output_format::text, options, several);
    std::string out;
    f->begin(out);
    f->begin_input(out, "in.data");
    f->sample(out, s);
    f->end_input(out);
    f->end(out);
    return out;
}

TEST(TextFormatter, ParsesItsName) {
    output_format format = output_format::json;
    ASSERT_TRUE(parse_output_format("text", format));
    EXPECT_EQ(format, output_format::text);
}

TEST(TextFormatter, HeadNameAndNestedFields) {
    // x value32; s struct {a u8, b u8}; arr u8[] (var); t tagged string; e errno
    bytes meta;
    meta.zstr("Ev").zstr("x").u8(0x04).zstr("s").u8(0x81).u8(0x02).zstr("a").u8(0x02).zstr("b").u8(0x02);
    meta.zstr("arr").u8(0x42).zstr("t").u8(0x87).u8(0x80).u16(0xBEEF).zstr("e").u8(0x84).u8(0x04);
    bytes payload;
    payload.u32(42).u8(1).u8(2).u16(2).u8(7).u8(8).zstr("two words").u32(2);
    const auto event = ehtrace::test::event(false, 4, meta, payload);
    sample_decoder decoder;
    sample_meta m;
    m.has_time = m.time_is_utc = true;
    m.time_ns = 1700000000123456789ull;
    m.has_cpu = m.has_tid = true;
    m.cpu = 3, m.pid = 812, m.tid = 815, m.comm = "hello";
    EXPECT_EQ(format_one(decoder.decode_event("Acme_L4K1", event.span(), m)),
              "hello    812/815    [003] 2023-11-14T22:13:20.123456789Z: Acme:Ev x=42 s={a=1 b=2} arr=[7,8] "
              "t;tag=0xBEEF=\"two words\" e=ENOENT(2)\n");
    json_options no_tags;
    no_tags.field_tags = false;
    m.time_is_utc = false;
    m.time_ns = 213042836001;
    m.comm = {};
    EXPECT_EQ(format_one(decoder.decode_event("Acme_L4K1", event.span(), m), no_tags, true),
              "in.data: -    812/815    [003] 213.042836001: Acme:Ev x=42 s={a=1 b=2} arr=[7,8] "
              "t=\"two words\" e=ENOENT(2)\n");
}

TEST(TextFormatter, ArrayOfStructsAndNoMeta) {
    // w: array of 2 structs {k u8}; then a string with a quote and a newline.
    bytes meta;
    meta.zstr("E").zstr("w").u8(0xA1).u8(0x01).u16(2).zstr("k").u8(0x02).zstr("q").u8(0x07);
    bytes payload;
    payload.u8(5).u8(6).zstr("a\"b\nc");
    const auto event = ehtrace::test::event(false, 4, meta, payload);
    sample_decoder decoder;
    EXPECT_EQ(format_one(decoder.decode_event("P_L4K0", event.span())), "P:E w=[{k=5},{k=6}] q=\"a\\\"b\\nc\"\n");
}

TEST(TextFormatter, DamagedEventSaysWhere) {
    bytes meta;
    meta.zstr("E").zstr("x").u8(0x04);
    bytes payload;
    payload.u8(1);  // 3 bytes short
    const auto event = ehtrace::test::event(false, 4, meta, payload);
    sample_decoder decoder;
    const std::string line = format_one(decoder.decode_event("P_L4K0", event.span()));
    EXPECT_TRUE(line.starts_with("P:E error=\"")) << line;
    EXPECT_NE(line.find(" at event offset "), std::string::npos) << line;
}

TEST(TextFormatter, PlainTracepoint) {
    tracepoint_layout format;
    ASSERT_TRUE(
        parse_tracepoint_layout("name: t\nID: 9\nformat:\n"
                                "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
                                "\tfield:int common_pid;\toffset:2;\tsize:4;\tsigned:1;\n\n"
                                "\tfield:char comm[4];\toffset:6;\tsize:4;\tsigned:1;\n"
                                "\tfield:s16 v[2];\toffset:10;\tsize:4;\tsigned:1;\n"
                                "\tfield:pid_t p;\toffset:14;\tsize:4;\tsigned:1;\n",
                                format));
    format.system = "sched";
    bytes raw;
    raw.u16(9).u32(1).str("ab").u8(0).u8(0).u16(static_cast<std::uint16_t>(-3)).u16(4).u32(0x950);
    sample_decoder decoder;
    EXPECT_EQ(format_one(decoder.decode_record(&format, "", raw.span(), {})), "sched:t comm=\"ab\" v=[-3,4] p=0x950\n");
}

// Names come from the input, like values: a newline or an escape sequence in
// an event, field, comm or file name is written escaped, so every event stays
// one line and nothing reaches the terminal as a control.
TEST(TextFormatter, ControlCharactersInNamesAreEscaped) {
    bytes meta;
    meta.zstr("E\nv").zstr("f\x1b[1m").u8(0x02);
    bytes payload;
    payload.u8(7);
    const auto event = ehtrace::test::event(false, 4, meta, payload);
    sample_decoder decoder;
    sample_meta m;
    m.has_tid = true;
    m.pid = m.tid = 5;
    m.comm = "a\tb";
    const auto line = format_one(decoder.decode_event("P\r_L4K0", event.span(), m), {}, true);
    EXPECT_EQ(line, "in.data: a\\tb      5/5      P\\r:E\\nv f\\u001b[1m=7\n");

    const auto summary = make_formatter(output_format::summary, {}, false);
    std::string table;
    summary->begin(table);
    summary->begin_input(table, "in\n.data");
    summary->sample(table, decoder.decode_event("P\r_L4K0", event.span(), m));
    summary->end_input(table);
    summary->end(table);
    EXPECT_NE(table.find("input      in\\n.data\n"), std::string::npos) << table;
    EXPECT_NE(table.find("\nP\\r:E\\nv          1"), std::string::npos) << table;
    EXPECT_EQ(table.find('\r'), std::string::npos) << table;
}

}  // namespace
