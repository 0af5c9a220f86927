// The statistics of one input that the summary and the HTML report show:
// time span, events per name, activities per name (completed, unmatched,
// durations), events per process and thread. One collector so the two
// formats cannot disagree. Private to the decoder.
#pragma once

#include "sample_facts.hpp"

#include <ehtrace/decode/formatter.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ehtrace::decode::detail {

struct activity_stats {
    std::uint64_t completed = 0;
    std::uint64_t unmatched_starts = 0, unmatched_stops = 0;
    std::vector<std::uint64_t> durations;  // nanoseconds, when the samples have times; sorted by finish()
};

// One completed activity, kept only when asked for (the report's timeline).
struct activity_span {
    std::uint64_t start_ns = 0, stop_ns = 0;
    std::uint32_t pid = 0, tid = 0;  // of the start
};

// Nearest rank: the smallest duration with at least `percent`% at or below
// it. `sorted` must not be empty.
std::uint64_t percentile(const std::vector<std::uint64_t>& sorted, unsigned percent);

class summary_stats {
public:
    explicit summary_stats(bool keep_spans = false) : keep_spans_(keep_spans) {}

    void note(const decoded_sample& s);
    void note_lost(std::uint64_t events) { lost_ = lost_.value_or(0) + events; }
    // Counts activities still open as unmatched starts and sorts durations;
    // call once, after the last note().
    void finish();

    [[nodiscard]] std::uint64_t total() const { return total_; }
    // Events the writer lost; empty when the input does not record losses.
    [[nodiscard]] std::optional<std::uint64_t> lost() const { return lost_; }
    [[nodiscard]] bool has_span() const { return timed_ && total_ != 0; }
    [[nodiscard]] std::uint64_t first_ns() const { return first_; }
    [[nodiscard]] std::uint64_t last_ns() const { return last_; }
    [[nodiscard]] double span_s() const { return static_cast<double>(last_ - first_) / 1e9; }
    // Times are nanoseconds since 1970 (else since boot, or unknown).
    [[nodiscard]] bool utc() const { return utc_; }
    // Events per second over the span; negative when unknown.
    [[nodiscard]] double rate(std::uint64_t count) const {
        return has_span() && last_ > first_ ? static_cast<double>(count) / span_s() : -1;
    }
    [[nodiscard]] bool timed(const activity_stats& stats) const { return timed_ && !stats.durations.empty(); }

    [[nodiscard]] const std::map<std::string, std::uint64_t>& events() const { return events_; }
    // Events per name, most frequent first.
    [[nodiscard]] std::vector<std::pair<std::string, std::uint64_t>> events_by_count() const;
    [[nodiscard]] const std::map<std::string, activity_stats>& activities() const { return activities_; }
    // Completed activities per name in stop order (only with keep_spans).
    [[nodiscard]] const std::map<std::string, std::vector<activity_span>>& spans() const { return spans_; }
    [[nodiscard]] const std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t>& threads() const {
        return threads_;
    }
    [[nodiscard]] const std::map<std::uint32_t, std::uint64_t>& processes() const { return processes_; }
    [[nodiscard]] const thread_names& names() const { return names_; }

private:
    struct open_activity {
        std::string name;
        std::uint64_t start_ns;
        std::uint32_t pid, tid;
    };

    bool keep_spans_;
    std::uint64_t total_ = 0, first_ = 0, last_ = 0;
    std::optional<std::uint64_t> lost_;
    bool timed_ = true, utc_ = true;
    std::map<std::string, std::uint64_t> events_;
    std::map<std::string, activity_stats> activities_;
    std::map<std::string, std::vector<activity_span>> spans_;
    std::map<activity_id, open_activity> open_;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> threads_;
    std::map<std::uint32_t, std::uint64_t> processes_;
    thread_names names_;
};

// What the summary and the HTML report share: a summary_stats per input,
// fed every sample and loss; write_input() writes it when the input ends.
class stats_formatter : public formatter {
public:
    void begin_input(std::string&, std::string_view source) final {
        source_ = source;
        stats_ = summary_stats(keep_spans_);
    }
    bool sample(std::string&, const decoded_sample& s) final {
        stats_.note(s);
        return true;
    }
    void lost(std::uint64_t events) final { stats_.note_lost(events); }
    void end_input(std::string& out) final {
        stats_.finish();
        write_input(out);
        ++inputs_;
    }

protected:
    // keep_spans: keep every completed activity (summary_stats::spans()).
    explicit stats_formatter(bool keep_spans) : keep_spans_(keep_spans), stats_(keep_spans) {}
    // The finished statistics of the input that ends.
    virtual void write_input(std::string& out) = 0;

    [[nodiscard]] const std::string& source() const { return source_; }
    [[nodiscard]] const summary_stats& stats() const { return stats_; }
    // Inputs written so far (in write_input: before this one).
    [[nodiscard]] std::size_t inputs() const { return inputs_; }

private:
    bool keep_spans_;
    std::size_t inputs_ = 0;
    std::string source_;
    summary_stats stats_;
};

template <class... Args>
void appendf(std::string& out, const char* format, Args... args) {
    char text[256];
    const int n = std::snprintf(text, sizeof text, format, args...);
    out.append(text, static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(sizeof text) - 1)));
}

inline double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace ehtrace::decode::detail
