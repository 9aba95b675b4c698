// Launchers of kernels/logsumexp.cu and their launch shapes. Plain C++: host/ includes
// this without CUDA headers.
#pragma once

#include <cstdint>

#include "kernels/launch_shape.hpp"

struct CUstream_st;

namespace ebmkit::kernels {

// out[r] = log sum_k exp(x[r, k]); x: rows x cols, row-major, device pointers.
void logsumexp_forward(const float* x, float* out, std::int64_t rows, std::int64_t cols, CUstream_st* stream);

// dx[r, k] = dlse[r] * exp(x[r, k] - lse[r]) (0 where lse[r] = -inf). dx may be x.
void logsumexp_backward(const float* x, const float* lse, const float* dlse, float* dx, std::int64_t rows,
                        std::int64_t cols, CUstream_st* stream);

// The forward strategy (kernels/logsumexp.cu): lanes > 0 is a group of that many
// threads per row, lanes == 0 a block per row; vec4 reads float4s.
struct LogSumExpPlan {
    int lanes;
    LaunchShape shape;
};

inline constexpr int logsumexp_lanes_threads = 128, logsumexp_block_threads = 512, logsumexp_backward_threads = 256;
inline constexpr std::int64_t logsumexp_lanes_max_cols = 1024;

inline LogSumExpPlan logsumexp_forward_plan(std::int64_t rows, std::int64_t cols, bool vec4, const DeviceLimits& limits) {
    if (cols > logsumexp_lanes_max_cols) {
        return {0, grid_stride(rows, 1, logsumexp_block_threads, limits)};
    }
    // About four loads per lane, in a power of two from 1 to 32 lanes.
    const std::int64_t loads = vec4 ? cols / 4 : cols;
    const std::int64_t want = (loads + 3) / 4;
    int lanes = 1;
    while (lanes < 32 && lanes < want) lanes *= 2;
    return {lanes, grid_stride(rows, logsumexp_lanes_threads / lanes, logsumexp_lanes_threads, limits)};
}

inline LaunchShape logsumexp_backward_shape(std::int64_t rows, std::int64_t cols, bool vec4, const DeviceLimits& limits) {
    return grid_stride(vec4 ? rows * cols / 4 : rows * cols, logsumexp_backward_threads, logsumexp_backward_threads, limits);
}

}  // namespace ebmkit::kernels
