// Helpers of the OTLP tests: events captured in memory, decoded through one
// of the decoder's formatters.
#pragma once

#include "../writer/event_test_support.hpp"

#include <ehtrace/decode/formatter.hpp>
#include <ehtrace/dynamic.hpp>

#include <span>
#include <string>

namespace otlp_test {

using capture = ehtrace_test::memory_capture;

// Every event captured so far, as one input of `format`.
inline std::string decode_all(capture const& c, ehtrace::decode::output_format format, bool other_events = false) {
    ehtrace::decode::json_options options;
    options.otlp_other_events = other_events;
    auto const f = ehtrace::decode::make_formatter(format, options);
    ehtrace::decode::sample_decoder decoder;
    std::string out;
    f->begin(out);
    f->begin_input(out, "capture");
    for (auto const& r : c.records()) {
        f->sample(out, decoder.decode_event(r.tracepoint_name, std::as_bytes(std::span(r.bytes))));
    }
    f->end_input(out);
    f->end(out);
    return out;
}

}  // namespace otlp_test
