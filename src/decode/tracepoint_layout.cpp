#include <ehtrace/decode/tracepoint_layout.hpp>

#include <ehtrace/wire/eventheader.hpp>

#include "byte_order.hpp"

#include <charconv>
#include <cstring>

namespace ehtrace::decode {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool is_identifier_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

template <class T>
bool parse_number(std::string_view s, T& value) {
    s = trim(s);
    const auto r = std::from_chars(s.data(), s.data() + s.size(), value);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// Byte size of a scalar C type name, 0 if unknown.
std::uint32_t known_type_size(std::string_view base) {
    struct entry {
        std::string_view name;
        std::uint32_t size;
    };
    static constexpr entry table[] = {
        {"char", 1},     {"short", 2},  {"int", 4},     {"long", 8},    {"long long", 8}, {"u8", 1},
        {"u16", 2},      {"u32", 4},    {"u64", 8},     {"s8", 1},      {"s16", 2},       {"s32", 4},
        {"s64", 8},      {"__u8", 1},   {"__u16", 2},   {"__u32", 4},   {"__u64", 8},     {"__s8", 1},
        {"__s16", 2},    {"__s32", 4},  {"__s64", 8},   {"uint8_t", 1}, {"uint16_t", 2},  {"uint32_t", 4},
        {"uint64_t", 8}, {"int8_t", 1}, {"int16_t", 2}, {"int32_t", 4}, {"int64_t", 8},   {"pid_t", 4},
        {"bool", 1},
    };
    for (const auto& e : table) {
        if (e.name == base) return e.size;
    }
    return 0;
}

bool is_fixed_width_typedef(std::string_view base) {
    static constexpr std::string_view names[] = {
        "u8",      "u16",      "u32",      "u64",      "s8",     "s16",     "s32",     "s64",
        "__u8",    "__u16",    "__u32",    "__u64",    "__s8",   "__s16",   "__s32",   "__s64",
        "uint8_t", "uint16_t", "uint32_t", "uint64_t", "int8_t", "int16_t", "int32_t", "int64_t",
    };
    for (auto n : names) {
        if (n == base) return true;
    }
    return false;
}

// What a field's C type says about how it prints (docs/json.md, plain
// tracepoints): the base type with qualifiers and signedness words dropped,
// words joined by single spaces.
struct type_facts {
    std::string base;
    bool is_pointer = false;
    bool is_struct = false;
    bool decimal = false;
    bool is_text = false;  // plain char (neither signed nor unsigned): a string
};

type_facts classify(std::string_view type) {
    type_facts facts;
    facts.is_pointer = type.find('*') != std::string_view::npos;
    int longs = 0;
    bool only_c_words = true, has_sign_word = false, has_unsigned = false;
    for (std::size_t i = 0; i < type.size();) {
        if (!is_identifier_char(type[i])) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < type.size() && is_identifier_char(type[j])) ++j;
        const std::string_view word = type.substr(i, j - i);
        i = j;
        if (word == "const" || word == "volatile" || word == "__data_loc" || word == "__rel_loc") continue;
        if (word == "signed" || word == "unsigned") {
            has_sign_word = true;
            has_unsigned |= word == "unsigned";
            continue;
        }
        if (word == "struct" || word == "union" || word == "enum") facts.is_struct |= word != "enum";
        if (word == "long") ++longs;
        else if (word != "char" && word != "short" && word != "int") only_c_words = false;
        if (!facts.base.empty()) facts.base.push_back(' ');
        facts.base.append(word);
    }
    if (facts.base.empty() && has_sign_word) facts.base = "int";  // plain "signed" / "unsigned"
    if (facts.base == "short int") facts.base = "short";
    if (facts.base == "long long int") facts.base = "long long";
    if (facts.base == "long int") facts.base = "long";
    facts.is_text = facts.base == "char" && !has_sign_word && !facts.is_pointer;
    if (facts.is_pointer || facts.is_struct) facts.decimal = false;
    // The C integer types are decimal, except unsigned long (the kernel's
    // word-sized bit masks and addresses), which is hex.
    else if (only_c_words) facts.decimal = !(longs == 1 && has_unsigned);
    else facts.decimal = is_fixed_width_typedef(facts.base);
    return facts;
}

bool parse_field_line(std::string_view line, tracepoint_field& field) {
    std::string_view declaration;
    bool have_offset = false, have_size = false;
    while (!line.empty()) {
        const auto semicolon = line.find(';');
        std::string_view part = trim(line.substr(0, semicolon));
        line = semicolon == std::string_view::npos ? std::string_view{} : line.substr(semicolon + 1);
        if (part.starts_with("field:")) {
            declaration = trim(part.substr(6));
        } else if (part.starts_with("offset:")) {
            have_offset = parse_number(part.substr(7), field.offset);
        } else if (part.starts_with("size:")) {
            have_size = parse_number(part.substr(5), field.size);
        } else if (part.starts_with("signed:")) {
            unsigned value = 0;
            field.is_signed = parse_number(part.substr(7), value) && value != 0;
        }
    }
    if (declaration.empty() || !have_offset || !have_size) return false;

    // Name: the identifier before an optional trailing [N].
    std::string_view suffix;
    std::string_view rest = declaration;
    std::uint32_t array_count = 0;
    bool bracket_after_name = false;
    if (rest.back() == ']') {
        const auto open = rest.rfind('[');
        if (open == std::string_view::npos) return false;
        suffix = rest.substr(open);
        rest = trim(rest.substr(0, open));
        bracket_after_name = true;
        const std::string_view count_text = suffix.substr(1, suffix.size() - 2);
        if (!count_text.empty() && !parse_number(count_text, array_count)) array_count = 0;
    }
    std::size_t name_begin = rest.size();
    while (name_begin > 0 && is_identifier_char(rest[name_begin - 1])) --name_begin;
    if (name_begin == rest.size()) return false;
    field.name = std::string(rest.substr(name_begin));
    std::string_view type = trim(rest.substr(0, name_begin));
    field.type = std::string(type);
    field.type.append(suffix);

    if (type.starts_with("__data_loc")) field.location = field_location::data_loc;
    else if (type.starts_with("__rel_loc")) field.location = field_location::rel_loc;
    const bool dynamic = field.location != field_location::fixed;
    const bool type_has_brackets = type.find('[') != std::string_view::npos;
    field.is_array = dynamic || bracket_after_name || type_has_brackets;

    std::string_view element_type = type;
    if (const auto bracket = element_type.find('['); bracket != std::string_view::npos) {
        element_type = element_type.substr(0, bracket);
    }
    const type_facts facts = classify(element_type);
    field.is_pointer = facts.is_pointer;
    if (facts.is_pointer) field.element_size = 8;
    else field.element_size = known_type_size(facts.base);
    if (!dynamic) {
        if (bracket_after_name && array_count != 0) field.element_size = field.size / array_count;
        else if (!field.is_array) field.element_size = field.size;
    }
    if (field.element_size == 0) field.element_size = 1;

    if (facts.is_text) field.display = field_display::string;
    else if (facts.is_struct) field.display = field_display::hex_bytes;
    else if (field.element_size != 1 && field.element_size != 2 && field.element_size != 4 && field.element_size != 8)
        field.display = field_display::hex_bytes;
    else field.display = facts.decimal ? field_display::decimal : field_display::hex;
    return true;
}

// The non-common fields of `format` are exactly the EventHeader field list.
bool has_eventheader_fields(const tracepoint_layout& format) noexcept {
    const auto& fields = format.fields;
    std::string_view expected = eventheader_fields;
    std::size_t index = format.common_field_count;
    while (!expected.empty()) {
        const auto separator = expected.find("; ");
        const std::string_view declaration = expected.substr(0, separator);
        expected = separator == std::string_view::npos ? std::string_view{} : expected.substr(separator + 2);
        const auto space = declaration.find(' ');
        if (index >= fields.size()) return false;
        const auto& f = fields[index++];
        if (f.type != declaration.substr(0, space) || f.name != declaration.substr(space + 1)) return false;
    }
    return index == fields.size();
}

}  // namespace

