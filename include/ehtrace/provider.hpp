// The compile-time EventHeader API.
//
//   EHTRACE_PROVIDER(my_provider, "MyCompany_MyComponent");   // a header or .cpp
//
//   int main() {
//       ehtrace::provider_registration registration(my_provider);
//       EHTRACE_WRITE(my_provider, "Hello", ehtrace::level<4>, ehtrace::keyword<0x1>,
//                     ehtrace::field<"x">(42), ehtrace::field<"who">(name));
//   }
//
// Names, levels, keywords, opcodes, ids and tags are template arguments, so
// the tracepoint name, the header and the metadata of every event are
// constants built by the compiler. At run time a disabled event costs one
// relaxed load and one branch; its arguments are not evaluated.
#pragma once

#include <sys/uio.h>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <ehtrace/encoding.hpp>
#include <ehtrace/fields.hpp>
#include <ehtrace/fixed_string.hpp>
#include <ehtrace/tracepoint.hpp>
#include <ehtrace/wire/eventheader.hpp>

namespace ehtrace {
namespace detail {

// The static state of one write site: its registration, and the constant
// registration command it registers with. Trivially destructible and
// constant-initialized: no guard on the hot path.
struct event_site {
    basic_tracepoint tracepoint;
    const char* command;
    event_site* next_listed = nullptr;  // the provider's start-up list (EHTRACE_DETAIL_LIST_AT_STARTUP)

    constexpr explicit event_site(const char* registration_command) noexcept : command(registration_command) {}
};

// The sites of one provider in one ELF module, collected by the linker.
struct site_range {
    event_site* const* begin;
    event_site* const* end;
};

}  // namespace detail

// What every provider type shares: registration of all its write sites.
class provider_base {
public:
    constexpr explicit provider_base(detail::site_range (*sites)() noexcept) noexcept : sites_(sites) {}
    provider_base(const provider_base&) = delete;
    provider_base& operator=(const provider_base&) = delete;

    // Registers the tracepoint of every write site of this provider in this
    // module, so a collector sees all of them before any event fires.
    // Returns 0, or the first error (an errno value) — the provider is usable
    // either way; events whose registration failed stay disabled.
    int register_events() noexcept;
    // Unregisters every site. Required before the module (shared object) that
    // holds the sites is unloaded. Returns 0, or EALREADY if not registered.
    int unregister_events() noexcept;
    bool registered() const noexcept { return registered_.load(std::memory_order_acquire); }

