// The guest half of vm.otlp_collect (tests/vm/otlp_collect_test.py runs the
// host half): the real ehtrace-collect binary, dynamically linked with
// libcurl, collects ehtrace_vm_otel_writer's OpenTelemetry events from the
// kernel and POSTs them as OTLP/HTTP to the receiver on the host, reached
// through qemu's user-mode network. The host passes the receiver's URL and
// the record counts on the kernel command line:
//
//     ehtrace.otlp=http://10.0.2.2:PORT ehtrace.otlp_logs=N ehtrace.otlp_spans=M
//
// Here: the collector ran, lost nothing, and reports every record sent and
// none dropped or failed; its -o file, decoded as otlp-logs and otlp-traces,
// holds the same records. What the receiver got is checked on the host.
#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// The "ehtrace.<key>=<value>" words of the kernel command line.
std::map<std::string, std::string> command_line_parameters() {
    std::map<std::string, std::string> out;
    std::ifstream in("/proc/cmdline");
    std::string word;
    while (in >> word) {
        if (word.rfind("ehtrace.", 0) != 0) continue;
        const auto eq = word.find('=');
        if (eq != std::string::npos) out[word.substr(8, eq - 8)] = word.substr(eq + 1);
    }
    return out;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs argv with stdout and stderr into `output`; the wait status.
int run(const std::vector<std::string>& argv, const std::string& output) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) ::_exit(126);
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        std::perror("execv");
        ::_exit(127);
    }
    int status = -1;
    ::waitpid(pid, &status, 0);
    return status;
}

// The file's events through one of the OTLP formatters.
std::string decode_as(const std::string& path, ehtrace::decode::output_format format) {
    std::string error;
    auto input = ehtrace::decode::byte_source::open(path, error);
    EXPECT_TRUE(input) << error;
    if (!input) return {};
    const auto f = ehtrace::decode::make_formatter(format, {});
    ehtrace::decode::perf_data_reader reader(*input);
    ehtrace::decode::perf_sample sample;
    ehtrace::decode::sample_decoder decoder;
    std::string out;
    f->begin(out);
    f->begin_input(out, path);
    while (reader.next(sample)) EXPECT_TRUE(f->sample(out, decoder.decode(sample)));
    EXPECT_FALSE(reader.error()) << reader.error().message;
    f->end_input(out);
    f->end(out);
    return out;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

}  // namespace

TEST(OtlpCollect, CollectorSendsEveryRecordToTheHost) {
    const auto parameters = command_line_parameters();
    ASSERT_TRUE(parameters.contains("otlp") && parameters.contains("otlp_logs") && parameters.contains("otlp_spans"))
        << "run by tests/vm/otlp_collect_test.py, which puts ehtrace.otlp=URL ehtrace.otlp_logs=N "
           "ehtrace.otlp_spans=M on the kernel command line";
    const std::string url = parameters.at("otlp");
    const std::string logs = parameters.at("otlp_logs"), spans = parameters.at("otlp_spans");
    const unsigned long long records = std::stoull(logs) + std::stoull(spans);

    const std::string output = "/tmp/collect.out";
    std::vector<std::string> argv{"/tests/ehtrace-collect", "--otlp", url, "--buffer", "4096", "-o", "/tmp/otel.data"};
    for (int level = 1; level <= 5; ++level) argv.push_back("otelvm_L" + std::to_string(level) + "K1");
    argv.insert(argv.end(), {"--", "/tests/ehtrace_vm_otel_writer", logs, spans});
    const int status = run(argv, output);
    const std::string text = read_file(output);
    std::printf("--- ehtrace-collect's output ---\n%s--- end ---\n", text.c_str());
    ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
    ASSERT_EQ(WEXITSTATUS(status), 0);

    EXPECT_NE(text.find("otel-writer: wrote " + logs + " logs and " + spans + " spans"), std::string::npos);
    EXPECT_NE(text.find("ehtrace-collect: lost 0 events"), std::string::npos);
    std::smatch m;
    ASSERT_TRUE(
        std::regex_search(text, m,
                          std::regex(R"(otlp: (\d+) records sent in (\d+) batches, (\d+) retries, (\d+) records )"
                                     R"(dropped, (\d+) failed)")))
        << "no otlp summary";
    EXPECT_EQ(std::stoull(m[1]), records) << "records sent";
    EXPECT_EQ(m[4].str(), "0") << "records dropped";
    EXPECT_EQ(m[5].str(), "0") << "records failed";
    std::printf("EHTRACE-OTLP-GUEST sent=%s batches=%s retries=%s\n", m[1].str().c_str(), m[2].str().c_str(),
                m[3].str().c_str());

    // The file the collector wrote beside, through the decoder's formatters:
    // the same records as were sent.
    const std::string logs_json = decode_as("/tmp/otel.data", ehtrace::decode::output_format::otlp_logs);
    const std::string spans_json = decode_as("/tmp/otel.data", ehtrace::decode::output_format::otlp_traces);
    EXPECT_EQ(count(logs_json, R"("eventName":"vm.log")"), std::stoull(logs));
    EXPECT_EQ(count(spans_json, R"("name":"guest span )"), std::stoull(spans));
}
