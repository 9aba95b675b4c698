// Internal: a round or step key that a replayed graph may advance (host/ops/graph.hpp).
#pragma once

#include <cstdint>

namespace ebmkit::detail {

// base plus *counter, a counter on the context's device (nullable; on the CPU backend a
// host word, read when the operation runs).
struct StepKey {
    std::uint32_t base = 0;
    const std::uint32_t* counter = nullptr;
    // The key where the counter is host memory (the CPU backend's operations).
    std::uint32_t on_host() const { return counter ? base + *counter : base; }
};

}  // namespace ebmkit::detail
