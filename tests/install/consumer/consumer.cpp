// Built against an installed ehtrace, with find_package and with pkg-config.
#include <ehtrace/chrono.hpp>
#include <ehtrace/net.hpp>
#include <ehtrace/provider.hpp>
#include <ehtrace/ranges.hpp>

#include <vector>

EHTRACE_PROVIDER(consumer_provider, "Ehtrace_Consumer");

int main() {
    ehtrace::provider_registration registration(consumer_provider);
    const std::vector<int> values{1, 2};  // the opt-in headers are installed too
    return EHTRACE_WRITE(consumer_provider, "Installed", ehtrace::field<"ok">(true), ehtrace::field<"values">(values));
}
