// Behaviour of the compile-time API: lazy arguments, registration of every
// site up front, limits, activities.
#include "event_test_support.hpp"

#include <ehtrace/activity.hpp>
#include <ehtrace/provider.hpp>
#include <ehtrace/ranges.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <tuple>
#include <vector>

EHTRACE_PROVIDER(behaviour, "Behaviour_Test");

namespace {

using namespace ehtrace_test;
using ehtrace::field;

// Registers tracepoints but leaves them disabled, like a kernel with no
// consumer attached.
class disabled_sink final : public ehtrace::sink {
public:
    int add(ehtrace::basic_tracepoint&) noexcept override { return 0; }
    void remove(ehtrace::basic_tracepoint&) noexcept override {}
    int write(const ehtrace::basic_tracepoint&, ::iovec*, int, std::size_t) noexcept override {
        ++writes;
        return 0;
    }
    std::string describe() const override { return "disabled"; }
    int writes = 0;
};

int evaluations = 0;
int counted(int value) {
    ++evaluations;
    return value;
}

void write_lazy_event() {
    EHTRACE_WRITE(behaviour, "Lazy", ehtrace::level<4>, field<"v">(counted(1)), field<"w">(counted(2)));
}

TEST(Behaviour, ArgumentsAreEvaluatedOnlyWhenEnabled) {
    disabled_sink sink;
    auto* previous = ehtrace::set_sink(&sink);
    ASSERT_EQ(behaviour.register_events(), 0);
    evaluations = 0;
    write_lazy_event();
    EXPECT_EQ(evaluations, 0);
    EXPECT_EQ(sink.writes, 0);
    behaviour.unregister_events();
    ehtrace::set_sink(previous);

    memory_capture capture;
    ehtrace::provider_registration registration(behaviour);
    write_lazy_event();
    EXPECT_EQ(evaluations, 2);
    EXPECT_EQ(capture.records().size(), 1u);
}

TEST(Behaviour, UnregisteredProviderWritesNothingAndReportsEBADF) {
    memory_capture capture;
    int value = 0;
    EXPECT_EQ(EHTRACE_WRITE(behaviour, "Never", field<"v">(counted(value))), EBADF);
    EXPECT_TRUE(capture.records().empty());
}

// The tracepoint names registered during the capture.
std::set<std::string> registered_tracepoints(memory_capture& capture) {
    std::set<std::string> names;
    for (const auto& command : capture.commands()) names.insert(command.substr(0, command.find(' ')));
    return names;
}

// Sites anywhere in the module are registered by register_events(), even
// those whose code has not run yet.
void never_called() { EHTRACE_WRITE(behaviour, "NotYetRun", ehtrace::level<2>, ehtrace::keyword<0x40>); }

TEST(Behaviour, RegisteringTheProviderRegistersEverySiteBeforeItFires) {
    memory_capture capture;
    ehtrace::provider_registration registration(behaviour);
    const std::set<std::string> names = registered_tracepoints(capture);
    EXPECT_TRUE(names.count("Behaviour_Test_L2K40")) << "site in a function never called was not registered";
    EXPECT_TRUE(names.count("Behaviour_Test_L4K0"));
    EXPECT_TRUE(capture.records().empty());
    (void)&never_called;
}

// Sites in template instantiations: GCC drops their linker-section entry, so
// they must reach the provider some other way.
template <class T>
int write_from_function_template(T value) {
    return EHTRACE_WRITE(behaviour, "FromTemplate", ehtrace::level<3>, field<"v">(value));
}

template <class T>
struct class_template {
    static int write(T value) { return EHTRACE_WRITE(behaviour, "FromClassTemplate", field<"v">(value)); }
};

template <class T>
void never_called_template() {
    EHTRACE_WRITE(behaviour, "TemplateNotYetRun", ehtrace::level<1>, ehtrace::keyword<0x80>, field<"v">(T{}));
}

TEST(Behaviour, SitesInTemplatesAndGenericLambdasAreRegisteredAndWrite) {
    memory_capture capture;
    ehtrace::provider_registration registration(behaviour);
    const std::set<std::string> names = registered_tracepoints(capture);
    EXPECT_TRUE(names.count("Behaviour_Test_L1K80")) << "site in a template never called was not registered";
    (void)&never_called_template<short>;  // instantiated, never called

    auto generic = [](auto value) { return EHTRACE_WRITE(behaviour, "FromGenericLambda", field<"v">(value)); };
    EXPECT_EQ(write_from_function_template(1), 0);
    EXPECT_EQ(write_from_function_template(2.5), 0);
    EXPECT_EQ(class_template<std::uint8_t>::write(7), 0);
    EXPECT_EQ(generic(std::uint64_t{9}), 0);
    EXPECT_EQ(generic(-3), 0);
    std::vector<std::string> written;
    for (const auto& record : capture.records()) {
        // The header (8 bytes), the metadata extension's header (4), then the name.
        written.emplace_back(reinterpret_cast<const char*>(record.bytes.data() + 12));
    }
    EXPECT_EQ(written, (std::vector<std::string>{"FromTemplate", "FromTemplate", "FromClassTemplate",
                                                 "FromGenericLambda", "FromGenericLambda"}));
}

// A provider registered before a site lists itself (a registration made by
// another translation unit's static initializer) still gets the site.
TEST(Behaviour, SiteListedAfterTheProviderRegisteredIsRegisteredAtOnce) {
    memory_capture capture;
    ehtrace::provider_registration registration(behaviour);
    static constinit ehtrace::detail::event_site late{"Behaviour_Test_L5K0 u8 x"};
    EXPECT_FALSE(late.tracepoint.registered());
    behaviour.list_at_startup(late);
    EXPECT_TRUE(late.tracepoint.registered());
    behaviour.unregister_events();
    EXPECT_FALSE(late.tracepoint.registered());
    EXPECT_EQ(behaviour.register_events(), 0);
    EXPECT_TRUE(late.tracepoint.registered());
}

TEST(Behaviour, EnabledReflectsTheTracepointState) {
    EXPECT_FALSE(EHTRACE_ENABLED(behaviour, ehtrace::level<4>));
    memory_capture capture;
    ehtrace::provider_registration registration(behaviour);
    EXPECT_TRUE(EHTRACE_ENABLED(behaviour, ehtrace::level<4>));
    EXPECT_TRUE(EHTRACE_ENABLED(behaviour, ehtrace::level<1>, ehtrace::keyword<7>));
}

TEST(Behaviour, EventsOver65535BytesAreRefusedAndNothingElseIsAffected) {
    memory_capture capture;
    ehtrace::provider_registration registration(behaviour);
    std::string huge(70000, 'x');
    EXPECT_EQ(EHTRACE_WRITE(behaviour, "Big", field<"s">(huge)), E2BIG);
    std::string fits(65000, 'y');
    EXPECT_EQ(EHTRACE_WRITE(behaviour, "Big", field<"s">(fits)), 0);
    std::vector<std::uint32_t> too_many(20000, 1);  // 80,000 bytes
    EXPECT_EQ(EHTRACE_WRITE(behaviour, "Arr", field<"a">(too_many)), E2BIG);
    auto records = capture.records();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_LE(records[0].bytes.size(), 65535u);
    EXPECT_GT(records[0].bytes.size(), 65000u);
}

TEST(Behaviour, UnregisterDisablesEverySite) {
    memory_capture capture;
    ASSERT_EQ(behaviour.register_events(), 0);
    EXPECT_TRUE(behaviour.registered());
    EXPECT_EQ(EHTRACE_WRITE(behaviour, "Once"), 0);
    EXPECT_EQ(behaviour.unregister_events(), 0);
    EXPECT_FALSE(behaviour.registered());
    EXPECT_EQ(EHTRACE_WRITE(behaviour, "Once"), EBADF);
    EXPECT_EQ(behaviour.unregister_events(), EALREADY);
    EXPECT_EQ(capture.records().size(), 1u);
}

// The size handed to sinks is computed while the fields are filled; it must
// equal the bytes actually written, for every mix of fixed and varying parts.
void write_size_probe_events() {
    std::uint32_t fixed = 7;
    const char* text = "variable";
    std::vector<std::uint16_t> values{1, 2, 3};
    char buffer[6] = "abc";
    std::vector<std::array<int, 2>> points{{1, 2}, {3, 4}};
    EHTRACE_WRITE(behaviour, "Fixed", field<"a">(fixed), field<"b">(std::array<std::uint8_t, 3>{1, 2, 3}));
    EHTRACE_WRITE(
        behaviour, "Mixed", field<"a">(fixed), field<"t">(text), field<"v">(values), field<"buf">(buffer),
        field<"s">(std::string_view("counted")), field<"bin">(ehtrace::binary("\x01\x02", 2)),
        ehtrace::struct_<"outer">(field<"x">(fixed), ehtrace::struct_<"inner">(field<"t">(text))),
        ehtrace::struct_array<"pts">(
            points, [](const std::array<int, 2>& p) { return ehtrace::fields(field<"x">(p[0]), field<"y">(p[1])); }),
        ehtrace::raw_field<"r", ehtrace::field_encoding::value32>(&fixed, sizeof fixed));
    ehtrace::uuid id = ehtrace::new_activity_id();
    EHTRACE_WRITE(behaviour, "Act", ehtrace::activity(id), ehtrace::related_activity(id), field<"t">(text));
}

TEST(Behaviour, SinksAreToldTheExactEventSize) {
    std::uint64_t written = 0;
    {
        memory_capture capture;
        ehtrace::provider_registration registration(behaviour);
        write_size_probe_events();
        for (const auto& r : capture.records()) written += r.bytes.size();
        ASSERT_EQ(capture.records().size(), 3u);
    }
    ehtrace::counting_sink counter;
    auto* previous = ehtrace::set_sink(&counter);
    {
        ehtrace::provider_registration registration(behaviour);
        write_size_probe_events();
    }
    ehtrace::set_sink(previous);
    EXPECT_EQ(counter.events(), 3u);
    EXPECT_EQ(counter.bytes(), written);
}

// A field of an lvalue reads it when the event is written; fields that
// outlive the caller's statement (kept in a variable, or returned by a
// struct_array projection from its own locals) hold copies of rvalues.
__attribute__((noinline)) void clobber_stack() {
    volatile char junk[256];
    for (auto& c : junk) c = static_cast<char>(0xEE);
}

auto kept_fields(int x) {
    return std::tuple{field<"x">(x + 1), field<"h">(ehtrace::hex(x + 2)), field<"e">(ehtrace::errno_value(x + 3))};
}

TEST(Behaviour, FieldsKeptPastTheirStatementHoldCopies) {
    memory_capture capture;
    ehtrace::provider_registration registration(behaviour);
    const int x = 40;
    std::vector<std::array<int, 2>> points{{1, 2}, {3, 4}};
    auto project = [](const std::array<int, 2>& p) {
        const int sum = p[0] + p[1];
        const char* label = p[0] == 1 ? "first" : "second";
        return ehtrace::fields(field<"sum">(sum), field<"hex">(ehtrace::hex(sum)), field<"label">(label),
                               ehtrace::struct_<"s">(field<"d">(sum * 2)));
    };
    auto kept = kept_fields(x);
    clobber_stack();
    ASSERT_EQ(EHTRACE_WRITE(behaviour, "Kept", std::get<0>(kept), std::get<1>(kept), std::get<2>(kept),
                            ehtrace::struct_array<"pts">(points, project)),
              0);
    ASSERT_EQ(EHTRACE_WRITE(behaviour, "Kept", field<"x">(41), field<"h">(ehtrace::hex(42)),
                            field<"e">(ehtrace::errno_value(43)),
                            ehtrace::struct_array<"pts">(points,
                                                         [](const std::array<int, 2>& p) {
                                                             return ehtrace::fields(
                                                                 field<"sum">(p[0] + p[1]),
                                                                 field<"hex">(ehtrace::hex(p[0] + p[1])),
                                                                 field<"label">(p[0] == 1 ? "first" : "second"),
                                                                 ehtrace::struct_<"s">(field<"d">((p[0] + p[1]) * 2)));
                                                         })),
              0);
    const auto records = capture.records();
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].bytes, records[1].bytes);
    // And an lvalue is read when the event is written.
    int late = 1;
    auto f = field<"late">(late);
    late = 2;
    ASSERT_EQ(EHTRACE_WRITE(behaviour, "Late", f), 0);
    ASSERT_EQ(EHTRACE_WRITE(behaviour, "Late", field<"late">(2)), 0);
    const auto late_records = capture.records();
    ASSERT_EQ(late_records.size(), 4u);
    EXPECT_EQ(late_records[2].bytes, late_records[3].bytes);
}

