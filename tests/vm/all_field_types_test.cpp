// The whole chain on a real kernel: examples/all-field-types (every field
// type, attributes, activities) writes through user_events, the project's
// collector records it into perf.data, the decoder reads it back, and every
// event must equal the expected JSON of the capture round trip
// (tests/roundtrip/all-field-types.expected.jsonl) value for value.
#include "vm_helpers.hpp"

#include <ehtrace/collect/session.hpp>
#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>
#include <ehtrace/provider.hpp>

#include <gtest/gtest.h>

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "all_field_types_expected.hpp"  // generated: expected_all_field_types_jsonl

// The example program, compiled into this binary with its main renamed; its
// provider, declared again here with the same definition (an inline variable,
// so both translation units share it).
int ehtrace_example_main();
EHTRACE_PROVIDER(all_types, "Ehtrace_AllFieldTypes", "Gexamples");

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) lines.push_back(line);
    }
    return lines;
}

// What only the collected copy has (when, where, who) goes; random activity
// ids become <A1>, <A2>, ... in order of appearance, as in the capture test.
std::vector<std::string> comparable(std::vector<std::string> events) {
    static const std::regex run_meta(R"re("(time)":"[^"]*",?|"(cpu|pid|tid)":[0-9]+,?)re");
    static const std::regex v4_id(R"re("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")re");
    std::map<std::string, std::string> names;
    for (auto& event : events) {
        // Only inside "meta": the example has a field named "pid" too.
        const auto meta = event.rfind("\"meta\":{");
        if (meta != std::string::npos)
            event = event.substr(0, meta) + std::regex_replace(event.substr(meta), run_meta, "");
        std::string renamed;
        auto begin = std::sregex_iterator(event.begin(), event.end(), v4_id);
        std::size_t last = 0;
        for (auto it = begin; it != std::sregex_iterator(); ++it) {
            auto [entry, added] = names.emplace(it->str(), "\"<A" + std::to_string(names.size() + 1) + ">\"");
            renamed += event.substr(last, static_cast<std::size_t>(it->position()) - last) + entry->second;
            last = static_cast<std::size_t>(it->position() + it->length());
        }
        event = renamed + event.substr(last);
    }
    return events;
}

TEST(AllFieldTypes, KernelCollectorAndDecoderAgreeWithWhatWasWritten) {
    // The example's provider lives in this binary: registering it here makes
    // its tracepoints exist, so the collector can find them by name.
    ASSERT_EQ(all_types.register_events(), 0) << ehtrace::user_events_diagnostic();

    ehtrace::collect::session session;
    const auto names = session.cache().match("user_events:Ehtrace_AllFieldTypes_*");
    ASSERT_EQ(names.size(), 6u) << "one tracepoint per level/keyword the example uses";
    std::string error;
    for (const auto& name : names) ASSERT_EQ(session.add(name, &error), 0) << error;
    const std::string path = "/tmp/all-field-types.data";
    ASSERT_EQ(session.set_output(path), 0);
    ASSERT_EQ(session.start(&error), 0) << error;

    const pid_t child = ::fork();
    if (child == 0) {
        // One CPU: one ring buffer holds every event, in the order written.
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        ::sched_setaffinity(0, sizeof one, &one);
        ::_exit(ehtrace_example_main());
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    session.poll(0);
    ASSERT_EQ(session.stop(), 0);
    EXPECT_EQ(session.stats().lost, 0u);
    all_types.unregister_events();

    std::vector<std::string> decoded;
    auto input = ehtrace::decode::byte_source::open(path, error);
    ASSERT_TRUE(input) << error;
    ehtrace::decode::perf_data_reader reader(*input);
    ehtrace::decode::perf_sample sample;
    ehtrace::decode::sample_decoder decoder;
    while (reader.next(sample)) {
        std::string json;
        ASSERT_TRUE(ehtrace::decode::append_json(json, decoder.decode(sample)));
        decoded.push_back(json);
    }
    ASSERT_FALSE(reader.error()) << reader.error().message;

    const auto expected = lines_of(expected_all_field_types_jsonl);
    const auto actual = comparable(decoded);
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(actual[i], expected[i]) << "event " << i << " as collected: " << decoded[i];
    }
    std::printf("%zu events of every field type matched after the kernel, the collector and the decoder\n",
                decoded.size());
}

}  // namespace
