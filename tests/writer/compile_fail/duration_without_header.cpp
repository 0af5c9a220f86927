// expect: field needs #include <ehtrace/chrono.hpp>
#include <chrono>
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
void f(std::chrono::milliseconds d) { EHTRACE_WRITE(p, "E", ehtrace::field<"d_ns">(d)); }
