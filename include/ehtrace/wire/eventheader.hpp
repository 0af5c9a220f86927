// EventHeader wire format: the constants every writer and reader agrees on.
// This header is the contract shared by the writer and the decoder; it holds
// no writer or decoder logic. docs/wire.md describes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace ehtrace {

// Levels 1..5 have names; 6..255 are legal but unnamed. 0 is invalid.
enum class event_level : std::uint8_t {
    invalid = 0,
    critical = 1,
    error = 2,
    warning = 3,
    info = 4,
    verbose = 5,
};

enum class event_opcode : std::uint8_t {
    info = 0,
    activity_start = 1,
    activity_stop = 2,
    collection_start = 3,
    collection_stop = 4,
    extension = 5,
    reply = 6,
    resume = 7,
    suspend = 8,
    send = 9,
    receive = 0xF0,
};

// Header flags byte (offset 0).
namespace header_flags {
inline constexpr std::uint8_t pointer64 = 0x01;
inline constexpr std::uint8_t little_endian = 0x02;
inline constexpr std::uint8_t extension = 0x04;
// What this process writes without extensions.
inline constexpr std::uint8_t native =
    (sizeof(void*) == 8 ? pointer64 : 0) | (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? little_endian : 0);
}  // namespace header_flags

// Extension block kinds (low 15 bits of the kind word).
enum class extension_kind : std::uint16_t {
    invalid = 0,
    metadata = 1,
    activity_id = 2,
};
inline constexpr std::uint16_t extension_kind_mask = 0x7FFF;
inline constexpr std::uint16_t extension_chain_flag = 0x8000;

enum class field_encoding : std::uint8_t {
    invalid = 0,
    structure = 1,
    value8 = 2,
    value16 = 3,
    value32 = 4,
    value64 = 5,
    value128 = 6,
    zstring_char8 = 7,
    zstring_char16 = 8,
    zstring_char32 = 9,
    string_length16_char8 = 10,
    string_length16_char16 = 11,
    string_length16_char32 = 12,
    binary_length16_char8 = 13,
    max = 14,  // first unknown value
};
// Bytes of one value of a fixed-size encoding (value8..value128), else 0.
[[nodiscard]] constexpr std::size_t value_size(field_encoding e) noexcept {
    switch (e) {
    case field_encoding::value8: return 1;
    case field_encoding::value16: return 2;
    case field_encoding::value32: return 4;
    case field_encoding::value64: return 8;
    case field_encoding::value128: return 16;
    default: return 0;
    }
}

// Bytes of one code unit of a string encoding (1 for everything else).
[[nodiscard]] constexpr std::size_t code_unit_size(field_encoding e) noexcept {
    switch (e) {
    case field_encoding::zstring_char16:
    case field_encoding::string_length16_char16: return 2;
    case field_encoding::zstring_char32:
    case field_encoding::string_length16_char32: return 4;
    default: return 1;
    }
}

// The fixed-size encoding of a value of `size` bytes (1, 2, 4, 8, 16), else invalid.
[[nodiscard]] constexpr field_encoding value_encoding_for_size(std::size_t size) noexcept {
    return size == 1    ? field_encoding::value8
           : size == 2  ? field_encoding::value16
           : size == 4  ? field_encoding::value32
           : size == 8  ? field_encoding::value64
           : size == 16 ? field_encoding::value128
                        : field_encoding::invalid;
}

// The string encoding of code units of `unit_size` bytes (1, 2, 4), with a
// terminating 0 unit or a 16-bit count in front; invalid for other sizes.
[[nodiscard]] constexpr field_encoding string_encoding_for_unit(std::size_t unit_size, bool zero_terminated) noexcept {
    if (unit_size != 1 && unit_size != 2 && unit_size != 4) return field_encoding::invalid;
    // The char8, char16, char32 variants of each kind are consecutive.
    const auto first = zero_terminated ? field_encoding::zstring_char8 : field_encoding::string_length16_char8;
    return static_cast<field_encoding>(static_cast<std::uint8_t>(first) + unit_size / 2);
}

namespace encoding_flags {
inline constexpr std::uint8_t value_mask = 0x1F;
inline constexpr std::uint8_t const_array = 0x20;
inline constexpr std::uint8_t var_array = 0x40;
inline constexpr std::uint8_t format_follows = 0x80;
}  // namespace encoding_flags

enum class field_format : std::uint8_t {
    default_format = 0,
    unsigned_int = 1,
    signed_int = 2,
    hex_int = 3,
    errno_value = 4,
    pid = 5,
    time = 6,
    boolean = 7,
    floating = 8,
    hex_bytes = 9,
    string8 = 10,
    string_utf = 11,
    string_utf_bom = 12,
    string_xml = 13,
    string_json = 14,
    uuid = 15,
    port = 16,
    ip_address = 17,
    ip_address_obsolete = 18,
    max = 19,  // first unknown value
};
namespace format_flags {
inline constexpr std::uint8_t value_mask = 0x7F;
inline constexpr std::uint8_t tag_follows = 0x80;
}  // namespace format_flags

