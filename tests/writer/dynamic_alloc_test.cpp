// A reused builder allocates nothing per event once its buffers have grown:
// this executable replaces the global operator new/delete to count calls.
#include <ehtrace/dynamic.hpp>
#include <ehtrace/sink.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
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

}  // namespace
