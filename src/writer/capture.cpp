// The capture sink: every event of the process appended to one file.
#include <ehtrace/sink.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

namespace ehtrace {

struct capture_sink::perf_state {};

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// writev that finishes short writes; a record torn by a full disk is
// reported, and the file stays readable up to the last whole record.
int write_all(int fd, ::iovec* iov, int iovcnt) {
    while (iovcnt > 0) {
        ssize_t written = ::writev(fd, iov, iovcnt);
        if (written < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        auto left = static_cast<std::size_t>(written);
        while (iovcnt > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            ++iov;
            --iovcnt;
        }
        if (iovcnt > 0) {
            iov->iov_base = static_cast<char*>(iov->iov_base) + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

}  // namespace

std::unique_ptr<capture_sink> capture_sink::open(const std::string& path, int& error) {
    file_format format = ends_with(path, ".dat") ? file_format::dat : file_format::perf_data;
    if (format == file_format::perf_data) {
        error = EPROTONOSUPPORT;  // perf.data capture arrives with the perf.data writer
        return nullptr;
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        error = errno;
        return nullptr;
    }
    error = 0;
    return std::unique_ptr<capture_sink>(new capture_sink(fd, path, format));
}

capture_sink::capture_sink(int fd, std::string path, file_format format)
    : fd_(fd), path_(std::move(path)), format_(format) {}

capture_sink::~capture_sink() {
    finish();
    ::close(fd_);
}

int capture_sink::add(basic_tracepoint& tp) noexcept {
    tp.enable_word().store(1u << basic_tracepoint::enable_bit, std::memory_order_relaxed);
    return 0;
}

void capture_sink::remove(basic_tracepoint& tp) noexcept { tp.enable_word().store(0, std::memory_order_relaxed); }

int capture_sink::write(const basic_tracepoint& tp, ::iovec* iov, int iovcnt) noexcept {
    // [u32 record size][name][NUL][event...]: one writev, so O_APPEND keeps
    // records from different threads and processes whole.
    constexpr int inline_slots = 64;
    static constexpr char nul = '\0';
    ::iovec inline_iov[inline_slots];
    std::unique_ptr<::iovec[]> heap_iov;
    ::iovec* out = inline_iov;
    if (iovcnt + 2 > inline_slots) {
        heap_iov.reset(new (std::nothrow)::iovec[static_cast<std::size_t>(iovcnt) + 2]);
        if (!heap_iov) return ENOMEM;
        out = heap_iov.get();
    }
    std::string_view name = tp.name();
    std::size_t size = sizeof(std::uint32_t) + name.size() + 1;
    for (int i = 1; i < iovcnt; ++i) size += iov[i].iov_len;
    if (size > UINT32_MAX) return E2BIG;
    std::uint32_t size_le = static_cast<std::uint32_t>(size);
    if constexpr (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__) size_le = __builtin_bswap32(size_le);

    out[0] = {&size_le, sizeof size_le};
    out[1] = {const_cast<char*>(name.data()), name.size()};
    out[2] = {const_cast<char*>(&nul), 1};
    for (int i = 1; i < iovcnt; ++i) out[i + 2] = iov[i];
    return write_all(fd_, out, iovcnt + 2);
}

void capture_sink::finish() noexcept {}

std::string capture_sink::describe() const {
    return "capture mode: events are appended to " + path_ +
           (format_ == file_format::dat ? " (capture record layout)" : " (perf.data)");
}

}  // namespace ehtrace
