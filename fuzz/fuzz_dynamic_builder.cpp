// Fuzz target: the dynamic event builder driven by a random sequence of API
// calls. Every event it writes successfully must decode: the enumerator walks
// it to the end without an error (else abort()), and its JSON is valid.
// Also checked: a builder with no error and no open struct writes (0), or
// refuses only for size (E2BIG); errors never crash.
#include "fuzz_support.hpp"

#include <ehtrace/decode/event_enumerator.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/dynamic.hpp>
#include <ehtrace/sink.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using ehtrace::field_encoding;
using ehtrace::field_format;
using ehtrace::dynamic::event_builder;
using ehtrace::dynamic::struct_bookmark;

// Values for arrays and strings: enough bytes for 65,536 16-byte elements,
// with a 0 byte every 97 bytes (zero-terminated strings stop there).
const std::vector<std::uint8_t>& pattern() {
    static const std::vector<std::uint8_t> bytes = [] {
        std::vector<std::uint8_t> b((std::size_t{1} << 20) + 64);
        for (std::size_t i = 0; i < b.size(); ++i) b[i] = i % 97 == 96 ? 0 : static_cast<std::uint8_t>('a' + i % 26);
        return b;
    }();
    return bytes;
}

struct environment {
    ehtrace::memory_sink sink;
    std::unique_ptr<ehtrace::dynamic::provider> provider;
    environment() {
        // Sets register with the sink current when they are first used: keep this one.
        ehtrace::set_sink(&sink);
        provider = std::make_unique<ehtrace::dynamic::provider>("FuzzDynamic", "Gfuzz");
        if (provider->error() != 0) ehtrace::fuzz::fail("the fuzz provider was refused");
    }
};

environment& env() {
    static environment* e = new environment;  // never destroyed: sets stay valid at exit
    return *e;
}

constexpr std::string_view names[] = {
    "a",       "field", "longer_field_name_0123456789", "x;y", "", std::string_view("n\0l", 3), "\xC3\xA9t\xC3\xA9",
    "\xFF\xFE"};

std::string_view pick_name(ehtrace::fuzz::input_reader& in) {
    const unsigned choice = in.u8();
    if (choice < 240) return names[choice % std::size(names)];
    return in.text(300);
}

void check_event(const ehtrace::memory_sink::record& record) {
    using namespace ehtrace::decode;
    const std::span<const std::byte> event(reinterpret_cast<const std::byte*>(record.bytes.data()),
                                           record.bytes.size());
    event_enumerator e;
    decode_error error = e.start(record.tracepoint_name, event);
    if (error != decode_error::none) {
        std::fprintf(stderr, "start: %.*s at %zu\n", static_cast<int>(to_string(error).size()), to_string(error).data(),
                     e.error_offset());
        ehtrace::fuzz::fail("the enumerator rejected the header of a written event", record.tracepoint_name);
    }
    std::size_t steps = 0;
    while (e.move_next()) {
        if (++steps > 100'000'000) ehtrace::fuzz::fail("enumeration did not end");
    }
    if (e.state() != enumerator_state::after_last) {
        std::fprintf(stderr, "walk: %.*s at %zu\n", static_cast<int>(to_string(e.error()).size()),
                     to_string(e.error()).data(), e.error_offset());
        ehtrace::fuzz::fail("the enumerator rejected a written event");
    }
    std::string json;
    error = format_event_json(json, record.tracepoint_name, event);
    if (error != decode_error::none) ehtrace::fuzz::fail("the formatter reported an error for a written event", json);
    ehtrace::fuzz::check_json(json, 1);
}

