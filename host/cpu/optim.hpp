// CPU reference of kernels/optim.cu.
#pragma once

#include <cstdint>

namespace ebmkit::cpu {

// velocity <- momentum * velocity + lr * (grad - decay * param); param += velocity.
void momentum_ascent_step(float* param, float* velocity, const float* grad, std::int64_t n, float lr, float momentum,
                          float decay);

}  // namespace ebmkit::cpu
