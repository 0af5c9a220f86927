// The OpenTelemetry user_events exporters' events, written here with the
// dynamic builder in each exporter version's layout (field order, types,
// time text, as read in the exporters' sources), decoded to OTLP/JSON.
// Each test names the exporter source it follows.
#include "otlp_test_support.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace {

using ehtrace::field_format;
using ehtrace::dynamic::event_builder;
using otlp_test::decode_all;

constexpr char trace_id[] = "0af7651916cd43dd8448eb211c80319c";
constexpr char span_id[] = "b7ad6b7169203331";

// opentelemetry-rust-contrib, opentelemetry-user-events-logs,
// src/logs/exporter.rs (flat PartA: ext_dt_traceId ...; PartC before PartB;
// __csver__ u32; event name "Log"; chrono to_rfc3339, "+00:00").
TEST(OtlpLayouts, RustLogsFlatPartA) {
    otlp_test::capture capture;
    ehtrace::dynamic::provider provider("myprovider");
    auto* set = provider.register_set(3, 1);
    ASSERT_NE(set, nullptr);
    event_builder b;
    b.reset("Log");
    b.add_value("__csver__", std::uint32_t{1024}, field_format::unsigned_int);
    auto a = b.begin_struct("PartA");
    b.add_string("time", "2025-03-04T05:06:07.123456789+00:00");
    b.add_string("ext_dt_traceId", trace_id);
    b.add_string("ext_dt_spanId", span_id);
    b.add_string("ext_cloud_role", "checkout");
    b.add_string("ext_cloud_roleInstance", "pod-7");
    b.end_struct(a);
    auto c = b.begin_struct("PartC");
    b.add_value("user_id", std::int64_t{-42}, field_format::signed_int);
    b.add_value("ratio", 0.25, field_format::floating);
    b.add_value("ok", true, field_format::boolean);
    b.add_string("path", "/a\"b");
    b.end_struct(c);
    auto pb = b.begin_struct("PartB");
    b.add_string("_typeName", "Log");
    b.add_string("body", "payment failed");
    b.add_value("severityNumber", std::int16_t{13}, field_format::signed_int);
    b.add_string("severityText", "WARN");
    b.add_value("eventId", std::int64_t{20}, field_format::signed_int);
    b.add_string("name", "checkout.failed");
    b.end_struct(pb);
    ASSERT_EQ(b.write(*set), 0);

    EXPECT_EQ(
        decode_all(capture, ehtrace::decode::output_format::otlp_logs),
        R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}},)"
        R"({"key":"service.instance.id","value":{"stringValue":"pod-7"}}]},"scopeLogs":[{"scope":{"name":"myprovider"},)"
        R"("logRecords":[{"timeUnixNano":"1741064767123456789","severityNumber":13,"severityText":"WARN",)"
        R"("body":{"stringValue":"payment failed"},"attributes":[{"key":"user_id","value":{"intValue":"-42"}},)"
        R"({"key":"ratio","value":{"doubleValue":0.25}},{"key":"ok","value":{"boolValue":true}},)"
        R"({"key":"path","value":{"stringValue":"/a\"b"}},{"key":"event_id","value":{"intValue":"20"}}],)"
        R"("traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","eventName":"checkout.failed"}]}]}]})"
        "\n");
    // Not a span: nothing in the traces output.
    EXPECT_EQ(decode_all(capture, ehtrace::decode::output_format::otlp_traces), "");
}

