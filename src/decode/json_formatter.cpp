#include <ehtrace/decode/json_formatter.hpp>

#include "byte_order.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace ehtrace::decode {
namespace {

using enc = field_encoding;
using fmt = field_format;

void append_uint(std::string& out, std::uint64_t value) {
    char buffer[24];
    auto const r = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, r.ptr);
}

void append_int(std::string& out, std::int64_t value) {
    char buffer[24];
    auto const r = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, r.ptr);
}

void append_hex_quoted(std::string& out, std::uint64_t value) {
    char buffer[24] = {'"', '0', 'x'};
    auto r = std::to_chars(buffer + 3, buffer + sizeof buffer - 1, value, 16);
    for (char* p = buffer + 3; p != r.ptr; ++p) {
        if (*p >= 'a') *p = static_cast<char>(*p - 'a' + 'A');
    }
    *r.ptr++ = '"';
    out.append(buffer, r.ptr);
}

void append_hex_bytes_quoted(std::string& out, std::span<std::byte const> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    out.push_back('"');
    for (std::size_t i = 0; i != bytes.size(); ++i) {
        if (i != 0) out.push_back(' ');
        auto const b = static_cast<unsigned>(bytes[i]);
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    out.push_back('"');
}

// NaN and infinities as strings ("nan", "-inf"...): JSON has no numbers for them.
void append_nonfinite(std::string& out, char const* text, char const* end) {
    out.push_back('"');
    out.append(text, end);
    out.push_back('"');
}

// 32-bit floats: 9 significant digits.
void append_float(std::string& out, float value) {
    char buffer[40];
    auto const r = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, 9);
    if (!std::isfinite(value)) append_nonfinite(out, buffer, r.ptr);
    else out.append(buffer, r.ptr);
}

// Doubles: the shortest text that reads back as the same value (0.1, 3e-06).
void append_double(std::string& out, double value) {
    char buffer[40];
    auto const r = std::to_chars(buffer, buffer + sizeof buffer, value);
    if (!std::isfinite(value)) append_nonfinite(out, buffer, r.ptr);
    else out.append(buffer, r.ptr);
}

// Booleans: 0 false, 1 true, anything else as the (signed) number.
void append_boolean(std::string& out, std::uint32_t value) {
    if (value == 0) out.append("false");
    else if (value == 1) out.append("true");
    else append_int(out, static_cast<std::int32_t>(value));
}

constexpr char32_t replacement = 0xFFFD;

