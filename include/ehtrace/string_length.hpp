// The length of a zero-terminated string, measured on the write path of both
// APIs. docs/write-path.md ("Measuring zero-terminated strings") says why a
// short string is measured inline rather than by strlen().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

// The inline measure reads the aligned 16 bytes that hold the string's first
// unit, bytes past its end included. Such a load never crosses a page, so it
// cannot fault; valgrind's memcheck accepts it (aligned partial loads). The
// sanitizers would report it, so instrumented builds call strlen() instead,
// as does EHTRACE_NO_INLINE_STRLEN.
// It needs x86-64 (SSE2, 64-bit bsf) and `asm goto` with outputs (GCC 11,
// clang 11).
#if defined(__x86_64__) && !defined(EHTRACE_NO_INLINE_STRLEN) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_HWADDRESS__) &&                           \
    ((defined(__clang__) && __clang_major__ >= 11) || (!defined(__clang__) && __GNUC__ >= 11))
#if defined(__has_feature)
#if !__has_feature(address_sanitizer) && !__has_feature(thread_sanitizer) && !__has_feature(memory_sanitizer) && \
    !__has_feature(hwaddress_sanitizer)
#define EHTRACE_INLINE_STRLEN 1
#endif
#else
#define EHTRACE_INLINE_STRLEN 1
#endif
#endif
#if !defined(EHTRACE_INLINE_STRLEN)
#define EHTRACE_INLINE_STRLEN 0
#endif

// GCC lays out a label marked cold away from the usual path; clang has no
// such attribute.
#if defined(__clang__)
#define EHTRACE_COLD_LABEL
#else
#define EHTRACE_COLD_LABEL __attribute__((cold))
#endif

namespace ehtrace::detail {

// What a null string pointer is written as.
template <class Char>
inline constexpr Char empty_zstring{};

#if EHTRACE_INLINE_STRLEN
// Bit i is set where byte i of the aligned 16 bytes at `block_at` is 0.
// (GCC's vector extension and SSE2 builtin, as <emmintrin.h> would have it,
// without that header's 3,800 preprocessed lines.)
inline __attribute__((always_inline)) std::uint64_t zero_units(std::uintptr_t block_at) noexcept {
    using block16 = char __attribute__((vector_size(16), aligned(16), may_alias));
    const block16 block = *reinterpret_cast<const block16*>(block_at);
    return static_cast<unsigned>(__builtin_ia32_pmovmskb128(block == block16{}));
}
#endif

// The number of units before the first 0 unit of `text`; a null `text` is
// measured as "", and `on_null(&empty_zstring<Char>)` is called first. The
// usual case, a short string, costs no call and no separate null test: a null
// pointer's block address is 0. Once measured, `text` itself is not needed:
// a caller that stores the pointer before measuring lets the compiler use
// one register for the pointer and its offset in the block.
template <class Char, class OnNull>
inline __attribute__((always_inline)) std::size_t zstring_length(const Char* text, OnNull&& on_null) noexcept {
#if EHTRACE_INLINE_STRLEN
    // A literal's length is left to the compiler, which knows it.
    if (sizeof(Char) == 1 && !__builtin_constant_p(std::char_traits<Char>::length(text))) {
        const auto at = reinterpret_cast<std::uintptr_t>(text);
        const std::uintptr_t block_at = at & ~std::uintptr_t{15};
        std::uintptr_t offset = at & 15;
        // The slower paths take the text back from the block and the offset,
        // so that the usual one keeps no copy of the pointer (which would
        // cost a register move per string); the empty asm keeps the
        // compiler from seeing that the two add up to `at`.
        __asm__("" : "+r"(offset));
        if (__builtin_expect(block_at != 0, 1)) {
            const std::uint64_t zeros = zero_units(block_at) >> offset;
            // bsf finds the first 0 unit and says whether there is one, so
            // the branch needs no test of its own (__builtin_ctzll would).
            std::uint64_t length;
            __asm__ goto("bsf %1, %0\n\tjz %l[next_block]" : "=r"(length) : "r"(zeros) : "cc" : next_block);
            return length;
        next_block:
            EHTRACE_COLD_LABEL;
            // The string goes on into the next block (so that block's page
            // is the string's): every string of up to 16 units ends there.
            __asm__ goto("bsf %1, %0\n\tjz %l[long_string]"
                         : "=r"(length)
                         : "r"(zero_units(block_at + 16))
                         : "cc"
                         : long_string);
            return 16 - offset + length;
        }
    long_string:
        EHTRACE_COLD_LABEL;
        text = reinterpret_cast<const Char*>(block_at + offset);
    }
#endif
    if (text == nullptr) {
        on_null(&empty_zstring<Char>);
        return 0;
    }
    return std::char_traits<Char>::length(text);
}

// The same, replacing a null `text` by "".
template <class Char>
inline __attribute__((always_inline)) std::size_t zstring_length(const Char*& text) noexcept {
    return zstring_length(
        text, [&](const Char* empty) __attribute__((always_inline)) { text = empty; });
}

}  // namespace ehtrace::detail
