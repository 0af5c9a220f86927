#include <ehtrace/decode/json_formatter.hpp>

#include <ehtrace/decode/tracepoint_layout.hpp>

#include "../byte_order.hpp"
#include "json_values.hpp"
#include "text_writers.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

namespace ehtrace::decode {
namespace {

using namespace detail;

// Nonzero when some byte of w is not plain ASCII, a byte that stands for
// itself in a JSON string: 0x20-0x7F but '"' and '\\' (the bytes
// append_utf8_text copies as they are). Exact as a yes/no answer: each test
// borrows only above a byte that fails it.
[[gnu::always_inline]] inline std::uint64_t not_plain_ascii(std::uint64_t w) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const std::uint64_t quote = w ^ ('"' * ones), backslash = w ^ ('\\' * ones);
    return (w | ((w - 0x20 * ones) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash)) & highs;
}

// Copies n bytes from src to dst; true when all are plain ASCII. Eight or
// sixteen at a time (the last ones overlapping), reading only inside
// [src, src + n).
[[gnu::always_inline]] inline bool copy_plain_ascii(char* dst, const char* src, std::size_t n) noexcept {
    if (n < 8) {
        // Two overlapping loads of 4, 2 or 1 bytes; plain 'a's fill the rest
        // of the word tested.
        std::uint64_t w = 0x6161616161616161ull;
        if (n >= 4) {
            std::uint32_t a, b;
            std::memcpy(&a, src, 4);
            std::memcpy(&b, src + n - 4, 4);
            std::memcpy(dst, &a, 4);
            std::memcpy(dst + n - 4, &b, 4);
            w = a | (std::uint64_t{b} << 32);
        } else if (n >= 2) {
            std::uint16_t a, b;
            std::memcpy(&a, src, 2);
            std::memcpy(&b, src + n - 2, 2);
            std::memcpy(dst, &a, 2);
            std::memcpy(dst + n - 2, &b, 2);
            w = (w << 32) | a | (std::uint64_t{b} << 16);
        } else if (n == 1) {
            dst[0] = src[0];
            w = (w << 8) | static_cast<unsigned char>(src[0]);
        }
        return not_plain_ascii(w) == 0;
    }
#if defined(__GNUC__)
    if (n >= 16) {
        // Sixteen at a time (the last sixteen overlapping) in a vector
        // register: a signed byte below 0x20 is a control character or not
        // ASCII.
        typedef signed char chunk __attribute__((vector_size(16)));
        chunk bad{}, c;
        for (std::size_t i = 0; i + 16 <= n; i += 16) {
            std::memcpy(&c, src + i, 16);
            std::memcpy(dst + i, &c, 16);
            bad |= (c < 0x20) | (c == '"') | (c == '\\');
        }
        std::memcpy(&c, src + n - 16, 16);
        std::memcpy(dst + n - 16, &c, 16);
        bad |= (c < 0x20) | (c == '"') | (c == '\\');
        std::uint64_t halves[2];
        std::memcpy(halves, &bad, 16);
        return (halves[0] | halves[1]) == 0;
    }
#endif
    std::uint64_t bad = 0, w;
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
        std::memcpy(&w, src + i, 8);
        std::memcpy(dst + i, &w, 8);
        bad |= not_plain_ascii(w);
    }
    std::memcpy(&w, src + n - 8, 8);
    std::memcpy(dst + n - 8, &w, 8);
    return (bad | not_plain_ascii(w)) == 0;
}

void append_scalar_json(std::string& out, const scalar_text& t, bool safe_numbers) {
    switch (t.kind) {
    case value_kind::null: out.append("null"); return;
    case value_kind::number:
        if (safe_numbers && t.beyond_double) break;  // as a string: a double would round it
        out.append(t.data, t.size);
        return;
    case value_kind::boolean: out.append(t.data, t.size); return;
    case value_kind::text:
        if (t.may_need_escape) {
            append_json_string(out, t.view());
            return;
        }
        break;
    }
    char text[scalar_text::capacity + 2];
    text[0] = '"';
    std::memcpy(text + 1, t.data, t.size);
    text[t.size + 1] = '"';
    out.append(text, t.size + 2u);
}

