/* ehtrace C API: dynamic (runtime-defined) EventHeader events for C and for
 * other languages through their C foreign-function interfaces (Python
 * ctypes, Rust, Go...). It is exported by libehtrace.so.
 *
 *   ehtrace_provider* provider;
 *   ehtrace_event_set* info;
 *   ehtrace_builder* builder;
 *   if (ehtrace_provider_open("Acme_Web", "", &provider) != 0) ...;
 *   ehtrace_provider_register_set(provider, EHTRACE_LEVEL_INFO, 0x1, &info);
 *   ehtrace_builder_create(&builder);               // one per thread
 *   if (ehtrace_event_set_enabled(info)) {
 *       ehtrace_builder_reset(builder, "Request", 0);
 *       ehtrace_builder_add_string(builder, "url", url, EHTRACE_NUL_TERMINATED, 0, 0);
 *       ehtrace_builder_add_i32(builder, "status", 200);
 *       ehtrace_builder_write(builder, info, NULL, NULL);
 *   }
 *   ehtrace_builder_destroy(builder);
 *   ehtrace_provider_close(provider);
 *
 * Every function returning int returns 0 or an errno value. The add
 * functions return the builder's first error since the last reset (later
 * adds are ignored until then; ehtrace_builder_error_message explains it).
 * No function throws or aborts on bad input; NULL handles give EINVAL.
 * Names are UTF-8, NUL-terminated, without ';'. Multi-byte values are in
 * native byte order except where noted (network order for ip addresses,
 * ports and uuids). Providers and event sets are thread-safe; a builder is
 * used by one thread at a time. */
#ifndef EHTRACE_EHTRACE_H
#define EHTRACE_EHTRACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ehtrace_provider ehtrace_provider;
typedef struct ehtrace_event_set ehtrace_event_set;
typedef struct ehtrace_builder ehtrace_builder;
/* Returned by ehtrace_builder_begin_struct, given to ehtrace_builder_end_struct. */
typedef uint32_t ehtrace_struct_bookmark;

/* A length meaning "up to the first NUL code unit". */
#define EHTRACE_NUL_TERMINATED ((size_t)-1)

enum ehtrace_level {
    EHTRACE_LEVEL_CRITICAL = 1,
    EHTRACE_LEVEL_ERROR = 2,
    EHTRACE_LEVEL_WARNING = 3,
    EHTRACE_LEVEL_INFO = 4,
    EHTRACE_LEVEL_VERBOSE = 5
};

enum ehtrace_opcode {
    EHTRACE_OPCODE_INFO = 0,
    EHTRACE_OPCODE_ACTIVITY_START = 1,
    EHTRACE_OPCODE_ACTIVITY_STOP = 2,
    EHTRACE_OPCODE_COLLECTION_START = 3,
    EHTRACE_OPCODE_COLLECTION_STOP = 4,
    EHTRACE_OPCODE_EXTENSION = 5,
    EHTRACE_OPCODE_REPLY = 6,
    EHTRACE_OPCODE_RESUME = 7,
    EHTRACE_OPCODE_SUSPEND = 8,
    EHTRACE_OPCODE_SEND = 9,
    EHTRACE_OPCODE_RECEIVE = 0xF0
};

/* Encodings of fixed-size values, for ehtrace_builder_add_value and the array functions. */
enum ehtrace_encoding {
    EHTRACE_ENCODING_VALUE8 = 2,
    EHTRACE_ENCODING_VALUE16 = 3,
    EHTRACE_ENCODING_VALUE32 = 4,
    EHTRACE_ENCODING_VALUE64 = 5,
    EHTRACE_ENCODING_VALUE128 = 6
};

enum ehtrace_format {
    EHTRACE_FORMAT_DEFAULT = 0,
    EHTRACE_FORMAT_UNSIGNED_INT = 1,
    EHTRACE_FORMAT_SIGNED_INT = 2,
    EHTRACE_FORMAT_HEX_INT = 3,
    EHTRACE_FORMAT_ERRNO = 4,
    EHTRACE_FORMAT_PID = 5,
    EHTRACE_FORMAT_TIME = 6,
    EHTRACE_FORMAT_BOOLEAN = 7,
    EHTRACE_FORMAT_FLOAT = 8,
    EHTRACE_FORMAT_HEX_BYTES = 9,
    EHTRACE_FORMAT_STRING8 = 10,
    EHTRACE_FORMAT_STRING_UTF = 11,
    EHTRACE_FORMAT_STRING_UTF_BOM = 12,
    EHTRACE_FORMAT_STRING_XML = 13,
    EHTRACE_FORMAT_STRING_JSON = 14,
    EHTRACE_FORMAT_UUID = 15,
    EHTRACE_FORMAT_PORT = 16,
    EHTRACE_FORMAT_IP_ADDRESS = 17
};

