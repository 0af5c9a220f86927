// The output layer (sample_decoder, the JSON formatters) allocates nothing
// per event once its output buffer has grown: this executable replaces the
// global operator new to count calls.
#include <ehtrace/decode/formatter.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/tracepoint_layout.hpp>

#include "test_bytes.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "../counting_new.hpp"

using ehtrace::test::allocations;

namespace {

using namespace ehtrace::decode;
using ehtrace::test::bytes;

// Every value kind the formatter writes: numbers, text, strings, a struct,
// an array, a tag, an activity id, time and ids in meta.
bytes busy_event() {
    bytes meta;
    meta.zstr("Busy;v=1");
    meta.zstr("i").u8(0x84).u8(0x02).zstr("d").u8(0x85).u8(0x08).zstr("e").u8(0x84).u8(0x04);
    meta.zstr("s").u8(0x07).zstr("t;unit=ms").u8(0x84).u8(0x86).u16(7).zstr("u").u8(0x86).u8(0x0F);
    meta.zstr("st").u8(0x81).u8(0x02).zstr("a").u8(0x02).zstr("b").u8(0x0A);
    meta.zstr("arr").u8(0x43);
    bytes payload;
    payload.u32(static_cast<std::uint32_t>(-3)).u64(0x3FB999999999999Aull).u32(2);
    payload.zstr("hello \xFF world").u32(1700000000);
    for (unsigned i = 0; i < 16; ++i) payload.u8(i);
    payload.u8(5).u16(3).str("a\"b");
    payload.u16(3).u16(1).u16(2).u16(3);
    std::vector<std::byte> activity(16, std::byte{0x11});
    return ehtrace::test::event(false, 4, meta, payload, 1, 9, 1, 0x22, activity);
}

TEST(OutputLayer, NoAllocationPerEventOnceWarm) {
    const auto event = busy_event();
    tracepoint_layout format;
    ASSERT_TRUE(
        parse_tracepoint_layout("name: t\nID: 5\nformat:\n"
                                "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
                                "\tfield:char name[8];\toffset:2;\tsize:8;\tsigned:0;\n"
                                "\tfield:long n;\toffset:10;\tsize:8;\tsigned:1;\n",
                                format));
    format.system = "s";
    bytes record;
    record.u16(5).zstr("abc").raw({0, 0, 0, 0}).u64(42);
    sample_meta meta;
    meta.has_time = meta.time_is_utc = meta.has_cpu = meta.has_tid = true;
    meta.time_ns = 1700000000123456789ull;
    meta.comm = "worker";

    for (const auto kind : {output_format::json, output_format::jsonl}) {
        for (bool several : {false, true}) {
            json_options options;
            options.meta = meta_keys::all;
            options.field_list = several;
            options.safe_numbers = several;
            sample_decoder decoder;
            const auto f = make_formatter(kind, options, several);
            std::string out;
            out.reserve(1 << 20);
            f->begin(out);
            f->begin_input(out, "input.data");
            f->sample(out, decoder.decode_event("Busy_L4K1Gg", event.span(), meta));  // warms the caches
            f->sample(out, decoder.decode_record(&format, "", record.span(), meta));
            const long before = allocations.load();
            for (int i = 0; i < 1000; ++i) {
                f->sample(out, decoder.decode_event("Busy_L4K1Gg", event.span(), meta));
                f->sample(out, decoder.decode_record(&format, "", record.span(), meta));
            }
            EXPECT_EQ(allocations.load() - before, 0) << "format " << static_cast<int>(kind) << " several " << several;
            EXPECT_LT(out.size(), std::size_t{1} << 20);
            EXPECT_NE(out.find("\"comm\":\"worker\""), std::string::npos);
        }
    }
}

}  // namespace
