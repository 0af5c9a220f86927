#include <ehtrace/collect/doctor.hpp>

#include <ehtrace/collect/tracefs_cache.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace ehtrace::collect {
namespace {

using level = finding::level;

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// "6.12.3-foo" -> {6, 12}; {0, 0} when unreadable.
std::pair<int, int> kernel_version(const std::string& release) {
    int major = 0, minor = 0;
    if (std::sscanf(release.c_str(), "%d.%d", &major, &minor) != 2) return {0, 0};
    return {major, minor};
}

bool at_least(std::pair<int, int> v, int major, int minor) {
    return v.first > major || (v.first == major && v.second >= minor);
}

// "y", "m", "n" (explicitly not set) or "" (no config found) for
// CONFIG_USER_EVENTS, from /proc/config.gz or /boot/config-<release>.
std::string config_user_events(const doctor_options& o, const std::string& release, std::string& source) {
    std::string text;
    const std::string gz = o.proc_dir + "/config.gz";
    if (::access(gz.c_str(), R_OK) == 0) {
        // No zlib dependency for one file: gzip is on every system that has config.gz.
        const std::string command = "gzip -dc '" + gz + "' 2>/dev/null";
        if (std::FILE* p = ::popen(command.c_str(), "r")) {
            char buffer[8192];
            std::size_t n = 0;
            while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0) text.append(buffer, n);
            ::pclose(p);
        }
        if (!text.empty()) source = gz;
    }
    if (text.empty()) {
        const std::string path = o.boot_dir + "/config-" + release;
        if (read_text_file(path, text) == 0) source = path;
    }
    if (source.empty()) return "";
    if (text.find("\nCONFIG_USER_EVENTS=y") != std::string::npos) return "y";
    if (text.find("\nCONFIG_USER_EVENTS=m") != std::string::npos) return "m";
    return "n";
}

std::string mode_text(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return "";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "mode %04o, uid %u, gid %u", static_cast<unsigned>(st.st_mode & 07777),
                  static_cast<unsigned>(st.st_uid), static_cast<unsigned>(st.st_gid));
    return buffer;
}

}  // namespace

