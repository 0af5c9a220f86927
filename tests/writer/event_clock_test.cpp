// The recorder's clock and CPU number (src/writer/event_clock.hpp): the TSC
// converted to CLOCK_MONOTONIC stays close to clock_gettime and never goes
// back on a thread, refits included; the CPU number from the rseq area is
// the one sched_getcpu() gives.
#include "event_clock.hpp"

#include <gtest/gtest.h>

#include <sched.h>
#include <sys/prctl.h>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using ehtrace::detail::event_clock;

void sleep_ms(long ms) {
    const ::timespec t{ms / 1000, (ms % 1000) * 1000000};
    ::nanosleep(&t, nullptr);
}

// The CPUs this thread may run on.
std::vector<int> allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (::sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
    return cpus;
}

// The kernel's clock source. With "tsc", the vDSO's clock_gettime reads the
// TSC itself, so a thread that faults on RDTSC faults in clock_gettime too.
std::string current_clocksource() {
    std::ifstream in("/sys/devices/system/clocksource/clocksource0/current_clocksource");
    std::string name;
    in >> name;
    return name;
}

}  // namespace

// Pinned to each CPU in turn, current_cpu() names that CPU (from the rseq
// area where glibc registered one, else from sched_getcpu()).
TEST(CurrentCpu, NamesTheCpuTheThreadIsPinnedTo) {
    const std::vector<int> cpus = allowed_cpus();
    ASSERT_FALSE(cpus.empty());
    cpu_set_t original;
    ASSERT_EQ(::sched_getaffinity(0, sizeof original, &original), 0);
    for (int cpu : cpus) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        ASSERT_EQ(::sched_setaffinity(0, sizeof one, &one), 0);
        ::sched_yield();  // the move happens by the next return to user space at the latest
        EXPECT_EQ(ehtrace::detail::current_cpu(), static_cast<std::uint32_t>(cpu));
        EXPECT_EQ(::sched_getcpu(), cpu);
    }
    ASSERT_EQ(::sched_setaffinity(0, sizeof original, &original), 0);
}

// glibc 2.35+ registers rseq for every thread unless told not to; this
// machine's tests run with a glibc and kernel that do, so the fast path is
// the one tested above. (Under valgrind rseq is refused and sched_getcpu()
// answers: the same values through the fallback.)
TEST(CurrentCpu, ReadsTheRseqAreaWhereGlibcRegisteredOne) {
#if defined(RSEQ_SIG) && defined(__x86_64__)
    if (__rseq_size == 0) GTEST_SKIP() << "glibc registered no rseq area (valgrind, a tunable or an old kernel)";
    EXPECT_TRUE(ehtrace::detail::rseq_cpu_available());
    // A new thread's area is registered too: its CPU is a valid one.
    std::uint32_t seen = 0xFFFFFFFFu;
    std::thread([&] { seen = ehtrace::detail::current_cpu(); }).join();
    EXPECT_LT(seen, static_cast<std::uint32_t>(CPU_SETSIZE));
#else
    GTEST_SKIP() << "the rseq area is read directly on x86-64 with glibc 2.35+ only";
#endif
}

