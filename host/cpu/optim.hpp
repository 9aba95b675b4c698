// CPU reference of kernels/optim.cu.
#pragma once

#include <cstdint>

#include "kernels/optim_rule.hpp"

namespace ebmkit::cpu {

// velocity <- momentum * velocity + lr * (grad - decay * param); param += velocity.
void momentum_ascent_step(float* param, float* velocity, const float* grad, std::int64_t n, float lr, float momentum,
                          float decay);

}  // namespace ebmkit::cpu

namespace ebmkit::cpu {

void optimizer_step(float* param, float* first, float* second, const float* grad, std::int64_t n,
                    const kernels::OptimizerStep& s);

}  // namespace ebmkit::cpu
