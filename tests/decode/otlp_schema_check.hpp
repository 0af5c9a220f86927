// The OTLP/JSON checker of the schema test (otlp_schema_check.cpp).
#pragma once

#include <string>
#include <string_view>

namespace otlp_test {

// "" when `line` is a valid LogsData (or TracesData) under the official
// .proto files and the OTLP JSON rules; else what is wrong. We write ids in
// lower case; the specification's own examples use upper case.
std::string otlp_problem(std::string_view line, bool traces, bool lowercase_ids = true);

}  // namespace otlp_test