TEST(EventClock, ConvertsWithTheLine) {
    constexpr std::uint64_t half = std::uint64_t{1} << 31;  // 0.5 ns per tick
    EXPECT_EQ(event_clock::convert(3000, 1000, 5'000'000'000, half), 5'000'001'000u);
    EXPECT_EQ(event_clock::convert(1000, 1000, 5'000'000'000, half), 5'000'000'000u);
    // A TSC read before the line's start (a refit raced the read): earlier.
    EXPECT_EQ(event_clock::convert(0, 1000, 5'000'000'000, half), 4'999'999'500u);
    // Large deltas do not overflow: 2^40 ticks at 0.5 ns.
    EXPECT_EQ(event_clock::convert(1000 + (std::uint64_t{1} << 40), 1000, 0, half), std::uint64_t{1} << 39);
}

TEST(EventClock, MonotonicSourceIsClockGettime) {
    event_clock clock;
    clock.start(false);
    EXPECT_EQ(clock.configured(), event_clock::source::monotonic);
    const std::uint64_t before = ehtrace::detail::monotonic_ns();
    sleep_ms(15);
    EXPECT_EQ(clock.calibrate(50'000'000), 0);
    EXPECT_FALSE(clock.tsc_active());
    const std::uint64_t t = clock.now();
    const std::uint64_t after = ehtrace::detail::monotonic_ns();
    EXPECT_GE(t, before);
    EXPECT_LE(t, after);
}

// A thread set to fault on RDTSC (prctl PR_SET_TSC) gets clock_gettime:
// the TSC is never read there.
TEST(EventClock, ThreadThatMayNotReadTheTscUsesClockGettime) {
    if (!ehtrace::detail::cpu_has_invariant_tsc()) GTEST_SKIP() << "this CPU has no invariant TSC";
    if (current_clocksource() == "tsc") GTEST_SKIP() << "clock_gettime itself reads the TSC here (clock source tsc)";
    EXPECT_TRUE(ehtrace::detail::tsc_readable());
    std::thread([] {
        if (::prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0) return;  // the setting is this thread's
        EXPECT_FALSE(ehtrace::detail::tsc_readable());
        event_clock clock;
        clock.start(true);
        EXPECT_EQ(clock.configured(), event_clock::source::monotonic);
        sleep_ms(15);
        clock.calibrate(50'000'000);
        EXPECT_FALSE(clock.tsc_active());
        EXPECT_GT(clock.now(), 0u);
        ::prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
    }).join();
}

// With an invariant TSC: clock_gettime until the first fit (a baseline of
// at least 10 ms), then TSC reads within a few microseconds of clock_gettime
// (the bound asserted is 50 us, for a busy machine), never going back across
// a second of refits every 20 ms.
TEST(EventClock, TscTimesStayCloseToClockGettimeAndNeverGoBack) {
    if (!ehtrace::detail::cpu_has_invariant_tsc()) GTEST_SKIP() << "this CPU has no invariant TSC";
    event_clock clock;
    clock.start(true);
    ASSERT_EQ(clock.configured(), event_clock::source::tsc);
    EXPECT_FALSE(clock.tsc_active());
    clock.calibrate(20'000'000);  // too early: no fit yet
    EXPECT_FALSE(clock.tsc_active());
    sleep_ms(15);
    clock.calibrate(20'000'000);
    ASSERT_TRUE(clock.tsc_active());

    constexpr std::int64_t bound_ns = 50'000;
    std::int64_t worst = 0, worst_from_middle = 0, worst_fit_error = 0;
    std::uint64_t previous = 0;
    const std::uint64_t end = ehtrace::detail::monotonic_ns() + 1'000'000'000;
    std::uint64_t next_fit = 0;
    long reads = 0;
    for (std::uint64_t now = 0; now < end;) {
        const std::uint64_t before = ehtrace::detail::monotonic_ns();
        const std::uint64_t t = clock.now();
        now = ehtrace::detail::monotonic_ns();
        ++reads;
        ASSERT_GE(t, previous) << "went back after " << reads << " reads";
        previous = t;
        // Outside [before, after] by at most bound_ns.
        const std::int64_t early = static_cast<std::int64_t>(before - t);
        const std::int64_t late = static_cast<std::int64_t>(t - now);
        worst = std::max({worst, early, late});
        const std::int64_t from_middle = static_cast<std::int64_t>(t - (before + (now - before) / 2));
        if (now - before < 200) {  // a narrow window: the thread was not preempted in it
            worst_from_middle = std::max(worst_from_middle, from_middle < 0 ? -from_middle : from_middle);
        }
        if (now >= next_fit) {
            const std::int64_t error = clock.calibrate(20'000'000);
            EXPECT_LE(error, bound_ns);
            EXPECT_GE(error, -bound_ns);
            worst_fit_error = std::max(worst_fit_error, error < 0 ? -error : error);
            ASSERT_TRUE(clock.tsc_active());
            next_fit = now + 20'000'000;
        }
    }
    EXPECT_LE(worst, bound_ns) << "worst distance outside the clock_gettime window, ns";
    std::printf(
        "[ info ] %ld reads; worst distance outside the clock_gettime window %lld ns, from its middle (windows under "
        "200 ns) %lld ns;"
        " worst error at a refit %lld ns\n",
        reads, static_cast<long long>(worst), static_cast<long long>(worst_from_middle),
        static_cast<long long>(worst_fit_error));
}