// opentelemetry-user-events-logs before the flat PartA (exporter.rs with
// nested ext_dt{traceId,spanId} and ext_cloud{role,roleInstance} structs),
// body an i64, time with a "Z" (the later to_rfc3339_opts form).
TEST(OtlpLayouts, RustLogsNestedPartA) {
    otlp_test::capture capture;
    ehtrace::dynamic::provider provider("myprovider");
    auto* set = provider.register_set(4, 1);
    event_builder b;
    b.reset("Log");
    b.add_value("__csver__", std::uint32_t{1024}, field_format::unsigned_int);
    auto a = b.begin_struct("PartA");
    b.add_string("time", "2025-03-04T05:06:07Z");
    auto dt = b.begin_struct("ext_dt");
    b.add_string("traceId", trace_id);
    b.add_string("spanId", span_id);
    b.end_struct(dt);
    auto cloud = b.begin_struct("ext_cloud");
    b.add_string("role", "svc");
    b.end_struct(cloud);
    b.end_struct(a);
    auto pb = b.begin_struct("PartB");
    b.add_string("_typeName", "Log");
    b.add_value("body", std::int64_t{7}, field_format::signed_int);
    b.add_value("severityNumber", std::int16_t{9}, field_format::signed_int);
    b.end_struct(pb);
    ASSERT_EQ(b.write(*set), 0);
    EXPECT_EQ(decode_all(capture, ehtrace::decode::output_format::otlp_logs),
              R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},)"
              R"("scopeLogs":[{"scope":{"name":"myprovider"},"logRecords":[{"timeUnixNano":"1741064767000000000",)"
              R"("severityNumber":9,"body":{"intValue":"7"},"traceId":"0af7651916cd43dd8448eb211c80319c",)"
              R"("spanId":"b7ad6b7169203331"}]}]}]})"
              "\n");
}

// opentelemetry-cpp-contrib exporters/user_events/src/recordable.cc: event
// name = the record's event name (else "Logs"), __csver__ u16 0x400, no
// PartA, PartB {_typeName, severityNumber u16, severityText, eventId, body},
// PartC after PartB; TRACE severities on level 6.
TEST(OtlpLayouts, CppLogs) {
    otlp_test::capture capture;
    ehtrace::dynamic::provider provider("opentelemetry_logs");
    auto* set = provider.register_set(6, 1);
    event_builder b;
    b.reset("OrderPlaced");
    b.add_value("__csver__", std::uint16_t{0x400}, field_format::unsigned_int);
    auto pb = b.begin_struct("PartB");
    b.add_string("_typeName", "Log");
    b.add_value("severityNumber", std::uint16_t{1});
    b.add_zstring("severityText", "TRACE");
    b.add_value("eventId", std::int64_t{5}, field_format::signed_int);
    b.add_string("body", "placed");
    b.end_struct(pb);
    auto c = b.begin_struct("PartC");
    b.add_value("count", std::int32_t{3}, field_format::signed_int);
    b.add_value("big", std::uint64_t{18446744073709551615u});
    b.end_struct(c);
    ASSERT_EQ(b.write(*set), 0);
    b.reset("Logs");
    b.add_value("__csver__", std::uint16_t{0x400}, field_format::unsigned_int);
    pb = b.begin_struct("PartB");
    b.add_string("_typeName", "Log");
    b.add_value("severityNumber", std::uint16_t{17});
    b.add_zstring("severityText", "ERROR");
    b.add_string("body", "no name");
    b.end_struct(pb);
    ASSERT_EQ(b.write(*set), 0);
    EXPECT_EQ(
        decode_all(capture, ehtrace::decode::output_format::otlp_logs),
        R"({"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{"name":"opentelemetry_logs"},"logRecords":[)"
        R"({"severityNumber":1,"severityText":"TRACE","body":{"stringValue":"placed"},)"
        R"("attributes":[{"key":"count","value":{"intValue":"3"}},{"key":"big","value":{"stringValue":"18446744073709551615"}},)"
        R"({"key":"event_id","value":{"intValue":"5"}}],"eventName":"OrderPlaced"},)"
        R"({"severityNumber":17,"severityText":"ERROR","body":{"stringValue":"no name"}}]}]}]})"
        "\n");
}

