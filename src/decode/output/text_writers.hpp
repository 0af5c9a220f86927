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

inline char* write_uint(char* p, std::uint64_t value) noexcept { return std::to_chars(p, p + 20, value).ptr; }

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
