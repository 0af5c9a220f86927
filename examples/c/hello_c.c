/* ehtrace from C, through libehtrace.so: one provider, one event set, a few
 * events built at run time.
 *
 *   EHTRACE_CAPTURE=hello_c.dat ./hello_c && ehtrace-decode hello_c.dat
 *
 * Without EHTRACE_CAPTURE the events go to the kernel's user_events (Linux
 * 6.4+): `perf record -e user_events:Ehtrace_HelloC_L4K1`. */
#include <ehtrace/ehtrace.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
    const char* who = argc > 1 ? argv[1] : "world";
    ehtrace_provider* provider = NULL;
    ehtrace_event_set* info = NULL;
    ehtrace_builder* builder = NULL;
    int error = ehtrace_provider_open("Ehtrace_HelloC", NULL, &provider);
    if (error != 0) {
        fprintf(stderr, "hello_c: cannot open the provider: %s\n", strerror(error));
        return 1;
    }
    /* A failed registration is not fatal: events to the set are dropped.
     * Say why once, the way the C++ examples do. */
    if (ehtrace_provider_register_set(provider, EHTRACE_LEVEL_INFO, 0x1, &info) != 0) {
        char why[256];
        ehtrace_diagnostic(why, sizeof why);
        fprintf(stderr, "hello_c: tracing is off: %s\n", why);
    }
    if (ehtrace_builder_create(&builder) != 0) {
        ehtrace_provider_close(provider);
        return 1;
    }
    for (int i = 0; i < 3; ++i) {
        if (!ehtrace_event_set_enabled(info)) break; /* nobody listens: build nothing */
        ehtrace_struct_bookmark request;
        ehtrace_builder_reset(builder, "Hello", 0);
        ehtrace_builder_add_zstring(builder, "who", who, EHTRACE_NUL_TERMINATED, EHTRACE_FORMAT_DEFAULT, 0);
        ehtrace_builder_add_i32(builder, "count", i);
        ehtrace_builder_begin_struct(builder, "request", 0, &request);
        ehtrace_builder_add_u16(builder, "status", (uint16_t)(200 + i));
        ehtrace_builder_add_double(builder, "seconds", 0.5 * i);
        ehtrace_builder_end_struct(builder, request);
        /* Errors while building are sticky: the write reports the first. */
        error = ehtrace_builder_write(builder, info, NULL, NULL);
        if (error != 0 && error != EBADF) {
            fprintf(stderr, "hello_c: %s\n", ehtrace_builder_error_message(builder));
        }
    }
    ehtrace_builder_destroy(builder);
    ehtrace_provider_close(provider);
    return 0;
}