void append_code_point(std::string& out, char32_t c) {
    if (c < 0x80) {
        switch (c) {
        case '"': out.append("\\\""); return;
        case '\\': out.append("\\\\"); return;
        case '\n': out.append("\\n"); return;
        case '\r': out.append("\\r"); return;
        case '\t': out.append("\\t"); return;
        case '\b': out.append("\\b"); return;
        case '\f': out.append("\\f"); return;
        default: break;
        }
        if (c < 0x20) {
            static constexpr char digits[] = "0123456789abcdef";
            out.append("\\u00");
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        } else {
            out.push_back(static_cast<char>(c));
        }
        return;
    }
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = replacement;
    if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if invalid.
std::size_t utf8_sequence(std::span<std::byte const> s, std::size_t i, char32_t& c) {
    auto const b0 = static_cast<unsigned char>(s[i]);
    std::size_t length;
    char32_t minimum;
    if (b0 < 0x80) {
        c = b0;
        return 1;
    } else if ((b0 & 0xE0) == 0xC0) {
        length = 2, minimum = 0x80, c = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
        length = 3, minimum = 0x800, c = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
        length = 4, minimum = 0x10000, c = b0 & 0x07;
    } else {
        return 0;
    }
    if (s.size() - i < length) return 0;
    for (std::size_t k = 1; k != length; ++k) {
        auto const b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return 0;
        c = (c << 6) | (b & 0x3F);
    }
    if (c < minimum || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    return length;
}

// True for the ASCII bytes that stand for themselves in a JSON string.
constexpr bool is_plain_ascii(unsigned char b) noexcept { return b >= 0x20 && b < 0x80 && b != '"' && b != '\\'; }

// Copies runs of plain ASCII and of valid multi-byte sequences (which
// append_code_point would re-encode to the same bytes) in one append each;
// escapes and invalid bytes (U+FFFD each) go through append_code_point.
void append_utf8_body(std::string& out, std::span<std::byte const> s) {
    auto const* const p = reinterpret_cast<unsigned char const*>(s.data());
    std::size_t const size = s.size();
    std::size_t run = 0;  // start of the bytes not yet appended
    std::size_t i = 0;
    while (i < size) {
        // Plain ASCII, 8 bytes at a time while possible.
        while (size - i >= 8) {
            std::uint64_t word;
            std::memcpy(&word, p + i, 8);
            constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
            // A byte is special if >= 0x80, < 0x20, '"' or '\\' (exact per-byte
            // tests: no borrow crosses bytes because high bits are excluded first).
            std::uint64_t const low7 = word & ~highs;
            std::uint64_t const control = (low7 + (0x80 - 0x20) * ones) & highs;  // high bit set iff byte >= 0x20
            std::uint64_t const quote = ((low7 ^ ('"' * ones)) + 0x7F * ones) & highs;  // set iff byte != '"'
            std::uint64_t const slash = ((low7 ^ ('\\' * ones)) + 0x7F * ones) & highs;
            std::uint64_t const good = control & quote & slash & ~word;  // ~word: high bit clear
            if (good != highs) break;
            i += 8;
        }
        while (i < size && is_plain_ascii(p[i])) ++i;
        if (i == size) break;
        if (p[i] >= 0x80) {
            char32_t c;
            if (std::size_t const n = utf8_sequence(s, i, c); n != 0) {
                i += n;  // valid: the bytes themselves
                continue;
            }
        }
        out.append(reinterpret_cast<char const*>(p + run), i - run);
        if (p[i] >= 0x80) append_code_point(out, replacement);
        else append_code_point(out, p[i]);
        run = ++i;
    }
    out.append(reinterpret_cast<char const*>(p + run), size - run);
}

void append_utf8_quoted(std::string& out, std::span<std::byte const> s) {
    out.push_back('"');
    append_utf8_body(out, s);
    out.push_back('"');
}

void append_latin1_quoted(std::string& out, std::span<std::byte const> s) {
    out.push_back('"');
    for (auto const b : s) append_code_point(out, static_cast<unsigned char>(b));
    out.push_back('"');
}

void append_utf16_quoted(std::string& out, std::span<std::byte const> s, bool swap) {
    out.push_back('"');
    std::size_t const units = s.size() / 2;
    for (std::size_t i = 0; i < units; ++i) {
        char32_t c = load<std::uint16_t>(s.data() + 2 * i, swap);
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units) {
            char32_t const low = load<std::uint16_t>(s.data() + 2 * (i + 1), swap);
            if (low >= 0xDC00 && low <= 0xDFFF) {
                c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
                ++i;
            }
        }
        append_code_point(out, c);  // lone surrogates become U+FFFD there
    }
    out.push_back('"');
}

void append_utf32_quoted(std::string& out, std::span<std::byte const> s, bool swap) {
    out.push_back('"');
    for (std::size_t i = 0; i + 4 <= s.size(); i += 4) append_code_point(out, load<std::uint32_t>(s.data() + i, swap));
    out.push_back('"');
}

// A leading byte order mark decides the encoding; false if there is none.
bool append_bom_string(std::string& out, std::span<std::byte const> s) {
    auto const at = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    bool const host_le = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
    if (s.size() >= 4 && at(0) == 0xFF && at(1) == 0xFE && at(2) == 0 && at(3) == 0) {
        append_utf32_quoted(out, s.subspan(4), !host_le);
    } else if (s.size() >= 4 && at(0) == 0 && at(1) == 0 && at(2) == 0xFE && at(3) == 0xFF) {
        append_utf32_quoted(out, s.subspan(4), host_le);
    } else if (s.size() >= 3 && at(0) == 0xEF && at(1) == 0xBB && at(2) == 0xBF) {
        append_utf8_quoted(out, s.subspan(3));
    } else if (s.size() >= 2 && at(0) == 0xFF && at(1) == 0xFE) {
        append_utf16_quoted(out, s.subspan(2), !host_le);
    } else if (s.size() >= 2 && at(0) == 0xFE && at(1) == 0xFF) {
        append_utf16_quoted(out, s.subspan(2), host_le);
    } else {
        return false;
    }
    return true;
}

void append_string(std::string& out, std::span<std::byte const> s, std::size_t unit, fmt format, bool swap) {
    if (format == fmt::hex_bytes) {
        append_hex_bytes_quoted(out, s);
        return;
    }
    if ((format == fmt::string_utf_bom || format == fmt::string_xml || format == fmt::string_json) &&
        append_bom_string(out, s)) {
        return;
    }
    switch (unit) {
    case 1:
        if (format == fmt::string8) append_latin1_quoted(out, s);
        else append_utf8_quoted(out, s);
        break;
    case 2: append_utf16_quoted(out, s, swap); break;
    default: append_utf32_quoted(out, s, swap); break;
    }
}

void append_ip_address(std::string& out, std::span<std::byte const> bytes) {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(bytes.size() == 4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text);
    out.push_back('"');
    out.append(text);
    out.push_back('"');
}

void append_scalar(std::string& out, std::span<std::byte const> v, enc encoding, fmt format, bool swap) {
    auto const* p = v.data();
    switch (encoding) {
    case enc::value8: {
        auto const value = load<std::uint8_t>(p);
        switch (format) {
        case fmt::signed_int: append_int(out, static_cast<std::int8_t>(value)); return;
        case fmt::hex_int: append_hex_quoted(out, value); return;
        case fmt::boolean: append_boolean(out, value); return;
        case fmt::hex_bytes: append_hex_bytes_quoted(out, v); return;
        case fmt::string8:
            out.push_back('"');
            append_code_point(out, value);
            out.push_back('"');
            return;
        default: append_uint(out, value); return;
        }
    }
    case enc::value16: {
        auto const value = load<std::uint16_t>(p, swap);
        switch (format) {
        case fmt::signed_int: append_int(out, static_cast<std::int16_t>(value)); return;
        case fmt::hex_int: append_hex_quoted(out, value); return;
        case fmt::boolean: append_boolean(out, value); return;
        case fmt::hex_bytes: append_hex_bytes_quoted(out, v); return;
        case fmt::string_utf:
            out.push_back('"');
            append_code_point(out, value);
            out.push_back('"');
            return;
        case fmt::port: append_uint(out, load<std::uint16_t>(p, __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)); return;
        default: append_uint(out, value); return;
        }
    }
    case enc::value32: {
        auto const value = load<std::uint32_t>(p, swap);
        switch (format) {
        case fmt::signed_int:
        case fmt::pid: append_int(out, static_cast<std::int32_t>(value)); return;
        case fmt::hex_int: append_hex_quoted(out, value); return;
        case fmt::errno_value:
            out.push_back('"');
            append_errno_text(out, value);
            out.push_back('"');
            return;
        case fmt::time:
            out.push_back('"');
            append_time_text(out, static_cast<std::int32_t>(value));
            out.push_back('"');
            return;
        case fmt::boolean: append_boolean(out, value); return;
        case fmt::floating: {
            float f;
            std::memcpy(&f, &value, 4);
            append_float(out, f);
            return;
        }
        case fmt::hex_bytes: append_hex_bytes_quoted(out, v); return;
        case fmt::string_utf:
            out.push_back('"');
            append_code_point(out, value);
            out.push_back('"');
            return;
        case fmt::ip_address:
        case fmt::ip_address_obsolete: append_ip_address(out, v); return;
        default: append_uint(out, value); return;
        }
    }
    case enc::value64: {
        auto const value = load<std::uint64_t>(p, swap);
        switch (format) {
        case fmt::signed_int: append_int(out, static_cast<std::int64_t>(value)); return;
        case fmt::hex_int: append_hex_quoted(out, value); return;
        case fmt::time:
            out.push_back('"');
            append_time_text(out, static_cast<std::int64_t>(value));
            out.push_back('"');
            return;
        case fmt::floating: {
            double d;
            std::memcpy(&d, &value, 8);
            append_double(out, d);
            return;
        }
        case fmt::hex_bytes: append_hex_bytes_quoted(out, v); return;
        default: append_uint(out, value); return;
        }
    }
    case enc::value128:
        switch (format) {
        case fmt::uuid:
            out.push_back('"');
            append_uuid_text(out, p);
            out.push_back('"');
            return;
        case fmt::ip_address:
        case fmt::ip_address_obsolete: append_ip_address(out, v); return;
        default: append_hex_bytes_quoted(out, v); return;
        }
    default: return;
    }
}

// The fixed-size encoding a length-prefixed value of `size` bytes stands for
// under `format`, or invalid when the format has no such size.
enc fixed_encoding_for(fmt format, std::size_t size) {
    auto const by_size = [size](bool s1, bool s2, bool s4, bool s8, bool s16) {
        if (size == 1 && s1) return enc::value8;
        if (size == 2 && s2) return enc::value16;
        if (size == 4 && s4) return enc::value32;
        if (size == 8 && s8) return enc::value64;
        if (size == 16 && s16) return enc::value128;
        return enc::invalid;
    };
    switch (format) {
    case fmt::unsigned_int:
    case fmt::signed_int:
    case fmt::hex_int: return by_size(true, true, true, true, false);
    case fmt::errno_value:
    case fmt::pid: return by_size(false, false, true, false, false);
    case fmt::time:
    case fmt::floating: return by_size(false, false, true, true, false);
    case fmt::boolean: return by_size(true, true, true, false, false);
    case fmt::uuid: return by_size(false, false, false, false, true);
    case fmt::port: return by_size(false, true, false, false, false);
    case fmt::ip_address:
    case fmt::ip_address_obsolete: return by_size(false, false, true, false, true);
    default: return enc::invalid;
    }
}

bool is_string_format(fmt format) {
    return format == fmt::default_format || format == fmt::hex_bytes || format == fmt::string8 ||
           format == fmt::string_utf || format == fmt::string_utf_bom || format == fmt::string_xml ||
           format == fmt::string_json;
}

}  // namespace

