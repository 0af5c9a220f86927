// Walks one EventHeader event: header, extension blocks, then the fields the
// metadata block describes, one item at a time. Never reads outside the
// given bytes; allocates only its caches, once, when constructed (reuse one
// enumerator for many events: what repeats between them is cached).
#pragma once

#include <ehtrace/decode/tracepoint_name.hpp>
#include <ehtrace/wire/eventheader.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
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
    bad_encoding,      // invalid encoding, both array flags, zero-count const array...
    unknown_encoding,  // encoding value this decoder does not know
    bad_struct,        // struct with 0 fields
    nesting_too_deep,
    payload_truncated,
    too_many_items,  // more items than any event of this size can hold (see item_budget)
};

[[nodiscard]] std::string_view to_string(decode_error error) noexcept;

struct event_info {
    std::string_view tracepoint_name;
    tracepoint_name_parts name_parts;
    std::string_view name;             // event name without ";attr=value" parts
    std::string_view name_attributes;  // ";attr=value..." or empty
    event_header header{};
    const std::byte* activity_id = nullptr;          // 16 bytes when set
    const std::byte* related_activity_id = nullptr;  // 16 bytes when set

    [[nodiscard]] bool big_endian() const noexcept { return !(header.flags & header_flags::little_endian); }
    [[nodiscard]] unsigned pointer_size() const noexcept { return header.flags & header_flags::pointer64 ? 8 : 4; }
};

enum class enumerator_state : std::uint8_t {
    none,   // start() not called or failed before the header was read
    error,  // see error(); the header (event()) may still be valid
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
    bool is_array = false;                // the field is an array (item may be one element)
    bool is_element = false;              // this item is one element of an array
    std::uint16_t array_index = 0;        // element index, when is_element
    std::uint16_t array_count = 0;        // element count, when is_array
    std::uint8_t struct_field_count = 0;  // for struct items
    bool byte_swap = false;               // value bytes are in non-host byte order
    std::span<const std::byte> value;     // value items: the bytes (strings: code units, no length/terminator)
};

namespace detail {
struct enumerator_caches;
struct cached_definition;
struct metadata_cache;
struct plan_step;
struct enumerator_probe;  // the tests' view of which path an event takes
}  // namespace detail

class event_enumerator {
public:
    static constexpr std::size_t max_depth = 32;

    // Items an event of `size` bytes may produce. Every value takes at least
    // one payload byte and each one can sit inside at most max_depth arrays
    // and structs (a begin and an end each), so a well-formed event never
    // comes near; a damaged one (an array of structs whose fields the
    // metadata cuts off takes no bytes at all) stops with too_many_items
    // instead of running for minutes.
    [[nodiscard]] static constexpr std::size_t item_budget(std::size_t size) noexcept {
        return 4096 + (2 * max_depth + 3) * (size + 1);
    }

    event_enumerator();
    ~event_enumerator();
    event_enumerator(const event_enumerator&) = delete;
    event_enumerator& operator=(const event_enumerator&) = delete;

    // Reads the header and extension blocks. On success the state is
    // before_first. `tracepoint_name` may carry "user_events:" prefixes.
    // Both spans must outlive the enumeration.
    decode_error start(std::string_view tracepoint_name, std::span<const std::byte> event) noexcept;

    // Advances to the next item in document order. False at the end or on error.
    bool move_next() noexcept {
        // The most common item, inline: the next element of an array of
        // fixed-size values in a planned event, which differs from the
        // element before it only in its index and where its bytes start (the
        // whole array was found in the payload at its first element).
        if (const std::size_t size = element_size_; size != 0) {
            const std::byte* const at = item_.value.data() + size;
            item_.value = std::span<const std::byte>(at, size);
            const auto index = static_cast<std::uint16_t>(item_.array_index + 1);
            item_.array_index = index;
            if (index == last_element_) {
                element_size_ = 0;
                plan_step_ = after_elements_;
                data_pos_ = static_cast<std::size_t>(at + size - event_bytes_.data());
            }
            return true;
        }
        return move_next_step();
    }
    // From a struct_begin or array_begin, moves past the whole struct or array
    // to the item after it; from any other state it is move_next().
    bool move_next_sibling() noexcept;
    // At the array_begin item of an array of fixed-size values: every
    // element's bytes, so that a reader may take them at once. Empty at any
    // other item, for an empty array, and when the payload is cut short
    // inside the array (the elements then report the damage one by one).
    [[nodiscard]] std::span<const std::byte> array_bytes() const noexcept;
    // From an array_begin item whose array_bytes() are not empty, moves to
    // the array_end item without visiting the elements; true then. False,
    // with nothing changed, from any other item.
    bool skip_to_array_end() noexcept;

