#include <ehtrace/collect/registrar.hpp>

#include <ehtrace/tracepoint.hpp>
#include <ehtrace/wire/eventheader.hpp>
#include <ehtrace/wire/tracepoint_name.hpp>
#include <ehtrace/wire/user_events.hpp>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace ehtrace::collect {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

}  // namespace

bool is_eventheader_name(std::string_view name) noexcept {
    tracepoint_name_parts parts;
    return is_plain_tracepoint_name(name) && split_tracepoint_name(name, parts);
}

std::string_view command_name(std::string_view command) noexcept {
    command = trim(command);
    return command.substr(0, command.find_first_of(" \t"));
}

namespace {

// 'text' with its quotes. Appended piece by piece: GCC 12 warns
// (-Wrestrict, a false positive) on "'" + std::string(text) here.
std::string quoted(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out.push_back('\'');
    out.append(text);
    out.push_back('\'');
    return out;
}

}  // namespace

std::string registration_command(std::string_view text, std::string* why) {
    text = trim(text);
    const auto fail = [&](std::string reason) {
        if (why) *why = std::move(reason);
        return std::string();
    };
    if (text.empty()) return fail("empty tracepoint name");
    const auto space = text.find_first_of(" \t");
    if (space == std::string_view::npos) {
        if (!is_eventheader_name(text)) {
            return fail(quoted(text) +
                        " is not an EventHeader tracepoint name (Provider_L<level hex>K<keyword hex>[options], "
                        "provider of letters, digits and '_', e.g. MyProvider_L4K1); for another tracepoint give "
                        "its whole command, e.g. \"my_tp u32 count; char[16] name\"");
        }
        return std::string(text) + " " + eventheader_fields;
    }
    const std::string_view name = text.substr(0, space);
    std::string command = is_plain_tracepoint_name(name) ? make_command(name, text.substr(space + 1)) : std::string();
    if (command.empty()) {
        return fail(quoted(text) +
                    " is not a valid user_events command (name: letters, digits and "
                    "'_', under 256 bytes; fields: \"type name\" separated by ';'; at most 511 bytes)");
    }
    return command;
}

registrar::registrar(std::string tracefs_dir) : tracefs_(std::move(tracefs_dir)) {}

registrar::~registrar() {
    if (fd_ >= 0) ::close(fd_);
}

int registrar::open(std::string* error_message) {
    if (fd_ >= 0) return 0;
    const std::string path = tracefs_ + "/user_events_data";
    fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ >= 0) {
        problem_.clear();
        return 0;
    }
    const int error = errno;
    if (error == ENOENT) {
        problem_ = "this kernel has no user_events (" + path +
                   " is missing): it needs Linux 6.4 or later built with CONFIG_USER_EVENTS=y";
    } else if (error == EACCES || error == EPERM) {
        problem_ = "not permitted to open " + path + " for writing (" + std::strerror(error) +
                   "): run as root, or `chgrp tracing " + path + " && chmod g+w " + path + " && chmod g+x " + tracefs_ +
                   "` for a group `tracing` you are in";
    } else {
        problem_ = "opening " + path + " failed: " + std::strerror(error);
    }
    if (error_message) *error_message = problem_;
    return error;
}

int registrar::add(std::string_view name_or_command, std::uint16_t flags, std::string* message) {
    std::string why;
    const std::string command = registration_command(name_or_command, &why);
    const auto say = [&](std::string text) {
        if (message) *message = std::move(text);
    };
    if (command.empty()) {
        say(why);
        return EINVAL;
    }
    if (fd_ < 0) {
        if (int e = open()) {
            say(problem_);
            return e;
        }
    }
    const std::string name(command_name(command));
    std::uint32_t& word = enable_words_.emplace_back(0);
    abi::user_reg reg{};
    reg.size = sizeof reg;
    reg.enable_bit = 0;
    reg.enable_size = sizeof word;
    reg.flags = flags;
    reg.enable_addr = reinterpret_cast<std::uintptr_t>(&word);
    reg.name_args = reinterpret_cast<std::uintptr_t>(command.c_str());
    if (::ioctl(fd_, abi::diag_iocsreg, &reg) != 0) {
        const int error = errno;
        enable_words_.pop_back();
        std::string text = "registering " + name + " failed: " + std::strerror(error);
        if (error == EADDRINUSE) {
            text +=
                " (a tracepoint of that name exists with another field list; delete it with "
                "`ehtrace-register --delete " +
                name + "` once unused)";
        } else if (error == EINVAL && (flags & abi::reg_flag_persist)) {
            text += " (this kernel does not know PERSIST: it needs Linux 6.7 or later)";
        } else if ((error == EPERM || error == EACCES) && (flags & abi::reg_flag_persist)) {
            text += " (PERSIST needs CAP_PERFMON)";
        } else if (error == EMFILE) {
            text += " (kernel.user_events_max reached)";
        }
        say(std::move(text));
        return error;
    }
    // The tracepoint lives on through this fd; the kernel need not update our
    // word (and a forked child must not inherit the registration).
    abi::user_unreg unreg{};
    unreg.size = sizeof unreg;
    unreg.disable_bit = 0;
    unreg.disable_addr = reinterpret_cast<std::uintptr_t>(&word);
    (void)::ioctl(fd_, abi::diag_iocsunreg, &unreg);
    const std::string tracepoint = "user_events:" + name;
    tracepoints_.push_back(tracepoint);
    say("registered " + tracepoint + ((flags & abi::reg_flag_persist) ? " (persistent)" : ""));
    return 0;
}

int registrar::remove(std::string_view name, std::string* message) {
    const auto say = [&](std::string text) {
        if (message) *message = std::move(text);
    };
    const std::string n(command_name(name));
    if (n.empty()) {
        say("empty tracepoint name");
        return EINVAL;
    }
    if (fd_ < 0) {
        if (int e = open()) {
            say(problem_);
            return e;
        }
    }
    if (::ioctl(fd_, abi::diag_iocsdel, n.c_str()) != 0) {
        const int error = errno;
        if (error == EBUSY) {
            say("user_events:" + n + " is in use (registered by a program or enabled by a collector); not deleted");
        } else if (error == ENOENT) {
            say("user_events:" + n + " does not exist");
        } else {
            say("deleting user_events:" + n + " failed: " + std::strerror(error));
        }
        return error;
    }
    say("deleted user_events:" + n);
    return 0;
}

}  // namespace ehtrace::collect
