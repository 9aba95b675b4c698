// Parameter updates, elementwise and bandwidth-bound: a grid-stride loop, one element
// per thread per pass.
//   momentum ascent on a gradient estimate g (CD's ascent direction):
//     velocity <- momentum * velocity + lr * (g - decay * param),  param <- param + velocity
//   Sgd / Adam / Adamax minimisation steps: kernels/optim_rule.hpp, shared with the CPU.
#include <cuda_runtime.h>

#include <algorithm>

#include "kernels/cuda_check.hpp"
#include "kernels/optim.hpp"

namespace ebmkit::kernels {

namespace {

__global__ void momentum_ascent(float* __restrict__ param, float* __restrict__ velocity, const float* __restrict__ grad,
                                std::int64_t n, float lr, float momentum, float decay) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        const float p = param[i];
        const float v = momentum * velocity[i] + lr * (grad[i] - decay * p);
        velocity[i] = v;
        param[i] = p + v;
    }
}

}  // namespace

void momentum_ascent_step(float* param, float* velocity, const float* grad, std::int64_t n, float lr, float momentum,
                          float decay, CUstream_st* stream) {
    constexpr int block = 256;
    const auto blocks = static_cast<unsigned>(std::min<std::int64_t>((n + block - 1) / block, 65536));
    momentum_ascent<<<blocks, block, 0, stream>>>(param, velocity, grad, n, lr, momentum, decay);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ebmkit::kernels

namespace ebmkit::kernels {

namespace {

__global__ void optimizer_rule(float* __restrict__ param, float* __restrict__ first, float* __restrict__ second,
                               const float* __restrict__ grad, std::int64_t n, OptimizerStep s) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        float p = param[i], m = first[i], v = second ? second[i] : 0.0f;
        apply_optimizer_rule(p, m, v, grad[i], s);
        param[i] = p;
        first[i] = m;
        if (second) second[i] = v;
    }
}

}  // namespace

void optimizer_step(float* param, float* first, float* second, const float* grad, std::int64_t n,
                    const OptimizerStep& s, CUstream_st* stream) {
    constexpr int block = 256;
    const auto blocks = static_cast<unsigned>(std::min<std::int64_t>((n + block - 1) / block, 65536));
    optimizer_rule<<<blocks, block, 0, stream>>>(param, first, second, grad, n, s);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ebmkit::kernels
