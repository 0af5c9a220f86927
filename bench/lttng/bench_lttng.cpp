// The side-by-side benchmark (issue 14): LTTng-UST recording the same 4-field
// event as BM_CapturePerfData (int32 x, double d, an 11-character string,
// uint64 u) into a userspace session on tmpfs.
//
// Run as is, the program sets LTTng up itself: a private lttng-sessiond
// --no-kernel (LTTNG_HOME in a temporary directory on /dev/shm), a session
// writing there with the event enabled, then runs itself again as the traced
// application, and at the end stops the session and the session daemon (by
// its pid). When the session daemon cannot start, it says why and exits 77.
#include "bench_lttng_tp.h"

#include <benchmark/benchmark.h>

#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

const char string11[] = "hello world";

void BM_LttngUst4Fields(benchmark::State& state) {
    std::int32_t x = 42;
    double d = 3.25;
    std::uint64_t u = 0x1234567890ull;
    for (auto _ : state) {
        lttng_ust_tracepoint(ehtrace_bench, bench4, x, d, string11, u);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_LttngUst4Fields)->Threads(1)->Threads(2)->UseRealTime();

int run_benchmarks(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

int lttng(const std::string& args, const std::string& log) {
    const int status = std::system(("lttng " + args + " >>" + log + " 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int main(int argc, char** argv) {
    if (std::getenv("EHTRACE_BENCH_LTTNG_APP") != nullptr) return run_benchmarks(argc, argv);

    char dir_template[] = "/dev/shm/ehtrace-bench-lttng-XXXXXX";
    const char* dir = ::mkdtemp(dir_template);
    if (dir == nullptr) {
        std::perror("ehtrace-bench-lttng: mkdtemp");
        return 1;
    }
    const std::string log = std::string(dir) + "/lttng.log";
    ::setenv("LTTNG_HOME", dir, 1);

    const pid_t sessiond = ::fork();
    if (sessiond == 0) {
        std::freopen(log.c_str(), "a", stdout);
        std::freopen(log.c_str(), "a", stderr);
        ::execlp("lttng-sessiond", "lttng-sessiond", "--no-kernel", static_cast<char*>(nullptr));
        std::perror("lttng-sessiond");
        ::_exit(127);
    }
    bool up = false;
    for (int i = 0; i < 100 && !up; ++i) {
        ::usleep(100000);
        if (::waitpid(sessiond, nullptr, WNOHANG) == sessiond) break;
        up = lttng("list", log) == 0;
    }
    const auto cleanup = [&] {
        if (up) ::kill(sessiond, SIGTERM);
        ::waitpid(sessiond, nullptr, 0);
        std::system(("rm -rf " + std::string(dir)).c_str());
    };
    if (!up) {
        std::fprintf(stderr,
                     "ehtrace-bench-lttng: skipped: lttng-sessiond --no-kernel did not start (install lttng-tools; "
                     "is another session daemon running?)\n");
        std::system(("cat " + log + " >&2").c_str());
        ::kill(sessiond, SIGTERM);
        cleanup();
        return 77;
    }
    int status = 1;
    if (lttng("create ehtrace-bench --output=" + std::string(dir) + "/trace", log) == 0 &&
        lttng("enable-event -u ehtrace_bench:bench4", log) == 0 && lttng("start", log) == 0) {
        const pid_t app = ::fork();
        if (app == 0) {
            ::setenv("EHTRACE_BENCH_LTTNG_APP", "1", 1);
            ::setenv("LTTNG_UST_REGISTER_TIMEOUT", "10000", 1);  // registered before the first event
            ::execv("/proc/self/exe", argv);
            ::_exit(127);
        }
        int app_status = 0;
        ::waitpid(app, &app_status, 0);
        status = WIFEXITED(app_status) ? WEXITSTATUS(app_status) : 1;
        lttng("stop", log);
        // What the session dropped (discard mode: full sub-buffers lose events).
        std::system("lttng list ehtrace-bench 2>&1 | grep -i -E 'discarded|lost' >&2");
        lttng("destroy ehtrace-bench", log);
    } else {
        std::fprintf(stderr, "ehtrace-bench-lttng: setting up the session failed:\n");
        std::system(("cat " + log + " >&2").c_str());
    }
    cleanup();
    return status;
}
