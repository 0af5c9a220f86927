// Fields of the compile-time API: `ehtrace::field<"name">(value)` deduces the
// encoding and format from the value's type; wrappers such as
// `ehtrace::hex(v)` or `ehtrace::json(text)` choose another format;
// `ehtrace::struct_<"name">(fields...)` nests fields.
//
// A field object only refers to the caller's value (or holds a copy of an
// rvalue or a converted value, e.g. a port in network byte order); it is
// built, and the value read, only when the event is enabled. Its metadata is
// a function of its type.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <initializer_list>
#include <netinet/in.h>
#include <span>
#include <string>
#include <string_view>
#include <sys/uio.h>
#include <tuple>
#include <type_traits>
#include <utility>
#include <optional>
#include <ranges>
#include <vector>

#include <ehtrace/encoding.hpp>
#include <ehtrace/fixed_string.hpp>
#include <ehtrace/format.hpp>

// The encoding path of a write site is forced inline: GCC at -O2 would
// otherwise keep a nested struct's fields as objects in memory and copy
// them (see tests/codegen). Only enabled events run it.
#if defined(__GNUC__)
#define EHTRACE_FIELD_INLINE inline __attribute__((always_inline))
#define EHTRACE_FIELD_LAMBDA_INLINE __attribute__((always_inline))
#else
#define EHTRACE_FIELD_INLINE inline
#define EHTRACE_FIELD_LAMBDA_INLINE
#endif

