// Stress tests: concurrency, registration churn, fork and dlclose while a
// capture sink (.dat) records everything. The file is read back with the
// decoder and every event is accounted for: each (event, writer, sequence
// number) exactly once, no record torn or lost, nothing extra.
#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/capture_reader.hpp>
#include <ehtrace/decode/event_enumerator.hpp>
#include <ehtrace/dynamic.hpp>
#include <ehtrace/provider.hpp>
#include <ehtrace/sink.hpp>

#include <gtest/gtest.h>

#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

EHTRACE_PROVIDER(stress_static, "Stress_Static");
EHTRACE_PROVIDER(stress_churn, "Stress_Churn");

namespace {

using ehtrace::field;

// Sized so each test takes a few seconds under TSan on 2 loaded cores (under 1 s uninstrumented).
constexpr int writer_threads = 6;
constexpr int events_per_writer = 20000;
constexpr int child_events = 3000;
constexpr int child_writer = 1000;  // the "t" of the forked child's events

// What the file holds, keyed "<tracepoint>/<event>/<t>": how many times each
// sequence number "i" was seen.
struct tally {
    std::map<std::string, std::map<std::int32_t, int>> seen;
    std::size_t records = 0;
    std::size_t damaged = 0;
    std::string first_damage;

    // Count of distinct sequence numbers for a key, and whether each appears exactly once.
    [[nodiscard]] std::size_t distinct(const std::string& key) const {
        const auto found = seen.find(key);
        return found == seen.end() ? 0 : found->second.size();
    }
    [[nodiscard]] bool exactly_once(const std::string& key) const {
        const auto found = seen.find(key);
        if (found == seen.end()) return true;
        for (const auto& [i, count] : found->second) {
            if (count != 1) return false;
        }
        return true;
    }
};

std::int32_t read_i32(std::span<const std::byte> value) {
    std::int32_t v = 0;
    if (value.size() == sizeof v) std::memcpy(&v, value.data(), sizeof v);
    return v;
}

tally read_capture(const std::string& path) {
    using namespace ehtrace::decode;
    tally result;
    std::string error;
    auto source = byte_source::open(path, error);
    if (!source) {
        result.first_damage = error;
        ++result.damaged;
        return result;
    }
    capture_reader reader(*source);
    capture_record record;
    while (reader.next(record)) {
        ++result.records;
        event_enumerator e;
        if (e.start(record.tracepoint_name, record.event) != decode_error::none) {
            if (result.damaged++ == 0) result.first_damage = "bad header at offset " + std::to_string(record.offset);
            continue;
        }
        std::int32_t t = -1, i = -1;
        while (e.move_next()) {
            if (e.state() != enumerator_state::value) continue;
            if (e.item().name == "t") t = read_i32(e.item().value);
            if (e.item().name == "i") i = read_i32(e.item().value);
        }
        if (e.state() != enumerator_state::after_last || t < 0 || i < 0) {
            if (result.damaged++ == 0) result.first_damage = "bad event at offset " + std::to_string(record.offset);
            continue;
        }
        const std::string key = std::string(strip_tracepoint_system(record.tracepoint_name)) + "/" +
                                std::string(e.event().name) + "/" + std::to_string(t);
        ++result.seen[key][i];
    }
    if (reader.error()) {
        ++result.damaged;
        result.first_damage = reader.error().message + " at offset " + std::to_string(reader.error().offset);
    }
    return result;
}

std::string temp_path(const char* suffix) {
    return "/tmp/ehtrace-stress-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + suffix;
}

// A capture sink that is the current sink for the test's lifetime.
class capture_scope {
public:
    explicit capture_scope(std::string path) : path_(std::move(path)) {
        int error = 0;
        sink_ = ehtrace::capture_sink::open(path_, error);
        if (sink_) previous_ = ehtrace::set_sink(sink_.get());
    }
    ~capture_scope() {
        close();
        ::unlink(path_.c_str());
    }
    void close() {
        if (!sink_) return;
        ehtrace::set_sink(previous_);
        sink_.reset();
    }
    [[nodiscard]] bool ok() const { return sink_ != nullptr; }
    [[nodiscard]] ehtrace::sink* sink() const { return sink_.get(); }
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
    std::unique_ptr<ehtrace::capture_sink> sink_;
    ehtrace::sink* previous_ = nullptr;
};

int write_static(std::int32_t t, std::int32_t i) {
    // A length that varies per event, so records of different sizes interleave.
    const std::string pad(static_cast<std::size_t>((i * 7 + t) % 61), static_cast<char>('a' + t % 26));
    return EHTRACE_WRITE(stress_static, "Static", ehtrace::level<4>, ehtrace::keyword<0x1>, field<"t">(t),
                         field<"i">(i), field<"pad">(pad));
}

int write_dynamic(ehtrace::dynamic::event_set& set, std::int32_t t, std::int32_t i) {
    thread_local ehtrace::dynamic::event_builder builder;
    builder.reset("Dynamic").add_value("t", t).add_value("i", i);
    auto nested = builder.begin_struct("nested");
    builder.add_string("text", std::string_view("dynamic payload", static_cast<std::size_t>(i % 16)));
    builder.end_struct(nested);
    return builder.write(set);
}

// clang 14's AddressSanitizer does not lock its allocator around fork(): a
// child forked while another thread is inside malloc waits on that lock
// forever (seen here, in the child's operator new). The fork under load is
// tested in the other builds.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EHTRACE_STRESS_ASAN 1
#endif
#endif

TEST(Stress, WritersWithRegistrationChurnAndForkLoseNothing) {
#ifdef EHTRACE_STRESS_ASAN
    GTEST_SKIP() << "clang 14's ASan allocator can deadlock a child forked from a multithreaded process";
#endif
    capture_scope capture(temp_path(".dat"));
    ASSERT_TRUE(capture.ok());
    ehtrace::provider_registration registration(stress_static);
    ASSERT_EQ(registration.error(), 0);
    auto dynamic = std::make_unique<ehtrace::dynamic::provider>("Stress_Dynamic");
    ASSERT_EQ(dynamic->error(), 0);
    ehtrace::dynamic::event_set* set = dynamic->register_set(4, 0x2);
    ASSERT_NE(set, nullptr);
    ASSERT_EQ(set->registration_error(), 0);

    std::atomic<bool> go{false}, writers_done{false};
    std::atomic<int> progress{0}, failures{0};
    // Per writer: the churn-provider sequence numbers whose write returned 0.
    std::vector<std::vector<std::int32_t>> churn_written(writer_threads);
    std::atomic<int> churn_dynamic_written{0}, churn_rounds{0};

    std::vector<std::thread> threads;
    for (int t = 0; t < writer_threads; ++t) {
        threads.emplace_back([&, t] {
            while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
            for (std::int32_t i = 0; i < events_per_writer; ++i) {
                if (write_static(t, i) != 0) failures.fetch_add(1);
                if (write_dynamic(*set, t, i) != 0) failures.fetch_add(1);
                // Registered or not at this instant: 0 means it is in the file.
                const int churn = EHTRACE_WRITE(stress_churn, "Churn", ehtrace::level<5>, ehtrace::keyword<0x2>,
                                                field<"t">(t), field<"i">(i));
                if (churn == 0) churn_written[static_cast<std::size_t>(t)].push_back(i);
                else if (churn != EBADF) failures.fetch_add(1);
                progress.fetch_add(1, std::memory_order_relaxed);
            }
        });
    }
    // Registers and unregisters providers while the writers run: the
    // compile-time churn provider, and short-lived dynamic providers.
    std::thread churner([&] {
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        std::int32_t n = 0;
        while (!writers_done.load(std::memory_order_acquire)) {
            if (stress_churn.register_events() != 0) failures.fetch_add(1);
            {
                ehtrace::dynamic::provider short_lived("Stress_ChurnDynamic");
                auto* s = short_lived.register_set(3, 0x4);
                if (s == nullptr) {
                    failures.fetch_add(1);
                } else if (write_dynamic(*s, 0, n) == 0) {
                    ++n;
                    churn_dynamic_written.fetch_add(1);
                } else {
                    failures.fetch_add(1);
                }
            }  // unregistered and destroyed here
            std::this_thread::yield();
            if (stress_churn.unregister_events() != 0) failures.fetch_add(1);
            churn_rounds.fetch_add(1);
        }
    });

    go.store(true, std::memory_order_release);
    // Fork in the middle: the child writes with the inherited registrations
    // and exits; the parent's threads go on.
    while (progress.load(std::memory_order_relaxed) < writer_threads * events_per_writer / 2) {
        std::this_thread::yield();
    }
    const pid_t child = ::fork();
    ASSERT_GE(child, 0) << std::strerror(errno);
    if (child == 0) {
        int bad = 0;
        for (std::int32_t i = 0; i < child_events; ++i) {
            bad += write_static(child_writer, i) != 0;
            bad += write_dynamic(*set, child_writer, i) != 0;
        }
        ::_exit(bad == 0 ? 0 : 1);  // no atexit handlers, no destructors: the parent owns the file
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;

    for (auto& thread : threads) thread.join();
    writers_done.store(true, std::memory_order_release);
    churner.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_GT(churn_rounds.load(), 0);

    stress_static.unregister_events();
    dynamic.reset();
    capture.close();

    const tally found = read_capture(capture.path());
    EXPECT_EQ(found.damaged, 0u) << found.first_damage;
    std::size_t expected_records = 0;
    for (int t = 0; t < writer_threads; ++t) {
        const std::string tn = std::to_string(t);
        for (const std::string& key : {"Stress_Static_L4K1/Static/" + tn, "Stress_Dynamic_L4K2/Dynamic/" + tn}) {
            EXPECT_EQ(found.distinct(key), static_cast<std::size_t>(events_per_writer)) << key;
            EXPECT_TRUE(found.exactly_once(key)) << key;
            expected_records += events_per_writer;
        }
        const std::string churn_key = "Stress_Churn_L5K2/Churn/" + tn;
        const auto& written = churn_written[static_cast<std::size_t>(t)];
        EXPECT_EQ(found.distinct(churn_key), written.size()) << churn_key;
        EXPECT_TRUE(found.exactly_once(churn_key)) << churn_key;
        if (const auto it = found.seen.find(churn_key); it != found.seen.end()) {
            for (std::int32_t i : written) EXPECT_EQ(it->second.count(i), 1u) << churn_key << " i=" << i;
        }
        expected_records += written.size();
    }
    const std::string child_tn = std::to_string(child_writer);
    for (const std::string& key :
         {"Stress_Static_L4K1/Static/" + child_tn, "Stress_Dynamic_L4K2/Dynamic/" + child_tn}) {
        EXPECT_EQ(found.distinct(key), static_cast<std::size_t>(child_events)) << key;
        EXPECT_TRUE(found.exactly_once(key)) << key;
        expected_records += child_events;
    }
    const std::string churn_dynamic_key = "Stress_ChurnDynamic_L3K4/Dynamic/0";
    EXPECT_EQ(found.distinct(churn_dynamic_key), static_cast<std::size_t>(churn_dynamic_written.load()));
    EXPECT_TRUE(found.exactly_once(churn_dynamic_key));
    expected_records += static_cast<std::size_t>(churn_dynamic_written.load());
    EXPECT_EQ(found.records, expected_records);
}

struct plugin_api {
    void* handle = nullptr;
    ehtrace::sink* (*set_sink)(ehtrace::sink*) = nullptr;
    int (*register_events)() = nullptr;
    int (*unregister_events)() = nullptr;
    int (*write)(int, int) = nullptr;

    template <class F>
    void get(F& f, const char* name) {
        f = reinterpret_cast<F>(::dlsym(handle, name));
    }
    bool load() {
        handle = ::dlopen(EHTRACE_STRESS_PLUGIN, RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) return false;
        get(set_sink, "stress_plugin_set_sink");
        get(register_events, "stress_plugin_register");
        get(unregister_events, "stress_plugin_unregister");
        get(write, "stress_plugin_write");
        return set_sink && register_events && unregister_events && write;
    }
    void unload() {
        if (handle != nullptr) ::dlclose(handle);
        handle = nullptr;
    }
};

TEST(Stress, SharedObjectLoadedAndUnloadedWhileOthersWrite) {
    capture_scope capture(temp_path(".dat"));
    ASSERT_TRUE(capture.ok());
    ehtrace::provider_registration registration(stress_static);
    ASSERT_EQ(registration.error(), 0);

    constexpr int rounds = 100;
    constexpr int plugin_events = 20;
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::vector<std::int32_t> written(2, 0);
    std::vector<std::thread> writers;
    for (int t = 0; t < 2; ++t) {
        writers.emplace_back([&, t] {
            std::int32_t i = 0;
            while (!stop.load(std::memory_order_acquire) || i < 200) {
                if (write_static(t, i) != 0) failures.fetch_add(1);
                ++i;
            }
            written[static_cast<std::size_t>(t)] = i;
        });
    }
    int plugin_failures = 0, still_loaded = 0;
    for (int round = 0; round < rounds; ++round) {
        plugin_api plugin;
        ASSERT_TRUE(plugin.load()) << ::dlerror();
        ehtrace::sink* previous = plugin.set_sink(capture.sink());
        plugin_failures += plugin.register_events() != 0;
        for (int i = 0; i < plugin_events; ++i) plugin_failures += plugin.write(round, i) != 0;
        plugin_failures += plugin.unregister_events() != 0;
        plugin_failures += plugin.write(round, plugin_events) != EBADF;  // after unregistering: dropped
        plugin.set_sink(previous);
        plugin.unload();
        // Really gone: its provider, sites and copy of the library were unmapped.
        void* still = ::dlopen(EHTRACE_STRESS_PLUGIN, RTLD_NOW | RTLD_NOLOAD);
        if (still != nullptr) {
            ++still_loaded;
            ::dlclose(still);
        }
    }
    stop.store(true, std::memory_order_release);
    for (auto& w : writers) w.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(plugin_failures, 0);
    EXPECT_EQ(still_loaded, 0) << "dlclose did not unload the plugin";

    stress_static.unregister_events();
    capture.close();
    const tally found = read_capture(capture.path());
    EXPECT_EQ(found.damaged, 0u) << found.first_damage;
    std::size_t expected = 0;
    for (int round = 0; round < rounds; ++round) {
        const std::string key = "Stress_Plugin_L4K1/FromPlugin/" + std::to_string(round);
        EXPECT_EQ(found.distinct(key), static_cast<std::size_t>(plugin_events)) << key;
        EXPECT_TRUE(found.exactly_once(key)) << key;
        expected += plugin_events;
    }
    for (int t = 0; t < 2; ++t) {
        const std::string key = "Stress_Static_L4K1/Static/" + std::to_string(t);
        EXPECT_EQ(found.distinct(key), static_cast<std::size_t>(written[static_cast<std::size_t>(t)])) << key;
        EXPECT_TRUE(found.exactly_once(key)) << key;
        expected += static_cast<std::size_t>(written[static_cast<std::size_t>(t)]);
    }
    EXPECT_EQ(found.records, expected);
}

}  // namespace