std::vector<finding> diagnose(const doctor_options& o) {
    std::vector<finding> out;
    auto add = [&](level severity, const char* topic, std::string message, std::string fix = {}) {
        out.push_back({severity, topic, std::move(message), std::move(fix)});
    };
    const bool root = ::geteuid() == 0;

    // Kernel.
    std::string release = o.kernel_release;
    if (release.empty()) {
        utsname uts{};
        if (uname(&uts) == 0) release = uts.release;
    }
    const auto version = kernel_version(release);
    if (version.first == 0) {
        add(level::warning, "kernel", "kernel version unknown (" + release + ")");
    } else if (!at_least(version, 6, 4)) {
        add(level::problem, "kernel",
            "Linux " + release + ": user_events needs Linux 6.4 or later (the interface before 6.4 is different)",
            "boot a Linux 6.4+ kernel built with CONFIG_USER_EVENTS=y");
    } else {
        std::string note = "Linux " + release;
        if (!at_least(version, 6, 7)) note += " (ehtrace-register --persist needs 6.7+)";
        else if (!at_least(version, 6, 9)) note += " (multi-format user_events need 6.9+)";
        add(level::ok, "kernel", note);
    }

    // tracefs.
    const auto where = locate_tracefs(o.tracefs, o.mounts_path.c_str());
    if (where.dir.empty()) {
        std::string fix;
        if (!where.denied_dir.empty()) {
            // Mounted: mounting again would not help; permissions would.
            const std::string& d = where.denied_dir;
            fix =
                "# as root, open tracefs to a group and add this user to it:\n"
                "groupadd -f tracing && usermod -aG tracing $USER   # then log in again\n"
                "chgrp -R tracing " +
                d + " && chmod g+rx " + d + " && chmod -R g+rX " + d +
                "/events\n"
                "# tracefs forgets this at reboot: run it from a boot script (docs/troubleshooting.md)\n"
                "# or run the tools as root";
        } else if (o.tracefs.empty()) {
            fix = std::string(tracefs_mount_command) + "\n# every boot: add to /etc/fstab\n" + tracefs_fstab_line;
        } else {
            fix = "mount -t tracefs nodev " + o.tracefs + "\n# or omit --tracefs to use /sys/kernel/tracing";
        }
        const std::string problem =
            where.denied_dir.empty()
                ? where.problem
                : "tracefs is mounted at " + where.denied_dir + " but this user may not enter it (Permission denied)";
        add(level::problem, "tracefs", problem, fix);
    } else {
        add(level::ok, "tracefs", "tracefs at " + where.dir);
    }

    // user_events.
    const std::string dir = where.dir;
    const std::string data = dir + "/user_events_data";
    bool user_events = false;
    if (!dir.empty()) {
        user_events = ::access(data.c_str(), F_OK) == 0;
        if (user_events) {
            add(level::ok, "user_events", data + " exists");
        } else {
            std::string source;
            const std::string config = config_user_events(o, release, source);
            std::string message = "user_events is missing: no " + data;
            if (config == "n") message += "; the kernel config (" + source + ") does not set CONFIG_USER_EVENTS";
            else if (config == "y") message += " although " + source + " sets CONFIG_USER_EVENTS=y (another tracefs?)";
            else message += "; the kernel was probably built without CONFIG_USER_EVENTS";
            add(level::problem, "user_events", message,
                "use a Linux 6.4+ kernel built with CONFIG_USER_EVENTS=y (Kernel hacking > Tracers > "
                "\"User trace events\"; it selects TRACING and DYNAMIC_EVENTS)\n"
                "# meanwhile EHTRACE_CAPTURE=events.data ./program records the events without the kernel");
        }
    }

    // Permissions for this user.
    if (!dir.empty()) {
        if (::access(dir.c_str(), X_OK) != 0) {
            add(level::problem, "permissions", "this user may not enter " + dir + " (" + mode_text(dir) + ")",
                "groupadd -f tracing && usermod -aG tracing $USER   # then log in again\n"
                "chgrp tracing " +
                    dir + " && chmod g+x " + dir);
        } else {
            add(level::ok, "permissions", "may enter " + dir);
        }
        if (user_events) {
            if (::access(data.c_str(), W_OK) != 0) {
                add(level::problem, "permissions",
                    "this user may not write " + data + " (" + mode_text(data) + "): programs cannot register events",
                    "groupadd -f tracing && usermod -aG tracing $USER   # then log in again\n"
                    "chgrp tracing " +
                        dir + " " + data + " && chmod g+x " + dir + " && chmod g+w " + data +
                        "\n# tracefs forgets this at reboot: run it from a boot script or systemd unit");
            } else {
                add(level::ok, "permissions", "may write " + data);
            }
        }
        const std::string events = dir + "/events";
        if (::access(events.c_str(), R_OK | X_OK) != 0) {
            add(level::problem, "permissions", "this user may not read " + events + ": collecting needs the formats",
                "run the collector as root, or `chgrp -R tracing " + events + " && chmod -R g+rX " + events + "`");
        }
    }

    // perf_event_paranoid.
    std::string paranoid_text;
    if (read_text_file(o.proc_dir + "/sys/kernel/perf_event_paranoid", paranoid_text) == 0) {
        const int paranoid = std::atoi(trimmed(paranoid_text).c_str());
        const std::string message = "kernel.perf_event_paranoid = " + std::to_string(paranoid);
        if (root) {
            add(level::ok, "perf", message + " (root may collect system-wide)");
        } else if (paranoid > -1) {
            add(level::warning, "perf",
                message + ": this user may not collect tracepoints system-wide (needs -1 or CAP_PERFMON)",
                "sysctl -w kernel.perf_event_paranoid=-1\n"
                "echo kernel.perf_event_paranoid=-1 > /etc/sysctl.d/90-ehtrace.conf   # every boot\n"
                "# or: setcap cap_perfmon+ep $(command -v ehtrace-collect)");
        } else {
            add(level::ok, "perf", message);
        }
    } else {
        add(level::problem, "perf", "no " + o.proc_dir + "/sys/kernel/perf_event_paranoid: kernel without perf events",
            "use a kernel built with CONFIG_PERF_EVENTS=y");
    }
    return out;
}

std::string format_findings(const std::vector<finding>& findings) {
    std::string out;
    for (const auto& f : findings) {
        const char* tag = f.severity == level::ok ? "ok     " : f.severity == level::warning ? "warning" : "problem";
        out += tag;
        out += "  ";
        out += f.topic;
        out += ": ";
        out += f.message;
        out += '\n';
        if (!f.fix.empty()) {
            out += "         fix:\n";
            std::size_t start = 0;
            while (start <= f.fix.size()) {
                const auto end = f.fix.find('\n', start);
                out += "           " + f.fix.substr(start, end == std::string::npos ? std::string::npos : end - start) +
                       "\n";
                if (end == std::string::npos) break;
                start = end + 1;
            }
        }
    }
    return out;
}

bool all_usable(const std::vector<finding>& findings) {
    for (const auto& f : findings) {
        if (f.severity == finding::level::problem) return false;
    }
    return true;
}

}  // namespace ehtrace::collect
