// Dynamic (runtime-defined) EventHeader events: for middle layers, language
// bindings and OpenTelemetry-style exporters that learn event and field
// names only at run time. The compile-time API (provider.hpp) and this one
// share one encoder (encoding.hpp), so the same definition gives the same
// bytes either way.
//
//   ehtrace::dynamic::provider provider("Acme_Web");        // check provider.error()
//   ehtrace::dynamic::event_set* info = provider.register_set(4, 0x10);
//   thread_local ehtrace::dynamic::event_builder builder;  // one per thread
//   if (info != nullptr && info->enabled()) {
//       builder.reset("Request");
//       builder.add_string("url", url).add_value("status", std::int32_t{200});
//       auto http = builder.begin_struct("http");
//       builder.add_value("bytes", std::uint64_t{1234});
//       builder.end_struct(http);
//       int error = builder.write(*info);                 // 0 or an errno value
//   }
//
// Errors never crash and never throw: every add_* records the first problem
// (error(), error_message()) and ignores later calls until reset(); write()
// then returns it. The builder stays usable after any error.
//
// This header compiles as C++17 (the OpenTelemetry C++ SDK's standard).
#pragma once

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>

#include <sys/uio.h>

#include <ehtrace/encoding.hpp>
#include <ehtrace/string_length.hpp>
#include <ehtrace/tracepoint.hpp>
#include <ehtrace/wire/eventheader.hpp>

// The builder's per-field path is a few loads and stores. Every add_* entry
// point is forced inline (GCC at -O2 would not inline them), so that literal
// field names stay constants: their checks and copies then fold to a few
// stores. The error paths are out of line and cold.
#if defined(__GNUC__)
#define EHTRACE_DYNAMIC_INLINE inline __attribute__((always_inline))
#define EHTRACE_DYNAMIC_COLD __attribute__((cold))
#define EHTRACE_DYNAMIC_UNLIKELY(condition) __builtin_expect(static_cast<bool>(condition), 0)
#define EHTRACE_DYNAMIC_LIKELY(condition) __builtin_expect(static_cast<bool>(condition), 1)
#else
#define EHTRACE_DYNAMIC_LIKELY(condition) (condition)
#define EHTRACE_DYNAMIC_INLINE inline
#define EHTRACE_DYNAMIC_COLD
#define EHTRACE_DYNAMIC_UNLIKELY(condition) (condition)
#endif

namespace ehtrace::dynamic {
// libehtrace.so exports this API with the C ABI, and the inline members below
// read the classes' layout, so its symbols carry the ABI version: a layout
// change bumps the shared library's SOVERSION and this name together (CMake
// checks that they agree; docs/abi.md). Code names ehtrace::dynamic::...
// as before.
inline namespace abi_v4 {

class provider;
class event_builder;

// A tracepoint for all events of one provider with one (level, keyword):
// "<provider>_L<level>K<keyword><options>". Owned by its provider; its
// address is stable (the kernel writes its enable word) until the provider
// is destroyed.
class event_set {
public:
    event_set(const event_set&) = delete;
    event_set& operator=(const event_set&) = delete;

    // True while a consumer collects this tracepoint: one relaxed load.
    bool enabled() const noexcept { return tracepoint_.enabled(); }

    std::uint8_t level() const noexcept { return level_; }
    std::uint64_t keyword() const noexcept { return keyword_; }
    // "<provider>_L<level>K<keyword><options>", NUL-terminated.
    std::string_view tracepoint_name() const noexcept { return {tracepoint_name_, tracepoint_name_length_}; }
    bool registered() const noexcept;
    // What the sink said when the set was registered: 0, or an errno value
    // (e.g. ENOENT when the kernel has no user_events). A set that failed to
    // register is never enabled; writing to it returns EBADF.
    int registration_error() const noexcept { return registration_error_; }

private:
    friend class provider;
    friend class event_builder;
    event_set(std::uint8_t level, std::uint64_t keyword) noexcept : keyword_(keyword), level_(level) {}
    ~event_set();

    ehtrace::tracepoint tracepoint_;
    const std::uint64_t keyword_;
    event_set* next_ = nullptr;  // set before the set is published, then constant
    int registration_error_ = 0;
    const std::uint8_t level_;
    std::uint8_t tracepoint_name_length_ = 0;
    char tracepoint_name_[max_tracepoint_name_length + 1] = {};
};

// A provider known at run time: a validated name and options string, and
// the event sets registered for it. Thread-safe: any thread may look up or
// register sets while others write. Lookups of existing sets take no lock
// (the set list is append-only; sets live until the provider is destroyed).
class provider {
public:
    // `name`: [A-Za-z0-9_]+; `options`: e.g. "Gmygroup" (an uppercase letter,
    // then [a-z0-9]*, sorted by letter). The longest tracepoint name either
    // can produce must stay under 256 bytes. Check error() afterwards.
    explicit provider(std::string_view name, std::string_view options = {}) noexcept;
    // Unregisters every set.
    ~provider();
    provider(const provider&) = delete;
    provider& operator=(const provider&) = delete;

    // 0, or EINVAL when the name or options were refused (see error_message()).
    int error() const noexcept { return error_; }
    // "" when error() is 0.
    const char* error_message() const noexcept { return error_message_; }

    std::string_view name() const noexcept { return {name_, name_length_}; }
    std::string_view options() const noexcept { return {options_, options_length_}; }

    // The set for (level, keyword), registering it on first use. nullptr if
    // the provider is invalid or unregistered, the level is 0, or memory ran
    // out. A set the sink refused is still returned (see
    // event_set::registration_error()): events to it are dropped.
    event_set* register_set(std::uint8_t level, std::uint64_t keyword) noexcept {
        if (event_set* found = find_set(level, keyword)) return found;
        return register_new_set(level, keyword);
    }

    // The set for (level, keyword) if it was registered, else nullptr.
    event_set* find_set(std::uint8_t level, std::uint64_t keyword) const noexcept {
        for (event_set* set = sets_.load(std::memory_order_acquire); set != nullptr; set = set->next_) {
            if (set->level_ == level && set->keyword_ == keyword) return set;
        }
        return nullptr;
    }

    // Unregisters every set. The sets stay allocated (writes to them return
    // EBADF) and register_set() registers nothing new. Idempotent.
    void unregister() noexcept;
    bool unregistered() const noexcept { return unregistered_.load(std::memory_order_acquire); }

private:
    event_set* register_new_set(std::uint8_t level, std::uint64_t keyword) noexcept;

    std::atomic<event_set*> sets_{nullptr};
    std::mutex mutex_;  // serializes registration and unregister()
    std::atomic<bool> unregistered_{false};
    int error_ = 0;
    const char* error_message_ = "";
    std::uint8_t name_length_ = 0;
    std::uint8_t options_length_ = 0;
    char name_[max_tracepoint_name_length + 1] = {};
    char options_[max_tracepoint_name_length + 1] = {};
};

// Returned by begin_struct(), given back to end_struct().
struct struct_bookmark {
    std::uint32_t value = invalid;
    static constexpr std::uint32_t invalid = 0xFFFFFFFF;
};

namespace detail {

// A byte buffer whose storage outlives reset(), so a reused builder stops
// allocating once its buffers fit the largest event it has built. It never
// grows past the event size limit. How much of it is in use is the
// builder's to know (see event_builder::cursor_): the buffer only holds the
// storage.
class byte_buffer {
public:
    byte_buffer() noexcept = default;
    ~byte_buffer();
    byte_buffer(const byte_buffer&) = delete;
    byte_buffer& operator=(const byte_buffer&) = delete;

    const std::uint8_t* data() const noexcept { return data_; }
    std::uint8_t* data() noexcept { return data_; }
    std::size_t capacity() const noexcept { return static_cast<std::size_t>(storage_end_ - data_); }

    // Room for `count` more bytes after the first `size`, growing (and
    // keeping those `size` bytes) when needed. False when the buffer would
    // pass the event size limit or memory ran out.
    EHTRACE_DYNAMIC_INLINE bool reserve(std::size_t size, std::size_t count) noexcept {
        if (EHTRACE_DYNAMIC_UNLIKELY(capacity() - size < count)) return grow(size, count);
        return true;
    }

    // True when the last grow() failed for lack of memory rather than for
    // the event size limit.
    bool out_of_memory() const noexcept { return out_of_memory_; }

private:
    EHTRACE_DYNAMIC_COLD bool grow(std::size_t size, std::size_t count) noexcept;

    std::uint8_t* data_ = nullptr;
    std::uint8_t* storage_end_ = nullptr;
    bool out_of_memory_ = false;
};

// GCC 12 inlines put_bytes into callers whose source has a known small size
// (a u"ab" literal: 6 bytes) and then warns about the 8-byte branch that size
// never reaches (-Warray-bounds, -Wstringop-overread: false positives in dead
// code). Quiet here only, so programs built with -Wall -Wextra stay clean.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overread"
#define EHTRACE_DYNAMIC_QUIET_BOUNDS 1
#endif

// Stores into the builder's buffers go through these non-character types
// (unaligned where the compiler allows it). A store through a byte pointer
// may modify anything, the builder's own members included, so after one the
// compiler reloads the builder's state for the next field; a store of a
// u16/u32/u64 cannot modify a pointer or the builder's cursor (a type of
// its own), so those stay in registers from one field to the next. Loads
// from the caller's memory stay byte-wise (memcpy): they modify nothing,
// and may read any type. Every load from the buffers is byte-wise too
// (memcpy, or the sink's), and stores that overlap have the same type, so
// that no reordering of stores of different types can matter: the
// payload's stores write exactly the bytes they mean to, and the
// metadata's are all 8 bytes wide (see event_builder::put_definition()).
#if defined(__GNUC__)
typedef std::uint16_t store_u16 __attribute__((aligned(1)));
typedef std::uint32_t store_u32 __attribute__((aligned(1)));
typedef std::uint64_t store_u64 __attribute__((aligned(1)));
typedef unsigned long long store_u128 __attribute__((vector_size(16), aligned(1)));
#define EHTRACE_DYNAMIC_TYPED_STORES 1
#endif
// A byte that is not a character type for aliasing.
enum class store_u8 : std::uint8_t {};

template <class T>
EHTRACE_DYNAMIC_INLINE T load_as(const void* from) noexcept {
    T value;
    std::memcpy(&value, from, sizeof value);
    return value;
}

EHTRACE_DYNAMIC_INLINE void store8(std::uint8_t* to, std::uint8_t value) noexcept {
    *reinterpret_cast<store_u8*>(to) = static_cast<store_u8>(value);
}
// Three functions, not one template: a typedef's aligned(1) is dropped when
// the typedef is a template argument, and the store would then assume the
// type's natural alignment.
EHTRACE_DYNAMIC_INLINE void store16(std::uint8_t* to, std::uint16_t value) noexcept {
#ifdef EHTRACE_DYNAMIC_TYPED_STORES
    *reinterpret_cast<store_u16*>(to) = value;
#else
    std::memcpy(to, &value, sizeof value);
#endif
}
EHTRACE_DYNAMIC_INLINE void store32(std::uint8_t* to, std::uint32_t value) noexcept {
#ifdef EHTRACE_DYNAMIC_TYPED_STORES
    *reinterpret_cast<store_u32*>(to) = value;
#else
    std::memcpy(to, &value, sizeof value);
#endif
}
EHTRACE_DYNAMIC_INLINE void store64(std::uint8_t* to, std::uint64_t value) noexcept {
#ifdef EHTRACE_DYNAMIC_TYPED_STORES
    *reinterpret_cast<store_u64*>(to) = value;
#else
    std::memcpy(to, &value, sizeof value);
#endif
}
// Words composed byte by byte (byte i at bits 8i..8i+7), stored so that
// byte i lands at to[i] in either byte order.
EHTRACE_DYNAMIC_INLINE void store16_bytes(std::uint8_t* to, std::uint16_t bytes) noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    bytes = __builtin_bswap16(bytes);
#endif
    store16(to, bytes);
}
EHTRACE_DYNAMIC_INLINE void store32_bytes(std::uint8_t* to, std::uint32_t bytes) noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    bytes = __builtin_bswap32(bytes);
#endif
    store32(to, bytes);
}
EHTRACE_DYNAMIC_INLINE void store64_bytes(std::uint8_t* to, std::uint64_t bytes) noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    bytes = __builtin_bswap64(bytes);
#endif
    store64(to, bytes);
}
// 16 bytes from `from` to `to`.
EHTRACE_DYNAMIC_INLINE void copy16(std::uint8_t* to, const std::uint8_t* from) noexcept {
#ifdef EHTRACE_DYNAMIC_TYPED_STORES
    *reinterpret_cast<store_u128*>(to) = load_as<store_u128>(from);
#else
    std::uint8_t chunk[16];
    std::memcpy(chunk, from, 16);
    std::memcpy(to, chunk, 16);
#endif
}

