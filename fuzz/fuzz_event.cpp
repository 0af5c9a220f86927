// Fuzz target: the EventHeader event enumerator and the JSON, timeline and
// summary formatters.
//
// Input: selector byte, [name bytes], event bytes (header onward).
//   selector & 0xC0 == 0x40: the name is built from the event's own level
//     byte ("Fuzz_L<level>K<selector & 0xF>", option "Gfuzz" if 0x10,
//     "user_events:" prefix if 0x20), so mutations reach the metadata;
//   selector & 0xC0 == 0x80: the next byte is a length (mod 96), then the
//     name itself is taken from the input;
//   otherwise: one of a fixed list of names, good and bad.
// Checks: start/walk never read outside the event, the walk ends, every value
// span lies inside the event, depth stays bounded, the JSON is one valid value.
#include "fuzz_support.hpp"

#include <ehtrace/decode/event_enumerator.hpp>
#include <ehtrace/decode/formatter.hpp>
#include <ehtrace/decode/json_formatter.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace ehtrace::decode;

constexpr std::string_view fixed_names[] = {
    "Fuzz_L1K1",
    "Fuzz_L4K0",
    "Fuzz_L5K1Gfuzz",
    "user_events:Fuzz_L4K1",
    "user_events_multi:Fuzz_L5K0.1a",
    "Fuzz_Provider_Name_LffKffffffffffffffff",
    "Fuzz_LffKffffffffffffffff",
    "Fuzz_L0K0",
    "no_level",
    "sched:sched_switch",
    "",
    "_L4K1",
};

