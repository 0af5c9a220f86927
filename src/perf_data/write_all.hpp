// writev until every byte is written (short writes continued, EINTR
// retried), for the capture sink and perf_data_writer. Internal.
#pragma once

#include <sys/uio.h>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>

namespace ehtrace::detail {

// Returns 0 or the errno of the failed writev; `iov` is consumed.
inline int write_all(int fd, ::iovec* iov, int iovcnt) noexcept {
    while (iovcnt > 0) {
        const ssize_t written = ::writev(fd, iov, std::min(iovcnt, IOV_MAX));
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

}  // namespace ehtrace::detail
