// The human text format: one line per event, in the spirit of `perf script`:
//
//     hello  812/815  [001] 2026-12-01T15:44:02.123456789Z: Acme_Web:Request path="/" s={a=1 b=2} arr=[1,2]
//
// Built on value_text.hpp (the plain text of each value); the layout is in
// docs/json.md ("Text format").
#include <ehtrace/decode/formatter.hpp>

#include <ehtrace/decode/tracepoint_layout.hpp>

#include <cstdio>
#include <cstring>

namespace ehtrace::decode {
namespace {

// Strings go between quotes with JSON's escapes, so a line stays one line
// and a value with spaces stays one value; everything else as it is.
void append_value_text(std::string& out, const value_bytes& value) {
    if (is_string_value(value)) {
        out.push_back('"');
        append_string_text(out, value, text_escape::json);
        out.push_back('"');
        return;
    }
    const scalar_text t = scalar_text_of(value);
    if (t.kind == value_kind::null) {
        out.append("null");
    } else if (t.kind == value_kind::text && t.may_need_escape) {
        out.push_back('"');
        append_utf8_text(out, t.view(), text_escape::json);
        out.push_back('"');
    } else {
        out.append(t.view());
    }
}

// Separators of the fields of a line, of a struct ({a=1 b=2}) and of an
// array ([1,2]).
class line_writer {
public:
    line_writer(std::string& out, bool field_tags) : out_(out), field_tags_(field_tags) {}

    void name(std::string_view name, std::uint16_t tag) {
        separate();
        append_utf8_text(out_, name, text_escape::control);
        if (tag != 0 && field_tags_) out_.append(";tag=").append(hex_text(tag).view());
        out_.push_back('=');
    }
    void element() { separate(); }
    void open(char c) {
        out_.push_back(c);
        if (depth_ < sizeof in_array_) in_array_[depth_] = c == '[';
        ++depth_;
        first_ = true;
    }
    void close(char c) {
        out_.push_back(c);
        if (depth_ != 0) --depth_;
        first_ = false;
    }
    void close_all() {
        while (depth_ != 0) close(in_array() ? ']' : '}');
    }

private:
    [[nodiscard]] bool in_array() const { return depth_ != 0 && depth_ <= sizeof in_array_ && in_array_[depth_ - 1]; }
    void separate() {
        if (!first_) out_.push_back(depth_ != 0 && in_array() ? ',' : ' ');
        first_ = false;
    }

