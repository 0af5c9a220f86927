// Dynamic events: event and field names known only at run time, the way a
// logging bridge or an OpenTelemetry exporter writes them.
//
//   EHTRACE_CAPTURE=events.dat ./dynamic_events && ehtrace-decode events.dat
//
// Without EHTRACE_CAPTURE the events go to the kernel's user_events; collect
// them with `perf record -e 'user_events:Example_Dynamic_*'`.
#include <ehtrace/dynamic.hpp>
#include <ehtrace/tracepoint.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

// A record as a logging library might hand it over.
struct record {
    int level;  // 1 critical .. 5 verbose
    std::string message;
    std::map<std::string, std::string> attributes;
    std::vector<std::string> tags;
};

// One provider for the process; one event set per level, created on first use.
ehtrace::dynamic::provider& example_provider() {
    static ehtrace::dynamic::provider provider("Example_Dynamic");
    return provider;
}

int write(const record& r) {
    ehtrace::dynamic::event_set* set = example_provider().register_set(static_cast<std::uint8_t>(r.level), 0x1);
    if (set == nullptr || !set->enabled()) return 0;  // nobody listens: skip the work

    // One builder per thread, reused: no allocation per event once warm.
    thread_local ehtrace::dynamic::event_builder builder;
    builder.reset("Log");
    builder.add_string("message", r.message);
    auto attributes = builder.begin_struct("attributes");
    for (const auto& [key, value] : r.attributes) builder.add_string(key, value);
    builder.end_struct(attributes);  // patches the field count; an empty struct is dropped
    // Arrays of strings straight from the caller's container, nothing copied.
    builder.add_string_array_of<char>("tags", r.tags.size(),
                                      [&](std::size_t i) { return std::string_view(r.tags[i]); });
    if (int error = builder.write(*set); error != 0) {
        std::fprintf(stderr, "not written: %s\n", builder.error() != 0 ? builder.error_message() : "sink error");
        return error;
    }
    return 0;
}

}  // namespace

int main() {
    if (example_provider().error() != 0) {
        std::fprintf(stderr, "%s\n", example_provider().error_message());
        return 1;
    }
    write({4, "service started", {{"version", "1.2.3"}, {"region", "eu-west"}}, {"startup"}});
    write({3, "slow request", {{"path", "/search"}, {"ms", "1250"}}, {"http", "latency"}});
    write({2, "upstream failed", {}, {}});
    std::printf("%s\n", ehtrace::user_events_diagnostic().c_str());
    return 0;
}
