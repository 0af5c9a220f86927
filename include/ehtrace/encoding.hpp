// The EventHeader encoder shared by the compile-time and dynamic APIs: one
// definition of how names, field definitions and headers become bytes. Every
// function here is constexpr, so the compile-time API runs it during
// compilation and the dynamic builder runs the same code at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <ehtrace/wire/eventheader.hpp>
#include <ehtrace/wire/tracepoint_name.hpp>

// For the dynamic builder, which runs these at run time: inlined even into
// large functions, so that a literal name's check and definition fold to
// constants. No effect on compile-time evaluation.
#if defined(__GNUC__)
#define EHTRACE_ENCODER_INLINE __attribute__((always_inline))
#else
#define EHTRACE_ENCODER_INLINE
#endif

namespace ehtrace {

// Why a name was refused.
enum class name_error : std::uint8_t {
    none,
    empty,
    contains_semicolon,  // ';' separates attributes in the metadata
    contains_nul,
};

namespace detail {

// Whether any byte of `word` is zero (exact: no false answers).
EHTRACE_ENCODER_INLINE constexpr bool has_zero_byte(std::uint64_t word) noexcept {
    return ((word - 0x0101010101010101u) & ~word & 0x8080808080808080u) != 0;
}

// `size` (1..8) bytes as a word, in some byte order (the checks below do
// not care which); only the bytes present are read.
EHTRACE_ENCODER_INLINE constexpr std::uint64_t load_bytes(const char* p, std::size_t size) noexcept {
    std::uint64_t word = 0;
    if (!__builtin_is_constant_evaluated()) {
        __builtin_memcpy(&word, p, size);  // one load for the constant sizes used here
        return word;
    }
    for (std::size_t i = 0; i < size; ++i) word |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    return word;
}

// True when no byte of the 8-byte `word` is ';' or NUL: the run-time fast
// path of check_name for the dynamic builder, which checks every field name.
EHTRACE_ENCODER_INLINE constexpr bool word_is_plain(std::uint64_t word) noexcept {
    return !has_zero_byte(word) && !has_zero_byte(word ^ 0x3B3B3B3B3B3B3B3Bu);
}

// Whether the compiler folds check_name()'s byte loop below for a literal
// of three bytes. g++ 12 does for one or two bytes, not for three, and so
// checked a name such as "pid" byte by byte at run time in the dynamic
// builder; for it a 3-byte name takes a word path too (clang, which folds
// the loop, keeps it: with the word its register allocation only got worse).
#if defined(__clang__)
inline constexpr bool byte_loop_folds_three = true;
#else
inline constexpr bool byte_loop_folds_three = false;
#endif

}  // namespace detail

EHTRACE_ENCODER_INLINE constexpr name_error check_name(std::string_view name, bool allow_empty = false) noexcept {
    if (name.empty() && !allow_empty) return name_error::empty;
    // Whole words at a time (the last one overlaps the one before; 4..7
    // bytes make one word of two overlapping halves). Only a word that may
    // hold ';' or NUL falls through to the exact byte loop.
    if (name.size() >= 8) {
        bool plain = true;
        for (std::size_t i = 0; plain && i < name.size(); i += 8) {
            const std::size_t at = i + 8 <= name.size() ? i : name.size() - 8;
            plain = detail::word_is_plain(detail::load_bytes(name.data() + at, 8));
        }
        if (plain) return name_error::none;
    } else if (name.size() >= 4) {
        const std::uint64_t word =
            detail::load_bytes(name.data(), 4) | detail::load_bytes(name.data() + name.size() - 4, 4) << 32;
        if (detail::word_is_plain(word)) return name_error::none;
    } else if (name.size() == 3 && !detail::byte_loop_folds_three) {
        // Three bytes and five plain ones ('A'), with no loop.
        const std::uint64_t word =
            detail::load_bytes(name.data(), 2) | detail::load_bytes(name.data() + 2, 1) << 16 | 0x4141414141000000u;
        if (detail::word_is_plain(word)) return name_error::none;
    }
    for (char c : name) {
        if (c == ';') return name_error::contains_semicolon;
        if (c == '\0') return name_error::contains_nul;
    }
    return name_error::none;
}

// Byte sink over a caller-provided buffer; with a null buffer it only
// counts, so one routine both sizes and fills. Unit is uint8_t for event
// bytes and char for names and registration commands.
template <class Unit>
class basic_byte_writer {
public:
    constexpr basic_byte_writer() noexcept = default;
    constexpr explicit basic_byte_writer(Unit* out) noexcept : out_(out) {}

    constexpr void put(std::uint8_t byte) noexcept {
        if (out_ != nullptr) out_[size_] = static_cast<Unit>(byte);
        ++size_;
    }
    // Multi-byte values in the writer's (native) byte order, as EventHeader
    // events are written by the producing process.
    constexpr void put_u16(std::uint16_t value) noexcept {
        if constexpr (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
            put(static_cast<std::uint8_t>(value));
            put(static_cast<std::uint8_t>(value >> 8));
        } else {
            put(static_cast<std::uint8_t>(value >> 8));
            put(static_cast<std::uint8_t>(value));
        }
    }
    constexpr void put_string(std::string_view text) noexcept {
        for (char c : text) put(static_cast<std::uint8_t>(c));
    }
    constexpr void put_zstring(std::string_view text) noexcept {
        put_string(text);
        put(0);
    }
    constexpr std::size_t size() const noexcept { return size_; }

private:
    Unit* out_ = nullptr;
    std::size_t size_ = 0;
};

using byte_writer = basic_byte_writer<std::uint8_t>;
using char_writer = basic_byte_writer<char>;

// A field definition in the metadata block:
//   name NUL, encoding [format [tag]] [array length]
// `encoding` carries the array flags; the format byte is written when the
// format or the tag is not zero.
template <class Writer>
EHTRACE_ENCODER_INLINE constexpr void encode_field_definition(Writer& out, std::string_view name, std::uint8_t encoding,
                                                              std::uint8_t format, std::uint16_t tag,
                                                              std::uint16_t const_array_length) noexcept {
    out.put_zstring(name);
    const bool has_format = format != 0 || tag != 0;
    out.put(static_cast<std::uint8_t>(encoding | (has_format ? encoding_flags::format_follows : 0)));
    if (has_format) {
        out.put(static_cast<std::uint8_t>(format | (tag != 0 ? format_flags::tag_follows : 0)));
        if (tag != 0) out.put_u16(tag);
    }
    if (encoding & encoding_flags::const_array) out.put_u16(const_array_length);
}

// The header, as the 8 bytes at the start of every event.
template <class Writer>
constexpr void encode_header(Writer& out, bool has_extensions, std::uint8_t version, std::uint16_t id,
                             std::uint16_t tag, std::uint8_t opcode, std::uint8_t level) noexcept {
    out.put(static_cast<std::uint8_t>(header_flags::native | (has_extensions ? header_flags::extension : 0)));
    out.put(version);
    out.put_u16(id);
    out.put_u16(tag);
    out.put(opcode);
    out.put(level);
}

template <class Writer>
constexpr void encode_extension_header(Writer& out, std::uint16_t size, extension_kind kind, bool more) noexcept {
    out.put_u16(size);
    out.put_u16(static_cast<std::uint16_t>(static_cast<std::uint16_t>(kind) | (more ? extension_chain_flag : 0)));
}

}  // namespace ehtrace
