/* The C API from C, linked against libehtrace.so: events written under
 * EHTRACE_CAPTURE are read back from the capture file and compared with
 * bytes written by hand from docs/wire.md; then the error paths.
 *   c_api_test <capture.dat> */
#define _POSIX_C_SOURCE 200809L

#include <ehtrace/ehtrace.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(condition)                                                                  \
    do {                                                                                  \
        if (!(condition)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #condition); \
            ++failures;                                                                   \
        }                                                                                 \
    } while (0)

#define CHECK_EQ(actual, expected)                                                                                  \
    do {                                                                                                            \
        long long actual_ = (long long)(actual), expected_ = (long long)(expected);                                 \
        if (actual_ != expected_) {                                                                                 \
            fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #actual, actual_, expected_); \
            ++failures;                                                                                             \
        }                                                                                                           \
    } while (0)

/* A growable byte string for the expected events. */
struct bytes {
    unsigned char data[512];
    size_t size;
};

static void put(struct bytes* b, const void* data, size_t size) {
    memcpy(b->data + b->size, data, size);
    b->size += size;
}
static void put_u16(struct bytes* b, unsigned value) {
    unsigned char le[2] = {(unsigned char)value, (unsigned char)(value >> 8)};
    put(b, le, 2);
}

/* header (flags 0x07 on x86-64), [activity block], metadata block, payload */
static void expected_event(struct bytes* out, const unsigned char header_rest[7], const unsigned char* activity,
                           const void* metadata, size_t metadata_size, const void* payload, size_t payload_size) {
    const unsigned char flags = 0x07;
    out->size = 0;
    put(out, &flags, 1);
    put(out, header_rest, 7);
    if (activity != NULL) {
        put_u16(out, 16);
        put_u16(out, 0x8002);
        put(out, activity, 16);
    }
    put_u16(out, (unsigned)metadata_size);
    put_u16(out, 0x0001);
    put(out, metadata, metadata_size);
    put(out, payload, payload_size);
}

static const unsigned char activity_id[16] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
                                              0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF};
static const unsigned char uuid[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8};

static void write_events(ehtrace_builder* b, ehtrace_event_set* set) {
    const uint16_t z16[] = {'a', 'b', 0};
    const uint16_t shorts[] = {1, 2};
    const int32_t ints[] = {-1, 1};
    const char* names[] = {"x", "yz-and-more"};
    const size_t name_lengths[] = {EHTRACE_NUL_TERMINATED, 2};
    ehtrace_struct_bookmark st;
    uint16_t tagged = 0xABCD;

    CHECK_EQ(ehtrace_builder_reset(b, "Event", 0), 0);
    CHECK_EQ(ehtrace_builder_add_u8(b, "u8", 1), 0);
    CHECK_EQ(ehtrace_builder_add_i32(b, "i32", -2), 0);
    CHECK_EQ(ehtrace_builder_add_string(b, "s", "hi", EHTRACE_NUL_TERMINATED, 0, 0), 0);
    CHECK_EQ(ehtrace_builder_add_zstring16(b, "z16", z16, EHTRACE_NUL_TERMINATED, 0, 0), 0);
    CHECK_EQ(ehtrace_builder_begin_struct(b, "st", 0, &st), 0);
    CHECK_EQ(ehtrace_builder_add_bool8(b, "flag", 1), 0);
    CHECK_EQ(ehtrace_builder_add_hex32(b, "hex", 0xDEADBEEF), 0);
    CHECK_EQ(ehtrace_builder_end_struct(b, st), 0);
    CHECK_EQ(ehtrace_builder_add_array(b, "arr", EHTRACE_ENCODING_VALUE16, 0, shorts, 2, 0), 0);
    CHECK_EQ(
        ehtrace_builder_add_const_array(b, "fixed", EHTRACE_ENCODING_VALUE32, EHTRACE_FORMAT_SIGNED_INT, ints, 2, 0),
        0);
    CHECK_EQ(ehtrace_builder_add_string_array(b, "names", names, name_lengths, 2, 0, 0), 0);
    CHECK_EQ(ehtrace_builder_add_uuid(b, "id", uuid), 0);
    CHECK_EQ(ehtrace_builder_write(b, set, activity_id, NULL), 0);

    CHECK_EQ(ehtrace_builder_reset(b, "Second", 0x1234), 0);
    CHECK_EQ(ehtrace_builder_set_id_version(b, 7, 2), 0);
    CHECK_EQ(ehtrace_builder_set_opcode(b, EHTRACE_OPCODE_ACTIVITY_STOP), 0);
    CHECK_EQ(ehtrace_builder_add_ipv4(b, "ip", htonl(0x7F000001)), 0);
    CHECK_EQ(ehtrace_builder_add_port(b, "port", htons(80)), 0);
    CHECK_EQ(ehtrace_builder_add_time(b, "t", 5), 0);
    CHECK_EQ(ehtrace_builder_add_errno(b, "e", 2), 0);
    CHECK_EQ(ehtrace_builder_add_value(b, "tagged", EHTRACE_ENCODING_VALUE16, EHTRACE_FORMAT_HEX_INT, &tagged, 0x0102),
             0);
    CHECK_EQ(ehtrace_builder_add_double(b, "d", 0.5), 0);
    CHECK_EQ(ehtrace_builder_write(b, set, NULL, NULL), 0);
}