TEST(Behaviour, RawFieldsWhoseBytesContradictTheirDefinitionAreRefused) {
    memory_capture capture;
    ehtrace::provider_registration registration(behaviour);
    using ehtrace::field_encoding;
    constexpr std::uint8_t const_array = ehtrace::encoding_flags::const_array;
    constexpr std::uint8_t var_array = ehtrace::encoding_flags::var_array;
    std::uint32_t four = 4;
    std::uint16_t two = 2;
    std::uint16_t pair[2] = {1, 2};
    std::uint8_t counted[] = {2, 0, 0xaa, 0, 0xbb, 0};  // u16 count 2, then two u16
    EXPECT_EQ(EHTRACE_WRITE(behaviour, "Raw", ehtrace::raw_field<"v", field_encoding::value32>(&two, sizeof two)),
              EINVAL);
    EXPECT_EQ(
        EHTRACE_WRITE(behaviour, "Raw",
                      ehtrace::struct_<"s">(ehtrace::raw_field<"v", field_encoding::value16>(&four, sizeof four))),
        EINVAL);
    EXPECT_EQ(
        EHTRACE_WRITE(
            behaviour, "Raw",
            ehtrace::raw_field<"a", field_encoding::value16, ehtrace::field_format::default_format, 0, 3, const_array>(
                pair, sizeof pair)),
        EINVAL);
    EXPECT_EQ(
        EHTRACE_WRITE(
            behaviour, "Raw",
            ehtrace::raw_field<"a", field_encoding::value16, ehtrace::field_format::default_format, 0, 0, var_array>(
                counted, 4)),
        EINVAL);
    EXPECT_TRUE(capture.records().empty());

    EXPECT_EQ(
        EHTRACE_WRITE(
            behaviour, "Raw", ehtrace::raw_field<"v", field_encoding::value32>(&four, sizeof four),
            ehtrace::raw_field<"a", field_encoding::value16, ehtrace::field_format::default_format, 0, 2, const_array>(
                pair, sizeof pair),
            ehtrace::raw_field<"c", field_encoding::value16, ehtrace::field_format::default_format, 0, 0, var_array>(
                counted, sizeof counted),
            ehtrace::raw_field<"s", field_encoding::string_length16_char8>("\x01\x00x", 3)),
        0);
    EXPECT_EQ(capture.records().size(), 1u);
}

