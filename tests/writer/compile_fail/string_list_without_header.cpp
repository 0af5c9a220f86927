// expect: a range field .* needs #include <ehtrace/ranges.hpp>
#include <ehtrace/provider.hpp>
// Without the header, {"a", "b"} must not become an array of pointers.
EHTRACE_PROVIDER(p, "P");
void f() { EHTRACE_WRITE(p, "E", ehtrace::field<"names">({"a", "b"})); }
