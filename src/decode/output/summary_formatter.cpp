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

class summary final : public stats_formatter {
public:
    explicit summary(bool json) : stats_formatter(false), json_(json) {}

    void begin(std::string& out) override {
        if (json_) out.push_back('{');
    }
    void end(std::string& out) override {
        if (json_) out.append(inputs() == 0 ? "}\n" : "\n}\n");
    }

private:
    void write_input(std::string& out) override {
        if (json_) {
            write_json(out);
        } else {
            write_text(out);
        }
    }

    void write_text(std::string& out) const {
        const summary_stats& facts = stats();
        out.append(inputs() == 0 ? "input      " : "\ninput      ").append(shown(source())).push_back('\n');
        appendf(out, "events     %" PRIu64 "\n", facts.total());
        if (const auto lost = facts.lost()) appendf(out, "lost       %" PRIu64 "\n", *lost);
        if (facts.has_span()) {
            appendf(out, "time span  %.6f s (", facts.span_s());
            append_time(out, facts.first_ns());
            out.append(" to ");
            append_time(out, facts.last_ns());
            out.append(")\n");
        } else {
            out.append("time span  unknown (the input has no times)\n");
        }

        // Each name escaped once, for the column's width and for its row.
        auto events = facts.events_by_count();
        for (auto& [name, count] : events) name = shown(name);
        std::vector<std::pair<std::string, const activity_stats*>> activities;
        for (const auto& [name, activity] : facts.activities()) activities.emplace_back(shown(name), &activity);
        std::size_t width = 5;
        for (const auto& [name, count] : events) width = std::max(width, name.size());
        for (const auto& [name, activity] : activities) width = std::max(width, name.size());
        out.push_back('\n');
        append_padded(out, "event", width);
        appendf(out, " %10s %12s\n", "count", "per second");
        for (const auto& [name, count] : events) {
            append_padded(out, name, width);
            appendf(out, " %10" PRIu64, count);
            if (const double r = facts.rate(count); r >= 0) appendf(out, " %12.1f\n", r);
            else out.append("            -\n");
        }
        if (!activities.empty()) {
            out.push_back('\n');
            append_padded(out, "activity", width);
            appendf(out, " %10s %10s %10s %10s %10s %10s\n", "count", "unmatched", "p50 ms", "p90 ms", "p99 ms",
                    "max ms");
            for (const auto& [name, activity] : activities) {
                append_padded(out, name, width);
                appendf(out, " %10" PRIu64 " %10" PRIu64, activity->completed,
                        activity->unmatched_starts + activity->unmatched_stops);
                if (facts.timed(*activity)) {
                    const auto& d = activity->durations;
                    appendf(out, " %10.3f %10.3f %10.3f %10.3f\n", ms(percentile(d, 50)), ms(percentile(d, 90)),
                            ms(percentile(d, 99)), ms(d.back()));
                } else {
                    appendf(out, " %10s %10s %10s %10s\n", "-", "-", "-", "-");
                }
            }
        }
        if (!facts.threads().empty()) {
            std::map<std::uint32_t, std::string> comms;
            for (const auto& [pid, comm] : facts.names().processes()) comms.emplace(pid, shown(comm));
            std::size_t cw = 7;
            for (const auto& [pid, comm] : comms) cw = std::max(cw, comm.size());
            out.push_back('\n');
            append_padded(out, "process", cw);
            appendf(out, " %10s %10s %10s\n", "pid", "", "events");
            for (const auto& [pid, count] : facts.processes()) {
                const auto it = comms.find(pid);
                append_padded(out, it == comms.end() ? std::string_view("?") : std::string_view(it->second), cw);
                appendf(out, " %10" PRIu32 " %10s %10" PRIu64 "\n", pid, "", count);
            }
            append_padded(out, "thread", cw);
            appendf(out, " %10s %10s %10s\n", "pid", "tid", "events");
            for (const auto& [ids, count] : facts.threads()) {
                const std::string_view comm = facts.names().thread(ids.first, ids.second);
                append_padded(out, comm.empty() ? std::string("?") : shown(comm), cw);
                appendf(out, " %10" PRIu32 " %10" PRIu32 " %10" PRIu64 "\n", ids.first, ids.second, count);
            }
        }
    }

