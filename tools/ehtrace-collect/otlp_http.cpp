// The OTLP/HTTP transport over libcurl: one easy handle, reused so the
// connection stays open between batches.
#include "otlp_exporter.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>
#include <mutex>

namespace ehtrace_tools {
namespace {

class curl_transport final : public otlp_transport {
public:
    curl_transport(CURL* handle, std::string base_url) : handle_(handle), base_(std::move(base_url)) {
        headers_ = curl_slist_append(nullptr, "Content-Type: application/json");
    }
    ~curl_transport() override {
        curl_easy_cleanup(handle_);
        curl_slist_free_all(headers_);
    }
    curl_transport(const curl_transport&) = delete;
    curl_transport& operator=(const curl_transport&) = delete;

    otlp_post_result post(std::string_view path, const std::string& body, std::chrono::milliseconds timeout) override {
        otlp_post_result result;
        const std::string url = base_ + std::string(path);
        response_.clear();
        curl_easy_setopt(handle_, CURLOPT_URL, url.c_str());
        curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, headers_);
        curl_easy_setopt(handle_, CURLOPT_POST, 1L);
        curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        // Signals belong to the collector (SIGINT stops it); a sender thread
        // must not have libcurl install handlers or longjmp out of DNS.
        curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::int64_t>(timeout.count(), 1)));
        curl_easy_setopt(handle_, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(std::clamp<std::int64_t>(timeout.count(), 1, 5000)));
        curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &curl_transport::keep_response);
        curl_easy_setopt(handle_, CURLOPT_WRITEDATA, this);
        const CURLcode code = curl_easy_perform(handle_);
        if (code != CURLE_OK) {
            result.error = std::string(curl_easy_strerror(code)) + " (" + url + ")";
            return result;
        }
        curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &result.status);
        curl_off_t retry_after = 0;
        if (curl_easy_getinfo(handle_, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0) {
            result.retry_after = std::chrono::seconds(retry_after);
        }
        if (result.status < 200 || result.status > 299) {
            result.error = "HTTP " + std::to_string(result.status) + " from " + url;
            if (!response_.empty()) result.error += ": " + response_;
        }
        return result;
    }

private:
    static std::size_t keep_response(char* data, std::size_t size, std::size_t count, void* self) {
        auto& response = static_cast<curl_transport*>(self)->response_;
        // Enough of the body to say why a request was refused.
        const std::size_t n = size * count;
        response.append(data, std::min(n, std::size_t{300} - std::min(response.size(), std::size_t{300})));
        return n;
    }

    CURL* handle_;
    curl_slist* headers_ = nullptr;
    std::string base_;
    std::string response_;
};

}  // namespace

std::unique_ptr<otlp_transport> make_curl_transport(std::string base_url, std::string* error) {
    static std::once_flag once;
    static CURLcode init = CURLE_OK;
    std::call_once(once, [] { init = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (init != CURLE_OK) {
        if (error) *error = std::string("libcurl: ") + curl_easy_strerror(init);
        return nullptr;
    }
    CURL* handle = curl_easy_init();
    if (handle == nullptr) {
        if (error) *error = "libcurl: cannot create a handle";
        return nullptr;
    }
    while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
    return std::make_unique<curl_transport>(handle, std::move(base_url));
}

}  // namespace ehtrace_tools
