// The OTLP checker itself: it accepts the specification's examples (as
// Debian's opentelemetry-proto ships them) and refuses what the OTLP JSON
// rules forbid, so a pass of the decoder's output means something.
#include "otlp_schema_check.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace {

using otlp_test::otlp_problem;

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(OtlpSchema, AcceptsTheSpecificationExamples) {
    const std::string logs = read(OTLP_EXAMPLES_DIR "/logs.json");
    const std::string trace = read(OTLP_EXAMPLES_DIR "/trace.json");
    ASSERT_FALSE(logs.empty());
    ASSERT_FALSE(trace.empty());
    EXPECT_EQ(otlp_problem(logs, false, false), "");
    EXPECT_EQ(otlp_problem(trace, true, false), "");
}

TEST(OtlpSchema, RefusesWhatTheRulesForbid) {
    const auto log = [](std::string_view record) {
        return R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[)" + std::string(record) + "]}]}]}";
    };
    EXPECT_EQ(otlp_problem(log(R"({"severityNumber":9,"traceId":"0af7651916cd43dd8448eb211c80319c"})"), false), "");
    EXPECT_NE(otlp_problem(log(R"({"severity":9})"), false), "");                             // unknown key
    EXPECT_NE(otlp_problem(log(R"({"severity_number":9})"), false), "");                      // snake_case
    EXPECT_NE(otlp_problem(log(R"({"severityNumber":"SEVERITY_NUMBER_INFO"})"), false), "");  // enum name
    EXPECT_NE(otlp_problem(log(R"({"timeUnixNano":12})"), false), "");                        // 64-bit as a number
    EXPECT_NE(otlp_problem(log(R"({"timeUnixNano":"x"})"), false), "");
    EXPECT_NE(otlp_problem(log(R"({"traceId":"0AF7651916CD43DD8448EB211C80319C"})"), false), "");
    EXPECT_NE(otlp_problem(log(R"({"spanId":"0af7651916cd43dd8448eb211c80319c"})"), false), "");  // 16 bytes
    EXPECT_NE(otlp_problem(log(R"({"body":{"intValue":1.5}})"), false), "");
    EXPECT_NE(otlp_problem(R"({"resourceSpans":[]})", false), "");  // wrong signal
    EXPECT_EQ(otlp_problem(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":2}]}]}]})", true), "");
    EXPECT_NE(otlp_problem(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_SERVER"}]}]}]})", true),
              "");
}

}  // namespace
