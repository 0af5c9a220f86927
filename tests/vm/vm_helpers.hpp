// Helpers for the in-guest suites: tracefs files and a perf consumer that
// reads PERF_SAMPLE_RAW records of a tracepoint from mmap ring buffers.
// Header-only, used by every suite under tests/vm.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace vmtest {

inline constexpr char tracefs[] = "/sys/kernel/tracing";

inline std::string event_dir(const std::string& name, const char* system = "user_events") {
    return std::string(tracefs) + "/events/" + system + "/" + name;
}

inline bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// Returns 0 or an errno value.
inline int write_file(const std::string& path, const std::string& text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) return errno;
    ssize_t n = ::write(fd, text.data(), text.size());
    int error = n < 0 ? errno : 0;
    ::close(fd);
    return error;
}

inline std::string read_file(const std::string& path) {
    std::string text;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return text;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return text;
}

// Polls `done` for up to `timeout`; true once it holds.
inline bool wait_for(const std::function<bool()>& done,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

// The tracepoint id of a tracefs event, -1 if it has none.
inline long event_id(const std::string& name, const char* system = "user_events") {
    std::string text = read_file(event_dir(name, system) + "/id");
    return text.empty() ? -1 : std::stol(text);
}

// The byte offset of the tracepoint's first own field (after common_*).
inline int first_field_offset(const std::string& name, const char* system = "user_events") {
    std::string format = read_file(event_dir(name, system) + "/format");
    size_t pos = 0;
    while ((pos = format.find("field:", pos)) != std::string::npos) {
        size_t end = format.find(';', pos);
        std::string decl = format.substr(pos, end - pos);
        pos = end;
        if (decl.find("common_") != std::string::npos) continue;
        size_t off = format.find("offset:", pos);
        return off == std::string::npos ? -1 : std::stoi(format.substr(off + 7));
    }
    return -1;
}

// A perf consumer of one tracepoint: one event per online CPU (pid -1), each
// with its own ring buffer, sampling every hit with PERF_SAMPLE_RAW.
class perf_consumer {
public:
    perf_consumer() = default;
    perf_consumer(const perf_consumer&) = delete;
    perf_consumer& operator=(const perf_consumer&) = delete;
    ~perf_consumer() { close(); }

    // Returns 0 or an errno value. The events start disabled.
    int open(long tracepoint_id, size_t data_pages = 64) {
        long ncpu = ::sysconf(_SC_NPROCESSORS_ONLN);
        page_ = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
        data_size_ = data_pages * page_;
        for (int cpu = 0; cpu < ncpu; ++cpu) {
            perf_event_attr attr{};
            attr.size = sizeof attr;
            attr.type = PERF_TYPE_TRACEPOINT;
            attr.config = static_cast<std::uint64_t>(tracepoint_id);
            attr.sample_period = 1;
            attr.sample_type = PERF_SAMPLE_RAW;
            attr.wakeup_events = 1;
            attr.disabled = 1;
            int fd = static_cast<int>(::syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
            if (fd < 0) return errno;
            void* map = ::mmap(nullptr, page_ + data_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (map == MAP_FAILED) {
                int error = errno;
                ::close(fd);
                return error;
            }
            rings_.push_back({fd, static_cast<std::uint8_t*>(map)});
        }
        return 0;
    }

    int enable() { return for_each_fd(PERF_EVENT_IOC_ENABLE); }
    int disable() { return for_each_fd(PERF_EVENT_IOC_DISABLE); }

    void close() {
        for (auto& r : rings_) {
            ::munmap(r.map, page_ + data_size_);
            ::close(r.fd);
        }
        rings_.clear();
    }

    // Drains every ring: the raw data of each sample (common fields first).
    std::vector<std::vector<std::uint8_t>> take_samples() {
        std::vector<std::vector<std::uint8_t>> samples;
        for (auto& r : rings_) drain(r, samples);
        return samples;
    }

    // The same, one vector per CPU: samples of one CPU are in time order.
    std::vector<std::vector<std::vector<std::uint8_t>>> take_samples_per_cpu() {
        std::vector<std::vector<std::vector<std::uint8_t>>> per_cpu(rings_.size());
        for (size_t i = 0; i < rings_.size(); ++i) drain(rings_[i], per_cpu[i]);
        return per_cpu;
    }

    std::uint64_t lost() const { return lost_; }

private:
    struct ring {
        int fd;
        std::uint8_t* map;
    };

    int for_each_fd(unsigned long request) {
        for (auto& r : rings_) {
            if (::ioctl(r.fd, request, 0) != 0) return errno;
        }
        return 0;
    }

    void copy_out(const ring& r, std::uint64_t pos, void* dst, size_t len) const {
        const std::uint8_t* data = r.map + page_;
        auto* out = static_cast<std::uint8_t*>(dst);
        for (size_t i = 0; i < len; ++i) out[i] = data[(pos + i) % data_size_];
    }

    void drain(ring& r, std::vector<std::vector<std::uint8_t>>& samples) {
        auto* meta = reinterpret_cast<perf_event_mmap_page*>(r.map);
        std::uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
        std::uint64_t tail = meta->data_tail;
        while (tail < head) {
            perf_event_header h;
            copy_out(r, tail, &h, sizeof h);
            if (h.size < sizeof h) break;
            if (h.type == PERF_RECORD_SAMPLE) {
                std::uint32_t raw_size = 0;
                copy_out(r, tail + sizeof h, &raw_size, sizeof raw_size);
                std::vector<std::uint8_t> raw(raw_size);
                copy_out(r, tail + sizeof h + sizeof raw_size, raw.data(), raw_size);
                samples.push_back(std::move(raw));
            } else if (h.type == PERF_RECORD_LOST) {
                std::uint64_t lost[2];  // id, lost
                copy_out(r, tail + sizeof h, lost, sizeof lost);
                lost_ += lost[1];
            }
            tail += h.size;
        }
        __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
    }

    std::vector<ring> rings_;
    size_t page_ = 4096;
    size_t data_size_ = 0;
    std::uint64_t lost_ = 0;
};

// True when `raw` (a sample's raw data) carries `payload` at `offset`.
inline bool carries(const std::vector<std::uint8_t>& raw, size_t offset, const void* payload, size_t len) {
    return raw.size() >= offset + len && std::memcmp(raw.data() + offset, payload, len) == 0;
}

}  // namespace vmtest
