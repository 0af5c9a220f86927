// expect: related_activity\(\) needs activity\(\) too
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
void f(const ehtrace::uuid& u) { EHTRACE_WRITE(p, "E", ehtrace::related_activity(u)); }
