// expect: ^$
#include <ehtrace/chrono.hpp>
#include <ehtrace/net.hpp>
#include <ehtrace/provider.hpp>
#include <ehtrace/ranges.hpp>

#include <netinet/in.h>
#include <array>
#include <chrono>
#include <list>
#include <span>
#include <string>
#include <string_view>
#include <vector>
// The control case of the opt-in headers: with them, their types compile
// (the *_without_header cases fail for the header alone).
EHTRACE_PROVIDER(p, "P");
void f(in_addr a4, in6_addr a6, const std::vector<int>& v, std::span<const in_addr> s, std::span<const short, 2> s2,
       const std::list<std::string>& l, const std::array<std::string_view, 2>& names, std::chrono::milliseconds d) {
    EHTRACE_WRITE(p, "E", ehtrace::field<"a4">(a4), ehtrace::field<"a6">(a6), ehtrace::field<"v">(v),
                  ehtrace::field<"s">(s), ehtrace::field<"s2">(s2), ehtrace::field<"l">(l),
                  ehtrace::field<"names">(names), ehtrace::field<"d_ns">(d),
                  ehtrace::field<"t">(std::chrono::system_clock::now()), ehtrace::field<"x">({"a", "b"}),
                  ehtrace::field<"h">(ehtrace::hex(v)));
}
