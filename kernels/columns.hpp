// Launchers of kernels/columns.cu. Plain C++: host/ includes this without CUDA headers.
#pragma once

#include <cstdint>

struct CUstream_st;

namespace ebmkit::kernels {

// out[j] = (accumulate ? out[j] : 0) + scale * sum_r x[r, j], x [rows, cols].
void scaled_column_sums(const float* x, std::int64_t rows, std::int64_t cols, float scale, bool accumulate, float* out,
                        CUstream_st* stream);

}  // namespace ebmkit::kernels