// opentelemetry-user-events-trace src/trace/exporter.rs: "Span", opcode
// info, level 4, __csver__ 1024 as a 32-bit value, PartA {time (end),
// ext_dt_traceId, ext_dt_spanId}, PartB {_typeName, name, parentId,
// startTime, success, kind 0-4}, PartC the attributes; plus links and
// statusMessage as the issue's later exporter writes them.
TEST(OtlpLayouts, RustSpansFlat) {
    otlp_test::capture capture;
    ehtrace::dynamic::provider provider("myprovider");
    auto* set = provider.register_set(4, 1);
    event_builder b;
    b.reset("Span").set_opcode(ehtrace::event_opcode::info);
    b.add_value("__csver__", std::int32_t{1024}, field_format::unsigned_int);
    auto a = b.begin_struct("PartA");
    b.add_string("time", "2025-03-04T05:06:08.5+00:00");
    b.add_string("ext_dt_traceId", trace_id);
    b.add_string("ext_dt_spanId", span_id);
    b.end_struct(a);
    auto pb = b.begin_struct("PartB");
    b.add_string("_typeName", "Span");
    b.add_string("name", "GET /cart");
    b.add_string("parentId", "00f067aa0ba902b7");
    b.add_string("startTime", "2025-03-04T05:06:07.25+00:00");
    b.add_value("success", false, field_format::boolean);
    b.add_value("kind", std::int32_t{1}, field_format::unsigned_int);
    b.add_string("httpMethod", "GET");
    b.add_string("links", R"([{"toTraceId":"4bf92f3577b34da6a3ce929d0e0e4736","toSpanId":"00f067aa0ba902b8"}])");
    b.add_string("statusMessage", "timeout");
    b.end_struct(pb);
    auto c = b.begin_struct("PartC");
    b.add_value("retries", std::int64_t{2}, field_format::signed_int);
    b.end_struct(c);
    ASSERT_EQ(b.write(*set), 0);
    EXPECT_EQ(
        decode_all(capture, ehtrace::decode::output_format::otlp_traces),
        R"({"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"myprovider"},"spans":[)"
        R"({"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","parentSpanId":"00f067aa0ba902b7",)"
        R"("name":"GET /cart","kind":2,"startTimeUnixNano":"1741064767250000000","endTimeUnixNano":"1741064768500000000",)"
        R"("attributes":[{"key":"retries","value":{"intValue":"2"}},{"key":"http.method","value":{"stringValue":"GET"}}],)"
        R"("links":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b8"}],)"
        R"("status":{"message":"timeout","code":2}}]}]}]})"
        "\n");
    EXPECT_EQ(decode_all(capture, ehtrace::decode::output_format::otlp_logs), "");
}

// opentelemetry-user-events-trace src/traces/exporter.rs (the first
// version): nested PartA.ext_dt, kind as a name ("client"), every attribute
// as a string, a root span's parentId all zeros.
TEST(OtlpLayouts, RustSpansEarly) {
    otlp_test::capture capture;
    ehtrace::dynamic::provider provider("myprovider");
    auto* set = provider.register_set(4, 1);
    event_builder b;
    b.reset("Span").set_opcode(ehtrace::event_opcode::info);
    b.add_value("__csver__", std::int32_t{1024}, field_format::unsigned_int);
    auto a = b.begin_struct("PartA");
    b.add_string("time", "2025-03-04T05:06:08+00:00");
    auto dt = b.begin_struct("ext_dt");
    b.add_string("traceId", trace_id);
    b.add_string("spanId", span_id);
    b.end_struct(dt);
    b.end_struct(a);
    auto pb = b.begin_struct("PartB");
    b.add_string("_typeName", "Span");
    b.add_string("name", "root");
    b.add_string("parentId", "0000000000000000");
    b.add_string("startTime", "2025-03-04T05:06:07+00:00");
    b.add_value("success", true, field_format::boolean);
    b.add_string("kind", "client");
    b.end_struct(pb);
    auto c = b.begin_struct("PartC");
    b.add_string("peer", "db");
    b.end_struct(c);
    ASSERT_EQ(b.write(*set), 0);
    EXPECT_EQ(decode_all(capture, ehtrace::decode::output_format::otlp_traces),
              R"({"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"myprovider"},"spans":[)"
              R"({"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"root","kind":3,)"
              R"("startTimeUnixNano":"1741064767000000000","endTimeUnixNano":"1741064768000000000",)"
              R"("attributes":[{"key":"peer","value":{"stringValue":"db"}}]}]}]}]})"
              "\n");
}

