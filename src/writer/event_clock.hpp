// The recorder's per-event clock and CPU number (src/writer/capture.cpp).
//
// event_clock gives CLOCK_MONOTONIC nanoseconds. Where the CPU has an
// invariant TSC (x86-64, CPUID 0x80000007 EDX bit 8) it reads the TSC and
// converts it with a line fitted against clock_gettime, which the recorder's
// writer thread refits at every pass (calibrate()); elsewhere, before the
// first fit, after a fit found the two clocks apart, or when told to
// (EHTRACE_CAPTURE_CLOCK=monotonic), it calls clock_gettime. The line is
// published with a sequence lock: readers take no lock and write nothing.
//
// current_cpu() reads the CPU number from the rseq area glibc registers for
// each thread (glibc 2.35+, <sys/rseq.h>), else calls sched_getcpu().
//
// Neither is monotonic across threads by construction: the recorder keeps
// each thread's times in order itself (see capture.cpp).
#pragma once

#include <sched.h>
#include <atomic>
#include <cstdint>
#include <ctime>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#endif

namespace ehtrace::detail {

// 128-bit products for the fixed-point conversion (a GCC and Clang extension).
__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

inline std::uint64_t monotonic_ns() noexcept {
    ::timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

// Whether glibc registered an rseq area for the threads of this process
// (glibc 2.35+ sets __rseq_size to 0 when it did not: under valgrind, with
// GLIBC_TUNABLES=glibc.pthread.rseq=0, or on a kernel without rseq). Only
// read directly on x86-64; elsewhere sched_getcpu() (which glibc 2.35+
// answers from the same field, through a call).
inline bool rseq_cpu_available() noexcept {
#if defined(RSEQ_SIG) && defined(__x86_64__)
    return __rseq_size >= 8;  // cpu_id is bytes 4 to 7
#else
    return false;
#endif
}

// The CPU this thread runs on (as sched_getcpu(); 0 when unknown): the
// cpu_id field of the thread's rseq area, one load against a library call.
// A thread whose registration failed has a negative cpu_id there.
inline std::uint32_t current_cpu() noexcept {
#if defined(RSEQ_SIG) && defined(__x86_64__)
    if (rseq_cpu_available()) [[likely]] {
        // %fs points at the thread's TCB, which holds the area; volatile:
        // the thread may move between two reads.
        std::int32_t cpu;
        asm volatile("movl %%fs:(%1), %0" : "=r"(cpu) : "r"(__rseq_offset + 4));
        if (cpu >= 0) [[likely]]
            return static_cast<std::uint32_t>(cpu);
    }
#endif
    const int cpu = ::sched_getcpu();
    return cpu < 0 ? 0u : static_cast<std::uint32_t>(cpu);
}

// Whether this thread may read the TSC: false when prctl(PR_SET_TSC) set it
// to fault (a sandbox). Always false off x86-64.
bool tsc_readable() noexcept;

// Whether this CPU's TSC runs at a constant rate in every power state
// (CPUID 0x80000007 EDX bit 8, "invariant TSC"; Linux's constant_tsc and
// nonstop_tsc). Always false off x86-64.
bool cpu_has_invariant_tsc() noexcept;

class event_clock {
public:
    enum class source : std::uint8_t {
        monotonic,  // clock_gettime(CLOCK_MONOTONIC) per read
        tsc,        // the TSC, converted (once calibrated; clock_gettime until then)
    };

    // A TSC and CLOCK_MONOTONIC read together.
    struct pair {
        std::uint64_t tsc = 0, ns = 0;
    };

    // A fit is not trusted before the two clocks have run this long, and a
    // fit that finds them further apart than max_error starts again.
    static constexpr std::uint64_t min_baseline_ns = 10'000'000;
    static constexpr std::int64_t max_error_ns = 1'000'000;

    event_clock() = default;
    event_clock(const event_clock&) = delete;
    event_clock& operator=(const event_clock&) = delete;

    // `allow_tsc` false, no invariant TSC, or a thread set to fault on
    // RDTSC (the caller's; threads share the setting unless one changes
    // it): clock_gettime only. Otherwise
    // takes the first calibration pair; TSC reads begin at the first
    // calibrate() at least min_baseline_ns later. Not thread-safe (before
    // any reader).
    void start(bool allow_tsc) noexcept;

    [[nodiscard]] source configured() const noexcept { return source_; }
    // Whether reads use the TSC now (a fit is published).
    [[nodiscard]] bool tsc_active() const noexcept { return mult_.load(std::memory_order_relaxed) != 0; }

    // CLOCK_MONOTONIC nanoseconds, from the TSC when a fit is published.
    // Lock-free; safe from any thread and in a signal handler.
    [[nodiscard]] std::uint64_t now() const noexcept {
#if defined(__x86_64__)
        std::uint64_t base_tsc, base_ns, mult;
        if (read_line(base_tsc, base_ns, mult)) [[likely]]
            return convert(__rdtsc(), base_tsc, base_ns, mult);
#endif
        return monotonic_ns();
    }

    // Refits the line against clock_gettime (the writer thread, every pass;
    // callers serialise). The new line starts where the old one is at this
    // moment (no step) and runs at the measured rate, corrected so that the
    // error seen now is gone one `horizon_ns` later (at most 500 ppm off the
    // measured rate). Returns the error seen (converted TSC minus
    // clock_gettime, ns), 0 when no fit was published.
    std::int64_t calibrate(std::uint64_t horizon_ns) noexcept;

    // A TSC and clock_gettime read close together: the best of a few tries.
    static pair read_pair() noexcept;

    // The fixed-point conversion: base_ns + (tsc - base_tsc) * mult / 2^32.
    static std::uint64_t convert(std::uint64_t tsc, std::uint64_t base_tsc, std::uint64_t base_ns,
                                 std::uint64_t mult) noexcept {
        const auto delta = static_cast<std::int64_t>(tsc - base_tsc);  // a read before the line's start: < 0
        const auto scaled = static_cast<int128>(delta) * static_cast<int128>(mult);
        return base_ns + static_cast<std::uint64_t>(static_cast<std::int64_t>(scaled >> 32));
    }

private:
    // The published line (a sequence lock: odd while being changed). A
    // read that meets a change reports no line, and the caller uses
    // clock_gettime this once: no reader ever waits (a signal handler may
    // interrupt the thread that publishes).
    [[nodiscard]] bool read_line(std::uint64_t& base_tsc, std::uint64_t& base_ns, std::uint64_t& mult) const noexcept {
        const std::uint32_t before = sequence_.load(std::memory_order_acquire);
        base_tsc = base_tsc_.load(std::memory_order_relaxed);
        base_ns = base_ns_.load(std::memory_order_relaxed);
        mult = mult_.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        return mult != 0 && (before & 1) == 0 && sequence_.load(std::memory_order_relaxed) == before;
    }
    void publish(std::uint64_t base_tsc, std::uint64_t base_ns, std::uint64_t mult) noexcept;

    std::atomic<std::uint32_t> sequence_{0};
    std::atomic<std::uint64_t> base_tsc_{0}, base_ns_{0}, mult_{0};  // mult 0: no fit, clock_gettime
    // Calibration state (calibrate()'s caller only).
    source source_ = source::monotonic;
    pair first_;  // the start of the rate's baseline
    pair last_;   // the previous calibration
};

}  // namespace ehtrace::detail
