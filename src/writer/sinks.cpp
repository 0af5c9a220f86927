// Sink selection and the in-process sinks for tests and benchmarks.
#include <ehtrace/sink.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/uio.h>

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
        auto capture = capture_sink::open(path, error);
        if (!capture) {
            // The user asked for a file; saying nothing would hide every event.
            std::fprintf(stderr, "ehtrace: EHTRACE_CAPTURE=%s cannot be written (%s); using the kernel\n", path,
                         std::strerror(error));
            return &kernel_sink();
        }
        environment_capture = capture.release();  // never destroyed: see set_sink
        std::atexit(finish_environment_capture);
        return environment_capture;
    }();
    return *resolved;
}

std::size_t event_size(const ::iovec* iov, int iovcnt) {
    std::size_t size = 0;
    for (int i = 1; i < iovcnt; ++i) size += iov[i].iov_len;
    return size;
}

}  // namespace

sink& current_sink() noexcept {
    sink* chosen = chosen_sink.load(std::memory_order_acquire);
    return chosen != nullptr ? *chosen : default_sink();
}

sink* set_sink(sink* s) noexcept { return chosen_sink.exchange(s, std::memory_order_acq_rel); }

int counting_sink::add(basic_tracepoint& tp) noexcept {
    tp.enable_word().store(1u << basic_tracepoint::enable_bit, std::memory_order_relaxed);
    return 0;
}

void counting_sink::remove(basic_tracepoint& tp) noexcept { tp.enable_word().store(0, std::memory_order_relaxed); }

int counting_sink::write(const basic_tracepoint&, ::iovec* iov, int iovcnt) noexcept {
    events_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(event_size(iov, iovcnt), std::memory_order_relaxed);
    return 0;
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

int memory_sink::write(const basic_tracepoint& tp, ::iovec* iov, int iovcnt) noexcept {
    try {
        record r{std::string(tp.name()), {}};
        r.bytes.reserve(event_size(iov, iovcnt));
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
