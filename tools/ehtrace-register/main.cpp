// ehtrace-register: makes user_events tracepoints exist before the programs
// that write them start (so collectors can enable them), keeps them until
// interrupted or, with --persist, for good; --delete removes unused ones.
#include <ehtrace/collect/registrar.hpp>
#include <ehtrace/collect/tracefs_cache.hpp>
#include <ehtrace/wire/user_events.hpp>

#include "stop_signals.hpp"
#include "tool_common.hpp"
#include "tracepoint_list.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

using namespace ehtrace::collect;

constexpr char usage[] =
    "Usage: ehtrace-register [options] NAME-or-COMMAND... | -f FILE\n"
    "Registers user_events tracepoints so they exist (and can be enabled) before the\n"
    "programs that write them start.\n"
    "\n"
    "  NAME      an EventHeader tracepoint name, e.g. MyProvider_L4K1 (the EventHeader\n"
    "            field list is added)\n"
    "  COMMAND   a whole user_events command, e.g. \"my_tp u32 count; char[16] who\"\n"
    "\n"
    "Options:\n"
    "  -f FILE          read names/commands from FILE, one per line ('#' comments)\n"
    "  --persist        keep them registered after this program exits (Linux 6.7+,\n"
    "                   CAP_PERFMON); without it they stay until SIGINT/SIGTERM\n"
    "  --delete         delete the named tracepoints (only unused ones can go)\n"
    "  --tracefs DIR    tracefs mounted at DIR instead of /sys/kernel/tracing\n"
    "  -h, --help       show this help\n"
    "  --version        show the version\n";

int fail(const std::string& message, int status = 1) {
    std::fprintf(stderr, "ehtrace-register: %s\n", message.c_str());
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    bool persist = false, remove = false;
    std::string tracefs;
    std::vector<std::string> items;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (ehtrace_tools::answered_help_or_version(a, "ehtrace-register", usage)) return 0;
        if (a == "--persist") {
            persist = true;
        } else if (a == "--delete") {
            remove = true;
        } else if ((a == "--tracefs" || a == "-f") && i + 1 < argc) {
            const std::string value = argv[++i];
            if (a == "--tracefs") {
                tracefs = value;
            } else {
                std::string error;
                if (!ehtrace_tools::read_list(value, items, error)) return fail(error);
            }
        } else if (a == "--tracefs" || a == "-f") {
            return ehtrace_tools::usage_error("ehtrace-register", a + " needs a value");
        } else if (a.size() > 1 && a[0] == '-') {
            return ehtrace_tools::usage_error("ehtrace-register", "unknown option " + a);
        } else {
            items.push_back(a);
        }
    }
    if (items.empty()) return ehtrace_tools::usage_error("ehtrace-register", "nothing to register");
    if (persist && remove)
        return ehtrace_tools::usage_error("ehtrace-register", "--persist and --delete do not go together");

    // Check every item before touching the kernel.
    if (!remove) {
        for (const auto& item : items) {
            std::string why;
            if (registration_command(item, &why).empty()) return fail(why, 2);
        }
    }
    const auto where = locate_tracefs(tracefs);
    if (where.dir.empty()) return fail(where.problem);
    registrar reg(where.dir);
    if (std::string why; reg.open(&why) != 0) return fail(why);

    if (remove) {
        int status = 0;
        for (const auto& item : items) {
            std::string message;
            const int e = reg.remove(command_name(item), &message);
            std::fprintf(e ? stderr : stdout, "%s%s\n", e ? "ehtrace-register: " : "", message.c_str());
            if (e) status = 1;
        }
        return status;
    }

    bool persistent = persist;
    for (const auto& item : items) {
        std::string message;
        int e = reg.add(item, persistent ? ehtrace::abi::reg_flag_persist : 0, &message);
        if (e == EINVAL && persistent) {
            std::fprintf(stderr,
                         "ehtrace-register: this kernel refuses PERSIST (it needs Linux 6.7+): registering without "
                         "it; the tracepoints stay until this program is stopped\n");
            persistent = false;
            e = reg.add(item, 0, &message);
        } else if ((e == EPERM || e == EACCES) && persistent) {
            return fail(message + "; run as root or with CAP_PERFMON, or drop --persist");
        }
        if (e != 0) return fail(message);
        std::printf("%s\n", message.c_str());
    }
    std::fflush(stdout);
    if (persistent) return 0;

    ehtrace_tools::stop_signals signals;
    std::fprintf(stderr, "ehtrace-register: %zu tracepoint%s registered; Ctrl-C to remove them\n", items.size(),
                 items.size() == 1 ? "" : "s");
    while (!signals.stop_requested()) ::pause();
    return 0;
}
