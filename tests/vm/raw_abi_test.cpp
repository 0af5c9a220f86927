// The kernel's user_events ABI, exercised directly (no project code), inside
// the test VM as root. Establishes what the project's layer builds on.
#include <ehtrace/wire/user_events.hpp>
#include "vm_helpers.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/wait.h>
#include <atomic>
#include <cstdio>
#include <thread>

namespace {

using namespace vmtest;

constexpr char data_path[] = "/sys/kernel/tracing/user_events_data";

class data_file {
public:
    data_file() : fd_(::open(data_path, O_RDWR | O_CLOEXEC)) {}
    ~data_file() { close(); }
    data_file(const data_file&) = delete;
    data_file& operator=(const data_file&) = delete;
    int fd() const { return fd_; }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

// An enable word the kernel may write into.
struct alignas(8) enable_word {
    std::atomic<std::uint32_t> value{0};
    bool bit(int b) const { return (value.load() >> b) & 1u; }
};

// Returns 0 or an errno value.
int reg(int fd, const std::string& command, enable_word& word, std::uint32_t* index, std::uint8_t bit = 0,
        std::uint16_t flags = 0) {
    ehtrace::abi::user_reg r{};
    r.size = sizeof r;
    r.enable_bit = bit;
    r.enable_size = 4;
    r.flags = flags;
    r.enable_addr = reinterpret_cast<std::uintptr_t>(&word.value);
    r.name_args = reinterpret_cast<std::uintptr_t>(command.c_str());
    if (::ioctl(fd, ehtrace::abi::diag_iocsreg, &r) != 0) return errno;
    if (index) *index = r.write_index;
    return 0;
}

int unreg(int fd, enable_word& word, std::uint8_t bit = 0) {
    ehtrace::abi::user_unreg u{};
    u.size = sizeof u;
    u.disable_bit = bit;
    u.disable_addr = reinterpret_cast<std::uintptr_t>(&word.value);
    return ::ioctl(fd, ehtrace::abi::diag_iocsunreg, &u) == 0 ? 0 : errno;
}

int del(int fd, const std::string& name) {
    return ::ioctl(fd, ehtrace::abi::diag_iocsdel, name.c_str()) == 0 ? 0 : errno;
}

// writev(index, payload): the byte count on success, else -errno.
ssize_t write_event(int fd, std::uint32_t index, const void* payload, size_t len) {
    iovec iov[2] = {{&index, sizeof index}, {const_cast<void*>(payload), len}};
    ssize_t n = ::writev(fd, iov, len ? 2 : 1);
    return n < 0 ? -errno : n;
}

// Registration with a flag, falling back to no flags when the kernel refuses
// it with EINVAL (older kernels reject flags they do not know).
struct fallback_result {
    int error;
    std::uint16_t flags_used;
};
fallback_result reg_with_fallback(int fd, const std::string& command, enable_word& word, std::uint16_t flags,
                                  std::uint32_t* index) {
    int error = reg(fd, command, word, index, 0, flags);
    if (error == EINVAL && flags != 0) return {reg(fd, command, word, index, 0, 0), 0};
    return {error, flags};
}

std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(path.c_str())) {
        while (dirent* e = ::readdir(d)) {
            if (e->d_name[0] != '.') names.emplace_back(e->d_name);
        }
        ::closedir(d);
    }
    return names;
}

bool enable_via_tracefs(const std::string& name, bool on, const char* system = "user_events") {
    return write_file(event_dir(name, system) + "/enable", on ? "1" : "0") == 0;
}

// The common fields every tracepoint record starts with.
constexpr size_t common_size = 8;

TEST(Abi, TracefsHasTheUserEventsFiles) {
    EXPECT_TRUE(exists(data_path)) << "kernel without CONFIG_USER_EVENTS?";
    EXPECT_TRUE(exists(std::string(tracefs) + "/user_events_status"));
    std::string max = read_file("/proc/sys/kernel/user_events_max");
    std::printf("kernel.user_events_max = %s", max.c_str());
    EXPECT_FALSE(max.empty());
}

