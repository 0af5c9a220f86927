// Fuzz target: the capture (".dat") reader, the way ehtrace-decode uses it:
// every record is formatted as JSON.
// Checks: records lie inside the input at increasing offsets, record sizes
// respect max_record_size, the JSON of each record is one valid object, the
// error offset is inside (or at the end of) the input.
#include "fuzz_support.hpp"

#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/capture_reader.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ehtrace::decode;
    const std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
    (void)looks_like_capture(input.first(size < 16 ? size : 16));
    (void)detect_input_layout(input.first(size < 16 ? size : 16));

    byte_source source(input);
    capture_reader reader(source);
    capture_record record;
    std::uint64_t last_offset = 0;
    bool first = true;
    std::string json;
    while (reader.next(record)) {
        if (!first && record.offset <= last_offset) ehtrace::fuzz::fail("record offsets do not increase");
        first = false;
        last_offset = record.offset;
        if (record.offset >= size) ehtrace::fuzz::fail("record offset past the input");
        if (record.event.size() + record.tracepoint_name.size() + 5 > capture_reader::max_record_size) {
            ehtrace::fuzz::fail("record larger than max_record_size");
        }
        json.clear();
        format_event_json(json, record.tracepoint_name, record.event);
        ehtrace::fuzz::check_json(json, 1);
    }
    if (reader.error() && reader.error().offset > size) ehtrace::fuzz::fail("error offset past the input");
    return 0;
}
