// The perf.data facts the reader and the writer share, from the kernel's
// include/uapi/linux/perf_event.h and perf's util/header.h and
// Documentation/perf.data-file-format.txt. Kept here once so the two cannot
// drift apart. Internal: not installed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ehtrace::perf_data {

// "PERFILE2" as a host-order u64; seen byte-swapped, the file comes from a
// machine of the other byte order.
inline constexpr std::uint64_t perf_magic = 0x32454c4946524550ull;
inline constexpr std::uint64_t perf_magic_swapped = 0x50455246494c4532ull;
inline constexpr std::size_t pipe_header_size = 16;
inline constexpr std::size_t file_header_size = 104;
inline constexpr std::size_t record_header_size = 8;
inline constexpr std::size_t attr_v7_size = 128;  // PERF_ATTR_SIZE_VER7
inline constexpr std::size_t feature_bits = 256;  // HEADER_FEAT_BITS

// perf_event_header.type: kernel records, then perf's user records (64+).
inline constexpr std::uint32_t record_lost = 2;
inline constexpr std::uint32_t record_comm = 3;
inline constexpr std::uint32_t record_exit = 4;
inline constexpr std::uint32_t record_fork = 7;
inline constexpr std::uint32_t record_sample = 9;
inline constexpr std::uint32_t record_lost_samples = 13;
inline constexpr std::uint32_t record_header_attr = 64;
inline constexpr std::uint32_t record_header_event_type = 65;
inline constexpr std::uint32_t record_header_tracing_data = 66;
inline constexpr std::uint32_t record_finished_round = 68;
inline constexpr std::uint32_t record_auxtrace = 71;
inline constexpr std::uint32_t record_header_feature = 80;

// perf_event_header.misc of a COMM record: the name comes from an exec.
inline constexpr std::uint16_t misc_comm_exec = 1u << 13;

inline constexpr std::uint32_t attr_type_tracepoint = 2;  // PERF_TYPE_TRACEPOINT
// Bits of the flags word (offset 40) of perf_event_attr.
inline constexpr std::uint64_t attr_flag_sample_id_all = 1ull << 18, attr_flag_use_clockid = 1ull << 25;

// perf_event_attr.sample_type bits (PERF_SAMPLE_*).
inline constexpr std::uint64_t sample_ip = 1u << 0, sample_tid = 1u << 1, sample_time = 1u << 2, sample_addr = 1u << 3,
                               sample_read = 1u << 4, sample_callchain = 1u << 5, sample_id = 1u << 6,
                               sample_cpu = 1u << 7, sample_period = 1u << 8, sample_stream_id = 1u << 9,
                               sample_raw = 1u << 10, sample_identifier = 1u << 16;
// perf_event_attr.read_format bits (PERF_FORMAT_*).
inline constexpr std::uint64_t read_total_time_enabled = 1u << 0, read_total_time_running = 1u << 1, read_id = 1u << 2,
                               read_group = 1u << 3, read_lost = 1u << 4;

// Feature bits of the file header (HEADER_*), each with a section after the data.
inline constexpr unsigned feature_tracing_data = 1, feature_hostname = 3, feature_osrelease = 4, feature_arch = 6,
                          feature_nrcpus = 7, feature_event_desc = 12, feature_clockid = 23, feature_clock_data = 29;

}  // namespace ehtrace::perf_data
