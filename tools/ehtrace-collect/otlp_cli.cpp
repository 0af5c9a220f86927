#include "otlp_cli.hpp"

#include "tool_common.hpp"

#include <chrono>
#include <cstdio>

namespace ehtrace_tools {
namespace {

// Long enough for a reachable collector to take the last batches, short
// enough that a dead one does not hold the user's shell.
constexpr std::chrono::milliseconds finish_timeout{5000};
constexpr std::chrono::seconds report_interval{10};

std::string counts(const otlp_export_stats& st) {
    return std::to_string(st.records_sent) + " records sent in " + std::to_string(st.batches_sent) + " batches, " +
           std::to_string(st.retries) + " retries, " + std::to_string(st.records_dropped) + " records dropped, " +
           std::to_string(st.records_failed) + " failed (" + std::to_string(st.batches_failed) + " batches)";
}

}  // namespace

int check_otlp_url(const std::string& url) {
#ifdef EHTRACE_HAVE_CURL
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
        return usage_error("ehtrace-collect", "--otlp needs an http:// or https:// URL, not '" + url + "'");
    }
    return -1;
#else
    (void)url;
    return usage_error("ehtrace-collect",
                       "--otlp is not available: this ehtrace-collect was built without libcurl "
                       "(libcurl4-openssl-dev)");
#endif
}

std::unique_ptr<otlp_exporter> make_otlp_exporter(const std::string& url, std::string* error) {
#ifdef EHTRACE_HAVE_CURL
    auto transport = make_curl_transport(url, error);
    if (!transport) return nullptr;
    return std::make_unique<otlp_exporter>(otlp_export_options{}, std::move(transport));
#else
    (void)url;
    if (error) *error = "--otlp is not available: built without libcurl";
    return nullptr;
#endif
}

void otlp_tick(otlp_exporter& exporter, bool verbose) {
    const auto now = otlp_clock::now();
    exporter.tick(now);
    if (!verbose) return;
    static auto next = now + report_interval;
    if (now < next) return;
    next = now + report_interval;
    std::fprintf(stderr, "ehtrace-collect: otlp: %s\n", counts(exporter.stats()).c_str());
}

void otlp_finish(otlp_exporter& exporter, bool quiet) {
    exporter.finish(finish_timeout);
    if (quiet) return;
    const auto st = exporter.stats();
    std::fprintf(stderr, "ehtrace-collect: otlp: %s\n", counts(st).c_str());
    if ((st.records_dropped != 0 || st.records_failed != 0) && !st.last_error.empty()) {
        std::fprintf(stderr, "ehtrace-collect: otlp: last error: %s\n", st.last_error.c_str());
    }
}

}  // namespace ehtrace_tools