    // For the write macros: adds a site found at start-up rather than by the
    // linker, and registers it at once when the provider already is.
    void list_at_startup(detail::event_site& site) noexcept;

private:
    detail::site_range (*sites_)() noexcept;
    std::atomic<detail::event_site*> listed_at_startup_{nullptr};
    std::atomic<bool> registered_{false};
};

namespace detail {
// A site's place in its provider's start-up list: one dynamic initializer
// per site, run before main (or by dlopen) however the site's function is
// instantiated.
template <auto& Provider, event_site& Site>
struct startup_listing {
    static inline const bool listed = (Provider.list_at_startup(Site), true);
};
}  // namespace detail

template <fixed_string Name, fixed_string Options = "">
class provider : public provider_base {
    static_assert(check_provider_name(Name.view()) != provider_name_error::empty,
                  "ehtrace: the provider name must not be empty");
    static_assert(check_provider_name(Name.view()) != provider_name_error::invalid_character,
                  "ehtrace: the provider name may hold only letters, digits and '_' (no space, no ':')");
    static_assert(check_provider_options(Options.view()) == provider_name_error::none,
                  "ehtrace: provider options are an uppercase letter followed by lowercase letters or digits, "
                  "sorted by letter, e.g. \"Gmygroup\"");

public:
    static constexpr std::string_view name = Name.view();
    static constexpr std::string_view options = Options.view();
    using provider_base::provider_base;
};

// RAII registration: registers in the constructor, unregisters in the destructor.
class provider_registration {
public:
    explicit provider_registration(provider_base& p) noexcept : provider_(p), error_(p.register_events()) {}
    ~provider_registration() { provider_.unregister_events(); }
    provider_registration(const provider_registration&) = delete;
    provider_registration& operator=(const provider_registration&) = delete;
    int error() const noexcept { return error_; }

private:
    provider_base& provider_;
    int error_;
};

// --- event attributes (compile-time constants except activity ids) --------

namespace detail {

struct event_attributes {
    std::uint8_t level = static_cast<std::uint8_t>(event_level::verbose);
    int level_count = 0;
    std::uint64_t keyword = 0;
    std::uint8_t opcode = 0;
    int opcode_count = 0;
    std::uint16_t id = 0;
    std::uint8_t version = 0;
    std::uint16_t tag = 0;
    int activity_count = 0;
    int related_count = 0;
};

struct attribute_marker {};

template <auto Level>
struct level_attribute : attribute_marker {
    static_assert(static_cast<int>(Level) >= 1 && static_cast<int>(Level) <= 255,
                  "ehtrace: the level must be 1..255 (1 critical, 2 error, 3 warning, 4 info, 5 verbose)");
    static constexpr void apply(event_attributes& a) noexcept {
        a.level = static_cast<std::uint8_t>(Level);
        ++a.level_count;
    }
};

template <std::uint64_t Keyword>
struct keyword_attribute : attribute_marker {
    static constexpr void apply(event_attributes& a) noexcept { a.keyword |= Keyword; }
};

template <auto Opcode>
struct opcode_attribute : attribute_marker {
    static_assert(static_cast<int>(Opcode) >= 0 && static_cast<int>(Opcode) <= 255,
                  "ehtrace: the opcode must be 0..255");
    static constexpr void apply(event_attributes& a) noexcept {
        a.opcode = static_cast<std::uint8_t>(Opcode);
        ++a.opcode_count;
    }
};

template <std::uint16_t Id, std::uint8_t Version>
struct id_attribute : attribute_marker {
    static constexpr void apply(event_attributes& a) noexcept {
        a.id = Id;
        a.version = Version;
    }
};

template <std::uint16_t Tag>
struct event_tag_attribute : attribute_marker {
    static constexpr void apply(event_attributes& a) noexcept { a.tag = Tag; }
};

struct activity_attribute : attribute_marker {
    const uuid* id;
    static constexpr void apply(event_attributes& a) noexcept { ++a.activity_count; }
};

struct related_activity_attribute : attribute_marker {
    const uuid* id;
    static constexpr void apply(event_attributes& a) noexcept { ++a.related_count; }
};

}  // namespace detail

// Level 1..255 (event_level values or numbers); default verbose (5).
template <auto Level>
inline constexpr detail::level_attribute<Level> level{};
// Keyword bits; several keyword<> attributes are OR'ed.
template <std::uint64_t Keyword>
inline constexpr detail::keyword_attribute<Keyword> keyword{};
// Opcode (event_opcode values or numbers); default info (0).
template <auto Opcode>
inline constexpr detail::opcode_attribute<Opcode> opcode{};
// Stable event id and its layout version.
template <std::uint16_t Id, std::uint8_t Version = 0>
inline constexpr detail::id_attribute<Id, Version> id{};
// The event's 16-bit tag.
template <std::uint16_t Tag>
inline constexpr detail::event_tag_attribute<Tag> event_tag{};
// Activity ids, given at run time.
inline detail::activity_attribute activity(const uuid& id) noexcept { return {{}, &id}; }
inline detail::related_activity_attribute related_activity(const uuid& id) noexcept { return {{}, &id}; }

namespace detail {

template <class... Args>
struct type_list {};

template <class... Args>
type_list<std::remove_cvref_t<Args>...> type_list_of(Args&&...);  // unevaluated only

template <class A>
constexpr void apply_attribute(event_attributes& a) noexcept {
    if constexpr (std::is_base_of_v<attribute_marker, A>) A::apply(a);
}

template <class A>
constexpr void check_argument() noexcept {
    static_assert(std::is_base_of_v<attribute_marker, A> || std::is_base_of_v<field_marker, A>,
                  "ehtrace: event arguments are attributes (ehtrace::level<>, keyword<>, opcode<>, id<>, "
                  "event_tag<>, activity(), related_activity()) or fields (ehtrace::field<\"name\">(value), "
                  "struct_<>, raw_field<>)");
}

template <class... Args>
constexpr event_attributes attributes_of() noexcept {
    event_attributes a;
    (apply_attribute<Args>(a), ...);
    return a;
}

// The tracepoint an event goes to: "<provider>_L<level>K<keyword><options>",
// and its registration command "<name> u8 eventheader_flags; ...".
template <class Provider, std::uint8_t Level, std::uint64_t Keyword>
struct tracepoint_definition {
    static constexpr std::size_t name_length =
        tracepoint_name_length(Provider::name.size(), Level, Keyword, Provider::options.size());
    static_assert(tracepoint_name_fits(name_length),
                  "ehtrace: the tracepoint name (provider name + _L<level>K<keyword> + options) must be "
                  "shorter than 256 bytes; shorten the provider name");