// Copies exactly `size` bytes (the ranges do not overlap). Short copies
// inline, without a call into libc: two overlapping fixed-size moves cover
// every length in a range; each load comes before its store.
EHTRACE_DYNAMIC_INLINE void copy_bytes(std::uint8_t* to, const std::uint8_t* from, std::size_t size) noexcept {
    if (size >= 8 && size <= 16) {
        const auto head = load_as<std::uint64_t>(from);
        const auto tail = load_as<std::uint64_t>(from + size - 8);
        store64(to, head);
        store64(to + size - 8, tail);
    } else if (size >= 4 && size < 8) {
        const auto head = load_as<std::uint32_t>(from);
        const auto tail = load_as<std::uint32_t>(from + size - 4);
        store32(to, head);
        store32(to + size - 4, tail);
    } else if (size < 4) {
        if (size >= 2) {
            const auto head = load_as<std::uint16_t>(from);
            const auto tail = load_as<std::uint16_t>(from + size - 2);
            store16(to, head);
            store16(to + size - 2, tail);
        } else if (size == 1) {
            store8(to, *from);
        }
    } else if (size <= 32) {
        copy16(to, from);
        copy16(to + size - 16, from + size - 16);
    } else if (size <= 64) {
        copy16(to, from);
        copy16(to + 16, from + 16);
        copy16(to + size - 32, from + size - 32);
        copy16(to + size - 16, from + size - 16);
    } else {
        std::memcpy(to, from, size);
    }
}

// `size` (0..8) bytes from `from` as a word, byte i at bits 8i..8i+7;
// only those bytes are read.
EHTRACE_DYNAMIC_INLINE std::uint64_t word_of_bytes(const std::uint8_t* from, std::size_t size) noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    std::uint64_t word = 0;
    for (std::size_t i = 0; i < size; ++i) word |= std::uint64_t{from[i]} << (8 * i);
    return word;
#else
    if (size >= 4) {
        return load_as<std::uint32_t>(from) | std::uint64_t{load_as<std::uint32_t>(from + size - 4)}
                                                  << (8 * (size - 4));
    }
    if (size >= 2) {
        return load_as<std::uint16_t>(from) | std::uint64_t{load_as<std::uint16_t>(from + size - 2)}
                                                  << (8 * (size - 2));
    }
    return size == 1 ? from[0] : 0;
#endif
}

// Copies `size` bytes with 8-byte stores, which may write up to 7 bytes
// past them (the caller has the room), or with memcpy() when long.
EHTRACE_DYNAMIC_INLINE void copy_words(std::uint8_t* to, const std::uint8_t* from, std::size_t size) noexcept {
    if (size <= 8) {
        store64_bytes(to, word_of_bytes(from, size));
    } else if (size <= 16) {
        const auto head = load_as<std::uint64_t>(from);
        const auto tail = load_as<std::uint64_t>(from + size - 8);
        store64(to, head);
        store64(to + size - 8, tail);
    } else if (size <= 32) {
        const auto first = load_as<std::uint64_t>(from);
        const auto second = load_as<std::uint64_t>(from + 8);
        const auto third = load_as<std::uint64_t>(from + size - 16);
        const auto last = load_as<std::uint64_t>(from + size - 8);
        store64(to, first);
        store64(to + 8, second);
        store64(to + size - 16, third);
        store64(to + size - 8, last);
    } else {
        std::memcpy(to, from, size);  // bytes, which the compiler orders with every store
    }
}

// The Writer that encoding.hpp's encoders write through, over room the
// caller has already reserved.
struct unchecked_writer {
    std::uint8_t* out;

    EHTRACE_DYNAMIC_INLINE void put(std::uint8_t byte) noexcept { *out++ = byte; }
    EHTRACE_DYNAMIC_INLINE void put_u16(std::uint16_t value) noexcept {
        store16(out, value);  // native byte order, as the header says
        out += sizeof value;
    }
    EHTRACE_DYNAMIC_INLINE void put_bytes(const void* bytes, std::size_t size) noexcept {
        copy_bytes(out, static_cast<const std::uint8_t*>(bytes), size);
        out += size;
    }
    EHTRACE_DYNAMIC_INLINE void put_string(std::string_view text) noexcept { put_bytes(text.data(), text.size()); }
    // The text and a 0 byte. A nonempty text ends with a 2-byte store of its
    // last character and the 0, not a byte store (see store16()).
    EHTRACE_DYNAMIC_INLINE void put_zstring(std::string_view text) noexcept {
        const std::size_t size = text.size();
        const auto* from = reinterpret_cast<const std::uint8_t*>(text.data());
        if (size == 0) {
            store8(out++, 0);
            return;
        }
        copy_bytes(out, from, size - 1);
        store16_bytes(out + size - 1, from[size - 1]);
        out += size + 1;
    }
};

