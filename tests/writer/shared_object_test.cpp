#include "event_test_support.hpp"

#include <ehtrace/provider.hpp>

#include <gtest/gtest.h>

#include <dlfcn.h>
#include <string>

EHTRACE_PROVIDER(module_provider, "EhtraceTest_Main");

namespace {

using namespace ehtrace_test;

int write_main(int v) { return EHTRACE_WRITE(module_provider, "FromMain", ehtrace::field<"v">(v)); }

struct plugin {
    void* handle = dlopen(EHTRACE_TEST_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    template <class F>
    F* get(const char* name) {
        return reinterpret_cast<F*>(dlsym(handle, name));
    }
    ~plugin() {
        if (handle) dlclose(handle);
    }
};

TEST(SharedObject, EachModuleRegistersOnlyItsOwnSites) {
    memory_capture capture;
    ASSERT_EQ(module_provider.register_events(), 0);
    for (const auto& command : capture.sink().registered_commands()) {
        EXPECT_EQ(command.rfind("EhtraceTest_Main_", 0), 0u) << command;
    }
    EXPECT_EQ(write_main(1), 0);
    module_provider.unregister_events();
}

TEST(SharedObject, LoadUseUnregisterUnloadRepeatedly) {
    memory_capture capture;
    for (int round = 0; round < 25; ++round) {
        plugin p;
        ASSERT_NE(p.handle, nullptr) << dlerror();
        // The plugin links its own copy of the static library: point its sink here too.
        auto* previous = p.get<ehtrace::sink*(ehtrace::sink*)>("plugin_set_sink")(&capture.sink());
        ASSERT_EQ(p.get<int()>("plugin_register")(), 0);
        ASSERT_EQ(p.get<int(int)>("plugin_write")(round), 0);
        ASSERT_EQ(p.get<int()>("plugin_unregister")(), 0);
        EXPECT_EQ(p.get<int(int)>("plugin_write")(round), EBADF);
        p.get<ehtrace::sink*(ehtrace::sink*)>("plugin_set_sink")(previous);
    }
    auto records = capture.records();
    ASSERT_EQ(records.size(), 25u);
    for (const auto& r : records) EXPECT_EQ(r.tracepoint_name, "EhtraceTest_Plugin_L4K0");
    for (const auto& command : capture.sink().registered_commands()) {
        EXPECT_EQ(command.rfind("EhtraceTest_Plugin_", 0), 0u) << command;
    }
}

}  // namespace
