// expect: a struct has at most 127 fields
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
#define F1 ehtrace::field<"a">(x)
#define F8 F1, F1, F1, F1, F1, F1, F1, F1
#define F64 F8, F8, F8, F8, F8, F8, F8, F8
void f(int x) { EHTRACE_WRITE(p, "E", ehtrace::struct_<"s">(F64, F64)); }
