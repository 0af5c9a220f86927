#include <ehtrace/decode/value_text.hpp>

#include <ehtrace/decode/tracepoint_layout.hpp>

#include "../byte_order.hpp"
#include "text_writers.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iterator>
#include <type_traits>

namespace ehtrace::decode {

using enc = field_encoding;
using fmt = field_format;

namespace detail {

namespace {

// ±digits × 10^exponent (digits without trailing zeros, or 0) in the form
// std::to_chars gives the shortest representation: fixed unless scientific
// is shorter.
char* write_decimal(char* p, bool negative, std::uint64_t digits, int exponent) noexcept {
    char text[20];
    const auto length = static_cast<int>(write_uint(text, digits) - text);
    if (negative) *p++ = '-';
    const int scientific_exponent = exponent + length - 1;
    const int fixed_length = exponent >= 0 ? length + exponent : (length > -exponent ? length + 1 : 2 - exponent);
    const int scientific_length = length + (length > 1 ? 1 : 0) + 2 + (std::abs(scientific_exponent) >= 100 ? 3 : 2);
    if (fixed_length <= scientific_length) {
        if (exponent >= 0) {
            std::memcpy(p, text, static_cast<std::size_t>(length));
            p += length;
            std::memset(p, '0', static_cast<std::size_t>(exponent));
            return p + exponent;
        }
        const int whole = length + exponent;  // digits before the point
        if (whole > 0) {
            std::memcpy(p, text, static_cast<std::size_t>(whole));
            p[whole] = '.';
            std::memcpy(p + whole + 1, text + whole, static_cast<std::size_t>(length - whole));
            return p + length + 1;
        }
        *p++ = '0';
        *p++ = '.';
        std::memset(p, '0', static_cast<std::size_t>(-whole));
        p += -whole;
        std::memcpy(p, text, static_cast<std::size_t>(length));
        return p + length;
    }
    *p++ = text[0];
    if (length > 1) {
        *p++ = '.';
        std::memcpy(p, text + 1, static_cast<std::size_t>(length - 1));
        p += length - 1;
    }
    *p++ = 'e';
    *p++ = scientific_exponent < 0 ? '-' : '+';
    const auto magnitude = static_cast<std::uint64_t>(std::abs(scientific_exponent));
    if (magnitude < 10) *p++ = '0';
    return write_uint(p, magnitude);
}

}  // namespace

char* write_double(char* p, double value) noexcept {
    // The usual values are m / 10^k for a small integer m. While value * 10^k
    // stays below 2^50, the rounding interval of value, scaled, is at most
    // 1/4 wide: the nearest integer m is the only candidate at each k, and
    // once one divides back to value (an exactly rounded division, as a
    // reader's) every larger k does too. So the largest such k tells whether
    // the value is one of these, and the smallest (see below) gives the
    // fewest significant digits, those of the shortest representation.
    // Everything else (many digits, very large or small, not finite) takes
    // std::to_chars's general algorithm.
    static constexpr double powers_of_ten[] = {1e0, 1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,
                                               1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17};
    constexpr int max_k = static_cast<int>(std::size(powers_of_ten)) - 1;
    constexpr double limit = 0x1p50;
    const double magnitude = std::fabs(value);
    if (magnitude < limit) {  // not NaN or infinity either
        const auto scaled_integer = [magnitude](int k) {
            return static_cast<std::uint64_t>(magnitude * powers_of_ten[k] + 0.5);
        };
        const auto divides_back = [magnitude](std::uint64_t m, int k) {
            return static_cast<double>(m) / powers_of_ten[k] == magnitude;
        };
        // magnitude < 2^(binary exponent + 1), so magnitude * 10^k < 2^50 for
        // k <= (49 - binary exponent) * log10(2); 1233 / 4096 is just below it.
        const int binary_exponent = static_cast<int>(std::bit_cast<std::uint64_t>(magnitude) >> 52) - 1023;
        int high = std::min(max_k, (49 - binary_exponent) * 1233 / 4096);
        if (high < max_k && magnitude * powers_of_ten[high + 1] < limit) ++high;
        if (std::uint64_t digits; high >= 0 && divides_back(digits = scaled_integer(high), high)) {
            // Each k from the smallest up to high has the smallest's integer
            // times 10^(k - smallest), and the smallest's does not end in 0
            // (unless it is k = 0): so the trailing zeros of high's integer
            // say how far down the smallest is, found with a few integer
            // tests rather than a chain of divisions. Two divisions that do
            // not wait on each other prove it (k divides back, k - 1 does
            // not); were they ever to disagree, to_chars below decides.
            int k = high;
            const auto strip = [&](int zeros, std::uint64_t power) {
                if (k >= zeros && digits % power == 0) digits /= power, k -= zeros;
            };
            strip(16, 10'000'000'000'000'000);
            strip(8, 100'000'000);
            strip(4, 10'000);
            strip(2, 100);
            strip(1, 10);
            if (divides_back(digits, k) && (k == 0 || !divides_back(scaled_integer(k - 1), k - 1))) {
                int exponent = -k;
                if (k == 0) {
                    while (digits != 0 && digits % 10 == 0) digits /= 10, ++exponent;
                }
                return write_decimal(p, std::signbit(value), digits, exponent);
            }
        }
    }
    return std::to_chars(p, p + 24, value).ptr;
}

char* write_uint_above_9999(char* p, std::uint64_t value) noexcept {
    // Below 10^8 (pids, tids, most ids): a few table loads instead of
    // to_chars's digit-counting loop.
    if (value < 100000000) {
        const auto high = static_cast<std::uint32_t>(value / 10000), low = static_cast<std::uint32_t>(value % 10000);
        p = write_uint_below_10000(p, high);
        put_four_digits(p, low);
        return p + 4;
    }
    return std::to_chars(p, p + 20, value).ptr;
}

char* write_hex(char* p, std::uint64_t value) noexcept {
    p = write_literal(p, "0x");
    char* const digits = p;
    p = std::to_chars(p, p + 16, value, 16).ptr;
    for (char* c = digits; c != p; ++c) {
        if (*c >= 'a') *c = static_cast<char>(*c - 'a' + 'A');
    }
    return p;
}

namespace {

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
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned day = doy - (153 * mp + 2) / 5 + 1;
    const unsigned month = mp < 10 ? mp + 3 : mp - 9;
    const auto year = static_cast<unsigned>(static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2));
    const auto second_of_day = static_cast<unsigned>(rest);
    put_four_digits(text, year);
    text[4] = '-';
    put_two_digits(text + 5, month);
    text[7] = '-';
    put_two_digits(text + 8, day);
    text[10] = 'T';
    put_two_digits(text + 11, second_of_day / 3600);
    text[13] = ':';
    put_two_digits(text + 14, second_of_day / 60 % 60);
    text[16] = ':';
    put_two_digits(text + 17, second_of_day % 60);
}

// The text of the last second formatted on this thread: events come in time
// order, so most share their second with the one before.
struct second_cache {
    std::int64_t seconds = INT64_MIN;  // outside the fast range: nothing cached yet
    char text[19] = {};
};
thread_local second_cache last_second;

}  // namespace

char* write_time(char* p, std::int64_t seconds) {
    if (seconds >= first_fast_second && seconds <= last_fast_second) {
        second_cache& cache = last_second;
        if (cache.seconds != seconds) {
            format_second(cache.text, seconds);
            cache.seconds = seconds;
        }
        std::memcpy(p, cache.text, sizeof cache.text);
        return p + sizeof cache.text;
    }
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    if (gmtime_r(&t, &tm) != nullptr) {
        char buffer[48];
        const int n = std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        std::memcpy(p, buffer, static_cast<std::size_t>(n));
        return p + n;
    }
    p = write_literal(p, "TIME(");
    p = std::to_chars(p, p + 24, seconds).ptr;
    *p++ = ')';
    return p;
}

namespace {

// The two lower-case hex digits of every byte value.
constexpr std::array<char, 512> hex_pairs = [] {
    std::array<char, 512> pairs{};
    constexpr char digits[] = "0123456789abcdef";
    for (unsigned b = 0; b != 256; ++b) {
        pairs[2 * b] = digits[b >> 4];
        pairs[2 * b + 1] = digits[b & 15];
    }
    return pairs;
}();

}  // namespace

char* write_uuid(char* p, const std::byte* bytes16) noexcept {
    // 8-4-4-4-12 digits: two digits per byte from the table, each pair at
    // a fixed place (a loop the compiler unrolls into 16 loads and stores).
    static constexpr std::uint8_t place[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
#pragma GCC unroll 16
    for (int i = 0; i != 16; ++i) {
        std::memcpy(p + place[i], &hex_pairs[2 * static_cast<unsigned>(bytes16[i])], 2);
    }
    p[8] = p[13] = p[18] = p[23] = '-';
    return p + 36;
}

}  // namespace detail

using namespace detail;

namespace {

constexpr std::uint64_t max_exact_double = std::uint64_t{1} << 53;

// A scalar_text being filled: `p` moves along its buffer.
struct text_builder {
    scalar_text t;
    char* p = t.data;
    scalar_text finish(value_kind kind) noexcept {
        t.size = static_cast<std::uint8_t>(p - t.data);
        t.kind = kind;
        return t;
    }
};

scalar_text finish_unsigned(std::uint64_t value) noexcept {
    text_builder b;
    b.p = write_uint(b.p, value);
    b.t.beyond_double = value > max_exact_double;
    return b.finish(value_kind::number);
}

scalar_text finish_signed(std::int64_t value) noexcept {
    text_builder b;
    b.p = write_int(b.p, value);
    const std::uint64_t magnitude =
        value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
    b.t.beyond_double = magnitude > max_exact_double;
    return b.finish(value_kind::number);
}

// Floats and doubles: the shortest text that reads back as the same value in
// the value's own width; NaN and infinities as text (JSON has no numbers for
// them).
template <class Float>
scalar_text float_text(Float value) noexcept {
    text_builder b;
    if constexpr (std::is_same_v<Float, double>) {
        b.p = write_double(b.p, value);
    } else {
        b.p = std::to_chars(b.p, b.t.data + scalar_text::capacity, value).ptr;
    }
    return b.finish(std::isfinite(value) ? value_kind::number : value_kind::text);
}

// 0 false, 1 true, anything else as the (signed) number.
scalar_text boolean_text(std::uint32_t value) noexcept {
    if (value > 1) return finish_signed(static_cast<std::int32_t>(value));
    text_builder b;
    if (value == 0) b.p = write_literal(b.p, "false");
    else b.p = write_literal(b.p, "true");
    return b.finish(value_kind::boolean);
}

// One code point as UTF-8 at p; surrogates and values above U+10FFFF become U+FFFD.
char* write_code_point(char* p, char32_t c) noexcept {
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
    if (c < 0x80) {
        *p++ = static_cast<char>(c);
    } else if (c < 0x800) {
        *p++ = static_cast<char>(0xC0 | (c >> 6));
        *p++ = static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        *p++ = static_cast<char>(0xE0 | (c >> 12));
        *p++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        *p++ = static_cast<char>(0x80 | (c & 0x3F));
    } else {
        *p++ = static_cast<char>(0xF0 | (c >> 18));
        *p++ = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        *p++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        *p++ = static_cast<char>(0x80 | (c & 0x3F));
    }
    return p;
}

scalar_text character_text(char32_t c) noexcept {
    text_builder b;
    b.p = write_code_point(b.p, c);
    b.t.may_need_escape = true;
    return b.finish(value_kind::text);
}

scalar_text hex_bytes_text(std::span<const std::byte> bytes) noexcept {
    static constexpr char digits[] = "0123456789abcdef";
    text_builder b;
    for (std::size_t i = 0; i != bytes.size() && i != 21; ++i) {
        if (i != 0) *b.p++ = ' ';
        const auto v = static_cast<unsigned>(bytes[i]);
        *b.p++ = digits[v >> 4];
        *b.p++ = digits[v & 15];
    }
    return b.finish(value_kind::text);
}

scalar_text ip_address_text(std::span<const std::byte> bytes) noexcept {
    text_builder b;
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(bytes.size() == 4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text);
    const std::size_t n = std::strlen(text);
    std::memcpy(b.p, text, n);
    b.p += n;
    return b.finish(value_kind::text);
}

std::string_view errno_name(std::int32_t value) noexcept {
    static constexpr std::string_view names[] = {
        "",
        "EPERM",
        "ENOENT",
        "ESRCH",
        "EINTR",
        "EIO",
        "ENXIO",
        "E2BIG",
        "ENOEXEC",
        "EBADF",
        "ECHILD",
        "EAGAIN",
        "ENOMEM",
        "EACCES",
        "EFAULT",
        "ENOTBLK",
        "EBUSY",
        "EEXIST",
        "EXDEV",
        "ENODEV",
        "ENOTDIR",
        "EISDIR",
        "EINVAL",
        "ENFILE",
        "EMFILE",
        "ENOTTY",
        "ETXTBSY",
        "EFBIG",
        "ENOSPC",
        "ESPIPE",
        "EROFS",
        "EMLINK",
        "EPIPE",
        "EDOM",
        "ERANGE",
        "EDEADLK",
        "ENAMETOOLONG",
        "ENOLCK",
        "ENOSYS",
        "ENOTEMPTY",
        "ELOOP",
        "",
        "ENOMSG",
        "EIDRM",
        "ECHRNG",
        "EL2NSYNC",
        "EL3HLT",
        "EL3RST",
        "ELNRNG",
        "EUNATCH",
        "ENOCSI",
        "EL2HLT",
        "EBADE",
        "EBADR",
        "EXFULL",
        "ENOANO",
        "EBADRQC",
        "EBADSLT",
        "",
        "EBFONT",
        "ENOSTR",
        "ENODATA",
        "ETIME",
        "ENOSR",
        "ENONET",
        "ENOPKG",
        "EREMOTE",
        "ENOLINK",
        "EADV",
        "ESRMNT",
        "ECOMM",
        "EPROTO",
        "EMULTIHOP",
        "EDOTDOT",
        "EBADMSG",
        "EOVERFLOW",
        "ENOTUNIQ",
        "EBADFD",
        "EREMCHG",
        "ELIBACC",
        "ELIBBAD",
        "ELIBSCN",
        "ELIBMAX",
        "ELIBEXEC",
        "EILSEQ",
        "ERESTART",
        "ESTRPIPE",
        "EUSERS",
        "ENOTSOCK",
        "EDESTADDRREQ",
        "EMSGSIZE",
        "EPROTOTYPE",
        "ENOPROTOOPT",
        "EPROTONOSUPPORT",
        "ESOCKTNOSUPPORT",
        "EOPNOTSUPP",
        "EPFNOSUPPORT",
        "EAFNOSUPPORT",
        "EADDRINUSE",
        "EADDRNOTAVAIL",
        "ENETDOWN",
        "ENETUNREACH",
        "ENETRESET",
        "ECONNABORTED",
        "ECONNRESET",
        "ENOBUFS",
        "EISCONN",
        "ENOTCONN",
        "ESHUTDOWN",
        "ETOOMANYREFS",
        "ETIMEDOUT",
        "ECONNREFUSED",
        "EHOSTDOWN",
        "EHOSTUNREACH",
        "EALREADY",
        "EINPROGRESS",
        "ESTALE",
        "EUCLEAN",
        "ENOTNAM",
        "ENAVAIL",
        "EISNAM",
        "EREMOTEIO",
        "EDQUOT",
        "ENOMEDIUM",
        "EMEDIUMTYPE",
        "ECANCELED",
        "ENOKEY",
        "EKEYEXPIRED",
        "EKEYREVOKED",
        "EKEYREJECTED",
        "EOWNERDEAD",
        "ENOTRECOVERABLE",
        "ERFKILL",
        "EHWPOISON",
    };
    if (value < 0 || static_cast<std::size_t>(value) >= std::size(names) || names[value].empty()) return "ERRNO";
    return names[value];
}

char* write_errno(char* p, std::int32_t value) noexcept {
    const std::string_view name = errno_name(value);
    std::memcpy(p, name.data(), name.size());
    p += name.size();
    *p++ = '(';
    p = std::to_chars(p, p + 12, value).ptr;
    *p++ = ')';
    return p;
}

bool is_string_format(fmt format) noexcept {
    return format == fmt::default_format || format == fmt::hex_bytes || format == fmt::string8 ||
           format == fmt::string_utf || format == fmt::string_utf_bom || format == fmt::string_xml ||
           format == fmt::string_json;
}

// The fixed-size encoding a length-prefixed value of `size` bytes stands for
// under `format` (a numeric format: the encoding of that size, when the wire
// contract lets the format have it), or invalid.
enc fixed_encoding_for(fmt format, std::size_t size) noexcept {
    if (is_string_format(format)) return enc::invalid;
    const enc encoding = value_encoding_for_size(size);
    return format_applies_when_decoding(format, encoding) ? encoding : enc::invalid;
}

bool is_length_prefixed8(enc encoding) noexcept {
    return encoding == enc::string_length16_char8 || encoding == enc::binary_length16_char8;
}

// The text of a fixed-size value of `encoding` (value8..value128).
scalar_text fixed_text(std::span<const std::byte> v, enc encoding, fmt format, bool swap) noexcept {
    const auto* p = v.data();
    switch (encoding) {
    case enc::value8: {
        const auto value = load<std::uint8_t>(p);
        switch (format) {
        case fmt::signed_int: return finish_signed(static_cast<std::int8_t>(value));
        case fmt::hex_int: return hex_text(value);
        case fmt::boolean: return boolean_text(value);
        case fmt::hex_bytes: return hex_bytes_text(v);
        case fmt::string8: return character_text(value);
        default: return finish_unsigned(value);
        }
    }
    case enc::value16: {
        const auto value = load<std::uint16_t>(p, swap);
        switch (format) {
        case fmt::signed_int: return finish_signed(static_cast<std::int16_t>(value));
        case fmt::hex_int: return hex_text(value);
        case fmt::boolean: return boolean_text(value);
        case fmt::hex_bytes: return hex_bytes_text(v);
        case fmt::string_utf: return character_text(value);
        case fmt::port: return finish_unsigned(load<std::uint16_t>(p, __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__));
        default: return finish_unsigned(value);
        }
    }
    case enc::value32: {
        const auto value = load<std::uint32_t>(p, swap);
        switch (format) {
        case fmt::signed_int:
        case fmt::pid: return finish_signed(static_cast<std::int32_t>(value));
        case fmt::hex_int: return hex_text(value);
        case fmt::errno_value: {
            text_builder b;
            b.p = write_errno(b.p, static_cast<std::int32_t>(value));
            return b.finish(value_kind::text);
        }
        case fmt::time: {
            text_builder b;
            b.p = write_time(b.p, static_cast<std::int32_t>(value));
            return b.finish(value_kind::text);
        }
        case fmt::boolean: return boolean_text(value);
        case fmt::floating: {
            float f;
            std::memcpy(&f, &value, 4);
            return float_text(f);
        }
        case fmt::hex_bytes: return hex_bytes_text(v);
        case fmt::string_utf: return character_text(value);
        case fmt::ip_address:
        case fmt::ip_address_obsolete: return ip_address_text(v);
        default: return finish_unsigned(value);
        }
    }
    case enc::value64: {
        const auto value = load<std::uint64_t>(p, swap);
        switch (format) {
        case fmt::signed_int: return finish_signed(static_cast<std::int64_t>(value));
        case fmt::hex_int: return hex_text(value);
        case fmt::time: {
            text_builder b;
            b.p = write_time(b.p, static_cast<std::int64_t>(value));
            return b.finish(value_kind::text);
        }
        case fmt::floating: {
            double d;
            std::memcpy(&d, &value, 8);
            return float_text(d);
        }
        case fmt::hex_bytes: return hex_bytes_text(v);
        default: return finish_unsigned(value);
        }
    }
    case enc::value128:
        switch (format) {
        case fmt::uuid: {
            text_builder b;
            b.p = write_uuid(b.p, p);
            return b.finish(value_kind::text);
        }
        case fmt::ip_address:
        case fmt::ip_address_obsolete: return ip_address_text(v);
        default: return hex_bytes_text(v);
        }
    default: return {};
    }
}

// ---- strings ----

// True for the ASCII bytes that stand for themselves in a JSON string.
constexpr bool is_plain_ascii(unsigned char b) noexcept { return b >= 0x20 && b < 0x80 && b != '"' && b != '\\'; }

// Appends code point c (< 0x80 or any other) with the escapes of `escape`.
template <text_escape Escape>
void append_code_point(std::string& out, char32_t c) {
    if (Escape == text_escape::json ? c < 0x80 && !is_plain_ascii(static_cast<unsigned char>(c)) : c < 0x20) {
        {
            switch (c) {
            case '"': out.append("\\\""); return;
            case '\\': out.append("\\\\"); return;
            case '\n': out.append("\\n"); return;
            case '\r': out.append("\\r"); return;
            case '\t': out.append("\\t"); return;
            case '\b': out.append("\\b"); return;
            case '\f': out.append("\\f"); return;
            default: {
                static constexpr char digits[] = "0123456789abcdef";
                const char text[6] = {'\\', 'u', '0', '0', digits[c >> 4], digits[c & 15]};
                out.append(text, 6);
                return;
            }
            }
        }
    }
    char text[4];
    out.append(text, write_code_point(text, c));
}

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if invalid.
std::size_t utf8_sequence(const unsigned char* s, std::size_t size, std::size_t i) noexcept {
    const auto b0 = s[i];
    std::size_t length;
    char32_t minimum, c;
    if ((b0 & 0xE0) == 0xC0) {
        length = 2, minimum = 0x80, c = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
        length = 3, minimum = 0x800, c = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
        length = 4, minimum = 0x10000, c = b0 & 0x07;
    } else {
        return 0;
    }
    if (size - i < length) return 0;
    for (std::size_t k = 1; k != length; ++k) {
        const auto b = s[i + k];
        if ((b & 0xC0) != 0x80) return 0;
        c = (c << 6) | (b & 0x3F);
    }
    if (c < minimum || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    return length;
}

// Copies runs of bytes that stand for themselves (plain ASCII and valid
// multi-byte sequences) in one append each; escapes and bytes outside a
// valid sequence (taken as Latin-1) one by one.
template <text_escape Escape>
void append_utf8(std::string& out, const unsigned char* p, std::size_t size) {
    std::size_t run = 0;  // start of the bytes not yet appended
    std::size_t i = 0;
    while (i < size) {
        // Plain ASCII, 8 bytes at a time while possible.
        while (size - i >= 8) {
            std::uint64_t word;
            std::memcpy(&word, p + i, 8);
            constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
            std::uint64_t good;
            if constexpr (Escape == text_escape::json) {
                // A byte is special if >= 0x80, < 0x20, '"' or '\\' (exact per-byte
                // tests: no borrow crosses bytes because high bits are excluded first).
                const std::uint64_t low7 = word & ~highs;
                const std::uint64_t control = (low7 + (0x80 - 0x20) * ones) & highs;        // set iff byte >= 0x20
                const std::uint64_t quote = ((low7 ^ ('"' * ones)) + 0x7F * ones) & highs;  // set iff byte != '"'
                const std::uint64_t slash = ((low7 ^ ('\\' * ones)) + 0x7F * ones) & highs;
                good = control & quote & slash & ~word;  // ~word: high bit clear
            } else {
                const std::uint64_t control = ((word & ~highs) + (0x80 - 0x20) * ones) & highs;
                good = control & ~word;
            }
            if (good != highs) break;
            i += 8;
        }
        if constexpr (Escape == text_escape::json) {
            while (i < size && is_plain_ascii(p[i])) ++i;
        } else {
            while (i < size && p[i] >= 0x20 && p[i] < 0x80) ++i;
        }
        if (i == size) break;
        if (p[i] >= 0x80) {
            if (const std::size_t n = utf8_sequence(p, size, i); n != 0) {
                i += n;  // valid: the bytes themselves
                continue;
            }
        }
        out.append(reinterpret_cast<const char*>(p + run), i - run);
        append_code_point<Escape>(out, p[i]);  // an escape, or a byte taken as Latin-1
        run = ++i;
    }
    out.append(reinterpret_cast<const char*>(p + run), size - run);
}

template <text_escape Escape>
void append_latin1(std::string& out, std::span<const std::byte> s) {
    for (const auto b : s) append_code_point<Escape>(out, static_cast<unsigned char>(b));
}

template <text_escape Escape>
void append_utf16(std::string& out, std::span<const std::byte> s, bool swap) {
    const std::size_t units = s.size() / 2;
    for (std::size_t i = 0; i < units; ++i) {
        char32_t c = load<std::uint16_t>(s.data() + 2 * i, swap);
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units) {
            const char32_t low = load<std::uint16_t>(s.data() + 2 * (i + 1), swap);
            if (low >= 0xDC00 && low <= 0xDFFF) {
                c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
                ++i;
            }
        }
        append_code_point<Escape>(out, c);  // lone surrogates become U+FFFD there
    }
}

template <text_escape Escape>
void append_utf32(std::string& out, std::span<const std::byte> s, bool swap) {
    for (std::size_t i = 0; i + 4 <= s.size(); i += 4)
        append_code_point<Escape>(out, load<std::uint32_t>(s.data() + i, swap));
}

template <text_escape Escape>
void append_utf8_span(std::string& out, std::span<const std::byte> s) {
    append_utf8<Escape>(out, reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

// A leading byte order mark decides the encoding; false if there is none.
template <text_escape Escape>
bool append_bom_string(std::string& out, std::span<const std::byte> s) {
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const bool host_le = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
    if (s.size() >= 4 && at(0) == 0xFF && at(1) == 0xFE && at(2) == 0 && at(3) == 0) {
        append_utf32<Escape>(out, s.subspan(4), !host_le);
    } else if (s.size() >= 4 && at(0) == 0 && at(1) == 0 && at(2) == 0xFE && at(3) == 0xFF) {
        append_utf32<Escape>(out, s.subspan(4), host_le);
    } else if (s.size() >= 3 && at(0) == 0xEF && at(1) == 0xBB && at(2) == 0xBF) {
        append_utf8_span<Escape>(out, s.subspan(3));
    } else if (s.size() >= 2 && at(0) == 0xFF && at(1) == 0xFE) {
        append_utf16<Escape>(out, s.subspan(2), !host_le);
    } else if (s.size() >= 2 && at(0) == 0xFE && at(1) == 0xFF) {
        append_utf16<Escape>(out, s.subspan(2), host_le);
    } else {
        return false;
    }
    return true;
}

void append_hex_bytes(std::string& out, std::span<const std::byte> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    const std::size_t begin = out.size();
    if (bytes.empty()) return;
    out.resize(begin + bytes.size() * 3 - 1);
    char* p = out.data() + begin;
    for (std::size_t i = 0; i != bytes.size(); ++i) {
        if (i != 0) *p++ = ' ';
        const auto b = static_cast<unsigned>(bytes[i]);
        *p++ = digits[b >> 4];
        *p++ = digits[b & 15];
    }
}

template <text_escape Escape>
void append_string(std::string& out, std::span<const std::byte> s, std::size_t unit, fmt format, bool swap) {
    if (format == fmt::hex_bytes) {
        append_hex_bytes(out, s);
        return;
    }
    if ((format == fmt::string_utf_bom || format == fmt::string_xml || format == fmt::string_json) &&
        append_bom_string<Escape>(out, s)) {
        return;
    }
    switch (unit) {
    case 1:
        if (format == fmt::string8) append_latin1<Escape>(out, s);
        else append_utf8_span<Escape>(out, s);
        break;
    case 2: append_utf16<Escape>(out, s, swap); break;
    default: append_utf32<Escape>(out, s, swap); break;
    }
}

template <text_escape Escape>
void append_string_value(std::string& out, const value_bytes& v) {
    fmt format = v.format;
    switch (v.encoding) {
    case enc::zstring_char8: append_string<Escape>(out, v.bytes, 1, format, v.byte_swap); return;
    case enc::zstring_char16:
    case enc::string_length16_char16: append_string<Escape>(out, v.bytes, 2, format, v.byte_swap); return;
    case enc::zstring_char32:
    case enc::string_length16_char32: append_string<Escape>(out, v.bytes, 4, format, v.byte_swap); return;
    case enc::string_length16_char8:
    case enc::binary_length16_char8:
        if (!is_string_format(format)) format = fmt::default_format;  // a length the format has no size for
        if (v.encoding == enc::binary_length16_char8 && (format == fmt::default_format || format == fmt::hex_bytes)) {
            append_hex_bytes(out, v.bytes);
        } else {
            append_string<Escape>(out, v.bytes, 1, format, v.byte_swap);
        }
        return;
    default: return;
    }
}

}  // namespace

bool is_string_value(const value_bytes& v) noexcept {
    switch (v.encoding) {
    case enc::zstring_char8:
    case enc::zstring_char16:
    case enc::zstring_char32:
    case enc::string_length16_char16:
    case enc::string_length16_char32: return true;
    case enc::string_length16_char8:
    case enc::binary_length16_char8:
        return is_string_format(v.format) ||
               (!v.bytes.empty() && fixed_encoding_for(v.format, v.bytes.size()) == enc::invalid);
    default: return false;
    }
}

scalar_text scalar_text_of(const value_bytes& v) noexcept {
    if (is_length_prefixed8(v.encoding)) {
        if (v.bytes.empty()) return {};  // null
        return fixed_text(v.bytes, fixed_encoding_for(v.format, v.bytes.size()), v.format, v.byte_swap);
    }
    return fixed_text(v.bytes, v.encoding, v.format, v.byte_swap);
}

void append_string_text(std::string& out, const value_bytes& value, text_escape escape) {
    if (escape == text_escape::json) append_string_value<text_escape::json>(out, value);
    else append_string_value<text_escape::control>(out, value);
}

void append_tracefs_string_text(std::string& out, std::span<const std::byte> field, text_escape escape) {
    const auto* nul =
        field.empty() ? nullptr : static_cast<const std::byte*>(std::memchr(field.data(), 0, field.size()));
    const auto text = field.first(nul ? static_cast<std::size_t>(nul - field.data()) : field.size());
    if (escape == text_escape::json) append_latin1<text_escape::json>(out, text);
    else append_latin1<text_escape::control>(out, text);
}

void append_utf8_text(std::string& out, std::string_view utf8, text_escape escape) {
    const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
    if (escape == text_escape::json) append_utf8<text_escape::json>(out, p, utf8.size());
    else append_utf8<text_escape::control>(out, p, utf8.size());
}

scalar_text unsigned_text(std::uint64_t value) noexcept { return finish_unsigned(value); }

scalar_text tracefs_integer_text(const tracepoint_field& field, const std::byte* p, bool swap,
                                 bool hex_as_number) noexcept {
    std::uint64_t value;
    switch (field.element_size) {
    case 1: value = load<std::uint8_t>(p); break;
    case 2: value = load<std::uint16_t>(p, swap); break;
    case 4: value = load<std::uint32_t>(p, swap); break;
    default: value = load<std::uint64_t>(p, swap); break;
    }
    if (field.display == field_display::hex && !(hex_as_number && !field.is_pointer)) return hex_text(value);
    if (!field.is_signed) return unsigned_text(value);
    const unsigned shift = 64 - 8 * field.element_size;
    return signed_text(static_cast<std::int64_t>(value << shift) >> shift);
}
scalar_text signed_text(std::int64_t value) noexcept { return finish_signed(value); }
scalar_text hex_text(std::uint64_t value) noexcept {
    text_builder b;
    b.p = write_hex(b.p, value);
    return b.finish(value_kind::text);
}

void append_time_text(std::string& out, std::int64_t seconds) {
    char text[48];
    out.append(text, write_time(text, seconds));
}

void append_errno_text(std::string& out, std::int32_t value) {
    char text[40];
    out.append(text, write_errno(text, value));
}

void append_uuid_text(std::string& out, const std::byte* bytes16) {
    char text[36];
    out.append(text, write_uuid(text, bytes16));
}

void append_utc_time_text(std::string& out, std::uint64_t time_ns) {
    char text[64];
    char* p = write_time(text, static_cast<std::int64_t>(time_ns / 1000000000));
    p = write_fraction(p, static_cast<std::uint32_t>(time_ns % 1000000000));
    *p++ = 'Z';
    out.append(text, p);
}

}  // namespace ehtrace::decode