// An integer of type T in 64 bits: sign-extended when is_signed (the
// signed format), zero-extended otherwise.
template <class T>
[[gnu::always_inline]] inline std::uint64_t load_integer_as(const std::byte* p, bool swap, bool is_signed) noexcept {
    const std::uint64_t v = load<T>(p, swap);
    if (!is_signed) return v;
    constexpr unsigned shift = 64 - 8 * sizeof(T);
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(v << shift) >> shift);
}

// An integer value (value8..value64) in 64 bits, as load_integer_as.
[[gnu::always_inline]] inline std::uint64_t load_integer(const value_bytes& value) noexcept {
    const auto* p = value.bytes.data();
    const bool is_signed = value.format == field_format::signed_int;
    switch (value.encoding) {
    case field_encoding::value8: return load_integer_as<std::uint8_t>(p, false, is_signed);
    case field_encoding::value16: return load_integer_as<std::uint16_t>(p, value.byte_swap, is_signed);
    case field_encoding::value32: return load_integer_as<std::uint32_t>(p, value.byte_swap, is_signed);
    default: return load_integer_as<std::uint64_t>(p, value.byte_swap, is_signed);
    }
}

// Whether a double holds a loaded integer exactly (|v| <= 2^53):
// safe_numbers writes the others as strings.
[[gnu::always_inline]] inline bool exact_in_double(std::uint64_t v, bool is_signed) noexcept {
    constexpr auto limit = std::int64_t{1} << 53;
    if (!is_signed) return v <= std::uint64_t{limit};
    const auto signed_v = static_cast<std::int64_t>(v);
    return signed_v <= limit && signed_v >= -limit;
}

// A loaded integer as a JSON number at text (at most 24 bytes).
[[gnu::always_inline]] inline char* write_integer_json(char* text, std::uint64_t v, bool is_signed) noexcept {
    return is_signed ? write_int(text, static_cast<std::int64_t>(v)) : write_uint(text, v);
}

// The usual values' JSON text at p: integers of the default, unsigned and
// signed formats (as numbers: not those a double would round when
// safe_numbers is set) and finite doubles; nullptr (nothing written) for
// anything else. At most simple_value_json_max bytes.
constexpr std::size_t simple_value_json_max = 40;
[[gnu::always_inline]] inline char* write_simple_value_json(char* text, const value_bytes& value,
                                                            const json_options& options) noexcept {
    const auto format = value.format;
    const auto* p = value.bytes.data();
    if (value.encoding >= field_encoding::value8 && value.encoding <= field_encoding::value64 &&
        format <= field_format::signed_int) {
        const std::uint64_t v = load_integer(value);
        const bool is_signed = format == field_format::signed_int;
        if (options.safe_numbers && !exact_in_double(v, is_signed)) return nullptr;
        return write_integer_json(text, v, is_signed);
    }
    if (value.encoding == field_encoding::value64 && format == field_format::floating) {
        double d;
        std::memcpy(&d, p, 8);
        if (value.byte_swap) d = std::bit_cast<double>(__builtin_bswap64(std::bit_cast<std::uint64_t>(d)));
        if (std::isfinite(d)) return write_double(text, d);
    }
    if (value.encoding == field_encoding::value128 && format == field_format::uuid) {
        // scalar_text_of's text (never escaped), quoted: 38 bytes.
        *text = '"';
        char* end = write_uuid(text + 1, p);
        *end = '"';
        return end + 1;
    }
    return nullptr;
}

// write_simple_value_json, and UTF-8 strings (append_value_json's usual
// string) of at most inline_string_max bytes, all plain ASCII: the same text.
// At most inline_value_json_max bytes at p.
constexpr std::size_t inline_string_max = 256, inline_value_json_max = inline_string_max + 2;
static_assert(inline_value_json_max >= simple_value_json_max);
[[gnu::always_inline]] inline char* write_inline_value_json(char* text, const value_bytes& value,
                                                            const json_options& options) noexcept {
    if (char* end = write_simple_value_json(text, value, options)) return end;
    const std::size_t n = value.bytes.size();
    if ((value.encoding == field_encoding::zstring_char8 || value.encoding == field_encoding::string_length16_char8) &&
        (value.format == field_format::default_format || value.format == field_format::string_utf) &&
        n <= inline_string_max) {
        *text = '"';
        if (copy_plain_ascii(text + 1, reinterpret_cast<const char*>(value.bytes.data()), n)) {
            text[n + 1] = '"';
            return text + n + 2;
        }
    }
    return nullptr;
}

