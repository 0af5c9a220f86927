// The dynamic API as an OpenTelemetry-style log exporter uses it: one
// thread_local builder reused per record, field names from attribute keys,
// nested parts opened with a bookmark and closed with a back-patched count,
// one event set per level with a fixed keyword. The records are decoded with
// the project's decoder and checked as JSON.
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/dynamic.hpp>

#include "dynamic_test_support.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace {

using ehtrace::dynamic::event_builder;

// A log record as an exporter receives it.
using attribute_value =
    std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>, std::vector<std::int64_t>>;
struct attribute {
    std::string key;
    attribute_value value;
};
struct log_record {
    std::int64_t time_seconds;
    int severity_number;  // OpenTelemetry 1..24
    std::string severity_text;
    std::string body;
    std::string event_name;
    std::vector<attribute> attributes;
};

class log_exporter {
public:
    static constexpr std::uint64_t keyword = 1;

    log_exporter() : provider_("OpenTelemetry_Logs") {}

    int export_record(const log_record& record) {
        const std::uint8_t level = level_of(record.severity_number);
        ehtrace::dynamic::event_set* set = provider_.register_set(level, keyword);
        if (set == nullptr || !set->enabled()) return 0;

        thread_local event_builder builder;
        builder.reset(record.event_name.empty() ? "Log" : record.event_name);
        builder.add_value("__csver__", std::uint16_t{0x400}, ehtrace::field_format::hex_int);

        auto part_a = builder.begin_struct("PartA");
        builder.add_time("time", record.time_seconds);
        builder.end_struct(part_a);

        auto part_b = builder.begin_struct("PartB");
        builder.add_string("_typeName", "Log");
        builder.add_string("body", record.body);
        builder.add_value("severityNumber", static_cast<std::int8_t>(record.severity_number));
        builder.add_string("severityText", record.severity_text);
        builder.end_struct(part_b);

        auto part_c = builder.begin_struct("PartC");
        for (const auto& a : record.attributes) add_attribute(builder, a);
        builder.end_struct(part_c);
        return builder.write(*set);
    }

private:
    static std::uint8_t level_of(int severity) {
        if (severity >= 21) return 1;  // fatal -> critical
        if (severity >= 17) return 2;  // error
        if (severity >= 13) return 3;  // warning
        if (severity >= 9) return 4;   // info
        return 5;                      // debug, trace -> verbose
    }

    static void add_attribute(event_builder& b, const attribute& a) {
        std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::string>) {
                    b.add_string(a.key, v);
                } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                    views_.assign(v.begin(), v.end());
                    b.add_string_array(a.key, views_.data(), views_.size());
                } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
                    b.add_array(a.key, v.data(), v.size());
                } else {
                    b.add_value(a.key, v);
                }
            },
            a.value);
    }

    ehtrace::dynamic::provider provider_;
    static thread_local std::vector<std::string_view> views_;
};
thread_local std::vector<std::string_view> log_exporter::views_;

std::string json_of(const ehtrace::memory_sink::record& r) {
    std::string out;
    const auto* data = reinterpret_cast<const std::byte*>(r.bytes.data());
    const auto error = ehtrace::decode::format_event_json(out, r.tracepoint_name, std::span(data, r.bytes.size()));
    EXPECT_EQ(error, ehtrace::decode::decode_error::none) << out;
    return out;
}

TEST(DynamicExporter, LogRecordsDecodeToTheExpectedJson) {
    dynamic_test::memory_capture capture;
    log_exporter exporter;

    ASSERT_EQ(exporter.export_record({1700000000,
                                      9,
                                      "INFO",
                                      "user logged in",
                                      "",
                                      {{"user.id", std::int64_t{42}},
                                       {"http.method", std::string("GET")},
                                       {"sampled", true},
                                       {"duration", 0.25},
                                       {"roles", std::vector<std::string>{"admin", "dev"}},
                                       {"ports", std::vector<std::int64_t>{80, 443}}}}),
              0);
    ASSERT_EQ(exporter.export_record({1700000001, 17, "ERROR", "disk \"full\"", "DiskEvent", {}}), 0);
    ASSERT_EQ(exporter.export_record({1700000002, 1, "TRACE", "", "", {{"empty", std::vector<std::string>{}}}}), 0);

    const auto records = capture.records();
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[0].tracepoint_name, "OpenTelemetry_Logs_L4K1");
    EXPECT_EQ(records[1].tracepoint_name, "OpenTelemetry_Logs_L2K1");
    EXPECT_EQ(records[2].tracepoint_name, "OpenTelemetry_Logs_L5K1");

    EXPECT_EQ(json_of(records[0]),
              R"({"n":"OpenTelemetry_Logs:Log","__csver__":"0x400",)"
              R"("PartA":{"time":"2023-11-14T22:13:20"},)"
              R"("PartB":{"_typeName":"Log","body":"user logged in","severityNumber":9,"severityText":"INFO"},)"
              R"("PartC":{"user.id":42,"http.method":"GET","sampled":true,"duration":0.25,)"
              R"("roles":["admin","dev"],"ports":[80,443]},)"
              R"("meta":{"level":4,"keyword":"0x1"}})");
    // No attributes: PartC is empty and left out.
    EXPECT_EQ(json_of(records[1]),
              R"({"n":"OpenTelemetry_Logs:DiskEvent","__csver__":"0x400",)"
              R"("PartA":{"time":"2023-11-14T22:13:21"},)"
              R"("PartB":{"_typeName":"Log","body":"disk \"full\"","severityNumber":17,"severityText":"ERROR"},)"
              R"("meta":{"level":2,"keyword":"0x1"}})");
    EXPECT_EQ(json_of(records[2]), R"({"n":"OpenTelemetry_Logs:Log","__csver__":"0x400",)"
                                   R"("PartA":{"time":"2023-11-14T22:13:22"},)"
                                   R"("PartB":{"_typeName":"Log","body":"","severityNumber":1,"severityText":"TRACE"},)"
                                   R"("PartC":{"empty":[]},)"
                                   R"("meta":{"level":5,"keyword":"0x1"}})");
}

TEST(DynamicExporter, ABadAttributeKeyFailsOneRecordOnly) {
    dynamic_test::memory_capture capture;
    log_exporter exporter;
    EXPECT_EQ(exporter.export_record({0, 9, "INFO", "x", "", {{"bad;key", std::int64_t{1}}}}), EINVAL);
    EXPECT_EQ(exporter.export_record({0, 9, "INFO", "y", "", {{"good", std::int64_t{1}}}}), 0);
    EXPECT_EQ(capture.records().size(), 1u);
}

}  // namespace
