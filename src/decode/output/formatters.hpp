// The formatters beyond JSON, made by make_formatter. Private to the decoder.
#pragma once

#include <ehtrace/decode/formatter.hpp>

#include <memory>

namespace ehtrace::decode::detail {

// Chrome Trace Event Format JSON (timeline_formatter.cpp).
std::unique_ptr<formatter> make_timeline_formatter();
// Counts, rates and activity durations per input: a text table, or JSON
// (summary_formatter.cpp).
std::unique_ptr<formatter> make_summary_formatter(bool json);

}  // namespace ehtrace::decode::detail
