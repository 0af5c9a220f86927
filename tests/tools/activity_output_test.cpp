// Activities from the writer to the outputs that read them: the stop event
// of EHTRACE_ACTIVITY with fields (scope.stop), and the timeline and summary
// formatters on events with times, threads and ids chosen by the test (an
// unmatched stop, a cut trace, fields of both ends, exact percentiles).
#include "../writer/event_test_support.hpp"

#include <ehtrace/activity.hpp>
#include <ehtrace/decode/formatter.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/tracepoint_layout.hpp>
#include <ehtrace/provider.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

EHTRACE_PROVIDER(activity_test, "Activity_Test");

namespace {

using ehtrace::field;
using namespace ehtrace::decode;

std::span<const std::byte> event_bytes(const ehtrace::memory_sink::record& r) {
    return std::as_bytes(std::span(r.bytes));
}

std::string json_of(const ehtrace::memory_sink::record& r) {
    std::string out;
    format_event_json(out, r.tracepoint_name, event_bytes(r));
    return std::regex_replace(out, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<A>");
}

TEST(ActivityStop, StopCarriesFieldsAndTheScopeEndWritesNothing) {
    ehtrace_test::memory_capture capture;
    ehtrace::provider_registration registration(activity_test);
    {
        auto scope = EHTRACE_ACTIVITY(activity_test, "Request", ehtrace::level<4>, ehtrace::keyword<0x2>,
                                      field<"url">(std::string_view("/a")));
        EXPECT_EQ(ehtrace::current_activity(), &scope.id());
        EXPECT_EQ(scope.stop(field<"status">(200), field<"bytes">(std::uint64_t{512})), 0);
        EXPECT_EQ(ehtrace::current_activity(), nullptr);  // no longer the parent of what follows
        EXPECT_EQ(scope.stop(field<"status">(500)), EALREADY);
    }
    const auto records = capture.records();
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[1].tracepoint_name, "Activity_Test_L4K2");  // the start's level and keyword
    EXPECT_EQ(
        json_of(records[0]),
        R"({"n":"Activity_Test:Request","url":"/a","meta":{"level":4,"keyword":"0x2","opcode":1,"activity":"<A>"}})");
    EXPECT_EQ(
        json_of(records[1]),
        R"({"n":"Activity_Test:Request","status":200,"bytes":512,"meta":{"level":4,"keyword":"0x2","opcode":2,"activity":"<A>"}})");
    // Header (8 bytes), activity extension header (4), the id (16): the same in both.
    ASSERT_GE(records[1].bytes.size(), 28u);
    EXPECT_TRUE(
        std::equal(records[0].bytes.begin() + 12, records[0].bytes.begin() + 28, records[1].bytes.begin() + 12));
}

TEST(ActivityStop, WithoutStopTheScopeEndWritesAStopWithoutFields) {
    ehtrace_test::memory_capture capture;
    ehtrace::provider_registration registration(activity_test);
    { auto scope = EHTRACE_ACTIVITY(activity_test, "Plain", ehtrace::level<4>, field<"n">(1)); }
    const auto records = capture.records();
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(json_of(records[1]), R"({"n":"Activity_Test:Plain","meta":{"level":4,"opcode":2,"activity":"<A>"}})");
}

// Events with chosen times and threads, through one formatter.
class Output : public ::testing::Test {
protected:
    ehtrace_test::memory_capture capture;
    ehtrace::provider_registration registration{activity_test};
    struct at {
        std::uint64_t time_ns;
        std::uint32_t tid;
    };
    std::vector<at> when;

