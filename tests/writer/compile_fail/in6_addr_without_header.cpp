// expect: an in_addr or in6_addr field needs #include <ehtrace/net.hpp>
#include <netinet/in.h>
#include <ehtrace/provider.hpp>
// <netinet/in.h> after ehtrace's header: s6_addr was not yet a macro there.
EHTRACE_PROVIDER(p, "P");
void f(in6_addr a) { EHTRACE_WRITE(p, "E", ehtrace::field<"a">(a)); }
