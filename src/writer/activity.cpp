#include <ehtrace/activity.hpp>

#include <sys/random.h>
#include <cstring>
#include <random>

namespace ehtrace {
namespace {

const thread_local uuid* innermost_activity = nullptr;

// Seeded once per thread from the kernel's entropy; the ids themselves come
// from a fast generator.
std::mt19937_64& activity_generator() {
    thread_local std::mt19937_64 generator = [] {
        std::uint64_t seed[2] = {};
        if (::getrandom(seed, sizeof seed, 0) != sizeof seed) {
            std::random_device device;
            seed[0] = (std::uint64_t{device()} << 32) | device();
            seed[1] = (std::uint64_t{device()} << 32) | device();
        }
        std::seed_seq sequence{seed[0], seed[0] >> 32, seed[1], seed[1] >> 32};
        return std::mt19937_64(sequence);
    }();
    return generator;
}

}  // namespace

uuid new_activity_id() noexcept {
    auto& generator = activity_generator();
    std::uint64_t halves[2] = {generator(), generator()};
    uuid id;
    std::memcpy(id.bytes, halves, sizeof id.bytes);
    id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0F) | 0x40);  // version 4
    id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
    return id;
}

const uuid* current_activity() noexcept { return innermost_activity; }

void detail::set_current_activity(const uuid* id) noexcept { innermost_activity = id; }

}  // namespace ehtrace