/* --- providers and event sets ------------------------------------------ */

/* Why events are recorded or not, as one sentence (the C++ API's
 * ehtrace::user_events_diagnostic()), e.g. "tracefs mounted at
 * /sys/kernel/tracing but user_events_data is missing: kernel built without
 * CONFIG_USER_EVENTS (Linux 6.4 or later)", or the capture file when
 * EHTRACE_CAPTURE is set. Copies at most size - 1 bytes and a NUL into buffer
 * (nothing when size is 0) and returns the sentence's full length, as
 * snprintf does: call with (NULL, 0) to learn the size. */
size_t ehtrace_diagnostic(char* buffer, size_t size);

/* Opens a provider: `name` of [A-Za-z0-9_], `options` NULL or e.g. "Gmygroup".
 * EINVAL for an invalid name (see ehtrace_provider_name_problem), ENOMEM. */
int ehtrace_provider_open(const char* name, const char* options, ehtrace_provider** provider);
/* NULL when name and options are valid, else a sentence saying why not. */
const char* ehtrace_provider_name_problem(const char* name, const char* options);
/* Unregisters every event set; they stay valid (writes return EBADF) until close. */
int ehtrace_provider_unregister(ehtrace_provider* provider);
/* Unregisters and frees the provider and its event sets. NULL is ignored. */
void ehtrace_provider_close(ehtrace_provider* provider);

/* The event set for (level 1..255, keyword), registered on first use.
 * *set is set whenever the set exists, even when the registration itself
 * failed: the return value then says why (e.g. ENOENT without user_events)
 * and events written to the set are dropped. EINVAL for level 0 or an
 * unregistered provider. */
int ehtrace_provider_register_set(ehtrace_provider* provider, uint8_t level, uint64_t keyword, ehtrace_event_set** set);
/* The set if registered before, else NULL. */
ehtrace_event_set* ehtrace_provider_find_set(const ehtrace_provider* provider, uint8_t level, uint64_t keyword);

/* 1 while a consumer collects the set's tracepoint, else 0. */
int ehtrace_event_set_enabled(const ehtrace_event_set* set);
/* "<provider>_L<level>K<keyword><options>"; valid while the provider is open. */
const char* ehtrace_event_set_tracepoint_name(const ehtrace_event_set* set);

/* --- builders -------------------------------------------------------------- */

int ehtrace_builder_create(ehtrace_builder** builder);
void ehtrace_builder_destroy(ehtrace_builder* builder);

/* Starts an event: clears the fields, the error, id, version and opcode. */
int ehtrace_builder_reset(ehtrace_builder* builder, const char* event_name, uint16_t event_tag);
int ehtrace_builder_set_id_version(ehtrace_builder* builder, uint16_t id, uint8_t version);
int ehtrace_builder_set_opcode(ehtrace_builder* builder, uint8_t opcode);
int ehtrace_builder_set_tag(ehtrace_builder* builder, uint16_t event_tag);

/* The first error since the last reset, and a sentence about it ("" if none);
 * EINVAL before the first reset. */
int ehtrace_builder_error(const ehtrace_builder* builder);
const char* ehtrace_builder_error_message(const ehtrace_builder* builder);

/* Writes the event to `set`. `activity_id` (16 bytes) and `related_activity_id`
 * (16 bytes, needs activity_id) may be NULL. EBADF when the set is disabled,
 * E2BIG over 65,535 bytes, EINVAL with a struct left open. The builder keeps
 * the event, so it can be written to other sets too. */
int ehtrace_builder_write(ehtrace_builder* builder, const ehtrace_event_set* set, const uint8_t* activity_id,
                          const uint8_t* related_activity_id);

/* --- scalar fields ----------------------------------------------------------- */

/* Any fixed-size value: `encoding` is an ehtrace_encoding, `format` an
 * ehtrace_format, `value` points at 1..16 bytes; `tag` 0 for none. */
int ehtrace_builder_add_value(ehtrace_builder* builder, const char* name, uint8_t encoding, uint8_t format,
                              const void* value, uint16_t tag);

