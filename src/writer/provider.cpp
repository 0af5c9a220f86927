#include <ehtrace/provider.hpp>

#include <cerrno>

namespace ehtrace {

int provider_base::register_events() noexcept {
    int first_error = 0;
    detail::site_range sites = sites_();
    for (auto* entry = sites.begin; entry != sites.end; ++entry) {
        detail::event_site& site = **entry;
        int error = site.tracepoint.register_static_command(site.command);
        // A site in an inline function can be listed once per translation
        // unit that expanded it; the first listing registered it.
        if (error == EALREADY) continue;
        if (error != 0 && first_error == 0) first_error = error;
    }
    registered_.store(true, std::memory_order_release);
    return first_error;
}

int provider_base::unregister_events() noexcept {
    if (!registered_.exchange(false, std::memory_order_acq_rel)) return EALREADY;
    detail::site_range sites = sites_();
    for (auto* entry = sites.begin; entry != sites.end; ++entry) (*entry)->tracepoint.unregister();
    return 0;
}

}  // namespace ehtrace
