// Pre-registration of user_events tracepoints by the collector itself, so a
// tracepoint exists (and can be enabled) before the program that writes it
// starts. Talks to <tracefs>/user_events_data directly: the tracefs directory
// is the caller's choice and PERSIST needs the raw flags.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace ehtrace::collect {

// True for a valid EventHeader tracepoint name ("MyProvider_L4K1",
// "Acme_Web_L5K0Gsrv"): provider of [A-Za-z0-9_], L<hex level 1..ff>,
// K<hex keyword>, options; under 256 bytes.
[[nodiscard]] bool is_eventheader_name(std::string_view name) noexcept;

// The registration command for NAME (an EventHeader name: the EventHeader
// field list is added) or COMMAND ("name field; field", normalized to the
// kernel's "; " form). "" when invalid, with the reason in *why.
[[nodiscard]] std::string registration_command(std::string_view name_or_command, std::string* why = nullptr);

// The tracepoint name of a command (its first word).
[[nodiscard]] std::string_view command_name(std::string_view command) noexcept;

class registrar {
public:
    explicit registrar(std::string tracefs_dir);
    ~registrar();  // closes user_events_data: tracepoints not PERSISTed go away once unused
    registrar(const registrar&) = delete;
    registrar& operator=(const registrar&) = delete;

    // Opens <tracefs>/user_events_data for writing. 0 or an errno value;
    // *error then says why, with the fix (add() and remove() say it too).
    int open(std::string* error = nullptr);
    [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }

    // Registers NAME or COMMAND (see registration_command) with `flags`
    // (abi::reg_flag_persist ...). The registration's own enable word is
    // unregistered right away; the tracepoint stays while this object lives
    // (or for good with PERSIST). 0 or an errno value (EINVAL: bad name or a
    // flag the kernel does not know; EADDRINUSE: the name exists with other
    // fields); *message gets a sentence either way.
    int add(std::string_view name_or_command, std::uint16_t flags = 0, std::string* message = nullptr);

    // DIAG_IOCSDEL: deletes a tracepoint nobody uses. 0, EBUSY (in use),
    // ENOENT (no such tracepoint) or another errno value.
    int remove(std::string_view name, std::string* message = nullptr);

    // "user_events:<name>" of every successful add(), in order.
    [[nodiscard]] const std::vector<std::string>& tracepoints() const noexcept { return tracepoints_; }

private:
    std::string tracefs_;
    int fd_ = -1;
    std::string problem_;  // why open() failed
    std::deque<std::uint32_t> enable_words_;
    std::vector<std::string> tracepoints_;
};

}  // namespace ehtrace::collect
