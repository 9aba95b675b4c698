// The bodies of the LogSumExp kernels (kernels/logsumexp.cu), in a header so that
// tests/logsumexp_emulated_test.cpp runs them on the host.
// Forward: out[r] = log sum_k exp(x[r, k]) in one pass, with the online max/sum of
// kernels/online_lse.cuh (which also gives the special values of docs/ARCHITECTURE.md §1).
#pragma once

#include <cuda_runtime.h>

#ifndef EBMKIT_BLOCK_EMULATION
#include <cub/block/block_reduce.cuh>
#endif

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

#include "ebmkit/error.hpp"
#include "kernels/grid_stride.cuh"
#include "kernels/online_lse.cuh"

namespace ebmkit::kernels::logsumexp_body {

using online_lse::MergeLse;
using online_lse::OnlineLse;
using online_lse::warp_merge;

template <int THREADS>
using BlockReduceLse = cub::BlockReduce<OnlineLse, THREADS>;

// The one runtime-to-template dispatch of the lanes per row (logsumexp_forward_plan):
// f receives std::integral_constant<int, LANES>.
template <class F>
void with_lanes(int lanes, F&& f) {
    switch (lanes) {
        case 1: return f(std::integral_constant<int, 1>{});
        case 2: return f(std::integral_constant<int, 2>{});
        case 4: return f(std::integral_constant<int, 4>{});
        case 8: return f(std::integral_constant<int, 8>{});
        case 16: return f(std::integral_constant<int, 16>{});
        case 32: return f(std::integral_constant<int, 32>{});
    }
    throw Error("logsumexp: no kernel for " + std::to_string(lanes) + " lanes per row");
}

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

// A group of LANES threads per row, reduced with shuffles; grid-stride over rows.
template <int LANES, bool VEC4>
__device__ void rows_lanes(const float* __restrict__ x, float* __restrict__ out, std::int64_t rows, std::int64_t cols) {
    const int lane = threadIdx.x % LANES;
    const std::int64_t groups_per_grid = static_cast<std::int64_t>(gridDim.x) * (blockDim.x / LANES);
    // Every thread runs the same number of iterations so whole warps reach the shuffles.
    const std::int64_t first = static_cast<std::int64_t>(blockIdx.x) * (blockDim.x / LANES) + threadIdx.x / LANES;
    const std::int64_t iterations = (rows + groups_per_grid - 1) / groups_per_grid;
    for (std::int64_t it = 0; it < iterations; ++it) {
        const std::int64_t r = first + it * groups_per_grid;
        OnlineLse state = OnlineLse::identity();
        if (r < rows) accumulate_row<VEC4>(x + r * cols, cols, lane, LANES, state);
        state = warp_merge<LANES>(state);
        if (r < rows && lane == 0) out[r] = state.result();
    }
}

// A block of THREADS per row, reduced with cub::BlockReduce; grid-stride over rows.
template <int THREADS, bool VEC4>
__device__ void rows_block(const float* __restrict__ x, float* __restrict__ out, std::int64_t rows, std::int64_t cols,
                           typename BlockReduceLse<THREADS>::TempStorage& storage) {
    for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        OnlineLse state = OnlineLse::identity();
        accumulate_row<VEC4>(x + r * cols, cols, threadIdx.x, THREADS, state);
        const OnlineLse total = BlockReduceLse<THREADS>(storage).Reduce(state, MergeLse{});
        if (threadIdx.x == 0) out[r] = total.result();
        __syncthreads();  // storage is reused by the next row
    }
}

// Backward, elementwise once lse is known: grid-stride over float4s (or floats).
template <bool VEC4>
__device__ void backward_elements(const float* x, const float* __restrict__ lse, const float* __restrict__ dlse,
                                  float* dx, std::int64_t rows, std::int64_t cols) {
    constexpr int width = VEC4 ? 4 : 1;
    const std::int64_t units = rows * cols / width;
    for (std::int64_t u = first_item(); u < units; u += item_stride()) {
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

}  // namespace ebmkit::kernels::logsumexp_body