    void write_json(std::string& out) const {
        const summary_stats& facts = stats();
        out.append(inputs() == 0 ? "\n" : ",\n");
        append_json_string(out, source());
        appendf(out, ": {\"events\":%" PRIu64, facts.total());
        if (const auto lost = facts.lost()) appendf(out, ",\"lost\":%" PRIu64, *lost);
        if (facts.has_span()) {
            appendf(out, ",\"span_s\":%.9f,\"first\":\"", facts.span_s());
            append_time(out, facts.first_ns());
            out.append("\",\"last\":\"");
            append_time(out, facts.last_ns());
            out.push_back('"');
        }
        out.append(",\n  \"event_names\":[");
        bool comma = false;
        for (const auto& [name, count] : facts.events_by_count()) {
            out.append(std::exchange(comma, true) ? ",\n    {\"name\":" : "\n    {\"name\":");
            append_json_string(out, name);
            appendf(out, ",\"count\":%" PRIu64, count);
            if (const double r = facts.rate(count); r >= 0) appendf(out, ",\"per_s\":%.3f", r);
            out.push_back('}');
        }
        out.append("],\n  \"activities\":[");
        comma = false;
        for (const auto& [name, activity] : facts.activities()) {
            out.append(std::exchange(comma, true) ? ",\n    {\"name\":" : "\n    {\"name\":");
            append_json_string(out, name);
            appendf(out, ",\"count\":%" PRIu64 ",\"unmatched_starts\":%" PRIu64 ",\"unmatched_stops\":%" PRIu64,
                    activity.completed, activity.unmatched_starts, activity.unmatched_stops);
            if (facts.timed(activity)) {
                const auto& d = activity.durations;
                appendf(out, ",\"p50_ms\":%.6f,\"p90_ms\":%.6f,\"p99_ms\":%.6f,\"max_ms\":%.6f", ms(percentile(d, 50)),
                        ms(percentile(d, 90)), ms(percentile(d, 99)), ms(d.back()));
            }
            out.push_back('}');
        }
        out.append("],\n  \"processes\":[");
        comma = false;
        for (const auto& [pid, count] : facts.processes()) {
            appendf(out, "%s{\"pid\":%" PRIu32 ",\"events\":%" PRIu64,
                    std::exchange(comma, true) ? ",\n    " : "\n    ", pid, count);
            if (const auto it = facts.names().processes().find(pid); it != facts.names().processes().end()) {
                out.append(",\"comm\":");
                append_json_string(out, it->second);
            }
            out.push_back('}');
        }
        out.append("],\n  \"threads\":[");
        comma = false;
        for (const auto& [ids, count] : facts.threads()) {
            appendf(out, "%s{\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"events\":%" PRIu64,
                    std::exchange(comma, true) ? ",\n    " : "\n    ", ids.first, ids.second, count);
            if (const auto comm = facts.names().thread(ids.first, ids.second); !comm.empty()) {
                out.append(",\"comm\":");
                append_json_string(out, comm);
            }
            out.push_back('}');
        }
        out.append("]}");
    }

    void append_time(std::string& out, std::uint64_t ns) const {
        if (stats().utc()) {
            append_utc_time_text(out, ns);
        } else {
            appendf(out, "%" PRIu64 ".%09" PRIu64, ns / 1000000000, ns % 1000000000);
        }
    }

    bool json_;
};

}  // namespace

std::unique_ptr<formatter> make_summary_formatter(bool json) { return std::make_unique<summary>(json); }

}  // namespace ehtrace::decode::detail