#ifdef EHTRACE_DYNAMIC_QUIET_BOUNDS
#pragma GCC diagnostic pop
#undef EHTRACE_DYNAMIC_QUIET_BOUNDS
#endif

template <class T>
inline constexpr bool is_scalar_value = std::is_trivially_copyable_v<T> && !std::is_same_v<T, long double> &&
                                        value_encoding_for_size(sizeof(T)) != field_encoding::invalid;

template <class Char>
constexpr std::uint8_t string_encoding(bool zero_terminated) noexcept {
    static_assert(sizeof(Char) == 1 || sizeof(Char) == 2 || sizeof(Char) == 4, "code units are 8, 16 or 32 bits");
    return static_cast<std::uint8_t>(string_encoding_for_unit(sizeof(Char), zero_terminated));
}

// The code units before the first 0 unit: a zero-terminated string cannot
// carry one, and writing it would desynchronize the payload.
template <class Char>
EHTRACE_DYNAMIC_INLINE std::size_t units_before_nul(const Char* units, std::size_t count) noexcept {
    if constexpr (sizeof(Char) == 1) {
        // Strings of 4..16 bytes without a 0 byte (nearly all short ones):
        // two overlapping loads answer without a call into libc.
        const auto* chars = reinterpret_cast<const char*>(units);
        if (count >= 8 && count <= 16) {
            if (!ehtrace::detail::has_zero_byte(ehtrace::detail::load_bytes(chars, 8)) &&
                !ehtrace::detail::has_zero_byte(ehtrace::detail::load_bytes(chars + count - 8, 8))) {
                return count;
            }
        } else if (count >= 4 && count < 8) {
            const std::uint64_t word =
                ehtrace::detail::load_bytes(chars, 4) | ehtrace::detail::load_bytes(chars + count - 4, 4) << 32;
            if (!ehtrace::detail::has_zero_byte(word)) return count;
        }
        const void* nul = count != 0 ? std::memchr(units, 0, count) : nullptr;
        return nul != nullptr
                   ? static_cast<std::size_t>(static_cast<const char*>(nul) - reinterpret_cast<const char*>(units))
                   : count;
    } else {
        // Byte-wise loads: add_string_units() takes code units at any address.
        const auto* bytes = reinterpret_cast<const unsigned char*>(units);
        for (std::size_t i = 0; i < count; ++i) {
            Char unit;
            std::memcpy(&unit, bytes + i * sizeof(Char), sizeof(Char));
            if (unit == 0) return i;
        }
        return count;
    }
}

}  // namespace detail

// Builds one event at a time: reset(), add fields, write() to one or more
// event sets. One builder per thread (thread_local works well); reuse it,
// its buffers are kept across events.
class event_builder {
public:
    // Structs nest at most this deep: reference decoders stop at 8 levels.
    static constexpr std::size_t max_struct_depth = 8;

    event_builder() noexcept {
        // The metadata block header's kind never changes: write() puts in
        // only its size.
        detail::unchecked_writer writer{prefix_ + header_size};
        encode_extension_header(writer, 0, extension_kind::metadata, false);
    }
    ~event_builder() = default;
    event_builder(const event_builder&) = delete;
    event_builder& operator=(const event_builder&) = delete;

    // --- event ------------------------------------------------------------

    // Starts a new event: clears fields, error, id, version and opcode.
    EHTRACE_DYNAMIC_INLINE event_builder& reset(std::string_view event_name, std::uint16_t event_tag = 0) noexcept {
        // The last event's stores into the buffers come first: not all have
        // the type of the stores that may overwrite them now (end_struct()'s
        // byte, a string's last units), so the compiler, which takes stores
        // of different types to be to different bytes, could otherwise put
        // them after, when no call comes between (an event abandoned).
        __asm__ __volatile__("" ::: "memory");
        error_ = 0;  // error_message() is "" while error_ is 0
        depth_ = 0;
        // The header with id, version and opcode 0 (the setters patch them
        // in), built in a local and stored as one word.
        std::uint8_t header[header_size];
        detail::unchecked_writer header_writer{header};
        encode_header(header_writer, true, 0, 0, event_tag, 0, 0);
        static_assert(header_size == sizeof(std::uint64_t));
        detail::store64(prefix_, detail::load_as<std::uint64_t>(header));
        if (EHTRACE_DYNAMIC_UNLIKELY(check_name(event_name) != name_error::none)) {
            cursor_ = cursor_word{};
            return fail_name(event_name, "event");
        }
        // Both buffers are empty now: room_size_ bytes fit in either, and
        // the 8 that put_name() may write past them.
        if (EHTRACE_DYNAMIC_UNLIKELY(event_name.size() + 1 > room_size_)) {
            cursor_ = cursor_word{};
            if (!make_room(event_name.size() + 1, 0)) return *this;
        }
        put_name(metadata_.data(), event_name, 0, 1);  // and its NUL
        cursor_ = static_cast<cursor_word>(cursor_of_metadata_size(event_name.size() + 1));
        room_limit_ = static_cast<room_mark>(room_size_);
        return *this;
    }

    // A stable id (0: none) and the version of its field layout.
    event_builder& set_id_version(std::uint16_t id, std::uint8_t version) noexcept {
        prefix_[version_offset] = version;
        detail::store16(prefix_ + id_offset, id);
        return *this;
    }
    event_builder& set_opcode(event_opcode opcode) noexcept {
        prefix_[opcode_offset] = static_cast<std::uint8_t>(opcode);
        return *this;
    }
    event_builder& set_tag(std::uint16_t event_tag) noexcept {
        detail::store16(prefix_ + tag_offset, event_tag);
        return *this;
    }

    // Writes the event to `set`: header (level from the set), the activity
    // id block if `activity_id` (16 bytes) is given, with `related_activity_id`
    // (16 bytes, needs activity_id) after it, the metadata block, the payload.
    // Returns 0 or an errno value: the builder's error (see error()), EINVAL
    // for an open struct or a related id without an activity id, E2BIG for an
    // event over 65,535 bytes, EBADF when the set is disabled or unregistered,
    // or the sink's error. The builder keeps the event: it can be written
    // again, to this or another set.
    EHTRACE_DYNAMIC_INLINE int write(const event_set& set, const void* activity_id = nullptr,
                                     const void* related_activity_id = nullptr) noexcept {
        const auto cursor = static_cast<std::uint64_t>(cursor_);
        const std::size_t metadata_size = metadata_size_of(cursor);
        const std::size_t payload_size = payload_size_of(cursor);
        const std::size_t size = sizeof prefix_ + metadata_size + payload_size;
        // error_ is set until reset() has begun an event (with a name), and
        // when a field would take the event past max_event_size (the room
        // limit keeps the usual fields within it, make_room() the others).
        if (EHTRACE_DYNAMIC_UNLIKELY((error_ | depth_) != 0 || activity_id != nullptr ||
                                     related_activity_id != nullptr)) {
            return write_checked(set, activity_id, related_activity_id);
        }
        // The usual event: prefix_ (the header reset() encoded, with the
        // set's level, and the metadata block header), the metadata, the
        // payload.
        prefix_[level_offset] = set.level();
        detail::store16(prefix_ + header_size, static_cast<std::uint16_t>(metadata_size));  // the block's size
        // set_room() keeps iov_[2] and iov_[3] pointing at the buffers.
        iov_[2].iov_len = metadata_size;
        iov_[3].iov_len = payload_size;
        // What basic_tracepoint::write(iov, iovcnt, size) does, without the
        // call; that write() leaves the enabled check to its caller.
        if (EHTRACE_DYNAMIC_UNLIKELY(!set.enabled())) return EBADF;
        // Never nullptr: an unregistered set's sink returns EBADF.
        return set.tracepoint_.write_target()->write(set.tracepoint_, iov_, 4,
                                                     size);  // an empty payload is an empty iovec
    }

    // 0, or the first error since reset(): EINVAL (bad name or argument,
    // unbalanced struct, no reset() yet), ERANGE (struct over 127 fields, nesting over
    // max_struct_depth, array over 65,535 elements), E2BIG (event over
    // 65,535 bytes), ENOMEM.
    int error() const noexcept {
        // Fields are not checked against the struct limit as they are
        // added (see end_struct()), but an open struct over it is an error.
        if (EHTRACE_DYNAMIC_UNLIKELY(error_ == 0 && depth_ != 0)) return open_struct_error();
        return error_;
    }
    // A sentence for error(), "" when there is none.
    const char* error_message() const noexcept {
        if (error_ != 0) return error_message_;
        return error() != 0 ? too_many_fields_message : "";
    }

    // --- scalars ----------------------------------------------------------

