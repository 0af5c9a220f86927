// expect: field needs #include <ehtrace/chrono.hpp>
#include <chrono>
#include <ehtrace/provider.hpp>
// Time points are fields only with the opt-in header.
EHTRACE_PROVIDER(p, "P");
void f() { EHTRACE_WRITE(p, "E", ehtrace::field<"t">(std::chrono::system_clock::now())); }