TEST(Abi, RegisterCreatesTheEventAndAssignsWriteIndexes) {
    data_file f;
    ASSERT_GE(f.fd(), 0) << std::strerror(errno);
    enable_word w1, w2;
    std::uint32_t i1 = 99, i2 = 99;
    ASSERT_EQ(reg(f.fd(), "vmabi_reg_a u32 value", w1, &i1), 0);
    ASSERT_EQ(reg(f.fd(), "vmabi_reg_b u32 value; u64 other", w2, &i2), 0);
    EXPECT_EQ(i1, 0u) << "first event on a fresh file";
    EXPECT_EQ(i2, 1u);
    EXPECT_EQ(w1.value.load(), 0u) << "nobody listens yet";

    EXPECT_TRUE(exists(event_dir("vmabi_reg_a")));
    EXPECT_GT(event_id("vmabi_reg_a"), 0);
    std::string format = read_file(event_dir("vmabi_reg_b") + "/format");
    EXPECT_NE(format.find("field:u32 value;\toffset:8;\tsize:4;"), std::string::npos) << format;
    EXPECT_NE(format.find("field:u64 other;\toffset:12;\tsize:8;"), std::string::npos) << format;
    EXPECT_EQ(first_field_offset("vmabi_reg_a"), static_cast<int>(common_size));
    EXPECT_NE(read_file(std::string(tracefs) + "/user_events_status").find("vmabi_reg_a"), std::string::npos);

    EXPECT_EQ(unreg(f.fd(), w1), 0);
    EXPECT_EQ(unreg(f.fd(), w2), 0);
}

TEST(Abi, RegistrationRejectsBadArguments) {
    data_file f;
    enable_word w;
    ehtrace::abi::user_reg r{};
    std::string command = "vmabi_bad u32 value";
    r.size = sizeof r;
    r.enable_size = 3;  // only 4 and 8 exist
    r.enable_addr = reinterpret_cast<std::uintptr_t>(&w.value);
    r.name_args = reinterpret_cast<std::uintptr_t>(command.c_str());
    EXPECT_NE(::ioctl(f.fd(), ehtrace::abi::diag_iocsreg, &r), 0);
    EXPECT_EQ(errno, EINVAL);
    r.enable_size = 4;
    r.enable_bit = 32;  // beyond a 4-byte word
    EXPECT_NE(::ioctl(f.fd(), ehtrace::abi::diag_iocsreg, &r), 0);
    EXPECT_EQ(errno, EINVAL);
    r.enable_bit = 0;
    r.enable_addr += 1;  // misaligned
    EXPECT_NE(::ioctl(f.fd(), ehtrace::abi::diag_iocsreg, &r), 0);
    EXPECT_EQ(errno, EINVAL);
}

TEST(Abi, FieldListSyntax) {
    data_file f;
    enable_word a, b, c;
    // A new event's fields are parsed strictly: one blank between words.
    EXPECT_EQ(reg(f.fd(), "vmabi_syntax u32   value", a, nullptr), EINVAL);
    EXPECT_EQ(reg(f.fd(), "vmabi_syntax u32 value;u32 more", a, nullptr), 0) << "no blank after ';' is fine";
    // An existing event is matched word by word, so blanks no longer matter.
    EXPECT_EQ(reg(f.fd(), "vmabi_syntax   u32   value;   u32  more", b, nullptr), 0);
    EXPECT_EQ(reg(f.fd(), "vmabi_syntax u32 value", c, nullptr), EADDRINUSE) << "a prefix is a different list";
    EXPECT_EQ(unreg(f.fd(), a), 0);
    EXPECT_EQ(unreg(f.fd(), b), 0);
}

