#include <ehtrace/decode/event_enumerator.hpp>

#include "byte_order.hpp"
#include "enumerator_caches.hpp"

#include <cstring>

namespace ehtrace::decode {

std::string_view to_string(decode_error error) noexcept {
    switch (error) {
    case decode_error::none: return "no error";
    case decode_error::bad_tracepoint_name: return "not an EventHeader tracepoint name";
    case decode_error::header_truncated: return "event shorter than the 8-byte header";
    case decode_error::level_mismatch: return "header level differs from the tracepoint name's level";
    case decode_error::extension_truncated: return "extension block runs past the event";
    case decode_error::bad_activity_id: return "activity id block is not 16 or 32 bytes";
    case decode_error::missing_metadata: return "event has no metadata block";
    case decode_error::metadata_truncated: return "metadata runs past its block";
    case decode_error::bad_encoding: return "invalid field encoding";
    case decode_error::unknown_encoding: return "unknown field encoding";
    case decode_error::bad_struct: return "struct with no fields";
    case decode_error::nesting_too_deep: return "structs and arrays nested too deeply";
    case decode_error::payload_truncated: return "field value runs past the event";
    case decode_error::too_many_items: return "more items than the event's size allows";
    }
    return "unknown error";
}

namespace {

std::string_view split_attributes(std::string_view full, std::string_view& attributes) noexcept {
    const auto semicolon = full.find(';');
    if (semicolon == std::string_view::npos) {
        attributes = {};
        return full;
    }
    attributes = full.substr(semicolon);
    return full.substr(0, semicolon);
}

// Length of the NUL-terminated name at [p, limit) and the offset of its first
// ';' (or the length if none); false if no NUL comes before `limit`. Eight
// bytes at a time: metadata names are mostly short, and two memchr calls
// cost more than the scan.
bool scan_name(const char* p, const char* limit, std::size_t& length, std::size_t& semicolon) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const char* q = p;
    while (limit - q >= 8) {
        std::uint64_t word;
        std::memcpy(&word, q, 8);
        const std::uint64_t semis = word ^ (';' * ones);
        // Nonzero when some byte is 0 or ';' (exact as a yes/no answer).
        if ((((word - ones) & ~word) | ((semis - ones) & ~semis)) & highs) break;
        q += 8;
    }
    semicolon = ~std::size_t{0};
    for (; q != limit; ++q) {
        if (*q == ';' && semicolon == ~std::size_t{0}) semicolon = static_cast<std::size_t>(q - p);
        if (*q == '\0') {
            length = static_cast<std::size_t>(q - p);
            if (semicolon == ~std::size_t{0}) semicolon = length;
            return true;
        }
    }
    return false;
}

// Equal bytes, for n >= 8: the differences of every sixteen bytes (the last
// sixteen overlapping) gathered in one vector register and tested once, at
// the end: the blocks compared here are short and nearly always equal, and a
// memcmp call costs more. (GCC's vector extension, which clang has too.)
[[gnu::always_inline]] inline std::uint64_t word_at(const unsigned char* p, std::size_t offset) noexcept {
    std::uint64_t w;
    std::memcpy(&w, p + offset, 8);
    return w;
}
using block16 = std::uint64_t __attribute__((vector_size(16)));
[[gnu::always_inline]] inline block16 block_at(const unsigned char* p, std::size_t offset) noexcept {
    block16 b;
    std::memcpy(&b, p + offset, 16);
    return b;
}
[[gnu::always_inline]] inline bool same_bytes(const void* a, const void* b, std::size_t n) noexcept {
    const auto* p = static_cast<const unsigned char*>(a);
    const auto* q = static_cast<const unsigned char*>(b);
    if (n < 16) return ((word_at(p, 0) ^ word_at(q, 0)) | (word_at(p, n - 8) ^ word_at(q, n - 8))) == 0;
    block16 differences = block_at(p, n - 16) ^ block_at(q, n - 16);
    for (std::size_t i = 0; i + 16 < n; i += 16) differences |= block_at(p, i) ^ block_at(q, i);
    return (differences[0] | differences[1]) == 0;
}

// Index of the first NUL in [p, p + n), or n if there is none: memchr's
// answer without a call (the strings of an event are short). Never reads
// outside the range.
[[gnu::always_inline]] inline std::size_t find_nul(const std::byte* p, std::size_t n) noexcept {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    std::size_t i = 0;
    for (; n - i >= 8; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        // The lowest set bit marks the first zero byte exactly (false
        // positives only come above a true zero).
        if (const std::uint64_t zero = (w - ones) & ~w & highs) {
            return i + static_cast<std::size_t>(__builtin_ctzll(zero)) / 8;
        }
    }
    for (; i != n; ++i) {
        if (p[i] == std::byte{0}) return i;
    }
    return n;
#else
    const auto* nul = n == 0 ? nullptr : static_cast<const std::byte*>(std::memchr(p, 0, n));
    return nul == nullptr ? n : static_cast<std::size_t>(nul - p);
#endif
}

}  // namespace

event_enumerator::event_enumerator() : caches_(std::make_unique<detail::enumerator_caches>()) {}
event_enumerator::~event_enumerator() = default;

bool event_enumerator::fail(decode_error error, std::size_t offset) noexcept {
    plan_step_ = nullptr;
    element_size_ = 0;
    error_ = error;
    error_offset_ = offset;
    state_ = enumerator_state::error;
    return false;
}

