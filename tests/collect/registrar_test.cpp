// Pre-registration checks that need no kernel, the doctor's findings, and the
// registrar's messages on a kernel without user_events.
#include <ehtrace/collect/doctor.hpp>
#include <ehtrace/collect/registrar.hpp>
#include <ehtrace/wire/eventheader.hpp>

#include "collect_test_support.hpp"

using namespace ehtrace::collect;
using namespace collect_test;

TEST(CollectRegistrar, EventHeaderNames) {
    EXPECT_TRUE(is_eventheader_name("MyProvider_L4K1"));
    EXPECT_TRUE(is_eventheader_name("Acme_Web_L5K0Gsrv"));
    EXPECT_TRUE(is_eventheader_name("Prov_LffKffffffffffffffff"));
    EXPECT_FALSE(is_eventheader_name("MyProvider"));
    EXPECT_FALSE(is_eventheader_name("My-Provider_L4K1"));
    EXPECT_FALSE(is_eventheader_name("MyProvider_L0K1"));
    EXPECT_FALSE(is_eventheader_name("_L4K1"));
    EXPECT_TRUE(is_eventheader_name(std::string(250, 'a') + "_L4K1"));  // 255 bytes
    EXPECT_FALSE(is_eventheader_name(std::string(251, 'a') + "_L4K1"));
}

TEST(CollectRegistrar, Commands) {
    EXPECT_EQ(registration_command("Prov_L4K1"), std::string("Prov_L4K1 ") + ehtrace::eventheader_fields);
    EXPECT_EQ(registration_command("  my_tp   u32  count ;char[16] who  "), "my_tp u32 count; char[16] who");
    std::string why;
    EXPECT_EQ(registration_command("not-eventheader", &why), "");
    EXPECT_NE(why.find("not an EventHeader tracepoint name"), std::string::npos) << why;
    EXPECT_EQ(registration_command("bad;name u32 x", &why), "");
    EXPECT_NE(why.find("not a valid user_events command"), std::string::npos) << why;
    EXPECT_EQ(command_name("my_tp u32 count"), "my_tp");
}

TEST(CollectRegistrar, MessagesWithoutUserEvents) {
    temp_dir dir;
    registrar reg(dir.str());
    std::string problem;
    EXPECT_EQ(reg.open(&problem), ENOENT);
    EXPECT_NE(problem.find("CONFIG_USER_EVENTS"), std::string::npos) << problem;
    EXPECT_EQ(reg.open(), ENOENT);  // without a message
    std::string message;
    EXPECT_EQ(reg.add("Prov_L4K1", 0, &message), ENOENT);
    EXPECT_NE(message.find("no user_events"), std::string::npos) << message;
    EXPECT_EQ(reg.add("Bad-Name", 0, &message), EINVAL);
    EXPECT_EQ(reg.remove("Prov_L4K1", &message), ENOENT);
    EXPECT_TRUE(reg.tracepoints().empty());
}

TEST(CollectDoctor, FindsMissingTracefsAndUserEvents) {
    temp_dir dir;
    doctor_options o;
    o.tracefs = dir / "nowhere";
    o.kernel_release = "6.1.0-13-amd64";
    const auto findings = diagnose(o);
    EXPECT_FALSE(all_usable(findings));
    const std::string text = format_findings(findings);
    EXPECT_NE(text.find("problem  kernel: Linux 6.1.0-13-amd64: user_events needs Linux 6.4"), std::string::npos)
        << text;
    EXPECT_NE(text.find("mount -t tracefs nodev " + (dir / "nowhere")), std::string::npos) << text;

    // A tracefs without user_events_data and a config that lacks the option.
    std::filesystem::create_directories(dir / "tracing/events");
    std::filesystem::create_directories(dir / "boot");
    std::filesystem::create_directories(dir / "proc/sys/kernel");
    std::ofstream(dir / "boot/config-6.12.0") << "CONFIG_FTRACE=y\n# CONFIG_USER_EVENTS is not set\n";
    std::ofstream(dir / "proc/sys/kernel/perf_event_paranoid") << "2\n";
    o.tracefs = dir / "tracing";
    o.kernel_release = "6.12.0";
    o.boot_dir = dir / "boot";
    o.proc_dir = dir / "proc";
    const std::string t2 = format_findings(diagnose(o));
    EXPECT_NE(t2.find("ok       tracefs: tracefs at " + (dir / "tracing")), std::string::npos) << t2;
    EXPECT_NE(t2.find("problem  user_events: user_events is missing"), std::string::npos) << t2;
    EXPECT_NE(t2.find("does not set CONFIG_USER_EVENTS"), std::string::npos) << t2;
    EXPECT_NE(t2.find("CONFIG_USER_EVENTS=y"), std::string::npos) << t2;
    EXPECT_NE(t2.find("perf_event_paranoid = 2"), std::string::npos) << t2;

    // user_events_data present and writable.
    std::ofstream(dir / "tracing/user_events_data") << "";
    const auto f3 = diagnose(o);
    const std::string t3 = format_findings(f3);
    EXPECT_NE(t3.find("ok       user_events: " + (dir / "tracing/user_events_data") + " exists"), std::string::npos)
        << t3;
    if (::geteuid() == 0) {
        EXPECT_TRUE(all_usable(f3)) << t3;
    }
}
