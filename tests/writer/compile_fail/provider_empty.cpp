// expect: the provider name must not be empty
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "");
