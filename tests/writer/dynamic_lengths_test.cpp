// The event builder's fast paths copy names, strings and arrays with a few
// fixed-size moves chosen by length (1, 2..3, 4..7, 8..16, 17..32, 33..64
// bytes, memcpy beyond; names with 8-byte moves that may write past them,
// into room kept for it) and write a definition's tail as one word: every
// length of every kind of field, at every offset in the buffers, inside and
// outside structs, with and without format and tag, must give the bytes
// encode_field_definition() and the format's payload rules give. The
// reference bytes come from the constexpr encoder (encoding.hpp), which the
// builder's fast paths no longer use.
#include <ehtrace/dynamic.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

using ehtrace::field_encoding;
using ehtrace::field_format;
using ehtrace::dynamic::event_builder;
using bytes = std::vector<std::uint8_t>;

struct reference {
    bytes metadata;
    bytes payload;

    void definition(std::string_view name, field_encoding encoding, field_format format, std::uint16_t tag,
                    std::uint8_t flags = 0) {
        ehtrace::byte_writer counter;
        ehtrace::encode_field_definition(counter, name,
                                         static_cast<std::uint8_t>(static_cast<std::uint8_t>(encoding) | flags),
                                         static_cast<std::uint8_t>(format), tag, 0);
        const std::size_t at = metadata.size();
        metadata.resize(at + counter.size());
        ehtrace::byte_writer writer(metadata.data() + at);
        ehtrace::encode_field_definition(writer, name,
                                         static_cast<std::uint8_t>(static_cast<std::uint8_t>(encoding) | flags),
                                         static_cast<std::uint8_t>(format), tag, 0);
    }
    void u16(std::uint16_t value) {
        std::uint8_t two[2];
        std::memcpy(two, &value, 2);
        payload.insert(payload.end(), two, two + 2);
    }
    void raw(const void* data, std::size_t size) {
        const auto* p = static_cast<const std::uint8_t*>(data);
        payload.insert(payload.end(), p, p + size);
    }
};

std::string name_of_length(std::size_t length) {
    std::string name;
    for (std::size_t i = 0; i < length; ++i) name += static_cast<char>('a' + (i * 7) % 26);
    return name;
}

std::string text_of_length(std::size_t length) {
    std::string text;
    for (std::size_t i = 0; i < length; ++i) text += static_cast<char>('A' + (i * 5) % 26);
    return text;
}

void expect_same(const event_builder& b, const reference& r) {
    ASSERT_EQ(b.error(), 0) << b.error_message();
    EXPECT_EQ(bytes(b.metadata_data(), b.metadata_data() + b.metadata_size()), r.metadata);
    EXPECT_EQ(bytes(b.payload_data(), b.payload_data() + b.payload_size()), r.payload);
}

struct variant {
    field_format format;
    std::uint16_t tag;
};
const variant variants[] = {{field_format::default_format, 0},
                            {field_format::string_json, 0},
                            {field_format::default_format, 0x1234},
                            {field_format::string_xml, 0x0102}};

TEST(DynamicBuilderLengths, NamesAndStringsOfEveryLength) {
    for (std::size_t padding = 0; padding < 3; ++padding) {
        for (const variant& v : variants) {
            event_builder b;
            reference r;
            b.reset("E");
            r.metadata = {'E', 0};
            // Shift every later offset by `padding` bytes in both buffers.
            const std::string pad_name = name_of_length(padding + 1);
            const std::string pad_text = text_of_length(padding);
            b.add_string(pad_name, pad_text);
            r.definition(pad_name, field_encoding::string_length16_char8, field_format::default_format, 0);
            r.u16(static_cast<std::uint16_t>(pad_text.size()));
            r.raw(pad_text.data(), pad_text.size());
            for (std::size_t length = 0; length <= 80; ++length) {
                // Names of 1..41 bytes: each of the metadata's ways of
                // writing one (one word with the definition's rest, 8-byte
                // moves, memcpy()).
                const std::string name = name_of_length(length % 41 + 1);
                const std::string text = text_of_length(length);
                b.add_string(name, text, v.format, v.tag);
                r.definition(name, field_encoding::string_length16_char8, v.format, v.tag);
                r.u16(static_cast<std::uint16_t>(length));
                r.raw(text.data(), length);

                b.add_zstring(name, text.c_str(), v.format, v.tag);
                r.definition(name, field_encoding::zstring_char8, v.format, v.tag);
                r.raw(text.data(), length + 1);

                b.add_zstring(name, std::string_view(text), v.format, v.tag);
                r.definition(name, field_encoding::zstring_char8, v.format, v.tag);
                r.raw(text.data(), length + 1);

                b.add_binary(name, text.data(), length, field_format::default_format, v.tag);
                r.definition(name, field_encoding::binary_length16_char8, field_format::default_format, v.tag);
                r.u16(static_cast<std::uint16_t>(length));
                r.raw(text.data(), length);

                const std::u16string wide(length, u'\u00e9');
                b.add_zstring(name, wide.c_str(), field_format::default_format, v.tag);
                r.definition(name, field_encoding::zstring_char16, field_format::default_format, v.tag);
                r.raw(wide.data(), 2 * (length + 1));
            }
            expect_same(b, r);
        }
    }
}