    std::string& out_;
    bool field_tags_;
    bool first_ = false;  // the line's first field follows the name and a space
    std::size_t depth_ = 0;
    bool in_array_[event_enumerator::max_depth + 2] = {};
};

std::string_view full_name(const item_info& item) noexcept {
    if (item.name_attributes.empty()) return item.name;
    return {item.name.data(), item.name.size() + item.name_attributes.size()};
}

bool append_eventheader_fields(line_writer& w, std::string& out, event_enumerator& e) {
    if (e.state() != enumerator_state::before_first) return e.state() != enumerator_state::error;
    while (e.move_next()) {
        const item_info& item = e.item();
        switch (e.state()) {
        case enumerator_state::value:
            if (item.is_element) w.element();
            else w.name(full_name(item), item.tag);
            append_value_text(out, {item.value, item.encoding, item.format, item.byte_swap});
            break;
        case enumerator_state::array_begin:
            w.name(full_name(item), item.tag);
            w.open('[');
            break;
        case enumerator_state::struct_begin:
            if (item.is_element) w.element();
            else w.name(full_name(item), item.tag);
            w.open('{');
            break;
        case enumerator_state::array_end: w.close(']'); break;
        case enumerator_state::struct_end: w.close('}'); break;
        default: break;
        }
    }
    w.close_all();
    return e.state() != enumerator_state::error;
}

void append_tracepoint_fields(line_writer& w, std::string& out, const decoded_sample& s, std::size_t begin,
                              std::size_t end) {
    const bool swap = s.big_endian != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
    for (std::size_t i = begin; i < end; ++i) {
        const tracepoint_field& field = s.format->fields[i];
        w.name(field.name, 0);
        const bool in_range = field.offset <= s.raw.size() && s.raw.size() - field.offset >= field.size;
        const auto bytes = in_range ? field_bytes(field, s.raw, s.big_endian) : std::span<const std::byte>{};
        if (!in_range) {
            out.append("null");
        } else if (field.display == field_display::string) {
            out.push_back('"');
            append_tracefs_string_text(out, bytes, text_escape::json);
            out.push_back('"');
        } else if (field.display == field_display::hex_bytes) {
            append_value_text(out, {bytes, field_encoding::binary_length16_char8, field_format::hex_bytes, false});
        } else if (field.is_array) {
            w.open('[');
            for (std::size_t k = 0; k + field.element_size <= bytes.size(); k += field.element_size) {
                w.element();
                out.append(tracefs_integer_text(field, bytes.data() + k, swap, false).view());
            }
            w.close(']');
        } else if (bytes.size() < field.element_size) {
            out.append("null");
        } else {
            out.append(tracefs_integer_text(field, bytes.data(), swap, false).view());
        }
    }
}

// "comm  pid/tid  [cpu] time:", each part only when known.
void append_line_head(std::string& out, const sample_meta& meta) {
    char text[96];
    int n = 0;
    if (!meta.comm.empty() || meta.has_tid) {
        append_utf8_text(out, meta.comm.empty() ? std::string_view("-") : meta.comm, text_escape::control);
        out.push_back(' ');
    }
    if (meta.has_tid) n += std::snprintf(text + n, sizeof text - n, "%6u/%-6u ", meta.pid, meta.tid);
    if (meta.has_cpu) n += std::snprintf(text + n, sizeof text - n, "[%03u] ", meta.cpu);
    out.append(text, static_cast<std::size_t>(n));
    if (!meta.has_time) return;
    if (meta.time_is_utc) {
        append_utc_time_text(out, meta.time_ns);
    } else {
        n = std::snprintf(text, sizeof text, "%llu.%09u", static_cast<unsigned long long>(meta.time_ns / 1000000000),
                          static_cast<unsigned>(meta.time_ns % 1000000000));
        out.append(text, static_cast<std::size_t>(n));
    }
    out.append(": ");
}

class text_lines final : public formatter {
public:
    explicit text_lines(const json_options& options) : options_(options) {}
    void begin_input(std::string&, std::string_view source) override { source_ = source; }
    bool sample(std::string& out, const decoded_sample& s) override {
        if (several_) {
            append_utf8_text(out, source_, text_escape::control);
            out.append(": ");
        }
        append_line_head(out, s.meta);
        bool ok = true;
        line_writer w(out, options_.field_tags);
        if (s.kind == sample_kind::eventheader) {
            const event_info& info = s.enumerator->event();
            append_utf8_text(out, info.name_parts.provider, text_escape::control);
            out.push_back(':');
            append_utf8_text(out, info.name, text_escape::control);
        } else if (s.kind == sample_kind::tracepoint) {
            append_utf8_text(out, s.format->system, text_escape::control);
            out.push_back(':');
            append_utf8_text(out, s.format->name, text_escape::control);
        } else {
            append_utf8_text(out, s.name.empty() ? std::string_view("-") : s.name, text_escape::control);
        }
        if ((options_.meta & meta_keys::common) && s.format != nullptr && s.kind != sample_kind::other) {
            append_tracepoint_fields(w, out, s, 0, s.format->common_field_count);
        }
        switch (s.kind) {
        case sample_kind::eventheader:
            ok = append_eventheader_fields(w, out, *s.enumerator);
            if (!ok) {
                w.name("error", 0);
                out.push_back('"');
                out.append(to_string(s.enumerator->error()));
                out.append(" at event offset ").append(unsigned_text(s.enumerator->error_offset()).view());
                out.push_back('"');
            }
            break;
        case sample_kind::tracepoint:
            append_tracepoint_fields(w, out, s, s.format->common_field_count, s.format->fields.size());
            break;
        case sample_kind::other:
            if (s.error != decode_error::none) {
                w.name("error", 0);
                out.push_back('"');
                out.append(to_string(s.error));
                out.push_back('"');
                ok = false;
            } else if (!s.raw.empty()) {
                w.name("raw", 0);
                append_value_text(out, {s.raw, field_encoding::binary_length16_char8, field_format::hex_bytes, false});
            }
            break;
        }
        out.push_back('\n');
        return ok;
    }
    void set_several(bool several) { several_ = several; }

private:
    json_options options_;
    std::string source_;
    bool several_ = false;
};

}  // namespace

std::unique_ptr<formatter> make_text_formatter(const json_options& options, bool several_inputs) {
    auto f = std::make_unique<text_lines>(options);
    f->set_several(several_inputs);
    return f;
}

}  // namespace ehtrace::decode