// The item's value. Its span is read as pointer and size, not copied whole:
// the enumerator has just stored the two halves apart, and one 16-byte load
// of them waits until both stores have reached the cache (perf showed a
// third of the field loop's time on that load).
[[gnu::always_inline]] inline value_bytes value_of(const item_info& item) noexcept {
    const std::byte* const data = item.value.data();
    const std::size_t size = item.value.size();
    return {std::span<const std::byte>(data, size), item.encoding, item.format, item.byte_swap};
}

// Writes the members (or, with field_list, the list entries) of one event
// object: names, values, and the brackets of structs and arrays. What it
// writes collects in a buffer of its own (one append to `out` for many
// items): call flush() before anything else writes to `out`, and at the end.
class body_writer {
public:
    body_writer(std::string& out, const json_options& options) : out_(out), options_(options) {}
    body_writer(const body_writer&) = delete;
    body_writer& operator=(const body_writer&) = delete;

    // Starts a named value: `"name;tag=0xT":` or `{"name":"...","value":`.
    [[gnu::always_inline]] void member(std::string_view name, std::uint16_t tag) {
        if (options_.field_list) {
            flush();
            out_.append(comma_ ? ",{\"name\":" : "{\"name\":");
            append_name(name, tag);
            out_.append(",\"value\":");
        } else {
            append_plain_key(name, tag);
        }
        comma_ = true;
    }
    // A named value: member, the value and end_member; the key and the value
    // straight into the buffer when the key is plain (see append_plain_key)
    // and the value one of the usual ones (write_simple_value_json).
    [[gnu::always_inline]] void member_value(std::string_view name, const item_info& item) {
        const value_bytes value = value_of(item);
        if (!options_.field_list && name.size() <= 64 && (item.tag == 0 || !options_.field_tags)) {
            char* p = room(68 + inline_value_json_max);
            if (comma_) *p++ = ',';
            *p++ = '"';
            const bool plain = copy_plain_ascii(p, name.data(), name.size());
            p += name.size();
            if (plain) {
                *p++ = '"';
                *p++ = ':';
                comma_ = true;
                if (char* end = write_inline_value_json(p, value, options_)) {
                    p_ = end;
                    return;
                }
                p_ = p;
                flush();
                append_value_json(out_, value, options_);
                return;
            }
        }
        member(name, item.tag);
        flush();
        append_value_json(out_, value, options_);
        end_member();
    }
    // An array element that is a value: element() and the value, straight
    // into the buffer for the usual values.
    [[gnu::always_inline]] void element_value(const item_info& item) { element_value(value_of(item)); }
    [[gnu::always_inline]] void element_value(const value_bytes& value) {
        char* p = room(1 + inline_value_json_max);
        if (comma_) *p++ = ',';
        if (char* end = write_inline_value_json(p, value, options_)) {
            p_ = end;
            comma_ = true;
            return;
        }
        element();
        flush();
        append_value_json(out_, value, options_);
    }
    // The elements of an array of integers of the default, unsigned and
    // signed formats (e at its array_begin): element_value's text, with the
    // encoding and format looked at once for the array. Leaves e at the item
    // after the elements (the array's end); false where move_next() was.
    bool integer_elements(event_enumerator& e) {
        switch (e.item().encoding) {
        case field_encoding::value8: return integer_elements<std::uint8_t>(e);
        case field_encoding::value16: return integer_elements<std::uint16_t>(e);
        case field_encoding::value32: return integer_elements<std::uint32_t>(e);
        default: return integer_elements<std::uint64_t>(e);
        }
    }
    template <class T>
    bool integer_elements(event_enumerator& e) {
        const item_info& item = e.item();
        const bool is_signed = item.format == field_format::signed_int, swap = item.byte_swap;
        // Every element's bytes at once, when the enumerator has them: no
        // item per element.
        if (const std::span<const std::byte> all = e.array_bytes(); !all.empty()) {
            if (sizeof(T) == 8 && options_.safe_numbers) {
                for (std::size_t at = 0; at + sizeof(T) <= all.size(); at += sizeof(T)) {
                    integer_element<T>(all.subspan(at, sizeof(T)), item, is_signed, swap);
                }
            } else {
                // One loop per sign and byte order: nothing is tested per element.
                if (is_signed) {
                    swap ? write_integers<T, true, true>(all) : write_integers<T, true, false>(all);
                } else {
                    swap ? write_integers<T, false, true>(all) : write_integers<T, false, false>(all);
                }
            }
            return e.skip_to_array_end();
        }
        while (e.move_next()) {
            if (e.state() != enumerator_state::value) return true;
            integer_element<T>(item.value, item, is_signed, swap);
        }
        return false;
    }
    // Every element of `all` (a whole number of them), comma-separated: the
    // buffer's position and the comma are kept in registers for the loop
    // (the text's stores may alias the members, which would reload them).
    template <class T, bool is_signed, bool swap>
    void write_integers(std::span<const std::byte> all) {
        constexpr std::size_t element_max = 1 + 24;  // a comma and write_integer_json's most
        const std::byte* at = all.data();
        const std::byte* const end = at + all.size();
        char* p = p_;
        bool comma = comma_;
        for (; at != end; at += sizeof(T)) {
            if (static_cast<std::size_t>(buffer_ + sizeof buffer_ - p) < element_max) {
                p_ = p;
                flush();
                p = p_;
            }
            if (comma) *p++ = ',';
            comma = true;
            p = write_integer_json(p, load_integer_as<T>(at, swap, is_signed), is_signed);
        }
        p_ = p;
        comma_ = comma;
    }
    template <class T>
    [[gnu::always_inline]] void integer_element(std::span<const std::byte> bytes, const item_info& item, bool is_signed,
                                                bool swap) {
        const std::uint64_t v = load_integer_as<T>(bytes.data(), swap, is_signed);
        if (sizeof(T) == 8 && options_.safe_numbers && !exact_in_double(v, is_signed)) {
            element_value(value_bytes{bytes, item.encoding, item.format, swap});  // as a string
            return;
        }
        char* p = room(2 + 24);
        if (comma_) *p++ = ',';
        comma_ = true;
        p_ = write_integer_json(p, v, is_signed);
    }
    // Starts an unnamed array element.
    [[gnu::always_inline]] void element() {
        if (comma_) *room(1) = ',', ++p_;
        comma_ = true;
    }
    // After a member's value.
    [[gnu::always_inline]] void end_member() {
        if (options_.field_list) *room(1) = '}', ++p_;
    }
    // Opens a struct (`named`: a member, else an array element) or an array.
    [[gnu::always_inline]] bool open(bool is_struct, bool named) {
        if (depth_ == sizeof closers_) return false;
        const bool list = options_.field_list;
        *room(1) = is_struct && !list ? '{' : '[', ++p_;
        closers_[depth_++] = static_cast<char>((is_struct && !list ? '}' : ']') | (named && list ? 0x80 : 0));
        comma_ = false;
        return true;
    }
    [[gnu::always_inline]] void close() {
        const char c = closers_[--depth_];
        char* p = room(2);
        *p++ = static_cast<char>(c & 0x7F);
        if (c & 0x80) *p++ = '}';
        p_ = p;
        comma_ = true;
    }
    void close_all() {
        while (depth_ != 0) close();
    }
    void set_comma(bool comma) { comma_ = comma; }
    // Appends what the buffer holds to `out`.
    void flush() {
        if (p_ != buffer_) {
            out_.append(buffer_, static_cast<std::size_t>(p_ - buffer_));
            p_ = buffer_;
        }
    }

private:
    // The buffer's next byte, with at least n bytes free.
    [[gnu::always_inline]] char* room(std::size_t n) {
        if (static_cast<std::size_t>(buffer_ + sizeof buffer_ - p_) < n) flush();
        return p_;
    }
    // Straight to `out` (after a flush).
    void append_name(std::string_view name, std::uint16_t tag) {
        out_.push_back('"');
        append_utf8_text(out_, name, text_escape::json);
        if (tag != 0 && options_.field_tags) append_tag(tag);
        out_.push_back('"');
    }
    void append_tag(std::uint16_t tag) {
        char text[16];
        char* p = write_literal(text, ";tag=");
        p = write_hex(p, tag);
        out_.append(text, static_cast<std::size_t>(p - text));
    }
    // The usual case, a short name of plain ASCII and no tag: into the buffer.
    [[gnu::always_inline]] void append_plain_key(std::string_view name, std::uint16_t tag) {
        if (name.size() <= 64 && (tag == 0 || !options_.field_tags)) {
            char* p = room(68);
            if (comma_) *p++ = ',';
            *p++ = '"';
            const bool plain = copy_plain_ascii(p, name.data(), name.size());
            p += name.size();
            if (plain) {
                *p++ = '"';
                *p++ = ':';
                p_ = p;
                return;
            }
        }
        flush();
        if (comma_) out_.push_back(',');
        append_name(name, tag);
        out_.push_back(':');
    }

