// Runtime providers and their event sets.
#include <ehtrace/dynamic.hpp>

#include <new>

namespace ehtrace::dynamic {
inline namespace abi_v4 {
namespace {

const char* describe(provider_name_error error, bool in_options) noexcept {
    switch (error) {
    case provider_name_error::none: return "";
    case provider_name_error::empty: return "the provider name is empty";
    case provider_name_error::invalid_character:
        return in_options ? "the provider options are invalid"
                          : "the provider name may contain only A-Z, a-z, 0-9 and '_'";
    case provider_name_error::invalid_options:
        return "the provider options must be an uppercase letter followed by [a-z0-9]*, repeated, sorted by "
               "letter (e.g. \"Gmygroup\")";
    case provider_name_error::too_long:
        return "the provider name and options are too long: the tracepoint name must stay under 256 bytes";
    }
    return "the provider name is invalid";
}

}  // namespace

event_set::~event_set() = default;  // ehtrace::tracepoint unregisters itself

// Out of line: an unregistered tracepoint's sink is ehtrace's own, which
// the shared library does not export.
bool event_set::registered() const noexcept { return tracepoint_.registered(); }

provider::provider(std::string_view name, std::string_view options) noexcept {
    provider_name_error problem = check_provider_name(name);
    bool in_options = false;
    if (problem == provider_name_error::none) {
        problem = check_provider_options(options);
        in_options = true;
    }
    // The longest name any (level, keyword) can produce must fit, so that
    // register_set() never fails on length.
    if (problem == provider_name_error::none &&
        !tracepoint_name_fits(tracepoint_name_length(name.size(), 0xFF, ~std::uint64_t{0}, options.size()))) {
        problem = provider_name_error::too_long;
    }
    if (problem != provider_name_error::none) {
        error_ = EINVAL;
        error_message_ = describe(problem, in_options);
        return;
    }
    std::memcpy(name_, name.data(), name.size());
    name_length_ = static_cast<std::uint8_t>(name.size());
    if (!options.empty()) std::memcpy(options_, options.data(), options.size());
    options_length_ = static_cast<std::uint8_t>(options.size());
}

provider::~provider() {
    unregister();
    for (event_set* set = sets_.load(std::memory_order_acquire); set != nullptr;) {
        event_set* next = set->next_;
        delete set;
        set = next;
    }
}

event_set* provider::register_new_set(std::uint8_t level, std::uint64_t keyword) noexcept {
    if (error_ != 0 || level == 0) return nullptr;
    std::lock_guard lock(mutex_);
    // Another thread may have registered it since the lock-free lookup.
    if (event_set* found = find_set(level, keyword)) return found;
    if (unregistered_.load(std::memory_order_relaxed)) return nullptr;

    auto* set = new (std::nothrow) event_set(level, keyword);
    if (set == nullptr) return nullptr;

    // "<provider>_L<level>K<keyword><options> u8 eventheader_flags; ..."; the
    // name length was bounded in the constructor, so this always fits.
    static_assert(max_tracepoint_name_length + 1 + sizeof eventheader_fields - 1 <= max_command_length);
    char command[max_command_length + 1];
    detail::unchecked_writer writer{reinterpret_cast<std::uint8_t*>(command)};
    encode_tracepoint_name(writer, name(), level, keyword, options());
    writer.put(' ');
    writer.put_string(eventheader_fields);
    const auto length = static_cast<std::size_t>(reinterpret_cast<char*>(writer.out) - command);
    const auto name_length = tracepoint_name_length(name_length_, level, keyword, options_length_);
    std::memcpy(set->tracepoint_name_, command, name_length);
    set->tracepoint_name_length_ = static_cast<std::uint8_t>(name_length);
    set->registration_error_ = set->tracepoint_.register_command(std::string_view(command, length));

    // Publish: readers walk the list without the lock.
    set->next_ = sets_.load(std::memory_order_relaxed);
    sets_.store(set, std::memory_order_release);
    return set;
}

void provider::unregister() noexcept {
    std::lock_guard lock(mutex_);
    unregistered_.store(true, std::memory_order_release);
    for (event_set* set = sets_.load(std::memory_order_relaxed); set != nullptr; set = set->next_) {
        set->tracepoint_.unregister();
    }
}

}  // namespace abi_v4
}  // namespace ehtrace::dynamic
