// OTLP/JSON from the Common Schema events the OpenTelemetry user_events
// exporters write (docs/otel.md): JSON Lines of LogsData or TracesData, the
// OpenTelemetry file-exporter format. Each exporter version lays its events
// out a little differently, so everything here looks fields up by name and
// accepts every variant we know of rather than one fixed order.
#include "formatters.hpp"

#include <ehtrace/decode/value_text.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ehtrace::decode::detail {
namespace {

bool is_item(enumerator_state s) noexcept {
    return s == enumerator_state::value || s == enumerator_state::struct_begin || s == enumerator_state::array_begin;
}

// Leaves `e` on the end of the struct or array it is on (nothing for a value).
void skip_item(event_enumerator& e) {
    if (e.state() != enumerator_state::struct_begin && e.state() != enumerator_state::array_begin) return;
    int depth = 1;
    while (depth != 0 && e.move_next()) {
        const auto s = e.state();
        if (s == enumerator_state::struct_begin || s == enumerator_state::array_begin) ++depth;
        if (s == enumerator_state::struct_end || s == enumerator_state::array_end) --depth;
    }
}

// Calls `f` on each direct child of the struct or array `e` is on (or of the
// event, from before_first); `f` leaves `e` on that child's last item.
template <class F>
void for_each_child(event_enumerator& e, F&& f) {
    while (e.move_next()) {
        const auto s = e.state();
        if (s == enumerator_state::struct_end || s == enumerator_state::array_end) return;
        if (is_item(s)) f();
    }
}

value_bytes bytes_of(const item_info& item) { return {item.value, item.encoding, item.format, item.byte_swap}; }

// The integer of a value8..value64 field whose format is a plain integer.
std::optional<std::int64_t> integer_of(const item_info& item, bool* beyond_int64 = nullptr) {
    const std::size_t size = value_size(item.encoding);
    if (size == 0 || size > 8 || item.value.size() != size) return std::nullopt;
    const auto f = item.format;
    if (f != field_format::default_format && f != field_format::unsigned_int && f != field_format::signed_int &&
        f != field_format::hex_int && f != field_format::pid) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < size; ++i) {
        const std::size_t from = item.byte_swap ? size - 1 - i : i;
        const std::uint64_t byte = static_cast<std::uint8_t>(item.value[from]);
        if constexpr (std::endian::native == std::endian::little) v |= byte << (8 * i);
        else v = (v << 8) | byte;
    }
    const bool is_signed = f == field_format::signed_int || f == field_format::pid;
    if (is_signed && size < 8 && (v >> (8 * size - 1)) != 0) v |= ~std::uint64_t{0} << (8 * size);
    if (beyond_int64 != nullptr) *beyond_int64 = !is_signed && v > std::uint64_t{INT64_MAX};
    return static_cast<std::int64_t>(v);
}

// The plain text of a value (strings transcoded to UTF-8, control characters escaped).
std::string text_of(const item_info& item) {
    std::string text;
    const value_bytes v = bytes_of(item);
    if (is_string_value(v)) {
        append_string_text(text, v, text_escape::control);
    } else {
        text = scalar_text_of(v).view();
    }
    return text;
}

void append_quoted_value(std::string& out, const value_bytes& v) {
    out.push_back('"');
    if (is_string_value(v)) {
        append_string_text(out, v, text_escape::json);
    } else {
        const scalar_text t = scalar_text_of(v);
        if (t.may_need_escape) {
            append_utf8_text(out, t.view(), text_escape::json);
        } else {
            out.append(t.view());
        }
    }
    out.push_back('"');
}

// One value as an OTLP AnyValue: integers as intValue (a string, as proto3
// JSON writes 64-bit integers), floats as doubleValue, booleans as
// boolValue, everything else as the text the JSON output shows.
void append_scalar_any(std::string& out, const item_info& item) {
    const value_bytes v = bytes_of(item);
    if (!is_string_value(v)) {
        bool beyond = false;
        if (const auto i = integer_of(item, &beyond); i && !beyond) {
            out.append("{\"intValue\":\"").append(std::to_string(*i)).append("\"}");
            return;
        }
        const scalar_text t = scalar_text_of(v);
        if (t.kind == value_kind::null) {
            out.append("{}");
            return;
        }
        if (t.kind == value_kind::boolean) {
            out.append("{\"boolValue\":").append(t.view()).append("}");
            return;
        }
        if (item.format == field_format::floating) {
            // proto3 JSON spells the special values this way.
            const std::string_view s = t.view();
            out.append("{\"doubleValue\":");
            if (s == "nan" || s == "-nan") out.append("\"NaN\"");
            else if (s == "inf" || s == "infinity") out.append("\"Infinity\"");
            else if (s == "-inf" || s == "-infinity") out.append("\"-Infinity\"");
            else if (t.kind == value_kind::number) out.append(s);
            else append_quoted_value(out, v);
            out.push_back('}');
            return;
        }
    }
    out.append("{\"stringValue\":");
    append_quoted_value(out, v);
    out.push_back('}');
}

