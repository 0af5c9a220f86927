// ehtrace-decode: perf.data (file or pipe layout) and capture (.dat) files to
// JSON, one object per event in the conventions of the EventHeader tools, or
// to text lines like perf script's.
#include "filter.hpp"
#include "progress.hpp"
#include "tool_common.hpp"

#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/capture_reader.hpp>
#include <ehtrace/decode/formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>
#include <ehtrace/decode/tracepoint_layout.hpp>

#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace ehtrace::decode;

constexpr char usage[] =
    "Usage: ehtrace-decode [options] [FILE...]\n"
    "Decodes perf.data (perf record file or pipe layout) and event capture (.dat)\n"
    "files to JSON or text. The input kind is detected from the content; '-' reads\n"
    "stdin; no FILE reads ehtrace.data (the collector's default output).\n"
    "\n"
    "Options:\n"
    "  -o FILE          write to FILE instead of stdout\n"
    "  --format F       json (one document, the default), jsonl (one event per line)\n"
    "                   text (one line per event: comm pid/tid [cpu] time: name\n"
    "                   field=value ..., like perf script) or timeline (Chrome Trace\n"
    "                   Event Format: open in ui.perfetto.dev); html (one self-contained\n"
    "                   page: timeline of the busiest activities, duration histograms and\n"
    "                   the summary's tables); otlp-logs, otlp-traces:\n"
    "                   the OpenTelemetry user_events exporters' logs or spans as OTLP/JSON\n"
    "                   lines (LogsData/TracesData, what the Collector's otlpjsonfile\n"
    "                   receiver reads); other events are left out\n"
    "  --summary        a summary instead of the events: span, counts and rates per event,\n"
    "                   activity durations (p50, p90, p99, max), events per process and\n"
    "                   thread; a text table, or JSON with --format json\n"
    "  --jsonl          the same as --format jsonl\n"
    "  --meta KEYS      keys of the \"meta\" object, comma-separated: time, cpu, pid,\n"
    "                   tid, comm, provider, event, id, version, level, keyword,\n"
    "                   opcode, tag, activity, relatedActivity, options, flags, and\n"
    "                   common (the tracepoint's common_* fields before the others);\n"
    "                   or standard (the default), all, none. +KEY adds to the default\n"
    "  --no-field-tags  field names without their \";tag=0x..\" suffix\n"
    "  --safe-numbers   for numeric tools: integers the kernel shows as hex (pid_t,\n"
    "                   unsigned long, ...) as numbers, integers beyond 2^53 as strings\n"
    "  --field-list     fields as \"fields\":[{\"name\":..,\"value\":..}, ...] so no field\n"
    "                   name can collide with \"n\", \"meta\" or another field\n"
    "  --jq             --safe-numbers --field-list\n"
    "  --otlp-other     with --format otlp-logs, other EventHeader events too, as log\n"
    "                   records (provider:event as eventName, fields as attributes)\n"
    "\n"
    "Filters (an event is printed when it passes all given; a repeated filter\n"
    "option matches any of its values; names are globs):\n"
    "  --provider NAME  provider (plain tracepoints: system), e.g. 'Acme_*'\n"
    "  --event NAME     event name, or what \"n\" shows with a ':', e.g. Odd,\n"
    "                   Acme_Many:Odd, 'sched:sched_*'\n"
    "  --level N        EventHeader events with level <= N (1..255, or critical,\n"
    "                   error, warning, info, verbose = 1..5)\n"
    "  --keyword MASK   EventHeader events whose keyword has a bit of MASK (hex)\n"
    "  --pid LIST       process ids, comma-separated\n"
    "  --tid LIST       thread ids, comma-separated\n"
    "  --cpu LIST       CPUs, e.g. 0,2-3\n"
    "  --comm NAME      thread command name (perf.data COMM records)\n"
    "  --time START,END time range, inclusive; either side may be empty. A bound is\n"
    "                   seconds as meta.time prints them (12.5; for wall-clock files\n"
    "                   seconds since 1970 or 2026-12-01T15:44:02.5Z), or +SECONDS\n"
    "                   after the input's first event (--time +1,+2.5)\n"
    "\n"
    "  --progress       progress on stderr (the default when stderr is a terminal);\n"
    "                   --no-progress: none\n"
    "  -h, --help       show this help\n"
    "  --version        show the version\n"
    "\n"
    "Default output: {\"<file>\": [ {event}, ... ], ...}. On a damaged file the\n"
    "events before the damage are printed, an error naming the file and byte\n"
    "offset goes to stderr, and the exit status is 1.\n";

