#include <ehtrace/provider.hpp>

#include <cerrno>

namespace ehtrace {
namespace {

// Registers one site; `first_error` keeps the first failure.
void register_site(detail::event_site& site, int& first_error) noexcept {
    int error = site.tracepoint.register_static_command(site.command);
    // A site can be listed more than once (once per translation unit that
    // expanded an inline function, or by the provider and list_at_startup()
    // racing); the first listing registered it.
    if (error != 0 && error != EALREADY && first_error == 0) first_error = error;
}

template <class Visit>
void for_each_site(detail::site_range sites, detail::event_site* listed, Visit visit) noexcept {
    for (auto* entry = sites.begin; entry != sites.end; ++entry) visit(**entry);
    for (; listed != nullptr; listed = listed->next_listed) visit(*listed);
}

}  // namespace

void provider_base::list_at_startup(detail::event_site& site) noexcept {
    detail::event_site* head = listed_at_startup_.load(std::memory_order_relaxed);
    do {
        site.next_listed = head;
    } while (
        !listed_at_startup_.compare_exchange_weak(head, &site, std::memory_order_seq_cst, std::memory_order_relaxed));
    // Paired with register_events(): it marks the provider registered before
    // reading the list, so a site is registered by one side or both.
    if (registered_.load(std::memory_order_seq_cst)) {
        int ignored = 0;
        register_site(site, ignored);
    }
}

int provider_base::register_events() noexcept {
    registered_.store(true, std::memory_order_seq_cst);
    int first_error = 0;
    for_each_site(sites_(), listed_at_startup_.load(std::memory_order_seq_cst),
                  [&](detail::event_site& site) { register_site(site, first_error); });
    return first_error;
}

int provider_base::unregister_events() noexcept {
    if (!registered_.exchange(false, std::memory_order_acq_rel)) return EALREADY;
    for_each_site(sites_(), listed_at_startup_.load(std::memory_order_acquire),
                  [](detail::event_site& site) { site.tracepoint.unregister(); });
    return 0;
}

}  // namespace ehtrace
