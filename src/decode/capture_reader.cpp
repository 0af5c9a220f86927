#include <ehtrace/decode/capture_reader.hpp>

#include "byte_order.hpp"

#include <cstring>

namespace ehtrace::decode {

bool capture_reader::next(capture_record& record) {
    if (error_) return false;
    input_.consume(pending_consume_);
    pending_consume_ = 0;
    const std::uint64_t offset = input_.offset();
    const auto size_bytes = input_.peek(4);
    if (size_bytes.empty()) {
        if (!input_.io_error().empty()) error_ = {"read error: " + input_.io_error(), offset};
        return false;
    }
    if (size_bytes.size() < 4) {
        error_ = {"truncated record size", offset};
        return false;
    }
    const std::uint32_t size = load<std::uint32_t>(size_bytes.data(), __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__);
    if (size < 5 || size > max_record_size) {
        error_ = {"bad record size " + std::to_string(size), offset};
        return false;
    }
    const auto bytes = input_.peek(size);
    if (bytes.size() < size) {
        error_ = {"truncated record (" + std::to_string(size) + " bytes declared, " + std::to_string(bytes.size()) +
                      " present)",
                  offset};
        return false;
    }
    const auto* name = bytes.data() + 4;
    const auto* nul = static_cast<const std::byte*>(std::memchr(name, 0, size - 4));
    if (nul == nullptr) {
        error_ = {"record has no NUL-terminated tracepoint name", offset};
        return false;
    }
    record.tracepoint_name = {reinterpret_cast<const char*>(name), static_cast<std::size_t>(nul - name)};
    record.event = bytes.subspan(static_cast<std::size_t>(nul + 1 - bytes.data()));
    record.offset = offset;
    pending_consume_ = size;
    return true;
}

bool looks_like_capture(std::span<const std::byte> first_bytes) noexcept {
    if (first_bytes.size() < 6) return false;
    const std::uint32_t size = load<std::uint32_t>(first_bytes.data(), __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__);
    if (size < 6 || size > capture_reader::max_record_size) return false;
    // The name starts with a printable character.
    const auto c = static_cast<unsigned char>(first_bytes[4]);
    return c > 0x20 && c < 0x7F;
}

}  // namespace ehtrace::decode
