// A shared object with a compile-time provider of its own, loaded, used and
// unloaded over and over by stress_test.cpp while other threads write. It
// links its own copy of the static library, so the test hands it the sink.
#include <ehtrace/provider.hpp>
#include <ehtrace/sink.hpp>

EHTRACE_PROVIDER(stress_plugin_provider, "Stress_Plugin");

extern "C" {
__attribute__((visibility("default"))) ehtrace::sink* stress_plugin_set_sink(ehtrace::sink* s) {
    return ehtrace::set_sink(s);
}
__attribute__((visibility("default"))) int stress_plugin_register() { return stress_plugin_provider.register_events(); }
__attribute__((visibility("default"))) int stress_plugin_unregister() {
    return stress_plugin_provider.unregister_events();
}
__attribute__((visibility("default"))) int stress_plugin_write(int round, int i) {
    return EHTRACE_WRITE(stress_plugin_provider, "FromPlugin", ehtrace::level<4>, ehtrace::keyword<0x1>,
                         ehtrace::field<"t">(round), ehtrace::field<"i">(i),
                         ehtrace::field<"text">(std::string_view("loaded and unloaded")));
}
}
