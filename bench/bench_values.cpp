// The values the benchmarks write, in a translation unit of their own: the
// compiler sees only references to them where events are written, so
// nothing is folded (the strlen of "hello world", constant sizes) that a
// program writing its own data would compute.
#include "bench_events.hpp"

namespace ehtrace_bench {

namespace {
// Built before main() (dynamic initialization of this file's statics), so
// the accessors below need no guard.
values4 values4_instance;
mixed_values mixed_instance;
nested_values nested_instance;
values64 values64_instance;
}  // namespace

const values4& shared_values4() noexcept { return values4_instance; }
const mixed_values& shared_mixed_values() noexcept { return mixed_instance; }
const nested_values& shared_nested_values() noexcept { return nested_instance; }
const values64& shared_values64() noexcept { return values64_instance; }

}  // namespace ehtrace_bench
