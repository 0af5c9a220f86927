#include <ehtrace/decode/tracepoint_name.hpp>

#include <gtest/gtest.h>

using namespace ehtrace::decode;

TEST(TracepointName, SpecExamples) {
    tracepoint_name_parts p;
    ASSERT_TRUE(parse_tracepoint_name("Acme_Web_L4K2c", p));
    EXPECT_EQ(p.provider, "Acme_Web");
    EXPECT_EQ(p.level, 4);
    EXPECT_EQ(p.keyword, 0x2cu);
    EXPECT_EQ(p.options, "");

    ASSERT_TRUE(parse_tracepoint_name("Acme_Web_L5K0Gsrv", p));
    EXPECT_EQ(p.provider, "Acme_Web");
    EXPECT_EQ(p.level, 5);
    EXPECT_EQ(p.keyword, 0u);
    EXPECT_EQ(p.options, "Gsrv");
    EXPECT_EQ(find_option(p.options, 'G'), "srv");
    EXPECT_EQ(find_option(p.options, 'H'), "");
}

TEST(TracepointName, LargeValues) {
    tracepoint_name_parts p;
    ASSERT_TRUE(parse_tracepoint_name("P_LffKffffffffffffffff", p));
    EXPECT_EQ(p.level, 255);
    EXPECT_EQ(p.keyword, 0xffffffffffffffffull);
    ASSERT_TRUE(parse_tracepoint_name("P_L1K1AbGcdZ9", p));
    EXPECT_EQ(p.options, "AbGcdZ9");
    EXPECT_EQ(find_option(p.options, 'Z'), "9");
}

TEST(TracepointName, Invalid) {
    tracepoint_name_parts p;
    for (char const* name : {
             "", "NoUnderscore", "_L1K1", "P_L0K1", "P_L100K1", "P_LK1", "P_L1K", "P_L1", "P_l1K1",
             "P_L1k1", "P_L1KA", "P_L1K1g", "P_L1K1Gb_c", "P_L1K1HaGb", "P_L1K11111111111111111",
             "Pro vider_L1K1", "sys:P_L1K1", "P_L1K1G-x",
         }) {
        EXPECT_FALSE(parse_tracepoint_name(name, p)) << name;
    }
    std::string long_name(252, 'a');
    long_name += "_L1K1";  // 257 chars
    EXPECT_FALSE(parse_tracepoint_name(long_name, p));
    long_name.erase(0, 2);  // 255
    EXPECT_TRUE(parse_tracepoint_name(long_name, p));
}

TEST(TracepointName, LastUnderscoreRule) {
    tracepoint_name_parts p;
    // The tail after the last '_' must be the attributes.
    EXPECT_FALSE(parse_tracepoint_name("A_L1K1_x", p));
    ASSERT_TRUE(parse_tracepoint_name("A_L1K1_x_L2K3", p));
    EXPECT_EQ(p.provider, "A_L1K1_x");
    EXPECT_EQ(p.level, 2);
}

TEST(TracepointName, StripSystem) {
    EXPECT_EQ(strip_tracepoint_system("user_events:P_L1K1"), "P_L1K1");
    EXPECT_EQ(strip_tracepoint_system("user_events_multi:P_L1K1.1f"), "P_L1K1");
    EXPECT_EQ(strip_tracepoint_system("P_L1K1"), "P_L1K1");
}