TEST(Abi, EnableBitFollowsTracefsEnable) {
    data_file f;
    enable_word w;
    ASSERT_EQ(reg(f.fd(), "vmabi_tracefs u32 value", w, nullptr, /*bit*/ 5), 0);
    EXPECT_EQ(w.value.load(), 0u);
    ASSERT_TRUE(enable_via_tracefs("vmabi_tracefs", true));
    EXPECT_TRUE(wait_for([&] { return w.bit(5); }));
    EXPECT_EQ(w.value.load(), 1u << 5) << "only the registered bit";
    ASSERT_TRUE(enable_via_tracefs("vmabi_tracefs", false));
    EXPECT_TRUE(wait_for([&] { return !w.bit(5); }));
    EXPECT_EQ(unreg(f.fd(), w, 5), 0);
}

TEST(Abi, EnableBitFollowsPerfEvent) {
    data_file f;
    enable_word w;
    ASSERT_EQ(reg(f.fd(), "vmabi_perf u32 value", w, nullptr), 0);
    {
        perf_consumer perf;
        ASSERT_EQ(perf.open(event_id("vmabi_perf")), 0);
        // The kernel registers the perf probe when the event is created,
        // before PERF_EVENT_IOC_ENABLE.
        EXPECT_TRUE(wait_for([&] { return w.bit(0); })) << "bit set once a perf event exists";
        ASSERT_EQ(perf.enable(), 0);
        EXPECT_TRUE(w.bit(0));
        ASSERT_EQ(perf.disable(), 0);
        std::printf("after PERF_EVENT_IOC_DISABLE the bit is %d\n", w.bit(0));
    }
    EXPECT_TRUE(wait_for([&] { return !w.bit(0); })) << "cleared when the last perf fd closes";
    EXPECT_EQ(unreg(f.fd(), w), 0);
}

TEST(Abi, PerfSampleRawCarriesTheWholePayload) {
    data_file f;
    enable_word w;
    std::uint32_t index = 0;
    ASSERT_EQ(reg(f.fd(), "vmabi_payload u32 value", w, &index), 0);
    perf_consumer perf;
    ASSERT_EQ(perf.open(event_id("vmabi_payload")), 0);
    ASSERT_EQ(perf.enable(), 0);
    ASSERT_TRUE(wait_for([&] { return w.bit(0); }));

    // Declared: one u32; the extra bytes beyond it must arrive too.
    const std::uint8_t payload[] = {0x78, 0x56, 0x34, 0x12, 'e', 'x', 't', 'r', 'a', 0, 0xff};
    EXPECT_EQ(write_event(f.fd(), index, payload, sizeof payload), static_cast<ssize_t>(4 + sizeof payload));

    auto samples = perf.take_samples();
    ASSERT_EQ(samples.size(), 1u);
    EXPECT_TRUE(carries(samples[0], common_size, payload, sizeof payload));
    std::uint16_t type;
    std::memcpy(&type, samples[0].data(), sizeof type);
    EXPECT_EQ(type, event_id("vmabi_payload")) << "common_type is the tracepoint id";
    std::int32_t pid;
    std::memcpy(&pid, samples[0].data() + 4, sizeof pid);
    EXPECT_EQ(pid, ::getpid()) << "common_pid";
    perf.close();
    EXPECT_EQ(unreg(f.fd(), w), 0);
}

TEST(Abi, WriteErrors) {
    data_file f;
    enable_word w;
    std::uint32_t index = 0;
    ASSERT_EQ(reg(f.fd(), "vmabi_errors u32 value; u32 more", w, &index), 0);
    const std::uint32_t payload[2] = {1, 2};

    EXPECT_EQ(write_event(f.fd(), index, payload, sizeof payload), -EBADF) << "nobody listens";
    EXPECT_EQ(write_event(f.fd(), index + 100, payload, sizeof payload), -ENOENT) << "unknown index";
    EXPECT_EQ(write_event(f.fd(), index, payload, 4), -EINVAL) << "shorter than the declared fields";

    ASSERT_TRUE(enable_via_tracefs("vmabi_errors", true));
    ASSERT_TRUE(wait_for([&] { return w.bit(0); }));
    EXPECT_EQ(write_event(f.fd(), index, payload, sizeof payload), static_cast<ssize_t>(4 + sizeof payload));
    ASSERT_TRUE(enable_via_tracefs("vmabi_errors", false));
    ASSERT_TRUE(wait_for([&] { return !w.bit(0); }));
    EXPECT_EQ(write_event(f.fd(), index, payload, sizeof payload), -EBADF);
    EXPECT_EQ(unreg(f.fd(), w), 0);
}

