// Buffered sequential input for the file readers: a file descriptor (file,
// pipe, stdin) or a memory span. Memory use is bounded by the largest single
// request, never by the input size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace ehtrace::decode {

// Where and why reading stopped early.
struct read_error {
    std::string message;
    std::uint64_t offset = 0;  // byte offset in the input
    [[nodiscard]] explicit operator bool() const noexcept { return !message.empty(); }
};

class byte_source {
public:
    // "-" means standard input. Returns nullptr and sets `error` on failure.
    static std::unique_ptr<byte_source> open(const std::string& path, std::string& error);
    byte_source(int fd, bool owns_fd);
    explicit byte_source(std::span<const std::byte> memory);
    ~byte_source();
    byte_source(const byte_source&) = delete;
    byte_source& operator=(const byte_source&) = delete;

    // Up to `n` bytes at the read position (fewer only at end of input or on
    // a read error). Valid until the next call.
    std::span<const std::byte> peek(std::size_t n);
    void consume(std::size_t n) noexcept;
    // Skips n bytes; false if the input ends first.
    bool skip(std::uint64_t n);
    [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
    // The fd, or -1 for memory input.
    [[nodiscard]] int fd() const noexcept { return fd_; }
    // The whole input when it is memory, else empty.
    [[nodiscard]] std::span<const std::byte> memory() const noexcept { return memory_; }
    [[nodiscard]] const std::string& io_error() const noexcept { return io_error_; }

private:
    int fd_ = -1;
    bool owns_fd_ = false;
    std::span<const std::byte> memory_;
    std::vector<std::byte> buffer_;
    std::size_t begin_ = 0, end_ = 0;
    std::uint64_t offset_ = 0;
    bool eof_ = false;
    std::string io_error_;
};

}  // namespace ehtrace::decode