void append_json_string(std::string& out, std::string_view utf8) {
    append_utf8_quoted(out, std::as_bytes(std::span(utf8.data(), utf8.size())));
}

namespace {

// Two decimal digits at p.
inline void put2(char* p, unsigned v) noexcept {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
}

// Seconds since 1970 covered by the arithmetic path: years 0000..9999, where
// "%04d" prints exactly four digits and gmtime_r cannot fail.
constexpr std::int64_t first_fast_second = -62167219200;  // 0000-01-01T00:00:00
constexpr std::int64_t last_fast_second = 253402300799;   // 9999-12-31T23:59:59

// "YYYY-MM-DDThh:mm:ss" (19 characters) for a second in the fast range, by
// the proleptic Gregorian calendar (Howard Hinnant's civil_from_days), which
// is what gmtime_r computes.
void format_second(char* text, std::int64_t seconds) noexcept {
    std::int64_t days = seconds / 86400;
    std::int64_t rest = seconds % 86400;
    if (rest < 0) rest += 86400, --days;
    days += 719468;  // from 1970-01-01 to 0000-03-01
    std::int64_t const era = (days >= 0 ? days : days - 146096) / 146097;
    auto const doe = static_cast<unsigned>(days - era * 146097);
    unsigned const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned const mp = (5 * doy + 2) / 153;
    unsigned const day = doy - (153 * mp + 2) / 5 + 1;
    unsigned const month = mp < 10 ? mp + 3 : mp - 9;
    auto const year = static_cast<unsigned>(static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2));
    auto const second_of_day = static_cast<unsigned>(rest);
    put2(text, year / 100);
    put2(text + 2, year % 100);
    text[4] = '-';
    put2(text + 5, month);
    text[7] = '-';
    put2(text + 8, day);
    text[10] = 'T';
    put2(text + 11, second_of_day / 3600);
    text[13] = ':';
    put2(text + 14, second_of_day / 60 % 60);
    text[16] = ':';
    put2(text + 17, second_of_day % 60);
}

