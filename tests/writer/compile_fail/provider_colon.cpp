// expect: no space, no ':'
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "My:Provider");
