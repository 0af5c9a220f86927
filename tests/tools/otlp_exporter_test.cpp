// ehtrace-collect --otlp's exporter: batching, retries, back-off and the
// bounded queue, against a transport the test controls. Events are written
// with <ehtrace/otel.hpp> into a memory capture and decoded as the collector
// decodes them, through the decoder's OTLP formatters.
#include "otlp_exporter.hpp"

#include "../writer/event_test_support.hpp"

#include <ehtrace/dynamic.hpp>
#include <ehtrace/otel.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using ehtrace_tools::otlp_clock;
using ehtrace_tools::otlp_export_options;
using ehtrace_tools::otlp_exporter;
using ehtrace_tools::otlp_post_result;

struct request {
    std::string path, body;
};

// Answers with `respond` (200 by default) and keeps every request.
class fake_transport final : public ehtrace_tools::otlp_transport {
public:
    struct shared {
        std::mutex mutex;
        std::condition_variable changed;
        std::vector<request> posts;
        std::vector<otlp_clock::time_point> times;
        std::function<otlp_post_result(std::size_t attempt)> respond;
        bool gate_open = true;

        std::size_t count() {
            std::lock_guard lock(mutex);
            return posts.size();
        }
        bool wait_for(std::size_t n, std::chrono::milliseconds timeout) {
            std::unique_lock lock(mutex);
            return changed.wait_for(lock, timeout, [&] { return posts.size() >= n; });
        }
        void open_gate() {
            std::lock_guard lock(mutex);
            gate_open = true;
            changed.notify_all();
        }
    };
    explicit fake_transport(std::shared_ptr<shared> s) : s_(std::move(s)) {}

    otlp_post_result post(std::string_view path, const std::string& body, std::chrono::milliseconds) override {
        std::unique_lock lock(s_->mutex);
        s_->changed.wait(lock, [&] { return s_->gate_open; });
        s_->posts.push_back({std::string(path), body});
        s_->times.push_back(otlp_clock::now());
        s_->changed.notify_all();
        const std::size_t attempt = s_->posts.size();
        lock.unlock();
        if (s_->respond) return s_->respond(attempt);
        return {200, {}, {}};
    }

private:
    std::shared_ptr<shared> s_;
};

const ehtrace::otel::time_point t0{std::chrono::seconds{1741064767}};

// Log records "log 0" .. "log n-1" and spans "span 0" .. in a capture.
void write_logs(int n, int first = 0) {
    ehtrace::otel::exporter otel("otlpexport");
    for (int i = first; i < first + n; ++i) {
        ehtrace::otel::log_record r;
        r.time = t0 + std::chrono::milliseconds(i);
        const std::string body = "log " + std::to_string(i);
        r.body = std::string_view(body);
        ASSERT_EQ(otel.write(r), 0);
    }
}

void write_spans(int n) {
    ehtrace::otel::exporter otel("otlpexport");
    for (int i = 0; i < n; ++i) {
        ehtrace::otel::span s;
        const std::string name = "span " + std::to_string(i);
        s.name = name;
        s.start = t0;
        s.end = t0 + 1ms;
        s.context.trace_id[0] = 1;
        s.context.span_id[7] = static_cast<std::uint8_t>(i + 1);
        ASSERT_EQ(otel.write(s), 0);
    }
}

void feed(otlp_exporter& exporter, const ehtrace_test::memory_capture& capture,
          otlp_clock::time_point now = otlp_clock::now()) {
    for (const auto& r : capture.records()) {
        exporter.add(
            [&](ehtrace::decode::sample_decoder & d) -> const auto& {
                return d.decode_event(r.tracepoint_name, std::as_bytes(std::span(r.bytes)));
            },
            now);
    }
}