// The text of the last second formatted on this thread: events come in time
// order, so most share their second with the one before.
struct second_cache {
    std::int64_t seconds = INT64_MIN;  // outside the fast range: nothing cached yet
    char text[19] = {};
};
thread_local second_cache last_second;

// ".nnnnnnnnn" at p; returns the end.
char* write_fraction(char* p, std::uint32_t nanoseconds) noexcept {
    p[0] = '.';
    for (int k = 9; k != 0; --k) {
        p[k] = static_cast<char>('0' + nanoseconds % 10);
        nanoseconds /= 10;
    }
    return p + 10;
}

// The append_time_text text at p (at most 48 bytes); returns the end.
char* write_time_text(char* p, std::int64_t seconds) {
    if (seconds >= first_fast_second && seconds <= last_fast_second) {
        second_cache& cache = last_second;
        if (cache.seconds != seconds) {
            format_second(cache.text, seconds);
            cache.seconds = seconds;
        }
        std::memcpy(p, cache.text, sizeof cache.text);
        return p + sizeof cache.text;
    }
    std::time_t const t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    if (gmtime_r(&t, &tm) != nullptr) {
        char buffer[48];
        int const n = std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        std::memcpy(p, buffer, static_cast<std::size_t>(n));
        return p + n;
    }
    std::memcpy(p, "TIME(", 5);
    p = std::to_chars(p + 5, p + 30, seconds).ptr;
    *p++ = ')';
    return p;
}

