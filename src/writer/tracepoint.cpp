#include <ehtrace/format.hpp>
#include <ehtrace/sink.hpp>
#include <ehtrace/tracepoint.hpp>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <sys/uio.h>

namespace ehtrace {
namespace {

// Registration is rare; one lock keeps register/unregister of the same
// object from racing and keeps sink bookkeeping simple.
std::mutex& registration_mutex() {
    static auto* mutex = new std::mutex;
    return *mutex;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

bool valid_tracepoint_name(std::string_view name) {
    if (name.empty() || name.size() > max_tracepoint_name_length) return false;
    for (char c : name) {
        if (c == ':' || is_space(c) || static_cast<unsigned char>(c) < 0x20) return false;
    }
    return true;
}

}  // namespace

std::string make_command(std::string_view name, std::string_view fields) {
    if (!valid_tracepoint_name(name)) return {};
    std::string command(name);
    bool first = true;
    while (!fields.empty()) {
        auto end = fields.find(';');
        std::string_view field = trim(fields.substr(0, end));
        fields.remove_prefix(end == std::string_view::npos ? fields.size() : end + 1);
        if (field.empty()) continue;
        command += first ? " " : "; ";
        // Collapse runs of blanks inside a field ("u32   a" -> "u32 a").
        bool blank = false;
        for (char c : field) {
            if (is_space(c)) {
                blank = true;
                continue;
            }
            if (blank) command += ' ';
            blank = false;
            command += c;
        }
        first = false;
    }
    if (command.size() > max_command_length) return {};
    return command;
}

int basic_tracepoint::register_command(std::string_view command) noexcept {
    command = trim(command);
    std::string_view name = command.substr(0, std::min(command.size(), command.find_first_of(" \t\n")));
    if (!valid_tracepoint_name(name) || command.size() > max_command_length) return EINVAL;

    std::lock_guard lock(registration_mutex());
    if (sink_.load(std::memory_order_relaxed) != nullptr) return EALREADY;

    // The name and command stay allocated after unregister(): a write racing
    // with unregister() may still read them through its sink. Registering the
    // same command again reuses them.
    if (command != this->command()) {
        auto* storage = new (std::nothrow) char[name.size() + 1 + command.size() + 1];
        if (storage == nullptr) return ENOMEM;
        std::memcpy(storage, name.data(), name.size());
        storage[name.size()] = '\0';
        std::memcpy(storage + name.size() + 1, command.data(), command.size());
        storage[name.size() + 1 + command.size()] = '\0';
        release_storage();
        name_and_command_ = storage;
        name_length_ = static_cast<std::uint16_t>(name.size());
        command_length_ = static_cast<std::uint16_t>(command.size());
    }

    sink& target = current_sink();
    if (int error = target.add(*this); error != 0) {
        enable_word_.store(0, std::memory_order_relaxed);
        return error;
    }
    sink_.store(&target, std::memory_order_release);
    return 0;
}

int basic_tracepoint::unregister() noexcept {
    std::lock_guard lock(registration_mutex());
    sink* owner = sink_.load(std::memory_order_relaxed);
    if (owner == nullptr) return EALREADY;
    sink_.store(nullptr, std::memory_order_release);
    owner->remove(*this);
    enable_word_.store(0, std::memory_order_relaxed);
    write_index_.store(-1, std::memory_order_relaxed);
    return 0;
}

void basic_tracepoint::release_storage() noexcept {
    delete[] name_and_command_;
    name_and_command_ = nullptr;
    name_length_ = command_length_ = 0;
}

tracepoint::~tracepoint() {
    unregister();
    release_storage();
}

int basic_tracepoint::write(::iovec* iov, int iovcnt) const noexcept {
    sink* owner = sink_.load(std::memory_order_acquire);
    if (owner == nullptr || !enabled()) return EBADF;
    return owner->write(*this, iov, iovcnt);
}

std::string_view basic_tracepoint::name() const noexcept {
    return name_and_command_ ? std::string_view(name_and_command_, name_length_) : std::string_view();
}

std::string_view basic_tracepoint::command() const noexcept {
    return name_and_command_ ? std::string_view(name_and_command_ + name_length_ + 1, command_length_)
                             : std::string_view();
}

std::string user_events_diagnostic() { return current_sink().describe(); }

}  // namespace ehtrace
