// The decoded-sample view: what every reader (perf.data, capture files) and
// the collector hand to the formatters. An event is classified once, here:
// an EventHeader event, a plain tracepoint described by its tracefs format,
// or something else (raw bytes and a name).
#pragma once

#include <ehtrace/decode/event_enumerator.hpp>

#include <cstdint>
#include <span>
#include <string_view>

namespace ehtrace::decode {

struct tracepoint_layout;
struct perf_sample;
struct capture_record;

// What a container (perf.data sample, collector) knows about an event
// besides its bytes.
struct sample_meta {
    bool has_time = false;
    // Wall-clock time known: time_ns is nanoseconds since 1970 UTC and prints as
    // ISO-8601. Otherwise time_ns is the trace clock and prints as seconds.
    bool time_is_utc = false;
    std::uint64_t time_ns = 0;
    bool has_cpu = false;
    std::uint32_t cpu = 0;
    bool has_tid = false;
    std::uint32_t pid = 0;
    std::uint32_t tid = 0;
    std::string_view comm;    // the thread's command name when known, else empty
    std::string_view source;  // the input it came from, when a formatter says so
};

enum class sample_kind : std::uint8_t {
    eventheader,  // `enumerator` is started: before_first, or error after the header
    tracepoint,   // a plain tracepoint: `format` describes `raw`
    other,        // anything else: `name` and `raw`, and `error` when it claimed to be EventHeader
};

struct decoded_sample {
    sample_kind kind = sample_kind::other;
    // eventheader: the tracepoint name as recorded; tracepoint: "system:name"
    // parts are in `format`; other: the best name known ("" when none).
    std::string_view name;
    const tracepoint_layout* format = nullptr;  // eventheader (perf.data) and tracepoint samples
    std::span<const std::byte> raw;             // the whole record (tracepoint), the event (capture), ...
    bool big_endian = false;                    // byte order of `raw`'s tracefs fields
    event_enumerator* enumerator = nullptr;     // eventheader
    decode_error error = decode_error::none;    // other: why an EventHeader claim failed
    sample_meta meta;
};

// Classifies samples. Holds the enumerator the EventHeader samples use (it
// caches what repeats between events of a tracepoint), so keep one per input
// and reuse it; a sample stays valid until the next call.
class sample_decoder {
public:
    // A tracepoint record: `format` may be null (then `name` and the bytes are
    // all that is known).
    const decoded_sample& decode_record(const tracepoint_layout* format, std::string_view name,
                                        std::span<const std::byte> raw, const sample_meta& meta,
                                        bool big_endian = false);
    // A perf.data sample (see perf_data_reader).
    const decoded_sample& decode(const perf_sample& sample);
    // An EventHeader event and its tracepoint name (capture files).
    const decoded_sample& decode_event(std::string_view tracepoint_name, std::span<const std::byte> event,
                                       const sample_meta& meta = {});

    [[nodiscard]] event_enumerator& enumerator() noexcept { return enumerator_; }

private:
    event_enumerator enumerator_;
    decoded_sample sample_;
};

}  // namespace ehtrace::decode
