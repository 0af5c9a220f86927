// The writer the kill-loop tests record: EHTRACE_CAPTURE=<file> from the
// environment, `threads` threads each writing Seq events numbered 0, 1, 2...
// (field t = thread, i = number), paced so that the recorder never loses one.
//
//   crash_writer THREADS MODE [EVENTS]
//
// MODE run: write until killed. abort / exit / segv: thread 0 ends the
// process that way (abort(), _exit(3), SIGSEGV) after EVENTS events of its
// own, the others still writing. count: every thread writes EVENTS events,
// then main returns (a normal exit). The process writes "ready\n" on stdout once
// every thread has written its first event.
#include <ehtrace/provider.hpp>

#include <sys/resource.h>
#include <unistd.h>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

EHTRACE_PROVIDER(crash_provider, "EhtraceTest_Crash");

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: crash_writer THREADS run|abort|exit|segv [EVENTS]\n");
        return 2;
    }
    const int threads = std::atoi(argv[1]);
    const std::string mode = argv[2];
    const long die_after = argc > 3 ? std::atol(argv[3]) : 0;
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);  // abort and SIGSEGV without a core dump

    ehtrace::provider_registration registration(crash_provider);
    std::atomic<int> started{0};
    const auto work = [&](int t) {
        for (long i = 0; mode != "count" || i < die_after; ++i) {
            EHTRACE_WRITE(crash_provider, "Seq", ehtrace::field<"t">(t), ehtrace::field<"i">(i));
            if (i == 0 && started.fetch_add(1) + 1 == threads) {
                static const char ready[] = "ready\n";
                (void)!::write(STDOUT_FILENO, ready, sizeof ready - 1);
            }
            if (t == 0 && mode != "run" && mode != "count" && i + 1 == die_after) {
                if (mode == "abort") std::abort();
                if (mode == "exit") ::_exit(3);
                std::raise(SIGSEGV);
            }
            if (i % 64 == 63) ::usleep(200);  // at most ~300k events/s per thread
        }
    };
    std::vector<std::thread> workers;
    for (int t = 1; t < threads; ++t) workers.emplace_back(work, t);
    work(0);
    for (auto& w : workers) w.join();
}
