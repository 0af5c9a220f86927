// Walks one EventHeader event: header, extension blocks, then the fields the
// metadata block describes, one item at a time. Never allocates, never reads
// outside the given bytes.
#pragma once

#include <ehtrace/decode/tracepoint_name.hpp>
#include <ehtrace/format.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace ehtrace::decode {

enum class decode_error : std::uint8_t {
    none,
    bad_tracepoint_name,
    header_truncated,
    level_mismatch,
    extension_truncated,
    bad_activity_id,
    missing_metadata,
    metadata_truncated,
    bad_encoding,       // invalid encoding, both array flags, zero-count const array...
    unknown_encoding,   // encoding value this decoder does not know
    bad_struct,         // struct with 0 fields
    nesting_too_deep,
    payload_truncated,
};

[[nodiscard]] std::string_view to_string(decode_error error) noexcept;

struct event_info {
    std::string_view tracepoint_name;
    tracepoint_name_parts name_parts;
    std::string_view name;             // event name without ";attr=value" parts
    std::string_view name_attributes;  // ";attr=value..." or empty
    event_header header{};
    std::byte const* activity_id = nullptr;          // 16 bytes when set
    std::byte const* related_activity_id = nullptr;  // 16 bytes when set

    [[nodiscard]] bool big_endian() const noexcept { return !(header.flags & header_flags::little_endian); }
    [[nodiscard]] unsigned pointer_size() const noexcept { return header.flags & header_flags::pointer64 ? 8 : 4; }
};

enum class enumerator_state : std::uint8_t {
    none,          // start() not called or failed before the header was read
    error,         // see error(); the header (event()) may still be valid
    after_last,
    before_first,
    value,
    array_begin,
    array_end,
    struct_begin,
    struct_end,
};

struct item_info {
    std::string_view name;             // without ";attr=value" parts
    std::string_view name_attributes;  // ";attr=value..." or empty
    field_encoding encoding = field_encoding::invalid;
    field_format format = field_format::default_format;
    std::uint16_t tag = 0;
    bool is_array = false;          // the field is an array (item may be one element)
    bool is_element = false;        // this item is one element of an array
    std::uint16_t array_index = 0;  // element index, when is_element
    std::uint16_t array_count = 0;  // element count, when is_array
    std::uint8_t struct_field_count = 0;  // for struct items
    bool byte_swap = false;         // value bytes are in non-host byte order
    std::span<std::byte const> value;  // value items: the bytes (strings: code units, no length/terminator)
};

class event_enumerator {
public:
    static constexpr std::size_t max_depth = 32;

    // Reads the header and extension blocks. On success the state is
    // before_first. `tracepoint_name` may carry "user_events:" prefixes.
    // Both spans must outlive the enumeration.
    decode_error start(std::string_view tracepoint_name, std::span<std::byte const> event) noexcept;

    // Advances to the next item in document order. False at the end or on error.
    bool move_next() noexcept;
    // From a struct_begin or array_begin, moves past the whole struct or array
    // to the item after it; from any other state it is move_next().
    bool move_next_sibling() noexcept;

    [[nodiscard]] enumerator_state state() const noexcept { return state_; }
    [[nodiscard]] event_info const& event() const noexcept { return event_; }
    [[nodiscard]] item_info const& item() const noexcept { return item_; }
    // Nesting depth of the current item (0 for top-level fields).
    [[nodiscard]] std::size_t depth() const noexcept { return depth_; }
    [[nodiscard]] decode_error error() const noexcept { return error_; }
    // Offset into the event bytes where the error was found.
    [[nodiscard]] std::size_t error_offset() const noexcept { return error_offset_; }
    // The payload bytes (after the extension blocks).
    [[nodiscard]] std::span<std::byte const> payload() const noexcept { return event_bytes_.subspan(payload_begin_); }

private:
    struct field_definition {
        std::string_view name;
        std::string_view attributes;
        std::uint8_t encoding = 0;  // low 5 bits
        std::uint8_t array_flags = 0;
        std::uint8_t format = 0;    // low 7 bits
        std::uint16_t tag = 0;
        std::uint16_t const_count = 0;
    };
    struct frame {
        field_definition definition;
        bool is_array = false;
        std::uint16_t index = 0;
        std::uint16_t count = 0;
        std::uint8_t remaining = 0;             // struct: fields not yet started
        std::size_t element_metadata_begin = 0; // array of structs: where element fields start
    };

