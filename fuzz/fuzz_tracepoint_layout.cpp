// Fuzz target: the tracefs "format" parser and the plain-tracepoint JSON.
//
// Input: format text, then optionally a NUL byte and the raw record bytes
// (common fields included) to format with it, in both byte orders.
// Checks: field_bytes stays inside the record, the JSON is one valid object,
// the EventHeader offset of an EventHeader format lies inside a field.
#include "fuzz_support.hpp"

#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/tracepoint_layout.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ehtrace::decode;
    const auto* nul = static_cast<const std::uint8_t*>(std::memchr(data, 0, size));
    const std::size_t text_size = nul != nullptr ? static_cast<std::size_t>(nul - data) : size;
    const std::string_view text(reinterpret_cast<const char*>(data), text_size);
    std::span<const std::byte> raw;
    if (nul != nullptr) raw = {reinterpret_cast<const std::byte*>(nul + 1), size - text_size - 1};

    tracepoint_layout format;
    std::string why;
    if (!parse_tracepoint_layout(text, format, &why)) {
        if (why.empty()) ehtrace::fuzz::fail("parse failed without a reason", text);
        return 0;
    }
    if (format.fields.empty()) ehtrace::fuzz::fail("parse succeeded with no fields", text);
    if (format.common_field_count > format.fields.size()) ehtrace::fuzz::fail("more common fields than fields", text);
    (void)format.full_name();
    if (format.is_eventheader()) {
        const std::uint32_t at = format.eventheader_offset();
        bool found = false;
        for (const auto& field : format.fields) {
            if (at >= field.offset && at - field.offset <= field.size) found = true;
        }
        if (!found) ehtrace::fuzz::fail("EventHeader offset is not at a field", text);
    }
    for (bool big_endian : {false, true}) {
        for (const auto& field : format.fields) {
            const auto bytes = field_bytes(field, raw, big_endian);
            if (!bytes.empty() &&
                (bytes.data() < raw.data() || bytes.data() + bytes.size() > raw.data() + raw.size())) {
                ehtrace::fuzz::fail("field_bytes outside the record", text);
            }
        }
        sample_meta meta;
        meta.has_cpu = big_endian;
        meta.has_tid = !raw.empty();
        meta.pid = static_cast<std::uint32_t>(raw.size());
        std::string json;
        append_json(json, sample_decoder().decode_record(&format, "", raw, meta, big_endian));
        ehtrace::fuzz::check_json(json, 1);
    }
    return 0;
}