    static constexpr ehtrace::uuid a{{0xA, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
    static constexpr ehtrace::uuid b{{0xB, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
    static constexpr ehtrace::uuid x{{0xC, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3}};

    void start(const ehtrace::uuid& id, std::uint64_t time, std::uint32_t tid) {
        ASSERT_EQ(EHTRACE_WRITE(activity_test, "Work", ehtrace::level<4>,
                                ehtrace::opcode<ehtrace::event_opcode::activity_start>, ehtrace::activity(id),
                                field<"url">(std::string_view("/a"))),
                  0);
        when.push_back({time, tid});
    }
    void stop(const ehtrace::uuid& id, std::uint64_t time, std::uint32_t tid) {
        ASSERT_EQ(EHTRACE_WRITE(activity_test, "Work", ehtrace::level<4>,
                                ehtrace::opcode<ehtrace::event_opcode::activity_stop>, ehtrace::activity(id),
                                field<"url">(std::string_view("/b")), field<"status">(200)),
                  0);
        when.push_back({time, tid});
    }

    // Ten activities of 1 ms .. 10 ms, one after the other, started on
    // thread 7 and stopped on `stop_tid(k)`; returns the time after them.
    template <class StopTid>
    std::uint64_t ten_activities(StopTid stop_tid) {
        std::uint64_t t = 0;
        for (int k = 1; k <= 10; ++k) {
            ehtrace::uuid id{};
            id.bytes[0] = static_cast<std::uint8_t>(k);
            start(id, t, 7);
            t += static_cast<std::uint64_t>(k) * 1'000'000;
            stop(id, t, stop_tid(k));
        }
        return t;
    }

    std::string format(output_format kind) {
        const auto f = make_formatter(kind, {});
        std::string out;
        f->begin(out);
        f->begin_input(out, "in");
        sample_decoder decoder;
        const auto records = capture.records();
        EXPECT_EQ(records.size(), when.size());
        for (std::size_t i = 0; i < records.size() && i < when.size(); ++i) {
            sample_meta meta;
            meta.has_time = true;
            meta.time_ns = when[i].time_ns;
            meta.has_tid = true;
            meta.pid = 7;
            meta.tid = when[i].tid;
            meta.comm = when[i].tid == 7 ? "main" : "worker";
            f->sample(out, decoder.decode_event(records[i].tracepoint_name, event_bytes(records[i]), meta));
        }
        f->end_input(out);
        f->end(out);
        return out;
    }
};

TEST_F(Output, TimelineMarksUnmatchedEndsAndMergesFields) {
    stop(x, 1000, 7);  // its start is before the trace
    start(a, 2000, 7);
    start(b, 3500, 7);  // never stopped: the trace is cut
    stop(a, 5000, 7);
    ASSERT_EQ(EHTRACE_WRITE(activity_test, "Tick", ehtrace::level<4>, field<"n">(1)), 0);
    when.push_back({6000, 8});
    EXPECT_EQ(
        format(output_format::timeline),
        "{\"traceEvents\":[\n"
        R"({"ph":"M","name":"process_name","pid":7,"tid":7,"args":{"name":"main"}},)"
        "\n"
        R"({"ph":"M","name":"thread_name","pid":7,"tid":7,"args":{"name":"main"}},)"
        "\n"
        R"({"ph":"M","name":"thread_name","pid":7,"tid":8,"args":{"name":"worker"}},)"
        "\n"
        R"({"ph":"i","name":"Work","cat":"Activity_Test","ts":0,"s":"t","pid":7,"tid":7,"args":{"activity":"0c000000-0000-0000-0000-000000000003","url":"/b","status":200,"unmatched":"stop"}},)"
        "\n"
        R"({"ph":"X","name":"Work","cat":"Activity_Test","ts":1,"dur":3,"pid":7,"tid":7,"args":{"activity":"0a000000-0000-0000-0000-000000000001","url":"/a","url#2":"/b","status":200}},)"
        "\n"
        R"({"ph":"X","name":"Work","cat":"Activity_Test","ts":2.500,"dur":2.500,"pid":7,"tid":7,"args":{"activity":"0b000000-0000-0000-0000-000000000002","url":"/a","unmatched":"start"}},)"
        "\n"
        R"({"ph":"i","name":"Tick","cat":"Activity_Test","ts":5,"s":"t","pid":7,"tid":8,"args":{"n":1}})"
        "\n"
        "],\"displayTimeUnit\":\"ms\"}\n");
}

TEST_F(Output, TimelineShowsAnActivityAcrossThreadsAsAnAsyncPair) {
    start(a, 1000, 7);
    stop(a, 4000, 8);
    const std::string out = format(output_format::timeline);
    EXPECT_NE(
        out.find(
            R"({"ph":"b","name":"Work","cat":"Activity_Test","ts":0,"id":"0a000000-0000-0000-0000-000000000001","pid":7,"tid":7,)"),
        std::string::npos)
        << out;
    EXPECT_NE(
        out.find(
            R"({"ph":"e","name":"Work","cat":"Activity_Test","ts":3,"id":"0a000000-0000-0000-0000-000000000001","pid":7,"tid":8,)"),
        std::string::npos)
        << out;
    EXPECT_EQ(out.find("\"ph\":\"X\""), std::string::npos) << out;
}

TEST(Timeline, PlainTracepointsAreInstantsOnTheirThread) {
    tracepoint_layout format;
    ASSERT_TRUE(
        parse_tracepoint_layout("name: sched_wakeup\nID: 300\nformat:\n"
                                "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
                                "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
                                "\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
                                "\tfield:pid_t pid;\toffset:24;\tsize:4;\tsigned:1;\n"
                                "\tfield:int prio;\toffset:28;\tsize:4;\tsigned:1;\n",
                                format));
    format.system = "sched";
    std::vector<std::byte> raw(32);
    std::memcpy(raw.data() + 8, "bash", 4);
    const std::int32_t pid = 42, prio = 120;
    std::memcpy(raw.data() + 24, &pid, 4);
    std::memcpy(raw.data() + 28, &prio, 4);
    sample_meta meta;
    meta.has_time = meta.has_tid = true;
    meta.time_ns = 5000;
    meta.pid = 9;
    meta.tid = 10;
    sample_decoder decoder;
    const auto f = make_formatter(output_format::timeline, {});
    std::string out;
    f->begin(out);
    f->begin_input(out, "in");
    f->sample(out, decoder.decode_record(&format, "sched:sched_wakeup", raw, meta));
    f->end_input(out);
    f->end(out);
    EXPECT_EQ(
        out,
        "{\"traceEvents\":[\n"
        R"({"ph":"i","name":"sched_wakeup","cat":"sched","ts":0,"s":"t","pid":9,"tid":10,"args":{"comm":"bash","pid":"0x2A","prio":120}})"
        "\n],\"displayTimeUnit\":\"ms\"}\n");
}

TEST_F(Output, SummaryPercentilesAreNearestRank) {
    // Ten activities of 1 ms .. 10 ms, one unmatched stop, one cut.
    const std::uint64_t t = ten_activities([](int) { return 7u; });
    stop(x, t, 8);
    start(b, t + 1'000'000'000, 8);
    const std::string out = format(output_format::summary_json);
    EXPECT_NE(out.find(R"("events":22,"span_s":1.055000000,"first":"0.000000000","last":"1.055000000")"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find(R"({"name":"Activity_Test:Work","count":22,"per_s":20.853})"), std::string::npos) << out;
    EXPECT_NE(out.find(R"({"name":"Activity_Test:Work","count":10,"unmatched_starts":1,"unmatched_stops":1,)"
                       R"("p50_ms":5.000000,"p90_ms":9.000000,"p99_ms":10.000000,"max_ms":10.000000})"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find(R"({"pid":7,"tid":7,"events":20,"comm":"main"})"), std::string::npos) << out;
    EXPECT_NE(out.find(R"({"pid":7,"tid":8,"events":2,"comm":"worker"})"), std::string::npos) << out;
    const std::string text = format(output_format::summary);
    EXPECT_NE(text.find("Activity_Test:Work         10          2      5.000      9.000     10.000     10.000\n"),
              std::string::npos)
        << text;
}

std::size_t count_of(const std::string& text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

TEST_F(Output, HtmlReportHasABarPerActivityAndBinsThatHoldEveryDuration) {
    // Ten activities of 1 ms .. 10 ms: 10 bars in one row; 20 bins of 0.45 ms,
    // the longest in the last; one cut activity has no bar.
    const std::uint64_t t = ten_activities([](int k) { return k % 2 == 0 ? 7u : 8u; });
    start(b, t, 8);
    const std::string out = format(output_format::html);
    EXPECT_EQ(out.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_EQ(out.find("http"), std::string::npos) << "the page must not refer to anything outside itself";
    EXPECT_EQ(count_of(out, "<g class=\"row\""), 1u) << out;
    EXPECT_NE(out.find(R"(<g class="row" data-name="Activity_Test:Work" data-count="10">)"), std::string::npos);
    EXPECT_EQ(count_of(out, "<rect class=\"bar\""), 10u);
    EXPECT_EQ(count_of(out, "<figure class=\"histogram\""), 1u);
    EXPECT_EQ(count_of(out, "<rect class=\"bin\" data-count=\"1\""), 10u) << out;  // 1..10 ms all fall apart
    EXPECT_NE(out.find("<tr><td>Activity_Test:Work</td><td>10</td><td>1</td><td>5.000</td><td>9.000</td>"
                       "<td>10.000</td><td>10.000</td></tr>"),
              std::string::npos)
        << out;
    EXPECT_EQ(out.substr(out.size() - 16), "</body>\n</html>\n");
}

TEST(Html, NamesAreEscaped) {
    sample_meta meta;
    meta.has_time = meta.has_tid = true;
    meta.pid = meta.tid = 3;
    meta.comm = "<b>&\"'";
    decoded_sample s;
    s.kind = sample_kind::other;
    s.name = "<script>";
    s.meta = meta;
    const auto f = make_formatter(output_format::html, {});
    std::string out;
    f->begin(out);
    f->begin_input(out, "a<b>.data");
    f->sample(out, s);
    f->end_input(out);
    f->end(out);
    EXPECT_EQ(out.find("<script"), std::string::npos) << out;
    EXPECT_EQ(out.find("<b>"), std::string::npos) << out;
    EXPECT_NE(out.find("<h2>a&lt;b&gt;.data</h2>"), std::string::npos) << out;
    EXPECT_NE(out.find("<td>&lt;b&gt;&amp;&quot;&#39;</td>"), std::string::npos) << out;
    EXPECT_NE(out.find("<td>&lt;script&gt;</td>"), std::string::npos) << out;
}

}  // namespace
