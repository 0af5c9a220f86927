// User tracepoints: one registration of a user_events tracepoint, the
// equivalent of the reference libtracepoint. The EventHeader APIs are built
// on this; it is also usable directly for plain tracepoints with any field
// list ("u32 a; char b[16]; __rel_loc u8[] blob").
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

struct iovec;

namespace ehtrace {

class basic_tracepoint;

// Where a registered tracepoint's writes go (sink.hpp has the built-in ones
// and set_sink). Here so that a write site can call its sink directly.
class sink {
public:
    virtual ~sink() = default;

    // Takes a tracepoint whose command (tp.command()) is valid. Returns 0 or
    // an errno value. Always-on sinks set the enable bit here.
    virtual int add(basic_tracepoint& tp) noexcept = 0;
    // Forgets tp; clears its enable word.
    virtual void remove(basic_tracepoint& tp) noexcept = 0;
    // iov[0] is free for the sink's own use; iov[1..iovcnt) is the event,
    // `size` bytes in all (the writer knows it; sinks need not add it up).
    virtual int write(const basic_tracepoint& tp, ::iovec* iov, int iovcnt, std::size_t size) noexcept = 0;
    // What this sink is, for user_events_diagnostic().
    virtual std::string describe() const = 0;
};

namespace detail {

// The sink of every tracepoint that is not registered: it writes nothing
// and returns EBADF. A tracepoint always has a sink, so that a write site
// calls it with no null check (write_target()).
class unregistered_sink final : public sink {
public:
    constexpr unregistered_sink() noexcept = default;
    int add(basic_tracepoint& tp) noexcept override;
    void remove(basic_tracepoint& tp) noexcept override;
    int write(const basic_tracepoint& tp, ::iovec* iov, int iovcnt, std::size_t size) noexcept override;
    std::string describe() const override;
};
extern unregistered_sink no_sink;

}  // namespace detail

// A tracepoint registration: the enable word that the kernel (or the active
// sink) flips, and the write index the sink assigned. Constant-initialized
// and trivially destructible, so it can be a block-scope static at a call
// site with no guard and no start-up cost; its owner must unregister() it
// before its storage goes away (`tracepoint` below does that itself).
//
// Registration and unregistration are thread-safe. Writing is thread-safe;
// writing concurrently with unregistering the same object is allowed and
// either writes or returns EBADF.
class basic_tracepoint {
public:
    constexpr basic_tracepoint() noexcept = default;
    basic_tracepoint(const basic_tracepoint&) = delete;
    basic_tracepoint& operator=(const basic_tracepoint&) = delete;

    // Registers "<name> <field>; <field>; ..." (or a bare name for a
    // tracepoint without fields) with the current sink. Returns 0 or an errno
    // value: EINVAL for a malformed command, EALREADY if this object is
    // registered, or what the sink reports (e.g. ENOENT/EACCES when the
    // kernel has no user_events). Whatever it returns, the object stays
    // safe to use: writes to an unregistered tracepoint are no-ops.
    int register_command(std::string_view command) noexcept;

    // The same for a NUL-terminated command that outlives the registration
    // (a string literal, a constant): nothing is copied or allocated, which
    // is what static call sites in shared objects need to unload cleanly.
    int register_static_command(const char* command) noexcept;

    // Returns 0, or EALREADY when not registered.
    int unregister() noexcept;

    // The hot-path check: one relaxed load.
    bool enabled() const noexcept { return enable_word_.load(std::memory_order_relaxed) != 0; }

    // Writes one event. iov[0] is reserved for the sink (the kernel's write
    // index goes there); the event's bytes are iov[1..iovcnt). Returns 0 or
    // an errno value; EBADF when nobody listens or the object is unregistered.
    int write(::iovec* iov, int iovcnt) const noexcept;
    // The same for callers that know the event's size (the sum of the
    // iov[1..iovcnt) lengths) and have just seen enabled() return true, as
    // the EventHeader writers do: enabled() is not tested again (a write
    // racing with a disable is refused by the kernel with EBADF).
    int write(::iovec* iov, int iovcnt, std::size_t size) const noexcept;

    bool registered() const noexcept { return sink_.load(std::memory_order_acquire) != &detail::no_sink; }
    // The sink that write(iov, iovcnt, size) hands the event to, never
    // nullptr (detail::no_sink when unregistered): for writers that call it
    // themselves, one call fewer per event (`return owner->write(*this, iov,
    // iovcnt, size);` is exactly that write()).
    sink* write_target() const noexcept { return sink_.load(std::memory_order_acquire); }
    // Of the last registration ("" before the first one). The name is not
    // NUL-terminated.
    std::string_view name() const noexcept { return {command_, name_length_}; }
    std::string_view command() const noexcept { return {command_, command_length_}; }

    // --- for sink implementations -------------------------------------
    std::atomic<std::uint32_t>& enable_word() noexcept { return enable_word_; }
    std::int32_t write_index() const noexcept { return write_index_.load(std::memory_order_relaxed); }
    void set_write_index(std::int32_t index) noexcept { write_index_.store(index, std::memory_order_relaxed); }

    // The bit of the enable word that sinks set; the kernel flips it too.
    static constexpr std::uint8_t enable_bit = 0;

protected:
    void release_storage() noexcept;

private:
    int register_with_current_sink() noexcept;

    std::atomic<std::uint32_t> enable_word_{0};
    std::atomic<std::int32_t> write_index_{-1};
    std::atomic<sink*> sink_{&detail::no_sink};
    // The command stays readable after unregister(): a write racing with
    // unregister() may still read the name through its sink.
    const char* command_ = "";
    char* owned_command_ = nullptr;  // command_ when it was copied
    std::uint16_t name_length_ = 0;
    std::uint16_t command_length_ = 0;
};

// A basic_tracepoint that unregisters when destroyed: for tracepoints owned
// by objects or functions rather than static call sites.
class tracepoint : public basic_tracepoint {
public:
    constexpr tracepoint() noexcept = default;
    ~tracepoint();
};

// Why user_events works or not, in one sentence, e.g. "tracefs mounted at
// /sys/kernel/tracing but user_events_data is missing: kernel built without
// CONFIG_USER_EVENTS (Linux 6.4 or later)". Describes the capture file
// instead when EHTRACE_CAPTURE (or set_sink) sends events elsewhere.
std::string user_events_diagnostic();

// The builder of registration commands: "<name> <fields>" with the field
// list normalized to "; "-separated form (older kernels compare word by word).
// Returns "" when the name or fields are invalid.
std::string make_command(std::string_view name, std::string_view fields);

}  // namespace ehtrace