std::size_t occurrences(const std::string& text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

otlp_export_options fast_options() {
    otlp_export_options o;
    o.backoff_first = 1ms;
    o.backoff_max = 4ms;
    return o;
}

TEST(OtlpExporter, BatchesByCountOneSignalPerPath) {
    ehtrace_test::memory_capture capture;
    write_logs(1200);
    write_spans(7);
    const auto fake = std::make_shared<fake_transport::shared>();
    otlp_exporter exporter(fast_options(), std::make_unique<fake_transport>(fake));
    feed(exporter, capture);
    exporter.finish(5s);

    std::vector<std::size_t> logs, spans;
    for (const auto& p : fake->posts) {
        EXPECT_EQ(p.body.back(), '}');  // one document, no newline
        if (p.path == "/v1/logs") logs.push_back(occurrences(p.body, "\"body\":"));
        else if (p.path == "/v1/traces") spans.push_back(occurrences(p.body, "\"spanId\":"));
        else ADD_FAILURE() << p.path;
    }
    EXPECT_EQ(logs, (std::vector<std::size_t>{512, 512, 176}));
    EXPECT_EQ(spans, (std::vector<std::size_t>{7}));
    const auto st = exporter.stats();
    EXPECT_EQ(st.records_sent, 1207u);
    EXPECT_EQ(st.batches_sent, 4u);
    EXPECT_EQ(st.retries + st.records_dropped + st.records_failed, 0u);
}

TEST(OtlpExporter, BatchesByAge) {
    ehtrace_test::memory_capture capture;
    write_logs(3);
    const auto fake = std::make_shared<fake_transport::shared>();
    otlp_exporter exporter(fast_options(), std::make_unique<fake_transport>(fake));
    const auto start = otlp_clock::now();
    feed(exporter, capture, start);
    exporter.tick(start + 900ms);
    EXPECT_FALSE(fake->wait_for(1, 100ms));
    exporter.tick(start + 1000ms);
    ASSERT_TRUE(fake->wait_for(1, 5s));
    EXPECT_EQ(occurrences(fake->posts[0].body, "\"body\":"), 3u);
    exporter.finish(5s);
    EXPECT_EQ(fake->count(), 1u);
    EXPECT_EQ(exporter.stats().records_sent, 3u);
}

TEST(OtlpExporter, RetriesOnNoResponseAnd5xxThenSends) {
    ehtrace_test::memory_capture capture;
    write_logs(5);
    const auto fake = std::make_shared<fake_transport::shared>();
    fake->respond = [](std::size_t attempt) -> otlp_post_result {
        if (attempt == 1) return {0, "Connection refused", {}};
        if (attempt == 2) return {503, "", {}};
        return {200, "", {}};
    };
    otlp_exporter exporter(fast_options(), std::make_unique<fake_transport>(fake));
    feed(exporter, capture);
    exporter.finish(5s);
    const auto st = exporter.stats();
    EXPECT_EQ(fake->count(), 3u);
    EXPECT_EQ(st.retries, 2u);
    EXPECT_EQ(st.records_sent, 5u);
    EXPECT_EQ(st.batches_sent, 1u);
    EXPECT_EQ(st.records_failed + st.records_dropped, 0u);
}

TEST(OtlpExporter, BacksOffExponentiallyAndHonoursRetryAfter) {
    ehtrace_test::memory_capture capture;
    write_logs(1);
    const auto fake = std::make_shared<fake_transport::shared>();
    fake->respond = [](std::size_t attempt) -> otlp_post_result {
        if (attempt == 1 || attempt == 2) return {502, "", {}};
        if (attempt == 3) return {429, "", 300ms};
        return {200, "", {}};
    };
    otlp_export_options o;
    o.backoff_first = 40ms;
    otlp_exporter exporter(o, std::make_unique<fake_transport>(fake));
    feed(exporter, capture);
    exporter.finish(10s);
    ASSERT_EQ(fake->times.size(), 4u);
    const auto gap = [&](int i) { return fake->times[i + 1] - fake->times[i]; };
    EXPECT_GE(gap(0), 40ms);
    EXPECT_GE(gap(1), 80ms);
    EXPECT_GE(gap(2), 300ms);  // Retry-After, not the 160 ms of the back-off
    EXPECT_EQ(exporter.stats().retries, 3u);
    EXPECT_EQ(exporter.stats().records_sent, 1u);
}

TEST(OtlpExporter, RefusedRequestIsNotRepeated) {
    ehtrace_test::memory_capture capture;
    write_logs(4);
    const auto fake = std::make_shared<fake_transport::shared>();
    fake->respond = [](std::size_t) -> otlp_post_result { return {400, "HTTP 400: bad", {}}; };
    otlp_exporter exporter(fast_options(), std::make_unique<fake_transport>(fake));
    feed(exporter, capture);
    exporter.finish(5s);
    const auto st = exporter.stats();
    EXPECT_EQ(fake->count(), 1u);
    EXPECT_EQ(st.retries, 0u);
    EXPECT_EQ(st.records_failed, 4u);
    EXPECT_EQ(st.batches_failed, 1u);
    EXPECT_EQ(st.last_error, "HTTP 400: bad");
}

TEST(OtlpExporter, GivesUpAfterMaxAttempts) {
    ehtrace_test::memory_capture capture;
    write_logs(2);
    const auto fake = std::make_shared<fake_transport::shared>();
    fake->respond = [](std::size_t) -> otlp_post_result { return {500, "", {}}; };
    auto o = fast_options();
    o.max_attempts = 4;
    otlp_exporter exporter(o, std::make_unique<fake_transport>(fake));
    feed(exporter, capture);
    exporter.finish(5s);
    EXPECT_EQ(fake->count(), 4u);
    EXPECT_EQ(exporter.stats().retries, 3u);
    EXPECT_EQ(exporter.stats().records_failed, 2u);
}

TEST(OtlpExporter, FullQueueDropsTheOldestBatches) {
    ehtrace_test::memory_capture capture;
    write_logs(100);
    const auto fake = std::make_shared<fake_transport::shared>();
    fake->gate_open = false;  // the endpoint hangs until the gate opens
    auto o = fast_options();
    o.batch_records = 10;
    o.queue_bytes = 4000;  // room for about three batches of ten
    otlp_exporter exporter(o, std::make_unique<fake_transport>(fake));
    const auto started = otlp_clock::now();
    feed(exporter, capture);
    EXPECT_LT(otlp_clock::now() - started, 2s);  // never waited for the endpoint
    const auto before = exporter.stats();
    EXPECT_GT(before.records_dropped, 0u);
    fake->open_gate();
    exporter.finish(5s);
    const auto st = exporter.stats();
    EXPECT_EQ(st.records_sent + st.records_dropped, 100u);
    EXPECT_EQ(st.records_dropped % 10, 0u);
    EXPECT_EQ(st.records_failed, 0u);
    // The newest batch always survives.
    ASSERT_FALSE(fake->posts.empty());
    EXPECT_NE(fake->posts.back().body.find("\"log 99\""), std::string::npos);
}

TEST(OtlpExporter, DeadEndpointNeitherBlocksNorLosesCount) {
    ehtrace_test::memory_capture capture;
    write_logs(3000);
    const auto fake = std::make_shared<fake_transport::shared>();
    std::atomic<int> calls{0};
    fake->respond = [&](std::size_t) -> otlp_post_result {
        ++calls;
        std::this_thread::sleep_for(20ms);  // a connect that times out
        return {0, "Connection timed out", {}};
    };
    auto o = fast_options();
    o.batch_records = 100;
    o.queue_bytes = 20000;
    otlp_exporter exporter(o, std::make_unique<fake_transport>(fake));
    const auto started = otlp_clock::now();
    feed(exporter, capture);
    EXPECT_LT(otlp_clock::now() - started, 2s);
    const auto finishing = otlp_clock::now();
    exporter.finish(200ms);
    EXPECT_LT(otlp_clock::now() - finishing, 1s);
    const auto st = exporter.stats();
    EXPECT_EQ(st.records_sent, 0u);
    EXPECT_EQ(st.records_dropped + st.records_failed, 3000u);
    EXPECT_GT(st.records_dropped, 0u);
    EXPECT_GT(calls.load(), 0);
    EXPECT_EQ(st.last_error, "Connection timed out");
}

TEST(OtlpExporter, OtherEventsAreNotSent) {
    ehtrace_test::memory_capture capture;
    ehtrace::dynamic::provider provider("NotOtel");
    auto* set = provider.register_set(4, 1);
    ASSERT_NE(set, nullptr);
    ehtrace::dynamic::event_builder b;
    b.reset("Hello");
    b.add_value("x", std::uint32_t{1});
    ASSERT_EQ(b.write(*set), 0);
    const auto fake = std::make_shared<fake_transport::shared>();
    otlp_exporter exporter(fast_options(), std::make_unique<fake_transport>(fake));
    feed(exporter, capture);
    exporter.finish(1s);
    EXPECT_EQ(fake->count(), 0u);
    EXPECT_EQ(exporter.stats().records_sent, 0u);
}

#ifdef EHTRACE_HAVE_CURL
// A port on 127.0.0.1 that nothing listens on (bound, then closed).
int dead_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        return 0;
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

TEST(OtlpExporter, CurlToNothingListening) {
    ehtrace_test::memory_capture capture;
    write_logs(1000);
    const int port = dead_port();
    ASSERT_NE(port, 0);
    std::string error;
    auto transport = ehtrace_tools::make_curl_transport("http://127.0.0.1:" + std::to_string(port) + "/", &error);
    ASSERT_TRUE(transport) << error;
    otlp_exporter exporter(fast_options(), std::move(transport));
    const auto started = otlp_clock::now();
    feed(exporter, capture);
    exporter.finish(500ms);
    EXPECT_LT(otlp_clock::now() - started, 3s);
    const auto st = exporter.stats();
    EXPECT_EQ(st.records_sent, 0u);
    EXPECT_EQ(st.records_dropped + st.records_failed, 1000u);
    EXPECT_NE(st.last_error.find("127.0.0.1"), std::string::npos) << st.last_error;
}
#endif

}  // namespace
