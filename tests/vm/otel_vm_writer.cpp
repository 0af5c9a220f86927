// The program vm.otlp_collect runs under ehtrace-collect --otlp in the
// guest: LOGS log records and SPANS spans through <ehtrace/otel.hpp>, to the
// real kernel's user_events. Every value follows from the record's index,
// so the host side (tests/vm/otlp_collect_test.py) can tell what each record
// received must hold; the formulas are written out there a second time.
//
// Usage: ehtrace_vm_otel_writer LOGS SPANS
// Prints "otel-writer: wrote L logs and S spans" and exits 0 when every
// write succeeded; 1 and what failed otherwise.
#include <ehtrace/otel.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

// 2026-01-01T00:00:00Z: fixed times make the host's checks exact.
constexpr std::chrono::seconds base_time{1767225600};

ehtrace::otel::time_point at(std::chrono::microseconds offset) {
    return ehtrace::otel::time_point(
        std::chrono::duration_cast<ehtrace::otel::time_point::duration>(base_time + offset));
}

// An id of N bytes: `tag` first, the index in the last two (big-endian).
template <std::size_t N>
std::array<std::uint8_t, N> id_of(std::uint8_t tag, int i) {
    std::array<std::uint8_t, N> id{};
    id[0] = tag;
    id[N - 2] = static_cast<std::uint8_t>(i >> 8);
    id[N - 1] = static_cast<std::uint8_t>(i);
    return id;
}

ehtrace::otel::trace_id trace_of(std::uint8_t tag, int i) { return id_of<16>(tag, i); }
ehtrace::otel::span_id span_of(std::uint8_t tag, int i) { return id_of<8>(tag, i); }

// A short pause now and then: the kernel ring is sized for the test, but a
// burst from a TCG guest should not depend on the collector's scheduling.
void pace(int i) {
    if (i % 200 == 199) std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: ehtrace_vm_otel_writer LOGS SPANS\n");
        return 2;
    }
    const int logs = std::atoi(argv[1]), spans = std::atoi(argv[2]);
    ehtrace::otel::exporter otel("otelvm");
    otel.set_resource("vm-service", "guest-1");

    static constexpr int severities[] = {9, 13, 17, 21, 5};
    static constexpr const char* severity_texts[] = {"INFO", "WARN", "ERROR", "FATAL", "DEBUG"};
    for (int i = 0; i < logs; ++i) {
        const std::string body = "guest log " + std::to_string(i) + " \xe2\x9c\x93";  // U+2713
        const ehtrace::otel::attribute attributes[] = {
            {"index", std::int64_t{i}}, {"even", i % 2 == 0}, {"ratio", i / 4.0}, {"guest", std::string_view("qemu")}};
        ehtrace::otel::log_record r;
        r.time = at(std::chrono::microseconds(i));
        r.severity_number = severities[i % 5];
        r.severity_text = severity_texts[i % 5];
        r.body = std::string_view(body);
        r.event_name = "vm.log";
        r.event_id = i;
        r.context = ehtrace::otel::trace_context{trace_of(0x7e, i), span_of(0x5e, i)};
        r.attributes = attributes;
        if (const int e = otel.write(r); e != 0) {
            std::fprintf(stderr, "otel-writer: log %d: error %d\n", i, e);
            return 1;
        }
        pace(i);
    }
    for (int j = 0; j < spans; ++j) {
        const std::string name = "guest span " + std::to_string(j);
        const std::string message = "failed " + std::to_string(j);
        const ehtrace::otel::attribute attributes[] = {{"index", std::int64_t{j}},
                                                       {"http.method", std::string_view("GET")}};
        const ehtrace::otel::link links[] = {{trace_of(0xab, j - 1), span_of(0x5a, j - 1)}};
        ehtrace::otel::span s;
        s.name = name;
        s.kind = static_cast<ehtrace::otel::span_kind>(j % 5);
        s.start = at(std::chrono::milliseconds(j));
        s.end = s.start + std::chrono::microseconds(250);
        s.context = {trace_of(0xab, j), span_of(0x5a, j)};
        if (j % 2 == 1) s.parent = span_of(0x5a, j - 1);
        if (j % 3 == 0) {
            s.status = ehtrace::otel::status_code::error;
            s.status_message = message;
        }
        if (j % 4 == 2) s.links = links;
        s.attributes = attributes;
        if (const int e = otel.write(s); e != 0) {
            std::fprintf(stderr, "otel-writer: span %d: error %d\n", j, e);
            return 1;
        }
        pace(j);
    }
    std::printf("otel-writer: wrote %d logs and %d spans\n", logs, spans);
    return 0;
}
