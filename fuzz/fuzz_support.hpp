// Shared helpers for the fuzz targets: a strict JSON checker for what the
// formatters produce, and a byte reader that turns fuzz input into choices.
// Plain C++20, the standard library and ehtrace's header-only wire headers,
// so the same targets also build as replay drivers (replay_main.cpp) with gcc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <ehtrace/wire/tracepoint_name.hpp>

namespace ehtrace::fuzz {

// Stops the run in a way every fuzzer and the replay driver report.
[[noreturn]] inline void fail(const char* what, std::string_view context = {}) {
    std::fprintf(stderr, "fuzz check failed: %s\n", what);
    if (!context.empty()) {
        std::fprintf(stderr, "context (%zu bytes): %.*s\n", context.size(),
                     static_cast<int>(context.size() < 2000 ? context.size() : 2000), context.data());
    }
    std::abort();
}

// Checks that `text` is exactly a sequence of JSON values separated by
// whitespace (RFC 8259 grammar, UTF-8 validated, no NaN/Infinity), nesting
// bounded. Returns the number of top-level values or -1 when invalid.
class json_checker {
public:
    explicit json_checker(std::string_view text) noexcept : s_(text) {}

    int count_values() noexcept {
        int count = 0;
        skip_ws();
        while (pos_ < s_.size()) {
            if (!value(0)) return -1;
            ++count;
            skip_ws();
        }
        return count;
    }

private:
    static constexpr int max_depth = 200;

    void skip_ws() noexcept {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t'))
            ++pos_;
    }
    bool literal(std::string_view word) noexcept {
        if (s_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }
    bool value(int depth) noexcept {
        if (depth > max_depth) return false;
        skip_ws();
        if (pos_ >= s_.size()) return false;
        switch (s_[pos_]) {
        case '{': return object(depth);
        case '[': return array(depth);
        case '"': return string();
        case 't': return literal("true");
        case 'f': return literal("false");
        case 'n': return literal("null");
        default: return number();
        }
    }
    bool object(int depth) noexcept {
        ++pos_;
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == '}') return ++pos_, true;
        for (;;) {
            skip_ws();
            if (pos_ >= s_.size() || s_[pos_] != '"' || !string()) return false;
            skip_ws();
            if (pos_ >= s_.size() || s_[pos_] != ':') return false;
            ++pos_;
            if (!value(depth + 1)) return false;
            skip_ws();
            if (pos_ >= s_.size()) return false;
            if (s_[pos_] == '}') return ++pos_, true;
            if (s_[pos_] != ',') return false;
            ++pos_;
        }
    }
    bool array(int depth) noexcept {
        ++pos_;
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == ']') return ++pos_, true;
        for (;;) {
            if (!value(depth + 1)) return false;
            skip_ws();
            if (pos_ >= s_.size()) return false;
            if (s_[pos_] == ']') return ++pos_, true;
            if (s_[pos_] != ',') return false;
            ++pos_;
        }
    }
    bool digits() noexcept {
        const std::size_t begin = pos_;
        while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
        return pos_ != begin;
    }
    bool number() noexcept {
        if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
        if (pos_ >= s_.size()) return false;
        if (s_[pos_] == '0') {
            ++pos_;
        } else if (!digits()) {
            return false;
        }
        if (pos_ < s_.size() && s_[pos_] == '.') {
            ++pos_;
            if (!digits()) return false;
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            ++pos_;
            if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
            if (!digits()) return false;
        }
        return true;
    }
    bool hex4() noexcept {
        for (int i = 0; i < 4; ++i, ++pos_) {
            if (pos_ >= s_.size()) return false;
            const char c = s_[pos_];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
        }
        return true;
    }
    // One UTF-8 sequence starting at pos_ (lead byte >= 0x80).
    bool utf8() noexcept {
        const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s_[i]); };
        const unsigned lead = byte(pos_);
        std::size_t length = 0;
        std::uint32_t cp = 0;
        if (lead >= 0xC2 && lead <= 0xDF) length = 2, cp = lead & 0x1F;
        else if (lead >= 0xE0 && lead <= 0xEF) length = 3, cp = lead & 0x0F;
        else if (lead >= 0xF0 && lead <= 0xF4) length = 4, cp = lead & 0x07;
        else return false;
        if (s_.size() - pos_ < length) return false;
        for (std::size_t i = 1; i < length; ++i) {
            const unsigned b = byte(pos_ + i);
            if ((b & 0xC0) != 0x80) return false;
            cp = cp << 6 | (b & 0x3F);
        }
        if ((length == 3 && cp < 0x800) || (length == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return false;
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;
        pos_ += length;
        return true;
    }
    bool string() noexcept {
        ++pos_;
        while (pos_ < s_.size()) {
            const unsigned char c = static_cast<unsigned char>(s_[pos_]);
            if (c == '"') return ++pos_, true;
            if (c < 0x20) return false;
            if (c == '\\') {
                ++pos_;
                if (pos_ >= s_.size()) return false;
                const char e = s_[pos_++];
                if (e == 'u') {
                    if (!hex4()) return false;
                } else if (std::strchr("\"\\/bfnrt", e) == nullptr || e == '\0') {
                    return false;
                }
            } else if (c >= 0x80) {
                if (!utf8()) return false;
            } else {
                ++pos_;
            }
        }
        return false;
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

// Aborts unless `text` holds exactly `expected` JSON values (-1: any number).
inline void check_json(std::string_view text, int expected = -1) {
    const int n = json_checker(text).count_values();
    if (n < 0) fail("formatter produced invalid JSON", text);
    if (expected >= 0 && n != expected) fail("formatter produced the wrong number of JSON values", text);
}

// Aborts if `text` holds a control character other than a line end: text
// output must not drive a terminal or split a line.
inline void check_no_control_characters(std::string_view text) {
    for (const char c : text) {
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n') fail("control character in text output", text);
    }
}

// Aborts unless `text` is valid UTF-8 (no surrogates, nothing above U+10FFFF).
inline void check_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto b = static_cast<unsigned char>(text[i]);
        std::size_t length = b < 0x80             ? 1
                             : (b & 0xE0) == 0xC0 ? 2
                             : (b & 0xF0) == 0xE0 ? 3
                             : (b & 0xF8) == 0xF0 ? 4
                                                  : 0;
        if (length == 0 || text.size() - i < length) fail("invalid UTF-8 text", text);
        std::uint32_t c = length == 1 ? b : b & (0xFF >> (length + 1));
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80) fail("invalid UTF-8 text", text);
            c = c << 6 | (next & 0x3F);
        }
        static constexpr std::uint32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
        if (c < minimum[length] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) fail("invalid UTF-8 text", text);
        i += length;
    }
}

