// Opt-in: std::chrono values as fields (as {fmt}'s chrono.h), so that the
// core header <ehtrace/fields.hpp> need not include <chrono>.
//
//   std::chrono::system_clock::time_point  int64 seconds since 1970 (time format;
//                                          a fraction of a second is dropped)
//   std::chrono::duration<Rep, Period>     int64 nanoseconds (a fraction of a
//                                          nanosecond is dropped): put the unit
//                                          in the field name
#pragma once

#include <ehtrace/fields.hpp>

#include <chrono>
#include <cstdint>

namespace ehtrace::detail {

template <class Clock, class Duration>
struct field_support<std::chrono::time_point<Clock, Duration>> {
    template <int Override, bool ByRef>
    EHTRACE_FIELD_INLINE static auto make(const std::chrono::time_point<Clock, Duration>& value) noexcept {
        static_assert(std::is_same_v<std::chrono::time_point<Clock, Duration>, std::chrono::system_clock::time_point>,
                      "ehtrace: a time point field is a std::chrono::system_clock::time_point (seconds since "
                      "1970); convert other time points to it");
        const auto seconds = std::chrono::floor<std::chrono::seconds>(value.time_since_epoch()).count();
        return scalar_encoder<std::int64_t, pick_format(Override, fmt(field_format::time))>{
            {}, {static_cast<std::int64_t>(seconds)}};
    }
};

template <class Rep, class Period>
struct field_support<std::chrono::duration<Rep, Period>> {
    template <int Override, bool ByRef>
    EHTRACE_FIELD_INLINE static auto make(const std::chrono::duration<Rep, Period>& value) noexcept {
        const auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(value).count();
        return scalar_encoder<std::int64_t, pick_format(Override, scalar_kind_of<std::int64_t>().format)>{
            {}, {static_cast<std::int64_t>(nanoseconds)}};
    }
};

}  // namespace ehtrace::detail
