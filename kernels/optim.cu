// Parameter updates (the math: kernels/optim.cuh and kernels/optim_rule.hpp; the launch
// shape: kernels/optim.hpp).
#include <cuda_runtime.h>

#include "kernels/cuda_check.hpp"
#include "kernels/optim.cuh"
#include "kernels/optim.hpp"

namespace ebmkit::kernels {

namespace {

__global__ void __launch_bounds__(optim_threads)
    momentum_ascent(float* __restrict__ param, float* __restrict__ velocity, const float* __restrict__ grad,
                    std::int64_t n, float lr, float momentum, float decay) {
    optim_body::momentum_ascent(param, velocity, grad, n, lr, momentum, decay);
}

__global__ void __launch_bounds__(optim_threads)
    optimizer_rule(float* __restrict__ param, float* __restrict__ first, float* __restrict__ second,
                   const float* __restrict__ grad, std::int64_t n, OptimizerStep s) {
    optim_body::optimizer_rule(param, first, second, grad, n, s);
}

}  // namespace

void momentum_ascent_step(float* param, float* velocity, const float* grad, std::int64_t n, float lr, float momentum,
                          float decay, CUstream_st* stream) {
    if (n == 0) return;
    const LaunchShape shape = optim_shape(n, device_limits());
    momentum_ascent<<<shape.blocks, shape.threads, 0, stream>>>(param, velocity, grad, n, lr, momentum, decay);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

void optimizer_step(float* param, float* first, float* second, const float* grad, std::int64_t n,
                    const OptimizerStep& s, CUstream_st* stream) {
    if (n == 0) return;
    const LaunchShape shape = optim_shape(n, device_limits());
    optimizer_rule<<<shape.blocks, shape.threads, 0, stream>>>(param, first, second, grad, n, s);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ebmkit::kernels
