// expect: a time point field is a std::chrono::system_clock::time_point
#include <ehtrace/chrono.hpp>
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
void f() { EHTRACE_WRITE(p, "E", ehtrace::field<"t">(std::chrono::steady_clock::now())); }
