// user_events command text, shared by tracepoint registration (writer
// library) and the collector's registrar. No global state, so the collector
// can contain it without the writer library's sinks. Internal.
#pragma once

#include <string_view>

namespace ehtrace::detail {

// Without leading and trailing blanks (space, tab, newline).
std::string_view trim_command(std::string_view s) noexcept;
// The name part of a command, or "" when the command is malformed (bad
// name, over max_command_length).
std::string_view command_name(std::string_view command) noexcept;

}  // namespace ehtrace::detail