// Writes the builder's event and checks what the sink received.
void write_and_check(event_builder& builder, ehtrace::fuzz::input_reader& in, std::uint8_t depth) {
    auto& e = env();
    const std::uint8_t level = static_cast<std::uint8_t>(1 + in.u8() % 255);
    ehtrace::dynamic::event_set* set = e.provider->register_set(level, in.u8() & 3);
    if (set == nullptr) ehtrace::fuzz::fail("register_set failed");
    std::uint8_t ids[32];
    for (std::size_t i = 0; i < sizeof ids; ++i) ids[i] = static_cast<std::uint8_t>(i * 37);
    const unsigned activity = in.u8() % 4;
    const int had_error = builder.error();
    const int result = builder.write(*set, activity >= 1 ? ids : nullptr, activity >= 2 ? ids + 16 : nullptr);
    auto records = e.sink.records();
    e.sink.clear();
    if (result == 0) {
        if (records.size() != 1) ehtrace::fuzz::fail("write returned 0 but the sink did not get one event");
        check_event(records[0]);
    } else {
        if (!records.empty()) ehtrace::fuzz::fail("a failed write reached the sink");
        if (had_error == 0 && depth == 0 && result != E2BIG && result != EINVAL) {
            std::fprintf(stderr, "write: %d %s\n", result, builder.error_message());
            ehtrace::fuzz::fail("a clean builder failed to write");
        }
        // A builder before its first reset() has an error already.
        if (had_error == 0 && depth == 0 && result == EINVAL)
            ehtrace::fuzz::fail("EINVAL from a clean, balanced builder");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ehtrace::fuzz::input_reader in(data, size);
    const auto& values = pattern();
    static event_builder builder;  // reused across inputs, as programs do
    std::vector<struct_bookmark> open;
    builder.reset("Start");

    for (int op = 0; op < 400 && !in.empty(); ++op) {
        const unsigned choice = in.u8();
        const std::string_view name = pick_name(in);
        const std::uint16_t tag = (choice & 0x80) ? in.u16() : 0;
        const auto format = static_cast<field_format>(in.u8() % 20);
        const auto count = [&] {
            const unsigned c = in.u8();
            return c < 250 ? std::size_t{c % 20} : std::size_t{in.u32() % 70000};
        };
        const std::uint8_t* bytes = values.data() + in.u8();
        switch (choice & 0x1F) {
        case 0:
            builder.reset(name, tag);
            open.clear();
            break;
        case 1: builder.set_id_version(in.u16(), in.u8()); break;
        case 2: builder.set_opcode(static_cast<ehtrace::event_opcode>(in.u8())); break;
        case 3: builder.set_tag(tag); break;
        case 4: builder.add_scalar(name, static_cast<field_encoding>(in.u8() % 8), format, bytes, tag); break;
        case 5: builder.add_value(name, static_cast<std::int32_t>(in.u32()), format, tag); break;
        case 6: builder.add_value(name, in.u64()); break;
        case 7: builder.add_value(name, static_cast<double>(in.u64())); break;
        case 8: builder.add_value(name, static_cast<char>(in.u8())); break;
        case 9: builder.add_uuid(name, bytes, tag); break;
        case 10:
            builder.add_ipv4(name, in.u32(), tag)
                .add_port(name, in.u16())
                .add_errno(name, static_cast<std::int32_t>(in.u32()));
            break;
        case 11:
            builder.add_pid(name, static_cast<std::int32_t>(in.u32()))
                .add_time(name, static_cast<std::int64_t>(in.u64()))
                .add_bool32(name, in.u8() & 1);
            break;
        case 12:
            builder.add_scalar_array(name, static_cast<field_encoding>(in.u8() % 8), format, bytes, count(), tag);
            break;
        case 13:
            builder.add_scalar_const_array(name, static_cast<field_encoding>(in.u8() % 8), format, bytes, count(), tag);
            break;
        case 14:
            builder.add_string(name, std::string_view(reinterpret_cast<const char*>(bytes), count() * 7), format, tag);
            break;
        case 15:
            builder.add_string(name, std::u16string_view(reinterpret_cast<const char16_t*>(values.data()), count()),
                               format, tag);
            break;
        case 16:
            builder.add_string(name, std::u32string_view(reinterpret_cast<const char32_t*>(values.data()), count()),
                               format, tag);
            break;
        case 17:
            builder.add_zstring(name, std::string_view(reinterpret_cast<const char*>(bytes), count() * 7), format, tag);
            break;
        case 18:
            builder.add_zstring(name, std::u16string_view(reinterpret_cast<const char16_t*>(values.data()), count()),
                                format, tag);
            break;
        case 19:
            builder.add_zstring(name, std::u32string_view(reinterpret_cast<const char32_t*>(values.data()), count()),
                                format, tag);
            break;
        case 20: builder.add_binary(name, (choice & 0x40) ? nullptr : bytes, count(), format, tag); break;
        case 21: {
            std::string_view items[20];
            const std::size_t n = in.u8() % 21;
            for (std::size_t i = 0; i < n && i < 20; ++i)
                items[i] = std::string_view(reinterpret_cast<const char*>(bytes) + i, in.u8());
            if (choice & 0x40) builder.add_zstring_array(name, items, n, format, tag);
            else builder.add_string_array(name, items, n, format, tag);
            break;
        }
        case 22:
            builder.add_string_units(name, bytes, count(), std::size_t{1} << (in.u8() % 4), choice & 0x40, format, tag);
            break;
        case 23:
        case 24: open.push_back(builder.begin_struct(name, tag)); break;
        case 25:
        case 26:
            if (!open.empty()) {
                builder.end_struct(open.back());
                open.pop_back();
            }
            break;
        case 27:
            // A wrong bookmark: an error, never a crash.
            builder.end_struct(struct_bookmark{in.u32()});
            break;
        case 28: builder.add_value128(name, bytes, format, tag).add_ipv6(name, bytes, tag); break;
        case 29: write_and_check(builder, in, static_cast<std::uint8_t>(open.size())); break;
        default: builder.add_value(name, static_cast<std::uint16_t>(in.u16()), format, tag); break;
        }
    }
    while (!open.empty()) {
        builder.end_struct(open.back());
        open.pop_back();
    }
    write_and_check(builder, in, 0);
    return 0;
}
