/* The LTTng-UST tracepoint of the side-by-side benchmark: the same 4-field
 * event as ehtrace's Bench4 (int32 x, double d, string s, uint64 u). */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER ehtrace_bench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./bench_lttng_tp.h"

#if !defined(EHTRACE_BENCH_LTTNG_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define EHTRACE_BENCH_LTTNG_TP_H

/* LTTng's macros read best as a field list. */
/* clang-format off */
#include <stdint.h>
#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(
    ehtrace_bench, bench4,
    LTTNG_UST_TP_ARGS(int32_t, x, double, d, const char*, s, uint64_t, u),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int32_t, x, x)
        lttng_ust_field_float(double, d, d)
        lttng_ust_field_string(s, s)
        lttng_ust_field_integer(uint64_t, u, u)))
/* clang-format on */

#endif

#include <lttng/tracepoint-event.h>