    // One fixed-size value (value8..value128 by `encoding`), its bytes at
    // `value` in native byte order (network order for uuid, port, ip_address).
    EHTRACE_DYNAMIC_INLINE event_builder& add_scalar(std::string_view name, field_encoding encoding,
                                                     field_format format, const void* value,
                                                     std::uint16_t tag = 0) noexcept {
        const std::size_t size = value_size(encoding);
        if (EHTRACE_DYNAMIC_UNLIKELY(size == 0))
            return fail_argument("a scalar field needs a value8..value128 encoding");
        if (EHTRACE_DYNAMIC_UNLIKELY(value == nullptr)) return fail_argument("a scalar field's value is null");
        std::uint8_t* out;
        if (EHTRACE_DYNAMIC_UNLIKELY(!fast_field(name, static_cast<std::uint8_t>(encoding), format, tag, size, out))) {
            restate_cursor();
            // The bytes go by value: a copy in this frame whose address a
            // call took would keep the sink's call at the end of write()
            // from being a tail call (clang).
            std::uint64_t bits[2] = {};
            std::memcpy(bits, value, size);
            return add_scalar_slow(name, encoding, format, bits[0], bits[1], tag);
        }
        // 1, 2, 4, 8 or 16 bytes: a constant size where the encoding is one.
        switch (size) {
        case 1: detail::store8(out, *static_cast<const std::uint8_t*>(value)); break;
        case 2: detail::store16(out, detail::load_as<std::uint16_t>(value)); break;
        case 4: detail::store32(out, detail::load_as<std::uint32_t>(value)); break;
        case 8: detail::store64(out, detail::load_as<std::uint64_t>(value)); break;
        default: detail::copy16(out, static_cast<const std::uint8_t*>(value)); break;
        }
        return *this;
    }

    // One value of a C++ scalar type: the encoding follows sizeof(T), the
    // format defaults as in the compile-time API (signed integers signed_int,
    // bool boolean, double float, pointers hex_int, char string8...).
    template <class T>
    EHTRACE_DYNAMIC_INLINE event_builder& add_value(std::string_view name, T value,
                                                    field_format format = default_format_of<T>(),
                                                    std::uint16_t tag = 0) noexcept {
        static_assert(detail::is_scalar_value<T>, "add_value takes a 1, 2, 4, 8 or 16-byte trivially copyable value");
        return add_scalar(name, value_encoding_for_size(sizeof(T)), format, &value, tag);
    }

    // Shorthands for the formats that need a particular encoding.
    EHTRACE_DYNAMIC_INLINE event_builder& add_value128(std::string_view name, const void* bytes16,
                                                       field_format format = field_format::default_format,
                                                       std::uint16_t tag = 0) noexcept {
        return add_scalar(name, field_encoding::value128, format, bytes16, tag);
    }
    EHTRACE_DYNAMIC_INLINE event_builder& add_uuid(std::string_view name, const void* bytes16,
                                                   std::uint16_t tag = 0) noexcept {
        return add_scalar(name, field_encoding::value128, field_format::uuid, bytes16, tag);
    }
    // `address` in network byte order, as in sockaddr_in::sin_addr.s_addr.
    EHTRACE_DYNAMIC_INLINE event_builder& add_ipv4(std::string_view name, std::uint32_t address,
                                                   std::uint16_t tag = 0) noexcept {
        return add_scalar(name, field_encoding::value32, field_format::ip_address, &address, tag);
    }
    EHTRACE_DYNAMIC_INLINE event_builder& add_ipv6(std::string_view name, const void* bytes16,
                                                   std::uint16_t tag = 0) noexcept {
        return add_scalar(name, field_encoding::value128, field_format::ip_address, bytes16, tag);
    }
    // `port` in network byte order, as in sockaddr_in::sin_port.
    EHTRACE_DYNAMIC_INLINE event_builder& add_port(std::string_view name, std::uint16_t port,
                                                   std::uint16_t tag = 0) noexcept {
        return add_scalar(name, field_encoding::value16, field_format::port, &port, tag);
    }
    EHTRACE_DYNAMIC_INLINE event_builder& add_errno(std::string_view name, std::int32_t value,
                                                    std::uint16_t tag = 0) noexcept {
        return add_scalar(name, field_encoding::value32, field_format::errno_value, &value, tag);
    }
    EHTRACE_DYNAMIC_INLINE event_builder& add_pid(std::string_view name, std::int32_t pid,
                                                  std::uint16_t tag = 0) noexcept {
        return add_scalar(name, field_encoding::value32, field_format::pid, &pid, tag);
    }
    // Seconds since 1970 (value64); add_value(name, std::int32_t{s}, field_format::time) for value32.
    EHTRACE_DYNAMIC_INLINE event_builder& add_time(std::string_view name, std::int64_t seconds,
                                                   std::uint16_t tag = 0) noexcept {
        return add_scalar(name, field_encoding::value64, field_format::time, &seconds, tag);
    }
    // A 32-bit boolean (bool itself is value8 boolean via add_value).
    EHTRACE_DYNAMIC_INLINE event_builder& add_bool32(std::string_view name, bool value,
                                                     std::uint16_t tag = 0) noexcept {
        const std::int32_t stored = value ? 1 : 0;
        return add_scalar(name, field_encoding::value32, field_format::boolean, &stored, tag);
    }

    // --- arrays of fixed-size values ----------------------------------------

    // Variable-length array: count (0..65535) in the payload.
    event_builder& add_scalar_array(std::string_view name, field_encoding encoding, field_format format,
                                    const void* values, std::size_t count, std::uint16_t tag = 0) noexcept;
    // Constant-length array: count (1..65535) in the metadata.
    event_builder& add_scalar_const_array(std::string_view name, field_encoding encoding, field_format format,
                                          const void* values, std::size_t count, std::uint16_t tag = 0) noexcept;

    template <class T>
    EHTRACE_DYNAMIC_INLINE event_builder& add_array(std::string_view name, const T* values, std::size_t count,
                                                    field_format format = default_format_of<T>(),
                                                    std::uint16_t tag = 0) noexcept {
        static_assert(detail::is_scalar_value<T>, "add_array takes arrays of 1, 2, 4, 8 or 16-byte values");
        return add_values(name, static_cast<std::uint8_t>(value_encoding_for_size(sizeof(T))), format, values, count,
                          sizeof(T), tag, false);
    }
    template <class T>
    EHTRACE_DYNAMIC_INLINE event_builder& add_const_array(std::string_view name, const T* values, std::size_t count,
                                                          field_format format = default_format_of<T>(),
                                                          std::uint16_t tag = 0) noexcept {
        static_assert(detail::is_scalar_value<T>, "add_const_array takes arrays of 1, 2, 4, 8 or 16-byte values");
        return add_values(name, static_cast<std::uint8_t>(value_encoding_for_size(sizeof(T))), format, values, count,
                          sizeof(T), tag, true);
    }

    // --- strings and binary -----------------------------------------------

    // Counted strings (string_length16_char8/16/32): at most 65,535 code units.
    // The default format is UTF; string8, string_xml, string_json... apply.
    EHTRACE_DYNAMIC_INLINE event_builder& add_string(std::string_view name, std::string_view value,
                                                     field_format format = field_format::default_format,
                                                     std::uint16_t tag = 0) noexcept {
        return add_units(name, detail::string_encoding<char>(false), format, tag, value.data(), value.size(), 1, true);
    }
    EHTRACE_DYNAMIC_INLINE event_builder& add_string(std::string_view name, std::u16string_view value,
                                                     field_format format = field_format::default_format,
                                                     std::uint16_t tag = 0) noexcept {
        return add_units(name, detail::string_encoding<char16_t>(false), format, tag, value.data(), value.size(), 2,
                         true);
    }
    EHTRACE_DYNAMIC_INLINE event_builder& add_string(std::string_view name, std::u32string_view value,
                                                     field_format format = field_format::default_format,
                                                     std::uint16_t tag = 0) noexcept {
        return add_units(name, detail::string_encoding<char32_t>(false), format, tag, value.data(), value.size(), 4,
                         true);
    }

