// expect: ehtrace: names \(event, field and provider names\) must be string literals
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
void f(const char* name) { EHTRACE_WRITE(p, name); }
