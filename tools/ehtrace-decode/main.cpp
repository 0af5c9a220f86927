// ehtrace-decode: perf.data (file or pipe layout) and capture (.dat) files to
// JSON, one object per event in the conventions of the EventHeader tools.
#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/capture_reader.hpp>
#include <ehtrace/decode/event_enumerator.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace ehtrace::decode;

constexpr char usage[] =
    "Usage: ehtrace-decode [options] FILE...\n"
    "Decodes perf.data (perf record file or pipe layout) and event capture (.dat)\n"
    "files to JSON. The input kind is detected from the content; '-' reads stdin.\n"
    "\n"
    "Options:\n"
    "  -o FILE          write to FILE instead of stdout\n"
    "  --jsonl          one event object per line instead of one JSON document\n"
    "  --provider NAME  only events of this provider (plain tracepoints: system);\n"
    "                   may be repeated\n"
    "  --event NAME     only events with this name (plain tracepoints: tracepoint\n"
    "                   name); may be repeated\n"
    "  --level N        only EventHeader events with level <= N (1 critical .. 5 verbose)\n"
    "  -h, --help       show this help\n"
    "\n"
    "Default output: {\"<file>\": [ {event}, ... ], ...}. On a damaged file the\n"
    "events before the damage are printed, an error naming the file and byte\n"
    "offset goes to stderr, and the exit status is 1.\n";

struct options {
    std::string output_path;
    bool jsonl = false;
    std::vector<std::string> providers, events;
    int max_level = -1;
    std::vector<std::string> inputs;
};

struct identity {
    std::string_view provider, event;
    int level = -1;  // -1: not an EventHeader event
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

bool wanted(options const& opt, identity const& id) {
    auto const matches = [](std::vector<std::string> const& list, std::string_view value) {
        if (list.empty()) return true;
        for (auto const& v : list) {
            if (v == value) return true;
        }
        return false;
    };
    if (!matches(opt.providers, id.provider) || !matches(opt.events, id.event)) return false;
    if (opt.max_level >= 0 && (id.level < 0 || id.level > opt.max_level)) return false;
    return true;
}

identity identify_eventheader(event_enumerator const& e) {
    identity id;
    id.provider = e.event().name_parts.provider;
    id.event = e.event().name;
    id.level = e.event().header.level;
    return id;
}

class file_writer {
public:
    file_writer(output& out, options const& opt) : out_(out), opt_(opt) {}

