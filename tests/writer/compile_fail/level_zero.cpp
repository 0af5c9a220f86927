// expect: the level must be 1..255
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
void f() { EHTRACE_WRITE(p, "E", ehtrace::level<0>); }
