// expect: an in_addr or in6_addr field needs #include <ehtrace/net.hpp>
#include <netinet/in.h>
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
void f(const in_addr (&a)[2]) { EHTRACE_WRITE(p, "E", ehtrace::field<"a">(a)); }
