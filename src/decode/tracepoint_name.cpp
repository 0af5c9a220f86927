#include <ehtrace/decode/tracepoint_name.hpp>

namespace ehtrace::decode {

bool parse_tracepoint_name(std::string_view name, tracepoint_name_parts& out) noexcept {
    return split_tracepoint_name(name, out);
}

std::string_view find_option(std::string_view options, char letter) noexcept {
    return tracepoint_name_option(options, letter);
}

std::string_view strip_tracepoint_system(std::string_view name) noexcept {
    constexpr std::string_view single = "user_events:";
    constexpr std::string_view multi = "user_events_multi:";
    if (name.starts_with(single)) return name.substr(single.size());
    if (name.starts_with(multi)) {
        name.remove_prefix(multi.size());
        const auto dot = name.rfind('.');
        if (dot != std::string_view::npos) name = name.substr(0, dot);
    }
    return name;
}

}  // namespace ehtrace::decode