struct options {
    std::string output_path;
    output_format format = output_format::json;
    bool format_given = false, summary = false;
    json_options json;
    ehtrace_decode_tool::sample_filter filter;
    bool progress = false;
    std::vector<std::string> inputs;
};

class output {
public:
    explicit output(std::FILE* f) : file_(f) {}
    std::string& buffer() { return buffer_; }
    void maybe_flush() {
        if (buffer_.size() >= (1u << 16)) flush();
    }
    bool flush() {
        if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) ok_ = false;
        buffer_.clear();
        return ok_;
    }
    [[nodiscard]] bool ok() const { return ok_; }

private:
    std::FILE* file_;
    std::string buffer_;
    bool ok_ = true;
};

// Decodes one opened input; returns false on damage (already reported).
bool decode_file(const std::string& path, byte_source* input, output& out, formatter& format, options& opt) {
    ehtrace_decode_tool::progress progress(opt.progress);
    progress.begin_input(path);
    const auto report = [&](std::string_view message, std::uint64_t offset) {
        progress.finish();
        std::fprintf(stderr, "ehtrace-decode: %s: error at offset %llu: %.*s\n", path.c_str(),
                     static_cast<unsigned long long>(offset), static_cast<int>(message.size()), message.data());
        return false;
    };
    std::string& buffer = out.buffer();
    sample_decoder decoder;
    opt.filter.begin_input();
    const auto emit = [&](const decoded_sample& s) {
        progress.event(input->offset());
        if (!opt.filter.wanted(s)) return;
        format.sample(buffer, s);
        out.maybe_flush();
    };
    const auto layout = detect_input_layout(input->peek(16));
    if (layout == input_layout::capture) {
        capture_reader reader(*input);
        capture_record record;
        while (reader.next(record)) emit(decoder.decode_event(record.tracepoint_name, record.event));
        if (reader.error()) return report(reader.error().message, reader.error().offset);
        return true;
    }
    if (layout == input_layout::perf_file || layout == input_layout::perf_pipe) {
        perf_data_reader reader(*input);
        perf_sample sample;
        while (reader.next(sample)) emit(decoder.decode(sample));
        if (reader.error()) return report(reader.error().message, reader.error().offset);
        format.lost(reader.session().lost_events);
        progress.finish();
        if (!reader.session().finalised) {
            std::fprintf(stderr,
                         "ehtrace-decode: %s: not finalised (its writer stopped before completing it); read up to "
                         "its last whole record\n",
                         path.c_str());
        }
        return true;
    }
    const auto head = input->peek(16);
    if (head.empty()) return report(input->io_error().empty() ? "empty input" : input->io_error(), 0);
    return report("unrecognised input (not perf.data or a capture file)", 0);
}

