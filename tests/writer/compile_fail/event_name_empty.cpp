// expect: the event name must not be empty
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
void f() { EHTRACE_WRITE(p, ""); }
