// The event shapes every benchmark and the instruction-count driver use, so
// the time figures (ehtrace-bench) and the instruction counts
// (ehtrace-bench-count) measure the same code.
//
//   4-field event "Bench4", level 4: i32 "x", f64 "d", zero-terminated char
//   string "s" (11 chars), u64 "u".
//
//   mixed event "BenchMixed", level 4: an activity id; counted strings
//   "path" (16 bytes), "agent" (40 bytes), "message" (64 bytes); a
//   variable-length array "samples" of 16 u32; a struct "request" of i32
//   "status", u64 "bytes", f64 "seconds", bool "cached".
//
//   nested event "BenchNested", level 4 (issue 18's "mixed" shape, measured
//   side by side with the reference implementation): uuid "id", counted
//   string "path" (16 bytes), variable-length u32[16] "samples", struct
//   "request" { i32 "status", struct "timing" { f64 "seconds", u64 "bytes" },
//   counted string "agent" (40 bytes) }.
//
//   64-field event "Bench64", level 4: the 4-field pattern 16 times, fields
//   "x0", "d0", "s0", "u0" ... "x15", "d15", "s15", "u15".
//
// The values the timed loops write come from another translation unit
// (bench_values.cpp), so the compiler cannot fold them (e.g. the strlen of
// a constant string): the loops run what a program writing its own data runs.
//
// The compile-time writes are macros because a write site is a static
// object: each provider needs its own sites.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include <ehtrace/dynamic.hpp>
#include <ehtrace/provider.hpp>
#include <ehtrace/ranges.hpp>
#include <ehtrace/sink.hpp>

namespace ehtrace_bench {

// Always enabled, keeps and counts nothing: with it, a benchmark measures
// the library's encoding and dispatch without counting_sink's two atomic
// read-modify-writes per event (a diagnostic beside the counting_sink runs).
class noop_sink final : public ehtrace::sink {
public:
    int add(ehtrace::basic_tracepoint& tp) noexcept override {
        tp.enable_word().store(1u << ehtrace::basic_tracepoint::enable_bit, std::memory_order_relaxed);
        return 0;
    }
    void remove(ehtrace::basic_tracepoint& tp) noexcept override {
        tp.enable_word().store(0, std::memory_order_relaxed);
    }
    int write(const ehtrace::basic_tracepoint&, ::iovec*, int, std::size_t) noexcept override { return 0; }
    std::string describe() const override { return "no-op sink"; }
};

inline constexpr char string11[] = "hello world";  // the 11-character "s"
static_assert(sizeof string11 == 12);

struct values4 {
    std::int32_t x = 42;
    double d = 3.25;
    const char* s = string11;
    std::uint64_t u = 0x1234567890ull;
};

inline constexpr std::string_view path16 = "/api/v1/accounts";
inline constexpr std::string_view agent40 = "Mozilla/5.0 (X11; Linux x86_64) ehtrace1";
inline constexpr std::string_view message64 = "request completed after 3 retries; upstream answered 200 OK fast";
static_assert(path16.size() == 16 && agent40.size() == 40 && message64.size() == 64);

struct mixed_values {
    std::string_view path = path16;
    std::string_view agent = agent40;
    std::string_view message = message64;
    std::array<std::uint32_t, 16> samples{};
    std::int32_t status = 200;
    std::uint64_t bytes = 18432;
    double seconds = 0.0125;
    bool cached = true;
    ehtrace::uuid activity{};

    mixed_values() noexcept {
        for (std::uint32_t i = 0; i < samples.size(); ++i) samples[i] = i * 37u + 5u;
        for (std::uint8_t i = 0; i < 16; ++i) activity.bytes[i] = static_cast<std::uint8_t>(0xA0u + i);
    }
};

struct nested_values {
    ehtrace::uuid id{};
    std::string_view path = path16;
    std::array<std::uint32_t, 16> samples{};
    std::int32_t status = 200;
    double seconds = 0.0125;
    std::uint64_t bytes = 18432;
    std::string_view agent = agent40;

