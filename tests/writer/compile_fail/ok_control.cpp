// expect: ^$
#include <ehtrace/provider.hpp>
// The control case: a valid event compiles without a diagnostic, so the
// failures above come from the checks, not from a broken harness.
EHTRACE_PROVIDER(p, "P");
#define F1 ehtrace::field<"a">(x)
#define F8 F1, F1, F1, F1, F1, F1, F1, F1
#define F64 F8, F8, F8, F8, F8, F8, F8, F8
void f(int x) {
    EHTRACE_WRITE(p, "E", ehtrace::struct_<"s">(F64, F8, F8, F8, F8, F8, F8, F8, F1, F1, F1, F1, F1, F1, F1));
}
