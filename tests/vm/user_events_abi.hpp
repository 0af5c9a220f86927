// The kernel's user_events ABI (Linux 6.4+), declared here because Debian 12's
// kernel headers lack <linux/user_events.h>. vm/build-kernel checks these
// against the uapi header of the kernel it builds (vm/abi-check.cpp).
#pragma once

#include <cstdint>
#include <linux/ioctl.h>

namespace vmabi {

struct user_reg {
    std::uint32_t size;         // in: sizeof(user_reg)
    std::uint8_t enable_bit;    // in: bit of the enable word to flip
    std::uint8_t enable_size;   // in: 4 or 8
    std::uint16_t flags;        // in: reg_persist | reg_multi_format | 0
    std::uint64_t enable_addr;  // in: address of the enable word
    std::uint64_t name_args;    // in: "name field; field"
    std::uint32_t write_index;  // out: first 4 bytes of every write
} __attribute__((__packed__));

struct user_unreg {
    std::uint32_t size;
    std::uint8_t disable_bit;
    std::uint8_t reserved;
    std::uint16_t reserved2;
    std::uint64_t disable_addr;
} __attribute__((__packed__));

inline constexpr std::uint16_t reg_persist = 1u << 0;       // 6.7+
inline constexpr std::uint16_t reg_multi_format = 1u << 1;  // 6.9+

inline constexpr unsigned long iocsreg = _IOWR('*', 0, struct user_reg*);
inline constexpr unsigned long iocsdel = _IOW('*', 1, char*);
inline constexpr unsigned long iocsunreg = _IOW('*', 2, struct user_unreg*);

}  // namespace vmabi
