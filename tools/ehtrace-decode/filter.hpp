// ehtrace-decode's event filters (--provider, --event, --level, --keyword,
// --pid, --tid, --cpu, --comm, --time): parsing the option values and
// deciding which decoded samples are printed.
#pragma once

#include <ehtrace/decode/sample.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ehtrace_decode_tool {

class sample_filter {
public:
    // Whether `option` ("--pid", ...) is a filter option (all take a value).
    [[nodiscard]] static bool is_option(std::string_view option) noexcept;
    // Takes one filter option and its value: "" on success, else why the
    // value is bad (one line, no newline).
    std::string parse(std::string_view option, std::string_view value);

    // Call at the start of each input (relative times count from its first event).
    void begin_input() { first_time_.reset(); }
    // Whether to print the sample. Call for every sample in order.
    bool wanted(const ehtrace::decode::decoded_sample& sample);

private:
    struct time_bound {
        bool set = false;
        bool relative = false;  // seconds after the input's first event
        std::uint64_t ns = 0;
    };
    std::vector<std::string> providers_, events_, comms_;  // fnmatch patterns
    std::vector<std::uint32_t> pids_, tids_, cpus_;
    bool any_ = false;  // some filter is set
    int max_level_ = -1;
    std::uint64_t keyword_mask_ = 0;
    time_bound start_, end_;
    std::optional<std::uint64_t> first_time_;
};

}  // namespace ehtrace_decode_tool
