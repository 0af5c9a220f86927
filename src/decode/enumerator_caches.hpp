// What event_enumerator keeps between events of one tracepoint. Private to
// the decoder: the public class holds it through a pointer.
#pragma once

#include <ehtrace/decode/event_enumerator.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace ehtrace::decode::detail {

// The last tracepoint name parsed (as given, "user_events:" prefix and
// all), where strip_tracepoint_system's result lies in it and its parts as
// offsets into that: events of one tracepoint repeat the name, and
// comparing it is cheaper than parsing it again.
struct name_cache {
    std::array<char, max_tracepoint_name_length + 64> text;
    std::size_t size = ~std::size_t{0};  // none
    std::size_t name_offset = 0, name_size = 0;
    std::size_t provider_size = 0, options_offset = 0, options_size = 0;
    std::uint8_t level = 0;
    std::uint64_t keyword = 0;
};

// The last few metadata blocks seen (byte order included) and their
// definitions, parsed once: events of one tracepoint repeat their block byte
// for byte. Offsets are from the block's start. Only definitions that parsed
// without error are kept; anything else goes through the full parse.
inline constexpr std::size_t cached_metadata_max = 256, cached_definitions_max = 32, metadata_cache_slots = 4;
// How the enumerator starts a cached definition without the general path.
enum class cached_kind : std::uint8_t {
    simple,     // a single fixed-size value or NUL-terminated 8-bit string
    structure,  // a single struct: pushes its frame
    counted,    // a single string or binary value with a 16-bit length
    array,      // an array (constant or variable count) of anything but structs
    other,      // anything else (arrays of structs, 16/32-bit zstrings): the general path
};
struct cached_definition {
    std::uint16_t begin, end;  // of the definition in the block
    std::uint16_t name_size, attributes_size;
    std::uint16_t tag, const_count;
    std::uint8_t encoding, array_flags, format;
    std::uint8_t value_size;  // a fixed-size encoding: the size of one value; else 0
    cached_kind kind;
    std::uint8_t unit;  // counted: bytes per code unit
};

// A metadata block compiled into the items it produces, in order: one step an
// item (all elements of an array share one), each with the item as far as
// the metadata decides it. move_next() then takes the next step, fills in
// what the payload decides (value bytes, array count and index) and checks
// the payload's bounds; it never looks at the metadata or keeps frames.
// Compiled only for blocks whose every definition is cached and that hold no
// array of structs and never nest past max_depth: for those the general path
// fails only on payload bounds, its item budget cannot run out (at most two
// items that take no payload bytes per definition, see item_budget), and
// its item sequence is fixed by the metadata alone.
enum class plan_op : std::uint8_t {
    fixed_value,   // a single value of a fixed size
    value,         // a single value of another kind
    struct_begin,  // a struct (its fields follow as steps)
    struct_end,
    array_begin,     // an array of values: the count (read when variable)...
    fixed_elements,  // ...each element of a fixed size (this step repeats count times)...
    elements,        // ...or each element of another kind...
    array_end,       // ...the end (right after array_begin when the count is 0)
    end,             // after_last
};
// How a value (or each element) takes its payload bytes.
enum class plan_value : std::uint8_t {
    fixed,         // `size` bytes
    zstring8,      // up to and with a NUL byte
    zstring_wide,  // up to and with a NUL code unit of `size` bytes
    counted,       // a 16-bit count of `size`-byte units, then the units
};
struct plan_step {
    item_info item;  // the item, but for the pointers of name, name_attributes and value
    plan_op op;
    plan_value value_kind;
    std::uint8_t size;
    std::uint8_t depth;         // depth() at this item
    enumerator_state state;     // struct_begin and struct_end: state() at this item
    bool var_count;             // array_begin: the count is in the payload
    std::uint16_t const_count;  // array_begin otherwise
    std::uint16_t name_offset;  // from the metadata block's start
    std::uint16_t name_size, attributes_size;
};
inline constexpr std::size_t plan_steps_max = 3 * cached_definitions_max + 1;

struct metadata_cache {
    std::array<std::byte, cached_metadata_max> bytes;
    std::size_t size = ~std::size_t{0};  // none
    bool byte_swap = false;
    std::size_t name_size = 0, name_semicolon = 0;  // the event name
    std::size_t count = 0;
    std::array<cached_definition, cached_definitions_max> definitions;
    bool planned = false;  // steps holds this block's plan
    std::array<plan_step, plan_steps_max> steps;
};

// The header and extension blocks (everything before the payload) of the
// last event that started with its metadata cached, and what start() found
// in them. Events of one tracepoint repeat these bytes: when the next event
// begins with the same bytes (and its name has the same level), start()
// takes the result from here. It stays valid while its metadata slot is not
// replaced: every replacement is followed by a new prefix.
inline constexpr std::size_t cached_prefix_max = 320;
struct prefix_cache {
    std::array<std::byte, cached_prefix_max> bytes;
    std::size_t size = 0;  // none
    event_header header{};
    bool byte_swap = false;
    std::size_t slot = 0;
    std::size_t metadata_begin = 0, metadata_end = 0, name_size = 0, name_semicolon = 0;
    std::size_t activity_at = 0, related_at = 0;  // 0: none
};

struct enumerator_caches {
    name_cache name;
    std::array<metadata_cache, metadata_cache_slots> metadata;
    std::size_t next_victim = 0;  // replaced on the next miss
    prefix_cache prefix;
};

}  // namespace ehtrace::decode::detail
