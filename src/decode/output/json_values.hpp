// JSON values the JSON formatter writes that other JSON-based formats (the
// timeline) write the same way. Private to the decoder.
#pragma once

#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/tracepoint_layout.hpp>

#include <cstddef>
#include <span>
#include <string>

namespace ehtrace::decode::detail {

// The JSON value of one field of a plain tracepoint record (`null` when the
// record is too short for it).
void append_tracefs_value(std::string& out, const tracepoint_field& field, std::span<const std::byte> raw,
                          bool big_endian, const json_options& options);

}  // namespace ehtrace::decode::detail
