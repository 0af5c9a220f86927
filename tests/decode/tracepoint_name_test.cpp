#include <ehtrace/decode/tracepoint_name.hpp>

#include <gtest/gtest.h>

#include <string>

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
    for (const char* name : {
             "",
             "NoUnderscore",
             "_L1K1",
             "P_L0K1",
             "P_L100K1",
             "P_LK1",
             "P_L1K",
             "P_L1",
             "P_l1K1",
             "P_L1k1",
             "P_L1KA",
             "P_L1K1g",
             "P_L1K1Gb_c",
             "P_L1K1HaGb",
             "P_L1K11111111111111111",
             "Pro vider_L1K1",
             "sys:P_L1K1",
             "P_L1K1G-x",
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

namespace {

// Collects the name the writers build, at compile time.
struct name_buffer {
    char text[ehtrace::max_tracepoint_name_length + 1] = {};
    std::size_t size = 0;
    constexpr void put(std::uint8_t c) { text[size++] = static_cast<char>(c); }
    constexpr void put_string(std::string_view s) {
        for (char c : s) put(static_cast<std::uint8_t>(c));
    }
    constexpr std::string_view view() const { return {text, size}; }
};

constexpr bool round_trips(std::string_view provider, std::uint8_t level, std::uint64_t keyword,
                           std::string_view options) {
    name_buffer out;
    ehtrace::encode_tracepoint_name(out, provider, level, keyword, options);
    ehtrace::tracepoint_name_parts parts;
    return out.size == ehtrace::tracepoint_name_length(provider.size(), level, keyword, options.size()) &&
           ehtrace::split_tracepoint_name(out.view(), parts) && parts.provider == provider && parts.level == level &&
           parts.keyword == keyword && parts.options == options;
}

}  // namespace

// The writers and the reader use one grammar; this holds during compilation,
// where the compile-time API evaluates it.
static_assert(round_trips("Acme_Web", 4, 0x2c, ""));
static_assert(round_trips("P", 0xff, ~std::uint64_t{0}, "AbGcdZ9"));
static_assert(ehtrace::check_provider_options("Gsrv") == ehtrace::provider_name_error::none);
static_assert(ehtrace::check_provider_options("ZaGb") == ehtrace::provider_name_error::invalid_options);
static_assert(ehtrace::is_plain_tracepoint_name("MyProvider_L4K1"));
static_assert(!ehtrace::is_plain_tracepoint_name("My:Provider_L4K1"));
static_assert(!ehtrace::is_user_events_name("user_events:x"));

TEST(TracepointName, WriterAndReaderAgreeOnTheLimit) {
    const std::string longest(ehtrace::max_tracepoint_name_length - 6, 'p');
    tracepoint_name_parts p;
    EXPECT_TRUE(parse_tracepoint_name(longest + "_L4K1a", p));
    EXPECT_FALSE(parse_tracepoint_name(longest + "_L4K1ab", p));
    EXPECT_TRUE(ehtrace::is_plain_tracepoint_name(longest + "_L4K1a"));
    EXPECT_FALSE(ehtrace::is_plain_tracepoint_name(longest + "_L4K1ab"));
}
