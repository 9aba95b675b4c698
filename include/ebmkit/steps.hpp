/// @file
/// Which steps of a chain a call takes, in every public function that runs chains:
/// count steps keyed first, first + 1, ..., first + count - 1 (the step word of each
/// draw's Philox counter, docs/ARCHITECTURE.md §6). std::uint32_t is the one integer type
/// of step indices and counts in the API (Langevin steps, Gibbs sweeps, tempering sweeps,
/// CD's k), as it is in the draws' keys.
#pragma once

#include <cstdint>

namespace ebmkit {

/// Which steps a chain call takes: keyed first, first + 1, ..., first + count - 1.
struct Steps {
    std::uint32_t first = 0;  ///< the key of the first step
    std::uint32_t count = 0;  ///< how many steps
};

}  // namespace ebmkit