    static constexpr auto command = [] {
        std::array<char, name_length + 1 + sizeof eventheader_fields> text{};
        char_writer out(text.data());
        encode_tracepoint_name(out, Provider::name, Level, Keyword, Provider::options);
        out.put(' ');
        out.put_zstring(std::string_view(eventheader_fields, sizeof eventheader_fields - 1));
        return text;
    }();
    static constexpr std::string_view name{command.data(), name_length};
};

template <class Provider, fixed_string Name, class Args>
struct event_definition;

template <class Provider, fixed_string Name, class... Args>
struct event_definition<Provider, Name, type_list<Args...>> {
    static_assert(check_name(Name.view()) != name_error::empty, "ehtrace: the event name must not be empty");
    static_assert(check_name(Name.view()) != name_error::contains_semicolon,
                  "ehtrace: the event name must not contain ';'");
    static_assert(check_name(Name.view()) != name_error::contains_nul, "ehtrace: the event name must not contain NUL");
    static_assert(((check_argument<Args>(), true) && ...));

    static constexpr event_attributes attributes = attributes_of<Args...>();
    static_assert(attributes.level_count <= 1, "ehtrace: give the level at most once");
    static_assert(attributes.opcode_count <= 1, "ehtrace: give the opcode at most once");
    static_assert(attributes.activity_count <= 1 && attributes.related_count <= 1,
                  "ehtrace: give activity() and related_activity() at most once each");
    static_assert(attributes.related_count == 0 || attributes.activity_count == 1,
                  "ehtrace: related_activity() needs activity() too");

    using tracepoint = tracepoint_definition<Provider, attributes.level, attributes.keyword>;

    static constexpr bool has_activity = attributes.activity_count != 0;
    static constexpr std::size_t activity_size =
        activity_id_size * (attributes.activity_count + attributes.related_count);

    template <class A>
    static constexpr void encode_field_metadata(byte_writer& out) noexcept {
        if constexpr (std::is_base_of_v<field_marker, A>) A::encode_metadata(out);
    }
    static constexpr std::size_t metadata_size = [] {
        byte_writer out;
        out.put_zstring(Name.view());
        (encode_field_metadata<Args>(out), ...);
        return out.size();
    }();
    static_assert(metadata_size <= max_event_size, "ehtrace: the event's metadata exceeds 65,535 bytes");

    // Constant bytes before the activity ids (header and, with activity ids,
    // the activity block's header) and after them (the metadata block).
    // Without activity ids the two are adjacent and written as one piece.
    static constexpr std::size_t leading_size = header_size + (has_activity ? extension_block_header_size : 0);
    static constexpr std::size_t trailing_size = extension_block_header_size + metadata_size;

    static constexpr auto constant_bytes = [] {
        std::array<std::uint8_t, leading_size + trailing_size> bytes{};
        byte_writer out(bytes.data());
        encode_header(out, true, attributes.version, attributes.id, attributes.tag, attributes.opcode,
                      attributes.level);
        if (has_activity) {
            encode_extension_header(out, static_cast<std::uint16_t>(activity_size), extension_kind::activity_id, true);
        }
        encode_extension_header(out, static_cast<std::uint16_t>(metadata_size), extension_kind::metadata, false);
        out.put_zstring(Name.view());
        (encode_field_metadata<Args>(out), ...);
        return bytes;
    }();

