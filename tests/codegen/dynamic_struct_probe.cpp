// Compiled to assembly by check_struct_patch.py: end_struct() of the
// dynamic builder patches the struct's field count into its format byte
// with a 1-byte load. That byte was stored by the last 8-byte store of the
// struct's definition, and the byte after it by the next field's; a wider
// load needs bytes of both stores, which the processor cannot forward while
// they are in flight (docs/write-path.md): it cost 1.7 ns per struct.
// The values come in registers, so the patch is the function's only load
// narrower than 4 bytes. extern "C": a name that does not change with the
// ABI namespace.
#include <cstdint>

#include <ehtrace/dynamic.hpp>

extern "C" void dynamic_struct_probe(ehtrace::dynamic::event_builder& b, std::int32_t status, std::uint64_t bytes) {
    b.reset("Probe");
    auto request = b.begin_struct("request");
    b.add_value("status", status);
    b.add_value("bytes", bytes);
    b.end_struct(request);
    b.add_value("after", status);
}