    // Zero-terminated strings (zstring_char8/16/32): written up to the first
    // 0 code unit in `value`, then a 0 unit.
    EHTRACE_DYNAMIC_INLINE event_builder& add_zstring(std::string_view name, std::string_view value,
                                                      field_format format = field_format::default_format,
                                                      std::uint16_t tag = 0) noexcept {
        return add_units(name, detail::string_encoding<char>(true), format, tag, value.data(),
                         detail::units_before_nul(value.data(), value.size()), 1);
    }
    EHTRACE_DYNAMIC_INLINE event_builder& add_zstring(std::string_view name, std::u16string_view value,
                                                      field_format format = field_format::default_format,
                                                      std::uint16_t tag = 0) noexcept {
        return add_units(name, detail::string_encoding<char16_t>(true), format, tag, value.data(),
                         detail::units_before_nul(value.data(), value.size()), 2);
    }
    EHTRACE_DYNAMIC_INLINE event_builder& add_zstring(std::string_view name, std::u32string_view value,
                                                      field_format format = field_format::default_format,
                                                      std::uint16_t tag = 0) noexcept {
        return add_units(name, detail::string_encoding<char32_t>(true), format, tag, value.data(),
                         detail::units_before_nul(value.data(), value.size()), 4);
    }
    // A zero-terminated string given by its pointer (char, char16_t or
    // char32_t; null is written as ""): measured once, with no second scan
    // for a 0 unit, since the length stops at the first one.
    template <class Char, class = std::enable_if_t<std::is_same_v<Char, char> || std::is_same_v<Char, char16_t> ||
                                                   std::is_same_v<Char, char32_t>>>
    EHTRACE_DYNAMIC_INLINE event_builder& add_zstring(std::string_view name, const Char* value,
                                                      field_format format = field_format::default_format,
                                                      std::uint16_t tag = 0) noexcept {
        const std::size_t count = ::ehtrace::detail::zstring_length(value);
        const std::uint8_t encoding = detail::string_encoding<Char>(true);
        std::uint8_t* out;
        if (EHTRACE_DYNAMIC_UNLIKELY(
                !fast_field(name, encoding, format, tag, units_data_size(encoding, count, sizeof(Char)), out))) {
            restate_cursor();
            return add_units_slow(name, encoding, format, tag, value, count, sizeof(Char));
        }
        // The units and the 0 unit that ends them, in one copy.
        detail::copy_bytes(out, reinterpret_cast<const std::uint8_t*>(value), (count + 1) * sizeof(Char));
        return *this;
    }

    // binary_length16_char8: at most 65,535 bytes, shown as hex by default.
    EHTRACE_DYNAMIC_INLINE event_builder& add_binary(std::string_view name, const void* data, std::size_t size,
                                                     field_format format = field_format::default_format,
                                                     std::uint16_t tag = 0) noexcept {
        if (data == nullptr && size != 0) return fail_argument("binary data is null");
        return add_units(name, static_cast<std::uint8_t>(field_encoding::binary_length16_char8), format, tag, data,
                         size, 1);
    }

    // Variable-length arrays of strings (up to 65,535 of them).
    template <class Char>
    event_builder& add_string_array(std::string_view name, const std::basic_string_view<Char>* values,
                                    std::size_t count, field_format format = field_format::default_format,
                                    std::uint16_t tag = 0) noexcept {
        if (values == nullptr && count != 0) return fail_argument("an array's values are null");
        return add_string_array_of<Char>(
            name, count, [values](std::size_t i) { return values[i]; }, format, tag);
    }
    template <class Char>
    event_builder& add_zstring_array(std::string_view name, const std::basic_string_view<Char>* values,
                                     std::size_t count, field_format format = field_format::default_format,
                                     std::uint16_t tag = 0) noexcept {
        if (values == nullptr && count != 0) return fail_argument("an array's values are null");
        return add_string_array_of<Char>(
            name, count, [values](std::size_t i) { return values[i]; }, format, tag, true);
    }
    // The same from any container: `item(i)` returns element i as something
    // convertible to std::basic_string_view<Char> (e.g. another library's
    // string_view, through a small lambda). Nothing is copied or allocated.
    template <class Char, class Item>
    event_builder& add_string_array_of(std::string_view name, std::size_t count, Item item,
                                       field_format format = field_format::default_format, std::uint16_t tag = 0,
                                       bool zero_terminated = false) noexcept {
        const std::uint8_t encoding = detail::string_encoding<Char>(zero_terminated);
        std::uint8_t* unused;
        if (!begin_array(name, encoding, format, tag, count, unused)) return *this;
        for (std::size_t i = 0; i < count && error_ == 0; ++i) {
            const std::basic_string_view<Char> value = item(i);
            const std::size_t length =
                zero_terminated ? detail::units_before_nul(value.data(), value.size()) : value.size();
            append_units(encoding, value.data(), length, sizeof(Char));
        }
        if (error_ == 0) set_room();  // append_units() may have grown the payload's buffer
        return *this;
    }

    // A string as raw code units of `unit_size` (1, 2 or 4) bytes, for
    // language bindings whose strings are not C++ character types. `count`
    // units are written; a zero-terminated one stops at the first 0 unit.
    EHTRACE_DYNAMIC_INLINE event_builder& add_string_units(std::string_view name, const void* units, std::size_t count,
                                                           std::size_t unit_size, bool zero_terminated,
                                                           field_format format = field_format::default_format,
                                                           std::uint16_t tag = 0) noexcept {
        if (units == nullptr && count != 0) return fail_argument("a string's code units are null");
        switch (unit_size) {
        case 1:
            return add_units(name, detail::string_encoding<char>(zero_terminated), format, tag, units,
                             zero_terminated ? detail::units_before_nul(static_cast<const char*>(units), count) : count,
                             1);
        case 2:
            return add_units(
                name, detail::string_encoding<char16_t>(zero_terminated), format, tag, units,
                zero_terminated ? detail::units_before_nul(static_cast<const std::uint16_t*>(units), count) : count, 2);
        case 4:
            return add_units(
                name, detail::string_encoding<char32_t>(zero_terminated), format, tag, units,
                zero_terminated ? detail::units_before_nul(static_cast<const std::uint32_t*>(units), count) : count, 4);
        default: return fail_argument("a code unit is 1, 2 or 4 bytes");
        }
    }

    // --- structs ----------------------------------------------------------

    // Opens a struct: the fields added until the matching end_struct() are
    // its members (1..127 of them). Structs nest up to max_struct_depth.
    EHTRACE_DYNAMIC_INLINE struct_bookmark begin_struct(std::string_view name, std::uint16_t tag = 0) noexcept {
        const std::size_t depth = depth_;
        const auto opening = static_cast<std::uint64_t>(cursor_);
        std::uint8_t* unused;
        if (EHTRACE_DYNAMIC_UNLIKELY(depth == max_struct_depth ||
                                     !fast_field(name, static_cast<std::uint8_t>(field_encoding::structure),
                                                 static_cast<field_format>(1), tag, 0, unused, 0, false))) {
            restate_cursor();
            return begin_struct_slow(name, tag);
        }
        return push_struct(depth, opening, name);
    }
    // begin_struct() without fast_field().
    EHTRACE_DYNAMIC_INLINE struct_bookmark begin_struct_checked(std::string_view name, std::uint16_t tag) noexcept {
        if (EHTRACE_DYNAMIC_UNLIKELY(depth_ == max_struct_depth)) {
            fail(ERANGE, "structs are nested more than 8 levels deep");
            return {};
        }
        // The format byte holds the field count; 1 until end_struct() patches
        // it (a nonzero format makes the encoder write the byte).
        constexpr auto placeholder_count = static_cast<field_format>(1);
        if (!check_field(name, static_cast<std::uint8_t>(field_encoding::structure), field_format::default_format))
            return {};
        const auto opening = static_cast<std::uint64_t>(cursor_);
        std::uint8_t* unused;
        if (!begin_field(name, static_cast<std::uint8_t>(field_encoding::structure), placeholder_count, tag, 0,
                         unused)) {
            return {};
        }
        return push_struct(depth_, opening, name);
    }
    // Closes the innermost open struct (EINVAL if `bookmark` is not that
    // one, ERANGE if it has more than 127 fields) and patches its field
    // count into the metadata. A struct left empty is dropped from the
    // event, since the format has no empty struct.
    EHTRACE_DYNAMIC_INLINE event_builder& end_struct(struct_bookmark bookmark) noexcept {
        // Slot depth_ is the innermost open struct; slot 0, when none is
        // open, holds a value no bookmark has. So one comparison refuses a
        // bookmark of another struct or event, an invalid one and any after
        // an error (fail() closes every struct).
        const std::uint32_t depth = depth_;
        const auto cursor = static_cast<std::uint64_t>(cursor_);
        if (EHTRACE_DYNAMIC_UNLIKELY(struct_bookmarks_[depth] != bookmark.value)) {
            restate_cursor();
            return fail(EINVAL, "end_struct() does not match the innermost open struct");
        }
        depth_ = depth - 1;
        // Fields are counted for the whole event; the struct's are those
        // since its own was counted. To its parent it is that one field.
        // While the struct is open no part of the cursor falls below the
        // opening's (an inner struct's end takes back only counts from
        // after its own opening), so their difference holds each part's
        // growth, with no borrow from one part into the next.
        const std::uint64_t opening = struct_openings_[depth];
        const std::uint32_t field_count = field_count_of(cursor - opening) - 1;
        if (EHTRACE_DYNAMIC_UNLIKELY(field_count == 0)) {
            // The format has no empty struct: as nothing was added since,
            // the cursor from before its definition drops it and uncounts it.
            cursor_ = static_cast<cursor_word>(opening);
            return *this;
        }
        cursor_ = static_cast<cursor_word>(cursor - (std::uint64_t{field_count} << cursor_count_shift));
        if (EHTRACE_DYNAMIC_UNLIKELY(field_count > max_struct_fields)) return fail_too_many_fields();
        // The format byte holds the placeholder count 1 (and the tag flag):
        // adding count - 1 makes it the count, with no carry out of the byte
        // (at most 0x81 + 126). A 1-byte load: the definition's last 8-byte
        // store holds the format byte, and the next field's definition
        // starts right after it, so a wider load would span two stores that
        // may still be in flight, which the processor cannot forward (a
        // stall of some 20 cycles; docs/write-path.md). store8() is not a
        // character store, so the builder's state stays in registers.
        std::uint8_t* const format = metadata_.data() + bookmark.value;
        detail::store8(format, static_cast<std::uint8_t>(*format + field_count - 1));
        return *this;
    }