/* Shorthands, default format for their type and no tag. */
int ehtrace_builder_add_u8(ehtrace_builder* builder, const char* name, uint8_t value);
int ehtrace_builder_add_u16(ehtrace_builder* builder, const char* name, uint16_t value);
int ehtrace_builder_add_u32(ehtrace_builder* builder, const char* name, uint32_t value);
int ehtrace_builder_add_u64(ehtrace_builder* builder, const char* name, uint64_t value);
int ehtrace_builder_add_i8(ehtrace_builder* builder, const char* name, int8_t value);
int ehtrace_builder_add_i16(ehtrace_builder* builder, const char* name, int16_t value);
int ehtrace_builder_add_i32(ehtrace_builder* builder, const char* name, int32_t value);
int ehtrace_builder_add_i64(ehtrace_builder* builder, const char* name, int64_t value);
int ehtrace_builder_add_hex32(ehtrace_builder* builder, const char* name, uint32_t value);
int ehtrace_builder_add_hex64(ehtrace_builder* builder, const char* name, uint64_t value);
int ehtrace_builder_add_float(ehtrace_builder* builder, const char* name, float value);
int ehtrace_builder_add_double(ehtrace_builder* builder, const char* name, double value);
/* value8 boolean, value32 boolean */
int ehtrace_builder_add_bool8(ehtrace_builder* builder, const char* name, int value);
int ehtrace_builder_add_bool32(ehtrace_builder* builder, const char* name, int value);
int ehtrace_builder_add_pointer(ehtrace_builder* builder, const char* name, const void* value);
int ehtrace_builder_add_errno(ehtrace_builder* builder, const char* name, int32_t value);
int ehtrace_builder_add_pid(ehtrace_builder* builder, const char* name, int32_t value);
/* Seconds since 1970, 64-bit. */
int ehtrace_builder_add_time(ehtrace_builder* builder, const char* name, int64_t seconds);
/* 16 bytes, RFC 4122 (network) byte order. */
int ehtrace_builder_add_uuid(ehtrace_builder* builder, const char* name, const uint8_t* uuid16);
/* In network byte order, as in sockaddr_in / sockaddr_in6. */
int ehtrace_builder_add_ipv4(ehtrace_builder* builder, const char* name, uint32_t address);
int ehtrace_builder_add_ipv6(ehtrace_builder* builder, const char* name, const uint8_t* address16);
int ehtrace_builder_add_port(ehtrace_builder* builder, const char* name, uint16_t port);

/* --- strings and binary --------------------------------------------------------
 * `length` counts code units, or is EHTRACE_NUL_TERMINATED. `format` 0 is
 * UTF; EHTRACE_FORMAT_STRING_JSON, _XML, _STRING8 (Latin-1)... also apply. */

/* Counted strings (at most 65,535 code units). */
int ehtrace_builder_add_string(ehtrace_builder* builder, const char* name, const char* value, size_t length,
                               uint8_t format, uint16_t tag);
int ehtrace_builder_add_string16(ehtrace_builder* builder, const char* name, const uint16_t* value, size_t length,
                                 uint8_t format, uint16_t tag);
int ehtrace_builder_add_string32(ehtrace_builder* builder, const char* name, const uint32_t* value, size_t length,
                                 uint8_t format, uint16_t tag);
/* Zero-terminated strings: written up to the first NUL unit, then a NUL. */
int ehtrace_builder_add_zstring(ehtrace_builder* builder, const char* name, const char* value, size_t length,
                                uint8_t format, uint16_t tag);
int ehtrace_builder_add_zstring16(ehtrace_builder* builder, const char* name, const uint16_t* value, size_t length,
                                  uint8_t format, uint16_t tag);
int ehtrace_builder_add_zstring32(ehtrace_builder* builder, const char* name, const uint32_t* value, size_t length,
                                  uint8_t format, uint16_t tag);
/* At most 65,535 bytes, shown as hex by default. */
int ehtrace_builder_add_binary(ehtrace_builder* builder, const char* name, const void* data, size_t size,
                               uint8_t format, uint16_t tag);

/* --- arrays ------------------------------------------------------------------------ */

/* `count` fixed-size values of one ehtrace_encoding, packed. Variable length:
 * 0..65,535 elements; constant length: 1..65,535. */
int ehtrace_builder_add_array(ehtrace_builder* builder, const char* name, uint8_t encoding, uint8_t format,
                              const void* values, size_t count, uint16_t tag);
int ehtrace_builder_add_const_array(ehtrace_builder* builder, const char* name, uint8_t encoding, uint8_t format,
                                    const void* values, size_t count, uint16_t tag);
/* A variable-length array of counted UTF-8 strings. `lengths` may be NULL
 * (every string NUL-terminated) or hold one length per string, any of which
 * may be EHTRACE_NUL_TERMINATED. */
int ehtrace_builder_add_string_array(ehtrace_builder* builder, const char* name, const char* const* values,
                                     const size_t* lengths, size_t count, uint8_t format, uint16_t tag);

/* --- structs ----------------------------------------------------------------------- */

/* Fields added until the matching end_struct belong to the struct (1..127
 * of them; an empty struct is dropped). Structs nest up to 8 deep. */
int ehtrace_builder_begin_struct(ehtrace_builder* builder, const char* name, uint16_t tag,
                                 ehtrace_struct_bookmark* bookmark);
int ehtrace_builder_end_struct(ehtrace_builder* builder, ehtrace_struct_bookmark bookmark);

#ifdef __cplusplus
}
#endif

#endif /* EHTRACE_EHTRACE_H */