    std::string& out_;
    const json_options& options_;
    bool comma_ = false;
    std::size_t depth_ = 0;
    char closers_[event_enumerator::max_depth + 2];
    char* p_ = buffer_;
    char buffer_[1024];
};

// The field name as written in the metadata, attributes included.
std::string_view full_name(const item_info& item) noexcept {
    if (item.name_attributes.empty()) return item.name;
    return {item.name.data(), item.name.size() + item.name_attributes.size()};
}

// The fields of a started EventHeader event; false if it is damaged.
bool append_eventheader_fields(body_writer& w, event_enumerator& e) {
    if (e.state() != enumerator_state::before_first) return e.state() != enumerator_state::error;
    const item_info& item = e.item();
    bool more = e.move_next();
    while (more) {
        if (e.state() == enumerator_state::value) {
            if (item.is_element) {
                w.element_value(item);
            } else {
                w.member_value(full_name(item), item);
            }
            more = e.move_next();
            continue;
        }
        switch (e.state()) {
        case enumerator_state::array_begin:
            w.member(full_name(item), item.tag);
            w.open(false, true);
            if (item.encoding >= field_encoding::value8 && item.encoding <= field_encoding::value64 &&
                item.format <= field_format::signed_int) {
                more = w.integer_elements(e);
                if (!more) continue;
                w.close();  // the elements are followed by the array's end
            }
            break;
        case enumerator_state::struct_begin:
            if (item.is_element) {
                w.element();
                w.open(true, false);
            } else {
                w.member(full_name(item), item.tag);
                w.open(true, true);
            }
            break;
        case enumerator_state::array_end:
        case enumerator_state::struct_end: w.close(); break;
        default: break;
        }
        more = e.move_next();
    }
    w.close_all();  // damage mid-struct still leaves a valid document
    return e.state() != enumerator_state::error;
}

