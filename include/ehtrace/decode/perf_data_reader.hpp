// Reader for Linux perf.data files: the seekable file layout (perf record -o
// file) and the streamed pipe layout (perf record -o -). Yields samples in
// time order (perf's FINISHED_ROUND rule) with their tracepoint format.
// Memory use is bounded by what perf buffers per round, not by file size.
#pragma once

#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/event_enumerator.hpp>
#include <ehtrace/decode/sample.hpp>
#include <ehtrace/decode/tracepoint_layout.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace ehtrace::decode {

struct perf_event_desc {
    std::uint32_t type = 0;  // perf_event_attr.type (2 = tracepoint)
    std::uint64_t config = 0;
    std::uint64_t sample_type = 0;
    std::uint64_t read_format = 0;
    bool sample_id_all = false;
    std::string name;                           // "system:name" or perf's event name
    const tracepoint_layout* format = nullptr;  // tracepoints with TRACING_DATA
};

struct perf_sample {
    const perf_event_desc* event = nullptr;
    sample_meta meta;                // time is wall-clock UTC when the file says how
    std::uint64_t perf_time = 0;     // the sample's own clock value
    std::span<const std::byte> raw;  // PERF_SAMPLE_RAW bytes; empty if none
    std::uint64_t offset = 0;        // of the record in the input
};

struct perf_session_info {
    std::string hostname;
    std::string os_release;
    bool has_clock_data = false;  // CLOCK_DATA: sample clock -> wall clock
    std::uint32_t clockid = 0;
    std::int64_t wall_minus_clock_ns = 0;
    // False for a file layout whose header still says "data to the end of
    // the file": its writer never finished it (killed, crashed). Its data is
    // read up to the last whole record.
    bool finalised = true;
    // Events the kernel (or the writer) could not record: the sum of the
    // LOST and LOST_SAMPLES records read so far, and how many records.
    std::uint64_t lost_events = 0;
    std::uint64_t lost_records = 0;
};

class perf_data_reader {
public:
    // Pending samples above this size are released unsorted (a file without
    // FINISHED_ROUND records must not make memory grow without bound).
    static constexpr std::size_t max_pending_bytes = 64u << 20;

    explicit perf_data_reader(byte_source& input);
    ~perf_data_reader();
    perf_data_reader(const perf_data_reader&) = delete;
    perf_data_reader& operator=(const perf_data_reader&) = delete;

    // Next sample in time order; valid until the next call. False at the end
    // or after damage (error() then says where).
    bool next(perf_sample& sample);
    [[nodiscard]] const read_error& error() const noexcept { return error_; }
    [[nodiscard]] const perf_session_info& session() const noexcept { return session_; }
    [[nodiscard]] bool is_pipe() const noexcept { return pipe_; }

private:
    // A sample read and not yet returned. Trivially copyable and written once
    // when queued (no zero-filling first); the sample's meta is rebuilt from
    // it when it is returned.
    struct pending {
        std::uint64_t time;  // 0 when the sample has none
        std::uint64_t offset;
        const perf_event_desc* event;
        const std::byte* raw_data;  // into the file (file layout) or into copies_[copy]
        std::uint32_t raw_size;
        std::uint32_t cpu, pid, tid;  // 0 when absent
        std::uint32_t copy;           // pipe layout: index into copies_, or no_copy
        std::uint8_t flags;           // has_time, has_cpu, has_tid
    };
    static constexpr std::uint32_t no_copy = ~std::uint32_t{0};
    static constexpr std::uint8_t flag_time = 1, flag_cpu = 2, flag_tid = 4;
    // What one sample counts against max_pending_bytes besides its raw bytes
    // (a fixed figure, so when the bound releases samples does not depend on
    // this struct's layout).
    static constexpr std::size_t pending_overhead = 96;

