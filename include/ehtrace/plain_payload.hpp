// Payloads for plain (non-EventHeader) tracepoints whose field lists hold
// variable-length fields: "__data_loc char[] name" or "__rel_loc u8[] blob".
// Each such field is a u32 in the fixed part, (size << 16) | offset, and its
// bytes follow all fixed fields:
//   __rel_loc:  offset counted from the end of the u32 itself;
//   __data_loc: offset counted from the start of the kernel's record, whose
//               8-byte common header precedes the bytes a writer supplies.
//
//   ehtrace::plain_payload payload;
//   payload.value(std::uint32_t{7}).rel_loc(blob.data(), blob.size());
//   iovec iov[2] = {{}, payload.iovec()};
//   tp.write(iov, 2);   // tp registered as "name u32 a; __rel_loc u8[] blob"
#pragma once

#include <sys/uio.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace ehtrace {

// Size of the common fields the kernel puts before a user_events payload.
inline constexpr std::size_t kernel_common_header_size = 8;

constexpr std::uint32_t make_rel_loc(std::uint16_t offset_after_field, std::uint16_t size) noexcept {
    return std::uint32_t{size} << 16 | offset_after_field;
}
constexpr std::uint32_t make_data_loc(std::uint16_t offset_in_record, std::uint16_t size) noexcept {
    return std::uint32_t{size} << 16 | offset_in_record;
}

class plain_payload {
public:
    // Fixed-size field bytes, in field order.
    plain_payload& fixed(const void* data, std::size_t size) {
        append(data, size);
        return *this;
    }
    template <class T>
    plain_payload& value(const T& v) {
        return fixed(&v, sizeof v);
    }
    // A __data_loc / __rel_loc field: its u32 goes here, its bytes after the
    // fixed part. For char[] fields, pass the terminating NUL too (or use the
    // string overloads, which add it).
    plain_payload& data_loc(const void* data, std::size_t size) { return location(data, size, false); }
    plain_payload& rel_loc(const void* data, std::size_t size) { return location(data, size, true); }
    plain_payload& data_loc(std::string_view text) { return location_string(text, false); }
    plain_payload& rel_loc(std::string_view text) { return location_string(text, true); }

    // Appends the variable-length bytes and fills in the u32 of every
    // location field. Returns false if the payload would exceed 65,535 bytes
    // (offsets and sizes are 16-bit).
    bool finish() {
        for (const auto& p : pending_) {
            std::size_t start = bytes_.size();
            bytes_.insert(bytes_.end(), p.bytes.begin(), p.bytes.end());
            std::size_t offset = p.relative ? start - (p.slot + 4) : start + kernel_common_header_size;
            if (offset > 0xFFFF || p.bytes.size() > 0xFFFF) return false;
            std::uint32_t loc =
                p.relative
                    ? make_rel_loc(static_cast<std::uint16_t>(offset), static_cast<std::uint16_t>(p.bytes.size()))
                    : make_data_loc(static_cast<std::uint16_t>(offset), static_cast<std::uint16_t>(p.bytes.size()));
            std::memcpy(bytes_.data() + p.slot, &loc, sizeof loc);
        }
        pending_.clear();
        return bytes_.size() <= 0xFFFF;
    }

    const std::vector<std::uint8_t>& bytes() const noexcept { return bytes_; }
    ::iovec iovec() noexcept { return {bytes_.data(), bytes_.size()}; }
    void clear() noexcept {
        bytes_.clear();
        pending_.clear();
    }

private:
    struct pending_location {
        std::size_t slot;
        std::vector<std::uint8_t> bytes;
        bool relative;
    };

    void append(const void* data, std::size_t size) {
        auto* p = static_cast<const std::uint8_t*>(data);
        bytes_.insert(bytes_.end(), p, p + size);
    }
    plain_payload& location(const void* data, std::size_t size, bool relative) {
        auto* p = static_cast<const std::uint8_t*>(data);
        pending_.push_back({bytes_.size(), std::vector<std::uint8_t>(p, p + size), relative});
        bytes_.resize(bytes_.size() + sizeof(std::uint32_t));
        return *this;
    }
    plain_payload& location_string(std::string_view text, bool relative) {
        location(text.data(), text.size(), relative);
        pending_.back().bytes.push_back(0);
        return *this;
    }

    std::vector<std::uint8_t> bytes_;
    std::vector<pending_location> pending_;
};

}  // namespace ehtrace