static void check_capture(const char* path) {
    static const unsigned char metadata1[] =
        "Event\0"
        "u8\0\x02"
        "i32\0\x84\x02"
        "s\0\x0A"
        "z16\0\x08"
        "st\0\x81\x02"
        "flag\0\x82\x07"
        "hex\0\x84\x03"
        "arr\0\x43"
        "fixed\0\xA4\x02\x02\x00"
        "names\0\x4A"
        "id\0\x86\x0F";
    static const unsigned char payload1_start[] = {
        0x01,                                               /* u8 */
        0xFE, 0xFF, 0xFF, 0xFF,                             /* i32 -2 */
        0x02, 0x00, 'h',  'i',                              /* s */
        'a',  0,    'b',  0,    0,    0,                    /* z16 */
        0x01,                                               /* st.flag */
        0xEF, 0xBE, 0xAD, 0xDE,                             /* st.hex */
        0x02, 0x00, 0x01, 0x00, 0x02, 0x00,                 /* arr */
        0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x00,     /* fixed */
        0x02, 0x00, 0x01, 0x00, 'x',  0x02, 0x00, 'y',  'z' /* names */
    };
    static const unsigned char header1[7] = {0, 0, 0, 0, 0, 0, 4};
    static const unsigned char metadata2[] =
        "Second\0"
        "ip\0\x84\x11"
        "port\0\x83\x10"
        "t\0\x85\x06"
        "e\0\x84\x04"
        "tagged\0\x83\x83\x02\x01"
        "d\0\x85\x08";
    static const unsigned char payload2[] = {127,  0,    0, 1,                    /* ip */
                                             0,    80,                            /* port, network order */
                                             5,    0,    0, 0, 0, 0, 0,    0,     /* t */
                                             2,    0,    0, 0,                    /* e */
                                             0xCD, 0xAB,                          /* tagged */
                                             0,    0,    0, 0, 0, 0, 0xE0, 0x3F}; /* d 0.5 */
    static const unsigned char header2[7] = {2, 7, 0, 0x34, 0x12, 2, 4};
    struct bytes payload1 = {{0}, 0};
    struct bytes expected;
    unsigned char file[4096];
    size_t size, offset = 0;
    int record = 0;
    FILE* f = fopen(path, "rb");

    put(&payload1, payload1_start, sizeof payload1_start);
    put(&payload1, uuid, 16);
    CHECK(f != NULL);
    if (f == NULL) return;
    size = fread(file, 1, sizeof file, f);
    fclose(f);

    while (offset + 4 <= size) {
        uint32_t record_size = (uint32_t)file[offset] | (uint32_t)file[offset + 1] << 8 |
                               (uint32_t)file[offset + 2] << 16 | (uint32_t)file[offset + 3] << 24;
        const char* name = (const char*)file + offset + 4;
        const unsigned char* event = (const unsigned char*)name + strlen(name) + 1;
        size_t event_size = offset + record_size - (size_t)(event - file);
        CHECK(record_size >= 4 && offset + record_size <= size);
        if (record_size < 4 || offset + record_size > size) return;
        CHECK(strcmp(name, "C_Api_Test_L4K5Gc") == 0);
        if (record == 0) {
            expected_event(&expected, header1, activity_id, metadata1, sizeof metadata1 - 1, payload1.data,
                           payload1.size);
        } else {
            expected_event(&expected, header2, NULL, metadata2, sizeof metadata2 - 1, payload2, sizeof payload2);
        }
        CHECK_EQ(event_size, expected.size);
        CHECK(event_size == expected.size && memcmp(event, expected.data, event_size) == 0);
        offset += record_size;
        ++record;
    }
    CHECK_EQ(record, 2);
    CHECK_EQ(offset, size);
}

