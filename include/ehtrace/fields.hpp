// Fields of the compile-time API: `ehtrace::field<"name">(value)` deduces the
// encoding and format from the value's type; wrappers such as
// `ehtrace::hex(v)` or `ehtrace::json(text)` choose another format;
// `ehtrace::struct_<"name">(fields...)` nests fields.
//
// A field object only refers to the caller's value (or holds a copy of an
// rvalue or a converted value, e.g. a port in network byte order); it is
// built, and the value read, only when the event is enabled. Its metadata is
// a function of its type.
//
// This core header handles the types that need no further standard header:
// arithmetic types, enums, pointers, characters, ehtrace::uuid, strings
// (std::string and std::string_view included), C arrays, std::array,
// std::optional and {...} lists of fixed-size values. Three opt-in headers,
// as {fmt} does with chrono.h and ranges.h, add the rest through the
// customization point detail::field_support below:
//   <ehtrace/chrono.hpp>  system_clock::time_point, std::chrono::duration
//   <ehtrace/net.hpp>     in_addr, in6_addr (<netinet/in.h>)
//   <ehtrace/ranges.hpp>  std::vector, std::span, ranges of strings
// Using such a type without its header is a compile error naming the header.
#pragma once

#include <sys/uio.h>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <ehtrace/encoding.hpp>
#include <ehtrace/fixed_string.hpp>
#include <ehtrace/string_length.hpp>
#include <ehtrace/wire/eventheader.hpp>

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

// The customization point of the opt-in headers (chrono.hpp, net.hpp,
// ranges.hpp): a specialization for a type T (without cv) makes T a field
// type, with one of
//   static constexpr scalar_kind kind;  T is a fixed-size value written as
//       its bytes (also as an array element), with this encoding and default
//       format;
//   template <int Override, bool ByRef> static auto make(const T& value);
//       the encoder of a converted or variable-size value (Override >= 0 is
//       a format chosen by a wrapper; ByRef as in make_encoder below).
// The encoders' interface is internal: the specializations are ehtrace's own.
template <class T>
struct field_support {};

template <class T>
concept has_field_kind = requires {
    field_support<T>::kind;
};
template <class T>
concept has_field_maker = requires(const T& value) {
    field_support<T>::template make<-1, false>(value);
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
    } else if constexpr (has_field_kind<T>) {
        return field_support<T>::kind;
    } else {
        return {enc(E::invalid), 0};
    }
}

template <class T>
inline constexpr bool is_scalar_field_type = scalar_kind_of<std::remove_cv_t<T>>().encoding != 0;

template <class C>
inline constexpr bool is_char_type =
    std::is_same_v<C, char> || std::is_same_v<C, char8_t> || std::is_same_v<C, char16_t> ||
    std::is_same_v<C, char32_t> || std::is_same_v<C, wchar_t>;

template <class C>
constexpr std::uint8_t zstring_encoding() noexcept {
    return enc(string_encoding_for_unit(sizeof(C), true));
}

template <class C>
constexpr std::uint8_t counted_string_encoding() noexcept {
    return enc(string_encoding_for_unit(sizeof(C), false));
}

inline ::iovec make_iovec(const void* data, std::size_t size) noexcept { return {const_cast<void*>(data), size}; }

// A growable run of bytes (what std::vector<std::uint8_t> would be, without
// <vector> in this header): the payload that struct_array and ranges of
// strings gather when their field is made.
class byte_buffer {
public:
    byte_buffer() noexcept = default;
    byte_buffer(const byte_buffer& other) { append(other.data_, other.size_); }
    byte_buffer(byte_buffer&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)),
          size_(std::exchange(other.size_, 0)),
          capacity_(std::exchange(other.capacity_, 0)) {}
    byte_buffer& operator=(byte_buffer other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        std::swap(capacity_, other.capacity_);
        return *this;
    }
    ~byte_buffer() { delete[] data_; }

    void append(const void* bytes, std::size_t size) {
        if (size == 0) return;
        reserve(size_ + size);
        std::memcpy(data_ + size_, bytes, size);
        size_ += size;
    }
    // Grows with zero bytes or shrinks to `size` bytes.
    void resize(std::size_t size) {
        reserve(size);
        if (size > size_) std::memset(data_ + size_, 0, size - size_);
        size_ = size;
    }
    const std::uint8_t* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

private:
    void reserve(std::size_t wanted) {
        if (wanted <= capacity_) return;
        std::size_t capacity = capacity_ < 64 ? 64 : capacity_;
        while (capacity < wanted) capacity *= 2;
        auto* grown = new std::uint8_t[capacity];
        if (size_ != 0) std::memcpy(grown, data_, size_);
        delete[] data_;
        data_ = grown;
        capacity_ = capacity;
    }

    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

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

inline constexpr piece copied_piece(std::size_t size) noexcept {
    return {static_cast<std::uint32_t>(size), true, false};
}
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
        const C* chars = text.get();
