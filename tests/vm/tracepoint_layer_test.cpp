// The project's tracepoint layer (include/ehtrace/tracepoint.hpp) on a real
// kernel with user_events, inside the test VM as root: the behaviours the raw
// ABI suite establishes, through ehtrace::tracepoint.
#include "vm_helpers.hpp"

#include <ehtrace/tracefs.hpp>
#include <ehtrace/tracepoint.hpp>

#include <gtest/gtest.h>

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <atomic>
#include <cstdio>
#include <memory>
#include <thread>

namespace {

using namespace vmtest;

constexpr size_t common_size = 8;  // common_* fields before the event's own
constexpr char eventheader_fields[] = " u8 eventheader_flags; u8 version; u16 id; u16 tag; u8 opcode; u8 level";

// Writes `len` bytes of `payload` as one event; iov[0] is the layer's.
int write_bytes(const ehtrace::tracepoint& tp, const void* payload, size_t len) {
    iovec iov[2] = {{nullptr, 0}, {const_cast<void*>(payload), len}};
    return tp.write(iov, 2);
}

bool set_tracefs_enable(const std::string& name, bool on) {
    return write_file(event_dir(name) + "/enable", on ? "1" : "0") == 0;
}

TEST(Layer, DiagnosticSaysUserEventsIsAvailable) {
    std::string text = ehtrace::user_events_diagnostic();
    std::printf("user_events_diagnostic(): %s\n", text.c_str());
    EXPECT_EQ(text.rfind("user_events is available", 0), 0u) << text;
}

TEST(Layer, DiagnosticForAnUnprivilegedUser) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(10);
        ehtrace::user_events_probe probe = ehtrace::open_user_events_data();
        std::printf("as uid 65534: %s\n", probe.explain().c_str());
        std::fflush(stdout);
        if (probe.fd >= 0) _exit(11);
        if (probe.error != EACCES) _exit(12);
        // Either "may not write" or, with the directory closed, "not accessible": both give the grant.
        if (probe.explain().find("chmod g+w") == std::string::npos) _exit(13);
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10 setuid, 11 opened, 12 errno, 13 wording";
}

// Run by UnprivilegedWriterWithTheDiagnosticsAdvice in a fresh process (so
// the layer opens user_events_data as this user), never on its own.
TEST(Layer, DISABLED_WriteAsUnprivilegedUser) {
    ASSERT_NE(::getuid(), 0u);
    std::printf("as uid %u: %s\n", ::getuid(), ehtrace::user_events_diagnostic().c_str());
    ehtrace::tracepoint tp;
    ASSERT_EQ(tp.register_command("vmlayer_unprivileged u32 value"), 0);
    EXPECT_TRUE(tp.enabled()) << "pre-registered and enabled by root";
    std::uint32_t value = 0x600d;
    EXPECT_EQ(write_bytes(tp, &value, sizeof value), 0);
}

