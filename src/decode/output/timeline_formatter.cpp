// The timeline: Chrome's Trace Event Format (JSON), which Perfetto UI and
// chrome://tracing open. An activity (start ... stop with one activity id)
// becomes a complete slice ("X") on its thread, or an async pair ("b"/"e")
// when it stops on another thread; other events are instant events ("i");
// process and thread names are metadata events ("M"). An input is written
// when it ends: its events are buffered (slices need their stop, and the
// times are relative to the input's first event).
#include "formatters.hpp"
#include "json_values.hpp"
#include "sample_facts.hpp"
#include "text_writers.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace ehtrace::decode::detail {
namespace {

struct member {
    std::string name;
    std::string value;  // JSON
};
using members = std::vector<member>;

// Adds `name`; a name already present gets "#2", "#3", ... so no key repeats.
void add_member(members& list, std::string_view name, std::string value) {
    std::string key(name);
    for (int n = 2; std::any_of(list.begin(), list.end(), [&](const member& m) { return m.name == key; }); ++n) {
        key.assign(name).append("#").append(std::to_string(n));
    }
    list.push_back({std::move(key), std::move(value)});
}

std::string json_string(std::string_view utf8) {
    std::string text;
    append_json_string(text, utf8);
    return text;
}

// The fields of a started EventHeader event as members (structs as objects,
// arrays as arrays); a damaged event adds "error".
void add_eventheader_fields(members& list, event_enumerator& e) {
    if (e.state() == enumerator_state::before_first) {
        std::string value, closers;
        std::vector<bool> comma;
        std::string_view top_name;
        while (e.move_next()) {
            const item_info& item = e.item();
            const enumerator_state state = e.state();
            if (state == enumerator_state::array_end || state == enumerator_state::struct_end) {
                value.push_back(closers.back());
                closers.pop_back();
                comma.pop_back();
                if (closers.empty()) add_member(list, top_name, std::exchange(value, {}));
                continue;
            }
            if (state != enumerator_state::value && state != enumerator_state::array_begin &&
                state != enumerator_state::struct_begin) {
                continue;
            }
            if (closers.empty()) {
                top_name = item.name;
            } else {
                if (comma.back()) value.push_back(',');
                comma.back() = true;
                if (!item.is_element) {
                    append_json_string(value, item.name);
                    value.push_back(':');
                }
            }
            if (state == enumerator_state::value) {
                append_value_json(value, item);
                if (closers.empty()) add_member(list, top_name, std::exchange(value, {}));
            } else {
                const bool array = state == enumerator_state::array_begin;
                value.push_back(array ? '[' : '{');
                closers.push_back(array ? ']' : '}');
                comma.push_back(false);
            }
        }
        if (!closers.empty()) {  // damaged inside a struct or array: keep what was read
            value.append(closers.rbegin(), closers.rend());
            add_member(list, top_name, std::move(value));
        }
    }
    if (e.state() == enumerator_state::error) add_member(list, "error", json_string(to_string(e.error())));
}

void add_fields(members& list, const decoded_sample& s) {
    switch (s.kind) {
    case sample_kind::eventheader: add_eventheader_fields(list, *s.enumerator); break;
    case sample_kind::tracepoint:
        for (std::size_t i = s.format->common_field_count; i < s.format->fields.size(); ++i) {
            std::string value;
            append_tracefs_value(value, s.format->fields[i], s.raw, s.big_endian, {});
            add_member(list, s.format->fields[i].name, std::move(value));
        }
        break;
    case sample_kind::other:
        if (s.error != decode_error::none) add_member(list, "error", json_string(to_string(s.error)));
        break;
    }
}

std::string uuid_text(const activity_id& id) {
    std::string text;
    append_uuid_text(text, id.data());
    return text;
}

struct trace_event {
    char ph = 'i';
    std::uint64_t ts = 0;   // nanoseconds, absolute until written
    std::uint64_t dur = 0;  // X
    std::uint32_t pid = 0, tid = 0;
    std::string name, cat, id;  // id: b and e
    members args;
};

class timeline final : public formatter {
public:
    void begin(std::string& out) override { out.append("{\"traceEvents\":["); }
    void begin_input(std::string&, std::string_view) override {
        events_.clear();
        open_.clear();
        names_.clear();
        count_ = 0;
    }

    bool sample(std::string&, const decoded_sample& s) override {
        names_.note(s.meta);
        trace_event e;
        e.ts = s.meta.has_time ? s.meta.time_ns : count_ * 1000;  // no clock: 1 µs per event, in order
        ++count_;
        last_ts_ = count_ == 1 ? e.ts : std::max(last_ts_, e.ts);
        if (s.meta.has_tid) e.pid = s.meta.pid, e.tid = s.meta.tid;
        e.name = short_event_name(s);
        e.cat = s.kind == sample_kind::eventheader  ? std::string(s.enumerator->event().name_parts.provider)
                : s.kind == sample_kind::tracepoint ? s.format->system
                                                    : std::string("other");
        const activity_facts activity = activity_of(s);
        if (s.kind == sample_kind::eventheader) {  // any event may name its activity and parent
            const event_info& info = s.enumerator->event();
            for (auto [key, id] :
                 {std::pair{"activity", info.activity_id}, {"relatedActivity", info.related_activity_id}}) {
                if (id == nullptr) continue;
                std::string text;
                append_uuid_text(text, id);
                add_member(e.args, key, json_string(text));
            }
        }
        add_fields(e.args, s);
        const bool ok = !(s.kind == sample_kind::eventheader && s.enumerator->state() == enumerator_state::error) &&
                        s.error == decode_error::none;
        if (activity.role == activity_role::start) {
            const auto [it, inserted] = open_.try_emplace(activity.id, events_.size());
            if (!inserted) {  // the same id started again: the first start never stopped
                close_unmatched(events_[it->second]);
                it->second = events_.size();
            }
            e.ph = 'X';
            events_.push_back(std::move(e));
        } else if (activity.role == activity_role::stop) {
            stop(std::move(e), activity.id);
        } else {
            events_.push_back(std::move(e));
        }
        return ok;
    }

