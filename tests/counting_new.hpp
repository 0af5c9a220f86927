// Replaces the global operator new/delete to count allocations. Include it in
// exactly one source file of a test executable (not in sanitizer builds,
// whose runtimes replace them too); read ehtrace::test::allocations.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

namespace ehtrace::test {
inline std::atomic<long> allocations{0};

inline void* counted_allocation(std::size_t size) noexcept {
    allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size == 0 ? 1 : size);
}
}  // namespace ehtrace::test

void* operator new(std::size_t size) {
    if (void* p = ehtrace::test::counted_allocation(size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    if (void* p = ehtrace::test::counted_allocation(size)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return ehtrace::test::counted_allocation(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return ehtrace::test::counted_allocation(size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