TEST(Abi, UnregisterClearsTheBit) {
    data_file f;
    enable_word w;
    ASSERT_EQ(reg(f.fd(), "vmabi_unreg u32 value", w, nullptr, 3), 0);
    ASSERT_TRUE(enable_via_tracefs("vmabi_unreg", true));
    ASSERT_TRUE(wait_for([&] { return w.bit(3); }));
    EXPECT_EQ(unreg(f.fd(), w, 3), 0);
    EXPECT_FALSE(w.bit(3)) << "cleared by the unregister ioctl itself";
    EXPECT_EQ(unreg(f.fd(), w, 3), ENOENT) << "nothing left to unregister";
    EXPECT_TRUE(enable_via_tracefs("vmabi_unreg", false));
}

TEST(Abi, ReRegistrationSharesTheTracepoint) {
    data_file f1, f2;
    enable_word a, b, c;
    std::uint32_t ia = 9, ib = 9, ic = 9;
    const std::string command = "vmabi_shared u32 value";
    ASSERT_EQ(reg(f1.fd(), command, a, &ia), 0);
    ASSERT_EQ(reg(f1.fd(), command, b, &ib), 0) << "same name, another enable word";
    ASSERT_EQ(reg(f2.fd(), command, c, &ic), 0) << "same name, another file";
    EXPECT_EQ(ia, ib) << "one file: one index per event";
    EXPECT_EQ(ic, 0u) << "indexes are per file";

    ASSERT_TRUE(enable_via_tracefs("vmabi_shared", true));
    EXPECT_TRUE(wait_for([&] { return a.bit(0) && b.bit(0) && c.bit(0); }));
    ASSERT_TRUE(enable_via_tracefs("vmabi_shared", false));
    EXPECT_TRUE(wait_for([&] { return !a.bit(0) && !b.bit(0) && !c.bit(0); }));
    EXPECT_EQ(unreg(f1.fd(), a), 0);
    EXPECT_EQ(unreg(f1.fd(), b), 0);
    EXPECT_EQ(unreg(f2.fd(), c), 0);
}

TEST(Abi, ConflictsAreEADDRINUSE) {
    data_file f;
    enable_word a, b;
    ASSERT_EQ(reg(f.fd(), "vmabi_conflict u32 value", a, nullptr), 0);
    EXPECT_EQ(reg(f.fd(), "vmabi_conflict u64 value", b, nullptr), EADDRINUSE) << "other field list";
    EXPECT_EQ(reg(f.fd(), "vmabi_conflict_other u32 value", a, nullptr), EADDRINUSE)
        << "same enable address and bit twice in one process";
    EXPECT_EQ(reg(f.fd(), "vmabi_conflict_other u32 value", a, nullptr, 1), 0) << "another bit is fine";
    EXPECT_EQ(reg(f.fd(), "vmabi_conflict   u32   value", b, nullptr), 0) << "blanks are not significant";
    EXPECT_EQ(unreg(f.fd(), a), 0);
    EXPECT_EQ(unreg(f.fd(), a, 1), 0);
    EXPECT_EQ(unreg(f.fd(), b), 0);
}