    void end_input(std::string& out) override {
        for (const auto& [id, index] : open_) close_unmatched(events_[index]);
        open_.clear();
        for (const auto& [pid, name] : names_.processes()) add_metadata("process_name", pid, pid, name);
        for (const auto& [ids, name] : names_.threads()) add_metadata("thread_name", ids.first, ids.second, name);
        std::uint64_t base = UINT64_MAX;
        for (const auto& e : events_) {
            if (e.ph != 'M') base = std::min(base, e.ts);
        }
        // Metadata first; then by time, an enclosing slice before what it encloses.
        std::stable_sort(events_.begin(), events_.end(), [](const trace_event& a, const trace_event& b) {
            if ((a.ph == 'M') != (b.ph == 'M')) return a.ph == 'M';
            if (a.ts != b.ts) return a.ts < b.ts;
            return a.dur > b.dur;
        });
        for (auto& e : events_) {
            if (e.ph != 'M') e.ts -= base;
            write(out, e);
        }
        events_.clear();
    }

    void end(std::string& out) override { out.append(written_ ? "\n" : "").append("],\"displayTimeUnit\":\"ms\"}\n"); }

private:
    void stop(trace_event e, const activity_id& id) {
        const auto it = open_.find(id);
        if (it == open_.end()) {  // its start is not in the trace
            add_member(e.args, "unmatched", "\"stop\"");
            events_.push_back(std::move(e));
            return;
        }
        trace_event& start = events_[it->second];
        open_.erase(it);
        if (start.pid == e.pid && start.tid == e.tid) {
            start.dur = e.ts > start.ts ? e.ts - start.ts : 0;
            for (auto& m : e.args) {
                if (m.name != "activity" && m.name != "relatedActivity")
                    add_member(start.args, m.name, std::move(m.value));
            }
            return;
        }
        // Stopped on another thread: an async pair, matched by id.
        start.ph = 'b';
        e.ph = 'e';
        start.id = e.id = uuid_text(id);
        e.cat = start.cat;
        events_.push_back(std::move(e));
    }

    // A start whose stop is not in the trace: a slice to the end of the trace.
    void close_unmatched(trace_event& start) const {
        start.dur = last_ts_ > start.ts ? last_ts_ - start.ts : 0;
        add_member(start.args, "unmatched", "\"start\"");
    }

    void add_metadata(const char* what, std::uint32_t pid, std::uint32_t tid, const std::string& name) {
        trace_event e;
        e.ph = 'M';
        e.name = what;
        e.pid = pid;
        e.tid = tid;
        add_member(e.args, "name", json_string(name));
        events_.push_back(std::move(e));
    }

    void write(std::string& out, const trace_event& e) {
        out.append(written_ ? ",\n{\"ph\":\"" : "\n{\"ph\":\"");
        written_ = true;
        out.push_back(e.ph);
        out.append("\",\"name\":");
        append_json_string(out, e.name);
        if (e.ph != 'M') {
            out.append(",\"cat\":");
            append_json_string(out, e.cat);
            out.append(",\"ts\":");
            append_microseconds(out, e.ts);
        }
        if (e.ph == 'X') {
            out.append(",\"dur\":");
            append_microseconds(out, e.dur);
        }
        if (e.ph == 'i') out.append(",\"s\":\"t\"");
        if (!e.id.empty()) {
            out.append(",\"id\":");
            append_json_string(out, e.id);
        }
        char text[48];
        char* p = write_literal(text, ",\"pid\":");
        p = write_uint(p, e.pid);
        p = write_literal(p, ",\"tid\":");
        p = write_uint(p, e.tid);
        out.append(text, p);
        out.append(",\"args\":{");
        for (std::size_t i = 0; i < e.args.size(); ++i) {
            if (i != 0) out.push_back(',');
            append_json_string(out, e.args[i].name);
            out.push_back(':');
            out.append(e.args[i].value);
        }
        out.append("}}");
    }

    // Microseconds with the nanoseconds as three decimals ("12.345").
    static void append_microseconds(std::string& out, std::uint64_t ns) {
        char text[32];
        char* p = write_uint(text, ns / 1000);
        if (const auto rest = static_cast<unsigned>(ns % 1000); rest != 0) {
            *p++ = '.';
            *p++ = static_cast<char>('0' + rest / 100);
            *p++ = static_cast<char>('0' + rest / 10 % 10);
            *p++ = static_cast<char>('0' + rest % 10);
        }
        out.append(text, p);
    }

    std::vector<trace_event> events_;
    std::map<activity_id, std::size_t> open_;  // open activities: index of their start in events_
    thread_names names_;
    std::uint64_t count_ = 0, last_ts_ = 0;
    bool written_ = false;
};

}  // namespace

std::unique_ptr<formatter> make_timeline_formatter() { return std::make_unique<timeline>(); }

}  // namespace ehtrace::decode::detail