// The AnyValue of the item `e` is on; structs become kvlistValue, arrays arrayValue.
void append_any_value(std::string& out, event_enumerator& e) {
    switch (e.state()) {
    case enumerator_state::value: append_scalar_any(out, e.item()); return;
    case enumerator_state::struct_begin: {
        out.append("{\"kvlistValue\":{\"values\":[");
        bool first = true;
        for_each_child(e, [&] {
            if (!std::exchange(first, false)) out.push_back(',');
            out.append("{\"key\":");
            append_json_string(out, e.item().name);
            out.append(",\"value\":");
            append_any_value(out, e);
            out.push_back('}');
        });
        out.append("]}}");
        return;
    }
    case enumerator_state::array_begin: {
        out.append("{\"arrayValue\":{\"values\":[");
        bool first = true;
        for_each_child(e, [&] {
            if (!std::exchange(first, false)) out.push_back(',');
            append_any_value(out, e);
        });
        out.append("]}}");
        return;
    }
    default: out.append("{}"); return;
    }
}

// {"key":"<name>","value":<AnyValue of the item e is on>}
std::string key_value(std::string_view key, event_enumerator& e) {
    std::string kv("{\"key\":");
    append_json_string(kv, key);
    kv.append(",\"value\":");
    append_any_value(kv, e);
    kv.push_back('}');
    return kv;
}

std::string key_int(std::string_view key, std::int64_t value) {
    std::string kv("{\"key\":");
    append_json_string(kv, key);
    kv.append(",\"value\":{\"intValue\":\"").append(std::to_string(value)).append("\"}}");
    return kv;
}

std::string key_string(std::string_view key, std::string_view value) {
    std::string kv("{\"key\":");
    append_json_string(kv, key);
    kv.append(",\"value\":{\"stringValue\":");
    append_json_string(kv, value);
    kv.append("}}");
    return kv;
}

// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t at, std::size_t count, unsigned& value) {
    if (s.size() < at + count) return false;
    value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        value = value * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
}

}  // namespace

