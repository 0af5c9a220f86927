// OpenTelemetry log records and spans as EventHeader events, in the layout
// the Rust OpenTelemetry user_events exporters write (the Common Schema:
// __csver__, PartA, PartC, PartB), so a C++ service feeds the same pipeline
// (ehtrace-decode --format otlp-logs / otlp-traces, docs/otel.md) without
// the OpenTelemetry SDK. Built on the dynamic API; header-only.
//
//   ehtrace::otel::exporter otel("myservice");
//   otel.set_resource("checkout", "pod-7");
//   ehtrace::otel::attribute const attributes[] = {{"user", "ann"}, {"retries", std::int64_t{2}}};
//   ehtrace::otel::log_record record;
//   record.severity_number = 13;
//   record.body = std::string_view("payment failed");
//   record.attributes = attributes;
//   otel.write(record);                                   // 0 or an errno value
#pragma once

#include <ehtrace/dynamic.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace ehtrace::otel {

// What the exporters write for an attribute or a body; other OpenTelemetry
// value kinds have no field form in their layout.
using value = std::variant<bool, std::int64_t, double, std::string_view>;

struct attribute {
    std::string_view key;
    otel::value value;
};

using trace_id = std::array<std::uint8_t, 16>;
using span_id = std::array<std::uint8_t, 8>;
using time_point = std::chrono::system_clock::time_point;

struct trace_context {
    otel::trace_id trace_id{};
    otel::span_id span_id{};
};

struct log_record {
    std::optional<time_point> time;  // now when not set
    int severity_number = 9;         // OpenTelemetry's 1 (TRACE) .. 24 (FATAL4): INFO
    std::string_view severity_text;  // left out when empty
    std::optional<value> body;
    std::string_view event_name;  // PartB.name; left out when empty
    std::optional<std::int64_t> event_id;
    std::optional<trace_context> context;
    std::span<const attribute> attributes;
};

enum class span_kind : std::uint8_t { internal, server, client, producer, consumer };
enum class status_code : std::uint8_t { unset, ok, error };

struct link {
    otel::trace_id trace_id{};
    otel::span_id span_id{};
};

struct span {
    std::string_view name;
    span_kind kind = span_kind::internal;
    time_point start{}, end{};
    trace_context context;
    std::optional<span_id> parent;
    status_code status = status_code::unset;
    std::string_view status_message;  // left out when empty
    std::span<const link> links;
    std::span<const attribute> attributes;
};

namespace detail {

inline void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t count) {
    constexpr char digits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < count; ++i) {
        out.push_back(digits[bytes[i] >> 4]);
        out.push_back(digits[bytes[i] & 0xF]);
    }
}

template <std::size_t N>
std::string hex(const std::array<std::uint8_t, N>& id) {
    std::string text;
    append_hex(text, id.data(), N);
    return text;
}

// RFC 3339 in UTC with "Z" and as many fraction digits as the time needs in
// steps of three (0, 3, 6 or 9), as chrono's SecondsFormat::AutoSi prints it.
inline std::string rfc3339(time_point t) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    std::int64_t seconds = ns / 1'000'000'000;
    std::int64_t fraction = ns % 1'000'000'000;
    if (fraction < 0) fraction += 1'000'000'000, --seconds;
    const std::time_t tt = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char text[48];
    std::size_t size = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out(text, size);
    if (fraction != 0) {
        int digits = 9;
        std::int64_t f = fraction;
        if (f % 1'000'000 == 0) digits = 3, f /= 1'000'000;
        else if (f % 1'000 == 0) digits = 6, f /= 1'000;
        std::string part = std::to_string(f);
        out.push_back('.');
        out.append(static_cast<std::size_t>(digits) - part.size(), '0').append(part);
    }
    out.push_back('Z');
    return out;
}

inline void add_value(dynamic::event_builder& b, std::string_view name, const value& v) {
    if (const auto* x = std::get_if<bool>(&v)) b.add_value(name, *x, field_format::boolean);
    else if (const auto* i = std::get_if<std::int64_t>(&v)) b.add_value(name, *i, field_format::signed_int);
    else if (const auto* d = std::get_if<double>(&v)) b.add_value(name, *d, field_format::floating);
    else b.add_string(name, std::get<std::string_view>(v));
}

}  // namespace detail

// One builder inside: use an exporter from one thread at a time (one per
// thread, or behind a lock).
class exporter {
public:
    // Registers <provider>_L1K1 .. _L5K1, as the Rust log exporter does.
    explicit exporter(std::string_view provider_name) : provider_(provider_name) {
        for (std::uint8_t level = 1; level <= 5; ++level) sets_[level] = provider_.register_set(level, 1);
    }

