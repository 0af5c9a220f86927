// expect: this format does not apply
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
void f(int n) { EHTRACE_WRITE(p, "E", ehtrace::field<"n">(ehtrace::json(n))); }
