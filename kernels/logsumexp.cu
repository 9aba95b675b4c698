// Row-wise LogSumExp and its gradient.
//
// Forward: out[r] = log sum_k exp(x[r, k]), in one pass with an online max/sum:
// each thread keeps (m, s) = (max of what it saw, sum of exp(x - m)); two states
// merge as m = max(m1, m2), s = s1 e^(m1 - m) + s2 e^(m2 - m). The shift factor is
// taken as exactly 1 when m_i = m, which gives DESIGN.md's special values without
// branches on the data: a row of -inf ends with m = -inf, s = K, result -inf; a
// +inf ends with m = +inf, result +inf; a NaN makes its term NaN, and NaN survives
// every later merge (max ignores it, the sum does not).
//
// Strategies (chosen by logsumexp_forward from K = cols):
//   1. K <= 1024: a group of LANES threads per row (LANES = 1..32, a power of two
//      sized so each lane reads about four elements), reduced with warp shuffles.
//   2. K > 1024: a block per row, reduced with cub::BlockReduce.
// Both read 16 bytes per load when K % 4 == 0 and x is 16-byte aligned, and loop
// grid-stride over rows so any row count fits one launch.
//
// Backward: dx = dlse[r] * exp(x - lse[r]) (0 where lse[r] = -inf) is elementwise
// once lse is known: a grid-stride loop over float4s (or floats when K % 4 != 0).
#include <cuda_runtime.h>

#include <cub/block/block_reduce.cuh>

#include <algorithm>
#include <cmath>

#include "kernels/cuda_check.hpp"
#include "kernels/logsumexp.hpp"

namespace ebmkit::kernels {

namespace {

struct OnlineLse {
    float m;  // running max (NaN ignored)
    float s;  // sum of exp(x - m)

    __device__ static OnlineLse identity() { return {-INFINITY, 0.0f}; }

    // exp(from - to) where to >= from, exactly 1 when equal (also for two infinities).
    __device__ static float shift(float from, float to) { return from == to ? 1.0f : expf(from - to); }

    __device__ void add(float x) {
        const float m_new = fmaxf(m, x);
        s = s * shift(m, m_new) + shift(x, m_new);
        m = m_new;
    }

    __device__ static OnlineLse merge(const OnlineLse& a, const OnlineLse& b) {
        const float m = fmaxf(a.m, b.m);
        return {m, a.s * shift(a.m, m) + b.s * shift(b.m, m)};
    }

    __device__ float result() const { return m + logf(s); }
};

struct MergeLse {
    __device__ OnlineLse operator()(const OnlineLse& a, const OnlineLse& b) const { return OnlineLse::merge(a, b); }
};

// Adds one row's elements [begin, cols) with stride to state. VEC4 reads float4s.
template <bool VEC4>
__device__ void accumulate_row(const float* row, std::int64_t cols, int begin, int stride, OnlineLse& state) {
    if constexpr (VEC4) {
        const auto* row4 = reinterpret_cast<const float4*>(row);
        for (std::int64_t k = begin; k < cols / 4; k += stride) {
            const float4 v = row4[k];
            state.add(v.x);
            state.add(v.y);
            state.add(v.z);
            state.add(v.w);
        }
    } else {
        for (std::int64_t k = begin; k < cols; k += stride) state.add(row[k]);
    }
}

template <int LANES, bool VEC4>
__global__ void logsumexp_rows_lanes(const float* __restrict__ x, float* __restrict__ out, std::int64_t rows,
                                     std::int64_t cols) {
    const int lane = threadIdx.x % LANES;
    const std::int64_t groups_per_grid = static_cast<std::int64_t>(gridDim.x) * (blockDim.x / LANES);
    // Every thread runs the same number of iterations so whole warps reach the shuffles.
    const std::int64_t first = static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / LANES) + threadIdx.x / LANES;
    const std::int64_t iterations = (rows + groups_per_grid - 1) / groups_per_grid;
    for (std::int64_t it = 0; it < iterations; ++it) {
        const std::int64_t r = first + it * groups_per_grid;
        OnlineLse state = OnlineLse::identity();
        if (r < rows) accumulate_row<VEC4>(x + r * cols, cols, lane, LANES, state);
#pragma unroll
        for (int offset = LANES / 2; offset > 0; offset /= 2) {
            const OnlineLse other{__shfl_xor_sync(0xffffffffu, state.m, offset, LANES),
                                  __shfl_xor_sync(0xffffffffu, state.s, offset, LANES)};
            state = OnlineLse::merge(state, other);
        }
        if (r < rows && lane == 0) out[r] = state.result();
    }
}

template <int THREADS, bool VEC4>
__global__ void __launch_bounds__(THREADS)
    logsumexp_rows_block(const float* __restrict__ x, float* __restrict__ out, std::int64_t rows, std::int64_t cols) {
    using BlockReduce = cub::BlockReduce<OnlineLse, THREADS>;
    __shared__ typename BlockReduce::TempStorage storage;
    for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        OnlineLse state = OnlineLse::identity();
        accumulate_row<VEC4>(x + r * cols, cols, threadIdx.x, THREADS, state);
        const OnlineLse total = BlockReduce(storage).Reduce(state, MergeLse{});
        if (threadIdx.x == 0) out[r] = total.result();
        __syncthreads();  // storage is reused by the next row
    }
}

