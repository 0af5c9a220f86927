// expect: a range field .* needs #include <ehtrace/ranges.hpp>
#include <ehtrace/provider.hpp>
#include <vector>
EHTRACE_PROVIDER(p, "P");
void f(const std::vector<int>& v) { EHTRACE_WRITE(p, "E", ehtrace::field<"v">(v)); }
