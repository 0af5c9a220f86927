// Test helpers for the compile-time and dynamic APIs: capture events in
// memory and build expected bytes by hand from docs/wire.md's tables
// (independent of the encoder).
#pragma once

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && sizeof(void*) == 8,
              "the expected bytes in these tests are written for 64-bit little-endian machines");

#include <ehtrace/provider.hpp>
#include <ehtrace/sink.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace ehtrace_test {

using bytes = std::vector<std::uint8_t>;

// All registrations during the scope go to an in-memory sink.
class memory_capture {
public:
    memory_capture() : previous_(ehtrace::set_sink(&sink_)) {}
    ~memory_capture() { ehtrace::set_sink(previous_); }
    memory_capture(const memory_capture&) = delete;
    memory_capture& operator=(const memory_capture&) = delete;

    std::vector<ehtrace::memory_sink::record> records() const { return sink_.records(); }
    std::vector<std::string> commands() const { return sink_.registered_commands(); }
    ehtrace::memory_sink& sink() { return sink_; }

private:
    ehtrace::memory_sink sink_;
    ehtrace::sink* previous_;
};

// Concatenation of byte pieces: numbers are single bytes, strings add their
// characters and a NUL.
struct piece {
    bytes value;
    piece(int byte) : value{static_cast<std::uint8_t>(byte)} {}
    piece(const char* text) : value(text, text + std::char_traits<char>::length(text) + 1) {}
    piece(bytes b) : value(std::move(b)) {}
};

inline bytes cat(std::initializer_list<piece> pieces) {
    bytes out;
    for (const auto& p : pieces) out.insert(out.end(), p.value.begin(), p.value.end());
    return out;
}

inline bytes le(std::uint64_t value, int size) {
    bytes out;
    for (int i = 0; i < size; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
    return out;
}
inline bytes u16(std::uint64_t v) { return le(v, 2); }
inline bytes u32(std::uint64_t v) { return le(v, 4); }
inline bytes u64(std::uint64_t v) { return le(v, 8); }
// Characters without a NUL.
inline bytes chars(std::string_view text) { return bytes(text.begin(), text.end()); }

// A whole event as x86-64 writes it: header with the extension flag, then
// the optional activity block, then the metadata block, then the payload.
inline bytes event(int version, unsigned id, unsigned tag, int opcode, int level, const bytes& metadata,
                   const bytes& payload, const bytes& activity_ids = {}) {
    bytes out{0x07, static_cast<std::uint8_t>(version)};
    auto append = [&out](const bytes& b) { out.insert(out.end(), b.begin(), b.end()); };
    append(u16(id));
    append(u16(tag));
    out.push_back(static_cast<std::uint8_t>(opcode));
    out.push_back(static_cast<std::uint8_t>(level));
    if (!activity_ids.empty()) {
        append(u16(activity_ids.size()));
        append(u16(0x8002));  // activity id kind, another block follows
        append(activity_ids);
    }
    append(u16(metadata.size()));
    append(u16(0x0001));  // metadata kind, the payload follows
    append(metadata);
    append(payload);
    return out;
}

inline bytes simple_event(int level, const bytes& metadata, const bytes& payload) {
    return event(0, 0, 0, 0, level, metadata, payload);
}

}  // namespace ehtrace_test
