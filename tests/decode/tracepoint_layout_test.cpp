#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/tracepoint_layout.hpp>

#include "test_bytes.hpp"

#include <gtest/gtest.h>

using namespace ehtrace::decode;
using ehtrace::test::bytes;

namespace {

constexpr char sched_switch_format[] =
    "name: sched_switch\n"
    "ID: 372\n"
    "format:\n"
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
    "\n"
    "\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
    "\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
    "\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
    "\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
    "\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
    "\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
    "\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n"
    "\n"
    "print fmt: \"prev_comm=%s prev_pid=%d\", REC->prev_comm, REC->prev_pid\n";

bytes comm(const char* s) {
    bytes b;
    const std::string_view v(s);
    b.str(v);
    for (std::size_t i = v.size(); i < 16; ++i) b.u8(0);
    return b;
}

// A sched_switch record (common fields first) as the decoder's JSON.
std::string sched_switch_json(const bytes& raw) {
    tracepoint_layout f;
    if (!parse_tracepoint_layout(sched_switch_format, f)) return "<format not parsed>";
    f.system = "sched";
    std::string out;
    append_json(out, sample_decoder().decode_record(&f, "", raw.span(), sample_meta{}, false));
    return out;
}

}  // namespace

TEST(TracepointLayout, ParsesSchedSwitch) {
    tracepoint_layout f;
    ASSERT_TRUE(parse_tracepoint_layout(sched_switch_format, f));
    EXPECT_EQ(f.name, "sched_switch");
    EXPECT_EQ(f.id, 372u);
    EXPECT_EQ(f.common_field_count, 4u);
    ASSERT_EQ(f.fields.size(), 11u);
    EXPECT_EQ(f.fields[4].name, "prev_comm");
    EXPECT_EQ(f.fields[4].type, "char[16]");
    EXPECT_EQ(f.fields[4].display, field_display::string);
    EXPECT_EQ(f.fields[5].display, field_display::hex);      // pid_t
    EXPECT_EQ(f.fields[6].display, field_display::decimal);  // int
    EXPECT_EQ(f.fields[7].display, field_display::decimal);  // long (only unsigned long is hex)
    EXPECT_FALSE(f.is_eventheader());
}

TEST(TracepointLayout, SchedSwitchJson) {
    bytes raw;
    raw.u16(372).u8(0).u8(0).u32(2384);
    raw.append(comm("bash"))
        .u32(0x950)
        .u32(120)
        .u64(1)
        .append(comm("swapper/0"))
        .u32(0)
        .u32(static_cast<std::uint32_t>(-5));
    EXPECT_EQ(sched_switch_json(raw),
              R"({"n":"sched:sched_switch","prev_comm":"bash","prev_pid":"0x950","prev_prio":120,)"
              R"("prev_state":1,"next_comm":"swapper/0","next_pid":"0x0","next_prio":-5,"meta":{}})");
}

TEST(TracepointLayout, DataLocRelLocAndArrays) {
    constexpr char text[] =
        "name: t\nID: 9\nformat:\n"
        "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
        "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
        "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
        "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
        "\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
        "\tfield:__rel_loc char[] rel;\toffset:12;\tsize:4;\tsigned:0;\n"
        "\tfield:u16 vals[2];\toffset:16;\tsize:4;\tsigned:0;\n"
        "\tfield:s8 small;\toffset:20;\tsize:1;\tsigned:1;\n"
        "\tfield:unsigned long addr;\toffset:21;\tsize:8;\tsigned:0;\n"
        "\tfield:const char * ptr;\toffset:29;\tsize:8;\tsigned:0;\n"
        "\tfield:long long big;\toffset:37;\tsize:8;\tsigned:1;\n"
        "\tfield:__data_loc u32[] dyn;\toffset:45;\tsize:4;\tsigned:0;\n"
        "\tfield:char far[4];\toffset:200;\tsize:4;\tsigned:0;\n"
        "\nprint fmt: \"x\"\n";
    tracepoint_layout f;
    ASSERT_TRUE(parse_tracepoint_layout(text, f));
    f.system = "s";
    ASSERT_EQ(f.fields.size(), 13u);
    EXPECT_EQ(f.fields[4].location, field_location::data_loc);
    EXPECT_EQ(f.fields[5].location, field_location::rel_loc);
    bytes raw;
    raw.u16(9).u8(0).u8(0).u32(1);
    // data_loc: length 5 at offset 49; rel_loc: length 3 at 16 (end of field) + 38 = 54.
    raw.u32((5u << 16) | 49).u32((3u << 16) | 38);
    raw.u16(1).u16(65535).u8(0xFE).u64(0xffffffff81000000ull).u64(0x1000).u64(static_cast<std::uint64_t>(-7));
    raw.u32((8u << 16) | 60);
    raw.zstr("/bin").str("ab").u8(0).raw({0, 0, 0}).u32(7).u32(8);
    ASSERT_EQ(raw.size(), 68u);
    std::string out;
    append_json(out, sample_decoder().decode_record(&f, "", raw.span(), sample_meta{}, false));
    EXPECT_EQ(out, R"({"n":"s:t","filename":"/bin","rel":"ab","vals":[1,65535],"small":-2,)"
                   R"("addr":"0xFFFFFFFF81000000","ptr":"0x1000","big":-7,"dyn":[7,8],"far":null,"meta":{}})");
}

TEST(TracepointLayout, RecognisesEventHeader) {
    tracepoint_layout f;
    ASSERT_TRUE(parse_tracepoint_layout(ehtrace::test::acme_eventheader_format, f));
    EXPECT_TRUE(f.is_eventheader());
    EXPECT_EQ(f.eventheader_offset(), 8u);
    f.fields.pop_back();
    EXPECT_FALSE(f.is_eventheader());
}

TEST(TracepointLayout, RejectsGarbage) {
    tracepoint_layout f;
    std::string why;
    EXPECT_FALSE(parse_tracepoint_layout("hello", f, &why));
    EXPECT_FALSE(why.empty());
    EXPECT_FALSE(parse_tracepoint_layout("format:\n\tfield:;offset:x;\n", f));
}

// The kernel's char says nothing of an encoding: each byte is a Latin-1
// character, as the established decoders print it (UTF-8 bytes are not
// joined), up to the first NUL; control characters are escaped.
TEST(TracepointLayout, CharArraysAreLatin1) {
    bytes raw;
    raw.u16(372).u8(0).u8(0).u32(1);
    bytes prev;
    prev.raw({'c', 0xC3, 0xA9, 0xFF, '\n', '"'});
    for (int i = 6; i < 16; ++i) prev.u8(0);
    bytes next;
    next.raw({'a', 'b', 0, 'z'});
    for (int i = 4; i < 16; ++i) next.u8('z');  // no NUL after the first: read to the first one
    raw.append(prev).u32(1).u32(2).u64(0).append(next).u32(3).u32(4);
    EXPECT_EQ(
        sched_switch_json(raw),
        "{\"n\":\"sched:sched_switch\",\"prev_comm\":\"c\xC3\x83\xC2\xA9\xC3\xBF\\n\\\"\",\"prev_pid\":\"0x1\","
        "\"prev_prio\":2,\"prev_state\":0,\"next_comm\":\"ab\",\"next_pid\":\"0x3\",\"next_prio\":4,\"meta\":{}}");
}
