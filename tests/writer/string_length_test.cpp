// Zero-terminated strings are measured inline, 16 aligned bytes at a time
// (docs/write-path.md, "Measuring zero-terminated strings"): every place of a
// string in its 16-byte block, every length around the blocks' edges, a
// string that ends at the last byte before an unmapped page, null, and the
// bytes both APIs then write.
#include "event_test_support.hpp"

#include <ehtrace/dynamic.hpp>
#include <ehtrace/fields.hpp>
#include <ehtrace/provider.hpp>
#include <ehtrace/string_length.hpp>

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

EHTRACE_PROVIDER(string_length_provider, "StringLength_Test");

namespace {

using namespace ehtrace_test;
using ehtrace::detail::zstring_length;

// The length as measured by the write path; `text` is an lvalue the
// function may replace (null becomes "").
std::size_t measure(const char* text) { return zstring_length(text); }

TEST(ZstringLength, EveryPlaceInABlockAndEveryLengthUpToThreeBlocks) {
    alignas(16) char area[96];
    for (std::size_t offset = 0; offset < 32; ++offset) {
        for (std::size_t length = 0; offset + length < 90; ++length) {
            // Zeros before the string must not count; neither may the
            // bytes after its 0.
            for (char before : {'\0', 'x'}) {
                std::memset(area, before, offset);
                std::memset(area + offset, 'a', sizeof area - offset);
                area[offset + length] = '\0';
                EXPECT_EQ(measure(area + offset), length) << "offset " << offset << ", length " << length;
            }
        }
    }
}

TEST(ZstringLength, AStringEndingAtAnUnmappedPageIsReadInItsOwnPageOnly) {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    void* mapping = ::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(mapping, MAP_FAILED);
    ASSERT_EQ(::mprotect(static_cast<char*>(mapping) + page, page, PROT_NONE), 0);
    char* const end = static_cast<char*>(mapping) + page;  // the first byte that faults
    std::memset(mapping, 'b', page);
    end[-1] = '\0';
    for (std::size_t length = 0; length < 64; ++length) {
        EXPECT_EQ(measure(end - 1 - length), length) << length;
    }
    ::munmap(mapping, 2 * page);
}

// Blocks of exactly the string's size: under valgrind's memcheck (the
// writer.string_length_memcheck test) the bytes after them are unaddressable.
TEST(ZstringLength, HeapStringsOfEveryLength) {
    for (std::size_t length = 0; length < 48; ++length) {
        for (std::size_t skip = 0; skip <= length; ++skip) {
            auto* text = static_cast<char*>(std::malloc(length + 1));
            ASSERT_NE(text, nullptr);
            std::memset(text, 'h', length);
            text[length] = '\0';
            EXPECT_EQ(measure(text + skip), length - skip) << length << ", from " << skip;
            std::free(text);
        }
    }
}

TEST(ZstringLength, NullIsMeasuredAsTheEmptyString) {
    const char* text = nullptr;
    EXPECT_EQ(zstring_length(text), 0u);
    ASSERT_NE(text, nullptr);
    EXPECT_EQ(*text, '\0');
    const char16_t* wide = nullptr;
    EXPECT_EQ(zstring_length(wide), 0u);
    ASSERT_NE(wide, nullptr);
}

// The form the compile-time API uses with clang: the caller has stored the
// pointer already and is told only when null must be replaced.
TEST(ZstringLength, NullIsReportedOnceAndOnlyForNull) {
    std::vector<const char*> replacements;
    const auto on_null = [&](const char* empty) { replacements.push_back(empty); };
    const char* const null_text = nullptr;
    EXPECT_EQ(zstring_length(null_text, on_null), 0u);
    ASSERT_EQ(replacements.size(), 1u);
    ASSERT_NE(replacements[0], nullptr);
    EXPECT_EQ(*replacements[0], '\0');
    alignas(16) char area[64];
    std::memset(area, 'n', sizeof area);
    for (std::size_t offset = 0; offset < 16; ++offset) {
        for (std::size_t length : {0u, 3u, 15u, 16u, 17u, 40u}) {
            area[offset + length] = '\0';
            EXPECT_EQ(zstring_length(static_cast<const char*>(area + offset), on_null), length)
                << "offset " << offset << ", length " << length;
            area[offset + length] = 'n';
        }
    }
    EXPECT_EQ(replacements.size(), 1u);
}

TEST(ZstringLength, LongAndWideStrings) {
    const std::string long_text(5000, 'q');
    EXPECT_EQ(measure(long_text.c_str()), 5000u);
    const std::u16string wide(40, u'w');
    const char16_t* wide_text = wide.c_str();
    EXPECT_EQ(zstring_length(wide_text), 40u);
    const char32_t* literal = U"four";
    EXPECT_EQ(zstring_length(literal), 4u);
}

// Both APIs write the string and its 0 whatever its place in its block.
TEST(ZstringLength, BothApisWriteTheStringAtEveryPlace) {
    memory_capture capture;
    ehtrace::provider_registration registration{string_length_provider};
    ehtrace::dynamic::provider dynamic_provider("StringLength_Test");
    ehtrace::dynamic::event_set* set = dynamic_provider.register_set(4, 0);
    ASSERT_NE(set, nullptr);
    ehtrace::dynamic::event_builder builder;
    alignas(16) char area[64];
    std::size_t events = 0;
    for (std::size_t offset = 0; offset < 16; ++offset) {
        for (std::size_t length : {0u, 1u, 5u, 11u, 15u, 16u, 17u, 20u, 31u, 40u}) {
            std::memset(area, 'c', sizeof area);
            for (std::size_t i = 0; i < length; ++i) area[offset + i] = static_cast<char>('A' + i % 26);
            area[offset + length] = '\0';
            const char* text = area + offset;
            const std::string expected(text, length);
            ASSERT_EQ(EHTRACE_WRITE(string_length_provider, "S", ehtrace::level<4>, ehtrace::field<"s">(text)), 0);
            builder.reset("S").add_zstring("s", text);
            ASSERT_EQ(builder.write(*set), 0);
            const bytes payload = cat({expected.c_str()});
            const auto records = capture.records();
            ASSERT_EQ(records.size(), events + 2);
            for (std::size_t i = events; i < events + 2; ++i) {
                const bytes& event = records[i].bytes;
                ASSERT_GE(event.size(), payload.size());
                EXPECT_EQ(bytes(event.end() - static_cast<std::ptrdiff_t>(payload.size()), event.end()), payload)
                    << "offset " << offset << ", length " << length << (i == events ? ", compile-time" : ", dynamic");
            }
            EXPECT_EQ(records[events].bytes, records[events + 1].bytes);
            events += 2;
        }
    }
}

}  // namespace