TEST(Activity, IdsAreVersion4AndDistinct) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        auto id = ehtrace::new_activity_id();
        EXPECT_EQ(id.bytes[6] >> 4, 4);
        EXPECT_EQ(id.bytes[8] & 0xC0, 0x80);
        seen.insert(std::string(reinterpret_cast<const char*>(id.bytes), 16));
    }
    EXPECT_EQ(seen.size(), 1000u);
}

// Activity block: flags at 0, opcode at 6; block header at 8..11, ids at 12.
ehtrace::uuid activity_of(const bytes& event) {
    ehtrace::uuid id{};
    std::copy(event.begin() + 12, event.begin() + 28, id.bytes);
    return id;
}

// An activity in a function template (a request handler templated on its
// transport, say): its start and stop sites are registered and write.
template <class T>
void templated_activity(T value) {
    auto scope = EHTRACE_ACTIVITY(behaviour, "TemplatedRequest", ehtrace::level<2>, field<"v">(value));
    EHTRACE_WRITE(behaviour, "TemplatedWork", ehtrace::level<2>, ehtrace::activity(scope.id()));
}

TEST(Activity, ScopeInAFunctionTemplateWritesStartAndStop) {
    memory_capture capture;
    ehtrace::provider_registration registration(behaviour);
    templated_activity(std::uint16_t{7});
    auto records = capture.records();
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[0].bytes[6], 1);  // start
    EXPECT_EQ(records[2].bytes[6], 2);  // stop
    const auto start = activity_of(records[0].bytes), stop = activity_of(records[2].bytes);
    EXPECT_TRUE(std::equal(start.bytes, start.bytes + 16, stop.bytes)) << "the stop is not the start's activity";
    for (const auto& r : records) EXPECT_EQ(r.tracepoint_name, "Behaviour_Test_L2K0");
}