// ---- plain tracepoint fields ----

void append_tracefs_integer(std::string& out, const tracepoint_field& field, const std::byte* p, bool swap,
                            bool safe_numbers) {
    append_scalar_json(out, tracefs_integer_text(field, p, swap, safe_numbers), safe_numbers);
}

}  // namespace

// Shared with the timeline formatter (json_values.hpp).
void detail::append_tracefs_value(std::string& out, const tracepoint_field& field, std::span<const std::byte> raw,
                                  bool big_endian, const json_options& options) {
    const bool in_range = field.offset <= raw.size() && raw.size() - field.offset >= field.size;
    if (!in_range) {
        out.append("null");
        return;
    }
    const auto bytes = field_bytes(field, raw, big_endian);
    switch (field.display) {
    case field_display::string:
        out.push_back('"');
        append_tracefs_string_text(out, bytes, text_escape::json);
        out.push_back('"');
        return;
    case field_display::hex_bytes:
        append_value_json(out, {bytes, field_encoding::binary_length16_char8, field_format::hex_bytes, false}, options);
        return;
    default: break;
    }
    const bool swap = big_endian != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
    if (field.is_array) {
        out.push_back('[');
        for (std::size_t k = 0; k + field.element_size <= bytes.size(); k += field.element_size) {
            if (k != 0) out.push_back(',');
            append_tracefs_integer(out, field, bytes.data() + k, swap, options.safe_numbers);
        }
        out.push_back(']');
    } else if (bytes.size() < field.element_size) {
        out.append("null");  // a size-0 field: nothing to read
    } else {
        append_tracefs_integer(out, field, bytes.data(), swap, options.safe_numbers);
    }
}

