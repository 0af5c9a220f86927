// Activities: related events grouped by a 128-bit id. An activity starts
// with an activity_start event carrying a new id (and its parent's id), the
// events inside it carry the id, and an activity_stop event ends it.
//
//   void handle(const request& r) {
//       auto scope = EHTRACE_ACTIVITY(my_provider, "Request", ehtrace::level<4>,
//                                     ehtrace::field<"url">(r.url));
//       EHTRACE_WRITE(my_provider, "Parsed", ehtrace::activity(scope.id()));
//       ...
//   }   // writes "Request" with opcode activity_stop
//
// scope.stop(ehtrace::field<"status">(200)) writes the stop event early and
// with fields (status, bytes, ...); the scope's end then writes nothing.
//
// Scopes nest per thread: a scope opened while another is open on the same
// thread records that one as its parent (the start event's related id).
#pragma once

#include <ehtrace/fields.hpp>
#include <ehtrace/provider.hpp>

#include <cerrno>
#include <utility>

namespace ehtrace {

// A random (version 4) id, unique with overwhelming probability; cheap
// enough to make one per request.
uuid new_activity_id() noexcept;

// The innermost open activity scope of this thread, or nullptr.
const uuid* current_activity() noexcept;

namespace detail {
void set_current_activity(const uuid* id) noexcept;

template <class Args>
struct stop_attributes;
template <class... Args>
struct stop_attributes<type_list<Args...>> {
    static constexpr event_attributes attributes = attributes_of<Args...>();
    static constexpr std::uint8_t level = attributes.level;
    static constexpr std::uint64_t keyword = attributes.keyword;
};
}  // namespace detail

template <class Stop>
class activity_scope {
public:
    // `stop(site, id, fields...)` writes the stop event through `stop_site`:
    // a site made where the scope is, so the provider registers it before
    // the scope's code first runs, and the stop events with fields, which
    // share its tracepoint, use it.
    template <class Start>
    activity_scope(Start&& start, Stop stop, const detail::event_site& stop_site) noexcept
        : id_(new_activity_id()), parent_(current_activity()), stop_(std::move(stop)), site_(&stop_site) {
        start(id_, parent_);
        detail::set_current_activity(&id_);
    }
    ~activity_scope() {
        if (!stopped_) stop();
    }
    // Writes the stop event now, with `fields` (field<"status">(200), ...:
    // fields only, the attributes are the start's), and makes the destructor
    // write nothing. 0 or an errno value, as EHTRACE_WRITE; EALREADY when
    // already stopped (nothing written).
    template <class... Fields>
    int stop(Fields&&... fields) noexcept {
        if (stopped_) return EALREADY;
        stopped_ = true;
        const int result = stop_(*site_, id_, std::forward<Fields>(fields)...);
        detail::set_current_activity(parent_);
        return result;
    }
    activity_scope(const activity_scope&) = delete;
    activity_scope& operator=(const activity_scope&) = delete;

    const uuid& id() const noexcept { return id_; }
    const uuid* parent() const noexcept { return parent_; }

private:
    uuid id_;
    const uuid* parent_;
    Stop stop_;
    const detail::event_site* site_;
    bool stopped_ = false;
};

template <class Start, class Stop>
activity_scope<Stop> start_activity(Start&& start, Stop stop, const detail::event_site& stop_site) noexcept {
    return activity_scope<Stop>(std::forward<Start>(start), std::move(stop), stop_site);
}

}  // namespace ehtrace

// Opens an activity: writes `event_name` with opcode activity_start, a new
// id, the enclosing activity as related id, and the given attributes and
// fields; the returned scope writes `event_name` with opcode activity_stop
// (same level and keyword) when it ends, or when scope.stop(fields...) is
// called, with those fields.
#define EHTRACE_ACTIVITY(provider, event_name, ...)                                                                \
    ::ehtrace::start_activity(                                                                                     \
        [&](const ::ehtrace::uuid& ehtrace_id_, const ::ehtrace::uuid* ehtrace_parent_) {                          \
            if (ehtrace_parent_ != nullptr) {                                                                      \
                EHTRACE_WRITE(provider, event_name, ::ehtrace::opcode<::ehtrace::event_opcode::activity_start>,    \
                              ::ehtrace::activity(ehtrace_id_),                                                    \
                              ::ehtrace::related_activity(*ehtrace_parent_) __VA_OPT__(, ) __VA_ARGS__);           \
            } else {                                                                                               \
                EHTRACE_WRITE(provider, event_name, ::ehtrace::opcode<::ehtrace::event_opcode::activity_start>,    \
                              ::ehtrace::activity(ehtrace_id_) __VA_OPT__(, ) __VA_ARGS__);                        \
            }                                                                                                      \
        },                                                                                                         \
        [](const ::ehtrace::detail::event_site& ehtrace_site_, const ::ehtrace::uuid& ehtrace_id_,                 \
           const auto&... ehtrace_stop_fields_) noexcept -> int {                                                  \
            using ehtrace_stop_ =                                                                                  \
                ::ehtrace::detail::stop_attributes<decltype(::ehtrace::detail::type_list_of(__VA_ARGS__))>;        \
            using ehtrace_event_ = ::ehtrace::detail::event_definition<                                            \
                std::remove_cvref_t<decltype(provider)>, event_name,                                               \
                decltype(::ehtrace::detail::type_list_of(                                                          \
                    ::ehtrace::opcode<::ehtrace::event_opcode::activity_stop>, ::ehtrace::activity(ehtrace_id_),   \
                    ::ehtrace::level<ehtrace_stop_::level>, ::ehtrace::keyword<ehtrace_stop_::keyword>,            \
                    ehtrace_stop_fields_...))>;                                                                    \
            if (!ehtrace_site_.tracepoint.enabled()) return EBADF;                                                 \
            return ehtrace_event_::write(ehtrace_site_, ::ehtrace::opcode<::ehtrace::event_opcode::activity_stop>, \
                                         ::ehtrace::activity(ehtrace_id_), ::ehtrace::level<ehtrace_stop_::level>, \
                                         ::ehtrace::keyword<ehtrace_stop_::keyword>, ehtrace_stop_fields_...);     \
        },                                                                                                         \
        []() noexcept -> const ::ehtrace::detail::event_site& {                                                    \
            using ehtrace_stop_ =                                                                                  \
                ::ehtrace::detail::stop_attributes<decltype(::ehtrace::detail::type_list_of(__VA_ARGS__))>;        \
            EHTRACE_DETAIL_SITE(                                                                                   \
                provider,                                                                                          \
                (::ehtrace::detail::tracepoint_definition<std::remove_cvref_t<decltype(provider)>,                 \
                                                          ehtrace_stop_::level, ehtrace_stop_::keyword>::command   \
                     .data()));                                                                                    \
            return ehtrace_site_;                                                                                  \
        }())
