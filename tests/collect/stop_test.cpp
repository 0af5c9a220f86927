// Stopping a session: the library leaves the process's signal dispositions
// alone, and session::request_stop() ends a poll() loop at once, from another
// thread or from a signal handler the program installed itself.
#include <ehtrace/collect/session.hpp>

#include "collect_test_support.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <future>
#include <thread>

#include <pthread.h>

using namespace collect_test;
using ehtrace::collect::session;
using ehtrace::collect::session_options;

namespace {

constexpr int watched_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE, SIGCHLD};

struct disposition {
    int sig;
    struct sigaction action;
};

std::vector<disposition> dispositions() {
    std::vector<disposition> out;
    for (int sig : watched_signals) {
        disposition d{sig, {}};
        ::sigaction(sig, nullptr, &d.action);
        out.push_back(d);
    }
    return out;
}

void expect_same(const std::vector<disposition>& before, const std::vector<disposition>& after) {
    ASSERT_EQ(before.size(), after.size());
    for (std::size_t i = 0; i != before.size(); ++i) {
        const auto& a = before[i].action;
        const auto& b = after[i].action;
        EXPECT_EQ(reinterpret_cast<void*>(a.sa_handler), reinterpret_cast<void*>(b.sa_handler))
            << "signal " << before[i].sig << " (" << ::strsignal(before[i].sig) << ")";
        EXPECT_EQ(a.sa_flags, b.sa_flags) << "signal " << before[i].sig;
        // Member by member: the bytes of sigset_t beyond the kernel's mask
        // are not defined.
        for (int m = 1; m < NSIG; ++m) {
            EXPECT_EQ(sigismember(&a.sa_mask, m), sigismember(&b.sa_mask, m)) << "signal " << before[i].sig;
        }
    }
}

// A tracepoint that fires only on exec: the rings stay below their wake-up
// watermark, so only a stop request can end a long poll() early.
constexpr char quiet_tracepoint[] = "sched:sched_process_exec";

// A session collecting the quiet tracepoint, started.
class CollectStopRunning : public ::testing::Test {
protected:
    void SetUp() override {
        if (auto why = sched_unavailable(); !why.empty()) GTEST_SKIP() << why;
        std::string error;
        ASSERT_EQ(s.add(quiet_tracepoint, &error), 0) << error;
        ASSERT_EQ(s.start(&error), 0) << error;
    }
    session s;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST(CollectStop, SessionsLeaveSignalDispositionsAlone) {
    const auto before = dispositions();
    temp_dir dir;
    {
        session_options o;
        o.tracefs = dir / "missing";
        session s(o);
        std::string error;
        EXPECT_NE(s.start(&error), 0);
        s.request_stop();
        s.stop();
    }
    expect_same(before, dispositions());
    if (auto why = sched_unavailable(); !why.empty()) GTEST_SKIP() << why;
    {
        session s;
        std::string error;
        ASSERT_EQ(s.add(quiet_tracepoint, &error), 0) << error;
        ASSERT_EQ(s.set_output(dir / "out.data"), 0);
        ASSERT_EQ(s.start(&error), 0) << error;
        EXPECT_EQ(s.poll(1), 0);
        s.request_stop();
        EXPECT_EQ(s.poll(1), ECANCELED);
        EXPECT_EQ(s.stop(), 0);
    }
    expect_same(before, dispositions());
}

TEST_F(CollectStopRunning, RequestFromAnotherThreadEndsAWaitingPoll) {
    EXPECT_FALSE(s.stop_requested());
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        s.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    int polls = 0;
    while (s.poll(60'000) != ECANCELED) ++polls;
    const double waited = seconds_since(start);
    stopper.join();
    EXPECT_TRUE(s.stop_requested());
    EXPECT_LT(waited, 10.0) << "poll() slept through the stop request (" << polls << " polls)";
    EXPECT_EQ(s.poll(60'000), ECANCELED);  // no wait once asked
    EXPECT_LT(seconds_since(start), 10.0);
    EXPECT_EQ(s.stop(), 0);
    EXPECT_FALSE(s.running());
}

namespace {
std::atomic<session*> g_signalled_session{nullptr};
std::atomic<int> g_errno_after_request{0};

extern "C" void request_stop_on_signal(int) {
    errno = EDOM;  // what the interrupted code had; request_stop must keep it
    if (auto* s = g_signalled_session.load()) s->request_stop();
    g_errno_after_request.store(errno);
}
}  // namespace

TEST_F(CollectStopRunning, RequestFromASignalHandlerEndsAPollInAnotherThread) {
    struct sigaction handler {
    }, old{};
    handler.sa_handler = request_stop_on_signal;
    sigemptyset(&handler.sa_mask);
    ASSERT_EQ(::sigaction(SIGUSR2, &handler, &old), 0);
    g_signalled_session.store(&s);

    // The poller blocks the signal, so its poll() is not interrupted (no
    // EINTR): only the handler's request, running in this thread, wakes it.
    std::promise<void> polling;
    std::promise<int> result;
    std::thread poller([&] {
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGUSR2);
        ::pthread_sigmask(SIG_BLOCK, &block, nullptr);
        polling.set_value();
        int r = 0;
        while ((r = s.poll(60'000)) == 0) {}
        result.set_value(r);
    });
    polling.get_future().wait();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(::pthread_kill(::pthread_self(), SIGUSR2), 0);
    auto done = result.get_future();
    const bool woke = done.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    if (!woke) s.request_stop();  // never leave the poller behind
    poller.join();
    EXPECT_TRUE(woke) << "poll() slept through the stop request";
    EXPECT_EQ(done.get(), ECANCELED);
    EXPECT_LT(seconds_since(start), 10.0);
    EXPECT_EQ(g_errno_after_request.load(), EDOM);

    g_signalled_session.store(nullptr);
    ::sigaction(SIGUSR2, &old, nullptr);
    EXPECT_EQ(s.stop(), 0);
}