namespace {

void append_tracepoint_fields(body_writer& w, std::string& out, const tracepoint_layout& format, std::size_t begin,
                              std::size_t end, std::span<const std::byte> raw, bool big_endian,
                              const json_options& options) {
    for (std::size_t i = begin; i < end; ++i) {
        const tracepoint_field& field = format.fields[i];
        w.member(field.name, 0);
        w.flush();
        append_tracefs_value(out, field, raw, big_endian, options);
        w.end_member();
    }
}

// ---- meta ----

// time, cpu, pid, tid at p; `comma` says whether one was written.
char* write_sample_meta(char* p, const sample_meta& meta, std::uint32_t keys, bool& comma) {
    const auto key = [&](const auto& literal) {
        if (comma) *p++ = ',';
        comma = true;
        p = write_literal(p, literal);
    };
    if (meta.has_time && (keys & meta_keys::time)) {
        key("\"time\":");
        const std::uint64_t seconds = meta.time_ns / 1000000000;
        const auto nanoseconds = static_cast<std::uint32_t>(meta.time_ns % 1000000000);
        if (meta.time_is_utc) {
            *p++ = '"';
            p = write_time(p, static_cast<std::int64_t>(seconds));
            p = write_fraction(p, nanoseconds);
            p = write_literal(p, "Z\"");
        } else {
            p = write_uint(p, seconds);
            p = write_fraction(p, nanoseconds);
        }
    }
    if (meta.has_cpu && (keys & meta_keys::cpu)) key("\"cpu\":"), p = write_uint(p, meta.cpu);
    if (meta.has_tid && (keys & meta_keys::pid)) key("\"pid\":"), p = write_uint(p, meta.pid);
    if (meta.has_tid && (keys & meta_keys::tid)) key("\"tid\":"), p = write_uint(p, meta.tid);
    return p;
}

void append_string_member(std::string& out, bool& comma, const char* key, std::string_view value) {
    if (comma) out.push_back(',');
    comma = true;
    out.append(key);
    append_json_string(out, value);
}

// comm, provider and event: names that may need escapes.
void append_name_meta(std::string& out, const sample_meta& meta, std::uint32_t keys, std::string_view provider,
                      std::string_view event, bool& comma) {
    if ((keys & meta_keys::comm) && !meta.comm.empty()) append_string_member(out, comma, "\"comm\":", meta.comm);
    if (!meta.source.empty()) append_string_member(out, comma, "\"source\":", meta.source);
    if ((keys & meta_keys::provider) && !provider.empty()) append_string_member(out, comma, "\"provider\":", provider);
    if ((keys & meta_keys::event) && !event.empty()) append_string_member(out, comma, "\"event\":", event);
}

void append_meta(std::string& out, const decoded_sample& s, std::uint32_t keys) {
    if ((keys & ~meta_keys::common) == 0) return;
    char text[512];
    char* p = write_literal(text, ",\"meta\":{");
    bool comma = false;
    p = write_sample_meta(p, s.meta, keys, comma);
    if (s.kind != sample_kind::eventheader) {
        out.append(text, static_cast<std::size_t>(p - text));
        std::string_view provider, event;
        if (s.kind == sample_kind::tracepoint) {
            provider = s.format->system, event = s.format->name;
        } else if (const auto colon = s.name.find(':'); colon != std::string_view::npos) {
            provider = s.name.substr(0, colon), event = s.name.substr(colon + 1);
        } else {
            provider = s.name;
        }
        append_name_meta(out, s.meta, keys, provider, event, comma);
        out.push_back('}');
        return;
    }
    const event_info& info = s.enumerator->event();
    if ((keys & (meta_keys::comm | meta_keys::provider | meta_keys::event)) || !s.meta.source.empty()) {
        out.append(text, static_cast<std::size_t>(p - text));
        append_name_meta(out, s.meta, keys, info.name_parts.provider, info.name, comma);
        p = text;
    }
    const auto key = [&](const auto& literal) {
        if (comma) *p++ = ',';
        comma = true;
        p = write_literal(p, literal);
    };
    const auto quoted_hex = [&](std::uint64_t value) {
        *p++ = '"';
        p = write_hex(p, value);
        *p++ = '"';
    };
    const auto quoted_uuid = [&](const std::byte* id) {
        *p++ = '"';
        p = write_uuid(p, id);
        *p++ = '"';
    };
    const auto& h = info.header;
    if ((keys & meta_keys::id) && h.id != 0) key("\"id\":"), p = write_uint(p, h.id);
    if ((keys & meta_keys::version) && h.version != 0) key("\"version\":"), p = write_uint(p, h.version);
    if ((keys & meta_keys::level) && h.level != 0) key("\"level\":"), p = write_uint(p, h.level);
    if ((keys & meta_keys::keyword) && info.name_parts.keyword != 0)
        key("\"keyword\":"), quoted_hex(info.name_parts.keyword);
    if ((keys & meta_keys::opcode) && h.opcode != 0) key("\"opcode\":"), p = write_uint(p, h.opcode);
    if ((keys & meta_keys::tag) && h.tag != 0) key("\"tag\":"), quoted_hex(h.tag);
    if ((keys & meta_keys::activity) && info.activity_id != nullptr)
        key("\"activity\":"), quoted_uuid(info.activity_id);
    if ((keys & meta_keys::related_activity) && info.related_activity_id != nullptr) {
        key("\"relatedActivity\":"), quoted_uuid(info.related_activity_id);
    }
    out.append(text, static_cast<std::size_t>(p - text));
    if ((keys & meta_keys::options) && !info.name_parts.options.empty()) {
        append_string_member(out, comma, "\"options\":", info.name_parts.options);
    }
    if (keys & meta_keys::flags) {
        p = text;
        key("\"flags\":"), quoted_hex(h.flags);
        out.append(text, static_cast<std::size_t>(p - text));
    }
    out.push_back('}');
}

// {"n":"<first>:<second>" -- ':' ends any UTF-8 sequence, so the two parts
// give the same text as the joined string. Short names of plain ASCII (the
// usual case) in one append.
void append_name_member(std::string& out, std::string_view first, std::string_view second) {
    char text[160];
    if (first.size() + second.size() <= sizeof text - 10) {
        char* p = write_literal(text, "{\"n\":\"");
        bool plain = copy_plain_ascii(p, first.data(), first.size());
        p += first.size();
        *p++ = ':';
        plain &= copy_plain_ascii(p, second.data(), second.size());
        p += second.size();
        *p++ = '"';
        if (plain) {
            out.append(text, static_cast<std::size_t>(p - text));
            return;
        }
    }
    out.append("{\"n\":\"");
    append_utf8_text(out, first, text_escape::json);
    out.push_back(':');
    append_utf8_text(out, second, text_escape::json);
    out.push_back('"');
}

void append_error_member(std::string& out, const event_enumerator& e) {
    out.append(",\"error\":\"");
    out.append(to_string(e.error()));
    out.append(" at event offset ");
    char text[24];
    out.append(text, static_cast<std::size_t>(write_uint(text, e.error_offset()) - text));
    out.push_back('"');
}

}  // namespace

