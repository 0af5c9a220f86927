// Opt-in: IPv4 and IPv6 addresses from <netinet/in.h> as fields, so that
// the core header <ehtrace/fields.hpp> need not include it.
//
//   in_addr   value32 with the ip_address format (network byte order, as stored)
//   in6_addr  value128 with the ip_address format
// Both also as elements of arrays, std::array, std::optional and (with
// <ehtrace/ranges.hpp>) vectors and spans. ehtrace::ipv4(uint32_t) and
// ehtrace::port(uint16_t) are in the core header.
#pragma once

#include <ehtrace/fields.hpp>

#include <netinet/in.h>

namespace ehtrace::detail {

static_assert(sizeof(in_addr) == 4 && sizeof(in6_addr) == 16, "ehtrace: unexpected in_addr or in6_addr size");

template <>
struct field_support<in_addr> {
    static constexpr scalar_kind kind{enc(field_encoding::value32), fmt(field_format::ip_address)};
};

template <>
struct field_support<in6_addr> {
    static constexpr scalar_kind kind{enc(field_encoding::value128), fmt(field_format::ip_address)};
};

}  // namespace ehtrace::detail
