// What every ehtrace tool does the same way: --help, --version and usage
// errors.
#pragma once

#include "ehtrace_tool_version.h"  // generated: EHTRACE_VERSION, EHTRACE_GIT_COMMIT

#include <cstdio>
#include <string_view>

namespace ehtrace_tools {

// "ehtrace-decode 3.0.0 (git 1a2b3c4d5e6f)"; without the commit when not
// built from a git checkout.
inline void print_version(const char* tool) {
    if (EHTRACE_GIT_COMMIT[0] != '\0') std::printf("%s %s (git %s)\n", tool, EHTRACE_VERSION, EHTRACE_GIT_COMMIT);
    else std::printf("%s %s\n", tool, EHTRACE_VERSION);
}

// -h or --help (the usage on stdout) and --version, which every tool answers
// the same way and then exits with 0: true when `arg` was one of them.
inline bool answered_help_or_version(std::string_view arg, const char* tool, const char* usage) {
    if (arg == "-h" || arg == "--help") std::fputs(usage, stdout);
    else if (arg == "--version") print_version(tool);
    else return false;
    return true;
}

// A usage error: the problem on one line, then where the usage is. Returns 2,
// the exit status of every usage error.
inline int usage_error(const char* tool, std::string_view problem) {
    std::fprintf(stderr, "%s: %.*s\nTry '%s --help' for more information.\n", tool, static_cast<int>(problem.size()),
                 problem.data(), tool);
    return 2;
}

}  // namespace ehtrace_tools
