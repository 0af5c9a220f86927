// ehtrace-decode's progress line on stderr: bytes read (of the total, for a
// regular file), events, events per second; redrawn at most 4 times a second
// and erased at the end.
#pragma once

#include <sys/stat.h>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ehtrace_decode_tool {

class progress {
public:
    explicit progress(bool enabled) : enabled_(enabled) {}
    ~progress() { finish(); }

    void begin_input(const std::string& path) {
        struct stat st {};
        total_ = (path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
                     ? static_cast<std::uint64_t>(st.st_size)
                     : 0;
        name_ = path;
    }
    // After each event; `offset`: bytes of the input read so far.
    void event(std::uint64_t offset) {
        ++events_;
        if (!enabled_ || (events_ & 1023) != 0) return;
        const auto now = clock::now();
        if (now - last_ < std::chrono::milliseconds(250)) return;
        last_ = now;
        const double seconds = std::chrono::duration<double>(now - start_).count();
        const double mib = 1024.0 * 1024.0;
        if (total_ != 0) {
            std::fprintf(stderr, "\r%s: %.1f/%.1f MiB (%.0f%%), %llu events, %.0f events/s\033[K", name_.c_str(),
                         static_cast<double>(offset) / mib, static_cast<double>(total_) / mib,
                         100.0 * static_cast<double>(offset) / static_cast<double>(total_),
                         static_cast<unsigned long long>(events_), static_cast<double>(events_) / seconds);
        } else {
            std::fprintf(stderr, "\r%s: %.1f MiB, %llu events, %.0f events/s\033[K", name_.c_str(),
                         static_cast<double>(offset) / mib, static_cast<unsigned long long>(events_),
                         static_cast<double>(events_) / seconds);
        }
        shown_ = true;
    }
    // Erases the line (before other messages and at the end).
    void finish() {
        if (shown_) std::fputs("\r\033[K", stderr);
        shown_ = false;
    }

private:
    using clock = std::chrono::steady_clock;
    bool enabled_;
    bool shown_ = false;
    std::uint64_t total_ = 0, events_ = 0;
    std::string name_;
    clock::time_point start_ = clock::now(), last_{};  // the first redraw comes at once
};

}  // namespace ehtrace_decode_tool