// Writes straight into event_: start() reads the parts back at once, and a
// copy through the stack made that read wait for the stores to finish.
[[gnu::always_inline]] inline bool event_enumerator::cached_name(std::string_view tracepoint_name) noexcept {
    const detail::name_cache& c = caches_->name;
    const std::size_t size = tracepoint_name.size();
    if (size != c.size || !(size >= 8 ? same_bytes(tracepoint_name.data(), c.text.data(), size)
                                      : std::memcmp(tracepoint_name.data(), c.text.data(), size) == 0)) {
        return false;
    }
    // The offsets were taken from this very text: no bounds to check.
    std::string_view& name = event_.tracepoint_name;
    tracepoint_name_parts& parts = event_.name_parts;
    name = std::string_view(tracepoint_name.data() + c.name_offset, c.name_size);
    parts.provider = std::string_view(name.data(), c.provider_size);
    parts.options = std::string_view(name.data() + c.options_offset, c.options_size);
    parts.level = c.level;
    parts.keyword = c.keyword;
    return true;
}

bool event_enumerator::parse_name(std::string_view tracepoint_name) noexcept {
    detail::name_cache& c = caches_->name;
    std::string_view& name = event_.tracepoint_name;
    tracepoint_name_parts& parts = event_.name_parts;
    const std::size_t size = tracepoint_name.size();
    name = strip_tracepoint_system(tracepoint_name);
    parts = {};
    if (!parse_tracepoint_name(name, parts)) return false;
    if (size > c.text.size()) return true;
    std::memcpy(c.text.data(), tracepoint_name.data(), size);
    c.size = size;
    c.name_offset = static_cast<std::size_t>(name.data() - tracepoint_name.data());
    c.name_size = name.size();
    c.provider_size = parts.provider.size();
    c.options_offset = static_cast<std::size_t>(parts.options.data() - name.data());
    c.options_size = parts.options.size();
    c.level = parts.level;
    c.keyword = parts.keyword;
    return true;
}

decode_error event_enumerator::start(std::string_view tracepoint_name, std::span<const std::byte> event) noexcept {
    event_bytes_ = event;
    item_ = {};
    depth_ = 0;
    items_left_ = item_budget(event.size());
    error_ = decode_error::none;
    error_offset_ = 0;
    next_definition_ = 0;
    plan_step_ = nullptr;
    element_size_ = 0;

    const bool name_cached = cached_name(tracepoint_name);
    const detail::prefix_cache& prefix = caches_->prefix;
    if (name_cached && prefix.size != 0 && event.size() >= prefix.size &&
        event_.name_parts.level == prefix.header.level && same_bytes(event.data(), prefix.bytes.data(), prefix.size)) {
        // The same header and extension blocks as the last event that
        // started: the same result (the level check passes, every block lies
        // inside the event, the metadata is in slot prefix.slot).
        const auto* bytes = event.data();
        event_.header = prefix.header;
        event_.activity_id = prefix.activity_at != 0 ? bytes + prefix.activity_at : nullptr;
        event_.related_activity_id = prefix.related_at != 0 ? bytes + prefix.related_at : nullptr;
        byte_swap_ = prefix.byte_swap;
        metadata_begin_ = prefix.metadata_begin;
        metadata_end_ = prefix.metadata_end;
        const auto* text = reinterpret_cast<const char*>(bytes + metadata_begin_);
        event_.name = std::string_view(text, prefix.name_semicolon);
        event_.name_attributes =
            std::string_view(text + prefix.name_semicolon, prefix.name_size - prefix.name_semicolon);
        metadata_pos_ = metadata_begin_ + prefix.name_size + 1;
        payload_begin_ = data_pos_ = prefix.size;
        metadata_slot_ = prefix.slot;
        use_metadata_cache_ = true;
        follow_plan();
        state_ = enumerator_state::before_first;
        return decode_error::none;
    }
    return start_uncached(tracepoint_name, event, name_cached);
}