std::optional<std::uint64_t> parse_rfc3339_ns(std::string_view s) {
    // 2025-01-02T03:04:05[.fraction](Z|+hh:mm|-hh:mm); a space for the T as RFC 3339 allows.
    unsigned year, month, day, hour, minute, second;
    if (!digits(s, 0, 4, year) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
        !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, hour) ||
        s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second)) {
        return std::nullopt;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
    std::size_t i = 19;
    std::uint64_t fraction = 0;
    if (i < s.size() && s[i] == '.') {
        unsigned places = 0;
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
            if (places++ < 9) fraction = fraction * 10 + static_cast<unsigned>(s[i] - '0');
        }
        if (places == 0) return std::nullopt;
        for (; places < 9; ++places) fraction *= 10;
    }
    std::int64_t offset_s = 0;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        unsigned oh, om;
        if (!digits(s, i + 1, 2, oh) || s.size() < i + 6 || s[i + 3] != ':' || !digits(s, i + 4, 2, om)) {
            return std::nullopt;
        }
        offset_s = (s[i] == '-' ? -1 : 1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
        i += 6;
    } else {
        return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
    const std::int64_t seconds =
        days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_s;
    if (seconds < 0 || seconds > std::int64_t{18'000'000'000}) return std::nullopt;
    return static_cast<std::uint64_t>(seconds) * 1'000'000'000u + fraction;
}

namespace {

// Lower-case hex of exactly `length` characters, else empty; an all-zero id is
// the OTel "invalid" id and is left out too.
std::string otlp_id(std::string_view text, std::size_t length) {
    if (text.size() != length) return {};
    std::string id;
    bool nonzero = false;
    for (char c : text) {
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
        nonzero |= c != '0';
        id.push_back(c);
    }
    return nonzero ? id : std::string{};
}

// The links the span exporters write as a JSON string: [{"toTraceId":"..",
// "toSpanId":".."}, ...] (traceId/spanId accepted too). Only string members
// are read; anything malformed ends the list there.
std::vector<std::pair<std::string, std::string>> parse_links(std::string_view json) {
    std::vector<std::pair<std::string, std::string>> links;
    std::size_t i = 0;
    const auto ws = [&] {
        while (i < json.size() && (json[i] == ' ' || json[i] == '\n' || json[i] == '\t' || json[i] == '\r')) ++i;
    };
    const auto string = [&](std::string& s) {
        if (i >= json.size() || json[i] != '"') return false;
        for (++i; i < json.size() && json[i] != '"'; ++i) {
            if (json[i] == '\\' && ++i >= json.size()) return false;
            s.push_back(json[i]);
        }
        return i++ < json.size();
    };
    ws();
    if (i >= json.size() || json[i++] != '[') return links;
    for (;;) {
        ws();
        if (i >= json.size() || json[i] != '{') return links;
        ++i;
        std::string trace, span;
        for (;;) {
            ws();
            if (i < json.size() && json[i] == '}') {
                ++i;
                break;
            }
            std::string key, value;
            if (!string(key)) return links;
            ws();
            if (i >= json.size() || json[i++] != ':') return links;
            ws();
            if (i < json.size() && json[i] == '"') {
                if (!string(value)) return links;
            } else {  // a number, true, false or null: skipped
                while (i < json.size() && json[i] != ',' && json[i] != '}') ++i;
            }
            if (key == "toTraceId" || key == "traceId") trace = value;
            if (key == "toSpanId" || key == "spanId") span = value;
            ws();
            if (i < json.size() && json[i] == ',') ++i;
        }
        trace = otlp_id(trace, 32);
        span = otlp_id(span, 16);
        if (!trace.empty() && !span.empty()) links.emplace_back(std::move(trace), std::move(span));
        ws();
        if (i < json.size() && json[i] == ',') {
            ++i;
            continue;
        }
        return links;
    }
}

// Well-known attributes the span exporters move into PartB under other
// names, given back their semantic-convention keys.
std::string_view attribute_key(std::string_view part_b_name) {
    static constexpr std::pair<std::string_view, std::string_view> renamed[] = {
        {"httpMethod", "http.method"}, {"httpUrl", "http.url"}, {"httpStatusCode", "http.status_code"},
        {"dbSystem", "db.system"},     {"dbName", "db.name"},   {"dbStatement", "db.statement"},
        {"requestUrl", "url.full"},
    };
    for (const auto& [from, to] : renamed) {
        if (from == part_b_name) return to;
    }
    return part_b_name;
}

std::optional<int> span_kind_of(event_enumerator& e) {
    const item_info& item = e.item();
    if (const auto i = integer_of(item); i) {
        if (*i >= 0 && *i <= 4) return static_cast<int>(*i) + 1;  // OTLP's 0 is "unspecified"
        return std::nullopt;
    }
    const std::string t = text_of(item);  // an early Rust exporter wrote the kind's name
    static constexpr std::string_view names[] = {"internal", "server", "client", "producer", "consumer"};
    for (int k = 0; k < 5; ++k) {
        if (t == names[k]) return k + 1;
    }
    return std::nullopt;
}

// What one Common Schema event says, read by field name.
struct cs_event {
    bool csver = false, part_b = false;
    std::string type_name;
    std::string time, trace_id, span_id, role, role_instance;
    std::string body;  // AnyValue JSON
    std::optional<std::int64_t> severity, event_id;
    std::string severity_text, name;
    bool has_name = false;
    std::string start_time, parent_id, links, status_message;
    std::optional<bool> success;
    std::optional<int> kind;
    std::vector<std::string> part_b_attributes, attributes;  // {"key":..,"value":..}
    std::vector<std::string> exception;                      // from PartA's ext_ex_* (.NET Geneva)
};

void read_part_a(event_enumerator& e, cs_event& cs) {
    for_each_child(e, [&] {
        const std::string_view n = e.item().name;
        if (e.state() == enumerator_state::struct_begin && (n == "ext_dt" || n == "ext_cloud")) {
            // The nested layout of earlier exporter versions.
            const bool dt = n == "ext_dt";
            for_each_child(e, [&] {
                const std::string_view m = e.item().name;
                if (e.state() != enumerator_state::value) return skip_item(e);
                if (dt && m == "traceId") cs.trace_id = text_of(e.item());
                else if (dt && m == "spanId") cs.span_id = text_of(e.item());
                else if (!dt && m == "role") cs.role = text_of(e.item());
                else if (!dt && m == "roleInstance") cs.role_instance = text_of(e.item());
            });
            return;
        }
        if (e.state() != enumerator_state::value) return skip_item(e);
        if (n == "time") cs.time = text_of(e.item());
        else if (n == "ext_dt_traceId") cs.trace_id = text_of(e.item());
        else if (n == "ext_dt_spanId") cs.span_id = text_of(e.item());
        else if (n == "ext_cloud_role") cs.role = text_of(e.item());
        else if (n == "ext_cloud_roleInstance") cs.role_instance = text_of(e.item());
        else if (n == "ext_ex_type") cs.exception.push_back(key_value("exception.type", e));
        else if (n == "ext_ex_msg") cs.exception.push_back(key_value("exception.message", e));
        else if (n == "ext_ex_stack") cs.exception.push_back(key_value("exception.stacktrace", e));
    });
}

void read_part_b(event_enumerator& e, cs_event& cs) {
    cs.part_b = true;
    for_each_child(e, [&] {
        const std::string_view n = e.item().name;
        const bool value = e.state() == enumerator_state::value;
        if (n == "body") {
            cs.body.clear();
            append_any_value(cs.body, e);
        } else if (value && n == "_typeName") {
            cs.type_name = text_of(e.item());
        } else if (value && n == "severityNumber" && integer_of(e.item())) {
            cs.severity = integer_of(e.item());
        } else if (value && n == "severityText") {
            cs.severity_text = text_of(e.item());
        } else if (value && n == "eventId" && integer_of(e.item())) {
            cs.event_id = integer_of(e.item());
        } else if (value && n == "name") {
            cs.name = text_of(e.item());
            cs.has_name = true;
        } else if (value && n == "startTime") {
            cs.start_time = text_of(e.item());
        } else if (value && n == "parentId") {
            cs.parent_id = text_of(e.item());
        } else if (value && n == "links") {
            cs.links = text_of(e.item());
        } else if (value && n == "statusMessage") {
            cs.status_message = text_of(e.item());
        } else if (value && n == "success") {
            const scalar_text t = scalar_text_of(bytes_of(e.item()));
            if (t.kind == value_kind::boolean) cs.success = t.view() == "true";
            else if (const auto i = integer_of(e.item())) cs.success = *i != 0;
        } else if (value && n == "kind") {
            cs.kind = span_kind_of(e);
        } else {
            cs.part_b_attributes.push_back(key_value(attribute_key(n), e));
        }
    });
}

// Reads a Common Schema event from its first field, `__csver__`, which `e`
// is on; false when it is not one (a major version other than 4, no PartB).
bool read_cs_event(event_enumerator& e, cs_event& cs) {
    const auto v = integer_of(e.item());
    cs.csver = v && (*v >> 8) == 4;  // 0x400 and 0x401 seen so far; the major version is what matters
    for_each_child(e, [&] {
        const std::string_view n = e.item().name;
        const bool is_struct = e.state() == enumerator_state::struct_begin;
        // "partA": the .NET Geneva exporter's first EventHeader version.
        if (is_struct && (n == "PartA" || n == "partA")) {
            read_part_a(e, cs);
        } else if (is_struct && n == "PartB") {
            read_part_b(e, cs);
        } else if (is_struct && n == "PartC") {
            for_each_child(e, [&] { cs.attributes.push_back(key_value(e.item().name, e)); });
        } else {
            skip_item(e);
        }
    });
    return cs.csver && cs.part_b;
}

void append_nanos(std::string& out, std::string_view key, std::uint64_t ns) {
    out.append(",\"").append(key).append("\":\"").append(std::to_string(ns)).append("\"");
}

void append_attributes(std::string& out, const std::vector<std::string>& a, const std::vector<std::string>& b = {}) {
    if (a.empty() && b.empty()) return;
    out.append(",\"attributes\":[");
    bool first = true;
    for (const auto* list : {&a, &b}) {
        for (const auto& kv : *list) {
            if (!std::exchange(first, false)) out.push_back(',');
            out.append(kv);
        }
    }
    out.push_back(']');
}

// OTLP severity numbers for EventHeader levels (generic records).
int severity_of_level(std::uint8_t level) {
    switch (level) {
    case 1: return 21;  // FATAL
    case 2: return 17;  // ERROR
    case 3: return 13;  // WARN
    case 4: return 9;   // INFO
    default: return 5;  // DEBUG
    }
}

// The leading "," of the first key is dropped when the object is closed.
std::string close_object(std::string body) {
    if (!body.empty() && body.front() == ',') body.erase(0, 1);
    return "{" + body + "}";
}

class otlp final : public formatter {
public:
    otlp(bool traces, bool other_events) : traces_(traces), other_(other_events) {}

    void begin_input(std::string&, std::string_view) override { pending_.clear(); }

    bool sample(std::string& out, const decoded_sample& s) override {
        if (s.kind != sample_kind::eventheader) return true;
        event_enumerator& e = *s.enumerator;
        if (e.state() != enumerator_state::before_first) return false;
        const event_info& info = e.event();
        cs_event cs;
        // Every exporter writes __csver__ first: that decides, without a second walk.
        const bool has_first = e.move_next() && is_item(e.state());
        const bool common_schema = has_first && e.state() == enumerator_state::value && e.item().name == "__csver__";
        std::optional<std::uint64_t> observed;
        if (s.meta.has_time && s.meta.time_is_utc) observed = s.meta.time_ns;
        std::string record;
        if (common_schema && read_cs_event(e, cs)) {
            if (e.state() == enumerator_state::error) return false;
            const bool span = cs.type_name == "Span" || (cs.type_name.empty() && info.name == "Span");
            // The C++ exporter names the event after the record's event name
            // and has no PartB.name; "Log" and "Logs" are the exporters' defaults.
            if (!cs.has_name && info.name != "Log" && info.name != "Logs" && !span) {
                cs.name = info.name;
                cs.has_name = true;
            }
            if (span != traces_) return true;
            record = span ? span_json(cs) : log_json(cs, observed);
        } else if (other_ && !traces_ && !common_schema) {
            record = generic_json(e, has_first, observed);
            if (e.state() == enumerator_state::error) return false;
        } else {
            return e.state() != enumerator_state::error;
        }
        pending_.push_back({resource_json(cs), std::string(info.name_parts.provider), std::move(record)});
        if (pending_.size() >= batch_size) write_batch(out);
        return true;
    }

    void end_input(std::string& out) override { write_batch(out); }
    std::size_t pending() const noexcept override { return pending_.size(); }

private:
    // Records per line: bounds the line (and the memory held) on long inputs.
    static constexpr std::size_t batch_size = 1000;

    struct entry {
        std::string resource, scope, record;
    };

    static std::string resource_json(const cs_event& cs) {
        std::vector<std::string> attributes;
        if (!cs.role.empty()) attributes.push_back(key_string("service.name", cs.role));
        if (!cs.role_instance.empty()) attributes.push_back(key_string("service.instance.id", cs.role_instance));
        std::string r;
        append_attributes(r, attributes);
        return close_object(std::move(r));
    }

    static std::string log_json(const cs_event& cs, std::optional<std::uint64_t> observed) {
        std::string r;
        if (const auto t = parse_rfc3339_ns(cs.time)) append_nanos(r, "timeUnixNano", *t);
        if (observed) append_nanos(r, "observedTimeUnixNano", *observed);
        if (cs.severity && *cs.severity >= 1 && *cs.severity <= 24) {
            r.append(",\"severityNumber\":").append(std::to_string(*cs.severity));
        }
        if (!cs.severity_text.empty()) {
            r.append(",\"severityText\":");
            append_json_string(r, cs.severity_text);
        }
        if (!cs.body.empty()) r.append(",\"body\":").append(cs.body);
        std::vector<std::string> extra = cs.part_b_attributes;
        if (cs.event_id) extra.push_back(key_int("event_id", *cs.event_id));
        extra.insert(extra.end(), cs.exception.begin(), cs.exception.end());
        append_attributes(r, cs.attributes, extra);
        if (const auto id = otlp_id(cs.trace_id, 32); !id.empty()) r.append(",\"traceId\":\"").append(id).append("\"");
        if (const auto id = otlp_id(cs.span_id, 16); !id.empty()) r.append(",\"spanId\":\"").append(id).append("\"");
        if (cs.has_name && !cs.name.empty()) {
            r.append(",\"eventName\":");
            append_json_string(r, cs.name);
        }
        return close_object(std::move(r));
    }

    static std::string span_json(const cs_event& cs) {
        std::string r;
        if (const auto id = otlp_id(cs.trace_id, 32); !id.empty()) r.append(",\"traceId\":\"").append(id).append("\"");
        if (const auto id = otlp_id(cs.span_id, 16); !id.empty()) r.append(",\"spanId\":\"").append(id).append("\"");
        if (const auto id = otlp_id(cs.parent_id, 16); !id.empty()) {
            r.append(",\"parentSpanId\":\"").append(id).append("\"");
        }
        r.append(",\"name\":");
        append_json_string(r, cs.name);
        if (cs.kind) r.append(",\"kind\":").append(std::to_string(*cs.kind));
        if (const auto t = parse_rfc3339_ns(cs.start_time)) append_nanos(r, "startTimeUnixNano", *t);
        if (const auto t = parse_rfc3339_ns(cs.time)) append_nanos(r, "endTimeUnixNano", *t);
        append_attributes(r, cs.attributes, cs.part_b_attributes);
        if (!cs.links.empty()) {
            const auto links = parse_links(cs.links);
            if (!links.empty()) {
                r.append(",\"links\":[");
                for (std::size_t i = 0; i < links.size(); ++i) {
                    if (i != 0) r.push_back(',');
                    r.append("{\"traceId\":\"").append(links[i].first).append("\",\"spanId\":\"");
                    r.append(links[i].second).append("\"}");
                }
                r.push_back(']');
            }
        }
        // success=false is an error; success=true is OK or unset, which the
        // event does not tell apart: written as unset (docs/otel.md).
        if (cs.success == false || !cs.status_message.empty()) {
            r.append(",\"status\":{");
            if (!cs.status_message.empty()) {
                r.append("\"message\":");
                append_json_string(r, cs.status_message);
                if (cs.success == false) r.push_back(',');
            }
            if (cs.success == false) r.append("\"code\":2");
            r.push_back('}');
        }
        return close_object(std::move(r));
    }

    // Any other EventHeader event as a log record: its fields as attributes,
    // "provider:event" as the event name, the severity from its level.
    static std::string generic_json(event_enumerator& e, bool on_first, std::optional<std::uint64_t> observed) {
        const event_info& info = e.event();
        std::string r;
        if (observed) {
            append_nanos(r, "timeUnixNano", *observed);
            append_nanos(r, "observedTimeUnixNano", *observed);
        }
        r.append(",\"severityNumber\":").append(std::to_string(severity_of_level(info.header.level)));
        std::vector<std::string> attributes;
        if (on_first) {
            attributes.push_back(key_value(e.item().name, e));
            for_each_child(e, [&] { attributes.push_back(key_value(e.item().name, e)); });
        }
        append_attributes(r, attributes);
        std::string name(info.name_parts.provider);
        name.append(":").append(info.name);
        r.append(",\"eventName\":");
        append_json_string(r, name);
        return close_object(std::move(r));
    }

    void write_batch(std::string& out) {
        if (pending_.empty()) return;
        // Records of one resource and scope together, both in order of first appearance.
        std::vector<std::string> resources;
        for (const auto& p : pending_) {
            if (std::find(resources.begin(), resources.end(), p.resource) == resources.end()) {
                resources.push_back(p.resource);
            }
        }
        out.append(traces_ ? "{\"resourceSpans\":[" : "{\"resourceLogs\":[");
        for (std::size_t r = 0; r < resources.size(); ++r) {
            if (r != 0) out.push_back(',');
            out.append("{\"resource\":")
                .append(resources[r])
                .append(traces_ ? ",\"scopeSpans\":[" : ",\"scopeLogs\":[");
            std::vector<std::string> scopes;
            for (const auto& p : pending_) {
                if (p.resource == resources[r] && std::find(scopes.begin(), scopes.end(), p.scope) == scopes.end()) {
                    scopes.push_back(p.scope);
                }
            }
            for (std::size_t c = 0; c < scopes.size(); ++c) {
                if (c != 0) out.push_back(',');
                out.append("{\"scope\":{\"name\":");
                append_json_string(out, scopes[c]);
                out.append(traces_ ? "},\"spans\":[" : "},\"logRecords\":[");
                bool first = true;
                for (const auto& p : pending_) {
                    if (p.resource != resources[r] || p.scope != scopes[c]) continue;
                    if (!std::exchange(first, false)) out.push_back(',');
                    out.append(p.record);
                }
                out.append("]}");
            }
            out.append("]}");
        }
        out.append("]}\n");
        pending_.clear();
    }

    bool traces_, other_;
    std::vector<entry> pending_;
};

}  // namespace

std::unique_ptr<formatter> make_otlp_formatter(bool traces, bool other_events) {
    return std::make_unique<otlp>(traces, other_events);
}

}  // namespace ehtrace::decode::detail