// opentelemetry-dotnet-contrib, OpenTelemetry.Exporter.Geneva,
// Internal/EventHeader/EventHeaderLogExporter.cs and EventHeaderExporter.cs
// (.NET, Microsoft.LinuxTracepoints' EventHeaderDynamicBuilder): provider
// MicrosoftOpenTelemetryLogs, every record on level 4 keyword 1, event name
// "Log" (or the category, with table mappings); __csver__ u16 1024 in hex;
// every string UTF-16 (AddString16) but PartC's env_properties (UTF-8 JSON,
// AddString8); PartA {time ("yyyy-MM-ddTHH:mm:ss.FFFFFFZ"), prepopulated
// fields such as ext_cloud_role, ext_dt_traceId, ext_dt_spanId, ext_ex_type,
// ext_ex_msg, ext_ex_stack}; PartB {_typeName, severityText (the .NET level
// name), severityNumber u8, eventId i32, body, name (the category)}; PartC
// after PartB: int i32, long i64, bool u8 with the boolean format, float
// f32, double f64, string[] an array of UTF-16 strings.
TEST(OtlpLayouts, GenevaEventHeaderLogs) {
    otlp_test::capture capture;
    ehtrace::dynamic::provider provider("MicrosoftOpenTelemetryLogs");
    auto* set = provider.register_set(4, 1);
    ASSERT_NE(set, nullptr);
    event_builder b;
    b.reset("Log");
    b.add_value("__csver__", std::uint16_t{1024}, field_format::hex_int);
    auto a = b.begin_struct("PartA");
    b.add_string("time", u"2025-03-04T05:06:07.1234Z");
    b.add_string("ext_cloud_role", u"checkout");
    b.add_string("ext_cloud_roleInstance", u"pod-7");
    b.add_string("ext_dt_traceId", u"0af7651916cd43dd8448eb211c80319c");
    b.add_string("ext_dt_spanId", u"b7ad6b7169203331");
    b.add_string("ext_ex_type", u"System.InvalidOperationException");
    b.add_string("ext_ex_msg", u"Sequence contains no elements");
    b.add_string("ext_ex_stack", u"   at Orders.Place()\n   at Program.Main()");
    b.end_struct(a);
    auto pb = b.begin_struct("PartB");
    b.add_string("_typeName", u"Log");
    b.add_string("severityText", u"Warning");
    b.add_value("severityNumber", std::uint8_t{13});
    b.add_value("eventId", std::int32_t{7}, field_format::signed_int);
    b.add_string("body", u"Order 42 failed: Gr\u00fc\u00dfe \u2713 \U0001F600");  // a surrogate pair too
    b.add_string("name", u"Orders.Service");
    b.end_struct(pb);
    auto c = b.begin_struct("PartC");
    b.add_value("count", std::int32_t{3}, field_format::signed_int);
    b.add_value("total", std::int64_t{-5}, field_format::signed_int);
    b.add_value("ok", std::uint8_t{1}, field_format::boolean);
    b.add_value("ratio", 0.5f, field_format::floating);
    b.add_value("price", 2.25, field_format::floating);
    b.add_string("food", u"onion");
    const std::u16string_view tags[] = {u"a", u"\u00e9"};
    b.add_string_array("tags", tags, 2);
    b.add_string("env_properties", R"({"tenant":"t1"})");
    b.end_struct(c);
    ASSERT_EQ(b.write(*set), 0);

    // The first EventHeader version named the struct "partA"; with table
    // mappings "*" -> "*" the event is named after the category. No trace
    // context, a whole second, no body, no PartC.
    b.reset("OrdersService");
    b.add_value("__csver__", std::uint16_t{1024}, field_format::hex_int);
    a = b.begin_struct("partA");
    b.add_string("time", u"2025-03-04T05:06:08Z");
    b.add_string("ext_cloud_role", u"checkout");
    b.add_string("ext_cloud_roleInstance", u"pod-7");
    b.end_struct(a);
    pb = b.begin_struct("PartB");
    b.add_string("_typeName", u"Log");
    b.add_string("severityText", u"Information");
    b.add_value("severityNumber", std::uint8_t{9});
    b.add_string("name", u"Orders.Service");
    b.end_struct(pb);
    ASSERT_EQ(b.write(*set), 0);

    EXPECT_EQ(
        decode_all(capture, ehtrace::decode::output_format::otlp_logs),
        R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}},)"
        R"({"key":"service.instance.id","value":{"stringValue":"pod-7"}}]},"scopeLogs":[{"scope":)"
        R"({"name":"MicrosoftOpenTelemetryLogs"},"logRecords":[{"timeUnixNano":"1741064767123400000",)"
        R"("severityNumber":13,"severityText":"Warning","body":{"stringValue":"Order 42 failed: )"
        "Gr\u00fc\u00dfe \u2713 \U0001F600"
        R"("},"attributes":[{"key":"count","value":{"intValue":"3"}},{"key":"total","value":{"intValue":"-5"}},)"
        R"({"key":"ok","value":{"boolValue":true}},{"key":"ratio","value":{"doubleValue":0.5}},)"
        R"({"key":"price","value":{"doubleValue":2.25}},{"key":"food","value":{"stringValue":"onion"}},)"
        R"({"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":")"
        "\u00e9"
        R"("}]}}},{"key":"env_properties","value":{"stringValue":"{\"tenant\":\"t1\"}"}},)"
        R"({"key":"event_id","value":{"intValue":"7"}},)"
        R"({"key":"exception.type","value":{"stringValue":"System.InvalidOperationException"}},)"
        R"({"key":"exception.message","value":{"stringValue":"Sequence contains no elements"}},)"
        R"x({"key":"exception.stacktrace","value":{"stringValue":"   at Orders.Place()\n   at Program.Main()"}}],)x"
        R"("traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","eventName":"Orders.Service"},)"
        R"({"timeUnixNano":"1741064768000000000","severityNumber":9,"severityText":"Information",)"
        R"("eventName":"Orders.Service"}]}]}]})"
        "\n");
    // Log records only: nothing in the traces output.
    EXPECT_EQ(decode_all(capture, ehtrace::decode::output_format::otlp_traces), "");
}

