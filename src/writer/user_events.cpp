// The kernel sink: user_events_data, opened once per process on first use.
#include <ehtrace/sink.hpp>
#include <ehtrace/tracefs.hpp>
#include <ehtrace/wire/user_events.hpp>

#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace ehtrace {
namespace {

// Opened lazily, exactly once; the probe is kept for the diagnostic.
// The descriptor is never closed: tracepoints may be written until exit,
// and the kernel unregisters everything when the process ends.
const user_events_probe& user_events() {
    static const auto* probe = new user_events_probe(open_user_events_data());
    return *probe;
}

class kernel_sink_impl final : public sink {
public:
    int add(basic_tracepoint& tp) noexcept override {
        const auto& probe = user_events();
        if (probe.fd < 0) return probe.error;
        std::string command(tp.command());
        abi::user_reg reg{};
        reg.size = sizeof reg;
        reg.enable_bit = basic_tracepoint::enable_bit;
        reg.enable_size = sizeof(std::uint32_t);
        reg.flags = 0;
        reg.enable_addr = reinterpret_cast<std::uintptr_t>(&tp.enable_word());
        reg.name_args = reinterpret_cast<std::uintptr_t>(command.c_str());
        if (::ioctl(probe.fd, abi::diag_iocsreg, &reg) < 0) return errno;
        tp.set_write_index(static_cast<std::int32_t>(reg.write_index));
        return 0;
    }

    void remove(basic_tracepoint& tp) noexcept override {
        const auto& probe = user_events();
        if (probe.fd < 0) return;
        abi::user_unreg unreg{};
        unreg.size = sizeof unreg;
        unreg.disable_bit = basic_tracepoint::enable_bit;
        unreg.disable_addr = reinterpret_cast<std::uintptr_t>(&tp.enable_word());
        ::ioctl(probe.fd, abi::diag_iocsunreg, &unreg);
        // The kernel clears the bit on success; make sure it is clear anyway.
        tp.enable_word().store(0, std::memory_order_relaxed);
    }

    int write(const basic_tracepoint& tp, ::iovec* iov, int iovcnt, std::size_t) noexcept override {
        std::int32_t index = tp.write_index();
        // -1: unregister() ran since this write found the tracepoint
        // registered; the kernel would say EINVAL, the contract says EBADF.
        if (index < 0) return EBADF;
        iov[0].iov_base = &index;
        iov[0].iov_len = sizeof index;
        return ::writev(user_events().fd, iov, iovcnt) < 0 ? errno : 0;
    }

    std::string describe() const override { return user_events().explain(); }
};

}  // namespace

sink& kernel_sink() noexcept {
    static auto* instance = new kernel_sink_impl;  // never destroyed: see set_sink
    return *instance;
}

}  // namespace ehtrace