TEST(Layer, UnprivilegedWriterWithTheDiagnosticsAdvice) {
    // The advice user_events_diagnostic() gives a user without access:
    // group write on user_events_data, group search on the tracing directory.
    const std::string data = std::string(tracefs) + "/user_events_data";
    constexpr gid_t tracing_group = 4242;
    struct stat data_before {
    }, dir_before{};
    ASSERT_EQ(::stat(data.c_str(), &data_before), 0);
    ASSERT_EQ(::stat(tracefs, &dir_before), 0);
    std::printf("before: user_events_data mode %o, tracing dir mode %o\n", data_before.st_mode & 07777,
                dir_before.st_mode & 07777);
    ASSERT_EQ(::chown(data.c_str(), 0, tracing_group), 0) << std::strerror(errno);
    ASSERT_EQ(::chmod(data.c_str(), (data_before.st_mode & 07777) | S_IWGRP), 0) << std::strerror(errno);
    ASSERT_EQ(::chown(tracefs, 0, tracing_group), 0) << std::strerror(errno);
    ASSERT_EQ(::chmod(tracefs, (dir_before.st_mode & 07777) | S_IXGRP), 0) << std::strerror(errno);

    // Root pre-registers the tracepoint and enables it in tracefs.
    ehtrace::tracepoint root_side;
    ASSERT_EQ(root_side.register_command("vmlayer_unprivileged u32 value"), 0);
    ASSERT_TRUE(set_tracefs_enable("vmlayer_unprivileged", true));
    perf_consumer perf;
    ASSERT_EQ(perf.open(event_id("vmlayer_unprivileged")), 0);
    ASSERT_EQ(perf.enable(), 0);

    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        gid_t groups[] = {tracing_group};
        if (::setgroups(1, groups) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(100);
        char self[] = "/proc/self/exe";
        char filter[] = "--gtest_filter=Layer.DISABLED_WriteAsUnprivilegedUser";
        char also[] = "--gtest_also_run_disabled_tests";
        char* argv[] = {self, filter, also, nullptr};
        ::execv(self, argv);
        _exit(101);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "100 setuid, 101 exec, 1 the test failed (output above)";
    auto samples = perf.take_samples();
    ASSERT_EQ(samples.size(), 1u);
    std::uint32_t value = 0x600d;
    EXPECT_TRUE(carries(samples[0], common_size, &value, sizeof value));

    ASSERT_TRUE(set_tracefs_enable("vmlayer_unprivileged", false));
    EXPECT_EQ(::chown(data.c_str(), data_before.st_uid, data_before.st_gid), 0);
    EXPECT_EQ(::chmod(data.c_str(), data_before.st_mode & 07777), 0);
    EXPECT_EQ(::chown(tracefs, dir_before.st_uid, dir_before.st_gid), 0);
    EXPECT_EQ(::chmod(tracefs, dir_before.st_mode & 07777), 0);
}

TEST(Layer, RegisterAndUnregister) {
    ehtrace::tracepoint tp;
    EXPECT_FALSE(tp.registered());
    // The kernel rejects a new event whose field has repeated blanks
    // ("u64   b" is EINVAL): make_command normalizes the list.
    std::string command = ehtrace::make_command("vmlayer_reg", "u32 a;u64   b");
    EXPECT_EQ(command, "vmlayer_reg u32 a; u64 b");
    ASSERT_EQ(tp.register_command(command), 0);
    EXPECT_TRUE(tp.registered());
    EXPECT_GE(tp.write_index(), 0);
    EXPECT_FALSE(tp.enabled());
    EXPECT_EQ(tp.name(), "vmlayer_reg");
    ASSERT_TRUE(exists(event_dir("vmlayer_reg")));
    std::string format = read_file(event_dir("vmlayer_reg") + "/format");
    EXPECT_NE(format.find("field:u32 a;\toffset:8;"), std::string::npos) << format;
    EXPECT_NE(format.find("field:u64 b;\toffset:12;"), std::string::npos) << format;

    EXPECT_EQ(tp.register_command("vmlayer_reg u32 a; u64 b"), EALREADY);
    EXPECT_EQ(tp.unregister(), 0);
    EXPECT_FALSE(tp.registered());
    EXPECT_EQ(tp.unregister(), EALREADY);
    EXPECT_EQ(tp.register_command("vmlayer_reg u32 a; u64 b"), 0) << "again after unregister";
    EXPECT_EQ(tp.unregister(), 0);
}

TEST(Layer, MalformedCommandsAreEINVAL) {
    ehtrace::tracepoint tp;
    EXPECT_EQ(tp.register_command(""), EINVAL);
    EXPECT_EQ(tp.register_command("bad:name u32 a"), EINVAL);
    EXPECT_EQ(tp.register_command(std::string(600, 'x')), EINVAL);
    EXPECT_FALSE(tp.registered());
}

TEST(Layer, EnabledFollowsTracefs) {
    ehtrace::tracepoint tp;
    ASSERT_EQ(tp.register_command("vmlayer_tracefs u32 value"), 0);
    EXPECT_FALSE(tp.enabled());
    ASSERT_TRUE(set_tracefs_enable("vmlayer_tracefs", true));
    EXPECT_TRUE(wait_for([&] { return tp.enabled(); }));
    ASSERT_TRUE(set_tracefs_enable("vmlayer_tracefs", false));
    EXPECT_TRUE(wait_for([&] { return !tp.enabled(); }));
}

TEST(Layer, EnabledFollowsPerfAndWritesReachIt) {
    ehtrace::tracepoint tp;
    ASSERT_EQ(tp.register_command("vmlayer_perf u32 value"), 0);
    {
        perf_consumer perf;
        ASSERT_EQ(perf.open(event_id("vmlayer_perf")), 0);
        ASSERT_EQ(perf.enable(), 0);
        ASSERT_TRUE(wait_for([&] { return tp.enabled(); }));

        const std::uint8_t payload[] = {1, 2, 3, 4, 'm', 'o', 'r', 'e'};
        EXPECT_EQ(write_bytes(tp, payload, sizeof payload), 0);
        // Several event iovecs are concatenated.
        std::uint32_t head = 0xabcdef01;
        char tail[] = "tail";
        iovec iov[3] = {{nullptr, 0}, {&head, sizeof head}, {tail, sizeof tail}};
        EXPECT_EQ(tp.write(iov, 3), 0);

        auto samples = perf.take_samples();
        ASSERT_EQ(samples.size(), 2u);
        EXPECT_TRUE(carries(samples[0], common_size, payload, sizeof payload));
        EXPECT_TRUE(carries(samples[1], common_size, &head, sizeof head));
        EXPECT_TRUE(carries(samples[1], common_size + sizeof head, tail, sizeof tail));
    }
    EXPECT_TRUE(wait_for([&] { return !tp.enabled(); })) << "perf fd closed";
    std::uint32_t value = 7;
    EXPECT_EQ(write_bytes(tp, &value, sizeof value), EBADF);
}

TEST(Layer, WriteErrors) {
    ehtrace::tracepoint tp;
    std::uint32_t value[2] = {1, 2};
    EXPECT_EQ(write_bytes(tp, value, sizeof value), EBADF) << "never registered";
    ASSERT_EQ(tp.register_command("vmlayer_errors u32 a; u32 b"), 0);
    EXPECT_EQ(write_bytes(tp, value, sizeof value), EBADF) << "nobody listens";
    ASSERT_TRUE(set_tracefs_enable("vmlayer_errors", true));
    ASSERT_TRUE(wait_for([&] { return tp.enabled(); }));
    EXPECT_EQ(write_bytes(tp, value, sizeof value), 0);
    EXPECT_EQ(write_bytes(tp, value, 4), EINVAL) << "the kernel's answer: shorter than the fields";
    ASSERT_TRUE(set_tracefs_enable("vmlayer_errors", false));
}

TEST(Layer, UnregisterClearsEnabled) {
    ehtrace::tracepoint tp;
    ASSERT_EQ(tp.register_command("vmlayer_unreg u32 value"), 0);
    ASSERT_TRUE(set_tracefs_enable("vmlayer_unreg", true));
    ASSERT_TRUE(wait_for([&] { return tp.enabled(); }));
    EXPECT_EQ(tp.unregister(), 0);
    EXPECT_FALSE(tp.enabled());
    std::uint32_t value = 1;
    EXPECT_EQ(write_bytes(tp, &value, sizeof value), EBADF);
    ASSERT_EQ(tp.register_command("vmlayer_unreg u32 value"), 0);
    EXPECT_TRUE(wait_for([&] { return tp.enabled(); })) << "still enabled in tracefs: set at registration";
    ASSERT_TRUE(set_tracefs_enable("vmlayer_unreg", false));
    EXPECT_TRUE(wait_for([&] { return !tp.enabled(); }));
}

TEST(Layer, DestructorUnregisters) {
    auto tp = std::make_unique<ehtrace::tracepoint>();
    ASSERT_EQ(tp->register_command("vmlayer_scoped u32 value"), 0);
    ASSERT_TRUE(set_tracefs_enable("vmlayer_scoped", true));
    ASSERT_TRUE(wait_for([&] { return tp->enabled(); }));
    tp.reset();  // the kernel must stop writing into the freed enable word
    ehtrace::tracepoint again;
    EXPECT_EQ(again.register_command("vmlayer_scoped u32 value"), 0);
    EXPECT_TRUE(wait_for([&] { return again.enabled(); }));
    ASSERT_TRUE(set_tracefs_enable("vmlayer_scoped", false));
    EXPECT_TRUE(wait_for([&] { return !again.enabled(); }));
}

TEST(Layer, ReRegistrationSharesTheTracepoint) {
    ehtrace::tracepoint a, b;
    ASSERT_EQ(a.register_command("vmlayer_shared u32 value"), 0);
    ASSERT_EQ(b.register_command("vmlayer_shared   u32   value"), 0);
    EXPECT_EQ(a.write_index(), b.write_index()) << "one process, one data file";
    ASSERT_TRUE(set_tracefs_enable("vmlayer_shared", true));
    EXPECT_TRUE(wait_for([&] { return a.enabled() && b.enabled(); }));
    ASSERT_TRUE(set_tracefs_enable("vmlayer_shared", false));
    EXPECT_TRUE(wait_for([&] { return !a.enabled() && !b.enabled(); }));
}

TEST(Layer, ConflictingFieldListIsEADDRINUSE) {
    ehtrace::tracepoint a, b;
    ASSERT_EQ(a.register_command("vmlayer_conflict u32 value"), 0);
    EXPECT_EQ(b.register_command("vmlayer_conflict u64 value"), EADDRINUSE);
    EXPECT_FALSE(b.registered());
    std::uint64_t value = 1;
    EXPECT_EQ(write_bytes(b, &value, sizeof value), EBADF) << "a failed registration is safe to write";
}

TEST(Layer, ForkInheritsRegistrations) {
    ehtrace::tracepoint tp;
    ASSERT_EQ(tp.register_command("vmlayer_fork u32 value"), 0);
    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        char c;
        if (::read(go[0], &c, 1) != 1) _exit(10);
        if (!wait_for([&] { return tp.enabled(); })) _exit(11);
        std::uint32_t value = 42;
        if (write_bytes(tp, &value, sizeof value) != 0) _exit(12);
        _exit(0);
    }
    perf_consumer perf;
    ASSERT_EQ(perf.open(event_id("vmlayer_fork")), 0);
    ASSERT_EQ(perf.enable(), 0);
    ASSERT_EQ(::write(go[1], "g", 1), 1);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10 pipe, 11 never enabled, 12 write";
    auto samples = perf.take_samples();
    ASSERT_EQ(samples.size(), 1u);
    std::int32_t pid;
    std::memcpy(&pid, samples[0].data() + 4, sizeof pid);
    EXPECT_EQ(pid, child);
    std::uint32_t value = 42;
    EXPECT_TRUE(carries(samples[0], common_size, &value, sizeof value));
    ::close(go[0]);
    ::close(go[1]);
}

