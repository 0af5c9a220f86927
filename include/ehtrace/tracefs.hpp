// Finding tracefs and user_events_data. Shared by the writer (to open
// user_events_data) and the tools (to read formats, enable tracepoints).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ehtrace {

inline constexpr char default_tracefs_dir[] = "/sys/kernel/tracing";

// The tracing directory named by a /proc/mounts text: a tracefs mount is
// preferred; else a debugfs mount's "tracing" subdirectory. Octal escapes in
// mount points (\040 for a space) are decoded.
std::optional<std::string> find_tracefs_in_mounts(std::string_view mounts_text);

// The tracing directory of this system: /sys/kernel/tracing if it holds
// tracefs files, else what `mounts_path` (normally /proc/mounts) names.
std::optional<std::string> find_tracefs(const char* mounts_path = "/proc/mounts");

// The outcome of looking for and opening user_events_data for writing.
struct user_events_probe {
    int fd = -1;          // open, write-only, close-on-exec; -1 on failure
    int error = 0;        // errno value when fd == -1
    std::string tracefs;  // tracing directory found, "" if none
    std::string path;     // user_events_data path tried last
    // One sentence: why it works or why not, with the fix.
    std::string explain() const;
};

// Opens user_events_data: `default_path` first (containers often project
// only that file), then <tracefs from mounts_path>/user_events_data.
user_events_probe open_user_events_data(const char* default_path = "/sys/kernel/tracing/user_events_data",
                                        const char* mounts_path = "/proc/mounts");

}  // namespace ehtrace
