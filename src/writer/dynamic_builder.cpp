// The out-of-line parts of the event builder: buffer growth, structs,
// arrays, write(), and the error paths.
#include <ehtrace/dynamic.hpp>
#include <ehtrace/sink.hpp>

#include <sys/uio.h>
#include <new>

namespace ehtrace::dynamic {
inline namespace abi_v4 {

namespace {

// The setters and write() patch the header that reset() encoded: each
// value where the encoder puts it.
constexpr bool header_offsets_are(std::size_t version, std::size_t id, std::size_t tag, std::size_t opcode,
                                  std::size_t level) noexcept {
    std::uint8_t bytes[header_size] = {};
    byte_writer writer(bytes);
    encode_header(writer, true, 0x11, 0x2233, 0x4455, 0x66, 0xA5);
    std::uint8_t id_bytes[2] = {};
    std::uint8_t tag_bytes[2] = {};
    byte_writer id_writer(id_bytes);
    id_writer.put_u16(0x2233);
    byte_writer tag_writer(tag_bytes);
    tag_writer.put_u16(0x4455);
    return writer.size() == header_size && bytes[version] == 0x11 && bytes[id] == id_bytes[0] &&
           bytes[id + 1] == id_bytes[1] && bytes[tag] == tag_bytes[0] && bytes[tag + 1] == tag_bytes[1] &&
           bytes[opcode] == 0x66 && bytes[level] == 0xA5;
}

}  // namespace

namespace detail {

byte_buffer::~byte_buffer() { ::operator delete(data_); }

bool byte_buffer::grow(std::size_t size, std::size_t count) noexcept {
    // Nothing larger than an event is ever needed; refusing here bounds the
    // memory a runaway event can take.
    if (count > max_event_size - size) return false;
    constexpr std::size_t first_capacity = 256;
    const auto old_capacity = static_cast<std::size_t>(storage_end_ - data_);
    std::size_t capacity = old_capacity < first_capacity ? first_capacity : old_capacity * 2;
    if (capacity < size + count) capacity = size + count;
    if (capacity > max_event_size) capacity = max_event_size;
    auto* data = static_cast<std::uint8_t*>(::operator new(capacity, std::nothrow));
    if (data == nullptr) {
        out_of_memory_ = true;
        return false;
    }
    out_of_memory_ = false;
    if (size != 0) std::memcpy(data, data_, size);
    ::operator delete(data_);
    data_ = data;
    storage_end_ = data + capacity;
    return true;
}

}  // namespace detail

event_builder& event_builder::fail(int error, const char* message) noexcept {
    if (error_ == 0) {  // the first error explains the rest
        if (depth_ != 0 && open_struct_error() != 0) {
            error = ERANGE;
            message = too_many_fields_message;
        }
        error_ = error;
        error_message_ = message;
        room_limit_ = room_mark{};  // later fields go the long way, which refuses them
        depth_ = 0;                 // and no end_struct() matches (see end_struct())
    }
    return *this;
}

event_builder& event_builder::fail_name(std::string_view name, const char* what) noexcept {
    const bool event = what[0] == 'e';
    switch (check_name(name)) {
    case name_error::empty: return fail(EINVAL, event ? "the event name is empty" : "a field name is empty");
    case name_error::contains_semicolon:
        return fail(EINVAL, event ? "the event name contains ';'" : "a field name contains ';'");
    case name_error::contains_nul:
        return fail(EINVAL,
                    event ? "the event name contains a NUL character" : "a field name contains a NUL character");
    case name_error::none: break;
    }
    return fail(EINVAL, "invalid name");
}

bool event_builder::make_room(std::size_t definition_size, std::size_t data_size) noexcept {
    if (error_ != 0) return false;
    // The sizes are exact, so the event size limit is checked as the field
    // is added.
    if (!within_size_limit(definition_size + data_size)) return false;
    const std::size_t metadata_size = this->metadata_size();
    const std::size_t payload_size = this->payload_size();
    if ((definition_size != 0 && !metadata_.reserve(metadata_size, definition_size + definition_slack)) ||
        (data_size != 0 && !payload_.reserve(payload_size, data_size))) {
        fail_no_room();
        return false;
    }
    const std::size_t in_use = metadata_size + payload_size + definition_size + data_size;
    const std::size_t wanted = in_use < max_event_size / 2 ? 2 * in_use : max_event_size;
    // Failing to grow further costs nothing but speed.
    if (metadata_.capacity() < wanted) (void)metadata_.reserve(metadata_size, wanted - metadata_size);
    if (payload_.capacity() < wanted) (void)payload_.reserve(payload_size, wanted - payload_size);
    set_room();
    return true;
}

event_builder& event_builder::fail_argument(const char* message) noexcept { return fail(EINVAL, message); }

event_builder& event_builder::fail_no_room() noexcept {
    if (metadata_.out_of_memory() || payload_.out_of_memory()) return fail(ENOMEM, "out of memory");
    return fail(E2BIG, too_big_message);
}

event_builder& event_builder::fail_too_many_fields() noexcept { return fail(ERANGE, too_many_fields_message); }

int event_builder::open_struct_error() const noexcept {
    // The struct in slot i has the fields counted from its opening to the
    // next slot's (that struct itself included), the innermost those
    // counted since.
    for (std::uint32_t slot = 1; slot <= depth_; ++slot) {
        // The struct's own field is counted in the cursors after its opening.
        const std::uint32_t first = field_count_of(struct_openings_[slot]) + 1;
        const std::uint32_t end = slot < depth_ ? field_count_of(struct_openings_[slot + 1]) + 1
                                                : field_count_of(static_cast<std::uint64_t>(cursor_));
        if (end - first > max_struct_fields) return ERANGE;
    }
    return 0;
}

event_builder& event_builder::add_scalar_slow(std::string_view name, field_encoding encoding, field_format format,
                                              std::uint64_t low, std::uint64_t high, std::uint16_t tag) noexcept {
    const std::size_t size = value_size(encoding);
    if (!check_field(name, static_cast<std::uint8_t>(encoding), format)) return *this;
    std::uint8_t* out;
    if (!begin_field(name, static_cast<std::uint8_t>(encoding), format, tag, size, out)) return *this;
    const std::uint64_t bits[2] = {low, high};
    std::memcpy(out, bits, size);
    return *this;
}

event_builder& event_builder::add_units_slow(std::string_view name, std::uint8_t encoding, field_format format,
                                             std::uint16_t tag, const void* units, std::size_t count,
                                             std::size_t unit_size) noexcept {
    return add_units_checked(name, encoding, format, tag, units, count, unit_size);
}

struct_bookmark event_builder::begin_struct_slow(std::string_view name, std::uint16_t tag) noexcept {
    return begin_struct_checked(name, tag);
}

event_builder& event_builder::add_scalar_array(std::string_view name, field_encoding encoding, field_format format,
                                               const void* values, std::size_t count, std::uint16_t tag) noexcept {
    const std::size_t size = value_size(encoding);
    if (size == 0) return fail_argument("an array of values needs a value8..value128 encoding");
    return add_values(name, static_cast<std::uint8_t>(encoding), format, values, count, size, tag, false);
}

event_builder& event_builder::add_scalar_const_array(std::string_view name, field_encoding encoding,
                                                     field_format format, const void* values, std::size_t count,
                                                     std::uint16_t tag) noexcept {
    const std::size_t size = value_size(encoding);
    if (size == 0) return fail_argument("an array of values needs a value8..value128 encoding");
    return add_values(name, static_cast<std::uint8_t>(encoding), format, values, count, size, tag, true);
}

int event_builder::write_checked(const event_set& set, const void* activity_id,
                                 const void* related_activity_id) noexcept {
    static_assert(header_offsets_are(version_offset, id_offset, tag_offset, opcode_offset, level_offset));
    if (error_ != 0) return error_;
    // fail() reports an open struct over 127 fields first, as it came first.
    if (depth_ != 0) return fail_argument("a struct is still open: call end_struct() before write()").error_;
    if (related_activity_id != nullptr && activity_id == nullptr) {
        return fail_argument("a related activity id needs an activity id").error_;
    }

    // Header, [activity id block], metadata block header: one small buffer.
    std::uint8_t prefix[header_size + extension_block_header_size + 2 * activity_id_size + extension_block_header_size];
    detail::unchecked_writer writer{prefix};
    writer.put_bytes(prefix_, header_size);  // what reset() and the setters made of it
    prefix[level_offset] = set.level();
    if (activity_id != nullptr) {
        const std::size_t ids_size = related_activity_id != nullptr ? 2 * activity_id_size : activity_id_size;
        encode_extension_header(writer, static_cast<std::uint16_t>(ids_size), extension_kind::activity_id, true);
        writer.put_bytes(activity_id, activity_id_size);
        if (related_activity_id != nullptr) writer.put_bytes(related_activity_id, activity_id_size);
    }
    const std::size_t prefix_size = static_cast<std::size_t>(writer.out - prefix) + extension_block_header_size;
    if (prefix_size + metadata_size() + payload_size() > max_event_size) {
        return fail(E2BIG, too_big_message).error_;
    }
    encode_extension_header(writer, static_cast<std::uint16_t>(metadata_size()), extension_kind::metadata, false);

    ::iovec iov[4];
    iov[0] = {nullptr, 0};  // the sink's (the kernel's write index)
    iov[1] = {prefix, prefix_size};
    iov[2] = {metadata_.data(), metadata_size()};
    iov[3] = {payload_.data(), payload_size()};
    return set.tracepoint_.write(iov, 4);
}

}  // namespace abi_v4
}  // namespace ehtrace::dynamic
