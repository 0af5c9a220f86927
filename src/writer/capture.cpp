// The capture sink: every event of the process appended to one file.
#include <ehtrace/sink.hpp>

#include <ehtrace/perf_data_writer.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <map>
#include <new>
#include <sched.h>
#include <sys/uio.h>
#include <unistd.h>

namespace ehtrace {

// perf.data mode. The writer buffers samples and writes the header, the
// attrs and the tracepoint formats when it is closed, so:
//  - Everything goes through one perf_data_writer under `mutex`.
//  - Tracepoints registered after the first sample (a provider registered
//    late, a plugin dlopen'ed) are declared to the writer then: it keeps
//    attrs and formats until close() and a sample names its tracepoint by a
//    stable index, so late declarations are valid (see add_tracepoint).
//  - The file belongs to the process that opened it (`owner`). A forked
//    child shares the fd and holds a copy of the unwritten buffer; if it
//    wrote or closed, the file would be corrupt. So in any other process
//    add() and write() return EPERM without touching the writer (nor the
//    mutex, which fork may have copied locked), and finish() and the
//    destructor leave the file alone: a child's events are dropped. Use a
//    ".dat" capture to record forking programs across processes.
struct capture_sink::perf_state {
    static constexpr std::uint32_t first_id = 0x4000;  // synthetic ids, u16 (common_type)

    pid_t owner = ::getpid();
    clockid_t clock = CLOCK_MONOTONIC;
    std::mutex mutex;
    perf_data_writer writer;
    std::map<std::string, int, std::less<>> indexes;  // tracepoint name -> writer index
    std::vector<std::byte> payload;                    // scratch for write()

    bool owned_here() const noexcept { return ::getpid() == owner; }
};

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
        std::unique_ptr<perf_state> perf(new (std::nothrow) perf_state);
        if (!perf) {
            error = ENOMEM;
            return nullptr;
        }
        error = perf->writer.open(path.c_str(), perf->clock);
        if (error != 0) return nullptr;
        std::unique_ptr<capture_sink> sink(new (std::nothrow) capture_sink(-1, path, format));
        if (!sink) {
            error = ENOMEM;
            return nullptr;
        }
        sink->perf_ = std::move(perf);
        return sink;
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
    if (perf_ && !perf_->owned_here()) {
        // A forked child: destroying the writer would close (and so rewrite)
        // the parent's file. Leave it be; the memory goes with the process.
        static std::atomic<perf_state*> abandoned{nullptr};
        abandoned.store(perf_.release(), std::memory_order_relaxed);
    }
    if (fd_ >= 0) ::close(fd_);
}

int capture_sink::add(basic_tracepoint& tp) noexcept {
    if (perf_) {
        if (!perf_->owned_here()) return EPERM;
        try {
            std::lock_guard lock(perf_->mutex);
            std::string_view const name = tp.name();
            if (perf_->indexes.find(name) == perf_->indexes.end()) {
                auto const id = perf_state::first_id + static_cast<std::uint32_t>(perf_->indexes.size());
                if (id > 0xFFFF) return ENOSPC;
                std::string const format = synthesize_user_events_format(tp.command(), id);
                if (format.empty()) return EINVAL;
                int const index = perf_->writer.add_tracepoint("user_events", name, format, id);
                if (index < 0) return -index;
                perf_->indexes.emplace(name, index);
            }
        } catch (std::bad_alloc const&) {
            return ENOMEM;
        }
    }
    tp.enable_word().store(1u << basic_tracepoint::enable_bit, std::memory_order_relaxed);
    return 0;
}

void capture_sink::remove(basic_tracepoint& tp) noexcept { tp.enable_word().store(0, std::memory_order_relaxed); }

int capture_sink::write(const basic_tracepoint& tp, ::iovec* iov, int iovcnt, std::size_t event_size) noexcept {
    if (perf_) {
        perf_state& perf = *perf_;
        if (!perf.owned_here()) return EPERM;
        int const cpu = ::sched_getcpu();
        auto const pid = static_cast<std::uint32_t>(perf.owner);
        auto const tid = static_cast<std::uint32_t>(::gettid());
        try {
            std::lock_guard lock(perf.mutex);
            // Timed under the lock: samples land in the file in time order.
            ::timespec ts{};
            ::clock_gettime(perf.clock, &ts);
            auto const time_ns =
                static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
            auto const found = perf.indexes.find(tp.name());
            if (found == perf.indexes.end()) return EBADF;  // not added to this sink
            perf.payload.clear();
            perf.payload.reserve(event_size);
            for (int i = 1; i < iovcnt; ++i) {
                auto const* data = static_cast<std::byte const*>(iov[i].iov_base);
                perf.payload.insert(perf.payload.end(), data, data + iov[i].iov_len);
            }
            return perf.writer.write_user_event(found->second, time_ns, cpu < 0 ? 0u : static_cast<std::uint32_t>(cpu),
                                                pid, tid, perf.payload);
        } catch (std::bad_alloc const&) {
            return ENOMEM;
        }
    }
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
    std::size_t size = sizeof(std::uint32_t) + name.size() + 1 + event_size;
    if (size > UINT32_MAX) return E2BIG;
    std::uint32_t size_le = static_cast<std::uint32_t>(size);
    if constexpr (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__) size_le = __builtin_bswap32(size_le);

    out[0] = {&size_le, sizeof size_le};
    out[1] = {const_cast<char*>(name.data()), name.size()};
    out[2] = {const_cast<char*>(&nul), 1};
    for (int i = 1; i < iovcnt; ++i) out[i + 2] = iov[i];
    return write_all(fd_, out, iovcnt + 2);
}

void capture_sink::finish() noexcept {
    if (!perf_ || !perf_->owned_here()) return;
    std::lock_guard lock(perf_->mutex);
    if (perf_->writer.is_open()) {
        if (int const error = perf_->writer.close(); error != 0) {
            std::fprintf(stderr, "ehtrace: completing %s failed: %s\n", path_.c_str(), std::strerror(error));
        }
    }
}

std::string capture_sink::describe() const {
    return "capture mode: events are appended to " + path_ +
           (format_ == file_format::dat ? " (capture record layout)" : " (perf.data)");
}

}  // namespace ehtrace
