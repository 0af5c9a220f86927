// A C++17 consumer of the dynamic API, as the OpenTelemetry C++ exporter
// is: compiled with -std=c++17 against ehtrace/dynamic.hpp and linked to
// libehtrace.so only. Writes under EHTRACE_CAPTURE and reads the records back.
//   dynamic_cxx17_test <capture.dat>
#include <ehtrace/ehtrace.h>
#include <ehtrace/dynamic.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

static_assert(__cplusplus == 201703L, "this consumer must be compiled as C++17");

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "failed: %s\n", what);
        ++failures;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    std::remove(argv[1]);
    setenv("EHTRACE_CAPTURE", argv[1], 1);

    {
        ehtrace::dynamic::provider provider("Cxx17_Consumer");
        check(provider.error() == 0, "provider");
        ehtrace::dynamic::event_set* set = provider.register_set(4, 1);
        check(set != nullptr && set->enabled(), "set enabled");
        if (set == nullptr) return 1;

        thread_local ehtrace::dynamic::event_builder builder;
        const std::string_view tags[] = {"a", "bc"};
        builder.reset("Log").add_string("body", "hello").add_value("count", std::int64_t{-5});
        auto part = builder.begin_struct("part");
        builder.add_value("ok", true).add_string_array("tags", tags, 2);
        builder.end_struct(part);
        check(builder.write(*set) == 0, "write");

        // The C API is usable from the same translation unit.
        check(ehtrace_event_set_enabled(reinterpret_cast<const ehtrace_event_set*>(set)) == 1, "C API");
    }

    std::ifstream file(argv[1], std::ios::binary);
    const std::vector<unsigned char> data{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    const char name[] = "Cxx17_Consumer_L4K1";
    const unsigned char metadata[] =
        "Log\0body\0\x0A"
        "count\0\x85\x02"
        "part\0\x81\x02"
        "ok\0\x82\x07"
        "tags\0\x4A";
    const unsigned char payload[] = {5,    0,    'h', 'e', 'l', 'l', 'o', 0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                     0xFF, 0xFF, 1,   2,   0,   1,   0,   'a',  2,    0,    'b',  'c'};
    std::vector<unsigned char> expected = {0x07, 0, 0, 0, 0, 0, 0, 4, sizeof metadata - 1, 0, 1, 0};
    expected.insert(expected.end(), metadata, metadata + sizeof metadata - 1);
    expected.insert(expected.end(), payload, payload + sizeof payload);
    const std::size_t record_size = 4 + sizeof name + expected.size();

    check(data.size() == record_size, "one record of the expected size");
    if (data.size() == record_size) {
        check(data[0] == record_size && data[1] == 0, "record size");
        check(std::memcmp(data.data() + 4, name, sizeof name) == 0, "tracepoint name");
        check(std::memcmp(data.data() + 4 + sizeof name, expected.data(), expected.size()) == 0, "event bytes");
    }
    if (failures == 0) std::puts("ok");
    return failures == 0 ? 0 : 1;
}
