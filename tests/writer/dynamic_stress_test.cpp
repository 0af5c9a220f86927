// Many threads, each with its own builder, one provider: event sets are
// found or registered concurrently while others write. Run under TSan via
// the `concurrency` label.
#include <ehtrace/dynamic.hpp>
#include <ehtrace/sink.hpp>

#include "dynamic_test_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace {

using ehtrace::dynamic::event_builder;
using ehtrace::dynamic::event_set;
using ehtrace::dynamic::provider;

constexpr int thread_count = 8;
constexpr int levels = 5;
constexpr int keywords = 6;

std::uint64_t keyword_of(int k) { return std::uint64_t{1} << (k * 7); }

TEST(DynamicStress, ConcurrentRegistrationAndWrites) {
    ehtrace::counting_sink sink;
    ehtrace::sink* previous = ehtrace::set_sink(&sink);
    constexpr int events_per_thread = 20000;
    {
        provider p("Stress_Test");
        ASSERT_EQ(p.error(), 0);
        std::atomic<bool> go{false};
        std::atomic<int> failures{0};
        // seen[t][level][keyword]: the set each thread got for each key.
        std::vector<std::vector<const event_set*>> seen(thread_count,
                                                        std::vector<const event_set*>(levels * keywords, nullptr));
        std::vector<std::thread> threads;
        for (int t = 0; t < thread_count; ++t) {
            threads.emplace_back([&, t] {
                event_builder b;  // per-thread
                while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
                for (int i = 0; i < events_per_thread; ++i) {
                    // Each thread walks the keys in its own order, so sets are
                    // first registered by different threads.
                    const int key = (i * 7 + t * 13) % (levels * keywords);
                    const auto level = static_cast<std::uint8_t>(1 + key / keywords);
                    event_set* set = p.register_set(level, keyword_of(key % keywords));
                    if (set == nullptr || set->level() != level) {
                        failures.fetch_add(1);
                        continue;
                    }
                    if (seen[t][key] == nullptr) seen[t][key] = set;
                    if (seen[t][key] != set) failures.fetch_add(1);
                    if (!set->enabled()) continue;
                    b.reset("Stress").add_value("thread", t).add_value("i", i);
                    auto s = b.begin_struct("s");
                    b.add_string("text", "payload");
                    b.end_struct(s);
                    if (b.write(*set) != 0) failures.fetch_add(1);
                }
            });
        }
        go.store(true, std::memory_order_release);
        for (auto& thread : threads) thread.join();

        EXPECT_EQ(failures.load(), 0);
        EXPECT_EQ(sink.events(), std::uint64_t{thread_count} * events_per_thread);
        // Exactly one set per key, the same one for every thread.
        std::set<const event_set*> distinct;
        for (int key = 0; key < levels * keywords; ++key) {
            for (int t = 0; t < thread_count; ++t) {
                EXPECT_EQ(seen[t][key], seen[0][key]);
                distinct.insert(seen[t][key]);
            }
            EXPECT_EQ(p.find_set(static_cast<std::uint8_t>(1 + key / keywords), keyword_of(key % keywords)),
                      seen[0][key]);
        }
        EXPECT_EQ(distinct.size(), std::size_t{levels * keywords});
    }
    ehtrace::set_sink(previous);
}

TEST(DynamicStress, EventsStayWholeUnderConcurrency) {
    dynamic_test::memory_capture capture;
    provider p("Stress_Bytes");
    constexpr int per_thread = 500;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            event_builder b;
            for (int i = 0; i < per_thread; ++i) {
                event_set* set = p.register_set(static_cast<std::uint8_t>(1 + (i + t) % 3), 0);
                b.reset("E").add_value("t", static_cast<std::uint8_t>(t)).add_string("s", std::string(t + 1, 'x'));
                ASSERT_EQ(b.write(*set), 0);
            }
        });
    }
    for (auto& thread : threads) thread.join();
    const auto records = capture.records();
    ASSERT_EQ(records.size(), 4u * per_thread);
    using namespace dynamic_test;
    for (const auto& r : records) {
        const int level = r.bytes.at(7);
        ASSERT_EQ(r.tracepoint_name, "Stress_Bytes_L" + std::to_string(level) + "K0");
        // metadata "E\0t\0\x02s\0\x0A" (8 bytes) then payload t, u16 n, n x's.
        const int thread = r.bytes.at(8 + 4 + 8);
        EXPECT_EQ(r.bytes, event(0, 0, 0, 0, level, cat({"E", "t", 0x02, "s", 0x0A}),
                                 cat({thread, u16(thread + 1), chars(std::string(thread + 1, 'x'))})));
    }
}

}  // namespace
