// The values the benchmarks write, in a translation unit of their own: the
// compiler sees only references to them where events are written, so
// nothing is folded (the strlen of "hello world", constant sizes) that a
// program writing its own data would compute.
#include "bench_events.hpp"

#include <cstdlib>
#include <cstring>

namespace ehtrace_bench {

namespace {
// Where the zero-terminated "s" lies decides how the writers measure it
// (docs/write-path.md, "Measuring zero-terminated strings"): a copy of
// string11 at EHTRACE_BENCH_STRING_OFFSET (0..15, default 0) bytes into a
// 16-byte block. Offset 0 is where malloc() and std::string's heap buffer
// put a string; 9 makes "hello world" cross into the next block.
alignas(16) char string_blocks[32];

const char* place_string11() noexcept {
    const char* env = std::getenv("EHTRACE_BENCH_STRING_OFFSET");
    const unsigned long offset = env != nullptr ? std::strtoul(env, nullptr, 10) % 16 : 0;
    std::memcpy(string_blocks + offset, string11, sizeof string11);
    return string_blocks + offset;
}

// Placed once; every value set below points at it.
const char* const placed_string11 = place_string11();

values4 with_placed_string(values4 v) noexcept {
    v.s = placed_string11;
    return v;
}

values64 with_placed_strings(values64 v) noexcept {
    for (values4& g : v.group) g.s = placed_string11;
    return v;
}

// Built before main() (dynamic initialization of this file's statics), so
// the accessors below need no guard.
values4 values4_instance = with_placed_string({});
mixed_values mixed_instance;
nested_values nested_instance;
values64 values64_instance = with_placed_strings({});
}  // namespace

const values4& shared_values4() noexcept { return values4_instance; }
const mixed_values& shared_mixed_values() noexcept { return mixed_instance; }
const nested_values& shared_nested_values() noexcept { return nested_instance; }
const values64& shared_values64() noexcept { return values64_instance; }

}  // namespace ehtrace_bench