namespace ehtrace {

// A 128-bit identifier in RFC 4122 byte order (network order): uuid fields,
// activity ids.
struct uuid {
    std::uint8_t bytes[16];
    friend constexpr bool operator==(const uuid&, const uuid&) = default;
};

namespace detail {

constexpr std::uint8_t enc(field_encoding e) noexcept { return static_cast<std::uint8_t>(e); }
constexpr std::uint8_t fmt(field_format f) noexcept { return static_cast<std::uint8_t>(f); }

// The encoding and default format of a fixed-size C++ type, or invalid.
struct scalar_kind {
    std::uint8_t encoding;
    std::uint8_t format;
};

template <class T>
constexpr scalar_kind scalar_kind_of() noexcept {
    using F = field_format;
    using E = field_encoding;
    static_assert(sizeof(wchar_t) == 4, "ehtrace: wchar_t is expected to be 32-bit on Linux");
    if constexpr (std::is_enum_v<T>) {
        return scalar_kind_of<std::underlying_type_t<T>>();
    } else if constexpr ((std::is_integral_v<T> && sizeof(T) <= 8) || std::is_same_v<T, float> ||
                         std::is_same_v<T, double> || std::is_pointer_v<T>) {
        return {enc(value_encoding_for_size(sizeof(T))), fmt(default_format_of<T>())};
    } else if constexpr (std::is_same_v<T, uuid>) {
        return {enc(E::value128), fmt(F::uuid)};
    } else if constexpr (std::is_same_v<T, in_addr>) {
        return {enc(E::value32), fmt(F::ip_address)};
    } else if constexpr (std::is_same_v<T, in6_addr>) {
        return {enc(E::value128), fmt(F::ip_address)};
    } else {
        return {enc(E::invalid), 0};
    }
}

template <class T>
inline constexpr bool is_scalar_field_type = scalar_kind_of<std::remove_cv_t<T>>().encoding != 0;

template <class C>
inline constexpr bool is_char_type = std::is_same_v<C, char> || std::is_same_v<C, char8_t> ||
                                     std::is_same_v<C, char16_t> || std::is_same_v<C, char32_t> ||
                                     std::is_same_v<C, wchar_t>;

template <class C>
constexpr std::uint8_t zstring_encoding() noexcept {
    return enc(string_encoding_for_unit(sizeof(C), true));
}

template <class C>
constexpr std::uint8_t counted_string_encoding() noexcept {
    return enc(string_encoding_for_unit(sizeof(C), false));
}

inline ::iovec make_iovec(const void* data, std::size_t size) noexcept {
    return {const_cast<void*>(data), size};
}

// --- encoders: what a field puts in the payload ---------------------------
// A field's payload is a fixed list of pieces, known from its type:
//   copied pieces (scalars, the u16 count of a counted string or array, a
//   string's terminator) have a constant size and are copied into a buffer
//   on the writer's stack at a constant offset; adjacent copied pieces, also
//   across fields and structs, are one run and one iovec;
//   referenced pieces (string characters, array elements) stay where they
//   are and get an iovec of their own.
// emit<First>(out) hands the pieces, numbered from First, to the writer:
// out.copy<Piece>(bytes, size) and out.ref<Piece>(data, size) (or
// out.ref_data<Piece>(data), then out.ref_size<Piece>(size)). The event's
// layout (offsets, iovec indexes) is computed from the pieces at compile
// time, so after inlining every copy is one store and every reference two.
struct piece {
    std::uint32_t size = 0;  // bytes; 0 for a referenced piece of variable size
    bool copied = false;
    bool variable = false;  // a referenced piece whose size is known only at run time
};

inline constexpr piece copied_piece(std::size_t size) noexcept { return {static_cast<std::uint32_t>(size), true, false}; }
inline constexpr piece variable_piece() noexcept { return {0, false, true}; }
inline constexpr piece referenced_piece(std::size_t size) noexcept {
    return {static_cast<std::uint32_t>(size), false, false};
}

template <std::uint8_t Encoding, std::uint8_t Format, std::size_t FixedSize, bool Variable,
          std::uint16_t ArrayLength = 0>
struct encoder_shape {
    static constexpr std::uint8_t encoding = Encoding;  // with the array flags
    static constexpr std::uint8_t format = Format;
    static constexpr std::uint16_t array_length = ArrayLength;
    static constexpr std::size_t fixed_size = FixedSize;  // payload bytes known at compile time
    static constexpr bool variable = Variable;            // whether there are more
};

// A value a field reads when the event is written: the caller's object
// (ByRef, for lvalues: the field object is a pointer, and the compiler
// reads the value where the event needs it, so a wide event keeps no value
// live across its strlen calls and spills nothing) or a copy (rvalues,
// converted values such as ports in network byte order, and fields kept by
// ehtrace::fields() past the caller's statement). Either way the
// caller's variable needs no memory home on the disabled path: the
// pointer exists only on the enabled path, where it folds into the read.
template <class T, bool ByRef>
struct held {
    const T* pointer;
    const T& get() const noexcept { return *pointer; }
};
template <class T>
struct held<T, false> {
    T value;
    const T& get() const noexcept { return value; }
};

template <class T, std::uint8_t Format, bool ByRef = false>
struct scalar_encoder : encoder_shape<scalar_kind_of<T>().encoding, Format, sizeof(T), false> {
    static constexpr std::array<piece, 1> pieces{copied_piece(sizeof(T))};
    held<T, ByRef> value;
    template <std::size_t First, class Out>
    EHTRACE_FIELD_INLINE void emit(Out& out) const {
        out.template copy<First>(&value.get(), sizeof(T));
    }
    scalar_encoder<T, Format, false> detach() const noexcept { return {{}, {value.get()}}; }
};

template <class C, std::uint8_t Format, bool ByRef = false>
struct zstring_encoder : encoder_shape<zstring_encoding<C>(), Format, 0, true> {
    static constexpr std::array<piece, 1> pieces{variable_piece()};
    held<const C*, ByRef> text;  // a null pointer is written as ""
    template <std::size_t First, class Out>
    EHTRACE_FIELD_INLINE void emit(Out& out) const {
        static constexpr C empty{};
        const C* chars = text.get() != nullptr ? text.get() : &empty;
        out.template ref_data<First>(chars);
        out.template ref_size<First>((std::char_traits<C>::length(chars) + 1) * sizeof(C));
    }
    zstring_encoder<C, Format, false> detach() const noexcept { return {{}, {text.get()}}; }
};

// A string in a char array that may lack a terminator: the characters up
// to the first NUL (or the whole array), then a terminator of our own.
template <class C, std::size_t N, std::uint8_t Format>
struct char_array_encoder : encoder_shape<zstring_encoding<C>(), Format, sizeof(C), true> {
    static constexpr std::array<piece, 2> pieces{variable_piece(), copied_piece(sizeof(C))};
    const C* text;
    template <std::size_t First, class Out>
    EHTRACE_FIELD_INLINE void emit(Out& out) const {
        static constexpr C terminator{};
        std::size_t length = 0;
        while (length < N && text[length] != C{}) ++length;
        out.template ref<First>(text, length * sizeof(C));
        out.template copy<First + 1>(&terminator, sizeof(C));
    }
};

// u16 count of units, then the units: counted strings, binary, and
// variable-length arrays. A longer sequence keeps its true size in the
// iovec, so the event-size check refuses it rather than cutting it.
template <class Unit, std::uint8_t Encoding, std::uint8_t Format>
struct counted_encoder : encoder_shape<Encoding, Format, sizeof(std::uint16_t), true> {
    static constexpr std::array<piece, 2> pieces{copied_piece(sizeof(std::uint16_t)), variable_piece()};
    const Unit* data;
    std::size_t count;
    template <std::size_t First, class Out>
    EHTRACE_FIELD_INLINE void emit(Out& out) const {
        const auto count16 = static_cast<std::uint16_t>(count);
        out.template copy<First>(&count16, sizeof count16);
        out.template ref<First + 1>(data, count * sizeof(Unit));
    }
};

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
    std::vector<std::uint8_t> buffer;
    std::uint16_t count16 = 0;

