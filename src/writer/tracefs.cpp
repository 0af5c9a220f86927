#include <ehtrace/tracefs.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ehtrace {
namespace {

// /proc/mounts escapes space, tab, newline and backslash as \ooo.
std::string unescape_mount_path(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    auto octal = [](char c) { return c >= '0' && c <= '7'; };
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size() && octal(text[i + 1]) && octal(text[i + 2]) && octal(text[i + 3])) {
            out += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0'));
            i += 3;
            continue;
        }
        out += text[i];
    }
    return out;
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::string read_file(const char* path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

std::optional<std::string> find_tracefs_in_mounts(std::string_view mounts_text) {
    std::optional<std::string> debugfs_tracing;
    while (!mounts_text.empty()) {
        auto eol = mounts_text.find('\n');
        std::string_view line = mounts_text.substr(0, eol);
        mounts_text.remove_prefix(eol == std::string_view::npos ? mounts_text.size() : eol + 1);

        // device mountpoint fstype options dump pass
        std::string_view fields[3];
        for (auto& field : fields) {
            while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
            auto end = line.find(' ');
            field = line.substr(0, end);
            line.remove_prefix(end == std::string_view::npos ? line.size() : end);
        }
        if (fields[2] == "tracefs") return unescape_mount_path(fields[1]);
        if (fields[2] == "debugfs" && !debugfs_tracing) {
            debugfs_tracing = unescape_mount_path(fields[1]) + "/tracing";
        }
    }
    return debugfs_tracing;
}

std::optional<std::string> find_tracefs(const char* mounts_path) {
    // Auto-mounted tracefs may not appear in /proc/mounts until touched.
    if (exists(std::string(default_tracefs_dir) + "/events")) return std::string(default_tracefs_dir);
    auto found = find_tracefs_in_mounts(read_file(mounts_path));
    if (found && is_directory(*found)) return found;
    return std::nullopt;
}

user_events_probe open_user_events_data(const char* default_path, const char* mounts_path) {
    user_events_probe probe;
    probe.path = default_path;
    probe.fd = ::open(default_path, O_WRONLY | O_CLOEXEC);
    if (probe.fd >= 0) {
        auto slash = probe.path.rfind('/');
        probe.tracefs = probe.path.substr(0, slash);
        return probe;
    }
    probe.error = errno;

    auto tracefs = find_tracefs_in_mounts(read_file(mounts_path));
    if (!tracefs) {
        // Auto-mounted tracefs need not be listed; a directory we may not
        // enter (EACCES) is still a mounted one.
        std::string default_dir(default_path);
        default_dir.resize(default_dir.rfind('/'));
        if (is_directory(default_dir) && (probe.error == EACCES || exists(default_dir + "/events")))
            probe.tracefs = default_dir;
        return probe;
    }
    probe.tracefs = *tracefs;
    std::string candidate = *tracefs + "/user_events_data";
    if (candidate == probe.path) return probe;
    probe.path = candidate;
    probe.fd = ::open(candidate.c_str(), O_WRONLY | O_CLOEXEC);
    probe.error = probe.fd >= 0 ? 0 : errno;
    return probe;
}

std::string user_events_probe::explain() const {
    if (fd >= 0) return "user_events is available: " + path + " is open for writing";
    if (tracefs.empty()) {
        return "no tracefs is mounted (looked at " + path +
               " and /proc/mounts): mount it with `mount -t tracefs nodev /sys/kernel/tracing`";
    }
    if (error == ENOENT) {
        return "tracefs mounted at " + tracefs +
               " but user_events_data is missing: kernel built without CONFIG_USER_EVENTS "
               "(needs Linux 6.4 or later)";
    }
    if ((error == EACCES || error == EPERM) && ::access(tracefs.c_str(), X_OK) != 0) {
        return tracefs + " is not accessible to this user (" + std::strerror(error) +
               "), so whether the kernel has user_events cannot be seen: run as root, or let a group in with "
               "`chgrp tracing " +
               tracefs + " " + path + " && chmod g+x " + tracefs + " && chmod g+w " + path + "`";
    }
    if (error == EACCES || error == EPERM) {
        return path + " exists but this user may not write it (" + std::strerror(error) +
               "): grant write access, e.g. `chgrp tracing " + path + " && chmod g+w " + path + "` and `chmod g+x " +
               tracefs + "`";
    }
    return "opening " + path + " for writing failed: " + std::strerror(error);
}

}  // namespace ehtrace
