// Compiled to assembly by check_disabled_path.py: the disabled path of a
// write site must be one load of the enable word and one branch.
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(codegen_provider, "Codegen_Probe");
void disabled_path_probe(int x, double d, const char* s, unsigned long long u) {
    EHTRACE_WRITE(codegen_provider, "Probe", ehtrace::level<4>, ehtrace::field<"x">(x), ehtrace::field<"d">(d),
                  ehtrace::field<"s">(s), ehtrace::field<"u">(u));
}
