// Langevin dynamics on an MLP energy (DESIGN.md section 1):
//   x <- clamp(x - alpha * grad_x E(x) + sigma * eps),  eps ~ N(0, I)
// eps[r, i] is Philox's normal for (ctx.seed(), LangevinNoise, chain r, step, element i).
// sigma = sqrt(2 alpha) is exact Langevin; JEM uses alpha = 1, sigma = 0.01.
#pragma once

#include <cstdint>

#include "ebmkit/context.hpp"
#include "ebmkit/mlp.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

struct LangevinParams {
    float alpha = 1.0f;   // step size on the gradient, > 0
    float sigma = 0.01f;  // noise scale, >= 0
    bool clamp = false;   // clamp every coordinate to [lo, hi] after each step
    float lo = -1.0f;
    float hi = 1.0f;
};

// One step on every row (chain) of x: [N, D], in place. step keys the noise.
void langevin_step(Context& ctx, const MlpEnergy& model, TensorView x, const LangevinParams& params,
                   std::uint32_t step);

// num_steps steps, keyed first_step, first_step + 1, ...
void langevin_chain(Context& ctx, const MlpEnergy& model, TensorView x, const LangevinParams& params,
                    std::uint32_t first_step, std::uint32_t num_steps);

}  // namespace ebmkit
