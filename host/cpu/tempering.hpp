// CPU twin of kernels/tempering.cu (the math and the keys: include/ebmkit/tempering.hpp).
#pragma once

#include <cstdint>

#include "rbm.hpp"

namespace ebmkit::cpu {

// One sweep of the replica-major states v [R * S, D], h [R * S, M] at betas [R]: Gibbs
// of every row at its replica's beta, then the swaps of parity sweep % 2; accepted
// [R - 1] adds the swaps accepted per pair.
void tempering_sweep(const RbmParams<const float>& p, const float* betas, int replicas, std::int64_t chains, float* v,
                     float* h, std::uint64_t seed, std::uint32_t sweep, std::uint64_t* accepted);

}  // namespace ebmkit::cpu
