// The summary of each input: time span, events per name (count and rate),
// activities per name (count, unmatched starts and stops, duration
// percentiles), events per process and per thread. A text table, or JSON
// keyed by input like the JSON document.
#include "formatters.hpp"
#include "summary_stats.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace ehtrace::decode::detail {
namespace {

template <class... Args>
void appendf(std::string& out, char const* format, Args... args) {
    char text[256];
    int const n = std::snprintf(text, sizeof text, format, args...);
    out.append(text, static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(sizeof text) - 1)));
}

// A name as the table shows it: control characters escaped, so a row stays
// one row whatever the name holds.
std::string shown(std::string_view name) {
    std::string text;
    append_utf8_text(text, name, text_escape::control);
    return text;
}

void append_padded(std::string& out, std::string_view text, std::size_t width) {
    out.append(text);
    if (text.size() < width) out.append(width - text.size(), ' ');
}

class summary final : public formatter {
public:
    explicit summary(bool json) : json_(json) {}

    void begin(std::string& out) override {
        if (json_) out.push_back('{');
    }
    void begin_input(std::string&, std::string_view source) override {
        *this = summary(json_, inputs_, std::string(source));
    }

    bool sample(std::string&, decoded_sample const& s) override {
        stats_.note(s);
        return true;
    }

    void lost(std::uint64_t events) override { stats_.note_lost(events); }

    void end_input(std::string& out) override {
        stats_.finish();
        if (json_) {
            write_json(out);
        } else {
            write_text(out);
        }
        ++inputs_;
    }

    void end(std::string& out) override {
        if (json_) out.append(inputs_ == 0 ? "}\n" : "\n}\n");
    }

private:
    summary(bool json, std::size_t inputs, std::string source)
        : json_(json), inputs_(inputs), source_(std::move(source)) {}

    static double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

    void write_text(std::string& out) const {
        out.append(inputs_ == 0 ? "input      " : "\ninput      ").append(shown(source_)).push_back('\n');
        appendf(out, "events     %" PRIu64 "\n", stats_.total());
        if (auto const lost = stats_.lost()) appendf(out, "lost       %" PRIu64 "\n", *lost);
        if (stats_.has_span()) {
            appendf(out, "time span  %.6f s (", stats_.span_s());
            append_time(out, stats_.first_ns());
            out.append(" to ");
            append_time(out, stats_.last_ns());
            out.append(")\n");
        } else {
            out.append("time span  unknown (the input has no times)\n");
        }

        std::size_t width = 5;
        for (auto const& [name, count] : stats_.events()) width = std::max(width, shown(name).size());
        for (auto const& [name, stats] : stats_.activities()) width = std::max(width, shown(name).size());
        out.push_back('\n');
        append_padded(out, "event", width);
        appendf(out, " %10s %12s\n", "count", "per second");
        for (auto const& [name, count] : stats_.events_by_count()) {
            append_padded(out, shown(name), width);
            appendf(out, " %10" PRIu64, count);
            if (double const r = stats_.rate(count); r >= 0) appendf(out, " %12.1f\n", r);
            else out.append("            -\n");
        }
        if (!stats_.activities().empty()) {
            out.push_back('\n');
            append_padded(out, "activity", width);
            appendf(out, " %10s %10s %10s %10s %10s %10s\n", "count", "unmatched", "p50 ms", "p90 ms", "p99 ms",
                    "max ms");
            for (auto const& [name, stats] : stats_.activities()) {
                append_padded(out, shown(name), width);
                appendf(out, " %10" PRIu64 " %10" PRIu64, stats.completed, stats.unmatched_starts + stats.unmatched_stops);
                if (stats_.timed(stats)) {
                    auto const& d = stats.durations;
                    appendf(out, " %10.3f %10.3f %10.3f %10.3f\n", ms(percentile(d, 50)), ms(percentile(d, 90)),
                            ms(percentile(d, 99)), ms(d.back()));
                } else {
                    appendf(out, " %10s %10s %10s %10s\n", "-", "-", "-", "-");
                }
            }
        }
        if (!stats_.threads().empty()) {
            std::size_t cw = 7;
            for (auto const& [pid, comm] : stats_.names().processes()) cw = std::max(cw, shown(comm).size());
            out.push_back('\n');
            append_padded(out, "process", cw);
            appendf(out, " %10s %10s %10s\n", "pid", "", "events");
            for (auto const& [pid, count] : stats_.processes()) {
                auto const it = stats_.names().processes().find(pid);
                append_padded(out, it == stats_.names().processes().end() ? std::string("?") : shown(it->second), cw);
                appendf(out, " %10" PRIu32 " %10s %10" PRIu64 "\n", pid, "", count);
            }
            append_padded(out, "thread", cw);
            appendf(out, " %10s %10s %10s\n", "pid", "tid", "events");
            for (auto const& [ids, count] : stats_.threads()) {
                std::string_view const comm = stats_.names().thread(ids.first, ids.second);
                append_padded(out, comm.empty() ? std::string("?") : shown(comm), cw);
                appendf(out, " %10" PRIu32 " %10" PRIu32 " %10" PRIu64 "\n", ids.first, ids.second, count);
            }
        }
    }