template <bool VEC4>
__global__ void logsumexp_backward_elements(const float* x, const float* __restrict__ lse,
                                            const float* __restrict__ dlse, float* dx, std::int64_t rows,
                                            std::int64_t cols) {
    constexpr int width = VEC4 ? 4 : 1;
    const std::int64_t units = rows * cols / width;
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t u = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += stride) {
        const std::int64_t r = u * width / cols;
        const float l = lse[r];
        const float g = dlse[r];
        const bool all_neg_inf = l == -INFINITY;
        auto grad = [&](float v) { return all_neg_inf ? 0.0f : g * expf(v - l); };
        if constexpr (VEC4) {
            const float4 v = reinterpret_cast<const float4*>(x)[u];
            reinterpret_cast<float4*>(dx)[u] = make_float4(grad(v.x), grad(v.y), grad(v.z), grad(v.w));
        } else {
            dx[u] = grad(x[u]);
        }
    }
}

bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

int grid_limit() {
    static const int limit = [] {
        int device = 0, sms = 0;
        EBMKIT_CUDA_CHECK(cudaGetDevice(&device));
        EBMKIT_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
        return sms * 16;  // enough resident blocks to fill every SM several times
    }();
    return limit;
}

int blocks_for(std::int64_t work_items, int per_block) {
    return static_cast<int>(std::min<std::int64_t>((work_items + per_block - 1) / per_block, grid_limit()));
}

template <int LANES, bool VEC4>
void launch_lanes(const float* x, float* out, std::int64_t rows, std::int64_t cols, cudaStream_t stream) {
    constexpr int threads = 128;
    logsumexp_rows_lanes<LANES, VEC4><<<blocks_for(rows, threads / LANES), threads, 0, stream>>>(x, out, rows, cols);
}

template <bool VEC4>
void launch_forward(const float* x, float* out, std::int64_t rows, std::int64_t cols, cudaStream_t stream) {
    if (cols > 1024) {
        constexpr int threads = 512;
        logsumexp_rows_block<threads, VEC4><<<blocks_for(rows, 1), threads, 0, stream>>>(x, out, rows, cols);
        return;
    }
    // About four loads per lane.
    const std::int64_t loads = VEC4 ? cols / 4 : cols;
    const std::int64_t want = (loads + 3) / 4;
    if (want <= 1) launch_lanes<1, VEC4>(x, out, rows, cols, stream);
    else if (want <= 2) launch_lanes<2, VEC4>(x, out, rows, cols, stream);
    else if (want <= 4) launch_lanes<4, VEC4>(x, out, rows, cols, stream);
    else if (want <= 8) launch_lanes<8, VEC4>(x, out, rows, cols, stream);
    else if (want <= 16) launch_lanes<16, VEC4>(x, out, rows, cols, stream);
    else launch_lanes<32, VEC4>(x, out, rows, cols, stream);
}

}  // namespace

void logsumexp_forward(const float* x, float* out, std::int64_t rows, std::int64_t cols, CUstream_st* stream) {
    if (cols % 4 == 0 && aligned16(x)) launch_forward<true>(x, out, rows, cols, stream);
    else launch_forward<false>(x, out, rows, cols, stream);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

void logsumexp_backward(const float* x, const float* lse, const float* dlse, float* dx, std::int64_t rows,
                        std::int64_t cols, CUstream_st* stream) {
    constexpr int threads = 256;
    if (cols % 4 == 0 && aligned16(x) && aligned16(dx)) {
        logsumexp_backward_elements<true>
            <<<blocks_for(rows * cols / 4, threads), threads, 0, stream>>>(x, lse, dlse, dx, rows, cols);
    } else {
        logsumexp_backward_elements<false>
            <<<blocks_for(rows * cols, threads), threads, 0, stream>>>(x, lse, dlse, dx, rows, cols);
    }
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ebmkit::kernels
