// EventHeader tracepoint names: <provider>_L<level hex>K<keyword hex>[options]
// (docs/wire.md, names). The grammar is stated once, here, as constexpr
// functions: the compile-time API checks and builds names with them during
// compilation, the dynamic API, the decoder and the collector at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <ehtrace/wire/eventheader.hpp>

namespace ehtrace {

// --- characters -------------------------------------------------------------

// What this library writes in a provider name: tracefs-safe and the same in
// every tool's command line.
constexpr bool is_provider_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// What a reader accepts in a provider name written by anyone: the format
// forbids only the separators of "system:name" and of command fields.
constexpr bool is_foreign_provider_char(char c) noexcept { return c != ' ' && c != ':' && c != '\0'; }

// Level and keyword are written in lowercase hex without leading zeros.
constexpr bool is_name_hex_digit(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Options: an uppercase letter, then its value of lowercase letters and digits.
constexpr bool is_option_letter(char c) noexcept { return c >= 'A' && c <= 'Z'; }
constexpr bool is_option_value_char(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// --- lengths ----------------------------------------------------------------

// Digits of `value` in the name's hex (at least one).
constexpr std::size_t hex_digits(std::uint64_t value) noexcept {
    std::size_t digits = 1;
    while (value >>= 4) ++digits;
    return digits;
}

constexpr std::size_t tracepoint_name_length(std::size_t provider_length, std::uint8_t level, std::uint64_t keyword,
                                             std::size_t options_length) noexcept {
    return provider_length + 2 + hex_digits(level) + 1 + hex_digits(keyword) + options_length;
}

// The kernel keeps user_events names in a 256-byte buffer with its NUL.
constexpr bool tracepoint_name_fits(std::size_t length) noexcept { return length <= max_tracepoint_name_length; }

// --- checks for writers -----------------------------------------------------

// Why a provider name (or options string) was refused.
enum class provider_name_error : std::uint8_t {
    none,
    empty,
    invalid_character,  // only [A-Za-z0-9_] is tracefs-safe
    invalid_options,    // options: uppercase letter then [a-z0-9]*, sorted by letter
    too_long,           // tracepoint name would be 256 bytes or more
};

constexpr provider_name_error check_provider_name(std::string_view name) noexcept {
    if (name.empty()) return provider_name_error::empty;
    for (char c : name) {
        if (!is_provider_char(c)) return provider_name_error::invalid_character;
    }
    return provider_name_error::none;
}

// Sorted by letter so that one set of options has one spelling, and with it
// one tracepoint.
constexpr bool options_well_formed(std::string_view options) noexcept {
    char previous_letter = 0;
    for (std::size_t i = 0; i < options.size();) {
        const char letter = options[i];
        if (!is_option_letter(letter) || letter < previous_letter) return false;
        previous_letter = letter;
        ++i;
        while (i < options.size() && is_option_value_char(options[i])) ++i;
    }
    return true;
}

constexpr provider_name_error check_provider_options(std::string_view options) noexcept {
    return options_well_formed(options) ? provider_name_error::none : provider_name_error::invalid_options;
}

// A whole name made of provider characters only, within the length limit:
// what the collector accepts as a name it did not build itself.
constexpr bool is_plain_tracepoint_name(std::string_view name) noexcept {
    if (name.empty() || !tracepoint_name_fits(name.size())) return false;
    for (char c : name) {
        if (!is_provider_char(c)) return false;
    }
    return true;
}

// --- building ---------------------------------------------------------------

// "<provider>_L<level>K<keyword><options>". `out` takes bytes through
// put(std::uint8_t) and put_string(std::string_view).
template <class Writer>
constexpr void encode_tracepoint_name(Writer& out, std::string_view provider, std::uint8_t level, std::uint64_t keyword,
                                      std::string_view options) noexcept {
    constexpr char digits[] = "0123456789abcdef";
    auto put_hex = [&](std::uint64_t value) {
        for (std::size_t i = hex_digits(value); i-- > 0;)
            out.put(static_cast<std::uint8_t>(digits[(value >> (4 * i)) & 0xF]));
    };
    out.put_string(provider);
    out.put('_');
    out.put('L');
    put_hex(level);
    out.put('K');
    put_hex(keyword);
    out.put_string(options);
}

// --- parsing ----------------------------------------------------------------

struct tracepoint_name_parts {
    std::string_view provider;
    std::string_view options;  // e.g. "Gsrv"; empty when none
    std::uint8_t level = 0;
    std::uint64_t keyword = 0;
};

namespace detail {

// 1..16 name hex digits at `pos`; advances pos. Leading zeros are read,
// since another writer may have put them there.
constexpr bool parse_name_hex(std::string_view s, std::size_t& pos, std::uint64_t& value) noexcept {
    const std::size_t begin = pos;
    value = 0;
    while (pos < s.size() && is_name_hex_digit(s[pos])) {
        if (pos - begin == 16) return false;
        const char c = s[pos];
        value = value * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : c - 'a' + 10);
        ++pos;
    }
    return pos != begin;
}

}  // namespace detail

// Splits a name written by any EventHeader writer: the provider is
// everything before the last '_' and may hold any character but ' ', ':'
// and NUL. False for a name that breaks the grammar (`out` is then
// unspecified); a "system:" prefix is not accepted.
constexpr bool split_tracepoint_name(std::string_view name, tracepoint_name_parts& out) noexcept {
    if (name.empty() || !tracepoint_name_fits(name.size())) return false;
    const auto underscore = name.rfind('_');
    if (underscore == std::string_view::npos || underscore == 0) return false;
    const std::string_view provider = name.substr(0, underscore);
    for (const char c : provider) {
        if (!is_foreign_provider_char(c)) return false;
    }
    const std::string_view tail = name.substr(underscore + 1);
    std::size_t pos = 0;
    std::uint64_t level = 0;
    if (pos >= tail.size() || tail[pos] != 'L') return false;
    ++pos;
    if (!detail::parse_name_hex(tail, pos, level) || level == 0 || level > 255) return false;
    if (pos >= tail.size() || tail[pos] != 'K') return false;
    ++pos;
    std::uint64_t keyword = 0;
    if (!detail::parse_name_hex(tail, pos, keyword)) return false;
    const std::string_view options = tail.substr(pos);
    if (!options_well_formed(options)) return false;
    out.provider = provider;
    out.options = options;
    out.level = static_cast<std::uint8_t>(level);
    out.keyword = keyword;
    return true;
}

// The value of option `letter` in well-formed options (e.g. 'G' in "Gsrv"
// -> "srv"), or empty.
constexpr std::string_view tracepoint_name_option(std::string_view options, char letter) noexcept {
    for (std::size_t i = 0; i < options.size();) {
        const char current = options[i];
        const std::size_t value_begin = ++i;
        while (i < options.size() && !is_option_letter(options[i])) ++i;
        if (current == letter) return options.substr(value_begin, i - value_begin);
    }
    return {};
}

// A name the kernel's user_events takes, EventHeader or not: it splits
// "name fields" at blanks and "system:name" at ':'.
constexpr bool is_user_events_name(std::string_view name) noexcept {
    if (name.empty() || !tracepoint_name_fits(name.size())) return false;
    for (char c : name) {
        if (c == ':' || c == ' ' || c == '\t' || c == '\n' || static_cast<unsigned char>(c) < 0x20) return false;
    }
    return true;
}

}  // namespace ehtrace
