// Null pointers for strings in the writing APIs: written as empty strings
// (as the established EventHeader implementations do), or refused with
// EINVAL where a length says there are bytes; never undefined behaviour.
// Also the unit tests of the fixes the fuzzers led to.
#include <ehtrace/ehtrace.h>
#include <ehtrace/decode/event_enumerator.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/tracepoint_layout.hpp>
#include <ehtrace/dynamic.hpp>
#include <ehtrace/provider.hpp>
#include <ehtrace/sink.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <span>
#include <string>
#include <vector>

EHTRACE_PROVIDER(null_provider, "BadInput_Null");

namespace {

using ehtrace::field;

// Makes a memory sink current for the test's registrations.
class memory_scope {
public:
    memory_scope() : previous_(ehtrace::set_sink(&sink_)) {}
    ~memory_scope() { ehtrace::set_sink(previous_); }
    ehtrace::memory_sink& sink() { return sink_; }

    // The JSON of the only record, with no decode error.
    std::string only_event_json() {
        const auto records = sink_.records();
        EXPECT_EQ(records.size(), 1u);
        if (records.size() != 1) return {};
        std::string json;
        const auto& r = records[0];
        const auto error = ehtrace::decode::format_event_json(
            json, r.tracepoint_name, std::span(reinterpret_cast<const std::byte*>(r.bytes.data()), r.bytes.size()));
        EXPECT_EQ(error, ehtrace::decode::decode_error::none) << json;
        return json;
    }

private:
    ehtrace::memory_sink sink_;
    ehtrace::sink* previous_;
};

TEST(NullStrings, CompileTimeNullPointersAreWrittenEmpty) {
    memory_scope scope;
    ehtrace::provider_registration registration(null_provider);
    ASSERT_EQ(registration.error(), 0);
    const char* s8 = nullptr;
    const char16_t* s16 = nullptr;
    const char32_t* s32 = nullptr;
    const wchar_t* wide = nullptr;
    ASSERT_EQ(EHTRACE_WRITE(null_provider, "Nulls", ehtrace::level<4>, field<"s8">(s8), field<"s16">(s16),
                            field<"s32">(s32), field<"wide">(wide), field<"after">(7)),
              0);
    EXPECT_EQ(scope.only_event_json(),
              R"({"n":"BadInput_Null:Nulls","s8":"","s16":"","s32":"","wide":"","after":7,"meta":{"level":4}})");
}

TEST(NullStrings, DynamicEmptyViewsAreEmptyAndNullDataWithALengthIsRefused) {
    memory_scope scope;
    ehtrace::dynamic::provider provider("BadInput_NullDynamic");
    auto* set = provider.register_set(4, 0);
    ASSERT_NE(set, nullptr);
    ehtrace::dynamic::event_builder b;
    b.reset("Nulls")
        .add_string("s", std::string_view{})
        .add_zstring("z", std::string_view{})
        .add_zstring("z16", std::u16string_view{})
        .add_binary("bin", nullptr, 0)
        .add_string_units("units", nullptr, 0, 2, true)
        .add_string_array<char>("array", nullptr, 0)
        .add_value("after", 7);
    ASSERT_EQ(b.error(), 0) << b.error_message();
    ASSERT_EQ(b.write(*set), 0);
    EXPECT_EQ(
        scope.only_event_json(),
        R"({"n":"BadInput_NullDynamic:Nulls","s":"","z":"","z16":"","bin":"","units":"","array":[],"after":7,"meta":{"level":4}})");

    // Null data with a non-zero length: EINVAL, the builder stays usable.
    EXPECT_EQ(b.reset("E").add_binary("bin", nullptr, 3).error(), EINVAL);
    EXPECT_EQ(b.reset("E").add_string_units("u", nullptr, 3, 1, false).error(), EINVAL);
    EXPECT_EQ(b.reset("E").add_string_array<char>("a", nullptr, 2).error(), EINVAL);
    EXPECT_EQ(b.reset("E")
                  .add_scalar("v", ehtrace::field_encoding::value32, ehtrace::field_format::default_format, nullptr)
                  .error(),
              EINVAL);
    EXPECT_EQ(b.reset("E").add_value("ok", 1).write(*set), 0);
}

TEST(NullStrings, CApiNullStringsAreEmpty) {
    memory_scope scope;
    ehtrace_provider* provider = nullptr;
    ASSERT_EQ(ehtrace_provider_open("BadInput_NullC", nullptr, &provider), 0);
    ehtrace_event_set* set = nullptr;
    ASSERT_EQ(ehtrace_provider_register_set(provider, 4, 0, &set), 0);
    ehtrace_builder* b = nullptr;
    ASSERT_EQ(ehtrace_builder_create(&b), 0);
    EXPECT_EQ(ehtrace_builder_reset(b, "Nulls", 0), 0);
    EXPECT_EQ(ehtrace_builder_add_zstring(b, "z", nullptr, EHTRACE_NUL_TERMINATED, 0, 0), 0);
    EXPECT_EQ(ehtrace_builder_add_string(b, "s", nullptr, EHTRACE_NUL_TERMINATED, 0, 0), 0);
    EXPECT_EQ(ehtrace_builder_add_zstring16(b, "z16", nullptr, 0, 0, 0), 0);
    EXPECT_EQ(ehtrace_builder_write(b, set, nullptr, nullptr), 0);
    EXPECT_EQ(scope.only_event_json(), R"({"n":"BadInput_NullC:Nulls","z":"","s":"","z16":"","meta":{"level":4}})");
    // A null field name is refused; null handles give EINVAL.
    EXPECT_EQ(ehtrace_builder_reset(b, "E", 0), 0);
    EXPECT_EQ(ehtrace_builder_add_zstring(b, nullptr, "x", EHTRACE_NUL_TERMINATED, 0, 0), EINVAL);
    EXPECT_EQ(ehtrace_builder_add_zstring(nullptr, "z", nullptr, EHTRACE_NUL_TERMINATED, 0, 0), EINVAL);
    ehtrace_builder_destroy(b);
    ehtrace_provider_close(provider);
}

// Fix found by fuzz_dynamic_builder: code units at an odd address.
TEST(FuzzFindings, StringUnitsAtAnOddAddress) {
    alignas(4) unsigned char storage[32] = {};
    unsigned char* odd = storage + 1;
    const char16_t text[] = {u'a', u'b', 0, u'c'};
    std::memcpy(odd, text, sizeof text);
    ehtrace::dynamic::event_builder b;
    b.reset("E").add_string_units("z", odd, 4, 2, true);
    ASSERT_EQ(b.error(), 0);
    // "z" NUL, encoding zstring_char16; payload: 'a' 'b' and the terminator, 2 bytes each.
    EXPECT_EQ(b.payload_size(), 6u);
}

// Fix found by fuzz_tracepoint_layout: a size-0 field of a plain tracepoint.
TEST(FuzzFindings, TracefsFieldOfSizeZeroIsNull) {
    ehtrace::decode::tracepoint_layout format;
    ASSERT_TRUE(ehtrace::decode::parse_tracepoint_layout(
        "name: t\nID: 5\nformat:\n"
        "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
        "\tfield:int empty;\toffset:2;\tsize:0;\tsigned:1;\n",
        format));
    std::vector<std::byte> raw(2);
    std::string json;
    ehtrace::decode::append_json(json, ehtrace::decode::sample_decoder().decode_record(&format, "", raw, {}, false));
    EXPECT_NE(json.find("\"empty\":null"), std::string::npos) << json;
}

}  // namespace