void append_json_string(std::string& out, std::string_view utf8) {
    out.push_back('"');
    append_utf8_text(out, utf8, text_escape::json);
    out.push_back('"');
}

void append_value_json(std::string& out, const value_bytes& value, const json_options& options) {
    // The usual values (integers of the default, unsigned and signed formats,
    // doubles, UTF-8 strings) in one step, without a scalar_text or the
    // general string path: the same text.
    char text[simple_value_json_max];
    if (char* end = write_simple_value_json(text, value, options)) {
        out.append(text, static_cast<std::size_t>(end - text));
        return;
    }
    const auto format = value.format;
    if (value.encoding >= field_encoding::value8 && value.encoding <= field_encoding::value64 &&
        format <= field_format::signed_int) {
        // Beyond what a double holds exactly, with safe_numbers: as a string.
        const std::uint64_t v = load_integer(value);
        if (format == field_format::signed_int) {
            append_scalar_json(out, signed_text(static_cast<std::int64_t>(v)), true);
        } else {
            append_scalar_json(out, unsigned_text(v), true);
        }
        return;
    }
    if ((value.encoding == field_encoding::zstring_char8 || value.encoding == field_encoding::string_length16_char8) &&
        (format == field_format::default_format || format == field_format::string_utf)) {
        out.push_back('"');  // UTF-8 text, the usual string
        append_utf8_text(out, {reinterpret_cast<const char*>(value.bytes.data()), value.bytes.size()},
                         text_escape::json);
        out.push_back('"');
        return;
    }
    if (is_string_value(value)) {
        out.push_back('"');
        append_string_text(out, value, text_escape::json);
        out.push_back('"');
        return;
    }
    append_scalar_json(out, scalar_text_of(value), options.safe_numbers);
}