TEST(Activity, ScopesWriteStartAndStopAndNest) {
    memory_capture capture;
    ehtrace::provider_registration registration(behaviour);
    ehtrace::uuid outer_id{}, inner_id{};
    EXPECT_EQ(ehtrace::current_activity(), nullptr);
    {
        auto outer =
            EHTRACE_ACTIVITY(behaviour, "Outer", ehtrace::level<4>, ehtrace::keyword<1>, field<"n">(std::uint8_t{1}));
        outer_id = outer.id();
        EXPECT_EQ(ehtrace::current_activity(), &outer.id());
        {
            auto inner = EHTRACE_ACTIVITY(behaviour, "Inner");
            inner_id = inner.id();
            EXPECT_EQ(inner.parent(), &outer.id());
            EHTRACE_WRITE(behaviour, "Work", ehtrace::activity(inner.id()));
        }
        EXPECT_EQ(ehtrace::current_activity(), &outer.id());
    }
    EXPECT_EQ(ehtrace::current_activity(), nullptr);

    auto records = capture.records();
    ASSERT_EQ(records.size(), 5u);
    // Outer start: opcode 1, 16-byte block (no parent), level 4 keyword 1.
    EXPECT_EQ(records[0].tracepoint_name, "Behaviour_Test_L4K1");
    EXPECT_EQ(records[0].bytes[6], 1);
    EXPECT_EQ(records[0].bytes[8], 16);
    EXPECT_EQ(activity_of(records[0].bytes), outer_id);
    // Inner start: 32-byte block, related id = outer.
    EXPECT_EQ(records[1].bytes[6], 1);
    EXPECT_EQ(records[1].bytes[8], 32);
    EXPECT_EQ(activity_of(records[1].bytes), inner_id);
    ehtrace::uuid related{};
    std::copy(records[1].bytes.begin() + 28, records[1].bytes.begin() + 44, related.bytes);
    EXPECT_EQ(related, outer_id);
    EXPECT_EQ(activity_of(records[2].bytes), inner_id);  // Work
    EXPECT_EQ(records[2].bytes[6], 0);
    // Inner stop, then outer stop with the start's level and keyword.
    EXPECT_EQ(records[3].bytes[6], 2);
    EXPECT_EQ(activity_of(records[3].bytes), inner_id);
    EXPECT_EQ(records[4].bytes[6], 2);
    EXPECT_EQ(records[4].tracepoint_name, "Behaviour_Test_L4K1");
    EXPECT_EQ(activity_of(records[4].bytes), outer_id);
}

}  // namespace
