#include <ehtrace/decode/byte_source.hpp>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace ehtrace::decode {

std::unique_ptr<byte_source> byte_source::open(const std::string& path, std::string& error) {
    if (path == "-") return std::make_unique<byte_source>(STDIN_FILENO, false);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = std::strerror(errno);
        return nullptr;
    }
    return std::make_unique<byte_source>(fd, true);
}

byte_source::byte_source(int fd, bool owns_fd) : fd_(fd), owns_fd_(owns_fd) {}

byte_source::byte_source(std::span<const std::byte> memory) : memory_(memory) {}

byte_source::~byte_source() {
    if (owns_fd_) ::close(fd_);
}

std::span<const std::byte> byte_source::peek(std::size_t n) {
    if (fd_ < 0) {
        const std::size_t position = static_cast<std::size_t>(offset_);
        return memory_.subspan(position, std::min(n, memory_.size() - position));
    }
    if (end_ - begin_ < n && !eof_) {
        if (begin_ != 0) {
            std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        while (end_ < n) {
            if (end_ == buffer_.size()) {
                // Grow with the bytes that actually arrive, not with the size
                // asked for: a short input that claims a huge record stays small.
                const std::size_t want = std::max(n, std::size_t{1} << 16);
                buffer_.resize(std::min(want, std::max(buffer_.size() * 2, std::size_t{1} << 16)));
            }
            const ssize_t got = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
            if (got < 0) {
                if (errno == EINTR) continue;
                io_error_ = std::strerror(errno);
                eof_ = true;
                break;
            }
            if (got == 0) {
                eof_ = true;
                break;
            }
            end_ += static_cast<std::size_t>(got);
        }
    }
    return {buffer_.data() + begin_, std::min(n, end_ - begin_)};
}

void byte_source::consume(std::size_t n) noexcept {
    offset_ += n;
    if (fd_ >= 0) begin_ += n;
}

bool byte_source::skip(std::uint64_t n) {
    while (n != 0) {
        const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(n, 1 << 16));
        const auto got = peek(step);
        consume(got.size());
        n -= got.size();
        if (got.size() < step) return false;
    }
    return true;
}

}  // namespace ehtrace::decode
