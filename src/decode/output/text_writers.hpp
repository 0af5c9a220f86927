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

// 1 to 4 digits of a value below 10,000.
inline char* write_uint_below_10000(char* p, std::uint32_t value) noexcept {
    if (value < 100) {
        if (value < 10) {
            *p = static_cast<char>('0' + value);
            return p + 1;
        }
        std::memcpy(p, digit_pairs + 2 * value, 2);
        return p + 2;
    }
    const std::uint32_t high = value / 100, low = value % 100;
    if (high < 10) {
        *p++ = static_cast<char>('0' + high);
    } else {
        std::memcpy(p, digit_pairs + 2 * high, 2);
        p += 2;
    }
    std::memcpy(p, digit_pairs + 2 * low, 2);
    return p + 2;
}

// The decimal digits of value (at most 20 bytes), as std::to_chars writes
// them. Values below 10^8 (most counts, sizes, ids, pids and array elements
// in a trace) take a few table loads instead of to_chars's digit-counting
// loop.
inline char* write_uint(char* p, std::uint64_t value) noexcept {
    if (value < 10000) return write_uint_below_10000(p, static_cast<std::uint32_t>(value));
    if (value < 100000000) {
        const auto high = static_cast<std::uint32_t>(value / 10000), low = static_cast<std::uint32_t>(value % 10000);
        p = write_uint_below_10000(p, high);
        std::memcpy(p, digit_pairs + 2 * (low / 100), 2);
        std::memcpy(p + 2, digit_pairs + 2 * (low % 100), 2);
        return p + 4;
    }
    return std::to_chars(p, p + 20, value).ptr;
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
// ".nnnnnnnnn"
inline char* write_fraction(char* p, std::uint32_t nanoseconds) noexcept {
    p[0] = '.';
    for (int k = 9; k != 0; --k) {
        p[k] = static_cast<char>('0' + nanoseconds % 10);
        nanoseconds /= 10;
    }
    return p + 10;
}
// 36 characters of RFC 4122 text.
char* write_uuid(char* p, const std::byte* bytes16) noexcept;

}  // namespace ehtrace::decode::detail
