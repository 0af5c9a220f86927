// A shared object with a provider of its own, loaded by shared_object_test.
// It uses the same provider symbol as the test executable: each module must
// register only its own sites.
#include <ehtrace/provider.hpp>
#include <ehtrace/sink.hpp>

EHTRACE_PROVIDER(module_provider, "EhtraceTest_Plugin");

extern "C" {
__attribute__((visibility("default"))) ehtrace::sink* plugin_set_sink(ehtrace::sink* s) { return ehtrace::set_sink(s); }
__attribute__((visibility("default"))) int plugin_register() { return module_provider.register_events(); }
__attribute__((visibility("default"))) int plugin_unregister() { return module_provider.unregister_events(); }
__attribute__((visibility("default"))) int plugin_write(int value) {
    return EHTRACE_WRITE(module_provider, "FromPlugin", ehtrace::level<4>, ehtrace::field<"value">(value));
}
}
