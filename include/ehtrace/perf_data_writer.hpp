// Writes perf.data files (the seekable layout of Linux perf) holding
// tracepoint samples, with the TRACING_DATA / EVENT_DESC / CLOCK_DATA
// metadata that `perf script` and ehtrace-decode need. Used by the capture
// sink (EHTRACE_CAPTURE=x.data) and by the collector.
//
// Depends only on the standard library, POSIX and format.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ehtrace {

// The tracefs "format" text the kernel shows for a user_events tracepoint
// registered with `command` ("name field; field; ..."), common fields
// included, with the given tracepoint id. Empty if the command has a field
// type the kernel would reject.
[[nodiscard]] std::string synthesize_user_events_format(std::string_view command, std::uint32_t id);

class perf_data_writer {
public:
    perf_data_writer() = default;
    ~perf_data_writer();  // finishes the file if still open (errors are lost; call close())
    perf_data_writer(perf_data_writer const&) = delete;
    perf_data_writer& operator=(perf_data_writer const&) = delete;

    // Creates/truncates `path`. `clock` is the clock the sample times come
    // from; CLOCK_DATA records its offset to wall-clock time. 0 or errno.
    int open(char const* path, clockid_t clock = CLOCK_MONOTONIC);
    // Uses a seekable fd (the header is written at offset 0 on close).
    int open_fd(int fd, bool take_ownership, clockid_t clock = CLOCK_MONOTONIC);

    // Declares a tracepoint (before or after samples of others: the attrs
    // are written by close()). `format` is its tracefs
    // format text (see synthesize_user_events_format); `id` must match the
    // "ID:" line. Returns the tracepoint's index (>= 0) or -errno.
    int add_tracepoint(std::string_view system, std::string_view name, std::string_view format, std::uint32_t id);

    // Appends a sample whose raw data is the whole tracepoint record (common
    // fields included), as the kernel would deliver it. 0 or errno.
    int write_sample(int tracepoint, std::uint64_t time_ns, std::uint32_t cpu, std::uint32_t pid,
                     std::uint32_t tid, std::span<std::byte const> record);
    // Same, for a user_events tracepoint: builds the 8 common bytes
    // (type = id, pid) in front of `payload` (for EventHeader: header onward).
    int write_user_event(int tracepoint, std::uint64_t time_ns, std::uint32_t cpu, std::uint32_t pid,
                         std::uint32_t tid, std::span<std::byte const> payload);
    // Appends a PERF_RECORD_LOST: the kernel dropped `lost` samples on `cpu`
    // (perf report/script warn about them). Needs a declared tracepoint.
    int write_lost(std::uint64_t lost, std::uint64_t time_ns, std::uint32_t cpu);
    // Marks that no later sample will be older than the ones written so far
    // (perf's FINISHED_ROUND); readers may then release them in time order.
    int finish_round();

    // Writes the header and feature sections and closes. 0 or errno.
    // After a write failed with ENOSPC/EFBIG/EDQUOT the file is cut back to
    // the last whole record flushed before the failure (further if the
    // metadata still does not fit) and completed, so it stays readable; the
    // error is still returned.
    int close();

    [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
    [[nodiscard]] std::uint64_t sample_count() const noexcept { return samples_; }

private:
    struct tracepoint_entry {
        std::string system, name, format;
        std::uint32_t id;
    };
    int append(std::span<std::byte const> bytes);
    int flush();
    int finish_file(std::uint64_t data_end);  // feature sections, attrs, header
    int write_at(std::uint64_t offset, std::span<std::byte const> bytes);

    int fd_ = -1;
    bool owns_fd_ = false;
    int error_ = 0;
    clockid_t clock_ = CLOCK_MONOTONIC;
    std::uint64_t clock_ns_at_open_ = 0, wall_ns_at_open_ = 0;
    std::vector<tracepoint_entry> tracepoints_;
    std::vector<std::byte> buffer_;
    std::vector<std::byte> scratch_;
    std::uint64_t offset_ = 0;  // file offset of buffer_[0]
    std::vector<std::uint64_t> flushed_ends_;  // recent record boundaries on disk (disk-full recovery)
    std::uint64_t samples_ = 0;
};

}  // namespace ehtrace
