// ehtrace-collect --otlp: the OpenTelemetry exporters' events, turned into
// OTLP/JSON by the decoder's otlp-logs and otlp-traces formatters, POSTed to
// an OTLP/HTTP endpoint from a sender thread (docs/otel.md).
//
// The collection thread only formats and queues; the network is the sender's
// problem. The queue is bounded in bytes and drops its oldest batches when
// full, so a slow or dead endpoint costs records, never collection.
#pragma once

#include <ehtrace/decode/formatter.hpp>
#include <ehtrace/decode/sample.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace ehtrace_tools {

using otlp_clock = std::chrono::steady_clock;

// What one POST came back with.
struct otlp_post_result {
    long status = 0;    // the HTTP status; 0 when there was no response (refused, timed out)
    std::string error;  // why, when not 2xx
    std::optional<std::chrono::milliseconds> retry_after;
};

// Sends one request body; called from the sender thread only.
class otlp_transport {
public:
    virtual ~otlp_transport() = default;
    // `path`: "/v1/logs" or "/v1/traces". `timeout`: the whole request at most.
    virtual otlp_post_result post(std::string_view path, const std::string& body,
                                  std::chrono::milliseconds timeout) = 0;
};

#ifdef EHTRACE_HAVE_CURL
// libcurl; `base_url` as OTEL_EXPORTER_OTLP_ENDPOINT ("http://host:4318"):
// the signal's path is appended. Null with *error set when libcurl cannot start.
std::unique_ptr<otlp_transport> make_curl_transport(std::string base_url, std::string* error);
#endif

struct otlp_export_options {
    std::size_t batch_records = 512;                  // a batch is sent when it has this many records
    std::chrono::milliseconds batch_delay{1000};      // ... or its first record is this old
    std::size_t queue_bytes = std::size_t{32} << 20;  // batches waiting; beyond, the oldest are dropped
    int max_attempts = 6;                             // per batch, the first included
    std::chrono::milliseconds backoff_first{250};     // wait before the first retry; doubles
    std::chrono::milliseconds backoff_max{8000};
    std::chrono::milliseconds request_timeout{10000};
};

struct otlp_export_stats {
    std::uint64_t records_sent = 0, batches_sent = 0;
    std::uint64_t retries = 0;                               // requests repeated after a failure
    std::uint64_t records_dropped = 0, batches_dropped = 0;  // queue full, or still unsent at the end
    std::uint64_t records_failed = 0, batches_failed = 0;    // refused by the endpoint or out of attempts
    std::string last_error;
};

class otlp_exporter {
public:
    otlp_exporter(otlp_export_options options, std::unique_ptr<otlp_transport> transport);
    ~otlp_exporter();  // finish() with no time to send
    otlp_exporter(const otlp_exporter&) = delete;
    otlp_exporter& operator=(const otlp_exporter&) = delete;

    // One sample: `decode(decoder)` returns its decoded_sample; called once
    // per signal, since a formatter consumes the sample's enumerator. Events
    // that are not OpenTelemetry-shaped are ignored by the formatters.
    template <class Decode>
    void add(Decode&& decode, otlp_clock::time_point now = otlp_clock::now()) {
        for (auto& s : signals_) {
            const std::size_t before = s.format->pending();
            scratch_.clear();
            s.format->sample(scratch_, decode(decoder_));
            formatted(s, before, now);
        }
    }
    // Sends the batches whose first record is older than batch_delay; call it
    // now and then (the collector does on every poll).
    void tick(otlp_clock::time_point now = otlp_clock::now());
    // Queues what is pending and gives the sender up to `timeout` to send
    // everything; what is left then is dropped. Stops the sender.
    void finish(std::chrono::milliseconds timeout);

    [[nodiscard]] otlp_export_stats stats() const;

private:
    struct signal {
        std::unique_ptr<ehtrace::decode::formatter> format;
        std::string_view path;
        otlp_clock::time_point first_pending{};
    };
    struct batch {
        std::string_view path;
        std::string body;
        std::size_t records = 0;
    };

    void formatted(signal& s, std::size_t before, otlp_clock::time_point now);
    void flush(signal& s);
    void enqueue(std::string_view path, std::string body, std::size_t records);
    void run();
    bool send(const batch& b);  // false when the deadline cut it short

    otlp_export_options options_;
    std::unique_ptr<otlp_transport> transport_;
    ehtrace::decode::sample_decoder decoder_;
    signal signals_[2];
    std::string scratch_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<batch> queue_;
    std::size_t queued_bytes_ = 0;
    bool finishing_ = false;
    std::optional<otlp_clock::time_point> deadline_;
    otlp_export_stats stats_;
    std::thread sender_;
};

}  // namespace ehtrace_tools
