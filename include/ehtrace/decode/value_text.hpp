// Value to text: the plain text of one decoded value (numbers, errno, time,
// uuid, IP addresses, strings transcoded to UTF-8), with no output syntax.
// Formatters (JSON, text, ...) add their own syntax around it. The rules are
// in docs/json.md ("Value forms").
#pragma once

#include <ehtrace/wire/eventheader.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ehtrace::decode {

struct tracepoint_field;

// One value as the wire gives it: the bytes of a fixed-size value, or the
// code units of a string (no length prefix, no terminator).
struct value_bytes {
    std::span<const std::byte> bytes;
    field_encoding encoding = field_encoding::invalid;
    field_format format = field_format::default_format;
    bool byte_swap = false;  // bytes are in the other byte order than this machine's
};

// What the text of a value is, so a formatter knows how to write it.
enum class value_kind : std::uint8_t {
    null,     // no value (a length-prefixed value of length 0)
    number,   // decimal digits, sign, fraction, exponent
    boolean,  // "true" or "false"
    text,     // anything else: quote it
};

// How string characters are written. `control`: control characters (below
// U+0020) get JSON's escapes (\n, \t, \u001b, ...), so the text stays on one
// line and cannot drive a terminal; the rest as it is. `json`: quotes and
// backslashes too, so the text can go between quotes in JSON.
enum class text_escape : std::uint8_t { control, json };

// The text of a value of bounded size (every fixed-size value). No allocation.
struct scalar_text {
    static constexpr std::size_t capacity = 64;
    char data[capacity];
    std::uint8_t size = 0;
    value_kind kind = value_kind::null;
    bool may_need_escape = false;  // a character value: may be '"', '\\' or a control
    bool beyond_double = false;    // an integer whose magnitude exceeds 2^53
    [[nodiscard]] std::string_view view() const noexcept { return {data, size}; }
};

// True when the value is a string of unbounded length (written with
// append_string_text); false when scalar_text_of writes it. A length-prefixed
// value with a non-string format whose length fits the format is a scalar.
[[nodiscard]] bool is_string_value(const value_bytes& value) noexcept;

// The text of a value for which is_string_value() is false.
[[nodiscard]] scalar_text scalar_text_of(const value_bytes& value) noexcept;

// A string value (is_string_value() true) as UTF-8: 8-bit strings declared
// UTF-8 keep valid sequences and take any other byte as Latin-1; 16/32-bit
// strings turn unpaired surrogates and values above U+10FFFF into U+FFFD;
// string8 is Latin-1; a BOM is honoured for the BOM/XML/JSON formats; binary
// and hex_bytes are space-separated lower-case hex pairs.
void append_string_text(std::string& out, const value_bytes& value, text_escape escape);

// A plain (tracefs) tracepoint's char field, fixed or __data_loc: the bytes
// up to the first NUL, each taken as a Latin-1 character, as the kernel's
// char type says nothing of an encoding (the established decoders agree).
void append_tracefs_string_text(std::string& out, std::span<const std::byte> field, text_escape escape);

// `utf8` (taken as the 8-bit UTF-8 rule above) with the given escapes.
void append_utf8_text(std::string& out, std::string_view utf8, text_escape escape);

// Integer text.
[[nodiscard]] scalar_text unsigned_text(std::uint64_t value) noexcept;
[[nodiscard]] scalar_text signed_text(std::int64_t value) noexcept;
// "0x" and upper-case hex digits, no leading zeros.
[[nodiscard]] scalar_text hex_text(std::uint64_t value) noexcept;

// One integer of a plain tracepoint field (a scalar or an array element, the
// field's element_size bytes at `p`): hex, signed or unsigned as the field's
// declaration says (docs/json.md, "Plain tracepoints"). `hex_as_number`:
// hex-shown integers other than pointers as decimal (--safe-numbers).
[[nodiscard]] scalar_text tracefs_integer_text(const tracepoint_field& field, const std::byte* p, bool swap,
                                               bool hex_as_number) noexcept;

// "2024-01-02T03:04:05" for seconds since 1970 UTC, or "TIME(<n>)".
void append_time_text(std::string& out, std::int64_t seconds);
// "ENOENT(2)" for known values, else "ERRNO(<n>)"; the value is read as a
// signed 32-bit integer.
void append_errno_text(std::string& out, std::int32_t value);
// RFC 4122 text form of 16 bytes, lower case.
void append_uuid_text(std::string& out, const std::byte* bytes16);
// "...T...Z" with nanoseconds for a wall-clock time in nanoseconds since 1970.
void append_utc_time_text(std::string& out, std::uint64_t time_ns);

}  // namespace ehtrace::decode
