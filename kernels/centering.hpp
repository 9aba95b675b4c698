// Launchers of kernels/centering.cu: centred RBM training (Melchior, Fischer & Wiskott,
// JMLR 2016) in the plain parametrisation (the math: kernels/centering.cuh). Plain C++:
// host/ includes this without CUDA headers.
#pragma once

#include <cstdint>

#include "kernels/launch_shape.hpp"

struct CUstream_st;

namespace ebmkit::kernels {

// offset [cols] <- (1 - rate) offset + rate * mean over the rows of x [rows, cols].
void centering_offsets(float* offset, const float* x, std::int64_t rows, std::int64_t cols, float rate,
                       CUstream_st* stream);
// The plain gradient (gw [D, M], gb [D], gc [M]) into the centred one, in place, at
// offsets mu [D] and lambda [M].
void centered_gradient(float* gw, float* gb, float* gc, const float* mu, const float* lambda, std::int64_t visible,
                       std::int64_t hidden, CUstream_st* stream);

inline constexpr int centering_threads = 256;
// A thread per column (offsets, the hidden bias's column dots) or per weight.
inline LaunchShape centering_columns_shape(std::int64_t cols) {
    return one_per_thread(cols, centering_threads, "centering columns");
}
inline LaunchShape centering_weights_shape(std::int64_t weights) {
    return one_per_thread(weights, centering_threads, "centering weights");
}
// A warp per visible unit: the visible bias's row dots.
inline LaunchShape centering_rows_shape(std::int64_t rows) {
    return one_per_thread(rows * 32, centering_threads, "centering rows");
}

}  // namespace ebmkit::kernels
