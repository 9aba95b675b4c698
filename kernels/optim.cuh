// The bodies of the parameter-update kernels (kernels/optim.cu), in a header so that
// tests/optim_emulated_test.cpp runs them on the host. Elementwise and bandwidth-bound:
// a grid-stride loop, one element per thread per pass.
//   momentum ascent on a gradient estimate g (CD's ascent direction):
//     velocity <- momentum * velocity + lr * (g - decay * param),  param <- param + velocity
//   Sgd / Adam / Adamax minimisation steps: kernels/optim_rule.hpp, shared with the CPU.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/grid_stride.cuh"
#include "kernels/optim_rule.hpp"

namespace ebmkit::kernels::optim_body {

__device__ inline void momentum_ascent(float* __restrict__ param, float* __restrict__ velocity,
                                       const float* __restrict__ grad, std::int64_t n, float lr, float momentum,
                                       float decay) {
    for (std::int64_t i = first_item(); i < n; i += item_stride()) {
        const float p = param[i];
        const float v = momentum * velocity[i] + lr * (grad[i] - decay * p);
        velocity[i] = v;
        param[i] = p + v;
    }
}

// second is null for Sgd (no second moment).
__device__ inline void optimizer_rule(float* __restrict__ param, float* __restrict__ first, float* __restrict__ second,
                                      const float* __restrict__ grad, std::int64_t n, const OptimizerStep& step) {
    if (skipped(step.skip)) return;
    const OptimizerStep s = at_counted_step(step);
    for (std::int64_t i = first_item(); i < n; i += item_stride()) {
        float p = param[i], m = first[i], v = second ? second[i] : 0.0f;
        apply_optimizer_rule(p, m, v, grad[i], s);
        param[i] = p;
        first[i] = m;
        if (second) second[i] = v;
    }
}

}  // namespace ebmkit::kernels::optim_body