    bool fail(decode_error error, std::size_t offset) noexcept;
    bool move_next_general() noexcept;
    bool read_definition(field_definition& out) noexcept;
    bool skip_definitions(std::size_t count) noexcept;
    bool start_field(field_definition const& definition) noexcept;
    bool start_element(field_definition const& definition, bool is_element, std::uint16_t index,
                       std::uint16_t count) noexcept;
    bool after_item() noexcept;
    bool read_u16(std::size_t offset, std::uint16_t& value) const noexcept {
        if (offset > event_bytes_.size() || event_bytes_.size() - offset < 2) return false;
        std::uint16_t v;
        std::memcpy(&v, event_bytes_.data() + offset, 2);
        value = byte_swap_ ? static_cast<std::uint16_t>(__builtin_bswap16(v)) : v;
        return true;
    }
    bool push(frame const& f) noexcept;

    std::span<std::byte const> event_bytes_;
    event_info event_{};
    item_info item_{};
    std::size_t metadata_begin_ = 0, metadata_end_ = 0, metadata_pos_ = 0;
    std::size_t payload_begin_ = 0, data_pos_ = 0;
    std::array<frame, max_depth> stack_{};
    std::size_t depth_ = 0;
    bool byte_swap_ = false;
    enumerator_state state_ = enumerator_state::none;
    decode_error error_ = decode_error::none;
    std::size_t error_offset_ = 0;

    // The last tracepoint name parsed (as given, "user_events:" prefix and
    // all), where strip_tracepoint_system's result lies in it and its parts
    // as offsets into that: events of one tracepoint repeat the name, and
    // comparing it is cheaper than parsing it again.
    struct name_cache {
        std::array<char, max_tracepoint_name_length + 64> text;
        std::size_t size = ~std::size_t{0};  // none
        std::size_t name_offset = 0, name_size = 0;
        std::size_t provider_size = 0, options_offset = 0, options_size = 0;
        std::uint8_t level = 0;
        std::uint64_t keyword = 0;
    };
    bool parse_name(std::string_view tracepoint_name, std::string_view& name, tracepoint_name_parts& parts) noexcept;
    name_cache name_cache_;

    // The last few metadata blocks seen (byte order included) and their
    // definitions, parsed once: events of one tracepoint repeat their block
    // byte for byte. Offsets are from the block's start. Only definitions
    // that parsed without error are kept; anything else goes through the
    // full parse.
    static constexpr std::size_t cached_metadata_max = 256, cached_definitions_max = 32, metadata_cache_slots = 4;
    struct cached_definition {
        std::uint16_t begin, end;  // of the definition in the block
        std::uint16_t name_size, attributes_size;
        std::uint16_t tag, const_count;
        std::uint8_t encoding, array_flags, format;
        std::uint8_t value_size;  // a single fixed-size value: its size; else 0
        bool is_zstring8;         // a single NUL-terminated 8-bit string
    };
    struct metadata_cache {
        std::array<std::byte, cached_metadata_max> bytes;
        std::size_t size = ~std::size_t{0};  // none
        bool byte_swap = false;
        std::size_t name_size = 0, name_semicolon = 0;  // the event name
        std::size_t count = 0;
        std::array<cached_definition, cached_definitions_max> definitions;
    };
    void cache_metadata() noexcept;
    bool next_cached_value(bool& result) noexcept;
    bool read_definition_slow(field_definition& out) noexcept;
    std::array<metadata_cache, metadata_cache_slots> metadata_caches_;
    std::size_t metadata_slot_ = 0;         // the slot of the current event
    std::size_t metadata_next_victim_ = 0;  // replaced on the next miss
    bool use_metadata_cache_ = false;
    std::size_t next_definition_ = 0;  // where the next lookup in the cache starts

    // The header and extension blocks (everything before the payload) of the
    // last event that started with its metadata cached, and what start()
    // found in them. Events of one tracepoint repeat these bytes: when the
    // next event begins with the same bytes (and its name has the same level),
    // start() takes the result from here. It stays valid while its metadata
    // slot is not replaced: every replacement is followed by a new prefix.
    static constexpr std::size_t cached_prefix_max = 320;
    struct prefix_cache {
        std::array<std::byte, cached_prefix_max> bytes;
        std::size_t size = 0;  // none
        event_header header{};
        bool byte_swap = false;
        std::size_t slot = 0;
        std::size_t metadata_begin = 0, metadata_end = 0, name_size = 0, name_semicolon = 0;
        std::size_t activity_at = 0, related_at = 0;  // 0: none
    };
    void remember_prefix() noexcept;
    prefix_cache prefix_;
};

}  // namespace ehtrace::decode
