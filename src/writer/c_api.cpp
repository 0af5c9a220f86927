// The C API (ehtrace/ehtrace.h) over the dynamic C++ API. The handles are
// the C++ objects themselves behind incomplete C types. The C++ layer is
// noexcept throughout; each entry point still catches everything, because
// an exception unwinding into C (or Python, or Go) is undefined behaviour.
#include <ehtrace/ehtrace.h>
#include <ehtrace/dynamic.hpp>
#include <ehtrace/tracepoint.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

namespace {

using ehtrace::field_encoding;
using ehtrace::field_format;
using ehtrace::dynamic::event_builder;
using ehtrace::dynamic::event_set;
using ehtrace::dynamic::provider;
using ehtrace::dynamic::struct_bookmark;

provider* cast(ehtrace_provider* p) { return reinterpret_cast<provider*>(p); }
const provider* cast(const ehtrace_provider* p) { return reinterpret_cast<const provider*>(p); }
const event_set* cast(const ehtrace_event_set* s) { return reinterpret_cast<const event_set*>(s); }
event_builder* cast(ehtrace_builder* b) { return reinterpret_cast<event_builder*>(b); }
const event_builder* cast(const ehtrace_builder* b) { return reinterpret_cast<const event_builder*>(b); }

// The C header's constants are a copy of the wire contract's values in
// C; each is checked against the C++ definition here, so they cannot drift.
template <class Enum>
constexpr bool same(int c_value, Enum cpp_value) {
    return c_value == static_cast<int>(cpp_value);
}
using ehtrace::event_level;
using ehtrace::event_opcode;
static_assert(same(EHTRACE_LEVEL_CRITICAL, event_level::critical) && same(EHTRACE_LEVEL_ERROR, event_level::error) &&
              same(EHTRACE_LEVEL_WARNING, event_level::warning) && same(EHTRACE_LEVEL_INFO, event_level::info) &&
              same(EHTRACE_LEVEL_VERBOSE, event_level::verbose));
static_assert(same(EHTRACE_OPCODE_INFO, event_opcode::info) &&
              same(EHTRACE_OPCODE_ACTIVITY_START, event_opcode::activity_start) &&
              same(EHTRACE_OPCODE_ACTIVITY_STOP, event_opcode::activity_stop) &&
              same(EHTRACE_OPCODE_COLLECTION_START, event_opcode::collection_start) &&
              same(EHTRACE_OPCODE_COLLECTION_STOP, event_opcode::collection_stop) &&
              same(EHTRACE_OPCODE_EXTENSION, event_opcode::extension) &&
              same(EHTRACE_OPCODE_REPLY, event_opcode::reply) && same(EHTRACE_OPCODE_RESUME, event_opcode::resume) &&
              same(EHTRACE_OPCODE_SUSPEND, event_opcode::suspend) && same(EHTRACE_OPCODE_SEND, event_opcode::send) &&
              same(EHTRACE_OPCODE_RECEIVE, event_opcode::receive));
static_assert(same(EHTRACE_ENCODING_VALUE8, field_encoding::value8) &&
              same(EHTRACE_ENCODING_VALUE16, field_encoding::value16) &&
              same(EHTRACE_ENCODING_VALUE32, field_encoding::value32) &&
              same(EHTRACE_ENCODING_VALUE64, field_encoding::value64) &&
              same(EHTRACE_ENCODING_VALUE128, field_encoding::value128));
static_assert(
    same(EHTRACE_FORMAT_DEFAULT, field_format::default_format) &&
    same(EHTRACE_FORMAT_UNSIGNED_INT, field_format::unsigned_int) &&
    same(EHTRACE_FORMAT_SIGNED_INT, field_format::signed_int) && same(EHTRACE_FORMAT_HEX_INT, field_format::hex_int) &&
    same(EHTRACE_FORMAT_ERRNO, field_format::errno_value) && same(EHTRACE_FORMAT_PID, field_format::pid) &&
    same(EHTRACE_FORMAT_TIME, field_format::time) && same(EHTRACE_FORMAT_BOOLEAN, field_format::boolean) &&
    same(EHTRACE_FORMAT_FLOAT, field_format::floating) && same(EHTRACE_FORMAT_HEX_BYTES, field_format::hex_bytes) &&
    same(EHTRACE_FORMAT_STRING8, field_format::string8) && same(EHTRACE_FORMAT_STRING_UTF, field_format::string_utf) &&
    same(EHTRACE_FORMAT_STRING_UTF_BOM, field_format::string_utf_bom) &&
    same(EHTRACE_FORMAT_STRING_XML, field_format::string_xml) &&
    same(EHTRACE_FORMAT_STRING_JSON, field_format::string_json) && same(EHTRACE_FORMAT_UUID, field_format::uuid) &&
    same(EHTRACE_FORMAT_PORT, field_format::port) && same(EHTRACE_FORMAT_IP_ADDRESS, field_format::ip_address));

std::string_view view(const char* text) { return text != nullptr ? std::string_view(text) : std::string_view(); }

// Runs `body` (which returns an errno value); any exception becomes an error code.
template <class Body>
int guarded(Body body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc&) {
        return ENOMEM;
    } catch (...) {
        return EFAULT;
    }
}

