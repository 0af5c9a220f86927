// What the timeline and summary formatters read from a decoded sample: its
// display name, its role in an activity, and the names of processes and
// threads seen so far. Private to the decoder.
#pragma once

#include <ehtrace/decode/sample.hpp>
#include <ehtrace/decode/tracepoint_layout.hpp>
#include <ehtrace/wire/eventheader.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace ehtrace::decode::detail {

// "Provider:Event" (EventHeader), "system:name" (tracepoint), or the best
// name known.
inline std::string full_event_name(const decoded_sample& s) {
    std::string name;
    if (s.kind == sample_kind::eventheader) {
        const event_info& info = s.enumerator->event();
        name.append(info.name_parts.provider).append(":").append(info.name);
    } else if (s.kind == sample_kind::tracepoint) {
        name.append(s.format->system).append(":").append(s.format->name);
    } else {
        name = s.name.empty() ? std::string_view("unknown") : s.name;
    }
    return name;
}

using activity_id = std::array<std::byte, 16>;

enum class activity_role : std::uint8_t { none, start, stop };

// An EventHeader event with opcode activity_start or activity_stop and an
// activity id; anything else is role none.
struct activity_facts {
    activity_role role = activity_role::none;
    activity_id id{};
    bool has_parent = false;
    activity_id parent{};
};

inline activity_facts activity_of(const decoded_sample& s) noexcept {
    activity_facts facts;
    if (s.kind != sample_kind::eventheader) return facts;
    const event_info& info = s.enumerator->event();
    if (info.activity_id == nullptr) return facts;
    if (info.header.opcode == static_cast<std::uint8_t>(event_opcode::activity_start)) {
        facts.role = activity_role::start;
    } else if (info.header.opcode == static_cast<std::uint8_t>(event_opcode::activity_stop)) {
        facts.role = activity_role::stop;
    } else {
        return facts;
    }
    std::memcpy(facts.id.data(), info.activity_id, 16);
    if (info.related_activity_id != nullptr) {
        facts.has_parent = true;
        std::memcpy(facts.parent.data(), info.related_activity_id, 16);
    }
    return facts;
}

// The event name shown for an activity or an event (no provider).
inline std::string_view short_event_name(const decoded_sample& s) noexcept {
    if (s.kind == sample_kind::eventheader) return s.enumerator->event().name;
    if (s.kind == sample_kind::tracepoint) return s.format->name;
    return s.name.empty() ? std::string_view("unknown") : s.name;
}

// Names of processes and threads from the samples' comm: a thread is named
// by its latest comm, a process by its main thread's (tid == pid), else by
// the first comm seen in it.
class thread_names {
public:
    void note(const sample_meta& meta) {
        if (!meta.has_tid || meta.comm.empty()) return;
        threads_[{meta.pid, meta.tid}] = meta.comm;
        auto [it, inserted] = processes_.try_emplace(meta.pid, meta.comm);
        if (!inserted && meta.tid == meta.pid) it->second = meta.comm;
    }
    void clear() {
        threads_.clear();
        processes_.clear();
    }
    [[nodiscard]] const std::map<std::pair<std::uint32_t, std::uint32_t>, std::string>& threads() const {
        return threads_;
    }
    [[nodiscard]] const std::map<std::uint32_t, std::string>& processes() const { return processes_; }
    [[nodiscard]] std::string_view thread(std::uint32_t pid, std::uint32_t tid) const {
        const auto it = threads_.find({pid, tid});
        return it == threads_.end() ? std::string_view{} : std::string_view(it->second);
    }

private:
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::string> threads_;
    std::map<std::uint32_t, std::string> processes_;
};

}  // namespace ehtrace::decode::detail
