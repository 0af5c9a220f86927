// Compiled (syntax only) by vm/build-kernel against the uapi header of the
// kernel being built: fails if the library's user_events ABI
// (include/ehtrace/wire/user_events.hpp) drifts from it. The library header
// checks sizes and ioctl numbers itself wherever the system has the header;
// this adds every field's place and the flags, against the newest kernel.
#include <linux/user_events.h>
#include <cstddef>

#include <ehtrace/wire/user_events.hpp>

#define SAME_FIELD(type, ours, theirs)                                              \
    static_assert(offsetof(::type, theirs) == offsetof(ehtrace::abi::type, ours) && \
                      sizeof(::type::theirs) == sizeof(ehtrace::abi::type::ours),   \
                  #type "." #ours)

static_assert(sizeof(::user_reg) == sizeof(ehtrace::abi::user_reg));
SAME_FIELD(user_reg, size, size);
SAME_FIELD(user_reg, enable_bit, enable_bit);
SAME_FIELD(user_reg, enable_size, enable_size);
SAME_FIELD(user_reg, flags, flags);
SAME_FIELD(user_reg, enable_addr, enable_addr);
SAME_FIELD(user_reg, name_args, name_args);
SAME_FIELD(user_reg, write_index, write_index);

static_assert(sizeof(::user_unreg) == sizeof(ehtrace::abi::user_unreg));
SAME_FIELD(user_unreg, size, size);
SAME_FIELD(user_unreg, disable_bit, disable_bit);
SAME_FIELD(user_unreg, reserved, __reserved);
SAME_FIELD(user_unreg, reserved2, __reserved2);
SAME_FIELD(user_unreg, disable_addr, disable_addr);

static_assert(DIAG_IOCSREG == ehtrace::abi::diag_iocsreg);
static_assert(DIAG_IOCSDEL == ehtrace::abi::diag_iocsdel);
static_assert(DIAG_IOCSUNREG == ehtrace::abi::diag_iocsunreg);
static_assert(USER_EVENT_REG_PERSIST == ehtrace::abi::reg_flag_persist);
static_assert(USER_EVENT_REG_MULTI_FORMAT == ehtrace::abi::reg_flag_multi_format);
