// <ehtrace/otel.hpp> round trip: log records and spans written by the
// writer API, decoded by ehtrace to OTLP/JSON, equal to what was written.
#include "otlp_test_support.hpp"

#include <ehtrace/otel.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace {

using namespace std::chrono_literals;
using ehtrace::decode::output_format;
using otlp_test::decode_all;

constexpr ehtrace::otel::trace_id trace{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd,
                                        0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c};
constexpr ehtrace::otel::span_id span{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31};
constexpr ehtrace::otel::span_id parent{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
const ehtrace::otel::time_point t0{std::chrono::seconds{1741064767}};

TEST(OtelWriter, LogRecordRoundTrip) {
    otlp_test::capture capture;
    ehtrace::otel::exporter otel("myservice");
    otel.set_resource("checkout", "pod-7");
    const ehtrace::otel::attribute attributes[] = {
        {"user", std::string_view("ann")}, {"retries", std::int64_t{-2}}, {"ratio", 0.5}, {"ok", false}};
    ehtrace::otel::log_record r;
    r.time = t0 + 123ms;
    r.severity_number = 13;
    r.severity_text = "WARN";
    r.body = std::string_view("payment \"failed\"");
    r.event_name = "checkout.failed";
    r.event_id = 20;
    r.context = ehtrace::otel::trace_context{trace, span};
    r.attributes = attributes;
    ASSERT_EQ(otel.write(r), 0);
    ehtrace::otel::log_record minimal;
    minimal.time = t0;
    minimal.severity_number = 1;
    minimal.body = true;
    ASSERT_EQ(otel.write(minimal), 0);

    const auto records = capture.records();
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].tracepoint_name, "myservice_L3K1");
    EXPECT_EQ(records[1].tracepoint_name, "myservice_L5K1");
    EXPECT_EQ(
        decode_all(capture, output_format::otlp_logs),
        R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}},)"
        R"({"key":"service.instance.id","value":{"stringValue":"pod-7"}}]},"scopeLogs":[{"scope":{"name":"myservice"},)"
        R"("logRecords":[{"timeUnixNano":"1741064767123000000","severityNumber":13,"severityText":"WARN",)"
        R"("body":{"stringValue":"payment \"failed\""},"attributes":[{"key":"user","value":{"stringValue":"ann"}},)"
        R"({"key":"retries","value":{"intValue":"-2"}},{"key":"ratio","value":{"doubleValue":0.5}},)"
        R"({"key":"ok","value":{"boolValue":false}},{"key":"event_id","value":{"intValue":"20"}}],)"
        R"("traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","eventName":"checkout.failed"},)"
        R"({"timeUnixNano":"1741064767000000000","severityNumber":1,"body":{"boolValue":true}}]}]}]})"
        "\n");
}

TEST(OtelWriter, TimeTextIsRfc3339WithAutoFractionDigits) {
    using ehtrace::otel::detail::rfc3339;
    EXPECT_EQ(rfc3339(t0), "2025-03-04T05:06:07Z");
    EXPECT_EQ(rfc3339(t0 + 120ms), "2025-03-04T05:06:07.120Z");
    EXPECT_EQ(rfc3339(t0 + 5us), "2025-03-04T05:06:07.000005Z");
    EXPECT_EQ(rfc3339(t0 + 7ns), "2025-03-04T05:06:07.000000007Z");
}

TEST(OtelWriter, SpanRoundTrip) {
    otlp_test::capture capture;
    ehtrace::otel::exporter otel("myservice");
    const ehtrace::otel::attribute attributes[] = {{"http.route", std::string_view("/cart")}};
    const ehtrace::otel::link links[] = {{trace, parent}};
    ehtrace::otel::span s;
    s.name = "GET /cart";
    s.kind = ehtrace::otel::span_kind::server;
    s.start = t0;
    s.end = t0 + 1500us;
    s.context = {trace, span};
    s.parent = parent;
    s.status = ehtrace::otel::status_code::error;
    s.status_message = "timeout";
    s.links = links;
    s.attributes = attributes;
    ASSERT_EQ(otel.write(s), 0);
    ehtrace::otel::span root;
    root.name = "root";
    root.start = root.end = t0;
    root.context = {trace, parent};
    ASSERT_EQ(otel.write(root), 0);

    const auto records = capture.records();
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].tracepoint_name, "myservice_L4K1");
    EXPECT_EQ(
        decode_all(capture, output_format::otlp_traces),
        R"({"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"myservice"},"spans":[)"
        R"({"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","parentSpanId":"00f067aa0ba902b7",)"
        R"("name":"GET /cart","kind":2,"startTimeUnixNano":"1741064767000000000","endTimeUnixNano":"1741064767001500000",)"
        R"("attributes":[{"key":"http.route","value":{"stringValue":"/cart"}}],)"
        R"("links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7"}],)"
        R"("status":{"message":"timeout","code":2}},)"
        R"({"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","name":"root","kind":1,)"
        R"("startTimeUnixNano":"1741064767000000000","endTimeUnixNano":"1741064767000000000"}]}]}]})"
        "\n");
}

}  // namespace