// An add_* call: the builder's error afterwards is the result.
template <class Add>
int add(ehtrace_builder* handle, const char* name, Add add_field) noexcept {
    if (handle == nullptr) return EINVAL;
    return guarded([&] {
        event_builder& b = *cast(handle);
        // A NULL name is refused like an empty one ("a field name is empty").
        add_field(b, view(name));
        return b.error();
    });
}

template <class Unit>
std::size_t length_of(const Unit* units, std::size_t length) {
    if (length != EHTRACE_NUL_TERMINATED) return length;
    if (units == nullptr) return 0;
    std::size_t count = 0;
    while (units[count] != 0) ++count;
    return count;
}

template <class Unit>
int add_units(ehtrace_builder* handle, const char* name, const Unit* value, std::size_t length, bool zero_terminated,
              std::uint8_t format, std::uint16_t tag) noexcept {
    return add(handle, name, [&](event_builder& b, std::string_view n) {
        b.add_string_units(n, value, length_of(value, length), sizeof(Unit), zero_terminated,
                           static_cast<field_format>(format), tag);
    });
}

template <class T>
int add_typed(ehtrace_builder* handle, const char* name, T value, field_format format) noexcept {
    return add(handle, name, [&](event_builder& b, std::string_view n) { b.add_value(n, value, format); });
}

}  // namespace

