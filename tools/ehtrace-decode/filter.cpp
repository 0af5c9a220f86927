#include "filter.hpp"

#include <ehtrace/decode/event_enumerator.hpp>
#include <ehtrace/decode/tracepoint_layout.hpp>

#include <fnmatch.h>
#include <charconv>
#include <ctime>

namespace ehtrace_decode_tool {
namespace {

using namespace ehtrace::decode;

template <typename T>
bool parse_number(std::string_view text, T& value, int base = 10) {
    if (base == 16 && (text.starts_with("0x") || text.starts_with("0X"))) text.remove_prefix(2);
    const auto r = std::from_chars(text.data(), text.data() + text.size(), value, base);
    return !text.empty() && r.ec == std::errc{} && r.ptr == text.data() + text.size();
}

// "1,5,7" (and, with ranges, "0-3,8") into `out`.
bool parse_number_list(std::string_view text, std::vector<std::uint32_t>& out, bool ranges) {
    while (true) {
        const auto comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        const auto dash = ranges ? item.find('-') : std::string_view::npos;
        std::uint32_t first = 0, last = 0;
        if (dash == std::string_view::npos) {
            if (!parse_number(item, first)) return false;
            last = first;
        } else if (!parse_number(item.substr(0, dash), first) || !parse_number(item.substr(dash + 1), last) ||
                   last < first || last - first > 65536) {
            return false;
        }
        for (std::uint64_t v = first; v <= last; ++v) out.push_back(static_cast<std::uint32_t>(v));
        if (comma == std::string_view::npos) return true;
        text.remove_prefix(comma + 1);
    }
}

// "12.5" seconds into nanoseconds.
bool parse_seconds(std::string_view text, std::uint64_t& ns) {
    const auto dot = text.find('.');
    std::uint64_t seconds = 0;
    if (!parse_number(text.substr(0, dot), seconds) || seconds > 18000000000ull) return false;
    std::uint64_t fraction = 0;
    if (dot != std::string_view::npos) {
        std::string_view digits = text.substr(dot + 1);
        if (digits.empty() || digits.size() > 9 || !parse_number(digits, fraction)) return false;
        for (std::size_t i = digits.size(); i < 9; ++i) fraction *= 10;
    }
    ns = seconds * 1000000000ull + fraction;
    return true;
}

// "2026-12-01T15:44:02.5Z" (UTC; the Z may be left off) into nanoseconds since 1970.
bool parse_utc(std::string_view text, std::uint64_t& ns) {
    if (text.ends_with('Z')) text.remove_suffix(1);
    if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':') {
        return false;
    }
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!parse_number(text.substr(0, 4), year) || !parse_number(text.substr(5, 2), month) ||
        !parse_number(text.substr(8, 2), day) || !parse_number(text.substr(11, 2), hour) ||
        !parse_number(text.substr(14, 2), minute) || !parse_number(text.substr(17, 2), second) || month < 1 ||
        month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || year < 1970) {
        return false;
    }
    std::uint64_t fraction = 0;
    if (text.size() > 19) {
        if (text[19] != '.' || !parse_seconds(std::string("0") + std::string(text.substr(19)), fraction)) return false;
    }
    std::tm tm{};
    tm.tm_year = year - 1900, tm.tm_mon = month - 1, tm.tm_mday = day;
    tm.tm_hour = hour, tm.tm_min = minute, tm.tm_sec = second;
    const std::time_t t = timegm(&tm);
    if (t < 0) return false;
    ns = static_cast<std::uint64_t>(t) * 1000000000ull + fraction;
    return true;
}

// One side of --time: "", "12.5", "+1.5", "2026-12-01T15:44:02Z".
bool parse_time_bound(std::string_view text, bool& set, bool& relative, std::uint64_t& ns) {
    set = !text.empty();
    relative = text.starts_with('+');
    if (relative) text.remove_prefix(1);
    if (!set) return true;
    return parse_seconds(text, ns) || (!relative && parse_utc(text, ns));
}

bool matches_any(const std::vector<std::string>& patterns, const std::string& value) {
    if (patterns.empty()) return true;
    for (const auto& p : patterns) {
        if (fnmatch(p.c_str(), value.c_str(), 0) == 0) return true;
    }
    return false;
}

bool contains(const std::vector<std::uint32_t>& list, std::uint32_t value) {
    for (auto v : list) {
        if (v == value) return true;
    }
    return false;
}

constexpr std::string_view level_names[] = {"critical", "error", "warning", "info", "verbose"};

}  // namespace

