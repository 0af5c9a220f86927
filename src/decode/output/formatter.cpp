#include <ehtrace/decode/formatter.hpp>

#include "formatters.hpp"

namespace ehtrace::decode {
namespace {

// {"<input>": [ {event}, ... ], ...}
class json_document final : public formatter {
public:
    explicit json_document(const json_options& options) : options_(options) {}
    void begin(std::string& out) override { out.push_back('{'); }
    void begin_input(std::string& out, std::string_view source) override {
        out.append(inputs_++ == 0 ? "\n" : ",\n");
        append_json_string(out, source);
        out.append(": [");
        first_ = true;
    }
    bool sample(std::string& out, const decoded_sample& s) override {
        out.append(first_ ? "\n  " : ",\n  ");
        first_ = false;
        return append_json(out, s, options_);
    }
    void end_input(std::string& out) override { out.append(" ]"); }
    void end(std::string& out) override { out.append("\n}\n"); }

private:
    json_options options_;
    std::size_t inputs_ = 0;
    bool first_ = true;
};

// One object per line.
class json_lines final : public formatter {
public:
    json_lines(const json_options& options, bool several_inputs) : options_(options), several_(several_inputs) {}
    void begin_input(std::string&, std::string_view source) override { source_ = source; }
    bool sample(std::string& out, const decoded_sample& s) override {
        bool ok;
        if (several_) {
            decoded_sample tagged = s;
            tagged.meta.source = source_;
            ok = append_json(out, tagged, options_);
        } else {
            ok = append_json(out, s, options_);
        }
        out.push_back('\n');
        return ok;
    }

private:
    json_options options_;
    bool several_;
    std::string source_;
};

}  // namespace

bool parse_output_format(std::string_view name, output_format& format) noexcept {
    if (name == "json") format = output_format::json;
    else if (name == "jsonl") format = output_format::jsonl;
    else if (name == "timeline") format = output_format::timeline;
    else if (name == "summary") format = output_format::summary;
    else if (name == "summary-json") format = output_format::summary_json;
    else if (name == "html") format = output_format::html;
    else if (name == "text") format = output_format::text;
    else if (name == "otlp-logs") format = output_format::otlp_logs;
    else if (name == "otlp-traces") format = output_format::otlp_traces;
    else return false;
    return true;
}

std::unique_ptr<formatter> make_formatter(output_format format, const json_options& options, bool several_inputs) {
    switch (format) {
    case output_format::jsonl: return std::make_unique<json_lines>(options, several_inputs);
    case output_format::timeline: return detail::make_timeline_formatter();
    case output_format::summary: return detail::make_summary_formatter(false);
    case output_format::summary_json: return detail::make_summary_formatter(true);
    case output_format::html: return detail::make_html_formatter();
    case output_format::text: return make_text_formatter(options, several_inputs);
    case output_format::otlp_logs: return detail::make_otlp_formatter(false, options.otlp_other_events);
    case output_format::otlp_traces: return detail::make_otlp_formatter(true, false);
    case output_format::json: break;
    }
    return std::make_unique<json_document>(options);
}

}  // namespace ehtrace::decode