    nested_values() noexcept {
        for (std::uint32_t i = 0; i < samples.size(); ++i) samples[i] = i * 37u + 5u;
        for (std::uint8_t i = 0; i < 16; ++i) id.bytes[i] = static_cast<std::uint8_t>(0xB0u + i);
    }
};

// The 64-field event's values: one values4 per group of 4 fields.
struct values64 {
    std::array<values4, 16> group{};
};

// Defined in bench_values.cpp, out of the compiler's sight where the
// benchmarks and the instruction-count loops use them.
const values4& shared_values4() noexcept;
const mixed_values& shared_mixed_values() noexcept;
const nested_values& shared_nested_values() noexcept;
const values64& shared_values64() noexcept;

// The same events through the dynamic builder (event set looked up once by
// the caller, builder reused). Each returns 0 or an errno value.
inline int write_dynamic4(ehtrace::dynamic::event_builder& b, const ehtrace::dynamic::event_set& set,
                          const values4& v) noexcept {
    if (!set.enabled()) return EBADF;
    b.reset("Bench4");
    b.add_value("x", v.x);
    b.add_value("d", v.d);
    b.add_zstring("s", v.s);
    b.add_value("u", v.u);
    return b.write(set);
}

inline int write_dynamic_mixed(ehtrace::dynamic::event_builder& b, const ehtrace::dynamic::event_set& set,
                               const mixed_values& v) noexcept {
    if (!set.enabled()) return EBADF;
    b.reset("BenchMixed");
    b.add_string("path", v.path);
    b.add_string("agent", v.agent);
    b.add_string("message", v.message);
    b.add_array("samples", v.samples.data(), v.samples.size());
    auto request = b.begin_struct("request");
    b.add_value("status", v.status);
    b.add_value("bytes", v.bytes);
    b.add_value("seconds", v.seconds);
    b.add_value("cached", v.cached);
    b.end_struct(request);
    return b.write(set, v.activity.bytes);
}

inline int write_dynamic_nested(ehtrace::dynamic::event_builder& b, const ehtrace::dynamic::event_set& set,
                                const nested_values& v) noexcept {
    if (!set.enabled()) return EBADF;
    b.reset("BenchNested");
    b.add_uuid("id", v.id.bytes);
    b.add_string("path", v.path);
    b.add_array("samples", v.samples.data(), v.samples.size());
    auto request = b.begin_struct("request");
    b.add_value("status", v.status);
    auto timing = b.begin_struct("timing");
    b.add_value("seconds", v.seconds);
    b.add_value("bytes", v.bytes);
    b.end_struct(timing);
    b.add_string("agent", v.agent);
    b.end_struct(request);
    return b.write(set);
}

#define EHTRACE_BENCH_DYNAMIC_GROUP(b, g, n) \
    (b).add_value("x" #n, (g)[n].x);         \
    (b).add_value("d" #n, (g)[n].d);         \
    (b).add_zstring("s" #n, (g)[n].s);       \
    (b).add_value("u" #n, (g)[n].u)

inline int write_dynamic64(ehtrace::dynamic::event_builder& b, const ehtrace::dynamic::event_set& set,
                           const values64& v) noexcept {
    if (!set.enabled()) return EBADF;
    b.reset("Bench64");
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 0);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 1);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 2);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 3);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 4);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 5);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 6);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 7);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 8);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 9);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 10);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 11);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 12);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 13);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 14);
    EHTRACE_BENCH_DYNAMIC_GROUP(b, v.group, 15);
    return b.write(set);
}

}  // namespace ehtrace_bench

#define EHTRACE_BENCH_WRITE4(provider, v)                                                                              \
    EHTRACE_WRITE(provider, "Bench4", ::ehtrace::level<4>, ::ehtrace::field<"x">((v).x), ::ehtrace::field<"d">((v).d), \
                  ::ehtrace::field<"s">((v).s), ::ehtrace::field<"u">((v).u))

#define EHTRACE_BENCH_WRITE_MIXED(provider, v)                                                      \
    EHTRACE_WRITE(provider, "BenchMixed", ::ehtrace::level<4>, ::ehtrace::activity((v).activity),   \
                  ::ehtrace::field<"path">((v).path), ::ehtrace::field<"agent">((v).agent),         \
                  ::ehtrace::field<"message">((v).message),                                         \
                  ::ehtrace::field<"samples">(std::span<const std::uint32_t>((v).samples)),         \
                  ::ehtrace::struct_<"request">(                                                    \
                      ::ehtrace::field<"status">((v).status), ::ehtrace::field<"bytes">((v).bytes), \
                      ::ehtrace::field<"seconds">((v).seconds), ::ehtrace::field<"cached">((v).cached)))

#define EHTRACE_BENCH_WRITE_NESTED(provider, v)                                                                        \
    EHTRACE_WRITE(provider, "BenchNested", ::ehtrace::level<4>, ::ehtrace::field<"id">((v).id),                        \
                  ::ehtrace::field<"path">((v).path),                                                                  \
                  ::ehtrace::field<"samples">(std::span<const std::uint32_t>((v).samples)),                            \
                  ::ehtrace::struct_<"request">(::ehtrace::field<"status">((v).status),                                \
                                                ::ehtrace::struct_<"timing">(::ehtrace::field<"seconds">((v).seconds), \
                                                                             ::ehtrace::field<"bytes">((v).bytes)),    \
                                                ::ehtrace::field<"agent">((v).agent)))

#define EHTRACE_BENCH_GROUP(g, n)                                                                               \
    ::ehtrace::field<"x" #n>((g)[n].x), ::ehtrace::field<"d" #n>((g)[n].d), ::ehtrace::field<"s" #n>((g)[n].s), \
        ::ehtrace::field<"u" #n>((g)[n].u)

#define EHTRACE_BENCH_WRITE64(provider, v)                                                                          \
    EHTRACE_WRITE(                                                                                                  \
        provider, "Bench64", ::ehtrace::level<4>, EHTRACE_BENCH_GROUP((v).group, 0),                                \
        EHTRACE_BENCH_GROUP((v).group, 1), EHTRACE_BENCH_GROUP((v).group, 2), EHTRACE_BENCH_GROUP((v).group, 3),    \
        EHTRACE_BENCH_GROUP((v).group, 4), EHTRACE_BENCH_GROUP((v).group, 5), EHTRACE_BENCH_GROUP((v).group, 6),    \
        EHTRACE_BENCH_GROUP((v).group, 7), EHTRACE_BENCH_GROUP((v).group, 8), EHTRACE_BENCH_GROUP((v).group, 9),    \
        EHTRACE_BENCH_GROUP((v).group, 10), EHTRACE_BENCH_GROUP((v).group, 11), EHTRACE_BENCH_GROUP((v).group, 12), \
        EHTRACE_BENCH_GROUP((v).group, 13), EHTRACE_BENCH_GROUP((v).group, 14), EHTRACE_BENCH_GROUP((v).group, 15))