    void event_begin() {
        std::string& b = out_.buffer();
        if (!opt_.jsonl) b.append(first_ ? "\n  " : ",\n  ");
        first_ = false;
    }
    void event_end() {
        if (opt_.jsonl) out_.buffer().push_back('\n');
        out_.maybe_flush();
    }

private:
    output& out_;
    options const& opt_;
    bool first_ = true;
};

// Decodes one input; returns false on damage (already reported).
bool decode_file(std::string const& path, output& out, options const& opt) {
    std::string open_error;
    auto input = byte_source::open(path, open_error);
    auto const report = [&](std::string_view message, std::uint64_t offset) {
        std::fprintf(stderr, "ehtrace-decode: %s: error at offset %llu: %.*s\n", path.c_str(),
                     static_cast<unsigned long long>(offset), static_cast<int>(message.size()), message.data());
        return false;
    };
    if (!input) {
        std::fprintf(stderr, "ehtrace-decode: %s: %s\n", path.c_str(), open_error.c_str());
        return false;
    }
    file_writer writer(out, opt);
    std::string& buffer = out.buffer();
    auto const layout = detect_input_layout(input->peek(16));
    if (layout == input_layout::capture) {
        capture_reader reader(*input);
        capture_record record;
        while (reader.next(record)) {
            event_enumerator e;
            e.start(record.tracepoint_name, record.event);
            identity id;
            if (e.state() != enumerator_state::none) id = identify_eventheader(e);
            else id.event = record.tracepoint_name;
            if (!wanted(opt, id)) continue;
            writer.event_begin();
            if (e.state() != enumerator_state::none) append_event_json(buffer, e);
            else format_event_json(buffer, record.tracepoint_name, record.event);
            writer.event_end();
        }
        if (reader.error()) return report(reader.error().message, reader.error().offset);
        return true;
    }
    if (layout == input_layout::perf_file || layout == input_layout::perf_pipe) {
        perf_data_reader reader(*input);
        perf_sample sample;
        while (reader.next(sample)) {
            identity id;
            auto const* format = sample.event ? sample.event->format : nullptr;
            event_enumerator e;
            if (format && format->is_eventheader() && format->eventheader_offset() <= sample.raw.size()) {
                e.start(format->name, sample.raw.subspan(format->eventheader_offset()));
            }
            if (e.state() != enumerator_state::none) {
                id = identify_eventheader(e);
            } else if (format) {
                id.provider = format->system;
                id.event = format->name;
            } else if (sample.event) {
                id.event = sample.event->name;
            }
            if (!wanted(opt, id)) continue;
            writer.event_begin();
            reader.append_json(buffer, sample);
            writer.event_end();
        }
        if (reader.error()) return report(reader.error().message, reader.error().offset);
        if (!reader.session().finalised) {
            std::fprintf(stderr,
                         "ehtrace-decode: %s: not finalised (its writer stopped before completing it); read up to "
                         "its last whole record\n",
                         path.c_str());
        }
        return true;
    }
    auto const head = input->peek(16);
    if (head.empty()) return report(input->io_error().empty() ? "empty input" : input->io_error(), 0);
    return report("unrecognised input (not perf.data or a capture file)", 0);
}

bool parse_options(int argc, char** argv, options& opt) {
    for (int i = 1; i < argc; ++i) {
        std::string_view const arg = argv[i];
        auto const value = [&](std::string& into) {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "ehtrace-decode: %s needs a value\n", argv[i]);
                return false;
            }
            into = argv[++i];
            return true;
        };
        std::string v;
        if (arg == "-h" || arg == "--help") {
            std::fputs(usage, stdout);
            std::exit(0);
        } else if (arg == "-o") {
            if (!value(opt.output_path)) return false;
        } else if (arg == "--jsonl") {
            opt.jsonl = true;
        } else if (arg == "--provider") {
            if (!value(v)) return false;
            opt.providers.push_back(v);
        } else if (arg == "--event") {
            if (!value(v)) return false;
            opt.events.push_back(v);
        } else if (arg == "--level") {
            if (!value(v)) return false;
            int level = 0;
            auto const r = std::from_chars(v.data(), v.data() + v.size(), level);
            if (r.ec != std::errc{} || r.ptr != v.data() + v.size() || level < 0 || level > 255) {
                std::fprintf(stderr, "ehtrace-decode: bad level '%s'\n", v.c_str());
                return false;
            }
            opt.max_level = level;
        } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
            std::fprintf(stderr, "ehtrace-decode: unknown option %s\n%s", argv[i], usage);
            return false;
        } else {
            opt.inputs.emplace_back(arg);
        }
    }
    if (opt.inputs.empty()) {
        std::fputs(usage, stderr);
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    options opt;
    if (!parse_options(argc, argv, opt)) return 2;
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
    if (!opt.jsonl) out.buffer().push_back('{');
    for (std::size_t i = 0; i != opt.inputs.size(); ++i) {
        if (!opt.jsonl) {
            out.buffer().append(i == 0 ? "\n" : ",\n");
            append_json_string(out.buffer(), opt.inputs[i]);
            out.buffer().append(": [");
        }
        ok &= decode_file(opt.inputs[i], out, opt);
        if (!opt.jsonl) out.buffer().append(" ]");
        out.flush();
    }
    if (!opt.jsonl) out.buffer().append("\n}\n");
    bool const written = out.flush() && std::fflush(file) == 0 && (file == stdout || std::fclose(file) == 0);
    if (!written) {
        std::fprintf(stderr, "ehtrace-decode: write error\n");
        return 2;
    }
    return ok ? 0 : 1;
}
