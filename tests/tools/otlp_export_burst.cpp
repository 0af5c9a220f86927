// The end-to-end half of the --otlp tests (otlp_live_test.py): a burst of
// log records and spans written with <ehtrace/otel.hpp>, decoded as the
// collector decodes them and POSTed by the collector's exporter over libcurl
// to URL. With the schema checker built in, every request body must pass it
// before it leaves. Prints the exporter's counts as one JSON object.
//
// Usage: otlp_export_burst URL LOGS SPANS FINISH_MS
#include "otlp_exporter.hpp"

#include "../writer/event_test_support.hpp"

#ifdef EHTRACE_OTLP_SCHEMA_CHECK
#include "../decode/otlp_schema_check.hpp"
#endif

#include <ehtrace/otel.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

std::atomic<int> schema_problems{0};
std::atomic<int> bodies_checked{0};

// Checks each body, then hands it to libcurl.
class checked_transport final : public ehtrace_tools::otlp_transport {
public:
    explicit checked_transport(std::unique_ptr<otlp_transport> inner) : inner_(std::move(inner)) {}
    ehtrace_tools::otlp_post_result post(std::string_view path, const std::string& body,
                                         std::chrono::milliseconds timeout) override {
#ifdef EHTRACE_OTLP_SCHEMA_CHECK
        const std::string problem = otlp_test::otlp_problem(body, path == "/v1/traces");
        if (!problem.empty()) {
            ++schema_problems;
            std::fprintf(stderr, "otlp_export_burst: %.*s body refused by the schema check: %s\n",
                         static_cast<int>(path.size()), path.data(), problem.c_str());
        }
        ++bodies_checked;
#endif
        return inner_->post(path, body, timeout);
    }

private:
    std::unique_ptr<otlp_transport> inner_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: otlp_export_burst URL LOGS SPANS FINISH_MS\n");
        return 2;
    }
    const int logs = std::atoi(argv[2]), spans = std::atoi(argv[3]);
    const std::chrono::milliseconds finish_timeout{std::atoi(argv[4])};

    ehtrace_test::memory_capture capture;
    {
        ehtrace::otel::exporter otel("burst");
        otel.set_resource("burst-service", "host-1");
        const auto t0 = std::chrono::system_clock::now();
        for (int i = 0; i < logs; ++i) {
            const std::string body = "log " + std::to_string(i);
            const ehtrace::otel::attribute attributes[] = {{"index", std::int64_t{i}}};
            ehtrace::otel::log_record r;
            r.time = t0 + std::chrono::microseconds(i);
            r.severity_number = 9 + (i % 4) * 4;
            r.body = std::string_view(body);
            r.attributes = attributes;
            if (otel.write(r) != 0) return 1;
        }
        for (int i = 0; i < spans; ++i) {
            const std::string name = "span " + std::to_string(i);
            ehtrace::otel::span s;
            s.name = name;
            s.kind = ehtrace::otel::span_kind::server;
            s.start = t0 + std::chrono::microseconds(i);
            s.end = s.start + std::chrono::microseconds(50);
            s.context.trace_id[0] = 0xab;
            s.context.trace_id[15] = static_cast<std::uint8_t>(i);
            s.context.span_id[0] = static_cast<std::uint8_t>(i >> 8);
            s.context.span_id[7] = static_cast<std::uint8_t>(i + 1);
            if (otel.write(s) != 0) return 1;
        }
    }

    std::string error;
    auto curl = ehtrace_tools::make_curl_transport(argv[1], &error);
    if (!curl) {
        std::fprintf(stderr, "otlp_export_burst: %s\n", error.c_str());
        return 1;
    }
    ehtrace_tools::otlp_exporter exporter({}, std::make_unique<checked_transport>(std::move(curl)));
    const auto started = std::chrono::steady_clock::now();
    for (const auto& r : capture.records()) {
        exporter.add([&](ehtrace::decode::sample_decoder & d) -> const auto& {
            return d.decode_event(r.tracepoint_name, std::as_bytes(std::span(r.bytes)));
        });
        exporter.tick();
    }
    const auto fed = std::chrono::steady_clock::now();
    exporter.finish(finish_timeout);
    const auto done = std::chrono::steady_clock::now();
    const auto st = exporter.stats();
    const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
    std::printf(
        "{\"records_sent\":%llu,\"batches_sent\":%llu,\"retries\":%llu,\"records_dropped\":%llu,"
        "\"records_failed\":%llu,\"batches_failed\":%llu,\"schema_problems\":%d,\"bodies_checked\":%d,"
        "\"schema_checked\":%s,\"feed_ms\":%lld,\"finish_ms\":%lld}\n",
        static_cast<unsigned long long>(st.records_sent), static_cast<unsigned long long>(st.batches_sent),
        static_cast<unsigned long long>(st.retries), static_cast<unsigned long long>(st.records_dropped),
        static_cast<unsigned long long>(st.records_failed), static_cast<unsigned long long>(st.batches_failed),
        schema_problems.load(), bodies_checked.load(),
#ifdef EHTRACE_OTLP_SCHEMA_CHECK
        "true",
#else
        "false",
#endif
        static_cast<long long>(ms(fed - started)), static_cast<long long>(ms(done - fed)));
    if (!st.last_error.empty()) std::fprintf(stderr, "otlp_export_burst: last error: %s\n", st.last_error.c_str());
    return schema_problems.load() == 0 ? 0 : 1;
}
