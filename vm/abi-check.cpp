// Compiled (syntax only) by vm/build-kernel against the uapi header of the
// kernel being built: fails if tests/vm/user_events_abi.hpp drifts from it.
#include <cstddef>
#include <linux/user_events.h>

#include "user_events_abi.hpp"

#define SAME_FIELD(type, ours, theirs)                                                 \
    static_assert(offsetof(::type, theirs) == offsetof(vmabi::type, ours) &&           \
                  sizeof(::type::theirs) == sizeof(vmabi::type::ours), #type "." #ours)

static_assert(sizeof(::user_reg) == sizeof(vmabi::user_reg));
SAME_FIELD(user_reg, size, size);
SAME_FIELD(user_reg, enable_bit, enable_bit);
SAME_FIELD(user_reg, enable_size, enable_size);
SAME_FIELD(user_reg, flags, flags);
SAME_FIELD(user_reg, enable_addr, enable_addr);
SAME_FIELD(user_reg, name_args, name_args);
SAME_FIELD(user_reg, write_index, write_index);

static_assert(sizeof(::user_unreg) == sizeof(vmabi::user_unreg));
SAME_FIELD(user_unreg, size, size);
SAME_FIELD(user_unreg, disable_bit, disable_bit);
SAME_FIELD(user_unreg, reserved, __reserved);
SAME_FIELD(user_unreg, reserved2, __reserved2);
SAME_FIELD(user_unreg, disable_addr, disable_addr);

static_assert(DIAG_IOCSREG == vmabi::iocsreg);
static_assert(DIAG_IOCSDEL == vmabi::iocsdel);
static_assert(DIAG_IOCSUNREG == vmabi::iocsunreg);
static_assert(USER_EVENT_REG_PERSIST == vmabi::reg_persist);
static_assert(USER_EVENT_REG_MULTI_FORMAT == vmabi::reg_multi_format);
