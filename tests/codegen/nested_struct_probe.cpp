// Compiled to assembly by check_enabled_path.py: the enabled path of an
// event with nested structs and counted strings (issue 18's mixed shape)
// must be inlined into the write site and read nothing back from the stack,
// and its disabled path stay one load and one branch (check_disabled_path.py).
// Under g++ 12 it once built the struct's fields as objects on the stack and
// copied them with wider loads than the stores that wrote them
// (store-forwarding stalls: 15 ns for an event of 109 instructions).
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include <ehtrace/provider.hpp>
#include <ehtrace/ranges.hpp>

EHTRACE_PROVIDER(codegen_nested_provider, "Codegen_Nested");

struct nested_args {
    ehtrace::uuid id;
    std::string_view path;
    std::array<std::uint32_t, 16> samples;
    std::int32_t status;
    double seconds;
    std::uint64_t bytes;
    std::string_view agent;
};

void nested_struct_probe(const nested_args& v) {
    (void)EHTRACE_WRITE(
        codegen_nested_provider, "Nested", ehtrace::level<4>, ehtrace::field<"id">(v.id),
        ehtrace::field<"path">(v.path), ehtrace::field<"samples">(std::span<const std::uint32_t>(v.samples)),
        ehtrace::struct_<"request">(
            ehtrace::field<"status">(v.status),
            ehtrace::struct_<"timing">(ehtrace::field<"seconds">(v.seconds), ehtrace::field<"bytes">(v.bytes)),
            ehtrace::field<"agent">(v.agent)));
}
