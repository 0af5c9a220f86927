// Test helpers for the compile-time API: capture events in memory and build
// expected bytes by hand from the spec's tables (independent of the encoder).
#pragma once

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
    std::vector<ehtrace::memory_sink::record> records() const { return sink_.records(); }
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

inline bytes u16(unsigned v) { return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8)}; }
inline bytes u32(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v >> 16),
            static_cast<std::uint8_t>(v >> 24)};
}
inline bytes u64(std::uint64_t v) {
    bytes out;
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return out;
}
inline bytes raw(std::string_view text) { return bytes(text.begin(), text.end()); }

// An event without activity ids: header (x86-64: flags 0x07), then the
// metadata block holding `metadata`, then `payload`.
inline bytes event(int version, unsigned id, unsigned tag, int opcode, int level, const bytes& metadata,
                   const bytes& payload) {
    bytes out = cat({0x07, version, u16(id), u16(tag), opcode, level, u16(static_cast<unsigned>(metadata.size())),
                     u16(0x0001)});
    out.insert(out.end(), metadata.begin(), metadata.end());
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

inline bytes simple_event(int level, const bytes& metadata, const bytes& payload) {
    return event(0, 0, 0, 0, level, metadata, payload);
}

}  // namespace ehtrace_test
