// Hand-assembles test input byte by byte, in an explicit byte order, so the
// expected wire layout is spelled out in the test rather than produced by the
// code under test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

namespace ehtrace::test {

// The tracefs format file of an EventHeader user_events tracepoint,
// Acme_L4K1 with ID 1500, as the kernel writes it.
inline constexpr char acme_eventheader_format[] =
    "name: Acme_L4K1\nID: 1500\nformat:\n"
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
    "\tfield:u8 eventheader_flags;\toffset:8;\tsize:1;\tsigned:0;\n"
    "\tfield:u8 version;\toffset:9;\tsize:1;\tsigned:0;\n"
    "\tfield:u16 id;\toffset:10;\tsize:2;\tsigned:0;\n"
    "\tfield:u16 tag;\toffset:12;\tsize:2;\tsigned:0;\n"
    "\tfield:u8 opcode;\toffset:14;\tsize:1;\tsigned:0;\n"
    "\tfield:u8 level;\toffset:15;\tsize:1;\tsigned:0;\n\n"
    "print fmt: \"\"\n";

class bytes {
public:
    explicit bytes(bool big_endian = false) : big_endian_(big_endian) {}
    bytes& u8(unsigned v) {
        data_.push_back(static_cast<std::byte>(v));
        return *this;
    }
    bytes& u16(unsigned v) { return put(v, 2); }
    bytes& u32(std::uint64_t v) { return put(v, 4); }
    bytes& u64(std::uint64_t v) { return put(v, 8); }
    bytes& raw(std::initializer_list<unsigned> list) {
        for (auto v : list) u8(v);
        return *this;
    }
    bytes& str(std::string_view s) {
        for (char c : s) u8(static_cast<unsigned char>(c));
        return *this;
    }
    bytes& zstr(std::string_view s) { return str(s).u8(0); }
    bytes& append(const bytes& other) {
        data_.insert(data_.end(), other.data_.begin(), other.data_.end());
        return *this;
    }
    [[nodiscard]] std::size_t size() const { return data_.size(); }
    [[nodiscard]] std::span<const std::byte> span() const { return data_; }
    std::vector<std::byte>& vec() { return data_; }

private:
    bytes& put(std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i) {
            const int shift = big_endian_ ? 8 * (n - 1 - i) : 8 * i;
            data_.push_back(static_cast<std::byte>((v >> shift) & 0xFF));
        }
        return *this;
    }
    std::vector<std::byte> data_;
    bool big_endian_;
};

// An EventHeader event: header + one metadata block (+ optional activity ids)
// + payload. Flags: 0x01 64-bit, 0x02 little-endian, 0x04 extensions.
inline bytes event(bool big_endian, unsigned level, const bytes& metadata, const bytes& payload, unsigned opcode = 0,
                   unsigned id = 0, unsigned version = 0, unsigned tag = 0, std::span<const std::byte> activity = {}) {
    bytes b(big_endian);
    b.u8(0x01 | (big_endian ? 0 : 0x02) | 0x04).u8(version).u16(id).u16(tag).u8(opcode).u8(level);
    if (!activity.empty()) {
        b.u16(static_cast<unsigned>(activity.size())).u16(0x8002);
        for (auto x : activity) b.u8(static_cast<unsigned>(x));
    }
    b.u16(static_cast<unsigned>(metadata.size())).u16(0x0001).append(metadata).append(payload);
    return b;
}

}  // namespace ehtrace::test