    // --- the raw event, for tests and custom sinks -------------------------
    // The metadata block's content (event name, field definitions) and the payload.
    const std::uint8_t* metadata_data() const noexcept { return metadata_.data(); }
    std::size_t metadata_size() const noexcept { return metadata_size_of(static_cast<std::uint64_t>(cursor_)); }
    const std::uint8_t* payload_data() const noexcept { return payload_.data(); }
    std::size_t payload_size() const noexcept { return payload_size_of(static_cast<std::uint64_t>(cursor_)); }

private:
    // Where the event stands, in one word that each field stores once:
    // the payload's size in bits 0-15, the fields counted since reset() in
    // bits 16-47, the metadata's size in bits 48-63 (each size below
    // 65,536, as the event is). Each size takes one instruction or two to
    // read. A type of its own, so that the stores into the buffers
    // cannot be taken to modify it (see detail::store16()).
    enum class cursor_word : std::uint64_t {};
    static constexpr unsigned cursor_count_shift = 16;
    static constexpr unsigned cursor_metadata_shift = 48;
    static constexpr std::uint64_t cursor_one_field = std::uint64_t{1} << cursor_count_shift;
    static constexpr std::size_t payload_size_of(std::uint64_t cursor) noexcept { return cursor & 0xFFFF; }
    static constexpr std::size_t metadata_size_of(std::uint64_t cursor) noexcept {
        return cursor >> cursor_metadata_shift;
    }
    static constexpr std::uint32_t field_count_of(std::uint64_t cursor) noexcept {
        return static_cast<std::uint32_t>(cursor >> cursor_count_shift);
    }
    static constexpr std::uint64_t cursor_of_metadata_size(std::size_t size) noexcept {
        return std::uint64_t{size} << cursor_metadata_shift;
    }
    // Wider than any bookmark, so that no end_struct() matches slot 0.
    static constexpr std::uint64_t no_struct = std::uint64_t{1} << 32;
    // Where encode_header() puts what the setters and write() change.
    static constexpr std::size_t version_offset = 1;
    static constexpr std::size_t id_offset = 2;
    static constexpr std::size_t tag_offset = 4;
    static constexpr std::size_t opcode_offset = 6;
    static constexpr std::size_t level_offset = 7;
    // What an event holds besides prefix_ (the header and the metadata
    // block's header): its metadata and payload.
    static constexpr std::size_t max_content_size = max_event_size - (header_size + extension_block_header_size);

    static constexpr std::size_t value_size(field_encoding encoding) noexcept {
        const auto e = static_cast<std::uint8_t>(encoding);
        return e >= static_cast<std::uint8_t>(field_encoding::value8) &&
                       e <= static_cast<std::uint8_t>(field_encoding::value128)
                   ? std::size_t{1} << (e - static_cast<std::uint8_t>(field_encoding::value8))
                   : 0;
    }

    // The checks every field passes before anything is written: no earlier
    // error, a valid name and format. False with error() set otherwise.
    EHTRACE_DYNAMIC_INLINE bool check_field(std::string_view name, std::uint8_t encoding,
                                            field_format format) noexcept {
        if (EHTRACE_DYNAMIC_UNLIKELY(error_ != 0)) return false;
        if (EHTRACE_DYNAMIC_UNLIKELY(check_name(name) != name_error::none)) {
            fail_name(name, "field");
            return false;
        }
        if (EHTRACE_DYNAMIC_UNLIKELY(
                !format_applies(format, static_cast<field_encoding>(encoding & encoding_flags::value_mask)))) {
            fail_argument("this format does not apply to this encoding (docs/wire.md, the format table)");
            return false;
        }
        return true;
    }

    // The long ways of add_scalar(), add_units() and begin_struct(), for
    // any field fast_field() refuses: every check in order, growing the
    // buffers or recording the error. Out of line: they are rare (a
    // reused builder's buffers soon fit its events), and a call keeps the
    // usual path's registers (see fast_field()).
    // add_scalar_slow(): the value's bytes as two integers (memcpy'd in
    // native order, the first 8 in `low`).
    EHTRACE_DYNAMIC_COLD event_builder& add_scalar_slow(std::string_view name, field_encoding encoding,
                                                        field_format format, std::uint64_t low, std::uint64_t high,
                                                        std::uint16_t tag) noexcept;
    EHTRACE_DYNAMIC_COLD event_builder& add_units_slow(std::string_view name, std::uint8_t encoding,
                                                       field_format format, std::uint16_t tag, const void* units,
                                                       std::size_t count, std::size_t unit_size) noexcept;
    EHTRACE_DYNAMIC_COLD struct_bookmark begin_struct_slow(std::string_view name, std::uint16_t tag) noexcept;

    // The usual field, checked and begun at once: a valid name and format,
    // and room for its definition and `data_size` payload bytes within
    // room_limit_ (one check for both buffers; no room while an error is
    // set). Writes the definition, sets `data` to where the field's
    // `data_size` bytes go, and commits both with the field's count, as
    // begin_field() does: one store of cursor_. False (nothing changed)
    // otherwise: the caller then goes the long way, check_field() and
    // begin_field(), which report what failed or grow the buffers.
    // cursor_ and room_limit_ stay in registers from one field to the
    // next, as they have types of their own that the stores into the
    // buffers cannot modify (see detail::store16()).
    EHTRACE_DYNAMIC_INLINE bool fast_field(std::string_view name, std::uint8_t encoding, field_format format,
                                           std::uint16_t tag, std::size_t data_size, std::uint8_t*& data,
                                           std::uint16_t const_array_length = 0, bool check_format = true) noexcept {
        const auto cursor = static_cast<std::uint64_t>(cursor_);
        const std::size_t metadata_size = metadata_size_of(cursor);
        const std::size_t payload_size = payload_size_of(cursor);
        const std::size_t definition_size =
            name.size() + definition_rest_size(encoding, static_cast<std::uint8_t>(format), tag);
        // Loaded before the check, so that the compiler sees them needed on
        // every path and keeps them in registers from field to field.
        std::uint8_t* const metadata = metadata_.data();
        std::uint8_t* const payload = payload_.data();
        if (metadata_size + payload_size + definition_size + data_size > static_cast<std::uint64_t>(room_limit_) ||
            check_name(name) != name_error::none ||
            (check_format &&
             !format_applies(format, static_cast<field_encoding>(encoding & encoding_flags::value_mask)))) {
            return false;
        }
        data = payload + payload_size;
        put_definition(metadata + metadata_size, name, encoding, static_cast<std::uint8_t>(format), tag,
                       const_array_length);
        cursor_ = advanced(cursor, definition_size, data_size);
        return true;
    }

