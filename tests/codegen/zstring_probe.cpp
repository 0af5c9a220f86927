// Compiled to assembly by check_zstring_path.py: how a write site measures
// a zero-terminated string (docs/write-path.md, "Measuring zero-terminated
// strings"). A string known only at run time is measured inline; a literal's
// length is the compiler's constant; an instrumented build calls strlen().
#include <ehtrace/provider.hpp>

EHTRACE_PROVIDER(codegen_zstring_provider, "Codegen_Zstring");

void zstring_pointer_probe(const char* text) {
    (void)EHTRACE_WRITE(codegen_zstring_provider, "Text", ehtrace::field<"text">(text));
}

void zstring_literal_probe() {
    (void)EHTRACE_WRITE(codegen_zstring_provider, "Text", ehtrace::field<"text">("a literal, 26 characters"));
}