TEST(Abi, DeleteIsBusyWhileInUseAndTheEventGoesAwayWhenUnused) {
    auto f = std::make_unique<data_file>();
    enable_word w;
    ASSERT_EQ(reg(f->fd(), "vmabi_delete u32 value", w, nullptr), 0);
    EXPECT_EQ(del(f->fd(), "vmabi_delete"), EBUSY);
    EXPECT_EQ(unreg(f->fd(), w), 0);
    EXPECT_EQ(del(f->fd(), "vmabi_delete"), EBUSY) << "the open file still references it";
    f.reset();
    EXPECT_TRUE(wait_for([] { return !exists(event_dir("vmabi_delete")); }))
        << "a non-persistent event is deleted once unused";
    data_file g;
    EXPECT_EQ(del(g.fd(), "vmabi_delete"), ENOENT);
}

TEST(Abi, ExplicitDeleteOfAnUnusedEvent) {
    data_file f;
    enable_word w;
    // Keep the event alive through a tracefs enable, which holds a reference.
    ASSERT_EQ(reg(f.fd(), "vmabi_delete2 u32 value", w, nullptr), 0);
    ASSERT_TRUE(enable_via_tracefs("vmabi_delete2", true));
    EXPECT_EQ(unreg(f.fd(), w), 0);
    f.close();
    data_file g;
    EXPECT_EQ(del(g.fd(), "vmabi_delete2"), EBUSY) << "enabled in tracefs";
    ASSERT_TRUE(enable_via_tracefs("vmabi_delete2", false));
    EXPECT_TRUE(wait_for([&] {
        int e = del(g.fd(), "vmabi_delete2");
        return e == 0 || e == ENOENT;
    }));
    EXPECT_FALSE(exists(event_dir("vmabi_delete2")));
}

TEST(Abi, ForkInheritsRegistrations) {
    data_file f;
    enable_word w;
    std::uint32_t index = 0;
    ASSERT_EQ(reg(f.fd(), "vmabi_fork u32 value", w, &index), 0);
    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        char c;
        if (::read(go[0], &c, 1) != 1) _exit(10);
        // The kernel updates the child's copy of the enable word too.
        if (!wait_for([&] { return w.bit(0); })) _exit(11);
        std::uint32_t value = 42;
        if (write_event(f.fd(), index, &value, sizeof value) != 8) _exit(12);
        if (unreg(f.fd(), w) != 0) _exit(13);
        if (w.bit(0)) _exit(14);
        _exit(0);
    }
    perf_consumer perf;
    ASSERT_EQ(perf.open(event_id("vmabi_fork")), 0);
    ASSERT_EQ(perf.enable(), 0);
    ASSERT_EQ(::write(go[1], "g", 1), 1);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10 pipe, 11 bit never set, 12 write, 13 unreg, 14 bit kept";
    EXPECT_TRUE(w.bit(0)) << "the child's unregister does not affect the parent";

    auto samples = perf.take_samples();
    ASSERT_EQ(samples.size(), 1u);
    std::int32_t pid;
    std::memcpy(&pid, samples[0].data() + 4, sizeof pid);
    EXPECT_EQ(pid, child);
    ::close(go[0]);
    ::close(go[1]);
    perf.close();
    EXPECT_EQ(unreg(f.fd(), w), 0);
}

