// ehtrace-decode: perf.data (file or pipe layout) and capture (.dat) files to
// JSON, one object per event in the conventions of the EventHeader tools.
#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/capture_reader.hpp>
#include <ehtrace/decode/formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>
#include <ehtrace/decode/tracefs_format.hpp>

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
    "  --format F       json (one document, the default), jsonl (one event per line)\n"
    "                   or timeline (Chrome Trace Event Format: open in ui.perfetto.dev)\n"
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
    output_format format = output_format::json;
    bool format_given = false, summary = false;
    json_options json;
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

identity identify(decoded_sample const& s) {
    identity id;
    switch (s.kind) {
    case sample_kind::eventheader: {
        event_info const& e = s.enumerator->event();
        id.provider = e.name_parts.provider;
        id.event = e.name;
        id.level = e.header.level;
        break;
    }
    case sample_kind::tracepoint:
        id.provider = s.format->system;
        id.event = s.format->name;
        break;
    case sample_kind::other: id.event = s.name; break;
    }
    return id;
}

// Decodes one input; returns false on damage (already reported).
bool decode_file(std::string const& path, output& out, formatter& format, options const& opt) {
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
    std::string& buffer = out.buffer();
    sample_decoder decoder;
    auto const emit = [&](decoded_sample const& s) {
        if (!wanted(opt, identify(s))) return;
        format.sample(buffer, s);
        out.maybe_flush();
    };
    auto const layout = detect_input_layout(input->peek(16));
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

// "time,cpu", "standard", "+comm,options": the meta keys.
bool parse_meta_keys(std::string_view text, std::uint32_t& keys) {
    struct named {
        std::string_view name;
        std::uint32_t bits;
    };
    static constexpr named names[] = {
        {"time", meta_keys::time}, {"cpu", meta_keys::cpu}, {"pid", meta_keys::pid}, {"tid", meta_keys::tid},
        {"comm", meta_keys::comm}, {"provider", meta_keys::provider}, {"event", meta_keys::event},
        {"id", meta_keys::id}, {"version", meta_keys::version}, {"level", meta_keys::level},
        {"keyword", meta_keys::keyword}, {"opcode", meta_keys::opcode}, {"tag", meta_keys::tag},
        {"activity", meta_keys::activity}, {"relatedActivity", meta_keys::related_activity},
        {"options", meta_keys::options}, {"flags", meta_keys::flags}, {"common", meta_keys::common},
        {"standard", meta_keys::standard}, {"all", meta_keys::all}, {"none", 0},
    };
    keys = text.starts_with('+') ? meta_keys::standard : 0;
    while (!text.empty()) {
        auto const comma = text.find(',');
        std::string_view word = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (word.starts_with('+')) word.remove_prefix(1);
        bool found = false;
        for (auto const& n : names) {
            if (n.name == word) keys |= n.bits, found = true;
        }
        if (!found) return false;
    }
    return true;
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
            opt.format = output_format::jsonl;
        } else if (arg == "--format") {
            if (!value(v)) return false;
            opt.format_given = true;
            if (!parse_output_format(v, opt.format)) {
                std::fprintf(stderr, "ehtrace-decode: unknown format '%s' (json, jsonl, timeline)\n", v.c_str());
                return false;
            }
        } else if (arg == "--summary") {
            opt.summary = true;
        } else if (arg == "--meta") {
            if (!value(v)) return false;
            if (!parse_meta_keys(v, opt.json.meta)) {
                std::fprintf(stderr, "ehtrace-decode: bad --meta '%s' (see --help)\n", v.c_str());
                return false;
            }
        } else if (arg == "--no-field-tags") {
            opt.json.field_tags = false;
        } else if (arg == "--safe-numbers") {
            opt.json.safe_numbers = true;
        } else if (arg == "--field-list") {
            opt.json.field_list = true;
        } else if (arg == "--jq") {
            opt.json.safe_numbers = opt.json.field_list = true;
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
    if (opt.summary) {
        opt.format = opt.format_given && opt.format == output_format::json ? output_format::summary_json
                                                                            : output_format::summary;
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
    auto const format = make_formatter(opt.format, opt.json, opt.inputs.size() > 1);
    format->begin(out.buffer());
    for (auto const& input : opt.inputs) {
        format->begin_input(out.buffer(), input);
        ok &= decode_file(input, out, *format, opt);
        format->end_input(out.buffer());
        out.flush();
    }
    format->end(out.buffer());
    bool const written = out.flush() && std::fflush(file) == 0 && (file == stdout || std::fclose(file) == 0);
    if (!written) {
        std::fprintf(stderr, "ehtrace-decode: write error\n");
        return 2;
    }
    return ok ? 0 : 1;
}
