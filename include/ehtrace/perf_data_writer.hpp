// Writes perf.data files (the seekable layout of Linux perf) holding
// tracepoint samples, with the TRACING_DATA / EVENT_DESC / CLOCK_DATA
// metadata that `perf script` and ehtrace-decode need. Used by the capture
// sink (EHTRACE_CAPTURE=x.data) and by the collector.
//
// Depends only on the standard library, POSIX and wire/eventheader.hpp.
#pragma once

#include <sys/uio.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
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
    perf_data_writer(const perf_data_writer&) = delete;
    perf_data_writer& operator=(const perf_data_writer&) = delete;

    // Creates/truncates `path`. `clock` is the clock the sample times come
    // from; CLOCK_DATA records its offset to wall-clock time. 0 or errno.
    //
    // Crash safety: the header is written at once with a data size of 0
    // ("the data runs to the end of the file", as perf record leaves it), and
    // the data describes itself (clock, attrs and formats as in-stream
    // records), so at every moment the file reads up to its last whole
    // flushed record; close() rewrites the header with the real size.
    // Records reach the file when 64 KiB are buffered or on flush().
    int open(const char* path, clockid_t clock = CLOCK_MONOTONIC);
    // Uses a seekable fd, empty (the header is rewritten at offset 0 on close).
    int open_fd(int fd, bool take_ownership, clockid_t clock = CLOCK_MONOTONIC);
    // Writes perf's pipe layout (what `perf record -o -` writes: a 16-byte
    // header, then self-describing records, nothing ever rewritten) to `fd`,
    // which need not seek: a pipe, a socket, stdout. The tracepoints share
    // one TRACING_DATA record, sent before the first other record: declaring
    // one after that fails with -EBUSY (perf reads a single TRACING_DATA
    // from a pipe).
    int open_pipe(int fd, bool take_ownership, clockid_t clock = CLOCK_MONOTONIC);

    // Declares a tracepoint (before or after samples of others: its attr and
    // format go into the data ahead of its samples, and close() writes them
    // where a finished file has them too). `format` is its tracefs
    // format text (see synthesize_user_events_format); `id` must match the
    // "ID:" line. Returns the tracepoint's index (>= 0) or -errno.
    int add_tracepoint(std::string_view system, std::string_view name, std::string_view format, std::uint32_t id);

    // Appends a sample whose raw data is the whole tracepoint record (common
    // fields included), as the kernel would deliver it. 0 or errno.
    int write_sample(int tracepoint, std::uint64_t time_ns, std::uint32_t cpu, std::uint32_t pid, std::uint32_t tid,
                     std::span<const std::byte> record);
    // Same, for a user_events tracepoint: builds the 8 common bytes
    // (type = id, pid) in front of `payload` (for EventHeader: header onward).
    int write_user_event(int tracepoint, std::uint64_t time_ns, std::uint32_t cpu, std::uint32_t pid, std::uint32_t tid,
                         std::span<const std::byte> payload);
    // Appends a PERF_RECORD_LOST: the kernel dropped `lost` samples on `cpu`
    // (perf report/script warn about them). Needs a declared tracepoint.
    int write_lost(std::uint64_t lost, std::uint64_t time_ns, std::uint32_t cpu);
    // The same, attributed to a process and thread (a recorder's thread
    // buffer that was full).
    int write_lost(std::uint64_t lost, std::uint64_t time_ns, std::uint32_t cpu, std::uint32_t pid, std::uint32_t tid);
    // Appends a PERF_RECORD_COMM: thread `tid` of `pid` is named `comm` (at
    // most 15 bytes kept), so perf script shows command names.
    // `exec`: the name changed because the thread exec'ed (perf's
    // PERF_RECORD_MISC_COMM_EXEC).
    int write_comm(std::uint32_t pid, std::uint32_t tid, std::string_view comm, std::uint64_t time_ns,
                   std::uint32_t cpu, bool exec = false);
    // Appends a PERF_RECORD_FORK (thread `tid` of `pid` created by `ptid` of
    // `ppid`: it starts with its parent's name) or a PERF_RECORD_EXIT.
    int write_fork(std::uint32_t pid, std::uint32_t ppid, std::uint32_t tid, std::uint32_t ptid, std::uint64_t time_ns,
                   std::uint32_t cpu);
    int write_exit(std::uint32_t pid, std::uint32_t ppid, std::uint32_t tid, std::uint32_t ptid, std::uint64_t time_ns,
                   std::uint32_t cpu);
    // Marks that no later sample will be older than the ones written so far
    // (perf's FINISHED_ROUND); readers may then release them in time order.
    int finish_round();
    // Writes what is buffered (whole records) to the file. 0 or errno.
    int flush();
    // Writes whole records built by the caller (see put_sample_head) after
    // what is buffered, in one writev where possible. 0 or errno.
    int write_records(::iovec* pieces, int count);
    // Forgets the file without writing anything more (closes the fd if
    // owned): for a forked child holding a copy of its parent's writer.
    void abandon() noexcept;

    // A sample record is sample_head_size bytes, then the raw data padded
    // to sample_size(raw bytes). put_sample_head writes the head for
    // `raw_bytes` of raw data and returns the record's size (the caller
    // writes the raw data and zero padding after the head). Inline: the
    // recorder builds one per event.
    static constexpr std::size_t sample_head_size = 52;
    static constexpr std::uint32_t sample_record_type = 9;  // PERF_RECORD_SAMPLE
    static constexpr std::size_t raw_field_size(std::size_t raw_bytes) noexcept {
        return (raw_bytes + 4 + 7) / 8 * 8 - 4;  // the u32 size and the raw data end on 8 bytes
    }
    static constexpr std::size_t sample_size(std::size_t raw_bytes) noexcept {
        return sample_head_size + raw_field_size(raw_bytes);
    }
    static std::size_t put_sample_head(std::byte* out, int tracepoint, std::uint64_t time_ns, std::uint32_t cpu,
                                       std::uint32_t pid, std::uint32_t tid, std::size_t raw_bytes) noexcept {
        // u32 type, u16 misc, u16 size; u64 identifier; u32 pid, tid; u64
        // time; u32 cpu, reserved; u64 period; u32 raw size. Stored field by
        // field into `out`: no temporary copied (and read back) on the way.
        const std::size_t raw_size = raw_field_size(raw_bytes);
        const std::size_t total = sample_head_size + raw_size;
        const auto put = [out](std::size_t at, auto value) { std::memcpy(out + at, &value, sizeof value); };
        put(0, sample_record_type);
        put(4, std::uint16_t{1});  // misc: user
        put(6, static_cast<std::uint16_t>(total));
        put(8, static_cast<std::uint64_t>(tracepoint) + 1);
        put(16, pid);
        put(20, tid);
        put(24, time_ns);
        put(32, cpu);
        put(36, std::uint32_t{0});
        put(40, std::uint64_t{1});  // period
        put(48, static_cast<std::uint32_t>(raw_size));
        return total;
    }

    // Writes the header and feature sections and closes. 0 or errno.
    // After a write failed with ENOSPC/EFBIG/EDQUOT the file is cut back to
    // the last whole record flushed before the failure (further if the
    // metadata still does not fit) and completed, so it stays readable; the
    // error is still returned.
    int close();

    [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
    [[nodiscard]] bool is_pipe() const noexcept { return pipe_; }
    [[nodiscard]] std::uint64_t sample_count() const noexcept { return samples_; }

private:
    struct tracepoint_entry {
        std::string system, name, format;
        std::uint32_t id;
    };
    int open_stream(int fd, bool take_ownership, clockid_t clock, bool pipe);
    int append(std::span<const std::byte> bytes);
    void append_feature(unsigned feature, std::span<const std::byte> body);  // HEADER_FEATURE record
    void attr_bytes(std::vector<std::byte>& out, std::uint32_t id) const;
    int write_pieces(::iovec* pieces, int count);
    void note_flushed(std::uint64_t end);
    int finish_file(std::uint64_t data_end);  // feature sections, attrs, header
    int write_at(std::uint64_t offset, std::span<const std::byte> bytes);
    void put_pending_tracing_data();  // pipe layout: the TRACING_DATA owed, into buffer_
    int write_task(std::uint32_t type, std::uint32_t pid, std::uint32_t ppid, std::uint32_t tid, std::uint32_t ptid,
                   std::uint64_t time_ns, std::uint32_t cpu);

    int fd_ = -1;
    bool owns_fd_ = false;
    bool pipe_ = false;
    bool tracing_data_pending_ = false;
    bool tracing_data_sent_ = false;
    int error_ = 0;
    clockid_t clock_ = CLOCK_MONOTONIC;
    std::uint64_t clock_ns_at_open_ = 0, wall_ns_at_open_ = 0;
    std::vector<tracepoint_entry> tracepoints_;
    std::vector<std::byte> buffer_;
    std::vector<std::byte> scratch_;
    std::uint64_t offset_ = 0;                    // file offset of buffer_[0]
    std::uint64_t first_data_end_ = 0;            // end of the header and clock records
    std::vector<std::uint64_t> stream_metadata_;  // offsets of in-stream attr and format records
    std::vector<std::uint64_t> flushed_ends_;     // recent record boundaries on disk (disk-full recovery)
    std::uint64_t samples_ = 0;
};

}  // namespace ehtrace