// The Geneva exporter has no EventHeader span exporter (its spans go
// through MessagePack or TraceLogging): a span in the Rust trace exporter's
// fields with every string in UTF-16, as the Geneva log exporter writes
// strings, decodes to the same span as the UTF-8 one.
TEST(OtlpLayouts, SpanWithUtf16Strings) {
    otlp_test::capture capture;
    ehtrace::dynamic::provider provider("myprovider");
    auto* set = provider.register_set(4, 1);
    event_builder b;
    b.reset("Span");
    b.add_value("__csver__", std::uint16_t{1024}, field_format::hex_int);
    auto a = b.begin_struct("PartA");
    b.add_string("time", u"2025-03-04T05:06:08.5Z");
    b.add_string("ext_dt_traceId", u"0af7651916cd43dd8448eb211c80319c");
    b.add_string("ext_dt_spanId", u"b7ad6b7169203331");
    b.end_struct(a);
    auto pb = b.begin_struct("PartB");
    b.add_string("_typeName", u"Span");
    b.add_string("name", u"GET /caf\u00e9");
    b.add_string("parentId", u"00f067aa0ba902b7");
    b.add_string("startTime", u"2025-03-04T05:06:07.25Z");
    b.add_value("success", std::uint8_t{0}, field_format::boolean);
    b.add_value("kind", std::uint8_t{2});
    b.add_string("links", u"[{\"toTraceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"toSpanId\":\"00f067aa0ba902b8\"}]");
    b.add_string("statusMessage", u"timeout \u2713");
    b.add_string("httpUrl", u"http://x/caf\u00e9");
    b.end_struct(pb);
    ASSERT_EQ(b.write(*set), 0);
    EXPECT_EQ(
        decode_all(capture, ehtrace::decode::output_format::otlp_traces),
        R"({"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"myprovider"},"spans":[)"
        R"({"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","parentSpanId":"00f067aa0ba902b7",)"
        "\"name\":\"GET /caf\u00e9\","
        R"("kind":3,"startTimeUnixNano":"1741064767250000000","endTimeUnixNano":"1741064768500000000",)"
        "\"attributes\":[{\"key\":\"http.url\",\"value\":{\"stringValue\":\"http://x/caf\u00e9\"}}],"
        R"("links":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b8"}],)"
        "\"status\":{\"message\":\"timeout \u2713\",\"code\":2}}]}]}]}\n");
    EXPECT_EQ(decode_all(capture, ehtrace::decode::output_format::otlp_logs), "");
}

