// expect: a struct has no bytes of its own
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
void f(const void* d) { EHTRACE_WRITE(p, "E", ehtrace::raw_field<"r", ehtrace::field_encoding::structure>(d, 2)); }