template <std::size_t N>
char* write_literal(char* p, char const (&text)[N]) noexcept {
    std::memcpy(p, text, N - 1);
    return p + (N - 1);
}

char* write_uint(char* p, std::uint64_t value) noexcept { return std::to_chars(p, p + 20, value).ptr; }

// The members of the "meta" object for `meta` at p, each preceded by a comma
// when `comma` (set once one is written); returns the end. At most 150 bytes.
char* write_sample_meta_members(char* p, sample_meta const& meta, bool& comma) {
    auto const key = [&](auto const& literal) {
        if (comma) *p++ = ',';
        comma = true;
        p = write_literal(p, literal);
    };
    if (meta.has_time) {
        key("\"time\":");
        std::uint64_t const seconds = meta.time_ns / 1000000000;
        auto const nanoseconds = static_cast<std::uint32_t>(meta.time_ns % 1000000000);
        if (meta.time_is_utc) {
            *p++ = '"';
            p = write_time_text(p, static_cast<std::int64_t>(seconds));
            p = write_fraction(p, nanoseconds);
            p = write_literal(p, "Z\"");
        } else {
            p = write_uint(p, seconds);
            p = write_fraction(p, nanoseconds);
        }
    }
    if (meta.has_cpu) {
        key("\"cpu\":");
        p = write_uint(p, meta.cpu);
    }
    if (meta.has_tid) {
        key("\"pid\":");
        p = write_uint(p, meta.pid);
        key("\"tid\":");
        p = write_uint(p, meta.tid);
    }
    return p;
}

}  // namespace

void append_time_text(std::string& out, std::int64_t seconds) {
    char text[48];
    out.append(text, write_time_text(text, seconds));
}

void append_errno_text(std::string& out, std::uint32_t value) {
    static constexpr std::string_view names[] = {
        "", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
        "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR",
        "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS",
        "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY",
        "ELOOP", "", "ENOMSG", "EIDRM", "ECHRNG", "EL2NSYNC", "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH",
        "ENOCSI", "EL2HLT", "EBADE", "EBADR", "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", "", "EBFONT",
        "ENOSTR", "ENODATA", "ETIME", "ENOSR", "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT",
        "ECOMM", "EPROTO", "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG",
        "ELIBACC", "ELIBBAD", "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS",
        "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT",
        "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE", "EADDRNOTAVAIL",
        "ENETDOWN", "ENETUNREACH", "ENETRESET", "ECONNABORTED", "ECONNRESET", "ENOBUFS", "EISCONN",
        "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT", "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH",
        "EALREADY", "EINPROGRESS", "ESTALE", "EUCLEAN", "ENOTNAM", "ENAVAIL", "EISNAM", "EREMOTEIO",
        "EDQUOT", "ENOMEDIUM", "EMEDIUMTYPE", "ECANCELED", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED",
        "EKEYREJECTED", "EOWNERDEAD", "ENOTRECOVERABLE", "ERFKILL", "EHWPOISON",
    };
    std::string_view name = value < std::size(names) ? names[value] : std::string_view{};
    out.append(name.empty() ? std::string_view("ERRNO") : name);
    out.push_back('(');
    append_uint(out, value);
    out.push_back(')');
}

