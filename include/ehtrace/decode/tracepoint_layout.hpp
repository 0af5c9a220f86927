// The tracefs "format" text of a tracepoint: field names, types, offsets and
// sizes, and how each field prints (docs/json.md, plain tracepoints).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ehtrace::decode {

enum class field_location : std::uint8_t {
    fixed,     // bytes at offset, size
    data_loc,  // u32 at offset: (length << 16) | offset from the record start
    rel_loc,   // u32 at offset: (length << 16) | offset from the end of this field
};

enum class field_display : std::uint8_t {
    string,     // plain char (arrays or not): text up to the first NUL
    decimal,    // C integer types but unsigned long, fixed-width typedefs
    hex,        // pointers, unsigned long, other type names: "0x.."
    hex_bytes,  // structs, sizes that are not 1/2/4/8
};

struct tracepoint_field {
    std::string type;  // declaration without the name, e.g. "char[16]", "pid_t"
    std::string name;
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
    bool is_signed = false;
    field_location location = field_location::fixed;
    field_display display = field_display::hex;
    std::uint32_t element_size = 0;  // arrays: bytes per element; scalars: size
    bool is_array = false;           // [N], [] or __data_loc/__rel_loc
    bool is_pointer = false;         // hex, whatever the output options
};

struct tracepoint_layout {
    std::string system;  // e.g. "sched", "user_events"
    std::string name;    // e.g. "sched_switch"
    std::uint32_t id = 0;
    std::vector<tracepoint_field> fields;  // common_* fields first
    std::size_t common_field_count = 0;

    // True when the non-common fields are exactly the EventHeader field list.
    // Decided by parse_tracepoint_layout (fields changed afterwards in number
    // make it false).
    [[nodiscard]] bool is_eventheader() const noexcept {
        return eventheader_ && fields.size() == common_field_count + eventheader_field_count;
    }
    // Offset of the EventHeader header in the record (valid when is_eventheader()).
    [[nodiscard]] std::uint32_t eventheader_offset() const noexcept {
        return common_field_count < fields.size() ? fields[common_field_count].offset : 0;
    }
    // "system:name"
    [[nodiscard]] std::string full_name() const { return system + ":" + name; }

private:
    static constexpr std::size_t eventheader_field_count = 6;
    bool eventheader_ = false;
    friend bool parse_tracepoint_layout(std::string_view, tracepoint_layout&, std::string*);
};

// Parses a tracefs format file. Returns false (with a reason) when no
// "format:" section with at least one valid field is found. Unknown lines are
// ignored; malformed field lines are skipped.
[[nodiscard]] bool parse_tracepoint_layout(std::string_view text, tracepoint_layout& out, std::string* why = nullptr);

// The bytes of one field inside a raw record, or empty if out of range.
[[nodiscard]] std::span<const std::byte> field_bytes(const tracepoint_field& field, std::span<const std::byte> raw,
                                                     bool big_endian = false) noexcept;

}  // namespace ehtrace::decode
