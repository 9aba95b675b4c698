// CPU reference of kernels/langevin.cu.
#pragma once

#include <cstdint>

#include "ebmkit/langevin.hpp"
#include "mlp.hpp"

namespace ebmkit::cpu {

// num_steps Langevin (or MALA) steps on every row, on E(x) or, with labels, E(x, labels[r]);
// stats as the public API documents.
LangevinStats langevin_chain(const MlpParams<const float>& p, float* x, const std::int32_t* labels, std::int64_t rows,
                             const LangevinParams& params, std::uint64_t seed, std::uint32_t first_step,
                             std::uint32_t num_steps, bool trace);

}  // namespace ebmkit::cpu
