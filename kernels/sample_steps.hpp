// Launchers of kernels/sample_steps.cu. Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstdint>

#include "host/ops/sample_steps.hpp"
#include "kernels/launch_shape.hpp"

struct CUstream_st;

namespace ebmkit::kernels {

// A thread per row, 128 a block, at most grid_stride_blocks_per_multiprocessor blocks per SM.
inline LaunchShape sample_steps_shape(std::int64_t rows, const DeviceLimits& limits) {
    return grid_stride(rows, 128, 128, limits);
}

void sample_momentum(float* p, std::int64_t rows, int d, const detail::ChainRule& r, std::uint32_t first_chain,
                     std::uint32_t step, CUstream_st* stream);
void sample_accept(const detail::StepAccept& a, const detail::ChainRule& r, std::uint32_t first_chain, std::uint32_t step,
                   CUstream_st* stream);
// x = clamp ? kept : x over n elements (grid-stride, 256 threads a block).
void restore_clamped(float* x, const float* kept, const float* clamp, std::int64_t n, CUstream_st* stream);

}  // namespace ebmkit::kernels
