// JSON for decoded samples, in the conventions of the established
// EventHeader decoders (docs/json.md). Everything appends to a caller-owned
// std::string so one buffer can be reused for a whole file; nothing here
// allocates except by growing that string.
#pragma once

#include <ehtrace/decode/sample.hpp>
#include <ehtrace/decode/value_text.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ehtrace::decode {

// Keys of the "meta" object, in the order they are written.
namespace meta_keys {
inline constexpr std::uint32_t time = 1u << 0;
inline constexpr std::uint32_t cpu = 1u << 1;
inline constexpr std::uint32_t pid = 1u << 2;
inline constexpr std::uint32_t tid = 1u << 3;
inline constexpr std::uint32_t comm = 1u << 4;      // the thread's command name, when known
inline constexpr std::uint32_t provider = 1u << 5;  // provider or tracepoint system
inline constexpr std::uint32_t event = 1u << 6;     // event or tracepoint name
inline constexpr std::uint32_t id = 1u << 7;
inline constexpr std::uint32_t version = 1u << 8;
inline constexpr std::uint32_t level = 1u << 9;
inline constexpr std::uint32_t keyword = 1u << 10;
inline constexpr std::uint32_t opcode = 1u << 11;
inline constexpr std::uint32_t tag = 1u << 12;
inline constexpr std::uint32_t activity = 1u << 13;
inline constexpr std::uint32_t related_activity = 1u << 14;
inline constexpr std::uint32_t options = 1u << 15;  // provider options ("Gmygroup")
inline constexpr std::uint32_t flags = 1u << 16;    // EventHeader header flags
// Not a meta key: the common_* fields of a tracepoint, before the event's fields.
inline constexpr std::uint32_t common = 1u << 17;
// What the established decoders print by default.
inline constexpr std::uint32_t standard =
    time | cpu | pid | tid | id | version | level | keyword | opcode | tag | activity | related_activity;
inline constexpr std::uint32_t all = (1u << 18) - 1;
}  // namespace meta_keys

// Meta keys by name, as the tools' --meta option takes them: a comma-separated
// list of time, cpu, pid, tid, comm, provider, event, id, version, level,
// keyword, opcode, tag, activity, relatedActivity, options, flags, common,
// standard, all or none; a leading "+" adds to the standard ones. False (and
// `keys` unspecified) for a word that is none of these.
[[nodiscard]] bool parse_meta_keys(std::string_view text, std::uint32_t& keys) noexcept;

struct json_options {
    std::uint32_t meta = meta_keys::standard;
    // ";tag=0x<TAG>" after the name of a field with a non-zero field tag.
    bool field_tags = true;
    // For numeric tools (jq): integers the kernel shows as hex (unsigned long,
    // pid_t, ...) as decimal numbers, and integers beyond 2^53 as strings.
    bool safe_numbers = false;
    // {"n":..., "fields":[{"name":..., "value":...}, ...], "meta":{...}}:
    // no field name can collide with "n", "meta" or another field.
    bool field_list = false;
    // otlp-logs only: EventHeader events that are not OpenTelemetry records
    // become log records too (fields as attributes) instead of being left out.
    bool otlp_other_events = false;
};

// One event object for a decoded sample. The object is always complete; when
// an EventHeader event is damaged it has an "error" key after the fields
// decoded so far, and the result is false.
bool append_json(std::string& out, const decoded_sample& sample, const json_options& options = {});

// "..." with JSON escapes (invalid UTF-8 bytes taken as Latin-1).
void append_json_string(std::string& out, std::string_view utf8);

// The JSON value of one value (not struct/array begin/end).
void append_value_json(std::string& out, const value_bytes& value, const json_options& options = {});
inline void append_value_json(std::string& out, const item_info& item, const json_options& options = {}) {
    append_value_json(out, {item.value, item.encoding, item.format, item.byte_swap}, options);
}

// Convenience for one EventHeader event (capture files, tests): classify and
// format. A name that is not an EventHeader name gives {"n":"<name>","error":"..."}.
decode_error format_event_json(std::string& out, std::string_view tracepoint_name, std::span<const std::byte> event,
                               const sample_meta& meta = {}, const json_options& options = {});

}  // namespace ehtrace::decode
