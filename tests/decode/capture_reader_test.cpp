#include <ehtrace/decode/capture_reader.hpp>

#include "test_bytes.hpp"

#include <gtest/gtest.h>

using namespace ehtrace::decode;
using ehtrace::test::bytes;

namespace {

bytes two_records() {
    bytes b;
    b.u32(4 + 7 + 3).zstr("A_L1K1").raw({1, 2, 3});
    b.u32(4 + 4 + 1).zstr("B:c").raw({9});
    return b;
}

}  // namespace

TEST(CaptureReader, ReadsRecords) {
    const auto b = two_records();
    byte_source in(b.span());
    capture_reader reader(in);
    capture_record r;
    ASSERT_TRUE(reader.next(r));
    EXPECT_EQ(r.tracepoint_name, "A_L1K1");
    EXPECT_EQ(r.event.size(), 3u);
    EXPECT_EQ(r.offset, 0u);
    ASSERT_TRUE(reader.next(r));
    EXPECT_EQ(r.tracepoint_name, "B:c");
    EXPECT_EQ(r.offset, 14u);
    EXPECT_FALSE(reader.next(r));
    EXPECT_FALSE(reader.error());
    EXPECT_TRUE(looks_like_capture(b.span()));
}

TEST(CaptureReader, TruncationReportsOffset) {
    const auto b = two_records();
    for (std::size_t cut = 1; cut < b.size(); ++cut) {
        if (cut == 14) continue;  // a clean record boundary
        byte_source in(b.span().first(cut));
        capture_reader reader(in);
        capture_record r;
        int count = 0;
        while (reader.next(r)) ++count;
        ASSERT_TRUE(reader.error()) << cut;
        EXPECT_EQ(count, cut < 14 ? 0 : 1);
        EXPECT_EQ(reader.error().offset, cut < 14 ? 0u : 14u);
    }
}

TEST(CaptureReader, BadSizeAndMissingName) {
    bytes b;
    b.u32(0xFFFFFFF0).u32(0);
    byte_source in(b.span());
    capture_reader reader(in);
    capture_record r;
    EXPECT_FALSE(reader.next(r));
    EXPECT_NE(reader.error().message.find("bad record size"), std::string::npos);

    bytes c;
    c.u32(8).str("abcd");
    byte_source in2(c.span());
    capture_reader reader2(in2);
    EXPECT_FALSE(reader2.next(r));
    EXPECT_NE(reader2.error().message.find("NUL"), std::string::npos);
}
