// The samplers' steps on arrays (include/ebmkit/sample_steps.hpp): HMC's momentum draw and
// the Metropolis test (the proposal is kernels/langevin.cu's), each a thread per row (kernels/sample_steps.cuh)
// by the same per-row rules as the chains of sample() (include/ebmkit/detail/sample_chain.hpp).
#include <cuda_runtime.h>

#include "kernels/cuda_check.hpp"
#include "kernels/grid_stride.cuh"
#include "kernels/sample_steps.cuh"
#include "kernels/sample_steps.hpp"

namespace ebmkit::kernels {

namespace {

__global__ void __launch_bounds__(128) sample_momentum_kernel(float* p, std::int64_t rows, int d, detail::ChainRule r,
                                                       std::uint32_t first_chain, std::uint32_t step) {
    sample_steps_body::momentum(p, rows, d, r, first_chain, step);
}

__global__ void __launch_bounds__(128) sample_accept_kernel(detail::StepAccept a, detail::ChainRule r, std::uint32_t first_chain,
                                                     std::uint32_t step) {
    sample_steps_body::accept(a, r, first_chain, step);
}

__global__ void restore_clamped_kernel(float* x, const float* kept, const float* clamp, std::int64_t n) {
    for (std::int64_t i = first_item(); i < n; i += item_stride()) {
        if (clamp[i] != 0.0f) x[i] = kept[i];
    }
}

}  // namespace

void restore_clamped(float* x, const float* kept, const float* clamp, std::int64_t n, CUstream_st* stream) {
    if (n == 0) return;
    restore_clamped_kernel<<<grid_stride(n, 256, 256, device_limits()).blocks, 256, 0, stream>>>(x, kept, clamp, n);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

void sample_momentum(float* p, std::int64_t rows, int d, const detail::ChainRule& r, std::uint32_t first_chain,
                     std::uint32_t step, CUstream_st* stream) {
    if (rows == 0) return;
    const LaunchShape s = sample_steps_shape(rows, device_limits());
    sample_momentum_kernel<<<s.blocks, s.threads, 0, stream>>>(p, rows, d, r, first_chain, step);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

void sample_accept(const detail::StepAccept& a, const detail::ChainRule& r, std::uint32_t first_chain, std::uint32_t step,
                   CUstream_st* stream) {
    if (a.rows == 0) return;
    const LaunchShape s = sample_steps_shape(a.rows, device_limits());
    sample_accept_kernel<<<s.blocks, s.threads, 0, stream>>>(a, r, first_chain, step);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ebmkit::kernels