TEST(Abi, ManyThreadsWriting) {
    data_file f;
    enable_word w;
    std::uint32_t index = 0;
    ASSERT_EQ(reg(f.fd(), "vmabi_threads u32 thread; u32 seq", w, &index), 0);
    perf_consumer perf;
    ASSERT_EQ(perf.open(event_id("vmabi_threads"), 256), 0);
    ASSERT_EQ(perf.enable(), 0);
    ASSERT_TRUE(wait_for([&] { return w.bit(0); }));

    constexpr std::uint32_t threads = 8, per_thread = 2000;
    std::atomic<int> failures{0};
    std::vector<std::thread> pool;
    for (std::uint32_t t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (std::uint32_t i = 0; i < per_thread; ++i) {
                std::uint32_t payload[2] = {t, i};
                if (write_event(f.fd(), index, payload, sizeof payload) != 12) ++failures;
            }
        });
    }
    for (auto& th : pool) th.join();
    EXPECT_EQ(failures.load(), 0);

    // Every event arrives once and whole; a thread's events recorded on one
    // CPU are in the thread's order (threads migrate, so only per CPU).
    std::vector<std::vector<int>> seen(threads, std::vector<int>(per_thread, 0));
    size_t total = 0;
    bool in_order = true;
    for (auto& cpu_samples : perf.take_samples_per_cpu()) {
        std::vector<std::int64_t> last(threads, -1);
        for (auto& s : cpu_samples) {
            std::uint32_t payload[2];
            ASSERT_GE(s.size(), common_size + sizeof payload);
            std::memcpy(payload, s.data() + common_size, sizeof payload);
            ASSERT_LT(payload[0], threads);
            ASSERT_LT(payload[1], per_thread);
            ++seen[payload[0]][payload[1]];
            if (payload[1] <= last[payload[0]]) in_order = false;
            last[payload[0]] = payload[1];
            ++total;
        }
    }
    EXPECT_EQ(total + perf.lost(), threads * per_thread);
    int duplicates_or_missing = 0;
    for (auto& t : seen) {
        for (int n : t) duplicates_or_missing += n != 1;
    }
    EXPECT_EQ(duplicates_or_missing, 0);
    EXPECT_EQ(perf.lost(), 0u);
    EXPECT_TRUE(in_order) << "per CPU, each thread's events arrive in its order";
    perf.close();
    EXPECT_EQ(unreg(f.fd(), w), 0);
}

TEST(Abi, OtherUsersCannotOpenTheDataFile) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(10);
        int fd = ::open(data_path, O_WRONLY | O_CLOEXEC);
        _exit(fd >= 0 ? 11 : errno == EACCES ? 0 : 12);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10 setuid, 11 opened, 12 other errno";
}

TEST(Abi, PreRegistrationLetsAConsumerAttachBeforeTheWriterStarts) {
    // A collector registers the name, drops its own enable word and keeps
    // the file open: the tracepoint exists and can be enabled.
    data_file collector;
    enable_word own;
    ASSERT_EQ(reg(collector.fd(),
                  "vmabi_prereg_L4K1 u8 eventheader_flags; u8 version; u16 id; u16 tag; "
                  "u8 opcode; u8 level",
                  own, nullptr),
              0);
    ASSERT_EQ(unreg(collector.fd(), own), 0);
    ASSERT_TRUE(exists(event_dir("vmabi_prereg_L4K1"))) << "kept while the collector's file is open";
    perf_consumer perf;
    ASSERT_EQ(perf.open(event_id("vmabi_prereg_L4K1")), 0);
    ASSERT_EQ(perf.enable(), 0);
    EXPECT_FALSE(own.bit(0));

    // The writer starts later, with its own file and enable word: enabled
    // from its registration on, so its first event is collected.
    pid_t writer = ::fork();
    ASSERT_GE(writer, 0);
    if (writer == 0) {
        collector.close();
        data_file f;
        enable_word w;
        std::uint32_t index = 0;
        if (reg(f.fd(), "vmabi_prereg_L4K1 u8 eventheader_flags; u8 version; u16 id; u16 tag; u8 opcode; u8 level", w,
                &index) != 0)
            _exit(10);
        if (!w.bit(0)) _exit(11);  // set during the registration ioctl
        const std::uint8_t event[8] = {0x03, 0, 0, 0, 0, 0, 0, 4};
        if (write_event(f.fd(), index, event, sizeof event) != 12) _exit(12);
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(writer, &status, 0), writer);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10 register, 11 not enabled at registration, 12 write";
    EXPECT_EQ(perf.take_samples().size(), 1u);
}

// --- registration flags (this kernel is 6.12: both exist) --------------------