    // PartA's ext_cloud_role and ext_cloud_roleInstance, which a decoder
    // gives back as service.name and service.instance.id; empty: left out.
    void set_resource(std::string_view service_name, std::string_view instance_id = {}) {
        role_ = service_name;
        role_instance_ = instance_id;
    }

    // The tracepoint a log record of this severity goes to (the exporters'
    // mapping: TRACE/DEBUG 5, INFO 4, WARN 3, ERROR 2, FATAL 1).
    [[nodiscard]] static std::uint8_t level_of(int severity_number) noexcept {
        if (severity_number >= 21) return 1;
        if (severity_number >= 17) return 2;
        if (severity_number >= 13) return 3;
        if (severity_number >= 9) return 4;
        return 5;
    }

    [[nodiscard]] bool enabled(int severity_number) const noexcept {
        const auto* set = sets_[level_of(severity_number)];
        return set != nullptr && set->enabled();
    }

    // 0, or an errno value (EBADF when nobody listens).
    int write(const log_record& r) {
        const auto* set = sets_[level_of(r.severity_number)];
        if (set == nullptr) return provider_.error() != 0 ? provider_.error() : EINVAL;
        if (!set->enabled()) return EBADF;
        builder_.reset("Log");
        builder_.add_value("__csver__", std::uint32_t{0x400}, field_format::unsigned_int);
        part_a(r.time.value_or(std::chrono::system_clock::now()), r.context);
        add_attributes(r.attributes);  // PartC before PartB, as the Rust exporter writes them
        const auto b = builder_.begin_struct("PartB");
        builder_.add_string("_typeName", "Log");
        if (r.body) detail::add_value(builder_, "body", *r.body);
        builder_.add_value("severityNumber", static_cast<std::int16_t>(r.severity_number), field_format::signed_int);
        if (!r.severity_text.empty()) builder_.add_string("severityText", r.severity_text);
        if (r.event_id) builder_.add_value("eventId", *r.event_id, field_format::signed_int);
        if (!r.event_name.empty()) builder_.add_string("name", r.event_name);
        builder_.end_struct(b);
        return builder_.write(*set);
    }

    int write(const span& s) {
        const auto* set = sets_[4];
        if (set == nullptr) return provider_.error() != 0 ? provider_.error() : EINVAL;
        if (!set->enabled()) return EBADF;
        builder_.reset("Span");
        builder_.set_opcode(event_opcode::info);
        builder_.add_value("__csver__", std::uint32_t{0x400}, field_format::unsigned_int);
        part_a(s.end, s.context);
        const auto b = builder_.begin_struct("PartB");
        builder_.add_string("_typeName", "Span");
        builder_.add_string("name", s.name);
        builder_.add_string("parentId", s.parent ? detail::hex(*s.parent) : std::string());
        builder_.add_string("startTime", detail::rfc3339(s.start));
        builder_.add_value("success", s.status != status_code::error, field_format::boolean);
        builder_.add_value("kind", static_cast<std::int32_t>(s.kind), field_format::unsigned_int);
        if (!s.links.empty()) {
            std::string json("[");
            for (const auto& l : s.links) {
                if (json.size() > 1) json.push_back(',');
                json.append("{\"toTraceId\":\"").append(detail::hex(l.trace_id));
                json.append("\",\"toSpanId\":\"").append(detail::hex(l.span_id)).append("\"}");
            }
            json.push_back(']');
            builder_.add_string("links", json);
        }
        if (!s.status_message.empty()) builder_.add_string("statusMessage", s.status_message);
        builder_.end_struct(b);
        add_attributes(s.attributes);
        return builder_.write(*set);
    }

private:
    void part_a(time_point time, const std::optional<trace_context>& context) {
        const auto a = builder_.begin_struct("PartA");
        builder_.add_string("time", detail::rfc3339(time));
        if (context) {
            builder_.add_string("ext_dt_traceId", detail::hex(context->trace_id));
            builder_.add_string("ext_dt_spanId", detail::hex(context->span_id));
        }
        if (!role_.empty()) builder_.add_string("ext_cloud_role", role_);
        if (!role_instance_.empty()) builder_.add_string("ext_cloud_roleInstance", role_instance_);
        builder_.end_struct(a);
    }

    void add_attributes(std::span<const attribute> attributes) {
        if (attributes.empty()) return;
        const auto c = builder_.begin_struct("PartC");  // more than 127 attributes: error() says so
        for (const auto& a : attributes) detail::add_value(builder_, a.key, a.value);
        builder_.end_struct(c);
    }

    dynamic::provider provider_;
    std::array<dynamic::event_set*, 6> sets_{};
    dynamic::event_builder builder_;
    std::string role_, role_instance_;
};

}  // namespace ehtrace::otel
