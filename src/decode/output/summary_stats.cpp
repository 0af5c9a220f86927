#include "summary_stats.hpp"

#include <algorithm>

namespace ehtrace::decode::detail {

std::uint64_t percentile(const std::vector<std::uint64_t>& sorted, unsigned percent) {
    const std::size_t rank = (sorted.size() * percent + 99) / 100;
    return sorted[rank == 0 ? 0 : rank - 1];
}

void summary_stats::note(const decoded_sample& s) {
    const sample_meta& meta = s.meta;
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
    const activity_facts activity = activity_of(s);
    if (activity.role == activity_role::start) {
        open_activity started{full_event_name(s), meta.time_ns, meta.pid, meta.tid};
        auto [it, inserted] = open_.try_emplace(activity.id, started);
        if (!inserted) {  // started again: the first start never stopped
            ++activities_[it->second.name].unmatched_starts;
            it->second = std::move(started);
        }
    } else if (activity.role == activity_role::stop) {
        const auto it = open_.find(activity.id);
        if (it == open_.end()) {
            ++activities_[full_event_name(s)].unmatched_stops;
        } else {
            activity_stats& stats = activities_[it->second.name];
            ++stats.completed;
            if (meta.has_time) {
                const std::uint64_t start = std::min(meta.time_ns, it->second.start_ns);
                stats.durations.push_back(meta.time_ns - start);
                if (keep_spans_)
                    spans_[it->second.name].push_back({start, meta.time_ns, it->second.pid, it->second.tid});
            }
            open_.erase(it);
        }
    }
}

void summary_stats::finish() {
    for (const auto& [id, start] : open_) ++activities_[start.name].unmatched_starts;
    open_.clear();
    for (auto& [name, stats] : activities_) std::sort(stats.durations.begin(), stats.durations.end());
}

std::vector<std::pair<std::string, std::uint64_t>> summary_stats::events_by_count() const {
    std::vector<std::pair<std::string, std::uint64_t>> list(events_.begin(), events_.end());
    std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    return list;
}

}  // namespace ehtrace::decode::detail
