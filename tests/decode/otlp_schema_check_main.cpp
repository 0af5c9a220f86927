// otlp_schema_check: the schema test's checker (otlp_schema_check.cpp) as a
// command, for bodies another test captured: each FILE must hold one
// ExportLogsServiceRequest (a name ending in "logs.json") or one
// ExportTraceServiceRequest ("traces.json"), checked as a LogsData or
// TracesData line, the same JSON. Prints one line per problem.
//
// Usage: otlp_schema_check FILE...
// Exit status: 0 when every file passes, 1 when one does not, 2 on misuse.
#include "otlp_schema_check.hpp"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: otlp_schema_check FILE...  (*logs.json or *traces.json)\n");
        return 2;
    }
    int bad = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string_view name = argv[i];
        const bool traces = name.ends_with("traces.json");
        if (!traces && !name.ends_with("logs.json")) {
            std::fprintf(stderr, "otlp_schema_check: %s: neither *logs.json nor *traces.json\n", argv[i]);
            return 2;
        }
        std::ifstream in(argv[i], std::ios::binary);
        const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!in.good() && !in.eof()) {
            std::printf("%s: cannot read\n", argv[i]);
            ++bad;
            continue;
        }
        if (const std::string problem = otlp_test::otlp_problem(body, traces); !problem.empty()) {
            std::printf("%s: %s\n", argv[i], problem.c_str());
            ++bad;
        }
    }
    std::printf("otlp_schema_check: %d of %d bodies pass\n", argc - 1 - bad, argc - 1);
    return bad == 0 ? 0 : 1;
}
