// A string literal usable as a template argument: names in the compile-time
// API travel in types, so their metadata is built during compilation.
#pragma once

#include <cstddef>
#include <string_view>

namespace ehtrace {

template <std::size_t N>
struct fixed_string {
    char chars[N]{};

    constexpr fixed_string(const char (&text)[N]) noexcept {
        for (std::size_t i = 0; i < N; ++i) chars[i] = text[i];
    }
    constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
    static constexpr std::size_t length = N - 1;
};

}  // namespace ehtrace