bool parse_tracepoint_layout(std::string_view text, tracepoint_layout& out, std::string* why) {
    out.fields.clear();
    out.common_field_count = 0;
    bool in_format = false;
    bool common_done = false;
    while (!text.empty()) {
        const auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        const std::string_view trimmed = trim(line);
        if (!in_format) {
            if (trimmed.starts_with("name:")) out.name = std::string(trim(trimmed.substr(5)));
            else if (trimmed.starts_with("ID:")) (void)parse_number(trimmed.substr(3), out.id);
            else if (trimmed == "format:") in_format = true;
            continue;
        }
        if (trimmed.starts_with("print fmt:")) break;
        if (trimmed.empty()) {
            if (!out.fields.empty()) common_done = true;
            continue;
        }
        tracepoint_field field;
        if (!parse_field_line(trimmed, field)) continue;
        if (!common_done && field.name.starts_with("common_")) out.common_field_count = out.fields.size() + 1;
        else common_done = true;
        out.fields.push_back(std::move(field));
    }
    out.eventheader_ = false;
    if (out.fields.empty()) {
        if (why) *why = in_format ? "format section has no fields" : "no \"format:\" section";
        return false;
    }
    out.eventheader_ = has_eventheader_fields(out);
    return true;
}

std::span<const std::byte> field_bytes(const tracepoint_field& field, std::span<const std::byte> raw,
                                       bool big_endian) noexcept {
    if (field.offset > raw.size() || raw.size() - field.offset < field.size) return {};
    if (field.location == field_location::fixed) return raw.subspan(field.offset, field.size);
    if (field.size < 4) return {};
    const bool swap = big_endian != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
    const std::uint32_t loc = load<std::uint32_t>(raw.data() + field.offset, swap);
    std::size_t begin = loc & 0xFFFF;
    const std::size_t length = loc >> 16;
    if (field.location == field_location::rel_loc) begin += field.offset + field.size;
    if (begin > raw.size() || raw.size() - begin < length) return {};
    return raw.subspan(begin, length);
}

}  // namespace ehtrace::decode
