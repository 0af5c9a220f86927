// expect: a field name must not contain ';'
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
void f(int x) { EHTRACE_WRITE(p, "E", ehtrace::field<"a;b">(x)); }
