// Unaligned loads with optional byte swap; private to the decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ehtrace::decode {

template <class T>
[[nodiscard]] inline T load(const std::byte* p, bool swap = false) noexcept {
    T value;
    std::memcpy(&value, p, sizeof(T));
    if (swap) {
        if constexpr (sizeof(T) == 2) value = static_cast<T>(__builtin_bswap16(static_cast<std::uint16_t>(value)));
        else if constexpr (sizeof(T) == 4) value = static_cast<T>(__builtin_bswap32(static_cast<std::uint32_t>(value)));
        else if constexpr (sizeof(T) == 8) value = static_cast<T>(__builtin_bswap64(static_cast<std::uint64_t>(value)));
    }
    return value;
}

}  // namespace ehtrace::decode
