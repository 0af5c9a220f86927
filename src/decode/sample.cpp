#include <ehtrace/decode/sample.hpp>

#include <ehtrace/decode/perf_data_reader.hpp>
#include <ehtrace/decode/tracepoint_layout.hpp>

namespace ehtrace::decode {

const decoded_sample& sample_decoder::decode_record(const tracepoint_layout* format, std::string_view name,
                                                    std::span<const std::byte> raw, const sample_meta& meta,
                                                    bool big_endian) {
    decoded_sample& s = sample_;
    s.meta = meta;
    s.raw = raw;
    s.format = format;
    s.big_endian = big_endian;
    s.error = decode_error::none;
    s.enumerator = nullptr;
    if (format != nullptr && format->is_eventheader()) {
        const std::uint32_t at = format->eventheader_offset();
        if (at <= raw.size()) {
            enumerator_.start(format->name, raw.subspan(at));
            if (enumerator_.state() != enumerator_state::none) {
                s.kind = sample_kind::eventheader;
                s.name = format->name;
                s.enumerator = &enumerator_;
                return s;
            }
        }
    }
    s.kind = format != nullptr ? sample_kind::tracepoint : sample_kind::other;
    s.name = name;
    return s;
}

const decoded_sample& sample_decoder::decode(const perf_sample& sample) {
    const perf_event_desc* desc = sample.event;
    const std::string_view name = desc && !desc->name.empty() ? std::string_view(desc->name) : "perf:unknown";
    return decode_record(desc ? desc->format : nullptr, name, sample.raw, sample.meta);
}

const decoded_sample& sample_decoder::decode_event(std::string_view tracepoint_name, std::span<const std::byte> event,
                                                   const sample_meta& meta) {
    decoded_sample& s = sample_;
    s.meta = meta;
    s.raw = event;
    s.format = nullptr;
    s.big_endian = false;
    s.name = tracepoint_name;
    const decode_error error = enumerator_.start(tracepoint_name, event);
    if (enumerator_.state() == enumerator_state::none) {
        s.kind = sample_kind::other;
        s.error = error;
        s.enumerator = nullptr;
    } else {
        s.kind = sample_kind::eventheader;
        s.error = decode_error::none;
        s.enumerator = &enumerator_;
    }
    return s;
}

}  // namespace ehtrace::decode
