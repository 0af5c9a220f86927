// A reused builder allocates nothing per event once its buffers have grown:
// this executable replaces the global operator new/delete to count calls.
#include <ehtrace/dynamic.hpp>
#include <ehtrace/sink.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "../counting_new.hpp"

using ehtrace::test::allocations;

namespace {

using ehtrace::dynamic::event_builder;

// A log-record-like event: strings, numbers, a nested struct, arrays.
int write_record(event_builder& b, const ehtrace::dynamic::event_set& set, int i) {
    static const std::string_view tags[] = {"alpha", "beta", "gamma"};
    const std::int64_t numbers[] = {i, i + 1, i + 2};
    b.reset("Record", 7);
    b.add_string("body", i % 2 ? "an odd record with a longer body text" : "even");
    b.add_value("count", std::int64_t{i});
    auto attributes = b.begin_struct("attributes");
    b.add_value("ratio", i * 0.5).add_value("ok", i % 3 == 0);
    b.add_string_array("tags", tags, static_cast<std::size_t>(i % 4));
    b.add_array("numbers", numbers, 3);
    b.end_struct(attributes);
    return b.write(set);
}

TEST(DynamicAllocations, NonePerEventAfterWarmUp) {
    ehtrace::counting_sink sink;
    ehtrace::sink* previous = ehtrace::set_sink(&sink);
    {
        ehtrace::dynamic::provider provider("Alloc_Test");
        ASSERT_EQ(provider.error(), 0);
        event_builder builder;
        for (int i = 0; i < 8; ++i) {  // warm-up: sets registered, buffers grown
            ASSERT_NE(provider.register_set(static_cast<std::uint8_t>(1 + i % 5), 1), nullptr);
            ASSERT_EQ(write_record(builder, *provider.register_set(4, 1), i), 0);
        }

        const long before = allocations.load();
        int failures = 0;
        for (int i = 0; i < 10000; ++i) {
            // The per-record lookup an exporter does: existing sets only.
            const auto* set = provider.register_set(static_cast<std::uint8_t>(1 + i % 5), 1);
            failures += set == nullptr || write_record(builder, *set, i) != 0;
        }
        const long during = allocations.load() - before;
        EXPECT_EQ(failures, 0);
        EXPECT_EQ(during, 0) << "allocations during 10000 events";
        EXPECT_EQ(sink.events(), 10008u);
    }
    ehtrace::set_sink(previous);
}

TEST(DynamicAllocations, TheCounterSeesTheBuildersGrowth) {
    // Guards the test above against a hook that counts nothing.
    const long before = allocations.load();
    event_builder builder;
    builder.reset("First");
    EXPECT_GT(allocations.load(), before);
}

// The k-th byte of the i-th value in the test below.
std::uint8_t value_byte(std::uint32_t i, std::size_t k) { return static_cast<std::uint8_t>(i * 31 + k * 7 + 1); }

// Adds values of one size until an add grows the payload (the long way,
// event_builder::add_scalar_slow()), then checks every value's bytes, the
// grown one's and those copied with it.
template <class Add>
void expect_values_across_growth(std::size_t size, Add add) {
    event_builder b;
    b.reset("Grow");
    std::uint32_t count = 0;
    bool grew = false;
    while (!grew && count < 10000) {
        std::uint8_t value[16];
        for (std::size_t k = 0; k < size; ++k) value[k] = value_byte(count, k);
        const long before = allocations.load();
        add(b, value);
        grew = allocations.load() != before;
        ++count;
    }
    ASSERT_TRUE(grew) << size << "-byte values never took the long way";
    ASSERT_EQ(b.error(), 0) << b.error_message();
    ASSERT_EQ(b.payload_size(), count * size);
    for (std::uint32_t i = 0; i < count; ++i) {
        for (std::size_t k = 0; k < size; ++k) {
            ASSERT_EQ(b.payload_data()[i * size + k], value_byte(i, k))
                << size << "-byte value " << i << " of " << count;
        }
    }
}

TEST(DynamicAllocations, ValuesOfEverySizeKeepTheirBytesWhenTheBuilderGrows) {
    auto add_as = [](auto type) {
        return [](event_builder& b, const std::uint8_t* bytes) {
            decltype(type) value;
            std::memcpy(&value, bytes, sizeof value);
            b.add_value("v", value);
        };
    };
    expect_values_across_growth(1, add_as(std::uint8_t{}));
    expect_values_across_growth(2, add_as(std::uint16_t{}));
    expect_values_across_growth(4, add_as(std::uint32_t{}));
    expect_values_across_growth(4, add_as(float{}));
    expect_values_across_growth(8, add_as(std::uint64_t{}));
    expect_values_across_growth(8, add_as(double{}));
    expect_values_across_growth(16, [](event_builder& b, const std::uint8_t* bytes) { b.add_value128("v", bytes); });
}

}  // namespace