TEST(Layer, ManyThreadsWriting) {
    ehtrace::tracepoint tp;
    ASSERT_EQ(tp.register_command("vmlayer_threads u32 thread; u32 seq"), 0);
    perf_consumer perf;
    ASSERT_EQ(perf.open(event_id("vmlayer_threads"), 256), 0);
    ASSERT_EQ(perf.enable(), 0);
    ASSERT_TRUE(wait_for([&] { return tp.enabled(); }));

    constexpr std::uint32_t threads = 8, per_thread = 2000;
    std::atomic<int> failures{0};
    std::vector<std::thread> pool;
    for (std::uint32_t t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (std::uint32_t i = 0; i < per_thread; ++i) {
                std::uint32_t payload[2] = {t, i};
                if (write_bytes(tp, payload, sizeof payload) != 0) ++failures;
            }
        });
    }
    for (auto& th : pool) th.join();
    EXPECT_EQ(failures.load(), 0);

    std::vector<std::vector<int>> seen(threads, std::vector<int>(per_thread, 0));
    size_t total = 0;
    for (auto& s : perf.take_samples()) {
        std::uint32_t payload[2];
        ASSERT_GE(s.size(), common_size + sizeof payload);
        std::memcpy(payload, s.data() + common_size, sizeof payload);
        ASSERT_LT(payload[0], threads);
        ASSERT_LT(payload[1], per_thread);
        ++seen[payload[0]][payload[1]];
        ++total;
    }
    EXPECT_EQ(perf.lost(), 0u);
    EXPECT_EQ(total, threads * per_thread);
    int duplicates_or_missing = 0;
    for (auto& t : seen) {
        for (int n : t) duplicates_or_missing += n != 1;
    }
    EXPECT_EQ(duplicates_or_missing, 0);
}