static void check_errors(ehtrace_provider* provider, ehtrace_builder* b, ehtrace_event_set* set) {
    ehtrace_provider* bad = (ehtrace_provider*)1;
    ehtrace_event_set* no_set = (ehtrace_event_set*)1;
    ehtrace_builder* no_builder = NULL;
    ehtrace_struct_bookmark mark;

    CHECK_EQ(ehtrace_provider_open("bad name", NULL, &bad), EINVAL);
    CHECK(bad == NULL);
    CHECK(ehtrace_provider_name_problem("bad name", NULL) != NULL);
    CHECK(ehtrace_provider_name_problem("P", "lower") != NULL);
    CHECK(ehtrace_provider_name_problem("Good_Name", "Gx") == NULL);
    CHECK_EQ(ehtrace_provider_open(NULL, NULL, &bad), EINVAL);
    CHECK_EQ(ehtrace_provider_open("P", NULL, NULL), EINVAL);
    CHECK_EQ(ehtrace_provider_register_set(provider, 0, 0, &no_set), EINVAL);
    CHECK(no_set == NULL);
    CHECK_EQ(ehtrace_provider_register_set(NULL, 4, 0, &no_set), EINVAL);
    CHECK(ehtrace_provider_find_set(provider, 4, 5) == set);
    CHECK(ehtrace_provider_find_set(provider, 4, 6) == NULL);
    CHECK(strcmp(ehtrace_event_set_tracepoint_name(set), "C_Api_Test_L4K5Gc") == 0);
    CHECK_EQ(ehtrace_event_set_enabled(NULL), 0);

    CHECK_EQ(ehtrace_builder_create(NULL), EINVAL);
    CHECK_EQ(ehtrace_builder_reset(NULL, "E", 0), EINVAL);
    CHECK_EQ(ehtrace_builder_add_u8(NULL, "x", 1), EINVAL);
    CHECK_EQ(ehtrace_builder_write(NULL, set, NULL, NULL), EINVAL);
    CHECK_EQ(ehtrace_builder_write(b, NULL, NULL, NULL), EINVAL);
    (void)no_builder;

    CHECK_EQ(ehtrace_builder_reset(b, NULL, 0), EINVAL);
    CHECK(strcmp(ehtrace_builder_error_message(b), "the event name is empty") == 0);
    CHECK_EQ(ehtrace_builder_reset(b, "E", 0), 0);
    CHECK_EQ(ehtrace_builder_error(b), 0);
    CHECK_EQ(ehtrace_builder_add_u8(b, "a;b", 1), EINVAL);
    CHECK_EQ(ehtrace_builder_add_u8(b, "fine", 1), EINVAL); /* the first error sticks */
    CHECK_EQ(ehtrace_builder_write(b, set, NULL, NULL), EINVAL);

    CHECK_EQ(ehtrace_builder_reset(b, "E", 0), 0);
    CHECK_EQ(ehtrace_builder_add_u8(b, NULL, 1), EINVAL);
    CHECK_EQ(ehtrace_builder_reset(b, "E", 0), 0);
    CHECK_EQ(ehtrace_builder_add_value(b, "v", 1 /* struct */, 0, &mark, 0), EINVAL);
    CHECK_EQ(ehtrace_builder_reset(b, "E", 0), 0);
    CHECK_EQ(ehtrace_builder_add_value(b, "v", EHTRACE_ENCODING_VALUE32, 0, NULL, 0), EINVAL);
    CHECK_EQ(ehtrace_builder_reset(b, "E", 0), 0);
    CHECK_EQ(ehtrace_builder_add_binary(b, "v", NULL, 3, 0, 0), EINVAL);
    CHECK_EQ(ehtrace_builder_reset(b, "E", 0), 0);
    CHECK_EQ(ehtrace_builder_add_string_array(b, "v", NULL, NULL, 3, 0, 0), EINVAL);
    CHECK_EQ(ehtrace_builder_reset(b, "E", 0), 0);
    CHECK_EQ(ehtrace_builder_add_string(b, "v", NULL, 2, 0, 0), EINVAL);
    CHECK_EQ(ehtrace_builder_reset(b, "E", 0), 0);
    CHECK_EQ(ehtrace_builder_add_const_array(b, "v", EHTRACE_ENCODING_VALUE8, 0, "x", 0, 0), EINVAL);

    CHECK_EQ(ehtrace_builder_reset(b, "E", 0), 0);
    CHECK_EQ(ehtrace_builder_begin_struct(b, "s", 0, NULL), EINVAL);
    CHECK_EQ(ehtrace_builder_begin_struct(b, "s", 0, &mark), 0);
    CHECK_EQ(ehtrace_builder_add_u8(b, "x", 1), 0);
    CHECK_EQ(ehtrace_builder_write(b, set, NULL, NULL), EINVAL); /* struct still open */
    CHECK_EQ(ehtrace_builder_reset(b, "E", 0), 0);
    CHECK_EQ(ehtrace_builder_end_struct(b, 12345), EINVAL);

    CHECK_EQ(ehtrace_builder_reset(b, "E", 0), 0);
    CHECK_EQ(ehtrace_builder_write(b, set, NULL, activity_id), EINVAL); /* related without activity */
}