#if defined(__clang__)
        // Stored before the string is measured, the pointer is not needed
        // after: clang then measures in the pointer's own register, one
        // instruction less per string. With g++ 12 the other order is
        // faster (it keeps its test of the block address next to the branch).
        out.template ref_data<First>(chars);
        std::size_t size =
            (zstring_length(chars,
                            [&](const C* empty) EHTRACE_FIELD_LAMBDA_INLINE { out.template ref_data<First>(empty); }) +
             1) *
            sizeof(C);
        // One register for the iovec's length and the event's size: clang
        // would otherwise add the strings' 0 units to the size after the last
        // field, keeping every length in memory until then.
        if (!__builtin_constant_p(size)) __asm__("" : "+r"(size));
#else
        std::size_t size = (zstring_length(chars) + 1) * sizeof(C);
        out.template ref_data<First>(chars);
#endif
        out.template ref_size<First>(size);
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
    [[maybe_unused]] std::size_t i = 0;  // unused when every list is empty
    (
        [&] {
            for (const piece& listed : lists) all[i++] = listed;
        }(),
        ...);
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
struct is_init_list : std::false_type {};
template <class T>
struct is_init_list<std::initializer_list<T>> : std::true_type {};

// std::basic_string_view and std::basic_string (any allocator) of a
// character type, recognized without <string>: a string type with traits
// that converts to its string_view.
template <class T>
struct is_string_like : std::false_type {};
template <class T>
requires requires {
    typename T::traits_type;
    typename T::value_type;
} && is_char_type<typename T::value_type> &&
    std::is_convertible_v<const T&, std::basic_string_view<typename T::value_type, typename T::traits_type>>
struct is_string_like<T> : std::true_type {
};

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
requires is_string_like<E>::value struct string_element<E> {
    using type = typename E::value_type;
};
template <class C>
requires is_char_type<std::remove_cv_t<C>>
struct string_element<C*> {
    using type = std::remove_cv_t<C>;
};

template <class E>
inline constexpr bool is_string_element = !std::is_void_v<typename string_element<std::remove_cv_t<E>>::type>;

template <class T>
struct always_false : std::false_type {};

// Types an opt-in header supports, recognized by their shape without the
// standard headers that declare them, for the errors that name the header.
template <class T>
concept chrono_shaped = requires {
    typename T::rep;
    typename T::period;
}
||  // duration
    requires {
    typename T::clock;
    typename T::duration;
};  // time_point
// in6_addr's s6_addr is a macro of <netinet/in.h>, unknown here when that
// header comes later: its members under glibc and musl are asked too.
template <class T>
concept address_shaped = requires(const T& a) {
    a.s_addr;
}
|| requires(const T& a) { a.s6_addr; }
|| requires(const T& a) { a.__in6_u; }
|| requires(const T& a) { a.__in6_union; };
template <class T>
concept range_shaped = requires(const T& r) {
    r.begin();
    r.end();
};

