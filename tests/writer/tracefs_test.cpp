#include <ehtrace/tracefs.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

// A scratch directory holding a fake mount table and a fake tracefs.
class fake_system : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/ehtrace-tracefs-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        root_ = pattern;
    }
    void TearDown() override { std::system(("rm -rf '" + root_ + "'").c_str()); }

    std::string write_mounts(const std::string& text) {
        std::string path = root_ + "/mounts";
        std::ofstream(path) << text;
        return path;
    }
    std::string make_dir(const std::string& relative) {
        std::string path = root_ + "/" + relative;
        std::system(("mkdir -p '" + path + "'").c_str());
        return path;
    }
    std::string missing_default() const { return root_ + "/no/such/user_events_data"; }

    std::string root_;
};

TEST(FindTracefsInMounts, PrefersTracefsOverDebugfs) {
    const char* mounts =
        "sysfs /sys sysfs rw,nosuid 0 0\n"
        "debugfs /sys/kernel/debug debugfs rw 0 0\n"
        "tracefs /sys/kernel/tracing tracefs rw 0 0\n";
    EXPECT_EQ(ehtrace::find_tracefs_in_mounts(mounts), "/sys/kernel/tracing");
}

TEST(FindTracefsInMounts, FallsBackToDebugfsTracing) {
    EXPECT_EQ(ehtrace::find_tracefs_in_mounts("debugfs /sys/kernel/debug debugfs rw 0 0\n"),
              "/sys/kernel/debug/tracing");
}

TEST(FindTracefsInMounts, DecodesOctalEscapes) {
    EXPECT_EQ(ehtrace::find_tracefs_in_mounts("nodev /host\\040root/tracing tracefs rw 0 0"), "/host root/tracing");
}

TEST(FindTracefsInMounts, NoneWhenAbsent) {
    EXPECT_FALSE(ehtrace::find_tracefs_in_mounts("proc /proc proc rw 0 0\n").has_value());
    EXPECT_FALSE(ehtrace::find_tracefs_in_mounts("").has_value());
    EXPECT_FALSE(ehtrace::find_tracefs_in_mounts("garbage without fields").has_value());
}

TEST_F(fake_system, NoTracefsExplainsHowToMountIt) {
    auto mounts = write_mounts("proc /proc proc rw 0 0\n");
    auto probe = ehtrace::open_user_events_data(missing_default().c_str(), mounts.c_str());
    EXPECT_EQ(probe.fd, -1);
    EXPECT_TRUE(probe.tracefs.empty());
    EXPECT_NE(probe.explain().find("mount -t tracefs"), std::string::npos) << probe.explain();
}

TEST_F(fake_system, TracefsWithoutUserEventsBlamesTheKernelConfig) {
    auto tracing = make_dir("tracing");
    auto mounts = write_mounts("nodev " + tracing + " tracefs rw 0 0\n");
    auto probe = ehtrace::open_user_events_data(missing_default().c_str(), mounts.c_str());
    EXPECT_EQ(probe.fd, -1);
    EXPECT_EQ(probe.error, ENOENT);
    EXPECT_EQ(probe.tracefs, tracing);
    EXPECT_EQ(probe.explain(), "tracefs mounted at " + tracing +
                                   " but user_events_data is missing: kernel built without CONFIG_USER_EVENTS "
                                   "(needs Linux 6.4 or later)");
}

TEST_F(fake_system, OpensUserEventsDataFoundThroughTheMountTable) {
    auto tracing = make_dir("elsewhere/tracing");
    std::ofstream(tracing + "/user_events_data") << "";
    auto mounts = write_mounts("nodev " + tracing + " tracefs rw 0 0\n");
    auto probe = ehtrace::open_user_events_data(missing_default().c_str(), mounts.c_str());
    ASSERT_GE(probe.fd, 0) << probe.explain();
    EXPECT_EQ(probe.path, tracing + "/user_events_data");
    EXPECT_NE(probe.explain().find("available"), std::string::npos);
    ::close(probe.fd);
}

TEST_F(fake_system, TheDefaultPathWinsWithoutReadingMounts) {
    auto tracing = make_dir("default");
    std::ofstream(tracing + "/user_events_data") << "";
    auto probe = ehtrace::open_user_events_data((tracing + "/user_events_data").c_str(), "/nonexistent/mounts");
    ASSERT_GE(probe.fd, 0);
    EXPECT_EQ(probe.tracefs, tracing);
    ::close(probe.fd);
}

TEST_F(fake_system, PermissionDeniedSaysWhatToGrant) {
    if (::geteuid() == 0) {
        // Root bypasses file modes; check the sentence from a hand-made probe.
        ehtrace::user_events_probe probe;
        probe.error = EACCES;
        probe.tracefs = "/sys/kernel/tracing";
        probe.path = "/sys/kernel/tracing/user_events_data";
        EXPECT_NE(probe.explain().find("chmod g+w"), std::string::npos) << probe.explain();
        return;
    }
    auto tracing = make_dir("locked");
    std::ofstream(tracing + "/user_events_data") << "";
    ::chmod((tracing + "/user_events_data").c_str(), 0400);
    auto probe = ehtrace::open_user_events_data((tracing + "/user_events_data").c_str(), "/nonexistent");
    EXPECT_EQ(probe.error, EACCES);
    EXPECT_NE(probe.explain().find("chmod g+w"), std::string::npos);
}

}  // namespace
