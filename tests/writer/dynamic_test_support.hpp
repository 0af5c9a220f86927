// The dynamic API's tests use the shared helpers under their own namespace.
#pragma once

#include "event_test_support.hpp"

namespace dynamic_test {
using namespace ehtrace_test;
}  // namespace dynamic_test
