// ehtrace-doctor: can this user trace with ehtrace here? Kernel version,
// user_events, tracefs, permissions, perf_event_paranoid — each with its fix.
#include <ehtrace/collect/doctor.hpp>

#include "tool_common.hpp"

#include <cstdio>
#include <string>

namespace {

constexpr char usage[] =
    "Usage: ehtrace-doctor [--tracefs DIR]\n"
    "Diagnoses the system for writing and collecting EventHeader tracepoints as the\n"
    "current user: kernel version, user_events, tracefs mount, permissions on the\n"
    "tracing directory and user_events_data, perf_event_paranoid. Every problem comes\n"
    "with the commands that fix it. Exit status 0 when nothing blocks tracing.\n"
    "\n"
    "  --tracefs DIR    tracefs mounted at DIR instead of /sys/kernel/tracing\n"
    "  -h, --help       show this help\n"
    "  --version        show the version\n";

}  // namespace

int main(int argc, char** argv) {
    ehtrace::collect::doctor_options options;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (ehtrace_tools::answered_help_or_version(a, "ehtrace-doctor", usage)) return 0;
        if (a == "--tracefs" && i + 1 < argc) {
            options.tracefs = argv[++i];
        } else if (a == "--tracefs") {
            return ehtrace_tools::usage_error("ehtrace-doctor", "--tracefs needs a value");
        } else {
            return ehtrace_tools::usage_error("ehtrace-doctor", "unexpected argument '" + a + "'");
        }
    }
    const auto findings = ehtrace::collect::diagnose(options);
    std::fputs(ehtrace::collect::format_findings(findings).c_str(), stdout);
    return ehtrace::collect::all_usable(findings) ? 0 : 1;
}