// Events that are not OpenTelemetry records are left out, or with
// --otlp-other become generic log records; arrays and structs as AnyValues.
TEST(OtlpLayouts, OtherEvents) {
    otlp_test::capture capture;
    ehtrace::dynamic::provider provider("Acme_Web");
    auto* set = provider.register_set(2, 1);
    event_builder b;
    b.reset("Request");
    b.add_string("url", "/");
    const std::int32_t codes[] = {1, 2};
    b.add_array("codes", codes, 2, field_format::signed_int);
    auto s = b.begin_struct("s");
    b.add_value("x", 1.5, field_format::floating);
    b.end_struct(s);
    ASSERT_EQ(b.write(*set), 0);
    // __csver__ of another major version: not ours either.
    b.reset("Log");
    b.add_value("__csver__", std::uint32_t{0x300}, field_format::unsigned_int);
    auto pb = b.begin_struct("PartB");
    b.add_string("body", "x");
    b.end_struct(pb);
    ASSERT_EQ(b.write(*set), 0);
    EXPECT_EQ(decode_all(capture, ehtrace::decode::output_format::otlp_logs), "");
    EXPECT_EQ(decode_all(capture, ehtrace::decode::output_format::otlp_logs, true),
              R"({"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{"name":"Acme_Web"},"logRecords":[)"
              R"({"severityNumber":17,"attributes":[{"key":"url","value":{"stringValue":"/"}},)"
              R"({"key":"codes","value":{"arrayValue":{"values":[{"intValue":"1"},{"intValue":"2"}]}}},)"
              R"({"key":"s","value":{"kvlistValue":{"values":[{"key":"x","value":{"doubleValue":1.5}}]}}}],)"
              R"("eventName":"Acme_Web:Request"}]}]}]})"
              "\n");
}

// Observed time from the sample's wall clock; records grouped by resource
// and then scope (provider), in order of first appearance.
TEST(OtlpLayouts, ObservedTimeAndGrouping) {
    using namespace ehtrace::decode;
    otlp_test::capture capture;
    ehtrace::dynamic::provider provider("P");
    auto* set = provider.register_set(4, 1);
    event_builder b;
    for (std::string_view role : {"a", "b", "a"}) {
        b.reset("Log");
        b.add_value("__csver__", std::uint32_t{1024}, field_format::unsigned_int);
        auto a = b.begin_struct("PartA");
        b.add_string("time", "1970-01-01T00:00:01.000000001+01:00");
        b.add_string("ext_cloud_role", role);
        b.end_struct(a);
        auto pb = b.begin_struct("PartB");
        b.add_string("_typeName", "Log");
        b.add_value("severityNumber", std::int16_t{9}, field_format::signed_int);
        b.end_struct(pb);
        ASSERT_EQ(b.write(*set), 0);
    }
    auto f = make_formatter(output_format::otlp_logs, {});
    std::string out;
    sample_decoder decoder;
    sample_meta meta;
    meta.has_time = meta.time_is_utc = true;
    meta.time_ns = 5;
    f->begin_input(out, "x");
    for (const auto& r : capture.records()) {
        EXPECT_TRUE(f->sample(out, decoder.decode_event(r.tracepoint_name, std::as_bytes(std::span(r.bytes)), meta)));
    }
    f->end_input(out);
    // 00:00:01 at +01:00 is before 1970 in UTC: the time is left out.
    EXPECT_EQ(
        out, R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"a"}}]},)"
             R"("scopeLogs":[{"scope":{"name":"P"},"logRecords":[{"observedTimeUnixNano":"5","severityNumber":9},)"
             R"({"observedTimeUnixNano":"5","severityNumber":9}]}]},)"
             R"({"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"b"}}]},)"
             R"("scopeLogs":[{"scope":{"name":"P"},"logRecords":[{"observedTimeUnixNano":"5","severityNumber":9}]}]}]})"
             "\n");
}

}  // namespace