// Returns -1 to go on, else the exit status.
int parse_options(int argc, char** argv, options& opt) {
    constexpr char tool[] = "ehtrace-decode";
    bool progress_given = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        std::string v;
        bool missing = false;
        const auto value = [&] {
            if (i + 1 >= argc) return !(missing = true);
            v = argv[++i];
            return true;
        };
        if (ehtrace_tools::answered_help_or_version(arg, tool, usage)) {
            return 0;
        } else if (arg == "-o") {
            if (value()) opt.output_path = v;
        } else if (arg == "--jsonl") {
            opt.format = output_format::jsonl;
        } else if (arg == "--format") {
            if (value()) {
                opt.format_given = true;
                if (!parse_output_format(v, opt.format)) {
                    return ehtrace_tools::usage_error(
                        tool,
                        "unknown --format '" + v + "' (json, jsonl, text, timeline, html, otlp-logs, otlp-traces)");
                }
            }
        } else if (arg == "--summary") {
            opt.summary = true;
        } else if (arg == "--meta") {
            if (value() && !ehtrace::decode::parse_meta_keys(v, opt.json.meta)) {
                return ehtrace_tools::usage_error(tool, "bad --meta '" + v + "'");
            }
        } else if (arg == "--no-field-tags") {
            opt.json.field_tags = false;
        } else if (arg == "--safe-numbers") {
            opt.json.safe_numbers = true;
        } else if (arg == "--field-list") {
            opt.json.field_list = true;
        } else if (arg == "--jq") {
            opt.json.safe_numbers = opt.json.field_list = true;
        } else if (arg == "--otlp-other") {
            opt.json.otlp_other_events = true;
        } else if (arg == "--progress" || arg == "--no-progress") {
            opt.progress = arg == "--progress";
            progress_given = true;
        } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
            if (!ehtrace_decode_tool::sample_filter::is_option(arg)) {
                return ehtrace_tools::usage_error(tool, "unknown option " + std::string(arg));
            }
            if (value()) {
                if (const auto problem = opt.filter.parse(arg, v); !problem.empty()) {
                    return ehtrace_tools::usage_error(tool, problem);
                }
            }
        } else {
            opt.inputs.emplace_back(arg);
        }
        if (missing) return ehtrace_tools::usage_error(tool, std::string(arg) + " needs a value");
    }
    if (opt.summary && opt.format != output_format::html) {  // the page holds the summary already
        opt.format = opt.format_given && opt.format == output_format::json ? output_format::summary_json
                                                                           : output_format::summary;
    }
    if (opt.json.otlp_other_events && opt.format != output_format::otlp_logs) {
        return ehtrace_tools::usage_error(tool, "--otlp-other needs --format otlp-logs");
    }
    if (!progress_given) opt.progress = isatty(STDERR_FILENO) == 1;
    if (opt.inputs.empty()) {
        // As perf does with perf.data: the collector's default output.
        if (access("ehtrace.data", F_OK) != 0) {
            return ehtrace_tools::usage_error(tool, "no input file given (and no ehtrace.data here)");
        }
        opt.inputs.emplace_back("ehtrace.data");
    }
    return -1;
}

}  // namespace

int main(int argc, char** argv) {
    options opt;
    if (const int status = parse_options(argc, argv, opt); status >= 0) return status;
    // Every input opened first: one that cannot be leaves stdout empty.
    std::vector<std::unique_ptr<byte_source>> sources;
    bool opened = true;
    for (const auto& input : opt.inputs) {
        std::string open_error;
        sources.push_back(byte_source::open(input, open_error));
        if (!sources.back()) {
            std::fprintf(stderr, "ehtrace-decode: %s: %s\n", input.c_str(), open_error.c_str());
            opened = false;
        }
    }
    if (!opened) return 1;
    std::FILE* file = stdout;
    if (!opt.output_path.empty()) {
        file = std::fopen(opt.output_path.c_str(), "w");
        if (file == nullptr) {
            std::fprintf(stderr, "ehtrace-decode: %s: %s\n", opt.output_path.c_str(), std::strerror(errno));
            return 2;
        }
    }
    output out(file);
    bool ok = true;
    const auto format = make_formatter(opt.format, opt.json, opt.inputs.size() > 1);
    format->begin(out.buffer());
    for (std::size_t i = 0; i < opt.inputs.size(); ++i) {
        format->begin_input(out.buffer(), opt.inputs[i]);
        ok &= decode_file(opt.inputs[i], sources[i].get(), out, *format, opt);
        sources[i].reset();
        format->end_input(out.buffer());
        out.flush();
    }
    format->end(out.buffer());
    const bool written = out.flush() && std::fflush(file) == 0 && (file == stdout || std::fclose(file) == 0);
    if (!written) {
        std::fprintf(stderr, "ehtrace-decode: write error\n");
        return 2;
    }
    return ok ? 0 : 1;
}