    template <class A>
    static constexpr std::size_t payload_size_of() noexcept {
        if constexpr (std::is_base_of_v<field_marker, A>) {
            return A::fixed_size;
        } else {
            return 0;
        }
    }
    template <class A>
    static constexpr bool has_variable_size() noexcept {
        if constexpr (std::is_base_of_v<field_marker, A>) {
            return A::variable;
        } else {
            return false;
        }
    }
    // Events whose size is a constant are checked here, not at run time.
    static constexpr bool fixed_size = !(false || ... || has_variable_size<Args>());
    static constexpr std::size_t constant_size =
        leading_size + activity_size + trailing_size + (0 + ... + payload_size_of<Args>());
    static_assert(constant_size <= max_event_size, "ehtrace: the event exceeds 65,535 bytes");

    // --- the payload's layout (fields.hpp: pieces) ---------------------
    template <class A>
    static constexpr auto pieces_of() noexcept {
        if constexpr (std::is_base_of_v<field_marker, A>) {
            return A::pieces;
        } else {
            return std::array<piece, 0>{};
        }
    }
    static constexpr auto pieces = concat_pieces(pieces_of<Args>()...);
    // The first piece of each argument.
    static constexpr std::array<std::size_t, sizeof...(Args)> first_piece = [] {
        std::array<std::size_t, sizeof...(Args)> first{};
        std::size_t i = 0, k = 0;
        ((first[k++] = i, i += pieces_of<Args>().size()), ...);
        return first;
    }();

    // iov[0] is the sink's; then the constant bytes (with the activity ids
    // between their two parts), then the payload.
    static constexpr std::size_t payload_iov =
        1 + (has_activity ? 2 + attributes.activity_count + attributes.related_count : 1);

    // Where each piece goes: a copied piece at `offset` in the stack buffer,
    // a referenced one in iov[iov]. A run of adjacent copied pieces is one
    // iovec, listed in `runs`.
    struct slot {
        std::size_t offset = 0;
        std::size_t iov = 0;
    };
    struct run {
        std::size_t offset = 0;
        std::size_t size = 0;
        std::size_t iov = 0;
    };
    struct payload_layout {
        std::array<slot, pieces.size()> slots{};
        std::size_t run_count = 0;
        std::size_t copied_size = 0;
        std::size_t iov_count = payload_iov;
    };
    // Where a run starts in the buffer: padded so that its first 8-byte (or
    // wider) value is 8-byte aligned, else its first 4-byte value 4-byte
    // aligned (the run's bytes stay contiguous; only the gap between runs,
    // which no iovec covers, grows).
    static constexpr std::size_t run_start(std::size_t at, std::size_t first) noexcept {
        std::size_t lead = 0;
        for (std::size_t align : {std::size_t{8}, std::size_t{4}}) {
            lead = 0;
            for (std::size_t i = first; i < pieces.size() && pieces[i].copied; lead += pieces[i++].size) {
                if (pieces[i].size >= align) return at + (align - (at + lead) % align) % align;
            }
        }
        return at;
    }
    static constexpr payload_layout layout = [] {
        payload_layout l;
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            if (pieces[i].copied) {
                if (i == 0 || !pieces[i - 1].copied) {
                    ++l.run_count;
                    ++l.iov_count;
                    l.copied_size = run_start(l.copied_size, i);
                }
                l.slots[i] = {l.copied_size, l.iov_count - 1};
                l.copied_size += pieces[i].size;
            } else {
                l.slots[i] = {0, l.iov_count++};
            }
        }
        return l;
    }();
    static constexpr auto runs = [] {
        std::array<run, layout.run_count> r{};
        std::size_t n = 0;
        for (std::size_t i = 0; i < pieces.size(); ++i) {
            if (!pieces[i].copied) continue;
            if (i == 0 || !pieces[i - 1].copied) r[n++] = {layout.slots[i].offset, 0, layout.slots[i].iov};
            r[n - 1].size += pieces[i].size;
        }
        return r;
    }();

