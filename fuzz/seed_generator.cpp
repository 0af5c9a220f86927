// Writes seed inputs for the fuzz targets with the project's own writers:
//   <dir>/capture/*.dat        capture_sink (.dat) from the compile-time API and the dynamic builder
//   <dir>/perf_data/*.data     capture_sink (perf.data through perf_data_writer), same events
//   <dir>/event/*              single events, in fuzz_event's input layout
//   <dir>/tracepoint_layout/*     synthesized user_events format text, NUL, one raw record
//   <dir>/dynamic_builder/*    API-call sequences in fuzz_dynamic_builder's layout
//   <dir>/tracepoint_name/*    names, good and bad
// Usage: fuzz_seed_generator <corpus dir>. fuzz/make_corpus.sh adds the
// perf recordings and the kernel's own format files.
#include <ehtrace/activity.hpp>
#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/capture_reader.hpp>
#include <ehtrace/dynamic.hpp>
#include <ehtrace/otel.hpp>
#include <ehtrace/perf_data_writer.hpp>
#include <ehtrace/provider.hpp>
#include <ehtrace/ranges.hpp>
#include <ehtrace/sink.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

EHTRACE_PROVIDER(seed_provider, "FuzzSeed_Static", "Gfuzz");

namespace {

namespace fs = std::filesystem;
using ehtrace::field;

void write_bytes(const fs::path& path, const std::string& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void static_events(int round) {
    std::string text = "text " + std::to_string(round) + " \xc3\xa9";
    std::u16string text16 = u"utf16";
    std::vector<std::int32_t> values{1, -2, 3};
    std::array<std::uint16_t, 2> fixed{7, 8};
    const unsigned char blob[] = {0xde, 0xad, 0, 0xef};
    ehtrace::uuid id{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    EHTRACE_WRITE(seed_provider, "Scalars", ehtrace::level<4>, ehtrace::keyword<0x1>, field<"i8">(std::int8_t{-1}),
                  field<"u16">(std::uint16_t{2}), field<"i32">(round), field<"u64">(std::uint64_t{1} << 40),
                  field<"f32">(0.5f), field<"f64">(-1e300), field<"b">(true), field<"hex">(ehtrace::hex(0xabcdu)),
                  field<"pid">(ehtrace::pid(7)), field<"errno">(ehtrace::errno_value(13)),
                  field<"time">(ehtrace::time(std::int64_t{1700000000})), field<"uuid">(id),
                  field<"port">(ehtrace::port(443)), field<"c">('x'), field<"c16">(u'\u00e9'));
    EHTRACE_WRITE(seed_provider, "Strings", ehtrace::level<5>, ehtrace::keyword<0x2>, field<"z">("zero"),
                  field<"z16">(u"z16"), field<"s">(text), field<"s16">(text16),
                  field<"latin1">(ehtrace::latin1("caf\xe9")), field<"json">(ehtrace::json(std::string_view("[1]"))),
                  field<"bin">(ehtrace::binary(blob, sizeof blob)));
    EHTRACE_WRITE(seed_provider, "Nested", ehtrace::level<3>, ehtrace::keyword<0x4>, field<"values">(values),
                  field<"fixed">(fixed), field<"tagged", 0x42>(std::uint8_t{1}),
                  ehtrace::struct_<"outer">(field<"x">(1), ehtrace::struct_<"inner">(field<"label">("in"))),
                  ehtrace::struct_array<"points">(
                      std::vector<std::array<int, 2>>{{1, 2}, {3, 4}},
                      [](const std::array<int, 2>& p) { return ehtrace::fields(field<"x">(p[0]), field<"y">(p[1])); }));
    auto scope = EHTRACE_ACTIVITY(seed_provider, "Request", ehtrace::level<4>, ehtrace::keyword<0x8>,
                                  field<"path">(std::string_view("/x")));
    EHTRACE_WRITE(seed_provider, "InActivity", ehtrace::level<4>, ehtrace::keyword<0x8>, ehtrace::activity(scope.id()),
                  ehtrace::id<77, 3>, ehtrace::event_tag<0x99>, ehtrace::opcode<ehtrace::event_opcode::send>,
                  field<"n">(round));
}

void dynamic_events(ehtrace::dynamic::provider& provider, int round) {
    ehtrace::dynamic::event_builder b;
    auto* set = provider.register_set(static_cast<std::uint8_t>(2 + round), 0x10);
    if (set == nullptr) return;
    b.reset("Dynamic").set_id_version(5, 1).set_opcode(ehtrace::event_opcode::reply);
    b.add_value("i", round).add_string("s", "dyn").add_zstring("z", std::u32string_view(U"z32"));
    const std::uint64_t many[] = {1, 2, 3, 4};
    b.add_array("many", many, 4).add_const_array("two", many, 2);
    auto outer = b.begin_struct("outer", 5);
    b.add_ipv4("ip", 0x0100007f).add_port("port", 0x5000);
    auto inner = b.begin_struct("inner");
    b.add_bool32("ok", true);
    b.end_struct(inner);
    b.end_struct(outer);
    const std::string_view words[] = {"a", "", "ccc"};
    b.add_string_array("words", words, 3).add_binary("bin", "\x01\x02", 2);
    std::uint8_t activity[16] = {9, 9, 9};
    b.write(*set, activity);
}

// A log record and a span in the OpenTelemetry exporters' layout, so the
// OTLP formatters see events they map.
void otel_events(int round) {
    ehtrace::otel::exporter otel("FuzzSeed_Otel");
    otel.set_resource("seed", "seed-1");
    const ehtrace::otel::attribute attributes[] = {
        {"user", std::string_view("ann")}, {"n", std::int64_t{round}}, {"ok", true}, {"x", 0.5}};
    const ehtrace::otel::trace_context context{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
                                               {1, 2, 3, 4, 5, 6, 7, 8}};
    ehtrace::otel::log_record record;
    record.severity_number = 17;
    record.severity_text = "ERROR";
    record.body = std::string_view("payment failed");
    record.event_name = "payment";
    record.context = context;
    record.attributes = attributes;
    otel.write(record);
    const ehtrace::otel::link links[] = {{{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}, {7, 7, 7, 7, 7, 7, 7, 7}}};
    ehtrace::otel::span span;
    span.name = "GET /x";
    span.kind = ehtrace::otel::span_kind::server;
    span.start = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    span.end = span.start + std::chrono::milliseconds(12);
    span.context = context;
    span.parent = ehtrace::otel::span_id{2, 2, 2, 2, 2, 2, 2, 2};
    span.status = ehtrace::otel::status_code::error;
    span.status_message = "timeout";
    span.links = links;
    span.attributes = attributes;
    otel.write(span);
}

// Records every event written during `body` in the capture file `path`.
template <class Body>
void capture(const std::string& path, Body body) {
    int error = 0;
    auto sink = ehtrace::capture_sink::open(path, error);
    if (!sink) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), std::strerror(error));
        std::exit(1);
    }
    auto* previous = ehtrace::set_sink(sink.get());
    body();
    ehtrace::set_sink(previous);
    sink->finish();
}

