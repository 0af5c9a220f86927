// expect: give the level at most once
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
void f() { EHTRACE_WRITE(p, "E", ehtrace::level<1>, ehtrace::level<2>); }
