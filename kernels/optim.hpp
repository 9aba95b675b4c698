// Launchers of kernels/optim.cu. Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstdint>

#include "kernels/optim_rule.hpp"

struct CUstream_st;

namespace ebmkit::kernels {

// velocity <- momentum * velocity + lr * (grad - decay * param); param += velocity. Device pointers, n elements.
void momentum_ascent_step(float* param, float* velocity, const float* grad, std::int64_t n, float lr, float momentum,
                          float decay, CUstream_st* stream);

}  // namespace ebmkit::kernels

namespace ebmkit::kernels {

// One step of s.rule on n parameters (kernels/optim_rule.hpp).
void optimizer_step(float* param, float* first, float* second, const float* grad, std::int64_t n,
                    const OptimizerStep& s, CUstream_st* stream);

}  // namespace ebmkit::kernels
