#include <ehtrace/decode/tracepoint_name.hpp>

#include <ehtrace/format.hpp>

namespace ehtrace::decode {
namespace {

bool is_lower_hex(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
bool is_lower_or_digit(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// Parses 1..16 lowercase hex digits at `pos`; advances pos.
bool parse_hex(std::string_view s, std::size_t& pos, std::uint64_t& value) noexcept {
    std::size_t const begin = pos;
    value = 0;
    while (pos < s.size() && is_lower_hex(s[pos])) {
        if (pos - begin == 16) return false;
        char const c = s[pos];
        value = value * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : c - 'a' + 10);
        ++pos;
    }
    return pos != begin;
}

}  // namespace

bool parse_tracepoint_name(std::string_view name, tracepoint_name_parts& out) noexcept {
    if (name.empty() || name.size() > max_tracepoint_name_length) return false;
    auto const underscore = name.rfind('_');
    if (underscore == std::string_view::npos || underscore == 0) return false;
    std::string_view const provider = name.substr(0, underscore);
    for (char const c : provider) {
        if (c == ' ' || c == ':' || c == '\0') return false;
    }
    std::string_view const tail = name.substr(underscore + 1);
    std::size_t pos = 0;
    std::uint64_t level = 0;
    if (pos >= tail.size() || tail[pos] != 'L') return false;
    ++pos;
    if (!parse_hex(tail, pos, level) || level == 0 || level > 255) return false;
    if (pos >= tail.size() || tail[pos] != 'K') return false;
    ++pos;
    std::uint64_t keyword = 0;
    if (!parse_hex(tail, pos, keyword)) return false;
    std::string_view const options = tail.substr(pos);
    char previous_letter = 0;
    for (std::size_t i = 0; i < options.size();) {
        char const letter = options[i];
        if (!is_upper(letter) || letter < previous_letter) return false;
        previous_letter = letter;
        ++i;
        while (i < options.size() && is_lower_or_digit(options[i])) ++i;
    }
    out.provider = provider;
    out.options = options;
    out.level = static_cast<std::uint8_t>(level);
    out.keyword = keyword;
    return true;
}

std::string_view find_option(std::string_view options, char letter) noexcept {
    for (std::size_t i = 0; i < options.size();) {
        char const current = options[i];
        std::size_t const value_begin = ++i;
        while (i < options.size() && !is_upper(options[i])) ++i;
        if (current == letter) return options.substr(value_begin, i - value_begin);
    }
    return {};
}

std::string_view strip_tracepoint_system(std::string_view name) noexcept {
    constexpr std::string_view single = "user_events:";
    constexpr std::string_view multi = "user_events_multi:";
    if (name.starts_with(single)) return name.substr(single.size());
    if (name.starts_with(multi)) {
        name.remove_prefix(multi.size());
        auto const dot = name.rfind('.');
        if (dot != std::string_view::npos) name = name.substr(0, dot);
    }
    return name;
}

}  // namespace ehtrace::decode
