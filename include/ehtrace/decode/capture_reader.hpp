// Reader for event capture (".dat") files: records of
// u32 size_le (whole record), NUL-terminated tracepoint name, event bytes.
#pragma once

#include <ehtrace/decode/byte_source.hpp>

#include <cstdint>
#include <span>
#include <string_view>

namespace ehtrace::decode {

struct capture_record {
    std::string_view tracepoint_name;
    std::span<const std::byte> event;  // header onward
    std::uint64_t offset = 0;          // of the record in the input
};

class capture_reader {
public:
    // Records larger than this are treated as damage, which bounds memory.
    static constexpr std::uint32_t max_record_size = 1u << 20;

    explicit capture_reader(byte_source& input) noexcept : input_(input) {}

    // The next record, valid until the next call. False at the end of input or
    // on damage (then error() is set).
    bool next(capture_record& record);
    [[nodiscard]] const read_error& error() const noexcept { return error_; }

private:
    byte_source& input_;
    read_error error_;
    std::uint32_t pending_consume_ = 0;
};

// True when the first bytes look like a capture file record.
[[nodiscard]] bool looks_like_capture(std::span<const std::byte> first_bytes) noexcept;

}  // namespace ehtrace::decode