bool inside(std::span<const std::byte> part, std::span<const std::byte> whole) {
    if (part.empty()) return true;
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void walk(std::string_view name, std::span<const std::byte> event, unsigned style) {
    event_enumerator e;
    const decode_error error = e.start(name, event);
    if (error != decode_error::none) {
        if (e.state() != enumerator_state::none && e.state() != enumerator_state::error) {
            ehtrace::fuzz::fail("start() failed but the state is neither none nor error");
        }
        if (e.error_offset() > event.size()) ehtrace::fuzz::fail("error offset past the event");
        return;
    }
    if (e.state() != enumerator_state::before_first) ehtrace::fuzz::fail("start() succeeded but not before_first");
    if (!inside(e.payload(), event)) ehtrace::fuzz::fail("payload outside the event");
    // Each step of the general path spends the budget; the others take a
    // payload byte each.
    const std::size_t limit = event_enumerator::item_budget(event.size()) + event.size() + 2;
    std::size_t steps = 0;
    for (;;) {
        // Two bits of style per step: move_next, move_next_sibling, or
        // skip_to_array_end where it applies.
        const unsigned how = (style >> (2 * (steps % 4))) & 3;
        if (!inside(e.array_bytes(), event)) ehtrace::fuzz::fail("array bytes outside the event");
        bool more;
        if (how == 3 && e.skip_to_array_end()) {
            if (e.state() != enumerator_state::array_end) ehtrace::fuzz::fail("skip_to_array_end not at array_end");
            more = true;
        } else {
            more = how == 2 ? e.move_next_sibling() : e.move_next();
        }
        if (++steps > limit) ehtrace::fuzz::fail("enumeration did not end");
        if (!more) break;
        if (e.depth() > event_enumerator::max_depth) ehtrace::fuzz::fail("depth above max_depth");
        const item_info& item = e.item();
        if (!inside(item.value, event)) ehtrace::fuzz::fail("item value outside the event");
        if (e.state() == enumerator_state::value) {
            std::string json;
            append_value_json(json, item);
            ehtrace::fuzz::check_json(json, 1);
        }
    }
    if (e.state() != enumerator_state::after_last && e.state() != enumerator_state::error) {
        ehtrace::fuzz::fail("walk stopped neither after_last nor in error");
    }
    if (e.state() == enumerator_state::error && e.error_offset() > event.size()) {
        ehtrace::fuzz::fail("error offset past the event");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ehtrace::fuzz::input_reader in(data, size);
    const unsigned selector = in.u8();
    std::string name;
    if ((selector & 0xC0) == 0x40) {
        const unsigned level = in.remaining() >= 8 ? data[size - in.remaining() + 7] : 1;
        if (selector & 0x20) name = "user_events:";
        name += ehtrace::fuzz::tracepoint_name("Fuzz", static_cast<std::uint8_t>(level), selector & 0xF,
                                               (selector & 0x10) ? "Gfuzz" : "");
    } else if ((selector & 0xC0) == 0x80) {
        std::size_t n = in.u8() % 96;
        if (n > in.remaining()) n = in.remaining();
        name.assign(reinterpret_cast<const char*>(data + (size - in.remaining())), n);
        for (std::size_t i = 0; i < n; ++i) in.u8();
    } else {
        name = fixed_names[selector % std::size(fixed_names)];
    }
    const std::span<const std::byte> event(reinterpret_cast<const std::byte*>(data + (size - in.remaining())),
                                           in.remaining());

    // The formatter: always one complete JSON object.
    std::string json;
    sample_meta meta;
    meta.has_time = selector & 1;
    meta.time_is_utc = selector & 2;
    meta.time_ns = event.size() >= 8 ? static_cast<std::uint64_t>(event.size()) * 0x9E3779B97F4A7C15ull : 0;
    meta.has_cpu = selector & 4;
    meta.cpu = static_cast<std::uint32_t>(selector * 7919u);
    meta.has_tid = selector & 8;
    format_event_json(json, name, event, meta);
    ehtrace::fuzz::check_json(json, 1);

    // Every JSON option, through the document and line formatters; the
    // timeline and the JSON summary (each one document) too.
    const unsigned variant = selector ^ static_cast<unsigned>(event.size() * 37);
    json_options options;
    options.meta = (variant & 0x20) ? meta_keys::all : meta_keys::standard | meta_keys::flags;
    options.field_tags = variant & 0x40;
    options.safe_numbers = variant & 0x80;
    options.field_list = variant & 0x100;
    options.otlp_other_events = variant & 0x400;
    sample_decoder decoder;
    for (const auto format : {output_format::json, output_format::jsonl, output_format::timeline,
                              output_format::summary_json, output_format::otlp_logs, output_format::otlp_traces}) {
        const auto formatter = make_formatter(format, options, variant & 0x200);
        std::string document;
        formatter->begin(document);
        formatter->begin_input(document, name);
        formatter->sample(document, decoder.decode_event(name, event, meta));
        formatter->sample(document, decoder.decode_event(name, event, meta));
        formatter->end_input(document);
        formatter->end(document);
        const bool otlp = format == output_format::otlp_logs || format == output_format::otlp_traces;
        // OTLP: a line per batch when the event is an OTel record, else none.
        ehtrace::fuzz::check_json(document, format == output_format::jsonl ? 2 : otlp ? -1 : 1);
    }
    {
        // The text format: one line per sample, whatever the bytes.
        const auto text = make_formatter(output_format::text, options, variant & 0x200);
        std::string lines;
        text->begin_input(lines, name);
        text->sample(lines, decoder.decode_event(name, event, meta));
        if (lines.empty() || lines.back() != '\n' || lines.find('\n') != lines.size() - 1) __builtin_trap();
        ehtrace::fuzz::check_no_control_characters(lines);

        // A whole document of `format` holding this one sample.
        const auto document = [&](output_format format) {
            const auto formatter = make_formatter(format, options, variant & 0x200);
            std::string out;
            formatter->begin(out);
            formatter->begin_input(out, name);
            formatter->sample(out, decoder.decode_event(name, event, meta));
            formatter->end_input(out);
            formatter->end(out);
            return out;
        };

        // The text summary: a table whose rows hold no control characters.
        ehtrace::fuzz::check_no_control_characters(document(output_format::summary));

        // The HTML report: whatever the names hold, no markup of theirs
        // gets in (the only '<' are the report's own tags).
        const std::string page = document(output_format::html);
        if (page.find("<script") != std::string::npos || page.rfind("</html>\n") != page.size() - 8) __builtin_trap();
    }

    // The enumerator, walked two ways.
    walk(name, event, 0);
    walk(name, event, selector | 0x5A);

    // The raw value formatter on the last bytes, with an encoding and format
    // taken from the first two event bytes.
    if (event.size() >= 2) {
        const auto encoding = static_cast<ehtrace::field_encoding>(2 + static_cast<unsigned>(event[0]) % 12);
        const auto format = static_cast<ehtrace::field_format>(static_cast<unsigned>(event[1]) & 0x7F);
        std::size_t n = event.size() - 2;
        const unsigned e = static_cast<unsigned>(encoding);
        if (e >= 2 && e <= 6) {
            n = std::size_t{1} << (e - 2);
        } else if (e == 8 || e == 11) {
            n &= ~std::size_t{1};
        } else if (e == 9 || e == 12) {
            n &= ~std::size_t{3};
        }
        if (n <= event.size() - 2) {
            std::string value;
            const value_bytes v{event.subspan(event.size() - n), encoding, format,
                                (event[0] & std::byte{0x80}) != std::byte{}};
            append_value_json(value, v);
            ehtrace::fuzz::check_json(value, 1);
            // The plain text of the same value: UTF-8, whatever the bytes.
            std::string plain;
            if (is_string_value(v)) append_string_text(plain, v, text_escape::control);
            else plain = std::string(scalar_text_of(v).view());
            ehtrace::fuzz::check_utf8(plain);
        }
        std::string text;
        std::uint64_t bits = 0;
        for (std::size_t i = 0; i < 8 && i < event.size(); ++i) bits = bits << 8 | static_cast<std::uint8_t>(event[i]);
        const auto seconds = static_cast<std::int64_t>(bits);
        append_time_text(text, seconds);
        append_errno_text(text, static_cast<std::int32_t>(seconds));
        if (event.size() >= 16) append_uuid_text(text, event.data());
    }
    return 0;
}
