// expect: provider options are an uppercase letter
#include <ehtrace/provider.hpp>
EHTRACE_PROVIDER(p, "P", "gbad");