    bool open();
    bool open_file_layout();
    bool read_pipe_record();
    bool read_file_record();
    bool handle_record(std::span<const std::byte> record, std::uint64_t offset);
    bool handle_sample(std::span<const std::byte> record, std::uint64_t offset);
    bool handle_sample_general(std::span<const std::byte> record, std::uint64_t offset);
    void enqueue(const pending& p);
    void grow_queue();
    bool add_attr(std::span<const std::byte> attr, std::span<const std::byte> ids, std::uint64_t offset);
    bool handle_feature(std::uint64_t feature, std::span<const std::byte> data, std::uint64_t offset);
    bool parse_tracing_data(std::span<const std::byte> data, std::uint64_t offset);
    bool parse_event_desc(std::span<const std::byte> data, std::uint64_t offset);
    void release_until(std::uint64_t limit);
    bool fail(std::string message, std::uint64_t offset);
    void resolve_names();

    byte_source& input_;
    read_error error_;
    perf_session_info session_;
    bool opened_ = false, pipe_ = false, finished_ = false, names_resolved_ = false;

    // File layout: the whole input mapped (or given as memory).
    std::span<const std::byte> file_;
    void* mapping_ = nullptr;
    std::size_t mapping_size_ = 0;
    std::uint64_t data_pos_ = 0, data_end_ = 0, declared_data_end_ = 0;
    std::uint64_t populated_end_ = 0;  // mapped pages populated up to here
    void populate_ahead() noexcept;

    // An event's description and, when its samples have no variable-size
    // part before the raw data (no READ, no CALLCHAIN), where each field is.
    struct event_entry : perf_event_desc {
        bool fixed_layout = false;
        std::uint32_t tid_at = 0, time_at = 0, cpu_at = 0, raw_at = 0;  // 0: not in the sample
        std::uint32_t fixed_size = 0;                                   // bytes up to and including the raw size word
    };
    static pending fixed_layout_sample(const event_entry* desc, std::span<const std::byte> record, std::uint64_t offset,
                                       std::uint32_t raw_size);
    std::vector<std::unique_ptr<event_entry>> events_;
    std::unordered_map<std::uint64_t, event_entry*> events_by_id_;
    std::unordered_map<std::uint64_t, std::string> names_by_id_;  // EVENT_DESC
    std::vector<std::unique_ptr<tracepoint_layout>> formats_;
    std::unordered_map<std::uint32_t, const tracepoint_layout*> formats_by_id_;
    int id_position_ = -1;  // u64 index of the sample id in a sample, -1 = none

    // Samples read and not yet returned: [head_, ready_end_) are released in
    // time order, [ready_end_, queue_size_) wait for a FINISHED_ROUND in file
    // order (released with a stable sort on time, so file order breaks ties).
    pending* queue_ = nullptr;  // malloc'd, queue_capacity_ entries
    std::size_t queue_size_ = 0, queue_capacity_ = 0;
    std::size_t head_ = 0, ready_end_ = 0;
    bool pending_sorted_ = true;  // the waiting samples' times never decrease
    std::size_t pending_bytes_ = 0;
    // Pipe layout: each queued sample's raw bytes, copied (the input buffer is
    // reused by the next read); a slot is reused once its sample was returned
    // and the next call made.
    std::vector<std::vector<std::byte>> copies_;
    std::vector<std::uint32_t> free_copies_;
    std::uint32_t returned_copy_ = no_copy;  // slot of the sample last returned
    std::uint64_t max_time_ = 0, flush_limit_ = 0;
    // Thread names from COMM records, each from the time of its record on,
    // and the last answer: samples of one thread come in runs.
    struct thread_name {
        std::uint64_t since;
        std::string name;
    };
    static constexpr std::uint32_t no_tid = ~std::uint32_t{0};
    std::unordered_map<std::uint32_t, std::vector<thread_name>> comms_;
    std::uint32_t comm_cache_tid_ = no_tid;
    std::uint64_t comm_cache_since_ = 0, comm_cache_until_ = 0;
    std::string_view comm_cache_;
    std::string_view thread_name_at(std::uint32_t tid, std::uint64_t time);
    void add_thread_name(std::uint32_t tid, std::uint64_t since, std::string name);
};

enum class input_layout : std::uint8_t { unknown, perf_file, perf_pipe, capture };

// Recognises the input from its first 16 bytes.
[[nodiscard]] input_layout detect_input_layout(std::span<const std::byte> first_bytes) noexcept;

}  // namespace ehtrace::decode
