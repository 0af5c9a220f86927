// Built against the installed header-only ehtrace::wire alone (no library
// linked): the wire contract, checked at compile time and at run time.
#include <ehtrace/wire/eventheader.hpp>
#include <ehtrace/wire/tracepoint_name.hpp>

static_assert(ehtrace::format_applies(ehtrace::field_format::port, ehtrace::field_encoding::value16));
static_assert(!ehtrace::format_applies(ehtrace::field_format::port, ehtrace::field_encoding::value8));
static_assert(ehtrace::value_size(ehtrace::field_encoding::value64) == 8);

int main() {
    return ehtrace::format_applies_when_decoding(ehtrace::field_format::ip_address_obsolete,
                                                 ehtrace::field_encoding::value32)
               ? 0
               : 1;
}