    void write_json(std::string& out) const {
        out.append(inputs_ == 0 ? "\n" : ",\n");
        append_json_string(out, source_);
        appendf(out, ": {\"events\":%" PRIu64, stats_.total());
        if (auto const lost = stats_.lost()) appendf(out, ",\"lost\":%" PRIu64, *lost);
        if (stats_.has_span()) {
            appendf(out, ",\"span_s\":%.9f,\"first\":\"", stats_.span_s());
            append_time(out, stats_.first_ns());
            out.append("\",\"last\":\"");
            append_time(out, stats_.last_ns());
            out.push_back('"');
        }
        out.append(",\n  \"event_names\":[");
        bool comma = false;
        for (auto const& [name, count] : stats_.events_by_count()) {
            out.append(std::exchange(comma, true) ? ",\n    {\"name\":" : "\n    {\"name\":");
            append_json_string(out, name);
            appendf(out, ",\"count\":%" PRIu64, count);
            if (double const r = stats_.rate(count); r >= 0) appendf(out, ",\"per_s\":%.3f", r);
            out.push_back('}');
        }
        out.append("],\n  \"activities\":[");
        comma = false;
        for (auto const& [name, stats] : stats_.activities()) {
            out.append(std::exchange(comma, true) ? ",\n    {\"name\":" : "\n    {\"name\":");
            append_json_string(out, name);
            appendf(out, ",\"count\":%" PRIu64 ",\"unmatched_starts\":%" PRIu64 ",\"unmatched_stops\":%" PRIu64,
                    stats.completed, stats.unmatched_starts, stats.unmatched_stops);
            if (stats_.timed(stats)) {
                auto const& d = stats.durations;
                appendf(out, ",\"p50_ms\":%.6f,\"p90_ms\":%.6f,\"p99_ms\":%.6f,\"max_ms\":%.6f", ms(percentile(d, 50)),
                        ms(percentile(d, 90)), ms(percentile(d, 99)), ms(d.back()));
            }
            out.push_back('}');
        }
        out.append("],\n  \"processes\":[");
        comma = false;
        for (auto const& [pid, count] : stats_.processes()) {
            appendf(out, "%s{\"pid\":%" PRIu32 ",\"events\":%" PRIu64, std::exchange(comma, true) ? ",\n    " : "\n    ",
                    pid, count);
            if (auto const it = stats_.names().processes().find(pid); it != stats_.names().processes().end()) {
                out.append(",\"comm\":");
                append_json_string(out, it->second);
            }
            out.push_back('}');
        }
        out.append("],\n  \"threads\":[");
        comma = false;
        for (auto const& [ids, count] : stats_.threads()) {
            appendf(out, "%s{\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"events\":%" PRIu64,
                    std::exchange(comma, true) ? ",\n    " : "\n    ", ids.first, ids.second, count);
            if (auto const comm = stats_.names().thread(ids.first, ids.second); !comm.empty()) {
                out.append(",\"comm\":");
                append_json_string(out, comm);
            }
            out.push_back('}');
        }
        out.append("]}");
    }

    void append_time(std::string& out, std::uint64_t ns) const {
        if (stats_.utc()) {
            append_utc_time_text(out, ns);
        } else {
            appendf(out, "%" PRIu64 ".%09" PRIu64, ns / 1000000000, ns % 1000000000);
        }
    }

    bool json_;
    std::size_t inputs_ = 0;
    std::string source_;
    summary_stats stats_;
};

}  // namespace

std::unique_ptr<formatter> make_summary_formatter(bool json) { return std::make_unique<summary>(json); }

}  // namespace ehtrace::decode::detail
