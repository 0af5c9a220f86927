// The summary of each input: time span, events per name (count and rate),
// activities per name (count, unmatched starts and stops, duration
// percentiles), events per process and per thread. A text table, or JSON
// keyed by input like the JSON document.
#include "formatters.hpp"
#include "sample_facts.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace ehtrace::decode::detail {
namespace {

struct activity_stats {
    std::uint64_t completed = 0;
    std::uint64_t unmatched_starts = 0, unmatched_stops = 0;
    std::vector<std::uint64_t> durations;  // nanoseconds, when the samples have times
};

// Nearest rank: the smallest duration with at least `percent`% at or below it.
std::uint64_t percentile(std::vector<std::uint64_t> const& sorted, unsigned percent) {
    std::size_t const rank = (sorted.size() * percent + 99) / 100;
    return sorted[rank == 0 ? 0 : rank - 1];
}

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
        sample_meta const& meta = s.meta;
        names_.note(meta);
        timed_ = timed_ && meta.has_time;
        utc_ = utc_ && meta.time_is_utc;
        if (meta.has_time) {
            first_ = total_ == 0 ? meta.time_ns : std::min(first_, meta.time_ns);
            last_ = total_ == 0 ? meta.time_ns : std::max(last_, meta.time_ns);
        }
        ++total_;
        ++events_[full_event_name(s)];
        if (meta.has_tid) {
            ++threads_[{meta.pid, meta.tid}];
            ++processes_[meta.pid];
        }
        activity_facts const activity = activity_of(s);
        if (activity.role == activity_role::start) {
            auto [it, inserted] = open_.try_emplace(activity.id, full_event_name(s), meta.time_ns);
            if (!inserted) {  // started again: the first start never stopped
                ++activities_[it->second.first].unmatched_starts;
                it->second = {full_event_name(s), meta.time_ns};
            }
        } else if (activity.role == activity_role::stop) {
            auto const it = open_.find(activity.id);
            if (it == open_.end()) {
                ++activities_[full_event_name(s)].unmatched_stops;
            } else {
                activity_stats& stats = activities_[it->second.first];
                ++stats.completed;
                if (meta.has_time) stats.durations.push_back(meta.time_ns - std::min(meta.time_ns, it->second.second));
                open_.erase(it);
            }
        }
        return true;
    }

    void end_input(std::string& out) override {
        for (auto const& [id, start] : open_) ++activities_[start.first].unmatched_starts;
        for (auto& [name, stats] : activities_) std::sort(stats.durations.begin(), stats.durations.end());
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

    [[nodiscard]] bool has_span() const { return timed_ && total_ != 0; }
    [[nodiscard]] double span_s() const { return static_cast<double>(last_ - first_) / 1e9; }
    // Events per second over the span; negative when unknown.
    [[nodiscard]] double rate(std::uint64_t count) const {
        return has_span() && last_ > first_ ? static_cast<double>(count) / span_s() : -1;
    }
    [[nodiscard]] bool timed(activity_stats const& stats) const {
        return timed_ && !stats.durations.empty();
    }
    static double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

    // Events per name, most frequent first.
    [[nodiscard]] std::vector<std::pair<std::string, std::uint64_t>> events_by_count() const {
        std::vector<std::pair<std::string, std::uint64_t>> list(events_.begin(), events_.end());
        std::stable_sort(list.begin(), list.end(), [](auto const& a, auto const& b) { return a.second > b.second; });
        return list;
    }

    void write_text(std::string& out) const {
        out.append(inputs_ == 0 ? "input      " : "\ninput      ").append(shown(source_)).push_back('\n');
        appendf(out, "events     %" PRIu64 "\n", total_);
        if (has_span()) {
            appendf(out, "time span  %.6f s (", span_s());
            append_time(out, first_);
            out.append(" to ");
            append_time(out, last_);
            out.append(")\n");
        } else {
            out.append("time span  unknown (the input has no times)\n");
        }

        std::size_t width = 5;
        for (auto const& [name, count] : events_) width = std::max(width, shown(name).size());
        for (auto const& [name, stats] : activities_) width = std::max(width, shown(name).size());
        out.push_back('\n');
        append_padded(out, "event", width);
        appendf(out, " %10s %12s\n", "count", "per second");
        for (auto const& [name, count] : events_by_count()) {
            append_padded(out, shown(name), width);
            appendf(out, " %10" PRIu64, count);
            if (double const r = rate(count); r >= 0) appendf(out, " %12.1f\n", r);
            else out.append("            -\n");
        }
        if (!activities_.empty()) {
            out.push_back('\n');
            append_padded(out, "activity", width);
            appendf(out, " %10s %10s %10s %10s %10s %10s\n", "count", "unmatched", "p50 ms", "p90 ms", "p99 ms",
                    "max ms");
            for (auto const& [name, stats] : activities_) {
                append_padded(out, shown(name), width);
                appendf(out, " %10" PRIu64 " %10" PRIu64, stats.completed, stats.unmatched_starts + stats.unmatched_stops);
                if (timed(stats)) {
                    auto const& d = stats.durations;
                    appendf(out, " %10.3f %10.3f %10.3f %10.3f\n", ms(percentile(d, 50)), ms(percentile(d, 90)),
                            ms(percentile(d, 99)), ms(d.back()));
                } else {
                    appendf(out, " %10s %10s %10s %10s\n", "-", "-", "-", "-");
                }
            }
        }
        if (!threads_.empty()) {
            std::size_t cw = 7;
            for (auto const& [pid, comm] : names_.processes()) cw = std::max(cw, shown(comm).size());
            out.push_back('\n');
            append_padded(out, "process", cw);
            appendf(out, " %10s %10s %10s\n", "pid", "", "events");
            for (auto const& [pid, count] : processes_) {
                auto const it = names_.processes().find(pid);
                append_padded(out, it == names_.processes().end() ? std::string("?") : shown(it->second), cw);
                appendf(out, " %10" PRIu32 " %10s %10" PRIu64 "\n", pid, "", count);
            }
            append_padded(out, "thread", cw);
            appendf(out, " %10s %10s %10s\n", "pid", "tid", "events");
            for (auto const& [ids, count] : threads_) {
                std::string_view const comm = names_.thread(ids.first, ids.second);
                append_padded(out, comm.empty() ? std::string("?") : shown(comm), cw);
                appendf(out, " %10" PRIu32 " %10" PRIu32 " %10" PRIu64 "\n", ids.first, ids.second, count);
            }
        }
    }

    void write_json(std::string& out) const {
        out.append(inputs_ == 0 ? "\n" : ",\n");
        append_json_string(out, source_);
        appendf(out, ": {\"events\":%" PRIu64, total_);
        if (has_span()) {
            appendf(out, ",\"span_s\":%.9f,\"first\":\"", span_s());
            append_time(out, first_);
            out.append("\",\"last\":\"");
            append_time(out, last_);
            out.push_back('"');
        }
        out.append(",\n  \"event_names\":[");
        bool comma = false;
        for (auto const& [name, count] : events_by_count()) {
            out.append(std::exchange(comma, true) ? ",\n    {\"name\":" : "\n    {\"name\":");
            append_json_string(out, name);
            appendf(out, ",\"count\":%" PRIu64, count);
            if (double const r = rate(count); r >= 0) appendf(out, ",\"per_s\":%.3f", r);
            out.push_back('}');
        }
        out.append("],\n  \"activities\":[");
        comma = false;
        for (auto const& [name, stats] : activities_) {
            out.append(std::exchange(comma, true) ? ",\n    {\"name\":" : "\n    {\"name\":");
            append_json_string(out, name);
            appendf(out, ",\"count\":%" PRIu64 ",\"unmatched_starts\":%" PRIu64 ",\"unmatched_stops\":%" PRIu64,
                    stats.completed, stats.unmatched_starts, stats.unmatched_stops);
            if (timed(stats)) {
                auto const& d = stats.durations;
                appendf(out, ",\"p50_ms\":%.6f,\"p90_ms\":%.6f,\"p99_ms\":%.6f,\"max_ms\":%.6f", ms(percentile(d, 50)),
                        ms(percentile(d, 90)), ms(percentile(d, 99)), ms(d.back()));
            }
            out.push_back('}');
        }
        out.append("],\n  \"processes\":[");
        comma = false;
        for (auto const& [pid, count] : processes_) {
            appendf(out, "%s{\"pid\":%" PRIu32 ",\"events\":%" PRIu64, std::exchange(comma, true) ? ",\n    " : "\n    ",
                    pid, count);
            if (auto const it = names_.processes().find(pid); it != names_.processes().end()) {
                out.append(",\"comm\":");
                append_json_string(out, it->second);
            }
            out.push_back('}');
        }
        out.append("],\n  \"threads\":[");
        comma = false;
        for (auto const& [ids, count] : threads_) {
            appendf(out, "%s{\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"events\":%" PRIu64,
                    std::exchange(comma, true) ? ",\n    " : "\n    ", ids.first, ids.second, count);
            if (auto const comm = names_.thread(ids.first, ids.second); !comm.empty()) {
                out.append(",\"comm\":");
                append_json_string(out, comm);
            }
            out.push_back('}');
        }
        out.append("]}");
    }

    void append_time(std::string& out, std::uint64_t ns) const {
        if (utc_) {
            append_utc_time_text(out, ns);
        } else {
            appendf(out, "%" PRIu64 ".%09" PRIu64, ns / 1000000000, ns % 1000000000);
        }
    }

    bool json_;
    std::size_t inputs_ = 0;
    std::string source_;
    std::uint64_t total_ = 0, first_ = 0, last_ = 0;
    bool timed_ = true, utc_ = true;
    std::map<std::string, std::uint64_t> events_;
    std::map<std::string, activity_stats> activities_;
    std::map<activity_id, std::pair<std::string, std::uint64_t>> open_;  // name and start time
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> threads_;
    std::map<std::uint32_t, std::uint64_t> processes_;
    thread_names names_;
};

}  // namespace

std::unique_ptr<formatter> make_summary_formatter(bool json) { return std::make_unique<summary>(json); }

}  // namespace ehtrace::decode::detail