extern "C" {

// --- providers and event sets ---------------------------------------------

int ehtrace_provider_open(const char* name, const char* options, ehtrace_provider** out) {
    if (out == nullptr) return EINVAL;
    *out = nullptr;
    if (name == nullptr) return EINVAL;
    return guarded([&] {
        auto* p = new (std::nothrow) provider(view(name), view(options));
        if (p == nullptr) return ENOMEM;
        if (int error = p->error(); error != 0) {
            delete p;
            return error;
        }
        *out = reinterpret_cast<ehtrace_provider*>(p);
        return 0;
    });
}

size_t ehtrace_diagnostic(char* buffer, size_t size) {
    try {
        const std::string text = ehtrace::user_events_diagnostic();
        if (buffer != nullptr && size != 0) {
            const std::size_t n = std::min(text.size(), size - 1);
            std::memcpy(buffer, text.data(), n);
            buffer[n] = '\0';
        }
        return text.size();
    } catch (...) {  // no memory for the sentence: an empty one
        if (buffer != nullptr && size != 0) buffer[0] = '\0';
        return 0;
    }
}

const char* ehtrace_provider_name_problem(const char* name, const char* options) {
    if (name == nullptr) return "the provider name is NULL";
    provider probe(view(name), view(options));  // registers nothing
    return probe.error() != 0 ? probe.error_message() : nullptr;
}

int ehtrace_provider_unregister(ehtrace_provider* p) {
    if (p == nullptr) return EINVAL;
    return guarded([&] {
        cast(p)->unregister();
        return 0;
    });
}

void ehtrace_provider_close(ehtrace_provider* p) {
    guarded([&] {
        delete cast(p);
        return 0;
    });
}

int ehtrace_provider_register_set(ehtrace_provider* p, std::uint8_t level, std::uint64_t keyword,
                                  ehtrace_event_set** out) {
    if (out == nullptr) return EINVAL;
    *out = nullptr;
    if (p == nullptr || level == 0) return EINVAL;
    return guarded([&] {
        event_set* set = cast(p)->register_set(level, keyword);
        if (set == nullptr) return cast(p)->unregistered() ? EINVAL : ENOMEM;
        *out = reinterpret_cast<ehtrace_event_set*>(set);
        return set->registered() ? 0 : set->registration_error();
    });
}

ehtrace_event_set* ehtrace_provider_find_set(const ehtrace_provider* p, std::uint8_t level, std::uint64_t keyword) {
    if (p == nullptr) return nullptr;
    return reinterpret_cast<ehtrace_event_set*>(cast(p)->find_set(level, keyword));
}

int ehtrace_event_set_enabled(const ehtrace_event_set* set) { return set != nullptr && cast(set)->enabled() ? 1 : 0; }

const char* ehtrace_event_set_tracepoint_name(const ehtrace_event_set* set) {
    // The event set keeps its name NUL-terminated.
    return set != nullptr ? cast(set)->tracepoint_name().data() : "";
}

// --- builders --------------------------------------------------------------

int ehtrace_builder_create(ehtrace_builder** out) {
    if (out == nullptr) return EINVAL;
    *out = nullptr;
    return guarded([&] {
        auto* b = new (std::nothrow) event_builder;
        if (b == nullptr) return ENOMEM;
        *out = reinterpret_cast<ehtrace_builder*>(b);
        return 0;
    });
}

void ehtrace_builder_destroy(ehtrace_builder* b) {
    guarded([&] {
        delete cast(b);
        return 0;
    });
}

int ehtrace_builder_reset(ehtrace_builder* b, const char* event_name, std::uint16_t event_tag) {
    if (b == nullptr) return EINVAL;
    return guarded([&] { return cast(b)->reset(view(event_name), event_tag).error(); });
}

int ehtrace_builder_set_id_version(ehtrace_builder* b, std::uint16_t id, std::uint8_t version) {
    if (b == nullptr) return EINVAL;
    return cast(b)->set_id_version(id, version).error();
}

int ehtrace_builder_set_opcode(ehtrace_builder* b, std::uint8_t opcode) {
    if (b == nullptr) return EINVAL;
    return cast(b)->set_opcode(static_cast<ehtrace::event_opcode>(opcode)).error();
}

int ehtrace_builder_set_tag(ehtrace_builder* b, std::uint16_t event_tag) {
    if (b == nullptr) return EINVAL;
    return cast(b)->set_tag(event_tag).error();
}

int ehtrace_builder_error(const ehtrace_builder* b) { return b != nullptr ? cast(b)->error() : EINVAL; }

const char* ehtrace_builder_error_message(const ehtrace_builder* b) {
    return b != nullptr ? cast(b)->error_message() : "the builder is NULL";
}

int ehtrace_builder_write(ehtrace_builder* b, const ehtrace_event_set* set, const std::uint8_t* activity_id,
                          const std::uint8_t* related_activity_id) {
    if (b == nullptr || set == nullptr) return EINVAL;
    return guarded([&] { return cast(b)->write(*cast(set), activity_id, related_activity_id); });
}

// --- scalars ----------------------------------------------------------------

int ehtrace_builder_add_value(ehtrace_builder* b, const char* name, std::uint8_t encoding, std::uint8_t format,
                              const void* value, std::uint16_t tag) {
    return add(b, name, [&](event_builder& builder, std::string_view n) {
        builder.add_scalar(n, static_cast<field_encoding>(encoding), static_cast<field_format>(format), value, tag);
    });
}

int ehtrace_builder_add_u8(ehtrace_builder* b, const char* name, std::uint8_t v) {
    return add_typed(b, name, v, field_format::default_format);
}
int ehtrace_builder_add_u16(ehtrace_builder* b, const char* name, std::uint16_t v) {
    return add_typed(b, name, v, field_format::default_format);
}
int ehtrace_builder_add_u32(ehtrace_builder* b, const char* name, std::uint32_t v) {
    return add_typed(b, name, v, field_format::default_format);
}
int ehtrace_builder_add_u64(ehtrace_builder* b, const char* name, std::uint64_t v) {
    return add_typed(b, name, v, field_format::default_format);
}
int ehtrace_builder_add_i8(ehtrace_builder* b, const char* name, std::int8_t v) {
    return add_typed(b, name, v, field_format::signed_int);
}
int ehtrace_builder_add_i16(ehtrace_builder* b, const char* name, std::int16_t v) {
    return add_typed(b, name, v, field_format::signed_int);
}
int ehtrace_builder_add_i32(ehtrace_builder* b, const char* name, std::int32_t v) {
    return add_typed(b, name, v, field_format::signed_int);
}
int ehtrace_builder_add_i64(ehtrace_builder* b, const char* name, std::int64_t v) {
    return add_typed(b, name, v, field_format::signed_int);
}
int ehtrace_builder_add_hex32(ehtrace_builder* b, const char* name, std::uint32_t v) {
    return add_typed(b, name, v, field_format::hex_int);
}
int ehtrace_builder_add_hex64(ehtrace_builder* b, const char* name, std::uint64_t v) {
    return add_typed(b, name, v, field_format::hex_int);
}
int ehtrace_builder_add_float(ehtrace_builder* b, const char* name, float v) {
    return add_typed(b, name, v, field_format::floating);
}
int ehtrace_builder_add_double(ehtrace_builder* b, const char* name, double v) {
    return add_typed(b, name, v, field_format::floating);
}
int ehtrace_builder_add_bool8(ehtrace_builder* b, const char* name, int v) {
    return add_typed(b, name, static_cast<std::uint8_t>(v != 0), field_format::boolean);
}
int ehtrace_builder_add_bool32(ehtrace_builder* b, const char* name, int v) {
    return add_typed(b, name, static_cast<std::int32_t>(v != 0), field_format::boolean);
}
int ehtrace_builder_add_pointer(ehtrace_builder* b, const char* name, const void* v) {
    return add_typed(b, name, v, field_format::hex_int);
}
int ehtrace_builder_add_errno(ehtrace_builder* b, const char* name, std::int32_t v) {
    return add_typed(b, name, v, field_format::errno_value);
}
int ehtrace_builder_add_pid(ehtrace_builder* b, const char* name, std::int32_t v) {
    return add_typed(b, name, v, field_format::pid);
}
int ehtrace_builder_add_time(ehtrace_builder* b, const char* name, std::int64_t seconds) {
    return add_typed(b, name, seconds, field_format::time);
}

int ehtrace_builder_add_uuid(ehtrace_builder* b, const char* name, const std::uint8_t* uuid16) {
    return add(b, name, [&](event_builder& builder, std::string_view n) {
        builder.add_scalar(n, field_encoding::value128, field_format::uuid, uuid16);
    });
}
int ehtrace_builder_add_ipv4(ehtrace_builder* b, const char* name, std::uint32_t address) {
    return add_typed(b, name, address, field_format::ip_address);
}
int ehtrace_builder_add_ipv6(ehtrace_builder* b, const char* name, const std::uint8_t* address16) {
    return add(b, name, [&](event_builder& builder, std::string_view n) {
        builder.add_scalar(n, field_encoding::value128, field_format::ip_address, address16);
    });
}
int ehtrace_builder_add_port(ehtrace_builder* b, const char* name, std::uint16_t port) {
    return add_typed(b, name, port, field_format::port);
}

// --- strings and binary ----------------------------------------------------

int ehtrace_builder_add_string(ehtrace_builder* b, const char* name, const char* value, size_t length,
                               std::uint8_t format, std::uint16_t tag) {
    return add_units(b, name, value, length, false, format, tag);
}
int ehtrace_builder_add_string16(ehtrace_builder* b, const char* name, const std::uint16_t* value, size_t length,
                                 std::uint8_t format, std::uint16_t tag) {
    return add_units(b, name, value, length, false, format, tag);
}
int ehtrace_builder_add_string32(ehtrace_builder* b, const char* name, const std::uint32_t* value, size_t length,
                                 std::uint8_t format, std::uint16_t tag) {
    return add_units(b, name, value, length, false, format, tag);
}
int ehtrace_builder_add_zstring(ehtrace_builder* b, const char* name, const char* value, size_t length,
                                std::uint8_t format, std::uint16_t tag) {
    return add_units(b, name, value, length, true, format, tag);
}
int ehtrace_builder_add_zstring16(ehtrace_builder* b, const char* name, const std::uint16_t* value, size_t length,
                                  std::uint8_t format, std::uint16_t tag) {
    return add_units(b, name, value, length, true, format, tag);
}
int ehtrace_builder_add_zstring32(ehtrace_builder* b, const char* name, const std::uint32_t* value, size_t length,
                                  std::uint8_t format, std::uint16_t tag) {
    return add_units(b, name, value, length, true, format, tag);
}

int ehtrace_builder_add_binary(ehtrace_builder* b, const char* name, const void* data, size_t size, std::uint8_t format,
                               std::uint16_t tag) {
    return add(b, name, [&](event_builder& builder, std::string_view n) {
        builder.add_binary(n, data, size, static_cast<field_format>(format), tag);
    });
}

// --- arrays -----------------------------------------------------------------

int ehtrace_builder_add_array(ehtrace_builder* b, const char* name, std::uint8_t encoding, std::uint8_t format,
                              const void* values, size_t count, std::uint16_t tag) {
    return add(b, name, [&](event_builder& builder, std::string_view n) {
        builder.add_scalar_array(n, static_cast<field_encoding>(encoding), static_cast<field_format>(format), values,
                                 count, tag);
    });
}

int ehtrace_builder_add_const_array(ehtrace_builder* b, const char* name, std::uint8_t encoding, std::uint8_t format,
                                    const void* values, size_t count, std::uint16_t tag) {
    return add(b, name, [&](event_builder& builder, std::string_view n) {
        builder.add_scalar_const_array(n, static_cast<field_encoding>(encoding), static_cast<field_format>(format),
                                       values, count, tag);
    });
}

int ehtrace_builder_add_string_array(ehtrace_builder* b, const char* name, const char* const* values,
                                     const size_t* lengths, size_t count, std::uint8_t format, std::uint16_t tag) {
    return add(b, name, [&](event_builder& builder, std::string_view n) {
        if (values == nullptr && count != 0) {
            builder.add_string_array<char>(n, nullptr, count);  // records the null-values error
            return;
        }
        builder.add_string_array_of<char>(
            n, count,
            [&](std::size_t i) {
                const char* value = values[i];
                return std::string_view(
                    value != nullptr ? value : "",
                    value != nullptr ? length_of(value, lengths ? lengths[i] : EHTRACE_NUL_TERMINATED) : 0);
            },
            static_cast<field_format>(format), tag);
    });
}

// --- structs ----------------------------------------------------------------

int ehtrace_builder_begin_struct(ehtrace_builder* b, const char* name, std::uint16_t tag,
                                 ehtrace_struct_bookmark* bookmark) {
    if (bookmark == nullptr) return EINVAL;
    *bookmark = struct_bookmark::invalid;
    return add(b, name,
               [&](event_builder& builder, std::string_view n) { *bookmark = builder.begin_struct(n, tag).value; });
}

int ehtrace_builder_end_struct(ehtrace_builder* b, ehtrace_struct_bookmark bookmark) {
    if (b == nullptr) return EINVAL;
    return cast(b)->end_struct(struct_bookmark{bookmark}).error();
}

}  // extern "C"
