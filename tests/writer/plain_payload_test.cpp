#include <ehtrace/plain_payload.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace {

using bytes = std::vector<std::uint8_t>;

// Fields "u32 a; __rel_loc u8[] blob; __data_loc char[] name; u16 b".
TEST(PlainPayload, LocationFieldsPointAtBytesAfterTheFixedPart) {
    ehtrace::plain_payload payload;
    const std::uint8_t blob[] = {0xaa, 0xbb, 0xcc};
    payload.value(std::uint32_t{0x11223344}).rel_loc(blob, sizeof blob).data_loc("hi").value(std::uint16_t{0x5566});
    ASSERT_TRUE(payload.finish());
    // Fixed part: a @0..3, blob loc @4..7, name loc @8..11, b @12..13; data from 14.
    // blob: 3 bytes at 14, relative to the end of its u32 (8): offset 6.
    // name: "hi\0" at 17, relative to the record start (+8 common bytes): 25.
    bytes expected = {0x44, 0x33, 0x22, 0x11,  //
                      6,    0,    3,    0,     //
                      25,   0,    3,    0,     //
                      0x66, 0x55,              //
                      0xaa, 0xbb, 0xcc, 'h',  'i', 0};
    EXPECT_EQ(payload.bytes(), expected);
}

TEST(PlainPayload, EmptyLocationAndReuse) {
    ehtrace::plain_payload payload;
    payload.rel_loc(nullptr, 0);
    ASSERT_TRUE(payload.finish());
    EXPECT_EQ(payload.bytes(), (bytes{0, 0, 0, 0}));
    payload.clear();
    payload.value(std::uint8_t{1});
    ASSERT_TRUE(payload.finish());
    EXPECT_EQ(payload.bytes(), (bytes{1}));
}

TEST(PlainPayload, RefusesPayloadsBeyond16BitOffsets) {
    ehtrace::plain_payload payload;
    std::vector<std::uint8_t> big(70000, 1);
    payload.rel_loc(big.data(), big.size());
    EXPECT_FALSE(payload.finish());
}

}  // namespace