// The errors of a type used without its opt-in header: they name the header.
template <class T>
constexpr void require_chrono_header() noexcept {
    static_assert(always_false<T>::value,
                  "ehtrace: a std::chrono::system_clock::time_point or std::chrono::duration field needs "
                  "#include <ehtrace/chrono.hpp>");
}
template <class T>
constexpr void require_net_header() noexcept {
    static_assert(always_false<T>::value, "ehtrace: an in_addr or in6_addr field needs #include <ehtrace/net.hpp>");
}
template <class T>
constexpr void require_ranges_header() noexcept {
    static_assert(always_false<T>::value,
                  "ehtrace: a range field (std::vector or std::span of fixed-size values, or a range of strings) "
                  "needs #include <ehtrace/ranges.hpp>");
}
// The element of an array, list or optional.
template <class E>
constexpr void require_element_header() noexcept {
    if constexpr (!is_scalar_field_type<E> && address_shaped<E>) require_net_header<E>();
}

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
    if constexpr (has_field_maker<T>) {
        return field_support<T>::template make<Override, ByRef>(value);
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
            require_element_header<E>();
            static_assert(is_scalar_field_type<E>, "ehtrace: array elements must be fixed-size field types");
            return const_array_encoder<E, n, pick_format(Override, scalar_kind_of<E>().format)>{{}, value};
        }
    } else if constexpr (is_string_like<T>::value) {
        using C = typename T::value_type;
        return counted_encoder<C, counted_string_encoding<C>(), pick_format(Override, utf)>{
            {}, value.data(), value.size()};
    } else if constexpr (is_std_array<T>::value) {
        using E = std::remove_cv_t<typename T::value_type>;
        if constexpr (is_string_element<E>) {
            require_ranges_header<T>();  // a std::array of strings is a range of strings
        } else {
            require_element_header<E>();
            static_assert(is_scalar_field_type<E>, "ehtrace: array elements must be fixed-size field types");
        }
        return const_array_encoder<E, std::tuple_size_v<T>, pick_format(Override, scalar_kind_of<E>().format)>{
            {}, value.data()};
    } else if constexpr (is_optional<T>::value) {
        // A variable-length array of one element, or of none when empty.
        using E = typename T::value_type;
        require_element_header<E>();
        static_assert(is_scalar_field_type<E>, "ehtrace: std::optional fields hold fixed-size field types");
        return var_array_encoder<E, pick_format(Override, scalar_kind_of<E>().format)>{
            {}, value.has_value() ? &*value : nullptr, value.has_value() ? 1u : 0u};
    } else if constexpr (is_init_list<T>::value) {
        using E = std::remove_cv_t<typename T::value_type>;
        if constexpr (is_string_element<E>) {
            require_ranges_header<T>();  // {"a", "b"}: a range of strings
        } else {
            require_element_header<E>();
            static_assert(is_scalar_field_type<E>, "ehtrace: list elements must be fixed-size field types");
        }
        return var_array_encoder<E, pick_format(Override, scalar_kind_of<E>().format)>{{}, value.begin(), value.size()};
    } else if constexpr (chrono_shaped<T>) {
        require_chrono_header<T>();
    } else if constexpr (address_shaped<T>) {
        require_net_header<T>();
    } else if constexpr (range_shaped<T>) {
        require_ranges_header<T>();
    } else {
        static_assert(always_false<T>::value,
                      "ehtrace: unsupported field type; use an arithmetic, enum, pointer, string, uuid, optional, "
                      "array or {...} list value (in_addr and in6_addr: <ehtrace/net.hpp>; time_point and "
                      "duration: <ehtrace/chrono.hpp>; vector, span and ranges of strings: <ehtrace/ranges.hpp>), "
                      "or wrap bytes in ehtrace::binary(...)");
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
                  "ehtrace: this format does not apply to this value's type (see the format table in docs/wire.md)");
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

    byte_buffer buffer;
    std::uint16_t count16 = 0;

    // Appends every piece of the element's fields to the buffer.
    struct gather {
        byte_buffer& buffer;
        template <std::size_t>
        void copy(const void* bytes, std::size_t size) {
            buffer.append(bytes, size);
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
        constexpr std::size_t unit = base == enc(field_encoding::value8)     ? 1
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
//   their underlying type), uuid; std::optional<T> of those as a
//   variable-length array of one element, or none when empty; const char*
//   and friends as zero-terminated strings, std::string(_view) and friends
//   as counted strings (UTF); C arrays and std::array as constant-length
//   arrays; initializer lists as variable-length arrays. The opt-in headers
//   add system_clock::time_point and std::chrono::duration (chrono.hpp),
//   in_addr and in6_addr (net.hpp), vectors, spans and ranges of strings
//   (ranges.hpp).
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
auto hex(V&& v) noexcept {
    return detail::with_format<field_format::hex_int>(std::forward<V>(v));
}
template <class V>
auto as_signed(V&& v) noexcept {
    return detail::with_format<field_format::signed_int>(std::forward<V>(v));
}
template <class V>
auto as_unsigned(V&& v) noexcept {
    return detail::with_format<field_format::unsigned_int>(std::forward<V>(v));
}
inline auto errno_value(const std::int32_t& e) noexcept { return detail::with_format<field_format::errno_value>(e); }
inline auto errno_value(std::int32_t&& e) noexcept {
    return detail::with_format<field_format::errno_value>(std::move(e));
}
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
auto boolean(V&& v) noexcept {
    return detail::with_format<field_format::boolean>(std::forward<V>(v));
}
template <class V>
auto hex_bytes(V&& v) noexcept {
    return detail::with_format<field_format::hex_bytes>(std::forward<V>(v));
}
// 8-bit code page (Latin-1) text.
template <class V>
auto latin1(V&& text) noexcept {
    return detail::with_format<field_format::string8>(std::forward<V>(text));
}
template <class V>
auto utf_bom(V&& text) noexcept {
    return detail::with_format<field_format::string_utf_bom>(std::forward<V>(text));
}
template <class V>
auto json(V&& text) noexcept {
    return detail::with_format<field_format::string_json>(std::forward<V>(text));
}
template <class V>
auto xml(V&& text) noexcept {
    return detail::with_format<field_format::string_xml>(std::forward<V>(text));
}

// A port number given in host byte order; written in network byte order.
inline auto port(std::uint16_t host_order) noexcept {
    const auto network_order = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                                   ? static_cast<std::uint16_t>((host_order << 8) | (host_order >> 8))
                                   : host_order;
    return detail::formatted<detail::scalar_encoder<std::uint16_t, detail::fmt(field_format::port)>>{
        {}, {{}, {network_order}}};
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
// Any std::span (whatever its element type and extent): its bytes.
template <class Span>
requires requires(const Span& bytes) {
    bytes.data();
    bytes.size_bytes();
}
auto binary(const Span& bytes) noexcept { return binary(bytes.data(), bytes.size_bytes()); }
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
