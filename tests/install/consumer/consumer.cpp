// Built against an installed ehtrace, with find_package and with pkg-config.
#include <ehtrace/provider.hpp>

EHTRACE_PROVIDER(consumer_provider, "Ehtrace_Consumer");

int main() {
    ehtrace::provider_registration registration(consumer_provider);
    return EHTRACE_WRITE(consumer_provider, "Installed", ehtrace::field<"ok">(true));
}
