// JSON text for decoded events, following the conventions of spec section 5.
// Everything appends to a caller-owned std::string so one buffer can be
// reused for a whole file.
#pragma once

#include <ehtrace/decode/event_enumerator.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ehtrace::decode {

// What a container (perf.data sample) knows about an event besides its bytes.
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
};

// "..." with JSON escapes; invalid UTF-8 becomes U+FFFD.
void append_json_string(std::string& out, std::string_view utf8);

// The JSON value of one value item (not struct/array begin/end).
void append_value_json(std::string& out, item_info const& item);

// Like append_value_json for raw value bytes of the given encoding (a scalar
// or one string/binary value) in the given byte order.
void append_value_json(std::string& out, std::span<std::byte const> value, field_encoding encoding,
                       field_format format, bool byte_swap);

// "2024-01-02T03:04:05" for seconds since 1970 UTC, or "TIME(<n>)".
void append_time_text(std::string& out, std::int64_t seconds);
// "ENOENT(2)", "ERRNO(<n>)" for unknown values.
void append_errno_text(std::string& out, std::uint32_t value);
// RFC 4122 text form of 16 bytes, lower case.
void append_uuid_text(std::string& out, std::byte const* bytes16);

// One event object: {"n":"provider:name", fields..., "meta":{...}}.
// `e` must be freshly started (before_first) or failed in start() after the
// header was read. The object is always complete; when the event is damaged
// it carries an "error" key after the fields decoded so far. Returns the
// enumerator's error.
decode_error append_event_json(std::string& out, event_enumerator& e, sample_meta const& meta = {});

// Convenience: start + append_event_json. For a tracepoint name that is not an
// EventHeader name this writes {"n":"<name>","error":"..."}.
decode_error format_event_json(std::string& out, std::string_view tracepoint_name,
                               std::span<std::byte const> event, sample_meta const& meta = {});

// The "meta" member for events that are not EventHeader events.
void append_sample_meta_json(std::string& out, sample_meta const& meta, bool leading_comma);

}  // namespace ehtrace::decode
