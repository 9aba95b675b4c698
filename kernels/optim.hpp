// Launchers of kernels/optim.cu and their launch shape. Plain C++: host/ includes this
// without CUDA headers.
#pragma once

#include <cstdint>

#include "kernels/launch_shape.hpp"
#include "kernels/optim_rule.hpp"

struct CUstream_st;

namespace ebmkit::kernels {

// velocity <- momentum * velocity + lr * (grad - decay * param); param += velocity. Device pointers, n elements.
void momentum_ascent_step(float* param, float* velocity, const float* grad, std::int64_t n, float lr, float momentum,
                          float decay, CUstream_st* stream);

inline constexpr int optim_threads = 256;

// Both updates: a grid-stride loop over the n parameters.
inline LaunchShape optim_shape(std::int64_t n, const DeviceLimits& limits) {
    return grid_stride(n, optim_threads, optim_threads, limits);
}

// One step of s.rule on n parameters (kernels/optim_rule.hpp).
void optimizer_step(float* param, float* first, float* second, const float* grad, std::int64_t n,
                    const OptimizerStep& s, CUstream_st* stream);

}  // namespace ebmkit::kernels
