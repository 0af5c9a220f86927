// Helpers of the OTLP tests: events captured in memory, decoded through one
// of the decoder's formatters.
#pragma once

#include "../writer/event_test_support.hpp"

#include <ehtrace/decode/formatter.hpp>
#include <ehtrace/dynamic.hpp>

#ifdef EHTRACE_OTLP_SCHEMA_CHECK
#include "otlp_schema_check.hpp"

#include <gtest/gtest.h>
#endif

#include <span>
#include <string>

namespace otlp_test {

using capture = ehtrace_test::memory_capture;

// Every event captured so far, as one input of `format`.
inline std::string decode_all(const capture& c, ehtrace::decode::output_format format, bool other_events = false) {
    ehtrace::decode::json_options options;
    options.otlp_other_events = other_events;
    const auto f = ehtrace::decode::make_formatter(format, options);
    ehtrace::decode::sample_decoder decoder;
    std::string out;
    f->begin(out);
    f->begin_input(out, "capture");
    for (const auto& r : c.records()) {
        f->sample(out, decoder.decode_event(r.tracepoint_name, std::as_bytes(std::span(r.bytes))));
    }
    f->end_input(out);
    f->end(out);
#ifdef EHTRACE_OTLP_SCHEMA_CHECK
    // In the schema test every line any test produces is checked.
    for (std::size_t at = 0; at < out.size();) {
        const std::size_t end = out.find('\n', at);
        const std::string_view line(out.data() + at, end - at);
        EXPECT_EQ(otlp_problem(line, format == ehtrace::decode::output_format::otlp_traces), "") << line;
        at = end + 1;
    }
#endif
    return out;
}

}  // namespace otlp_test
