// A string literal usable as a template argument: names in the compile-time
// API travel in types, so their metadata is built during compilation.
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>

namespace ehtrace {

template <std::size_t N>
struct fixed_string {
    char chars[N]{};

    constexpr fixed_string(const char (&text)[N]) noexcept {
        for (std::size_t i = 0; i < N; ++i) chars[i] = text[i];
    }
    // Anything else (a pointer, a std::string, a variable): one readable
    // error here rather than a failed deduction and what follows from it.
    template <class T>
    requires(!std::is_same_v<std::remove_cvref_t<T>, fixed_string>) consteval fixed_string(const T&) noexcept
        : chars{"?"} {
        static_assert(sizeof(T) == 0,
                      "ehtrace: names (event, field and provider names) must be string literals "
                      "such as \"Request\"; for names known only at run time use the dynamic "
                      "builder (ehtrace/dynamic.hpp)");
    }
    constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
    static constexpr std::size_t length = N - 1;
};

template <class T>
fixed_string(const T&) -> fixed_string<2>;

}  // namespace ehtrace