// Consumes fuzz input as a stream of choices; past the end it yields zeros.
class input_reader {
public:
    input_reader(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

    [[nodiscard]] bool empty() const noexcept { return pos_ >= size_; }
    [[nodiscard]] std::size_t remaining() const noexcept { return pos_ < size_ ? size_ - pos_ : 0; }

    std::uint8_t u8() noexcept { return pos_ < size_ ? data_[pos_++] : 0; }
    std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(u8() | u8() << 8); }
    std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(u16() | std::uint32_t{u16()} << 16); }
    std::uint64_t u64() noexcept { return u32() | std::uint64_t{u32()} << 32; }
    // 0..limit-1 (limit > 0).
    std::size_t below(std::size_t limit) noexcept { return u16() % limit; }
    // Up to `max` bytes of the input, length chosen by the input.
    std::span<const std::uint8_t> bytes(std::size_t max) noexcept {
        std::size_t n = below(max + 1);
        if (n > remaining()) n = remaining();
        std::span<const std::uint8_t> out(data_ + pos_, n);
        pos_ += n;
        return out;
    }
    std::string_view text(std::size_t max) noexcept {
        const auto b = bytes(max);
        return {reinterpret_cast<const char*>(b.data()), b.size()};
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

// An EventHeader tracepoint name as the writers build it (canonical hex).
inline std::string tracepoint_name(std::string_view provider, std::uint8_t level, std::uint64_t keyword,
                                   std::string_view options = {}) {
    struct string_writer {
        std::string text;
        void put(std::uint8_t c) { text.push_back(static_cast<char>(c)); }
        void put_string(std::string_view s) { text.append(s); }
    } out;
    encode_tracepoint_name(out, provider, level, keyword, options);
    return std::move(out.text);
}

}  // namespace ehtrace::fuzz
