// The recorder's clock: the TSC fitted to CLOCK_MONOTONIC (see event_clock.hpp).
#include "event_clock.hpp"

#include <algorithm>
#include <limits>

#include <sys/prctl.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace ehtrace::detail {

bool cpu_has_invariant_tsc() noexcept {
#if defined(__x86_64__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(0x80000000u, &eax, &ebx, &ecx, &edx) == 0 || eax < 0x80000007u) return false;
    if (__get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx) == 0) return false;
    return (edx & (1u << 8)) != 0;
#else
    return false;
#endif
}

event_clock::pair event_clock::read_pair() noexcept {
#if defined(__x86_64__)
    // The clock read between two TSC reads, fenced so that none moves across
    // it; the narrowest of a few tries, timed at its middle.
    pair best;
    std::uint64_t narrowest = std::numeric_limits<std::uint64_t>::max();
    for (int i = 0; i < 5; ++i) {
        _mm_lfence();
        const std::uint64_t before = __rdtsc();
        _mm_lfence();
        const std::uint64_t ns = monotonic_ns();
        _mm_lfence();
        const std::uint64_t after = __rdtsc();
        _mm_lfence();
        if (after >= before && after - before < narrowest) {
            narrowest = after - before;
            best = {before + (after - before) / 2, ns};
        }
    }
    return best;
#else
    return {0, monotonic_ns()};
#endif
}

bool tsc_readable() noexcept {
#if defined(__x86_64__)
    // A thread set to fault on RDTSC (prctl PR_SET_TSC, as some sandboxes
    // do) would die of SIGSEGV at its first event.
    int mode = 0;
    return ::prctl(PR_GET_TSC, &mode, 0, 0, 0) != 0 || mode != PR_TSC_SIGSEGV;
#else
    return false;
#endif
}

void event_clock::start(bool allow_tsc) noexcept {
    publish(0, 0, 0);
    source_ = allow_tsc && cpu_has_invariant_tsc() && tsc_readable() ? source::tsc : source::monotonic;
    if (source_ == source::tsc) first_ = last_ = read_pair();
}

void event_clock::publish(std::uint64_t base_tsc, std::uint64_t base_ns, std::uint64_t mult) noexcept {
    const std::uint32_t sequence = sequence_.load(std::memory_order_relaxed);
    sequence_.store(sequence + 1, std::memory_order_relaxed);  // odd: readers use clock_gettime
    std::atomic_thread_fence(std::memory_order_release);
    base_tsc_.store(base_tsc, std::memory_order_relaxed);
    base_ns_.store(base_ns, std::memory_order_relaxed);
    mult_.store(mult, std::memory_order_relaxed);
    sequence_.store(sequence + 2, std::memory_order_release);
}

std::int64_t event_clock::calibrate(std::uint64_t horizon_ns) noexcept {
    if (source_ != source::tsc) return 0;
    // Not more often than every min_baseline_ns: the pairs' jitter (tens of
    // ns) over a short interval would shake the rate.
    if (monotonic_ns() - last_.ns < min_baseline_ns) return 0;
    const pair p = read_pair();
    if (p.tsc <= first_.tsc || p.ns <= first_.ns) {
        // The TSC went back (written, or a VM restored): a new baseline.
        publish(0, 0, 0);
        first_ = last_ = p;
        return 0;
    }
    // The rate over the whole baseline, ns per tick in 32.32 fixed point.
    const auto rate = static_cast<std::uint64_t>((static_cast<uint128>(p.ns - first_.ns) << 32) / (p.tsc - first_.tsc));
    const std::uint64_t base_tsc = base_tsc_.load(std::memory_order_relaxed);
    const std::uint64_t base_ns = base_ns_.load(std::memory_order_relaxed);
    const std::uint64_t mult = mult_.load(std::memory_order_relaxed);
    last_ = p;
    if (rate == 0) return 0;
    if (mult == 0) {
        publish(p.tsc, p.ns, rate);  // the first fit
        return 0;
    }
    const std::uint64_t at = convert(p.tsc, base_tsc, base_ns, mult);
    const auto error = static_cast<std::int64_t>(at - p.ns);
    if (error > max_error_ns || error < -max_error_ns) {
        // The TSC and the clock disagree (a paused or moved VM, a TSC that
        // is not what CPUID says): clock_gettime again until a new baseline
        // is long enough.
        publish(0, 0, 0);
        first_ = p;
        return error;
    }
    // Continuous at p.tsc; the error gone one horizon later: the slope
    // changes by error / horizon, at most 500 ppm of the rate.
    const std::uint64_t horizon = std::max<std::uint64_t>(horizon_ns, min_baseline_ns);
    const auto correction =
        std::clamp<int128>(static_cast<int128>(error) * static_cast<int128>(rate) / static_cast<int128>(horizon),
                           -static_cast<int128>(rate / 2000), static_cast<int128>(rate / 2000));
    publish(p.tsc, at, static_cast<std::uint64_t>(static_cast<int128>(rate) - correction));
    return error;
}

}  // namespace ehtrace::detail
