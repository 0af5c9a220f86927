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
// Scopes nest per thread: a scope opened while another is open on the same
// thread records that one as its parent (the start event's related id).
#pragma once

#include <ehtrace/fields.hpp>
#include <ehtrace/provider.hpp>

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
    template <class Start>
    activity_scope(Start&& start, Stop stop) noexcept
        : id_(new_activity_id()), parent_(current_activity()), stop_(std::move(stop)) {
        start(id_, parent_);
        detail::set_current_activity(&id_);
    }
    ~activity_scope() {
        stop_(id_);
        detail::set_current_activity(parent_);
    }
    activity_scope(const activity_scope&) = delete;
    activity_scope& operator=(const activity_scope&) = delete;

    const uuid& id() const noexcept { return id_; }
    const uuid* parent() const noexcept { return parent_; }

private:
    uuid id_;
    const uuid* parent_;
    Stop stop_;
};

template <class Start, class Stop>
activity_scope<Stop> start_activity(Start&& start, Stop stop) noexcept {
    return activity_scope<Stop>(std::forward<Start>(start), std::move(stop));
}

}  // namespace ehtrace

// Opens an activity: writes `event_name` with opcode activity_start, a new
// id, the enclosing activity as related id, and the given attributes and
// fields; the returned scope writes `event_name` with opcode activity_stop
// (same level and keyword) when it ends.
#define EHTRACE_ACTIVITY(provider, event_name, ...)                                                           \
    ::ehtrace::start_activity(                                                                                \
        [&](const ::ehtrace::uuid& ehtrace_id_, const ::ehtrace::uuid* ehtrace_parent_) {                    \
            if (ehtrace_parent_ != nullptr) {                                                                 \
                EHTRACE_WRITE(provider, event_name, ::ehtrace::opcode<::ehtrace::event_opcode::activity_start>, \
                              ::ehtrace::activity(ehtrace_id_),                                               \
                              ::ehtrace::related_activity(*ehtrace_parent_) __VA_OPT__(, ) __VA_ARGS__);     \
            } else {                                                                                          \
                EHTRACE_WRITE(provider, event_name, ::ehtrace::opcode<::ehtrace::event_opcode::activity_start>, \
                              ::ehtrace::activity(ehtrace_id_) __VA_OPT__(, ) __VA_ARGS__);                  \
            }                                                                                                 \
        },                                                                                                    \
        [](const ::ehtrace::uuid& ehtrace_id_) {                                                              \
            using ehtrace_stop_ =                                                                             \
                ::ehtrace::detail::stop_attributes<decltype(::ehtrace::detail::type_list_of(__VA_ARGS__))>; \
            EHTRACE_WRITE(provider, event_name, ::ehtrace::opcode<::ehtrace::event_opcode::activity_stop>,    \
                          ::ehtrace::activity(ehtrace_id_), ::ehtrace::level<ehtrace_stop_::level>,           \
                          ::ehtrace::keyword<ehtrace_stop_::keyword>);                                        \
        })