void write_all_events(int rounds) {
    ehtrace::provider_registration registration(seed_provider);
    ehtrace::dynamic::provider provider("FuzzSeed_Dynamic");
    for (int round = 0; round < rounds; ++round) {
        static_events(round);
        dynamic_events(provider, round);
        otel_events(round);
    }
}

// One fuzz_dynamic_builder input: op bytes, each followed by filler bytes
// the target reads as names, formats, counts and values.
std::string builder_sequence(const std::vector<unsigned>& ops, unsigned salt) {
    std::string out;
    for (unsigned op : ops) {
        out.push_back(static_cast<char>(op));
        for (unsigned i = 0; i < 10; ++i) out.push_back(static_cast<char>((salt + op * 13 + i * 7) % 200));
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
        return 2;
    }
    const fs::path dir = argv[1];
    fs::create_directories(dir / "capture");
    fs::create_directories(dir / "perf_data");

    const std::string dat = (dir / "capture" / "seed-writers.dat").string();
    capture(dat, [] { write_all_events(2); });
    capture((dir / "perf_data" / "seed-writers.data").string(), [] { write_all_events(1); });

    // Single events for fuzz_event: selector 0x40 names the tracepoint from
    // the event's own level byte.
    {
        std::string error;
        auto source = ehtrace::decode::byte_source::open(dat, error);
        ehtrace::decode::capture_reader reader(*source);
        ehtrace::decode::capture_record record;
        int n = 0;
        std::set<std::string> seen;
        while (reader.next(record)) {
            std::string input(1, '\x41');
            input.append(reinterpret_cast<const char*>(record.event.data()), record.event.size());
            if (!seen.insert(input).second) continue;
            char name[32];
            std::snprintf(name, sizeof name, "seed-%02d", n++);
            write_bytes(dir / "event" / name, input);
        }
        if (reader.error()) {
            std::fprintf(stderr, "%s: %s\n", dat.c_str(), reader.error().message.c_str());
            return 1;
        }
    }

    // A user_events format with one EventHeader record after a NUL.
    {
        const std::string command =
            "FuzzSeed_L4K1 u8 eventheader_flags; u8 version; u16 id; u16 tag; u8 opcode; u8 level";
        std::string text = ehtrace::synthesize_user_events_format(command, 1234);
        const std::string event = read_bytes(dir / "event" / "seed-00").substr(1);
        std::string record("\xd2\x04\0\0\x10\0\0\0", 8);  // common_type 1234, flags, preempt, pid 16
        write_bytes(dir / "tracepoint_layout" / "seed-user_events", text + '\0' + record + event);
        const std::string plain = ehtrace::synthesize_user_events_format(
            "FuzzSeed_plain u32 count; char[8] tag; __rel_loc char[] text; s64 delta", 99);
        std::string plain_record("\x63\0\0\0\x10\0\0\0", 8);
        plain_record += std::string("\x05\0\0\0", 4) + "tagtag\0\0" + std::string("\x0c\0\x04\0", 4) +
                        std::string("\xff\xff\xff\xff\xff\xff\xff\xff", 8) + "abc";
        plain_record.push_back('\0');
        write_bytes(dir / "tracepoint_layout" / "seed-plain", plain + '\0' + plain_record);
    }

    // API-call sequences for the builder.
    write_bytes(dir / "dynamic_builder" / "seed-scalars", builder_sequence({0, 4, 5, 6, 7, 8, 9, 10, 11, 28, 29}, 1));
    write_bytes(dir / "dynamic_builder" / "seed-strings",
                builder_sequence({0, 14, 15, 16, 17, 18, 19, 20, 21, 22, 29}, 2));
    write_bytes(dir / "dynamic_builder" / "seed-structs",
                builder_sequence({0, 23, 5, 23, 6, 25, 12, 13, 25, 24, 26, 29, 27}, 3));
    write_bytes(dir / "dynamic_builder" / "seed-everything",
                builder_sequence({0,  1,  2,  3,  23, 4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
                                  15, 16, 17, 18, 19, 20, 21, 22, 24, 28, 25, 26, 29, 30, 31},
                                 4));

    // Tracepoint names.
    const char* const names[] = {
        "Acme_Web_L4K2c", "Acme_Web_L5K0Gsrv",      "user_events:P_L1K1", "user_events_multi:P_L1K1.2f",
        "P_L0K1",         "P_LffKffffffffffffffff", "P_L100K1",           "P_L4K1GaBc",
        "P_L4K1BxAy"};
    int n = 0;
    for (const char* name : names) write_bytes(dir / "tracepoint_name" / ("seed-" + std::to_string(n++)), name);
    std::printf("seeds written under %s\n", dir.c_str());
    return 0;
}