template <class T>
void add_arrays_of_every_length(event_builder& b, reference& r, std::uint16_t tag) {
    std::vector<T> values(40);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<T>(0x8877665544332211ull >> (i % 8));
    for (std::size_t count = 0; count <= values.size(); ++count) {
        const std::string name = name_of_length(count % 19 + 1);
        b.add_array(name, values.data(), count, field_format::default_format, tag);
        r.definition(name, ehtrace::value_encoding_for_size(sizeof(T)), field_format::default_format, tag,
                     ehtrace::encoding_flags::var_array);
        r.u16(static_cast<std::uint16_t>(count));
        r.raw(values.data(), count * sizeof(T));
        b.add_value(name, values[count % values.size()], field_format::default_format, tag);
        r.definition(name, ehtrace::value_encoding_for_size(sizeof(T)), field_format::default_format, tag);
        r.raw(&values[count % values.size()], sizeof(T));
    }
}

TEST(DynamicBuilderLengths, ArraysAndValuesOfEverySize) {
    for (std::uint16_t tag : {std::uint16_t{0}, std::uint16_t{0xBEEF}}) {
        event_builder b;
        reference r;
        b.reset("Arrays");
        r.metadata = {'A', 'r', 'r', 'a', 'y', 's', 0};
        add_arrays_of_every_length<std::uint8_t>(b, r, tag);
        add_arrays_of_every_length<std::uint16_t>(b, r, tag);
        add_arrays_of_every_length<std::uint32_t>(b, r, tag);
        add_arrays_of_every_length<std::uint64_t>(b, r, tag);
        expect_same(b, r);
    }
}

TEST(DynamicBuilderLengths, FieldsInNestedStructsAreCountedAndPatched) {
    for (std::size_t name_length = 1; name_length <= 20; ++name_length) {
        const std::string name = name_of_length(name_length);
        event_builder b;
        reference r;
        b.reset("S");
        r.metadata = {'S', 0};
        auto outer = b.begin_struct(name, 0x0A0B);
        const std::size_t outer_format = r.metadata.size() + name.size() + 2;
        r.definition(name, field_encoding::structure, static_cast<field_format>(3), 0x0A0B);
        b.add_value(name, std::uint32_t{7});
        r.definition(name, field_encoding::value32, field_format::default_format, 0);
        std::uint32_t seven = 7;
        r.raw(&seven, 4);
        auto inner = b.begin_struct(name);
        r.definition(name, field_encoding::structure, static_cast<field_format>(2), 0);
        const std::string text = text_of_length(name_length * 3);
        b.add_string(name, text);
        r.definition(name, field_encoding::string_length16_char8, field_format::default_format, 0);
        r.u16(static_cast<std::uint16_t>(text.size()));
        r.raw(text.data(), text.size());
        b.add_zstring(name, text.c_str());
        r.definition(name, field_encoding::zstring_char8, field_format::default_format, 0);
        r.raw(text.data(), text.size() + 1);
        b.end_struct(inner);
        b.add_value(name, 2.5);
        r.definition(name, field_encoding::value64, field_format::floating, 0);
        const double value = 2.5;
        r.raw(&value, 8);
        b.end_struct(outer);
        ASSERT_EQ(r.metadata[outer_format] & 0x7F, 3);
        expect_same(b, r);
    }
}

}  // namespace
