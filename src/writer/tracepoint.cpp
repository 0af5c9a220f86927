#include <ehtrace/sink.hpp>
#include <ehtrace/tracepoint.hpp>
#include <ehtrace/wire/eventheader.hpp>

#include "user_events_command.hpp"

#include <sys/uio.h>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace ehtrace {
namespace {

// Registration is rare; one lock keeps register/unregister of the same
// object from racing and keeps sink bookkeeping simple. Constant-initialized
// and trivially destructible: usable during start-up and exit.
constinit std::mutex registration_mutex;

}  // namespace

namespace detail {

constinit unregistered_sink no_sink;

int unregistered_sink::add(basic_tracepoint&) noexcept { return EINVAL; }
void unregistered_sink::remove(basic_tracepoint&) noexcept {}
int unregistered_sink::write(const basic_tracepoint&, ::iovec*, int, std::size_t) noexcept { return EBADF; }
std::string unregistered_sink::describe() const { return "not registered"; }

}  // namespace detail

int basic_tracepoint::register_command(std::string_view command) noexcept {
    command = detail::trim_command(command);
    std::string_view name = detail::command_name(command);
    if (name.empty()) return EINVAL;

    std::lock_guard lock(registration_mutex);
    if (sink_.load(std::memory_order_relaxed) != &detail::no_sink) return EALREADY;
    if (command != this->command()) {
        // Registering the same command again reuses the copy.
        auto* copy = new (std::nothrow) char[command.size() + 1];
        if (copy == nullptr) return ENOMEM;
        std::memcpy(copy, command.data(), command.size());
        copy[command.size()] = '\0';
        release_storage();
        owned_command_ = copy;
        command_ = copy;
        name_length_ = static_cast<std::uint16_t>(name.size());
        command_length_ = static_cast<std::uint16_t>(command.size());
    }
    return register_with_current_sink();
}

int basic_tracepoint::register_static_command(const char* command) noexcept {
    std::string_view text = command != nullptr ? std::string_view(command) : std::string_view();
    std::string_view name = detail::command_name(text);
    if (name.empty() || text != detail::trim_command(text)) return EINVAL;

    std::lock_guard lock(registration_mutex);
    if (sink_.load(std::memory_order_relaxed) != &detail::no_sink) return EALREADY;
    if (command != command_) {
        release_storage();
        command_ = command;
        name_length_ = static_cast<std::uint16_t>(name.size());
        command_length_ = static_cast<std::uint16_t>(text.size());
    }
    return register_with_current_sink();
}

// Called with registration_mutex held and the command set.
int basic_tracepoint::register_with_current_sink() noexcept {
    sink& target = current_sink();
    if (int error = target.add(*this); error != 0) {
        enable_word_.store(0, std::memory_order_relaxed);
        return error;
    }
    sink_.store(&target, std::memory_order_release);
    return 0;
}

int basic_tracepoint::unregister() noexcept {
    std::lock_guard lock(registration_mutex);
    sink* owner = sink_.load(std::memory_order_relaxed);
    if (owner == &detail::no_sink) return EALREADY;
    sink_.store(&detail::no_sink, std::memory_order_release);
    owner->remove(*this);
    enable_word_.store(0, std::memory_order_relaxed);
    write_index_.store(-1, std::memory_order_relaxed);
    return 0;
}

void basic_tracepoint::release_storage() noexcept {
    delete[] owned_command_;
    owned_command_ = nullptr;
    command_ = "";
    name_length_ = command_length_ = 0;
}

tracepoint::~tracepoint() {
    unregister();
    release_storage();
}

int basic_tracepoint::write(::iovec* iov, int iovcnt) const noexcept {
    if (!enabled()) return EBADF;
    std::size_t size = 0;
    for (int i = 1; i < iovcnt; ++i) size += iov[i].iov_len;
    return write(iov, iovcnt, size);
}

int basic_tracepoint::write(::iovec* iov, int iovcnt, std::size_t size) const noexcept {
    return sink_.load(std::memory_order_acquire)->write(*this, iov, iovcnt, size);
}

std::string user_events_diagnostic() { return current_sink().describe(); }

}  // namespace ehtrace
