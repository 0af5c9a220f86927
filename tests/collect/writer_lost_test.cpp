// The perf.data writer's additions for the collector: PERF_RECORD_LOST
// records, and a file that stays readable when the disk fills up.
#include <ehtrace/perf_data_writer.hpp>

#include "collect_test_support.hpp"

#include <sys/resource.h>
#include <csignal>
#include <cstring>

using namespace collect_test;

namespace {

constexpr char command[] = "plain u32 count; char[8] label";

std::vector<std::byte> plain_record(std::uint32_t count) {
    std::vector<std::byte> r(8 + 4 + 8);
    const std::uint16_t type = 701;
    std::memcpy(r.data(), &type, 2);
    std::memcpy(r.data() + 8, &count, 4);
    std::memcpy(r.data() + 12, "label", 5);
    return r;
}

}  // namespace

TEST(CollectWriter, LostRecordsAreReadable) {
    temp_dir dir;
    const std::string path = dir / "lost.data";
    ehtrace::perf_data_writer w;
    ASSERT_EQ(w.open(path.c_str()), 0);
    EXPECT_EQ(w.write_lost(5, 100, 0), EINVAL);  // needs a tracepoint first
    const int tp = w.add_tracepoint("user_events", "plain", ehtrace::synthesize_user_events_format(command, 701), 701);
    ASSERT_EQ(w.write_sample(tp, 1000, 0, 42, 42, plain_record(1)), 0);
    ASSERT_EQ(w.write_lost(17, 1500, 1), 0);
    ASSERT_EQ(w.write_sample(tp, 2000, 1, 42, 43, plain_record(2)), 0);
    ASSERT_EQ(w.finish_round(), 0);
    ASSERT_EQ(w.close(), 0);
    std::vector<std::string> events;
    std::string error;
    ASSERT_TRUE(decode_json(path, events, &error)) << error;
    ASSERT_EQ(events.size(), 2u);
    EXPECT_NE(events[0].find("\"count\":1"), std::string::npos);
    EXPECT_NE(events[1].find("\"count\":2"), std::string::npos);
    if (perf_path().empty()) GTEST_SKIP() << "perf is not installed";
    const auto script = run(perf_path() + " script -i " + path + " -F pid,tid,event,trace", dir);
    EXPECT_EQ(script.status, 0) << script.err;
    EXPECT_NE(script.out.find("count=2"), std::string::npos) << script.out;
    const auto report = run(perf_path() + " report -i " + path + " --stdio 2>&1", dir);
    EXPECT_NE(report.out.find("lost 1 chunks"), std::string::npos) << report.out;
}

// RLIMIT_FSIZE stands in for a full disk: writes past it fail (EFBIG).
TEST(CollectWriter, FileStaysReadableWhenTheDiskIsFull) {
    temp_dir dir;
    const std::string path = dir / "full.data";
    constexpr std::uint32_t written = 20000;  // ~1.3 MB of samples
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit{300 * 1024, 300 * 1024};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        ehtrace::perf_data_writer w;
        if (w.open(path.c_str()) != 0) ::_exit(10);
        const int tp =
            w.add_tracepoint("user_events", "plain", ehtrace::synthesize_user_events_format(command, 701), 701);
        int first_error = 0;
        for (std::uint32_t i = 0; i < written && first_error == 0; ++i) {
            first_error = w.write_sample(tp, 1000 + i, 0, 42, 42, plain_record(i));
            if (i % 100 == 99 && first_error == 0) first_error = w.finish_round();
        }
        const int closed = w.close();
        ::_exit(first_error == EFBIG && closed == EFBIG ? 0 : 11);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    std::vector<std::string> events;
    std::string error;
    ASSERT_TRUE(decode_json(path, events, &error)) << error;
    EXPECT_GT(events.size(), 1000u);
    EXPECT_LT(events.size(), written);
    // The samples kept are the first ones, in order, with no gap.
    for (std::size_t i = 0; i < events.size(); ++i) {
        ASSERT_NE(events[i].find("\"count\":" + std::to_string(i) + ","), std::string::npos) << events[i];
    }
    if (perf_path().empty()) GTEST_SKIP() << "perf is not installed";
    const auto script = run(perf_path() + " script -i " + path + " -F trace | wc -l", dir);
    EXPECT_EQ(script.status, 0) << script.err;
    EXPECT_EQ(std::stoul(script.out), events.size()) << script.err;
}
