// Output formats for a stream of decoded samples from one or more inputs.
// ehtrace-decode, the collector's live output and programs use the same
// formatters; adding a format is one class here, one option in the tool and
// its tests (docs/json.md, "Adding an output format").
#pragma once

#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/sample.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ehtrace::decode {

class formatter {
public:
    virtual ~formatter() = default;
    // Around everything, and around each input (`source`: its name).
    virtual void begin(std::string& out) { (void)out; }
    virtual void begin_input(std::string& out, std::string_view source) { (void)out, (void)source; }
    // One sample; false if it was damaged (it is written anyway).
    virtual bool sample(std::string& out, const decoded_sample& sample) = 0;
    // Events the input's writer lost (perf.data LOST and LOST_SAMPLES
    // records), once before end_input(), for inputs that record losses.
    virtual void lost(std::uint64_t events) { (void)events; }
    virtual void end_input(std::string& out) { (void)out; }
    // Records a batching format (OTLP) holds until its batch is full or
    // end_input(); lets a caller flush by count or age (ehtrace-collect --otlp).
    [[nodiscard]] virtual std::size_t pending() const noexcept { return 0; }
    virtual void end(std::string& out) { (void)out; }
};

enum class output_format : std::uint8_t {
    json,          // one document: {"<input>": [ {event}, ... ], ...}
    jsonl,         // one event object per line; with several inputs meta.source names the input
    text,          // one line per event like `perf script`: comm pid/tid [cpu] time: name field=value ...
    timeline,      // Chrome Trace Event Format JSON (Perfetto UI, chrome://tracing): activities as slices
    summary,       // per input: counts, rates, activity durations (p50/p90/p99/max), threads; a text table
    summary_json,  // the same as JSON keyed by input
    html,          // one self-contained page: timeline of the busiest activities, duration histograms, the summary
    // OTLP/JSON lines (the OpenTelemetry file-exporter format) of the events
    // the OpenTelemetry user_events exporters write (docs/otel.md).
    otlp_logs,    // LogsData per line
    otlp_traces,  // TracesData per line
};

// "json", "jsonl", "text", "timeline", "summary", "summary-json", "html",
// "otlp-logs", "otlp-traces"; false for anything else.
[[nodiscard]] bool parse_output_format(std::string_view name, output_format& format) noexcept;

// `several_inputs`: more than one input will be formatted (JSON lines then
// say which one each event came from).
[[nodiscard]] std::unique_ptr<formatter> make_formatter(output_format format, const json_options& options,
                                                        bool several_inputs = false);

// The text format (text_formatter.cpp). Of `options` it uses field_tags and
// meta_keys::common; with several inputs each line starts with "<input>: ".
[[nodiscard]] std::unique_ptr<formatter> make_text_formatter(const json_options& options, bool several_inputs);

}  // namespace ehtrace::decode
