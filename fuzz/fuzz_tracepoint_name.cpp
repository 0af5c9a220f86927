// Fuzz target: the EventHeader tracepoint-name parser. The input is the name.
// Checks beyond "no crash": a parsed name's provider is the text before its
// last '_', the level is 1..255, and the name rebuilt from the parts with
// canonical hex equals the input whenever the input used canonical hex.
#include "fuzz_support.hpp"

#include <ehtrace/decode/tracepoint_name.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ehtrace::decode;
    const std::string_view name(reinterpret_cast<const char*>(data), size);

    const std::string_view stripped = strip_tracepoint_system(name);
    if (stripped.size() > name.size() || stripped.data() < name.data() ||
        stripped.data() + stripped.size() > name.data() + name.size()) {
        ehtrace::fuzz::fail("strip_tracepoint_system returned text outside its input", name);
    }

    for (std::string_view candidate : {name, stripped}) {
        tracepoint_name_parts parts;
        if (!parse_tracepoint_name(candidate, parts)) continue;
        if (parts.level == 0) ehtrace::fuzz::fail("parsed level 0", candidate);
        if (parts.provider.empty() || candidate.substr(0, parts.provider.size()) != parts.provider ||
            candidate.size() <= parts.provider.size() || candidate[parts.provider.size()] != '_' ||
            candidate.substr(parts.provider.size() + 1).find('_') != std::string_view::npos) {
            ehtrace::fuzz::fail("provider is not the text before the last '_'", candidate);
        }
        if (candidate.size() < parts.options.size() ||
            candidate.substr(candidate.size() - parts.options.size()) != parts.options) {
            ehtrace::fuzz::fail("options are not the name's tail", candidate);
        }
        const std::string rebuilt =
            ehtrace::fuzz::tracepoint_name(parts.provider, parts.level, parts.keyword, parts.options);
        // Leading zeros are the only way the input can differ from the rebuilt name.
        if (rebuilt.size() > candidate.size()) ehtrace::fuzz::fail("rebuilt name is longer than the input", candidate);
        if (rebuilt.size() == candidate.size() && rebuilt != candidate) {
            ehtrace::fuzz::fail("rebuilt name differs from the input", candidate);
        }
        for (char letter : {'G', 'A', 'Z', 'g'}) {
            const std::string_view value = find_option(parts.options, letter);
            if (!value.empty() && (value.data() < parts.options.data() ||
                                   value.data() + value.size() > parts.options.data() + parts.options.size())) {
                ehtrace::fuzz::fail("find_option returned text outside the options", candidate);
            }
        }
    }
    // find_option on arbitrary text must stay inside it too.
    const std::string_view value = find_option(name, name.empty() ? 'G' : name[0]);
    if (!value.empty() && (value.data() < name.data() || value.data() + value.size() > name.data() + name.size())) {
        ehtrace::fuzz::fail("find_option returned text outside its input", name);
    }
    return 0;
}
