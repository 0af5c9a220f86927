// The smallest complete ehtrace program: one provider, one event.
//
//   EHTRACE_CAPTURE=hello.dat ./hello && ehtrace-decode hello.dat
#include <ehtrace/provider.hpp>

#include <cstdio>
#include <string_view>

EHTRACE_PROVIDER(hello_provider, "Ehtrace_Hello");

int main(int argc, char** argv) {
    ehtrace::provider_registration registration(hello_provider);
    if (registration.error() != 0) {
        // Not fatal: events are simply not written. Say why once.
        std::fprintf(stderr, "hello: tracing is off: %s\n", ehtrace::user_events_diagnostic().c_str());
    }

    std::string_view who = argc > 1 ? argv[1] : "world";
    for (int i = 0; i < 3; ++i) {
        EHTRACE_WRITE(hello_provider, "Hello", ehtrace::level<ehtrace::event_level::info>, ehtrace::field<"who">(who),
                      ehtrace::field<"count">(i));
    }
    return 0;
}
