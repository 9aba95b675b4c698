// The bodies of the column reductions (kernels/columns.cu), in a header so that
// tests/columns_emulated_test.cpp runs them on the host:
//   out[j] = (accumulate ? out[j] : 0) + scale * sum_r x[r, j].
// Bias gradients and RBM statistics are narrow and tall (10 to 784 columns, up to
// 65,536 rows), so the rows are split too: pass 1 gives each block a tile of 32
// columns and a chunk of rows; its 8 row lanes read 32 consecutive floats of a row
// per step (coalesced) and their sums are combined in shared memory in lane order.
// With one chunk, pass 1 writes out directly; otherwise it writes partials [chunk, col]
// and pass 2 adds each column's partials in chunk order. No atomics: the result is a
// fixed function of the row count, bit for bit.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/columns.hpp"

namespace ebmkit::kernels::columns_body {

struct ColumnSums {
    const float* x;
    std::int64_t rows, cols, chunk_rows;
    float scale;
    bool accumulate;
    float* out;
    float* partials;  // [chunks, cols], used when gridDim.y > 1
};

// lane_sums: column_sum_threads floats of shared memory.
__device__ inline void partial_sums(const ColumnSums& p, float* lane_sums) {
    const int col_in_tile = threadIdx.x % column_sum_tile_cols, lane = threadIdx.x / column_sum_tile_cols;
    const std::int64_t col = static_cast<std::int64_t>(blockIdx.x) * column_sum_tile_cols + col_in_tile;
    const std::int64_t begin = static_cast<std::int64_t>(blockIdx.y) * p.chunk_rows;
    const std::int64_t end = begin + p.chunk_rows < p.rows ? begin + p.chunk_rows : p.rows;
    float s = 0.0f;
    if (col < p.cols) {
        for (std::int64_t r = begin + lane; r < end; r += column_sum_lanes) s += p.x[r * p.cols + col];
    }
    lane_sums[threadIdx.x] = s;
    __syncthreads();
    if (lane != 0 || col >= p.cols) return;
    float total = lane_sums[col_in_tile];
    for (int l = 1; l < column_sum_lanes; ++l) total += lane_sums[l * column_sum_tile_cols + col_in_tile];
    if (gridDim.y == 1) p.out[col] = (p.accumulate ? p.out[col] : 0.0f) + p.scale * total;
    else p.partials[static_cast<std::int64_t>(blockIdx.y) * p.cols + col] = total;
}

__device__ inline void finish_sums(const ColumnSums& p, std::int64_t chunks) {
    const std::int64_t col = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (col >= p.cols) return;
    float total = 0.0f;
    for (std::int64_t c = 0; c < chunks; ++c) total += p.partials[c * p.cols + col];
    p.out[col] = (p.accumulate ? p.out[col] : 0.0f) + p.scale * total;
}

}  // namespace ebmkit::kernels::columns_body
