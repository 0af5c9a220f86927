// The signals of ehtrace-collect and ehtrace-register: SIGINT, SIGTERM and
// SIGHUP end the tool cleanly (the output file finished) instead of killing
// it; SIGUSR1 asks for a snapshot (ehtrace-collect --circular). The
// collector library installs no handler of its own, so the tools own these
// process-wide choices here.
#pragma once

#include <ehtrace/collect/session.hpp>

#include <atomic>
#include <csignal>

namespace ehtrace_tools {

namespace stop_signals_state {
// Touched by the handler: only lock-free atomics are safe there.
inline std::atomic<int> stop_signal{0};
inline std::atomic<int> save_requests{0};
inline std::atomic<ehtrace::collect::session*> session{nullptr};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<ehtrace::collect::session*>::is_always_lock_free);

inline void on_signal(int sig) {
    if (sig == SIGUSR1) {
        save_requests.fetch_add(1);
        return;
    }
    stop_signal.store(sig);
    if (auto* s = session.load()) s->request_stop();
}
}  // namespace stop_signals_state

// Installs the handlers for the lifetime of the process; while the object
// lives, a stop signal also wakes `wake`'s poll() at once (not only when the
// signal happens to interrupt it). No SA_RESTART: a blocking call such as
// pause() or poll() returns EINTR.
class stop_signals {
public:
    explicit stop_signals(ehtrace::collect::session* wake = nullptr) {
        stop_signals_state::session.store(wake);
        struct sigaction sa {};
        sa.sa_handler = stop_signals_state::on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) ::sigaction(sig, &sa, nullptr);
    }
    // The handlers stay: a late signal only sets the flags, it never reaches
    // a session that is gone.
    ~stop_signals() { stop_signals_state::session.store(nullptr); }
    stop_signals(const stop_signals&) = delete;
    stop_signals& operator=(const stop_signals&) = delete;

    [[nodiscard]] bool stop_requested() const noexcept { return stop_signals_state::stop_signal.load() != 0; }
    // The signal that asked to stop, 0 if none.
    [[nodiscard]] int signal() const noexcept { return stop_signals_state::stop_signal.load(); }
    // True once per SIGUSR1 received since the last call.
    [[nodiscard]] bool take_save_request() noexcept {
        int pending = stop_signals_state::save_requests.load();
        while (pending > 0 && !stop_signals_state::save_requests.compare_exchange_weak(pending, pending - 1)) {}
        return pending > 0;
    }
};

}  // namespace ehtrace_tools