bool sample_filter::is_option(std::string_view option) noexcept {
    for (const std::string_view o :
         {"--provider", "--event", "--comm", "--pid", "--tid", "--cpu", "--level", "--keyword", "--time"}) {
        if (o == option) return true;
    }
    return false;
}

std::string sample_filter::parse(std::string_view option, std::string_view value) {
    const std::string v(value);
    const auto bad = [&](const char* what) { return "bad " + std::string(option) + " '" + v + "': " + what; };
    if (option == "--provider" || option == "--event" || option == "--comm") {
        if (value.empty()) return bad("empty name");
        (option == "--provider" ? providers_ : option == "--event" ? events_ : comms_).push_back(v);
    } else if (option == "--pid" || option == "--tid") {
        if (!parse_number_list(value, option == "--pid" ? pids_ : tids_, false)) {
            return bad("expected a number or a comma-separated list of numbers");
        }
    } else if (option == "--cpu") {
        if (!parse_number_list(value, cpus_, true)) return bad("expected a CPU list such as 0,2-3");
    } else if (option == "--level") {
        int level = 0;
        for (std::size_t i = 0; i < std::size(level_names); ++i) {
            if (value == level_names[i]) level = static_cast<int>(i) + 1;
        }
        if (level == 0 && (!parse_number(value, level) || level < 1 || level > 255)) {
            return bad("expected 1..255 or critical, error, warning, info, verbose");
        }
        max_level_ = level;
    } else if (option == "--keyword") {
        std::uint64_t mask = 0;
        if (!parse_number(value, mask, 16) || mask == 0) return bad("expected a non-zero hex mask such as 0x10");
        keyword_mask_ |= mask;
    } else if (option == "--time") {
        const auto comma = value.find(',');
        if (comma == std::string_view::npos) return bad("expected START,END (either may be empty)");
        if (!parse_time_bound(value.substr(0, comma), start_.set, start_.relative, start_.ns) ||
            !parse_time_bound(value.substr(comma + 1), end_.set, end_.relative, end_.ns)) {
            return bad("a bound is seconds (12.5), +seconds after the first event, or 2026-12-01T15:44:02Z");
        }
        if (!start_.set && !end_.set) return bad("expected START,END (either may be empty)");
        if (start_.set && end_.set && start_.relative == end_.relative && end_.ns < start_.ns) {
            return bad("the end is before the start");
        }
    } else {
        return "unknown option " + std::string(option);
    }
    any_ = true;
    return std::string();
}

bool sample_filter::wanted(const decoded_sample& s) {
    const sample_meta& meta = s.meta;
    if (meta.has_time && !first_time_) first_time_ = meta.time_ns;
    if (!any_) return true;
    std::string provider, event;
    int level = -1;
    std::uint64_t keyword = 0;
    switch (s.kind) {
    case sample_kind::eventheader: {
        const event_info& e = s.enumerator->event();
        provider = e.name_parts.provider, event = e.name;
        level = e.header.level, keyword = e.name_parts.keyword;
        break;
    }
    case sample_kind::tracepoint: provider = s.format->system, event = s.format->name; break;
    case sample_kind::other: {
        const auto colon = s.name.find(':');
        if (colon == std::string_view::npos) event = s.name;
        else provider = s.name.substr(0, colon), event = s.name.substr(colon + 1);
        break;
    }
    }
    if (!matches_any(providers_, provider)) return false;
    if (!events_.empty()) {
        // A pattern with ':' is matched against what "n" shows, others against the event name.
        const std::string full = provider.empty() ? event : provider + ':' + event;
        bool found = false;
        for (const auto& p : events_) {
            found |= fnmatch(p.c_str(), (p.find(':') != std::string::npos ? full : event).c_str(), 0) == 0;
        }
        if (!found) return false;
    }
    if (max_level_ >= 0 && (level < 1 || level > max_level_)) return false;
    if (keyword_mask_ != 0 && (keyword & keyword_mask_) == 0) return false;
    if (!pids_.empty() && !(meta.has_tid && contains(pids_, meta.pid))) return false;
    if (!tids_.empty() && !(meta.has_tid && contains(tids_, meta.tid))) return false;
    if (!cpus_.empty() && !(meta.has_cpu && contains(cpus_, meta.cpu))) return false;
    if (!comms_.empty() && !matches_any(comms_, std::string(meta.comm))) return false;
    if (start_.set || end_.set) {
        if (!meta.has_time) return false;
        const auto bound = [&](const time_bound& b) { return b.relative ? *first_time_ + b.ns : b.ns; };
        if (start_.set && meta.time_ns < bound(start_)) return false;
        if (end_.set && meta.time_ns > bound(end_)) return false;
    }
    return true;
}

}  // namespace ehtrace_decode_tool
