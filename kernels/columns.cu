// Column reductions (the math and the two passes: kernels/columns.cuh; the launch
// shapes: kernels/columns.hpp).
#include <cuda_runtime.h>

#include "kernels/columns.cuh"
#include "kernels/columns.hpp"
#include "kernels/cuda_check.hpp"

namespace ebmkit::kernels {

namespace {

__global__ void __launch_bounds__(column_sum_threads) column_partial_sums(columns_body::ColumnSums p) {
    __shared__ float lane_sums[column_sum_threads];
    columns_body::partial_sums(p, lane_sums);
}

__global__ void __launch_bounds__(column_sum_threads) column_finish_sums(columns_body::ColumnSums p, std::int64_t chunks) {
    columns_body::finish_sums(p, chunks);
}

}  // namespace

void scaled_column_sums(const float* x, std::int64_t rows, std::int64_t cols, float scale, bool accumulate, float* out,
                        float* partials, CUstream_st* stream) {
    if (cols == 0) return;
    const columns_body::ColumnSums p{x, rows, cols, column_sum_chunk_rows(rows), scale, accumulate, out, partials};
    const LaunchShape first = column_sum_partial_shape(rows, cols);
    if (first.blocks_y > 1 && !partials) throw Error("column sums: several row chunks need partials scratch");
    column_partial_sums<<<dim3(first.blocks, first.blocks_y), first.threads, 0, stream>>>(p);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
    if (first.blocks_y == 1) return;
    const LaunchShape second = column_sum_finish_shape(cols);
    column_finish_sums<<<second.blocks, second.threads, 0, stream>>>(p, first.blocks_y);
    EBMKIT_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ebmkit::kernels
