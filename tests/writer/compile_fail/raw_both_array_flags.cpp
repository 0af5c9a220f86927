// expect: either constant-length or variable-length, not both
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P");
void f(const void* d) {
    EHTRACE_WRITE(
        p, "E",
        ehtrace::raw_field<"r", ehtrace::field_encoding::value8, ehtrace::field_format::default_format, 0, 2, 0x60>(d,
                                                                                                                    2));
}
