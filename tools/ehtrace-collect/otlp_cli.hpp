// ehtrace-collect's side of --otlp: the option's checks, the exporter with
// the tool's settings, and what it reports on stderr.
#pragma once

#include "otlp_exporter.hpp"

#include <memory>
#include <string>

namespace ehtrace_tools {

// -1 when `url` can be used; else the usage error's exit status (2), reported.
int check_otlp_url(const std::string& url);
// The exporter POSTing to `url`; null with *error set.
std::unique_ptr<otlp_exporter> make_otlp_exporter(const std::string& url, std::string* error);
// On every poll: sends batches that are due; `verbose`: the counts every 10 s.
void otlp_tick(otlp_exporter& exporter, bool verbose);
// At the end: up to 5 s to send what is left, then the counts (unless `quiet`).
void otlp_finish(otlp_exporter& exporter, bool quiet);

}  // namespace ehtrace_tools
