// Langevin and MALA updates for a batch of chains (docs/ARCHITECTURE.md §1, §6); the math
// is in kernels/langevin.cuh, the launch shapes in kernels/langevin.hpp.
#include <cuda_runtime.h>

#include "kernels/cuda_check.hpp"
#include "kernels/langevin.cuh"
#include "kernels/langevin.hpp"

namespace ebmkit::kernels {

namespace {

__global__ void __launch_bounds__(langevin_threads)
    langevin_propose_kernel(const float* x, const float* __restrict__ grad, std::int64_t rows, std::int64_t d,
                            LangevinStep s, float* out, int* __restrict__ outside, const std::uint32_t* step_offset) {
    langevin_body::propose(x, grad, rows, d, s, out, outside, step_offset);
}

__global__ void __launch_bounds__(langevin_threads)
    langevin_clip_kernel(float* __restrict__ grad, std::int64_t rows, std::int64_t d, float limit) {
    langevin_body::clip(grad, rows, d, limit);
}

__global__ void __launch_bounds__(langevin_threads)
    mala_accept_kernel(float* __restrict__ x, float* __restrict__ grad, float* __restrict__ energy,
                       const float* __restrict__ proposal, const float* __restrict__ proposal_grad,
                       const float* __restrict__ proposal_energy, const int* __restrict__ outside, std::int64_t rows,
                       std::int64_t d, LangevinStep s, unsigned long long* __restrict__ accepted) {
    langevin_body::accept(x, grad, energy, proposal, proposal_grad, proposal_energy, outside, rows, d, s, accepted);
}


}  // namespace

void LangevinPropose::run(const Arguments& a, void*, CUstream_st* stream) {
    if (a.rows == 0 || a.d == 0) return;
    const LaunchShape shape = langevin_propose_shape(a.rows, a.d);
    langevin_propose_kernel<<<shape.blocks, shape.threads, 0, stream>>>(a.x, a.grad, a.rows, a.d, a.step, a.out,
                                                                        a.outside, a.step_offset);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

void clip_rows(float* grad, std::int64_t rows, std::int64_t d, float limit, CUstream_st* stream) {
    if (rows == 0) return;
    const LaunchShape shape = langevin_row_shape(rows);
    langevin_clip_kernel<<<shape.blocks, shape.threads, 0, stream>>>(grad, rows, d, limit);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

void MalaAccept::run(const Arguments& a, void*, CUstream_st* stream) {
    if (a.rows == 0) return;
    const LaunchShape shape = langevin_row_shape(a.rows);
    mala_accept_kernel<<<shape.blocks, shape.threads, 0, stream>>>(a.x, a.grad, a.energy, a.proposal, a.proposal_grad,
                                                                   a.proposal_energy, a.outside, a.rows, a.d, a.step,
                                                                   a.accepted);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ebmkit::kernels
