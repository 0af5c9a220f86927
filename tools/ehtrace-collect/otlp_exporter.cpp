#include "otlp_exporter.hpp"

#include <algorithm>
#include <utility>

namespace ehtrace_tools {

namespace {

bool retryable(long status) {
    // No response at all, throttled, or the server's trouble: worth another
    // try. Other 4xx say the request itself is wrong; repeating it cannot help.
    return status == 0 || status == 429 || (status >= 500 && status <= 599);
}

}  // namespace

otlp_exporter::otlp_exporter(otlp_export_options options, std::unique_ptr<otlp_transport> transport)
    : options_(options), transport_(std::move(transport)) {
    options_.batch_records = std::max<std::size_t>(options_.batch_records, 1);
    options_.max_attempts = std::max(options_.max_attempts, 1);
    const ehtrace::decode::json_options json;
    signals_[0].format = ehtrace::decode::make_formatter(ehtrace::decode::output_format::otlp_logs, json);
    signals_[0].path = "/v1/logs";
    signals_[1].format = ehtrace::decode::make_formatter(ehtrace::decode::output_format::otlp_traces, json);
    signals_[1].path = "/v1/traces";
    sender_ = std::thread([this] { run(); });
}

otlp_exporter::~otlp_exporter() { finish(std::chrono::milliseconds{0}); }

void otlp_exporter::formatted(signal& s, std::size_t before, otlp_clock::time_point now) {
    const std::size_t after = s.format->pending();
    if (!scratch_.empty()) {
        // The formatter's own batch limit wrote a line: that is a batch too.
        enqueue(s.path, std::move(scratch_), before + 1 - after);
        scratch_ = std::string();
    }
    if (after > 0 && (before == 0 || after < before)) s.first_pending = now;
    if (after >= options_.batch_records) flush(s);
}

void otlp_exporter::flush(signal& s) {
    const std::size_t records = s.format->pending();
    if (records == 0) return;
    std::string body;
    s.format->end_input(body);
    enqueue(s.path, std::move(body), records);
}

void otlp_exporter::tick(otlp_clock::time_point now) {
    for (auto& s : signals_) {
        if (s.format->pending() > 0 && now - s.first_pending >= options_.batch_delay) flush(s);
    }
}

void otlp_exporter::enqueue(std::string_view path, std::string body, std::size_t records) {
    // One JSON document per request, not a line of JSON Lines.
    while (!body.empty() && body.back() == '\n') body.pop_back();
    if (records == 0 || body.empty()) return;
    std::lock_guard lock(mutex_);
    if (sender_.joinable() && !finishing_) {
        // Oldest first: the newest records are the ones a reader of a live
        // stream wants, and the in-flight batch (not in the queue) is spared.
        while (!queue_.empty() && queued_bytes_ + body.size() > options_.queue_bytes) {
            stats_.records_dropped += queue_.front().records;
            ++stats_.batches_dropped;
            queued_bytes_ -= queue_.front().body.size();
            queue_.pop_front();
        }
    }
    queued_bytes_ += body.size();
    queue_.push_back({path, std::move(body), records});
    wake_.notify_all();
}

void otlp_exporter::finish(std::chrono::milliseconds timeout) {
    for (auto& s : signals_) flush(s);
    {
        std::lock_guard lock(mutex_);
        if (!sender_.joinable()) return;
        finishing_ = true;
        deadline_ = otlp_clock::now() + timeout;
        wake_.notify_all();
    }
    sender_.join();
    std::lock_guard lock(mutex_);
    for (const auto& b : queue_) {
        stats_.records_dropped += b.records;
        ++stats_.batches_dropped;
    }
    queue_.clear();
    queued_bytes_ = 0;
}

otlp_export_stats otlp_exporter::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void otlp_exporter::run() {
    for (;;) {
        batch b;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return !queue_.empty() || finishing_; });
            if (queue_.empty()) return;
            if (deadline_ && otlp_clock::now() >= *deadline_) return;  // finish() drops the rest
            b = std::move(queue_.front());
            queue_.pop_front();
            queued_bytes_ -= b.body.size();
        }
        if (!send(b)) {
            std::lock_guard lock(mutex_);
            stats_.records_dropped += b.records;
            ++stats_.batches_dropped;
            return;
        }
    }
}

bool otlp_exporter::send(const batch& b) {
    auto delay = options_.backoff_first;
    for (int attempt = 1;; ++attempt) {
        auto timeout = options_.request_timeout;
        {
            std::lock_guard lock(mutex_);
            if (deadline_) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline_ - otlp_clock::now());
                if (left.count() <= 0) return false;
                timeout = std::min(timeout, left);
            }
        }
        const otlp_post_result r = transport_->post(b.path, b.body, timeout);
        std::unique_lock lock(mutex_);
        if (r.status >= 200 && r.status <= 299) {
            stats_.records_sent += b.records;
            ++stats_.batches_sent;
            return true;
        }
        stats_.last_error = r.error.empty() ? "HTTP status " + std::to_string(r.status) : r.error;
        if (!retryable(r.status) || attempt >= options_.max_attempts) {
            stats_.records_failed += b.records;
            ++stats_.batches_failed;
            return true;
        }
        auto wait = r.retry_after ? std::min(*r.retry_after, options_.backoff_max) : delay;
        delay = std::min(delay * 2, options_.backoff_max);
        // finish() cuts the wait short once there is a deadline, and the
        // deadline ends it.
        const auto until = otlp_clock::now() + wait;
        for (;;) {
            const auto end = deadline_ ? std::min(until, *deadline_) : until;
            if (otlp_clock::now() >= end) break;
            wake_.wait_until(lock, end);
        }
        if (deadline_ && otlp_clock::now() >= *deadline_) return false;
        ++stats_.retries;
    }
}

}  // namespace ehtrace_tools
