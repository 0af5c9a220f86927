// expect: unsupported field type
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
struct opaque {
    int a;
};
void f(opaque o) { EHTRACE_WRITE(p, "E", ehtrace::field<"o">(o)); }
