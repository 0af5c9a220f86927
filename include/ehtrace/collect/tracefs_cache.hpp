// Where tracefs is, and what it says about tracepoints: the `format` and `id`
// of events/<system>/<name>/, read once and cached, and glob matching over
// the events/ directories ("user_events:MyProvider_*").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ehtrace::collect {

// One tracepoint as tracefs describes it.
struct tracepoint_meta {
    std::string system;  // "sched", "user_events", "user_events_multi"
    std::string name;    // "sched_switch", "MyProvider_L4K1", "Name.1a"
    std::uint32_t id = 0;
    std::string format;  // the whole tracefs format text
    [[nodiscard]] std::string full_name() const { return system + ":" + name; }
};

// Splits "system:name". False when there is no ':' or a side is empty.
[[nodiscard]] bool split_tracepoint_spec(std::string_view spec, std::string_view& system, std::string_view& name);

// True when the text has glob characters (*, ?, [).
[[nodiscard]] bool has_glob(std::string_view text) noexcept;

// The tracing directory to use: `explicit_dir` when given (it must hold an
// events/ directory), else the system's (ehtrace::find_tracefs). On failure
// `dir` is empty and `problem` is one sentence with the fix.
struct tracefs_location {
    std::string dir;
    std::string problem;
    // Set with a problem: tracefs is there but this user may not enter it
    // (it is root-only by default): a question of permissions, not of mounting.
    std::string denied_dir;
};
[[nodiscard]] tracefs_location locate_tracefs(std::string_view explicit_dir = {},
                                              const char* mounts_path = "/proc/mounts");

// The lines users need when tracefs is missing.
inline constexpr char tracefs_mount_command[] = "mount -t tracefs nodev /sys/kernel/tracing";
inline constexpr char tracefs_fstab_line[] = "tracefs /sys/kernel/tracing tracefs defaults 0 0";

class tracefs_cache {
public:
    explicit tracefs_cache(std::string dir) : dir_(std::move(dir)) {}
    [[nodiscard]] const std::string& dir() const noexcept { return dir_; }

    // events/<system>/<name>/{format,id}, read on first use. nullptr on
    // failure with an errno value in *error (ENOENT: no such tracepoint,
    // EACCES: not permitted, EINVAL: unreadable format).
    const tracepoint_meta* lookup(std::string_view system, std::string_view name, int* error = nullptr);
    // Drops a cached entry (a user_events tracepoint deleted and registered
    // again gets a new id).
    void forget(std::string_view system, std::string_view name);

    // Existing tracepoints "system:name" whose system and name match the two
    // glob halves of `pattern` (fnmatch), sorted. Empty when none match.
    [[nodiscard]] std::vector<std::string> match(std::string_view pattern) const;

    // The sentence for a lookup failure of `spec` with `error`.
    [[nodiscard]] std::string explain(std::string_view spec, int error) const;

private:
    std::string dir_;
    std::map<std::string, std::unique_ptr<tracepoint_meta>, std::less<>> entries_;
};

// Reads a small text file whole. Returns 0 or an errno value.
int read_text_file(const std::string& path, std::string& out);

}  // namespace ehtrace::collect