bool append_json(std::string& out, const decoded_sample& s, const json_options& options) {
    bool ok = true;
    if (s.kind == sample_kind::eventheader) {
        const event_info& info = s.enumerator->event();
        append_name_member(out, info.name_parts.provider, info.name);
    } else if (s.kind == sample_kind::tracepoint) {
        append_name_member(out, s.format->system, s.format->name);
    } else {
        out.append("{\"n\":\"");
        append_utf8_text(out, s.name, text_escape::json);
        out.push_back('"');
    }
    body_writer w(out, options);
    w.set_comma(true);
    if (options.field_list) {
        out.append(",\"fields\":[");
        w.set_comma(false);
    }
    if ((options.meta & meta_keys::common) && s.format != nullptr && s.kind != sample_kind::other) {
        append_tracepoint_fields(w, out, *s.format, 0, s.format->common_field_count, s.raw, s.big_endian, options);
    }
    switch (s.kind) {
    case sample_kind::eventheader: ok = append_eventheader_fields(w, *s.enumerator); break;
    case sample_kind::tracepoint:
        append_tracepoint_fields(w, out, *s.format, s.format->common_field_count, s.format->fields.size(), s.raw,
                                 s.big_endian, options);
        break;
    case sample_kind::other: break;
    }
    w.flush();
    if (options.field_list) out.push_back(']');
    if (s.kind == sample_kind::eventheader && !ok) append_error_member(out, *s.enumerator);
    if (s.kind == sample_kind::other) {
        if (s.error != decode_error::none) {
            out.append(",\"error\":");
            append_json_string(out, to_string(s.error));
            ok = false;
        } else if (!s.raw.empty()) {
            out.append(",\"raw\":");
            append_value_json(out, {s.raw, field_encoding::binary_length16_char8, field_format::hex_bytes, false});
        }
    }
    append_meta(out, s, options.meta);
    out.push_back('}');
    return ok;
}

bool parse_meta_keys(std::string_view text, std::uint32_t& keys) noexcept {
    struct named {
        std::string_view name;
        std::uint32_t bits;
    };
    static constexpr named names[] = {
        {"time", meta_keys::time},
        {"cpu", meta_keys::cpu},
        {"pid", meta_keys::pid},
        {"tid", meta_keys::tid},
        {"comm", meta_keys::comm},
        {"provider", meta_keys::provider},
        {"event", meta_keys::event},
        {"id", meta_keys::id},
        {"version", meta_keys::version},
        {"level", meta_keys::level},
        {"keyword", meta_keys::keyword},
        {"opcode", meta_keys::opcode},
        {"tag", meta_keys::tag},
        {"activity", meta_keys::activity},
        {"relatedActivity", meta_keys::related_activity},
        {"options", meta_keys::options},
        {"flags", meta_keys::flags},
        {"common", meta_keys::common},
        {"standard", meta_keys::standard},
        {"all", meta_keys::all},
        {"none", 0},
    };
    keys = text.starts_with('+') ? meta_keys::standard : 0;
    while (!text.empty()) {
        const auto comma = text.find(',');
        std::string_view word = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (word.starts_with('+')) word.remove_prefix(1);
        bool found = false;
        for (const auto& n : names) {
            if (n.name == word) keys |= n.bits, found = true;
        }
        if (!found) return false;
    }
    return true;
}

decode_error format_event_json(std::string& out, std::string_view tracepoint_name, std::span<const std::byte> event,
                               const sample_meta& meta, const json_options& options) {
    sample_decoder decoder;
    const decoded_sample& s = decoder.decode_event(tracepoint_name, event, meta);
    append_json(out, s, options);
    return s.kind == sample_kind::eventheader ? s.enumerator->error() : s.error;
}

}  // namespace ehtrace::decode