    // After check_field(): room for the field's definition and for
    // `data_size` payload bytes, both made before either is used.
    // Writes the definition, sets `data` to where the data goes and
    // commits both; false with error() set.
    EHTRACE_DYNAMIC_INLINE bool begin_field(std::string_view name, std::uint8_t encoding, field_format format,
                                            std::uint16_t tag, std::size_t data_size, std::uint8_t*& data,
                                            std::uint16_t const_array_length = 0) noexcept {
        // Always make_room(): the fast path may have failed with room in
        // each buffer, its one check being for both (see make_room()).
        const std::size_t definition_size =
            name.size() + definition_rest_size(encoding, static_cast<std::uint8_t>(format), tag);
        if (!make_room(definition_size, data_size)) return false;
        const auto cursor = static_cast<std::uint64_t>(cursor_);
        data = payload_.data() + payload_size_of(cursor);
        put_definition(metadata_.data() + metadata_size_of(cursor), name, encoding, static_cast<std::uint8_t>(format),
                       tag, const_array_length);
        cursor_ = advanced(cursor, definition_size, data_size);
        return true;
    }
    // `cursor` with a field of `definition_size` metadata and `data_size`
    // payload bytes added; the room check or make_room() keeps the sizes
    // from carrying into the next part.
    static EHTRACE_DYNAMIC_INLINE cursor_word advanced(std::uint64_t cursor, std::size_t definition_size,
                                                       std::size_t data_size) noexcept {
        return static_cast<cursor_word>(cursor + cursor_of_metadata_size(definition_size) + data_size +
                                        cursor_one_field);
    }
    // On a long way, before its first call: stores cursor_ again, as a
    // value the compiler cannot tell is the one already there. A field's
    // store of cursor_ is then overwritten on every way to the next
    // field's before anything can read it (the long ways' calls could),
    // and the compiler drops it: one store less per field wherever the
    // next field reads nothing of the caller's (a byte-wise load could
    // read cursor_; see detail::store16()). Costs one store on a long way.
    EHTRACE_DYNAMIC_INLINE void restate_cursor() noexcept {
        auto cursor = static_cast<std::uint64_t>(cursor_);
        __asm__("" : "+r"(cursor));
        cursor_ = static_cast<cursor_word>(cursor);
    }
    // Sets room_limit_ and room_size_ from the buffers' capacities, after
    // they grew, while error_ is 0: a field within the smaller capacity
    // (counting both buffers' bytes) fits in either, and within the event
    // size limit, which write() then need not check.
    EHTRACE_DYNAMIC_INLINE void set_room() noexcept {
        const std::size_t metadata_capacity = metadata_.capacity();
        const std::size_t payload_capacity = payload_.capacity();
        const std::size_t capacity = metadata_capacity < payload_capacity ? metadata_capacity : payload_capacity;
        const std::size_t room = capacity > definition_slack ? capacity - definition_slack : 0;
        room_size_ = room < max_content_size ? room : max_content_size;
        room_limit_ = static_cast<room_mark>(room_size_);
        // Where the buffers are after growing, for write().
        iov_[2].iov_base = metadata_.data();
        iov_[3].iov_base = payload_.data();
    }
    // A u16 as its bytes in memory order (byte i at bits 8i..8i+7).
    static constexpr std::uint16_t native_bytes(std::uint16_t value) noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        return static_cast<std::uint16_t>(value << 8 | value >> 8);
#else
        return value;
#endif
    }
    // The size of a definition's rest (see put_definition()).
    static constexpr std::size_t definition_rest_size(std::uint8_t encoding, std::uint8_t format,
                                                      std::uint16_t tag) noexcept {
        const bool has_format = format != 0 || tag != 0;
        return 2 + (has_format ? 1 : 0) + (tag != 0 ? 2 : 0) + ((encoding & encoding_flags::const_array) ? 2 : 0);
    }
    // What encode_field_definition() writes: the name, then the rest (NUL,
    // encoding, [format, [tag]], [array length]: 2..7 bytes) as one word.
    // Only 8-byte stores, which may write up to 7 bytes past the
    // definition, into the room the checks keep for it (definition_slack):
    // a short name and its rest take one store. The next definition's
    // stores overwrite those bytes; as they have the same type, the
    // compiler keeps them in order (see detail::store16()).
    static EHTRACE_DYNAMIC_INLINE void put_definition(std::uint8_t* out, std::string_view name, std::uint8_t encoding,
                                                      std::uint8_t format, std::uint16_t tag,
                                                      std::uint16_t const_array_length) noexcept {
        const bool has_format = format != 0 || tag != 0;
        std::uint64_t rest =
            std::uint64_t{static_cast<std::uint8_t>(encoding | (has_format ? encoding_flags::format_follows : 0))} << 8;
        if (has_format) {
            rest |= std::uint64_t{static_cast<std::uint8_t>(format | (tag != 0 ? format_flags::tag_follows : 0))} << 16;
            if (tag != 0) rest |= std::uint64_t{native_bytes(tag)} << 24;
        }
        const std::size_t rest_size = definition_rest_size(encoding, format, tag);
        // The constant array length, when there is one, ends the rest.
        if (encoding & encoding_flags::const_array) {
            rest |= std::uint64_t{native_bytes(const_array_length)} << (8 * (rest_size - 2));
        }
        put_name(out, name, rest, rest_size);
    }
    // A name, then the first `rest_size` (1..8) bytes of `rest` (byte i at
    // bits 8i..8i+7), with 8-byte stores (see put_definition()).
    static EHTRACE_DYNAMIC_INLINE void put_name(std::uint8_t* out, std::string_view name, std::uint64_t rest,
                                                std::size_t rest_size) noexcept {
        const std::size_t size = name.size();
        const auto* from = reinterpret_cast<const std::uint8_t*>(name.data());
        if (size + rest_size <= 8) {
            detail::store64_bytes(out, detail::word_of_bytes(from, size) | rest << (8 * size));
            return;
        }
        detail::copy_words(out, from, size);
        detail::store64_bytes(out + size, rest);
    }
    // What put_definition() may write past a definition.
    static constexpr std::size_t definition_slack = 8;
    // Whether `more` metadata and payload bytes keep the event within
    // max_event_size; false with E2BIG recorded otherwise. write() does not
    // check the size: fields within room_limit_ are within it, and every
    // other way an event grows asks here first.
    EHTRACE_DYNAMIC_INLINE bool within_size_limit(std::size_t more) noexcept {
        if (EHTRACE_DYNAMIC_UNLIKELY(metadata_size() + payload_size() + more > max_content_size)) {
            fail(E2BIG, too_big_message);
            return false;
        }
        return true;
    }
    // Grows the buffers for `definition_size` metadata bytes (and the 8 that
    // put_definition() may write past them) and `data_size` payload bytes
    // (either size may be 0), and sets the room (nothing reserved); false
    // with error() set when they cannot grow (the event would pass the size
    // limit, or memory ran out), or false at once when error() was already
    // set. As room_limit_ counts both buffers' bytes against the
    // room of either, each buffer is also grown (when it can be) to twice
    // what the event holds so far in both, so that fields soon stop
    // coming here.
    EHTRACE_DYNAMIC_COLD bool make_room(std::size_t definition_size, std::size_t data_size) noexcept;

    static constexpr bool is_zero_terminated(std::uint8_t encoding) noexcept {
        return encoding >= static_cast<std::uint8_t>(field_encoding::zstring_char8) &&
               encoding <= static_cast<std::uint8_t>(field_encoding::zstring_char32);
    }
    // The payload bytes of `count` units: a u16 count and the units (counted
    // strings, binary), or the units and a 0 unit (zstrings). False with
    // error() set when they cannot fit.
    EHTRACE_DYNAMIC_INLINE bool check_unit_count(std::uint8_t encoding, std::size_t count) noexcept {
        if (EHTRACE_DYNAMIC_UNLIKELY(count > 0xFFFF && !is_zero_terminated(encoding))) {
            fail(E2BIG, "a counted string or binary field holds at most 65,535 code units");
            return false;
        }
        if (EHTRACE_DYNAMIC_UNLIKELY(count > max_event_size)) {  // cannot fit; keeps count * unit_size from overflowing
            fail_no_room();
            return false;
        }
        return true;
    }
    static constexpr std::size_t units_data_size(std::uint8_t encoding, std::size_t count,
                                                 std::size_t unit_size) noexcept {
        return count * unit_size + (is_zero_terminated(encoding) ? unit_size : sizeof(std::uint16_t));
    }
    EHTRACE_DYNAMIC_INLINE void put_units(std::uint8_t* out, std::uint8_t encoding, const void* units,
                                          std::size_t count, std::size_t unit_size) noexcept {
        const std::size_t size = count * unit_size;
        const auto* from = static_cast<const std::uint8_t*>(units);
        if (!is_zero_terminated(encoding)) {
            detail::store16(out, static_cast<std::uint16_t>(count));
            detail::copy_bytes(out + 2, from, size);
            return;
        }
        // The units, then a 0 unit (see unchecked_writer::put_zstring()).
        if (unit_size == 1) {
            detail::unchecked_writer writer{out};
            writer.put_zstring({static_cast<const char*>(units), size});
            return;
        }
        detail::copy_bytes(out, from, size);
        if (unit_size == 2) {
            detail::store16(out + size, 0);
        } else {
            detail::store32(out + size, 0);
        }
    }

    // A string or binary field: its definition, then its units as put_units() writes them.
    // `viewed`: the units are those of a string view, a range of memory that
    // exists, as are a zero-terminated string's (the count is of units
    // read). Then count * unit_size cannot wrap, and the room check alone
    // refuses more than 65,535 units: room_limit_ is never more than
    // max_content_size. Any other count is
    // the caller's word, checked first.
    EHTRACE_DYNAMIC_INLINE event_builder& add_units(std::string_view name, std::uint8_t encoding, field_format format,
                                                    std::uint16_t tag, const void* units, std::size_t count,
                                                    std::size_t unit_size, bool viewed = false) noexcept {
        static_assert(units_data_size(detail::string_encoding<char>(false), 0x10000, 1) > max_content_size,
                      "65,536 units fail the room check");
        std::uint8_t* out;
        if (EHTRACE_DYNAMIC_UNLIKELY(
                (!viewed && !is_zero_terminated(encoding) && count > 0xFFFF) ||
                !fast_field(name, encoding, format, tag, units_data_size(encoding, count, unit_size), out))) {
            restate_cursor();
            return add_units_slow(name, encoding, format, tag, units, count, unit_size);
        }
        // A counted string's count fits in 16 bits here; saying so keeps
        // the compiler from warning of copies of sizes it cannot reach.
        put_units(out, encoding, units, is_zero_terminated(encoding) ? count : static_cast<std::uint16_t>(count),
                  unit_size);
        return *this;
    }
    // add_units() without fast_field().
    EHTRACE_DYNAMIC_INLINE event_builder& add_units_checked(std::string_view name, std::uint8_t encoding,
                                                            field_format format, std::uint16_t tag, const void* units,
                                                            std::size_t count, std::size_t unit_size) noexcept {
        if (!check_field(name, encoding, format) || !check_unit_count(encoding, count)) return *this;
        std::uint8_t* out;
        if (begin_field(name, encoding, format, tag, units_data_size(encoding, count, unit_size), out)) {
            put_units(out, encoding, units, count, unit_size);
        }
        return *this;
    }
    // An element of a string array (while error_ is 0): its units only.
    EHTRACE_DYNAMIC_INLINE void append_units(std::uint8_t encoding, const void* units, std::size_t count,
                                             std::size_t unit_size) noexcept {
        if (!check_unit_count(encoding, count)) return;
        const std::size_t size = units_data_size(encoding, count, unit_size);
        // The limit first, so that a refused element grows nothing.
        if (!within_size_limit(size)) return;
        const auto cursor = static_cast<std::uint64_t>(cursor_);
        if (EHTRACE_DYNAMIC_UNLIKELY(!payload_.reserve(payload_size_of(cursor), size))) {
            fail_no_room();
            return;
        }
        put_units(payload_.data() + payload_size_of(cursor), encoding, units, count, unit_size);
        cursor_ = static_cast<cursor_word>(cursor + size);
    }

    // write() with activity ids, or refusing an event it cannot write.
    int write_checked(const event_set& set, const void* activity_id, const void* related_activity_id) noexcept;

    // A variable-length array's definition and its u16 element count,
    // with room for `data_size` more payload bytes after the count.
    EHTRACE_DYNAMIC_INLINE bool begin_array(std::string_view name, std::uint8_t encoding, field_format format,
                                            std::uint16_t tag, std::size_t count, std::uint8_t*& data,
                                            std::size_t data_size = 0) noexcept {
        if (EHTRACE_DYNAMIC_UNLIKELY(error_ != 0)) return false;
        if (EHTRACE_DYNAMIC_UNLIKELY(count > 0xFFFF)) {
            fail(ERANGE, "an array has more than 65,535 elements");
            return false;
        }
        if (!check_field(name, encoding, format) ||
            !begin_field(name, static_cast<std::uint8_t>(encoding | encoding_flags::var_array), format, tag,
                         sizeof(std::uint16_t) + data_size, data)) {
            return false;
        }
        const auto stored_count = static_cast<std::uint16_t>(count);
        detail::store16(data, stored_count);
        data += sizeof stored_count;
        return true;
    }

    // Arrays of `count` values of `size` (1..16) bytes: variable-length
    // (count in the payload) or constant-length (count in the metadata).
    EHTRACE_DYNAMIC_INLINE event_builder& add_values(std::string_view name, std::uint8_t encoding, field_format format,
                                                     const void* values, std::size_t count, std::size_t size,
                                                     std::uint16_t tag, bool constant_length) noexcept {
        std::uint8_t* out;
        if (constant_length) {
            if (EHTRACE_DYNAMIC_UNLIKELY(count == 0))
                return fail_argument("a constant-length array needs at least one element");
            if (EHTRACE_DYNAMIC_UNLIKELY(count > 0xFFFF)) return fail(ERANGE, "an array has more than 65,535 elements");
            if (EHTRACE_DYNAMIC_UNLIKELY(values == nullptr)) return fail_argument("an array's values are null");
            if (!check_field(name, encoding, format) ||
                !begin_field(name, static_cast<std::uint8_t>(encoding | encoding_flags::const_array), format, tag,
                             count * size, out, static_cast<std::uint16_t>(count))) {
                return *this;
            }
        } else {
            if (EHTRACE_DYNAMIC_LIKELY(count <= 0xFFFF && (values != nullptr || count == 0) &&
                                       fast_field(name, static_cast<std::uint8_t>(encoding | encoding_flags::var_array),
                                                  format, tag, sizeof(std::uint16_t) + count * size, out))) {
                detail::store16(out, static_cast<std::uint16_t>(count));
                detail::copy_bytes(out + sizeof(std::uint16_t), static_cast<const std::uint8_t*>(values), count * size);
                return *this;
            }
            restate_cursor();
            if (EHTRACE_DYNAMIC_UNLIKELY(values == nullptr && count != 0))
                return fail_argument("an array's values are null");
            if (!begin_array(name, encoding, format, tag, count, out, count * size)) return *this;
        }
        detail::copy_bytes(out, static_cast<const std::uint8_t*>(values), count * size);
        return *this;
    }

    // Records the struct whose definition (named `name`) was just written
    // where `opening`, the cursor before it, ended the metadata, as the
    // innermost open one, above the `depth` open before it.
    EHTRACE_DYNAMIC_INLINE struct_bookmark push_struct(std::size_t depth, std::uint64_t opening,
                                                       std::string_view name) noexcept {
        const std::uint32_t bookmark = format_offset(static_cast<std::uint32_t>(metadata_size_of(opening)), name);
        struct_bookmarks_[depth + 1] = bookmark;
        struct_openings_[depth + 1] = opening;
        depth_ = static_cast<std::uint32_t>(depth + 1);
        return {bookmark};
    }
    // A struct's bookmark is where its format byte is in the metadata: no
    // two structs open in an event share it, and it is below 65,536, so
    // never struct_bookmark::invalid.
    static EHTRACE_DYNAMIC_INLINE std::uint32_t format_offset(std::uint32_t definition_offset,
                                                              std::string_view name) noexcept {
        return static_cast<std::uint32_t>(definition_offset + name.size() + 2);  // name NUL encoding
    }

    // ERANGE when an open struct has more than 127 fields, else 0.
    int open_struct_error() const noexcept;
    static constexpr const char* too_many_fields_message = "a struct has more than 127 fields";
    static constexpr const char* no_event_message = "no event: reset() was not called";
    static constexpr const char* too_big_message = "the event is larger than 65,535 bytes";

    // Record the first error (an open struct's ERANGE if there is one, as
    // it came first); out of line, they are the cold paths.
    EHTRACE_DYNAMIC_COLD event_builder& fail(int error, const char* message) noexcept;
    EHTRACE_DYNAMIC_COLD event_builder& fail_name(std::string_view name, const char* what) noexcept;
    EHTRACE_DYNAMIC_COLD event_builder& fail_argument(const char* message) noexcept;
    EHTRACE_DYNAMIC_COLD event_builder& fail_no_room() noexcept;
    EHTRACE_DYNAMIC_COLD event_builder& fail_too_many_fields() noexcept;

    detail::byte_buffer metadata_;  // event name NUL, then field definitions
    detail::byte_buffer payload_;
    cursor_word cursor_{};
    // The fast paths' one room check for both buffers: the bytes of both
    // after the field are at most room_limit_, the smaller capacity (within
    // the event size limit), so the field fits in either (0 while error_ is
    // set, so that every field takes the long way). room_size_ is that
    // capacity, what reset() sets room_limit_ to. Its own type, as
    // cursor_word.
    enum class room_mark : std::uint64_t {};
    room_mark room_limit_{};
    std::size_t room_size_ = 0;
    // Until the first reset() there is no event: fields and write() are
    // refused (so write() need not check for an event name).
    const char* error_message_ = no_event_message;
    // Next to each other, so that reset() clears both with one store.
    int error_ = EINVAL;
    std::uint32_t depth_ = 0;
    // The open structs, innermost in slot depth_; slot 0 is for no struct.
    // Two arrays of 8-byte slots, which an index addresses without a
    // multiplication. A bookmark is the value of struct_bookmark (where its
    // format byte is); slot 0's is no_struct. A struct's opening is the
    // cursor before its definition.
    std::uint64_t struct_bookmarks_[max_struct_depth + 1] = {no_struct};
    std::uint64_t struct_openings_[max_struct_depth + 1] = {};
    // What write() gives the sink, kept between events so that write() only
    // fills in what changes: iov_[0] is the sink's, iov_[1] prefix_ (the
    // header and the metadata block header), iov_[2] the metadata, iov_[3]
    // the payload. A builder is neither copied nor moved, so the pointer to
    // prefix_ stays valid.
    std::uint8_t prefix_[header_size + extension_block_header_size] = {};
    ::iovec iov_[4] = {{nullptr, 0}, {prefix_, sizeof prefix_}, {nullptr, 0}, {nullptr, 0}};
};

}  // namespace abi_v4
}  // namespace ehtrace::dynamic
