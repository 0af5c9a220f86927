// Diagnoses the system for tracing with ehtrace, for the current user:
// kernel version, user_events, tracefs, permissions, perf_event_paranoid.
// Each finding carries the exact fix. Used by ehtrace-doctor and
// `ehtrace-collect --check`.
#pragma once

#include <string>
#include <vector>

namespace ehtrace::collect {

struct finding {
    enum class level { ok, warning, problem };
    level severity = level::ok;
    std::string topic;    // "kernel", "tracefs", "user_events", "permissions", "perf"
    std::string message;  // what was found
    std::string fix;      // commands or steps; empty when nothing to do
};

struct doctor_options {
    std::string tracefs;  // --tracefs DIR; "" = find it
    std::string mounts_path = "/proc/mounts";
    std::string proc_dir = "/proc";  // for sys/kernel/perf_event_paranoid, config.gz
    std::string boot_dir = "/boot";  // for config-<release>
    std::string kernel_release;      // "" = uname -r
};

[[nodiscard]] std::vector<finding> diagnose(const doctor_options& options = {});

// "ok", "warning" or "problem" lines with indented fixes.
[[nodiscard]] std::string format_findings(const std::vector<finding>& findings);

// True when no finding is a problem.
[[nodiscard]] bool all_usable(const std::vector<finding>& findings);

}  // namespace ehtrace::collect
