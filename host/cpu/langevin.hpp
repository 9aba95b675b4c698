// CPU reference of kernels/langevin.cu.
#pragma once

#include <cstdint>

#include "ebmkit/langevin.hpp"
#include "mlp.hpp"

namespace ebmkit::cpu {

// num_steps steps of x <- clamp(x - alpha grad_x E(x) + sigma eps) on every row.
void langevin_chain(const MlpParams<const float>& p, float* x, std::int64_t rows, const LangevinParams& params,
                    std::uint64_t seed, std::uint32_t first_step, std::uint32_t num_steps);

}  // namespace ebmkit::cpu