TEST(Flags, PersistKeepsTheEventAfterItsLastUser) {
    auto f = std::make_unique<data_file>();
    enable_word w;
    auto r = reg_with_fallback(f->fd(), "vmabi_persist u32 value", w, ehtrace::abi::reg_flag_persist, nullptr);
    ASSERT_EQ(r.error, 0);
    EXPECT_EQ(r.flags_used, ehtrace::abi::reg_flag_persist) << "6.7+ accepts PERSIST";
    EXPECT_EQ(unreg(f->fd(), w), 0);
    f.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(exists(event_dir("vmabi_persist"))) << "still there with no user";
    data_file g;
    EXPECT_EQ(del(g.fd(), "vmabi_persist"), 0) << "a persistent event is deleted explicitly";
    EXPECT_TRUE(wait_for([] { return !exists(event_dir("vmabi_persist")); }));
    std::printf("FLAGS PERSIST: %s\n", r.flags_used ? "supported" : "refused (fell back)");
}

TEST(Flags, MultiFormatAllowsSeveralFieldListsForOneName) {
    data_file f;
    enable_word a, b;
    auto ra = reg_with_fallback(f.fd(), "vmabi_multi u32 value", a, ehtrace::abi::reg_flag_multi_format, nullptr);
    auto rb = reg_with_fallback(f.fd(), "vmabi_multi u64 value", b, ehtrace::abi::reg_flag_multi_format, nullptr);
    ASSERT_EQ(ra.error, 0);
    ASSERT_EQ(rb.error, 0) << "a second field list is fine with MULTI_FORMAT";
    EXPECT_EQ(ra.flags_used, ehtrace::abi::reg_flag_multi_format) << "6.9+ accepts MULTI_FORMAT";

    std::vector<std::string> mine;
    for (auto& n : list_dir(std::string(tracefs) + "/events/user_events_multi")) {
        if (n.rfind("vmabi_multi.", 0) == 0) mine.push_back(n);
    }
    ASSERT_EQ(mine.size(), 2u) << "user_events_multi:<name>.<hex id>, one per format";
    EXPECT_FALSE(exists(event_dir("vmabi_multi"))) << "not under user_events";

    // Each format is its own tracepoint with its own enable state.
    std::string u32_event;
    for (auto& n : mine) {
        if (read_file(event_dir(n, "user_events_multi") + "/format").find("u32 value") != std::string::npos)
            u32_event = n;
    }
    ASSERT_FALSE(u32_event.empty());
    ASSERT_TRUE(enable_via_tracefs(u32_event, true, "user_events_multi"));
    EXPECT_TRUE(wait_for([&] { return a.bit(0); }));
    EXPECT_FALSE(b.bit(0));
    ASSERT_TRUE(enable_via_tracefs(u32_event, false, "user_events_multi"));
    EXPECT_TRUE(wait_for([&] { return !a.bit(0); }));
    EXPECT_EQ(unreg(f.fd(), a), 0);
    EXPECT_EQ(unreg(f.fd(), b), 0);
    std::printf("FLAGS MULTI_FORMAT: %s\n", ra.flags_used ? "supported" : "refused (fell back)");
}

TEST(Flags, UnknownFlagIsEINVALAndTheFallbackRegisters) {
    data_file f;
    enable_word w;
    const std::uint16_t unknown = 1u << 2;  // USER_EVENT_REG_MAX: not ABI
    EXPECT_EQ(reg(f.fd(), "vmabi_flag_fallback u32 value", w, nullptr, 0, unknown), EINVAL);
    auto r = reg_with_fallback(f.fd(), "vmabi_flag_fallback u32 value", w, unknown, nullptr);
    EXPECT_EQ(r.error, 0);
    EXPECT_EQ(r.flags_used, 0) << "registered without the refused flag";
    EXPECT_TRUE(exists(event_dir("vmabi_flag_fallback")));
    EXPECT_EQ(unreg(f.fd(), w), 0);
}

// --- limits --------------------------------------------------------------------

