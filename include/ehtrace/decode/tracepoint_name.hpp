// Parsing EventHeader tracepoint names: <provider>_L<level>K<keyword><options>.
#pragma once

#include <string_view>

#include <ehtrace/wire/tracepoint_name.hpp>

namespace ehtrace::decode {

using ehtrace::tracepoint_name_parts;

// Splits an EventHeader tracepoint name (docs/wire.md, names: the provider is
// everything before the last '_'). Returns false for any name that breaks the
// rules; `out` is then unspecified. A "system:" prefix is not accepted here.
[[nodiscard]] bool parse_tracepoint_name(std::string_view name, tracepoint_name_parts& out) noexcept;

// Value of option letter `letter` (e.g. 'G' -> "srv"), or empty.
[[nodiscard]] std::string_view find_option(std::string_view options, char letter) noexcept;

// Strips what perf and tracefs add around a user_events tracepoint name:
// "user_events:" / "user_events_multi:" system prefixes and the ".<hex id>"
// suffix of multi-format tracepoints.
[[nodiscard]] std::string_view strip_tracepoint_system(std::string_view name) noexcept;

}  // namespace ehtrace::decode
