// Opt-in: containers and ranges as fields (as {fmt}'s ranges.h), so that the
// core header <ehtrace/fields.hpp> need not include <vector>, <span> or
// <ranges>.
//
//   std::vector<T>, std::span<T>        a variable-length array of T (a fixed-size
//                                       field type; not std::vector<bool>)
//   std::span<T, N>                     a constant-length array of N T
//   any range of strings                a variable-length array of counted strings,
//                                       the dynamic builder's add_string_array:
//                                       std::vector<std::string>, std::span<const
//                                       std::string_view>, {"a", "b"}, a std::list
//                                       of std::u16string, a std::array of const
//                                       char* ... (copied when the field is made;
//                                       a null const char* is an empty string)
// C arrays, std::array and {...} lists of fixed-size values need no header.
#pragma once

#include <ehtrace/fields.hpp>

#include <cstddef>
#include <cstdint>
#include <ranges>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ehtrace::detail {

// A variable-length array of counted strings, as the dynamic builder's
// add_string_array writes it: u16 count, then per string u16 length and its
// code units. The element count and lengths are known only at run time, so
// the strings are gathered into a buffer when the field is made. Over 65,535
// strings, or a string over 65,535 units, the buffer is made too big to fit
// an event, so the write refuses it rather than cutting it.
template <class C, std::uint8_t Format>
struct string_array_encoder
    : encoder_shape<counted_string_encoding<C>() | encoding_flags::var_array, Format, sizeof(std::uint16_t), true> {
    static constexpr std::array<piece, 2> pieces{copied_piece(sizeof(std::uint16_t)), variable_piece()};
    byte_buffer buffer;
    std::uint16_t count16 = 0;

    template <class Range>
    explicit string_array_encoder(const Range& range) {
        std::size_t count = 0;
        bool too_long = false;
        for (const auto& element : range) {
            const std::basic_string_view<C> text = as_view(element);
            too_long = too_long || text.size() > 0xFFFF;
            const auto length16 = static_cast<std::uint16_t>(text.size());
            buffer.append(&length16, sizeof length16);
            if (!too_long && buffer.size() <= max_event_size) buffer.append(text.data(), text.size() * sizeof(C));
            ++count;
        }
        count16 = static_cast<std::uint16_t>(count > 0xFFFF ? 0xFFFF : count);
        if (count > 0xFFFF || too_long || buffer.size() > max_event_size) buffer.resize(max_event_size + 1);
    }
    template <std::size_t First, class Out>
    void emit(Out& out) const {
        out.template copy<First>(&count16, sizeof count16);
        out.template ref<First + 1>(buffer.data(), buffer.size());
    }

private:
    static std::basic_string_view<C> as_view(const C* text) noexcept {
        return text != nullptr ? std::basic_string_view<C>(text) : std::basic_string_view<C>();
    }
    template <class S>
    static std::basic_string_view<C> as_view(const S& text) noexcept {
        return std::basic_string_view<C>(text.data(), text.size());
    }
};

// Ranges of strings; strings themselves are ranges of characters, and a C
// array of character pointers is a constant-length array of pointers.
template <class T>
concept string_range = std::ranges::input_range<const T> && !is_string_like<T>::value && !std::is_array_v<T> &&
                       is_string_element<std::remove_cvref_t<std::ranges::range_reference_t<const T>>>;

template <class T>
requires string_range<T>
struct field_support<T> {
    template <int Override, bool ByRef>
    static auto make(const T& value) {
        using C = typename string_element<std::remove_cvref_t<std::ranges::range_reference_t<const T>>>::type;
        return string_array_encoder<C, pick_format(Override, utf)>(value);
    }
};

template <class T, class A>
requires(!is_string_element<T>) struct field_support<std::vector<T, A>> {
    template <int Override, bool ByRef>
    EHTRACE_FIELD_INLINE static auto make(const std::vector<T, A>& value) noexcept {
        static_assert(!std::is_same_v<T, bool>,
                      "ehtrace: std::vector<bool> has no contiguous storage; copy it to bool[]");
        require_element_header<T>();
        static_assert(is_scalar_field_type<T>, "ehtrace: vector elements must be fixed-size field types");
        return var_array_encoder<T, pick_format(Override, scalar_kind_of<T>().format)>{{}, value.data(), value.size()};
    }
};

template <class T, std::size_t N>
requires(!is_string_element<std::remove_cv_t<T>>) struct field_support<std::span<T, N>> {
    template <int Override, bool ByRef>
    EHTRACE_FIELD_INLINE static auto make(const std::span<T, N>& value) noexcept {
        using E = std::remove_cv_t<T>;
        require_element_header<E>();
        static_assert(is_scalar_field_type<E>, "ehtrace: span elements must be fixed-size field types");
        if constexpr (N != std::dynamic_extent) {
            return const_array_encoder<E, N, pick_format(Override, scalar_kind_of<E>().format)>{{}, value.data()};
        } else {
            return var_array_encoder<E, pick_format(Override, scalar_kind_of<E>().format)>{
                {}, value.data(), value.size()};
        }
    }
};

}  // namespace ehtrace::detail