// The largest EventHeader event (bytes after the write index) that a perf
// consumer receives. Larger writes still succeed; perf just drops them.
TEST(Limits, LargestEventThatReachesPerf) {
    data_file f;
    enable_word w;
    std::uint32_t index = 0;
    const std::string name = "vmabi_big_L4K1";
    ASSERT_EQ(reg(f.fd(), name + " u8 eventheader_flags; u8 version; u16 id; u16 tag; u8 opcode; u8 level", w, &index),
              0);
    perf_consumer perf;
    ASSERT_EQ(perf.open(event_id(name), 64), 0);
    ASSERT_EQ(perf.enable(), 0);
    ASSERT_TRUE(wait_for([&] { return w.bit(0); }));

    std::vector<std::uint8_t> event(65536);
    for (size_t i = 0; i < event.size(); ++i) event[i] = static_cast<std::uint8_t>(i * 7 + 1);
    const std::uint8_t header[8] = {0x03, 0, 0, 0, 0, 0, 0, 4};  // 64-bit LE, level 4
    std::memcpy(event.data(), header, sizeof header);

    auto delivered = [&](size_t size) {
        perf.take_samples();
        ssize_t n = write_event(f.fd(), index, event.data(), size);
        EXPECT_EQ(n, static_cast<ssize_t>(4 + size)) << "the write itself succeeds at size " << size;
        auto samples = perf.take_samples();
        return samples.size() == 1 && carries(samples[0], common_size, event.data(), size);
    };
    ASSERT_TRUE(delivered(8));
    ASSERT_FALSE(delivered(event.size()));
    size_t lo = 8, hi = event.size();  // delivered(lo) && !delivered(hi)
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        (delivered(mid) ? lo : hi) = mid;
    }
    std::printf("MEASURED largest event delivered to perf: %zu bytes (plus the 4-byte write index)\n", lo);
    RecordProperty("largest_perf_event", static_cast<int>(lo));
    // The kernel's bound: ALIGN(8 common bytes + event, 8) <= PERF_MAX_TRACE_SIZE (8192).
    EXPECT_EQ(lo, 8192u - common_size);
    perf.close();
    EXPECT_EQ(unreg(f.fd(), w), 0);
}

// The same for an ftrace consumer (tracefs `enable`, the `trace` file): the
// per-CPU ring buffer's page size bounds it.
TEST(Limits, LargestEventThatReachesFtrace) {
    data_file f;
    enable_word w;
    std::uint32_t index = 0;
    const std::string name = "vmabi_bigftrace_L4K1";
    ASSERT_EQ(reg(f.fd(), name + " u8 eventheader_flags; u8 version; u16 id; u16 tag; u8 opcode; u8 level", w, &index),
              0);
    const std::string trace = std::string(tracefs) + "/trace";
    ASSERT_TRUE(enable_via_tracefs(name, true));
    ASSERT_TRUE(wait_for([&] { return w.bit(0); }));

    std::vector<std::uint8_t> event(65536, 0x41);
    auto delivered = [&](size_t size) {
        EXPECT_EQ(write_file(trace, ""), 0) << "clearing the trace buffer";
        EXPECT_EQ(write_event(f.fd(), index, event.data(), size), static_cast<ssize_t>(4 + size));
        return read_file(trace).find(name + ":") != std::string::npos;
    };
    ASSERT_TRUE(delivered(8));
    ASSERT_FALSE(delivered(event.size()));
    size_t lo = 8, hi = event.size();
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        (delivered(mid) ? lo : hi) = mid;
    }
    std::printf("MEASURED largest event delivered to ftrace: %zu bytes (plus the 4-byte write index)\n", lo);
    RecordProperty("largest_ftrace_event", static_cast<int>(lo));
    EXPECT_GE(lo, 3000u);
    ASSERT_TRUE(enable_via_tracefs(name, false));
    EXPECT_EQ(unreg(f.fd(), w), 0);
}

}  // namespace