// Whether a field of `encoding` (low 5 bits) may carry `format` (low 7 bits;
// docs/wire.md, the format table). The default format fits everything;
// the two 8-bit length-prefixed encodings take any format (a decoder reads
// a length the format has no size for with the default); everything else
// only the formats the table gives it. Structs carry their field count in
// the format byte and are not asked.
[[nodiscard]] constexpr bool format_applies(field_format format, field_encoding encoding) noexcept {
    using E = field_encoding;
    using F = field_format;
    if (format == F::default_format) return true;
    if (encoding == E::string_length16_char8 || encoding == E::binary_length16_char8) {
        return static_cast<std::uint8_t>(format) <= 0x7F;
    }
    const auto e = static_cast<std::uint8_t>(encoding);
    const bool integer = e >= static_cast<std::uint8_t>(E::value8) && e <= static_cast<std::uint8_t>(E::value64);
    const bool string =
        e >= static_cast<std::uint8_t>(E::zstring_char8) && e <= static_cast<std::uint8_t>(E::string_length16_char32);
    switch (format) {
    case F::unsigned_int:
    case F::signed_int:
    case F::hex_int: return integer;
    case F::errno_value:
    case F::pid: return encoding == E::value32;
    case F::time: return encoding == E::value32 || encoding == E::value64;
    case F::boolean: return integer && encoding != E::value64;
    case F::floating: return encoding == E::value32 || encoding == E::value64;
    case F::hex_bytes:
        return encoding != E::structure && encoding != E::invalid && e < static_cast<std::uint8_t>(E::max);
    case F::string8: return encoding == E::value8 || encoding == E::zstring_char8;
    case F::string_utf: return string || encoding == E::value16 || encoding == E::value32;
    case F::string_utf_bom:
    case F::string_xml:
    case F::string_json: return string;
    case F::uuid: return encoding == E::value128;
    case F::port: return encoding == E::value16;
    case F::ip_address: return encoding == E::value32 || encoding == E::value128;
    default: return false;  // ip_address_obsolete is never written; unknown formats
    }
}

// The decoder's side of the same rule: what a reader accepts is what
// format_applies allows a writer, plus ip_address_obsolete (an older
// spelling of ip_address that files may still hold) wherever ip_address
// fits. A value whose format does not apply is shown with the default
// format for its encoding.
[[nodiscard]] constexpr bool format_applies_when_decoding(field_format format, field_encoding encoding) noexcept {
    if (format == field_format::ip_address_obsolete) return format_applies(field_format::ip_address, encoding);
    return format_applies(format, encoding);
}

// The format a value of C++ type T is written with when the caller picks
// none, for the types both APIs write from their value alone: bool, the
// character types, integers, float and double, pointers; an enum as its
// underlying type. Everything else gets the default format here (the
// compile-time API gives its own uuid and address types theirs).
template <class T>
[[nodiscard]] constexpr field_format default_format_of() noexcept {
    if constexpr (std::is_enum_v<T>) {
        return default_format_of<std::underlying_type_t<T>>();
    } else if constexpr (std::is_same_v<T, bool>) {
        return field_format::boolean;
    } else if constexpr (std::is_same_v<T, char>
#if defined(__cpp_char8_t)
                         || std::is_same_v<T, char8_t>
#endif
    ) {
        return field_format::string8;
    } else if constexpr (std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t> || std::is_same_v<T, wchar_t>) {
        return field_format::string_utf;
    } else if constexpr (std::is_integral_v<T>) {
        return std::is_signed_v<T> ? field_format::signed_int : field_format::default_format;
    } else if constexpr (std::is_floating_point_v<T>) {
        return field_format::floating;
    } else if constexpr (std::is_pointer_v<T>) {
        return field_format::hex_int;
    } else {
        return field_format::default_format;
    }
}

// Fixed sizes and limits.
inline constexpr std::size_t header_size = 8;
inline constexpr std::size_t extension_block_header_size = 4;
inline constexpr std::size_t activity_id_size = 16;
inline constexpr std::size_t max_event_size = 65535;
inline constexpr std::size_t max_struct_fields = 127;
inline constexpr std::size_t max_tracepoint_name_length = 255;
// Name + field list, as accepted by DIAG_IOCSREG.
inline constexpr std::size_t max_command_length = 511;

// The field list that marks a user_events tracepoint as EventHeader-encoded.
inline constexpr char eventheader_fields[] = "u8 eventheader_flags; u8 version; u16 id; u16 tag; u8 opcode; u8 level";

// 8-byte header, in the event's byte order (native for everything we write).
struct event_header {
    std::uint8_t flags;
    std::uint8_t version;
    std::uint16_t id;
    std::uint16_t tag;
    std::uint8_t opcode;
    std::uint8_t level;
};
static_assert(sizeof(event_header) == header_size);

struct extension_block_header {
    std::uint16_t size;
    std::uint16_t kind;
};
static_assert(sizeof(extension_block_header) == extension_block_header_size);

}  // namespace ehtrace