TEST(Layer, WritesWhileAnotherThreadUnregisters) {
    // Allowed by the layer's contract: each write either lands or is EBADF.
    ehtrace::tracepoint tp;
    ASSERT_EQ(tp.register_command("vmlayer_race u32 value"), 0);
    ASSERT_TRUE(set_tracefs_enable("vmlayer_race", true));
    ASSERT_TRUE(wait_for([&] { return tp.enabled(); }));
    std::atomic<bool> stop{false};
    std::atomic<int> unexpected{0};
    std::thread writer([&] {
        std::uint32_t value = 0;
        while (!stop.load()) {
            int e = write_bytes(tp, &value, sizeof value);
            if (e != 0 && e != EBADF) ++unexpected;
            ++value;
        }
    });
    for (int i = 0; i < 200; ++i) {
        EXPECT_EQ(tp.unregister(), 0);
        EXPECT_EQ(tp.register_command("vmlayer_race u32 value"), 0);
    }
    stop = true;
    writer.join();
    EXPECT_EQ(unexpected.load(), 0);
    ASSERT_TRUE(set_tracefs_enable("vmlayer_race", false));
}

TEST(Layer, LargestEventHeaderEventReachesPerf) {
    ehtrace::tracepoint tp;
    const std::string name = "vmlayer_big_L4K1";
    ASSERT_EQ(tp.register_command(name + eventheader_fields), 0);
    perf_consumer perf;
    ASSERT_EQ(perf.open(event_id(name)), 0);
    ASSERT_EQ(perf.enable(), 0);
    ASSERT_TRUE(wait_for([&] { return tp.enabled(); }));

    constexpr size_t largest = 8192 - common_size;  // measured by the raw suite
    std::vector<std::uint8_t> event(largest + 1, 0x5a);
    const std::uint8_t header[8] = {0x03, 0, 0, 0, 0, 0, 0, 4};
    std::memcpy(event.data(), header, sizeof header);

    EXPECT_EQ(write_bytes(tp, event.data(), largest), 0);
    auto samples = perf.take_samples();
    ASSERT_EQ(samples.size(), 1u);
    EXPECT_TRUE(carries(samples[0], common_size, event.data(), largest));

    EXPECT_EQ(write_bytes(tp, event.data(), largest + 1), 0) << "the kernel accepts the write";
    EXPECT_TRUE(perf.take_samples().empty()) << "but perf does not get it";
}

}  // namespace