/* The diagnostic names where events go (here: the capture file), and
 * copies like snprintf: the full length back, a NUL-terminated prefix. */
static void check_diagnostic(const char* capture_path) {
    char text[512];
    char small[8];
    const size_t length = ehtrace_diagnostic(NULL, 0);
    CHECK(length > 0 && length < sizeof text);
    CHECK_EQ(ehtrace_diagnostic(text, sizeof text), length);
    CHECK(strlen(text) == length);
    CHECK(strstr(text, capture_path) != NULL);
    memset(small, 'x', sizeof small);
    CHECK_EQ(ehtrace_diagnostic(small, sizeof small), length);
    CHECK(small[sizeof small - 1] == '\0' && strncmp(small, text, sizeof small - 1) == 0);
    small[0] = 'x';
    CHECK_EQ(ehtrace_diagnostic(small, 0), length);
    CHECK(small[0] == 'x');
}

int main(int argc, char** argv) {
    ehtrace_provider* provider = NULL;
    ehtrace_event_set* set = NULL;
    ehtrace_builder* builder = NULL;

    if (argc != 2) {
        fprintf(stderr, "usage: %s <capture.dat>\n", argv[0]);
        return 2;
    }
    remove(argv[1]);
    setenv("EHTRACE_CAPTURE", argv[1], 1); /* read at the first registration */

    CHECK_EQ(ehtrace_provider_open("C_Api_Test", "Gc", &provider), 0);
    CHECK_EQ(ehtrace_provider_register_set(provider, EHTRACE_LEVEL_INFO, 5, &set), 0);
    CHECK_EQ(ehtrace_event_set_enabled(set), 1);
    CHECK_EQ(ehtrace_builder_create(&builder), 0);
    if (provider == NULL || set == NULL || builder == NULL) return 1;

    write_events(builder, set);
    check_errors(provider, builder, set);
    check_diagnostic(argv[1]);

    CHECK_EQ(ehtrace_provider_unregister(provider), 0);
    CHECK_EQ(ehtrace_event_set_enabled(set), 0);
    CHECK_EQ(ehtrace_builder_reset(builder, "Late", 0), 0);
    CHECK_EQ(ehtrace_builder_write(builder, set, NULL, NULL), EBADF);
    CHECK_EQ(ehtrace_provider_register_set(provider, 4, 99, &set), EINVAL);
    ehtrace_builder_destroy(builder);
    ehtrace_provider_close(provider);
    ehtrace_provider_close(NULL);
    ehtrace_builder_destroy(NULL);

    check_capture(argv[1]);
    if (failures == 0) printf("ok\n");
    return failures == 0 ? 0 : 1;
}