    [[nodiscard]] enumerator_state state() const noexcept { return state_; }
    [[nodiscard]] const event_info& event() const noexcept { return event_; }
    [[nodiscard]] const item_info& item() const noexcept { return item_; }
    // Nesting depth of the current item (0 for top-level fields).
    [[nodiscard]] std::size_t depth() const noexcept { return depth_; }
    [[nodiscard]] decode_error error() const noexcept { return error_; }
    // Offset into the event bytes where the error was found.
    [[nodiscard]] std::size_t error_offset() const noexcept { return error_offset_; }
    // The payload bytes (after the extension blocks).
    [[nodiscard]] std::span<const std::byte> payload() const noexcept { return event_bytes_.subspan(payload_begin_); }

private:
    friend struct detail::enumerator_probe;
    struct field_definition {
        std::string_view name;
        std::string_view attributes;
        std::uint8_t encoding = 0;  // low 5 bits
        std::uint8_t array_flags = 0;
        std::uint8_t format = 0;  // low 7 bits
        std::uint16_t tag = 0;
        std::uint16_t const_count = 0;
    };
    struct frame {
        field_definition definition;
        bool is_array = false;
        std::uint16_t index = 0;
        std::uint16_t count = 0;
        std::uint8_t remaining = 0;              // struct: fields not yet started
        std::uint8_t element_size = 0;           // array of fixed-size values: the size of each
        std::size_t element_metadata_begin = 0;  // array of structs: where element fields start
    };

    bool fail(decode_error error, std::size_t offset) noexcept;
    bool move_next_step() noexcept;
    bool move_next_general() noexcept;
    bool read_definition(field_definition& out) noexcept;
    bool skip_definitions(std::size_t count) noexcept;
    void begin_item(const field_definition& definition) noexcept;
    bool start_field(const field_definition& definition) noexcept;
    bool start_element(const field_definition& definition, bool is_element, std::uint16_t index,
                       std::uint16_t count) noexcept;
    bool after_item() noexcept;
    bool read_u16(std::size_t offset, std::uint16_t& value) const noexcept {
        if (offset > event_bytes_.size() || event_bytes_.size() - offset < 2) return false;
        std::uint16_t v;
        std::memcpy(&v, event_bytes_.data() + offset, 2);
        value = byte_swap_ ? static_cast<std::uint16_t>(__builtin_bswap16(v)) : v;
        return true;
    }
    bool push(const frame& f) noexcept;

    std::span<const std::byte> event_bytes_;
    event_info event_{};
    item_info item_{};
    std::size_t metadata_begin_ = 0, metadata_end_ = 0, metadata_pos_ = 0;
    std::size_t payload_begin_ = 0, data_pos_ = 0;
    std::array<frame, max_depth> stack_{};
    std::size_t depth_ = 0;
    std::size_t items_left_ = 0;  // item_budget() at start, less each item of the general path
    bool byte_swap_ = false;
    enumerator_state state_ = enumerator_state::none;
    decode_error error_ = decode_error::none;
    std::size_t error_offset_ = 0;

    // What repeats between events of one tracepoint (its name, its metadata
    // block parsed, its header and extension bytes), kept so the next event
    // is read without parsing them again. Private to the decoder.
    // Set event_.tracepoint_name (without "user_events:") and event_.name_parts:
    // from the name cache when it holds this name (else false, nothing set),
    // or by parsing it.
    bool cached_name(std::string_view tracepoint_name) noexcept;
    bool parse_name(std::string_view tracepoint_name) noexcept;
    [[gnu::noinline]] decode_error start_uncached(std::string_view tracepoint_name, std::span<const std::byte> event,
                                                  bool name_cached) noexcept;
    void cache_metadata() noexcept;
    void remember_prefix() noexcept;
    bool next_cached_value(bool& result, bool count_item) noexcept;
    static field_definition cached_field_definition(const detail::cached_definition& c, const char* name) noexcept;
    bool start_cached_array(const detail::cached_definition& c, const char* name) noexcept;
    bool take_simple_value(std::size_t size) noexcept;
    bool take_counted_value(std::size_t unit) noexcept;
    bool take_wide_zstring(std::size_t unit) noexcept;
    bool read_definition_slow(field_definition& out) noexcept;
    std::unique_ptr<detail::enumerator_caches> caches_;
    std::size_t metadata_slot_ = 0;  // the cached metadata of the current event
    bool use_metadata_cache_ = false;
    std::size_t next_definition_ = 0;  // where the next lookup in the cache starts

    // The current event's metadata compiled into steps (see
    // enumerator_caches.hpp): while plan_step_ is set, move_next() follows
    // the plan and the general path's position, frames and budget are not
    // kept (nothing after the plan's last step needs them).
    static void compile_plan(detail::metadata_cache& cache) noexcept;
    void follow_plan() noexcept;
    bool move_next_planned() noexcept;
    void enter_step(const detail::plan_step& step) noexcept;
    bool take_planned_value(const detail::plan_step& step) noexcept;
    bool take_element(const detail::plan_step& step) noexcept;
    bool take_first_element(const detail::plan_step& step) noexcept;
    const detail::plan_step* plan_step_ = nullptr;   // the next item's step; nullptr: the general path
    const std::byte* plan_names_ = nullptr;          // the metadata block in this event
    std::uint16_t plan_index_ = 0, plan_count_ = 0;  // the current array's next element and count
    // While the current item is an element of an array of fixed-size values
    // that has elements left, all of them in the payload: their size (else
    // 0), the last one's index and the step after them. plan_index_ is then
    // already the count and data_pos_ is not kept until the last element.
    std::uint8_t element_size_ = 0;
    std::uint16_t last_element_ = 0;
    const detail::plan_step* after_elements_ = nullptr;
};

}  // namespace ehtrace::decode
