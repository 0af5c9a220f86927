// The kernel's user_events ioctl ABI (Linux 6.4+). Debian 12's headers lack
// <linux/user_events.h>, so the definitions are ours; where the system has
// the header they are checked against it.
#pragma once

#include <sys/ioctl.h>
#include <cstdint>

namespace ehtrace::abi {

struct user_reg {
    std::uint32_t size;
    std::uint8_t enable_bit;
    std::uint8_t enable_size;  // 4 or 8
    std::uint16_t flags;
    std::uint64_t enable_addr;
    std::uint64_t name_args;
    std::uint32_t write_index;  // out
} __attribute__((packed));

struct user_unreg {
    std::uint32_t size;
    std::uint8_t disable_bit;
    std::uint8_t reserved;
    std::uint16_t reserved2;
    std::uint64_t disable_addr;
} __attribute__((packed));

static_assert(sizeof(user_reg) == 28);
static_assert(sizeof(user_unreg) == 16);

// The kernel declares these with pointer types, so the size field is 8.
inline constexpr unsigned long diag_iocsreg = _IOWR('*', 0, user_reg*);
inline constexpr unsigned long diag_iocsdel = _IOW('*', 1, char*);
inline constexpr unsigned long diag_iocsunreg = _IOW('*', 2, user_unreg*);

// user_reg.flags
inline constexpr std::uint16_t reg_flag_persist = 1u << 0;       // 6.7+, CAP_PERFMON
inline constexpr std::uint16_t reg_flag_multi_format = 1u << 1;  // 6.9+

}  // namespace ehtrace::abi

#if __has_include(<linux/user_events.h>)
#include <linux/user_events.h>
static_assert(ehtrace::abi::diag_iocsreg == DIAG_IOCSREG);
static_assert(ehtrace::abi::diag_iocsdel == DIAG_IOCSDEL);
static_assert(ehtrace::abi::diag_iocsunreg == DIAG_IOCSUNREG);
static_assert(sizeof(ehtrace::abi::user_reg) == sizeof(struct user_reg));
static_assert(sizeof(ehtrace::abi::user_unreg) == sizeof(struct user_unreg));
#endif
