// Sink selection and the in-process sinks for tests and benchmarks.
#include <ehtrace/sink.hpp>

#include <sys/uio.h>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <utility>

namespace ehtrace {
namespace {

std::atomic<sink*> chosen_sink{nullptr};
capture_sink* environment_capture = nullptr;

void finish_environment_capture() {
    if (environment_capture != nullptr) environment_capture->finish();
}

// EHTRACE_CAPTURE=<path> if set and openable, else the kernel. Decided once.
sink& default_sink() {
    static sink* const resolved = []() -> sink* {
        const char* path = std::getenv("EHTRACE_CAPTURE");
        if (path == nullptr || *path == '\0') return &kernel_sink();
        int error = 0;
        // The recorder's tuning (docs/recorder.md): per-thread buffer in KiB, flush interval in ms,
        // flight recorder size, the event clock.
        capture_sink::recorder_options options;
        const auto number = [](const char* name, unsigned long fallback) {
            const char* text = std::getenv(name);
            if (text == nullptr || *text == '\0') return fallback;
            char* end = nullptr;
            const unsigned long value = std::strtoul(text, &end, 10);
            if (*end != '\0' || value == 0) {
                std::fprintf(stderr, "ehtrace: %s=%s is not a positive number; using %lu\n", name, text, fallback);
                return fallback;
            }
            return value;
        };
        options.thread_buffer_bytes =
            std::min<unsigned long>(number("EHTRACE_CAPTURE_BUFFER_KB", options.thread_buffer_bytes / 1024), 1u << 20) *
            1024;
        options.flush_interval_ms = static_cast<unsigned>(
            std::min<unsigned long>(number("EHTRACE_CAPTURE_FLUSH_MS", options.flush_interval_ms), 10000));
        options.flight_recorder_bytes =
            std::getenv("EHTRACE_CAPTURE_FLIGHT_KB") ? number("EHTRACE_CAPTURE_FLIGHT_KB", 4096) * 1024 : 0;
        if (const char* late = std::getenv("EHTRACE_CAPTURE_OVERFLOW"); late != nullptr && *late != '\0') {
            using overflow = capture_sink::recorder_options::overflow;
            const std::string_view text(late);
            if (text == "drop") options.when_late = overflow::drop;
            else if (text == "wait") options.when_late = overflow::wait;
            else if (text != "help")
                std::fprintf(stderr, "ehtrace: EHTRACE_CAPTURE_OVERFLOW=%s is not drop, help or wait; using help\n",
                             late);
        }
        if (const char* clock = std::getenv("EHTRACE_CAPTURE_CLOCK"); clock != nullptr && *clock != '\0') {
            const std::string_view text(clock);
            if (text == "monotonic") options.tsc_clock = false;
            else if (text != "auto")
                std::fprintf(stderr, "ehtrace: EHTRACE_CAPTURE_CLOCK=%s is not auto or monotonic; using auto\n", clock);
        }
        auto capture = capture_sink::open(path, error, options);
        if (!capture) {
            // The user asked for a file; saying nothing would hide every event.
            std::fprintf(stderr, "ehtrace: EHTRACE_CAPTURE=%s cannot be written (%s); using the kernel\n", path,
                         std::strerror(error));
            return &kernel_sink();
        }
        // Signal handlers only when asked for (docs/recorder.md).
        if (const char* name = std::getenv("EHTRACE_CAPTURE_DUMP_SIGNAL"); name != nullptr && *name != '\0') {
            int sig = 0;
            const std::string_view text(name);
            if (text == "USR1" || text == "SIGUSR1") sig = SIGUSR1;
            else if (text == "USR2" || text == "SIGUSR2") sig = SIGUSR2;
            else sig = std::atoi(name);
            if (sig <= 0 || sig >= NSIG || capture->dump_on_signal(sig) != 0) {
                std::fprintf(stderr, "ehtrace: EHTRACE_CAPTURE_DUMP_SIGNAL=%s is not a signal this can use\n", name);
            }
        }
        if (const char* crash = std::getenv("EHTRACE_CAPTURE_DUMP_ON_CRASH"); crash != nullptr && *crash == '1') {
            capture->dump_on_fatal_signals();
        }
        environment_capture = capture.release();  // never destroyed: see set_sink
        std::atexit(finish_environment_capture);
        return environment_capture;
    }();
    return *resolved;
}

}  // namespace

sink& current_sink() noexcept {
    sink* chosen = chosen_sink.load(std::memory_order_acquire);
    return chosen != nullptr ? *chosen : default_sink();
}

sink* set_sink(sink* s) noexcept { return chosen_sink.exchange(s, std::memory_order_acq_rel); }

struct counting_sink::slot {
    // Written only by the owning thread, read by anyone: relaxed atomics
    // updated with a load and a store, not a locked read-modify-write.
    alignas(64) std::atomic<std::uint64_t> events{0};
    std::atomic<std::uint64_t> bytes{0};
    std::thread::id owner;
    slot* next = nullptr;
};

namespace {

std::atomic<std::uint64_t> counting_sink_instances{0};

// The slot this thread last counted in, and for which sink. Constant-
// initialized and internal: in an executable the linker turns its access
// into one TLS-relative load. (No initial-exec model: libehtrace.so must
// stay loadable with dlopen, e.g. from Python.)
struct counting_cache {
    std::uint64_t instance = 0;
    void* counts = nullptr;
};
thread_local counting_cache counting_thread_cache;

}  // namespace

counting_sink::counting_sink() noexcept : instance_(counting_sink_instances.fetch_add(1) + 1) {}

counting_sink::~counting_sink() {
    for (slot* s = slots_.load(std::memory_order_acquire); s != nullptr;) delete std::exchange(s, s->next);
}

inline counting_sink::slot* counting_sink::thread_slot() noexcept {
    if (counting_thread_cache.instance == instance_) [[likely]]
        return static_cast<slot*>(counting_thread_cache.counts);
    return first_slot_of_thread();
}

counting_sink::slot* counting_sink::first_slot_of_thread() noexcept {
    const auto me = std::this_thread::get_id();
    slot* found = nullptr;
    for (slot* s = slots_.load(std::memory_order_acquire); s != nullptr && found == nullptr; s = s->next) {
        if (s->owner == me) found = s;
    }
    if (found == nullptr) {
        found = new (std::nothrow) slot;
        if (found == nullptr) return nullptr;
        found->owner = me;
        found->next = slots_.load(std::memory_order_relaxed);
        while (
            !slots_.compare_exchange_weak(found->next, found, std::memory_order_release, std::memory_order_relaxed)) {}
    }
    counting_thread_cache = {instance_, found};
    return found;
}

int counting_sink::add(basic_tracepoint& tp) noexcept {
    tp.enable_word().store(1u << basic_tracepoint::enable_bit, std::memory_order_relaxed);
    return 0;
}

void counting_sink::remove(basic_tracepoint& tp) noexcept { tp.enable_word().store(0, std::memory_order_relaxed); }

int counting_sink::write(const basic_tracepoint&, ::iovec*, int, std::size_t size) noexcept {
    slot* counts = thread_slot();
    if (counts == nullptr) return ENOMEM;
    counts->events.store(counts->events.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    counts->bytes.store(counts->bytes.load(std::memory_order_relaxed) + size, std::memory_order_relaxed);
    return 0;
}

std::uint64_t counting_sink::events() const noexcept {
    std::uint64_t total = 0;
    for (slot* s = slots_.load(std::memory_order_acquire); s != nullptr; s = s->next)
        total += s->events.load(std::memory_order_relaxed);
    return total;
}

std::uint64_t counting_sink::bytes() const noexcept {
    std::uint64_t total = 0;
    for (slot* s = slots_.load(std::memory_order_acquire); s != nullptr; s = s->next)
        total += s->bytes.load(std::memory_order_relaxed);
    return total;
}

int memory_sink::add(basic_tracepoint& tp) noexcept {
    try {
        std::lock_guard lock(mutex_);
        commands_.emplace_back(tp.command());
    } catch (...) {
        return ENOMEM;
    }
    tp.enable_word().store(1u << basic_tracepoint::enable_bit, std::memory_order_relaxed);
    return 0;
}

void memory_sink::remove(basic_tracepoint& tp) noexcept { tp.enable_word().store(0, std::memory_order_relaxed); }

int memory_sink::write(const basic_tracepoint& tp, ::iovec* iov, int iovcnt, std::size_t size) noexcept {
    try {
        record r{std::string(tp.name()), {}};
        r.bytes.reserve(size);
        for (int i = 1; i < iovcnt; ++i) {
            auto* data = static_cast<const std::uint8_t*>(iov[i].iov_base);
            r.bytes.insert(r.bytes.end(), data, data + iov[i].iov_len);
        }
        std::lock_guard lock(mutex_);
        records_.push_back(std::move(r));
        return 0;
    } catch (...) {
        return ENOMEM;
    }
}

std::vector<memory_sink::record> memory_sink::records() const {
    std::lock_guard lock(mutex_);
    return records_;
}

std::vector<std::string> memory_sink::registered_commands() const {
    std::lock_guard lock(mutex_);
    return commands_;
}

void memory_sink::clear() {
    std::lock_guard lock(mutex_);
    records_.clear();
    commands_.clear();
}

}  // namespace ehtrace