void append_uuid_text(std::string& out, std::byte const* bytes16) {
    static constexpr char digits[] = "0123456789abcdef";
    for (int i = 0; i != 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        auto const b = static_cast<unsigned>(bytes16[i]);
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
}

void append_value_json(std::string& out, std::span<std::byte const> value, field_encoding encoding,
                       field_format format, bool byte_swap) {
    switch (encoding) {
    case enc::value8:
    case enc::value16:
    case enc::value32:
    case enc::value64:
    case enc::value128: append_scalar(out, value, encoding, format, byte_swap); return;
    case enc::zstring_char8:
    case enc::zstring_char16:
    case enc::zstring_char32: {
        std::size_t const unit = encoding == enc::zstring_char8 ? 1 : encoding == enc::zstring_char16 ? 2 : 4;
        append_string(out, value, unit, format, byte_swap);
        return;
    }
    case enc::string_length16_char8:
    case enc::binary_length16_char8:
        if (!is_string_format(format)) {
            if (value.empty()) {
                out.append("null");
                return;
            }
            if (auto const fixed = fixed_encoding_for(format, value.size()); fixed != enc::invalid) {
                append_scalar(out, value, fixed, format, byte_swap);
                return;
            }
            format = fmt::default_format;
        }
        if (encoding == enc::binary_length16_char8 &&
            (format == fmt::default_format || format == fmt::hex_bytes)) {
            append_hex_bytes_quoted(out, value);
        } else {
            append_string(out, value, 1, format, byte_swap);
        }
        return;
    case enc::string_length16_char16: append_string(out, value, 2, format, byte_swap); return;
    case enc::string_length16_char32: append_string(out, value, 4, format, byte_swap); return;
    default: out.append("null"); return;
    }
}

void append_value_json(std::string& out, item_info const& item) {
    append_value_json(out, item.value, item.encoding, item.format, item.byte_swap);
}

void append_sample_meta_json(std::string& out, sample_meta const& meta, bool leading_comma) {
    char text[192];
    char* p = text;
    if (leading_comma) *p++ = ',';
    p = write_literal(p, "\"meta\":{");
    bool comma = false;
    p = write_sample_meta_members(p, meta, comma);
    *p++ = '}';
    out.append(text, p);
}

namespace {

void append_member_name(std::string& out, bool& comma, std::string_view name) {
    // Usual case, a short name of plain ASCII: one append.
    if (name.size() <= 64) {
        char text[68];
        char* p = text;
        if (comma) *p++ = ',';
        *p++ = '"';
        bool plain = true;
        for (char const c : name) {
            plain &= is_plain_ascii(static_cast<unsigned char>(c));
            *p++ = c;
        }
        if (plain) {
            *p++ = '"';
            *p++ = ':';
            out.append(text, p);
            comma = true;
            return;
        }
    }
    if (comma) out.push_back(',');
    comma = true;
    append_json_string(out, name);
    out.push_back(':');
}

// Writes a JSON string of plain ASCII (no escapes needed) at p.
char* write_uuid_quoted(char* p, std::byte const* bytes16) {
    static constexpr char digits[] = "0123456789abcdef";
    *p++ = '"';
    for (int i = 0; i != 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        auto const b = static_cast<unsigned>(bytes16[i]);
        *p++ = digits[b >> 4];
        *p++ = digits[b & 15];
    }
    *p++ = '"';
    return p;
}

char* write_hex_quoted(char* p, std::uint64_t value) {
    p = write_literal(p, "\"0x");
    char* const digits = p;
    p = std::to_chars(p, p + 16, value, 16).ptr;
    for (char* c = digits; c != p; ++c) {
        if (*c >= 'a') *c = static_cast<char>(*c - 'a' + 'A');
    }
    *p++ = '"';
    return p;
}

void append_eventheader_meta(std::string& out, event_info const& info, sample_meta const& meta) {
    char text[512];  // sample meta <= 150, header keys and ids <= 250
    char* p = write_literal(text, ",\"meta\":{");
    bool comma = false;
    p = write_sample_meta_members(p, meta, comma);
    auto const key = [&](auto const& literal) {
        if (comma) *p++ = ',';
        comma = true;
        p = write_literal(p, literal);
    };
    auto const& h = info.header;
    if (h.id != 0) key("\"id\":"), p = write_uint(p, h.id);
    if (h.version != 0) key("\"version\":"), p = write_uint(p, h.version);
    if (h.level != 0) key("\"level\":"), p = write_uint(p, h.level);
    if (info.name_parts.keyword != 0) key("\"keyword\":"), p = write_hex_quoted(p, info.name_parts.keyword);
    if (h.opcode != 0) key("\"opcode\":"), p = write_uint(p, h.opcode);
    if (h.tag != 0) key("\"tag\":"), p = write_hex_quoted(p, h.tag);
    if (info.activity_id != nullptr) key("\"activity\":"), p = write_uuid_quoted(p, info.activity_id);
    if (info.related_activity_id != nullptr) {
        key("\"relatedActivity\":"), p = write_uuid_quoted(p, info.related_activity_id);
    }
    if (!info.name_parts.options.empty()) key("\"options\":");
    out.append(text, p);
    if (!info.name_parts.options.empty()) append_json_string(out, info.name_parts.options);
    out.push_back('}');
}

void append_error_member(std::string& out, event_enumerator const& e) {
    out.append(",\"error\":\"");
    out.append(to_string(e.error()));
    out.append(" at event offset ");
    append_uint(out, e.error_offset());
    out.push_back('"');
}

}  // namespace

decode_error append_event_json(std::string& out, event_enumerator& e, sample_meta const& meta) {
    event_info const& info = e.event();
    // "provider:name" without a temporary: ':' ends any UTF-8 sequence, so
    // the two parts give the same text as the joined string.
    out.append("{\"n\":\"");
    append_utf8_body(out, std::as_bytes(std::span(info.name_parts.provider.data(), info.name_parts.provider.size())));
    out.push_back(':');
    append_utf8_body(out, std::as_bytes(std::span(info.name.data(), info.name.size())));
    out.push_back('"');
    bool comma = true;
    // Closing brackets of the open arrays/structs, so damage mid-struct still
    // leaves a valid document.
    char closers[event_enumerator::max_depth + 1];
    std::size_t open_count = 0;
    auto const begin_item = [&](item_info const& item) {
        if (item.is_element) {
            if (out.back() != '[') out.push_back(',');
        } else {
            append_member_name(out, comma, item.name);
        }
    };
    if (e.state() == enumerator_state::before_first) {
        while (e.move_next()) {
            item_info const& item = e.item();
            switch (e.state()) {
            case enumerator_state::value:
                begin_item(item);
                append_value_json(out, item);
                break;
            case enumerator_state::array_begin:
                begin_item(item);
                out.push_back('[');
                closers[open_count++] = ']';
                break;
            case enumerator_state::struct_begin:
                begin_item(item);
                out.push_back('{');
                closers[open_count++] = '}';
                comma = false;
                break;
            case enumerator_state::array_end:
            case enumerator_state::struct_end:
                out.push_back(closers[--open_count]);
                comma = true;
                break;
            default: break;
            }
        }
        while (open_count != 0) out.push_back(closers[--open_count]);
    }
    if (e.state() == enumerator_state::error) {
        append_error_member(out, e);
    }
    append_eventheader_meta(out, info, meta);
    out.push_back('}');
    return e.error();
}

decode_error format_event_json(std::string& out, std::string_view tracepoint_name, std::span<std::byte const> event,
                               sample_meta const& meta) {
    event_enumerator e;
    decode_error const error = e.start(tracepoint_name, event);
    if (e.state() == enumerator_state::none) {
        out.append("{\"n\":");
        append_json_string(out, tracepoint_name);
        out.append(",\"error\":");
        append_json_string(out, to_string(error));
        append_sample_meta_json(out, meta, true);
        out.push_back('}');
        return error;
    }
    return append_event_json(out, e, meta);
}

}  // namespace ehtrace::decode