    // What the fields' emit() writes through.
    struct payload_writer {
        ::iovec* iov;
        std::uint8_t* copied;
        std::size_t variable_size = 0;

        template <std::size_t Piece>
        EHTRACE_FIELD_INLINE void copy(const void* bytes, std::size_t size) noexcept {
            std::memcpy(copied + layout.slots[Piece].offset, bytes, size);
        }
        template <std::size_t Piece>
        EHTRACE_FIELD_INLINE void ref(const void* data, std::size_t size) noexcept {
            ref_data<Piece>(data);
            ref_size<Piece>(size);
        }
        // The same in two steps, for a size measured after the data is
        // known (a zero-terminated string): the pointer is stored first
        // and need not be kept across the measuring call.
        template <std::size_t Piece>
        EHTRACE_FIELD_INLINE void ref_data(const void* data) noexcept {
            iov[layout.slots[Piece].iov].iov_base = const_cast<void*>(data);
        }
        template <std::size_t Piece>
        EHTRACE_FIELD_INLINE void ref_size(std::size_t size) noexcept {
            iov[layout.slots[Piece].iov].iov_len = size;
            if constexpr (pieces[Piece].variable) variable_size += size;
        }
    };

    // The iovecs of the constant bytes (one, or two around the activity
    // ids). Not const, so that the compiler copies each (one 16-byte load
    // and store) rather than rebuilding a constant it knows (an address
    // computed, two stores).
    static constinit inline ::iovec leading_iovec{const_cast<std::uint8_t*>(constant_bytes.data()),
                                                  has_activity ? leading_size : constant_bytes.size()};
    static constinit inline ::iovec trailing_iovec{const_cast<std::uint8_t*>(constant_bytes.data()) + leading_size,
                                                   trailing_size};

    template <class... Values>
    EHTRACE_FIELD_INLINE static int write(const event_site& site, const Values&... values) noexcept {
        ::iovec iov[layout.iov_count];
        ::iovec* out = iov + 1;
        if constexpr (has_activity) {
            *out++ = leading_iovec;
            (fill_activity<activity_attribute>(out, values), ...);
            (fill_activity<related_activity_attribute>(out, values), ...);
            *out++ = trailing_iovec;
        } else {
            *out++ = leading_iovec;
        }
        if (!(true && ... && field_valid(values))) return EINVAL;
        alignas(16) std::uint8_t copied[layout.copied_size != 0 ? layout.copied_size : 1];
        payload_writer writer{iov, copied};
        [&]<std::size_t... R>(std::index_sequence<R...>) EHTRACE_FIELD_LAMBDA_INLINE {
            ((iov[runs[R].iov] = make_iovec(copied + runs[R].offset, runs[R].size)), ...);
        }
        (std::make_index_sequence<runs.size()>{});
        [&]<std::size_t... K>(std::index_sequence<K...>) EHTRACE_FIELD_LAMBDA_INLINE {
            (emit_field<first_piece[K]>(writer, values), ...);
        }
        (std::index_sequence_for<Values...>{});
        if constexpr (!fixed_size) {
            if (writer.variable_size > max_event_size - constant_size) return E2BIG;
        }
        // basic_tracepoint::write(iov, iovcnt, size) without its call: one call
        // per event, the sink's.
        return site.tracepoint.write_target()->write(site.tracepoint, iov, static_cast<int>(layout.iov_count),
                                                     constant_size + writer.variable_size);
    }

private:
    template <class Wanted, class V>
    EHTRACE_FIELD_INLINE static void fill_activity(::iovec*& out, const V& value) noexcept {
        if constexpr (std::is_same_v<V, Wanted>) *out++ = make_iovec(value.id->bytes, activity_id_size);
    }
    template <std::size_t First, class V>
    EHTRACE_FIELD_INLINE static void emit_field(payload_writer& writer, const V& value) noexcept {
        if constexpr (std::is_base_of_v<field_marker, V>) value.template emit<First>(writer);
    }
};

}  // namespace detail
}  // namespace ehtrace