// What start() does when the event's header and extension blocks are not the
// last ones it saw: out of line, so that start()'s usual path saves few
// registers.
decode_error event_enumerator::start_uncached(std::string_view tracepoint_name, std::span<const std::byte> event,
                                              bool name_cached) noexcept {
    const bool name_ok = name_cached || parse_name(tracepoint_name);
    event_.name = event_.name_attributes = {};
    event_.header = {};
    event_.activity_id = event_.related_activity_id = nullptr;
    state_ = enumerator_state::none;
    metadata_begin_ = metadata_end_ = metadata_pos_ = 0;
    payload_begin_ = data_pos_ = 0;
    use_metadata_cache_ = false;
    if (!name_ok) {
        error_ = decode_error::bad_tracepoint_name;
        return error_;
    }
    if (event.size() < header_size) {
        error_ = decode_error::header_truncated;
        error_offset_ = 0;
        return error_;
    }
    const auto* bytes = event.data();
    event_.header.flags = static_cast<std::uint8_t>(bytes[0]);
    byte_swap_ = static_cast<bool>(event_.header.flags & header_flags::little_endian) !=
                 (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
    event_.header.version = static_cast<std::uint8_t>(bytes[1]);
    event_.header.id = load<std::uint16_t>(bytes + 2, byte_swap_);
    event_.header.tag = load<std::uint16_t>(bytes + 4, byte_swap_);
    event_.header.opcode = static_cast<std::uint8_t>(bytes[6]);
    event_.header.level = static_cast<std::uint8_t>(bytes[7]);
    // From here on the header is valid even if the rest fails.
    state_ = enumerator_state::error;
    if (event_.header.level != event_.name_parts.level) {
        fail(decode_error::level_mismatch, 7);
        return error_;
    }

    std::size_t pos = header_size;
    bool more = event_.header.flags & header_flags::extension;
    bool have_metadata = false;
    while (more) {
        std::uint16_t size = 0, kind = 0;
        if (!read_u16(pos, size) || !read_u16(pos + 2, kind) ||
            event.size() - pos - extension_block_header_size < size) {
            fail(decode_error::extension_truncated, pos);
            return error_;
        }
        const std::size_t data = pos + extension_block_header_size;
        switch (static_cast<extension_kind>(kind & extension_kind_mask)) {
        case extension_kind::metadata:
            if (!have_metadata) {
                have_metadata = true;
                metadata_begin_ = data;
                metadata_end_ = data + size;
            }
            break;
        case extension_kind::activity_id:
            if (size != activity_id_size && size != 2 * activity_id_size) {
                fail(decode_error::bad_activity_id, pos);
                return error_;
            }
            event_.activity_id = bytes + data;
            event_.related_activity_id = size == 2 * activity_id_size ? bytes + data + activity_id_size : nullptr;
            break;
        default: break;  // unknown kinds are skipped by size
        }
        more = kind & extension_chain_flag;
        pos = data + size;
    }
    payload_begin_ = data_pos_ = pos;

    if (!have_metadata) {
        fail(decode_error::missing_metadata, header_size);
        return error_;
    }
    const auto* meta = bytes + metadata_begin_;
    const std::size_t metadata_size = metadata_end_ - metadata_begin_;
    for (std::size_t slot = 0; slot != caches_->metadata.size(); ++slot) {
        const detail::metadata_cache& cache = caches_->metadata[slot];
        if (metadata_size != cache.size || byte_swap_ != cache.byte_swap ||
            std::memcmp(meta, cache.bytes.data(), metadata_size) != 0) {
            continue;
        }
        // The same metadata as an earlier event: its name and definitions are known.
        metadata_slot_ = slot;
        const auto* text = reinterpret_cast<const char*>(meta);
        event_.name = std::string_view(text, cache.name_semicolon);
        event_.name_attributes = std::string_view(text + cache.name_semicolon, cache.name_size - cache.name_semicolon);
        metadata_pos_ = metadata_begin_ + cache.name_size + 1;
        use_metadata_cache_ = true;
        follow_plan();
        state_ = enumerator_state::before_first;
        remember_prefix();
        return decode_error::none;
    }
    const auto* nul = static_cast<const std::byte*>(std::memchr(meta, 0, metadata_size));
    if (nul == nullptr) {
        fail(decode_error::metadata_truncated, metadata_begin_);
        return error_;
    }
    const std::string_view full_name(reinterpret_cast<const char*>(meta), static_cast<std::size_t>(nul - meta));
    event_.name = split_attributes(full_name, event_.name_attributes);
    metadata_pos_ = metadata_begin_ + full_name.size() + 1;
    cache_metadata();
    state_ = enumerator_state::before_first;
    if (use_metadata_cache_) {
        follow_plan();
        remember_prefix();
    }
    return decode_error::none;
}

// After a start() that found its metadata in slot metadata_slot_.
void event_enumerator::remember_prefix() noexcept {
    detail::prefix_cache& prefix = caches_->prefix;
    if (payload_begin_ > detail::cached_prefix_max) {
        prefix.size = 0;
        return;
    }
    const auto* bytes = event_bytes_.data();
    std::memcpy(prefix.bytes.data(), bytes, payload_begin_);
    prefix.size = payload_begin_;
    prefix.header = event_.header;
    prefix.byte_swap = byte_swap_;
    prefix.slot = metadata_slot_;
    prefix.metadata_begin = metadata_begin_;
    prefix.metadata_end = metadata_end_;
    prefix.name_size = metadata_pos_ - 1 - metadata_begin_;
    prefix.name_semicolon = event_.name.size();
    prefix.activity_at = event_.activity_id != nullptr ? static_cast<std::size_t>(event_.activity_id - bytes) : 0;
    prefix.related_at =
        event_.related_activity_id != nullptr ? static_cast<std::size_t>(event_.related_activity_id - bytes) : 0;
}

// Parses every definition of the current metadata block (the event name is
// read, metadata_pos_ is after it) into the next slot of metadata_caches_; leaves the
// enumerator's state as it was.
void event_enumerator::cache_metadata() noexcept {
    const std::size_t metadata_size = metadata_end_ - metadata_begin_;
    use_metadata_cache_ = false;
    if (metadata_size > detail::cached_metadata_max) return;
    metadata_slot_ = caches_->next_victim;
    caches_->next_victim = (caches_->next_victim + 1) % caches_->metadata.size();
    detail::metadata_cache& cache = caches_->metadata[metadata_slot_];
    cache.size = ~std::size_t{0};
    cache.planned = false;
    const std::size_t saved_pos = metadata_pos_, saved_error_offset = error_offset_;
    const enumerator_state saved_state = state_;
    const decode_error saved_error = error_;
    cache.count = 0;
    while (metadata_pos_ < metadata_end_ && cache.count != cache.definitions.size()) {
        const std::size_t begin = metadata_pos_;
        field_definition d;
        if (!read_definition_slow(d)) break;
        detail::cached_definition& c = cache.definitions[cache.count++];
        c.begin = static_cast<std::uint16_t>(begin - metadata_begin_);
        c.end = static_cast<std::uint16_t>(metadata_pos_ - metadata_begin_);
        c.name_size = static_cast<std::uint16_t>(d.name.size());
        c.attributes_size = static_cast<std::uint16_t>(d.attributes.size());
        c.tag = d.tag;
        c.const_count = d.const_count;
        c.encoding = d.encoding;
        c.array_flags = d.array_flags;
        c.format = d.format;
        const auto encoding = static_cast<field_encoding>(d.encoding);
        c.value_size = static_cast<std::uint8_t>(value_size(encoding));
        c.unit = static_cast<std::uint8_t>(code_unit_size(encoding));
        if (d.array_flags != 0) {
            c.kind = encoding == field_encoding::structure ? detail::cached_kind::other : detail::cached_kind::array;
        } else if (c.value_size != 0 || encoding == field_encoding::zstring_char8) {
            c.kind = detail::cached_kind::simple;
        } else if (encoding == field_encoding::structure) {
            c.kind = detail::cached_kind::structure;
        } else if (encoding >= field_encoding::string_length16_char8 &&
                   encoding <= field_encoding::binary_length16_char8) {
            c.kind = detail::cached_kind::counted;
        } else {
            c.kind = detail::cached_kind::other;
        }
    }
    std::memcpy(cache.bytes.data(), event_bytes_.data() + metadata_begin_, metadata_size);
    cache.size = metadata_size;
    cache.byte_swap = byte_swap_;
    cache.name_size = saved_pos - 1 - metadata_begin_;
    cache.name_semicolon = event_.name.size();
    metadata_pos_ = saved_pos;
    error_offset_ = saved_error_offset;
    state_ = saved_state;
    error_ = saved_error;
    use_metadata_cache_ = true;
    compile_plan(cache);
}

namespace {

// A step for definition `c`: the item members start_field, start_element
// and after_item would set from it for this kind of item.
detail::plan_step& add_step(detail::metadata_cache& cache, std::size_t& n, detail::plan_op op,
                            const detail::cached_definition& c, std::size_t depth) noexcept {
    detail::plan_step& step = cache.steps[n++];
    step = {};
    step.op = op;
    step.state = op == detail::plan_op::struct_end ? enumerator_state::struct_end : enumerator_state::struct_begin;
    step.depth = static_cast<std::uint8_t>(depth);
    step.name_offset = c.begin;
    step.name_size = c.name_size;
    step.attributes_size = c.attributes_size;
    const auto encoding = static_cast<field_encoding>(c.encoding);
    step.item.encoding = encoding;
    if (op == detail::plan_op::struct_end || op == detail::plan_op::array_end) {
        step.item.is_array = op == detail::plan_op::array_end;
        return step;
    }
    step.item.format = static_cast<field_format>(c.format);
    step.item.tag = c.tag;
    step.item.byte_swap = cache.byte_swap;
    step.item.is_array = c.array_flags != 0;
    step.item.is_element = op == detail::plan_op::elements || op == detail::plan_op::fixed_elements;
    if (op == detail::plan_op::struct_begin) step.item.struct_field_count = c.format;
    step.var_count = (c.array_flags & encoding_flags::var_array) != 0;
    step.const_count = c.const_count;
    if (c.value_size != 0) {
        step.value_kind = detail::plan_value::fixed;
        step.size = c.value_size;
    } else if (encoding == field_encoding::zstring_char8) {
        step.value_kind = detail::plan_value::zstring8;
    } else if (encoding == field_encoding::zstring_char16 || encoding == field_encoding::zstring_char32) {
        step.value_kind = detail::plan_value::zstring_wide;
        step.size = c.unit;
    } else {
        step.value_kind = detail::plan_value::counted;
        step.size = c.unit;
    }
    return step;
}

}  // namespace

// The general path's walk over the cached definitions, done once: each item
// it would produce becomes a step. Leaves the cache unplanned for what the
// plan does not cover (see enumerator_caches.hpp).
void event_enumerator::compile_plan(detail::metadata_cache& cache) noexcept {
    static_assert(2 * detail::cached_definitions_max + 1 < item_budget(0),
                  "a planned event must never exhaust the item budget");
    cache.planned = false;
    const std::size_t defined_end = cache.count == 0 ? cache.name_size + 1 : cache.definitions[cache.count - 1].end;
    if (defined_end != cache.size) return;           // a definition failed to parse or was not kept
    std::array<std::size_t, max_depth> open{};       // the open structs' definitions
    std::array<std::size_t, max_depth> remaining{};  // and their fields not yet started
    std::size_t depth = 0, next = 0, n = 0;
    using detail::plan_op;
    for (;;) {
        if (depth != 0 && (remaining[depth - 1] == 0 || next == cache.count)) {
            add_step(cache, n, plan_op::struct_end, cache.definitions[open[depth - 1]], depth);
            --depth;
            continue;
        }
        if (depth == 0 && next == cache.count) break;
        if (depth != 0) --remaining[depth - 1];
        const detail::cached_definition& c = cache.definitions[next];
        const auto encoding = static_cast<field_encoding>(c.encoding);
        if (c.array_flags != 0) {
            if (encoding == field_encoding::structure || depth == max_depth) return;
            add_step(cache, n, plan_op::array_begin, c, depth + 1);
            add_step(cache, n, c.value_size != 0 ? plan_op::fixed_elements : plan_op::elements, c, depth + 1);
            add_step(cache, n, plan_op::array_end, c, depth + 1);
        } else if (encoding == field_encoding::structure) {
            if (depth == max_depth) return;
            add_step(cache, n, plan_op::struct_begin, c, depth + 1);
            open[depth] = next;
            remaining[depth] = c.format;
            ++depth;
        } else {
            add_step(cache, n, c.value_size != 0 ? plan_op::fixed_value : plan_op::value, c, depth);
        }
        ++next;
    }
    cache.steps[n] = {};
    cache.steps[n].op = plan_op::end;
    cache.planned = true;
}

[[gnu::always_inline]] inline void event_enumerator::follow_plan() noexcept {
    const detail::metadata_cache& cache = caches_->metadata[metadata_slot_];
    plan_step_ = cache.planned ? cache.steps.data() : nullptr;
    plan_names_ = event_bytes_.data() + metadata_begin_;
}

bool event_enumerator::read_definition(field_definition& out) noexcept {
    if (use_metadata_cache_) {
        const detail::metadata_cache& cache = caches_->metadata[metadata_slot_];
        const std::size_t begin = metadata_pos_ - metadata_begin_;
        std::size_t i = next_definition_;
        if (i >= cache.count || cache.definitions[i].begin != begin) {
            // Not the next one (an array of structs starts its fields again):
            // the definitions are in block order.
            std::size_t low = 0, high = cache.count;
            while (low < high) {
                const std::size_t mid = (low + high) / 2;
                if (cache.definitions[mid].begin < begin) low = mid + 1;
                else high = mid;
            }
            i = low;
        }
        if (i < cache.count && cache.definitions[i].begin == begin) {
            const detail::cached_definition& c = cache.definitions[i];
            const auto* name = reinterpret_cast<const char*>(event_bytes_.data() + metadata_pos_);
            out.name = std::string_view(name, c.name_size);
            out.attributes = std::string_view(name + c.name_size, c.attributes_size);
            out.encoding = c.encoding;
            out.array_flags = c.array_flags;
            out.format = c.format;
            out.tag = c.tag;
            out.const_count = c.const_count;
            metadata_pos_ = metadata_begin_ + c.end;
            next_definition_ = i + 1;
            return true;
        }
    }
    return read_definition_slow(out);
}

bool event_enumerator::read_definition_slow(field_definition& out) noexcept {
    std::size_t pos = metadata_pos_;
    const auto* bytes = event_bytes_.data();
    const auto* name = reinterpret_cast<const char*>(bytes + pos);
    std::size_t length = 0, semicolon = 0;
    if (!scan_name(name, reinterpret_cast<const char*>(bytes + metadata_end_), length, semicolon)) {
        return fail(decode_error::metadata_truncated, pos);
    }
    out = {};
    out.name = std::string_view(name, semicolon);
    out.attributes = std::string_view(name + semicolon, length - semicolon);
    pos += length + 1;
    if (pos >= metadata_end_) return fail(decode_error::metadata_truncated, pos);
    const auto encoding = static_cast<std::uint8_t>(bytes[pos++]);
    out.encoding = encoding & encoding_flags::value_mask;
    out.array_flags = encoding & (encoding_flags::const_array | encoding_flags::var_array);
    if (encoding & encoding_flags::format_follows) {
        if (pos >= metadata_end_) return fail(decode_error::metadata_truncated, pos);
        const auto format = static_cast<std::uint8_t>(bytes[pos++]);
        out.format = format & format_flags::value_mask;
        if (format & format_flags::tag_follows) {
            if (metadata_end_ - pos < 2) return fail(decode_error::metadata_truncated, pos);
            out.tag = load<std::uint16_t>(bytes + pos, byte_swap_);
            pos += 2;
        }
    }
    if (out.array_flags & encoding_flags::const_array) {
        if (metadata_end_ - pos < 2) return fail(decode_error::metadata_truncated, pos);
        out.const_count = load<std::uint16_t>(bytes + pos, byte_swap_);
        pos += 2;
    }
    const std::size_t definition_offset = metadata_pos_;
    metadata_pos_ = pos;
    if (out.array_flags == (encoding_flags::const_array | encoding_flags::var_array) ||
        out.encoding == static_cast<std::uint8_t>(field_encoding::invalid) ||
        ((out.array_flags & encoding_flags::const_array) && out.const_count == 0)) {
        return fail(decode_error::bad_encoding, definition_offset);
    }
    if (out.encoding >= static_cast<std::uint8_t>(field_encoding::max)) {
        return fail(decode_error::unknown_encoding, definition_offset);
    }
    if (out.encoding == static_cast<std::uint8_t>(field_encoding::structure) && out.format == 0) {
        return fail(decode_error::bad_struct, definition_offset);
    }
    return true;
}

bool event_enumerator::skip_definitions(std::size_t count) noexcept {
    field_definition definition;
    while (count != 0 && metadata_pos_ < metadata_end_) {
        if (!read_definition(definition)) return false;
        --count;
        if (definition.encoding == static_cast<std::uint8_t>(field_encoding::structure)) count += definition.format;
    }
    return true;
}

bool event_enumerator::push(const frame& f) noexcept {
    if (depth_ == max_depth) return fail(decode_error::nesting_too_deep, metadata_pos_);
    stack_[depth_++] = f;
    return true;
}

// The item of `definition`'s field, but for what its kind and place add.
[[gnu::always_inline]] inline void event_enumerator::begin_item(const field_definition& definition) noexcept {
    item_ = {};
    item_.name = definition.name;
    item_.name_attributes = definition.attributes;
    item_.encoding = static_cast<field_encoding>(definition.encoding);
    item_.format = static_cast<field_format>(definition.format);
    item_.tag = definition.tag;
    item_.byte_swap = byte_swap_;
}

bool event_enumerator::start_field(const field_definition& definition) noexcept {
    if (definition.array_flags == 0) return start_element(definition, false, 0, 0);
    std::uint16_t count = definition.const_count;
    if (definition.array_flags & encoding_flags::var_array) {
        if (!read_u16(data_pos_, count)) return fail(decode_error::payload_truncated, data_pos_);
        data_pos_ += 2;
    }
    frame f{};
    f.definition = definition;
    f.is_array = true;
    f.count = count;
    f.element_size = static_cast<std::uint8_t>(value_size(static_cast<field_encoding>(definition.encoding)));
    f.element_metadata_begin = metadata_pos_;
    if (!push(f)) return false;
    if (count == 0 && definition.encoding == static_cast<std::uint8_t>(field_encoding::structure) &&
        !skip_definitions(definition.format)) {
        return false;
    }
    begin_item(definition);
    item_.is_array = true;
    item_.array_count = count;
    state_ = enumerator_state::array_begin;
    return true;
}

bool event_enumerator::start_element(const field_definition& definition, bool is_element, std::uint16_t index,
                                     std::uint16_t count) noexcept {
    begin_item(definition);
    item_.is_array = is_element;
    item_.is_element = is_element;
    item_.array_index = index;
    item_.array_count = count;

    if (item_.encoding == field_encoding::structure) {
        frame f{};
        f.definition = definition;
        f.remaining = definition.format;
        if (!push(f)) return false;
        item_.struct_field_count = definition.format;
        state_ = enumerator_state::struct_begin;
        return true;
    }

    if (const std::size_t size = value_size(item_.encoding); size != 0) return take_simple_value(size);
    switch (item_.encoding) {
    case field_encoding::zstring_char8: return take_simple_value(0);
    case field_encoding::zstring_char16:
    case field_encoding::zstring_char32: return take_wide_zstring(code_unit_size(item_.encoding));
    case field_encoding::string_length16_char8:
    case field_encoding::string_length16_char16:
    case field_encoding::string_length16_char32:
    case field_encoding::binary_length16_char8: return take_counted_value(code_unit_size(item_.encoding));
    default: return fail(decode_error::unknown_encoding, data_pos_);
    }
}

// The definition a cached one stands for (`name`: where its name starts in
// the event).
[[gnu::always_inline]] inline event_enumerator::field_definition event_enumerator::cached_field_definition(
    const detail::cached_definition& c, const char* name) noexcept {
    field_definition d;
    d.name = std::string_view(name, c.name_size);
    d.attributes = std::string_view(name + c.name_size, c.attributes_size);
    d.encoding = c.encoding;
    d.array_flags = c.array_flags;
    d.format = c.format;
    d.tag = c.tag;
    d.const_count = c.const_count;
    return d;
}

// read_definition + start_field in one step for the next cached definition
// of every kind but `other`: the same item, state, error (and error offset)
// as the general path, in the same order; false (nothing changed) when it
// does not apply. `count_item`: the caller is not the general path, so an
// item the general path would have counted against items_left_ (anything but
// a simple value) is counted here.
[[gnu::always_inline]] inline bool event_enumerator::next_cached_value(bool& result, bool count_item) noexcept {
    if (!use_metadata_cache_) return false;
    const detail::metadata_cache& cache = caches_->metadata[metadata_slot_];
    const std::size_t i = next_definition_;
    if (i >= cache.count) return false;
    const auto& c = cache.definitions[i];
    if (c.kind == detail::cached_kind::other || c.begin != metadata_pos_ - metadata_begin_) return false;
    if (count_item && c.kind != detail::cached_kind::simple) {
        if (items_left_ == 0) return false;  // the general path reports too_many_items
        --items_left_;
    }
    const auto* name = reinterpret_cast<const char*>(event_bytes_.data() + metadata_pos_);
    metadata_pos_ = metadata_begin_ + c.end;
    next_definition_ = i + 1;
    if (c.kind == detail::cached_kind::array) {
        result = start_cached_array(c, name);
        return true;
    }
    item_ = {};
    item_.name = std::string_view(name, c.name_size);
    item_.name_attributes = std::string_view(name + c.name_size, c.attributes_size);
    item_.encoding = static_cast<field_encoding>(c.encoding);
    item_.format = static_cast<field_format>(c.format);
    item_.tag = c.tag;
    item_.byte_swap = byte_swap_;
    switch (c.kind) {
    case detail::cached_kind::simple: result = take_simple_value(c.value_size); return true;
    case detail::cached_kind::counted: result = take_counted_value(c.unit); return true;
    default: break;
    }
    // A struct.
    // push(), the frame filled in place.
    if (depth_ == max_depth) {
        result = fail(decode_error::nesting_too_deep, metadata_pos_);
        return true;
    }
    frame& f = stack_[depth_++];
    f.definition = cached_field_definition(c, name);
    f.is_array = false;
    f.index = 0;
    f.count = 0;
    f.remaining = c.format;
    f.element_size = 0;
    f.element_metadata_begin = 0;
    item_.struct_field_count = c.format;
    state_ = enumerator_state::struct_begin;
    result = true;
    return true;
}

// start_field for a cached array of anything but structs (metadata_pos_ is
// already after its definition): the count, the frame, the array_begin item.
bool event_enumerator::start_cached_array(const detail::cached_definition& c, const char* name) noexcept {
    std::uint16_t count = c.const_count;
    if (c.array_flags & encoding_flags::var_array) {
        if (!read_u16(data_pos_, count)) return fail(decode_error::payload_truncated, data_pos_);
        data_pos_ += 2;
    }
    // push(), the frame filled in place.
    if (depth_ == max_depth) return fail(decode_error::nesting_too_deep, metadata_pos_);
    frame& f = stack_[depth_++];
    f.definition = cached_field_definition(c, name);
    f.is_array = true;
    f.index = 0;
    f.count = count;
    f.remaining = 0;
    f.element_size = c.value_size;
    f.element_metadata_begin = metadata_pos_;
    item_ = {};
    item_.name = f.definition.name;
    item_.name_attributes = f.definition.attributes;
    item_.encoding = static_cast<field_encoding>(c.encoding);
    item_.format = static_cast<field_format>(c.format);
    item_.tag = c.tag;
    item_.is_array = true;
    item_.array_count = count;
    item_.byte_swap = byte_swap_;
    state_ = enumerator_state::array_begin;
    return true;
}

// A string or binary value with a 16-bit length of `unit`-byte code units at
// data_pos_ (the item's other members are set): start_element's steps.
[[gnu::always_inline]] inline bool event_enumerator::take_counted_value(std::size_t unit) noexcept {
    const std::size_t available = event_bytes_.size() - data_pos_;
    std::uint16_t length = 0;
    if (!read_u16(data_pos_, length)) return fail(decode_error::payload_truncated, data_pos_);
    const std::size_t value_size = std::size_t{length} * unit;
    if (available < value_size + 2) return fail(decode_error::payload_truncated, data_pos_);
    item_.value = std::span<const std::byte>(event_bytes_.data() + data_pos_ + 2, value_size);
    data_pos_ += value_size + 2;
    state_ = enumerator_state::value;
    return true;
}

// The value of the current item at data_pos_: `size` bytes, or (size 0) a
// NUL-terminated 8-bit string. The one place both the cached step and the
// general path read such values.
[[gnu::always_inline]] inline bool event_enumerator::take_simple_value(std::size_t size) noexcept {
    const std::size_t available = event_bytes_.size() - data_pos_;
    std::size_t consumed = size;
    if (size == 0) {
        size = find_nul(event_bytes_.data() + data_pos_, available);
        consumed = size + 1;
    }
    if (available < consumed) return fail(decode_error::payload_truncated, data_pos_);
    item_.value = std::span<const std::byte>(event_bytes_.data() + data_pos_, size);
    data_pos_ += consumed;
    state_ = enumerator_state::value;
    return true;
}

// A string of `unit`-byte code units up to a NUL unit at data_pos_ (the
// item's other members are set): the value is the units before the NUL.
bool event_enumerator::take_wide_zstring(std::size_t unit) noexcept {
    const std::size_t available = event_bytes_.size() - data_pos_;
    const auto* p = event_bytes_.data() + data_pos_;
    for (std::size_t off = 0; available - off >= unit; off += unit) {
        bool zero = true;
        for (std::size_t b = 0; b != unit; ++b) zero &= p[off + b] == std::byte{0};
        if (zero) {
            item_.value = std::span<const std::byte>(p, off);
            data_pos_ += off + unit;
            state_ = enumerator_state::value;
            return true;
        }
    }
    return fail(decode_error::payload_truncated, data_pos_);
}

// Called when the current item (value, struct_end, array_end) is complete and
// its frame (if any) is popped: decides what comes next.
[[gnu::always_inline]] inline bool event_enumerator::after_item() noexcept {
    if (depth_ == 0) {
        if (metadata_pos_ >= metadata_end_) {
            state_ = enumerator_state::after_last;
            return false;
        }
        if (bool result; next_cached_value(result, false)) return result;
        field_definition definition;
        return read_definition(definition) && start_field(definition);
    }
    frame& top = stack_[depth_ - 1];
    if (top.is_array) {
        if (++top.index < top.count) {
            if (top.definition.encoding == static_cast<std::uint8_t>(field_encoding::structure)) {
                metadata_pos_ = top.element_metadata_begin;
            }
            return start_element(top.definition, true, top.index, top.count);
        }
        item_ = {};
        item_.name = top.definition.name;
        item_.name_attributes = top.definition.attributes;
        item_.encoding = static_cast<field_encoding>(top.definition.encoding);
        item_.is_array = true;
        item_.array_count = top.count;
        state_ = enumerator_state::array_end;
        return true;
    }
    // A struct ends after its declared number of fields, or where the
    // metadata ends if that comes first (writers may declare more fields than
    // they define; the fields defined are the struct).
    if (top.remaining == 0 || metadata_pos_ >= metadata_end_) {
        state_ = enumerator_state::struct_end;
        item_ = {};
        item_.name = top.definition.name;
        item_.name_attributes = top.definition.attributes;
        item_.encoding = field_encoding::structure;
        return true;
    }
    --top.remaining;
    if (bool result; next_cached_value(result, false)) return result;
    field_definition definition;
    return read_definition(definition) && start_field(definition);
}

// Every item but the elements move_next() takes inline.
bool event_enumerator::move_next_step() noexcept {
    if (plan_step_ != nullptr) return move_next_planned();
    // Without a plan: the same step from the general path's frame.
    if (state_ == enumerator_state::value && depth_ != 0) {
        frame& top = stack_[depth_ - 1];
        const std::size_t size = top.element_size;
        if (size != 0 && top.index + 1 < top.count && event_bytes_.size() - data_pos_ >= size) {
            item_.array_index = ++top.index;
            item_.value = std::span<const std::byte>(event_bytes_.data() + data_pos_, size);
            data_pos_ += size;
            return true;
        }
    }
    return move_next_general();
}

// Makes `step` the current one: its item (names in this event) and depth.
[[gnu::always_inline]] inline void event_enumerator::enter_step(const detail::plan_step& step) noexcept {
    plan_step_ = &step + 1;
    depth_ = step.depth;
    item_ = step.item;
    const auto* name = reinterpret_cast<const char*>(plan_names_ + step.name_offset);
    item_.name = std::string_view(name, step.name_size);
    item_.name_attributes = std::string_view(name + step.name_size, step.attributes_size);
}

[[gnu::always_inline]] inline bool event_enumerator::take_planned_value(const detail::plan_step& step) noexcept {
    switch (step.value_kind) {
    case detail::plan_value::fixed: return take_simple_value(step.size);
    case detail::plan_value::zstring8: return take_simple_value(0);
    case detail::plan_value::zstring_wide: return take_wide_zstring(step.size);
    case detail::plan_value::counted: return take_counted_value(step.size);
    }
    return fail(decode_error::unknown_encoding, data_pos_);  // not reached: every kind is above
}

// The next element of an array, the long way: each is bounds-checked as it
// is read, so a cut-off array reports the damage at the element it hits.
[[gnu::always_inline]] inline bool event_enumerator::take_element(const detail::plan_step& step) noexcept {
    const std::uint16_t index = plan_index_++;
    if (plan_index_ == plan_count_) plan_step_ = &step + 1;
    item_.is_element = true;
    item_.array_index = index;
    item_.value = {};
    return take_planned_value(step);
}

// The first element of an array of fixed-size values. When the whole array is
// in the payload, move_next() takes the others inline, without a bounds check
// each. Out of line: inside move_next_step() its setup made every step save a
// register.
[[gnu::noinline]] bool event_enumerator::take_first_element(const detail::plan_step& step) noexcept {
    if (event_bytes_.size() - data_pos_ < std::size_t{step.size} * plan_count_) return take_element(step);
    plan_index_ = plan_count_;
    last_element_ = static_cast<std::uint16_t>(plan_count_ - 1);
    element_size_ = step.size;
    after_elements_ = &step + 1;
    item_.is_element = true;
    item_.array_index = 0;
    return take_simple_value(step.size);
}

// One step of the plan: the item the general path gives at this point, with
// the same state, depth, error and error offset.
[[gnu::always_inline]] inline bool event_enumerator::move_next_planned() noexcept {
    const detail::plan_step& step = *plan_step_;
    switch (step.op) {
    case detail::plan_op::fixed_value:
        enter_step(step);
        if (step.size == 0) __builtin_unreachable();  // a fixed size: take_simple_value's string test goes
        return take_simple_value(step.size);
    case detail::plan_op::value: enter_step(step); return take_planned_value(step);
    case detail::plan_op::struct_begin:
    case detail::plan_op::struct_end:
        enter_step(step);
        state_ = step.state;
        return true;
    case detail::plan_op::array_begin: {
        std::uint16_t count = step.const_count;
        if (step.var_count) {
            // The general path fails here before it pushes the array's frame.
            depth_ = step.depth - 1u;
            if (!read_u16(data_pos_, count)) return fail(decode_error::payload_truncated, data_pos_);
            data_pos_ += 2;
        }
        enter_step(step);
        // An empty array ends right away, with the array_begin item.
        if (count == 0) ++plan_step_;
        plan_index_ = 0;
        plan_count_ = count;
        item_.array_count = count;
        state_ = enumerator_state::array_begin;
        return true;
    }
    case detail::plan_op::fixed_elements:
        if (plan_index_ == 0 && plan_count_ > 1) return take_first_element(step);
        return take_element(step);
    case detail::plan_op::elements: return take_element(step);
    case detail::plan_op::array_end:
        if (state_ != enumerator_state::array_begin) {
            enter_step(step);
            item_.array_count = plan_count_;
        } else {
            plan_step_ = &step + 1;
        }
        state_ = enumerator_state::array_end;
        return true;
    case detail::plan_op::end: break;
    default: __builtin_unreachable();  // compile_plan writes no other op: no range check
    }
    plan_step_ = nullptr;
    depth_ = 0;
    state_ = enumerator_state::after_last;
    return false;
}

bool event_enumerator::move_next_general() noexcept {
    // Usual step: from a top-level value (or the start) to the next field,
    // a cached definition, without the general path's switch (counting the
    // item as the general path would).
    if ((state_ == enumerator_state::value || state_ == enumerator_state::before_first) && depth_ == 0 &&
        metadata_pos_ < metadata_end_) {
        if (bool result; next_cached_value(result, true)) return result;
    }
    // Only this path can produce items that take no payload bytes (array and
    // struct begins and ends); the cached step always takes some.
    if (items_left_ == 0) {
        if (state_ == enumerator_state::none || state_ == enumerator_state::error ||
            state_ == enumerator_state::after_last) {
            return false;
        }
        return fail(decode_error::too_many_items, data_pos_);
    }
    --items_left_;
    switch (state_) {
    case enumerator_state::before_first:
    case enumerator_state::value: return after_item();
    case enumerator_state::array_begin: {
        frame& top = stack_[depth_ - 1];
        if (top.count == 0) {
            state_ = enumerator_state::array_end;
            return true;
        }
        if (top.element_size != 0) {
            // start_element's item for element 0 differs from the
            // array_begin item only here.
            item_.is_element = true;
            return take_simple_value(top.element_size);
        }
        return start_element(top.definition, true, 0, top.count);
    }
    case enumerator_state::struct_begin: {
        frame& top = stack_[depth_ - 1];
        if (metadata_pos_ >= metadata_end_) {  // no field defined before the metadata ends
            item_ = {};
            item_.name = top.definition.name;
            item_.name_attributes = top.definition.attributes;
            item_.encoding = field_encoding::structure;
            state_ = enumerator_state::struct_end;
            return true;
        }
        --top.remaining;
        if (bool result; next_cached_value(result, false)) return result;
        field_definition definition;
        return read_definition(definition) && start_field(definition);
    }
    case enumerator_state::array_end:
    case enumerator_state::struct_end: --depth_; return after_item();
    default: return false;
    }
}

std::span<const std::byte> event_enumerator::array_bytes() const noexcept {
    if (state_ != enumerator_state::array_begin) return {};
    // Where a plan is followed, its step after array_begin is the elements'
    // (or, for an empty array, the array_end, which has no size).
    const std::size_t element_size = plan_step_ != nullptr
                                         ? (plan_step_->op == detail::plan_op::fixed_elements ? plan_step_->size : 0)
                                         : stack_[depth_ - 1].element_size;
    const std::size_t size = element_size * item_.array_count;
    if (size == 0 || event_bytes_.size() - data_pos_ < size) return {};
    return {event_bytes_.data() + data_pos_, size};
}

bool event_enumerator::skip_to_array_end() noexcept {
    const std::size_t size = array_bytes().size();
    if (size == 0) return false;
    // The state after the array's last element, from which move_next()
    // gives the array_end item.
    data_pos_ += size;
    state_ = enumerator_state::value;
    if (const detail::plan_step* step = plan_step_) {
        plan_index_ = plan_count_;
        element_size_ = 0;
        plan_step_ = step + 1;  // past the fixed_elements step
        return move_next_step();
    }
    stack_[depth_ - 1].index = static_cast<std::uint16_t>(stack_[depth_ - 1].count - 1);
    return move_next_general();
}

bool event_enumerator::move_next_sibling() noexcept {
    int depth = 0;
    do {
        switch (state_) {
        case enumerator_state::array_begin:
        case enumerator_state::struct_begin: ++depth; break;
        case enumerator_state::array_end:
        case enumerator_state::struct_end: --depth; break;
        default: break;
        }
    } while (move_next() && depth > 0);
    return state_ != enumerator_state::error && state_ != enumerator_state::after_last;
}

}  // namespace ehtrace::decode
