// Tracepoint list files (ehtrace-register -f, ehtrace-collect -i): one name,
// spec or user_events command per line; '#' starts a comment; blank lines
// and surrounding blanks are ignored.
#pragma once

#include <ehtrace/collect/tracefs_cache.hpp>

#include <cstring>
#include <string>
#include <vector>

namespace ehtrace_tools {

inline bool read_list(const std::string& path, std::vector<std::string>& out, std::string& error) {
    std::string text;
    if (int e = ehtrace::collect::read_text_file(path, text)) {
        error = "cannot read " + path + ": " + std::strerror(e);
        return false;
    }
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        start = end + 1;
        if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.pop_back();
        std::size_t first = 0;
        while (first < line.size() && (line[first] == ' ' || line[first] == '\t')) ++first;
        if (first < line.size()) out.push_back(line.substr(first));
    }
    return true;
}

}  // namespace ehtrace_tools
