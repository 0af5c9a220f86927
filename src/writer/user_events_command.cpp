#include "user_events_command.hpp"

#include <ehtrace/tracepoint.hpp>
#include <ehtrace/wire/eventheader.hpp>
#include <ehtrace/wire/tracepoint_name.hpp>

#include <algorithm>

namespace ehtrace {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

}  // namespace

std::string_view detail::trim_command(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string_view detail::command_name(std::string_view command) noexcept {
    std::string_view name = command.substr(0, std::min(command.size(), command.find_first_of(" \t\n")));
    return is_user_events_name(name) && command.size() <= max_command_length ? name : std::string_view();
}

std::string make_command(std::string_view name, std::string_view fields) {
    if (!is_user_events_name(name)) return {};
    std::string command(name);
    bool first = true;
    while (!fields.empty()) {
        auto end = fields.find(';');
        std::string_view field = detail::trim_command(fields.substr(0, end));
        fields.remove_prefix(end == std::string_view::npos ? fields.size() : end + 1);
        if (field.empty()) continue;
        command += first ? " " : "; ";
        // Collapse runs of blanks inside a field ("u32   a" -> "u32 a").
        bool blank = false;
        for (char c : field) {
            if (is_space(c)) {
                blank = true;
                continue;
            }
            if (blank) command += ' ';
            blank = false;
            command += c;
        }
        first = false;
    }
    if (command.size() > max_command_length) return {};
    return command;
}

}  // namespace ehtrace
