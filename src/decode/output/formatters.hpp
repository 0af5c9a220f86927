// The formatters beyond JSON, made by make_formatter. Private to the decoder.
#pragma once

#include <ehtrace/decode/formatter.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace ehtrace::decode::detail {

// Chrome Trace Event Format JSON (timeline_formatter.cpp).
std::unique_ptr<formatter> make_timeline_formatter();
// Counts, rates and activity durations per input: a text table, or JSON
// (summary_formatter.cpp).
std::unique_ptr<formatter> make_summary_formatter(bool json);
// One self-contained HTML page: activity timeline, duration histograms and
// the summary's tables (html_formatter.cpp).
std::unique_ptr<formatter> make_html_formatter();
// OTLP/JSON lines of logs or spans (otlp_formatter.cpp).
std::unique_ptr<formatter> make_otlp_formatter(bool traces, bool other_events);
// Nanoseconds since 1970 of an RFC 3339 time ("...Z" or "...+hh:mm").
std::optional<std::uint64_t> parse_rfc3339_ns(std::string_view text);

}  // namespace ehtrace::decode::detail
