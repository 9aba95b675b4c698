// Row-wise LogSumExp and its gradient; the math and the online merge are in
// kernels/logsumexp.cuh, the launch shapes in kernels/logsumexp.hpp.
//
// Strategies (logsumexp_forward_plan, from K = cols):
//   1. K <= 1024: a group of LANES threads per row (LANES = 1..32, a power of two
//      sized so each lane reads about four elements), reduced with warp shuffles.
//   2. K > 1024: a block per row, reduced with cub::BlockReduce.
// Both read 16 bytes per load when K % 4 == 0 and x is 16-byte aligned, and loop
// grid-stride over rows so any row count fits one launch.
//
// Backward: dx = dlse[r] * exp(x - lse[r]) (0 where lse[r] = -inf) is elementwise
// once lse is known: a grid-stride loop over float4s (or floats when K % 4 != 0).
#include <cuda_runtime.h>

#include "kernels/cuda_check.hpp"
#include "kernels/logsumexp.cuh"
#include "kernels/logsumexp.hpp"

namespace ebmkit::kernels {

namespace {

using namespace logsumexp_body;

template <int LANES, bool VEC4>
__global__ void __launch_bounds__(logsumexp_lanes_threads)
    logsumexp_rows_lanes(const float* __restrict__ x, float* __restrict__ out, std::int64_t rows, std::int64_t cols) {
    rows_lanes<LANES, VEC4>(x, out, rows, cols);
}

template <bool VEC4>
__global__ void __launch_bounds__(logsumexp_block_threads)
    logsumexp_rows_block(const float* __restrict__ x, float* __restrict__ out, std::int64_t rows, std::int64_t cols) {
    __shared__ typename BlockReduceLse<logsumexp_block_threads>::TempStorage storage;
    rows_block<logsumexp_block_threads, VEC4>(x, out, rows, cols, storage);
}

template <bool VEC4>
__global__ void __launch_bounds__(logsumexp_backward_threads)
    logsumexp_backward_elements(const float* x, const float* __restrict__ lse, const float* __restrict__ dlse, float* dx,
                                std::int64_t rows, std::int64_t cols) {
    backward_elements<VEC4>(x, lse, dlse, dx, rows, cols);
}

bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

template <bool VEC4>
void launch_forward(const float* x, float* out, std::int64_t rows, std::int64_t cols, cudaStream_t stream) {
    const LogSumExpPlan plan = logsumexp_forward_plan(rows, cols, VEC4, device_limits());
    const LaunchShape& s = plan.shape;
    if (plan.lanes == 0) {
        logsumexp_rows_block<VEC4><<<s.blocks, s.threads, 0, stream>>>(x, out, rows, cols);
        return;
    }
    with_lanes(plan.lanes, [&](auto lanes) {
        logsumexp_rows_lanes<decltype(lanes)::value, VEC4><<<s.blocks, s.threads, 0, stream>>>(x, out, rows, cols);
    });
}

}  // namespace

void logsumexp_forward(const float* x, float* out, std::int64_t rows, std::int64_t cols, CUstream_st* stream) {
    if (rows == 0) return;
    if (cols % 4 == 0 && aligned16(x)) launch_forward<true>(x, out, rows, cols, stream);
    else launch_forward<false>(x, out, rows, cols, stream);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

void logsumexp_backward(const float* x, const float* lse, const float* dlse, float* dx, std::int64_t rows,
                        std::int64_t cols, CUstream_st* stream) {
    if (rows == 0 || cols == 0) return;
    const bool vec4 = cols % 4 == 0 && aligned16(x) && aligned16(dx);
    const LaunchShape s = logsumexp_backward_shape(rows, cols, vec4, device_limits());
    if (vec4) logsumexp_backward_elements<true><<<s.blocks, s.threads, 0, stream>>>(x, lse, dlse, dx, rows, cols);
    else logsumexp_backward_elements<false><<<s.blocks, s.threads, 0, stream>>>(x, lse, dlse, dx, rows, cols);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ebmkit::kernels