    template <class Range>
    explicit string_array_encoder(const Range& range) {
        std::size_t count = 0;
        bool too_long = false;
        for (const auto& element : range) {
            const std::basic_string_view<C> text = as_view(element);
            too_long = too_long || text.size() > 0xFFFF;
            const auto length16 = static_cast<std::uint16_t>(text.size());
            const auto* length_bytes = reinterpret_cast<const std::uint8_t*>(&length16);
            buffer.insert(buffer.end(), length_bytes, length_bytes + sizeof length16);
            if (!too_long && buffer.size() <= max_event_size) {
                const auto* units = reinterpret_cast<const std::uint8_t*>(text.data());
                buffer.insert(buffer.end(), units, units + text.size() * sizeof(C));
            }
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

template <class T, std::uint8_t Format>
using var_array_encoder = counted_encoder<T, scalar_kind_of<T>().encoding | encoding_flags::var_array, Format>;

template <class T, std::size_t N, std::uint8_t Format>
struct const_array_encoder : encoder_shape<scalar_kind_of<T>().encoding | encoding_flags::const_array, Format,
                                           N * sizeof(T), false, static_cast<std::uint16_t>(N)> {
    static_assert(N >= 1 && N <= 65535, "ehtrace: a constant-length array needs 1..65535 elements");
    static constexpr std::array<piece, 1> pieces{referenced_piece(N * sizeof(T))};
    const T* data;
    template <std::size_t First, class Out>
    EHTRACE_FIELD_INLINE void emit(Out& out) const {
        out.template ref<First>(data, N * sizeof(T));
    }
};

// The pieces of several lists, one after the other.
template <std::size_t... N>
constexpr auto concat_pieces(const std::array<piece, N>&... lists) noexcept {
    std::array<piece, (std::size_t{0} + ... + N)> all{};
    std::size_t i = 0;
    ((std::copy(lists.begin(), lists.end(), all.begin() + i), i += N), ...);
    return all;
}

// Emits the fields of a tuple, numbering their pieces from First.
template <std::size_t First, class Out, class Tuple, std::size_t... I>
EHTRACE_FIELD_INLINE void emit_tuple(Out& out, const Tuple& fields, std::index_sequence<I...>) {
    constexpr std::array<std::size_t, sizeof...(I)> sizes{std::tuple_element_t<I, Tuple>::pieces.size()...};
    constexpr auto first_of = [](std::size_t k, const auto& counts) {
        std::size_t first = First;
        for (std::size_t j = 0; j < k; ++j) first += counts[j];
        return first;
    };
    (std::get<I>(fields).template emit<first_of(I, sizes)>(out), ...);
}

// --- type deduction ------------------------------------------------------

template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};

template <class T>
struct is_span : std::false_type {};
template <class T, std::size_t N>
struct is_span<std::span<T, N>> : std::true_type {};

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
struct is_init_list : std::false_type {};
template <class T>
struct is_init_list<std::initializer_list<T>> : std::true_type {};

template <class T>
struct is_string_like : std::false_type {};
template <class C, class Tr>
struct is_string_like<std::basic_string_view<C, Tr>> : std::bool_constant<is_char_type<C>> {};
template <class C, class Tr, class A>
struct is_string_like<std::basic_string<C, Tr, A>> : std::bool_constant<is_char_type<C>> {};

template <class T>
struct is_duration : std::false_type {};
template <class R, class P>
struct is_duration<std::chrono::duration<R, P>> : std::true_type {};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// The character type of a string-like element of a range of strings
// (std::basic_string, std::basic_string_view, pointer to characters); void
// for anything else.
template <class E>
struct string_element {
    using type = void;
};
template <class E>
    requires is_string_like<E>::value
struct string_element<E> {
    using type = typename E::value_type;
};
template <class C>
    requires is_char_type<std::remove_cv_t<C>>
struct string_element<C*> {
    using type = std::remove_cv_t<C>;
};

// Ranges of strings (vector<string>, span<const string_view>,
// initializer_list<const char*>, list<string>, ...); strings themselves are
// ranges of characters, not of strings.
template <class T>
concept string_range = std::ranges::input_range<const T> && !is_string_like<T>::value &&
                       !std::is_void_v<typename string_element<
                           std::remove_cvref_t<std::ranges::range_reference_t<const T>>>::type>;

template <class T>
struct always_false : std::false_type {};

// Strings default to UTF (UTF-8 for char and char8_t).
inline constexpr std::uint8_t utf = 0;

// Override >= 0 replaces the deduced format (the wrappers below).
constexpr std::uint8_t pick_format(int override_format, std::uint8_t deduced) noexcept {
    return override_format >= 0 ? static_cast<std::uint8_t>(override_format) : deduced;
}

// ByRef: the value is an lvalue that outlives the event's write (see held).
template <int Override = -1, bool ByRef = false, class V>
EHTRACE_FIELD_INLINE auto make_encoder(const V& value) noexcept {
    using T = std::remove_cv_t<V>;
    if constexpr (std::is_same_v<T, std::chrono::system_clock::time_point>) {
        auto seconds = std::chrono::floor<std::chrono::seconds>(value.time_since_epoch()).count();
        return scalar_encoder<std::int64_t, pick_format(Override, fmt(field_format::time))>{
            {}, {static_cast<std::int64_t>(seconds)}};
    } else if constexpr (is_duration<T>::value) {
        // Nanoseconds as a signed 64-bit integer, whatever the duration's unit
        // (a fraction of a nanosecond is dropped): say so in the field name.
        auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(value).count();
        return scalar_encoder<std::int64_t, pick_format(Override, scalar_kind_of<std::int64_t>().format)>{
            {}, {static_cast<std::int64_t>(nanoseconds)}};
    } else if constexpr (std::is_pointer_v<T> && is_char_type<std::remove_cv_t<std::remove_pointer_t<T>>>) {
        using C = std::remove_cv_t<std::remove_pointer_t<T>>;
        if constexpr (ByRef) {
            return zstring_encoder<C, pick_format(Override, utf), true>{{}, {&value}};
        } else {
            return zstring_encoder<C, pick_format(Override, utf)>{{}, {value}};
        }
    } else if constexpr (is_scalar_field_type<T>) {
        if constexpr (ByRef) {
            return scalar_encoder<T, pick_format(Override, scalar_kind_of<T>().format), true>{{}, {&value}};
        } else {
            return scalar_encoder<T, pick_format(Override, scalar_kind_of<T>().format)>{{}, {value}};
        }
    } else if constexpr (std::is_array_v<T>) {
        using E = std::remove_cv_t<std::remove_extent_t<T>>;
        constexpr std::size_t n = std::extent_v<T>;
        if constexpr (is_char_type<E>) {
            return char_array_encoder<E, n, pick_format(Override, utf)>{{}, value};
        } else {
            static_assert(is_scalar_field_type<E>, "ehtrace: array elements must be fixed-size field types");
            return const_array_encoder<E, n, pick_format(Override, scalar_kind_of<E>().format)>{{}, value};
        }
    } else if constexpr (string_range<T>) {
        using C = typename string_element<std::remove_cvref_t<std::ranges::range_reference_t<const T>>>::type;
        return string_array_encoder<C, pick_format(Override, utf)>(value);
    } else if constexpr (is_string_like<T>::value) {
        using C = typename T::value_type;
        return counted_encoder<C, counted_string_encoding<C>(), pick_format(Override, utf)>{{}, value.data(), value.size()};
    } else if constexpr (is_std_array<T>::value) {
        using E = std::remove_cv_t<typename T::value_type>;
        static_assert(is_scalar_field_type<E>, "ehtrace: array elements must be fixed-size field types");
        return const_array_encoder<E, std::tuple_size_v<T>, pick_format(Override, scalar_kind_of<E>().format)>{{}, value.data()};
    } else if constexpr (is_span<T>::value) {
        using E = std::remove_cv_t<typename T::element_type>;
        static_assert(is_scalar_field_type<E>, "ehtrace: span elements must be fixed-size field types");
        if constexpr (T::extent != std::dynamic_extent) {
            return const_array_encoder<E, T::extent, pick_format(Override, scalar_kind_of<E>().format)>{{}, value.data()};
        } else {
            return var_array_encoder<E, pick_format(Override, scalar_kind_of<E>().format)>{{}, value.data(), value.size()};
        }
    } else if constexpr (is_vector<T>::value) {
        using E = typename T::value_type;
        static_assert(!std::is_same_v<E, bool>, "ehtrace: std::vector<bool> has no contiguous storage; copy it to bool[]");
        static_assert(is_scalar_field_type<E>, "ehtrace: vector elements must be fixed-size field types");
        return var_array_encoder<E, pick_format(Override, scalar_kind_of<E>().format)>{{}, value.data(), value.size()};
    } else if constexpr (is_optional<T>::value) {
        // A variable-length array of one element, or of none when empty.
        using E = typename T::value_type;
        static_assert(is_scalar_field_type<E>, "ehtrace: std::optional fields hold fixed-size field types");
        return var_array_encoder<E, pick_format(Override, scalar_kind_of<E>().format)>{
            {}, value.has_value() ? &*value : nullptr, value.has_value() ? 1u : 0u};
    } else if constexpr (is_init_list<T>::value) {
        using E = std::remove_cv_t<typename T::value_type>;
        static_assert(is_scalar_field_type<E>, "ehtrace: list elements must be fixed-size field types");
        return var_array_encoder<E, pick_format(Override, scalar_kind_of<E>().format)>{{}, value.begin(), value.size()};
    } else {
        static_assert(always_false<T>::value,
                      "ehtrace: unsupported field type; use an arithmetic, enum, pointer, string, uuid, in_addr, "
                      "in6_addr, time_point, duration, optional, array, span or range of strings value, or wrap "
                      "bytes in ehtrace::binary(...)");
    }
}

template <class V>
using encoder_for = decltype(make_encoder(std::declval<const V&>()));

// --- format wrappers ------------------------------------------------------

struct wrapper_marker {};

// A value whose encoder was chosen by a wrapper (another format, a converted
// value) rather than deduced by field().
template <class Encoder>
struct formatted : wrapper_marker {
    Encoder encoder;
};

template <std::uint8_t Format, class Encoder>
constexpr bool format_fits() noexcept {
    return format_applies(static_cast<field_format>(Format),
                          static_cast<field_encoding>(Encoder::encoding & encoding_flags::value_mask));
}

template <field_format Format, class V>
EHTRACE_FIELD_INLINE auto with_format(V&& value) noexcept {
    using Encoder = encoder_for<std::remove_cvref_t<V>>;
    static_assert(format_fits<fmt(Format), Encoder>(),
                  "ehtrace: this format does not apply to this value's type (see the format table in docs/format.md)");
    constexpr bool by_ref = std::is_lvalue_reference_v<V>;
    return formatted<decltype(make_encoder<fmt(Format), by_ref>(value))>{{}, make_encoder<fmt(Format), by_ref>(value)};
}

template <class V>
inline constexpr bool is_wrapper = std::is_base_of_v<wrapper_marker, V>;

template <bool ByRef, class V>
EHTRACE_FIELD_INLINE auto field_encoder(const V& value) noexcept {
    if constexpr (is_wrapper<V>) {
        return value.encoder;
    } else {
        return make_encoder<-1, ByRef>(value);
    }
}

// The copy of an encoder that no longer refers to the caller's scalars.
template <class Encoder>
auto detach_encoder(const Encoder& e) noexcept {
    if constexpr (requires { e.detach(); }) {
        return e.detach();
    } else {
        return e;
    }
}

struct field_marker {};

template <class F>
bool field_valid(const F& field) noexcept;

template <fixed_string Name, std::uint16_t Tag, class Encoder>
struct field_value : field_marker {
    Encoder encoder;
    static constexpr auto pieces = Encoder::pieces;
    static constexpr std::size_t fixed_size = Encoder::fixed_size;
    static constexpr bool variable = Encoder::variable;
    template <class Writer>
    static constexpr void encode_metadata(Writer& out) noexcept {
        encode_field_definition(out, Name.view(), Encoder::encoding, Encoder::format, Tag, Encoder::array_length);
    }
    template <std::size_t First, class Out>
    EHTRACE_FIELD_INLINE void emit(Out& out) const {
        encoder.template emit<First>(out);
    }
    auto detach() const noexcept {
        using E = decltype(detach_encoder(encoder));
        return field_value<Name, Tag, E>{{}, detach_encoder(encoder)};
    }
};

template <fixed_string Name, std::uint16_t Tag, class... Fields>
struct struct_value : field_marker {
    static_assert(sizeof...(Fields) >= 1, "ehtrace: a struct needs at least one field");
    static_assert(sizeof...(Fields) <= max_struct_fields, "ehtrace: a struct has at most 127 fields");
    static_assert((std::is_base_of_v<field_marker, Fields> && ...),
                  "ehtrace: a struct holds only fields (ehtrace::field, ehtrace::struct_, raw fields)");
    std::tuple<Fields...> fields;
    static constexpr auto pieces = concat_pieces(Fields::pieces...);
    static constexpr std::size_t fixed_size = (0 + ... + Fields::fixed_size);
    static constexpr bool variable = (false || ... || Fields::variable);
    template <class Writer>
    static constexpr void encode_metadata(Writer& out) noexcept {
        encode_field_definition(out, Name.view(), enc(field_encoding::structure),
                                static_cast<std::uint8_t>(sizeof...(Fields)), Tag, 0);
        (Fields::encode_metadata(out), ...);
    }
    template <std::size_t First, class Out>
    EHTRACE_FIELD_INLINE void emit(Out& out) const {
        emit_tuple<First>(out, fields, std::index_sequence_for<Fields...>{});
    }
    auto detach() const noexcept {
        return std::apply(
            [](const auto&... f) {
                return struct_value<Name, Tag, decltype(detach_encoder(f))...>{{}, {detach_encoder(f)...}};
            },
            fields);
    }
    bool valid() const noexcept {
        return std::apply([](const auto&... f) { return (true && ... && field_valid(f)); }, fields);
    }
};

// A variable-length array of structs. Each element's fields come from
// `project(element)`, which returns ehtrace::fields(...); the metadata is
// the struct definition once, the payload a u16 count and then every
// element's field bytes, gathered into a buffer when the event is written
// (the element count is known only then).
template <fixed_string Name, std::uint16_t Tag, class Range, class Projection>
struct struct_array_value : field_marker {
    using element = std::remove_cvref_t<decltype(*std::begin(std::declval<const Range&>()))>;
    using element_fields = std::remove_cvref_t<std::invoke_result_t<Projection&, const element&>>;

    template <class Tuple>
    struct shape;
    template <class... Fields>
    struct shape<std::tuple<Fields...>> {
        static_assert(sizeof...(Fields) >= 1 && sizeof...(Fields) <= max_struct_fields,
                      "ehtrace: a struct has 1..127 fields");
        static_assert((std::is_base_of_v<field_marker, Fields> && ...),
                      "ehtrace: the projection of struct_array must return ehtrace::fields(...)");
        static constexpr std::size_t count = sizeof...(Fields);
        template <class Writer>
        static constexpr void encode(Writer& out) noexcept {
            (Fields::encode_metadata(out), ...);
        }
    };

    std::vector<std::uint8_t> buffer;
    std::uint16_t count16 = 0;

    // Appends every piece of the element's fields to the buffer.
    struct gather {
        std::vector<std::uint8_t>& buffer;
        template <std::size_t>
        void copy(const void* bytes, std::size_t size) {
            auto* from = static_cast<const std::uint8_t*>(bytes);
            buffer.insert(buffer.end(), from, from + size);
        }
        template <std::size_t Piece>
        void ref(const void* data, std::size_t size) {
            copy<Piece>(data, size);
        }
        const void* pending = nullptr;
        template <std::size_t>
        void ref_data(const void* data) {
            pending = data;
        }
        template <std::size_t Piece>
        void ref_size(std::size_t size) {
            copy<Piece>(pending, size);
        }
    };

    struct_array_value(const Range& range, Projection& project) {
        std::size_t count = 0;
        gather out{buffer};
        for (const auto& e : range) {
            element_fields fields = project(e);
            emit_tuple<0>(out, fields, std::make_index_sequence<std::tuple_size_v<element_fields>>{});
            ++count;
        }
        // Over 65,535 elements the event is over 65,535 bytes and refused.
        count16 = static_cast<std::uint16_t>(count > 0xFFFF ? 0xFFFF : count);
        if (count > 0xFFFF) buffer.resize(max_event_size + 1);
    }

    static constexpr std::array<piece, 2> pieces{copied_piece(sizeof(std::uint16_t)), variable_piece()};
    static constexpr std::size_t fixed_size = sizeof(std::uint16_t);
    static constexpr bool variable = true;
    template <class Writer>
    static constexpr void encode_metadata(Writer& out) noexcept {
        encode_field_definition(out, Name.view(),
                                static_cast<std::uint8_t>(enc(field_encoding::structure) | encoding_flags::var_array),
                                static_cast<std::uint8_t>(shape<element_fields>::count), Tag, 0);
        shape<element_fields>::encode(out);
    }
    template <std::size_t First, class Out>
    void emit(Out& out) const {
        out.template copy<First>(&count16, sizeof count16);
        out.template ref<First + 1>(buffer.data(), buffer.size());
    }
};

// Raw pieces for hand-encoded data.
template <fixed_string Name, std::uint8_t Encoding, std::uint8_t Format, std::uint16_t Tag, std::uint16_t ArrayLength,
          bool HasData>
struct raw_value : field_marker {
    const void* data = nullptr;
    std::size_t size = 0;
    static constexpr auto pieces = [] {
        if constexpr (HasData) {
            return std::array<piece, 1>{variable_piece()};
        } else {
            return std::array<piece, 0>{};
        }
    }();
    static constexpr std::size_t fixed_size = 0;
    static constexpr bool variable = HasData;
    template <class Writer>
    static constexpr void encode_metadata(Writer& out) noexcept {
        if constexpr (!Name.view().empty() || Encoding != 0) {
            encode_field_definition(out, Name.view(), Encoding, Format, Tag, ArrayLength);
        }
    }
    template <std::size_t First, class Out>
    EHTRACE_FIELD_INLINE void emit(Out& out) const {
        if constexpr (HasData) out.template ref<First>(data, size);
    }
    // Where the metadata fixes the size (values and their arrays), the bytes
    // must have it; strings and binary are taken as given.
    bool valid() const noexcept {
        constexpr std::uint8_t base = Encoding & encoding_flags::value_mask;
        constexpr std::size_t unit = base == enc(field_encoding::value8)    ? 1
                                     : base == enc(field_encoding::value16)  ? 2
                                     : base == enc(field_encoding::value32)  ? 4
                                     : base == enc(field_encoding::value64)  ? 8
                                     : base == enc(field_encoding::value128) ? 16
                                                                             : 0;
        if constexpr (!HasData || unit == 0) {
            return true;
        } else if constexpr (Encoding & encoding_flags::const_array) {
            return size == unit * ArrayLength;
        } else if constexpr (Encoding & encoding_flags::var_array) {
            if (size < 2 || data == nullptr) return false;
            std::uint16_t count;
            std::memcpy(&count, data, sizeof count);
            return size == 2 + unit * count;
        } else {
            return size == unit;
        }
    }
};

// Whether a field's hand-given bytes fit its definition (raw fields, and
// structs holding them); every other field is right by construction.
template <class F>
bool field_valid(const F& field) noexcept {
    if constexpr (requires { field.valid(); }) {
        return field.valid();
    } else {
        return true;
    }
}

template <field_encoding Encoding, std::uint8_t Flags, std::uint16_t ArrayLength>
constexpr void check_raw_definition() noexcept {
    static_assert(Encoding != field_encoding::invalid && static_cast<std::uint8_t>(Encoding) < enc(field_encoding::max),
                  "ehtrace: raw fields need a known encoding");
    static_assert((Flags & ~(encoding_flags::const_array | encoding_flags::var_array)) == 0,
                  "ehtrace: the only encoding flags a raw field takes are const_array (0x20) and var_array (0x40)");
    static_assert((Flags & encoding_flags::const_array) == 0 || (Flags & encoding_flags::var_array) == 0,
                  "ehtrace: an array is either constant-length or variable-length, not both");
    static_assert(((Flags & encoding_flags::const_array) != 0) == (ArrayLength != 0),
                  "ehtrace: a constant-length array needs its length (1..65535), and only it takes one");
}

template <fixed_string Name>
constexpr void check_field_name() noexcept {
    static_assert(check_name(Name.view()) != name_error::empty, "ehtrace: a field name must not be empty");
    static_assert(check_name(Name.view()) != name_error::contains_semicolon,
                  "ehtrace: a field name must not contain ';'");
    static_assert(check_name(Name.view()) != name_error::contains_nul, "ehtrace: a field name must not contain NUL");
}

}  // namespace detail

// --- the user-facing spelling --------------------------------------------

// A field named Name whose encoding and format follow from the value's type:
//   integers (signed_int for signed types), bool (value8 boolean), float and
//   double, char/char16_t/char32_t/wchar_t values, pointers (hex), enums (as
//   their underlying type), uuid, in_addr, in6_addr, system_clock::time_point,
//   std::chrono::duration (signed 64-bit nanoseconds); std::optional<T> of
//   those as a variable-length array of one element, or none when empty;
//   const char* and friends as zero-terminated strings, std::string(_view)
//   and friends as counted strings (UTF); C arrays, std::array and static
//   spans as constant-length arrays; dynamic spans, vectors and
//   initializer lists as variable-length arrays; any range of strings
//   (std::string, std::string_view, const char*, and their wide and UTF
//   kinds) as a variable-length array of counted strings (the dynamic
//   builder's add_string_array), copied when the field is made.
// Tag is the field's 16-bit tag (0: none).
// An lvalue is read when the event is written (in EHTRACE_WRITE, right
// away); an rvalue is kept in the field object.
template <fixed_string Name, std::uint16_t Tag = 0, class V>
EHTRACE_FIELD_INLINE auto field(V&& value) noexcept {
    detail::check_field_name<Name>();
    constexpr bool by_ref = std::is_lvalue_reference_v<V>;
    using E = decltype(detail::field_encoder<by_ref>(value));
    return detail::field_value<Name, Tag, E>{{}, detail::field_encoder<by_ref>(value)};
}

template <fixed_string Name, std::uint16_t Tag = 0, class T>
auto field(std::initializer_list<T> values) noexcept {
    detail::check_field_name<Name>();
    using E = decltype(detail::make_encoder(values));
    return detail::field_value<Name, Tag, E>{{}, detail::make_encoder(values)};
}

// A nested struct: `struct_<"point">(field<"x">(x), field<"y">(y))`.
template <fixed_string Name, std::uint16_t Tag = 0, class... Fields>
EHTRACE_FIELD_INLINE auto struct_(Fields... fields) noexcept {
    detail::check_field_name<Name>();
    return detail::struct_value<Name, Tag, Fields...>{{}, {fields...}};
}

// The fields of one element of a struct_array: copies that no longer refer
// to the projection's variables, which are gone when the fields are read.
template <class... Fields>
auto fields(Fields... f) noexcept {
    return std::tuple<decltype(detail::detach_encoder(f))...>{detail::detach_encoder(f)...};
}

// An array of structs: struct_array<"points">(points, [](const point& p) {
//     return ehtrace::fields(field<"x">(p.x), field<"y">(p.y)); })
template <fixed_string Name, std::uint16_t Tag = 0, class Range, class Projection>
auto struct_array(const Range& range, Projection project) {
    detail::check_field_name<Name>();
    return detail::struct_array_value<Name, Tag, Range, Projection>(range, project);
}

// Format wrappers: field<"flags">(hex(flags)), field<"err">(errno_value(e)).
template <class V>
auto hex(V&& v) noexcept { return detail::with_format<field_format::hex_int>(std::forward<V>(v)); }
template <class V>
auto as_signed(V&& v) noexcept { return detail::with_format<field_format::signed_int>(std::forward<V>(v)); }
template <class V>
auto as_unsigned(V&& v) noexcept { return detail::with_format<field_format::unsigned_int>(std::forward<V>(v)); }
inline auto errno_value(const std::int32_t& e) noexcept { return detail::with_format<field_format::errno_value>(e); }
inline auto errno_value(std::int32_t&& e) noexcept { return detail::with_format<field_format::errno_value>(std::move(e)); }
inline auto pid(const std::int32_t& p) noexcept { return detail::with_format<field_format::pid>(p); }
inline auto pid(std::int32_t&& p) noexcept { return detail::with_format<field_format::pid>(std::move(p)); }
// Seconds since 1970 (32- or 64-bit); time_points are deduced without it.
template <class V>
auto time(V&& seconds) noexcept {
    static_assert(std::is_integral_v<std::remove_cvref_t<V>>, "ehtrace: time() takes integer seconds since 1970");
    return detail::with_format<field_format::time>(std::forward<V>(seconds));
}
// A boolean of 8, 16 or 32 bits (bool itself is deduced; this is for BOOL-like ints).
template <class V>
auto boolean(V&& v) noexcept { return detail::with_format<field_format::boolean>(std::forward<V>(v)); }
template <class V>
auto hex_bytes(V&& v) noexcept { return detail::with_format<field_format::hex_bytes>(std::forward<V>(v)); }
// 8-bit code page (Latin-1) text.
template <class V>
auto latin1(V&& text) noexcept { return detail::with_format<field_format::string8>(std::forward<V>(text)); }
template <class V>
auto utf_bom(V&& text) noexcept { return detail::with_format<field_format::string_utf_bom>(std::forward<V>(text)); }
template <class V>
auto json(V&& text) noexcept { return detail::with_format<field_format::string_json>(std::forward<V>(text)); }
template <class V>
auto xml(V&& text) noexcept { return detail::with_format<field_format::string_xml>(std::forward<V>(text)); }

// A port number given in host byte order; written in network byte order.
inline auto port(std::uint16_t host_order) noexcept {
    return detail::formatted<detail::scalar_encoder<std::uint16_t, detail::fmt(field_format::port)>>{
        {}, {{}, {htons(host_order)}}};
}
// An IPv4 address already in network byte order (as in sockaddr_in).
inline auto ipv4(const std::uint32_t& network_order) noexcept {
    return detail::with_format<field_format::ip_address>(network_order);
}
inline auto ipv4(std::uint32_t&& network_order) noexcept {
    return detail::with_format<field_format::ip_address>(std::move(network_order));
}

// Bytes shown as hex: binary(ptr, size), binary(span), binary(string_view).
inline auto binary(const void* data, std::size_t size) noexcept {
    using E = detail::counted_encoder<std::uint8_t, detail::enc(field_encoding::binary_length16_char8), 0>;
    return detail::formatted<E>{{}, {{}, static_cast<const std::uint8_t*>(data), size}};
}
template <class T, std::size_t N>
auto binary(std::span<T, N> bytes) noexcept { return binary(bytes.data(), bytes.size_bytes()); }
inline auto binary(std::string_view bytes) noexcept { return binary(bytes.data(), bytes.size()); }

// Raw fields for hand-encoded data:
//   raw_field<"name", encoding, format, tag, array_length>(data, size):
//     the metadata is given, the payload bytes are written as they are;
//   raw_metadata<"name", encoding, ...>(): a definition without payload bytes
//     (e.g. a struct header whose members follow);
//   raw_data(data, size): payload bytes without a definition.
// `encoding` may carry the array flags. The bytes must match the metadata.
template <fixed_string Name, field_encoding Encoding, field_format Format = field_format::default_format,
          std::uint16_t Tag = 0, std::uint16_t ArrayLength = 0, std::uint8_t EncodingFlags = 0>
auto raw_field(const void* data, std::size_t size) noexcept {
    detail::check_field_name<Name>();
    detail::check_raw_definition<Encoding, EncodingFlags, ArrayLength>();
    static_assert(Encoding != field_encoding::structure,
                  "ehtrace: a struct has no bytes of its own: use raw_metadata<> for its definition");
    return detail::raw_value<Name, static_cast<std::uint8_t>(detail::enc(Encoding) | EncodingFlags),
                             detail::fmt(Format), Tag, ArrayLength, true>{{}, data, size};
}
template <fixed_string Name, field_encoding Encoding, field_format Format = field_format::default_format,
          std::uint16_t Tag = 0, std::uint16_t ArrayLength = 0, std::uint8_t EncodingFlags = 0>
auto raw_metadata() noexcept {
    detail::check_field_name<Name>();
    detail::check_raw_definition<Encoding, EncodingFlags, ArrayLength>();
    return detail::raw_value<Name, static_cast<std::uint8_t>(detail::enc(Encoding) | EncodingFlags),
                             detail::fmt(Format), Tag, ArrayLength, false>{};
}
inline auto raw_data(const void* data, std::size_t size) noexcept {
    return detail::raw_value<"", 0, 0, 0, 0, true>{{}, data, size};
}

}  // namespace ehtrace
