// Column reductions: out[j] = (accumulate ? out[j] : 0) + scale * sum_r x[r, j].
// A thread per column walks the rows, so a warp reads 32 consecutive floats of a row
// per step (coalesced); bias gradients and RBM statistics are narrow and tall.
#include <cuda_runtime.h>

#include "kernels/columns.hpp"
#include "kernels/cuda_check.hpp"

namespace ebmkit::kernels {

namespace {

__global__ void column_sums(const float* __restrict__ x, std::int64_t rows, std::int64_t cols, float scale,
                            bool accumulate, float* __restrict__ out) {
    const std::int64_t col = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (col >= cols) return;
    float s = 0.0f;
    for (std::int64_t r = 0; r < rows; ++r) s += x[r * cols + col];
    out[col] = (accumulate ? out[col] : 0.0f) + scale * s;
}

}  // namespace

void scaled_column_sums(const float* x, std::int64_t rows, std::int64_t cols, float scale, bool accumulate, float* out,
                        CUstream_st* stream) {
    constexpr int block = 256;
    column_sums<<<static_cast<unsigned>((cols + block - 1) / block), block, 0, stream>>>(x, rows, cols, scale,
                                                                                          accumulate, out);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ebmkit::kernels
