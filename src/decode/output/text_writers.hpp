// Text primitives shared by the value layer and the formatters: each writes
// at a caller's buffer and returns the end. Private to the decoder.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ehtrace::decode::detail {

template <std::size_t N>
inline char* write_literal(char* p, const char (&text)[N]) noexcept {
    std::memcpy(p, text, N - 1);
    return p + (N - 1);
}

// "00".."99": two decimal digits per load.
inline constexpr char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// Two decimal digits of a value below 100 at p, leading zero included.
[[gnu::always_inline]] inline void put_two_digits(char* p, std::uint32_t value) noexcept {
    std::memcpy(p, digit_pairs + 2 * value, 2);
}
// Four decimal digits of a value below 10,000 at p, leading zeros included.
[[gnu::always_inline]] inline void put_four_digits(char* p, std::uint32_t value) noexcept {
    put_two_digits(p, value / 100);
    put_two_digits(p + 2, value % 100);
}

// 1 to 4 digits of a value below 10,000.
[[gnu::always_inline]] inline char* write_uint_below_10000(char* p, std::uint32_t value) noexcept {
    if (value < 100) {
        if (value < 10) {
            *p = static_cast<char>('0' + value);
            return p + 1;
        }
        put_two_digits(p, value);
        return p + 2;
    }
    const std::uint32_t high = value / 100, low = value % 100;
    if (high < 10) {
        *p++ = static_cast<char>('0' + high);
    } else {
        put_two_digits(p, high);
        p += 2;
    }
    put_two_digits(p, low);
    return p + 2;
}

// Values of 10,000 and more (write_uint's slow part).
char* write_uint_above_9999(char* p, std::uint64_t value) noexcept;

// The decimal digits of value (at most 20 bytes), as std::to_chars writes
// them. Values below 10,000 (most counts, sizes and array elements in a
// trace) are written inline, the rest out of line.
[[gnu::always_inline]] inline char* write_uint(char* p, std::uint64_t value) noexcept {
    if (value < 10000) return write_uint_below_10000(p, static_cast<std::uint32_t>(value));
    return write_uint_above_9999(p, value);
}
// A signed value's digits (at most 20 bytes), as std::to_chars writes them.
inline char* write_int(char* p, std::int64_t value) noexcept {
    if (value >= 0) return write_uint(p, static_cast<std::uint64_t>(value));
    *p = '-';
    return write_uint(p + 1, 0 - static_cast<std::uint64_t>(value));
}
// The shortest text that reads back as `value` (at most 24 bytes): exactly
// what std::to_chars(p, end, value) writes, faster for the usual values of
// traces (few significant digits, not too large).
char* write_double(char* p, double value) noexcept;

// "0x" and upper-case hex digits (at most 18 bytes).
char* write_hex(char* p, std::uint64_t value) noexcept;
// "YYYY-MM-DDThh:mm:ss" or, outside years 0..9999, what gmtime_r gives, or
// "TIME(<n>)" (at most 48 bytes).
char* write_time(char* p, std::int64_t seconds);
// ".nnnnnnnnn" (nanoseconds below 10^9)
inline char* write_fraction(char* p, std::uint32_t nanoseconds) noexcept {
    // Below 10^9: one digit, then twice four.
    const std::uint32_t rest = nanoseconds % 100000000;
    p[0] = '.';
    p[1] = static_cast<char>('0' + nanoseconds / 100000000);
    put_four_digits(p + 2, rest / 10000);
    put_four_digits(p + 6, rest % 10000);
    return p + 10;
}
// 36 characters of RFC 4122 text.
char* write_uuid(char* p, const std::byte* bytes16) noexcept;

}  // namespace ehtrace::decode::detail
