// expect: the event name must not contain ';'
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
void f() { EHTRACE_WRITE(p, "E;x"); }