// Defines `symbol`, a provider named `name` (a string literal of letters,
// digits and '_'), optionally with an options string such as "Gmygroup".
// Usable in a header: every translation unit of one module (executable or
// shared object) shares the object; each module has its own, registering
// only its own events. `symbol` must be a plain identifier.
#define EHTRACE_PROVIDER(symbol, ...)                                                                                  \
    extern "C" {                                                                                                       \
    extern ::ehtrace::detail::event_site* const __start_ehtrace_##symbol[]                                             \
        __attribute__((weak, visibility("hidden")));                                                                   \
    extern ::ehtrace::detail::event_site* const __stop_ehtrace_##symbol[] __attribute__((weak, visibility("hidden"))); \
    }                                                                                                                  \
    __attribute__((visibility("hidden"))) inline ::ehtrace::detail::site_range ehtrace_sites_##symbol() noexcept {     \
        return {__start_ehtrace_##symbol, __stop_ehtrace_##symbol};                                                    \
    }                                                                                                                  \
    __attribute__((visibility("hidden"))) inline constinit ::ehtrace::provider<__VA_ARGS__> symbol {                   \
        ehtrace_sites_##symbol                                                                                         \
    }

// The static site of one write, and how `provider` finds it. With clang,
// through the linker section "ehtrace_<provider>": no start-up cost. GCC
// (12 at least) ignores the section attribute of a static in a template
// instantiation (a function template, a generic lambda, a member of a class
// template), which would leave such sites unregistered for ever, so with
// GCC every site lists itself at start-up instead.
#if defined(__clang__)
#define EHTRACE_DETAIL_SITE(provider, command_)                             \
    static constinit ::ehtrace::detail::event_site ehtrace_site_{command_}; \
    [[gnu::section("ehtrace_" #provider), gnu::used,                        \
      gnu::retain]] static ::ehtrace::detail::event_site* const ehtrace_site_entry_ = &ehtrace_site_
#else
#define EHTRACE_DETAIL_LIST_AT_STARTUP 1
#define EHTRACE_DETAIL_SITE(provider, command_)                             \
    static constinit ::ehtrace::detail::event_site ehtrace_site_{command_}; \
    [[maybe_unused]] static constexpr const bool* ehtrace_site_entry_ =     \
        &::ehtrace::detail::startup_listing<provider, ehtrace_site_>::listed
#endif

// Writes an event if its tracepoint is enabled; evaluates to 0 or an errno
// value (EBADF when disabled, E2BIG over 65,535 bytes). The arguments after
// the name are attributes and fields, in any order; the fields are written
// in the order given. Arguments are evaluated only when enabled.
#define EHTRACE_WRITE(provider, event_name, ...)                                                         \
    ([&]() EHTRACE_FIELD_LAMBDA_INLINE -> int {                                                          \
        using ehtrace_event_ =                                                                           \
            ::ehtrace::detail::event_definition<std::remove_cvref_t<decltype(provider)>, event_name,     \
                                                decltype(::ehtrace::detail::type_list_of(__VA_ARGS__))>; \
        EHTRACE_DETAIL_SITE(provider, ehtrace_event_::tracepoint::command.data());                       \
        if (!ehtrace_site_.tracepoint.enabled()) [[likely]]                                              \
            return EBADF;                                                                                \
        return ehtrace_event_::write(ehtrace_site_ __VA_OPT__(, ) __VA_ARGS__);                          \
    }())

// Whether an event with these attributes (level<>, keyword<>) would be
// written now, e.g. to skip preparing expensive arguments.
#define EHTRACE_ENABLED(provider, ...)                                                                                 \
    ([]() -> bool {                                                                                                    \
        using ehtrace_attributes_ = decltype(::ehtrace::detail::type_list_of(__VA_ARGS__));                            \
        using ehtrace_event_ = ::ehtrace::detail::event_definition<std::remove_cvref_t<decltype(provider)>, "enabled", \
                                                                   ehtrace_attributes_>;                               \
        EHTRACE_DETAIL_SITE(provider, ehtrace_event_::tracepoint::command.data());                                     \
        return ehtrace_site_.tracepoint.enabled();                                                                     \
    }())
