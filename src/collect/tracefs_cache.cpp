#include <ehtrace/collect/tracefs_cache.hpp>

#include <ehtrace/tracefs.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ehtrace::collect {
namespace {

bool is_dir(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> list_dirs(const std::string& path) {
    std::vector<std::string> names;
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return names;
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        if (e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN && is_dir(path + "/" + name))) {
            names.push_back(std::move(name));
        }
    }
    ::closedir(d);
    return names;
}

}  // namespace

int read_text_file(const std::string& path, std::string& out) {
    out.clear();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int error = errno;
            ::close(fd);
            return error;
        }
        if (n == 0) break;
        out.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return 0;
}

bool split_tracepoint_spec(std::string_view spec, std::string_view& system, std::string_view& name) {
    const auto colon = spec.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == spec.size()) return false;
    system = spec.substr(0, colon);
    name = spec.substr(colon + 1);
    return name.find(':') == std::string_view::npos && name.find('/') == std::string_view::npos &&
           system.find('/') == std::string_view::npos && system != "." && system != ".." && name != "." && name != "..";
}

bool has_glob(std::string_view text) noexcept { return text.find_first_of("*?[") != std::string_view::npos; }

tracefs_location locate_tracefs(std::string_view explicit_dir, const char* mounts_path) {
    tracefs_location where;
    if (!explicit_dir.empty()) {
        std::string dir(explicit_dir);
        while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
        if (!is_dir(dir)) {
            where.problem = "tracefs directory " + dir +
                            " does not exist: give the directory where tracefs is "
                            "mounted (--tracefs), or mount it there with `mount -t tracefs nodev " +
                            dir + "`";
        } else if (::access((dir + "/events").c_str(), X_OK) != 0 && errno == EACCES) {
            where.problem = dir + " is not accessible to this user (" + std::strerror(EACCES) + ")";
            where.denied_dir = std::move(dir);
        } else if (!is_dir(dir + "/events")) {
            where.problem = dir +
                            " is not a tracefs mount (it has no events/ directory): mount tracefs there with "
                            "`mount -t tracefs nodev " +
                            dir + "`";
        } else {
            where.dir = std::move(dir);
        }
        return where;
    }
    if (auto found = find_tracefs(mounts_path); found && is_dir(*found + "/events")) {
        where.dir = *found;
        return where;
    }
    // Mounted, but closed to this user (tracefs is root-only by default).
    const auto mounted = find_tracefs(mounts_path);
    const std::string closed = mounted && is_dir(*mounted)   ? *mounted
                               : is_dir(default_tracefs_dir) ? std::string(default_tracefs_dir)
                                                             : std::string();
    if (!closed.empty() && ::access((closed + "/events").c_str(), X_OK) != 0 && errno == EACCES) {
        where.problem = closed + " is not accessible to this user (" + std::strerror(EACCES) +
                        "): run as root, or open it to a group, e.g. `groupadd -f tracing && chgrp -R tracing " +
                        closed + " && chmod -R g+rX " + closed + "` and add the user to the group";
        where.denied_dir = closed;
        return where;
    }
    where.problem = std::string(
                        "tracefs is not mounted (no /sys/kernel/tracing/events and none in /proc/mounts): "
                        "mount it with `") +
                    tracefs_mount_command + "`, or for every boot add `" + tracefs_fstab_line + "` to /etc/fstab";
    return where;
}

const tracepoint_meta* tracefs_cache::lookup(std::string_view system, std::string_view name, int* error) {
    std::string key = std::string(system) + ":" + std::string(name);
    if (auto it = entries_.find(key); it != entries_.end()) {
        if (error) *error = 0;
        return it->second.get();
    }
    const auto fail = [&](int e) -> const tracepoint_meta* {
        if (error) *error = e;
        return nullptr;
    };
    std::string_view s, n;
    if (!split_tracepoint_spec(key, s, n)) return fail(EINVAL);
    const std::string base = dir_ + "/events/" + std::string(system) + "/" + std::string(name);
    auto entry = std::make_unique<tracepoint_meta>();
    entry->system = std::string(system);
    entry->name = std::string(name);
    std::string id_text;
    if (int e = read_text_file(base + "/id", id_text)) {
        return fail(e == ENOTDIR ? ENOENT : e);
    }
    if (int e = read_text_file(base + "/format", entry->format)) return fail(e);
    std::uint64_t id = 0;
    bool digits = false;
    for (char c : id_text) {
        if (c >= '0' && c <= '9') {
            id = id * 10 + static_cast<std::uint64_t>(c - '0');
            digits = true;
            if (id > 0xFFFFFFFFu) return fail(EINVAL);
        } else if (c != '\n' && c != ' ') {
            return fail(EINVAL);
        }
    }
    if (!digits || entry->format.find("format:") == std::string::npos) return fail(EINVAL);
    entry->id = static_cast<std::uint32_t>(id);
    const auto* result = entry.get();
    entries_.emplace(std::move(key), std::move(entry));
    if (error) *error = 0;
    return result;
}

void tracefs_cache::forget(std::string_view system, std::string_view name) {
    entries_.erase(std::string(system) + ":" + std::string(name));
}

std::vector<std::string> tracefs_cache::match(std::string_view pattern) const {
    std::vector<std::string> out;
    std::string_view system, name;
    if (!split_tracepoint_spec(pattern, system, name)) return out;
    const std::string sys_pattern(system), name_pattern(name);
    const std::string events = dir_ + "/events";
    for (const auto& s : list_dirs(events)) {
        if (::fnmatch(sys_pattern.c_str(), s.c_str(), 0) != 0) continue;
        for (const auto& n : list_dirs(events + "/" + s)) {
            if (::fnmatch(name_pattern.c_str(), n.c_str(), 0) != 0) continue;
            if (::access((events + "/" + s + "/" + n + "/id").c_str(), F_OK) != 0) continue;
            out.push_back(s + ":" + n);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string tracefs_cache::explain(std::string_view spec, int error) const {
    const std::string s(spec);
    std::string_view system, name;
    if (!split_tracepoint_spec(spec, system, name)) {
        return "'" + s +
               "' is not a tracepoint: write it as system:name (e.g. sched:sched_switch, "
               "user_events:MyProvider_L4K1)";
    }
    const std::string base = dir_ + "/events/" + std::string(system) + "/" + std::string(name);
    switch (error) {
    case ENOENT: {
        std::string text = "tracepoint " + s + " does not exist (no " + base + ")";
        if (system == "user_events" || system == "user_events_multi") {
            if (::access((dir_ + "/user_events_data").c_str(), F_OK) != 0) {
                text += "; this kernel has no user_events (built without CONFIG_USER_EVENTS, needs Linux 6.4+)";
            } else {
                text +=
                    "; it appears once a program registers it: pre-register it by giving its name without "
                    "a system (e.g. `ehtrace-collect " +
                    std::string(name) + "`) or with ehtrace-register";
            }
        } else {
            text += "; list the existing ones with `ls " + dir_ + "/events/" + std::string(system) + "`";
        }
        return text;
    }
    case EACCES:
    case EPERM:
        return "not permitted to read " + base + " (" + std::strerror(error) +
               "): run as root, or grant access to the tracing directory (see ehtrace-doctor)";
    case EINVAL: return "tracepoint " + s + ": " + base + " has no usable id/format";
    default: return "tracepoint " + s + ": reading " + base + " failed: " + std::strerror(error);
    }
}

}  // namespace ehtrace::collect
